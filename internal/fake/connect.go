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
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Connect is a fake Amazon Connect API (REST JSON, service "connect") with
// the four operations opsdesk uses to phone people:
//
//	StartOutboundVoiceContact  PUT  /contact/outbound-voice
//	DescribeContact            GET  /contacts/{InstanceId}/{ContactId}
//	GetContactAttributes       GET  /contact/attributes/{InstanceId}/{InitialContactId}
//	StopContact                POST /contact/stop
//
// Point the SDK for Go v2 at URL() (connect.Options.BaseEndpoint, or
// AWS_ENDPOINT_URL_CONNECT) with Credentials() and Region().
//
// It checks requests the way Connect does: a SigV4 Authorization header for
// service "connect" in Region(), signed with the fake's secret key, its
// X-Amz-Date within 15 minutes of the wall clock (the SDK signs with the
// wall clock, whatever clock the test gives the fake); the instance id; the
// contact flow id; an E.164 DestinationPhoneNumber (numbers with a denied
// prefix, "+447" by default as in Connect, are DestinationNotAllowed);
// SourcePhoneNumber or QueueId; attribute keys of letters, digits, '-' and
// '_' and at most 32,768 UTF-8 bytes of attributes; a ClientToken of at most
// 500 characters; a RingTimeoutInSeconds from 15 to 60. Errors answer with
// Connect's shape: the X-Amzn-ErrorType header, {"Message": "..."} and the
// status Connect uses, so the SDK returns its typed errors
// (types.InvalidParameterException, …); a value outside the API model's
// constraints (RingTimeoutInSeconds) is AWS's ValidationException
// (400, {"message": "1 validation error detected: …"}), which the SDK
// returns as a generic API error with that code.
//
// Calls: each StartOutboundVoiceContact that is not an idempotent repeat
// places a call to the destination, which behaves as scripted for that
// number (Script: a queue, each call consumes the next behaviour) or as the
// default (SetDefault; NoAnswer unless set). A call's lifecycle follows the
// fake's clock (WithClock): it rings, is answered (or not), the callee
// presses a key, the flow hangs up. Nothing runs in the background: every
// answer is computed from the clock at the time of the request, so a test
// moves a call forward by moving its clock, without sleeping.
//
// ClientToken: a token seen in the last 7 days (by the fake's clock) returns
// the ContactId of its first call and places no call, whatever the state of
// that call (NewContactAfterDisconnect switches to the older documented
// behaviour: a new call once the first has ended). Reusing a token for
// another destination fails the test: it is always a bug in the caller.
//
// Limits: at most 10 simultaneous calls (Connect's default quota of
// concurrent active calls; SetMaxConcurrent), beyond which
// StartOutboundVoiceContact answers LimitExceededException. MaxActive
// records the most calls that were ever active at once. EnforceRate turns on
// an API rate limit (ThrottlingException when exceeded); Throttle and FailOp
// inject API errors; the shared Server controls (FailNext, SetUnavailable,
// Down/Up, SetDelay) work as for the other fakes.
type Connect struct {
	*Server

	mu         sync.Mutex
	instanceID string
	flowIDs    map[string]bool
	queueIDs   map[string]bool
	sources    map[string]bool
	region     string
	keyAttr    string
	scripts    map[string][]CallBehavior
	def        CallBehavior
	contacts   map[string]*connectContact
	// live are the contacts that may still be active (not ended by
	// liveAt): counting active calls looks only at them, not at every
	// call ever placed.
	live          map[string]*connectContact
	liveAt        time.Time
	tokens        map[string]connectToken
	calls         []ConnectCall
	perNumber     map[string]int
	ops           map[string]int
	failures      []connectFailure
	denied        []string
	maxConcurrent int
	maxActive     int
	newAfterEnd   bool
	limit         rateLimit
	seq           int
	requestSeq    int
	changed       chan struct{}
	onCall        []func(ConnectCall)
}

// Identity and defaults of a Connect fake.
const (
	ConnectDefaultInstanceID    = "4a1f6c2e-8d3b-4e59-9c71-0b2d5e8f7a16"
	ConnectDefaultContactFlowID = "9c7e2b41-5f0a-4d8e-b3c6-1e4f7a9d2c58"
	ConnectDefaultQueueID       = "e6b3d9a0-2c47-4f81-a5e2-7d0c9b6f3e14"
	ConnectDefaultSourcePhone   = "+815012345678"
	ConnectDefaultRegion        = "ap-northeast-1"
	ConnectAccountID            = "123456789012"
	ConnectAccessKeyID          = "AKIAFAKECONNECT00001"
	ConnectSecretAccessKey      = "fakeConnectSecretKey/0001+wJalrXUtnFEMIK7MDENG"

	// DefaultKeyAttribute is the contact attribute in which the contact flow
	// (deploy/connect/alert-call-flow.json) stores the key the callee
	// pressed. internal/aws/connect uses the same name by default.
	DefaultKeyAttribute = "pressed_key"

	// ConnectDefaultMaxConcurrent is Connect's default quota of concurrent
	// active calls per instance.
	ConnectDefaultMaxConcurrent = 10

	connectTokenTTL         = 7 * 24 * time.Hour
	connectDefaultRingLimit = 60 * time.Second
	// RingTimeoutInSeconds must be 15–60 (StartOutboundVoiceContact's
	// API reference); anything else is a ValidationException.
	connectMinRingTimeout    = 15
	connectMaxRingTimeout    = 60
	connectMaxClientToken    = 500
	connectMaxAttributeBytes = 32768
	connectSignatureWindow   = 15 * time.Minute
)

