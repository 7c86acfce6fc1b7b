package alerts_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestSeedScenario: the seed's 1→2→3 × 3 rounds. Nobody answers; every
// call rings out after 60 s; after the ninth call the escalation gives up,
// the alert is unacknowledged and the system's destination is told.
func TestSeedScenario(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		e.threePeople()
		id := e.open("XYZ", "server1/cpu")
		e.run()
		e.wantNumbers(sato)
		first := e.cn.Calls()[0]
		if first.Attributes["systemname"] != "XYZ" || first.Attributes["host"] != "server1/cpu" || first.Attributes["language"] != "ja-JP" ||
			first.Attributes["alert_id"] != strconv.FormatInt(id, 10) || first.Attributes["startdate"] != "2025-03-14 12:00" ||
			first.Attributes["service"] != "CPU Utilization" || first.Attributes["summary"] == "" {
			t.Errorf("attributes %v", first.Attributes)
		}
		if first.Source != e.cn.SourcePhone() || first.ContactFlowID != e.cn.ContactFlowID() {
			t.Errorf("call from %s with flow %s", first.Source, first.ContactFlowID)
		}
		e.advance(7*time.Minute + 30*time.Second)
		e.wantNumbers(sato, suzuki, tanaka, sato, suzuki, tanaka, sato, suzuki)
		if a := e.alert(id); a.Status != alerts.StatusOpen {
			t.Fatalf("status %s before the last call ended", a.Status)
		}
		e.advance(2 * time.Minute)
		e.wantNumbers(sato, suzuki, tanaka, sato, suzuki, tanaka, sato, suzuki, tanaka)
		a := e.alert(id)
		if a.Status != alerts.StatusUnacknowledged {
			t.Fatalf("status %s, want unacknowledged", a.Status)
		}
		if e.escalating(id) {
			t.Error("still escalating after giving up")
		}
		calls := e.calls(id)
		if len(calls) != 9 {
			t.Fatalf("%d calls recorded", len(calls))
		}
		tokens := map[string]bool{}
		for i, c := range calls {
			if c.Round != i/3+1 || c.Position != i%3 || c.Outcome != alerts.OutcomeNoAnswer || c.State != alerts.CallEnded ||
				c.DisconnectReason != fake.ReasonOriginatorCancel || c.ContactID == "" || !c.AnsweredAt.IsZero() {
				t.Errorf("call %d: %+v", i, c)
			}
			if want := epoch.Add(time.Duration(i) * time.Minute); !c.RequestedAt.Equal(want) || !c.EndedAt.Equal(want.Add(time.Minute)) {
				t.Errorf("call %d at %s–%s, want %s", i, c.RequestedAt, c.EndedAt, want)
			}
			if c.ClientToken != alerts.ClientToken(id, c.Round, c.Position, c.Phone) || tokens[c.ClientToken] {
				t.Errorf("call %d token %s", i, c.ClientToken)
			}
			tokens[c.ClientToken] = true
		}
		if got := e.cn.Calls()[4].ClientToken; got != calls[4].ClientToken {
			t.Errorf("Connect got token %s, stored %s", got, calls[4].ClientToken)
		}
		tl := e.timeline(id)
		if !hasEntry(tl, "received") || !hasEntry(tl, "gave_up") {
			t.Errorf("timeline %v", tl)
		}
		// The notification job: one message to the system's destination.
		var nid int64
		if err := st.R.QueryRow(st.Q(`SELECT id FROM alert_notifications WHERE alert_id = ? AND destination = 'ops-chat' AND status = 'pending'`), id).Scan(&nid); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.SendNotification(e.ctx, nid); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.SendNotification(e.ctx, nid); err != nil { // a repeated job sends nothing more
			t.Fatal(err)
		}
		if len(e.sent) != 1 || e.sent[0].Dest != "ops-chat" || e.sent[0].Msg.Kind != "alert" ||
			e.sent[0].Msg.URL != fmt.Sprintf("https://ops.example.com/alerts/%d", id) || e.sent[0].Msg.Ref != fmt.Sprintf("alert-%d", id) {
			t.Fatalf("sent %+v", e.sent)
		}
		if !hasEntry(e.timeline(id), "notified:ops-chat") {
			t.Errorf("timeline %v", e.timeline(id))
		}
		// Later: nothing more happens.
		e.advance(10 * time.Minute)
		if n := len(e.cn.Calls()); n != 9 {
			t.Errorf("%d calls after giving up", n)
		}
	})
}

