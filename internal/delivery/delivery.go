// Package delivery sends stored items to their destinations. A delivery row
// is the truth about one (question, destination) pair; River jobs only wake
// the worker. The worker reads the row, calls the destination, and writes
// the outcome, so a job that runs twice (a retry, a restart, a second
// replica) finds the row already delivered and does nothing.
package delivery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Statuses of a delivery.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
)

// Delivery is one item's delivery to one destination.
type Delivery struct {
	ID            int64
	QuestionID    int64
	QuestionRef   string
	Destination   string
	Status        string
	Attempts      int
	Generation    int
	LastError     string
	LastStatus    int
	ExternalRef   string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	NextAttemptAt time.Time
	DeliveredAt   time.Time
}

// Args wakes the worker for one delivery. Generation changes when an
// operator retries a failed delivery, so the retry is a new unique job.
type Args struct {
	DeliveryID int64 `json:"delivery_id"`
	Generation int   `json:"generation"`
	// Destination puts the job in the destination's queue (empty in jobs
	// queued by older releases: they run in the default queue).
	Destination string `json:"destination,omitempty"`
}

// Kind implements river.JobArgs.
func (Args) Kind() string { return "deliver" }

// InsertOpts makes delivery jobs unique per (delivery, generation), in
// their destination's queue.
func (a Args) InsertOpts() river.InsertOpts {
	if a.Destination == "" {
		return *jobs.UniqueByArgs()
	}
	return jobs.In(jobs.DestinationQueue(a.Destination), jobs.UniqueByArgs())
}

// InsertPending creates a pending delivery for each destination inside tx
// and returns their ids in the same order.
func InsertPending(ctx context.Context, st *store.Store, tx *sql.Tx, questionID int64, destinations []string, now time.Time) ([]int64, error) {
	ps, err := InsertPendingMany(ctx, st, tx, []int64{questionID}, destinations, now)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(destinations))
	for i, d := range destinations {
		for _, p := range ps {
			if p.Destination == d {
				ids[i] = p.ID
			}
		}
	}
	return ids, nil
}

// Pending names a delivery just created: what its wake-up job needs.
type Pending struct {
	ID          int64
	QuestionID  int64
	Destination string
}

// insertChunk bounds the rows of one multi-row INSERT (6 parameters each,
// far below either engine's limit on parameters).
const insertChunk = 400

// InsertPendingMany creates a pending delivery for every (question,
// destination) pair inside tx, a few hundred rows per statement: the group
// commit of many questions costs a handful of statements, not one per row.
func InsertPendingMany(ctx context.Context, st *store.Store, tx *sql.Tx, questionIDs []int64, destinations []string, now time.Time) ([]Pending, error) {
	ms := store.Millis(now)
	out := make([]Pending, 0, len(questionIDs)*len(destinations))
	args := make([]any, 0, 6*min(insertChunk, len(questionIDs)*len(destinations)))
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		q := `INSERT INTO deliveries (question_id, destination, status, created_at, updated_at, next_attempt_at) VALUES ` + st.Rows(len(args)/6, 6) +
			` RETURNING id, question_id, destination`
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("delivery: insert pending: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var p Pending
			if err := rows.Scan(&p.ID, &p.QuestionID, &p.Destination); err != nil {
				return fmt.Errorf("delivery: insert pending: %w", err)
			}
			out = append(out, p)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("delivery: insert pending: %w", err)
		}
		args = args[:0]
		return nil
	}
	for _, qid := range questionIDs {
		for _, d := range destinations {
			args = append(args, qid, d, StatusPending, ms, ms, ms)
			if len(args) == 6*insertChunk {
				if err := flush(); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Pending) int { return int(a.ID - b.ID) })
	return out, nil
}

// QuestionsPerJob bounds the deliveries one wake-up job carries. Under
// load a group commit stores hundreds of questions; one job per delivery
// would make the queue's own bookkeeping (insert, fetch, complete: three
// writes each) the bottleneck.
const QuestionsPerJob = 64

