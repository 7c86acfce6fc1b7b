package alerts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Result is what became of one signal.
type Result struct {
	// AlertID is the alert the signal opened, repeated, resolved or
	// acknowledged; 0 when it matched none (a recovery of an alert that is
	// not open).
	AlertID int64 `json:"id,omitempty"`
	// Action is opened, repeated, suppressed (opened while the system is
	// quiet), resolved, acknowledged or ignored.
	Action string `json:"action"`
	// Status is the alert's status afterwards.
	Status  string `json:"status,omitempty"`
	Repeats int    `json:"repeats,omitempty"`
	System  string `json:"system"`
	Key     string `json:"dedup_key"`
}

// Actions of Result.
const (
	ActionOpened       = "opened"
	ActionRepeated     = "repeated"
	ActionSuppressed   = "suppressed"
	ActionResolved     = "resolved"
	ActionAcknowledged = "acknowledged"
	ActionIgnored      = "ignored"
)

// Ingest stores signals in order and returns what became of each. When it
// returns nil every firing signal is committed (opened or counted as a
// repeat) and every recovery or acknowledgement has been applied. via
// names the integration (the token's name).
//
// Firing signals of concurrent requests are written together, one
// transaction for many requests ("group commit"); recoveries and
// acknowledgements go one by one through the alert's lock, like an
// acknowledgement from the console.
func (s *Service) Ingest(ctx context.Context, sigs []parse.Signal, via string) ([]Result, error) {
	out := make([]Result, 0, len(sigs))
	for i := 0; i < len(sigs); {
		if sigs[i].Status == parse.StatusFiring {
			j := i
			for j < len(sigs) && sigs[j].Status == parse.StatusFiring {
				j++
			}
			res, err := s.submit(ctx, sigs[i:j], via)
			if err != nil {
				return out, err
			}
			out = append(out, res...)
			i = j
			continue
		}
		res, err := s.endByKey(ctx, &sigs[i], via)
		if err != nil {
			return out, err
		}
		out = append(out, res)
		i++
	}
	return out, nil
}

// endByKey applies a recovery or an acknowledgement to the open alert with
// the signal's system and key.
func (s *Service) endByKey(ctx context.Context, sig *parse.Signal, via string) (Result, error) {
	r := Result{Action: ActionIgnored, System: sig.System, Key: sig.DedupKey}
	var id int64
	err := s.rowQ(ctx, s.st.R, `SELECT id FROM alerts WHERE system = ? AND dedup_key = ? AND status <> 'resolved'`, sig.System, sig.DedupKey).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("alerts: find %s/%s: %w", sig.System, sig.DedupKey, err)
	}
	by := sig.Source
	for _, k := range []string{"NOTIFICATIONAUTHOR", "user"} { // Nagios, Zabbix
		if who := sig.Labels[k]; who != "" {
			by = sig.Source + ": " + who
			break
		}
	}
	var a *Alert
	if sig.Status == parse.StatusResolved {
		a, _, err = s.Resolve(ctx, id, by, via)
		r.Action = ActionResolved
	} else {
		a, _, err = s.Ack(ctx, id, by, via)
		if errors.Is(err, ErrNotActive) {
			return r, nil
		}
		r.Action = ActionAcknowledged
	}
	if errors.Is(err, ErrNotFound) {
		r.Action = ActionIgnored
		return r, nil
	}
	if err != nil {
		return r, err
	}
	r.AlertID, r.Status, r.Repeats = a.ID, a.Status, a.Repeats
	return r, nil
}

// batcher collects firing signals of concurrent requests for group
// commit. No goroutine of its own: the first request in leads, commits
// whatever is waiting (itself included), and hands the lead to the first
// request that arrived meanwhile.
type batcher struct {
	mu      sync.Mutex
	pending []*ingestReq
	busy    bool
}

type ingestReq struct {
	sigs []parse.Signal
	via  string
	res  []Result
	err  error
	// done receives true when this request leads the next commit, false
	// when its signals are committed (res, err set).
	done chan bool
}

// maxBatch bounds the signals one transaction writes.
const maxBatch = 2000

func (s *Service) submit(ctx context.Context, sigs []parse.Signal, via string) ([]Result, error) {
	r := &ingestReq{sigs: sigs, via: via, done: make(chan bool, 1)}
	b := &s.batch
	b.mu.Lock()
	b.pending = append(b.pending, r)
	lead := !b.busy
	b.busy = true
	b.mu.Unlock()
	if !lead && !<-r.done {
		return r.res, r.err
	}
	b.mu.Lock()
	n, count := 0, 0
	for n < len(b.pending) && (n == 0 || count+len(b.pending[n].sigs) <= maxBatch) {
		count += len(b.pending[n].sigs)
		n++
	}
	batch := b.pending[:n:n]
	b.pending = b.pending[n:]
	b.mu.Unlock()

	escalate := s.commit(context.WithoutCancel(ctx), batch)

	b.mu.Lock()
	var next *ingestReq
	if len(b.pending) > 0 {
		next = b.pending[0]
	} else {
		b.busy = false
		b.pending = nil
	}
	b.mu.Unlock()
	for _, o := range batch {
		if o != r {
			o.done <- false
		}
	}
	if next != nil {
		next.done <- true
	}
	if escalate {
		// After the answers: the senders need not wait for the job insert.
		s.kick(context.WithoutCancel(ctx))
	}
	return r.res, r.err
}

