package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/notify"
)

const backlogKey = "bl-api-key-4f3c2b1a0987"

func newBacklog(t *testing.T, timeout time.Duration) (*fake.Backlog, notify.Sender) {
	t.Helper()
	f := fake.NewBacklog(t, fake.WithAPIKey(backlogKey), fake.WithProject(77, "TRAIN"))
	s := newSender(t, backlogDest(f), map[string]string{"BACKLOG_KEY": backlogKey}, timeout)
	return f, s
}

func TestBacklog(t *testing.T) {
	t.Parallel()
	f, s := newBacklog(t, 5*time.Second)
	res, err := s.Send(context.Background(), request(1))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if res.ExternalRef != "TRAIN-1" {
		t.Fatalf("ExternalRef = %q, want TRAIN-1", res.ExternalRef)
	}
	reqs := f.Requests()
	if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/api/v2/issues" || reqs[0].Query.Get("apiKey") != backlogKey {
		t.Fatalf("first attempt must be a single POST /api/v2/issues?apiKey=…, got %+v", reqs)
	}
	if ct := reqs[0].Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Fatalf("Content-Type = %q", ct)
	}
	form, err := url.ParseQuery(string(reqs[0].Body))
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	enc := json.NewEncoder(&pretty)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(form); err != nil {
		t.Fatal(err)
	}
	golden(t, "backlog_form.json", pretty.Bytes())

	is := f.Issues()[0]
	if is.Summary != "EC2インスタンスにSSHで接続できません。" || is.IssueTypeID != 2 || is.PriorityID != 3 || is.AssigneeID != 7 ||
		!slices.Equal(is.MilestoneIDs, []int64{11, 12}) || !slices.Equal(is.CategoryIDs, []int64{21}) {
		t.Fatalf("issue = %+v", is)
	}
	lines := strings.Split(is.Description, "\n")
	if !strings.HasPrefix(shownMarkdown(is.Description), question().Text+"\n") || strings.Contains(is.Description, "<b>") ||
		lines[len(lines)-1] != "opsdesk-delivery: dlv-01J0ABCDEF" {
		t.Fatalf("description = %q", is.Description)
	}
	for _, want := range []string{"Project: AWS-TR-0612", "Name: 山田 太郎", "Submitted: 2024-06-12 01:02:03 UTC", "Reference: Q-000123"} {
		if !slices.Contains(lines, want) {
			t.Fatalf("description lacks %q:\n%s", want, is.Description)
		}
	}
}

func TestBacklogSummaryCut(t *testing.T) {
	t.Parallel()
	f, s := newBacklog(t, 5*time.Second)
	r := request(1)
	first := strings.Repeat("東京リージョンのEC2で障害", 6) // 14 runes × 6 = 84 runes
	r.Question.Text = "\n   \n" + first + "\n二行目"
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := f.Issues()[0].Summary
	if want := string([]rune(first)[:50]); got != want {
		t.Fatalf("summary = %q, want %q", got, want)
	}
	if utf8.RuneCountInString(got) != 50 || !utf8.ValidString(got) {
		t.Fatalf("summary %q is not 50 valid characters", got)
	}
}

// TestBacklogRetryFindsEarlierIssue: the first attempt creates the issue but
// its answer is lost (client timeout); the retry must return that issue's
// key instead of creating a second one.
func TestBacklogRetryFindsEarlierIssue(t *testing.T) {
	t.Parallel()
	f, slow := newBacklog(t, 150*time.Millisecond)
	f.SetDelay(3 * time.Second)
	_, err := slow.Send(context.Background(), request(1))
	if ne := notifyError(t, err); ne.Permanent || ne.StatusCode != 0 {
		t.Fatalf("attempt 1: want a retryable timeout, got %v", err)
	}
	noSecrets(t, err, backlogKey)
	f.WaitFor(t, 1, 5*time.Second) // the issue was created all the same
	f.SetDelay(0)
	// A newer issue that merely mentions the delivery id: keyword search
	// returns it first, but it is not the delivery's issue.
	f.CreateIssue("unrelated", "mentions dlv-01J0ABCDEF in passing\nopsdesk-delivery: dlv-OTHER")

	s := newSender(t, backlogDest(f), map[string]string{"BACKLOG_KEY": backlogKey}, 5*time.Second)
	res, err := s.Send(context.Background(), request(2))
	if err != nil {
		t.Fatalf("attempt 2: %v", err)
	}
	if res.ExternalRef != "TRAIN-1" {
		t.Fatalf("attempt 2 ExternalRef = %q, want the earlier TRAIN-1", res.ExternalRef)
	}
	if n := len(f.Issues()); n != 2 {
		t.Fatalf("%d issues, want 2 (no duplicate)", n)
	}
	search := f.Requests()[1]
	if search.Method != "GET" || search.Path != "/api/v2/issues" ||
		search.Query.Get("keyword") != "dlv-01J0ABCDEF" || search.Query.Get("projectId[]") != "77" || search.Query.Get("apiKey") != backlogKey {
		t.Fatalf("retry search = %+v", search)
	}

	// A retry of a delivery that never reached Backlog creates the issue.
	r := request(3)
	r.DeliveryID = "dlv-NEW"
	res, err = s.Send(context.Background(), r)
	if err != nil || res.ExternalRef != "TRAIN-3" {
		t.Fatalf("retry without earlier issue: %v %+v", err, res)
	}
}

