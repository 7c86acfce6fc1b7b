package notify

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// slack posts to a Slack incoming webhook. Slack answers 200 "ok", or an
// error status with a plain-text reason ("invalid_payload", "no_service",
// "channel_not_found", …).
//
// The question goes out as plain_text blocks, never mrkdwn, so a submitter
// cannot ping a channel (<!channel>) or forge links. A Message goes out as
// mrkdwn with "&", "<" and ">" escaped, which has the same effect.
type slack struct {
	*base
	url *url.URL
}

// slackSectionMax is below Slack's 3000-character limit for a section's
// text; the question is split over as many sections as it needs.
const slackSectionMax = 2900

// slackEscape escapes the three characters Slack's mrkdwn treats as markup.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

func plainText(s string) map[string]any {
	return map[string]any{"type": "plain_text", "text": s, "emoji": false}
}

// slackPayload builds the webhook body for r.
func slackPayload(r Request) map[string]any {
	q := r.Question
	title := "New question " + q.ID
	fallback := title
	if l := firstLine(q.Text); l != "" {
		fallback += ": " + slackEscape(cutRunes(l, 200))
	}
	field := func(name, value string) map[string]any {
		// 300 characters stay under the 2000-character field limit even
		// if every one of them is escaped to "&amp;".
		return map[string]any{"type": "mrkdwn", "text": "*" + name + "*\n" + slackEscape(cutRunes(value, 300))}
	}
	blocks := []map[string]any{
		{"type": "header", "text": plainText(cutRunes(title, 150))},
		{"type": "section", "fields": []map[string]any{
			field("Project", orDash(q.Project)),
			field("Name", orDash(q.Name)),
			field("Submitted", submitted(q.SubmittedAt)),
			field("Reference", orDash(q.ID)),
		}},
	}
	for _, chunk := range splitUTF16(strings.TrimSpace(normalizeNewlines(q.Text)), slackSectionMax) {
		blocks = append(blocks, map[string]any{"type": "section", "text": plainText(chunk)})
	}
	if r.ConsoleURL != "" {
		blocks = append(blocks, map[string]any{"type": "actions", "elements": []map[string]any{{
			"type": "button",
			"text": plainText("Open in console"),
			"url":  r.ConsoleURL,
		}}})
	}
	return map[string]any{"text": fallback, "blocks": blocks}
}

// splitUTF16 splits s into pieces of at most n UTF-16 code units (Slack
// counts characters as JavaScript does), preferring to break after a
// newline. Empty pieces are dropped.
func splitUTF16(s string, n int) []string {
	var out []string
	for s != "" {
		units, end, lastNL := 0, len(s), -1
		for i, r := range s {
			w := utf16.RuneLen(r)
			if w < 1 {
				w = 1
			}
			if units+w > n {
				end = i
				break
			}
			units += w
			if r == '\n' {
				lastNL = i + 1
			}
		}
		if end < len(s) && lastNL > 0 {
			end = lastNL
		}
		if end == 0 { // n is narrower than one character
			_, end = utf8.DecodeRuneInString(s)
		}
		if piece := s[:end]; strings.TrimSpace(piece) != "" {
			out = append(out, strings.Trim(piece, "\n"))
		}
		s = s[end:]
	}
	return out
}

// Slack's Block Kit limits a message keeps to (in UTF-16 code units, as
// Slack counts).
const (
	slackHeaderMax        = 150
	slackSectionTextMax   = 3000
	slackFieldMax         = 2000
	slackFieldsPerSection = 10
	slackFallbackMax      = 3000 // the top-level text; Slack's own cut is at 40000
)

// slackMrkdwn escapes s for mrkdwn and cuts the result to at most n UTF-16
// code units, never inside a character or an escape, marking a cut with
// "…".
func slackMrkdwn(s string, n int) string {
	esc := slackEscape(s)
	if utf16Len(esc) <= n {
		return esc
	}
	var b strings.Builder
	units := 0
	for _, r := range s {
		piece := slackEscape(string(r))
		w := utf16Len(piece)
		if units+w > n-1 {
			break
		}
		b.WriteString(piece)
		units += w
	}
	b.WriteString(ellipsis)
	return b.String()
}

// slackMessagePayload builds the webhook body for a Message: the title as
// the notification text and a header (with the severity mark), the text as
// one mrkdwn section, the fields as section fields (ten per section), and a
// context line with kind, severity, reference and the link. Everything in
// mrkdwn is escaped, so neither a mention (<!channel>) nor a link can be
// forged; the header is plain_text without emoji parsing.
func slackMessagePayload(r Request) map[string]any {
	m := r.Message
	title := messageTitle(m)
	if e := severityEmoji(normalizeSeverity(m.Severity)); e != "" {
		title = e + " " + title
	}
	blocks := []map[string]any{
		{"type": "header", "text": plainText(ellipsizeUTF16(title, slackHeaderMax))},
	}
	if text := messageText(m); text != "" {
		blocks = append(blocks, map[string]any{"type": "section", "text": map[string]any{
			"type": "mrkdwn", "text": slackMrkdwn(text, slackSectionTextMax),
		}})
	}
	fields := displayFields(m)
	for len(fields) > 0 {
		n := min(len(fields), slackFieldsPerSection)
		list := make([]map[string]any, 0, n)
		for _, f := range fields[:n] {
			list = append(list, map[string]any{"type": "mrkdwn", "text": slackMrkdwn("*"+f.Name+"*\n"+f.Value, slackFieldMax)})
		}
		blocks = append(blocks, map[string]any{"type": "section", "fields": list})
		fields = fields[n:]
	}
	var ctx []string
	if meta := messageMeta(m); meta != "" {
		ctx = append(ctx, slackEscape(meta))
	}
	if link := messageLink(r); link != "" && utf16Len(link) <= slackFieldMax {
		// Inside <url|label> the URL is escaped like any mrkdwn, and a "|"
		// would end it early.
		ctx = append(ctx, "<"+slackEscape(strings.ReplaceAll(link, "|", "%7C"))+"|Open in console>")
	}
	if len(ctx) > 0 {
		blocks = append(blocks, map[string]any{"type": "context", "elements": []map[string]any{{
			"type": "mrkdwn", "text": strings.Join(ctx, " · "),
		}}})
	}
	return map[string]any{"text": slackMrkdwn(title, slackFallbackMax), "blocks": blocks}
}

func (s *slack) Send(ctx context.Context, r Request) (Result, error) {
	payload := slackPayload
	if r.Message != nil {
		payload = slackMessagePayload
	}
	body, err := marshal(payload(r))
	if err != nil {
		return Result{}, s.fail(true, 0, 0, "encode message: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url.String(), bytes.NewReader(body))
	if err != nil {
		return Result{}, s.fail(true, 0, 0, "build request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.do(req)
	if err != nil {
		return Result{}, err
	}
	if resp.status < 200 || resp.status > 299 {
		return Result{}, s.classify(resp, "")
	}
	return Result{}, nil
}
