package delivery_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/delivery"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

type bundle struct {
	st    *store.Store
	q     jobs.Queue
	hook  *fake.Webhook
	w     *delivery.Worker
	now   time.Time
	start time.Time
}

func setup(t *testing.T, st *store.Store) *bundle {
	t.Helper()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, st); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(st, jobs.Options{}) // insert-only: the test calls Work itself
	if err != nil {
		t.Fatal(err)
	}
	b := &bundle{st: st, q: q, hook: fake.NewWebhook(t)}
	b.start = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	b.now = b.start
	sender, err := notify.New(config.Destination{Name: "hook", Type: "webhook", URL: b.hook.URL()}, func(string) (string, bool) { return "", false }, &http.Client{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	b.w = &delivery.Worker{
		St: st, Senders: map[string]notify.Sender{"hook": sender}, RetryFor: 24 * time.Hour, SendTimeout: 2 * time.Second,
		Now: func() time.Time { return b.now }, Log: slog.New(slog.DiscardHandler),
		Backoff: func(n int) time.Duration { return time.Duration(n) * time.Minute },
		Queue:   q,
	}
	return b
}

// question stores a question with deliveries to dests and returns their ids.
func (b *bundle) question(t *testing.T, dests ...string) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	err := b.st.Tx(ctx, func(tx *sql.Tx) error {
		var qid int64
		if err := tx.QueryRowContext(ctx, b.st.Q(`INSERT INTO questions (ref, text, submitted_at) VALUES (?, ?, ?) RETURNING id`),
			"Q-"+strings.ToUpper(strings.Repeat(string(rune('A'+len(dests))), 8))[:8], "the question", store.Millis(b.now)).Scan(&qid); err != nil {
			return err
		}
		var err error
		ids, err = delivery.InsertPending(ctx, b.st, tx, qid, dests, b.now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// questions stores questions with these refs, each with deliveries to
// dests, and returns their ids and their deliveries.
func (b *bundle) questions(t *testing.T, refs []string, dests ...string) ([]int64, []delivery.Pending) {
	t.Helper()
	ctx := context.Background()
	var qids []int64
	var ps []delivery.Pending
	err := b.st.Tx(ctx, func(tx *sql.Tx) error {
		qids = qids[:0]
		for _, ref := range refs {
			var id int64
			if err := tx.QueryRowContext(ctx, b.st.Q(`INSERT INTO questions (ref, text, submitted_at) VALUES (?, ?, ?) RETURNING id`), ref, "text of "+ref, store.Millis(b.now)).Scan(&id); err != nil {
				return err
			}
			qids = append(qids, id)
		}
		var err error
		ps, err = delivery.InsertPendingMany(ctx, b.st, tx, qids, dests, b.now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return qids, ps
}

func (b *bundle) work(t *testing.T, id int64, gen int) error {
	t.Helper()
	return b.w.Work(context.Background(), &river.Job[delivery.Args]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: delivery.Args{DeliveryID: id, Generation: gen}})
}

func (b *bundle) get(t *testing.T, id int64) *delivery.Delivery {
	t.Helper()
	d, err := delivery.Get(context.Background(), b.st, b.st.R, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func snoozed(err error) (time.Duration, bool) {
	var se *rivertype.JobSnoozeError
	if errors.As(err, &se) {
		return se.Duration, true
	}
	return 0, false
}

func TestWorkerOutcomes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)

		// A retryable failure records the attempt and snoozes for the
		// backoff.
		b.hook.FailNext(1, fake.Failure{Status: 503})
		id := b.question(t, "hook", "gone")[0]
		err := b.work(t, id, 0)
		if wait, ok := snoozed(err); !ok || wait != time.Minute {
			t.Fatalf("after 503: %v", err)
		}
		d := b.get(t, id)
		if d.Status != delivery.StatusPending || d.Attempts != 1 || d.LastStatus != 503 || !d.NextAttemptAt.Equal(b.now.Add(time.Minute)) {
			t.Errorf("after 503: %+v", d)
		}
		// Woken before it is due (a sweeper, a duplicate): no request.
		before := b.hook.RequestCount()
		if wait, ok := snoozed(b.work(t, id, 0)); !ok || wait != time.Minute {
			t.Errorf("early wake-up not snoozed: %v", wait)
		}
		if b.hook.RequestCount() != before {
			t.Error("early wake-up called the destination")
		}
		// Due: delivered.
		b.now = b.now.Add(time.Minute)
		if err := b.work(t, id, 0); err != nil {
			t.Fatal(err)
		}
		d = b.get(t, id)
		if d.Status != delivery.StatusDelivered || d.Attempts != 2 || d.DeliveredAt.IsZero() {
			t.Errorf("after success: %+v", d)
		}
		// Running again (a duplicate job) does nothing.
		if err := b.work(t, id, 0); err != nil || b.hook.RequestCount() != before+1 {
			t.Errorf("delivered delivery sent again: %v, %d requests", err, b.hook.RequestCount())
		}
		// A stale generation does nothing either.
		if err := b.work(t, id, 7); err != nil || b.hook.RequestCount() != before+1 {
			t.Error("stale generation ran")
		}

		// A destination removed from the configuration fails with a reason.
		gone := b.question(t, "gone")[0]
		if err := b.work(t, gone, 0); err != nil {
			t.Fatal(err)
		}
		if d := b.get(t, gone); d.Status != delivery.StatusFailed || !strings.Contains(d.LastError, "no longer configured") {
			t.Errorf("removed destination: %+v", d)
		}

		// Past the retry window the delivery fails and says why.
		late := b.question(t, "hook", "x", "y")[0]
		b.now = b.now.Add(23*time.Hour + 59*time.Minute + 30*time.Second)
		b.hook.FailNext(1, fake.Failure{Status: 500})
		if err := b.work(t, late, 0); err != nil {
			t.Fatalf("give-up should complete the job: %v", err)
		}
		d = b.get(t, late)
		if d.Status != delivery.StatusFailed || !strings.Contains(d.LastError, "gave up after 1 attempts over 24h0m0s") {
			t.Errorf("after the window: %+v", d)
		}

		// The operator retries it: pending again with a new generation and
		// a fresh window; a second retry of a pending one does nothing.
		ok, err := delivery.Retry(context.Background(), st, b.q, late, b.now)
		if err != nil || !ok {
			t.Fatalf("retry: %v %v", ok, err)
		}
		d = b.get(t, late)
		if d.Status != delivery.StatusPending || d.Generation != 1 || d.Attempts != 0 {
			t.Errorf("after retry: %+v", d)
		}
		if ok, err := delivery.Retry(context.Background(), st, b.q, late, b.now); ok || err != nil {
			t.Errorf("retry of a pending delivery: %v %v", ok, err)
		}
		if _, err := delivery.Retry(context.Background(), st, b.q, 999999, b.now); !errors.Is(err, delivery.ErrNotFound) {
			t.Errorf("retry of unknown id: %v", err)
		}
		if err := b.work(t, late, 1); err != nil {
			t.Fatal(err)
		}
		if d := b.get(t, late); d.Status != delivery.StatusDelivered {
			t.Errorf("retried delivery: %+v", d)
		}
		// The retry used a new idempotency key: the sink accepted it as new.
		keys := map[string]bool{}
		for _, x := range b.hook.Deliveries() {
			keys[x.IdempotencyKey] = true
		}
		if len(keys) != 2 {
			t.Errorf("idempotency keys: %v", keys)
		}
	})
}

func TestSweep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		ctx := context.Background()
		// A delivery its destination's job is waiting to send (a slow
		// destination's backlog) is not woken a second time.
		_, queued := b.questions(t, []string{"Q-QUEUED01"}, "hook")
		if err := b.q.InsertMany(ctx, delivery.JobParams(queued)); err != nil {
			t.Fatal(err)
		}
		if n, err := delivery.Sweep(ctx, st, b.q, b.now.Add(time.Second)); err != nil || n != 0 {
			t.Fatalf("sweep of a delivery with a job: %d %v", n, err)
		}
		// Once that job is done (here: deleted), it is.
		if _, err := st.W.ExecContext(ctx, `DELETE FROM river_job`); err != nil {
			t.Fatal(err)
		}
		if n, err := delivery.Sweep(ctx, st, b.q, b.now.Add(time.Second)); err != nil || n != 1 {
			t.Fatalf("sweep of a delivery without a job: %d %v", n, err)
		}
		if _, err := st.W.ExecContext(ctx, `DELETE FROM river_job`); err != nil {
			t.Fatal(err)
		}
		if _, err := st.W.ExecContext(ctx, `DELETE FROM deliveries`); err != nil {
			t.Fatal(err)
		}
		ids := b.question(t, "hook", "other")
		// Not yet overdue: nothing.
		if n, err := delivery.Sweep(ctx, st, b.q, b.now.Add(-time.Second)); err != nil || n != 0 {
			t.Fatalf("sweep before due: %d %v", n, err)
		}
		n, err := delivery.Sweep(ctx, st, b.q, b.now.Add(time.Second))
		if err != nil || n != len(ids) {
			t.Fatalf("sweep: %d %v; want %d", n, err, len(ids))
		}
		// Jobs exist now: sweeping again inserts nothing.
		if n, err := delivery.Sweep(ctx, st, b.q, b.now.Add(time.Second)); err != nil || n != 0 {
			t.Errorf("second sweep: %d %v", n, err)
		}
		var jobsN int
		if err := st.R.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'deliver'`).Scan(&jobsN); err != nil || jobsN != len(ids) {
			t.Errorf("%d deliver jobs (%v); want %d", jobsN, err, len(ids))
		}
	})
}

// TestDestWorkerBatch runs the jobs of a group of questions: one per
// destination. Every due delivery is sent once and recorded, a retryable
// failure gets its own scheduled job in the destination's queue, an unknown
// destination fails, and running the same job again sends nothing.
func TestDestWorkerBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		ctx := context.Background()
		qids, ps := b.questions(t, []string{"Q-BATCH001", "Q-BATCH002", "Q-BATCH003"}, "hook", "gone")
		params := delivery.JobParams(ps)
		if len(params) != 2 {
			t.Fatalf("3 questions to 2 destinations make %d jobs, want 2", len(params))
		}
		var many []delivery.Pending
		for i := range delivery.QuestionsPerJob + 1 {
			for _, d := range []string{"a", "b", "c"} {
				many = append(many, delivery.Pending{ID: int64(len(many) + 1), QuestionID: int64(i + 1), Destination: d})
			}
		}
		if n := len(delivery.JobParams(many)); n != 6 {
			t.Fatalf("%d questions to 3 destinations make %d jobs, want 6", delivery.QuestionsPerJob+1, n)
		}
		for _, p := range params {
			a := p.Args.(delivery.DestArgs)
			if got, want := a.InsertOpts().Queue, jobs.DestinationQueue(a.Destination); got != want {
				t.Fatalf("job for %s in queue %q, want %q", a.Destination, got, want)
			}
		}
		dw := &delivery.DestWorker{Worker: b.w}
		b.hook.FailNext(1, fake.Failure{Status: 503})
		for _, p := range params {
			job := &river.Job[delivery.DestArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: p.Args.(delivery.DestArgs)}
			if err := dw.Work(ctx, job); err != nil {
				t.Fatal(err)
			}
		}
		if got := b.hook.UniqueCount(); got != 2 {
			t.Fatalf("hook received %d questions, want 2 (one got a 503)", got)
		}
		var delivered, pending, failed int
		for _, qid := range qids {
			ds, err := delivery.ForQuestion(ctx, st, qid)
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 2 {
				t.Fatalf("question %d has %d deliveries, want 2", qid, len(ds))
			}
			for _, d := range ds {
				switch {
				case d.Destination == "gone":
					if d.Status != delivery.StatusFailed || !strings.Contains(d.LastError, "no longer configured") || d.Attempts != 0 {
						t.Errorf("gone: %s %q after %d attempts", d.Status, d.LastError, d.Attempts)
					}
					failed++
				case d.Status == delivery.StatusDelivered:
					if d.Attempts != 1 {
						t.Errorf("delivered after %d attempts, want 1", d.Attempts)
					}
					delivered++
				case d.Status == delivery.StatusPending:
					if d.Attempts != 1 || d.LastStatus != 503 || !d.NextAttemptAt.Equal(b.now.Add(time.Minute)) {
						t.Errorf("retry: attempts %d status %d next %v", d.Attempts, d.LastStatus, d.NextAttemptAt)
					}
					pending++
					var n int
					var queue string
					if err := st.R.QueryRowContext(ctx, st.Q(`SELECT count(*), max(queue) FROM river_job WHERE kind = 'deliver' AND state = 'scheduled'`)).Scan(&n, &queue); err != nil {
						t.Fatal(err)
					}
					if n != 1 || queue != jobs.DestinationQueue("hook") {
						t.Errorf("%d scheduled retry jobs in %q, want 1 in the destination's queue", n, queue)
					}
				}
			}
		}
		if delivered != 2 || pending != 1 || failed != 3 {
			t.Fatalf("delivered %d pending %d failed %d, want 2 1 3", delivered, pending, failed)
		}
		// The same jobs again (a River retry, a duplicate): nothing is due.
		before := b.hook.RequestCount()
		for _, p := range params {
			job := &river.Job[delivery.DestArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: p.Args.(delivery.DestArgs)}
			if err := dw.Work(ctx, job); err != nil {
				t.Fatal(err)
			}
		}
		if got := b.hook.RequestCount(); got != before {
			t.Fatalf("re-running the jobs sent %d more requests", got-before)
		}
	})
}

// TestDestWorkerBudget: a job that has used its time budget starts no more
// sends and queues the rest as a new job, so a slow destination never
// holds a worker for long; what it already sent stays recorded.
func TestDestWorkerBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		ctx := context.Background()
		qids, ps := b.questions(t, []string{"Q-SLOW0001", "Q-SLOW0002", "Q-SLOW0003"}, "hook")
		b.hook.SetDelay(30 * time.Millisecond)
		dw := &delivery.DestWorker{Worker: b.w, Budget: time.Millisecond}
		job := &river.Job[delivery.DestArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: delivery.DestArgs{Destination: "hook", DeliveryIDs: []int64{ps[0].ID, ps[1].ID, ps[2].ID}}}
		if err := dw.Work(ctx, job); err != nil {
			t.Fatal(err)
		}
		if got := b.hook.UniqueCount(); got != 1 {
			t.Fatalf("one job over its budget sent %d, want 1", got)
		}
		var args string
		if err := st.R.QueryRowContext(ctx, st.Q(`SELECT `+st.JSONText("args")+` FROM river_job WHERE kind = 'deliver_dest'`)).Scan(&args); err != nil {
			t.Fatal(err)
		}
		var rest delivery.DestArgs
		if err := json.Unmarshal([]byte(args), &rest); err != nil {
			t.Fatal(err)
		}
		if rest.Destination != "hook" || len(rest.DeliveryIDs) != 2 || rest.DeliveryIDs[0] != ps[1].ID || rest.DeliveryIDs[1] != ps[2].ID {
			t.Fatalf("follow-up job %+v, want the two questions not sent", rest)
		}
		ds, err := delivery.ForQuestion(ctx, st, qids[0])
		if err != nil || ds[0].Status != delivery.StatusDelivered {
			t.Fatalf("first delivery: %+v %v", ds, err)
		}
		for _, qid := range qids[1:] {
			ds, err := delivery.ForQuestion(ctx, st, qid)
			if err != nil || ds[0].Status != delivery.StatusPending || ds[0].Attempts != 0 {
				t.Fatalf("a delivery not sent was touched: %+v %v", ds[0], err)
			}
		}
	})
}

// TestQuestionArgsCompat: jobs queued by older releases (one job for every
// destination of some questions, or of one question) become one job per
// destination with pending deliveries.
func TestQuestionArgsCompat(t *testing.T) {
	var a delivery.QuestionArgs
	if err := json.Unmarshal([]byte(`{"question_id":42}`), &a); err != nil {
		t.Fatal(err)
	}
	if a.QuestionID != 42 {
		t.Fatalf("decoded %+v", a)
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		ctx := context.Background()
		qids, _ := b.questions(t, []string{"Q-OLDJOB01", "Q-OLDJOB02"}, "hook", "other")
		qw := &delivery.QuestionWorker{St: st, Queue: b.q}
		job := &river.Job[delivery.QuestionArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: delivery.QuestionArgs{QuestionID: qids[0], QuestionIDs: qids[1:]}}
		if err := qw.Work(ctx, job); err != nil {
			t.Fatal(err)
		}
		rows, err := st.R.QueryContext(ctx, `SELECT queue, `+st.JSONText("args")+` FROM river_job WHERE kind = 'deliver_dest' ORDER BY queue`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string][]int64{}
		for rows.Next() {
			var queue, args string
			if err := rows.Scan(&queue, &args); err != nil {
				t.Fatal(err)
			}
			var d delivery.DestArgs
			if err := json.Unmarshal([]byte(args), &d); err != nil {
				t.Fatal(err)
			}
			if queue != jobs.DestinationQueue(d.Destination) {
				t.Errorf("job for %s in queue %s", d.Destination, queue)
			}
			got[d.Destination] = d.DeliveryIDs
		}
		if len(got) != 2 || len(got["hook"]) != 2 || len(got["other"]) != 2 {
			t.Fatalf("jobs made %v, want both questions for hook and other", got)
		}
	})
}

// TestDestinationQueue: queue names are valid for River, stable, and
// distinct for names that read alike.
func TestDestinationQueue(t *testing.T) {
	seen := map[string]string{}
	for _, name := range []string{"ops-slack", "ops_slack", "Ops Slack", "チーム", strings.Repeat("x", 200), "a"} {
		q := jobs.DestinationQueue(name)
		if len(q) > 64 || !regexp.MustCompile(`^(?:[a-z0-9])+(?:[_|\-]?[a-z0-9]+)*$`).MatchString(q) {
			t.Errorf("%q → %q: not a valid River queue name", name, q)
		}
		if q != jobs.DestinationQueue(name) {
			t.Errorf("%q: not stable", name)
		}
		if other, ok := seen[q]; ok {
			t.Errorf("%q and %q share queue %q", name, other, q)
		}
		seen[q] = name
	}
}

// recordingSender records every request; its first request hangs until the
// context ends (a process stopping mid-send). sensitive makes it
// AttemptSensitive, as Backlog is.
type recordingSender struct {
	mu        sync.Mutex
	reqs      []notify.Request
	sensitive bool
	hang      chan struct{}
}

func (s *recordingSender) Send(ctx context.Context, r notify.Request) (notify.Result, error) {
	s.mu.Lock()
	s.reqs = append(s.reqs, r)
	first := len(s.reqs) == 1
	s.mu.Unlock()
	if first {
		close(s.hang)
		<-ctx.Done()
		return notify.Result{}, ctx.Err()
	}
	return notify.Result{ExternalRef: "ok"}, nil
}

func (s *recordingSender) AttemptSensitive() bool { return s.sensitive }

// TestAttemptAfterInterruption: a send cut off mid-request is made again
// with the same idempotency key. A destination that behaves differently
// on a retry (AttemptSensitive: Backlog) is told it is attempt 2, because
// its attempt was committed before the request; others are not told about
// an attempt whose outcome nobody saw.
func TestAttemptAfterInterruption(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		for _, sensitive := range []bool{true, false} {
			b := setup(t, st)
			rs := &recordingSender{sensitive: sensitive, hang: make(chan struct{})}
			b.w.Senders = map[string]notify.Sender{"rec": rs}
			_, ps := b.questions(t, []string{fmt.Sprintf("Q-INTR%04d", map[bool]int{true: 1, false: 2}[sensitive])}, "rec")
			dw := &delivery.DestWorker{Worker: b.w}
			job := &river.Job[delivery.DestArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: delivery.DestArgs{Destination: "rec", DeliveryIDs: []int64{ps[0].ID}}}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- dw.Work(ctx, job) }()
			<-rs.hang
			cancel()
			if _, ok := snoozed(<-done); !ok {
				t.Fatal("an interrupted job is not handed back")
			}
			if err := dw.Work(context.Background(), job); err != nil {
				t.Fatal(err)
			}
			d := b.get(t, ps[0].ID)
			if len(rs.reqs) != 2 || rs.reqs[0].DeliveryID != rs.reqs[1].DeliveryID {
				t.Fatalf("sensitive %v: requests %+v, want the same key twice", sensitive, rs.reqs)
			}
			wantAttempt := 1
			if sensitive {
				wantAttempt = 2
			}
			if rs.reqs[1].Attempt != wantAttempt || d.Status != delivery.StatusDelivered || d.Attempts != wantAttempt {
				t.Fatalf("sensitive %v: second request attempt %d, row %s after %d attempts; want attempt %d", sensitive, rs.reqs[1].Attempt, d.Status, d.Attempts, wantAttempt)
			}
		}
	})
}

// TestIdempotencyKeyStableAcrossRetries: a delivery that fails twice (503,
// then 502) and succeeds on its third attempt sends the same
// Idempotency-Key with every attempt, so the destination can recognise a
// retry of a request it may have processed; another delivery sends another
// key. The first attempt goes through the destination's batch job, the
// retries through the delivery's own scheduled job.
func TestIdempotencyKeyStableAcrossRetries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		ctx := context.Background()
		refs := []string{"Q-IDEM0001", "Q-IDEM0002"}
		_, ps := b.questions(t, refs, "hook")
		if len(ps) != 2 {
			t.Fatalf("%d deliveries", len(ps))
		}

		b.hook.FailNext(2, fake.Failure{Status: 503})
		dw := &delivery.DestWorker{Worker: b.w}
		job := &river.Job[delivery.DestArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: delivery.DestArgs{Destination: "hook", DeliveryIDs: []int64{ps[0].ID, ps[1].ID}}}
		if err := dw.Work(ctx, job); err != nil {
			t.Fatal(err)
		}
		b.now = b.now.Add(time.Minute) // Backoff(1)
		b.hook.FailNext(2, fake.Failure{Status: 502})
		for _, p := range ps {
			if wait, ok := snoozed(b.work(t, p.ID, 0)); !ok || wait != 2*time.Minute {
				t.Fatalf("second attempt of %d: snoozed %v %v, want 2m", p.ID, wait, ok)
			}
		}
		b.now = b.now.Add(2 * time.Minute) // Backoff(2)
		for _, p := range ps {
			if err := b.work(t, p.ID, 0); err != nil {
				t.Fatal(err)
			}
			if d := b.get(t, p.ID); d.Status != delivery.StatusDelivered || d.Attempts != 3 {
				t.Fatalf("delivery %d: %s after %d attempts, want delivered after 3", p.ID, d.Status, d.Attempts)
			}
		}

		// Every request the hook received, failed ones included, by question.
		type attempt struct{ key, n, bodyID string }
		byRef := map[string][]attempt{}
		for _, r := range b.hook.Requests() {
			var doc struct {
				ID       string `json:"id"`
				Question struct {
					ID string `json:"id"`
				} `json:"question"`
			}
			if err := json.Unmarshal(r.Body, &doc); err != nil {
				t.Fatalf("request body %q: %v", r.Body, err)
			}
			byRef[doc.Question.ID] = append(byRef[doc.Question.ID], attempt{r.Header.Get(notify.HeaderIdempotencyKey), r.Header.Get(notify.HeaderAttempt), doc.ID})
		}
		keys := map[string]string{}
		for _, ref := range refs {
			as := byRef[ref]
			if len(as) != 3 {
				t.Fatalf("%s: %d requests, want 3: %+v", ref, len(as), as)
			}
			key := as[0].key
			if key == "" {
				t.Fatalf("%s: no Idempotency-Key", ref)
			}
			for i, a := range as {
				if a.key != key {
					t.Errorf("%s attempt %d: Idempotency-Key %q, attempt 1 sent %q", ref, i+1, a.key, key)
				}
				if a.bodyID != a.key {
					t.Errorf("%s attempt %d: body id %q differs from Idempotency-Key %q", ref, i+1, a.bodyID, a.key)
				}
				if a.n != fmt.Sprint(i+1) {
					t.Errorf("%s request %d: X-Opsdesk-Attempt %q", ref, i+1, a.n)
				}
			}
			if other, ok := keys[key]; ok {
				t.Errorf("%s and %s share the Idempotency-Key %q", other, ref, key)
			}
			keys[key] = ref
		}
		// The sink saw each question once: a retried request is not news.
		if got := b.hook.UniqueCount(); got != 2 {
			t.Errorf("hook counted %d distinct deliveries, want 2", got)
		}
	})
}
