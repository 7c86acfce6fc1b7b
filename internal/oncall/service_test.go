package oncall_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/oncall"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// clock is the controllable clock of the tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func loc(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := oncall.ParseZone(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newService(t *testing.T, st *store.Store) (*oncall.Service, *clock) {
	c := &clock{t: time.Date(2026, 2, 24, 3, 0, 0, 0, time.UTC)}
	return oncall.New(st, oncall.Options{Now: c.Now}), c
}

// platform is a weekly Tokyo rotation under a New York business-hours layer.
func platform(t testing.TB) *oncall.Schedule {
	tokyo, ny := loc(t, "Asia/Tokyo"), loc(t, "America/New_York")
	return &oncall.Schedule{
		Name: "platform", TimeZone: tokyo,
		Layers: []oncall.Layer{
			{Name: "weekly", Participants: []string{"sato", "suzuki", "lee"}, Shift: oncall.ShiftLength{Unit: oncall.Weeks, Count: 1},
				HandOff: time.Date(2026, 1, 5, 9, 0, 0, 0, tokyo)},
			{Name: "us-days", Participants: []string{"miller", "jones"}, Shift: oncall.ShiftLength{Unit: oncall.Days, Count: 1},
				HandOff: time.Date(2026, 1, 5, 9, 0, 0, 0, ny), Priority: 10, TimeZone: ny,
				Restrictions: []oncall.Restriction{{Weekdays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, From: oncall.At(9, 0), To: oncall.At(18, 0)}}},
		},
	}
}

// describe prints a schedule's content so that two schedules compare as text.
func describe(s *oncall.Schedule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %v\n", s.Name, s.TimeZone)
	for _, l := range s.Layers {
		z := "-"
		if l.TimeZone != nil {
			z = l.TimeZone.String()
		}
		fmt.Fprintf(&b, "layer %s %v %s %s p%d %s %v\n", l.Name, l.Participants, l.Shift, l.HandOff.UTC().Format(time.RFC3339), l.Priority, z, l.Restrictions)
	}
	for _, o := range s.Overrides {
		fmt.Fprintf(&b, "override %s/%s %s %s\n", o.Who, o.Covers, o.Start.UTC().Format(time.RFC3339), o.End.UTC().Format(time.RFC3339))
	}
	return b.String()
}

func TestServiceSaveLoad(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _ := newService(t, st)
		in := platform(t)
		if err := svc.SaveSchedule(ctx, in, "admin"); err != nil {
			t.Fatal(err)
		}
		got, err := svc.Stored(ctx, "platform")
		if err != nil {
			t.Fatal(err)
		}
		if a, b := describe(in), describe(got.Schedule); a != b {
			t.Fatalf("round trip:\n%s\nwant\n%s", b, a)
		}
		if got.Origin != oncall.OriginConsole || got.UpdatedBy != "admin" {
			t.Errorf("origin %q by %q", got.Origin, got.UpdatedBy)
		}
		// The loaded schedule answers as the saved one, every hour of a month.
		for at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC); at.Before(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)); at = at.Add(time.Hour) {
			w1, l1, u1 := oncall.OnCall(in, at)
			w2, l2, u2 := oncall.OnCall(got.Schedule, at)
			if w1 != w2 || l1 != l2 || !u1.Equal(u2) {
				t.Fatalf("at %s: loaded says %s/%s until %s, saved %s/%s until %s", at, w2, l2, u2, w1, l1, u1)
			}
		}
		// Saving again replaces the layers.
		in.Layers = in.Layers[:1]
		in.Layers[0].Participants = []string{"kim"}
		if err := svc.SaveSchedule(ctx, in, "admin"); err != nil {
			t.Fatal(err)
		}
		if who, err := svc.OnCallAt(ctx, "platform", time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)); err != nil || who != "kim" {
			t.Fatalf("after the edit: %q, %v", who, err)
		}
		if _, err := svc.OnCallAt(ctx, "nope", time.Now()); !errors.Is(err, oncall.ErrNotFound) {
			t.Fatalf("unknown schedule: %v", err)
		}
		if err := svc.DeleteSchedule(ctx, "platform"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Schedule(ctx, "platform"); !errors.Is(err, oncall.ErrNotFound) {
			t.Fatalf("deleted: %v", err)
		}
		if err := svc.DeleteSchedule(ctx, "platform"); !errors.Is(err, oncall.ErrNotFound) {
			t.Fatalf("deleted twice: %v", err)
		}
	})
}

