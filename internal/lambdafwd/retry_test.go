package lambdafwd_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/opsdesk/opsdesk/internal/events/samples"
	"github.com/opsdesk/opsdesk/internal/lambdafwd"
)

// Two 503s (one with Retry-After), then opsdesk itself: the third attempt
// stores the event. The first wait is the backoff, the second honours
// Retry-After.
func TestRetries503ThenDelivers(t *testing.T) {
	t.Parallel()
	o := startOpsdesk(t, "")
	g := newGate(t, o.URL, status(503, ""), status(503, "3"), pass)
	r := newRig(t, g.URL, lambdafwd.StaticToken(o.token), o.token)
	body, _ := samples.Get("alarm-state-change")
	out, err := r.invoke(t, body)
	if err != nil {
		t.Fatalf("%v\n%s", err, r.log)
	}
	if sum := out.(*lambdafwd.Summary); sum.Accepted != 1 || sum.Rejected != 0 {
		t.Errorf("summary %+v", *sum)
	}
	if n := g.requests.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	// Jitter 0: the first wait is half of BaseDelay; then Retry-After: 3.
	if got, want := r.clock.Sleeps(), []time.Duration{lambdafwd.DefaultBaseDelay / 2, 3 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	stored := o.events(t)
	if len(stored) != 1 {
		t.Fatalf("stored %v", stored)
	}
	for _, e := range stored {
		if e.Source != "aws.cloudwatch" || e.DetailType != "CloudWatch Alarm State Change" || e.Via != "lambda" {
			t.Errorf("stored %+v", e)
		}
	}
	for i, a := range g.auths {
		if a != "Bearer "+o.token {
			t.Errorf("attempt %d sent Authorization %q", i+1, a)
		}
	}
	if retries := r.log.lines(t, "retrying"); len(retries) != 2 || retries[1]["wait_ms"] != float64(3000) || retries[1]["status"] != float64(503) {
		t.Errorf("retry log %v", retries)
	}
}

// A 401 makes the handler ask the token source for a fresh token once and
// try again at once; the fresh token works against the real server.
func TestRefreshesTokenOnceOn401(t *testing.T) {
	t.Parallel()
	o := startOpsdesk(t, "")
	src := &tokenSource{tokens: []string{"odt_rotated-away-token", o.token}}
	r := newRig(t, o.URL, src, o.token, "odt_rotated-away-token")
	body, _ := samples.Get("sqs")
	out, err := r.invoke(t, body)
	if err != nil {
		t.Fatal(err)
	}
	if ids := failures(t, out); len(ids) != 0 {
		t.Errorf("failures %v", ids)
	}
	if got := src.Calls(); !slices.Equal(got, []bool{false, true}) {
		t.Errorf("token calls (refresh flags) %v, want [false true]", got)
	}
	if len(r.clock.Sleeps()) != 0 {
		t.Errorf("waited %v before using the refreshed token", r.clock.Sleeps())
	}
	if e := o.events(t)["aws.sqs/059f36b4-87a3-44ab-83d2-661975830a7d"]; e.Via != "lambda" {
		t.Errorf("stored %+v", e)
	}

	// The token is cached by the source, not re-read per invocation: the
	// next invocation asks without refresh.
	if _, err := r.invoke(t, body); err != nil {
		t.Fatal(err)
	}
	if got := src.Calls(); !slices.Equal(got, []bool{false, true, false}) {
		t.Errorf("token calls %v", got)
	}
}

// A refreshed token that is refused too ends the post: no second refresh,
// no backoff retries. For SQS every message is then a failure.
func TestRefusedAfterRefreshIsNotRetried(t *testing.T) {
	t.Parallel()
	o := startOpsdesk(t, "")
	g := newGate(t, o.URL)
	src := &tokenSource{tokens: []string{"odt_bad-one", "odt_bad-two"}}
	r := newRig(t, g.URL, src, "odt_bad-one", "odt_bad-two")
	body, _ := samples.Get("sqs")
	out, err := r.invoke(t, body)
	if err != nil {
		t.Fatal(err)
	}
	if ids := failures(t, out); !slices.Equal(ids, []string{"059f36b4-87a3-44ab-83d2-661975830a7d"}) {
		t.Errorf("failures %v", ids)
	}
	if n := g.requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2 (one per token)", n)
	}
	if got := src.Calls(); !slices.Equal(got, []bool{false, true}) {
		t.Errorf("token calls %v", got)
	}
	if s := r.log.lines(t, "forwarding to opsdesk failed"); len(s) != 1 || !strings.Contains(s[0]["error"].(string), "refused the integration token") {
		t.Errorf("summary %v", s)
	}
}

