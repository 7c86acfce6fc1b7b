package fleet_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/fleet"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestReap: a replica whose heartbeat is older than DeadAfter is declared
// dead by exactly one of the living, which runs every release hook for it;
// a replica that heartbeats is left alone.
func TestReap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var clock time.Time = time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
		now := func() time.Time { return clock }
		var mu sync.Mutex
		released := map[string][]string{}
		newFleet := func(id string) *fleet.Fleet {
			f := fleet.New(st, fleet.Options{ID: id, DeadAfter: 5 * time.Second, Now: now})
			for _, what := range []string{"jobs", "claims"} {
				f.OnRelease(what, func(_ context.Context, dead string) (int, error) {
					mu.Lock()
					defer mu.Unlock()
					released[dead] = append(released[dead], id+":"+what)
					return 1, nil
				})
			}
			if err := f.Join(ctx); err != nil {
				t.Fatal(err)
			}
			return f
		}
		a, b := newFleet("replica-a"), newFleet("replica-b")
		// A replica that died long ago (on PostgreSQL the database's clock
		// decides, so its row is written in the past there).
		if _, err := st.W.ExecContext(ctx, st.Q(`INSERT INTO replicas (id, started_at, seen_at) VALUES (?, ?, ?)`), "replica-dead", 1, store.Millis(clock.Add(-time.Minute))); err != nil {
			t.Fatal(err)
		}
		if st.Engine == store.Postgres {
			if _, err := st.W.ExecContext(ctx, `UPDATE replicas SET seen_at = (extract(epoch from clock_timestamp()) * 1000)::bigint - 60000 WHERE id = 'replica-dead'`); err != nil {
				t.Fatal(err)
			}
		}
		// Both living replicas look at once: one of them declares it dead.
		var deadA, deadB []string
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); deadA, _ = a.Reap(ctx) }()
		go func() { defer wg.Done(); deadB, _ = b.Reap(ctx) }()
		wg.Wait()
		all := append(append([]string(nil), deadA...), deadB...)
		if len(all) != 1 || all[0] != "replica-dead" {
			t.Fatalf("declared dead: a %v, b %v; want replica-dead once", deadA, deadB)
		}
		got := released["replica-dead"]
		sort.Strings(got)
		reaper := all[0]
		if len(deadA) == 1 {
			reaper = "replica-a"
		} else {
			reaper = "replica-b"
		}
		if len(got) != 2 || got[0] != reaper+":claims" || got[1] != reaper+":jobs" {
			t.Fatalf("release hooks ran %v, want claims and jobs once each, by %s", got, reaper)
		}
		list, err := a.List(ctx)
		if err != nil || len(list) != 2 {
			t.Fatalf("replicas after reaping: %+v %v", list, err)
		}
		// A living replica silent for longer than DeadAfter is declared dead
		// too (SQLite: on the fleet's clock; PostgreSQL: on the database's).
		if st.Engine == store.SQLite {
			clock = clock.Add(6 * time.Second)
			if err := a.Join(ctx); err != nil { // a heartbeats, b does not
				t.Fatal(err)
			}
			dead, err := a.Reap(ctx)
			if err != nil || len(dead) != 1 || dead[0] != "replica-b" {
				t.Fatalf("after b fell silent: %v %v", dead, err)
			}
			// b comes back: its next heartbeat writes its row again.
			if err := b.Join(ctx); err != nil {
				t.Fatal(err)
			}
			if list, _ := a.List(ctx); len(list) != 2 {
				t.Fatalf("b did not rejoin: %+v", list)
			}
		}
		// Leaving is not dying: nothing is released.
		before := len(released)
		if err := b.Leave(ctx); err != nil {
			t.Fatal(err)
		}
		if dead, err := a.Reap(ctx); err != nil || len(dead) != 0 || len(released) != before {
			t.Fatalf("after b left: dead %v %v, released %v", dead, err, released)
		}
	})
}

// TestReleaseRiverJobs: the running jobs of a dead replica (the last id in
// attempted_by) become available now; jobs another replica runs, and jobs
// the dead one ran earlier but another runs now, are left alone; its
// leadership is dropped.
func TestReleaseRiverJobs(t *testing.T) {
	st := storetest.New(t, store.Postgres)
	ctx := context.Background()
	if err := jobs.Migrate(ctx, st); err != nil {
		t.Fatal(err)
	}
	for _, j := range []struct {
		by    string
		state string
	}{
		{"{dead}", "running"},
		{"{dead}", "running"},
		{"{alive}", "running"},
		{"{dead,alive}", "running"},
		{"{dead}", "completed"},
	} {
		if _, err := st.W.ExecContext(ctx, `INSERT INTO river_job (args, attempt, attempted_at, attempted_by, kind, max_attempts, queue, state, finalized_at)
			VALUES ('{}', 1, now(), $1, 'echo', 25, 'default', $2::river_job_state, CASE WHEN $3 THEN now() END)`, j.by, j.state, j.state == "completed"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.W.ExecContext(ctx, `INSERT INTO river_leader (leader_id, elected_at, expires_at) VALUES ('dead', now(), now() + interval '15 seconds')`); err != nil {
		t.Fatal(err)
	}
	n, err := fleet.ReleaseRiverJobs(st)(ctx, "dead")
	if err != nil || n != 2 {
		t.Fatalf("released %d jobs (%v), want 2", n, err)
	}
	counts, err := st.CountBy(ctx, `SELECT state::text, count(*) FROM river_job GROUP BY state`)
	if err != nil {
		t.Fatal(err)
	}
	if counts["available"] != 2 || counts["running"] != 2 || counts["completed"] != 1 {
		t.Fatalf("job states after release: %v", counts)
	}
	if n, err := fleet.DropRiverLeadership(st)(ctx, "dead"); err != nil || n != 1 {
		t.Fatalf("dropped leadership %d (%v), want 1", n, err)
	}
}
