package alerts_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// directory is the test's on-call directory: who is on call in each
// schedule, and each user's notification plan.
type directory struct {
	mu      sync.Mutex
	oncall  map[string]string
	plans   map[string][]alerts.Planned
	planned []string // "user/severity" asked
}

func (d *directory) OnCallAt(_ context.Context, schedule string, _ time.Time) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	who, ok := d.oncall[schedule]
	if !ok {
		return "", alerts.ErrNotFound
	}
	return who, nil
}

func (d *directory) Plan(_ context.Context, user, severity string) ([]alerts.Planned, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.planned = append(d.planned, user+"/"+severity)
	return d.plans[user], nil
}

// pager records SMS, email and chat mentions; fail makes the next sends
// fail with that error.
type pager struct {
	mu   sync.Mutex
	msgs []alerts.PageMessage
	fail []error
}

var errNotSent = errors.New("throttled: not sent")

func (p *pager) Send(_ context.Context, m alerts.PageMessage) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.fail) > 0 {
		err := p.fail[0]
		p.fail = p.fail[1:]
		return "", err
	}
	p.msgs = append(p.msgs, m)
	return fmt.Sprintf("msg-%d", len(p.msgs)), nil
}

func (p *pager) NotSent(err error) bool { return errors.Is(err, errNotSent) }

func (p *pager) sent() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, m := range p.msgs {
		out = append(out, m.Kind+":"+m.To)
	}
	return out
}

// policyEnv is env with a directory, a pager and a link minter.
func policyEnv(t *testing.T, st *store.Store) (*env, *directory, *pager) {
	d := &directory{oncall: map[string]string{}, plans: map[string][]alerts.Planned{}}
	p := &pager{}
	e := newEnv(t, st, envOpt{opts: func(o *alerts.Options) {
		o.Directory = d
		o.Pager = p
		o.ActionLink = func(_ context.Context, id int64, action, channel, user string) (string, error) {
			return fmt.Sprintf("https://ops.example.com/a/%d-%s-%s-%s", id, action, channel, user), nil
		}
	}})
	return e, d, p
}

func (e *env) policy(p alerts.Policy) {
	e.t.Helper()
	if err := e.svc.SavePolicy(e.ctx, p, "test", alerts.OriginConsole, func(string) bool { return true }); err != nil {
		e.t.Fatal(err)
	}
}

// routed saves a system whose routes are given (and no call list unless
// contacts are).
func (e *env) routed(name string, routes []alerts.Route, contacts ...alerts.Contact) {
	e.t.Helper()
	err := e.svc.SaveSystem(e.ctx, alerts.System{Name: name, Rounds: 1, Routes: routes, Contacts: contacts, Notify: []string{"ops-chat"}}, "test",
		alerts.OriginConsole, func(string) bool { return true })
	if err != nil {
		e.t.Fatal(err)
	}
}

