package notifytest

import (
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/fake"
)

// CheckLark checks a message a Lark bot received: every lark_md text of
// the card is free of live markup and together they show want; the
// plain_text header has no mention and no "<" that could start a tag.
func CheckLark(t testing.TB, what string, m fake.LarkMessage, want []string) {
	t.Helper()
	for _, x := range m.Texts {
		if l := Live(Lark, x); l != "" {
			t.Errorf("lark: %s: live %s in:\n%s", what, l, x)
		}
	}
	CheckPlainTitle(t, "lark: "+what, m.Title)
	CheckShown(t, "lark: "+what, Shown(Lark, strings.Join(m.Texts, "\n"))+"\n"+strings.ReplaceAll(m.Title, string(zwsp), ""), want)
}

// CheckWeCom checks a WeCom robot's markdown content as CheckDingTalk
// checks DingTalk's.
func CheckWeCom(t testing.TB, what string, m fake.WeComMessage, want []string, own ...string) {
	t.Helper()
	Check(t, WeCom, "wecom: "+what, m.Content, want, own...)
}

// CheckPlainTitle fails t when a plain-text title holds a mention or a "<"
// directly followed by a tag's first character.
func CheckPlainTitle(t testing.TB, what, title string) {
	t.Helper()
	for i := 0; i < len(title); i++ {
		c := title[i]
		if c == '<' && i+1 < len(title) && (isASCIIAlnum(title[i+1]) || strings.IndexByte("/!?@#", title[i+1]) >= 0) {
			t.Errorf("%s: title has a tag %q", what, around(title, i))
		}
		if c == '@' && i+1 < len(title) && isASCIIAlnum(title[i+1]) && (i == 0 || !isASCIIAlnum(title[i-1])) {
			t.Errorf("%s: title has a mention %q", what, around(title, i))
		}
	}
}
