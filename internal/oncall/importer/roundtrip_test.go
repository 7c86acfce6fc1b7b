package importer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/oncall"
)

// load parses converted YAML the way opsdesk serve does: as a config file.
func load(t *testing.T, yml []byte) *oncall.Schedule {
	t.Helper()
	file := filepath.Join(t.TempDir(), "opsdesk.yaml")
	if err := os.WriteFile(file, yml, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("the converted YAML does not load: %v\n%s", err, yml)
	}
	if n := len(cfg.OnCall.Parsed()); n != 1 {
		t.Fatalf("%d schedules", n)
	}
	return cfg.OnCall.Parsed()[0]
}

// instants are the instants compared: every 20 minutes for 75 days from now (across the
// American change to daylight saving time on 2026-03-08), plus a minute either side of
// every hour boundary on the days around that change.
func instants() []time.Time {
	var out []time.Time
	for t := now; t.Before(now.Add(75 * 24 * time.Hour)); t = t.Add(20 * time.Minute) {
		out = append(out, t)
	}
	dst := time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)
	for t := dst; t.Before(dst.Add(5 * 24 * time.Hour)); t = t.Add(time.Hour) {
		out = append(out, t.Add(-time.Minute), t, t.Add(time.Minute))
	}
	return out
}

// The reference for PagerDuty reads the export itself and follows PagerDuty's rules as
// documented: the last layer in effect with someone on call wins; a layer's turns start
// at rotation_virtual_start and follow every rotation_turn_length_seconds, whole days
// keeping their wall-clock time in the schedule's zone; a restriction is a window of
// duration_seconds from start_time_of_day (daily) or from start_day_of_week at
// start_time_of_day (weekly) in that zone; an override puts its user on call.
type refPD struct {
	Schedule struct {
		TimeZone string `json:"time_zone"`
		Layers   []struct {
			End     *time.Time `json:"end"`
			Virtual time.Time  `json:"rotation_virtual_start"`
			Turn    int64      `json:"rotation_turn_length_seconds"`
			Users   []struct {
				User struct {
					Summary string `json:"summary"`
				} `json:"user"`
			} `json:"users"`
			Restrictions []struct {
				Type     string `json:"type"`
				Start    string `json:"start_time_of_day"`
				Duration int64  `json:"duration_seconds"`
				Day      int64  `json:"start_day_of_week"`
			} `json:"restrictions"`
		} `json:"schedule_layers"`
	} `json:"schedule"`
	Overrides []struct {
		Start, End time.Time
		User       struct {
			Summary string `json:"summary"`
		} `json:"user"`
	} `json:"overrides"`
}

func (r *refPD) at(t time.Time) string {
	loc, _ := time.LoadLocation(r.Schedule.TimeZone)
	for i := len(r.Overrides) - 1; i >= 0; i-- {
		o := r.Overrides[i]
		if !t.Before(o.Start) && t.Before(o.End) {
			return o.User.Summary
		}
	}
	lt := t.In(loc)
	tod := int64(lt.Hour()*3600 + lt.Minute()*60 + lt.Second())
	weekSec := int64((int(lt.Weekday())+6)%7)*86400 + tod // Monday 00:00 is 0
	for i := len(r.Schedule.Layers) - 1; i >= 0; i-- {
		l := r.Schedule.Layers[i]
		if l.End != nil && !l.End.After(now) || t.Before(l.Virtual) {
			continue
		}
		in := len(l.Restrictions) == 0
		for _, x := range l.Restrictions {
			st, _ := time.Parse("15:04:05", x.Start)
			s := int64(st.Hour()*3600 + st.Minute()*60)
			if x.Type == "daily_restriction" {
				in = in || (tod-s+86400)%86400 < x.Duration
			} else {
				in = in || (weekSec-(x.Day-1)*86400-s+2*604800)%604800 < x.Duration
			}
		}
		if !in {
			continue
		}
		var k int64
		if l.Turn%86400 == 0 {
			days := int(l.Turn / 86400)
			v := l.Virtual.In(loc)
			for !v.AddDate(0, 0, int(k+1)*days).After(t) {
				k++
			}
		} else {
			k = int64(t.Sub(l.Virtual)/time.Second) / l.Turn
		}
		return l.Users[k%int64(len(l.Users))].User.Summary
	}
	return ""
}

func TestRoundTripPagerDuty(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ file, overrides string }{
		{"pagerduty-platform.json", "pagerduty-platform-overrides.json"},
		{"pagerduty-tokyo.json", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			in := read(t, tc.file)
			var ov []byte
			var ref refPD
			if err := json.Unmarshal(in, &ref); err != nil {
				t.Fatal(err)
			}
			if tc.overrides != "" {
				ov = read(t, tc.overrides)
				if err := json.Unmarshal(ov, &ref); err != nil {
					t.Fatal(err)
				}
			}
			r, err := PagerDuty(in, ov, Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			s := load(t, r.YAML)
			compare(t, s, ref.at)
		})
	}
}

