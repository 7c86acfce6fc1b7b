package alerts_test

import (
	"errors"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestEscalateNow: during the wait between calls, EscalateNow calls the
// next person at once and says so on the timeline; it refuses alerts whose
// escalation is over.
func TestEscalateNow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		err := e.svc.SaveSystem(e.ctx, alerts.System{Name: "XYZ", Rounds: 1, Wait: 10 * time.Minute, Contacts: []alerts.Contact{
			{Name: "Sato", Phone: sato}, {Name: "Suzuki", Phone: suzuki},
		}}, "test", alerts.OriginConsole, func(string) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		id := e.open("XYZ", "db1")
		e.run()
		e.advance(2 * time.Minute) // Sato rings out; Suzuki is due in 10 minutes
		e.wantNumbers(sato)
		esc, err := e.svc.EscalationOf(e.ctx, id)
		if err != nil || !esc.NextAt.After(e.clk.Now()) {
			t.Fatalf("escalation %+v, %v: want one waiting", esc, err)
		}
		changed, err := e.svc.EscalateNow(e.ctx, id, "Sato", "SMS link")
		if err != nil || !changed {
			t.Fatalf("EscalateNow: %v, %v", changed, err)
		}
		e.run()
		e.wantNumbers(sato, suzuki)
		if tl := e.timeline(id); !hasEntry(tl, "escalated:Sato (SMS link)") {
			t.Fatalf("timeline %v", tl)
		}

		if _, _, err := e.svc.Ack(e.ctx, id, "Suzuki", "console"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.EscalateNow(e.ctx, id, "Sato", "SMS link"); !errors.Is(err, alerts.ErrNotEscalating) {
			t.Fatalf("acknowledged: %v", err)
		}
		if _, _, err := e.svc.Resolve(e.ctx, id, "Suzuki", "console"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.EscalateNow(e.ctx, id, "Sato", "SMS link"); !errors.Is(err, alerts.ErrNotActive) {
			t.Fatalf("resolved: %v", err)
		}
		if _, err := e.svc.EscalateNow(e.ctx, id+1000, "Sato", "SMS link"); !errors.Is(err, alerts.ErrNotFound) {
			t.Fatalf("unknown alert: %v", err)
		}
	})
}
