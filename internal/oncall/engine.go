package oncall

import "time"

// lookAhead bounds how far OnCall and Shifts search for the next change of the answer.
const lookAhead = 400 * 24 * time.Hour

type answer struct {
	who, layer string
	override   bool
}

func scheduleZone(s *Schedule) *time.Location {
	if s.TimeZone == nil {
		return time.UTC
	}
	return s.TimeZone
}

func layerZone(s *Schedule, l *Layer) *time.Location {
	if l.TimeZone != nil {
		return l.TimeZone
	}
	return scheduleZone(s)
}

// usable reports whether the engine can evaluate l; OnCall and Shifts ignore layers that
// Validate would reject, so they never panic on bad input.
func usable(l *Layer) bool {
	if len(l.Participants) == 0 || l.Shift.Count <= 0 || l.Shift.Count > MaxShiftCount || l.HandOff.IsZero() {
		return false
	}
	switch l.Shift.Unit {
	case Hours, Days, Weeks:
		return true
	}
	return false
}

func handOff(l *Layer) time.Time { return l.HandOff.Truncate(time.Second) }

// period is the shift length in seconds: real seconds for Hours, wall seconds otherwise.
func period(l *Layer) int64 {
	c := int64(l.Shift.Count)
	switch l.Shift.Unit {
	case Hours:
		return c * 3600
	case Days:
		return c * secondsPerDay
	default:
		return c * 7 * secondsPerDay
	}
}

// shiftStart is the instant shift k (k ≥ 0) begins.
func shiftStart(l *Layer, k int64, loc *time.Location) time.Time {
	h := handOff(l)
	if k == 0 {
		return h
	}
	if l.Shift.Unit == Hours {
		return time.Unix(h.Unix()+k*period(l), 0) // seconds: no Duration overflow for far hand-offs
	}
	return resolve(wallOf(h, loc)+k*period(l), loc)
}

// shiftIndex returns the shift in progress at t (t at or after the hand-off).
func shiftIndex(l *Layer, t time.Time, loc *time.Location) int64 {
	h := handOff(l)
	p := period(l)
	if l.Shift.Unit == Hours {
		return floorDiv(t.Unix()-h.Unix(), p)
	}
	k := floorDiv(wallOf(t, loc)-wallOf(h, loc), p)
	if k < 0 {
		k = 0
	}
	for k > 0 && shiftStart(l, k, loc).After(t) {
		k--
	}
	for !shiftStart(l, k+1, loc).After(t) {
		k++
	}
	return k
}

func restricted(l *Layer, t time.Time, loc *time.Location) bool {
	if len(l.Restrictions) == 0 {
		return false
	}
	w := wallOf(t, loc)
	day := floorDiv(w, secondsPerDay)
	sod := w - day*secondsPerDay
	wd := weekdayOfDay(day)
	for i := range l.Restrictions {
		r := &l.Restrictions[i]
		if appliesOn(r, wd) && int64(r.From)*60 <= sod && sod < int64(r.To)*60 {
			return false
		}
	}
	return true
}

func appliesOn(r *Restriction, wd time.Weekday) bool {
	if len(r.Weekdays) == 0 {
		return true
	}
	for _, d := range r.Weekdays {
		if d == wd {
			return true
		}
	}
	return false
}

// layerAt returns who l has on call at t, "" for nobody.
func layerAt(s *Schedule, l *Layer, t time.Time) string {
	if !usable(l) || t.Before(handOff(l)) {
		return ""
	}
	loc := layerZone(s, l)
	if restricted(l, t, loc) {
		return ""
	}
	k := shiftIndex(l, t, loc)
	return l.Participants[k%int64(len(l.Participants))]
}

func evaluate(s *Schedule, t time.Time) answer {
	var a answer
	found, best := false, 0
	for i := range s.Layers {
		l := &s.Layers[i]
		if found && l.Priority <= best {
			continue
		}
		if who := layerAt(s, l, t); who != "" {
			a.who, a.layer, best, found = who, l.Name, l.Priority, true
		}
	}
	for i := range s.Overrides {
		o := &s.Overrides[i]
		if o.Who == "" || t.Before(o.Start) || !t.Before(o.End) {
			continue
		}
		if o.Covers == "" || (a.who != "" && o.Covers == a.who) {
			a.who, a.override = o.Who, true
		}
	}
	return a
}

