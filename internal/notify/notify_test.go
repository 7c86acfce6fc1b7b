package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/notify"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// question is a realistic Japanese question with characters that need care
// in every format: quotes, markup, a mention attempt.
func question() notify.Question {
	return notify.Question{
		ID:      "Q-000123",
		Project: "AWS-TR-0612",
		Name:    "山田 太郎",
		Text: "EC2インスタンスにSSHで接続できません。\n" +
			"セキュリティグループでは 22/tcp を 0.0.0.0/0 から許可しています。\n" +
			"\n" +
			"エラー: \"Connection timed out\" <!channel> & <b>",
		SubmittedAt: time.Date(2024, 6, 12, 1, 2, 3, 0, time.UTC),
		SourceIP:    "203.0.113.7",
	}
}

func request(attempt int) notify.Request {
	return notify.Request{
		DeliveryID: "dlv-01J0ABCDEF",
		Attempt:    attempt,
		Question:   question(),
		ConsoleURL: "https://desk.example.com/questions/Q-000123",
	}
}

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func newSender(t *testing.T, d config.Destination, env map[string]string, timeout time.Duration) notify.Sender {
	t.Helper()
	s, err := notify.New(d, lookup(env), &http.Client{Timeout: timeout})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// notifyError asserts that err is (or wraps) a *notify.Error.
func notifyError(t *testing.T, err error) *notify.Error {
	t.Helper()
	if err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	var ne *notify.Error
	if !errors.As(err, &ne) {
		t.Fatalf("error %T %v is not a *notify.Error", err, err)
	}
	return ne
}

// noSecrets fails the test when an error's text contains a secret.
func noSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error text contains the secret %q: %v", s, err)
		}
	}
}

// golden compares got with testdata/name, rewriting it under -update. A
// zero-width space (which the escaping functions insert) is written as the
// text \u200b so that it shows in the file and in a diff.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = bytes.ReplaceAll(got, []byte("\u200b"), []byte(`\u200b`))
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// indentJSON pretty-prints a JSON body, keeping key order and characters.
func indentJSON(t *testing.T, body []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, body)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

// destination is one sender wired to its fake, for the cross-destination
// tests.
type destination struct {
	name    string
	server  *fake.Server
	sender  func(t *testing.T, timeout time.Duration) notify.Sender
	secrets []string
}

func destinations(t *testing.T) []destination {
	t.Helper()
	teams := fake.NewTeams(t)
	backlog := fake.NewBacklog(t, fake.WithAPIKey("bl-api-key-4f3c2b1a0987"))
	ding := fake.NewDingTalk(t, fake.WithSecret("SECdingtalk0123456789abcdef"))
	slack := fake.NewSlack(t)
	hook := fake.NewWebhook(t, fake.WithSecret("whsec-0123456789"))
	return []destination{
		{"teams", teams.Server, func(t *testing.T, to time.Duration) notify.Sender {
			return newSender(t, teamsDest(), map[string]string{"TEAMS_URL": teams.URL()}, to)
		}, []string{teams.Token(), teams.URL()}},
		{"backlog", backlog.Server, func(t *testing.T, to time.Duration) notify.Sender {
			return newSender(t, backlogDest(backlog), map[string]string{"BACKLOG_KEY": backlog.APIKey()}, to)
		}, []string{backlog.APIKey()}},
		{"dingtalk", ding.Server, func(t *testing.T, to time.Duration) notify.Sender {
			return newSender(t, dingtalkDest(ding), map[string]string{"DT_SECRET": "SECdingtalk0123456789abcdef"}, to)
		}, []string{ding.Token(), "SECdingtalk0123456789abcdef"}},
		{"slack", slack.Server, func(t *testing.T, to time.Duration) notify.Sender {
			return newSender(t, slackDest(), map[string]string{"SLACK_URL": slack.URL()}, to)
		}, []string{slack.Token(), slack.URL()}},
		{"webhook", hook.Server, func(t *testing.T, to time.Duration) notify.Sender {
			return newSender(t, webhookDest(hook), map[string]string{"WH_SECRET": "whsec-0123456789"}, to)
		}, []string{"whsec-0123456789"}},
	}
}

func teamsDest() config.Destination {
	return config.Destination{Name: "teams-ops", Type: "teams", URLEnv: "TEAMS_URL"}
}

