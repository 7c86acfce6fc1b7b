package sqsin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/events/payload"
	"github.com/opsdesk/opsdesk/internal/sqsin/sqsmsg"
)

// Client is the part of the SQS API the consumer calls (*sqs.Client).
type Client interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// Sink commits recognised messages: the same services that serve
// POST /api/v1/events and /api/v1/alerts/cloudwatch. When a method returns
// nil, what the message carried is committed. An error wrapped with
// Permanent means the message cannot be used (it becomes a dead letter);
// any other error is retried when SQS hands the message out again.
type Sink interface {
	Events(ctx context.Context, b *payload.Batch, via, system string) (string, error)
	Alarm(ctx context.Context, alarm []byte, topic, via, system string) (string, error)
}

// Permanent marks a Sink error that receiving the message again cannot
// cure (a CloudWatch alarm with a bad field).
func Permanent(err error) error { return &permanentError{err} }

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Options configure a Consumer.
type Options struct {
	Queue  config.AWSQueue
	Client Client
	Store  *Store
	Sink   Sink
	// Consumer identifies this process among the replicas (fleet id).
	Consumer string
	Metrics  *Metrics
	Status   *Status
	Now      func() time.Time
	Log      *slog.Logger
	// ExtendEvery is how often the visibility of messages being processed
	// is extended (default a third of the visibility timeout).
	ExtendEvery time.Duration
	// Backoff is the pause after the nth failed receive in a row (default
	// 1s doubling to 5m, with jitter-free steps: the queue is the only one
	// waiting).
	Backoff func(n int) time.Duration
}

// Consumer long-polls one queue.
type Consumer struct {
	o Options
}

// New returns a consumer of o.Queue.
func New(o Options) *Consumer {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.ExtendEvery <= 0 {
		o.ExtendEvery = max(o.Queue.Visibility.D()/3, time.Second)
	}
	if o.Backoff == nil {
		o.Backoff = func(n int) time.Duration {
			d := time.Second << min(n-1, 9)
			return min(d, 5*time.Minute)
		}
	}
	if o.Status == nil {
		o.Status = NewStatus()
	}
	return &Consumer{o: o}
}

// Run polls the queue with Queue.Concurrency loops until ctx ends.
func (c *Consumer) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range max(c.o.Queue.Concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.loop(ctx)
		}()
	}
	wg.Wait()
}

// loop receives until ctx ends. A failing receive backs off and is
// logged when the queue goes down and when it comes back, not at every
// attempt; the state is on the queues page and in the metrics.
func (c *Consumer) loop(ctx context.Context) {
	q := c.o.Queue.Name
	failures := 0
	lastPrune := time.Time{}
	for ctx.Err() == nil {
		_, err := c.Poll(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
			c.o.Status.failed(q, err, c.o.Now())
			c.o.Metrics.up(q, false)
			if failures == 1 {
				c.o.Log.Warn("sqs: receiving failed; retrying with backoff", "queue", q, "error", err)
			}
			t := time.NewTimer(c.o.Backoff(failures))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		if failures > 0 {
			c.o.Log.Info("sqs: receiving works again", "queue", q, "failed_attempts", failures)
		}
		failures = 0
		c.o.Status.ok(q, c.o.Now())
		c.o.Metrics.up(q, true)
		if now := c.o.Now(); now.Sub(lastPrune) > time.Hour {
			lastPrune = now
			if _, err := c.o.Store.Prune(ctx, now); err != nil && ctx.Err() == nil {
				c.o.Log.Warn("sqs: pruning old message records failed", "error", err)
			}
		}
	}
}

// Poll receives one batch (long poll), processes its messages and deletes
// those that are committed or dead. It returns the number received.
func (c *Consumer) Poll(ctx context.Context) (int, error) {
	q := c.o.Queue
	out, err := c.o.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(q.URL),
		MaxNumberOfMessages:         10,
		WaitTimeSeconds:             int32(q.Wait.D() / time.Second),
		VisibilityTimeout:           int32(q.Visibility.D() / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount, types.MessageSystemAttributeNameSentTimestamp},
	})
	if err != nil {
		return 0, fmt.Errorf("sqsin: receive from %s: %w", q.Name, err)
	}
	if len(out.Messages) == 0 {
		return 0, nil
	}
	c.o.Metrics.count(q.Name, "received", len(out.Messages))
	pending := newPending(out.Messages)
	stop := c.extend(ctx, pending)
	var del []types.Message
	for _, m := range out.Messages {
		if c.handle(ctx, m) {
			del = append(del, m)
		}
		pending.finish(aws.ToString(m.ReceiptHandle))
	}
	stop()
	if err := c.delete(ctx, del); err != nil {
		return len(out.Messages), err
	}
	return len(out.Messages), nil
}

