package config

import (
	"fmt"
	"slices"
	"strings"
)

// chat.dingtalk.accounts and chat.slack.accounts are the allow-lists of
// "create case --account": the accounts a chat may name besides
// chat.account (which is always allowed). An entry is a configured
// account's name, an account id, or — with aws.organizations — the AWS
// name of a discovered member account. Empty (the default): only
// chat.account.

func (x *Chat) validateAccounts(c *Config) error {
	for _, l := range []struct {
		key  string
		list []string
	}{{"chat.dingtalk.accounts", x.DingTalk.Accounts}, {"chat.slack.accounts", x.Slack.Accounts}} {
		for i, a := range l.list {
			key := fmt.Sprintf("%s[%d]", l.key, i)
			a = strings.TrimSpace(a)
			switch {
			case a == "":
				return &Error{key, "must not be empty"}
			case len([]rune(a)) > 64:
				return &Error{key, "must be at most 64 characters"}
			case isAccountID(a), len(c.AWS.Organizations) > 0:
				// An id, or perhaps a discovered account's name.
			case !slices.ContainsFunc(c.AWS.Accounts, func(x AWSAccount) bool { return x.Name == a }):
				return &Error{key, fmt.Sprintf("no aws.accounts entry is named %q (and no aws.organizations discovers more)", a)}
			}
		}
	}
	return nil
}
