package alerts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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
	// IncidentID is the incident an opened alert joined or opened (0:
	// its system does not group alerts; see incidents.go).
	IncidentID int64 `json:"incident_id,omitempty"`
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

// upsertAlerts opens alerts, or counts a repeat of an alert that is not
// resolved yet; the VALUES rows are added by upsert.
const upsertAlerts = `INSERT INTO alerts (system, policy, source, dedup_key, status, summary, details, severity, host, service, labels,
	started_at, received_at, via, repeats, last_seen_at, updated_at)
	VALUES %s
	ON CONFLICT (system, dedup_key) WHERE status <> 'resolved'
	DO UPDATE SET repeats = alerts.repeats + 1, last_seen_at = excluded.last_seen_at
	RETURNING id, repeats, status, system, dedup_key`

// upsertCols is the number of values of a row of upsertAlerts.
const upsertCols = 17

// upsertChunk bounds the rows of one upsert statement (17 values a row,
// well under the bind-parameter limits of both engines).
const upsertChunk = 500

// ingested is one firing signal of a group commit and what became of it.
type ingested struct {
	sig    *parse.Signal
	res    *Result
	status string
	policy string
	via    string
}

// coveringWindow returns the maintenance window covering a signal at now
// that lasts longest, and its end (nil: none).
func coveringWindow(windows []*Window, sig *parse.Signal, now time.Time) (*Window, time.Time) {
	var best *Window
	var bestEnd time.Time
	for _, w := range windows {
		if end, ok := w.covers(sig.System, sig.Severity, sig.Labels, now); ok && end.After(bestEnd) {
			best, bestEnd = w, end
		}
	}
	return best, bestEnd
}

// flappingKeys returns the (system, key) pairs resolved FlapOpens times or
// more within FlapWindow before now, with how often.
func (s *Service) flappingKeys(ctx context.Context, tx *sql.Tx, now time.Time) (map[[2]string]int, error) {
	if s.o.FlapOpens <= 0 || s.o.FlapWindow <= 0 {
		return nil, nil
	}
	rows, err := s.rowsQ(ctx, tx, `SELECT system, dedup_key, count(*) FROM alerts WHERE status = 'resolved' AND resolved_at > ?
		GROUP BY system, dedup_key HAVING count(*) >= ?`, store.Millis(now.Add(-s.o.FlapWindow)), s.o.FlapOpens)
	if err != nil {
		return nil, fmt.Errorf("alerts: flapping alerts: %w", err)
	}
	defer rows.Close()
	out := map[[2]string]int{}
	for rows.Next() {
		var sys, key string
		var n int
		if err := rows.Scan(&sys, &key, &n); err != nil {
			return nil, fmt.Errorf("alerts: flapping alerts: %w", err)
		}
		out[[2]string{sys, key}] = n
	}
	return out, rows.Err()
}

// firstStep is what the first step of a policy does for a severity.
type firstStep struct {
	ok     bool
	pol    *Policy
	pages  []plannedPage
	detail string
}

