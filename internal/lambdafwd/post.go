package lambdafwd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Failed is a record opsdesk could not use, as its answer lists it.
type Failed struct {
	// Index is the record's position in the posted list.
	Index int    `json:"index"`
	ID    string `json:"id"`
	Field string `json:"field"`
	Error string `json:"error"`
}

// Ingested is opsdesk's 202 answer.
type Ingested struct {
	Shape      string   `json:"shape"`
	Accepted   int      `json:"accepted"`
	Duplicates int      `json:"duplicates"`
	Failed     []Failed `json:"failed"`
}

// Rejection is opsdesk's answer to a body it refused as a whole (400, 413).
type Rejection struct {
	Error  string   `json:"error"`
	Field  string   `json:"field"`
	Code   string   `json:"code"`
	Failed []Failed `json:"failed"`
}

// answer is a final answer to one post: 2xx, or a refusal that a retry
// would not change.
type answer struct {
	status    int
	ingested  Ingested  // 2xx
	rejection Rejection // otherwise
}

func (a *answer) ok() bool       { return a.status >= 200 && a.status < 300 }
func (a *answer) tooLarge() bool { return a.status == http.StatusRequestEntityTooLarge }

// DeliveryError reports a post that did not get a usable answer: network
// errors, 429 and 5xx until attempts or time ran out, a token refused after
// a refresh, or a 4xx that says the function is misconfigured (403, 404).
type DeliveryError struct {
	// Status is the last HTTP status, 0 for a network error.
	Status   int
	Attempts int
	Err      error
}

func (e *DeliveryError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("post to opsdesk: HTTP %d after %d attempt(s): %v", e.Status, e.Attempts, e.Err)
	}
	return fmt.Sprintf("post to opsdesk after %d attempt(s): %v", e.Attempts, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// maxAnswer bounds the answer read (an answer lists every event posted).
const maxAnswer = 32 << 20

// post sends body until it gets a final answer, retrying what a retry can
// fix for as long as attempts and the context's deadline allow.
func (inv *invocation) post(ctx context.Context, body []byte) (*answer, error) {
	h := inv.h
	inv.posts++
	deadline, hasDeadline := ctx.Deadline()
	var last error
	lastStatus := 0
	for attempt := 1; ; attempt++ {
		if inv.token == "" {
			tok, err := h.Tokens.Token(ctx, false)
			if err != nil {
				return nil, &DeliveryError{Attempts: attempt - 1, Err: fmt.Errorf("integration token: %w", err)}
			}
			inv.token = tok
		}
		inv.attempts++
		status, hdr, resp, err := inv.once(ctx, body, deadline, hasDeadline)
		var retryAfter time.Duration
		switch {
		case err != nil:
			last, lastStatus = err, 0
			if ctx.Err() != nil {
				return nil, &DeliveryError{Attempts: attempt, Err: err}
			}
		case status == http.StatusUnauthorized:
			if !inv.refreshed {
				inv.refreshed = true
				tok, terr := h.Tokens.Token(ctx, true)
				if terr == nil && tok != "" && tok != inv.token {
					inv.log.Warn("opsdesk refused the integration token; retrying with a refreshed one")
					inv.token = tok
					continue // at once: a new token is not a reason to wait
				}
				if terr != nil {
					return nil, &DeliveryError{Status: status, Attempts: attempt, Err: fmt.Errorf("refreshing the integration token: %w", terr)}
				}
			}
			return nil, &DeliveryError{Status: status, Attempts: attempt, Err: errors.New("opsdesk refused the integration token")}
		case status == http.StatusTooManyRequests || status >= 500:
			last, lastStatus = fmt.Errorf("%s", message(resp)), status
			retryAfter = parseRetryAfter(hdr.Get("Retry-After"), h.now())
		case status >= 200 && status < 300:
			a := &answer{status: status}
			if err := json.Unmarshal(resp, &a.ingested); err != nil {
				// Stored all the same: the status says so.
				inv.log.Warn("opsdesk's answer could not be read", "status", status, "error", err)
			}
			inv.accepted += a.ingested.Accepted
			inv.duplicates += a.ingested.Duplicates
			return a, nil
		case status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge || status == http.StatusUnprocessableEntity:
			a := &answer{status: status}
			if json.Unmarshal(resp, &a.rejection) != nil || a.rejection.Error == "" {
				a.rejection.Error = message(resp)
			}
			return a, nil
		default:
			// 403, 404, 405…: the URL or the token's rights are wrong.
			// Not retried here; the caller fails the invocation so that
			// Lambda keeps the events until the configuration is fixed.
			return nil, &DeliveryError{Status: status, Attempts: attempt, Err: fmt.Errorf("%s", message(resp))}
		}
		if attempt >= h.maxAttempts() {
			return nil, &DeliveryError{Status: lastStatus, Attempts: attempt, Err: last}
		}
		wait := h.backoff(attempt)
		if retryAfter > 0 {
			wait = retryAfter
		}
		if hasDeadline {
			left := deadline.Sub(h.now()) - h.margin()
			if wait+minAttempt > left {
				return nil, &DeliveryError{Status: lastStatus, Attempts: attempt,
					Err: fmt.Errorf("no time left before the Lambda deadline for another try in %s: %w", wait, last)}
			}
		} else if wait > maxWaitNoDeadline {
			wait = maxWaitNoDeadline
		}
		inv.log.Warn("post to opsdesk failed; retrying", "attempt", attempt, "status", lastStatus, "wait_ms", wait.Milliseconds(), "error", last.Error())
		if err := h.sleep(ctx, wait); err != nil {
			return nil, &DeliveryError{Status: lastStatus, Attempts: attempt, Err: fmt.Errorf("%w (while waiting to retry: %v)", last, err)}
		}
	}
}

// once makes one attempt. The attempt's time is bounded by RequestTimeout
// and by the deadline less the margin.
func (inv *invocation) once(ctx context.Context, body []byte, deadline time.Time, hasDeadline bool) (int, http.Header, []byte, error) {
	h := inv.h
	timeout := h.requestTimeout()
	if hasDeadline {
		if left := deadline.Sub(h.now()) - h.margin(); left < timeout {
			timeout = max(left, minAttempt)
		}
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, strings.TrimRight(h.URL, "/")+EventsPath, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+inv.token)
	req.Header.Set("X-Opsdesk-Via", "lambda")
	req.Header.Set("User-Agent", "opsdesk-lambda/1")
	resp, err := h.client().Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// The events are stored; only the details are lost.
		inv.log.Warn("reading opsdesk's answer failed", "status", resp.StatusCode, "error", err)
	}
	return resp.StatusCode, resp.Header, b, nil
}

// backoff is the wait before attempt+1: exponential from BaseDelay, capped
// at MaxDelay, with "equal jitter" (half fixed, half random) so that
// functions retrying together spread out but never retry at once.
func (h *Handler) backoff(attempt int) time.Duration {
	d := float64(h.baseDelay()) * math.Pow(2, float64(attempt-1))
	if d > float64(h.maxDelay()) {
		d = float64(h.maxDelay())
	}
	return time.Duration(d/2 + h.jitter()*d/2)
}

// parseRetryAfter reads a Retry-After of seconds or an HTTP date; 0 when
// absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// message is the "error" of a JSON error answer, else the start of the
// body.
func message(b []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return e.Error
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "(empty answer)"
	}
	return s
}
