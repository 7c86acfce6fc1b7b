package alerts

import (
	"context"
	"sync"

	"github.com/opsdesk/opsdesk/internal/store"
)

// alertLocks serializes, within a process, placing a call for an alert
// with changing the alert's status: whoever holds an alert's lock sees its
// latest committed status, and an acknowledgement committed under the lock
// is seen by every later placement, so no call is placed after an ack is
// committed. Between replicas (PostgreSQL) the placement also leaves an
// intent in the database for the time of its request (placing_until),
// which an acknowledgement waits out; see Service.end.
type alertLocks struct {
	mu sync.Mutex
	m  map[int64]*lockEntry
}

type lockEntry struct {
	ch   chan struct{}
	refs int
}

func (l *alertLocks) init() {
	l.m = map[int64]*lockEntry{}
}

// lock takes the alert's lock; the returned function releases it.
func (l *alertLocks) lock(ctx context.Context, id int64) (func(), error) {
	l.mu.Lock()
	e := l.m[id]
	if e == nil {
		e = &lockEntry{ch: make(chan struct{}, 1)}
		l.m[id] = e
	}
	e.refs++
	l.mu.Unlock()
	release := func() {
		l.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(l.m, id)
		}
		l.mu.Unlock()
	}
	select {
	case e.ch <- struct{}{}:
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
	return func() {
		<-e.ch
		release()
	}, nil
}

// advisoryClass is the first key of opsdesk's alert advisory locks.
const advisoryClass = 0x6f707364 // "opsd"

// forUpdate locks the rows a SELECT reads inside a transaction on
// PostgreSQL; SQLite's write transactions hold the whole database.
func (s *Service) forUpdate() string {
	if s.st.Engine == store.Postgres {
		return " FOR UPDATE"
	}
	return ""
}
