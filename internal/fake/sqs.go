package fake

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// SQS is a fake Amazon SQS speaking the AWS JSON 1.0 protocol of the SDK
// for Go v2:
//
//	POST /  X-Amz-Target: AmazonSQS.ReceiveMessage
//	        Content-Type: application/x-amz-json-1.0
//
// Point the SDK at URL() (sqs.Options.BaseEndpoint, or
// AWS_ENDPOINT_URL_SQS) with Credentials() and Region(). Requests must
// carry a SigV4 signature for service "sqs" in Region(), signed with the
// fake's key (or WithAWSKey's) within 15 minutes of the wall clock.
//
// Operations: SendMessage, ReceiveMessage (long polling: WaitTimeSeconds
// up to 20, answered as soon as a message is visible; a visibility
// timeout per receive or the queue's; ApproximateReceiveCount and the
// other system attributes), ChangeMessageVisibility, DeleteMessage,
// DeleteMessageBatch (entry by entry, with Failed entries for stale
// receipt handles), GetQueueUrl and GetQueueAttributes. Members are
// checked by name and range as SQS does; errors use the JSON shape
// {"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": …} with
// the x-amzn-query-error header, so the SDK returns its typed errors.
//
// Receipt handles are new at every receive; an old one is refused
// (ReceiptHandleIsInvalid), which is what a consumer that held a message
// past its visibility timeout meets. A queue with a redrive policy
// (SetRedrive) moves a message to its dead-letter queue when it would be
// received more than maxReceiveCount times.
//
// Time: visibility timeouts run on the fake's clock (WithClock); Expire
// ends every running visibility timeout at once, so a test sees a message
// redelivered without waiting.
type SQS struct {
	*Server

	mu     sync.Mutex
	region string
	queues map[string]*sqsQueue
	ops    map[string]int // successful requests by operation
	seq    int
	*recorder
}

// Identity of an SQS fake.
const (
	SQSDefaultRegion   = "ap-northeast-1"
	SQSAccountID       = "123456789012"
	SQSAccessKeyID     = "AKIAFAKESQS000000001"
	SQSSecretAccessKey = "fakeSqsSecretKey/0001+wJalrXUtnFEMIK7MDENGbPx"

	sqsTarget      = "AmazonSQS."
	sqsContentType = "application/x-amz-json-1.0"
	sqsErrorPrefix = "com.amazonaws.sqs#"
	sqsMaxBody     = 256 * 1024
)

type sqsQueue struct {
	name        string
	visibility  time.Duration
	msgs        []*SQSMessage
	redriveTo   string
	maxReceives int
}

// SQSMessage is a message in a fake queue.
type SQSMessage struct {
	Queue     string
	MessageID string
	Body      string
	SentAt    time.Time
	// Receives is ApproximateReceiveCount.
	Receives     int
	FirstReceive time.Time
	// VisibleAt is when it can be received again (zero: now).
	VisibleAt time.Time
	// Deleted says a consumer deleted it; MovedTo names the dead-letter
	// queue the redrive policy moved it to.
	Deleted bool
	MovedTo string
	handle  string
}

// NewSQS starts a fake SQS with no queues (CreateQueue adds them).
// Options: WithClock, WithAWSKey.
func NewSQS(t testing.TB, opts ...Option) *SQS {
	t.Helper()
	s := &SQS{Server: newServer(t, "sqs", opts, sqsServerError), region: SQSDefaultRegion, queues: map[string]*sqsQueue{}, ops: map[string]int{}}
	s.recorder = newRecorder(t, &s.mu)
	s.start(s.serve)
	return s
}

// URL is the endpoint: sqs.Options.BaseEndpoint or AWS_ENDPOINT_URL_SQS.
func (s *SQS) URL() string { return s.BaseURL() }

// Region is the signing region the fake accepts.
func (s *SQS) Region() string { return s.region }

// Credentials returns the static credentials the fake accepts.
func (s *SQS) Credentials() aws.CredentialsProvider {
	akid, secret := s.awsKey()
	return staticCredentials(akid, secret, "fake.SQS")
}

