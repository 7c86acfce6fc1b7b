package config

import (
	"errors"
	"strings"
	"testing"
)

// TestFollowConfig: systems follow chat destinations; a Slack destination
// in Web API mode has a bot token variable and a channel; destinations
// have a language. Errors name the key.
func TestFollowConfig(t *testing.T) {
	t.Parallel()
	const base = `
destinations:
  - {name: ops-slack, type: slack, bot_token_env: SLACK_BOT, channel: C0OPS0001, language: ja}
  - {name: ops-ding, type: dingtalk, url: 'https://oapi.dingtalk.com/robot/send?access_token=x'}
  - {name: ops-hook, type: webhook, url: 'https://hooks.example.com/x'}
`
	cfg, err := Parse([]byte(base + "alerts:\n  systems: [{name: A, follow: [ops-slack, ops-ding]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Alerts.Systems[0].Follow; strings.Join(got, ",") != "ops-slack,ops-ding" {
		t.Errorf("follow %v", got)
	}
	if d, _ := cfg.Destination("ops-slack"); !d.SlackAPI() || d.Language != "ja" || d.Channel != "C0OPS0001" {
		t.Errorf("slack destination %+v", d)
	}
	cases := []struct{ yaml, key, msg string }{
		{base + "alerts:\n  systems: [{name: A, follow: [nowhere]}]", "alerts.systems[0].follow[0]", `no destination is named "nowhere"`},
		{base + "alerts:\n  systems: [{name: A, follow: [ops-hook]}]", "alerts.systems[0].follow[0]", "only slack, dingtalk, teams, lark, wecom"},
		{base + "alerts:\n  systems: [{name: B}, {name: A, follow: [ops-ding, ops-ding]}]", "alerts.systems[1].follow[1]", "twice"},
		{"destinations:\n  - {name: s, type: slack, bot_token_env: T}", "destinations[s].channel", "channel id"},
		{"destinations:\n  - {name: s, type: slack, bot_token_env: T, channel: general}", "destinations[s].channel", "channel id"},
		{"destinations:\n  - {name: s, type: slack, bot_token_env: T, channel: C01, url: 'https://hooks.slack.com/x'}", "destinations[s].url", "not both"},
		{"destinations:\n  - {name: s, type: slack, bot_token_env: T, channel: C01, api_url: 'ftp://x'}", "destinations[s].api_url", "http"},
		{"destinations:\n  - {name: s, type: slack, url: 'https://hooks.slack.com/x', channel: C01}", "destinations[s].channel", "bot_token_env"},
		{"destinations:\n  - {name: t, type: teams, url: 'https://x.example/x', bot_token_env: T}", "destinations[t].bot_token_env", "slack only"},
		{"destinations:\n  - {name: t, type: teams, url: 'https://x.example/x', language: fr}", "destinations[t].language", "en, ja, zh, ko"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.yaml))
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != c.key || !strings.Contains(ce.Msg, c.msg) {
			t.Errorf("%s\n  got %v, want key %s containing %q", c.yaml, err, c.key, c.msg)
		}
	}
}
