package config

import (
	"strings"
	"testing"
	"time"
)

func TestOrganizationsValidation(t *testing.T) {
	t.Parallel()
	const base = "aws:\n  accounts: [{name: mgmt}]\n  organizations:\n"
	cases := []struct {
		name, yaml, want string
	}{
		{"no name", "    - {account: mgmt, role_name: R}", "aws.organizations[0].name"},
		{"dup name", "    - {name: o, account: mgmt, role_name: R}\n    - {name: o, account: mgmt, role_name: R}", "aws.organizations[1].name"},
		{"no account", "    - {name: o, role_name: R}", "aws.organizations[o].account"},
		{"unknown account", "    - {name: o, account: x, role_name: R}", `aws.organizations[o].account: no aws.accounts entry is named "x"`},
		{"no role", "    - {name: o, account: mgmt}", "aws.organizations[o].role_name"},
		{"bad role", "    - {name: o, account: mgmt, role_name: 'a/b'}", "aws.organizations[o].role_name"},
		{"bad partition", "    - {name: o, account: mgmt, role_name: R, partition: mars}", "aws.organizations[o].partition"},
		{"empty include", "    - {name: o, account: mgmt, role_name: R, include: ['']}", "aws.organizations[o].include[0]"},
		{"empty exclude", "    - {name: o, account: mgmt, role_name: R, exclude: [' ']}", "aws.organizations[o].exclude[0]"},
		{"short refresh", "    - {name: o, account: mgmt, role_name: R, refresh: 10s}", "aws.organizations[o].refresh"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(base + c.yaml))
			if err == nil {
				t.Fatalf("no error for %q", c.yaml)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}

	cfg, err := Parse([]byte(base + "    - {name: o, account: mgmt, role_name: OpsdeskSupportReader, external_id: x, exclude: ['111111111111']}"))
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.AWS.Organizations[0]
	if o.RefreshInterval() != time.Hour || o.PartitionOf(cfg) != "aws" || o.RoleName != "OpsdeskSupportReader" {
		t.Errorf("parsed %+v: refresh %s, partition %s", o, o.RefreshInterval(), o.PartitionOf(cfg))
	}
}

func TestChatAccountsValidation(t *testing.T) {
	t.Parallel()
	const base = "aws:\n  accounts: [{name: prod}, {name: dev}]\nchat:\n  dingtalk:\n    app_secret_env: X\n"
	for _, c := range []struct{ name, yaml, want string }{
		{"unknown", "    accounts: [dev, nope]", `chat.dingtalk.accounts[1]: no aws.accounts entry is named "nope"`},
		{"empty", "    accounts: ['']", "chat.dingtalk.accounts[0]"},
		{"slack", "  slack:\n    signing_secret_env: Y\n    accounts: [x]", "chat.slack.accounts[0]"},
	} {
		_, err := Parse([]byte(base + c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	cfg, err := Parse([]byte(base + "    accounts: [dev, '123456789012']"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Chat.DingTalk.Accounts) != 2 {
		t.Errorf("accounts %v", cfg.Chat.DingTalk.Accounts)
	}
	// With an organization, a name may be a discovered account's.
	if _, err := Parse([]byte("aws:\n  accounts: [{name: mgmt}]\n  organizations: [{name: o, account: mgmt, role_name: R}]\nchat:\n  dingtalk:\n    app_secret_env: X\n    accounts: [team-a]")); err != nil {
		t.Error(err)
	}
}
