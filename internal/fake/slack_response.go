package fake

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SlackResponse receives what an app posts to a slash command's
// response_url. Like Slack, a response URL takes at most five posts within
// 30 minutes of the command (by the fake's clock); after that it answers
// 404 "used_url" or "expired_url". A post must be JSON with text or
// blocks; it is answered 200 "ok".
//
// SlackSlashCommand builds the signed request Slack makes to a slash
// command's request URL, carrying such a response URL.
type SlackResponse struct {
	*Server
	urls     map[string]*slackResponseURL
	messages []SlackResponseMessage
}

type slackResponseURL struct {
	issued time.Time
	uses   int
}

// SlackResponseMessage is one accepted post.
type SlackResponseMessage struct {
	URL             string // the response URL posted to
	ResponseType    string // ephemeral (Slack's default) or in_channel
	Text            string
	ReplaceOriginal bool
	Raw             map[string]any
}

// Slack's limits on a response URL.
const (
	SlackResponseMaxUses = 5
	SlackResponseTTL     = 30 * time.Minute
)

const slackResponsePrefix = "/commands/T0FAKE0001/"

// NewSlackResponse starts a response_url fake. Options: WithClock.
func NewSlackResponse(t testing.TB, opts ...Option) *SlackResponse {
	t.Helper()
	f := &SlackResponse{Server: newServer(t, "slack-response", opts, slackError), urls: map[string]*slackResponseURL{}}
	f.start(f.serve)
	return f
}

// NewURL issues a response URL, valid from now (the fake's clock).
func (f *SlackResponse) NewURL() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	p := slackResponsePrefix + strconv.FormatInt(time.Now().UnixNano()%1e12, 10) + "/" + hex.EncodeToString(b[:])
	f.locked(func() { f.urls[p] = &slackResponseURL{issued: f.opt.now()} })
	return f.BaseURL() + p
}

// Messages returns the accepted posts in arrival order.
func (f *SlackResponse) Messages() []SlackResponseMessage {
	var out []SlackResponseMessage
	f.locked(func() { out = append(out, f.messages...) })
	return out
}

// MessagesTo returns the accepted posts to one response URL.
func (f *SlackResponse) MessagesTo(u string) []SlackResponseMessage {
	var out []SlackResponseMessage
	for _, m := range f.Messages() {
		if m.URL == u {
			out = append(out, m)
		}
	}
	return out
}

func (f *SlackResponse) reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (f *SlackResponse) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		f.reply(w, http.StatusMethodNotAllowed, "invalid_request")
		return
	}
	var ru *slackResponseURL
	f.locked(func() { ru = f.urls[r.URL.Path] })
	if ru == nil {
		f.reply(w, http.StatusNotFound, "no_service")
		return
	}
	if f.opt.now().Sub(ru.issued) > SlackResponseTTL {
		f.reply(w, http.StatusNotFound, "expired_url")
		return
	}
	if !contentTypeIs(r, "application/json") {
		f.reply(w, http.StatusBadRequest, "invalid_payload")
		return
	}
	body, _ := io.ReadAll(r.Body)
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		f.reply(w, http.StatusBadRequest, "invalid_payload")
		return
	}
	m := SlackResponseMessage{URL: f.BaseURL() + r.URL.Path, Raw: raw}
	m.Text, _ = raw["text"].(string)
	m.ResponseType, _ = raw["response_type"].(string)
	m.ReplaceOriginal, _ = raw["replace_original"].(bool)
	if m.ResponseType == "" {
		m.ResponseType = "ephemeral"
	}
	if m.ResponseType != "ephemeral" && m.ResponseType != "in_channel" {
		f.reply(w, http.StatusBadRequest, "invalid_payload")
		return
	}
	if m.Text == "" && raw["blocks"] == nil {
		f.reply(w, http.StatusBadRequest, "no_text")
		return
	}
	used := false
	f.locked(func() {
		if ru.uses >= SlackResponseMaxUses {
			used = true
			return
		}
		ru.uses++
	})
	if used {
		f.reply(w, http.StatusNotFound, "used_url")
		return
	}
	f.accept(func() { f.messages = append(f.messages, m) })
	f.reply(w, http.StatusOK, "ok")
}

// SlackSlashCommand is a slash command invocation as Slack posts it to
// the app's request URL (application/x-www-form-urlencoded).
type SlackSlashCommand struct {
	Command     string // default "/aws"
	Text        string // as the person typed it; Form escapes it as Slack does
	RawText     string // sent as is instead of Text when set (mentions, links)
	TeamID      string
	ChannelID   string
	ChannelName string
	UserID      string
	UserName    string
	ResponseURL string
	TriggerID   string
}

// SlackEscape encodes text the way Slack does in a slash command: "&", "<"
// and ">" as HTML entities.
func SlackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Form is the command's form body.
func (c SlackSlashCommand) Form() url.Values {
	cmd := c.Command
	if cmd == "" {
		cmd = "/aws"
	}
	text := SlackEscape(c.Text)
	if c.RawText != "" {
		text = c.RawText
	}
	v := url.Values{}
	v.Set("token", "gIkuvaNzQIHg97ATvDxqgjtO") // the deprecated verification token; ignored
	v.Set("team_id", c.TeamID)
	v.Set("team_domain", "fake")
	v.Set("channel_id", c.ChannelID)
	v.Set("channel_name", c.ChannelName)
	v.Set("user_id", c.UserID)
	v.Set("user_name", c.UserName)
	v.Set("command", cmd)
	v.Set("text", text)
	v.Set("api_app_id", "A0FAKE0001")
	v.Set("is_enterprise_install", "false")
	v.Set("response_url", c.ResponseURL)
	v.Set("trigger_id", c.TriggerID)
	return v
}

// SlackSign computes X-Slack-Signature: "v0=" + hex(HMAC-SHA256(secret,
// "v0:" + timestamp + ":" + body)).
func SlackSign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + timestamp + ":"))
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// Request builds the POST Slack makes to url, signed with the app's
// signing secret at at.
func (c SlackSlashCommand) Request(url, signingSecret string, at time.Time) *http.Request {
	return SignedSlackRequest(url, signingSecret, at, []byte(c.Form().Encode()))
}

// SignedSlackRequest builds a signed Slack request for any form body.
func SignedSlackRequest(url, signingSecret string, at time.Time, body []byte) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", SlackSign(signingSecret, ts, body))
	return req
}
