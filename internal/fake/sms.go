package fake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// SMS is a fake AWS End User Messaging SMS API (Amazon Pinpoint SMS and
// Voice v2: AWS JSON 1.0, signing name "sms-voice") with the one operation
// opsdesk uses, SendTextMessage:
//
//	POST /  X-Amz-Target: PinpointSMSVoiceV2.SendTextMessage
//	        Content-Type: application/x-amz-json-1.0
//
// Point the SDK for Go v2 at URL() (pinpointsmsvoicev2.Options.BaseEndpoint,
// or AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2) with Credentials() and
// Region().
//
// It checks requests the way the service does: a SigV4 Authorization
// header for service "sms-voice" in Region(), signed with the fake's secret
// key, with an X-Amz-Date within 15 minutes of the wall clock; then
// SendTextMessage's input against the API model and the service's rules:
// DestinationPhoneNumber in E.164; MessageBody of 1–1,600 characters;
// MessageType TRANSACTIONAL or PROMOTIONAL; OriginationIdentity (optional)
// one of the fake's phone number, its id or ARN, its sender id or its pool;
// ConfigurationSetName (optional) one the fake knows; Keyword, MaxPrice,
// TimeToLive (5–259,200 s) and Context (at most 5 entries) within their
// constraints. A member the operation does not have, or one spelled in
// another case, is refused with ValidationException (CANNOT_PARSE) where
// AWS would drop it silently, so the mistake fails a test. A destination
// that opted out (OptOut) is a ConflictException
// (DESTINATION_PHONE_NUMBER_OPTED_OUT).
//
// Errors use the AWS JSON 1.0 shape, {"__type":
// "com.amazonaws.pinpointsmsvoicev2#ValidationException", "Message": ...,
// "Reason": ..., "Fields": [{"Name": ..., "Message": ...}]}, with HTTP 400
// for client errors (signature errors included) and 5xx for server errors,
// so the SDK returns its typed errors (types.ValidationException with
// Reason and Fields, types.ThrottlingException, …).
//
// Each accepted message (not a DryRun) gets a MessageId and is recorded
// (Messages, WaitForMessages) with its encoding (GSM or UCS2) and its number
// of message parts, counted as carriers do (160/153 GSM-7 characters, 70/67
// UCS-2 characters per single/multipart part).
//
// Delivery events: when a message names a configuration set, the fake
// publishes the events its event destination would receive — TEXT_PENDING,
// then a final event (TEXT_DELIVERED unless SetOutcome scripts another for
// the number) — to the functions registered with OnEvent, in the JSON shape
// of the End User Messaging SMS event records (SMSEvent). Events are
// published from a goroutine after the API has answered, in order per
// message, and recorded (Events, WaitForEvents).
//
// Failures: Throttle makes the next n calls ThrottlingException (which the
// SDK retries); FailWith injects any error the operation can return;
// EnforceRate limits message parts per second (MPS) on the fake's clock
// (WithClock). The shared Server controls (FailNext, SetUnavailable,
// Down/Up, SetDelay, Requests) work as for the other fakes.
type SMS struct {
	*Server

	mu         sync.Mutex
	region     string
	identities map[string]bool // accepted OriginationIdentity values
	configSets map[string]bool
	optedOut   map[string]bool
	outcomes   map[string][]string // scripted final event types per number
	messages   []SMSMessage
	events     []SMSEvent
	dryRuns    int
	failures   []smsFailure
	onEvent    []func(SMSEvent)
	limit      rateLimit
	seq        int
	*recorder
}

// Identity and defaults of an SMS fake.
const (
	SMSDefaultRegion           = "ap-northeast-1"
	SMSAccountID               = "123456789012"
	SMSAccessKeyID             = "AKIAFAKESMSVOICE0001"
	SMSSecretAccessKey         = "fakeSmsVoiceSecretKey/0001+wJalrXUtnFEMIK7MDENG"
	SMSDefaultOriginationPhone = "+815055550100"
	SMSDefaultPhoneNumberID    = "phone-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	SMSDefaultSenderID         = "OPSDESK"
	SMSDefaultPoolID           = "pool-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	SMSDefaultConfigurationSet = "opsdesk-alerts"

	smsTarget      = "PinpointSMSVoiceV2."
	smsContentType = "application/x-amz-json-1.0"
	smsErrorPrefix = "com.amazonaws.pinpointsmsvoicev2#"

	smsMaxBody       = 1600
	smsMinTTL        = 5
	smsMaxTTL        = 259200
	smsMaxContext    = 5
	smsMaxContextKey = 100
	smsMaxContextVal = 800
)

