package ratelimit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// replicas opens n stores (each with its own connection pool, as n
// processes would have) on one new, migrated PostgreSQL database.
func replicas(t testing.TB, n int) []*store.Store {
	t.Helper()
	url := storetest.DatabaseURL(t, store.Postgres)
	var out []*store.Store
	for i := range n {
		st, err := store.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if i == 0 {
			if _, err := st.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, st)
	}
	return out
}

func rows(t *testing.T, st *store.Store) map[string]int64 {
	t.Helper()
	r, err := st.Pool.Query(context.Background(), `SELECT key, tat FROM rate_limits`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := map[string]int64{}
	for r.Next() {
		var k string
		var tat int64
		if err := r.Scan(&k, &tat); err != nil {
			t.Fatal(err)
		}
		out[k] = tat
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// outcome is what a set of concurrent Allow calls returned.
type outcome struct {
	allowed int
	retries []time.Duration // of the refused ones
}

// burst sends n requests for key at once, spread over the limiters.
func burst(t *testing.T, ls []Limiter, key string, n int) outcome {
	t.Helper()
	var mu sync.Mutex
	var out outcome
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ok, wait, err := ls[i%len(ls)].Allow(context.Background(), key)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Error(err)
			case ok:
				out.allowed++
			default:
				out.retries = append(out.retries, wait)
			}
		})
	}
	wg.Wait()
	return out
}

// TestDBReplicasShareTheLimit: two replicas, 60/min with bursts of 10, on
// one clock handed to the database: together they allow the burst and no
// more, and each refusal says exactly when the next request is due.
func TestDBReplicasShareTheLimit(t *testing.T) {
	t.Parallel()
	sts := replicas(t, 2)
	clk := newClock()
	lim := PerMinute(60, 10)
	a := New(sts[0], "intake", lim, Options{Now: clk.Now})
	b := New(sts[1], "intake", lim, Options{Now: clk.Now})
	if _, ok := a.(*DB); !ok {
		t.Fatalf("New on PostgreSQL gave %T, want *DB", a)
	}
	both := []Limiter{a, b}

	got := burst(t, both, "203.0.113.5", 30)
	if got.allowed != 10 || len(got.retries) != 20 {
		t.Fatalf("30 requests at once: %d allowed, %d refused; want 10 and 20", got.allowed, len(got.retries))
	}
	for _, r := range got.retries {
		if r != time.Second {
			t.Fatalf("Retry-After %v, want 1s (retries %v)", r, got.retries)
		}
	}
	// Another key has a bucket of its own.
	if got := burst(t, both, "198.51.100.7", 10); got.allowed != 10 {
		t.Fatalf("other key: %d of 10 allowed", got.allowed)
	}

	clk.Add(400 * time.Millisecond)
	for i, l := range both {
		if ok, wait := allow(t, l, "203.0.113.5"); ok || wait != 600*time.Millisecond {
			t.Fatalf("replica %d after 0.4 s: ok=%v wait=%v, want refused for 0.6 s", i, ok, wait)
		}
	}
	// One interval later the fleet has one more, whichever replica asks.
	clk.Add(600 * time.Millisecond)
	if got := burst(t, both, "203.0.113.5", 6); got.allowed != 1 || !allEqual(got.retries, time.Second) {
		t.Fatalf("after 1 s: %d allowed, retries %v; want 1 and 1s each", got.allowed, got.retries)
	}
	// After 3.5 s idle: three more, the rest due in 0.5 s.
	clk.Add(3500 * time.Millisecond)
	if got := burst(t, both, "203.0.113.5", 10); got.allowed != 3 || !allEqual(got.retries, 500*time.Millisecond) {
		t.Fatalf("after 3.5 s: %d allowed, retries %v; want 3 and 0.5 s each", got.allowed, got.retries)
	}
	// A long idle refills the bucket to the burst, not beyond.
	clk.Add(time.Hour)
	if got := burst(t, both, "203.0.113.5", 12); got.allowed != 10 || !allEqual(got.retries, time.Second) {
		t.Fatalf("after an hour: %d allowed, retries %v; want 10 and 1 s each", got.allowed, got.retries)
	}
}

func allEqual(ds []time.Duration, want time.Duration) bool {
	return !slices.ContainsFunc(ds, func(d time.Duration) bool { return d != want })
}

