package connect_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/smithy-go"

	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/fake"
)

var epoch = time.Date(2025, 3, 14, 3, 0, 0, 0, time.UTC)

// clock is a test clock; Sleep moves it instead of waiting.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newClock() *clock { return &clock{t: epoch} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	c.mu.Unlock()
	return nil
}

func (c *clock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

func baseConfig(f *fake.Connect) connect.Config {
	return connect.Config{
		InstanceID:    f.InstanceID(),
		ContactFlowID: f.ContactFlowID(),
		SourcePhone:   f.SourcePhone(),
		Region:        f.Region(),
		Endpoint:      f.URL(),
		RatePerSecond: 1000, // lifecycle tests: the bucket never makes them wait
		Burst:         1000,
	}
}

// newClient returns a client for f on clk; mod adjusts the config.
func newClient(t *testing.T, f *fake.Connect, clk *clock, mod func(*connect.Config)) *connect.Client {
	t.Helper()
	cfg := baseConfig(f)
	if mod != nil {
		mod(&cfg)
	}
	c, err := connect.New(context.Background(), cfg,
		connect.WithCredentials(f.Credentials()),
		connect.WithClock(clk.Now, clk.Sleep),
		connect.WithRetryBackoff(func(int) time.Duration { return 0 }))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func setup(t *testing.T) (*fake.Connect, *connect.Client, *clock) {
	t.Helper()
	clk := newClock()
	f := fake.NewConnect(t, fake.WithClock(clk.Now))
	return f, newClient(t, f, clk, nil), clk
}

func alertAttrs() map[string]string {
	return map[string]string{
		"systemname": "XYZ", "host": "server1", "service": "CPU Utilization",
		"startdate": "2023-10-03 13:20:52", "language": "ja-JP", "summary": "CPU 98%", "alert_id": "42",
	}
}

func startCall(t *testing.T, c *connect.Client, dest, token string) string {
	t.Helper()
	id, err := c.StartCall(context.Background(), connect.Call{Destination: dest, Attributes: alertAttrs(), ClientToken: token})
	if err != nil {
		t.Fatalf("StartCall %s: %v", dest, err)
	}
	return id
}

func status(t *testing.T, c *connect.Client, id string) connect.Status {
	t.Helper()
	st, err := c.CallStatus(context.Background(), id)
	if err != nil {
		t.Fatalf("CallStatus %s: %v", id, err)
	}
	return st
}

func TestKeyAttributeMatchesTheFake(t *testing.T) {
	if connect.DefaultKeyAttribute != fake.DefaultKeyAttribute {
		t.Fatalf("wrapper %q, fake %q", connect.DefaultKeyAttribute, fake.DefaultKeyAttribute)
	}
}

func TestCallAnsweredWithKey(t *testing.T) {
	t.Parallel()
	f, c, clk := setup(t)
	const num = "+81901234567"
	f.Script(num, fake.Answer("2"))
	token := connect.ClientTokenFor("alert-42", "round-1", "callee-7")
	id := startCall(t, c, num, token)

	st := status(t, c, id)
	if st.ContactID != id || st.State != connect.StateRinging || !st.InitiatedAt.Equal(epoch) || st.Answered() || st.Key != "" || st.DisconnectReason != "" {
		t.Fatalf("ringing: %+v", st)
	}
	if n := f.OpCount("GetContactAttributes"); n != 0 {
		t.Fatalf("read attributes of an unanswered call %d times", n)
	}

	clk.Add(8 * time.Second)
	st = status(t, c, id)
	if st.State != connect.StateConnected || !st.ConnectedAt.Equal(epoch.Add(8*time.Second)) || st.Key != "" || !st.EndedAt.IsZero() {
		t.Fatalf("answered: %+v", st)
	}

	clk.Add(25 * time.Second)
	if st = status(t, c, id); st.State != connect.StateConnected || st.Key != "2" {
		t.Fatalf("after the key: %+v", st)
	}

	clk.Add(10 * time.Second)
	st = status(t, c, id)
	if st.State != connect.StateEnded || !st.EndedAt.Equal(epoch.Add(43*time.Second)) || st.DisconnectReason != fake.ReasonFlowDisconnect || st.Key != "2" || st.Attributes["alert_id"] != "42" {
		t.Fatalf("ended: %+v", st)
	}

	calls := f.Calls()
	if len(calls) != 1 || calls[0].Number != num || calls[0].ClientToken != token || calls[0].Source != f.SourcePhone() ||
		calls[0].ContactFlowID != f.ContactFlowID() || calls[0].Attributes["summary"] != "CPU 98%" || len(calls[0].Attributes) != len(alertAttrs()) {
		t.Fatalf("call as Connect saw it: %+v", calls)
	}
}

func TestCallOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		b        fake.CallBehavior
		answered bool
		key      string
		reason   string
	}{
		{"acknowledge", fake.Answer("1"), true, "1", fake.ReasonFlowDisconnect},
		{"quiet", fake.Answer("2"), true, "2", fake.ReasonFlowDisconnect},
		{"next person", fake.Answer("3"), true, "3", fake.ReasonFlowDisconnect},
		{"voicemail", fake.AnswerNoKey(), true, "", fake.ReasonFlowDisconnect},
		{"hung up", fake.AnswerNoKey().Talk(5 * time.Second).Reason(fake.ReasonCustomerDisconnect), true, "", fake.ReasonCustomerDisconnect},
		{"no answer", fake.NoAnswer(), false, "", fake.ReasonOriginatorCancel},
		{"busy", fake.Busy(), false, "", fake.ReasonBusy},
		{"invalid number", fake.Fail(fake.ReasonNumberInvalid), false, "", fake.ReasonNumberInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, c, clk := setup(t)
			f.Script("+819012345678", tt.b)
			id := startCall(t, c, "+819012345678", "tok")
			clk.Add(time.Hour)
			st := status(t, c, id)
			if st.State != connect.StateEnded || st.Answered() != tt.answered || st.Key != tt.key || st.DisconnectReason != tt.reason {
				t.Fatalf("status %+v", st)
			}
			wantReads := 0
			if tt.answered {
				wantReads = 1
			}
			if got := f.OpCount("GetContactAttributes"); got != wantReads {
				t.Fatalf("GetContactAttributes called %d times, want %d", got, wantReads)
			}
		})
	}
}