// TestAckBySecondPerson: the second person answers and presses 1 in round
// 1; the escalation stops there.
func TestAckBySecondPerson(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		e.threePeople()
		e.cn.Script(suzuki, fake.Answer("1"))
		id := e.open("XYZ", "db1")
		e.run()
		e.advance(time.Minute) // Sato rings out, Suzuki is called
		e.wantNumbers(sato, suzuki)
		// Suzuki answers at +8 s, presses 1 at +33 s, the flow hangs up at
		// +43 s: the poll at +30 s sees the call connected, the next one
		// sees it ended with key 1.
		e.advance(30 * time.Second)
		if a := e.alert(id); a.Status != alerts.StatusOpen {
			t.Fatalf("status %s while Suzuki listens", a.Status)
		}
		e.advance(30 * time.Second)
		a := e.alert(id)
		if a.Status != alerts.StatusAcknowledged || a.AckedBy != "Suzuki (phone)" || !a.AckedAt.Equal(epoch.Add(120*time.Second)) {
			t.Fatalf("alert %s by %q at %s", a.Status, a.AckedBy, a.AckedAt)
		}
		e.advance(15 * time.Minute)
		e.wantNumbers(sato, suzuki)
		calls := e.calls(id)
		if len(calls) != 2 || calls[1].Key != "1" || calls[1].Outcome != alerts.OutcomeAcknowledged || calls[1].AnsweredAt.IsZero() ||
			calls[1].DisconnectReason != fake.ReasonFlowDisconnect || calls[0].Outcome != alerts.OutcomeNoAnswer {
			t.Fatalf("calls %+v %+v", calls[0], calls[1])
		}
		if e.escalating(id) {
			t.Error("still escalating")
		}
	})
}

// TestAckByLastPersonOfLastRound: nobody answers until the last person of
// the last round (Tanaka, third round), who presses 1. That acknowledgement
// ends the escalation as acknowledged: no further call, no "gave up" entry,
// and no unacknowledged notification to the system's destination.
func TestAckByLastPersonOfLastRound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		e.threePeople()
		e.cn.Script(tanaka, fake.NoAnswer(), fake.NoAnswer(), fake.Answer("1"))
		id := e.open("XYZ", "batch1")
		e.run()
		// Eight calls ring out, a minute each; Tanaka's third call starts at
		// +8 m, is answered at +8 m 8 s, key 1 at +8 m 33 s, the flow hangs
		// up at +8 m 43 s: the poll at +9 m sees it ended.
		e.advance(8*time.Minute + 30*time.Second)
		e.wantNumbers(sato, suzuki, tanaka, sato, suzuki, tanaka, sato, suzuki, tanaka)
		if a := e.alert(id); a.Status != alerts.StatusOpen {
			t.Fatalf("status %s while Tanaka listens", a.Status)
		}
		e.advance(30 * time.Second)
		a := e.alert(id)
		if a.Status != alerts.StatusAcknowledged || a.AckedBy != "Tanaka (phone)" || !a.AckedAt.Equal(epoch.Add(9*time.Minute)) {
			t.Fatalf("alert %s by %q at %s, want acknowledged by Tanaka (phone) at +9m", a.Status, a.AckedBy, a.AckedAt)
		}
		if e.escalating(id) {
			t.Error("still escalating after the acknowledgement")
		}
		calls := e.calls(id)
		if len(calls) != 9 {
			t.Fatalf("%d calls recorded, want 9", len(calls))
		}
		last := calls[8]
		if last.Round != 3 || last.Position != 2 || last.Key != "1" || last.Outcome != alerts.OutcomeAcknowledged || last.State != alerts.CallEnded {
			t.Fatalf("last call %+v", last)
		}
		tl := e.timeline(id)
		if !hasEntry(tl, alerts.KindAck+":Tanaka (phone)") || hasEntry(tl, alerts.KindGaveUp) {
			t.Fatalf("timeline %v: want an ack by Tanaka and no gave_up", tl)
		}
		var notes int
		if err := st.R.QueryRow(st.Q(`SELECT count(*) FROM alert_notifications WHERE alert_id = ?`), id).Scan(&notes); err != nil {
			t.Fatal(err)
		}
		if notes != 0 {
			t.Fatalf("%d notifications queued for an acknowledged alert", notes)
		}
		// Later: nobody is called again.
		e.advance(15 * time.Minute)
		if n := len(e.cn.Calls()); n != 9 {
			t.Fatalf("%d calls after the acknowledgement, want 9", n)
		}
		if a := e.alert(id); a.Status != alerts.StatusAcknowledged {
			t.Fatalf("status %s later", a.Status)
		}
	})
}

