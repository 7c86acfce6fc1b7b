package oncall

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := ParseZone(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

var testZones = []string{"Asia/Tokyo", "Asia/Shanghai", "Asia/Seoul", "America/New_York", "Europe/London"}

func mustValid(t testing.TB, s *Schedule) *Schedule {
	t.Helper()
	if err := Validate(s); err != nil {
		t.Fatalf("schedule %q invalid: %v", s.Name, err)
	}
	return s
}

func local(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// A daily rotation handing off at 09:00 local hands off at 09:00 local every day of 2026,
// in every zone; the shift that contains a DST change is 23 or 25 hours long.
func TestDailyHandOffStaysLocal(t *testing.T) {
	people := []string{"aiko", "bo", "chen"}
	for _, zn := range testZones {
		t.Run(zn, func(t *testing.T) {
			loc := zone(t, zn)
			s := mustValid(t, &Schedule{Name: "daily", TimeZone: loc, Layers: []Layer{{
				Name: "primary", Participants: people, Shift: ShiftLength{Days, 1},
				HandOff: time.Date(2026, 1, 5, 9, 0, 0, 0, loc),
			}}})
			for i := 0; i < 365; i++ {
				at := time.Date(2026, 1, 5+i, 9, 0, 0, 0, loc)
				who, layer, until := OnCall(s, at)
				if who != people[i%3] || layer != "primary" {
					t.Fatalf("%s: got %q/%q, want %q", local(at, loc), who, layer, people[i%3])
				}
				next := time.Date(2026, 1, 6+i, 9, 0, 0, 0, loc)
				if !until.Equal(next) {
					t.Fatalf("%s: until %s, want %s", local(at, loc), local(until, loc), local(next, loc))
				}
				if i > 0 {
					if w, _, u := OnCall(s, at.Add(-time.Minute)); w != people[(i-1)%3] || !u.Equal(at) {
						t.Fatalf("%s minus 1 min: got %q until %s", local(at, loc), w, local(u, loc))
					}
				}
			}
		})
	}
	for _, c := range []struct {
		zone  string
		day   int // March or October/November 2026, the shift starting that day at 09:00
		month time.Month
		hours float64
	}{
		{"America/New_York", 7, time.March, 23}, {"America/New_York", 31, time.October, 25},
		{"America/New_York", 8, time.March, 24}, {"Europe/London", 28, time.March, 23},
		{"Europe/London", 24, time.October, 25}, {"Europe/London", 25, time.October, 24},
		{"Asia/Tokyo", 7, time.March, 24}, {"Asia/Seoul", 31, time.October, 24}, {"Asia/Shanghai", 28, time.March, 24},
	} {
		loc := zone(t, c.zone)
		s := &Schedule{Name: "d", TimeZone: loc, Layers: []Layer{{Name: "p", Participants: []string{"a", "b"},
			Shift: ShiftLength{Days, 1}, HandOff: time.Date(2026, 1, 1, 9, 0, 0, 0, loc)}}}
		start := time.Date(2026, c.month, c.day, 9, 0, 0, 0, loc)
		_, _, until := OnCall(s, start)
		if got := until.Sub(start).Hours(); got != c.hours {
			t.Errorf("%s shift from %s: %v hours, want %v", c.zone, local(start, loc), got, c.hours)
		}
	}
}

// A weekly rotation hands off on Monday 10:00 local all year; the weeks with a DST change
// are 167 and 169 hours long.
func TestWeeklyRotation(t *testing.T) {
	for _, zn := range []string{"Europe/London", "America/New_York", "Asia/Seoul"} {
		t.Run(zn, func(t *testing.T) {
			loc := zone(t, zn)
			people := []string{"ann", "ben", "cat"}
			s := mustValid(t, &Schedule{Name: "weekly", TimeZone: loc, Layers: []Layer{{
				Name: "week", Participants: people, Shift: ShiftLength{Weeks, 1},
				HandOff: time.Date(2026, 1, 5, 10, 0, 0, 0, loc), // a Monday
			}}})
			hours := map[float64]int{}
			for w := 0; w < 52; w++ {
				start := time.Date(2026, 1, 5+7*w, 10, 0, 0, 0, loc)
				if start.In(loc).Weekday() != time.Monday {
					t.Fatalf("test bug: %s", start)
				}
				who, _, until := OnCall(s, start.Add(3*24*time.Hour))
				if who != people[w%3] {
					t.Fatalf("week of %s: %q, want %q", local(start, loc), who, people[w%3])
				}
				next := time.Date(2026, 1, 12+7*w, 10, 0, 0, 0, loc)
				if !until.Equal(next) {
					t.Fatalf("week of %s: until %s, want %s", local(start, loc), local(until, loc), local(next, loc))
				}
				hours[next.Sub(start).Hours()]++
			}
			want := map[float64]int{168: 50, 167: 1, 169: 1}
			if zn == "Asia/Seoul" {
				want = map[float64]int{168: 52}
			}
			if fmt.Sprint(hours) != fmt.Sprint(want) {
				t.Errorf("week lengths %v, want %v", hours, want)
			}
		})
	}
}

func handOffs(s *Schedule, from, to time.Time, loc *time.Location) []string {
	var out []string
	for _, sh := range Shifts(s, from, to) {
		out = append(out, sh.Who+"@"+sh.Start.In(loc).Format("01-02 15:04 MST"))
	}
	return out
}

// Hours are real hours: a 12-hour rotation keeps 12-hour shifts through the DST night, so
// its hand-off times move by the hour the clocks moved (09:00/21:00 becomes 10:00/22:00 in
// spring and 08:00/20:00 in autumn) — and move back at the next change.
func TestTwelveHourShiftsAcrossDST(t *testing.T) {
	for _, c := range []struct {
		zone    string
		handOff [5]int // y m d h min
		want    []string
	}{
		{"America/New_York", [5]int{2026, 3, 7, 9, 0}, []string{"day@03-07 09:00 EST", "night@03-07 21:00 EST", "day@03-08 10:00 EDT", "night@03-08 22:00 EDT"}},
		{"America/New_York", [5]int{2026, 10, 31, 9, 0}, []string{"day@10-31 09:00 EDT", "night@10-31 21:00 EDT", "day@11-01 08:00 EST", "night@11-01 20:00 EST"}},
		{"Europe/London", [5]int{2026, 3, 28, 9, 0}, []string{"day@03-28 09:00 GMT", "night@03-28 21:00 GMT", "day@03-29 10:00 BST", "night@03-29 22:00 BST"}},
		{"Europe/London", [5]int{2026, 10, 24, 9, 0}, []string{"day@10-24 09:00 BST", "night@10-24 21:00 BST", "day@10-25 08:00 GMT", "night@10-25 20:00 GMT"}},
		{"Asia/Tokyo", [5]int{2026, 3, 7, 9, 0}, []string{"day@03-07 09:00 JST", "night@03-07 21:00 JST", "day@03-08 09:00 JST", "night@03-08 21:00 JST"}},
	} {
		loc := zone(t, c.zone)
		h := time.Date(c.handOff[0], time.Month(c.handOff[1]), c.handOff[2], c.handOff[3], c.handOff[4], 0, 0, loc)
		s := mustValid(t, &Schedule{Name: "12h", TimeZone: loc, Layers: []Layer{{
			Name: "halves", Participants: []string{"day", "night"}, Shift: ShiftLength{Hours, 12}, HandOff: h}}})
		got := handOffs(s, h, h.Add(48*time.Hour), loc)
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: hand-offs\n got %v\nwant %v", c.zone, got, c.want)
		}
		for _, sh := range Shifts(s, h, h.Add(48*time.Hour)) {
			if sh.End.Sub(sh.Start) != 12*time.Hour {
				t.Errorf("%s: shift %v is %v long", c.zone, sh, sh.End.Sub(sh.Start))
			}
		}
	}
}

// The documented recipe for hand-offs fixed at 09:00 and 21:00 local: a day layer limited
// to 09:00–21:00 over a night layer handing off daily at 21:00. The night through the
// change is then 11 or 13 hours long.
func TestFixedHalfDaysWithTwoLayers(t *testing.T) {
	loc := zone(t, "America/New_York")
	s := mustValid(t, &Schedule{Name: "halves", TimeZone: loc, Layers: []Layer{
		{Name: "days", Participants: []string{"dana", "dave"}, Shift: ShiftLength{Days, 1}, Priority: 1,
			HandOff: time.Date(2026, 3, 1, 9, 0, 0, 0, loc), Restrictions: []Restriction{{From: At(9, 0), To: At(21, 0)}}},
		{Name: "nights", Participants: []string{"nina", "nick"}, Shift: ShiftLength{Days, 1},
			HandOff: time.Date(2026, 3, 1, 21, 0, 0, 0, loc)},
	}})
	from := time.Date(2026, 3, 7, 9, 0, 0, 0, loc)
	got := handOffs(s, from, time.Date(2026, 3, 9, 9, 0, 0, 0, loc), loc)
	want := []string{"dana@03-07 09:00 EST", "nina@03-07 21:00 EST", "dave@03-08 09:00 EDT", "nick@03-08 21:00 EDT"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	sh := Shifts(s, from, from.Add(48*time.Hour))
	if d := sh[1].End.Sub(sh[1].Start); d != 11*time.Hour {
		t.Errorf("spring night lasts %v, want 11h", d)
	}
	from = time.Date(2026, 10, 31, 9, 0, 0, 0, loc)
	sh = Shifts(s, from, time.Date(2026, 11, 1, 9, 0, 0, 0, loc))
	if d := sh[1].End.Sub(sh[1].Start); len(sh) != 2 || d != 13*time.Hour || sh[1].Layer != "nights" {
		t.Errorf("autumn night %v, want 13h on nights", sh)
	}
}

// A hand-off reading that does not exist (spring gap) happens when the clocks jump; one
// that exists twice (autumn overlap) happens at the first of the two.
func TestHandOffInDSTGapAndOverlap(t *testing.T) {
	ny := zone(t, "America/New_York")
	s := mustValid(t, &Schedule{Name: "gap", TimeZone: ny, Layers: []Layer{{Name: "l", Participants: []string{"a", "b"},
		Shift: ShiftLength{Days, 1}, HandOff: time.Date(2026, 3, 6, 2, 30, 0, 0, ny)}}})
	jump := time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC) // 03:00 EDT
	if who, _, until := OnCall(s, jump.Add(-time.Second)); who != "b" || !until.Equal(jump) {
		t.Errorf("before the jump: %q until %s, want b until %s", who, until, jump)
	}
	if who, _, until := OnCall(s, jump); who != "a" || local(until, ny) != "2026-03-09 02:30 EDT" {
		t.Errorf("at the jump: %q until %s", who, local(until, ny))
	}
	s.Layers[0].HandOff = time.Date(2026, 10, 30, 1, 30, 0, 0, ny)
	first := time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC) // 01:30 EDT, the first 01:30
	if who, _, until := OnCall(s, first.Add(-time.Minute)); who != "b" || !until.Equal(first) {
		t.Errorf("overlap: %q until %s, want b until %s", who, until, first)
	}
	if who, _, until := OnCall(s, first.Add(time.Hour)); who != "a" || local(until, ny) != "2026-11-02 01:30 EST" || until.Sub(first) != 25*time.Hour {
		t.Errorf("second 01:30: %q until %s", who, local(until, ny))
	}
}

