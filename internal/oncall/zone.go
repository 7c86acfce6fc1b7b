package oncall

import "time"

// Wall-clock arithmetic. A "wall" value is a local reading expressed as seconds since
// 1970-01-01 00:00 on the local calendar (the Unix time the reading would be in UTC), so
// adding 86400 moves one calendar day whatever daylight saving does.

const secondsPerDay = 86400

// wallOf is the local wall-clock reading of t in loc.
func wallOf(t time.Time, loc *time.Location) int64 {
	_, off := t.In(loc).Zone()
	return t.Unix() + int64(off)
}

func offsetAt(unix int64, loc *time.Location) int64 {
	_, off := time.Unix(unix, 0).In(loc).Zone()
	return int64(off)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// weekdayOfDay is the weekday of local calendar day d (days since 1970-01-01, a Thursday).
func weekdayOfDay(d int64) time.Weekday {
	w := (d + 4) % 7
	if w < 0 {
		w += 7
	}
	return time.Weekday(w)
}

// instantsOf returns the instants (0, 1 or 2, ascending) at which the clock in loc reads w:
// none inside a spring-forward gap, two inside a fall-back overlap.
func instantsOf(w int64, loc *time.Location) (out [2]time.Time, n int) {
	offA := offsetAt(w-secondsPerDay, loc)
	offB := offsetAt(w+secondsPerDay, loc)
	u := w - offA
	if offsetAt(u, loc) == offA {
		out[n] = time.Unix(u, 0)
		n++
	}
	if offB != offA {
		v := w - offB
		if offsetAt(v, loc) == offB {
			out[n] = time.Unix(v, 0)
			n++
			if n == 2 && out[1].Before(out[0]) {
				out[0], out[1] = out[1], out[0]
			}
		}
	}
	return out, n
}

// resolve returns the first instant at which the clock in loc reads w or later: the
// earlier of two readings in a fall-back overlap, and the moment the clocks jump when w
// falls in a spring-forward gap (a 02:30 hand-off on a day without 02:30 happens at the
// jump, 03:00 new time).
func resolve(w int64, loc *time.Location) time.Time {
	ins, n := instantsOf(w, loc)
	if n > 0 {
		return ins[0]
	}
	// In a gap: w-offBefore lies after the jump; the zone period it is in began at the jump.
	u := time.Unix(w-offsetAt(w-secondsPerDay, loc), 0).In(loc)
	start, _ := u.ZoneBounds()
	if start.IsZero() || start.After(u) {
		return u
	}
	return start
}
