package fake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// SES is a fake Amazon SES API v2 (REST JSON, signing name "ses") with the
// one operation opsdesk uses, SendEmail:
//
//	POST /v2/email/outbound-emails  Content-Type: application/json
//
// Point the SDK for Go v2 at URL() (sesv2.Options.BaseEndpoint, or
// AWS_ENDPOINT_URL_SESV2) with Credentials() and Region().
//
// It checks requests the way SES does: a SigV4 Authorization header for
// service "ses" in Region(), signed with the fake's secret key, X-Amz-Date
// within 15 minutes of the wall clock; then the input: Content holds
// exactly one of Simple, Raw or Template; a Simple message has a
// FromEmailAddress, a Subject, a Text or Html body and 1–50 recipients; a
// Raw message is a MIME message whose From and recipients come from its
// headers when the request does not name them; every address is an
// RFC 5322 address with an ASCII local part and domain, and a display name
// outside ASCII must be MIME encoded-word encoded (=?UTF-8?B?…?=), as SES
// requires; email tags and a ConfigurationSetName the fake knows; no
// member SendEmail does not have (AWS would drop a misspelled one silently;
// the fake answers BadRequestException so the mistake fails a test). The
// sender must be a verified identity (the address or its domain; Verify);
// in the sandbox (SetSandbox) so must every recipient — otherwise the
// message is rejected (MessageRejected, "Email address is not verified.").
// An account that is suspended or whose sending is paused answers
// AccountSuspendedException or SendingPausedException.
//
// Errors use SES v2's REST JSON shape: the X-Amzn-ErrorType header, a body
// {"message": "..."} and the status of the API model (400, NotFoundException
// 404, TooManyRequestsException 429; signature errors 403, as AWS's REST
// front end answers them), so the SDK returns its typed errors
// (types.BadRequestException, types.MessageRejected, …).
//
// Events: when a message names a configuration set, the fake publishes what
// its event destination would receive — a Send event, then per recipient a
// Delivery event or, for SESSimulatorBounce and addresses given to Bounce,
// a Bounce event — to the functions registered with OnEvent, in the JSON
// shape of SES event records (SESEvent), from a goroutine after the API
// has answered; Events and WaitForEvents see them.
//
// Templates: the account has no stored templates, so a Template send is
// NotFoundException; an inline template fails the test (not modelled).
//
// Each accepted message gets a MessageId and is recorded (Messages,
// WaitForMessages) with its decoded subject and body. Failures: Throttle
// makes the next n sends TooManyRequestsException (which the SDK retries);
// FailWith injects any SendEmail error; EnforceRate limits messages per
// second ("Maximum sending rate exceeded.") on the fake's clock
// (WithClock). The shared Server controls (FailNext, SetUnavailable,
// Down/Up, SetDelay, Requests) work as for the other fakes.
type SES struct {
	*Server

	mu         sync.Mutex
	region     string
	verified   map[string]bool // lower-case addresses and domains
	configSets map[string]bool
	sandbox    bool
	suspended  bool
	paused     bool
	messages   []SESMessage
	events     []SESEvent
	bounces    map[string]bool // lower-case addresses that bounce
	onEvent    []func(SESEvent)
	failures   []string
	limit      rateLimit
	seq        int
	*recorder
}

// Identity and defaults of an SES fake.
const (
	SESDefaultRegion           = "ap-northeast-1"
	SESAccountID               = "123456789012"
	SESAccessKeyID             = "AKIAFAKESESV2000001"
	SESSecretAccessKey         = "fakeSesV2SecretKey/0001+wJalrXUtnFEMIK7MDENG"
	SESDefaultDomain           = "opsdesk.example"            // a verified domain identity
	SESDefaultFrom             = "alerts@" + SESDefaultDomain // a sender it verifies
	SESDefaultConfigurationSet = "opsdesk-mail"

	// SESSimulatorSuccess and SESSimulatorBounce are addresses of the SES
	// mailbox simulator: always accepted (also in the sandbox); the first
	// is delivered, the second bounces (Permanent, General).
	SESSimulatorSuccess = "success@simulator.amazonses.com"
	SESSimulatorBounce  = "bounce@simulator.amazonses.com"

	sesSimulatorDomain = "simulator.amazonses.com"
	sesTimeFormat      = "2006-01-02T15:04:05.000Z"
	sesSendPath        = "/v2/email/outbound-emails"
	sesMaxRecipients   = 50
)

