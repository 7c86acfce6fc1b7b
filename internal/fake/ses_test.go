package fake_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/opsdesk/opsdesk/internal/fake"
)

var sesEpoch = time.Date(2026, 3, 8, 6, 30, 0, 0, time.UTC)

// newSES starts a fake on a test clock and an SDK client for it that does
// not retry.
func newSES(t *testing.T) (*fake.SES, *sesv2.Client, *testClock) {
	t.Helper()
	clk := &testClock{t: sesEpoch}
	f := fake.NewSES(t, fake.WithClock(clk.Now))
	return f, sesSDK(f, func(o *sesv2.Options) { o.RetryMaxAttempts = 1 }), clk
}

func sesSDK(f *fake.SES, opts ...func(*sesv2.Options)) *sesv2.Client {
	return sesv2.NewFromConfig(aws.Config{Region: f.Region(), Credentials: f.Credentials()}, append([]func(*sesv2.Options){func(o *sesv2.Options) {
		o.BaseEndpoint = aws.String(f.URL())
	}}, opts...)...)
}

func simpleEmail(to, subject, text string) *sesv2.SendEmailInput {
	return &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(fake.SESDefaultFrom),
		Destination:      &sestypes.Destination{ToAddresses: []string{to}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(subject), Charset: aws.String("UTF-8")},
			Body: &sestypes.Body{
				Text: &sestypes.Content{Data: aws.String(text), Charset: aws.String("UTF-8")},
				Html: &sestypes.Content{Data: aws.String("<p>" + text + "</p>"), Charset: aws.String("UTF-8")},
			},
		}},
	}
}

func sendEmail(t *testing.T, c *sesv2.Client, in *sesv2.SendEmailInput) string {
	t.Helper()
	out, err := c.SendEmail(context.Background(), in)
	if err != nil {
		t.Fatalf("SendEmail: %v", err)
	}
	if aws.ToString(out.MessageId) == "" {
		t.Fatal("SendEmail returned no MessageId")
	}
	return *out.MessageId
}

func TestSESSimpleEmail(t *testing.T) {
	t.Parallel()
	f, c, _ := newSES(t)
	tests := []struct{ to, subject, text string }{
		{"tanaka@example.jp", "【障害】web-01 が応答しません", "確認してください: https://ops.example/a/1"},
		{"wang@example.cn", "【告警】数据库主节点宕机", "请立即处理。"},
		{"kim@example.kr", "[장애] 결제 서비스 응답 없음", "확인 바랍니다."},
	}
	var ids []string
	for _, tt := range tests {
		in := simpleEmail(tt.to, tt.subject, tt.text)
		in.FromEmailAddress = aws.String(mime.BEncoding.Encode("UTF-8", "運用デスク") + " <" + fake.SESDefaultFrom + ">")
		in.Destination.CcAddresses = []string{"oncall@example.com"}
		in.ReplyToAddresses = []string{"noreply@opsdesk.example"}
		in.ConfigurationSetName = aws.String(fake.SESDefaultConfigurationSet)
		in.EmailTags = []sestypes.MessageTag{{Name: aws.String("alert"), Value: aws.String("A-1")}}
		ids = append(ids, sendEmail(t, c, in))
	}
	msgs := f.Messages()
	if len(msgs) != len(tests) {
		t.Fatalf("%d emails recorded", len(msgs))
	}
	for i, tt := range tests {
		m := msgs[i]
		if m.MessageID != ids[i] || m.Subject != tt.subject || m.Text != tt.text || m.HTML != "<p>"+tt.text+"</p>" ||
			m.SubjectCharset != "UTF-8" || m.TextCharset != "UTF-8" || m.FromAddress != fake.SESDefaultFrom {
			t.Errorf("email %d: %+v", i, m)
		}
		if len(m.To) != 1 || m.To[0] != tt.to || len(m.Cc) != 1 || m.Cc[0] != "oncall@example.com" || len(m.ReplyTo) != 1 ||
			m.ConfigurationSetName != fake.SESDefaultConfigurationSet || m.Tags["alert"] != "A-1" || !m.At.Equal(sesEpoch) {
			t.Errorf("email %d addressing: %+v", i, m)
		}
		if i > 0 && m.MessageID == msgs[i-1].MessageID {
			t.Errorf("duplicate MessageId %s", m.MessageID)
		}
	}
	if got := f.MessagesTo("oncall@example.com"); len(got) != 3 {
		t.Fatalf("MessagesTo cc: %d", len(got))
	}
	req := f.Requests()[0]
	if req.Method != "POST" || req.Path != "/v2/email/outbound-emails" || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("wire request %s %s %s", req.Method, req.Path, req.Header.Get("Content-Type"))
	}
}

