package ratelimit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// clock is a test clock; Sleep moves it instead of waiting.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	c.mu.Unlock()
	return nil
}

func (c *clock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}

func allow(t *testing.T, l Limiter, key string) (bool, time.Duration) {
	t.Helper()
	ok, wait, err := l.Allow(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return ok, wait
}

// TestMemoryAllow is the token bucket the HTTP limits always had: a burst,
// then one event per interval, per key; idle keys are forgotten.
func TestMemoryAllow(t *testing.T) {
	t.Parallel()
	clk := newClock()
	l := NewMemory(PerMinute(60, 3), Options{Now: clk.Now}) // 1/s, burst 3
	for i := range 3 {
		if ok, _ := allow(t, l, "a"); !ok {
			t.Fatalf("burst request %d refused", i)
		}
	}
	if ok, wait := allow(t, l, "a"); ok || wait != time.Second {
		t.Fatalf("4th: ok=%v wait=%v, want refused for 1s", ok, wait)
	}
	if ok, _ := allow(t, l, "b"); !ok {
		t.Error("other key limited")
	}
	clk.Add(400 * time.Millisecond)
	if ok, wait := allow(t, l, "a"); ok || wait != 600*time.Millisecond {
		t.Fatalf("after 0.4 s: ok=%v wait=%v, want refused for 0.6 s", ok, wait)
	}
	clk.Add(600 * time.Millisecond)
	if ok, _ := allow(t, l, "a"); !ok {
		t.Error("token not refilled after 1s")
	}
	if ok, _ := allow(t, l, "a"); ok {
		t.Error("more than the rate allowed")
	}
	// Idle keys are forgotten.
	clk.Add(time.Hour)
	allow(t, l, "c")
	if n := l.keys(); n != 1 {
		t.Errorf("%d keys kept after an hour idle, want 1", n)
	}
	// A long idle refills the bucket to its burst, not beyond.
	for i := range 3 {
		if ok, _ := allow(t, l, "a"); !ok {
			t.Fatalf("request %d after idling refused", i)
		}
	}
	if ok, _ := allow(t, l, "a"); ok {
		t.Fatal("more than the burst after idling")
	}
	for _, lim := range []Limit{PerMinute(0, 0), PerSecond(0, 5), {}} {
		if ok, _ := allow(t, NewMemory(lim, Options{}), "x"); !ok {
			t.Errorf("%+v: disabled limiter refused", lim)
		}
	}
}

func TestMemoryWait(t *testing.T) {
	t.Parallel()
	clk := newClock()
	l := NewMemory(PerSecond(2, 2), Options{Now: clk.Now, Sleep: clk.Sleep})
	for range 5 {
		if err := l.Wait(context.Background(), "k"); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := clk.Slept(), []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}; !slices.Equal(got, want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
	// Another key has its own bucket.
	if err := l.Wait(context.Background(), "other"); err != nil || len(clk.Slept()) != 3 {
		t.Fatalf("other key waited: %v %v", err, clk.Slept())
	}
	// A cancelled waiter gives its reservation back.
	ctx, cancel := context.WithCancel(context.Background())
	cancelling := NewMemory(PerSecond(1, 1), Options{Now: clk.Now, Sleep: func(c context.Context, d time.Duration) error {
		cancel()
		return c.Err()
	}})
	if err := cancelling.Wait(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	if err := cancelling.Wait(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	if ok, wait := allow(t, cancelling, "k"); ok || wait != time.Second {
		t.Fatalf("after the cancelled wait: ok=%v wait=%v, want the second event 1 s away", ok, wait)
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		got, want Limit
	}{
		{PerMinute(30, 5), Limit{Interval: 2 * time.Second, Burst: 5}},
		{PerMinute(60, 0), Limit{Interval: time.Second, Burst: 1}},
		{PerMinute(0, 5), Limit{}},
		{PerMinute(-1, 5), Limit{}},
		{PerSecond(2, 2), Limit{Interval: 500 * time.Millisecond, Burst: 2}},
		{PerSecond(3, 1), Limit{Interval: 333333333, Burst: 1}},
		{PerSecond(0, 1), Limit{}},
	} {
		if tc.got != tc.want {
			t.Errorf("got %+v, want %+v", tc.got, tc.want)
		}
	}
	if !(Limit{}).Unlimited() || PerMinute(1, 1).Unlimited() {
		t.Error("Unlimited")
	}
}

func TestAddrKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"203.0.113.5", "203.0.113.5"},
		{"::ffff:203.0.113.5", "203.0.113.5"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"not an address", "not an address"},
		{"", ""},
	} {
		if got := AddrKey(tc.in); got != tc.want {
			t.Errorf("AddrKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
