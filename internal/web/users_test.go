package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// withAudit gives the env's auth service an audit log and returns it.
func (e *env) withAudit() *audit.Log {
	l := audit.New(e.st, e.clock.Now, nil)
	e.auth.Audit = l
	return l
}

// trail is the audit log oldest first, "actor kind action target".
func trail(t *testing.T, l *audit.Log, prefix string) []string {
	t.Helper()
	es, err := l.List(context.Background(), audit.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		if strings.HasPrefix(e.Action, prefix) {
			out = append(out, fmt.Sprintf("%s %s %s %s", e.Actor, e.Kind, e.Action, e.Target))
		}
	}
	return out
}

var onetimeRE = regexp.MustCompile(`id="onetime-password">([^<]+)<`)

// TestUsersPage: an admin adds users (generated or typed password),
// changes roles, disables and enables, resets passwords, ends sessions
// and deletes, over real HTTP; the last admin and oneself are protected;
// responders and viewers get 403; forms need the CSRF token; every change
// is in the audit log as the admin's.
func TestUsersPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, testConfig)
		log := e.withAudit()
		e.addUser("boss", auth.RoleAdmin)
		e.addUser("resp", auth.RoleResponder)
		e.addUser("view", auth.RoleViewer)

		// Not for responders and viewers, not even to look.
		for i, name := range []string{"resp", "view"} {
			b := e.browser(fmt.Sprintf("192.0.2.%d", 100+i))
			b.login(name)
			csrf := b.csrf()
			for _, path := range []string{"/users", "/tokens", "/users/boss/delete", "/tokens/x/revoke"} {
				b.get(path).want(t, http.StatusForbidden)
			}
			for _, path := range []string{"/users", "/users/boss/role", "/users/boss/disable", "/users/boss/delete", "/users/boss/password", "/users/boss/sessions", "/tokens"} {
				b.post(path, url.Values{"csrf": {csrf}, "role": {"viewer"}, "name": {"x"}, "generate": {"1"}}).want(t, http.StatusForbidden)
			}
			// Their menu has no Users or Tokens; their name leads to their profile.
			r := b.get("/")
			r.want(t, http.StatusOK, `href="/profile"`)
			r.wantNot(t, `href="/users"`, `href="/tokens"`)
		}
		if u, _ := e.auth.GetUser(context.Background(), "boss"); u.Role != auth.RoleAdmin || u.Disabled {
			t.Fatalf("boss changed by refused requests: %+v", u)
		}

		b := e.browser("192.0.2.110")
		b.login("boss")
		page := b.get("/users")
		page.want(t, http.StatusOK, `href="/users" aria-current="page"`, `href="/tokens"`, `id="user-resp"`, `id="user-view"`, `<option value="viewer" selected>Viewer</option>`)
		csrf := csrfRE.FindStringSubmatch(page.body)[1]

		// CSRF.
		b.post("/users", url.Values{"name": {"sato"}, "role": {"viewer"}, "generate": {"1"}}).want(t, http.StatusForbidden)
		b.post("/users/resp/role", url.Values{"role": {"viewer"}}).want(t, http.StatusForbidden)

		// Add with a generated password: shown once, one-time.
		r := b.post("/users", url.Values{"csrf": {csrf}, "name": {"sato"}, "role": {"responder"}, "generate": {"1"}})
		r.want(t, http.StatusOK, "One-time password of sato", "shown only this once")
		once := onetimeRE.FindStringSubmatch(r.body)[1]
		sato := e.browser("192.0.2.111")
		if r := sato.post("/login", url.Values{"name": {"sato"}, "password": {once}}); r.status != http.StatusSeeOther || r.loc != "/password" {
			t.Errorf("login with the generated password: %d → %q", r.status, r.loc)
		}
		b.get("/users").wantNot(t, once)

		// Add with a typed password; refusals name the problem.
		for _, tc := range []struct {
			form   url.Values
			status int
			want   string
		}{
			{url.Values{"name": {"a b"}, "role": {"viewer"}, "generate": {"1"}}, 422, "without spaces or slashes"},
			{url.Values{"name": {"kim"}, "role": {"root"}, "generate": {"1"}}, 422, "admin, responder, viewer"},
			{url.Values{"name": {"kim"}, "role": {"viewer"}, "password": {"short"}, "again": {"short"}}, 422, "at least 10 characters"},
			{url.Values{"name": {"kim"}, "role": {"viewer"}, "password": {"long enough 1"}, "again": {"long enough 2"}}, 422, "The two new passwords differ."},
			{url.Values{"name": {"resp"}, "role": {"viewer"}, "generate": {"1"}}, 409, "A user called resp already exists."},
		} {
			tc.form.Set("csrf", csrf)
			b.post("/users", tc.form).want(t, tc.status, tc.want)
		}
		if r := b.post("/users", url.Values{"csrf": {csrf}, "name": {"kim"}, "role": {"viewer"}, "password": {"long enough 1"}, "again": {"long enough 1"}}); r.status != http.StatusSeeOther || r.loc != "/users?notice=user_added" {
			t.Fatalf("add kim: %d %q", r.status, r.loc)
		}
		if _, _, err := e.auth.Login(context.Background(), "kim", "long enough 1", 0); err != nil {
			t.Errorf("kim's typed password: %v", err)
		}
		// A typed password wins over the generate box (ticked by default).
		if r := b.post("/users", url.Values{"csrf": {csrf}, "name": {"lee"}, "role": {"viewer"}, "generate": {"1"}, "password": {"lee's password"}, "again": {"lee's password"}}); r.status != http.StatusSeeOther {
			t.Fatalf("add lee: %d", r.status)
		}
		if _, u, err := e.auth.Login(context.Background(), "lee", "lee's password", 0); err != nil || u.MustChangePassword() {
			t.Errorf("lee's typed password: %v %+v", err, u)
		}

		// Roles; the last admin stays.
		if r := b.post("/users/resp/role", url.Values{"csrf": {csrf}, "role": {"viewer"}}); r.status != http.StatusSeeOther {
			t.Fatalf("role: %d\n%s", r.status, r.body)
		}
		if u, _ := e.auth.GetUser(context.Background(), "resp"); u.Role != auth.RoleViewer {
			t.Errorf("resp's role: %s", u.Role)
		}
		b.post("/users/boss/role", url.Values{"csrf": {csrf}, "role": {"viewer"}}).want(t, http.StatusConflict, "boss is the last enabled admin")
		b.post("/users/resp/role", url.Values{"csrf": {csrf}, "role": {"god"}}).want(t, http.StatusUnprocessableEntity, "admin, responder, viewer")
		b.post("/users/nobody/role", url.Values{"csrf": {csrf}, "role": {"viewer"}}).want(t, http.StatusNotFound)
		b.post("/users/boss/disable", url.Values{"csrf": {csrf}}).want(t, http.StatusUnprocessableEntity, "cannot disable or delete yourself")
		b.post("/users/boss/delete", url.Values{"csrf": {csrf}}).want(t, http.StatusUnprocessableEntity, "cannot disable or delete yourself")

		// Disable: the user's open session ends and they cannot log in.
		v := e.browser("192.0.2.112")
		v.login("view")
		v.get("/").want(t, http.StatusOK)
		if r := b.post("/users/view/disable", url.Values{"csrf": {csrf}}); r.status != http.StatusSeeOther || r.loc != "/users?notice=user_changed" {
			t.Fatalf("disable: %d %q", r.status, r.loc)
		}
		if r := v.get("/"); r.status != http.StatusSeeOther || r.loc != "/login" {
			t.Errorf("a disabled user's session: %d → %q", r.status, r.loc)
		}
		v.post("/login", url.Values{"name": {"view"}, "password": {password}}).want(t, http.StatusForbidden, "This user is disabled.")
		b.get("/users").want(t, http.StatusOK, "disabled", `action="/users/view/enable"`)
		b.post("/users/view/enable", url.Values{"csrf": {csrf}})
		v.login("view")

		// Reset password: shown once; the old one is refused; the new one is one-time.
		r = b.post("/users/view/password", url.Values{"csrf": {csrf}})
		r.want(t, http.StatusOK, "One-time password of view")
		reset := onetimeRE.FindStringSubmatch(r.body)[1]
		if r := v.get("/"); r.status != http.StatusSeeOther {
			t.Errorf("session after a reset: %d", r.status)
		}
		v2 := e.browser("192.0.2.113")
		v2.post("/login", url.Values{"name": {"view"}, "password": {password}}).want(t, http.StatusUnauthorized)
		if r := v2.post("/login", url.Values{"name": {"view"}, "password": {reset}}); r.status != http.StatusSeeOther || r.loc != "/password" {
			t.Errorf("login with the reset password: %d → %q", r.status, r.loc)
		}

		// End sessions.
		k := e.browser("192.0.2.114")
		r = k.post("/login", url.Values{"name": {"kim"}, "password": {"long enough 1"}})
		k.get("/").want(t, http.StatusOK)
		b.get("/users").want(t, http.StatusOK, `action="/users/kim/sessions"`)
		if r := b.post("/users/kim/sessions", url.Values{"csrf": {csrf}}); r.status != http.StatusSeeOther || r.loc != "/users?notice=sessions_ended" {
			t.Fatalf("end sessions: %d %q", r.status, r.loc)
		}
		if r := k.get("/"); r.status != http.StatusSeeOther || r.loc != "/login" {
			t.Errorf("after end sessions: %d → %q", r.status, r.loc)
		}

		// Delete, after a question.
		b.get("/users/kim/delete").want(t, http.StatusOK, "Delete kim?", `action="/users/kim/delete"`)
		b.get("/users/nobody/delete").want(t, http.StatusNotFound)
		if r := b.post("/users/kim/delete", url.Values{"csrf": {csrf}}); r.status != http.StatusSeeOther || r.loc != "/users?notice=user_deleted" {
			t.Fatalf("delete: %d %q", r.status, r.loc)
		}
		b.get("/users?notice=user_deleted").want(t, http.StatusOK, "The user has been deleted.")
		b.get("/users").wantNot(t, `id="user-kim"`)

		got := strings.Join(trail(t, log, "user."), "\n")
		for _, w := range []string{
			"boss user user.add sato", "boss user user.add kim", "boss user user.role resp",
			"boss user user.disable view", "boss user user.enable view", "boss user user.password view",
			"boss user user.sessions_end kim", "boss user user.delete kim", "boss user user.login boss",
		} {
			if !strings.Contains(got, w+"\n") && !strings.HasSuffix(got, w) {
				t.Errorf("audit log lacks %q:\n%s", w, got)
			}
		}
		if strings.Contains(got, "user.role boss") || strings.Contains(got, "user.delete boss") {
			t.Errorf("refused changes recorded:\n%s", got)
		}
	})
}

