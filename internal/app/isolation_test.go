package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestCriticalPathIsolation is issue 10's first point at test scale: one
// destination hangs past the delivery timeout with a backlog of questions
// queued for it, and still a new alert's first call comes within a second
// and questions reach a healthy destination within half a second. (The
// benchmark BenchmarkIsolation in bench/alerts measures the same with a 40-second hang and
// 1,000 questions.)
func TestCriticalPathIsolation(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			cn := fake.NewConnect(t)
			cn.SetDefault(fake.Answer("1")) // every call is acknowledged at once
			slow := fake.NewWebhook(t)
			slow.SetDelay(time.Minute) // longer than the delivery timeout: every send times out
			ok := fake.NewWebhook(t)
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
log_level: error
intake: {rate_per_minute: 0}
deliveries: {timeout: 2s, workers: 8}
destinations:
  - {name: slow, type: webhook, url: '` + slow.URL() + `'}
  - {name: ok, type: webhook, url: '` + ok.URL() + `'}
routes:
  questions: [slow, ok]
alerts:
` + connectYAML(cn) + `  systems:
    - name: XYZ
      contacts: [{name: Sato, phone: "+819011110001"}]
`))
			if err != nil {
				t.Fatal(err)
			}
			env := connectEnv(cn)
			s := apptest.Start(t, cfg, env)
			tok, err := s.App.Auth.CreateToken(context.Background(), "monitoring", auth.ScopeIngestAlerts)
			if err != nil {
				t.Fatal(err)
			}
			calledAt := map[string]time.Time{}
			var mu sync.Mutex
			cn.OnCall(func(c fake.ConnectCall) {
				mu.Lock()
				calledAt[c.Attributes["host"]] = time.Now()
				mu.Unlock()
			})

			// The backlog: 300 questions, every one of them queued for the
			// destination that hangs.
			const backlog = 300
			var wg sync.WaitGroup
			sem := make(chan struct{}, 16)
			for i := range backlog {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					postQuestion(t, s.URL, fmt.Sprintf("backlog question %d", i))
				}()
			}
			wg.Wait()
			// The healthy destination has its share of the backlog; the one
			// that hangs has started on its share (and will not finish it
			// within the test): its workers are all held.
			ok.WaitForUnique(t, backlog, 30*time.Second)
			slow.WaitForRequests(t, 2, 10*time.Second)

			// Now, one after the other: new alerts and new questions.
			const n = 10
			alertPosted := map[string]time.Time{}
			var questionLat []time.Duration
			for i := range n {
				host := fmt.Sprintf("host-%d", i)
				alertPosted[host] = postAlert(t, s.URL, tok, host)
				text := fmt.Sprintf("fresh question %d", i)
				answered := postQuestion(t, s.URL, text)
				got := waitDelivered(t, ok, text, 5*time.Second)
				questionLat = append(questionLat, got.Sub(answered))
			}
			cn.WaitForCalls(t, n, 10*time.Second)
			var callLat []time.Duration
			mu.Lock()
			for host, posted := range alertPosted {
				at, called := calledAt[host]
				if !called {
					t.Fatalf("alert for %s: no call", host)
				}
				callLat = append(callLat, at.Sub(posted))
			}
			mu.Unlock()
			slices.Sort(callLat)
			slices.Sort(questionLat)
			t.Logf("first call after the 202: %v", callLat)
			t.Logf("healthy destination after the 202: %v", questionLat)
			if worst := callLat[len(callLat)-1]; worst > time.Second {
				t.Errorf("a first call came %v after its alert, want ≤ 1s while a destination hangs", worst)
			}
			if worst := questionLat[len(questionLat)-1]; worst > 500*time.Millisecond {
				t.Errorf("a question reached the healthy destination %v after its 202, want ≤ 500ms", worst)
			}
			// The hanging destination held only its own workers: at most
			// deliveries.per_destination (a quarter of 8) at once.
			if got := maxConcurrent(slow.Requests(), 2*time.Second); got > 2 {
				t.Errorf("the hanging destination had %d requests in flight at once, want ≤ 2", got)
			}
		})
	}
}

// postQuestion posts a question and returns when its 202 was read.
func postQuestion(t *testing.T, base, text string) time.Time {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"project": "AWS-101", "name": "Yamada", "question": text})
	resp, err := http.Post(base+"/api/v1/questions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return time.Time{}
	}
	resp.Body.Close()
	at := time.Now()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("question: %d", resp.StatusCode)
	}
	return at
}

// postAlert opens an alert for host and returns when its 202 was read.
func postAlert(t *testing.T, base, tok, host string) time.Time {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/alerts", bytes.NewReader([]byte(`{"system":"XYZ","dedup_key":"`+host+`","summary":"down","host":"`+host+`"}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	at := time.Now()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("alert: %d", resp.StatusCode)
	}
	return at
}

// waitDelivered waits for the webhook to receive the question with this
// text and returns when it did.
func waitDelivered(t *testing.T, hook *fake.Webhook, text string, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, r := range hook.Requests() {
			var p fake.WebhookPayload
			if json.Unmarshal(r.Body, &p) == nil && p.Question.Text == text {
				return r.At
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("%q not delivered within %v", text, timeout)
	return time.Time{}
}

// maxConcurrent is the most requests in flight at once, each taken to last
// d from its arrival (the delivery timeout: every request to a hanging
// destination is cut off then).
func maxConcurrent(reqs []fake.Request, d time.Duration) int {
	type ev struct {
		at    time.Time
		delta int
	}
	var evs []ev
	for _, r := range reqs {
		evs = append(evs, ev{r.At, 1}, ev{r.At.Add(d - 50*time.Millisecond), -1})
	}
	slices.SortFunc(evs, func(a, b ev) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	cur, best := 0, 0
	for _, e := range evs {
		cur += e.delta
		best = max(best, cur)
	}
	return best
}
