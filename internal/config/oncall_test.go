package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/oncall"
)

const goodOnCall = `
oncall:
  schedules:
    - name: platform
      time_zone: Asia/Tokyo
      layers:
        - name: weekly
          participants: [sato, suzuki]
          shift: 1w
          hand_off: "2026-01-05 09:00"
        - name: days
          time_zone: America/New_York
          participants: [kim]
          shift: 12h
          hand_off: "2026-01-05T09:00:00-05:00"
          priority: 10
          restrictions:
            - {days: [mon, FRI], from: "09:00", to: "24:00"}
      overrides:
        - {who: lee, covers: sato, start: "2026-03-10 09:00", end: "2026-03-11 09:00"}
        - {who: kim, start: "2026-03-20T00:00:00Z", end: "2026-03-21 00:00"}
    - name: db
      time_zone: Europe/London
      layers:
        - {name: l, participants: [a], shift: 2d, hand_off: "2026-01-05 09:00:30"}
`

func TestOnCallConfigGood(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(goodOnCall))
	if err != nil {
		t.Fatal(err)
	}
	ss := cfg.OnCall.Parsed()
	if len(ss) != 2 || ss[0].Name != "platform" || ss[1].Name != "db" {
		t.Fatalf("schedules: %+v", ss)
	}
	p := cfg.OnCall.Schedule("platform")
	if p != ss[0] || cfg.OnCall.Schedule("nope") != nil {
		t.Fatal("Schedule lookup")
	}
	if p.TimeZone.String() != "Asia/Tokyo" {
		t.Errorf("zone %v", p.TimeZone)
	}
	w, d := p.Layers[0], p.Layers[1]
	if w.Shift != (oncall.ShiftLength{Unit: oncall.Weeks, Count: 1}) || d.Shift != (oncall.ShiftLength{Unit: oncall.Hours, Count: 12}) {
		t.Errorf("shifts %+v %+v", w.Shift, d.Shift)
	}
	if !w.HandOff.Equal(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)) { // 09:00 JST
		t.Errorf("weekly hand-off %v", w.HandOff)
	}
	if !d.HandOff.Equal(time.Date(2026, 1, 5, 14, 0, 0, 0, time.UTC)) || d.Priority != 10 || w.TimeZone != nil || d.TimeZone.String() != "America/New_York" {
		t.Errorf("days layer %+v", d)
	}
	want := oncall.Restriction{Weekdays: []time.Weekday{time.Monday, time.Friday}, From: oncall.At(9, 0), To: oncall.At(24, 0)}
	if r := d.Restrictions; len(r) != 1 || r[0].From != want.From || r[0].To != want.To || len(r[0].Weekdays) != 2 || r[0].Weekdays[0] != time.Monday || r[0].Weekdays[1] != time.Friday {
		t.Errorf("restrictions %+v", d.Restrictions)
	}
	o := p.Overrides
	if len(o) != 2 || o[0].Who != "lee" || o[0].Covers != "sato" || !o[0].Start.Equal(time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)) ||
		!o[1].Start.Equal(time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)) || !o[1].End.Equal(time.Date(2026, 3, 20, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("overrides %+v", o)
	}
	if h := ss[1].Layers[0].HandOff; !h.Equal(time.Date(2026, 1, 5, 9, 0, 30, 0, time.UTC)) || ss[1].Layers[0].Shift.Unit != oncall.Days {
		t.Errorf("db layer %+v", ss[1].Layers[0])
	}
	// The converted schedule answers: sato's first weekly shift, outside the days layer's window (a Tuesday).
	who, layer, _ := oncall.OnCall(p, time.Date(2026, 1, 6, 12, 0, 0, 0, time.UTC))
	if who != "sato" || layer != "weekly" {
		t.Errorf("on call %s/%s", who, layer)
	}
}

func TestOnCallConfigExample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../deploy/opsdesk.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.OnCall.Parsed()) == 0 {
		t.Fatal("the example config shows no on-call schedule")
	}
}

