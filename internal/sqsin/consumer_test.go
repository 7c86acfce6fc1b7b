package sqsin

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/events/payload"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// recSink records what it commits; fail makes it fail (nil: succeed),
// block (when set) is called before committing.
type recSink struct {
	mu     sync.Mutex
	events []string // event ids
	alarms []string
	fail   error
	block  func()
}

func (s *recSink) Events(ctx context.Context, b *payload.Batch, via, system string) (string, error) {
	if s.block != nil {
		s.block()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return "", s.fail
	}
	for _, e := range b.Events {
		s.events = append(s.events, e.ID)
	}
	return "stored", nil
}

func (s *recSink) Alarm(ctx context.Context, alarm []byte, topic, via, system string) (string, error) {
	if s.block != nil {
		s.block()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return "", s.fail
	}
	s.alarms = append(s.alarms, via+" "+topic)
	return "opened", nil
}

func (s *recSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events) + len(s.alarms)
}

func testQueue(sq *fake.SQS, name string) config.AWSQueue {
	return config.AWSQueue{Name: name, URL: sq.CreateQueue(name), Region: sq.Region(), Kind: "auto",
		Wait: 0, Visibility: config.Duration(10 * time.Second), MaxReceives: 3, OnDeadLetter: "delete", Concurrency: 1}
}

func newTestConsumer(t *testing.T, st *store.Store, sq *fake.SQS, q config.AWSQueue, sink Sink, id string, edit func(*Options)) *Consumer {
	t.Helper()
	client := sqs.New(sqs.Options{Region: sq.Region(), Credentials: sq.Credentials(), BaseEndpoint: aws.String(sq.URL())})
	o := Options{Queue: q, Client: client, Store: NewStore(st), Sink: sink, Consumer: id}
	if edit != nil {
		edit(&o)
	}
	return New(o)
}

func poll(t *testing.T, c *Consumer) int {
	t.Helper()
	n, err := c.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConsumerCommitsAndDeletes: events and alarms are committed, then
// deleted in one batch; a message whose delete was lost comes back and is
// only deleted.
func TestConsumerCommitsAndDeletes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		sq := fake.NewSQS(t)
		q := testQueue(sq, "ops")
		sink := &recSink{}
		c := newTestConsumer(t, st, sq, q, sink, "r1", nil)
		ev := sq.Send("ops", ebEvent)
		al := sq.Send("ops", snsEnvelope("Notification", alarmJSON))
		s3 := sq.Send("ops", s3Records)
		if n := poll(t, c); n != 3 {
			t.Fatalf("received %d", n)
		}
		sq.WaitDeleted(t, "ops", time.Second, ev, al, s3)
		if sq.OpCount("DeleteMessageBatch") != 1 {
			t.Errorf("%d delete batches, want 1", sq.OpCount("DeleteMessageBatch"))
		}
		if len(sink.events) != 2 || sink.events[0] != "e1" || len(sink.alarms) != 1 || sink.alarms[0] != "sqs:ops arn:aws:sns:ap-northeast-1:123456789012:ops" {
			t.Fatalf("sink %+v", sink)
		}
		// The delete of the alarm was lost (a crash): it comes back.
		sq.Undelete("ops", al)
		if n := poll(t, c); n != 1 {
			t.Fatalf("received %d", n)
		}
		sq.WaitDeleted(t, "ops", time.Second, al)
		if sink.count() != 3 {
			t.Errorf("committed %d times, want 3", sink.count())
		}
		counts, err := NewStore(st).Counts(context.Background())
		if err != nil || counts["ops"]["done"] != 3 {
			t.Errorf("counts %v %v", counts, err)
		}
	})
}

