package parse

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// Alertmanager parses the body of Prometheus Alertmanager's webhook
// receiver (payload version "4"). Grafana's webhook contact point sends the
// same shape with "version": "1" and a few extra fields; it is accepted too.
// One signal per entry of alerts[], in order.
//
// Keys read at the top level: alerts (required, non-empty), receiver,
// externalURL, groupKey (GroupKey of every signal), truncatedAlerts. status, groupLabels, commonLabels
// and commonAnnotations are not read: every alert carries its own labels
// and status, and commonLabels is by definition a subset of them.
//
// Keys read in alerts[i]:
//
//	status        required: "firing" or "resolved"
//	labels        System from "system" or "opsdesk_system" (else o.DefaultSystem);
//	              Severity from "severity"; Host from "host", "hostname",
//	              "instance" or "node"; Service from "service" or "alertname".
//	              All labels are copied to Labels.
//	annotations   Summary from "summary"; else the first line of "message"
//	              or "description"; else labels.alertname. Details from
//	              "description" (or "message") in full. The annotations not
//	              used for these are copied to Labels as "annotation.<name>".
//	startsAt      StartedAt (RFC 3339)
//	endsAt        kept in Labels["endsAt"] for resolved alerts
//	fingerprint   DedupKey; when absent, a SHA-256 of the sorted labels
//	              (not Alertmanager's own FNV fingerprint)
//	generatorURL, silenceURL, dashboardURL, panelURL (Grafana): Labels
//
// Labels are filled in this order until MaxLabels: the links and
// receiver, then the alert's labels by name, then its annotations by name.
// An alert label of the same name replaces a link label.
func Alertmanager(body []byte, o Options) ([]Signal, error) {
	v, err := decodeJSON(body)
	if err != nil {
		return nil, err
	}
	root, err := asObj(v, "")
	if err != nil {
		return nil, err
	}
	if !root.has("alerts") {
		return nil, fieldErr("alerts", "required")
	}
	alerts, err := root.list("alerts")
	if err != nil {
		return nil, err
	}
	if err := countOK("alerts", len(alerts)); err != nil {
		return nil, err
	}
	var meta [4]string
	for i, k := range []string{"receiver", "externalURL", "groupKey", "truncatedAlerts"} {
		if meta[i], err = root.str(k); err != nil {
			return nil, err
		}
	}
	out := make([]Signal, 0, len(alerts))
	for i, a := range alerts {
		s, err := amAlert(a, index("alerts", i), meta, o)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

var amLinkKeys = []string{"generatorURL", "silenceURL", "dashboardURL", "panelURL"}

func amAlert(v any, path string, meta [4]string, o Options) (Signal, error) {
	a, err := asObj(v, path)
	if err != nil {
		return Signal{}, err
	}
	status, err := a.str("status")
	if err != nil {
		return Signal{}, err
	}
	var st Status
	switch strings.ToLower(status) {
	case "firing":
		st = StatusFiring
	case "resolved":
		st = StatusResolved
	default:
		return Signal{}, fieldErr(a.field("status"), `must be "firing" or "resolved"`)
	}
	lbl, err := a.strMap("labels")
	if err != nil {
		return Signal{}, err
	}
	ann, err := a.strMap("annotations")
	if err != nil {
		return Signal{}, err
	}
	var f [3]string
	for i, k := range []string{"startsAt", "endsAt", "fingerprint"} {
		if f[i], err = a.str(k); err != nil {
			return Signal{}, err
		}
	}
	startsAt, endsAt, fingerprint := f[0], f[1], f[2]
	links := make(map[string]string, len(amLinkKeys))
	for _, k := range amLinkKeys {
		if links[k], err = a.str(k); err != nil {
			return Signal{}, err
		}
	}

	sys, err := pickSystem(firstOf(lbl, "system", "opsdesk_system"), o, join(a.field("labels"), "system"), `set label "system"`)
	if err != nil {
		return Signal{}, err
	}
	// Summary and Details from the annotations; the ones used are not
	// repeated in Labels.
	summary, details := "", ""
	var used []string
	switch {
	case ann["summary"] != "":
		summary, used = ann["summary"], []string{"summary"}
		for _, k := range []string{"description", "message"} {
			if ann[k] != "" {
				details, used = ann[k], append(used, k)
				break
			}
		}
	case ann["message"] != "":
		summary, details, used = firstLine(ann["message"]), ann["message"], []string{"message"}
	case ann["description"] != "":
		summary, details, used = firstLine(ann["description"]), ann["description"], []string{"description"}
	default:
		summary = lbl["alertname"]
	}
	if summary = oneLine(summary); summary == "" {
		return Signal{}, fieldErr(join(a.field("annotations"), "summary"), "required when labels has no alertname")
	}
	if oneLine(details) == summary {
		details = ""
	}
	dedup := fingerprint
	if dedup == "" {
		parts := make([]string, 0, 2*len(lbl))
		for _, k := range slices.Sorted(maps.Keys(lbl)) {
			if lbl[k] != "" { // Prometheus treats an empty label as absent
				parts = append(parts, k, lbl[k])
			}
		}
		dedup = hashKey(parts...)
	}
	s := Signal{
		Source:    SourceAlertmanager,
		System:    sys,
		DedupKey:  dedup,
		Status:    st,
		Summary:   summary,
		Details:   details,
		Severity:  normSeverity(lbl["severity"], st),
		Host:      firstOf(lbl, "host", "hostname", "instance", "node"),
		Service:   firstOf(lbl, "service", "alertname"),
		StartedAt: plausible(parseTime(startsAt, time.UTC, time.RFC3339Nano)),
		Labels:    labels{},
		GroupKey:  meta[2],
	}
	l := labels(s.Labels)
	for _, k := range amLinkKeys {
		l.set(k, links[k])
	}
	l.set("receiver", meta[0])
	l.set("externalURL", meta[1])
	if meta[3] != "" && meta[3] != "0" {
		l.set("truncatedAlerts", meta[3])
	}
	if st == StatusResolved {
		l.set("endsAt", endsAt)
	}
	if s.StartedAt.IsZero() {
		l.set("startsAt", startsAt)
	}
	l.setAll("", lbl)
	for _, k := range used {
		delete(ann, k)
	}
	l.setAll("annotation.", ann)
	finish(&s)
	return s, nil
}

// firstOf returns the first non-empty value of m among keys.
func firstOf(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := clean(m[k]); v != "" {
			return v
		}
	}
	return ""
}
