package dbcopy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// progressTable records how far a copy got, in the target, in the same
// transaction as the rows it describes: after any interruption the rows
// and the record agree. It is created by the copy (not a migration: it
// exists only while a copy is unfinished) and dropped when the copy ends
// well.
const progressTable = "opsdesk_copy_progress"

// Step names kept in the progress table beside the tables.
const (
	stepStarted     = "step:started"
	stepAttachments = "step:attachments"
	stepSearch      = "step:search"
)

// copyLockKey is the advisory lock one copy holds on the target, so that
// two copies never write into the same database at once.
const copyLockKey int64 = 0x6f7073646b637079

// target is the PostgreSQL database being filled.
type target struct {
	pool *pgxpool.Pool
	lock *pgxpool.Conn
}

func (t *target) quote(name string) string { return pgx.Identifier{name}.Sanitize() }

// acquireLock takes the copy lock for the duration of the copy.
func (t *target) acquireLock(ctx context.Context) error {
	conn, err := t.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, copyLockKey).Scan(&ok); err != nil {
		conn.Release()
		return fmt.Errorf("target: copy lock: %w", err)
	}
	if !ok {
		conn.Release()
		return errors.New("another opsdesk db copy is writing into this database; wait for it to end")
	}
	t.lock = conn
	return nil
}

func (t *target) releaseLock() {
	if t.lock == nil {
		return
	}
	// Unlock explicitly: closing the session ends the lock too, but the
	// server notices a closed connection a moment later, and a copy
	// started right after this one would find the lock still held.
	// Closing the session then makes sure, should the unlock have failed.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = t.lock.Exec(ctx, `SELECT pg_advisory_unlock($1)`, copyLockKey)
	_ = t.lock.Conn().Close(ctx)
	t.lock.Release()
	t.lock = nil
}