func (s *SQS) awsKey() (string, string) {
	if s.opt.awsKey != "" {
		return s.opt.awsKey, s.opt.awsSecret
	}
	return SQSAccessKeyID, SQSSecretAccessKey
}

// CreateQueue adds a queue with a default visibility timeout of 30 s and
// returns its URL.
func (s *SQS) CreateQueue(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queues[name] == nil {
		s.queues[name] = &sqsQueue{name: name, visibility: 30 * time.Second}
	}
	return s.queueURL(name)
}

func (s *SQS) queueURL(name string) string { return s.BaseURL() + "/" + SQSAccountID + "/" + name }

// SetRedrive gives queue a redrive policy: a message that would be
// received more than maxReceiveCount times moves to the queue dlq.
func (s *SQS) SetRedrive(queue, dlq string, maxReceiveCount int) {
	s.CreateQueue(dlq)
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[queue]
	if q == nil {
		s.tb.Errorf("fake sqs: SetRedrive: no queue %q", queue)
		return
	}
	q.redriveTo, q.maxReceives = dlq, maxReceiveCount
}

// Send puts a message in a queue, as SendMessage would, and returns its id.
func (s *SQS) Send(queue, body string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[queue]
	if q == nil {
		s.tb.Errorf("fake sqs: Send: no queue %q", queue)
		return ""
	}
	return s.sendLocked(q, body)
}

// SendReceived puts a message in a queue as if consumers had received it
// receives times already and never deleted it (they crashed while
// processing it): its next receive has ApproximateReceiveCount
// receives+1.
func (s *SQS) SendReceived(queue, body string, receives int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[queue]
	if q == nil {
		s.tb.Errorf("fake sqs: SendReceived: no queue %q", queue)
		return ""
	}
	id := s.sendLocked(q, body)
	m := q.msgs[len(q.msgs)-1]
	m.Receives, m.FirstReceive = receives, s.opt.now()
	return id
}

func (s *SQS) sendLocked(q *sqsQueue, body string) string {
	m := &SQSMessage{Queue: q.name, MessageID: newUUID(), Body: body, SentAt: s.opt.now()}
	q.msgs = append(q.msgs, m)
	s.notifyLocked()
	return m.MessageID
}

// Expire ends every running visibility timeout: messages received and
// not deleted are visible again at once.
func (s *SQS) Expire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.queues {
		for _, m := range q.msgs {
			m.VisibleAt = time.Time{}
		}
	}
	s.notifyLocked()
}

// Messages returns the messages ever sent to queue (deleted ones too).
func (s *SQS) Messages(queue string) []SQSMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SQSMessage
	if q := s.queues[queue]; q != nil {
		for _, m := range q.msgs {
			out = append(out, *m)
		}
	}
	return out
}

// Message returns one message of queue by id.
func (s *SQS) Message(queue, id string) (SQSMessage, bool) {
	for _, m := range s.Messages(queue) {
		if m.MessageID == id {
			return m, true
		}
	}
	return SQSMessage{}, false
}

// WaitDeleted waits until the messages are deleted (or moved to a
// dead-letter queue), failing the test after timeout.
func (s *SQS) WaitDeleted(t testing.TB, queue string, timeout time.Duration, ids ...string) {
	t.Helper()
	ok := s.waitChanged(timeout, func() bool {
		q := s.queues[queue]
		if q == nil {
			return false
		}
		for _, id := range ids {
			i := slices.IndexFunc(q.msgs, func(m *SQSMessage) bool { return m.MessageID == id })
			if i < 0 || !(q.msgs[i].Deleted || q.msgs[i].MovedTo != "") {
				return false
			}
		}
		return true
	})
	if !ok {
		var left []string
		for _, m := range s.Messages(queue) {
			if slices.Contains(ids, m.MessageID) && !m.Deleted && m.MovedTo == "" {
				left = append(left, fmt.Sprintf("%s (received %d times)", m.MessageID, m.Receives))
			}
		}
		t.Fatalf("fake sqs: messages of %s not deleted within %v: %s", queue, timeout, strings.Join(left, ", "))
	}
}