// SESMessage is one email the fake accepted.
type SESMessage struct {
	MessageID            string
	From                 string   // as sent, e.g. "=?UTF-8?B?…?= <alerts@opsdesk.example>"
	FromAddress          string   // the bare address
	To, Cc, Bcc          []string // bare addresses
	ReplyTo              []string
	Subject              string // decoded
	SubjectCharset       string
	Text, HTML           string
	TextCharset          string
	HTMLCharset          string
	Headers              map[string]string // Simple.Headers
	Raw                  []byte            // the MIME message of a Raw send
	ConfigurationSetName string
	Tags                 map[string]string
	At                   time.Time
}

// SESEvent is an SES event record as a configuration set's event
// destination receives it (marshal it with encoding/json for the wire
// shape). Exactly one of Send, Delivery and Bounce is set, after EventType.
type SESEvent struct {
	EventType string       `json:"eventType"` // "Send", "Delivery" or "Bounce"
	Mail      SESEventMail `json:"mail"`
	Send      *struct{}    `json:"send,omitempty"`
	Delivery  *SESDelivery `json:"delivery,omitempty"`
	Bounce    *SESBounce   `json:"bounce,omitempty"`
}

// SESEventMail is the mail object of an event record.
type SESEventMail struct {
	Timestamp        string              `json:"timestamp"`
	Source           string              `json:"source"`
	SourceArn        string              `json:"sourceArn"`
	SendingAccountID string              `json:"sendingAccountId"`
	MessageID        string              `json:"messageId"`
	Destination      []string            `json:"destination"`
	HeadersTruncated bool                `json:"headersTruncated"`
	CommonHeaders    SESCommonHeaders    `json:"commonHeaders"`
	Tags             map[string][]string `json:"tags"`
}

// SESCommonHeaders are the mail object's commonHeaders.
type SESCommonHeaders struct {
	From      []string `json:"from"`
	To        []string `json:"to,omitempty"`
	MessageID string   `json:"messageId"`
	Subject   string   `json:"subject"`
}

// SESDelivery is the delivery object of a Delivery event.
type SESDelivery struct {
	Timestamp            string   `json:"timestamp"`
	ProcessingTimeMillis int64    `json:"processingTimeMillis"`
	Recipients           []string `json:"recipients"`
	SMTPResponse         string   `json:"smtpResponse"`
	ReportingMTA         string   `json:"reportingMTA"`
}

// SESBounce is the bounce object of a Bounce event.
type SESBounce struct {
	BounceType        string                `json:"bounceType"`
	BounceSubType     string                `json:"bounceSubType"`
	BouncedRecipients []SESBouncedRecipient `json:"bouncedRecipients"`
	Timestamp         string                `json:"timestamp"`
	FeedbackID        string                `json:"feedbackId"`
	ReportingMTA      string                `json:"reportingMTA"`
}

// SESBouncedRecipient is one recipient of a bounce.
type SESBouncedRecipient struct {
	EmailAddress   string `json:"emailAddress"`
	Action         string `json:"action"`
	Status         string `json:"status"`
	DiagnosticCode string `json:"diagnosticCode"`
}

// Recipients returns To, Cc and Bcc together.
func (m SESMessage) Recipients() []string {
	return slices.Concat(m.To, m.Cc, m.Bcc)
}

// NewSES starts a fake SES v2 API whose account has verified the domain
// SESDefaultDomain, is out of the sandbox and knows one configuration set.
// Option: WithClock (message times, EnforceRate).
func NewSES(t testing.TB, opts ...Option) *SES {
	t.Helper()
	s := &SES{
		Server:     newServer(t, "ses", opts, sesServerError),
		region:     SESDefaultRegion,
		verified:   map[string]bool{SESDefaultDomain: true},
		configSets: map[string]bool{SESDefaultConfigurationSet: true},
		bounces:    map[string]bool{},
	}
	s.recorder = newRecorder(t, &s.mu)
	s.start(s.serve)
	return s
}

// URL is the endpoint: sesv2.Options.BaseEndpoint or AWS_ENDPOINT_URL_SESV2.
func (s *SES) URL() string { return s.BaseURL() }

// Region is the signing region the fake accepts.
func (s *SES) Region() string { return s.region }

