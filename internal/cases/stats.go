package cases

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
)

// This file holds the archive's aggregate queries: the console's stats
// page (cases per month, time to resolution), the list's filter choices
// and the home page's "awaiting your action" panel.

// StatusPendingCustomer is the status of a case that waits for the
// customer: AWS asked a question or proposed a fix.
const StatusPendingCustomer = "pending-customer-action"

// StatsFilter narrows the aggregates: one account ("" for all) and a time
// range [From, To) (zero ends are open).
type StatsFilter struct {
	Account  string
	From, To time.Time
}

// Dimension is what MonthlyCounts splits a month's cases by.
type Dimension string

// Dimensions of MonthlyCounts.
const (
	ByService  Dimension = "service"
	BySeverity Dimension = "severity"
)

// MonthCount is the number of cases created in one month (UTC) with one
// value of the dimension.
type MonthCount struct {
	Month string // "2025-01"
	Key   string // the service code or severity
	Cases int
}

// monthSQL is the engine's expression for the UTC month ("2006-01") of a
// column holding Unix milliseconds.
func (s *Store) monthSQL(col string) string {
	if s.st.Engine == store.SQLite {
		return `strftime('%Y-%m', ` + col + ` / 1000, 'unixepoch')`
	}
	return `to_char(to_timestamp(` + col + ` / 1000) AT TIME ZONE 'UTC', 'YYYY-MM')`
}

