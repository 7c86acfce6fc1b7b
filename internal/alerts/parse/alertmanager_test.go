package parse

import (
	"strings"
	"testing"
)

func TestAlertmanager(t *testing.T) {
	t.Parallel()
	got, err := Alertmanager(readTestdata(t, "alertmanager_v4.json"), Options{DefaultSystem: "unused"})
	if err != nil {
		t.Fatal(err)
	}
	checkSignals(t, got, []Signal{
		{
			Source: "alertmanager", System: "XYZ", DedupKey: "6b1c3a9e0f4d2b17", Status: StatusFiring,
			Summary:  "CPU load above 90% on web01.example.com:9100",
			Details:  "CPU load is 97.3% for the last 10 minutes.\nVALUE = 97.3",
			Severity: "critical", Host: "web01.example.com:9100", Service: "HostHighCpuLoad",
			StartedAt: utc(2024, 5, 1, 6, 51, 3, 157076000),
			Labels: map[string]string{
				"alertname": "HostHighCpuLoad", "instance": "web01.example.com:9100", "job": "node",
				"severity": "critical", "system": "XYZ",
				"annotation.runbook_url": "https://runbooks.example.com/HostHighCpuLoad",
				"generatorURL":           "http://prometheus.example.com:9090/graph?g0.expr=100+-+avg+by%28instance%29+%28rate%28node_cpu_seconds_total%7Bmode%3D%22idle%22%7D%5B5m%5D%29%29+%2A+100+%3E+90&g0.tab=1",
				"externalURL":            "http://alertmanager.example.com:9093",
				"receiver":               "opsdesk-phone",
			},
		},
		{
			// No summary annotation: the description's first line is the
			// summary and the whole description the details.
			Source: "alertmanager", System: "XYZ", DedupKey: "d2f41b07c88a5e31", Status: StatusResolved,
			Summary:  "Replication lag on db02 was above 30s.",
			Details:  "Replication lag on db02 was above 30s.\nIt is back to 0.4s.",
			Severity: "warning", Host: "db02.example.com:9187", Service: "PostgresReplicationLag",
			StartedAt: utc(2024, 5, 1, 6, 40, 18, 900000000),
			Labels: map[string]string{
				"alertname": "PostgresReplicationLag", "instance": "db02.example.com:9187", "job": "postgres",
				"severity": "warning", "system": "XYZ",
				"generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=pg_replication_lag+%3E+30&g0.tab=1",
				"externalURL":  "http://alertmanager.example.com:9093",
				"receiver":     "opsdesk-phone",
				"endsAt":       "2024-05-01T06:58:48.9Z",
			},
		},
	})
	for i, s := range got {
		if want := `{}/{system="XYZ"}:{system="XYZ"}`; s.GroupKey != want {
			t.Errorf("signal %d: GroupKey = %q, want %q", i, s.GroupKey, want)
		}
	}
}

func TestAlertmanagerGrafana(t *testing.T) {
	t.Parallel()
	got, err := Alertmanager(readTestdata(t, "alertmanager_grafana.json"), Options{DefaultSystem: "Infra"})
	if err != nil {
		t.Fatal(err)
	}
	checkSignals(t, got, []Signal{{
		Source: "alertmanager", System: "Infra", DedupKey: "c6eadffa33fcdf37", Status: StatusFiring,
		Summary: "Memory above 90% in ap-northeast-1a", Severity: "", Service: "High memory usage",
		StartedAt: utc(2024, 5, 1, 0, 51, 3, 157076000),
		Labels: map[string]string{
			"alertname": "High memory usage", "grafana_folder": "Infra", "team": "blue", "zone": "ap-northeast-1a",
			"generatorURL": "https://grafana.example.com/alerting/grafana/aa11bb22/view",
			"silenceURL":   "https://grafana.example.com/alerting/silence/new?matcher=alertname%3DHigh+memory+usage",
			"externalURL":  "https://grafana.example.com/",
			"receiver":     "opsdesk",
		},
	}})
}

