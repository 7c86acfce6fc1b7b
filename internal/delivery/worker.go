package delivery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Observer is told the outcome of every attempt (metrics).
type Observer func(destination, outcome string, took time.Duration)

// Worker delivers one delivery per job.
type Worker struct {
	river.WorkerDefaults[Args]

	St       *store.Store
	Senders  map[string]notify.Sender
	RetryFor time.Duration
	// Timeout bounds one call to a destination.
	SendTimeout time.Duration
	ConsoleURL  func(ref string) string
	Now         func() time.Time
	Log         *slog.Logger
	Observe     Observer
	// Backoff returns the wait before retry n (1-based); nil uses
	// notify.Backoff with jitter. Tests shorten it.
	Backoff func(attempt int) time.Duration
}

// Timeout gives River's job timeout a margin over the HTTP timeout so the
// worker, not River, decides what a timeout means.
func (w *Worker) Timeout(*river.Job[Args]) time.Duration { return w.SendTimeout + 10*time.Second }

type loaded struct {
	d *Delivery
	q notify.Question
}

func (w *Worker) load(ctx context.Context, id int64) (*loaded, error) {
	var l loaded
	var submitted int64
	d, err := scan(w.St.W.QueryRowContext(ctx, w.St.Q(`SELECT `+selectCols+` FROM deliveries d JOIN questions q ON q.id = d.question_id WHERE d.id = ?`), id))
	if err != nil {
		return nil, err
	}
	err = w.St.W.QueryRowContext(ctx, w.St.Q(`SELECT ref, project, name, text, submitted_at, source_ip FROM questions WHERE id = ?`), d.QuestionID).
		Scan(&l.q.ID, &l.q.Project, &l.q.Name, &l.q.Text, &submitted, &l.q.SourceIP)
	if err != nil {
		return nil, err
	}
	l.q.SubmittedAt = store.Time(submitted)
	l.d = d
	return &l, nil
}

// errInterrupted means the process is stopping: the attempt did not count
// and the job is handed back.
var errInterrupted = errors.New("delivery: interrupted by shutdown")

// Work implements river.Worker.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	l, err := w.load(ctx, job.Args.DeliveryID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // deleted with its question
	}
	if err != nil {
		return fmt.Errorf("delivery %d: load: %w", job.Args.DeliveryID, err)
	}
	d := l.d
	if d.Status != StatusPending || d.Generation != job.Args.Generation {
		return nil // already done, or superseded by an operator's retry
	}
	if wait := d.NextAttemptAt.Sub(w.Now()); wait > time.Second {
		// Woken early (sweeper, duplicate wake-up): keep the schedule.
		return river.JobSnooze(wait)
	}
	wait, err := w.attempt(ctx, d, l.q)
	switch {
	case errors.Is(err, errInterrupted):
		return river.JobSnooze(0)
	case err != nil:
		return err
	case wait > 0:
		return river.JobSnooze(wait)
	}
	return nil
}

