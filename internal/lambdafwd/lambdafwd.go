// Package lambdafwd is the AWS Lambda function that forwards the events it
// is invoked with to an opsdesk server (POST /api/v1/events).
//
// One handler takes every trigger as it arrives — S3 notifications, DynamoDB
// Streams batches, SQS batches, SNS notifications and EventBridge events —
// and recognises which by the body's shape, because the retry contract
// differs by trigger:
//
//   - SQS (a poll-based event source mapping): the answer is a partial batch
//     response naming the messages that were not stored, so only those come
//     back to the queue (and, after maxReceiveCount, go to its DLQ).
//   - DynamoDB Streams (poll-based, ordered): a post that failed returns an
//     error, so Lambda retries the batch (duplicates are absorbed by
//     opsdesk); records opsdesk rejected are answered with the sequence
//     number of the first of them as a batch item failure, so the stream's
//     retry limit and on-failure destination apply to them.
//   - S3, SNS and EventBridge (asynchronous invocations): a post that failed
//     returns an error, so Lambda's async retries and the on-failure
//     destination apply; records opsdesk rejected as malformed are logged
//     and not retried, because the same body gets the same answer.
//
// A post is retried with exponential backoff and jitter on network errors,
// 429 (honouring Retry-After) and 5xx, for as long as the Lambda deadline
// allows; other 4xx are not retried. A 401 refreshes the token once.
package lambdafwd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Defaults of the Handler's tunables.
const (
	// DefaultMaxBody keeps each post under the server's body limit
	// (events.max_body_bytes, 6 MiB by default) with room to spare.
	DefaultMaxBody        = 5 << 20
	DefaultRequestTimeout = 10 * time.Second
	// DefaultMargin is kept free before the Lambda deadline: no retry
	// starts inside it, so the function can still answer (and log) before
	// Lambda stops it.
	DefaultMargin      = time.Second
	DefaultMaxAttempts = 6
	DefaultBaseDelay   = 200 * time.Millisecond
	DefaultMaxDelay    = 5 * time.Second

	// minAttempt is the least time worth starting a request with.
	minAttempt = 200 * time.Millisecond
	// maxWaitNoDeadline caps a Retry-After when the context has no
	// deadline (a local run), so a server cannot park the caller.
	maxWaitNoDeadline = 30 * time.Second
	// maxLoggedRejections bounds the per-record log lines of one
	// invocation; the rest are counted.
	maxLoggedRejections = 50
)

// EventsPath is where the handler posts, below the base URL.
const EventsPath = "/api/v1/events"

// Trigger names what invoked the function, as logged and returned.
const (
	TriggerSQS         = "sqs"
	TriggerDynamoDB    = "dynamodb"
	TriggerS3          = "s3"
	TriggerSNS         = "sns"
	TriggerEventBridge = "eventbridge"
	TriggerRecords     = "records" // a Records batch of mixed or unknown sources
	TriggerUnknown     = "unknown"
)

// Handler forwards invocations to opsdesk. The zero value of every field
// but URL and Tokens has a usable default; tests inject the clock, sleep,
// jitter and HTTP client.
type Handler struct {
	// URL is the opsdesk base URL, e.g. https://opsdesk.example.com.
	URL string
	// Tokens gives the integration token.
	Tokens TokenSource
	// Client sends the posts (default: a client with RequestTimeout).
	Client *http.Client
	// Now is the clock retries are planned with (default time.Now).
	Now func() time.Time
	// Sleep waits between attempts (default: a timer that ctx cancels).
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0, 1) (default math/rand/v2).
	Jitter func() float64
	// Log receives one summary line per invocation, one line per rejected
	// record and one per retry. The token is never logged.
	Log *slog.Logger

	MaxBody        int           // bytes per post (default DefaultMaxBody)
	RequestTimeout time.Duration // per attempt (default DefaultRequestTimeout)
	Margin         time.Duration // kept free before the deadline (default DefaultMargin)
	MaxAttempts    int           // per post (default DefaultMaxAttempts)
	BaseDelay      time.Duration // first backoff (default DefaultBaseDelay)
	MaxDelay       time.Duration // backoff cap (default DefaultMaxDelay)
}

// Summary is the result of an asynchronous invocation (S3, SNS,
// EventBridge); Lambda discards it, but a test invoke shows it.
type Summary struct {
	Trigger    string `json:"trigger"`
	Records    int    `json:"records"`
	Accepted   int    `json:"accepted"`
	Duplicates int    `json:"duplicates"`
	// Rejected counts records (or whole bodies) opsdesk refused as
	// malformed; they were logged and are not retried.
	Rejected int `json:"rejected"`
}

