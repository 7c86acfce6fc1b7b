// Package dbcopy moves an opsdesk installation from its embedded SQLite
// database to PostgreSQL ("opsdesk db copy"): every table, the pending
// jobs and the attachment files, into an empty PostgreSQL database that it
// first migrates exactly as "opsdesk serve" would.
//
// The copy is generic over tables: it enumerates the SQLite tables, copies
// the columns both sides have by name, converts each value to the type of
// its PostgreSQL column, and writes tables parents first (foreign keys), in
// batches, each in a transaction that also records how far it got. An
// interrupted copy run again resumes there. Derived data (the full-text
// index) is rebuilt on the target rather than copied. At the end the row
// counts of both sides are compared.
//
// The source is read inside one SQLite read transaction, a consistent
// snapshot even while opsdesk keeps serving from it; what arrives after the
// snapshot is not in the target, so the final copy is taken with opsdesk
// stopped.
package dbcopy

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Options says what to copy where.
type Options struct {
	// Source is the SQLite database file.
	Source string
	// Target is the PostgreSQL database (postgres://…).
	Target string
	// Attachments is the store the SQLite installation keeps its
	// attachment files in (normally blob.NewLocal(data_dir/attachments)).
	// It may be nil when they are in the SQLite database itself (the "db"
	// store, whose tables are copied) or in a store the target shares.
	Attachments blob.Store
	// TargetAttachments opens the store the files are copied into, given
	// the migrated target; nil: the target database itself (blob.DB). It
	// is called only when there are stored attachments.
	TargetAttachments func(ctx context.Context, target *store.Store) (blob.Store, error)
	// BatchSize is the number of rows written per transaction (1000).
	BatchSize int
	// Progress, when set, is told about every batch committed and every
	// step's advance.
	Progress func(Event)
}

// Steps of a copy, as Event.Step.
const (
	StepTable       = "table"
	StepAttachments = "attachments"
	StepSearch      = "search index"
)

// Event reports progress: Done of Total rows (tables), files
// (attachments) or cases (search index) are done.
type Event struct {
	Step        string
	Table       string // StepTable only
	Done, Total int64
}

// Report is the outcome of a copy.
type Report struct {
	// SourceID identifies the source installation (see source.id).
	SourceID string
	// Resumed is true when the copy continued an interrupted one.
	Resumed bool
	// Tables are the copied tables in the order they were written, with
	// their row counts on both sides.
	Tables []Count
	// Skipped are source tables not copied, and why.
	Skipped []Skipped
	// Attachments is the number of stored attachment files the target's
	// store holds; AttachmentsCopied how many this run put there.
	Attachments, AttachmentsCopied int
	// Sequences is the number of id sequences set past the copied rows.
	Sequences int
	// SearchIndexed is the number of cases whose search document this run
	// built.
	SearchIndexed int
}

// Count is one table's row count on both sides. Filter names the rows
// taken ("pending" for River's jobs) when not all are, or what the copy
// adds ("+ attachments").
type Count struct {
	Table          string
	Filter         string
	Source, Target int64
	// Grows: the copy adds rows of its own (attachments put into the
	// database store's tables), so the target may have more.
	Grows bool
}

// OK reports whether the target has the source's rows: as many, or at
// least as many for a table that grows.
func (c Count) OK() bool {
	if c.Grows {
		return c.Target >= c.Source
	}
	return c.Source == c.Target
}

// Skipped is a source table the copy leaves out.
type Skipped struct {
	Table, Reason string
}

// CheckError is returned when the copy ended but the target does not
// match the source: rows counts differ, or attachments are missing.
type CheckError struct {
	Mismatches         []Count
	MissingAttachments []string
}

func (e *CheckError) Error() string {
	var parts []string
	for _, c := range e.Mismatches {
		parts = append(parts, fmt.Sprintf("table %s: %d rows in SQLite, %d in PostgreSQL", c.Table, c.Source, c.Target))
	}
	if n := len(e.MissingAttachments); n > 0 {
		show := e.MissingAttachments[:min(n, 5)]
		more := ""
		if n > len(show) {
			more = fmt.Sprintf(" and %d more", n-len(show))
		}
		parts = append(parts, fmt.Sprintf("%d stored attachments are not in the target store: %s%s", n, strings.Join(show, ", "), more))
	}
	return "dbcopy: the target does not match the source: " + strings.Join(parts, "; ")
}

// maxBatchBytes bounds the memory of one batch of large rows (messages).
const maxBatchBytes = 16 << 20

// copier is one run of Copy.
type copier struct {
	o     Options
	src   *source
	st    *store.Store
	tgt   *target
	srcID string
	prog  map[string]progress
	rep   *Report
	blobs blob.Store
}