func backlogDest(f *fake.Backlog) config.Destination {
	return config.Destination{
		Name: "backlog-train", Type: "backlog", BaseURL: f.URL(), APIKeyEnv: "BACKLOG_KEY",
		ProjectID: f.ProjectID(), IssueTypeID: 2, PriorityID: 3, AssigneeID: 7,
		MilestoneIDs: []int64{11, 12}, CategoryIDs: []int64{21},
	}
}

func dingtalkDest(f *fake.DingTalk) config.Destination {
	return config.Destination{Name: "ding", Type: "dingtalk", URL: f.URL(), SecretEnv: "DT_SECRET"}
}

func slackDest() config.Destination {
	return config.Destination{Name: "slack-ops", Type: "slack", URLEnv: "SLACK_URL"}
}

func webhookDest(f *fake.Webhook) config.Destination {
	return config.Destination{Name: "hook", Type: "webhook", URL: f.URL(), SecretEnv: "WH_SECRET"}
}

// TestErrorClassification runs every sender against its fake through the
// failures a destination can produce and checks how each is classified.
func TestErrorClassification(t *testing.T) {
	t.Parallel()
	httpDate := func() string { return time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat) }
	cases := []struct {
		name       string
		arrange    func(s *fake.Server)
		timeout    time.Duration
		permanent  bool
		status     int
		retryAfter time.Duration // exact unless approx
		approx     bool
		reason     string
	}{
		{name: "500", arrange: func(s *fake.Server) { s.FailNext(1, fake.Failure{Status: 500}) }, status: 500},
		{name: "502", arrange: func(s *fake.Server) { s.FailNext(1, fake.Failure{Status: 502}) }, status: 502},
		{name: "503 Retry-After seconds", arrange: func(s *fake.Server) { s.FailNext(1, fake.Failure{Status: 503, RetryAfter: "3"}) }, status: 503, retryAfter: 3 * time.Second},
		{name: "503 Retry-After date", arrange: func(s *fake.Server) { s.FailNext(1, fake.Failure{Status: 503, RetryAfter: httpDate()}) }, status: 503, retryAfter: 2 * time.Minute, approx: true},
		{name: "429 Retry-After", arrange: func(s *fake.Server) { s.FailNext(1, fake.Failure{Status: 429, RetryAfter: "7"}) }, status: 429, retryAfter: 7 * time.Second},
		{name: "408", arrange: func(s *fake.Server) { s.FailNext(1, fake.Failure{Status: 408}) }, status: 408},
		{name: "425", arrange: func(s *fake.Server) { s.FailNext(1, fake.Failure{Status: 425}) }, status: 425},
		{name: "400 permanent", arrange: func(s *fake.Server) { s.FailNext(1, fake.Failure{Status: 400, Body: "bad thing happened"}) }, permanent: true, status: 400, reason: "bad thing happened"},
		{name: "403 permanent", arrange: func(s *fake.Server) { s.FailNext(1, fake.Failure{Status: 403}) }, permanent: true, status: 403},
		{name: "404 permanent", arrange: func(s *fake.Server) { s.FailNext(1, fake.Failure{Status: 404}) }, permanent: true, status: 404},
		{name: "unavailable", arrange: func(s *fake.Server) { s.SetUnavailable(true) }, status: 503},
		{name: "connection refused", arrange: func(s *fake.Server) { s.Down() }, status: 0, reason: "connection refused"},
		{name: "timeout", arrange: func(s *fake.Server) { s.SetDelay(5 * time.Second) }, timeout: 100 * time.Millisecond, status: 0, reason: "timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, d := range destinations(t) {
				t.Run(d.name, func(t *testing.T) {
					timeout := c.timeout
					if timeout == 0 {
						timeout = 5 * time.Second
					}
					s := d.sender(t, timeout)
					c.arrange(d.server)
					_, err := s.Send(context.Background(), request(1))
					ne := notifyError(t, err)
					noSecrets(t, err, d.secrets...)
					if ne.Permanent != c.permanent || ne.StatusCode != c.status {
						t.Fatalf("Permanent=%v StatusCode=%d, want %v %d (%v)", ne.Permanent, ne.StatusCode, c.permanent, c.status, err)
					}
					if c.approx {
						if diff := ne.RetryAfter - c.retryAfter; diff < -3*time.Second || diff > 3*time.Second {
							t.Fatalf("RetryAfter = %v, want about %v", ne.RetryAfter, c.retryAfter)
						}
					} else if ne.RetryAfter != c.retryAfter {
						t.Fatalf("RetryAfter = %v, want %v (%v)", ne.RetryAfter, c.retryAfter, err)
					}
					if !strings.HasPrefix(ne.Reason, d.name+": ") || !strings.Contains(ne.Reason, c.reason) {
						t.Fatalf("Reason = %q, want prefix %q and %q", ne.Reason, d.name+": ", c.reason)
					}
				})
			}
		})
	}
}