// Final event types SetOutcome accepts (the End User Messaging SMS event
// types for text messages).
const (
	SMSDelivered          = "TEXT_DELIVERED"
	SMSSuccessful         = "TEXT_SUCCESSFUL"
	SMSPending            = "TEXT_PENDING"
	SMSInvalid            = "TEXT_INVALID"
	SMSUnreachable        = "TEXT_UNREACHABLE"
	SMSCarrierUnreachable = "TEXT_CARRIER_UNREACHABLE"
	SMSBlocked            = "TEXT_BLOCKED"
	SMSCarrierBlocked     = "TEXT_CARRIER_BLOCKED"
	SMSSpam               = "TEXT_SPAM"
	SMSUnknown            = "TEXT_UNKNOWN"
	SMSTTLExpired         = "TEXT_TTL_EXPIRED"
)

var smsStatusDescription = map[string]string{
	SMSPending:            "Message is pending delivery to the carrier",
	SMSDelivered:          "Message has been delivered to the handset",
	SMSSuccessful:         "Message has been accepted by phone carrier",
	SMSInvalid:            "Destination phone number is invalid",
	SMSUnreachable:        "Destination phone is unreachable",
	SMSCarrierUnreachable: "Carrier is unreachable",
	SMSBlocked:            "Destination phone number is blocked",
	SMSCarrierBlocked:     "Carrier blocked the message",
	SMSSpam:               "Carrier identified the message as spam",
	SMSUnknown:            "No final status was received from the carrier",
	SMSTTLExpired:         "The message could not be handed off before its time to live expired",
}

// SMSMessage is one text message the fake accepted.
type SMSMessage struct {
	MessageID              string
	DestinationPhoneNumber string
	OriginationIdentity    string // as sent ("" when the service chose)
	OriginationNumber      string // the number it was sent from
	MessageBody            string
	MessageType            string // "TRANSACTIONAL", "PROMOTIONAL" or ""
	ConfigurationSetName   string
	Keyword                string
	MaxPrice               string
	TimeToLive             int // seconds, 0 when not sent
	Context                map[string]string
	Encoding               string // "GSM" or "UCS2"
	Parts                  int    // message parts billed and counted against MPS
	At                     time.Time
}

// SMSEvent is an End User Messaging SMS event record as an event
// destination receives it (marshal it with encoding/json for the wire
// shape).
type SMSEvent struct {
	EventType                string            `json:"eventType"`
	EventVersion             string            `json:"eventVersion"`
	EventTimestamp           int64             `json:"eventTimestamp"` // Unix ms
	IsFinal                  bool              `json:"isFinal"`
	OriginationPhoneNumber   string            `json:"originationPhoneNumber"`
	DestinationPhoneNumber   string            `json:"destinationPhoneNumber"`
	IsInternationalSend      bool              `json:"isInternationalSend"`
	MCC                      string            `json:"mcc"`
	MNC                      string            `json:"mnc"`
	MessageID                string            `json:"messageId"`
	MessageRequestTimestamp  int64             `json:"messageRequestTimestamp"` // Unix ms
	MessageEncoding          string            `json:"messageEncoding"`
	MessageType              string            `json:"messageType"`
	MessageStatus            string            `json:"messageStatus"`
	MessageStatusDescription string            `json:"messageStatusDescription"`
	Context                  map[string]string `json:"context,omitempty"`
	TotalMessageParts        int               `json:"totalMessageParts"`
	TotalMessagePrice        float64           `json:"totalMessagePrice"`
	TotalCarrierFee          float64           `json:"totalCarrierFee"`
	ConfigurationSetName     string            `json:"-"` // which set's destination received it
}

type smsFailure struct {
	errorType string
	reason    string
}

