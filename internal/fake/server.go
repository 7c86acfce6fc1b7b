// Package fake runs in-process stand-ins for the external services opsdesk
// talks to — Microsoft Teams Workflows webhooks, Backlog, DingTalk custom
// robots and sessions, Slack incoming webhooks and response URLs, a generic
// webhook receiver, and the AWS APIs AWS Support, Amazon Connect, SNS, S3,
// SQS, End User Messaging SMS and SES v2 (SigV4 checked) — for tests.
//
// Every fake is a real HTTP server on a loopback port (httptest), so it works
// both for tests that call opsdesk's code directly and for tests that run the
// opsdesk binary as a subprocess and hand it the fake's URL. Each fake checks
// what it receives the way the real service does (credentials, signatures,
// required fields, size limits) and answers malformed requests with that
// service's own error shape, so a test passes only if the real service would
// accept the request too.
//
// All fakes share the controls of Server: inject failures (FailNext), slow
// responses down (SetDelay), go down and come back (Down/Up,
// SetUnavailable), inspect raw requests (Requests) and wait for deliveries
// without sleeping (WaitFor). Servers are closed by t.Cleanup.
package fake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Option configures a fake. Options that do not apply to a fake are ignored.
type Option func(*options)

type options struct {
	apiKey     string
	secret     string
	token      string
	projectID  int64
	projectKey string
	keywords   []string
	window     time.Duration
	now        func() time.Time
	keepAlive  bool
	// awsKey, awsSecret: the credentials the SMS and SES fakes accept
	// instead of their own (WithAWSKey).
	awsKey, awsSecret string
}

// WithAWSKey makes the SMS and SES fakes accept these credentials instead
// of their own: one process signs every AWS request with one key, so a test
// that runs opsdesk against several AWS fakes gives them all the same one
// (say fake.ConnectAccessKeyID and fake.ConnectSecretAccessKey).
func WithAWSKey(accessKeyID, secretAccessKey string) Option {
	return func(o *options) { o.awsKey, o.awsSecret = accessKeyID, secretAccessKey }
}

// WithAPIKey sets the API key Backlog accepts (default "fake-backlog-api-key").
func WithAPIKey(key string) Option { return func(o *options) { o.apiKey = key } }

// WithSecret sets the signing secret: DingTalk's "加签" SEC… secret, or the
// generic webhook's HMAC key. Without it, DingTalk and Webhook accept
// unsigned requests.
func WithSecret(secret string) Option { return func(o *options) { o.secret = secret } }

// WithToken sets the token embedded in the webhook URL: Teams' sig, DingTalk's
// access_token, the last path segment of a Slack hook.
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithProject sets the Backlog project (default id 1, key "PROJ").
func WithProject(id int64, key string) Option {
	return func(o *options) { o.projectID, o.projectKey = id, key }
}

// WithKeyword turns on DingTalk's "custom keyword" security setting: a
// message must contain one of the keywords.
func WithKeyword(keywords ...string) Option {
	return func(o *options) { o.keywords = append(o.keywords, keywords...) }
}

// WithWindow sets how far the generic webhook's X-Opsdesk-Timestamp may be
// from the fake's clock (default 5 minutes).
func WithWindow(d time.Duration) Option { return func(o *options) { o.window = d } }

// WithClock sets the fake's clock, used to check DingTalk and webhook
// timestamps and to stamp created Backlog issues (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithKeepAlive keeps connections open between requests, as the real
// services do, instead of one connection per request: for benchmarks,
// where dialling every request would measure the fake. Down still closes
// the connections it can, but a client may find a pooled connection gone
// on its next request.
func WithKeepAlive() Option { return func(o *options) { o.keepAlive = true } }

// Failure is an injected failure answer.
type Failure struct {
	// Status is the HTTP status to answer with.
	Status int
	// RetryAfter, when set, is sent as the Retry-After header ("30" or an
	// HTTP-date).
	RetryAfter string
	// RateLimitReset, when set, is sent as X-RateLimit-Reset (Backlog: UTC
	// epoch seconds).
	RateLimitReset string
	// Body replaces the service's own error body for Status.
	Body string
}

