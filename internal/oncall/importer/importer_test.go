package importer

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// now is the instant the samples are converted at.
var now = time.Date(2026, 2, 20, 12, 0, 0, 0, time.UTC)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGolden converts every sample export and compares the YAML with its golden file
// (go test -run TestGolden -update rewrites them) and the notes with what must be said.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from, file, overrides, golden string
		notes                         []string
	}{
		{"pagerduty", "pagerduty-platform.json", "pagerduty-platform-overrides.json", "pagerduty-platform.yaml", []string{
			`"Platform Primary" is named "platform-primary"`,
			"schedule_layers[2] (Old nights): ended 2025-12-01 18:00, skipped",
			"overrides: 1 already over, skipped",
			"PagerDuty's bottom layer wins",
			"(7 people)",
		}},
		{"pagerduty", "pagerduty-tokyo.json", "", "pagerduty-tokyo.yaml", []string{
			"schedule_layers[1] (Nights): ends 2027-01-04 22:00 in PagerDuty",
			"overrides are not part of PagerDuty's schedule object",
		}},
		{"goalert", "goalert-platform.json", "", "goalert-platform.yaml", []string{
			`"Platform On-Call" is named "platform-on-call"`,
			"GoAlert pages every target whose rules are active",
			"overrides are not carried over",
		}},
		{"goalert", "goalert-tokyo.json", "", "goalert-tokyo.yaml", []string{"participants are GoAlert's user names"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var r *Result
			var err error
			if tc.from == "pagerduty" {
				var ov []byte
				if tc.overrides != "" {
					ov = read(t, tc.overrides)
				}
				r, err = PagerDuty(read(t, tc.file), ov, Options{Now: now})
			} else {
				r, err = GoAlert(read(t, tc.file), Options{Now: now})
			}
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := os.WriteFile(filepath.Join("testdata", tc.golden), r.YAML, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want := read(t, tc.golden); !bytes.Equal(r.YAML, want) {
				t.Errorf("YAML:\n%s\nwant (testdata/%s):\n%s", r.YAML, tc.golden, want)
			}
			all := strings.Join(r.Notes, "\n")
			for _, n := range tc.notes {
				if !strings.Contains(all, n) {
					t.Errorf("notes lack %q:\n%s", n, all)
				}
			}
		})
	}
}