// WaitReceives waits until the message was received at least n times.
func (s *SQS) WaitReceives(t testing.TB, queue, id string, n int, timeout time.Duration) {
	t.Helper()
	ok := s.waitChanged(timeout, func() bool {
		q := s.queues[queue]
		if q == nil {
			return false
		}
		i := slices.IndexFunc(q.msgs, func(m *SQSMessage) bool { return m.MessageID == id })
		return i >= 0 && q.msgs[i].Receives >= n
	})
	if !ok {
		m, _ := s.Message(queue, id)
		t.Fatalf("fake sqs: message %s of %s received %d times, want %d within %v", id, queue, m.Receives, n, timeout)
	}
}

// OpCount is the number of successful requests of the operation
// ("ReceiveMessage").
func (s *SQS) OpCount(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ops[op]
}

// WaitOp waits until n requests of the operation succeeded.
func (s *SQS) WaitOp(t testing.TB, op string, n int, timeout time.Duration) {
	t.Helper()
	if !s.waitChanged(timeout, func() bool { return s.ops[op] >= n }) {
		t.Fatalf("fake sqs: %d %s requests, want %d within %v", s.OpCount(op), op, n, timeout)
	}
}

// sqsErrors: the query-compatible code and HTTP status of each error.
var sqsErrors = map[string]struct {
	query  string
	status int
}{
	"QueueDoesNotExist":            {"AWS.SimpleQueueService.NonExistentQueue", 400},
	"ReceiptHandleIsInvalid":       {"ReceiptHandleIsInvalid", 400},
	"MessageNotInflight":           {"AWS.SimpleQueueService.MessageNotInflight", 400},
	"InvalidParameterValue":        {"InvalidParameterValue", 400},
	"MissingParameter":             {"MissingParameter", 400},
	"EmptyBatchRequest":            {"AWS.SimpleQueueService.EmptyBatchRequest", 400},
	"TooManyEntriesInBatchRequest": {"AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400},
	"BatchEntryIdsNotDistinct":     {"AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400},
	"InvalidBatchEntryId":          {"AWS.SimpleQueueService.InvalidBatchEntryId", 400},
	"InvalidMessageContents":       {"InvalidMessageContents", 400},
	"UnsupportedOperation":         {"AWS.SimpleQueueService.UnsupportedOperation", 400},
	"InvalidAddress":               {"InvalidAddress", 404},
	"RequestThrottled":             {"RequestThrottled", 400},
	"InvalidSecurity":              {"AWS.SimpleQueueService.InvalidSecurity", 403},
	"MissingAuthenticationToken":   {"MissingAuthenticationToken", 403},
	"IncompleteSignature":          {"IncompleteSignature", 400},
	"InvalidSignatureException":    {"InvalidSignatureException", 403},
	"UnrecognizedClientException":  {"UnrecognizedClientException", 403},
	"InternalError":                {"InternalError", 500},
	"ServiceUnavailable":           {"ServiceUnavailable", 503},
	"SerializationException":       {"SerializationException", 400},
	"UnknownOperationException":    {"UnknownOperationException", 400},
	"InvalidAttributeName":         {"InvalidAttributeName", 400},
}

type sqsError struct {
	code, msg string
}

func sqsErr(code, format string, args ...any) *sqsError {
	return &sqsError{code: code, msg: fmt.Sprintf(format, args...)}
}

func (s *SQS) writeErr(w http.ResponseWriter, e *sqsError) {
	info, ok := sqsErrors[e.code]
	if !ok {
		info = sqsErrors["InternalError"]
	}
	fault := "Sender"
	if info.status >= 500 {
		fault = "Receiver"
	}
	w.Header().Set("x-amzn-query-error", info.query+";"+fault)
	b, _ := json.Marshal(map[string]string{"__type": sqsErrorPrefix + e.code, "message": e.msg})
	w.Header().Set("Content-Type", sqsContentType)
	w.WriteHeader(info.status)
	_, _ = w.Write(b)
}

// sqsServerError renders the shared Server's failures (FailNext,
// SetUnavailable) in the SQS JSON error shape.
func sqsServerError(status int, msg string) (string, []byte) {
	code := "InvalidParameterValue"
	switch {
	case status == http.StatusTooManyRequests:
		code, msg = "RequestThrottled", "Rate exceeded"
	case status == http.StatusServiceUnavailable:
		code, msg = "ServiceUnavailable", "Service Unavailable"
	case status >= 500:
		code, msg = "InternalError", "We encountered an internal error. Please try again."
	}
	b, _ := json.Marshal(map[string]string{"__type": sqsErrorPrefix + code, "message": msg})
	return sqsContentType, b
}

func (s *SQS) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.seq++
	w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("5a5a%04x-0000-4000-8000-%012x", s.seq&0xffff, s.seq))
	s.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		s.writeErr(w, sqsErr("InvalidAddress", "The address %s is not valid for this endpoint.", r.URL.Path))
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), sqsTarget)
	if !ok {
		s.writeErr(w, sqsErr("UnknownOperationException", "Unknown operation %q", r.Header.Get("X-Amz-Target")))
		return
	}
	if !contentTypeIs(r, sqsContentType) {
		s.writeErr(w, sqsErr("SerializationException", "Expected Content-Type %s", sqsContentType))
		return
	}
	body, _ := io.ReadAll(r.Body)
	akid, secret := s.awsKey()
	if code, msg := checkSigV4(r, body, sigV4Check{akid: akid, secret: secret, service: "sqs", region: s.region, window: connectSignatureWindow}); code != "" {
		code = strings.TrimSuffix(code, "Exception")
		switch code {
		case "InvalidSignature", "UnrecognizedClient":
			code += "Exception"
		case "MissingAuthenticationToken", "IncompleteSignature":
		}
		s.writeErr(w, sqsErr(code, "%s", msg))
		return
	}
	var out any
	var e *sqsError
	switch op {
	case "SendMessage":
		out, e = s.sendMessage(body)
	case "ReceiveMessage":
		out, e = s.receiveMessage(r, body)
	case "ChangeMessageVisibility":
		out, e = s.changeVisibility(body)
	case "DeleteMessage":
		out, e = s.deleteMessage(body)
	case "DeleteMessageBatch":
		out, e = s.deleteMessageBatch(body)
	case "GetQueueUrl":
		out, e = s.getQueueURL(body)
	case "GetQueueAttributes":
		out, e = s.getQueueAttributes(body)
	default:
		e = sqsErr("UnsupportedOperation", "the fake does not implement %s", op)
	}
	if e != nil {
		s.writeErr(w, e)
		return
	}
	s.accept(func() {})
	s.mu.Lock()
	s.ops[op]++
	s.notifyLocked()
	s.mu.Unlock()
	w.Header().Set("Content-Type", sqsContentType)
	_ = json.NewEncoder(w).Encode(out)
}

