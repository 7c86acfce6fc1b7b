package config

import (
	"strings"
	"testing"
)

func TestChatSocketModes(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(`
chat:
  dingtalk: {mode: stream, client_id_env: DT_ID, app_secret_env: DT_SECRET, gateway_url: 'http://127.0.0.1:9/'}
  slack: {mode: socket, app_token_env: SLACK_APP_TOKEN}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Chat
	if !c.Enabled() || c.Slack.Mode != ChatModeSocket || c.Slack.APIURL != "https://slack.com/api/" || c.Slack.SigningSecretEnv != "" ||
		c.DingTalk.Mode != ChatModeStream || c.DingTalk.ClientIDEnv != "DT_ID" || c.DingTalk.GatewayURL != "http://127.0.0.1:9/" {
		t.Fatalf("parsed: %+v", c)
	}
	// Slack in socket mode alone turns chat on.
	only, err := Parse([]byte("chat:\n  slack: {mode: socket, app_token_env: T}"))
	if err != nil || !only.Chat.Enabled() {
		t.Fatalf("socket mode alone: enabled %v, %v", only.Chat.Enabled(), err)
	}
	def, _ := Parse(nil)
	if def.Chat.Slack.Mode != ChatModeHTTP || def.Chat.DingTalk.Mode != ChatModeHTTP || def.Chat.DingTalk.GatewayURL != "https://api.dingtalk.com" {
		t.Fatalf("defaults: %+v %+v", def.Chat.Slack, def.Chat.DingTalk)
	}

	tests := []struct{ name, yaml, key string }{
		{"slack mode", "chat:\n  slack: {mode: rtm, signing_secret_env: S}", "chat.slack.mode"},
		{"socket without token", "chat:\n  slack: {mode: socket, signing_secret_env: S}", "chat.slack.app_token_env"},
		{"socket api url", "chat:\n  slack: {mode: socket, app_token_env: T, api_url: 'wss://x'}", "chat.slack.api_url"},
		{"token in http mode without secret", "chat:\n  slack: {app_token_env: T}", "chat.slack.signing_secret_env"},
		{"dingtalk mode", "chat:\n  dingtalk: {mode: socket, app_secret_env: S}", "chat.dingtalk.mode"},
		{"stream without client id", "chat:\n  dingtalk: {mode: stream, app_secret_env: S}", "chat.dingtalk.client_id_env"},
		{"stream without secret", "chat:\n  dingtalk: {mode: stream, client_id_env: I}", "chat.dingtalk.app_secret_env"},
		{"stream gateway", "chat:\n  dingtalk: {mode: stream, client_id_env: I, app_secret_env: S, gateway_url: 'nope'}", "chat.dingtalk.gateway_url"},
		{"client id in http mode", "chat:\n  dingtalk: {client_id_env: I, app_secret_env: S}", "chat.dingtalk.client_id_env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), "config: "+tt.key+": ") {
				t.Fatalf("error %v does not name %s", err, tt.key)
			}
		})
	}
}
