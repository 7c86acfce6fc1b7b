package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/sqsin"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// sqsAlarmEnvelope is an SNS notification (raw delivery off) of a
// CloudWatch alarm, as SNS puts it in an SQS queue.
func sqsAlarmEnvelope(t *testing.T, alarmName string) string {
	t.Helper()
	raw, err := os.ReadFile("../alerts/parse/testdata/cloudwatch_sns_alarm.json")
	if err != nil {
		t.Fatal(err)
	}
	var alarm map[string]any
	if err := json.Unmarshal(raw, &alarm); err != nil {
		t.Fatal(err)
	}
	alarm["AlarmName"] = alarmName
	alarm["AlarmArn"] = "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:" + alarmName
	msg, _ := json.Marshal(alarm)
	env, _ := json.Marshal(map[string]any{
		"Type": "Notification", "MessageId": "5c1f0a4e-1f0c-5b61-9a3b-" + fmt.Sprintf("%012x", len(alarmName)),
		"TopicArn": "arn:aws:sns:ap-northeast-1:123456789012:opsdesk-alarms", "Subject": `ALARM: "` + alarmName + `"`,
		"Message": string(msg), "Timestamp": "2024-05-01T00:59:12.455Z", "SignatureVersion": "1",
		"Signature": "c2lnbmF0dXJl", "SigningCertURL": "https://sns.ap-northeast-1.amazonaws.com/SimpleNotificationService-x.pem",
		"UnsubscribeURL": "https://sns.ap-northeast-1.amazonaws.com/?Action=Unsubscribe",
	})
	return string(env)
}

// ec2Event is an EventBridge event that the test's rule matches.
func ec2Event(id, instance string) string {
	return `{"version":"0","id":"` + id + `","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"123456789012",` +
		`"time":"2024-05-01T01:00:00Z","region":"ap-northeast-1","resources":["arn:aws:ec2:ap-northeast-1:123456789012:instance/` + instance + `"],` +
		`"detail":{"instance-id":"` + instance + `","state":"stopped"}}`
}

type sqsApp struct {
	s   *apptest.Server
	sq  *fake.SQS
	cn  *fake.Connect
	hk  *fake.Webhook
	cfg *config.Config
}

// startSQSApp starts opsdesk with one SQS queue ("ops" on the fake), phone
// escalation through the fake Connect and an event rule that notifies a
// webhook. database is the database setting (two apps may share one).
func startSQSApp(t *testing.T, database string, sq *fake.SQS, cn *fake.Connect, hk *fake.Webhook) *sqsApp {
	t.Helper()
	url := sq.CreateQueue("ops")
	cfg, err := config.Parse([]byte(`
database: ` + database + `
data_dir: ` + t.TempDir() + `
destinations:
  - {name: hook, type: webhook, url: '` + hk.URL() + `'}
aws:
  queues:
    - name: ops
      url: ` + url + `
      region: ` + sq.Region() + `
      wait: 1s
      visibility: 30s
      max_receives: 3
events:
  rules:
    - name: ec2-stopped
      pattern: {source: [aws.ec2], detail: {state: [stopped]}}
      actions:
        - type: notify
          destination: hook
          title: 'Stopped {{field "detail.instance-id"}}'
alerts:
  timezone: Asia/Tokyo
` + connectYAML(cn) + `  systems:
    - name: XYZ
      contacts:
        - {name: Sato, phone: "` + satoPhone + `", language: ja}
      rounds: 1
`))
	if err != nil {
		t.Fatal(err)
	}
	env := connectEnv(cn)
	env["AWS_ENDPOINT_URL_SQS"] = sq.URL()
	s := apptest.StartWith(t, cfg, env, func(o *app.Options) {})
	return &sqsApp{s: s, sq: sq, cn: cn, hk: hk, cfg: cfg}
}

func newSQSFakes(t *testing.T) (*fake.SQS, *fake.Connect, *fake.Webhook) {
	sq := fake.NewSQS(t, fake.WithAWSKey(fake.ConnectAccessKeyID, fake.ConnectSecretAccessKey))
	cn := fake.NewConnect(t)
	hk := fake.NewWebhook(t)
	return sq, cn, hk
}

