package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/textutil"
)

// ActionsArgs runs the pending actions of one run of one event.
type ActionsArgs struct {
	EventRef int64 `json:"event_ref"`
	Run      int   `json:"run"`
}

// Kind implements river.JobArgs.
func (ActionsArgs) Kind() string { return "event_actions" }

// InsertOpts: one job per (event, run); the sweeper's re-enqueue of an
// event whose job exists adds nothing.
func (ActionsArgs) InsertOpts() river.InsertOpts {
	return jobs.In(jobs.QueueEvents, jobs.UniqueWhileActive())
}

// MaxActionAttempts bounds how often a failing action is tried before it
// is marked failed.
const MaxActionAttempts = 12

// Permanent marks an action error that retrying cannot fix.
func Permanent(err error) error { return &permanentError{err} }

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Executors carry out actions; a nil one fails its actions with a clear
// reason (the capability is not configured).
type Executors struct {
	// Notify sends a message to a destination; key is the idempotency key.
	Notify func(ctx context.Context, destination string, msg notify.Message, key string, attempt int) (string, error)
	// Alert opens or resolves an alert from an event.
	Alert func(ctx context.Context, ev *Stored, a Action) (string, error)
	// SyncCase queues a sync of the case an aws.support event names.
	SyncCase func(ctx context.Context, ev *Stored) (string, error)
	// CallStatus feeds an Amazon Connect contact event to the escalation.
	CallStatus func(ctx context.Context, ev *Stored) (string, error)
	// Health takes an aws.health event into its Health record.
	Health func(ctx context.Context, ev *Stored) (string, error)
}

// ActionsWorker runs ActionsArgs.
type ActionsWorker struct {
	river.WorkerDefaults[ActionsArgs]
	Svc  *Service
	Exec *Executors
	// ConsoleURL links an event's console page (nil: no link).
	ConsoleURL func(ref int64) string
	Log        *slog.Logger
}

// Timeout implements river.Worker.
func (w *ActionsWorker) Timeout(*river.Job[ActionsArgs]) time.Duration { return time.Minute }