// attempt sends one delivery once and records the outcome. It returns how
// long to wait before the next attempt, or 0 when the delivery is final.
func (w *Worker) attempt(ctx context.Context, d *Delivery, q notify.Question) (time.Duration, error) {
	now := w.Now()
	sender, ok := w.Senders[d.Destination]
	if !ok {
		return 0, w.finish(ctx, d, StatusFailed, 0, "", fmt.Sprintf("destination %q is no longer configured", d.Destination), 0)
	}
	consoleURL := ""
	if w.ConsoleURL != nil {
		consoleURL = w.ConsoleURL(q.ID)
	}
	// Count the attempt before making it: if the process dies mid-call,
	// the next run knows an earlier attempt may have reached the
	// destination (Backlog then looks for the issue before creating one).
	attempt := d.Attempts + 1
	if _, err := w.St.W.ExecContext(ctx, w.St.Q(`UPDATE deliveries SET attempts = ?, updated_at = ? WHERE id = ? AND status = 'pending' AND generation = ?`),
		attempt, store.Millis(now), d.ID, d.Generation); err != nil {
		return 0, fmt.Errorf("delivery %d: record attempt: %w", d.ID, err)
	}
	cctx, cancel := context.WithTimeout(ctx, w.SendTimeout)
	start := time.Now()
	res, sendErr := sender.Send(cctx, notify.Request{DeliveryID: deliveryKey(d), Attempt: attempt, Question: q, ConsoleURL: consoleURL})
	took := time.Since(start)
	cancel()
	if sendErr == nil {
		w.observe(d.Destination, StatusDelivered, took)
		return 0, w.finish(ctx, d, StatusDelivered, attempt, res.ExternalRef, "", 0)
	}
	if ctx.Err() != nil {
		w.observe(d.Destination, "interrupted", took)
		return 0, errInterrupted
	}
	var ne *notify.Error
	if !errors.As(sendErr, &ne) {
		ne = &notify.Error{Reason: sendErr.Error()}
	}
	reason := clip(ne.Reason, 1000)
	if ne.Permanent {
		w.observe(d.Destination, StatusFailed, took)
		w.Log.Warn("delivery failed permanently", "delivery", d.ID, "question", d.QuestionRef, "destination", d.Destination, "status", ne.StatusCode, "error", reason)
		return 0, w.finish(ctx, d, StatusFailed, attempt, "", reason, ne.StatusCode)
	}
	var wait time.Duration
	if w.Backoff != nil {
		wait = w.Backoff(attempt)
	} else {
		wait = notify.Backoff(attempt, rand.Float64)
	}
	if ne.RetryAfter > 0 {
		wait = ne.RetryAfter
	}
	deadline := d.CreatedAt.Add(w.RetryFor)
	if now.Add(wait).After(deadline) {
		w.observe(d.Destination, StatusFailed, took)
		msg := fmt.Sprintf("gave up after %d attempts over %s: %s", attempt, w.RetryFor, reason)
		w.Log.Warn("delivery failed", "delivery", d.ID, "question", d.QuestionRef, "destination", d.Destination, "error", msg)
		return 0, w.finish(ctx, d, StatusFailed, attempt, "", msg, ne.StatusCode)
	}
	w.observe(d.Destination, "retry", took)
	w.Log.Info("delivery will be retried", "delivery", d.ID, "destination", d.Destination, "attempt", attempt, "in", wait.Round(time.Millisecond), "error", reason)
	ms := store.Millis(now)
	_, err := w.St.W.ExecContext(ctx, w.St.Q(`UPDATE deliveries SET attempts = ?, last_error = ?, last_status = ?, updated_at = ?, next_attempt_at = ? WHERE id = ? AND status = 'pending' AND generation = ?`),
		attempt, reason, ne.StatusCode, ms, store.Millis(now.Add(wait)), d.ID, d.Generation)
	if err != nil {
		return 0, fmt.Errorf("delivery %d: record retry: %w", d.ID, err)
	}
	return wait, nil
}

// QuestionArgs wakes the worker for every delivery of a new question: one
// job per question instead of one per destination keeps the queue's work
// (and, on SQLite, the single writer's) a third of what it would be.
type QuestionArgs struct {
	QuestionID int64 `json:"question_id"`
}

// Kind implements river.JobArgs.
func (QuestionArgs) Kind() string { return "deliver_question" }

// InsertOpts makes question jobs unique per question.
func (QuestionArgs) InsertOpts() river.InsertOpts { return *jobs.UniqueByArgs() }

// QuestionWorker sends a question to all its destinations at once. A
// delivery that must be retried gets its own job (Args) scheduled for the
// retry; the question job itself completes.
type QuestionWorker struct {
	river.WorkerDefaults[QuestionArgs]
	*Worker
	Queue jobs.Queue
}

// Timeout implements river.Worker.
func (w *QuestionWorker) Timeout(*river.Job[QuestionArgs]) time.Duration {
	return w.SendTimeout + 10*time.Second
}

// Work implements river.Worker.
func (w *QuestionWorker) Work(ctx context.Context, job *river.Job[QuestionArgs]) error {
	ds, err := list(ctx, w.St, `WHERE d.question_id = ? AND d.status = 'pending' ORDER BY d.id`, job.Args.QuestionID)
	if err != nil {
		return fmt.Errorf("delivery: question %d: %w", job.Args.QuestionID, err)
	}
	if len(ds) == 0 {
		return nil
	}
	l, err := w.load(ctx, ds[0].ID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delivery: question %d: %w", job.Args.QuestionID, err)
	}
	type outcome struct {
		d    *Delivery
		wait time.Duration
		err  error
	}
	out := make(chan outcome, len(ds))
	for _, d := range ds {
		go func() {
			if wait := d.NextAttemptAt.Sub(w.Now()); wait > time.Second {
				out <- outcome{d: d, wait: wait} // not due yet: leave it to its own job
				return
			}
			wait, err := w.attempt(ctx, d, l.q)
			out <- outcome{d: d, wait: wait, err: err}
		}()
	}
	var errs []error
	interrupted := false
	for range ds {
		o := <-out
		switch {
		case errors.Is(o.err, errInterrupted):
			interrupted = true
		case o.err != nil:
			errs = append(errs, o.err)
		case o.wait > 0:
			opts := jobs.UniqueByArgs()
			opts.ScheduledAt = w.Now().Add(o.wait)
			if _, err := w.Queue.Insert(ctx, Args{DeliveryID: o.d.ID, Generation: o.d.Generation}, opts); err != nil {
				// The row records the retry time: the sweeper wakes it.
				w.Log.Warn("schedule delivery retry failed; the sweeper will pick it up", "delivery", o.d.ID, "error", err)
			}
		}
	}
	if interrupted {
		return river.JobSnooze(0)
	}
	return errors.Join(errs...)
}

