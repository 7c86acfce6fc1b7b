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

// DingTalk is a DingTalk custom robot (POST /robot/send?access_token=…).
// Like the real one it answers HTTP 200 with {"errcode":0,"errmsg":"ok"} or
// a non-zero errcode: 300001 for an unknown token, 310000 for a bad
// timestamp/signature ("加签") or a missing keyword, 460101 for a body over
// 20000 bytes, 400xx for a malformed message.
type DingTalk struct {
	*Server
	messages []DingTalkMessage
	errcodes []dingtalkAnswer
}

// DingTalkMessage is one accepted robot message.
type DingTalkMessage struct {
	MsgType string // "markdown", "text", …
	Title   string // markdown.title (or link.title)
	Text    string // markdown.text, text.content or link.text
	// Timestamp and Sign are the query parameters of a signed request.
	Timestamp int64
	Sign      string
	Raw       map[string]any
}

type dingtalkAnswer struct {
	code int
	msg  string
}

// DingTalk errcodes the fake answers with.
const (
	DingTalkTokenNotExist   = 300001
	DingTalkSecurityFailed  = 310000
	DingTalkSendTooFast     = 130101
	DingTalkMessageTooLong  = 460101
	DingTalkMissingParam    = 40035
	DingTalkInvalidMsgType  = 40008
	DingTalkBadContentType  = 43004
	dingtalkMaxBody         = 20000
	dingtalkTimestampWindow = time.Hour
	dingtalkToken           = "fake-dingtalk-access-token-9f8e7d6c5b4a"
)

// NewDingTalk starts a DingTalk robot fake. Options: WithToken
// (access_token), WithSecret (turns on signing), WithKeyword, WithClock.
func NewDingTalk(t testing.TB, opts ...Option) *DingTalk {
	t.Helper()
	f := &DingTalk{Server: newServer(t, "dingtalk", opts, dingtalkError)}
	if f.opt.token == "" {
		f.opt.token = dingtalkToken
	}
	f.start(f.serve)
	return f
}

// URL is the robot webhook URL to configure (it contains the access token).
func (f *DingTalk) URL() string {
	return f.BaseURL() + "/robot/send?access_token=" + f.opt.token
}

// Token is the access_token in URL.
func (f *DingTalk) Token() string { return f.opt.token }

// Messages returns the accepted messages in arrival order.
func (f *DingTalk) Messages() []DingTalkMessage {
	var out []DingTalkMessage
	f.locked(func() { out = append(out, f.messages...) })
	return out
}

// FailNextErrcode makes the next n messages be refused with HTTP 200 and
// the given errcode, e.g. DingTalkSendTooFast, "send too fast, exceed 20
// times per minute".
func (f *DingTalk) FailNextErrcode(n, code int, msg string) {
	f.locked(func() {
		for range n {
			f.errcodes = append(f.errcodes, dingtalkAnswer{code, msg})
		}
	})
}

// DingTalkSign computes a robot signature the way DingTalk documents it:
// base64(HMAC-SHA256(key=secret, msg=timestamp+"\n"+secret)), before URL
// encoding.
func DingTalkSign(secret string, timestampMs int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestampMs, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func dingtalkError(status int, msg string) (string, []byte) {
	code := -1
	if status == http.StatusTooManyRequests {
		code = DingTalkSendTooFast
	}
	if status >= 500 {
		msg = "系统繁忙"
	}
	b, _ := json.Marshal(map[string]any{"errcode": code, "errmsg": msg})
	return "application/json;charset=utf-8", b
}

func (f *DingTalk) answer(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, http.StatusOK, map[string]any{"errcode": code, "errmsg": msg})
}

