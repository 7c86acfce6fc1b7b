package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/delivery"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// sinks are the five destination fakes one test run talks to.
type sinks struct {
	teams    *fake.Teams
	backlog  *fake.Backlog
	dingtalk *fake.DingTalk
	slack    *fake.Slack
	webhook  *fake.Webhook
}

func newSinks(t *testing.T) *sinks {
	return &sinks{
		teams:    fake.NewTeams(t),
		backlog:  fake.NewBacklog(t, fake.WithProject(42, "TRAIN")),
		dingtalk: fake.NewDingTalk(t, fake.WithSecret("SECdingtalk-secret")),
		slack:    fake.NewSlack(t),
		webhook:  fake.NewWebhook(t, fake.WithSecret("webhook-secret")),
	}
}

func (s *sinks) config(t *testing.T, database string) (*config.Config, map[string]string) {
	t.Helper()
	env := map[string]string{
		"BACKLOG_KEY":     s.backlog.APIKey(),
		"DINGTALK_SECRET": "SECdingtalk-secret",
		"WEBHOOK_SECRET":  "webhook-secret",
	}
	y := `
addr: 127.0.0.1:0
database: ` + database + `
base_url: https://opsdesk.example.com
intake:
  rate_per_minute: 0
deliveries:
  timeout: 2s
destinations:
  - {name: teams, type: teams, url: '` + s.teams.URL() + `'}
  - {name: backlog, type: backlog, base_url: '` + s.backlog.URL() + `', api_key_env: BACKLOG_KEY, project_id: 42, issue_type_id: 7, priority_id: 3, milestone_ids: [5]}
  - {name: dingtalk, type: dingtalk, url: '` + s.dingtalk.URL() + `', secret_env: DINGTALK_SECRET}
  - {name: slack, type: slack, url: '` + s.slack.URL() + `'}
  - {name: webhook, type: webhook, url: '` + s.webhook.URL() + `', secret_env: WEBHOOK_SECRET}
routes:
  questions: [teams, backlog, dingtalk, slack, webhook]
`
	cfg, err := config.Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, env
}