func TestStartCallIsIdempotent(t *testing.T) {
	t.Parallel()
	f, c, _ := setup(t)
	const num = "+819012345678"
	token := connect.ClientTokenFor("alert-1", "1", "callee-a")
	id := startCall(t, c, num, token)
	if again := startCall(t, c, num, token); again != id {
		t.Fatalf("retry with the same token: %s, want %s", again, id)
	}
	if f.CallCount(num) != 1 {
		t.Fatalf("phoned %d times", f.CallCount(num))
	}
	if next := startCall(t, c, num, connect.ClientTokenFor("alert-1", "2", "callee-a")); next == id || f.CallCount(num) != 2 {
		t.Fatal("the next round did not place a new call")
	}
}

func TestClientTokenFor(t *testing.T) {
	t.Parallel()
	a := connect.ClientTokenFor("alert-1", "1", "callee-a")
	if a != connect.ClientTokenFor("alert-1", "1", "callee-a") {
		t.Fatal("not deterministic")
	}
	for _, other := range []string{
		connect.ClientTokenFor("alert-1", "2", "callee-a"),
		connect.ClientTokenFor("alert-11", "", "callee-a"),
		connect.ClientTokenFor("alert-1", "1callee-a"),
	} {
		if other == a {
			t.Fatalf("different parts gave the same token %s", a)
		}
	}
	long := connect.ClientTokenFor(strings.Repeat("電話", 1000))
	if len(long) > connect.MaxClientTokenLength || !regexp.MustCompile(`^opsdesk-[0-9a-f]{64}$`).MatchString(long) {
		t.Fatalf("token %q", long)
	}
}

