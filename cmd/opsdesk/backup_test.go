package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
)

// sqliteInstallation is a migrated SQLite opsdesk in its own data
// directory, configured through the environment as an operator would.
func sqliteInstallation(t *testing.T) (*store.Store, string, string) {
	t.Helper()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "opsdesk.db")
	t.Setenv("OPSDESK_DATABASE", "sqlite:"+dbPath)
	t.Setenv("OPSDESK_DATA_DIR", dir)
	t.Setenv("OPSDESK_CONFIG", "")
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, st); err != nil {
		t.Fatal(err)
	}
	return st, dbPath, dir
}

// storeAttachment puts a file into the installation's attachment directory
// and records a case message carrying it; it returns the file's key.
func storeAttachment(t *testing.T, st *store.Store, dataDir, content string) string {
	t.Helper()
	info, err := blob.NewLocal(filepath.Join(dataDir, "attachments")).Put(context.Background(), strings.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	var caseRef, commRef int64
	if err := st.W.QueryRow(`INSERT INTO cases (account, case_id, subject, time_created, first_seen_at, changed_at, last_seen_at)
		VALUES ('prod', 'case-1', 'ディスク障害', 1, 1, 1, 1) RETURNING id`).Scan(&caseRef); err != nil {
		t.Fatal(err)
	}
	if err := st.W.QueryRow(`INSERT INTO case_communications (case_ref, body, time_created, dedup, stored_at) VALUES (?, 'ログを添付します', 2, 'd1', 2) RETURNING id`, caseRef).Scan(&commRef); err != nil {
		t.Fatal(err)
	}
	if _, err := st.W.Exec(`INSERT INTO case_attachments (case_ref, comm_ref, attachment_id, file_name, size, sha256, status, updated_at)
		VALUES (?, ?, 'att-1', 'syslog.txt', ?, ?, 'stored', 3)`, caseRef, commRef, info.Size, info.Key); err != nil {
		t.Fatal(err)
	}
	return info.Key
}

func countRows(t *testing.T, db *sql.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// TestCLIBackup takes a backup while a writer keeps committing (a question
// and its two deliveries per transaction), then checks that the copy is a
// consistent cut, private, refuses to be overwritten, carries the
// attachments, and restores in one step.
func TestCLIBackup(t *testing.T) {
	st, dbPath, dataDir := sqliteInstallation(t)
	key := storeAttachment(t, st, dataDir, "kernel: EXT4-fs error\n")

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	started := make(chan struct{})
	wrote := make(chan int, 1)
	go func() {
		n := 0
		defer func() { wrote <- n }()
		for ctx.Err() == nil {
			err := st.Tx(ctx, func(tx *sql.Tx) error {
				var id int64
				if err := tx.QueryRow(`INSERT INTO questions (ref, text, submitted_at) VALUES (?, 'while backing up', 1) RETURNING id`, fmt.Sprintf("Q-BACKUP%05d", n)).Scan(&id); err != nil {
					return err
				}
				_, err := tx.Exec(`INSERT INTO deliveries (question_id, destination, status, created_at, updated_at) VALUES (?, 'teams', 'pending', 1, 1), (?, 'backlog', 'pending', 1, 1)`, id, id)
				return err
			})
			if err != nil {
				return
			}
			n++
			if n == 50 {
				close(started)
			}
		}
	}()
	<-started

	backups := t.TempDir()
	file := filepath.Join(backups, "opsdesk-backup.db")
	attDir := filepath.Join(backups, "attachments")
	out, err := cli(t, "", "backup", file, "--with-attachments", attDir)
	stop()
	n := <-wrote
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	for _, want := range []string{"written to " + file, "integrity ok", "questions", "deliveries", "attachments: 1 files in " + attDir + " (1 copied now)", "restore: stop opsdesk, then copy"} {
		if !strings.Contains(out, want) {
			t.Errorf("backup output lacks %q:\n%s", want, out)
		}
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(out, humanSize(fi.Size())) {
		t.Errorf("backup output does not give the size %s:\n%s", humanSize(fi.Size()), out)
	}
	if left, _ := filepath.Glob(filepath.Join(backups, ".opsdesk-backup.db.tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// A consistent cut: every question with both deliveries.
	bk, err := openSQLiteReadOnly(file)
	if err != nil {
		t.Fatal(err)
	}
	q, d := countRows(t, bk, "questions"), countRows(t, bk, "deliveries")
	bk.Close()
	if d != 2*q || q < 50 || q > int64(n) {
		t.Errorf("backup holds %d questions and %d deliveries; %d were written, 50 before the backup", q, d, n)
	}
	if line := fmt.Sprintf("  %-28s %10d\n", "questions", q); !strings.Contains(out, line) {
		t.Errorf("backup output lacks %q:\n%s", line, out)
	}
	if got, err := os.ReadFile(blob.NewLocal(attDir).Path(key)); err != nil || string(got) != "kernel: EXT4-fs error\n" {
		t.Errorf("attachment in the backup directory: %q %v", got, err)
	}

	// An existing file is not overwritten without --force.
	if _, err := cli(t, "", "backup", file); err == nil || !strings.Contains(err.Error(), "exists") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("backup onto an existing file: %v", err)
	}
	if _, err := cli(t, "", "backup", dbPath, "--force"); err == nil || !strings.Contains(err.Error(), "is the database itself") {
		t.Errorf("backup onto the database: %v", err)
	}
	if out, err := cli(t, "", "backup", file, "--force"); err != nil || !strings.Contains(out, "integrity ok") {
		t.Errorf("backup --force: %v\n%s", err, out)
	}
	bk, err = openSQLiteReadOnly(file)
	if err != nil {
		t.Fatal(err)
	}
	q2 := countRows(t, bk, "questions")
	bk.Close()
	if q2 != int64(n) {
		t.Errorf("second backup, taken after the writer stopped: %d questions, want %d", q2, n)
	}

	// Restore, as docs/backup.md says: stop opsdesk, copy the file over
	// the database.
	mustExecSQL(t, st.W, `INSERT INTO questions (ref, text, submitted_at) VALUES ('Q-AFTERBACKUP', 'lost by the restore', 1)`)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dbPath + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("a clean stop left %s-wal: %v", dbPath, err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dbPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	restored, err := store.Open(context.Background(), "sqlite:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if pending, err := restored.Pending(context.Background()); err != nil || pending {
		t.Errorf("restored database has pending migrations: %v %v", pending, err)
	}
	var ok string
	if err := restored.R.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("restored database: %q %v", ok, err)
	}
	if got := countRows(t, restored.R, "questions"); got != int64(n) {
		t.Errorf("restored database has %d questions, want %d", got, n)
	}
}

func mustExecSQL(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestCLIBackupPostgres points a PostgreSQL installation to pg_dump.
func TestCLIBackupPostgres(t *testing.T) {
	t.Setenv("OPSDESK_DATABASE", "postgres://opsdesk@db.internal/opsdesk")
	t.Setenv("OPSDESK_CONFIG", "")
	_, err := cli(t, "", "backup", filepath.Join(t.TempDir(), "x.db"))
	if err == nil || !strings.Contains(err.Error(), "pg_dump") || !strings.Contains(err.Error(), "docs/backup.md") {
		t.Errorf("backup on PostgreSQL: %v", err)
	}
	if _, err := cli(t, "", "backup"); !isUsage(err) {
		t.Errorf("backup without FILE: %v", err)
	}
}
