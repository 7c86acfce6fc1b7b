package connect_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/ratelimit"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// replicaStores opens two stores, each with its own pool as two processes
// would have, on one new PostgreSQL database.
func replicaStores(t *testing.T) [2]*store.Store {
	t.Helper()
	url := storetest.DatabaseURL(t, store.Postgres)
	var out [2]*store.Store
	for i := range out {
		st, err := store.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if _, err := st.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		out[i] = st
	}
	return out
}

// fleetClient is one replica's Connect client, its API rate held in the
// database through ratelimit.DB (as opsdesk wires it), on clk if given.
func fleetClient(t *testing.T, f *fake.Connect, st *store.Store, clk *clock) *connect.Client {
	t.Helper()
	cfg := baseConfig(f)
	cfg.RatePerSecond, cfg.Burst, cfg.MaxAttempts = 2, 2, 1
	var o ratelimit.Options
	if clk != nil {
		o = ratelimit.Options{Now: clk.Now, Sleep: clk.Sleep}
	}
	opts := []connect.Option{
		connect.WithCredentials(f.Credentials()),
		connect.WithRetryBackoff(func(int) time.Duration { return 0 }),
		connect.WithRateLimiter(func(rate float64, burst int) connect.RateLimiter {
			if rate != 2 || burst != 2 {
				t.Errorf("limiter for %v/s, burst %d", rate, burst)
			}
			return ratelimit.Keyed{L: ratelimit.New(st, "connect", ratelimit.PerSecond(rate, burst), o), Key: cfg.InstanceID}
		}),
	}
	c, err := connect.New(context.Background(), cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestFleetKeepsConnectFromThrottling: two replicas calling one Connect
// instance take turns on one bucket: together they keep to the 2 requests
// a second the fake enforces (on the same clock), where two buckets of
// their own would be throttled.
func TestFleetKeepsConnectFromThrottling(t *testing.T) {
	t.Parallel()
	sts := replicaStores(t)
	clk := newClock()
	f := fake.NewConnect(t, fake.WithClock(clk.Now))
	f.EnforceRate(2, 2)
	f.SetMaxConcurrent(0)
	cs := []*connect.Client{fleetClient(t, f, sts[0], clk), fleetClient(t, f, sts[1], clk)}
	var ids []string
	for i := range 6 {
		ids = append(ids, startCall(t, cs[i%2], fmt.Sprintf("+8190000000%02d", i), fmt.Sprint(i)))
	}
	for i, id := range ids {
		status(t, cs[(i+1)%2], id)
	}
	// 12 requests: 2 from the burst, 10 at 2/s, whichever replica sent them.
	if got := clk.Now().Sub(epoch); got != 5*time.Second {
		t.Fatalf("took %v on the clock, want 5s", got)
	}
	if n := f.OpCount("StartOutboundVoiceContact") + f.OpCount("DescribeContact"); n != 12 {
		t.Fatalf("the fake saw %d requests, want 12 (none throttled and retried)", n)
	}

	// The same with a bucket per process: twice the rate, and Connect
	// throttles.
	clk2 := newClock()
	f2 := fake.NewConnect(t, fake.WithClock(clk2.Now))
	f2.EnforceRate(2, 2)
	f2.SetMaxConcurrent(0)
	alone := func() *connect.Client {
		return newClient(t, f2, clk2, func(cfg *connect.Config) { cfg.RatePerSecond, cfg.Burst, cfg.MaxAttempts = 2, 2, 1 })
	}
	perProcess := []*connect.Client{alone(), alone()}
	throttled := 0
	for i := range 6 {
		_, err := perProcess[i%2].StartCall(context.Background(), connect.Call{Destination: fmt.Sprintf("+8190000000%02d", i), Attributes: alertAttrs(), ClientToken: fmt.Sprint(i)})
		if err != nil {
			throttled++
		}
	}
	if throttled == 0 {
		t.Fatal("two per-process buckets were not throttled: the fake does not tell the cases apart")
	}
}

// TestFleetRateOnTheWire: two replicas sending at once, on the database's
// clock and real timers: the requests as the fake receives them keep to
// the rate (20/s with bursts of 2 here, to keep the test short).
func TestFleetRateOnTheWire(t *testing.T) {
	t.Parallel()
	sts := replicaStores(t)
	f := fake.NewConnect(t)
	f.SetMaxConcurrent(0)
	var cs []*connect.Client
	for _, st := range sts {
		cfg := baseConfig(f)
		cfg.RatePerSecond, cfg.Burst = 20, 2
		c, err := connect.New(context.Background(), cfg,
			connect.WithCredentials(f.Credentials()),
			connect.WithRateLimiter(func(rate float64, burst int) connect.RateLimiter {
				return ratelimit.Keyed{L: ratelimit.New(st, "connect", ratelimit.PerSecond(rate, burst), ratelimit.Options{}), Key: cfg.InstanceID}
			}))
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	const perReplica = 10
	var wg sync.WaitGroup
	for r, c := range cs {
		for i := range perReplica {
			wg.Go(func() {
				if _, err := c.StartCall(context.Background(), connect.Call{
					Destination: fmt.Sprintf("+81900000%d%02d", r, i), Attributes: alertAttrs(), ClientToken: fmt.Sprint(r, "-", i),
				}); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	var at []time.Time
	for _, r := range f.Requests() {
		at = append(at, r.At)
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	if len(at) != 2*perReplica {
		t.Fatalf("the fake received %d requests, want %d", len(at), 2*perReplica)
	}
	// At 20/s with bursts of 2, the 20 requests take 0.9 s from first to
	// last, and no half second holds more than 2 + 10 of them; two buckets
	// of their own would send them in 0.4 s, 24 to a half second. The
	// margins (100 ms, 2 requests) absorb requests that leave a little
	// late after their slot and reach the fake bunched together.
	const interval, slack = 50 * time.Millisecond, 100 * time.Millisecond
	if span, min := at[len(at)-1].Sub(at[0]), time.Duration(len(at)-3)*interval-slack; span < min {
		t.Fatalf("20 requests arrived within %v, want ≥ %v", span, min)
	}
	const window = 500 * time.Millisecond
	for i := range at {
		n := 0
		for _, a := range at[i:] {
			if a.Sub(at[i]) < window {
				n++
			}
		}
		if max := 2 + int(window/interval) + 2; n > max {
			t.Fatalf("%d requests arrived within %v of request %d, want ≤ %d", n, window, i, max)
		}
	}
	if total := at[len(at)-1].Sub(at[0]); total > time.Duration(len(at))*interval+time.Second {
		t.Errorf("20 requests took %v: the replicas waited far longer than the rate asks", total)
	}
}
