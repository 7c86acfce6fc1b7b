package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$") || strings.Contains(h, "correct") {
		t.Fatalf("hash %q", h)
	}
	if !auth.CheckPassword(h, "correct horse battery") {
		t.Error("right password rejected")
	}
	for _, bad := range []string{"", "correct horse batterY", "correct horse battery "} {
		if auth.CheckPassword(h, bad) {
			t.Errorf("wrong password %q accepted", bad)
		}
	}
	h2, _ := auth.HashPassword("correct horse battery")
	if h == h2 {
		t.Error("same hash twice: salt missing")
	}
	if auth.CheckPassword("$argon2id$garbage", "x") {
		t.Error("malformed hash accepted")
	}
}

func TestUsersSessionsTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		svc := auth.New(st, func() time.Time { return now })

		pw, err := svc.Bootstrap(ctx)
		if err != nil || len(pw) < 10 {
			t.Fatalf("bootstrap: %q %v", pw, err)
		}
		// The first admin's password is one-time.
		now = now.Add(time.Minute)
		if again, err := svc.Bootstrap(ctx); err != nil || again != "" {
			t.Fatalf("second bootstrap created another admin: %q %v", again, err)
		}
		if _, _, err := svc.Login(ctx, "admin", "wrong-password", time.Hour); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("wrong password: %v", err)
		}
		if _, _, err := svc.Login(ctx, "nobody", pw, time.Hour); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("unknown user: %v", err)
		}
		tok, u, err := svc.Login(ctx, "admin", pw, time.Hour)
		if err != nil || u.Role != auth.RoleAdmin || !u.MustChangePassword() {
			t.Fatalf("login: %v %+v", err, u)
		}
		got, csrf, err := svc.Session(ctx, tok)
		if err != nil || got.Name != "admin" || csrf == "" || !got.MustChangePassword() {
			t.Fatalf("session: %v %+v", err, got)
		}
		var stored string
		if err := st.R.QueryRow(`SELECT token_hash FROM sessions`).Scan(&stored); err != nil || stored == tok {
			t.Errorf("session token stored in clear (%v)", err)
		}
		now = now.Add(2 * time.Hour)
		if _, _, err := svc.Session(ctx, tok); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("expired session accepted: %v", err)
		}

		if _, err := svc.AddUser(ctx, "admin", auth.RoleViewer, "0123456789"); !errors.Is(err, auth.ErrExists) {
			t.Errorf("duplicate user: %v", err)
		}
		if _, err := svc.AddUser(ctx, "bob", "root", "0123456789"); err == nil || err.Error() != `auth: role "root" is not one of admin, responder, viewer` {
			t.Errorf("bad role: %v", err)
		}
		if _, err := svc.AddUser(ctx, "bob", auth.RoleViewer, "short"); err == nil {
			t.Error("short password accepted")
		}
		if _, err := svc.AddUser(ctx, "bob", auth.RoleViewer, "0123456789"); err != nil {
			t.Fatal(err)
		}
		tok, _, err = svc.Login(ctx, "bob", "0123456789", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.SetPassword(ctx, "bob", "abcdefghijk"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Session(ctx, tok); !errors.Is(err, auth.ErrNotFound) {
			t.Error("password change kept old sessions")
		}
		if _, u, err := svc.Login(ctx, "bob", "abcdefghijk", time.Hour); err != nil || u.MustChangePassword() {
			t.Errorf("a password set by an administrator is not one-time: %v %+v", err, u)
		}
		if err := svc.SetPassword(ctx, "nobody", "abcdefghijk"); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("passwd of unknown user: %v", err)
		}

		api, err := svc.CreateToken(ctx, "nagios", auth.ScopeIngestAlerts)
		if err != nil || !strings.HasPrefix(api, auth.TokenPrefix) {
			t.Fatalf("token: %q %v", api, err)
		}
		if tk, err := svc.CheckToken(ctx, api); err != nil || tk.Name != "nagios" || strings.Join(tk.Scopes, " ") != auth.ScopeIngestAlerts {
			t.Errorf("check token: %+v %v", tk, err)
		}
		if _, err := svc.CheckToken(ctx, api+"x"); !errors.Is(err, auth.ErrNotFound) {
			t.Error("altered token accepted")
		}
		_, err = svc.CreateToken(ctx, "nagios", auth.ScopeIngestAlerts)
		if !errors.Is(err, auth.ErrExists) {
			t.Error("duplicate token name accepted")
		}
		// The message reads as one sentence, for the command line's prefix.
		var ae *auth.Error
		if !errors.As(err, &ae) || ae.Msg != `token "nagios" already exists` {
			t.Errorf("duplicate token: %v", err)
		}
		if _, err := svc.CreateToken(ctx, "noscope"); !errors.Is(err, auth.ErrInvalid) || !strings.Contains(err.Error(), "ingest:alerts, ingest:events") {
			t.Errorf("token without scopes: %v", err)
		}
		if err := svc.RevokeToken(ctx, "nagios"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CheckToken(ctx, api); !errors.Is(err, auth.ErrNotFound) {
			t.Error("revoked token accepted")
		}
		if err := svc.RevokeToken(ctx, "nagios"); !errors.Is(err, auth.ErrNotFound) || err.Error() != `auth: there is no token "nagios"` {
			t.Errorf("revoke unknown: %v", err)
		}
	})
}

