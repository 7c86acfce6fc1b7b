package alerts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/opsdesk/opsdesk/internal/store"
)

// KindEscalated is the timeline entry of an escalation moved on by hand
// (EscalateNow).
const KindEscalated = "escalated"

// ErrNotEscalating is returned by EscalateNow for an alert whose
// escalation is over (acknowledged, quiet, or every round called).
var ErrNotEscalating = errors.New("alerts: the alert is not being escalated")

// EscalateNow moves an alert's escalation on now instead of at its next
// due time: the engine takes its next step at once (the next person is
// called rather than after the wait between calls). by names who asked,
// via how (console, api, SMS link …). changed is false when the step was
// due already or is running right now (it goes on by itself).
func (s *Service) EscalateNow(ctx context.Context, id int64, by, via string) (changed bool, err error) {
	unlock, err := s.locks.lock(ctx, id)
	if err != nil {
		return false, err
	}
	actor := by
	if via != "" && via != by {
		actor = by + " (" + via + ")"
	}
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		changed = false
		var status string
		err := s.rowQ(ctx, tx, `SELECT status FROM alerts WHERE id = ?`+s.forUpdate(), id).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("alerts: escalate %d: %w", id, err)
		}
		if status == StatusResolved {
			return ErrNotActive
		}
		now := s.now()
		ms := store.Millis(now)
		var next int64
		err = s.rowQ(ctx, tx, `SELECT next_at FROM alert_escalations WHERE alert_id = ?`+s.forUpdate(), id).Scan(&next)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotEscalating
		}
		if err != nil {
			return fmt.Errorf("alerts: escalate %d: %w", id, err)
		}
		// A claimed step is running now; an unclaimed one due already is
		// about to: either goes on by itself.
		res, err := s.execQ(ctx, tx, `UPDATE alert_escalations SET next_at = ?, updated_at = ? WHERE alert_id = ? AND next_at > ? AND claimed_until <= ?`,
			ms, ms, id, ms, ms)
		if err != nil {
			return fmt.Errorf("alerts: escalate %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		changed = true
		return s.logEntry(ctx, tx, id, now, KindEscalated, clip(actor, 200), "", 0)
	})
	unlock()
	if err != nil || !changed {
		return changed, err
	}
	s.kick(ctx)
	s.record(ctx, "alert.escalate", "alert #"+strconv.FormatInt(id, 10), actor)
	return true, nil
}