func TestStartCallValidation(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", connect.MaxAttributeBytes)
	tests := []struct {
		name  string
		call  connect.Call
		field string
	}{
		{"not E.164", connect.Call{Destination: "090-1234-5678", ClientToken: "t"}, "destination"},
		{"no plus", connect.Call{Destination: "81901234567", ClientToken: "t"}, "destination"},
		{"no token", connect.Call{Destination: "+81901234567"}, "client_token"},
		{"token too long", connect.Call{Destination: "+81901234567", ClientToken: strings.Repeat("t", 501)}, "client_token"},
		{"attribute key", connect.Call{Destination: "+81901234567", ClientToken: "t", Attributes: map[string]string{"alert id": "1"}}, "attributes"},
		{"spoofed key", connect.Call{Destination: "+81901234567", ClientToken: "t", Attributes: map[string]string{connect.DefaultKeyAttribute: "1"}}, "attributes"},
		{"too large", connect.Call{Destination: "+81901234567", ClientToken: "t", Attributes: map[string]string{"summary": big}}, "attributes"},
	}
	f, c, _ := setup(t)
	for _, tt := range tests {
		_, err := c.StartCall(context.Background(), tt.call)
		var ve *connect.ValidationError
		if !errors.As(err, &ve) || ve.Field != tt.field {
			t.Errorf("%s: error %v, want a validation error on %s", tt.name, err, tt.field)
		}
		if connect.IsRetryable(err) {
			t.Errorf("%s: retryable", tt.name)
		}
	}
	if n := f.OpCount("StartOutboundVoiceContact"); n != 0 {
		t.Fatalf("%d invalid calls reached Connect", n)
	}
	// The limits themselves pass.
	attrs := map[string]string{"summary": big[:connect.MaxAttributeBytes-len("summary")]}
	if _, err := c.StartCall(context.Background(), connect.Call{Destination: "+81901234567", ClientToken: strings.Repeat("t", 500), Attributes: attrs}); err != nil {
		t.Fatalf("500-character token, 32768 bytes of attributes: %v", err)
	}
}

func TestConnectErrors(t *testing.T) {
	t.Parallel()
	type check func(t *testing.T, err error)
	typed := func(target any) check {
		return func(t *testing.T, err error) {
			t.Helper()
			if !errors.As(err, target) {
				t.Fatalf("error %v (%T), want %T", err, err, target)
			}
		}
	}
	code := func(want string) check {
		return func(t *testing.T, err error) {
			t.Helper()
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != want {
				t.Fatalf("error %v, want code %s", err, want)
			}
		}
	}
	tests := []struct {
		name      string
		setup     func(f *fake.Connect, cfg *connect.Config, ctx *context.Context)
		dest      string
		retryable bool
		check     check
	}{
		{"destination not allowed", nil, "+447700900123", false, typed(new(*types.DestinationNotAllowedException))},
		{"throttled", func(f *fake.Connect, _ *connect.Config, _ *context.Context) { f.Throttle(1) }, "+819012345678", true, code("ThrottlingException")},
		{"internal error", func(f *fake.Connect, _ *connect.Config, _ *context.Context) {
			f.FailOp("StartOutboundVoiceContact", 1, "InternalServiceException")
		}, "+819012345678", true, typed(new(*types.InternalServiceException))},
		{"concurrent calls", func(f *fake.Connect, _ *connect.Config, _ *context.Context) {
			f.FailOp("StartOutboundVoiceContact", 1, "LimitExceededException")
		}, "+819012345678", true, typed(new(*types.LimitExceededException))},
		{"wrong instance", func(_ *fake.Connect, cfg *connect.Config, _ *context.Context) {
			cfg.InstanceID = "00000000-0000-4000-8000-000000000000"
		}, "+819012345678", false, typed(new(*types.ResourceNotFoundException))},
		{"wrong flow", func(_ *fake.Connect, cfg *connect.Config, _ *context.Context) { cfg.ContactFlowID = "gone" }, "+819012345678", false, typed(new(*types.ResourceNotFoundException))},
		{"unclaimed caller id", func(_ *fake.Connect, cfg *connect.Config, _ *context.Context) { cfg.SourcePhone = "+15005550006" }, "+819012345678", false, typed(new(*types.InvalidParameterException))},
		{"service unavailable", func(f *fake.Connect, _ *connect.Config, _ *context.Context) { f.FailNext(1, fake.Failure{Status: 503}) }, "+819012345678", true, code("ServiceUnavailableException")},
		{"cancelled", func(_ *fake.Connect, _ *connect.Config, ctx *context.Context) {
			c, cancel := context.WithCancel(*ctx)
			cancel()
			*ctx = c
		}, "+819012345678", false, func(t *testing.T, err error) {
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			f := fake.NewConnect(t, fake.WithClock(clk.Now))
			cfg := baseConfig(f)
			cfg.MaxAttempts = 1
			ctx := context.Background()
			if tt.setup != nil {
				tt.setup(f, &cfg, &ctx)
			}
			c, err := connect.New(context.Background(), cfg, connect.WithCredentials(f.Credentials()), connect.WithClock(clk.Now, clk.Sleep))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.StartCall(ctx, connect.Call{Destination: tt.dest, ClientToken: "tok", Attributes: alertAttrs()})
			if err == nil {
				t.Fatal("no error")
			}
			tt.check(t, err)
			if got := connect.IsRetryable(err); got != tt.retryable {
				t.Fatalf("IsRetryable(%v) = %v, want %v", err, got, tt.retryable)
			}
			if !strings.Contains(err.Error(), "connect: start call to +819") && !strings.Contains(err.Error(), "connect: start call to +447") {
				t.Fatalf("error lacks context: %v", err)
			}
			if strings.Contains(err.Error(), tt.dest) {
				t.Fatalf("error shows the whole number: %v", err)
			}
			if len(f.Calls()) != 0 {
				t.Fatal("a failed request placed a call")
			}
		})
	}
}

