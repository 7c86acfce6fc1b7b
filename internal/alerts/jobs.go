package alerts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
)

// EscalateArgs wakes the escalation engine at At (Unix ms, wall clock);
// the job snoozes until then if it is fetched early.
type EscalateArgs struct {
	At int64 `json:"at"`
}

// Kind implements river.JobArgs.
func (EscalateArgs) Kind() string { return "alert_escalate" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (EscalateArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueAlerts} }

// EscalateWorker runs EscalateArgs.
type EscalateWorker struct {
	river.WorkerDefaults[EscalateArgs]
	Svc *Service
}

// Timeout implements river.Worker: a pass stops taking new work after
// RunBudget and its steps after Lease.
func (w *EscalateWorker) Timeout(*river.Job[EscalateArgs]) time.Duration {
	return w.Svc.o.RunBudget + w.Svc.o.Lease + 5*time.Second
}

// Work implements river.Worker.
func (w *EscalateWorker) Work(ctx context.Context, job *river.Job[EscalateArgs]) error {
	if job.Args.At > 0 {
		if d := time.UnixMilli(job.Args.At).Sub(w.Svc.o.Wall()); d > 0 {
			return river.JobSnooze(d)
		}
	}
	if w.Svc.Looping() {
		// The engine loop of this process runs it (jobs like this one are
		// queued only by older releases and by processes without the
		// loop).
		w.Svc.Kick(ctx)
		return nil
	}
	return w.Svc.RunDue(ctx, false)
}

// SweepArgs is the periodic safety net: it runs the engine (in case a
// wake-up job was lost between a commit and its insert) and re-queues
// notifications whose job was lost.
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "alert_sweep" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SweepArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueMaintenance} }

// SweepInterval is how often SweepArgs runs.
const SweepInterval = 15 * time.Second

// SweepWorker runs SweepArgs.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Svc *Service
}

// Timeout implements river.Worker.
func (w *SweepWorker) Timeout(*river.Job[SweepArgs]) time.Duration {
	return w.Svc.o.RunBudget + w.Svc.o.Lease + 5*time.Second
}

