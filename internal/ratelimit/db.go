package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// DB tuning.
const (
	// dbTimeout bounds one decision in the database; past it the replica
	// decides alone (the package doc).
	dbTimeout = time.Second
	// maxBatch bounds the keys of one statement.
	maxBatch = 512
	// minGap paces a replica's statements for one limit: a statement
	// starts at least this long after the one before, so a busy replica
	// sends at most 500 a second however many requests it decides, each
	// deciding the requests that arrived meanwhile. An idle replica's
	// request goes at once.
	minGap = 2 * time.Millisecond
	// maxKey is the longest key stored as it is; longer ones (a user name
	// is whatever a client sends) are stored as their SHA-256.
	maxKey = 128
	// cleanEvery is how often a replica deletes rows whose TAT has passed,
	// and warnEvery how often it may warn that the database failed.
	cleanEvery = time.Minute
	warnEvery  = time.Minute
)

// The database clock, in microseconds since the Unix epoch, unless the
// statement is given one ($1, tests).
const nowUS = `coalesce($1::bigint, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)`

// allowSQL decides a batch: for each key ($4) it grants as many of the n
// events asked for ($5) as the limit (interval $2 µs, burst $3) allows now,
// in one statement. A new key's bucket is full. The row keeps the TAT, the
// time of the decision (seen) and how many were granted, which RETURNING
// hands back.
const allowSQL = `WITH c AS (SELECT ` + nowUS + ` AS now)
INSERT INTO rate_limits AS r (key, tat, seen, granted)
SELECT q.k, c.now + least(q.n, $3::bigint) * $2::bigint, c.now, least(q.n, $3::bigint)
FROM unnest($4::text[], $5::int[]) AS q(k, n), c
ON CONFLICT (key) DO UPDATE SET
	tat = greatest(r.tat, excluded.seen)
		+ $2 * least(excluded.granted, greatest(0, ($3 * $2 - greatest(r.tat - excluded.seen, 0)) / $2)),
	seen = excluded.seen,
	granted = least(excluded.granted, greatest(0, ($3 * $2 - greatest(r.tat - excluded.seen, 0)) / $2))
RETURNING key, tat, seen, granted`

// reserveSQL takes the next $5 events for key $4 whether or not they are
// due yet, and returns how many microseconds until the last of them is
// (≤ 0: now); each one before it is due an interval earlier.
const reserveSQL = `WITH c AS (SELECT ` + nowUS + ` AS now)
INSERT INTO rate_limits AS r (key, tat, seen, granted)
SELECT $4::text, c.now + $2::bigint * $5::bigint, c.now, $5::int FROM c
ON CONFLICT (key) DO UPDATE SET tat = greatest(r.tat, excluded.seen) + $2 * $5::bigint, seen = excluded.seen, granted = $5::int
RETURNING tat - seen - $3::bigint * $2`

// Leases: at a fast rate (Connect's quota raised far above its default) a
// statement per event would cost more than the events. Wait then reserves
// the events due in the next leaseSpan together and hands them out in
// this process; one not taken within leaseTTL of its due time is dropped
// (the fleet's limit is never exceeded, only left unused for a moment).
const (
	leaseSpan = 10 * time.Millisecond
	leaseMax  = 256
	leaseTTL  = 100 * time.Millisecond
)

// giveBackSQL returns an event that did not happen (a waiter gave up, a
// login succeeded).
const giveBackSQL = `UPDATE rate_limits SET tat = tat - $2 WHERE key = $1`

// cleanSQL deletes the rows whose bucket is full again: the same as no row.
const cleanSQL = `DELETE FROM rate_limits WHERE tat < ` + nowUS

// DB is a Limiter whose state is in PostgreSQL, shared by every replica on
// the database (see the package doc). It is safe for concurrent use.
type DB struct {
	pool     *pgxpool.Pool
	prefix   string
	lim      Limit
	clock    func() time.Time // nil: the database's clock
	local    func() time.Time // this process's clock, for the refusal cache
	sleep    func(context.Context, time.Duration) error
	log      *slog.Logger
	fallback *Memory
	timeout  time.Duration
	// single turns batching off: one statement per decision (benchmark).
	single bool
	// statements counts the decisions' statements (tests, benchmark).
	statements atomic.Int64

	mu        sync.Mutex
	pending   map[string]*group
	flushing  bool
	lastFlush time.Time            // wall clock; only the flushing goroutine uses it
	denied    map[string]time.Time // key → refused until (local clock)
	lastClean time.Time
	lastWarn  time.Time

	leaseMu   sync.Mutex
	leases    map[string][]time.Time   // key → due times (local clock) of events reserved and not yet taken
	reserving map[string]chan struct{} // key → closed when the reservation under way is in
	waiting   map[string]int           // key → callers waiting for a reservation
}

