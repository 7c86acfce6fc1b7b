package notify_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/notify/notifytest"
)

const larkSecret = "larkSecret0123456789abcdef"

func larkDest(f *fake.Lark) config.Destination {
	return config.Destination{Name: "lark", Type: "lark", URL: f.URL(), SecretEnv: "LARK_SECRET"}
}

func larkSender(t *testing.T, f *fake.Lark, secret string) notify.Sender {
	return newSender(t, larkDest(f), map[string]string{"LARK_SECRET": secret}, 5*time.Second)
}

// larkShown is what a reader sees of a lark_md text.
func larkShown(s string) string { return strings.ReplaceAll(html.UnescapeString(s), "\u200b", "") }

func TestLark(t *testing.T) {
	t.Parallel()
	f := fake.NewLark(t, fake.WithSecret(larkSecret), fake.WithKeyword("opsdesk"))
	before := time.Now().Unix()
	if _, err := larkSender(t, f, larkSecret).Send(context.Background(), request(1)); err != nil {
		t.Fatalf("Send: %v", err) // the fake verified timestamp, sign and keyword
	}
	m := f.Messages()[0]
	if m.MsgType != "interactive" || m.Title != "opsdesk: new question Q-000123" || m.Template != "blue" {
		t.Fatalf("message = %q %q %q", m.MsgType, m.Title, m.Template)
	}
	if m.Timestamp < before || m.Timestamp > time.Now().Unix() {
		t.Fatalf("timestamp %d is not the send time in seconds", m.Timestamp)
	}
	if m.Sign != fake.LarkSign(larkSecret, m.Timestamp) {
		t.Fatalf("sign %q", m.Sign)
	}
	if len(m.Buttons) != 1 || m.Buttons[0] != "https://desk.example.com/questions/Q-000123" {
		t.Fatalf("buttons = %q", m.Buttons)
	}
	all := strings.Join(m.Texts, "\n")
	shown := larkShown(all)
	for _, line := range strings.Split(question().Text, "\n") {
		if !strings.Contains(shown, line) {
			t.Fatalf("card does not show question line %q:\n%s", line, all)
		}
	}
	if strings.Contains(all, "<!channel>") || strings.Contains(all, "<b>") {
		t.Fatalf("card has the question's markup unescaped:\n%s", all)
	}
	if !strings.Contains(all, "**Project:** ") {
		t.Fatalf("facts missing:\n%s", all)
	}
	req := f.Requests()[0]
	if ct := req.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
}

