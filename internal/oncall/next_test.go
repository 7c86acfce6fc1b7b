package oncall

import (
	"testing"
	"time"
)

// Next skips a stretch with nobody on call and reports the next person, from when and until
// when; a schedule whose answer never changes has no next.
func TestNext(t *testing.T) {
	loc := zone(t, "Asia/Tokyo")
	s := mustValid(t, &Schedule{Name: "s", TimeZone: loc, Layers: []Layer{{
		Name: "days", Participants: []string{"aiko", "bo"}, Shift: ShiftLength{Unit: Days, Count: 1},
		HandOff:      time.Date(2026, 1, 5, 9, 0, 0, 0, loc),
		Restrictions: []Restriction{{From: At(9, 0), To: At(18, 0)}},
	}}})
	// Monday 12:00: aiko until 18:00; nobody 18:00–09:00; bo from Tuesday 09:00 to 18:00.
	who, layer, start, until, ok := Next(s, time.Date(2026, 1, 5, 12, 0, 0, 0, loc))
	if !ok || who != "bo" || layer != "days" || local(start, loc) != "2026-01-06 09:00 JST" || local(until, loc) != "2026-01-06 18:00 JST" {
		t.Errorf("next = %s %s %s %s %v", who, layer, local(start, loc), local(until, loc), ok)
	}
	// At night (nobody on call) the next is the coming morning's shift.
	who, _, start, _, ok = Next(s, time.Date(2026, 1, 5, 20, 0, 0, 0, loc))
	if !ok || who != "bo" || local(start, loc) != "2026-01-06 09:00 JST" {
		t.Errorf("next at night = %s %s %v", who, local(start, loc), ok)
	}
	one := mustValid(t, &Schedule{Name: "one", TimeZone: loc, Layers: []Layer{{
		Name: "l", Participants: []string{"aiko"}, Shift: ShiftLength{Unit: Weeks, Count: 1},
		HandOff: time.Date(2026, 1, 5, 9, 0, 0, 0, loc),
	}}})
	if who, _, _, _, ok := Next(one, time.Date(2026, 2, 1, 0, 0, 0, 0, loc)); ok {
		t.Errorf("a one-person rotation has a next: %s", who)
	}
}
