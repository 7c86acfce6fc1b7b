package alerts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/textutil"
)

// ErrNotFound is returned for an unknown alert, system or quiet period.
var ErrNotFound = errors.New("alerts: not found")

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type scanner interface{ Scan(...any) error }

const alertCols = `id, system, policy, source, dedup_key, status, summary, details, severity, host, service, labels,
	started_at, received_at, via, repeats, last_seen_at, acked_at, acked_by, resolved_at, resolved_by, updated_at, incident_id`

func scanAlert(row scanner) (*Alert, error) {
	var a Alert
	var labels string
	var started, received, lastSeen, acked, resolved, updated int64
	if err := row.Scan(&a.ID, &a.System, &a.Policy, &a.Source, &a.DedupKey, &a.Status, &a.Summary, &a.Details, &a.Severity,
		&a.Host, &a.Service, &labels, &started, &received, &a.Via, &a.Repeats, &lastSeen, &acked, &a.AckedBy,
		&resolved, &a.ResolvedBy, &updated, &a.IncidentID); err != nil {
		return nil, err
	}
	a.Labels = map[string]string{}
	if labels != "" {
		_ = json.Unmarshal([]byte(labels), &a.Labels)
	}
	a.StartedAt, a.ReceivedAt, a.LastSeenAt = store.Time(started), store.Time(received), store.Time(lastSeen)
	a.AckedAt, a.ResolvedAt, a.UpdatedAt = store.Time(acked), store.Time(resolved), store.Time(updated)
	return &a, nil
}

const callCols = `id, alert_id, round, position, callee, phone, language, client_token, contact_id, state, requested_at,
	initiated_at, answered_at, ended_at, disconnect_reason, key_pressed, outcome, error, polls, updated_at`

func scanCall(row scanner) (*Call, error) {
	var c Call
	var req, ini, ans, end, upd int64
	if err := row.Scan(&c.ID, &c.AlertID, &c.Round, &c.Position, &c.Callee, &c.Phone, &c.Language, &c.ClientToken,
		&c.ContactID, &c.State, &req, &ini, &ans, &end, &c.DisconnectReason, &c.Key, &c.Outcome, &c.Error, &c.Polls, &upd); err != nil {
		return nil, err
	}
	c.RequestedAt, c.InitiatedAt, c.AnsweredAt, c.EndedAt, c.UpdatedAt = store.Time(req), store.Time(ini), store.Time(ans), store.Time(end), store.Time(upd)
	return &c, nil
}

const escCols = `alert_id, policy, state, round, position, step, call_id, attempts, next_at, claimed_until`

func scanEscalation(row scanner) (*Escalation, error) {
	var e Escalation
	var next, claimed int64
	if err := row.Scan(&e.AlertID, &e.Policy, &e.State, &e.Round, &e.Position, &e.Step, &e.CallID, &e.Attempts, &next, &claimed); err != nil {
		return nil, err
	}
	e.NextAt, e.ClaimedUntil = store.Time(next), store.Time(claimed)
	return &e, nil
}

const quietCols = `id, system, starts_at, ends_at, alert_id, set_by, note, ended_at, ended_by`

func scanQuiet(row scanner) (*Quiet, error) {
	var q Quiet
	var starts, ends, ended int64
	if err := row.Scan(&q.ID, &q.System, &starts, &ends, &q.AlertID, &q.SetBy, &q.Note, &ended, &q.EndedBy); err != nil {
		return nil, err
	}
	q.StartsAt, q.EndsAt, q.EndedAt = store.Time(starts), store.Time(ends), store.Time(ended)
	return &q, nil
}

