package alerts_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
)

// epoch is a Friday, 12:00 in Tokyo.
var epoch = time.Date(2025, 3, 14, 3, 0, 0, 0, time.UTC)

var tokyo = func() *time.Location {
	l, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		panic(err)
	}
	return l
}()

// Phone numbers of the call list in every test.
const (
	sato   = "+819011110001"
	suzuki = "+819022220002"
	tanaka = "+819033330003"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sent is a notification the test's NotifyFunc received.
type sent struct {
	Dest string
	Msg  notify.Message
	Key  string
}

// env is an alerts service on a store, calling a fake Connect, on a test
// clock shared by both. Its job queue only records: the test runs the
// engine itself (run, advance) so that every step happens when the test
// says.
type env struct {
	t     *testing.T
	ctx   context.Context
	st    *store.Store
	clk   *testClock
	cn    *fake.Connect
	svc   *alerts.Service
	queue jobs.Queue

	mu   sync.Mutex
	sent []sent
}

type envOpt struct {
	// start is the clock's start (epoch when zero).
	start  time.Time
	opts   func(*alerts.Options)
	client *http.Client
	caller func(alerts.Caller) alerts.Caller
}

func newEnv(t *testing.T, st *store.Store, eo envOpt) *env {
	t.Helper()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, st); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(st, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := epoch
	if !eo.start.IsZero() {
		start = eo.start
	}
	e := &env{t: t, ctx: ctx, st: st, clk: &testClock{t: start}, queue: q}
	e.cn = fake.NewConnect(t, fake.WithClock(e.clk.Now))
	e.cn.DenyDestinations("+447")
	copts := []connect.Option{connect.WithCredentials(e.cn.Credentials()), connect.WithRetryBackoff(func(int) time.Duration { return 0 })}
	if eo.client != nil {
		copts = append(copts, connect.WithHTTPClient(eo.client))
	}
	client, err := connect.New(ctx, connect.Config{
		InstanceID: e.cn.InstanceID(), ContactFlowID: e.cn.ContactFlowID(), SourcePhone: e.cn.SourcePhone(),
		Region: e.cn.Region(), Endpoint: e.cn.URL(), RatePerSecond: 10000, Burst: 10000,
	}, copts...)
	if err != nil {
		t.Fatal(err)
	}
	var caller alerts.Caller = client
	if eo.caller != nil {
		caller = eo.caller(client)
	}
	o := alerts.Options{
		Caller:             caller,
		PollInterval:       30 * time.Second,
		MaxConcurrentCalls: 10,
		Location:           tokyo,
		Now:                e.clk.Now,
		Notify: func(ctx context.Context, dest string, msg notify.Message, key string, attempt int) (string, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.sent = append(e.sent, sent{dest, msg, key})
			return "ok", nil
		},
		ConsoleURL: func(id int64) string { return fmt.Sprintf("https://ops.example.com/alerts/%d", id) },
		Log:        slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if eo.opts != nil {
		eo.opts(&o)
	}
	e.svc = alerts.New(st, o)
	e.svc.SetQueue(q)
	return e
}

// system saves a call list.
func (e *env) system(name string, rounds int, notify []string, contacts ...alerts.Contact) {
	e.t.Helper()
	err := e.svc.SaveSystem(e.ctx, alerts.System{Name: name, Rounds: rounds, Notify: notify, Contacts: contacts}, "test", alerts.OriginConsole,
		func(string) bool { return true })
	if err != nil {
		e.t.Fatal(err)
	}
}

// threePeople is the seed's call list: three people, three rounds.
func (e *env) threePeople() {
	e.system("XYZ", 3, []string{"ops-chat"},
		alerts.Contact{Name: "Sato", Phone: sato, Language: "ja-JP"},
		alerts.Contact{Name: "Suzuki", Phone: suzuki, Language: "en-US"},
		alerts.Contact{Name: "Tanaka", Phone: tanaka})
}

func firing(system, key string) parse.Signal {
	return parse.Signal{Source: parse.SourceNative, System: system, DedupKey: key, Status: parse.StatusFiring,
		Summary: "CPU Utilization on " + key, Severity: parse.SeverityCritical, Host: key, Service: "CPU Utilization",
		Labels: map[string]string{}}
}

func (e *env) ingest(sigs ...parse.Signal) []alerts.Result {
	e.t.Helper()
	res, err := e.svc.Ingest(e.ctx, sigs, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// open fires one alert and returns its id.
func (e *env) open(system, key string) int64 {
	e.t.Helper()
	res := e.ingest(firing(system, key))
	if len(res) != 1 || res[0].AlertID == 0 {
		e.t.Fatalf("ingest: %+v", res)
	}
	return res[0].AlertID
}

// run moves every escalation that is due now.
func (e *env) run() {
	e.t.Helper()
	if err := e.svc.RunDue(e.ctx, true); err != nil {
		e.t.Fatal(err)
	}
}

// advance moves the clock and runs what fell due, in steps of at most
// step (the poll interval), as a running process would.
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	const step = 30 * time.Second
	for d > 0 {
		s := min(d, step)
		e.clk.Advance(s)
		e.run()
		d -= s
	}
}

func (e *env) alert(id int64) *alerts.Alert {
	e.t.Helper()
	a, err := e.svc.Get(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) calls(id int64) []*alerts.Call {
	e.t.Helper()
	cs, err := e.svc.Calls(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

func (e *env) timeline(id int64) []string {
	e.t.Helper()
	es, err := e.svc.Timeline(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, x := range es {
		out = append(out, x.Kind+":"+x.Actor)
	}
	return out
}

// numbers lists the numbers the fake was asked to call, in order.
func (e *env) numbers() []string {
	var out []string
	for _, c := range e.cn.Calls() {
		out = append(out, c.Number)
	}
	return out
}

func (e *env) wantNumbers(want ...string) {
	e.t.Helper()
	if got := e.numbers(); !slices.Equal(got, want) {
		e.t.Fatalf("numbers called %v, want %v", names(got), names(want))
	}
}

func names(nums []string) []string {
	out := make([]string, len(nums))
	for i, n := range nums {
		switch n {
		case sato:
			out[i] = "Sato"
		case suzuki:
			out[i] = "Suzuki"
		case tanaka:
			out[i] = "Tanaka"
		default:
			out[i] = n
		}
	}
	return out
}

func (e *env) escalating(id int64) bool {
	e.t.Helper()
	_, err := e.svc.EscalationOf(e.ctx, id)
	return err == nil
}

func hasEntry(tl []string, prefix string) bool {
	return slices.ContainsFunc(tl, func(s string) bool { return strings.HasPrefix(s, prefix) })
}

var runtimeGoexit = runtime.Goexit

// testWriter sends the service's log to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
