package chatsocket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// session is one open WebSocket connection and the messages being handled
// on it.
type session struct {
	ws *websocket.Conn
	// done is closed when reading ended; err says why.
	done chan struct{}
	err  error
	// refresh receives once when the server asks for a new connection.
	refresh chan struct{}

	mu       sync.Mutex
	cond     *sync.Cond
	inflight int
	cancel   context.CancelFunc
}

func newSession(ws *websocket.Conn) *session {
	ws.SetReadLimit(readLimit)
	s := &session{ws: ws, done: make(chan struct{}), refresh: make(chan struct{}, 1)}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// serve reads until the connection ends, handling each message in its own
// goroutine so that a slow one does not hold back the acknowledgement of
// the next; it also pings the server, so that a connection a NAT silently
// dropped ends within pingInterval+pingTimeout.
func (s *session) serve(ctx context.Context, handle func(ctx context.Context, msg []byte)) {
	ctx, s.cancel = context.WithCancel(ctx)
	go func() {
		defer close(s.done)
		defer s.cancel()
		for {
			typ, msg, err := s.ws.Read(ctx)
			if err != nil {
				s.err = err
				return
			}
			if typ != websocket.MessageText {
				continue
			}
			s.mu.Lock()
			s.inflight++
			s.mu.Unlock()
			go func() {
				defer func() {
					s.mu.Lock()
					s.inflight--
					s.cond.Broadcast()
					s.mu.Unlock()
				}()
				handle(ctx, msg)
			}()
		}
	}()
	go func() {
		t := time.NewTicker(pingInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				pctx, cancel := context.WithTimeout(ctx, pingTimeout)
				err := s.ws.Ping(pctx)
				cancel()
				if err != nil && ctx.Err() == nil {
					_ = s.ws.CloseNow()
					return
				}
			}
		}
	}()
}

// send writes one JSON message.
func (s *session) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, ackTimeout)
	defer cancel()
	return s.ws.Write(ctx, websocket.MessageText, b)
}

// askRefresh tells the loop that the server wants this connection
// replaced.
func (s *session) askRefresh() {
	select {
	case s.refresh <- struct{}{}:
	default:
	}
}

// drain closes the connection once the messages in hand are acknowledged
// (a replacement is already open): nothing the server sent on it is lost.
// A message that arrives after the last acknowledgement is cut off
// unacknowledged, and the server sends it again on the new connection.
func (s *session) drain(timeout time.Duration) {
	deadline := time.AfterFunc(timeout, func() {
		s.mu.Lock()
		s.inflight = 0
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer deadline.Stop()
	s.mu.Lock()
	for s.inflight > 0 {
		s.cond.Wait()
	}
	s.mu.Unlock()
	s.close(websocket.StatusNormalClosure, "replaced")
}

func (s *session) close(code websocket.StatusCode, reason string) {
	// Close waits for the peer's close frame for a few seconds; the loop
	// does not wait for it.
	go func() {
		_ = s.ws.Close(code, reason)
		if s.cancel != nil {
			s.cancel()
		}
	}()
}

// loop keeps one connection open: it connects, waits until the
// connection ends or the server asks for a new one, and connects again,
// with backoff after failures. On a refresh it opens the new connection
// before it closes the old one, so that the server always has a place to
// send to.
func loop(ctx context.Context, name string, connect func(context.Context) (*session, error), st *Status,
	backoff func(int) time.Duration, now func() time.Time, log *slog.Logger) {
	var cur *session
	failures := 0
	ever := false
	defer func() {
		if cur != nil {
			cur.close(websocket.StatusGoingAway, "shutting down")
		}
		st.down(now(), nil)
	}()
	for {
		if cur == nil {
			s, err := connect(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				failures++
				st.down(now(), err)
				n := failures
				if errors.Is(err, ErrAuth) {
					n = 100 // the longest wait: the same credentials will be refused again
				}
				d := backoff(n)
				log.Warn(name+": could not connect; retrying", "error", err, "attempt", failures, "wait", d)
				if !sleep(ctx, d) {
					return
				}
				continue
			}
			st.up(now(), ever)
			if ever {
				log.Info(name + ": reconnected")
			} else {
				log.Info(name + ": connected")
			}
			ever = true
			failures = 0
			cur = s
		}
		select {
		case <-ctx.Done():
			return
		case <-cur.done:
			err := cur.err
			if err == nil {
				err = errors.New("connection closed")
			}
			err = fmt.Errorf("%s: connection lost: %w", name, err)
			st.down(now(), err)
			log.Warn(name+": connection lost; reconnecting", "error", cur.err)
			cur.close(websocket.StatusGoingAway, "")
			cur = nil
			failures++
			if !sleep(ctx, backoff(failures)) {
				return
			}
		case <-cur.refresh:
			next, err := connect(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				// Keep serving on the old connection; when the server
				// closes it, the loop reconnects with backoff.
				log.Warn(name+": could not open the replacement connection; keeping the old one", "error", err)
				continue
			}
			old := cur
			cur = next
			st.up(now(), true)
			log.Info(name + ": replaced the connection at the server's request")
			go old.drain(ackTimeout + time.Second)
		}
	}
}
