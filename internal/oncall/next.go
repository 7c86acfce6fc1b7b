package oncall

import "time"

// Next returns who is on call next after the answer OnCall gives at t: the first later
// stretch with someone on call and a different person or layer, from start until until
// (zero when that answer does not change within the look-ahead). ok is false when nobody
// else comes on call within 400 days of t.
func Next(s *Schedule, t time.Time) (who, layer string, start, until time.Time, ok bool) {
	limit := t.Add(lookAhead)
	_, _, cur := OnCall(s, t)
	for !cur.IsZero() && !cur.After(limit) {
		who, layer, until = OnCall(s, cur)
		if who != "" {
			return who, layer, cur, until, true
		}
		cur = until
	}
	return "", "", time.Time{}, time.Time{}, false
}
