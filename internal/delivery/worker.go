package delivery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/textutil"
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
	// Count the attempt before making it: if the process dies mid-call,
	// the next run knows an earlier attempt may have reached the
	// destination (Backlog then looks for the issue before creating one).
	if _, err := w.St.W.ExecContext(ctx, w.St.Q(`UPDATE deliveries SET attempts = ?, updated_at = ? WHERE id = ? AND status = 'pending' AND generation = ?`),
		d.Attempts+1, store.Millis(w.Now()), d.ID, d.Generation); err != nil {
		return 0, fmt.Errorf("delivery %d: record attempt: %w", d.ID, err)
	}
	o, err := w.send(ctx, d, q)
	if err != nil {
		return 0, err
	}
	return o.wait, w.record(ctx, w.St.W, o)
}

// outcome is the result of one attempt, to be written to the row.
type outcome struct {
	d       *Delivery
	status  string // StatusDelivered, StatusFailed, or StatusPending for a retry
	attempt int
	ref     string
	reason  string
	code    int
	at      time.Time
	wait    time.Duration
}

// send makes attempt d.Attempts+1 of d (already counted in the row) and
// decides what it means, without writing anything.
func (w *Worker) send(ctx context.Context, d *Delivery, q notify.Question) (outcome, error) {
	now := w.Now()
	attempt := d.Attempts + 1
	o := outcome{d: d, attempt: attempt, at: now}
	sender, ok := w.Senders[d.Destination]
	if !ok {
		o.status, o.attempt, o.reason = StatusFailed, 0, fmt.Sprintf("destination %q is no longer configured", d.Destination)
		return o, nil
	}
	consoleURL := ""
	if w.ConsoleURL != nil {
		consoleURL = w.ConsoleURL(q.ID)
	}
	cctx, cancel := context.WithTimeout(ctx, w.SendTimeout)
	start := time.Now()
	res, sendErr := sender.Send(cctx, notify.Request{DeliveryID: deliveryKey(d), Attempt: attempt, Question: q, ConsoleURL: consoleURL})
	took := time.Since(start)
	cancel()
	if sendErr == nil {
		w.observe(d.Destination, StatusDelivered, took)
		o.status, o.ref = StatusDelivered, res.ExternalRef
		return o, nil
	}
	if ctx.Err() != nil {
		w.observe(d.Destination, "interrupted", took)
		return o, errInterrupted
	}
	var ne *notify.Error
	if !errors.As(sendErr, &ne) {
		ne = &notify.Error{Reason: sendErr.Error()}
	}
	o.reason, o.code = clip(ne.Reason, 1000), ne.StatusCode
	if ne.Permanent {
		w.observe(d.Destination, StatusFailed, took)
		w.Log.Warn("delivery failed permanently", "delivery", d.ID, "question", d.QuestionRef, "destination", d.Destination, "status", ne.StatusCode, "error", o.reason)
		o.status = StatusFailed
		return o, nil
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
		o.reason = fmt.Sprintf("gave up after %d attempts over %s: %s", attempt, w.RetryFor, o.reason)
		w.Log.Warn("delivery failed", "delivery", d.ID, "question", d.QuestionRef, "destination", d.Destination, "error", o.reason)
		o.status = StatusFailed
		return o, nil
	}
	w.observe(d.Destination, "retry", took)
	w.Log.Info("delivery will be retried", "delivery", d.ID, "destination", d.Destination, "attempt", attempt, "in", wait.Round(time.Millisecond), "error", o.reason)
	o.status, o.wait = StatusPending, wait
	return o, nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// record writes an outcome; a row that is no longer this pending
// generation (an operator's retry, another worker's result) is left alone.
func (w *Worker) record(ctx context.Context, db execer, o outcome) error {
	ms := store.Millis(o.at)
	var err error
	if o.status == StatusPending {
		_, err = db.ExecContext(ctx, w.St.Q(`UPDATE deliveries SET attempts = ?, last_error = ?, last_status = ?, updated_at = ?, next_attempt_at = ? WHERE id = ? AND status = 'pending' AND generation = ?`),
			o.attempt, o.reason, o.code, ms, store.Millis(o.at.Add(o.wait)), o.d.ID, o.d.Generation)
	} else {
		ms = store.Millis(w.Now())
		var delivered any
		if o.status == StatusDelivered {
			delivered = ms
		}
		_, err = db.ExecContext(ctx, w.St.Q(`UPDATE deliveries SET status = ?, attempts = ?, external_ref = ?, last_error = ?, last_status = ?, updated_at = ?, delivered_at = ?, next_attempt_at = NULL WHERE id = ? AND status = 'pending' AND generation = ?`),
			o.status, o.attempt, o.ref, o.reason, o.code, ms, delivered, o.d.ID, o.d.Generation)
	}
	if err != nil {
		return fmt.Errorf("delivery %d: record %s: %w", o.d.ID, o.status, err)
	}
	return nil
}

// QuestionArgs wakes the worker for every delivery of new questions: one
// job per group of questions instead of one per delivery keeps the queue's
// work (and, on SQLite, the single writer's) a small fraction of what it
// would be.
type QuestionArgs struct {
	QuestionIDs []int64 `json:"question_ids,omitempty"`
	// QuestionID is the single question of jobs queued by opsdesk before
	// jobs carried several; still honoured.
	QuestionID int64 `json:"question_id,omitempty"`
}

// Kind implements river.JobArgs.
func (QuestionArgs) Kind() string { return "deliver_question" }

func (a QuestionArgs) ids() []int64 {
	if a.QuestionID != 0 {
		return append([]int64{a.QuestionID}, a.QuestionIDs...)
	}
	return a.QuestionIDs
}

// QuestionWorker sends questions to all their destinations at once. A
// delivery that must be retried gets its own job (Args) scheduled for the
// retry; the question job itself completes. Nothing else inserts question
// jobs, and the rows decide what is still to send, so they need not be
// unique.
type QuestionWorker struct {
	river.WorkerDefaults[QuestionArgs]
	*Worker
	Queue jobs.Queue
}

// Timeout implements river.Worker: every send of the job runs at once.
func (w *QuestionWorker) Timeout(*river.Job[QuestionArgs]) time.Duration {
	return w.SendTimeout + 10*time.Second
}

// Work implements river.Worker.
func (w *QuestionWorker) Work(ctx context.Context, job *river.Job[QuestionArgs]) error {
	ids := job.Args.ids()
	if len(ids) == 0 {
		return nil
	}
	idArgs := make([]any, len(ids))
	for i, id := range ids {
		idArgs[i] = id
	}
	in := w.St.Rows(1, len(ids))
	// By question id alone (the unique index on (question_id,
	// destination)); filtering on status in SQL lets SQLite pick the
	// status index and walk every pending row.
	all, err := list(ctx, w.St, `WHERE d.question_id IN `+in+` ORDER BY d.id`, idArgs...)
	if err != nil {
		return fmt.Errorf("delivery: questions %v: %w", ids, err)
	}
	now := w.Now()
	var due []*Delivery
	var dueIDs []any
	for _, d := range all {
		// A delivery that is not due yet has its own scheduled job.
		if d.Status == StatusPending && d.NextAttemptAt.Sub(now) <= time.Second {
			due = append(due, d)
			dueIDs = append(dueIDs, d.ID)
		}
	}
	if len(due) == 0 {
		return nil
	}
	questions := map[int64]notify.Question{}
	rows, err := w.St.W.QueryContext(ctx, `SELECT id, ref, project, name, text, submitted_at, source_ip FROM questions WHERE id IN `+in, idArgs...)
	if err != nil {
		return fmt.Errorf("delivery: questions %v: %w", ids, err)
	}
	for rows.Next() {
		var id, submitted int64
		var q notify.Question
		if err := rows.Scan(&id, &q.ID, &q.Project, &q.Name, &q.Text, &submitted, &q.SourceIP); err != nil {
			rows.Close()
			return fmt.Errorf("delivery: questions %v: %w", ids, err)
		}
		q.SubmittedAt = store.Time(submitted)
		questions[id] = q
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("delivery: questions %v: %w", ids, err)
	}
	// Count every attempt before making it, in one statement (see
	// Worker.attempt).
	if _, err := w.St.W.ExecContext(ctx, `UPDATE deliveries SET attempts = attempts + 1, updated_at = `+strconv.FormatInt(store.Millis(now), 10)+
		` WHERE status = 'pending' AND id IN `+w.St.Rows(1, len(dueIDs)), dueIDs...); err != nil {
		return fmt.Errorf("delivery: questions %v: record attempts: %w", ids, err)
	}
	type result struct {
		o   outcome
		err error
	}
	out := make(chan result, len(due))
	for _, d := range due {
		go func() {
			o, err := w.send(ctx, d, questions[d.QuestionID])
			out <- result{o, err}
		}()
	}
	var errs []error
	var done []outcome
	interrupted := false
	for range due {
		r := <-out
		switch {
		case errors.Is(r.err, errInterrupted):
			interrupted = true
		case r.err != nil:
			errs = append(errs, r.err)
		default:
			done = append(done, r.o)
		}
	}
	// Every outcome in one transaction: one commit instead of one per
	// delivery.
	if len(done) > 0 {
		if err := w.St.Tx(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
			for _, o := range done {
				if err := w.record(ctx, tx, o); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return errors.Join(append(errs, err)...)
		}
	}
	var retries []river.InsertManyParams
	for _, o := range done {
		if o.status != StatusPending {
			continue
		}
		opts := jobs.UniqueByArgs()
		opts.ScheduledAt = o.at.Add(o.wait)
		retries = append(retries, river.InsertManyParams{Args: Args{DeliveryID: o.d.ID, Generation: o.d.Generation}, InsertOpts: opts})
	}
	if len(retries) > 0 {
		if err := w.Queue.InsertMany(ctx, retries); err != nil {
			// The rows record the retry times: the sweeper wakes them.
			w.Log.Warn("schedule delivery retries failed; the sweeper will pick them up", "deliveries", len(retries), "error", err)
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

// deliveryKey is the idempotency key sent to destinations: stable across
// attempts and restarts, distinct for an operator's explicit retry of a
// failed delivery (which the operator wants to reach the destination anew).
func deliveryKey(d *Delivery) string {
	if d.Generation == 0 {
		return fmt.Sprintf("%s-%d", d.QuestionRef, d.ID)
	}
	return fmt.Sprintf("%s-%d-r%d", d.QuestionRef, d.ID, d.Generation)
}

func clip(s string, n int) string { return textutil.Clip(s, n) }

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
