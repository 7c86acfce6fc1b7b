// Package heartbeat keeps heartbeat monitors: a job that should run every
// interval (a backup, a cron script, a batch) pings its monitor's URL,
// /api/v1/heartbeats/<token>; a monitor that hears nothing for interval +
// grace opens an alert through the alerts intake, which escalates it like
// any other, and the next ping resolves it. A ping ending in /fail (or a
// non-zero exit status) opens the alert at once.
//
// The token is the secret: 24 random bytes, shown once when the monitor is
// created; only its SHA-256 is stored.
//
// Several replicas may run Check at once. Nothing here is per process but
// the start time: a monitor is checked only when the latest of its last
// ping, its creation and the start of the checking process is older than
// interval + grace, so a replica that starts after opsdesk was down gives
// every monitor a fresh interval (the replicas that kept running fire the
// ones that are really overdue). Opening is idempotent across replicas:
// the alerts intake deduplicates by key (heartbeat/<name>), so two
// replicas firing one monitor make one alert.
//
// Races between a ping and a check are settled by order: a ping writes
// its row first and then always sends a recovery for the monitor's key
// (a no-op when no alert is open); a check sends the firing signal first
// and then marks the monitor down only if its last ping is still the one
// it read, and sends a recovery itself when a ping came in between.
package heartbeat

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/store"
)

// States of a monitor.
const (
	StateWaiting = "waiting" // created, never pinged
	StateUp      = "up"
	StateDown    = "down" // an alert was opened (missed or failed)
)

// Bounds.
const (
	MinInterval = time.Minute
	MaxInterval = 31 * 24 * time.Hour
	MaxGrace    = 7 * 24 * time.Hour
	// KeepPings is how many pings of each monitor are kept.
	KeepPings = 100
	// Via names the intake in the alerts' history.
	Via = "heartbeat"
)

// Errors.
var (
	ErrNotFound = errors.New("heartbeat: no such monitor")
	ErrExists   = errors.New("heartbeat: a monitor of that name exists")
)

// ValidationError names the field of the input that is wrong.
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return "heartbeat: " + e.Field + ": " + e.Msg }

// Alerter is the part of the alerts service a monitor needs: the intake.
type Alerter interface {
	Ingest(ctx context.Context, sigs []parse.Signal, via string) error
}

// AlerterFunc adapts a function to Alerter (the alerts service's Ingest
// also returns what became of each signal, which a monitor does not need).
type AlerterFunc func(ctx context.Context, sigs []parse.Signal, via string) error

// Ingest implements Alerter.
func (f AlerterFunc) Ingest(ctx context.Context, sigs []parse.Signal, via string) error {
	return f(ctx, sigs, via)
}