// rangeSQL adds the filter's conditions on the account and on col.
func rangeSQL(f StatsFilter, col string, where []string, args []any) ([]string, []any) {
	if f.Account != "" {
		where = append(where, "account = ?")
		args = append(args, f.Account)
	}
	if !f.From.IsZero() {
		where = append(where, col+" >= ?")
		args = append(args, store.Millis(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, col+" < ?")
		args = append(args, store.Millis(f.To))
	}
	return where, args
}

func whereSQL(where []string) string {
	if len(where) == 0 {
		return ""
	}
	out := " WHERE " + where[0]
	for _, w := range where[1:] {
		out += " AND " + w
	}
	return out
}

// MonthlyCounts counts the cases created in each month of the range, split
// by dim, ordered by month and key. Months without cases are absent.
func (s *Store) MonthlyCounts(ctx context.Context, dim Dimension, f StatsFilter) ([]MonthCount, error) {
	var col string
	switch dim {
	case ByService:
		col = "service_code"
	case BySeverity:
		col = "severity"
	default:
		return nil, fmt.Errorf("cases: monthly counts: unknown dimension %q", dim)
	}
	where, args := rangeSQL(f, "time_created", nil, nil)
	month := s.monthSQL("time_created")
	q := `SELECT ` + month + `, ` + col + `, count(*) FROM cases` + whereSQL(where) + ` GROUP BY ` + month + `, ` + col + ` ORDER BY 1, 2`
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("cases: monthly counts by %s: %w", dim, err)
	}
	defer rows.Close()
	var out []MonthCount
	for rows.Next() {
		var m MonthCount
		if err := rows.Scan(&m.Month, &m.Key, &m.Cases); err != nil {
			return nil, fmt.Errorf("cases: monthly counts by %s: %w", dim, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ResolutionMonth describes the cases resolved in one month (UTC): how
// many, and how long they took from creation to resolution.
type ResolutionMonth struct {
	Month  string // "2025-01"
	Cases  int
	Median time.Duration
	P90    time.Duration
}

// ResolutionByMonth groups resolved cases by the month of their resolution
// (resolved_at in the range) and gives, per month, the median and 90th
// percentile of resolved_at − time_created. A case first archived
// already resolved counts as resolved at its last message (see commsDone).
// The median of an even number of cases is the mean of the middle two; the
// 90th percentile is the nearest rank (the smallest time that at least 90%
// of the month's cases took no longer than).
func (s *Store) ResolutionByMonth(ctx context.Context, f StatsFilter) ([]ResolutionMonth, error) {
	where, args := rangeSQL(f, "resolved_at", []string{"status = 'resolved'", "resolved_at IS NOT NULL"}, nil)
	q := `SELECT ` + s.monthSQL("resolved_at") + `, resolved_at - time_created FROM cases` + whereSQL(where) + ` ORDER BY 1, 2`
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("cases: resolution times: %w", err)
	}
	defer rows.Close()
	var out []ResolutionMonth
	var took []int64
	flush := func(month string) {
		if len(took) == 0 {
			return
		}
		out = append(out, ResolutionMonth{Month: month, Cases: len(took), Median: median(took), P90: nearestRank(took, 0.9)})
		took = took[:0]
	}
	cur := ""
	for rows.Next() {
		var month string
		var ms int64
		if err := rows.Scan(&month, &ms); err != nil {
			return nil, fmt.Errorf("cases: resolution times: %w", err)
		}
		if month != cur {
			flush(cur)
			cur = month
		}
		took = append(took, max(ms, 0))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cases: resolution times: %w", err)
	}
	flush(cur)
	return out, nil
}

// median of ascending milliseconds.
func median(ms []int64) time.Duration {
	n := len(ms)
	if n%2 == 1 {
		return time.Duration(ms[n/2]) * time.Millisecond
	}
	return time.Duration((ms[n/2-1]+ms[n/2])/2) * time.Millisecond
}

// nearestRank is the p-quantile (0 < p ≤ 1) of ascending milliseconds by
// the nearest-rank method.
func nearestRank(ms []int64, p float64) time.Duration {
	rank := int(math.Ceil(p*float64(len(ms)))) - 1
	rank = min(max(rank, 0), len(ms)-1)
	return time.Duration(ms[rank]) * time.Millisecond
}

// Facets are the values the archive holds, for the list's filter choices.
type Facets struct {
	Cases     int
	Accounts  []string
	Services  []string
	Languages []string
}

// Facets returns the number of archived cases and the distinct accounts,
// services and languages, each sorted.
func (s *Store) Facets(ctx context.Context) (Facets, error) {
	var f Facets
	if err := s.st.R.QueryRowContext(ctx, `SELECT count(*) FROM cases`).Scan(&f.Cases); err != nil {
		return f, fmt.Errorf("cases: facets: %w", err)
	}
	if f.Cases == 0 {
		return f, nil
	}
	for _, x := range []struct {
		col string
		dst *[]string
	}{{"account", &f.Accounts}, {"service_code", &f.Services}, {"language", &f.Languages}} {
		vals, err := s.distinct(ctx, x.col)
		if err != nil {
			return f, err
		}
		*x.dst = vals
	}
	return f, nil
}

func (s *Store) distinct(ctx context.Context, col string) ([]string, error) {
	rows, err := s.st.R.QueryContext(ctx, `SELECT DISTINCT `+col+` FROM cases WHERE `+col+` <> '' ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("cases: distinct %s: %w", col, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("cases: distinct %s: %w", col, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// StatusCounts counts the archived cases by status.
func (s *Store) StatusCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.st.R.QueryContext(ctx, `SELECT status, count(*) FROM cases GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("cases: status counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("cases: status counts: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}

// AwaitingCustomer returns up to limit cases that AWS still has and that
// wait for the customer's action, the most recently active first (last
// message, else creation), and how many there are in all.
func (s *Store) AwaitingCustomer(ctx context.Context, limit int) ([]Case, int, error) {
	var total int
	if err := s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT count(*) FROM cases WHERE status = ? AND gone_at IS NULL`), StatusPendingCustomer).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("cases: awaiting customer: %w", err)
	}
	if total == 0 || limit <= 0 {
		return nil, total, nil
	}
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT `+caseCols+` FROM cases c WHERE c.status = ? AND c.gone_at IS NULL
		ORDER BY COALESCE(c.last_comm_at, c.time_created) DESC, c.id DESC LIMIT ?`), StatusPendingCustomer, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("cases: awaiting customer: %w", err)
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("cases: awaiting customer: %w", err)
		}
		out = append(out, *c)
	}
	return out, total, rows.Err()
}

// Months lists the n calendar months (UTC, "2006-01") that end with the
// month of t, oldest first, and the range [first day, day after the last
// month) they cover.
func Months(t time.Time, n int) (months []string, from, to time.Time) {
	t = t.UTC()
	last := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	from = last.AddDate(0, -(n - 1), 0)
	to = last.AddDate(0, 1, 0)
	for m := from; m.Before(to); m = m.AddDate(0, 1, 0) {
		months = append(months, m.Format("2006-01"))
	}
	return slices.Clip(months), from, to
}

// SyncState is how the last sync of one account and language went.
type SyncState struct {
	Account   string
	Language  string
	LastSync  time.Time // zero: never
	LastError string
	// Unsupported: the Support API does not offer this language for the
	// account (LastError holds its words); not a problem to fix.
	Unsupported bool
}

// SyncStates lists every account and language synced so far.
func (s *Store) SyncStates(ctx context.Context) ([]SyncState, error) {
	rows, err := s.st.R.QueryContext(ctx, `SELECT account, language, last_sync_at, last_error, unsupported FROM case_sync_state ORDER BY account, language`)
	if err != nil {
		return nil, fmt.Errorf("cases: sync states: %w", err)
	}
	defer rows.Close()
	var out []SyncState
	for rows.Next() {
		var x SyncState
		var at, unsupported int64
		if err := rows.Scan(&x.Account, &x.Language, &at, &x.LastError, &unsupported); err != nil {
			return nil, fmt.Errorf("cases: sync states: %w", err)
		}
		if at > 0 {
			x.LastSync = store.Time(at)
		}
		x.Unsupported = unsupported != 0
		out = append(out, x)
	}
	return out, rows.Err()
}