// TestKeyTwoSilencesSystem: key 2 makes the system quiet for its quiet
// period (12 h): the next alert of that system calls nobody; after the
// period, alerts call again.
func TestKeyTwoSilencesSystem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		e.threePeople()
		e.system("Other", 1, nil, alerts.Contact{Name: "Other", Phone: "+819044440004"})
		e.cn.Script(sato, fake.Answer("2"))
		first := e.open("XYZ", "web1")
		e.run()
		e.advance(time.Minute)
		if a := e.alert(first); a.Status != alerts.StatusQuiet {
			t.Fatalf("status %s", a.Status)
		}
		qs, err := e.svc.Quiets(e.ctx, alerts.QuietFilter{Active: true})
		if err != nil || len(qs) != 1 || qs[0].System != "XYZ" || !qs[0].EndsAt.Equal(epoch.Add(60*time.Second+12*time.Hour)) || qs[0].SetBy != "Sato" {
			t.Fatalf("quiet periods %+v %v", qs, err)
		}
		res := e.ingest(firing("XYZ", "web2"))
		if res[0].Action != alerts.ActionSuppressed || res[0].Status != alerts.StatusQuiet {
			t.Fatalf("next alert: %+v", res[0])
		}
		other := e.open("Other", "x") // another system is not quiet
		e.advance(11 * time.Hour)
		e.wantNumbers(sato, "+819044440004")
		if !hasEntry(e.timeline(res[0].AlertID), "suppressed") {
			t.Errorf("timeline %v", e.timeline(res[0].AlertID))
		}
		_ = other
		e.advance(time.Hour + time.Minute)
		third := e.open("XYZ", "web3")
		e.run()
		e.wantNumbers(sato, "+819044440004", sato)
		if a := e.alert(third); a.Status != alerts.StatusOpen {
			t.Fatalf("after the quiet period: %s", a.Status)
		}
	})
}

// TestRecoveryMidCall: the monitoring system reports recovery while the
// first person's phone rings: the call is hung up and nobody else is
// called.
func TestRecoveryMidCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		e.threePeople()
		id := e.open("XYZ", "api")
		e.run()
		e.clk.Advance(10 * time.Second)
		rec := firing("XYZ", "api")
		rec.Status = parse.StatusResolved
		rec.Source = parse.SourceNagios
		res := e.ingest(rec)
		if res[0].Action != alerts.ActionResolved || res[0].AlertID != id {
			t.Fatalf("recovery: %+v", res)
		}
		a := e.alert(id)
		if a.Status != alerts.StatusResolved || a.ResolvedBy != "nagios (test)" {
			t.Fatalf("%s by %q", a.Status, a.ResolvedBy)
		}
		c, ok := e.cn.Contact(e.cn.Calls()[0].ContactID)
		if !ok || !c.Stopped || c.State != fake.ContactDisconnected {
			t.Fatalf("the ringing call was not stopped: %+v", c)
		}
		e.advance(20 * time.Minute)
		e.wantNumbers(sato)
		calls := e.calls(id)
		if len(calls) != 1 || calls[0].Outcome != alerts.OutcomeStopped || calls[0].State != alerts.CallEnded ||
			calls[0].DisconnectReason != fake.ReasonOriginatorCancel {
			t.Fatalf("call %+v", calls[0])
		}
		// The same key opens a new alert once the old one is resolved.
		res = e.ingest(firing("XYZ", "api"))
		if res[0].Action != alerts.ActionOpened || res[0].AlertID == id {
			t.Fatalf("re-fire: %+v", res[0])
		}
	})
}