// Credentials returns the static credentials the fake accepts.
func (s *SES) Credentials() aws.CredentialsProvider {
	akid, secret := s.awsKey()
	return staticCredentials(akid, secret, "fake.SES")
}

// Verify adds verified identities: email addresses or domains.
func (s *SES) Verify(identities ...string) {
	s.mu.Lock()
	for _, id := range identities {
		s.verified[strings.ToLower(id)] = true
	}
	s.mu.Unlock()
}

// SetSandbox puts the account in the SES sandbox (recipients must be
// verified too) or takes it out.
func (s *SES) SetSandbox(on bool) {
	s.mu.Lock()
	s.sandbox = on
	s.mu.Unlock()
}

// SetSuspended makes every send fail with AccountSuspendedException.
func (s *SES) SetSuspended(on bool) {
	s.mu.Lock()
	s.suspended = on
	s.mu.Unlock()
}

// SetSendingPaused makes every send fail with SendingPausedException.
func (s *SES) SetSendingPaused(on bool) {
	s.mu.Lock()
	s.paused = on
	s.mu.Unlock()
}

// AddConfigurationSet makes name a configuration set the fake knows.
func (s *SES) AddConfigurationSet(name string) {
	s.mu.Lock()
	s.configSets[name] = true
	s.mu.Unlock()
}

// Bounce makes mail to addresses bounce (Permanent, General) instead of
// being delivered: their events are Bounce events.
func (s *SES) Bounce(addresses ...string) {
	s.mu.Lock()
	for _, a := range addresses {
		s.bounces[strings.ToLower(a)] = true
	}
	s.mu.Unlock()
}

// OnEvent registers f to receive the events of messages sent with a
// configuration set. f runs on a goroutine of the fake, after the API has
// answered the send; the test's end waits for running calls and starts no
// more.
func (s *SES) OnEvent(f func(SESEvent)) {
	s.mu.Lock()
	s.onEvent = append(s.onEvent, f)
	s.mu.Unlock()
}

// Events returns every event published so far.
func (s *SES) Events() []SESEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// WaitForEvents waits until at least n events were published and returns
// them, failing the test after timeout.
func (s *SES) WaitForEvents(t testing.TB, n int, timeout time.Duration) []SESEvent {
	t.Helper()
	if !s.waitChanged(timeout, func() bool { return len(s.events) >= n }) {
		t.Fatalf("fake ses: %d events published, want %d within %v", len(s.Events()), n, timeout)
	}
	return s.Events()
}

// Throttle makes the next n sends fail with TooManyRequestsException.
func (s *SES) Throttle(n int) { s.FailWith(n, "TooManyRequestsException") }

// FailWith makes the next n sends fail with errorType (one of SendEmail's
// errors: "MessageRejected", "AccountSuspendedException",
// "SendingPausedException", "MailFromDomainNotVerifiedException",
// "LimitExceededException", "TooManyRequestsException",
// "BadRequestException", "NotFoundException",
// "InternalServiceErrorException"), after they authenticate. Nothing is
// sent.
func (s *SES) FailWith(n int, errorType string) {
	if _, ok := sesErrorStatus[errorType]; !ok {
		s.tb.Errorf("fake ses: FailWith: unknown error type %q", errorType)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, errorType)
	}
}

// EnforceRate limits sending to perSecond messages per second with bursts
// of burst, on the fake's clock (SES's maximum send rate); perSecond 0
// turns it off.
func (s *SES) EnforceRate(perSecond float64, burst int) {
	s.mu.Lock()
	s.limit.set(perSecond, burst, s.opt.now())
	s.mu.Unlock()
}

// Messages returns every email accepted so far, in order.
func (s *SES) Messages() []SESMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// MessagesTo returns the emails accepted for address (To, Cc or Bcc).
func (s *SES) MessagesTo(address string) []SESMessage {
	var out []SESMessage
	for _, m := range s.Messages() {
		if slices.ContainsFunc(m.Recipients(), func(r string) bool { return strings.EqualFold(r, address) }) {
			out = append(out, m)
		}
	}
	return out
}

