package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/notify"
)

// message is a realistic alert notice: Japanese and Chinese text, markup
// characters every format must neutralise, fields and a console link.
func message() *notify.Message {
	return &notify.Message{
		Kind:  "alert",
		Title: "CloudWatch alarm HighCPU が ALARM",
		Text: "本番環境のEC2でCPU使用率が90%を超えました。\r\n" +
			"服务器负载过高，请尽快处理。\n" +
			"\n" +
			"<!channel> *bold* [link](https://evil.example) & <b>",
		Fields: []notify.Field{
			{Name: "Region", Value: "ap-northeast-1"},
			{Name: "インスタンス", Value: "i-0abc123def4567890"},
			{Name: "Threshold", Value: "CPU > 90% & rising"},
		},
		URL:      "https://desk.example.com/alerts/A-000042",
		Severity: "Critical",
		Ref:      "A-000042",
	}
}

// messageText is message().Text as every destination shows it: LF
// newlines, no surrounding blank space.
const messageText = "本番環境のEC2でCPU使用率が90%を超えました。\n" +
	"服务器负载过高，请尽快处理。\n" +
	"\n" +
	"<!channel> *bold* [link](https://evil.example) & <b>"

func messageRequest(attempt int) notify.Request {
	return notify.Request{
		DeliveryID: "dlv-MSG-0001",
		Attempt:    attempt,
		ConsoleURL: "https://desk.example.com/ignored-when-the-message-has-a-url",
		Message:    message(),
	}
}

// longText is over every destination's limit: 3-byte CJK characters and
// 4-byte emoji (two UTF-16 units), so a cut in the wrong place shows.
func longText() string {
	return strings.Repeat("東京リージョンで障害😀が発生しました。", 4000) // 76000 characters
}

// assertCut checks that got is a cut of full on a character boundary that
// ends with suffix and keeps at least minKept bytes of full.
func assertCut(t *testing.T, got, full, suffix string, minKept int) {
	t.Helper()
	if !utf8.ValidString(got) {
		t.Fatalf("cut text is not valid UTF-8")
	}
	kept, ok := strings.CutSuffix(got, suffix)
	if !ok {
		t.Fatalf("cut text does not end with %q: …%q", suffix, tail(got, 40))
	}
	if !strings.HasPrefix(full, kept) {
		t.Fatalf("cut text is not a prefix of the text: …%q", tail(kept, 40))
	}
	if len(kept) < minKept || len(kept) >= len(full) {
		t.Fatalf("kept %d of %d bytes, want at least %d and less than all", len(kept), len(full), minKept)
	}
}