func followTheSun(t testing.TB) *Schedule {
	ny, tokyo := zone(t, "America/New_York"), zone(t, "Asia/Tokyo")
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	return mustValid(t, &Schedule{Name: "sun", TimeZone: ny, Layers: []Layer{
		{Name: "base", Participants: []string{"us1", "us2"}, Shift: ShiftLength{Weeks, 1},
			HandOff: time.Date(2026, 1, 5, 9, 0, 0, 0, ny)},
		{Name: "tokyo", Participants: []string{"tk1", "tk2"}, Shift: ShiftLength{Days, 1}, Priority: 10, TimeZone: tokyo,
			HandOff:      time.Date(2026, 1, 5, 9, 0, 0, 0, tokyo),
			Restrictions: []Restriction{{Weekdays: weekdays, From: At(9, 0), To: At(18, 0)}}},
	}})
}

// Follow-the-sun: a Tokyo layer (09:00–18:00 JST on weekdays, higher priority) over a New
// York base layer. Seen from New York the Tokyo window moves by an hour on March 8.
func TestFollowTheSun(t *testing.T) {
	s := followTheSun(t)
	ny, tokyo := s.TimeZone, s.Layers[1].TimeZone
	type want struct {
		who, layer string
		until      string // in JST
	}
	for _, c := range []struct {
		at   time.Time
		want want
	}{
		{time.Date(2026, 3, 3, 10, 0, 0, 0, tokyo), want{"tk2", "tokyo", "2026-03-03 18:00 JST"}}, // Tue, day 57
		{time.Date(2026, 3, 3, 18, 0, 0, 0, tokyo), want{"us1", "base", "2026-03-04 09:00 JST"}},  // week 8
		{time.Date(2026, 3, 4, 8, 59, 0, 0, tokyo), want{"us1", "base", "2026-03-04 09:00 JST"}},
		{time.Date(2026, 3, 7, 10, 0, 0, 0, tokyo), want{"us1", "base", "2026-03-09 09:00 JST"}}, // Saturday
		{time.Date(2026, 3, 9, 8, 0, 0, 0, tokyo), want{"us1", "base", "2026-03-09 09:00 JST"}},  // Mon 08:00 JST = Sun 19:00 EDT
		{time.Date(2026, 3, 9, 9, 0, 0, 0, tokyo), want{"tk2", "tokyo", "2026-03-09 18:00 JST"}}, // day 63
		{time.Date(2026, 3, 9, 18, 0, 0, 0, tokyo), want{"us1", "base", "2026-03-09 22:00 JST"}}, // Mon 05:00 EDT: still week 8
		{time.Date(2026, 3, 9, 22, 0, 0, 0, tokyo), want{"us2", "base", "2026-03-10 09:00 JST"}}, // Mon 09:00 EDT: week 9
	} {
		who, layer, until := OnCall(s, c.at)
		if got := (want{who, layer, local(until, tokyo)}); got != c.want {
			t.Errorf("%s: got %+v, want %+v", local(c.at, tokyo), got, c.want)
		}
	}
	var starts []string
	for _, sh := range Shifts(s, time.Date(2026, 3, 2, 0, 0, 0, 0, ny), time.Date(2026, 3, 12, 0, 0, 0, 0, ny)) {
		if sh.Layer == "tokyo" {
			starts = append(starts, sh.Start.In(ny).Format("Mon 15:04 MST"))
		}
	}
	wantStarts := "Mon 00:00 EST,Mon 19:00 EST,Tue 19:00 EST,Wed 19:00 EST,Thu 19:00 EST,Sun 20:00 EDT,Mon 20:00 EDT,Tue 20:00 EDT,Wed 20:00 EDT"
	if strings.Join(starts, ",") != wantStarts {
		t.Errorf("Tokyo windows in New York time:\n got %s\nwant %s", strings.Join(starts, ","), wantStarts)
	}
}

