package delivery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/textutil"
)

// Observer is told the outcome of every attempt (metrics).
type Observer func(destination, outcome string, took time.Duration)

// Worker sends deliveries. It works Args (one delivery: a retry, an
// operator's retry, the sweeper's wake-up); DestWorker and QuestionWorker
// use it for groups of questions.
//
// Deliveries to one destination have a River queue of their own
// (jobs.DestinationQueue), and at most PerDestination requests in flight
// from this process (deliveries.per_destination), so a hanging destination
// holds only its own workers. Concurrent bounds the requests in flight over
// every destination at once (deliveries.workers).
//
// Every send is recorded as soon as it returns, and its attempt is counted
// (committed) before it is made: after a crash exactly the sends that were
// in flight are repeated, with the same idempotency key, and the next
// attempt knows an earlier one may have reached the destination (Backlog
// then looks for the issue before creating one).
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
	// Concurrent bounds the sends in flight at once in this process, over
	// all destinations (0: no bound).
	Concurrent int
	// PerDestination bounds the sends in flight to one destination
	// (default 1).
	PerDestination int
	// Queue receives retry and follow-up jobs (DestWorker, QuestionWorker).
	Queue jobs.Queue

	once    sync.Once
	sem     chan struct{}
	rec     *recorder
	destMu  sync.Mutex
	destSem map[string]chan struct{}
}

// destSlot takes one of the destination's places for a send in flight,
// waiting for one; release gives it back.
func (w *Worker) destSlot(ctx context.Context, dest string) (release func(), err error) {
	w.destMu.Lock()
	if w.destSem == nil {
		w.destSem = map[string]chan struct{}{}
	}
	sem := w.destSem[dest]
	if sem == nil {
		sem = make(chan struct{}, max(w.PerDestination, 1))
		w.destSem[dest] = sem
	}
	w.destMu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, errInterrupted
	}
}

func (w *Worker) init() {
	w.once.Do(func() {
		if w.Concurrent > 0 {
			w.sem = make(chan struct{}, w.Concurrent)
		}
		w.rec = newRecorder(w.St)
	})
}

// Timeout gives River's job timeout a margin over the HTTP timeout so the
// worker, not River, decides what a timeout means.
func (w *Worker) Timeout(*river.Job[Args]) time.Duration { return w.SendTimeout + 15*time.Second }

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
	w.init()
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
	release, err := w.destSlot(ctx, d.Destination)
	if err != nil {
		return river.JobSnooze(0)
	}
	o, err := w.sendOne(ctx, d, l.q, release)
	switch {
	case errors.Is(err, errInterrupted):
		return river.JobSnooze(0)
	case err != nil:
		return err
	case o.status == StatusPending && o.wait > 0:
		return river.JobSnooze(o.wait)
	}
	return nil
}

// sendOne makes one attempt at d, for which the caller holds one of its
// destination's places (release gives it back): it commits the attempt,
// then sendCounted. A delivery that is no longer this pending generation
// when the attempt is counted (another worker finished it meanwhile) is
// not sent: its outcome has an empty status.
func (w *Worker) sendOne(ctx context.Context, d *Delivery, q notify.Question, release func()) (outcome, error) {
	w.init()
	if _, ok := w.Senders[d.Destination]; !ok {
		release()
		return w.unknownDestination(ctx, d)
	}
	counted, err := w.rec.start(ctx, d, w.Now())
	if err != nil {
		release()
		if ctx.Err() != nil {
			return outcome{}, errInterrupted
		}
		return outcome{}, fmt.Errorf("delivery %d: record attempt: %w", d.ID, err)
	}
	if !counted {
		release()
		return outcome{d: d}, nil
	}
	return w.sendCounted(ctx, d, q, release)
}

// unknownDestination fails a delivery to a destination no longer
// configured.
func (w *Worker) unknownDestination(ctx context.Context, d *Delivery) (outcome, error) {
	o := outcome{d: d, at: w.Now(), status: StatusFailed, reason: fmt.Sprintf("destination %q is no longer configured", d.Destination)}
	return o, w.rec.outcome(ctx, w, o)
}

