package chatops

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/chatops/sig"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
)

// The outbox holds every message chat-ops sends (command replies, case
// updates) until it is sent. A message is committed first and sent by a
// job, so a crash, a restart or a chat platform that is down never loses
// one; it is sent at least once (a process that dies between sending and
// recording may send it again after staleSending).
//
// Messages are grouped in queues (a conversation, a Slack response URL, a
// destination) and a queue is sent oldest first. Each send to a DingTalk
// robot webhook takes a slot of that webhook's bucket: at most
// RatePerMinute sends in any rolling minute, counted in chat_rate_log so
// that every replica shares the limit. When the bucket is full the message
// waits (the job snoozes until the oldest slot frees); it is never
// dropped.

// Target kinds.
const (
	TargetDingTalk      = "dingtalk"       // a DingTalk conversation
	TargetSlackResponse = "slack_response" // a Slack response_url
	TargetDestination   = "destination"    // a configured destination (notify)
)

// Target says where a message goes.
type Target struct {
	Kind string `json:"kind"`
	// Conversation is the DingTalk conversationId.
	Conversation string `json:"conversation,omitempty"`
	// SessionWebhook and SessionExpires (Unix ms) are the DingTalk
	// message's reply URL and its expiry; empty for updates, which use the
	// conversation's latest session or its custom robot webhook.
	SessionWebhook string `json:"session_webhook,omitempty"`
	SessionExpires int64  `json:"session_expires,omitempty"`
	// NoSession: a session refused the message; use the robot webhook.
	NoSession bool `json:"no_session,omitempty"`
	// ResponseURL is the Slack command's response_url.
	ResponseURL string `json:"response_url,omitempty"`
	// Destination names a configured destination.
	Destination string `json:"destination,omitempty"`
}

// Payload is the message itself.
type Payload struct {
	Title string `json:"title,omitempty"`
	Text  string `json:"text,omitempty"`
	// MsgType is DingTalk's msgtype: text or markdown.
	MsgType string `json:"msgtype,omitempty"`
	// ResponseType is Slack's: ephemeral or in_channel.
	ResponseType string `json:"response_type,omitempty"`
	// Message is sent to a destination.
	Message *notify.Message `json:"message,omitempty"`
}

// OutMessage is a message to queue.
type OutMessage struct {
	Queue   string
	Target  Target
	Payload Payload
	// Dedup makes queueing idempotent: a second message with the same key
	// is not queued.
	Dedup    string
	AuditRef int64
}

// Webhook is a DingTalk custom robot: its URL (with access_token) and its
// optional SEC signing secret.
type Webhook struct {
	URL    string
	Secret string
}

// Outbox queues and sends messages.
type Outbox struct {
	Store *Store
	Queue jobs.Queue
	HTTP  *http.Client
	// Webhook returns the custom robot webhook for a DingTalk conversation
	// (its own, or the configured default); ok is false when there is
	// none.
	Webhook func(conversation string) (Webhook, bool)
	// Senders deliver to destinations; DestinationLimits bounds the sends
	// per minute of some of them (DingTalk robots), by name.
	Senders           map[string]notify.Sender
	DestinationLimits map[string]int
	// RatePerMinute bounds the sends to one DingTalk robot webhook.
	RatePerMinute int
	// SnoozeMax bounds how long a job waits before it looks again (the
	// clock may be moved in tests; in production it bounds the effect of
	// clock skew between replicas).
	SnoozeMax time.Duration
	Now       func() time.Time
	Log       *slog.Logger
}

const (
	// rateWindow is DingTalk's window: 20 messages per minute.
	rateWindow = time.Minute
	// rateMargin keeps a slot taken a little longer than the window, for
	// the distance between our clock and DingTalk's.
	rateMargin = time.Second
	// staleSending: a message claimed this long ago whose sender never
	// recorded the outcome (the process died) is sent again.
	staleSending = 2 * time.Minute
	// inFlightWait is how long a job waits for the queue's message being
	// sent by another job.
	inFlightWait = 500 * time.Millisecond
	// sessionMargin: a sessionWebhook this close to its expiry is not used.
	sessionMargin = 30 * time.Second
	// giveUpAfter and maxSendAttempts end the retries of a message.
	giveUpAfter     = 24 * time.Hour
	maxSendAttempts = 20
	// dingTalkMaxBody is DingTalk's limit (20000 bytes) with a margin.
	dingTalkMaxBody = 18000
	// slackMaxText bounds a response_url message's text (characters).
	slackMaxText = 12000
)

