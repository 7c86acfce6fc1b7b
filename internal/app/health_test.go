package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/events"
	"github.com/opsdesk/opsdesk/internal/events/samples"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/health"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

type healthAPIRecord struct {
	ID           int64             `json:"id"`
	EventArn     string            `json:"event_arn"`
	Account      string            `json:"account"`
	Service      string            `json:"service"`
	Category     string            `json:"category"`
	Region       string            `json:"region"`
	Status       string            `json:"status"`
	Start        time.Time         `json:"start_time"`
	End          time.Time         `json:"end_time"`
	Descriptions map[string]string `json:"descriptions"`
	Accounts     []string          `json:"affected_accounts"`
	Entities     []health.Entity   `json:"affected_entities"`
	DashboardURL string            `json:"dashboard_url"`
}

func healthGet(t *testing.T, base, tok, path string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// withEventID gives a sample a new EventBridge id (AWS sends each update
// as a new event), and optionally new detail fields.
func withEventID(t *testing.T, name, id string, detail map[string]any) []byte {
	t.Helper()
	b, err := samples.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	ev["id"] = id
	for k, v := range detail {
		ev["detail"].(map[string]any)[k] = v
	}
	out, _ := json.Marshal(ev)
	return out
}

// TestHealthEndToEnd sends the Health samples to a running opsdesk
// through POST /api/v1/events: the built-in rule aws-health keeps one
// record per event (the close update closes it, an older update arriving
// late does not reopen it, the same event twice is one record), the
// events.health filters send each change exactly once to the webhooks
// they match and nothing to the one they do not, and the records show in
// the API (with its filters) and on the console's /health pages.
func TestHealthEndToEnd(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			ec2, rds, s3 := fake.NewWebhook(t), fake.NewWebhook(t), fake.NewWebhook(t)
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
base_url: https://ops.example.com
log_level: error
destinations:
  - {name: ec2-tokyo, type: webhook, url: ` + ec2.URL() + `}
  - {name: rds, type: webhook, url: ` + rds.URL() + `}
  - {name: s3, type: webhook, url: ` + s3.URL() + `}
events:
  health:
    - {destination: ec2-tokyo, services: [EC2], regions: [ap-northeast-1], categories: [issue]}
    - {destination: rds, categories: [scheduledChange], statuses: [upcoming, open]}
    - {destination: s3, services: [S3]}
`))
			if err != nil {
				t.Fatal(err)
			}
			s := apptest.Start(t, cfg, nil)
			ctx := context.Background()
			ingest, err := s.App.Auth.CreateToken(ctx, "events", auth.ScopeIngestEvents)
			if err != nil {
				t.Fatal(err)
			}
			reader, err := s.App.Auth.CreateToken(ctx, "reader", auth.ScopeReadEvents)
			if err != nil {
				t.Fatal(err)
			}
			b := healthBrowser(t, s)

			// Before any event: the empty state says how events get here.
			code, page := b.get("/health")
			if code != 200 || !strings.Contains(page, "No AWS Health events have arrived yet.") || !strings.Contains(page, "API destination") ||
				!strings.Contains(page, `href="/events" aria-current="page"`) {
				t.Fatalf("empty /health: %d\n%s", code, page)
			}

			// post sends a body and waits until its event's actions ran.
			post := func(body []byte) eventsResp {
				t.Helper()
				code, r := postEvents(t, s.URL, ingest, body, nil)
				if code != http.StatusAccepted || len(r.Events) != 1 {
					t.Fatalf("post: %d %+v", code, r)
				}
				if !r.Events[0].Duplicate && (len(r.Events[0].Matched) != 1 || r.Events[0].Matched[0] != events.RuleHealth) {
					t.Fatalf("matched %v, want [%s]", r.Events[0].Matched, events.RuleHealth)
				}
				poll(t, 20*time.Second, "the aws-health action", func() bool {
					ev, err := s.App.Events.Get(ctx, r.Events[0].Ref)
					return err == nil && ev.Status == events.StatusDone
				})
				return r
			}
			issue, _ := samples.Get("health-issue")
			first := post(issue)
			if again := post(issue); !again.Events[0].Duplicate || again.Events[0].Ref != first.Events[0].Ref {
				t.Errorf("the same event twice: %+v", again)
			}
			// The same update re-sent under a new EventBridge id.
			post(withEventID(t, "health-issue", "7bf73129-0000-4cd3-a780-95db273d1602", nil))

			var list struct {
				Records []healthAPIRecord `json:"health_events"`
			}
			if code := healthGet(t, s.URL, reader, "/api/v1/health-events", &list); code != 200 || len(list.Records) != 1 {
				t.Fatalf("after the issue: %d %+v", code, list)
			}
			rec := list.Records[0]
			if rec.Status != "open" || rec.Service != "EC2" || rec.Category != "issue" || rec.Region != "ap-northeast-1" || rec.Account != "141855812477" ||
				len(rec.Entities) != 2 || rec.Descriptions["ja_JP"] == "" || !rec.Start.Equal(time.Date(2024, 3, 23, 13, 12, 0, 0, time.UTC)) ||
				!strings.HasPrefix(rec.DashboardURL, "https://health.aws.amazon.com/health/home#/account/event-log?eventID=") {
				t.Errorf("open record %+v", rec)
			}
			ec2.WaitForUnique(t, 1, 20*time.Second)

			post(withEventID(t, "health-issue-closed", "c2e85a47-6b1d-4f39-9e0a-3d7f1b5c8a24", nil))
			ec2.WaitForUnique(t, 2, 20*time.Second)
			// The first update again, arriving after the close.
			post(withEventID(t, "health-issue", "7bf73129-1111-4cd3-a780-95db273d1602", map[string]any{"communicationId": "late-copy"}))

			var one struct {
				Record  healthAPIRecord `json:"health_event"`
				History []health.History
				Notices []health.Notice
			}
			if code := healthGet(t, s.URL, reader, fmt.Sprintf("/api/v1/health-events/%d", rec.ID), &one); code != 200 {
				t.Fatalf("get: %d", code)
			}
			if one.Record.Status != "closed" || !one.Record.End.Equal(time.Date(2024, 3, 23, 14, 52, 0, 0, time.UTC)) || !strings.HasPrefix(one.Record.Descriptions["en_US"], "[RESOLVED]") {
				t.Errorf("closed record %+v", one.Record)
			}
			var hist []string
			for _, h := range one.History {
				hist = append(hist, fmt.Sprintf("%s/%v", h.Status, h.Applied))
			}
			if strings.Join(hist, " ") != "open/true open/false closed/true open/false" {
				t.Errorf("history %v", hist)
			}

			post(withEventID(t, "health-scheduled-change", "0d4b7f61-93a2-4e5c-b8d1-6f2a0c9e3b75", nil))
			post(withEventID(t, "health-account-notification", "e61f3b0a-2c8d-47e9-a5b4-9d0c1e7f2a38", nil))
			rds.WaitForUnique(t, 1, 20*time.Second)
			// Every notice has been sent once all records are settled.
			poll(t, 20*time.Second, "every notice sent", func() bool {
				var all struct {
					Records []healthAPIRecord `json:"health_events"`
				}
				healthGet(t, s.URL, reader, "/api/v1/health-events", &all)
				for _, r := range all.Records {
					var x struct{ Notices []health.Notice }
					healthGet(t, s.URL, reader, fmt.Sprintf("/api/v1/health-events/%d", r.ID), &x)
					for _, n := range x.Notices {
						if n.Status != "sent" {
							return false
						}
					}
				}
				return len(all.Records) == 3
			})
			if n := len(ec2.Deliveries()); n != 2 || ec2.UniqueCount() != 2 {
				t.Errorf("ec2-tokyo got %d deliveries (%d unique), want 2: open and closed", n, ec2.UniqueCount())
			}
			d := ec2.Deliveries()
			if m := d[0].Payload.Message; m.Kind != "health" || !strings.Contains(m.Title, "open") || !strings.Contains(m.Title, "AWS_EC2_OPERATIONAL_ISSUE") ||
				m.URL != fmt.Sprintf("https://ops.example.com/health/%d", rec.ID) || !strings.HasPrefix(m.Text, "[Investigating]") {
				t.Errorf("open notice %+v", m)
			}
			if m := d[1].Payload.Message; !strings.Contains(m.Title, "closed") || !strings.HasPrefix(m.Text, "[RESOLVED]") {
				t.Errorf("close notice %+v", m)
			}
			if n := len(rds.Deliveries()); n != 1 || !strings.Contains(rds.Deliveries()[0].Payload.Message.Title, "RDS") {
				t.Errorf("rds got %d deliveries, want 1", n)
			}
			if n := len(s3.Deliveries()); n != 0 {
				t.Errorf("s3 matches no record but got %d deliveries", n)
			}

			// API filters.
			for q, want := range map[string]string{
				"?category=issue":               "EC2",
				"?service=RDS":                  "RDS",
				"?status=upcoming":              "RDS",
				"?region=us-east-1":             "ACM",
				"?category=accountNotification": "ACM",
				"?account=208496451275":         "RDS",
				"?region=eu-west-1":             "",
				"":                              "RDS ACM EC2",
			} {
				var got struct {
					Records []healthAPIRecord `json:"health_events"`
				}
				if code := healthGet(t, s.URL, reader, "/api/v1/health-events"+q, &got); code != 200 {
					t.Fatalf("%s: %d", q, code)
				}
				var names []string
				for _, r := range got.Records {
					names = append(names, r.Service)
				}
				if strings.Join(names, " ") != want {
					t.Errorf("GET /api/v1/health-events%s: %v, want %q", q, names, want)
				}
			}
			var bad struct{ Error, Field string }
			if code := healthGet(t, s.URL, reader, "/api/v1/health-events?status=resolved", &bad); code != 400 || bad.Field != "status" {
				t.Errorf("bad status: %d %+v", code, bad)
			}
			if code := healthGet(t, s.URL, reader, "/api/v1/health-events/999999", &bad); code != 404 {
				t.Errorf("unknown record: %d", code)
			}

			// Console: the list (upcoming first), its filters, the record page.
			_, page = b.get("/health")
			rdsAt, ec2At := strings.Index(page, "AWS_RDS_MAINTENANCE_SCHEDULED"), strings.Index(page, "AWS_EC2_OPERATIONAL_ISSUE")
			if rdsAt < 0 || ec2At < 0 || rdsAt > ec2At || !strings.Contains(page, "AWS_ACM_RENEWAL_STATE_CHANGE") {
				t.Errorf("/health lists RDS at %d, EC2 at %d:\n%s", rdsAt, ec2At, page)
			}
			_, page = b.get("/health?service=RDS&status=upcoming")
			if !strings.Contains(page, "AWS_RDS_MAINTENANCE_SCHEDULED") || strings.Contains(page, "AWS_EC2_OPERATIONAL_ISSUE") || strings.Contains(page, "AWS_ACM_RENEWAL_STATE_CHANGE") {
				t.Errorf("/health?service=RDS:\n%s", page)
			}
			_, page = b.get("/health?category=issue&region=eu-west-1")
			if !strings.Contains(page, "No AWS Health records match these filters.") {
				t.Errorf("/health with no match:\n%s", page)
			}
			code, page = b.get(fmt.Sprintf("/health/%d", rec.ID))
			for _, want := range []string{"[RESOLVED]", "[解決済み]", "i-0f3a9c2b7d1e64a58", "system=billing-api", "141855812477", "Open in the AWS Health Dashboard",
				"https://health.aws.amazon.com/health/home#/account/event-log?eventID=arn%3Aaws%3Ahealth", "arrived out of order", "ec2-tokyo"} {
				if !strings.Contains(page, want) {
					t.Errorf("record page (%d) lacks %q", code, want)
				}
			}
			_, page = b.get(fmt.Sprintf("/health/%d?lang=ja", rec.ID))
			if !strings.Contains(page, "影響を受けるリソース") || strings.Index(page, "[解決済み]") > strings.Index(page, "[RESOLVED]") {
				t.Errorf("Japanese record page: Japanese description not first or texts missing")
			}
			if code, _ := b.get("/health/999999"); code != 404 {
				t.Errorf("unknown record page: %d", code)
			}
		})
	}
}

// healthBrowser logs the admin into the console.
func healthBrowser(t *testing.T, s *apptest.Server) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: s.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	b.get("/login")
	if code, _, body := b.post("/login", url.Values{"name": {"admin"}, "password": {s.Password}}); code != http.StatusSeeOther {
		t.Fatalf("login: %d %s", code, body)
	}
	return b
}
