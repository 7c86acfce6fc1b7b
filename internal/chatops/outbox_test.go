package chatops

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

const robotSecret = "SECrobot-signing-secret"

// expiredReplies are n replies to one conversation whose sessionWebhook
// has expired, so each goes to the custom robot webhook.
func expiredReplies(n int, at time.Time, conv string) []OutMessage {
	var out []OutMessage
	for i := range n {
		out = append(out, OutMessage{
			Queue:   "dingtalk:" + conv,
			Target:  Target{Kind: TargetDingTalk, Conversation: conv, SessionWebhook: "https://oapi.dingtalk.com/robot/sendBySession?session=gone", SessionExpires: at.Add(-time.Minute).UnixMilli()},
			Payload: Payload{Text: fmt.Sprintf("reply %02d", i), MsgType: "text"},
			Dedup:   fmt.Sprintf("test:%s:%d", conv, i),
		})
	}
	return out
}

func outboxStatus(t *testing.T, st *store.Store) map[string]int {
	t.Helper()
	rows, err := st.R.Query(`SELECT status, count(*) FROM chat_outbox GROUP BY status`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	return out
}

// TestOutboxRateLimit: 25 replies queued to one robot at once; with the
// clock stopped exactly 20 are sent, the 21st waits until the oldest send
// is a minute (and the margin) old, and then the rest go, in order, each
// with a valid SEC signature. Nothing is dropped.
func TestOutboxRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clk := newClock(time.Now().UTC().Truncate(time.Millisecond))
		robot := fake.NewDingTalk(t, fake.WithSecret(robotSecret), fake.WithClock(clk.Now))
		o := &Outbox{Store: NewStore(st, clk.Now), RatePerMinute: config.DingTalkMaxPerMinute, Now: clk.Now,
			Webhook: func(string) (Webhook, bool) { return Webhook{URL: robot.URL(), Secret: robotSecret}, true }}
		if err := o.Enqueue(ctx, expiredReplies(25, clk.Now(), "cidA")...); err != nil {
			t.Fatal(err)
		}
		// Queueing twice is idempotent.
		if err := o.Enqueue(ctx, expiredReplies(25, clk.Now(), "cidA")...); err != nil {
			t.Fatal(err)
		}
		drain := func() (int, SendResult) {
			n := 0
			for {
				res, err := o.SendNext(ctx, "dingtalk:cidA")
				if err != nil {
					t.Fatal(err)
				}
				if res.ID == 0 {
					return n, res
				}
				if !res.Sent {
					t.Fatalf("message %d not sent: %+v", res.ID, res)
				}
				n++
			}
		}
		start := clk.Now()
		n, last := drain()
		if n != 20 || robot.Count() != 20 {
			t.Fatalf("first minute: sent %d, robot has %d; want 20", n, robot.Count())
		}
		if want := rateWindow + rateMargin; last.Wait <= rateWindow || last.Wait > want+time.Millisecond {
			t.Fatalf("wait = %v, want about %v", last.Wait, want)
		}
		clk.Advance(59 * time.Second)
		if n, res := drain(); n != 0 || res.Wait <= 0 || res.Wait > 3*time.Second {
			t.Fatalf("at +59s: sent %d, wait %v", n, res.Wait)
		}
		clk.Advance(3 * time.Second) // +62s: the first minute's slots are free
		if n, _ := drain(); n != 5 {
			t.Fatalf("after the minute: sent %d, want 5", n)
		}
		msgs := robot.Messages()
		if len(msgs) != 25 {
			t.Fatalf("robot has %d messages", len(msgs))
		}
		for i, m := range msgs {
			if m.Text != fmt.Sprintf("reply %02d", i) || m.MsgType != "text" {
				t.Fatalf("message %d = %q (%s): out of order", i, m.Text, m.MsgType)
			}
			// The fake checks the signature; it also records when it was made.
			if i < 20 && time.UnixMilli(m.Timestamp).Sub(start) > time.Second || i >= 20 && time.UnixMilli(m.Timestamp).Sub(start) < 62*time.Second {
				t.Fatalf("message %d signed at %v after start", i, time.UnixMilli(m.Timestamp).Sub(start))
			}
		}
		if s := outboxStatus(t, st); s["sent"] != 25 || len(s) != 1 {
			t.Fatalf("outbox %v", s)
		}
		// A second robot (another conversation's webhook) has its own
		// bucket.
		var route string
		if err := st.R.QueryRow(`SELECT DISTINCT route FROM chat_outbox`).Scan(&route); err != nil || route != "webhook" {
			t.Fatalf("route %q %v", route, err)
		}
	})
}

