package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestNoInboundPort is the laptop behind NAT of issue 14: opsdesk listens
// on loopback only and nothing is posted to it. Everything arrives over
// connections opsdesk opens itself:
//
//   - an EventBridge event and a CloudWatch alarm through SQS; the event is
//     stored and matched, the alarm phones Sato through Connect;
//   - the alarm's Slack message (Web API, outbound) carries buttons, and
//     Sato's press arrives over Socket Mode and acknowledges the alert, so
//     the call list stops and the message says who acknowledged;
//   - a Slack slash command over Socket Mode and a DingTalk robot command
//     over Stream mode are answered.
//
// One set of AWS credentials serves Support, Connect and SQS, as one IAM
// user would.
func TestNoInboundPort(t *testing.T) {
	// The Support client reads the SDK's default chain from the process
	// environment.
	t.Setenv("AWS_ACCESS_KEY_ID", fake.ConnectAccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", fake.ConnectSecretAccessKey)
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			sup, cn := fake.NewSupport(t), fake.NewConnect(t)
			sq := fake.NewSQS(t, fake.WithAWSKey(fake.ConnectAccessKeyID, fake.ConnectSecretAccessKey))
			// The one key is Connect's: Support and SQS accept it too.
			sup.AddSession(fake.ConnectAccessKeyID, fake.ConnectSecretAccessKey, "", time.Now().Add(24*time.Hour))
			hk := fake.NewWebhook(t)
			api := fake.NewSlackAPI(t, []string{followChannel})
			sock, stream := fake.NewSlackSocket(t), fake.NewDingTalkStream(t)
			replies, sessions := fake.NewSlackResponse(t), fake.NewDingTalkSession(t)
			queue := sq.CreateQueue("intake")
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
destinations:
  - {name: hook, type: webhook, url: '` + hk.URL() + `'}
  - {name: ops-slack, type: slack, bot_token_env: SLACK_BOT, channel: ` + followChannel + `, api_url: '` + api.URL() + `'}
aws:
  accounts:
    - {name: prod, languages: [en, zh]}
  queues:
    - {name: intake, url: '` + queue + `', region: ` + sq.Region() + `, wait: 1s, visibility: 30s}
events:
  rules:
    - name: ec2-stopped
      pattern: {source: [aws.ec2], detail: {state: [stopped]}}
      actions:
        - {type: notify, destination: hook, title: 'Stopped {{field "detail.instance-id"}}'}
chat:
  dingtalk:
    mode: stream
    client_id_env: DT_CLIENT_ID
    app_secret_env: DT_CLIENT_SECRET
    gateway_url: '` + stream.BaseURL() + `'
  slack:
    mode: socket
    app_token_env: SLACK_APP_TOKEN
    api_url: '` + sock.APIURL() + `'
alerts:
  timezone: Asia/Tokyo
` + connectYAML(cn) + `  systems:
    - name: XYZ
      rounds: 3
      contacts: [{name: sato, phone: "` + satoPhone + `"}]
      follow: [ops-slack]
oncall:
  users:
    - name: sato
      contact_methods: [{kind: chat, address: U0SATO001, destination: ops-slack, label: slack}]
`))
			if err != nil {
				t.Fatal(err)
			}
			s := apptest.StartWith(t, cfg, map[string]string{
				"AWS_ENDPOINT_URL_SUPPORT": sup.URL(),
				"AWS_ENDPOINT_URL_CONNECT": cn.URL(),
				"AWS_ENDPOINT_URL_SQS":     sq.URL(),
				"AWS_ACCESS_KEY_ID":        fake.ConnectAccessKeyID,
				"AWS_SECRET_ACCESS_KEY":    fake.ConnectSecretAccessKey,
				"SLACK_BOT":                api.Token(),
				"SLACK_APP_TOKEN":          sock.AppToken(),
				"DT_CLIENT_ID":             stream.ClientID(),
				"DT_CLIENT_SECRET":         stream.ClientSecret(),
			}, fastFollow)
			if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
				t.Fatalf("the listener is %s, want loopback", s.URL)
			}
			ctx := context.Background()
			if _, err := s.App.Auth.AddUser(ctx, "sato", auth.RoleResponder, "correct horse battery staple"); err != nil {
				t.Fatal(err)
			}
			if missing, err := s.App.Contacts.ApplyDeclared(ctx, cfg.OnCall.Users); err != nil || len(missing) > 0 {
				t.Fatalf("declared methods: %v %v", missing, err)
			}
			sock.WaitConnections(t, 1, 1, 30*time.Second)
			stream.WaitConnections(t, 1, 1, 30*time.Second)
			cn.Script(satoPhone, fake.Hold())

			// AWS → SQS → opsdesk.
			evID := sq.Send("intake", ec2Event("0b7c9d8e-1111-4222-8333-000000000014", "i-0nat"))
			alarmID := sq.Send("intake", sqsAlarmEnvelope(t, "laptop-behind-nat"))
			sq.WaitDeleted(t, "intake", 20*time.Second, evID, alarmID)
			hk.WaitForUnique(t, 1, 20*time.Second)
			if msg := hk.Deliveries()[0].Payload.Message; msg.Title != "Stopped i-0nat" {
				t.Errorf("event notification %+v", msg)
			}
			waitUntil(t, 20*time.Second, "the alarm's alert", func() bool {
				l, err := s.App.Alerts().List(ctx, alerts.Filter{System: "XYZ"})
				return err == nil && len(l) == 1
			})
			if calls := cn.WaitForCalls(t, 1, 20*time.Second); calls[0].Number != satoPhone {
				t.Fatalf("call %+v", calls[0])
			}
			list, err := s.App.Alerts().List(ctx, alerts.Filter{System: "XYZ"})
			if err != nil || len(list) != 1 || list[0].Source != "cloudwatch" {
				t.Fatalf("alerts %+v %v", list, err)
			}
			al := list[0]

			// The alert's Slack message names whom it calls and has buttons.
			section := func() string {
				m := api.TopLevel()
				if len(m) == 0 {
					return ""
				}
				return strings.Join(m[0].SectionTexts(), "\n")
			}
			waitUntil(t, 20*time.Second, "the Slack message naming sato", func() bool { return strings.Contains(section(), "Calling: sato") })
			msg := api.TopLevel()[0]

			// Sato presses Acknowledge; the press comes over Socket Mode.
			ru := replies.NewURL()
			var payload map[string]any
			press := fake.SlackBlockAction{UserID: "U0SATO001", UserName: "sato", ChannelID: followChannel, MessageTS: msg.TS,
				ActionID: "opsdesk:ack:" + itoa(al.ID), ResponseURL: ru}
			if err := json.Unmarshal(press.Payload(), &payload); err != nil {
				t.Fatal(err)
			}
			sock.WaitAck(t, sock.PushInteractive(t, payload), 10*time.Second)
			waitUntil(t, 20*time.Second, "the alert acknowledged", func() bool {
				a, err := s.App.Alerts().Get(ctx, al.ID)
				return err == nil && a.Status == "acknowledged"
			})
			waitUntil(t, 10*time.Second, "the presser's reply", func() bool { return len(replies.MessagesTo(ru)) == 1 })
			waitUntil(t, 20*time.Second, "the message updated", func() bool { return strings.Contains(section(), "Acknowledged by sato") })
			if n := len(api.TopLevel()); n != 1 {
				t.Errorf("%d top-level Slack messages, want 1 (updated in place)", n)
			}

			// Chat commands over the sockets.
			cmdURL := replies.NewURL()
			sock.PushSlashCommand(t, fake.SlackSlashCommand{Text: "service EC2", TeamID: "T1", ChannelID: "C1", ChannelName: "ops",
				UserID: "U1", UserName: "bob", ResponseURL: cmdURL, TriggerID: "trigger-nat-1"})
			waitUntil(t, 30*time.Second, "the Slack command answered", func() bool { return len(replies.MessagesTo(cmdURL)) == 1 })
			if m := replies.MessagesTo(cmdURL)[0]; !strings.Contains(m.Text, "amazon-elastic-compute-cloud-linux") {
				t.Fatalf("slack service lookup: %+v", m)
			}
			session := sessions.Open("cidNAT", time.Now().Add(time.Hour))
			mid := stream.PushRobotMessage(t, fake.DingTalkCallback{MsgID: "msg-nat-1", Text: "查找ServiceCode：EC2", SenderStaffID: "staff-1",
				SenderNick: "Li", ConversationID: "cidNAT", ConversationTitle: "Ops", SessionWebhook: session,
				SessionExpires: time.Now().Add(time.Hour), IsInAtList: true, CreateAt: time.Now()})
			if a := stream.WaitAck(t, mid, 10*time.Second); a.Code != http.StatusOK {
				t.Fatalf("dingtalk ack %+v", a)
			}
			waitUntil(t, 30*time.Second, "the DingTalk command answered", func() bool { return len(sessions.MessagesTo(session)) == 1 })
			mustContain(t, "dingtalk service lookup", sessions.MessagesTo(session)[0].Text, "amazon-elastic-compute-cloud-linux")

			// The acknowledgement stopped the call list: one call, no more.
			if n := len(cn.Calls()); n != 1 {
				t.Errorf("%d calls after the acknowledgement, want 1", n)
			}
		})
	}
}
