package hours

import (
	"strings"
	"testing"
	"time"
)

var tokyo, _ = time.LoadLocation("Asia/Tokyo")

// at is a moment in Tokyo; 2025-03-10 is a Monday.
func at(day, hour, minute int) time.Time {
	return time.Date(2025, 3, 9+day, hour, minute, 0, 0, tokyo) // day 0 = Sunday
}

func TestContains(t *testing.T) {
	t.Parallel()
	cases := []struct {
		spec string
		in   []time.Time
		out  []time.Time
	}{
		{"", []time.Time{at(0, 0, 0), at(3, 23, 59)}, nil},
		{"always", []time.Time{at(6, 3, 0)}, nil},
		{"09:00-18:00", []time.Time{at(0, 9, 0), at(3, 17, 59)}, []time.Time{at(1, 8, 59), at(1, 18, 0), at(6, 23, 0)}},
		{"Mon-Fri 09:00-18:00", []time.Time{at(1, 9, 0), at(5, 17, 59)}, []time.Time{at(6, 12, 0), at(0, 12, 0), at(1, 18, 0)}},
		{"mon-fri 09:00-18:00; Sat 10:00-14:00", []time.Time{at(6, 10, 0), at(2, 12, 0)}, []time.Time{at(6, 14, 0), at(0, 11, 0)}},
		{"Sat,Sun", []time.Time{at(6, 0, 0), at(0, 23, 59)}, []time.Time{at(1, 0, 0), at(5, 23, 59)}},
		// Overnight: Friday 22:00 to Saturday 07:00 belongs to Friday.
		{"Fri 22:00-07:00", []time.Time{at(5, 22, 0), at(6, 6, 59)}, []time.Time{at(5, 21, 59), at(6, 7, 0), at(4, 23, 0), at(5, 3, 0)}},
		// A range that wraps over the week's end.
		{"Fri-Mon 00:00-24:00", []time.Time{at(5, 0, 0), at(0, 12, 0), at(1, 23, 59)}, []time.Time{at(2, 0, 0), at(4, 23, 59)}},
		{"Saturday 12:30-13:45", []time.Time{at(6, 12, 30), at(6, 13, 44)}, []time.Time{at(6, 13, 45), at(6, 12, 29)}},
	}
	for _, c := range cases {
		h, err := Parse(c.spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.spec, err)
			continue
		}
		for _, x := range c.in {
			if !h.Contains(x, tokyo) {
				t.Errorf("%q should contain %s", c.spec, x.Format("Mon 15:04"))
			}
		}
		for _, x := range c.out {
			if h.Contains(x, tokyo) {
				t.Errorf("%q should not contain %s", c.spec, x.Format("Mon 15:04"))
			}
		}
	}
}

func TestLocationMatters(t *testing.T) {
	t.Parallel()
	h, err := Parse("Mon-Fri 09:00-18:00")
	if err != nil {
		t.Fatal(err)
	}
	noonUTC := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC) // Monday 21:00 in Tokyo
	if !h.Contains(noonUTC, nil) || h.Contains(noonUTC, tokyo) {
		t.Error("hours are not read in the given location")
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"Mon-Fri 9-18":           "not a time",
		"Funday 09:00-10:00":     "not a day",
		"09:00":                  "START-END",
		"25:00-26:00":            "not a time",
		"09:00-09:00":            "the same time",
		"24:00-01:00":            "cannot start at 24:00",
		"Mon 09:00-10:00 extra":  "days then one time range",
		"Mon,,Tue":               "empty day",
		";":                      "no window",
		"09:60-10:00":            "not a time",
		"+9:00-10:00":            "not a time",
		strings.Repeat("a", 501): "longer than",
	}
	for spec, want := range cases {
		_, err := Parse(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", spec, err, want)
		}
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"":                             "",
		"mon-FRI 9:00-18:00":           "Mon-Fri 09:00-18:00",
		"Sat,Sun":                      "Sat,Sun",
		"Mon,Tue,Wed 22:00-07:00; Sun": "Mon-Wed 22:00-07:00; Sun",
		"Fri-Mon":                      "Mon,Fri-Sun",
		"Monday 00:00-24:00":           "Mon",
		"00:00-24:00":                  "Mon-Sun",
	}
	for in, want := range cases {
		h, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if got := h.String(); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzHours: Parse never panics, and what it accepts writes back to a
// form that parses to the same hours (checked at every quarter hour of a
// week).
func FuzzHours(f *testing.F) {
	for _, s := range []string{"", "Mon-Fri 09:00-18:00", "Sat,Sun", "Fri 22:00-07:00; Sun 10:00-12:00", "24/7", "09:00-24:00", "Thu-Tue"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(h.String())
		if err != nil {
			t.Fatalf("Parse(%q) → %q does not parse: %v", s, h.String(), err)
		}
		for m := 0; m < 7*24*60; m += 15 {
			x := at(0, 0, 0).Add(time.Duration(m) * time.Minute)
			if h.Contains(x, tokyo) != again.Contains(x, tokyo) {
				t.Fatalf("%q and %q differ at %s", s, h.String(), x.Format("Mon 15:04"))
			}
		}
	})
}