// pages runs the page runner once.
func (e *env) pages() {
	e.t.Helper()
	if _, err := e.svc.RunPages(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// tick moves the clock in steps of at most 30 s, running steps and pages.
func (e *env) tick(d time.Duration) {
	e.t.Helper()
	for d > 0 {
		s := min(d, 30*time.Second)
		e.clk.Advance(s)
		e.run()
		e.pages()
		d -= s
	}
}

func (e *env) pageList(id int64) []*alerts.Page {
	e.t.Helper()
	ps, err := e.svc.Pages(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return ps
}

func (e *env) dests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, s := range e.sent {
		out = append(out, s.Dest)
	}
	return out
}

func fire(system, key, severity string) parse.Signal {
	s := firing(system, key)
	s.Severity = severity
	return s
}

// TestPolicyChatSMSVoice: chat at once, then Sato by SMS (and a call three
// minutes later by his rules); he acknowledges from the SMS link after a
// minute: no call is ever placed, and the timeline says who was notified.
func TestPolicyChatSMSVoice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, d, p := policyEnv(t, st)
		d.plans["sato"] = []alerts.Planned{
			{Kind: alerts.PageSMS, Address: sato, MethodID: 1, Language: "ja"},
			{Kind: alerts.PageVoice, Address: sato, MethodID: 2, Delay: 3 * time.Minute, Language: "ja-JP"},
		}
		e.policy(alerts.Policy{Name: "platform", Rounds: 1, Steps: []alerts.PolicyStep{
			{After: time.Minute, Targets: []alerts.Target{{Type: "chat", Name: "ops-chat"}}},
			{After: 10 * time.Minute, Targets: []alerts.Target{{Type: "user", Name: "sato"}}},
		}})
		e.routed("web", []alerts.Route{{Severities: []string{"critical"}, Policy: "platform"}})
		id := e.open("web", "db1")
		e.run()
		e.pages()
		if got := e.dests(); !slices.Equal(got, []string{"ops-chat"}) {
			t.Fatalf("chat posts %v", got)
		}
		if got := p.sent(); len(got) != 0 {
			t.Fatalf("sent %v before step 2", got)
		}
		e.tick(time.Minute)
		if got := p.sent(); !slices.Equal(got, []string{"sms:" + sato}) {
			t.Fatalf("sent %v, want the SMS", got)
		}
		sms := p.msgs[0]
		if !strings.Contains(sms.Text, fmt.Sprintf("https://ops.example.com/a/%d-ack-sms-sato", id)) || !strings.Contains(sms.Text, "アラート") {
			t.Errorf("SMS text %q: want the Japanese text and the ack link", sms.Text)
		}
		if _, _, err := e.svc.Ack(e.ctx, id, "sato", "SMS link"); err != nil {
			t.Fatal(err)
		}
		e.tick(15 * time.Minute)
		if n := len(e.cn.Calls()); n != 0 {
			t.Fatalf("%d calls placed after the SMS acknowledgement", n)
		}
		ps := e.pageList(id)
		if len(ps) != 3 {
			t.Fatalf("%d pages", len(ps))
		}
		byKind := map[string]*alerts.Page{}
		for _, pg := range ps {
			byKind[pg.Kind] = pg
		}
		if pg := byKind[alerts.PageVoice]; pg.Status != alerts.PageCancelled {
			t.Errorf("voice page %s, want cancelled", pg.Status)
		}
		if pg := byKind[alerts.PageSMS]; pg.Status != alerts.PageSent || pg.Ref != "msg-1" {
			t.Errorf("sms page %s ref %q", pg.Status, pg.Ref)
		}
		tl := e.timeline(id)
		for _, want := range []string{"step:", "page:chat:ops-chat", "page:sato", "ack:sato (SMS link)"} {
			if !hasEntry(tl, want) {
				t.Errorf("timeline %v lacks %s", tl, want)
			}
		}
		if e.escalating(id) {
			t.Error("still escalating after the acknowledgement")
		}
	})
}

// TestRoutesBySeverity: warning goes to a chat-only policy, info is
// recorded only, critical (no route) goes to the call list as before.
func TestRoutesBySeverity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, _, _ := policyEnv(t, st)
		e.policy(alerts.Policy{Name: "chat-only", Rounds: 1, Steps: []alerts.PolicyStep{
			{After: time.Minute, Targets: []alerts.Target{{Type: "chat", Name: "ops-chat"}}},
		}})
		e.routed("web", []alerts.Route{
			{Severities: []string{"warning"}, Policy: "chat-only"},
			{Severities: []string{"info"}, RecordOnly: true},
		}, alerts.Contact{Name: "Sato", Phone: sato})
		res := e.ingest(fire("web", "w", parse.SeverityWarning), fire("web", "i", parse.SeverityInfo), fire("web", "c", parse.SeverityCritical))
		e.run()
		e.pages()
		if got := e.dests(); !slices.Equal(got, []string{"ops-chat"}) {
			t.Errorf("chat posts %v, want one for the warning", got)
		}
		e.wantNumbers(sato) // the critical one, through the call list
		if e.escalating(res[1].AlertID) {
			t.Error("the info alert escalates")
		}
		if tl := e.timeline(res[1].AlertID); !hasEntry(tl, "recorded:") {
			t.Errorf("info timeline %v", tl)
		}
		if a := e.alert(res[1].AlertID); a.Status != alerts.StatusOpen {
			t.Errorf("info alert %s", a.Status)
		}
		// The warning's policy has one round: after its step it gives up.
		e.tick(2 * time.Minute)
		if a := e.alert(res[0].AlertID); a.Status != alerts.StatusUnacknowledged {
			t.Errorf("warning alert %s, want unacknowledged after its one round", a.Status)
		}
	})
}

