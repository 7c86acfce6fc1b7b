package alerts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store"
)

// ValidationError is input the service refuses; Field names the part of
// the input (contacts[1].phone, rounds).
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Msg }

// Origins of a system.
const (
	OriginConfig  = "config"
	OriginConsole = "console"
)

// Systems returns every system with its call list, by name.
func (s *Service) Systems(ctx context.Context) ([]*System, error) {
	rows, err := s.st.R.QueryContext(ctx, `SELECT id, name, rounds, wait_ms, quiet_ms, notify, origin, created_at, updated_at, updated_by, routes FROM alert_systems ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("alerts: systems: %w", err)
	}
	var out []*System
	byID := map[int64]*System{}
	for rows.Next() {
		sys, err := scanSystem(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("alerts: systems: %w", err)
		}
		out = append(out, sys)
		byID[sys.ID] = sys
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("alerts: systems: %w", err)
	}
	crows, err := s.st.R.QueryContext(ctx, `SELECT system_id, name, phone, language, hours FROM alert_contacts ORDER BY system_id, position`)
	if err != nil {
		return nil, fmt.Errorf("alerts: contacts: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var id int64
		var c Contact
		if err := crows.Scan(&id, &c.Name, &c.Phone, &c.Language, &c.Hours); err != nil {
			return nil, fmt.Errorf("alerts: contacts: %w", err)
		}
		if sys := byID[id]; sys != nil {
			sys.Contacts = append(sys.Contacts, c)
		}
	}
	return out, crows.Err()
}

func scanSystem(row scanner) (*System, error) {
	var sys System
	var wait, quiet, created, updated int64
	var notify, routes string
	if err := row.Scan(&sys.ID, &sys.Name, &sys.Rounds, &wait, &quiet, &notify, &sys.Origin, &created, &updated, &sys.UpdatedBy, &routes); err != nil {
		return nil, err
	}
	var err error
	if sys.Routes, err = decodeRoutes(routes); err != nil {
		return nil, err
	}
	sys.Wait, sys.Quiet = time.Duration(wait)*time.Millisecond, time.Duration(quiet)*time.Millisecond
	if notify != "" {
		sys.Notify = strings.Split(notify, ",")
	}
	sys.CreatedAt, sys.UpdatedAt = store.Time(created), store.Time(updated)
	return &sys, nil
}

// System returns one system with its call list.
func (s *Service) System(ctx context.Context, name string) (*System, error) {
	return s.loadSystem(ctx, s.st.R, name)
}

func (s *Service) loadSystem(ctx context.Context, q querier, name string) (*System, error) {
	sys, err := scanSystem(s.rowQ(ctx, q, `SELECT id, name, rounds, wait_ms, quiet_ms, notify, origin, created_at, updated_at, updated_by, routes FROM alert_systems WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("alerts: system %q: %w", name, err)
	}
	rows, err := s.rowsQ(ctx, q, `SELECT name, phone, language, hours FROM alert_contacts WHERE system_id = ? ORDER BY position`, sys.ID)
	if err != nil {
		return nil, fmt.Errorf("alerts: contacts of %q: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c Contact
		if err := rows.Scan(&c.Name, &c.Phone, &c.Language, &c.Hours); err != nil {
			return nil, fmt.Errorf("alerts: contacts of %q: %w", name, err)
		}
		sys.Contacts = append(sys.Contacts, c)
	}
	return sys, rows.Err()
}

// CheckSystem validates a system as the console submits it, filling the
// defaults (rounds 3, quiet 12h) and normalizing languages. hasDest
// tells which destination names exist.
func CheckSystem(sys *System, hasDest func(string) bool) error {
	if err := config.ValidateSystemName(sys.Name); err != nil {
		return &ValidationError{"name", err.Error()}
	}
	c := config.AlertSystem{Name: sys.Name, Rounds: sys.Rounds, WaitBetweenCalls: config.Duration(sys.Wait),
		QuietPeriod: config.Duration(sys.Quiet), Notify: sys.Notify}
	for _, ct := range sys.Contacts {
		c.Contacts = append(c.Contacts, config.AlertContact(ct))
	}
	if err := c.Validate(hasDest); err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			return &ValidationError{Field: strings.TrimPrefix(ce.Key, "system."), Msg: ce.Msg}
		}
		return err
	}
	if err := CheckRoutes(sys.Routes, nil); err != nil {
		return err
	}
	c = c.WithDefaults()
	sys.Rounds, sys.Quiet = c.Rounds, c.QuietPeriod.D()
	for i := range sys.Contacts {
		sys.Contacts[i].Language, _ = config.NormalizeLanguage(sys.Contacts[i].Language)
		sys.Contacts[i].Hours = strings.TrimSpace(sys.Contacts[i].Hours)
	}
	return nil
}

