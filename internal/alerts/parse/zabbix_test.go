package parse

import (
	"os"
	"strings"
	"testing"
)

func TestZabbix(t *testing.T) {
	t.Parallel()
	const (
		name    = "High CPU utilization (over 90% for 5m)"
		started = "2023.10.03"
	)
	tags := map[string]string{"tag.class": "os", "tag.component": "cpu", "tag.system": "XYZ"}
	with := func(m map[string]string) map[string]string {
		out := map[string]string{"eventid": "4518263", "severity": "High", "nseverity": "4",
			"eventdate": started, "eventtime": "13:20:52", "triggerid": "23190"}
		for k, v := range tags {
			out[k] = v
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	for _, c := range []struct {
		file string
		want Signal
	}{
		{"zabbix_problem.json", Signal{
			// system is the unexpanded user macro {$OPSDESK.SYSTEM}, so the
			// event tag "system" names it.
			Source: "zabbix", System: "XYZ", DedupKey: "4518263", Status: StatusFiring,
			Summary:  "Problem: " + name,
			Details:  "Problem started at 13:20:52 on 2023.10.03\nProblem name: High CPU utilization (over 90% for 5m)\nHost: server1\nSeverity: High\nOperational data: Current utilization: 97.12 %\nOriginal problem ID: 4518263",
			Severity: "error", Host: "server1", Service: name,
			StartedAt: utc(2023, 10, 3, 4, 20, 52, 0),
			Labels: with(map[string]string{"ack": "No", "opdata": "Current utilization: 97.12 %",
				"zabbix_url": "https://zabbix.example.com"}),
		}},
		{"zabbix_ack.json", Signal{
			Source: "zabbix", System: "XYZ", DedupKey: "4518263", Status: StatusAcknowledged,
			Summary: "Updated problem in 4m 10s: " + name,
			// The template already quotes the comment, so it is not repeated.
			Details:  "Hanako Yamada acknowledged and commented problem at 2023.10.03 13:25:02.\nLooking into it; batch job runaway.\n\nCurrent problem status is PROBLEM, acknowledged: Yes.",
			Severity: "error", Host: "server1", Service: name,
			StartedAt: utc(2023, 10, 3, 4, 20, 52, 0),
			Labels: with(map[string]string{"ack": "Yes", "updateaction": "acknowledged, commented",
				"updatemessage": "Looking into it; batch job runaway.", "user": "Hanako Yamada"}),
		}},
		{"zabbix_recovery.json", Signal{
			// Resolved even though the problem had been acknowledged; the
			// key is the problem's event id, not the recovery's.
			Source: "zabbix", System: "XYZ", DedupKey: "4518263", Status: StatusResolved,
			Summary:  "Resolved in 12m 8s: " + name,
			Details:  "Problem has been resolved at 13:33:00 on 2023.10.03\nProblem name: High CPU utilization (over 90% for 5m)\nProblem duration: 12m 8s\nHost: server1\nSeverity: High\nOriginal problem ID: 4518263",
			Severity: "error", Host: "server1", Service: name,
			StartedAt: utc(2023, 10, 3, 4, 20, 52, 0),
			Labels: with(map[string]string{"ack": "Yes", "recoveryid": "4518391",
				"recoverydate": "2023.10.03", "recoverytime": "13:33:00"}),
		}},
	} {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			got, err := Zabbix(readTestdata(t, c.file), Options{Location: jst})
			if err != nil {
				t.Fatal(err)
			}
			checkSignals(t, got, []Signal{c.want})
		})
	}
}

func TestZabbixStatus(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, params string
		want         Status
	}{
		{"problem", `"eventvalue":"1"`, StatusFiring},
		{"recovery", `"eventvalue":"0"`, StatusResolved},
		{"status word instead of value", `"eventstatus":"RESOLVED"`, StatusResolved},
		{"escalation step after ack", `"eventvalue":"1","eventack":"Yes"`, StatusAcknowledged},
		{"update: comment only", `"eventvalue":"1","eventupdate":"1","updateaction":"commented","eventack":"No"`, StatusFiring},
		{"update: acknowledged by action", `"eventvalue":"1","eventupdate":"1","updateaction":"acknowledged"`, StatusAcknowledged},
		{"update: unacknowledged", `"eventvalue":"1","eventupdate":"1","updateaction":"unacknowledged","eventack":"No"`, StatusFiring},
		{"update: closed", `"eventvalue":"1","eventupdate":"1","updateaction":"acknowledged, closed","eventack":"Yes"`, StatusResolved},
		{"dotted macro names", `"EVENT.VALUE":"1","EVENT.UPDATE.STATUS":"1","EVENT.ACK.STATUS":"Yes"`, StatusAcknowledged},
		{"JSON types", `"eventvalue":1,"eventupdate":true,"eventack":true`, StatusAcknowledged},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			body := `{"event_id":"77","subject":"s","system":"S",` + c.params + `}`
			got, err := Zabbix([]byte(body), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got[0].Status != c.want {
				t.Errorf("Status = %q, want %q", got[0].Status, c.want)
			}
			if got[0].DedupKey != "77" {
				t.Errorf("DedupKey = %q, want 77", got[0].DedupKey)
			}
		})
	}
}

