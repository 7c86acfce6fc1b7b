package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestIncidentsEndToEnd: alerts.systems[].group_by from the config file
// groups an Alertmanager notification's alerts into one incident that
// phones once; "ack N" in chat on an alert that joined the incident
// acknowledges the incident, its leader (whose call is hung up) and the
// rest.
func TestIncidentsEndToEnd(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			clk := &alertClock{t: time.Now().UTC().Truncate(time.Second)}
			cn := fake.NewConnect(t, fake.WithClock(clk.Now))
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
base_url: https://ops.example.com
intake: {rate_per_minute: 0}
alerts:
  timezone: Asia/Tokyo
` + connectYAML(cn) + `  systems:
    - name: XYZ
      contacts:
        - {name: Sato, phone: "` + satoPhone + `", language: ja}
      rounds: 2
      group_by: [groupKey]
`))
			if err != nil {
				t.Fatal(err)
			}
			s := apptest.StartWith(t, cfg, connectEnv(cn), func(o *app.Options) { o.Now = clk.Now })
			tok, err := s.App.Auth.CreateToken(context.Background(), "monitoring", auth.ScopeIngestAlerts)
			if err != nil {
				t.Fatal(err)
			}
			a := &alertsApp{t: t, s: s, cn: cn, clk: clk, tok: tok, svc: s.App.Alerts()}
			ctx := context.Background()
			var items []string
			for i := range 5 {
				items = append(items, fmt.Sprintf(`{"status":"firing","labels":{"alertname":"HostDown","system":"XYZ","instance":"web%d"},"fingerprint":"fp%d"}`, i, i))
			}
			code, m := a.post("/api/v1/alerts/alertmanager", "application/json",
				[]byte(`{"version":"4","groupKey":"{}:{alertname=\"HostDown\"}","status":"firing","alerts":[`+strings.Join(items, ",")+`]}`))
			if code != 202 {
				t.Fatalf("post: %d %v", code, m)
			}
			var ids []int64
			for _, x := range m["alerts"].([]any) {
				ids = append(ids, int64(x.(map[string]any)["id"].(float64)))
			}
			calls := cn.WaitForCalls(t, 1, 15*time.Second)
			if calls[0].Attributes["alert_id"] != fmt.Sprint(ids[0]) {
				t.Errorf("the call is for alert %s, want the first, %d", calls[0].Attributes["alert_id"], ids[0])
			}
			list, err := a.svc.Incidents(ctx, alerts.IncidentFilter{})
			if err != nil || len(list) != 1 || list[0].Alerts != 5 || list[0].LeaderAlertID != ids[0] {
				t.Fatalf("incidents %v %v", list, err)
			}
			reply, err := s.App.AckAlert(ctx, fmt.Sprint(ids[3]), "zhang")
			if err != nil || !strings.Contains(reply, "acknowledged") {
				t.Fatalf("chat ack: %q %v", reply, err)
			}
			for _, id := range ids {
				if al := a.waitStatus(id, alerts.StatusAcknowledged); al.AckedBy != "zhang (chat)" {
					t.Errorf("alert %d acked by %q", id, al.AckedBy)
				}
			}
			if in, err := a.svc.Incident(ctx, list[0].ID); err != nil || in.Status != alerts.IncidentAcknowledged {
				t.Fatalf("incident %+v %v", in, err)
			}
			if c, _ := cn.Contact(calls[0].ContactID); !c.Stopped {
				t.Error("the leader's call was not hung up")
			}
			a.step(5 * time.Minute)
			if n := len(cn.Calls()); n != 1 {
				t.Errorf("%d calls after the acknowledgement, want 1", n)
			}
		})
	}
}
