package alerts_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestConcurrentCallLimitAcrossReplicas: max_concurrent_calls holds for the
// fleet, not per process. Two alerts services — two replicas, each with its
// own connection pool and Connect client — run the escalations of one
// PostgreSQL database against one Connect instance whose quota is the
// limit (2 lines): one replica never places a call while the other's
// calls hold the lines, and running both at once never asks Connect for a
// third line.
func TestConcurrentCallLimitAcrossReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.DatabaseURL(t, store.Postgres)
	open := func() *store.Store {
		st, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return st
	}
	stA, stB := open(), open()
	const lines = 2
	a := newEnv(t, stA, envOpt{opts: func(o *alerts.Options) { o.MaxConcurrentCalls = lines }})
	a.cn.SetMaxConcurrent(lines) // a third call would be LimitExceededException
	a.cn.SetDefault(fake.Answer("1"))
	a.system("XYZ", 1, nil, alerts.Contact{Name: "Sato", Phone: sato})

	// Replica B: its own store handle, job queue and Connect client, on
	// the same database, fake and clock.
	client, err := connect.New(ctx, connect.Config{
		InstanceID: a.cn.InstanceID(), ContactFlowID: a.cn.ContactFlowID(), SourcePhone: a.cn.SourcePhone(),
		Region: a.cn.Region(), Endpoint: a.cn.URL(), RatePerSecond: 10000, Burst: 10000,
	}, connect.WithCredentials(a.cn.Credentials()), connect.WithRetryBackoff(func(int) time.Duration { return 0 }))
	if err != nil {
		t.Fatal(err)
	}
	qB, err := jobs.New(stB, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := alerts.New(stB, alerts.Options{
		Caller: client, PollInterval: 30 * time.Second, MaxConcurrentCalls: lines, Location: tokyo, Now: a.clk.Now,
		Log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	b.SetQueue(qB)

	runB := func() {
		t.Helper()
		if err := b.RunDue(ctx, true); err != nil {
			t.Fatal(err)
		}
	}
	both := func() {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, svc := range []*alerts.Service{a.svc, b} {
			wg.Go(func() { errs[i] = svc.RunDue(ctx, true) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	calls := func(want int, when string) {
		t.Helper()
		if n := len(a.cn.Calls()); n != want {
			t.Fatalf("%s: %d calls placed, want %d", when, n, want)
		}
		if n := a.cn.OpCount("StartOutboundVoiceContact"); n != want {
			t.Fatalf("%s: Connect was asked for %d calls, want %d (none refused for lack of a line)", when, n, want)
		}
	}

	var ids []int64
	for i := range 6 {
		ids = append(ids, a.open("XYZ", fmt.Sprint("k", i)))
	}
	a.run()
	calls(2, "replica A")
	runB()
	calls(2, "replica B while A's calls hold both lines")

	// The calls are acknowledged (key 1) and end 43 s after they began: B
	// polls them, frees their lines and calls the next two.
	a.clk.Advance(30 * time.Second)
	runB()
	a.clk.Advance(30 * time.Second)
	runB()
	calls(4, "replica B once A's calls ended")
	a.run()
	calls(4, "replica A while B's calls hold both lines")

	// Both at once, step by step, until every alert is acknowledged.
	for range 10 {
		a.clk.Advance(30 * time.Second)
		both()
	}
	calls(6, "both replicas")
	if m := a.cn.MaxActive(); m != lines {
		t.Errorf("at most %d calls were active at once, want %d", m, lines)
	}
	for _, id := range ids {
		if al := a.alert(id); al.Status != alerts.StatusAcknowledged {
			t.Errorf("alert %d: %s, want acknowledged", id, al.Status)
		}
	}
}