// queueLocked finds the queue of a QueueUrl (this fake's URL, or any
// host with the path /ACCOUNT/NAME, as SQS routes by path).
func (s *SQS) queueLocked(u *string) (*sqsQueue, *sqsError) {
	if u == nil || *u == "" {
		return nil, sqsErr("MissingParameter", "The request must contain the parameter QueueUrl.")
	}
	i := strings.LastIndex(*u, "/")
	rest := (*u)[:max(i, 0)]
	if i < 0 || !strings.HasSuffix(rest, "/"+SQSAccountID) {
		return nil, sqsErr("QueueDoesNotExist", "The specified queue does not exist.")
	}
	q := s.queues[(*u)[i+1:]]
	if q == nil {
		return nil, sqsErr("QueueDoesNotExist", "The specified queue does not exist.")
	}
	return q, nil
}

func (s *SQS) decode(body []byte, v any) *sqsError {
	if err := decodeExact(body, v); err != nil {
		return sqsErr("SerializationException", "%s", err.Error())
	}
	return nil
}

type sqsSendInput struct {
	QueueUrl                *string
	MessageBody             *string
	DelaySeconds            *int
	MessageAttributes       map[string]any
	MessageSystemAttributes map[string]any
	MessageDeduplicationId  *string
	MessageGroupId          *string
}

