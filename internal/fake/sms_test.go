package fake_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	smstypes "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/aws/smithy-go"

	"github.com/opsdesk/opsdesk/internal/fake"
)

var smsEpoch = time.Date(2026, 3, 8, 6, 30, 0, 0, time.UTC)

// newSMS starts a fake on a test clock and an SDK client for it that does
// not retry, so every error answer reaches the test.
func newSMS(t *testing.T) (*fake.SMS, *sms.Client, *testClock) {
	t.Helper()
	clk := &testClock{t: smsEpoch}
	f := fake.NewSMS(t, fake.WithClock(clk.Now))
	return f, smsSDK(f, func(o *sms.Options) { o.RetryMaxAttempts = 1 }), clk
}

func smsSDK(f *fake.SMS, opts ...func(*sms.Options)) *sms.Client {
	return sms.NewFromConfig(aws.Config{Region: f.Region(), Credentials: f.Credentials()}, append([]func(*sms.Options){func(o *sms.Options) {
		o.BaseEndpoint = aws.String(f.URL())
	}}, opts...)...)
}

func smsInput(dest, body string) *sms.SendTextMessageInput {
	return &sms.SendTextMessageInput{
		DestinationPhoneNumber: aws.String(dest),
		OriginationIdentity:    aws.String(fake.SMSDefaultOriginationPhone),
		MessageBody:            aws.String(body),
		MessageType:            smstypes.MessageTypeTransactional,
	}
}

func sendSMS(t *testing.T, c *sms.Client, in *sms.SendTextMessageInput) string {
	t.Helper()
	out, err := c.SendTextMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("SendTextMessage %s: %v", aws.ToString(in.DestinationPhoneNumber), err)
	}
	if aws.ToString(out.MessageId) == "" {
		t.Fatal("SendTextMessage returned no MessageId")
	}
	return *out.MessageId
}

func TestSMSSendRecordsMessages(t *testing.T) {
	t.Parallel()
	f, c, _ := newSMS(t)
	tests := []struct {
		dest, body, enc string
		parts           int
	}{
		{"+819012345678", "【opsdesk】障害: web-01 が応答しません。確認: https://ops.example/a/1", "UCS2", 1},
		{"+8613812345678", "告警：数据库主节点宕机，请立即处理。", "UCS2", 1},
		{"+821012345678", "장애 알림: 결제 서비스 응답 없음", "UCS2", 1},
		{"+14255550156", "ALERT web-01 down, ack: https://ops.example/a/1", "GSM", 1},
		{"+447700900123", strings.Repeat("a", 161), "GSM", 2},
		{"+819011112222", strings.Repeat("障", 71), "UCS2", 2},
		{"+819011113333", strings.Repeat("{", 81), "GSM", 2}, // extension characters take two septets
	}
	var ids []string
	for _, tt := range tests {
		in := smsInput(tt.dest, tt.body)
		in.Context = map[string]string{"alert": "A-1"}
		in.TimeToLive = aws.Int32(300)
		ids = append(ids, sendSMS(t, c, in))
	}
	msgs := f.Messages()
	if len(msgs) != len(tests) {
		t.Fatalf("%d messages recorded, want %d", len(msgs), len(tests))
	}
	seen := map[string]bool{}
	for i, tt := range tests {
		m := msgs[i]
		if m.MessageID != ids[i] || m.DestinationPhoneNumber != tt.dest || m.MessageBody != tt.body || m.Encoding != tt.enc || m.Parts != tt.parts {
			t.Errorf("message %d: %+v, want id %s to %s encoding %s parts %d", i, m, ids[i], tt.dest, tt.enc, tt.parts)
		}
		if m.MessageType != "TRANSACTIONAL" || m.OriginationIdentity != fake.SMSDefaultOriginationPhone || m.OriginationNumber != fake.SMSDefaultOriginationPhone ||
			m.Context["alert"] != "A-1" || m.TimeToLive != 300 || !m.At.Equal(smsEpoch) {
			t.Errorf("message %d fields: %+v", i, m)
		}
		if seen[m.MessageID] {
			t.Errorf("duplicate MessageId %s", m.MessageID)
		}
		seen[m.MessageID] = true
	}
	if got := f.MessagesTo("+821012345678"); len(got) != 1 || got[0].MessageBody != "장애 알림: 결제 서비스 응답 없음" {
		t.Fatalf("MessagesTo: %+v", got)
	}
	if f.Count() != len(tests) {
		t.Fatalf("Count %d", f.Count())
	}
	// The wire request is the JSON 1.0 protocol.
	req := f.Requests()[0]
	if req.Method != "POST" || req.Path != "/" || req.Header.Get("X-Amz-Target") != "PinpointSMSVoiceV2.SendTextMessage" ||
		req.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
		t.Fatalf("wire request %s %s %v", req.Method, req.Path, req.Header)
	}
}