func (o *Outbox) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Outbox) log() *slog.Logger {
	if o.Log != nil {
		return o.Log
	}
	return slog.New(slog.DiscardHandler)
}

// enqueueTx queues messages in tx; it returns the ids of those queued (a
// duplicate Dedup is skipped).
func (o *Outbox) enqueueTx(ctx context.Context, tx *sql.Tx, msgs []OutMessage) ([]queued, error) {
	st := o.Store.st
	now := store.Millis(o.now())
	var out []queued
	for _, m := range msgs {
		target, err := json.Marshal(m.Target)
		if err != nil {
			return nil, err
		}
		payload, err := json.Marshal(m.Payload)
		if err != nil {
			return nil, err
		}
		var ref any
		if m.AuditRef > 0 {
			ref = m.AuditRef
		}
		var id int64
		err = tx.QueryRowContext(ctx, st.Q(`INSERT INTO chat_outbox (queue, kind, target, payload, dedup, audit_ref, not_before, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup) DO NOTHING RETURNING id`),
			m.Queue, m.Target.Kind, string(target), string(payload), m.Dedup, ref, now, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("chatops: queue message: %w", err)
		}
		out = append(out, queued{queue: m.Queue, id: id})
	}
	return out, nil
}

type queued struct {
	queue string
	id    int64
}

// Enqueue queues messages and starts their sending.
func (o *Outbox) Enqueue(ctx context.Context, msgs ...OutMessage) error {
	var q []queued
	err := o.Store.st.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		q, err = o.enqueueTx(ctx, tx, msgs)
		return err
	})
	if err != nil {
		return err
	}
	return o.kick(ctx, q)
}

// kick inserts a send job per queued message. A failure here is repaired
// by the sweeper (SweepArgs), so it is only logged.
func (o *Outbox) kick(ctx context.Context, q []queued) error {
	if o.Queue == nil || len(q) == 0 {
		return nil
	}
	for _, x := range q {
		if _, err := o.Queue.Insert(ctx, SendArgs{Queue: x.queue, Row: x.id}, nil); err != nil {
			o.log().Warn("chat: queue send job; the sweeper will retry", "queue", x.queue, "error", err)
		}
	}
	return nil
}

// SendResult says what SendNext did.
type SendResult struct {
	// ID is the message handled (0: none).
	ID int64
	// Sent: the message was delivered. Failed: it was given up.
	Sent, Failed bool
	// Retry: the attempt failed and the message waits for another.
	Retry bool
	// Wait > 0: nothing could be sent now; try again after Wait (a full
	// bucket, a message waiting for its retry time).
	Wait time.Duration
}

type outRow struct {
	id        int64
	queue     string
	kind      string
	target    Target
	payload   Payload
	dedup     string
	attempts  int
	createdAt time.Time
}

// route is how one attempt is made.
type route struct {
	name   string // shown in the console: "session", "webhook", "response_url", "destination:x"
	bucket string // "" for no limit
	limit  int
	url    string
	secret string // DingTalk SEC secret
	// permanent, when set, says why the message cannot be sent at all.
	permanent string
}

