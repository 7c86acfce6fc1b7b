// Package fleet keeps track of the opsdesk processes (replicas) that share
// one database, so that the work of a replica that dies is taken over in
// seconds rather than when leases run out.
//
// Every replica writes a heartbeat (replicas.seen_at) every second. Every
// replica also looks for replicas not seen for DeadAfter; the first to
// delete such a row (a DELETE … RETURNING, so exactly one replica wins)
// runs the release hooks for it: River jobs it was running are made
// available again, escalation steps it had claimed are released, and its
// River leadership is dropped so that another replica is elected at once.
//
// A replica that was only paused (a long GC pause, a frozen VM) past
// DeadAfter finds its row gone at its next heartbeat, writes it again and
// logs a warning: what it held may have been started a second time by
// another replica, which every external effect tolerates (idempotency keys,
// Connect's ClientToken, step numbers that let one transition win).
//
// On PostgreSQL heartbeats and the dead-line are read on the database's
// clock, so replicas whose clocks disagree do not declare each other dead.
package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
)

// Defaults.
const (
	// DefaultHeartbeat is how often a replica says it is alive.
	DefaultHeartbeat = time.Second
	// DefaultDeadAfter is how long a replica may stay silent before the
	// others take its work.
	DefaultDeadAfter = 5 * time.Second
)

// Replica is one row of the replicas table.
type Replica struct {
	ID        string
	Host      string
	PID       int
	Version   string
	Addr      string
	StartedAt time.Time
	SeenAt    time.Time
}

// ReleaseFunc hands the work of a dead replica to the living; it returns
// how many things it released (for the log).
type ReleaseFunc func(ctx context.Context, deadID string) (int, error)

// Fleet is this process's membership of the fleet.
type Fleet struct {
	st      *store.Store
	id      string
	host    string
	version string
	addr    string
	log     *slog.Logger

	heartbeat time.Duration
	deadAfter time.Duration
	now       func() time.Time

	mu       sync.Mutex
	releases []namedRelease
	started  time.Time
}

type namedRelease struct {
	name string
	fn   ReleaseFunc
}

// Options configure a Fleet; zero values take the defaults.
type Options struct {
	// ID of this replica (NewID).
	ID      string
	Version string
	// Addr is where this replica listens (shown in the console).
	Addr      string
	Heartbeat time.Duration
	DeadAfter time.Duration
	// Now is the clock on SQLite (PostgreSQL uses the database's).
	Now func() time.Time
	Log *slog.Logger
}

