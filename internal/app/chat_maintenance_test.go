package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestChatMaintenance is the maintenance command through the whole
// process on both engines: a DingTalk sender allowed to resolve starts a
// window for billing from chat (the reply names its id, scope and end in
// the alerts' time zone); an alert of billing then pages nobody and is
// counted as held; "maintenance list" shows the window; a sender not
// allowed is refused; "maintenance end N" ends it and the next alert of
// billing pages the ops chat.
func TestChatMaintenance(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			ops := fake.NewDingTalk(t)
			e := &chatEnv{t: t, sessions: fake.NewDingTalkSession(t), robot: fake.NewDingTalk(t, fake.WithSecret(chatRobotSecret)), slackResp: fake.NewSlackResponse(t)}
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
base_url: https://opsdesk.example.com
log_level: error
destinations:
  - {name: ops, type: dingtalk, url: '` + ops.URL() + `'}
alerts:
  timezone: Asia/Tokyo
  systems:
    - name: billing
      routes: [{policy: ops-chat}]
chat:
  dingtalk:
    app_secret_env: DT_APP_SECRET
    webhook_url: '` + e.robot.URL() + `'
    webhook_secret_env: DT_ROBOT_SECRET
    allow:
      resolve: [` + lead + `]
  slack:
    signing_secret_env: SLACK_SIGNING
    language: en
oncall:
  policies:
    - name: ops-chat
      rounds: 1
      steps: [{targets: ["chat:ops"], after: 10m}]
`))
			if err != nil {
				t.Fatal(err)
			}
			e.s = apptest.Start(t, cfg, map[string]string{"DT_APP_SECRET": chatAppSecret, "DT_ROBOT_SECRET": chatRobotSecret, "SLACK_SIGNING": chatSlackSecret})
			ctx := context.Background()
			svc := e.s.App.Alerts()

			// Not allowed: the resolve class.
			got := e.ask(member, "cidOps", "维护 billing 2h 发布 v42")
			mustContain(t, "a member's maintenance", got, "chat.dingtalk.allow.resolve")
			if ws, _ := svc.Windows(ctx, true); len(ws) != 0 {
				t.Fatalf("a refused command made %d windows", len(ws))
			}
			// A bad duration names the field.
			got = e.ask(lead, "cidOps", "维护 billing soon")
			mustContain(t, "bad duration", got, "时长", "soon", "维护 / maintenance")
			// A system that does not exist.
			got = e.ask(lead, "cidOps", "maintenance nope 2h")
			mustContain(t, "unknown system", got, "没有名为「nope」的系统", "billing")

			before := time.Now()
			got = e.ask(lead, "cidOps", "维护 billing 2h 发布 v42")
			m := regexp.MustCompile(`已创建维护窗口 #(\d+)：billing 的告警在 (\S+ \S+ JST) 之前不通知任何人（2h）。`).FindStringSubmatch(got)
			if m == nil {
				t.Fatalf("start reply:\n%s", got)
			}
			mustContain(t, "start reply", got, "原因：发布 v42。", "提前结束：维护 end "+m[1])
			id, _ := strconv.ParseInt(m[1], 10, 64)
			w, err := svc.Window(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			tokyo, _ := time.LoadLocation("Asia/Tokyo")
			if w.System != "billing" || w.Name != "发布 v42" || w.End.Sub(w.Start) != 2*time.Hour || w.Start.Before(before.Add(-time.Second)) ||
				w.CreatedBy != "Nick "+lead+" (DingTalk "+lead+")" || w.EscalateAtEnd || m[2] != w.End.In(tokyo).Format("2006-01-02 15:04 MST") {
				t.Fatalf("window %+v (reply says until %s)", w, m[2])
			}
			if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'maintenance.create' AND actor = ?`, "Nick "+lead); n != 1 {
				t.Fatalf("audit entries for the window: %d", n)
			}

			// An alert of billing during the window pages nobody.
			fire := func(key string) int64 {
				t.Helper()
				res, err := svc.Ingest(ctx, []parse.Signal{{Source: parse.SourceNative, System: "billing", DedupKey: key,
					Status: parse.StatusFiring, Summary: "Queue stuck on " + key, Labels: map[string]string{}}}, "test")
				if err != nil {
					t.Fatal(err)
				}
				return res[0].AlertID
			}
			held := fire("q1")
			if pages, err := svc.Pages(ctx, held); err != nil || len(pages) != 0 {
				t.Fatalf("pages of the held alert: %d %v", len(pages), err)
			}
			if _, err := svc.EscalationOf(ctx, held); !errors.Is(err, alerts.ErrNotFound) {
				t.Fatalf("the held alert escalates: %v", err)
			}
			tl, err := svc.Timeline(ctx, held)
			if err != nil || !hasTimeline(tl, alerts.KindMaintenance, alerts.WindowActor(id)) {
				t.Fatalf("timeline of the held alert: %v", err)
			}

			got = e.ask(lead, "cidOps", "维护 列表")
			mustContain(t, "list", got, fmt.Sprintf("#%d billing · 生效中", id), "发布 v42", "已拦截 1 条告警", "JST")

			got = e.ask(lead, "cidOps", "maintenance end "+m[1])
			mustContain(t, "end", got, fmt.Sprintf("维护窗口 #%d（发布 v42）已结束：billing 的告警恢复通知。", id))
			got = e.ask(lead, "cidOps", "maintenance end "+m[1])
			mustContain(t, "end again", got, fmt.Sprintf("没有编号为 #%d 的", id))
			got = e.ask(lead, "cidOps", "maintenance list")
			mustContain(t, "list after the end", got, "现在没有生效或即将开始的维护窗口。")

			// Slack, in English: a window for 30 minutes, listed, ended.
			slack := func(n int, text string) string {
				t.Helper()
				ru := e.slackResp.NewURL()
				cmd := fake.SlackSlashCommand{Text: text, TeamID: "T1", ChannelID: "C1", ChannelName: "ops", UserID: "U1", UserName: "bob",
					ResponseURL: ru, TriggerID: fmt.Sprintf("trigger-%d", n)}
				if code := e.send(cmd.Request(e.s.URL+"/hooks/slack/commands", chatSlackSecret, time.Now())); code != http.StatusOK {
					t.Fatalf("slack %q: HTTP %d", text, code)
				}
				e.slackResp.WaitFor(t, n, 30*time.Second)
				sm := e.slackResp.MessagesTo(ru)
				if len(sm) != 1 {
					t.Fatalf("slack %q: %d replies", text, len(sm))
				}
				return sm[0].Text
			}
			got = slack(1, "maintenance billing 30m")
			sm := regexp.MustCompile(`^Maintenance window #(\d+): alerts of billing notify nobody until \S+ \S+ JST \(30m\)\.\nEnd it early with: maintenance end (\d+)$`).FindStringSubmatch(got)
			if sm == nil || sm[1] != sm[2] || sm[1] == m[1] {
				t.Fatalf("slack start reply:\n%s", got)
			}
			if w, err := svc.Window(ctx, mustID(t, sm[1])); err != nil || w.Name != "maintenance of billing" || w.CreatedBy != "bob (Slack U1)" {
				t.Fatalf("slack window %+v %v", w, err)
			}
			mustContain(t, "slack list", slack(2, "maintenance list"), "#"+sm[1]+" billing · in force", "0 alerts held back")
			mustContain(t, "slack end", slack(3, "maintenance end "+sm[1]), "Maintenance window #"+sm[1]+" (maintenance of billing) ended: alerts of billing notify again.")

			// The next alert of billing pages the ops chat, and only it did.
			loud := fire("q2")
			poll(t, 20*time.Second, "the alert posted to the ops chat", func() bool { return len(ops.Messages()) > 0 })
			posts := ops.Messages()
			if len(posts) != 1 || !strings.Contains(posts[0].Text, "Queue stuck on q2") {
				t.Fatalf("ops chat posts: %+v", posts)
			}
			if pages, err := svc.Pages(ctx, loud); err != nil || len(pages) != 1 {
				t.Fatalf("pages of the alert after the window: %d %v", len(pages), err)
			}
		})
	}
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func hasTimeline(tl []*alerts.Entry, kind, actor string) bool {
	for _, e := range tl {
		if e.Kind == kind && e.Actor == actor {
			return true
		}
	}
	return false
}
