package config

import (
	"strings"
	"testing"
)

func TestLarkWeComDestinations(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(`destinations:
  - name: feishu-ops
    type: lark
    url: https://open.feishu.cn/open-apis/bot/v2/hook/0f1e2d3c
    secret_env: LARK_SECRET
  - name: lark-intl
    type: lark
    url_env: LARK_URL
  - name: wecom-ops
    type: wecom
    url_env: WECOM_URL
routes:
  questions: [feishu-ops, wecom-ops]
`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(c.Destinations) != 3 || c.Destinations[0].Type != "lark" || c.Destinations[0].SecretEnv != "LARK_SECRET" ||
		c.Destinations[1].URLEnv != "LARK_URL" || c.Destinations[2].Type != "wecom" {
		t.Fatalf("destinations = %+v", c.Destinations)
	}
	cases := []struct {
		name, yaml, key, msg string
	}{
		{"lark no url", "destinations:\n  - {name: l, type: lark}", "destinations[l].url", "is required"},
		{"lark bad url", "destinations:\n  - {name: l, type: lark, url: 'ftp://open.feishu.cn/hook/SECRETHOOK'}", "destinations[l].url", "is not an http(s) URL"},
		{"lark url and url_env", "destinations:\n  - {name: l, type: lark, url: 'https://x', url_env: U}", "destinations[l].url", "not both"},
		{"wecom no url", "destinations:\n  - {name: w, type: wecom}", "destinations[w].url", "is required"},
		{"wecom secret", "destinations:\n  - {name: w, type: wecom, url_env: U, secret_env: S}", "destinations[w].secret_env", "is not used by type wecom"},
		{"unknown type names the new ones", "destinations:\n  - {name: x, type: feishu, url: 'https://x'}", "destinations[x].type", "is not one of teams, backlog, dingtalk, lark, wecom, slack, webhook"},
	}
	for _, tc := range cases {
		_, err := Parse([]byte(tc.yaml))
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.key) || !strings.Contains(err.Error(), tc.msg) || strings.Contains(err.Error(), "SECRETHOOK") {
			t.Errorf("%s: error %q, want key %q and %q", tc.name, err, tc.key, tc.msg)
		}
	}
}