const upsertAlert = `INSERT INTO alerts (system, policy, source, dedup_key, status, summary, details, severity, host, service, labels,
	started_at, received_at, via, repeats, last_seen_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
	ON CONFLICT (system, dedup_key) WHERE status <> 'resolved'
	DO UPDATE SET repeats = alerts.repeats + 1, last_seen_at = excluded.last_seen_at
	RETURNING id, repeats, status`

// commit writes one group of requests in one transaction and reports
// whether it started escalations.
func (s *Service) commit(ctx context.Context, batch []*ingestReq) bool {
	now := s.now()
	var escalate bool
	err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		escalate = false
		quiet, err := s.quietSystems(ctx, tx, now)
		if err != nil {
			return err
		}
		policies, err := s.systemNames(ctx, tx)
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, s.st.Q(upsertAlert))
		if err != nil {
			return fmt.Errorf("alerts: prepare: %w", err)
		}
		defer stmt.Close()
		var logs, escs []any
		nLogs, nEscs := 0, 0
		ms := store.Millis(now)
		for _, r := range batch {
			r.res = make([]Result, len(r.sigs))
			for i := range r.sigs {
				sig := &r.sigs[i]
				status := StatusOpen
				quietUntil, isQuiet := quiet[sig.System]
				if isQuiet {
					status = StatusQuiet
				}
				policy := sig.System
				if !policies[policy] && s.o.DefaultSystem != "" && policies[s.o.DefaultSystem] {
					policy = s.o.DefaultSystem
				}
				labels, _ := json.Marshal(sig.Labels)
				var id int64
				var repeats int
				var cur string
				if err := stmt.QueryRowContext(ctx, sig.System, policy, sig.Source, sig.DedupKey, status, sig.Summary, sig.Details, sig.Severity,
					sig.Host, sig.Service, string(labels), millisOrZero(sig.StartedAt), ms, clip(r.via, 200), ms, ms).Scan(&id, &repeats, &cur); err != nil {
					return fmt.Errorf("alerts: store %s/%s: %w", sig.System, sig.DedupKey, err)
				}
				res := Result{AlertID: id, Status: cur, Repeats: repeats, System: sig.System, Key: sig.DedupKey}
				switch {
				case repeats > 0:
					res.Action = ActionRepeated
				case isQuiet:
					res.Action = ActionSuppressed
					logs = append(logs, id, ms, KindSuppressed, sig.Source, fmt.Sprintf("%s is quiet until %s: nobody is called", sig.System, quietUntil.Format(time.RFC3339)), 0)
					nLogs++
				default:
					res.Action = ActionOpened
					logs = append(logs, id, ms, KindReceived, sig.Source, sig.Summary, 0)
					nLogs++
					escs = append(escs, id, policy, stateCall, 1, 0, 0, ms, ms)
					nEscs++
					escalate = true
				}
				r.res[i] = res
			}
		}
		if err := s.insertRows(ctx, tx, `INSERT INTO alert_log (alert_id, at, kind, actor, detail, call_id) VALUES `, 6, nLogs, logs); err != nil {
			return fmt.Errorf("alerts: log received: %w", err)
		}
		if err := s.insertRows(ctx, tx, `INSERT INTO alert_escalations (alert_id, policy, state, round, position, step, next_at, updated_at) VALUES `, 8, nEscs, escs); err != nil {
			return fmt.Errorf("alerts: start escalations: %w", err)
		}
		return nil
	})
	if err != nil {
		s.o.Log.Error("alerts: storing alerts failed", "requests", len(batch), "error", err)
	}
	for _, r := range batch {
		if err != nil {
			r.res, r.err = nil, err
		}
	}
	return err == nil && escalate
}

// insertRows writes n rows of cols values in statements of at most 500
// rows.
func (s *Service) insertRows(ctx context.Context, tx *sql.Tx, head string, cols, n int, args []any) error {
	const chunk = 500
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		if _, err := tx.ExecContext(ctx, head+s.st.Rows(end-start, cols), args[start*cols:end*cols]...); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) systemNames(ctx context.Context, q querier) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM alert_systems`)
	if err != nil {
		return nil, fmt.Errorf("alerts: systems: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("alerts: systems: %w", err)
		}
		out[n] = true
	}
	return out, rows.Err()
}

func millisOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return store.Millis(t)
}
