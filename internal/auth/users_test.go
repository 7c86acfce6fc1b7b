package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// auditTrail returns the audit log oldest first as "actor kind action target detail".
func auditTrail(t *testing.T, l *audit.Log) []string {
	t.Helper()
	es, err := l.List(context.Background(), audit.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s %s %s", e.Actor, e.Kind, e.Action, e.Target, e.Detail)))
	}
	return out
}

// TestUserAdministration: roles, disabling, deleting, ending sessions and
// the profile, with the last-admin rule, on both engines; every change is
// in the audit log with its actor.
func TestUserAdministration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		svc := auth.New(st, clock)
		svc.Audit = audit.New(st, clock, nil)
		ctx := audit.WithActor(context.Background(), audit.Actor{Name: "root", Kind: audit.KindCLI, Source: "cli"})

		if _, err := svc.AddUser(ctx, "alice", auth.RoleAdmin, "alice password"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.AddUserGenerated(ctx, "bob", auth.RoleResponder); err != nil {
			t.Fatal(err)
		}
		// The only admin cannot be demoted, disabled or deleted.
		for what, err := range map[string]error{
			"demote":  svc.SetRole(ctx, "alice", auth.RoleViewer),
			"disable": svc.SetDisabled(ctx, "alice", true),
			"delete":  svc.DeleteUser(ctx, "alice"),
		} {
			if !errors.Is(err, auth.ErrLastAdmin) || err.Error() != "auth: alice is the last enabled admin: make another user admin first" {
				t.Errorf("%s the last admin: %v", what, err)
			}
		}
		if err := svc.SetRole(ctx, "alice", "root"); !errors.Is(err, auth.ErrInvalid) {
			t.Errorf("bad role: %v", err)
		}
		if err := svc.SetRole(ctx, "nobody", auth.RoleViewer); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("unknown user: %v", err)
		}
		// With a second admin, the first may go to viewer.
		if err := svc.SetRole(ctx, "bob", auth.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.CountAdmins(ctx); err != nil || n != 2 {
			t.Fatalf("admins: %d %v", n, err)
		}
		if err := svc.SetRole(ctx, "alice", auth.RoleViewer); err != nil {
			t.Fatal(err)
		}
		// bob is now the last admin; a disabled admin does not count.
		if err := svc.SetRole(ctx, "alice", auth.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetDisabled(ctx, "alice", true); err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteUser(ctx, "bob"); !errors.Is(err, auth.ErrLastAdmin) {
			t.Errorf("delete the last enabled admin (the other is disabled): %v", err)
		}

		// A disabled user cannot log in; their sessions ended.
		if err := svc.SetDisabled(ctx, "alice", false); err != nil {
			t.Fatal(err)
		}
		tok, u, err := svc.Login(ctx, "alice", "alice password", time.Hour)
		if err != nil || u.Disabled || !u.LastLoginAt.Equal(now) {
			t.Fatalf("login: %v %+v", err, u)
		}
		if err := svc.SetDisabled(ctx, "alice", true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Session(ctx, tok); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("session of a disabled user: %v", err)
		}
		if _, _, err := svc.Login(ctx, "alice", "alice password", time.Hour); !errors.Is(err, auth.ErrDisabled) {
			t.Errorf("login of a disabled user: %v", err)
		}
		if _, _, err := svc.Login(ctx, "alice", "wrong password", time.Hour); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("a wrong password of a disabled user: %v", err)
		}
		if err := svc.SetDisabled(ctx, "alice", false); err != nil {
			t.Fatal(err)
		}

		// Ending sessions: two browsers, both logged out.
		t1, _, _ := svc.Login(ctx, "alice", "alice password", time.Hour)
		t2, _, _ := svc.Login(ctx, "alice", "alice password", time.Hour)
		us, err := svc.ListUsers(ctx)
		if err != nil || len(us) != 2 || us[0].Name != "alice" || us[0].Sessions != 2 || us[0].Role != auth.RoleAdmin || !us[0].LastLoginAt.Equal(now) || us[1].Sessions != 0 || !us[1].LastLoginAt.IsZero() {
			t.Fatalf("list: %+v %v", us, err)
		}
		if n, err := svc.EndSessions(ctx, "alice"); err != nil || n != 2 {
			t.Fatalf("end sessions: %d %v", n, err)
		}
		for _, tk := range []string{t1, t2} {
			if _, _, err := svc.Session(ctx, tk); !errors.Is(err, auth.ErrNotFound) {
				t.Errorf("session after end sessions: %v", err)
			}
		}
		if _, err := svc.EndSessions(ctx, "nobody"); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("end sessions of unknown: %v", err)
		}

		// The profile.
		a, err := svc.GetUser(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.SetProfile(ctx, a.ID, "ja", "Asia/Tokyo"); err != nil {
			t.Fatal(err)
		}
		for _, bad := range [][2]string{{"fr", ""}, {"", "Mars/Olympus"}, {"", "Local"}, {"", "../../etc/passwd"}} {
			if err := svc.SetProfile(ctx, a.ID, bad[0], bad[1]); !errors.Is(err, auth.ErrInvalid) {
				t.Errorf("profile %q: %v", bad, err)
			}
		}
		tok, _, err = svc.Login(ctx, "alice", "alice password", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if s, _, err := svc.Session(ctx, tok); err != nil || s.Language != "ja" || s.TimeZone != "Asia/Tokyo" {
			t.Errorf("session user: %+v %v", s, err)
		}

		// Delete.
		if err := svc.DeleteUser(ctx, "bob"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.GetUser(ctx, "bob"); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("deleted user: %v", err)
		}

		// Tokens: created and revoked, the token itself never recorded.
		api, err := svc.CreateToken(ctx, "zabbix", auth.ScopeIngestAlerts, auth.ScopeReadAlerts)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.RevokeToken(ctx, "zabbix"); err != nil {
			t.Fatal(err)
		}
		pw, err := svc.ResetPassword(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}

		trail := auditTrail(t, svc.Audit)
		want := []string{
			"root cli user.add alice role admin",
			"root cli user.add bob role responder, one-time password",
			"root cli user.role bob role admin (was responder)",
			"root cli user.role alice role viewer (was admin)",
			"root cli user.role alice role admin (was viewer)",
			"root cli user.disable alice 0 sessions ended",
			"root cli user.enable alice",
			"alice user user.login alice",
			"root cli user.disable alice 1 sessions ended",
			"root cli user.enable alice",
			"alice user user.login alice",
			"alice user user.login alice",
			"root cli user.sessions_end alice 2 sessions ended",
			`root cli user.profile alice language "ja", time zone "Asia/Tokyo"`,
			"alice user user.login alice",
			"root cli user.delete bob role admin",
			"root cli token.create zabbix scopes ingest:alerts read:alerts",
			"root cli token.revoke zabbix",
			"root cli user.password alice one-time password generated; sessions ended",
		}
		if strings.Join(trail, "\n") != strings.Join(want, "\n") {
			t.Errorf("audit trail:\n%s\nwant:\n%s", strings.Join(trail, "\n"), strings.Join(want, "\n"))
		}
		for _, l := range trail {
			if strings.Contains(l, api) || strings.Contains(l, pw) || strings.Contains(l, "alice password") {
				t.Errorf("a secret in the audit log: %s", l)
			}
		}
	})
}