func (s *SQS) sendMessage(body []byte) (any, *sqsError) {
	var in sqsSendInput
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	if in.MessageBody == nil || *in.MessageBody == "" {
		return nil, sqsErr("MissingParameter", "The request must contain the parameter MessageBody.")
	}
	if len(*in.MessageBody) > sqsMaxBody {
		return nil, sqsErr("InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", sqsMaxBody)
	}
	if !utf8.ValidString(*in.MessageBody) {
		return nil, sqsErr("InvalidMessageContents", "Invalid binary character in the message body.")
	}
	if len(in.MessageAttributes) > 0 || len(in.MessageSystemAttributes) > 0 || in.DelaySeconds != nil && *in.DelaySeconds != 0 {
		return nil, sqsErr("UnsupportedOperation", "the fake does not implement message attributes or delays")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueLocked(in.QueueUrl)
	if e != nil {
		return nil, e
	}
	id := s.sendLocked(q, *in.MessageBody)
	return map[string]string{"MessageId": id, "MD5OfMessageBody": md5Hex(*in.MessageBody)}, nil
}

type sqsReceiveInput struct {
	QueueUrl                    *string
	AttributeNames              []string
	MessageSystemAttributeNames []string
	MessageAttributeNames       []string
	MaxNumberOfMessages         *int
	VisibilityTimeout           *int
	WaitTimeSeconds             *int
	ReceiveRequestAttemptId     *string
}

type sqsMessageOut struct {
	MessageId     string
	ReceiptHandle string
	MD5OfBody     string
	Body          string
	Attributes    map[string]string `json:",omitempty"`
}

var sqsSystemAttributes = []string{"All", "SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
	"SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader", "DeadLetterQueueSourceArn"}

func (s *SQS) receiveMessage(r *http.Request, body []byte) (any, *sqsError) {
	var in sqsReceiveInput
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	maxN, wait := 1, 0
	if in.MaxNumberOfMessages != nil {
		maxN = *in.MaxNumberOfMessages
	}
	if maxN < 1 || maxN > 10 {
		return nil, sqsErr("InvalidParameterValue", "Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", maxN)
	}
	if in.WaitTimeSeconds != nil {
		wait = *in.WaitTimeSeconds
	}
	if wait < 0 || wait > 20 {
		return nil, sqsErr("InvalidParameterValue", "Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", wait)
	}
	if in.VisibilityTimeout != nil && (*in.VisibilityTimeout < 0 || *in.VisibilityTimeout > 43200) {
		return nil, sqsErr("InvalidParameterValue", "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", *in.VisibilityTimeout)
	}
	attrs := append(slices.Clone(in.AttributeNames), in.MessageSystemAttributeNames...)
	for _, a := range attrs {
		if !slices.Contains(sqsSystemAttributes, a) {
			return nil, sqsErr("InvalidParameterValue", "Unknown Attribute %s.", a)
		}
	}
	deadline := time.NewTimer(time.Duration(wait) * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		q, e := s.queueLocked(in.QueueUrl)
		if e != nil {
			s.mu.Unlock()
			return nil, e
		}
		out := s.takeLocked(q, maxN, in.VisibilityTimeout, attrs)
		ch := s.changed
		var next time.Duration = -1
		now := s.opt.now()
		for _, m := range q.msgs {
			if !m.Deleted && m.MovedTo == "" && m.VisibleAt.After(now) {
				if d := m.VisibleAt.Sub(now); next < 0 || d < next {
					next = d
				}
			}
		}
		s.mu.Unlock()
		if len(out) > 0 || wait == 0 {
			return map[string]any{"Messages": out}, nil
		}
		var wake <-chan time.Time
		if next >= 0 {
			t := time.NewTimer(next)
			defer t.Stop()
			wake = t.C
		}
		select {
		case <-ch:
		case <-wake:
		case <-deadline.C:
			return map[string]any{"Messages": []sqsMessageOut{}}, nil
		case <-r.Context().Done():
			return map[string]any{"Messages": []sqsMessageOut{}}, nil
		case <-s.done:
			return map[string]any{"Messages": []sqsMessageOut{}}, nil
		}
	}
}

// takeLocked hands out up to n visible messages of q.
func (s *SQS) takeLocked(q *sqsQueue, n int, vis *int, attrs []string) []sqsMessageOut {
	now := s.opt.now()
	visibility := q.visibility
	if vis != nil {
		visibility = time.Duration(*vis) * time.Second
	}
	var out []sqsMessageOut
	for _, m := range q.msgs {
		if len(out) == n {
			break
		}
		if m.Deleted || m.MovedTo != "" || m.VisibleAt.After(now) {
			continue
		}
		if q.redriveTo != "" && m.Receives >= q.maxReceives {
			if dlq := s.queues[q.redriveTo]; dlq != nil {
				m.MovedTo = dlq.name
				moved := *m
				moved.Queue, moved.Receives, moved.VisibleAt, moved.MovedTo, moved.handle = dlq.name, 0, time.Time{}, "", ""
				dlq.msgs = append(dlq.msgs, &moved)
				s.notifyLocked()
				continue
			}
		}
		m.Receives++
		if m.FirstReceive.IsZero() {
			m.FirstReceive = now
		}
		m.VisibleAt = now.Add(visibility)
		m.handle = newReceiptHandle(m.MessageID)
		o := sqsMessageOut{MessageId: m.MessageID, ReceiptHandle: m.handle, MD5OfBody: md5Hex(m.Body), Body: m.Body}
		all := slices.Contains(attrs, "All")
		add := func(name, v string) {
			if all || slices.Contains(attrs, name) {
				if o.Attributes == nil {
					o.Attributes = map[string]string{}
				}
				o.Attributes[name] = v
			}
		}
		add("ApproximateReceiveCount", strconv.Itoa(m.Receives))
		add("SentTimestamp", strconv.FormatInt(m.SentAt.UnixMilli(), 10))
		add("ApproximateFirstReceiveTimestamp", strconv.FormatInt(m.FirstReceive.UnixMilli(), 10))
		add("SenderId", "AIDAFAKESQSSENDER0001")
		out = append(out, o)
	}
	if len(out) > 0 {
		s.notifyLocked()
	}
	return out
}

// byHandleLocked finds the message a current receipt handle names.
func (s *SQS) byHandleLocked(q *sqsQueue, handle *string) (*SQSMessage, *sqsError) {
	if handle == nil || *handle == "" {
		return nil, sqsErr("MissingParameter", "The request must contain the parameter ReceiptHandle.")
	}
	for _, m := range q.msgs {
		if m.handle == *handle && !m.Deleted && m.MovedTo == "" {
			return m, nil
		}
	}
	return nil, sqsErr("ReceiptHandleIsInvalid", "The input receipt handle \"%s\" is not a valid receipt handle.", *handle)
}

type sqsChangeVisibilityInput struct {
	QueueUrl          *string
	ReceiptHandle     *string
	VisibilityTimeout *int
}

func (s *SQS) changeVisibility(body []byte) (any, *sqsError) {
	var in sqsChangeVisibilityInput
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	if in.VisibilityTimeout == nil {
		return nil, sqsErr("MissingParameter", "The request must contain the parameter VisibilityTimeout.")
	}
	if *in.VisibilityTimeout < 0 || *in.VisibilityTimeout > 43200 {
		return nil, sqsErr("InvalidParameterValue", "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200.", *in.VisibilityTimeout)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueLocked(in.QueueUrl)
	if e != nil {
		return nil, e
	}
	m, e := s.byHandleLocked(q, in.ReceiptHandle)
	if e != nil {
		return nil, e
	}
	now := s.opt.now()
	if !m.VisibleAt.After(now) {
		return nil, sqsErr("MessageNotInflight", "Message does not exist or is not available for visibility timeout change.")
	}
	m.VisibleAt = now.Add(time.Duration(*in.VisibilityTimeout) * time.Second)
	s.notifyLocked()
	return map[string]any{}, nil
}

type sqsDeleteInput struct {
	QueueUrl      *string
	ReceiptHandle *string
}

func (s *SQS) deleteMessage(body []byte) (any, *sqsError) {
	var in sqsDeleteInput
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueLocked(in.QueueUrl)
	if e != nil {
		return nil, e
	}
	m, e := s.byHandleLocked(q, in.ReceiptHandle)
	if e != nil {
		return nil, e
	}
	m.Deleted = true
	s.notifyLocked()
	return map[string]any{}, nil
}

type sqsDeleteBatchInput struct {
	QueueUrl *string
	Entries  []struct {
		Id            *string
		ReceiptHandle *string
	}
}

type sqsBatchFailure struct {
	Id          string
	Code        string
	Message     string
	SenderFault bool
}

func (s *SQS) deleteMessageBatch(body []byte) (any, *sqsError) {
	var in sqsDeleteBatchInput
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	if len(in.Entries) == 0 {
		return nil, sqsErr("EmptyBatchRequest", "There should be at least one DeleteMessageBatchRequestEntry in the request.")
	}
	if len(in.Entries) > 10 {
		return nil, sqsErr("TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent %d.", len(in.Entries))
	}
	seen := map[string]bool{}
	for _, en := range in.Entries {
		id := aws.ToString(en.Id)
		if id == "" || len(id) > 80 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			return nil, sqsErr("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return nil, sqsErr("BatchEntryIdsNotDistinct", "Id %s repeated.", id)
		}
		seen[id] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueLocked(in.QueueUrl)
	if e != nil {
		return nil, e
	}
	ok := []map[string]string{}
	failed := []sqsBatchFailure{}
	for _, en := range in.Entries {
		m, e := s.byHandleLocked(q, en.ReceiptHandle)
		if e != nil {
			failed = append(failed, sqsBatchFailure{Id: *en.Id, Code: e.code, Message: e.msg, SenderFault: true})
			continue
		}
		m.Deleted = true
		ok = append(ok, map[string]string{"Id": *en.Id})
	}
	s.notifyLocked()
	return map[string]any{"Successful": ok, "Failed": failed}, nil
}

type sqsGetQueueURLInput struct {
	QueueName              *string
	QueueOwnerAWSAccountId *string
}

func (s *SQS) getQueueURL(body []byte) (any, *sqsError) {
	var in sqsGetQueueURLInput
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.QueueName == nil || s.queues[*in.QueueName] == nil {
		return nil, sqsErr("QueueDoesNotExist", "The specified queue does not exist.")
	}
	return map[string]string{"QueueUrl": s.queueURL(*in.QueueName)}, nil
}

type sqsGetAttributesInput struct {
	QueueUrl       *string
	AttributeNames []string
}

func (s *SQS) getQueueAttributes(body []byte) (any, *sqsError) {
	var in sqsGetAttributesInput
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueLocked(in.QueueUrl)
	if e != nil {
		return nil, e
	}
	now := s.opt.now()
	visible, inflight := 0, 0
	for _, m := range q.msgs {
		switch {
		case m.Deleted || m.MovedTo != "":
		case m.VisibleAt.After(now):
			inflight++
		default:
			visible++
		}
	}
	all := map[string]string{
		"QueueArn":                              "arn:aws:sqs:" + s.region + ":" + SQSAccountID + ":" + q.name,
		"ApproximateNumberOfMessages":           strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inflight),
		"VisibilityTimeout":                     strconv.Itoa(int(q.visibility / time.Second)),
	}
	if q.redriveTo != "" {
		all["RedrivePolicy"] = fmt.Sprintf(`{"deadLetterTargetArn":"arn:aws:sqs:%s:%s:%s","maxReceiveCount":%d}`, s.region, SQSAccountID, q.redriveTo, q.maxReceives)
	}
	out := map[string]string{}
	for _, a := range in.AttributeNames {
		if a == "All" {
			out = all
			break
		}
		v, ok := all[a]
		if !ok {
			return nil, sqsErr("InvalidAttributeName", "Unknown Attribute %s.", a)
		}
		out[a] = v
	}
	return map[string]any{"Attributes": out}, nil
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func newReceiptHandle(id string) string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "AQEB" + hex.EncodeToString(b[:]) + "/" + id
}

// Undelete makes a deleted message visible again, as if its DeleteMessage
// had never arrived: what a consumer that crashed between committing a
// message and deleting it leaves behind.
func (s *SQS) Undelete(queue, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queues[queue]; q != nil {
		for _, m := range q.msgs {
			if m.MessageID == id {
				m.Deleted, m.VisibleAt, m.handle = false, time.Time{}, ""
			}
		}
	}
	s.notifyLocked()
}
