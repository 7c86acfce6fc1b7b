package chatsocket

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
	"strings"
	"time"

	"github.com/coder/websocket"
)

// SlackAPIURL is Slack's Web API base, where apps.connections.open lives.
const SlackAPIURL = "https://slack.com/api/"

// SlackCommands takes the slash commands that arrive over Socket Mode.
type SlackCommands interface {
	// SlashCommand commits one slash command (its payload's fields as a
	// form, as the HTTP hook receives them) and returns the payload of the
	// acknowledgement (Slack shows it at once; nil for none). envelopeID
	// identifies the command when its payload has no trigger_id.
	SlashCommand(ctx context.Context, form url.Values, envelopeID string) (ack any, err error)
}

// SlackInteractions takes the interactive payloads (buttons, menus,
// dialogs) that arrive over Socket Mode.
type SlackInteractions interface {
	// HandleSlackInteraction handles one payload (the JSON an HTTP
	// interactivity request carries in its payload field) and returns the
	// acknowledgement's payload: a JSON object, or "" for none.
	HandleSlackInteraction(ctx context.Context, payload []byte) (string, error)
}

// Slack keeps a Socket Mode connection: it trades the app-level token for
// a WebSocket URL (apps.connections.open), waits for hello, acknowledges
// every envelope once what it carries is committed, and reconnects when
// Slack asks (disconnect) or the connection drops.
type Slack struct {
	// AppToken is the app-level token (xapp-…) with connections:write.
	AppToken string
	// APIURL overrides SlackAPIURL (tests).
	APIURL string
	// HTTP makes the apps.connections.open call and the handshake.
	HTTP *http.Client
	// Commands takes slash commands.
	Commands SlackCommands
	// Interactions takes interactive payloads; nil: they are logged and
	// acknowledged (set when the interactivity handler exists).
	Interactions SlackInteractions
	// Backoff is the wait before reconnect attempt n (default Backoff).
	Backoff func(n int) time.Duration
	Now     func() time.Time
	Log     *slog.Logger

	Status Status
}

// Run keeps the connection until ctx ends.
func (c *Slack) Run(ctx context.Context) {
	b := c.Backoff
	if b == nil {
		b = Backoff
	}
	loop(ctx, "slack socket mode", c.connect, &c.Status, b, c.now, discard(c.Log))
}

