package fake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// wsHub is the WebSocket side that the Slack Socket Mode and DingTalk
// stream fakes share: one-time tickets, the connections made with them
// (open and closed, in order), and what the client wrote on each.
type wsHub struct {
	tb  testing.TB
	mu  sync.Mutex
	rec *recorder
	srv *httptest.Server
	// hello is sent on each new connection (nil: nothing).
	hello func(c *WSConn) any
	// onMessage records one message from the client (mu held).
	onMessage func(c *WSConn, msg []byte)

	tickets map[string]bool
	conns   []*WSConn
}

// WSConn is one WebSocket connection a client made to a fake.
type WSConn struct {
	// N numbers the connections from 1 in the order they were made.
	N  int
	ws *websocket.Conn
	// OthersOpen is how many other connections were open when this one
	// was made (a client that replaces a connection before closing it
	// makes the new one with 1).
	OthersOpen int
	// Closed: the connection ended; CloseStatus is the client's close
	// code (-1 when it ended without a close frame).
	Closed      bool
	CloseStatus websocket.StatusCode
	CloseReason string
}

func newWSHub(tb testing.TB, path string) *wsHub {
	h := &wsHub{tb: tb, tickets: map[string]bool{}}
	h.rec = newRecorder(tb, &h.mu)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+path, h.serve)
	h.srv = httptest.NewServer(mux)
	tb.Cleanup(func() {
		h.drop()
		h.srv.Close()
	})
	return h
}

// issue makes a one-time ticket.
func (h *wsHub) issue() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	t := hex.EncodeToString(b[:])
	h.mu.Lock()
	h.tickets[t] = true
	h.mu.Unlock()
	return t
}

// wsURL is the server's ws:// base.
func (h *wsHub) wsURL() string { return "ws" + h.srv.URL[len("http"):] }

func (h *wsHub) serve(w http.ResponseWriter, r *http.Request) {
	t := r.URL.Query().Get("ticket")
	h.mu.Lock()
	ok := h.tickets[t]
	delete(h.tickets, t)
	h.mu.Unlock()
	if !ok {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	ws.SetReadLimit(4 << 20)
	c := &WSConn{ws: ws, OthersOpen: len(h.open())}
	// The hello goes first: a test that sees the connection may push at
	// once.
	if h.hello != nil {
		if err := h.write(c, h.hello(c)); err != nil {
			_ = ws.CloseNow()
			return
		}
	}
	h.mu.Lock()
	c.N = len(h.conns) + 1
	h.conns = append(h.conns, c)
	h.rec.notifyLocked()
	h.mu.Unlock()
	for {
		_, msg, err := ws.Read(context.Background())
		if err != nil {
			h.mu.Lock()
			c.Closed = true
			c.CloseStatus = websocket.CloseStatus(err)
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				c.CloseReason = ce.Reason
			}
			h.rec.notifyLocked()
			h.mu.Unlock()
			return
		}
		h.mu.Lock()
		h.onMessage(c, msg)
		h.rec.notifyLocked()
		h.mu.Unlock()
	}
}

func (h *wsHub) write(c *WSConn, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, b)
}

// newest is the most recent open connection (nil: none).
func (h *wsHub) newest() *WSConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.conns) - 1; i >= 0; i-- {
		if !h.conns[i].Closed {
			return h.conns[i]
		}
	}
	return nil
}

// open are the open connections, oldest first.
func (h *wsHub) open() []*WSConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*WSConn
	for _, c := range h.conns {
		if !c.Closed {
			out = append(out, c)
		}
	}
	return out
}

// connections are copies of every connection made, in order.
func (h *wsHub) connections() []WSConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]WSConn, len(h.conns))
	for i, c := range h.conns {
		out[i] = *c
		out[i].ws = nil
	}
	return out
}

// drop cuts every open connection without a close frame, as a network
// failure would.
func (h *wsHub) drop() {
	for _, c := range h.open() {
		_ = c.ws.CloseNow()
	}
}

// waitFor waits until cond (called with mu held) holds.
func (h *wsHub) waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	if !h.rec.waitChanged(timeout, cond) {
		t.Fatalf("fake websocket: timed out after %v waiting for %s", timeout, what)
	}
}

// waitConnections waits until n connections were made in all and
// open of them are open.
func (h *wsHub) waitConnections(t testing.TB, n, open int, timeout time.Duration) {
	t.Helper()
	h.waitFor(t, "connections", timeout, func() bool {
		o := 0
		for _, c := range h.conns {
			if !c.Closed {
				o++
			}
		}
		return len(h.conns) >= n && o == open
	})
}
