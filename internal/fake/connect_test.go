package fake_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/smithy-go"

	"github.com/opsdesk/opsdesk/internal/fake"
)

var connectEpoch = time.Date(2025, 3, 14, 3, 0, 0, 0, time.UTC)

// newConnect starts a fake on a test clock and an SDK client for it that
// does not retry, so every error answer reaches the test.
func newConnect(t *testing.T) (*fake.Connect, *connect.Client, *testClock) {
	t.Helper()
	clk := &testClock{t: connectEpoch}
	f := fake.NewConnect(t, fake.WithClock(clk.Now))
	return f, connectSDK(f), clk
}

func connectSDK(f *fake.Connect) *connect.Client {
	return connect.NewFromConfig(aws.Config{Region: f.Region(), Credentials: f.Credentials()}, func(o *connect.Options) {
		o.BaseEndpoint = aws.String(f.URL())
		o.RetryMaxAttempts = 1
	})
}

func startInput(f *fake.Connect, dest, token string) *connect.StartOutboundVoiceContactInput {
	return &connect.StartOutboundVoiceContactInput{
		InstanceId:             aws.String(f.InstanceID()),
		ContactFlowId:          aws.String(f.ContactFlowID()),
		DestinationPhoneNumber: aws.String(dest),
		SourcePhoneNumber:      aws.String(f.SourcePhone()),
		ClientToken:            aws.String(token),
		Attributes:             map[string]string{"systemname": "XYZ", "host": "server1", "language": "ja-JP"},
	}
}

func start(t *testing.T, f *fake.Connect, c *connect.Client, dest, token string) string {
	t.Helper()
	out, err := c.StartOutboundVoiceContact(context.Background(), startInput(f, dest, token))
	if err != nil {
		t.Fatalf("StartOutboundVoiceContact %s: %v", dest, err)
	}
	if out.ContactId == nil || *out.ContactId == "" {
		t.Fatal("StartOutboundVoiceContact returned no ContactId")
	}
	return *out.ContactId
}

