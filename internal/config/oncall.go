package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/oncall"
)

// OnCall keeps on-call schedules as code (issue 12, docs/oncall.md):
//
//	oncall:
//	  schedules:
//	    - name: platform
//	      time_zone: Asia/Tokyo
//	      layers:
//	        - name: weekly
//	          participants: [sato, suzuki, tanaka]
//	          shift: 1w
//	          hand_off: "2026-01-05 09:00"
//	        - name: business-hours
//	          participants: [kim]
//	          shift: 1d
//	          hand_off: "2026-01-05 09:00"
//	          priority: 10
//	          restrictions:
//	            - {days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00"}
//	      overrides:
//	        - {who: tanaka, covers: sato, start: "2026-03-10 09:00", end: "2026-03-11 09:00"}
type OnCall struct {
	Schedules []OnCallSchedule `yaml:"schedules" json:"schedules"`
	// Policies are escalation policies (policies.go).
	Policies []OnCallPolicy `yaml:"policies"`
	// Receipts admits SMS and email delivery receipts (receipts.go).
	Receipts OnCallReceipts `yaml:"receipts"`
	// ShiftNotice, when set, tells each person this long before their
	// on-call shift starts (through their contact methods, not by phone).
	ShiftNotice Duration `yaml:"shift_notice" json:"-"`
	// OnCallContact is oncall.sms, oncall.email and oncall.users (contact.go).
	OnCallContact `yaml:",inline"`

	parsed []*oncall.Schedule
}

// OnCallSchedule is one schedule: layers combined by priority, plus overrides.
type OnCallSchedule struct {
	Name string `yaml:"name" json:"name"`
	// TimeZone is the IANA zone of hand-offs, restrictions and local override times.
	TimeZone  string           `yaml:"time_zone" json:"time_zone"`
	Layers    []OnCallLayer    `yaml:"layers" json:"layers"`
	Overrides []OnCallOverride `yaml:"overrides" json:"overrides"`
}

// OnCallLayer is one rotation.
type OnCallLayer struct {
	Name         string   `yaml:"name" json:"name"`
	Participants []string `yaml:"participants" json:"participants"`
	// Shift is a count and a unit: "12h", "1d", "2w".
	Shift string `yaml:"shift" json:"shift"`
	// HandOff is when participants[0]'s first shift starts: local "2026-01-05 09:00" in
	// the layer's zone, or RFC 3339.
	HandOff  string `yaml:"hand_off" json:"hand_off"`
	Priority int    `yaml:"priority" json:"priority"`
	// TimeZone, if set, replaces the schedule's zone for this layer.
	TimeZone     string              `yaml:"time_zone" json:"time_zone"`
	Restrictions []OnCallRestriction `yaml:"restrictions" json:"restrictions"`
}

// OnCallRestriction is a window of local time, from (inclusive) to (exclusive), on the
// listed days (mon … sun; empty: every day).
type OnCallRestriction struct {
	Days []string `yaml:"days" json:"days"`
	From string   `yaml:"from" json:"from"`
	To   string   `yaml:"to" json:"to"`
}

// OnCallOverride puts Who on call from Start to End, for Covers only (when set).
type OnCallOverride struct {
	Who    string `yaml:"who" json:"who"`
	Covers string `yaml:"covers" json:"covers"`
	Start  string `yaml:"start" json:"start"`
	End    string `yaml:"end" json:"end"`
}

// MaxOnCallSchedules bounds oncall.schedules.
const MaxOnCallSchedules = 1000

var (
	shiftRe    = regexp.MustCompile(`^([0-9]{1,4})([hdw])$`)
	clockRe    = regexp.MustCompile(`^([0-9]{2}):([0-9]{2})$`)
	scheduleRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
)

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// Parsed returns the validated schedules in the order configured. They are shared:
// callers must not modify them.
func (x *OnCall) Parsed() []*oncall.Schedule { return x.parsed }