// group is the requests for one key that go to the database together.
type group struct {
	n       int32
	granted int32
	retry   time.Duration
	failed  bool // the database did not decide: ask the fallback
	done    chan struct{}
}

// NewDB returns a limiter of l keeping its state in the rate_limits table
// of the pool's database, its keys prefixed by name.
func NewDB(pool *pgxpool.Pool, name string, l Limit, o Options) *DB {
	if l.Interval > 0 && l.Interval < time.Microsecond {
		l.Interval = time.Microsecond // the table's unit
	}
	d := &DB{
		pool: pool, prefix: name + ":", lim: l, clock: o.Now, local: o.Now, sleep: o.Sleep, log: o.Log,
		fallback: NewMemory(l, o), timeout: dbTimeout,
		pending: map[string]*group{}, denied: map[string]time.Time{},
	}
	if d.local == nil {
		d.local = time.Now
	}
	if d.sleep == nil {
		d.sleep = sleepContext
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	return d
}

// Allow takes one event for key if the fleet's limit allows it now.
func (d *DB) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	if d.lim.Unlimited() {
		return true, 0, nil
	}
	if err := ctx.Err(); err != nil {
		return false, 0, err
	}
	key = d.dbKey(key)
	now := d.local()
	d.mu.Lock()
	if until, ok := d.denied[key]; ok {
		if now.Before(until) {
			d.mu.Unlock()
			return false, until.Sub(now), nil
		}
		delete(d.denied, key)
	}
	if d.single {
		d.mu.Unlock()
		return d.allowOne(ctx, key, now)
	}
	g := d.pending[key]
	if g == nil {
		g = &group{done: make(chan struct{})}
		d.pending[key] = g
	}
	i := g.n
	g.n++
	lead := !d.flushing
	d.flushing = true
	d.mu.Unlock()
	if lead {
		d.flush()
	}
	select {
	case <-g.done:
	case <-ctx.Done():
		return false, 0, ctx.Err()
	}
	if g.failed {
		return d.fallback.Allow(ctx, key)
	}
	if i < g.granted {
		return true, 0, nil
	}
	return false, g.retry, nil
}

// flush sends the pending requests to the database in one statement and
// hands out the answers. Only one flush runs at a time per limiter: the
// requests that arrive meanwhile make up the next one, so the busier the
// replica, the more each statement decides.
func (d *DB) flush() {
	if wait := time.Until(d.lastFlush.Add(minGap)); wait > 0 {
		time.Sleep(wait)
	}
	d.lastFlush = time.Now()
	d.mu.Lock()
	batch := d.pending
	if len(batch) > maxBatch {
		batch = make(map[string]*group, maxBatch)
		for k, g := range d.pending {
			if len(batch) == maxBatch {
				break
			}
			batch[k] = g
			delete(d.pending, k)
		}
	} else {
		d.pending = make(map[string]*group, len(batch))
	}
	d.mu.Unlock()

	keys := make([]string, 0, len(batch))
	ns := make([]int32, 0, len(batch))
	for k, g := range batch {
		keys = append(keys, k)
		ns = append(ns, g.n)
	}
	start := d.local()
	results, err := d.decide(keys, ns)

	d.mu.Lock()
	if err != nil {
		for _, g := range batch {
			g.failed = true
		}
	} else {
		for i, k := range keys {
			g := batch[k]
			g.granted, g.retry = results[i].granted, results[i].retry
			if g.granted < g.n {
				// The fleet is over the limit for this key until then:
				// say so here, without asking again. (start is before
				// the database's decision, so this is never too long.)
				d.denied[k] = start.Add(g.retry)
			}
		}
	}
	more := len(d.pending) > 0
	d.flushing = more
	clean := err == nil && start.Sub(d.lastClean) >= cleanEvery
	if clean {
		d.lastClean = start
		for k, until := range d.denied {
			if !start.Before(until) {
				delete(d.denied, k)
			}
		}
	}
	d.mu.Unlock()
	for _, g := range batch {
		close(g.done)
	}
	if err != nil {
		d.warn(err)
	}
	if more {
		go d.flush()
	}
	if clean {
		d.clean()
	}
}