func tail(s string, n int) string {
	r := []rune(s)
	return string(r[max(0, len(r)-n):])
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

func TestTeamsMessage(t *testing.T) {
	t.Parallel()
	f := fake.NewTeams(t)
	s := newSender(t, teamsDest(), map[string]string{"TEAMS_URL": f.URL()}, 5*time.Second)
	res, err := s.Send(context.Background(), messageRequest(1))
	if err != nil {
		t.Fatalf("Send: %v", err) // the fake checked the card schema
	}
	if res.ExternalRef != "" {
		t.Fatalf("ExternalRef = %q", res.ExternalRef)
	}
	golden(t, "teams_message.json", indentJSON(t, f.Requests()[0].Body))
	card := f.Messages()[0].Card
	want := []fake.CardElement{
		{Type: "TextBlock", Text: "CloudWatch alarm HighCPU が ALARM", Wrap: true, Weight: "Bolder", Size: "Medium", Color: "Attention"},
		// Escaped for the card: no link, no <tag>, no emphasis.
		{Type: "TextBlock", Text: "本番環境のEC2でCPU使用率が90%を超えました。\n服务器负载过高，请尽快处理。\n\n" +
			"<\u200b!channel> \\*bold\\* \\[link\\]\u200b(https://evil.example) & <\u200bb>", Wrap: true},
		{Type: "FactSet", Facts: []fake.Fact{
			{Title: "Region", Value: "ap-northeast-1"},
			{Title: "インスタンス", Value: "i-0abc123def4567890"},
			{Title: "Threshold", Value: "CPU > 90% & rising"},
		}},
		{Type: "TextBlock", Text: "alert · critical · A-000042", Wrap: true, Size: "Small", IsSubtle: true},
	}
	if len(card.Body) != len(want) {
		t.Fatalf("body = %+v, want %+v", card.Body, want)
	}
	for i := range want {
		g, w := card.Body[i], want[i]
		if g.Type != w.Type || g.Text != w.Text || g.Wrap != w.Wrap || g.Weight != w.Weight || g.Size != w.Size ||
			g.Color != w.Color || g.IsSubtle != w.IsSubtle || !slices.Equal(g.Facts, w.Facts) {
			t.Fatalf("body[%d] = %+v, want %+v", i, g, w)
		}
	}
	wantAction := []fake.CardAction{{Type: "Action.OpenUrl", Title: "Open in console", URL: "https://desk.example.com/alerts/A-000042"}}
	if !slices.Equal(card.Actions, wantAction) {
		t.Fatalf("actions = %+v, want %+v", card.Actions, wantAction)
	}
}

func TestTeamsMessageLongText(t *testing.T) {
	t.Parallel()
	f := fake.NewTeams(t)
	s := newSender(t, teamsDest(), map[string]string{"TEAMS_URL": f.URL()}, 5*time.Second)
	r := messageRequest(1)
	r.Message.Text = longText()
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if n := len(f.Requests()[0].Body); n > 24000 {
		t.Fatalf("card is %d bytes, over the 24000-byte budget", n)
	}
	texts := f.Messages()[0].Card.TextBlocks()
	assertCut(t, texts[1], longText(), "…\n\n(truncated)", 20000)
	// The fields and the link are never cut away.
	if card := f.Messages()[0].Card; len(card.Facts()) != 3 || len(card.Actions) != 1 {
		t.Fatalf("long message lost its facts or link: %+v", card)
	}
}

func TestBacklogMessage(t *testing.T) {
	t.Parallel()
	f, s := newBacklog(t, 5*time.Second)
	res, err := s.Send(context.Background(), messageRequest(1))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if res.ExternalRef != "TRAIN-1" {
		t.Fatalf("ExternalRef = %q, want TRAIN-1", res.ExternalRef)
	}
	form, err := url.ParseQuery(string(f.Requests()[0].Body))
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	enc := json.NewEncoder(&pretty)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(form); err != nil {
		t.Fatal(err)
	}
	golden(t, "backlog_message_form.json", pretty.Bytes())

	is := f.Issues()[0]
	if is.Summary != "CloudWatch alarm HighCPU が ALARM" || is.IssueTypeID != 2 || is.PriorityID != 3 || is.AssigneeID != 7 {
		t.Fatalf("issue = %+v", is)
	}
	// The text and fields are escaped for Markdown and Backlog notation;
	// the labels and the console link are opsdesk's own.
	wantDesc := "本番環境のEC2でCPU使用率が90%を超えました。\n服务器负载过高，请尽快处理。\n\n" +
		`\<` + "\u200b" + `!channel\> \*bold\* \[link\]` + "\u200b" + `(https://evil.example) \& \<` + "\u200b" + `b\>` + "\n\n" +
		"Region: ap-northeast-1\n" +
		"インスタンス: i-0abc123def4567890\n" +
		`Threshold: CPU \> 90% \& rising` + "\n" +
		"Kind: alert\n" +
		"Severity: critical\n" +
		"Reference: A-000042\n" +
		"Console: https://desk.example.com/alerts/A-000042\n" +
		"opsdesk-delivery: dlv-MSG-0001"
	if is.Description != wantDesc {
		t.Fatalf("description = %q, want %q", is.Description, wantDesc)
	}
}

func TestBacklogMessageLimits(t *testing.T) {
	t.Parallel()
	f, s := newBacklog(t, 5*time.Second)
	r := messageRequest(1)
	title := strings.Repeat("障害", 200) // 400 characters; Backlog allows 255
	r.Message.Title = title
	r.Message.Text = longText()
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("Send: %v", err) // the fake refuses summaries over 255 characters
	}
	is := f.Issues()[0]
	if utf8.RuneCountInString(is.Summary) != 255 {
		t.Fatalf("summary has %d characters, want 255", utf8.RuneCountInString(is.Summary))
	}
	assertCut(t, is.Summary, title, "…", 254*3)
	text, _, ok := strings.Cut(is.Description, "\n\nRegion: ")
	if !ok {
		t.Fatalf("description lost its fields: %q", tail(is.Description, 200))
	}
	if n := utf8.RuneCountInString(text); n != 20000 {
		t.Fatalf("description text has %d characters, want 20000", n)
	}
	assertCut(t, text, longText(), "…", 19999*3)
	if !strings.HasSuffix(is.Description, "\nopsdesk-delivery: dlv-MSG-0001") {
		t.Fatalf("description does not end with the delivery marker: %q", tail(is.Description, 80))
	}

	// Emoji count twice in Backlog's 255: the summary stays within it.
	r = messageRequest(1)
	r.DeliveryID = "dlv-MSG-0002"
	r.Message.Title = strings.Repeat("🔥", 200)
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("Send emoji title: %v", err)
	}
	if got := f.Issues()[1].Summary; utf16Len(got) > 255 || got != strings.Repeat("🔥", 127)+"…" {
		t.Fatalf("emoji summary = %q (%d UTF-16 units)", got, utf16Len(got))
	}
}