func sickDay(t testing.TB) *Schedule {
	lon := zone(t, "Europe/London")
	return mustValid(t, &Schedule{Name: "ops", TimeZone: lon, Layers: []Layer{{
		Name: "primary", Participants: []string{"alice", "bob", "carol"}, Shift: ShiftLength{Days, 1},
		HandOff: time.Date(2026, 3, 2, 9, 0, 0, 0, lon)}},
		Overrides: []Override{
			{Who: "dave", Covers: "bob", Start: time.Date(2026, 3, 3, 0, 0, 0, 0, lon), End: time.Date(2026, 3, 4, 0, 0, 0, 0, lon)},
			{Who: "erin", Start: time.Date(2026, 3, 5, 12, 0, 0, 0, lon), End: time.Date(2026, 3, 5, 14, 0, 0, 0, lon)},
		}})
}

// dave covers bob's sick day (Tuesday, calendar day): only bob's part of the day changes
// hands; erin takes two hours of whoever is on call on Thursday.
func TestOverrideSickDay(t *testing.T) {
	s := sickDay(t)
	lon := s.TimeZone
	var got []string
	for _, sh := range Shifts(s, time.Date(2026, 3, 2, 9, 0, 0, 0, lon), time.Date(2026, 3, 6, 9, 0, 0, 0, lon)) {
		got = append(got, fmt.Sprintf("%s %s–%s %s %v", sh.Who, sh.Start.In(lon).Format("Mon 15:04"), sh.End.In(lon).Format("Mon 15:04"), sh.Layer, sh.Override))
	}
	want := []string{
		"alice Mon 09:00–Tue 09:00 primary false",
		"dave Tue 09:00–Wed 00:00 primary true",
		"bob Wed 00:00–Wed 09:00 primary false",
		"carol Wed 09:00–Thu 09:00 primary false",
		"alice Thu 09:00–Thu 12:00 primary false",
		"erin Thu 12:00–Thu 14:00 primary true",
		"alice Thu 14:00–Fri 09:00 primary false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calendar:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if who, layer, until := OnCall(s, time.Date(2026, 3, 3, 8, 0, 0, 0, lon)); who != "alice" || layer != "primary" || local(until, lon) != "2026-03-03 09:00 GMT" {
		t.Errorf("Tuesday 08:00: %q %q until %s", who, layer, local(until, lon))
	}
	if who, _, until := OnCall(s, time.Date(2026, 3, 3, 9, 0, 0, 0, lon)); who != "dave" || local(until, lon) != "2026-03-04 00:00 GMT" {
		t.Errorf("Tuesday 09:00: %q until %s", who, local(until, lon))
	}
}