// TestRecovers checks that every sender delivers once its destination is
// back: after going down, after a failure, after a slow spell.
func TestRecovers(t *testing.T) {
	t.Parallel()
	for _, d := range destinations(t) {
		t.Run(d.name, func(t *testing.T) {
			s := d.sender(t, 2*time.Second)
			d.server.Down()
			if _, err := s.Send(context.Background(), request(1)); notifyError(t, err).StatusCode != 0 {
				t.Fatalf("down: %v", err)
			}
			d.server.Up()
			d.server.FailNext(1, fake.Failure{Status: 500})
			if _, err := s.Send(context.Background(), request(2)); notifyError(t, err).StatusCode != 500 {
				t.Fatalf("500: %v", err)
			}
			if _, err := s.Send(context.Background(), request(3)); err != nil {
				t.Fatalf("after recovery: %v", err)
			}
			d.server.WaitFor(t, 1, 5*time.Second)
			if got := d.server.RequestCount(); got < 2 {
				t.Fatalf("fake saw %d requests", got)
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	env := lookup(map[string]string{"URL": "https://hooks.slack.com/services/T1/B2/secretpart"})
	tests := []struct {
		name string
		d    config.Destination
		want string // substring of the error; "" for success
	}{
		{"url_env resolved", config.Destination{Name: "s", Type: "slack", URLEnv: "URL"}, ""},
		{"url_env missing", config.Destination{Name: "s", Type: "slack", URLEnv: "NOPE"}, "destinations[s].url_env: environment variable NOPE is not set"},
		{"secret_env missing", config.Destination{Name: "d", Type: "dingtalk", URL: "https://oapi.dingtalk.com/robot/send?access_token=x", SecretEnv: "DT"}, "destinations[d].secret_env: environment variable DT is not set"},
		{"api_key_env missing", config.Destination{Name: "b", Type: "backlog", BaseURL: "https://x.backlog.com", APIKeyEnv: "BK", ProjectID: 1, IssueTypeID: 1, PriorityID: 3}, "destinations[b].api_key_env: environment variable BK is not set"},
		{"api_key_env unset in config", config.Destination{Name: "b", Type: "backlog", BaseURL: "https://x.backlog.com", ProjectID: 1, IssueTypeID: 1, PriorityID: 3}, "destinations[b].api_key_env"},
		{"no url", config.Destination{Name: "t", Type: "teams"}, "destinations[t].url"},
		{"bad url not echoed", config.Destination{Name: "w", Type: "webhook", URL: "ftp://host/secretpart"}, "is not an http(s) URL"},
		{"unknown type", config.Destination{Name: "x", Type: "fax", URL: "https://x"}, `"fax" is not one of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := notify.New(tt.d, env, nil)
			if tt.want == "" {
				if err != nil || s == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want it to contain %q", err, tt.want)
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v does not wrap *config.Error", err)
			}
			if strings.Contains(err.Error(), "secretpart") {
				t.Fatalf("error echoes the URL: %v", err)
			}
		})
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	hook := fake.NewWebhook(t)
	hook.FailNext(1, fake.Failure{Status: http.StatusFound})
	s := newSender(t, config.Destination{Name: "h", Type: "webhook", URL: hook.URL()}, nil, 2*time.Second)
	_, err := s.Send(context.Background(), request(1))
	if ne := notifyError(t, err); !ne.Permanent || ne.StatusCode != http.StatusFound {
		t.Fatalf("302: %v", err)
	}
}

func TestContextCanceled(t *testing.T) {
	t.Parallel()
	hook := fake.NewWebhook(t)
	s := newSender(t, config.Destination{Name: "h", Type: "webhook", URL: hook.URL()}, nil, 2*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Send(ctx, request(1))
	if ne := notifyError(t, err); ne.Permanent || ne.StatusCode != 0 {
		t.Fatalf("canceled: %v", err)
	}
}