func TestAlertmanagerFallbacks(t *testing.T) {
	t.Parallel()
	body := `{"alerts":[{"status":"firing","labels":{"alertname":"NodeDown","node":"n1","opsdesk_system":"Core","severity":"page","team":""},
		"startsAt":"not a time","annotations":{"message":"Node n1 is not ready\nfor 10m"}}], "truncatedAlerts": 3}`
	got, err := Alertmanager([]byte(body), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkSignals(t, got, []Signal{{
		Source: "alertmanager", System: "Core",
		DedupKey: hashKey("alertname", "NodeDown", "node", "n1", "opsdesk_system", "Core", "severity", "page"),
		Status:   StatusFiring, Summary: "Node n1 is not ready", Details: "Node n1 is not ready\nfor 10m",
		Severity: "critical", Host: "n1", Service: "NodeDown",
		Labels: map[string]string{
			"alertname": "NodeDown", "node": "n1", "opsdesk_system": "Core", "severity": "page",
			"startsAt": "not a time", "truncatedAlerts": "3",
		},
	}})

	// Without annotations the alert name is the summary.
	got, err = Alertmanager([]byte(`{"alerts":[{"status":"resolved","labels":{"alertname":"Watchdog"}}]}`), Options{DefaultSystem: "S"})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Summary != "Watchdog" || got[0].Severity != "info" || got[0].System != "S" {
		t.Errorf("got %#v", got[0])
	}
}

func TestAlertmanagerErrors(t *testing.T) {
	t.Parallel()
	ok := `{"status":"firing","labels":{"alertname":"A","system":"S"}}`
	for _, c := range []struct {
		name, body, field, msg string
	}{
		{"not JSON", `receiver=x`, "", "not valid JSON"},
		{"no alerts", `{"receiver":"x","version":"4"}`, "alerts", "required"},
		{"alerts not array", `{"alerts":{}}`, "alerts", "must be an array"},
		{"alerts empty", `{"alerts":[]}`, "alerts", "at least one"},
		{"status missing", `{"alerts":[` + ok + `,{"labels":{"alertname":"B","system":"S"}}]}`, "alerts[1].status", `must be "firing" or "resolved"`},
		{"status wrong", `{"alerts":[{"status":"pending","labels":{"alertname":"B","system":"S"}}]}`, "alerts[0].status", `must be "firing" or "resolved"`},
		{"label not string", `{"alerts":[{"status":"firing","labels":{"alertname":"B","system":["S"]}}]}`, "alerts[0].labels.system", "must be a string"},
		{"annotations not object", `{"alerts":[{"status":"firing","labels":{"alertname":"B","system":"S"},"annotations":"x"}]}`, "alerts[0].annotations", "must be an object"},
		{"no summary at all", `{"alerts":[{"status":"firing","labels":{"system":"S"}}]}`, "alerts[0].annotations.summary", "required when labels has no alertname"},
		{"no system", `{"alerts":[` + ok + `,{"status":"firing","labels":{"alertname":"B"}}]}`, "alerts[1].labels.system", `no system given; set label "system", add ?system= to the URL, or set alerts.default_system`},
		{"alert not object", `{"alerts":[` + ok + `,"x"]}`, "alerts[1]", "must be an object"},
		{"receiver an object", `{"receiver":{},"alerts":[` + ok + `]}`, "receiver", "must be a string"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := Alertmanager([]byte(c.body), Options{})
			wantFieldError(t, got, err, c.field, c.msg)
		})
	}
}

// Text is bounded, not refused.
func TestAlertmanagerBounds(t *testing.T) {
	t.Parallel()
	var lbl strings.Builder
	for i := range 150 {
		if i > 0 {
			lbl.WriteByte(',')
		}
		lbl.WriteString(`"l` + string(rune('a'+i/26%26)) + string(rune('a'+i%26)) + `":"v"`)
	}
	body := `{"alerts":[{"status":"firing","fingerprint":"` + longString("f", 300) + `",
		"labels":{"alertname":"A","system":"S",` + lbl.String() + `},
		"annotations":{"summary":"` + longString("s", 5000) + `","description":"` + longString("ü", 40000) + `"}}]}`
	got, err := Alertmanager([]byte(body), Options{})
	checkInvariants(t, SourceAlertmanager, got, err)
	if err != nil {
		t.Fatal(err)
	}
	s := got[0]
	if n := len([]rune(s.Summary)); n != MaxSummary || !strings.HasSuffix(s.Summary, "…") {
		t.Errorf("Summary has %d characters, want %d ending in …", n, MaxSummary)
	}
	if len(s.Details) > MaxDetails || len(s.Details) < MaxDetails-8 || !strings.HasSuffix(s.Details, "…") {
		t.Errorf("Details has %d bytes, want just under %d ending in …", len(s.Details), MaxDetails)
	}
	if len(s.Labels) != MaxLabels {
		t.Errorf("%d labels, want %d", len(s.Labels), MaxLabels)
	}
	if s.DedupKey != hashKey(longString("f", 300)) {
		t.Errorf("DedupKey = %q, want the hash of the long fingerprint", s.DedupKey)
	}
	if s.Labels["alertname"] != "A" {
		t.Errorf("alertname label dropped; labels are kept in name order")
	}
}
