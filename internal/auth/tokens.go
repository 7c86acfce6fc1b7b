package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
)

// API token scopes. Every API route needs one (see docs/tokens.md for the
// table of routes); a token holds one or more.
const (
	// ScopeIngestAlerts: POST /api/v1/alerts and /api/v1/alerts/{alertmanager,zabbix,nagios,cloudwatch}.
	ScopeIngestAlerts = "ingest:alerts"
	// ScopeIngestEvents: POST /api/v1/events.
	ScopeIngestEvents = "ingest:events"
	// ScopeReadCases: GET /api/v1/cases and /api/v1/cases/{caseId}.
	ScopeReadCases = "read:cases"
	// ScopeReadAlerts: GET /api/v1/alerts and /api/v1/alerts/{id}.
	ScopeReadAlerts = "read:alerts"
	// ScopeActAlerts: POST /api/v1/alerts/{id}/ack and …/resolve; it
	// includes read:alerts (acting on an alert starts with finding it).
	ScopeActAlerts = "act:alerts"
	// ScopeReadEvents: GET /api/v1/health-events and
	// /api/v1/health-events/{id} (the AWS Health records).
	ScopeReadEvents = "read:events"
	// ScopeAdmin: every route. It never admits a token in the query
	// string: a token that can do everything does not belong in URLs.
	ScopeAdmin = "admin"
)

// ScopeInfo describes a scope for help texts.
type ScopeInfo struct {
	Name string
	What string
}

// AllScopes lists every scope with what it allows, in the order help
// texts show them.
var AllScopes = []ScopeInfo{
	{ScopeIngestAlerts, "post alerts: POST /api/v1/alerts, /api/v1/alerts/{alertmanager,zabbix,nagios,cloudwatch}"},
	{ScopeIngestEvents, "post AWS events: POST /api/v1/events"},
	{ScopeReadCases, "read the Support case archive: GET /api/v1/cases, /api/v1/cases/{caseId}"},
	{ScopeReadAlerts, "read alerts and who is on call: GET /api/v1/alerts, /api/v1/alerts/{id}, /api/v1/oncall[/{schedule}]"},
	{ScopeActAlerts, "acknowledge and resolve alerts (includes read:alerts): POST /api/v1/alerts/{id}/ack, …/resolve"},
	{ScopeReadEvents, "read AWS Health records: GET /api/v1/health-events, /api/v1/health-events/{id}"},
	{ScopeAdmin, "everything above (never accepted in a URL's ?token=)"},
}

// LegacyScopes are the scopes of tokens created before scopes existed
// (migration 00012): every scope but admin, which is every API route
// there was. Such a token keeps working, except as ?token= outside the
// ingest endpoints.
var LegacyScopes = []string{ScopeActAlerts, ScopeIngestAlerts, ScopeIngestEvents, ScopeReadAlerts, ScopeReadCases}

// ValidScope reports whether s is a known scope.
func ValidScope(s string) bool {
	for _, i := range AllScopes {
		if i.Name == s {
			return true
		}
	}
	return false
}

// IngestScope reports whether s is one of the ingest scopes: the only
// ones whose endpoints accept a token in the query string, for senders
// that cannot set headers (SNS subscriptions, Zabbix and Nagios scripts,
// plain webhooks).
func IngestScope(s string) bool { return s == ScopeIngestAlerts || s == ScopeIngestEvents }

// ScopeNames returns every scope's name.
func ScopeNames() []string {
	out := make([]string, 0, len(AllScopes))
	for _, i := range AllScopes {
		out = append(out, i.Name)
	}
	return out
}

// ParseScopes reads scopes given as separate values or comma- or
// space-separated lists ("ingest:alerts,read:cases"), and returns them
// sorted without repeats. Unknown scopes and an empty list are errors
// that name the allowed scopes.
func ParseScopes(values ...string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			if !ValidScope(s) {
				return nil, newError(ErrInvalid, "unknown scope %q (scopes: %s)", s, strings.Join(ScopeNames(), ", "))
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		return nil, newError(ErrInvalid, "a token needs at least one scope (scopes: %s)", strings.Join(ScopeNames(), ", "))
	}
	slices.Sort(out)
	return out, nil
}

// Token is an API token's metadata (never the token itself).
type Token struct {
	ID        int64
	Name      string
	Scopes    []string
	CreatedAt time.Time
	// LastUsedAt is when the token was last accepted, to the minute
	// (zero: never). See touchToken.
	LastUsedAt time.Time
}

// Allows reports whether the token may use a route that needs scope:
// it holds the scope, or admin, or act:alerts for read:alerts.
func (t *Token) Allows(scope string) bool {
	if slices.Contains(t.Scopes, scope) || slices.Contains(t.Scopes, ScopeAdmin) {
		return true
	}
	return scope == ScopeReadAlerts && slices.Contains(t.Scopes, ScopeActAlerts)
}