func TestSMSValidation(t *testing.T) {
	t.Parallel()
	f, c, _ := newSMS(t)
	f.OptOut("+819099998888")
	tests := []struct {
		name   string
		mod    func(*sms.SendTextMessageInput)
		reason smstypes.ValidationExceptionReason
		field  string
	}{
		{"not E.164", func(in *sms.SendTextMessageInput) { in.DestinationPhoneNumber = aws.String("090-1234-5678") }, "FIELD_VALIDATION_FAILED", "DestinationPhoneNumber"},
		{"no plus", func(in *sms.SendTextMessageInput) { in.DestinationPhoneNumber = aws.String("819012345678") }, "INVALID_PARAMETER", "DestinationPhoneNumber"},
		{"too long for E.164", func(in *sms.SendTextMessageInput) { in.DestinationPhoneNumber = aws.String("+8190123456789012") }, "INVALID_PARAMETER", "DestinationPhoneNumber"},
		{"no body", func(in *sms.SendTextMessageInput) { in.MessageBody = nil }, "MISSING_PARAMETER", "MessageBody"},
		{"body too long", func(in *sms.SendTextMessageInput) { in.MessageBody = aws.String(strings.Repeat("警", 1601)) }, "FIELD_VALIDATION_FAILED", "MessageBody"},
		{"message type", func(in *sms.SendTextMessageInput) { in.MessageType = "URGENT" }, "FIELD_VALIDATION_FAILED", "MessageType"},
		{"origination pattern", func(in *sms.SendTextMessageInput) { in.OriginationIdentity = aws.String("bad id!") }, "FIELD_VALIDATION_FAILED", "OriginationIdentity"},
		{"ttl too short", func(in *sms.SendTextMessageInput) { in.TimeToLive = aws.Int32(4) }, "FIELD_VALIDATION_FAILED", "TimeToLive"},
		{"ttl too long", func(in *sms.SendTextMessageInput) { in.TimeToLive = aws.Int32(259201) }, "FIELD_VALIDATION_FAILED", "TimeToLive"},
		{"max price", func(in *sms.SendTextMessageInput) { in.MaxPrice = aws.String("1") }, "FIELD_VALIDATION_FAILED", "MaxPrice"},
		{"context too big", func(in *sms.SendTextMessageInput) {
			in.Context = map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6"}
		}, "FIELD_VALIDATION_FAILED", "Context"},
		{"config set pattern", func(in *sms.SendTextMessageInput) { in.ConfigurationSetName = aws.String("has space") }, "FIELD_VALIDATION_FAILED", "ConfigurationSetName"},
	}
	for _, tt := range tests {
		in := smsInput("+819012345678", "テスト")
		tt.mod(in)
		_, err := c.SendTextMessage(context.Background(), in)
		var ve *smstypes.ValidationException
		if !errors.As(err, &ve) {
			t.Errorf("%s: error %v (%T), want ValidationException", tt.name, err, err)
			continue
		}
		if ve.Reason != tt.reason || len(ve.Fields) != 1 || aws.ToString(ve.Fields[0].Name) != tt.field || ve.ErrorMessage() == "" {
			t.Errorf("%s: reason %s fields %+v message %q, want %s on %s", tt.name, ve.Reason, ve.Fields, ve.ErrorMessage(), tt.reason, tt.field)
		}
	}

	in := smsInput("+819012345678", "x")
	in.OriginationIdentity = aws.String("+815000000000")
	_, err := c.SendTextMessage(context.Background(), in)
	var nf *smstypes.ResourceNotFoundException
	if !errors.As(err, &nf) || !strings.Contains(nf.ErrorMessage(), "+815000000000") {
		t.Errorf("unknown origination: %v", err)
	}
	in = smsInput("+819012345678", "x")
	in.ConfigurationSetName = aws.String("nope")
	if _, err = c.SendTextMessage(context.Background(), in); !errors.As(err, &nf) {
		t.Errorf("unknown configuration set: %v", err)
	}
	_, err = c.SendTextMessage(context.Background(), smsInput("+819099998888", "x"))
	var ce *smstypes.ConflictException
	if !errors.As(err, &ce) || ce.Reason != smstypes.ConflictExceptionReasonDestinationPhoneNumberOptedOut {
		t.Errorf("opted out: %v", err)
	}
	// The SDK itself refuses a missing destination before sending.
	if _, err = c.SendTextMessage(context.Background(), &sms.SendTextMessageInput{MessageBody: aws.String("x")}); err == nil {
		t.Error("missing destination accepted")
	}
	if n := len(f.Messages()); n != 0 {
		t.Fatalf("%d invalid messages recorded", n)
	}

	// Every origination identity form the fake owns is accepted, and none
	// is needed; a DryRun validates without sending.
	arn := "arn:aws:sms-voice:" + f.Region() + ":" + fake.SMSAccountID + ":"
	for _, id := range []string{fake.SMSDefaultPhoneNumberID, arn + "phone-number/" + fake.SMSDefaultPhoneNumberID, fake.SMSDefaultSenderID, fake.SMSDefaultPoolID, arn + "pool/" + fake.SMSDefaultPoolID} {
		in := smsInput("+819012345678", "ok")
		in.OriginationIdentity = aws.String(id)
		sendSMS(t, c, in)
	}
	in = smsInput("+819012345678", "ok")
	in.OriginationIdentity = nil
	sendSMS(t, c, in)
	in = smsInput("+819012345678", "dry")
	in.DryRun = true
	if _, err := c.SendTextMessage(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if len(f.Messages()) != 6 || f.DryRuns() != 1 {
		t.Fatalf("%d messages %d dry runs", len(f.Messages()), f.DryRuns())
	}
}

func TestSMSAuth(t *testing.T) {
	t.Parallel()
	f := fake.NewSMS(t)
	tests := []struct {
		name  string
		creds aws.CredentialsProvider
		reg   string
		code  string
	}{
		{"wrong secret", credentials.NewStaticCredentialsProvider(fake.SMSAccessKeyID, "not the secret", ""), f.Region(), "InvalidSignatureException"},
		{"unknown key", credentials.NewStaticCredentialsProvider("AKIAOTHER", fake.SMSSecretAccessKey, ""), f.Region(), "UnrecognizedClientException"},
		{"wrong region", f.Credentials(), "us-east-1", "InvalidSignatureException"},
		{"anonymous", aws.AnonymousCredentials{}, f.Region(), "MissingAuthenticationTokenException"},
	}
	for _, tt := range tests {
		c := sms.NewFromConfig(aws.Config{Region: tt.reg, Credentials: tt.creds}, func(o *sms.Options) {
			o.BaseEndpoint = aws.String(f.URL())
			o.RetryMaxAttempts = 1
		})
		_, err := c.SendTextMessage(context.Background(), smsInput("+819012345678", "x"))
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
	if len(f.Messages()) != 0 {
		t.Fatal("a badly signed message was sent")
	}
}

func TestSMSThrottlingIsRetryable(t *testing.T) {
	t.Parallel()
	f := fake.NewSMS(t)
	noWait := func(o *sms.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 3
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
	c := smsSDK(f, noWait)

	// One throttle: the SDK retries and the message goes out once.
	f.Throttle(1)
	sendSMS(t, c, smsInput("+819012345678", "再送テスト"))
	if f.RequestCount() != 2 || len(f.Messages()) != 1 {
		t.Fatalf("%d requests, %d messages; want 2 and 1", f.RequestCount(), len(f.Messages()))
	}

	// Throttled on every attempt: the SDK's typed, retryable throttle error.
	f.Throttle(3)
	_, err := c.SendTextMessage(context.Background(), smsInput("+819012345678", "x"))
	var te *smstypes.ThrottlingException
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T), want ThrottlingException", err, err)
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary ||
		retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) != aws.TrueTernary {
		t.Fatalf("throttling error is not retryable for the SDK: %v", err)
	}
	if f.RequestCount() != 5 || len(f.Messages()) != 1 {
		t.Fatalf("%d requests, %d messages; want 5 and 1", f.RequestCount(), len(f.Messages()))
	}
}

func TestSMSInjectedFailuresAndRate(t *testing.T) {
	t.Parallel()
	f, c, clk := newSMS(t)
	f.FailWith(1, "ServiceQuotaExceededException", "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT")
	_, err := c.SendTextMessage(context.Background(), smsInput("+819012345678", "x"))
	var sq *smstypes.ServiceQuotaExceededException
	if !errors.As(err, &sq) || sq.Reason != smstypes.ServiceQuotaExceededExceptionReasonMonthlySpendLimitReachedForText {
		t.Fatalf("quota: %v", err)
	}
	f.FailWith(1, "InternalServerException", "")
	_, err = c.SendTextMessage(context.Background(), smsInput("+819012345678", "x"))
	var ie *smstypes.InternalServerException
	if !errors.As(err, &ie) {
		t.Fatalf("internal: %v", err)
	}
	f.FailNext(1, fake.Failure{Status: 503})
	_, err = c.SendTextMessage(context.Background(), smsInput("+819012345678", "x"))
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ServiceUnavailableException" {
		t.Fatalf("FailNext 503: %v", err)
	}
	if len(f.Messages()) != 0 {
		t.Fatal("injected failures sent messages")
	}

	// 2 parts per second, bursts of 3: a two-part message and a one-part
	// message fit, the next is throttled until the clock moves.
	f.EnforceRate(2, 3)
	sendSMS(t, c, smsInput("+819012345678", strings.Repeat("a", 200)))
	sendSMS(t, c, smsInput("+819012345678", "b"))
	_, err = c.SendTextMessage(context.Background(), smsInput("+819012345678", "c"))
	var te *smstypes.ThrottlingException
	if !errors.As(err, &te) {
		t.Fatalf("over the rate: %v", err)
	}
	clk.Add(500 * time.Millisecond)
	sendSMS(t, c, smsInput("+819012345678", "c"))
	f.EnforceRate(0, 0)
	if len(f.Messages()) != 3 {
		t.Fatalf("%d messages", len(f.Messages()))
	}
}