// SendNext sends the oldest message of queue that is due, if its bucket
// has a free slot.
func (o *Outbox) SendNext(ctx context.Context, queue string) (SendResult, error) {
	st := o.Store.st
	now := o.now()
	nowMs := store.Millis(now)
	var res SendResult
	var row outRow
	var rt route
	claimed := false
	err := st.Tx(ctx, func(tx *sql.Tx) error {
		if err := o.Store.lock(ctx, tx, "queue:"+queue); err != nil {
			return err
		}
		// One send at a time per queue, so a conversation reads its
		// messages in order.
		var inFlight int
		if err := tx.QueryRowContext(ctx, st.Q(`SELECT count(*) FROM chat_outbox WHERE queue = ? AND status = 'sending' AND claimed_at > ?`),
			queue, store.Millis(now.Add(-staleSending))).Scan(&inFlight); err != nil {
			return err
		}
		if inFlight > 0 {
			res.Wait = inFlightWait
			return nil
		}
		var target, payload string
		var created int64
		err := tx.QueryRowContext(ctx, st.Q(`SELECT id, kind, target, payload, dedup, attempts, created_at FROM chat_outbox
			WHERE queue = ? AND ((status = 'pending' AND not_before <= ?) OR (status = 'sending' AND claimed_at <= ?))
			ORDER BY id LIMIT 1`), queue, nowMs, store.Millis(now.Add(-staleSending))).
			Scan(&row.id, &row.kind, &target, &payload, &row.dedup, &row.attempts, &created)
		if errors.Is(err, sql.ErrNoRows) {
			// Nothing due: when will something be?
			var next sql.NullInt64
			if err := tx.QueryRowContext(ctx, st.Q(`SELECT min(CASE WHEN status = 'pending' THEN not_before ELSE claimed_at + ? END) FROM chat_outbox
				WHERE queue = ? AND status IN ('pending', 'sending')`), staleSending.Milliseconds(), queue).Scan(&next); err != nil {
				return err
			}
			if next.Valid {
				res.Wait = max(time.Duration(next.Int64-nowMs)*time.Millisecond, time.Millisecond)
			}
			return nil
		}
		if err != nil {
			return err
		}
		row.queue, row.createdAt = queue, store.Time(created)
		res.ID = row.id
		if err := json.Unmarshal([]byte(target), &row.target); err != nil {
			return o.failTx(ctx, tx, row.id, "unreadable target: "+err.Error(), &res)
		}
		if err := json.Unmarshal([]byte(payload), &row.payload); err != nil {
			return o.failTx(ctx, tx, row.id, "unreadable payload: "+err.Error(), &res)
		}
		rt, err = o.route(ctx, row, now)
		if err != nil {
			return err
		}
		if rt.permanent != "" {
			return o.failTx(ctx, tx, row.id, rt.permanent, &res)
		}
		if rt.limit > 0 {
			if err := o.Store.lock(ctx, tx, "bucket:"+rt.bucket); err != nil {
				return err
			}
			var n int
			var oldest sql.NullInt64
			since := store.Millis(now.Add(-rateWindow - rateMargin))
			if err := tx.QueryRowContext(ctx, st.Q(`SELECT count(*), min(at) FROM chat_rate_log WHERE bucket = ? AND at > ?`), rt.bucket, since).Scan(&n, &oldest); err != nil {
				return err
			}
			if n >= rt.limit {
				free := store.Time(oldest.Int64).Add(rateWindow + rateMargin)
				res.Wait = max(free.Sub(now)+time.Millisecond, time.Millisecond)
				res.ID = 0
				return nil
			}
			if _, err := tx.ExecContext(ctx, st.Q(`INSERT INTO chat_rate_log (bucket, at) VALUES (?, ?)`), rt.bucket, nowMs); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, st.Q(`UPDATE chat_outbox SET status = 'sending', claimed_at = ?, attempts = attempts + 1, route = ? WHERE id = ?`), nowMs, rt.name, row.id); err != nil {
			return err
		}
		row.attempts++
		claimed = true
		return nil
	})
	if err != nil {
		return SendResult{}, fmt.Errorf("chatops: outbox %s: %w", queue, err)
	}
	if !claimed {
		return res, nil
	}
	sendErr := o.send(ctx, row, rt)
	return o.record(ctx, row, rt, sendErr)
}

func (o *Outbox) failTx(ctx context.Context, tx *sql.Tx, id int64, reason string, res *SendResult) error {
	res.Failed = true
	_, err := tx.ExecContext(ctx, o.Store.st.Q(`UPDATE chat_outbox SET status = 'failed', last_error = ? WHERE id = ?`), cut(reason, 500), id)
	return err
}

// sendError is a failed attempt.
type sendError struct {
	msg        string
	permanent  bool
	retryAfter time.Duration
	// sessionGone: the sessionWebhook was refused; use the robot webhook.
	sessionGone bool
}

func (e *sendError) Error() string { return e.msg }

