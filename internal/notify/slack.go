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
// cannot ping a channel (<!channel>) or forge links.
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

func (s *slack) Send(ctx context.Context, r Request) (Result, error) {
	body, err := marshal(slackPayload(r))
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