func describe(t *testing.T, f *fake.Connect, c *connect.Client, id string) *types.Contact {
	t.Helper()
	out, err := c.DescribeContact(context.Background(), &connect.DescribeContactInput{InstanceId: aws.String(f.InstanceID()), ContactId: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribeContact %s: %v", id, err)
	}
	return out.Contact
}

func attributes(t *testing.T, f *fake.Connect, c *connect.Client, id string) map[string]string {
	t.Helper()
	out, err := c.GetContactAttributes(context.Background(), &connect.GetContactAttributesInput{InstanceId: aws.String(f.InstanceID()), InitialContactId: aws.String(id)})
	if err != nil {
		t.Fatalf("GetContactAttributes %s: %v", id, err)
	}
	return out.Attributes
}

func stop(c *connect.Client, f *fake.Connect, id string) error {
	_, err := c.StopContact(context.Background(), &connect.StopContactInput{InstanceId: aws.String(f.InstanceID()), ContactId: aws.String(id)})
	return err
}

func timeOf(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.UTC()
}

// wantAPIError checks that err is the typed SDK error *T with HTTP status.
func wantAPIError[T error](t *testing.T, err error, status int) {
	t.Helper()
	var typed T
	if !errors.As(err, &typed) {
		t.Fatalf("error %v (%T), want %T", err, err, typed)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("error %v: want HTTP status %d", err, status)
	}
}

func TestConnectAnsweredCallLifecycle(t *testing.T) {
	t.Parallel()
	f, c, clk := newConnect(t)
	const num = "+81901234567"
	f.Script(num, fake.Answer("1"))
	id := start(t, f, c, num, "alert-1/round-1/callee-1")

	ct := describe(t, f, c, id)
	if *ct.Id != id || ct.Channel != types.ChannelVoice || ct.InitiationMethod != types.ContactInitiationMethodApi {
		t.Fatalf("contact %s channel %s method %s", *ct.Id, ct.Channel, ct.InitiationMethod)
	}
	if !timeOf(ct.InitiationTimestamp).Equal(connectEpoch) || ct.ConnectedToSystemTimestamp != nil || ct.DisconnectTimestamp != nil || ct.DisconnectReason != nil {
		t.Fatalf("ringing contact: %+v", ct)
	}
	if *ct.CustomerEndpoint.Address != num || *ct.SystemEndpoint.Address != f.SourcePhone() {
		t.Fatalf("endpoints %s / %s", *ct.CustomerEndpoint.Address, *ct.SystemEndpoint.Address)
	}
	wantArn := "arn:aws:connect:" + f.Region() + ":" + fake.ConnectAccountID + ":instance/" + f.InstanceID() + "/contact/" + id
	if *ct.Arn != wantArn {
		t.Fatalf("arn %s, want %s", *ct.Arn, wantArn)
	}
	if got := attributes(t, f, c, id); len(got) != 3 || got["systemname"] != "XYZ" || got[fake.DefaultKeyAttribute] != "" {
		t.Fatalf("attributes while ringing: %v", got)
	}

	clk.Add(8 * time.Second) // answered
	ct = describe(t, f, c, id)
	if !timeOf(ct.ConnectedToSystemTimestamp).Equal(connectEpoch.Add(8*time.Second)) || ct.DisconnectTimestamp != nil {
		t.Fatalf("answered contact: connected %v disconnected %v", ct.ConnectedToSystemTimestamp, ct.DisconnectTimestamp)
	}
	if st, _ := f.Contact(id); st.State != fake.ContactConnected {
		t.Fatalf("state %s", st.State)
	}
	if got := attributes(t, f, c, id); got[fake.DefaultKeyAttribute] != "" {
		t.Fatalf("key before it is pressed: %v", got)
	}

	clk.Add(25 * time.Second) // key pressed
	if got := attributes(t, f, c, id); got[fake.DefaultKeyAttribute] != "1" || got["host"] != "server1" {
		t.Fatalf("attributes after key: %v", got)
	}

	clk.Add(10 * time.Second) // flow confirmed and hung up at +35 s
	ct = describe(t, f, c, id)
	if !timeOf(ct.DisconnectTimestamp).Equal(connectEpoch.Add(43*time.Second)) || *ct.DisconnectReason != fake.ReasonFlowDisconnect {
		t.Fatalf("ended contact: disconnected %v reason %v", ct.DisconnectTimestamp, ct.DisconnectReason)
	}
	if !timeOf(ct.LastUpdateTimestamp).Equal(connectEpoch.Add(43 * time.Second)) {
		t.Fatalf("last update %v", ct.LastUpdateTimestamp)
	}
	calls := f.Calls()
	if len(calls) != 1 || calls[0].ContactID != id || calls[0].Number != num || calls[0].ClientToken != "alert-1/round-1/callee-1" ||
		calls[0].Attributes["language"] != "ja-JP" || !calls[0].At.Equal(connectEpoch) || calls[0].Behavior != "answer 1" {
		t.Fatalf("calls %+v", calls)
	}
	if f.Active() != 0 || f.MaxActive() != 1 || f.CallCount(num) != 1 {
		t.Fatalf("active %d max %d count %d", f.Active(), f.MaxActive(), f.CallCount(num))
	}
}

func TestConnectScriptedOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		b         fake.CallBehavior
		ringLimit int32 // RingTimeoutInSeconds, 0 = not sent
		connected time.Duration
		keyAt     time.Duration
		key       string
		ended     time.Duration
		reason    string
	}{
		{"answer", fake.Answer("2"), 0, 8 * time.Second, 33 * time.Second, "2", 43 * time.Second, fake.ReasonFlowDisconnect},
		{"answer timed", fake.Answer("3").Ring(5 * time.Second).Talk(12 * time.Second).PressAfter(4 * time.Second), 0, 5 * time.Second, 9 * time.Second, "3", 17 * time.Second, fake.ReasonFlowDisconnect},
		{"answer too late", fake.Answer("1").Ring(70 * time.Second), 0, 0, 0, "", 60 * time.Second, fake.ReasonOriginatorCancel},
		{"answer after short ring timeout", fake.Answer("1").Ring(20 * time.Second), 15, 0, 0, "", 15 * time.Second, fake.ReasonOriginatorCancel},
		{"voicemail", fake.AnswerNoKey(), 0, 8 * time.Second, 0, "", 108 * time.Second, fake.ReasonFlowDisconnect},
		{"hangs up", fake.AnswerNoKey().Talk(15 * time.Second).Reason(fake.ReasonCustomerDisconnect), 0, 8 * time.Second, 0, "", 23 * time.Second, fake.ReasonCustomerDisconnect},
		{"no answer", fake.NoAnswer(), 0, 0, 0, "", 60 * time.Second, fake.ReasonOriginatorCancel},
		{"no answer, ring timeout", fake.NoAnswer(), 30, 0, 0, "", 30 * time.Second, fake.ReasonOriginatorCancel},
		{"no answer, scripted ring", fake.NoAnswer().Ring(45 * time.Second).Reason(fake.ReasonTimeout), 0, 0, 0, "", 45 * time.Second, fake.ReasonTimeout},
		{"busy", fake.Busy(), 0, 0, 0, "", 2 * time.Second, fake.ReasonBusy},
		{"invalid number", fake.Fail(fake.ReasonNumberInvalid), 0, 0, 0, "", time.Second, fake.ReasonNumberInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, c, clk := newConnect(t)
			const num = "+819011112222"
			f.Script(num, tt.b)
			in := startInput(f, num, "tok")
			if tt.ringLimit > 0 {
				in.RingTimeoutInSeconds = aws.Int32(tt.ringLimit)
			}
			out, err := c.StartOutboundVoiceContact(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			id := *out.ContactId
			if tt.keyAt > 0 {
				clk.Add(tt.keyAt - time.Second)
				if k := attributes(t, f, c, id)[fake.DefaultKeyAttribute]; k != "" {
					t.Fatalf("key %q a second before it is pressed", k)
				}
				clk.Add(time.Second)
				if k := attributes(t, f, c, id)[fake.DefaultKeyAttribute]; k != tt.key {
					t.Fatalf("key %q when pressed, want %q", k, tt.key)
				}
			}
			setClock(clk, connectEpoch.Add(tt.ended-time.Millisecond))
			if ct := describe(t, f, c, id); ct.DisconnectTimestamp != nil {
				t.Fatalf("ended before %v", tt.ended)
			}
			setClock(clk, connectEpoch.Add(time.Hour))
			ct := describe(t, f, c, id)
			if got := timeOf(ct.ConnectedToSystemTimestamp); (tt.connected == 0) != got.IsZero() || (tt.connected > 0 && !got.Equal(connectEpoch.Add(tt.connected))) {
				t.Fatalf("connected at %v, want +%v", got, tt.connected)
			}
			if got := timeOf(ct.DisconnectTimestamp); !got.Equal(connectEpoch.Add(tt.ended)) {
				t.Fatalf("disconnected at %v, want +%v", got, tt.ended)
			}
			if *ct.DisconnectReason != tt.reason {
				t.Fatalf("reason %s, want %s", *ct.DisconnectReason, tt.reason)
			}
			if k := attributes(t, f, c, id)[fake.DefaultKeyAttribute]; k != tt.key {
				t.Fatalf("final key %q, want %q", k, tt.key)
			}
		})
	}
}

