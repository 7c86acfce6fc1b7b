package events

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/events/pattern"
	"github.com/opsdesk/opsdesk/internal/events/payload"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Event statuses.
const (
	StatusStored  = "stored"  // matched no rule with actions to run
	StatusPending = "pending" // actions to run
	StatusDone    = "done"
	StatusFailed  = "failed" // at least one action failed for good
)

// Service stores events, keeps the rule set and runs actions.
type Service struct {
	st    *store.Store
	queue jobs.Queue
	now   func() time.Time
	log   *slog.Logger

	// fixed are the built-in and config rules; console rules are read
	// from the database and cached for consoleTTL so that every replica
	// sees an edit within seconds.
	fixed   []Rule
	hasDest func(string) bool

	mu         sync.Mutex
	set        *ruleSet
	loadedAt   time.Time
	consoleTTL time.Duration
}

type ruleSet struct {
	rules map[string]*Rule
	order []*Rule
	set   *pattern.Set
}

// Options configures the service.
type Options struct {
	// Rules are the built-in and config rules (compiled here).
	Rules []Rule
	// HasDestination checks notify actions' destinations.
	HasDestination func(string) bool
	Now            func() time.Time
	Log            *slog.Logger
	// ConsoleTTL is how long console rules are cached (default 2s).
	ConsoleTTL time.Duration
}

// New compiles the fixed rules; an invalid one is an error naming it.
func New(st *store.Store, q jobs.Queue, o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.ConsoleTTL == 0 {
		o.ConsoleTTL = 2 * time.Second
	}
	s := &Service{st: st, queue: q, now: o.Now, log: o.Log, hasDest: o.HasDestination, consoleTTL: o.ConsoleTTL}
	names := map[string]bool{}
	for i := range o.Rules {
		r := o.Rules[i]
		if err := r.Compile(s.hasDest); err != nil {
			return nil, fmt.Errorf("events: rule %q (%s): %w", r.Name, r.Origin, err)
		}
		if names[r.Name] {
			return nil, fmt.Errorf("events: rule %q is defined twice", r.Name)
		}
		names[r.Name] = true
		s.fixed = append(s.fixed, r)
	}
	return s, nil
}

// SetQueue sets the job queue (it is built after the service).
func (s *Service) SetQueue(q jobs.Queue) { s.queue = q }

// rules returns the current rule set, reloading console rules when stale.
func (s *Service) rules(ctx context.Context) (*ruleSet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set != nil && s.now().Sub(s.loadedAt) < s.consoleTTL {
		return s.set, nil
	}
	console, err := s.ConsoleRules(ctx)
	if err != nil {
		if s.set != nil {
			s.log.Warn("events: reloading console rules failed; using the previous set", "error", err)
			return s.set, nil
		}
		return nil, err
	}
	rs := &ruleSet{rules: map[string]*Rule{}, set: pattern.NewSet()}
	add := func(r Rule) {
		if _, dup := rs.rules[r.Name]; dup {
			return // a fixed rule wins over a console rule of the same name
		}
		rr := r
		rs.rules[r.Name] = &rr
		rs.order = append(rs.order, &rr)
		if rr.Enabled {
			rs.set.Add(rr.Name, rr.compiled)
		}
	}
	for _, r := range s.fixed {
		add(r)
	}
	for _, r := range console {
		if err := r.Compile(s.hasDest); err != nil {
			s.log.Warn("events: console rule no longer valid; skipped", "rule", r.Name, "error", err)
			continue
		}
		add(r)
	}
	s.set, s.loadedAt = rs, s.now()
	return rs, nil
}

// builtin reports whether name is one of the built-in rules in use.
func (s *Service) builtin(name string) bool {
	for _, r := range s.fixed {
		if r.Name == name {
			return r.Origin == OriginBuiltin
		}
	}
	return false
}

// invalidate makes the next lookup reload console rules.
func (s *Service) invalidate() {
	s.mu.Lock()
	s.set = nil
	s.mu.Unlock()
}

// Rules lists every rule (fixed first, then console rules by name).
func (s *Service) Rules(ctx context.Context) ([]Rule, error) {
	rs, err := s.rules(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Rule, len(rs.order))
	for i, r := range rs.order {
		out[i] = *r
	}
	return out, nil
}

// Rule returns one rule by name.
func (s *Service) Rule(ctx context.Context, name string) (*Rule, error) {
	rs, err := s.rules(ctx)
	if err != nil {
		return nil, err
	}
	r, ok := rs.rules[name]
	if !ok {
		return nil, ErrNotFound
	}
	c := *r
	return &c, nil
}

