package alerts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Window is a maintenance window: alerts that arrive while it is in force
// and match it are stored and shown but notify nobody. With EscalateAtEnd,
// those still open when it ends escalate then.
type Window struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// System is the system it covers ("" every system).
	System string `json:"system,omitempty"`
	// Severities it covers (none: every severity).
	Severities []string `json:"severities,omitempty"`
	// Matchers are Alertmanager-style label matchers, all of which must
	// hold: "env=prod", "env!=dev", "job=~db.*", "job!~test.*".
	Matchers []string  `json:"matchers,omitempty"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	// Weekly repeats the window every 7 days from Start, in TimeZone.
	Weekly        bool      `json:"weekly,omitempty"`
	TimeZone      string    `json:"time_zone,omitempty"`
	EscalateAtEnd bool      `json:"escalate_at_end,omitempty"`
	CreatedBy     string    `json:"created_by,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	EndedAt       time.Time `json:"ended_at,omitzero"`
	// Held counts the alerts the window held back (notified nobody).
	Held int64 `json:"held"`

	matchers []matcher
	loc      *time.Location
}

// matcher is one parsed label matcher.
type matcher struct {
	label, op, value string
	re               *regexp.Regexp
}

var matcherRe = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$`)

// parseMatcher reads "label=value", "label!=value", "label=~regexp" or
// "label!~regexp" (the value may be quoted). Regular expressions match the
// whole value, as Alertmanager's do.
func parseMatcher(s string) (matcher, error) {
	m := matcherRe.FindStringSubmatch(s)
	if m == nil {
		return matcher{}, fmt.Errorf("%q is not a matcher such as env=prod, env!=dev, job=~db.* or job!~test.*", s)
	}
	out := matcher{label: m[1], op: m[2], value: m[3]}
	if out.op == "=~" || out.op == "!~" {
		re, err := regexp.Compile("^(?:" + out.value + ")$")
		if err != nil {
			return matcher{}, fmt.Errorf("%q: the regular expression: %v", s, err)
		}
		out.re = re
	}
	return out, nil
}

func (m matcher) matches(labels map[string]string) bool {
	v := labels[m.label]
	switch m.op {
	case "=":
		return v == m.value
	case "!=":
		return v != m.value
	case "=~":
		return m.re.MatchString(v)
	default:
		return !m.re.MatchString(v)
	}
}

// MaxWindowLength bounds one window (or one weekly occurrence).
const MaxWindowLength = 7 * 24 * time.Hour

// check validates a window as submitted and prepares its matchers.
func (w *Window) check() error {
	w.Name = strings.TrimSpace(w.Name)
	if w.Name == "" || len([]rune(w.Name)) > 200 {
		return &ValidationError{"name", "must be 1-200 characters"}
	}
	if w.System != "" {
		if err := config.ValidateSystemName(w.System); err != nil {
			return &ValidationError{"system", err.Error()}
		}
	}
	for i, sv := range w.Severities {
		if !slices.Contains(config.Severities, sv) {
			return &ValidationError{fmt.Sprintf("severities[%d]", i), fmt.Sprintf("%q is not a severity (%s)", sv, strings.Join(config.Severities, ", "))}
		}
	}
	w.matchers = w.matchers[:0]
	for i, s := range w.Matchers {
		m, err := parseMatcher(s)
		if err != nil {
			return &ValidationError{fmt.Sprintf("matchers[%d]", i), err.Error()}
		}
		w.matchers = append(w.matchers, m)
	}
	switch {
	case w.Start.IsZero():
		return &ValidationError{"start", "is required"}
	case !w.End.After(w.Start):
		return &ValidationError{"end", "must be after start"}
	case w.End.Sub(w.Start) > MaxWindowLength:
		return &ValidationError{"end", "a window lasts at most 7 days (repeat it weekly instead)"}
	}
	if w.TimeZone == "" {
		w.TimeZone = "UTC"
	}
	loc, err := time.LoadLocation(w.TimeZone)
	if err != nil || w.TimeZone == "Local" {
		return &ValidationError{"time_zone", fmt.Sprintf("%q is not an IANA time zone such as Asia/Tokyo", w.TimeZone)}
	}
	w.loc = loc
	return nil
}

// occurrence returns the occurrence of w in force at t (ok false: none).
func (w *Window) occurrence(t time.Time) (start, end time.Time, ok bool) {
	if !w.EndedAt.IsZero() && !t.Before(w.EndedAt) {
		return time.Time{}, time.Time{}, false
	}
	length := w.End.Sub(w.Start)
	start = w.Start
	if w.Weekly && t.After(w.Start) {
		// Weeks counted on the calendar of the window's zone: the local
		// start time is kept across daylight-saving changes.
		local := w.Start.In(w.loc)
		weeks := int(t.Sub(w.Start) / (7 * 24 * time.Hour))
		for _, k := range []int{weeks + 1, weeks, weeks - 1} {
			if k < 0 {
				continue
			}
			s := local.AddDate(0, 0, 7*k)
			if !t.Before(s) && t.Before(s.Add(length)) {
				start = s
				break
			}
		}
	}
	end = start.Add(length)
	if !w.EndedAt.IsZero() && w.EndedAt.Before(end) {
		end = w.EndedAt
	}
	return start, end, !t.Before(start) && t.Before(end)
}

// covers reports whether the window covers an alert of system with
// severity and labels arriving at t, and until when.
func (w *Window) covers(system, severity string, labels map[string]string, t time.Time) (time.Time, bool) {
	if w.System != "" && w.System != system {
		return time.Time{}, false
	}
	if len(w.Severities) > 0 && !slices.Contains(w.Severities, severityName(severity)) {
		return time.Time{}, false
	}
	for _, m := range w.matchers {
		if !m.matches(labels) {
			return time.Time{}, false
		}
	}
	_, end, ok := w.occurrence(t)
	return end, ok
}

const windowCols = `id, name, system, severities, matchers, starts_at, ends_at, weekly, time_zone, escalate_at_end, created_by, created_at, ended_at, held`

func scanWindow(row scanner) (*Window, error) {
	var w Window
	var sev, matchers string
	var start, end, created, ended int64
	var weekly, esc int
	if err := row.Scan(&w.ID, &w.Name, &w.System, &sev, &matchers, &start, &end, &weekly, &w.TimeZone, &esc, &w.CreatedBy, &created, &ended, &w.Held); err != nil {
		return nil, err
	}
	if sev != "" {
		w.Severities = strings.Split(sev, ",")
	}
	if err := json.Unmarshal([]byte(matchers), &w.Matchers); err != nil {
		return nil, fmt.Errorf("window %d matchers: %w", w.ID, err)
	}
	w.Start, w.End, w.CreatedAt, w.EndedAt = store.Time(start), store.Time(end), store.Time(created), store.NullTime(sql.NullInt64{Int64: ended, Valid: ended != 0})
	w.Weekly, w.EscalateAtEnd = weekly == 1, esc == 1
	if err := w.check(); err != nil {
		return nil, fmt.Errorf("window %d: %w", w.ID, err)
	}
	return &w, nil
}

// CheckWindow validates w as CreateWindow does, without storing it, and
// returns it ready for State and Location (a window read back from the
// database is already).
func CheckWindow(w Window) (*Window, error) {
	if w.Name == "" {
		w.Name = "check"
	}
	if err := w.check(); err != nil {
		return nil, err
	}
	return &w, nil
}

// CreateWindow stores a maintenance window.
func (s *Service) CreateWindow(ctx context.Context, w Window, by string) (*Window, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	matchers, _ := json.Marshal(append([]string{}, w.Matchers...))
	now := store.Millis(s.now())
	weekly, esc := 0, 0
	if w.Weekly {
		weekly = 1
	}
	if w.EscalateAtEnd {
		esc = 1
	}
	err := s.rowQ(ctx, s.st.W, `INSERT INTO maintenance_windows (name, system, severities, matchers, starts_at, ends_at, weekly, time_zone, escalate_at_end, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		w.Name, w.System, strings.Join(w.Severities, ","), string(matchers), store.Millis(w.Start), store.Millis(w.End), weekly, w.TimeZone, esc, clip(by, 200), now).Scan(&w.ID)
	if err != nil {
		return nil, fmt.Errorf("alerts: create maintenance window: %w", err)
	}
	w.CreatedBy, w.CreatedAt = by, store.Time(now)
	s.record(ctx, "maintenance.create", "maintenance window "+w.Name, fmt.Sprintf("%s to %s", w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339)))
	return &w, nil
}