// TestSQSEndToEnd: opsdesk, its HTTP listener on loopback and nothing
// posted to it, takes an EventBridge event and a CloudWatch alarm (SNS
// envelope) from SQS: the event is stored and its rule notifies a
// webhook; the alarm opens an alert that phones Sato through Connect. A
// message redelivered after its delete was lost makes no duplicate; a
// message that is not an AWS shape, and one received more than
// max_receives times, become dead letters and are deleted.
func TestSQSEndToEnd(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			sq, cn, hk := newSQSFakes(t)
			a := startSQSApp(t, storetest.DatabaseURL(t, engine), sq, cn, hk)
			ctx := context.Background()
			cn.Script(satoPhone, fake.Hold())

			evID := sq.Send("ops", ec2Event("7f1e0c55-aaaa-4bbb-8ccc-000000000001", "i-0abc"))
			alarmID := sq.Send("ops", sqsAlarmEnvelope(t, "prod-api-5xx-rate"))
			sq.WaitDeleted(t, "ops", 15*time.Second, evID, alarmID)

			// The event: stored once, matched by the rule, which notified.
			var n int
			var matched string
			if err := a.s.App.St.R.QueryRow(`SELECT COUNT(*), MAX(matched) FROM events WHERE source = 'aws.ec2'`).Scan(&n, &matched); err != nil || n != 1 || matched != "ec2-stopped" {
				t.Fatalf("events: %d %q %v", n, matched, err)
			}
			hk.WaitForUnique(t, 1, 15*time.Second)
			if msg := hk.Deliveries()[0].Payload.Message; msg.Title != "Stopped i-0abc" {
				t.Errorf("notification %+v", msg)
			}
			// The alarm: an alert of XYZ that calls Sato.
			calls := cn.WaitForCalls(t, 1, 15*time.Second)
			if calls[0].Number != satoPhone {
				t.Fatalf("call %+v", calls[0])
			}
			open, err := a.s.App.Alerts().List(ctx, alerts.Filter{})
			if err != nil || len(open) != 1 || open[0].System != "XYZ" || open[0].Source != "cloudwatch" {
				t.Fatalf("alerts %+v %v", open, err)
			}

			// A consumer crashed between commit and delete: both messages
			// come back. They are deleted, not committed again.
			sq.Undelete("ops", evID)
			sq.Undelete("ops", alarmID)
			sq.WaitDeleted(t, "ops", 15*time.Second, evID, alarmID)
			if m, _ := sq.Message("ops", alarmID); m.Receives != 2 {
				t.Errorf("alarm message received %d times, want 2", m.Receives)
			}
			if err := a.s.App.St.R.QueryRow(`SELECT COUNT(*) FROM events WHERE source = 'aws.ec2'`).Scan(&n); err != nil || n != 1 {
				t.Errorf("events after redelivery: %d %v", n, err)
			}
			al, err := a.s.App.Alerts().Get(ctx, open[0].ID)
			if err != nil || al.Repeats != 0 {
				t.Errorf("the redelivered alarm counted as a repeat: %+v %v", al, err)
			}
			// The same event sent again as a new message (EventBridge
			// retried): the events store absorbs it by its id.
			againID := sq.Send("ops", ec2Event("7f1e0c55-aaaa-4bbb-8ccc-000000000001", "i-0abc"))
			sq.WaitDeleted(t, "ops", 15*time.Second, againID)
			if err := a.s.App.St.R.QueryRow(`SELECT COUNT(*) FROM events WHERE source = 'aws.ec2'`).Scan(&n); err != nil || n != 1 {
				t.Errorf("events after a second delivery: %d %v", n, err)
			}

			// Poison: a body that is no AWS shape is a dead letter at once.
			poison := sq.Send("ops", "hello from a script")
			sq.WaitDeleted(t, "ops", 15*time.Second, poison)
			dead, err := sqsin.NewStore(a.s.App.St).DeadLetters(ctx, "ops", 10)
			if err != nil || len(dead) != 1 || dead[0].MessageID != poison || dead[0].Body != "hello from a script" ||
				!strings.Contains(dead[0].Error, "not JSON") || dead[0].Disposition != "delete" {
				t.Fatalf("dead letters %+v %v", dead, err)
			}
			// A CloudWatch alarm that consumers received max_receives
			// times without finishing (they crashed on it): a dead letter,
			// deleted, and nobody is called for it.
			stuck := sq.SendReceived("ops", sqsAlarmEnvelope(t, "crashes-consumers"), 3)
			sq.WaitDeleted(t, "ops", 15*time.Second, stuck)
			dead, err = sqsin.NewStore(a.s.App.St).DeadLetters(ctx, "ops", 10)
			if err != nil || len(dead) != 2 || dead[0].MessageID != stuck || dead[0].Receives != 4 || !strings.Contains(dead[0].Error, "max_receives is 3") {
				t.Fatalf("dead letters %+v %v", dead, err)
			}
			if len(cn.Calls()) != 1 {
				t.Errorf("%d calls, want 1", len(cn.Calls()))
			}
			// The API shows the queue and its dead letter.
			tok, err := a.s.App.Auth.CreateToken(ctx, "ops", auth.ScopeAdmin)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodGet, a.s.URL+"/api/v1/queues", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var st struct {
				Queues []struct {
					Name   string
					Counts map[string]int
				}
				DeadLetters []struct {
					MessageID string `json:"message_id"`
				} `json:"dead_letters"`
			}
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || len(st.Queues) != 1 || st.Queues[0].Counts["done"] != 3 || st.Queues[0].Counts["dead"] != 2 ||
				len(st.DeadLetters) != 2 || st.DeadLetters[1].MessageID != poison {
				t.Errorf("GET /api/v1/queues: %d %+v %v", resp.StatusCode, st, err)
			}
		})
	}
}

