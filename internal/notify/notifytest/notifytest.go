// Package notifytest is what the tests of every message path share to show
// that text from outside never becomes live markup in a chat or ticket:
// hostile samples to put into questions, alerts, events and chat replies;
// what a reader is shown of a text escaped for a destination's format; and
// a scan of such a text for links, images, HTML, mentions and other markup
// the samples could have produced.
//
// The scan reads the escaped text the way the destinations' renderers do,
// independently of the escaping functions in package notify: a character
// counts as escaped when an odd number of backslashes precedes it, and a
// zero-width space between two characters keeps them from forming syntax.
package notifytest

import (
	"fmt"
	"html"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/fake"
)

// Formats the scan knows.
const (
	DingTalk = "dingtalk" // DingTalk robot markdown
	Teams    = "teams"    // Adaptive Card TextBlock and Fact text
	Backlog  = "backlog"  // a Backlog description (Markdown or Backlog notation)
	Slack    = "slack"    // Slack mrkdwn
	Lark     = "lark"     // Lark / Feishu card lark_md
	WeCom    = "wecom"    // WeCom group robot markdown
)

// Samples are hostile texts, one line each: a link with a trusted-looking
// label, an image, mentions of every platform, Slack control sequences,
// Teams' <at>, headings, emphasis, HTML that can hide text, code, Backlog
// notation, Adaptive Card functions, block markup that only works at the
// start of a line, and ordinary CJK text that must come through as written.
var Samples = []string{
	"[点击这里](https://evil.example/phish)",
	"![](https://evil.example/p.png)",
	"@all 请注意 @here @channel",
	"<!channel> <!here> <!everyone>",
	"<@U123> <#C123|general> <!subteam^S123>",
	"<https://evil.example|click>",
	`<at id="x">boss</at>`,
	"# heading",
	"**bold** __under__ _italic_ ~~strike~~",
	`<font color="white">hidden</font> <b>html</b> <img src=x>`,
	"`code` ```block```",
	"[[label>https://evil.example]] #image(https://evil.example/p.png) &color(white){hidden} ''bold'' %%strike%%",
	"{{DATE(2017-02-14T06:08:39Z, SHORT)}}",
	"- item",
	"1. first",
	"> quote",
	"---",
	"S3 バケットで障害が発生しました。服务器负载过高，请尽快处理。장애가 발생했습니다。",
}

// Text is every sample, one a line: a multi-line text such as a question.
func Text() string { return strings.Join(Samples, "\n") }

// Line is the samples that make sense inside one line (a name, a title, a
// field value), shortened and separated by spaces: under 200 characters,
// the most a chat destination shows of a field.
func Line() string {
	return strings.Join([]string{"[点击](https://evil.example/p)", "![](https://x.example/p.png)", "@all", "<!here>", "<@U1>", "<https://x.example|click>",
		`<at id="x">x</at>`, "**bold**", `<font color="white">x</font>`, "{{DATE(2017-02-14T06:08:39Z)}}", "障害 장애"}, " ")
}

const zwsp = '\u200b'

// asciiPunct reports whether c is one of CommonMark's escapable characters.
func asciiPunct(c byte) bool {
	return c < utf8.RuneSelf && strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) >= 0
}

