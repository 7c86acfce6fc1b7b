package connect_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/aws/connect"
)

func TestLimiterRateAndBurst(t *testing.T) {
	t.Parallel()
	clk := newClock()
	l := connect.NewLimiter(2, 2, clk.Now, clk.Sleep)
	for range 5 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := clk.Slept(), []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}; !slices.Equal(got, want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
	clk.Add(time.Minute) // idle: the bucket refills to its burst, not beyond
	for range 3 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := clk.Slept(); len(got) != 4 || got[3] != 500*time.Millisecond {
		t.Fatalf("after idling: waits %v", got)
	}
}

func TestLimiterFractionalRate(t *testing.T) {
	t.Parallel()
	clk := newClock()
	l := connect.NewLimiter(3, 1, clk.Now, clk.Sleep)
	for range 4 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// 1/3 s is rounded up to the millisecond, so no token is ever taken
	// early, and the rounding does not add up: the 4th token is due at 1 s.
	var at time.Duration
	for i, d := range clk.Slept() {
		at += d
		if due := time.Duration(i+1) * time.Second / 3; at < due || at > due+time.Millisecond {
			t.Fatalf("token %d taken at %v, due %v (waits %v)", i+2, at, due, clk.Slept())
		}
	}
	if got := clk.Now().Sub(epoch); got != time.Second || len(clk.Slept()) != 3 {
		t.Fatalf("4 tokens at 3/s took %v", got)
	}
}

func TestLimiterReservesInOrder(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var waits []time.Duration
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	l := connect.NewLimiter(2, 1, func() time.Time { return now }, func(_ context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return nil
	})
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Wait(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	slices.Sort(waits)
	// One immediate, then each waiter 0.5 s after the one before it.
	for i, d := range waits {
		if want := time.Duration(i+1) * 500 * time.Millisecond; d != want {
			t.Fatalf("waits %v", waits)
		}
	}
	if len(waits) != 9 {
		t.Fatalf("%d waits, want 9", len(waits))
	}
}

func TestLimiterCancelGivesTheTokenBack(t *testing.T) {
	t.Parallel()
	clk := newClock()
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := false
	l := connect.NewLimiter(1, 1, clk.Now, func(c context.Context, d time.Duration) error {
		if !cancelled {
			cancelled = true
			cancel()
			return c.Err()
		}
		return clk.Sleep(c, d)
	})
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait on a done context: %v", err)
	}
	// The cancelled reservation was returned: the next waiter waits 1 s, not 2.
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := clk.Slept(); len(got) != 1 || got[0] != time.Second {
		t.Fatalf("waits %v", got)
	}
}