// SaveSystem creates or replaces a system's policy and call list. The
// console saves with origin "console", which config seeding then leaves
// alone.
func (s *Service) SaveSystem(ctx context.Context, sys System, by, origin string, hasDest func(string) bool) error {
	if err := CheckSystem(&sys, hasDest); err != nil {
		return err
	}
	defer s.forgetPolicies()
	if err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		for i, r := range sys.Routes {
			if r.Policy == "" {
				continue
			}
			if _, err := s.loadPolicy(ctx, tx, r.Policy); errors.Is(err, ErrNotFound) {
				return &ValidationError{fmt.Sprintf("routes[%d].policy", i), fmt.Sprintf("no escalation policy is named %q", r.Policy)}
			} else if err != nil {
				return err
			}
		}
		return s.saveSystemTx(ctx, tx, &sys, by, origin)
	}); err != nil {
		return err
	}
	s.record(ctx, "system.update", "system "+sys.Name, fmt.Sprintf("%d contacts, %d rounds, wait %s, notify %s",
		len(sys.Contacts), sys.Rounds, sys.Wait, strings.Join(sys.Notify, ",")))
	return nil
}

func (s *Service) saveSystemTx(ctx context.Context, tx *sql.Tx, sys *System, by, origin string) error {
	now := store.Millis(s.now())
	// One statement creates or replaces the row, so replicas seeding the
	// same system at once (started together) both succeed: the second
	// waits for the first's row and replaces it with the same values.
	var id int64
	err := s.rowQ(ctx, tx, `INSERT INTO alert_systems (name, rounds, wait_ms, quiet_ms, notify, origin, created_at, updated_at, updated_by, routes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET rounds = excluded.rounds, wait_ms = excluded.wait_ms, quiet_ms = excluded.quiet_ms,
			notify = excluded.notify, origin = excluded.origin, updated_at = excluded.updated_at, updated_by = excluded.updated_by,
			routes = excluded.routes
		RETURNING id`,
		sys.Name, sys.Rounds, sys.Wait.Milliseconds(), sys.Quiet.Milliseconds(), strings.Join(sys.Notify, ","), origin, now, now, by, encodeRoutes(sys.Routes)).Scan(&id)
	if err != nil {
		return fmt.Errorf("alerts: save system %q: %w", sys.Name, err)
	}
	if _, err := s.execQ(ctx, tx, `DELETE FROM alert_contacts WHERE system_id = ?`, id); err != nil {
		return fmt.Errorf("alerts: save system %q: %w", sys.Name, err)
	}
	if len(sys.Contacts) == 0 {
		return nil
	}
	args := make([]any, 0, 6*len(sys.Contacts))
	for i, c := range sys.Contacts {
		args = append(args, id, i, c.Name, c.Phone, c.Language, c.Hours)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO alert_contacts (system_id, position, name, phone, language, hours) VALUES `+s.st.Rows(len(sys.Contacts), 6), args...); err != nil {
		return fmt.Errorf("alerts: save contacts of %q: %w", sys.Name, err)
	}
	return nil
}

// DeleteSystem removes a system's call list. Alerts of the system that
// are still escalating give up at their next step.
func (s *Service) DeleteSystem(ctx context.Context, name string) error {
	defer s.forgetPolicies()
	res, err := s.execQ(ctx, s.st.W, `DELETE FROM alert_systems WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("alerts: delete system %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	s.record(ctx, "system.delete", "system "+name, "")
	return nil
}

// SeedSystems brings the systems of the config file into the database: a
// system not there yet is created; one that still follows the file
// (origin config) is replaced by the file's version; one edited in the
// console is left alone. Systems that came from the file and are no
// longer in it are removed.
func (s *Service) SeedSystems(ctx context.Context, systems []config.AlertSystem, hasDest func(string) bool) (kept []string, err error) {
	defer s.forgetPolicies()
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		kept = kept[:0]
		if s.st.Engine == store.Postgres {
			// Replicas started together seed one after the other: each
			// sees what the one before wrote (origins, systems gone).
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, advisoryClass, -2); err != nil {
				return fmt.Errorf("alerts: seed lock: %w", err)
			}
		}
		names := map[string]bool{}
		for _, cs := range systems {
			names[cs.Name] = true
			cs = cs.WithDefaults()
			sys := System{Name: cs.Name, Rounds: cs.Rounds, Wait: cs.WaitBetweenCalls.D(), Quiet: cs.QuietPeriod.D(), Notify: slices.Clone(cs.Notify)}
			for _, c := range cs.Contacts {
				sys.Contacts = append(sys.Contacts, Contact(c))
			}
			for _, r := range cs.Routes {
				sys.Routes = append(sys.Routes, Route{Severities: slices.Clone(r.Severities), Hours: r.Hours, Policy: r.Policy, RecordOnly: r.RecordOnly})
			}
			if err := CheckSystem(&sys, hasDest); err != nil {
				return fmt.Errorf("alerts: system %q: %w", cs.Name, err)
			}
			var origin string
			err := s.rowQ(ctx, tx, `SELECT origin FROM alert_systems WHERE name = ?`, cs.Name).Scan(&origin)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("alerts: seed %q: %w", cs.Name, err)
			}
			if origin == OriginConsole {
				kept = append(kept, cs.Name)
				continue
			}
			if err := s.saveSystemTx(ctx, tx, &sys, "config", OriginConfig); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT name FROM alert_systems WHERE origin = 'config'`)
		if err != nil {
			return fmt.Errorf("alerts: seed: %w", err)
		}
		var gone []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return fmt.Errorf("alerts: seed: %w", err)
			}
			if !names[n] {
				gone = append(gone, n)
			}
		}
		rows.Close()
		for _, n := range gone {
			if _, err := s.execQ(ctx, tx, `DELETE FROM alert_systems WHERE name = ?`, n); err != nil {
				return fmt.Errorf("alerts: seed: remove %q: %w", n, err)
			}
		}
		return nil
	})
	return kept, err
}

// QuietFilter selects quiet periods.
type QuietFilter struct {
	// Active keeps those in force now; otherwise the latest are listed.
	Active bool
	System string
	Limit  int
}

// Quiets lists quiet periods, the latest first.
func (s *Service) Quiets(ctx context.Context, f QuietFilter) ([]*Quiet, error) {
	var where []string
	var args []any
	if f.Active {
		now := store.Millis(s.now())
		where = append(where, "ended_at = 0 AND starts_at <= ? AND ends_at > ?")
		args = append(args, now, now)
	}
	if f.System != "" {
		where = append(where, "system = ?")
		args = append(args, f.System)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	q := `SELECT ` + quietCols + ` FROM alert_quiets`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.rowsQ(ctx, s.st.R, q, args...)
	if err != nil {
		return nil, fmt.Errorf("alerts: quiet periods: %w", err)
	}
	defer rows.Close()
	var out []*Quiet
	for rows.Next() {
		q, err := scanQuiet(rows)
		if err != nil {
			return nil, fmt.Errorf("alerts: quiet periods: %w", err)
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// quietUntil returns when the system's quiet period in force at now ends
// (zero: not quiet).
func (s *Service) quietUntil(ctx context.Context, q querier, system string, now time.Time) (time.Time, error) {
	var ends sql.NullInt64
	err := s.rowQ(ctx, q, `SELECT max(ends_at) FROM alert_quiets WHERE system = ? AND ended_at = 0 AND starts_at <= ? AND ends_at > ?`,
		system, store.Millis(now), store.Millis(now)).Scan(&ends)
	if err != nil {
		return time.Time{}, fmt.Errorf("alerts: quiet state of %q: %w", system, err)
	}
	return store.NullTime(ends), nil
}

// quietSystems returns the systems quiet at now.
func (s *Service) quietSystems(ctx context.Context, q querier, now time.Time) (map[string]time.Time, error) {
	rows, err := s.rowsQ(ctx, q, `SELECT system, max(ends_at) FROM alert_quiets WHERE ended_at = 0 AND starts_at <= ? AND ends_at > ? GROUP BY system`,
		store.Millis(now), store.Millis(now))
	if err != nil {
		return nil, fmt.Errorf("alerts: quiet systems: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var name string
		var ends int64
		if err := rows.Scan(&name, &ends); err != nil {
			return nil, fmt.Errorf("alerts: quiet systems: %w", err)
		}
		out[name] = store.Time(ends)
	}
	return out, rows.Err()
}

// StartQuiet makes a system quiet for d from now (the console's "quiet
// period"; key 2 does the same from a call).
func (s *Service) StartQuiet(ctx context.Context, system string, d time.Duration, by, note string) (*Quiet, error) {
	if err := config.ValidateSystemName(system); err != nil {
		return nil, &ValidationError{"system", err.Error()}
	}
	if d < time.Minute || d > 7*24*time.Hour {
		return nil, &ValidationError{"duration", "must be between 1m and 168h"}
	}
	now := s.now()
	var q *Quiet
	err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		q, err = s.insertQuiet(ctx, tx, system, now, now.Add(d), 0, by, note)
		return err
	})
	if err == nil {
		s.record(ctx, "quiet.start", "system "+system, quietDetail(q))
	}
	return q, err
}

func (s *Service) insertQuiet(ctx context.Context, tx querier, system string, from, until time.Time, alertID int64, by, note string) (*Quiet, error) {
	q := &Quiet{System: system, StartsAt: from, EndsAt: until, AlertID: alertID, SetBy: clip(by, 200), Note: clip(note, 500)}
	err := s.rowQ(ctx, tx, `INSERT INTO alert_quiets (system, starts_at, ends_at, alert_id, set_by, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		system, store.Millis(from), store.Millis(until), alertID, q.SetBy, q.Note, store.Millis(from)).Scan(&q.ID)
	if err != nil {
		return nil, fmt.Errorf("alerts: quiet %q: %w", system, err)
	}
	return q, nil
}

// EndQuiet ends a quiet period now.
func (s *Service) EndQuiet(ctx context.Context, id int64, by string) error {
	now := store.Millis(s.now())
	res, err := s.execQ(ctx, s.st.W, `UPDATE alert_quiets SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at = 0 AND ends_at > ?`, now, clip(by, 200), id, now)
	if err != nil {
		return fmt.Errorf("alerts: end quiet period %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	var system string
	_ = s.rowQ(ctx, s.st.R, `SELECT system FROM alert_quiets WHERE id = ?`, id).Scan(&system)
	s.record(ctx, "quiet.end", "system "+system, fmt.Sprintf("quiet period #%d", id))
	return nil
}
