package chatsocket_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/opsdesk/opsdesk/internal/chatops/chatsocket"
	"github.com/opsdesk/opsdesk/internal/fake"
)

const wait = 10 * time.Second

// commands records the slash commands a client hands over; fail makes the
// next n fail as a database outage would.
type commands struct {
	mu   sync.Mutex
	got  []url.Values
	envs []string
	// fail makes the next n commands with this trigger id fail.
	fail  map[string]int
	notOK error
}

func (c *commands) SlashCommand(_ context.Context, form url.Values, envelopeID string) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail[form.Get("trigger_id")] > 0 {
		c.fail[form.Get("trigger_id")]--
		return nil, errors.New("database is down")
	}
	if c.notOK != nil {
		return nil, c.notOK
	}
	c.got = append(c.got, form)
	c.envs = append(c.envs, envelopeID)
	return map[string]string{"response_type": "ephemeral", "text": "working on it"}, nil
}

func (c *commands) forms() []url.Values {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]url.Values(nil), c.got...)
}

type interactions struct {
	mu  sync.Mutex
	got [][]byte
}

func (i *interactions) HandleSlackInteraction(_ context.Context, payload []byte) (string, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.got = append(i.got, payload)
	return `{"response_action":"clear"}`, nil
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func quick(int) time.Duration { return 10 * time.Millisecond }

// runSlack starts a client against f until the test ends.
func runSlack(t *testing.T, f *fake.SlackSocket, c *chatsocket.Slack) {
	t.Helper()
	if c.APIURL == "" {
		c.APIURL = f.APIURL()
	}
	if c.AppToken == "" {
		c.AppToken = f.AppToken()
	}
	if c.Backoff == nil {
		c.Backoff = quick
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func cmd(text, trigger string) fake.SlackSlashCommand {
	return fake.SlackSlashCommand{Text: text, TeamID: "T1", ChannelID: "C1", ChannelName: "ops", UserID: "U1", UserName: "bob",
		ResponseURL: "https://hooks.slack.com/commands/T1/1/x", TriggerID: trigger}
}

func TestSlackHelloAndAck(t *testing.T) {
	t.Parallel()
	f := fake.NewSlackSocket(t)
	cmds := &commands{}
	c := &chatsocket.Slack{Commands: cmds}
	runSlack(t, f, c)
	f.WaitConnections(t, 1, 1, wait)

	id := f.PushSlashCommand(t, cmd("case 123 & <b>", "trig-1"))
	a := f.WaitAck(t, id, wait)
	if a.Payload["text"] != "working on it" || a.Payload["response_type"] != "ephemeral" || a.Conn != 1 {
		t.Fatalf("ack = %+v", a)
	}
	forms := cmds.forms()
	if len(forms) != 1 {
		t.Fatalf("%d commands handed over, want 1", len(forms))
	}
	// The payload's text is Slack-escaped, as in the HTTP form.
	if got := forms[0].Get("text"); got != "case 123 &amp; &lt;b&gt;" {
		t.Fatalf("text = %q", got)
	}
	if forms[0].Get("trigger_id") != "trig-1" || forms[0].Get("response_url") == "" || forms[0].Get("user_id") != "U1" {
		t.Fatalf("form = %v", forms[0])
	}
	st := c.Status.Snapshot()
	if !st.Connected || st.Since.IsZero() || st.Reconnects != 0 {
		t.Fatalf("status = %+v", st)
	}
	// events_api envelopes are acknowledged without a payload.
	ev := f.Push(t, fake.SlackEnvelope{Type: "events_api", Payload: map[string]any{"event": map[string]any{"type": "app_mention"}}})
	if a := f.WaitAck(t, ev, wait); a.Payload != nil {
		t.Fatalf("events_api ack carries %v", a.Payload)
	}
}

func TestSlackInteractive(t *testing.T) {
	t.Parallel()
	for _, withHandler := range []bool{false, true} {
		t.Run(map[bool]string{false: "nil", true: "handler"}[withHandler], func(t *testing.T) {
			t.Parallel()
			f := fake.NewSlackSocket(t)
			c := &chatsocket.Slack{Commands: &commands{}}
			ih := &interactions{}
			if withHandler {
				c.Interactions = ih
			}
			runSlack(t, f, c)
			f.WaitConnections(t, 1, 1, wait)
			id := f.PushInteractive(t, map[string]any{"type": "block_actions", "trigger_id": "t-9", "actions": []any{map[string]any{"action_id": "ack"}}})
			a := f.WaitAck(t, id, wait)
			if !withHandler {
				if a.Payload != nil {
					t.Fatalf("ack payload %v without a handler", a.Payload)
				}
				return
			}
			if a.Payload["response_action"] != "clear" {
				t.Fatalf("ack payload = %v", a.Payload)
			}
			ih.mu.Lock()
			defer ih.mu.Unlock()
			var p map[string]any
			if len(ih.got) != 1 || json.Unmarshal(ih.got[0], &p) != nil || p["type"] != "block_actions" || p["trigger_id"] != "t-9" {
				t.Fatalf("handler got %q", ih.got)
			}
		})
	}
}

func TestSlackReconnectAfterDrop(t *testing.T) {
	t.Parallel()
	f := fake.NewSlackSocket(t)
	cmds := &commands{}
	c := &chatsocket.Slack{Commands: cmds}
	runSlack(t, f, c)
	f.WaitConnections(t, 1, 1, wait)
	f.Drop()
	f.WaitConnections(t, 2, 1, wait)
	id := f.PushSlashCommand(t, cmd("help", "trig-2"))
	if a := f.WaitAck(t, id, wait); a.Conn != 2 {
		t.Fatalf("ack on connection %d, want 2", a.Conn)
	}
	// Each connection used a ticket of its own.
	if n := f.Count(); n != 2 {
		t.Fatalf("apps.connections.open called %d times, want 2", n)
	}
	if st := c.Status.Snapshot(); !st.Connected || st.Reconnects != 1 {
		t.Fatalf("status = %+v", st)
	}
}

// TestSlackRefresh: on disconnect (refresh_requested) the client opens the
// new connection first, answers what came on the old one, then closes it
// normally.
func TestSlackRefresh(t *testing.T) {
	t.Parallel()
	for _, reason := range []string{"refresh_requested", "warning"} {
		t.Run(reason, func(t *testing.T) {
			t.Parallel()
			f := fake.NewSlackSocket(t)
			cmds := &commands{}
			c := &chatsocket.Slack{Commands: cmds}
			runSlack(t, f, c)
			f.WaitConnections(t, 1, 1, wait)
			f.Refresh(t, reason)
			// Slack may still deliver on the old connection until it is
			// closed: not lost.
			old := f.PushOn(t, 1, fake.SlackEnvelope{Type: "slash_commands", Payload: fake.SlashCommandPayload(cmd("help", "trig-old"))})
			f.WaitConnections(t, 2, 1, wait)
			conns := f.Connections()
			if conns[1].OthersOpen != 1 {
				t.Fatalf("the new connection was made with %d others open, want 1 (new before old closes)", conns[1].OthersOpen)
			}
			if !conns[0].Closed || conns[0].CloseStatus != websocket.StatusNormalClosure {
				t.Fatalf("old connection: closed %v status %v, want a normal closure", conns[0].Closed, conns[0].CloseStatus)
			}
			if a := f.WaitAck(t, old, wait); a.Conn != 1 {
				t.Fatalf("the old connection's envelope was acknowledged on %d", a.Conn)
			}
			nw := f.PushSlashCommand(t, cmd("help", "trig-new"))
			if a := f.WaitAck(t, nw, wait); a.Conn != 2 {
				t.Fatalf("ack on %d, want 2", a.Conn)
			}
			if n := len(cmds.forms()); n != 2 {
				t.Fatalf("%d commands handed over, want 2", n)
			}
		})
	}
}

// TestSlackNotCommittedNotAcked: a command the sink could not commit is
// not acknowledged; Slack's redelivery is.
func TestSlackNotCommittedNotAcked(t *testing.T) {
	t.Parallel()
	f := fake.NewSlackSocket(t)
	cmds := &commands{fail: map[string]int{"trig-r": 1}}
	c := &chatsocket.Slack{Commands: cmds}
	runSlack(t, f, c)
	f.WaitConnections(t, 1, 1, wait)
	e := fake.SlackEnvelope{Type: "slash_commands", EnvelopeID: "env-retry", Payload: fake.SlashCommandPayload(cmd("help", "trig-r"))}
	f.Push(t, e)
	// A second, later envelope is acknowledged; the failed one is not.
	later := f.PushSlashCommand(t, cmd("help", "trig-later"))
	f.WaitAck(t, later, wait)
	for _, a := range f.Acks() {
		if a.EnvelopeID == "env-retry" {
			t.Fatal("an envelope that was not committed was acknowledged")
		}
	}
	e.RetryAttempt = 1
	f.Push(t, e)
	f.WaitAck(t, "env-retry", wait)
}

func TestSlackRejectedIsAcked(t *testing.T) {
	t.Parallel()
	f := fake.NewSlackSocket(t)
	c := &chatsocket.Slack{Commands: &commands{notOK: chatsocket.ErrRejected}}
	runSlack(t, f, c)
	f.WaitConnections(t, 1, 1, wait)
	id := f.PushSlashCommand(t, cmd("help", "trig-bad"))
	if a := f.WaitAck(t, id, wait); a.Payload != nil {
		t.Fatalf("rejected command acknowledged with %v", a.Payload)
	}
}

func TestSlackBadToken(t *testing.T) {
	t.Parallel()
	f := fake.NewSlackSocket(t)
	for _, tc := range []struct{ token, want string }{
		{"xapp-1-wrong", "invalid_auth"},
		{"xoxb-123-bot", "not_allowed_token_type"},
	} {
		c := &chatsocket.Slack{AppToken: tc.token, APIURL: f.APIURL(), Commands: &commands{}}
		_, err := c.Open(context.Background())
		if !errors.Is(err, chatsocket.ErrAuth) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "chat.slack.app_token_env") {
			t.Fatalf("token %s: err = %v", tc.token, err)
		}
	}
	// Run reports it in the status and keeps trying.
	c := &chatsocket.Slack{AppToken: "xapp-1-wrong", Commands: &commands{}}
	runSlack(t, f, c)
	deadline := time.Now().Add(wait)
	for {
		st := c.Status.Snapshot()
		if strings.Contains(st.LastError, "invalid_auth") && !st.Connected {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status = %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(f.Connections()) != 0 {
		t.Fatal("a connection was made with a refused token")
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"type":"hello","num_connections":1}`,
		`{"type":"disconnect","reason":"refresh_requested"}`,
		`{"envelope_id":"e1","type":"slash_commands","payload":{"text":"help","response_url":"https://x"},"accepts_response_payload":true}`,
		`{"envelope_id":"e2","type":"interactive","payload":{"type":"block_actions"}}`,
		`{"envelope_id":"e3","type":"events_api","payload":{}}`,
		`{"envelope_id":"","type":"slash_commands","payload":{}}`,
		`{"envelope_id":"e4","type":"slash_commands","payload":"x"}`,
		`{"type":1}`, `[]`, `{} {}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := chatsocket.DecodeEnvelope(b)
		if err != nil {
			if !errors.Is(err, chatsocket.ErrBadEnvelope) {
				t.Fatalf("error %v does not match ErrBadEnvelope", err)
			}
			return
		}
		if e.Type == "" || len(e.EnvelopeID) > chatsocket.MaxEnvelopeID {
			t.Fatalf("accepted %+v", e)
		}
		if e.Type == "slash_commands" {
			if _, err := e.SlashForm(); err != nil && !errors.Is(err, chatsocket.ErrRejected) {
				t.Fatal(err)
			}
		}
	})
}
