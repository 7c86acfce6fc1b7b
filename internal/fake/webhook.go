package fake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Webhook is a receiver of opsdesk's generic webhook. It requires
// Idempotency-Key and X-Opsdesk-Timestamp, verifies X-Opsdesk-Signature when
// given a secret (timestamp within the window, HMAC-SHA256 over
// timestamp + "." + body), checks the JSON document (a question or a
// message, as the notify package documents them) and counts deliveries
// both raw and de-duplicated by Idempotency-Key. Errors are
// {"error":"…"}.
type Webhook struct {
	*Server
	deliveries []WebhookDelivery
	seen       map[string]bool
}

// WebhookDelivery is one accepted delivery.
type WebhookDelivery struct {
	IdempotencyKey string
	Timestamp      string
	Signature      string
	Attempt        string // X-Opsdesk-Attempt, if sent
	UserAgent      string
	Duplicate      bool // an earlier delivery had the same key
	Payload        WebhookPayload
	Body           []byte
}

// WebhookPayload is the generic webhook document: a question (Type
// "question") or a message (Type "message").
type WebhookPayload struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Question struct {
		ID          string `json:"id"`
		Project     string `json:"project"`
		Name        string `json:"name"`
		Text        string `json:"text"`
		SubmittedAt string `json:"submitted_at"`
		SourceIP    string `json:"source_ip"`
	} `json:"question"`
	Message WebhookMessage `json:"message"`
}

// WebhookMessage is the message of a "message" delivery.
type WebhookMessage struct {
	Kind     string         `json:"kind"`
	Title    string         `json:"title"`
	Text     string         `json:"text"`
	Fields   []WebhookField `json:"fields"`
	URL      string         `json:"url"`
	Severity string         `json:"severity"`
	Ref      string         `json:"ref"`
}

// WebhookField is one fact of a WebhookMessage.
type WebhookField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// webhookMessageKeys are the keys a message must carry (opsdesk always
// sends all of them, "" or [] when unset).
var webhookMessageKeys = []string{"kind", "title", "text", "fields", "url", "severity", "ref"}

// NewWebhook starts a generic webhook receiver. Options: WithSecret (turns
// on signature checks), WithWindow, WithClock.
func NewWebhook(t testing.TB, opts ...Option) *Webhook {
	t.Helper()
	f := &Webhook{Server: newServer(t, "webhook", opts, webhookError), seen: map[string]bool{}}
	f.start(f.serve)
	return f
}

// URL is the endpoint to configure.
func (f *Webhook) URL() string { return f.BaseURL() + "/hook" }

// Deliveries returns the accepted deliveries in arrival order, duplicates
// included.
func (f *Webhook) Deliveries() []WebhookDelivery {
	var out []WebhookDelivery
	f.locked(func() { out = append(out, f.deliveries...) })
	return out
}

// UniqueCount is the number of distinct Idempotency-Keys accepted (Count is
// the raw number of accepted deliveries).
func (f *Webhook) UniqueCount() int {
	var n int
	f.locked(func() { n = len(f.seen) })
	return n
}

// WaitForUnique waits until UniqueCount reaches n, failing the test after
// timeout.
func (f *Webhook) WaitForUnique(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	if !poll(timeout, func() bool { return f.UniqueCount() >= n }) {
		t.Fatalf("fake webhook: %d unique deliveries, want %d within %v", f.UniqueCount(), n, timeout)
	}
}

func webhookError(status int, msg string) (string, []byte) {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return "application/json", b
}

