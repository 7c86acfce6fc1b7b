package contact

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awscfg "github.com/aws/aws-sdk-go-v2/config"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	smstypes "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/notify"
)

// Message is one notification to one contact method.
type Message struct {
	Kind        string // voice, sms, email, chat
	To          string // the method's address
	Destination string // chat: the notify destination
	Subject     string // email subject, chat title, spoken system name
	Text        string
	Language    string // en, ja, zh, ko ("" = en)
	// Key identifies the notification across retries: the SMS context
	// (matched by delivery receipts), the Connect ClientToken, the chat
	// delivery id.
	Key string
}

// Receipt is what a provider answered.
type Receipt struct {
	Ref string // provider message id (SMS MessageId, SES MessageId, Connect ContactId)
}

// Sender sends one message through one provider. It makes one attempt (the
// SDK retries only errors that surely sent nothing: throttling answered
// with a 4xx, a refused connection).
type Sender interface {
	Send(ctx context.Context, m Message) (Receipt, error)
}

// NotSent reports whether err means the provider surely did not accept the
// message: input refused before or by the provider (validation, a 4xx
// answer, throttling), or a connection that was refused before the request
// was written. Retrying such a send cannot deliver it twice. Anything else
// (a 5xx, a timeout, a connection lost after the request was written) is
// unknown: the message may have gone out, so it must not be retried.
func NotSent(err error) bool {
	if err == nil {
		return false
	}
	var ve *ValidationError
	var cve *connect.ValidationError
	if errors.As(err, &ve) || errors.As(err, &cve) || errors.Is(err, ErrNotConfigured) {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var ne *notify.Error
	if errors.As(err, &ne) {
		switch {
		case ne.StatusCode == http.StatusRequestTimeout:
			return false
		case ne.StatusCode >= 400 && ne.StatusCode < 500:
			return true
		case ne.StatusCode >= 200 && ne.StatusCode < 300:
			// An error code in a 2xx answer (DingTalk's errcode): the
			// destination refused the message.
			return true
		case ne.ConnectionRefused():
			return true
		case ne.StatusCode == 0 && ne.Permanent:
			// Refused before any request was made (encoding, a bad
			// mention).
			return true
		}
		return false
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		s := re.HTTPStatusCode()
		return s >= 400 && s < 500 && s != http.StatusRequestTimeout
	}
	return false
}

// isThrottle is an answer that asks to slow down: nothing was sent.
func isThrottle(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ThrottlingException", "TooManyRequestsException", "LimitExceededException":
			return true
		}
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusTooManyRequests
}

// sendRetryer retries only what surely sent nothing (throttling, a refused
// connection), with the SDK's jittered backoff: a text message or an email
// whose answer was lost must not go out twice.
func sendRetryer(o AWSOptions) aws.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = o.attempts()
		if o.Backoff != nil {
			so.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) { return o.Backoff(attempt), nil })
		}
		so.Retryables = []retry.IsErrorRetryable{
			retry.NoRetryCanceledError{},
			retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
				if isThrottle(err) || errors.Is(err, syscall.ECONNREFUSED) {
					return aws.TrueTernary
				}
				return aws.FalseTernary
			}),
		}
	})
}

// AWSOptions are what the SMS and email senders need to reach AWS.
type AWSOptions struct {
	Region string
	// Endpoint overrides the service endpoint; "" lets the SDK use
	// AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2 / AWS_ENDPOINT_URL_SESV2,
	// then AWS_ENDPOINT_URL.
	Endpoint string
	// Credentials replace the default chain (tests; static keys).
	Credentials aws.CredentialsProvider
	// HTTPClient replaces the SDK's (nil: the SDK's own).
	HTTPClient aws.HTTPClient
	// MaxAttempts bounds attempts of a throttled send (default 3).
	MaxAttempts int
	// Backoff replaces the SDK's jittered backoff between attempts (tests).
	Backoff func(attempt int) time.Duration
	// Timeout bounds one Send, retries included (default 20 s).
	Timeout time.Duration
}

func (o AWSOptions) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return 20 * time.Second
}

