package fake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Lark is a Lark / Feishu custom bot (POST /open-apis/bot/v2/hook/<token>).
// Like the real one it answers HTTP 200 with {"code":0,"data":{},"msg":"success"}
// or a non-zero code: 19001 for an unknown token or a malformed message,
// 19021 for a bad signature or a timestamp more than an hour off, 19024 for a
// missing keyword, 9499 when more than 100 messages a minute or 5 a second
// arrive, and (the fake's choice of code) 19001 for a body over 20 KB.
type Lark struct {
	*Server
	messages []LarkMessage
	sent     []time.Time // accepted messages, for the rate limit
	codes    []larkAnswer
}

// LarkMessage is one accepted bot message.
type LarkMessage struct {
	MsgType string // "interactive", "post", "text", …
	// Title is card.header.title.content (interactive).
	Title string
	// Template is card.header.template (the header colour).
	Template string
	// Texts are the contents of the card's div texts (lark_md or
	// plain_text), or text.content of a text message.
	Texts []string
	// Buttons are the URLs of the card's buttons.
	Buttons []string
	// Timestamp (seconds) and Sign are from a signed body.
	Timestamp int64
	Sign      string
	Raw       map[string]any
}

type larkAnswer struct {
	code int
	msg  string
}

// Lark codes the fake answers with.
const (
	LarkParamInvalid     = 19001
	LarkSignMatchFail    = 19021
	LarkKeywordsNotFound = 19024
	LarkTooManyRequests  = 9499
	LarkFrequencyLimited = 11232
	LarkMaxBody          = 20 << 10
	LarkPerMinute        = 100
	LarkPerSecond        = 5
	larkTimestampWindow  = time.Hour
	larkToken            = "fake-lark-hook-7c1d2e3f-4a5b-6c7d-8e9f"
)

// NewLark starts a Lark custom bot fake. Options: WithToken (the hook's
// last path segment), WithSecret (turns on signature checking),
// WithKeyword, WithClock (the signature window and the rate limit).
func NewLark(t testing.TB, opts ...Option) *Lark {
	t.Helper()
	f := &Lark{Server: newServer(t, "lark", opts, larkError)}
	if f.opt.token == "" {
		f.opt.token = larkToken
	}
	f.start(f.serve)
	return f
}

// URL is the webhook URL to configure (it contains the token).
func (f *Lark) URL() string { return f.BaseURL() + "/open-apis/bot/v2/hook/" + f.opt.token }

// Token is the hook token in URL.
func (f *Lark) Token() string { return f.opt.token }

// Messages returns the accepted messages in arrival order.
func (f *Lark) Messages() []LarkMessage {
	var out []LarkMessage
	f.locked(func() { out = append(out, f.messages...) })
	return out
}

// FailNextCode makes the next n messages be refused with HTTP 200 and the
// given code, e.g. LarkFrequencyLimited, "frequency limited".
func (f *Lark) FailNextCode(n, code int, msg string) {
	f.locked(func() {
		for range n {
			f.codes = append(f.codes, larkAnswer{code, msg})
		}
	})
}