var tokenRE = regexp.MustCompile(`id="token-value">(odt_[A-Za-z0-9_-]+)<`)

// TestTokensPage: an admin creates a token with scopes (shown once, with
// a usage example for each scope), sees it listed with scopes and last
// use, and revokes it after a question.
func TestTokensPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, testConfig)
		log := e.withAudit()
		e.addUser("boss", auth.RoleAdmin)
		b := e.browser("192.0.2.120")
		b.login("boss")
		page := b.get("/tokens")
		page.want(t, http.StatusOK, "No API tokens yet.", `name="scope" value="ingest:alerts"`, `name="scope" value="admin"`)
		csrf := csrfRE.FindStringSubmatch(page.body)[1]

		b.post("/tokens", url.Values{"name": {"zabbix"}, "scope": {"ingest:alerts"}}).want(t, http.StatusForbidden)
		b.post("/tokens", url.Values{"csrf": {csrf}, "name": {"zabbix"}}).want(t, http.StatusUnprocessableEntity, "Choose at least one scope.")
		b.post("/tokens", url.Values{"csrf": {csrf}, "name": {"zabbix"}, "scope": {"root"}}).want(t, http.StatusUnprocessableEntity, "Unknown scope.")
		b.post("/tokens", url.Values{"csrf": {csrf}, "name": {"a/b"}, "scope": {"ingest:alerts"}}).want(t, http.StatusUnprocessableEntity, "without spaces or slashes")

		r := b.post("/tokens?lang=en", url.Values{"csrf": {csrf}, "name": {"zabbix"}, "scope": {"ingest:alerts", "read:cases"}})
		r.want(t, http.StatusOK, "The new token zabbix", "shown only this once", "<code>ingest:alerts</code>, <code>read:cases</code>",
			e.srv.URL[len("http://"):]+"/api/v1/alerts/zabbix?token=$TOKEN", "/api/v1/cases?q=EC2", "Search the Support case archive:")
		r.wantNot(t, "/api/v1/events")
		tok := tokenRE.FindStringSubmatch(r.body)[1]
		b.post("/tokens", url.Values{"csrf": {csrf}, "name": {"zabbix"}, "scope": {"read:cases"}}).want(t, http.StatusConflict, "A token called zabbix already exists.")

		list := b.get("/tokens")
		list.want(t, http.StatusOK, `id="token-zabbix"`, "<code>ingest:alerts</code> <code>read:cases</code>", "never", `href="/tokens/zabbix/revoke"`)
		list.wantNot(t, tok)
		if _, err := e.auth.CheckToken(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		list = b.get("/tokens")
		list.wantNot(t, ">never<")
		list.want(t, http.StatusOK, e.clock.Now().UTC().Format("2006-01-02 15:04:05")+" UTC")

		b.get("/tokens/zabbix/revoke").want(t, http.StatusOK, "Revoke zabbix?", "is refused from now on", `action="/tokens/zabbix/revoke"`)
		b.get("/tokens/nope/revoke").want(t, http.StatusNotFound)
		b.post("/tokens/zabbix/revoke", url.Values{}).want(t, http.StatusForbidden)
		if r := b.post("/tokens/zabbix/revoke", url.Values{"csrf": {csrf}}); r.status != http.StatusSeeOther || r.loc != "/tokens?notice=token_revoked" {
			t.Fatalf("revoke: %d %q", r.status, r.loc)
		}
		b.post("/tokens/zabbix/revoke", url.Values{"csrf": {csrf}}).want(t, http.StatusNotFound)
		if _, err := e.auth.CheckToken(context.Background(), tok); err == nil {
			t.Error("revoked token still accepted")
		}
		got := trail(t, log, "token.")
		if strings.Join(got, "|") != "boss user token.create zabbix|boss user token.revoke zabbix" {
			t.Errorf("audit: %q", got)
		}
		es, _ := log.List(context.Background(), audit.Filter{Action: "token"})
		for _, en := range es {
			if strings.Contains(en.Detail, tok) || strings.Contains(en.Target, tok) {
				t.Error("the token itself reached the audit log")
			}
		}
	})
}