// Monitor is one heartbeat monitor.
type Monitor struct {
	ID         int64         `json:"id"`
	Name       string        `json:"name"`
	System     string        `json:"system"`
	Severity   string        `json:"severity"`
	Interval   time.Duration `json:"-"`
	Grace      time.Duration `json:"-"`
	LastPingAt time.Time     `json:"-"`
	LastStatus string        `json:"last_status"`
	State      string        `json:"state"`
	AlertKey   string        `json:"alert_key"`
	CreatedAt  time.Time     `json:"created_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
	CreatedBy  string        `json:"created_by"`
}

// Ping is one ping as kept.
type Ping struct {
	At       time.Time `json:"at"`
	Status   string    `json:"status"`
	SourceIP string    `json:"source_ip"`
}

// Input is what Create takes.
type Input struct {
	Name     string
	System   string
	Interval time.Duration
	Grace    time.Duration
	// Severity is critical (default) or warning.
	Severity string
}

// Options configure a Service.
type Options struct {
	Alerts Alerter
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Started is when this process started (default: Now at New).
	Started time.Time
	// Audit records creations and deletions (nil: not recorded).
	Audit *audit.Log
	Log   *slog.Logger
}

// Service keeps the monitors.
type Service struct {
	st      *store.Store
	alerts  Alerter
	now     func() time.Time
	started time.Time
	aud     *audit.Log
	log     *slog.Logger
}

// New returns the service.
func New(st *store.Store, o Options) *Service {
	s := &Service{st: st, alerts: o.Alerts, now: o.Now, started: o.Started, aud: o.Audit, log: o.Log}
	if s.now == nil {
		s.now = time.Now
	}
	if s.started.IsZero() {
		s.started = s.now()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// Key is the alert's dedup key of a monitor.
func Key(name string) string { return "heartbeat/" + name }

func (in *Input) validate() error {
	if !nameRE.MatchString(in.Name) {
		return &ValidationError{"name", "1 to 63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"}
	}
	if in.System == "" || len(in.System) > parse.MaxSystem {
		return &ValidationError{"system", fmt.Sprintf("required, at most %d characters", parse.MaxSystem)}
	}
	if in.Interval < MinInterval || in.Interval > MaxInterval {
		return &ValidationError{"interval", fmt.Sprintf("between %s and %s", MinInterval, MaxInterval)}
	}
	if in.Grace < 0 || in.Grace > MaxGrace {
		return &ValidationError{"grace", fmt.Sprintf("between 0 and %s", MaxGrace)}
	}
	switch in.Severity {
	case "":
		in.Severity = parse.SeverityCritical
	case parse.SeverityCritical, parse.SeverityWarning:
	default:
		return &ValidationError{"severity", "critical or warning"}
	}
	return nil
}

// Create adds a monitor and returns it with its token, which is not kept
// and cannot be shown again.
func (s *Service) Create(ctx context.Context, in Input, by string) (Monitor, string, error) {
	if err := in.validate(); err != nil {
		return Monitor{}, "", err
	}
	tok, err := newToken()
	if err != nil {
		return Monitor{}, "", fmt.Errorf("heartbeat: token: %w", err)
	}
	now := store.Millis(s.now())
	var id int64
	err = s.st.W.QueryRowContext(ctx, s.st.Q(`INSERT INTO heartbeats (name, system, severity, interval_ms, grace_ms, secret_hash, alert_key, created_at, updated_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		in.Name, in.System, in.Severity, in.Interval.Milliseconds(), in.Grace.Milliseconds(), hashToken(tok), Key(in.Name), now, now, by).Scan(&id)
	if store.IsUniqueViolation(err) {
		return Monitor{}, "", ErrExists
	}
	if err != nil {
		return Monitor{}, "", fmt.Errorf("heartbeat: create %s: %w", in.Name, err)
	}
	m, err := s.byID(ctx, id)
	_ = s.aud.Record(ctx, "heartbeat.create", "heartbeat "+in.Name, fmt.Sprintf("system %s, every %s, grace %s, %s", in.System, in.Interval, in.Grace, in.Severity))
	return m, tok, err
}

const cols = `id, name, system, severity, interval_ms, grace_ms, last_ping_at, last_status, state, alert_key, created_at, updated_at, created_by`

func scan(sc interface{ Scan(...any) error }) (Monitor, error) {
	var m Monitor
	var iv, gr, last, c, u int64
	err := sc.Scan(&m.ID, &m.Name, &m.System, &m.Severity, &iv, &gr, &last, &m.LastStatus, &m.State, &m.AlertKey, &c, &u, &m.CreatedBy)
	m.Interval, m.Grace = time.Duration(iv)*time.Millisecond, time.Duration(gr)*time.Millisecond
	if last > 0 {
		m.LastPingAt = store.Time(last)
	}
	m.CreatedAt, m.UpdatedAt = store.Time(c), store.Time(u)
	return m, err
}

func (s *Service) byID(ctx context.Context, id int64) (Monitor, error) {
	m, err := scan(s.st.W.QueryRowContext(ctx, s.st.Q(`SELECT `+cols+` FROM heartbeats WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("heartbeat: get %d: %w", id, err)
	}
	return m, nil
}

// Get returns the monitor of that name.
func (s *Service) Get(ctx context.Context, name string) (Monitor, error) {
	m, err := scan(s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT `+cols+` FROM heartbeats WHERE name = ?`), name))
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("heartbeat: get %s: %w", name, err)
	}
	return m, nil
}

