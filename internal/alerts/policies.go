package alerts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts/hours"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Target is what a policy step notifies: a user (through their contact
// methods and notification rules), a schedule (whoever is on call when
// the step runs) or a chat destination (a post to the channel).
type Target struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// String writes the target as the config file does: "user:sato".
func (t Target) String() string { return t.Type + ":" + t.Name }

// PolicyStep is one step of an escalation policy: its targets are
// notified at once, then the step waits After before the next one.
type PolicyStep struct {
	After   time.Duration
	Targets []Target
	// Reescalate, when not zero, continues the escalation when an alert
	// acknowledged at this step is still not resolved after that long.
	Reescalate time.Duration
}

// Policy is an escalation policy: its steps run in order, Rounds times.
type Policy struct {
	ID          int64
	Name        string
	Description string
	Rounds      int
	Steps       []PolicyStep
	// Origin is "config" while the policy follows oncall.policies in the
	// config file, "console" once edited in the console or the API.
	Origin    string
	CreatedAt time.Time
	UpdatedAt time.Time
	UpdatedBy string
}

// Route chooses a system's policy for the alerts it matches: the first
// route whose Severities include the alert's (none: all) and whose Hours
// include the time it arrives (empty: always). RecordOnly keeps such alerts
// without notifying anyone. An alert no route matches escalates through
// the system's call list.
type Route struct {
	Severities []string `json:"severities,omitempty"`
	Hours      string   `json:"hours,omitempty"`
	Policy     string   `json:"policy,omitempty"`
	RecordOnly bool     `json:"record_only,omitempty"`
}

// severityName is how routes name an alert's severity ("" is unspecified).
func severityName(sev string) string {
	if sev == "" {
		return "unspecified"
	}
	return sev
}

// matchRoute returns the first of routes matching an alert of severity
// arriving at t (in loc), or nil.
func matchRoute(routes []Route, severity string, t time.Time, loc *time.Location) *Route {
	sev := severityName(severity)
	for i := range routes {
		r := &routes[i]
		if len(r.Severities) > 0 && !slices.Contains(r.Severities, sev) {
			continue
		}
		if r.Hours != "" {
			h, err := hours.Parse(r.Hours)
			if err != nil || !h.Contains(t, loc) {
				continue
			}
		}
		return r
	}
	return nil
}

func encodeRoutes(rs []Route) string {
	if len(rs) == 0 {
		return ""
	}
	b, _ := json.Marshal(rs)
	return string(b)
}

func decodeRoutes(s string) ([]Route, error) {
	if s == "" {
		return nil, nil
	}
	var rs []Route
	if err := json.Unmarshal([]byte(s), &rs); err != nil {
		return nil, fmt.Errorf("routes: %w", err)
	}
	return rs, nil
}

// CheckRoutes validates a system's routes; hasPolicy tells which policies
// exist (nil: not checked).
func CheckRoutes(rs []Route, hasPolicy func(string) bool) error {
	if len(rs) > config.MaxSystemRoutes {
		return &ValidationError{"routes", fmt.Sprintf("has %d routes; at most %d", len(rs), config.MaxSystemRoutes)}
	}
	for i := range rs {
		rs[i].Hours = strings.TrimSpace(rs[i].Hours)
		r := rs[i]
		if field, err := config.ValidateRoute(config.AlertRoute{Severities: r.Severities, Hours: r.Hours, Policy: r.Policy, RecordOnly: r.RecordOnly}, hasPolicy); err != nil {
			return &ValidationError{fmt.Sprintf("routes[%d].%s", i, field), err.Error()}
		}
	}
	return nil
}

// CheckPolicy validates a policy as the console or the API submits it and
// fills the defaults (rounds 3). hasDest tells which destinations exist.
func CheckPolicy(p *Policy, hasDest func(string) bool) error {
	c := config.OnCallPolicy{Name: p.Name, Description: p.Description, Rounds: p.Rounds}
	for _, st := range p.Steps {
		after := config.Duration(st.After)
		cs := config.OnCallStep{After: &after, Reescalate: config.Duration(st.Reescalate)}
		for _, t := range st.Targets {
			cs.Targets = append(cs.Targets, t.String())
		}
		c.Steps = append(c.Steps, cs)
	}
	if err := c.Validate(hasDest); err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			return &ValidationError{ce.Key, ce.Msg}
		}
		return err
	}
	if p.Rounds == 0 {
		p.Rounds = config.DefaultPolicyRounds
	}
	return nil
}

