package notify

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Known-answer vectors computed independently (Python hmac/hashlib/base64,
// urllib.parse.quote_plus), following DingTalk's documented algorithm.
func TestDingTalkSignKnownAnswer(t *testing.T) {
	t.Parallel()
	const (
		secret = "SEC0123456789abcdef"
		ts     = int64(1718000000000)
		want   = "67joQj01lURtqN9SINZurGdkt9BlqLmT39G9dhRN/3E="
	)
	if got := dingtalkSign(secret, ts); got != want {
		t.Fatalf("dingtalkSign = %q, want %q", got, want)
	}
}

func TestSignWebhookKnownAnswer(t *testing.T) {
	t.Parallel()
	const want = "sha256=0851adf541e0313507b5c8a96334e6ae6ffa6976785f24be55dae718ae7aa3e9"
	got := SignWebhook([]byte("whsec-test"), "1718000000", []byte(`{"id":"d-1"}`))
	if got != want {
		t.Fatalf("SignWebhook = %q, want %q", got, want)
	}
}

func TestVerifyWebhookSignature(t *testing.T) {
	t.Parallel()
	secret := []byte("whsec-test")
	body := []byte(`{"id":"d-1"}`)
	const ts = "1718000000"
	good := "sha256=0851adf541e0313507b5c8a96334e6ae6ffa6976785f24be55dae718ae7aa3e9"
	at := time.Unix(1718000000, 0)
	tests := []struct {
		name   string
		ts     string
		body   []byte
		header string
		now    time.Time
		window time.Duration
		want   error
	}{
		{"valid", ts, body, good, at, 5 * time.Minute, nil},
		{"valid at edge of window", ts, body, good, at.Add(5 * time.Minute), 5 * time.Minute, nil},
		{"valid among rotated signatures", ts, body, "sha256=00ff, " + good, at, time.Minute, nil},
		{"no window check", ts, body, good, at.Add(100 * time.Hour), 0, nil},
		{"too old", ts, body, good, at.Add(5*time.Minute + time.Second), 5 * time.Minute, ErrWebhookTimestamp},
		{"from the future", ts, body, good, at.Add(-10 * time.Minute), 5 * time.Minute, ErrWebhookTimestamp},
		{"malformed timestamp", "17180000x", body, good, at, time.Minute, ErrWebhookTimestamp},
		{"tampered body", ts, []byte(`{"id":"d-2"}`), good, at, time.Minute, ErrWebhookSignature},
		{"other timestamp", "1718000001", body, good, at, time.Minute, ErrWebhookSignature},
		{"missing", ts, body, "", at, time.Minute, ErrWebhookSignature},
		{"no prefix", ts, body, strings.TrimPrefix(good, "sha256="), at, time.Minute, ErrWebhookSignature},
		{"not hex", ts, body, "sha256=zz", at, time.Minute, ErrWebhookSignature},
		{"wrong secret", ts, body, SignWebhook([]byte("other"), ts, body), at, time.Minute, ErrWebhookSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyWebhookSignature(secret, tt.ts, tt.body, tt.header, tt.now, tt.window)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	max := func() float64 { return 0.999999999 }
	half := func() float64 { return 0.5 }
	zero := func() float64 { return 0 }
	tests := []struct {
		attempt int
		rnd     func() float64
		lo, hi  time.Duration
	}{
		{1, half, 2500 * time.Millisecond, 2500 * time.Millisecond},
		{1, max, 4999 * time.Millisecond, 5 * time.Second},
		{2, half, 5 * time.Second, 5 * time.Second},
		{3, half, 10 * time.Second, 10 * time.Second},
		{10, half, 1280 * time.Second, 1280 * time.Second}, // 5s·2^9 = 2560s
		{11, half, 30 * time.Minute, 30 * time.Minute},     // capped at 1h
		{1000, max, 59 * time.Minute, time.Hour},
		{0, half, 2500 * time.Millisecond, 2500 * time.Millisecond},
		{-3, zero, 0, 0},
		{64, half, 30 * time.Minute, 30 * time.Minute},
	}
	for _, tt := range tests {
		if got := Backoff(tt.attempt, tt.rnd); got < tt.lo || got > tt.hi {
			t.Errorf("Backoff(%d) = %v, want in [%v, %v]", tt.attempt, got, tt.lo, tt.hi)
		}
	}
	for range 1000 {
		if got := Backoff(5, nil); got < 0 || got >= 80*time.Second {
			t.Fatalf("Backoff(5, nil) = %v, want in [0, 80s)", got)
		}
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("障害", 40) // 80 runes, 240 bytes
	tests := []struct {
		name, text, want string
	}{
		{"first line", "EC2に接続できません\n詳細は…", "EC2に接続できません"},
		{"skips blank lines", "\n  \r\n\t\n  Why is S3 slow?  \nmore", "Why is S3 slow?"},
		{"cut to 50 runes, CJK safe", long + "\nnext", strings.Repeat("障害", 25)},
		{"korean", "장애가 발생했습니다", "장애가 발생했습니다"},
		{"control characters removed", "a\x00b\x1bc", "abc"},
		{"empty text", " \n ", "Question Q-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summary(Question{ID: "Q-1", Text: tt.text})
			if got != tt.want {
				t.Fatalf("summary = %q, want %q", got, tt.want)
			}
			if !utf8.ValidString(got) || utf8.RuneCountInString(got) > 50 {
				t.Fatalf("summary %q is not valid UTF-8 of at most 50 runes", got)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"30", 30 * time.Second},
		{" 5 ", 5 * time.Second},
		{"0", 0},
		{"-4", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"99999999999", maxRetryAfter},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("Retry-After", tt.value)
		}
		if got := retryAfter(h, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

func TestRateLimitReset(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700000000, 0)
	h := http.Header{}
	h.Set("X-RateLimit-Reset", "1700000042")
	if got := rateLimitReset(h, now); got != 42*time.Second {
		t.Fatalf("rateLimitReset = %v, want 42s", got)
	}
	h.Set("X-RateLimit-Reset", "1699999990") // already passed
	if got := rateLimitReset(h, now); got != time.Second {
		t.Fatalf("rateLimitReset(past) = %v, want 1s", got)
	}
	h.Set("X-RateLimit-Reset", "garbage")
	if got := rateLimitReset(h, now); got != 0 {
		t.Fatalf("rateLimitReset(garbage) = %v, want 0", got)
	}
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	if got := oneLine("  a\n\tb\r\n  c  ", 100); got != "a b c" {
		t.Fatalf("oneLine = %q", got)
	}
	got := oneLine(strings.Repeat("故", 400), 300)
	if utf8.RuneCountInString(got) != 301 || !strings.HasSuffix(got, "…") {
		t.Fatalf("oneLine cut = %d runes", utf8.RuneCountInString(got))
	}
	if got := oneLine("ok\xff", 10); !utf8.ValidString(got) {
		t.Fatalf("oneLine kept invalid UTF-8: %q", got)
	}
}

func TestSplitUTF16(t *testing.T) {
	t.Parallel()
	text := strings.Repeat("質問です。\n", 700) + strings.Repeat("😀", 2000) // 4200 + 4000 units
	parts := splitUTF16(text, 2900)
	var total int
	for i, p := range parts {
		n := 0
		for _, r := range p {
			if r > 0xFFFF {
				n += 2
			} else {
				n++
			}
		}
		if n > 2900 || p == "" {
			t.Fatalf("part %d has %d UTF-16 units", i, n)
		}
		total += utf8.RuneCountInString(strings.ReplaceAll(p, "\n", ""))
	}
	if want := utf8.RuneCountInString(strings.ReplaceAll(text, "\n", "")); total != want {
		t.Fatalf("parts hold %d characters, want %d", total, want)
	}
	if !strings.HasSuffix(parts[0], "質問です。") {
		t.Fatalf("first part does not end at a line break: …%q", parts[0][len(parts[0])-20:])
	}
	if got := splitUTF16("😀", 1); len(got) != 1 || got[0] != "😀" {
		t.Fatalf("narrow split = %q", got)
	}
}

func TestDingTalkPayloadFitsSizeLimit(t *testing.T) {
	t.Parallel()
	r := Request{DeliveryID: "d-1", Attempt: 1, ConsoleURL: "https://desk.example.com/questions/Q-1",
		Question: Question{ID: "Q-1", Text: strings.Repeat("障害が発生しました\"\\", 800)}}
	body, err := dingtalkPayload(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > dingtalkMaxBody {
		t.Fatalf("body is %d bytes, limit %d", len(body), dingtalkMaxBody)
	}
	var m dingtalkMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if !utf8.ValidString(m.Markdown.Text) || !strings.Contains(m.Markdown.Text, "(truncated: the full question is in the console)") ||
		!strings.HasSuffix(m.Markdown.Text, "[Open in console](https://desk.example.com/questions/Q-1)") {
		t.Fatalf("truncated text does not end as expected: …%q", m.Markdown.Text[len(m.Markdown.Text)-200:])
	}
	if len(body) < dingtalkMaxBody-2000 {
		t.Fatalf("body cut far more than needed: %d bytes", len(body))
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  Error
		want string
	}{
		{Error{Permanent: true, StatusCode: 400, Reason: "slack: HTTP 400 Bad Request: invalid_payload"}, "notify: slack: HTTP 400 Bad Request: invalid_payload (permanent)"},
		{Error{StatusCode: 429, RetryAfter: 30 * time.Second, Reason: "teams: HTTP 429"}, "notify: teams: HTTP 429 (retry after 30s)"},
		{Error{Reason: "webhook: timeout"}, "notify: webhook: timeout"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	b := &base{kind: "x"}
	b.addSecret("s3cr3t/+=")
	got := b.scrub("a s3cr3t/+= b s3cr3t%2F%2B%3D c")
	if strings.Contains(got, "s3cr3t") {
		t.Fatalf("scrub left a secret: %q", got)
	}
}
