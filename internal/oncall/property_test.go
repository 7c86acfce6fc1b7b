package oncall

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func sameAnswer(who, layer string, r refAnswer) bool { return who == r.who && layer == r.layer }

// walk follows OnCall from from to to by jumping to until, and checks every minute in
// between against the reference: the answer holds on [t, until) and differs at until.
func walk(t *testing.T, s *Schedule, from, to time.Time) (steps int) {
	t.Helper()
	for cur := from; cur.Before(to); steps++ {
		who, layer, until := OnCall(s, cur)
		if r := refOnCall(s, cur); !sameAnswer(who, layer, r) {
			t.Fatalf("%s at %s: OnCall %q/%q, reference %+v", s.Name, cur, who, layer, r)
		}
		end := to
		if !until.IsZero() {
			if !until.After(cur) {
				t.Fatalf("%s at %s: until %s is not later", s.Name, cur, until)
			}
			if until.Before(to) {
				end = until
			}
		}
		for m := cur.Truncate(time.Minute).Add(time.Minute); m.Before(end); m = m.Add(time.Minute) {
			if r := refOnCall(s, m); !sameAnswer(who, layer, r) {
				t.Fatalf("%s: OnCall(%s) = %q/%q until %s, but at %s the reference has %+v", s.Name, cur, who, layer, until, m, r)
			}
		}
		if !until.IsZero() && until.Before(to) {
			if r := refOnCall(s, until); sameAnswer(who, layer, r) {
				t.Fatalf("%s: OnCall(%s) = %q/%q until %s, but nothing changes then", s.Name, cur, who, layer, until)
			}
		}
		cur = end
	}
	return steps
}

// randomSchedule builds a schedule from r: 1–3 layers of every unit, restrictions, layer
// zones and up to n overrides, all on minute boundaries around 2026's DST changes.
func randomSchedule(r *rand.Rand, zones []*time.Location, overrides int, invalid bool) *Schedule {
	people := []string{"ann", "bo", "cy", "di", "ed"}
	loc := zones[r.IntN(len(zones))]
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	minute := func(span int) time.Time { return base.Add(time.Duration(r.IntN(span)) * time.Minute) }
	s := &Schedule{Name: fmt.Sprintf("rand-%d", r.IntN(1e6)), TimeZone: loc}
	for i := 0; i < 1+r.IntN(3); i++ {
		l := Layer{Name: fmt.Sprintf("L%d", i), Priority: r.IntN(3), HandOff: minute(365 * 24 * 60)}
		for j := 0; j < 1+r.IntN(4); j++ {
			l.Participants = append(l.Participants, people[r.IntN(len(people))])
		}
		l.Shift = ShiftLength{Unit(1 + r.IntN(3)), 1 + r.IntN(3)}
		if l.Shift.Unit == Hours {
			l.Shift.Count = []int{1, 5, 8, 12, 24}[r.IntN(5)]
		}
		if r.IntN(3) == 0 {
			l.TimeZone = zones[r.IntN(len(zones))]
		}
		for j := r.IntN(3); j > 0; j-- {
			from := r.IntN(48) * 30
			re := Restriction{From: Clock(from), To: Clock(from + 30*(1+r.IntN(48-from/30)))}
			for d := time.Sunday; d <= time.Saturday; d++ {
				if r.IntN(2) == 0 {
					re.Weekdays = append(re.Weekdays, d)
				}
			}
			l.Restrictions = append(l.Restrictions, re)
		}
		if invalid && r.IntN(4) == 0 {
			switch r.IntN(4) {
			case 0:
				l.Participants = nil
			case 1:
				l.Shift.Count = r.IntN(3) - 1
			case 2:
				l.Shift.Unit = Unit(r.IntN(6) - 1)
			case 3:
				l.Restrictions = append(l.Restrictions, Restriction{From: Clock(r.IntN(3000) - 100), To: Clock(r.IntN(3000) - 100)})
			}
		}
		s.Layers = append(s.Layers, l)
	}
	for i := 0; i < overrides; i++ {
		start := minute(365 * 24 * 60)
		o := Override{Who: people[r.IntN(len(people))], Start: start, End: start.Add(time.Duration(1+r.IntN(3*24*60)) * time.Minute)}
		if r.IntN(2) == 0 {
			o.Covers = people[r.IntN(len(people))]
		}
		if invalid && r.IntN(5) == 0 {
			o.End = o.Start.Add(-time.Duration(r.IntN(100)) * time.Minute)
		}
		s.Overrides = append(s.Overrides, o)
	}
	return s
}