// columns returns the target's tables and their columns.
func (t *target) columns(ctx context.Context) (map[string]map[string]column, error) {
	rows, err := t.pool.Query(ctx, `
		SELECT c.table_name, c.column_name, c.data_type, c.udt_name,
		       coalesce(c.character_maximum_length, 0), c.is_nullable = 'YES',
		       c.column_default IS NOT NULL,
		       c.is_identity = 'YES' OR coalesce(c.column_default, '') LIKE 'nextval(%',
		       c.is_generated <> 'NEVER'
		FROM information_schema.columns c
		JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND tb.table_type = 'BASE TABLE'`)
	if err != nil {
		return nil, fmt.Errorf("target: read schema: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]column{}
	for rows.Next() {
		var tbl string
		var c column
		var maxLen int32
		if err := rows.Scan(&tbl, &c.name, &c.dataType, &c.udt, &maxLen, &c.nullable, &c.hasDflt, &c.identity, &c.generated); err != nil {
			return nil, fmt.Errorf("target: read schema: %w", err)
		}
		c.maxLen = int(maxLen)
		if out[tbl] == nil {
			out[tbl] = map[string]column{}
		}
		out[tbl][c.name] = c
	}
	return out, rows.Err()
}

// version is the target's schema version (goose).
func (t *target) version(ctx context.Context) (int64, error) {
	var v *int64
	if err := t.pool.QueryRow(ctx, `SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v); err != nil {
		return 0, fmt.Errorf("target: schema version: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}

// progress is what the progress table says about one table or step.
type progress struct {
	lastRowid int64
	copied    int64
	done      bool
}

// readProgress returns the recorded progress and the source it belongs to
// ("" when no copy was started).
func (t *target) readProgress(ctx context.Context) (string, map[string]progress, error) {
	var exists bool
	if err := t.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, progressTable).Scan(&exists); err != nil {
		return "", nil, fmt.Errorf("target: %w", err)
	}
	out := map[string]progress{}
	if !exists {
		return "", out, nil
	}
	rows, err := t.pool.Query(ctx, `SELECT table_name, source_id, last_rowid, copied, done FROM `+progressTable)
	if err != nil {
		return "", nil, fmt.Errorf("target: read copy progress: %w", err)
	}
	defer rows.Close()
	srcID := ""
	for rows.Next() {
		var name, id string
		var p progress
		if err := rows.Scan(&name, &id, &p.lastRowid, &p.copied, &p.done); err != nil {
			return "", nil, fmt.Errorf("target: read copy progress: %w", err)
		}
		if srcID != "" && id != srcID {
			return "", nil, fmt.Errorf("target: %s holds progress of two different sources (%s, %s); drop the target database and copy again", progressTable, srcID, id)
		}
		srcID = id
		out[name] = p
	}
	return srcID, out, rows.Err()
}

// firstNonEmpty returns a table of the target that has rows ("" if none),
// and how many.
func (t *target) firstNonEmpty(ctx context.Context, tables map[string]map[string]column) (string, int64, error) {
	var names []string
	for name := range tables {
		if !targetOwned(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		var has bool
		if err := t.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+t.quote(name)+`)`).Scan(&has); err != nil {
			return "", 0, fmt.Errorf("target: look into %s: %w", name, err)
		}
		if has {
			n, err := t.count(ctx, name)
			return name, n, err
		}
	}
	return "", 0, nil
}

// start creates the progress table and records that a copy of srcID began.
func (t *target) start(ctx context.Context, srcID string) error {
	_, err := t.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+progressTable+` (
		table_name TEXT PRIMARY KEY,
		source_id  TEXT NOT NULL,
		last_rowid BIGINT NOT NULL,
		copied     BIGINT NOT NULL DEFAULT 0,
		done       BOOLEAN NOT NULL DEFAULT false
	)`)
	if err == nil {
		err = t.mark(ctx, nil, srcID, stepStarted, progress{lastRowid: math.MinInt64, done: true})
	}
	if err != nil {
		return fmt.Errorf("target: record copy progress: %w", err)
	}
	return nil
}

// mark records the progress of a table or step, inside tx when given.
func (t *target) mark(ctx context.Context, tx pgx.Tx, srcID, name string, p progress) error {
	q := `INSERT INTO ` + progressTable + ` (table_name, source_id, last_rowid, copied, done) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (table_name) DO UPDATE SET last_rowid = excluded.last_rowid, copied = excluded.copied, done = excluded.done`
	var err error
	if tx != nil {
		_, err = tx.Exec(ctx, q, name, srcID, p.lastRowid, p.copied, p.done)
	} else {
		_, err = t.pool.Exec(ctx, q, name, srcID, p.lastRowid, p.copied, p.done)
	}
	return err
}

// finish drops the progress table: the copy is complete.
func (t *target) finish(ctx context.Context) error {
	if _, err := t.pool.Exec(ctx, `DROP TABLE IF EXISTS `+progressTable); err != nil {
		return fmt.Errorf("target: drop %s: %w", progressTable, err)
	}
	return nil
}

func (t *target) count(ctx context.Context, table string) (int64, error) {
	var n int64
	if err := t.pool.QueryRow(ctx, `SELECT count(*) FROM `+t.quote(table)).Scan(&n); err != nil {
		return 0, fmt.Errorf("target: count %s: %w", table, err)
	}
	return n, nil
}

// resetSequences moves every identity or serial sequence of the tables
// past the ids in use, so that the next row opsdesk inserts gets a new id:
// past the largest copied id, past floor[table] (the highest id SQLite's
// AUTOINCREMENT ever handed out, which rows deleted since may no longer
// show: blob upload ids, River job ids must never come back), and never
// backwards (ids the copy itself has taken since, for attachments). It
// returns how many sequences it set.
func (t *target) resetSequences(ctx context.Context, tables []string, cols map[string]map[string]column, floor map[string]int64) (int, error) {
	n := 0
	for _, tbl := range tables {
		var idCols []string
		for _, c := range cols[tbl] {
			if c.identity {
				idCols = append(idCols, c.name)
			}
		}
		slices.Sort(idCols)
		for _, c := range idCols {
			_, err := t.pool.Exec(ctx, `WITH s AS (SELECT pg_get_serial_sequence($1, $2)::regclass AS seq)
				SELECT setval(s.seq, greatest(
					coalesce((SELECT max(`+t.quote(c)+`) FROM `+t.quote(tbl)+`), 0),
					coalesce(pg_sequence_last_value(s.seq), 0),
					$3::bigint) + 1, false)
				FROM s`, t.quote(tbl), c, floor[tbl])
			if err != nil {
				return n, fmt.Errorf("target: reset the sequence of %s.%s: %w", tbl, c, err)
			}
			n++
		}
	}
	return n, nil
}
