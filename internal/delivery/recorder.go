package delivery

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
)

// The statements here find deliveries by primary key and test "pending"
// as "neither delivered nor failed", which no index serves: the planner
// then cannot choose the status index over the key (see claimDue).

// recorder commits the bookkeeping of every send in this process, as soon
// as it is asked to, grouped: one loop takes whatever is waiting (an
// attempt about to start, an outcome just returned) and commits it in one
// transaction. Each caller waits for its own commit, so an outcome is
// durable before the job goes on, but concurrent sends share transactions
// (on SQLite's single writer, one transaction per send would cap
// throughput; on PostgreSQL it would cost a round trip and a flush each).
type recorder struct {
	st   *store.Store
	reqs chan *recReq
}

type recReq struct {
	// start counts an attempt of d that is about to be made.
	start *Delivery
	at    time.Time
	// or out records the outcome of an attempt (w writes it).
	out *outcome
	w   *Worker

	counted bool
	err     error
	done    chan struct{}
}

// recBatch bounds the requests one transaction commits.
const recBatch = 128

func newRecorder(st *store.Store) *recorder {
	r := &recorder{st: st, reqs: make(chan *recReq, 4*recBatch)}
	go r.run()
	return r
}

// run lives as long as the process (a worker is built once per process).
func (r *recorder) run() {
	batch := make([]*recReq, 0, recBatch)
	for first := range r.reqs {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < recBatch {
			select {
			case q := <-r.reqs:
				batch = append(batch, q)
			default:
				break fill
			}
		}
		r.commit(batch)
		for _, q := range batch {
			close(q.done)
		}
	}
}

func (r *recorder) commit(batch []*recReq) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Outcomes and attempts are written lazily (store.Lazy): one lost in
	// a crash of the database server means the send is repeated with the
	// same idempotency key, as after a crash of opsdesk.
	err := r.st.LazyTx(ctx, func(tx *sql.Tx) error {
		if r.st.Engine == store.Postgres {
			// The statements below join their rows to deliveries by
			// primary key. On a table that grew since it was last
			// analyzed (a new installation's first busy minutes) the
			// planner believes deliveries small and scans all of it for
			// a hash join; a key lookup per row is right at any size.
			if _, err := tx.ExecContext(ctx, `SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true), set_config('enable_seqscan', 'off', true)`); err != nil {
				return fmt.Errorf("delivery: record: %w", err)
			}
		}
		var starts, finals, retries []*recReq
		for _, q := range batch {
			q.counted, q.err = false, nil
			switch {
			case q.start != nil:
				starts = append(starts, q)
			case q.out.status == StatusPending:
				retries = append(retries, q)
			default:
				finals = append(finals, q)
			}
		}
		if len(starts) > 0 {
			ds := make([]*Delivery, len(starts))
			for i, q := range starts {
				ds[i] = q.start
			}
			counted, err := countAttempts(ctx, r.st, tx, ds, starts[0].at)
			if err != nil {
				return err
			}
			for _, q := range starts {
				// Two workers starting the same delivery at once: one of them.
				if counted[q.start.ID] {
					q.counted = true
					delete(counted, q.start.ID)
				}
			}
		}
		if len(finals) > 0 {
			args := make([]any, 0, 8*len(finals))
			for _, q := range finals {
				o, at := q.out, store.Millis(q.w.Now())
				args = append(args, o.d.ID, o.d.Generation, o.status, o.attempt, o.ref, o.reason, o.code, at)
			}
			if _, err := tx.ExecContext(ctx, `WITH v (id, gen, status, attempt, ref, reason, code, at) AS (VALUES `+
				typedRows(r.st, len(finals), "bigint", "bigint", "text", "bigint", "text", "text", "bigint", "bigint")+`)
				UPDATE deliveries SET status = v.status, attempts = v.attempt, external_ref = v.ref, last_error = v.reason, last_status = v.code,
					updated_at = v.at, delivered_at = CASE WHEN v.status = 'delivered' THEN v.at END, next_attempt_at = NULL
				FROM v WHERE deliveries.id = v.id AND deliveries.status <> 'delivered' AND deliveries.status <> 'failed' AND deliveries.generation = v.gen`, args...); err != nil {
				return fmt.Errorf("delivery: record %d outcomes: %w", len(finals), err)
			}
		}
		if len(retries) > 0 {
			args := make([]any, 0, 7*len(retries))
			for _, q := range retries {
				o := q.out
				args = append(args, o.d.ID, o.d.Generation, o.attempt, o.reason, o.code, store.Millis(o.at), store.Millis(o.at.Add(o.wait)))
			}
			if _, err := tx.ExecContext(ctx, `WITH v (id, gen, attempt, reason, code, at, next) AS (VALUES `+
				typedRows(r.st, len(retries), "bigint", "bigint", "bigint", "text", "bigint", "bigint", "bigint")+`)
				UPDATE deliveries SET attempts = v.attempt, last_error = v.reason, last_status = v.code, updated_at = v.at, next_attempt_at = v.next
				FROM v WHERE deliveries.id = v.id AND deliveries.status <> 'delivered' AND deliveries.status <> 'failed' AND deliveries.generation = v.gen`, args...); err != nil {
				return fmt.Errorf("delivery: record %d retries: %w", len(retries), err)
			}
		}
		return nil
	})
	if err != nil {
		for _, q := range batch {
			q.counted, q.err = false, err
		}
	}
}

