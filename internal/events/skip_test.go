package events

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/events/payload"
	"github.com/opsdesk/opsdesk/internal/events/samples"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestNotConfiguredSkipsBuiltinRules: an action whose capability is not
// set up (NotConfigured) is skipped with its reason when a built-in rule
// asked for it, and the event is done; the same error fails at once the
// action of a rule from the config file, and that event is failed. A
// nil executor is "not configured" too.
func TestNotConfiguredSkipsBuiltinRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		fromCfg := Rule{Name: "my-case-sync", Origin: OriginConfig, Enabled: true,
			Pattern: json.RawMessage(`{"source":["aws.support"]}`), Actions: []Action{{Type: ActionSyncCase}}}
		svc, err := New(st, nil, Options{Rules: append(Builtin(nil), fromCfg)})
		if err != nil {
			t.Fatal(err)
		}
		ingest := func(name string) int64 {
			t.Helper()
			body, err := samples.Get(name)
			if err != nil {
				t.Fatal(err)
			}
			b, err := payload.Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			res, err := svc.Ingest(ctx, b, "api")
			if err != nil {
				t.Fatal(err)
			}
			return res.Events[0].Ref
		}
		const why = "no AWS account is configured (aws.accounts)"
		w := &ActionsWorker{Svc: svc, Log: svc.log, Exec: &Executors{
			SyncCase: func(context.Context, *Stored) (string, error) { return "", NotConfigured(why) },
			// Alert stays nil: phone escalation "not configured".
		}}
		work := func(ref int64) {
			t.Helper()
			if err := w.Work(ctx, &river.Job[ActionsArgs]{Args: ActionsArgs{EventRef: ref}}); err != nil {
				t.Fatalf("work %d: %v", ref, err)
			}
		}

		support := ingest("support-case-update")
		work(support)
		ev, err := svc.Get(ctx, support)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Status != StatusFailed {
			t.Errorf("support event: status %s, want failed (the config rule's sync fails)", ev.Status)
		}
		acts, err := svc.Actions(ctx, support)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]ActionResult{}
		for _, a := range acts {
			got[a.Rule] = a
		}
		b := got[RuleSupportCaseUpdate]
		if reason, ok := b.SkipReason(); !ok || reason != why || b.Status != "done" || b.Error != "" || b.Attempts != 1 {
			t.Errorf("built-in rule's action: %+v; want done, skipped with %q, after one attempt", b, why)
		}
		c := got["my-case-sync"]
		if _, skipped := c.SkipReason(); skipped || c.Status != "failed" || c.Error != why || c.Attempts != 1 {
			t.Errorf("config rule's action: %+v; want failed at once with %q", c, why)
		}

		alarm := ingest("alarm-state-change")
		work(alarm)
		if ev, _ := svc.Get(ctx, alarm); ev.Status != StatusDone {
			t.Errorf("alarm event: status %s, want done (its only action skipped)", ev.Status)
		}
		acts, _ = svc.Actions(ctx, alarm)
		if len(acts) != 1 {
			t.Fatalf("alarm actions: %+v", acts)
		}
		if reason, ok := acts[0].SkipReason(); !ok || !strings.Contains(reason, "phone escalation (alerts) is not configured") {
			t.Errorf("alarm action: %+v; want skipped, naming phone escalation", acts[0])
		}

		// A failure that is not "not configured" still fails a built-in
		// rule's action.
		w.Exec.SyncCase = func(context.Context, *Stored) (string, error) {
			return "", Permanent(errors.New("the event names no case (detail.case-id)"))
		}
		if _, err := svc.Replay(ctx, support); err != nil {
			t.Fatal(err)
		}
		if err := w.Work(ctx, &river.Job[ActionsArgs]{Args: ActionsArgs{EventRef: support, Run: 1}}); err != nil {
			t.Fatal(err)
		}
		acts, _ = svc.Actions(ctx, support)
		for _, a := range acts {
			if a.Run == 1 && a.Rule == RuleSupportCaseUpdate && (a.Status != "failed" || !strings.Contains(a.Error, "detail.case-id")) {
				t.Errorf("built-in action with a real error: %+v; want failed", a)
			}
		}
	})
}

// TestSkipReason reads only done actions that say they were skipped.
func TestSkipReason(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a      ActionResult
		reason string
		ok     bool
	}{
		{ActionResult{Status: "done", Result: SkippedPrefix + "no accounts"}, "no accounts", true},
		{ActionResult{Status: "done", Result: "sent to ops"}, "", false},
		{ActionResult{Status: "failed", Result: SkippedPrefix + "x"}, "", false},
		{ActionResult{Status: "pending"}, "", false},
	} {
		if r, ok := tc.a.SkipReason(); r != tc.reason || ok != tc.ok {
			t.Errorf("%+v: %q %v, want %q %v", tc.a, r, ok, tc.reason, tc.ok)
		}
	}
}