// TestBacklogMessageRetryFindsEarlierIssue: attempt 1 creates the issue but
// its answer is lost; attempt 2 must find that issue by the delivery marker
// and not create a second one.
func TestBacklogMessageRetryFindsEarlierIssue(t *testing.T) {
	t.Parallel()
	f, slow := newBacklog(t, 150*time.Millisecond)
	f.SetDelay(3 * time.Second)
	_, err := slow.Send(context.Background(), messageRequest(1))
	if ne := notifyError(t, err); ne.Permanent || ne.StatusCode != 0 {
		t.Fatalf("attempt 1: want a retryable timeout, got %v", err)
	}
	noSecrets(t, err, backlogKey)
	f.WaitFor(t, 1, 5*time.Second) // the issue was created all the same
	f.SetDelay(0)
	// A newer issue that mentions the delivery id without being its issue.
	f.CreateIssue("unrelated", "see dlv-MSG-0001\nopsdesk-delivery: dlv-MSG-OTHER")
	before := len(f.Requests())

	s := newSender(t, backlogDest(f), map[string]string{"BACKLOG_KEY": backlogKey}, 5*time.Second)
	res, err := s.Send(context.Background(), messageRequest(2))
	if err != nil {
		t.Fatalf("attempt 2: %v", err)
	}
	if res.ExternalRef != "TRAIN-1" {
		t.Fatalf("attempt 2 ExternalRef = %q, want the earlier TRAIN-1", res.ExternalRef)
	}
	if n := len(f.Issues()); n != 2 {
		t.Fatalf("%d issues, want 2 (no duplicate)", n)
	}
	reqs := f.Requests()[before:]
	if len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Query.Get("keyword") != "dlv-MSG-0001" || reqs[0].Query.Get("projectId[]") != "77" {
		t.Fatalf("attempt 2 requests = %+v, want one search", reqs)
	}
}