func postJSON(t *testing.T, url, body string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func TestQuestionFanOut(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := newSinks(t)
			cfg, env := s.config(t, storetest.DatabaseURL(t, engine))
			r := apptest.Start(t, cfg, env)
			api := r.URL + "/api/v1/questions"

			// The happy path: one question reaches all five destinations.
			text := "S3 バケットで障害が発生したときの確認手順を教えてください。CloudTrail のログはどこにありますか?\n二行目の詳細"
			code, body := postJSON(t, api, `{"project":"AWS-101","name":"山田太郎","question":`+jsonString(text)+`}`)
			if code != http.StatusAccepted || body["id"] == "" {
				t.Fatalf("submit: %d %v", code, body)
			}
			ref := body["id"]
			ds := apptest.WaitFinal(t, r.App.St, ref, 20*time.Second)
			for _, name := range []string{"teams", "backlog", "dingtalk", "slack", "webhook"} {
				d := ds[name]
				if d == nil || d.Status != delivery.StatusDelivered || d.Attempts != 1 {
					t.Errorf("%s: %+v", name, d)
				}
			}
			issues := s.backlog.Issues()
			if len(issues) != 1 {
				t.Fatalf("backlog issues: %d", len(issues))
			}
			if want := []rune(strings.Split(text, "\n")[0])[:50]; issues[0].Summary != string(want) {
				t.Errorf("backlog summary %q; want first line cut to 50 characters %q", issues[0].Summary, string(want))
			}
			if !strings.Contains(issues[0].Description, "二行目の詳細") || !strings.Contains(issues[0].Description, "AWS-101") {
				t.Errorf("backlog description lacks text or project: %q", issues[0].Description)
			}
			if issues[0].IssueTypeID != 7 || issues[0].PriorityID != 3 || len(issues[0].MilestoneIDs) != 1 {
				t.Errorf("backlog issue fields: %+v", issues[0])
			}
			if ds["backlog"].ExternalRef != issues[0].IssueKey || !strings.HasPrefix(issues[0].IssueKey, "TRAIN-") {
				t.Errorf("external ref %q, issue key %q", ds["backlog"].ExternalRef, issues[0].IssueKey)
			}
			wh := s.webhook.Deliveries()
			if len(wh) != 1 || wh[0].Payload.Question.Text != text || wh[0].Payload.Question.ID != ref || wh[0].IdempotencyKey == "" {
				t.Errorf("webhook: %+v", wh)
			}
			cards := s.teams.Messages()
			if len(cards) != 1 || !strings.Contains(strings.Join(cards[0].Card.TextBlocks(), "\n"), "障害") {
				t.Errorf("teams card: %+v", cards)
			}
			if m := s.dingtalk.Messages(); len(m) != 1 {
				t.Errorf("dingtalk messages: %d", len(m))
			}
			if m := s.slack.Messages(); len(m) != 1 || !strings.Contains(strings.Join(m[0].SectionTexts(), ""), "障害") {
				t.Errorf("slack: %+v", m)
			}

			// Failures: 500s then success, 429 with Retry-After, a
			// permanent 400, a sink down for a while then back.
			s.slack.FailNext(2, fake.Failure{Status: 500})
			s.teams.FailNext(1, fake.Failure{Status: 429, RetryAfter: "1"})
			s.webhook.FailNext(1, fake.Failure{Status: 400, Body: "schema mismatch: field question.text"})
			s.backlog.FailNext(1, fake.Failure{Status: 429, RateLimitReset: strconv.FormatInt(time.Now().Unix()+1, 10)})
			s.dingtalk.Down()
			code, body = postJSON(t, api, `{"question":"second"}`)
			if code != http.StatusAccepted {
				t.Fatalf("submit: %d %v", code, body)
			}
			ref2 := body["id"]
			// Bring DingTalk back once it has been tried twice.
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				var attempts int
				_ = r.App.St.R.QueryRow(r.App.St.Q(`SELECT d.attempts FROM deliveries d JOIN questions q ON q.id = d.question_id WHERE q.ref = ? AND d.destination = 'dingtalk'`), ref2).Scan(&attempts)
				if attempts >= 2 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			s.dingtalk.Up()
			ds = apptest.WaitFinal(t, r.App.St, ref2, 20*time.Second)
			if d := ds["slack"]; d.Status != delivery.StatusDelivered || d.Attempts != 3 {
				t.Errorf("slack after two 500s: %+v", d)
			}
			if d := ds["teams"]; d.Status != delivery.StatusDelivered || d.Attempts != 2 {
				t.Errorf("teams after 429: %+v", d)
			}
			if d := ds["backlog"]; d.Status != delivery.StatusDelivered || d.Attempts != 2 {
				t.Errorf("backlog after rate limit: %+v", d)
			}
			// Tried at least twice while down (the wait above), then
			// delivered by the attempt under way when it came back or the
			// next one.
			if d := ds["dingtalk"]; d.Status != delivery.StatusDelivered || d.Attempts < 2 {
				t.Errorf("dingtalk after being down: %+v", d)
			}
			d := ds["webhook"]
			if d.Status != delivery.StatusFailed || d.Attempts != 1 || d.LastStatus != 400 || !strings.Contains(d.LastError, "schema mismatch") {
				t.Errorf("webhook permanent failure: %+v", d)
			}
			// Retry-After: 1 was honoured: the second teams request came a
			// second after the first.
			reqs := s.teams.Requests()
			if gap := reqs[len(reqs)-1].At.Sub(reqs[len(reqs)-2].At); gap < 900*time.Millisecond {
				t.Errorf("teams retried after %s despite Retry-After: 1", gap)
			}

			// An operator retries the failed delivery: it is sent again.
			ok, err := delivery.Retry(context.Background(), r.App.St, r.App.Queue, d.ID, time.Now())
			if err != nil || !ok {
				t.Fatalf("retry: %v %v", ok, err)
			}
			ds = apptest.WaitFinal(t, r.App.St, ref2, 10*time.Second)
			if d := ds["webhook"]; d.Status != delivery.StatusDelivered || d.Generation != 1 {
				t.Errorf("webhook after manual retry: %+v", d)
			}
			if n := s.webhook.UniqueCount(); n != 2 {
				t.Errorf("webhook unique deliveries = %d; want 2", n)
			}

			// Operations endpoints.
			for path, want := range map[string]string{
				"/healthz": `"ok"`,
				"/readyz":  `"ready"`,
				"/metrics": `opsdesk_deliveries{destination="slack",status="delivered"} 2`,
			} {
				resp, err := http.Get(r.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
					t.Errorf("%s: %d, missing %s in\n%.2000s", path, resp.StatusCode, want, b)
				}
			}
			resp, _ := http.Get(r.URL + "/metrics")
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range []string{`opsdesk_http_requests_total{method="POST",route="POST /api/v1/questions",status="202"} 2`, `opsdesk_jobs{kind="deliver_dest",state=`, `opsdesk_delivery_attempts_total{destination="slack",outcome="retry"} 2`} {
				if !strings.Contains(string(b), want) {
					t.Errorf("metrics lack %s", want)
				}
			}
			if took := r.Stop(); took > 30*time.Second {
				t.Errorf("shutdown took %s", took)
			}
		})
	}
}

