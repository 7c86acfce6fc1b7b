package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// OrgAccount is a member account an organization's discovery found.
type OrgAccount struct {
	Org          string
	ID           string
	Name         string
	Email        string
	Status       string
	Active       bool
	DiscoveredAt time.Time
	LastSeen     time.Time
}

// OrgDiscovery is the last discovery of one organization.
type OrgDiscovery struct {
	Org      string    `json:"organization"`
	RunAt    time.Time `json:"run_at"`
	Accounts int       `json:"accounts"`
	Error    string    `json:"error,omitempty"`
}

// SyncResult is the last case sync of one account.
type SyncResult struct {
	Account   string    `json:"-"`
	RunAt     time.Time `json:"run_at"`
	OK        bool      `json:"ok"`
	Error     string    `json:"error,omitempty"`
	Kind      string    `json:"kind,omitempty"` // see FailureKind
	CasesSeen int       `json:"cases_seen"`
	CasesNew  int       `json:"cases_new"`
}

// saveDiscovery records what one ListAccounts run returned for org, in one
// transaction: every listed account is upserted with its status (active
// when it is ACTIVE and wanted; last seen now when active); every account
// of org that was active and is no longer listed is made inactive. It is
// idempotent, so two replicas discovering at once agree.
func (s *Store) saveDiscovery(ctx context.Context, org string, listed []OrgAccount, now time.Time) error {
	ms := now.UnixMilli()
	return s.st.Tx(ctx, func(tx *sql.Tx) error {
		keep := map[string]bool{}
		n := 0
		for _, a := range listed {
			act, seen := 0, int64(0)
			if a.Active {
				keep[a.ID] = true
				act, seen = 1, ms
				n++
			}
			if _, err := tx.ExecContext(ctx, s.st.Q(`INSERT INTO org_accounts (org, account_id, name, email, status, active, discovered_at, last_seen_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (org, account_id) DO UPDATE SET name = excluded.name, email = excluded.email, status = excluded.status,
					active = excluded.active, last_seen_at = CASE WHEN excluded.last_seen_at > org_accounts.last_seen_at THEN excluded.last_seen_at ELSE org_accounts.last_seen_at END`),
				org, a.ID, a.Name, a.Email, a.Status, act, ms, seen); err != nil {
				return fmt.Errorf("cases: save account %s of organization %s: %w", a.ID, org, err)
			}
		}
		rows, err := tx.QueryContext(ctx, s.st.Q(`SELECT account_id FROM org_accounts WHERE org = ? AND active = 1`), org)
		if err != nil {
			return fmt.Errorf("cases: accounts of organization %s: %w", org, err)
		}
		var gone []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			if !keep[id] {
				gone = append(gone, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range gone {
			if _, err := tx.ExecContext(ctx, s.st.Q(`UPDATE org_accounts SET active = 0 WHERE org = ? AND account_id = ?`), org, id); err != nil {
				return fmt.Errorf("cases: retire account %s of organization %s: %w", id, org, err)
			}
		}
		return upsertDiscovery(ctx, s, tx, org, ms, n, "")
	})
}

func upsertDiscovery(ctx context.Context, s *Store, ex interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, org string, ms int64, n int, lastErr string) error {
	q := `INSERT INTO org_discoveries (org, run_at, accounts, last_error) VALUES (?, ?, ?, ?)
		ON CONFLICT (org) DO UPDATE SET run_at = excluded.run_at, accounts = excluded.accounts, last_error = excluded.last_error`
	if lastErr != "" {
		// A failed run keeps the account count of the last good one.
		q = `INSERT INTO org_discoveries (org, run_at, accounts, last_error) VALUES (?, ?, ?, ?)
		ON CONFLICT (org) DO UPDATE SET run_at = excluded.run_at, last_error = excluded.last_error`
	}
	if _, err := ex.ExecContext(ctx, s.st.Q(q), org, ms, n, lastErr); err != nil {
		return fmt.Errorf("cases: save discovery of organization %s: %w", org, err)
	}
	return nil
}

// discoveryFailed records a failed discovery; the accounts found before
// stay as they were.
func (s *Store) discoveryFailed(ctx context.Context, org string, now time.Time, reason string) error {
	return upsertDiscovery(ctx, s, s.st.W, org, now.UnixMilli(), 0, reason)
}

// lastDiscovery is when org was last discovered (zero: never).
func (s *Store) lastDiscovery(ctx context.Context, org string) (time.Time, error) {
	var ms int64
	err := s.st.W.QueryRowContext(ctx, s.st.Q(`SELECT run_at FROM org_discoveries WHERE org = ?`), org).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("cases: last discovery of %s: %w", org, err)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// OrgAccounts lists the discovered accounts (all organizations, active or
// not), by organization and account id.
func (s *Store) OrgAccounts(ctx context.Context) ([]OrgAccount, error) {
	rows, err := s.st.R.QueryContext(ctx, `SELECT org, account_id, name, email, status, active, discovered_at, last_seen_at FROM org_accounts ORDER BY org, account_id`)
	if err != nil {
		return nil, fmt.Errorf("cases: list discovered accounts: %w", err)
	}
	defer rows.Close()
	var out []OrgAccount
	for rows.Next() {
		var a OrgAccount
		var active int
		var disc, seen int64
		if err := rows.Scan(&a.Org, &a.ID, &a.Name, &a.Email, &a.Status, &active, &disc, &seen); err != nil {
			return nil, fmt.Errorf("cases: list discovered accounts: %w", err)
		}
		a.Active = active == 1
		a.DiscoveredAt, a.LastSeen = time.UnixMilli(disc).UTC(), time.UnixMilli(seen).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// OrgDiscoveries lists the last discovery of every organization.
func (s *Store) OrgDiscoveries(ctx context.Context) ([]OrgDiscovery, error) {
	rows, err := s.st.R.QueryContext(ctx, `SELECT org, run_at, accounts, last_error FROM org_discoveries ORDER BY org`)
	if err != nil {
		return nil, fmt.Errorf("cases: list discoveries: %w", err)
	}
	defer rows.Close()
	var out []OrgDiscovery
	for rows.Next() {
		var d OrgDiscovery
		var ms int64
		if err := rows.Scan(&d.Org, &ms, &d.Accounts, &d.Error); err != nil {
			return nil, fmt.Errorf("cases: list discoveries: %w", err)
		}
		d.RunAt = time.UnixMilli(ms).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// saveSyncResult records the outcome of one account's sync run.
func (s *Store) saveSyncResult(ctx context.Context, r SyncResult) error {
	ok := 0
	if r.OK {
		ok = 1
	}
	_, err := s.st.W.ExecContext(ctx, s.st.Q(`INSERT INTO account_sync_results (account, run_at, ok, error, kind, cases_seen, cases_new) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account) DO UPDATE SET run_at = excluded.run_at, ok = excluded.ok, error = excluded.error, kind = excluded.kind,
			cases_seen = excluded.cases_seen, cases_new = excluded.cases_new`),
		r.Account, r.RunAt.UnixMilli(), ok, r.Error, r.Kind, r.CasesSeen, r.CasesNew)
	if err != nil {
		return fmt.Errorf("cases: save sync result of %s: %w", r.Account, err)
	}
	return nil
}

// SyncResults returns the last sync result of every account, by name.
func (s *Store) SyncResults(ctx context.Context) (map[string]SyncResult, error) {
	rows, err := s.st.R.QueryContext(ctx, `SELECT account, run_at, ok, error, kind, cases_seen, cases_new FROM account_sync_results`)
	if err != nil {
		return nil, fmt.Errorf("cases: list sync results: %w", err)
	}
	defer rows.Close()
	out := map[string]SyncResult{}
	for rows.Next() {
		var r SyncResult
		var ms int64
		var ok int
		if err := rows.Scan(&r.Account, &ms, &ok, &r.Error, &r.Kind, &r.CasesSeen, &r.CasesNew); err != nil {
			return nil, fmt.Errorf("cases: list sync results: %w", err)
		}
		r.RunAt, r.OK = time.UnixMilli(ms).UTC(), ok == 1
		out[r.Account] = r
	}
	return out, rows.Err()
}
