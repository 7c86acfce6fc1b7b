package parse

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// nativeKeys are the fields of opsdesk's own format, in the order the
// "not a known field" message lists them.
var nativeKeys = []string{"system", "dedup_key", "status", "summary", "details", "severity", "host", "service", "started_at", "labels"}

// Native parses opsdesk's own alert format, for scripts and anything that
// can shape its own JSON. The body is one object or an array of them:
//
//	{"system": "XYZ", "dedup_key": "db1-disk", "status": "firing",
//	 "summary": "Disk 95% full on db1", "details": "…", "severity": "critical",
//	 "host": "db1", "service": "disk", "started_at": "2024-05-01T09:00:00Z",
//	 "labels": {"runbook": "https://…"}}
//
// Keys:
//
//	summary     required; one line (folded and cut to MaxSummary)
//	system      System; else o.DefaultSystem; else an error
//	status      "firing" (the default), "resolved" or "acknowledged"; any case
//	dedup_key   DedupKey; when absent, a hash of host, service and summary,
//	            so a resolve must repeat those three exactly or send the key
//	details     a string, or any JSON value, which is stored pretty-printed
//	severity    normalized; the original is kept in Labels["severity"]
//	host, service
//	started_at  RFC 3339; StartedAt
//	labels      an object of strings (numbers are accepted as text)
//
// Unknown keys are refused, so a misspelt "sumary" is reported rather than
// silently dropped.
func Native(body []byte, o Options) ([]Signal, error) {
	v, err := decodeJSON(body)
	if err != nil {
		return nil, err
	}
	arr, isArr := v.([]any)
	if !isArr {
		if _, ok := v.(map[string]any); !ok {
			return nil, &FieldError{Msg: "must be a JSON object or an array of objects, not " + kind(v)}
		}
		s, err := nativeOne(v, "", o)
		if err != nil {
			return nil, err
		}
		return []Signal{s}, nil
	}
	if err := countOK("", len(arr)); err != nil {
		return nil, &FieldError{Msg: err.(*FieldError).Msg}
	}
	out := make([]Signal, 0, len(arr))
	for i, e := range arr {
		s, err := nativeOne(e, index("", i), o)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func nativeOne(v any, path string, o Options) (Signal, error) {
	e, err := asObj(v, path)
	if err != nil {
		return Signal{}, err
	}
	for _, k := range slices.Sorted(maps.Keys(e.m)) { // sorted: the same body names the same field
		if !slices.Contains(nativeKeys, k) {
			return Signal{}, fieldErr(e.field(k), "is not a known field (accepted: %s)", strings.Join(nativeKeys, ", "))
		}
	}
	var f [8]string
	for i, k := range []string{"system", "dedup_key", "status", "summary", "severity", "host", "service", "started_at"} {
		if f[i], err = e.str(k); err != nil {
			return Signal{}, err
		}
	}
	system, dedup, status, summary, severity, host, service, started := f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]

	summary = oneLine(summary)
	if summary == "" {
		return Signal{}, fieldErr(e.field("summary"), "required")
	}
	st, ok := nativeStatus(status)
	if !ok {
		return Signal{}, fieldErr(e.field("status"), `must be "firing", "resolved" or "acknowledged"`)
	}
	sys, err := pickSystem(system, o, e.field("system"), `set "system"`)
	if err != nil {
		return Signal{}, err
	}
	details, err := nativeDetails(e.m["details"], e.field("details"))
	if err != nil {
		return Signal{}, err
	}
	extra, err := e.strMap("labels")
	if err != nil {
		return Signal{}, err
	}
	host, service = oneLine(host), oneLine(service)
	if dedup = oneLine(dedup); dedup == "" {
		dedup = hashKey(host, service, summary)
	}
	var startedAt time.Time
	if started != "" {
		t, err := time.Parse(time.RFC3339Nano, started)
		if err != nil {
			return Signal{}, fieldErr(e.field("started_at"), "must be an RFC 3339 time such as 2024-05-01T09:00:00Z")
		}
		startedAt = plausible(t)
	}
	s := Signal{
		Source:    SourceNative,
		System:    sys,
		DedupKey:  dedup,
		Status:    st,
		Summary:   summary,
		Details:   details,
		Severity:  normSeverity(severity, st),
		Host:      host,
		Service:   service,
		StartedAt: startedAt,
		Labels:    labels{},
	}
	l := labels(s.Labels)
	l.set("severity", severity)
	l.setAll("", extra)
	finish(&s)
	return s, nil
}

func nativeStatus(s string) (Status, bool) {
	switch strings.ToLower(s) {
	case "", "firing":
		return StatusFiring, true
	case "resolved":
		return StatusResolved, true
	case "acknowledged":
		return StatusAcknowledged, true
	}
	return "", false
}

// nativeDetails accepts a string as is and any other JSON value as
// indented JSON, which is what a script that attaches its context wants to
// read back.
func nativeDetails(v any, path string) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil { // cannot happen for decoded JSON; name the field anyway
		return "", fieldErr(path, "cannot be re-encoded: %v", err)
	}
	return b.String(), nil
}