// Holds reports whether the token carries scope itself (not through
// admin): what a token in a query string must do.
func (t *Token) Holds(scope string) bool { return slices.Contains(t.Scopes, scope) }

// TokenPrefix starts every API token so that secret scanners recognise it.
const TokenPrefix = "odt_"

// CreateToken makes a new API token with the scopes (see ParseScopes)
// and returns it; only its hash is kept.
func (s *Service) CreateToken(ctx context.Context, name string, scopes ...string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", newError(ErrInvalid, "token %s", err)
	}
	sc, err := ParseScopes(scopes...)
	if err != nil {
		return "", err
	}
	tok := TokenPrefix + RandomToken(32)
	_, err = s.st.W.ExecContext(ctx, s.st.Q(`INSERT INTO api_tokens (name, token_hash, scopes, created_at) VALUES (?, ?, ?, ?)`),
		name, hashToken(tok), strings.Join(sc, " "), store.Millis(s.now()))
	if store.IsUniqueViolation(err) {
		return "", newError(ErrExists, "token %q already exists", name)
	}
	if err != nil {
		return "", fmt.Errorf("auth: create token: %w", err)
	}
	// The scopes, never the token.
	s.record(ctx, "token.create", name, "scopes "+strings.Join(sc, " "))
	return tok, nil
}

// CheckToken returns the API token tok, or ErrNotFound. It records the
// token's use (at most once a minute).
func (s *Service) CheckToken(ctx context.Context, tok string) (*Token, error) {
	t, err := s.lookupToken(ctx, tok)
	if err != nil {
		return nil, err
	}
	s.touchToken(ctx, t)
	return t, nil
}

func (s *Service) lookupToken(ctx context.Context, tok string) (*Token, error) {
	if !strings.HasPrefix(tok, TokenPrefix) {
		return nil, ErrNotFound
	}
	t := &Token{}
	var scopes string
	var created int64
	var last sql.NullInt64
	// The lookup is by the SHA-256 of the token, so the comparison the
	// database makes reveals nothing about the token itself.
	err := s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT id, name, scopes, created_at, last_used_at FROM api_tokens WHERE token_hash = ?`), hashToken(tok)).
		Scan(&t.ID, &t.Name, &scopes, &created, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("auth: check token: %w", err)
	}
	t.Scopes = strings.Fields(scopes)
	t.CreatedAt = store.Time(created)
	t.LastUsedAt = store.NullTime(last)
	return t, nil
}

// touchInterval is how stale a token's recorded last use may get.
const touchInterval = time.Minute

// touchToken records that t was used now, cheaply: this process writes a
// token's last use at most once per touchInterval (remembered in memory),
// and the UPDATE itself changes nothing when another replica wrote it
// within the interval. A failed write is not the request's problem: the
// next use a minute later tries again.
func (s *Service) touchToken(ctx context.Context, t *Token) {
	now := s.now()
	if !t.LastUsedAt.IsZero() && now.Sub(t.LastUsedAt) < touchInterval {
		return
	}
	s.touchMu.Lock()
	if last, ok := s.touched[t.ID]; ok && now.Sub(last) < touchInterval && !now.Before(last) {
		s.touchMu.Unlock()
		return
	}
	s.touched[t.ID] = now
	s.touchMu.Unlock()
	s.touchWrites.Add(1)
	// The request may end before this write does; the write still
	// deserves its short chance.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	res, err := s.st.W.ExecContext(wctx, s.st.Q(`UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`),
		store.Millis(now), t.ID, store.Millis(now.Add(-touchInterval)))
	if err != nil {
		s.touchMu.Lock()
		delete(s.touched, t.ID)
		s.touchMu.Unlock()
		return
	}
	if n, _ := res.RowsAffected(); n > 0 {
		t.LastUsedAt = now
	}
}

// ListTokens returns every token's metadata by name.
func (s *Service) ListTokens(ctx context.Context) ([]Token, error) {
	rows, err := s.st.R.QueryContext(ctx, `SELECT id, name, scopes, created_at, last_used_at FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("auth: list tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var scopes string
		var c int64
		var last sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &scopes, &c, &last); err != nil {
			return nil, err
		}
		t.Scopes = strings.Fields(scopes)
		t.CreatedAt = store.Time(c)
		t.LastUsedAt = store.NullTime(last)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken deletes a token by name.
func (s *Service) RevokeToken(ctx context.Context, name string) error {
	res, err := s.st.W.ExecContext(ctx, s.st.Q(`DELETE FROM api_tokens WHERE name = ?`), name)
	if err != nil {
		return fmt.Errorf("auth: revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return newError(ErrNotFound, "there is no token %q", name)
	}
	s.record(ctx, "token.revoke", name, "")
	return nil
}