// sendCounted sends d, whose attempt is committed already, taking a place
// among all the sends in flight; it gives back its places (release: the
// destination's) as soon as the destination answered, then commits the
// outcome.
func (w *Worker) sendCounted(ctx context.Context, d *Delivery, q notify.Question, release func()) (outcome, error) {
	if w.sem != nil {
		select {
		case w.sem <- struct{}{}:
		case <-ctx.Done():
			release()
			return outcome{}, errInterrupted
		}
	}
	o := w.send(ctx, d, q)
	if w.sem != nil {
		<-w.sem
	}
	release()
	if o.interrupted {
		// The request may have reached the destination: the attempt stays
		// counted, and the next run sends again with the same key.
		return o, errInterrupted
	}
	if err := w.rec.outcome(ctx, w, o); err != nil {
		return o, err
	}
	return o, nil
}

// outcome is the result of one attempt, to be written to the row.
type outcome struct {
	d           *Delivery
	status      string // StatusDelivered, StatusFailed, or StatusPending for a retry; "" when nothing was sent
	attempt     int
	ref         string
	reason      string
	code        int
	at          time.Time
	wait        time.Duration
	interrupted bool
}

// send makes attempt d.Attempts+1 of d (already counted in the row) and
// decides what it means, without writing anything.
func (w *Worker) send(ctx context.Context, d *Delivery, q notify.Question) outcome {
	now := w.Now()
	attempt := d.Attempts + 1
	o := outcome{d: d, attempt: attempt, at: now}
	sender := w.Senders[d.Destination]
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
		return o
	}
	if ctx.Err() != nil {
		w.observe(d.Destination, "interrupted", took)
		o.interrupted = true
		return o
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
		return o
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
		return o
	}
	w.observe(d.Destination, "retry", took)
	w.Log.Info("delivery will be retried", "delivery", d.ID, "destination", d.Destination, "attempt", attempt, "in", wait.Round(time.Millisecond), "error", o.reason)
	o.status, o.wait = StatusPending, wait
	return o
}

// DestArgs sends the deliveries of some questions to one destination. The
// intake queues one per destination for each group of questions it
// commits, in the destination's own queue.
type DestArgs struct {
	Destination string  `json:"destination"`
	DeliveryIDs []int64 `json:"delivery_ids"`
}

// Kind implements river.JobArgs.
func (DestArgs) Kind() string { return "deliver_dest" }

// InsertOpts implements river.JobArgsWithInsertOpts: the destination's
// queue. Nothing else inserts these jobs and the rows decide what is still
// to send, so they need not be unique.
func (a DestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.DestinationQueue(a.Destination)}
}

// DestWorker works DestArgs: the due deliveries, as many at once as the
// destination has places, each recorded as it returns. After Budget it
// stops starting sends and queues the rest as a new job behind the others
// of the destination's queue, so a destination that hangs takes its turn
// like any other and no job runs for long.
type DestWorker struct {
	river.WorkerDefaults[DestArgs]
	*Worker
	// Budget is how long a job starts new sends (default SendTimeout).
	Budget time.Duration
}

func (w *DestWorker) budget() time.Duration {
	if w.Budget > 0 {
		return w.Budget
	}
	return max(w.SendTimeout, time.Second)
}

// Timeout implements river.Worker: the budget, and the last send started
// within it.
func (w *DestWorker) Timeout(*river.Job[DestArgs]) time.Duration {
	return w.budget() + w.SendTimeout + 15*time.Second
}

