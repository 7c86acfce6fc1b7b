package parse

// SourceHeartbeat is the source of the alerts opsdesk opens itself when a
// heartbeat monitor misses its ping or reports a failure
// (internal/heartbeat). No parser produces it.
const SourceHeartbeat = "heartbeat"