func TestServiceValidationNamesField(t *testing.T) {
	t.Parallel()
	st := storetest.New(t, store.SQLite)
	svc, _ := newService(t, st)
	ctx := context.Background()
	for _, tc := range []struct {
		edit  func(s *oncall.Schedule)
		field string
	}{
		{func(s *oncall.Schedule) { s.Name = "bad name" }, "name"},
		{func(s *oncall.Schedule) { s.TimeZone = nil }, "time_zone"},
		{func(s *oncall.Schedule) { s.Layers[1].Shift.Count = 0 }, "layers[1].shift.count"},
		{func(s *oncall.Schedule) { s.Layers[0].Participants = nil }, "layers[0].participants"},
		{func(s *oncall.Schedule) { s.Layers[1].Restrictions[0].To = oncall.At(8, 0) }, "layers[1].restrictions[0].to"},
		{func(s *oncall.Schedule) { s.Layers[1].Name = "weekly" }, "layers[1].name"},
	} {
		s := platform(t)
		tc.edit(s)
		err := svc.SaveSchedule(ctx, s, "admin")
		var ve *oncall.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("want a validation error of %s, got %v", tc.field, err)
		}
	}
	if all, err := svc.Schedules(ctx); err != nil || len(all) != 0 {
		t.Fatalf("nothing invalid is saved: %d, %v", len(all), err)
	}
}

func TestServiceOverrides(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _ := newService(t, st)
		if err := svc.SaveSchedule(ctx, platform(t), "admin"); err != nil {
			t.Fatal(err)
		}
		tokyo := loc(t, "Asia/Tokyo")
		// Week 7 from 2026-01-05 (2026-02-23 to 03-02) is suzuki's; at 12:00 Tokyo no US layer.
		noon := time.Date(2026, 2, 24, 12, 0, 0, 0, tokyo)
		if who, _ := svc.OnCallAt(ctx, "platform", noon); who != "suzuki" {
			t.Fatalf("before the override: %q", who)
		}
		id, err := svc.AddOverride(ctx, "platform", oncall.Override{Who: "lee", Covers: "suzuki",
			Start: time.Date(2026, 2, 24, 9, 0, 0, 0, tokyo), End: time.Date(2026, 2, 25, 9, 0, 0, 0, tokyo)}, "dentist", "sato")
		if err != nil {
			t.Fatal(err)
		}
		if who, _ := svc.OnCallAt(ctx, "platform", noon); who != "lee" {
			t.Fatalf("with the override: %q", who)
		}
		// A later override wins where they overlap.
		if _, err := svc.AddOverride(ctx, "platform", oncall.Override{Who: "dave", Covers: "lee",
			Start: time.Date(2026, 2, 24, 11, 0, 0, 0, tokyo), End: time.Date(2026, 2, 24, 13, 0, 0, 0, tokyo)}, "", "sato"); err != nil {
			t.Fatal(err)
		}
		if who, _ := svc.OnCallAt(ctx, "platform", noon); who != "dave" {
			t.Fatalf("with two overrides: %q", who)
		}
		got, err := svc.Stored(ctx, "platform")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Overrides) != 2 || got.Overrides[0].ID != id || got.Overrides[0].Note != "dentist" || got.Overrides[0].CreatedBy != "sato" {
			t.Fatalf("overrides: %+v", got.Overrides)
		}
		if err := svc.DeleteOverride(ctx, "platform", id); err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteOverride(ctx, "platform", id); !errors.Is(err, oncall.ErrNotFound) {
			t.Fatalf("deleted twice: %v", err)
		}
		// dave covers lee, who is no longer on call: suzuki again.
		if who, _ := svc.OnCallAt(ctx, "platform", noon); who != "suzuki" {
			t.Fatalf("after the delete: %q", who)
		}
		// Saving the rotation keeps the overrides (Overrides nil).
		if err := svc.SaveSchedule(ctx, platform(t), "admin"); err != nil {
			t.Fatal(err)
		}
		if got, _ := svc.Stored(ctx, "platform"); len(got.Overrides) != 1 {
			t.Fatalf("overrides after saving the rotation: %d", len(got.Overrides))
		}
		for _, tc := range []struct {
			o     oncall.Override
			field string
		}{
			{oncall.Override{Start: noon, End: noon.Add(time.Hour)}, "who"},
			{oncall.Override{Who: "a", Covers: "a", Start: noon, End: noon.Add(time.Hour)}, "covers"},
			{oncall.Override{Who: "a", End: noon}, "start"},
			{oncall.Override{Who: "a", Start: noon, End: noon}, "end"},
		} {
			var ve *oncall.ValidationError
			if _, err := svc.AddOverride(ctx, "platform", tc.o, "", "x"); !errors.As(err, &ve) || ve.Field != tc.field {
				t.Errorf("want %s, got %v", tc.field, err)
			}
		}
		if _, err := svc.AddOverride(ctx, "nope", oncall.Override{Who: "a", Start: noon, End: noon.Add(time.Hour)}, "", "x"); !errors.Is(err, oncall.ErrNotFound) {
			t.Fatalf("unknown schedule: %v", err)
		}
	})
}