func TestDingTalkMessage(t *testing.T) {
	t.Parallel()
	f := fake.NewDingTalk(t, fake.WithSecret(dingSecret), fake.WithKeyword("opsdesk"))
	s := newSender(t, dingtalkDest(f), map[string]string{"DT_SECRET": dingSecret}, 5*time.Second)
	if _, err := s.Send(context.Background(), messageRequest(1)); err != nil {
		t.Fatalf("Send: %v", err) // the fake verified sign and keyword
	}
	golden(t, "dingtalk_message.json", indentJSON(t, f.Requests()[0].Body))
	m := f.Messages()[0]
	if m.MsgType != "markdown" || m.Title != "opsdesk: CloudWatch alarm HighCPU が ALARM" {
		t.Fatalf("message = %+v", m)
	}
	if m.Sign != fake.DingTalkSign(dingSecret, m.Timestamp) {
		t.Fatalf("sign %q", m.Sign)
	}
	want := "### 🚨 CloudWatch alarm HighCPU が ALARM\n\n" +
		"本番環境のEC2でCPU使用率が90%を超えました。\n\n" +
		"服务器负载过高，请尽快处理。\n\n" +
		`\<` + "\u200b" + `!channel\> \*bold\* \[link\]` + "\u200b" + `(https://evil.example) & \<` + "\u200b" + `b\>` + "\n\n" +
		"- **Region:** ap-northeast-1\n" +
		"- **インスタンス:** i-0abc123def4567890\n" +
		`- **Threshold:** CPU \> 90% & rising` + "\n" +
		"\n" +
		"opsdesk · alert · critical · A-000042\n\n" +
		"[Open in console](https://desk.example.com/alerts/A-000042)"
	if m.Text != want {
		t.Fatalf("markdown =\n%s\nwant\n%s", m.Text, want)
	}
}

func TestDingTalkMessageLongText(t *testing.T) {
	t.Parallel()
	f := fake.NewDingTalk(t, fake.WithSecret(dingSecret))
	s := newSender(t, dingtalkDest(f), map[string]string{"DT_SECRET": dingSecret}, 5*time.Second)
	r := messageRequest(1)
	r.Message.Text = longText()
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("Send: %v", err) // the fake refuses bodies over 20000 bytes
	}
	if n := len(f.Requests()[0].Body); n > 19000 {
		t.Fatalf("body is %d bytes", n)
	}
	text := f.Messages()[0].Text
	body, _, ok := strings.Cut(strings.TrimPrefix(text, "### 🚨 CloudWatch alarm HighCPU が ALARM\n\n"), "\n\n- **Region:**")
	if !ok {
		t.Fatalf("markdown lost its heading or fields:\n%s", tail(text, 300))
	}
	assertCut(t, body, longText(), "…\n\n(truncated)", 15000)
}

func TestSlackMessage(t *testing.T) {
	t.Parallel()
	f := fake.NewSlack(t)
	s := newSender(t, slackDest(), map[string]string{"SLACK_URL": f.URL()}, 5*time.Second)
	if _, err := s.Send(context.Background(), messageRequest(1)); err != nil {
		t.Fatalf("Send: %v", err) // the fake checked the Block Kit limits
	}
	golden(t, "slack_message.json", indentJSON(t, f.Requests()[0].Body))
	m := f.Messages()[0]
	if want := "🚨 CloudWatch alarm HighCPU が ALARM"; m.Text != want || m.HeaderText() != want {
		t.Fatalf("text = %q, header = %q, want %q", m.Text, m.HeaderText(), want)
	}
	if got, want := m.BlockTypes(), []string{"header", "section", "section", "context"}; !slices.Equal(got, want) {
		t.Fatalf("blocks = %v, want %v", got, want)
	}
	wantText := "本番環境のEC2でCPU使用率が90%を超えました。\n服务器负载过高，请尽快处理。\n\n" +
		"&lt;!channel&gt; *bold* [link](https://evil.example) &amp; &lt;b&gt;"
	if got := m.SectionTexts(); len(got) != 1 || got[0] != wantText {
		t.Fatalf("section texts = %q, want %q", got, wantText)
	}
	wantFields := []string{"*Region*\nap-northeast-1", "*インスタンス*\ni-0abc123def4567890", "*Threshold*\nCPU &gt; 90% &amp; rising"}
	if got := m.FieldTexts(); !slices.Equal(got, wantFields) {
		t.Fatalf("fields = %q, want %q", got, wantFields)
	}
	wantCtx := []string{"alert · critical · A-000042 · <https://desk.example.com/alerts/A-000042|Open in console>"}
	if got := m.ContextTexts(); !slices.Equal(got, wantCtx) {
		t.Fatalf("context = %q, want %q", got, wantCtx)
	}
	// The text is mrkdwn, the header plain text without emoji parsing.
	if sec := m.Blocks[1]["text"].(map[string]any); sec["type"] != "mrkdwn" {
		t.Fatalf("text section type = %v", sec["type"])
	}
	if hdr := m.Blocks[0]["text"].(map[string]any); hdr["type"] != "plain_text" || hdr["emoji"] != false {
		t.Fatalf("header = %v", hdr)
	}
}

