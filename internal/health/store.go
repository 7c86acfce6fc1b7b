package health

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
)

// Record is one Health event (for one affected account, see Update.Key)
// as opsdesk last saw it.
type Record struct {
	ID              int64             `json:"id"`
	EventArn        string            `json:"event_arn"`
	Account         string            `json:"account,omitempty"`
	Service         string            `json:"service"`
	EventTypeCode   string            `json:"event_type_code"`
	Category        string            `json:"category"`
	Scope           string            `json:"scope,omitempty"`
	Region          string            `json:"region"`
	Status          string            `json:"status"`
	Start           time.Time         `json:"start_time,omitzero"`
	End             time.Time         `json:"end_time,omitzero"`
	LastUpdated     time.Time         `json:"last_updated_time,omitzero"`
	CommunicationID string            `json:"communication_id,omitempty"`
	Descriptions    map[string]string `json:"descriptions"`
	Accounts        []string          `json:"affected_accounts"`
	Entities        []Entity          `json:"affected_entities"`
	FirstSeenAt     time.Time         `json:"first_seen_at"`
	UpdatedAt       time.Time         `json:"updated_at"`
	DashboardURL    string            `json:"dashboard_url"`
}

// History is one update a record received.
type History struct {
	EventRef    int64     `json:"event_ref"`
	Status      string    `json:"status"`
	LastUpdated time.Time `json:"last_updated_time,omitzero"`
	// Applied is false for an update older than the record (it arrived
	// out of order) or one that repeated what the record showed.
	Applied     bool      `json:"applied"`
	Description string    `json:"description,omitempty"`
	ReceivedAt  time.Time `json:"received_at"`
}

// Notice is one built-in notification of a record's change.
type Notice struct {
	ID          int64     `json:"id"`
	Change      string    `json:"change"`
	Destination string    `json:"destination"`
	Status      string    `json:"status"`
	Attempts    int       `json:"attempts"`
	Result      string    `json:"result,omitempty"`
	Error       string    `json:"error,omitempty"`
	UpdatedAt   time.Time `json:"updated_at"`
}

const recordCols = `id, event_arn, account, service, event_type_code, category, scope, region, status, start_ms, end_ms, last_updated_ms, communication_id, descriptions, accounts, entities, first_seen_at, updated_at`

func scanRecord(row interface{ Scan(...any) error }) (*Record, error) {
	var r Record
	var start, end, upd, first, changed int64
	var descs, accts, ents string
	if err := row.Scan(&r.ID, &r.EventArn, &r.Account, &r.Service, &r.EventTypeCode, &r.Category, &r.Scope, &r.Region, &r.Status,
		&start, &end, &upd, &r.CommunicationID, &descs, &accts, &ents, &first, &changed); err != nil {
		return nil, err
	}
	if start != 0 {
		r.Start = store.Time(start)
	}
	if end != 0 {
		r.End = store.Time(end)
	}
	if upd != 0 {
		r.LastUpdated = store.Time(upd)
	}
	r.FirstSeenAt, r.UpdatedAt = store.Time(first), store.Time(changed)
	_ = json.Unmarshal([]byte(descs), &r.Descriptions)
	_ = json.Unmarshal([]byte(accts), &r.Accounts)
	_ = json.Unmarshal([]byte(ents), &r.Entities)
	if r.Descriptions == nil {
		r.Descriptions = map[string]string{}
	}
	if r.Accounts == nil {
		r.Accounts = []string{}
	}
	if r.Entities == nil {
		r.Entities = []Entity{}
	}
	r.DashboardURL = DashboardURL(r.EventArn)
	return &r, nil
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return store.Millis(t)
}

// ErrNotFound is returned for an unknown record.
var ErrNotFound = errors.New("health: not found")