func TestConnectScriptQueueAndDefault(t *testing.T) {
	t.Parallel()
	f, c, clk := newConnect(t)
	f.Script("+819000000001", fake.Busy(), fake.Answer("1"))
	f.Script("+819000000001", fake.Answer("3")) // appends
	f.SetDefault(fake.AnswerNoKey())
	for i := range 4 {
		start(t, f, c, "+819000000001", fmt.Sprintf("t%d", i))
		clk.Add(10 * time.Minute)
	}
	start(t, f, c, "+819000000002", "other")
	var got []string
	for _, call := range f.Calls() {
		got = append(got, call.Number[len(call.Number)-1:]+":"+call.Behavior)
	}
	want := "1:busy 1:answer 1 1:answer 3 1:answer without key 2:answer without key"
	if strings.Join(got, " ") != want {
		t.Fatalf("behaviours %q, want %q", strings.Join(got, " "), want)
	}
	if f.CallCount("+819000000001") != 4 || f.CallCount("+819000000002") != 1 || f.CallCount("+819000000003") != 0 {
		t.Fatal("wrong CallCount")
	}
}

func TestConnectDefaultIsNoAnswer(t *testing.T) {
	t.Parallel()
	f, c, clk := newConnect(t)
	id := start(t, f, c, "+14155550100", "tok")
	clk.Add(time.Hour)
	ct := describe(t, f, c, id)
	if ct.ConnectedToSystemTimestamp != nil || *ct.DisconnectReason != fake.ReasonOriginatorCancel {
		t.Fatalf("default call: %+v", ct)
	}
}

func TestConnectClientToken(t *testing.T) {
	t.Parallel()
	f, c, clk := newConnect(t)
	const num = "+819012345678"
	f.SetDefault(fake.Answer("1"))
	id := start(t, f, c, num, "alert-7:r1:c2")
	if again := start(t, f, c, num, "alert-7:r1:c2"); again != id {
		t.Fatalf("same token gave %s, want %s", again, id)
	}
	clk.Add(time.Hour) // the call has ended; the token still holds
	if again := start(t, f, c, num, "alert-7:r1:c2"); again != id {
		t.Fatalf("same token after the call gave %s, want %s", again, id)
	}
	if f.CallCount(num) != 1 || f.OpCount("StartOutboundVoiceContact") != 3 {
		t.Fatalf("calls %d requests %d", f.CallCount(num), f.OpCount("StartOutboundVoiceContact"))
	}
	if other := start(t, f, c, num, "alert-7:r2:c2"); other == id {
		t.Fatal("another token reused the contact")
	}
	clk.Add(7*24*time.Hour - time.Hour) // 7 days after the first use: expired
	if again := start(t, f, c, num, "alert-7:r1:c2"); again == id {
		t.Fatal("token still valid after 7 days")
	}
	if f.CallCount(num) != 3 {
		t.Fatalf("calls %d, want 3", f.CallCount(num))
	}
}