func TestSlackMessageEscapes(t *testing.T) {
	t.Parallel()
	f := fake.NewSlack(t)
	s := newSender(t, slackDest(), map[string]string{"SLACK_URL": f.URL()}, 5*time.Second)
	r := messageRequest(1)
	r.Message.Title = "<!here> A&B <https://evil.example|login>"
	r.Message.Text = "<!channel> <@U012AB3CD> <https://evil.example|click> & more"
	r.Message.Fields = []notify.Field{{Name: "<!everyone>", Value: "a<b>&c"}}
	r.Message.Ref = "<ref>"
	r.Message.URL = "https://desk.example.com/cases/1?a=1&b=x|y"
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("Send: %v", err)
	}
	m := f.Messages()[0]
	if want := "🚨 &lt;!here&gt; A&amp;B &lt;https://evil.example|login&gt;"; m.Text != want {
		t.Fatalf("text = %q, want %q", m.Text, want)
	}
	if want := "🚨 <!here> A&B <https://evil.example|login>"; m.HeaderText() != want {
		t.Fatalf("plain_text header = %q, want the title unescaped %q", m.HeaderText(), want)
	}
	if want := []string{"&lt;!channel&gt; &lt;@\u200bU012AB3CD&gt; &lt;https://evil.example|click&gt; &amp; more"}; !slices.Equal(m.SectionTexts(), want) {
		t.Fatalf("section = %q, want %q", m.SectionTexts(), want)
	}
	if want := []string{"*&lt;!everyone&gt;*\na&lt;b&gt;&amp;c"}; !slices.Equal(m.FieldTexts(), want) {
		t.Fatalf("fields = %q, want %q", m.FieldTexts(), want)
	}
	if want := []string{"alert · critical · &lt;ref&gt; · <https://desk.example.com/cases/1?a=1&amp;b=x%7Cy|Open in console>"}; !slices.Equal(m.ContextTexts(), want) {
		t.Fatalf("context = %q, want %q", m.ContextTexts(), want)
	}
}

