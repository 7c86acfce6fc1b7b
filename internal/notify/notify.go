// Package notify delivers a submitted question, or a Message (an AWS event
// matched by a rule, an alert escalation that gave up, a Support case
// update), to one configured destination: a Microsoft Teams Workflows
// webhook, a Backlog project, a DingTalk custom robot, a Lark / Feishu
// custom bot, a WeCom group robot, a Slack incoming webhook or a generic
// signed webhook.
//
// A Sender makes exactly one attempt per Send call; retrying is the job of
// the durable delivery queue. To let that queue decide well, every failure is
// an *Error that says whether retrying can help (Permanent), what the
// destination answered (StatusCode, Reason) and how long it asked us to wait
// (RetryAfter). Because a retry may follow a delivery whose response was lost,
// each Request carries a DeliveryID that senders pass on as an idempotency key
// (a header, or a marker Backlog searches for before creating an issue).
// Questions and messages are treated alike in all of this.
//
// # What each destination receives
//
// A question is shown with its project, name, submission time and
// reference; a Message with its title, text, fields, link, severity (a
// colour or mark where the destination has one) and kind and reference.
// Each destination cuts a long text on a character boundary to its own
// limit, ending the cut with "…". Every text that came from outside (the
// question, project and name; a message's title, text and fields) is
// escaped for the format it is put into by that format's function in
// escape.go and escape_cn.go (EscapeTeams, EscapeBacklog, EscapeDingTalk,
// EscapeLark, EscapeWeCom, EscapeSlack), so
// it shows as written and cannot link, embed an image, mention anyone or
// hide text; opsdesk's own labels and links are written around it:
//
//   - teams: an Adaptive Card 1.4 (title as a bold TextBlock coloured by
//     severity, text in a wrapping TextBlock, fields as a FactSet, an
//     Action.OpenUrl to the console); a card stays under 24000 bytes, as
//     Teams drops posts over about 28 KB after answering 202.
//   - backlog: one issue; a message's summary is its title (at most 255
//     characters), its description the text (at most 20000 characters),
//     "Name: value" lines for the fields, kind, severity, reference and
//     link, and the delivery marker line last. The summary is plain text;
//     the description is escaped for both of Backlog's text formatting
//     rules (Markdown and Backlog notation).
//   - dingtalk: a markdown message of at most 19000 bytes (DingTalk refuses
//     20000), each line of text its own paragraph; "opsdesk" is in every
//     message for robots secured by that keyword, and no message carries
//     an "at" object, so nobody is mentioned.
//   - lark: an interactive card of at most 19000 bytes (the bot refuses
//     20 KB): a plain_text header coloured by severity, lark_md blocks for
//     the facts, the text and the kind line, and a button to the console;
//     signed in the body (timestamp, sign) when a secret is configured.
//     Codes 9499 and 11232 (rate limits) are retried after a minute,
//     every other non-zero code (19021 signature, 19024 keyword …) is
//     permanent. No mention is ever sent.
//   - wecom: a markdown message whose content stays under 4000 bytes
//     (WeCom refuses 4096): heading with the severity mark, facts as
//     quote lines, the text, the kind line and a link. Errcode 45009 (20 a
//     minute) is retried after a minute, 93000 (bad key) and other codes
//     are permanent. No mention is ever sent.
//   - slack: a notification text and Block Kit blocks within Slack's limits
//     (header 150, section text 3000, field 2000 characters); a question's
//     text is plain_text, everything else mrkdwn, escaped and verbatim.
//   - webhook: a signed JSON document, shown below, with every text as it
//     was received: its consumer is a program, not a chat.
//
// The generic webhook carries the headers Idempotency-Key (the delivery id),
// X-Opsdesk-Timestamp, X-Opsdesk-Attempt and, with a secret,
// X-Opsdesk-Signature (see SignWebhook and VerifyWebhookSignature). Its body
// is a WebhookPayload for a question,
//
//	{"id": "<delivery id>", "type": "question",
//	 "question": {"id", "project", "name", "text", "submitted_at", "source_ip"}}
//
// and a WebhookMessagePayload for a message, every key always present:
//
//	{"id": "<delivery id>", "type": "message",
//	 "message": {"kind", "title", "text", "fields": [{"name", "value"}],
//	             "url", "severity", "ref"}}
//
// Secrets (API keys, signing secrets, webhook URLs that embed tokens) are
// resolved once in New and never appear in an error: network errors print
// only the scheme and host of the URL, and every reason is scrubbed of the
// secret values before it is returned.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
)

