package alerts_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/events/samples"
)

func eventSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := samples.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSignalsFromEvent: the built-in alarm rule (op auto) follows the
// alarm; rules with op open / resolve turn any event into an alert keyed
// by its source and resources, so the event that resolves matches the one
// that opened.
func TestSignalsFromEvent(t *testing.T) {
	t.Parallel()
	alarm := eventSample(t, "alarm-state-change")
	sigs, err := alerts.SignalsFromEvent(alarm, alerts.EventRule{Op: "auto"}, parse.Options{DefaultSystem: "XYZ"})
	if err != nil || len(sigs) != 1 || sigs[0].Status != parse.StatusFiring || sigs[0].System != "XYZ" ||
		sigs[0].DedupKey != "arn:aws:cloudwatch:ap-northeast-1:141855812477:alarm:billing-api-5xx" {
		t.Fatalf("alarm: %+v %v", sigs, err)
	}
	sigs, err = alerts.SignalsFromEvent(alarm, alerts.EventRule{Op: "auto", System: "Billing", Severity: "warning"}, parse.Options{DefaultSystem: "XYZ"})
	if err != nil || sigs[0].System != "Billing" || sigs[0].Severity != parse.SeverityWarning {
		t.Fatalf("overrides: %+v %v", sigs, err)
	}
	if _, err := alerts.SignalsFromEvent(alarm, alerts.EventRule{Op: "auto"}, parse.Options{}); err == nil {
		t.Error("an alarm without a system was accepted")
	}
	// Event rules see every event in EventBridge's shape.
	ev := eventSample(t, "scheduled")
	open, err := alerts.SignalsFromEvent(ev, alerts.EventRule{Op: "open", System: "Storage"}, parse.Options{})
	if err != nil || len(open) != 1 || open[0].Status != parse.StatusFiring || open[0].Source != alerts.SourceEvent ||
		open[0].DedupKey != "aws.events:arn:aws:events:ap-northeast-1:141855812477:rule/opsdesk-case-archive-sync" ||
		open[0].Summary != "Scheduled Event: arn:aws:events:ap-northeast-1:141855812477:rule/opsdesk-case-archive-sync" {
		t.Fatalf("open: %+v %v", open, err)
	}
	closed, err := alerts.SignalsFromEvent(ev, alerts.EventRule{Op: "resolve", System: "Storage"}, parse.Options{})
	if err != nil || closed[0].Status != parse.StatusResolved || closed[0].DedupKey != open[0].DedupKey {
		t.Fatalf("resolve: %+v %v", closed, err)
	}
	if _, err := alerts.SignalsFromEvent(ev, alerts.EventRule{Op: "open"}, parse.Options{}); err == nil {
		t.Error("a rule without a system opened an alert")
	}
	if _, err := alerts.SignalsFromEvent(ev, alerts.EventRule{Op: "maybe", System: "x"}, parse.Options{}); err == nil {
		t.Error("an unknown op was accepted")
	}
	var fe *parse.FieldError
	if _, err := alerts.SignalsFromEvent([]byte(`{"detail":1}`), alerts.EventRule{Op: "open", System: "x"}, parse.Options{}); !errors.As(err, &fe) {
		t.Errorf("not an event: %v", err)
	}
}

func TestContactIDsFromEvent(t *testing.T) {
	t.Parallel()
	ids, err := alerts.ContactIDsFromEvent(eventSample(t, "connect-contact-event"))
	if err != nil || len(ids) != 1 || ids[0] != "9b0d2e6a-3c51-4f7e-b8a2-1e4c7d9f0a35" {
		t.Fatalf("%v %v", ids, err)
	}
	if _, err := alerts.ContactIDsFromEvent(eventSample(t, "s3-put")); err == nil {
		t.Error("an S3 event gave a contact id")
	}
	ids, err = alerts.ContactIDsFromEvent([]byte(`{"source":"aws.connect","detail":{"contactId":"b","initialContactId":"a"}}`))
	if err != nil || strings.Join(ids, ",") != "b,a" {
		t.Errorf("transferred contact: %v %v", ids, err)
	}
}

// FuzzSignalsFromEvent: whatever an event rule hands over, the decoder
// does not panic, and what it returns is bounded and well-formed.
func FuzzSignalsFromEvent(f *testing.F) {
	for _, n := range []string{"alarm-state-change", "s3-put", "connect-contact-event", "scheduled", "support-case-update"} {
		f.Add(eventSample(f, n), "open")
	}
	f.Add([]byte(`{"source":"x","detail-type":"y","resources":["`+strings.Repeat("r", 400)+`"]}`), "resolve")
	f.Add([]byte(`{"source":"aws.connect","detail":{"contactId":""}}`), "auto")
	f.Fuzz(func(t *testing.T, raw []byte, op string) {
		_, _ = alerts.ContactIDsFromEvent(raw)
		sigs, err := alerts.SignalsFromEvent(raw, alerts.EventRule{Op: op, System: "Fuzz"}, parse.Options{})
		if err != nil {
			return
		}
		for _, s := range sigs {
			if s.System == "" || s.DedupKey == "" || utf8.RuneCountInString(s.DedupKey) > parse.MaxDedupKey ||
				utf8.RuneCountInString(s.Summary) > parse.MaxSummary || len(s.Details) > parse.MaxDetails ||
				(s.Status != parse.StatusFiring && s.Status != parse.StatusResolved) {
				b, _ := json.Marshal(s)
				t.Fatalf("bad signal from %q: %s", raw, b)
			}
		}
	})
}