// policyFromConfig turns a policy of the config file into a Policy.
func policyFromConfig(c config.OnCallPolicy) Policy {
	c = c.WithDefaults()
	p := Policy{Name: c.Name, Description: c.Description, Rounds: c.Rounds}
	for _, st := range c.Steps {
		ps := PolicyStep{After: st.After.D(), Reescalate: st.Reescalate.D()}
		for _, t := range st.Targets {
			kind, name, _ := config.ParseTarget(t)
			ps.Targets = append(ps.Targets, Target{Type: kind, Name: name})
		}
		p.Steps = append(p.Steps, ps)
	}
	return p
}

const policyCols = `id, name, description, rounds, origin, created_at, updated_at, updated_by`

func scanPolicy(row scanner) (*Policy, error) {
	var p Policy
	var created, updated int64
	if err := row.Scan(&p.ID, &p.Name, &p.Description, &p.Rounds, &p.Origin, &created, &updated, &p.UpdatedBy); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = store.Time(created), store.Time(updated)
	return &p, nil
}

// Policies returns every escalation policy with its steps, by name.
func (s *Service) Policies(ctx context.Context) ([]*Policy, error) {
	rows, err := s.st.R.QueryContext(ctx, `SELECT `+policyCols+` FROM escalation_policies ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("alerts: policies: %w", err)
	}
	var out []*Policy
	byID := map[int64]*Policy{}
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("alerts: policies: %w", err)
		}
		out = append(out, p)
		byID[p.ID] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("alerts: policies: %w", err)
	}
	srows, err := s.st.R.QueryContext(ctx, `SELECT policy_id, after_ms, targets, reescalate_ms FROM escalation_policy_steps ORDER BY policy_id, position`)
	if err != nil {
		return nil, fmt.Errorf("alerts: policy steps: %w", err)
	}
	defer srows.Close()
	for srows.Next() {
		var id int64
		st, err := scanStep(srows, &id)
		if err != nil {
			return nil, fmt.Errorf("alerts: policy steps: %w", err)
		}
		if p := byID[id]; p != nil {
			p.Steps = append(p.Steps, st)
		}
	}
	return out, srows.Err()
}

func scanStep(row scanner, policyID *int64) (PolicyStep, error) {
	var st PolicyStep
	var after, re int64
	var targets string
	if err := row.Scan(policyID, &after, &targets, &re); err != nil {
		return st, err
	}
	st.After, st.Reescalate = time.Duration(after)*time.Millisecond, time.Duration(re)*time.Millisecond
	if err := json.Unmarshal([]byte(targets), &st.Targets); err != nil {
		return st, fmt.Errorf("targets: %w", err)
	}
	return st, nil
}

// Policy returns one escalation policy.
func (s *Service) Policy(ctx context.Context, name string) (*Policy, error) {
	return s.loadPolicy(ctx, s.st.R, name)
}

func (s *Service) loadPolicy(ctx context.Context, q querier, name string) (*Policy, error) {
	p, err := scanPolicy(s.rowQ(ctx, q, `SELECT `+policyCols+` FROM escalation_policies WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("alerts: policy %q: %w", name, err)
	}
	rows, err := s.rowsQ(ctx, q, `SELECT policy_id, after_ms, targets, reescalate_ms FROM escalation_policy_steps WHERE policy_id = ? ORDER BY position`, p.ID)
	if err != nil {
		return nil, fmt.Errorf("alerts: steps of %q: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		st, err := scanStep(rows, &id)
		if err != nil {
			return nil, fmt.Errorf("alerts: steps of %q: %w", name, err)
		}
		p.Steps = append(p.Steps, st)
	}
	return p, rows.Err()
}

// stepPolicy is loadPolicy through the engine's short-lived cache (the
// engine reads the same policy for every step of every alert).
func (s *Service) stepPolicy(ctx context.Context, q querier, name string) (*Policy, error) {
	c := &s.stepPolicies
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.m[name]; ok && now.Sub(e.at) < policyTTL {
		c.mu.Unlock()
		if e.p == nil {
			return nil, ErrNotFound
		}
		return e.p, nil
	}
	c.mu.Unlock()
	p, err := s.loadPolicy(ctx, q, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]stepPolicyEntry{}
	}
	c.m[name] = stepPolicyEntry{p: p, at: now}
	c.mu.Unlock()
	if p == nil {
		return nil, ErrNotFound
	}
	return p, nil
}

// SavePolicy creates or replaces an escalation policy.
func (s *Service) SavePolicy(ctx context.Context, p Policy, by, origin string, hasDest func(string) bool) error {
	if err := CheckPolicy(&p, hasDest); err != nil {
		return err
	}
	defer s.forgetPolicies()
	if err := s.st.Tx(ctx, func(tx *sql.Tx) error { return s.savePolicyTx(ctx, tx, &p, by, origin) }); err != nil {
		return err
	}
	s.record(ctx, "policy.update", "policy "+p.Name, fmt.Sprintf("%d steps, %d rounds", len(p.Steps), p.Rounds))
	return nil
}

