package notify_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/notify/notifytest"
)

// shownMarkdown is what a CommonMark renderer shows of text escaped for
// DingTalk, Teams or Backlog.
func shownMarkdown(s string) string { return notifytest.Shown(notifytest.DingTalk, s) }

const z = "\u200b" // the zero-width space the escaping functions insert

func TestEscapeDingTalk(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"普通の文章です。障害が発生しました。", "普通の文章です。障害が発生しました。"},
		{"[点击这里](https://evil.example/phish)", `\[点击这里\]` + z + `(https://evil.example/phish)`},
		{"![](https://evil.example/p.png)", `!\[\]` + z + `(https://evil.example/p.png)`},
		{"[x][1]\n[1]: https://evil.example", `\[x\]` + z + `\[1\]` + z + "\n" + `\[1\]` + z + `: https://evil.example`},
		{"*bold* _it_ `code` ~~del~~", `\*bold\* \_it\_ \` + "`" + `code\` + "`" + ` \~\~del\~\~`},
		{`<font color="white">隠す</font>`, `\<` + z + `font color="white"\>隠す\<` + z + `/font\>`},
		{"<https://evil.example>", `\<` + z + `https://evil.example\>`},
		{`C:\path \* \`, `C:\path \\\* \\`},
		{"# 見出しではない", `\# 見出しではない`},
		{"#見出し", `\#見出し`},
		{"  - not a list", `  \- not a list`},
		{"-1 度", "-1 度"},
		{"+ plus", `\+ plus`},
		{"+81 90 1234 5678", "+81 90 1234 5678"},
		{"===", `\===`},
		{"---", `\---`},
		{"> quote", `\> quote`},
		{"12. not ordered", `12\. not ordered`},
		{"3) not ordered", `3\) not ordered`},
		{"2024.05.01 の障害", "2024.05.01 の障害"},
		{"a - b # c | d", `a - b # c \| d`},
		{"line 1\n# line 2\r\n- line 3", "line 1\n" + `\# line 2` + "\r\n" + `\- line 3`},
		{"@all 请注意", "@" + z + "all 请注意"},
		{"联系@13800138000", "联系@" + z + "13800138000"},
		{"mail ops@example.com", "mail ops@example.com"},
		{"@ alone", "@ alone"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := notify.EscapeDingTalk(tt.in); got != tt.want {
			t.Errorf("EscapeDingTalk(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEscapeTeams(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"サーバーの障害について", "サーバーの障害について"},
		{"[点击这里](https://evil.example/phish)", `\[点击这里\]` + z + `(https://evil.example/phish)`},
		{"**bold** _it_", `\*\*bold\*\* \_it\_`},
		{"- item\n* item\n+ item\n1. first", `\- item` + "\n" + `\* item` + "\n" + `\+ item` + "\n" + `1\. first`},
		{`<at id="x">boss</at>`, "<" + z + `at id="x">boss<` + z + "/at>"},
		{"{{DATE(2017-02-14T06:08:39Z, SHORT)}}", "{" + z + "{DATE(2017-02-14T06:08:39Z, SHORT)}}"},
		{`{"json": {"a": 1}}`, `{"json": {"a": 1}}`},
		{"# not a heading in cards", "# not a heading in cards"},
		{"`code` ~strike~ &amp;", "`code` ~strike~ &amp;"},
		{"@here", "@" + z + "here"},
	}
	for _, tt := range tests {
		if got := notify.EscapeTeams(tt.in); got != tt.want {
			t.Errorf("EscapeTeams(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEscapeBacklog(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"課題の説明です。", "課題の説明です。"},
		{"[[label>https://evil.example]]", `\[\[label\>https://evil.example\]` + z + `\]` + z},
		{"[x](https://evil.example) ![](https://evil.example/p.png)", `\[x\]` + z + `(https://evil.example) !\[\]` + z + `(https://evil.example/p.png)`},
		{"#image(https://evil.example/p.png) #thumbnail(a) #contents", `\#image(https://evil.example/p.png) \#thumbnail(a) \#contents`},
		{"&color(white){hidden}&br;", `\&color(white)\{hidden\}\&br;`},
		{"''bold'' '''italic''' %%strike%% don't 50%", `'\'bold'\' '\'\'italic'\'\' %\%strike%\% don't 50%`},
		{"{code}\nx\n{/code}", `\{code\}` + "\n" + `x` + "\n" + `\{/code\}`},
		{"* heading\n- list\n+ numbered\n|a|b|h", `\* heading` + "\n" + `\- list` + "\n" + `\+ numbered` + "\n" + `\|a\|b\|h`},
		{"> quote", `\> quote`},
		{"@all", "@" + z + "all"},
		{"TRAIN-12 を参照", "TRAIN-12 を参照"},
	}
	for _, tt := range tests {
		if got := notify.EscapeBacklog(tt.in); got != tt.want {
			t.Errorf("EscapeBacklog(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEscapeSlack(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"障害 故障 장애", "障害 故障 장애"},
		{"<!channel> <!here> <!everyone>", "&lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt;"},
		{"<@U123> <#C123|general>", "&lt;@" + z + "U123&gt; &lt;#C123|general&gt;"},
		{"<https://evil.example|click>", "&lt;https://evil.example|click&gt;"},
		{"&lt; stays text", "&amp;lt; stays text"},
		{"@here @channel and ops@example.com", "@" + z + "here @" + z + "channel and ops@example.com"},
		{"*bold* _it_ `code`", "*bold* _it_ `code`"},
	}
	for _, tt := range tests {
		if got := notify.EscapeSlack(tt.in); got != tt.want {
			t.Errorf("EscapeSlack(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBreakMentions(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"@all", "@" + z + "all"},
		{"＠all", "＠" + z + "all"},
		{"请@张三 看一下", "请@" + z + "张三 看一下"},
		{"a@b.example", "a@b.example"},
		{"<@U123>", "<@" + z + "U123>"},
		{"@", "@"},
		{"no mention", "no mention"},
	}
	for _, tt := range tests {
		if got := notify.BreakMentions(tt.in); got != tt.want {
			t.Errorf("BreakMentions(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestEscapeSamples runs every hostile sample through every escaping
// function: none leaves live markup, and each shows as written.
func TestEscapeSamples(t *testing.T) {
	t.Parallel()
	for _, f := range []struct {
		format string
		escape func(string) string
	}{
		{notifytest.DingTalk, notify.EscapeDingTalk},
		{notifytest.Teams, notify.EscapeTeams},
		{notifytest.Backlog, notify.EscapeBacklog},
		{notifytest.Slack, notify.EscapeSlack},
	} {
		for _, s := range append(notifytest.Samples, notifytest.Text(), notifytest.Line()) {
			got := f.escape(s)
			notifytest.Check(t, f.format, fmt.Sprintf("escape of %q", s), got, []string{s})
			if shown := notifytest.Shown(f.format, got); shown != s {
				t.Errorf("%s: %q shows as %q", f.format, s, shown)
			}
		}
	}
}

// fuzzEscape checks the properties every escaping function has, for any
// input: valid UTF-8 out, no live markup (notifytest.Live, which reads the
// output as the destination would, independently of the escaper), and a
// reader is shown exactly the input (zero-width spaces aside, which the
// escaper adds and the reader does not see).
func fuzzEscape(f *testing.F, format string, escape func(string) string) {
	for _, s := range notifytest.Samples {
		f.Add(s)
	}
	for _, s := range []string{"", "\\", "\\\\[", "]\u200b(", "a\r\n- b", "'''", "%%%", "{{{", "@", "＠x", "x@y", "1.", "<", "&amp;", "\xff\xfe", "]]>(", "!!["} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := escape(s)
		if !utf8.ValidString(got) {
			t.Fatalf("escape(%q) = %q is not UTF-8", s, got)
		}
		if l := notifytest.Live(format, got); l != "" {
			t.Fatalf("escape(%q) = %q: live %s", s, got, l)
		}
		want := strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), z, "")
		if shown := notifytest.Shown(format, got); shown != want {
			t.Fatalf("escape(%q) = %q shows %q", s, got, shown)
		}
	})
}

func FuzzEscapeDingTalk(f *testing.F) { fuzzEscape(f, notifytest.DingTalk, notify.EscapeDingTalk) }
func FuzzEscapeTeams(f *testing.F)    { fuzzEscape(f, notifytest.Teams, notify.EscapeTeams) }
func FuzzEscapeBacklog(f *testing.F)  { fuzzEscape(f, notifytest.Backlog, notify.EscapeBacklog) }
func FuzzEscapeSlack(f *testing.F)    { fuzzEscape(f, notifytest.Slack, notify.EscapeSlack) }

// hostileKinds are the four kinds of message opsdesk sends, each carrying
// the hostile samples wherever outside text goes: a question from the
// public form, an alert nobody acknowledged (summary, host, labels), an
// AWS event (title and text rendered from its fields), and a Support case
// update (subject, a reply).
func hostileKinds() []struct {
	kind string
	req  notify.Request
	want []string // what the destination must show
} {
	line, text := notifytest.Line(), notifytest.Text()
	consoleURL := "https://desk.example.com/x/1"
	q := notify.Request{DeliveryID: "dlv-hostile-q", Attempt: 1, ConsoleURL: consoleURL, Question: notify.Question{
		ID: "Q-000777", Project: line, Name: line, Text: text, SubmittedAt: time.Date(2024, 6, 12, 1, 2, 3, 0, time.UTC),
	}}
	alert := notify.Request{DeliveryID: "dlv-hostile-a", Attempt: 1, Message: &notify.Message{
		Kind: "alert", Title: "Alert #5 not acknowledged: " + line, Severity: "critical", Ref: "alert-5", URL: consoleURL,
		Text:   "Nobody acknowledged alert #5 of XYZ after 2 call(s).\n\n" + text,
		Fields: []notify.Field{{Name: "System", Value: "XYZ"}, {Name: "Host", Value: line}, {Name: "Service", Value: line}},
	}}
	event := notify.Request{DeliveryID: "dlv-hostile-e", Attempt: 1, Message: &notify.Message{
		Kind: "event", Title: "Object Created " + line, Ref: "event-9", URL: consoleURL, Text: text,
		Fields: []notify.Field{{Name: "source", Value: "aws.s3"}, {Name: "detail-type", Value: line}},
	}}
	caseUpd := notify.Request{DeliveryID: "dlv-hostile-c", Attempt: 1, Message: &notify.Message{
		Kind: "case", Title: "AWS replied to case 1234567890", Ref: "1234567890", URL: consoleURL, Severity: "high",
		Text:   "From AWS at 2024-06-12 01:02\n" + text,
		Fields: []notify.Field{{Name: "Subject", Value: line}, {Name: "Status", Value: "pending-customer-action"}},
	}}
	return []struct {
		kind string
		req  notify.Request
		want []string
	}{
		{"question", q, []string{text, line}},
		{"alert", alert, []string{text, line}},
		{"event", event, []string{text, line}},
		{"case", caseUpd, []string{text, line}},
	}
}

// TestHostileEveryDestination sends each kind of message, full of hostile
// text, to each chat and ticket destination and checks what the fake
// received over HTTP: nothing in it links, embeds, mentions, styles or
// hides, and everything shows as written.
func TestHostileEveryDestination(t *testing.T) {
	t.Parallel()
	own := "https://desk.example.com/x/1"
	for _, k := range hostileKinds() {
		t.Run(k.kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()

			ding := fake.NewDingTalk(t, fake.WithSecret(dingSecret), fake.WithKeyword("opsdesk"))
			if _, err := newSender(t, dingtalkDest(ding), map[string]string{"DT_SECRET": dingSecret}, 5*time.Second).Send(ctx, k.req); err != nil {
				t.Fatalf("dingtalk: %v", err)
			}
			notifytest.CheckDingTalk(t, k.kind, ding.Messages()[0], k.want, "[Open in console]("+own)

			teams := fake.NewTeams(t)
			if _, err := newSender(t, teamsDest(), map[string]string{"TEAMS_URL": teams.URL()}, 5*time.Second).Send(ctx, k.req); err != nil {
				t.Fatalf("teams: %v", err)
			}
			notifytest.CheckTeams(t, k.kind, teams.Messages()[0], k.want)

			slack := fake.NewSlack(t)
			if _, err := newSender(t, slackDest(), map[string]string{"SLACK_URL": slack.URL()}, 5*time.Second).Send(ctx, k.req); err != nil {
				t.Fatalf("slack: %v", err)
			}
			notifytest.CheckSlack(t, k.kind, slack.Messages()[0].Raw, k.want, "<"+own)

			bl := fake.NewBacklog(t)
			if _, err := newSender(t, backlogDest(bl), map[string]string{"BACKLOG_KEY": bl.APIKey()}, 5*time.Second).Send(ctx, k.req); err != nil {
				t.Fatalf("backlog: %v", err)
			}
			is := bl.Issues()[0]
			notifytest.CheckBacklog(t, k.kind, is, k.want)
			// opsdesk's own lines are not escaped: the console link stays
			// a link, the delivery marker findable.
			if !strings.Contains(is.Description, "\nConsole: "+own) && k.kind != "question" {
				t.Errorf("backlog: console link escaped or missing:\n%s", is.Description)
			}
			if !strings.HasSuffix(is.Description, "\nopsdesk-delivery: "+k.req.DeliveryID) {
				t.Errorf("backlog: delivery marker changed:\n%s", is.Description)
			}
		})
	}
}

// TestHostileLongText: a question of hostile text long enough to be cut
// still leaves nothing live, whatever escape the cut lands next to.
func TestHostileLongText(t *testing.T) {
	t.Parallel()
	r := request(1)
	r.Question.Text = strings.Repeat(notifytest.Text()+"\n", 60) // ~18000 characters, mostly markup
	ding := fake.NewDingTalk(t, fake.WithSecret(dingSecret))
	if _, err := newSender(t, dingtalkDest(ding), map[string]string{"DT_SECRET": dingSecret}, 5*time.Second).Send(context.Background(), r); err != nil {
		t.Fatalf("dingtalk: %v", err)
	}
	m := ding.Messages()[0]
	if !strings.Contains(m.Text, "(truncated: the full question is in the console)") {
		t.Fatalf("not cut")
	}
	if l := notifytest.Live(notifytest.DingTalk, m.Text, "[Open in console]("+r.ConsoleURL); l != "" {
		t.Fatalf("dingtalk: live %s", l)
	}
	teams := fake.NewTeams(t)
	if _, err := newSender(t, teamsDest(), map[string]string{"TEAMS_URL": teams.URL()}, 5*time.Second).Send(context.Background(), r); err != nil {
		t.Fatalf("teams: %v", err) // the card stays within teamsMaxBody
	}
	if n := len(teams.Requests()[0].Body); n > 24000 {
		t.Fatalf("teams card is %d bytes", n)
	}
	texts := teams.Messages()[0].Card.TextBlocks()
	if l := notifytest.Live(notifytest.Teams, strings.Join(texts, "\n")); l != "" || !strings.Contains(texts[len(texts)-1], "(truncated: the full question is in the console)") {
		t.Fatalf("teams: live %q; texts end %q", l, tail(texts[len(texts)-1], 80))
	}
}

// TestSlackOwnLinkKeepsAt: opsdesk's own console link is written as Slack
// asks, not passed through EscapeSlack, so an "@" in its path keeps working.
func TestSlackOwnLinkKeepsAt(t *testing.T) {
	t.Parallel()
	f := fake.NewSlack(t)
	r := messageRequest(1)
	r.Message.URL = "https://desk.example.com/cases/" + url.PathEscape("case-1@example")
	if _, err := newSender(t, slackDest(), map[string]string{"SLACK_URL": f.URL()}, 5*time.Second).Send(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	ctx := f.Messages()[0].ContextTexts()
	if len(ctx) != 1 || !strings.Contains(ctx[0], "<https://desk.example.com/cases/case-1@example|Open in console>") {
		t.Fatalf("context = %q", ctx)
	}
}