func TestOnCallConfigErrors(t *testing.T) {
	t.Parallel()
	layer := "{name: l, participants: [a], shift: 1d, hand_off: \"2026-01-05 09:00\"}"
	sched := func(body string) string {
		return "oncall:\n  schedules:\n    - {name: ok, time_zone: UTC, layers: [" + layer + "]}\n    - " + body
	}
	cases := []struct {
		name, yaml, want string
	}{
		{"no name", sched("{time_zone: UTC, layers: [" + layer + "]}"), "oncall.schedules[1].name: \"\""},
		{"bad name", sched("{name: 'a b', time_zone: UTC, layers: [" + layer + "]}"), "oncall.schedules[1].name"},
		{"dup name", sched("{name: ok, time_zone: UTC, layers: [" + layer + "]}"), "oncall.schedules[1].name: \"ok\" is already the name of oncall.schedules[0]"},
		{"no zone", sched("{name: b, layers: [" + layer + "]}"), "oncall.schedules[1].time_zone: \"\" is not an IANA"},
		{"bad zone", sched("{name: b, time_zone: Asia/Tokio, layers: [" + layer + "]}"), "oncall.schedules[1].time_zone: unknown IANA time zone \"Asia/Tokio\""},
		{"no layers", sched("{name: b, time_zone: UTC}"), "oncall.schedules[1].layers: at least one"},
		{"bad shift", sched("{name: b, time_zone: UTC, layers: [{name: l, participants: [a], shift: 1m, hand_off: \"2026-01-05 09:00\"}]}"), "oncall.schedules[1].layers[0].shift: \"1m\" is not a shift length"},
		{"zero shift", sched("{name: b, time_zone: UTC, layers: [{name: l, participants: [a], shift: 0h, hand_off: \"2026-01-05 09:00\"}]}"), "oncall.schedules[1].layers[0].shift: \"0h\": the count must be from 1 to 1000"},
		{"huge shift", sched("{name: b, time_zone: UTC, layers: [{name: l, participants: [a], shift: 1001w, hand_off: \"2026-01-05 09:00\"}]}"), "oncall.schedules[1].layers[0].shift"},
		{"no shift", sched("{name: b, time_zone: UTC, layers: [{name: l, participants: [a], hand_off: \"2026-01-05 09:00\"}]}"), "oncall.schedules[1].layers[0].shift"},
		{"no hand-off", sched("{name: b, time_zone: UTC, layers: [{name: l, participants: [a], shift: 1d}]}"), "oncall.schedules[1].layers[0].hand_off: missing"},
		{"bad hand-off", sched("{name: b, time_zone: UTC, layers: [{name: l, participants: [a], shift: 1d, hand_off: \"5 Jan 2026\"}]}"), "oncall.schedules[1].layers[0].hand_off: \"5 Jan 2026\" is neither"},
		{"layer zone", sched("{name: b, time_zone: UTC, layers: [{name: l, time_zone: Mars/Base, participants: [a], shift: 1d, hand_off: \"2026-01-05 09:00\"}]}"), "oncall.schedules[1].layers[0].time_zone: unknown IANA time zone \"Mars/Base\""},
		{"no participants", sched("{name: b, time_zone: UTC, layers: [{name: l, shift: 1d, hand_off: \"2026-01-05 09:00\"}]}"), "oncall.schedules[1].layers[0].participants: must not be empty"},
		{"empty participant", sched("{name: b, time_zone: UTC, layers: [{name: l, participants: [a, ' '], shift: 1d, hand_off: \"2026-01-05 09:00\"}]}"), "oncall.schedules[1].layers[0].participants[1]: must not be empty"},
		{"no layer name", sched("{name: b, time_zone: UTC, layers: [{participants: [a], shift: 1d, hand_off: \"2026-01-05 09:00\"}]}"), "oncall.schedules[1].layers[0].name: must not be empty"},
		{"dup layer", sched("{name: b, time_zone: UTC, layers: [" + layer + ", " + layer + "]}"), "oncall.schedules[1].layers[1].name: \"l\" is already the name of layers[0]"},
		{"bad day", sched("{name: b, time_zone: UTC, layers: [{name: l, participants: [a], shift: 1d, hand_off: \"2026-01-05 09:00\", restrictions: [{days: [mon, funday], from: '09:00', to: '18:00'}]}]}"), "oncall.schedules[1].layers[0].restrictions[0].days[1]: \"funday\" is not a day"},
		{"bad from", sched("{name: b, time_zone: UTC, layers: [{name: l, participants: [a], shift: 1d, hand_off: \"2026-01-05 09:00\", restrictions: [{from: '24:00', to: '18:00'}]}]}"), "oncall.schedules[1].layers[0].restrictions[0].from: \"24:00\" is not a time of day from 00:00 to 23:59"},
		{"bad to", sched("{name: b, time_zone: UTC, layers: [{name: l, participants: [a], shift: 1d, hand_off: \"2026-01-05 09:00\", restrictions: [{from: '09:00', to: '9pm'}]}]}"), "oncall.schedules[1].layers[0].restrictions[0].to: \"9pm\" is not a time of day HH:MM"},
		{"to before from", sched("{name: b, time_zone: UTC, layers: [{name: l, participants: [a], shift: 1d, hand_off: \"2026-01-05 09:00\", restrictions: [{from: '22:00', to: '06:00'}]}]}"), "oncall.schedules[1].layers[0].restrictions[0].to: must be after from (22:00)"},
		{"override no who", sched("{name: b, time_zone: UTC, layers: [" + layer + "], overrides: [{start: '2026-03-10 09:00', end: '2026-03-11 09:00'}]}"), "oncall.schedules[1].overrides[0].who: must not be empty"},
		{"override bad start", sched("{name: b, time_zone: UTC, layers: [" + layer + "], overrides: [{who: a, start: tomorrow, end: '2026-03-11 09:00'}]}"), "oncall.schedules[1].overrides[0].start: \"tomorrow\" is neither"},
		{"override no end", sched("{name: b, time_zone: UTC, layers: [" + layer + "], overrides: [{who: a, start: '2026-03-10 09:00'}]}"), "oncall.schedules[1].overrides[0].end: missing"},
		{"override backwards", sched("{name: b, time_zone: UTC, layers: [" + layer + "], overrides: [{who: a, start: '2026-03-10 09:00', end: '2026-03-10 08:00'}]}"), "oncall.schedules[1].overrides[0].end: must be after start (2026-03-10T09:00:00Z)"},
		{"unknown key", sched("{name: b, time_zone: UTC, layers: [" + layer + "], rotation: x}"), "field rotation not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml))
			if err == nil {
				t.Fatalf("no error for %s", c.yaml)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func FuzzOnCallTimes(f *testing.F) {
	for _, s := range []string{"1w", "12h", "0d", "2026-01-05 09:00", "2026-03-10T09:00:00+09:00", "24:00", "09:00", "99:99", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if sl, err := parseShift(v); err == nil && (sl.Count < 1 || sl.Count > oncall.MaxShiftCount) {
			t.Fatalf("parseShift(%q) = %+v", v, sl)
		}
		if c, err := parseClock(v, true); err == nil && (c < 0 || c > 1440 || c.String() != strings.TrimSpace(v)) {
			t.Fatalf("parseClock(%q) = %d", v, c)
		}
		if c, err := parseClock(v, false); err == nil && (c < 0 || c >= 1440) {
			t.Fatalf("parseClock(%q, start) = %d", v, c)
		}
		if tm, err := parseOnCallTime(v, time.UTC); err == nil && tm.IsZero() {
			t.Fatalf("parseOnCallTime(%q) is zero", v)
		}
	})
}
