package oncall

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/store"
)

// ErrNotFound is returned for an unknown schedule, override or feed.
var ErrNotFound = errors.New("oncall: not found")

// ValidationError is input the service refuses; Field names the part of the input
// (layers[1].shift, overrides[0].end).
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Msg }

// Origins of a schedule.
const (
	OriginConfig  = "config"
	OriginConsole = "console"
)

// ByConfig is the created_by of the overrides that come from the config file.
const ByConfig = "config"

// Options configure a Service.
type Options struct {
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Audit records changes (nil: nothing recorded).
	Audit *audit.Log
}

// Service keeps schedules in the database (tables oncall_*): the console and the API edit
// them, config seeding brings oncall.schedules in, and the escalation engine asks OnCallAt.
// Every read goes to the database, so replicas sharing PostgreSQL see each other's edits at
// once.
type Service struct {
	st  *store.Store
	now func() time.Time
	aud *audit.Log

	// cache holds every schedule as last read, with the fingerprint of the
	// tables it was read at (see List).
	cacheMu sync.Mutex
	cacheFP string
	cache   []*Stored
}

// New returns the service on st.
func New(st *store.Store, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{st: st, now: o.Now, aud: o.Audit}
}

// Stored is a schedule with what the database keeps about it.
type Stored struct {
	Schedule  *Schedule
	ID        int64
	Origin    string
	CreatedAt time.Time
	UpdatedAt time.Time
	UpdatedBy string
	// Overrides are Schedule.Overrides with their ids, in the same (creation) order.
	Overrides []StoredOverride
}

// StoredOverride is an override with its id and bookkeeping.
type StoredOverride struct {
	Override
	ID        int64
	Note      string
	CreatedBy string
	CreatedAt time.Time
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// OnCallAt returns who is on call in the schedule at t ("" when nobody); ErrNotFound for an
// unknown schedule.
func (s *Service) OnCallAt(ctx context.Context, schedule string, t time.Time) (string, error) {
	sc, err := s.Schedule(ctx, schedule)
	if err != nil {
		return "", err
	}
	who, _, _ := OnCall(sc, t)
	return who, nil
}

// Schedule returns the schedule of that name with its layers and overrides; ErrNotFound
// when there is none.
func (s *Service) Schedule(ctx context.Context, name string) (*Schedule, error) {
	st, err := s.Stored(ctx, name)
	if err != nil {
		return nil, err
	}
	return st.Schedule, nil
}

// Schedules returns every schedule, by name.
func (s *Service) Schedules(ctx context.Context) ([]*Schedule, error) {
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Schedule, len(all))
	for i, st := range all {
		out[i] = st.Schedule
	}
	return out, nil
}

// Stored returns one schedule with its bookkeeping; ErrNotFound when there is none.
func (s *Service) Stored(ctx context.Context, name string) (*Stored, error) {
	all, err := s.load(ctx, s.st.R, name)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, ErrNotFound
	}
	return all[0], nil
}

// forget drops the cached schedules after a change made here (changes by
// other replicas are seen by the fingerprint).
func (s *Service) forget() {
	s.cacheMu.Lock()
	s.cache, s.cacheFP = nil, ""
	s.cacheMu.Unlock()
}