func TestSESRawEmail(t *testing.T) {
	t.Parallel()
	f, c, _ := newSES(t)
	raw := "From: " + fake.SESDefaultFrom + "\r\n" +
		"To: lee@example.kr, park@example.kr\r\n" +
		"Subject: " + mime.BEncoding.Encode("UTF-8", "당번 교대 알림") + "\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n" +
		"오늘 밤 당번입니다.\r\n"
	id := sendEmail(t, c, &sesv2.SendEmailInput{Content: &sestypes.EmailContent{Raw: &sestypes.RawMessage{Data: []byte(raw)}}})
	m := f.Messages()
	if len(m) != 1 || m[0].MessageID != id || m[0].Subject != "당번 교대 알림" || m[0].FromAddress != fake.SESDefaultFrom ||
		strings.Join(m[0].To, ",") != "lee@example.kr,park@example.kr" || string(m[0].Raw) != raw || m[0].Text != "오늘 밤 당번입니다.\r\n" {
		t.Fatalf("raw email %+v", m)
	}
}

func TestSESValidation(t *testing.T) {
	t.Parallel()
	f, c, _ := newSES(t)
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("u%d@example.com", i)
	}
	bad := []struct {
		name string
		mod  func(*sesv2.SendEmailInput)
	}{
		{"no sender", func(in *sesv2.SendEmailInput) { in.FromEmailAddress = nil }},
		{"sender not an address", func(in *sesv2.SendEmailInput) { in.FromEmailAddress = aws.String("alerts") }},
		{"unencoded Japanese display name", func(in *sesv2.SendEmailInput) {
			in.FromEmailAddress = aws.String("運用デスク <" + fake.SESDefaultFrom + ">")
		}},
		{"unicode domain", func(in *sesv2.SendEmailInput) { in.Destination.ToAddresses = []string{"user@例え.jp"} }},
		{"recipient without domain", func(in *sesv2.SendEmailInput) { in.Destination.ToAddresses = []string{"tanaka@"} }},
		{"no recipients", func(in *sesv2.SendEmailInput) { in.Destination = nil }},
		{"51 recipients", func(in *sesv2.SendEmailInput) { in.Destination.ToAddresses = many }},
		{"no body", func(in *sesv2.SendEmailInput) { in.Content.Simple.Body = &sestypes.Body{} }},
		{"simple and raw", func(in *sesv2.SendEmailInput) {
			in.Content.Raw = &sestypes.RawMessage{Data: []byte("Subject: x\r\n\r\nx")}
		}},
		{"bad tag", func(in *sesv2.SendEmailInput) {
			in.EmailTags = []sestypes.MessageTag{{Name: aws.String("alert id"), Value: aws.String("1")}}
		}},
	}
	for _, tt := range bad {
		in := simpleEmail("tanaka@example.jp", "件名", "本文")
		tt.mod(in)
		_, err := c.SendEmail(context.Background(), in)
		var br *sestypes.BadRequestException
		if !errors.As(err, &br) || br.ErrorMessage() == "" {
			t.Errorf("%s: %v (%T), want BadRequestException", tt.name, err, err)
			continue
		}
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
			t.Errorf("%s: status %v", tt.name, err)
		}
	}

	// Unverified sender: MessageRejected naming it.
	in := simpleEmail("tanaka@example.jp", "件名", "本文")
	in.FromEmailAddress = aws.String("alerts@unverified.example")
	_, err := c.SendEmail(context.Background(), in)
	var mr *sestypes.MessageRejected
	if !errors.As(err, &mr) || !strings.Contains(mr.ErrorMessage(), "alerts@unverified.example") || !strings.Contains(mr.ErrorMessage(), "not verified") {
		t.Fatalf("unverified sender: %v", err)
	}
	// A verified address (not only domains) may send.
	f.Verify("me@unverified.example")
	in.FromEmailAddress = aws.String("me@unverified.example")
	sendEmail(t, c, in)

	// Unknown configuration set: NotFoundException (404); a template the
	// account does not have, likewise.
	in = simpleEmail("tanaka@example.jp", "件名", "本文")
	in.ConfigurationSetName = aws.String("nope")
	_, err = c.SendEmail(context.Background(), in)
	var nf *sestypes.NotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("unknown configuration set: %v", err)
	}
	_, err = c.SendEmail(context.Background(), &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(fake.SESDefaultFrom),
		Destination:      &sestypes.Destination{ToAddresses: []string{"a@example.com"}},
		Content:          &sestypes.EmailContent{Template: &sestypes.Template{TemplateName: aws.String("alert")}},
	})
	if !errors.As(err, &nf) {
		t.Fatalf("unknown template: %v", err)
	}

	// Sandbox: recipients must be verified too.
	f.SetSandbox(true)
	_, err = c.SendEmail(context.Background(), simpleEmail("tanaka@example.jp", "件名", "本文"))
	if !errors.As(err, &mr) || !strings.Contains(mr.ErrorMessage(), "tanaka@example.jp") {
		t.Fatalf("sandbox: %v", err)
	}
	f.Verify("example.jp")
	sendEmail(t, c, simpleEmail("tanaka@example.jp", "件名", "本文"))
	f.SetSandbox(false)

	f.SetSuspended(true)
	_, err = c.SendEmail(context.Background(), simpleEmail("tanaka@example.jp", "件名", "本文"))
	var as *sestypes.AccountSuspendedException
	if !errors.As(err, &as) {
		t.Fatalf("suspended: %v", err)
	}
	f.SetSuspended(false)
	f.SetSendingPaused(true)
	_, err = c.SendEmail(context.Background(), simpleEmail("tanaka@example.jp", "件名", "本文"))
	var sp *sestypes.SendingPausedException
	if !errors.As(err, &sp) {
		t.Fatalf("paused: %v", err)
	}
	f.SetSendingPaused(false)

	if n := len(f.Messages()); n != 2 {
		t.Fatalf("%d emails accepted, want the 2 valid ones", n)
	}
}

