package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/events"
	"github.com/opsdesk/opsdesk/internal/events/samples"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// intakeApp is opsdesk with phone escalation for two systems and no
// alerts.default_system, so every alert must get its system from the
// payload, the URL or an event rule.
type intakeApp struct {
	t   *testing.T
	s   *apptest.Server
	sns *fake.SNS
	tok string
}

const intakeTopic = "arn:aws:sns:ap-northeast-1:141855812477:opsdesk-events"

func startIntakeApp(t *testing.T, engine string) *intakeApp {
	t.Helper()
	cn := fake.NewConnect(t)
	sns := fake.NewSNS(t)
	cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
intake: {rate_per_minute: 0}
alerts:
  timezone: Asia/Tokyo
` + connectYAML(cn) + `  systems:
    - name: XYZ
      contacts: [{name: Sato, phone: "` + satoPhone + `", language: ja}]
    - name: Billing
      contacts: [{name: Suzuki, phone: "` + suzukiPhone + `"}]
events:
  sns_topics: [` + intakeTopic + `]
  rules:
    - name: billing-alarms
      pattern: {source: [aws.cloudwatch], detail-type: [CloudWatch Alarm State Change], detail: {alarmName: [{prefix: "billing-"}]}}
      actions: [{type: alert, op: auto, system: Billing}]
`))
	if err != nil {
		t.Fatal(err)
	}
	env := connectEnv(cn)
	s := apptest.StartWith(t, cfg, env, func(o *app.Options) {
		o.SNSCertAllowed, o.SNSClient = sns.CertURLAllowed, sns.Client()
	})
	tok, err := s.App.Auth.CreateToken(context.Background(), "monitoring", auth.ScopeIngestAlerts, auth.ScopeIngestEvents)
	if err != nil {
		t.Fatal(err)
	}
	return &intakeApp{t: t, s: s, sns: sns, tok: tok}
}

// post sends body to path (with its query) and decodes the JSON answer.
func (a *intakeApp) post(path, ct string, body []byte, token bool, hdr ...string) (int, map[string]any) {
	a.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.s.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	if token {
		req.Header.Set("Authorization", "Bearer "+a.tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		a.t.Fatalf("%s: answer %d is not JSON: %s", path, resp.StatusCode, raw)
	}
	return resp.StatusCode, m
}

// alarm is the alarm-state-change sample renamed: another alarm, another
// delivery.
func alarmEvent(t *testing.T, id, name, state string) []byte {
	t.Helper()
	raw, err := samples.Get("alarm-state-change")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(raw), "billing-api-5xx", name)
	s = strings.Replace(s, "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92", id, 1)
	s = strings.Replace(s, `"value": "ALARM"`, `"value": "`+state+`"`, 1)
	return []byte(s)
}

// eventDone waits until the event's actions have all run (done or failed)
// and returns them, newest run first.
func (a *intakeApp) eventDone(ref int64) []events.ActionResult {
	a.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ev, err := a.s.App.Events.Get(context.Background(), ref)
		if err != nil {
			a.t.Fatal(err)
		}
		if ev.Status == events.StatusDone || ev.Status == events.StatusFailed {
			acts, err := a.s.App.Events.Actions(context.Background(), ref)
			if err != nil {
				a.t.Fatal(err)
			}
			return acts
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("event %d still %s after 20s", ref, ev.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func eventRef(t *testing.T, m map[string]any) int64 {
	t.Helper()
	evs, _ := m["events"].([]any)
	if len(evs) != 1 {
		t.Fatalf("answer %v: want one event", m)
	}
	return int64(evs[0].(map[string]any)["ref"].(float64))
}

func (a *intakeApp) alertOf(system, key string) *alerts.Alert {
	a.t.Helper()
	list, err := a.s.App.Alerts().List(context.Background(), alerts.Filter{System: system, Limit: 100})
	if err != nil {
		a.t.Fatal(err)
	}
	for _, x := range list {
		if x.DedupKey == key && x.Status != alerts.StatusResolved {
			return x
		}
	}
	return nil
}

// TestAlarmEventSystem: a CloudWatch alarm arriving as an event takes its
// system from the rule's alert action or from the ?system= of the URL it
// was posted to (an API destination's, an SNS subscription's), and keeps
// it when the event is replayed. Without either, the built-in rule's
// action fails with a message that names the ways that work — ?system=
// among them, now that the events endpoint honours it.
func TestAlarmEventSystem(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			a := startIntakeApp(t, engine)
			const arn = "arn:aws:cloudwatch:ap-northeast-1:141855812477:alarm:"

			// The rule's parameter: billing-* alarms go to Billing. The
			// built-in rule matches too, and with no system anywhere it
			// skips, saying how to give one.
			code, m := a.post("/api/v1/events", "application/json", alarmEvent(t, "ev-billing-1", "billing-api-5xx", "ALARM"), true)
			if code != 202 {
				t.Fatalf("billing alarm: %d %v", code, m)
			}
			acts := a.eventDone(eventRef(t, m))
			byRule := map[string]events.ActionResult{}
			for _, x := range acts {
				byRule[x.Rule] = x
			}
			if x := byRule["billing-alarms"]; x.Status != "done" || a.alertOf("Billing", arn+"billing-api-5xx") == nil {
				t.Errorf("rule with a system: %+v; alert in Billing: %v", x, a.alertOf("Billing", arn+"billing-api-5xx"))
			}
			// A built-in rule skips what is not set up (no system anywhere),
			// saying how to set it up.
			x := byRule[events.RuleAlarmStateChange]
			if x.Status != "done" || !strings.HasPrefix(x.Result, "skipped: ") || !strings.Contains(x.Result, "/api/v1/events?system=NAME") ||
				!strings.Contains(x.Result, "alerts.default_system") {
				t.Errorf("built-in rule without a system: %s %q %q", x.Status, x.Result, x.Error)
			}

			// The URL's parameter: the same built-in rule, posted with
			// ?system= (an EventBridge API destination with a query).
			code, m = a.post("/api/v1/events?system=XYZ", "application/json", alarmEvent(t, "ev-db01-1", "db01-cpu-high", "ALARM"), true)
			if code != 202 {
				t.Fatalf("alarm with ?system=: %d %v", code, m)
			}
			ref := eventRef(t, m)
			acts = a.eventDone(ref)
			if len(acts) != 1 || acts[0].Status != "done" || acts[0].Spec.IntakeSystem != "XYZ" {
				t.Fatalf("alarm with ?system=: actions %+v", acts)
			}
			al := a.alertOf("XYZ", arn+"db01-cpu-high")
			if al == nil || al.Source != "cloudwatch" {
				t.Fatalf("no open alert of XYZ for db01-cpu-high: %+v", al)
			}

			// An SNS subscription to the events endpoint whose URL says
			// ?systemname= (the seed's name for it): signed, no token.
			note := a.sns.Notification(intakeTopic, "", string(alarmEvent(t, "ev-db02-1", "db02-cpu-high", "ALARM")))
			code, m = a.post("/api/v1/events?systemname=XYZ", "text/plain; charset=UTF-8", note, false, "X-Amz-Sns-Message-Type", "Notification")
			if code != 202 {
				t.Fatalf("SNS alarm with ?systemname=: %d %v", code, m)
			}
			if acts := a.eventDone(eventRef(t, m)); len(acts) != 1 || acts[0].Status != "done" || a.alertOf("XYZ", arn+"db02-cpu-high") == nil {
				t.Fatalf("SNS alarm with ?systemname=: actions %+v", acts)
			}

			// A replay of the db01 event, after its alert was resolved,
			// opens a new alert of the same system: the URL's system stays
			// with the event.
			if _, _, err := a.s.App.Alerts().Resolve(context.Background(), al.ID, "test", "api"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.s.App.Events.Replay(context.Background(), ref); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				again := a.alertOf("XYZ", arn+"db01-cpu-high")
				if again != nil && again.ID != al.ID {
					break
				}
				if time.Now().After(deadline) {
					acts, _ := a.s.App.Events.Actions(context.Background(), ref)
					t.Fatalf("the replay opened no new alert of XYZ: actions %+v", acts)
				}
				time.Sleep(20 * time.Millisecond)
			}

			// ?system= and ?systemname= that disagree: refused, not stored.
			code, m = a.post("/api/v1/events?system=XYZ&systemname=Billing", "application/json", alarmEvent(t, "ev-db03-1", "db03-cpu-high", "ALARM"), true)
			if code != 400 || m["field"] != "systemname" || !strings.Contains(m["error"].(string), `?system="XYZ"`) {
				t.Errorf("disagreeing ?system= and ?systemname=: %d %v", code, m)
			}
			list, _ := a.s.App.Events.List(context.Background(), events.Filter{})
			for _, e := range list {
				if e.EventID == "ev-db03-1" {
					t.Error("the refused event was stored")
				}
			}
		})
	}
}

// TestZabbixNagiosAsConfigured posts to a running opsdesk what Zabbix and
// Nagios send when set up after the seed article: the seed's systemname
// (body and URL), Zabbix's rendered {EVENT.TAGS}, no subject, no Nagios
// NOTIFICATIONTYPE.
func TestZabbixNagiosAsConfigured(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			a := startIntakeApp(t, engine)
			zbx, err := os.ReadFile(filepath.Join("..", "alerts", "parse", "testdata", "zabbix_problem_tags.json"))
			if err != nil {
				t.Fatal(err)
			}
			if code, m := a.post("/api/v1/alerts/zabbix", "application/json", zbx, true); code != 202 || m["opened"] != float64(1) {
				t.Fatalf("zabbix: %d %v", code, m)
			}
			al := a.alertOf("XYZ", "8812734")
			if al == nil || al.Summary != "MySQL: Replication lag is too high (over 30s) on db02" ||
				al.Labels["tag.runbook"] != "https://wiki.example.com/db/replication-lag" || al.Labels["tag.class"] != "database" || al.Labels["tags"] != "critical" {
				t.Fatalf("zabbix alert %+v", al)
			}
			form := "HOSTNAME=app01&SERVICEDESC=CPU+Utilization&SERVICESTATE=CRITICAL&SERVICEOUTPUT=CRITICAL+-+load+average%3A+12.1"
			if code, m := a.post("/api/v1/alerts/nagios?systemname=Billing", "application/x-www-form-urlencoded", []byte(form), true); code != 202 || m["opened"] != float64(1) {
				t.Fatalf("nagios: %d %v", code, m)
			}
			if al := a.alertOf("Billing", "app01/CPU Utilization"); al == nil || al.Summary != "CPU Utilization on app01 is CRITICAL: CRITICAL - load average: 12.1" {
				t.Fatalf("nagios alert %+v", al)
			}
			if code, m := a.post("/api/v1/alerts/nagios", "application/x-www-form-urlencoded", []byte(form+"&SYSTEM=XYZ&systemname=Billing"), true); code != 400 || m["field"] != "systemname" {
				t.Errorf("nagios with disagreeing SYSTEM and systemname: %d %v", code, m)
			}
		})
	}
}