func TestSlackMessageLimits(t *testing.T) {
	t.Parallel()
	f := fake.NewSlack(t)
	s := newSender(t, slackDest(), map[string]string{"SLACK_URL": f.URL()}, 5*time.Second)
	r := messageRequest(1)
	r.Message.Title = strings.Repeat("😀", 200)     // 400 UTF-16 units
	r.Message.Text = strings.Repeat("&障😀", 2000)   // escapes to 16000 units
	r.Message.Fields = make([]notify.Field, 0, 25) // more than two sections of ten
	for i := range 25 {
		r.Message.Fields = append(r.Message.Fields, notify.Field{Name: strings.Repeat("<", 60), Value: strings.Repeat("&", 300) + string(rune('a'+i))})
	}
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("Send: %v", err) // the fake refuses blocks over Slack's limits
	}
	m := f.Messages()[0]
	if h := m.HeaderText(); utf16Len(h) > 150 || h != "🚨 "+strings.Repeat("😀", 73)+"…" {
		t.Fatalf("header = %q (%d units)", h, utf16Len(h))
	}
	sec := m.SectionTexts()[0]
	if n := utf16Len(sec); n > 3000 || n < 2990 {
		t.Fatalf("section has %d UTF-16 units, want just under 3000", n)
	}
	// Cut between whole escapes and characters, never inside "&amp;".
	kept, ok := strings.CutSuffix(sec, "…")
	if !ok || !strings.HasPrefix(strings.Repeat("&amp;障😀", 2000), kept) || !utf8.ValidString(sec) {
		t.Fatalf("section cut badly: …%q", tail(sec, 20))
	}
	fields := m.FieldTexts()
	if len(fields) != 20 || m.BlockTypes()[2] != "section" || m.BlockTypes()[3] != "section" {
		t.Fatalf("%d fields in blocks %v, want 20 in two sections", len(fields), m.BlockTypes())
	}
	// Names are cut after 50 characters, values after 200, then marked.
	wantField := "*" + strings.Repeat("&lt;", 50) + "…*\n" + strings.Repeat("&amp;", 200) + "…"
	if fields[0] != wantField {
		t.Fatalf("field = %q, want %q", fields[0], wantField)
	}
}

func TestWebhookMessage(t *testing.T) {
	t.Parallel()
	f := fake.NewWebhook(t, fake.WithSecret(hookSecret))
	s := newSender(t, webhookDest(f), map[string]string{"WH_SECRET": hookSecret}, 5*time.Second)
	if _, err := s.Send(context.Background(), messageRequest(1)); err != nil {
		t.Fatalf("Send: %v", err) // the fake checked signature and document
	}
	d := f.Deliveries()[0]
	golden(t, "webhook_message.json", indentJSON(t, d.Body))
	if d.IdempotencyKey != "dlv-MSG-0001" || d.Attempt != "1" {
		t.Fatalf("headers = %+v", d)
	}
	if err := notify.VerifyWebhookSignature([]byte(hookSecret), d.Timestamp, d.Body, d.Signature, time.Now(), time.Minute); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	want := fake.WebhookMessage{
		Kind:  "alert",
		Title: "CloudWatch alarm HighCPU が ALARM",
		Text:  messageText,
		Fields: []fake.WebhookField{
			{Name: "Region", Value: "ap-northeast-1"},
			{Name: "インスタンス", Value: "i-0abc123def4567890"},
			{Name: "Threshold", Value: "CPU > 90% & rising"},
		},
		URL:      "https://desk.example.com/alerts/A-000042",
		Severity: "critical",
		Ref:      "A-000042",
	}
	got := d.Payload.Message
	if d.Payload.ID != "dlv-MSG-0001" || d.Payload.Type != "message" || got.Kind != want.Kind || got.Title != want.Title || got.Text != want.Text ||
		!slices.Equal(got.Fields, want.Fields) || got.URL != want.URL || got.Severity != want.Severity || got.Ref != want.Ref {
		t.Fatalf("payload = %+v\nwant message %+v", d.Payload, want)
	}
	// "<", ">" and "&" travel as written, not as \u003c escapes.
	if !bytes.Contains(d.Body, []byte(`"CPU > 90% & rising"`)) {
		t.Fatalf("body escapes HTML characters: %s", d.Body)
	}

	// A retry carries the same key: one delivery for the receiver.
	if _, err := s.Send(context.Background(), messageRequest(2)); err != nil {
		t.Fatalf("Send retry: %v", err)
	}
	if f.Count() != 2 || f.UniqueCount() != 1 || !f.Deliveries()[1].Duplicate || f.Deliveries()[1].Attempt != "2" {
		t.Fatalf("Count=%d UniqueCount=%d", f.Count(), f.UniqueCount())
	}
}