// TestOutboxJobsRateLimit runs the same through River: the send jobs
// snooze while the bucket is full and never send a 21st message in the
// minute; once the clock moves on, every message arrives.
func TestOutboxJobsRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if err := jobs.Migrate(ctx, st); err != nil {
			t.Fatal(err)
		}
		clk := newClock(time.Now().UTC().Truncate(time.Millisecond))
		robot := fake.NewDingTalk(t, fake.WithSecret(robotSecret), fake.WithClock(clk.Now))
		o := &Outbox{Store: NewStore(st, clk.Now), RatePerMinute: 20, Now: clk.Now, SnoozeMax: 20 * time.Millisecond,
			Webhook: func(string) (Webhook, bool) { return Webhook{URL: robot.URL(), Secret: robotSecret}, true }}
		w := river.NewWorkers()
		river.AddWorker(w, &SendWorker{Outbox: o})
		q, err := jobs.New(st, jobs.Options{Workers: w, Queues: map[string]int{jobs.QueueChat: 4}, FetchPollInterval: 20 * time.Millisecond, JobTimeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		o.Queue = q
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = q.Stop(sctx)
		})
		if err := o.Enqueue(ctx, expiredReplies(25, clk.Now(), "cidB")...); err != nil {
			t.Fatal(err)
		}
		robot.WaitFor(t, 20, 20*time.Second)
		// Every job has been told at least three times that the bucket
		// is full before we look: the limit held while they kept trying.
		waitFor(t, 20*time.Second, "every send job snoozed 3 times", func() bool {
			snoozes, _ := jobSnoozes(t, st)
			if len(snoozes) != 25 {
				return false
			}
			for _, n := range snoozes {
				if n < 3 {
					return false
				}
			}
			return true
		})
		if n := robot.Count(); n != 20 {
			t.Fatalf("%d messages sent within the minute, want 20", n)
		}
		clk.Advance(62 * time.Second)
		robot.WaitFor(t, 25, 20*time.Second)
		waitFor(t, 20*time.Second, "every send job completed", func() bool {
			_, done := jobSnoozes(t, st)
			return done == 25
		})
		if n := robot.Count(); n != 25 {
			t.Fatalf("%d messages, want 25", n)
		}
		if s := outboxStatus(t, st); s["sent"] != 25 {
			t.Fatalf("outbox %v", s)
		}
	})
}

