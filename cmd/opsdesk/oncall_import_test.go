package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/config"
)

const importData = "../../internal/oncall/importer/testdata/"

// TestCLIOnCallImport converts the importer's samples: YAML on standard output that the
// config loads, notes on standard error; bad input is a usage error (exit status 2)
// naming the field.
func TestCLIOnCallImport(t *testing.T) {
	t.Setenv("OPSDESK_DATABASE", "mysql://nope") // it must not need a database
	t.Setenv("OPSDESK_CONFIG", "")
	for _, tc := range []struct {
		args      []string
		stdin     string
		schedule  string
		notes     []string
		wantInOut []string
	}{
		{[]string{"--from", "pagerduty", importData + "pagerduty-platform.json", "--overrides", importData + "pagerduty-platform-overrides.json"}, "",
			"platform-primary", []string{"note: schedule_layers[2] (Old nights): ended 2025-12-01 18:00, skipped\n", "note: overrides: "},
			[]string{"participants: [Alice Adams, Bob Brown, Carol Chen]", "days: [mon, tue, wed, thu, fri]"}},
		{[]string{"--from", "goalert", "-"}, string(mustRead(t, importData+"goalert-tokyo.json")),
			"tokyo-sre", []string{"note: overrides are not carried over"}, []string{"participants: [", "shift: 1d"}},
	} {
		stdout, stderr, err := cli2(t, tc.stdin, append([]string{"oncall", "import"}, tc.args...)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, stderr)
		}
		for _, n := range tc.notes {
			if !strings.Contains(stderr, n) {
				t.Errorf("%v: stderr lacks %q:\n%s", tc.args, n, stderr)
			}
		}
		for _, w := range tc.wantInOut {
			if !strings.Contains(stdout, w) {
				t.Errorf("%v: stdout lacks %q:\n%s", tc.args, w, stdout)
			}
		}
		file := filepath.Join(t.TempDir(), "opsdesk.yaml")
		if err := os.WriteFile(file, []byte(stdout), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(file, func(string) (string, bool) { return "", false })
		if err != nil || cfg.OnCall.Schedule(tc.schedule) == nil {
			t.Fatalf("%v: the output does not load as a config: %v\n%s", tc.args, err, stdout)
		}
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	in := strings.Replace(string(mustRead(t, importData+"pagerduty-tokyo.json")), `"rotation_turn_length_seconds": 43200`, `"rotation_turn_length_seconds": 5400`, 1)
	if err := os.WriteFile(bad, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "pagerduty", bad}, "bad.json: schedule_layers[0].rotation_turn_length_seconds: 5400 s is not a whole number of hours"},
		{[]string{"--from", "opsgenie", bad}, `--from must be pagerduty or goalert (got "opsgenie")`},
		{[]string{"--from", "goalert", importData + "goalert-tokyo.json", "--overrides", bad}, "--overrides is for --from pagerduty only"},
		{[]string{"--from", "pagerduty"}, "oncall import takes one FILE"},
		{[]string{"--from", "pagerduty", filepath.Join(t.TempDir(), "missing.json")}, "cannot read"},
		{[]string{"--from", "goalert", importData + "pagerduty-tokyo.json"}, "schedule: has no timeZone and no targets"},
	} {
		stdout, _, err := cli2(t, "", append([]string{"oncall", "import"}, tc.args...)...)
		if !isUsage(err) || !strings.Contains(err.Error(), tc.want) || stdout != "" {
			t.Errorf("%v: %v (stdout %q); want a usage error with %q", tc.args, err, stdout, tc.want)
		}
		if h := hint(append([]string{"oncall", "import"}, tc.args...)); h != `Run "opsdesk oncall import --help" for its usage.` {
			t.Errorf("hint: %s", h)
		}
	}
}

// TestCLIOnCallImportJSON: --json prints the body of PUT /api/v1/oncall/{schedule}, the
// config's shape in JSON.
func TestCLIOnCallImportJSON(t *testing.T) {
	t.Setenv("OPSDESK_CONFIG", "")
	stdout, _, err := cli2(t, "", "oncall", "import", "--from", "goalert", "--json", importData+"goalert-platform.json")
	if err != nil {
		t.Fatal(err)
	}
	var s config.OnCallSchedule
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	parsed, err := s.Convert()
	if err != nil || parsed.Name != "platform-on-call" || len(parsed.Layers) != 2 || len(parsed.Layers[1].Participants) != 3 || len(parsed.Layers[1].Restrictions) != 3 {
		t.Fatalf("%v %+v", err, parsed)
	}
}

// TestCLIOnCallImportProcess: bad input exits with status 2 and one clear line.
func TestCLIOnCallImportProcess(t *testing.T) {
	bin := binary(t)
	env := append(os.Environ(), "OPSDESK_CONFIG=")
	stdout, stderr, code := runProcess(t, bin, env, "", `{"schedule": {"name": "x", "time_zone": "Mars/Base"}}`, "oncall", "import", "--from", "pagerduty", "-")
	want := "opsdesk: -: schedule.time_zone: \"Mars/Base\" is not an IANA time zone\nRun \"opsdesk oncall import --help\" for its usage.\n"
	if code != 2 || stderr != want || stdout != "" {
		t.Errorf("exit %d\nstdout %q\nstderr %q\nwant %q", code, stdout, stderr, want)
	}
	stdout, stderr, code = runProcess(t, bin, env, "", "", "oncall", "import", "--from", "pagerduty", importData+"pagerduty-tokyo.json")
	if code != 0 || !strings.HasPrefix(stdout, "oncall:\n  schedules:\n    - name: tokyo-sre\n") || !strings.Contains(stderr, "note: ") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
