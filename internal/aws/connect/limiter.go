package connect

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/aws/smithy-go/middleware"
)

// Limiter is a token bucket: it holds up to burst tokens, gains rate tokens
// per second on its clock, and Wait takes one. Waiters queue in arrival
// order: each reserves the next token and sleeps until it is due.
type Limiter struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
}

// NewLimiter returns a full bucket. now and sleep default to time.Now and a
// timer that returns early with ctx.Err() when ctx ends.
func NewLimiter(ratePerSecond float64, burst int, now func() time.Time, sleep func(context.Context, time.Duration) error) *Limiter {
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepContext
	}
	burst = max(burst, 1)
	return &Limiter{rate: ratePerSecond, burst: float64(burst), tokens: float64(burst), now: now, sleep: sleep}
}

// Wait takes a token, sleeping until one is due. If ctx ends first, the
// reservation is given back and ctx's error returned.
func (l *Limiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	now := l.now()
	if l.last.IsZero() {
		l.last = now
	}
	if el := now.Sub(l.last); el > 0 {
		l.tokens = math.Min(l.burst, l.tokens+el.Seconds()*l.rate)
		l.last = now
	}
	l.tokens--
	var wait time.Duration
	if l.tokens < 0 {
		// Round up to the millisecond: never wake before the token is due.
		wait = time.Duration(math.Ceil(-l.tokens/l.rate*1000)) * time.Millisecond
	}
	l.mu.Unlock()
	if wait == 0 {
		return nil
	}
	if err := l.sleep(ctx, wait); err != nil {
		l.mu.Lock()
		l.tokens++
		l.mu.Unlock()
		return err
	}
	return nil
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

// limitMiddleware takes a token before every attempt of an API call: it
// sits after the SDK's retry middleware, so retries wait their turn too.
type limitMiddleware struct{ l *Limiter }

func (limitMiddleware) ID() string { return "OpsdeskConnectRateLimit" }

func (m limitMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if err := m.l.Wait(ctx); err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, err
	}
	return next.HandleFinalize(ctx, in)
}

func (l *Limiter) addToStack(stack *middleware.Stack) error {
	return stack.Finalize.Insert(limitMiddleware{l}, "Retry", middleware.After)
}
