// Package store opens opsdesk's database — embedded SQLite or PostgreSQL —
// and applies the embedded migrations. Domain packages keep their own SQL and
// run it through the handles here; queries are written once with '?'
// placeholders and rebound for PostgreSQL by Q.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/opsdesk/opsdesk/internal/store/dsn"
)

//go:embed migrations
var migrationsFS embed.FS

// Engine names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Store holds the database handles of one process.
type Store struct {
	// Engine is SQLite or Postgres.
	Engine string
	// W is the pool for writes. On SQLite it has exactly one connection, so
	// writers queue in Go instead of failing with SQLITE_BUSY.
	W *sql.DB
	// R is the pool for reads (the console, the API). On SQLite it is a
	// separate pool of read-only connections that WAL lets run beside the
	// writer; on PostgreSQL it is the same pool as W.
	R *sql.DB
	// Pool is the pgx pool behind W on PostgreSQL (River needs it); nil on
	// SQLite.
	Pool *pgxpool.Pool
	// Lazy is for writes whose loss in a crash of the database server
	// repeats work but loses nothing (a delivery's attempt counted, its
	// outcome recorded: the send is repeated with the same idempotency
	// key): on PostgreSQL a small pool whose commits do not wait for the
	// WAL to reach the disk (synchronous_commit off; a crash of the
	// server may lose the last moments of them, never leaves them half
	// done). Everything opsdesk promises to keep (a question answered
	// 2xx) goes through W. On SQLite it is W.
	Lazy *sql.DB

	lazyPool *pgxpool.Pool
	// Path is the SQLite file; "" on PostgreSQL.
	Path string

	rebound sync.Map // query text → rebound text (PostgreSQL)
}

// DefaultPoolSize is the connections one process opens to PostgreSQL at
// most, unless the URL's pool_max_conns says otherwise.
const DefaultPoolSize = 20

// Open connects to the configured database. It does not migrate; call
// Migrate.
func Open(ctx context.Context, database string) (*Store, error) {
	engine, source, err := dsn.Parse(database)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	switch engine {
	case SQLite:
		return openSQLite(source)
	default:
		return openPostgres(ctx, source)
	}
}

func openSQLite(path string) (*Store, error) {
	if path != ":memory:" {
		// The database holds the case archive and the hashes of passwords
		// and tokens: only opsdesk's user may read it. SQLite gives its
		// -wal and -shm files the database file's mode.
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("store: create directory for %s: %w", path, err)
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
		f.Close()
	}
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_time_format=sqlite"
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The first connection creates the file and switches it to WAL before
	// the read pool opens it.
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	return &Store{Engine: SQLite, W: w, R: r, Lazy: w, Path: path}, nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: postgres config: %w", err)
	}
	// Each replica holds up to this many connections: the escalation
	// engine's steps (in batches), the job queues, the intake's writers,
	// the limits and the console. Three replicas fit PostgreSQL's default
	// max_connections (100) with room for administration; pool_max_conns
	// in the URL sets another number (docs/fleet.md).
	if !strings.Contains(dsn, "pool_max_conns") && pcfg.MaxConns < DefaultPoolSize {
		pcfg.MaxConns = DefaultPoolSize
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect postgres: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect postgres %s: %w", redactDSN(dsn), err)
	}
	db := stdlib.OpenDBFromPool(pool)
	lcfg := pcfg.Copy()
	lcfg.MaxConns = 4
	lcfg.MinConns = 0
	lcfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	lazy, err := pgxpool.NewWithConfig(ctx, lcfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect postgres: %w", err)
	}
	return &Store{Engine: Postgres, W: db, R: db, Pool: pool, Lazy: stdlib.OpenDBFromPool(lazy), lazyPool: lazy}, nil
}

func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "@"); i >= 0 {
		if j := strings.Index(dsn, "://"); j >= 0 && j < i {
			return dsn[:j+3] + "…" + dsn[i:]
		}
	}
	return dsn
}

// Close releases every handle.
func (s *Store) Close() error {
	var errs []error
	if s.R != s.W {
		errs = append(errs, s.R.Close())
	}
	errs = append(errs, s.W.Close())
	if s.Lazy != s.W {
		errs = append(errs, s.Lazy.Close())
	}
	if s.Pool != nil {
		s.Pool.Close()
	}
	if s.lazyPool != nil {
		s.lazyPool.Close()
	}
	return errors.Join(errs...)
}