func (f *Webhook) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		f.writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if !contentTypeIs(r, "application/json") {
		f.writeError(w, http.StatusUnsupportedMediaType, "content type must be application/json")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		f.writeError(w, http.StatusBadRequest, "missing Idempotency-Key header")
		return
	}
	ts := r.Header.Get("X-Opsdesk-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		f.writeError(w, http.StatusBadRequest, "missing or malformed X-Opsdesk-Timestamp header")
		return
	}
	body, _ := io.ReadAll(r.Body)
	sig := r.Header.Get("X-Opsdesk-Signature")
	if f.opt.secret != "" {
		skew := f.opt.now().Sub(time.Unix(sec, 0))
		if skew < 0 {
			skew = -skew
		}
		if skew > f.opt.window {
			f.writeError(w, http.StatusUnauthorized, "timestamp outside the allowed window")
			return
		}
		if !validWebhookSignature([]byte(f.opt.secret), ts, body, sig) {
			f.writeError(w, http.StatusUnauthorized, "invalid signature")
			return
		}
	}
	var p WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		f.writeError(w, http.StatusBadRequest, "body is not valid JSON: "+err.Error())
		return
	}
	if p.ID != key {
		f.writeError(w, http.StatusBadRequest, "id does not match Idempotency-Key")
		return
	}
	var msg string
	switch p.Type {
	case "question":
		msg = checkWebhookQuestion(p)
	case "message":
		msg = checkWebhookMessage(p, body)
	default:
		msg = "type must be \"question\" or \"message\""
	}
	if msg != "" {
		f.writeError(w, http.StatusBadRequest, msg)
		return
	}
	d := WebhookDelivery{
		IdempotencyKey: key,
		Timestamp:      ts,
		Signature:      sig,
		Attempt:        r.Header.Get("X-Opsdesk-Attempt"),
		UserAgent:      r.UserAgent(),
		Payload:        p,
		Body:           body,
	}
	f.accept(func() {
		d.Duplicate = f.seen[key]
		f.seen[key] = true
		f.deliveries = append(f.deliveries, d)
	})
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "duplicate": d.Duplicate})
}

// checkWebhookQuestion returns what is wrong with a question document, or "".
func checkWebhookQuestion(p WebhookPayload) string {
	if p.Question.ID == "" || p.Question.Text == "" {
		return "question.id and question.text are required"
	}
	if at, err := time.Parse(time.RFC3339, p.Question.SubmittedAt); err != nil || !strings.HasSuffix(p.Question.SubmittedAt, "Z") || at.IsZero() {
		return "question.submitted_at must be an RFC 3339 UTC time"
	}
	return ""
}

// checkWebhookMessage returns what is wrong with a message document, or "".
func checkWebhookMessage(p WebhookPayload, body []byte) string {
	var raw struct {
		Message map[string]json.RawMessage `json:"message"`
	}
	if err := json.Unmarshal(body, &raw); err != nil || raw.Message == nil {
		return "message must be an object"
	}
	for _, k := range webhookMessageKeys {
		if _, ok := raw.Message[k]; !ok {
			return "message." + k + " is required"
		}
	}
	if !bytes.HasPrefix(bytes.TrimSpace(raw.Message["fields"]), []byte("[")) {
		return "message.fields must be an array"
	}
	m := p.Message
	if strings.TrimSpace(m.Title) == "" || strings.ContainsAny(m.Title, "\r\n") {
		return "message.title must be one non-empty line"
	}
	for i, fl := range m.Fields {
		if fl.Name == "" {
			return fmt.Sprintf("message.fields[%d].name is required", i)
		}
	}
	switch m.Severity {
	case "", "critical", "error", "warning", "info":
	default:
		return "message.severity must be critical, error, warning, info or empty"
	}
	return ""
}

// validWebhookSignature checks "sha256=<hex>" (one of possibly several,
// comma-separated) against HMAC-SHA256(secret, timestamp + "." + body).
func validWebhookSignature(secret []byte, ts string, body []byte, header string) bool {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "."))
	m.Write(body)
	want := m.Sum(nil)
	ok := false
	for _, part := range strings.Split(header, ",") {
		h, found := strings.CutPrefix(strings.TrimSpace(part), "sha256=")
		if !found {
			continue
		}
		got, err := hex.DecodeString(h)
		if err == nil && hmac.Equal(got, want) {
			ok = true
		}
	}
	return ok
}
