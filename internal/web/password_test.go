package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestFirstLoginForcesPasswordChange: a user with a one-time password
// reaches nothing of the console before choosing their own password; the
// one-time password is refused once 24 h have passed.
func TestFirstLoginForcesPasswordChange(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, testConfig)
		ctx := context.Background()
		_, once, err := e.auth.AddUserGenerated(ctx, "admin", auth.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser("192.0.2.31")
		r := b.post("/login", url.Values{"name": {"admin"}, "password": {once}, "next": {"/cases"}})
		if r.status != http.StatusSeeOther || r.loc != "/password?next=%2Fcases" {
			t.Fatalf("login with the one-time password: %d → %q", r.status, r.loc)
		}
		// Every console page sends there first, remembering where to.
		for path, want := range map[string]string{
			"/":                    "/password",
			"/questions?x=1":       "/password?next=" + url.QueryEscape("/questions?x=1"),
			"/destinations":        "/password?next=%2Fdestinations",
			"/cases/stats":         "/password?next=%2Fcases%2Fstats",
			"/login?next=%2Fcases": "/cases", // a logged-in user leaves /login …
			"/cases":               "/password?next=%2Fcases",
		} {
			if r := b.get(path); r.status != http.StatusSeeOther || r.loc != want {
				t.Errorf("GET %s: %d → %q; want → %q", path, r.status, r.loc, want)
			}
		}
		page := b.get("/password?next=%2Fcases")
		page.want(t, http.StatusOK, "Choose your password", "You logged in with a one-time password", "expires at", `name="next" value="/cases"`, `autocomplete="new-password"`)
		csrf := csrfRE.FindStringSubmatch(page.body)[1]
		// State-changing forms are refused too (after their CSRF check).
		if r := b.post("/deliveries/1/retry", url.Values{"csrf": {csrf}}); r.status != http.StatusSeeOther || r.loc != "/password" {
			t.Errorf("POST while the password is one-time: %d → %q", r.status, r.loc)
		}
		if r := b.post("/password", url.Values{"current": {once}, "new": {"a new password"}, "again": {"a new password"}}); r.status != http.StatusForbidden {
			t.Errorf("change without the CSRF token: %d", r.status)
		}
		for _, tc := range []struct{ current, next, again, want string }{
			{once, "a new password", "a new passwort", "The two new passwords differ."},
			{once, "short", "short", "at least 10 characters"},
			{once, once, once, "must differ from the current one"},
			{"wrong password!", "a new password", "a new password", "The current password is not right."},
		} {
			r := b.post("/password", url.Values{"csrf": {csrf}, "current": {tc.current}, "new": {tc.next}, "again": {tc.again}, "next": {"/cases"}})
			r.want(t, http.StatusUnprocessableEntity, tc.want)
		}
		r = b.post("/password", url.Values{"csrf": {csrf}, "current": {once}, "new": {"my own password"}, "again": {"my own password"}, "next": {"/cases"}})
		if r.status != http.StatusSeeOther || r.loc != "/cases?notice=password_changed" {
			t.Fatalf("change: %d → %q\n%s", r.status, r.loc, r.body)
		}
		b.get("/cases?notice=password_changed").want(t, http.StatusOK, "Your password has been changed.")
		b.get("/").want(t, http.StatusOK)
		// A voluntary change later: the same page, not forced.
		b.get("/password").want(t, http.StatusOK, "Change your password")

		// The one-time password is gone; the new one logs straight in.
		other := e.browser("192.0.2.32")
		other.post("/login", url.Values{"name": {"admin"}, "password": {once}}).want(t, http.StatusUnauthorized)
		if r := other.post("/login", url.Values{"name": {"admin"}, "password": {"my own password"}}); r.status != http.StatusSeeOther || r.loc != "/" {
			t.Errorf("login with the own password: %d → %q", r.status, r.loc)
		}

		// Another one-time password, left unused for 24 h: refused, with
		// the way out, in the user's language.
		if _, _, err := e.auth.AddUserGenerated(ctx, "sato", auth.RoleResponder); err != nil {
			t.Fatal(err)
		}
		pw, err := e.auth.ResetPassword(ctx, "sato")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(auth.OneTimeValidity)
		late := e.browser("192.0.2.33")
		late.post("/login?lang=ja", url.Values{"name": {"sato"}, "password": {pw}}).want(t, http.StatusUnauthorized, "有効期限が切れています", "opsdesk users passwd sato")
	})
}

// TestForcedPageLogout: the forced page can be left by logging out.
func TestForcedPageLogout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.New(t, store.SQLite), testConfig)
	_, once, err := e.auth.AddUserGenerated(context.Background(), "admin", auth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser("192.0.2.41")
	b.post("/login", url.Values{"name": {"admin"}, "password": {once}})
	page := b.get("/password?lang=zh")
	page.want(t, http.StatusOK, "设置密码", "一次性密码")
	csrf := csrfRE.FindStringSubmatch(page.body)[1]
	if r := b.post("/logout", url.Values{"csrf": {csrf}}); r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login") {
		t.Errorf("logout: %d → %q", r.status, r.loc)
	}
	if r := b.get("/"); r.status != http.StatusSeeOther || r.loc != "/login" {
		t.Errorf("after logout: %d → %q", r.status, r.loc)
	}
}
