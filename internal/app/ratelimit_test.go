package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// limitClock is the clock both replicas share in TestFleetWideLimits.
type limitClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *limitClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *limitClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type answer struct {
	status int
	retry  string
}

func send(t *testing.T, method, u, xff, ctype, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("X-Forwarded-For", xff)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return answer{resp.StatusCode, resp.Header.Get("Retry-After")}
}

// TestFleetWideLimits: two opsdesk replicas on one PostgreSQL database hold
// the question limit (intake.rate_per_minute 1, burst 5) and the login
// limit (console.login_per_minute 3) together: requests spread over both
// get exactly the configured number through, the rest 429 with the
// Retry-After of the fleet's bucket.
func TestFleetWideLimits(t *testing.T) {
	t.Parallel()
	db := storetest.DatabaseURL(t, store.Postgres)
	clk := &limitClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	var replicas []*apptest.Server
	for range 2 {
		cfg, err := config.Parse([]byte(`
database: ` + db + `
data_dir: ` + t.TempDir() + `
log_level: error
trusted_proxies: [127.0.0.1]
intake: {rate_per_minute: 1, burst: 5}
console: {login_per_minute: 3}
`))
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, apptest.StartWith(t, cfg, nil, func(o *app.Options) { o.Now = clk.Now }))
	}
	question := func(i int, ip string) answer {
		return send(t, "POST", replicas[i%2].URL+"/api/v1/questions", ip, "application/json", `{"question":"How do I rotate IAM keys?"}`)
	}

	// 12 questions from one address at once, spread over both replicas.
	const n = 12
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i] = question(i, "203.0.113.5") })
	}
	wg.Wait()
	accepted := 0
	for i, a := range answers {
		switch {
		case a.status == http.StatusAccepted:
			accepted++
		case a.status != http.StatusTooManyRequests || a.retry != "60":
			t.Errorf("question %d: %d, Retry-After %q; want 202, or 429 with 60", i, a.status, a.retry)
		}
	}
	if accepted != 5 {
		t.Fatalf("%d of %d questions accepted, want the burst of 5", accepted, n)
	}
	// The public form is the same budget, on either replica.
	for i, r := range replicas {
		a := send(t, "POST", r.URL+"/ask", "203.0.113.5", "application/x-www-form-urlencoded", url.Values{"question": {"and the form?"}}.Encode())
		if a.status != http.StatusTooManyRequests || a.retry != "60" {
			t.Errorf("/ask on replica %d: %d, Retry-After %q; want 429 with 60", i, a.status, a.retry)
		}
	}
	// Another address has its own budget.
	if a := question(0, "198.51.100.7"); a.status != http.StatusAccepted {
		t.Fatalf("another address: %d", a.status)
	}
	// A minute later the fleet has one more, whichever replica is asked.
	clk.Advance(time.Minute)
	if a := question(1, "203.0.113.5"); a.status != http.StatusAccepted {
		t.Fatalf("a minute later: %d", a.status)
	}
	if a := question(0, "203.0.113.5"); a.status != http.StatusTooManyRequests || a.retry != "60" {
		t.Fatalf("then: %d, Retry-After %q; want 429 with 60", a.status, a.retry)
	}
	var stored int
	if err := replicas[0].App.St.R.QueryRow(`SELECT count(*) FROM questions`).Scan(&stored); err != nil || stored != 7 {
		t.Fatalf("%d questions stored (%v), want 7", stored, err)
	}

	// Logins: three wrong guesses at admin, alternating replicas and
	// addresses, and the account takes no more on either replica.
	login := func(i int, ip, pw string) answer {
		return send(t, "POST", replicas[i%2].URL+"/login", ip, "application/x-www-form-urlencoded", url.Values{"name": {"admin"}, "password": {pw}}.Encode())
	}
	for i, ip := range []string{"192.0.2.1", "192.0.2.2", "2001:db8::1"} {
		if a := login(i, ip, "wrong guess"); a.status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, a.status)
		}
	}
	for i := range replicas {
		if a := login(i, "192.0.2.9", replicas[0].Password); a.status != http.StatusTooManyRequests || a.retry != "20" {
			t.Fatalf("replica %d after three guesses: %d, Retry-After %q; want 429 with 20", i, a.status, a.retry)
		}
	}
	// Twenty seconds later one more attempt is due: the right password
	// gets in (and, as a success, does not count).
	clk.Advance(20 * time.Second)
	if a := login(1, "192.0.2.10", replicas[0].Password); a.status != http.StatusSeeOther {
		t.Fatalf("login after 20 s: %d", a.status)
	}
}