// Copy copies the SQLite installation into the PostgreSQL database. The
// target must be empty, or hold an unfinished copy of the same source,
// which is then resumed. When the copy ends but the check finds a
// difference, the report comes with a *CheckError.
func Copy(ctx context.Context, o Options) (*Report, error) {
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	src, err := openSource(ctx, o.Source)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: %w", err)
	}
	defer src.close()
	c := &copier{o: o, src: src, rep: &Report{}}
	if c.srcID, err = src.id(ctx); err != nil {
		return nil, fmt.Errorf("dbcopy: %w", err)
	}
	c.rep.SourceID = c.srcID
	srcVer, err := src.version(ctx)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: %w", err)
	}
	tables, err := src.tables(ctx)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: %w", err)
	}

	if !strings.HasPrefix(o.Target, "postgres://") && !strings.HasPrefix(o.Target, "postgresql://") {
		scheme, _, _ := strings.Cut(o.Target, ":")
		return nil, fmt.Errorf("dbcopy: the target must be a PostgreSQL URL (postgres://…), not %s:…", cut(scheme, 12))
	}
	c.st, err = store.Open(ctx, o.Target)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: target: %w", err)
	}
	defer c.st.Close()
	c.tgt = &target{pool: c.st.Pool}
	if err := c.tgt.acquireLock(ctx); err != nil {
		return nil, fmt.Errorf("dbcopy: %w", err)
	}
	defer c.tgt.releaseLock()

	// Is the target empty, or an unfinished copy of this source? Checked
	// before the migrations, so that a wrong database is left untouched.
	progID, prog, err := c.tgt.readProgress(ctx)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: %w", err)
	}
	switch {
	case progID != "" && progID != c.srcID:
		return nil, fmt.Errorf("dbcopy: the target holds an unfinished copy of another SQLite database (source id %s; this one is %s at %s): copy into a new, empty database, or drop this one and create it again", progID, c.srcID, o.Source)
	case progID == c.srcID:
		c.rep.Resumed = true
	default:
		existing, err := c.tgt.columns(ctx)
		if err != nil {
			return nil, fmt.Errorf("dbcopy: %w", err)
		}
		name, n, err := c.tgt.firstNonEmpty(ctx, existing)
		if err != nil {
			return nil, fmt.Errorf("dbcopy: %w", err)
		}
		if name != "" {
			return nil, fmt.Errorf("dbcopy: the target database is not empty: table %s has %d rows; copy into a new, empty database (CREATE DATABASE …) before any opsdesk serves from it", name, n)
		}
	}
	c.prog = prog

	// The same migrations as "opsdesk serve", under the same lock, so the
	// target's schema is exactly the one opsdesk expects.
	err = c.st.WithMigrationLock(ctx, func(ctx context.Context) error {
		if _, err := c.st.Migrate(ctx); err != nil {
			return err
		}
		return jobs.Migrate(ctx, c.st)
	})
	if err != nil {
		return nil, fmt.Errorf("dbcopy: migrate the target: %w", err)
	}
	tgtVer, err := c.tgt.version(ctx)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: %w", err)
	}
	switch {
	case srcVer < tgtVer:
		return nil, fmt.Errorf("dbcopy: the SQLite database is at schema version %d, this opsdesk at %d: migrate it first (opsdesk migrate, with OPSDESK_DATABASE=sqlite:%s), then copy", srcVer, tgtVer, o.Source)
	case srcVer > tgtVer:
		return nil, fmt.Errorf("dbcopy: the SQLite database is at schema version %d, newer than this opsdesk (%d): copy with the opsdesk release that runs it", srcVer, tgtVer)
	}

	cols, err := c.tgt.columns(ctx)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: %w", err)
	}
	// Every table's columns are checked before anything is written.
	var copyable []*srcTable
	plans := map[string]*tablePlan{}
	for _, t := range tables {
		if t.skip != "" {
			c.rep.Skipped = append(c.rep.Skipped, Skipped{Table: t.name, Reason: t.skip})
			continue
		}
		p, err := buildPlan(t, cols[t.name])
		if err != nil {
			return nil, fmt.Errorf("dbcopy: %w", err)
		}
		plans[t.name] = p
		copyable = append(copyable, t)
	}
	ordered, err := order(copyable)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: %w", err)
	}
	if !c.rep.Resumed {
		if err := c.tgt.start(ctx, c.srcID); err != nil {
			return nil, fmt.Errorf("dbcopy: %w", err)
		}
	}

	var names []string
	for _, t := range ordered {
		p := plans[t.name]
		if err := c.copyTable(ctx, p); err != nil {
			return nil, fmt.Errorf("dbcopy: %w", err)
		}
		names = append(names, t.name)
	}
	floor, err := src.autoincrement(ctx)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: %w", err)
	}
	if c.rep.Sequences, err = c.tgt.resetSequences(ctx, names, cols, floor); err != nil {
		return nil, fmt.Errorf("dbcopy: %w", err)
	}
	if err := c.copyAttachments(ctx); err != nil {
		return nil, fmt.Errorf("dbcopy: %w", err)
	}
	if err := c.rebuildSearch(ctx); err != nil {
		return nil, fmt.Errorf("dbcopy: %w", err)
	}
	check, err := c.check(ctx, ordered, plans)
	if err != nil {
		return c.rep, fmt.Errorf("dbcopy: %w", err)
	}
	if check != nil {
		// The progress table stays: the target is not a finished copy.
		return c.rep, check
	}
	if err := c.tgt.finish(ctx); err != nil {
		return c.rep, fmt.Errorf("dbcopy: %w", err)
	}
	return c.rep, nil
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (c *copier) emit(e Event) {
	if c.o.Progress != nil {
		c.o.Progress(e)
	}
}