// TestOneTimePassword: a generated password must be changed at the first
// login and is refused 24 h after it was issued; the user's own change
// ends it, and "users passwd" (SetPassword) recovers an expired one.
func TestOneTimePassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		svc := auth.New(st, func() time.Time { return now })
		pw, err := svc.Bootstrap(ctx)
		if err != nil || pw == "" {
			t.Fatal(pw, err)
		}
		users, err := svc.ListUsers(ctx)
		if err != nil || len(users) != 1 || !users[0].PasswordExpiresAt.Equal(now.Add(auth.OneTimeValidity)) {
			t.Fatalf("users: %+v %v", users, err)
		}

		// Just before the 24 h are up it still logs in, to the change page.
		now = now.Add(auth.OneTimeValidity - time.Second)
		tok, u, err := svc.Login(ctx, "admin", pw, time.Hour)
		if err != nil || !u.MustChangePassword() {
			t.Fatalf("login before expiry: %v %+v", err, u)
		}
		// At 24 h it is refused, but only to someone who knows it.
		now = now.Add(time.Second)
		if _, _, err := svc.Login(ctx, "admin", pw, time.Hour); !errors.Is(err, auth.ErrPasswordExpired) {
			t.Errorf("expired one-time password: %v", err)
		}
		if _, _, err := svc.Login(ctx, "admin", "wrong-password", time.Hour); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("wrong password after expiry: %v", err)
		}
		// The session opened before expiry cannot change it any more.
		if err := svc.ChangePassword(ctx, u.ID, pw, "my own password 1"); !errors.Is(err, auth.ErrPasswordExpired) {
			t.Errorf("change with an expired one-time password: %v", err)
		}
		_ = tok

		// opsdesk users passwd admin recovers.
		if err := svc.SetPassword(ctx, "admin", "recovered password"); err != nil {
			t.Fatal(err)
		}
		if _, u, err := svc.Login(ctx, "admin", "recovered password", time.Hour); err != nil || u.MustChangePassword() {
			t.Fatalf("after users passwd: %v %+v", err, u)
		}

		// users passwd --generate: one-time again; the user changes it.
		pw2, err := svc.ResetPassword(ctx, "admin")
		if err != nil {
			t.Fatal(err)
		}
		tok, u, err = svc.Login(ctx, "admin", pw2, time.Hour)
		if err != nil || !u.MustChangePassword() {
			t.Fatalf("after reset: %v %+v", err, u)
		}
		if err := svc.ChangePassword(ctx, u.ID, "wrong-current", "my own password 1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("wrong current password: %v", err)
		}
		if err := svc.ChangePassword(ctx, u.ID, pw2, pw2); !errors.Is(err, auth.ErrInvalid) {
			t.Errorf("same password again: %v", err)
		}
		if err := svc.ChangePassword(ctx, u.ID, pw2, "short"); !errors.Is(err, auth.ErrInvalid) {
			t.Errorf("short password: %v", err)
		}
		if err := svc.ChangePassword(ctx, u.ID, pw2, "my own password 1"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Session(ctx, tok); !errors.Is(err, auth.ErrNotFound) {
			t.Error("the session of the one-time password survived the change")
		}
		// The chosen password never expires.
		now = now.Add(30 * 24 * time.Hour)
		if _, u, err := svc.Login(ctx, "admin", "my own password 1", time.Hour); err != nil || u.MustChangePassword() {
			t.Fatalf("own password: %v %+v", err, u)
		}
		if _, _, err := svc.Login(ctx, "admin", pw2, time.Hour); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("the old one-time password still logs in: %v", err)
		}

		// users add --generate.
		_, pw3, err := svc.AddUserGenerated(ctx, "sato", auth.RoleResponder)
		if err != nil {
			t.Fatal(err)
		}
		if _, u, err := svc.Login(ctx, "sato", pw3, time.Hour); err != nil || !u.MustChangePassword() {
			t.Errorf("generated password of a new user: %v %+v", err, u)
		}
	})
}