// Disconnect reasons of voice contacts (the DisconnectReason of the contact
// record) that the fake produces.
const (
	ReasonCustomerDisconnect = "CUSTOMER_DISCONNECT"
	ReasonFlowDisconnect     = "CONTACT_FLOW_DISCONNECT"
	ReasonBusy               = "TELECOM_BUSY"
	ReasonOriginatorCancel   = "TELECOM_ORIGINATOR_CANCEL" // unanswered after the ring timeout, or cancelled by the API before answer
	ReasonTimeout            = "TELECOM_TIMEOUT"
	ReasonUnanswered         = "TELECOM_UNANSWERED"
	ReasonNumberInvalid      = "TELECOM_NUMBER_INVALID"
	ReasonTelecomProblem     = "TELECOM_PROBLEM"
	ReasonOther              = "OTHER" // e.g. StopContact on an answered call
)

// Contact states reported by Connect.Contact.
const (
	ContactInitiated    = "INITIATED"
	ContactConnected    = "CONNECTED"
	ContactDisconnected = "DISCONNECTED"
)

type callOutcome int

const (
	outcomeAnswer callOutcome = iota
	outcomeAnswerNoKey
	outcomeNoAnswer
	outcomeBusy
	outcomeFail
	outcomeHold
)

// CallBehavior is how the person at a number reacts to one call. Build one
// with Answer, AnswerNoKey, NoAnswer, Busy, Fail or Hold and adjust its
// timing with Ring, Talk and PressAfter.
type CallBehavior struct {
	outcome  callOutcome
	key      string
	ring     time.Duration
	ringSet  bool
	talk     time.Duration
	press    time.Duration
	reason   string
	describe string
}

// Answer: the callee answers after 8 s of ringing, listens to the alert,
// presses key 25 s after answering, and the flow confirms and hangs up 35 s
// after answering (CONTACT_FLOW_DISCONNECT).
func Answer(key string) CallBehavior {
	return CallBehavior{outcome: outcomeAnswer, key: key, ring: 8 * time.Second, talk: 35 * time.Second, press: 25 * time.Second, reason: ReasonFlowDisconnect, describe: "answer " + key}
}

// AnswerNoKey: answered (a person who presses nothing, or voicemail) after
// 8 s; no key is ever pressed and the flow gives up and hangs up after 100 s
// (CONTACT_FLOW_DISCONNECT). Use Reason(ReasonCustomerDisconnect) and Talk
// for a callee who hangs up.
func AnswerNoKey() CallBehavior {
	return CallBehavior{outcome: outcomeAnswerNoKey, ring: 8 * time.Second, talk: 100 * time.Second, reason: ReasonFlowDisconnect, describe: "answer without key"}
}

// NoAnswer: the phone rings until the ring timeout (the request's
// RingTimeoutInSeconds, else 60 s; Ring overrides it) and Connect gives up
// (TELECOM_ORIGINATOR_CANCEL).
func NoAnswer() CallBehavior {
	return CallBehavior{outcome: outcomeNoAnswer, reason: ReasonOriginatorCancel, describe: "no answer"}
}

// Busy: the line is busy; the call ends after 2 s (TELECOM_BUSY).
func Busy() CallBehavior {
	return CallBehavior{outcome: outcomeBusy, ring: 2 * time.Second, reason: ReasonBusy, describe: "busy"}
}

// Fail: the call cannot be delivered and ends after 1 s with reason (e.g.
// ReasonNumberInvalid, ReasonTelecomProblem).
func Fail(reason string) CallBehavior {
	return CallBehavior{outcome: outcomeFail, ring: time.Second, reason: reason, describe: "fail " + reason}
}

// Hold: answered after 8 s, then the line stays open with no key until
// StopContact ends it.
func Hold() CallBehavior {
	return CallBehavior{outcome: outcomeHold, ring: 8 * time.Second, describe: "hold"}
}

// Ring sets how long the phone rings before it is answered (or, for
// NoAnswer, before Connect gives up; for Busy and Fail, before the call
// ends). An answer that would come after the ring timeout becomes no answer.
func (b CallBehavior) Ring(d time.Duration) CallBehavior {
	b.ring, b.ringSet = d, true
	return b
}

// Talk sets how long an answered call lasts before it is disconnected.
func (b CallBehavior) Talk(d time.Duration) CallBehavior {
	b.talk = d
	if b.press > d {
		b.press = d
	}
	return b
}

// PressAfter sets when, after the answer, the key is pressed (at most Talk).
func (b CallBehavior) PressAfter(d time.Duration) CallBehavior {
	b.press = min(d, b.talk)
	return b
}

