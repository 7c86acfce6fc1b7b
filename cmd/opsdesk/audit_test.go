package main

import (
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestCLIAudit runs the built binary as separate processes: commands that
// change state (case import and export, delivery retry, backup) leave a
// record of kind cli in the audit log, named after the login that ran
// them (the one sudo was called by, under sudo); commands that only read
// leave none.
func TestCLIAudit(t *testing.T) {
	bin := binary(t)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			db := storetest.DatabaseURL(t, engine)
			run := func(sudoUser string, args ...string) string {
				t.Helper()
				var env []string
				for _, kv := range os.Environ() {
					if !strings.HasPrefix(kv, "SUDO_USER=") && !strings.HasPrefix(kv, "OPSDESK_") {
						env = append(env, kv)
					}
				}
				env = append(env, "OPSDESK_DATABASE="+db, "OPSDESK_DATA_DIR="+dir)
				if sudoUser != "" {
					env = append(env, "SUDO_USER="+sudoUser)
				}
				cmd := exec.Command(bin, args...)
				cmd.Env = env
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("opsdesk %s: %v\n%s", strings.Join(args, " "), err, out)
				}
				return string(out)
			}
			run("", "migrate")
			run("ops-sato", "cases", "import", "../../internal/cases/testdata/supportcases-scan.json", "--account", "prod", "--language", "ja")
			run("", "cases", "export", "--format", "jsonl", "--out", filepath.Join(dir, "export"), "--account", "prod")
			run("", "deliveries", "retry", "--failed")
			run("", "deliveries", "list")
			if engine == store.SQLite {
				run("", "backup", filepath.Join(dir, "backup.db"))
			}

			st, err := store.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			es, err := audit.New(st, nil, nil).List(context.Background(), audit.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i := len(es) - 1; i >= 0; i-- {
				e := es[i]
				if e.Kind != audit.KindCLI || e.Source != "cli@"+host {
					t.Errorf("entry %+v: kind or source", e)
				}
				got = append(got, e.Actor+" "+e.Action+" "+e.Target+": "+e.Detail)
			}
			want := []string{
				"ops-sato case.import account prod: 2 cases (2 new), 3 new messages from supportcases-scan.json",
				me.Username + " case.export account prod: 2 cases as jsonl to " + filepath.Join(dir, "export"),
				me.Username + " delivery.retry failed deliveries: 0 queued again",
			}
			if engine == store.SQLite {
				want = append(want, me.Username+" backup.create "+filepath.Join(dir, "backup.db")+": ")
			}
			if len(got) != len(want) {
				t.Fatalf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for i := range want {
				if !strings.HasPrefix(got[i], want[i]) {
					t.Errorf("entry %d: %q, want %q", i, got[i], want[i])
				}
			}
		})
	}
}