func TestServiceSeed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _ := newService(t, st)
		tokyo := loc(t, "Asia/Tokyo")
		fromFile := func(who string) []*oncall.Schedule {
			a := platform(t)
			a.Overrides = []oncall.Override{{Who: "lee", Covers: "suzuki", Start: time.Date(2026, 2, 24, 9, 0, 0, 0, tokyo), End: time.Date(2026, 2, 25, 9, 0, 0, 0, tokyo)}}
			b := platform(t)
			b.Name = "db"
			b.Layers = b.Layers[:1]
			b.Layers[0].Participants = []string{who}
			return []*oncall.Schedule{a, b}
		}
		if kept, err := svc.SeedSchedules(ctx, fromFile("ann")); err != nil || len(kept) != 0 {
			t.Fatalf("seed: %v %v", kept, err)
		}
		all, err := svc.List(ctx)
		if err != nil || len(all) != 2 || all[0].Schedule.Name != "db" || all[0].Origin != oncall.OriginConfig {
			t.Fatalf("seeded: %v %+v", err, all)
		}
		noon := time.Date(2026, 2, 24, 12, 0, 0, 0, tokyo)
		// A console override on a schedule of the file survives seeding; the file's own is
		// not duplicated.
		if _, err := svc.AddOverride(ctx, "platform", oncall.Override{Who: "kim", Start: noon, End: noon.Add(time.Hour)}, "", "sato"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SeedSchedules(ctx, fromFile("ann")); err != nil {
			t.Fatal(err)
		}
		if p, _ := svc.Stored(ctx, "platform"); len(p.Overrides) != 2 || p.Overrides[0].CreatedBy != oncall.ByConfig || p.Overrides[1].Who != "kim" {
			t.Fatalf("overrides after reseeding: %+v", p.Overrides)
		}
		// The file changes db: the row follows.
		if _, err := svc.SeedSchedules(ctx, fromFile("bob")); err != nil {
			t.Fatal(err)
		}
		if who, _ := svc.OnCallAt(ctx, "db", noon); who != "bob" {
			t.Fatalf("db follows the file: %q", who)
		}
		// Edited in the console: the file no longer applies.
		edited := fromFile("carol")[1]
		if err := svc.SaveSchedule(ctx, edited, "admin"); err != nil {
			t.Fatal(err)
		}
		kept, err := svc.SeedSchedules(ctx, fromFile("dan"))
		if err != nil || len(kept) != 1 || kept[0] != "db" {
			t.Fatalf("kept: %v %v", kept, err)
		}
		if who, _ := svc.OnCallAt(ctx, "db", noon); who != "carol" {
			t.Fatalf("console edit kept: %q", who)
		}
		// Removed from the file: the config row goes, the console one stays.
		if _, err := svc.SeedSchedules(ctx, nil); err != nil {
			t.Fatal(err)
		}
		all, _ = svc.List(ctx)
		if len(all) != 1 || all[0].Schedule.Name != "db" {
			t.Fatalf("after removing both from the file: %d", len(all))
		}
	})
}

