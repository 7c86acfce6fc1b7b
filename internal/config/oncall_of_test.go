package config

import (
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/oncall"
)

// TestOnCallScheduleOf: writing a parsed schedule back in the config's shape and parsing it
// again gives the same schedule, also for a hand-off in New York's repeated autumn hour
// (written in RFC 3339, since the local reading is ambiguous).
func TestOnCallScheduleOf(t *testing.T) {
	t.Parallel()
	in := OnCallSchedule{Name: "p", TimeZone: "Asia/Tokyo", Layers: []OnCallLayer{
		{Name: "weekly", Participants: []string{"sato", "suzuki"}, Shift: "1w", HandOff: "2026-01-05 09:00"},
		{Name: "us", Participants: []string{"miller"}, Shift: "12h", HandOff: "2026-11-01T01:30:00-05:00", Priority: 10, TimeZone: "America/New_York",
			Restrictions: []OnCallRestriction{{Days: []string{"mon", "fri"}, From: "09:00", To: "24:00"}}},
	}, Overrides: []OnCallOverride{{Who: "lee", Covers: "sato", Start: "2026-03-10 09:00:30", End: "2026-03-11 09:00"}}}
	a, err := in.Convert()
	if err != nil {
		t.Fatal(err)
	}
	out := OnCallScheduleOf(a)
	if out.Layers[1].HandOff != "2026-11-01T01:30:00-05:00" || out.Layers[0].HandOff != "2026-01-05 09:00" || out.Overrides[0].Start != "2026-03-10 09:00:30" {
		t.Fatalf("written: %+v", out)
	}
	if d := out.Layers[1].Restrictions[0]; len(d.Days) != 2 || d.Days[0] != "mon" || d.To != "24:00" {
		t.Fatalf("restriction: %+v", d)
	}
	b, err := out.Convert()
	if err != nil {
		t.Fatal(err)
	}
	for at := time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC); at.Before(time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC)); at = at.Add(30 * time.Minute) {
		w1, l1, u1 := oncall.OnCall(a, at)
		w2, l2, u2 := oncall.OnCall(b, at)
		if w1 != w2 || l1 != l2 || !u1.Equal(u2) {
			t.Fatalf("at %s: %s/%s/%s vs %s/%s/%s", at, w1, l1, u1, w2, l2, u2)
		}
	}
	if !a.Layers[1].HandOff.Equal(b.Layers[1].HandOff) || !a.Overrides[0].Start.Equal(b.Overrides[0].Start) {
		t.Fatal("times moved")
	}
}
