package heartbeat_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/heartbeat"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

var epoch = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a heartbeat service over the real alerts intake, on a test clock.
type env struct {
	t   *testing.T
	ctx context.Context
	st  *store.Store
	clk *clock
	al  *alerts.Service
	svc *heartbeat.Service
}

func newEnv(t *testing.T, st *store.Store) *env {
	t.Helper()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, st); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(st, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, st: st, clk: &clock{t: epoch}}
	e.al = alerts.New(st, alerts.Options{Now: e.clk.Now})
	e.al.SetQueue(q)
	e.svc = e.replica(epoch)
	return e
}

// replica is another process's service on the same database, started at
// started.
func (e *env) replica(started time.Time) *heartbeat.Service {
	return heartbeat.New(e.st, heartbeat.Options{Now: e.clk.Now, Started: started,
		Alerts: heartbeat.AlerterFunc(func(ctx context.Context, sigs []parse.Signal, via string) error {
			_, err := e.al.Ingest(ctx, sigs, via)
			return err
		})})
}

func (e *env) create(name string, interval, grace time.Duration) string {
	e.t.Helper()
	m, tok, err := e.svc.Create(e.ctx, heartbeat.Input{Name: name, System: "backup", Interval: interval, Grace: grace}, "admin")
	if err != nil {
		e.t.Fatal(err)
	}
	if m.State != heartbeat.StateWaiting || m.AlertKey != "heartbeat/"+name || !heartbeat.ValidToken(tok) {
		e.t.Fatalf("created %+v, token %q", m, tok)
	}
	return tok
}

func (e *env) ping(tok, status string) heartbeat.Monitor {
	e.t.Helper()
	m, err := e.svc.Ping(e.ctx, tok, status, "192.0.2.7")
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) check(svc *heartbeat.Service) int {
	e.t.Helper()
	n, err := svc.Check(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

type alertRow struct {
	status, severity, summary, source string
}

// alertsOf returns the alerts of a key, oldest first.
func (e *env) alertsOf(key string) []alertRow {
	e.t.Helper()
	rows, err := e.st.R.Query(e.st.Q(`SELECT status, severity, summary, source FROM alerts WHERE system = 'backup' AND dedup_key = ? ORDER BY id`), key)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []alertRow
	for rows.Next() {
		var a alertRow
		if err := rows.Scan(&a.status, &a.severity, &a.summary, &a.source); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func (e *env) state(name string) string {
	e.t.Helper()
	m, err := e.svc.Get(e.ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return m.State
}

// TestMissedPingOpensAndNextPingResolves: pings on time keep a monitor up;
// a missed interval opens exactly one alert however often Check runs; the
// next ping resolves it.
func TestMissedPingOpensAndNextPingResolves(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		tok := e.create("nightly-backup", time.Hour, 10*time.Minute)
		for range 3 {
			e.clk.Advance(time.Hour)
			if m := e.ping(tok, heartbeat.StatusOK); m.State != heartbeat.StateUp || !m.LastPingAt.Equal(e.clk.Now()) {
				t.Fatalf("after ping %+v", m)
			}
			if n := e.check(e.svc); n != 0 {
				t.Fatalf("fired %d with pings on time", n)
			}
		}
		e.clk.Advance(70 * time.Minute) // interval + grace exactly: not yet
		if n := e.check(e.svc); n != 0 || len(e.alertsOf("heartbeat/nightly-backup")) != 0 {
			t.Fatalf("fired %d at the deadline", n)
		}
		e.clk.Advance(time.Second)
		if n := e.check(e.svc); n != 1 {
			t.Fatalf("fired %d, want 1", n)
		}
		for range 3 {
			e.clk.Advance(15 * time.Second)
			if n := e.check(e.svc); n != 0 {
				t.Fatalf("fired again: %d", n)
			}
		}
		got := e.alertsOf("heartbeat/nightly-backup")
		if len(got) != 1 || got[0].status == "resolved" || got[0].severity != parse.SeverityCritical || got[0].source != parse.SourceHeartbeat ||
			!strings.HasPrefix(got[0].summary, "Heartbeat nightly-backup missed: no ping since 2026-03-02T04:00:00Z") {
			t.Fatalf("alerts %+v", got)
		}
		if s := e.state("nightly-backup"); s != heartbeat.StateDown {
			t.Fatalf("state %s", s)
		}
		e.ping(tok, heartbeat.StatusOK)
		got = e.alertsOf("heartbeat/nightly-backup")
		if len(got) != 1 || got[0].status != "resolved" || e.state("nightly-backup") != heartbeat.StateUp {
			t.Fatalf("after the ping: %+v", got)
		}
		pings, err := e.svc.Pings(e.ctx, 1, 100)
		if err != nil || len(pings) != 4 || pings[0].SourceIP != "192.0.2.7" || pings[0].Status != heartbeat.StatusOK {
			t.Fatalf("pings %+v %v", pings, err)
		}
	})
}

// TestFailFiresAtOnce: /fail opens the alert without waiting; a success
// resolves it; a warning monitor opens a warning.
func TestFailFiresAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		_, tok, err := e.svc.Create(e.ctx, heartbeat.Input{Name: "etl", System: "backup", Interval: time.Hour, Severity: "warning"}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(time.Minute)
		if m := e.ping(tok, heartbeat.StatusFail); m.State != heartbeat.StateDown || m.LastStatus != heartbeat.StatusFail {
			t.Fatalf("after fail %+v", m)
		}
		got := e.alertsOf("heartbeat/etl")
		if len(got) != 1 || got[0].status == "resolved" || got[0].severity != parse.SeverityWarning ||
			got[0].summary != "Heartbeat etl reported a failure at 2026-03-02T01:01:00Z" {
			t.Fatalf("alerts %+v", got)
		}
		if n := e.check(e.svc); n != 0 {
			t.Fatalf("check fired a down monitor: %d", n)
		}
		e.ping(tok, heartbeat.StatusOK)
		if got := e.alertsOf("heartbeat/etl"); len(got) != 1 || got[0].status != "resolved" {
			t.Fatalf("after ok %+v", got)
		}
	})
}

// TestStartupGrace: a process that starts after opsdesk was down gives
// every monitor interval + grace from its start before firing it.
func TestStartupGrace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		tok := e.create("hourly", time.Hour, 5*time.Minute)
		e.ping(tok, heartbeat.StatusOK)
		// opsdesk is down for three hours; a new process starts.
		e.clk.Advance(3 * time.Hour)
		fresh := e.replica(e.clk.Now())
		if n := e.check(fresh); n != 0 {
			t.Fatalf("fired %d at start", n)
		}
		e.clk.Advance(65 * time.Minute)
		if n := e.check(fresh); n != 0 {
			t.Fatalf("fired %d within the start-up grace", n)
		}
		e.clk.Advance(time.Second)
		if n := e.check(fresh); n != 1 || len(e.alertsOf("heartbeat/hourly")) != 1 {
			t.Fatalf("fired %d after the start-up grace", n)
		}
	})
}

