package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/actionlink"
	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

const (
	followSlackSecret = "slack-signing-secret-follow-0123"
	followChannel     = "C0OPS0001"
)

// TestAlertFollowSlackEndToEnd is issue 13's Slack lifecycle through the
// whole process on both engines: an alert of a followed system gets one
// Slack message (Web API fake), updated in place as sato is called, the
// alert repeats, sato acknowledges with the message's button, a note is
// added (a thread reply) and the alert resolves. Presses from a Slack
// member nobody verified and from a viewer are refused with a reply and
// change nothing; a bad signature or an old timestamp is 401.
func TestAlertFollowSlackEndToEnd(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			api := fake.NewSlackAPI(t, []string{followChannel})
			replies := fake.NewSlackResponse(t)
			cn := fake.NewConnect(t)
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
base_url: https://opsdesk.example.com
log_level: error
destinations:
  - {name: ops-slack, type: slack, bot_token_env: SLACK_BOT, channel: ` + followChannel + `, api_url: '` + api.URL() + `'}
chat:
  slack:
    signing_secret_env: SLACK_SIGNING
alerts:
` + connectYAML(cn) + `    poll_interval: 1s
  systems:
    - name: XYZ
      rounds: 1
      contacts: [{name: sato, phone: "+819011110001"}]
      follow: [ops-slack]
oncall:
  users:
    - name: sato
      contact_methods: [{kind: chat, address: U0SATO001, destination: ops-slack, label: slack}]
    - name: vic
      contact_methods: [{kind: chat, address: U0VIC0001, destination: ops-slack, label: slack}]
`))
			if err != nil {
				t.Fatal(err)
			}
			env := connectEnv(cn)
			env["SLACK_BOT"] = api.Token()
			env["SLACK_SIGNING"] = followSlackSecret
			s := apptest.StartWith(t, cfg, env, fastFollow)
			ctx := context.Background()
			if _, err := s.App.Auth.AddUser(ctx, "sato", auth.RoleResponder, "correct horse battery staple"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.App.Auth.AddUser(ctx, "vic", auth.RoleViewer, "correct horse battery staple"); err != nil {
				t.Fatal(err)
			}
			if missing, err := s.App.Contacts.ApplyDeclared(ctx, cfg.OnCall.Users); err != nil || len(missing) > 0 {
				t.Fatalf("declared methods: %v %v", missing, err)
			}
			tok, err := s.App.Auth.CreateToken(ctx, "monitoring", auth.ScopeIngestAlerts)
			if err != nil {
				t.Fatal(err)
			}
			fire := func() {
				t.Helper()
				body, _ := json.Marshal(map[string]any{"system": "XYZ", "dedup_key": "db", "summary": "DB down <!channel> *bold*", "severity": "critical"})
				if code, b := postWithToken(t, s.URL+"/api/v1/alerts", tok, body); code != http.StatusAccepted {
					t.Fatalf("alert: %d %s", code, b)
				}
			}
			fire()
			top := func() []fake.SlackAPIMessage { return api.TopLevel() }
			section := func() string {
				m := top()
				if len(m) == 0 {
					return ""
				}
				return strings.Join(m[0].SectionTexts(), "\n")
			}
			waitUntil(t, 20*time.Second, "the message naming sato", func() bool { return strings.Contains(section(), "Calling: sato") })
			msg := top()[0]
			if msg.Channel != followChannel {
				t.Errorf("channel %q", msg.Channel)
			}
			if h := msg.HeaderText(); !strings.Contains(h, "DB down") || !strings.HasPrefix(h, "🚨") {
				t.Errorf("header %q", h)
			}
			if strings.Contains(msg.Text, "<!channel>") || !strings.Contains(msg.Text, "&lt;!channel&gt;") {
				t.Errorf("outside text not escaped: %q", msg.Text)
			}
			ids := msg.ButtonActionIDs()
			list, err := s.App.Alerts().List(ctx, alerts.Filter{System: "XYZ"})
			if err != nil || len(list) != 1 {
				t.Fatalf("alerts %v %v", list, err)
			}
			a := list[0]
			ackID := "opsdesk:ack:" + itoa(a.ID)
			if strings.Join(ids, ",") != ackID+",opsdesk:resolve:"+itoa(a.ID)+",opsdesk:escalate:"+itoa(a.ID)+",opsdesk:silence:"+itoa(a.ID) {
				t.Errorf("buttons %q", ids)
			}
			if !strings.Contains(strings.Join(msg.ContextTexts(), " "), "<https://opsdesk.example.com/alerts/"+itoa(a.ID)+"|Open in console>") {
				t.Errorf("context %q", msg.ContextTexts())
			}

			// A repeat is counted in the same message.
			fire()
			waitUntil(t, 20*time.Second, "the repeat counted", func() bool { return strings.Contains(section(), "Fired 2 times") })

			press := func(user string, at time.Time, secret string) (int, string) {
				t.Helper()
				ru := replies.NewURL()
				b := fake.SlackBlockAction{UserID: user, ChannelID: followChannel, MessageTS: msg.TS, ActionID: ackID, Value: "999999", ResponseURL: ru}
				resp, err := http.DefaultClient.Do(b.Request(s.URL+"/hooks/slack/interactions", secret, at))
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusOK {
					return resp.StatusCode, string(body)
				}
				waitUntil(t, 10*time.Second, "the ephemeral reply", func() bool { return len(replies.MessagesTo(ru)) == 1 })
				r := replies.MessagesTo(ru)[0]
				if r.ResponseType != "ephemeral" {
					t.Errorf("reply type %q", r.ResponseType)
				}
				return resp.StatusCode, r.Text
			}
			status := func() string {
				cur, err := s.App.Alerts().Get(ctx, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				return cur.Status
			}

			// Refused: nobody verified this member; a viewer.
			if code, r := press("U0NOBODY1", time.Now(), followSlackSecret); code != http.StatusOK || !strings.Contains(r, "not linked") || !strings.Contains(r, "U0NOBODY1") {
				t.Errorf("unmapped press: %d %q", code, r)
			}
			if code, r := press("U0VIC0001", time.Now(), followSlackSecret); code != http.StatusOK || !strings.Contains(r, "vic may only view") {
				t.Errorf("viewer press: %d %q", code, r)
			}
			// Refused before anything is read: a wrong signature, an old request.
			if code, _ := press("U0SATO001", time.Now(), "not-the-secret"); code != http.StatusUnauthorized {
				t.Errorf("bad signature: %d", code)
			}
			if code, _ := press("U0SATO001", time.Now().Add(-10*time.Minute), followSlackSecret); code != http.StatusUnauthorized {
				t.Errorf("old timestamp: %d", code)
			}
			if st := status(); st == alerts.StatusAcknowledged || st == alerts.StatusResolved {
				t.Fatalf("a refused press changed the alert: %s", st)
			}

			// sato acknowledges from the button.
			if code, r := press("U0SATO001", time.Now(), followSlackSecret); code != http.StatusOK || !strings.Contains(r, "acknowledged") {
				t.Fatalf("sato's press: %d %q", code, r)
			}
			cur, err := s.App.Alerts().Get(ctx, a.ID)
			if err != nil || cur.Status != alerts.StatusAcknowledged || cur.AckedBy != "sato (Slack)" {
				t.Fatalf("after the press: %+v %v", cur, err)
			}
			waitUntil(t, 20*time.Second, "the message acknowledged", func() bool {
				return strings.Contains(section(), "Acknowledged by sato (Slack)")
			})
			if ids := top()[0].ButtonActionIDs(); len(ids) == 0 || ids[0] == ackID {
				t.Errorf("buttons after the acknowledgement %q", ids)
			}

			// A note goes to the thread.
			if _, err := s.App.Alerts().AddNote(ctx, a.ID, "sato", "Restarted the primary <@U0ALL>"); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, 20*time.Second, "the note in the thread", func() bool { return len(api.Replies(msg.TS)) == 1 })
			reply := strings.Join(api.Replies(msg.TS)[0].SectionTexts(), "\n")
			if !strings.Contains(reply, "Note by sato") || !strings.Contains(reply, "Restarted the primary") || strings.Contains(reply, "<@U0ALL>") {
				t.Errorf("thread reply %q", reply)
			}

			// Resolved: the same message, without buttons.
			if _, _, err := s.App.Alerts().Resolve(ctx, a.ID, "sato", "console"); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, 20*time.Second, "the message resolved", func() bool { return strings.Contains(section(), "Resolved by sato (console)") })
			final := top()
			if len(final) != 1 {
				t.Fatalf("%d top-level messages, want 1", len(final))
			}
			if ids := final[0].ButtonActionIDs(); len(ids) != 0 {
				t.Errorf("buttons on a resolved alert %q", ids)
			}
			if final[0].Edits < 3 {
				t.Errorf("the message was edited %d times, want at least 3 (calling, repeat, ack, resolve)", final[0].Edits)
			}
			for _, v := range final[0].Versions {
				if strings.Contains(v.Text, "<!channel>") {
					t.Errorf("a version carries a raw mention: %q", v.Text)
				}
			}
			posts, err := s.App.AlertChat().Posts(ctx, a.ID)
			if err != nil || len(posts) != 1 || posts[0].State != "posted" || posts[0].TS != msg.TS {
				t.Fatalf("posts %+v %v", posts, err)
			}
			if len(api.Replies(msg.TS)) != 1 {
				t.Errorf("%d thread replies, want 1", len(api.Replies(msg.TS)))
			}
		})
	}
}

// TestAlertFollowDingTalkEndToEnd: a DingTalk destination following a
// system gets an ActionCard when the alert opens, @mentioning sato (being
// called) with buttons that are valid one-tap links for that alert, then
// one message when it is acknowledged and one when it is resolved —
// nothing for the steps in between.
func TestAlertFollowDingTalkEndToEnd(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			robot := fake.NewDingTalk(t, fake.WithKeyword("opsdesk"))
			teams := fake.NewTeams(t)
			cn := fake.NewConnect(t)
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
base_url: https://opsdesk.example.com
log_level: error
destinations:
  - {name: ops-ding, type: dingtalk, url: '` + robot.URL() + `', language: zh}
  - {name: ops-teams, type: teams, url: '` + teams.URL() + `'}
alerts:
` + connectYAML(cn) + `    poll_interval: 1s
  systems:
    - name: XYZ
      rounds: 1
      contacts: [{name: sato, phone: "+819011110001"}]
      follow: [ops-ding, ops-teams]
oncall:
  users:
    - name: sato
      contact_methods: [{kind: chat, address: "13800000001", destination: ops-ding, label: dingtalk}]
`))
			if err != nil {
				t.Fatal(err)
			}
			s := apptest.StartWith(t, cfg, connectEnv(cn), fastFollow)
			ctx := context.Background()
			if _, err := s.App.Auth.AddUser(ctx, "sato", auth.RoleResponder, "correct horse battery staple"); err != nil {
				t.Fatal(err)
			}
			if missing, err := s.App.Contacts.ApplyDeclared(ctx, cfg.OnCall.Users); err != nil || len(missing) > 0 {
				t.Fatalf("declared methods: %v %v", missing, err)
			}
			tok, err := s.App.Auth.CreateToken(ctx, "monitoring", auth.ScopeIngestAlerts)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := json.Marshal(map[string]any{"system": "XYZ", "dedup_key": "db", "summary": "数据库故障 [点击](https://evil.example/x)", "severity": "critical"})
			if code, b := postWithToken(t, s.URL+"/api/v1/alerts", tok, body); code != http.StatusAccepted {
				t.Fatalf("alert: %d %s", code, b)
			}
			if !waitFor(20*time.Second, func() bool { return robot.Count() >= 1 }) {
				list, _ := s.App.Alerts().List(ctx, alerts.Filter{System: "XYZ"})
				for _, a := range list {
					p, err := s.App.AlertChat().Posts(ctx, a.ID)
					t.Logf("alert %+v posts %+v %v", a, p, err)
				}
				for _, r := range robot.Requests() {
					t.Logf("request %s", r.Body)
				}
				t.Fatal("no dingtalk message")
			}
			teams.WaitFor(t, 1, 20*time.Second)
			m := robot.Messages()[0]
			if m.MsgType != "actionCard" {
				t.Fatalf("msgtype %q: %v", m.MsgType, m.Raw)
			}
			card, _ := m.Raw["actionCard"].(map[string]any)
			text, _ := card["text"].(string)
			if !strings.Contains(text, "@13800000001") || !strings.Contains(text, "正在呼叫: sato") {
				t.Errorf("card text %q", text)
			}
			if strings.Contains(text, "](https://evil.example") {
				t.Errorf("outside link not escaped: %q", text)
			}
			at, _ := m.Raw["at"].(map[string]any)
			if mobiles, _ := at["atMobiles"].([]any); len(mobiles) != 1 || mobiles[0] != "13800000001" {
				t.Errorf("at %v", m.Raw["at"])
			}
			list, err := s.App.Alerts().List(ctx, alerts.Filter{System: "XYZ"})
			if err != nil || len(list) != 1 {
				t.Fatalf("alerts %v %v", list, err)
			}
			id := list[0].ID
			btns, _ := card["btns"].([]any)
			var actions []string
			for _, b := range btns {
				bm, _ := b.(map[string]any)
				u, _ := bm["actionURL"].(string)
				tokn, ok := strings.CutPrefix(u, "https://opsdesk.example.com/a/")
				if !ok {
					t.Fatalf("button url %q", u)
				}
				l, err := s.App.ActionLinks().Verify(tokn)
				if err != nil || l.AlertID != id {
					t.Fatalf("button %q: %+v %v", u, l, err)
				}
				actions = append(actions, l.Action)
			}
			if strings.Join(actions, ",") != actionlink.ActionAck+","+actionlink.ActionResolve+","+actionlink.ActionEscalate {
				t.Errorf("button actions %q", actions)
			}
			var teamsLinks int
			for _, act := range teams.Messages()[0].Card.Actions {
				if tokn, ok := strings.CutPrefix(act.URL, "https://opsdesk.example.com/a/"); ok && act.Type == "Action.OpenUrl" {
					if l, err := s.App.ActionLinks().Verify(tokn); err != nil || l.AlertID != id {
						t.Errorf("teams link %q: %+v %v", act.URL, l, err)
					}
					teamsLinks++
				}
			}
			if teamsLinks != 3 {
				t.Errorf("teams card has %d one-tap links, want 3: %+v", teamsLinks, teams.Messages()[0].Card.Actions)
			}

			if _, _, err := s.App.Alerts().Ack(ctx, id, "sato", "console"); err != nil {
				t.Fatal(err)
			}
			// Both see the acknowledgement before the resolution: a robot
			// whose pass comes after both gets one "resolved" message.
			robot.WaitFor(t, 2, 20*time.Second)
			teams.WaitFor(t, 2, 20*time.Second)
			if m := robot.Messages()[1]; !strings.Contains(m.Title+string(mustJSON(t, m.Raw)), "已确认") {
				t.Errorf("ack message %v", m.Raw)
			}
			if _, _, err := s.App.Alerts().Resolve(ctx, id, "sato", "console"); err != nil {
				t.Fatal(err)
			}
			robot.WaitFor(t, 3, 20*time.Second)
			teams.WaitFor(t, 3, 20*time.Second)
			if m := robot.Messages()[2]; m.MsgType != "markdown" || !strings.Contains(m.Text, "已解决") {
				t.Errorf("resolved message %q %q", m.MsgType, m.Text)
			}
			// Nothing more: one message per stage.
			if _, err := s.App.AlertChat().RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if n := robot.Count(); n != 3 {
				t.Errorf("%d DingTalk messages, want 3", n)
			}
			if n := teams.Count(); n != 3 {
				t.Errorf("%d Teams messages, want 3", n)
			}
		})
	}
}

// fastFollow runs the alert chat worker's passes often, so that each step
// of the tests waits little.
func fastFollow(o *app.Options) { o.AlertChatPoll = 100 * time.Millisecond }

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