func TestNetworkErrorIsRetryable(t *testing.T) {
	t.Parallel()
	f := fake.NewConnect(t)
	cfg := baseConfig(f)
	cfg.MaxAttempts = 1
	c, err := connect.New(context.Background(), cfg, connect.WithCredentials(f.Credentials()))
	if err != nil {
		t.Fatal(err)
	}
	f.Down()
	_, err = c.StartCall(context.Background(), connect.Call{Destination: "+819012345678", ClientToken: "tok"})
	f.Up()
	if err == nil || !connect.IsRetryable(err) {
		t.Fatalf("connection refused: %v retryable=%v", err, connect.IsRetryable(err))
	}
	if _, err := c.StartCall(context.Background(), connect.Call{Destination: "+819012345678", ClientToken: "tok"}); err != nil {
		t.Fatalf("after Up: %v", err)
	}
}

func TestSDKRetriesThroughTheBucket(t *testing.T) {
	t.Parallel()
	clk := newClock()
	f := fake.NewConnect(t, fake.WithClock(clk.Now))
	c := newClient(t, f, clk, func(cfg *connect.Config) { cfg.RatePerSecond, cfg.Burst, cfg.MaxAttempts = 2, 1, 3 })
	f.Throttle(2)
	id := startCall(t, c, "+819012345678", "tok")
	if id == "" || f.OpCount("StartOutboundVoiceContact") != 3 || f.CallCount("+819012345678") != 1 {
		t.Fatalf("requests %d calls %d", f.OpCount("StartOutboundVoiceContact"), f.CallCount("+819012345678"))
	}
	// Three attempts at 2/s with a burst of 1: the 2nd and 3rd each waited 0.5 s.
	if got := clk.Slept(); len(got) != 2 || got[0] != 500*time.Millisecond || got[1] != 500*time.Millisecond {
		t.Fatalf("waits %v", got)
	}

	f.Throttle(3) // more than the attempts: the error reaches the caller, retryable
	_, err := c.StartCall(context.Background(), connect.Call{Destination: "+819012345679", ClientToken: "tok2"})
	if err == nil || !connect.IsRetryable(err) {
		t.Fatalf("exhausted retries: %v", err)
	}
}

