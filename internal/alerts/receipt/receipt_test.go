package receipt

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	smsRef = "5f0c2b9e-7d41-4e8a-9c3f-2a6b1d8e4c70"
	sesRef = "0106019ac2f1d3e8-6b1f0e44-2c9d-4a7e-b0a3-5e8f1c2d9b47-000000"
)

func TestParseSamples(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		want Receipt
	}{
		{"sms_delivered.json", Receipt{KindSMS, smsRef, "TEXT_DELIVERED", Delivered, "DELIVERED (Message has been delivered to the handset)"}},
		{"sms_successful.json", Receipt{KindSMS, smsRef, "TEXT_SUCCESSFUL", Delivered, "SUCCESSFUL (Message has been accepted by phone carrier)"}},
		{"sms_blocked.json", Receipt{KindSMS, smsRef, "TEXT_BLOCKED", Failed, "BLOCKED (Destination phone number is blocked)"}},
		{"sms_ttl_expired.json", Receipt{KindSMS, smsRef, "TEXT_TTL_EXPIRED", Failed,
			"TTL_EXPIRED (The message could not be handed off before its time to live expired)"}},
		// Not final: ignored.
		{"sms_pending.json", Receipt{KindSMS, "", "TEXT_PENDING", "", ""}},
		{"sms_carrier_unreachable_retrying.json", Receipt{KindSMS, smsRef, "TEXT_CARRIER_UNREACHABLE", "", ""}},
		// Not a text message: neither kind.
		{"voice_completed.json", Receipt{"", "", "VOICE_COMPLETED", "", ""}},

		{"ses_delivery.json", Receipt{KindEmail, sesRef, "Delivery", Delivered, "250 2.6.0 Message received"}},
		{"ses_bounce_permanent.json", Receipt{KindEmail, sesRef, "Bounce", Bounced, "Permanent/General bounce (5.1.1 (smtp; 550 5.1.1 user unknown))"}},
		{"ses_bounce_transient.json", Receipt{KindEmail, sesRef, "Bounce", Bounced, "Transient/MailboxFull bounce (4.2.2 (smtp; 452 4.2.2 mailbox full))"}},
		{"ses_complaint.json", Receipt{KindEmail, sesRef, "Complaint", Delivered, "complaint (abuse)"}},
		{"ses_reject.json", Receipt{KindEmail, sesRef, "Reject", Failed, "rejected by SES: Bad content"}},
		{"ses_delivery_delay.json", Receipt{KindEmail, "", "DeliveryDelay", "", ""}},
		{"ses_send.json", Receipt{KindEmail, "", "Send", "", ""}},
		{"ses_notification_bounce.json", Receipt{KindEmail, "0106019ac2f1d3f0-aa11bb22-cc33-4d44-8e55-ff6677889900-000000", "Bounce", Bounced,
			"Permanent/Suppressed bounce (5.1.1 (Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.))"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := Parse(readTestdata(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if *got != tc.want {
				t.Errorf("got  %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

func TestParseOtherEvents(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body string
		want Receipt
	}{
		// A failure without isFinal (older records) is final.
		{`{"eventType":"TEXT_SPAM","messageId":"m1"}`, Receipt{KindSMS, "m1", "TEXT_SPAM", Failed, "TEXT_SPAM"}},
		{`{"eventType":"TEXT_QUEUED","messageId":"m1","isFinal":false}`, Receipt{KindSMS, "", "TEXT_QUEUED", "", ""}},
		{`{"eventType":"TEXT_SOMETHING_NEW","messageId":"m1"}`, Receipt{KindSMS, "", "TEXT_SOMETHING_NEW", "", ""}},
		{`{"eventType":"MEDIA_DELIVERED","messageId":"m1"}`, Receipt{"", "", "MEDIA_DELIVERED", "", ""}},
		// Provider text is one clipped line.
		{`{"eventType":"TEXT_DELIVERED","messageId":" m2 ","messageStatus":"DELIVERED","messageStatusDescription":"line\none\u2028two\t\u0000"}`,
			Receipt{KindSMS, "m2", "TEXT_DELIVERED", Delivered, "DELIVERED (line one two)"}},
		{`{"eventType":"Rendering Failure","mail":{"messageId":"e1"},"failure":{"errorMessage":"Attribute 'name' is not present","templateName":"t"}}`,
			Receipt{KindEmail, "e1", "Rendering Failure", Failed, "template rendering failed: Attribute 'name' is not present"}},
		{`{"eventType":"Open","mail":{"messageId":"e1"}}`, Receipt{KindEmail, "", "Open", "", ""}},
		{`{"eventType":"Delivery","mail":{"messageId":"e1"}}`, Receipt{KindEmail, "e1", "Delivery", Delivered, ""}},
		{`{"eventType":"Bounce","mail":{"messageId":"e1"},"bounce":{"bounceType":"Undetermined","bouncedRecipients":[]}}`,
			Receipt{KindEmail, "e1", "Bounce", Bounced, "Undetermined bounce"}},
	} {
		got, err := Parse([]byte(tc.body))
		if err != nil {
			t.Errorf("%s: %v", tc.body, err)
			continue
		}
		if *got != tc.want {
			t.Errorf("%s:\ngot  %+v\nwant %+v", tc.body, *got, tc.want)
		}
	}
	long := strings.Repeat("x", 2000)
	got, err := Parse([]byte(`{"eventType":"TEXT_BLOCKED","messageId":"m","messageStatus":"` + long + `"}`))
	if err != nil || len(got.Detail) > MaxDetail {
		t.Errorf("long status: %v, %d bytes of detail", err, len(got.Detail))
	}
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ body, field, msg string }{
		{`not json`, "", "not JSON"},
		{`{"eventType":"TEXT_DELIVERED",`, "", "not JSON"},
		{`[1,2]`, "", "a JSON array, not an object"},
		{`null`, "", "null"},
		{`{"messageId":"m"}`, "eventType", "missing"},
		{`{"eventType":5,"messageId":"m"}`, "eventType", "a JSON number where a string belongs"},
		{`{"eventType":""}`, "eventType", "empty"},
		{`{"eventType":"TEXT_DELIVERED"}`, "messageId", "missing"},
		{`{"eventType":"TEXT_DELIVERED","messageId":["m"]}`, "messageId", "a JSON array where a string belongs"},
		{`{"eventType":"TEXT_DELIVERED","messageId":"a b"}`, "messageId", "spaces or control"},
		{`{"eventType":"TEXT_DELIVERED","messageId":"` + strings.Repeat("a", MaxRef+1) + `"}`, "messageId", "longer than a MessageId"},
		{`{"eventType":"TEXT_DELIVERED","messageId":"m","isFinal":"yes"}`, "isFinal", "a JSON string where true or false belongs"},
		{`{"eventType":"Delivery","mail":{}}`, "mail.messageId", "missing"},
		{`{"eventType":"Delivery","mail":"m"}`, "mail", "a JSON string where an object belongs"},
		{`{"eventType":"Delivery","mail":{"messageId":1}}`, "mail.messageId", "number"},
		{`{"eventType":"Delivery","mail":null}`, "mail", "missing"},
		{`{"mail":{"messageId":"e"}}`, "eventType", "missing"},
		{`{"eventType":"Bounce","mail":{"messageId":"e"}}`, "bounce", "missing"},
		{`{"eventType":"Bounce","mail":{"messageId":"e"},"bounce":{}}`, "bounce.bounceType", "missing"},
		{`{"eventType":"Bounce","mail":{"messageId":"e"},"bounce":{"bounceType":"Permanent","bouncedRecipients":{}}}`, "bounce.bouncedRecipients", "object where an array"},
	} {
		got, err := Parse([]byte(tc.body))
		var re *Error
		if !errors.As(err, &re) {
			t.Errorf("%s: got %+v, %v; want an error on %q", tc.body, got, err, tc.field)
			continue
		}
		if re.Field != tc.field || !strings.Contains(re.Msg, tc.msg) {
			t.Errorf("%s: error %q (field %q); want field %q, …%s…", tc.body, err, re.Field, tc.field, tc.msg)
		}
	}
}

func FuzzParse(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			f.Add(readTestdata(f, e.Name()))
		}
	}
	f.Add([]byte(`{"eventType":"TEXT_DELIVERED","messageId":"\ud800","isFinal":null}`))
	f.Add([]byte(`{"eventType":"Bounce","mail":{"messageId":"x"},"bounce":{"bounceType":"\u0000","bouncedRecipients":[{"status":1}]}}`))
	f.Add([]byte(`{"notificationType":"Complaint","mail":{"messageId":"x"},"complaint":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := Parse(body)
		again, err2 := Parse(body)
		if (err == nil) != (err2 == nil) || !reflect.DeepEqual(r, again) {
			t.Fatalf("not deterministic: %+v %v / %+v %v", r, err, again, err2)
		}
		if err != nil {
			var re *Error
			if !errors.As(err, &re) || r != nil {
				t.Fatalf("error %v (%T) with receipt %+v", err, err, r)
			}
			return
		}
		switch r.Outcome {
		case "":
			if r.Detail != "" {
				t.Fatalf("ignored receipt with detail %+v", r)
			}
		case Delivered, Bounced, Failed:
			if r.Kind != KindSMS && r.Kind != KindEmail {
				t.Fatalf("outcome of kind %q", r.Kind)
			}
			if r.Ref == "" || len(r.Ref) > MaxRef || strings.ContainsAny(r.Ref, " \t\r\n") {
				t.Fatalf("bad ref %q", r.Ref)
			}
		default:
			t.Fatalf("outcome %q", r.Outcome)
		}
		if len(r.Detail) > MaxDetail || strings.ContainsAny(r.Detail, "\r\n\x00") || !utf8.ValidString(r.Detail) && utf8.ValidString(string(body)) {
			t.Fatalf("detail %q", r.Detail)
		}
	})
}