// commit writes one group of requests in one transaction and reports
// whether it started escalations.
func (s *Service) commit(ctx context.Context, batch []*ingestReq) bool {
	now := s.now()
	var escalate, wrotePages bool
	err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		escalate, wrotePages = false, false
		quiet, err := s.quietSystems(ctx, tx, now)
		if err != nil {
			return err
		}
		policies, err := s.systemNames(ctx, tx)
		if err != nil {
			return err
		}
		// The signals go in waves: the first signal of each (system, key)
		// in the first wave, a second one in the second, and so on, so
		// that no statement meets the same alert twice (PostgreSQL refuses
		// that) and a repeat within the group counts as one.
		var waves [][]*ingested
		var all []*ingested
		seen := map[[2]string]int{}
		for _, r := range batch {
			r.res = make([]Result, len(r.sigs))
			for i := range r.sigs {
				sig := &r.sigs[i]
				it := &ingested{sig: sig, res: &r.res[i], status: StatusOpen, policy: sig.System, via: r.via}
				if _, q := quiet[sig.System]; q {
					it.status = StatusQuiet
				}
				if _, ok := policies[it.policy]; !ok && s.o.DefaultSystem != "" {
					if _, ok := policies[s.o.DefaultSystem]; ok {
						it.policy = s.o.DefaultSystem
					}
				}
				k := [2]string{sig.System, sig.DedupKey}
				w := seen[k]
				seen[k] = w + 1
				if w == len(waves) {
					waves = append(waves, nil)
				}
				waves[w] = append(waves[w], it)
				all = append(all, it)
			}
		}
		ms := store.Millis(now)
		for _, wave := range waves {
			for start := 0; start < len(wave); start += upsertChunk {
				if err := s.upsert(ctx, tx, wave[start:min(start+upsertChunk, len(wave))], ms); err != nil {
					return err
				}
			}
		}
		var opened []*ingested
		for _, it := range all {
			if it.res.Repeats == 0 && it.status == StatusOpen {
				opened = append(opened, it)
			}
		}
		joins, err := s.groupIncidents(ctx, tx, opened, now)
		if err != nil {
			return err
		}
		flapping, err := s.flappingKeys(ctx, tx, now)
		if err != nil {
			return err
		}
		windows, err := s.activeWindows(ctx, tx, now)
		if err != nil {
			return err
		}
		held := map[int64]int64{} // window id → alerts it held back here
		var logs, escs, pages []any
		nLogs, nEscs, nPages := 0, 0, 0
		// The first step of a policy runs here, with the alert: its pages
		// are written in this transaction, so the first notification does
		// not wait for the engine to claim the alert (a thousand alerts at
		// once would be a thousand step transactions first). What a step
		// does depends on the policy and the severity only: it is worked
		// out once per pair. When it cannot be (a policy gone, the
		// directory failing), the engine runs the step as any other.
		firsts := map[[2]string]*firstStep{}
		first := func(policy, severity string) *firstStep {
			k := [2]string{policy, severity}
			if f, ok := firsts[k]; ok {
				return f
			}
			f := &firstStep{}
			firsts[k] = f
			pol, err := s.stepPolicy(ctx, tx, policy)
			if err != nil || len(pol.Steps) == 0 || pol.Rounds < 1 {
				return f
			}
			planned, notes, err := s.resolveStep(ctx, pol.Steps[0], severity, now)
			if err != nil {
				s.o.Log.Warn("alerts: working out a policy's first step failed; the engine runs it", "policy", policy, "error", err)
				return f
			}
			f.pol, f.pages, f.ok = pol, planned, true
			f.detail = fmt.Sprintf("policy %s, round 1, step 1: %s", pol.Name, strings.Join(notes, "; "))
			if len(notes) == 0 {
				f.detail = fmt.Sprintf("policy %s, round 1, step 1: nobody to notify", pol.Name)
			}
			return f
		}
		for _, it := range all {
			res, sig := it.res, it.sig
			quietUntil, isQuiet := quiet[sig.System]
			switch {
			case res.Repeats > 0:
				res.Action = ActionRepeated
			case isQuiet:
				res.Action = ActionSuppressed
				logs = append(logs, res.AlertID, ms, KindSuppressed, sig.Source, fmt.Sprintf("%s is quiet until %s: nobody is called", sig.System, quietUntil.Format(time.RFC3339)), 0)
				nLogs++
			default:
				res.Action = ActionOpened
				logs = append(logs, res.AlertID, ms, KindReceived, sig.Source, sig.Summary, 0)
				nLogs++
				if j, ok := joins[res.AlertID]; ok {
					res.IncidentID = j.incident
					if j.leader != res.AlertID {
						// One escalation per incident: its leader's.
						logs = append(logs, res.AlertID, ms, KindIncident, "", fmt.Sprintf("joined incident %d: alert %d escalates for it; nobody is notified for this one", j.incident, j.leader), 0)
						nLogs++
						continue
					}
					logs = append(logs, res.AlertID, ms, KindIncident, "", fmt.Sprintf("opened incident %d: later alerts of its group join it and notify nobody", j.incident), 0)
					nLogs++
				}
				r := matchRoute(policies[it.policy], sig.Severity, now, s.o.Location)
				if w, until := coveringWindow(windows, sig, now); w != nil {
					detail := fmt.Sprintf("maintenance window %q until %s: nobody is notified", w.Name, until.In(s.o.Location).Format("2006-01-02 15:04 MST"))
					if w.EscalateAtEnd && (r == nil || !r.RecordOnly) {
						detail += "; it escalates then if it is still open"
						state, policy := stateCall, it.policy
						if r != nil {
							state, policy = statePage, r.Policy
						}
						escs = append(escs, res.AlertID, policy, state, 1, 0, 0, store.Millis(until), ms)
						nEscs++
						escalate = true
					}
					logs = append(logs, res.AlertID, ms, KindMaintenance, WindowActor(w.ID), detail, 0)
					nLogs++
					held[w.ID]++
					continue
				}
				if n, flaps := flapping[[2]string{sig.System, sig.DedupKey}]; flaps && (r == nil || !r.RecordOnly) {
					// Flapping: the escalation waits for the window; if the
					// alert resolved by then (as it will, flapping), the
					// engine drops it without a call.
					until := now.Add(s.o.FlapWindow)
					logs = append(logs, res.AlertID, ms, KindFlapping, "", fmt.Sprintf("flapping: resolved %d times in the last %s (alerts.flapping); escalation waits until %s and runs only if the alert is still open then",
						n, s.o.FlapWindow, until.In(s.o.Location).Format("2006-01-02 15:04 MST")), 0)
					nLogs++
					state, policy := stateCall, it.policy
					if r != nil {
						state, policy = statePage, r.Policy
					}
					escs = append(escs, res.AlertID, policy, state, 1, 0, 0, store.Millis(until), ms)
					nEscs++
					escalate = true
					continue
				}
				switch {
				case r == nil:
					escs = append(escs, res.AlertID, it.policy, stateCall, 1, 0, 0, ms, ms)
					nEscs++
					escalate = true
				case r.RecordOnly:
					logs = append(logs, res.AlertID, ms, KindRecorded, "", fmt.Sprintf("%s alerts of %s are recorded only: nobody is notified", severityName(sig.Severity), it.policy), 0)
					nLogs++
				default:
					escalate = true
					nEscs++
					f := first(r.Policy, sig.Severity)
					if !f.ok {
						escs = append(escs, res.AlertID, r.Policy, statePage, 1, 0, 0, ms, ms)
						continue
					}
					escs = append(escs, res.AlertID, r.Policy, statePage, 1, 1, 0, store.Millis(now.Add(f.pol.Steps[0].After)), ms)
					logs = append(logs, res.AlertID, ms, KindStep, "", clip(f.detail, 2000), 0)
					nLogs++
					for _, p := range f.pages {
						pages = append(pages, res.AlertID, 1, 0, clip(p.target, 300), p.user, p.methodID, p.kind, p.address, p.destination, p.language,
							PagePending, store.Millis(p.due), ms, ms)
						nPages++
					}
				}
			}
		}
		if err := s.insertRows(ctx, tx, `INSERT INTO alert_log (alert_id, at, kind, actor, detail, call_id) VALUES `, 6, nLogs, logs); err != nil {
			return fmt.Errorf("alerts: log received: %w", err)
		}
		if err := s.insertRows(ctx, tx, `INSERT INTO alert_escalations (alert_id, policy, state, round, position, step, next_at, updated_at) VALUES `, 8, nEscs, escs); err != nil {
			return fmt.Errorf("alerts: start escalations: %w", err)
		}
		if err := s.insertRows(ctx, tx, `INSERT INTO alert_pages (alert_id, round, step, target, user_name, method_id, kind, address, destination, language, status, due_at, created_at, updated_at) VALUES `, 14, nPages, pages); err != nil {
			return fmt.Errorf("alerts: write first pages: %w", err)
		}
		// In id order: two replicas' intakes lock the rows alike.
		for _, id := range slices.Sorted(maps.Keys(held)) {
			if _, err := s.execQ(ctx, tx, `UPDATE maintenance_windows SET held = held + ? WHERE id = ?`, held[id], id); err != nil {
				return fmt.Errorf("alerts: count alerts held by maintenance window %d: %w", id, err)
			}
		}
		wrotePages = nPages > 0
		return nil
	})
	if err == nil && wrotePages {
		s.kickPages()
	}
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

