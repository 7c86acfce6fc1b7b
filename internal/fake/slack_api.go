package fake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SlackAPI is the subset of the Slack Web API a bot uses to post and edit
// messages: POST /api/chat.postMessage and /api/chat.update with a bot
// token (Authorization: Bearer xoxb-…) and a JSON body. Like Slack it
// answers HTTP 200 {"ok": true, "channel", "ts", "message"} or
// {"ok": false, "error": "…"}: not_authed, invalid_auth, channel_not_found,
// no_text, invalid_blocks, message_not_found, thread_not_found,
// cant_update_message; an injected 429 carries Retry-After. Every message
// keeps its edits, for assertions.
type SlackAPI struct {
	*Server
	channels map[string]bool
	seq      int64
	msgs     []*SlackAPIMessage
}

// SlackAPIMessage is one message the bot posted, as it is now.
type SlackAPIMessage struct {
	Channel  string
	TS       string
	ThreadTS string // the parent's ts for a thread reply
	SlackMessage
	// Edits counts chat.update calls applied to it.
	Edits int
	// Versions holds the message as posted and after each edit.
	Versions []SlackMessage
}

const slackBotToken = "xoxb-fake-0001-0002-fakeBotTokenQx7"

// NewSlackAPI starts a Slack Web API fake whose bot may post in channels.
// Options: WithToken (the bot token).
func NewSlackAPI(t testing.TB, channels []string, opts ...Option) *SlackAPI {
	t.Helper()
	f := &SlackAPI{Server: newServer(t, "slack-api", opts, slackAPIError), channels: map[string]bool{}}
	if f.opt.token == "" {
		f.opt.token = slackBotToken
	}
	for _, c := range channels {
		f.channels[c] = true
	}
	f.start(f.serve)
	return f
}

// URL is the Web API base to configure (api_url).
func (f *SlackAPI) URL() string { return f.BaseURL() + "/api/" }

// Token is the bot token the fake accepts.
func (f *SlackAPI) Token() string { return f.opt.token }

// Messages returns every message posted (thread replies included), in
// posting order, as they are now.
func (f *SlackAPI) Messages() []SlackAPIMessage {
	var out []SlackAPIMessage
	f.locked(func() {
		for _, m := range f.msgs {
			c := *m
			c.Versions = append([]SlackMessage(nil), m.Versions...)
			out = append(out, c)
		}
	})
	return out
}

// Replies returns the thread replies under ts.
func (f *SlackAPI) Replies(ts string) []SlackAPIMessage {
	var out []SlackAPIMessage
	for _, m := range f.Messages() {
		if m.ThreadTS == ts {
			out = append(out, m)
		}
	}
	return out
}

// TopLevel returns the messages that are not thread replies.
func (f *SlackAPI) TopLevel() []SlackAPIMessage {
	var out []SlackAPIMessage
	for _, m := range f.Messages() {
		if m.ThreadTS == "" {
			out = append(out, m)
		}
	}
	return out
}

func slackAPIError(status int, msg string) (string, []byte) {
	code := "internal_error"
	switch {
	case status == http.StatusTooManyRequests:
		code = "ratelimited"
	case status < 500:
		code = "invalid_request"
	}
	b, _ := json.Marshal(map[string]any{"ok": false, "error": code})
	return "application/json; charset=utf-8", b
}

func (f *SlackAPI) answer(w http.ResponseWriter, v map[string]any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *SlackAPI) refuse(w http.ResponseWriter, code string) {
	f.answer(w, map[string]any{"ok": false, "error": code})
}

