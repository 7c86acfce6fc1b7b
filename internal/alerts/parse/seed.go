package parse

import (
	"maps"
	"slices"
	"time"
)

// Seed parses the format of the seed article (004), which external
// monitors post to the alert endpoint:
//
//	{"alertinfo": [{"host": "server1", "service": "CPU Utilization",
//	                "lastcheck": "2023-10-03 13:20:52", "systemname": "XYZ"}]}
//
// Keys read in each entry:
//
//	host        required; Host
//	service     required; Service
//	systemname  System; required unless o.DefaultSystem is set
//	lastcheck   optional; StartedAt. "2006-01-02 15:04:05" in o.Location,
//	            or RFC 3339. Kept verbatim in Labels["lastcheck"].
//	severity    optional (not in the article); normalized, original in Labels
//
// Any other scalar key of an entry is copied to Labels. The format has no
// way to resolve or acknowledge, so every signal is firing. DedupKey is
// host + "/" + service; Summary is "<service> on <host>".
func Seed(body []byte, o Options) ([]Signal, error) {
	v, err := decodeJSON(body)
	if err != nil {
		return nil, err
	}
	root, err := asObj(v, "")
	if err != nil {
		return nil, err
	}
	if !root.has("alertinfo") {
		return nil, fieldErr("alertinfo", "required")
	}
	entries, err := root.list("alertinfo")
	if err != nil {
		return nil, err
	}
	if err := countOK("alertinfo", len(entries)); err != nil {
		return nil, err
	}
	out := make([]Signal, 0, len(entries))
	for i, e := range entries {
		s, err := seedEntry(e, index("alertinfo", i), o)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

var seedKeys = []string{"host", "service", "systemname", "lastcheck", "severity"}

func seedEntry(v any, path string, o Options) (Signal, error) {
	e, err := asObj(v, path)
	if err != nil {
		return Signal{}, err
	}
	vals := make(map[string]string, len(seedKeys))
	for _, k := range seedKeys {
		if vals[k], err = e.str(k); err != nil {
			return Signal{}, err
		}
	}
	host, service := oneLine(vals["host"]), oneLine(vals["service"])
	if host == "" {
		return Signal{}, fieldErr(e.field("host"), "required")
	}
	if service == "" {
		return Signal{}, fieldErr(e.field("service"), "required")
	}
	if vals["systemname"] == "" && o.DefaultSystem == "" {
		return Signal{}, fieldErr(e.field("systemname"), "required")
	}
	system, err := pickSystem(vals["systemname"], o, e.field("systemname"), `set "systemname"`)
	if err != nil {
		return Signal{}, err
	}
	s := Signal{
		Source:   SourceSeed,
		System:   system,
		DedupKey: host + "/" + service,
		Status:   StatusFiring,
		Summary:  service + " on " + host,
		Severity: normSeverity(vals["severity"], StatusFiring),
		Host:     host,
		Service:  service,
		StartedAt: plausible(parseTime(vals["lastcheck"], o.loc(),
			time.DateTime, time.RFC3339Nano, "2006/01/02 15:04:05")),
		Labels: labels{},
	}
	l := labels(s.Labels)
	l.set("lastcheck", vals["lastcheck"])
	l.set("severity", vals["severity"])
	for _, k := range slices.Sorted(maps.Keys(e.m)) {
		if slices.Contains(seedKeys, k) || secretish(k) {
			continue
		}
		if x, err := scalar(e.m[k], e.field(k)); err == nil {
			l.set(k, x)
		}
	}
	finish(&s)
	return s, nil
}

// countOK bounds the number of alerts in one request.
func countOK(field string, n int) error {
	switch {
	case n == 0:
		return fieldErr(field, "must hold at least one alert")
	case n > MaxSignals:
		return fieldErr(field, "holds %d alerts; at most %d are accepted in one request", n, MaxSignals)
	}
	return nil
}
