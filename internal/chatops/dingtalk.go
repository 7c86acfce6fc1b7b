package chatops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/chatops/sig"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/jobs"
)

// Callback is the part of a DingTalk enterprise internal robot's outgoing
// callback (the JSON body DingTalk posts when someone @-mentions the robot
// in a group, or writes to it directly) that chat-ops uses.
type Callback struct {
	MsgID   string `json:"msgId"`
	MsgType string `json:"msgtype"`
	Text    struct {
		Content string `json:"content"`
	} `json:"text"`
	// Sender: staff id inside the organisation (what allow lists name),
	// the opaque sender id, and the display name.
	SenderStaffID string `json:"senderStaffId,omitempty"`
	SenderID      string `json:"senderId,omitempty"`
	SenderNick    string `json:"senderNick,omitempty"`
	// Conversation: id (cid…), "1" single chat or "2" group, and title.
	ConversationID    string `json:"conversationId,omitempty"`
	ConversationType  string `json:"conversationType,omitempty"`
	ConversationTitle string `json:"conversationTitle,omitempty"`
	// SessionWebhook answers this message until SessionWebhookExpiredTime
	// (Unix ms).
	SessionWebhook            string `json:"sessionWebhook,omitempty"`
	SessionWebhookExpiredTime int64  `json:"sessionWebhookExpiredTime,omitempty"`
	IsInAtList                bool   `json:"isInAtList,omitempty"`
	CreateAt                  int64  `json:"createAt,omitempty"`
}

// Sender is the id allow lists match: senderStaffId, else senderId.
func (c *Callback) Sender() string {
	if c.SenderStaffID != "" {
		return c.SenderStaffID
	}
	return c.SenderID
}

// MaxCallbackBytes bounds a callback body: the longest command (32,000
// characters of CJK text, three bytes each) and the envelope.
const MaxCallbackBytes = 256 << 10

// Limits on the callback's fields; longer values are refused.
const (
	maxIDLen   = 512
	maxNameLen = 512
	maxURLLen  = 2048
)

// ErrBadCallback is returned by DecodeCallback for a body that is not a
// usable callback.
var ErrBadCallback = errors.New("chatops: not a DingTalk robot callback")

// DecodeCallback decodes and checks a callback body. It never panics; an
// error matches ErrBadCallback and names what is wrong. Messages other
// than text (pictures, files, rich text) decode with an empty text, which
// the robot answers with its help.
func DecodeCallback(body []byte) (*Callback, error) {
	if len(body) > MaxCallbackBytes {
		return nil, fmt.Errorf("%w: body over %d bytes", ErrBadCallback, MaxCallbackBytes)
	}
	if !utf8.Valid(body) {
		return nil, fmt.Errorf("%w: body is not UTF-8", ErrBadCallback)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var c Callback
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCallback, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrBadCallback)
	}
	switch {
	case strings.TrimSpace(c.MsgID) == "":
		return nil, fmt.Errorf("%w: msgId is missing", ErrBadCallback)
	case len(c.MsgID) > maxIDLen || len(c.SenderStaffID) > maxIDLen || len(c.SenderID) > maxIDLen || len(c.ConversationID) > maxIDLen:
		return nil, fmt.Errorf("%w: an id is longer than %d bytes", ErrBadCallback, maxIDLen)
	case len(c.SenderNick) > maxNameLen || len(c.ConversationTitle) > maxNameLen:
		return nil, fmt.Errorf("%w: a name is longer than %d bytes", ErrBadCallback, maxNameLen)
	case len(c.SessionWebhook) > maxURLLen:
		return nil, fmt.Errorf("%w: sessionWebhook is longer than %d bytes", ErrBadCallback, maxURLLen)
	case c.SessionWebhook != "" && !SafeReplyURL(c.SessionWebhook):
		return nil, fmt.Errorf("%w: sessionWebhook is not an https URL", ErrBadCallback)
	case c.SessionWebhookExpiredTime < 0:
		return nil, fmt.Errorf("%w: sessionWebhookExpiredTime is negative", ErrBadCallback)
	}
	if c.MsgType != "" && c.MsgType != "text" {
		c.Text.Content = ""
	}
	return &c, nil
}

// DingTalkHandler serves POST /hooks/dingtalk: it checks the signature and
// that the request was not used before, queues the message as a job and
// answers 200 at once. The reply is sent by the job.
type DingTalkHandler struct {
	// AppSecret is the robot's AppSecret.
	AppSecret string
	Nonces    sig.Nonces
	Queue     jobs.Queue
	// Forget removes a nonce again when the job could not be queued, so
	// that DingTalk's retry of the same request is not refused as a
	// replay.
	Forget func(ctx context.Context, key string) error
	Now    func() time.Time
	Log    *slog.Logger
}

func (h *DingTalkHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := h.Now()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxCallbackBytes))
	if err != nil {
		httpx.Error(w, http.StatusRequestEntityTooLarge, "body too large", "")
		return
	}
	ts, sign := r.Header.Get(sig.DingTalkHeaderTimestamp), r.Header.Get(sig.DingTalkHeaderSign)
	if err := sig.VerifyDingTalk(h.AppSecret, ts, sign, now); err != nil {
		h.Log.Warn("dingtalk callback refused", "reason", err, "remote", r.RemoteAddr)
		httpx.Error(w, http.StatusUnauthorized, "signature check failed", "sign")
		return
	}
	// Decode before recording the nonce: a signed but unusable body must
	// not use up the signature of a request DingTalk may send again.
	cb, err := DecodeCallback(body)
	if err != nil {
		h.Log.Warn("dingtalk callback refused", "reason", err)
		httpx.Error(w, http.StatusBadRequest, err.Error(), "")
		return
	}
	key := sig.DingTalkReplayKey(ts, sign)
	exp, _ := sig.DingTalkReplayExpiry(ts)
	if err := sig.UseOnce(r.Context(), h.Nonces, key, exp); err != nil {
		if errors.Is(err, sig.ErrReplayed) {
			h.Log.Warn("dingtalk callback refused: replayed", "msg_id", cb.MsgID)
			httpx.Error(w, http.StatusConflict, "this request was already received", "timestamp")
			return
		}
		h.Log.Error("dingtalk callback: replay check", "error", err)
		httpx.Error(w, http.StatusServiceUnavailable, "try again", "")
		return
	}
	if _, err := h.Queue.Insert(r.Context(), DingTalkArgs{MsgID: cb.MsgID, Msg: *cb, ReceivedAt: now.UnixMilli()}, nil); err != nil {
		h.Log.Error("dingtalk callback: queue", "msg_id", cb.MsgID, "error", err)
		if h.Forget != nil {
			_ = h.Forget(context.WithoutCancel(r.Context()), key)
		}
		httpx.Error(w, http.StatusServiceUnavailable, "try again", "")
		return
	}
	h.Log.Info("dingtalk command queued", "msg_id", cb.MsgID, "conversation", cb.ConversationID)
	// An empty answer: the reply follows through the sessionWebhook.
	w.WriteHeader(http.StatusOK)
}