func TestBucketKeepsConnectFromThrottling(t *testing.T) {
	t.Parallel()
	clk := newClock()
	f := fake.NewConnect(t, fake.WithClock(clk.Now))
	f.EnforceRate(2, 2) // Connect's rate, on the same clock
	f.SetMaxConcurrent(0)
	c := newClient(t, f, clk, func(cfg *connect.Config) { cfg.RatePerSecond, cfg.Burst, cfg.MaxAttempts = 2, 2, 1 })
	var ids []string
	for i := range 6 {
		ids = append(ids, startCall(t, c, fmt.Sprintf("+8190000000%02d", i), fmt.Sprint(i)))
	}
	for _, id := range ids {
		status(t, c, id) // unanswered: one request each
	}
	// 12 requests: 2 from the burst, 10 at 2/s.
	if got := clk.Now().Sub(epoch); got != 5*time.Second {
		t.Fatalf("took %v on the clock, want 5s", got)
	}

	// Polls interleaved with new calls stay within the rate as well.
	for i, id := range ids {
		status(t, c, id)
		startCall(t, c, fmt.Sprintf("+8190000001%02d", i), fmt.Sprint("next", i))
	}
	if got := clk.Now().Sub(epoch); got != 11*time.Second {
		t.Fatalf("took %v on the clock, want 11s", got)
	}
}

func TestStopCall(t *testing.T) {
	t.Parallel()
	f, c, clk := setup(t)
	f.Script("+819012345678", fake.Hold())
	id := startCall(t, c, "+819012345678", "tok")
	clk.Add(20 * time.Second)
	if err := c.StopCall(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	st := status(t, c, id)
	if st.State != connect.StateEnded || !st.Answered() || !st.EndedAt.Equal(epoch.Add(20*time.Second)) {
		t.Fatalf("after stop: %+v", st)
	}
	if err := c.StopCall(context.Background(), id); err != nil {
		t.Fatalf("stopping an ended call: %v", err)
	}
	if snap, _ := f.Contact(id); !snap.Stopped {
		t.Fatal("the fake did not see the stop")
	}

	// A 5xx on stop is retried by the client; with one attempt it surfaces
	// as a retryable error.
	f.Script("+819012345679", fake.Hold(), fake.Hold())
	other := startCall(t, c, "+819012345679", "tok2")
	f.FailOp("StopContact", 1, "InternalServiceException")
	if err := c.StopCall(context.Background(), other); err != nil {
		t.Fatalf("stop with one injected 500: %v", err)
	}
	if snap, _ := f.Contact(other); !snap.Stopped {
		t.Fatal("retried stop did not end the call")
	}
	once := newClient(t, f, clk, func(cfg *connect.Config) { cfg.MaxAttempts = 1 })
	third := startCall(t, once, "+819012345679", "tok3")
	f.FailOp("StopContact", 1, "InternalServiceException")
	err := once.StopCall(context.Background(), third)
	var ise *types.InternalServiceException
	if !errors.As(err, &ise) || !connect.IsRetryable(err) {
		t.Fatalf("stop error %v", err)
	}
	if snap, _ := f.Contact(third); snap.Stopped {
		t.Fatal("a failed stop ended the call")
	}
	if got := f.OpCount("StopContact"); got != 5 {
		t.Fatalf("%d StopContact requests, want 5", got)
	}
}

func TestCallStatusUnknownContact(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t)
	_, err := c.CallStatus(context.Background(), "no-such-contact")
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || connect.IsRetryable(err) || !strings.Contains(err.Error(), "no-such-contact") {
		t.Fatalf("error %v", err)
	}
}

