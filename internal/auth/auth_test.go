package auth_test

import (
	"context"
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
		if err != nil || u.Role != auth.RoleAdmin {
			t.Fatalf("login: %v %+v", err, u)
		}
		got, csrf, err := svc.Session(ctx, tok)
		if err != nil || got.Name != "admin" || csrf == "" {
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
		if _, err := svc.AddUser(ctx, "bob", "root", "0123456789"); err == nil {
			t.Error("bad role accepted")
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
		if err := svc.SetPassword(ctx, "nobody", "abcdefghijk"); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("passwd of unknown user: %v", err)
		}

		api, err := svc.CreateToken(ctx, "nagios")
		if err != nil || !strings.HasPrefix(api, auth.TokenPrefix) {
			t.Fatalf("token: %q %v", api, err)
		}
		if name, err := svc.CheckToken(ctx, api); err != nil || name != "nagios" {
			t.Errorf("check token: %q %v", name, err)
		}
		if _, err := svc.CheckToken(ctx, api+"x"); !errors.Is(err, auth.ErrNotFound) {
			t.Error("altered token accepted")
		}
		if _, err := svc.CreateToken(ctx, "nagios"); !errors.Is(err, auth.ErrExists) {
			t.Error("duplicate token name accepted")
		}
		if err := svc.RevokeToken(ctx, "nagios"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CheckToken(ctx, api); !errors.Is(err, auth.ErrNotFound) {
			t.Error("revoked token accepted")
		}
	})
}