// Reason sets the DisconnectReason of the call's end.
func (b CallBehavior) Reason(reason string) CallBehavior {
	b.reason = reason
	return b
}

// String describes the behaviour ("answer 1", "busy", …).
func (b CallBehavior) String() string { return b.describe }

// ConnectCall is one call the fake placed (idempotent repeats place none).
type ConnectCall struct {
	ContactID     string
	Number        string // DestinationPhoneNumber
	Source        string // SourcePhoneNumber
	QueueID       string
	ContactFlowID string
	Attributes    map[string]string
	ClientToken   string
	At            time.Time // fake clock
	Behavior      string    // the scripted behaviour
}

// ConnectContact is the state of a contact at the fake's current time.
type ConnectContact struct {
	ContactID        string
	Number           string
	State            string // ContactInitiated, ContactConnected, ContactDisconnected
	InitiatedAt      time.Time
	ConnectedAt      time.Time // zero until answered
	DisconnectedAt   time.Time // zero until ended
	DisconnectReason string
	Key              string // the key pressed so far
	Stopped          bool   // ended by StopContact
}

type connectContact struct {
	call      ConnectCall
	b         CallBehavior
	initiated time.Time
	connected time.Time // zero: never answered
	keyAt     time.Time // zero: no key
	ended     time.Time // zero: open until stopped
	reason    string
	stopped   bool
}

type connectToken struct {
	contactID string
	number    string
	at        time.Time
}

type connectFailure struct {
	op        string // "" for any
	errorType string
	message   string
}

// NewConnect starts a fake Connect API with one instance
// (ConnectDefaultInstanceID) holding one published contact flow, one queue
// and one claimed phone number. Option: WithClock (call lifecycle,
// ClientToken expiry, EnforceRate).
func NewConnect(t testing.TB, opts ...Option) *Connect {
	t.Helper()
	c := &Connect{
		Server:        newServer(t, "connect", opts, connectServerError),
		instanceID:    ConnectDefaultInstanceID,
		flowIDs:       map[string]bool{ConnectDefaultContactFlowID: true},
		queueIDs:      map[string]bool{ConnectDefaultQueueID: true},
		sources:       map[string]bool{ConnectDefaultSourcePhone: true},
		region:        ConnectDefaultRegion,
		keyAttr:       DefaultKeyAttribute,
		scripts:       map[string][]CallBehavior{},
		def:           NoAnswer(),
		contacts:      map[string]*connectContact{},
		live:          map[string]*connectContact{},
		tokens:        map[string]connectToken{},
		perNumber:     map[string]int{},
		ops:           map[string]int{},
		denied:        []string{"+447"},
		maxConcurrent: ConnectDefaultMaxConcurrent,
		changed:       make(chan struct{}),
	}
	c.start(c.serve)
	return c
}

// URL is the endpoint: connect.Options.BaseEndpoint or AWS_ENDPOINT_URL_CONNECT.
func (c *Connect) URL() string { return c.BaseURL() }

// InstanceID, ContactFlowID, QueueID, SourcePhone and Region identify the
// fake's instance, its flow, queue and claimed number, and the signing region.
func (c *Connect) InstanceID() string    { return c.instanceID }
func (c *Connect) ContactFlowID() string { return ConnectDefaultContactFlowID }
func (c *Connect) QueueID() string       { return ConnectDefaultQueueID }
func (c *Connect) SourcePhone() string   { return ConnectDefaultSourcePhone }
func (c *Connect) Region() string        { return c.region }

// Credentials returns the static credentials the fake accepts.
func (c *Connect) Credentials() aws.CredentialsProvider {
	return staticCredentials(ConnectAccessKeyID, ConnectSecretAccessKey, "fake.Connect")
}

// SetKeyAttribute changes the contact attribute that receives the pressed
// key (default DefaultKeyAttribute).
func (c *Connect) SetKeyAttribute(name string) {
	c.mu.Lock()
	c.keyAttr = name
	c.mu.Unlock()
}

// Script queues behaviours for calls to number (E.164): each call to it
// takes the next one; once they are used up, calls get the default.
func (c *Connect) Script(number string, behaviors ...CallBehavior) {
	c.mu.Lock()
	c.scripts[number] = append(c.scripts[number], behaviors...)
	c.mu.Unlock()
}

// SetDefault sets the behaviour of calls to numbers with no script left
// (NoAnswer by default).
func (c *Connect) SetDefault(b CallBehavior) {
	c.mu.Lock()
	c.def = b
	c.mu.Unlock()
}

// DenyDestinations replaces the prefixes of numbers Connect refuses to call
// with DestinationNotAllowedException (default "+447", UK mobiles, as in a
// new instance). No prefixes allows every number.
func (c *Connect) DenyDestinations(prefixes ...string) {
	c.mu.Lock()
	c.denied = slices.Clone(prefixes)
	c.mu.Unlock()
}

// SetMaxConcurrent sets the quota of simultaneous active calls (default
// ConnectDefaultMaxConcurrent); 0 means no limit.
func (c *Connect) SetMaxConcurrent(n int) {
	c.mu.Lock()
	c.maxConcurrent = n
	c.mu.Unlock()
}

