package importer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/oncall"
)

// The shapes of PagerDuty's REST API v2: GET /schedules/{id} answers {"schedule": …},
// GET /schedules/{id}/overrides answers {"overrides": […]}. Only the fields used are
// declared; the rest (rendered entries, escalation policies, teams) is ignored.
type pdScheduleDoc struct {
	Schedule *pdSchedule `json:"schedule"`
}

type pdSchedule struct {
	Name           string    `json:"name"`
	Summary        string    `json:"summary"`
	TimeZone       string    `json:"time_zone"`
	ScheduleLayers []pdLayer `json:"schedule_layers"`
}

type pdLayer struct {
	Name                      string          `json:"name"`
	Start                     string          `json:"start"`
	End                       *string         `json:"end"`
	RotationVirtualStart      string          `json:"rotation_virtual_start"`
	RotationTurnLengthSeconds json.Number     `json:"rotation_turn_length_seconds"`
	Users                     []pdUserEntry   `json:"users"`
	Restrictions              []pdRestriction `json:"restrictions"`
}

type pdUserEntry struct {
	User pdUserRef `json:"user"`
}

type pdUserRef struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
	Name    string `json:"name"`
	Email   string `json:"email"`
}

type pdRestriction struct {
	Type            string      `json:"type"`
	StartTimeOfDay  string      `json:"start_time_of_day"`
	DurationSeconds json.Number `json:"duration_seconds"`
	StartDayOfWeek  json.Number `json:"start_day_of_week"`
}

type pdOverridesDoc struct {
	Overrides *[]pdOverride `json:"overrides"`
}

type pdOverride struct {
	Start string    `json:"start"`
	End   string    `json:"end"`
	User  pdUserRef `json:"user"`
}

// pdUser is the opsdesk participant for a PagerDuty user: the e-mail address when the
// export has it (GET with include[]=users), else the user's name (the reference's
// summary). opsdesk pages participants by their opsdesk user names (oncall.users), so a
// note asks to check them.
func pdUser(u pdUserRef) string {
	for _, v := range []string{u.Email, u.Name, u.Summary, u.ID} {
		if v != "" {
			return v
		}
	}
	return ""
}

var pdClockRe = regexp.MustCompile(`^([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?$`)

