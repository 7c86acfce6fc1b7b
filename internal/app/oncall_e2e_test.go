package app_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

var linkRE = regexp.MustCompile(`https://opsdesk\.example\.com/a/(\S+)`)

// TestOnCallEndToEnd is issue 12 through the whole process on both
// engines, with the fakes of DingTalk, End User Messaging SMS and Connect:
//
//   - A critical alert of XYZ goes to the policy "platform": a post to
//     the ops chat, then after a second the schedule "platform", whose
//     two-layer rotation has an override putting lee on call now. lee's
//     rules: SMS at once, a call two seconds later.
//   - lee acknowledges from the SMS's one-tap link: no call is placed.
//   - A warning of XYZ goes to the chat-only policy: one post, no SMS.
//   - An info alert is recorded only.
func TestOnCallEndToEnd(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			robot := fake.NewDingTalk(t)
			cn := fake.NewConnect(t)
			sms := fake.NewSMS(t, fake.WithAWSKey(fake.ConnectAccessKeyID, fake.ConnectSecretAccessKey))
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
base_url: https://opsdesk.example.com
log_level: error
destinations:
  - {name: ops, type: dingtalk, url: '` + robot.URL() + `'}
alerts:
  timezone: Asia/Tokyo
  connect:
    instance_id: ` + cn.InstanceID() + `
    contact_flow_id: ` + cn.ContactFlowID() + `
    source_phone: "` + cn.SourcePhone() + `"
    region: ` + cn.Region() + `
    poll_interval: 1s
  systems:
    - name: XYZ
      routes:
        - {severities: [critical], policy: platform}
        - {severities: [warning], policy: chat-only}
        - {severities: [info], record_only: true}
oncall:
  sms:
    region: ` + sms.Region() + `
  schedules:
    - name: platform
      time_zone: Asia/Tokyo
      layers:
        - {name: weekly, participants: [sato, suzuki], shift: 1w, hand_off: "2026-01-05 09:00"}
        - name: business-hours
          participants: [kim]
          shift: 1d
          hand_off: "2026-01-05 09:00"
          priority: 10
          restrictions: [{days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00"}]
      overrides:
        - {who: lee, start: "2026-02-24 09:00", end: "2026-02-25 09:00"}
  users:
    - name: lee
      contact_methods:
        - {kind: sms, address: "+819055550001", label: mobile, language: ja}
        - {kind: voice, address: "+819055550001", label: phone}
      rules:
        - {method: mobile, after: 0s}
        - {method: phone, after: 2s}
  policies:
    - name: platform
      rounds: 1
      steps:
        - {targets: ["chat:ops"], after: 1s}
        - {targets: ["schedule:platform"], after: 10m}
    - name: chat-only
      rounds: 1
      steps:
        - {targets: ["chat:ops"], after: 10m}
`))
			if err != nil {
				t.Fatal(err)
			}
			// Tuesday 2026-02-24 12:00 in Tokyo: kim's business hours, but
			// lee's override is on top.
			base, started := time.Date(2026, 2, 24, 3, 0, 0, 0, time.UTC), time.Now()
			s := apptest.StartWith(t, cfg, map[string]string{
				"AWS_ENDPOINT_URL_CONNECT":               cn.URL(),
				"AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2": sms.URL(),
				"AWS_ACCESS_KEY_ID":                      fake.ConnectAccessKeyID,
				"AWS_SECRET_ACCESS_KEY":                  fake.ConnectSecretAccessKey,
			}, func(o *app.Options) { o.Now = func() time.Time { return base.Add(time.Since(started)) } })
			ctx := context.Background()
			for _, u := range []string{"lee", "kim", "sato", "suzuki"} {
				if _, err := s.App.Auth.AddUser(ctx, u, auth.RoleResponder, "a long enough password"); err != nil {
					t.Fatal(err)
				}
			}
			// Users added after the start: apply the declared methods now,
			// as the next start would.
			if _, err := s.App.Contacts.ApplyDeclared(ctx, cfg.OnCall.Users); err != nil {
				t.Fatal(err)
			}
			tok, err := s.App.Auth.CreateToken(ctx, "monitoring", auth.ScopeIngestAlerts)
			if err != nil {
				t.Fatal(err)
			}
			postAlert := func(body string) {
				t.Helper()
				req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v1/alerts", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					t.Fatalf("alert: %d", resp.StatusCode)
				}
			}
			postAlert(`{"system":"XYZ","dedup_key":"db1","summary":"Disk full on db1","severity":"critical"}`)
			msgs := sms.WaitForMessages(t, 1, 30*time.Second)
			if msgs[0].DestinationPhoneNumber != "+819055550001" || !strings.Contains(msgs[0].MessageBody, "Disk full on db1") ||
				!strings.Contains(msgs[0].MessageBody, "アラート") {
				t.Fatalf("SMS %+v", msgs[0])
			}
			if posts := robot.Messages(); len(posts) != 1 || !strings.Contains(posts[0].Text, "Disk full on db1") {
				t.Fatalf("chat posts before the SMS: %+v", posts)
			}
			m := linkRE.FindStringSubmatch(msgs[0].MessageBody)
			if m == nil {
				t.Fatalf("no one-tap link in %q", msgs[0].MessageBody)
			}
			resp, err := http.Post(s.URL+"/a/"+m[1], "application/x-www-form-urlencoded", nil)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("the link: %d\n%s", resp.StatusCode, page)
			}
			list, err := s.App.Alerts().List(ctx, alerts.Filter{})
			if err != nil || len(list) != 1 {
				t.Fatalf("alerts %v %v", list, err)
			}
			id := list[0].ID
			if a := list[0]; a.Status != alerts.StatusAcknowledged || a.AckedBy != "lee (SMS link)" {
				t.Fatalf("alert %s by %q", a.Status, a.AckedBy)
			}
			// The call was due two seconds after the SMS: it is dropped.
			waitUntil(t, 20*time.Second, "the call page dropped", func() bool {
				ps, _ := s.App.Alerts().Pages(ctx, id)
				for _, p := range ps {
					if p.Kind == alerts.PageVoice {
						return p.Status == alerts.PageCancelled
					}
				}
				return false
			})
			if n := len(cn.Calls()); n != 0 {
				t.Fatalf("%d calls placed after the SMS acknowledgement", n)
			}

			postAlert(`{"system":"XYZ","dedup_key":"web1","summary":"Slow responses on web1","severity":"warning"}`)
			postAlert(`{"system":"XYZ","dedup_key":"batch","summary":"Batch finished late","severity":"info"}`)
			waitUntil(t, 20*time.Second, "the warning posted to chat", func() bool { return len(robot.Messages()) == 2 })
			if p := robot.Messages()[1]; !strings.Contains(p.Text, "Slow responses on web1") {
				t.Fatalf("second post %q", p.Text)
			}
			tl, err := s.App.Alerts().Timeline(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, e := range tl {
				kinds = append(kinds, e.Kind+":"+e.Actor)
			}
			joined := strings.Join(kinds, " ")
			for _, want := range []string{"step:", "page:chat:ops", "page:lee", "ack:lee (SMS link)"} {
				if !strings.Contains(joined, want) {
					t.Errorf("timeline %v lacks %s", kinds, want)
				}
			}
			if n := len(sms.Messages()); n != 1 {
				t.Errorf("%d SMS sent, want only lee's page", n)
			}
			list, _ = s.App.Alerts().List(ctx, alerts.Filter{})
			for _, a := range list {
				if a.Summary == "Batch finished late" {
					if tl, _ := s.App.Alerts().Timeline(ctx, a.ID); len(tl) != 2 || tl[1].Kind != alerts.KindRecorded {
						t.Errorf("info alert timeline %+v", tl)
					}
				}
			}
		})
	}
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
