package fake

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// recorder is what the messaging fakes (SMS, SES) share: waiters woken
// whenever a message or an event is recorded, and event publishers that run
// on goroutines the test's cleanup waits for. Its fields are guarded by the
// owning fake's mutex, mu.
type recorder struct {
	mu         *sync.Mutex
	changed    chan struct{}
	publishing sync.WaitGroup // event goroutines, waited for at cleanup
	closing    bool           // the test is over: publish no more events
}

// newRecorder returns the recorder of a fake guarded by mu; when the test
// ends, no event is published any more and running publishers are waited
// for.
func newRecorder(t testing.TB, mu *sync.Mutex) *recorder {
	r := &recorder{mu: mu, changed: make(chan struct{})}
	t.Cleanup(func() {
		mu.Lock()
		r.closing = true
		mu.Unlock()
		r.publishing.Wait()
	})
	return r
}

// notifyLocked wakes the waiters; call with mu held.
func (r *recorder) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// waitChanged blocks until cond (called with mu held) holds, or timeout.
func (r *recorder) waitChanged(timeout time.Duration, cond func() bool) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		r.mu.Lock()
		ok, ch := cond(), r.changed
		r.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			return false
		}
	}
}

// startPublishing runs publish on a goroutine the cleanup waits for, unless
// the test is over.
func (r *recorder) startPublishing(publish func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return
	}
	r.publishing.Add(1)
	go publish()
}

// publishEvents hands evs, in order, to the hooks (read under mu when it
// starts) and records each with record (called with mu held); it is the
// body of a goroutine started by startPublishing.
func publishEvents[E any](r *recorder, hooks *[]func(E), evs []E, record func(E)) {
	defer r.publishing.Done()
	r.mu.Lock()
	fs := slices.Clone(*hooks)
	r.mu.Unlock()
	for _, ev := range evs {
		for _, f := range fs {
			f(ev)
		}
		r.mu.Lock()
		record(ev)
		r.notifyLocked()
		r.mu.Unlock()
	}
}

// rateLimit is a fake's EnforceRate: a token bucket on the fake's clock
// (rate 0: no limit). Guarded by the owning fake's mutex.
type rateLimit struct {
	rate, burst, tokens float64
	at                  time.Time
}

// set starts a full bucket of burst tokens refilled at perSecond.
func (l *rateLimit) set(perSecond float64, burst int, now time.Time) {
	*l = rateLimit{rate: perSecond, burst: float64(burst), tokens: float64(burst), at: now}
}

// take spends n tokens at now, or reports false (and spends nothing) when
// the bucket holds fewer.
func (l *rateLimit) take(n float64, now time.Time) bool {
	if l.rate <= 0 {
		return true
	}
	if el := now.Sub(l.at).Seconds(); el > 0 {
		l.tokens = min(l.burst, l.tokens+el*l.rate)
	}
	l.at = now
	if l.tokens < n {
		return false
	}
	l.tokens -= n
	return true
}