func TestParseScopes(t *testing.T) {
	t.Parallel()
	got, err := auth.ParseScopes("read:cases", "ingest:alerts,ingest:events", " read:cases ")
	if err != nil || strings.Join(got, " ") != "ingest:alerts ingest:events read:cases" {
		t.Errorf("ParseScopes: %v %v", got, err)
	}
	for _, bad := range [][]string{nil, {""}, {" , "}, {"ingest:alerts", "read:everything"}, {"Admin"}} {
		_, err := auth.ParseScopes(bad...)
		if !errors.Is(err, auth.ErrInvalid) || !strings.Contains(err.Error(), "ingest:alerts, ingest:events, read:cases, read:alerts, act:alerts, read:events, admin") {
			t.Errorf("ParseScopes(%q): %v", bad, err)
		}
	}
	for _, tc := range []struct {
		scopes       []string
		scope        string
		allows, hold bool
	}{
		{[]string{auth.ScopeIngestAlerts}, auth.ScopeIngestAlerts, true, true},
		{[]string{auth.ScopeIngestAlerts}, auth.ScopeIngestEvents, false, false},
		{[]string{auth.ScopeIngestAlerts}, auth.ScopeReadCases, false, false},
		{[]string{auth.ScopeActAlerts}, auth.ScopeReadAlerts, true, false},
		{[]string{auth.ScopeReadAlerts}, auth.ScopeActAlerts, false, false},
		{[]string{auth.ScopeAdmin}, auth.ScopeReadCases, true, false},
		{[]string{auth.ScopeAdmin}, auth.ScopeIngestEvents, true, false},
		{auth.LegacyScopes, auth.ScopeReadCases, true, true},
		{auth.LegacyScopes, auth.ScopeAdmin, false, false},
	} {
		tk := &auth.Token{Scopes: tc.scopes}
		if tk.Allows(tc.scope) != tc.allows || tk.Holds(tc.scope) != tc.hold {
			t.Errorf("%v for %s: allows %v holds %v", tc.scopes, tc.scope, tk.Allows(tc.scope), tk.Holds(tc.scope))
		}
	}
}

// TestTokenLastUse: the last use is recorded to the minute, with at most
// one write a minute per token, and shows in ListTokens.
func TestTokenLastUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		now := t0
		svc := auth.New(st, func() time.Time { return now })
		tok, err := svc.CreateToken(ctx, "zabbix", auth.ScopeIngestAlerts)
		if err != nil {
			t.Fatal(err)
		}
		lastUse := func() time.Time {
			t.Helper()
			ts, err := svc.ListTokens(ctx)
			if err != nil || len(ts) != 1 {
				t.Fatalf("list: %+v %v", ts, err)
			}
			return ts[0].LastUsedAt
		}
		if !lastUse().IsZero() {
			t.Fatal("a new token has a last use")
		}
		if _, err := svc.CheckToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if got := lastUse(); !got.Equal(t0) {
			t.Fatalf("last use %v; want %v", got, t0)
		}
		// 1,000 uses within the minute: no write, the time stays.
		for i := range 1000 {
			now = t0.Add(time.Duration(i) * 50 * time.Millisecond)
			if _, err := svc.CheckToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if got, w := lastUse(), auth.TouchWrites(svc); !got.Equal(t0) || w != 1 {
			t.Errorf("after a minute of use: last use %v, %d writes; want %v and 1", got, w, t0)
		}
		now = t0.Add(61 * time.Second)
		if _, err := svc.CheckToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if got, w := lastUse(), auth.TouchWrites(svc); !got.Equal(now) || w != 2 {
			t.Errorf("a minute later: last use %v, %d writes; want %v and 2", got, w, now)
		}
		// Another replica (its own memory) writes nothing the database
		// already has from within the minute.
		other := auth.New(st, func() time.Time { return now.Add(10 * time.Second) })
		if _, err := other.CheckToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if w := auth.TouchWrites(other); w != 0 {
			t.Errorf("the other replica wrote %d times", w)
		}
	})
}

// TestLegacyTokensMigrated upgrades a database with a token made before
// scopes existed (schema 11): the token gets every scope but admin.
func TestLegacyTokensMigrated(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			st := schemaAt(t, engine, 11)
			// What the previous release's CreateToken wrote.
			const old = "odt_legacy-token-made-before-scopes-existed"
			sum := sha256.Sum256([]byte(old))
			if _, err := st.W.ExecContext(ctx, st.Q(`INSERT INTO api_tokens (name, token_hash, created_at) VALUES (?, ?, ?)`), "old-zabbix", hex.EncodeToString(sum[:]), 1700000000000); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			tk, err := auth.New(st, nil).CheckToken(ctx, old)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(tk.Scopes, " ") != strings.Join(auth.LegacyScopes, " ") {
				t.Errorf("migrated scopes %v; want %v", tk.Scopes, auth.LegacyScopes)
			}
			for _, s := range []string{auth.ScopeIngestAlerts, auth.ScopeIngestEvents, auth.ScopeReadCases, auth.ScopeReadAlerts, auth.ScopeActAlerts} {
				if !tk.Allows(s) {
					t.Errorf("the migrated token lost %s", s)
				}
			}
		})
	}
}