// TestServiceZones checks hand-offs through the database: daily 09:00 rotations across the
// daylight-saving changes of New York and London, and 09:00 hand-offs in Tokyo, Shanghai and
// Seoul.
func TestServiceZones(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _ := newService(t, st)
		for _, tc := range []struct {
			zone string
			days []time.Time // local dates around a change (or any days): hand-off at 09:00 each
		}{
			{"America/New_York", []time.Time{date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9), date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 2)}},
			{"Europe/London", []time.Time{date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30), date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)}},
			{"Asia/Tokyo", []time.Time{date(2026, 3, 8), date(2026, 3, 9)}},
			{"Asia/Shanghai", []time.Time{date(2026, 3, 8), date(2026, 3, 9)}},
			{"Asia/Seoul", []time.Time{date(2026, 3, 8), date(2026, 3, 9)}},
		} {
			z := loc(t, tc.zone)
			name := strings.NewReplacer("/", "-", "_", "-").Replace(tc.zone)
			s := &oncall.Schedule{Name: name, TimeZone: z, Layers: []oncall.Layer{{
				Name: "daily", Participants: []string{"a", "b"}, Shift: oncall.ShiftLength{Unit: oncall.Days, Count: 1},
				HandOff: time.Date(2026, 1, 1, 9, 0, 0, 0, z)}}}
			if err := svc.SaveSchedule(ctx, s, "admin"); err != nil {
				t.Fatal(err)
			}
			for _, d := range tc.days {
				at := time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, z)
				// Days since 2026-01-01: even days are a's.
				n := int(d.Sub(date(2026, 1, 1)).Hours() / 24)
				want, before := "a", "b"
				if n%2 == 1 {
					want, before = "b", "a"
				}
				if who, err := svc.OnCallAt(ctx, name, at); err != nil || who != want {
					t.Errorf("%s %s 09:00: %q, want %q (%v)", tc.zone, d.Format("2006-01-02"), who, want, err)
				}
				if who, _ := svc.OnCallAt(ctx, name, at.Add(-time.Second)); who != before {
					t.Errorf("%s %s 08:59:59: %q, want %q", tc.zone, d.Format("2006-01-02"), who, before)
				}
				sc, _ := svc.Schedule(ctx, name)
				if _, _, until := oncall.OnCall(sc, at); until.In(z).Hour() != 9 || until.In(z).Day() != at.AddDate(0, 0, 1).Day() {
					t.Errorf("%s %s: until %s, want the next day's 09:00", tc.zone, d.Format("2006-01-02"), until)
				}
			}
		}
	})
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestServiceFeeds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _ := newService(t, st)
		if err := svc.SaveSchedule(ctx, platform(t), "admin"); err != nil {
			t.Fatal(err)
		}
		f, tok, err := svc.CreateFeed(ctx, "platform", "", "admin")
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) < 40 || strings.Contains(tok, "/") {
			t.Fatalf("token %q", tok)
		}
		var hashes int
		if err := st.R.QueryRow(st.Q(`SELECT count(*) FROM oncall_feeds WHERE token_hash = ?`), tok).Scan(&hashes); err != nil || hashes != 0 {
			t.Fatalf("the token itself is stored: %d %v", hashes, err)
		}
		got, err := svc.FeedByToken(ctx, tok)
		if err != nil || got.ID != f.ID || got.Schedule != "platform" {
			t.Fatalf("by token: %+v %v", got, err)
		}
		if _, err := svc.FeedByToken(ctx, tok+"x"); !errors.Is(err, oncall.ErrNotFound) {
			t.Fatalf("wrong token: %v", err)
		}
		uf, utok, err := svc.CreateFeed(ctx, "", "lee", "lee")
		if err != nil {
			t.Fatal(err)
		}
		cal, err := svc.FeedCalendar(ctx, uf)
		if err != nil {
			t.Fatal(err)
		}
		// lee's week is 03-02 to 03-09 (weeks from 01-05: sato, suzuki, lee), cut by the
		// New York business-hours layer into one event per stretch; the feed lists them
		// until 60 days after 2026-02-24.
		if len(cal.Events) == 0 || !cal.Events[0].Start.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("lee's feed: %+v", cal.Events)
		}
		for _, e := range cal.Events {
			if e.Who != "lee" || e.Summary != "On call: platform" {
				t.Fatalf("event %+v", e)
			}
		}
		if _, _, err := svc.CreateFeed(ctx, "nope", "", "admin"); !errors.Is(err, oncall.ErrNotFound) {
			t.Fatalf("feed of an unknown schedule: %v", err)
		}
		var ve *oncall.ValidationError
		if _, _, err := svc.CreateFeed(ctx, "platform", "lee", "admin"); !errors.As(err, &ve) || ve.Field != "user" {
			t.Fatalf("both: %v", err)
		}
		if err := svc.RevokeFeed(ctx, uf.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.FeedByToken(ctx, utok); !errors.Is(err, oncall.ErrNotFound) {
			t.Fatalf("revoked: %v", err)
		}
		if err := svc.RevokeFeed(ctx, uf.ID); !errors.Is(err, oncall.ErrNotFound) {
			t.Fatalf("revoked twice: %v", err)
		}
		if list, err := svc.Feeds(ctx, oncall.FeedFilter{}); err != nil || len(list) != 1 || list[0].ID != f.ID {
			t.Fatalf("feeds: %+v %v", list, err)
		}
	})
}