// The reference for GoAlert follows GoAlert's rules: every target whose rule is active
// is on call (a rule is active on its weekdays from start to end, or from start to end
// the next day when end is not after start; start == end on every day is always); a
// rotation's user is the active one at export time, moving to the next at each hand-off
// after it, hand-offs being start plus whole shifts (days and weeks by the calendar in
// the rotation's zone).
type refGA struct {
	Data struct {
		Schedule struct {
			TimeZone string `json:"timeZone"`
			Targets  []struct {
				Target struct{ ID, Type, Name string } `json:"target"`
				Rules  []struct {
					Start, End    string
					WeekdayFilter []bool `json:"weekdayFilter"`
				} `json:"rules"`
			} `json:"targets"`
		} `json:"schedule"`
		Rotations json.RawMessage `json:"rotations"`
	} `json:"data"`
}

type refRotation struct {
	ID, Type, TimeZone string
	ShiftLength        int       `json:"shiftLength"`
	Start              time.Time `json:"start"`
	Active             int       `json:"activeUserIndex"`
	Users              []struct{ Name string }
}

func (r *refGA) at(t time.Time) []string {
	var rots []refRotation
	if err := json.Unmarshal(r.Data.Rotations, &rots); err != nil {
		var conn struct{ Nodes []refRotation }
		_ = json.Unmarshal(r.Data.Rotations, &conn)
		rots = conn.Nodes
	}
	loc, _ := time.LoadLocation(r.Data.Schedule.TimeZone)
	lt := t.In(loc)
	c := lt.Hour()*60 + lt.Minute()
	wd := int(lt.Weekday())
	var out []string
	for _, tg := range r.Data.Schedule.Targets {
		active := false
		for _, ru := range tg.Rules {
			s, _ := time.Parse("15:04", ru.Start)
			e, _ := time.Parse("15:04", ru.End)
			sm, em := s.Hour()*60+s.Minute(), e.Hour()*60+e.Minute()
			every := true
			for _, b := range ru.WeekdayFilter {
				every = every && b
			}
			switch {
			case every && sm == em:
				active = true
			case sm >= em:
				active = active || ru.WeekdayFilter[wd] && c >= sm || ru.WeekdayFilter[(wd+6)%7] && c < em
			default:
				active = active || ru.WeekdayFilter[wd] && c >= sm && c < em
			}
		}
		if !active {
			continue
		}
		for _, rot := range rots {
			if rot.ID != tg.Target.ID {
				continue
			}
			rl, _ := time.LoadLocation(rot.TimeZone)
			days := rot.ShiftLength
			if rot.Type == "weekly" {
				days *= 7
			}
			// Hand-offs after the export instant move the rotation on by one each.
			moves := 0
			for h := rot.Start.In(rl); !h.After(t); h = h.AddDate(0, 0, days) {
				if h.After(now) {
					moves++
				}
			}
			out = append(out, rot.Users[(rot.Active+moves)%len(rot.Users)].Name)
		}
	}
	return out
}

func TestRoundTripGoAlert(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"goalert-platform.json", "goalert-tokyo.json"} {
		t.Run(file, func(t *testing.T) {
			in := read(t, file)
			var ref refGA
			if err := json.Unmarshal(in, &ref); err != nil {
				t.Fatal(err)
			}
			r, err := GoAlert(in, Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			s := load(t, r.YAML)
			compare(t, s, func(t2 time.Time) string {
				who := ref.at(t2)
				if len(who) != 1 {
					// The samples' targets never overlap, so GoAlert has exactly one.
					t.Fatalf("%s: GoAlert has %q on call", t2, who)
				}
				return who[0]
			})
		})
	}
}

// compare checks that the engine puts the reference's person on call at every instant,
// and that the comparison saw several people (not a schedule of nobody).
func compare(t *testing.T, s *oncall.Schedule, ref func(time.Time) string) {
	t.Helper()
	seen := map[string]bool{}
	bad := 0
	for _, at := range instants() {
		want := ref(at)
		got, _, _ := oncall.OnCall(s, at)
		seen[want] = true
		if got != want && bad < 10 {
			bad++
			t.Errorf("%s (%s): opsdesk has %q on call, the reference %q", at.In(s.TimeZone).Format("Mon 2006-01-02 15:04 MST"), at.UTC().Format(time.RFC3339), got, want)
		}
	}
	if len(seen) < 3 {
		t.Errorf("only %d people seen", len(seen))
	}
}