// Overlapping overrides apply in creation order, each to the result of the ones before:
// the latest-created wins, and one that covers a named person applies only while that
// person is (after earlier overrides) on call.
func TestOverlappingOverrides(t *testing.T) {
	tokyo := zone(t, "Asia/Tokyo")
	d := func(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, tokyo) }
	base := Layer{Name: "only", Participants: []string{"alice"}, Shift: ShiftLength{Weeks, 1}, HandOff: d(1, 0)}
	week := Override{Who: "bob", Start: d(2, 0), End: d(9, 0)}
	wed := Override{Who: "carol", Start: d(4, 0), End: d(5, 0)}
	swap := Override{Who: "dave", Covers: "carol", Start: d(4, 12), End: d(4, 13)}
	stale := Override{Who: "erin", Covers: "alice", Start: d(3, 0), End: d(4, 0)}
	for _, c := range []struct {
		name      string
		overrides []Override
		at        time.Time
		who       string
		until     time.Time
	}{
		{"later wins", []Override{week, wed}, d(4, 6), "carol", d(5, 0)},
		{"earlier created loses", []Override{wed, week}, d(4, 6), "bob", d(9, 0)},
		{"covers the overrider", []Override{week, wed, swap}, d(4, 12), "dave", d(4, 13)},
		{"back to carol", []Override{week, wed, swap}, d(4, 13), "carol", d(5, 0)},
		{"covers someone not on call", []Override{week, stale}, d(3, 6), "bob", d(9, 0)},
		{"covers alice before the week override", []Override{stale, week}, d(3, 6), "bob", d(9, 0)},
		{"covers alice alone", []Override{stale}, d(3, 6), "erin", d(4, 0)},
		{"after all", []Override{week, wed, swap, stale}, d(9, 0), "alice", time.Time{}},
	} {
		s := mustValid(t, &Schedule{Name: "o", TimeZone: tokyo, Layers: []Layer{base}, Overrides: c.overrides})
		who, _, until := OnCall(s, c.at)
		if who != c.who || !until.Equal(c.until) {
			t.Errorf("%s: %q until %v, want %q until %v", c.name, who, until, c.who, c.until)
		}
		if r := refOnCall(s, c.at); r.who != who {
			t.Errorf("%s: reference says %q", c.name, r.who)
		}
	}
}

