package fake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// SlackSocket is Slack's Socket Mode: the Web API method
// apps.connections.open (POST {APIURL}apps.connections.open with the
// app-level token as a Bearer token), which answers
// {"ok":true,"url":"ws://…/link/?ticket=…"} or {"ok":false,"error":…}
// (invalid_auth for a wrong token, not_allowed_token_type for a bot or
// user token), and the WebSocket server behind those one-time URLs. Each
// new connection gets a hello; the test pushes envelopes (slash commands,
// interactive payloads), asks for a refresh (disconnect,
// refresh_requested) or cuts connections, and waits for the
// acknowledgements the client writes back.
type SlackSocket struct {
	*Server // the Web API
	hub     *wsHub
	token   string
	acks    []SlackSocketAck
}

// SlackSocketAck is one acknowledgement the client wrote.
type SlackSocketAck struct {
	EnvelopeID string
	// Payload is the acknowledgement's payload (nil: none).
	Payload map[string]any
	// Conn is the connection (WSConn.N) it came on.
	Conn int
}

// DefaultSlackAppToken is the app-level token the fake accepts unless
// WithToken says otherwise.
const DefaultSlackAppToken = "xapp-1-A0FAKE-1-fakeapptoken"

// NewSlackSocket starts the fake. Options: WithToken (the app-level
// token; default DefaultSlackAppToken).
func NewSlackSocket(t testing.TB, opts ...Option) *SlackSocket {
	t.Helper()
	f := &SlackSocket{Server: newServer(t, "slack-socket", opts, slackSocketError)}
	f.token = f.opt.token
	if f.token == "" {
		f.token = DefaultSlackAppToken
	}
	f.hub = newWSHub(t, "/link/")
	f.hub.hello = func(c *WSConn) any {
		return map[string]any{
			"type": "hello", "num_connections": len(f.hub.open()),
			"debug_info":      map[string]any{"host": "applink-fake", "approximate_connection_time": 18060},
			"connection_info": map[string]any{"app_id": "A0FAKE"},
		}
	}
	f.hub.onMessage = func(c *WSConn, msg []byte) {
		var a struct {
			EnvelopeID string         `json:"envelope_id"`
			Payload    map[string]any `json:"payload"`
		}
		if json.Unmarshal(msg, &a) != nil || a.EnvelopeID == "" {
			t.Errorf("fake slack socket: the client wrote %q, not an acknowledgement", msg)
			return
		}
		f.acks = append(f.acks, SlackSocketAck{EnvelopeID: a.EnvelopeID, Payload: a.Payload, Conn: c.N})
	}
	f.start(f.serve)
	return f
}

func slackSocketError(status int, msg string) (string, []byte) {
	b, _ := json.Marshal(map[string]any{"ok": false, "error": strings.ReplaceAll(msg, " ", "_")})
	return "application/json; charset=utf-8", b
}

// APIURL is the Web API base the client is given (…/api/).
func (f *SlackSocket) APIURL() string { return f.BaseURL() + "/api/" }

// AppToken is the token the fake accepts.
func (f *SlackSocket) AppToken() string { return f.token }

func (f *SlackSocket) serve(w http.ResponseWriter, r *http.Request) {
	answer := func(v map[string]any) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(v)
	}
	if r.URL.Path != "/api/apps.connections.open" {
		answer(map[string]any{"ok": false, "error": "unknown_method"})
		return
	}
	if r.Method != http.MethodPost {
		answer(map[string]any{"ok": false, "error": "method_not_supported_for_channel_type"})
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok || tok == "":
		answer(map[string]any{"ok": false, "error": "not_authed"})
		return
	case strings.HasPrefix(tok, "xoxb-") || strings.HasPrefix(tok, "xoxp-"):
		answer(map[string]any{"ok": false, "error": "not_allowed_token_type"})
		return
	case tok != f.token:
		answer(map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	ticket := f.hub.issue()
	f.accept(func() {})
	answer(map[string]any{"ok": true, "url": f.hub.wsURL() + "/link/?ticket=" + ticket + "&app_id=A0FAKE"})
}

// SlackEnvelope is an envelope the test pushes.
type SlackEnvelope struct {
	Type       string // slash_commands, interactive, events_api
	EnvelopeID string // default: a fresh id
	Payload    any
	// RetryAttempt > 0 marks Slack's redelivery of an envelope that was
	// not acknowledged in time.
	RetryAttempt int
}

// Push sends an envelope on the newest open connection and returns its
// id; it fails the test when no connection is open.
func (f *SlackSocket) Push(t testing.TB, e SlackEnvelope) string {
	t.Helper()
	c := f.hub.newest()
	if c == nil {
		t.Fatal("fake slack socket: no open connection to push to")
	}
	return f.PushOn(t, c.N, e)
}

// PushOn sends an envelope on connection n (WSConn.N).
func (f *SlackSocket) PushOn(t testing.TB, n int, e SlackEnvelope) string {
	t.Helper()
	if e.EnvelopeID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		e.EnvelopeID = "env-" + hex.EncodeToString(b[:])
	}
	m := map[string]any{"envelope_id": e.EnvelopeID, "type": e.Type, "payload": e.Payload,
		"accepts_response_payload": e.Type != "events_api", "retry_attempt": e.RetryAttempt, "retry_reason": ""}
	if e.RetryAttempt > 0 {
		m["retry_reason"] = "timeout"
	}
	c := f.conn(t, n)
	if err := f.hub.write(c, m); err != nil {
		t.Fatalf("fake slack socket: push on connection %d: %v", n, err)
	}
	return e.EnvelopeID
}

