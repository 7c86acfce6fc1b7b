package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// webhook posts a JSON document to any HTTP endpoint. Receivers de-duplicate
// by the Idempotency-Key header (the delivery id) and, when a secret is
// configured, verify X-Opsdesk-Signature with VerifyWebhookSignature.
type webhook struct {
	*base
	url    *url.URL
	secret []byte
}

// Header names of the generic webhook.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderTimestamp      = "X-Opsdesk-Timestamp"
	HeaderSignature      = "X-Opsdesk-Signature"
	HeaderAttempt        = "X-Opsdesk-Attempt"
)

// WebhookPayload is the body of a generic webhook delivery.
type WebhookPayload struct {
	ID       string          `json:"id"`   // the delivery id (also the Idempotency-Key header)
	Type     string          `json:"type"` // "question"
	Question WebhookQuestion `json:"question"`
}

// WebhookQuestion is the question inside a WebhookPayload.
type WebhookQuestion struct {
	ID          string `json:"id"`
	Project     string `json:"project"`
	Name        string `json:"name"`
	Text        string `json:"text"`
	SubmittedAt string `json:"submitted_at"` // RFC 3339, UTC
	SourceIP    string `json:"source_ip"`
}

func webhookPayload(r Request) WebhookPayload {
	q := r.Question
	at := ""
	if !q.SubmittedAt.IsZero() {
		at = q.SubmittedAt.UTC().Format(time.RFC3339)
	}
	return WebhookPayload{
		ID:   r.DeliveryID,
		Type: "question",
		Question: WebhookQuestion{
			ID:          q.ID,
			Project:     q.Project,
			Name:        q.Name,
			Text:        q.Text,
			SubmittedAt: at,
			SourceIP:    q.SourceIP,
		},
	}
}

// WebhookMessagePayload is the body of a generic webhook delivery of a
// Message. Receivers tell it from a WebhookPayload by Type.
type WebhookMessagePayload struct {
	ID      string         `json:"id"`   // the delivery id (also the Idempotency-Key header)
	Type    string         `json:"type"` // "message"
	Message WebhookMessage `json:"message"`
}

// WebhookMessage is the message inside a WebhookMessagePayload. Every key
// is always present: "" (or []) when the message has no such part.
type WebhookMessage struct {
	Kind     string         `json:"kind"`     // "event", "alert", "case", …
	Title    string         `json:"title"`    // one line, never ""
	Text     string         `json:"text"`     // LF newlines; cut to 64 KiB, ending in "…" when cut
	Fields   []WebhookField `json:"fields"`   // in the message's order
	URL      string         `json:"url"`      // console link
	Severity string         `json:"severity"` // "critical", "error", "warning", "info" or ""
	Ref      string         `json:"ref"`      // opsdesk's reference of the item
}

// WebhookField is one fact of a WebhookMessage.
type WebhookField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Webhook limits for a message: a machine reads it, so fields keep their
// line breaks and more of their length than chat shows.
const (
	webhookTextMax       = 64 << 10 // bytes
	webhookFieldsMax     = 50
	webhookFieldValueMax = 2000 // characters
)

func webhookMessagePayload(r Request) WebhookMessagePayload {
	m := r.Message
	text := messageText(m)
	if len(text) > webhookTextMax {
		text = cutBytes(text, webhookTextMax-len(ellipsis)) + ellipsis
	}
	fields := make([]WebhookField, 0, min(len(m.Fields), webhookFieldsMax))
	for _, f := range m.Fields {
		name := oneLine(f.Name, maxFieldNameRunes)
		if name == "" {
			continue
		}
		if len(fields) == webhookFieldsMax {
			break
		}
		value := ellipsize(strings.TrimSpace(normalizeNewlines(strings.ToValidUTF8(f.Value, "\uFFFD"))), webhookFieldValueMax)
		fields = append(fields, WebhookField{Name: name, Value: value})
	}
	link := strings.TrimSpace(m.URL)
	if link == "" {
		link = r.ConsoleURL
	}
	return WebhookMessagePayload{
		ID:   r.DeliveryID,
		Type: "message",
		Message: WebhookMessage{
			Kind:     oneLine(m.Kind, 100),
			Title:    messageTitle(m),
			Text:     text,
			Fields:   fields,
			URL:      link,
			Severity: normalizeSeverity(m.Severity),
			Ref:      oneLine(m.Ref, 200),
		},
	}
}

// SignWebhook returns the X-Opsdesk-Signature value for a body sent at
// timestamp (Unix seconds, as in X-Opsdesk-Timestamp):
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
func SignWebhook(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Errors returned by VerifyWebhookSignature.
var (
	ErrWebhookTimestamp = errors.New("notify: webhook timestamp missing, malformed or outside the allowed window")
	ErrWebhookSignature = errors.New("notify: webhook signature missing or invalid")
)

// VerifyWebhookSignature checks a generic webhook delivery as a receiver
// should: timestamp (the X-Opsdesk-Timestamp header, Unix seconds) within
// window of now (window <= 0 skips that check) and header (the
// X-Opsdesk-Signature value; several comma-separated "sha256=" values are
// accepted, for secret rotation) matching the body, compared in constant
// time.
func VerifyWebhookSignature(secret []byte, timestamp string, body []byte, header string, now time.Time, window time.Duration) error {
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return ErrWebhookTimestamp
	}
	if window > 0 {
		skew := now.Sub(time.Unix(ts, 0))
		if skew < 0 {
			skew = -skew
		}
		if skew > window {
			return fmt.Errorf("%w: %s off", ErrWebhookTimestamp, skew.Round(time.Second))
		}
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strings.TrimSpace(timestamp)))
	m.Write([]byte{'.'})
	m.Write(body)
	want := m.Sum(nil)
	ok := false
	for _, part := range strings.Split(header, ",") {
		hexSig, found := strings.CutPrefix(strings.TrimSpace(part), "sha256=")
		if !found {
			continue
		}
		got, err := hex.DecodeString(hexSig)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			ok = true // keep looping: time does not depend on which one matched
		}
	}
	if !ok {
		return ErrWebhookSignature
	}
	return nil
}

func (s *webhook) Send(ctx context.Context, r Request) (Result, error) {
	var payload any
	if r.Message != nil {
		payload = webhookMessagePayload(r)
	} else {
		payload = webhookPayload(r)
	}
	body, err := marshal(payload)
	if err != nil {
		return Result{}, s.fail(true, 0, 0, "encode payload: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url.String(), bytes.NewReader(body))
	if err != nil {
		return Result{}, s.fail(true, 0, 0, "build request: %v", err)
	}
	ts := strconv.FormatInt(s.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderIdempotencyKey, r.DeliveryID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderAttempt, strconv.Itoa(r.Attempt))
	if len(s.secret) > 0 {
		req.Header.Set(HeaderSignature, SignWebhook(s.secret, ts, body))
	}
	resp, err := s.do(req)
	if err != nil {
		return Result{}, err
	}
	if resp.status < 200 || resp.status > 299 {
		return Result{}, s.classify(resp, jsonErrorMessage(resp.body))
	}
	return Result{}, nil
}

// jsonErrorMessage extracts {"error":"…"} (opsdesk's own error shape, and a
// common one), else "".
func jsonErrorMessage(body []byte) string {
	var e struct {
		Error any `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	switch v := e.Error.(type) {
	case string:
		return oneLine(v, maxReason)
	case map[string]any:
		if m, ok := v["message"].(string); ok {
			return oneLine(m, maxReason)
		}
	}
	return ""
}