func (f *SlackAPI) serve(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok || (method != "chat.postMessage" && method != "chat.update") {
		f.writeError(w, http.StatusNotFound, "unknown_method")
		return
	}
	if r.Method != http.MethodPost {
		f.refuse(w, "invalid_request")
		return
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		f.refuse(w, "not_authed")
		return
	}
	if auth != "Bearer "+f.opt.token {
		f.refuse(w, "invalid_auth")
		return
	}
	if !contentTypeIs(r, "application/json") {
		f.refuse(w, "invalid_request")
		return
	}
	body, _ := io.ReadAll(r.Body)
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		f.refuse(w, "invalid_json")
		return
	}
	channel, _ := raw["channel"].(string)
	if !f.channels[channel] {
		f.refuse(w, "channel_not_found")
		return
	}
	msg := SlackMessage{Raw: raw}
	msg.Text, _ = raw["text"].(string)
	if b, ok := raw["blocks"]; ok {
		list, ok := b.([]any)
		if !ok {
			f.refuse(w, "invalid_blocks")
			return
		}
		for _, x := range list {
			m, ok := x.(map[string]any)
			if !ok {
				f.refuse(w, "invalid_blocks")
				return
			}
			msg.Blocks = append(msg.Blocks, m)
		}
		if !validBlocks(msg.Blocks) {
			f.refuse(w, "invalid_blocks")
			return
		}
	}
	if msg.Text == "" && len(msg.Blocks) == 0 {
		f.refuse(w, "no_text")
		return
	}
	if method == "chat.update" {
		ts, _ := raw["ts"].(string)
		var found *SlackAPIMessage
		f.locked(func() {
			for _, m := range f.msgs {
				if m.Channel == channel && m.TS == ts {
					found = m
				}
			}
		})
		if found == nil {
			f.refuse(w, "message_not_found")
			return
		}
		f.accept(func() {
			found.SlackMessage = msg
			found.Edits++
			found.Versions = append(found.Versions, msg)
		})
		f.answer(w, map[string]any{"ok": true, "channel": channel, "ts": ts, "text": msg.Text})
		return
	}
	thread, _ := raw["thread_ts"].(string)
	var m *SlackAPIMessage
	missing := false
	f.locked(func() {
		if thread != "" {
			missing = true
			for _, x := range f.msgs {
				if x.Channel == channel && x.TS == thread && x.ThreadTS == "" {
					missing = false
				}
			}
		}
	})
	if missing {
		f.refuse(w, "thread_not_found")
		return
	}
	f.accept(func() {
		f.seq++
		ts := fmt.Sprintf("%d.%06d", time.Now().Unix(), f.seq)
		m = &SlackAPIMessage{Channel: channel, TS: ts, ThreadTS: thread, SlackMessage: msg, Versions: []SlackMessage{msg}}
		f.msgs = append(f.msgs, m)
	})
	f.answer(w, map[string]any{"ok": true, "channel": channel, "ts": m.TS, "message": map[string]any{"text": msg.Text, "ts": m.TS}})
}

// ButtonActionIDs returns the action_id of every button of the message.
func (m SlackMessage) ButtonActionIDs() []string {
	var out []string
	for _, b := range m.Blocks {
		if b["type"] != "actions" {
			continue
		}
		els, _ := b["elements"].([]any)
		for _, e := range els {
			if x, ok := e.(map[string]any); ok {
				if id, ok := x["action_id"].(string); ok {
					out = append(out, id)
				}
			}
		}
	}
	return out
}

// SlackBlockAction is a button press as Slack sends it to an app's
// interactivity request URL: a block_actions payload in the form field
// "payload", signed with the app's signing secret (v0).
type SlackBlockAction struct {
	UserID, UserName string
	ChannelID        string
	MessageTS        string
	ActionID, Value  string
	ResponseURL      string
}

// Payload is the block_actions JSON.
func (a SlackBlockAction) Payload() []byte {
	p := map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": a.UserID, "username": a.UserName, "name": a.UserName, "team_id": "T0FAKE0001"},
		"api_app_id":   "A0FAKE0001",
		"token":        "gIkuvaNzQIHg97ATvDxqgjtO",
		"container":    map[string]any{"type": "message", "message_ts": a.MessageTS, "channel_id": a.ChannelID, "is_ephemeral": false},
		"trigger_id":   "1234567890.0987654321.fake",
		"team":         map[string]any{"id": "T0FAKE0001", "domain": "fake"},
		"channel":      map[string]any{"id": a.ChannelID, "name": "ops"},
		"message":      map[string]any{"type": "message", "ts": a.MessageTS, "text": ""},
		"response_url": a.ResponseURL,
		"actions": []map[string]any{{
			"type": "button", "action_id": a.ActionID, "block_id": "b1", "value": a.Value,
			"text":      map[string]any{"type": "plain_text", "text": "button", "emoji": true},
			"action_ts": strconv.FormatInt(time.Now().Unix(), 10) + ".000100",
		}},
	}
	b, _ := json.Marshal(p)
	return b
}

// Form is the request body: payload=<json>.
func (a SlackBlockAction) Form() []byte {
	return []byte(url.Values{"payload": {string(a.Payload())}}.Encode())
}

// Request builds the signed POST Slack makes to u at at.
func (a SlackBlockAction) Request(u, signingSecret string, at time.Time) *http.Request {
	return SignedSlackRequest(u, signingSecret, at, a.Form())
}