// JobParams returns the insert parameters that wake the workers for these
// deliveries: per destination, one job per QuestionsPerJob deliveries, in
// the destination's queue.
func JobParams(ps []Pending) []river.InsertManyParams {
	byDest := map[string][]int64{}
	var dests []string
	for _, p := range ps {
		if _, ok := byDest[p.Destination]; !ok {
			dests = append(dests, p.Destination)
		}
		byDest[p.Destination] = append(byDest[p.Destination], p.ID)
	}
	var out []river.InsertManyParams
	for _, dest := range dests {
		for ids := byDest[dest]; len(ids) > 0; {
			n := min(len(ids), QuestionsPerJob)
			out = append(out, river.InsertManyParams{Args: DestArgs{Destination: dest, DeliveryIDs: append([]int64(nil), ids[:n]...)}})
			ids = ids[n:]
		}
	}
	return out
}

const selectCols = `d.id, d.question_id, q.ref, d.destination, d.status, d.attempts, d.generation, d.last_error, d.last_status, d.external_ref, d.created_at, d.updated_at, d.next_attempt_at, d.delivered_at`

func scan(row interface{ Scan(...any) error }) (*Delivery, error) {
	var d Delivery
	var created, updated int64
	var next, delivered sql.NullInt64
	if err := row.Scan(&d.ID, &d.QuestionID, &d.QuestionRef, &d.Destination, &d.Status, &d.Attempts, &d.Generation, &d.LastError, &d.LastStatus, &d.ExternalRef, &created, &updated, &next, &delivered); err != nil {
		return nil, err
	}
	d.CreatedAt, d.UpdatedAt = store.Time(created), store.Time(updated)
	d.NextAttemptAt, d.DeliveredAt = store.NullTime(next), store.NullTime(delivered)
	return &d, nil
}

// ErrNotFound is returned for an unknown delivery.
var ErrNotFound = errors.New("delivery: not found")