// TestPolicyRoundsAndSchedules: a schedule target reaches whoever is on
// call when the step runs; the steps repeat for the policy's rounds, each
// notification once per round; nobody on call is said on the timeline.
func TestPolicyRoundsAndSchedules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, d, p := policyEnv(t, st)
		d.oncall["platform"] = "kim"
		d.oncall["empty"] = ""
		d.plans["kim"] = []alerts.Planned{{Kind: alerts.PageEmail, Address: "kim@example.com", MethodID: 7}}
		d.plans["sato"] = []alerts.Planned{{Kind: alerts.PageEmail, Address: "sato@example.com", MethodID: 8}}
		e.policy(alerts.Policy{Name: "p", Rounds: 2, Steps: []alerts.PolicyStep{
			{After: 5 * time.Minute, Targets: []alerts.Target{{Type: "schedule", Name: "platform"}, {Type: "schedule", Name: "empty"}, {Type: "user", Name: "kim"}}},
		}})
		e.routed("web", []alerts.Route{{Policy: "p"}})
		id := e.open("web", "x")
		e.run()
		e.pages()
		d.mu.Lock()
		d.oncall["platform"] = "sato" // hand-off before round 2
		d.mu.Unlock()
		e.tick(5 * time.Minute)
		e.tick(5 * time.Minute)
		want := []string{"email:kim@example.com", "email:kim@example.com", "email:sato@example.com"}
		got := p.sent()
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("sent %v, want %v (kim once per round, not twice in round 1)", got, want)
		}
		if a := e.alert(id); a.Status != alerts.StatusUnacknowledged {
			t.Fatalf("status %s after two rounds", a.Status)
		}
		// An email carries the alert and a one-tap link per action.
		mail := p.msgs[0]
		for _, want := range []string{"Alert #", "System: web", "Host: x",
			fmt.Sprintf("Acknowledge: https://ops.example.com/a/%d-ack-email-kim", id),
			fmt.Sprintf("Resolve: https://ops.example.com/a/%d-resolve-email-kim", id),
			fmt.Sprintf("Escalate: https://ops.example.com/a/%d-escalate-email-kim", id),
			fmt.Sprintf("Console: https://ops.example.com/alerts/%d", id)} {
			if !strings.Contains(mail.Text, want) {
				t.Errorf("email lacks %q:\n%s", want, mail.Text)
			}
		}
		if mail.Subject != fmt.Sprintf("[opsdesk] CRITICAL web: CPU Utilization on x (#%d)", id) {
			t.Errorf("subject %q", mail.Subject)
		}
		var stepLines []string
		es, _ := e.svc.Timeline(e.ctx, id)
		for _, x := range es {
			if x.Kind == alerts.KindStep {
				stepLines = append(stepLines, x.Detail)
			}
		}
		if len(stepLines) != 2 || !strings.Contains(stepLines[0], "schedule:empty: nobody is on call") || !strings.Contains(stepLines[1], "round 2") {
			t.Fatalf("step lines %q", stepLines)
		}
		var n int
		if err := st.R.QueryRow(st.Q(`SELECT count(*) FROM alert_notifications WHERE alert_id = ? AND destination = 'ops-chat' AND reason = 'unacknowledged'`), id).Scan(&n); err != nil || n != 1 {
			t.Errorf("the system's destination is to be told it gave up: %d notifications (%v)", n, err)
		}
	})
}

// TestReescalation: acknowledged at a step that re-escalates after 10
// minutes and still not resolved, the alert opens again and the next step
// runs; resolved instead, nothing more happens.
func TestReescalation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, d, p := policyEnv(t, st)
		d.plans["sato"] = []alerts.Planned{{Kind: alerts.PageSMS, Address: sato, MethodID: 1}}
		d.plans["kim"] = []alerts.Planned{{Kind: alerts.PageSMS, Address: suzuki, MethodID: 2}}
		e.policy(alerts.Policy{Name: "p", Rounds: 1, Steps: []alerts.PolicyStep{
			{After: 5 * time.Minute, Reescalate: 10 * time.Minute, Targets: []alerts.Target{{Type: "user", Name: "sato"}}},
			{After: 5 * time.Minute, Targets: []alerts.Target{{Type: "user", Name: "kim"}}},
		}})
		e.routed("web", []alerts.Route{{Policy: "p"}})
		id := e.open("web", "a")
		id2 := e.open("web", "b")
		e.run()
		e.pages()
		for _, x := range []int64{id, id2} {
			if _, _, err := e.svc.Ack(e.ctx, x, "sato", "console"); err != nil {
				t.Fatal(err)
			}
		}
		e.tick(5 * time.Minute)
		if _, _, err := e.svc.Resolve(e.ctx, id2, "sato", "console"); err != nil {
			t.Fatal(err)
		}
		if a := e.alert(id); a.Status != alerts.StatusAcknowledged {
			t.Fatalf("status %s before the re-escalation time", a.Status)
		}
		e.tick(6 * time.Minute)
		if a := e.alert(id); a.Status != alerts.StatusOpen {
			t.Fatalf("status %s, want open again", a.Status)
		}
		if got := p.sent(); !slices.Equal(got, []string{"sms:" + sato, "sms:" + sato, "sms:" + suzuki}) {
			t.Fatalf("sent %v: want step 2 for the unresolved alert only", got)
		}
		if tl := e.timeline(id); !hasEntry(tl, "reescalate:") {
			t.Errorf("timeline %v", tl)
		}
	})
}

