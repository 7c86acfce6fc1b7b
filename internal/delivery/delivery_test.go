package delivery_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
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
		ids := b.question(t, "hook", "other")
		ctx := context.Background()
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

// TestQuestionWorkerBatch runs one question job carrying several questions:
// every due delivery is sent once, a retryable failure gets its own
// scheduled job, an unknown destination fails, and running the same job
// again sends nothing.
func TestQuestionWorkerBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		ctx := context.Background()
		var qids []int64
		err := st.Tx(ctx, func(tx *sql.Tx) error {
			for _, ref := range []string{"Q-BATCH001", "Q-BATCH002", "Q-BATCH003"} {
				var id int64
				if err := tx.QueryRowContext(ctx, st.Q(`INSERT INTO questions (ref, text, submitted_at) VALUES (?, ?, ?) RETURNING id`), ref, "text of "+ref, store.Millis(b.now)).Scan(&id); err != nil {
					return err
				}
				qids = append(qids, id)
			}
			return delivery.InsertPendingMany(ctx, st, tx, qids, []string{"hook", "gone"}, b.now)
		})
		if err != nil {
			t.Fatal(err)
		}
		params := delivery.JobParams(qids)
		if len(params) != 1 {
			t.Fatalf("3 questions make %d jobs, want 1", len(params))
		}
		if n := len(delivery.JobParams(make([]int64, delivery.QuestionsPerJob+1))); n != 2 {
			t.Fatalf("%d questions make %d jobs, want 2", delivery.QuestionsPerJob+1, n)
		}
		qw := &delivery.QuestionWorker{Worker: b.w, Queue: b.q}
		b.hook.FailNext(1, fake.Failure{Status: 503})
		job := &river.Job[delivery.QuestionArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: params[0].Args.(delivery.QuestionArgs)}
		if err := qw.Work(ctx, job); err != nil {
			t.Fatal(err)
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
					if d.Status != delivery.StatusFailed || !strings.Contains(d.LastError, "no longer configured") {
						t.Errorf("gone: %s %q", d.Status, d.LastError)
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
					if err := st.R.QueryRowContext(ctx, st.Q(`SELECT count(*) FROM river_job WHERE kind = 'deliver' AND state = 'scheduled'`)).Scan(&n); err != nil {
						t.Fatal(err)
					}
					if n != 1 {
						t.Errorf("%d scheduled retry jobs, want 1", n)
					}
				}
			}
		}
		if delivered != 2 || pending != 1 || failed != 3 {
			t.Fatalf("delivered %d pending %d failed %d, want 2 1 3", delivered, pending, failed)
		}
		// The same job again (a River retry, a duplicate): nothing is due.
		before := b.hook.RequestCount()
		if err := qw.Work(ctx, job); err != nil {
			t.Fatal(err)
		}
		if got := b.hook.RequestCount(); got != before {
			t.Fatalf("re-running the job sent %d more requests", got-before)
		}
	})
}

// TestQuestionArgsCompat: jobs queued before jobs carried several questions
// still name their one question.
func TestQuestionArgsCompat(t *testing.T) {
	var a delivery.QuestionArgs
	if err := json.Unmarshal([]byte(`{"question_id":42}`), &a); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(delivery.QuestionArgs{QuestionIDs: []int64{1, 2}})
	if string(b) != `{"question_ids":[1,2]}` {
		t.Fatalf("encoded %s", b)
	}
	if a.QuestionID != 42 {
		t.Fatalf("decoded %+v", a)
	}
}