// Invoke is the Lambda handler: lambda.Start(h.Invoke).
//
// It returns events.SQSEventResponse for SQS, events.DynamoDBEventResponse
// for DynamoDB Streams and *Summary otherwise; a non-nil error means the
// events were not (all) delivered and Lambda should retry.
func (h *Handler) Invoke(ctx context.Context, event json.RawMessage) (any, error) {
	inv := &invocation{h: h, start: h.now()}
	trig := detect(event)
	inv.log = h.logger().With("trigger", trig.kind)
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		inv.log = inv.log.With("request_id", lc.AwsRequestID)
	}
	switch trig.kind {
	case TriggerSQS:
		return inv.sqs(ctx, trig.records)
	case TriggerDynamoDB:
		return inv.stream(ctx, trig.records)
	case TriggerS3, TriggerSNS, TriggerRecords:
		return inv.asyncRecords(ctx, trig.kind, trig.records)
	}
	return inv.asyncBody(ctx, trig.kind, event)
}

// invocation is the state of one Invoke.
type invocation struct {
	h     *Handler
	log   *slog.Logger
	start time.Time

	token     string
	refreshed bool // the token was refreshed after a 401 already

	posts, attempts      int
	accepted, duplicates int
	logged, unlogged     int // rejection lines written / suppressed
}

// sqs forwards an SQS batch and names the messages to redeliver.
func (inv *invocation) sqs(ctx context.Context, recs []record) (events.SQSEventResponse, error) {
	results := inv.forwardRecords(ctx, recs)
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	seen := map[string]bool{}
	var nRej, nUnd int
	for i, r := range results {
		switch r.state {
		case stored:
			continue
		case rejected:
			nRej++
		case undelivered:
			nUnd++
		}
		id := recs[i].id
		if id == "" {
			// An empty itemIdentifier would fail the whole batch; a
			// message without an id cannot be redelivered on its own.
			inv.log.Error("SQS message without messageId cannot be reported for redelivery", "index", i)
			continue
		}
		if !seen[id] {
			seen[id] = true
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
	}
	inv.summary(len(recs), nRej, nUnd, firstErr(results), "item_failures", len(resp.BatchItemFailures))
	return resp, nil
}

// stream forwards a DynamoDB Streams batch. Records must be processed in
// order: a failed post fails the invocation (Lambda retries the batch,
// duplicates are absorbed), and the first record opsdesk rejected becomes
// the checkpoint Lambda resumes from.
func (inv *invocation) stream(ctx context.Context, recs []record) (events.DynamoDBEventResponse, error) {
	results := inv.forwardRecords(ctx, recs)
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	var nRej, nUnd int
	first := -1
	for i, r := range results {
		switch r.state {
		case rejected:
			nRej++
			if first < 0 {
				first = i
			}
		case undelivered:
			nUnd++
		}
	}
	if nUnd > 0 {
		err := firstErr(results)
		inv.summary(len(recs), nRej, nUnd, err)
		return resp, fmt.Errorf("opsdesk-lambda: %d of %d stream records not delivered: %w", nUnd, len(recs), err)
	}
	if first >= 0 {
		seq := recs[first].seq
		if seq == "" {
			inv.summary(len(recs), nRej, 0, nil)
			return resp, fmt.Errorf("opsdesk-lambda: stream record %d was rejected and has no dynamodb.SequenceNumber to report", first)
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: seq})
	}
	inv.summary(len(recs), nRej, 0, nil, "item_failures", len(resp.BatchItemFailures))
	return resp, nil
}

// asyncRecords forwards the Records batch of an asynchronous invocation.
func (inv *invocation) asyncRecords(ctx context.Context, kind string, recs []record) (*Summary, error) {
	results := inv.forwardRecords(ctx, recs)
	var rej, und int
	for _, r := range results {
		switch r.state {
		case rejected:
			rej++
		case undelivered:
			und++
		}
	}
	sum := &Summary{Trigger: kind, Records: len(recs), Accepted: inv.accepted, Duplicates: inv.duplicates, Rejected: rej}
	if und > 0 {
		err := firstErr(results)
		inv.summary(len(recs), rej, und, err)
		return sum, fmt.Errorf("opsdesk-lambda: %d of %d records not delivered: %w", und, len(recs), err)
	}
	inv.summary(len(recs), rej, 0, nil)
	return sum, nil
}