func loadAWS(ctx context.Context, o AWSOptions) (aws.Config, error) {
	var load []func(*awscfg.LoadOptions) error
	if o.Region != "" {
		load = append(load, awscfg.WithRegion(o.Region))
	}
	if o.Credentials != nil {
		load = append(load, awscfg.WithCredentialsProvider(o.Credentials))
	}
	c, err := awscfg.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return c, err
	}
	if o.HTTPClient != nil {
		c.HTTPClient = o.HTTPClient
	}
	if c.Region == "" {
		return c, invalid("region", "is required (config, AWS_REGION or the profile)")
	}
	return c, nil
}

func (o AWSOptions) attempts() int {
	if o.MaxAttempts > 0 {
		return o.MaxAttempts
	}
	return 3
}

// SMSConfig is oncall.sms.
type SMSConfig struct {
	// OriginationIdentity is the phone number, sender id or pool (id or ARN)
	// messages are sent from; "" lets the service choose.
	OriginationIdentity string
	// ConfigurationSet receives the delivery events; "" for none.
	ConfigurationSet string
}

// SMS sends text messages through AWS End User Messaging SMS
// (pinpointsmsvoicev2 SendTextMessage), TRANSACTIONAL, with the Key in the
// message context ("opsdesk_key") so a delivery event can be matched.
type SMS struct {
	api     *sms.Client
	cfg     SMSConfig
	timeout time.Duration
}

// NewSMS builds the SMS sender.
func NewSMS(ctx context.Context, cfg SMSConfig, o AWSOptions) (*SMS, error) {
	ac, err := loadAWS(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("contact: sms: %w", err)
	}
	api := sms.NewFromConfig(ac, func(so *sms.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		so.Retryer = sendRetryer(o)
	})
	return &SMS{api: api, cfg: cfg, timeout: o.timeout()}, nil
}

// smsTTL is how long the service keeps trying to hand a message to the
// carrier: an on-call text older than this is no use.
const smsTTL = 3600

// Send sends m.Text to m.To.
func (s *SMS) Send(ctx context.Context, m Message) (Receipt, error) {
	if !e164Re.MatchString(m.To) {
		return Receipt{}, fmt.Errorf("contact: sms: %w", invalid("address", "must be an E.164 number"))
	}
	in := &sms.SendTextMessageInput{
		DestinationPhoneNumber: aws.String(m.To),
		MessageBody:            aws.String(cutRunes(m.Text, 1600)),
		MessageType:            smstypes.MessageTypeTransactional,
		TimeToLive:             aws.Int32(smsTTL),
	}
	if m.Key != "" {
		in.Context = map[string]string{"opsdesk_key": cutRunes(m.Key, 800)}
	}
	if s.cfg.OriginationIdentity != "" {
		in.OriginationIdentity = aws.String(s.cfg.OriginationIdentity)
	}
	if s.cfg.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.cfg.ConfigurationSet)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	out, err := s.api.SendTextMessage(ctx, in)
	if err != nil {
		return Receipt{}, fmt.Errorf("contact: sms to %s: %w", MaskAddress(KindSMS, m.To), err)
	}
	return Receipt{Ref: aws.ToString(out.MessageId)}, nil
}

// EmailConfig is oncall.email.
type EmailConfig struct {
	From             string // a verified identity
	ConfigurationSet string // "" for none
}

// Email sends email through Amazon SES v2 (SendEmail, Simple content:
// subject and text body, UTF-8).
type Email struct {
	api     *sesv2.Client
	cfg     EmailConfig
	timeout time.Duration
}

// NewEmail builds the email sender.
func NewEmail(ctx context.Context, cfg EmailConfig, o AWSOptions) (*Email, error) {
	if cfg.From == "" {
		return nil, fmt.Errorf("contact: email: %w", invalid("from", "is required"))
	}
	ac, err := loadAWS(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("contact: email: %w", err)
	}
	api := sesv2.NewFromConfig(ac, func(so *sesv2.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		so.Retryer = sendRetryer(o)
	})
	return &Email{api: api, cfg: cfg, timeout: o.timeout()}, nil
}