// TestPageAtMostOnce: a page left sending by a process that died is not
// sent again (it becomes unknown); one that failed with an error that says
// it was not sent is retried; the retried send goes out once.
func TestPageAtMostOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, d, p := policyEnv(t, st)
		d.plans["sato"] = []alerts.Planned{{Kind: alerts.PageSMS, Address: sato, MethodID: 1}}
		d.plans["kim"] = []alerts.Planned{{Kind: alerts.PageEmail, Address: "kim@example.com", MethodID: 2}}
		e.policy(alerts.Policy{Name: "p", Rounds: 1, Steps: []alerts.PolicyStep{
			{After: time.Hour, Targets: []alerts.Target{{Type: "user", Name: "sato"}, {Type: "user", Name: "kim"}}},
		}})
		e.routed("web", []alerts.Route{{Policy: "p"}})
		id := e.open("web", "a")
		e.run()
		// The process "dies" with Sato's SMS out: its row says sending,
		// its claim runs for the send window.
		ms := store.Millis(e.clk.Now())
		if _, err := st.W.ExecContext(e.ctx, st.Q(`UPDATE alert_pages SET status = 'sending', claimed_until = ?, attempts = 1 WHERE kind = 'sms'`), ms+15000); err != nil {
			t.Fatal(err)
		}
		p.fail = []error{errNotSent}
		e.pages()
		if got := p.sent(); len(got) != 0 {
			t.Fatalf("sent %v: the email failed as not sent, the SMS is someone else's", got)
		}
		// An acknowledgement waits for a page being sent: here it would
		// wait out the window, so look at the state instead.
		e.tick(30 * time.Second)
		if got := p.sent(); !slices.Equal(got, []string{"email:kim@example.com"}) {
			t.Fatalf("sent %v, want the retried email once", got)
		}
		var sms *alerts.Page
		for _, pg := range e.pageList(id) {
			if pg.Kind == alerts.PageSMS {
				sms = pg
			}
		}
		if sms.Status != alerts.PageUnknown {
			t.Fatalf("the interrupted SMS is %s, want unknown", sms.Status)
		}
		e.tick(5 * time.Minute)
		if got := p.sent(); len(got) != 1 {
			t.Fatalf("sent %v: something went twice", got)
		}
	})
}

// TestPageCallKeyOne: a voice page is a call through Connect; key 1 on it
// acknowledges the alert and later steps do not run.
func TestPageCallKeyOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, d, p := policyEnv(t, st)
		d.plans["sato"] = []alerts.Planned{{Kind: alerts.PageVoice, Address: sato, MethodID: 1, Language: "ja-JP"}}
		d.plans["kim"] = []alerts.Planned{{Kind: alerts.PageSMS, Address: suzuki, MethodID: 2}}
		e.policy(alerts.Policy{Name: "p", Rounds: 3, Steps: []alerts.PolicyStep{
			{After: 5 * time.Minute, Targets: []alerts.Target{{Type: "user", Name: "sato"}}},
			{After: 5 * time.Minute, Targets: []alerts.Target{{Type: "user", Name: "kim"}}},
		}})
		e.routed("web", []alerts.Route{{Policy: "p"}})
		e.cn.Script(sato, fake.Answer("1"))
		id := e.open("web", "a")
		e.run()
		e.pages()
		e.wantNumbers(sato)
		if c := e.cn.Calls()[0]; c.Attributes["language"] != "ja-JP" || c.Attributes["systemname"] != "web" {
			t.Errorf("attributes %v", c.Attributes)
		}
		e.tick(2 * time.Minute)
		a := e.alert(id)
		if a.Status != alerts.StatusAcknowledged || a.AckedBy != "sato (phone)" {
			t.Fatalf("alert %s by %q", a.Status, a.AckedBy)
		}
		e.tick(20 * time.Minute)
		e.wantNumbers(sato)
		if got := p.sent(); len(got) != 0 {
			t.Fatalf("sent %v after the acknowledgement", got)
		}
	})
}