func TestConnectNewContactAfterDisconnect(t *testing.T) {
	t.Parallel()
	f, c, clk := newConnect(t)
	f.NewContactAfterDisconnect(true)
	f.SetDefault(fake.Busy())
	id := start(t, f, c, "+819012345678", "tok")
	if again := start(t, f, c, "+819012345678", "tok"); again != id {
		t.Fatal("token not honoured while the call is active")
	}
	clk.Add(3 * time.Second) // busy call ended
	if again := start(t, f, c, "+819012345678", "tok"); again == id {
		t.Fatal("token returned the ended call")
	}
	if f.CallCount("+819012345678") != 2 {
		t.Fatalf("calls %d", f.CallCount("+819012345678"))
	}
}

// errorRecorder records the fake's test failures instead of failing.
type errorRecorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func TestConnectTokenReusedForAnotherNumberFailsTheTest(t *testing.T) {
	t.Parallel()
	rec := &errorRecorder{TB: t}
	f := fake.NewConnect(rec)
	c := connectSDK(f)
	id := start(t, f, c, "+819011110000", "shared")
	if again := start(t, f, c, "+819022220000", "shared"); again != id {
		t.Fatal("token reuse should return the first contact, as Connect does")
	}
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "+819022220000") {
		t.Fatalf("recorded %q", rec.errs)
	}
	if f.CallCount("+819022220000") != 0 {
		t.Fatal("second number was called")
	}
}

func TestConnectStartValidation(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 32768)
	tests := []struct {
		name   string
		mod    func(*connect.StartOutboundVoiceContactInput)
		status int
		check  func(t *testing.T, err error, status int)
	}{
		{"not E.164", func(in *connect.StartOutboundVoiceContactInput) {
			in.DestinationPhoneNumber = aws.String("090-1234-5678")
		}, 400, wantAPIError[*types.InvalidParameterException]},
		{"leading zero", func(in *connect.StartOutboundVoiceContactInput) {
			in.DestinationPhoneNumber = aws.String("+0901234567")
		}, 400, wantAPIError[*types.InvalidParameterException]},
		{"UK mobile", func(in *connect.StartOutboundVoiceContactInput) {
			in.DestinationPhoneNumber = aws.String("+447700900123")
		}, 403, wantAPIError[*types.DestinationNotAllowedException]},
		{"unknown instance", func(in *connect.StartOutboundVoiceContactInput) {
			in.InstanceId = aws.String("00000000-0000-0000-0000-000000000000")
		}, 404, wantAPIError[*types.ResourceNotFoundException]},
		{"unknown flow", func(in *connect.StartOutboundVoiceContactInput) { in.ContactFlowId = aws.String("nope") }, 404, wantAPIError[*types.ResourceNotFoundException]},
		{"no source, no queue", func(in *connect.StartOutboundVoiceContactInput) { in.SourcePhoneNumber = nil }, 400, wantAPIError[*types.InvalidParameterException]},
		{"unclaimed source", func(in *connect.StartOutboundVoiceContactInput) { in.SourcePhoneNumber = aws.String("+15005550006") }, 400, wantAPIError[*types.InvalidParameterException]},
		{"unknown queue", func(in *connect.StartOutboundVoiceContactInput) {
			in.SourcePhoneNumber, in.QueueId = nil, aws.String("q")
		}, 404, wantAPIError[*types.ResourceNotFoundException]},
		{"bad attribute key", func(in *connect.StartOutboundVoiceContactInput) { in.Attributes["alert id"] = "1" }, 400, wantAPIError[*types.InvalidParameterException]},
		{"attributes too large", func(in *connect.StartOutboundVoiceContactInput) { in.Attributes["summary"] = long }, 400, wantAPIError[*types.InvalidParameterException]},
		{"token too long", func(in *connect.StartOutboundVoiceContactInput) {
			in.ClientToken = aws.String(strings.Repeat("t", 501))
		}, 400, wantAPIError[*types.InvalidParameterException]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, c, _ := newConnect(t)
			in := startInput(f, "+819012345678", "tok")
			tt.mod(in)
			_, err := c.StartOutboundVoiceContact(context.Background(), in)
			tt.check(t, err, tt.status)
			var api smithy.APIError
			if errors.As(err, &api) && api.ErrorMessage() == "" {
				t.Fatal("error without message")
			}
			if len(f.Calls()) != 0 {
				t.Fatal("a rejected request placed a call")
			}
		})
	}

	// The limits themselves are accepted.
	f, c, _ := newConnect(t)
	in := startInput(f, "+819012345678", strings.Repeat("t", 500))
	in.Attributes = map[string]string{"summary": long[:32768-len("summary")]}
	if _, err := c.StartOutboundVoiceContact(context.Background(), in); err != nil {
		t.Fatalf("500-character token and 32768 bytes of attributes: %v", err)
	}
	in = startInput(f, "+819012345679", "queue")
	in.SourcePhoneNumber, in.QueueId = nil, aws.String(f.QueueID())
	if _, err := c.StartOutboundVoiceContact(context.Background(), in); err != nil {
		t.Fatalf("QueueId instead of SourcePhoneNumber: %v", err)
	}
	if calls := f.Calls(); len(calls) != 2 || calls[1].QueueID != f.QueueID() || calls[1].Source != "" {
		t.Fatalf("calls %+v", calls)
	}
}