// NewContactAfterDisconnect makes a repeated ClientToken place a new call
// when the token's call has ended (the behaviour older API references
// described); by default the token returns its first ContactId for 7 days.
func (c *Connect) NewContactAfterDisconnect(on bool) {
	c.mu.Lock()
	c.newAfterEnd = on
	c.mu.Unlock()
}

// EnforceRate limits API requests (all operations together) to perSecond
// with bursts of burst, measured on the fake's clock; requests beyond it get
// ThrottlingException (429). perSecond 0 turns the limit off.
func (c *Connect) EnforceRate(perSecond float64, burst int) {
	c.mu.Lock()
	c.limit.set(perSecond, burst, c.opt.now())
	c.mu.Unlock()
}

// Throttle makes the next n API requests fail with ThrottlingException (429).
func (c *Connect) Throttle(n int) { c.FailOp("", n, "ThrottlingException") }

// FailOp makes the next n requests of operation op ("StartOutboundVoiceContact",
// "DescribeContact", "GetContactAttributes", "StopContact"; "" for any) fail
// with the Connect error errorType (e.g. "DestinationNotAllowedException",
// "InternalServiceException"), after they authenticate. Nothing happens:
// no call is placed, no contact stopped.
func (c *Connect) FailOp(op string, n int, errorType string) {
	if _, ok := connectErrorStatus[errorType]; !ok {
		c.tb.Errorf("fake connect: FailOp: unknown error type %q", errorType)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for range n {
		c.failures = append(c.failures, connectFailure{op: op, errorType: errorType, message: "injected " + errorType})
	}
}

// OnCall registers f to run for every call placed, before the API answers
// (so f can, e.g., move the test's clock or signal a channel). f runs on the
// fake's handler goroutine and must not call back into the API.
func (c *Connect) OnCall(f func(ConnectCall)) {
	c.mu.Lock()
	c.onCall = append(c.onCall, f)
	c.mu.Unlock()
}

// Calls returns every call placed so far, in order.
func (c *Connect) Calls() []ConnectCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]ConnectCall, len(c.calls))
	for i, call := range c.calls {
		out[i] = call
		out[i].Attributes = maps.Clone(call.Attributes)
	}
	return out
}

// CallCount is the number of calls placed to number.
func (c *Connect) CallCount(number string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.perNumber[number]
}

// OpCount is the number of requests for op that reached the API (rejected
// and throttled ones included; FailNext and SetUnavailable failures never
// reach it).
func (c *Connect) OpCount(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops[op]
}

// Active is the number of calls active (initiated, not yet disconnected) at
// the fake's current time.
func (c *Connect) Active() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.activeLocked(c.opt.now())
}

// MaxActive is the largest number of calls that were active at once.
func (c *Connect) MaxActive() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.maxActive
}

// Contact returns the state of a contact at the fake's current time.
func (c *Connect) Contact(contactID string) (ConnectContact, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.contacts[contactID]
	if !ok {
		return ConnectContact{}, false
	}
	return k.snapshot(c.opt.now()), true
}

// WaitForCalls waits until at least n calls have been placed and returns
// them (Calls), failing the test after timeout (wall clock). It blocks on a
// notification of each new call, not a polling loop.
func (c *Connect) WaitForCalls(t testing.TB, n int, timeout time.Duration) []ConnectCall {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		c.mu.Lock()
		got, ch := len(c.calls), c.changed
		c.mu.Unlock()
		if got >= n {
			return c.Calls()
		}
		select {
		case <-ch:
		case <-timer.C:
			t.Fatalf("fake connect: %d calls placed, want %d within %v", got, n, timeout)
			return nil
		}
	}
}

// activeLocked counts the calls active at t.
func (c *Connect) activeLocked(t time.Time) int {
	n := 0
	if t.Before(c.liveAt) {
		// The clock went back: calls ended since may be active again.
		for _, k := range c.contacts {
			if k.activeAt(t) {
				n++
			}
		}
		return n
	}
	c.liveAt = t
	for id, k := range c.live {
		if k.endedAt(t) {
			delete(c.live, id)
			continue
		}
		if k.activeAt(t) {
			n++
		}
	}
	return n
}

func (k *connectContact) activeAt(t time.Time) bool {
	return !t.Before(k.initiated) && (k.ended.IsZero() || t.Before(k.ended))
}

func (k *connectContact) endedAt(t time.Time) bool { return !k.ended.IsZero() && !t.Before(k.ended) }

func (k *connectContact) connectedAt(t time.Time) bool {
	return !k.connected.IsZero() && !t.Before(k.connected)
}

func (k *connectContact) pressedAt(t time.Time) string {
	if k.b.key == "" || k.keyAt.IsZero() || t.Before(k.keyAt) {
		return ""
	}
	return k.b.key
}

