package sig

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Nonces remembers keys that may be used once. Use records key until expires
// and reports whether it was fresh (not recorded, or recorded but already
// expired). The in-memory ReplayGuard implements it for one process; a
// database-backed implementation shares the memory between replicas.
type Nonces interface {
	Use(ctx context.Context, key string, expires time.Time) (fresh bool, err error)
}

// UseOnce records key in n until expires and returns ErrReplayed if it was
// already there. Call it only after the request's signature verified.
func UseOnce(ctx context.Context, n Nonces, key string, expires time.Time) error {
	fresh, err := n.Use(ctx, key, expires)
	if err != nil {
		return fmt.Errorf("sig: replay check: %w", err)
	}
	if !fresh {
		return ErrReplayed
	}
	return nil
}

// ErrGuardFull is returned by ReplayGuard.Use when the guard holds its
// maximum number of unexpired keys.
var ErrGuardFull = errors.New("sig: replay guard full")

// DefaultReplayGuardMax bounds a ReplayGuard created with max <= 0.
const DefaultReplayGuardMax = 100_000

// ReplayGuard is an in-memory, bounded set of used keys that expire. It is
// safe for concurrent use.
//
// When the guard is full of keys that have not expired it fails closed:
// Seen reports true and Use returns ErrGuardFull, so a flood can delay
// genuine requests but never let a replay through. Only verified requests
// should reach the guard, so only the sender itself can fill it.
type ReplayGuard struct {
	window time.Duration
	max    int
	now    func() time.Time

	mu      sync.Mutex
	expires map[string]time.Time
	queue   expiryQueue
}

// NewReplayGuard returns a guard whose Seen remembers a key for window after
// the time it is given; use DingTalkReplayWindow or SlackReplayWindow. max
// bounds the number of keys held (DefaultReplayGuardMax if <= 0). now is the
// clock Use prunes with (time.Now if nil).
func NewReplayGuard(window time.Duration, max int, now func() time.Time) *ReplayGuard {
	if max <= 0 {
		max = DefaultReplayGuardMax
	}
	if now == nil {
		now = time.Now
	}
	return &ReplayGuard{window: window, max: max, now: now, expires: make(map[string]time.Time)}
}

// Seen reports whether key was already used and has not expired at time at
// (the time the request is received). If not, it records key until
// at + window and reports false. A full guard reports true.
func (g *ReplayGuard) Seen(key string, at time.Time) bool {
	fresh, err := g.use(key, at.Add(g.window), at)
	return !fresh || err != nil
}

// Use implements Nonces: it records key until expires, pruning with the
// guard's clock. A key whose expiry has already passed is reported fresh and
// not stored (a verifier refuses such a request anyway).
func (g *ReplayGuard) Use(_ context.Context, key string, expires time.Time) (bool, error) {
	return g.use(key, expires, g.now())
}

// Len returns the number of keys held, expired ones not yet pruned included.
func (g *ReplayGuard) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.expires)
}

func (g *ReplayGuard) use(key string, expires, now time.Time) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pruneLocked(now)
	if exp, ok := g.expires[key]; ok && exp.After(now) {
		return false, nil
	}
	if !expires.After(now) {
		return true, nil
	}
	if len(g.expires) >= g.max {
		return false, ErrGuardFull
	}
	g.expires[key] = expires
	heap.Push(&g.queue, expiryItem{key: key, at: expires})
	return true, nil
}

// pruneLocked forgets every key whose expiry is not after now. A queue item
// whose key was re-recorded with a later expiry is stale and only dropped.
func (g *ReplayGuard) pruneLocked(now time.Time) {
	for len(g.queue) > 0 && !g.queue[0].at.After(now) {
		it := heap.Pop(&g.queue).(expiryItem)
		if exp, ok := g.expires[it.key]; ok && exp.Equal(it.at) {
			delete(g.expires, it.key)
		}
	}
}

type expiryItem struct {
	key string
	at  time.Time
}

// expiryQueue is a min-heap of keys by expiry.
type expiryQueue []expiryItem

func (q expiryQueue) Len() int           { return len(q) }
func (q expiryQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q expiryQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *expiryQueue) Push(x any)        { *q = append(*q, x.(expiryItem)) }
func (q *expiryQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}