// Work implements river.Worker.
func (w *DestWorker) Work(ctx context.Context, job *river.Job[DestArgs]) error {
	w.init()
	ids := job.Args.DeliveryIDs
	if len(ids) == 0 {
		return nil
	}
	started := time.Now()
	if _, ok := w.Senders[job.Args.Destination]; !ok {
		in, arg := w.St.InIDs("d.id", ids)
		all, err := list(ctx, w.St, `WHERE `+in+` AND d.status = 'pending'`, arg)
		if err != nil {
			return fmt.Errorf("delivery: %s: deliveries %v: %w", job.Args.Destination, ids, err)
		}
		for _, d := range all {
			if _, err := w.unknownDestination(ctx, d); err != nil {
				return err
			}
		}
		return nil
	}
	now := w.Now()
	// The deliveries of the job that are due (a delivery not due yet has
	// its own scheduled job).
	due, questions, err := w.dueOf(ctx, job.Args.Destination, ids, now)
	if err != nil {
		if ctx.Err() != nil {
			return river.JobSnooze(0)
		}
		return fmt.Errorf("delivery: %s: deliveries %v: %w", job.Args.Destination, ids, err)
	}
	if len(due) == 0 {
		return nil
	}
	type result struct {
		o   outcome
		err error
	}
	results := make(chan result, len(due))
	launched := 0
	var stop error
	for i, d := range due {
		release, err := w.destSlot(ctx, d.Destination)
		if err != nil {
			// Stopping: what was not sent is handed back uncounted.
			stop = err
			if err := w.giveBack(ctx, job.Args.Destination, due[i:]); err != nil {
				w.Log.Warn("delivery: giving back attempts not made failed; they show one attempt more", "destination", job.Args.Destination, "error", err)
			}
			break
		}
		if i > 0 && time.Since(started) > w.budget() {
			release()
			rest := make([]int64, 0, len(due)-i)
			for _, r := range due[i:] {
				rest = append(rest, r.ID)
			}
			// Their attempts were counted with the job's: the job that
			// sends them counts them again.
			if err := w.giveBack(ctx, job.Args.Destination, due[i:]); err != nil {
				w.Log.Warn("delivery: giving back attempts not made failed; they show one attempt more", "destination", job.Args.Destination, "error", err)
			}
			if err := w.Queue.InsertMany(ctx, []river.InsertManyParams{{Args: DestArgs{Destination: job.Args.Destination, DeliveryIDs: rest}}}); err != nil {
				stop = fmt.Errorf("delivery: %s: queue the rest: %w", job.Args.Destination, err)
			}
			break
		}
		launched++
		go func() {
			o, err := w.sendCounted(ctx, d, questions[d.QuestionID], release)
			results <- result{o, err}
		}()
	}
	var retries []river.InsertManyParams
	var errs []error
	interrupted := errors.Is(stop, errInterrupted)
	if stop != nil && !interrupted {
		errs = append(errs, stop)
	}
	for range launched {
		r := <-results
		switch {
		case errors.Is(r.err, errInterrupted):
			interrupted = true
		case r.err != nil:
			errs = append(errs, r.err)
		case r.o.status == StatusPending:
			retries = append(retries, retryParams(r.o))
		}
	}
	if len(retries) > 0 {
		if err := w.Queue.InsertMany(context.WithoutCancel(ctx), retries); err != nil {
			// The rows record the retry times: the sweeper wakes them.
			w.Log.Warn("schedule delivery retries failed; the sweeper will pick them up", "deliveries", len(retries), "error", err)
		}
	}
	if interrupted {
		return river.JobSnooze(0)
	}
	return errors.Join(errs...)
}

func retryParams(o outcome) river.InsertManyParams {
	opts := jobs.In(jobs.DestinationQueue(o.d.Destination), jobs.UniqueByArgs())
	opts.ScheduledAt = o.at.Add(o.wait)
	return river.InsertManyParams{Args: Args{DeliveryID: o.d.ID, Generation: o.d.Generation, Destination: o.d.Destination}, InsertOpts: &opts}
}