// pending are the receipt handles of a batch not yet processed.
type pending struct {
	mu   sync.Mutex
	msgs map[string]string // receipt handle → message id
}

func newPending(ms []types.Message) *pending {
	p := &pending{msgs: map[string]string{}}
	for _, m := range ms {
		p.msgs[aws.ToString(m.ReceiptHandle)] = aws.ToString(m.MessageId)
	}
	return p
}

func (p *pending) finish(handle string) {
	p.mu.Lock()
	delete(p.msgs, handle)
	p.mu.Unlock()
}

func (p *pending) snapshot() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]string, len(p.msgs))
	for k, v := range p.msgs {
		out[k] = v
	}
	return out
}

// extend keeps the messages of a batch invisible to other consumers, and
// their claims ours, while they wait or are processed: every ExtendEvery
// it sets their visibility timeout to a full Visibility again. It returns
// a function that stops it and waits for it.
func (c *Consumer) extend(ctx context.Context, p *pending) func() {
	q := c.o.Queue
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(c.o.ExtendEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for handle, id := range p.snapshot() {
				_, err := c.o.Client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
					QueueUrl: aws.String(q.URL), ReceiptHandle: aws.String(handle), VisibilityTimeout: int32(q.Visibility.D() / time.Second),
				})
				if err != nil {
					if ctx.Err() == nil {
						c.o.Log.Warn("sqs: extending the visibility of a message failed", "queue", q.Name, "message_id", id, "error", err)
					}
					continue
				}
				if err := c.o.Store.Extend(ctx, q.Name, id, c.o.Consumer, c.o.Now().Add(q.Visibility.D())); err != nil && ctx.Err() == nil {
					c.o.Log.Warn("sqs: extending a claim failed", "queue", q.Name, "message_id", id, "error", err)
				}
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// handle processes one message and reports whether to delete it.
func (c *Consumer) handle(ctx context.Context, m types.Message) bool {
	q := c.o.Queue
	id := aws.ToString(m.MessageId)
	body := aws.ToString(m.Body)
	receives, _ := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	if receives < 1 {
		receives = 1
	}
	log := c.o.Log.With("queue", q.Name, "message_id", id, "receives", receives)
	now := c.o.Now()
	claim, err := c.o.Store.Claim(ctx, q.Name, id, c.o.Consumer, receives, now, now.Add(q.Visibility.D()))
	if err != nil {
		log.Warn("sqs: claiming a message failed; it is received again later", "error", err)
		return false
	}
	switch claim {
	case AlreadyDone:
		c.o.Metrics.count(q.Name, "duplicate", 1)
		return true
	case AlreadyDead:
		return q.OnDeadLetter == config.DeadLetterDelete
	case Busy:
		return false
	}
	if receives > q.MaxReceives {
		return c.dead(ctx, log, m, receives, fmt.Sprintf("received %d times (max_receives is %d); committing it kept failing", receives, q.MaxReceives))
	}
	rec, err := sqsmsg.Recognize([]byte(body), q.Kind)
	if err != nil {
		return c.dead(ctx, log, m, receives, err.Error())
	}
	via := "sqs:" + q.Name
	var outcome string
	switch rec.Kind {
	case sqsmsg.KindAlarm:
		outcome, err = c.o.Sink.Alarm(ctx, rec.Alarm, rec.Topic, via, q.System)
	default:
		outcome, err = c.o.Sink.Events(ctx, rec.Batch, via, q.System)
	}
	var pe *permanentError
	if errors.As(err, &pe) {
		return c.dead(ctx, log, m, receives, pe.Error())
	}
	if err != nil {
		log.Warn("sqs: committing a message failed; it is received again after its visibility timeout", "error", err)
		if err := c.o.Store.Release(context.WithoutCancel(ctx), q.Name, id, c.o.Consumer); err != nil {
			log.Warn("sqs: releasing the claim failed", "error", err)
		}
		return false
	}
	// Committed. Marking it done must not be cut short by a shutdown: a
	// redelivery would otherwise commit it again.
	if err := c.o.Store.Done(context.WithoutCancel(ctx), q.Name, id, rec.Shape+": "+outcome, c.o.Now()); err != nil {
		log.Warn("sqs: the message was committed but could not be marked so; it is left in the queue", "error", err)
		return false
	}
	c.o.Metrics.count(q.Name, "committed", 1)
	log.Debug("sqs: message committed", "shape", rec.Shape, "outcome", outcome)
	return true
}

// dead records a dead letter and reports whether to delete the message.
func (c *Consumer) dead(ctx context.Context, log *slog.Logger, m types.Message, receives int, reason string) bool {
	q := c.o.Queue
	err := c.o.Store.Dead(context.WithoutCancel(ctx), DeadLetter{
		Queue: q.Name, MessageID: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), Error: reason,
		Receives: receives, Disposition: q.OnDeadLetter, CreatedAt: c.o.Now(),
	})
	if err != nil {
		log.Warn("sqs: recording a dead letter failed; the message is received again later", "error", err)
		return false
	}
	c.o.Metrics.count(q.Name, "dead_lettered", 1)
	log.Warn("sqs: message is a dead letter", "error", reason, "disposition", q.OnDeadLetter)
	return q.OnDeadLetter == config.DeadLetterDelete
}

