package alerts_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// testDirectory is a Directory from maps: who is on call in each schedule
// from a time on, and each user's plan.
type testDirectory struct {
	shifts map[string][]shift
	plans  map[string][]alerts.Planned
	// severities records the severity each Plan was asked for.
	severities []string
}

type shift struct {
	from time.Time
	who  string
}

func (d *testDirectory) OnCallAt(_ context.Context, schedule string, t time.Time) (string, error) {
	if schedule == "broken" {
		return "", errors.New("schedule store unavailable")
	}
	if schedule == "missing" {
		return "", alerts.ErrNotFound
	}
	who := ""
	for _, s := range d.shifts[schedule] {
		if !t.Before(s.from) {
			who = s.who
		}
	}
	return who, nil
}

func (d *testDirectory) Plan(_ context.Context, user, severity string) ([]alerts.Planned, error) {
	d.severities = append(d.severities, severity)
	return d.plans[user], nil
}

// TestPreview: an alert's preview names the route that matched (by
// severity and hours), and for a policy the first round step by step:
// chat posts at the step's start, a schedule's person as on call when the
// step starts, each contact method at the step's start plus the rule's
// delay, "nobody on call", "no verified contact methods"; without a
// matching route the call list with masked numbers and who is off hours;
// record-only routes; the quiet period; the default system.
func TestPreview(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{opts: func(o *alerts.Options) { o.DefaultSystem = "XYZ" }})
		all := func(string) bool { return true }
		p := alerts.Policy{Name: "platform", Rounds: 2, Steps: []alerts.PolicyStep{
			{After: 5 * time.Minute, Targets: []alerts.Target{{Type: "chat", Name: "ops"}, {Type: "schedule", Name: "platform"}}},
			{After: 10 * time.Minute, Reescalate: 30 * time.Minute, Targets: []alerts.Target{{Type: "user", Name: "kim"}, {Type: "user", Name: "nomethods"}, {Type: "schedule", Name: "empty"}}},
		}}
		if err := e.svc.SavePolicy(e.ctx, p, "test", alerts.OriginConsole, all); err != nil {
			t.Fatal(err)
		}
		err := e.svc.SaveSystem(e.ctx, alerts.System{Name: "XYZ", Rounds: 3, Wait: time.Minute,
			Contacts: []alerts.Contact{{Name: "Sato", Phone: sato, Hours: "Sat-Sun"}, {Name: "Suzuki", Phone: suzuki}},
			Routes: []alerts.Route{
				{Severities: []string{"critical"}, Policy: "platform"},
				{Severities: []string{"warning"}, Hours: "Mon-Fri 09:00-18:00", Policy: "platform"},
				{Severities: []string{"info"}, RecordOnly: true},
			}}, "test", alerts.OriginConsole, all)
		if err != nil {
			t.Fatal(err)
		}
		at := epoch // Friday 12:00 in Tokyo
		dir := &testDirectory{
			// lee hands over to sato three minutes in: step 2 (at 5m) would
			// reach sato, step 1 reaches lee.
			shifts: map[string][]shift{"platform": {{at.Add(-time.Hour), "lee"}, {at.Add(3 * time.Minute), "sato"}}},
			plans: map[string][]alerts.Planned{
				"lee": {{Kind: "voice", Address: "+819012345678", Label: "mobile", MethodID: 1}, {Kind: "sms", Address: "+819012345678", Label: "mobile", MethodID: 1, Delay: 2 * time.Minute}},
				"kim": {{Kind: "email", Address: "kim@example.com", Label: "work", MethodID: 7, Delay: time.Minute}},
			},
		}

		res, err := e.svc.Preview(e.ctx, "XYZ", "critical", at, dir)
		if err != nil {
			t.Fatal(err)
		}
		if res.Mode != alerts.PreviewPolicy || res.Route != 0 || res.Policy != "platform" || res.Rounds != 2 || res.Cycle != 15*time.Minute ||
			res.PolicyMissing || !res.QuietUntil.IsZero() || res.Severity != "critical" || len(res.Steps) != 2 {
			t.Fatalf("critical: %+v", res)
		}
		s1, s2 := res.Steps[0], res.Steps[1]
		if s1.Start != 0 || s1.After != 5*time.Minute || s2.Start != 5*time.Minute || s2.Reescalate != 30*time.Minute {
			t.Errorf("steps: %+v / %+v", s1, s2)
		}
		wantS1 := []alerts.PreviewTarget{
			{Target: alerts.Target{Type: "chat", Name: "ops"}, Notices: []alerts.PreviewNotice{{Kind: "chat", Destination: "ops"}}},
			{Target: alerts.Target{Type: "schedule", Name: "platform"}, User: "lee", Notices: []alerts.PreviewNotice{
				{Kind: "voice", Address: "+819••••••678", Label: "mobile"},
				{Kind: "sms", Address: "+819••••••678", Label: "mobile", At: 2 * time.Minute},
			}},
		}
		if !reflect.DeepEqual(s1.Targets, wantS1) {
			t.Errorf("step 1:\n got %+v\nwant %+v", s1.Targets, wantS1)
		}
		wantS2 := []alerts.PreviewTarget{
			{Target: alerts.Target{Type: "user", Name: "kim"}, User: "kim", Notices: []alerts.PreviewNotice{{Kind: "email", Address: "k•••@example.com", Label: "work", At: 6 * time.Minute}}},
			{Target: alerts.Target{Type: "user", Name: "nomethods"}, User: "nomethods", NoMethods: true},
			{Target: alerts.Target{Type: "schedule", Name: "empty"}, NobodyOnCall: true},
		}
		if !reflect.DeepEqual(s2.Targets, wantS2) {
			t.Errorf("step 2:\n got %+v\nwant %+v", s2.Targets, wantS2)
		}
		if !reflect.DeepEqual(dir.severities, []string{"critical", "critical", "critical"}) {
			t.Errorf("plans asked for severities %v", dir.severities)
		}

		// Warning inside the route's hours: the policy; on Saturday: no
		// route matches, the call list (Sato works weekends only).
		if res, err := e.svc.Preview(e.ctx, "XYZ", "warning", at, dir); err != nil || res.Route != 1 || res.Mode != alerts.PreviewPolicy {
			t.Errorf("warning on Friday: %+v %v", res, err)
		}
		res, err = e.svc.Preview(e.ctx, "XYZ", "warning", at.Add(24*time.Hour), dir)
		if err != nil {
			t.Fatal(err)
		}
		wantCalls := []alerts.PreviewCall{{Name: "Sato", Phone: "+819••••••001", Hours: "Sat-Sun"}, {Name: "Suzuki", Phone: "+819••••••002"}}
		if res.Mode != alerts.PreviewCallList || res.Route != -1 || res.Matched != nil || res.CallList != "XYZ" || res.Rounds != 3 || res.Wait != time.Minute ||
			!reflect.DeepEqual(res.Calls, wantCalls) {
			t.Errorf("warning on Saturday: %+v", res)
		}
		// On Friday Sato is off hours.
		res, err = e.svc.Preview(e.ctx, "XYZ", "unspecified", at, dir)
		if err != nil || res.Mode != alerts.PreviewCallList || res.Severity != "unspecified" || !res.Calls[0].OffHours || res.Calls[1].OffHours {
			t.Errorf("unspecified: %+v %v", res, err)
		}
		res, err = e.svc.Preview(e.ctx, "XYZ", "info", at, dir)
		if err != nil || res.Mode != alerts.PreviewRecordOnly || res.Route != 2 || !res.Matched.RecordOnly || res.Steps != nil || res.Calls != nil {
			t.Errorf("info: %+v %v", res, err)
		}

		// A system without a row escalates through the default system.
		res, err = e.svc.Preview(e.ctx, "Billing", "critical", at, dir)
		if err != nil || res.System != "Billing" || res.Policy != "platform" {
			t.Errorf("default system: %+v %v", res, err)
		}

		// A directory error is the target's, not the preview's.
		p.Steps = append(p.Steps, alerts.PolicyStep{Targets: []alerts.Target{{Type: "schedule", Name: "broken"}, {Type: "schedule", Name: "missing"}}})
		if err := e.svc.SavePolicy(e.ctx, p, "test", alerts.OriginConsole, all); err != nil {
			t.Fatal(err)
		}
		res, err = e.svc.PreviewPolicy(e.ctx, "platform", "", at, dir)
		if err != nil || len(res.Steps) != 3 || res.Steps[2].Start != 15*time.Minute || res.Steps[2].After != 0 ||
			res.Steps[2].Targets[0].Error != "schedule store unavailable" || !res.Steps[2].Targets[1].NoSchedule || res.Steps[2].Targets[1].Error != "" || res.Cycle != 15*time.Minute || res.Severity != "unspecified" {
			t.Errorf("policy preview: %+v %v", res, err)
		}

		// Quiet: the preview says until when.
		q, err := e.svc.StartQuiet(e.ctx, "XYZ", time.Hour, "test", "")
		if err != nil {
			t.Fatal(err)
		}
		if res, err := e.svc.Preview(e.ctx, "XYZ", "critical", e.clk.Now(), dir); err != nil || !res.QuietUntil.Equal(q.EndsAt) {
			t.Errorf("quiet: %+v %v", res, err)
		}
		if _, err := e.svc.PreviewPolicy(e.ctx, "nope", "critical", at, dir); !errors.Is(err, alerts.ErrNotFound) {
			t.Errorf("missing policy: %v", err)
		}
	})
	t.Run("no system", func(t *testing.T) {
		e := newEnv(t, storetest.New(t, store.SQLite), envOpt{})
		if _, err := e.svc.Preview(e.ctx, "XYZ", "critical", epoch, nil); !errors.Is(err, alerts.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})
}

func TestMaskAddress(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "+819011110001": "+819••••••001", "12345": "•••••", "kim@example.com": "k•••@example.com", "@x": "•••@x", "田中@例え.jp": "田•••@例え.jp",
	} {
		if got := alerts.MaskAddress(in); got != want {
			t.Errorf("MaskAddress(%q) = %q, want %q", in, got, want)
		}
	}
}
