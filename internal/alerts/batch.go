package alerts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Calls in batches. When many alerts open at once (a network partition, a
// region failing), the call steps fall due together. Run one by one, each
// costs two transactions of several statements; on PostgreSQL every
// statement is a round trip, and a thousand calls would queue behind one
// another for seconds. So the call steps a runner claims together are
// taken together: one transaction claims the calls of every escalation
// that goes the plain way (alert open, system not quiet, the next person
// may be called now), the calls are placed at once, and one transaction
// records them. Anything else — an alert that ended, a quiet system, a
// person outside their hours or over the per-number limit, a list that
// ran out, Connect refusing — goes the one-by-one way (stepCall,
// stepPlace), which says why in the timeline.

// advanceCalls runs the call steps of claimed escalations (state call).
func (s *Service) advanceCalls(ctx context.Context, es []*Escalation) {
	ctx, cancel := context.WithTimeout(ctx, s.o.Lease-s.o.Lease/6)
	defer cancel()
	placed, slow, err := s.claimCalls(ctx, es)
	if err != nil {
		s.o.Log.Warn("alerts: claiming calls together failed; one by one instead", "count", len(es), "error", err)
		placed, slow = nil, es
	}
	var wg sync.WaitGroup
	for _, e := range slow {
		s.observe(e)
		wg.Add(1)
		go func() { defer wg.Done(); s.advanceFrom(ctx, e) }()
	}
	if len(placed) > 0 {
		s.placeCalls(ctx, placed)
	}
	wg.Wait()
}

// claimCalls moves the escalations that go the plain way to state place,
// still claimed, with their calls claimed (alert_calls rows) and, on
// PostgreSQL, the intent to call written; it returns them, and the others
// for the one-by-one way. Escalations that moved on meanwhile are in
// neither.
func (s *Service) claimCalls(ctx context.Context, es []*Escalation) (placed, slow []*Escalation, err error) {
	if s.o.Caller == nil {
		return nil, es, nil
	}
	now := s.now()
	ms := store.Millis(now)
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		placed, slow = nil, nil
		cur, alerts, err := s.lockSteps(ctx, tx, es)
		if err != nil {
			return err
		}
		quiet, err := s.quietSystems(ctx, tx, now)
		if err != nil {
			return err
		}
		type pick struct {
			e     *Escalation
			c     Contact
			round int
			pos   int
		}
		var picks []pick
		var phones []string
		for _, e := range es {
			c, ok := cur[e.AlertID]
			if !ok || c.Step != e.Step {
				continue // moved on or ended
			}
			a := alerts[e.AlertID]
			if a.Status != StatusOpen {
				slow = append(slow, e)
				continue
			}
			if until, q := quiet[a.System]; q && until.After(now) {
				slow = append(slow, e)
				continue
			}
			sys, err := s.policy(ctx, tx, c.Policy)
			if err != nil || len(sys.Contacts) == 0 {
				slow = append(slow, e)
				continue
			}
			round, pos := c.Round, c.Position
			if pos >= len(sys.Contacts) {
				round, pos = round+1, 0
			}
			if round > sys.Rounds {
				slow = append(slow, e)
				continue
			}
			contact := sys.Contacts[pos]
			if s.outsideHours(contact, now) != "" {
				slow = append(slow, e)
				continue
			}
			picks = append(picks, pick{e: c, c: contact, round: round, pos: pos})
			phones = append(phones, contact.Phone)
		}
		if s.o.PerNumberPerHour > 0 && len(picks) > 0 {
			counts, err := s.callsPerNumber(ctx, tx, phones, now)
			if err != nil {
				return err
			}
			kept := picks[:0]
			for _, p := range picks {
				if counts[p.c.Phone] >= s.o.PerNumberPerHour {
					slow = append(slow, p.e)
					continue
				}
				counts[p.c.Phone]++
				kept = append(kept, p)
			}
			picks = kept
		}
		if len(picks) == 0 {
			return nil
		}
		// The calls: one row each, unique per (alert, round, position). A
		// row that exists already (the list was edited meanwhile) comes
		// back empty; that escalation goes the one-by-one way, which moves
		// on to the next person.
		args := make([]any, 0, 10*len(picks))
		for _, p := range picks {
			args = append(args, p.e.AlertID, p.round, p.pos, p.c.Name, p.c.Phone, p.c.Language, ClientToken(p.e.AlertID, p.round, p.pos, p.c.Phone), "placing", ms, ms)
		}
		rows, err := tx.QueryContext(ctx, `INSERT INTO alert_calls (alert_id, round, position, callee, phone, language, client_token, state, requested_at, updated_at)
			VALUES `+s.st.Rows(len(picks), 10)+` ON CONFLICT (alert_id, round, position) DO NOTHING RETURNING id, alert_id`, args...)
		if err != nil {
			return fmt.Errorf("alerts: claim calls: %w", err)
		}
		callOf := map[int64]int64{}
		for rows.Next() {
			var id, alertID int64
			if err := rows.Scan(&id, &alertID); err != nil {
				rows.Close()
				return fmt.Errorf("alerts: claim calls: %w", err)
			}
			callOf[alertID] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("alerts: claim calls: %w", err)
		}
		var moved []any
		for _, p := range picks {
			id, ok := callOf[p.e.AlertID]
			if !ok {
				slow = append(slow, p.e)
				continue
			}
			moved = append(moved, p.e.AlertID, p.e.Step, p.round, p.pos, id)
			// NextAt keeps the call step's due time: how late the call is
			// placed is measured against it (observeAs).
			placed = append(placed, &Escalation{AlertID: p.e.AlertID, Policy: p.e.Policy, State: statePlace, Round: p.round, Position: p.pos,
				Step: p.e.Step + 1, CallID: id, NextAt: p.e.NextAt, intended: s.st.Engine == store.Postgres})
		}
		if len(placed) == 0 {
			return nil
		}
		// The escalations move on to place, still claimed; on PostgreSQL
		// with the intent to call, written under the alerts' row locks
		// after seeing them open (see intendCall).
		intent := int64(0)
		if s.st.Engine == store.Postgres {
			intent = store.Millis(s.intentUntil(ctx))
		}
		res, err := tx.ExecContext(ctx, `WITH v (id, step, round, position, call_id) AS (VALUES `+s.values(len(placed), 5)+`)
			UPDATE alert_escalations SET state = 'place', round = v.round, position = v.position, call_id = v.call_id, attempts = 0,
				step = alert_escalations.step + 1, next_at = `+strconv.FormatInt(ms, 10)+`, claimed_until = `+strconv.FormatInt(store.Millis(now.Add(s.o.Lease)), 10)+`,
				placing_until = `+strconv.FormatInt(intent, 10)+`, updated_at = `+strconv.FormatInt(ms, 10)+`
			FROM v WHERE alert_escalations.alert_id = v.id AND alert_escalations.step = v.step`, moved...)
		if err != nil {
			return fmt.Errorf("alerts: move escalations to place: %w", err)
		}
		if n, _ := res.RowsAffected(); int(n) != len(placed) {
			return fmt.Errorf("alerts: move escalations to place: %d of %d moved", n, len(placed))
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return placed, slow, nil
}

// lockSteps reads the alerts and escalations of es inside tx, locking them
// on PostgreSQL (the alert first, as Ack does), by alert id.
func (s *Service) lockSteps(ctx context.Context, tx *sql.Tx, es []*Escalation) (map[int64]*Escalation, map[int64]*Alert, error) {
	ids := make([]any, len(es))
	for i, e := range es {
		ids[i] = e.AlertID
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+stepCols+` FROM alerts a JOIN alert_escalations e ON e.alert_id = a.id WHERE a.id IN `+s.st.Rows(1, len(ids))+` ORDER BY a.id`+s.forUpdate(), ids...)
	if err != nil {
		return nil, nil, fmt.Errorf("alerts: steps: %w", err)
	}
	defer rows.Close()
	escs, alerts := map[int64]*Escalation{}, map[int64]*Alert{}
	for rows.Next() {
		var al Alert
		var esc Escalation
		var labels string
		var started, received, lastSeen, acked, resolved, updated, next, claimed int64
		if err := rows.Scan(&al.ID, &al.System, &al.Policy, &al.Source, &al.DedupKey, &al.Status, &al.Summary, &al.Details, &al.Severity,
			&al.Host, &al.Service, &labels, &started, &received, &al.Via, &al.Repeats, &lastSeen, &acked, &al.AckedBy,
			&resolved, &al.ResolvedBy, &updated, &al.IncidentID,
			&esc.AlertID, &esc.Policy, &esc.State, &esc.Round, &esc.Position, &esc.Step, &esc.CallID, &esc.Attempts, &next, &claimed); err != nil {
			return nil, nil, fmt.Errorf("alerts: steps: %w", err)
		}
		al.StartedAt, al.ReceivedAt = store.Time(started), store.Time(received)
		esc.NextAt, esc.ClaimedUntil = store.Time(next), store.Time(claimed)
		escs[esc.AlertID], alerts[al.ID] = &esc, &al
	}
	return escs, alerts, rows.Err()
}

// callsPerNumber counts the calls to each phone in the last hour.
func (s *Service) callsPerNumber(ctx context.Context, q querier, phones []string, now time.Time) (map[string]int, error) {
	slices.Sort(phones)
	phones = slices.Compact(phones)
	args := make([]any, 0, len(phones)+1)
	args = append(args, store.Millis(now.Add(-time.Hour)))
	for _, p := range phones {
		args = append(args, p)
	}
	rows, err := q.QueryContext(ctx, s.st.Q(`SELECT phone, count(*) FROM alert_calls WHERE requested_at > ? AND state <> 'cancelled' AND phone IN `+s.marks(len(phones))+` GROUP BY phone`), args...)
	if err != nil {
		return nil, fmt.Errorf("alerts: calls to numbers: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var p string
		var n int
		if err := rows.Scan(&p, &n); err != nil {
			return nil, fmt.Errorf("alerts: calls to numbers: %w", err)
		}
		out[p] = n
	}
	return out, rows.Err()
}

// marks is "(?, ?, …)" with n marks, for statements rebound by Q.
func (s *Service) marks(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

// values is the VALUES list of rows of cols bigint columns; on PostgreSQL
// the first row's parameters are typed, which types the columns.
func (s *Service) values(rows, cols int) string {
	v := s.st.Rows(rows, cols)
	if s.st.Engine != store.Postgres {
		return v
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(v); i++ {
		b.WriteByte(v[i])
		if v[i] == '$' {
			j := i + 1
			for j < len(v) && v[j] >= '0' && v[j] <= '9' {
				j++
			}
			b.WriteString(v[i+1 : j])
			i = j - 1
			if n++; n <= cols {
				b.WriteString("::bigint")
			}
		}
	}
	return b.String()
}

// placement is a call about to be placed: the escalation (state place,
// claimed), its alert and its call, as read under the alert's lock.
type placement struct {
	e         *Escalation
	a         Alert
	call      Call
	contactID string
	err       error
	// answered: StartCall returned (a goroutine that died in it left the
	// request's fate unknown, as a crash would).
	answered bool
}

// placeCalls places the calls of escalations in state place (claimed by
// claimCalls) at once and records them together. Calls that cannot go the
// plain way are placed one by one (stepPlace).
func (s *Service) placeCalls(ctx context.Context, es []*Escalation) {
	slices.SortFunc(es, func(a, b *Escalation) int { return int(a.AlertID - b.AlertID) })
	// The alerts' locks, in id order: an acknowledgement committed before
	// a lock is taken is seen below, and none is committed while it is
	// held (see alertLocks).
	unlocks := map[int64]func(){}
	unlockAll := func() {
		for id, u := range unlocks {
			u()
			delete(unlocks, id)
		}
	}
	defer unlockAll()
	for _, e := range es {
		unlock, err := s.locks.lock(ctx, e.AlertID)
		if err != nil {
			// Cut off (shutdown, step timeout): the steps run again.
			unlockAll()
			for _, e := range es {
				s.release(e, errorRetry)
			}
			return
		}
		unlocks[e.AlertID] = unlock
	}
	ps, slow, err := s.readPlacements(ctx, es)
	if err != nil {
		unlockAll()
		s.o.Log.Error("alerts: reading calls to place failed; retrying", "count", len(es), "error", err)
		for _, e := range es {
			s.release(e, errorRetry)
		}
		return
	}
	// Those that cannot go the plain way run one by one once their locks
	// are given back (stepPlace takes them itself).
	var slowWG sync.WaitGroup
	defer slowWG.Wait()
	for _, e := range slow {
		s.observeAs(stateCall, e.NextAt)
		if u := unlocks[e.AlertID]; u != nil {
			u()
			delete(unlocks, e.AlertID)
		}
		slowWG.Add(1)
		go func() { defer slowWG.Done(); s.advanceFrom(ctx, e) }()
	}
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.contactID, p.err = s.o.Caller.StartCall(ctx, connect.Call{Destination: p.call.Phone, Attributes: s.attributes(&p.a, &p.call), ClientToken: p.call.ClientToken})
			p.answered = true
			// How late the call step was: when Connect answered that the
			// call is placed.
			s.observeAs(stateCall, p.e.NextAt)
		}()
	}
	wg.Wait()
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var ok []*placement
	for _, p := range ps {
		switch {
		case !p.answered:
			// Unknown whether Connect took the request: leave the claim as
			// it is, like a crash; the step runs again when it runs out,
			// with the same ClientToken.
			s.o.Log.Error("alerts: placing a call ended without an answer", "alert", p.a.ID)
		case p.err != nil && ctx.Err() != nil:
			// Cut off (shutdown, step timeout): the request may have
			// reached Connect. The step runs again later with the same
			// ClientToken.
			s.o.Log.Error("alerts: placing a call interrupted; retrying", "alert", p.a.ID, "error", p.err)
			s.release(p.e, errorRetry)
		case p.err != nil:
			if err := s.recordPlacement(wctx, p.e, &p.a, &p.call, "", p.err); err != nil {
				s.o.Log.Error("alerts: recording a call failed; retrying", "alert", p.a.ID, "error", err)
				s.release(p.e, errorRetry)
			}
		default:
			ok = append(ok, p)
		}
	}
	if len(ok) == 0 {
		return
	}
	if err := s.recordPlacements(wctx, ok); err != nil {
		s.o.Log.Warn("alerts: recording calls together failed; one by one instead", "count", len(ok), "error", err)
		for _, p := range ok {
			if err := s.recordPlacement(wctx, p.e, &p.a, &p.call, p.contactID, nil); err != nil {
				s.o.Log.Error("alerts: recording a call failed; retrying", "alert", p.a.ID, "error", err)
				s.release(p.e, errorRetry)
			}
		}
	}
}

// readPlacements reads, under the alerts' locks, the alerts and calls of
// escalations about to place their calls: those still open with a call not
// placed yet go the plain way; the others (ended, placed already, step
// moved on) go one by one, or nowhere when the escalation is gone.
func (s *Service) readPlacements(ctx context.Context, es []*Escalation) (ps []*placement, slow []*Escalation, err error) {
	ids := make([]any, len(es))
	for i, e := range es {
		ids[i] = e.AlertID
	}
	rows, err := s.st.R.QueryContext(ctx, `SELECT e.step, a.id, a.status, a.system, a.host, a.service, a.summary, a.severity, a.started_at, a.received_at,
		c.id, c.round, c.position, c.callee, c.phone, c.language, c.client_token, c.contact_id, c.requested_at
		FROM alert_escalations e JOIN alerts a ON a.id = e.alert_id JOIN alert_calls c ON c.id = e.call_id WHERE e.alert_id IN `+s.st.Rows(1, len(ids)), ids...)
	if err != nil {
		return nil, nil, fmt.Errorf("alerts: calls to place: %w", err)
	}
	defer rows.Close()
	byID := map[int64]*placement{}
	for rows.Next() {
		p := &placement{}
		var step, started, received, req int64
		if err := rows.Scan(&step, &p.a.ID, &p.a.Status, &p.a.System, &p.a.Host, &p.a.Service, &p.a.Summary, &p.a.Severity, &started, &received,
			&p.call.ID, &p.call.Round, &p.call.Position, &p.call.Callee, &p.call.Phone, &p.call.Language, &p.call.ClientToken, &p.call.ContactID, &req); err != nil {
			return nil, nil, fmt.Errorf("alerts: calls to place: %w", err)
		}
		p.a.StartedAt, p.a.ReceivedAt, p.call.RequestedAt = store.Time(started), store.Time(received), store.Time(req)
		p.call.AlertID = p.a.ID
		p.e = &Escalation{Step: step}
		byID[p.a.ID] = p
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("alerts: calls to place: %w", err)
	}
	for _, e := range es {
		p := byID[e.AlertID]
		switch {
		case p == nil || p.e.Step != e.Step:
			// The escalation ended or moved on.
		case p.a.Status != StatusOpen || p.call.ContactID != "" || p.call.ID != e.CallID:
			slow = append(slow, e)
		default:
			p.e = e
			ps = append(ps, p)
		}
	}
	return ps, slow, nil
}

// recordPlacements records calls placed (ringing now) in one transaction:
// their contact ids, a line each in the timeline, and their escalations
// moved on to poll. Any escalation that moved on meanwhile fails the whole
// transaction, which is then done one by one.
func (s *Service) recordPlacements(ctx context.Context, ps []*placement) error {
	now := s.now()
	ms := store.Millis(now)
	es := make([]*Escalation, len(ps))
	for i, p := range ps {
		es[i] = p.e
	}
	return s.st.Tx(ctx, func(tx *sql.Tx) error {
		cur, _, err := s.lockSteps(ctx, tx, es)
		if err != nil {
			return err
		}
		calls := make([]any, 0, 3*len(ps))
		logs := make([]any, 0, 6*len(ps))
		moved := make([]any, 0, 2*len(ps))
		for _, p := range ps {
			if c, ok := cur[p.e.AlertID]; !ok || c.Step != p.e.Step {
				return errors.New("an escalation moved on meanwhile")
			}
			calls = append(calls, p.call.ID, p.contactID)
			logs = append(logs, p.a.ID, ms, KindCall, p.call.Callee, callDetail(&p.call), p.call.ID)
			moved = append(moved, p.e.AlertID, p.e.Step)
		}
		if _, err := tx.ExecContext(ctx, `WITH v (id, contact_id) AS (VALUES `+s.callValues(len(ps))+`)
			UPDATE alert_calls SET contact_id = v.contact_id, state = 'ringing', initiated_at = `+strconv.FormatInt(ms, 10)+`, error = '', updated_at = `+strconv.FormatInt(ms, 10)+`
			FROM v WHERE alert_calls.id = v.id`, calls...); err != nil {
			return fmt.Errorf("alerts: record calls: %w", err)
		}
		if err := s.insertRows(ctx, tx, `INSERT INTO alert_log (alert_id, at, kind, actor, detail, call_id) VALUES `, 6, len(ps), logs); err != nil {
			return fmt.Errorf("alerts: record calls: %w", err)
		}
		res, err := tx.ExecContext(ctx, `WITH v (id, step) AS (VALUES `+s.values(len(ps), 2)+`)
			UPDATE alert_escalations SET state = 'poll', attempts = 0, step = alert_escalations.step + 1,
				next_at = `+strconv.FormatInt(store.Millis(now.Add(s.o.PollInterval)), 10)+`, claimed_until = 0, placing_until = 0, updated_at = `+strconv.FormatInt(ms, 10)+`
			FROM v WHERE alert_escalations.alert_id = v.id AND alert_escalations.step = v.step`, moved...)
		if err != nil {
			return fmt.Errorf("alerts: record calls: %w", err)
		}
		if n, _ := res.RowsAffected(); int(n) != len(ps) {
			return fmt.Errorf("alerts: record calls: %d of %d escalations moved on", n, len(ps))
		}
		return nil
	})
}

// callValues is the VALUES list of (call id, contact id) rows.
func (s *Service) callValues(rows int) string {
	v := s.st.Rows(rows, 2)
	if s.st.Engine == store.Postgres {
		v = strings.Replace(v, "($1, $2)", "($1::bigint, $2::text)", 1)
	}
	return v
}

// polled is a call whose status was asked for.
type polled struct {
	e    *Escalation
	call *Call
	st   connect.Status
	err  error
}

// advancePolls runs the poll steps of claimed escalations (state poll):
// the calls' status is asked at once, the calls still going are recorded
// together, and every other outcome (a call that ended, an error, an alert
// that ended meanwhile) one by one (recordPoll).
func (s *Service) advancePolls(ctx context.Context, es []*Escalation) {
	ctx, cancel := context.WithTimeout(ctx, s.o.Lease-s.o.Lease/6)
	defer cancel()
	calls, err := s.callsOf(ctx, es)
	if err != nil {
		s.o.Log.Error("alerts: reading calls to poll failed; retrying", "count", len(es), "error", err)
		for _, e := range es {
			s.release(e, errorRetry)
		}
		return
	}
	ps := make([]*polled, 0, len(es))
	var wg sync.WaitGroup
	for _, e := range es {
		call := calls[e.CallID]
		if call == nil {
			s.release(e, errorRetry) // the call of a step that moved on
			continue
		}
		p := &polled{e: e, call: call}
		ps = append(ps, p)
		s.observe(e)
		wg.Add(1)
		go func() { defer wg.Done(); p.st, p.err = s.callStatus(ctx, p.call) }()
	}
	wg.Wait()
	var going, ended, rest []*polled
	for _, p := range ps {
		switch {
		case p.err != nil && ctx.Err() != nil:
			s.o.Log.Error("alerts: polling a call interrupted; retrying", "alert", p.e.AlertID, "error", p.err)
			s.release(p.e, errorRetry)
		case p.err == nil && p.st.State != connect.StateEnded:
			going = append(going, p)
		case p.err == nil && movesOn(classify(p.st)):
			ended = append(ended, p)
		default:
			rest = append(rest, p)
		}
	}
	if len(ended) > 0 {
		more, err := s.recordMovesOn(ctx, ended)
		if err != nil {
			s.o.Log.Warn("alerts: recording ended calls together failed; one by one instead", "count", len(ended), "error", err)
			more = ended
		}
		rest = append(rest, more...)
	}
	if len(going) > 0 {
		more, err := s.recordGoing(ctx, going)
		if err != nil {
			s.o.Log.Warn("alerts: recording polls together failed; one by one instead", "count", len(going), "error", err)
			more = going
		}
		rest = append(rest, more...)
	}
	for _, p := range rest {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.recordPoll(ctx, p.e, p.call, p.st, p.err); err != nil {
				s.o.Log.Error("alerts: escalation step failed; retrying", "alert", p.e.AlertID, "state", p.e.State, "error", err)
				s.release(p.e, errorRetry)
			}
			if _, due := s.dueNow.LoadAndDelete(p.e.AlertID); due {
				s.dueGen.Add(1)
			}
		}()
	}
	wg.Wait()
}

// callsOf reads the calls of escalations by call id.
func (s *Service) callsOf(ctx context.Context, es []*Escalation) (map[int64]*Call, error) {
	ids := make([]any, len(es))
	for i, e := range es {
		ids[i] = e.CallID
	}
	rows, err := s.st.R.QueryContext(ctx, `SELECT `+callCols+` FROM alert_calls WHERE id IN `+s.st.Rows(1, len(ids)), ids...)
	if err != nil {
		return nil, fmt.Errorf("alerts: calls to poll: %w", err)
	}
	defer rows.Close()
	out := map[int64]*Call{}
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, fmt.Errorf("alerts: calls to poll: %w", err)
		}
		out[c.ID] = c
	}
	return out, rows.Err()
}