// List returns every schedule with its bookkeeping, by name. The result is
// shared: callers must not change it.
//
// Reading 500 schedules with their layers and overrides takes tens of
// milliseconds; one query for the tables' fingerprint takes a fraction of
// one. List reads them again only when the fingerprint changed: a schedule
// saved (updated_at), added or removed, a layer or an override added or
// removed — by this process or by any replica, since the fingerprint is
// read from the database every time.
func (s *Service) List(ctx context.Context) ([]*Stored, error) {
	var fp string
	err := s.st.R.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM oncall_schedules) || '/' || (SELECT coalesce(max(updated_at), 0) FROM oncall_schedules) || '/' ||
		(SELECT count(*) FROM oncall_layers) || '/' || (SELECT count(*) FROM oncall_overrides) || '/' || (SELECT coalesce(max(id), 0) FROM oncall_overrides)`).Scan(&fp)
	if err != nil {
		return nil, fmt.Errorf("oncall: schedules: %w", err)
	}
	s.cacheMu.Lock()
	if s.cache != nil && s.cacheFP == fp {
		out := s.cache
		s.cacheMu.Unlock()
		return out, nil
	}
	s.cacheMu.Unlock()
	all, err := s.load(ctx, s.st.R, "")
	if err != nil {
		return nil, err
	}
	s.cacheMu.Lock()
	s.cache, s.cacheFP = all, fp
	s.cacheMu.Unlock()
	return all, nil
}

const scheduleCols = `id, name, time_zone, origin, created_at, updated_at, updated_by`

// load reads one schedule (name set) or all.
func (s *Service) load(ctx context.Context, q querier, name string) ([]*Stored, error) {
	where, args := "", []any{}
	if name != "" {
		where, args = " WHERE s.name = ?", []any{name}
	}
	rows, err := q.QueryContext(ctx, s.st.Q(`SELECT id, name, time_zone, origin, created_at, updated_at, updated_by FROM oncall_schedules s`+where+` ORDER BY name`), args...)
	if err != nil {
		return nil, fmt.Errorf("oncall: schedules: %w", err)
	}
	var out []*Stored
	byID := map[int64]*Stored{}
	for rows.Next() {
		st := &Stored{Schedule: &Schedule{}}
		var zone string
		var created, updated int64
		if err := rows.Scan(&st.ID, &st.Schedule.Name, &zone, &st.Origin, &created, &updated, &st.UpdatedBy); err != nil {
			rows.Close()
			return nil, fmt.Errorf("oncall: schedules: %w", err)
		}
		st.CreatedAt, st.UpdatedAt = store.Time(created), store.Time(updated)
		st.Schedule.TimeZone = loadZone(zone)
		out = append(out, st)
		byID[st.ID] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("oncall: schedules: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	if err := s.loadLayers(ctx, q, where, args, byID); err != nil {
		return nil, err
	}
	if err := s.loadOverrides(ctx, q, where, args, byID); err != nil {
		return nil, err
	}
	return out, nil
}

// loadZone loads a stored zone name; a zone the machine no longer knows reads as UTC
// rather than failing every page (Validate accepted it when it was saved).
func loadZone(name string) *time.Location {
	if name == "" {
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// restrictionJSON is a restriction as stored (and as written in the config file).
type restrictionJSON struct {
	Days []string `json:"days,omitempty"`
	From string   `json:"from"`
	To   string   `json:"to"`
}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func encodeRestrictions(rs []Restriction) string {
	out := make([]restrictionJSON, 0, len(rs))
	for _, r := range rs {
		j := restrictionJSON{From: r.From.String(), To: r.To.String()}
		for _, d := range r.Weekdays {
			if d >= time.Sunday && d <= time.Saturday {
				j.Days = append(j.Days, dayNames[d])
			}
		}
		out = append(out, j)
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func decodeRestrictions(v string) ([]Restriction, error) {
	var in []restrictionJSON
	if err := json.Unmarshal([]byte(v), &in); err != nil {
		return nil, err
	}
	var out []Restriction
	for _, j := range in {
		var r Restriction
		for _, d := range j.Days {
			for i, n := range dayNames {
				if n == d {
					r.Weekdays = append(r.Weekdays, time.Weekday(i))
				}
			}
		}
		var err error
		if r.From, err = parseClock(j.From); err != nil {
			return nil, err
		}
		if r.To, err = parseClock(j.To); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func parseClock(v string) (Clock, error) {
	var h, m int
	if _, err := fmt.Sscanf(v, "%d:%d", &h, &m); err != nil {
		return 0, fmt.Errorf("oncall: clock %q: %w", v, err)
	}
	return At(h, m), nil
}

func (s *Service) loadLayers(ctx context.Context, q querier, where string, args []any, byID map[int64]*Stored) error {
	rows, err := q.QueryContext(ctx, s.st.Q(`SELECT l.schedule_id, l.name, l.participants, l.shift, l.hand_off, l.priority, l.time_zone, l.restrictions
		FROM oncall_layers l JOIN oncall_schedules s ON s.id = l.schedule_id`+where+` ORDER BY l.schedule_id, l.position`), args...)
	if err != nil {
		return fmt.Errorf("oncall: layers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, hand int64
		var l Layer
		var participants, shift, zone, restrictions string
		if err := rows.Scan(&id, &l.Name, &participants, &shift, &hand, &l.Priority, &zone, &restrictions); err != nil {
			return fmt.Errorf("oncall: layers: %w", err)
		}
		st := byID[id]
		if st == nil {
			continue
		}
		if err := json.Unmarshal([]byte(participants), &l.Participants); err != nil {
			return fmt.Errorf("oncall: layer %q of %q: participants: %w", l.Name, st.Schedule.Name, err)
		}
		if l.Shift, err = ParseShift(shift); err != nil {
			return fmt.Errorf("oncall: layer %q of %q: %w", l.Name, st.Schedule.Name, err)
		}
		if l.Restrictions, err = decodeRestrictions(restrictions); err != nil {
			return fmt.Errorf("oncall: layer %q of %q: restrictions: %w", l.Name, st.Schedule.Name, err)
		}
		l.HandOff = store.Time(hand)
		l.TimeZone = loadZone(zone)
		st.Schedule.Layers = append(st.Schedule.Layers, l)
	}
	return rows.Err()
}

func (s *Service) loadOverrides(ctx context.Context, q querier, where string, args []any, byID map[int64]*Stored) error {
	rows, err := q.QueryContext(ctx, s.st.Q(`SELECT o.schedule_id, o.id, o.who, o.covers, o.start_at, o.end_at, o.note, o.created_by, o.created_at
		FROM oncall_overrides o JOIN oncall_schedules s ON s.id = o.schedule_id`+where+` ORDER BY o.schedule_id, o.id`), args...)
	if err != nil {
		return fmt.Errorf("oncall: overrides: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sid, start, end, created int64
		var o StoredOverride
		if err := rows.Scan(&sid, &o.ID, &o.Who, &o.Covers, &start, &end, &o.Note, &o.CreatedBy, &created); err != nil {
			return fmt.Errorf("oncall: overrides: %w", err)
		}
		st := byID[sid]
		if st == nil {
			continue
		}
		o.Start, o.End, o.CreatedAt = store.Time(start), store.Time(end), store.Time(created)
		st.Overrides = append(st.Overrides, o)
		st.Schedule.Overrides = append(st.Schedule.Overrides, o.Override)
	}
	return rows.Err()
}

// ParseShift parses a shift length as written in the config and stored: "12h", "1d", "2w".
func ParseShift(v string) (ShiftLength, error) {
	v = strings.TrimSpace(v)
	if len(v) < 2 {
		return ShiftLength{}, fmt.Errorf("%q is not a shift length: a count and h, d or w (12h, 1d, 1w)", v)
	}
	var u Unit
	switch v[len(v)-1] {
	case 'h':
		u = Hours
	case 'd':
		u = Days
	case 'w':
		u = Weeks
	default:
		return ShiftLength{}, fmt.Errorf("%q is not a shift length: a count and h, d or w (12h, 1d, 1w)", v)
	}
	n := 0
	for _, c := range v[:len(v)-1] {
		if c < '0' || c > '9' || n > MaxShiftCount {
			return ShiftLength{}, fmt.Errorf("%q is not a shift length: a count and h, d or w (12h, 1d, 1w)", v)
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 || n > MaxShiftCount {
		return ShiftLength{}, fmt.Errorf("%q: the count must be from 1 to %d", v, MaxShiftCount)
	}
	return ShiftLength{Unit: u, Count: n}, nil
}

// String formats the shift length as ParseShift reads it ("1w").
func (l ShiftLength) String() string {
	u := "?"
	switch l.Unit {
	case Hours:
		u = "h"
	case Days:
		u = "d"
	case Weeks:
		u = "w"
	}
	return fmt.Sprintf("%d%s", l.Count, u)
}

func zoneName(loc *time.Location) string {
	if loc == nil {
		return ""
	}
	return loc.String()
}

// check validates a schedule to save: the engine's Validate, reported as a
// ValidationError naming the first bad field.
func check(sc *Schedule) error {
	if sc != nil && !validName(sc.Name) {
		return &ValidationError{"name", fmt.Sprintf("%q must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit", sc.Name)}
	}
	err := Validate(sc)
	if err == nil {
		return nil
	}
	first := err
	if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 0 {
		first = j.Unwrap()[0]
	}
	field, msg, ok := strings.Cut(first.Error(), ": ")
	if !ok {
		return &ValidationError{"schedule", first.Error()}
	}
	return &ValidationError{field, msg}
}

// validName is the rule of schedule names (the config's): they appear in URLs.
func validName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for i, c := range n {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || (i > 0 && (c == '_' || c == '.' || c == '-'))
		if !ok {
			return false
		}
	}
	return true
}

// SaveSchedule creates or replaces a schedule's zone and layers, by the user by (origin
// console: config seeding leaves it alone from then on). When sc.Overrides is not nil they
// replace the schedule's overrides; nil keeps them. Errors name the field.
func (s *Service) SaveSchedule(ctx context.Context, sc *Schedule, by string) error {
	defer s.forget()
	if err := check(sc); err != nil {
		return err
	}
	err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		_, err := s.saveTx(ctx, tx, sc, by, OriginConsole, sc.Overrides != nil)
		return err
	})
	if err != nil {
		return err
	}
	_ = s.aud.Record(ctx, "oncall.schedule.save", "schedule "+sc.Name, fmt.Sprintf("%d layers", len(sc.Layers)))
	return nil
}

// saveTx writes the schedule row and its layers (and, with overrides set, replaces its
// overrides by sc.Overrides, created by by).
func (s *Service) saveTx(ctx context.Context, tx *sql.Tx, sc *Schedule, by, origin string, overrides bool) (int64, error) {
	now := store.Millis(s.now())
	var id int64
	err := tx.QueryRowContext(ctx, s.st.Q(`INSERT INTO oncall_schedules (name, time_zone, origin, created_at, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET time_zone = excluded.time_zone, origin = excluded.origin,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by
		RETURNING id`), sc.Name, zoneName(sc.TimeZone), origin, now, now, by).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("oncall: save schedule %q: %w", sc.Name, err)
	}
	if _, err := tx.ExecContext(ctx, s.st.Q(`DELETE FROM oncall_layers WHERE schedule_id = ?`), id); err != nil {
		return 0, fmt.Errorf("oncall: save schedule %q: %w", sc.Name, err)
	}
	if len(sc.Layers) > 0 {
		args := make([]any, 0, 9*len(sc.Layers))
		for i, l := range sc.Layers {
			p, _ := json.Marshal(l.Participants)
			args = append(args, id, i, l.Name, string(p), l.Shift.String(), store.Millis(l.HandOff), l.Priority, zoneName(l.TimeZone), encodeRestrictions(l.Restrictions))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO oncall_layers (schedule_id, position, name, participants, shift, hand_off, priority, time_zone, restrictions) VALUES `+s.st.Rows(len(sc.Layers), 9), args...); err != nil {
			return 0, fmt.Errorf("oncall: save layers of %q: %w", sc.Name, err)
		}
	}
	if overrides {
		if _, err := tx.ExecContext(ctx, s.st.Q(`DELETE FROM oncall_overrides WHERE schedule_id = ?`), id); err != nil {
			return 0, fmt.Errorf("oncall: save schedule %q: %w", sc.Name, err)
		}
		if err := s.insertOverrides(ctx, tx, id, sc.Overrides, by); err != nil {
			return 0, fmt.Errorf("oncall: overrides of %q: %w", sc.Name, err)
		}
	}
	return id, nil
}

