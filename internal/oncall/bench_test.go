package oncall

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// benchSchedule is a realistic schedule: a weekly base rotation, a daytime weekday layer
// with higher priority in another region's zone, and 20 overrides (sick days, swaps,
// a few hours' cover) spread over the weeks around March 2026.
func benchSchedule(t testing.TB, seed uint64, locs []*time.Location) *Schedule {
	r := rand.New(rand.NewPCG(seed, 500))
	loc := locs[int(seed)%len(locs)]
	day := locs[(int(seed)+1)%len(locs)]
	people := []string{"p1", "p2", "p3", "p4", "p5", "p6"}
	s := &Schedule{Name: fmt.Sprintf("team-%d", seed), TimeZone: loc, Layers: []Layer{
		{Name: "base", Participants: people[:4], Shift: ShiftLength{Weeks, 1}, HandOff: time.Date(2026, 1, 5, 10, 0, 0, 0, loc)},
		{Name: "daytime", Participants: people[3:], Shift: ShiftLength{Days, 1}, Priority: 1, TimeZone: day,
			HandOff:      time.Date(2026, 1, 5, 9, 0, 0, 0, day),
			Restrictions: []Restriction{{Weekdays: []time.Weekday{1, 2, 3, 4, 5}, From: At(9, 0), To: At(18, 0)}}},
	}}
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, loc)
	for i := 0; i < 20; i++ {
		start := base.Add(time.Duration(r.IntN(40*24)) * time.Hour)
		o := Override{Who: people[r.IntN(6)], Start: start, End: start.Add(time.Duration(1+r.IntN(36)) * time.Hour)}
		if r.IntN(2) == 0 {
			o.Covers = people[r.IntN(6)]
		}
		s.Overrides = append(s.Overrides, o)
	}
	if err := Validate(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// BenchmarkOnCall500 answers "who is on call, and until when" for 500 schedules (2 layers,
// 20 overrides each) at one instant; one op is all 500. Issue 12's target: ≤ 5 ms.
func BenchmarkOnCall500(b *testing.B) {
	locs := zones(b, testZones...)
	var all []*Schedule
	for i := 0; i < 500; i++ {
		all = append(all, benchSchedule(b, uint64(i), locs))
	}
	at := time.Date(2026, 3, 20, 3, 17, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range all {
			OnCall(s, at)
		}
	}
}