func loadQuestions(ctx context.Context, st *store.Store, ids []int64) (map[int64]notify.Question, error) {
	in, arg := st.InIDs("id", ids)
	questions := map[int64]notify.Question{}
	rows, err := st.R.QueryContext(ctx, st.Q(`SELECT id, ref, project, name, text, submitted_at, source_ip FROM questions WHERE `+in), arg)
	if err != nil {
		return nil, fmt.Errorf("questions %v: %w", ids, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, submitted int64
		var q notify.Question
		if err := rows.Scan(&id, &q.ID, &q.Project, &q.Name, &q.Text, &submitted, &q.SourceIP); err != nil {
			return nil, fmt.Errorf("questions %v: %w", ids, err)
		}
		q.SubmittedAt = store.Time(submitted)
		questions[id] = q
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("questions %v: %w", ids, err)
	}
	return questions, nil
}

// giveBack takes back the attempts dueOf counted for deliveries that were
// not sent after all.
func (w *Worker) giveBack(ctx context.Context, dest string, ds []*Delivery) error {
	if !notify.IsAttemptSensitive(w.Senders[dest]) || len(ds) == 0 {
		return nil
	}
	return w.St.LazyTx(context.WithoutCancel(ctx), func(tx *sql.Tx) error { return uncountAttempts(ctx, w.St, tx, ds) })
}

// dueOf returns the deliveries of ids to dest that are pending and due at
// now. For a destination that is AttemptSensitive (Backlog) it counts
// their attempts before the first is made, in the same statement
// (claimDue): after a crash the next run knows an earlier attempt may have
// reached the destination. Other destinations get the same idempotency
// key on every attempt; their attempts are counted with the outcome.
func (w *Worker) dueOf(ctx context.Context, dest string, ids []int64, now time.Time) ([]*Delivery, map[int64]notify.Question, error) {
	if notify.IsAttemptSensitive(w.Senders[dest]) {
		due, err := claimDue(ctx, w.St, ids, now)
		if err != nil || len(due) == 0 {
			return nil, nil, err
		}
		qids := make([]int64, 0, len(due))
		for _, d := range due {
			qids = append(qids, d.QuestionID)
		}
		questions, err := loadQuestions(ctx, w.St, qids)
		if err != nil {
			return nil, nil, err
		}
		for _, d := range due {
			d.QuestionRef = questions[d.QuestionID].ID
		}
		return due, questions, nil
	}
	// The deliveries and their questions in one query.
	in, arg := w.St.InIDs("d.id", ids)
	rows, err := w.St.R.QueryContext(ctx, w.St.Q(`SELECT `+selectCols+`, q.project, q.name, q.text, q.submitted_at, q.source_ip
		FROM deliveries d JOIN questions q ON q.id = d.question_id
		WHERE `+in+` AND d.status <> 'delivered' AND d.status <> 'failed' AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?) ORDER BY d.id`),
		arg, store.Millis(now)+1000)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var due []*Delivery
	questions := map[int64]notify.Question{}
	for rows.Next() {
		var d Delivery
		var q notify.Question
		var created, updated, submitted int64
		var next, delivered sql.NullInt64
		if err := rows.Scan(&d.ID, &d.QuestionID, &d.QuestionRef, &d.Destination, &d.Status, &d.Attempts, &d.Generation, &d.LastError, &d.LastStatus, &d.ExternalRef,
			&created, &updated, &next, &delivered, &q.Project, &q.Name, &q.Text, &submitted, &q.SourceIP); err != nil {
			return nil, nil, err
		}
		d.CreatedAt, d.UpdatedAt = store.Time(created), store.Time(updated)
		d.NextAttemptAt, d.DeliveredAt = store.NullTime(next), store.NullTime(delivered)
		q.ID, q.SubmittedAt = d.QuestionRef, store.Time(submitted)
		questions[d.QuestionID] = q
		due = append(due, &d)
	}
	return due, questions, rows.Err()
}

// claimDue counts an attempt of every delivery of ids that is pending and
// due at now (within a second), in one statement, and returns them as they
// were before it (Attempts: the attempts made before this one).
// QuestionRef is left empty. Only the attempts column changes (no indexed
// one), so PostgreSQL updates the rows in place.
//
// The rows are found by primary key alone: the status is tested as
// "neither delivered nor failed", which no index can serve, so the
// planner cannot pick the status index instead — as it did, with the
// statistics of a table that had just grown, scanning every pending
// delivery for each job.
func claimDue(ctx context.Context, st *store.Store, ids []int64, now time.Time) ([]*Delivery, error) {
	in, arg := st.InIDs("id", ids)
	ms := store.Millis(now)
	rows, err := st.Lazy.QueryContext(ctx, st.Q(`UPDATE deliveries SET attempts = attempts + 1
		WHERE `+in+` AND status <> 'delivered' AND status <> 'failed' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
		RETURNING id, question_id, destination, status, attempts, generation, last_error, last_status, external_ref, created_at, updated_at, next_attempt_at, delivered_at`),
		arg, ms+1000)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Delivery
	for rows.Next() {
		var d Delivery
		var created, updated int64
		var next, delivered sql.NullInt64
		if err := rows.Scan(&d.ID, &d.QuestionID, &d.Destination, &d.Status, &d.Attempts, &d.Generation, &d.LastError, &d.LastStatus, &d.ExternalRef, &created, &updated, &next, &delivered); err != nil {
			return nil, err
		}
		d.Attempts--
		d.CreatedAt, d.UpdatedAt = store.Time(created), store.Time(updated)
		d.NextAttemptAt, d.DeliveredAt = store.NullTime(next), store.NullTime(delivered)
		out = append(out, &d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *Delivery) int { return int(a.ID - b.ID) })
	return out, nil
}

func int64s(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// QuestionArgs is the wake-up job of releases before deliveries had a queue
// per destination (one job for every destination of a group of questions).
// Jobs of that kind still queued are honoured: QuestionWorker turns each
// into DestArgs jobs.
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

// QuestionWorker works QuestionArgs queued by older releases: it queues
// DestArgs jobs for the questions' pending deliveries.
type QuestionWorker struct {
	river.WorkerDefaults[QuestionArgs]
	St    *store.Store
	Queue jobs.Queue
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
	rows, err := w.St.R.QueryContext(ctx, `SELECT id, question_id, destination FROM deliveries WHERE status = 'pending' AND question_id IN `+w.St.Rows(1, len(ids))+` ORDER BY id`, idArgs...)
	if err != nil {
		return fmt.Errorf("delivery: questions %v: %w", ids, err)
	}
	var ps []Pending
	for rows.Next() {
		var p Pending
		if err := rows.Scan(&p.ID, &p.QuestionID, &p.Destination); err != nil {
			rows.Close()
			return fmt.Errorf("delivery: questions %v: %w", ids, err)
		}
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("delivery: questions %v: %w", ids, err)
	}
	return w.Queue.InsertMany(ctx, JobParams(ps))
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

// activeJobOf is a subquery finding a job, not finished, that will send
// delivery d (of an outer query): its destination's job, its own retry
// job, or a job of an older release for its question.
func activeJobOf(st *store.Store) string {
	const states = `j.state IN ('available', 'running', 'retryable', 'scheduled', 'pending')`
	if st.Engine == store.Postgres {
		return `SELECT 1 FROM river_job j WHERE ` + states + ` AND (
			(j.kind = 'deliver_dest' AND j.args->'delivery_ids' @> to_jsonb(d.id))
			OR (j.kind = 'deliver' AND j.args->>'delivery_id' = d.id::text)
			OR (j.kind = 'deliver_question' AND (j.args->'question_ids' @> to_jsonb(d.question_id) OR j.args->>'question_id' = d.question_id::text)))`
	}
	return `SELECT 1 FROM river_job j WHERE ` + states + ` AND (
		(j.kind = 'deliver_dest' AND EXISTS (SELECT 1 FROM json_each(j.args, '$.delivery_ids') WHERE value = d.id))
		OR (j.kind = 'deliver' AND json_extract(j.args, '$.delivery_id') = d.id)
		OR (j.kind = 'deliver_question' AND (json_extract(j.args, '$.question_id') = d.question_id
			OR EXISTS (SELECT 1 FROM json_each(j.args, '$.question_ids') WHERE value = d.question_id))))`
}

// SweepArgs is the periodic job that re-enqueues deliveries whose wake-up
// job was lost (a crash between commit and enqueue).
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "delivery_sweep" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SweepArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueMaintenance} }

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
// timeout so that a delivery whose group job is running elsewhere is left
// alone.
func Sweep(ctx context.Context, st *store.Store, q jobs.Queue, cutoff time.Time) (int, error) {
	// Only deliveries no job is waiting for or working on: a delivery
	// queued behind others (a slow destination's backlog) or being sent
	// right now (by a job of this or another replica) is not woken a
	// second time.
	rows, err := st.W.QueryContext(ctx, st.Q(`SELECT d.id, d.generation, d.destination FROM deliveries d
		WHERE d.status = 'pending' AND d.next_attempt_at < ? AND d.updated_at < ? AND NOT EXISTS (`+activeJobOf(st)+`)
		ORDER BY d.next_attempt_at LIMIT 1000`), store.Millis(cutoff), store.Millis(cutoff))
	if err != nil {
		return 0, fmt.Errorf("delivery: sweep: %w", err)
	}
	var all []Args
	for rows.Next() {
		var a Args
		if err := rows.Scan(&a.DeliveryID, &a.Generation, &a.Destination); err != nil {
			rows.Close()
			return 0, fmt.Errorf("delivery: sweep: %w", err)
		}
		all = append(all, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, a := range all {
		ok, err := q.Insert(ctx, a, nil)
		if err != nil {
			return n, fmt.Errorf("delivery: sweep: %w", err)
		}
		if ok {
			n++
		}
	}
	return n, nil
}
