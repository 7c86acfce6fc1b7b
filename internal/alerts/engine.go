package alerts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/alerts/hours"
	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/store"
)

// runner makes RunDue single-flight within a process: a second caller
// asks the running pass to go round once more instead of starting its own,
// so River workers never pile up behind one another.
type runner struct {
	mu      sync.Mutex
	running bool
	again   bool
	done    chan struct{}
}

// Engine tuning that is not configuration.
const (
	// maxPlaceAttempts bounds the tries of StartOutboundVoiceContact
	// against errors that may pass (throttling, 5xx, network) before the
	// call counts as failed and the next person is called.
	maxPlaceAttempts = 5
	// errorRetry is how soon a step that failed on the database runs again.
	errorRetry = 5 * time.Second
)

// RunDue moves every escalation that is due now, in passes of at most
// Parallel at a time, until none is left; then it schedules a job for the
// next due time. If a pass is already running in this process it is asked
// to go round once more, and RunDue returns at once, or, with wait, when
// that pass is over.
func (s *Service) RunDue(ctx context.Context, wait bool) error {
	r := &s.run
	r.mu.Lock()
	if r.running {
		r.again = true
		done := r.done
		r.mu.Unlock()
		if wait {
			select {
			case <-done:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	r.running, r.again = true, false
	r.done = make(chan struct{})
	r.mu.Unlock()
	// One budget for the passes of this call, however often it is asked
	// to go round again: past it, a new job takes over.
	deadline := s.o.Wall().Add(s.o.RunBudget)
	var err error
	for {
		err = s.runOnce(ctx, deadline)
		r.mu.Lock()
		if !r.again || ctx.Err() != nil || err != nil || !s.o.Wall().Before(deadline) {
			r.running = false
			close(r.done)
			again := r.again
			r.mu.Unlock()
			if again && err == nil && ctx.Err() == nil {
				err = s.wakeAt(ctx, s.now())
			}
			return err
		}
		r.again = false
		r.mu.Unlock()
	}
}

// kick makes sure escalations that just became due are looked at soon:
// by the pass running in this process, or by a new job.
func (s *Service) kick(ctx context.Context) {
	s.dueGen.Add(1)
	r := &s.run
	r.mu.Lock()
	running := r.running
	if running {
		r.again = true
	}
	r.mu.Unlock()
	if running {
		return
	}
	if err := s.wakeAt(ctx, s.now()); err != nil {
		s.o.Log.Warn("alerts: scheduling the escalation failed; the periodic sweep will run it", "error", err)
	}
}

func (s *Service) runOnce(ctx context.Context, deadline time.Time) error {
	par := s.o.Parallel
	// A pipeline: up to par escalations in flight; as they finish, more
	// are claimed (in batches, to keep the claims few), until none is due.
	// Once a claim finds fewer due rows than it asked for, the runner
	// claims again only when something may have fallen due since: a step
	// moved an escalation on to a step due at once, or work was kicked in
	// (dueGen) — or when nothing is in flight any more (the last look).
	finished := make(chan struct{}, 2*par)
	inflight := 0
	defer func() {
		for ; inflight > 0; inflight-- {
			<-finished
		}
	}()
	drained := false
	var drainedAt int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !s.o.Wall().Before(deadline) {
			// Hand over to a new job rather than run past the job's timeout.
			return s.wakeAt(ctx, s.now())
		}
		if drained && s.dueGen.Load() != drainedAt {
			drained = false
		}
		free := par - inflight
		if inflight > 0 && (drained || free < max(1, par/4)) {
			<-finished
			inflight--
			continue
		}
		gen := s.dueGen.Load()
		// A unit of the runner's parallelism is a placement, or a batch of
		// up to callBatch call or poll steps.
		rows, err := s.claim(ctx, free*callBatch, free*callBatch)
		if err != nil {
			return err
		}
		calls := 0
		for _, e := range rows {
			if e.State == stateCall {
				calls++
			}
		}
		if len(rows)-calls < free*callBatch && calls < free*callBatch {
			drained, drainedAt = true, gen
		}
		if len(rows) == 0 {
			if inflight == 0 {
				break
			}
			<-finished
			inflight--
			continue
		}
		// Call and poll steps claimed together run together, callBatch at
		// a time (advanceCalls, advancePolls); placements one by one.
		batches := map[string][]*Escalation{}
		flush := func(state string) {
			b := batches[state]
			if len(b) == 0 {
				return
			}
			inflight++
			go func() {
				defer func() { finished <- struct{}{} }()
				if state == stateCall {
					s.advanceCalls(ctx, b)
				} else {
					s.advancePolls(ctx, b)
				}
			}()
			batches[state] = nil
		}
		for _, e := range rows {
			if e.State == stateCall || e.State == statePoll {
				if batches[e.State] = append(batches[e.State], e); len(batches[e.State]) == callBatch {
					flush(e.State)
				}
				continue
			}
			inflight++
			go func() {
				defer func() { finished <- struct{}{} }()
				s.advance(ctx, e)
			}()
		}
		flush(stateCall)
		flush(statePoll)
	}
	return s.scheduleNext(ctx)
}

// countActive counts calls in progress (placing, ringing, connected).
func (s *Service) countActive(ctx context.Context, q querier) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM alert_calls WHERE state IN ('placing', 'ringing', 'connected')`).Scan(&n); err != nil {
		return 0, fmt.Errorf("alerts: count calls in progress: %w", err)
	}
	return n, nil
}

// claim takes the due escalations for this runner: every due poll and
// placement, and as many due calls as there are free lines.
// callBatch is the most call steps one goroutine runs together
// (advanceCalls).
const callBatch = 64

// claim takes due escalations for this runner: up to others polls and
// placements, and up to calls call steps, as many as there are free lines.
func (s *Service) claim(ctx context.Context, others, calls int) ([]*Escalation, error) {
	now := s.now()
	ms, until := store.Millis(now), store.Millis(now.Add(s.o.Lease))
	var out []*Escalation
	err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		lock := ""
		if s.st.Engine == store.Postgres {
			lock = " FOR UPDATE SKIP LOCKED"
			// Claims are taken one at a time across replicas, so the lines
			// counted below are exact.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, advisoryClass, -1); err != nil {
				return fmt.Errorf("alerts: claim lock: %w", err)
			}
		}
		take := func(states string, n int) error {
			rows, err := s.rowsQ(ctx, tx, `UPDATE alert_escalations SET claimed_until = ?, claimed_by = ? WHERE alert_id IN
				(SELECT alert_id FROM alert_escalations WHERE state IN (`+states+`) AND next_at <= ? AND claimed_until <= ? ORDER BY next_at LIMIT ?`+lock+`)
				RETURNING `+escCols, until, s.o.ReplicaID, ms, ms, n)
			if err != nil {
				return fmt.Errorf("alerts: claim escalations: %w", err)
			}
			defer rows.Close()
			for rows.Next() {
				e, err := scanEscalation(rows)
				if err != nil {
					return fmt.Errorf("alerts: claim escalations: %w", err)
				}
				out = append(out, e)
			}
			return rows.Err()
		}
		// Polls and placements first (calls already claimed), in one
		// statement.
		if others > 0 {
			if err := take(`'`+statePoll+`', '`+statePlace+`', '`+statePage+`'`, others); err != nil {
				return err
			}
		}
		if calls <= 0 {
			return nil
		}
		// A claimed call takes a line until it ends: the lines in use are
		// the calls in progress and the calls claimed but not placed yet.
		// One statement, so one snapshot: a call that moves from claimed
		// to placing meanwhile is counted once, not zero times.
		var lines int
		if err := s.rowQ(ctx, tx, `SELECT (SELECT count(*) FROM alert_calls WHERE state IN ('placing', 'ringing', 'connected'))
			+ (SELECT count(*) FROM alert_escalations WHERE claimed_until > ? AND state = 'call')`, ms).Scan(&lines); err != nil {
			return fmt.Errorf("alerts: count lines in use: %w", err)
		}
		if free := s.o.MaxConcurrentCalls - lines; free > 0 {
			return take(`'`+stateCall+`'`, min(free, calls))
		}
		return nil
	})
	return out, err
}

// scheduleNext makes sure a job wakes the engine when the next escalation
// falls due (a call held back by the concurrent-call limit waits for a
// poll that frees a line).
func (s *Service) scheduleNext(ctx context.Context) error {
	active, err := s.countActive(ctx, s.st.R)
	if err != nil {
		return err
	}
	states := []string{statePoll, statePlace, statePage}
	if active < s.o.MaxConcurrentCalls {
		states = append(states, stateCall)
	}
	now := s.now()
	var next time.Time
	earliest := func(ms sql.NullInt64) {
		if t := store.NullTime(ms); !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	// Rows nobody holds: due at next_at (one may have fallen due since
	// the last claim: then at once).
	for _, st := range states {
		var ms sql.NullInt64
		if err := s.rowQ(ctx, s.st.R, `SELECT min(next_at) FROM alert_escalations WHERE state = ? AND claimed_until <= ?`, st, store.Millis(now)).Scan(&ms); err != nil {
			return fmt.Errorf("alerts: next escalation: %w", err)
		}
		earliest(ms)
	}
	// Rows another runner holds: it schedules what follows them; if it
	// died, they are free when its claim runs out.
	var ms sql.NullInt64
	if err := s.rowQ(ctx, s.st.R, `SELECT min(claimed_until) FROM alert_escalations WHERE claimed_until > ?`, store.Millis(now)).Scan(&ms); err != nil {
		return fmt.Errorf("alerts: next escalation: %w", err)
	}
	earliest(ms)
	if next.IsZero() {
		return nil
	}
	if next.Before(now) {
		next = now
	}
	return s.wakeAt(ctx, next)
}

// wakeAt makes the engine run at t (engine time): the engine loop of this
// process (Run) if it is running, which is how opsdesk serves; otherwise a
// River job (commands and tests that run the engine without its loop).
// River promotes scheduled jobs every few seconds, so such a job is
// scheduled a little early and snoozes the rest of the way: snoozes that
// short are fetched on time.
func (s *Service) wakeAt(ctx context.Context, t time.Time) error {
	if s.loop.on.Load() {
		s.loop.wakeAt(t)
		return nil
	}
	if s.queue == nil {
		return nil
	}
	wall := s.o.Wall()
	d := max(t.Sub(s.now()), 0)
	at := wall.Add(d)
	at = time.UnixMilli((at.UnixMilli() + 9) / 10 * 10) // 10 ms buckets: one job for rows due together
	opts := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
	if d > 4*time.Second {
		opts.ScheduledAt = at.Add(-4 * time.Second)
	}
	if _, err := s.queue.Insert(ctx, EscalateArgs{At: at.UnixMilli()}, opts); err != nil {
		return fmt.Errorf("alerts: schedule escalation: %w", err)
	}
	return nil
}

// advance runs one claimed escalation as far as it goes now.
func (s *Service) advance(ctx context.Context, e *Escalation) {
	ctx, cancel := context.WithTimeout(ctx, s.o.Lease-s.o.Lease/6)
	defer cancel()
	s.observe(e)
	s.advanceFrom(ctx, e)
}

// observe tells OnStep that a claimed escalation's step starts.
func (s *Service) observe(e *Escalation) { s.observeAs(e.State, e.NextAt) }

// observeAs tells OnStep that a step of state due at due starts now (for
// a call: the call is being placed).
func (s *Service) observeAs(state string, due time.Time) {
	if f := s.onStep.Load(); f != nil {
		(*f)(state, s.now().Sub(due))
	}
}

// advanceFrom runs e's steps one after the other while they follow at
// once (a call claimed is placed at once).
func (s *Service) advanceFrom(ctx context.Context, e *Escalation) {
	cur := e
	for cur != nil {
		var next *Escalation
		var err error
		switch cur.State {
		case stateCall:
			next, err = s.stepCall(ctx, cur)
		case statePlace:
			next, err = s.stepPlace(ctx, cur)
		case statePoll:
			next, err = s.stepPoll(ctx, cur)
		case statePage:
			next, err = s.stepPage(ctx, cur)
		default:
			err = fmt.Errorf("unknown state %q", cur.State)
		}
		if _, due := s.dueNow.LoadAndDelete(cur.AlertID); due {
			s.dueGen.Add(1)
		}
		if err != nil {
			s.o.Log.Error("alerts: escalation step failed; retrying", "alert", cur.AlertID, "state", cur.State, "error", err)
			s.release(cur, errorRetry)
			return
		}
		cur = next
	}
}

// release gives a claimed escalation back, due again after d.
func (s *Service) release(e *Escalation, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := s.now()
	if _, err := s.execQ(ctx, s.st.W, `UPDATE alert_escalations SET claimed_until = 0, next_at = ?, updated_at = ? WHERE alert_id = ? AND step = ?`,
		store.Millis(now.Add(d)), store.Millis(now), e.AlertID, e.Step); err != nil {
		s.o.Log.Warn("alerts: releasing an escalation failed; its claim expires by itself", "alert", e.AlertID, "error", err)
	}
}

// lockStep reads the alert and its escalation for a transition inside tx,
// locking both rows on PostgreSQL (the alert first, as Ack does). ok is
// false when the escalation has moved on (another runner, or it ended).
func (s *Service) lockStep(ctx context.Context, tx *sql.Tx, e *Escalation) (cur *Escalation, a *Alert, ok bool, err error) {
	var al Alert
	var esc Escalation
	var labels string
	var started, received, lastSeen, acked, resolved, updated, next, claimed int64
	err = s.rowQ(ctx, tx, `SELECT `+stepCols+` FROM alerts a JOIN alert_escalations e ON e.alert_id = a.id WHERE a.id = ?`+s.forUpdate(), e.AlertID).Scan(
		&al.ID, &al.System, &al.Policy, &al.Source, &al.DedupKey, &al.Status, &al.Summary, &al.Details, &al.Severity,
		&al.Host, &al.Service, &labels, &started, &received, &al.Via, &al.Repeats, &lastSeen, &acked, &al.AckedBy,
		&resolved, &al.ResolvedBy, &updated, &al.IncidentID,
		&esc.AlertID, &esc.Policy, &esc.State, &esc.Round, &esc.Position, &esc.Step, &esc.CallID, &esc.Attempts, &next, &claimed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, false, nil // the escalation has ended
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("alerts: step %d: %w", e.AlertID, err)
	}
	al.Labels = map[string]string{} // not needed by the engine
	al.StartedAt, al.ReceivedAt, al.LastSeenAt = store.Time(started), store.Time(received), store.Time(lastSeen)
	al.AckedAt, al.ResolvedAt, al.UpdatedAt = store.Time(acked), store.Time(resolved), store.Time(updated)
	esc.NextAt, esc.ClaimedUntil = store.Time(next), store.Time(claimed)
	return &esc, &al, esc.Step == e.Step, nil
}

// stepCols are the alert's and its escalation's columns, read together.
var stepCols = qualify(alertCols, "a.") + ", " + qualify(escCols, "e.")

func qualify(cols, prefix string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// transition moves an escalation on (step + 1) and releases its claim
// unless keep is set.
func (s *Service) transition(ctx context.Context, tx *sql.Tx, cur *Escalation, state string, round, position int, callID int64, attempts int, next time.Time, keep bool, now time.Time) error {
	claimed := int64(0)
	if keep {
		claimed = store.Millis(now.Add(s.o.Lease))
	}
	res, err := s.execQ(ctx, tx, `UPDATE alert_escalations SET state = ?, round = ?, position = ?, call_id = ?, attempts = ?, step = step + 1,
		next_at = ?, claimed_until = ?, placing_until = 0, updated_at = ? WHERE alert_id = ? AND step = ?`,
		state, round, position, callID, attempts, store.Millis(next), claimed, store.Millis(now), cur.AlertID, cur.Step)
	if err != nil {
		return fmt.Errorf("alerts: move escalation of %d: %w", cur.AlertID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("alerts: escalation of %d moved on meanwhile", cur.AlertID)
	}
	if !keep && !next.After(now) {
		// Due at once and left for the runner to claim: advance tells the
		// runner once the step's transaction is over (see runOnce).
		s.dueNow.Store(cur.AlertID, true)
	}
	return nil
}

func (s *Service) dropEscalation(ctx context.Context, tx querier, alertID int64) error {
	if _, err := s.execQ(ctx, tx, `DELETE FROM alert_escalations WHERE alert_id = ?`, alertID); err != nil {
		return fmt.Errorf("alerts: end escalation of %d: %w", alertID, err)
	}
	return nil
}

// stepCall picks the next person who may be called now and claims the
// call; it returns the escalation in state place, still claimed.
func (s *Service) stepCall(ctx context.Context, e *Escalation) (*Escalation, error) {
	now := s.now()
	var next *Escalation
	var notifyIDs []int64
	err := s.groupTx(ctx, func(tx *sql.Tx) error {
		next, notifyIDs = nil, nil
		cur, a, ok, err := s.lockStep(ctx, tx, e)
		if err != nil || !ok {
			return err
		}
		if a.Status != StatusOpen {
			return s.dropEscalation(ctx, tx, a.ID)
		}
		until, err := s.quietUntil(ctx, tx, a.System, now)
		if err != nil {
			return err
		}
		if !until.IsZero() {
			return s.silence(ctx, tx, a, now, "", fmt.Sprintf("%s is quiet until %s: nobody is called", a.System, until.Format(time.RFC3339)))
		}
		sys, err := s.policy(ctx, tx, cur.Policy)
		if errors.Is(err, ErrNotFound) {
			sys, err = nil, nil
		}
		if err != nil {
			return err
		}
		switch {
		case sys == nil:
			notifyIDs, err = s.giveUp(ctx, tx, a, nil, now, fmt.Sprintf("no call list for system %q (add one in the console or alerts.systems)", a.System))
			return err
		case len(sys.Contacts) == 0:
			notifyIDs, err = s.giveUp(ctx, tx, a, sys, now, fmt.Sprintf("the call list of %q is empty", sys.Name))
			return err
		case s.o.Caller == nil:
			notifyIDs, err = s.giveUp(ctx, tx, a, sys, now, "phone calls are not configured (alerts.connect)")
			return err
		}
		round, pos := cur.Round, cur.Position
		for {
			if pos >= len(sys.Contacts) {
				round, pos = round+1, 0
			}
			if round > sys.Rounds {
				notifyIDs, err = s.giveUp(ctx, tx, a, sys, now, fmt.Sprintf("nobody acknowledged in %d rounds", sys.Rounds))
				return err
			}
			c := sys.Contacts[pos]
			why, err := s.skipReason(ctx, tx, c, now)
			if err != nil {
				return err
			}
			if why == "" {
				break
			}
			if err := s.logEntry(ctx, tx, a.ID, now, KindSkipped, c.Name, why, 0); err != nil {
				return err
			}
			pos++
		}
		// The claim reserved a line for this call (max_concurrent_calls).
		c := sys.Contacts[pos]
		token := ClientToken(a.ID, round, pos, c.Phone)
		var callID int64
		err = s.rowQ(ctx, tx, `INSERT INTO alert_calls (alert_id, round, position, callee, phone, language, client_token, state, requested_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'placing', ?, ?) ON CONFLICT (alert_id, round, position) DO NOTHING RETURNING id`,
			a.ID, round, pos, c.Name, c.Phone, c.Language, token, store.Millis(now), store.Millis(now)).Scan(&callID)
		if errors.Is(err, sql.ErrNoRows) {
			// This person was called in this round already (the list was
			// edited meanwhile): go on with the next one.
			if err := s.logEntry(ctx, tx, a.ID, now, KindSkipped, c.Name, "already called in this round", 0); err != nil {
				return err
			}
			return s.transition(ctx, tx, cur, stateCall, round, pos+1, 0, 0, now, false, now)
		}
		if err != nil {
			return fmt.Errorf("alerts: claim call: %w", err)
		}
		if err := s.transition(ctx, tx, cur, statePlace, round, pos, callID, 0, now, true, now); err != nil {
			return err
		}
		next = &Escalation{AlertID: a.ID, Policy: cur.Policy, State: statePlace, Round: round, Position: pos, Step: cur.Step + 1, CallID: callID, NextAt: now}
		if s.st.Engine == store.Postgres {
			// The alert was seen open under its row lock: the intent to call
			// can be written now (see intendCall), saving a transaction.
			if _, err := s.execQ(ctx, tx, `UPDATE alert_escalations SET placing_until = ? WHERE alert_id = ?`, store.Millis(s.intentUntil(ctx)), a.ID); err != nil {
				return fmt.Errorf("alerts: intend call for %d: %w", a.ID, err)
			}
			next.intended = true
		}
		return nil
	})
	s.enqueueNotify(ctx, notifyIDs)
	return next, err
}

// skipReason says why a contact is not called now ("" if they are).
func (s *Service) skipReason(ctx context.Context, q querier, c Contact, now time.Time) (string, error) {
	if why := s.outsideHours(c, now); why != "" {
		return why, nil
	}
	if s.o.PerNumberPerHour > 0 {
		var n int
		if err := s.rowQ(ctx, q, `SELECT count(*) FROM alert_calls WHERE phone = ? AND requested_at > ? AND state <> 'cancelled'`,
			c.Phone, store.Millis(now.Add(-time.Hour))).Scan(&n); err != nil {
			return "", fmt.Errorf("alerts: calls to a number: %w", err)
		}
		if n >= s.o.PerNumberPerHour {
			return fmt.Sprintf("called %d times in the last hour (per_number_max_calls_per_hour %d)", n, s.o.PerNumberPerHour), nil
		}
	}
	return "", nil
}

// outsideHours says why a contact is not called now because of their hours
// ("" if they may be called).
func (s *Service) outsideHours(c Contact, now time.Time) string {
	if h, err := hours.Parse(c.Hours); err == nil && !h.Contains(now, s.o.Location) {
		return fmt.Sprintf("outside their hours (%s, %s)", c.Hours, s.o.Location)
	}
	return ""
}

// ClientToken is the Connect ClientToken of the call to phone at position
// of round for an alert: the same call always gets the same token, so a
// retried or repeated request places no second call.
func ClientToken(alertID int64, round, position int, phone string) string {
	return connect.ClientTokenFor("opsdesk-alert", strconv.FormatInt(alertID, 10), strconv.Itoa(round), strconv.Itoa(position), phone)
}

// stepPlace places the claimed call, under the alert's lock, once it has
// seen the alert still open.
func (s *Service) stepPlace(ctx context.Context, e *Escalation) (*Escalation, error) {
	unlock, err := s.locks.lock(ctx, e.AlertID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Under the lock: the alert's latest committed status, with what the
	// call needs, in one read.
	var a Alert
	var call Call
	var step int64
	var started, received, req int64
	err = s.rowQ(ctx, s.st.R, `SELECT e.step, a.id, a.status, a.system, a.host, a.service, a.summary, a.severity, a.started_at, a.received_at,
		c.id, c.round, c.position, c.callee, c.phone, c.language, c.client_token, c.contact_id, c.requested_at
		FROM alert_escalations e JOIN alerts a ON a.id = e.alert_id JOIN alert_calls c ON c.id = e.call_id WHERE e.alert_id = ?`, e.AlertID).Scan(
		&step, &a.ID, &a.Status, &a.System, &a.Host, &a.Service, &a.Summary, &a.Severity, &started, &received,
		&call.ID, &call.Round, &call.Position, &call.Callee, &call.Phone, &call.Language, &call.ClientToken, &call.ContactID, &req)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil // the escalation ended
	}
	if err != nil {
		return nil, fmt.Errorf("alerts: place call for %d: %w", e.AlertID, err)
	}
	if step != e.Step {
		return nil, nil
	}
	a.StartedAt, a.ReceivedAt, call.RequestedAt = store.Time(started), store.Time(received), store.Time(req)
	call.AlertID = a.ID
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if a.Status != StatusOpen {
		return nil, s.st.Tx(wctx, func(tx *sql.Tx) error {
			if _, ok, err := s.lockedStep(wctx, tx, e); err != nil || !ok {
				return err
			}
			if _, err := s.execQ(wctx, tx, `UPDATE alert_calls SET state = 'cancelled', outcome = 'cancelled', updated_at = ? WHERE id = ? AND contact_id = ''`, store.Millis(s.now()), call.ID); err != nil {
				return err
			}
			return s.dropEscalation(wctx, tx, a.ID)
		})
	}
	contactID := call.ContactID
	if contactID == "" && s.o.Caller != nil && s.st.Engine == store.Postgres && !e.intended {
		// Other replicas do not share this process's lock: record the
		// intent to call, under the alert's row lock, once it is seen open.
		ok, err := s.intendCall(ctx, e)
		if err != nil || !ok {
			return nil, err
		}
	}
	var callErr error
	if contactID == "" && s.o.Caller == nil {
		callErr = errors.New("phone calls are not configured")
	} else if contactID == "" {
		contactID, callErr = s.o.Caller.StartCall(ctx, connect.Call{Destination: call.Phone, Attributes: s.attributes(&a, &call), ClientToken: call.ClientToken})
	}
	if callErr != nil && ctx.Err() != nil {
		// Cut off (shutdown, step timeout): the request may have reached
		// Connect. Leave the claim as it is; the step runs again later
		// with the same ClientToken.
		return nil, fmt.Errorf("alerts: placing call %d interrupted: %w", call.ID, callErr)
	}
	return nil, s.recordPlacement(wctx, e, &a, &call, contactID, callErr)
}

// recordPlacement writes what StartOutboundVoiceContact answered for the
// call of e: ringing (poll it next), an error that may pass (place again
// after a backoff), or a failure (the next person).
func (s *Service) recordPlacement(wctx context.Context, e *Escalation, a *Alert, call *Call, contactID string, callErr error) error {
	now := s.now()
	var notifyIDs []int64
	err := s.groupTx(wctx, func(tx *sql.Tx) error {
		notifyIDs = nil
		cur, ok, err := s.lockedStep(wctx, tx, e)
		if err != nil || !ok {
			return err
		}
		ms := store.Millis(now)
		switch {
		case callErr == nil:
			if _, err := s.execQ(wctx, tx, `UPDATE alert_calls SET contact_id = ?, state = 'ringing', initiated_at = ?, error = '', updated_at = ? WHERE id = ?`,
				contactID, ms, ms, call.ID); err != nil {
				return fmt.Errorf("alerts: record call %d: %w", call.ID, err)
			}
			if err := s.logEntry(wctx, tx, a.ID, now, KindCall, call.Callee, callDetail(call), call.ID); err != nil {
				return err
			}
			return s.transition(wctx, tx, cur, statePoll, cur.Round, cur.Position, cur.CallID, 0, now.Add(s.o.PollInterval), false, now)
		case s.o.IsRetryable(callErr) && cur.Attempts+1 < maxPlaceAttempts:
			if _, err := s.execQ(wctx, tx, `UPDATE alert_calls SET error = ?, updated_at = ? WHERE id = ?`, clip(callErr.Error(), 1000), ms, call.ID); err != nil {
				return fmt.Errorf("alerts: record call %d: %w", call.ID, err)
			}
			backoff := min(time.Duration(1<<cur.Attempts)*2*time.Second, s.o.PollInterval)
			return s.transition(wctx, tx, cur, statePlace, cur.Round, cur.Position, cur.CallID, cur.Attempts+1, now.Add(backoff), false, now)
		default:
			if _, err := s.execQ(wctx, tx, `UPDATE alert_calls SET state = 'failed', outcome = 'failed', error = ?, ended_at = ?, updated_at = ? WHERE id = ?`,
				clip(callErr.Error(), 1000), ms, ms, call.ID); err != nil {
				return fmt.Errorf("alerts: record call %d: %w", call.ID, err)
			}
			if err := s.logEntry(wctx, tx, a.ID, now, KindCallEnded, call.Callee, OutcomeFailed+": "+clip(callErr.Error(), 500), call.ID); err != nil {
				return err
			}
			notifyIDs, err = s.nextCallee(wctx, tx, cur, a, now, 0)
			return err
		}
	})
	s.enqueueNotify(wctx, notifyIDs)
	return err
}

// callDetail is the timeline's line for a call placed.
func callDetail(call *Call) string {
	return fmt.Sprintf("round %d, #%d on the list: %s", call.Round, call.Position+1, maskPhone(call.Phone))
}

// intendCall marks the escalation as placing its call until the step's
// deadline (wall clock), after seeing the alert open under its row lock;
// ok is false when it is not open any more or the step has moved on.
func (s *Service) intendCall(ctx context.Context, e *Escalation) (ok bool, err error) {
	until := s.intentUntil(ctx)
	err = s.groupTx(ctx, func(tx *sql.Tx) error {
		ok = false
		cur, a, fresh, err := s.lockStep(ctx, tx, e)
		if err != nil || !fresh || a.Status != StatusOpen {
			return err
		}
		if _, err := s.execQ(ctx, tx, `UPDATE alert_escalations SET placing_until = ? WHERE alert_id = ? AND step = ?`, store.Millis(until), cur.AlertID, cur.Step); err != nil {
			return fmt.Errorf("alerts: intend call for %d: %w", cur.AlertID, err)
		}
		ok = true
		return nil
	})
	return ok, err
}

// intentUntil is when an intent to call written now runs out: the end of
// the step, on the wall clock.
func (s *Service) intentUntil(ctx context.Context) time.Time {
	until := s.o.Wall().Add(s.o.Lease)
	if d, has := ctx.Deadline(); has && d.Before(until) {
		until = d
	}
	return until
}

// lockedStep is lockStep without the alert.
func (s *Service) lockedStep(ctx context.Context, tx *sql.Tx, e *Escalation) (*Escalation, bool, error) {
	cur, _, ok, err := s.lockStep(ctx, tx, e)
	return cur, ok, err
}

// attributes are the contact attributes the flow reads aloud.
func (s *Service) attributes(a *Alert, c *Call) map[string]string {
	started := a.StartedAt
	if started.IsZero() {
		started = a.ReceivedAt
	}
	lang := c.Language
	if lang == "" {
		lang = connect.DefaultLanguage
	}
	out := map[string]string{
		"alert_id":   strconv.FormatInt(a.ID, 10),
		"systemname": a.System,
		"host":       a.Host,
		"service":    a.Service,
		"summary":    clipRunes(a.Summary, 300),
		"severity":   a.Severity,
		"startdate":  started.In(s.o.Location).Format("2006-01-02 15:04"),
		"language":   lang,
	}
	for k, v := range out {
		if v == "" {
			delete(out, k)
		}
	}
	return out
}

// stepPoll reads how the call is going and, once it has ended, acts on
// its outcome.
func (s *Service) stepPoll(ctx context.Context, e *Escalation) (*Escalation, error) {
	call, err := scanCall(s.rowQ(ctx, s.st.R, `SELECT `+callCols+` FROM alert_calls WHERE id = ?`, e.CallID))
	if err != nil {
		return nil, fmt.Errorf("alerts: call %d: %w", e.CallID, err)
	}
	st, pollErr := s.callStatus(ctx, call)
	if pollErr != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("alerts: polling call %d interrupted: %w", call.ID, pollErr) // runs again later
	}
	return nil, s.recordPoll(ctx, e, call, st, pollErr)
}

// callStatus asks Connect how a call is going; a call still going past
// max_call_duration is hung up here.
func (s *Service) callStatus(ctx context.Context, call *Call) (connect.Status, error) {
	var st connect.Status
	var pollErr error
	switch {
	case s.o.Caller == nil:
		pollErr = errors.New("phone calls are not configured")
	case call.ContactID == "":
		pollErr = errors.New("the call has no contact id")
	default:
		st, pollErr = s.o.Caller.CallStatus(ctx, call.ContactID)
	}
	if pollErr != nil && ctx.Err() != nil {
		return st, pollErr
	}
	now := s.now()
	if pollErr == nil && st.State != connect.StateEnded && now.Sub(call.RequestedAt) >= s.o.MaxCallDuration {
		// Nobody hung up: end it here and move on.
		if err := s.o.Caller.StopCall(ctx, call.ContactID); err != nil {
			s.o.Log.Warn("alerts: hanging up a call past max_call_duration failed", "alert", call.AlertID, "contact", call.ContactID, "error", err)
		}
		if st2, err := s.o.Caller.CallStatus(ctx, call.ContactID); err == nil {
			st = st2
		}
		if st.State != connect.StateEnded {
			st.State, st.EndedAt = connect.StateEnded, now
		}
	}
	return st, pollErr
}

// recordPoll writes what a poll of e's call found and acts on it: polled
// again later while the call goes on; once it ended, key 1 acknowledges,
// key 2 silences the system, anything else moves to the next person.
func (s *Service) recordPoll(ctx context.Context, e *Escalation, call *Call, st connect.Status, pollErr error) error {
	now := s.now()
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var notifyIDs []int64
	// pressed records, once the transaction committed, what a key the
	// callee pressed changed.
	var pressed func()
	err := s.groupTx(wctx, func(tx *sql.Tx) error {
		notifyIDs, pressed = nil, nil
		cur, a, ok, err := s.lockStep(wctx, tx, e)
		if err != nil || !ok {
			return err
		}
		if a.Status != StatusOpen {
			return s.dropEscalation(wctx, tx, a.ID)
		}
		ms := store.Millis(now)
		if pollErr != nil {
			if s.o.IsRetryable(pollErr) && now.Sub(call.RequestedAt) < s.o.MaxCallDuration+2*s.o.PollInterval {
				if _, err := s.execQ(wctx, tx, `UPDATE alert_calls SET error = ?, updated_at = ? WHERE id = ?`, clip(pollErr.Error(), 1000), ms, call.ID); err != nil {
					return fmt.Errorf("alerts: record call %d: %w", call.ID, err)
				}
				retry := min(time.Duration(1<<min(cur.Attempts, 5))*time.Second, s.o.PollInterval)
				return s.transition(wctx, tx, cur, statePoll, cur.Round, cur.Position, cur.CallID, cur.Attempts+1, now.Add(retry), false, now)
			}
			if _, err := s.execQ(wctx, tx, `UPDATE alert_calls SET state = 'failed', outcome = 'failed', error = ?, ended_at = ?, updated_at = ? WHERE id = ?`,
				clip(pollErr.Error(), 1000), ms, ms, call.ID); err != nil {
				return fmt.Errorf("alerts: record call %d: %w", call.ID, err)
			}
			if err := s.logEntry(wctx, tx, a.ID, now, KindCallEnded, call.Callee, OutcomeFailed+": "+clip(pollErr.Error(), 500), call.ID); err != nil {
				return err
			}
			notifyIDs, err = s.nextCallee(wctx, tx, cur, a, now, 0)
			return err
		}
		state := CallRinging
		switch st.State {
		case connect.StateConnected:
			state = CallConnected
		case connect.StateEnded:
			state = CallEnded
		}
		outcome := ""
		if state == CallEnded {
			outcome = classify(st)
		}
		initiated := call.InitiatedAt
		if !st.InitiatedAt.IsZero() {
			initiated = st.InitiatedAt
		}
		if _, err := s.execQ(wctx, tx, `UPDATE alert_calls SET state = ?, initiated_at = ?,
			answered_at = ?, ended_at = ?, disconnect_reason = ?, key_pressed = ?, outcome = ?, error = '', polls = polls + 1, updated_at = ? WHERE id = ?`,
			state, millisOrZero(initiated), millisOrZero(st.ConnectedAt), millisOrZero(st.EndedAt),
			clip(st.DisconnectReason, 100), clip(strings.TrimSpace(st.Key), 20), outcome, ms, call.ID); err != nil {
			return fmt.Errorf("alerts: record call %d: %w", call.ID, err)
		}
		if state != CallEnded {
			return s.transition(wctx, tx, cur, statePoll, cur.Round, cur.Position, cur.CallID, 0, now.Add(s.o.PollInterval), false, now)
		}
		detail := outcome
		if st.Key != "" {
			detail += ", key " + clip(strings.TrimSpace(st.Key), 20)
		}
		if st.DisconnectReason != "" {
			detail += ", " + st.DisconnectReason
		}
		if err := s.logEntry(wctx, tx, a.ID, now, KindCallEnded, call.Callee, detail, call.ID); err != nil {
			return err
		}
		switch outcome {
		case OutcomeAcknowledged:
			actor := clip(call.Callee+" (phone)", 200)
			if _, err := s.execQ(wctx, tx, `UPDATE alerts SET status = 'acknowledged', acked_at = ?, acked_by = ?, updated_at = ? WHERE id = ? AND status = 'open'`, ms, actor, ms, a.ID); err != nil {
				return fmt.Errorf("alerts: acknowledge %d: %w", a.ID, err)
			}
			if err := s.logEntry(wctx, tx, a.ID, now, KindAck, actor, "key 1", call.ID); err != nil {
				return err
			}
			if a.IncidentID > 0 {
				if err := s.incidentFollows(wctx, tx, a.IncidentID, StatusAcknowledged, actor, now); err != nil {
					return err
				}
			}
			pressed = func() {
				s.recordAs(wctx, phoneActor(call), "alert.acknowledge", alertTarget(a), "key 1: "+a.Summary)
				if a.IncidentID > 0 {
					// The rest of the incident is acknowledged with it.
					if err := s.ackMembers(wctx, a.IncidentID, a.ID, call.Callee, "phone"); err != nil {
						s.o.Log.Warn("alerts: acknowledging the rest of an incident failed", "incident", a.IncidentID, "error", err)
					}
				}
			}
			return s.dropEscalation(wctx, tx, a.ID)
		case OutcomeQuiet:
			period := 12 * time.Hour
			if sys, err := s.policy(wctx, tx, cur.Policy); err == nil && sys.Quiet > 0 {
				period = sys.Quiet
			}
			q, err := s.insertQuiet(wctx, tx, a.System, now, now.Add(period), a.ID, call.Callee, "key 2")
			if err != nil {
				return err
			}
			pressed = func() {
				s.recordAs(wctx, phoneActor(call), "quiet.start", "system "+a.System, "key 2 on "+alertTarget(a)+": "+quietDetail(q))
			}
			return s.silence(wctx, tx, a, now, call.Callee+" (phone)", fmt.Sprintf("key 2: %s is quiet until %s", a.System, q.EndsAt.Format(time.RFC3339)))
		}
		wait := time.Duration(0)
		if sys, err := s.policy(wctx, tx, cur.Policy); err == nil {
			wait = sys.Wait
		}
		notifyIDs, err = s.nextCallee(wctx, tx, cur, a, now, wait)
		return err
	})
	s.enqueueNotify(wctx, notifyIDs)
	if err == nil && pressed != nil {
		pressed()
	}
	return err
}

// classify reads what a call that ended means for the escalation.
func classify(st connect.Status) string {
	switch strings.TrimSpace(st.Key) {
	case "1":
		return OutcomeAcknowledged
	case "2":
		return OutcomeQuiet
	case "3":
		return OutcomeNext
	}
	if st.Answered() {
		return OutcomeVoicemail
	}
	switch st.DisconnectReason {
	case "TELECOM_BUSY":
		return OutcomeBusy
	case "", "TELECOM_ORIGINATOR_CANCEL", "TELECOM_UNANSWERED", "TELECOM_TIMEOUT", "CUSTOMER_DISCONNECT", "AGENT_DISCONNECT", "OTHER", "EXPIRED":
		return OutcomeNoAnswer
	}
	return OutcomeFailed
}

// nextCallee moves the escalation to the next person after wait, or gives
// up when that was the last person of the last round.
func (s *Service) nextCallee(ctx context.Context, tx *sql.Tx, cur *Escalation, a *Alert, now time.Time, wait time.Duration) ([]int64, error) {
	sys, err := s.policy(ctx, tx, cur.Policy)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	pos := cur.Position + 1
	if sys != nil && pos >= len(sys.Contacts) && cur.Round >= sys.Rounds {
		return s.giveUp(ctx, tx, a, sys, now, fmt.Sprintf("nobody acknowledged in %d rounds", sys.Rounds))
	}
	return nil, s.transition(ctx, tx, cur, stateCall, cur.Round, pos, 0, 0, now.Add(wait), false, now)
}

// silence makes an open alert quiet and ends its escalation.
func (s *Service) silence(ctx context.Context, tx querier, a *Alert, now time.Time, actor, detail string) error {
	ms := store.Millis(now)
	if _, err := s.execQ(ctx, tx, `UPDATE alerts SET status = 'quiet', updated_at = ? WHERE id = ? AND status IN ('open', 'unacknowledged')`, ms, a.ID); err != nil {
		return fmt.Errorf("alerts: quiet %d: %w", a.ID, err)
	}
	if err := s.logEntry(ctx, tx, a.ID, now, KindQuiet, actor, detail, 0); err != nil {
		return err
	}
	return s.dropEscalation(ctx, tx, a.ID)
}

// giveUp marks an open alert unacknowledged, ends its escalation and
// queues its notifications; it returns their ids for enqueueNotify.
func (s *Service) giveUp(ctx context.Context, tx querier, a *Alert, sys *System, now time.Time, reason string) ([]int64, error) {
	ms := store.Millis(now)
	if _, err := s.execQ(ctx, tx, `UPDATE alerts SET status = 'unacknowledged', updated_at = ? WHERE id = ? AND status = 'open'`, ms, a.ID); err != nil {
		return nil, fmt.Errorf("alerts: give up %d: %w", a.ID, err)
	}
	if err := s.logEntry(ctx, tx, a.ID, now, KindGaveUp, "", reason, 0); err != nil {
		return nil, err
	}
	if err := s.dropEscalation(ctx, tx, a.ID); err != nil {
		return nil, err
	}
	if sys == nil {
		return nil, nil
	}
	var ids []int64
	for _, d := range sys.Notify {
		var id int64
		err := s.rowQ(ctx, tx, `INSERT INTO alert_notifications (alert_id, destination, reason, status, created_at, updated_at)
			VALUES (?, ?, 'unacknowledged', 'pending', ?, ?) ON CONFLICT (alert_id, destination, reason) DO NOTHING RETURNING id`, a.ID, d, ms, ms).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("alerts: queue notification of %d: %w", a.ID, err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// ReleaseReplica frees the escalations claimed by a replica that died
// (fleet's release hook): their steps run on the others now instead of when
// the claims run out. The dead replica's intent to place a call is dropped
// with its claim: the step placing it runs again with the same ClientToken,
// so Connect places no second call.
func (s *Service) ReleaseReplica(ctx context.Context, replicaID string) (int, error) {
	res, err := s.execQ(ctx, s.st.W, `UPDATE alert_escalations SET claimed_until = 0, placing_until = 0 WHERE claimed_by = ? AND claimed_until > 0`, replicaID)
	if err != nil {
		return 0, fmt.Errorf("alerts: release claims of %s: %w", replicaID, err)
	}
	n, _ := res.RowsAffected()
	// Its pages too: those it was sending become unknown at once (they
	// are never sent again), the others are sent by this replica.
	pres, err := s.execQ(ctx, s.st.W, `UPDATE alert_pages SET claimed_until = 0 WHERE claimed_by = ? AND claimed_until > 0 AND status IN ('pending', 'sending', 'ringing')`, replicaID)
	if err != nil {
		return int(n), fmt.Errorf("alerts: release pages of %s: %w", replicaID, err)
	}
	if pn, _ := pres.RowsAffected(); pn > 0 {
		s.kickPages()
	}
	if n > 0 {
		s.kick(ctx)
	}
	return int(n), nil
}

// ReleaseClaims frees every claimed escalation. On SQLite, whose database
// belongs to one process, claims found at start-up were left by a process
// that died: its steps run again at once instead of after the lease.
func (s *Service) ReleaseClaims(ctx context.Context) (int, error) {
	res, err := s.st.W.ExecContext(ctx, `UPDATE alert_escalations SET claimed_until = 0 WHERE claimed_until <> 0`)
	if err != nil {
		return 0, fmt.Errorf("alerts: release claims: %w", err)
	}
	if _, err := s.st.W.ExecContext(ctx, `UPDATE alert_pages SET claimed_until = 0 WHERE claimed_until <> 0 AND status IN ('pending', 'sending', 'ringing')`); err != nil {
		return 0, fmt.Errorf("alerts: release pages: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// PollNow runs the poll of the call with this Connect contact id now
// instead of at its next interval (an Amazon Connect contact event says
// something happened). It reports whether such a call was waiting.
func (s *Service) PollNow(ctx context.Context, contactID string) (*Call, bool, error) {
	call, err := s.CallByContact(ctx, contactID)
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	now := store.Millis(s.now())
	res, err := s.execQ(ctx, s.st.W, `UPDATE alert_escalations SET next_at = ? WHERE alert_id = ? AND call_id = ? AND state = 'poll' AND next_at > ?`,
		now, call.AlertID, call.ID, now)
	if err != nil {
		return call, false, fmt.Errorf("alerts: poll %s now: %w", contactID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return call, false, nil
	}
	return call, true, s.RunDue(ctx, true)
}

func maskPhone(n string) string {
	if len(n) < 8 {
		return strings.Repeat("*", len(n))
	}
	return n[:4] + strings.Repeat("*", len(n)-7) + n[len(n)-3:]
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