// TestDuplicatesMakeOneEscalation: 1,000 copies of the same alert from 20
// concurrent senders are one alert with 999 repeats and one call.
func TestDuplicatesMakeOneEscalation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		e.threePeople()
		var wg sync.WaitGroup
		var opened, repeated atomic.Int32
		errs := make(chan error, 20)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 50 {
					res, err := e.svc.Ingest(e.ctx, []parse.Signal{firing("XYZ", "disk")}, "test")
					if err != nil {
						errs <- err
						return
					}
					switch res[0].Action {
					case alerts.ActionOpened:
						opened.Add(1)
					case alerts.ActionRepeated:
						repeated.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if opened.Load() != 1 || repeated.Load() != 999 {
			t.Fatalf("opened %d, repeated %d", opened.Load(), repeated.Load())
		}
		var n, esc, repeats int
		_ = st.R.QueryRow(`SELECT count(*), max(repeats) FROM alerts`).Scan(&n, &repeats)
		_ = st.R.QueryRow(`SELECT count(*) FROM alert_escalations`).Scan(&esc)
		if n != 1 || esc != 1 || repeats != 999 {
			t.Fatalf("%d alerts, %d escalations, %d repeats", n, esc, repeats)
		}
		e.run()
		e.run()
		e.wantNumbers(sato)
	})
}

// TestOutcomesMoveOn: busy, an answer without a key (voicemail), key 3
// and an undeliverable number all move on to the next person.
func TestOutcomesMoveOn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		e.system("XYZ", 1, nil,
			alerts.Contact{Name: "Busy", Phone: sato},
			alerts.Contact{Name: "Voicemail", Phone: suzuki},
			alerts.Contact{Name: "Three", Phone: tanaka},
			alerts.Contact{Name: "UK", Phone: "+447700900123"},
			alerts.Contact{Name: "Last", Phone: "+819055550005"})
		e.cn.Script(sato, fake.Busy())
		e.cn.Script(suzuki, fake.AnswerNoKey())
		e.cn.Script(tanaka, fake.Answer("3"))
		e.cn.Script("+819055550005", fake.Answer("1"))
		id := e.open("XYZ", "x")
		e.run()
		e.advance(10 * time.Minute)
		e.wantNumbers(sato, suzuki, tanaka, "+819055550005")
		calls := e.calls(id)
		want := []struct{ outcome, state string }{
			{alerts.OutcomeBusy, alerts.CallEnded},
			{alerts.OutcomeVoicemail, alerts.CallEnded},
			{alerts.OutcomeNext, alerts.CallEnded},
			{alerts.OutcomeFailed, alerts.CallFailed},
			{alerts.OutcomeAcknowledged, alerts.CallEnded},
		}
		if len(calls) != len(want) {
			t.Fatalf("%d calls", len(calls))
		}
		for i, w := range want {
			if calls[i].Outcome != w.outcome || calls[i].State != w.state {
				t.Errorf("call %d (%s): %s/%s, want %s/%s (%s)", i, calls[i].Callee, calls[i].Outcome, calls[i].State, w.outcome, w.state, calls[i].Error)
			}
		}
		if calls[1].Key != "" || calls[1].AnsweredAt.IsZero() || calls[0].DisconnectReason != fake.ReasonBusy || calls[3].Error == "" {
			t.Errorf("details: %+v / %+v / %+v", calls[0], calls[1], calls[3])
		}
		if a := e.alert(id); a.Status != alerts.StatusAcknowledged || a.AckedBy != "Last (phone)" {
			t.Errorf("alert %s by %s", a.Status, a.AckedBy)
		}
	})
}

// TestHoursAndThrottle: a person outside their hours is skipped, and a
// number that was called as often as per_number_max_calls_per_hour allows
// is skipped until the hour has passed.
func TestHoursAndThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{opts: func(o *alerts.Options) { o.PerNumberPerHour = 2 }})
		// epoch is Friday 12:00 in Tokyo; Suzuki takes calls on weekends only.
		e.system("XYZ", 3, nil,
			alerts.Contact{Name: "Sato", Phone: sato},
			alerts.Contact{Name: "Suzuki", Phone: suzuki, Hours: "Sat-Sun"})
		id := e.open("XYZ", "x")
		e.run()
		e.advance(10 * time.Minute)
		// Round 1 and 2 call Sato; round 3 would be his third call in an hour.
		e.wantNumbers(sato, sato)
		a := e.alert(id)
		if a.Status != alerts.StatusUnacknowledged {
			t.Fatalf("status %s", a.Status)
		}
		es, _ := e.svc.Timeline(e.ctx, id)
		var hoursSkips, throttled int
		for _, x := range es {
			if x.Kind == alerts.KindSkipped && x.Actor == "Suzuki" {
				hoursSkips++
			}
			if x.Kind == alerts.KindSkipped && x.Actor == "Sato" {
				throttled++
			}
		}
		if hoursSkips != 3 || throttled != 1 {
			t.Errorf("skips: hours %d, throttle %d: %v", hoursSkips, throttled, e.timeline(id))
		}
		// An hour later Sato may be called again.
		e.advance(time.Hour)
		e.open("XYZ", "y")
		e.run()
		e.wantNumbers(sato, sato, sato)
	})
}

