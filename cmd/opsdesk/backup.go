package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store"
)

// backupCmd is "opsdesk backup FILE": a consistent copy of the SQLite
// database, taken while opsdesk serves (see docs/backup.md).
func backupCmd(args []string, stdout io.Writer) error {
	fs, cfgFile := flags("backup")
	force := fs.Bool("force", false, "replace FILE if it exists")
	withAtt := fs.String("with-attachments", "", "also copy the attachment files into this directory")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"backup needs exactly one FILE to write"}
	}
	cfg, err := loadConfig(*cfgFile)
	if err != nil {
		return err
	}
	engine, path, err := config.ParseDatabase(cfg.Database)
	if err != nil {
		return err
	}
	if engine != store.SQLite {
		return errors.New("opsdesk backup copies the embedded SQLite database; this installation runs on PostgreSQL: back it up with pg_dump, pg_basebackup or your provider's snapshots (RDS), see docs/backup.md")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	res, err := backupSQLite(ctx, path, pos[0], *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of %s written to %s: %s, integrity ok\n", path, pos[0], humanSize(res.size))
	recordCLIIn(cfg.Database, os.Stderr, "backup.create", pos[0], humanSize(res.size))
	for _, t := range res.tables {
		fmt.Fprintf(stdout, "  %-28s %10d\n", t.name, t.rows)
	}
	spec, err := blob.ParseSpec(cfg.AttachmentsStore())
	if err != nil {
		return err
	}
	switch {
	case spec.Kind == blob.KindDB:
		fmt.Fprintln(stdout, "attachments: in the database, so in this backup")
	case spec.Kind == blob.KindS3:
		fmt.Fprintf(stdout, "attachments: in %s, not in this backup: back the bucket up (versioning, replication), see docs/backup.md\n", spec)
	case *withAtt != "":
		n, copied, err := backupAttachments(ctx, pos[0], blob.NewLocal(spec.Dir), blob.NewLocal(*withAtt))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "attachments: %d files in %s (%d copied now)\n", n, *withAtt, copied)
	default:
		fmt.Fprintf(stdout, "attachments: in %s, not in this backup (add --with-attachments DIR)\n", spec.Dir)
	}
	fmt.Fprintf(stdout, "restore: stop opsdesk, then copy %s over %s (docs/backup.md)\n", pos[0], path)
	return nil
}

type tableRows struct {
	name string
	rows int64
}

type backupResult struct {
	size   int64
	tables []tableRows
}

// backupSQLite writes a consistent copy of the database at path into
// file with VACUUM INTO, which reads inside one transaction (a snapshot,
// also of a live WAL database) and writes a compact, self-contained file
// (no -wal beside it). The copy is written under a temporary name, synced,
// checked with integrity_check, and only then given its name: an
// interrupted backup never leaves a FILE that looks complete.
func backupSQLite(ctx context.Context, path, file string, force bool) (*backupResult, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("backup: the database: %w", err)
	}
	if fi, err := os.Stat(file); err == nil {
		if src, serr := os.Stat(path); serr == nil && os.SameFile(fi, src) {
			return nil, fmt.Errorf("backup: %s is the database itself", file)
		}
		if !force {
			return nil, fmt.Errorf("backup: %s exists; choose another name or pass --force to replace it", file)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("backup: %w", err)
	}
	dir := filepath.Dir(file)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(file)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName) // after the rename or link, a no-op
	if err := os.Chmod(tmpName, 0o600); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}

	db, err := openSQLiteReadOnly(path)
	if err != nil {
		return nil, err
	}
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, tmpName)
	db.Close()
	if err != nil {
		return nil, fmt.Errorf("backup: VACUUM INTO %s: %w", tmpName, err)
	}
	if err := syncFile(tmpName); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	res, err := checkBackup(ctx, tmpName)
	if err != nil {
		return nil, err
	}
	if force {
		err = os.Rename(tmpName, file)
	} else {
		// A link fails if FILE appeared meanwhile: nothing is replaced.
		err = os.Link(tmpName, file)
	}
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := syncFile(dir); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	fi, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	res.size = fi.Size()
	return res, nil
}

// openSQLiteReadOnly opens an existing SQLite file for reading only; it
// never creates one.
func openSQLiteReadOnly(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// checkBackup runs integrity_check on the copy and counts its rows.
func checkBackup(ctx context.Context, file string) (*backupResult, error) {
	db, err := openSQLiteReadOnly(file)
	if err != nil {
		return nil, fmt.Errorf("backup: check: %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return nil, fmt.Errorf("backup: integrity check: %w", err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return nil, fmt.Errorf("backup: integrity check: %w", err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("backup: integrity check: %w", err)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("backup: the copy fails the integrity check: %s", strings.Join(problems, "; "))
	}
	names, err := queryStrings(ctx, db, `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("backup: list tables: %w", err)
	}
	res := &backupResult{}
	for _, name := range names {
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM "`+strings.ReplaceAll(name, `"`, `""`)+`"`).Scan(&n); err != nil {
			return nil, fmt.Errorf("backup: count %s: %w", name, err)
		}
		res.tables = append(res.tables, tableRows{name, n})
	}
	return res, nil
}

// backupAttachments copies the file of every stored attachment the backup
// refers to from src into dst (content-addressed, so files already there
// are skipped and a directory can take backup after backup). It returns
// how many files dst holds for the backup and how many it copied now.
func backupAttachments(ctx context.Context, file string, src, dst blob.Store) (int, int, error) {
	db, err := openSQLiteReadOnly(file)
	if err != nil {
		return 0, 0, fmt.Errorf("backup: attachments: %w", err)
	}
	keys, err := queryStrings(ctx, db, `SELECT DISTINCT sha256 FROM case_attachments WHERE status = 'stored' ORDER BY sha256`)
	db.Close()
	if err != nil {
		return 0, 0, fmt.Errorf("backup: attachments: %w", err)
	}
	copied := 0
	var missing []string
	for _, key := range keys {
		if _, err := dst.Stat(ctx, key); err == nil {
			continue
		} else if !errors.Is(err, blob.ErrNotFound) {
			return 0, 0, fmt.Errorf("backup: attachments: %w", err)
		}
		if _, err := blob.Copy(ctx, dst, src, key); err != nil {
			if errors.Is(err, blob.ErrNotFound) {
				missing = append(missing, key)
				continue
			}
			return 0, 0, fmt.Errorf("backup: attachments: %w", err)
		}
		copied++
	}
	if len(missing) > 0 {
		return 0, 0, fmt.Errorf("backup: attachments: %d files the archive refers to are not in %s: %s", len(missing), src, strings.Join(missing[:min(len(missing), 5)], ", "))
	}
	return len(keys), copied, nil
}

func queryStrings(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// syncFile flushes a file (or directory) to disk.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