// List returns every monitor by name.
func (s *Service) List(ctx context.Context) ([]Monitor, error) {
	return s.list(ctx, s.st.R, `SELECT `+cols+` FROM heartbeats ORDER BY name`)
}

func (s *Service) list(ctx context.Context, db *sql.DB, q string, args ...any) ([]Monitor, error) {
	rows, err := db.QueryContext(ctx, s.st.Q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("heartbeat: list: %w", err)
	}
	defer rows.Close()
	var out []Monitor
	for rows.Next() {
		m, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("heartbeat: list: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("heartbeat: list: %w", err)
	}
	return out, nil
}

// Pings returns a monitor's last pings, newest first (at most limit).
func (s *Service) Pings(ctx context.Context, id int64, limit int) ([]Ping, error) {
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT at, status, source_ip FROM heartbeat_pings WHERE heartbeat_id = ? ORDER BY id DESC LIMIT ?`), id, limit)
	if err != nil {
		return nil, fmt.Errorf("heartbeat: pings: %w", err)
	}
	defer rows.Close()
	var out []Ping
	for rows.Next() {
		var p Ping
		var at int64
		if err := rows.Scan(&at, &p.Status, &p.SourceIP); err != nil {
			return nil, fmt.Errorf("heartbeat: pings: %w", err)
		}
		p.At = store.Time(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Delete removes a monitor and its pings. An alert it opened stays open
// (someone resolves it).
func (s *Service) Delete(ctx context.Context, name string) error {
	err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, s.st.Q(`DELETE FROM heartbeats WHERE name = ? RETURNING id`), name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("heartbeat: delete %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, s.st.Q(`DELETE FROM heartbeat_pings WHERE heartbeat_id = ?`), id); err != nil {
			return fmt.Errorf("heartbeat: delete %s: %w", name, err)
		}
		return nil
	})
	if err == nil {
		_ = s.aud.Record(ctx, "heartbeat.delete", "heartbeat "+name, "")
	}
	return err
}

// Ping records a ping of the monitor whose token it is (ErrNotFound for a
// token no monitor has). status is StatusOK or StatusFail. A success
// resolves the monitor's open alert; a failure opens one at once.
func (s *Service) Ping(ctx context.Context, token, status, ip string) (Monitor, error) {
	if !ValidToken(token) || (status != StatusOK && status != StatusFail) {
		return Monitor{}, ErrNotFound
	}
	h := hashToken(token)
	var id int64
	var stored string
	err := s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT id, secret_hash FROM heartbeats WHERE secret_hash = ?`), h).Scan(&id, &stored)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !hmac.Equal([]byte(stored), []byte(h))) {
		return Monitor{}, ErrNotFound
	}
	if err != nil {
		return Monitor{}, fmt.Errorf("heartbeat: ping: %w", err)
	}
	now := s.now()
	state := StateUp
	if status == StatusFail {
		state = StateDown
	}
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.st.Q(`UPDATE heartbeats SET last_ping_at = ?, last_status = ?, state = ?, updated_at = ? WHERE id = ?`),
			store.Millis(now), status, state, store.Millis(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, s.st.Q(`INSERT INTO heartbeat_pings (heartbeat_id, at, status, source_ip) VALUES (?, ?, ?, ?)`),
			id, store.Millis(now), status, ip); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.st.Q(`DELETE FROM heartbeat_pings WHERE heartbeat_id = ? AND id NOT IN
			(SELECT id FROM heartbeat_pings WHERE heartbeat_id = ? ORDER BY id DESC LIMIT ?)`), id, id, KeepPings)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return Monitor{}, err
	}
	if err != nil {
		return Monitor{}, fmt.Errorf("heartbeat: ping: %w", err)
	}
	m, err := s.byID(ctx, id)
	if err != nil {
		return m, err
	}
	var sig parse.Signal
	if status == StatusFail {
		sig = s.signal(m, parse.StatusFiring, fmt.Sprintf("Heartbeat %s reported a failure at %s", m.Name, now.UTC().Format(time.RFC3339)))
	} else {
		// Always, not only when the monitor is down: a check that fired
		// while this ping was being written is ended here (see the
		// package comment). Without an open alert it changes nothing.
		sig = s.signal(m, parse.StatusResolved, fmt.Sprintf("Heartbeat %s pinged at %s", m.Name, now.UTC().Format(time.RFC3339)))
	}
	if err := s.alerts.Ingest(ctx, []parse.Signal{sig}, Via); err != nil {
		return m, fmt.Errorf("heartbeat: ping %s: %w", m.Name, err)
	}
	return m, nil
}

