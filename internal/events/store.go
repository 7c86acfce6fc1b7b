package events

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/events/pattern"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/textutil"
)

// Stored is an event as kept in the database.
type Stored struct {
	Ref        int64
	EventID    string
	Source     string
	DetailType string
	Account    string
	Region     string
	Time       time.Time
	ReceivedAt time.Time
	Via        string
	Shape      string
	Raw        json.RawMessage
	Matched    []string
	Status     string
	Run        int
	UpdatedAt  time.Time
}

// ActionResult is one action of one run of an event.
type ActionResult struct {
	ID        int64
	Run       int
	Rule      string
	Index     int
	Type      string
	Spec      Action
	Status    string
	Attempts  int
	Result    string
	Error     string
	UpdatedAt time.Time
}

const eventCols = `id, event_id, source, detail_type, account, region, event_time, received_at, via, shape, raw, matched, status, run, updated_at`

func scanEvent(row interface{ Scan(...any) error }) (*Stored, error) {
	var e Stored
	var t, rcv, upd int64
	var raw, matched string
	if err := row.Scan(&e.Ref, &e.EventID, &e.Source, &e.DetailType, &e.Account, &e.Region, &t, &rcv, &e.Via, &e.Shape, &raw, &matched, &e.Status, &e.Run, &upd); err != nil {
		return nil, err
	}
	e.Time, e.ReceivedAt, e.UpdatedAt = store.Time(t), store.Time(rcv), store.Time(upd)
	e.Raw = json.RawMessage(raw)
	if matched != "" {
		e.Matched = strings.Split(matched, ",")
	}
	return &e, nil
}

// Get returns one stored event.
func (s *Service) Get(ctx context.Context, ref int64) (*Stored, error) {
	e, err := scanEvent(s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT `+eventCols+` FROM events WHERE id = ?`), ref))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("event %d: %w", ref, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("events: get %d: %w", ref, err)
	}
	return e, nil
}

// Filter selects events for List.
type Filter struct {
	Source     string
	DetailType string
	Rule       string
	Status     string
	Before     int64 // page before this ref (exclusive); 0: newest
	Limit      int
}

// List returns events newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]*Stored, error) {
	var where []string
	var args []any
	if f.Source != "" {
		where = append(where, "source = ?")
		args = append(args, f.Source)
	}
	if f.DetailType != "" {
		where = append(where, "detail_type = ?")
		args = append(args, f.DetailType)
	}
	if f.Rule != "" {
		where = append(where, "(matched = ? OR matched LIKE ? ESCAPE '\\' OR matched LIKE ? ESCAPE '\\' OR matched LIKE ? ESCAPE '\\')")
		e := escapeLike(f.Rule)
		args = append(args, f.Rule, e+",%", "%,"+e, "%,"+e+",%")
	}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	if f.Before > 0 {
		where = append(where, "id < ?")
		args = append(args, f.Before)
	}
	q := `SELECT ` + eventCols + ` FROM events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("events: list: %w", err)
	}
	defer rows.Close()
	var out []*Stored
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("events: list: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func escapeLike(s string) string { return textutil.EscapeLike(s) }

// Actions returns every action of every run of an event, newest run first.
func (s *Service) Actions(ctx context.Context, ref int64) ([]ActionResult, error) {
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT id, run, rule, idx, type, spec, status, attempts, result, error, updated_at FROM event_actions WHERE event_ref = ? ORDER BY run DESC, rule, idx`), ref)
	if err != nil {
		return nil, fmt.Errorf("events: actions of %d: %w", ref, err)
	}
	defer rows.Close()
	var out []ActionResult
	for rows.Next() {
		var a ActionResult
		var spec string
		var upd int64
		if err := rows.Scan(&a.ID, &a.Run, &a.Rule, &a.Index, &a.Type, &spec, &a.Status, &a.Attempts, &a.Result, &a.Error, &upd); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(spec), &a.Spec)
		a.UpdatedAt = store.Time(upd)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Counts returns the number of events by status (home page, metrics).
func (s *Service) Counts(ctx context.Context) (map[string]int, error) {
	out, err := s.st.CountBy(ctx, `SELECT status, count(*) FROM events GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("events: counts: %w", err)
	}
	return out, nil
}

// ConsoleRules are the rules kept in the database (edited in the console).
func (s *Service) ConsoleRules(ctx context.Context) ([]Rule, error) {
	rows, err := s.st.R.QueryContext(ctx, `SELECT name, description, pattern, actions, enabled FROM event_rules ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("events: rules: %w", err)
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		var r Rule
		var pat, acts string
		var enabled int
		if err := rows.Scan(&r.Name, &r.Description, &pat, &acts, &enabled); err != nil {
			return nil, err
		}
		r.Pattern, r.Enabled, r.Origin = json.RawMessage(pat), enabled != 0, OriginConsole
		if err := json.Unmarshal([]byte(acts), &r.Actions); err != nil {
			return nil, fmt.Errorf("events: rule %s: actions: %w", r.Name, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ErrReadOnly is returned for changes to built-in and config rules.
var ErrReadOnly = errors.New("events: this rule is built in or comes from the config file; change it there")

// SaveRule creates or replaces a console rule after validating it.
func (s *Service) SaveRule(ctx context.Context, r Rule, by string) error {
	r.Origin = OriginConsole
	if err := r.Compile(s.hasDest); err != nil {
		return err
	}
	for _, f := range s.fixed {
		if f.Name == r.Name {
			return ErrReadOnly
		}
	}
	acts, _ := json.Marshal(r.Actions)
	var pat json.RawMessage = r.Pattern
	// Keep the pattern as the user wrote it, but compact.
	var buf bytes.Buffer
	if err := json.Compact(&buf, pat); err == nil {
		pat = json.RawMessage(buf.String())
	}
	now := store.Millis(s.now())
	enabled := 0
	if r.Enabled {
		enabled = 1
	}
	_, err := s.st.W.ExecContext(ctx, s.st.Q(`INSERT INTO event_rules (name, description, pattern, actions, enabled, created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET description = excluded.description, pattern = excluded.pattern, actions = excluded.actions, enabled = excluded.enabled, updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
		r.Name, r.Description, string(pat), string(acts), enabled, now, now, by)
	if err != nil {
		return fmt.Errorf("events: save rule %s: %w", r.Name, err)
	}
	s.invalidate()
	return nil
}

// DeleteRule removes a console rule.
func (s *Service) DeleteRule(ctx context.Context, name string) error {
	for _, f := range s.fixed {
		if f.Name == name {
			return ErrReadOnly
		}
	}
	res, err := s.st.W.ExecContext(ctx, s.st.Q(`DELETE FROM event_rules WHERE name = ?`), name)
	if err != nil {
		return fmt.Errorf("events: delete rule %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	s.invalidate()
	return nil
}

// Test checks a pattern against a stored event and explains the outcome.
func (s *Service) Test(ctx context.Context, raw json.RawMessage, ref int64) (matched bool, reasons []string, err error) {
	p, err := pattern.Compile(raw)
	if err != nil {
		return false, nil, &FieldError{"pattern", err.Error()}
	}
	ev, err := s.Get(ctx, ref)
	if err != nil {
		return false, nil, err
	}
	return p.Explain(ev.Raw)
}