// Windows lists the maintenance windows not over yet (all: every one),
// the latest first.
func (s *Service) Windows(ctx context.Context, all bool) ([]*Window, error) {
	q := `SELECT ` + windowCols + ` FROM maintenance_windows`
	var args []any
	if !all {
		q += ` WHERE ended_at = 0 AND (weekly = 1 OR ends_at > ?)`
		args = append(args, store.Millis(s.now()))
	}
	rows, err := s.rowsQ(ctx, s.st.R, q+` ORDER BY id DESC LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("alerts: maintenance windows: %w", err)
	}
	defer rows.Close()
	var out []*Window
	for rows.Next() {
		w, err := scanWindow(rows)
		if err != nil {
			return nil, fmt.Errorf("alerts: maintenance windows: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// EndWindow ends a maintenance window now (a weekly one for good).
func (s *Service) EndWindow(ctx context.Context, id int64, by string) error {
	res, err := s.execQ(ctx, s.st.W, `UPDATE maintenance_windows SET ended_at = ? WHERE id = ? AND ended_at = 0`, store.Millis(s.now()), id)
	if err != nil {
		return fmt.Errorf("alerts: end maintenance window %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	s.record(ctx, "maintenance.end", fmt.Sprintf("maintenance window #%d", id), "")
	return nil
}

// Window states, as the console and chat show them.
const (
	WindowActive   = "active"   // in force now
	WindowUpcoming = "upcoming" // starts later (a weekly one: its next week)
	WindowPast     = "past"     // over, or ended by hand
)

// Location is the window's time zone (UTC before it was checked).
func (w *Window) Location() *time.Location {
	if w.loc == nil {
		return time.UTC
	}
	return w.loc
}

// State says whether the window is in force at now, is still to come or is
// over, and the occurrence concerned: the one in force, the next one, or
// the last one.
func (w *Window) State(now time.Time) (state string, start, end time.Time) {
	if start, end, ok := w.occurrence(now); ok {
		return WindowActive, start, end
	}
	length := w.End.Sub(w.Start)
	if !w.EndedAt.IsZero() && !now.Before(w.EndedAt) {
		end = w.End
		if w.Weekly || w.EndedAt.Before(w.End) {
			end = w.EndedAt
		}
		return WindowPast, w.Start, end
	}
	if now.Before(w.Start) {
		return WindowUpcoming, w.Start, w.End
	}
	if !w.Weekly {
		return WindowPast, w.Start, w.End
	}
	// Weekly, between two occurrences: the next one starts within a week
	// (on the zone's calendar).
	local := w.Start.In(w.Location())
	weeks := int(now.Sub(w.Start) / (7 * 24 * time.Hour))
	for k := max(weeks-1, 0); k <= weeks+2; k++ {
		if s := local.AddDate(0, 0, 7*k); s.After(now) {
			return WindowUpcoming, s, s.Add(length)
		}
	}
	return WindowUpcoming, w.Start, w.End
}

// Window reads one maintenance window (ErrNotFound: none has id).
func (s *Service) Window(ctx context.Context, id int64) (*Window, error) {
	w, err := scanWindow(s.rowQ(ctx, s.st.R, `SELECT `+windowCols+` FROM maintenance_windows WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("alerts: maintenance window %d: %w", id, err)
	}
	return w, nil
}