// Work implements river.Worker.
func (w *ActionsWorker) Work(ctx context.Context, job *river.Job[ActionsArgs]) error {
	s := w.Svc
	ev, err := s.Get(ctx, job.Args.EventRef)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if ev.Run != job.Args.Run {
		return nil // replayed since: the newer run has its own job
	}
	all, err := s.Actions(ctx, ev.Ref)
	if err != nil {
		return err
	}
	var retry []error
	for _, a := range all {
		if a.Run != job.Args.Run || a.Status != "pending" {
			continue
		}
		attempt := a.Attempts + 1
		result, err := w.run(ctx, ev, a, attempt)
		status, msg := "done", ""
		var perm *permanentError
		var nc *notConfiguredError
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return ctx.Err() // shutting down: hand the job back
		case errors.As(err, &nc) && s.builtin(a.Rule):
			// A built-in rule for a capability nobody set up: skipped,
			// with the reason, not failed (see NotConfigured).
			result = SkippedPrefix + nc.reason
			w.Log.Info("event action skipped", "event", ev.Ref, "rule", a.Rule, "action", a.Type, "reason", nc.reason)
		case errors.As(err, &perm) || errors.As(err, &nc) || attempt >= MaxActionAttempts:
			status, msg = "failed", clip(err.Error(), 1000)
			w.Log.Warn("event action failed", "event", ev.Ref, "rule", a.Rule, "action", a.Type, "attempts", attempt, "error", msg)
		default:
			status, msg = "pending", clip(err.Error(), 1000)
			retry = append(retry, fmt.Errorf("%s/%d %s: %w", a.Rule, a.Index, a.Type, err))
		}
		if _, err := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE event_actions SET status = ?, attempts = ?, result = ?, error = ?, updated_at = ? WHERE id = ? AND status = 'pending'`),
			status, attempt, clip(result, 1000), msg, store.Millis(s.now()), a.ID); err != nil {
			return fmt.Errorf("events: record action %d: %w", a.ID, err)
		}
	}
	if len(retry) > 0 {
		return errors.Join(retry...) // River retries with backoff
	}
	return s.finish(ctx, ev.Ref, job.Args.Run)
}

// finish sets the event's status from its actions of this run.
func (s *Service) finish(ctx context.Context, ref int64, run int) error {
	var failed, pending int
	err := s.st.W.QueryRowContext(ctx, s.st.Q(`SELECT
		COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0)
		FROM event_actions WHERE event_ref = ? AND run = ?`), ref, run).Scan(&failed, &pending)
	if err != nil {
		return fmt.Errorf("events: finish %d: %w", ref, err)
	}
	status := StatusDone
	switch {
	case pending > 0:
		return nil
	case failed > 0:
		status = StatusFailed
	}
	_, err = s.st.W.ExecContext(ctx, s.st.Q(`UPDATE events SET status = ?, updated_at = ? WHERE id = ? AND run = ?`), status, store.Millis(s.now()), ref, run)
	return err
}

var errNotConfigured = func(what string) error {
	return NotConfigured(what + " is not configured in this opsdesk")
}

func (w *ActionsWorker) run(ctx context.Context, ev *Stored, a ActionResult, attempt int) (string, error) {
	x := w.Exec
	if x == nil {
		x = &Executors{}
	}
	switch a.Type {
	case ActionStore:
		return "stored", nil
	case ActionNotify:
		if x.Notify == nil {
			return "", errNotConfigured("sending to destinations")
		}
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(string(ev.Raw)))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return "", Permanent(fmt.Errorf("event is not JSON: %w", err))
		}
		title, err := render(a.Spec.Title, defaultTitle, m)
		if err != nil {
			return "", Permanent(fmt.Errorf("title template: %w", err))
		}
		body, err := render(a.Spec.Template, defaultTemplate, m)
		if err != nil {
			return "", Permanent(fmt.Errorf("template: %w", err))
		}
		msg := notify.Message{
			Kind: "event", Title: strings.TrimSpace(title), Text: body, Ref: fmt.Sprintf("event-%d", ev.Ref),
			Fields: []notify.Field{{Name: "source", Value: ev.Source}, {Name: "detail-type", Value: ev.DetailType}, {Name: "rule", Value: a.Rule}},
		}
		if ev.Account != "" {
			msg.Fields = append(msg.Fields, notify.Field{Name: "account", Value: ev.Account})
		}
		if ev.Region != "" {
			msg.Fields = append(msg.Fields, notify.Field{Name: "region", Value: ev.Region})
		}
		if w.ConsoleURL != nil {
			msg.URL = w.ConsoleURL(ev.Ref)
		}
		key := fmt.Sprintf("event-%d-r%d-%s-%d", ev.Ref, ev.Run, a.Rule, a.Index)
		return x.Notify(ctx, a.Spec.Destination, msg, key, attempt)
	case ActionAlert:
		if x.Alert == nil {
			return "", errNotConfigured("phone escalation (alerts)")
		}
		return x.Alert(ctx, ev, a.Spec)
	case ActionSyncCase:
		if x.SyncCase == nil {
			return "", errNotConfigured("the case archive (aws.accounts)")
		}
		return x.SyncCase(ctx, ev)
	case ActionCallStatus:
		if x.CallStatus == nil {
			return "", errNotConfigured("phone escalation (alerts.connect)")
		}
		return x.CallStatus(ctx, ev)
	case ActionHealth:
		if x.Health == nil {
			return "", errNotConfigured("the AWS Health records")
		}
		return x.Health(ctx, ev)
	}
	return "", Permanent(fmt.Errorf("unknown action type %q", a.Type))
}

func clip(s string, n int) string { return textutil.Clip(s, n) }

// SweepArgs is the periodic job that re-enqueues events whose actions job
// was never inserted (a crash between commit and enqueue).
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "event_sweep" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SweepArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueMaintenance} }

// SweepWorker runs SweepArgs.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Svc   *Service
	Grace time.Duration
}

// Work implements river.Worker.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	s := w.Svc
	rows, err := s.st.W.QueryContext(ctx, s.st.Q(`SELECT id, run FROM events WHERE status = 'pending' AND updated_at < ? ORDER BY updated_at LIMIT 1000`), store.Millis(s.now().Add(-w.Grace)))
	if err != nil {
		return fmt.Errorf("events: sweep: %w", err)
	}
	var params []river.InsertManyParams
	for rows.Next() {
		var a ActionsArgs
		if err := rows.Scan(&a.EventRef, &a.Run); err != nil {
			rows.Close()
			return err
		}
		params = append(params, river.InsertManyParams{Args: a})
	}
	rows.Close()
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return s.queue.InsertMany(ctx, params)
}
