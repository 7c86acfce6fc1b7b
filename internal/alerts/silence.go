package alerts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SilenceFor makes an alert quiet and its system quiet for d, as key 2 on
// a call does, on behalf of by (via names how: "Slack"). The alert's
// escalation ends; alerts of the system that arrive within d call nobody.
// changed is false when the alert was quiet already.
func (s *Service) SilenceFor(ctx context.Context, id int64, d time.Duration, by, via string) (changed bool, err error) {
	if d < time.Minute || d > 7*24*time.Hour {
		return false, &ValidationError{"duration", "must be between 1m and 168h"}
	}
	unlock, err := s.locks.lock(ctx, id)
	if err != nil {
		return false, err
	}
	defer unlock()
	actor := by
	if via != "" && via != by {
		actor = by + " (" + via + ")"
	}
	var q *Quiet
	var a *Alert
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		changed = false
		var err error
		a, err = scanAlert(s.rowQ(ctx, tx, `SELECT `+alertCols+` FROM alerts WHERE id = ?`+s.forUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("alerts: silence %d: %w", id, err)
		}
		switch a.Status {
		case StatusResolved:
			return ErrNotActive
		case StatusQuiet:
			return nil
		}
		now := s.now()
		if q, err = s.insertQuiet(ctx, tx, a.System, now, now.Add(d), a.ID, actor, "silenced from "+via); err != nil {
			return err
		}
		changed = true
		if a.Status == StatusAcknowledged {
			// Acknowledged already: nobody is called for it; the quiet
			// period keeps its system's next alerts quiet.
			return s.logEntry(ctx, tx, a.ID, now, KindQuiet, actor, fmt.Sprintf("%s is quiet until %s", a.System, q.EndsAt.Format(time.RFC3339)), 0)
		}
		return s.silence(ctx, tx, a, now, actor, fmt.Sprintf("%s is quiet until %s", a.System, q.EndsAt.Format(time.RFC3339)))
	})
	if err != nil || !changed {
		return changed, err
	}
	s.stopPageCalls(ctx, id)
	s.record(ctx, "quiet.start", "system "+a.System, "from "+via+" on "+alertTarget(a)+": "+quietDetail(q))
	return true, nil
}