func (k *connectContact) snapshot(now time.Time) ConnectContact {
	s := ConnectContact{
		ContactID:   k.call.ContactID,
		Number:      k.call.Number,
		State:       ContactInitiated,
		InitiatedAt: k.initiated,
		Key:         k.pressedAt(now),
		Stopped:     k.stopped && k.endedAt(now),
	}
	if k.connectedAt(now) {
		s.State, s.ConnectedAt = ContactConnected, k.connected
	}
	if k.endedAt(now) {
		s.State, s.DisconnectedAt, s.DisconnectReason = ContactDisconnected, k.ended, k.reason
	}
	return s
}

// planCall lays out a new call's timeline from its behaviour.
func planCall(b CallBehavior, now time.Time, ringLimit time.Duration) *connectContact {
	k := &connectContact{b: b, initiated: now, reason: b.reason}
	switch b.outcome {
	case outcomeNoAnswer:
		d := ringLimit
		if b.ringSet {
			d = b.ring
		}
		k.ended = now.Add(d)
		return k
	case outcomeBusy, outcomeFail:
		k.ended = now.Add(b.ring)
		return k
	}
	if b.ring >= ringLimit { // nobody picks up in time
		k.ended, k.reason = now.Add(ringLimit), ReasonOriginatorCancel
		return k
	}
	k.connected = now.Add(b.ring)
	switch b.outcome {
	case outcomeAnswer:
		k.keyAt = k.connected.Add(b.press)
		k.ended = k.connected.Add(b.talk)
	case outcomeAnswerNoKey:
		k.ended = k.connected.Add(b.talk)
	}
	return k
}

// connectAPIError is an error answer of the fake.
type connectAPIError struct {
	status    int
	errorType string
	message   string
}

func connectErr(errorType, format string, args ...any) *connectAPIError {
	status, ok := connectErrorStatus[errorType]
	if !ok {
		status = http.StatusBadRequest
	}
	return &connectAPIError{status: status, errorType: errorType, message: fmt.Sprintf(format, args...)}
}

// connectErrorStatus is the HTTP status Connect answers each error with.
var connectErrorStatus = map[string]int{
	"AccessDeniedException":                http.StatusForbidden,
	"ContactNotFoundException":             http.StatusGone,
	"DestinationNotAllowedException":       http.StatusForbidden,
	"IdempotencyException":                 http.StatusConflict,
	"InternalServiceException":             http.StatusInternalServerError,
	"InvalidParameterException":            http.StatusBadRequest,
	"InvalidRequestException":              http.StatusBadRequest,
	"LimitExceededException":               http.StatusTooManyRequests,
	"OutboundContactNotPermittedException": http.StatusForbidden,
	"ResourceNotFoundException":            http.StatusNotFound,
	"ServiceQuotaExceededException":        http.StatusPaymentRequired,
	"ThrottlingException":                  http.StatusTooManyRequests,
	"TooManyRequestsException":             http.StatusTooManyRequests,
	"ServiceUnavailableException":          http.StatusServiceUnavailable,
	"SerializationException":               http.StatusBadRequest,
	"UnknownOperationException":            http.StatusNotFound,
	"ValidationException":                  http.StatusBadRequest,
	"MissingAuthenticationTokenException":  http.StatusForbidden,
	"IncompleteSignatureException":         http.StatusForbidden,
	"InvalidSignatureException":            http.StatusForbidden,
	"UnrecognizedClientException":          http.StatusForbidden,
}

// connectServerError renders the shared Server's failures (FailNext,
// SetUnavailable) in Connect's JSON error shape.
func connectServerError(status int, msg string) (string, []byte) {
	code := "InvalidRequestException"
	switch {
	case status == http.StatusTooManyRequests:
		code, msg = "TooManyRequestsException", "Rate exceeded"
	case status == http.StatusServiceUnavailable:
		code, msg = "ServiceUnavailableException", "Service Unavailable"
	case status >= 500:
		code, msg = "InternalServiceException", "Request processing failed because of an error or failure with the service."
	case status == http.StatusNotFound:
		code = "ResourceNotFoundException"
	case status == http.StatusForbidden:
		code = "AccessDeniedException"
	}
	b, _ := json.Marshal(map[string]string{"__type": code, "Message": msg})
	return "application/json", b
}

func (c *Connect) writeErr(w http.ResponseWriter, e *connectAPIError) {
	if e.errorType == "ValidationException" {
		// A request that breaks a constraint of the API model (a length, a
		// range) is refused before the operation runs, by AWS's request
		// validation: the error type carries its namespace and the body's
		// key is lower-case.
		w.Header().Set("X-Amzn-ErrorType", "ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/")
		c.writeJSON(w, e.status, map[string]string{"message": e.message})
		return
	}
	w.Header().Set("X-Amzn-ErrorType", e.errorType)
	c.writeJSON(w, e.status, map[string]string{"Message": e.message})
}

func (c *Connect) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// route finds the operation of a request and its path parameters.
func connectRoute(method, path string) (op string, params []string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case method == http.MethodPut && path == "/contact/outbound-voice":
		return "StartOutboundVoiceContact", nil
	case method == http.MethodPost && path == "/contact/stop":
		return "StopContact", nil
	case method == http.MethodGet && len(parts) == 3 && parts[0] == "contacts":
		return "DescribeContact", parts[1:]
	case method == http.MethodGet && len(parts) == 4 && parts[0] == "contact" && parts[1] == "attributes":
		return "GetContactAttributes", parts[2:]
	}
	return "", nil
}