// TestReplicasOpenOneAlert: two replicas checking one database at once
// open one alert.
func TestReplicasOpenOneAlert(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.create("a", time.Minute, 0)
		e.create("b", time.Minute, 0)
		other := e.replica(epoch)
		e.clk.Advance(2 * time.Minute)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, svc := range []*heartbeat.Service{e.svc, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = svc.Check(e.ctx)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"heartbeat/a", "heartbeat/b"} {
			if got := e.alertsOf(k); len(got) != 1 || got[0].status == "resolved" {
				t.Fatalf("%s: %+v", k, got)
			}
		}
		if e.check(e.svc)+e.check(other) != 0 {
			t.Fatal("fired again")
		}
	})
}

// TestCreateValidatesAndDelete: errors name the field; names are unique;
// unknown tokens are not found; Delete removes the monitor and its pings.
func TestCreateValidatesAndDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		for _, c := range []struct {
			in    heartbeat.Input
			field string
		}{
			{heartbeat.Input{Name: "Bad Name", System: "s", Interval: time.Hour}, "name"},
			{heartbeat.Input{Name: "x", Interval: time.Hour}, "system"},
			{heartbeat.Input{Name: "x", System: "s", Interval: time.Second}, "interval"},
			{heartbeat.Input{Name: "x", System: "s", Interval: time.Hour, Grace: -time.Second}, "grace"},
			{heartbeat.Input{Name: "x", System: "s", Interval: time.Hour, Severity: "info"}, "severity"},
		} {
			_, _, err := e.svc.Create(e.ctx, c.in, "admin")
			var ve *heartbeat.ValidationError
			if !errors.As(err, &ve) || ve.Field != c.field {
				t.Fatalf("%+v: %v, want field %s", c.in, err, c.field)
			}
		}
		tok := e.create("x", time.Hour, 0)
		if _, _, err := e.svc.Create(e.ctx, heartbeat.Input{Name: "x", System: "s", Interval: time.Hour}, "admin"); !errors.Is(err, heartbeat.ErrExists) {
			t.Fatalf("duplicate: %v", err)
		}
		if _, err := e.svc.Ping(e.ctx, "hb_"+strings.Repeat("A", 32), heartbeat.StatusOK, ""); !errors.Is(err, heartbeat.ErrNotFound) {
			t.Fatalf("unknown token: %v", err)
		}
		for range heartbeat.KeepPings + 5 {
			e.ping(tok, heartbeat.StatusOK)
		}
		m, _ := e.svc.Get(e.ctx, "x")
		if p, _ := e.svc.Pings(e.ctx, m.ID, 1000); len(p) != heartbeat.KeepPings {
			t.Fatalf("kept %d pings", len(p))
		}
		if err := e.svc.Delete(e.ctx, "x"); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Delete(e.ctx, "x"); !errors.Is(err, heartbeat.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if _, err := e.svc.Ping(e.ctx, tok, heartbeat.StatusOK, ""); !errors.Is(err, heartbeat.ErrNotFound) {
			t.Fatalf("ping of a deleted monitor: %v", err)
		}
		var n int
		if err := st.R.QueryRow(`SELECT count(*) FROM heartbeat_pings`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("pings left %d %v", n, err)
		}
	})
}