// NewSMS starts a fake End User Messaging SMS API with one phone number
// (SMSDefaultOriginationPhone, also reachable by its id and ARN), one
// sender id, one pool and one configuration set. Option: WithClock
// (message and event times, EnforceRate).
func NewSMS(t testing.TB, opts ...Option) *SMS {
	t.Helper()
	s := &SMS{
		Server:     newServer(t, "sms", opts, smsServerError),
		region:     SMSDefaultRegion,
		configSets: map[string]bool{SMSDefaultConfigurationSet: true},
		optedOut:   map[string]bool{},
		outcomes:   map[string][]string{},
	}
	arn := "arn:aws:sms-voice:" + s.region + ":" + SMSAccountID + ":"
	s.identities = map[string]bool{
		SMSDefaultOriginationPhone:                      true,
		SMSDefaultPhoneNumberID:                         true,
		arn + "phone-number/" + SMSDefaultPhoneNumberID: true,
		SMSDefaultSenderID:                              true,
		arn + "sender-id/" + SMSDefaultSenderID + "/JP": true,
		SMSDefaultPoolID:                                true,
		arn + "pool/" + SMSDefaultPoolID:                true,
	}
	s.configSets[arn+"configuration-set/"+SMSDefaultConfigurationSet] = true
	s.recorder = newRecorder(t, &s.mu)
	s.start(s.serve)
	return s
}

// URL is the endpoint: pinpointsmsvoicev2.Options.BaseEndpoint or
// AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2.
func (s *SMS) URL() string { return s.BaseURL() }

// Region is the signing region the fake accepts.
func (s *SMS) Region() string { return s.region }

// Credentials returns the static credentials the fake accepts.
func (s *SMS) Credentials() aws.CredentialsProvider {
	akid, secret := s.awsKey()
	return staticCredentials(akid, secret, "fake.SMS")
}

// AddConfigurationSet makes name a configuration set the fake knows (with
// an event destination for OnEvent).
func (s *SMS) AddConfigurationSet(name string) {
	s.mu.Lock()
	s.configSets[name] = true
	s.mu.Unlock()
}

// OptOut puts numbers on the account's opt-out list: sending to them is a
// ConflictException (DESTINATION_PHONE_NUMBER_OPTED_OUT).
func (s *SMS) OptOut(numbers ...string) {
	s.mu.Lock()
	for _, n := range numbers {
		s.optedOut[n] = true
	}
	s.mu.Unlock()
}

// SetOutcome queues the final event types of the next messages to number
// (SMSDelivered, SMSUnreachable, …): each message takes the next one; once
// they are used up, messages are TEXT_DELIVERED.
func (s *SMS) SetOutcome(number string, eventTypes ...string) {
	for _, e := range eventTypes {
		if _, ok := smsStatusDescription[e]; !ok || e == SMSPending {
			s.tb.Errorf("fake sms: SetOutcome: %q is not a final text event type", e)
			return
		}
	}
	s.mu.Lock()
	s.outcomes[number] = append(s.outcomes[number], eventTypes...)
	s.mu.Unlock()
}

// OnEvent registers f to receive the delivery events of messages sent with
// a configuration set. f runs on a goroutine of the fake, after the API has
// answered the send; the test's end waits for running calls and starts no
// more.
func (s *SMS) OnEvent(f func(SMSEvent)) {
	s.mu.Lock()
	s.onEvent = append(s.onEvent, f)
	s.mu.Unlock()
}

// Throttle makes the next n SendTextMessage calls fail with
// ThrottlingException after they authenticate.
func (s *SMS) Throttle(n int) { s.FailWith(n, "ThrottlingException", "") }

// FailWith makes the next n SendTextMessage calls fail with errorType
// ("ThrottlingException", "ServiceQuotaExceededException",
// "InternalServerException", "AccessDeniedException", "ConflictException",
// "ResourceNotFoundException", "ValidationException") and reason (the
// exception's Reason member, e.g. "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT";
// "" for none), after they authenticate. Nothing is sent.
func (s *SMS) FailWith(n int, errorType, reason string) {
	if _, ok := smsErrorStatus[errorType]; !ok {
		s.tb.Errorf("fake sms: FailWith: unknown error type %q", errorType)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, smsFailure{errorType: errorType, reason: reason})
	}
}

// EnforceRate limits sending to perSecond message parts per second (MPS)
// with bursts of burst parts, on the fake's clock; a message whose parts do
// not fit gets ThrottlingException. perSecond 0 turns the limit off.
func (s *SMS) EnforceRate(perSecond float64, burst int) {
	s.mu.Lock()
	s.limit.set(perSecond, burst, s.opt.now())
	s.mu.Unlock()
}