func zones(t testing.TB, names ...string) []*time.Location {
	var out []*time.Location
	for _, n := range names {
		out = append(out, zone(t, n))
	}
	return out
}

// Walking a month by jumping to until never misses or invents a change (fixed schedules
// and random ones, across both 2026 DST changes in New York and London).
func TestUntilWalkMonth(t *testing.T) {
	ny, lon := zone(t, "America/New_York"), zone(t, "Europe/London")
	months := [][2]time.Time{
		{time.Date(2026, 2, 20, 0, 0, 0, 0, ny), time.Date(2026, 3, 20, 0, 0, 0, 0, ny)},
		{time.Date(2026, 10, 15, 0, 0, 0, 0, lon), time.Date(2026, 11, 15, 0, 0, 0, 0, lon)},
	}
	fixed := []*Schedule{followTheSun(t), sickDay(t), benchSchedule(t, 7, zones(t, testZones...))}
	for _, s := range fixed {
		for _, m := range months {
			if n := walk(t, s, m[0], m[1]); n < 10 {
				t.Errorf("%s: only %d changes in a month", s.Name, n)
			}
		}
	}
	r := rand.New(rand.NewPCG(12, 2026))
	all := zones(t, append(testZones, "Australia/Lord_Howe", "Asia/Kathmandu", "America/Sao_Paulo", "UTC")...)
	for i := 0; i < 40; i++ {
		s := randomSchedule(r, all, 8, false)
		if err := Validate(s); err != nil {
			t.Fatal(err)
		}
		m := months[i%2]
		walk(t, s, m[0], m[1])
	}
}

// Shifts is the walk written down: contiguous stretches that match OnCall.
func TestShiftsMatchOnCall(t *testing.T) {
	s := benchSchedule(t, 3, zones(t, "Europe/London"))
	from, to := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 10, 0, 0, 0, 0, time.UTC)
	sh := Shifts(s, from, to)
	if len(sh) < 20 {
		t.Fatalf("only %d shifts", len(sh))
	}
	for i, x := range sh {
		if !x.End.After(x.Start) {
			t.Fatalf("shift %d empty: %+v", i, x)
		}
		if i > 0 && sh[i-1].End.Equal(x.Start) && sh[i-1].Who == x.Who && sh[i-1].Layer == x.Layer && sh[i-1].Override == x.Override {
			t.Fatalf("shifts %d and %d not merged: %+v %+v", i-1, i, sh[i-1], x)
		}
		for _, at := range []time.Time{x.Start, x.End.Add(-time.Minute)} {
			r := refOnCall(s, at)
			if r.who != x.Who || r.layer != x.Layer || r.override != x.Override {
				t.Fatalf("shift %+v: reference at %s has %+v", x, at, r)
			}
		}
		if i > 0 && !sh[i-1].End.Equal(x.Start) {
			if r := refOnCall(s, sh[i-1].End); r.who != "" {
				t.Fatalf("gap after %+v, but %+v is on call", sh[i-1], r)
			}
		}
	}
}

func fuzzSeeds(f *testing.F) {
	for i := uint64(0); i < 8; i++ {
		f.Add(i, i*7919, int64(i)*37*60)
	}
}