func (f *SlackSocket) conn(t testing.TB, n int) *WSConn {
	t.Helper()
	f.hub.mu.Lock()
	defer f.hub.mu.Unlock()
	if n < 1 || n > len(f.hub.conns) {
		t.Fatalf("fake slack socket: no connection %d", n)
	}
	return f.hub.conns[n-1]
}

// SlashCommandPayload is the JSON payload of a slash_commands envelope for
// cmd: the fields of the HTTP form, as strings.
func SlashCommandPayload(cmd SlackSlashCommand) map[string]any {
	out := map[string]any{}
	for k, v := range cmd.Form() {
		out[k] = v[0]
	}
	return out
}

// PushSlashCommand sends cmd as a slash_commands envelope on the newest
// connection and returns the envelope id.
func (f *SlackSocket) PushSlashCommand(t testing.TB, cmd SlackSlashCommand) string {
	t.Helper()
	return f.Push(t, SlackEnvelope{Type: "slash_commands", Payload: SlashCommandPayload(cmd)})
}

// PushInteractive sends an interactive payload (block_actions, …).
func (f *SlackSocket) PushInteractive(t testing.TB, payload map[string]any) string {
	t.Helper()
	return f.Push(t, SlackEnvelope{Type: "interactive", Payload: payload})
}

// Refresh sends disconnect (reason refresh_requested, or warning) on every
// open connection. Like Slack, the fake keeps the old connection open
// until the client closes it.
func (f *SlackSocket) Refresh(t testing.TB, reason string) {
	t.Helper()
	for _, c := range f.hub.open() {
		if err := f.hub.write(c, map[string]any{"type": "disconnect", "reason": reason,
			"debug_info": map[string]any{"host": "applink-fake"}}); err != nil {
			t.Fatalf("fake slack socket: disconnect on connection %d: %v", c.N, err)
		}
	}
}

// Drop cuts every open connection without a close frame.
func (f *SlackSocket) Drop() { f.hub.drop() }

// Connections returns every WebSocket connection made so far, in order.
func (f *SlackSocket) Connections() []WSConn { return f.hub.connections() }

// WaitConnections waits until n connections were made in all and open of
// them are still open.
func (f *SlackSocket) WaitConnections(t testing.TB, n, open int, timeout time.Duration) {
	t.Helper()
	f.hub.waitConnections(t, n, open, timeout)
}

// Acks returns the acknowledgements received so far.
func (f *SlackSocket) Acks() []SlackSocketAck {
	f.hub.mu.Lock()
	defer f.hub.mu.Unlock()
	return append([]SlackSocketAck(nil), f.acks...)
}

// WaitAck waits for the acknowledgement of an envelope.
func (f *SlackSocket) WaitAck(t testing.TB, envelopeID string, timeout time.Duration) SlackSocketAck {
	t.Helper()
	var got SlackSocketAck
	f.hub.waitFor(t, fmt.Sprintf("the acknowledgement of %s", envelopeID), timeout, func() bool {
		for _, a := range f.acks {
			if a.EnvelopeID == envelopeID {
				got = a
				return true
			}
		}
		return false
	})
	return got
}