// TestConsumerDeadLetters: a body that is no AWS shape is a dead letter at
// once; one whose commit keeps failing becomes one after max_receives.
// With on_dead_letter leave it stays for the queue's redrive policy.
func TestConsumerDeadLetters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sq := fake.NewSQS(t)
		sink := &recSink{fail: errors.New("database is down")}
		c := newTestConsumer(t, st, sq, testQueue(sq, "ops"), sink, "r1", nil)
		bad := sq.Send("ops", "plain text")
		stuck := sq.Send("ops", ebEvent)
		poll(t, c)
		sq.WaitDeleted(t, "ops", time.Second, bad)
		for i := 2; i <= 3; i++ {
			sq.Expire()
			poll(t, c)
			if m, _ := sq.Message("ops", stuck); m.Deleted || m.Receives != i {
				t.Fatalf("after receive %d: %+v", i, m)
			}
		}
		sq.Expire()
		poll(t, c) // the 4th receive: more than max_receives
		sq.WaitDeleted(t, "ops", time.Second, stuck)
		dead, err := NewStore(st).DeadLetters(ctx, "", 10)
		if err != nil || len(dead) != 2 {
			t.Fatalf("dead letters %+v %v", dead, err)
		}
		if dead[0].MessageID != stuck || dead[0].Receives != 4 || !strings.Contains(dead[0].Error, "received 4 times (max_receives is 3)") || dead[0].Body != ebEvent {
			t.Errorf("stuck: %+v", dead[0])
		}
		if dead[1].MessageID != bad || !strings.Contains(dead[1].Error, "not JSON") || dead[1].Disposition != "delete" {
			t.Errorf("bad: %+v", dead[1])
		}

		// leave: the message stays; the queue's redrive policy (after 2
		// receives) moves it to the dead-letter queue.
		q := testQueue(sq, "leave")
		q.OnDeadLetter, q.MaxReceives = "leave", 1
		sq.SetRedrive("leave", "leave-dlq", 2)
		cl := newTestConsumer(t, st, sq, q, sink, "r1", nil)
		id := sq.Send("leave", "not json either")
		poll(t, cl)
		sq.Expire()
		poll(t, cl)
		if m, _ := sq.Message("leave", id); m.Deleted || m.Receives != 2 {
			t.Fatalf("left message %+v", m)
		}
		sq.Expire()
		if n := poll(t, cl); n != 0 {
			t.Fatalf("received %d after the redrive", n)
		}
		if m, _ := sq.Message("leave", id); m.MovedTo != "leave-dlq" {
			t.Fatalf("not redriven: %+v", m)
		}
		dl, _ := NewStore(st).DeadLetters(ctx, "leave", 10)
		if len(dl) != 1 || dl[0].Disposition != "leave" {
			t.Errorf("leave dead letters %+v", dl)
		}
	})
}

// TestConsumerExtendsVisibility: while a message is being committed, its
// visibility timeout (and its claim) is extended.
func TestConsumerExtendsVisibility(t *testing.T) {
	t.Parallel()
	st := storetest.New(t, store.SQLite)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	sq := fake.NewSQS(t, fake.WithClock(clock))
	var id string
	sink := &recSink{}
	sink.block = func() {
		// 8 s into a 10 s visibility timeout: it must be extended.
		advance(8 * time.Second)
		// Two extensions after the clock moved: the first one's claim
		// is extended before the second starts.
		n := sq.OpCount("ChangeMessageVisibility")
		sq.WaitOp(t, "ChangeMessageVisibility", n+2, 5*time.Second)
		m, _ := sq.Message("ops", id)
		if !m.VisibleAt.After(clock().Add(9 * time.Second)) {
			t.Errorf("visible at %v, clock %v", m.VisibleAt, clock())
		}
	}
	c := newTestConsumer(t, st, sq, testQueue(sq, "ops"), sink, "r1", func(o *Options) {
		o.ExtendEvery = 5 * time.Millisecond
		o.Now = clock
	})
	id = sq.Send("ops", ebEvent)
	poll(t, c)
	sq.WaitDeleted(t, "ops", time.Second, id)
	var until int64
	if err := st.R.QueryRow(`SELECT claimed_until FROM sqs_messages WHERE message_id = ?`, id).Scan(&until); err != nil || until < clock().Add(9*time.Second).UnixMilli() {
		t.Errorf("claim not extended: %d %v", until, err)
	}
}

// TestConsumersNeverDoubleCommit: a message handed to a second consumer
// while the first still commits it is left alone by the second; once the
// first is done, whoever receives it deletes it without committing again.
func TestConsumersNeverDoubleCommit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		sq := fake.NewSQS(t)
		q := testQueue(sq, "ops")
		entered, release := make(chan struct{}), make(chan struct{})
		slow := &recSink{}
		slow.block = func() { close(entered); <-release }
		fast := &recSink{}
		c1 := newTestConsumer(t, st, sq, q, slow, "r1", nil)
		c2 := newTestConsumer(t, st, sq, q, fast, "r2", nil)
		id := sq.Send("ops", ebEvent)
		done := make(chan error, 1)
		go func() { _, err := c1.Poll(context.Background()); done <- err }()
		<-entered
		sq.Expire() // r1's visibility timeout "ran out"
		if n := poll(t, c2); n != 1 {
			t.Fatalf("r2 received %d", n)
		}
		if fast.count() != 0 {
			t.Fatal("r2 committed a message r1 holds")
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if m, _ := sq.Message("ops", id); m.Deleted {
			t.Fatal("deleted with a stale receipt handle")
		}
		sq.Expire()
		poll(t, c2)
		sq.WaitDeleted(t, "ops", time.Second, id)
		if slow.count() != 1 || fast.count() != 0 {
			t.Errorf("commits: r1 %d, r2 %d", slow.count(), fast.count())
		}
	})
}

