package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestConformance runs the same checks against every engine: the schema is
// the same logical schema, placeholders, RETURNING, unique violations and
// times behave alike.
func TestConformance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if p, err := st.Pending(ctx); err != nil || p {
			t.Fatalf("pending after migrate: %v %v", p, err)
		}
		n, err := st.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second migrate applied %d (%v); want 0", n, err)
		}
		now := time.Date(2026, 11, 21, 12, 34, 56, 789e6, time.UTC)
		var id int64
		err = st.W.QueryRowContext(ctx, st.Q(`INSERT INTO questions (ref, project, name, text, submitted_at, source_ip) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			"Q-TEST0001", "AWS-101", "山田", "障害について?\nline 2 with '?'", store.Millis(now), "192.0.2.1").Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		var text string
		var ms int64
		if err := st.R.QueryRowContext(ctx, st.Q(`SELECT text, submitted_at FROM questions WHERE id = ? AND ref = ?`), id, "Q-TEST0001").Scan(&text, &ms); err != nil {
			t.Fatal(err)
		}
		if text != "障害について?\nline 2 with '?'" {
			t.Errorf("text round trip: %q", text)
		}
		if got := store.Time(ms); !got.Equal(now) || got.Location() != time.UTC {
			t.Errorf("time round trip: %v", got)
		}
		_, err = st.W.ExecContext(ctx, st.Q(`INSERT INTO questions (ref, text, submitted_at) VALUES (?, ?, ?)`), "Q-TEST0001", "dup", 1)
		if !store.IsUniqueViolation(err) {
			t.Errorf("duplicate ref: want unique violation, got %v", err)
		}
		// Foreign keys are enforced on both engines.
		_, err = st.W.ExecContext(ctx, st.Q(`INSERT INTO deliveries (question_id, destination, status, created_at, updated_at) VALUES (?, ?, 'pending', 1, 1)`), id+1000, "x")
		if err == nil {
			t.Error("delivery for a missing question was accepted")
		}
		// Status is constrained.
		_, err = st.W.ExecContext(ctx, st.Q(`INSERT INTO deliveries (question_id, destination, status, created_at, updated_at) VALUES (?, ?, 'lost', 1, 1)`), id, "x")
		if err == nil {
			t.Error("unknown delivery status was accepted")
		}
		// A failed transaction leaves nothing behind.
		err = st.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, st.Q(`INSERT INTO questions (ref, text, submitted_at) VALUES (?, ?, ?)`), "Q-TEST0002", "x", 1); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, st.Q(`INSERT INTO questions (ref, text, submitted_at) VALUES (?, ?, ?)`), "Q-TEST0001", "x", 1)
			return err
		})
		if err == nil {
			t.Fatal("transaction with a duplicate committed")
		}
		var cnt int
		if err := st.R.QueryRowContext(ctx, `SELECT count(*) FROM questions`).Scan(&cnt); err != nil || cnt != 1 {
			t.Errorf("after rollback: %d questions (%v); want 1", cnt, err)
		}
	})
}

func TestRebind(t *testing.T) {
	t.Parallel()
	pg := &store.Store{Engine: store.Postgres}
	got := pg.Q(`SELECT a FROM t WHERE x = ? AND y = '?' AND z IN (?, ?)`)
	want := `SELECT a FROM t WHERE x = $1 AND y = '?' AND z IN ($2, $3)`
	if got != want {
		t.Errorf("Q = %q; want %q", got, want)
	}
	lite := &store.Store{Engine: store.SQLite}
	if q := `SELECT ?`; lite.Q(q) != q {
		t.Error("sqlite query changed")
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if _, err := store.Open(ctx, "mysql://x"); err == nil {
		t.Error("unknown engine opened")
	}
	if _, err := store.Open(ctx, "postgres://nobody@127.0.0.1:1/none?connect_timeout=1"); err == nil {
		t.Error("unreachable postgres opened")
	}
}

// TestRowsAndCountBy: multi-row VALUES lists and grouped counts behave the
// same on both engines.
func TestRowsAndCountBy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		q := `INSERT INTO questions (ref, project, text, submitted_at) VALUES ` + st.Rows(3, 4)
		if _, err := st.W.ExecContext(ctx, q, "Q-ROWS0001", "A", "x", 1, "Q-ROWS0002", "A", "y", 2, "Q-ROWS0003", "B", "z", 3); err != nil {
			t.Fatal(err)
		}
		got, err := st.CountBy(ctx, `SELECT project, count(*) FROM questions WHERE ref LIKE ? GROUP BY project`, "Q-ROWS%")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got["A"] != 2 || got["B"] != 1 {
			t.Fatalf("counts %v; want A:2 B:1", got)
		}
	})
}

// TestSQLiteFileModes: a new SQLite database, its directory and its WAL
// are readable by opsdesk's user only.
func TestSQLiteFileModes(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "opsdesk.db")
	st, err := store.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.W.Exec(`CREATE TABLE modes_probe (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600, path + "-wal": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(p), fi.Mode(), want)
		}
	}
}
