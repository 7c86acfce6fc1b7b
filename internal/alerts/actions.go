package alerts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/store"
)

// ErrNotActive is returned when an alert cannot take the change any more
// (acknowledging a resolved alert).
var ErrNotActive = errors.New("alerts: the alert is resolved")

// Ack acknowledges an alert: its escalation stops and a call still in
// progress is hung up. by names who did it, via how (console, api, chat,
// or the monitoring system). changed is false when it was acknowledged
// already.
func (s *Service) Ack(ctx context.Context, id int64, by, via string) (a *Alert, changed bool, err error) {
	return s.end(ctx, id, StatusAcknowledged, by, via)
}

// Resolve resolves an alert (a recovery, or by hand): its escalation
// stops, a call in progress is hung up, and a new alert with the same key
// may open. changed is false when it was resolved already.
func (s *Service) Resolve(ctx context.Context, id int64, by, via string) (a *Alert, changed bool, err error) {
	return s.end(ctx, id, StatusResolved, by, via)
}

// errPlacing: another replica is requesting a call for the alert now.
var errPlacing = errors.New("alerts: a call is being placed")

// endAlert changes one alert; end (incidents.go) adds what follows for
// its incident.
func (s *Service) endAlert(ctx context.Context, id int64, to, by, via string) (*Alert, bool, error) {
	var stop []*Call
	var changed bool
	for {
		unlock, err := s.locks.lock(ctx, id)
		if err != nil {
			return nil, false, err
		}
		err = s.endTx(ctx, id, to, by, via, &stop, &changed)
		unlock()
		if errors.Is(err, errPlacing) {
			// A call is being requested (by another replica, or by this
			// process between its claim and its request): let it finish
			// — its intent is cleared when the call is recorded, or runs
			// out by itself — then hang it up.
			t := time.NewTimer(25 * time.Millisecond)
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
				t.Stop()
				return nil, false, ctx.Err()
			}
		}
		if err != nil {
			return nil, false, err
		}
		break
	}
	s.stopCalls(ctx, stop)
	if changed {
		s.stopPageCalls(ctx, id)
	}
	a, err := s.Get(ctx, id)
	if changed && err == nil {
		s.auditEnd(ctx, a, to, by, via)
	}
	return a, changed, err
}