// New returns the fleet membership of this process; Run starts it.
func New(st *store.Store, o Options) *Fleet {
	host, _ := os.Hostname()
	f := &Fleet{st: st, id: o.ID, host: host, version: o.Version, addr: o.Addr, log: o.Log,
		heartbeat: o.Heartbeat, deadAfter: o.DeadAfter, now: o.Now}
	if f.id == "" {
		f.id = NewID()
	}
	if f.heartbeat <= 0 {
		f.heartbeat = DefaultHeartbeat
	}
	if f.deadAfter <= 0 {
		f.deadAfter = DefaultDeadAfter
	}
	if f.now == nil {
		f.now = time.Now
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	return f
}

// NewID makes a replica id: the host name, the process id and a random
// suffix (a restarted container may get the same host name and pid).
func NewID() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '-'
	}, host)
	if len(host) > 40 {
		host = host[:40]
	}
	if host == "" {
		host = "opsdesk"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// ID is this replica's id.
func (f *Fleet) ID() string { return f.id }

// OnRelease registers what to release when a replica dies. Hooks run in
// the order registered.
func (f *Fleet) OnRelease(name string, fn ReleaseFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.releases = append(f.releases, namedRelease{name, fn})
}

// nowExpr is the current time in Unix ms on the clock the fleet agrees on.
func (f *Fleet) nowExpr() (string, []any) {
	if f.st.Engine == store.Postgres {
		return `(extract(epoch from clock_timestamp()) * 1000)::bigint`, nil
	}
	return `?`, []any{store.Millis(f.now())}
}

// Join writes this replica's row. Run calls it; it is separate so that the
// row exists before the first job runs.
func (f *Fleet) Join(ctx context.Context) error {
	f.mu.Lock()
	if f.started.IsZero() {
		f.started = f.now()
	}
	started := f.started
	f.mu.Unlock()
	now, args := f.nowExpr()
	q := `INSERT INTO replicas (id, host, pid, version, addr, started_at, seen_at) VALUES (?, ?, ?, ?, ?, ?, ` + now + `)
		ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`
	all := append([]any{f.id, f.host, os.Getpid(), f.version, f.addr, store.Millis(started)}, args...)
	if _, err := f.st.W.ExecContext(ctx, f.st.Q(q), all...); err != nil {
		return fmt.Errorf("fleet: join: %w", err)
	}
	return nil
}

// beatOnce refreshes the heartbeat; it reports whether the row was still
// there (false: the others declared this replica dead meanwhile).
func (f *Fleet) beatOnce(ctx context.Context) (bool, error) {
	now, args := f.nowExpr()
	res, err := f.st.W.ExecContext(ctx, f.st.Q(`UPDATE replicas SET seen_at = `+now+` WHERE id = ?`), append(args, f.id)...)
	if err != nil {
		return false, fmt.Errorf("fleet: heartbeat: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	return false, f.Join(ctx)
}

// Reap declares dead every replica not seen for DeadAfter and releases
// what each held. It returns the ids it declared dead. Safe to run on
// every replica at once: each dead row is deleted by exactly one.
func (f *Fleet) Reap(ctx context.Context) ([]string, error) {
	now, args := f.nowExpr()
	rows, err := f.st.W.QueryContext(ctx, f.st.Q(`DELETE FROM replicas WHERE seen_at < `+now+` - ? AND id <> ? RETURNING id`),
		append(args, f.deadAfter.Milliseconds(), f.id)...)
	if err != nil {
		return nil, fmt.Errorf("fleet: find dead replicas: %w", err)
	}
	var dead []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("fleet: find dead replicas: %w", err)
		}
		dead = append(dead, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("fleet: find dead replicas: %w", err)
	}
	for _, id := range dead {
		f.release(ctx, id)
	}
	return dead, nil
}

// release runs every release hook for a dead replica. A hook that fails is
// logged: the leases and River's own rescuer still free what it missed,
// only later.
func (f *Fleet) release(ctx context.Context, id string) {
	f.mu.Lock()
	hooks := append([]namedRelease(nil), f.releases...)
	f.mu.Unlock()
	attrs := []any{"replica", id}
	for _, h := range hooks {
		n, err := h.fn(ctx, id)
		if err != nil {
			f.log.Error("fleet: releasing the work of a dead replica failed; its leases will free it later", "replica", id, "what", h.name, "error", err)
			continue
		}
		attrs = append(attrs, h.name, n)
	}
	f.log.Warn("fleet: replica stopped heartbeating; its work was handed to the others", attrs...)
}

// Run heartbeats and reaps until ctx ends, then removes this replica's row
// (a clean stop is not a death: nothing of it needs releasing, River and
// the engine handed their work back themselves).
func (f *Fleet) Run(ctx context.Context) {
	if err := f.Join(ctx); err != nil {
		f.log.Warn("fleet: joining failed; retrying", "error", err)
	}
	t := time.NewTicker(f.heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		bctx, cancel := context.WithTimeout(ctx, f.deadAfter)
		ok, err := f.beatOnce(bctx)
		switch {
		case err != nil:
			f.log.Warn("fleet: heartbeat failed", "error", err)
		case !ok:
			f.log.Warn("fleet: this replica was declared dead by the others (it was silent too long); work it held may have been started again elsewhere", "replica", f.id)
		}
		if _, err := f.Reap(bctx); err != nil && ctx.Err() == nil {
			f.log.Warn("fleet: looking for dead replicas failed", "error", err)
		}
		cancel()
	}
}

// Leave removes this replica's row (at a clean shutdown).
func (f *Fleet) Leave(ctx context.Context) error {
	if _, err := f.st.W.ExecContext(ctx, f.st.Q(`DELETE FROM replicas WHERE id = ?`), f.id); err != nil {
		return fmt.Errorf("fleet: leave: %w", err)
	}
	return nil
}

// List returns the replicas in the table, oldest first.
func (f *Fleet) List(ctx context.Context) ([]Replica, error) {
	rows, err := f.st.R.QueryContext(ctx, `SELECT id, host, pid, version, addr, started_at, seen_at FROM replicas ORDER BY started_at, id`)
	if err != nil {
		return nil, fmt.Errorf("fleet: list: %w", err)
	}
	defer rows.Close()
	var out []Replica
	for rows.Next() {
		var r Replica
		var started, seen int64
		if err := rows.Scan(&r.ID, &r.Host, &r.PID, &r.Version, &r.Addr, &started, &seen); err != nil {
			return nil, fmt.Errorf("fleet: list: %w", err)
		}
		r.StartedAt, r.SeenAt = store.Time(started), store.Time(seen)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReleaseRiverJobs is the release hook for River: the jobs the dead
// replica was running (its id is the last in attempted_by) are made
// available to the others now. River's own rescuer would do it only after
// the jobs' timeout plus its 30-second interval, and only on the leader.
// On SQLite a dead process's jobs are released when the next one starts.
func ReleaseRiverJobs(st *store.Store) ReleaseFunc {
	return func(ctx context.Context, id string) (int, error) {
		if st.Engine != store.Postgres {
			return 0, nil
		}
		res, err := st.W.ExecContext(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now(),
			metadata = metadata || jsonb_build_object('opsdesk:released_from', $1::text)
			WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] = $1`, id)
		if err != nil {
			return 0, fmt.Errorf("fleet: release jobs of %s: %w", id, err)
		}
		n, _ := res.RowsAffected()
		return int(n), nil
	}
}

// DropRiverLeadership is the release hook that lets the others elect a new
// River leader (periodic jobs, scheduled jobs) at their next attempt
// instead of when the dead leader's term runs out.
func DropRiverLeadership(st *store.Store) ReleaseFunc {
	return func(ctx context.Context, id string) (int, error) {
		res, err := st.W.ExecContext(ctx, st.Q(`DELETE FROM river_leader WHERE leader_id = ?`), id)
		if err != nil {
			return 0, fmt.Errorf("fleet: drop leadership of %s: %w", id, err)
		}
		n, _ := res.RowsAffected()
		return int(n), nil
	}
}