type decision struct {
	granted int32
	retry   time.Duration
}

// decide runs allowSQL for keys (distinct, as stored: dbKey) and returns
// the decisions in the same order.
func (d *DB) decide(keys []string, ns []int32) ([]decision, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	var index map[string]int
	if len(keys) > 1 {
		index = make(map[string]int, len(keys))
		for i, k := range keys {
			index[k] = i
		}
	}
	interval := d.lim.Interval.Microseconds()
	d.statements.Add(1)
	rows, err := d.pool.Query(ctx, allowSQL, d.clockArg(), interval, int64(d.lim.burst()), keys, ns)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: decide: %w", err)
	}
	defer rows.Close()
	out := make([]decision, len(keys))
	seen := 0
	for rows.Next() {
		var key string
		var tat, at int64
		var granted int32
		if err := rows.Scan(&key, &tat, &at, &granted); err != nil {
			return nil, fmt.Errorf("ratelimit: decide: %w", err)
		}
		i, ok := 0, key == keys[0]
		if index != nil {
			i, ok = index[key]
		}
		if !ok || seen == len(keys) {
			return nil, fmt.Errorf("ratelimit: decide: unexpected key %q", key)
		}
		out[i] = decision{granted: granted, retry: time.Duration(tat+interval-int64(d.lim.burst())*interval-at) * time.Microsecond}
		seen++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ratelimit: decide: %w", err)
	}
	if seen != len(keys) {
		return nil, fmt.Errorf("ratelimit: decide: %d answers for %d keys", seen, len(keys))
	}
	return out, nil
}

// allowOne decides one request in a statement of its own (no batching).
func (d *DB) allowOne(ctx context.Context, key string, start time.Time) (bool, time.Duration, error) {
	res, err := d.decide([]string{key}, []int32{1})
	if err != nil {
		if ctx.Err() != nil {
			return false, 0, ctx.Err()
		}
		d.warn(err)
		return d.fallback.Allow(ctx, key)
	}
	if res[0].granted == 1 {
		return true, 0, nil
	}
	d.mu.Lock()
	d.denied[key] = start.Add(res[0].retry)
	d.mu.Unlock()
	return false, res[0].retry, nil
}

// leaseSize is how many events one reservation takes: those due within
// leaseSpan at the limit's rate, or as many as callers are waiting, at
// least one, at most the burst (and leaseMax).
func (d *DB) leaseSize(waiting int) int64 {
	n := max(int64(leaseSpan/d.lim.Interval), int64(waiting))
	return max(1, min(n, int64(d.lim.burst()), leaseMax))
}

// takeLease hands out the earliest event this process reserved for key
// and has not used; ok is false when there is none (left). When there is
// none and no reservation is under way, the caller must make one (reserve
// is true); otherwise wait is closed once the one under way is in. Call
// with leaseMu held.
func (d *DB) takeLease(key string, now time.Time) (at time.Time, ok, reserve bool, wait chan struct{}) {
	l := d.leases[key]
	for len(l) > 0 && now.Sub(l[0]) > leaseTTL {
		l = l[1:]
	}
	if len(l) > 0 {
		d.leases[key] = l[1:]
		return l[0], true, false, nil
	}
	delete(d.leases, key)
	if ch := d.reserving[key]; ch != nil {
		return time.Time{}, false, false, ch
	}
	ch := make(chan struct{})
	d.reserving[key] = ch
	return time.Time{}, false, true, ch
}

