package chatops

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/chatops/sig"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/jobs"
)

// SlashCommand is the part of a Slack slash command request (a form post)
// that chat-ops uses.
type SlashCommand struct {
	// ID identifies the invocation: trigger_id, or a hash of the signature
	// when Slack sent none.
	ID          string `json:"id"`
	Command     string `json:"command"` // e.g. "/aws"
	Text        string `json:"text"`    // as typed, unescaped
	TeamID      string `json:"team_id,omitempty"`
	ChannelID   string `json:"channel_id,omitempty"`
	ChannelName string `json:"channel_name,omitempty"`
	UserID      string `json:"user_id,omitempty"`
	UserName    string `json:"user_name,omitempty"`
	ResponseURL string `json:"response_url"`
}

// MaxSlackBytes bounds a slash command body.
const MaxSlackBytes = 128 << 10

// ErrBadSlashCommand is returned by ParseSlashCommand for a form that is
// not a usable slash command.
var ErrBadSlashCommand = errors.New("chatops: not a Slack slash command")

// ParseSlashCommand reads a slash command's form. Slack escapes "&", "<"
// and ">" in text and writes mentions and links as <…> tokens: links
// become their URL (or address), channel mentions "#name", and the
// entities are unescaped last, so what the person typed comes back.
func ParseSlashCommand(form url.Values, fallbackID string) (*SlashCommand, error) {
	c := &SlashCommand{
		ID:          form.Get("trigger_id"),
		Command:     form.Get("command"),
		Text:        SlackUnescape(form.Get("text")),
		TeamID:      form.Get("team_id"),
		ChannelID:   form.Get("channel_id"),
		ChannelName: form.Get("channel_name"),
		UserID:      form.Get("user_id"),
		UserName:    form.Get("user_name"),
		ResponseURL: form.Get("response_url"),
	}
	if c.ID == "" {
		c.ID = fallbackID
	}
	switch {
	case c.ResponseURL == "":
		return nil, fmt.Errorf("%w: response_url is missing", ErrBadSlashCommand)
	case !SafeReplyURL(c.ResponseURL) || len(c.ResponseURL) > maxURLLen:
		return nil, fmt.Errorf("%w: response_url is not an https URL", ErrBadSlashCommand)
	case c.UserID == "":
		return nil, fmt.Errorf("%w: user_id is missing", ErrBadSlashCommand)
	case len(c.ID) > maxIDLen || len(c.UserID) > maxIDLen || len(c.ChannelID) > maxIDLen || len(c.TeamID) > maxIDLen:
		return nil, fmt.Errorf("%w: an id is longer than %d bytes", ErrBadSlashCommand, maxIDLen)
	}
	return c, nil
}

var slackToken = regexp.MustCompile(`<([^<>]*)>`)

// SlackUnescape turns Slack's text encoding back into what was typed:
// <https://x|label> and <https://x> → https://x, <mailto:a@b|a@b> → a@b,
// <#C123|name> → #name; user mentions and <!here> stay (the parser strips
// a leading mention); then &lt; &gt; &amp; are unescaped, last, so that an
// escaped "&lt;" the person typed as text stays text.
func SlackUnescape(s string) string {
	s = slackToken.ReplaceAllStringFunc(s, func(tok string) string {
		in := tok[1 : len(tok)-1]
		target, label, hasLabel := strings.Cut(in, "|")
		switch {
		case strings.HasPrefix(target, "@"), strings.HasPrefix(target, "!"):
			return tok
		case strings.HasPrefix(target, "#"):
			if hasLabel {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "mailto:"):
			return strings.TrimPrefix(target, "mailto:")
		case strings.HasPrefix(target, "http://"), strings.HasPrefix(target, "https://"):
			return target
		}
		return tok
	})
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// SlackHandler serves POST /hooks/slack/commands: it checks the signature
// and that the request was not used before, queues the command as a job
// and acknowledges at once (Slack waits 3 seconds) with an ephemeral
// "working on it"; the result goes to the response_url.
type SlackHandler struct {
	SigningSecret string
	Nonces        sig.Nonces
	Queue         jobs.Queue
	Forget        func(ctx context.Context, key string) error
	// Ack is the text of the immediate answer.
	Ack string
	Now func() time.Time
	Log *slog.Logger
}

func (h *SlackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := h.Now()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxSlackBytes))
	if err != nil {
		httpx.Error(w, http.StatusRequestEntityTooLarge, "body too large", "")
		return
	}
	if err := sig.VerifySlack(h.SigningSecret, r.Header, body, now); err != nil {
		h.Log.Warn("slack command refused", "reason", err, "remote", r.RemoteAddr)
		httpx.Error(w, http.StatusUnauthorized, "signature check failed", "X-Slack-Signature")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		httpx.Error(w, http.StatusBadRequest, "the body is not a form", "")
		return
	}
	if form.Get("ssl_check") == "1" {
		w.WriteHeader(http.StatusOK)
		return
	}
	key := sig.SlackReplayKey(r.Header)
	h2 := sha256.Sum256([]byte(key))
	cmd, err := ParseSlashCommand(form, "sig-"+hex.EncodeToString(h2[:12]))
	if err != nil {
		h.Log.Warn("slack command refused", "reason", err)
		httpx.Error(w, http.StatusBadRequest, err.Error(), "")
		return
	}
	exp, _ := sig.SlackReplayExpiry(r.Header.Get(sig.SlackHeaderTimestamp))
	if err := sig.UseOnce(r.Context(), h.Nonces, key, exp); err != nil {
		if errors.Is(err, sig.ErrReplayed) {
			h.Log.Warn("slack command refused: replayed", "id", cmd.ID)
			httpx.Error(w, http.StatusConflict, "this request was already received", "X-Slack-Request-Timestamp")
			return
		}
		h.Log.Error("slack command: replay check", "error", err)
		httpx.Error(w, http.StatusServiceUnavailable, "try again", "")
		return
	}
	if _, err := h.Queue.Insert(r.Context(), SlackArgs{ID: cmd.ID, Cmd: *cmd, ReceivedAt: now.UnixMilli()}, nil); err != nil {
		h.Log.Error("slack command: queue", "id", cmd.ID, "error", err)
		if h.Forget != nil {
			_ = h.Forget(context.WithoutCancel(r.Context()), key)
		}
		httpx.Error(w, http.StatusServiceUnavailable, "try again", "")
		return
	}
	h.Log.Info("slack command queued", "id", cmd.ID, "channel", cmd.ChannelID)
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"response_type": "ephemeral", "text": h.Ack})
}
