package oncall

import (
	"time"
	_ "time/tzdata" // the tests name zones explicitly; do not depend on the machine's zoneinfo
)

// A brute-force reference written from the documented semantics, sharing no code with the
// engine: calendar fields instead of offsets, the highest clock reading seen so far instead
// of resolving hand-off readings to instants, and no change-point search at all.

type refAnswer struct {
	who, layer string
	override   bool
}

// refDays is the number of days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar.
func refDays(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// refReading is the local clock reading at t, in seconds on the local calendar.
func refReading(t time.Time, loc *time.Location) int64 {
	lt := t.In(loc)
	y, m, d := lt.Date()
	return refDays(y, int(m), d)*86400 + int64(lt.Hour()*3600+lt.Minute()*60+lt.Second())
}

// refHighest is the highest clock reading up to t: after clocks go back it stays at the
// reading just before the change until the clock catches up (sampled by the minute, which
// is exact for minute-aligned hand-offs).
func refHighest(t time.Time, loc *time.Location) int64 {
	_, offNow := t.In(loc).Zone()
	_, offBefore := t.Add(-3 * time.Hour).In(loc).Zone()
	best := refReading(t, loc)
	if offBefore <= offNow {
		return best
	}
	for x := 1; x <= 240; x++ {
		if r := refReading(t.Add(-time.Duration(x)*time.Minute), loc); r > best {
			best = r
		}
	}
	return best
}

func refUsable(l *Layer) bool {
	return len(l.Participants) > 0 && l.Shift.Count >= 1 && l.Shift.Count <= MaxShiftCount &&
		!l.HandOff.IsZero() && (l.Shift.Unit == Hours || l.Shift.Unit == Days || l.Shift.Unit == Weeks)
}

func refLayer(s *Schedule, l *Layer, t time.Time) string {
	if !refUsable(l) {
		return ""
	}
	loc := l.TimeZone
	if loc == nil {
		loc = s.TimeZone
	}
	if loc == nil {
		loc = time.UTC
	}
	h := time.Unix(l.HandOff.Unix(), 0)
	if t.Before(h) {
		return ""
	}
	if len(l.Restrictions) > 0 {
		lt := t.In(loc)
		secs := lt.Hour()*3600 + lt.Minute()*60 + lt.Second()
		in := false
		for _, r := range l.Restrictions {
			day := len(r.Weekdays) == 0
			for _, d := range r.Weekdays {
				day = day || d == lt.Weekday()
			}
			if day && secs >= int(r.From)*60 && secs < int(r.To)*60 {
				in = true
			}
		}
		if !in {
			return ""
		}
	}
	var k int64
	switch l.Shift.Unit {
	case Hours:
		k = int64(t.Sub(h) / (time.Duration(l.Shift.Count) * time.Hour))
	case Days, Weeks:
		days := int64(l.Shift.Count)
		if l.Shift.Unit == Weeks {
			days *= 7
		}
		diff := refHighest(t, loc) - refReading(h, loc)
		if diff < 0 {
			diff = 0
		}
		k = diff / (days * 86400)
	}
	return l.Participants[int(k%int64(len(l.Participants)))]
}

func refOnCall(s *Schedule, t time.Time) refAnswer {
	var a refAnswer
	bestIdx := -1
	for i := range s.Layers {
		who := refLayer(s, &s.Layers[i], t)
		if who == "" {
			continue
		}
		if bestIdx < 0 || s.Layers[i].Priority > s.Layers[bestIdx].Priority {
			bestIdx = i
			a.who, a.layer = who, s.Layers[i].Name
		}
	}
	for _, o := range s.Overrides {
		active := o.Who != "" && !t.Before(o.Start) && t.Before(o.End)
		if !active {
			continue
		}
		switch {
		case o.Covers == "":
			a.who, a.override = o.Who, true
		case a.who != "" && a.who == o.Covers:
			a.who, a.override = o.Who, true
		}
	}
	return a
}
