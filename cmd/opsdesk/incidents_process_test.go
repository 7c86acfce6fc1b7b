package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestIncidentTwoProcesses: two opsdesk processes on one PostgreSQL
// database receive 50 Alertmanager notifications of one group at once,
// half each. They make one incident of 50 alerts and one escalation: one
// phone call, for the incident's first alert, and no escalation state for
// any other.
func TestIncidentTwoProcesses(t *testing.T) {
	t.Parallel()
	cn := fake.NewConnect(t)
	cn.SetDefault(fake.Answer("1").Ring(time.Second).PressAfter(time.Second).Talk(time.Second))
	db := storetest.DatabaseURL(t, store.Postgres)
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
      group_by: [groupKey]
`)
	env := []string{
		"AWS_ENDPOINT_URL_CONNECT=" + cn.URL(), "AWS_ACCESS_KEY_ID=" + fake.ConnectAccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + fake.ConnectSecretAccessKey, "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
	}
	// The first process migrates; the second starts on the migrated database.
	a := startProc(t, cfg, freeAddr(t), env...)
	b := startProc(t, cfg, freeAddr(t), env...)
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tok := createToken(t, st)

	const n = 50
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			p := []*proc{a, b}[i%2]
			body := fmt.Sprintf(`{"version":"4","groupKey":"{}:{alertname=\"HostDown\"}","status":"firing","receiver":"opsdesk",
				"alerts":[{"status":"firing","labels":{"alertname":"HostDown","system":"XYZ","instance":"web%02d"},"fingerprint":"fp%02d"}]}`, i, i)
			req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+"/api/v1/alerts/alertmanager", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	close(start)
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusAccepted {
			t.Fatalf("notification %d: %d", i, c)
		}
	}
	var incidents, members int
	var leader int64
	if err := st.R.QueryRow(`SELECT count(*), max(leader_alert_id) FROM alert_incidents`).Scan(&incidents, &leader); err != nil {
		t.Fatal(err)
	}
	if err := st.R.QueryRow(`SELECT count(*) FROM alerts WHERE incident_id > 0`).Scan(&members); err != nil {
		t.Fatal(err)
	}
	if incidents != 1 || members != n {
		t.Fatalf("%d incidents, %d alerts in one, want 1 and %d", incidents, members, n)
	}
	waitFor(t, 60*time.Second, "the leader's call acknowledged", func() bool {
		var status string
		_ = st.R.QueryRow(`SELECT status FROM alert_incidents`).Scan(&status)
		return status == "acknowledged"
	})
	var others int
	if err := st.R.QueryRow(`SELECT (SELECT count(*) FROM alert_escalations WHERE alert_id <> $1) + (SELECT count(*) FROM alert_calls WHERE alert_id <> $1)`, leader).Scan(&others); err != nil {
		t.Fatal(err)
	}
	calls := cn.Calls()
	if others != 0 || len(calls) != 1 || calls[0].Attributes["alert_id"] != fmt.Sprint(leader) {
		t.Fatalf("escalation rows of other alerts: %d; calls %+v (leader %d)", others, calls, leader)
	}
	// Key 1 on the leader's call acknowledged every alert of the incident.
	waitFor(t, 30*time.Second, "every alert acknowledged", func() bool {
		var open int
		_ = st.R.QueryRow(`SELECT count(*) FROM alerts WHERE status <> 'acknowledged'`).Scan(&open)
		return open == 0
	})
}