// delete removes messages in one DeleteMessageBatch (at most the ten of a
// receive). Entries that fail are retried once one by one in a second
// batch; what still fails comes back after its visibility timeout and is
// then found done and deleted.
func (c *Consumer) delete(ctx context.Context, ms []types.Message) error {
	q := c.o.Queue
	todo := ms
	for attempt := 0; attempt < 2 && len(todo) > 0; attempt++ {
		entries := make([]types.DeleteMessageBatchRequestEntry, len(todo))
		byID := map[string]types.Message{}
		for i, m := range todo {
			eid := strconv.Itoa(i)
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(eid), ReceiptHandle: m.ReceiptHandle}
			byID[eid] = m
		}
		// Committed messages are deleted even while shutting down, but a
		// hanging SQS must not hold the shutdown: what is not deleted
		// comes back and is found done.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		out, err := c.o.Client.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(q.URL), Entries: entries})
		cancel()
		if err != nil {
			return fmt.Errorf("sqsin: delete from %s: %w", q.Name, err)
		}
		c.o.Metrics.count(q.Name, "deleted", len(out.Successful))
		todo = todo[:0:0]
		for _, f := range out.Failed {
			m, ok := byID[aws.ToString(f.Id)]
			if !ok {
				continue
			}
			if f.SenderFault {
				// A receipt handle that expired: the message was handed
				// out again, and whoever has it now deletes it.
				c.o.Log.Info("sqs: deleting a message was refused; its next receiver deletes it", "queue", q.Name, "message_id", aws.ToString(m.MessageId), "code", aws.ToString(f.Code))
				continue
			}
			todo = append(todo, m)
		}
	}
	if len(todo) > 0 {
		c.o.Log.Warn("sqs: some messages could not be deleted; they come back and are deleted then", "queue", q.Name, "count", len(todo))
	}
	return nil
}