func (f *DingTalk) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/robot/send" {
		f.writeError(w, http.StatusNotFound, "not found")
		return
	}
	if r.Method != http.MethodPost {
		f.writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	q := r.URL.Query()
	if q.Get("access_token") != f.opt.token {
		f.answer(w, DingTalkTokenNotExist, "token is not exist")
		return
	}
	var ts int64
	var sign string
	if f.opt.secret != "" {
		var err error
		ts, err = strconv.ParseInt(q.Get("timestamp"), 10, 64)
		if err != nil {
			f.answer(w, DingTalkSecurityFailed, "invalid timestamp")
			return
		}
		skew := f.opt.now().Sub(time.UnixMilli(ts))
		if skew < 0 {
			skew = -skew
		}
		if skew > dingtalkTimestampWindow {
			f.answer(w, DingTalkSecurityFailed, "invalid timestamp")
			return
		}
		sign = q.Get("sign") // already URL-decoded by Query
		if !hmac.Equal([]byte(sign), []byte(DingTalkSign(f.opt.secret, ts))) {
			f.answer(w, DingTalkSecurityFailed, "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]")
			return
		}
	}
	if !contentTypeIs(r, "application/json") {
		f.answer(w, DingTalkBadContentType, "无效的HTTP HEADER Content-Type")
		return
	}
	body, _ := io.ReadAll(r.Body)
	if len(body) > dingtalkMaxBody {
		f.answer(w, DingTalkMessageTooLong, "message too long, exceed 20000 bytes")
		return
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		f.answer(w, DingTalkMissingParam, "缺少参数 json")
		return
	}
	msg := DingTalkMessage{Timestamp: ts, Sign: sign, Raw: raw}
	msg.MsgType, _ = raw["msgtype"].(string)
	str := func(obj, key string) string {
		m, _ := raw[obj].(map[string]any)
		s, _ := m[key].(string)
		return s
	}
	missing := ""
	switch msg.MsgType {
	case "":
		missing = "msgtype"
	case "text":
		msg.Text = str("text", "content")
		if msg.Text == "" {
			missing = "text.content"
		}
	case "markdown":
		msg.Title, msg.Text = str("markdown", "title"), str("markdown", "text")
		switch {
		case msg.Title == "":
			missing = "markdown.title"
		case msg.Text == "":
			missing = "markdown.text"
		}
	case "link":
		msg.Title, msg.Text = str("link", "title"), str("link", "text")
		if msg.Title == "" || msg.Text == "" || str("link", "messageUrl") == "" {
			missing = "link"
		}
	case "actionCard":
		// A card with buttons (btns) or one button (singleTitle and
		// singleURL); its title and text are what the keyword check reads.
		msg.Title, msg.Text = str("actionCard", "title"), str("actionCard", "text")
		card, _ := raw["actionCard"].(map[string]any)
		btns, _ := card["btns"].([]any)
		switch {
		case msg.Title == "":
			missing = "actionCard.title"
		case msg.Text == "":
			missing = "actionCard.text"
		case len(btns) == 0 && (str("actionCard", "singleTitle") == "" || str("actionCard", "singleURL") == ""):
			missing = "actionCard.btns"
		}
		for _, b := range btns {
			bm, _ := b.(map[string]any)
			if t, _ := bm["title"].(string); t == "" {
				missing = "actionCard.btns.title"
			}
			if u, _ := bm["actionURL"].(string); u == "" {
				missing = "actionCard.btns.actionURL"
			}
		}
	case "feedCard":
	default:
		f.answer(w, DingTalkInvalidMsgType, "不支持的消息类型 "+msg.MsgType)
		return
	}
	if missing != "" {
		f.answer(w, DingTalkMissingParam, "缺少参数 "+missing)
		return
	}
	if len(f.opt.keywords) > 0 {
		found := false
		for _, k := range f.opt.keywords {
			if strings.Contains(msg.Title, k) || strings.Contains(msg.Text, k) {
				found = true
			}
		}
		if !found {
			f.answer(w, DingTalkSecurityFailed, "关键词不匹配 keywords not in content, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]")
			return
		}
	}
	var refused *dingtalkAnswer
	f.locked(func() {
		if len(f.errcodes) > 0 {
			refused = &f.errcodes[0]
			f.errcodes = f.errcodes[1:]
		}
	})
	if refused != nil {
		f.answer(w, refused.code, refused.msg)
		return
	}
	f.accept(func() { f.messages = append(f.messages, msg) })
	f.answer(w, 0, "ok")
}
