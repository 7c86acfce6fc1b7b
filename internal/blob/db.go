package blob

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ChunkSize is the size of the rows the database store cuts content into:
// large enough that a file of a few megabytes is a handful of rows, small
// enough that a reader or writer holds one row at a time in memory.
const ChunkSize = 1 << 20

// uploadTTL is how long an upload may run before its chunks count as left
// behind by a process that died, and are removed.
const uploadTTL = 24 * time.Hour

// DB keeps blobs in the database (PostgreSQL or SQLite), in three tables
// (migration 00008):
//
//	blob_uploads (id, started_at)               one row per Put in progress
//	blob_chunks  (blob_id, seq, data)           the content, ChunkSize bytes a row
//	blobs        (key, id, size, chunk_size, created_at)   one row per complete blob
//
// Put streams: it hashes while it reads, writing each chunk as it fills
// under a fresh upload id (each its own short transaction, so SQLite's one
// writer is never held for the length of a download). Only then, knowing
// the key, one transaction inserts the blobs row pointing at those chunks
// — or, when the key is already there (the same file stored before, or by
// another process at the same moment), drops them. The unique key makes
// the race harmless on both engines: PostgreSQL makes the second insert
// wait for the first to commit and then do nothing; SQLite runs one
// writer at a time. A reader finds a blob only through its blobs row, so
// it never sees a partial one.
//
// Chunks of uploads that never finished (a process killed mid-Put) are
// removed by a later Put once they are a day old.
type DB struct {
	w, r   *sql.DB
	engine string
	now    func() time.Time

	mu        sync.Mutex
	lastSweep time.Time
}

// Engine names, as internal/store spells them.
const (
	EngineSQLite   = "sqlite"
	EnginePostgres = "postgres"
)

// NewDB returns the store in the database: w is the pool for writes and r
// for reads (the same pool on PostgreSQL; on SQLite the one-connection
// writer and the read-only pool), engine is "sqlite" or "postgres". The
// tables are created by opsdesk's migrations.
func NewDB(w, r *sql.DB, engine string) (*DB, error) {
	if w == nil || r == nil {
		return nil, errors.New("blob: db store needs the database")
	}
	if engine != EngineSQLite && engine != EnginePostgres {
		return nil, fmt.Errorf("blob: db store: unknown database engine %q", engine)
	}
	return &DB{w: w, r: r, engine: engine, now: time.Now}, nil
}

// SetClock replaces the clock that stamps uploads (tests).
func (d *DB) SetClock(now func() time.Time) { d.now = now }

func (d *DB) String() string { return "db" }