// Request is one HTTP request as a fake received it.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
	At     time.Time
}

// maxBody bounds what a fake reads of a request body.
const maxBody = 4 << 20

// errorBody renders a service's own error answer for a status.
type errorBody func(status int, msg string) (contentType string, body []byte)

// Server is the HTTP machinery and the failure controls all fakes share.
// Its methods are safe for concurrent use.
type Server struct {
	name    string
	tb      testing.TB
	opt     options
	srv     *httptest.Server
	ln      *switchListener
	done    chan struct{}
	handler http.HandlerFunc
	errBody errorBody

	mu          sync.Mutex
	requests    []Request
	accepted    int
	failures    []Failure
	delay       time.Duration
	unavailable bool
}

func newServer(tb testing.TB, name string, opts []Option, errBody errorBody) *Server {
	tb.Helper()
	o := options{
		apiKey:     "fake-backlog-api-key",
		projectID:  1,
		projectKey: "PROJ",
		window:     5 * time.Minute,
		now:        time.Now,
	}
	for _, f := range opts {
		f(&o)
	}
	return &Server{name: name, tb: tb, opt: o, errBody: errBody, done: make(chan struct{})}
}

// start serves h on a loopback port until the test ends.
func (s *Server) start(h http.HandlerFunc) {
	s.handler = h
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.ln = &switchListener{ln: s.srv.Listener, addr: s.srv.Listener.Addr()}
	s.ln.cond = sync.NewCond(&s.ln.mu)
	s.srv.Listener = s.ln
	// One connection per request: no client holds a pooled connection
	// across Down/Up, so "down" always reads as connection refused and
	// "up" as a fresh connection.
	s.srv.Config.SetKeepAlivesEnabled(s.opt.keepAlive)
	s.srv.Start()
	s.tb.Cleanup(func() {
		close(s.done) // end delays first: Close waits for running handlers
		s.srv.Close()
	})
}

// BaseURL is the scheme and host of the fake, e.g. "http://127.0.0.1:41234".
func (s *Server) BaseURL() string { return s.srv.URL }

// Client returns an HTTP client for the fake (a plain client: the fakes
// speak plain HTTP on loopback).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// FailNext makes the next n requests fail with f (after they are recorded,
// before they are processed: an injected failure has no effect).
func (s *Server) FailNext(n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, f)
	}
}

// SetDelay holds every response for d (0 turns it off). The request is
// processed first, as a real service commits before answering: a client
// that times out has still caused the effect.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// SetUnavailable makes every request fail with 503 (the service's own error
// shape) while on is true.
func (s *Server) SetUnavailable(on bool) {
	s.mu.Lock()
	s.unavailable = on
	s.mu.Unlock()
}

// Down takes the fake off the network until Up: its port refuses
// connections and requests in flight are cut off. (The fakes do not keep
// connections alive, so no client holds one across Down.)
func (s *Server) Down() {
	s.ln.down()
	s.srv.CloseClientConnections()
}

// Up puts the fake back on the same address after Down.
func (s *Server) Up() {
	if err := s.ln.up(); err != nil {
		s.tb.Errorf("fake %s: up: %v", s.name, err)
	}
}

// Requests returns every request received so far, including rejected ones
// and injected failures.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// RequestCount is len(Requests()).
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Count is the number of requests the fake accepted (a message posted, an
// issue created, a delivery received — duplicates included).
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Reset forgets recorded requests (Requests, RequestCount) and pending
// failures and turns off delay and unavailability. Accepted payloads and
// Count are kept.
func (s *Server) Reset() {
	s.mu.Lock()
	s.requests = nil
	s.failures = nil
	s.delay = 0
	s.unavailable = false
	s.mu.Unlock()
}

// WaitFor waits until the fake has accepted at least n requests, failing the
// test after timeout. Call it from the test goroutine.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	if !poll(timeout, func() bool { return s.Count() >= n }) {
		t.Fatalf("fake %s: accepted %d requests, want %d within %v", s.name, s.Count(), n, timeout)
	}
}