// WaitForMessages waits until at least n emails were accepted and returns
// them, failing the test after timeout.
func (s *SES) WaitForMessages(t testing.TB, n int, timeout time.Duration) []SESMessage {
	t.Helper()
	if !s.waitChanged(timeout, func() bool { return len(s.messages) >= n }) {
		t.Fatalf("fake ses: %d emails accepted, want %d within %v", len(s.Messages()), n, timeout)
	}
	return s.Messages()
}

// sesErrorStatus is the HTTP status of each error (the API model's).
var sesErrorStatus = map[string]int{
	"AccountSuspendedException":           http.StatusBadRequest,
	"BadRequestException":                 http.StatusBadRequest,
	"LimitExceededException":              http.StatusBadRequest,
	"MailFromDomainNotVerifiedException":  http.StatusBadRequest,
	"MessageRejected":                     http.StatusBadRequest,
	"NotFoundException":                   http.StatusNotFound,
	"SendingPausedException":              http.StatusBadRequest,
	"TooManyRequestsException":            http.StatusTooManyRequests,
	"InternalServiceErrorException":       http.StatusInternalServerError,
	"SerializationException":              http.StatusBadRequest,
	"UnknownOperationException":           http.StatusNotFound,
	"MissingAuthenticationTokenException": http.StatusForbidden,
	"IncompleteSignatureException":        http.StatusForbidden,
	"InvalidSignatureException":           http.StatusForbidden,
	"UnrecognizedClientException":         http.StatusForbidden,
	"ServiceUnavailableException":         http.StatusServiceUnavailable,
}

type sesAPIError struct {
	errorType string
	message   string
}

func sesErr(errorType, format string, args ...any) *sesAPIError {
	return &sesAPIError{errorType: errorType, message: fmt.Sprintf(format, args...)}
}

// sesServerError renders the shared Server's failures (FailNext,
// SetUnavailable) in SES v2's error shape (the body; the type header is
// missing, so the SDK reads the type from the body's code).
func sesServerError(status int, msg string) (string, []byte) {
	code := "BadRequestException"
	switch {
	case status == http.StatusTooManyRequests:
		code, msg = "TooManyRequestsException", "Too Many Requests"
	case status == http.StatusServiceUnavailable:
		code, msg = "ServiceUnavailableException", "Service Unavailable"
	case status >= 500:
		code, msg = "InternalServiceErrorException", "Internal Service Error"
	case status == http.StatusNotFound:
		code = "NotFoundException"
	}
	b, _ := json.Marshal(map[string]string{"code": code, "message": msg})
	return "application/json", b
}

func (s *SES) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *SES) writeErr(w http.ResponseWriter, e *sesAPIError) {
	w.Header().Set("X-Amzn-ErrorType", e.errorType)
	s.writeJSON(w, sesErrorStatus[e.errorType], map[string]string{"message": e.message})
}

func (s *SES) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.seq++
	w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("5e50%04x-5eed-4a11-8c0d-%012x", s.seq&0xffff, s.seq))
	s.mu.Unlock()

	if r.Method != http.MethodPost || r.URL.Path != sesSendPath {
		s.writeErr(w, sesErr("UnknownOperationException", "Unknown operation %s %s", r.Method, r.URL.Path))
		return
	}
	body, _ := io.ReadAll(r.Body)
	akid, secret := s.awsKey()
	if code, msg := checkSigV4(r, body, sigV4Check{akid: akid, secret: secret, service: "ses", region: s.region, window: connectSignatureWindow}); code != "" {
		s.writeErr(w, sesErr(code, "%s", msg))
		return
	}
	if !contentTypeIs(r, "application/json") {
		s.writeErr(w, sesErr("SerializationException", "Expected Content-Type application/json"))
		return
	}
	s.mu.Lock()
	var fail string
	if len(s.failures) > 0 {
		fail, s.failures = s.failures[0], s.failures[1:]
	}
	s.mu.Unlock()
	if fail != "" {
		msg := "injected " + fail
		if fail == "TooManyRequestsException" {
			msg = "Maximum sending rate exceeded."
		}
		s.writeErr(w, sesErr(fail, "%s", msg))
		return
	}
	m, bounced, e := s.sendEmail(body)
	if e != nil {
		s.writeErr(w, e)
		return
	}
	s.accept(func() {})
	s.writeJSON(w, http.StatusOK, map[string]string{"MessageId": m.MessageID})
	if m.ConfigurationSetName != "" {
		s.startPublishing(func() { s.publish(s.eventsFor(m, bounced)) })
	}
}

