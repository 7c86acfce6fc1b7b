package fake

import (
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// WeCom is a WeCom (企业微信) group robot (POST
// /cgi-bin/webhook/send?key=…). Like the real one it answers HTTP 200 with
// {"errcode":0,"errmsg":"ok"} or a non-zero errcode: 93000 for an unknown
// key, 40008 for an unknown msgtype, 44004 for empty content, 40058 for
// markdown.content over 4096 bytes, 45009 for more than 20 messages a
// minute.
type WeCom struct {
	*Server
	messages []WeComMessage
	sent     []time.Time
	codes    []larkAnswer
}

// WeComMessage is one accepted robot message.
type WeComMessage struct {
	MsgType string // "markdown", "text", …
	Content string // markdown.content or text.content
	Raw     map[string]any
}

// WeCom errcodes the fake answers with.
const (
	WeComInvalidWebhook = 93000
	WeComInvalidMsgType = 40008
	WeComEmptyContent   = 44004
	WeComContentTooLong = 40058
	WeComFreqOutOfLimit = 45009
	WeComBadJSON        = 40035
	WeComMaxContent     = 4096
	WeComPerMinute      = 20
	wecomKey            = "fake-wecom-key-0a1b2c3d-4e5f-6789"
)

// NewWeCom starts a WeCom group robot fake. Options: WithToken (the key),
// WithClock (the rate limit).
func NewWeCom(t testing.TB, opts ...Option) *WeCom {
	t.Helper()
	f := &WeCom{Server: newServer(t, "wecom", opts, wecomError)}
	if f.opt.token == "" {
		f.opt.token = wecomKey
	}
	f.start(f.serve)
	return f
}

// URL is the robot webhook URL to configure (it contains the key).
func (f *WeCom) URL() string { return f.BaseURL() + "/cgi-bin/webhook/send?key=" + f.opt.token }

// Key is the key in URL.
func (f *WeCom) Key() string { return f.opt.token }

// Messages returns the accepted messages in arrival order.
func (f *WeCom) Messages() []WeComMessage {
	var out []WeComMessage
	f.locked(func() { out = append(out, f.messages...) })
	return out
}

// FailNextErrcode makes the next n messages be refused with HTTP 200 and
// the given errcode.
func (f *WeCom) FailNextErrcode(n, code int, msg string) {
	f.locked(func() {
		for range n {
			f.codes = append(f.codes, larkAnswer{code, msg})
		}
	})
}

func wecomError(status int, msg string) (string, []byte) {
	code := -1
	if status == http.StatusTooManyRequests {
		code = WeComFreqOutOfLimit
	}
	b, _ := json.Marshal(map[string]any{"errcode": code, "errmsg": msg})
	return "application/json; charset=UTF-8", b
}

func (f *WeCom) answer(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, http.StatusOK, map[string]any{"errcode": code, "errmsg": msg})
}

func (f *WeCom) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/cgi-bin/webhook/send" {
		f.writeError(w, http.StatusNotFound, "not found")
		return
	}
	if r.Method != http.MethodPost {
		f.writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if !hmac.Equal([]byte(r.URL.Query().Get("key")), []byte(f.opt.token)) {
		f.answer(w, WeComInvalidWebhook, "invalid webhook url, hint: [fake]")
		return
	}
	body, _ := io.ReadAll(r.Body)
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		f.answer(w, WeComBadJSON, "not allow to access from your ip / invalid json")
		return
	}
	msg := WeComMessage{Raw: raw}
	msg.MsgType, _ = raw["msgtype"].(string)
	switch msg.MsgType {
	case "markdown", "text":
		obj, _ := raw[msg.MsgType].(map[string]any)
		msg.Content, _ = obj["content"].(string)
		limit := WeComMaxContent
		if msg.MsgType == "text" {
			limit = 2048
		}
		switch {
		case msg.Content == "":
			f.answer(w, WeComEmptyContent, "Warning: wrong json format. empty content")
			return
		case len(msg.Content) > limit:
			f.answer(w, WeComContentTooLong, "content exceed max length "+map[bool]string{true: "4096", false: "2048"}[limit == WeComMaxContent])
			return
		}
	case "image", "news", "file", "template_card", "markdown_v2":
	default:
		f.answer(w, WeComInvalidMsgType, "invalid message type")
		return
	}
	var refused *larkAnswer
	limited := false
	now := f.opt.now()
	f.locked(func() {
		if len(f.codes) > 0 {
			refused = &f.codes[0]
			f.codes = f.codes[1:]
			return
		}
		limited = overLimit(f.sent, now, time.Minute, WeComPerMinute)
	})
	switch {
	case refused != nil:
		f.answer(w, refused.code, refused.msg)
	case limited:
		f.answer(w, WeComFreqOutOfLimit, "api freq out of limit")
	default:
		f.accept(func() {
			f.messages = append(f.messages, msg)
			f.sent = append(f.sent, now)
		})
		f.answer(w, 0, "ok")
	}
}
