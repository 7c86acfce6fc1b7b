// Package importer converts another on-call tool's schedule into opsdesk's
// oncall.schedules YAML (docs/oncall.md, "Moving from PagerDuty or GoAlert"): a team moves
// its rotation by pasting the output into its config, or by PUTting it to
// /api/v1/oncall/{schedule}.
//
// The converters read what the other tool's API returns (PagerDuty's REST API v2
// GET /schedules/{id}, GoAlert's GraphQL schedule and rotations) and never call it
// themselves. What cannot be carried over exactly is reported in Result.Notes, never
// silently dropped.
package importer

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/opsdesk/opsdesk/internal/config"
)

// MaxInput bounds an export file: a schedule is a few kilobytes.
const MaxInput = 8 << 20

// Options are what a conversion needs besides the export.
type Options struct {
	// Now decides which layers and overrides are over (skipped) and, for GoAlert, where
	// the rotation stands; the CLI passes time.Now().
	Now time.Time
}

// Result is a converted schedule.
type Result struct {
	// Schedule is the schedule in the config's shape.
	Schedule config.OnCallSchedule
	// YAML is Schedule under oncall.schedules, ready to paste into the config.
	YAML []byte
	// Notes say what was approximated, skipped or must be checked by hand.
	Notes []string
}

// FieldError is a problem of the export, naming the field as the other tool spells it
// (schedule_layers[1].rotation_turn_length_seconds).
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{field, fmt.Sprintf(format, args...)}
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// scheduleName turns another tool's display name ("Platform Primary") into an opsdesk
// schedule name ("platform-primary").
func scheduleName(field, name string) (string, bool, error) {
	if nameRe.MatchString(name) {
		return name, false, nil
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.'
		if ok {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-._")
	if len(out) > 64 {
		out = strings.TrimRight(out[:64], "-._")
	}
	if !nameRe.MatchString(out) {
		return "", false, fieldErr(field, "%q has no letters or digits to name the opsdesk schedule by", name)
	}
	return out, true, nil
}

// uniqueName returns name, or name with " (2)", " (3)" … when a layer already has it.
func uniqueName(name string, taken map[string]bool) string {
	out := name
	for i := 2; taken[out]; i++ {
		out = fmt.Sprintf("%s (%d)", name, i)
	}
	taken[out] = true
	return out
}

// window is a stretch of local time that starts on weekday day (or every day, when
// day < 0) at minute from and lasts length minutes, possibly past midnight.
type window struct {
	day          int // time.Weekday, or -1 for every day
	from, length int // minutes
}

// restrictions splits windows at local midnight into opsdesk restrictions (from, to on
// one day), joining pieces with the same from and to into one restriction.
func restrictions(ws []window) []config.OnCallRestriction {
	type key struct{ from, to int }
	days := map[key]map[int]bool{}
	var order []key
	add := func(day, from, to int) {
		k := key{from, to}
		if days[k] == nil {
			days[k] = map[int]bool{}
			order = append(order, k)
		}
		days[k][day] = true
	}
	for _, w := range ws {
		start, end := w.from, w.from+w.length
		for d := 0; start < end; d++ {
			to := min(end, 1440)
			day := -1
			if w.day >= 0 {
				day = (w.day + d) % 7
			}
			add(day, start, to)
			start, end = 0, end-1440
		}
	}
	var out []config.OnCallRestriction
	for _, k := range order {
		r := config.OnCallRestriction{From: clock(k.from), To: clock(k.to)}
		if !days[k][-1] && len(days[k]) < 7 {
			var ds []int
			for d := range days[k] {
				ds = append(ds, d)
			}
			// Monday first, as people write weeks.
			sort.Slice(ds, func(i, j int) bool { return (ds[i]+6)%7 < (ds[j]+6)%7 })
			for _, d := range ds {
				r.Days = append(r.Days, strings.ToLower(time.Weekday(d).String()[:3]))
			}
		}
		out = append(out, r)
	}
	return out
}

// parseTime reads an RFC 3339 time of an export, between 1970 and 2200 (far enough for any
// rotation, near enough that stepping shifts never overflows).
func parseTime(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fieldErr(field, "%q is not an RFC 3339 time", v)
	}
	if t.Year() < 1970 || t.Year() > 2200 {
		return time.Time{}, fieldErr(field, "%q is not between 1970 and 2200", v)
	}
	return t, nil
}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// localTime writes t as local time in loc ("2026-01-05 09:00"), or RFC 3339 where the
// local reading is ambiguous (the repeated autumn hour) or has sub-minute parts.
func localTime(t time.Time, loc *time.Location) string {
	lt := t.In(loc)
	v := lt.Format("2006-01-02 15:04")
	if back, err := time.ParseInLocation("2006-01-02 15:04", v, loc); err != nil || !back.Equal(t) {
		return lt.Format(time.RFC3339)
	}
	return v
}

// The YAML shapes: the config's, with empty keys left out.
type yamlFile struct {
	OnCall struct {
		Schedules []yamlSchedule `yaml:"schedules"`
	} `yaml:"oncall"`
}

type yamlSchedule struct {
	Name      string         `yaml:"name"`
	TimeZone  string         `yaml:"time_zone"`
	Layers    []yamlLayer    `yaml:"layers"`
	Overrides []yamlOverride `yaml:"overrides,omitempty"`
}

type yamlOverride struct {
	Who    string `yaml:"who"`
	Covers string `yaml:"covers,omitempty"`
	Start  string `yaml:"start"`
	End    string `yaml:"end"`
}

type yamlLayer struct {
	Name         string            `yaml:"name"`
	TimeZone     string            `yaml:"time_zone,omitempty"`
	Participants []string          `yaml:"participants,flow"`
	Shift        string            `yaml:"shift"`
	HandOff      string            `yaml:"hand_off"`
	Priority     int               `yaml:"priority,omitempty"`
	Restrictions []yamlRestriction `yaml:"restrictions,omitempty"`
}

type yamlRestriction struct {
	Days []string `yaml:"days,omitempty,flow"`
	From string   `yaml:"from"`
	To   string   `yaml:"to"`
}

// finish checks s the way the config will (so a converted schedule always loads) and
// writes its YAML.
func finish(s config.OnCallSchedule, notes []string) (*Result, error) {
	if _, err := s.Convert(); err != nil {
		return nil, fmt.Errorf("importer: the converted schedule does not load: %w", err)
	}
	ys := yamlSchedule{Name: s.Name, TimeZone: s.TimeZone}
	for _, o := range s.Overrides {
		ys.Overrides = append(ys.Overrides, yamlOverride(o))
	}
	for _, l := range s.Layers {
		yl := yamlLayer{Name: l.Name, TimeZone: l.TimeZone, Participants: l.Participants, Shift: l.Shift, HandOff: l.HandOff, Priority: l.Priority}
		for _, r := range l.Restrictions {
			yl.Restrictions = append(yl.Restrictions, yamlRestriction(r))
		}
		ys.Layers = append(ys.Layers, yl)
	}
	var f yamlFile
	f.OnCall.Schedules = []yamlSchedule{ys}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&f); err != nil {
		return nil, fmt.Errorf("importer: %w", err)
	}
	return &Result{Schedule: s, YAML: b.Bytes(), Notes: notes}, nil
}