// TestLarkSignKnownValue pins the signing time and compares the sign with
// one computed outside Go (printf ” | openssl dgst -sha256 -hmac
// "$(printf '1700000000\n%s' "$secret")" -binary | base64).
func TestLarkSignKnownValue(t *testing.T) {
	t.Parallel()
	const want = "B0foMOs6Bpl1rClPwNRcBPrxwNwApIpOC+FJy5CwKzo="
	if got := notify.LarkSign(larkSecret, 1700000000); got != want {
		t.Fatalf("LarkSign = %q, want %q", got, want)
	}
	at := time.Unix(1700000000, 0)
	f := fake.NewLark(t, fake.WithSecret(larkSecret), fake.WithClock(func() time.Time { return at.Add(59 * time.Minute) }))
	s := larkSender(t, f, larkSecret)
	notify.SetLarkClock(s, func() time.Time { return at })
	if _, err := s.Send(context.Background(), messageRequest(1)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	var body map[string]any
	if err := json.Unmarshal(f.Requests()[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["timestamp"] != "1700000000" || body["sign"] != want {
		t.Fatalf("timestamp %v sign %v", body["timestamp"], body["sign"])
	}
	// An hour and a minute later the same signature is refused.
	f2 := fake.NewLark(t, fake.WithSecret(larkSecret), fake.WithClock(func() time.Time { return at.Add(61 * time.Minute) }))
	s2 := larkSender(t, f2, larkSecret)
	notify.SetLarkClock(s2, func() time.Time { return at })
	_, err := s2.Send(context.Background(), messageRequest(1))
	if ne := notifyError(t, err); !ne.Permanent || !strings.Contains(ne.Reason, "code 19021") {
		t.Fatalf("stale timestamp: %+v", ne)
	}
}

func TestLarkMessage(t *testing.T) {
	t.Parallel()
	f := fake.NewLark(t)
	s := newSender(t, config.Destination{Name: "l", Type: "lark", URL: f.URL()}, nil, 5*time.Second)
	if _, err := s.Send(context.Background(), messageRequest(1)); err != nil {
		t.Fatal(err)
	}
	m := f.Messages()[0]
	if m.Timestamp != 0 || m.Sign != "" {
		t.Fatalf("unsigned destination signed: %d %q", m.Timestamp, m.Sign)
	}
	if m.Template != "red" || m.Title != "🚨 opsdesk: CloudWatch alarm HighCPU が ALARM" {
		t.Fatalf("header %q %q", m.Template, m.Title)
	}
	shown := larkShown(strings.Join(m.Texts, "\n"))
	for _, want := range []string{"Region:** ap-northeast-1", "Threshold:** CPU > 90% & rising", "<!channel> *bold* [link](https://evil.example) & <b>", "opsdesk · alert · critical · A-000042"} {
		if !strings.Contains(shown, want) {
			t.Fatalf("card does not show %q:\n%s", want, shown)
		}
	}
	if len(m.Buttons) != 1 || m.Buttons[0] != "https://desk.example.com/alerts/A-000042" {
		t.Fatalf("buttons %q", m.Buttons)
	}
	// A mention cannot be sent to Lark.
	r := messageRequest(1)
	r.Mention = &notify.Mention{UserID: "u1"}
	_, err := s.Send(context.Background(), r)
	if ne := notifyError(t, err); !ne.Permanent {
		t.Fatalf("mention: %+v", ne)
	}
	if notify.CanMention(s) {
		t.Fatal("lark claims to mention")
	}
}

func TestLarkLongText(t *testing.T) {
	t.Parallel()
	f := fake.NewLark(t, fake.WithSecret(larkSecret))
	s := larkSender(t, f, larkSecret)
	r := messageRequest(1)
	r.Message.Text = longText()
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("Send: %v", err) // the fake refuses bodies over 20 KB
	}
	if n := len(f.Requests()[0].Body); n > 19000 {
		t.Fatalf("body is %d bytes", n)
	}
	texts := f.Messages()[0].Texts
	shown := larkShown(strings.Join(texts, "\n"))
	if !strings.Contains(shown, "…\n(truncated: the full text is in the console)") || !strings.Contains(shown, "東京リージョンで障害😀が発生しました。") {
		t.Fatalf("long text not cut as expected: %q", tail(shown, 200))
	}
	q := request(1)
	q.Question.Text = strings.Repeat(notifytest.Text()+"\n", 40) // escaping multiplies the size
	if _, err := s.Send(context.Background(), q); err != nil {
		t.Fatalf("Send hostile long question: %v", err)
	}
	m := f.Messages()[1]
	notifytest.CheckLark(t, "long question", m, nil)
}

func TestLarkErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("wrong secret", func(t *testing.T) {
		t.Parallel()
		f := fake.NewLark(t, fake.WithSecret(larkSecret))
		_, err := larkSender(t, f, "wrongwrongwrong").Send(ctx, request(1))
		ne := notifyError(t, err)
		if !ne.Permanent || ne.StatusCode != 200 || !strings.HasPrefix(ne.Reason, "lark: code 19021: sign match fail") {
			t.Fatalf("wrong secret: %+v", ne)
		}
		noSecrets(t, err, "wrongwrongwrong", f.Token())
	})
	t.Run("signing required but not configured", func(t *testing.T) {
		t.Parallel()
		f := fake.NewLark(t, fake.WithSecret(larkSecret))
		_, err := newSender(t, config.Destination{Name: "l", Type: "lark", URL: f.URL()}, nil, 5*time.Second).Send(ctx, request(1))
		if ne := notifyError(t, err); !ne.Permanent || !strings.Contains(ne.Reason, "code 19021") {
			t.Fatalf("unsigned: %+v", ne)
		}
	})
	t.Run("keyword missing", func(t *testing.T) {
		t.Parallel()
		f := fake.NewLark(t, fake.WithKeyword("告警"))
		_, err := newSender(t, config.Destination{Name: "l", Type: "lark", URL: f.URL()}, nil, 5*time.Second).Send(ctx, request(1))
		if ne := notifyError(t, err); !ne.Permanent || ne.Reason != "lark: code 19024: Key Words Not Found" {
			t.Fatalf("keyword: %+v", ne)
		}
	})
	t.Run("unknown token", func(t *testing.T) {
		t.Parallel()
		f := fake.NewLark(t)
		u := f.BaseURL() + "/open-apis/bot/v2/hook/staleHookToken0123456789"
		_, err := newSender(t, config.Destination{Name: "l", Type: "lark", URL: u}, nil, 5*time.Second).Send(ctx, request(1))
		if ne := notifyError(t, err); !ne.Permanent || !strings.HasPrefix(ne.Reason, "lark: code 19001: ") {
			t.Fatalf("unknown token: %+v", ne)
		}
		noSecrets(t, err, "staleHookToken0123456789")
	})
	t.Run("frequency limited", func(t *testing.T) {
		t.Parallel()
		f := fake.NewLark(t)
		f.FailNextCode(1, fake.LarkFrequencyLimited, "frequency limited psm[lark.oapi.app_platform_runtime]")
		_, err := newSender(t, config.Destination{Name: "l", Type: "lark", URL: f.URL()}, nil, 5*time.Second).Send(ctx, request(1))
		if ne := notifyError(t, err); ne.Permanent || ne.RetryAfter != time.Minute || ne.StatusCode != 200 {
			t.Fatalf("11232: %+v", ne)
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		t.Parallel()
		// The fake's clock stands still: five messages fit in its second,
		// the sixth is over the limit.
		var at atomic.Int64
		at.Store(time.Now().UnixNano())
		f := fake.NewLark(t, fake.WithClock(func() time.Time { return time.Unix(0, at.Load()) }))
		s := newSender(t, config.Destination{Name: "l", Type: "lark", URL: f.URL()}, nil, 5*time.Second)
		for i := range fake.LarkPerSecond {
			if _, err := s.Send(ctx, request(1)); err != nil {
				t.Fatalf("message %d: %v", i+1, err)
			}
		}
		_, err := s.Send(ctx, request(1))
		if ne := notifyError(t, err); ne.Permanent || ne.RetryAfter != time.Minute || ne.Reason != "lark: code 9499: too many request" {
			t.Fatalf("9499: %+v", ne)
		}
		at.Add(int64(time.Second))
		if _, err := s.Send(ctx, request(1)); err != nil {
			t.Fatalf("a second later: %v", err)
		}
	})
	t.Run("HTTP 429 with Retry-After", func(t *testing.T) {
		t.Parallel()
		f := fake.NewLark(t)
		f.FailNext(1, fake.Failure{Status: http.StatusTooManyRequests, RetryAfter: "7"})
		_, err := newSender(t, config.Destination{Name: "l", Type: "lark", URL: f.URL()}, nil, 5*time.Second).Send(ctx, request(1))
		if ne := notifyError(t, err); ne.Permanent || ne.RetryAfter != 7*time.Second || ne.StatusCode != 429 {
			t.Fatalf("429: %+v", ne)
		}
	})
}