// Wait reserves the next event for key in the database and sleeps until it
// is due (rounded up to the millisecond). One caller at a time reserves
// for this process, and takes as many events as callers are waiting (or
// as are due in the next few milliseconds at the limit's rate): the others
// take theirs from that reservation (leases). At Connect's usual few
// requests a second, that is one event per statement.
func (d *DB) Wait(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.lim.Unlimited() {
		return nil
	}
	dbKey := d.dbKey(key)
	for {
		now := d.local()
		d.leaseMu.Lock()
		if d.leases == nil {
			d.leases, d.reserving, d.waiting = map[string][]time.Time{}, map[string]chan struct{}{}, map[string]int{}
		}
		at, ok, reserve, ch := d.takeLease(dbKey, now)
		if ok {
			d.leaseMu.Unlock()
			if wait := at.Sub(now); wait > 0 {
				return d.sleep(ctx, ceilMillis(wait))
			}
			return nil
		}
		if !reserve {
			d.waiting[dbKey]++
			d.leaseMu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				d.leaseMu.Lock()
				d.waiting[dbKey]--
				d.leaseMu.Unlock()
				return ctx.Err()
			}
			d.leaseMu.Lock()
			d.waiting[dbKey]--
			d.leaseMu.Unlock()
			continue
		}
		n := d.leaseSize(d.waiting[dbKey] + 1)
		d.leaseMu.Unlock()
		first, err := d.reserve(ctx, dbKey, n, now)
		d.leaseMu.Lock()
		delete(d.reserving, dbKey)
		close(ch)
		d.leaseMu.Unlock()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			d.warn(fmt.Errorf("ratelimit: reserve: %w", err))
			return d.fallback.Wait(ctx, dbKey)
		}
		if wait := first.Sub(now); wait > 0 {
			if err := d.sleep(ctx, ceilMillis(wait)); err != nil {
				_ = d.Refund(ctx, key)
				return err
			}
		}
		return nil
	}
}

// reserve takes n events for key in the database: the first is the
// caller's, due at the time returned (local clock); the others become
// leases.
func (d *DB) reserve(ctx context.Context, dbKey string, n int64, now time.Time) (time.Time, error) {
	interval := d.lim.Interval.Microseconds()
	qctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	var waitUS int64
	d.statements.Add(1)
	if err := d.pool.QueryRow(qctx, reserveSQL, d.clockArg(), interval, int64(d.lim.burst()), dbKey, n).Scan(&waitUS); err != nil {
		return time.Time{}, err
	}
	// The last event reserved is due waitUS after the database decided,
	// which was before now (taken again): never early; each event before
	// it an interval earlier.
	if d.clock == nil {
		now = d.local()
	}
	first := now.Add(time.Duration(waitUS-(n-1)*interval) * time.Microsecond)
	if n > 1 {
		due := make([]time.Time, 0, n-1)
		for i := int64(1); i < n; i++ {
			due = append(due, first.Add(time.Duration(i*interval)*time.Microsecond))
		}
		d.leaseMu.Lock()
		d.leases[dbKey] = append(d.leases[dbKey], due...)
		d.leaseMu.Unlock()
	}
	return first, nil
}

// Refund gives back one event taken for key. A refund the database does
// not take is logged (at most once a minute) and dropped; another replica
// that refused the key a moment ago keeps refusing it until that refusal's
// Retry-After. Either way the limit is a little stricter for a while,
// never looser.
func (d *DB) Refund(ctx context.Context, key string) error {
	if d.lim.Unlimited() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.timeout)
	defer cancel()
	key = d.dbKey(key)
	if _, err := d.pool.Exec(ctx, giveBackSQL, key, d.lim.Interval.Microseconds()); err != nil {
		d.warn(fmt.Errorf("ratelimit: give back: %w", err))
	}
	d.mu.Lock()
	delete(d.denied, key)
	d.mu.Unlock()
	return nil
}

// clean deletes rows whose bucket is full again (every limiter's).
func (d *DB) clean() {
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	if _, err := d.pool.Exec(ctx, cleanSQL, d.clockArg()); err != nil {
		d.warn(fmt.Errorf("ratelimit: clean: %w", err))
	}
}

func (d *DB) dbKey(key string) string {
	if len(key) > maxKey {
		sum := sha256.Sum256([]byte(key))
		key = "sha256:" + hex.EncodeToString(sum[:])
	}
	return d.prefix + key
}

// clockArg is the time of a decision for the statements: nil, the
// database's own clock, unless a clock was given (tests).
func (d *DB) clockArg() any {
	if d.clock == nil {
		return nil
	}
	return d.clock().UnixMicro()
}

// warn logs that the database could not decide, at most once a minute.
func (d *DB) warn(err error) {
	now := time.Now()
	d.mu.Lock()
	if now.Sub(d.lastWarn) < warnEvery {
		d.mu.Unlock()
		return
	}
	d.lastWarn = now
	d.mu.Unlock()
	d.log.Warn("ratelimit: the database could not decide; this replica holds the limit alone until it can",
		"limit", d.prefix[:len(d.prefix)-1], "error", err)
}