// q rebinds '?' placeholders to $n on PostgreSQL. The queries here have
// no '?' inside literals.
func (d *DB) q(query string) string {
	if d.engine != EnginePostgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Put implements Store.
func (d *DB) Put(ctx context.Context, r io.Reader) (Info, error) {
	if err := d.sweep(ctx); err != nil {
		return Info{}, err
	}
	var id int64
	if err := d.w.QueryRowContext(ctx, d.q(`INSERT INTO blob_uploads (started_at) VALUES (?) RETURNING id`), d.now().UnixMilli()).Scan(&id); err != nil {
		return Info{}, fmt.Errorf("blob: put: start upload: %w", err)
	}
	info, err := d.put(ctx, id, r)
	if err != nil {
		// Best effort; what is left is swept a day later.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = d.dropUpload(cctx, id)
		return Info{}, err
	}
	return info, nil
}

func (d *DB) put(ctx context.Context, id int64, r io.Reader) (Info, error) {
	h := sha256.New()
	buf := make([]byte, ChunkSize)
	var size int64
	for seq := 0; ; seq++ {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			h.Write(buf[:n])
			size += int64(n)
			if _, err := d.w.ExecContext(ctx, d.q(`INSERT INTO blob_chunks (blob_id, seq, data) VALUES (?, ?, ?)`), id, seq, buf[:n]); err != nil {
				return Info{}, fmt.Errorf("blob: put: chunk %d: %w", seq, err)
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return Info{}, fmt.Errorf("blob: put: read: %w", rerr)
		}
	}
	info := Info{Key: hex.EncodeToString(h.Sum(nil)), Size: size}
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return Info{}, fmt.Errorf("blob: put %s: %w", info.Key, err)
	}
	defer tx.Rollback()
	// The upload row goes in the same transaction: if a sweep took it (an
	// upload running for more than a day), its chunks are gone too.
	res, err := tx.ExecContext(ctx, d.q(`DELETE FROM blob_uploads WHERE id = ?`), id)
	if err != nil {
		return Info{}, fmt.Errorf("blob: put %s: %w", info.Key, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return Info{}, fmt.Errorf("blob: put %s: upload %d was removed as abandoned before it finished", info.Key, id)
	}
	res, err = tx.ExecContext(ctx, d.q(`INSERT INTO blobs (key, id, size, chunk_size, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`),
		info.Key, id, size, ChunkSize, d.now().UnixMilli())
	if err != nil {
		return Info{}, fmt.Errorf("blob: put %s: %w", info.Key, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Stored already: keep the first copy.
		if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM blob_chunks WHERE blob_id = ?`), id); err != nil {
			return Info{}, fmt.Errorf("blob: put %s: %w", info.Key, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return Info{}, fmt.Errorf("blob: put %s: commit: %w", info.Key, err)
	}
	return info, nil
}

func (d *DB) dropUpload(ctx context.Context, id int64) error {
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, d.q(`DELETE FROM blob_uploads WHERE id = ?`), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM blob_chunks WHERE blob_id = ?`), id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// sweep removes uploads older than uploadTTL with their chunks, at most
// once an hour per store value.
func (d *DB) sweep(ctx context.Context) error {
	now := d.now()
	d.mu.Lock()
	due := now.Sub(d.lastSweep) >= time.Hour
	if due {
		d.lastSweep = now
	}
	d.mu.Unlock()
	if !due {
		return nil
	}
	cutoff := now.Add(-uploadTTL).UnixMilli()
	rows, err := d.w.QueryContext(ctx, d.q(`SELECT id FROM blob_uploads WHERE started_at < ? ORDER BY id`), cutoff)
	if err != nil {
		return fmt.Errorf("blob: sweep abandoned uploads: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("blob: sweep abandoned uploads: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("blob: sweep abandoned uploads: %w", err)
	}
	for _, id := range ids {
		if err := d.dropUpload(ctx, id); err != nil {
			return fmt.Errorf("blob: sweep abandoned upload %d: %w", id, err)
		}
	}
	return nil
}

// Stat implements Store.
func (d *DB) Stat(ctx context.Context, key string) (Info, error) {
	if !ValidKey(key) {
		return Info{}, notFound("stat", key)
	}
	var size int64
	err := d.r.QueryRowContext(ctx, d.q(`SELECT size FROM blobs WHERE key = ?`), key).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return Info{}, notFound("stat", key)
	}
	if err != nil {
		return Info{}, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	return Info{Key: key, Size: size}, nil
}

// Open implements Store. The reader fetches one chunk at a time, when a
// Read needs it.
func (d *DB) Open(ctx context.Context, key string) (ReadSeekCloser, Info, error) {
	if !ValidKey(key) {
		return nil, Info{}, notFound("open", key)
	}
	rd := &dbReader{d: d, ctx: ctx, key: key, cur: -1}
	err := d.r.QueryRowContext(ctx, d.q(`SELECT id, size, chunk_size FROM blobs WHERE key = ?`), key).Scan(&rd.id, &rd.size, &rd.chunkSize)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Info{}, notFound("open", key)
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("blob: open %s: %w", key, err)
	}
	if rd.chunkSize <= 0 {
		return nil, Info{}, fmt.Errorf("blob: open %s: stored chunk size %d", key, rd.chunkSize)
	}
	return rd, Info{Key: key, Size: rd.size}, nil
}

type dbReader struct {
	d         *DB
	ctx       context.Context
	key       string
	id        int64
	size      int64
	chunkSize int64
	pos       int64
	cur       int64  // seq of buf; -1: none
	buf       []byte // the chunk cur
	closed    bool
}

func (r *dbReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errors.New("blob: read after close")
	}
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	seq := r.pos / r.chunkSize
	if seq != r.cur {
		if err := r.load(seq); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf[r.pos-seq*r.chunkSize:])
	r.pos += int64(n)
	return n, nil
}

// load fetches chunk seq and checks its length against the blob's size.
func (r *dbReader) load(seq int64) error {
	var data []byte
	err := r.d.r.QueryRowContext(r.ctx, r.d.q(`SELECT data FROM blob_chunks WHERE blob_id = ? AND seq = ?`), r.id, seq).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("blob: read %s: chunk %d is missing (deleted meanwhile?)", r.key, seq)
	}
	if err != nil {
		return fmt.Errorf("blob: read %s: chunk %d: %w", r.key, seq, err)
	}
	want := min(r.chunkSize, r.size-seq*r.chunkSize)
	if int64(len(data)) != want {
		return fmt.Errorf("blob: read %s: chunk %d has %d bytes, want %d", r.key, seq, len(data), want)
	}
	r.cur, r.buf = seq, data
	return nil
}

func (r *dbReader) Seek(offset int64, whence int) (int64, error) {
	if r.closed {
		return 0, errors.New("blob: seek after close")
	}
	pos, err := seekPos(r.pos, r.size, offset, whence)
	if err != nil {
		return r.pos, err
	}
	r.pos = pos
	return pos, nil
}

func (r *dbReader) Close() error {
	r.closed = true
	r.buf = nil
	return nil
}

// List implements Store, a page of keys at a time.
func (d *DB) List(ctx context.Context, fn func(Info) error) error {
	after := ""
	for {
		page, err := d.listPage(ctx, after, 500)
		if err != nil {
			return err
		}
		for _, info := range page {
			if err := fn(info); err != nil {
				return err
			}
		}
		if len(page) < 500 {
			return nil
		}
		after = page[len(page)-1].Key
	}
}

func (d *DB) listPage(ctx context.Context, after string, limit int) ([]Info, error) {
	rows, err := d.r.QueryContext(ctx, d.q(`SELECT key, size FROM blobs WHERE key > ? ORDER BY key LIMIT ?`), after, limit)
	if err != nil {
		return nil, fmt.Errorf("blob: list: %w", err)
	}
	defer rows.Close()
	var out []Info
	for rows.Next() {
		var info Info
		if err := rows.Scan(&info.Key, &info.Size); err != nil {
			return nil, fmt.Errorf("blob: list: %w", err)
		}
		out = append(out, info)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("blob: list: %w", err)
	}
	return out, nil
}

// Delete implements Store.
func (d *DB) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("blob: delete: %q is not a blob key", key)
	}
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, d.q(`DELETE FROM blobs WHERE key = ? RETURNING id`), key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM blob_chunks WHERE blob_id = ?`), id); err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("blob: delete %s: commit: %w", key, err)
	}
	return nil
}