// ErrNotFound is returned for an unknown event or rule.
var ErrNotFound = errors.New("events: not found")

// Received is the outcome of one event of an intake request.
type Received struct {
	Index     int      `json:"index"`
	ID        string   `json:"id"`
	Ref       int64    `json:"ref"`
	Source    string   `json:"source"`
	Type      string   `json:"detail_type"`
	Duplicate bool     `json:"duplicate,omitempty"`
	Matched   []string `json:"matched"`
}

// Ingested is the outcome of an intake request.
type Ingested struct {
	Shape      string     `json:"shape"`
	Accepted   int        `json:"accepted"`
	Duplicates int        `json:"duplicates"`
	Events     []Received `json:"events"`
	Failed     []Failed   `json:"failed,omitempty"`
}

// Failed is a record of the body that could not be used; the others were
// accepted. Index is its position in the body's list (an SQS batch's
// partial failure response is built from ID).
type Failed struct {
	Index int    `json:"index"`
	ID    string `json:"id,omitempty"`
	Field string `json:"field,omitempty"`
	Error string `json:"error"`
}

// Ingest stores the events of a parsed body with the rules each matched,
// and queues their actions. When it returns nil everything is committed.
// via says how the body arrived ("api", "sns", "lambda").
func (s *Service) Ingest(ctx context.Context, b *payload.Batch, via string) (*Ingested, error) {
	return s.IngestFor(ctx, b, via, "")
}

