package parse

import (
	"maps"
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
		{"nothing names the problem", `{"eventid":"1","eventvalue":"1","system":"S"}`, "subject", "nothing names the problem: give subject ({ALERT.SUBJECT}), eventname ({EVENT.NAME}), triggerdescription ({TRIGGER.DESCRIPTION}), message ({ALERT.MESSAGE}) or hostname ({HOST.NAME})"},
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
		"eventname", "triggerdescription", "hostname", "severity", "eventdate", "eventtime", "eventtags", "system"} {
		if !strings.Contains(string(b), "- name: "+p+"\n") {
			t.Errorf("media type sample lacks parameter %q", p)
		}
	}
}

// A media type set up the way many people do it: snake_case parameter
// names, the seed's "systemname", {EVENT.TAGS} in its rendered form, and
// no message template (so {ALERT.SUBJECT} and {ALERT.MESSAGE} are empty):
// the summary is built from the event name and host, the trigger
// description becomes the details.
func TestZabbixAsConfigured(t *testing.T) {
	t.Parallel()
	got, err := Zabbix(readTestdata(t, "zabbix_problem_tags.json"), Options{Location: jst, DefaultSystem: "unused"})
	if err != nil {
		t.Fatal(err)
	}
	const name = "MySQL: Replication lag is too high (over 30s)"
	checkSignals(t, got, []Signal{{
		Source: "zabbix", System: "XYZ", DedupKey: "8812734", Status: StatusFiring,
		Summary:  name + " on db02",
		Details:  "The replica is behind its source.\nCheck the I/O and SQL threads (SHOW REPLICA STATUS).",
		Severity: "warning", Host: "db02", Service: name,
		StartedAt: utc(2024, 5, 1, 0, 0, 12, 0),
		Labels: map[string]string{
			"eventid": "8812734", "severity": "Average", "nseverity": "3", "eventdate": "2024.05.01", "eventtime": "09:00:12",
			"ack": "No", "triggerid": "31077", "zabbix_url": "https://zabbix.example.com",
			"tag.class": "database", "tag.component": "replication", "tag.scope": "performance",
			"tag.runbook": "https://wiki.example.com/db/replication-lag", "tags": "critical",
		},
	}})
}

// {EVENT.TAGS} is rendered by Zabbix as "<tag>[:<value>], …", sorted by
// tag; {EVENT.TAGSJSON} as a JSON array. Both become labels, whatever the
// parameter is called.
func TestZabbixTags(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, params string
		system       string
		labels       map[string]string
	}{
		{"rendered", `"eventtags":"class:os, component:cpu, system:XYZ"`, "XYZ",
			map[string]string{"tag.class": "os", "tag.component": "cpu", "tag.system": "XYZ"}},
		{"rendered, tags without a value", `"eventtags":"critical, pci, scope:availability"`, "Default",
			map[string]string{"tag.scope": "availability", "tags": "critical, pci"}},
		{"rendered, values holding ':'", `"event_tags":"runbook:https://wiki.example.com/x?a=b:c, time:09:00-18:00"`, "Default",
			map[string]string{"tag.runbook": "https://wiki.example.com/x?a=b:c", "tag.time": "09:00-18:00"}},
		{"rendered, a tag given twice", `"tags":"service:mysql, service:nginx, service:mysql"`, "Default",
			map[string]string{"tag.service": "mysql, nginx"}},
		{"rendered, the seed's systemname as a tag", `"eventtags":"systemname:Billing"`, "Billing",
			map[string]string{"tag.systemname": "Billing"}},
		{"rendered, one tag", `"eventtags":"system:XYZ"`, "XYZ", map[string]string{"tag.system": "XYZ"}},
		{"JSON", `"eventtags":"[{\"tag\":\"class\",\"value\":\"os\"},{\"tag\":\"critical\",\"value\":\"\"},{\"tag\":\"system\",\"value\":\"XYZ\"}]"`, "XYZ",
			map[string]string{"tag.class": "os", "tag.system": "XYZ", "tags": "critical"}},
		{"JSON as a JSON value", `"eventtagsjson":[{"tag":"class","value":"os"}]`, "Default", map[string]string{"tag.class": "os"}},
		{"JSON object", `"eventtags":{"team":"db","system":"XYZ"}`, "XYZ", map[string]string{"tag.team": "db", "tag.system": "XYZ"}},
		{"both forms: the JSON one wins", `"eventtagsjson":"[{\"tag\":\"url\",\"value\":\"a, b\"}]","eventtags":"url:a, b"`, "Default",
			map[string]string{"tag.url": "a, b"}},
		{"unexpanded macro", `"eventtags":"{EVENT.TAGS}"`, "Default", map[string]string{}},
		{"empty", `"eventtags":""`, "Default", map[string]string{}},
		{"broken JSON is kept as text", `"eventtags":"[{\"tag\":\"class\""`, "Default", map[string]string{"eventtags": `[{"tag":"class"`}},
		{"JSON of another shape is kept as text", `"eventtags":"[1,2]"`, "Default", map[string]string{"eventtags": "[1,2]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := Zabbix([]byte(`{"eventid":"5","eventvalue":"1","eventname":"n",`+c.params+`}`), Options{DefaultSystem: "Default"})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"eventid": "5"}
			for k, v := range c.labels {
				want[k] = v
			}
			checkSignals(t, got, []Signal{{Source: "zabbix", System: c.system, DedupKey: "5", Status: StatusFiring,
				Summary: "n", Severity: "", Service: "n", Labels: want}})
		})
	}
}