// countAttempts counts, in one statement, the attempts about to be made
// of deliveries, and returns those counted: an attempt of a delivery that
// is no longer this pending generation is not counted (and not made).
func countAttempts(ctx context.Context, st *store.Store, tx *sql.Tx, ds []*Delivery, at time.Time) (map[int64]bool, error) {
	args := make([]any, 0, 2*len(ds))
	for _, d := range ds {
		args = append(args, d.ID, d.Generation)
	}
	rows, err := tx.QueryContext(ctx, `WITH v (id, gen) AS (VALUES `+typedRows(st, len(ds), "bigint", "bigint")+`)
		UPDATE deliveries SET attempts = deliveries.attempts + 1, updated_at = `+strconv.FormatInt(store.Millis(at), 10)+`
		FROM v WHERE deliveries.id = v.id AND deliveries.status <> 'delivered' AND deliveries.status <> 'failed' AND deliveries.generation = v.gen RETURNING deliveries.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("delivery: count %d attempts: %w", len(ds), err)
	}
	defer rows.Close()
	counted := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("delivery: count attempts: %w", err)
		}
		counted[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("delivery: count attempts: %w", err)
	}
	return counted, nil
}

// uncountAttempts takes back the attempts counted for deliveries that were
// not sent after all.
func uncountAttempts(ctx context.Context, st *store.Store, tx *sql.Tx, ds []*Delivery) error {
	args := make([]any, 0, 2*len(ds))
	for _, d := range ds {
		args = append(args, d.ID, d.Generation)
	}
	if _, err := tx.ExecContext(context.WithoutCancel(ctx), `WITH v (id, gen) AS (VALUES `+typedRows(st, len(ds), "bigint", "bigint")+`)
		UPDATE deliveries SET attempts = deliveries.attempts - 1
		FROM v WHERE deliveries.id = v.id AND deliveries.status <> 'delivered' AND deliveries.status <> 'failed' AND deliveries.generation = v.gen AND deliveries.attempts > 0`, args...); err != nil {
		return fmt.Errorf("delivery: give back %d attempts: %w", len(ds), err)
	}
	return nil
}

// typedRows is the VALUES list of rows with these column types; on
// PostgreSQL the first row's parameters carry the types, which type the
// columns.
func typedRows(st *store.Store, rows int, types ...string) string {
	v := st.Rows(rows, len(types))
	if st.Engine != store.Postgres {
		return v
	}
	var first strings.Builder
	first.WriteByte('(')
	for i, t := range types {
		if i > 0 {
			first.WriteString(", ")
		}
		fmt.Fprintf(&first, "$%d::%s", i+1, t)
	}
	first.WriteByte(')')
	end := strings.IndexByte(v, ')') + 1
	return first.String() + v[end:]
}

func (r *recorder) do(ctx context.Context, q *recReq) error {
	q.done = make(chan struct{})
	select {
	case r.reqs <- q:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once handed over it is committed (or not) whatever ctx does: wait
	// for the answer.
	<-q.done
	return q.err
}

// start commits an attempt of d before it is made and reports whether it
// was counted (false: d is no longer this pending generation).
func (r *recorder) start(ctx context.Context, d *Delivery, at time.Time) (bool, error) {
	q := &recReq{start: d, at: at}
	if err := r.do(ctx, q); err != nil {
		return false, err
	}
	return q.counted, nil
}

// outcome commits the outcome of an attempt.
func (r *recorder) outcome(ctx context.Context, w *Worker, o outcome) error {
	return r.do(context.WithoutCancel(ctx), &recReq{out: &o, w: w})
}