// TestSQSTwoReplicas: two opsdesk processes on one PostgreSQL database
// poll the same queue; every message is committed by exactly one of
// them, even when visibility timeouts run out while they work.
func TestSQSTwoReplicas(t *testing.T) {
	db := storetest.DatabaseURL(t, store.Postgres)
	sq, cn, hk := newSQSFakes(t)
	cn.SetDefault(fake.Hold())
	a1 := startSQSApp(t, db, sq, cn, hk)
	a2 := startSQSApp(t, db, sq, cn, hk)
	var ids []string
	for i := range 12 {
		ids = append(ids, sq.Send("ops", sqsAlarmEnvelope(t, fmt.Sprintf("alarm-%02d", i))))
		if i%4 == 3 {
			sq.Expire() // hand out in-flight messages again
		}
	}
	// Every alarm is committed once; a message that a replica held while
	// the other received it again was left to its visibility timeout,
	// which Expire ends: it is then found done and deleted.
	deadline := time.Now().Add(30 * time.Second)
	var done int
	for done < 12 && time.Now().Before(deadline) {
		if err := a2.s.App.St.R.QueryRow(`SELECT COUNT(*) FROM sqs_messages WHERE state = 'done'`).Scan(&done); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	sq.Expire()
	sq.WaitDeleted(t, "ops", 30*time.Second, ids...)
	var n, repeats int
	if err := a1.s.App.St.R.QueryRow(`SELECT COUNT(*), COALESCE(SUM(repeats), 0) FROM alerts`).Scan(&n, &repeats); err != nil || n != 12 || repeats != 0 {
		t.Fatalf("alerts %d repeats %d %v", n, repeats, err)
	}
	if err := a2.s.App.St.R.QueryRow(`SELECT COUNT(*) FROM sqs_messages WHERE state = 'done'`).Scan(&done); err != nil || done != 12 {
		t.Fatalf("done %d %v", done, err)
	}
	committed := metricSum(t, a1.s.URL, `opsdesk_sqs_messages_total{outcome="committed",queue="ops"}`) +
		metricSum(t, a2.s.URL, `opsdesk_sqs_messages_total{outcome="committed",queue="ops"}`)
	if committed != 12 {
		t.Errorf("committed %v times over both replicas, want 12", committed)
	}
}

// metricSum reads one sample of an opsdesk's /metrics (0 when absent).
func metricSum(t *testing.T, base, series string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	return 0
}