// Question is what a submitter asked, as stored by intake.
type Question struct {
	ID          string    // public reference, e.g. "Q-000123"
	Project     string    // optional course/project code
	Name        string    // optional submitter name
	Text        string    // the question, multi-line, up to 8000 characters, any language
	SubmittedAt time.Time // UTC
	SourceIP    string
}

// Request is one attempt to deliver a question, or a message, to one
// destination.
type Request struct {
	DeliveryID string // stable across retries of the same delivery: the idempotency key
	Attempt    int    // 1-based attempt number
	Question   Question
	ConsoleURL string // link to the question in the console; may be ""
	// Message, when set, is delivered instead of Question. Its URL is the
	// link shown; ConsoleURL is used when Message.URL is "".
	Message *Message
	// Mention, when set, mentions exactly this one member in a Message
	// (on-call notifications; see mention.go). Only senders for which
	// CanMention is true honour it; nothing else in a message can mention
	// anyone.
	Mention *Mention
}

// Result is what a successful delivery produced.
type Result struct {
	// ExternalRef names what the destination created, e.g. the Backlog issue
	// key "TRAIN-12"; "" when the destination returns nothing to refer to.
	ExternalRef string
}

// Sender delivers a question or a message to one destination. Send makes one attempt and
// is safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, r Request) (Result, error)
}

// AttemptSensitive is implemented by senders that behave differently once
// an earlier attempt may have reached the destination (Backlog looks for
// the issue such an attempt created before creating one). For them the
// attempt is committed before the request is made, so a crash in between
// is known to the next attempt; other destinations get the same
// idempotency key on every attempt and need no such record.
type AttemptSensitive interface {
	AttemptSensitive() bool
}

// IsAttemptSensitive reports whether s is AttemptSensitive.
func IsAttemptSensitive(s Sender) bool {
	a, ok := s.(AttemptSensitive)
	return ok && a.AttemptSensitive()
}

// Error is what Send returns on failure (possibly wrapped; use errors.As).
type Error struct {
	// Permanent is true when retrying cannot help: a 4xx answer other than
	// 408, 425 and 429, a rejected payload or signature, invalid config.
	Permanent bool
	// StatusCode is the HTTP status; 0 for network errors and timeouts.
	StatusCode int
	// RetryAfter is > 0 when the destination said how long to wait
	// (Retry-After, Backlog's X-RateLimit-Reset, DingTalk's rate limit).
	RetryAfter time.Duration
	// Reason is human-readable and includes the destination's own message.
	// It never contains secrets.
	Reason string

	// refused: the connection was refused, so no request was written.
	refused bool
}

// ConnectionRefused reports whether the destination refused the
// connection: the request was surely not delivered (on-call senders may
// then retry it without risking a duplicate).
func (e *Error) ConnectionRefused() bool { return e.refused }

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("notify: ")
	b.WriteString(e.Reason)
	switch {
	case e.Permanent:
		b.WriteString(" (permanent)")
	case e.RetryAfter > 0:
		b.WriteString(" (retry after ")
		b.WriteString(e.RetryAfter.String())
		b.WriteString(")")
	}
	return b.String()
}