func TestSMSDeliveryEvents(t *testing.T) {
	t.Parallel()
	f, c, _ := newSMS(t)
	var (
		mu  sync.Mutex
		got [][]byte
	)
	f.OnEvent(func(ev fake.SMSEvent) {
		b, _ := json.Marshal(ev)
		mu.Lock()
		got = append(got, b)
		mu.Unlock()
	})
	f.SetOutcome("+821012345678", fake.SMSUnreachable)
	in := smsInput("+819012345678", "障害通知")
	in.ConfigurationSetName = aws.String(fake.SMSDefaultConfigurationSet)
	in.Context = map[string]string{"alert": "A-7"}
	id1 := sendSMS(t, c, in)
	in = smsInput("+821012345678", "장애")
	in.ConfigurationSetName = aws.String(fake.SMSDefaultConfigurationSet)
	id2 := sendSMS(t, c, in)
	sendSMS(t, c, smsInput("+819012345678", "no configuration set, no events"))

	evs := f.WaitForEvents(t, 4, 5*time.Second)
	time.Sleep(50 * time.Millisecond) // no further events may follow
	if n := len(f.Events()); n != 4 {
		t.Fatalf("%d events, want 4", n)
	}
	final := map[string]fake.SMSEvent{}
	pending := map[string]bool{}
	for _, ev := range evs {
		if ev.IsFinal {
			final[ev.MessageID] = ev
		} else if ev.EventType == "TEXT_PENDING" && ev.MessageStatus == "PENDING" {
			pending[ev.MessageID] = true
		}
	}
	e1, e2 := final[id1], final[id2]
	if !pending[id1] || !pending[id2] {
		t.Fatalf("pending events missing: %+v", evs)
	}
	if e1.EventType != "TEXT_DELIVERED" || e1.MessageStatus != "DELIVERED" || e1.DestinationPhoneNumber != "+819012345678" ||
		e1.OriginationPhoneNumber != fake.SMSDefaultOriginationPhone || e1.MessageEncoding != "UCS2" || e1.TotalMessageParts != 1 ||
		e1.Context["alert"] != "A-7" || e1.MessageType != "TRANSACTIONAL" || e1.MessageRequestTimestamp != smsEpoch.UnixMilli() ||
		e1.EventTimestamp <= e1.MessageRequestTimestamp || e1.EventVersion != "1.0" {
		t.Fatalf("delivered event %+v", e1)
	}
	if e2.EventType != "TEXT_UNREACHABLE" || e2.MessageStatus != "UNREACHABLE" || e2.MessageStatusDescription == "" {
		t.Fatalf("unreachable event %+v", e2)
	}
	// The wire shape is the documented event record.
	mu.Lock()
	defer mu.Unlock()
	var rec map[string]any
	if err := json.Unmarshal(got[0], &rec); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"eventType", "eventVersion", "eventTimestamp", "isFinal", "originationPhoneNumber", "destinationPhoneNumber", "messageId", "messageRequestTimestamp", "messageEncoding", "messageType", "messageStatus", "messageStatusDescription", "totalMessageParts", "totalMessagePrice", "totalCarrierFee", "mcc", "mnc", "isInternationalSend"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("event JSON has no %q: %s", k, got[0])
		}
	}
}

