package alerts

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
)

// Statements are written once with '?' placeholders and run through
// rowQ, rowsQ and execQ. On SQLite every statement handed to the driver is
// parsed again, which costs more than running most of ours; so there each
// statement is prepared once per connection and reused (database/sql keeps
// the prepared form per connection, and a transaction reuses the one of
// its connection). PostgreSQL's driver caches prepared statements itself.

type stmtCache struct {
	mu      sync.Mutex
	m       map[*sql.DB]map[string]*sql.Stmt
	pending map[string]bool
}

func (c *stmtCache) get(db *sql.DB, query string) (*sql.Stmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[db][query]
	return st, ok
}

func (c *stmtCache) put(db *sql.DB, query string, st *sql.Stmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[*sql.DB]map[string]*sql.Stmt{}
	}
	if c.m[db] == nil {
		c.m[db] = map[string]*sql.Stmt{}
	}
	c.m[db][query] = st
}

// prepared returns the statement prepared on db, preparing it now (nil
// when that fails: the caller then runs the text, which reports the
// error). Not for the writer from inside one of its transactions: that
// would wait for the one connection the transaction holds.
func (s *Service) prepared(ctx context.Context, db *sql.DB, query string) *sql.Stmt {
	if st, ok := s.stmts.get(db, query); ok {
		return st
	}
	st, err := db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	s.stmts.put(db, query, st)
	return st
}

// preparedLater returns the writer's prepared statement if there is one;
// otherwise it has it prepared in the background, once the writer's
// connection is free, for next time.
func (s *Service) preparedLater(query string) *sql.Stmt {
	if st, ok := s.stmts.get(s.st.W, query); ok {
		return st
	}
	c := &s.stmts
	c.mu.Lock()
	if c.pending == nil {
		c.pending = map[string]bool{}
	}
	if c.pending[query] {
		c.mu.Unlock()
		return nil
	}
	c.pending[query] = true
	c.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s.prepared(ctx, s.st.W, query)
		c.mu.Lock()
		delete(c.pending, query)
		c.mu.Unlock()
	}()
	return nil
}

// stmtFor returns the prepared statement for q (a transaction of the
// writer, or one of the store's pools), or nil to run the text.
func (s *Service) stmtFor(ctx context.Context, q querier, query string) *sql.Stmt {
	if s.st.Engine != store.SQLite {
		return nil
	}
	switch x := q.(type) {
	case *sql.Tx:
		if st := s.preparedLater(query); st != nil {
			return x.StmtContext(ctx, st)
		}
	case *sql.DB:
		return s.prepared(ctx, x, query)
	}
	return nil
}

func (s *Service) rowQ(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	if st := s.stmtFor(ctx, q, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.QueryRowContext(ctx, s.st.Q(query), args...)
}

func (s *Service) rowsQ(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	if st := s.stmtFor(ctx, q, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.QueryContext(ctx, s.st.Q(query), args...)
}

func (s *Service) execQ(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	if st := s.stmtFor(ctx, q, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.ExecContext(ctx, s.st.Q(query), args...)
}

// txGroup runs the engine's short transitions of concurrent steps in one
// transaction ("group commit"), each in a savepoint of its own: a step
// whose statements fail is rolled back alone, the others commit
// together. The first caller in leads, like the intake's batcher.
type txGroup struct {
	mu      sync.Mutex
	pending []*txReq
	busy    bool
}

type txReq struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	err  error
	done chan bool
}

// maxGroup bounds the steps one transaction commits.
const maxGroup = 64

// groupTx runs fn in a transaction shared with other steps and returns
// once that transaction is committed (fn's error, or the commit's).
//
// On PostgreSQL each step commits in a transaction of its own instead: the
// server runs transactions side by side on its own connections and flushes
// their commits together, while a shared transaction would put every step's
// statements, round trip after round trip, on one connection.
func (s *Service) groupTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.st.Engine == store.Postgres {
		return s.st.Tx(ctx, fn)
	}
	r := &txReq{ctx: ctx, fn: fn, done: make(chan bool, 1)}
	g := &s.group
	g.mu.Lock()
	g.pending = append(g.pending, r)
	lead := !g.busy
	g.busy = true
	g.mu.Unlock()
	if !lead && !<-r.done {
		return r.err
	}
	g.mu.Lock()
	n := min(len(g.pending), maxGroup)
	batch := g.pending[:n:n]
	g.pending = g.pending[n:]
	g.mu.Unlock()

	s.runGroup(batch)

	g.mu.Lock()
	var next *txReq
	if len(g.pending) > 0 {
		next = g.pending[0]
	} else {
		g.busy = false
		g.pending = nil
	}
	g.mu.Unlock()
	for _, o := range batch {
		if o != r {
			o.done <- false
		}
	}
	if next != nil {
		next.done <- true
	}
	return r.err
}

func (s *Service) runGroup(batch []*txReq) {
	if len(batch) == 1 {
		r := batch[0]
		r.err = s.st.Tx(r.ctx, r.fn)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		for _, r := range batch {
			if _, err := s.execQ(ctx, tx, "SAVEPOINT step"); err != nil {
				return err
			}
			r.err = r.fn(tx)
			if r.err != nil {
				if _, err := s.execQ(ctx, tx, "ROLLBACK TO SAVEPOINT step"); err != nil {
					return err
				}
			}
			if _, err := s.execQ(ctx, tx, "RELEASE SAVEPOINT step"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, r := range batch {
			if r.err == nil {
				r.err = err
			}
		}
	}
}

// policyTTL is how long the engine reuses a call list it read: edits in
// the console (on any replica) apply to steps from then on.
const policyTTL = time.Second

type policyCache struct {
	mu sync.Mutex
	m  map[string]policyEntry
}

type stepPolicyCache struct {
	mu sync.Mutex
	m  map[string]stepPolicyEntry
}

type stepPolicyEntry struct {
	p  *Policy
	at time.Time
}

type policyEntry struct {
	sys *System // nil: no such system
	at  time.Time
}

// policy is loadSystem for the engine, from a short-lived cache (the list
// is read on every step). The System returned is shared: read only.
func (s *Service) policy(ctx context.Context, q querier, name string) (*System, error) {
	c := &s.policies
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.m[name]; ok && now.Sub(e.at) < policyTTL {
		c.mu.Unlock()
		if e.sys == nil {
			return nil, ErrNotFound
		}
		return e.sys, nil
	}
	c.mu.Unlock()
	sys, err := s.loadSystem(ctx, q, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]policyEntry{}
	}
	c.m[name] = policyEntry{sys: sys, at: now}
	c.mu.Unlock()
	if sys == nil {
		return nil, ErrNotFound
	}
	return sys, nil
}

// forgetPolicies drops the cache after a change made in this process.
func (s *Service) forgetPolicies() {
	s.policies.mu.Lock()
	s.policies.m = nil
	s.policies.mu.Unlock()
	s.stepPolicies.mu.Lock()
	s.stepPolicies.m = nil
	s.stepPolicies.mu.Unlock()
}
