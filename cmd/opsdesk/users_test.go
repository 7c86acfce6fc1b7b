package main

import (
	"context"
	"os"
	"os/user"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestCLIUsersRoleDisableDelete runs the built binary: users role,
// disable, enable and delete, with the console's safety rule (the last
// enabled admin stays), the usual error style, and audit records naming
// the operating-system user as a cli actor. On both engines.
func TestCLIUsersRoleDisableDelete(t *testing.T) {
	bin := binary(t)
	osUser := "cli"
	if u, err := user.Current(); err == nil && u.Username != "" {
		osUser = u.Username
	} else if v := os.Getenv("USER"); v != "" {
		osUser = v
	}
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			db := storetest.DatabaseURL(t, engine)
			dir := t.TempDir()
			env := append(os.Environ(), "OPSDESK_DATABASE="+db, "OPSDESK_CONFIG=", "OPSDESK_DATA_DIR="+dir)
			run := func(stdin string, args ...string) (stdout, stderr string, code int) {
				t.Helper()
				return runProcess(t, bin, env, dir, stdin, args...)
			}
			expect := func(wantOut, wantErr string, wantCode int, args ...string) {
				t.Helper()
				out, errOut, code := run("", args...)
				if code != wantCode || out != wantOut || errOut != wantErr {
					t.Errorf("opsdesk %s: exit %d\nstdout %q\nstderr %q\nwant exit %d, %q, %q", strings.Join(args, " "), code, out, errOut, wantCode, wantOut, wantErr)
				}
			}
			if _, e, code := run("", "migrate"); code != 0 {
				t.Fatal(e)
			}
			for _, u := range [][2]string{{"root1", "admin"}, {"sato", "responder"}} {
				if _, e, code := run("a long password\n", "users", "add", u[0], "--role", u[1]); code != 0 {
					t.Fatal(e)
				}
			}
			for _, sub := range []string{"role", "disable", "enable", "delete"} {
				if out, _, code := run("", "users", sub, "--help"); code != 0 || !strings.HasPrefix(out, "Usage: opsdesk users "+sub) {
					t.Errorf("users %s --help: %d\n%s", sub, code, out)
				}
			}

			// The last admin.
			last := "opsdesk: root1 is the last enabled admin: make another user admin first\n"
			expect("", last, 1, "users", "role", "root1", "viewer")
			expect("", last, 1, "users", "disable", "root1")
			expect("", last, 1, "users", "delete", "root1")
			// Bad input: usage errors (exit 2) naming what is allowed.
			expect("", "opsdesk: ROLE must be one of admin, responder, viewer (got \"boss\")\nRun \"opsdesk users role --help\" for its usage.\n", 2, "users", "role", "sato", "boss")
			expect("", "opsdesk: users role needs a NAME and a ROLE (admin, responder, viewer)\nRun \"opsdesk users role --help\" for its usage.\n", 2, "users", "role", "sato")
			expect("", "opsdesk: users delete needs exactly one NAME\nRun \"opsdesk users delete --help\" for its usage.\n", 2, "users", "delete")
			expect("", "opsdesk: there is no user \"nobody\"\n", 1, "users", "disable", "nobody")

			expect("sato is now admin\n", "", 0, "users", "role", "sato", "admin")
			expect("disabled user root1; their sessions were ended\n", "", 0, "users", "disable", "root1")
			out, _, _ := run("", "users", "list")
			if !strings.Contains(out, "STATE") || !regexpLine(out, "root1", "admin", "disabled") || !regexpLine(out, "sato", "admin", "enabled") {
				t.Errorf("users list:\n%s", out)
			}
			expect("", "opsdesk: sato is the last enabled admin: make another user admin first\n", 1, "users", "delete", "sato")
			expect("enabled user root1\n", "", 0, "users", "enable", "root1")
			expect("deleted user sato\n", "", 0, "users", "delete", "sato")
			expect("", "opsdesk: there is no user \"sato\"\n", 1, "users", "delete", "sato")

			st, err := store.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			es, err := audit.New(st, nil, nil).List(context.Background(), audit.Filter{Action: "user"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i := len(es) - 1; i >= 0; i-- {
				e := es[i]
				if e.Actor != osUser || e.Kind != audit.KindCLI || e.Source != "cli" {
					t.Errorf("actor of %s: %q %q %q", e.Action, e.Actor, e.Kind, e.Source)
				}
				got = append(got, e.Action+" "+e.Target)
			}
			want := "user.add root1|user.add sato|user.role sato|user.disable root1|user.enable root1|user.delete sato"
			if strings.Join(got, "|") != want {
				t.Errorf("audit: %s\nwant  %s", strings.Join(got, "|"), want)
			}
		})
	}
}

// regexpLine reports whether a line of out holds every field, in order.
func regexpLine(out string, fields ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= len(fields) {
			ok := true
			for i, w := range fields {
				ok = ok && f[i] == w
			}
			if ok {
				return true
			}
		}
	}
	return false
}