// TestConcurrentCallLimit: with max_concurrent_calls 2, five alerts at
// once never have more than two calls going; the others wait their turn
// and are called as lines free up.
func TestConcurrentCallLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{opts: func(o *alerts.Options) { o.MaxConcurrentCalls = 2 }})
		e.cn.SetDefault(fake.Answer("1"))
		e.system("XYZ", 1, nil, alerts.Contact{Name: "Sato", Phone: sato})
		var ids []int64
		for i := range 5 {
			ids = append(ids, e.open("XYZ", fmt.Sprint("k", i)))
		}
		e.run()
		if n := len(e.cn.Calls()); n != 2 {
			t.Fatalf("%d calls at once, want 2", n)
		}
		e.advance(5 * time.Minute)
		if n := len(e.cn.Calls()); n != 5 {
			t.Fatalf("%d calls in all, want 5", n)
		}
		if m := e.cn.MaxActive(); m != 2 {
			for _, c := range e.cn.Calls() {
				t.Logf("call %s alert %s at %s", c.ContactID, c.Attributes["alert_id"], c.At.Sub(epoch))
			}
			t.Errorf("at most %d calls were active, want 2", m)
		}
		for _, id := range ids {
			if a := e.alert(id); a.Status != alerts.StatusAcknowledged {
				t.Errorf("alert %d: %s", id, a.Status)
			}
		}
	})
}

// TestContactEventShortCutsPoll: a contact event makes the engine read the
// call at once instead of at the next 30 s poll.
func TestContactEventShortCutsPoll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		e.threePeople()
		e.cn.Script(sato, fake.Answer("1"))
		id := e.open("XYZ", "x")
		e.run()
		e.advance(30 * time.Second)
		e.clk.Advance(15 * time.Second) // +45 s: hung up at +43 s; next poll due at +60 s
		contact := e.cn.Calls()[0].ContactID
		call, polled, err := e.svc.PollNow(e.ctx, contact)
		if err != nil || !polled || call == nil || call.AlertID != id {
			t.Fatalf("PollNow: %+v %v %v", call, polled, err)
		}
		a := e.alert(id)
		if a.Status != alerts.StatusAcknowledged || !a.AckedAt.Equal(epoch.Add(45*time.Second)) {
			t.Fatalf("%s at %s", a.Status, a.AckedAt)
		}
		if _, polled, _ := e.svc.PollNow(e.ctx, contact); polled {
			t.Error("a second event polled again")
		}
		if call, _, _ := e.svc.PollNow(e.ctx, "not-ours"); call != nil {
			t.Error("an unknown contact matched a call")
		}
	})
}

// gate holds StartOutboundVoiceContact requests on their way to Connect
// until the test lets them go.
type gate struct {
	next    http.RoundTripper
	arrived chan struct{}
	release chan struct{}
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && r.URL.Path == "/contact/outbound-voice" {
		select {
		case g.arrived <- struct{}{}:
		default:
		}
		<-g.release
	}
	return g.next.RoundTrip(r)
}