// TestProfile: every user sets their language and time zone; the zone
// writes the user's times, the language is their default (the switcher
// still changes it for a browser); bad values are refused, named.
func TestProfile(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, testConfig)
		log := e.withAudit()
		e.addUser("boss", auth.RoleAdmin)
		e.addUser("view", auth.RoleViewer)
		v := e.browser("192.0.2.130")
		v.login("view")
		page := v.get("/profile")
		page.want(t, http.StatusOK, "Your profile", `name="time_zone" value=""`, "the server&#39;s zone (UTC)", `href="/password"`, "reads everything, changes nothing")
		csrf := csrfRE.FindStringSubmatch(page.body)[1]
		v.post("/profile", url.Values{"language": {"ja"}, "time_zone": {"Asia/Tokyo"}}).want(t, http.StatusForbidden)
		v.post("/profile", url.Values{"csrf": {csrf}, "language": {"en"}, "time_zone": {"Asia/Tokio"}}).want(t, http.StatusUnprocessableEntity, "&#34;Asia/Tokio&#34; is not a time zone")
		v.post("/profile", url.Values{"csrf": {csrf}, "language": {"fr"}}).want(t, http.StatusUnprocessableEntity, "Unknown language.")
		if r := v.post("/profile", url.Values{"csrf": {csrf}, "language": {"ja"}, "time_zone": {"Asia/Tokyo"}}); r.status != http.StatusSeeOther || r.loc != "/profile?notice=profile_saved" {
			t.Fatalf("save: %d %q\n%s", r.status, r.loc, r.body)
		}
		// Japanese now, times in JST.
		r := v.get("/profile?notice=profile_saved")
		r.want(t, http.StatusOK, "プロフィールを保存しました。", `value="Asia/Tokyo"`, e.clock.Now().In(mustZone(t, "Asia/Tokyo")).Format("2006-01-02 15:04:05")+" JST")

		// A fresh browser: the profile's language after login, even against Accept-Language.
		f := e.browser("192.0.2.131")
		f.login("view")
		f.get("/", "Accept-Language", "ko").want(t, http.StatusOK, `<html lang="ja">`)
		// The switcher still changes it for this browser.
		f.get("/?lang=en").want(t, http.StatusOK, `<html lang="en">`)
		f.get("/").want(t, http.StatusOK, `<html lang="en">`)

		// Another user's times stay in the server's zone; the admin's
		// zone shows in the users page's times (last login).
		a := e.browser("192.0.2.132")
		a.login("boss")
		a.get("/users").want(t, http.StatusOK, e.clock.Now().UTC().Format("2006-01-02 15:04:05")+" UTC")
		acsrf := a.csrf()
		a.post("/profile", url.Values{"csrf": {acsrf}, "language": {""}, "time_zone": {"America/New_York"}})
		r = a.get("/users")
		ny := e.clock.Now().In(mustZone(t, "America/New_York"))
		r.want(t, http.StatusOK, ny.Format("2006-01-02 15:04:05")+" "+zoneLabel(ny))

		got := trail(t, log, "user.profile")
		if strings.Join(got, "|") != "view user user.profile view|boss user user.profile boss" {
			t.Errorf("audit: %q", got)
		}
	})
}