func TestSESAuth(t *testing.T) {
	t.Parallel()
	f := fake.NewSES(t)
	tests := []struct {
		name  string
		creds aws.CredentialsProvider
		reg   string
		code  string
	}{
		{"wrong secret", credentials.NewStaticCredentialsProvider(fake.SESAccessKeyID, "not the secret", ""), f.Region(), "InvalidSignatureException"},
		{"unknown key", credentials.NewStaticCredentialsProvider("AKIAOTHER", fake.SESSecretAccessKey, ""), f.Region(), "UnrecognizedClientException"},
		{"wrong region", f.Credentials(), "eu-west-1", "InvalidSignatureException"},
		{"anonymous", aws.AnonymousCredentials{}, f.Region(), "MissingAuthenticationTokenException"},
	}
	for _, tt := range tests {
		c := sesv2.NewFromConfig(aws.Config{Region: tt.reg, Credentials: tt.creds}, func(o *sesv2.Options) {
			o.BaseEndpoint = aws.String(f.URL())
			o.RetryMaxAttempts = 1
		})
		_, err := c.SendEmail(context.Background(), simpleEmail("a@example.com", "s", "t"))
		var api smithy.APIError
		var re *awshttp.ResponseError
		if !errors.As(err, &api) || api.ErrorCode() != tt.code || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden {
			t.Errorf("%s: %v, want %s (403)", tt.name, err, tt.code)
		}
	}
	if len(f.Messages()) != 0 {
		t.Fatal("a badly signed email was sent")
	}
}

func TestSESThrottlingAndFailures(t *testing.T) {
	t.Parallel()
	f := fake.NewSES(t)
	c := sesSDK(f, func(o *sesv2.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 3
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	})
	f.Throttle(1)
	sendEmail(t, c, simpleEmail("a@example.com", "再送", "t"))
	if f.RequestCount() != 2 || len(f.Messages()) != 1 {
		t.Fatalf("%d requests %d emails, want 2 and 1", f.RequestCount(), len(f.Messages()))
	}
	f.Throttle(3)
	_, err := c.SendEmail(context.Background(), simpleEmail("a@example.com", "s", "t"))
	var tm *sestypes.TooManyRequestsException
	var re *awshttp.ResponseError
	if !errors.As(err, &tm) || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusTooManyRequests {
		t.Fatalf("throttled: %v (%T)", err, err)
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
		t.Fatalf("TooManyRequestsException is not a retryable throttle for the SDK: %v", err)
	}
	if f.RequestCount() != 5 {
		t.Fatalf("%d requests, want 5", f.RequestCount())
	}

	// A shared-server 429 (FailNext) carries the type in the body: the SDK
	// still sees TooManyRequestsException and retries.
	f.FailNext(1, fake.Failure{Status: http.StatusTooManyRequests})
	sendEmail(t, c, simpleEmail("a@example.com", "再送 2", "t"))
	if f.RequestCount() != 7 || len(f.Messages()) != 2 {
		t.Fatalf("%d requests %d emails, want 7 and 2", f.RequestCount(), len(f.Messages()))
	}

	f.FailWith(1, "AccountSuspendedException")
	_, err = c.SendEmail(context.Background(), simpleEmail("a@example.com", "s", "t"))
	var as *sestypes.AccountSuspendedException
	if !errors.As(err, &as) {
		t.Fatalf("injected suspension: %v", err)
	}
	f.FailWith(1, "MessageRejected")
	_, err = c.SendEmail(context.Background(), simpleEmail("a@example.com", "s", "t"))
	var mr *sestypes.MessageRejected
	if !errors.As(err, &mr) {
		t.Fatalf("injected rejection: %v", err)
	}
	if len(f.Messages()) != 2 {
		t.Fatalf("injected failures sent email: %d", len(f.Messages()))
	}
}