// eventsFor builds the events of an accepted message.
func (s *SES) eventsFor(m SESMessage, bounced map[string]bool) []SESEvent {
	_, domain, _ := strings.Cut(m.FromAddress, "@")
	tags := map[string][]string{
		"ses:configuration-set": {m.ConfigurationSetName},
		"ses:from-domain":       {domain},
	}
	for k, v := range m.Tags {
		tags[k] = []string{v}
	}
	mail := SESEventMail{
		Timestamp:        m.At.UTC().Format(sesTimeFormat),
		Source:           m.From,
		SourceArn:        "arn:aws:ses:" + s.region + ":" + SESAccountID + ":identity/" + domain,
		SendingAccountID: SESAccountID,
		MessageID:        m.MessageID,
		Destination:      m.Recipients(),
		CommonHeaders:    SESCommonHeaders{From: []string{m.From}, To: m.To, MessageID: m.MessageID, Subject: m.Subject},
		Tags:             tags,
	}
	evs := []SESEvent{{EventType: "Send", Mail: mail, Send: &struct{}{}}}
	at := m.At.Add(2 * time.Second).UTC().Format(sesTimeFormat)
	for i, r := range m.Recipients() {
		if bounced[r] {
			evs = append(evs, SESEvent{EventType: "Bounce", Mail: mail, Bounce: &SESBounce{
				BounceType:        "Permanent",
				BounceSubType:     "General",
				BouncedRecipients: []SESBouncedRecipient{{EmailAddress: r, Action: "failed", Status: "5.1.1", DiagnosticCode: "smtp; 550 5.1.1 user unknown"}},
				Timestamp:         at,
				FeedbackID:        fmt.Sprintf("%s-b%02d", strings.TrimSuffix(m.MessageID, "-000000"), i),
				ReportingMTA:      "dsn; mx.fake.example",
			}})
			continue
		}
		evs = append(evs, SESEvent{EventType: "Delivery", Mail: mail, Delivery: &SESDelivery{
			Timestamp:            at,
			ProcessingTimeMillis: 2000,
			Recipients:           []string{r},
			SMTPResponse:         "250 2.6.0 Message received",
			ReportingMTA:         "a1-23.smtp-out." + s.region + ".amazonses.com",
		}})
	}
	return evs
}

// publish hands a message's events to the OnEvent functions, in order.
func (s *SES) publish(evs []SESEvent) {
	publishEvents(s.recorder, &s.onEvent, evs, func(ev SESEvent) { s.events = append(s.events, ev) })
}

type sesContent struct {
	Data    *string
	Charset *string
}

type sesNameValue struct {
	Name  string
	Value string
}

type sendEmailInput struct {
	FromEmailAddress                          *string
	FromEmailAddressIdentityArn               *string
	Destination                               *struct{ ToAddresses, CcAddresses, BccAddresses []string }
	ReplyToAddresses                          []string
	FeedbackForwardingEmailAddress            *string
	FeedbackForwardingEmailAddressIdentityArn *string
	Content                                   *struct {
		Simple *struct {
			Subject     *sesContent
			Body        *struct{ Text, Html *sesContent }
			Headers     []sesNameValue
			Attachments []json.RawMessage
		}
		Raw      *struct{ Data []byte }
		Template *struct {
			TemplateName *string
			TemplateArn  *string
			TemplateData *string
			// TemplateContent is an inline template, which the fake
			// does not render.
			TemplateContent json.RawMessage
			Headers         []sesNameValue
			Attachments     []json.RawMessage
		}
	}
	EmailTags              []sesNameValue
	ConfigurationSetName   *string
	EndpointId             *string
	TenantName             *string
	ListManagementOptions  json.RawMessage
	ConfigurationOverrides json.RawMessage
}

