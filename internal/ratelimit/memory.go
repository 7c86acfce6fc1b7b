package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory is a Limiter whose state lives in this process. Keys whose bucket
// has refilled (their TAT has passed) are forgotten once a minute.
type Memory struct {
	lim   Limit
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	mu     sync.Mutex
	tat    map[string]time.Time
	lastGC time.Time
}

// NewMemory returns an in-memory limiter of l.
func NewMemory(l Limit, o Options) *Memory {
	m := &Memory{lim: l, now: o.Now, sleep: o.Sleep, tat: map[string]time.Time{}}
	if m.now == nil {
		m.now = time.Now
	}
	if m.sleep == nil {
		m.sleep = sleepContext
	}
	return m
}

// Allow takes one event for key if the limit allows it now. It never
// fails.
func (m *Memory) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	ok, wait := m.allow(key)
	return ok, wait, nil
}

func (m *Memory) allow(key string) (bool, time.Duration) {
	if m == nil || m.lim.Unlimited() {
		return true, 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.gcLocked(now)
	next := later(m.tat[key], now).Add(m.lim.Interval)
	if wait := next.Sub(now) - m.lim.tolerance(); wait > 0 {
		return false, wait
	}
	m.tat[key] = next
	return true, 0
}

// Wait reserves the next event for key and sleeps until it is due (rounded
// up to the millisecond).
func (m *Memory) Wait(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.lim.Unlimited() {
		return nil
	}
	m.mu.Lock()
	now := m.now()
	m.gcLocked(now)
	next := later(m.tat[key], now).Add(m.lim.Interval)
	m.tat[key] = next
	wait := next.Sub(now) - m.lim.tolerance()
	m.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	if err := m.sleep(ctx, ceilMillis(wait)); err != nil {
		_ = m.Refund(ctx, key)
		return err
	}
	return nil
}

// Refund gives back one event taken for key.
func (m *Memory) Refund(_ context.Context, key string) error {
	if m.lim.Unlimited() {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.tat[key]; ok {
		m.tat[key] = t.Add(-m.lim.Interval)
	}
	return nil
}

// gcLocked forgets, at most once a minute, the keys whose bucket is full.
func (m *Memory) gcLocked(now time.Time) {
	if now.Sub(m.lastGC) < time.Minute {
		return
	}
	for k, t := range m.tat {
		if !t.After(now) {
			delete(m.tat, k)
		}
	}
	m.lastGC = now
}

// keys is the number of keys held (tests).
func (m *Memory) keys() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
