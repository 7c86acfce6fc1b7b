// Package ratelimit holds opsdesk's rate limits: how many questions one
// address may submit, how many logins one address or account may try, how
// fast Amazon Connect is called. Every limit is a GCRA (generic cell rate
// algorithm) per key — a token bucket kept as one number, the "theoretical
// arrival time" (TAT) of the next event: an event is allowed while
// max(TAT, now) + interval − now ≤ burst × interval, and pushes TAT on by
// one interval.
//
// Two implementations share the Limiter interface:
//
//   - Memory keeps the TATs in the process. It is the limiter on SQLite,
//     whose database belongs to one process.
//   - DB keeps them in PostgreSQL (table rate_limits), so that several
//     `opsdesk serve` replicas hold one limit together instead of N times
//     the limit. A decision is one INSERT … ON CONFLICT DO UPDATE …
//     RETURNING statement, atomic under the row's lock, computed with the
//     database's clock, so the replicas' clocks may disagree. A replica
//     sends at most one such statement per limit at a time, and starts the
//     next no sooner than 2 ms after the one before: the requests that
//     arrive meanwhile are decided together, one row per key, so a busy
//     replica pays a round trip per few requests, an idle one none of the
//     waiting. A key the fleet has refused is refused locally until its
//     Retry-After has passed, so a flood from one address costs the
//     database about two rows per interval, not a round trip per request.
//     Rows whose TAT has passed (a full bucket, the same as no row) are
//     deleted at most once a minute by each replica.
//
// When the database cannot decide (an error, or no answer within a
// second), DB decides with an in-memory Memory of the same limit instead
// and logs a warning at most once a minute: the limit then holds per
// replica, as before fleet-wide limits existed — it fails neither open
// (unlimited) nor closed (refusing everyone). The request limits guard
// paths that need the database anyway (a question is stored, a password
// checked in it), so an outage cannot be used to flood them; and Connect's
// rate is Connect's to enforce as well (it throttles; the client retries).
//
// New picks the implementation for a store.
package ratelimit

import (
	"context"
	"log/slog"
	"math"
	"net/netip"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
)

// Limit is a rate: one event per Interval on average, up to Burst at once.
// A zero Interval means no limit.
type Limit struct {
	Interval time.Duration
	Burst    int
}

// PerMinute is n events a minute with bursts of burst; n = 0 is no limit.
func PerMinute(n, burst int) Limit {
	if n <= 0 {
		return Limit{}
	}
	return Limit{Interval: time.Minute / time.Duration(n), Burst: max(burst, 1)}
}

// PerSecond is r events a second with bursts of burst; r = 0 is no limit.
func PerSecond(r float64, burst int) Limit {
	if !(r > 0) || math.IsInf(r, 0) {
		return Limit{}
	}
	return Limit{Interval: time.Duration(float64(time.Second) / r), Burst: max(burst, 1)}
}

// Unlimited reports whether l allows everything.
func (l Limit) Unlimited() bool { return l.Interval <= 0 }

func (l Limit) burst() int { return max(l.Burst, 1) }

// tolerance is how far ahead of now the TAT may be after an event: the
// burst's worth of intervals.
func (l Limit) tolerance() time.Duration { return time.Duration(l.burst()) * l.Interval }

// Limiter holds a limit per key.
type Limiter interface {
	// Allow takes one event for key if the limit allows it now; if not, it
	// says how long until it would. err is only ever ctx's error: the
	// decision was not made.
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
	// Wait reserves the next event for key, queueing behind earlier
	// reservations, and sleeps until it is due. If ctx ends first, the
	// reservation is given back and ctx's error returned.
	Wait(ctx context.Context, key string) error
	// Refund gives back one event Allow took for key that turned out not
	// to count (a login that succeeded, where only failures are limited).
	Refund(ctx context.Context, key string) error
}

// Options are the parts of a limiter's environment tests replace.
type Options struct {
	// Now is the clock. nil: time.Now for Memory and the database's own
	// clock (clock_timestamp()) for DB. Given to DB, it is passed to the
	// database as the time of each decision (tests).
	Now func() time.Time
	// Sleep waits for Wait (default: a timer that ends with ctx).
	Sleep func(ctx context.Context, d time.Duration) error
	// Log receives the warning that the database could not decide.
	Log *slog.Logger
}

// New returns the limiter for a store: DB on PostgreSQL, shared by every
// replica on the database, and Memory on SQLite. name keeps the keys of one
// limit apart from the others' ("intake", "login", "connect"); every
// replica must give the same limit under one name.
func New(st *store.Store, name string, l Limit, o Options) Limiter {
	if st != nil && st.Engine == store.Postgres && st.Pool != nil {
		return NewDB(st.Pool, name, l, o)
	}
	return NewMemory(l, o)
}

// Keyed is one key of a limiter, for callers that limit one thing (the
// Connect client's API rate).
type Keyed struct {
	L   Limiter
	Key string
}

// Wait is L.Wait(ctx, Key).
func (k Keyed) Wait(ctx context.Context) error { return k.L.Wait(ctx, k.Key) }

// Allow is L.Allow(ctx, Key).
func (k Keyed) Allow(ctx context.Context) (bool, time.Duration, error) { return k.L.Allow(ctx, k.Key) }

// AddrKey is the key of a client address for per-address limits: an IPv4
// address as it is, an IPv6 address as its /64 network ("2001:db8:1:2::/64"),
// because one subscriber usually holds a whole /64 and could otherwise
// step around the limit with every address in it. An IPv4-mapped IPv6
// address counts as the IPv4 address; a string that is no address is used
// as it is.
func AddrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ceilMillis rounds a wait up to the millisecond: a waiter never wakes
// before its event is due.
func ceilMillis(d time.Duration) time.Duration {
	return (d + time.Millisecond - 1) / time.Millisecond * time.Millisecond
}