func TestZabbixTagString(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]map[string]string{
		"a:1, b, c:x:y":  {"a": "1", "b": "", "c": "x:y"},
		" a : 1 ,  b:2 ": {"a": "1", "b": "2"},
		"a:1,b:2":        {"a": "1,b:2"}, // only ", " separates
		":v, , k:":       {"k": ""},
		"障害:発生, 担当:チームA": {"障害": "発生", "担当": "チームA"},
	} {
		got := zabbixTagString(in)
		if !maps.Equal(got, want) {
			t.Errorf("zabbixTagString(%q) = %q, want %q", in, got, want)
		}
	}
}

// The seed's "systemname" is the same parameter as "system": either names
// the system; both may be given when they agree; two different names are
// refused naming both, whatever else could name the system.
func TestZabbixSystemname(t *testing.T) {
	t.Parallel()
	base := `"eventid":"9","eventvalue":"1","eventname":"n","eventtags":"system:FromTag",`
	for _, c := range []struct{ params, want string }{
		{`"systemname":"XYZ"`, "XYZ"},
		{`"system_name":"XYZ"`, "XYZ"},
		{`"system":"XYZ","systemname":"XYZ"`, "XYZ"},
		{`"system":"XYZ","systemname":"{$OPSDESK.SYSTEM}"`, "XYZ"}, // an unexpanded macro is not a value
		{`"systemname":""`, "FromTag"},
	} {
		got, err := Zabbix([]byte(`{`+base+c.params+`}`), Options{DefaultSystem: "FromURL"})
		if err != nil {
			t.Errorf("%s: %v", c.params, err)
			continue
		}
		if got[0].System != c.want {
			t.Errorf("%s: System = %q, want %q", c.params, got[0].System, c.want)
		}
		if _, ok := got[0].Labels["systemname"]; ok {
			t.Errorf("%s: systemname copied to Labels", c.params)
		}
	}
	got, err := Zabbix([]byte(`{`+base+`"system":"XYZ","systemname":"Billing"}`), Options{})
	wantFieldError(t, got, err, "systemname", `is "Billing" but system is "XYZ"; they name the same thing, give one of them`)
	got, err = Zabbix([]byte(`{`+base+`"opsdesk_system":"XYZ","SystemName":"Billing"}`), Options{})
	wantFieldError(t, got, err, "opsdesk_system", `is "XYZ" but SystemName is "Billing"`)
}

// Without a subject the summary is built from what names the problem; only
// a problem that nothing names is refused.
func TestZabbixSummaryWithoutSubject(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, params, want string
	}{
		{"event name and host", `"eventvalue":"1","eventname":"High CPU","hostname":"web01"`, "High CPU on web01"},
		{"trigger name (older media types)", `"eventvalue":"1","trigger_name":"High CPU","host":"web01"`, "High CPU on web01"},
		{"name already names the host", `"eventvalue":"1","eventname":"web01 is unreachable for 5 minutes","hostname":"web01"`, "web01 is unreachable for 5 minutes"},
		{"name without host", `"eventvalue":"1","eventname":"High CPU"`, "High CPU"},
		{"trigger description", `"eventvalue":"1","triggerdescription":"\nDisk /var is almost full\nfree: 2%","hostname":"db1"`, "Disk /var is almost full on db1"},
		{"message only", `"eventvalue":"1","message":"Problem started at 09:00\nHost: db1"`, "Problem started at 09:00"},
		{"subject unexpanded", `"eventvalue":"1","subject":"{ALERT.SUBJECT}","eventname":"High CPU"`, "High CPU"},
		{"host only", `"eventvalue":"1","hostname":"web01"`, "Zabbix event 42 on web01"},
		{"recovery with only the id", `"eventvalue":"0"`, "Zabbix event 42"},
		{"update with only the id", `"eventvalue":"1","eventupdate":"1","eventack":"Yes"`, "Zabbix event 42"},
		{"subject wins", `"eventvalue":"1","subject":"Problem: High CPU","eventname":"High CPU","hostname":"web01"`, "Problem: High CPU"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := Zabbix([]byte(`{"eventid":"42","system":"S",`+c.params+`}`), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got[0].Summary != c.want {
				t.Errorf("Summary = %q, want %q", got[0].Summary, c.want)
			}
		})
	}
	// The description goes to Details when there is no message, else to
	// Labels.
	got, err := Zabbix([]byte(`{"eventid":"1","eventvalue":"1","system":"S","eventname":"n","description":"d","message":"m"}`), Options{})
	if err != nil || got[0].Details != "m" || got[0].Labels["description"] != "d" {
		t.Errorf("description with a message: %+v %v", got, err)
	}
	for _, body := range []string{
		`{"eventid":"1","eventvalue":"1","system":"S"}`,
		`{"eventid":"1","eventvalue":"1","system":"S","subject":" ","message":"{ALERT.MESSAGE}","eventname":"{EVENT.NAME}","hostname":"{HOST.NAME}"}`,
	} {
		got, err := Zabbix([]byte(body), Options{})
		wantFieldError(t, got, err, "subject", "nothing names the problem: give subject ({ALERT.SUBJECT}), eventname ({EVENT.NAME}), "+
			"triggerdescription ({TRIGGER.DESCRIPTION}), message ({ALERT.MESSAGE}) or hostname ({HOST.NAME})")
	}
}
