package fake

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// DingTalkSession is the reply side of a DingTalk enterprise internal
// robot: the per-message sessionWebhook
// (POST /robot/sendBySession?session=…) that an outgoing callback carries.
// Open hands out a session for a conversation with an expiry; a post to
// it before the expiry (by the fake's clock) is accepted with
// {"errcode":0,"errmsg":"ok"}, after it refused with a non-zero errcode.
// Messages must be msgtype text or markdown, JSON, at most 20000 bytes.
//
// DingTalkCallback builds the signed outgoing callback DingTalk would post
// to opsdesk for a message, carrying such a session.
type DingTalkSession struct {
	*Server
	sessions map[string]dingTalkSessionInfo
	messages []DingTalkSessionMessage
}

type dingTalkSessionInfo struct {
	conversation string
	expires      time.Time
}

// DingTalkSessionMessage is one accepted reply.
type DingTalkSessionMessage struct {
	Session      string // the session token
	Conversation string // the conversation the session belongs to
	MsgType      string // text or markdown
	Title        string // markdown.title
	Text         string // text.content or markdown.text
	Raw          map[string]any
}

// Error codes of the session fake.
const (
	// DingTalkSessionUnknown answers a post to a session the fake never
	// opened; DingTalkSessionExpired one after the session's expiry.
	DingTalkSessionUnknown = 300001
	DingTalkSessionExpired = 300007
)

// NewDingTalkSession starts a sessionWebhook fake. Options: WithClock.
func NewDingTalkSession(t testing.TB, opts ...Option) *DingTalkSession {
	t.Helper()
	f := &DingTalkSession{Server: newServer(t, "dingtalk-session", opts, dingtalkError), sessions: map[string]dingTalkSessionInfo{}}
	f.start(f.serve)
	return f
}

// Open creates a session for a conversation that expires at expires, and
// returns its sessionWebhook URL.
func (f *DingTalkSession) Open(conversation string, expires time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	f.locked(func() { f.sessions[tok] = dingTalkSessionInfo{conversation: conversation, expires: expires} })
	return f.BaseURL() + "/robot/sendBySession?session=" + tok
}

// Messages returns the accepted replies in arrival order.
func (f *DingTalkSession) Messages() []DingTalkSessionMessage {
	var out []DingTalkSessionMessage
	f.locked(func() { out = append(out, f.messages...) })
	return out
}

// MessagesTo returns the accepted replies posted to one session URL.
func (f *DingTalkSession) MessagesTo(webhook string) []DingTalkSessionMessage {
	var out []DingTalkSessionMessage
	for _, m := range f.Messages() {
		if webhook == f.BaseURL()+"/robot/sendBySession?session="+m.Session {
			out = append(out, m)
		}
	}
	return out
}

// MessagesIn returns the accepted replies of a conversation.
func (f *DingTalkSession) MessagesIn(conversation string) []DingTalkSessionMessage {
	var out []DingTalkSessionMessage
	for _, m := range f.Messages() {
		if m.Conversation == conversation {
			out = append(out, m)
		}
	}
	return out
}

func (f *DingTalkSession) answer(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, http.StatusOK, map[string]any{"errcode": code, "errmsg": msg})
}

func (f *DingTalkSession) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/robot/sendBySession" {
		f.writeError(w, http.StatusNotFound, "not found")
		return
	}
	if r.Method != http.MethodPost {
		f.writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	tok := r.URL.Query().Get("session")
	var info dingTalkSessionInfo
	var ok bool
	f.locked(func() { info, ok = f.sessions[tok] })
	if !ok {
		f.answer(w, DingTalkSessionUnknown, "session is not exist")
		return
	}
	if !f.opt.now().Before(info.expires) {
		f.answer(w, DingTalkSessionExpired, "session expired")
		return
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
	m := DingTalkSessionMessage{Session: tok, Conversation: info.conversation, Raw: raw}
	m.MsgType, _ = raw["msgtype"].(string)
	str := func(obj, key string) string {
		o, _ := raw[obj].(map[string]any)
		s, _ := o[key].(string)
		return s
	}
	switch m.MsgType {
	case "text":
		m.Text = str("text", "content")
		if m.Text == "" {
			f.answer(w, DingTalkMissingParam, "缺少参数 text.content")
			return
		}
	case "markdown":
		m.Title, m.Text = str("markdown", "title"), str("markdown", "text")
		if m.Title == "" || m.Text == "" {
			f.answer(w, DingTalkMissingParam, "缺少参数 markdown")
			return
		}
	case "":
		f.answer(w, DingTalkMissingParam, "缺少参数 msgtype")
		return
	default:
		f.answer(w, DingTalkInvalidMsgType, "不支持的消息类型 "+m.MsgType)
		return
	}
	f.accept(func() { f.messages = append(f.messages, m) })
	f.answer(w, 0, "ok")
}

// DingTalkCallback is a message as an enterprise internal robot's outgoing
// callback delivers it to its message receiving address.
type DingTalkCallback struct {
	MsgID             string
	Text              string // text.content
	MsgType           string // default "text"
	SenderStaffID     string
	SenderID          string
	SenderNick        string
	ConversationID    string
	ConversationType  string // "1" single chat, "2" group (default)
	ConversationTitle string
	SessionWebhook    string
	SessionExpires    time.Time
	IsInAtList        bool
	CreateAt          time.Time
}

// Body is the callback's JSON body, with DingTalk's field names.
func (c DingTalkCallback) Body() []byte {
	mt := c.MsgType
	if mt == "" {
		mt = "text"
	}
	ct := c.ConversationType
	if ct == "" {
		ct = "2"
	}
	senderID := c.SenderID
	if senderID == "" {
		senderID = "$:LWCP_v1:$" + c.SenderStaffID
	}
	m := map[string]any{
		"msgId":                     c.MsgID,
		"msgtype":                   mt,
		"text":                      map[string]string{"content": c.Text},
		"senderStaffId":             c.SenderStaffID,
		"senderId":                  senderID,
		"senderNick":                c.SenderNick,
		"conversationId":            c.ConversationID,
		"conversationType":          ct,
		"conversationTitle":         c.ConversationTitle,
		"sessionWebhook":            c.SessionWebhook,
		"sessionWebhookExpiredTime": c.SessionExpires.UnixMilli(),
		"isInAtList":                c.IsInAtList,
		"isAdmin":                   false,
		"chatbotUserId":             "$:LWCP_v1:$fakebot",
		"robotCode":                 "dingfakerobot",
		"createAt":                  c.CreateAt.UnixMilli(),
	}
	b, _ := json.Marshal(m)
	return b
}

// Request builds the POST DingTalk makes to url: the body, and the
// timestamp and sign headers computed with the robot's AppSecret at at.
func (c DingTalkCallback) Request(url, appSecret string, at time.Time) *http.Request {
	return SignedDingTalkRequest(url, appSecret, at, c.Body())
}

// SignedDingTalkRequest builds a callback request for any body.
func SignedDingTalkRequest(url, appSecret string, at time.Time, body []byte) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	ts := at.UnixMilli()
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("sign", DingTalkSign(appSecret, ts))
	return req
}
