package notify_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/notify/notifytest"
)

func wecomDest() config.Destination {
	return config.Destination{Name: "wecom", Type: "wecom", URLEnv: "WECOM_URL"}
}

func wecomSender(t *testing.T, f *fake.WeCom) notify.Sender {
	return newSender(t, wecomDest(), map[string]string{"WECOM_URL": f.URL()}, 5*time.Second)
}

func TestWeCom(t *testing.T) {
	t.Parallel()
	f := fake.NewWeCom(t)
	if _, err := wecomSender(t, f).Send(context.Background(), request(1)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	m := f.Messages()[0]
	if m.MsgType != "markdown" || !strings.HasPrefix(m.Content, "### opsdesk: new question Q-000123\n> **Project:** ") {
		t.Fatalf("message = %q %q", m.MsgType, m.Content)
	}
	shown := notifytest.Shown(notifytest.WeCom, m.Content)
	for _, line := range strings.Split(question().Text, "\n") {
		if !strings.Contains(shown, line) {
			t.Fatalf("markdown does not show question line %q:\n%s", line, m.Content)
		}
	}
	if strings.Contains(m.Content, "<!channel>") || strings.Contains(m.Content, "<b>") {
		t.Fatalf("markdown has the question's markup unescaped:\n%s", m.Content)
	}
	if !strings.HasSuffix(m.Content, "\n[Open in console](https://desk.example.com/questions/Q-000123)") {
		t.Fatalf("console link: %q", tail(m.Content, 80))
	}
}

func TestWeComMessage(t *testing.T) {
	t.Parallel()
	f := fake.NewWeCom(t)
	s := wecomSender(t, f)
	if _, err := s.Send(context.Background(), messageRequest(1)); err != nil {
		t.Fatal(err)
	}
	c := f.Messages()[0].Content
	if !strings.HasPrefix(c, "### 🚨 CloudWatch alarm HighCPU が ALARM\n") {
		t.Fatalf("heading: %q", c)
	}
	shown := notifytest.Shown(notifytest.WeCom, c)
	for _, want := range []string{"> **Region:** ap-northeast-1", "CPU > 90% & rising", "<!channel> *bold* [link](https://evil.example) & <b>", "opsdesk · alert · critical · A-000042", "[Open in console](https://desk.example.com/alerts/A-000042)"} {
		if !strings.Contains(shown, want) {
			t.Fatalf("markdown does not show %q:\n%s", want, c)
		}
	}
	r := messageRequest(1)
	r.Mention = &notify.Mention{UserID: "u1"}
	_, err := s.Send(context.Background(), r)
	if ne := notifyError(t, err); !ne.Permanent {
		t.Fatalf("mention: %+v", ne)
	}
}

func TestWeComLongText(t *testing.T) {
	t.Parallel()
	f := fake.NewWeCom(t)
	s := wecomSender(t, f)
	r := messageRequest(1)
	r.Message.Text = longText()
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("Send: %v", err) // the fake refuses content over 4096 bytes (40058)
	}
	c := f.Messages()[0].Content
	if len(c) > 4000 || !strings.Contains(c, "…\n(truncated: the full text is in the console)") || !strings.Contains(c, "東京リージョンで障害😀が発生しました。") {
		t.Fatalf("content of %d bytes not cut as expected: %q", len(c), tail(c, 200))
	}
	q := request(1)
	q.Question.Text = strings.Repeat(notifytest.Text()+"\n", 10)
	if _, err := s.Send(context.Background(), q); err != nil {
		t.Fatalf("Send hostile long question: %v", err)
	}
	if l := notifytest.Live(notifytest.WeCom, f.Messages()[1].Content, "[Open in console]("+q.ConsoleURL); l != "" {
		t.Fatalf("live %s", l)
	}
}

func TestWeComErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("unknown key", func(t *testing.T) {
		t.Parallel()
		f := fake.NewWeCom(t)
		u := f.BaseURL() + "/cgi-bin/webhook/send?key=staleKey0123456789abcdef"
		_, err := newSender(t, config.Destination{Name: "w", Type: "wecom", URL: u}, nil, 5*time.Second).Send(ctx, request(1))
		if ne := notifyError(t, err); !ne.Permanent || ne.StatusCode != 200 || !strings.HasPrefix(ne.Reason, "wecom: errcode 93000: invalid webhook url") {
			t.Fatalf("unknown key: %+v", ne)
		}
		noSecrets(t, err, "staleKey0123456789abcdef")
	})
	t.Run("rate limit", func(t *testing.T) {
		t.Parallel()
		var at atomic.Int64
		at.Store(time.Now().UnixNano())
		f := fake.NewWeCom(t, fake.WithClock(func() time.Time { return time.Unix(0, at.Load()) }))
		s := wecomSender(t, f)
		for i := range fake.WeComPerMinute {
			if _, err := s.Send(ctx, request(1)); err != nil {
				t.Fatalf("message %d: %v", i+1, err)
			}
		}
		_, err := s.Send(ctx, request(1))
		if ne := notifyError(t, err); ne.Permanent || ne.RetryAfter != time.Minute || ne.Reason != "wecom: errcode 45009: api freq out of limit" {
			t.Fatalf("45009: %+v", ne)
		}
		at.Add(int64(time.Minute))
		if _, err := s.Send(ctx, request(1)); err != nil {
			t.Fatalf("a minute later: %v", err)
		}
		if n := len(f.Messages()); n != fake.WeComPerMinute+1 {
			t.Fatalf("%d messages accepted", n)
		}
	})
	t.Run("system busy", func(t *testing.T) {
		t.Parallel()
		f := fake.NewWeCom(t)
		f.FailNextErrcode(1, -1, "system busy")
		_, err := wecomSender(t, f).Send(ctx, request(1))
		if ne := notifyError(t, err); ne.Permanent || ne.Reason != "wecom: errcode -1: system busy" {
			t.Fatalf("-1: %+v", ne)
		}
	})
	t.Run("HTTP 502", func(t *testing.T) {
		t.Parallel()
		f := fake.NewWeCom(t)
		f.FailNext(1, fake.Failure{Status: 502})
		_, err := wecomSender(t, f).Send(ctx, request(1))
		if ne := notifyError(t, err); ne.Permanent || ne.StatusCode != 502 {
			t.Fatalf("502: %+v", ne)
		}
	})
}

// TestLarkWeComManyLongFields: twenty fields of 200 CJK characters are
// over WeCom's content limit on their own (and twenty of 200 "*" over
// Lark's once escaped); both destinations still deliver, showing as many
// fields as fit and saying how many more there are.
func TestLarkWeComManyLongFields(t *testing.T) {
	t.Parallel()
	r := messageRequest(1)
	r.Message.Fields = nil
	for i := range 20 {
		r.Message.Fields = append(r.Message.Fields, notify.Field{Name: "字段" + strings.Repeat("*", 40) + string(rune('A'+i)), Value: strings.Repeat("障*", 100)})
	}
	wc := fake.NewWeCom(t)
	if _, err := wecomSender(t, wc).Send(context.Background(), r); err != nil {
		t.Fatalf("wecom: %v", err)
	}
	c := wc.Messages()[0].Content
	if !strings.Contains(c, " more in the console)") || !strings.Contains(c, "字段") || len(c) > 4000 {
		t.Fatalf("wecom content of %d bytes:\n%s", len(c), c)
	}
	lk := fake.NewLark(t)
	s := newSender(t, config.Destination{Name: "l", Type: "lark", URL: lk.URL()}, nil, 5*time.Second)
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("lark: %v", err)
	}
	shown := larkShown(strings.Join(lk.Messages()[0].Texts, "\n"))
	if !strings.Contains(shown, " more in the console)") || !strings.Contains(shown, "字段****") {
		t.Fatalf("lark card:\n%s", shown)
	}
}
