package alertchat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/chatops/sig"
	"github.com/opsdesk/opsdesk/internal/contact"
	"github.com/opsdesk/opsdesk/internal/httpx"
)

// Interaction is the part of a Slack block_actions payload opsdesk reads.
type Interaction struct {
	UserID      string
	ChannelID   string
	ResponseURL string
	Action      string // ack, resolve, escalate, silence
	AlertID     int64
}

// MaxInteractionBytes bounds an interaction request body.
const MaxInteractionBytes = 64 << 10

var (
	slackMemberRe  = regexp.MustCompile(`^[UW][A-Z0-9]{2,30}$`)
	slackChannelRe = regexp.MustCompile(`^[CGD][A-Z0-9]{2,30}$`)
)

// InteractionError is a payload opsdesk cannot read; Field names what is
// wrong.
type InteractionError struct{ Field, Msg string }

func (e *InteractionError) Error() string { return "alertchat: interaction: " + e.Field + ": " + e.Msg }

// ParseInteraction reads a block_actions payload (the JSON of the form
// field "payload"). Only the first action is taken, and only an action id
// opsdesk wrote ("opsdesk:<action>:<alert id>"); the button's value is
// never trusted.
func ParseInteraction(payload []byte) (*Interaction, error) {
	var raw struct {
		Type string `json:"type"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Channel struct {
			ID string `json:"id"`
		} `json:"channel"`
		Container struct {
			ChannelID string `json:"channel_id"`
		} `json:"container"`
		ResponseURL string `json:"response_url"`
		Actions     []struct {
			ActionID string `json:"action_id"`
		} `json:"actions"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return nil, &InteractionError{"payload", "is not JSON: " + err.Error()}
	}
	if raw.Type != "block_actions" {
		return nil, &InteractionError{"type", fmt.Sprintf("%q is not block_actions", clip(raw.Type, 40))}
	}
	if !slackMemberRe.MatchString(raw.User.ID) {
		return nil, &InteractionError{"user.id", "is not a Slack member id"}
	}
	ch := raw.Channel.ID
	if ch == "" {
		ch = raw.Container.ChannelID
	}
	if !slackChannelRe.MatchString(ch) {
		return nil, &InteractionError{"channel.id", "is not a Slack channel id"}
	}
	if raw.ResponseURL != "" {
		u, err := url.Parse(raw.ResponseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, &InteractionError{"response_url", "is not an http(s) URL"}
		}
	}
	if len(raw.Actions) == 0 {
		return nil, &InteractionError{"actions", "is empty"}
	}
	parts := strings.Split(raw.Actions[0].ActionID, ":")
	if len(parts) != 3 || parts[0] != "opsdesk" {
		return nil, &InteractionError{"actions[0].action_id", "is not an opsdesk action"}
	}
	switch parts[1] {
	case actionAck, actionResolve, actionEscalate, actionSilence:
	default:
		return nil, &InteractionError{"actions[0].action_id", fmt.Sprintf("%q is not an action", clip(parts[1], 40))}
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != parts[2] {
		return nil, &InteractionError{"actions[0].action_id", "has no alert id"}
	}
	return &Interaction{UserID: raw.User.ID, ChannelID: ch, ResponseURL: raw.ResponseURL, Action: parts[1], AlertID: id}, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// SilenceFor is how long the Silence button keeps the system quiet.
const SilenceFor = time.Hour

// HandleSlackInteraction runs a button press of opsdesk's alert messages:
// payload is the decoded JSON (from the HTTP endpoint or a Socket Mode
// interactive envelope). The presser must be the verified Slack member of
// an opsdesk user with a write role (responder or admin), and the button
// must be on the alert's message in a channel that follows it; otherwise
// nothing is done and the reply says why. The reply, in the channel's
// language, is shown only to the presser. err is for payloads that cannot
// be read.
func (s *Service) HandleSlackInteraction(ctx context.Context, payload []byte) (reply string, err error) {
	in, err := ParseInteraction(payload)
	if err != nil {
		return "", err
	}
	reply, acted := s.interact(ctx, in)
	if acted {
		s.Kick()
	}
	return reply, nil
}

func (s *Service) interact(ctx context.Context, in *Interaction) (reply string, acted bool) {
	dest, ok, err := s.postIn(ctx, in.AlertID, in.ChannelID)
	lang := "en"
	if d := s.o.Destinations[dest]; d != nil {
		lang = d.Language
	}
	if err != nil {
		s.o.Log.Error("alertchat: button", "error", err)
		return tr(lang, tFailed), false
	}
	if !ok {
		return tr(lang, tNotHere), false
	}
	if s.o.Members == nil {
		return tr(lang, tNotLinked, in.UserID), false
	}
	m, err := s.o.Members.UserByChatMember(ctx, s.slack, in.UserID)
	if errors.Is(err, contact.ErrNotFound) {
		s.o.Log.Info("alertchat: button from an unlinked Slack member refused", "member", in.UserID, "alert", in.AlertID)
		return tr(lang, tNotLinked, in.UserID), false
	}
	if err != nil {
		s.o.Log.Error("alertchat: button", "error", err)
		return tr(lang, tFailed), false
	}
	if m.Role != auth.RoleAdmin && m.Role != auth.RoleResponder {
		s.o.Log.Info("alertchat: button from a read-only user refused", "user", m.User, "alert", in.AlertID)
		return tr(lang, tReadOnly, m.User), false
	}
	const via = "Slack"
	var changed bool
	var a *alerts.Alert
	switch in.Action {
	case actionAck:
		a, changed, err = s.o.Alerts.Ack(ctx, in.AlertID, m.User, via)
	case actionResolve:
		a, changed, err = s.o.Alerts.Resolve(ctx, in.AlertID, m.User, via)
	case actionEscalate:
		changed, err = s.o.Alerts.EscalateNow(ctx, in.AlertID, m.User, via)
		if err == nil && !changed {
			// The step was due already or is running: it goes on by itself.
			changed = true
		}
	case actionSilence:
		changed, err = s.o.Alerts.SilenceFor(ctx, in.AlertID, SilenceFor, m.User, via)
	}
	switch {
	case errors.Is(err, alerts.ErrNotActive):
		return tr(lang, tIsResolved, in.AlertID), false
	case errors.Is(err, alerts.ErrNotEscalating):
		return tr(lang, tNotEscalating, in.AlertID), false
	case err != nil:
		s.o.Log.Error("alertchat: button", "action", in.Action, "alert", in.AlertID, "error", err)
		return tr(lang, tFailed), false
	}
	if !changed {
		status := ""
		if a != nil {
			status = statusText(lang, a.Status)
		} else if cur, err := s.o.Alerts.Get(ctx, in.AlertID); err == nil {
			status = statusText(lang, cur.Status)
		}
		return tr(lang, tAlreadyDone, in.AlertID, status), false
	}
	s.o.Log.Info("alertchat: button", "action", in.Action, "alert", in.AlertID, "user", m.User)
	switch in.Action {
	case actionAck:
		return tr(lang, tDidAck, in.AlertID), true
	case actionResolve:
		return tr(lang, tDidResolve, in.AlertID), true
	case actionEscalate:
		return tr(lang, tDidEscalate, in.AlertID), true
	}
	system := ""
	if cur, err := s.o.Alerts.Get(ctx, in.AlertID); err == nil {
		system = cur.System
	}
	return tr(lang, tDidSilence, in.AlertID, system), true
}

// InteractionHandler serves POST /hooks/slack/interactions: the same v0
// signature and five-minute replay guard as the slash command, then the
// form field payload goes to HandleSlackInteraction. The reply goes to
// the presser only: to response_url (as Slack asks for block_actions) and
// in the HTTP answer.
type InteractionHandler struct {
	Svc           *Service
	SigningSecret string
	Nonces        sig.Nonces
	Now           func() time.Time
	Log           *slog.Logger
}

func (h *InteractionHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := h.Now()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxInteractionBytes))
	if err != nil {
		httpx.Error(w, http.StatusRequestEntityTooLarge, "body too large", "")
		return
	}
	if err := sig.VerifySlack(h.SigningSecret, r.Header, body, now); err != nil {
		h.Log.Warn("slack interaction refused", "reason", err, "remote", r.RemoteAddr)
		httpx.Error(w, http.StatusUnauthorized, "signature check failed", "X-Slack-Signature")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		httpx.Error(w, http.StatusBadRequest, "the body is not a form with a payload", "payload")
		return
	}
	key := "interaction:" + sig.SlackReplayKey(r.Header)
	exp, _ := sig.SlackReplayExpiry(r.Header.Get(sig.SlackHeaderTimestamp))
	if err := sig.UseOnce(r.Context(), h.Nonces, key, exp); err != nil {
		if errors.Is(err, sig.ErrReplayed) {
			httpx.Error(w, http.StatusConflict, "this request was already received", "X-Slack-Request-Timestamp")
			return
		}
		h.Log.Error("slack interaction: replay check", "error", err)
		httpx.Error(w, http.StatusServiceUnavailable, "try again", "")
		return
	}
	payload := []byte(form.Get("payload"))
	reply, err := h.Svc.HandleSlackInteraction(r.Context(), payload)
	if err != nil {
		var ie *InteractionError
		field := ""
		if errors.As(err, &ie) {
			field = ie.Field
		}
		httpx.Error(w, http.StatusBadRequest, err.Error(), field)
		return
	}
	if in, _ := ParseInteraction(payload); in != nil && in.ResponseURL != "" {
		// After the answer: Slack wants one within three seconds.
		go h.Svc.respond(context.WithoutCancel(r.Context()), in.ResponseURL, reply)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"response_type": "ephemeral", "replace_original": false, "text": reply})
}

// respond posts an ephemeral reply to a response_url. It is best effort:
// the action is done (or refused) already, and the message shows it.
func (s *Service) respond(ctx context.Context, responseURL, text string) {
	body, _ := json.Marshal(map[string]any{"response_type": "ephemeral", "replace_original": false, "text": text})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.o.Client.Do(req)
	if err != nil {
		s.o.Log.Warn("alertchat: reply to response_url failed", "error", err)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
}

// HandleSocketInteraction is HandleSlackInteraction for a payload that
// came over Socket Mode: there is no HTTP answer to carry the reply, so it
// goes to the payload's response_url only, after the envelope is
// acknowledged, and nothing is returned for the acknowledgement.
func (s *Service) HandleSocketInteraction(ctx context.Context, payload []byte) (string, error) {
	reply, err := s.HandleSlackInteraction(ctx, payload)
	if err != nil {
		return "", err
	}
	if in, _ := ParseInteraction(payload); in != nil && in.ResponseURL != "" && reply != "" {
		go s.respond(context.WithoutCancel(ctx), in.ResponseURL, reply)
	}
	return "", nil
}
