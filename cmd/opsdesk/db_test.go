package main

import (
	"context"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestCLIDBCopy moves an SQLite installation to PostgreSQL with the
// command an operator runs, attachments included, then checks that the
// command refuses to copy twice.
func TestCLIDBCopy(t *testing.T) {
	st, _, dataDir := sqliteInstallation(t)
	if out, err := cli(t, "", "users", "add", "alice", "--role", "admin", "--generate"); err != nil {
		t.Fatalf("users add: %v %s", err, out)
	}
	if out, err := cli(t, "", "tokens", "create", "--name", "nagios", "--scope", "ingest:alerts"); err != nil {
		t.Fatalf("tokens create: %v %s", err, out)
	}
	key := storeAttachment(t, st, dataDir, "ERROR: out of memory\n")

	target := storetest.DatabaseURL(t, store.Postgres)
	out, err := cli(t, "", "db", "copy", "--to", target)
	if err != nil {
		t.Fatalf("db copy: %v\n%s", err, out)
	}
	for _, want := range []string{
		"copying sqlite:",
		"table                                    sqlite   postgres",
		"users                                         1          1  ok",
		"api_tokens                                    1          1  ok",
		"case_attachments                              1          1  ok",
		"river_job (pending)",
		"not copied:\n",
		"  case_fts — derived: full-text index, rebuilt on the target\n",
		"  goose_db_version — schema version: the target has its own\n",
		"attachments: 1 files in db (1 copied by this run)",
		"search index: 1 cases indexed by this run",
		"Next: stop opsdesk if it still runs on SQLite, set OPSDESK_DATABASE=" + target,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("db copy output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "DIFFERENT") {
		t.Errorf("counts differ:\n%s", out)
	}

	ctx := context.Background()
	tgt, err := store.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	// The copy is in the new database's audit log, as the command line's.
	var n int
	if err := tgt.R.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'db.copy' AND actor_kind = 'cli' AND detail LIKE 'from sqlite:%'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("db.copy in the target's audit log: %d %v", n, err)
	}
	var name string
	if err := tgt.R.QueryRow(`SELECT name FROM users`).Scan(&name); err != nil || name != "alice" {
		t.Errorf("user on the target: %q %v", name, err)
	}
	db, err := blob.NewDB(tgt.W, tgt.R, tgt.Engine)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := db.Stat(ctx, key); err != nil || info.Size != int64(len("ERROR: out of memory\n")) {
		t.Errorf("attachment in the target database: %+v %v", info, err)
	}

	// Twice: the target is no longer empty.
	if _, err := cli(t, "", "db", "copy", "--to", target); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second db copy: %v", err)
	}
	if _, err := cli(t, "", "db", "copy"); !isUsage(err) {
		t.Errorf("db copy without --to: %v", err)
	}
	if _, err := cli(t, "", "db", "copy", "--to", "sqlite:/tmp/x.db"); !isUsage(err) {
		t.Errorf("db copy --to sqlite: %v", err)
	}
	if _, err := cli(t, "", "db", "move"); !isUsage(err) {
		t.Errorf("db move: %v", err)
	}
	// An installation already on PostgreSQL must name its SQLite source.
	t.Setenv("OPSDESK_DATABASE", target)
	if _, err := cli(t, "", "db", "copy", "--to", target); err == nil || !strings.Contains(err.Error(), "--from sqlite:PATH") {
		t.Errorf("db copy from a PostgreSQL configuration: %v", err)
	}
}