// TestEventSignalKeyIgnoresTime: an event rule's alert (op open/resolve)
// is keyed by the event's source and resources; a later delivery of the
// same situation — a new event id, a later time — hits the same alert, a
// different resource another one.
func TestEventSignalKeyIgnoresTime(t *testing.T) {
	t.Parallel()
	ev := func(id, at, resource string) []byte {
		return []byte(`{"version":"0","id":"` + id + `","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2",
			"account":"123456789012","time":"` + at + `","region":"ap-northeast-1","resources":["arn:aws:ec2:ap-northeast-1:123456789012:instance/` + resource + `"],
			"detail":{"instance-id":"` + resource + `","state":"stopped"}}`)
	}
	one := func(raw []byte) parse.Signal {
		t.Helper()
		sigs, err := alerts.SignalsFromEvent(raw, alerts.EventRule{Op: "open", System: "XYZ"}, parse.Options{})
		if err != nil || len(sigs) != 1 {
			t.Fatalf("%v %d", err, len(sigs))
		}
		return sigs[0]
	}
	early := one(ev("b7f1", "2024-05-01T01:00:00Z", "i-0d6c06981a9aa5112"))
	late := one(ev("c902", "2024-05-02T17:30:00Z", "i-0d6c06981a9aa5112"))
	other := one(ev("b7f1", "2024-05-01T01:00:00Z", "i-0aa00000000000001"))
	if early.StartedAt.Equal(late.StartedAt) {
		t.Fatalf("StartedAt %v twice: the events must differ in time", early.StartedAt)
	}
	if early.DedupKey != late.DedupKey {
		t.Errorf("same resource, later event: DedupKey %q became %q", early.DedupKey, late.DedupKey)
	}
	if other.DedupKey == early.DedupKey {
		t.Errorf("another resource got the same DedupKey %q", other.DedupKey)
	}
}

// TestEventAlertSystem: where the alert of an event gets its system, first
// found first: the rule's alert action, the alarm's own "system" tag, the
// delivery's ?system= (IntakeSystem), alerts.default_system. Without any,
// the error names every way to give one — the URL included, since the
// events endpoint honours it.
func TestEventAlertSystem(t *testing.T) {
	t.Parallel()
	alarm := eventSample(t, "alarm-state-change") // no "system" tag
	var tagged map[string]any
	if err := json.Unmarshal(alarm, &tagged); err != nil {
		t.Fatal(err)
	}
	tagged["detail"].(map[string]any)["alarmTags"] = map[string]any{"system": "FromTag"}
	withTag, _ := json.Marshal(tagged)
	scheduled := eventSample(t, "scheduled")
	for _, c := range []struct {
		name string
		raw  []byte
		rule alerts.EventRule
		def  string
		want string
	}{
		{"rule's system wins over all", withTag, alerts.EventRule{Op: "auto", System: "FromRule", IntakeSystem: "FromURL"}, "Default", "FromRule"},
		{"the alarm's tag over the URL", withTag, alerts.EventRule{Op: "auto", IntakeSystem: "FromURL"}, "Default", "FromTag"},
		{"the URL over the default", alarm, alerts.EventRule{Op: "auto", IntakeSystem: "FromURL"}, "Default", "FromURL"},
		{"the default", alarm, alerts.EventRule{Op: "auto"}, "Default", "Default"},
		{"the URL only", alarm, alerts.EventRule{Op: "auto", IntakeSystem: "FromURL"}, "", "FromURL"},
		{"open: the URL", scheduled, alerts.EventRule{Op: "open", IntakeSystem: "FromURL"}, "Default", "FromURL"},
		{"open: the rule over the URL", scheduled, alerts.EventRule{Op: "open", System: "FromRule", IntakeSystem: "FromURL"}, "", "FromRule"},
	} {
		sigs, err := alerts.SignalsFromEvent(c.raw, c.rule, parse.Options{DefaultSystem: c.def})
		if err != nil || len(sigs) != 1 || sigs[0].System != c.want {
			t.Errorf("%s: %+v %v; want system %s", c.name, sigs, err, c.want)
		}
	}
	for _, c := range []struct {
		name, what string
		raw        []byte
		op         string
	}{
		{"alarm", `no system for this alarm: tag the alarm "system" (with tag propagation on), `, alarm, "auto"},
		{"event", "no system for this event: ", scheduled, "open"},
	} {
		_, err := alerts.SignalsFromEvent(c.raw, alerts.EventRule{Op: c.op}, parse.Options{})
		var fe *parse.FieldError
		want := c.what + "add ?system=NAME to the URL that posts the events (/api/v1/events?system=NAME), give the rule's alert action a system " +
			"(a rule of events.rules or the console; the built-in rule has none), or set alerts.default_system"
		if !errors.As(err, &fe) || fe.Field != "system" || fe.Msg != want {
			t.Errorf("%s without a system: %v\nwant system: %s", c.name, err, want)
		}
	}
}