// PagerDuty converts the JSON of PagerDuty's GET /schedules/{id}; overrides, if not nil,
// is the JSON of GET /schedules/{id}/overrides (overrides are not part of the schedule
// object, so without it none are carried over).
//
// Semantics carried over:
//   - Each schedule layer becomes one layer. In PagerDuty a layer further down the list
//     ("Layer 2" below "Layer 1" in the web UI) takes precedence over those above it, and
//     the API lists layers in that order; so the layers get priorities 0, 1, 2 … in the
//     order listed (ended layers left out), the last one wins.
//   - The hand-off is rotation_virtual_start, not start: start is only when the layer
//     took effect (often the moment someone last edited it), while the virtual start is
//     the instant the rotation is counted from — the first user's turn begins there and
//     every turn follows rotation_turn_length_seconds later. Using start would shift
//     who is on call whenever a layer was edited mid-turn.
//   - PagerDuty keeps hand-offs at the same wall-clock time across daylight saving
//     changes, so whole days and weeks become opsdesk's calendar "d" and "w"; other whole
//     hours become "h" (real hours).
//   - Restrictions are in the schedule's zone: a daily restriction is a window every
//     day, a weekly one a window from start_day_of_week (1 = Monday … 7 = Sunday); both
//     are split at midnight into per-day windows.
func PagerDuty(schedule, overrides []byte, opt Options) (*Result, error) {
	var doc pdScheduleDoc
	if err := json.Unmarshal(schedule, &doc); err != nil {
		return nil, fmt.Errorf("not the JSON of PagerDuty's GET /schedules/{id}: %w", err)
	}
	s := doc.Schedule
	if s == nil {
		// The bare schedule object (as in a POST body) is accepted too.
		var bare pdSchedule
		if err := json.Unmarshal(schedule, &bare); err != nil || bare.ScheduleLayers == nil {
			return nil, fieldErr("schedule", "missing: expected PagerDuty's GET /schedules/{id} answer {\"schedule\": {…}}")
		}
		s = &bare
	}
	var notes []string
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }
	display := s.Name
	if display == "" {
		display = s.Summary
	}
	name, renamed, err := scheduleName("schedule.name", display)
	if err != nil {
		return nil, err
	}
	if renamed {
		note("schedule.name: %q is named %q in opsdesk (letters, digits, '_', '.', '-')", display, name)
	}
	loc, err := oncall.ParseZone(s.TimeZone)
	if err != nil {
		return nil, fieldErr("schedule.time_zone", "%q is not an IANA time zone", s.TimeZone)
	}
	out := config.OnCallSchedule{Name: name, TimeZone: loc.String()}
	taken := map[string]bool{}
	people := map[string]bool{}
	for i, l := range s.ScheduleLayers {
		f := fmt.Sprintf("schedule_layers[%d]", i)
		lname := l.Name
		if lname == "" {
			lname = fmt.Sprintf("Layer %d", i+1)
		}
		if l.End != nil && *l.End != "" {
			end, err := parseTime(f+".end", *l.End)
			if err != nil {
				return nil, err
			}
			if !end.After(opt.Now) {
				note("%s (%s): ended %s, skipped", f, lname, end.In(loc).Format("2006-01-02 15:04"))
				continue
			}
			note("%s (%s): ends %s in PagerDuty; opsdesk layers do not end, remove it then", f, lname, end.In(loc).Format("2006-01-02 15:04"))
		}
		if l.Start != "" {
			start, err := parseTime(f+".start", l.Start)
			if err != nil {
				return nil, err
			}
			if start.After(opt.Now) {
				note("%s (%s): takes effect %s in PagerDuty; in opsdesk it counts from its hand-off, add it then", f, lname, start.In(loc).Format("2006-01-02 15:04"))
			}
		}
		layer := config.OnCallLayer{Name: uniqueName(lname, taken), Priority: len(out.Layers)}
		if len(l.Users) == 0 {
			return nil, fieldErr(f+".users", "no users")
		}
		for j, u := range l.Users {
			p := pdUser(u.User)
			if p == "" {
				return nil, fieldErr(fmt.Sprintf("%s.users[%d].user", f, j), "has no summary, name, email or id")
			}
			layer.Participants = append(layer.Participants, p)
			people[p] = true
		}
		if layer.Shift, err = pdShift(f+".rotation_turn_length_seconds", l.RotationTurnLengthSeconds); err != nil {
			return nil, err
		}
		if strings.HasSuffix(layer.Shift, "h") {
			note("%s (%s): %s shifts count real hours in opsdesk; check the hand-offs around a daylight saving change against PagerDuty's", f, lname, layer.Shift)
		}
		vs, err := parseTime(f+".rotation_virtual_start", l.RotationVirtualStart)
		if err != nil {
			return nil, err
		}
		if vs.Nanosecond() != 0 {
			return nil, fieldErr(f+".rotation_virtual_start", "%q has fractions of a second", l.RotationVirtualStart)
		}
		layer.HandOff = localTime(vs, loc)
		var ws []window
		for j, r := range l.Restrictions {
			w, err := pdWindow(fmt.Sprintf("%s.restrictions[%d]", f, j), r)
			if err != nil {
				return nil, err
			}
			ws = append(ws, w)
		}
		layer.Restrictions = restrictions(ws)
		out.Layers = append(out.Layers, layer)
	}
	if len(out.Layers) == 0 {
		return nil, fieldErr("schedule.schedule_layers", "no layer is in effect (none, or all ended)")
	}
	if overrides != nil {
		var od pdOverridesDoc
		if err := json.Unmarshal(overrides, &od); err != nil || od.Overrides == nil {
			return nil, fieldErr("overrides", "missing: expected PagerDuty's GET /schedules/{id}/overrides answer {\"overrides\": […]}")
		}
		past := 0
		for i, o := range *od.Overrides {
			f := fmt.Sprintf("overrides[%d]", i)
			start, err := parseTime(f+".start", o.Start)
			if err != nil {
				return nil, err
			}
			end, err := parseTime(f+".end", o.End)
			if err != nil {
				return nil, err
			}
			if !end.After(start) {
				return nil, fieldErr(f+".end", "%s is not after start %s", o.End, o.Start)
			}
			if !end.After(opt.Now) {
				past++
				continue
			}
			who := pdUser(o.User)
			if who == "" {
				return nil, fieldErr(f+".user", "has no summary, name, email or id")
			}
			people[who] = true
			// A PagerDuty override replaces whoever the layers put on call: no covers.
			out.Overrides = append(out.Overrides, config.OnCallOverride{Who: who, Start: localTime(start, loc), End: localTime(end, loc)})
		}
		if past > 0 {
			note("overrides: %d already over, skipped", past)
		}
	} else {
		note("overrides are not part of PagerDuty's schedule object: pass GET /schedules/{id}/overrides?since=…&until=… with --overrides to carry them over")
	}
	if len(out.Layers) > 1 {
		note("layers: the later in schedule_layers has the higher priority (PagerDuty's bottom layer wins); if your export lists them top-down reversed, reverse the priorities")
	}
	note("participants are PagerDuty's user names or e-mail addresses (%d people); opsdesk pages them by their opsdesk user names (oncall.users): rename them to match", len(people))
	return finish(out, notes)
}