// TestNoCallAfterAck: an acknowledgement that comes while a call is being
// placed waits for the placement, so the call is never placed after the
// ack is committed — and is hung up at once. An ack committed first means
// no call at all.
func TestNoCallAfterAck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		g := &gate{next: http.DefaultTransport, arrived: make(chan struct{}, 1), release: make(chan struct{})}
		e := newEnv(t, st, envOpt{client: &http.Client{Transport: g}})
		e.cn.SetDefault(fake.Hold())
		e.threePeople()
		var mu sync.Mutex
		var order []string
		e.cn.OnCall(func(c fake.ConnectCall) {
			mu.Lock()
			order = append(order, "call "+c.Attributes["alert_id"])
			mu.Unlock()
		})
		id := e.open("XYZ", "race")
		ran := make(chan error, 1)
		go func() { ran <- e.svc.RunDue(e.ctx, true) }()
		<-g.arrived // the placement has seen the alert open, under its lock
		acked := make(chan error, 1)
		go func() {
			_, _, err := e.svc.Ack(e.ctx, id, "Console user", "console")
			mu.Lock()
			order = append(order, "ack "+strconv.FormatInt(id, 10))
			mu.Unlock()
			acked <- err
		}()
		select {
		case err := <-acked:
			t.Fatalf("the ack committed while a call was being placed (%v)", err)
		case <-time.After(300 * time.Millisecond):
		}
		if a := e.alert(id); a.Status != alerts.StatusOpen {
			t.Fatalf("status %s before the placement finished", a.Status)
		}
		close(g.release)
		if err := <-acked; err != nil {
			t.Fatal(err)
		}
		if err := <-ran; err != nil {
			t.Fatal(err)
		}
		want := []string{"call " + strconv.FormatInt(id, 10), "ack " + strconv.FormatInt(id, 10)}
		if !slices.Equal(order, want) {
			t.Fatalf("order %v, want %v", order, want)
		}
		c, _ := e.cn.Contact(e.cn.Calls()[0].ContactID)
		if !c.Stopped {
			t.Error("the call placed just before the ack was not hung up")
		}
		e.advance(10 * time.Minute)
		e.wantNumbers(sato)

		// Acked before the engine gets to it: no call at all.
		id2 := e.open("XYZ", "race2")
		if _, _, err := e.svc.Ack(e.ctx, id2, "Console user", "console"); err != nil {
			t.Fatal(err)
		}
		e.run()
		e.advance(5 * time.Minute)
		e.wantNumbers(sato)
		if cs := e.calls(id2); len(cs) != 0 {
			t.Fatalf("calls after the ack: %+v", cs)
		}

		if st.Engine != store.Postgres {
			return // an SQLite database belongs to one process
		}
		// Another replica (a second service on the same database, with
		// locks of its own) acknowledges while this one places a call:
		// it waits for the request, through the intent in the database.
		other := alerts.New(st, alerts.Options{Caller: e.svc.Options().Caller, Now: e.clk.Now, Location: tokyo})
		id3 := e.open("XYZ", "race3")
		ran = make(chan error, 1)
		g.release = make(chan struct{})
		go func() { ran <- e.svc.RunDue(e.ctx, true) }()
		<-g.arrived
		acked = make(chan error, 1)
		go func() {
			_, _, err := other.Ack(e.ctx, id3, "Replica user", "api")
			mu.Lock()
			order = append(order, "ack "+strconv.FormatInt(id3, 10))
			mu.Unlock()
			acked <- err
		}()
		select {
		case err := <-acked:
			t.Fatalf("the other replica's ack committed while a call was being placed (%v)", err)
		case <-time.After(300 * time.Millisecond):
		}
		close(g.release)
		if err := <-acked; err != nil {
			t.Fatal(err)
		}
		if err := <-ran; err != nil {
			t.Fatal(err)
		}
		if want := "call " + strconv.FormatInt(id3, 10); order[len(order)-2] != want {
			t.Fatalf("order %v", order)
		}
		if c, _ := e.cn.Contact(e.cn.Calls()[1].ContactID); !c.Stopped {
			t.Error("the other replica did not hang up the call placed before its ack")
		}
	})
}

// crashAfterStart places the call and then ends the goroutine, as if the
// process died after Connect took the request and before opsdesk
// recorded the answer.
type crashAfterStart struct {
	alerts.Caller
	crashed atomic.Bool
}

func (c *crashAfterStart) StartCall(ctx context.Context, call connect.Call) (string, error) {
	id, err := c.Caller.StartCall(ctx, call)
	if err == nil && c.crashed.CompareAndSwap(false, true) {
		runtimeGoexit()
	}
	return id, err
}