func TestSESRate(t *testing.T) {
	t.Parallel()
	f, c, clk := newSES(t)
	f.EnforceRate(1, 2)
	sendEmail(t, c, simpleEmail("a@example.com", "1", "t"))
	sendEmail(t, c, simpleEmail("a@example.com", "2", "t"))
	_, err := c.SendEmail(context.Background(), simpleEmail("a@example.com", "3", "t"))
	var tm *sestypes.TooManyRequestsException
	if !errors.As(err, &tm) || tm.ErrorMessage() != "Maximum sending rate exceeded." {
		t.Fatalf("over the rate: %v", err)
	}
	clk.Add(time.Second)
	sendEmail(t, c, simpleEmail("a@example.com", "3", "t"))
	if got := f.WaitForMessages(t, 3, time.Second); got[2].Subject != "3" {
		t.Fatalf("messages %+v", got)
	}
}

// The SDK finds the fake through AWS_ENDPOINT_URL_SESV2, as opsdesk does.
func TestSESEndpointFromEnvironment(t *testing.T) {
	f := fake.NewSES(t)
	t.Setenv("AWS_ENDPOINT_URL_SESV2", f.URL())
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // the service-specific one wins
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(f.Region()), config.WithCredentialsProvider(f.Credentials()), config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	id := sendEmail(t, sesv2.NewFromConfig(cfg), simpleEmail("zhang@example.cn", "值班交接", "今晚由你值班。"))
	if m := f.Messages(); len(m) != 1 || m[0].MessageID != id || m[0].Subject != "值班交接" {
		t.Fatalf("messages %+v", m)
	}
}

// The wire shape of SES v2's errors: X-Amzn-ErrorType and {"message"}.
func TestSESRawRequests(t *testing.T) {
	t.Parallel()
	f := fake.NewSES(t)
	good := func() *sigParams {
		return &sigParams{akid: fake.SESAccessKeyID, secret: fake.SESSecretAccessKey, service: "ses", region: f.Region(), at: time.Now()}
	}
	valid := `{"FromEmailAddress":"alerts@opsdesk.example","Destination":{"ToAddresses":["a@example.jp"]},"Content":{"Simple":{"Subject":{"Data":"件名"},"Body":{"Text":{"Data":"本文"}}}}}`
	tests := []struct {
		name, path, body string
		sp               *sigParams
		status           int
		errType          string
	}{
		{"valid", "/v2/email/outbound-emails", valid, good(), 200, ""},
		{"unsigned", "/v2/email/outbound-emails", valid, nil, 403, "MissingAuthenticationTokenException"},
		{"signed for another service", "/v2/email/outbound-emails", valid, func() *sigParams { p := good(); p.service = "email"; return p }(), 403, "InvalidSignatureException"},
		{"unknown path", "/v1/email/outbound-emails", valid, good(), 404, "UnknownOperationException"},
		{"misspelled member", "/v2/email/outbound-emails", strings.Replace(valid, `"Destination"`, `"Destinations"`, 1), good(), 400, "BadRequestException"},
		{"member in the wrong case", "/v2/email/outbound-emails", strings.Replace(valid, `"ToAddresses"`, `"toAddresses"`, 1), good(), 400, "BadRequestException"},
		{"no content", "/v2/email/outbound-emails", `{"FromEmailAddress":"alerts@opsdesk.example"}`, good(), 400, "BadRequestException"},
		{"unverified sender", "/v2/email/outbound-emails", strings.Replace(valid, "opsdesk.example", "other.example", 1), good(), 400, "MessageRejected"},
	}
	for _, tt := range tests {
		status, hdr, m := msgRaw(t, f.URL(), tt.path, "", "application/json", tt.body, tt.sp)
		if status != tt.status || hdr.Get("X-Amzn-ErrorType") != tt.errType || hdr.Get("X-Amzn-RequestId") == "" {
			t.Errorf("%s: %d %q %v, want %d %q", tt.name, status, hdr.Get("X-Amzn-ErrorType"), m, tt.status, tt.errType)
		}
		if tt.errType != "" && m["message"] == "" {
			t.Errorf("%s: no message in %v", tt.name, m)
		}
	}
	if len(f.Messages()) != 1 {
		t.Fatalf("%d emails, want only the valid one", len(f.Messages()))
	}
}