// pdShift turns rotation_turn_length_seconds into a shift: whole weeks, days or hours.
func pdShift(field string, v json.Number) (string, error) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || n <= 0 {
		return "", fieldErr(field, "%q is not a positive whole number of seconds", string(v))
	}
	var count int64
	var unit string
	switch {
	case n%(7*86400) == 0:
		count, unit = n/(7*86400), "w"
	case n%86400 == 0:
		count, unit = n/86400, "d"
	case n%3600 == 0:
		count, unit = n/3600, "h"
	default:
		return "", fieldErr(field, "%d s is not a whole number of hours", n)
	}
	if count > oncall.MaxShiftCount {
		return "", fieldErr(field, "%d s is %d%s, more than opsdesk's %d", n, count, unit, oncall.MaxShiftCount)
	}
	return fmt.Sprintf("%d%s", count, unit), nil
}

// pdWindow reads one restriction.
func pdWindow(field string, r pdRestriction) (window, error) {
	m := pdClockRe.FindStringSubmatch(r.StartTimeOfDay)
	if m == nil {
		return window{}, fieldErr(field+".start_time_of_day", "%q is not a time of day HH:MM:SS", r.StartTimeOfDay)
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	if h > 23 || mi > 59 {
		return window{}, fieldErr(field+".start_time_of_day", "%q is not a time of day HH:MM:SS", r.StartTimeOfDay)
	}
	if m[3] != "" && m[3] != "00" {
		return window{}, fieldErr(field+".start_time_of_day", "%q: opsdesk restrictions are in whole minutes", r.StartTimeOfDay)
	}
	d, err := strconv.ParseInt(string(r.DurationSeconds), 10, 64)
	if err != nil || d <= 0 {
		return window{}, fieldErr(field+".duration_seconds", "%q is not a positive whole number of seconds", string(r.DurationSeconds))
	}
	if d%60 != 0 {
		return window{}, fieldErr(field+".duration_seconds", "%d s is not a whole number of minutes", d)
	}
	w := window{day: -1, from: h*60 + mi, length: int(min(d, 7*86400) / 60)}
	switch r.Type {
	case "daily_restriction":
		if d > 86400 {
			return window{}, fieldErr(field+".duration_seconds", "%d s is longer than a day", d)
		}
	case "weekly_restriction":
		if d > 7*86400 {
			return window{}, fieldErr(field+".duration_seconds", "%d s is longer than a week", d)
		}
		day, err := strconv.Atoi(string(r.StartDayOfWeek))
		if err != nil || day < 1 || day > 7 {
			return window{}, fieldErr(field+".start_day_of_week", "%q is not a day from 1 (Monday) to 7 (Sunday)", string(r.StartDayOfWeek))
		}
		w.day = day % 7 // ISO 8601 to time.Weekday: 7 (Sunday) is 0
	default:
		return window{}, fieldErr(field+".type", "%q is neither daily_restriction nor weekly_restriction", r.Type)
	}
	return w, nil
}