func (s *Service) insertOverrides(ctx context.Context, tx *sql.Tx, id int64, os []Override, by string) error {
	now := store.Millis(s.now())
	for _, o := range os {
		// One row a statement: ids follow the order, which is the order they apply in.
		if _, err := tx.ExecContext(ctx, s.st.Q(`INSERT INTO oncall_overrides (schedule_id, who, covers, start_at, end_at, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, '', ?, ?)`),
			id, o.Who, o.Covers, store.Millis(o.Start), store.Millis(o.End), by, now); err != nil {
			return err
		}
	}
	return nil
}

// DeleteSchedule removes a schedule with its layers and overrides. A schedule of the config
// file comes back at the next start unless it is removed from the file too.
func (s *Service) DeleteSchedule(ctx context.Context, name string) error {
	defer s.forget()
	res, err := s.st.W.ExecContext(ctx, s.st.Q(`DELETE FROM oncall_schedules WHERE name = ?`), name)
	if err != nil {
		return fmt.Errorf("oncall: delete schedule %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	_ = s.aud.Record(ctx, "oncall.schedule.delete", "schedule "+name, "")
	return nil
}

// maxNote bounds an override's note.
const maxNote = 500

// AddOverride adds an override to the schedule: it applies after every existing one (the
// latest-created wins where they overlap). by is who created it. Errors name the field
// (who, covers, start, end, note).
func (s *Service) AddOverride(ctx context.Context, schedule string, o Override, note, by string) (int64, error) {
	defer s.forget()
	o.Who, o.Covers, note = strings.TrimSpace(o.Who), strings.TrimSpace(o.Covers), strings.TrimSpace(note)
	switch {
	case o.Who == "":
		return 0, &ValidationError{"who", "must not be empty"}
	case len(o.Who) > 200:
		return 0, &ValidationError{"who", "at most 200 bytes"}
	case len(o.Covers) > 200:
		return 0, &ValidationError{"covers", "at most 200 bytes"}
	case o.Covers == o.Who:
		return 0, &ValidationError{"covers", "must be someone else than who"}
	case o.Start.IsZero():
		return 0, &ValidationError{"start", "missing"}
	case o.End.IsZero():
		return 0, &ValidationError{"end", "missing"}
	case !o.End.After(o.Start):
		return 0, &ValidationError{"end", "must be after start (" + o.Start.UTC().Format(time.RFC3339) + ")"}
	case len(note) > maxNote:
		return 0, &ValidationError{"note", fmt.Sprintf("at most %d bytes", maxNote)}
	}
	var id int64
	err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		var sid int64
		err := tx.QueryRowContext(ctx, s.st.Q(`SELECT id FROM oncall_schedules WHERE name = ?`), schedule).Scan(&sid)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("oncall: add override to %q: %w", schedule, err)
		}
		return tx.QueryRowContext(ctx, s.st.Q(`INSERT INTO oncall_overrides (schedule_id, who, covers, start_at, end_at, note, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			sid, o.Who, o.Covers, store.Millis(o.Start), store.Millis(o.End), note, by, store.Millis(s.now())).Scan(&id)
	})
	if err != nil {
		if !errors.Is(err, ErrNotFound) && !strings.HasPrefix(err.Error(), "oncall:") {
			err = fmt.Errorf("oncall: add override to %q: %w", schedule, err)
		}
		return 0, err
	}
	detail := o.Who
	if o.Covers != "" {
		detail += " covers " + o.Covers
	}
	detail += ", " + o.Start.UTC().Format(time.RFC3339) + " to " + o.End.UTC().Format(time.RFC3339)
	_ = s.aud.Record(ctx, "oncall.override.add", "schedule "+schedule, detail)
	return id, nil
}

// DeleteOverride removes an override of the schedule; ErrNotFound when the schedule has no
// override with that id.
func (s *Service) DeleteOverride(ctx context.Context, schedule string, id int64) error {
	defer s.forget()
	res, err := s.st.W.ExecContext(ctx, s.st.Q(`DELETE FROM oncall_overrides WHERE id = ? AND schedule_id = (SELECT id FROM oncall_schedules WHERE name = ?)`), id, schedule)
	if err != nil {
		return fmt.Errorf("oncall: delete override %d of %q: %w", id, schedule, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	_ = s.aud.Record(ctx, "oncall.override.delete", "schedule "+schedule, fmt.Sprintf("override %d", id))
	return nil
}

// advisoryClass is the first key of the PostgreSQL advisory locks of on-call ("oncl").
const advisoryClass int32 = 0x6f6e636c

// SeedSchedules brings the schedules of the config file (config.OnCall.Parsed) into the
// database: a schedule not there yet is created; one that still follows the file (origin
// config) gets the file's zone, layers and overrides; one edited in the console or through
// the API is left alone (its name is returned in kept). Schedules that came from the file
// and are no longer in it are removed. Overrides added in the console to a schedule of the
// file stay; the file's own overrides (created_by "config") are rewritten only when the file
// changed them.
func (s *Service) SeedSchedules(ctx context.Context, schedules []*Schedule) (kept []string, err error) {
	defer s.forget()
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		kept = kept[:0]
		if s.st.Engine == store.Postgres {
			// Replicas started together seed one after the other: each sees what the one
			// before wrote.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, advisoryClass, 1); err != nil {
				return fmt.Errorf("oncall: seed lock: %w", err)
			}
		}
		names := map[string]bool{}
		for _, sc := range schedules {
			names[sc.Name] = true
			if err := check(sc); err != nil {
				return fmt.Errorf("oncall: schedule %q: %w", sc.Name, err)
			}
			var origin string
			err := tx.QueryRowContext(ctx, s.st.Q(`SELECT origin FROM oncall_schedules WHERE name = ?`), sc.Name).Scan(&origin)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("oncall: seed %q: %w", sc.Name, err)
			}
			if origin == OriginConsole {
				kept = append(kept, sc.Name)
				continue
			}
			id, err := s.saveTx(ctx, tx, sc, ByConfig, OriginConfig, false)
			if err != nil {
				return err
			}
			if err := s.seedOverridesTx(ctx, tx, id, sc); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT name FROM oncall_schedules WHERE origin = 'config'`)
		if err != nil {
			return fmt.Errorf("oncall: seed: %w", err)
		}
		var gone []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return fmt.Errorf("oncall: seed: %w", err)
			}
			if !names[n] {
				gone = append(gone, n)
			}
		}
		rows.Close()
		for _, n := range gone {
			if _, err := tx.ExecContext(ctx, s.st.Q(`DELETE FROM oncall_schedules WHERE name = ?`), n); err != nil {
				return fmt.Errorf("oncall: seed: remove %q: %w", n, err)
			}
		}
		return nil
	})
	return kept, err
}

