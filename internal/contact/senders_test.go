package contact_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	smstypes "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"

	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/contact"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

var spokenCodeRE = regexp.MustCompile(`([0-9](, [0-9]){5})`)

func noBackoff(int) time.Duration { return 0 }

func smsSender(t *testing.T, f *fake.SMS, cfg contact.SMSConfig) *contact.SMS {
	t.Helper()
	s, err := contact.NewSMS(context.Background(), cfg, contact.AWSOptions{Region: f.Region(), Endpoint: f.URL(), Credentials: f.Credentials(), Backoff: noBackoff})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSMSSender: the real SDK client against the fake End User Messaging
// SMS: body, destination, origination, configuration set, context key;
// errors classified by NotSent; only throttling is retried.
func TestSMSSender(t *testing.T) {
	t.Parallel()
	f := fake.NewSMS(t)
	s := smsSender(t, f, contact.SMSConfig{OriginationIdentity: fake.SMSDefaultSenderID, ConfigurationSet: fake.SMSDefaultConfigurationSet})
	ctx := context.Background()
	rc, err := s.Send(ctx, contact.Message{Kind: "sms", To: "+819012345678", Text: "障害: web-1 down", Key: "alert:42:sato"})
	if err != nil {
		t.Fatal(err)
	}
	ms := f.Messages()
	if len(ms) != 1 {
		t.Fatalf("messages %+v", ms)
	}
	m := ms[0]
	if m.MessageID != rc.Ref || m.DestinationPhoneNumber != "+819012345678" || m.MessageBody != "障害: web-1 down" || m.MessageType != "TRANSACTIONAL" ||
		m.OriginationIdentity != fake.SMSDefaultSenderID || m.ConfigurationSetName != fake.SMSDefaultConfigurationSet ||
		m.Context["opsdesk_key"] != "alert:42:sato" || m.Encoding != "UCS2" {
		t.Errorf("message %+v (receipt %+v)", m, rc)
	}

	// A ValidationException: surely not sent, not retried.
	f.FailWith(1, "ValidationException", "INVALID_PARAMETER")
	before := f.RequestCount()
	_, err = s.Send(ctx, contact.Message{To: "+819012345678", Text: "x", Key: "k2"})
	var ve *smstypes.ValidationException
	if !errors.As(err, &ve) || !contact.NotSent(err) || f.RequestCount()-before != 1 {
		t.Errorf("validation: %v (NotSent %v, %d requests)", err, contact.NotSent(err), f.RequestCount()-before)
	}
	// A 500: unknown, not retried (it may have been sent).
	f.FailWith(1, "InternalServerException", "")
	before = f.RequestCount()
	_, err = s.Send(ctx, contact.Message{To: "+819012345678", Text: "x", Key: "k3"})
	if err == nil || contact.NotSent(err) || f.RequestCount()-before != 1 {
		t.Errorf("500: %v (NotSent %v, %d requests)", err, contact.NotSent(err), f.RequestCount()-before)
	}
	// Throttling is retried and then succeeds.
	f.Throttle(1)
	before = f.RequestCount()
	if _, err := s.Send(ctx, contact.Message{To: "+819012345678", Text: "x", Key: "k4"}); err != nil || f.RequestCount()-before != 2 {
		t.Errorf("throttled once: %v, %d requests", err, f.RequestCount()-before)
	}
	// Throttled every time: an error that surely sent nothing.
	f.Throttle(5)
	if _, err := s.Send(ctx, contact.Message{To: "+819012345678", Text: "x", Key: "k5"}); !contact.NotSent(err) {
		t.Errorf("throttled: %v", err)
	}
	f.Reset()
	// Our own check, before any request.
	if _, err := s.Send(ctx, contact.Message{To: "09012345678", Text: "x"}); !contact.NotSent(err) {
		t.Errorf("bad number: %v", err)
	}
	// The service's port refuses connections: not sent.
	f.Down()
	_, err = s.Send(ctx, contact.Message{To: "+819012345678", Text: "x", Key: "k6"})
	if err == nil || !contact.NotSent(err) {
		t.Errorf("refused: %v", err)
	}
	f.Up()
	if n := len(f.Messages()); n != 2 {
		t.Errorf("%d messages accepted, want 2", n)
	}
}

// TestSMSSenderEnvEndpoint: without an Endpoint the SDK's standard
// AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2 applies.
func TestSMSSenderEnvEndpoint(t *testing.T) {
	f := fake.NewSMS(t)
	t.Setenv("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", f.URL())
	s, err := contact.NewSMS(context.Background(), contact.SMSConfig{}, contact.AWSOptions{Region: f.Region(), Credentials: f.Credentials()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(context.Background(), contact.Message{To: "+819012345678", Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	if ms := f.Messages(); len(ms) != 1 || ms[0].ConfigurationSetName != "" || ms[0].Context != nil {
		t.Errorf("messages %+v", ms)
	}
}

// TestEmailSender: the real SDK client against the fake SES.
func TestEmailSender(t *testing.T) {
	t.Parallel()
	f := fake.NewSES(t)
	s, err := contact.NewEmail(context.Background(), contact.EmailConfig{From: fake.SESDefaultFrom, ConfigurationSet: fake.SESDefaultConfigurationSet},
		contact.AWSOptions{Region: f.Region(), Endpoint: f.URL(), Credentials: f.Credentials(), Backoff: noBackoff})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rc, err := s.Send(ctx, contact.Message{To: "sato@example.com", Subject: "障害\nweb-1", Text: "line 1\nline 2", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	ms := f.Messages()
	if len(ms) != 1 || ms[0].MessageID != rc.Ref || ms[0].FromAddress != fake.SESDefaultFrom || fmt.Sprint(ms[0].To) != "[sato@example.com]" ||
		ms[0].Subject != "障害 web-1" || ms[0].Text != "line 1\nline 2" || ms[0].HTML != "" || ms[0].ConfigurationSetName != fake.SESDefaultConfigurationSet {
		t.Fatalf("messages %+v", ms)
	}
	f.FailWith(1, "MessageRejected")
	if _, err := s.Send(ctx, contact.Message{To: "sato@example.com", Subject: "s", Text: "t"}); err == nil || !contact.NotSent(err) {
		t.Errorf("rejected: %v", err)
	}
	f.FailWith(1, "InternalServiceErrorException")
	before := f.RequestCount()
	if _, err := s.Send(ctx, contact.Message{To: "sato@example.com", Subject: "s", Text: "t"}); err == nil || contact.NotSent(err) || f.RequestCount()-before != 1 {
		t.Errorf("500: %v, %d requests", err, f.RequestCount()-before)
	}
	f.Throttle(1)
	if _, err := s.Send(ctx, contact.Message{To: "sato@example.com", Subject: "s", Text: "t"}); err != nil {
		t.Errorf("throttled once: %v", err)
	}
	if _, err := contact.NewEmail(ctx, contact.EmailConfig{}, contact.AWSOptions{Region: "x"}); err == nil {
		t.Error("no from accepted")
	}
}

// chatSenders builds the notify senders of a DingTalk and a Slack fake.
func chatSenders(t *testing.T, dt *fake.DingTalk, sl *fake.Slack) contact.ChatDestinations {
	t.Helper()
	senders := map[string]notify.Sender{}
	types := map[string]string{}
	for _, d := range []config.Destination{
		{Name: "ding", Type: "dingtalk", URL: dt.URL()},
		{Name: "slack", Type: "slack", URL: sl.URL()},
		{Name: "hook", Type: "webhook", URL: sl.URL()},
	} {
		s, err := notify.New(d, func(string) (string, bool) { return "", false }, nil)
		if err != nil {
			t.Fatal(err)
		}
		senders[d.Name], types[d.Name] = s, d.Type
	}
	return func(name string) (string, notify.Sender, bool) {
		s, ok := senders[name]
		return types[name], s, ok
	}
}

// TestChatSender: a mention of exactly the member, through the DingTalk
// and Slack fakes; the rest of the text stays escaped.
func TestChatSender(t *testing.T) {
	t.Parallel()
	dt := fake.NewDingTalk(t)
	sl := fake.NewSlack(t)
	c := contact.NewChat(chatSenders(t, dt, sl), time.Second)
	ctx := context.Background()
	text := "code 123456 @all <!channel> @13900000000"

	if _, err := c.Send(ctx, contact.Message{To: "13800000000", Destination: "ding", Subject: "opsdesk test", Text: text, Key: "k1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, contact.Message{To: "manager4711", Destination: "ding", Subject: "opsdesk test", Text: text, Key: "k2"}); err != nil {
		t.Fatal(err)
	}
	dms := dt.Messages()
	if len(dms) != 2 {
		t.Fatalf("dingtalk %+v", dms)
	}
	at0, _ := dms[0].Raw["at"].(map[string]any)
	if fmt.Sprint(at0["atMobiles"]) != "[13800000000]" || at0["atUserIds"] != nil || at0["isAtAll"] != false || !strings.Contains(dms[0].Text, "@13800000000") {
		t.Errorf("mobile mention: at %v text %q", at0, dms[0].Text)
	}
	if strings.Contains(dms[0].Text, "@13900000000") || strings.Contains(dms[0].Text, "@all") {
		t.Errorf("outside text can mention: %q", dms[0].Text)
	}
	at1, _ := dms[1].Raw["at"].(map[string]any)
	if fmt.Sprint(at1["atUserIds"]) != "[manager4711]" || at1["atMobiles"] != nil || !strings.Contains(dms[1].Text, "@manager4711") {
		t.Errorf("user id mention: at %v text %q", at1, dms[1].Text)
	}

	if _, err := c.Send(ctx, contact.Message{To: "U012ABCDEF", Destination: "slack", Subject: "opsdesk test", Text: text, Key: "k3"}); err != nil {
		t.Fatal(err)
	}
	sms := sl.Messages()
	if len(sms) != 1 {
		t.Fatalf("slack %+v", sms)
	}
	all := sms[0].Text + " " + strings.Join(sms[0].SectionTexts(), " ")
	if !strings.HasPrefix(sms[0].Text, "<@U012ABCDEF> ") || strings.Count(all, "<@") != 2 || strings.Contains(all, "<!channel>") {
		t.Errorf("slack text %q sections %q", sms[0].Text, sms[0].SectionTexts())
	}

	// A destination that cannot mention, an unknown one, a bad member.
	for _, m := range []contact.Message{
		{To: "U012ABCDEF", Destination: "hook", Text: "x"},
		{To: "U012ABCDEF", Destination: "nowhere", Text: "x"},
		{To: "sato", Destination: "slack", Text: "x"},
	} {
		if _, err := c.Send(ctx, m); err == nil || !contact.NotSent(err) {
			t.Errorf("%+v: %v", m, err)
		}
	}
	// DingTalk refusing (errcode) is not sent; Slack's 500 is unknown.
	dt.FailNextErrcode(1, fake.DingTalkSendTooFast, "send too fast")
	if _, err := c.Send(ctx, contact.Message{To: "13800000000", Destination: "ding", Text: "x"}); err == nil || !contact.NotSent(err) {
		t.Errorf("dingtalk too fast: %v", err)
	}
	sl.SetUnavailable(true)
	if _, err := c.Send(ctx, contact.Message{To: "U012ABCDEF", Destination: "slack", Text: "x"}); err == nil || contact.NotSent(err) {
		t.Errorf("slack 503: %v", err)
	}
	sl.SetUnavailable(false)
	sl.Down()
	if _, err := c.Send(ctx, contact.Message{To: "U012ABCDEF", Destination: "slack", Text: "x"}); err == nil || !contact.NotSent(err) {
		t.Errorf("slack refusing connections: %v", err)
	}
	sl.Up()
	if len(sl.Messages()) != 1 || len(dt.Messages()) != 2 {
		t.Errorf("extra posts")
	}
}

// TestVoiceSender: a call through the fake Amazon Connect whose summary
// reads the code digit by digit, in the method's language.
func TestVoiceSender(t *testing.T) {
	t.Parallel()
	f := fake.NewConnect(t)
	cl, err := connect.New(context.Background(), connect.Config{
		InstanceID: f.InstanceID(), ContactFlowID: f.ContactFlowID(), SourcePhone: f.SourcePhone(),
		Region: f.Region(), Endpoint: f.URL(), RatePerSecond: 1000, Burst: 1000,
	}, connect.WithCredentials(f.Credentials()))
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.New(t, store.SQLite)
	b := newBundle(t, st)
	svc := contact.New(st, contact.Options{Now: b.clk.Now, Senders: map[string]contact.Sender{"voice": contact.NewVoice(cl)}})
	ctx := context.Background()
	d, err := svc.AddMethod(ctx, "sato", contact.NewMethod{Kind: "voice", Address: "+819012345678", Language: "ko"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendCode(ctx, "sato", d.ID); err != nil {
		t.Fatal(err)
	}
	calls := f.Calls()
	if len(calls) != 1 {
		t.Fatalf("calls %+v", calls)
	}
	a := calls[0].Attributes
	m := spokenCodeRE.FindStringSubmatch(a["summary"])
	if calls[0].Number != "+819012345678" || a["language"] != "ko-KR" || m == nil || calls[0].ClientToken == "" {
		t.Fatalf("call %+v", calls[0])
	}
	code := strings.ReplaceAll(m[1], ", ", "")
	if err := svc.Confirm(ctx, "sato", d.ID, code); err != nil {
		t.Fatalf("confirm %q from %q: %v", code, a["summary"], err)
	}
}