func (s *Service) endTx(ctx context.Context, id int64, to, by, via string, stopOut *[]*Call, changedOut *bool) error {
	var stop []*Call
	var changed bool
	defer func() { *stopOut, *changedOut = stop, changed }()
	return s.st.Tx(ctx, func(tx *sql.Tx) error {
		stop, changed = nil, false
		var cur string
		var incident int64
		err := s.rowQ(ctx, tx, `SELECT status, incident_id FROM alerts WHERE id = ?`+s.forUpdate(), id).Scan(&cur, &incident)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("alerts: %s %d: %w", to, id, err)
		}
		switch {
		case cur == to:
			return nil
		case cur == StatusResolved:
			return ErrNotActive
		}
		if s.st.Engine == store.Postgres {
			// Read after the alert's row lock, which a placement's intent
			// is written under: either it is visible here, or that
			// placement will see this change and not call.
			var until int64
			err := s.rowQ(ctx, tx, `SELECT placing_until FROM alert_escalations WHERE alert_id = ?`, id).Scan(&until)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("alerts: %s %d: %w", to, id, err)
			}
			if until > store.Millis(s.o.Wall()) {
				return errPlacing
			}
		}
		// Pages being sent now (their requests may be out) finish first:
		// no notification is made after this change commits.
		if busy, err := s.sendingPages(ctx, tx, id); err != nil {
			return err
		} else if busy {
			return errPlacing
		}
		now := s.now()
		ms := store.Millis(now)
		actor := by
		if via != "" && via != by {
			actor = by + " (" + via + ")"
		}
		actor = clip(actor, 200)
		var res sql.Result
		if to == StatusAcknowledged {
			res, err = s.execQ(ctx, tx, `UPDATE alerts SET status = 'acknowledged', acked_at = ?, acked_by = ?, updated_at = ? WHERE id = ? AND status = ?`, ms, actor, ms, id, cur)
		} else {
			res, err = s.execQ(ctx, tx, `UPDATE alerts SET status = 'resolved', resolved_at = ?, resolved_by = ?, updated_at = ? WHERE id = ? AND status = ?`, ms, actor, ms, id, cur)
		}
		if err != nil {
			return fmt.Errorf("alerts: %s %d: %w", to, id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("alerts: %s %d: the alert changed meanwhile", to, id)
		}
		changed = true
		keep := false
		if to == StatusAcknowledged {
			if keep, err = s.keepForReescalation(ctx, tx, id, now); err != nil {
				return err
			}
		}
		if !keep {
			if _, err := s.execQ(ctx, tx, `DELETE FROM alert_escalations WHERE alert_id = ?`, id); err != nil {
				return fmt.Errorf("alerts: stop escalation of %d: %w", id, err)
			}
		}
		calls, err := s.queryCalls(ctx, tx, `SELECT `+callCols+` FROM alert_calls WHERE alert_id = ? AND state IN ('placing', 'ringing', 'connected')`, id)
		if err != nil {
			return err
		}
		for _, c := range calls {
			if c.ContactID == "" {
				// Claimed but never placed: under the lock no placement is
				// in flight, and none will start now.
				if _, err := s.execQ(ctx, tx, `UPDATE alert_calls SET state = 'cancelled', outcome = 'cancelled', updated_at = ? WHERE id = ?`, ms, c.ID); err != nil {
					return fmt.Errorf("alerts: cancel call %d: %w", c.ID, err)
				}
				continue
			}
			stop = append(stop, c)
		}
		kind := KindAck
		if to == StatusResolved {
			kind = KindResolve
		}
		if err := s.logEntry(ctx, tx, id, now, kind, actor, "", 0); err != nil {
			return err
		}
		if incident > 0 {
			return s.incidentFollows(ctx, tx, incident, to, actor, now)
		}
		return nil
	})
}

// stopCalls hangs up calls whose alert no longer needs them and records
// how they ended. Failures are logged: the callee hears the rest of the
// alert at worst.
func (s *Service) stopCalls(ctx context.Context, calls []*Call) {
	if s.o.Caller == nil {
		return
	}
	for _, c := range calls {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		err := s.o.Caller.StopCall(cctx, c.ContactID)
		var st connect.Status
		var serr error
		if err == nil {
			st, serr = s.o.Caller.CallStatus(cctx, c.ContactID)
		}
		cancel()
		if err != nil {
			s.o.Log.Warn("alerts: hanging up a call failed", "alert", c.AlertID, "contact", c.ContactID, "error", err)
		}
		now := s.now()
		state, reason := CallEnded, "stopped by opsdesk"
		ended, answered := now, time.Time{}
		if serr == nil && err == nil {
			reason = st.DisconnectReason
			if !st.EndedAt.IsZero() {
				ended = st.EndedAt
			}
			answered = st.ConnectedAt
		}
		if err != nil {
			reason = ""
		}
		_, uerr := s.st.W.ExecContext(context.WithoutCancel(ctx), s.st.Q(`UPDATE alert_calls SET state = ?, outcome = CASE WHEN outcome = '' THEN 'stopped' ELSE outcome END,
			ended_at = CASE WHEN ended_at = 0 THEN ? ELSE ended_at END, answered_at = CASE WHEN answered_at = 0 THEN ? ELSE answered_at END,
			disconnect_reason = CASE WHEN disconnect_reason = '' THEN ? ELSE disconnect_reason END, updated_at = ? WHERE id = ?`),
			state, store.Millis(ended), millisOrZero(answered), reason, store.Millis(now), c.ID)
		if uerr != nil {
			s.o.Log.Warn("alerts: recording a stopped call failed", "call", c.ID, "error", uerr)
		}
	}
}