// LarkSign computes a custom bot signature the way Lark documents it:
// base64(HMAC-SHA256(key=timestamp+"\n"+secret, message="")), timestamp in
// seconds.
func LarkSign(secret string, timestamp int64) string {
	m := hmac.New(sha256.New, []byte(strconv.FormatInt(timestamp, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func larkError(status int, msg string) (string, []byte) {
	code := LarkParamInvalid
	if status == http.StatusTooManyRequests {
		code = LarkTooManyRequests
	}
	b, _ := json.Marshal(map[string]any{"code": code, "msg": msg, "data": map[string]any{}})
	return "application/json; charset=utf-8", b
}

func (f *Lark) answer(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, http.StatusOK, map[string]any{"code": code, "msg": msg, "data": map[string]any{}})
}

func (f *Lark) serve(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.URL.Path, "/open-apis/bot/v2/hook/")
	if !ok {
		f.writeError(w, http.StatusNotFound, "404 page not found")
		return
	}
	if r.Method != http.MethodPost {
		f.writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if !hmac.Equal([]byte(token), []byte(f.opt.token)) {
		f.answer(w, LarkParamInvalid, "param invalid: incoming webhook access token invalid")
		return
	}
	body, _ := io.ReadAll(r.Body)
	if len(body) > LarkMaxBody {
		f.answer(w, LarkParamInvalid, "param invalid: request body exceeds 20KB")
		return
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		f.answer(w, LarkParamInvalid, "param invalid: request body is not JSON")
		return
	}
	msg := LarkMessage{Raw: raw}
	if f.opt.secret != "" {
		// The timestamp is a string in the documented examples; a number
		// is accepted too.
		var ts int64
		switch v := raw["timestamp"].(type) {
		case string:
			ts, _ = strconv.ParseInt(v, 10, 64)
		case float64:
			ts = int64(v)
		}
		sign, _ := raw["sign"].(string)
		// Seconds compared as integers: a millisecond timestamp would
		// overflow a time.Duration.
		skew := f.opt.now().Unix() - ts
		if skew < 0 {
			skew = -skew
		}
		if ts <= 0 || skew > int64(larkTimestampWindow/time.Second) || !hmac.Equal([]byte(sign), []byte(LarkSign(f.opt.secret, ts))) {
			f.answer(w, LarkSignMatchFail, "sign match fail or timestamp is not within one hour from current time")
			return
		}
		msg.Timestamp, msg.Sign = ts, sign
	}
	msg.MsgType, _ = raw["msg_type"].(string)
	switch msg.MsgType {
	case "interactive":
		card, _ := raw["card"].(map[string]any)
		if !larkCard(card, &msg) {
			f.answer(w, LarkParamInvalid, "param invalid: card is invalid")
			return
		}
	case "text":
		content, _ := raw["content"].(map[string]any)
		text, _ := content["text"].(string)
		if text == "" {
			f.answer(w, LarkParamInvalid, "param invalid: content.text is empty")
			return
		}
		msg.Texts = []string{text}
	case "post", "image", "share_chat":
	default:
		f.answer(w, LarkParamInvalid, "param invalid: msg_type is invalid")
		return
	}
	if len(f.opt.keywords) > 0 {
		all := msg.Title + "\n" + strings.Join(msg.Texts, "\n")
		found := false
		for _, k := range f.opt.keywords {
			found = found || strings.Contains(all, k)
		}
		if !found {
			f.answer(w, LarkKeywordsNotFound, "Key Words Not Found")
			return
		}
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
		limited = overLimit(f.sent, now, time.Minute, LarkPerMinute) || overLimit(f.sent, now, time.Second, LarkPerSecond)
	})
	switch {
	case refused != nil:
		f.answer(w, refused.code, refused.msg)
	case limited:
		f.answer(w, LarkTooManyRequests, "too many request")
	default:
		f.accept(func() {
			f.messages = append(f.messages, msg)
			f.sent = append(f.sent, now)
		})
		f.answer(w, 0, "success")
	}
}

// larkCard reads an interactive card into m: it needs a header title and
// at least one element, and every div needs a text with a known tag.
func larkCard(card map[string]any, m *LarkMessage) bool {
	header, _ := card["header"].(map[string]any)
	title, _ := header["title"].(map[string]any)
	m.Title, _ = title["content"].(string)
	m.Template, _ = header["template"].(string)
	elements, _ := card["elements"].([]any)
	if m.Title == "" || len(elements) == 0 {
		return false
	}
	for _, e := range elements {
		el, _ := e.(map[string]any)
		switch el["tag"] {
		case "div":
			text, _ := el["text"].(map[string]any)
			content, _ := text["content"].(string)
			if tag := text["tag"]; tag != "lark_md" && tag != "plain_text" {
				return false
			}
			m.Texts = append(m.Texts, content)
		case "action":
			actions, _ := el["actions"].([]any)
			for _, a := range actions {
				b, _ := a.(map[string]any)
				if u, _ := b["url"].(string); u != "" {
					m.Buttons = append(m.Buttons, u)
				}
			}
		case "hr", "markdown", "note", "img":
		default:
			return false
		}
	}
	return true
}

// overLimit reports whether one more message at now would make more than
// limit accepted messages within the window ending at now.
func overLimit(sent []time.Time, now time.Time, window time.Duration, limit int) bool {
	n := 0
	for _, t := range sent {
		if now.Sub(t) < window {
			n++
		}
	}
	return n >= limit
}
