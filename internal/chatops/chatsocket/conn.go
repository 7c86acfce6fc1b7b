// Package chatsocket keeps the outbound WebSocket connections through which
// Slack (Socket Mode) and DingTalk (Stream mode) deliver chat commands, so
// that a desk behind NAT, with no inbound port, still answers its chats.
//
// Each client opens a connection with an HTTP call that trades the app's
// credentials for a one-time WebSocket URL, reads messages, acknowledges
// each one as soon as what it carries is committed, and opens a new
// connection (a new URL) whenever the old one ends. What a message carries
// is handed to a sink defined here and implemented by chatops, which
// queues the same jobs as the HTTP hooks: the replies go through the
// durable outbox, and a message delivered twice runs once.
//
// Every replica keeps its own connections: both platforms deliver each
// message to one of an app's open connections, and the jobs are unique by
// message id, so a message delivered to two replicas still runs once.
package chatsocket

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// ErrRejected marks a sink error for a message that will never be usable
// (a slash command without a response_url, a robot message that is not
// JSON): the message is acknowledged, so the platform does not send it
// again. Any other sink error leaves the message unacknowledged, and the
// platform delivers it again.
var ErrRejected = errors.New("chatsocket: message rejected")

// ErrAuth is returned (wrapped) when the platform refuses the credentials:
// a retry with the same credentials will not help, so the client waits the
// longest backoff before trying again.
var ErrAuth = errors.New("chatsocket: credentials refused")

// Status is what a client reports about its connection: whether it is up,
// since when, the last error, and how often it reconnected. Safe for
// concurrent use.
type Status struct {
	mu         sync.Mutex
	connected  bool
	since      time.Time
	lastError  string
	reconnects int64
}

// State is a snapshot of a Status.
type State struct {
	Connected bool
	// Since is when the connection came up (Connected) or went down.
	Since      time.Time
	LastError  string
	Reconnects int64
}

// Snapshot returns the current state.
func (s *Status) Snapshot() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return State{Connected: s.connected, Since: s.since, LastError: s.lastError, Reconnects: s.reconnects}
}

func (s *Status) up(now time.Time, reconnect bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if reconnect {
		s.reconnects++
	}
	if !s.connected {
		s.since = now
	}
	s.connected = true
	s.lastError = ""
}

func (s *Status) down(now time.Time, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.connected || s.since.IsZero() {
		s.since = now
	}
	s.connected = false
	if err != nil {
		s.lastError = err.Error()
	}
}

// Backoff is the default wait before reconnect attempt n (1, 2, …): full
// jitter over an exponential ceiling from 1 s, bounded at a minute, so
// that replicas that lost their connections together do not come back
// together.
func Backoff(n int) time.Duration {
	ceil := time.Second << min(max(n-1, 0), 6)
	if ceil > time.Minute {
		ceil = time.Minute
	}
	return ceil/2 + rand.N(ceil/2+1)
}

// MaxBackoff is the wait after the platform refused the credentials.
const MaxBackoff = time.Minute

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Timing bounds that both clients use.
const (
	// openTimeout bounds the HTTP call that opens a connection and the
	// WebSocket handshake.
	openTimeout = 15 * time.Second
	// helloTimeout bounds the wait for Slack's hello.
	helloTimeout = 15 * time.Second
	// pingInterval is how often the client pings the server; a ping that
	// is not answered within pingTimeout ends the connection (a NAT that
	// dropped its mapping shows up here, not as an error).
	pingInterval = 30 * time.Second
	pingTimeout  = 15 * time.Second
	// ackTimeout bounds writing one acknowledgement.
	ackTimeout = 5 * time.Second
	// readLimit bounds one message (a robot message carries up to 32,000
	// CJK characters, three bytes each, escaped once more as a string).
	readLimit = 1 << 20
)

func discard(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}
