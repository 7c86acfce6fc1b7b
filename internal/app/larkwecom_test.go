package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/delivery"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/notify/notifytest"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestLarkWeComEndToEnd sends a question from the public form, an AWS event
// matched by a notify rule and an alert nobody can be called for, all with
// hostile text, to a signed Lark bot and a WeCom robot, and checks what the
// fakes received over HTTP.
func TestLarkWeComEndToEnd(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			const secret = "lark-signing-secret-0123"
			lark := fake.NewLark(t, fake.WithSecret(secret), fake.WithKeyword("opsdesk"))
			wecom := fake.NewWeCom(t)
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
base_url: https://ops.example.com
intake: {rate_per_minute: 0}
deliveries: {timeout: 2s}
destinations:
  - {name: feishu, type: lark, url: '` + lark.URL() + `', secret_env: LARK_SECRET}
  - {name: wecom, type: wecom, url_env: WECOM_URL}
routes:
  questions: [feishu, wecom]
events:
  rules:
    - name: hostile
      pattern: {source: [custom.hostile]}
      actions:
        - {type: notify, destination: feishu, title: '{{field "detail.title"}}', template: '{{field "detail.text"}}'}
        - {type: notify, destination: wecom, title: '{{field "detail.title"}}', template: '{{field "detail.text"}}'}
alerts:
  systems:
    - name: XYZ
      contacts: [{name: Sato, phone: "+819011110001"}]
      notify: [feishu, wecom]
`))
			if err != nil {
				t.Fatal(err)
			}
			s := apptest.Start(t, cfg, map[string]string{"LARK_SECRET": secret, "WECOM_URL": wecom.URL()})
			line, text := notifytest.Line(), notifytest.Text()
			own := "[Open in console](https://ops.example.com/"

			received := func(kind string, n int, want []string) {
				t.Helper()
				lark.WaitFor(t, n, 20*time.Second)
				wecom.WaitFor(t, n, 20*time.Second)
				m := lark.Messages()[n-1]
				notifytest.CheckLark(t, kind, m, want)
				if m.Sign != fake.LarkSign(secret, m.Timestamp) {
					t.Errorf("%s: lark sign %q", kind, m.Sign)
				}
				if len(m.Buttons) != 1 || len(m.Buttons[0]) < len("https://ops.example.com/") || m.Buttons[0][:len("https://ops.example.com/")] != "https://ops.example.com/" {
					t.Errorf("%s: lark buttons %q", kind, m.Buttons)
				}
				notifytest.CheckWeCom(t, kind, wecom.Messages()[n-1], want, own)
			}

			short := "[点击](https://e.example/p) ![](https://e.example/i.png) @all <at user_id=\"all\"></at> <@U1> 山田"
			body, _ := json.Marshal(map[string]string{"project": short, "name": short, "question": text})
			code, m := postJSON(t, s.URL+"/api/v1/questions", string(body))
			if code != http.StatusAccepted {
				t.Fatalf("question: %d %v", code, m)
			}
			ds := apptest.WaitFinal(t, s.App.St, m["id"], 20*time.Second)
			for _, name := range []string{"feishu", "wecom"} {
				if d := ds[name]; d == nil || d.Status != delivery.StatusDelivered || d.Attempts != 1 {
					t.Fatalf("question to %s: %+v", name, d)
				}
			}
			received("question", 1, []string{text, short})

			tok, err := s.App.Auth.CreateToken(context.Background(), "events", auth.ScopeIngestEvents, auth.ScopeIngestAlerts)
			if err != nil {
				t.Fatal(err)
			}
			ev, _ := json.Marshal(map[string]any{
				"version": "0", "id": "hostile-1", "detail-type": "Hostile " + line, "source": "custom.hostile",
				"account": "123456789012", "time": "2026-11-21T09:00:00Z", "region": "ap-northeast-1", "resources": []string{},
				"detail": map[string]string{"title": line, "text": text},
			})
			if code, _ := postWithToken(t, s.URL+"/api/v1/events", tok, ev); code != http.StatusAccepted {
				t.Fatalf("event: %d", code)
			}
			received("event", 2, []string{text, line})

			al, _ := json.Marshal(map[string]any{"system": "XYZ", "dedup_key": "hostile", "summary": line, "host": line, "service": line, "details": text})
			if code, _ := postWithToken(t, s.URL+"/api/v1/alerts", tok, al); code != http.StatusAccepted {
				t.Fatalf("alert: %d", code)
			}
			received("alert", 3, []string{text, line})
			if tmpl := lark.Messages()[2].Template; tmpl == "" {
				t.Errorf("alert card has no header template")
			}
		})
	}
}
