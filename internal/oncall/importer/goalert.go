package importer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/oncall"
)

// GoAlertQuery is the GraphQL query whose answer GoAlert converts (docs/oncall.md): the
// schedule with its targets and rules, and the rotations with their users and current
// position. POST it to GoAlert's /api/graphql with {"query": …, "variables": {"id": …}}.
const GoAlertQuery = `query ($id: ID!) {
  schedule(id: $id) { name timeZone targets { target { id type name } rules { start end weekdayFilter } } }
  rotations(input: {first: 100}) { nodes { id name type shiftLength start timeZone activeUserIndex users { id name email } } }
}`

// The shapes of GoAlert's GraphQL API: Schedule, ScheduleTarget, ScheduleRule, Rotation.
type gaDoc struct {
	Data *gaData `json:"data"`
	gaData
}

type gaData struct {
	Schedule  *gaSchedule     `json:"schedule"`
	Rotations json.RawMessage `json:"rotations"`
}

type gaSchedule struct {
	Name     string     `json:"name"`
	TimeZone string     `json:"timeZone"`
	Targets  []gaTarget `json:"targets"`
}

type gaTarget struct {
	Target struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"target"`
	Rules []gaRule `json:"rules"`
}

type gaRule struct {
	Start         string `json:"start"`
	End           string `json:"end"`
	WeekdayFilter []bool `json:"weekdayFilter"`
}

type gaRotation struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Type            string   `json:"type"`
	ShiftLength     int      `json:"shiftLength"`
	Start           string   `json:"start"`
	TimeZone        string   `json:"timeZone"`
	ActiveUserIndex *int     `json:"activeUserIndex"`
	Users           []gaUser `json:"users"`
	UserIDs         []string `json:"userIDs"`
}

type gaUser struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

var gaClockRe = regexp.MustCompile(`^([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?$`)

// GoAlert converts the answer to GoAlertQuery ({"data": {"schedule": …, "rotations":
// {"nodes": […]}}}; "data" and "nodes" may be left out).
//
// Semantics carried over:
//   - Each target of the schedule becomes one layer: a rotation target takes the
//     rotation's users and shift, a user target is a layer of that one user. The target's
//     rules become the layer's restrictions, in the schedule's zone: weekdayFilter is
//     Sunday first; a rule whose end is not after its start runs past midnight into the
//     next day (start == end: 24 hours), and such windows are split at midnight.
//   - GoAlert keeps a rotation's position as state (activeUserIndex), not as a formula
//     from its start: the hand-off is the start of the current shift (at Options.Now),
//     counted from the rotation's start as GoAlert does, with the active user first.
//   - daily and weekly rotations keep the wall-clock hand-off in the rotation's zone, as
//     opsdesk's "d" and "w" do.
//
// Approximated (noted): GoAlert pages every target active at once, opsdesk one person per
// schedule (the first listed layer wins where rules overlap); hourly rotations add
// wall-clock hours in GoAlert and real hours in opsdesk (they differ by an hour across a
// daylight saving change); overrides are not carried over.
func GoAlert(export []byte, opt Options) (*Result, error) {
	var doc gaDoc
	if err := json.Unmarshal(export, &doc); err != nil {
		return nil, fmt.Errorf("not the JSON of GoAlert's GraphQL schedule query: %w", err)
	}
	d, prefix := &doc.gaData, ""
	if doc.Data != nil {
		d, prefix = doc.Data, "data."
	}
	s := d.Schedule
	if s == nil {
		return nil, fieldErr(prefix+"schedule", "missing: expected the answer to the GraphQL query in docs/oncall.md")
	}
	sf := prefix + "schedule"
	if s.TimeZone == "" && s.Targets == nil {
		return nil, fieldErr(sf, "has no timeZone and no targets: expected the answer to the GraphQL query in docs/oncall.md")
	}
	rotations, err := gaRotations(prefix+"rotations", d.Rotations)
	if err != nil {
		return nil, err
	}
	var notes []string
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }
	name, renamed, err := scheduleName(sf+".name", s.Name)
	if err != nil {
		return nil, err
	}
	if renamed {
		note("%s.name: %q is named %q in opsdesk (letters, digits, '_', '.', '-')", sf, s.Name, name)
	}
	loc, err := oncall.ParseZone(s.TimeZone)
	if err != nil {
		return nil, fieldErr(sf+".timeZone", "%q is not an IANA time zone", s.TimeZone)
	}
	out := config.OnCallSchedule{Name: name, TimeZone: loc.String()}
	taken := map[string]bool{}
	for i, t := range s.Targets {
		f := fmt.Sprintf("%s.targets[%d]", sf, i)
		var ws []window
		always, some := false, false
		for j, r := range t.Rules {
			rws, all, err := gaWindows(fmt.Sprintf("%s.rules[%d]", f, j), r)
			if err != nil {
				return nil, err
			}
			always = always || all
			some = some || all || len(rws) > 0
			ws = append(ws, rws...)
		}
		if !some {
			note("%s (%s): no rule is ever active, skipped", f, t.Target.Name)
			continue
		}
		var layer config.OnCallLayer
		switch t.Target.Type {
		case "rotation":
			r, ok := rotations[t.Target.ID]
			if !ok {
				return nil, fieldErr(f+".target.id", "rotation %q (%s) is not in rotations: add it to the query's answer", t.Target.ID, t.Target.Name)
			}
			if layer, err = gaLayer(r.field, r.rot, loc, opt, note); err != nil {
				return nil, err
			}
		case "user":
			who := t.Target.Name
			if who == "" {
				who = t.Target.ID
			}
			if who == "" {
				return nil, fieldErr(f+".target.name", "missing")
			}
			// One person, always their turn: any shift and a hand-off in the past do.
			layer = config.OnCallLayer{Name: who, Participants: []string{who}, Shift: "1w", HandOff: "2000-01-03 00:00"}
		default:
			return nil, fieldErr(f+".target.type", "%q is neither rotation nor user", t.Target.Type)
		}
		layer.Name = uniqueName(layer.Name, taken)
		if !always {
			layer.Restrictions = restrictions(ws)
		}
		out.Layers = append(out.Layers, layer)
	}
	if len(out.Layers) == 0 {
		return nil, fieldErr(sf+".targets", "no target is ever active")
	}
	if len(out.Layers) > 1 {
		note("GoAlert pages every target whose rules are active; opsdesk one person per schedule: where rules overlap, the layer listed first wins (set priorities to choose)")
	}
	note("overrides are not carried over: add the current ones under overrides")
	note("participants are GoAlert's user names; opsdesk pages them by their opsdesk user names (oncall.users): rename them to match")
	return finish(out, notes)
}

type gaRot struct {
	field string
	rot   gaRotation
}

// gaRotations reads rotations as a connection ({"nodes": […]}) or a plain list.
func gaRotations(field string, raw json.RawMessage) (map[string]gaRot, error) {
	out := map[string]gaRot{}
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	var list []gaRotation
	if err := json.Unmarshal(raw, &list); err != nil {
		var conn struct {
			Nodes []gaRotation `json:"nodes"`
		}
		if err := json.Unmarshal(raw, &conn); err != nil {
			return nil, fieldErr(field, "neither a list of rotations nor {\"nodes\": […]}")
		}
		list, field = conn.Nodes, field+".nodes"
	}
	for i, r := range list {
		out[r.ID] = gaRot{fmt.Sprintf("%s[%d]", field, i), r}
	}
	return out, nil
}

// gaLayer converts a rotation.
func gaLayer(f string, r gaRotation, schedLoc *time.Location, opt Options, note func(string, ...any)) (config.OnCallLayer, error) {
	layer := config.OnCallLayer{Name: r.Name}
	if layer.Name == "" {
		layer.Name = r.ID
	}
	n := r.ShiftLength
	if n == 0 {
		n = 1 // GoAlert's default
	}
	if n < 1 || n > oncall.MaxShiftCount {
		return layer, fieldErr(f+".shiftLength", "%d is not from 1 to %d", n, oncall.MaxShiftCount)
	}
	loc, err := oncall.ParseZone(r.TimeZone)
	if err != nil {
		return layer, fieldErr(f+".timeZone", "%q is not an IANA time zone", r.TimeZone)
	}
	start, err := parseTime(f+".start", r.Start)
	if err != nil {
		return layer, err
	}
	start = start.Truncate(time.Minute).In(loc) // GoAlert counts in whole minutes
	var step func(time.Time, int) time.Time
	switch r.Type {
	case "hourly":
		layer.Shift = fmt.Sprintf("%dh", n)
		step = func(t time.Time, k int) time.Time { return t.Add(time.Duration(k*n) * time.Hour) }
		note("%s (%s): hourly; GoAlert adds wall-clock hours, opsdesk real hours: around a daylight saving change the hand-off moves by an hour", f, layer.Name)
	case "daily":
		layer.Shift = fmt.Sprintf("%dd", n)
		step = func(t time.Time, k int) time.Time { return t.AddDate(0, 0, k*n) }
	case "weekly":
		layer.Shift = fmt.Sprintf("%dw", n)
		step = func(t time.Time, k int) time.Time { return t.AddDate(0, 0, 7*k*n) }
	default:
		return layer, fieldErr(f+".type", "%q is not hourly, daily or weekly", r.Type)
	}
	for j, u := range r.Users {
		p := u.Name
		if p == "" {
			p = u.ID
		}
		if p == "" {
			return layer, fieldErr(fmt.Sprintf("%s.users[%d].name", f, j), "missing")
		}
		layer.Participants = append(layer.Participants, p)
	}
	if len(r.Users) == 0 {
		layer.Participants = append(layer.Participants, r.UserIDs...)
	}
	if len(layer.Participants) == 0 {
		return layer, fieldErr(f+".users", "no users")
	}
	// The shift in progress at Now: its start is the hand-off, the active user first.
	cur := start
	if opt.Now.After(start) {
		// Jump close by arithmetic, then step: a rotation may be years old.
		per := step(start, 1).Sub(start)
		k := int(opt.Now.Sub(start)/per) - 1
		if k > 0 {
			cur = step(start, k)
		}
		for !step(cur, 1).After(opt.Now) {
			cur = step(cur, 1)
		}
	}
	active := 0
	if r.ActiveUserIndex != nil {
		active = *r.ActiveUserIndex
		if active < 0 || active >= len(layer.Participants) {
			return layer, fieldErr(f+".activeUserIndex", "%d is not the index of one of the %d users", active, len(layer.Participants))
		}
	} else {
		note("%s (%s): no activeUserIndex, the first user is taken to be on call now", f, layer.Name)
	}
	layer.Participants = append(append([]string{}, layer.Participants[active:]...), layer.Participants[:active]...)
	if loc.String() == schedLoc.String() {
		layer.HandOff = localTime(cur, loc)
	} else {
		// opsdesk reads a layer's restrictions in its zone, GoAlert a rule in the
		// schedule's: keep the schedule's zone and give the hand-off as an instant.
		layer.HandOff = cur.Format(time.RFC3339)
		if r.Type != "hourly" {
			note("%s (%s): rotation zone %s differs from the schedule's %s; hand-offs keep the schedule's wall clock, which may move them by an hour when only one zone changes to or from daylight saving time", f, layer.Name, loc, schedLoc)
		}
	}
	return layer, nil
}

// gaWindows reads a rule: its windows, or all when it is always active.
func gaWindows(f string, r gaRule) ([]window, bool, error) {
	if len(r.WeekdayFilter) != 7 {
		return nil, false, fieldErr(f+".weekdayFilter", "must be 7 booleans, Sunday first (got %d)", len(r.WeekdayFilter))
	}
	from, err := gaClock(f+".start", r.Start)
	if err != nil {
		return nil, false, err
	}
	to, err := gaClock(f+".end", r.End)
	if err != nil {
		return nil, false, err
	}
	length := to - from
	if length <= 0 {
		length += 1440 // overnight; start == end is a whole day
	}
	every := true
	var ws []window
	for d, on := range r.WeekdayFilter {
		if on {
			ws = append(ws, window{day: d, from: from, length: length})
		} else {
			every = false
		}
	}
	if every && from == to {
		return nil, true, nil
	}
	return ws, false, nil
}

func gaClock(f, v string) (int, error) {
	m := gaClockRe.FindStringSubmatch(v)
	if m == nil {
		return 0, fieldErr(f, "%q is not a time of day HH:MM", v)
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	if h > 23 || mi > 59 {
		return 0, fieldErr(f, "%q is not a time of day HH:MM", v)
	}
	return h*60 + mi, nil
}