// Messages returns every message accepted so far, in order.
func (s *SMS) Messages() []SMSMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SMSMessage, len(s.messages))
	for i, m := range s.messages {
		out[i] = m
		out[i].Context = maps.Clone(m.Context)
	}
	return out
}

// MessagesTo returns the messages accepted for number.
func (s *SMS) MessagesTo(number string) []SMSMessage {
	var out []SMSMessage
	for _, m := range s.Messages() {
		if m.DestinationPhoneNumber == number {
			out = append(out, m)
		}
	}
	return out
}

// DryRuns is the number of DryRun requests that passed validation.
func (s *SMS) DryRuns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dryRuns
}

// Events returns every delivery event published so far.
func (s *SMS) Events() []SMSEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// WaitForMessages waits until at least n messages were accepted and returns
// them, failing the test after timeout.
func (s *SMS) WaitForMessages(t testing.TB, n int, timeout time.Duration) []SMSMessage {
	t.Helper()
	if !s.waitChanged(timeout, func() bool { return len(s.messages) >= n }) {
		t.Fatalf("fake sms: %d messages accepted, want %d within %v", len(s.Messages()), n, timeout)
	}
	return s.Messages()
}

// WaitForEvents waits until at least n delivery events were published and
// returns them, failing the test after timeout.
func (s *SMS) WaitForEvents(t testing.TB, n int, timeout time.Duration) []SMSEvent {
	t.Helper()
	if !s.waitChanged(timeout, func() bool { return len(s.events) >= n }) {
		t.Fatalf("fake sms: %d events published, want %d within %v", len(s.Events()), n, timeout)
	}
	return s.Events()
}

// smsAPIError is an error answer of the fake.
type smsAPIError struct {
	errorType string
	message   string
	reason    string
	fields    []smsField
}

type smsField struct {
	Name    string
	Message string
}

// smsErrorStatus is the HTTP status of each error the fake answers with.
var smsErrorStatus = map[string]int{
	"AccessDeniedException":               http.StatusBadRequest,
	"ConflictException":                   http.StatusBadRequest,
	"InternalServerException":             http.StatusInternalServerError,
	"ResourceNotFoundException":           http.StatusBadRequest,
	"ServiceQuotaExceededException":       http.StatusBadRequest,
	"ThrottlingException":                 http.StatusBadRequest,
	"ValidationException":                 http.StatusBadRequest,
	"SerializationException":              http.StatusBadRequest,
	"UnknownOperationException":           http.StatusBadRequest,
	"MissingAuthenticationTokenException": http.StatusBadRequest,
	"IncompleteSignatureException":        http.StatusBadRequest,
	"InvalidSignatureException":           http.StatusBadRequest,
	"UnrecognizedClientException":         http.StatusBadRequest,
	"ServiceUnavailableException":         http.StatusServiceUnavailable,
}

func smsErr(errorType, format string, args ...any) *smsAPIError {
	return &smsAPIError{errorType: errorType, message: fmt.Sprintf(format, args...)}
}

// smsInvalid is a ValidationException naming the field that failed.
func smsInvalid(reason, field, format string, args ...any) *smsAPIError {
	msg := fmt.Sprintf(format, args...)
	e := &smsAPIError{errorType: "ValidationException", reason: reason, message: msg}
	if field != "" {
		e.fields = []smsField{{Name: field, Message: msg}}
	}
	return e
}

// smsServerError renders the shared Server's failures (FailNext,
// SetUnavailable) in the AWS JSON 1.0 error shape.
func smsServerError(status int, msg string) (string, []byte) {
	code := "ValidationException"
	switch {
	case status == http.StatusTooManyRequests:
		code, msg = "ThrottlingException", "Rate exceeded"
	case status == http.StatusServiceUnavailable:
		code, msg = "ServiceUnavailableException", "Service Unavailable"
	case status >= 500:
		code, msg = "InternalServerException", "An internal error occurred."
	case status == http.StatusRequestEntityTooLarge:
		code = "SerializationException"
	}
	b, _ := json.Marshal(map[string]string{"__type": smsErrorPrefix + code, "Message": msg})
	return smsContentType, b
}

