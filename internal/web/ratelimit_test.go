package web

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestLoginLimits: login attempts are limited per client address (IPv6
// clients by their /64) and per account; only failures count against an
// account.
func TestLoginLimits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, testConfig) // console.login_per_minute: 3
		e.addUser("alice", auth.RoleAdmin)
		e.addUser("bob", auth.RoleViewer)
		fail := func(ip, name string) *result {
			return e.browser(ip).post("/login", url.Values{"name": {name}, "password": {"guess guess"}, "lang": {"en"}})
		}

		t.Run("per account", func(t *testing.T) {
			// Three guesses at alice, each from another address…
			for i, ip := range []string{"192.0.2.1", "192.0.2.2", "2001:db8:1::1"} {
				if r := fail(ip, "alice"); r.status != http.StatusUnauthorized {
					t.Fatalf("guess %d: status %d", i, r.status)
				}
			}
			// …and the account takes no more, from anywhere, right or wrong.
			r := e.browser("192.0.2.3").post("/login", url.Values{"name": {"alice"}, "password": {password}, "lang": {"en"}})
			r.want(t, http.StatusTooManyRequests, "Too many login attempts")
			if got := r.header.Get("Retry-After"); got != "20" {
				t.Errorf("Retry-After %q, want 20 (3 a minute)", got)
			}
			// Other accounts are not affected, from the same addresses.
			e.browser("192.0.2.1").login("bob")
			e.clock.Advance(20 * time.Second)
			e.browser("192.0.2.3").login("alice")
		})

		t.Run("successful logins do not count", func(t *testing.T) {
			e.clock.Advance(time.Minute)
			for i := range 6 {
				e.browser("198.51.100." + itoa(int64(10+i))).login("bob")
			}
			if r := fail("198.51.100.30", "bob"); r.status != http.StatusUnauthorized {
				t.Fatalf("a guess after six logins: status %d", r.status)
			}
		})

		t.Run("IPv6 by /64", func(t *testing.T) {
			e.clock.Advance(time.Minute)
			// Three addresses of one /64, three accounts: one budget.
			for i, c := range []struct{ ip, name string }{
				{"2001:db8:aa:bb::1", "carol"}, {"2001:db8:aa:bb:ffff::2", "dave"}, {"2001:db8:aa:bb:1:2:3:4", "erin"},
			} {
				if r := fail(c.ip, c.name); r.status != http.StatusUnauthorized {
					t.Fatalf("guess %d: status %d", i, r.status)
				}
			}
			fail("2001:db8:aa:bb::99", "frank").want(t, http.StatusTooManyRequests, "Too many login attempts")
			// The next /64 has a budget of its own.
			if r := fail("2001:db8:aa:bc::1", "frank"); r.status != http.StatusUnauthorized {
				t.Fatalf("another /64: status %d", r.status)
			}
		})
	})
}

// TestAskLimitIPv6: the public form's limit holds an IPv6 client's /64 to
// one budget (intake.rate_per_minute 1, burst 3).
func TestAskLimitIPv6(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, testConfig)
		ask := func(ip string) *result {
			return e.browser(ip).post("/ask", url.Values{"question": {"How do I rotate IAM keys?"}, "lang": {"en"}})
		}
		for i, ip := range []string{"2001:db8:5:6::1", "2001:db8:5:6::2", "2001:db8:5:6:a:b:c:d"} {
			if r := ask(ip); r.status != http.StatusSeeOther {
				t.Fatalf("question %d: status %d", i, r.status)
			}
		}
		r := ask("2001:db8:5:6::3")
		r.want(t, http.StatusTooManyRequests)
		if got := r.header.Get("Retry-After"); got != "60" {
			t.Errorf("Retry-After %q, want 60", got)
		}
		if r := ask("2001:db8:5:7::1"); r.status != http.StatusSeeOther {
			t.Fatalf("another /64: status %d", r.status)
		}
		if n := e.countQuestions(); n != 4 {
			t.Fatalf("%d questions stored, want 4", n)
		}
	})
}