func TestKeyAttributeAndRingTimeoutAndQueue(t *testing.T) {
	t.Parallel()
	clk := newClock()
	f := fake.NewConnect(t, fake.WithClock(clk.Now))
	f.SetKeyAttribute("check_flag")
	c := newClient(t, f, clk, func(cfg *connect.Config) {
		cfg.KeyAttribute = "check_flag"
		cfg.RingTimeout = 20 * time.Second
		cfg.SourcePhone, cfg.QueueID = "", f.QueueID()
	})
	f.Script("+819000000001", fake.Answer("3"))
	f.Script("+819000000002", fake.NoAnswer())
	answered := startCall(t, c, "+819000000001", "a")
	unanswered := startCall(t, c, "+819000000002", "b")
	clk.Add(time.Hour)
	if st := status(t, c, answered); st.Key != "3" {
		t.Fatalf("key under check_flag: %+v", st)
	}
	if st := status(t, c, unanswered); !st.EndedAt.Equal(epoch.Add(20 * time.Second)) {
		t.Fatalf("ring timeout not sent: ended %v", st.EndedAt)
	}
	if calls := f.Calls(); calls[0].QueueID != f.QueueID() || calls[0].Source != "" {
		t.Fatalf("queue not used: %+v", calls[0])
	}
	if _, err := c.StartCall(context.Background(), connect.Call{Destination: "+819000000003", ClientToken: "c", Attributes: map[string]string{"check_flag": "1"}}); err == nil {
		t.Fatal("caller could set the key attribute")
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	ok := connect.Config{InstanceID: "i", ContactFlowID: "f", SourcePhone: "+815012345678", Region: "ap-northeast-1"}
	tests := []struct {
		field string
		mod   func(*connect.Config)
	}{
		{"instance_id", func(c *connect.Config) { c.InstanceID = "" }},
		{"contact_flow_id", func(c *connect.Config) { c.ContactFlowID = "" }},
		{"source_phone", func(c *connect.Config) { c.SourcePhone = "" }},
		{"source_phone", func(c *connect.Config) { c.SourcePhone = "050-1234-5678" }},
		{"key_attribute", func(c *connect.Config) { c.KeyAttribute = "pressed key" }},
		{"rate_per_second", func(c *connect.Config) { c.RatePerSecond = -1 }},
		{"ring_timeout", func(c *connect.Config) { c.RingTimeout = 1500 * time.Millisecond }},
		{"ring_timeout", func(c *connect.Config) { c.RingTimeout = 10 * time.Second }},
		{"ring_timeout", func(c *connect.Config) { c.RingTimeout = 90 * time.Second }},
		{"role_arn", func(c *connect.Config) { c.RoleARN = "opsdesk-role" }},
		{"endpoint", func(c *connect.Config) { c.Endpoint = "localhost:4566" }},
	}
	for _, tt := range tests {
		cfg := ok
		tt.mod(&cfg)
		_, err := connect.New(context.Background(), cfg)
		var ve *connect.ValidationError
		if !errors.As(err, &ve) || ve.Field != tt.field || !strings.HasPrefix(err.Error(), "connect: invalid "+tt.field) {
			t.Errorf("%s: error %v", tt.field, err)
		}
	}
	c, err := connect.New(context.Background(), ok, connect.WithCredentials(fake.NewConnect(t).Credentials()))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Config()
	if got.KeyAttribute != connect.DefaultKeyAttribute || got.RatePerSecond != 2 || got.Burst != 2 || got.MaxAttempts != connect.DefaultMaxAttempts {
		t.Fatalf("defaults %+v", got)
	}
}

// isolateAWSEnv keeps the developer's AWS files and variables out of a test.
func isolateAWSEnv(t *testing.T) string {
	dir := t.TempDir()
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CONNECT", "AWS_ENDPOINT_URL_STS", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_MAX_ATTEMPTS"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return dir
}

// The endpoint comes from AWS_ENDPOINT_URL_CONNECT (then AWS_ENDPOINT_URL)
// and credentials and region from the default chain, as in production.
func TestEndpointAndCredentialsFromEnvironment(t *testing.T) {
	for _, v := range []string{"AWS_ENDPOINT_URL_CONNECT", "AWS_ENDPOINT_URL"} {
		t.Run(v, func(t *testing.T) {
			isolateAWSEnv(t)
			f := fake.NewConnect(t)
			t.Setenv(v, f.URL())
			if v == "AWS_ENDPOINT_URL_CONNECT" {
				t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // the service's own variable wins
			}
			t.Setenv("AWS_ACCESS_KEY_ID", fake.ConnectAccessKeyID)
			t.Setenv("AWS_SECRET_ACCESS_KEY", fake.ConnectSecretAccessKey)
			t.Setenv("AWS_REGION", f.Region())
			c, err := connect.New(context.Background(), connect.Config{InstanceID: f.InstanceID(), ContactFlowID: f.ContactFlowID(), SourcePhone: f.SourcePhone(), MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			startCall(t, c, "+819012345678", "env")
			if f.CallCount("+819012345678") != 1 {
				t.Fatal("the call did not reach the fake")
			}
		})
	}
}

func TestRegionIsRequired(t *testing.T) {
	isolateAWSEnv(t)
	_, err := connect.New(context.Background(), connect.Config{InstanceID: "i", ContactFlowID: "f", SourcePhone: "+815012345678"})
	var ve *connect.ValidationError
	if !errors.As(err, &ve) || ve.Field != "region" {
		t.Fatalf("error %v", err)
	}
}

func TestProfile(t *testing.T) {
	dir := isolateAWSEnv(t)
	f := fake.NewConnect(t)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[profile opsdesk]\nregion = "+f.Region()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	creds := "[opsdesk]\naws_access_key_id = " + fake.ConnectAccessKeyID + "\naws_secret_access_key = " + fake.ConnectSecretAccessKey + "\n"
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := connect.New(context.Background(), connect.Config{InstanceID: f.InstanceID(), ContactFlowID: f.ContactFlowID(), SourcePhone: f.SourcePhone(), Profile: "opsdesk", Endpoint: f.URL(), MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	startCall(t, c, "+819012345678", "profile")
	if f.CallCount("+819012345678") != 1 {
		t.Fatal("the call did not reach the fake")
	}
}

// RoleARN: the client assumes the role through STS (a stub here, found via
// AWS_ENDPOINT_URL_STS) and signs Connect requests with its credentials.
func TestRoleARN(t *testing.T) {
	isolateAWSEnv(t)
	f := fake.NewConnect(t)
	const role = "arn:aws:iam::123456789012:role/opsdesk-connect"
	var mu sync.Mutex
	var assumed []string
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "AssumeRole" || r.Header.Get("Authorization") == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		assumed = append(assumed, r.Form.Get("RoleArn")+" "+r.Form.Get("RoleSessionName"))
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>session-token</SessionToken><Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROAFAKE:opsdesk-connect</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/opsdesk-connect/opsdesk-connect</Arn></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			fake.ConnectAccessKeyID, fake.ConnectSecretAccessKey, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	}))
	t.Cleanup(sts.Close)
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIABASECREDENTIALS1")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "base-secret")
	c, err := connect.New(context.Background(), connect.Config{InstanceID: f.InstanceID(), ContactFlowID: f.ContactFlowID(), SourcePhone: f.SourcePhone(),
		Region: f.Region(), Endpoint: f.URL(), RoleARN: role, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	startCall(t, c, "+819012345678", "a")
	startCall(t, c, "+819012345679", "b")
	mu.Lock()
	defer mu.Unlock()
	if len(assumed) != 1 || assumed[0] != role+" opsdesk-connect" {
		t.Fatalf("AssumeRole calls %q, want one for %s (credentials are cached)", assumed, role)
	}
	reqs := f.Requests()
	if len(reqs) != 2 || reqs[0].Header.Get("X-Amz-Security-Token") != "session-token" {
		t.Fatalf("Connect requests not signed with the role's session")
	}
}

// countingClient counts the requests sent through it.
type countingClient struct {
	mu sync.Mutex
	n  int
}

func (c *countingClient) Do(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return http.DefaultClient.Do(r)
}

func TestWithHTTPClient(t *testing.T) {
	t.Parallel()
	f := fake.NewConnect(t)
	hc := &countingClient{}
	c, err := connect.New(context.Background(), baseConfig(f), connect.WithCredentials(f.Credentials()), connect.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	id := startCall(t, c, "+819012345678", "tok")
	status(t, c, id)
	if hc.n != 2 {
		t.Fatalf("%d requests through the client, want 2", hc.n)
	}
}