func (s *Service) savePolicyTx(ctx context.Context, tx *sql.Tx, p *Policy, by, origin string) error {
	now := store.Millis(s.now())
	var id int64
	err := s.rowQ(ctx, tx, `INSERT INTO escalation_policies (name, description, rounds, origin, created_at, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET description = excluded.description, rounds = excluded.rounds, origin = excluded.origin,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by
		RETURNING id`, p.Name, p.Description, p.Rounds, origin, now, now, by).Scan(&id)
	if err != nil {
		return fmt.Errorf("alerts: save policy %q: %w", p.Name, err)
	}
	if _, err := s.execQ(ctx, tx, `DELETE FROM escalation_policy_steps WHERE policy_id = ?`, id); err != nil {
		return fmt.Errorf("alerts: save policy %q: %w", p.Name, err)
	}
	args := make([]any, 0, 5*len(p.Steps))
	for i, st := range p.Steps {
		targets, _ := json.Marshal(st.Targets)
		args = append(args, id, i, st.After.Milliseconds(), string(targets), st.Reescalate.Milliseconds())
	}
	if len(p.Steps) > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO escalation_policy_steps (policy_id, position, after_ms, targets, reescalate_ms) VALUES `+s.st.Rows(len(p.Steps), 5), args...); err != nil {
			return fmt.Errorf("alerts: save steps of %q: %w", p.Name, err)
		}
	}
	p.ID = id
	return nil
}

// PolicyUsers returns the systems whose routes name the policy.
func (s *Service) PolicyUsers(ctx context.Context, name string) ([]string, error) {
	systems, err := s.Systems(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, sys := range systems {
		if slices.ContainsFunc(sys.Routes, func(r Route) bool { return r.Policy == name }) {
			out = append(out, sys.Name)
		}
	}
	return out, nil
}

// DeletePolicy removes a policy that no system routes to. Alerts already
// escalating under it give up at their next step.
func (s *Service) DeletePolicy(ctx context.Context, name string) error {
	users, err := s.PolicyUsers(ctx, name)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return &ValidationError{"name", fmt.Sprintf("%q is used by the routes of %s; change them first", name, strings.Join(users, ", "))}
	}
	defer s.forgetPolicies()
	res, err := s.execQ(ctx, s.st.W, `DELETE FROM escalation_policies WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("alerts: delete policy %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	s.record(ctx, "policy.delete", "policy "+name, "")
	return nil
}

// SeedPolicies brings oncall.policies of the config file into the
// database, by the rule SeedSystems follows: new ones are created, those
// that still follow the file are replaced, those edited in the console are
// kept (their names are returned), and those that came from the file and
// left it are removed.
func (s *Service) SeedPolicies(ctx context.Context, policies []config.OnCallPolicy, hasDest func(string) bool) (kept []string, err error) {
	defer s.forgetPolicies()
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		kept = kept[:0]
		if s.st.Engine == store.Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, advisoryClass, -3); err != nil {
				return fmt.Errorf("alerts: seed lock: %w", err)
			}
		}
		names := map[string]bool{}
		for _, cp := range policies {
			names[cp.Name] = true
			p := policyFromConfig(cp)
			if err := CheckPolicy(&p, hasDest); err != nil {
				return fmt.Errorf("alerts: policy %q: %w", cp.Name, err)
			}
			var origin string
			err := s.rowQ(ctx, tx, `SELECT origin FROM escalation_policies WHERE name = ?`, cp.Name).Scan(&origin)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("alerts: seed policy %q: %w", cp.Name, err)
			}
			if origin == OriginConsole {
				kept = append(kept, cp.Name)
				continue
			}
			if err := s.savePolicyTx(ctx, tx, &p, "config", OriginConfig); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT name FROM escalation_policies WHERE origin = 'config'`)
		if err != nil {
			return fmt.Errorf("alerts: seed policies: %w", err)
		}
		var gone []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return fmt.Errorf("alerts: seed policies: %w", err)
			}
			if !names[n] {
				gone = append(gone, n)
			}
		}
		rows.Close()
		for _, n := range gone {
			if _, err := s.execQ(ctx, tx, `DELETE FROM escalation_policies WHERE name = ?`, n); err != nil {
				return fmt.Errorf("alerts: seed policies: remove %q: %w", n, err)
			}
		}
		return nil
	})
	return kept, err
}
