package lambdafwd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/lambdafwd"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// opsdesk is a real opsdesk server started in-process, with an
// integration token for the function.
type opsdesk struct {
	*apptest.Server
	token string
}

// startOpsdesk starts opsdesk on SQLite; extra is appended to its config.
func startOpsdesk(t *testing.T, extra string) *opsdesk {
	t.Helper()
	y := "database: " + storetest.DatabaseURL(t, "sqlite") + "\ndata_dir: " + t.TempDir() + "\n" + extra
	cfg, err := config.Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	s := apptest.Start(t, cfg, map[string]string{})
	tok, err := s.App.Auth.CreateToken(context.Background(), "lambda", auth.ScopeIngestEvents)
	if err != nil {
		t.Fatal(err)
	}
	return &opsdesk{Server: s, token: tok}
}

// storedEvent is a row of the events table.
type storedEvent struct {
	EventID, Source, DetailType, Via string
}

// events returns the stored events by source + "/" + event_id.
func (o *opsdesk) events(t *testing.T) map[string]storedEvent {
	t.Helper()
	st := o.App.St
	rows, err := st.R.Query(st.Q(`SELECT event_id, source, detail_type, via FROM events ORDER BY id`))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]storedEvent{}
	for rows.Next() {
		var e storedEvent
		if err := rows.Scan(&e.EventID, &e.Source, &e.DetailType, &e.Via); err != nil {
			t.Fatal(err)
		}
		out[e.Source+"/"+e.EventID] = e
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// fakeClock is the handler's clock: Sleep advances it at once and records
// the wait.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// logBuffer collects the handler's JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the log records whose msg contains sub.
func (b *logBuffer) lines(t *testing.T, sub string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		if msg, _ := m["msg"].(string); strings.Contains(msg, sub) {
			out = append(out, m)
		}
	}
	return out
}

// rig is a handler with a fake clock, deterministic jitter and a log
// buffer; it checks at cleanup that no token reached the log.
type rig struct {
	h      *lambdafwd.Handler
	clock  *fakeClock
	log    *logBuffer
	secret []string
}

func newRig(t *testing.T, baseURL string, tokens lambdafwd.TokenSource, secrets ...string) *rig {
	t.Helper()
	r := &rig{clock: newClock(), log: &logBuffer{}, secret: secrets}
	r.h = &lambdafwd.Handler{
		URL:    baseURL,
		Tokens: tokens,
		Client: &http.Client{Timeout: 10 * time.Second},
		Now:    r.clock.Now,
		Sleep:  r.clock.Sleep,
		Jitter: func() float64 { return 0 },
		Log:    slog.New(slog.NewJSONHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	t.Cleanup(func() {
		for _, s := range r.secret {
			if s != "" && strings.Contains(r.log.String(), s) {
				t.Errorf("a token was logged:\n%s", r.log.String())
			}
		}
	})
	return r
}

// invoke calls the handler with a deadline far enough not to matter.
func (r *rig) invoke(t *testing.T, payload []byte) (any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return r.h.Invoke(ctx, payload)
}

// gate is an HTTP server in front of opsdesk that answers the first posts
// itself (by script) and proxies the rest; it counts and keeps what it saw.
type gate struct {
	*httptest.Server
	mu       sync.Mutex
	script   []func(w http.ResponseWriter, r *http.Request) bool // true: answered
	auths    []string
	bodies   [][]byte
	requests atomic.Int32
}

func newGate(t *testing.T, upstream string, script ...func(w http.ResponseWriter, r *http.Request) bool) *gate {
	t.Helper()
	g := &gate{script: script}
	var proxy http.Handler = http.NotFoundHandler()
	if upstream != "" {
		u, err := url.Parse(upstream)
		if err != nil {
			t.Fatal(err)
		}
		proxy = httputil.NewSingleHostReverseProxy(u)
	}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.requests.Add(1)
		body := new(bytes.Buffer)
		_, _ = body.ReadFrom(r.Body)
		r.Body.Close()
		g.mu.Lock()
		g.auths = append(g.auths, r.Header.Get("Authorization"))
		g.bodies = append(g.bodies, body.Bytes())
		var step func(http.ResponseWriter, *http.Request) bool
		if len(g.script) > 0 {
			step, g.script = g.script[0], g.script[1:]
		}
		g.mu.Unlock()
		r.Body = readCloser{bytes.NewReader(body.Bytes())}
		r.ContentLength = int64(body.Len())
		if step != nil && step(w, r) {
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(g.Close)
	return g
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// status answers with code, an optional Retry-After, and a JSON error.
func status(code int, retryAfter string) func(http.ResponseWriter, *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"error":"scripted ` + http.StatusText(code) + `"}`))
		return true
	}
}

// pass lets the request through to opsdesk.
func pass(http.ResponseWriter, *http.Request) bool { return false }

// tokenSource is a fake TokenSource: it returns tokens[i] for the i-th
// call (the last one again when they run out) and records refresh flags.
type tokenSource struct {
	mu     sync.Mutex
	tokens []string
	calls  []bool
}

func (s *tokenSource) Token(_ context.Context, refresh bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, refresh)
	i := min(len(s.calls)-1, len(s.tokens)-1)
	return s.tokens[i], nil
}

func (s *tokenSource) Calls() []bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bool(nil), s.calls...)
}

// sqsMessage is an SQS record as Lambda delivers it.
func sqsMessage(id, body string) map[string]any {
	return map[string]any{
		"messageId":     id,
		"receiptHandle": "AQEB" + id,
		"body":          body,
		"attributes": map[string]string{
			"ApproximateReceiveCount": "1", "SentTimestamp": "1711201950000",
			"SenderId": "AROA3XFRBF535PLBIFPI4:test", "ApproximateFirstReceiveTimestamp": "1711201950012",
		},
		"messageAttributes": map[string]any{},
		"md5OfBody":         "d41d8cd98f00b204e9800998ecf8427e",
		"eventSource":       "aws:sqs",
		"eventSourceARN":    "arn:aws:sqs:ap-northeast-1:141855812477:opsdesk-test",
		"awsRegion":         "ap-northeast-1",
	}
}

// batch marshals records into {"Records": [...]}.
func batch(t *testing.T, records ...any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"Records": records})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
