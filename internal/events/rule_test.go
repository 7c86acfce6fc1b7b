package events

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRuleCompile(t *testing.T) {
	hasDest := func(n string) bool { return n == "ops" }
	for _, tc := range []struct {
		rule  Rule
		field string // "" = valid
	}{
		{Rule{Name: "ok", Pattern: json.RawMessage(`{"source":["aws.s3"]}`), Actions: []Action{{Type: ActionNotify, Destination: "ops", Title: `{{field "detail.x"}}`}}}, ""},
		{Rule{Name: "", Pattern: json.RawMessage(`{"source":["x"]}`), Actions: []Action{{Type: ActionStore}}}, "name"},
		{Rule{Name: "bad pattern", Pattern: json.RawMessage(`{"source":["x"]}`), Actions: []Action{{Type: ActionStore}}}, "name"},
		{Rule{Name: "p", Pattern: json.RawMessage(`{"source":"x"}`), Actions: []Action{{Type: ActionStore}}}, "pattern"},
		{Rule{Name: "p", Pattern: json.RawMessage(`{"source":["x"]}`)}, "actions"},
		{Rule{Name: "p", Pattern: json.RawMessage(`{"source":["x"]}`), Actions: []Action{{Type: "page"}}}, "actions[0].type"},
		{Rule{Name: "p", Pattern: json.RawMessage(`{"source":["x"]}`), Actions: []Action{{Type: ActionStore}, {Type: ActionNotify}}}, "actions[1].destination"},
		{Rule{Name: "p", Pattern: json.RawMessage(`{"source":["x"]}`), Actions: []Action{{Type: ActionNotify, Destination: "nope"}}}, "actions[0].destination"},
		{Rule{Name: "p", Pattern: json.RawMessage(`{"source":["x"]}`), Actions: []Action{{Type: ActionNotify, Destination: "ops", Template: "{{.source"}}}, "actions[0].template"},
		{Rule{Name: "p", Pattern: json.RawMessage(`{"source":["x"]}`), Actions: []Action{{Type: ActionAlert, Op: "close"}}}, "actions[0].op"},
		{Rule{Name: "p", Pattern: json.RawMessage(`{"source":["x"]}`), Actions: []Action{{Type: ActionAlert, Severity: "huge"}}}, "actions[0].severity"},
	} {
		err := tc.rule.Compile(hasDest)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.rule.Name, err)
			}
			continue
		}
		fe, ok := err.(*FieldError)
		if !ok || fe.Field != tc.field {
			t.Errorf("%+v: error %v; want field %s", tc.rule, err, tc.field)
		}
	}
	for _, r := range Builtin(nil) {
		if err := r.Compile(nil); err != nil {
			t.Errorf("built-in %s: %v", r.Name, err)
		}
	}
	if n := len(Builtin([]string{RuleConnectContact})); n != 3 {
		t.Errorf("disabling one built-in rule leaves %d", n)
	}
}

func TestRender(t *testing.T) {
	var ev map[string]any
	dec := json.NewDecoder(strings.NewReader(`{"source":"aws.cloudwatch","detail-type":"CloudWatch Alarm State Change","resources":["arn:a","arn:b"],
		"detail":{"alarmName":"cpu-高い","state":{"value":"ALARM","count":3.0}}}`))
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil {
		t.Fatal(err)
	}
	for tmpl, want := range map[string]string{
		`{{field "detail.alarmName"}} is {{field "detail.state.value"}}`: "cpu-高い is ALARM",
		`{{field "detail.state.count"}}`:                                 "3.0",
		`{{field "resources.1"}}|{{field "nope.x"}}|`:                    "arn:b||",
		`{{json .detail.state}}`:                                         `{"count":3.0,"value":"ALARM"}`,
		"":                                                               "CloudWatch Alarm State Change from aws.cloudwatch",
	} {
		got, err := render(tmpl, defaultTitle, ev)
		if err != nil || got != want {
			t.Errorf("%q: %q %v; want %q", tmpl, got, err, want)
		}
	}
	body, err := render("", defaultTemplate, ev)
	if err != nil || !strings.HasPrefix(body, "Resources: arn:a, arn:b\n") || !strings.Contains(body, `"alarmName": "cpu-高い"`) {
		t.Errorf("default template: %q %v", body, err)
	}
	if id := SupportCaseID(json.RawMessage(`{"detail":{"case-id":" case-1 "}}`)); id != "case-1" {
		t.Errorf("case id %q", id)
	}
}