// record stores the outcome of an attempt.
func (o *Outbox) record(ctx context.Context, row outRow, rt route, sendErr error) (SendResult, error) {
	st := o.Store.st
	now := o.now()
	res := SendResult{ID: row.id}
	var q string
	var args []any
	var se *sendError
	if sendErr != nil && !errors.As(sendErr, &se) {
		se = &sendError{msg: sendErr.Error()}
	}
	switch {
	case sendErr == nil:
		res.Sent = true
		q, args = `UPDATE chat_outbox SET status = 'sent', sent_at = ?, last_error = '' WHERE id = ?`, []any{store.Millis(now), row.id}
	case se.sessionGone:
		// Try again at once through the robot webhook.
		row.target.SessionWebhook, row.target.SessionExpires, row.target.NoSession = "", 0, true
		b, _ := json.Marshal(row.target)
		res.Retry = true
		q, args = `UPDATE chat_outbox SET status = 'pending', not_before = ?, target = ?, last_error = ? WHERE id = ?`, []any{store.Millis(now), string(b), cut(se.msg, 500), row.id}
	case se.permanent || row.attempts >= maxSendAttempts || now.Sub(row.createdAt) > giveUpAfter:
		res.Failed = true
		q, args = `UPDATE chat_outbox SET status = 'failed', last_error = ? WHERE id = ?`, []any{cut(se.msg, 500), row.id}
	default:
		res.Retry = true
		wait := se.retryAfter
		if wait <= 0 {
			wait = backoff(row.attempts)
		}
		q, args = `UPDATE chat_outbox SET status = 'pending', not_before = ?, last_error = ? WHERE id = ?`, []any{store.Millis(now.Add(wait)), cut(se.msg, 500), row.id}
	}
	if _, err := st.W.ExecContext(ctx, st.Q(q), args...); err != nil {
		return res, fmt.Errorf("chatops: outbox %d: record: %w", row.id, err)
	}
	switch {
	case res.Failed:
		o.log().Warn("chat: message not sent, given up", "queue", row.queue, "id", row.id, "route", rt.name, "error", se.msg)
	case res.Retry:
		o.log().Info("chat: message not sent, will retry", "queue", row.queue, "id", row.id, "route", rt.name, "attempt", row.attempts, "error", se.msg)
	}
	return res, nil
}

// backoff is the wait before attempt n+1: 5 s doubling to 10 min, with
// jitter.
func backoff(n int) time.Duration {
	d := 5 * time.Second << min(max(n-1, 0), 7)
	d = min(d, 10*time.Minute)
	return d/2 + rand.N(d/2+1)
}

// route decides how row is sent now.
func (o *Outbox) route(ctx context.Context, row outRow, now time.Time) (route, error) {
	t := row.target
	switch t.Kind {
	case TargetDingTalk:
		live := func(u string, expires int64) bool {
			return u != "" && now.Add(sessionMargin).Before(store.Time(expires)) && SafeReplyURL(u)
		}
		session := ""
		if !t.NoSession {
			// The message's own session; else the latest one a message
			// of the same conversation brought (updates have none).
			if live(t.SessionWebhook, t.SessionExpires) {
				session = t.SessionWebhook
			} else if t.Conversation != "" {
				c, err := o.Store.conversation(ctx, "dingtalk", t.Conversation)
				if err != nil {
					return route{}, err
				}
				if live(c.SessionWebhook, store.Millis(c.SessionExpiresAt)) {
					session = c.SessionWebhook
				}
			}
		}
		if session != "" {
			key := t.Conversation
			if key == "" {
				key = session
			}
			return route{name: "session", bucket: "dingtalk:session:" + hashKey(key), limit: o.rate(), url: session}, nil
		}
		wh, ok := Webhook{}, false
		if o.Webhook != nil {
			wh, ok = o.Webhook(t.Conversation)
		}
		if !ok || wh.URL == "" {
			return route{permanent: "the message's sessionWebhook has expired and no custom robot webhook is configured (chat.dingtalk.webhook_url or chat.dingtalk.conversations)"}, nil
		}
		return route{name: "webhook", bucket: "dingtalk:webhook:" + hashKey(webhookBase(wh.URL)), limit: o.rate(), url: wh.URL, secret: wh.Secret}, nil
	case TargetSlackResponse:
		if !SafeReplyURL(t.ResponseURL) {
			return route{permanent: "the Slack response_url is not an https URL"}, nil
		}
		return route{name: "response_url", url: t.ResponseURL}, nil
	case TargetDestination:
		if _, ok := o.Senders[t.Destination]; !ok {
			return route{permanent: fmt.Sprintf("destination %q is not configured", t.Destination)}, nil
		}
		return route{name: "destination:" + t.Destination, bucket: "destination:" + t.Destination, limit: o.DestinationLimits[t.Destination]}, nil
	}
	return route{permanent: fmt.Sprintf("unknown target kind %q", t.Kind)}, nil
}