// connectRaw sends a raw request signed for the fake (or as sp says).
func connectRaw(t *testing.T, f *fake.Connect, method, path, body string, sp *sigParams) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, f.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if sp != nil {
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: sp.akid, SecretAccessKey: sp.secret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), sp.service, sp.region, sp.at); err != nil {
			t.Fatal(err)
		}
	}
	status, hdr, raw := do(t, req)
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("answer is not JSON: %q", raw)
	}
	return status, hdr, m
}

func TestConnectRawRequests(t *testing.T) {
	t.Parallel()
	f := fake.NewConnect(t)
	good := func() *sigParams {
		return &sigParams{akid: fake.ConnectAccessKeyID, secret: fake.ConnectSecretAccessKey, service: "connect", region: f.Region(), at: time.Now()}
	}
	valid := fmt.Sprintf(`{"InstanceId":%q,"ContactFlowId":%q,"DestinationPhoneNumber":"+819012345678","SourcePhoneNumber":%q}`, f.InstanceID(), f.ContactFlowID(), f.SourcePhone())
	mod := func(p *sigParams, f func(*sigParams)) *sigParams { f(p); return p }
	tests := []struct {
		name, method, path, body string
		sp                       *sigParams
		status                   int
		errType                  string
	}{
		{"valid", "PUT", "/contact/outbound-voice", valid, good(), 200, ""},
		{"unsigned", "PUT", "/contact/outbound-voice", valid, nil, 403, "MissingAuthenticationTokenException"},
		{"wrong secret", "PUT", "/contact/outbound-voice", valid, mod(good(), func(p *sigParams) { p.secret = "wrong" }), 403, "InvalidSignatureException"},
		{"unknown key", "PUT", "/contact/outbound-voice", valid, mod(good(), func(p *sigParams) { p.akid = "AKIAOTHER" }), 403, "UnrecognizedClientException"},
		{"wrong region", "PUT", "/contact/outbound-voice", valid, mod(good(), func(p *sigParams) { p.region = "us-east-1" }), 403, "InvalidSignatureException"},
		{"wrong service", "PUT", "/contact/outbound-voice", valid, mod(good(), func(p *sigParams) { p.service = "support" }), 403, "InvalidSignatureException"},
		{"stale signature", "PUT", "/contact/outbound-voice", valid, mod(good(), func(p *sigParams) { p.at = time.Now().Add(-20 * time.Minute) }), 403, "InvalidSignatureException"},
		{"missing instance", "PUT", "/contact/outbound-voice", `{"ContactFlowId":"x","DestinationPhoneNumber":"+819012345678","SourcePhoneNumber":"+815012345678"}`, good(), 400, "InvalidParameterException"},
		{"missing destination", "PUT", "/contact/outbound-voice", fmt.Sprintf(`{"InstanceId":%q,"ContactFlowId":"x","SourcePhoneNumber":"+815012345678"}`, f.InstanceID()), good(), 400, "InvalidParameterException"},
		{"malformed body", "PUT", "/contact/outbound-voice", `{"InstanceId":`, good(), 400, "SerializationException"},
		{"unknown operation", "GET", "/contact/outbound-voice", "", good(), 404, "UnknownOperationException"},
		{"stop without contact", "POST", "/contact/stop", fmt.Sprintf(`{"InstanceId":%q}`, f.InstanceID()), good(), 400, "InvalidParameterException"},
	}
	for _, tt := range tests {
		status, hdr, m := connectRaw(t, f, tt.method, tt.path, tt.body, tt.sp)
		if status != tt.status || hdr.Get("X-Amzn-ErrorType") != tt.errType {
			t.Errorf("%s: got %d %q %v, want %d %q", tt.name, status, hdr.Get("X-Amzn-ErrorType"), m, tt.status, tt.errType)
		}
		if tt.errType != "" && m["Message"] == "" {
			t.Errorf("%s: no Message", tt.name)
		}
		if hdr.Get("X-Amzn-RequestId") == "" {
			t.Errorf("%s: no request id", tt.name)
		}
	}
	if len(f.Calls()) != 1 {
		t.Fatalf("%d calls, want only the valid one", len(f.Calls()))
	}
}