func TestBadInputStoresNothing(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := newSinks(t)
			cfg, env := s.config(t, storetest.DatabaseURL(t, engine))
			r := apptest.Start(t, cfg, env)
			api := r.URL + "/api/v1/questions"
			cases := []struct {
				ct, body string
				status   int
				field    string
			}{
				{"application/json", `{"question":`, 400, ""},
				{"application/json", `{"question":""}`, 400, "question"},
				{"application/json", `{"name":"x"}`, 400, "question"},
				{"application/json", "{\"question\":\"bad \xff utf8\"}", 400, "question"},
				{"application/json", `{"question":"` + strings.Repeat("x", 8001) + `"}`, 400, "question"},
				{"application/json", `{"question":"` + strings.Repeat("x", 70000) + `"}`, 413, ""},
				{"text/plain", `question`, 415, ""},
				{"application/x-www-form-urlencoded", `name=x`, 400, "question"},
			}
			for _, c := range cases {
				resp, err := http.Post(api, c.ct, strings.NewReader(c.body))
				if err != nil {
					t.Fatal(err)
				}
				var e struct{ Error, Field string }
				_ = json.NewDecoder(resp.Body).Decode(&e)
				resp.Body.Close()
				if resp.StatusCode != c.status || e.Field != c.field || e.Error == "" {
					t.Errorf("%s %.40q: %d %+v; want %d field %q", c.ct, c.body, resp.StatusCode, e, c.status, c.field)
				}
			}
			// The honeypot answers like a success but stores nothing.
			code, _ := postJSON(t, api, `{"question":"buy now","website":"http://spam.example"}`)
			if code != http.StatusAccepted {
				t.Errorf("honeypot: %d", code)
			}
			var n int
			if err := r.App.St.R.QueryRow(`SELECT count(*) FROM questions`).Scan(&n); err != nil || n != 0 {
				t.Errorf("questions stored from bad input: %d (%v)", n, err)
			}
			if s.webhook.RequestCount() != 0 {
				t.Error("bad input reached a destination")
			}
		})
	}
}

func TestRateLimitAndTrustedProxy(t *testing.T) {
	s := newSinks(t)
	cfg, env := s.config(t, storetest.DatabaseURL(t, store.SQLite))
	cfg.Intake.RatePerMinute = 1
	cfg.Intake.Burst = 2
	cfg.TrustedProxies = []string{"127.0.0.1"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := apptest.Start(t, cfg, env)
	post := func(xff string) (int, string) {
		req, _ := http.NewRequest("POST", r.URL+"/api/v1/questions", strings.NewReader(`{"question":"q"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	for i := range 2 {
		if code, _ := post("203.0.113.5"); code != 202 {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	code, retry := post("203.0.113.5")
	if code != 429 || retry == "" {
		t.Errorf("third request: %d Retry-After %q", code, retry)
	}
	// Another client behind the same proxy is not limited.
	if code, _ := post("198.51.100.7"); code != 202 {
		t.Errorf("other client: %d", code)
	}
	var ip string
	if err := r.App.St.R.QueryRow(`SELECT source_ip FROM questions ORDER BY id LIMIT 1`).Scan(&ip); err != nil || ip != "203.0.113.5" {
		t.Errorf("stored source ip %q (%v)", ip, err)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