// TestStoreClaims: the claim protocol on both engines.
func TestStoreClaims(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := NewStore(st)
		t0 := time.Now()
		want := func(got Claim, err error, w Claim) {
			t.Helper()
			if err != nil || got != w {
				t.Fatalf("claim %v %v, want %v", got, err, w)
			}
		}
		c, err := s.Claim(ctx, "q", "m1", "a", 1, t0, t0.Add(time.Minute))
		want(c, err, Claimed)
		c, err = s.Claim(ctx, "q", "m1", "b", 2, t0.Add(time.Second), t0.Add(time.Minute))
		want(c, err, Busy)
		c, err = s.Claim(ctx, "q", "m1", "b", 3, t0.Add(2*time.Minute), t0.Add(3*time.Minute))
		want(c, err, Claimed) // a's lease ran out
		if err := s.Done(ctx, "q", "m1", "eventbridge: 1 event", t0); err != nil {
			t.Fatal(err)
		}
		c, err = s.Claim(ctx, "q", "m1", "a", 4, t0.Add(time.Hour), t0.Add(2*time.Hour))
		want(c, err, AlreadyDone)
		c, err = s.Claim(ctx, "other", "m1", "a", 1, t0, t0.Add(time.Minute))
		want(c, err, Claimed) // another queue
		d := DeadLetter{Queue: "other", MessageID: "m1", Body: strings.Repeat("x", MaxDeadLetterBody+10), Error: "bad", Receives: 1, Disposition: "delete", CreatedAt: t0}
		if err := s.Dead(ctx, d); err != nil {
			t.Fatal(err)
		}
		if err := s.Dead(ctx, d); err != nil { // the other replica, too
			t.Fatal(err)
		}
		c, err = s.Claim(ctx, "other", "m1", "a", 2, t0.Add(time.Hour), t0.Add(2*time.Hour))
		want(c, err, AlreadyDead)
		dl, err := s.DeadLetters(ctx, "other", 10)
		if err != nil || len(dl) != 1 || len(dl[0].Body) > MaxDeadLetterBody+20 {
			t.Fatalf("dead letters %d %v", len(dl), err)
		}
		if n, err := s.Prune(ctx, t0.Add(Retention+time.Hour)); err != nil || n != 2 {
			t.Errorf("pruned %d %v", n, err)
		}
	})
}

// logCount counts log records at warn level and above.
type logCount struct {
	mu    sync.Mutex
	warns []string
}

func (l *logCount) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCount) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		l.mu.Lock()
		l.warns = append(l.warns, r.Message)
		l.mu.Unlock()
	}
	return nil
}
func (l *logCount) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCount) WithGroup(string) slog.Handler      { return l }

// TestConsumerBacksOff: while SQS fails, the loop backs off with growing
// attempts, logs one warning (not one per attempt) and shows the queue as
// failing; when SQS is back it receives again and shows it working.
func TestConsumerBacksOff(t *testing.T) {
	t.Parallel()
	st := storetest.New(t, store.SQLite)
	sq := fake.NewSQS(t)
	sq.SetUnavailable(true)
	logs := &logCount{}
	attempts := make(chan int, 100)
	status := NewStatus()
	q := testQueue(sq, "ops")
	q.Wait = config.Duration(time.Second)
	c := newTestConsumer(t, st, sq, q, &recSink{}, "r1", func(o *Options) {
		o.Log = slog.New(logs)
		o.Status = status
		o.Backoff = func(n int) time.Duration { attempts <- n; return time.Millisecond }
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for want := 1; want <= 4; want++ {
		if n := <-attempts; n != want {
			t.Fatalf("backoff attempt %d, want %d", n, want)
		}
	}
	qs := status.Queues()
	if len(qs) != 1 || !qs[0].Failing || qs[0].Failures < 4 || !strings.Contains(qs[0].LastError, "ServiceUnavailable") {
		t.Fatalf("status %+v", qs)
	}
	sq.SetUnavailable(false)
	n := sq.OpCount("ReceiveMessage")
	sq.WaitOp(t, "ReceiveMessage", n+2, 10*time.Second)
	if qs := status.Queues(); qs[0].Failing || qs[0].LastOK.IsZero() {
		t.Fatalf("status after recovery %+v", qs[0])
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if len(logs.warns) != 1 {
		t.Errorf("%d warnings for one outage: %v", len(logs.warns), logs.warns)
	}
}