// TestPolicyValidation: errors name the field.
func TestPolicyValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, _, _ := policyEnv(t, st)
		for _, c := range []struct {
			p     alerts.Policy
			field string
		}{
			{alerts.Policy{Name: "bad name", Steps: []alerts.PolicyStep{{Targets: []alerts.Target{{Type: "user", Name: "a"}}}}}, "name"},
			{alerts.Policy{Name: "p"}, "steps"},
			{alerts.Policy{Name: "p", Steps: []alerts.PolicyStep{{Targets: []alerts.Target{{Type: "team", Name: "a"}}}}}, "steps[0].targets[0]"},
			{alerts.Policy{Name: "p", Steps: []alerts.PolicyStep{{After: 48 * time.Hour, Targets: []alerts.Target{{Type: "user", Name: "a"}}}}}, "steps[0].after"},
			{alerts.Policy{Name: "p", Rounds: 99, Steps: []alerts.PolicyStep{{Targets: []alerts.Target{{Type: "user", Name: "a"}}}}}, "rounds"},
		} {
			err := e.svc.SavePolicy(e.ctx, c.p, "test", alerts.OriginConsole, func(string) bool { return true })
			var ve *alerts.ValidationError
			if !errors.As(err, &ve) || ve.Field != c.field {
				t.Errorf("%+v: error %v, want field %s", c.p, err, c.field)
			}
		}
		err := e.svc.SaveSystem(e.ctx, alerts.System{Name: "web", Routes: []alerts.Route{{Policy: "missing"}}}, "test", alerts.OriginConsole, func(string) bool { return true })
		var ve *alerts.ValidationError
		if !errors.As(err, &ve) || ve.Field != "routes[0].policy" {
			t.Errorf("route to a missing policy: %v", err)
		}
		e.policy(alerts.Policy{Name: "p", Steps: []alerts.PolicyStep{{Targets: []alerts.Target{{Type: "user", Name: "a"}}}}})
		e.routed("web", []alerts.Route{{Policy: "p"}})
		if err := e.svc.DeletePolicy(e.ctx, "p"); !errors.As(err, &ve) {
			t.Errorf("deleting a policy in use: %v", err)
		}
	})
}

// TestUpgradeKeepsCallLists: a call list escalating while opsdesk is
// upgraded to the release with policies (migration 18 rebuilds the
// escalation table on SQLite) goes on exactly as the seed's 1→2→3 × 3
// rounds; the same holds after a downgrade and upgrade again.
func TestUpgradeKeepsCallLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		e.threePeople()
		id := e.open("XYZ", "server1/cpu")
		e.run()
		e.advance(90 * time.Second)
		e.wantNumbers(sato, suzuki)
		// The release before policies, then this one again.
		if err := st.MigrateTo(e.ctx, 17); err != nil {
			t.Fatal(err)
		}
		var state string
		if err := st.R.QueryRow(st.Q(`SELECT state FROM alert_escalations WHERE alert_id = ?`), id).Scan(&state); err != nil || state == "" {
			t.Fatalf("escalation after the downgrade: %q %v", state, err)
		}
		if err := st.MigrateTo(e.ctx, 18); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Migrate(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.advance(8 * time.Minute)
		e.wantNumbers(sato, suzuki, tanaka, sato, suzuki, tanaka, sato, suzuki, tanaka)
		if a := e.alert(id); a.Status != alerts.StatusUnacknowledged {
			t.Fatalf("status %s after nine calls", a.Status)
		}
		if n := len(e.calls(id)); n != 9 {
			t.Fatalf("%d calls recorded", n)
		}
	})
}