func TestWebhookMessageMinimal(t *testing.T) {
	t.Parallel()
	f := fake.NewWebhook(t)
	s := newSender(t, config.Destination{Name: "h", Type: "webhook", URL: f.URL()}, nil, 5*time.Second)
	r := notify.Request{DeliveryID: "dlv-MIN", Attempt: 1, Message: &notify.Message{Kind: "case", Ref: "C-7", Severity: "bogus"}}
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("Send: %v", err) // the fake requires every key and a title
	}
	want := `{"id":"dlv-MIN","type":"message","message":{"kind":"case","title":"opsdesk case C-7","text":"","fields":[],"url":"","severity":"","ref":"C-7"}}`
	if got := string(f.Deliveries()[0].Body); got != want {
		t.Fatalf("body = %s, want %s", got, want)
	}
}

func TestWebhookMessageLongText(t *testing.T) {
	t.Parallel()
	f := fake.NewWebhook(t, fake.WithSecret(hookSecret))
	s := newSender(t, webhookDest(f), map[string]string{"WH_SECRET": hookSecret}, 5*time.Second)
	r := messageRequest(1)
	r.Message.Text = longText() + longText() // 400 KB
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("Send: %v", err)
	}
	d := f.Deliveries()[0]
	got := d.Payload.Message.Text
	if len(got) > 64<<10 {
		t.Fatalf("text is %d bytes, over 64 KiB", len(got))
	}
	assertCut(t, got, r.Message.Text, "…", 64<<10-8)
	if err := notify.VerifyWebhookSignature([]byte(hookSecret), d.Timestamp, d.Body, d.Signature, time.Now(), time.Minute); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
}

// TestMessageEveryDestination delivers a message with nothing but a title,
// and one with nothing at all, to every destination: each must still build
// a payload its service accepts.
func TestMessageEveryDestination(t *testing.T) {
	t.Parallel()
	for _, d := range destinations(t) {
		t.Run(d.name, func(t *testing.T) {
			s := d.sender(t, 5*time.Second)
			for i, m := range []*notify.Message{{Title: "S3 object created"}, {}} {
				r := notify.Request{DeliveryID: "dlv-EVERY-" + string(rune('A'+i)), Attempt: 1, Message: m}
				if _, err := s.Send(context.Background(), r); err != nil {
					t.Fatalf("Send %+v: %v", m, err)
				}
			}
			if n := d.server.Count(); n != 2 {
				t.Fatalf("fake accepted %d messages, want 2", n)
			}
			body := string(d.server.Requests()[len(d.server.Requests())-1].Body)
			if d.name == "backlog" {
				form, _ := url.ParseQuery(body)
				body = form.Get("summary")
			}
			if !strings.Contains(body, "opsdesk notice") {
				t.Fatalf("empty message has no fallback title: %s", body)
			}
		})
	}
}

// TestMessageErrorClassification: a message fails and is classified exactly
// as a question would be, with no secret in the error.
func TestMessageErrorClassification(t *testing.T) {
	t.Parallel()
	for _, d := range destinations(t) {
		t.Run(d.name, func(t *testing.T) {
			s := d.sender(t, 5*time.Second)
			d.server.FailNext(1, fake.Failure{Status: 503, RetryAfter: "3"})
			_, err := s.Send(context.Background(), messageRequest(1))
			ne := notifyError(t, err)
			noSecrets(t, err, d.secrets...)
			if ne.Permanent || ne.StatusCode != 503 || ne.RetryAfter != 3*time.Second || !strings.HasPrefix(ne.Reason, d.name+": ") {
				t.Fatalf("503: %+v", ne)
			}
			d.server.FailNext(1, fake.Failure{Status: 400, Body: "bad thing happened"})
			_, err = s.Send(context.Background(), messageRequest(1))
			ne = notifyError(t, err)
			noSecrets(t, err, d.secrets...)
			if !ne.Permanent || ne.StatusCode != 400 || !strings.Contains(ne.Reason, "bad thing happened") {
				t.Fatalf("400: %+v", ne)
			}
			d.server.Down()
			_, err = s.Send(context.Background(), messageRequest(1))
			ne = notifyError(t, err)
			noSecrets(t, err, d.secrets...)
			if ne.Permanent || ne.StatusCode != 0 {
				t.Fatalf("down: %+v", ne)
			}
		})
	}
}