func TestConnectInjectedErrors(t *testing.T) {
	t.Parallel()
	f, c, _ := newConnect(t)
	const num = "+819012345678"

	// Throttling is not in StartOutboundVoiceContact's modelled errors: the
	// SDK returns a generic API error with the code.
	f.Throttle(1)
	_, err := c.StartOutboundVoiceContact(context.Background(), startInput(f, num, "a"))
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ThrottlingException" {
		t.Fatalf("throttled start: %v", err)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 429 {
		t.Fatalf("throttled start status: %v", err)
	}
	id := start(t, f, c, num, "a") // the next one goes through

	f.Throttle(1)
	_, err = c.DescribeContact(context.Background(), &connect.DescribeContactInput{InstanceId: aws.String(f.InstanceID()), ContactId: aws.String(id)})
	wantAPIError[*types.ThrottlingException](t, err, 429)

	f.FailOp("StartOutboundVoiceContact", 1, "InternalServiceException")
	_, err = c.StartOutboundVoiceContact(context.Background(), startInput(f, num, "b"))
	wantAPIError[*types.InternalServiceException](t, err, 500)

	f.FailOp("StartOutboundVoiceContact", 1, "LimitExceededException")
	describe(t, f, c, id) // FailOp for another operation leaves this one alone
	_, err = c.StartOutboundVoiceContact(context.Background(), startInput(f, num, "b"))
	wantAPIError[*types.LimitExceededException](t, err, 429)

	f.FailOp("StopContact", 1, "ContactNotFoundException")
	wantAPIError[*types.ContactNotFoundException](t, stop(c, f, id), 410)

	f.FailNext(1, fake.Failure{Status: 503})
	_, err = c.GetContactAttributes(context.Background(), &connect.GetContactAttributesInput{InstanceId: aws.String(f.InstanceID()), InitialContactId: aws.String(id)})
	if !errors.As(err, &api) || api.ErrorCode() != "ServiceUnavailableException" || !errors.As(err, &re) || re.HTTPStatusCode() != 503 {
		t.Fatalf("FailNext 503: %v", err)
	}
	if f.CallCount(num) != 1 {
		t.Fatalf("injected failures placed calls: %d", f.CallCount(num))
	}
	if st, _ := f.Contact(id); st.Stopped {
		t.Fatal("injected StopContact failure stopped the call")
	}
}

func TestConnectUnknownContact(t *testing.T) {
	t.Parallel()
	f, c, _ := newConnect(t)
	_, err := c.DescribeContact(context.Background(), &connect.DescribeContactInput{InstanceId: aws.String(f.InstanceID()), ContactId: aws.String("nope")})
	wantAPIError[*types.ResourceNotFoundException](t, err, 404)
	_, err = c.GetContactAttributes(context.Background(), &connect.GetContactAttributesInput{InstanceId: aws.String(f.InstanceID()), InitialContactId: aws.String("nope")})
	wantAPIError[*types.ResourceNotFoundException](t, err, 404)
	id := start(t, f, c, "+819012345678", "t")
	_, err = c.DescribeContact(context.Background(), &connect.DescribeContactInput{InstanceId: aws.String("other-instance"), ContactId: aws.String(id)})
	wantAPIError[*types.ResourceNotFoundException](t, err, 404)
	wantAPIError[*types.ContactNotFoundException](t, stop(c, f, "nope"), 410)
	_, err = c.StopContact(context.Background(), &connect.StopContactInput{InstanceId: aws.String("other-instance"), ContactId: aws.String(id)})
	wantAPIError[*types.ResourceNotFoundException](t, err, 404)
}

