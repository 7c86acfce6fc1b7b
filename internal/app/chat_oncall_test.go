package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/actionlink"
	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestChatOnCallAndActionLinks runs the whole process on both engines:
// the DingTalk 值班 command answers from the schedules (seeded from the config) and, for a system, the schedules its policies notify, and a
// one-tap SMS link minted by the app acknowledges its alert over HTTP
// once, as the recipient, without a login.
func TestChatOnCallAndActionLinks(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			e := &chatEnv{t: t, sessions: fake.NewDingTalkSession(t), robot: fake.NewDingTalk(t, fake.WithSecret(chatRobotSecret))}
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
base_url: https://opsdesk.example.com
log_level: error
alerts:
  action_links: {ttl: 2h}
  systems:
    - name: XYZ
      routes: [{policy: platform-first}]
chat:
  dingtalk:
    app_secret_env: DT_APP_SECRET
    webhook_url: '` + e.robot.URL() + `'
    webhook_secret_env: DT_ROBOT_SECRET
` + oncallYAML + `  policies:
    - name: platform-first
      steps: [{targets: ["schedule:platform", "user:kim"]}]
`))
			if err != nil {
				t.Fatal(err)
			}
			// Tuesday 2026-02-24 12:00 in Tokyo: lee covers suzuki.
			base, started := time.Date(2026, 2, 24, 3, 0, 0, 0, time.UTC), time.Now()
			e.s = apptest.StartWith(t, cfg, map[string]string{"DT_APP_SECRET": chatAppSecret, "DT_ROBOT_SECRET": chatRobotSecret}, func(o *app.Options) {
				o.Now = func() time.Time { return base.Add(time.Since(started)) }
			})

			appNow := func() time.Time { return base.Add(time.Since(started)) }
			// The callbacks are signed on the app's clock, whose replay
			// window they must be in.
			ask := func(text string) string {
				t.Helper()
				session := e.sessions.Open("cidOps", time.Now().Add(time.Hour))
				cb := fake.DingTalkCallback{
					MsgID: fmt.Sprintf("msg-oncall-%d", e.seq.Add(1)), Text: text, SenderStaffID: member, SenderNick: "Nick",
					ConversationID: "cidOps", ConversationTitle: "Ops", SessionWebhook: session, SessionExpires: appNow().Add(time.Hour),
					IsInAtList: true, CreateAt: appNow(),
				}
				if code := e.send(cb.Request(e.s.URL+"/hooks/dingtalk", chatAppSecret, appNow())); code != http.StatusOK {
					t.Fatalf("callback %q: HTTP %d", text, code)
				}
				return e.reply(session)
			}
			got := ask("值班")
			mustContain(t, "值班", got, "现在的值班人员（2026-02-24 03:00 GMT）", "platform：lee，值班到 2026-02-24 23:00 JST", "db：现在没有人值班")
			got = ask("当番 DB")
			mustContain(t, "当番 DB", got, "db：现在没有人值班")
			if strings.Contains(got, "platform") {
				t.Errorf("one schedule asked, all answered:\n%s", got)
			}
			// A system: the schedules its escalation policies notify.
			got = ask("当番 XYZ")
			mustContain(t, "当番 XYZ", got, "platform：lee")
			if strings.Contains(got, "db") {
				t.Errorf("a system's schedules asked, all answered:\n%s", got)
			}
			got = ask("당번 nope")
			mustContain(t, "당번 nope", got, "没有名为「nope」的值班表或系统", "db, platform")

			// A one-tap link.
			ctx := context.Background()
			res, err := e.s.App.Alerts().Ingest(ctx, []parse.Signal{{Source: parse.SourceNative, System: "XYZ", DedupKey: "db1",
				Status: parse.StatusFiring, Summary: "Disk full on db1", Labels: map[string]string{}}}, "test")
			if err != nil {
				t.Fatal(err)
			}
			id := res[0].AlertID
			links := e.s.App.ActionLinks()
			u, err := links.MintFor(ctx, actionlink.Link{AlertID: id, Action: actionlink.ActionAck, Channel: actionlink.ChannelSMS, Recipient: "sato"}, 0)
			if err != nil {
				t.Fatal(err)
			}
			path, ok := strings.CutPrefix(u, "https://opsdesk.example.com/a/")
			if !ok {
				t.Fatalf("link %q", u)
			}
			do := func(method string) (int, string) {
				req, _ := http.NewRequest(method, e.s.URL+"/a/"+path+"?lang=en", nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			if code, body := do(http.MethodGet); code != http.StatusOK || !strings.Contains(body, "Disk full on db1") {
				t.Fatalf("GET: %d\n%s", code, body)
			}
			if a, _ := e.s.App.Alerts().Get(ctx, id); a.Status == alerts.StatusAcknowledged {
				t.Fatal("GET acknowledged")
			}
			if code, body := do(http.MethodPost); code != http.StatusOK || !strings.Contains(body, "is acknowledged") {
				t.Fatalf("POST: %d\n%s", code, body)
			}
			a, err := e.s.App.Alerts().Get(ctx, id)
			if err != nil || a.Status != alerts.StatusAcknowledged || a.AckedBy != "sato (SMS link)" {
				t.Fatalf("alert %+v, %v", a, err)
			}
			if code, _ := do(http.MethodPost); code != http.StatusConflict {
				t.Fatalf("second POST: %d", code)
			}
			if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'alert.acknowledge' AND actor = 'sato' AND actor_kind = 'user'`); n != 1 {
				t.Fatalf("audit entries: %d", n)
			}
			l, err := links.Verify(path)
			if want := base.Add(2 * time.Hour); err != nil || l.Expires.Before(want.Add(-time.Second)) || l.Expires.After(want.Add(5*time.Minute)) {
				t.Fatalf("ttl: %+v %v", l, err)
			}
		})
	}
}