// TestRestartAfterCrashDuringPlacement: a process dies right after Connect
// accepted a call. The next process (a restart, or another replica once the
// claim's lease is over) runs the step again with the same ClientToken:
// Connect answers with the first call's contact id and nobody is called
// twice; the escalation then goes on from that call.
func TestRestartAfterCrashDuringPlacement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		crash := &crashAfterStart{}
		e := newEnv(t, st, envOpt{caller: func(c alerts.Caller) alerts.Caller { crash.Caller = c; return crash }})
		e.threePeople()
		e.cn.Script(suzuki, fake.Answer("1"))
		id := e.open("XYZ", "crash")
		e.run()
		if !crash.crashed.Load() || len(e.cn.Calls()) != 1 {
			t.Fatalf("crashed %v, %d calls", crash.crashed.Load(), len(e.cn.Calls()))
		}
		esc, err := e.svc.EscalationOf(e.ctx, id)
		if err != nil || esc.State != "place" || esc.ClaimedUntil.IsZero() {
			t.Fatalf("after the crash: %+v %v", esc, err)
		}
		// A new process on the same database, same Connect.
		e2 := newEnv(t, st, envOpt{})
		e2.cn = e.cn
		e2.svc = alerts.New(st, alerts.Options{Caller: crash.Caller, Now: e.clk.Now, Location: tokyo, PollInterval: 30 * time.Second})
		e2.svc.SetQueue(e.queue)
		if st.Engine == store.SQLite {
			if n, err := e2.svc.ReleaseClaims(e.ctx); err != nil || n != 1 {
				t.Fatalf("released %d claims: %v", n, err)
			}
		} else {
			e.clk.Advance(31 * time.Second) // another replica waits for the lease
		}
		e2.run()
		if got := e.cn.OpCount("StartOutboundVoiceContact"); got != 2 {
			t.Errorf("%d StartOutboundVoiceContact requests, want 2 (the second one repeated)", got)
		}
		calls := e2.calls(id)
		if len(calls) != 1 || calls[0].ContactID != e.cn.Calls()[0].ContactID || calls[0].State == alerts.CallPlacing {
			t.Fatalf("calls %+v", calls)
		}
		for range 6 {
			e.clk.Advance(30 * time.Second)
			e2.run()
		}
		e.wantNumbers(sato, suzuki)
		if a := e2.alert(id); a.Status != alerts.StatusAcknowledged {
			t.Fatalf("status %s", a.Status)
		}
	})
}

// TestPlacementRetries: throttling and 5xx answers are tried again with
// the same token; a permanent refusal moves on.
func TestPlacementRetries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		e.threePeople()
		e.cn.FailOp("StartOutboundVoiceContact", 3, "ThrottlingException") // the SDK's own 3 attempts
		id := e.open("XYZ", "x")
		e.run()
		if len(e.cn.Calls()) != 0 {
			t.Fatal("placed while throttled")
		}
		calls := e.calls(id)
		if len(calls) != 1 || calls[0].State != alerts.CallPlacing || calls[0].Error == "" {
			t.Fatalf("calls %+v", calls)
		}
		e.advance(30 * time.Second)
		e.wantNumbers(sato)
		if calls := e.calls(id); calls[0].State != alerts.CallRinging || calls[0].Error != "" {
			t.Fatalf("after retry: %+v", calls[0])
		}
	})
}

// TestAckAndResolveByHand: Ack and Resolve from the console or API stop
// the escalation and hang up; a second ack changes nothing; a resolved
// alert cannot be acknowledged.
func TestAckAndResolveByHand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		e.threePeople()
		e.cn.SetDefault(fake.Hold())
		id := e.open("XYZ", "x")
		e.run()
		e.advance(30 * time.Second)
		a, changed, err := e.svc.Ack(e.ctx, id, "admin", "console")
		if err != nil || !changed || a.Status != alerts.StatusAcknowledged || a.AckedBy != "admin (console)" {
			t.Fatalf("ack: %+v %v %v", a, changed, err)
		}
		if _, changed, _ := e.svc.Ack(e.ctx, id, "someone", "chat"); changed {
			t.Error("second ack changed the alert")
		}
		calls := e.calls(id)
		if calls[0].Outcome != alerts.OutcomeStopped || calls[0].DisconnectReason != fake.ReasonOther || calls[0].AnsweredAt.IsZero() {
			t.Errorf("call %+v", calls[0])
		}
		if _, _, err := e.svc.Resolve(e.ctx, id, "admin", "api"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Ack(e.ctx, id, "admin", "api"); !errors.Is(err, alerts.ErrNotActive) {
			t.Errorf("ack of resolved: %v", err)
		}
		if _, _, err := e.svc.Ack(e.ctx, 9999, "admin", "api"); !errors.Is(err, alerts.ErrNotFound) {
			t.Errorf("ack of unknown: %v", err)
		}
		e.advance(5 * time.Minute)
		e.wantNumbers(sato)
	})
}