func TestBacklogErrors(t *testing.T) {
	t.Parallel()
	t.Run("wrong api key", func(t *testing.T) {
		t.Parallel()
		f := fake.NewBacklog(t)
		s := newSender(t, backlogDest(f), map[string]string{"BACKLOG_KEY": backlogKey}, 5*time.Second)
		_, err := s.Send(context.Background(), request(1))
		ne := notifyError(t, err)
		if !ne.Permanent || ne.StatusCode != 401 || ne.Reason != "backlog: HTTP 401 Unauthorized: Authentication failure. (code 11)" {
			t.Fatalf("wrong key: %+v", ne)
		}
		noSecrets(t, err, backlogKey)
	})
	t.Run("invalid priority", func(t *testing.T) {
		t.Parallel()
		f := fake.NewBacklog(t, fake.WithAPIKey(backlogKey))
		d := backlogDest(f)
		d.PriorityID = 9
		s := newSender(t, d, map[string]string{"BACKLOG_KEY": backlogKey}, 5*time.Second)
		_, err := s.Send(context.Background(), request(1))
		if ne := notifyError(t, err); !ne.Permanent || ne.StatusCode != 400 || ne.Reason != "backlog: HTTP 400 Bad Request: No priority. (code 7)" {
			t.Fatalf("bad priority: %+v", ne)
		}
	})
	t.Run("unknown project", func(t *testing.T) {
		t.Parallel()
		f := fake.NewBacklog(t, fake.WithAPIKey(backlogKey))
		d := backlogDest(f)
		d.ProjectID = 999
		s := newSender(t, d, map[string]string{"BACKLOG_KEY": backlogKey}, 5*time.Second)
		_, err := s.Send(context.Background(), request(1))
		if ne := notifyError(t, err); !ne.Permanent || ne.StatusCode != 404 || !strings.Contains(ne.Reason, "No project. (code 6)") {
			t.Fatalf("unknown project: %+v", ne)
		}
	})
	t.Run("429 X-RateLimit-Reset", func(t *testing.T) {
		t.Parallel()
		f, s := newBacklog(t, 5*time.Second)
		reset := time.Now().Add(40 * time.Second).Unix()
		f.FailNext(1, fake.Failure{Status: 429, RateLimitReset: strconv.FormatInt(reset, 10), RetryAfter: "5"})
		_, err := s.Send(context.Background(), request(1))
		ne := notifyError(t, err)
		if ne.Permanent || ne.StatusCode != 429 || ne.RetryAfter < 38*time.Second || ne.RetryAfter > 41*time.Second {
			t.Fatalf("429: want RetryAfter ≈ 40s from X-RateLimit-Reset, got %+v", ne)
		}
		if !strings.Contains(ne.Reason, "Rate limit is exceeded. (code 13)") {
			t.Fatalf("429 reason = %q", ne.Reason)
		}
	})
	t.Run("429 without headers waits a minute", func(t *testing.T) {
		t.Parallel()
		f, s := newBacklog(t, 5*time.Second)
		f.FailNext(1, fake.Failure{Status: 429})
		_, err := s.Send(context.Background(), request(1))
		if ne := notifyError(t, err); ne.RetryAfter != time.Minute {
			t.Fatalf("429: %+v", ne)
		}
	})
	t.Run("search fails on retry", func(t *testing.T) {
		t.Parallel()
		f, s := newBacklog(t, 5*time.Second)
		f.FailNext(1, fake.Failure{Status: 503})
		_, err := s.Send(context.Background(), request(2))
		ne := notifyError(t, err)
		if ne.Permanent || ne.StatusCode != 503 || !strings.Contains(ne.Reason, "search for earlier delivery") {
			t.Fatalf("search 503: %+v", ne)
		}
		if len(f.Issues()) != 0 {
			t.Fatal("an issue was created although the search failed")
		}
	})
}