func TestConnectStopContact(t *testing.T) {
	t.Parallel()
	f, c, clk := newConnect(t)
	f.Script("+819000000001", fake.Hold())
	f.Script("+819000000002", fake.Answer("1"))
	f.Script("+819000000003", fake.Answer("1"))
	held := start(t, f, c, "+819000000001", "a")
	ringing := start(t, f, c, "+819000000002", "b")
	answered := start(t, f, c, "+819000000003", "c")

	if err := stop(c, f, ringing); err != nil { // cancelled before answer
		t.Fatal(err)
	}
	clk.Add(20 * time.Second) // held and answered are connected, no key yet
	if err := stop(c, f, held); err != nil {
		t.Fatal(err)
	}
	if err := stop(c, f, answered); err != nil {
		t.Fatal(err)
	}
	wantAPIError[*types.ContactNotFoundException](t, stop(c, f, held), 410) // already ended

	clk.Add(time.Hour) // the stopped answered call never reaches its key
	for _, tt := range []struct {
		id, reason string
		connected  bool
		ended      time.Duration
	}{
		{ringing, fake.ReasonOriginatorCancel, false, 0},
		{held, fake.ReasonOther, true, 20 * time.Second},
		{answered, fake.ReasonOther, true, 20 * time.Second},
	} {
		ct := describe(t, f, c, tt.id)
		if *ct.DisconnectReason != tt.reason || (ct.ConnectedToSystemTimestamp != nil) != tt.connected || !timeOf(ct.DisconnectTimestamp).Equal(connectEpoch.Add(tt.ended)) {
			t.Fatalf("%s: reason %s connected %v ended %v", tt.id, *ct.DisconnectReason, ct.ConnectedToSystemTimestamp, ct.DisconnectTimestamp)
		}
		if st, _ := f.Contact(tt.id); !st.Stopped || st.State != fake.ContactDisconnected {
			t.Fatalf("%s: snapshot %+v", tt.id, st)
		}
	}
	if k := attributes(t, f, c, answered)[fake.DefaultKeyAttribute]; k != "" {
		t.Fatalf("stopped call still got key %q", k)
	}
}

func TestConnectConcurrencyLimit(t *testing.T) {
	t.Parallel()
	f, c, _ := newConnect(t)
	f.SetMaxConcurrent(2)
	f.SetDefault(fake.Hold())
	a := start(t, f, c, "+819000000001", "a")
	start(t, f, c, "+819000000002", "b")
	_, err := c.StartOutboundVoiceContact(context.Background(), startInput(f, "+819000000003", "c"))
	wantAPIError[*types.LimitExceededException](t, err, 429)
	if f.Active() != 2 || f.MaxActive() != 2 || f.CallCount("+819000000003") != 0 {
		t.Fatalf("active %d max %d", f.Active(), f.MaxActive())
	}
	if err := stop(c, f, a); err != nil {
		t.Fatal(err)
	}
	start(t, f, c, "+819000000003", "c")
	if f.Active() != 2 || f.MaxActive() != 2 {
		t.Fatalf("after stop: active %d max %d", f.Active(), f.MaxActive())
	}

	// Calls that end by themselves free their slot on the clock.
	g, gc, gclk := newConnect(t)
	g.SetDefault(fake.Busy()) // 2 s each
	for i := range 10 {
		start(t, g, gc, fmt.Sprintf("+8190000001%02d", i), fmt.Sprint(i))
	}
	_, err = gc.StartOutboundVoiceContact(context.Background(), startInput(g, "+819000000200", "x"))
	wantAPIError[*types.LimitExceededException](t, err, 429) // default quota: 10
	gclk.Add(2 * time.Second)
	start(t, g, gc, "+819000000200", "x")
	if g.Active() != 1 || g.MaxActive() != 10 {
		t.Fatalf("after the busy calls ended: active %d max %d", g.Active(), g.MaxActive())
	}
}

func TestConnectMaxActiveFollowsTheClock(t *testing.T) {
	t.Parallel()
	f, c, clk := newConnect(t)
	f.Script("+819000000001", fake.Answer("1"))                     // 0 s – 43 s
	f.Script("+819000000002", fake.Busy())                          // 10 s – 12 s
	f.Script("+819000000003", fake.NoAnswer().Ring(30*time.Second)) // 20 s – 50 s
	f.Script("+819000000004", fake.Answer("2"))                     // 45 s – 88 s
	f.Script("+819000000005", fake.AnswerNoKey().Talk(time.Second)) // 100 s – 109 s
	for i, at := range []time.Duration{0, 10 * time.Second, 20 * time.Second, 45 * time.Second, 100 * time.Second} {
		setClock(clk, connectEpoch.Add(at))
		start(t, f, c, fmt.Sprintf("+81900000000%d", i+1), fmt.Sprint(i))
	}
	if f.MaxActive() != 2 { // never three at once: the busy call ended before the third began
		t.Fatalf("max active %d, want 2", f.MaxActive())
	}
	if f.Active() != 1 {
		t.Fatalf("active at 100 s: %d", f.Active())
	}
	setClock(clk, connectEpoch.Add(109*time.Second))
	if f.Active() != 0 {
		t.Fatalf("active at 109 s: %d", f.Active())
	}
}