func (s *Service) signal(m Monitor, st parse.Status, summary string) parse.Signal {
	return parse.Signal{
		Source:   parse.SourceHeartbeat,
		System:   m.System,
		DedupKey: m.AlertKey,
		Status:   st,
		Summary:  summary,
		Severity: m.Severity,
		Service:  m.Name,
		Labels: map[string]string{
			"heartbeat": m.Name,
			"interval":  m.Interval.String(),
			"grace":     m.Grace.String(),
		},
	}
}

// Due is when a monitor is overdue, as this process sees it: interval +
// grace after the latest of its last ping, its creation and started.
func Due(m Monitor, started time.Time) time.Time {
	base := m.CreatedAt
	if m.LastPingAt.After(base) {
		base = m.LastPingAt
	}
	if started.After(base) {
		base = started
	}
	return base.Add(m.Interval + m.Grace)
}

// Check opens an alert for every monitor that is not down and is overdue
// at now; it returns how many it fired.
func (s *Service) Check(ctx context.Context) (int, error) {
	now := s.now()
	ms, err := s.list(ctx, s.st.W, `SELECT `+cols+` FROM heartbeats WHERE state <> ?`, StateDown)
	if err != nil {
		return 0, err
	}
	fired := 0
	var errs []error
	for _, m := range ms {
		if !now.After(Due(m, s.started)) {
			continue
		}
		if err := s.fire(ctx, m, now); err != nil {
			errs = append(errs, err)
			continue
		}
		fired++
	}
	return fired, errors.Join(errs...)
}

func (s *Service) fire(ctx context.Context, m Monitor, now time.Time) error {
	since := "it was created at " + m.CreatedAt.UTC().Format(time.RFC3339)
	if !m.LastPingAt.IsZero() {
		since = m.LastPingAt.UTC().Format(time.RFC3339)
	}
	sig := s.signal(m, parse.StatusFiring, fmt.Sprintf("Heartbeat %s missed: no ping since %s (expected every %s, grace %s)", m.Name, since, m.Interval, m.Grace))
	if err := s.alerts.Ingest(ctx, []parse.Signal{sig}, Via); err != nil {
		return fmt.Errorf("heartbeat: fire %s: %w", m.Name, err)
	}
	var last int64
	if !m.LastPingAt.IsZero() {
		last = store.Millis(m.LastPingAt)
	}
	res, err := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE heartbeats SET state = ?, updated_at = ? WHERE id = ? AND state <> ? AND last_ping_at = ?`),
		StateDown, store.Millis(now), m.ID, StateDown, last)
	if err != nil {
		return fmt.Errorf("heartbeat: mark %s down: %w", m.Name, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		s.log.Info("heartbeat: missed", "monitor", m.Name, "system", m.System)
		return nil
	}
	// Not marked: another replica did (fine), or a ping came in after we
	// read the monitor — then the alert just opened is stale.
	cur, err := s.byID(ctx, m.ID)
	if errors.Is(err, ErrNotFound) || (err == nil && cur.State == StateDown) {
		return nil
	}
	if err != nil {
		return err
	}
	res2 := s.signal(m, parse.StatusResolved, fmt.Sprintf("Heartbeat %s pinged at %s", m.Name, cur.LastPingAt.UTC().Format(time.RFC3339)))
	if err := s.alerts.Ingest(ctx, []parse.Signal{res2}, Via); err != nil {
		return fmt.Errorf("heartbeat: resolve %s: %w", m.Name, err)
	}
	return nil
}