// TestAckHangsUpPageCall: a policy's call still ringing when the alert is
// acknowledged in the console is hung up at once and recorded stopped.
func TestAckHangsUpPageCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, d, _ := policyEnv(t, st)
		d.plans["sato"] = []alerts.Planned{{Kind: alerts.PageVoice, Address: sato, MethodID: 1}}
		e.policy(alerts.Policy{Name: "p", Rounds: 1, Steps: []alerts.PolicyStep{
			{After: 5 * time.Minute, Targets: []alerts.Target{{Type: "user", Name: "sato"}}},
		}})
		e.routed("web", []alerts.Route{{Policy: "p"}})
		e.cn.Script(sato, fake.NoAnswer().Ring(2*time.Minute))
		id := e.open("web", "a")
		e.run()
		e.pages()
		e.wantNumbers(sato)
		e.clk.Advance(10 * time.Second)
		if _, _, err := e.svc.Ack(e.ctx, id, "kim", "console"); err != nil {
			t.Fatal(err)
		}
		c, ok := e.cn.Contact(e.cn.Calls()[0].ContactID)
		if !ok || !c.Stopped {
			t.Fatalf("contact %+v: want it stopped by the acknowledgement", c)
		}
		ps := e.pageList(id)
		if len(ps) != 1 || ps[0].Status != alerts.PageSent || ps[0].Outcome != alerts.OutcomeStopped {
			t.Fatalf("page %+v", ps[0])
		}
	})
}

// TestKeyTwoAfterGivingUp: the policy's rounds are over (unacknowledged)
// while its call still goes on; key 2 on that call makes the system quiet
// and the alert quiet.
func TestKeyTwoAfterGivingUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, d, _ := policyEnv(t, st)
		d.plans["sato"] = []alerts.Planned{{Kind: alerts.PageVoice, Address: sato, MethodID: 1}}
		e.policy(alerts.Policy{Name: "p", Rounds: 1, Steps: []alerts.PolicyStep{
			{After: 10 * time.Second, Targets: []alerts.Target{{Type: "user", Name: "sato"}}},
		}})
		e.routed("web", []alerts.Route{{Policy: "p"}})
		e.cn.Script(sato, fake.Answer("2"))
		id := e.open("web", "a")
		e.run()
		e.pages()
		e.tick(15 * time.Second)
		if a := e.alert(id); a.Status != alerts.StatusUnacknowledged {
			t.Fatalf("status %s after the only round", a.Status)
		}
		e.tick(time.Minute)
		if a := e.alert(id); a.Status != alerts.StatusQuiet {
			t.Fatalf("status %s after key 2", a.Status)
		}
		qs, err := e.svc.Quiets(e.ctx, alerts.QuietFilter{Active: true, System: "web"})
		if err != nil || len(qs) != 1 {
			t.Fatalf("quiet periods %v %v", qs, err)
		}
	})
}

// TestFlapping: with alerts.flapping at 2 opens in 10 minutes, the third
// time a key opens after resolving twice it is flapping: nobody is called,
// and when it resolves within the window nobody ever is; a flapping alert
// still open when the window has passed escalates then.
func TestFlapping(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{opts: func(o *alerts.Options) { o.FlapOpens, o.FlapWindow = 2, 10*time.Minute }})
		e.system("XYZ", 1, nil, alerts.Contact{Name: "Sato", Phone: sato})
		e.cn.SetDefault(fake.NoAnswer().Ring(5 * time.Second))
		resolve := func() {
			t.Helper()
			rec := firing("XYZ", "db1")
			rec.Status = parse.StatusResolved
			e.ingest(rec)
		}
		flap := func() {
			t.Helper()
			e.open("XYZ", "db1")
			e.run()
			resolve()
			e.advance(30 * time.Second)
		}
		flap()
		flap()
		e.wantNumbers(sato, sato) // not flapping yet: both called
		id := e.open("XYZ", "db1")
		e.run()
		if tl := e.timeline(id); !hasEntry(tl, "flapping:") {
			t.Fatalf("timeline %v", tl)
		}
		e.advance(2 * time.Minute)
		e.wantNumbers(sato, sato)
		resolve()
		e.advance(15 * time.Minute)
		e.wantNumbers(sato, sato)
		if e.escalating(id) {
			t.Error("a resolved flapping alert still escalates")
		}
		// The window has passed: the next two flaps call again, the one
		// after is flapping, stays open past the window and escalates then.
		flap()
		flap()
		e.wantNumbers(sato, sato, sato, sato)
		id = e.open("XYZ", "db1")
		e.run()
		e.advance(9 * time.Minute)
		e.wantNumbers(sato, sato, sato, sato)
		e.advance(90 * time.Second)
		e.wantNumbers(sato, sato, sato, sato, sato)
		if c := e.calls(id); len(c) != 1 {
			t.Fatalf("%d calls for the alert that stayed open", len(c))
		}
	})
}
