package sig

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Known-answer vectors. The DingTalk signs and the second Slack signature were
// computed outside Go with
//
//	printf '%s\n%s' "$ts" "$secret" | openssl dgst -sha256 -hmac "$secret" -binary | base64
//	printf 'v0:%s:%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$secret"
//
// and the URL encoding with Python's urllib.parse.quote_plus. The first Slack
// vector is the worked example in Slack's "Verifying requests from Slack".
var dingTalkVectors = []struct {
	secret, timestamp, sign string
}{
	{"this is secret", "1577262236757", "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM="},
	{"SEC5a3ecf88f2b3eb50db30ecfc00f53033ac909c99bf7f88fd612bda89d7f3a9dc", "1700000000000", "6O5F/tvvUmbKr2ymOJ0PWyrKAGbwBxjupTxbQ4wDE5M="},
	{"钉钉AppSecret-ÄÖ", "1613630252678", "tYMJ6jY/f5+jh2GCtS3iAUBo11FhZMmmwOzlT/Lwzqo="},
}

const (
	slackDocSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	slackDocTS     = "1531420618"
	slackDocBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	slackDocSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

	slackSecret = "opsdesk-slack-test-secret"
	slackTS     = "1700000123"
	slackBody   = "command=%2Faws&text=case+12345678901"
	slackSig    = "v0=c4f94c551d974a6ccc3d31f8d27ec33976ede4af2e0746b56a02397b63122578"
)

func ms(v int64) time.Time { return time.UnixMilli(v) }

func TestDingTalkKnownAnswers(t *testing.T) {
	t.Parallel()
	for _, v := range dingTalkVectors {
		var n int64
		fmt.Sscan(v.timestamp, &n)
		ts, sign := SignDingTalkWebhook(v.secret, ms(n))
		if ts != v.timestamp || sign != v.sign {
			t.Errorf("SignDingTalkWebhook(%q) = %s %s, want %s %s", v.secret, ts, sign, v.timestamp, v.sign)
		}
		if err := VerifyDingTalk(v.secret, v.timestamp, v.sign, ms(n)); err != nil {
			t.Errorf("VerifyDingTalk(%q): %v", v.secret, err)
		}
	}
}