// Shown is what a reader is shown of s, escaped for format: for the
// markdown formats, backslash escapes resolved; for Slack, its three
// entities decoded; zero-width spaces gone in every format.
func Shown(format, s string) string {
	if format == Slack {
		s = strings.NewReplacer("&lt;", "<", "&gt;", ">").Replace(s)
		s = strings.ReplaceAll(s, "&amp;", "&")
		return strings.ReplaceAll(s, string(zwsp), "")
	}
	if format == Lark {
		return strings.ReplaceAll(html.UnescapeString(s), string(zwsp), "")
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && asciiPunct(s[i+1]) {
			b.WriteByte(s[i+1])
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return strings.ReplaceAll(b.String(), string(zwsp), "")
}

// escapedAt reports whether the byte at i of s is backslash-escaped.
func escapedAt(s string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// unescaped reports whether sub occurs in s with its first character not
// escaped and no backslash inside it.
func unescaped(s, sub string) bool {
	for from := 0; ; {
		i := strings.Index(s[from:], sub)
		if i < 0 {
			return false
		}
		i += from
		if !escapedAt(s, i) {
			return true
		}
		from = i + 1
	}
}

// isOwn reports whether s at i starts with one of own.
func isOwn(s string, i int, own []string) bool {
	for _, o := range own {
		if o != "" && strings.HasPrefix(s[i:], o) {
			return true
		}
	}
	return false
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Live returns what in s, a text escaped for format, would be live markup
// that outside text produced, or "" when there is none. own are opsdesk's
// own links as they appear in the format (for DingTalk "[Open in
// console](https://…", for Slack "<https://…"): markup starting with one
// of them is opsdesk's.
func Live(format, s string, own ...string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r", "\n"), "\n")
	for i := 0; i < len(s); i++ {
		c := s[i]
		// Mentions: "@" or "＠" right before a letter or digit, not
		// inside a word (an e-mail address).
		if c == '@' || strings.HasPrefix(s[i:], "＠") {
			w := 1
			if c != '@' {
				w = len("＠")
			}
			if i+w < len(s) && isASCIIAlnum(s[i+w]) && (i == 0 || !isASCIIAlnum(s[i-1])) {
				return fmt.Sprintf("mention %q", around(s, i))
			}
		}
		if format == Slack {
			if c == '<' && !isOwn(s, i, own) {
				return fmt.Sprintf("Slack control sequence %q", around(s, i))
			}
			continue
		}
		switch {
		case c == '<' && i+1 < len(s) && (isASCIIAlnum(s[i+1]) || strings.IndexByte("/!?@#", s[i+1]) >= 0):
			return fmt.Sprintf("HTML tag, autolink or <at> mention %q", around(s, i))
		case c == '[' && !escapedAt(s, i) && !isOwn(s, i, own):
			return fmt.Sprintf("link or image bracket %q", around(s, i))
		case c == ']' && i+1 < len(s) && strings.IndexByte("([:", s[i+1]) >= 0 && !ownLinkEnd(s, i, own):
			return fmt.Sprintf("link destination %q", around(s, i))
		case c == '!' && i+1 < len(s) && s[i+1] == '[' && !escapedAt(s, i+1):
			return fmt.Sprintf("image %q", around(s, i))
		}
	}
	if format == Slack {
		// mrkdwn has no escape for emphasis and no block markup worth the
		// name; what could link or mention was checked above.
		return ""
	}
	var forbidden []string
	switch format {
	case DingTalk, Lark, WeCom:
		forbidden = []string{"**bold**", "__under__", "_italic_", "~~strike~~", "`code`", "```"}
	case Teams:
		forbidden = []string{"**bold**", "__under__", "_italic_"}
		if strings.Contains(s, "{{") {
			return "Adaptive Card function {{…}}"
		}
	case Backlog:
		forbidden = []string{"**bold**", "__under__", "_italic_", "~~strike~~", "`code`", "```", "''", "%%", "[[", "#image(", "&color(", "{hidden}"}
	}
	for _, f := range forbidden {
		if unescaped(s, f) {
			return fmt.Sprintf("markup %q", f)
		}
	}
	// Block markup at the start of a line.
	starts := []string{"- item", "1. first", "---"}
	switch format {
	case DingTalk, Backlog, Lark, WeCom:
		starts = append(starts, "# heading", "> quote")
	}
	for _, l := range lines {
		l = strings.TrimLeft(l, " \t")
		for _, st := range starts {
			if strings.HasPrefix(l, st) {
				return fmt.Sprintf("line markup %q", l)
			}
		}
	}
	return ""
}

// ownLinkEnd reports whether the "]" at i closes one of opsdesk's own
// links: the text from the last unescaped "[" before it starts with an own
// prefix.
func ownLinkEnd(s string, i int, own []string) bool {
	for j := i - 1; j >= 0; j-- {
		if s[j] == '[' && !escapedAt(s, j) {
			return isOwn(s, j, own)
		}
	}
	return false
}

func around(s string, i int) string {
	lo, hi := max(0, i-20), min(len(s), i+30)
	for lo > 0 && !utf8.RuneStart(s[lo]) {
		lo--
	}
	for hi < len(s) && !utf8.RuneStart(s[hi]) {
		hi++
	}
	return s[lo:hi]
}

// Check fails t when text, escaped for format, holds live markup (see
// Live), or when it does not show every line of want to a reader (see
// Shown). what names the text in messages.
func Check(t testing.TB, format, what, text string, want []string, own ...string) {
	t.Helper()
	if l := Live(format, text, own...); l != "" {
		t.Errorf("%s: %s: live %s in:\n%s", format, what, l, text)
	}
	CheckShown(t, what, Shown(format, text), want)
}

// CheckShown fails t when shown lacks a line of want.
func CheckShown(t testing.TB, what, shown string, want []string) {
	t.Helper()
	for _, w := range want {
		for _, line := range strings.Split(w, "\n") {
			if !strings.Contains(shown, line) {
				t.Errorf("%s does not show %q; it shows:\n%s", what, line, shown)
			}
		}
	}
}

// SlackTexts sorts the text of a Slack message body (incoming webhook or
// response_url) into what Slack parses as mrkdwn (the top-level text and
// every mrkdwn text object) and what it shows as written (plain_text). A
// mrkdwn text object without verbatim set is an error: Slack would link
// names and URLs in it by itself.
func SlackTexts(body map[string]any) (mrkdwn, plain []string, err error) {
	if s, ok := body["text"].(string); ok && s != "" {
		mrkdwn = append(mrkdwn, s)
	}
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case map[string]any:
			if typ, _ := x["type"].(string); typ == "mrkdwn" || typ == "plain_text" {
				s, _ := x["text"].(string)
				if typ == "plain_text" {
					plain = append(plain, s)
					return nil
				}
				if x["verbatim"] != true {
					return fmt.Errorf("mrkdwn text object without verbatim: %q", s)
				}
				mrkdwn = append(mrkdwn, s)
				return nil
			}
			for _, e := range x {
				if err := walk(e); err != nil {
					return err
				}
			}
		case []any:
			for _, e := range x {
				if err := walk(e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err = walk(body["blocks"])
	return mrkdwn, plain, err
}

// CheckDingTalk checks a markdown message the DingTalk fake received: no
// live markup outside opsdesk's own links, every line of want shown, and no
// "at" object (the only way a robot message mentions anyone).
func CheckDingTalk(t testing.TB, what string, m fake.DingTalkMessage, want []string, own ...string) {
	t.Helper()
	if m.MsgType != "markdown" {
		t.Errorf("%s: msgtype %q, want markdown", what, m.MsgType)
	}
	if _, ok := m.Raw["at"]; ok {
		t.Errorf("%s: the message has an at object: %v", what, m.Raw["at"])
	}
	Check(t, DingTalk, what, m.Text, want, own...)
}

// CheckTeams checks a card the Teams fake received: its TextBlocks and
// Facts (all of which Teams renders as markdown) hold no live markup and
// show every line of want, and the card has no msteams.entities (which
// would turn <at> into a mention).
func CheckTeams(t testing.TB, what string, m fake.TeamsMessage, want []string) {
	t.Helper()
	var texts []string
	for _, e := range m.Card.Body {
		if e.Type == "TextBlock" {
			texts = append(texts, e.Text)
		}
		for _, f := range e.Facts {
			texts = append(texts, f.Title, f.Value)
		}
	}
	atts, _ := m.Raw["attachments"].([]any)
	for _, a := range atts {
		content, _ := a.(map[string]any)["content"].(map[string]any)
		if ms, ok := content["msteams"].(map[string]any); ok && ms["entities"] != nil {
			t.Errorf("%s: the card has msteams.entities: %v", what, ms["entities"])
		}
	}
	Check(t, Teams, what, strings.Join(texts, "\n"), want)
}

// CheckSlack checks a Slack message body (incoming webhook or
// response_url): every mrkdwn text is verbatim and holds no live markup
// outside opsdesk's own links, and the message shows every line of want.
func CheckSlack(t testing.TB, what string, body map[string]any, want []string, own ...string) {
	t.Helper()
	mrkdwn, plain, err := SlackTexts(body)
	if err != nil {
		t.Errorf("%s: %v", what, err)
	}
	var shown []string
	for _, s := range mrkdwn {
		if l := Live(Slack, s, own...); l != "" {
			t.Errorf("slack: %s: live %s in:\n%s", what, l, s)
		}
		shown = append(shown, Shown(Slack, s))
	}
	shown = append(shown, plain...)
	CheckShown(t, what, strings.Join(shown, "\n"), want)
}

// CheckBacklog checks an issue the Backlog fake created: its description
// holds no live markup and shows every line of want.
func CheckBacklog(t testing.TB, what string, is fake.BacklogIssue, want []string) {
	t.Helper()
	Check(t, Backlog, what, is.Description, want)
}