// WaitForRequests waits until the fake has received at least n requests
// (accepted or not), failing the test after timeout.
func (s *Server) WaitForRequests(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	if !poll(timeout, func() bool { return s.RequestCount() >= n }) {
		t.Fatalf("fake %s: received %d requests, want %d within %v", s.name, s.RequestCount(), n, timeout)
	}
}

// poll checks cond every few milliseconds until it holds or timeout passes.
func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// accept runs record (which appends to the concrete fake's records) under
// the server lock and counts the request as accepted.
func (s *Server) accept(record func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	record()
	s.accepted++
}

// locked runs f under the server lock (for the concrete fakes' records).
func (s *Server) locked(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// serveHTTP records the request, applies the injected behaviour and hands
// the request to the concrete fake.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return // client went away
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
		Header: r.Header.Clone(),
		Body:   body,
		At:     time.Now(),
	})
	delay, unavailable := s.delay, s.unavailable
	var fail *Failure
	if !unavailable && len(s.failures) > 0 {
		fail = &s.failures[0]
		s.failures = s.failures[1:]
	}
	s.mu.Unlock()

	rec := httptest.NewRecorder()
	switch {
	case unavailable:
		s.writeError(rec, http.StatusServiceUnavailable, "service unavailable")
	case fail != nil:
		if fail.RetryAfter != "" {
			rec.Header().Set("Retry-After", fail.RetryAfter)
		}
		if fail.RateLimitReset != "" {
			rec.Header().Set("X-RateLimit-Reset", fail.RateLimitReset)
		}
		if fail.Body != "" {
			rec.Header().Set("Content-Type", "text/plain; charset=utf-8")
			rec.WriteHeader(fail.Status)
			rec.WriteString(fail.Body)
		} else {
			s.writeError(rec, fail.Status, "injected failure")
		}
	case len(body) > maxBody:
		s.writeError(rec, http.StatusRequestEntityTooLarge, "request body too large")
	default:
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.handler(rec, r)
	}

	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-s.done:
			t.Stop()
			return
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (s *Server) writeError(w http.ResponseWriter, status int, msg string) {
	ct, b := s.errBody(status, msg)
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// switchListener is a net.Listener that can be closed and re-opened on the
// same address while the http.Server keeps calling Accept.
type switchListener struct {
	addr   net.Addr
	mu     sync.Mutex
	cond   *sync.Cond
	ln     net.Listener // nil while down
	closed bool
}

func (l *switchListener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		for l.ln == nil && !l.closed {
			l.cond.Wait()
		}
		if l.closed {
			l.mu.Unlock()
			return nil, net.ErrClosed
		}
		ln := l.ln
		l.mu.Unlock()
		c, err := ln.Accept()
		if err == nil {
			return c, nil
		}
		l.mu.Lock()
		swapped, closed := l.ln != ln, l.closed
		l.mu.Unlock()
		if closed {
			return nil, net.ErrClosed
		}
		if !swapped {
			return nil, err
		}
	}
}

func (l *switchListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.cond.Broadcast()
	if l.ln != nil {
		err := l.ln.Close()
		l.ln = nil
		return err
	}
	return nil
}

func (l *switchListener) Addr() net.Addr { return l.addr }

func (l *switchListener) down() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		_ = l.ln.Close()
		l.ln = nil
	}
}

func (l *switchListener) up() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("server is closed")
	}
	if l.ln != nil {
		return nil
	}
	var err error
	for range 100 { // the port can take a moment to be free again
		var ln net.Listener
		if ln, err = net.Listen("tcp", l.addr.String()); err == nil {
			l.ln = ln
			l.cond.Broadcast()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("listen on %s again: %w", l.addr, err)
}

// contentTypeIs reports whether the request's media type is want.
func contentTypeIs(r *http.Request, want string) bool {
	ct := r.Header.Get("Content-Type")
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), want)
}
