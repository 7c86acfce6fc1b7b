package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestCaseSyncJob starts opsdesk with an AWS account pointed at the fake
// Support API and checks that the periodic job archives every case with
// all its messages, on both engines.
func TestCaseSyncJob(t *testing.T) {
	f := fake.NewSupport(t)
	data := fake.SupportGen{Cases: 120, Seed: 11, NoAttachments: true}.Generate()
	f.Load(data)
	want := 0
	for _, c := range data {
		want += len(c.Communications)
	}
	// The SDK's default credential chain reads the process environment.
	t.Setenv("AWS_ACCESS_KEY_ID", f.AccessKeyID())
	t.Setenv("AWS_SECRET_ACCESS_KEY", f.SecretAccessKey())
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
aws:
  accounts:
    - {name: prod, languages: [en, ja, zh, ko]}
`))
			if err != nil {
				t.Fatal(err)
			}
			s := apptest.Start(t, cfg, map[string]string{"AWS_ENDPOINT_URL_SUPPORT": f.URL()})
			deadline := time.Now().Add(60 * time.Second)
			for {
				var n, msgs, waiting int
				_ = s.App.St.R.QueryRow(`SELECT count(*) FROM cases`).Scan(&n)
				_ = s.App.St.R.QueryRow(`SELECT count(*) FROM case_communications`).Scan(&msgs)
				_ = s.App.St.R.QueryRow(`SELECT count(*) FROM cases WHERE needs_comms = 1`).Scan(&waiting)
				if n == len(data) && msgs == want && waiting == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after 60s: %d/%d cases, %d/%d messages, %d cases waiting", n, len(data), msgs, want, waiting)
				}
				time.Sleep(50 * time.Millisecond)
			}

			// The archive API: token required, search in any language,
			// one case with its whole thread.
			get := func(path, tok string) (int, map[string]any) {
				req, _ := http.NewRequest("GET", s.URL+path, nil)
				if tok != "" {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var m map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&m)
				return resp.StatusCode, m
			}
			if code, _ := get("/api/v1/cases", ""); code != http.StatusUnauthorized {
				t.Errorf("no token: %d", code)
			}
			tok, err := s.App.Auth.CreateToken(context.Background(), "reader", auth.ScopeReadCases)
			if err != nil {
				t.Fatal(err)
			}
			wantHits := 0
			for _, c := range data {
				hit := strings.Contains(c.Subject, "障害")
				for _, m := range c.Communications {
					hit = hit || strings.Contains(m.Body, "障害")
				}
				if hit {
					wantHits++
				}
			}
			code, body := get("/api/v1/cases?limit=500&q="+url.QueryEscape("障害"), tok)
			list, _ := body["cases"].([]any)
			if code != 200 || wantHits == 0 || len(list) != wantHits {
				t.Errorf("search 障害: %d, %d hits; want %d", code, len(list), wantHits)
			}
			if code, body := get("/api/v1/cases?from=yesterday", tok); code != 400 || body["field"] != "from" {
				t.Errorf("bad from: %d %v", code, body)
			}
			c := data[0]
			code, body = get("/api/v1/cases/"+c.CaseID, tok)
			msgs, _ := body["communications"].([]any)
			if code != 200 || body["subject"] != c.Subject || len(msgs) != len(c.Communications) {
				t.Errorf("case %s: %d subject %v, %d messages; want %d", c.CaseID, code, body["subject"], len(msgs), len(c.Communications))
			}
			if code, _ := get("/api/v1/cases/case-nope", tok); code != 404 {
				t.Errorf("unknown case: %d", code)
			}
		})
	}
}
