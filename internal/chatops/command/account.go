package command

import (
	"strings"
	"unicode"
)

// FieldAccount is the AWS account a case is created in: the --account flag
// of the command line ("create case --account prod") or an account line in
// any of the four languages ("account: prod", "账号: prod",
// "アカウント: prod", "계정: prod"). Optional: without it, the chat's
// account.
const FieldAccount = "account"

// MaxAccount bounds an account name as typed (configured names and AWS
// account names are at most 64 characters; ids are 12 digits).
const MaxAccount = 64

// accountKeys are the account line's keys; normKey folds case and drops
// spaces, "_" and "-".
var accountKeys = []string{"account", "账号", "账户", "帳號", "アカウント", "계정"}

func init() {
	for _, k := range accountKeys {
		caseKeys[normKey(k)] = FieldAccount
	}
}

// accountFlag consumes "--account NAME", "--account=NAME" or
// "--account:NAME" at the cursor (a long dash "—account" too, as phones
// turn "--" into one) and returns NAME as typed; ok is false when there
// is no flag. A flag without a value returns ok with an empty name.
func (c *cursor) accountFlag() (name line, ok bool) {
	start := c.i
	if !(c.lit("--") || c.lit("—") || c.lit("–")) || !c.word("account") {
		c.i = start
		return line{}, false
	}
	c.skip(" =:")
	end := c.i + spaceOrEnd(c.l.fold[c.i:])
	name = c.l.sub(c.i, end)
	c.i = end
	return name, true
}

// checkAccount validates an account value: printable, at most MaxAccount
// characters. Whether the account exists, and whether this chat may use
// it, is for the caller (the accounts are configured and discovered).
func checkAccount(v string) (string, *Issue) {
	v = strings.TrimSpace(unwrap(v, "{}<>"))
	if v == "" {
		return "", &Issue{Field: FieldAccount, Problem: ProblemEmpty}
	}
	if n := len([]rune(v)); n > MaxAccount {
		return "", &Issue{Field: FieldAccount, Problem: ProblemTooLong, Limit: MaxAccount, Got: n}
	}
	for _, r := range v {
		if !unicode.IsPrint(r) {
			return "", &Issue{Field: FieldAccount, Problem: ProblemInvalid, Value: shorten(v)}
		}
	}
	return v, nil
}

// accountUsage is the account line of the create-case format.
var accountUsage = map[string]string{
	"zh": "account:{账号名或 ID}（可选；也可写 账号:{账号}，或 提工单 --account {账号}；默认为本群的账号）",
	"ja": "account:{アカウント名または ID}（省略可。アカウント:{名前} や create case --account {名前} でも可。省略時はこのチャットのアカウント）",
	"en": "account:{account name or id} (optional; also create case --account {name}; default: this chat's account)",
	"ko": "account:{계정 이름 또는 ID} (선택. 계정:{이름} 또는 create case --account {이름}도 가능. 기본값은 이 채팅의 계정)",
}

func accountLine(lang string) string {
	for tag, t := range languages {
		if t == pick(lang) {
			return accountUsage[tag]
		}
	}
	return accountUsage["zh"]
}