// sendEmail validates and records a SendEmail request and returns the
// message and which of its recipients bounce.
func (s *SES) sendEmail(body []byte) (SESMessage, map[string]bool, *sesAPIError) {
	var in sendEmailInput
	if err := decodeExact(body, &in); err != nil {
		return SESMessage{}, nil, sesErr("BadRequestException", "Request body could not be parsed: %v", err)
	}
	if in.Content == nil {
		return SESMessage{}, nil, sesErr("BadRequestException", "Content is required")
	}
	kinds := 0
	for _, set := range []bool{in.Content.Simple != nil, in.Content.Raw != nil, in.Content.Template != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return SESMessage{}, nil, sesErr("BadRequestException", "Content must contain exactly one of Simple, Raw or Template")
	}
	if tpl := in.Content.Template; tpl != nil {
		if len(tpl.TemplateContent) > 0 {
			s.tb.Errorf("fake ses: inline templates (Content.Template.TemplateContent) are not supported")
			return SESMessage{}, nil, sesErr("BadRequestException", "Inline templates are not supported by the fake")
		}
		// The account has no stored templates.
		return SESMessage{}, nil, sesErr("NotFoundException", "Template %s does not exist.", orDefault(connectStr(tpl.TemplateName), connectStr(tpl.TemplateArn)))
	}
	m := SESMessage{From: connectStr(in.FromEmailAddress), ConfigurationSetName: connectStr(in.ConfigurationSetName), ReplyTo: in.ReplyToAddresses}
	if in.Destination != nil {
		m.To, m.Cc, m.Bcc = in.Destination.ToAddresses, in.Destination.CcAddresses, in.Destination.BccAddresses
	}
	if simple := in.Content.Simple; simple != nil {
		if simple.Subject == nil || simple.Subject.Data == nil {
			return SESMessage{}, nil, sesErr("BadRequestException", "Subject is required")
		}
		if simple.Body == nil || (simple.Body.Text == nil && simple.Body.Html == nil) {
			return SESMessage{}, nil, sesErr("BadRequestException", "Body must contain Text or Html")
		}
		m.Subject, m.SubjectCharset = *simple.Subject.Data, connectStr(simple.Subject.Charset)
		if t := simple.Body.Text; t != nil {
			m.Text, m.TextCharset = connectStr(t.Data), connectStr(t.Charset)
		}
		if h := simple.Body.Html; h != nil {
			m.HTML, m.HTMLCharset = connectStr(h.Data), connectStr(h.Charset)
		}
		if len(simple.Headers) > 0 {
			m.Headers = map[string]string{}
			for _, h := range simple.Headers {
				m.Headers[h.Name] = h.Value
			}
		}
		if m.From == "" {
			return SESMessage{}, nil, sesErr("BadRequestException", "Missing required header 'From'.")
		}
	} else {
		raw := in.Content.Raw.Data
		if len(raw) == 0 {
			return SESMessage{}, nil, sesErr("BadRequestException", "Raw message data is required")
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			return SESMessage{}, nil, sesErr("MessageRejected", "The raw message is not a valid MIME message: %v", err)
		}
		m.Raw = raw
		dec := new(mime.WordDecoder)
		if subj, err := dec.DecodeHeader(msg.Header.Get("Subject")); err == nil {
			m.Subject = subj
		}
		if m.From == "" {
			m.From = msg.Header.Get("From")
		}
		if m.From == "" {
			return SESMessage{}, nil, sesErr("BadRequestException", "Missing required header 'From'.")
		}
		if len(m.To)+len(m.Cc)+len(m.Bcc) == 0 {
			for _, h := range []struct {
				name string
				to   *[]string
			}{{"To", &m.To}, {"Cc", &m.Cc}, {"Bcc", &m.Bcc}} {
				if v := msg.Header.Get(h.name); v != "" {
					list, err := mail.ParseAddressList(v)
					if err != nil {
						return SESMessage{}, nil, sesErr("BadRequestException", "Illegal address in %s header: %v", h.name, err)
					}
					for _, a := range list {
						*h.to = append(*h.to, a.Address)
					}
				}
			}
		}
		if b, err := io.ReadAll(msg.Body); err == nil && strings.HasPrefix(msg.Header.Get("Content-Type"), "text/plain") && msg.Header.Get("Content-Transfer-Encoding") == "" {
			m.Text = string(b)
		}
	}

	from, e := sesAddress("FromEmailAddress", m.From)
	if e != nil {
		return SESMessage{}, nil, e
	}
	m.FromAddress = from
	n := len(m.To) + len(m.Cc) + len(m.Bcc)
	if n == 0 {
		return SESMessage{}, nil, sesErr("BadRequestException", "Destination must contain at least one recipient in ToAddresses, CcAddresses or BccAddresses")
	}
	if n > sesMaxRecipients {
		return SESMessage{}, nil, sesErr("BadRequestException", "Recipient count exceeds %d (got %d)", sesMaxRecipients, n)
	}
	for _, list := range []struct {
		field string
		addrs *[]string
	}{{"ToAddresses", &m.To}, {"CcAddresses", &m.Cc}, {"BccAddresses", &m.Bcc}, {"ReplyToAddresses", &m.ReplyTo}} {
		bare := make([]string, 0, len(*list.addrs))
		for _, a := range *list.addrs {
			addr, e := sesAddress(list.field, a)
			if e != nil {
				return SESMessage{}, nil, e
			}
			bare = append(bare, addr)
		}
		*list.addrs = bare
	}
	if len(in.EmailTags) > 0 {
		m.Tags = map[string]string{}
		for _, t := range in.EmailTags {
			if !sesTagOK(t.Name) || !sesTagOK(t.Value) {
				return SESMessage{}, nil, sesErr("BadRequestException", "Email tag %q=%q: names and values may contain only ASCII letters, digits, '_' and '-' and are at most 256 characters", t.Name, t.Value)
			}
			m.Tags[t.Name] = t.Value
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if m.ConfigurationSetName != "" && !s.configSets[m.ConfigurationSetName] {
		return SESMessage{}, nil, sesErr("NotFoundException", "Configuration set <%s> does not exist.", m.ConfigurationSetName)
	}
	if s.suspended {
		return SESMessage{}, nil, sesErr("AccountSuspendedException", "Your account's ability to send email has been permanently restricted.")
	}
	if s.paused {
		return SESMessage{}, nil, sesErr("SendingPausedException", "Sending is paused for this account.")
	}
	if !s.verifiedLocked(from) {
		return SESMessage{}, nil, sesErr("MessageRejected", "Email address is not verified. The following identities failed the check in region %s: %s", strings.ToUpper(s.region), from)
	}
	if s.sandbox {
		var unverified []string
		for _, r := range m.Recipients() {
			if !s.verifiedLocked(r) {
				unverified = append(unverified, r)
			}
		}
		if len(unverified) > 0 {
			return SESMessage{}, nil, sesErr("MessageRejected", "Email address is not verified. The following identities failed the check in region %s: %s", strings.ToUpper(s.region), strings.Join(unverified, ", "))
		}
	}
	now := s.opt.now()
	if !s.limit.take(1, now) {
		return SESMessage{}, nil, sesErr("TooManyRequestsException", "Maximum sending rate exceeded.")
	}
	k := len(s.messages) + 1
	m.MessageID = fmt.Sprintf("0106019%09x-%08x-5e5a-4e11-8c0d-%012x-000000", k, k, k)
	m.At = now
	s.messages = append(s.messages, m)
	s.notifyLocked()
	bounced := map[string]bool{}
	for _, r := range m.Recipients() {
		bounced[r] = s.bounces[strings.ToLower(r)] || strings.EqualFold(r, SESSimulatorBounce)
	}
	return m, bounced, nil
}

func (s *SES) verifiedLocked(addr string) bool {
	addr = strings.ToLower(addr)
	_, domain, _ := strings.Cut(addr, "@")
	return s.verified[addr] || s.verified[domain] || domain == sesSimulatorDomain
}

// sesAddress checks one address as SES does and returns its bare
// addr-spec: RFC 5322 syntax, an ASCII local part and domain (an
// internationalized domain must be punycode), and a display name that is
// ASCII or MIME encoded-words.
func sesAddress(field, s string) (string, *sesAPIError) {
	for _, r := range s {
		if r >= utf8.RuneSelf {
			return "", sesErr("BadRequestException", "%s %q contains non-ASCII characters: encode a display name as MIME encoded-words (RFC 2047) and a domain as punycode", field, s)
		}
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", sesErr("BadRequestException", "%s %q is not a valid email address: %v", field, s, err)
	}
	local, domain, ok := strings.Cut(a.Address, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", sesErr("BadRequestException", "%s %q: Missing final '@domain'", field, s)
	}
	return a.Address, nil
}

func sesTagOK(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// awsKey is the key pair the fake accepts (WithAWSKey, or its own).
func (s *SES) awsKey() (string, string) {
	if s.opt.awsKey != "" {
		return s.opt.awsKey, s.opt.awsSecret
	}
	return SESAccessKeyID, SESSecretAccessKey
}