// OnCall returns who is on call in s at t, through which layer ("" when an override fills
// a time no layer covers), and until: the next instant at which who or layer changes. who
// is "" when nobody is on call. until is the zero time when the answer does not change
// within 400 days after t; otherwise it is in the schedule's zone.
func OnCall(s *Schedule, t time.Time) (who, layer string, until time.Time) {
	if s == nil {
		return "", "", time.Time{}
	}
	a := evaluate(s, t)
	until = nextChange(s, t, a, false)
	if !until.IsZero() {
		until = until.In(scheduleZone(s))
	}
	return a.who, a.layer, until
}

// Shifts returns the calendar of s between from and to: maximal stretches with the same
// person, layer and override flag, in order, clipped to [from, to). Times nobody is on call
// are left out. Start and End are in the schedule's zone.
func Shifts(s *Schedule, from, to time.Time) []Shift {
	var out []Shift
	if s == nil {
		return nil
	}
	loc := scheduleZone(s)
	for cur := from; cur.Before(to); {
		a := evaluate(s, cur)
		end := to
		if next := nextChange(s, cur, a, true); !next.IsZero() && next.Before(to) {
			end = next
		}
		if a.who != "" {
			out = append(out, Shift{Who: a.who, Start: cur.In(loc), End: end.In(loc), Layer: a.layer, Override: a.override})
		}
		cur = end
	}
	return out
}

// nextChange walks the instants where something could change (hand-offs, restriction
// edges, zone transitions, override edges) and returns the first where the answer does.
func nextChange(s *Schedule, t time.Time, a answer, full bool) time.Time {
	limit := t.Add(lookAhead)
	cur := t
	for {
		c := nextCandidate(s, cur)
		if c.IsZero() || c.After(limit) {
			return time.Time{}
		}
		b := evaluate(s, c)
		if b.who != a.who || b.layer != a.layer || (full && b.override != a.override) {
			return c
		}
		cur = c
	}
}

func earliest(best, c, after time.Time) time.Time {
	if c.After(after) && (best.IsZero() || c.Before(best)) {
		return c
	}
	return best
}

func nextCandidate(s *Schedule, cur time.Time) time.Time {
	var best time.Time
	for i := range s.Overrides {
		o := &s.Overrides[i]
		best = earliest(best, o.Start, cur)
		best = earliest(best, o.End, cur)
	}
	for i := range s.Layers {
		l := &s.Layers[i]
		if !usable(l) {
			continue
		}
		loc := layerZone(s, l)
		h := handOff(l)
		if cur.Before(h) {
			best = earliest(best, h, cur)
		} else if !sameEveryone(l.Participants) {
			best = earliest(best, shiftStart(l, shiftIndex(l, cur, loc)+1, loc), cur)
		}
		if len(l.Restrictions) > 0 {
			best = nextRestrictionEdge(l, cur, loc, best)
		}
	}
	return best
}

func sameEveryone(p []string) bool {
	for _, x := range p[1:] {
		if x != p[0] {
			return false
		}
	}
	return true
}

// nextRestrictionEdge lowers best to the first instant after cur at which the clock reads
// a window's edge, or the zone's next transition (where the clock jumps).
func nextRestrictionEdge(l *Layer, cur time.Time, loc *time.Location, best time.Time) time.Time {
	if _, end := cur.In(loc).ZoneBounds(); !end.IsZero() {
		best = earliest(best, end, cur)
	}
	day := floorDiv(wallOf(cur, loc), secondsPerDay)
	for d := day - 1; d <= day+8; d++ {
		wd := weekdayOfDay(d)
		for i := range l.Restrictions {
			r := &l.Restrictions[i]
			if !appliesOn(r, wd) {
				continue
			}
			for _, edge := range [2]Clock{r.From, r.To} {
				ins, n := instantsOf(d*secondsPerDay+int64(edge)*60, loc)
				for j := 0; j < n; j++ {
					best = earliest(best, ins[j], cur)
				}
			}
		}
		// Every reading on a later day is at least (d+1) days minus the largest UTC offset.
		if !best.IsZero() && best.Unix() < (d+1)*secondsPerDay-15*3600 {
			break
		}
	}
	return best
}
