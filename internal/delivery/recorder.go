package delivery

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
)

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
	err := r.st.Tx(ctx, func(tx *sql.Tx) error {
		for _, q := range batch {
			q.counted, q.err = false, nil
			if q.start != nil {
				d := q.start
				res, err := tx.ExecContext(ctx, r.st.Q(`UPDATE deliveries SET attempts = attempts + 1, updated_at = ? WHERE id = ? AND status = 'pending' AND generation = ?`),
					store.Millis(q.at), d.ID, d.Generation)
				if err != nil {
					return fmt.Errorf("delivery %d: count attempt: %w", d.ID, err)
				}
				n, _ := res.RowsAffected()
				q.counted = n == 1
				continue
			}
			if err := q.w.record(ctx, tx, *q.out); err != nil {
				return err
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
