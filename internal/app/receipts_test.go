package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

const (
	receiptsTopic = "arn:aws:sns:ap-northeast-1:123456789012:opsdesk-receipts"
	otherTopic    = "arn:aws:sns:ap-northeast-1:123456789012:someone-else"
	smsMessageID  = "5f0c2b9e-7d41-4e8a-9c3f-2a6b1d8e4c70"
	sesMessageID  = "0106019ac2f1d3e8-6b1f0e44-2c9d-4a7e-b0a3-5e8f1c2d9b47-000000"
)

// receiptsApp is opsdesk taking receipts of one topic, with an alert that
// has an SMS and an email page, both accepted by their provider.
type receiptsApp struct {
	t     *testing.T
	s     *apptest.Server
	sns   *fake.SNS
	alert int64
}

func startReceiptsApp(t *testing.T, engine string, sns *fake.SNS) *receiptsApp {
	t.Helper()
	cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
log_level: error
alerts:
  systems:
    - name: web
      routes: [{record_only: true}]
oncall:
  receipts:
    sns_topics: [` + receiptsTopic + `]
`))
	if err != nil {
		t.Fatal(err)
	}
	s := apptest.StartWith(t, cfg, nil, func(o *app.Options) {
		o.SNSCertAllowed, o.SNSClient = sns.CertURLAllowed, sns.Client()
	})
	ctx := context.Background()
	res, err := s.App.Alerts().Ingest(ctx, []parse.Signal{{Source: parse.SourceNative, System: "web", DedupKey: "db1", Status: parse.StatusFiring,
		Summary: "db1 is down", Severity: parse.SeverityCritical, Labels: map[string]string{}}}, "test")
	if err != nil || len(res) != 1 || res[0].AlertID == 0 {
		t.Fatalf("ingest: %v %+v", err, res)
	}
	// The pages as the page runner leaves them once the provider took
	// them: sent, accepted, the provider's MessageId as ref.
	st := s.App.St
	now := store.Millis(time.Now())
	for i, p := range [][3]string{{alerts.PageSMS, "+819011110001", smsMessageID}, {alerts.PageEmail, "sato@example.com", sesMessageID}} {
		if _, err := st.W.ExecContext(ctx, st.Q(`INSERT INTO alert_pages (alert_id, round, step, target, user_name, method_id, kind, address, language,
			status, due_at, attempts, ref, outcome, created_at, sent_at, updated_at) VALUES (?, 1, 0, 'user:sato', 'sato', ?, ?, ?, 'ja', 'sent', ?, 1, ?, 'accepted', ?, ?, ?)`),
			res[0].AlertID, i+1, p[0], p[1], now, p[2], now, now, now); err != nil {
			t.Fatal(err)
		}
	}
	return &receiptsApp{t: t, s: s, sns: sns, alert: res[0].AlertID}
}

// post sends an SNS HTTP/S delivery to /hooks/sns/receipts.
func (a *receiptsApp) post(body []byte) (int, map[string]string) {
	a.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.s.URL+"/hooks/sns/receipts", bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	req.Header.Set("X-Amz-Sns-Message-Type", "Notification")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		a.t.Fatalf("answer %d is not JSON: %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, m
}

func (a *receiptsApp) page(kind string) *alerts.Page {
	a.t.Helper()
	ps, err := a.s.App.Alerts().Pages(context.Background(), a.alert)
	if err != nil {
		a.t.Fatal(err)
	}
	for _, p := range ps {
		if p.Kind == kind {
			return p
		}
	}
	a.t.Fatalf("no %s page", kind)
	return nil
}

// entries are the timeline's page entries, as "kind actor: detail".
func (a *receiptsApp) entries() []string {
	a.t.Helper()
	es, err := a.s.App.Alerts().Timeline(context.Background(), a.alert)
	if err != nil {
		a.t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.Kind == alerts.KindPage || e.Kind == alerts.KindPageFailed {
			out = append(out, e.Kind+" "+e.Actor+": "+e.Detail)
		}
	}
	return out
}

func smsEvent(eventType, status, desc, id string) string {
	b, _ := json.Marshal(fake.SMSEvent{
		EventType: eventType, EventVersion: "1.0", EventTimestamp: time.Now().UnixMilli(), IsFinal: true,
		OriginationPhoneNumber: "+81345550100", DestinationPhoneNumber: "+819011110001", MCC: "440", MNC: "10",
		MessageID: id, MessageRequestTimestamp: time.Now().Add(-3 * time.Second).UnixMilli(), MessageEncoding: "UCS2",
		MessageType: "TRANSACTIONAL", MessageStatus: status, MessageStatusDescription: desc, TotalMessageParts: 1, TotalMessagePrice: 0.0716,
	})
	return string(b)
}

func sesBounce(id string) string {
	b, _ := json.Marshal(fake.SESEvent{
		EventType: "Bounce",
		Mail: fake.SESEventMail{Timestamp: "2026-12-07T08:00:00.120Z", Source: "pager@ops.example.com", MessageID: id,
			Destination: []string{"sato@example.com"}, CommonHeaders: fake.SESCommonHeaders{From: []string{"pager@ops.example.com"}, MessageID: id, Subject: "db1 is down"}},
		Bounce: &fake.SESBounce{BounceType: "Permanent", BounceSubType: "General", Timestamp: "2026-12-07T08:00:03.000Z",
			BouncedRecipients: []fake.SESBouncedRecipient{{EmailAddress: "sato@example.com", Action: "failed", Status: "5.1.1", DiagnosticCode: "smtp; 550 5.1.1 user unknown"}}},
	})
	return string(b)
}

// TestReceiptsOverSNS: signed SNS deliveries of End User Messaging SMS
// and SES events settle the pages they are about and go on the alert's
// timeline, once; the subscription of the listed topic is confirmed;
// other topics, bad signatures and unreadable records change nothing.
func TestReceiptsOverSNS(t *testing.T) {
	sns := fake.NewSNS(t)
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			a := startReceiptsApp(t, engine, sns)

			// Subscriptions: the listed topic is confirmed, another is not.
			if code, m := a.post(sns.SubscriptionConfirmation(receiptsTopic)); code != 200 || m["status"] != "confirmed" {
				t.Fatalf("confirmation: %d %v", code, m)
			}
			if code, m := a.post(sns.SubscriptionConfirmation(otherTopic)); code != 403 || m["field"] != "TopicArn" {
				t.Fatalf("confirmation of another topic: %d %v", code, m)
			}
			if got := sns.Confirmed(); slices.Contains(got, otherTopic) || !slices.Contains(got, receiptsTopic) {
				t.Fatalf("confirmed %v", got)
			}

			// Not final yet: ignored.
			if code, m := a.post(sns.Notification(receiptsTopic, "", smsEvent("TEXT_PENDING", "PENDING", "Message is pending delivery to the carrier", smsMessageID))); code != 200 || m["status"] != "ignored" {
				t.Fatalf("pending: %d %v", code, m)
			}
			if p := a.page(alerts.PageSMS); p.Outcome != "accepted" {
				t.Fatalf("SMS page %s after a pending event", p.Outcome)
			}

			// Delivered, and the same delivery again (SNS delivers at
			// least once): one entry.
			delivered := sns.Notification(receiptsTopic, "", smsEvent("TEXT_DELIVERED", "DELIVERED", "Message has been delivered to the handset", smsMessageID))
			for range 2 {
				if code, m := a.post(delivered); code != 200 || m["status"] != "recorded" || m["outcome"] != "delivered" {
					t.Fatalf("delivered: %d %v", code, m)
				}
			}
			if p := a.page(alerts.PageSMS); p.Status != alerts.PageSent || p.Outcome != alerts.OutcomeDelivered {
				t.Fatalf("SMS page %s %s after the receipt", p.Status, p.Outcome)
			}
			want := []string{"page sato: sms +819******001 (round 1, step 1): delivered: DELIVERED (Message has been delivered to the handset)"}
			if got := a.entries(); !slices.Equal(got, want) {
				t.Fatalf("timeline %q, want %q", got, want)
			}

			// The email bounced: the page failed.
			if code, m := a.post(sns.Notification(receiptsTopic, "Amazon SES Email Event Notification", sesBounce(sesMessageID))); code != 200 || m["status"] != "recorded" || m["outcome"] != "bounced" {
				t.Fatalf("bounce: %d %v", code, m)
			}
			if p := a.page(alerts.PageEmail); p.Status != alerts.PageFailed || p.Outcome != alerts.OutcomeBounced || !strings.Contains(p.Error, "5.1.1") {
				t.Fatalf("email page %s %s %q after the bounce", p.Status, p.Outcome, p.Error)
			}
			want = append(want, "page_failed sato: email s***@example.com (round 1, step 1): bounced: Permanent/General bounce (5.1.1 (smtp; 550 5.1.1 user unknown))")
			if got := a.entries(); !slices.Equal(got, want) {
				t.Fatalf("timeline %q, want %q", got, want)
			}

			// Nothing below changes a page or the timeline.
			blocked := sns.Notification(receiptsTopic, "", smsEvent("TEXT_BLOCKED", "BLOCKED", "Destination phone number is blocked", smsMessageID))
			var env map[string]any
			if err := json.Unmarshal(blocked, &env); err != nil {
				t.Fatal(err)
			}
			env["Message"] = strings.Replace(env["Message"].(string), smsMessageID, "0d9a1e55-3b7c-4f20-8e6d-9b4c2f1a7e33", 1)
			forged, _ := json.Marshal(env)
			if code, m := a.post(forged); code != 403 || m["field"] != "Signature" {
				t.Errorf("forged message: %d %v", code, m)
			}
			env["Message"], env["Signature"] = smsEvent("TEXT_BLOCKED", "BLOCKED", "x", smsMessageID), "bm90IGEgc2lnbmF0dXJl"
			forged, _ = json.Marshal(env)
			if code, m := a.post(forged); code != 403 || m["field"] != "Signature" {
				t.Errorf("bad signature: %d %v", code, m)
			}
			if code, m := a.post(sns.Notification(otherTopic, "", smsEvent("TEXT_BLOCKED", "BLOCKED", "x", smsMessageID))); code != 403 || m["field"] != "TopicArn" {
				t.Errorf("other topic: %d %v", code, m)
			}
			if code, m := a.post(sns.Notification(receiptsTopic, "", `{"eventType":"TEXT_BLOCKED","messageId":42}`)); code != 400 || m["field"] != "Message.messageId" {
				t.Errorf("unreadable record: %d %v", code, m)
			}
			if code, m := a.post(sns.Notification(receiptsTopic, "", smsEvent("TEXT_BLOCKED", "BLOCKED", "x", "9b1f3c0e-0000-4000-8000-000000000000"))); code != 200 || m["status"] != "unknown message" {
				t.Errorf("unknown message: %d %v", code, m)
			}
			if code, m := a.post([]byte(`{"Type":"Notification"`)); code != 400 {
				t.Errorf("not an SNS message: %d %v", code, m)
			}
			if code, m := a.post(bytes.Repeat([]byte("x"), 2<<20)); code != 413 {
				t.Errorf("2 MiB body: %d %v", code, m)
			}
			if p := a.page(alerts.PageSMS); p.Status != alerts.PageSent || p.Outcome != alerts.OutcomeDelivered {
				t.Errorf("SMS page %s %s after refused messages", p.Status, p.Outcome)
			}
			if got := a.entries(); !slices.Equal(got, want) {
				t.Errorf("timeline %q after refused messages, want %q", got, want)
			}
		})
	}
}