func (c *Connect) serve(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.requestSeq++
	w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("c0de%04x-5eed-4a11-8c0d-%012x", c.requestSeq&0xffff, c.requestSeq))
	c.mu.Unlock()

	op, params := connectRoute(r.Method, r.URL.Path)
	if op == "" {
		c.writeErr(w, connectErr("UnknownOperationException", "Unknown operation %s %s", r.Method, r.URL.Path))
		return
	}
	c.mu.Lock()
	c.ops[op]++
	c.mu.Unlock()

	body, _ := io.ReadAll(r.Body)
	if e := c.authenticate(r, body); e != nil {
		c.writeErr(w, e)
		return
	}
	if e := c.injected(op); e != nil {
		c.writeErr(w, e)
		return
	}
	var (
		out any
		e   *connectAPIError
	)
	switch op {
	case "StartOutboundVoiceContact":
		out, e = c.startOutboundVoiceContact(r, body)
	case "DescribeContact":
		out, e = c.describeContact(params[0], params[1])
	case "GetContactAttributes":
		out, e = c.getContactAttributes(params[0], params[1])
	case "StopContact":
		out, e = c.stopContact(r, body)
	}
	if e != nil {
		c.writeErr(w, e)
		return
	}
	c.accept(func() {})
	c.writeJSON(w, http.StatusOK, out)
}

// injected applies EnforceRate, Throttle and FailOp to a request of op.
func (c *Connect) injected(op string) *connectAPIError {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, f := range c.failures {
		if f.op == "" || f.op == op {
			c.failures = slices.Delete(c.failures, i, i+1)
			return connectErr(f.errorType, "%s", f.message)
		}
	}
	if !c.limit.take(1, c.opt.now()) {
		return connectErr("ThrottlingException", "Rate exceeded")
	}
	return nil
}