// WindowActor is the actor of the timeline entry of an alert the window
// held back; ParseWindowActor reads the id back (the alert page links it).
func WindowActor(id int64) string { return fmt.Sprintf("maintenance window #%d", id) }

// ParseWindowActor returns the window id in a timeline actor written by
// WindowActor (ok false: another actor).
func ParseWindowActor(actor string) (int64, bool) {
	rest, ok := strings.CutPrefix(actor, "maintenance window #")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

// activeWindows reads the windows that may be in force at now, inside the
// intake's transaction.
func (s *Service) activeWindows(ctx context.Context, tx *sql.Tx, now time.Time) ([]*Window, error) {
	rows, err := s.rowsQ(ctx, tx, `SELECT `+windowCols+` FROM maintenance_windows WHERE ended_at = 0 AND starts_at <= ? AND (weekly = 1 OR ends_at > ?)`,
		store.Millis(now), store.Millis(now))
	if err != nil {
		return nil, fmt.Errorf("alerts: maintenance windows: %w", err)
	}
	defer rows.Close()
	var out []*Window
	for rows.Next() {
		w, err := scanWindow(rows)
		if err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			return nil, fmt.Errorf("alerts: maintenance windows: %w", err)
		}
		if _, _, ok := w.occurrence(now); ok {
			out = append(out, w)
		}
	}
	return out, rows.Err()
}