func (s *SMS) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", smsContentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *SMS) writeErr(w http.ResponseWriter, e *smsAPIError) {
	body := map[string]any{"__type": smsErrorPrefix + e.errorType, "Message": e.message}
	if e.reason != "" {
		body["Reason"] = e.reason
	}
	if len(e.fields) > 0 {
		body["Fields"] = e.fields
	}
	s.writeJSON(w, smsErrorStatus[e.errorType], body)
}

func (s *SMS) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.seq++
	w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("5e5d%04x-5eed-4a11-8c0d-%012x", s.seq&0xffff, s.seq))
	s.mu.Unlock()

	if r.Method != http.MethodPost || r.URL.Path != "/" {
		s.writeErr(w, smsErr("UnknownOperationException", "Unknown operation %s %s", r.Method, r.URL.Path))
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), smsTarget)
	if !ok || op != "SendTextMessage" {
		s.writeErr(w, smsErr("UnknownOperationException", "Unknown operation %q", r.Header.Get("X-Amz-Target")))
		return
	}
	if !contentTypeIs(r, smsContentType) {
		s.writeErr(w, smsErr("SerializationException", "Expected Content-Type %s", smsContentType))
		return
	}
	body, _ := io.ReadAll(r.Body)
	akid, secret := s.awsKey()
	if code, msg := checkSigV4(r, body, sigV4Check{akid: akid, secret: secret, service: "sms-voice", region: s.region, window: connectSignatureWindow}); code != "" {
		s.writeErr(w, smsErr(code, "%s", msg))
		return
	}
	s.mu.Lock()
	var fail *smsFailure
	if len(s.failures) > 0 {
		fail = &s.failures[0]
		s.failures = s.failures[1:]
	}
	s.mu.Unlock()
	if fail != nil {
		e := smsErr(fail.errorType, "injected %s", fail.errorType)
		if fail.errorType == "ThrottlingException" {
			e.message = "Rate exceeded"
		}
		e.reason = fail.reason
		s.writeErr(w, e)
		return
	}
	out, evs, e := s.sendTextMessage(body)
	if e != nil {
		s.writeErr(w, e)
		return
	}
	s.accept(func() {})
	s.writeJSON(w, http.StatusOK, out)
	if len(evs) > 0 {
		s.startPublishing(func() { s.publish(evs) })
	}
}

// publish hands a message's events to the OnEvent functions, in order.
func (s *SMS) publish(evs []SMSEvent) {
	publishEvents(s.recorder, &s.onEvent, evs, func(ev SMSEvent) { s.events = append(s.events, ev) })
}

type sendTextMessageInput struct {
	DestinationPhoneNumber       *string
	OriginationIdentity          *string
	MessageBody                  *string
	MessageType                  *string
	Keyword                      *string
	ConfigurationSetName         *string
	MaxPrice                     *string
	TimeToLive                   *int
	Context                      map[string]string
	DestinationCountryParameters map[string]string
	DryRun                       bool
	ProtectConfigurationId       *string
	MessageFeedbackEnabled       *bool
}

var (
	smsPhonePattern    = regexp.MustCompile(`^\+?[1-9][0-9]{1,18}$`)
	smsIdentityPattern = regexp.MustCompile(`^[A-Za-z0-9_:/+-]+$`)
	smsConfigPattern   = regexp.MustCompile(`^[A-Za-z0-9_:/-]+$`)
	smsMaxPricePattern = regexp.MustCompile(`^[0-9]{0,2}\.[0-9]{1,5}$`)
	smsKeywordPattern  = regexp.MustCompile(`^[ \S]+$`)
	smsContextKeyPat   = regexp.MustCompile(`^\S+$`)
)

