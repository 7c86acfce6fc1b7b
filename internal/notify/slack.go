package notify

import (
	"bytes"
	"context"
	"fmt"
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
// cannot ping a channel (<!channel>) or forge links; its project and name
// are mrkdwn fields, escaped with EscapeSlack. A Message goes out as mrkdwn
// escaped with EscapeSlack, which has the same effect. Every mrkdwn text
// object that carries outside text is verbatim, so Slack does not turn
// names or URLs in it into links by itself.
type slack struct {
	*base
	url *url.URL
}

// slackSectionMax is below Slack's 3000-character limit for a section's
// text; the question is split over as many sections as it needs.
const slackSectionMax = 2900

func plainText(s string) map[string]any {
	return map[string]any{"type": "plain_text", "text": s, "emoji": false}
}

// slackURLEscape escapes the characters Slack reserves inside an opsdesk
// link's <url|label>.
var slackURLEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// mrkdwnText is a mrkdwn text object for text that is already escaped.
// verbatim stops Slack from linking names and URLs by itself; the links
// opsdesk writes (<url|label>) still work.
func mrkdwnText(s string) map[string]any {
	return map[string]any{"type": "mrkdwn", "text": s, "verbatim": true}
}

// slackPayload builds the webhook body for r.
func slackPayload(r Request) map[string]any {
	q := r.Question
	title := "New question " + q.ID
	fallback := title
	if l := firstLine(q.Text); l != "" {
		fallback += ": " + EscapeSlack(cutRunes(l, 200))
	}
	field := func(name, value string) map[string]any {
		// 300 characters stay under the 2000-character field limit even
		// if every one of them is escaped to "&amp;".
		return mrkdwnText("*" + name + "*\n" + EscapeSlack(cutRunes(value, 300)))
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

// slackMrkdwn escapes s for mrkdwn (EscapeSlack) and cuts the result to at
// most n UTF-16 code units, never inside a character or an escape, marking
// a cut with "…".
func slackMrkdwn(s string, n int) string {
	esc := EscapeSlack(s)
	if utf16Len(esc) <= n {
		return esc
	}
	// The longest prefix of s whose escape fits with the "…": escaping
	// only grows with the prefix, so search for it.
	runes := []rune(strings.ToValidUTF8(s, "\uFFFD"))
	lo, hi := 0, len(runes) // the escape of runes[:lo] fits; of runes[:hi] it does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if utf16Len(EscapeSlack(string(runes[:mid]))) <= n-1 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return EscapeSlack(string(runes[:lo])) + ellipsis
}

// slackMessagePayload builds the webhook body for a Message: the title as
// the notification text and a header (with the severity mark), the text as
// one mrkdwn section, the fields as section fields (ten per section), and a
// context line with kind, severity, reference and the link. Everything in
// mrkdwn is escaped (EscapeSlack) and verbatim, so neither a mention
// (<!channel>, @here) nor a link can be forged; the header is plain_text
// without emoji parsing.
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
		blocks = append(blocks, map[string]any{"type": "section", "text": mrkdwnText(slackMrkdwn(text, slackSectionTextMax))})
	}
	fields := displayFields(m)
	for len(fields) > 0 {
		n := min(len(fields), slackFieldsPerSection)
		list := make([]map[string]any, 0, n)
		for _, f := range fields[:n] {
			list = append(list, mrkdwnText(slackMrkdwn("*"+f.Name+"*\n"+f.Value, slackFieldMax)))
		}
		blocks = append(blocks, map[string]any{"type": "section", "fields": list})
		fields = fields[n:]
	}
	var ctx []string
	if meta := messageMeta(m); meta != "" {
		ctx = append(ctx, EscapeSlack(meta))
	}
	if link := messageLink(r); link != "" && utf16Len(link) <= slackFieldMax {
		// Inside <url|label> the URL has its "&", "<" and ">" escaped, as
		// Slack asks, and a "|" would end it early. It is opsdesk's own
		// link, so it is not EscapeSlack'd: an "@" in it must stay as is.
		ctx = append(ctx, "<"+slackURLEscape(strings.ReplaceAll(link, "|", "%7C"))+"|Open in console>")
	}
	if len(ctx) > 0 {
		blocks = append(blocks, map[string]any{"type": "context", "elements": []map[string]any{mrkdwnText(strings.Join(ctx, " · "))}})
	}
	return map[string]any{"text": slackMrkdwn(title, slackFallbackMax), "blocks": blocks}
}

func (s *slack) Send(ctx context.Context, r Request) (Result, error) {
	payload := slackPayload
	if r.Message != nil {
		payload = slackMessagePayload
	}
	p := payload(r)
	if r.Mention != nil {
		at, err := slackMention(r.Mention)
		if err == nil && r.Message == nil {
			err = fmt.Errorf("mention: only a message can mention a member")
		}
		if err != nil {
			return Result{}, s.fail(true, 0, 0, "%v", err)
		}
		p = withSlackMention(p, at)
	}
	body, err := marshal(p)
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

// withSlackMention puts the one mention opsdesk writes (Request.Mention)
// before a message: at the start of the notification text, and as a
// section of its own after the header. Slack resolves <@U…> also in a
// verbatim text object (verbatim only stops it from linking bare names).
func withSlackMention(p map[string]any, at string) map[string]any {
	text, _ := p["text"].(string)
	p["text"] = at + " " + text
	blocks, _ := p["blocks"].([]map[string]any)
	mention := map[string]any{"type": "section", "text": mrkdwnText(at)}
	if len(blocks) > 0 {
		blocks = append(blocks[:1], append([]map[string]any{mention}, blocks[1:]...)...)
	} else {
		blocks = []map[string]any{mention}
	}
	p["blocks"] = blocks
	return p
}
