package oncall

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
)

// ShiftNotice tells a person that their on-call shift is about to start.
type ShiftNotice struct {
	Schedule string
	Who      string
	Start    time.Time
	End      time.Time // zero: no end in sight
	Zone     *time.Location
}

// Notifier sends shift notices; the app reaches the person through their
// contact methods. An error wrapping ErrUnreachable means the person has
// no way to be told (the notice is recorded as skipped).
type Notifier interface {
	NotifyShift(ctx context.Context, n ShiftNotice) (detail string, err error)
}

// ErrUnreachable: the person has no contact method a notice can use.
var ErrUnreachable = errors.New("oncall: no contact method for shift notices")

// Outcomes of a shift notice (oncall_shift_notices.outcome).
const (
	NoticeSent    = "sent"
	NoticeFailed  = "failed"
	NoticeSkipped = "skipped"
)

// SendShiftNotices tells every person whose shift starts within before
// from now, once: a shift that only continues the same person's time on
// call (a layer or an override hands over to the same person) is not a new
// shift. Each notice is claimed by a row unique per (schedule, person,
// start) before it is sent, so replicas and retries send it at most once; a
// shift that started while nobody ran this gets no late notice. It returns
// how many notices it sent.
func (s *Service) SendShiftNotices(ctx context.Context, before time.Duration, n Notifier) (int, error) {
	if before <= 0 || n == nil {
		return 0, nil
	}
	now := s.now()
	scheds, err := s.Schedules(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, sc := range scheds {
		for _, sh := range Shifts(sc, now, now.Add(before).Add(time.Millisecond)) {
			if !sh.Start.After(now) || sh.Who == "" {
				continue
			}
			if prev, _, _ := OnCall(sc, sh.Start.Add(-time.Millisecond)); prev == sh.Who {
				continue
			}
			_, _, until := OnCall(sc, sh.Start)
			notice := ShiftNotice{Schedule: sc.Name, Who: sh.Who, Start: sh.Start, End: until, Zone: sc.TimeZone}
			ok, err := s.sendNotice(ctx, notice, n)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
	}
	return sent, nil
}

// sendNotice claims and sends one notice; ok is false when it was claimed
// already (sent before, or by another replica).
func (s *Service) sendNotice(ctx context.Context, notice ShiftNotice, n Notifier) (bool, error) {
	var id int64
	err := s.st.W.QueryRowContext(ctx, s.st.Q(`INSERT INTO oncall_shift_notices (schedule, who, shift_start, shift_end, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (schedule, who, shift_start) DO NOTHING RETURNING id`),
		notice.Schedule, notice.Who, store.Millis(notice.Start), millisOrZero(notice.End), store.Millis(s.now())).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("oncall: claim shift notice: %w", err)
	}
	detail, sendErr := n.NotifyShift(ctx, notice)
	outcome := NoticeSent
	switch {
	case errors.Is(sendErr, ErrUnreachable):
		outcome, detail = NoticeSkipped, sendErr.Error()
	case sendErr != nil:
		outcome, detail = NoticeFailed, sendErr.Error()
	}
	if len(detail) > 1000 {
		detail = detail[:1000]
	}
	if _, err := s.st.W.ExecContext(context.WithoutCancel(ctx), s.st.Q(`UPDATE oncall_shift_notices SET outcome = ?, detail = ? WHERE id = ?`), outcome, detail, id); err != nil {
		return true, fmt.Errorf("oncall: record shift notice: %w", err)
	}
	return outcome == NoticeSent, nil
}

// Notice is a shift notice as recorded.
type Notice struct {
	Schedule   string
	Who        string
	ShiftStart time.Time
	Outcome    string
	Detail     string
}

// Notices lists the latest shift notices, newest first.
func (s *Service) Notices(ctx context.Context, limit int) ([]Notice, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT schedule, who, shift_start, outcome, detail FROM oncall_shift_notices ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("oncall: shift notices: %w", err)
	}
	defer rows.Close()
	var out []Notice
	for rows.Next() {
		var x Notice
		var start int64
		if err := rows.Scan(&x.Schedule, &x.Who, &start, &x.Outcome, &x.Detail); err != nil {
			return nil, fmt.Errorf("oncall: shift notices: %w", err)
		}
		x.ShiftStart = store.Time(start)
		out = append(out, x)
	}
	return out, rows.Err()
}

func millisOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return store.Millis(t)
}
