package config

import (
	"strings"
	"testing"
	"time"
)

func TestChatDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(`
aws:
  accounts: [{name: prod}, {name: staging}]
chat:
  dingtalk:
    app_secret_env: DT_SECRET
`))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Chat
	if !c.Enabled() || c.AccountName(cfg) != "prod" || c.CaseLanguage != "en" || c.ServiceCache.D() != 24*time.Hour || c.UpdateInterval.D() != 30*time.Second {
		t.Fatalf("defaults: %+v", c)
	}
	if c.DingTalk.Language != "zh" || c.DingTalk.MsgType != "text" || c.DingTalk.RatePerMinute != 20 || c.Slack.Language != "en" {
		t.Fatalf("platform defaults: %+v %+v", c.DingTalk, c.Slack)
	}
	off, err := Parse(nil)
	if err != nil || off.Chat.Enabled() || off.Chat.AccountName(off) != "" {
		t.Fatalf("no chat: %v %v", off.Chat.Enabled(), err)
	}
	cfg, err = Parse([]byte(`
aws:
  accounts: [{name: prod}, {name: staging}]
destinations:
  - {name: ops, type: slack, url: 'https://hooks.slack.com/services/T/B/x'}
chat:
  account: staging
  case_language: zh
  dingtalk:
    app_secret_env: DT_SECRET
    webhook_url_env: DT_WEBHOOK
    webhook_secret_env: DT_WEBHOOK_SECRET
    language: ja
    msgtype: markdown
    rate_per_minute: 10
    robot_names: [运维助手]
    allow: {read: [cidOps], create: [staff1], resolve: [staff1, staff2]}
    conversations:
      - {id: cidOps, webhook_url: 'https://oapi.dingtalk.com/robot/send?access_token=x', webhook_secret_env: OPS_SECRET}
  slack:
    signing_secret_env: SLACK_SECRET
    language: ko
    destination: ops
    allow: {create: [U1]}
  updates:
    - {destination: ops, min_severity: urgent, language: ja}
`))
	if err != nil {
		t.Fatal(err)
	}
	c = cfg.Chat
	if c.AccountName(cfg) != "staging" || c.DingTalk.Allow.Resolve[1] != "staff2" || c.DingTalk.Conversations[0].ID != "cidOps" ||
		c.Slack.Destination != "ops" || c.Updates[0].MinSeverity != "urgent" || c.DingTalk.RobotNames[0] != "运维助手" {
		t.Fatalf("parsed: %+v", c)
	}
}

func TestChatErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	const dest = "destinations:\n  - {name: ops, type: slack, url: 'https://hooks.slack.com/x'}\n"
	tests := []struct{ name, yaml, key string }{
		{"unknown account", "chat:\n  account: nope\n  dingtalk: {app_secret_env: S}", "chat.account"},
		{"case language", "chat:\n  case_language: fr", "chat.case_language"},
		{"service cache", "chat:\n  service_cache: 1s", "chat.service_cache"},
		{"update interval", "chat:\n  update_interval: 1s", "chat.update_interval"},
		{"dingtalk language", "chat:\n  dingtalk: {app_secret_env: S, language: de}", "chat.dingtalk.language"},
		{"msgtype", "chat:\n  dingtalk: {app_secret_env: S, msgtype: card}", "chat.dingtalk.msgtype"},
		{"rate", "chat:\n  dingtalk: {app_secret_env: S, rate_per_minute: 30}", "chat.dingtalk.rate_per_minute"},
		{"webhook url", "chat:\n  dingtalk: {app_secret_env: S, webhook_url: 'ftp://x'}", "chat.dingtalk.webhook_url"},
		{"webhook both", "chat:\n  dingtalk: {app_secret_env: S, webhook_url: 'https://x', webhook_url_env: W}", "chat.dingtalk.webhook_url"},
		{"secret without webhook", "chat:\n  dingtalk: {app_secret_env: S, webhook_secret_env: W}", "chat.dingtalk.webhook_secret_env"},
		{"webhook without app secret", "chat:\n  dingtalk: {webhook_url: 'https://x'}", "chat.dingtalk.app_secret_env"},
		{"empty robot name", "chat:\n  dingtalk: {app_secret_env: S, robot_names: [' ']}", "chat.dingtalk.robot_names[0]"},
		{"empty allow entry", "chat:\n  dingtalk: {app_secret_env: S, allow: {create: [a, '']}}", "chat.dingtalk.allow.create[1]"},
		{"conversation id", "chat:\n  dingtalk: {app_secret_env: S, conversations: [{webhook_url: 'https://x'}]}", "chat.dingtalk.conversations[0].id"},
		{"conversation twice", "chat:\n  dingtalk: {app_secret_env: S, conversations: [{id: c, webhook_url: 'https://x'}, {id: c, webhook_url: 'https://y'}]}", "chat.dingtalk.conversations[1].id"},
		{"conversation webhook", "chat:\n  dingtalk: {app_secret_env: S, conversations: [{id: c}]}", "chat.dingtalk.conversations[0].webhook_url"},
		{"slack language", "chat:\n  slack: {signing_secret_env: S, language: xx}", "chat.slack.language"},
		{"slack destination", "chat:\n  slack: {signing_secret_env: S, destination: nowhere}", "chat.slack.destination"},
		{"slack destination without secret", dest + "chat:\n  slack: {destination: ops}", "chat.slack.signing_secret_env"},
		{"slack allow", "chat:\n  slack: {signing_secret_env: S, allow: {resolve: ['']}}", "chat.slack.allow.resolve[0]"},
		{"updates destination", "chat:\n  updates: [{destination: nowhere}]", "chat.updates[0].destination"},
		{"updates no destination", "chat:\n  updates: [{min_severity: high}]", "chat.updates[0].destination"},
		{"updates severity", dest + "chat:\n  updates: [{destination: ops, min_severity: severe}]", "chat.updates[0].min_severity"},
		{"updates language", dest + "chat:\n  updates: [{destination: ops, language: fr}]", "chat.updates[0].language"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error for:\n%s", tt.yaml)
			}
			if !strings.Contains(err.Error(), "config: "+tt.key+": ") {
				t.Fatalf("error %q does not name %s", err, tt.key)
			}
		})
	}
}