// TestLastAdminRace: two admins demoting each other at the same moment
// leave one admin, never none.
func TestLastAdminRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc := auth.New(st, nil)
		for _, n := range []string{"a", "b"} {
			if _, err := svc.AddUser(ctx, n, auth.RoleAdmin, "a long password"); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 5; i++ {
			errs := make(chan error, 2)
			go func() { errs <- svc.SetRole(ctx, "a", auth.RoleViewer) }()
			go func() { errs <- svc.SetDisabled(ctx, "b", true) }()
			e1, e2 := <-errs, <-errs
			if (e1 == nil) == (e2 == nil) {
				t.Fatalf("round %d: both or neither succeeded: %v, %v", i, e1, e2)
			}
			for _, e := range []error{e1, e2} {
				if e != nil && !errors.Is(e, auth.ErrLastAdmin) {
					t.Fatalf("round %d: %v", i, e)
				}
			}
			if n, err := svc.CountAdmins(ctx); err != nil || n != 1 {
				t.Fatalf("round %d: %d admins (%v)", i, n, err)
			}
			// Restore both.
			if err := svc.SetRole(ctx, "a", auth.RoleAdmin); err != nil {
				t.Fatal(err)
			}
			if err := svc.SetDisabled(ctx, "b", false); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestUsersBeforeProfileMigration: users made before migration 00015,
// and users a replica of the previous release inserts after it (without
// the new columns), are enabled, with the browser's language and the
// server's zone, and log in.
func TestUsersBeforeProfileMigration(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			st := schemaAt(t, engine, 14)
			h, err := auth.HashPassword("an old password")
			if err != nil {
				t.Fatal(err)
			}
			// What the previous release's AddUser writes.
			insert := func(name string) {
				t.Helper()
				if _, err := st.W.ExecContext(ctx, st.Q(`INSERT INTO users (name, password_hash, role, created_at, updated_at, password_expires_at) VALUES (?, ?, ?, ?, ?, ?)`),
					name, h, auth.RoleAdmin, 1700000000000, 1700000000000, nil); err != nil {
					t.Fatal(err)
				}
			}
			insert("before")
			if _, err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			insert("during")
			svc := auth.New(st, nil)
			for _, name := range []string{"before", "during"} {
				tok, u, err := svc.Login(ctx, name, "an old password", time.Hour)
				if err != nil || u.Disabled || u.Language != "" || u.TimeZone != "" {
					t.Fatalf("%s: %+v %v", name, u, err)
				}
				if s, _, err := svc.Session(ctx, tok); err != nil || s.Name != name {
					t.Errorf("%s's session: %+v %v", name, s, err)
				}
			}
			if n, err := svc.CountAdmins(ctx); err != nil || n != 2 {
				t.Errorf("admins: %d %v", n, err)
			}
		})
	}
}