// IngestFor is Ingest for a delivery whose URL named a system
// (?system=NAME): the name is recorded on every action of its events as
// Action.IntakeSystem, which alert actions fall back on.
func (s *Service) IngestFor(ctx context.Context, b *payload.Batch, via, system string) (*Ingested, error) {
	rs, err := s.rules(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	res := &Ingested{Shape: b.Shape, Events: make([]Received, 0, len(b.Events))}
	for _, f := range b.Failed {
		res.Failed = append(res.Failed, Failed{Index: f.Index, ID: f.ID, Field: f.Field, Error: f.Reason})
	}
	type row struct {
		ev      payload.Event
		matched []string
		actions []actionRow
	}
	rows := make([]row, len(b.Events))
	for i, ev := range b.Events {
		names, err := rs.set.Matches(ev.Raw)
		if err != nil {
			return nil, fmt.Errorf("events: match %s: %w", ev.ID, err)
		}
		rows[i] = row{ev: ev, matched: names}
		for _, n := range names {
			r := rs.rules[n]
			for j, a := range r.Actions {
				a.IntakeSystem = system
				spec, _ := json.Marshal(a)
				rows[i].actions = append(rows[i].actions, actionRow{rule: n, idx: j, typ: a.Type, spec: string(spec)})
			}
		}
	}
	var toRun []int64
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		toRun = toRun[:0]
		for i, r := range rows {
			ev := r.ev
			rec := Received{Index: i, ID: ev.ID, Source: ev.Source, Type: ev.DetailType, Matched: r.matched}
			if rec.Matched == nil {
				rec.Matched = []string{}
			}
			status := StatusStored
			for _, a := range r.actions {
				if a.typ != ActionStore {
					status = StatusPending
				}
			}
			t := ev.Time
			if t.IsZero() {
				t = now
			}
			var ref int64
			err := tx.QueryRowContext(ctx, s.st.Q(`INSERT INTO events (dedup_key, event_id, source, detail_type, account, region, event_time, received_at, via, shape, raw, matched, status, run, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (dedup_key) DO NOTHING RETURNING id`),
				dedupKey(ev), ev.ID, ev.Source, ev.DetailType, ev.Account, ev.Region, store.Millis(t), store.Millis(now), via, b.Shape, string(ev.Raw),
				strings.Join(r.matched, ","), status, store.Millis(now)).Scan(&ref)
			if errors.Is(err, sql.ErrNoRows) {
				// Delivered before: absorbed.
				if err := tx.QueryRowContext(ctx, s.st.Q(`SELECT id FROM events WHERE dedup_key = ?`), dedupKey(ev)).Scan(&ref); err != nil {
					return fmt.Errorf("events: duplicate %s: %w", ev.ID, err)
				}
				rec.Ref, rec.Duplicate = ref, true
				res.Duplicates++
				res.Events = append(res.Events, rec)
				continue
			}
			if err != nil {
				return fmt.Errorf("events: store %s: %w", ev.ID, err)
			}
			rec.Ref = ref
			if err := insertActions(ctx, s.st, tx, ref, 0, r.actions, now); err != nil {
				return err
			}
			if status == StatusPending {
				toRun = append(toRun, ref)
			}
			res.Accepted++
			res.Events = append(res.Events, rec)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.enqueue(ctx, toRun, 0)
	return res, nil
}

// dedupKey identifies a delivery of the same event: its source and id.
// Very long ids are hashed to keep the index small.
func dedupKey(ev payload.Event) string {
	k := ev.Source + "/" + ev.ID
	if len(k) > 200 {
		sum := sha256.Sum256([]byte(k))
		return ev.Source + "/sha256:" + hex.EncodeToString(sum[:])
	}
	return k
}

type actionRow struct {
	rule string
	idx  int
	typ  string
	spec string
}

func insertActions(ctx context.Context, st *store.Store, tx *sql.Tx, ref int64, run int, actions []actionRow, now time.Time) error {
	for _, a := range actions {
		status := "pending"
		result := ""
		if a.typ == ActionStore {
			status, result = "done", "stored"
		}
		if _, err := tx.ExecContext(ctx, st.Q(`INSERT INTO event_actions (event_ref, run, rule, idx, type, spec, status, result, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			ref, run, a.rule, a.idx, a.typ, a.spec, status, result, store.Millis(now)); err != nil {
			return fmt.Errorf("events: store action: %w", err)
		}
	}
	return nil
}

func (s *Service) enqueue(ctx context.Context, refs []int64, run int) {
	if len(refs) == 0 || s.queue == nil {
		return
	}
	params := make([]river.InsertManyParams, len(refs))
	for i, ref := range refs {
		params[i] = river.InsertManyParams{Args: ActionsArgs{EventRef: ref, Run: run}}
	}
	if err := s.queue.InsertMany(ctx, params); err != nil {
		// Committed: the sweeper finds pending events.
		s.log.Warn("events: queue actions failed; the sweeper will retry", "events", len(refs), "error", err)
	}
}

// Replay runs the event through the current rules again, as a new run:
// every matched action runs anew (its idempotency keys include the run).
func (s *Service) Replay(ctx context.Context, ref int64) (*Received, error) {
	ev, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	rs, err := s.rules(ctx)
	if err != nil {
		return nil, err
	}
	names, err := rs.set.Matches(ev.Raw)
	if err != nil {
		return nil, fmt.Errorf("events: match %d: %w", ref, err)
	}
	system, err := s.intakeSystem(ctx, ref)
	if err != nil {
		return nil, err
	}
	var actions []actionRow
	status := StatusStored
	for _, n := range names {
		for j, a := range rs.rules[n].Actions {
			a.IntakeSystem = system
			spec, _ := json.Marshal(a)
			actions = append(actions, actionRow{rule: n, idx: j, typ: a.Type, spec: string(spec)})
			if a.Type != ActionStore {
				status = StatusPending
			}
		}
	}
	now := s.now()
	var run int
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.st.Q(`UPDATE events SET run = run + 1, matched = ?, status = ?, updated_at = ? WHERE id = ? RETURNING run`),
			strings.Join(names, ","), status, store.Millis(now), ref).Scan(&run); err != nil {
			return fmt.Errorf("events: replay %d: %w", ref, err)
		}
		return insertActions(ctx, s.st, tx, ref, run, actions, now)
	})
	if err != nil {
		return nil, err
	}
	if status == StatusPending {
		s.enqueue(ctx, []int64{ref}, run)
	}
	if names == nil {
		names = []string{}
	}
	return &Received{ID: ev.EventID, Ref: ref, Source: ev.Source, Type: ev.DetailType, Matched: names}, nil
}

// intakeSystem is the system the delivery of an event named in its URL,
// as recorded on its actions ("" when it named none, or when the event
// matched no rule and so has no actions to record it on).
func (s *Service) intakeSystem(ctx context.Context, ref int64) (string, error) {
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT spec FROM event_actions WHERE event_ref = ? ORDER BY run DESC, id`), ref)
	if err != nil {
		return "", fmt.Errorf("events: actions of %d: %w", ref, err)
	}
	defer rows.Close()
	for rows.Next() {
		var spec string
		if err := rows.Scan(&spec); err != nil {
			return "", err
		}
		var a Action
		if json.Unmarshal([]byte(spec), &a) == nil && a.IntakeSystem != "" {
			return a.IntakeSystem, nil
		}
	}
	return "", rows.Err()
}