// TestAdminOnlyPages: call lists and event rules are edited by admins
// only; a responder still acts on alerts (quiet periods).
func TestAdminOnlyPages(t *testing.T) {
	t.Parallel()
	a := newAlertsEnv(t, storetest.New(t, store.SQLite), testConfig)
	a.addUser("boss", auth.RoleAdmin)
	a.addUser("resp", auth.RoleResponder)
	r := a.browser("192.0.2.140")
	r.login("resp")
	csrf := r.csrf()
	r.get("/alerts/systems/new").want(t, http.StatusForbidden, "Only an admin may do this.")
	r.post("/alerts/systems", url.Values{"csrf": {csrf}, "name": {"XYZ"}}).want(t, http.StatusForbidden)
	r.post("/alerts/systems/XYZ/delete", url.Values{"csrf": {csrf}}).want(t, http.StatusForbidden)
	r.get("/alerts/systems").wantNot(t, `href="/alerts/systems/new"`)
	r.get("/alerts/quiet").want(t, http.StatusOK)
	b := a.browser("192.0.2.141")
	b.login("boss")
	b.get("/alerts/systems/new").want(t, http.StatusOK)
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestUsersCatalogKeys: the keys the users, tokens and profile pages make
// from a role or scope name exist for every role and scope.
func TestUsersCatalogKeys(t *testing.T) {
	t.Parallel()
	var keys []string
	for _, r := range auth.Roles {
		keys = append(keys, "role."+r, "role."+r+"_rights")
	}
	for _, s := range auth.ScopeNames() {
		keys = append(keys, "scope."+s, "tokens.example."+s)
	}
	for _, k := range keys {
		if _, ok := catalog[k]; !ok {
			t.Errorf("no catalog entry %q", k)
		}
	}
}
