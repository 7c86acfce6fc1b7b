package alerts

import (
	"context"
	"sync/atomic"
	"time"
)

// engineLoop is what Run keeps between passes: when the next escalation
// falls due, and a doorbell for work that is due now.
type engineLoop struct {
	on   atomic.Bool
	next atomic.Int64 // engine time (Unix ms) of the earliest wake-up asked for; 0: none
	// sleep is when the sleeping loop will wake by itself (engine time,
	// Unix ms); 0 while it runs a pass, which reads next when it ends.
	sleep atomic.Int64
	ring  chan struct{}
}

func (l *engineLoop) init() { l.ring = make(chan struct{}, 1) }

// wakeAt asks the loop to run at t (engine time), or sooner. It rings only
// a sleeping loop that would otherwise wake later than t: a running pass
// reads next when it ends. (next is written before sleep is read here, and
// sleep before next is read in Run, so one of the two sides always sees
// the other's write.)
func (l *engineLoop) wakeAt(t time.Time) {
	ms := t.UnixMilli()
	for {
		cur := l.next.Load()
		if cur != 0 && cur <= ms {
			break
		}
		if l.next.CompareAndSwap(cur, ms) {
			break
		}
	}
	if sl := l.sleep.Load(); sl != 0 && ms < sl {
		select {
		case l.ring <- struct{}{}:
		default:
		}
	}
}

// Run is the escalation engine of this process: it moves every escalation
// that is due, sleeps until the next one falls due (or something kicks it),
// and does it again, until ctx ends.
//
// The engine is not a River job on purpose: a phone call must never wait
// for a worker that a slow webhook, a case sync or a sweep holds, nor for
// River's leader to promote a scheduled job. Run has its own goroutines
// (Options.Parallel steps at once) and nothing else runs on them.
//
// poll bounds the sleep: escalations that no wake-up of this process covers
// (released by a replica that died, or left when another replica's claim
// ran out) are found within poll. On SQLite, whose database belongs to
// this process, every escalation is covered and poll is only a safety net.
func (s *Service) Run(ctx context.Context, poll time.Duration) {
	if poll <= 0 {
		poll = time.Second
	}
	// Pages (escalation policies' notifications) have a runner of their
	// own beside the steps: a slow SMS API never holds up a step.
	pagesDone := make(chan struct{})
	go func() {
		defer close(pagesDone)
		s.RunPagesLoop(ctx, poll)
	}()
	defer func() { <-pagesDone }()
	l := &s.loop
	l.on.Store(true)
	defer l.on.Store(false)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for ctx.Err() == nil {
		if err := s.RunDue(ctx, true); err != nil && ctx.Err() == nil {
			s.o.Log.Error("alerts: escalation pass failed; trying again", "error", err)
			l.wakeAt(s.now().Add(time.Second))
		}
		now := s.now()
		until := now.Add(poll).UnixMilli()
		l.sleep.Store(until)
		if n := l.next.Swap(0); n != 0 && n < until {
			until = n
			l.sleep.Store(max(n, 1))
		}
		if d := time.UnixMilli(until).Sub(now); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
			case <-l.ring:
			case <-timer.C:
			}
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
		l.sleep.Store(0)
		select { // a ring meant for the sleep just ended
		case <-l.ring:
		default:
		}
	}
}

// Kick makes the engine look for due escalations now (an escalation job
// queued by an older release, the periodic sweep).
func (s *Service) Kick(ctx context.Context) { s.kick(ctx) }

// Looping reports whether this process's engine loop is running.
func (s *Service) Looping() bool { return s.loop.on.Load() }