// jobSnoozes returns how often each unfinished chat_send job snoozed, and
// how many completed.
func jobSnoozes(t *testing.T, st *store.Store) (map[int64]int, int) {
	t.Helper()
	rows, err := st.R.Query(`SELECT id, state, ` + st.JSONText("metadata") + ` FROM river_job WHERE kind = 'chat_send'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]int{}
	done := 0
	for rows.Next() {
		var id int64
		var state string
		var meta []byte
		if err := rows.Scan(&id, &state, &meta); err != nil {
			t.Fatal(err)
		}
		if state == "completed" {
			done++
			continue
		}
		var m struct {
			Snoozes int `json:"snoozes"`
		}
		_ = json.Unmarshal(meta, &m)
		out[id] = m.Snoozes
	}
	return out, done
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for: %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestOutboxRoutes: a live session is used; a session DingTalk refuses
// falls back to the robot webhook at once; without a webhook the message
// fails with the reason; Slack response URLs and destinations.
func TestOutboxRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clk := newClock(time.Now().UTC().Truncate(time.Millisecond))
		robot := fake.NewDingTalk(t, fake.WithSecret(robotSecret), fake.WithClock(clk.Now))
		sess := fake.NewDingTalkSession(t, fake.WithClock(clk.Now))
		slackResp := fake.NewSlackResponse(t, fake.WithClock(clk.Now))
		slackHook := fake.NewSlack(t)
		sender, err := notify.New(config.Destination{Name: "ops-slack", Type: "slack", URL: slackHook.URL()}, func(string) (string, bool) { return "", false }, http.DefaultClient)
		if err != nil {
			t.Fatal(err)
		}
		hasWebhook := true
		o := &Outbox{Store: NewStore(st, clk.Now), RatePerMinute: 20, Now: clk.Now,
			Senders: map[string]notify.Sender{"ops-slack": sender},
			Webhook: func(conv string) (Webhook, bool) {
				return Webhook{URL: robot.URL(), Secret: robotSecret}, hasWebhook
			}}
		live := sess.Open("cidLive", clk.Now().Add(time.Hour))
		refused := sess.BaseURL() + "/robot/sendBySession?session=never-opened"
		send := func(queue string) SendResult {
			t.Helper()
			res, err := o.SendNext(ctx, queue)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		// Live session.
		must(o.Enqueue(ctx, OutMessage{Queue: "q1", Dedup: "d1", Target: Target{Kind: TargetDingTalk, Conversation: "cidLive", SessionWebhook: live, SessionExpires: clk.Now().Add(time.Hour).UnixMilli()},
			Payload: Payload{Title: "AWS", Text: "**bold** _x_\nline 2", MsgType: "markdown"}}))
		if r := send("q1"); !r.Sent {
			t.Fatalf("live session: %+v", r)
		}
		ms := sess.MessagesTo(live)
		if len(ms) != 1 || ms[0].MsgType != "markdown" || ms[0].Text != `\*\*bold\*\* \_x\_`+"  \nline 2" || ms[0].Title != "AWS" {
			t.Fatalf("session got %+v", ms)
		}
		// A session DingTalk refuses: the robot webhook, on the next try.
		must(o.Enqueue(ctx, OutMessage{Queue: "q2", Dedup: "d2", Target: Target{Kind: TargetDingTalk, SessionWebhook: refused, SessionExpires: clk.Now().Add(time.Hour).UnixMilli()},
			Payload: Payload{Text: "fallback", MsgType: "text"}}))
		if r := send("q2"); !r.Retry {
			t.Fatalf("refused session: %+v", r)
		}
		if r := send("q2"); !r.Sent {
			t.Fatalf("after fallback: %+v", r)
		}
		if m := robot.Messages(); len(m) != 1 || m[0].Text != "fallback" || m[0].Sign == "" {
			t.Fatalf("robot got %+v", m)
		}
		// Expired session, no webhook configured: failed, with the reason.
		hasWebhook = false
		must(o.Enqueue(ctx, expiredReplies(1, clk.Now(), "cidNone")...))
		if r := send("dingtalk:cidNone"); !r.Failed {
			t.Fatalf("no webhook: %+v", r)
		}
		var reason string
		if err := st.R.QueryRow(st.Q(`SELECT last_error FROM chat_outbox WHERE queue = ?`), "dingtalk:cidNone").Scan(&reason); err != nil || !strings.Contains(reason, "chat.dingtalk.webhook_url") {
			t.Fatalf("reason %q %v", reason, err)
		}
		// Slack: escaped text, at most five posts per response URL.
		ru := slackResp.NewURL()
		for i := range 6 {
			must(o.Enqueue(ctx, OutMessage{Queue: "slack:1", Dedup: fmt.Sprint("s", i), Target: Target{Kind: TargetSlackResponse, ResponseURL: ru},
				Payload: Payload{Text: fmt.Sprintf("<@U1> a&b %d", i), ResponseType: "in_channel"}}))
		}
		for i := range 5 {
			if r := send("slack:1"); !r.Sent {
				t.Fatalf("slack %d: %+v", i, r)
			}
		}
		if r := send("slack:1"); !r.Failed {
			t.Fatalf("sixth post to a response URL: %+v", r)
		}
		got := slackResp.MessagesTo(ru)
		if len(got) != 5 || got[0].Text != "&lt;@\u200bU1&gt; a&amp;b 0" || got[0].ResponseType != "in_channel" {
			t.Fatalf("slack got %+v", got)
		}
		// A destination.
		must(o.Enqueue(ctx, OutMessage{Queue: "dest:ops-slack", Dedup: "dest1", Target: Target{Kind: TargetDestination, Destination: "ops-slack"},
			Payload: Payload{Message: &notify.Message{Kind: "case", Title: "Case 1 was resolved", Text: "done", Ref: "1"}}}))
		if r := send("dest:ops-slack"); !r.Sent {
			t.Fatalf("destination: %+v", r)
		}
		if m := slackHook.Messages(); len(m) != 1 || !strings.Contains(m[0].HeaderText(), "Case 1 was resolved") {
			t.Fatalf("slack hook got %+v", m)
		}
		// An unknown destination fails.
		must(o.Enqueue(ctx, OutMessage{Queue: "dest:gone", Dedup: "dest2", Target: Target{Kind: TargetDestination, Destination: "gone"}, Payload: Payload{Message: &notify.Message{Title: "x"}}}))
		if r := send("dest:gone"); !r.Failed {
			t.Fatalf("unknown destination: %+v", r)
		}
	})
}

// TestOutboxRetry: a robot that is down is retried with backoff, and the
// message goes once it is back.
func TestOutboxRetry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clk := newClock(time.Now().UTC().Truncate(time.Millisecond))
		robot := fake.NewDingTalk(t, fake.WithClock(clk.Now))
		o := &Outbox{Store: NewStore(st, clk.Now), RatePerMinute: 20, Now: clk.Now,
			Webhook: func(string) (Webhook, bool) { return Webhook{URL: robot.URL()}, true }}
		if err := o.Enqueue(ctx, expiredReplies(1, clk.Now(), "cidR")...); err != nil {
			t.Fatal(err)
		}
		robot.FailNext(1, fake.Failure{Status: http.StatusBadGateway})
		res, err := o.SendNext(ctx, "dingtalk:cidR")
		if err != nil || !res.Retry {
			t.Fatalf("first attempt: %+v %v", res, err)
		}
		res, _ = o.SendNext(ctx, "dingtalk:cidR")
		if res.ID != 0 || res.Wait <= 0 || res.Wait > 5*time.Second {
			t.Fatalf("before the backoff: %+v", res)
		}
		clk.Advance(res.Wait)
		if res, err := o.SendNext(ctx, "dingtalk:cidR"); err != nil || !res.Sent {
			t.Fatalf("second attempt: %+v %v", res, err)
		}
		if robot.Count() != 1 {
			t.Fatalf("robot has %d", robot.Count())
		}
		// DingTalk's own "too fast" answer waits a minute.
		if err := o.Enqueue(ctx, OutMessage{Queue: "dingtalk:cidR", Dedup: "fast", Target: Target{Kind: TargetDingTalk, Conversation: "cidR"}, Payload: Payload{Text: "x"}}); err != nil {
			t.Fatal(err)
		}
		robot.FailNextErrcode(1, 130101, "send too fast, exceed 20 times per minute")
		if res, _ := o.SendNext(ctx, "dingtalk:cidR"); !res.Retry {
			t.Fatalf("too fast: %+v", res)
		}
		if res, _ := o.SendNext(ctx, "dingtalk:cidR"); res.Wait < 59*time.Second {
			t.Fatalf("after too fast, wait %v", res.Wait)
		}
	})
}
