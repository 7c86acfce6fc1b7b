-- +goose Up
-- Heartbeat monitors (docs/alerts.md, Heartbeats): a job pings
-- /api/v1/heartbeats/<token> every interval; a monitor whose last ping
-- (or creation, or the start of the process that checks it) is older than
-- interval + grace opens an alert. secret_hash is the hex SHA-256 of the
-- token, which is shown once. last_ping_at is 0 before the first ping.
-- state: waiting (never pinged), up, down (an alert was opened).
CREATE TABLE heartbeats (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    system       TEXT NOT NULL,
    severity     TEXT NOT NULL DEFAULT 'critical',
    interval_ms  INTEGER NOT NULL,
    grace_ms     INTEGER NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    last_ping_at INTEGER NOT NULL DEFAULT 0,
    last_status  TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL DEFAULT 'waiting',
    alert_key    TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL DEFAULT ''
);

-- The last pings of each monitor (at most 100 are kept per monitor).
CREATE TABLE heartbeat_pings (
    id           INTEGER PRIMARY KEY,
    heartbeat_id INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    status       TEXT NOT NULL,
    source_ip    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX heartbeat_pings_monitor ON heartbeat_pings(heartbeat_id, id);

-- +goose Down
DROP TABLE heartbeat_pings;
DROP TABLE heartbeats;