// Backoff returns how long to wait before retry attempt n (1-based):
// exponential backoff with full jitter, a uniformly random duration in
// [0, min(1h, 5s·2^(n-1))). rnd returns a number in [0,1); nil uses
// math/rand/v2.
func Backoff(attempt int, rnd func() float64) time.Duration {
	const (
		base    = 5 * time.Second
		ceiling = time.Hour
	)
	if attempt < 1 {
		attempt = 1
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	d := ceiling
	if attempt-1 < 20 { // 5s·2^19 is far above the ceiling already
		if v := base << (attempt - 1); v < ceiling {
			d = v
		}
	}
	f := rnd()
	if f < 0 || f >= 1 || math.IsNaN(f) {
		f = 0
	}
	return time.Duration(f * float64(d))
}

// New builds the sender for one configured destination. lookup is
// os.LookupEnv in production; the secrets named by url_env, secret_env and
// api_key_env are resolved here, and a missing one is an error naming the
// config key. client is used for every HTTP call (the caller sets its
// Timeout); redirects are never followed, since following one would resend
// a secret-bearing URL or body to wherever the redirect points.
func New(d config.Destination, lookup func(string) (string, bool), client *http.Client) (Sender, error) {
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	key := "destinations[" + d.Name + "]"
	wrap := func(err error) error { return fmt.Errorf("notify: destination %q: %w", d.Name, err) }

	b := &base{kind: d.Type, client: &c, now: time.Now}
	secret, err := config.Secret(lookup, key+".secret_env", d.SecretEnv)
	if err != nil {
		return nil, wrap(err)
	}
	b.addSecret(secret)

	if d.SlackAPI() {
		api, err := NewSlackAPI(d, lookup, client)
		if err != nil {
			return nil, wrap(err)
		}
		return api, nil
	}
	switch d.Type {
	case "teams", "slack", "dingtalk", "lark", "wecom", "webhook":
		raw := d.URL
		if d.URLEnv != "" {
			if raw, err = config.Secret(lookup, key+".url_env", d.URLEnv); err != nil {
				return nil, wrap(err)
			}
		}
		if raw == "" {
			return nil, wrap(&config.Error{Key: key + ".url", Msg: "is required (or url_env)"})
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// Never echo the URL: it may be the secret itself.
			return nil, wrap(&config.Error{Key: key + ".url", Msg: "is not an http(s) URL"})
		}
		b.addURLSecrets(u)
		switch d.Type {
		case "teams":
			return &teams{base: b, url: u}, nil
		case "slack":
			return &slack{base: b, url: u}, nil
		case "dingtalk":
			return &dingtalk{base: b, url: u, secret: secret}, nil
		case "lark":
			return &lark{base: b, url: u, secret: secret}, nil
		case "wecom":
			return &wecom{base: b, url: u}, nil
		default:
			return &webhook{base: b, url: u, secret: []byte(secret)}, nil
		}
	case "backlog":
		apiKey, err := config.Secret(lookup, key+".api_key_env", d.APIKeyEnv)
		if err != nil {
			return nil, wrap(err)
		}
		if apiKey == "" {
			return nil, wrap(&config.Error{Key: key + ".api_key_env", Msg: "is required for backlog"})
		}
		u, err := url.Parse(strings.TrimRight(d.BaseURL, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, wrap(&config.Error{Key: key + ".base_url", Msg: "is not an http(s) URL"})
		}
		if d.ProjectID <= 0 || d.IssueTypeID <= 0 || d.PriorityID <= 0 {
			return nil, wrap(&config.Error{Key: key, Msg: "project_id, issue_type_id and priority_id are required for backlog"})
		}
		b.addSecret(apiKey)
		return &backlog{base: b, baseURL: u, apiKey: apiKey, dest: d}, nil
	case "":
		return nil, wrap(&config.Error{Key: key + ".type", Msg: "is required"})
	default:
		return nil, wrap(&config.Error{Key: key + ".type", Msg: fmt.Sprintf("%q is not one of teams, backlog, dingtalk, lark, wecom, slack, webhook", d.Type)})
	}
}

// base holds what every sender shares: the HTTP client, the clock and the
// list of secret strings that must never leave in an error.
type base struct {
	kind    string
	client  *http.Client
	now     func() time.Time
	secrets []string
}

func (b *base) addSecret(s string) {
	if len(s) >= 4 {
		b.secrets = append(b.secrets, s, url.QueryEscape(s), url.PathEscape(s))
	}
}

// addURLSecrets registers the parts of a webhook URL that act as a token:
// the whole URL, every query value (access_token, sig, …) and every long
// path segment (Slack's /services/T…/B…/<token>).
func (b *base) addURLSecrets(u *url.URL) {
	b.addSecret(u.String())
	for _, vs := range u.Query() {
		for _, v := range vs {
			if len(v) >= 6 {
				b.addSecret(v)
			}
		}
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if len(seg) >= 16 {
			b.addSecret(seg)
		}
	}
}

// scrub removes every known secret from s.
func (b *base) scrub(s string) string {
	for _, sec := range b.secrets {
		if sec != "" && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	return s
}

// fail builds an *Error with a scrubbed reason prefixed by the destination
// type.
func (b *base) fail(permanent bool, status int, retryAfter time.Duration, format string, args ...any) *Error {
	return &Error{
		Permanent:  permanent,
		StatusCode: status,
		RetryAfter: retryAfter,
		Reason:     b.scrub(b.kind + ": " + fmt.Sprintf(format, args...)),
	}
}

// maxResponseBody bounds how much of a response body is read.
const maxResponseBody = 64 << 10

// response is a fully read HTTP response.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends req and reads the response body (bounded). A transport failure
// becomes a retryable *Error whose text names only the URL's scheme and host.
func (b *base) do(req *http.Request) (*response, error) {
	req.Header.Set("User-Agent", userAgent())
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, b.networkError(req, err)
	}
	defer resp.Body.Close()
	body, err := readLimited(resp.Body, maxResponseBody)
	if err != nil {
		return nil, b.networkError(req, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

func (b *base) networkError(req *http.Request, err error) *Error {
	// *url.Error prints the full URL (with apiKey, access_token, sig…):
	// report the operation and the inner error only.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	what := "network error"
	var te interface{ Timeout() bool }
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &te) && te.Timeout():
		what = "timeout"
	case errors.Is(err, context.Canceled):
		what = "canceled"
	}
	e := b.fail(false, 0, 0, "%s %s: %s: %v", req.Method, redactURL(req.URL), what, err)
	e.refused = errors.Is(err, syscall.ECONNREFUSED)
	return e
}

// redactURL keeps only scheme and host: webhook paths and queries carry
// tokens.
func redactURL(u *url.URL) string {
	return u.Scheme + "://" + u.Host + "/…"
}

// classify turns a non-2xx answer into an *Error. msg is the destination's
// own explanation extracted from the body ("" to use the raw body text).
// postErrcode posts a JSON body to a robot that answers {"errcode": N,
// "errmsg": "…"} (DingTalk, WeCom): 0 is success; tooFast (the robot's
// per-minute limit) is retried after a minute and busy at once; every other
// code is refused again on a retry.
func (b *base) postErrcode(ctx context.Context, url, contentType string, body []byte, tooFast, busy int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return b.fail(true, 0, 0, "build request: %v", err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := b.do(req)
	if err != nil {
		return err
	}
	var ans struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	jsonErr := json.Unmarshal(resp.body, &ans)
	if resp.status < 200 || resp.status > 299 {
		msg := ""
		if jsonErr == nil && ans.ErrCode != nil {
			msg = fmt.Sprintf("errcode %d: %s", *ans.ErrCode, oneLine(ans.ErrMsg, maxReason))
		}
		return b.classify(resp, msg)
	}
	if jsonErr != nil || ans.ErrCode == nil {
		return b.fail(false, resp.status, 0, "HTTP %d: unexpected answer: %s", resp.status, bodyText(resp.body))
	}
	code := *ans.ErrCode
	if code == 0 {
		return nil
	}
	msg := oneLine(ans.ErrMsg, maxReason)
	switch code {
	case tooFast:
		return b.fail(false, resp.status, time.Minute, "errcode %d: %s", code, msg)
	case busy:
		return b.fail(false, resp.status, 0, "errcode %d: %s", code, msg)
	default:
		return b.fail(true, resp.status, 0, "errcode %d: %s", code, msg)
	}
}

func (b *base) classify(r *response, msg string) *Error {
	if msg == "" {
		msg = bodyText(r.body)
	}
	status := fmt.Sprintf("HTTP %d %s", r.status, http.StatusText(r.status))
	if msg != "" {
		status += ": " + msg
	}
	switch {
	case r.status == http.StatusTooManyRequests:
		return b.fail(false, r.status, retryAfter(r.header, b.now()), "%s", status)
	case r.status == http.StatusRequestTimeout, r.status == http.StatusTooEarly, r.status >= 500:
		return b.fail(false, r.status, retryAfter(r.header, b.now()), "%s", status)
	case r.status >= 300 && r.status < 400:
		return b.fail(true, r.status, 0, "%s (redirects are not followed; check the URL)", status)
	default:
		return b.fail(true, r.status, 0, "%s", status)
	}
}

// maxRetryAfter bounds what a destination may ask us to wait.
const maxRetryAfter = 24 * time.Hour

// retryAfter parses a Retry-After header: delay-seconds or an HTTP-date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now).Round(time.Second)
	}
	return clampRetryAfter(d)
}

func clampRetryAfter(d time.Duration) time.Duration {
	switch {
	case d <= 0:
		return 0
	case d > maxRetryAfter:
		return maxRetryAfter
	}
	return d
}

// maxReason bounds the destination's message inside Error.Reason.
const maxReason = 300

// bodyText renders a response body as one line of at most maxReason
// characters.
func bodyText(body []byte) string {
	return oneLine(string(body), maxReason)
}

// oneLine collapses whitespace and control characters and cuts s to n
// runes, marking a cut with "…".
func oneLine(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	count, space := 0, false
	for _, r := range s {
		if r == '\n' || r == '\r' || r == '\t' || r == ' ' || r < 0x20 || r == 0x7f {
			space = b.Len() > 0
			continue
		}
		if count >= n {
			b.WriteString("…")
			return b.String()
		}
		if space {
			b.WriteByte(' ')
			count++
			space = false
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}

var userAgent = sync.OnceValue(func() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return "opsdesk/" + v + " (+notify)"
})

// orDash shows an empty optional field as "-".
func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// submitted formats a submission time for people, in UTC.
func submitted(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}