// Get returns one delivery.
func Get(ctx context.Context, st *store.Store, db *sql.DB, id int64) (*Delivery, error) {
	d, err := scan(db.QueryRowContext(ctx, st.Q(`SELECT `+selectCols+` FROM deliveries d JOIN questions q ON q.id = d.question_id WHERE d.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("delivery %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("delivery: get %d: %w", id, err)
	}
	return d, nil
}

// ForQuestion lists a question's deliveries by destination name.
func ForQuestion(ctx context.Context, st *store.Store, questionID int64) ([]*Delivery, error) {
	return list(ctx, st, `WHERE d.question_id = ? ORDER BY d.destination`, questionID)
}

// Filter selects deliveries for List.
type Filter struct {
	Status      string
	Destination string
	Limit       int
}

// List returns deliveries, newest change first.
func List(ctx context.Context, st *store.Store, f Filter) ([]*Delivery, error) {
	var where []string
	var args []any
	if f.Status != "" {
		where = append(where, "d.status = ?")
		args = append(args, f.Status)
	}
	if f.Destination != "" {
		where = append(where, "d.destination = ?")
		args = append(args, f.Destination)
	}
	q := ""
	if len(where) > 0 {
		q = "WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	q += " ORDER BY d.updated_at DESC, d.id DESC LIMIT ?"
	args = append(args, f.Limit)
	return list(ctx, st, q, args...)
}

func list(ctx context.Context, st *store.Store, tail string, args ...any) ([]*Delivery, error) {
	rows, err := st.R.QueryContext(ctx, st.Q(`SELECT `+selectCols+` FROM deliveries d JOIN questions q ON q.id = d.question_id `+tail), args...)
	if err != nil {
		return nil, fmt.Errorf("delivery: list: %w", err)
	}
	defer rows.Close()
	var out []*Delivery
	for rows.Next() {
		d, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("delivery: list: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// CountFailed returns the number of failed deliveries (the home page's
// "needs attention").
func CountFailed(ctx context.Context, st *store.Store) (int, error) {
	var n int
	err := st.R.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE status = 'failed'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("delivery: count failed: %w", err)
	}
	return n, nil
}

// DestinationStats summarises one destination's recent deliveries.
type DestinationStats struct {
	Destination string
	Delivered   int
	Failed      int
	Pending     int
	// LastDelivered is the time of the latest success.
	LastDelivered time.Time
	LastError     string
}

// SuccessRate is delivered / (delivered + failed), or -1 with no finished
// deliveries.
func (s DestinationStats) SuccessRate() float64 {
	if s.Delivered+s.Failed == 0 {
		return -1
	}
	return float64(s.Delivered) / float64(s.Delivered+s.Failed)
}

// Stats returns per-destination counts of deliveries created since since.
func Stats(ctx context.Context, st *store.Store, since time.Time) (map[string]*DestinationStats, error) {
	rows, err := st.R.QueryContext(ctx, st.Q(`SELECT destination, status, count(*), max(delivered_at) FROM deliveries WHERE created_at >= ? GROUP BY destination, status`), store.Millis(since))
	if err != nil {
		return nil, fmt.Errorf("delivery: stats: %w", err)
	}
	defer rows.Close()
	out := map[string]*DestinationStats{}
	for rows.Next() {
		var dest, status string
		var n int
		var last sql.NullInt64
		if err := rows.Scan(&dest, &status, &n, &last); err != nil {
			return nil, fmt.Errorf("delivery: stats: %w", err)
		}
		s := out[dest]
		if s == nil {
			s = &DestinationStats{Destination: dest}
			out[dest] = s
		}
		switch status {
		case StatusDelivered:
			s.Delivered = n
			s.LastDelivered = store.NullTime(last)
		case StatusFailed:
			s.Failed = n
		case StatusPending:
			s.Pending = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for dest, s := range out {
		var msg string
		err := st.R.QueryRowContext(ctx, st.Q(`SELECT last_error FROM deliveries WHERE destination = ? AND created_at >= ? AND last_error <> '' ORDER BY updated_at DESC LIMIT 1`), dest, store.Millis(since)).Scan(&msg)
		if err == nil {
			s.LastError = msg
		}
	}
	return out, nil
}

// Counts returns the number of deliveries by destination and status (for
// metrics).
func Counts(ctx context.Context, st *store.Store) (map[[2]string]int64, error) {
	rows, err := st.R.QueryContext(ctx, `SELECT destination, status, count(*) FROM deliveries GROUP BY destination, status`)
	if err != nil {
		return nil, fmt.Errorf("delivery: counts: %w", err)
	}
	defer rows.Close()
	out := map[[2]string]int64{}
	for rows.Next() {
		var d, s string
		var n int64
		if err := rows.Scan(&d, &s, &n); err != nil {
			return nil, err
		}
		out[[2]string{d, s}] = n
	}
	return out, rows.Err()
}

// Retry makes a failed delivery pending again with a fresh retry window and
// enqueues it. Delivered and pending deliveries are left alone (retrying a
// delivered one would post twice); the returned bool says whether anything
// was retried.
func Retry(ctx context.Context, st *store.Store, q jobs.Queue, id int64, now time.Time) (bool, error) {
	var gen int
	var dest string
	ms := store.Millis(now)
	err := st.W.QueryRowContext(ctx, st.Q(`UPDATE deliveries SET status = 'pending', generation = generation + 1, attempts = 0, created_at = ?, updated_at = ?, next_attempt_at = ? WHERE id = ? AND status = 'failed' RETURNING generation, destination`), ms, ms, ms, id).Scan(&gen, &dest)
	if errors.Is(err, sql.ErrNoRows) {
		if _, gerr := Get(ctx, st, st.W, id); gerr != nil {
			return false, gerr
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delivery: retry %d: %w", id, err)
	}
	if _, err := q.Insert(ctx, Args{DeliveryID: id, Generation: gen, Destination: dest}, nil); err != nil {
		// The row is pending: the sweeper will enqueue it.
		return true, fmt.Errorf("delivery: retry %d: enqueue (the sweeper will pick it up): %w", id, err)
	}
	return true, nil
}

// RetryFailed retries every failed delivery and returns how many.
func RetryFailed(ctx context.Context, st *store.Store, q jobs.Queue, now time.Time) (int, error) {
	rows, err := st.W.QueryContext(ctx, `SELECT id FROM deliveries WHERE status = 'failed' ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("delivery: retry failed: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	n := 0
	for _, id := range ids {
		ok, err := Retry(ctx, st, q, id, now)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}