// edit returns the sample with old replaced by new (exactly once).
func edit(t *testing.T, b []byte, old, new string) []byte {
	t.Helper()
	if bytes.Count(b, []byte(old)) != 1 {
		t.Fatalf("%q is not in the sample exactly once", old)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

func TestPagerDutyErrors(t *testing.T) {
	t.Parallel()
	pd := read(t, "pagerduty-platform.json")
	for _, tc := range []struct {
		name     string
		in, ov   []byte
		field    string
		contains string
	}{
		{"turn of 90 minutes", edit(t, pd, `"rotation_turn_length_seconds": 86400,
        "users": [
          {"user": {"id": "PD1AZ7Q"`, `"rotation_turn_length_seconds": 5400,
        "users": [
          {"user": {"id": "PD1AZ7Q"`), nil,
			"schedule_layers[1].rotation_turn_length_seconds", "5400 s is not a whole number of hours"},
		{"turn of zero", edit(t, pd, `"rotation_turn_length_seconds": 604800,
        "users": [
          {"user": {"id": "PXPGF42"`, `"rotation_turn_length_seconds": 0,
        "users": [
          {"user": {"id": "PXPGF42"`), nil,
			"schedule_layers[0].rotation_turn_length_seconds", "not a positive whole number"},
		{"turn of 1001 weeks", edit(t, pd, `"rotation_turn_length_seconds": 604800,
        "users": [
          {"user": {"id": "PXPGF42"`, `"rotation_turn_length_seconds": 605404800,
        "users": [
          {"user": {"id": "PXPGF42"`), nil,
			"schedule_layers[0].rotation_turn_length_seconds", "1001w, more than opsdesk's 1000"},
		{"unknown zone", edit(t, pd, `"America/New_York"`, `"Mars/Olympus"`), nil, "schedule.time_zone", `"Mars/Olympus"`},
		{"virtual start", edit(t, pd, `"rotation_virtual_start": "2026-01-02T18:00:00-05:00"`, `"rotation_virtual_start": "Friday"`), nil,
			"schedule_layers[3].rotation_virtual_start", `"Friday" is not an RFC 3339 time`},
		{"day 8", edit(t, pd, `"start_day_of_week": 5}
        ]
      },
      {
        "id": "PZ0OLD1"`, `"start_day_of_week": 8}
        ]
      },
      {
        "id": "PZ0OLD1"`), nil, "schedule_layers[1].restrictions[4].start_day_of_week", "from 1 (Monday) to 7 (Sunday)"},
		{"restriction type", edit(t, pd, `"type": "weekly_restriction", "start_time_of_day": "18:00:00"`, `"type": "monthly_restriction", "start_time_of_day": "18:00:00"`), nil,
			"schedule_layers[3].restrictions[0].type", `"monthly_restriction"`},
		{"seconds in the start", edit(t, pd, `"start_time_of_day": "18:00:00", "duration_seconds": 226800`, `"start_time_of_day": "18:00:30", "duration_seconds": 226800`), nil,
			"schedule_layers[3].restrictions[0].start_time_of_day", "whole minutes"},
		{"daily longer than a day", edit(t, read(t, "pagerduty-tokyo.json"), `"duration_seconds": 36000`, `"duration_seconds": 90000`), nil,
			"schedule_layers[1].restrictions[0].duration_seconds", "longer than a day"},
		{"weekly of 90 s", edit(t, pd, `"duration_seconds": 226800`, `"duration_seconds": 90`), nil,
			"schedule_layers[3].restrictions[0].duration_seconds", "90 s is not a whole number of minutes"},
		{"no users", edit(t, pd, `"users": [
          {"user": {"id": "PF4CY9S", "type": "user_reference", "summary": "Fay Fox"}},
          {"user": {"id": "PG5DZ0T", "type": "user_reference", "summary": "Gus Green"}}
        ]`, `"users": []`), nil, "schedule_layers[3].users", "no users"},
		{"not a schedule", []byte(`{"user": {}}`), nil, "schedule", "GET /schedules/{id}"},
		{"overrides of another shape", pd, []byte(`{"schedule": {}}`), "overrides", "GET /schedules/{id}/overrides"},
		{"override end", pd, []byte(`{"overrides": [{"start": "2026-03-10T09:00:00Z", "end": "2026-03-10T08:00:00Z", "user": {"summary": "x"}}]}`),
			"overrides[0].end", "is not after start"},
		{"every layer ended", []byte(`{"schedule": {"name": "x", "time_zone": "UTC", "schedule_layers": [{"end": "2020-01-01T00:00:00Z", "rotation_virtual_start": "2019-01-01T00:00:00Z", "rotation_turn_length_seconds": 86400, "users": [{"user": {"summary": "a"}}]}]}}`), nil,
			"schedule.schedule_layers", "no layer is in effect"},
		{"name without letters", edit(t, pd, `"name": "Platform Primary"`, `"name": "・・・"`), nil, "schedule.name", "no letters or digits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PagerDuty(tc.in, tc.ov, Options{Now: now})
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(fe.Msg, tc.contains) {
				t.Fatalf("err = %v; want %s: …%s…", err, tc.field, tc.contains)
			}
		})
	}
}

func TestGoAlertErrors(t *testing.T) {
	t.Parallel()
	ga := read(t, "goalert-platform.json")
	for _, tc := range []struct {
		name, field, contains string
		in                    []byte
	}{
		{"six days", "data.schedule.targets[0].rules[0].weekdayFilter", "7 booleans",
			edit(t, ga, `[false, true, true, true, true, true, false]}
          ]
        },`, `[false, true, true, true, true, true]}
          ]
        },`)},
		{"bad clock", "data.schedule.targets[1].rules[1].end", `"9am"`, edit(t, ga, `"start": "09:00", "end": "09:00"`, `"start": "09:00", "end": "9am"`)},
		{"24:00", "data.schedule.targets[0].rules[0].end", `"24:00"`, edit(t, ga, `"end": "17:00"`, `"end": "24:00"`)},
		{"missing rotation", "data.schedule.targets[1].target.id", "is not in rotations",
			edit(t, ga, `"id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "name": "Night Team"`, `"id": "other", "name": "Night Team"`)},
		{"rotation type", "data.rotations.nodes[0].type", `"monthly"`, edit(t, ga, `"type": "weekly"`, `"type": "monthly"`)},
		{"shift length", "data.rotations.nodes[1].shiftLength", "2000 is not from 1 to 1000", edit(t, ga, `"shiftLength": 2,`, `"shiftLength": 2000,`)},
		{"active index", "data.rotations.nodes[0].activeUserIndex", "not the index", edit(t, ga, `"activeUserIndex": 2`, `"activeUserIndex": 4`)},
		{"rotation zone", "data.rotations.nodes[1].timeZone", `"EST5"`, edit(t, ga, `"start": "2025-12-01T22:00:00Z", "timeZone": "America/New_York"`, `"start": "2025-12-01T22:00:00Z", "timeZone": "EST5"`)},
		{"target type", "data.schedule.targets[0].target.type", `"slackChannel"`, edit(t, ga, `"type": "rotation", "name": "Day Team"`, `"type": "slackChannel", "name": "Day Team"`)},
		{"schedule zone", "data.schedule.timeZone", "", edit(t, ga, `"timeZone": "America/New_York",
      "targets"`, `"timeZone": "",
      "targets"`)},
		{"no schedule", "schedule", "missing", []byte(`{"rotations": []}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := GoAlert(tc.in, Options{Now: now})
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(fe.Msg, tc.contains) {
				t.Fatalf("err = %v; want %s: …%s…", err, tc.field, tc.contains)
			}
		})
	}
}

// TestGoAlertUserTarget: a user target is a layer of one, on call whenever its rules are.
func TestGoAlertUserTarget(t *testing.T) {
	t.Parallel()
	in := []byte(`{"schedule": {"name": "db", "timeZone": "Europe/Berlin", "targets": [
		{"target": {"id": "u1", "type": "user", "name": "mia"}, "rules": [{"start": "22:00", "end": "06:00", "weekdayFilter": [false, false, false, false, false, true, true]}]},
		{"target": {"id": "u2", "type": "user", "name": "noa"}, "rules": [{"start": "00:00", "end": "00:00", "weekdayFilter": [false, false, false, false, false, false, false]}]}]}}`)
	r, err := GoAlert(in, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := `oncall:
  schedules:
    - name: db
      time_zone: Europe/Berlin
      layers:
        - name: mia
          participants: [mia]
          shift: 1w
          hand_off: 2000-01-03 00:00
          restrictions:
            - days: [fri, sat]
              from: "22:00"
              to: "24:00"
            - days: [sat, sun]
              from: "00:00"
              to: "06:00"
`
	if string(r.YAML) != want {
		t.Errorf("YAML:\n%s\nwant\n%s", r.YAML, want)
	}
	if all := strings.Join(r.Notes, "\n"); !strings.Contains(all, "targets[1] (noa): no rule is ever active, skipped") {
		t.Errorf("notes: %s", all)
	}
}

// TestGoAlertQueryDocumented: docs/oncall.md shows the query GoAlert reads the answer of.
func TestGoAlertQueryDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../../docs/oncall.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, []byte(GoAlertQuery)) {
		t.Errorf("docs/oncall.md lacks the query:\n%s", GoAlertQuery)
	}
}
