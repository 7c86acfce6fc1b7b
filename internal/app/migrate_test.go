package app_test

import (
	"context"
	"sync"
	"testing"

	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestMigrateConcurrently starts the migrations of several processes at
// once on one empty PostgreSQL database: without the migration lock some of
// them fail ("relation already exists", duplicate pg_type rows). Every one
// must succeed, and exactly one of them applies the schema.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	url := storetest.DatabaseURL(t, store.Postgres)
	ctx := context.Background()
	const n = 6
	stores := make([]*store.Store, n)
	for i := range stores {
		st, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores[i] = st
	}
	// goose retries the creation of its version table when processes race
	// on it, which happens to spread them out; a table already there (an
	// earlier readiness check made it) lets them race on the schema itself.
	for _, st := range stores {
		if _, err := st.Pending(ctx); err != nil {
			t.Fatal(err)
		}
	}
	applied := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, st := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			applied[i], errs[i] = app.Migrate(ctx, st)
		}()
	}
	close(start)
	wg.Wait()
	total := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: %v", i, err)
		}
		total += applied[i]
	}
	first := 0
	for _, a := range applied {
		if a > 0 {
			first++
		}
	}
	if first != 1 || total == 0 {
		t.Fatalf("applied per process %v: want the whole schema applied by exactly one", applied)
	}
	for _, st := range stores {
		if p, err := st.Pending(ctx); err != nil || p {
			t.Fatalf("schema pending after concurrent migrate: %v %v", p, err)
		}
		if p, err := jobs.Pending(ctx, st); err != nil || p {
			t.Fatalf("job queue pending after concurrent migrate: %v %v", p, err)
		}
	}
}

// TestOlderReleaseAfterNewerMigrates is a rolling upgrade seen from a
// replica of the previous release: the database has a migration this
// release does not know (here a schema version far ahead, and a River
// version ahead). It still reports ready and migrating again is a no-op.
func TestOlderReleaseAfterNewerMigrates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if _, err := app.Migrate(ctx, st); err != nil {
			t.Fatal(err)
		}
		if _, err := st.W.ExecContext(ctx, st.Q(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, ?)`), 990001, true); err != nil {
			t.Fatal(err)
		}
		if _, err := st.W.ExecContext(ctx, st.Q(`INSERT INTO river_migration (line, version) VALUES ('main', ?)`), 99); err != nil {
			t.Fatal(err)
		}
		n, err := app.Migrate(ctx, st)
		if err != nil || n != 0 {
			t.Fatalf("migrate under a newer schema: applied %d, %v", n, err)
		}
		if p, err := st.Pending(ctx); err != nil || p {
			t.Fatalf("schema pending: %v %v", p, err)
		}
		if p, err := jobs.Pending(ctx, st); err != nil || p {
			t.Fatalf("job queue pending: %v %v", p, err)
		}
	})
}
