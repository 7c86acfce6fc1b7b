package connect

import (
	"context"
	"time"

	"github.com/aws/smithy-go/middleware"

	"github.com/opsdesk/opsdesk/internal/ratelimit"
)

// RateLimiter is what every Connect API request, retries included, waits
// on before it is sent. The client's own is a Limiter, held in this
// process; WithRateLimiter gives it one that holds the rate for a whole
// fleet of replicas (ratelimit.DB).
type RateLimiter interface {
	// Wait takes the next slot, sleeping until it is due; if ctx ends
	// first, it gives the slot back and returns ctx's error.
	Wait(ctx context.Context) error
}

// Limiter is a token bucket in this process: it holds up to burst tokens,
// gains rate tokens per second on its clock, and Wait takes one. Waiters
// queue in arrival order: each reserves the next token and sleeps until it
// is due.
type Limiter struct {
	m *ratelimit.Memory
}

// NewLimiter returns a full bucket. now and sleep default to time.Now and a
// timer that returns early with ctx.Err() when ctx ends.
func NewLimiter(ratePerSecond float64, burst int, now func() time.Time, sleep func(context.Context, time.Duration) error) *Limiter {
	return &Limiter{ratelimit.NewMemory(ratelimit.PerSecond(ratePerSecond, burst), ratelimit.Options{Now: now, Sleep: sleep})}
}

// Wait takes a token, sleeping until one is due (rounded up to the
// millisecond, so that no token is taken early). If ctx ends first, the
// reservation is given back and ctx's error returned.
func (l *Limiter) Wait(ctx context.Context) error { return l.m.Wait(ctx, "") }

// limitMiddleware takes a token before every attempt of an API call: it
// sits after the SDK's retry middleware, so retries wait their turn too.
type limitMiddleware struct{ l RateLimiter }

func (limitMiddleware) ID() string { return "OpsdeskConnectRateLimit" }

func (m limitMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if err := m.l.Wait(ctx); err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, err
	}
	return next.HandleFinalize(ctx, in)
}

func addLimiter(l RateLimiter) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Insert(limitMiddleware{l}, "Retry", middleware.After)
	}
}