// Q returns the query with '?' placeholders rebound for the engine
// ("$1, $2 …" on PostgreSQL). Results are cached; call it with constant
// query text.
func (s *Store) Q(query string) string {
	if s.Engine != Postgres {
		return query
	}
	if v, ok := s.rebound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	inStr := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	s.rebound.Store(query, out)
	return out
}

// Tx runs fn in a write transaction and commits when fn returns nil.
func (s *Store) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.tx(ctx, s.W, fn)
}

// LazyTx is Tx on Lazy (see there).
func (s *Store) LazyTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.tx(ctx, s.Lazy, fn)
}

func (s *Store) tx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func (s *Store) migrationProvider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrationsFS, "migrations/"+s.Engine)
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	if s.Engine == Postgres {
		dialect = goose.DialectPostgres
	}
	return goose.NewProvider(dialect, s.W, sub)
}

// migrationLockKey is the PostgreSQL advisory lock held while migrating
// ("opsdmigr"): replicas started together migrate one after the other,
// and each later one finds nothing left to do.
const migrationLockKey int64 = 0x6f7073646d696772

// WithMigrationLock runs fn while holding the fleet's migration lock. On
// PostgreSQL that is a session advisory lock on a connection of its own,
// held until fn returns (or the connection drops); other processes wait for
// it. SQLite's database belongs to one process, and its write transactions
// serialize migrations anyway: fn just runs.
func (s *Store) WithMigrationLock(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.Engine != Postgres {
		return fn(ctx)
	}
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: migration lock: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
		return fmt.Errorf("store: migration lock: %w", err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, migrationLockKey); err != nil {
			// Closing the connection ends the session and its lock.
			_ = conn.Conn().Close(uctx)
		}
	}()
	return fn(ctx)
}

// Migrate applies every pending schema migration and returns how many ran.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	p, err := s.migrationProvider()
	if err != nil {
		return 0, fmt.Errorf("store: migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("store: migrate: %w", err)
	}
	return len(res), nil
}

// MigrateTo moves the schema up or down to version (upgrade tests: a
// database as an older release left it).
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.migrationProvider()
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	cur, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if version < cur {
		_, err = p.DownTo(ctx, version)
	} else {
		_, err = p.UpTo(ctx, version)
	}
	if err != nil {
		return fmt.Errorf("store: migrate to %d: %w", version, err)
	}
	return nil
}

// Pending reports whether schema migrations are waiting to be applied.
func (s *Store) Pending(ctx context.Context) (bool, error) {
	p, err := s.migrationProvider()
	if err != nil {
		return false, fmt.Errorf("store: migrations: %w", err)
	}
	return p.HasPending(ctx)
}

// Now returns t as Unix milliseconds, the stored form of every time.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// Time converts stored Unix milliseconds back to a UTC time; 0 is the zero
// time.
func Time(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// NullTime converts a nullable stored time.
func NullTime(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return Time(ms.Int64)
}

// IsUniqueViolation reports whether err is a unique-constraint violation on
// either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505")
}

// Rows returns the VALUES list of a multi-row INSERT: rows groups of cols
// placeholders, "(?, ?), (?, ?)" on SQLite and "($1, $2), ($3, $4)" on
// PostgreSQL. One statement per group of rows saves a round trip (and, on
// PostgreSQL, a network exchange) per row.
func (s *Store) Rows(rows, cols int) string {
	var b strings.Builder
	n := 0
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := 0; c < cols; c++ {
			if c > 0 {
				b.WriteString(", ")
			}
			n++
			if s.Engine == Postgres {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// CountBy runs a "SELECT key, count(*) … GROUP BY key" query on the read
// pool and returns the counts by key.
func (s *Store) CountBy(ctx context.Context, query string, args ...any) (map[string]int, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// JSONText returns an expression reading a JSON column as text. River
// stores its JSON columns as JSONB on SQLite, a binary form that
// encoding/json cannot read; json() turns it back into text.
func (s *Store) JSONText(col string) string {
	if s.Engine == SQLite {
		return "json(" + col + ")"
	}
	return col
}

// InIDs returns a condition "col is one of ids" with one placeholder and
// its argument, the same statement text for any number of ids: a bigint
// array on PostgreSQL, a JSON array read by json_each on SQLite. (One
// text per length would make each length a statement of its own to parse
// and plan.)
func (s *Store) InIDs(col string, ids []int64) (string, any) {
	if s.Engine == Postgres {
		return col + " = ANY(?::bigint[])", ids
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	b.WriteByte(']')
	return col + " IN (SELECT value FROM json_each(?))", b.String()
}