// asyncBody forwards a body that is not a Records batch (an EventBridge
// event, or something opsdesk will judge) as it is.
func (inv *invocation) asyncBody(ctx context.Context, kind string, body json.RawMessage) (*Summary, error) {
	sum := &Summary{Trigger: kind, Records: 1}
	ans, err := inv.post(ctx, bytes.TrimSpace(body))
	if err != nil {
		inv.summary(1, 0, 1, err)
		return sum, fmt.Errorf("opsdesk-lambda: event not delivered: %w", err)
	}
	if ans.ok() {
		for _, f := range ans.ingested.Failed {
			inv.reject(f.Index, f.ID, f.Field, f.Error)
		}
		sum.Rejected = len(ans.ingested.Failed)
	} else {
		// The whole body was refused: the same body would be refused
		// again, so it is logged, not retried.
		inv.rejectAnswer(ans)
		sum.Rejected = max(1, len(ans.rejection.Failed))
	}
	sum.Accepted, sum.Duplicates = inv.accepted, inv.duplicates
	inv.summary(1, sum.Rejected, 0, nil)
	return sum, nil
}

// summary writes the invocation's one summary line.
func (inv *invocation) summary(records, rejected, undelivered int, err error, extra ...any) {
	level := slog.LevelInfo
	msg := "forwarded to opsdesk"
	switch {
	case undelivered > 0:
		level, msg = slog.LevelError, "forwarding to opsdesk failed"
	case rejected > 0:
		level, msg = slog.LevelWarn, "forwarded to opsdesk; some records rejected"
	}
	args := []any{
		"records", records, "accepted", inv.accepted, "duplicates", inv.duplicates,
		"rejected", rejected, "undelivered", undelivered,
		"posts", inv.posts, "attempts", inv.attempts,
		"duration_ms", inv.h.now().Sub(inv.start).Milliseconds(),
	}
	if inv.unlogged > 0 {
		args = append(args, "rejections_not_logged", inv.unlogged)
	}
	args = append(args, extra...)
	if err != nil {
		args = append(args, "error", err.Error())
	}
	inv.log.Log(context.Background(), level, msg, args...)
}

// reject logs one record opsdesk refused.
func (inv *invocation) reject(index int, id, field, reason string) {
	if inv.logged >= maxLoggedRejections {
		inv.unlogged++
		return
	}
	inv.logged++
	inv.log.Error("opsdesk rejected a record; it is not retried", "index", index, "id", id, "field", field, "reason", reason)
}

// rejectAnswer logs a refused body.
func (inv *invocation) rejectAnswer(ans *answer) {
	r := ans.rejection
	if len(r.Failed) == 0 {
		inv.reject(-1, "", r.Field, fmt.Sprintf("HTTP %d: %s", ans.status, r.Error))
		return
	}
	for _, f := range r.Failed {
		inv.reject(f.Index, f.ID, f.Field, f.Error)
	}
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) sleep(ctx context.Context, d time.Duration) error {
	if h.Sleep != nil {
		return h.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (h *Handler) jitter() float64 {
	if h.Jitter != nil {
		return h.Jitter()
	}
	return rand.Float64()
}

func (h *Handler) logger() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (h *Handler) client() *http.Client {
	if h.Client != nil {
		return h.Client
	}
	return &http.Client{Timeout: h.requestTimeout()}
}

func (h *Handler) maxBody() int             { return orDefault(h.MaxBody, DefaultMaxBody) }
func (h *Handler) maxAttempts() int         { return orDefault(h.MaxAttempts, DefaultMaxAttempts) }
func (h *Handler) margin() time.Duration    { return orDefault(h.Margin, DefaultMargin) }
func (h *Handler) baseDelay() time.Duration { return orDefault(h.BaseDelay, DefaultBaseDelay) }
func (h *Handler) maxDelay() time.Duration  { return orDefault(h.MaxDelay, DefaultMaxDelay) }
func (h *Handler) requestTimeout() time.Duration {
	return orDefault(h.RequestTimeout, DefaultRequestTimeout)
}

func orDefault[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// firstErr returns the error of the first undelivered record.
func firstErr(results []result) error {
	for _, r := range results {
		if r.err != nil {
			return r.err
		}
	}
	return nil
}

// errNoToken is returned by a TokenSource that has no token to give.
var errNoToken = errors.New("no integration token")
