package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
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

// TestHostileTextEndToEnd sends hostile text in through every public door
// that leads to a chat or ticket — the anonymous question form, an AWS
// event matched by a notify rule, an alert nobody can be called for — and
// checks what the DingTalk, Teams, Slack and Backlog fakes received over
// HTTP: nothing links, embeds an image, mentions, styles or hides, and the
// text (CJK included) shows as it was sent.
func TestHostileTextEndToEnd(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			teams := fake.NewTeams(t)
			backlog := fake.NewBacklog(t, fake.WithProject(42, "TRAIN"))
			ding := fake.NewDingTalk(t, fake.WithSecret("SECdingtalk-secret"), fake.WithKeyword("opsdesk"))
			slack := fake.NewSlack(t)
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
base_url: https://ops.example.com
intake: {rate_per_minute: 0}
deliveries: {timeout: 2s}
destinations:
  - {name: teams, type: teams, url: '` + teams.URL() + `'}
  - {name: backlog, type: backlog, base_url: '` + backlog.URL() + `', api_key_env: BACKLOG_KEY, project_id: 42, issue_type_id: 7, priority_id: 3}
  - {name: dingtalk, type: dingtalk, url: '` + ding.URL() + `', secret_env: DINGTALK_SECRET}
  - {name: slack, type: slack, url: '` + slack.URL() + `'}
routes:
  questions: [teams, backlog, dingtalk, slack]
events:
  rules:
    - name: hostile
      pattern: {source: [custom.hostile]}
      actions:
        - {type: notify, destination: teams, title: '{{field "detail.title"}}', template: '{{field "detail.text"}}'}
        - {type: notify, destination: backlog, title: '{{field "detail.title"}}', template: '{{field "detail.text"}}'}
        - {type: notify, destination: dingtalk, title: '{{field "detail.title"}}', template: '{{field "detail.text"}}'}
        - {type: notify, destination: slack, title: '{{field "detail.title"}}', template: '{{field "detail.text"}}'}
alerts:
  systems:
    - name: XYZ
      contacts: [{name: Sato, phone: "+819011110001"}]
      notify: [teams, backlog, dingtalk, slack]
`))
			if err != nil {
				t.Fatal(err)
			}
			s := apptest.Start(t, cfg, map[string]string{"BACKLOG_KEY": backlog.APIKey(), "DINGTALK_SECRET": "SECdingtalk-secret"})
			line, text := notifytest.Line(), notifytest.Text()

			// received waits until every destination has n messages and
			// checks the last of each. A Backlog issue's summary is plain
			// text (the title, as sent); its description must show
			// backlogWant.
			received := func(kind string, n int, want, backlogWant []string, summary string) {
				t.Helper()
				deadline := time.Now().Add(20 * time.Second)
				for len(teams.Messages()) < n || len(backlog.Issues()) < n || len(ding.Messages()) < n || len(slack.Messages()) < n {
					if time.Now().After(deadline) {
						t.Fatalf("%s: after 20s teams %d, backlog %d, dingtalk %d, slack %d messages; want %d each",
							kind, len(teams.Messages()), len(backlog.Issues()), len(ding.Messages()), len(slack.Messages()), n)
					}
					time.Sleep(20 * time.Millisecond)
				}
				notifytest.CheckTeams(t, kind, teams.Messages()[n-1], want)
				is := backlog.Issues()[n-1]
				notifytest.CheckBacklog(t, kind, is, backlogWant)
				if is.Summary != summary {
					t.Errorf("%s: backlog summary %q, want %q", kind, is.Summary, summary)
				}
				notifytest.CheckDingTalk(t, kind, ding.Messages()[n-1], want, "[Open in console](https://ops.example.com/")
				notifytest.CheckSlack(t, kind, slack.Messages()[n-1].Raw, want, "<https://ops.example.com/")
			}

			// A question from the anonymous form.
			// Project and name are at most 100 characters.
			short := "[点击](https://e.example/p) ![](https://e.example/i.png) @all <!here> <@U1> **bold** 山田"
			body, _ := json.Marshal(map[string]string{"project": short, "name": short, "question": text})
			code, m := postJSON(t, s.URL+"/api/v1/questions", string(body))
			if code != http.StatusAccepted {
				t.Fatalf("question: %d %v", code, m)
			}
			for name, d := range apptest.WaitFinal(t, s.App.St, m["id"], 20*time.Second) {
				if d.Status != delivery.StatusDelivered {
					t.Fatalf("question to %s: %+v", name, d)
				}
			}
			received("question", 1, []string{text, short}, []string{text, short}, notifytest.Samples[0])

			// An AWS event whose fields are hostile, matched by a rule
			// that notifies every destination.
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
			received("event", 2, []string{text, line}, []string{text}, line)

			// An alert whose summary, host, service and details are
			// hostile; with no phone calls configured nobody can be
			// called, so opsdesk gives up at once and tells the
			// destinations.
			al, _ := json.Marshal(map[string]any{"system": "XYZ", "dedup_key": "hostile", "summary": line, "host": line, "service": line, "details": text})
			if code, _ := postWithToken(t, s.URL+"/api/v1/alerts", tok, al); code != http.StatusAccepted {
				t.Fatalf("alert: %d", code)
			}
			received("alert", 3, []string{text, line}, []string{text, line}, "Alert #1 not acknowledged: "+line)
		})
	}
}

func postWithToken(t *testing.T, url, tok string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		t.Logf("POST %s: %d %s", url, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return resp.StatusCode, string(b)
}