// Get returns an alert.
func (s *Service) Get(ctx context.Context, id int64) (*Alert, error) {
	a, err := scanAlert(s.rowQ(ctx, s.st.R, `SELECT `+alertCols+` FROM alerts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("alerts: get %d: %w", id, err)
	}
	return a, nil
}

// Filter selects alerts for List.
type Filter struct {
	// Status is one of the statuses, "active" (anything not resolved) or
	// "" (all).
	Status string
	System string
	// Search keeps the alerts that match every term (ParseSearch).
	Search Search
	// Before pages: alerts with a smaller id.
	Before int64
	Limit  int
	// Incident keeps the alerts of one incident (0: any).
	Incident int64
}

// List returns alerts newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]*Alert, error) {
	var where []string
	var args []any
	switch f.Status {
	case "":
	case "active":
		where = append(where, "status <> 'resolved'")
	default:
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	if f.System != "" {
		where = append(where, "system = ?")
		args = append(args, f.System)
	}
	searching := len(f.Search.Terms) > 0
	if searching {
		conds, sargs := f.Search.where(s.st.Engine)
		where = append(where, conds...)
		args = append(args, sargs...)
	}
	if f.Incident > 0 {
		where = append(where, "incident_id = ?")
		args = append(args, f.Incident)
	}
	if f.Before > 0 {
		where = append(where, "id < ?")
		args = append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	q := `SELECT ` + alertCols + ` FROM alerts`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	var rows *sql.Rows
	var err error
	if searching {
		// Searches have many shapes: run the text, keep no prepared statement.
		rows, err = s.st.R.QueryContext(ctx, s.st.Q(q), args...)
	} else {
		rows, err = s.rowsQ(ctx, s.st.R, q, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("alerts: list: %w", err)
	}
	defer rows.Close()
	var out []*Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("alerts: list: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Counts returns the number of alerts in each status.
func (s *Service) Counts(ctx context.Context) (map[string]int, error) {
	out, err := s.st.CountBy(ctx, `SELECT status, count(*) FROM alerts GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("alerts: counts: %w", err)
	}
	return out, nil
}

// Calls returns an alert's calls in the order they were placed.
func (s *Service) Calls(ctx context.Context, alertID int64) ([]*Call, error) {
	return s.queryCalls(ctx, s.st.R, `SELECT `+callCols+` FROM alert_calls WHERE alert_id = ? ORDER BY id`, alertID)
}

// CallByContact returns the call with that Connect contact id.
func (s *Service) CallByContact(ctx context.Context, contactID string) (*Call, error) {
	c, err := scanCall(s.rowQ(ctx, s.st.R, `SELECT `+callCols+` FROM alert_calls WHERE contact_id = ?`, contactID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("alerts: call %s: %w", contactID, err)
	}
	return c, nil
}

func (s *Service) queryCalls(ctx context.Context, q querier, query string, args ...any) ([]*Call, error) {
	rows, err := s.rowsQ(ctx, q, query, args...)
	if err != nil {
		return nil, fmt.Errorf("alerts: calls: %w", err)
	}
	defer rows.Close()
	var out []*Call
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, fmt.Errorf("alerts: calls: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ActiveCall is a call in progress with its alert, for "who is being
// called now".
type ActiveCall struct {
	Call
	System  string
	Summary string
}

// CallingNow returns the calls in progress, oldest first.
func (s *Service) CallingNow(ctx context.Context) ([]*ActiveCall, error) {
	rows, err := s.st.R.QueryContext(ctx, `SELECT c.id, c.alert_id, c.round, c.position, c.callee, c.phone, c.language, c.client_token,
		c.contact_id, c.state, c.requested_at, c.initiated_at, c.answered_at, c.ended_at, c.disconnect_reason, c.key_pressed,
		c.outcome, c.error, c.polls, c.updated_at, a.system, a.summary
		FROM alert_calls c JOIN alerts a ON a.id = c.alert_id
		WHERE c.state IN ('placing', 'ringing', 'connected') ORDER BY c.id LIMIT 100`)
	if err != nil {
		return nil, fmt.Errorf("alerts: calls in progress: %w", err)
	}
	defer rows.Close()
	var out []*ActiveCall
	for rows.Next() {
		var ac ActiveCall
		var req, ini, ans, end, upd int64
		c := &ac.Call
		if err := rows.Scan(&c.ID, &c.AlertID, &c.Round, &c.Position, &c.Callee, &c.Phone, &c.Language, &c.ClientToken,
			&c.ContactID, &c.State, &req, &ini, &ans, &end, &c.DisconnectReason, &c.Key, &c.Outcome, &c.Error, &c.Polls, &upd,
			&ac.System, &ac.Summary); err != nil {
			return nil, fmt.Errorf("alerts: calls in progress: %w", err)
		}
		c.RequestedAt, c.InitiatedAt, c.AnsweredAt, c.EndedAt, c.UpdatedAt = store.Time(req), store.Time(ini), store.Time(ans), store.Time(end), store.Time(upd)
		out = append(out, &ac)
	}
	return out, rows.Err()
}

// Timeline returns an alert's entries in order.
func (s *Service) Timeline(ctx context.Context, alertID int64) ([]*Entry, error) {
	rows, err := s.rowsQ(ctx, s.st.R, `SELECT id, alert_id, at, kind, actor, detail, call_id FROM alert_log WHERE alert_id = ? ORDER BY id`, alertID)
	if err != nil {
		return nil, fmt.Errorf("alerts: timeline %d: %w", alertID, err)
	}
	defer rows.Close()
	var out []*Entry
	for rows.Next() {
		var e Entry
		var at int64
		if err := rows.Scan(&e.ID, &e.AlertID, &at, &e.Kind, &e.Actor, &e.Detail, &e.CallID); err != nil {
			return nil, fmt.Errorf("alerts: timeline %d: %w", alertID, err)
		}
		e.At = store.Time(at)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// EscalationOf returns the engine's state of an alert (ErrNotFound when
// it is not being escalated).
func (s *Service) EscalationOf(ctx context.Context, alertID int64) (*Escalation, error) {
	e, err := scanEscalation(s.rowQ(ctx, s.st.R, `SELECT `+escCols+` FROM alert_escalations WHERE alert_id = ?`, alertID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("alerts: escalation %d: %w", alertID, err)
	}
	return e, nil
}

// Notification is a message to a destination about an alert.
type Notification struct {
	ID          int64
	AlertID     int64
	Destination string
	Reason      string
	Status      string
	Attempts    int
	Result      string
	UpdatedAt   time.Time
}

// Notifications returns an alert's notifications.
func (s *Service) Notifications(ctx context.Context, alertID int64) ([]*Notification, error) {
	rows, err := s.rowsQ(ctx, s.st.R, `SELECT id, alert_id, destination, reason, status, attempts, result, updated_at FROM alert_notifications WHERE alert_id = ? ORDER BY id`, alertID)
	if err != nil {
		return nil, fmt.Errorf("alerts: notifications %d: %w", alertID, err)
	}
	defer rows.Close()
	var out []*Notification
	for rows.Next() {
		var n Notification
		var upd int64
		if err := rows.Scan(&n.ID, &n.AlertID, &n.Destination, &n.Reason, &n.Status, &n.Attempts, &n.Result, &upd); err != nil {
			return nil, fmt.Errorf("alerts: notifications %d: %w", alertID, err)
		}
		n.UpdatedAt = store.Time(upd)
		out = append(out, &n)
	}
	return out, rows.Err()
}

// logEntry adds a timeline entry inside tx.
func (s *Service) logEntry(ctx context.Context, tx querier, alertID int64, at time.Time, kind, actor, detail string, callID int64) error {
	_, err := s.execQ(ctx, tx, `INSERT INTO alert_log (alert_id, at, kind, actor, detail, call_id) VALUES (?, ?, ?, ?, ?, ?)`,
		alertID, store.Millis(at), kind, clip(actor, 200), clip(detail, 2000), callID)
	if err != nil {
		return fmt.Errorf("alerts: log %s for %d: %w", kind, alertID, err)
	}
	return nil
}

func clip(s string, n int) string { return textutil.Cut(s, n) }