// seedOverridesTx rewrites the config file's overrides of a schedule when they differ from
// the stored ones, so that an unchanged file keeps their ids (and their order among the
// console's overrides).
func (s *Service) seedOverridesTx(ctx context.Context, tx *sql.Tx, id int64, sc *Schedule) error {
	rows, err := tx.QueryContext(ctx, s.st.Q(`SELECT who, covers, start_at, end_at FROM oncall_overrides WHERE schedule_id = ? AND created_by = ? ORDER BY id`), id, ByConfig)
	if err != nil {
		return fmt.Errorf("oncall: seed overrides of %q: %w", sc.Name, err)
	}
	var have []Override
	for rows.Next() {
		var o Override
		var start, end int64
		if err := rows.Scan(&o.Who, &o.Covers, &start, &end); err != nil {
			rows.Close()
			return fmt.Errorf("oncall: seed overrides of %q: %w", sc.Name, err)
		}
		o.Start, o.End = store.Time(start), store.Time(end)
		have = append(have, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("oncall: seed overrides of %q: %w", sc.Name, err)
	}
	same := len(have) == len(sc.Overrides)
	for i := 0; same && i < len(have); i++ {
		a, b := have[i], sc.Overrides[i]
		same = a.Who == b.Who && a.Covers == b.Covers && a.Start.UnixMilli() == b.Start.UnixMilli() && a.End.UnixMilli() == b.End.UnixMilli()
	}
	if same {
		return nil
	}
	if _, err := tx.ExecContext(ctx, s.st.Q(`DELETE FROM oncall_overrides WHERE schedule_id = ? AND created_by = ?`), id, ByConfig); err != nil {
		return fmt.Errorf("oncall: seed overrides of %q: %w", sc.Name, err)
	}
	if err := s.insertOverrides(ctx, tx, id, sc.Overrides, ByConfig); err != nil {
		return fmt.Errorf("oncall: seed overrides of %q: %w", sc.Name, err)
	}
	return nil
}
