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
