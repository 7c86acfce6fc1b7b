package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/notify"
)

const hookSecret = "whsec-0123456789"

func TestWebhook(t *testing.T) {
	t.Parallel()
	f := fake.NewWebhook(t, fake.WithSecret(hookSecret))
	s := newSender(t, webhookDest(f), map[string]string{"WH_SECRET": hookSecret}, 5*time.Second)
	if _, err := s.Send(context.Background(), request(1)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	d := f.Deliveries()[0]
	golden(t, "webhook.json", indentJSON(t, d.Body))
	if d.IdempotencyKey != "dlv-01J0ABCDEF" || d.Attempt != "1" || !strings.HasPrefix(d.UserAgent, "opsdesk/") {
		t.Fatalf("delivery headers = %+v", d)
	}
	if err := notify.VerifyWebhookSignature([]byte(hookSecret), d.Timestamp, d.Body, d.Signature, time.Now(), time.Minute); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	if d.Payload.Question.Text != question().Text || d.Payload.Question.SubmittedAt != "2024-06-12T01:02:03Z" {
		t.Fatalf("payload = %+v", d.Payload)
	}

	// A retry of the same delivery carries the same key: the receiver sees
	// two requests and one delivery.
	if _, err := s.Send(context.Background(), request(2)); err != nil {
		t.Fatalf("Send retry: %v", err)
	}
	if f.Count() != 2 || f.UniqueCount() != 1 || !f.Deliveries()[1].Duplicate {
		t.Fatalf("Count=%d UniqueCount=%d", f.Count(), f.UniqueCount())
	}
}

func TestWebhookUnsigned(t *testing.T) {
	t.Parallel()
	f := fake.NewWebhook(t)
	s := newSender(t, config.Destination{Name: "h", Type: "webhook", URL: f.URL()}, nil, 5*time.Second)
	if _, err := s.Send(context.Background(), request(1)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if sig := f.Deliveries()[0].Signature; sig != "" {
		t.Fatalf("unsigned destination sent a signature %q", sig)
	}
}

func TestWebhookWrongSecret(t *testing.T) {
	t.Parallel()
	f := fake.NewWebhook(t, fake.WithSecret(hookSecret))
	s := newSender(t, webhookDest(f), map[string]string{"WH_SECRET": "whsec-not-the-one"}, 5*time.Second)
	_, err := s.Send(context.Background(), request(1))
	ne := notifyError(t, err)
	if !ne.Permanent || ne.StatusCode != 401 || ne.Reason != "webhook: HTTP 401 Unauthorized: invalid signature" {
		t.Fatalf("wrong secret: %+v", ne)
	}
	noSecrets(t, err, "whsec-not-the-one")
}

func TestWebhookClockSkew(t *testing.T) {
	t.Parallel()
	// The receiver's clock is an hour ahead: the timestamp is outside its
	// window and the delivery is refused.
	f := fake.NewWebhook(t, fake.WithSecret(hookSecret), fake.WithClock(func() time.Time { return time.Now().Add(time.Hour) }))
	s := newSender(t, webhookDest(f), map[string]string{"WH_SECRET": hookSecret}, 5*time.Second)
	_, err := s.Send(context.Background(), request(1))
	if ne := notifyError(t, err); !ne.Permanent || !strings.Contains(ne.Reason, "timestamp outside the allowed window") {
		t.Fatalf("skew: %+v", ne)
	}
}
