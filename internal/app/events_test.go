package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/events"
	"github.com/opsdesk/opsdesk/internal/events/samples"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

type eventsResp struct {
	Shape      string `json:"shape"`
	Accepted   int    `json:"accepted"`
	Duplicates int    `json:"duplicates"`
	Events     []struct {
		ID        string   `json:"id"`
		Ref       int64    `json:"ref"`
		Source    string   `json:"source"`
		Type      string   `json:"detail_type"`
		Duplicate bool     `json:"duplicate"`
		Matched   []string `json:"matched"`
	} `json:"events"`
	Failed []struct {
		Index int    `json:"index"`
		ID    string `json:"id"`
		Field string `json:"field"`
		Error string `json:"error"`
	} `json:"failed"`
	Error string `json:"error"`
	Field string `json:"field"`
	Code  string `json:"code"`
}

func postEvents(t *testing.T, url, tok string, body []byte, hdr map[string]string) (int, eventsResp) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/api/v1/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out eventsResp
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer %d is not JSON: %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// TestEventsEndToEnd posts every sample payload to a running opsdesk:
// each is accepted and stored, a config rule notifies a webhook with its
// template, the built-in Support rule archives the case the event names,
// duplicates are absorbed, a batch keeps its good records, and SNS
// subscriptions are confirmed and their notifications signature-checked.
func TestEventsEndToEnd(t *testing.T) {
	sup := fake.NewSupport(t)
	data := fake.SupportGen{Cases: 5, Seed: 4, NoAttachments: true}.Generate()
	sup.Load(data)
	target := data[2]
	t.Setenv("AWS_ACCESS_KEY_ID", sup.AccessKeyID())
	t.Setenv("AWS_SECRET_ACCESS_KEY", sup.SecretAccessKey())
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	sns := fake.NewSNS(t)
	const topic = "arn:aws:sns:ap-northeast-1:141855812477:opsdesk-events"
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			hook := fake.NewWebhook(t)
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
base_url: https://ops.example.com
destinations:
  - {name: hook, type: webhook, url: ` + hook.URL() + `}
aws:
  accounts:
    - {name: prod, account_id: "` + sup.SupportAccount.AccountID() + `", languages: [en, ja, zh, ko]}
events:
  sns_topics: [` + topic + `]
  rules:
    - name: uploads
      pattern: {source: [aws.s3], detail-type: [Object Created], detail: {s3: {object: {key: [{prefix: "reports/"}]}}}}
      actions:
        - type: notify
          destination: hook
          title: 'New upload {{field "detail.s3.object.key"}}'
          template: 'bucket {{field "detail.s3.bucket.name"}}, {{field "detail.s3.object.size"}} bytes'
    - name: keep-dynamodb
      pattern: '{"source": ["aws.dynamodb"]}'
      actions: [{type: store}]
`))
			if err != nil {
				t.Fatal(err)
			}
			s := apptest.StartWith(t, cfg, map[string]string{"AWS_ENDPOINT_URL_SUPPORT": sup.URL()}, func(o *app.Options) {
				o.SNSCertAllowed, o.SNSClient = sns.CertURLAllowed, sns.Client()
			})
			tok, err := s.App.Auth.CreateToken(context.Background(), "events", auth.ScopeIngestEvents)
			if err != nil {
				t.Fatal(err)
			}

			// Every sample is accepted.
			matched := map[string][]string{}
			for _, smp := range samples.List() {
				body, _ := samples.Get(smp.Name)
				code, r := postEvents(t, s.URL, tok, body, nil)
				if code != http.StatusAccepted || r.Accepted < 1 || len(r.Failed) != 0 {
					t.Fatalf("sample %s: %d %+v", smp.Name, code, r)
				}
				for _, e := range r.Events {
					matched[smp.Name] = append(matched[smp.Name], e.Matched...)
				}
			}
			want := map[string]string{
				"support-case-update":   "aws-support-case-update",
				"alarm-state-change":    "aws-cloudwatch-alarm",
				"connect-contact-event": "aws-connect-contact-event",
				"dynamodb-insert":       "keep-dynamodb",
			}
			for name, rule := range want {
				if got := matched[name]; len(got) != 1 || got[0] != rule {
					t.Errorf("sample %s matched %v; want [%s]", name, got, rule)
				}
			}
			if got := matched["scheduled"]; len(got) != 0 {
				t.Errorf("scheduled matched %v; want nothing", got)
			}

			// The s3-put sample's key decides whether the upload rule
			// matches; send one that does.
			up := []byte(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"ap-northeast-1","eventTime":"2026-11-21T09:00:00.000Z","eventName":"ObjectCreated:Put",
				"s3":{"bucket":{"name":"ops-reports","arn":"arn:aws:s3:::ops-reports"},"object":{"key":"reports/障害-2026-11.pdf","size":2048,"sequencer":"0065FE3A1B2C3D4E5F"}}}]}`)
			code, r := postEvents(t, s.URL, tok, up, map[string]string{"X-Opsdesk-Via": "lambda"})
			if code != 202 || r.Accepted != 1 || len(r.Events) != 1 || len(r.Events[0].Matched) != 1 || r.Events[0].Matched[0] != "uploads" {
				t.Fatalf("upload: %d %+v", code, r)
			}
			hook.WaitForUnique(t, 1, 20*time.Second)
			d := hook.Deliveries()[0]
			if d.Payload.Type != "message" || d.Payload.Message.Title != "New upload reports/障害-2026-11.pdf" ||
				d.Payload.Message.Text != "bucket ops-reports, 2048 bytes" || !strings.HasSuffix(d.Payload.Message.URL, fmt.Sprintf("/events/%d", r.Events[0].Ref)) {
				t.Errorf("webhook got %+v", d.Payload.Message)
			}

			// The same delivery again: absorbed, nothing sent twice.
			code, r = postEvents(t, s.URL, tok, up, nil)
			if code != 202 || r.Accepted != 0 || r.Duplicates != 1 || !r.Events[0].Duplicate {
				t.Fatalf("duplicate: %d %+v", code, r)
			}

			// A Support Case Update for a case the archive has never seen
			// syncs it within seconds.
			ev := fmt.Sprintf(`{"version":"0","id":"e-%s","detail-type":"Support Case Update","source":"aws.support","account":"%s","time":"2026-11-21T09:00:00Z","region":"us-east-1","resources":[],
				"detail":{"case-id":"%s","display-id":"%s","communication-id":"","event-name":"AddCommunicationToCase","origin":""}}`,
				engine, sup.SupportAccount.AccountID(), target.CaseID, target.DisplayID)
			if code, r := postEvents(t, s.URL, tok, []byte(ev), nil); code != 202 || r.Accepted != 1 {
				t.Fatalf("case update: %d %+v", code, r)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				var n int
				_ = s.App.St.R.QueryRow(s.App.St.Q(`SELECT count(*) FROM case_communications cc JOIN cases c ON c.id = cc.case_ref WHERE c.case_id = ?`), target.CaseID).Scan(&n)
				if n == len(target.Communications) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("case %s: %d of %d messages archived after 20s", target.CaseID, n, len(target.Communications))
				}
				time.Sleep(50 * time.Millisecond)
			}

			// A batch with one bad record keeps the others.
			batch := []byte(`{"Records":[
				{"eventID":"1","eventName":"INSERT","eventSource":"aws:dynamodb","awsRegion":"ap-northeast-1","dynamodb":{"Keys":{"id":{"S":"a"}},"NewImage":{"id":{"S":"a"},"n":{"N":"1"}},"SequenceNumber":"1","StreamViewType":"NEW_IMAGE"},"eventSourceARN":"arn:aws:dynamodb:ap-northeast-1:141855812477:table/t/stream/2026"},
				{"eventID":"2","eventName":"INSERT","eventSource":"aws:dynamodb","awsRegion":"ap-northeast-1","dynamodb":{"Keys":{"id":{"S":"b"}},"NewImage":{"id":{"S":"b"},"n":{"N":"abc"}},"SequenceNumber":"2","StreamViewType":"NEW_IMAGE"},"eventSourceARN":"arn:aws:dynamodb:ap-northeast-1:141855812477:table/t/stream/2026"}]}`)
			code, r = postEvents(t, s.URL, tok, batch, nil)
			if code != 202 || r.Accepted != 1 || len(r.Failed) != 1 || r.Failed[0].Index != 1 || !strings.Contains(r.Failed[0].Field, "NewImage.n") {
				t.Fatalf("partial batch: %d %+v", code, r)
			}

			// Unusable bodies and missing credentials.
			if code, r := postEvents(t, s.URL, tok, []byte(`{"hello":"world"}`), nil); code != 400 || r.Code != "unknown_shape" {
				t.Errorf("unknown shape: %d %+v", code, r)
			}
			if code, r := postEvents(t, s.URL, tok, []byte(`{"source":"x"}`), nil); code != 400 || r.Field != "detail-type" {
				t.Errorf("envelope without detail-type: %d %+v", code, r)
			}
			if code, _ := postEvents(t, s.URL, "", up, nil); code != 401 {
				t.Errorf("no token: %d", code)
			}
			if code, _ := postEvents(t, s.URL, "odt_wrong", up, nil); code != 401 {
				t.Errorf("bad token: %d", code)
			}

			// SNS: the subscription is confirmed, a signed notification from
			// an allowed topic needs no token, a tampered one is refused,
			// another topic is refused.
			snsHdr := map[string]string{"X-Amz-Sns-Message-Type": "SubscriptionConfirmation", "Content-Type": "text/plain; charset=UTF-8"}
			req, _ := http.NewRequest("POST", s.URL+"/api/v1/events", bytes.NewReader(sns.SubscriptionConfirmation(topic)))
			for k, v := range snsHdr {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || len(sns.Confirmed()) == 0 || sns.Confirmed()[len(sns.Confirmed())-1] != topic {
				t.Fatalf("subscription confirmation: %d, confirmed %v", resp.StatusCode, sns.Confirmed())
			}
			alarm, _ := samples.Get("alarm-state-change")
			note := sns.Notification(topic, "", string(alarm))
			hdr := map[string]string{"X-Amz-Sns-Message-Type": "Notification"}
			if code, r := postEvents(t, s.URL, "", note, hdr); code != 202 || r.Shape != "sns-http/eventbridge" || r.Duplicates != 1 {
				// The alarm sample was posted above already: absorbed.
				t.Errorf("SNS notification: %d %+v", code, r)
			}
			tampered := bytes.Replace(note, []byte(`ALARM`), []byte(`OK`), 1)
			if code, r := postEvents(t, s.URL, "", tampered, hdr); code != 403 || r.Field != "Signature" {
				t.Errorf("tampered SNS notification: %d %+v", code, r)
			}
			other := sns.Notification("arn:aws:sns:ap-northeast-1:999999999999:someone-else", "", string(alarm))
			if code, _ := postEvents(t, s.URL, "", other, hdr); code != 403 {
				t.Errorf("SNS topic not allowed: %d", code)
			}

			// What is stored: every event with how it came and what it
			// matched; actions of the built-in alert rule fail plainly while
			// phone escalation is not configured.
			var lambda, stored int
			_ = s.App.St.R.QueryRow(`SELECT count(*) FROM events WHERE via = 'lambda'`).Scan(&lambda)
			_ = s.App.St.R.QueryRow(`SELECT count(*) FROM events`).Scan(&stored)
			if lambda != 1 || stored != len(samples.List())+1+1+1 {
				t.Errorf("stored %d events (%d via lambda)", stored, lambda)
			}
		})
	}
}

// TestExampleConfigRules: the example configuration's event rules compile
// (patterns, templates, destinations).
func TestExampleConfigRules(t *testing.T) {
	cfg, err := config.Load("../../deploy/opsdesk.example.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	rules, err := events.FromConfig(cfg.Events.Rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 2 {
		t.Fatalf("example has %d rules", len(rules))
	}
	for _, r := range rules {
		if err := r.Compile(cfg.HasDestination); err != nil {
			t.Errorf("rule %s: %v", r.Name, err)
		}
	}
}