func (o *Outbox) rate() int {
	if o.RatePerMinute > 0 {
		return o.RatePerMinute
	}
	return 20
}

// hashKey shortens a key that may hold a secret (a webhook token) to a
// stable, harmless one.
func hashKey(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// webhookBase drops the signature parameters of a webhook URL: the bucket
// is the robot, not one signed URL.
func webhookBase(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	q := u.Query()
	q.Del("timestamp")
	q.Del("sign")
	u.RawQuery = q.Encode()
	return u.String()
}

// SafeReplyURL reports whether a reply URL that came in a request
// (DingTalk's sessionWebhook, Slack's response_url) may be posted to:
// https, or http to a loopback address (tests, a local relay).
func SafeReplyURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return true
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// send makes one attempt.
func (o *Outbox) send(ctx context.Context, row outRow, rt route) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	switch row.kind {
	case TargetDingTalk:
		u := rt.url
		if rt.name == "webhook" && rt.secret != "" {
			signed, err := sig.SignDingTalkURL(rt.url, rt.secret, o.now())
			if err != nil {
				return &sendError{msg: err.Error(), permanent: true}
			}
			u = signed
		}
		err := o.postDingTalk(ctx, u, row.payload)
		var se *sendError
		if rt.name == "session" && errors.As(err, &se) && se.permanent {
			se.sessionGone = true
		}
		return err
	case TargetSlackResponse:
		return o.postSlack(ctx, rt.url, row.payload)
	case TargetDestination:
		return o.sendDestination(ctx, row)
	}
	return &sendError{msg: "unknown kind " + row.kind, permanent: true}
}

func (o *Outbox) client() *http.Client {
	if o.HTTP != nil {
		return o.HTTP
	}
	return &http.Client{Timeout: 15 * time.Second}
}

// DingTalk's answer codes that are worth another try.
const (
	dingTalkSendTooFast = 130101
	dingTalkSystemBusy  = -1
)