// authenticate checks the SigV4 Authorization header against the fake's
// credentials and region.
func (c *Connect) authenticate(r *http.Request, body []byte) *connectAPIError {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return connectErr("MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return connectErr("IncompleteSignatureException", "Unsupported authorization type; expected AWS4-HMAC-SHA256")
	}
	params := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		params[k] = v
	}
	cred, signedHeaders, signature := params["Credential"], params["SignedHeaders"], params["Signature"]
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || signedHeaders == "" || signature == "" {
		return connectErr("IncompleteSignatureException", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.")
	}
	akid, day, region, service := scope[0], scope[1], scope[2], scope[3]
	if akid != ConnectAccessKeyID {
		return connectErr("UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	if service != "connect" {
		return connectErr("InvalidSignatureException", "Credential should be scoped to correct service: 'connect'.")
	}
	if region != c.region {
		return connectErr("InvalidSignatureException", "Credential should be scoped to a valid region.")
	}
	amzDate := r.Header.Get("X-Amz-Date")
	signedAt, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil || day != amzDate[:8] {
		return connectErr("IncompleteSignatureException", "X-Amz-Date %q is missing, malformed or does not match the credential scope", amzDate)
	}
	if d := time.Since(signedAt); d > connectSignatureWindow || d < -connectSignatureWindow {
		return connectErr("InvalidSignatureException", "Signature expired: %s is outside the allowed window", amzDate)
	}
	headers := strings.Split(signedHeaders, ";")
	if !slices.Contains(headers, "host") || !slices.Contains(headers, "x-amz-date") {
		return connectErr("InvalidSignatureException", "'Host' and 'X-Amz-Date' must be signed headers")
	}
	want, wantHeaders, err := c.signature(r, body, headers, region, signedAt)
	if err != nil || wantHeaders != signedHeaders || !hmac.Equal([]byte(want), []byte(signature)) {
		return connectErr("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	}
	return nil
}

// signature recomputes a request's SigV4 signature (see sigV4).
func (c *Connect) signature(r *http.Request, body []byte, signed []string, region string, at time.Time) (signature, signedHeaders string, err error) {
	sum := sha256.Sum256(body)
	return sigV4(r, hex.EncodeToString(sum[:]), signed, ConnectAccessKeyID, ConnectSecretAccessKey, "connect", region, at, false)
}

var (
	e164Pattern         = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	attributeKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

type startOutboundVoiceContactInput struct {
	InstanceId             *string
	ContactFlowId          *string
	DestinationPhoneNumber *string
	SourcePhoneNumber      *string
	QueueId                *string
	ClientToken            *string
	Attributes             map[string]string
	RingTimeoutInSeconds   *int
}

func connectStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (c *Connect) startOutboundVoiceContact(r *http.Request, body []byte) (any, *connectAPIError) {
	if !contentTypeIs(r, "application/json") {
		return nil, connectErr("SerializationException", "Expected Content-Type application/json")
	}
	var in startOutboundVoiceContactInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, connectErr("SerializationException", "Malformed request body: %v", err)
	}
	instance, flow, dest := connectStr(in.InstanceId), connectStr(in.ContactFlowId), connectStr(in.DestinationPhoneNumber)
	source, queue, token := connectStr(in.SourcePhoneNumber), connectStr(in.QueueId), connectStr(in.ClientToken)
	switch {
	case instance == "":
		return nil, connectErr("InvalidParameterException", "InstanceId is required")
	case flow == "":
		return nil, connectErr("InvalidParameterException", "ContactFlowId is required")
	case dest == "":
		return nil, connectErr("InvalidParameterException", "DestinationPhoneNumber is required")
	case len(token) > connectMaxClientToken:
		return nil, connectErr("InvalidParameterException", "ClientToken must be at most %d characters, got %d", connectMaxClientToken, len(token))
	case in.RingTimeoutInSeconds != nil && *in.RingTimeoutInSeconds < connectMinRingTimeout:
		return nil, connectErr("ValidationException", "1 validation error detected: Value '%d' at 'ringTimeoutInSeconds' failed to satisfy constraint: Member must have value greater than or equal to %d", *in.RingTimeoutInSeconds, connectMinRingTimeout)
	case in.RingTimeoutInSeconds != nil && *in.RingTimeoutInSeconds > connectMaxRingTimeout:
		return nil, connectErr("ValidationException", "1 validation error detected: Value '%d' at 'ringTimeoutInSeconds' failed to satisfy constraint: Member must have value less than or equal to %d", *in.RingTimeoutInSeconds, connectMaxRingTimeout)
	}
	if instance != c.instanceID {
		return nil, connectErr("ResourceNotFoundException", "Instance %s not found", instance)
	}
	if !e164Pattern.MatchString(dest) {
		return nil, connectErr("InvalidParameterException", "DestinationPhoneNumber is not a valid E.164 phone number")
	}
	size := 0
	for k, v := range in.Attributes {
		if !attributeKeyPattern.MatchString(k) {
			return nil, connectErr("InvalidParameterException", "Attribute key %q may contain only alphanumeric, dash and underscore characters", k)
		}
		size += len(k) + len(v)
	}
	if size > connectMaxAttributeBytes {
		return nil, connectErr("InvalidParameterException", "Attributes are %d bytes; at most %d are allowed", size, connectMaxAttributeBytes)
	}

	c.mu.Lock()
	now := c.opt.now()
	if !c.flowIDs[flow] {
		c.mu.Unlock()
		return nil, connectErr("ResourceNotFoundException", "Contact flow %s not found in instance %s", flow, instance)
	}
	switch {
	case source == "" && queue == "":
		c.mu.Unlock()
		return nil, connectErr("InvalidParameterException", "Either SourcePhoneNumber or QueueId must be specified")
	case source != "" && !c.sources[source]:
		c.mu.Unlock()
		return nil, connectErr("InvalidParameterException", "SourcePhoneNumber %s is not claimed by instance %s", source, instance)
	case queue != "" && !c.queueIDs[queue]:
		c.mu.Unlock()
		return nil, connectErr("ResourceNotFoundException", "Queue %s not found in instance %s", queue, instance)
	}
	for _, p := range c.denied {
		if strings.HasPrefix(dest, p) {
			c.mu.Unlock()
			return nil, connectErr("DestinationNotAllowedException", "Outbound calls to the destination number are not allowed.")
		}
	}
	if token != "" {
		if t, ok := c.tokens[token]; ok && now.Sub(t.at) < connectTokenTTL {
			if t.number != dest {
				c.tb.Errorf("fake connect: ClientToken %q reused for %s, first used for %s: the second person is never called", token, dest, t.number)
			}
			prev := c.contacts[t.contactID]
			if !c.newAfterEnd || !prev.endedAt(now) {
				c.mu.Unlock()
				return map[string]string{"ContactId": t.contactID}, nil
			}
		}
	}
	active := c.activeLocked(now)
	if c.maxConcurrent > 0 && active >= c.maxConcurrent {
		c.mu.Unlock()
		return nil, connectErr("LimitExceededException", "The allowed limit for the resource has been exceeded: %d concurrent active calls", c.maxConcurrent)
	}

	b := c.def
	if q := c.scripts[dest]; len(q) > 0 {
		b, c.scripts[dest] = q[0], q[1:]
	}
	ringLimit := connectDefaultRingLimit
	if in.RingTimeoutInSeconds != nil {
		ringLimit = time.Duration(*in.RingTimeoutInSeconds) * time.Second
	}
	c.seq++
	id := fmt.Sprintf("c0ffee%02x-%04x-4%03x-8%03x-%012x", c.seq&0xff, (c.seq>>8)&0xffff, c.seq&0xfff, (c.seq>>4)&0xfff, c.seq)
	k := planCall(b, now, ringLimit)
	k.call = ConnectCall{
		ContactID:     id,
		Number:        dest,
		Source:        source,
		QueueID:       queue,
		ContactFlowID: flow,
		Attributes:    maps.Clone(in.Attributes),
		ClientToken:   token,
		At:            now,
		Behavior:      b.String(),
	}
	c.contacts[id] = k
	c.live[id] = k
	if token != "" {
		c.tokens[token] = connectToken{contactID: id, number: dest, at: now}
	}
	c.calls = append(c.calls, k.call)
	c.perNumber[dest]++
	c.maxActive = max(c.maxActive, active+1)
	close(c.changed)
	c.changed = make(chan struct{})
	hooks := slices.Clone(c.onCall)
	call := k.call
	call.Attributes = maps.Clone(k.call.Attributes)
	c.mu.Unlock()

	for _, f := range hooks {
		f(call)
	}
	return map[string]string{"ContactId": id}, nil
}

// epochSeconds marshals a time as REST JSON does: seconds since the epoch.
type epochSeconds time.Time

func (t epochSeconds) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(time.Time(t).UnixMilli())/1000, 'f', -1, 64)), nil
}

