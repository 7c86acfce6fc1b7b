package notify_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/opsdesk/opsdesk/internal/fake"
)

func TestSlack(t *testing.T) {
	t.Parallel()
	f := fake.NewSlack(t)
	s := newSender(t, slackDest(), map[string]string{"SLACK_URL": f.URL()}, 5*time.Second)
	if _, err := s.Send(context.Background(), request(1)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	golden(t, "slack.json", indentJSON(t, f.Requests()[0].Body))
	m := f.Messages()[0]
	// The fallback text is mrkdwn: the submitter's "<!channel>" must be
	// escaped so it cannot ping anyone.
	if want := "New question Q-000123: EC2インスタンスにSSHで接続できません。"; m.Text != want {
		t.Fatalf("text = %q, want %q", m.Text, want)
	}
	if got, want := m.BlockTypes(), []string{"header", "section", "section", "actions"}; !slices.Equal(got, want) {
		t.Fatalf("blocks = %v, want %v", got, want)
	}
	if got := m.SectionTexts(); len(got) != 1 || got[0] != question().Text {
		t.Fatalf("question section = %q, want the question as plain text", got)
	}
}

func TestSlackEscapesFallback(t *testing.T) {
	t.Parallel()
	f := fake.NewSlack(t)
	s := newSender(t, slackDest(), map[string]string{"SLACK_URL": f.URL()}, 5*time.Second)
	r := request(1)
	r.Question.Text = "<!channel> <https://evil.example|click> & more\nsecond line"
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("Send: %v", err)
	}
	m := f.Messages()[0]
	if want := "New question Q-000123: &lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; more"; m.Text != want {
		t.Fatalf("text = %q, want %q", m.Text, want)
	}
	if got := m.SectionTexts(); got[0] != r.Question.Text {
		t.Fatalf("plain_text section = %q, want the question unchanged", got[0])
	}
}

func TestSlackLongQuestionSplit(t *testing.T) {
	t.Parallel()
	f := fake.NewSlack(t)
	s := newSender(t, slackDest(), map[string]string{"SLACK_URL": f.URL()}, 5*time.Second)
	r := request(1)
	// 8000 characters, some outside the BMP (two UTF-16 units each).
	r.Question.Text = strings.Repeat("ネットワーク障害の質問です。", 500) + strings.Repeat("😀", 1000)
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("Send: %v", err) // the fake refuses sections over 3000 characters
	}
	parts := f.Messages()[0].SectionTexts()
	if len(parts) < 4 {
		t.Fatalf("question split into %d sections", len(parts))
	}
	for i, p := range parts {
		if n := len(utf16.Encode([]rune(p))); n > 3000 {
			t.Fatalf("section %d has %d characters", i, n)
		}
	}
	if got := strings.Join(parts, ""); got != r.Question.Text {
		t.Fatalf("sections do not add up to the question (%d vs %d bytes)", len(got), len(r.Question.Text))
	}
}

func TestSlackErrors(t *testing.T) {
	t.Parallel()
	for _, reason := range []string{"invalid_payload", "no_service", "channel_not_found", "channel_is_archived", "action_prohibited"} {
		t.Run(reason, func(t *testing.T) {
			t.Parallel()
			f := fake.NewSlack(t)
			s := newSender(t, slackDest(), map[string]string{"SLACK_URL": f.URL()}, 5*time.Second)
			status := map[string]int{"no_service": 404, "channel_not_found": 404, "channel_is_archived": 410, "action_prohibited": 403}[reason]
			if status == 0 {
				status = 400
			}
			f.FailNext(1, fake.Failure{Status: status, Body: reason})
			_, err := s.Send(context.Background(), request(1))
			ne := notifyError(t, err)
			if !ne.Permanent || ne.StatusCode != status || !strings.HasSuffix(ne.Reason, ": "+reason) {
				t.Fatalf("%s: %+v", reason, ne)
			}
			noSecrets(t, err, f.Token())
		})
	}
	t.Run("unknown hook", func(t *testing.T) {
		t.Parallel()
		f := fake.NewSlack(t)
		url := f.BaseURL() + "/services/T0FAKE0001/B0FAKE0001/revokedHookToken99887766"
		s := newSender(t, slackDest(), map[string]string{"SLACK_URL": url}, 5*time.Second)
		_, err := s.Send(context.Background(), request(1))
		if ne := notifyError(t, err); !ne.Permanent || ne.Reason != "slack: HTTP 404 Not Found: no_service" {
			t.Fatalf("unknown hook: %+v", ne)
		}
		noSecrets(t, err, "revokedHookToken99887766")
	})
	t.Run("rate limited", func(t *testing.T) {
		t.Parallel()
		f := fake.NewSlack(t)
		s := newSender(t, slackDest(), map[string]string{"SLACK_URL": f.URL()}, 5*time.Second)
		f.FailNext(1, fake.Failure{Status: 429, RetryAfter: "30"})
		_, err := s.Send(context.Background(), request(1))
		if ne := notifyError(t, err); ne.Permanent || ne.RetryAfter != 30*time.Second || !strings.Contains(ne.Reason, "rate_limited") {
			t.Fatalf("429: %+v", ne)
		}
	})
}