// TestDBClock: without a clock of their own, the replicas decide on the
// database's clock, and the Retry-After is right to within 50 ms.
func TestDBClock(t *testing.T) {
	t.Parallel()
	sts := replicas(t, 2)
	lim := PerMinute(60, 10)
	both := []Limiter{New(sts[0], "intake", lim, Options{}), New(sts[1], "intake", lim, Options{})}
	start := time.Now()
	got := burst(t, both, "203.0.113.5", 14)
	took := time.Since(start)
	if got.allowed != 10 || len(got.retries) != 4 {
		t.Fatalf("14 requests at once: %d allowed, %d refused; want 10 and 4", got.allowed, len(got.retries))
	}
	for _, r := range got.retries {
		// The bucket emptied at the first decision, and the next event is
		// due 1 s after it; a refusal comes between then and now.
		if r > time.Second+50*time.Millisecond || r < time.Second-took-50*time.Millisecond {
			t.Fatalf("Retry-After %v, want 1 s − up to %v", r, took)
		}
	}
	var tat, seen int64
	if err := sts[0].Pool.QueryRow(context.Background(), `SELECT tat, seen FROM rate_limits WHERE key = 'intake:203.0.113.5'`).Scan(&tat, &seen); err != nil {
		t.Fatal(err)
	}
	if d := time.Duration(tat-seen) * time.Microsecond; d < 9*time.Second || d > 10*time.Second {
		t.Errorf("stored tat is %v after the last decision, want 10 s after the first", d)
	}
	if at := time.UnixMicro(seen); at.Sub(start) > time.Minute || start.Sub(at) > time.Minute {
		t.Errorf("database time %v is not about now (%v)", at, start)
	}
}

