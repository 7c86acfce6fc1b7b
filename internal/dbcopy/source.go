package dbcopy

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// source is the SQLite database, read inside one read transaction: every
// query sees the same snapshot, however long the copy takes and whatever
// a running opsdesk writes meanwhile (WAL keeps the old pages for us).
type source struct {
	path string
	db   *sql.DB
	tx   *sql.Tx
}

// openSource opens the SQLite file read-only and starts the snapshot. It
// never creates the file.
func openSource(ctx context.Context, path string) (*source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("source database: %w", err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("source database %s is a directory, not an SQLite file", path)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("source database %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("source database %s: begin snapshot: %w", path, err)
	}
	s := &source{path: path, db: db, tx: tx}
	// The snapshot starts with the first read; make it now.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&n); err != nil {
		s.close()
		return nil, fmt.Errorf("source database %s: %w (is it an SQLite database?)", path, err)
	}
	return s, nil
}

func (s *source) close() {
	_ = s.tx.Rollback()
	_ = s.db.Close()
}

// srcTable is a table of the source.
type srcTable struct {
	name    string
	cols    []string
	parents []string // tables its foreign keys point to
	noRowid bool
	skip    string // why it is not copied
}

// tables lists the source's tables with their columns and foreign keys.
// SQLite's own tables are left out; virtual tables (FTS5) and their shadow
// tables are derived data and come back with skip set.
func (s *source) tables(ctx context.Context) ([]*srcTable, error) {
	rows, err := s.tx.QueryContext(ctx, `SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("source: list tables: %w", err)
	}
	var out []*srcTable
	for rows.Next() {
		var name, typ string
		var wr int
		if err := rows.Scan(&name, &typ, &wr); err != nil {
			rows.Close()
			return nil, fmt.Errorf("source: list tables: %w", err)
		}
		if strings.HasPrefix(name, "sqlite_") {
			continue
		}
		t := &srcTable{name: name, noRowid: wr != 0}
		switch typ {
		case "table":
			t.skip = ruleFor(name).skip
		case "virtual":
			t.skip = "derived: full-text index, rebuilt on the target"
		case "shadow":
			t.skip = "derived: storage of a full-text index"
		default: // views
			continue
		}
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("source: list tables: %w", err)
	}
	for _, t := range out {
		if t.skip != "" {
			continue
		}
		if t.cols, err = s.strings(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, t.name); err != nil {
			return nil, fmt.Errorf("source: columns of %s: %w", t.name, err)
		}
		if t.parents, err = s.strings(ctx, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, t.name); err != nil {
			return nil, fmt.Errorf("source: foreign keys of %s: %w", t.name, err)
		}
	}
	return out, nil
}

func (s *source) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// version is the source's schema version (goose).
func (s *source) version(ctx context.Context) (int64, error) {
	var v sql.NullInt64
	err := s.tx.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("source: schema version: %w (is %s an opsdesk database?)", err, s.path)
	}
	return v.Int64, nil
}

// id identifies the source installation, so that a copy resumes only onto
// its own unfinished copy. It is derived from the file's absolute path and
// the times its schema was first created (goose's first rows, written once
// when the installation was set up): stable while opsdesk keeps writing,
// different for another installation, and it needs no write to the
// source, which the copy opens read-only.
func (s *source) id(ctx context.Context) (string, error) {
	abs, err := filepath.Abs(s.path)
	if err != nil {
		return "", fmt.Errorf("source: %w", err)
	}
	var stamps sql.NullString
	err = s.tx.QueryRowContext(ctx, `SELECT group_concat(CAST(tstamp AS TEXT), ',') FROM (SELECT tstamp FROM goose_db_version ORDER BY id LIMIT 2)`).Scan(&stamps)
	if err != nil {
		return "", fmt.Errorf("source: identify: %w", err)
	}
	h := sha256.Sum256([]byte(abs + "\n" + stamps.String))
	return hex.EncodeToString(h[:8]), nil
}

// autoincrement returns the highest id SQLite's AUTOINCREMENT has handed
// out per table (sqlite_sequence), which may be above every id still in
// use.
func (s *source) autoincrement(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	var exists bool
	if err := s.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence')`).Scan(&exists); err != nil || !exists {
		return out, err
	}
	rows, err := s.tx.QueryContext(ctx, `SELECT name, seq FROM sqlite_sequence`)
	if err != nil {
		return nil, fmt.Errorf("source: read sqlite_sequence: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var seq int64
		if err := rows.Scan(&name, &seq); err != nil {
			return nil, fmt.Errorf("source: read sqlite_sequence: %w", err)
		}
		out[name] = seq
	}
	return out, rows.Err()
}

// count counts the rows of a table that the copy takes.
func (s *source) count(ctx context.Context, table, where string) (int64, error) {
	q := `SELECT count(*) FROM ` + quoteSQLite(table)
	if where != "" {
		q += ` WHERE ` + where
	}
	var n int64
	if err := s.tx.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("source: count %s: %w", table, err)
	}
	return n, nil
}

// order sorts the tables so that every table comes after the tables its
// foreign keys point to (ties by name, for a stable order).
func order(tables []*srcTable) ([]*srcTable, error) {
	byName := map[string]*srcTable{}
	for _, t := range tables {
		byName[t.name] = t
	}
	done := map[string]bool{}
	var out []*srcTable
	remaining := append([]*srcTable(nil), tables...)
	sort.Slice(remaining, func(i, j int) bool { return remaining[i].name < remaining[j].name })
	for len(remaining) > 0 {
		var next []*srcTable
		progressed := false
		for _, t := range remaining {
			ready := true
			for _, p := range t.parents {
				if p != t.name && byName[p] != nil && !done[p] {
					ready = false
					break
				}
			}
			if ready {
				out = append(out, t)
				done[t.name] = true
				progressed = true
			} else {
				next = append(next, t)
			}
		}
		if !progressed {
			var names []string
			for _, t := range next {
				names = append(names, t.name)
			}
			return nil, errors.New("source: foreign keys form a cycle among tables " + strings.Join(names, ", "))
		}
		remaining = next
	}
	return out, nil
}
