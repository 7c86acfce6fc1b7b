package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/notify"
)

const dingSecret = "SECdingtalk0123456789abcdef"

func TestDingTalk(t *testing.T) {
	t.Parallel()
	f := fake.NewDingTalk(t, fake.WithSecret(dingSecret), fake.WithKeyword("opsdesk"))
	s := newSender(t, dingtalkDest(f), map[string]string{"DT_SECRET": dingSecret}, 5*time.Second)
	before := time.Now().UnixMilli()
	if _, err := s.Send(context.Background(), request(1)); err != nil {
		t.Fatalf("Send: %v", err) // the fake verified timestamp, sign and keyword
	}
	req := f.Requests()[0]
	golden(t, "dingtalk.json", indentJSON(t, req.Body))

	m := f.Messages()[0]
	if m.MsgType != "markdown" || m.Title != "opsdesk: question Q-000123" {
		t.Fatalf("message = %+v", m)
	}
	if m.Timestamp < before || m.Timestamp > time.Now().UnixMilli() {
		t.Fatalf("timestamp %d is not the send time in ms", m.Timestamp)
	}
	if m.Sign != fake.DingTalkSign(dingSecret, m.Timestamp) {
		t.Fatalf("sign %q", m.Sign)
	}
	// sign travels URL-encoded: base64's + / = must be escaped in the raw query.
	raw := req.Query.Get("sign")
	if raw != m.Sign {
		t.Fatalf("decoded sign differs: %q vs %q", raw, m.Sign)
	}
	shown := shownMarkdown(m.Text)
	for _, line := range strings.Split(question().Text, "\n") {
		if !strings.Contains(shown, line) {
			t.Fatalf("markdown does not show question line %q:\n%s", line, m.Text)
		}
	}
	if strings.Contains(m.Text, "<!channel>") || strings.Contains(m.Text, "<b>") {
		t.Fatalf("markdown has the question's markup unescaped:\n%s", m.Text)
	}
}

// rawQueries is an http.RoundTripper that records each request's query
// string as sent, before anything decodes it.
type rawQueries struct {
	mu  sync.Mutex
	raw []string
}

func (q *rawQueries) RoundTrip(r *http.Request) (*http.Response, error) {
	q.mu.Lock()
	q.raw = append(q.raw, r.URL.RawQuery)
	q.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// formEscape percent-encodes s as application/x-www-form-urlencoded does:
// ASCII letters, digits and -_.~ stay, every other byte becomes %XX.
func formEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-_.~", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// TestDingTalkSignEncoding pins the signing time to a timestamp whose sign
// holds "+", "/" and "=" and compares the query string as sent. The sign
// and its escaped form were computed outside Go
// (printf '%s\n%s' "$ts" "$secret" | openssl dgst -sha256 -hmac "$secret"
// -binary | base64; Python's urllib.parse.quote_plus); the test also
// derives both by the documented algorithm.
func TestDingTalkSignEncoding(t *testing.T) {
	t.Parallel()
	const (
		ts      = int64(1700000000001)
		sign    = "zoPQVkV/rKKa48HonShGbtdyQ5CaQ3CzJM5M3+wU8qI="
		escaped = "zoPQVkV%2FrKKa48HonShGbtdyQ5CaQ3CzJM5M3%2BwU8qI%3D"
	)
	mac := hmac.New(sha256.New, []byte(dingSecret))
	mac.Write([]byte(strconv.FormatInt(ts, 10) + "\n" + dingSecret))
	if got := base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != sign {
		t.Fatalf("documented algorithm gives %q, the hard-coded sign is %q", got, sign)
	}
	if got := formEscape(sign); got != escaped {
		t.Fatalf("escaping by hand gives %q, the hard-coded form is %q", got, escaped)
	}
	at := time.UnixMilli(ts)
	f := fake.NewDingTalk(t, fake.WithSecret(dingSecret), fake.WithClock(func() time.Time { return at }))
	rec := &rawQueries{}
	s, err := notify.New(dingtalkDest(f), lookup(map[string]string{"DT_SECRET": dingSecret}), &http.Client{Timeout: 5 * time.Second, Transport: rec})
	if err != nil {
		t.Fatal(err)
	}
	notify.SetDingTalkClock(s, func() time.Time { return at })
	if _, err := s.Send(context.Background(), request(1)); err != nil {
		t.Fatalf("Send: %v", err) // the fake decoded the query and verified the sign
	}
	u, err := url.Parse(f.URL())
	if err != nil {
		t.Fatal(err)
	}
	want := u.RawQuery + "&timestamp=1700000000001&sign=" + escaped
	if len(rec.raw) != 1 || rec.raw[0] != want {
		t.Fatalf("query sent %q, want %q", rec.raw, want)
	}
	if m := f.Messages()[0]; m.Timestamp != ts || m.Sign != sign {
		t.Fatalf("the fake read timestamp %d sign %q", m.Timestamp, m.Sign)
	}
}

func TestDingTalkLongQuestion(t *testing.T) {
	t.Parallel()
	f := fake.NewDingTalk(t, fake.WithSecret(dingSecret))
	s := newSender(t, dingtalkDest(f), map[string]string{"DT_SECRET": dingSecret}, 5*time.Second)
	r := request(1)
	r.Question.Text = strings.Repeat("本番環境のRDSでフェイルオーバーが発生しました。", 320) // 8000 characters, 24000+ bytes
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("Send: %v", err) // the fake refuses bodies over 20000 bytes (460101)
	}
	if m := f.Messages()[0]; !strings.Contains(m.Text, "(truncated: the full question is in the console)") {
		t.Fatalf("long question not marked as truncated")
	}
}

