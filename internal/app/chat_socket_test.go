package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/chatops"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestChatSockets runs opsdesk with its HTTP listener on loopback and posts
// nothing to it: a Slack slash command arrives through Socket Mode and a
// DingTalk robot message through Stream mode, both are answered from the
// Support fake, and the replies arrive at the response_url and the
// sessionWebhook. Redeliveries run once.
func TestChatSockets(t *testing.T) {
	f := fake.NewSupport(t)
	t.Setenv("AWS_ACCESS_KEY_ID", f.AccessKeyID())
	t.Setenv("AWS_SECRET_ACCESS_KEY", f.SecretAccessKey())
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			sup := fake.NewSupport(t)
			slack, stream := fake.NewSlackSocket(t), fake.NewDingTalkStream(t)
			respURL, sessions := fake.NewSlackResponse(t), fake.NewDingTalkSession(t)
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
aws:
  accounts:
    - {name: prod, languages: [en, zh]}
chat:
  dingtalk:
    mode: stream
    client_id_env: DT_CLIENT_ID
    app_secret_env: DT_CLIENT_SECRET
    gateway_url: '` + stream.BaseURL() + `'
  slack:
    mode: socket
    app_token_env: SLACK_APP_TOKEN
    api_url: '` + slack.APIURL() + `'
`))
			if err != nil {
				t.Fatal(err)
			}
			s := apptest.Start(t, cfg, map[string]string{
				"AWS_ENDPOINT_URL_SUPPORT": sup.URL(),
				"DT_CLIENT_ID":             stream.ClientID(),
				"DT_CLIENT_SECRET":         stream.ClientSecret(),
				"SLACK_APP_TOKEN":          slack.AppToken(),
			})
			slack.WaitConnections(t, 1, 1, 30*time.Second)
			stream.WaitConnections(t, 1, 1, 30*time.Second)
			count := func(q string, args ...any) int {
				t.Helper()
				st := s.App.St
				var n int
				if err := st.R.QueryRow(st.Q(q), args...).Scan(&n); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				return n
			}

			// Slack: the slash command over Socket Mode, acknowledged with
			// the "working on it" text, answered on the response URL.
			ru := respURL.NewURL()
			cmd := fake.SlackSlashCommand{Text: "service EC2", TeamID: "T1", ChannelID: "C1", ChannelName: "ops", UserID: "U1", UserName: "bob",
				ResponseURL: ru, TriggerID: "trigger-sock-1"}
			env := fake.SlackEnvelope{Type: "slash_commands", EnvelopeID: "env-sock-1", Payload: fake.SlashCommandPayload(cmd)}
			slack.Push(t, env)
			if a := slack.WaitAck(t, "env-sock-1", 10*time.Second); a.Payload["text"] != chatops.WorkingText("en") {
				t.Fatalf("slack ack = %+v", a)
			}
			respURL.WaitFor(t, 1, 30*time.Second)
			sm := respURL.MessagesTo(ru)
			if len(sm) != 1 {
				t.Fatalf("response URL got %+v", sm)
			}
			mustContain(t, "slack service lookup", sm[0].Text, "amazon-elastic-compute-cloud-linux", "instance-issue")

			// Slack sends the envelope again (it saw no acknowledgement in
			// time): acknowledged, not run again.
			env.RetryAttempt = 1
			before := len(slack.Acks())
			slack.Push(t, env)
			deadline := time.Now().Add(10 * time.Second)
			for len(slack.Acks()) == before {
				if time.Now().After(deadline) {
					t.Fatal("the redelivered envelope was not acknowledged")
				}
				time.Sleep(5 * time.Millisecond)
			}

			// DingTalk: a robot message over the stream, answered on its
			// session webhook.
			session := sessions.Open("cidSock", time.Now().Add(time.Hour))
			cb := fake.DingTalkCallback{MsgID: "msg-sock-1", Text: "查找ServiceCode：EC2", SenderStaffID: "staff-1", SenderNick: "Li",
				ConversationID: "cidSock", ConversationTitle: "Ops", SessionWebhook: session, SessionExpires: time.Now().Add(time.Hour),
				IsInAtList: true, CreateAt: time.Now()}
			mid := stream.PushRobotMessage(t, cb)
			if a := stream.WaitAck(t, mid, 10*time.Second); a.Code != http.StatusOK {
				t.Fatalf("dingtalk ack = %+v", a)
			}
			sessions.WaitFor(t, 1, 30*time.Second)
			dm := sessions.MessagesTo(session)
			if len(dm) != 1 {
				t.Fatalf("session got %+v", dm)
			}
			mustContain(t, "dingtalk service lookup", dm[0].Text, "amazon-elastic-compute-cloud-linux", "instance-issue")
			// DingTalk delivers the same robot message again (as a new
			// stream message): acknowledged, not run again.
			again := stream.PushRobotMessage(t, cb)
			if a := stream.WaitAck(t, again, 10*time.Second); a.Code != http.StatusOK {
				t.Fatalf("redelivery ack = %+v", a)
			}

			// Each redelivery was acknowledged after its job insert, which
			// found the first job (unique by trigger id / msgId): one job,
			// one audit row and one reply each.
			if n := len(respURL.MessagesTo(ru)); n != 1 {
				t.Fatalf("%d replies on the response URL, want 1", n)
			}
			if n := len(sessions.MessagesTo(session)); n != 1 {
				t.Fatalf("%d replies on the session, want 1", n)
			}
			if n := count(`SELECT count(*) FROM chat_audit WHERE msg_id IN ('trigger-sock-1', 'msg-sock-1')`); n != 2 {
				t.Fatalf("%d audit rows, want 2", n)
			}
			if n := count(`SELECT count(*) FROM river_job WHERE kind IN ('chat_slack', 'chat_dingtalk')`); n != 2 {
				t.Fatalf("%d command jobs, want 2", n)
			}

			// Interactive payloads are acknowledged (nothing handles them
			// yet).
			iid := slack.PushInteractive(t, map[string]any{"type": "block_actions", "trigger_id": "t-1"})
			slack.WaitAck(t, iid, 10*time.Second)

			// The HTTP hooks are not served in these modes.
			for _, p := range []string{"/hooks/dingtalk", "/hooks/slack/commands"} {
				resp, err := http.Post(s.URL+p, "application/json", strings.NewReader("{}"))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
					t.Fatalf("POST %s: HTTP %d, want no route", p, resp.StatusCode)
				}
			}

			// /readyz shows both connections up; /metrics counts them.
			var ready struct {
				Status      string `json:"status"`
				ChatSockets map[string]struct {
					Connected bool   `json:"connected"`
					Since     string `json:"since"`
				} `json:"chat_sockets"`
			}
			sockGetJSON(t, s.URL+"/readyz", &ready)
			for _, p := range []string{"slack", "dingtalk"} {
				if st := ready.ChatSockets[p]; ready.Status != "ready" || !st.Connected || st.Since == "" {
					t.Fatalf("readyz: %+v", ready)
				}
			}
			// A dropped connection comes back, counted.
			slack.Drop()
			slack.WaitConnections(t, 2, 1, 30*time.Second)
			metrics := sockGet(t, s.URL+"/metrics")
			mustContain(t, "metrics", metrics, `opsdesk_chat_socket_connected{platform="dingtalk"} 1`,
				`opsdesk_chat_socket_reconnects_total{platform="dingtalk"} 0`)
			deadline = time.Now().Add(10 * time.Second)
			for !strings.Contains(metrics, `opsdesk_chat_socket_reconnects_total{platform="slack"} 1`) ||
				!strings.Contains(metrics, `opsdesk_chat_socket_connected{platform="slack"} 1`) {
				if time.Now().After(deadline) {
					t.Fatalf("metrics after a reconnect:\n%s", metrics)
				}
				time.Sleep(20 * time.Millisecond)
				metrics = sockGet(t, s.URL+"/metrics")
			}
			// A command over the new connection is answered.
			ru2 := respURL.NewURL()
			cmd.ResponseURL, cmd.TriggerID, cmd.Text = ru2, "trigger-sock-2", "help"
			slack.PushSlashCommand(t, cmd)
			respURL.WaitFor(t, 2, 30*time.Second)
			if m := respURL.MessagesTo(ru2); len(m) != 1 || !strings.Contains(m[0].Text, "help") {
				t.Fatalf("after the reconnect the response URL got %+v", m)
			}
		})
	}
}

func sockGet(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func sockGetJSON(t *testing.T, u string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(sockGet(t, u)), v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}