// Schedule returns the schedule of that name, or nil.
func (x *OnCall) Schedule(name string) *oncall.Schedule {
	for _, s := range x.parsed {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func (x *OnCall) validate() error {
	x.parsed = nil
	if d := x.ShiftNotice.D(); d < 0 || d != 0 && d < time.Minute || d > 24*time.Hour {
		return &Error{"oncall.shift_notice", "must be 0 (no notices) or between 1m and 24h"}
	}
	if err := x.Receipts.validate(); err != nil {
		return err
	}
	if len(x.Schedules) > MaxOnCallSchedules {
		return &Error{"oncall.schedules", fmt.Sprintf("at most %d schedules (got %d)", MaxOnCallSchedules, len(x.Schedules))}
	}
	names := map[string]int{}
	for i := range x.Schedules {
		key := fmt.Sprintf("oncall.schedules[%d]", i)
		s, err := x.Schedules[i].convert()
		if err != nil {
			var ce *Error
			if errors.As(err, &ce) {
				return &Error{key + "." + ce.Key, ce.Msg}
			}
			return &Error{key, err.Error()}
		}
		if j, dup := names[s.Name]; dup {
			return &Error{key + ".name", fmt.Sprintf("%q is already the name of oncall.schedules[%d]", s.Name, j)}
		}
		names[s.Name] = i
		x.parsed = append(x.parsed, s)
	}
	return nil
}

// Convert parses one schedule as the API and the console submit it (the YAML shape, in JSON
// or from a form); errors are *Error with keys relative to the schedule (layers[1].shift).
func (c *OnCallSchedule) Convert() (*oncall.Schedule, error) { return c.convert() }

// OnCallScheduleOf writes a schedule in the config's shape: hand-offs and override times as
// local times in their zone ("2026-01-05 09:00", seconds when they have some), the inverse of
// Convert.
func OnCallScheduleOf(s *oncall.Schedule) OnCallSchedule {
	loc := s.TimeZone
	if loc == nil {
		loc = time.UTC
	}
	local := func(t time.Time, in *time.Location) string {
		lt := t.In(in)
		layout := "2006-01-02 15:04"
		if lt.Second() != 0 {
			layout = "2006-01-02 15:04:05"
		}
		v := lt.Format(layout)
		// A reading the clock shows twice (the repeated autumn hour) would parse back as
		// the first of the two: write such an instant in RFC 3339.
		if back, err := time.ParseInLocation(layout, v, in); err != nil || !back.Equal(t.Truncate(time.Second)) {
			return lt.Format(time.RFC3339)
		}
		return v
	}
	out := OnCallSchedule{Name: s.Name, TimeZone: loc.String(), Layers: []OnCallLayer{}, Overrides: []OnCallOverride{}}
	for _, l := range s.Layers {
		ll := OnCallLayer{Name: l.Name, Participants: l.Participants, Shift: l.Shift.String(), Priority: l.Priority, Restrictions: []OnCallRestriction{}}
		lloc := loc
		if l.TimeZone != nil {
			ll.TimeZone, lloc = l.TimeZone.String(), l.TimeZone
		}
		ll.HandOff = local(l.HandOff, lloc)
		for _, r := range l.Restrictions {
			rr := OnCallRestriction{Days: []string{}, From: r.From.String(), To: r.To.String()}
			for _, d := range r.Weekdays {
				rr.Days = append(rr.Days, strings.ToLower(d.String()[:3]))
			}
			ll.Restrictions = append(ll.Restrictions, rr)
		}
		out.Layers = append(out.Layers, ll)
	}
	for _, o := range s.Overrides {
		out.Overrides = append(out.Overrides, OnCallOverride{Who: o.Who, Covers: o.Covers, Start: local(o.Start, loc), End: local(o.End, loc)})
	}
	return out
}

// convert parses one schedule; errors are *Error with keys relative to the schedule.
func (c *OnCallSchedule) convert() (*oncall.Schedule, error) {
	if !scheduleRe.MatchString(c.Name) {
		return nil, &Error{"name", fmt.Sprintf("%q must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit", c.Name)}
	}
	s := &oncall.Schedule{Name: c.Name}
	loc, err := oncall.ParseZone(c.TimeZone)
	if err != nil {
		return nil, &Error{"time_zone", strings.TrimPrefix(err.Error(), "time_zone: ")}
	}
	s.TimeZone = loc
	if len(c.Layers) == 0 {
		return nil, &Error{"layers", "at least one layer is required"}
	}
	for i, l := range c.Layers {
		key := fmt.Sprintf("layers[%d]", i)
		layer := oncall.Layer{Name: l.Name, Participants: l.Participants, Priority: l.Priority}
		lloc := loc
		if l.TimeZone != "" {
			z, err := oncall.ParseZone(l.TimeZone)
			if err != nil {
				return nil, &Error{key + ".time_zone", strings.TrimPrefix(err.Error(), "time_zone: ")}
			}
			layer.TimeZone, lloc = z, z
		}
		if layer.Shift, err = parseShift(l.Shift); err != nil {
			return nil, &Error{key + ".shift", err.Error()}
		}
		if layer.HandOff, err = parseOnCallTime(l.HandOff, lloc); err != nil {
			return nil, &Error{key + ".hand_off", err.Error()}
		}
		for j, r := range l.Restrictions {
			rkey := fmt.Sprintf("%s.restrictions[%d]", key, j)
			var rr oncall.Restriction
			for k, d := range r.Days {
				wd, ok := weekdayNames[strings.ToLower(strings.TrimSpace(d))]
				if !ok {
					return nil, &Error{fmt.Sprintf("%s.days[%d]", rkey, k), fmt.Sprintf("%q is not a day (mon, tue, wed, thu, fri, sat, sun)", d)}
				}
				rr.Weekdays = append(rr.Weekdays, wd)
			}
			if rr.From, err = parseClock(r.From, false); err != nil {
				return nil, &Error{rkey + ".from", err.Error()}
			}
			if rr.To, err = parseClock(r.To, true); err != nil {
				return nil, &Error{rkey + ".to", err.Error()}
			}
			layer.Restrictions = append(layer.Restrictions, rr)
		}
		s.Layers = append(s.Layers, layer)
	}
	for i, o := range c.Overrides {
		key := fmt.Sprintf("overrides[%d]", i)
		ov := oncall.Override{Who: o.Who, Covers: o.Covers}
		if ov.Start, err = parseOnCallTime(o.Start, loc); err != nil {
			return nil, &Error{key + ".start", err.Error()}
		}
		if ov.End, err = parseOnCallTime(o.End, loc); err != nil {
			return nil, &Error{key + ".end", err.Error()}
		}
		s.Overrides = append(s.Overrides, ov)
	}
	if err := oncall.Validate(s); err != nil {
		// The engine's errors are "field: message"; report the first with its key.
		first := err
		if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 0 {
			first = j.Unwrap()[0]
		}
		field, msg, ok := strings.Cut(first.Error(), ": ")
		if !ok {
			return nil, &Error{"", first.Error()}
		}
		// The config's shift is one key, not unit and count.
		field = strings.TrimSuffix(strings.TrimSuffix(field, ".unit"), ".count")
		field = strings.Replace(field, ".weekdays[", ".days[", 1)
		return nil, &Error{field, msg}
	}
	return s, nil
}

// parseShift parses "12h", "1d", "2w".
func parseShift(v string) (oncall.ShiftLength, error) {
	m := shiftRe.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return oncall.ShiftLength{}, fmt.Errorf("%q is not a shift length: a count and h, d or w (12h, 1d, 1w)", v)
	}
	n, _ := strconv.Atoi(m[1])
	if n < 1 || n > oncall.MaxShiftCount {
		return oncall.ShiftLength{}, fmt.Errorf("%q: the count must be from 1 to %d", v, oncall.MaxShiftCount)
	}
	unit := map[string]oncall.Unit{"h": oncall.Hours, "d": oncall.Days, "w": oncall.Weeks}[m[2]]
	return oncall.ShiftLength{Unit: unit, Count: n}, nil
}

// parseClock parses "HH:MM"; "24:00" only when end is set.
func parseClock(v string, end bool) (oncall.Clock, error) {
	m := clockRe.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", v)
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	if mi > 59 || h > 24 || (h == 24 && (mi != 0 || !end)) {
		if end {
			return 0, fmt.Errorf("%q is not a time of day from 00:01 to 24:00", v)
		}
		return 0, fmt.Errorf("%q is not a time of day from 00:00 to 23:59", v)
	}
	return oncall.At(h, mi), nil
}

// parseOnCallTime parses RFC 3339 or a local "2026-01-05 09:00" (seconds optional) in loc.
func parseOnCallTime(v string, loc *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, errors.New("missing (RFC 3339, or local time such as \"2026-01-05 09:00\")")
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor local time such as \"2026-01-05 09:00\"", v)
}