// upsert writes signals of distinct (system, key) in one statement and
// fills in their results (id, repeats, status).
func (s *Service) upsert(ctx context.Context, tx *sql.Tx, items []*ingested, ms int64) error {
	args := make([]any, 0, upsertCols*len(items))
	byKey := make(map[[2]string]*ingested, len(items))
	for _, it := range items {
		sig := it.sig
		labels, _ := json.Marshal(sig.Labels)
		args = append(args, sig.System, it.policy, sig.Source, sig.DedupKey, it.status, sig.Summary, sig.Details, sig.Severity,
			sig.Host, sig.Service, string(labels), millisOrZero(sig.StartedAt), ms, clip(it.via, 200), 0, ms, ms)
		byKey[[2]string{sig.System, sig.DedupKey}] = it
	}
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(upsertAlerts, s.st.Rows(len(items), upsertCols)), args...)
	if err != nil {
		return fmt.Errorf("alerts: store %d alerts (%s/%s first): %w", len(items), items[0].sig.System, items[0].sig.DedupKey, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int64
		var repeats int
		var status, system, key string
		if err := rows.Scan(&id, &repeats, &status, &system, &key); err != nil {
			return fmt.Errorf("alerts: store alerts: %w", err)
		}
		it := byKey[[2]string{system, key}]
		if it == nil {
			return fmt.Errorf("alerts: store alerts: %s/%s came back unasked", system, key)
		}
		*it.res = Result{AlertID: id, Status: status, Repeats: repeats, System: system, Key: key}
		n++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("alerts: store alerts: %w", err)
	}
	if n != len(items) {
		return fmt.Errorf("alerts: store alerts: %d of %d written", n, len(items))
	}
	return nil
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

// systemNames returns the systems by name with their routes (nil for a
// system that has none).
func (s *Service) systemNames(ctx context.Context, q querier) (map[string][]Route, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, routes FROM alert_systems`)
	if err != nil {
		return nil, fmt.Errorf("alerts: systems: %w", err)
	}
	defer rows.Close()
	out := map[string][]Route{}
	for rows.Next() {
		var n, routes string
		if err := rows.Scan(&n, &routes); err != nil {
			return nil, fmt.Errorf("alerts: systems: %w", err)
		}
		rs, err := decodeRoutes(routes)
		if err != nil {
			return nil, fmt.Errorf("alerts: system %q: %w", n, err)
		}
		out[n] = rs
	}
	return out, rows.Err()
}

func millisOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return store.Millis(t)
}