// TestFakesRefuseBadMessages shows that the fakes' new checks, which the
// message tests above rely on, do refuse what they should.
func TestFakesRefuseBadMessages(t *testing.T) {
	t.Parallel()
	post := func(t *testing.T, u, body string, hdr ...string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	t.Run("webhook", func(t *testing.T) {
		t.Parallel()
		f := fake.NewWebhook(t)
		valid := `{"kind":"alert","title":"t","text":"","fields":[{"name":"n","value":""}],"url":"","severity":"info","ref":""}`
		tests := []struct {
			name, message string
			status        int
		}{
			{"valid", valid, 200},
			{"missing key", `{"kind":"alert","title":"t","text":"","fields":[],"url":"","severity":""}`, 400},
			{"fields null", strings.Replace(valid, `[{"name":"n","value":""}]`, "null", 1), 400},
			{"field without name", strings.Replace(valid, `"name":"n"`, `"name":""`, 1), 400},
			{"empty title", strings.Replace(valid, `"title":"t"`, `"title":" "`, 1), 400},
			{"two-line title", strings.Replace(valid, `"title":"t"`, `"title":"a\nb"`, 1), 400},
			{"unknown severity", strings.Replace(valid, `"severity":"info"`, `"severity":"P1"`, 1), 400},
		}
		for i, tt := range tests {
			id := "d-" + strconv.Itoa(i)
			body := `{"id":"` + id + `","type":"message","message":` + tt.message + `}`
			now := strconv.FormatInt(time.Now().Unix(), 10)
			if got := post(t, f.URL(), body, "Idempotency-Key", id, "X-Opsdesk-Timestamp", now); got != tt.status {
				t.Errorf("%s: status %d, want %d", tt.name, got, tt.status)
			}
		}
	})
	t.Run("slack context", func(t *testing.T) {
		t.Parallel()
		f := fake.NewSlack(t)
		ctx := func(els string) string { return `{"blocks":[{"type":"context","elements":` + els + `}]}` }
		tests := []struct {
			name, body string
			status     int
		}{
			{"valid", ctx(`[{"type":"mrkdwn","text":"x"}]`), 200},
			{"no elements", ctx(`[]`), 400},
			{"empty text", ctx(`[{"type":"mrkdwn","text":""}]`), 400},
			{"text too long", ctx(`[{"type":"mrkdwn","text":"` + strings.Repeat("x", 3001) + `"}]`), 400},
			{"eleven elements", ctx("[" + strings.Repeat(`{"type":"plain_text","text":"x"},`, 10) + `{"type":"plain_text","text":"x"}]`), 400},
		}
		for _, tt := range tests {
			if got := post(t, f.URL(), tt.body); got != tt.status {
				t.Errorf("%s: status %d, want %d", tt.name, got, tt.status)
			}
		}
	})
	t.Run("teams text block styles", func(t *testing.T) {
		t.Parallel()
		f := fake.NewTeams(t)
		card := func(block string) string {
			return `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.4","body":[` + block + `]}}]}`
		}
		tests := []struct {
			name, body string
			status     int
		}{
			{"valid", card(`{"type":"TextBlock","text":"x","weight":"Bolder","size":"Medium","color":"Attention","isSubtle":true}`), 202},
			{"bad color", card(`{"type":"TextBlock","text":"x","color":"Red"}`), 400},
			{"bad size", card(`{"type":"TextBlock","text":"x","size":"Huge"}`), 400},
			{"bad weight", card(`{"type":"TextBlock","text":"x","weight":"Heavy"}`), 400},
		}
		for _, tt := range tests {
			if got := post(t, f.URL(), tt.body); got != tt.status {
				t.Errorf("%s: status %d, want %d", tt.name, got, tt.status)
			}
		}
	})
}
