package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestEscalationSurvivesSIGKILL kills opsdesk twice in the middle of a
// phone escalation: first while Connect is taking the request for the
// first call (Connect placed the call; opsdesk never heard the answer),
// then while the second call rings. Each restart goes on at the right
// step: the first call is requested again with the same ClientToken, so
// Connect places no second call; its outcome (no answer) moves on to the
// second person, whose key 1 acknowledges the alert. Two people, two
// calls, nobody called twice.
func TestEscalationSurvivesSIGKILL(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			clk := &fakeClock{t: time.Now().UTC()}
			cn := fake.NewConnect(t, fake.WithClock(clk.Now))
			cn.Script("+819011110001", fake.NoAnswer())
			cn.Script("+819022220002", fake.Answer("1"))
			db := storetest.DatabaseURL(t, engine)
			cfg := writeConfig(t, db, `alerts:
  connect:
    instance_id: `+cn.InstanceID()+`
    contact_flow_id: `+cn.ContactFlowID()+`
    source_phone: "`+cn.SourcePhone()+`"
    region: `+cn.Region()+`
    rate_per_second: 100
    poll_interval: 1s
  systems:
    - name: XYZ
      rounds: 1
      contacts:
        - {name: Sato, phone: "+819011110001"}
        - {name: Suzuki, phone: "+819022220002"}
`)
			env := []string{
				"AWS_ENDPOINT_URL_CONNECT=" + cn.URL(), "AWS_ACCESS_KEY_ID=" + fake.ConnectAccessKeyID,
				"AWS_SECRET_ACCESS_KEY=" + fake.ConnectSecretAccessKey, "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
			}
			addr := freeAddr(t)
			p := startProc(t, cfg, addr, env...)

			// The first StartOutboundVoiceContact kills opsdesk before Connect
			// answers it.
			var mu sync.Mutex
			victim := p
			var once sync.Once
			cn.OnCall(func(c fake.ConnectCall) {
				once.Do(func() {
					mu.Lock()
					v := victim
					mu.Unlock()
					_ = v.cmd.Process.Signal(syscall.SIGKILL)
					<-v.exited
				})
			})
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
			select {
			case <-p.exited:
			case <-time.After(30 * time.Second):
				t.Fatal("the first call was never requested")
			}
			if n := len(cn.Calls()); n != 1 {
				t.Fatalf("%d calls before the restart", n)
			}

			// Restart: the interrupted placement runs again (same token,
			// no new call) and the escalation follows Sato's call.
			p = startProc(t, cfg, addr, env...)
			waitFor(t, 60*time.Second, "the first call recorded after the restart", func() bool {
				var id string
				_ = st.R.QueryRow(`SELECT contact_id FROM alert_calls WHERE phone = '+819011110001'`).Scan(&id)
				return id == cn.Calls()[0].ContactID
			})
			if got := cn.OpCount("StartOutboundVoiceContact"); got != 2 {
				t.Errorf("%d StartOutboundVoiceContact requests, want 2", got)
			}
			clk.Advance(61 * time.Second) // Sato's phone rang out
			cn.WaitForCalls(t, 2, 30*time.Second)

			// Kill again while Suzuki's call is in progress.
			waitFor(t, 30*time.Second, "the second call recorded", func() bool {
				var n int
				_ = st.R.QueryRow(`SELECT count(*) FROM alert_calls WHERE phone = '+819022220002' AND contact_id <> ''`).Scan(&n)
				return n == 1
			})
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-p.exited
			clk.Advance(45 * time.Second) // Suzuki pressed 1 and hung up
			startProc(t, cfg, addr, env...)
			waitFor(t, 60*time.Second, "the alert acknowledged", func() bool {
				var status string
				_ = st.R.QueryRow(`SELECT status FROM alerts`).Scan(&status)
				return status == "acknowledged"
			})

			calls := cn.Calls()
			if len(calls) != 2 || calls[0].Number != "+819011110001" || calls[1].Number != "+819022220002" {
				t.Fatalf("calls %+v", calls)
			}
			if got := cn.OpCount("StartOutboundVoiceContact"); got != 3 {
				t.Errorf("%d StartOutboundVoiceContact requests, want 3", got)
			}
			rows, err := st.R.Query(`SELECT callee, contact_id, outcome FROM alert_calls ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var callee, contact, outcome string
				_ = rows.Scan(&callee, &contact, &outcome)
				got = append(got, callee+"/"+outcome)
				if contact == "" {
					t.Errorf("call of %s has no contact id", callee)
				}
			}
			rows.Close()
			if strings.Join(got, ",") != "Sato/no_answer,Suzuki/acknowledged" {
				t.Errorf("call history %v", got)
			}
			var acked string
			_ = st.R.QueryRow(`SELECT acked_by FROM alerts`).Scan(&acked)
			if acked != "Suzuki (phone)" {
				t.Errorf("acked by %q", acked)
			}
		})
	}
}

// createToken creates an integration token directly in the database the
// process uses.
func createToken(t *testing.T, st *store.Store) string {
	t.Helper()
	tok, err := auth.New(st, time.Now).CreateToken(context.Background(), "monitoring", auth.ScopeIngestAlerts)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