// With a static token a 401 is final at once: refreshing gives the same
// token, which would be refused again.
func TestStaticToken401(t *testing.T) {
	t.Parallel()
	o := startOpsdesk(t, "")
	g := newGate(t, o.URL)
	r := newRig(t, g.URL, lambdafwd.StaticToken("odt_not-a-token"), "odt_not-a-token")
	body, _ := samples.Get("scheduled")
	_, err := r.invoke(t, body)
	var de *lambdafwd.DeliveryError
	if !errors.As(err, &de) || de.Status != http.StatusUnauthorized {
		t.Fatalf("error %v, want a DeliveryError with 401", err)
	}
	if n := g.requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// Retries stop before the Lambda deadline: no attempt starts later than
// the deadline less the margin, and the handler returns an error in time.
func TestRetriesStopBeforeDeadline(t *testing.T) {
	t.Parallel()
	var script []func(http.ResponseWriter, *http.Request) bool
	for range 50 {
		script = append(script, status(503, ""))
	}
	g := newGate(t, "", script...)
	r := newRig(t, g.URL, lambdafwd.StaticToken("tok-deadline"), "tok-deadline")
	r.h.MaxAttempts = 50
	r.h.BaseDelay, r.h.MaxDelay, r.h.Margin = 400*time.Millisecond, 4*time.Second, time.Second

	start := r.clock.Now()
	deadline := start.Add(6 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	body, _ := samples.Get("s3-delete")
	_, err := r.h.Invoke(ctx, body)
	if err == nil || !strings.Contains(err.Error(), "no time left before the Lambda deadline") {
		t.Fatalf("error %v, want the deadline to end the retries", err)
	}
	// Waits (jitter 0, half of 400ms·2^n capped at 4s): 200, 400, 800,
	// 1600ms sum to 3s; the next (2s) would end past 6s-1s-0.2s.
	want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond}
	if got := r.clock.Sleeps(); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if n := g.requests.Load(); n != 5 {
		t.Errorf("%d attempts, want 5", n)
	}
	if last := r.clock.Now(); last.After(deadline.Add(-r.h.Margin)) {
		t.Errorf("the last attempt started %v after the start, past deadline less margin", last.Sub(start))
	}
}

// A Retry-After that ends past the deadline is not waited for: the post
// fails at once, so Lambda (or SQS) redelivers later.
func TestRetryAfterBeyondDeadline(t *testing.T) {
	t.Parallel()
	g := newGate(t, "", status(429, "120"), status(429, "120"))
	r := newRig(t, g.URL, lambdafwd.StaticToken("tok-ra"), "tok-ra")
	ctx, cancel := context.WithDeadline(context.Background(), r.clock.Now().Add(30*time.Second))
	defer cancel()
	body, _ := samples.Get("sqs")
	out, err := r.h.Invoke(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	if ids := failures(t, out); len(ids) != 1 {
		t.Errorf("failures %v, want the message", ids)
	}
	if n := g.requests.Load(); n != 1 || len(r.clock.Sleeps()) != 0 {
		t.Errorf("%d requests and waits %v, want 1 and none", n, r.clock.Sleeps())
	}
}

// 429 with a Retry-After date is honoured.
func TestRetryAfterDate(t *testing.T) {
	t.Parallel()
	o := startOpsdesk(t, "")
	r := newRig(t, "", lambdafwd.StaticToken(o.token), o.token)
	when := r.clock.Now().Add(7 * time.Second).UTC().Truncate(time.Second).Add(time.Second)
	g := newGate(t, o.URL, status(429, when.Format(http.TimeFormat)), pass)
	r.h.URL = g.URL
	body, _ := samples.Get("dynamodb-remove")
	out, err := r.invoke(t, body)
	if err != nil {
		t.Fatal(err)
	}
	if resp := out.(events.DynamoDBEventResponse); len(resp.BatchItemFailures) != 0 {
		t.Errorf("failures %v", resp.BatchItemFailures)
	}
	sl := r.clock.Sleeps()
	if len(sl) != 1 || sl[0] < 7*time.Second || sl[0] > 9*time.Second {
		t.Errorf("waits %v, want one of about 8s", sl)
	}
}

// 4xx other than 401/413/429 are not retried.
func TestClientErrorsAreNotRetried(t *testing.T) {
	t.Parallel()
	for _, code := range []int{400, 403, 404, 405, 422} {
		g := newGate(t, "", status(code, ""), status(code, ""))
		r := newRig(t, g.URL, lambdafwd.StaticToken("tok-4xx"), "tok-4xx")
		body, _ := samples.Get("support-case-update")
		_, _ = r.invoke(t, body)
		if n := g.requests.Load(); n != 1 {
			t.Errorf("HTTP %d: %d requests, want 1", code, n)
		}
		if len(r.clock.Sleeps()) != 0 {
			t.Errorf("HTTP %d: waited %v", code, r.clock.Sleeps())
		}
	}
}

// A network error (nothing listening) is retried like a 5xx.
func TestNetworkErrorIsRetried(t *testing.T) {
	t.Parallel()
	g := newGate(t, "")
	url := g.URL
	g.Close()
	r := newRig(t, url, lambdafwd.StaticToken("tok-net"), "tok-net")
	r.h.MaxAttempts = 3
	body, _ := samples.Get("sns")
	_, err := r.invoke(t, body)
	var de *lambdafwd.DeliveryError
	if !errors.As(err, &de) || de.Status != 0 || de.Attempts != 3 {
		t.Fatalf("error %v, want a DeliveryError after 3 network failures", err)
	}
	if got := r.clock.Sleeps(); len(got) != 2 {
		t.Errorf("waits %v, want 2", got)
	}
}

// Jitter spreads each wait between half and all of the exponential delay.
func TestBackoffJitterRange(t *testing.T) {
	t.Parallel()
	for _, j := range []float64{0, 0.5, 0.999} {
		g := newGate(t, "", status(500, ""), status(500, ""), status(500, ""))
		r := newRig(t, g.URL, lambdafwd.StaticToken("tok-j"), "tok-j")
		r.h.MaxAttempts = 3
		r.h.Jitter = func() float64 { return j }
		body, _ := samples.Get("scheduled")
		_, _ = r.invoke(t, body)
		got := r.clock.Sleeps()
		if len(got) != 2 {
			t.Fatalf("jitter %v: waits %v", j, got)
		}
		for i, d := range []time.Duration{200 * time.Millisecond, 400 * time.Millisecond} {
			want := time.Duration(float64(d)/2 + j*float64(d)/2)
			if got[i] != want {
				t.Errorf("jitter %v: wait %d is %v, want %v", j, i+1, got[i], want)
			}
		}
	}
}