func (w *Worker) observe(dest, outcome string, took time.Duration) {
	if w.Observe != nil {
		w.Observe(dest, outcome, took)
	}
}

func (w *Worker) finish(ctx context.Context, d *Delivery, status string, attempts int, ref, reason string, code int) error {
	ms := store.Millis(w.Now())
	var delivered any
	if status == StatusDelivered {
		delivered = ms
	}
	_, err := w.St.W.ExecContext(ctx, w.St.Q(`UPDATE deliveries SET status = ?, attempts = ?, external_ref = ?, last_error = ?, last_status = ?, updated_at = ?, delivered_at = ?, next_attempt_at = NULL WHERE id = ? AND status = 'pending' AND generation = ?`),
		status, attempts, ref, reason, code, ms, delivered, d.ID, d.Generation)
	if err != nil {
		return fmt.Errorf("delivery %d: record %s: %w", d.ID, status, err)
	}
	return nil
}

// deliveryKey is the idempotency key sent to destinations: stable across
// attempts and restarts, distinct for an operator's explicit retry of a
// failed delivery (which the operator wants to reach the destination anew).
func deliveryKey(d *Delivery) string {
	if d.Generation == 0 {
		return fmt.Sprintf("%s-%d", d.QuestionRef, d.ID)
	}
	return fmt.Sprintf("%s-%d-r%d", d.QuestionRef, d.ID, d.Generation)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// SweepArgs is the periodic job that re-enqueues deliveries whose wake-up
// job was lost (a crash between commit and enqueue).
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "delivery_sweep" }

// Sweeper re-enqueues pending deliveries that are overdue.
type Sweeper struct {
	river.WorkerDefaults[SweepArgs]
	St    *store.Store
	Queue jobs.Queue
	Now   func() time.Time
	// Grace is how overdue a delivery must be before it is re-enqueued.
	Grace time.Duration
	Log   *slog.Logger
}

// Work implements river.Worker.
func (s *Sweeper) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	n, err := Sweep(ctx, s.St, s.Queue, s.Now().Add(-s.Grace))
	if err != nil {
		return err
	}
	if n > 0 {
		s.Log.Info("re-enqueued overdue deliveries", "count", n)
	}
	return nil
}

// Sweep enqueues a wake-up for every pending delivery due before cutoff and
// untouched since. Unique jobs make it harmless for deliveries that still
// have their own job; cutoff must lie further back than the longest job
// timeout so that a delivery whose question job is running elsewhere is
// left alone.
func Sweep(ctx context.Context, st *store.Store, q jobs.Queue, cutoff time.Time) (int, error) {
	// updated_at is written when an attempt starts, so a delivery being
	// sent right now (by a question job of this or another replica) is
	// not woken a second time.
	rows, err := st.W.QueryContext(ctx, st.Q(`SELECT id, generation FROM deliveries WHERE status = 'pending' AND next_attempt_at < ? AND updated_at < ? ORDER BY next_attempt_at LIMIT 1000`), store.Millis(cutoff), store.Millis(cutoff))
	if err != nil {
		return 0, fmt.Errorf("delivery: sweep: %w", err)
	}
	var params []river.InsertManyParams
	for rows.Next() {
		var a Args
		if err := rows.Scan(&a.DeliveryID, &a.Generation); err != nil {
			rows.Close()
			return 0, fmt.Errorf("delivery: sweep: %w", err)
		}
		params = append(params, river.InsertManyParams{Args: a})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, p := range params {
		ok, err := q.Insert(ctx, p.Args, nil)
		if err != nil {
			return n, fmt.Errorf("delivery: sweep: %w", err)
		}
		if ok {
			n++
		}
	}
	return n, nil
}
