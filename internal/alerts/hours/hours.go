// Package hours reads the "when may this person be called" setting of an
// on-call contact and answers whether a moment falls inside it.
//
// The text is one or more windows separated by ";":
//
//	""                                always (also "always", "24/7")
//	"09:00-18:00"                     every day, 9:00 to 18:00
//	"Mon-Fri 09:00-18:00"             weekdays
//	"Mon-Fri 09:00-18:00; Sat 10:00-14:00"
//	"Sat,Sun"                         whole days
//	"Mon-Fri 22:00-07:00"             overnight: from 22:00 on Monday to
//	                                  7:00 on Tuesday, and so on
//
// Days are English names or their first three letters, in any case;
// ranges wrap ("Fri-Mon"). Times are 24-hour HH:MM; "24:00" ends a day.
// A window's start is inside it, its end is not. Times are read in the
// location the caller passes (alerts.timezone), never in the server's.
package hours

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxLen bounds the text: a setting longer than this is refused.
const MaxLen = 500

// Hours is a parsed setting; the zero value is "always".
type Hours struct {
	windows []window
}

type window struct {
	days       [7]bool // by time.Weekday of the window's start
	start, end int     // minutes after midnight; end may be < start (overnight)
}

// Always reports whether the setting allows every moment.
func (h Hours) Always() bool { return len(h.windows) == 0 }

// Parse reads a setting. Errors say what is wrong in words an operator can
// act on.
func Parse(s string) (Hours, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxLen {
		return Hours{}, fmt.Errorf("is longer than %d characters", MaxLen)
	}
	switch strings.ToLower(s) {
	case "", "always", "24/7", "any":
		return Hours{}, nil
	}
	var h Hours
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		w, err := parseWindow(part)
		if err != nil {
			return Hours{}, fmt.Errorf("%q: %w", part, err)
		}
		h.windows = append(h.windows, w)
	}
	if len(h.windows) == 0 {
		return Hours{}, errors.New("has no window (example: Mon-Fri 09:00-18:00)")
	}
	return h, nil
}

func parseWindow(s string) (window, error) {
	var w window
	fields := strings.Fields(s)
	var dayText, timeText string
	switch len(fields) {
	case 1:
		if strings.ContainsAny(fields[0], ":") {
			timeText = fields[0]
		} else {
			dayText = fields[0]
		}
	case 2:
		dayText, timeText = fields[0], fields[1]
	default:
		return w, errors.New("write days then one time range, e.g. Mon-Fri 09:00-18:00")
	}
	if dayText == "" {
		for i := range w.days {
			w.days[i] = true
		}
	} else if err := parseDays(dayText, &w.days); err != nil {
		return w, err
	}
	if timeText == "" {
		w.start, w.end = 0, 24*60
		return w, nil
	}
	a, b, ok := strings.Cut(timeText, "-")
	if !ok {
		return w, errors.New("a time range is START-END, e.g. 09:00-18:00")
	}
	var err error
	if w.start, err = parseClock(a); err != nil {
		return w, err
	}
	if w.end, err = parseClock(b); err != nil {
		return w, err
	}
	if w.start == 24*60 {
		return w, errors.New("a window cannot start at 24:00")
	}
	if w.start == w.end {
		return w, errors.New("a window's start and end are the same time")
	}
	return w, nil
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tues": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

func parseDay(s string) (time.Weekday, error) {
	d, ok := dayNames[strings.ToLower(strings.TrimSpace(s))]
	if !ok {
		return 0, fmt.Errorf("%q is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)", s)
	}
	return d, nil
}

func parseDays(s string, days *[7]bool) error {
	for item := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(item) == "" {
			return errors.New("an empty day in the list")
		}
		a, b, isRange := strings.Cut(item, "-")
		from, err := parseDay(a)
		if err != nil {
			return err
		}
		if !isRange {
			days[from] = true
			continue
		}
		to, err := parseDay(b)
		if err != nil {
			return err
		}
		for d := from; ; d = (d + 1) % 7 {
			days[d] = true
			if d == to {
				break
			}
		}
	}
	return nil
}

func parseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) == 0 || len(hh) > 2 || len(mm) != 2 {
		return 0, fmt.Errorf("%q is not a time (HH:MM, 24-hour)", s)
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || h == 24 && m != 0 || strings.ContainsAny(hh+mm, "+-") {
		return 0, fmt.Errorf("%q is not a time (HH:MM, 24-hour)", s)
	}
	return h*60 + m, nil
}

// Contains reports whether t, read in loc (nil: UTC), is inside the
// setting.
func (h Hours) Contains(t time.Time, loc *time.Location) bool {
	if len(h.windows) == 0 {
		return true
	}
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	day := t.Weekday()
	yesterday := (day + 6) % 7
	min := t.Hour()*60 + t.Minute()
	for _, w := range h.windows {
		if w.end > w.start {
			if w.days[day] && min >= w.start && min < w.end {
				return true
			}
			continue
		}
		// Overnight: the evening part belongs to today's window, the
		// morning part to yesterday's.
		if w.days[day] && min >= w.start {
			return true
		}
		if w.days[yesterday] && min < w.end {
			return true
		}
	}
	return false
}

// String writes the setting back in its normal form ("" for always).
func (h Hours) String() string {
	var parts []string
	for _, w := range h.windows {
		var b strings.Builder
		all := true
		for _, d := range w.days {
			all = all && d
		}
		if !all {
			b.WriteString(daysString(w.days))
		}
		if w.start != 0 || w.end != 24*60 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%02d:%02d-%02d:%02d", w.start/60, w.start%60, w.end/60, w.end%60)
		}
		if b.Len() == 0 {
			b.WriteString("Mon-Sun")
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, "; ")
}

var shortDays = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// daysString lists days Monday first, folding runs of three or more into
// ranges.
func daysString(days [7]bool) string {
	order := []time.Weekday{1, 2, 3, 4, 5, 6, 0}
	var out []string
	for i := 0; i < len(order); {
		if !days[order[i]] {
			i++
			continue
		}
		j := i
		for j+1 < len(order) && days[order[j+1]] {
			j++
		}
		switch {
		case j-i >= 2:
			out = append(out, shortDays[order[i]]+"-"+shortDays[order[j]])
		case j == i:
			out = append(out, shortDays[order[i]])
		default:
			out = append(out, shortDays[order[i]], shortDays[order[j]])
		}
		i = j + 1
	}
	return strings.Join(out, ",")
}