// recordGoing records, in one transaction, the polls of calls still
// ringing or connected: the call's state, and the escalation polled again
// after the poll interval. It returns the polls it left for recordPoll: of
// alerts that are not open any more.
func (s *Service) recordGoing(ctx context.Context, ps []*polled) (rest []*polled, err error) {
	now := s.now()
	ms := store.Millis(now)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	es := make([]*Escalation, len(ps))
	for i, p := range ps {
		es[i] = p.e
	}
	err = s.st.Tx(wctx, func(tx *sql.Tx) error {
		rest = nil
		cur, alerts, err := s.lockSteps(wctx, tx, es)
		if err != nil {
			return err
		}
		var calls, moved []any
		n := 0
		for _, p := range ps {
			c, ok := cur[p.e.AlertID]
			switch {
			case !ok || c.Step != p.e.Step:
				continue // moved on or ended
			case alerts[p.e.AlertID].Status != StatusOpen:
				rest = append(rest, p)
				continue
			}
			state := CallRinging
			if p.st.State == connect.StateConnected {
				state = CallConnected
			}
			initiated := p.call.InitiatedAt
			if !p.st.InitiatedAt.IsZero() {
				initiated = p.st.InitiatedAt
			}
			calls = append(calls, p.call.ID, millisOrZero(initiated), millisOrZero(p.st.ConnectedAt), state, clip(p.st.DisconnectReason, 100), clip(strings.TrimSpace(p.st.Key), 20))
			moved = append(moved, p.e.AlertID, p.e.Step)
			n++
		}
		if n == 0 {
			return nil
		}
		if _, err := tx.ExecContext(wctx, `WITH v (id, initiated_at, answered_at, state, reason, key) AS (VALUES `+s.pollValues(n)+`)
			UPDATE alert_calls SET state = v.state, initiated_at = v.initiated_at, answered_at = v.answered_at, ended_at = 0,
				disconnect_reason = v.reason, key_pressed = v.key, outcome = '', error = '', polls = alert_calls.polls + 1, updated_at = `+strconv.FormatInt(ms, 10)+`
			FROM v WHERE alert_calls.id = v.id`, calls...); err != nil {
			return fmt.Errorf("alerts: record polls: %w", err)
		}
		res, err := tx.ExecContext(wctx, `WITH v (id, step) AS (VALUES `+s.values(n, 2)+`)
			UPDATE alert_escalations SET attempts = 0, step = alert_escalations.step + 1,
				next_at = `+strconv.FormatInt(store.Millis(now.Add(s.o.PollInterval)), 10)+`, claimed_until = 0, placing_until = 0, updated_at = `+strconv.FormatInt(ms, 10)+`
			FROM v WHERE alert_escalations.alert_id = v.id AND alert_escalations.step = v.step`, moved...)
		if err != nil {
			return fmt.Errorf("alerts: record polls: %w", err)
		}
		if got, _ := res.RowsAffected(); int(got) != n {
			return fmt.Errorf("alerts: record polls: %d of %d escalations moved on", got, n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rest, nil
}

// movesOn reports whether a call that ended this way moves the escalation
// on to the next person (nobody took it, or key 3), rather than ending it
// (key 1, key 2).
func movesOn(outcome string) bool {
	switch outcome {
	case OutcomeNoAnswer, OutcomeVoicemail, OutcomeBusy, OutcomeNext:
		return true
	}
	return false
}

// recordMovesOn records, in one transaction, calls that ended without
// being taken: the call's end, a line each in the timeline, and the
// escalation moved on to the next person after the system's wait. It
// returns the polls it left for recordPoll: of alerts not open any more,
// and of the last person of the last round (the escalation gives up).
func (s *Service) recordMovesOn(ctx context.Context, ps []*polled) (rest []*polled, err error) {
	now := s.now()
	ms := store.Millis(now)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	es := make([]*Escalation, len(ps))
	for i, p := range ps {
		es[i] = p.e
	}
	var dueNow []int64
	err = s.st.Tx(wctx, func(tx *sql.Tx) error {
		rest, dueNow = nil, nil
		cur, alerts, err := s.lockSteps(wctx, tx, es)
		if err != nil {
			return err
		}
		var calls, logs, moved []any
		n := 0
		for _, p := range ps {
			c, ok := cur[p.e.AlertID]
			if !ok || c.Step != p.e.Step {
				continue // moved on or ended
			}
			sys, err := s.policy(wctx, tx, c.Policy)
			if alerts[p.e.AlertID].Status != StatusOpen || err != nil || c.Position+1 >= len(sys.Contacts) && c.Round >= sys.Rounds {
				rest = append(rest, p)
				continue
			}
			st := p.st
			outcome := classify(st)
			initiated := p.call.InitiatedAt
			if !st.InitiatedAt.IsZero() {
				initiated = st.InitiatedAt
			}
			key := clip(strings.TrimSpace(st.Key), 20)
			calls = append(calls, p.call.ID, millisOrZero(initiated), millisOrZero(st.ConnectedAt), millisOrZero(st.EndedAt), clip(st.DisconnectReason, 100), key, outcome)
			detail := outcome
			if key != "" {
				detail += ", key " + key
			}
			if st.DisconnectReason != "" {
				detail += ", " + st.DisconnectReason
			}
			logs = append(logs, p.e.AlertID, ms, KindCallEnded, p.call.Callee, detail, p.call.ID)
			next := now.Add(sys.Wait)
			moved = append(moved, p.e.AlertID, p.e.Step, c.Position+1, store.Millis(next))
			if !next.After(now) {
				dueNow = append(dueNow, p.e.AlertID)
			}
			n++
		}
		if n == 0 {
			return nil
		}
		if _, err := tx.ExecContext(wctx, `WITH v (id, initiated_at, answered_at, ended_at, reason, key, outcome) AS (VALUES `+s.endedValues(n)+`)
			UPDATE alert_calls SET state = 'ended', initiated_at = v.initiated_at, answered_at = v.answered_at, ended_at = v.ended_at,
				disconnect_reason = v.reason, key_pressed = v.key, outcome = v.outcome, error = '', polls = alert_calls.polls + 1, updated_at = `+strconv.FormatInt(ms, 10)+`
			FROM v WHERE alert_calls.id = v.id`, calls...); err != nil {
			return fmt.Errorf("alerts: record ended calls: %w", err)
		}
		if err := s.insertRows(wctx, tx, `INSERT INTO alert_log (alert_id, at, kind, actor, detail, call_id) VALUES `, 6, n, logs); err != nil {
			return fmt.Errorf("alerts: record ended calls: %w", err)
		}
		res, err := tx.ExecContext(wctx, `WITH v (id, step, position, next_at) AS (VALUES `+s.values(n, 4)+`)
			UPDATE alert_escalations SET state = 'call', position = v.position, call_id = 0, attempts = 0, step = alert_escalations.step + 1,
				next_at = v.next_at, claimed_until = 0, placing_until = 0, updated_at = `+strconv.FormatInt(ms, 10)+`
			FROM v WHERE alert_escalations.alert_id = v.id AND alert_escalations.step = v.step`, moved...)
		if err != nil {
			return fmt.Errorf("alerts: record ended calls: %w", err)
		}
		if got, _ := res.RowsAffected(); int(got) != n {
			return fmt.Errorf("alerts: record ended calls: %d of %d escalations moved on", got, n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(dueNow) > 0 {
		// Due at once: the runner claims them (see runOnce).
		s.dueGen.Add(1)
	}
	return rest, nil
}

// endedValues is the VALUES list of (call id, initiated, answered, ended,
// reason, key, outcome) rows.
func (s *Service) endedValues(rows int) string {
	v := s.st.Rows(rows, 7)
	if s.st.Engine == store.Postgres {
		v = strings.Replace(v, "($1, $2, $3, $4, $5, $6, $7)", "($1::bigint, $2::bigint, $3::bigint, $4::bigint, $5::text, $6::text, $7::text)", 1)
	}
	return v
}

// pollValues is the VALUES list of (call id, initiated, answered, state,
// reason, key) rows.
func (s *Service) pollValues(rows int) string {
	v := s.st.Rows(rows, 6)
	if s.st.Engine == store.Postgres {
		v = strings.Replace(v, "($1, $2, $3, $4, $5, $6)", "($1::bigint, $2::bigint, $3::bigint, $4::text, $5::text, $6::text)", 1)
	}
	return v
}