// TestNoPhonesOrNoList: without Connect, or for a system without a call
// list, an alert gives up at once and its destinations are told; the
// default system's list covers systems that have none.
func TestNoPhonesOrNoList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{opts: func(o *alerts.Options) { o.DefaultSystem = "Fallback" }})
		e.system("Fallback", 1, nil, alerts.Contact{Name: "Sato", Phone: sato})
		id := e.open("Unlisted", "x")
		if a := e.alert(id); a.Policy != "Fallback" {
			t.Fatalf("policy %q", a.Policy)
		}
		e.run()
		e.wantNumbers(sato)

		e2 := newEnv(t, storetest.New(t, st.Engine), envOpt{opts: func(o *alerts.Options) { o.Caller = nil }})
		e2.threePeople()
		id2 := e2.open("XYZ", "x")
		e2.run()
		if a := e2.alert(id2); a.Status != alerts.StatusUnacknowledged {
			t.Fatalf("without Connect: %s", a.Status)
		}
		var pending int
		_ = e2.st.R.QueryRow(`SELECT count(*) FROM alert_notifications WHERE status = 'pending'`).Scan(&pending)
		if pending != 1 {
			t.Errorf("%d notifications", pending)
		}
		id3 := e2.open("NoSuchSystem", "x")
		e2.run()
		if a := e2.alert(id3); a.Status != alerts.StatusUnacknowledged || !hasEntry(e2.timeline(id3), "gave_up") {
			t.Fatalf("no call list: %s %v", a.Status, e2.timeline(id3))
		}
	})
}

// TestRepeatsWithinOneRequest: one request carrying the same alert several
// times, beside others and beside an alert of a quiet system, opens each
// alert once and counts the rest as repeats, in the request's order.
func TestRepeatsWithinOneRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		e.threePeople()
		if _, err := e.svc.StartQuiet(e.ctx, "QUIET", time.Hour, "test", "maintenance"); err != nil {
			t.Fatal(err)
		}
		res := e.ingest(firing("XYZ", "a"), firing("XYZ", "b"), firing("XYZ", "a"), firing("QUIET", "a"), firing("XYZ", "a"), firing("QUIET", "a"))
		type got struct {
			action  string
			repeats int
			status  string
		}
		var gots []got
		for _, r := range res {
			gots = append(gots, got{r.Action, r.Repeats, r.Status})
		}
		want := []got{
			{alerts.ActionOpened, 0, alerts.StatusOpen},
			{alerts.ActionOpened, 0, alerts.StatusOpen},
			{alerts.ActionRepeated, 1, alerts.StatusOpen},
			{alerts.ActionSuppressed, 0, alerts.StatusQuiet},
			{alerts.ActionRepeated, 2, alerts.StatusOpen},
			{alerts.ActionRepeated, 1, alerts.StatusQuiet},
		}
		if !slices.Equal(gots, want) {
			t.Fatalf("results %+v, want %+v", gots, want)
		}
		if res[0].AlertID != res[2].AlertID || res[0].AlertID != res[4].AlertID || res[0].AlertID == res[1].AlertID || res[3].AlertID != res[5].AlertID {
			t.Fatalf("alert ids %d %d %d %d %d %d", res[0].AlertID, res[1].AlertID, res[2].AlertID, res[3].AlertID, res[4].AlertID, res[5].AlertID)
		}
		var n, esc int
		_ = st.R.QueryRow(`SELECT count(*) FROM alerts`).Scan(&n)
		_ = st.R.QueryRow(`SELECT count(*) FROM alert_escalations`).Scan(&esc)
		if n != 3 || esc != 2 {
			t.Fatalf("%d alerts, %d escalations; want 3 and 2", n, esc)
		}
		if got := e.alert(res[0].AlertID).Repeats; got != 2 {
			t.Fatalf("alert a has %d repeats, want 2", got)
		}
		// 1,200 alerts in one request: more than one statement's worth.
		var many []parse.Signal
		for i := range 1200 {
			many = append(many, firing("XYZ", fmt.Sprintf("host-%d", i%1100)))
		}
		res = e.ingest(many...)
		opened, repeated := 0, 0
		for i, r := range res {
			switch {
			case r.Action == alerts.ActionOpened && i < 1100:
				opened++
			case r.Action == alerts.ActionRepeated && i >= 1100 && r.AlertID == res[i-1100].AlertID:
				repeated++
			}
		}
		if opened != 1100 || repeated != 100 {
			t.Fatalf("opened %d, repeated %d; want 1100 and 100", opened, repeated)
		}
	})
}