// TestDBWait: two Connect clients on one database take their requests'
// slots from one bucket, in turn.
func TestDBWait(t *testing.T) {
	t.Parallel()
	sts := replicas(t, 2)
	clk := newClock()
	lim := PerSecond(2, 2)
	a := New(sts[0], "connect", lim, Options{Now: clk.Now, Sleep: clk.Sleep})
	b := New(sts[1], "connect", lim, Options{Now: clk.Now, Sleep: clk.Sleep})
	for i := range 6 {
		if err := []Limiter{a, b}[i%2].Wait(context.Background(), "instance"); err != nil {
			t.Fatal(err)
		}
	}
	half := 500 * time.Millisecond
	if got, want := clk.Slept(), []time.Duration{half, half, half, half}; !slices.Equal(got, want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
	// Rates that are not whole microseconds: never early, and the rounding
	// does not add up (the 4th event at 3/s is due at 1 s).
	clk2 := newClock()
	start := clk2.Now()
	third := []Limiter{
		New(sts[0], "connect3", PerSecond(3, 1), Options{Now: clk2.Now, Sleep: clk2.Sleep}),
		New(sts[1], "connect3", PerSecond(3, 1), Options{Now: clk2.Now, Sleep: clk2.Sleep}),
	}
	for i := range 4 {
		if err := third[i%2].Wait(context.Background(), "instance"); err != nil {
			t.Fatal(err)
		}
		if due := time.Duration(i) * time.Second / 3; clk2.Now().Sub(start) < due || clk2.Now().Sub(start) > due+time.Millisecond {
			t.Fatalf("event %d at %v, due %v", i+1, clk2.Now().Sub(start), due)
		}
	}
	if got := clk2.Now().Sub(start); got != time.Second {
		t.Fatalf("4 events at 3/s took %v", got)
	}

	// A waiter that gives up returns its slot: the next one waits 0.5 s,
	// not 1 s.
	ctx, cancel := context.WithCancel(context.Background())
	c := NewDB(sts[0].Pool, "connect", lim, Options{Now: clk.Now, Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}})
	if err := c.Wait(ctx, "instance"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	if err := b.Wait(context.Background(), "instance"); err != nil {
		t.Fatal(err)
	}
	if got := clk.Slept(); len(got) != 5 || got[4] != half {
		t.Fatalf("waits %v, want a 5th of 0.5 s", got)
	}
}

// TestDBBatches: many requests of one replica at once, for one key and for
// many, are decided together and exactly.
func TestDBBatches(t *testing.T) {
	t.Parallel()
	sts := replicas(t, 1)
	clk := newClock()
	l := New(sts[0], "intake", PerMinute(60, 10), Options{Now: clk.Now})
	if got := burst(t, []Limiter{l}, "one", 100); got.allowed != 10 || !allEqual(got.retries, time.Second) {
		t.Fatalf("100 at once for one key: %d allowed, retries %v", got.allowed, got.retries)
	}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 600 {
		wg.Go(func() {
			if ok, _ := allow(t, l, fmt.Sprint("k", i%200)); ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 600 {
		t.Fatalf("3 requests for each of 200 keys (burst 10): %d allowed, want 600", n)
	}
	wg = sync.WaitGroup{}
	allowed.Store(0)
	for i := range 2000 {
		wg.Go(func() {
			if ok, _ := allow(t, l, fmt.Sprint("k", i%200)); ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 200*7 {
		t.Fatalf("10 more for each of 200 keys: %d allowed, want %d", n, 200*7)
	}
	if n := len(rows(t, sts[0])); n != 201 {
		t.Fatalf("%d rows, want 201", n)
	}
}

// TestDBLongKey: a key of any length (a user name is what a client sends)
// is stored as its hash, and still limited.
func TestDBLongKey(t *testing.T) {
	t.Parallel()
	sts := replicas(t, 1)
	clk := newClock()
	l := New(sts[0], "login", PerMinute(10, 2), Options{Now: clk.Now})
	long := strings.Repeat("名前", 5000)
	if got := burst(t, []Limiter{l}, long, 3); got.allowed != 2 {
		t.Fatalf("%d of 3 allowed, want 2", got.allowed)
	}
	if ok, _ := allow(t, l, long+"x"); !ok {
		t.Fatal("another long key shares the bucket")
	}
	for k := range rows(t, sts[0]) {
		if !strings.HasPrefix(k, "login:sha256:") || len(k) != len("login:sha256:")+64 {
			t.Errorf("stored key %q", k)
		}
	}
}

// TestDBCleanup: rows whose bucket has refilled are deleted, at most once a
// minute, by the replica that decides next; the refusal cache forgets too.
func TestDBCleanup(t *testing.T) {
	t.Parallel()
	sts := replicas(t, 1)
	clk := newClock()
	l := NewDB(sts[0].Pool, "intake", PerMinute(60, 1), Options{Now: clk.Now})
	allow(t, l, "a")
	allow(t, l, "a") // refused: cached
	clk.Add(30 * time.Second)
	allow(t, l, "b")
	if got := rows(t, sts[0]); len(got) != 2 {
		t.Fatalf("rows %v, want a and b (no cleanup within a minute)", got)
	}
	clk.Add(31 * time.Second)
	allow(t, l, "c")
	got := rows(t, sts[0])
	if _, ok := got["intake:c"]; !ok || len(got) != 1 {
		t.Fatalf("rows %v, want only c", got)
	}
	l.mu.Lock()
	cached := len(l.denied)
	l.mu.Unlock()
	if cached != 0 {
		t.Errorf("%d refusals still cached", cached)
	}
}

// TestDBFallback: when the database cannot decide, the replica holds the
// limit alone and warns once a minute at most.
func TestDBFallback(t *testing.T) {
	t.Parallel()
	sts := replicas(t, 1)
	var logs bytes.Buffer
	var logMu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&logs, &logMu}, nil))
	clk := newClock()
	l := NewDB(sts[0].Pool, "intake", PerMinute(60, 3), Options{Now: clk.Now, Sleep: clk.Sleep, Log: log})
	sts[0].Pool.Close()
	if got := burst(t, []Limiter{l}, "a", 5); got.allowed != 3 || !allEqual(got.retries, time.Second) {
		t.Fatalf("database closed: %d of 5 allowed, retries %v; want 3 and 1 s", got.allowed, got.retries)
	}
	for range 4 {
		if err := l.Wait(context.Background(), "w"); err != nil {
			t.Fatal(err)
		}
	}
	if got := clk.Slept(); !slices.Equal(got, []time.Duration{0: time.Second}) {
		t.Fatalf("waits %v, want one of 1 s", got)
	}
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	if n := strings.Count(out, "level=WARN"); n != 1 || !strings.Contains(out, "limit=intake") || !strings.Contains(out, "closed pool") {
		t.Errorf("%d warnings, want 1:\n%s", n, out)
	}
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// TestNewOnSQLite: SQLite's database belongs to one process, which holds
// its limits in memory; the table is there, unused.
func TestNewOnSQLite(t *testing.T) {
	t.Parallel()
	st := storetest.New(t, store.SQLite)
	l := New(st, "intake", PerMinute(60, 1), Options{})
	if _, ok := l.(*Memory); !ok {
		t.Fatalf("New on SQLite gave %T, want *Memory", l)
	}
	if ok, _ := allow(t, l, "a"); !ok {
		t.Fatal("first request refused")
	}
	if ok, wait := allow(t, l, "a"); ok || wait <= 0 || wait > time.Second {
		t.Fatalf("second request: ok=%v wait=%v", ok, wait)
	}
	var n int
	if err := st.R.QueryRow(`SELECT count(*) FROM rate_limits`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rate_limits on SQLite: %d rows (%v), want an empty table", n, err)
	}
	if l := New(nil, "x", PerMinute(1, 1), Options{}); l == nil {
		t.Fatal("New without a store")
	}
}

// TestUnlimited: a zero limit never reaches the database.
func TestUnlimited(t *testing.T) {
	t.Parallel()
	sts := replicas(t, 1)
	l := NewDB(sts[0].Pool, "intake", PerMinute(0, 0), Options{})
	sts[0].Pool.Close()
	for range 3 {
		if ok, _ := allow(t, l, "a"); !ok {
			t.Fatal("refused")
		}
		if err := l.Wait(context.Background(), "a"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRefund: an event given back (a login that succeeded) is the fleet's
// again. (A replica that refused the key just before keeps refusing until
// that refusal's Retry-After: stricter for a moment, never looser.)
func TestRefund(t *testing.T) {
	t.Parallel()
	sts := replicas(t, 2)
	clk := newClock()
	lim := PerMinute(3, 2) // one per 20 s, burst 2
	for name, ls := range map[string][2]Limiter{
		"memory":   {NewMemory(lim, Options{Now: clk.Now}), nil},
		"postgres": {New(sts[0], "login", lim, Options{Now: clk.Now}), New(sts[1], "login", lim, Options{Now: clk.Now})},
	} {
		a, b := ls[0], ls[1]
		if b == nil {
			b = a
		}
		for range 2 {
			if ok, _ := allow(t, a, "user:alice"); !ok {
				t.Fatalf("%s: burst refused", name)
			}
		}
		if ok, wait := allow(t, b, "user:alice"); ok || wait != 20*time.Second {
			t.Fatalf("%s: third: ok=%v wait=%v, want refused for 20 s", name, ok, wait)
		}
		if err := a.Refund(context.Background(), "user:alice"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := allow(t, a, "user:alice"); !ok {
			t.Fatalf("%s: the refunded event was not given again", name)
		}
		for i, l := range []Limiter{a, b} {
			if ok, wait := allow(t, l, "user:alice"); ok || wait != 20*time.Second {
				t.Fatalf("%s: %d after the refund's event: ok=%v wait=%v, want refused for 20 s", name, i, ok, wait)
			}
		}
	}
}

// TestDBWaitLeases: at a fast rate one statement reserves several events,
// which the replica hands out itself; two replicas together still never
// go faster than the limit, and a few statements serve many events.
func TestDBWaitLeases(t *testing.T) {
	t.Parallel()
	sts := replicas(t, 2)
	clk := newClock()
	start := clk.Now()
	lim := PerSecond(1000, 20) // a lease is 10 events (10 ms at 1/ms)
	a := NewDB(sts[0].Pool, "connect", lim, Options{Now: clk.Now, Sleep: clk.Sleep})
	b := NewDB(sts[1].Pool, "connect", lim, Options{Now: clk.Now, Sleep: clk.Sleep})
	const n = 200
	var at []time.Duration
	for i := range n {
		l := []*DB{a, b}[i%2]
		if err := l.Wait(context.Background(), "instance"); err != nil {
			t.Fatal(err)
		}
		at = append(at, clk.Now().Sub(start))
	}
	slices.Sort(at)
	for k, got := range at {
		// The k-th event (0-based) may come no sooner than the rate
		// allows after the burst: (k+1-burst) intervals.
		if earliest := time.Duration(k+1-lim.Burst) * lim.Interval; got < earliest {
			t.Fatalf("event %d at %v, earlier than the limit allows (%v)", k, got, earliest)
		}
	}
	if last := at[n-1]; last > time.Duration(n)*lim.Interval+20*time.Millisecond {
		t.Fatalf("%d events took %v: leases lost too much of the rate", n, last)
	}
	if got := a.statements.Load() + b.statements.Load(); got > n/10+4 {
		t.Fatalf("%d statements for %d events at 1,000/s: the leases were not used", got, n)
	}
}

// TestDBWaitConcurrent: many callers on two replicas at once. Each replica
// reserves for all its waiting callers in one statement at a time, and
// together they still keep to the limit (on the real clock).
func TestDBWaitConcurrent(t *testing.T) {
	t.Parallel()
	sts := replicas(t, 2)
	lim := PerSecond(2000, 50)
	ls := []*DB{NewDB(sts[0].Pool, "connect", lim, Options{}), NewDB(sts[1].Pool, "connect", lim, Options{})}
	const n = 600
	start := time.Now()
	at := make([]time.Duration, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ls[i%2].Wait(context.Background(), "instance"); err != nil {
				t.Error(err)
			}
			at[i] = time.Since(start)
		}()
	}
	wg.Wait()
	slices.Sort(at)
	for k, got := range at {
		// The k-th event may come no sooner than the rate allows after
		// the burst (the first reservation starts after start: no
		// tolerance needed on that side).
		if earliest := time.Duration(k+1-lim.Burst) * lim.Interval; got < earliest {
			t.Fatalf("event %d at %v, earlier than the limit allows (%v)", k, got, earliest)
		}
	}
	if last := at[n-1]; last > 2*time.Duration(n)*lim.Interval+time.Second {
		t.Fatalf("%d events at 2,000/s took %v", n, last)
	}
	if got := ls[0].statements.Load() + ls[1].statements.Load(); got > n/4 {
		t.Fatalf("%d statements for %d events: reservations were not shared", got, n)
	}
	t.Logf("%d events in %v with %d statements", n, at[n-1], ls[0].statements.Load()+ls[1].statements.Load())
}