func TestSESEvents(t *testing.T) {
	t.Parallel()
	f, c, _ := newSES(t)
	var (
		mu  sync.Mutex
		got [][]byte
	)
	f.OnEvent(func(ev fake.SESEvent) {
		b, _ := json.Marshal(ev)
		mu.Lock()
		got = append(got, b)
		mu.Unlock()
	})
	f.Bounce("gone@example.jp")
	f.SetSandbox(true) // the simulator's addresses need no verification
	in := simpleEmail(fake.SESSimulatorSuccess, "【障害】web-01", "本文")
	in.Destination.CcAddresses = []string{fake.SESSimulatorBounce}
	in.ConfigurationSetName = aws.String(fake.SESDefaultConfigurationSet)
	in.EmailTags = []sestypes.MessageTag{{Name: aws.String("alert"), Value: aws.String("A-9")}}
	id := sendEmail(t, c, in)
	f.SetSandbox(false)
	in = simpleEmail("gone@example.jp", "x", "y")
	in.ConfigurationSetName = aws.String(fake.SESDefaultConfigurationSet)
	id2 := sendEmail(t, c, in)
	sendEmail(t, c, simpleEmail("a@example.com", "no configuration set, no events", "y"))

	evs := f.WaitForEvents(t, 5, 5*time.Second)
	time.Sleep(50 * time.Millisecond) // no further events may follow
	if n := len(f.Events()); n != 5 {
		t.Fatalf("%d events, want 5", n)
	}
	kinds := map[string]int{}
	for _, ev := range evs {
		key := ev.EventType + " " + ev.Mail.MessageID
		kinds[key]++
		switch ev.EventType {
		case "Delivery":
			if ev.Mail.MessageID != id || ev.Delivery.Recipients[0] != fake.SESSimulatorSuccess || ev.Delivery.SMTPResponse == "" {
				t.Errorf("delivery %+v", ev)
			}
		case "Bounce":
			r := ev.Bounce.BouncedRecipients[0].EmailAddress
			if ev.Bounce.BounceType != "Permanent" || !(ev.Mail.MessageID == id && r == fake.SESSimulatorBounce || ev.Mail.MessageID == id2 && r == "gone@example.jp") {
				t.Errorf("bounce %+v", ev)
			}
		case "Send":
			if ev.Send == nil {
				t.Errorf("send without send object %+v", ev)
			}
		}
	}
	if kinds["Send "+id] != 1 || kinds["Delivery "+id] != 1 || kinds["Bounce "+id] != 1 || kinds["Send "+id2] != 1 || kinds["Bounce "+id2] != 1 {
		t.Fatalf("events %v", kinds)
	}
	var mail fake.SESEventMail
	for _, ev := range evs {
		if ev.EventType == "Send" && ev.Mail.MessageID == id {
			mail = ev.Mail
		}
	}
	if mail.CommonHeaders.Subject != "【障害】web-01" || mail.Tags["ses:configuration-set"][0] != fake.SESDefaultConfigurationSet ||
		mail.Tags["alert"][0] != "A-9" || mail.SendingAccountID != fake.SESAccountID || mail.Timestamp != "2026-03-08T06:30:00.000Z" ||
		strings.Join(mail.Destination, ",") != fake.SESSimulatorSuccess+","+fake.SESSimulatorBounce {
		t.Fatalf("mail object %+v", mail)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range got {
		var rec map[string]any
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatal(err)
		}
		typ, _ := rec["eventType"].(string)
		mail, _ := rec["mail"].(map[string]any)
		if mail["messageId"] == nil || mail["commonHeaders"] == nil || mail["destination"] == nil || rec[strings.ToLower(typ)] == nil {
			t.Errorf("event JSON %s", b)
		}
	}
}