// An override with nobody to cover fills a gap; one naming a person fills nothing.
func TestOverrideOutsideLayers(t *testing.T) {
	seoul := zone(t, "Asia/Seoul")
	d := func(day, hour int) time.Time { return time.Date(2026, 6, day, hour, 0, 0, 0, seoul) }
	s := mustValid(t, &Schedule{Name: "g", TimeZone: seoul, Layers: []Layer{{Name: "biz", Participants: []string{"min"},
		Shift: ShiftLength{Days, 1}, HandOff: d(1, 9), Restrictions: []Restriction{{From: At(9, 0), To: At(18, 0)}}}},
		Overrides: []Override{{Who: "jun", Start: d(2, 20), End: d(2, 22)}, {Who: "hye", Covers: "min", Start: d(3, 0), End: d(3, 6)}}})
	if who, layer, until := OnCall(s, d(2, 20)); who != "jun" || layer != "" || !until.Equal(d(2, 22)) {
		t.Errorf("gap fill: %q %q %v", who, layer, until)
	}
	if who, _, until := OnCall(s, d(3, 1)); who != "" || !until.Equal(d(3, 9)) {
		t.Errorf("covers nobody: %q until %v", who, until)
	}
	if who, _, _ := OnCall(s, d(1, 8)); who != "" {
		t.Errorf("before hand-off: %q", who)
	}
}