func TestConnectWaitForCallsAndOnCall(t *testing.T) {
	t.Parallel()
	f, c, clk := newConnect(t)
	f.SetDefault(fake.Answer("1"))
	seen := make(chan fake.ConnectCall, 3)
	f.OnCall(func(call fake.ConnectCall) {
		seen <- call
		clk.Add(time.Minute) // drive the clock from the hook: each call is over before the next
	})
	errc := make(chan error, 1)
	go func() {
		for i := range 3 {
			if _, err := c.StartOutboundVoiceContact(context.Background(), startInput(f, fmt.Sprintf("+81900000000%d", i), fmt.Sprint(i))); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	calls := f.WaitForCalls(t, 3, 10*time.Second)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		got := <-seen
		if got.ContactID != calls[i].ContactID || got.Number != fmt.Sprintf("+81900000000%d", i) || !got.At.Equal(connectEpoch.Add(time.Duration(i)*time.Minute)) {
			t.Fatalf("hook call %d: %+v", i, got)
		}
	}
	if f.MaxActive() != 1 {
		t.Fatalf("max active %d", f.MaxActive())
	}
}

func TestConnectWaitForCallsTimesOut(t *testing.T) {
	t.Parallel()
	f := fake.NewConnect(t)
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.WaitForCalls(rec, 1, 10*time.Millisecond)
	}()
	<-done
	if !rec.failed {
		t.Fatal("WaitForCalls returned without a call and without failing")
	}
}

// fatalRecorder turns Fatalf into a recorded failure and ends the goroutine.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (r *fatalRecorder) Fatalf(string, ...any) {
	r.failed = true
	runtime.Goexit()
}

func TestConnectEnforceRate(t *testing.T) {
	t.Parallel()
	f, c, clk := newConnect(t)
	id := start(t, f, c, "+819012345678", "t")
	f.EnforceRate(2, 2)
	describe(t, f, c, id)
	describe(t, f, c, id)
	_, err := c.DescribeContact(context.Background(), &connect.DescribeContactInput{InstanceId: aws.String(f.InstanceID()), ContactId: aws.String(id)})
	wantAPIError[*types.ThrottlingException](t, err, 429)
	clk.Add(500 * time.Millisecond) // one token back
	describe(t, f, c, id)
	_, err = c.DescribeContact(context.Background(), &connect.DescribeContactInput{InstanceId: aws.String(f.InstanceID()), ContactId: aws.String(id)})
	wantAPIError[*types.ThrottlingException](t, err, 429)
	f.EnforceRate(0, 0)
	describe(t, f, c, id)
}

func TestConnectKeyAttributeName(t *testing.T) {
	t.Parallel()
	f, c, clk := newConnect(t)
	f.SetKeyAttribute("check_flag")
	f.SetDefault(fake.Answer("2"))
	id := start(t, f, c, "+819012345678", "t")
	clk.Add(time.Minute)
	got := attributes(t, f, c, id)
	if got["check_flag"] != "2" || got[fake.DefaultKeyAttribute] != "" {
		t.Fatalf("attributes %v", got)
	}
}

func TestConnectDenyDestinations(t *testing.T) {
	t.Parallel()
	f, c, _ := newConnect(t)
	f.DenyDestinations("+1900")
	start(t, f, c, "+447700900123", "uk") // allowed now
	_, err := c.StartOutboundVoiceContact(context.Background(), startInput(f, "+19005550100", "premium"))
	wantAPIError[*types.DestinationNotAllowedException](t, err, 403)
}

// The SDK finds the fake through AWS_ENDPOINT_URL_CONNECT, as opsdesk does.
func TestConnectEndpointFromEnvironment(t *testing.T) {
	f := fake.NewConnect(t)
	t.Setenv("AWS_ENDPOINT_URL_CONNECT", f.URL())
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // the service-specific one wins
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(f.Region()), config.WithCredentialsProvider(f.Credentials()), config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	c := connect.NewFromConfig(cfg)
	start(t, f, c, "+819012345678", "env")
	if f.CallCount("+819012345678") != 1 {
		t.Fatal("call did not reach the fake")
	}
}

// setClock moves the test clock to at.
func setClock(clk *testClock, at time.Time) { clk.Add(at.Sub(clk.Now())) }