// dingTalkBody encodes a text or markdown message within DingTalk's size
// limit. A reply is plain text that quotes what people typed and what AWS
// wrote (case subjects, replies): a markdown message is escaped as a whole
// with notify.EscapeDingTalk, a text message gets its mentions broken
// (notify.BreakMentions); neither carries an "at" object, so nobody is
// mentioned.
func dingTalkBody(p Payload) ([]byte, error) {
	text := p.Text
	for {
		var m map[string]any
		if p.MsgType == "markdown" {
			title := p.Title
			if title == "" {
				title = firstLineOf(text)
			}
			m = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": cutRunes(title, 60), "text": markdownText(text)}}
		} else {
			m = map[string]any{"msgtype": "text", "text": map[string]string{"content": notify.BreakMentions(text)}}
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		if len(b) <= dingTalkMaxBody || text == "" {
			return b, nil
		}
		text = cutBytes(text, len(text)-(len(b)-dingTalkMaxBody)-64) + "…"
	}
}

// postDingTalk posts to a session webhook or a custom robot webhook; both
// answer {"errcode":0,"errmsg":"ok"}.
func (o *Outbox) postDingTalk(ctx context.Context, u string, p Payload) error {
	body, err := dingTalkBody(p)
	if err != nil {
		return &sendError{msg: "encode: " + err.Error(), permanent: true}
	}
	status, resp, err := o.post(ctx, u, "application/json;charset=utf-8", body)
	if err != nil {
		return err
	}
	if status == http.StatusTooManyRequests || status >= 500 {
		return &sendError{msg: fmt.Sprintf("dingtalk: HTTP %d", status)}
	}
	if status < 200 || status > 299 {
		return &sendError{msg: fmt.Sprintf("dingtalk: HTTP %d: %s", status, cut(string(resp), 200)), permanent: true}
	}
	var ans struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(resp, &ans); err != nil || ans.ErrCode == nil {
		return &sendError{msg: "dingtalk: unexpected answer: " + cut(string(resp), 200)}
	}
	switch *ans.ErrCode {
	case 0:
		return nil
	case dingTalkSendTooFast:
		return &sendError{msg: fmt.Sprintf("dingtalk: errcode %d: %s", *ans.ErrCode, cut(ans.ErrMsg, 200)), retryAfter: rateWindow}
	case dingTalkSystemBusy:
		return &sendError{msg: fmt.Sprintf("dingtalk: errcode %d: %s", *ans.ErrCode, cut(ans.ErrMsg, 200))}
	}
	return &sendError{msg: fmt.Sprintf("dingtalk: errcode %d: %s", *ans.ErrCode, cut(ans.ErrMsg, 200)), permanent: true}
}

// postSlack posts to a slash command's response_url.
func (o *Outbox) postSlack(ctx context.Context, u string, p Payload) error {
	rt := p.ResponseType
	if rt == "" {
		rt = "ephemeral"
	}
	// The reply is plain text quoting what people typed and what AWS
	// wrote: escaped as a whole, so it shows as written and cannot
	// mention or link.
	body, err := json.Marshal(map[string]any{"response_type": rt, "text": cutRunes(notify.EscapeSlack(p.Text), slackMaxText), "replace_original": false})
	if err != nil {
		return &sendError{msg: "encode: " + err.Error(), permanent: true}
	}
	status, resp, err := o.post(ctx, u, "application/json; charset=utf-8", body)
	if err != nil {
		return err
	}
	switch {
	case status == http.StatusTooManyRequests || status >= 500:
		return &sendError{msg: fmt.Sprintf("slack: HTTP %d: %s", status, cut(string(resp), 200))}
	case status < 200 || status > 299:
		// 404 expired_url / used_url: the response_url is spent.
		return &sendError{msg: fmt.Sprintf("slack: HTTP %d: %s", status, cut(string(resp), 200)), permanent: true}
	}
	var ans struct {
		OK    *bool  `json:"ok"`
		Error string `json:"error"`
	}
	if json.Unmarshal(resp, &ans) == nil && ans.OK != nil && !*ans.OK {
		return &sendError{msg: "slack: " + cut(ans.Error, 200), permanent: true}
	}
	return nil
}

// post makes one HTTP POST; the URL (which carries a token) is never in
// the error.
func (o *Outbox) post(ctx context.Context, u, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, &sendError{msg: "bad URL", permanent: true}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "opsdesk-chatops")
	resp, err := o.client().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, nil, &sendError{msg: fmt.Sprintf("post to %s: %v", req.URL.Host, err)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, b, nil
}

func (o *Outbox) sendDestination(ctx context.Context, row outRow) error {
	s := o.Senders[row.target.Destination]
	if row.payload.Message == nil {
		return &sendError{msg: "no message", permanent: true}
	}
	_, err := s.Send(ctx, notify.Request{DeliveryID: "chat-" + hashKey(row.dedup), Attempt: row.attempts, Message: row.payload.Message})
	if err == nil {
		return nil
	}
	var ne *notify.Error
	if errors.As(err, &ne) {
		return &sendError{msg: ne.Reason, permanent: ne.Permanent, retryAfter: ne.RetryAfter}
	}
	return &sendError{msg: err.Error()}
}

// markdownText turns plain reply text into DingTalk markdown that shows
// the same: escaped with notify.EscapeDingTalk, each line its own line
// (a hard break, two spaces before the newline).
func markdownText(s string) string {
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
	return strings.ReplaceAll(notify.EscapeDingTalk(s), "\n", "  \n")
}

func firstLineOf(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// cut shortens s to n bytes on a character boundary, with "…".
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return cutBytes(s, n-3) + "…"
}

func cutBytes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-1, 0)]) + "…"
}

// Sweep queues a send job for every queue whose oldest due message has
// waited longer than grace (its job was never inserted: a crash between
// commit and insert).
func (o *Outbox) Sweep(ctx context.Context, grace time.Duration) (int, error) {
	st := o.Store.st
	now := o.now()
	rows, err := st.R.QueryContext(ctx, st.Q(`SELECT queue, min(id) FROM chat_outbox
		WHERE (status = 'pending' AND not_before <= ? AND created_at <= ?) OR (status = 'sending' AND claimed_at <= ?)
		GROUP BY queue`), store.Millis(now), store.Millis(now.Add(-grace)), store.Millis(now.Add(-staleSending)))
	if err != nil {
		return 0, fmt.Errorf("chatops: sweep outbox: %w", err)
	}
	var q []queued
	for rows.Next() {
		var x queued
		if err := rows.Scan(&x.queue, &x.id); err != nil {
			rows.Close()
			return 0, err
		}
		q = append(q, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return len(q), o.kick(ctx, q)
}
