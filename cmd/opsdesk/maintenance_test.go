package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestCLIMaintenance runs the binary: a window is added, listed with its
// matcher, ended, and gone from the list; bad input exits 2 naming what is
// wrong; an unknown window is an error.
func TestCLIMaintenance(t *testing.T) {
	bin := binary(t)
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			db := storetest.DatabaseURL(t, engine)
			dir := t.TempDir()
			run := func(wantCode int, args ...string) string {
				t.Helper()
				var env []string
				for _, kv := range os.Environ() {
					if !strings.HasPrefix(kv, "OPSDESK_") {
						env = append(env, kv)
					}
				}
				cmd := exec.Command(bin, args...)
				cmd.Env = append(env, "OPSDESK_DATABASE="+db, "OPSDESK_DATA_DIR="+dir)
				out, err := cmd.CombinedOutput()
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				if code != wantCode {
					t.Fatalf("opsdesk %s: exit %d, want %d\n%s", strings.Join(args, " "), code, wantCode, out)
				}
				return string(out)
			}
			run(0, "migrate")
			out := run(0, "maintenance", "add", "XYZ", "2h", "--match", "env=prod", "--severities", "critical,warning", "--escalate-at-end", "--name", "db upgrade")
			if !strings.Contains(out, `maintenance window #1 "db upgrade": XYZ from`) {
				t.Fatalf("add: %s", out)
			}
			out = run(0, "maintenance", "list")
			if !strings.Contains(out, `"db upgrade"`) || !strings.Contains(out, "env=prod") || !strings.Contains(out, "escalate-at-end") {
				t.Fatalf("list: %s", out)
			}
			if out := run(2, "maintenance", "add", "XYZ", "soon"); !strings.Contains(out, `"soon" is not a duration`) {
				t.Fatalf("bad duration: %s", out)
			}
			if out := run(1, "maintenance", "add", "XYZ", "1h", "--match", "env"); !strings.Contains(out, "matchers[0]") {
				t.Fatalf("bad matcher: %s", out)
			}
			if out := run(0, "maintenance", "end", "1"); !strings.Contains(out, "#1 ended") {
				t.Fatalf("end: %s", out)
			}
			if out := run(0, "maintenance", "list"); !strings.Contains(out, "no maintenance windows") {
				t.Fatalf("list after end: %s", out)
			}
			if out := run(0, "maintenance", "list", "--all"); !strings.Contains(out, "ended") {
				t.Fatalf("list --all: %s", out)
			}
			if out := run(1, "maintenance", "end", "1"); !strings.Contains(out, "no maintenance window #1 in force") {
				t.Fatalf("end again: %s", out)
			}
		})
	}
}
