package alerts_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestSeedSystems: call lists from the config file are created and
// follow the file until someone edits them in the console; lists that
// left the file are removed unless they were edited.
func TestSeedSystems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		all := func(string) bool { return true }
		cfg := []config.AlertSystem{
			{Name: "XYZ", Contacts: []config.AlertContact{{Name: "Sato", Phone: sato, Language: "ja"}}},
			{Name: "Old", Contacts: []config.AlertContact{{Name: "Kim", Phone: suzuki}}, Rounds: 2, QuietPeriod: config.Duration(time.Hour)},
			{Name: "Edited", Contacts: []config.AlertContact{{Name: "Li", Phone: tanaka}}},
		}
		if kept, err := e.svc.SeedSystems(e.ctx, cfg, all); err != nil || len(kept) != 0 {
			t.Fatalf("seed: %v %v", kept, err)
		}
		x, err := e.svc.System(e.ctx, "XYZ")
		if err != nil || x.Origin != alerts.OriginConfig || x.Rounds != 3 || x.Quiet != 12*time.Hour || x.Contacts[0].Language != "ja-JP" {
			t.Fatalf("XYZ %+v %v", x, err)
		}
		// Someone edits "Edited" in the console.
		if err := e.svc.SaveSystem(e.ctx, alerts.System{Name: "Edited", Contacts: []alerts.Contact{{Name: "Wang", Phone: tanaka}}}, "admin", alerts.OriginConsole, all); err != nil {
			t.Fatal(err)
		}
		// The file changes: XYZ gets a second person, Old and Edited leave it, New arrives.
		cfg = []config.AlertSystem{
			{Name: "XYZ", Contacts: []config.AlertContact{{Name: "Sato", Phone: sato}, {Name: "Suzuki", Phone: suzuki}}},
			{Name: "New", Contacts: []config.AlertContact{{Name: "Park", Phone: tanaka}}},
		}
		if _, err := e.svc.SeedSystems(e.ctx, cfg, all); err != nil {
			t.Fatal(err)
		}
		systems, err := e.svc.Systems(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range systems {
			names = append(names, s.Name)
		}
		if !slices.Equal(names, []string{"Edited", "New", "XYZ"}) {
			t.Fatalf("systems %v", names)
		}
		if x, _ := e.svc.System(e.ctx, "XYZ"); len(x.Contacts) != 2 {
			t.Errorf("XYZ did not follow the file: %+v", x.Contacts)
		}
		// The console's version of Edited stays, even when the file names it again.
		cfg = append(cfg, config.AlertSystem{Name: "Edited", Contacts: []config.AlertContact{{Name: "Li", Phone: tanaka}}})
		kept, err := e.svc.SeedSystems(e.ctx, cfg, all)
		if err != nil || !slices.Equal(kept, []string{"Edited"}) {
			t.Fatalf("kept %v %v", kept, err)
		}
		if ed, _ := e.svc.System(e.ctx, "Edited"); ed.Contacts[0].Name != "Wang" || ed.Origin != alerts.OriginConsole || ed.UpdatedBy != "admin" {
			t.Errorf("Edited %+v", ed)
		}
	})
}

// TestCheckSystem: what the console submits is checked field by field.
func TestCheckSystem(t *testing.T) {
	t.Parallel()
	dests := func(n string) bool { return n == "ops-chat" }
	cases := []struct {
		sys   alerts.System
		field string
	}{
		{alerts.System{Name: ""}, "name"},
		{alerts.System{Name: "A", Contacts: []alerts.Contact{{Name: "x", Phone: sato}, {Name: "y", Phone: "12345"}}}, "contacts[1].phone"},
		{alerts.System{Name: "A", Contacts: []alerts.Contact{{Name: "x", Phone: sato, Hours: "someday"}}}, "contacts[0].hours"},
		{alerts.System{Name: "A", Contacts: []alerts.Contact{{Name: "x", Phone: sato, Language: "fr-FR"}}}, "contacts[0].language"},
		{alerts.System{Name: "A", Rounds: 99}, "rounds"},
		{alerts.System{Name: "A", Wait: 3 * time.Hour}, "wait_between_calls"},
		{alerts.System{Name: "A", Quiet: time.Second}, "quiet_period"},
		{alerts.System{Name: "A", Notify: []string{"nowhere"}}, "notify[0]"},
	}
	for _, c := range cases {
		err := alerts.CheckSystem(&c.sys, dests)
		var ve *alerts.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%+v: %v, want field %s", c.sys, err, c.field)
		}
	}
	ok := alerts.System{Name: "A", Contacts: []alerts.Contact{{Name: "x", Phone: sato, Language: "KO", Hours: " Mon-Fri "}}, Notify: []string{"ops-chat"}}
	if err := alerts.CheckSystem(&ok, dests); err != nil || ok.Rounds != 3 || ok.Quiet != 12*time.Hour || ok.Contacts[0].Language != "ko-KR" || ok.Contacts[0].Hours != "Mon-Fri" {
		t.Errorf("%+v %v", ok, err)
	}
}