// FuzzOnCall: random schedules (valid or not) never panic, and for valid ones OnCall and
// until agree with the reference.
func FuzzOnCall(f *testing.F) {
	fuzzSeeds(f)
	all := zones(f, append(testZones, "Australia/Lord_Howe", "Asia/Kathmandu", "America/Sao_Paulo", "Pacific/Chatham", "UTC")...)
	f.Fuzz(func(t *testing.T, a, b uint64, minutes int64) {
		r := rand.New(rand.NewPCG(a, b))
		s := randomSchedule(r, all, r.IntN(6), a%3 == 0)
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(minutes%(400*24*60)) * time.Minute)
		if minutes%2 == 0 {
			// Half the time: within two days of one of the zone's changes in 2026.
			var changes []time.Time
			for c := time.Date(2026, 1, 1, 0, 0, 0, 0, s.TimeZone); c.Year() == 2026; {
				_, end := c.ZoneBounds()
				if end.IsZero() {
					break
				}
				changes = append(changes, end)
				c = end
			}
			if len(changes) > 0 {
				at = changes[r.IntN(len(changes))].Add(time.Duration(r.IntN(4*24*60)-2*24*60) * time.Minute)
			}
		}
		err := Validate(s)
		who, layer, until := OnCall(s, at)
		_ = Shifts(s, at, at.Add(72*time.Hour))
		if err != nil {
			return
		}
		if ref := refOnCall(s, at); !sameAnswer(who, layer, ref) {
			t.Fatalf("at %s: OnCall %q/%q, reference %+v\n%#v", at, who, layer, ref, s)
		}
		end := at.Add(lookAhead)
		if !until.IsZero() {
			if !until.After(at) {
				t.Fatalf("until %s not after %s", until, at)
			}
			if ref := refOnCall(s, until); sameAnswer(who, layer, ref) {
				t.Fatalf("at %s: until %s but the reference has the same answer there\n%#v", at, until, s)
			}
			end = until
		}
		span := int64(end.Sub(at) / time.Minute)
		for i := 0; i < 30 && span > 0; i++ {
			m := at.Add(time.Duration(r.Int64N(span)) * time.Minute)
			if i == 0 {
				m = end.Add(-time.Minute)
			}
			if ref := refOnCall(s, m); !sameAnswer(who, layer, ref) {
				t.Fatalf("OnCall(%s) = %q/%q until %s, but at %s the reference has %+v\n%#v", at, who, layer, until, m, ref, s)
			}
		}
	})
}

// FuzzValidate: arbitrary field values never panic; every error names a field.
func FuzzValidate(f *testing.F) {
	f.Add("ops", "Asia/Tokyo", "primary", "alice", 2, 1, int64(0), 540, 1080, "bob", "", int64(60), int64(120))
	f.Add("", "Mars/Base", "", "", 0, 0, int64(-1), -1, 2000, "", "x", int64(10), int64(5))
	f.Fuzz(func(t *testing.T, name, zn, lname, who string, unit, count int, handOff int64, from, to int, ow, covers string, os, oe int64) {
		loc, zerr := ParseZone(zn)
		if zerr != nil && zerr.Error()[:10] != "time_zone:" {
			t.Fatalf("ParseZone error does not name the field: %v", zerr)
		}
		tm := func(sec int64) time.Time { return time.Unix(sec%(1<<40), 0) }
		s := &Schedule{Name: name, TimeZone: loc, Layers: []Layer{{
			Name: lname, Participants: []string{who, "x"}, Shift: ShiftLength{Unit(unit), count},
			HandOff: tm(handOff), Restrictions: []Restriction{{Weekdays: []time.Weekday{time.Weekday(unit)}, From: Clock(from), To: Clock(to)}},
		}}, Overrides: []Override{{Who: ow, Covers: covers, Start: tm(os), End: tm(oe)}}}
		if err := Validate(s); err != nil {
			for _, line := range splitLines(err.Error()) {
				if !fieldNamed(line) {
					t.Fatalf("error without a field: %q", line)
				}
			}
		}
		OnCall(s, tm(handOff+3600))
		Shifts(s, tm(handOff), tm(handOff+7*86400))
	})
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func fieldNamed(line string) bool {
	for _, p := range []string{"name: ", "time_zone: ", "layers: ", "layers[", "overrides["} {
		if len(line) >= len(p) && line[:len(p)] == p {
			return true
		}
	}
	return false
}