// tablePlan is how one table is read and written.
type tablePlan struct {
	name    string
	rule    rule
	srcCols []string   // source columns, in the order read
	exprs   []string   // SQLite expressions reading them
	convs   []convFunc // conversions to the target column types
	derive  []derived  // target-only columns computed from the row
	fromIdx []int      // for each derived column, its source column's index
	cols    []string   // target columns written: srcCols then derived
}

// buildPlan matches a source table with its target table. Every source
// column must exist in the target; target-only columns must have a
// default, be computed by PostgreSQL, or be derived by the copy.
func buildPlan(t *srcTable, tcols map[string]column) (*tablePlan, error) {
	if t.noRowid {
		return nil, fmt.Errorf("table %s is a WITHOUT ROWID table, which the copy cannot resume; not supported", t.name)
	}
	if tcols == nil {
		return nil, fmt.Errorf("table %s of the SQLite database is not in the PostgreSQL schema (is this opsdesk older than the database?)", t.name)
	}
	p := &tablePlan{name: t.name, rule: ruleFor(t.name)}
	have := map[string]int{}
	for _, col := range t.cols {
		tc, ok := tcols[col]
		if !ok {
			return nil, fmt.Errorf("table %s: column %s is in the SQLite database but not in PostgreSQL", t.name, col)
		}
		if tc.generated {
			return nil, fmt.Errorf("table %s: column %s is computed by PostgreSQL (GENERATED) and cannot be copied into", t.name, col)
		}
		expr, conv, err := tc.plan(col)
		if err != nil {
			return nil, fmt.Errorf("table %s: column %s: %w", t.name, col, err)
		}
		have[col] = len(p.srcCols)
		p.srcCols = append(p.srcCols, col)
		p.exprs = append(p.exprs, expr)
		p.convs = append(p.convs, conv)
	}
	p.cols = append(p.cols, p.srcCols...)
	derivedCols := map[string]bool{}
	for _, d := range p.rule.derive {
		if _, inSource := have[d.col]; inSource {
			continue // the source has it: copied as it is
		}
		if _, inTarget := tcols[d.col]; !inTarget {
			continue
		}
		i, ok := have[d.from]
		if !ok {
			return nil, fmt.Errorf("table %s: column %s is computed from %s, which the SQLite table lacks", t.name, d.col, d.from)
		}
		p.derive = append(p.derive, d)
		p.fromIdx = append(p.fromIdx, i)
		p.cols = append(p.cols, d.col)
		derivedCols[d.col] = true
	}
	for name, tc := range tcols {
		if _, ok := have[name]; ok || derivedCols[name] {
			continue
		}
		if !tc.nullable && !tc.hasDflt && !tc.identity && !tc.generated {
			return nil, fmt.Errorf("table %s: PostgreSQL column %s must have a value, but the SQLite table has no such column", t.name, name)
		}
	}
	return p, nil
}

