package fake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"unicode/utf16"
)

// Slack is a Slack incoming webhook (POST /services/T…/B…/<token>). It
// answers 200 "ok", or an error status with Slack's plain-text reason:
// invalid_payload (not JSON), no_text (neither text nor blocks),
// invalid_blocks (a block breaks Block Kit limits), no_service (unknown hook),
// rate_limited.
type Slack struct {
	*Server
	messages []SlackMessage
}

// SlackMessage is one accepted post.
type SlackMessage struct {
	Text   string           // top-level text (the notification fallback)
	Blocks []map[string]any // Block Kit blocks as received
	Raw    map[string]any
}

// SectionTexts returns the text of every section block, in order.
func (m SlackMessage) SectionTexts() []string {
	var out []string
	for _, b := range m.Blocks {
		if b["type"] != "section" {
			continue
		}
		if t, ok := b["text"].(map[string]any); ok {
			s, _ := t["text"].(string)
			out = append(out, s)
		}
	}
	return out
}

// HeaderText returns the text of the first header block, or "".
func (m SlackMessage) HeaderText() string {
	for _, b := range m.Blocks {
		if b["type"] == "header" {
			t, _ := b["text"].(map[string]any)
			s, _ := t["text"].(string)
			return s
		}
	}
	return ""
}

// FieldTexts returns the text of every field of every section block, in
// order.
func (m SlackMessage) FieldTexts() []string {
	return m.elementTexts("section", "fields")
}

// ContextTexts returns the text of every text element of every context
// block, in order.
func (m SlackMessage) ContextTexts() []string {
	return m.elementTexts("context", "elements")
}

func (m SlackMessage) elementTexts(blockType, key string) []string {
	var out []string
	for _, b := range m.Blocks {
		if b["type"] != blockType {
			continue
		}
		list, _ := b[key].([]any)
		for _, x := range list {
			e, _ := x.(map[string]any)
			if s, ok := e["text"].(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// BlockTypes returns the type of every block, in order.
func (m SlackMessage) BlockTypes() []string {
	var out []string
	for _, b := range m.Blocks {
		s, _ := b["type"].(string)
		out = append(out, s)
	}
	return out
}

const (
	slackHookPrefix = "/services/T0FAKE0001/B0FAKE0001/"
	slackToken      = "fakeSlackHookToken7Kq2Xw9Lm4Pz"
)

// NewSlack starts a Slack incoming webhook fake. Options: WithToken (the
// last path segment of the hook URL).
func NewSlack(t testing.TB, opts ...Option) *Slack {
	t.Helper()
	f := &Slack{Server: newServer(t, "slack", opts, slackError)}
	if f.opt.token == "" {
		f.opt.token = slackToken
	}
	f.start(f.serve)
	return f
}

// URL is the hook URL to configure (it contains the token).
func (f *Slack) URL() string { return f.BaseURL() + slackHookPrefix + f.opt.token }

// Token is the secret path segment of URL.
func (f *Slack) Token() string { return f.opt.token }

// Messages returns the accepted posts in arrival order.
func (f *Slack) Messages() []SlackMessage {
	var out []SlackMessage
	f.locked(func() { out = append(out, f.messages...) })
	return out
}

func slackError(status int, msg string) (string, []byte) {
	switch {
	case status == http.StatusTooManyRequests:
		msg = "rate_limited"
	case status >= 500:
		msg = "internal_error"
	case msg == "injected failure":
		msg = "invalid_payload"
	}
	return "text/html", []byte(msg)
}

func (f *Slack) reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (f *Slack) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != slackHookPrefix+f.opt.token {
		f.reply(w, http.StatusNotFound, "no_service")
		return
	}
	if r.Method != http.MethodPost {
		f.reply(w, http.StatusMethodNotAllowed, "invalid_request")
		return
	}
	body, _ := io.ReadAll(r.Body)
	if contentTypeIs(r, "application/x-www-form-urlencoded") {
		// Slack also accepts payload=<json>.
		v, err := url.ParseQuery(string(body))
		if err != nil {
			f.reply(w, http.StatusBadRequest, "invalid_payload")
			return
		}
		body = []byte(v.Get("payload"))
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		f.reply(w, http.StatusBadRequest, "invalid_payload")
		return
	}
	msg := SlackMessage{Raw: raw}
	msg.Text, _ = raw["text"].(string)
	if b, ok := raw["blocks"]; ok {
		list, ok := b.([]any)
		if !ok {
			f.reply(w, http.StatusBadRequest, "invalid_blocks")
			return
		}
		for _, x := range list {
			m, ok := x.(map[string]any)
			if !ok {
				f.reply(w, http.StatusBadRequest, "invalid_blocks")
				return
			}
			msg.Blocks = append(msg.Blocks, m)
		}
		if !validBlocks(msg.Blocks) {
			f.reply(w, http.StatusBadRequest, "invalid_blocks")
			return
		}
	}
	if msg.Text == "" && len(msg.Blocks) == 0 && raw["attachments"] == nil {
		f.reply(w, http.StatusBadRequest, "no_text")
		return
	}
	f.accept(func() { f.messages = append(f.messages, msg) })
	f.reply(w, http.StatusOK, "ok")
}

// slackLen counts characters as Slack does (UTF-16 code units).
func slackLen(s string) int { return len(utf16.Encode([]rune(s))) }

// textObject checks a Block Kit text object: type plain_text (or mrkdwn when
// allowed), non-empty text of at most max characters.
func textObject(v any, max int, mrkdwnOK bool) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	typ, _ := m["type"].(string)
	if typ != "plain_text" && (typ != "mrkdwn" || !mrkdwnOK) {
		return false
	}
	s, ok := m["text"].(string)
	return ok && s != "" && slackLen(s) <= max
}

// validBlocks applies the Block Kit limits opsdesk's messages can hit.
func validBlocks(blocks []map[string]any) bool {
	if len(blocks) > 50 {
		return false
	}
	for _, b := range blocks {
		switch b["type"] {
		case "header":
			if !textObject(b["text"], 150, false) {
				return false
			}
		case "section":
			_, hasText := b["text"]
			fields, hasFields := b["fields"].([]any)
			if !hasText && !hasFields {
				return false
			}
			if hasText && !textObject(b["text"], 3000, true) {
				return false
			}
			if hasFields {
				if len(fields) == 0 || len(fields) > 10 {
					return false
				}
				for _, fl := range fields {
					if !textObject(fl, 2000, true) {
						return false
					}
				}
			}
		case "actions":
			els, ok := b["elements"].([]any)
			if !ok || len(els) == 0 || len(els) > 25 {
				return false
			}
			for _, e := range els {
				m, ok := e.(map[string]any)
				if !ok || m["type"] != "button" || !textObject(m["text"], 75, false) {
					return false
				}
				if u, ok := m["url"].(string); ok && (u == "" || slackLen(u) > 3000) {
					return false
				}
			}
		case "context":
			els, ok := b["elements"].([]any)
			if !ok || len(els) == 0 || len(els) > 10 {
				return false
			}
			for _, e := range els {
				m, ok := e.(map[string]any)
				if !ok {
					return false
				}
				if m["type"] == "image" {
					if u, _ := m["image_url"].(string); u == "" && m["slack_file"] == nil {
						return false
					}
					continue
				}
				if !textObject(m, 3000, true) {
					return false
				}
			}
		case "divider", "image", "rich_text":
		default:
			return false
		}
	}
	return true
}