func (s *SMS) sendTextMessage(body []byte) (any, []SMSEvent, *smsAPIError) {
	var in sendTextMessageInput
	if err := decodeExact(body, &in); err != nil {
		return nil, nil, smsInvalid("CANNOT_PARSE", "", "Request body could not be parsed: %v", err)
	}
	dest := connectStr(in.DestinationPhoneNumber)
	switch {
	case in.DestinationPhoneNumber == nil:
		return nil, nil, smsInvalid("MISSING_PARAMETER", "DestinationPhoneNumber", "DestinationPhoneNumber is required")
	case !smsPhonePattern.MatchString(dest) || len(dest) > 20:
		return nil, nil, smsInvalid("FIELD_VALIDATION_FAILED", "DestinationPhoneNumber", "Value at 'destinationPhoneNumber' failed to satisfy constraint: Member must satisfy regular expression pattern: ^\\+?[1-9][0-9]{1,18}$")
	case !e164Pattern.MatchString(dest):
		return nil, nil, smsInvalid("INVALID_PARAMETER", "DestinationPhoneNumber", "DestinationPhoneNumber %q is not a valid E.164 phone number", dest)
	}
	if in.MessageBody == nil || *in.MessageBody == "" {
		return nil, nil, smsInvalid("MISSING_PARAMETER", "MessageBody", "MessageBody is required for a text message")
	}
	if n := utf8.RuneCountInString(*in.MessageBody); n > smsMaxBody {
		return nil, nil, smsInvalid("FIELD_VALIDATION_FAILED", "MessageBody", "Value at 'messageBody' failed to satisfy constraint: Member must have length less than or equal to %d (got %d)", smsMaxBody, n)
	}
	if !utf8.ValidString(*in.MessageBody) {
		return nil, nil, smsInvalid("INVALID_PARAMETER", "MessageBody", "MessageBody is not valid UTF-8")
	}
	mt := connectStr(in.MessageType)
	if in.MessageType != nil && mt != "TRANSACTIONAL" && mt != "PROMOTIONAL" {
		return nil, nil, smsInvalid("FIELD_VALIDATION_FAILED", "MessageType", "Value '%s' at 'messageType' failed to satisfy constraint: Member must satisfy enum value set: [TRANSACTIONAL, PROMOTIONAL]", mt)
	}
	origin := connectStr(in.OriginationIdentity)
	if in.OriginationIdentity != nil && (origin == "" || len(origin) > 256 || !smsIdentityPattern.MatchString(origin)) {
		return nil, nil, smsInvalid("FIELD_VALIDATION_FAILED", "OriginationIdentity", "Value at 'originationIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[A-Za-z0-9_:/\\+-]+$ and have length 1-256")
	}
	cs := connectStr(in.ConfigurationSetName)
	if in.ConfigurationSetName != nil && (cs == "" || len(cs) > 256 || !smsConfigPattern.MatchString(cs)) {
		return nil, nil, smsInvalid("FIELD_VALIDATION_FAILED", "ConfigurationSetName", "Value at 'configurationSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[A-Za-z0-9_:/-]+$ and have length 1-256")
	}
	if k := connectStr(in.Keyword); in.Keyword != nil && (len(k) > 30 || !smsKeywordPattern.MatchString(k)) {
		return nil, nil, smsInvalid("FIELD_VALIDATION_FAILED", "Keyword", "Value at 'keyword' failed to satisfy constraint: Member must have length 1-30")
	}
	if p := connectStr(in.MaxPrice); in.MaxPrice != nil && (len(p) < 2 || len(p) > 8 || !smsMaxPricePattern.MatchString(p)) {
		return nil, nil, smsInvalid("FIELD_VALIDATION_FAILED", "MaxPrice", "Value '%s' at 'maxPrice' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9]{0,2}\\.[0-9]{1,5}$", p)
	}
	if in.TimeToLive != nil && (*in.TimeToLive < smsMinTTL || *in.TimeToLive > smsMaxTTL) {
		return nil, nil, smsInvalid("FIELD_VALIDATION_FAILED", "TimeToLive", "Value '%d' at 'timeToLive' failed to satisfy constraint: Member must have value between %d and %d", *in.TimeToLive, smsMinTTL, smsMaxTTL)
	}
	if len(in.Context) > smsMaxContext {
		return nil, nil, smsInvalid("FIELD_VALIDATION_FAILED", "Context", "Value at 'context' failed to satisfy constraint: Member must have at most %d entries (got %d)", smsMaxContext, len(in.Context))
	}
	for k, v := range in.Context {
		if len(k) > smsMaxContextKey || !smsContextKeyPat.MatchString(k) || v == "" || len(v) > smsMaxContextVal {
			return nil, nil, smsInvalid("FIELD_VALIDATION_FAILED", "Context", "Context entry %q: keys must be 1-%d non-space characters and values 1-%d characters", k, smsMaxContextKey, smsMaxContextVal)
		}
	}
	for k := range in.DestinationCountryParameters {
		if k != "IN_TEMPLATE_ID" && k != "IN_ENTITY_ID" {
			return nil, nil, smsInvalid("FIELD_VALIDATION_FAILED", "DestinationCountryParameters", "Unknown destination country parameter %q (IN_TEMPLATE_ID, IN_ENTITY_ID)", k)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if origin != "" && !s.identities[origin] {
		return nil, nil, &smsAPIError{errorType: "ResourceNotFoundException", message: fmt.Sprintf("Origination identity %s does not exist", origin)}
	}
	if cs != "" && !s.configSets[cs] {
		return nil, nil, &smsAPIError{errorType: "ResourceNotFoundException", message: fmt.Sprintf("Configuration set %s does not exist", cs)}
	}
	if s.optedOut[dest] {
		return nil, nil, &smsAPIError{errorType: "ConflictException", reason: "DESTINATION_PHONE_NUMBER_OPTED_OUT", message: fmt.Sprintf("The destination phone number %s has opted out", dest)}
	}
	enc, parts := smsParts(*in.MessageBody)
	now := s.opt.now()
	if !s.limit.take(float64(parts), now) {
		return nil, nil, smsErr("ThrottlingException", "Rate exceeded")
	}
	if in.DryRun {
		s.dryRuns++
		return map[string]string{}, nil, nil
	}
	n := len(s.messages) + 1
	id := fmt.Sprintf("5a5e%04x-7e57-4a11-8c0d-%012x", n&0xffff, n)
	m := SMSMessage{
		MessageID:              id,
		DestinationPhoneNumber: dest,
		OriginationIdentity:    origin,
		OriginationNumber:      SMSDefaultOriginationPhone,
		MessageBody:            *in.MessageBody,
		MessageType:            mt,
		ConfigurationSetName:   cs,
		Keyword:                connectStr(in.Keyword),
		MaxPrice:               connectStr(in.MaxPrice),
		Context:                maps.Clone(in.Context),
		Encoding:               enc,
		Parts:                  parts,
		At:                     now,
	}
	if in.TimeToLive != nil {
		m.TimeToLive = *in.TimeToLive
	}
	s.messages = append(s.messages, m)
	s.notifyLocked()

	var evs []SMSEvent
	if cs != "" {
		final := SMSDelivered
		if q := s.outcomes[dest]; len(q) > 0 {
			final, s.outcomes[dest] = q[0], q[1:]
		}
		for i, typ := range []string{SMSPending, final} {
			evs = append(evs, SMSEvent{
				EventType:                typ,
				EventVersion:             "1.0",
				EventTimestamp:           now.Add(time.Duration(i) * 3 * time.Second).UnixMilli(),
				IsFinal:                  typ != SMSPending,
				OriginationPhoneNumber:   m.OriginationNumber,
				DestinationPhoneNumber:   dest,
				IsInternationalSend:      !strings.HasPrefix(dest, "+81"),
				MCC:                      "440",
				MNC:                      "10",
				MessageID:                id,
				MessageRequestTimestamp:  now.UnixMilli(),
				MessageEncoding:          enc,
				MessageType:              orDefault(mt, "TRANSACTIONAL"),
				MessageStatus:            strings.TrimPrefix(typ, "TEXT_"),
				MessageStatusDescription: smsStatusDescription[typ],
				Context:                  maps.Clone(in.Context),
				TotalMessageParts:        parts,
				TotalMessagePrice:        0.07451 * float64(parts),
				ConfigurationSetName:     cs,
			})
		}
	}
	return map[string]string{"MessageId": id}, evs, nil
}

// orDefault returns v, or def when v is empty.
func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// gsm7 holds the characters of the GSM 03.38 default alphabet; gsm7Ext
// those of its extension table, which take two septets.
const (
	gsm7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Ext = "^{}\\[~]|€\f"
)

// smsParts returns the encoding carriers use for body (GSM-7 when every
// character is in the GSM alphabet, else UCS-2) and the number of message
// parts it takes: one part holds 160 GSM septets or 70 UCS-2 code units; a
// multipart message 153 septets or 67 code units per part (the rest is the
// concatenation header). An extension character takes two septets, a
// character outside the Basic Multilingual Plane two UCS-2 code units.
func smsParts(body string) (encoding string, parts int) {
	septets, gsm := 0, true
	units := 0
	for _, r := range body {
		switch {
		case strings.ContainsRune(gsm7, r):
			septets++
		case strings.ContainsRune(gsm7Ext, r):
			septets += 2
		default:
			gsm = false
		}
		if r > 0xFFFF {
			units += 2
		} else {
			units++
		}
	}
	if gsm {
		if septets <= 160 {
			return "GSM", 1
		}
		return "GSM", (septets + 152) / 153
	}
	if units <= 70 {
		return "UCS2", 1
	}
	return "UCS2", (units + 66) / 67
}

// sigV4Check names what a fake accepts in a SigV4 Authorization header.
type sigV4Check struct {
	akid, secret, service, region string
	window                        time.Duration
}

// checkSigV4 checks a request's SigV4 Authorization header the way AWS
// does and returns the error code and message AWS would answer with ("" if
// the signature is good). The signing time must be within c.window of the
// wall clock (the SDK signs with the wall clock, whatever clock the test
// gives the fake).
func checkSigV4(r *http.Request, body []byte, c sigV4Check) (code, msg string) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return "MissingAuthenticationTokenException", "Missing Authentication Token"
	}
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return "IncompleteSignatureException", "Unsupported authorization type; expected AWS4-HMAC-SHA256"
	}
	params := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		params[k] = v
	}
	cred, signedHeaders, signature := params["Credential"], params["SignedHeaders"], params["Signature"]
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || signedHeaders == "" || signature == "" {
		return "IncompleteSignatureException", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters."
	}
	akid, day, region, service := scope[0], scope[1], scope[2], scope[3]
	if akid != c.akid {
		return "UnrecognizedClientException", "The security token included in the request is invalid."
	}
	if service != c.service {
		return "InvalidSignatureException", fmt.Sprintf("Credential should be scoped to correct service: '%s'.", c.service)
	}
	if region != c.region {
		return "InvalidSignatureException", "Credential should be scoped to a valid region."
	}
	amzDate := r.Header.Get("X-Amz-Date")
	signedAt, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil || day != amzDate[:8] {
		return "IncompleteSignatureException", fmt.Sprintf("X-Amz-Date %q is missing, malformed or does not match the credential scope", amzDate)
	}
	if d := time.Since(signedAt); d > c.window || d < -c.window {
		return "InvalidSignatureException", fmt.Sprintf("Signature expired: %s is outside the allowed window of %s", amzDate, c.window)
	}
	headers := strings.Split(signedHeaders, ";")
	if !slices.Contains(headers, "host") || !slices.Contains(headers, "x-amz-date") {
		return "InvalidSignatureException", "'Host' and 'X-Amz-Date' must be signed headers"
	}
	sum := sha256.Sum256(body)
	want, wantHeaders, err := sigV4(r, hex.EncodeToString(sum[:]), headers, c.akid, c.secret, c.service, region, signedAt, false)
	if err != nil || wantHeaders != signedHeaders || !hmac.Equal([]byte(want), []byte(signature)) {
		return "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
	}
	return "", ""
}