// Work implements river.Worker.
func (w *SweepWorker) Work(ctx context.Context, job *river.Job[SweepArgs]) error {
	s := w.Svc
	rows, err := s.rowsQ(ctx, s.st.R, `SELECT id FROM alert_notifications WHERE status = 'pending' AND updated_at < ? ORDER BY id LIMIT 500`,
		store.Millis(s.now().Add(-time.Minute)))
	if err != nil {
		return fmt.Errorf("alerts: sweep notifications: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("alerts: sweep notifications: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	s.enqueueNotify(ctx, ids)
	if err := s.pruneSNS(ctx); err != nil {
		s.o.Log.Warn("alerts: sweep", "error", err)
	}
	if s.Looping() {
		s.Kick(ctx)
		return nil
	}
	return s.RunDue(ctx, false)
}

// NotifyArgs sends one alert notification.
type NotifyArgs struct {
	ID int64 `json:"id"`
}

// Kind implements river.JobArgs.
func (NotifyArgs) Kind() string { return "alert_notify" }

// InsertOpts implements river.JobArgsWithInsertOpts: one job per
// notification while it waits or runs.
func (NotifyArgs) InsertOpts() river.InsertOpts {
	return jobs.In(jobs.QueueAlerts, jobs.UniqueWhileActive())
}

// maxNotifyAttempts bounds the tries of one notification.
const maxNotifyAttempts = 10

// NotifyWorker runs NotifyArgs.
type NotifyWorker struct {
	river.WorkerDefaults[NotifyArgs]
	Svc *Service
}

// Timeout implements river.Worker.
func (w *NotifyWorker) Timeout(*river.Job[NotifyArgs]) time.Duration { return time.Minute }

// Work implements river.Worker.
func (w *NotifyWorker) Work(ctx context.Context, job *river.Job[NotifyArgs]) error {
	return w.Svc.SendNotification(ctx, job.Args.ID)
}

func (s *Service) enqueueNotify(ctx context.Context, ids []int64) {
	if len(ids) == 0 || s.queue == nil {
		return
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: NotifyArgs{ID: id}}
	}
	if err := s.queue.InsertMany(context.WithoutCancel(ctx), params); err != nil {
		s.o.Log.Warn("alerts: queueing notifications failed; the sweep will retry", "count", len(ids), "error", err)
	}
}

// Permanent marks an error of NotifyFunc that retrying cannot fix.
func Permanent(err error) error { return &permanentError{err} }

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// SendNotification makes one attempt at a pending notification. It
// returns an error when the attempt should be retried.
func (s *Service) SendNotification(ctx context.Context, id int64) error {
	var n Notification
	var upd int64
	err := s.rowQ(ctx, s.st.R, `SELECT id, alert_id, destination, reason, status, attempts, result, updated_at FROM alert_notifications WHERE id = ?`, id).
		Scan(&n.ID, &n.AlertID, &n.Destination, &n.Reason, &n.Status, &n.Attempts, &n.Result, &upd)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("alerts: notification %d: %w", id, err)
	}
	if n.Status != "pending" {
		return nil
	}
	a, err := s.Get(ctx, n.AlertID)
	if err != nil {
		return err
	}
	var calls int
	_ = s.rowQ(ctx, s.st.R, `SELECT count(*) FROM alert_calls WHERE alert_id = ? AND contact_id <> ''`, a.ID).Scan(&calls)
	msg := s.message(a, calls)
	attempt := n.Attempts + 1
	var result string
	if s.o.Notify == nil {
		err = Permanent(errors.New("notifications are not configured"))
	} else {
		result, err = s.o.Notify(ctx, n.Destination, msg, fmt.Sprintf("opsdesk-alert-%d-%s-%s", a.ID, n.Reason, n.Destination), attempt)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	now := s.now()
	status, kind := "sent", KindNotified
	var perm *permanentError
	switch {
	case err == nil:
	case errors.As(err, &perm) || attempt >= maxNotifyAttempts:
		status, kind, result = "failed", KindNotifyFailed, err.Error()
	default:
		status, result = "pending", err.Error()
	}
	werr := s.st.Tx(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
		if _, err := s.execQ(ctx, tx, `UPDATE alert_notifications SET status = ?, attempts = ?, result = ?, updated_at = ? WHERE id = ? AND status = 'pending'`,
			status, attempt, clip(result, 1000), store.Millis(now), n.ID); err != nil {
			return fmt.Errorf("alerts: record notification %d: %w", n.ID, err)
		}
		if status == "pending" {
			return nil
		}
		return s.logEntry(ctx, tx, a.ID, now, kind, n.Destination, clip(result, 500), 0)
	})
	if werr != nil {
		return werr
	}
	if status == "pending" {
		return fmt.Errorf("alerts: notify %s of alert %d: %w", n.Destination, a.ID, err)
	}
	return nil
}

// message is what destinations are told about an alert nobody took.
func (s *Service) message(a *Alert, calls int) notify.Message {
	m := notify.Message{
		Kind:     "alert",
		Title:    fmt.Sprintf("Alert #%d not acknowledged: %s", a.ID, a.Summary),
		Text:     fmt.Sprintf("Nobody acknowledged alert #%d of %s after %d call(s). It stays unacknowledged until someone acknowledges or resolves it.", a.ID, a.System, calls),
		Severity: a.Severity,
		Ref:      fmt.Sprintf("alert-%d", a.ID),
	}
	if a.Details != "" {
		m.Text += "\n\n" + clipRunes(a.Details, 2000)
	}
	m.Fields = append(m.Fields, notify.Field{Name: "System", Value: a.System})
	if a.Host != "" {
		m.Fields = append(m.Fields, notify.Field{Name: "Host", Value: a.Host})
	}
	if a.Service != "" {
		m.Fields = append(m.Fields, notify.Field{Name: "Service", Value: a.Service})
	}
	m.Fields = append(m.Fields,
		notify.Field{Name: "Source", Value: a.Source},
		notify.Field{Name: "Received", Value: a.ReceivedAt.Format(time.RFC3339)},
		notify.Field{Name: "Calls", Value: fmt.Sprint(calls)})
	if s.o.ConsoleURL != nil {
		m.URL = s.o.ConsoleURL(a.ID)
	}
	return m
}