// Send sends m as an email to m.To.
func (e *Email) Send(ctx context.Context, m Message) (Receipt, error) {
	utf8 := aws.String("UTF-8")
	subject := strings.Join(strings.Fields(m.Subject), " ")
	if subject == "" {
		subject = "opsdesk"
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(e.cfg.From),
		Destination:      &sestypes.Destination{ToAddresses: []string{m.To}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(cutRunes(subject, 200)), Charset: utf8},
			Body:    &sestypes.Body{Text: &sestypes.Content{Data: aws.String(m.Text), Charset: utf8}},
		}},
	}
	if e.cfg.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(e.cfg.ConfigurationSet)
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	out, err := e.api.SendEmail(ctx, in)
	if err != nil {
		return Receipt{}, fmt.Errorf("contact: email to %s: %w", MaskAddress(KindEmail, m.To), err)
	}
	return Receipt{Ref: aws.ToString(out.MessageId)}, nil
}

// ChatDestinations finds a configured notify destination: its type and
// sender.
type ChatDestinations func(name string) (typ string, s notify.Sender, ok bool)

// Chat posts a mention of the member through a configured DingTalk or
// Slack destination (notify.Request.Mention). The message text is escaped
// by the destination's sender like every other message.
type Chat struct {
	dests   ChatDestinations
	timeout time.Duration
}

// NewChat builds the chat sender; timeout bounds one post (0: 15 s).
func NewChat(dests ChatDestinations, timeout time.Duration) *Chat {
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	return &Chat{dests: dests, timeout: timeout}
}

// Send posts m to m.Destination, mentioning m.To.
func (c *Chat) Send(ctx context.Context, m Message) (Receipt, error) {
	typ, s, ok := c.dests(m.Destination)
	if !ok {
		return Receipt{}, fmt.Errorf("contact: chat: %w", invalid("destination", "no destination is named %q", m.Destination))
	}
	if !notify.CanMention(s) {
		return Receipt{}, fmt.Errorf("contact: chat: %w", invalid("destination", "%q (%s) cannot mention a member", m.Destination, typ))
	}
	mention := &notify.Mention{UserID: m.To}
	if typ == "dingtalk" && dingtalkIsMobile(m.To) {
		mention = &notify.Mention{Mobile: m.To}
	}
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	res, err := s.Send(cctx, notify.Request{
		DeliveryID: m.Key, Attempt: 1, Mention: mention,
		Message: &notify.Message{Kind: "oncall", Title: m.Subject, Text: m.Text},
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("contact: chat via %s: %w", m.Destination, err)
	}
	return Receipt{Ref: res.ExternalRef}, nil
}

// Caller places a phone call; *connect.Client is one.
type Caller interface {
	StartCall(ctx context.Context, call connect.Call) (string, error)
}

// Voice places a call through Amazon Connect whose alert contact flow
// reads Subject as the system name and Text as the summary (a
// verification code is written digit by digit, so it is read that way).
type Voice struct{ c Caller }

// NewVoice builds the voice sender.
func NewVoice(c Caller) *Voice { return &Voice{c: c} }

// connectLanguages maps console languages to the flow's.
var connectLanguages = map[string]string{"en": "en-US", "ja": "ja-JP", "zh": "zh-CN", "ko": "ko-KR"}

// ConnectLanguage is the contact flow's language ("ja-JP") of a console
// language ("ja"); connect.DefaultLanguage for "" and unknown ones.
func ConnectLanguage(lang string) string {
	if l := connectLanguages[lang]; l != "" {
		return l
	}
	return connect.DefaultLanguage
}

// Send calls m.To.
func (v *Voice) Send(ctx context.Context, m Message) (Receipt, error) {
	lang := ConnectLanguage(m.Language)
	id, err := v.c.StartCall(ctx, connect.Call{
		Destination: m.To,
		Attributes: map[string]string{
			"systemname": cutRunes(m.Subject, 100),
			"summary":    cutRunes(m.Text, 300),
			"language":   lang,
			"host":       "opsdesk",
			"service":    "on-call",
		},
		ClientToken: connect.ClientTokenFor("contact", m.Key),
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("contact: voice: %w", err)
	}
	return Receipt{Ref: id}, nil
}

func cutRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