func TestDingTalkErrors(t *testing.T) {
	t.Parallel()
	t.Run("wrong secret", func(t *testing.T) {
		t.Parallel()
		f := fake.NewDingTalk(t, fake.WithSecret(dingSecret))
		s := newSender(t, dingtalkDest(f), map[string]string{"DT_SECRET": "SECwrongwrongwrong"}, 5*time.Second)
		_, err := s.Send(context.Background(), request(1))
		ne := notifyError(t, err)
		if !ne.Permanent || ne.StatusCode != 200 || !strings.HasPrefix(ne.Reason, "dingtalk: errcode 310000: sign not match") {
			t.Fatalf("wrong secret: %+v", ne)
		}
		noSecrets(t, err, "SECwrongwrongwrong", f.Token())
	})
	t.Run("signing required but not configured", func(t *testing.T) {
		t.Parallel()
		f := fake.NewDingTalk(t, fake.WithSecret(dingSecret))
		s := newSender(t, config.Destination{Name: "d", Type: "dingtalk", URL: f.URL()}, nil, 5*time.Second)
		_, err := s.Send(context.Background(), request(1))
		if ne := notifyError(t, err); !ne.Permanent || !strings.Contains(ne.Reason, "errcode 310000") {
			t.Fatalf("unsigned: %+v", ne)
		}
	})
	t.Run("keyword missing", func(t *testing.T) {
		t.Parallel()
		f := fake.NewDingTalk(t, fake.WithKeyword("告警"))
		s := newSender(t, config.Destination{Name: "d", Type: "dingtalk", URL: f.URL()}, nil, 5*time.Second)
		_, err := s.Send(context.Background(), request(1))
		if ne := notifyError(t, err); !ne.Permanent || !strings.Contains(ne.Reason, "errcode 310000") {
			t.Fatalf("keyword: %+v", ne)
		}
	})
	t.Run("unknown token", func(t *testing.T) {
		t.Parallel()
		f := fake.NewDingTalk(t)
		url := f.BaseURL() + "/robot/send?access_token=staleTokenValue0123456789"
		s := newSender(t, config.Destination{Name: "d", Type: "dingtalk", URL: url}, nil, 5*time.Second)
		_, err := s.Send(context.Background(), request(1))
		if ne := notifyError(t, err); !ne.Permanent || ne.Reason != "dingtalk: errcode 300001: token is not exist" {
			t.Fatalf("unknown token: %+v", ne)
		}
		noSecrets(t, err, "staleTokenValue0123456789")
	})
	t.Run("send too fast", func(t *testing.T) {
		t.Parallel()
		f := fake.NewDingTalk(t, fake.WithSecret(dingSecret))
		s := newSender(t, dingtalkDest(f), map[string]string{"DT_SECRET": dingSecret}, 5*time.Second)
		f.FailNextErrcode(1, fake.DingTalkSendTooFast, "send too fast, exceed 20 times per minute")
		_, err := s.Send(context.Background(), request(1))
		if ne := notifyError(t, err); ne.Permanent || ne.RetryAfter != time.Minute || ne.StatusCode != 200 {
			t.Fatalf("130101: %+v", ne)
		}
	})
	t.Run("system busy", func(t *testing.T) {
		t.Parallel()
		f := fake.NewDingTalk(t)
		s := newSender(t, config.Destination{Name: "d", Type: "dingtalk", URL: f.URL()}, nil, 5*time.Second)
		f.FailNextErrcode(1, -1, "系统繁忙")
		_, err := s.Send(context.Background(), request(1))
		if ne := notifyError(t, err); ne.Permanent || ne.Reason != "dingtalk: errcode -1: 系统繁忙" {
			t.Fatalf("-1: %+v", ne)
		}
	})
}