func TestValidate(t *testing.T) {
	tokyo := zone(t, "Asia/Tokyo")
	good := func() *Schedule {
		return &Schedule{Name: "ok", TimeZone: tokyo, Layers: []Layer{{Name: "l", Participants: []string{"a"},
			Shift: ShiftLength{Days, 1}, HandOff: time.Date(2026, 1, 1, 9, 0, 0, 0, tokyo)}},
			Overrides: []Override{{Who: "b", Start: time.Date(2026, 1, 2, 0, 0, 0, 0, tokyo), End: time.Date(2026, 1, 3, 0, 0, 0, 0, tokyo)}}}
	}
	if err := Validate(good()); err != nil {
		t.Fatalf("good schedule: %v", err)
	}
	for _, c := range []struct {
		want   string
		break_ func(s *Schedule)
	}{
		{"name: must not be empty", func(s *Schedule) { s.Name = " " }},
		{"time_zone: missing", func(s *Schedule) { s.TimeZone = nil }},
		{"time_zone: must be a named IANA zone", func(s *Schedule) { s.TimeZone = time.Local }},
		{"layers: at least one", func(s *Schedule) { s.Layers = nil }},
		{"layers[0].name: must not be empty", func(s *Schedule) { s.Layers[0].Name = "" }},
		{`layers[1].name: "l" is already the name of layers[0]`, func(s *Schedule) { s.Layers = append(s.Layers, s.Layers[0]) }},
		{"layers[0].participants: must not be empty", func(s *Schedule) { s.Layers[0].Participants = nil }},
		{"layers[0].participants[1]: must not be empty", func(s *Schedule) { s.Layers[0].Participants = []string{"a", ""} }},
		{"layers[0].shift.count: must be at least 1 (got 0)", func(s *Schedule) { s.Layers[0].Shift.Count = 0 }},
		{"layers[0].shift.count: must be at most 1000", func(s *Schedule) { s.Layers[0].Shift.Count = 5000 }},
		{"layers[0].shift.unit: must be hours, days or weeks", func(s *Schedule) { s.Layers[0].Shift.Unit = 0 }},
		{"layers[0].hand_off: missing", func(s *Schedule) { s.Layers[0].HandOff = time.Time{} }},
		{"layers[0].time_zone: must be a named IANA zone", func(s *Schedule) { s.Layers[0].TimeZone = time.Local }},
		{"layers[0].restrictions[0].to: must be after from (18:00)", func(s *Schedule) {
			s.Layers[0].Restrictions = []Restriction{{From: At(18, 0), To: At(9, 0)}}
		}},
		{"layers[0].restrictions[0].from: must be between", func(s *Schedule) {
			s.Layers[0].Restrictions = []Restriction{{From: -5, To: At(9, 0)}}
		}},
		{"layers[0].restrictions[0].to: must be between", func(s *Schedule) {
			s.Layers[0].Restrictions = []Restriction{{From: 0, To: At(24, 1)}}
		}},
		{"layers[0].restrictions[0].weekdays[1]: not a weekday (7)", func(s *Schedule) {
			s.Layers[0].Restrictions = []Restriction{{Weekdays: []time.Weekday{1, 7}, From: 0, To: 60}}
		}},
		{"overrides[0].who: must not be empty", func(s *Schedule) { s.Overrides[0].Who = "" }},
		{"overrides[0].end: must be after start", func(s *Schedule) { s.Overrides[0].End = s.Overrides[0].Start.Add(-time.Hour) }},
		{"overrides[0].end: must be after start", func(s *Schedule) { s.Overrides[0].End = s.Overrides[0].Start }},
		{"overrides[0].start: missing", func(s *Schedule) { s.Overrides[0].Start = time.Time{} }},
	} {
		s := good()
		c.break_(s)
		err := Validate(s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want error containing %q, got %v", c.want, err)
		}
	}
	if err := Validate(nil); err == nil {
		t.Error("nil schedule accepted")
	}
	for _, name := range []string{"", "Local", "Mars/Olympus_Mons", "Asia/Tokio"} {
		if _, err := ParseZone(name); err == nil || !strings.HasPrefix(err.Error(), "time_zone: ") {
			t.Errorf("ParseZone(%q): %v", name, err)
		}
	}
	for _, name := range testZones {
		if loc, err := ParseZone(name); err != nil || loc.String() != name {
			t.Errorf("ParseZone(%q): %v %v", name, loc, err)
		}
	}
}