// TestServiceListSeesOtherReplicas: List keeps what it read while the
// tables are unchanged, and reads again when another replica (another
// Service on the same database) adds an override, edits a layer or removes
// a schedule.
func TestServiceListSeesOtherReplicas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, clk := newService(t, st)
		b := oncall.New(st, oncall.Options{Now: clk.Now})
		ctx := context.Background()
		if err := a.SaveSchedule(ctx, platform(t), "test"); err != nil {
			t.Fatal(err)
		}
		first, err := b.List(ctx)
		if err != nil || len(first) != 1 {
			t.Fatalf("%v %v", first, err)
		}
		again, _ := b.List(ctx)
		if again[0] != first[0] {
			t.Error("an unchanged table was read again")
		}
		tokyo := loc(t, "Asia/Tokyo")
		if _, err := a.AddOverride(ctx, "platform", oncall.Override{Who: "lee", Start: time.Date(2026, 3, 1, 9, 0, 0, 0, tokyo), End: time.Date(2026, 3, 2, 9, 0, 0, 0, tokyo)}, "", "test"); err != nil {
			t.Fatal(err)
		}
		got, _ := b.List(ctx)
		if n := len(got[0].Schedule.Overrides); n != 1 {
			t.Fatalf("the other replica sees %d overrides", n)
		}
		sc := platform(t)
		sc.Layers[0].Participants = []string{"kim", "lee"}
		clk.Set(clk.Now().Add(time.Second))
		if err := a.SaveSchedule(ctx, sc, "test"); err != nil {
			t.Fatal(err)
		}
		got, _ = b.List(ctx)
		if p := got[0].Schedule.Layers[0].Participants; len(p) != 2 || p[0] != "kim" {
			t.Fatalf("the other replica sees participants %v", p)
		}
		if err := a.DeleteSchedule(ctx, "platform"); err != nil {
			t.Fatal(err)
		}
		if got, _ = b.List(ctx); len(got) != 0 {
			t.Fatalf("the other replica still lists %d schedules", len(got))
		}
	})
}