// The SDK finds the fake through AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2,
// as opsdesk does.
func TestSMSEndpointFromEnvironment(t *testing.T) {
	f := fake.NewSMS(t)
	t.Setenv("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", f.URL())
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // the service-specific one wins
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(f.Region()), config.WithCredentialsProvider(f.Credentials()), config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	id := sendSMS(t, sms.NewFromConfig(cfg), smsInput("+8613812345678", "值班提醒：今晚由你值班"))
	if m := f.Messages(); len(m) != 1 || m[0].MessageID != id || m[0].MessageBody != "值班提醒：今晚由你值班" {
		t.Fatalf("messages %+v", m)
	}
}

// msgRaw sends a raw request signed with sp (nil: unsigned) and decodes the
// JSON answer.
func msgRaw(t *testing.T, url, path, target, contentType, body string, sp *sigParams) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
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

// The wire shape of the JSON 1.0 answers: __type with the namespace,
// Message, Reason and Fields, the JSON 1.0 content type.
func TestSMSRawRequests(t *testing.T) {
	t.Parallel()
	f := fake.NewSMS(t)
	good := func() *sigParams {
		return &sigParams{akid: fake.SMSAccessKeyID, secret: fake.SMSSecretAccessKey, service: "sms-voice", region: f.Region(), at: time.Now()}
	}
	mod := func(p *sigParams, f func(*sigParams)) *sigParams { f(p); return p }
	const target, ct = "PinpointSMSVoiceV2.SendTextMessage", "application/x-amz-json-1.0"
	valid := `{"DestinationPhoneNumber":"+819012345678","MessageBody":"テスト"}`
	tests := []struct {
		name, target, ct, body string
		sp                     *sigParams
		status                 int
		errType, reason, field string
	}{
		{"valid", target, ct, valid, good(), 200, "", "", ""},
		{"unsigned", target, ct, valid, nil, 400, "MissingAuthenticationTokenException", "", ""},
		{"wrong secret", target, ct, valid, mod(good(), func(p *sigParams) { p.secret = "wrong" }), 400, "InvalidSignatureException", "", ""},
		{"wrong service", target, ct, valid, mod(good(), func(p *sigParams) { p.service = "sms" }), 400, "InvalidSignatureException", "", ""},
		{"stale signature", target, ct, valid, mod(good(), func(p *sigParams) { p.at = time.Now().Add(-20 * time.Minute) }), 400, "InvalidSignatureException", "", ""},
		{"unknown operation", "PinpointSMSVoiceV2.SendMediaMessage", ct, valid, good(), 400, "UnknownOperationException", "", ""},
		{"json 1.1", target, "application/x-amz-json-1.1", valid, good(), 400, "SerializationException", "", ""},
		{"misspelled member", target, ct, `{"DestinationPhoneNumber":"+819012345678","MessageBody":"x","messageType":"PROMOTIONAL"}`, good(), 400, "ValidationException", "CANNOT_PARSE", ""},
		{"missing destination", target, ct, `{"MessageBody":"x"}`, good(), 400, "ValidationException", "MISSING_PARAMETER", "DestinationPhoneNumber"},
		{"no plus", target, ct, `{"DestinationPhoneNumber":"819012345678","MessageBody":"x"}`, good(), 400, "ValidationException", "INVALID_PARAMETER", "DestinationPhoneNumber"},
	}
	for _, tt := range tests {
		status, hdr, m := msgRaw(t, f.URL(), "/", tt.target, tt.ct, tt.body, tt.sp)
		if status != tt.status || hdr.Get("Content-Type") != ct || hdr.Get("X-Amzn-RequestId") == "" {
			t.Errorf("%s: status %d content type %q, want %d", tt.name, status, hdr.Get("Content-Type"), tt.status)
		}
		if tt.errType == "" {
			if id, _ := m["MessageId"].(string); id == "" {
				t.Errorf("%s: no MessageId in %v", tt.name, m)
			}
			continue
		}
		if m["__type"] != "com.amazonaws.pinpointsmsvoicev2#"+tt.errType || m["Message"] == "" {
			t.Errorf("%s: body %v, want __type %s", tt.name, m, tt.errType)
		}
		if tt.reason != "" && m["Reason"] != tt.reason {
			t.Errorf("%s: Reason %v, want %s", tt.name, m["Reason"], tt.reason)
		}
		if tt.field != "" {
			fields, _ := m["Fields"].([]any)
			if len(fields) != 1 || fields[0].(map[string]any)["Name"] != tt.field {
				t.Errorf("%s: Fields %v, want %s", tt.name, m["Fields"], tt.field)
			}
		}
	}
	if len(f.Messages()) != 1 {
		t.Fatalf("%d messages, want only the valid one", len(f.Messages()))
	}
}