// Get returns one record.
func (s *Service) Get(ctx context.Context, id int64) (*Record, error) {
	r, err := scanRecord(s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT `+recordCols+` FROM health_events WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("health record %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("health: get %d: %w", id, err)
	}
	return r, nil
}

// Filter selects records for List. Empty fields match everything.
type Filter struct {
	Service  string
	Region   string
	Category string
	Status   string
	Account  string
	// EventArn selects the records of one event (every affected account).
	EventArn string
	Limit    int
}

// List returns records: upcoming ones first by start time (soonest
// first: what is about to happen), then open ones, then closed ones,
// each most recently updated first.
func (s *Service) List(ctx context.Context, f Filter) ([]*Record, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"service", f.Service}, {"region", f.Region}, {"category", f.Category}, {"status", f.Status}, {"account", f.Account}, {"event_arn", f.EventArn}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	q := `SELECT ` + recordCols + ` FROM health_events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	q += ` ORDER BY CASE status WHEN 'upcoming' THEN 0 WHEN 'open' THEN 1 ELSE 2 END,
		CASE WHEN status = 'upcoming' THEN start_ms ELSE 0 END,
		CASE WHEN status = 'upcoming' THEN 0 ELSE last_updated_ms END DESC, id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("health: list: %w", err)
	}
	defer rows.Close()
	out := []*Record{}
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("health: list: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Values returns the distinct services and regions of the records, for
// the console's filters.
func (s *Service) Values(ctx context.Context) (services, regions []string, err error) {
	for _, c := range []struct {
		col string
		out *[]string
	}{{"service", &services}, {"region", &regions}} {
		rows, err := s.st.R.QueryContext(ctx, `SELECT DISTINCT `+c.col+` FROM health_events WHERE `+c.col+` <> '' ORDER BY `+c.col+` LIMIT 500`)
		if err != nil {
			return nil, nil, fmt.Errorf("health: %s values: %w", c.col, err)
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return nil, nil, err
			}
			*c.out = append(*c.out, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
	}
	return services, regions, nil
}

// History returns the updates a record received, oldest first.
func (s *Service) History(ctx context.Context, id int64) ([]History, error) {
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT event_ref, status, last_updated_ms, applied, description, received_at FROM health_event_updates WHERE health_id = ? ORDER BY id`), id)
	if err != nil {
		return nil, fmt.Errorf("health: history of %d: %w", id, err)
	}
	defer rows.Close()
	out := []History{}
	for rows.Next() {
		var h History
		var upd, rcv int64
		var applied int
		if err := rows.Scan(&h.EventRef, &h.Status, &upd, &applied, &h.Description, &rcv); err != nil {
			return nil, err
		}
		if upd != 0 {
			h.LastUpdated = store.Time(upd)
		}
		h.Applied, h.ReceivedAt = applied != 0, store.Time(rcv)
		out = append(out, h)
	}
	return out, rows.Err()
}

// Notices returns a record's notifications, oldest first.
func (s *Service) Notices(ctx context.Context, id int64) ([]Notice, error) {
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT id, change, destination, status, attempts, result, error, updated_at FROM health_notices WHERE health_id = ? ORDER BY id`), id)
	if err != nil {
		return nil, fmt.Errorf("health: notices of %d: %w", id, err)
	}
	defer rows.Close()
	out := []Notice{}
	for rows.Next() {
		var n Notice
		var upd int64
		if err := rows.Scan(&n.ID, &n.Change, &n.Destination, &n.Status, &n.Attempts, &n.Result, &n.Error, &upd); err != nil {
			return nil, err
		}
		n.UpdatedAt = store.Time(upd)
		out = append(out, n)
	}
	return out, rows.Err()
}

// mergeAccounts adds acct to the sorted list (no repeats, no "").
func mergeAccounts(list []string, acct string) []string {
	if acct == "" || slices.Contains(list, acct) {
		return list
	}
	list = append(list, acct)
	slices.Sort(list)
	return list
}

// mergeEntities adds the entities of add that list does not have (by
// value), updating the status and tags of those it has.
func mergeEntities(list, add []Entity) []Entity {
	for _, e := range add {
		i := slices.IndexFunc(list, func(x Entity) bool { return x.Value == e.Value })
		if i < 0 {
			list = append(list, e)
			continue
		}
		list[i] = e
	}
	return list
}
