package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const oncallConfig = `
oncall:
  schedules:
    - name: platform
      time_zone: Asia/Tokyo
      layers:
        - name: weekly
          participants: [sato, suzuki, lee]
          shift: 1w
          hand_off: "2026-01-05 09:00"
        - name: us-days
          time_zone: America/New_York
          participants: [miller]
          shift: 1d
          hand_off: "2026-01-05 09:00"
          priority: 10
          restrictions:
            - {days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00"}
      overrides:
        - {who: lee, covers: suzuki, start: "2026-02-24 09:00", end: "2026-02-25 09:00"}
    - name: london
      time_zone: Europe/London
      layers:
        - {name: daily, participants: [ann, ben], shift: 1d, hand_off: "2026-03-27 09:00"}
    - name: solo
      time_zone: Asia/Seoul
      layers:
        - {name: always, participants: [kim], shift: 1w, hand_off: "2026-01-01 00:00"}
`

// runOnCall runs the built binary's "oncall" with the config file.
func runOnCall(t *testing.T, cfgFile string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	env := append(os.Environ(), "OPSDESK_CONFIG=", "OPSDESK_DATABASE=")
	return runProcess(t, binary(t), env, "", "", append([]string{"oncall", "--config", cfgFile}, args...)...)
}

// TestCLIOnCall runs "opsdesk oncall" as a process: who is on call per schedule with
// until and next, a schedule's shifts with overrides marked and the zone's abbreviation
// across a DST change, and errors that name what is wrong.
func TestCLIOnCall(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "opsdesk.yaml")
	// The schedules are read from the database (a SQLite file in dir) after the config's
	// are seeded into it.
	withDB := "data_dir: " + dir + "\n" + oncallConfig
	if err := os.WriteFile(cfgFile, []byte(withDB), 0o600); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := runOnCall(t, cfgFile, "--at", "2026-02-24T03:00:00Z")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || errOut != "" || len(lines) != 4 {
		t.Fatalf("oncall: exit %d\n%s\n%s", code, out, errOut)
	}
	for i, want := range [][]string{
		{"SCHEDULE", "ON CALL", "LAYER", "UNTIL", "NEXT"},
		// Before its first hand-off (2026-03-27) london has nobody; ann comes first.
		{"london", "(nobody)", "-", "Fri 2026-03-27 09:00 GMT", "ann (daily) from Fri 2026-03-27 09:00 GMT"},
		{"platform", "lee", "weekly", "Tue 2026-02-24 23:00 JST", "miller (us-days) from Tue 2026-02-24 23:00 JST"},
		{"solo", "kim", "always", "-", "-"},
	} {
		got := strings.Join(strings.Fields(lines[i]), " ")
		if got != strings.Join(want, " ") {
			t.Errorf("line %d: %q, want %q", i, got, strings.Join(want, " "))
		}
	}

	// Without --at: now. solo's answer is the same at any time after its hand-off.
	out, _, code = runOnCall(t, cfgFile)
	if code != 0 || !strings.Contains(strings.Join(strings.Fields(out), " "), "solo kim always - -") {
		t.Errorf("oncall now: exit %d\n%s", code, out)
	}

	// One schedule's calendar: the override marked, in Tokyo time.
	out, _, code = runOnCall(t, cfgFile, "platform", "--at", "2026-02-24 12:00", "--days", "1")
	want := `platform (Asia/Tokyo), Tue 2026-02-24 12:00 JST to Wed 2026-02-25 12:00 JST
FROM                      TO                        ON CALL  LAYER
Tue 2026-02-24 12:00 JST  Tue 2026-02-24 23:00 JST  lee      weekly   override
Tue 2026-02-24 23:00 JST  Wed 2026-02-25 08:00 JST  miller   us-days
Wed 2026-02-25 08:00 JST  Wed 2026-02-25 09:00 JST  lee      weekly   override
Wed 2026-02-25 09:00 JST  Wed 2026-02-25 12:00 JST  suzuki   weekly
`
	if code != 0 || out != want {
		t.Errorf("oncall platform: exit %d\n%s\nwant\n%s", code, out, want)
	}

	// London across the spring change (2026-03-29): the hand-off stays at 09:00 local,
	// GMT before, BST after; the shift over the change is 23 hours.
	out, _, code = runOnCall(t, cfgFile, "london", "--at", "2026-03-28 09:00", "--days", "2")
	want = `london (Europe/London), Sat 2026-03-28 09:00 GMT to Mon 2026-03-30 09:00 BST
FROM                      TO                        ON CALL  LAYER
Sat 2026-03-28 09:00 GMT  Sun 2026-03-29 09:00 BST  ben      daily
Sun 2026-03-29 09:00 BST  Mon 2026-03-30 09:00 BST  ann      daily
`
	if code != 0 || out != want {
		t.Errorf("oncall london: exit %d\n%s\nwant\n%s", code, out, want)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"nope"}, 1, `no on-call schedule is named "nope" (london, platform, solo)`},
		{[]string{"platform", "--at", "tomorrow"}, 2, `--at: "tomorrow" is neither RFC 3339`},
		{[]string{"--days", "3"}, 2, "--days needs a SCHEDULE"},
		{[]string{"platform", "--days", "999"}, 2, "--days must be from 1 to 366"},
		{[]string{"platform", "solo"}, 2, "at most one SCHEDULE"},
	} {
		out, errOut, code := runOnCall(t, cfgFile, c.args...)
		if code != c.code || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("oncall %v: exit %d, stdout %q, stderr %q; want exit %d and %q", c.args, code, out, errOut, c.code, c.want)
		}
	}

	// A bad schedule in the config: the error names its key.
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(withDB, "shift: 1w\n", "shift: 1 week\n", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := runOnCall(t, bad); code != 1 || out != "" || !strings.Contains(errOut, "oncall.schedules[0].layers[0].shift") {
		t.Errorf("bad config: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