func TestZabbixSeverity(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ params, want string }{
		{`"severity":"Disaster"`, "critical"},
		{`"severity":"High"`, "error"},
		{`"severity":"Average"`, "warning"},
		{`"severity":"Warning"`, "warning"},
		{`"severity":"Information"`, "info"},
		{`"severity":"Not classified"`, "info"},
		{`"nseverity":"5"`, "critical"},
		{`"nseverity":"3"`, "warning"},
		{`"severity":"{EVENT.SEVERITY}","nseverity":"2"`, "warning"},
		{`"severity":"Custom level"`, "critical"},
	} {
		got, err := Zabbix([]byte(`{"eventid":"1","eventvalue":"1","eventname":"n","system":"S",`+c.params+`}`), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Severity != c.want {
			t.Errorf("%s: Severity = %q, want %q", c.params, got[0].Severity, c.want)
		}
	}
}

func TestZabbixDropsCredentials(t *testing.T) {
	t.Parallel()
	got, err := Zabbix([]byte(`{"eventid":"1","eventvalue":"1","eventname":"n","system":"S","opsdesk_token":"abc","api_password":"x","team":"db"}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got[0].Labels["opsdesk_token"]; ok {
		t.Error("token stored in Labels")
	}
	if _, ok := got[0].Labels["api_password"]; ok {
		t.Error("password stored in Labels")
	}
	if got[0].Labels["team"] != "db" {
		t.Errorf("Labels[team] = %q, want db", got[0].Labels["team"])
	}
}

func TestZabbixErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, body, field, msg string
	}{
		{"not an object", `[1]`, "", "must be a JSON object"},
		{"eventid missing", `{"eventvalue":"1","subject":"s","system":"S"}`, "eventid", "required"},
		{"eventid unresolved", `{"eventid":"{EVENT.ID}","eventvalue":"1","subject":"s","system":"S"}`, "eventid", "required"},
		{"value missing", `{"eventid":"1","subject":"s","system":"S"}`, "eventvalue", "required"},
		{"value wrong", `{"eventid":"1","EVENT_VALUE":"2","subject":"s","system":"S"}`, "EVENT_VALUE", `must be "1" (problem) or "0" (recovery)`},
		{"status word wrong", `{"eventid":"1","eventstatus":"MAYBE","subject":"s","system":"S"}`, "eventstatus", `"PROBLEM" or "RESOLVED"`},
		{"update wrong", `{"eventid":"1","eventvalue":"1","eventupdate":"2","subject":"s","system":"S"}`, "eventupdate", `must be "1"/"Yes" or "0"/"No"`},
		{"ack wrong", `{"eventid":"1","eventvalue":"1","event_ack":"maybe","subject":"s","system":"S"}`, "event_ack", `must be "1"/"Yes" or "0"/"No"`},
		{"no summary", `{"eventid":"1","eventvalue":"1","system":"S"}`, "subject", "required"},
		{"no system", `{"eventid":"1","eventvalue":"1","subject":"s","system":"{$OPSDESK.SYSTEM}"}`, "system", `no system given; set parameter "system"`},
		{"nested value", `{"eventid":"1","eventvalue":"1","subject":{"a":1},"system":"S"}`, "subject", "must be a string"},
		{"conflicting spellings", `{"eventid":"1","event_id":"2","eventvalue":"1","subject":"s","system":"S"}`, "eventid", "disagrees with event_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := Zabbix([]byte(c.body), Options{})
			wantFieldError(t, got, err, c.field, c.msg)
		})
	}
}

// The sample media type lists every parameter the parser documents.
func TestZabbixMediaTypeSample(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/zabbix_mediatype.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"eventid", "eventvalue", "eventupdate", "eventack", "subject", "message",
		"eventname", "hostname", "severity", "eventdate", "eventtime", "eventtags", "system"} {
		if !strings.Contains(string(b), "- name: "+p+"\n") {
			t.Errorf("media type sample lacks parameter %q", p)
		}
	}
}