// decodeExact decodes a JSON request body into v, whose struct field names
// are the operation's member names, and refuses a key that is not exactly
// one of them at any depth (encoding/json alone would match keys in any
// case and drop unknown ones).
func decodeExact(body []byte, v any) error {
	var raw any
	if err := json.Unmarshal(body, &raw); err != nil {
		return err
	}
	if err := checkMembers(raw, reflect.TypeOf(v).Elem(), ""); err != nil {
		return err
	}
	return json.Unmarshal(body, v)
}

func checkMembers(raw any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := raw.(map[string]any)
		if !ok {
			return nil // a type mismatch: json.Unmarshal reports it
		}
		for k, val := range obj {
			f, ok := t.FieldByName(k)
			if !ok || !f.IsExported() || f.Name != k {
				return fmt.Errorf("unknown member %q", path+k)
			}
			if err := checkMembers(val, f.Type, path+k+"."); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if arr, ok := raw.([]any); ok && t.Elem().Kind() != reflect.Uint8 {
			for _, val := range arr {
				if err := checkMembers(val, t.Elem(), path); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// awsKey is the key pair the fake accepts (WithAWSKey, or its own).
func (s *SMS) awsKey() (string, string) {
	if s.opt.awsKey != "" {
		return s.opt.awsKey, s.opt.awsSecret
	}
	return SMSAccessKeyID, SMSSecretAccessKey
}