func TestVerifyDingTalk(t *testing.T) {
	t.Parallel()
	const secret, ts, sign = "this is secret", "1577262236757", "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM="
	at := ms(1577262236757)
	tests := []struct {
		name            string
		secret, ts, sig string
		now             time.Time
		want            error
	}{
		{"valid", secret, ts, sign, at, nil},
		{"valid with header spaces", secret, " " + ts + "\t", " " + sign, at, nil},
		{"valid 1h old", secret, ts, sign, at.Add(time.Hour), nil},
		{"valid 1h ahead", secret, ts, sign, at.Add(-time.Hour), nil},
		{"wrong key", "this is Secret", ts, sign, at, ErrBadSignature},
		{"other timestamp same sign", secret, "1577262236758", sign, at, ErrBadSignature},
		{"sign of another secret", secret, "1700000000000", "6O5F/tvvUmbKr2ymOJ0PWyrKAGbwBxjupTxbQ4wDE5M=", ms(1700000000000), ErrBadSignature},
		{"expired", secret, ts, sign, at.Add(time.Hour + time.Millisecond), ErrExpired},
		{"future", secret, ts, sign, at.Add(-time.Hour - time.Millisecond), ErrExpired},
		{"far future timestamp", secret, "999999999999999999", sign, at, ErrExpired},
		{"no secret", "", ts, sign, at, ErrNoSecret},
		{"missing timestamp", secret, "", sign, at, ErrMissing},
		{"missing sign", secret, ts, "  ", at, ErrMissing},
		{"timestamp in seconds text", secret, "1577262236.757", sign, at, ErrMalformed},
		{"negative timestamp", secret, "-1577262236757", sign, at, ErrMalformed},
		{"timestamp overflow", secret, "99999999999999999999", sign, at, ErrMalformed},
		{"url-encoded sign", secret, ts, url.QueryEscape(sign), at, ErrMalformed},
		{"unpadded sign", secret, ts, strings.TrimSuffix(sign, "="), at, ErrMalformed},
		{"hex sign", secret, ts, "86a3d6c14fbb955766dd9673d2bf6d49fc742f8436ea358e66bf7e1ace846503", at, ErrMalformed},
		{"url-safe alphabet", secret, ts, strings.NewReplacer("+", "-", "/", "_").Replace(sign), at, ErrMalformed},
		{"short sign", secret, ts, "aGVsbG8=", at, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := VerifyDingTalk(tt.secret, tt.ts, tt.sig, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("VerifyDingTalk = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyDingTalkErrorsAreDistinct(t *testing.T) {
	t.Parallel()
	all := []error{ErrMissing, ErrMalformed, ErrExpired, ErrBadSignature, ErrNoSecret, ErrReplayed, ErrGuardFull}
	for i, a := range all {
		for j, b := range all {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v matches %v", a, b)
			}
		}
	}
	// The secret never appears in an error.
	err := VerifyDingTalk("s3cr3t-value", "1", "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=", ms(1577262236757))
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("err = %v", err)
	}
}

func TestSignDingTalkURL(t *testing.T) {
	t.Parallel()
	got, err := SignDingTalkURL("https://oapi.dingtalk.com/robot/send?access_token=abc123&sign=stale", "this is secret", ms(1577262236757))
	if err != nil {
		t.Fatal(err)
	}
	want := "https://oapi.dingtalk.com/robot/send?access_token=abc123&sign=hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D&timestamp=1577262236757"
	if got != want {
		t.Fatalf("SignDingTalkURL =\n%s\nwant\n%s", got, want)
	}
	// The receiving side decodes it back to a sign that verifies.
	u, _ := url.Parse(got)
	if err := VerifyDingTalk("this is secret", u.Query().Get("timestamp"), u.Query().Get("sign"), ms(1577262236757)); err != nil {
		t.Fatalf("round trip: %v", err)
	}

	plain := "https://oapi.dingtalk.com/robot/send?access_token=abc123"
	if got, err := SignDingTalkURL(plain, "", ms(1)); err != nil || got != plain {
		t.Fatalf("no secret: %q %v", got, err)
	}
	for _, bad := range []string{"oapi.dingtalk.com/robot/send", "ftp://x/y", "https://", "http://[::1"} {
		if _, err := SignDingTalkURL(bad, "s", ms(1)); err == nil {
			t.Errorf("SignDingTalkURL(%q) accepted", bad)
		}
	}
}

// TestSignDingTalkURLEscapes: every known-answer vector's sign in the exact
// query string, escaped as Python's urllib.parse.quote_plus escapes it
// (hard-coded). Between them the signs hold "+", "/" and "=", so leaving any
// of the three unescaped changes a string compared in full.
func TestSignDingTalkURLEscapes(t *testing.T) {
	t.Parallel()
	escaped := map[string]string{
		"1577262236757": "hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D",
		"1700000000000": "6O5F%2FtvvUmbKr2ymOJ0PWyrKAGbwBxjupTxbQ4wDE5M%3D",
		"1613630252678": "tYMJ6jY%2Ff5%2Bjh2GCtS3iAUBo11FhZMmmwOzlT%2FLwzqo%3D",
	}
	var all string
	for _, v := range dingTalkVectors {
		all += v.sign
		var n int64
		fmt.Sscan(v.timestamp, &n)
		got, err := SignDingTalkURL("https://oapi.dingtalk.com/robot/send?access_token=abc123", v.secret, ms(n))
		if err != nil {
			t.Fatal(err)
		}
		want := "https://oapi.dingtalk.com/robot/send?access_token=abc123&sign=" + escaped[v.timestamp] + "&timestamp=" + v.timestamp
		if got != want {
			t.Errorf("SignDingTalkURL(%q) =\n%s\nwant\n%s", v.secret, got, want)
		}
	}
	if !strings.Contains(all, "+") || !strings.Contains(all, "/") || !strings.Contains(all, "=") {
		t.Fatal("the vectors no longer cover + / =")
	}
}

func TestDingTalkReplayHelpers(t *testing.T) {
	t.Parallel()
	if got := DingTalkReplayKey(" 1577262236757", "abc= "); got != "dingtalk:1577262236757:abc=" {
		t.Fatalf("key = %q", got)
	}
	exp, ok := DingTalkReplayExpiry("1577262236757")
	if !ok || !exp.Equal(ms(1577262236757).Add(time.Hour)) {
		t.Fatalf("expiry = %v %v", exp, ok)
	}
	if _, ok := DingTalkReplayExpiry("x"); ok {
		t.Fatal("malformed timestamp accepted")
	}
}

func slackHeader(ts, sig string) http.Header {
	h := http.Header{}
	if ts != "" {
		h.Set(SlackHeaderTimestamp, ts)
	}
	if sig != "" {
		h.Set(SlackHeaderSignature, sig)
	}
	return h
}

func TestSlackKnownAnswers(t *testing.T) {
	t.Parallel()
	if got := SignSlack(slackDocSecret, slackDocTS, []byte(slackDocBody)); got != slackDocSig {
		t.Errorf("Slack's documented example: %s, want %s", got, slackDocSig)
	}
	if got := SignSlack(slackSecret, slackTS, []byte(slackBody)); got != slackSig {
		t.Errorf("openssl vector: %s, want %s", got, slackSig)
	}
	if err := VerifySlack(slackDocSecret, slackHeader(slackDocTS, slackDocSig), []byte(slackDocBody), time.Unix(1531420618, 0)); err != nil {
		t.Errorf("documented example does not verify: %v", err)
	}
}

func TestVerifySlack(t *testing.T) {
	t.Parallel()
	at := time.Unix(1700000123, 0)
	body := []byte(slackBody)
	// Header names are case-insensitive on the wire: read a request whose
	// headers arrive in lower case, as net/http would.
	raw := "POST /hooks/slack/commands HTTP/1.1\r\nHost: x\r\nx-slack-request-timestamp: " + slackTS +
		"\r\nx-slack-signature: " + slackSig + "\r\nContent-Length: 0\r\n\r\n"
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	lower := req.Header
	tests := []struct {
		name   string
		secret string
		h      http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", slackSecret, slackHeader(slackTS, slackSig), body, at, nil},
		{"valid lower-case header names", slackSecret, lower, body, at, nil},
		{"valid 5m old", slackSecret, slackHeader(slackTS, slackSig), body, at.Add(5 * time.Minute), nil},
		{"valid 5m ahead", slackSecret, slackHeader(slackTS, slackSig), body, at.Add(-5 * time.Minute), nil},
		{"wrong key", "opsdesk-slack-test-secreT", slackHeader(slackTS, slackSig), body, at, ErrBadSignature},
		{"changed body", slackSecret, slackHeader(slackTS, slackSig), []byte(slackBody + "&x=1"), at, ErrBadSignature},
		{"changed timestamp", slackSecret, slackHeader("1700000124", slackSig), body, at, ErrBadSignature},
		{"expired", slackSecret, slackHeader(slackTS, slackSig), body, at.Add(5*time.Minute + time.Second), ErrExpired},
		{"future", slackSecret, slackHeader(slackTS, slackSig), body, at.Add(-5*time.Minute - time.Second), ErrExpired},
		{"no secret", "", slackHeader(slackTS, slackSig), body, at, ErrNoSecret},
		{"missing timestamp", slackSecret, slackHeader("", slackSig), body, at, ErrMissing},
		{"missing signature", slackSecret, slackHeader(slackTS, ""), body, at, ErrMissing},
		{"no headers", slackSecret, http.Header{}, body, at, ErrMissing},
		{"timestamp in ms text", slackSecret, slackHeader("1700000123.5", slackSig), body, at, ErrMalformed},
		{"other version", slackSecret, slackHeader(slackTS, "v1="+slackSig[3:]), body, at, ErrMalformed},
		{"no version", slackSecret, slackHeader(slackTS, slackSig[3:]), body, at, ErrMalformed},
		{"upper-case hex", slackSecret, slackHeader(slackTS, "v0="+strings.ToUpper(slackSig[3:])), body, at, ErrMalformed},
		{"short", slackSecret, slackHeader(slackTS, slackSig[:40]), body, at, ErrMalformed},
		{"not hex", slackSecret, slackHeader(slackTS, "v0="+strings.Repeat("zz", 32)), body, at, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := VerifySlack(tt.secret, tt.h, tt.body, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("VerifySlack = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSlackReplayHelpers(t *testing.T) {
	t.Parallel()
	h := slackHeader(slackTS, slackSig)
	if got := SlackReplayKey(h); got != "slack:"+slackTS+":"+slackSig {
		t.Fatalf("key = %q", got)
	}
	exp, ok := SlackReplayExpiry(slackTS)
	if !ok || !exp.Equal(time.Unix(1700000123+300, 0)) {
		t.Fatalf("expiry = %v %v", exp, ok)
	}
	if SlackTimestamp(time.Unix(1700000123, 999)) != slackTS {
		t.Fatal("SlackTimestamp")
	}
}

// clock is a controllable clock for the guard.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestReplayGuardSeen(t *testing.T) {
	t.Parallel()
	g := NewReplayGuard(DingTalkReplayWindow, 0, nil)
	at := ms(1577262236757)
	key := DingTalkReplayKey("1577262236757", "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=")
	if g.Seen(key, at) {
		t.Fatal("first use reported as seen")
	}
	if !g.Seen(key, at.Add(time.Second)) {
		t.Fatal("replay 1s later not caught")
	}
	if !g.Seen(key, at.Add(2*time.Hour-time.Millisecond)) {
		t.Fatal("replay just inside the window not caught")
	}
	if g.Seen("dingtalk:other", at) {
		t.Fatal("other key reported as seen")
	}
	// After the window the key is forgotten, and pruned.
	if g.Seen(key, at.Add(2*time.Hour)) {
		t.Fatal("key still remembered after the window")
	}
	if g.Len() != 1 {
		t.Fatalf("Len = %d after pruning, want 1 (the re-recorded key)", g.Len())
	}
}

// A verified request replayed with the guard in the middle of the flow.
func TestDingTalkReplayRejected(t *testing.T) {
	t.Parallel()
	const secret = "this is secret"
	now := ms(1577262236757)
	ts, sign := SignDingTalkWebhook(secret, now)
	c := &clock{t: now}
	g := NewReplayGuard(DingTalkReplayWindow, 10, c.now)
	accept := func(at time.Time) error {
		if err := VerifyDingTalk(secret, ts, sign, at); err != nil {
			return err
		}
		exp, _ := DingTalkReplayExpiry(ts)
		return UseOnce(context.Background(), g, DingTalkReplayKey(ts, sign), exp)
	}
	if err := accept(now); err != nil {
		t.Fatalf("first: %v", err)
	}
	c.t = now.Add(30 * time.Minute)
	if err := accept(c.t); !errors.Is(err, ErrReplayed) {
		t.Fatalf("replay: %v, want ErrReplayed", err)
	}
	c.t = now.Add(61 * time.Minute)
	if err := accept(c.t); !errors.Is(err, ErrExpired) {
		t.Fatalf("late replay: %v, want ErrExpired", err)
	}
}

func TestReplayGuardUse(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(1700000000, 0)}
	g := NewReplayGuard(SlackReplayWindow, 3, c.now)
	ctx := context.Background()
	use := func(key string, exp time.Time) (bool, error) { return g.Use(ctx, key, exp) }

	if fresh, err := use("a", c.t.Add(time.Minute)); !fresh || err != nil {
		t.Fatalf("a: %v %v", fresh, err)
	}
	if fresh, err := use("a", c.t.Add(time.Hour)); fresh || err != nil {
		t.Fatalf("a again: %v %v", fresh, err)
	}
	// An already expired key is fresh but not stored.
	if fresh, err := use("old", c.t); !fresh || err != nil || g.Len() != 1 {
		t.Fatalf("old: %v %v len %d", fresh, err, g.Len())
	}
	use("b", c.t.Add(2*time.Minute))
	use("c", c.t.Add(3*time.Minute))
	// Full: fails closed.
	if fresh, err := use("d", c.t.Add(time.Minute)); fresh || !errors.Is(err, ErrGuardFull) {
		t.Fatalf("full: %v %v", fresh, err)
	}
	if !g.Seen("d", c.t) {
		t.Fatal("Seen on a full guard must report true")
	}
	if err := UseOnce(ctx, g, "d", c.t.Add(time.Minute)); !errors.Is(err, ErrGuardFull) || errors.Is(err, ErrReplayed) {
		t.Fatalf("UseOnce on full guard: %v", err)
	}
	// Once "a" expires there is room again, and "a" is fresh.
	c.t = c.t.Add(time.Minute)
	if fresh, err := use("a", c.t.Add(time.Minute)); !fresh || err != nil {
		t.Fatalf("a after expiry: %v %v", fresh, err)
	}
	if g.Len() != 3 {
		t.Fatalf("Len = %d, want 3", g.Len())
	}
}

func TestReplayGuardConcurrent(t *testing.T) {
	t.Parallel()
	g := NewReplayGuard(time.Hour, 0, nil)
	at := time.Unix(1700000000, 0)
	const n = 64
	results := make(chan bool, n)
	for range n {
		go func() { results <- g.Seen("same", at) }()
	}
	fresh := 0
	for range n {
		if !<-results {
			fresh++
		}
	}
	if fresh != 1 {
		t.Fatalf("%d goroutines saw the key as fresh, want exactly 1", fresh)
	}
}

func TestOutside(t *testing.T) {
	t.Parallel()
	const maxI, minI = int64(^uint64(0) >> 1), -int64(^uint64(0)>>1) - 1
	tests := []struct {
		a, b, limit int64
		want        bool
	}{
		{10, 5, 5, false},
		{10, 4, 5, true},
		{4, 10, 5, true},
		{maxI, minI, 5, true},
		{minI, maxI, 5, true},
		{maxI, maxI, 0, false},
	}
	for _, tt := range tests {
		if got := outside(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("outside(%d, %d, %d) = %v", tt.a, tt.b, tt.limit, got)
		}
	}
}
