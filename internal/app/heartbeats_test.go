package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/heartbeat"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestHeartbeatMissedPagesAndPingResolves: a monitor created through the
// API, pinged, then silent past interval + grace: the check job opens its
// alert, which calls the system's call list through Connect; the next
// ping resolves it.
func TestHeartbeatMissedPagesAndPingResolves(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			a := startAlertsApp(t, engine)
			ctx := context.Background()
			admin, err := a.s.App.Auth.CreateToken(ctx, "hb-admin", auth.ScopeAdmin)
			if err != nil {
				t.Fatal(err)
			}
			call := func(method, path, tok, body string) (int, []byte) {
				t.Helper()
				req, _ := http.NewRequest(method, a.s.URL+path, strings.NewReader(body))
				if tok != "" {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				raw, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, raw
			}
			if code, _ := call("POST", "/api/v1/heartbeat-monitors", a.tok, `{"name":"nightly","system":"XYZ","interval":"1h"}`); code != http.StatusForbidden && code != http.StatusUnauthorized {
				t.Fatalf("create with an ingest token: %d", code)
			}
			code, raw := call("POST", "/api/v1/heartbeat-monitors", admin, `{"name":"nightly","system":"XYZ","interval":"30s"}`)
			var bad map[string]string
			_ = json.Unmarshal(raw, &bad)
			if code != 400 || bad["field"] != "interval" {
				t.Fatalf("too short an interval: %d %s", code, raw)
			}
			code, raw = call("POST", "/api/v1/heartbeat-monitors", admin, `{"name":"nightly","system":"XYZ","interval":"1h","grace":"10m"}`)
			var created struct {
				Token   string `json:"token"`
				PingURL string `json:"ping_url"`
				State   string `json:"state"`
			}
			if err := json.Unmarshal(raw, &created); err != nil || code != 201 || created.State != "waiting" ||
				created.PingURL != "https://ops.example.com/api/v1/heartbeats/"+created.Token {
				t.Fatalf("create: %d %s", code, raw)
			}
			if code, _ := call("GET", "/api/v1/heartbeats/hb_"+strings.Repeat("x", 32), "", ""); code != 404 {
				t.Fatalf("unknown token: %d", code)
			}
			var actor, target string
			if err := a.s.App.St.R.QueryRow(`SELECT actor, target FROM audit_log WHERE action = 'heartbeat.create'`).Scan(&actor, &target); err != nil ||
				!strings.Contains(actor, "hb-admin") || target != "heartbeat nightly" {
				t.Fatalf("audit: %q %q %v", actor, target, err)
			}
			if code, _ := call("GET", "/api/v1/heartbeats/"+created.Token+"/start", "", ""); code != 404 {
				t.Fatalf("unknown status: %d", code)
			}
			if code, body := call("POST", "/api/v1/heartbeats/"+created.Token, "", "backup done"); code != 200 || string(body) != "OK\n" {
				t.Fatalf("ping: %d %s", code, body)
			}
			a.clk.Advance(70*time.Minute + time.Second)
			if _, err := a.s.App.Queue.Insert(ctx, app.HeartbeatCheckArgs{}, nil); err != nil {
				t.Fatal(err)
			}
			var al *alerts.Alert
			waitUntil(t, 20*time.Second, "the heartbeat alert", func() bool {
				list, err := a.svc.List(ctx, alerts.Filter{})
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range list {
					if x.DedupKey == "heartbeat/nightly" {
						al = x
						return true
					}
				}
				return false
			})
			if al.System != "XYZ" || !strings.HasPrefix(al.Summary, "Heartbeat nightly missed: no ping since ") {
				t.Fatalf("alert %+v", al)
			}
			calls := a.cn.WaitForCalls(t, 1, 20*time.Second)
			if calls[0].Number != satoPhone {
				t.Fatalf("called %+v", calls[0])
			}
			code, raw = call("GET", "/api/v1/heartbeat-monitors/nightly", admin, "")
			if code != 200 || !bytes.Contains(raw, []byte(`"state":"down"`)) || !bytes.Contains(raw, []byte(`"pings":[{`)) || bytes.Contains(raw, []byte(created.Token)) {
				t.Fatalf("get: %d %s", code, raw)
			}
			if code, _ := call("GET", "/api/v1/heartbeats/"+created.Token+"/0", "", ""); code != 200 {
				t.Fatalf("ping: %d", code)
			}
			a.waitStatus(al.ID, alerts.StatusResolved)
			if code, _ := call("DELETE", "/api/v1/heartbeat-monitors/nightly", admin, ""); code != 204 {
				t.Fatalf("delete: %d", code)
			}
			if code, _ := call("GET", "/api/v1/heartbeats/"+created.Token, "", ""); code != 404 {
				t.Fatalf("ping after delete: %d", code)
			}
		})
	}
}

// TestHeartbeatPingNotLogged: the request log writes a ping's route
// pattern, never its token, also for /fail.
func TestHeartbeatPingNotLogged(t *testing.T) {
	cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, "sqlite") + `
data_dir: ` + t.TempDir() + `
`))
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	s := apptest.StartWith(t, cfg, nil, func(o *app.Options) {
		o.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, tok, err := s.App.Heartbeats().Create(context.Background(), heartbeat.Input{Name: "etl", System: "XYZ", Interval: time.Hour}, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/heartbeats/" + tok, "/api/v1/heartbeats/" + tok + "/fail"} {
		resp, err := http.Post(s.URL+path, "text/plain", strings.NewReader("output"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	l := logs.String()
	if strings.Contains(l, tok) || !strings.Contains(l, "/api/v1/heartbeats/{token}/{status}") || !strings.Contains(l, "POST /api/v1/heartbeats/{token}") {
		t.Fatalf("log:\n%s", l)
	}
}