// Restriction windows whose edges fall in the spring gap or the autumn overlap: the layer
// follows the clock on the wall, so a window 01:00–02:30 ends when the clocks jump at 02:00,
// and a window 01:00–01:30 opens twice on the night 01:00–02:00 repeats.
func TestRestrictionAcrossDSTNight(t *testing.T) {
	ny := zone(t, "America/New_York")
	s := mustValid(t, &Schedule{Name: "night", TimeZone: ny, Layers: []Layer{
		{Name: "late", Participants: []string{"owl"}, Shift: ShiftLength{Days, 1}, Priority: 1,
			HandOff: time.Date(2026, 1, 1, 0, 0, 0, 0, ny), Restrictions: []Restriction{{From: At(1, 0), To: At(2, 30)}}},
		{Name: "base", Participants: []string{"lark"}, Shift: ShiftLength{Days, 1}, HandOff: time.Date(2026, 1, 1, 0, 0, 0, 0, ny)},
	}})
	utc := func(mo time.Month, d, h, m int) time.Time { return time.Date(2026, mo, d, h, m, 0, 0, time.UTC) }
	if who, _, until := OnCall(s, utc(3, 8, 6, 30)); who != "owl" || !until.Equal(utc(3, 8, 7, 0)) {
		t.Errorf("spring 01:30 EST: %q until %s, want owl until the jump (07:00Z)", who, until)
	}
	s.Layers[0].Restrictions[0].To = At(1, 30)
	var got []string
	for _, sh := range Shifts(s, utc(11, 1, 4, 0), utc(11, 1, 8, 0)) {
		got = append(got, sh.Who+"@"+sh.Start.In(ny).Format("15:04 MST"))
	}
	want := "lark@00:00 EDT,owl@01:00 EDT,lark@01:30 EDT,owl@01:00 EST,lark@01:30 EST"
	if strings.Join(got, ",") != want {
		t.Errorf("autumn night: %s, want %s", strings.Join(got, ","), want)
	}
	walk(t, s, utc(10, 31, 0, 0), utc(11, 2, 0, 0))
	s.Layers[0].Restrictions[0].To = At(2, 30)
	walk(t, s, utc(3, 7, 0, 0), utc(3, 9, 0, 0))
}