type connectEndpoint struct {
	Type    string
	Address string
}

type connectContactOut struct {
	Arn                        string
	Id                         string
	Channel                    string
	InitiationMethod           string
	InitiationTimestamp        epochSeconds
	ConnectedToSystemTimestamp *epochSeconds `json:",omitempty"`
	DisconnectTimestamp        *epochSeconds `json:",omitempty"`
	DisconnectReason           string        `json:",omitempty"`
	LastUpdateTimestamp        epochSeconds
	CustomerEndpoint           connectEndpoint
	SystemEndpoint             *connectEndpoint `json:",omitempty"`
}

// lookup finds a contact of the fake's instance.
func (c *Connect) lookupLocked(instance, contactID string) (*connectContact, *connectAPIError) {
	if instance != c.instanceID {
		return nil, connectErr("ResourceNotFoundException", "Instance %s not found", instance)
	}
	k, ok := c.contacts[contactID]
	if !ok {
		return nil, connectErr("ResourceNotFoundException", "Contact %s not found", contactID)
	}
	return k, nil
}

func (c *Connect) describeContact(instance, contactID string) (any, *connectAPIError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, e := c.lookupLocked(instance, contactID)
	if e != nil {
		return nil, e
	}
	now := c.opt.now()
	out := connectContactOut{
		Arn:                 fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s/contact/%s", c.region, ConnectAccountID, c.instanceID, contactID),
		Id:                  contactID,
		Channel:             "VOICE",
		InitiationMethod:    "API", // StartOutboundVoiceContact contacts are API-initiated
		InitiationTimestamp: epochSeconds(k.initiated),
		LastUpdateTimestamp: epochSeconds(k.initiated),
		CustomerEndpoint:    connectEndpoint{Type: "TELEPHONE_NUMBER", Address: k.call.Number},
	}
	if k.call.Source != "" {
		out.SystemEndpoint = &connectEndpoint{Type: "TELEPHONE_NUMBER", Address: k.call.Source}
	}
	if k.connectedAt(now) {
		t := epochSeconds(k.connected)
		out.ConnectedToSystemTimestamp, out.LastUpdateTimestamp = &t, t
	}
	if key := k.pressedAt(now); key != "" {
		out.LastUpdateTimestamp = epochSeconds(k.keyAt)
	}
	if k.endedAt(now) {
		t := epochSeconds(k.ended)
		out.DisconnectTimestamp, out.DisconnectReason, out.LastUpdateTimestamp = &t, k.reason, t
	}
	return map[string]any{"Contact": out}, nil
}

func (c *Connect) getContactAttributes(instance, contactID string) (any, *connectAPIError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, e := c.lookupLocked(instance, contactID)
	if e != nil {
		return nil, e
	}
	attrs := maps.Clone(k.call.Attributes)
	if attrs == nil {
		attrs = map[string]string{}
	}
	if key := k.pressedAt(c.opt.now()); key != "" {
		attrs[c.keyAttr] = key
	}
	return map[string]any{"Attributes": attrs}, nil
}

type stopContactInput struct {
	ContactId  *string
	InstanceId *string
}

func (c *Connect) stopContact(r *http.Request, body []byte) (any, *connectAPIError) {
	if !contentTypeIs(r, "application/json") {
		return nil, connectErr("SerializationException", "Expected Content-Type application/json")
	}
	var in stopContactInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, connectErr("SerializationException", "Malformed request body: %v", err)
	}
	instance, id := connectStr(in.InstanceId), connectStr(in.ContactId)
	if instance == "" || id == "" {
		return nil, connectErr("InvalidParameterException", "InstanceId and ContactId are required")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if instance != c.instanceID {
		return nil, connectErr("ResourceNotFoundException", "Instance %s not found", instance)
	}
	k, ok := c.contacts[id]
	now := c.opt.now()
	if !ok || k.endedAt(now) {
		return nil, connectErr("ContactNotFoundException", "The contact with the specified ID is not active or does not exist.")
	}
	k.stopped = true
	k.ended = now
	if k.connectedAt(now) {
		k.reason = ReasonOther
	} else {
		k.connected, k.reason = time.Time{}, ReasonOriginatorCancel
	}
	if !k.keyAt.IsZero() && now.Before(k.keyAt) {
		k.keyAt = time.Time{}
	}
	return struct{}{}, nil
}
