package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
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

func TestDingTalkSignEncoding(t *testing.T) {
	t.Parallel()
	f := fake.NewDingTalk(t, fake.WithSecret(dingSecret))
	s := newSender(t, dingtalkDest(f), map[string]string{"DT_SECRET": dingSecret}, 5*time.Second)
	// Send until a signature contains a character that needs escaping.
	for i := range 50 {
		if _, err := s.Send(context.Background(), request(1)); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		m := f.Messages()[i]
		if strings.ContainsAny(m.Sign, "+/=") {
			return // the fake decoded and verified it
		}
		time.Sleep(time.Millisecond) // a new timestamp gives a new signature
	}
	t.Fatal("no signature with + / = in 50 tries")
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
