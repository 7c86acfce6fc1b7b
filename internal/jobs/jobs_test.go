package jobs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

type echoArgs struct {
	Key  string `json:"key"`
	Fail int    `json:"fail"` // fail this many times first
}

func (echoArgs) Kind() string { return "echo" }

type echoWorker struct {
	river.WorkerDefaults[echoArgs]
	mu   sync.Mutex
	runs map[string][]time.Time
	ch   chan string
}

func (w *echoWorker) Work(ctx context.Context, j *river.Job[echoArgs]) error {
	w.mu.Lock()
	w.runs[j.Args.Key] = append(w.runs[j.Args.Key], time.Now())
	n := len(w.runs[j.Args.Key])
	w.mu.Unlock()
	w.ch <- j.Args.Key
	if n <= j.Args.Fail {
		return errors.New("planned failure")
	}
	if j.Args.Key == "block" {
		<-ctx.Done()
		return river.JobSnooze(0)
	}
	return nil
}

type tickArgs struct{}

func (tickArgs) Kind() string { return "tick" }

type tickWorker struct {
	river.WorkerDefaults[tickArgs]
	ch chan string
}

func (w *tickWorker) Work(context.Context, *river.Job[tickArgs]) error {
	w.ch <- "tick"
	return nil
}

func waitKey(t *testing.T, ch chan string, key string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case k := <-ch:
			if k == key {
				return
			}
		case <-deadline:
			t.Fatalf("job %q did not run within %s", key, timeout)
		}
	}
}

// TestQueueConformance runs the same job behaviour on both engines:
// immediate, scheduled, retried, unique and periodic jobs, and hand-back on
// shutdown.
func TestQueueConformance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if err := jobs.Migrate(ctx, st); err != nil {
			t.Fatal(err)
		}
		if p, err := jobs.Pending(ctx, st); err != nil || p {
			t.Fatalf("pending after migrate: %v %v", p, err)
		}
		ch := make(chan string, 100)
		w := &echoWorker{runs: map[string][]time.Time{}, ch: ch}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		river.AddWorker(workers, &tickWorker{ch: ch})
		q, err := jobs.New(st, jobs.Options{
			Workers: workers, Concurrency: 4, FetchPollInterval: 50 * time.Millisecond,
			JobTimeout: 10 * time.Second, RescueAfter: time.Minute,
			Periodic: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(300*time.Millisecond),
				func() (river.JobArgs, *river.InsertOpts) { return tickArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		stopped := false
		t.Cleanup(func() {
			if !stopped {
				_ = q.Stop(context.Background())
			}
		})

		if _, err := q.Insert(ctx, echoArgs{Key: "now"}, nil); err != nil {
			t.Fatal(err)
		}
		waitKey(t, ch, "now", 10*time.Second)

		at := time.Now().Add(700 * time.Millisecond)
		if _, err := q.Insert(ctx, echoArgs{Key: "later"}, &river.InsertOpts{ScheduledAt: at}); err != nil {
			t.Fatal(err)
		}
		waitKey(t, ch, "later", 10*time.Second)
		w.mu.Lock()
		ran := w.runs["later"][0]
		w.mu.Unlock()
		if ran.Before(at.Add(-50 * time.Millisecond)) {
			t.Errorf("scheduled job ran %s early", at.Sub(ran))
		}

		// A failing job is retried with backoff.
		if _, err := q.Insert(ctx, echoArgs{Key: "flaky", Fail: 1}, nil); err != nil {
			t.Fatal(err)
		}
		waitKey(t, ch, "flaky", 10*time.Second)
		waitKey(t, ch, "flaky", 20*time.Second)
		w.mu.Lock()
		gap := w.runs["flaky"][1].Sub(w.runs["flaky"][0])
		w.mu.Unlock()
		if gap < 500*time.Millisecond {
			t.Errorf("retry came after %s: no backoff", gap)
		}

		// Unique jobs: the second insert is skipped.
		ok1, err1 := q.Insert(ctx, echoArgs{Key: "uniq"}, jobs.UniqueByArgs())
		ok2, err2 := q.Insert(ctx, echoArgs{Key: "uniq"}, jobs.UniqueByArgs())
		if err1 != nil || err2 != nil || !ok1 || ok2 {
			t.Errorf("unique: %v %v %v %v", ok1, err1, ok2, err2)
		}

		// Periodic job runs repeatedly.
		waitKey(t, ch, "tick", 10*time.Second)
		waitKey(t, ch, "tick", 10*time.Second)

		// River records completions in batches, a moment after the
		// handlers return: wait for them.
		var stats []jobs.Stat
		found := false
		for deadline := time.Now().Add(10 * time.Second); !found && time.Now().Before(deadline); {
			var err error
			if stats, err = q.Stats(ctx); err != nil {
				t.Fatal(err)
			}
			for _, s := range stats {
				if s.Kind == "echo" && s.State == "completed" && s.Count >= 3 {
					found = true
				}
			}
			if !found {
				time.Sleep(50 * time.Millisecond)
			}
		}
		if !found {
			t.Errorf("stats: %+v", stats)
		}

		// Shutdown with a job still running: it is cancelled and handed
		// back, available for the next process.
		if _, err := q.Insert(ctx, echoArgs{Key: "block"}, nil); err != nil {
			t.Fatal(err)
		}
		waitKey(t, ch, "block", 10*time.Second)
		sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		_ = q.Stop(sctx)
		stopped = true
		var state string
		if err := st.R.QueryRow(`SELECT state FROM river_job WHERE kind = 'echo' ORDER BY id DESC LIMIT 1`).Scan(&state); err != nil {
			t.Fatal(err)
		}
		if state != "available" && state != "scheduled" {
			t.Errorf("interrupted job is %q; want it handed back", state)
		}
	})
}

func TestUniqueWhileActive(t *testing.T) {
	st := storetest.New(t, store.SQLite)
	ctx := context.Background()
	if err := jobs.Migrate(ctx, st); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(st, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ok1, _ := q.Insert(ctx, echoArgs{Key: "sync"}, jobs.UniqueWhileActive())
	ok2, _ := q.Insert(ctx, echoArgs{Key: "sync"}, jobs.UniqueWhileActive())
	if !ok1 || ok2 {
		t.Fatalf("while queued: %v %v", ok1, ok2)
	}
	if _, err := st.W.Exec(`UPDATE river_job SET state = 'completed', finalized_at = CURRENT_TIMESTAMP`); err != nil {
		t.Fatal(err)
	}
	if ok, err := q.Insert(ctx, echoArgs{Key: "sync"}, jobs.UniqueWhileActive()); err != nil || !ok {
		t.Errorf("after completion: %v %v", ok, err)
	}
}
