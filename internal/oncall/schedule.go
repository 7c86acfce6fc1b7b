package oncall

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Unit is the unit of a shift length.
type Unit int

const (
	// Hours counts real (elapsed) hours: a 12-hour shift is always 12 hours long.
	Hours Unit = iota + 1
	// Days counts calendar days in the layer's zone: hand-offs keep their wall-clock time.
	Days
	// Weeks counts calendar weeks (7 calendar days) in the layer's zone.
	Weeks
)

// String returns the unit's name as written in configuration ("hours", "days", "weeks").
func (u Unit) String() string {
	switch u {
	case Hours:
		return "hours"
	case Days:
		return "days"
	case Weeks:
		return "weeks"
	}
	return fmt.Sprintf("Unit(%d)", int(u))
}

// MaxShiftCount bounds ShiftLength.Count (1000 weeks is about 19 years).
const MaxShiftCount = 1000

// ShiftLength is how long one participant's shift lasts: Count units.
type ShiftLength struct {
	Unit  Unit
	Count int
}

// Clock is a time of day in minutes after local midnight: 0 is 00:00, 1440 is 24:00.
type Clock int

// At returns the Clock for hour:minute.
func At(hour, minute int) Clock { return Clock(hour*60 + minute) }

// String formats the clock as HH:MM.
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// Restriction is a window of local time during which a layer has someone on call. From is
// inclusive, To exclusive, both on the same local day (From < To ≤ 24:00); a window across
// midnight is written as two restrictions. Weekdays lists the local days the window applies
// to; empty means every day.
type Restriction struct {
	Weekdays []time.Weekday
	From, To Clock
}

// Layer is one rotation: Participants take shifts of length Shift in order, starting with
// Participants[0] at HandOff.
type Layer struct {
	Name         string
	Participants []string
	Shift        ShiftLength
	// HandOff is the instant participant 0's first shift starts (to the second). Its
	// wall-clock reading in the layer's zone is the time every later calendar hand-off keeps.
	// Before HandOff the layer has nobody.
	HandOff time.Time
	// Priority orders layers: the highest-priority layer with someone on call wins; on a
	// tie, the layer listed first.
	Priority int
	// Restrictions, if any, limit the layer to these local-time windows; outside all of
	// them the layer has nobody (and a lower-priority layer answers).
	Restrictions []Restriction
	// TimeZone, if set, replaces the schedule's zone for this layer's hand-offs and
	// restrictions (a follow-the-sun layer per region). Nil means the schedule's zone.
	TimeZone *time.Location
}

// Override puts Who on call from Start (inclusive) to End (exclusive). With Covers set it
// replaces only that person; with Covers empty it replaces whoever is on call (or fills a
// time when nobody is). Overrides apply in the order of Schedule.Overrides, which is the
// order they were created: where several overlap, the latest-created one wins.
type Override struct {
	Who    string
	Covers string
	Start  time.Time
	End    time.Time
}

// Schedule is a set of layers combined by priority, plus overrides.
type Schedule struct {
	Name      string
	TimeZone  *time.Location
	Layers    []Layer
	Overrides []Override
}

// Shift is one stretch of a calendar view: Who is on call from Start to End, through Layer
// ("" when an override fills a time no layer covers); Override tells that an override,
// not the rotation, put Who there.
type Shift struct {
	Who      string
	Start    time.Time
	End      time.Time
	Layer    string
	Override bool
}

// ParseZone loads an IANA time zone by name for Schedule.TimeZone or Layer.TimeZone. The
// error names the field ("time_zone").
func ParseZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("time_zone: %q is not an IANA time zone name (for example Asia/Tokyo)", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time_zone: unknown IANA time zone %q", name)
	}
	return loc, nil
}

// Validate reports every problem of s, each error naming its field
// (layers[1].participants[0], overrides[2].end, …).
func Validate(s *Schedule) error {
	if s == nil {
		return errors.New("schedule: missing")
	}
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(s.Name) == "" {
		add("name", "must not be empty")
	}
	checkZone := func(field string, loc *time.Location, required bool) {
		if loc == nil {
			if required {
				add(field, "missing (an IANA zone such as Asia/Tokyo)")
			}
			return
		}
		if loc == time.Local || loc.String() == "Local" {
			add(field, "must be a named IANA zone, not the machine's local zone")
		}
	}
	checkZone("time_zone", s.TimeZone, true)
	if len(s.Layers) == 0 {
		add("layers", "at least one layer is required")
	}
	names := map[string]int{}
	for i := range s.Layers {
		l := &s.Layers[i]
		f := fmt.Sprintf("layers[%d]", i)
		if strings.TrimSpace(l.Name) == "" {
			add(f+".name", "must not be empty")
		} else if j, dup := names[l.Name]; dup {
			add(f+".name", "%q is already the name of layers[%d]", l.Name, j)
		} else {
			names[l.Name] = i
		}
		if len(l.Participants) == 0 {
			add(f+".participants", "must not be empty")
		}
		for j, p := range l.Participants {
			if strings.TrimSpace(p) == "" {
				add(fmt.Sprintf("%s.participants[%d]", f, j), "must not be empty")
			}
		}
		switch l.Shift.Unit {
		case Hours, Days, Weeks:
		default:
			add(f+".shift.unit", "must be hours, days or weeks")
		}
		if l.Shift.Count <= 0 {
			add(f+".shift.count", "must be at least 1 (got %d)", l.Shift.Count)
		} else if l.Shift.Count > MaxShiftCount {
			add(f+".shift.count", "must be at most %d (got %d)", MaxShiftCount, l.Shift.Count)
		}
		if l.HandOff.IsZero() {
			add(f+".hand_off", "missing")
		}
		checkZone(f+".time_zone", l.TimeZone, false)
		for j, r := range l.Restrictions {
			rf := fmt.Sprintf("%s.restrictions[%d]", f, j)
			if r.From < 0 || r.From >= 1440 {
				add(rf+".from", "must be between 00:00 and 23:59 (got %d minutes)", int(r.From))
			}
			if r.To <= 0 || r.To > 1440 {
				add(rf+".to", "must be between 00:01 and 24:00 (got %d minutes)", int(r.To))
			} else if r.To <= r.From {
				add(rf+".to", "must be after from (%s); write a window across midnight as two", r.From)
			}
			for k, d := range r.Weekdays {
				if d < time.Sunday || d > time.Saturday {
					add(fmt.Sprintf("%s.weekdays[%d]", rf, k), "not a weekday (%d)", int(d))
				}
			}
		}
	}
	for i, o := range s.Overrides {
		f := fmt.Sprintf("overrides[%d]", i)
		if strings.TrimSpace(o.Who) == "" {
			add(f+".who", "must not be empty")
		}
		if o.Start.IsZero() {
			add(f+".start", "missing")
		}
		if o.End.IsZero() {
			add(f+".end", "missing")
		} else if !o.Start.IsZero() && !o.End.After(o.Start) {
			add(f+".end", "must be after start (%s)", o.Start.UTC().Format(time.RFC3339))
		}
	}
	return errors.Join(errs...)
}