// copyTable copies the rows of one table not copied yet, in batches.
func (c *copier) copyTable(ctx context.Context, p *tablePlan) error {
	pr, seen := c.prog[p.name]
	if !seen {
		pr.lastRowid = math.MinInt64
	}
	total, err := c.src.count(ctx, p.name, p.rule.where)
	if err != nil {
		return err
	}
	if pr.done {
		c.emit(Event{Step: StepTable, Table: p.name, Done: pr.copied, Total: total})
		return nil
	}
	q := `SELECT rowid, ` + strings.Join(p.exprs, ", ") + ` FROM ` + quoteSQLite(p.name) + ` WHERE rowid > ?`
	if p.rule.where != "" {
		q += ` AND (` + p.rule.where + `)`
	}
	q += ` ORDER BY rowid`
	rows, err := c.src.tx.QueryContext(ctx, q, pr.lastRowid)
	if err != nil {
		return fmt.Errorf("table %s: read: %w", p.name, err)
	}
	defer rows.Close()
	var (
		batch     [][]any
		size      int
		lastRowid int64 // of the last row in batch
	)
	flush := func(done bool) error {
		tx, err := c.st.Pool.Begin(ctx)
		if err != nil {
			return fmt.Errorf("table %s: %w", p.name, err)
		}
		defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit a no-op
		if len(batch) > 0 {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{p.name}, p.cols, pgx.CopyFromRows(batch)); err != nil {
				return fmt.Errorf("table %s: write %d rows after rowid %d: %w", p.name, len(batch), pr.lastRowid, err)
			}
		}
		next := pr
		next.copied += int64(len(batch))
		if len(batch) > 0 {
			next.lastRowid = lastRowid
		}
		next.done = done
		if err := c.tgt.mark(ctx, tx, c.srcID, p.name, next); err != nil {
			return fmt.Errorf("table %s: record progress: %w", p.name, err)
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("table %s: commit: %w", p.name, err)
		}
		pr = next
		batch, size = batch[:0], 0
		c.emit(Event{Step: StepTable, Table: p.name, Done: pr.copied, Total: total})
		return nil
	}
	dest := make([]any, 1+len(p.exprs))
	for rows.Next() {
		vals := make([]any, len(dest))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("table %s: read: %w", p.name, err)
		}
		rowid, ok := vals[0].(int64)
		if !ok {
			return fmt.Errorf("table %s: rowid %v is not an integer", p.name, vals[0])
		}
		row := make([]any, len(p.cols))
		for i, conv := range p.convs {
			v := vals[i+1]
			if v == nil {
				continue
			}
			cv, err := conv(v)
			if err != nil {
				return fmt.Errorf("table %s, rowid %d, column %s: %w", p.name, rowid, p.srcCols[i], err)
			}
			row[i] = cv
			size += sizeOf(cv)
		}
		if p.rule.fix != nil {
			p.rule.fix(p.srcCols, row[:len(p.srcCols)])
		}
		for j, d := range p.derive {
			v := d.fn(row[p.fromIdx[j]])
			row[len(p.srcCols)+j] = v
			size += sizeOf(v)
		}
		batch = append(batch, row)
		lastRowid = rowid
		if len(batch) >= c.o.BatchSize || size >= maxBatchBytes {
			if err := flush(false); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("table %s: read: %w", p.name, err)
	}
	return flush(true)
}

func sizeOf(v any) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case []byte:
		return len(x)
	}
	return 8
}

// rebuildSearch builds the case search documents on the target with
// opsdesk's own rebuild (the one a migration triggers), so that search
// works from the first start. Interrupted, it is resumed by the next copy
// or by opsdesk serve's periodic rebuild job.
func (c *copier) rebuildSearch(ctx context.Context) error {
	if c.prog[stepSearch].done {
		return nil
	}
	n, err := c.tgt.count(ctx, "cases")
	if err != nil {
		return err
	}
	if n > 0 {
		if _, err := c.st.Pool.Exec(ctx, `INSERT INTO search_rebuild (what) VALUES ('cases') ON CONFLICT (what) DO NOTHING`); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		c.emit(Event{Step: StepSearch, Done: 0, Total: n})
		done, _, err := cases.NewStore(c.st).RebuildSearch(ctx, time.Time{}, func(d int) {
			c.emit(Event{Step: StepSearch, Done: int64(d), Total: n})
		})
		c.rep.SearchIndexed = done
		if err != nil {
			return err
		}
	}
	if err := c.tgt.mark(ctx, nil, c.srcID, stepSearch, progress{lastRowid: math.MinInt64, done: true}); err != nil {
		return fmt.Errorf("search index: record progress: %w", err)
	}
	return nil
}

// check compares the row counts of both sides and looks for every stored
// attachment in the target's store.
func (c *copier) check(ctx context.Context, tables []*srcTable, plans map[string]*tablePlan) (*CheckError, error) {
	ce := &CheckError{}
	for _, t := range tables {
		p := plans[t.name]
		s, err := c.src.count(ctx, t.name, p.rule.where)
		if err != nil {
			return nil, err
		}
		n, err := c.tgt.count(ctx, t.name)
		if err != nil {
			return nil, err
		}
		cnt := Count{Table: t.name, Filter: p.rule.label, Source: s, Target: n, Grows: p.rule.grows}
		c.rep.Tables = append(c.rep.Tables, cnt)
		if !cnt.OK() {
			ce.Mismatches = append(ce.Mismatches, cnt)
		}
	}
	missing, present, err := c.verifyAttachments(ctx)
	if err != nil {
		return nil, err
	}
	c.rep.Attachments = present
	ce.MissingAttachments = missing
	if len(ce.Mismatches) == 0 && len(ce.MissingAttachments) == 0 {
		return nil, nil
	}
	return ce, nil
}