func (c *Slack) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Slack) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// Open calls apps.connections.open and returns the WebSocket URL. An error
// matching ErrAuth means Slack refused the token.
func (c *Slack) Open(ctx context.Context) (string, error) {
	base := c.APIURL
	if base == "" {
		base = SlackAPIURL
	}
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/apps.connections.open", strings.NewReader(""))
	if err != nil {
		return "", fmt.Errorf("chatsocket: slack: apps.connections.open: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.AppToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.client().Do(req)
	if err != nil {
		return "", fmt.Errorf("chatsocket: slack: apps.connections.open: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("chatsocket: slack: apps.connections.open: reading the answer: %w", err)
	}
	var out struct {
		OK    bool   `json:"ok"`
		URL   string `json:"url"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return "", fmt.Errorf("chatsocket: slack: apps.connections.open: HTTP %d, not JSON", resp.StatusCode)
	}
	if !out.OK {
		switch out.Error {
		case "invalid_auth", "not_authed", "not_allowed_token_type", "account_inactive", "token_revoked", "token_expired", "missing_scope":
			return "", fmt.Errorf("chatsocket: slack: apps.connections.open: %w: %s (chat.slack.app_token_env must hold an app-level token, xapp-…, with connections:write)", ErrAuth, out.Error)
		}
		return "", fmt.Errorf("chatsocket: slack: apps.connections.open: HTTP %d: %s", resp.StatusCode, out.Error)
	}
	if u, err := url.Parse(out.URL); err != nil || (u.Scheme != "wss" && u.Scheme != "ws") {
		return "", fmt.Errorf("chatsocket: slack: apps.connections.open: %q is not a WebSocket URL", out.URL)
	}
	return out.URL, nil
}

// connect opens one connection and returns it after Slack's hello.
func (c *Slack) connect(ctx context.Context) (*session, error) {
	u, err := c.Open(ctx)
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, u, &websocket.DialOptions{HTTPClient: c.client()})
	if err != nil {
		// The URL carries a ticket: say where, not what.
		return nil, fmt.Errorf("chatsocket: slack: dialing %s: %w", hostOf(u), err)
	}
	hctx, hcancel := context.WithTimeout(ctx, helloTimeout)
	defer hcancel()
	_, msg, err := ws.Read(hctx)
	if err != nil {
		_ = ws.CloseNow()
		return nil, fmt.Errorf("chatsocket: slack: waiting for hello: %w", err)
	}
	env, err := DecodeEnvelope(msg)
	if err != nil || env.Type != "hello" {
		_ = ws.CloseNow()
		return nil, fmt.Errorf("chatsocket: slack: the first message is not hello: %.100s", msg)
	}
	s := newSession(ws)
	s.serve(context.WithoutCancel(ctx), func(ctx context.Context, msg []byte) { c.handle(ctx, s, msg) })
	// Stop with the loop's context.
	go func() {
		select {
		case <-ctx.Done():
			s.close(websocket.StatusGoingAway, "shutting down")
		case <-s.done:
		}
	}()
	return s, nil
}

func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Scheme + "://" + p.Host
	}
	return "the socket URL"
}

// handle acts on one message and acknowledges it.
func (c *Slack) handle(ctx context.Context, s *session, msg []byte) {
	log := discard(c.Log)
	env, err := DecodeEnvelope(msg)
	if err != nil {
		log.Warn("slack socket mode: unusable message", "error", err)
		// An envelope id we can read is acknowledged: Slack would
		// otherwise send the same unusable message again.
		if id := envelopeIDOf(msg); id != "" {
			c.ack(ctx, s, id, nil)
		}
		return
	}
	switch env.Type {
	case "hello":
		return
	case "disconnect":
		log.Info("slack socket mode: disconnect", "reason", env.Reason)
		s.askRefresh()
		return
	case "slash_commands":
		form, err := env.SlashForm()
		var ack any
		if err == nil {
			ack, err = c.Commands.SlashCommand(ctx, form, env.EnvelopeID)
		}
		switch {
		case err == nil:
		case errors.Is(err, ErrRejected):
			// As the HTTP hook answers 400: Slack shows its own error.
			log.Warn("slack socket mode: slash command refused", "envelope", env.EnvelopeID, "error", err)
			ack = nil
		default:
			// Not committed: no acknowledgement, so Slack retries.
			log.Error("slack socket mode: slash command not taken; Slack will retry", "envelope", env.EnvelopeID, "error", err)
			return
		}
		if !env.AcceptsResponsePayload {
			ack = nil
		}
		c.ack(ctx, s, env.EnvelopeID, ack)
	case "interactive":
		if c.Interactions == nil {
			log.Info("slack socket mode: interactive payload acknowledged; interactivity is not handled here", "envelope", env.EnvelopeID)
			c.ack(ctx, s, env.EnvelopeID, nil)
			return
		}
		res, err := c.Interactions.HandleSlackInteraction(ctx, env.Payload)
		if err != nil && !errors.Is(err, ErrRejected) {
			log.Error("slack socket mode: interaction not taken; Slack will retry", "envelope", env.EnvelopeID, "error", err)
			return
		}
		var ack any
		if res != "" && env.AcceptsResponsePayload && json.Valid([]byte(res)) && strings.HasPrefix(strings.TrimSpace(res), "{") {
			ack = json.RawMessage(res)
		}
		c.ack(ctx, s, env.EnvelopeID, ack)
	default:
		// events_api and types to come: nothing here subscribes to
		// them, but an unacknowledged envelope is sent again and again.
		log.Debug("slack socket mode: envelope acknowledged and ignored", "type", env.Type, "envelope", env.EnvelopeID)
		if env.EnvelopeID != "" {
			c.ack(ctx, s, env.EnvelopeID, nil)
		}
	}
}

func (c *Slack) ack(ctx context.Context, s *session, id string, payload any) {
	m := map[string]any{"envelope_id": id}
	if payload != nil {
		m["payload"] = payload
	}
	if err := s.send(ctx, m); err != nil {
		discard(c.Log).Warn("slack socket mode: acknowledgement failed; Slack will send the envelope again", "envelope", id, "error", err)
	}
}

// Envelope is one Socket Mode message.
type Envelope struct {
	Type       string          `json:"type"`
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
	// AcceptsResponsePayload: the acknowledgement may carry a payload.
	AcceptsResponsePayload bool   `json:"accepts_response_payload"`
	RetryAttempt           int    `json:"retry_attempt"`
	RetryReason            string `json:"retry_reason"`
	// Reason of a disconnect: warning, refresh_requested, link_disabled.
	Reason string `json:"reason"`
}

// MaxEnvelopeID bounds an envelope id.
const MaxEnvelopeID = 256

// ErrBadEnvelope is what DecodeEnvelope returns (wrapped) for a message
// that is not a usable envelope.
var ErrBadEnvelope = errors.New("chatsocket: not a Socket Mode envelope")

// DecodeEnvelope decodes and checks one Socket Mode message. It never
// panics; an error matches ErrBadEnvelope and names what is wrong.
func DecodeEnvelope(b []byte) (*Envelope, error) {
	if len(b) > readLimit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrBadEnvelope, readLimit)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var e Envelope
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadEnvelope, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrBadEnvelope)
	}
	switch {
	case e.Type == "":
		return nil, fmt.Errorf("%w: type is missing", ErrBadEnvelope)
	case len(e.EnvelopeID) > MaxEnvelopeID:
		return nil, fmt.Errorf("%w: envelope_id is longer than %d bytes", ErrBadEnvelope, MaxEnvelopeID)
	}
	switch e.Type {
	case "hello", "disconnect":
		return &e, nil
	}
	if e.EnvelopeID == "" {
		return nil, fmt.Errorf("%w: envelope_id is missing in a %s envelope", ErrBadEnvelope, e.Type)
	}
	if e.Type == "slash_commands" || e.Type == "interactive" {
		if p := bytes.TrimSpace(e.Payload); len(p) == 0 || p[0] != '{' {
			return nil, fmt.Errorf("%w: payload of a %s envelope is not an object", ErrBadEnvelope, e.Type)
		}
	}
	return &e, nil
}

// SlashForm is a slash_commands payload as the form the HTTP hook
// receives: its string fields (Socket Mode sends the same fields as JSON).
func (e *Envelope) SlashForm() (url.Values, error) {
	var m map[string]any
	if err := json.Unmarshal(e.Payload, &m); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrRejected, err)
	}
	form := url.Values{}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			form.Set(k, v)
		case bool:
			form.Set(k, fmt.Sprint(v))
		}
	}
	return form, nil
}

// envelopeIDOf digs the envelope id out of a message that did not decode
// as a whole.
func envelopeIDOf(b []byte) string {
	var m struct {
		ID string `json:"envelope_id"`
	}
	if json.Unmarshal(b, &m) != nil || len(m.ID) > MaxEnvelopeID {
		return ""
	}
	return m.ID
}
