package main

import (
	"context"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestPolicySurvivesSIGKILL kills opsdesk while an escalation policy's
// second step is posting to its chat destination (the destination took the
// post; opsdesk never heard the answer), and restarts it. The first step is
// not repeated, the interrupted post is not sent again (at most once: it is
// "unknown" on the timeline), and the third step runs once, on time.
func TestPolicySurvivesSIGKILL(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			hooks := map[string]*fake.Webhook{}
			for _, n := range []string{"first", "second", "third"} {
				hooks[n] = fake.NewWebhook(t)
			}
			hooks["second"].SetDelay(20 * time.Second)
			db := storetest.DatabaseURL(t, engine)
			cfg := writeConfig(t, db, `destinations:
  - {name: first, type: webhook, url: '`+hooks["first"].URL()+`'}
  - {name: second, type: webhook, url: '`+hooks["second"].URL()+`'}
  - {name: third, type: webhook, url: '`+hooks["third"].URL()+`'}
oncall:
  policies:
    - name: chain
      rounds: 1
      steps:
        - {targets: ["chat:first"], after: 1s}
        - {targets: ["chat:second"], after: 3s}
        - {targets: ["chat:third"], after: 1h}
alerts:
  systems:
    - name: XYZ
      routes:
        - {policy: chain}
`)
			addr := freeAddr(t)
			p := startProc(t, cfg, addr)
			st, err := store.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			tok := createToken(t, st)
			req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/alerts",
				strings.NewReader(`{"alertinfo":[{"host":"server1","service":"CPU Utilization","lastcheck":"2023-10-03 13:20:52","systemname":"XYZ"}]}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("alert: %d", resp.StatusCode)
			}
			hooks["first"].WaitForUnique(t, 1, 30*time.Second)
			waitFor(t, 30*time.Second, "the second step's post to arrive", func() bool { return hooks["second"].RequestCount() == 1 })
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-p.exited
			startProc(t, cfg, addr)
			hooks["third"].WaitForUnique(t, 1, 60*time.Second)
			waitFor(t, 30*time.Second, "the interrupted post recorded as unknown", func() bool {
				var status string
				_ = st.R.QueryRow(`SELECT status FROM alert_pages WHERE destination = 'second'`).Scan(&status)
				return status == "unknown"
			})
			// Nothing is left to send: no page waits or is under way (the
			// third post is recorded a moment after it arrived).
			waitFor(t, 30*time.Second, "every page settled", func() bool {
				var left int
				_ = st.R.QueryRow(`SELECT count(*) FROM alert_pages WHERE status IN ('pending', 'sending', 'ringing')`).Scan(&left)
				return left == 0
			})
			for n, want := range map[string]int{"first": 1, "second": 1, "third": 1} {
				if got := hooks[n].RequestCount(); got != want {
					t.Errorf("%s got %d posts, want %d", n, got, want)
				}
			}
			var steps, pages int
			_ = st.R.QueryRow(`SELECT count(*) FROM alert_log WHERE kind = 'step'`).Scan(&steps)
			_ = st.R.QueryRow(`SELECT count(*) FROM alert_pages`).Scan(&pages)
			if steps != 3 || pages != 3 {
				t.Errorf("%d step entries and %d pages, want 3 and 3", steps, pages)
			}
		})
	}
}
