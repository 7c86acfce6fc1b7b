package main

import (
	"os"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// groups are the commands with subcommands.
func groups() []string {
	var out []string
	for _, c := range commands {
		if g, _, ok := strings.Cut(c.path, " "); ok && isGroup(g) && (len(out) == 0 || out[len(out)-1] != g) {
			out = append(out, g)
		}
	}
	return out
}

// TestHelpEveryCommand runs "opsdesk <command> [<sub>] --help" (and -h,
// and "opsdesk help <command>") for every command and group: each prints
// its usage to stdout and succeeds, without touching the database.
func TestHelpEveryCommand(t *testing.T) {
	// A database that cannot be opened: help must not need one.
	t.Setenv("OPSDESK_DATABASE", "mysql://nope")
	t.Setenv("OPSDESK_CONFIG", "")
	if len(commands) < 20 || len(groups()) < 7 {
		t.Fatalf("%d commands in %d groups", len(commands), len(groups()))
	}
	for _, c := range commands {
		args := strings.Fields(c.path)
		for _, flag := range []string{"--help", "-h"} {
			stdout, stderr, err := cli2(t, "", append(args, flag)...)
			want := "Usage: " + strings.TrimSpace("opsdesk "+c.path+" "+c.synopsis)
			if err != nil || !strings.HasPrefix(stdout, want+"\n") || stderr != "" {
				t.Errorf("%s %s: %v\nstdout: %s\nstderr: %s", c.path, flag, err, stdout, stderr)
				continue
			}
			if !strings.Contains(stdout, upperFirst(c.summary)) {
				t.Errorf("%s %s: no summary:\n%s", c.path, flag, stdout)
			}
		}
		if c.path == "help" {
			continue
		}
		// Flags after arguments, and "opsdesk help …", too.
		withArg, _, err := cli2(t, "", append(append(args, "ARG"), "--help")...)
		if err != nil {
			t.Errorf("%s ARG --help: %v", c.path, err)
		}
		viaHelp, _, err := cli2(t, "", append([]string{"help"}, args...)...)
		if err != nil || viaHelp != withArg {
			t.Errorf("help %s: %v\n%s\nwant\n%s", c.path, err, viaHelp, withArg)
		}
	}
	// Each command's real flags are listed (they come from its flag set).
	for path, flags := range map[string][]string{
		"serve":         {"--config FILE", "--addr"},
		"users add":     {"--role", "--generate", "--password-stdin"},
		"users passwd":  {"--generate"},
		"tokens create": {"--name", "--scope", "ingest:alerts", "act:alerts", "admin"},
		"events send":   {"--url", "--token"},
		"db copy":       {"--to", "--batch", "(default 1000)"},
		"cases export":  {"--format", "(default jsonl)", "--out"},
		"oncall import": {"--from TOOL", "--overrides FILE", "--json"},
	} {
		out, err := cli(t, "", append(strings.Fields(path), "--help")...)
		for _, f := range flags {
			if err != nil || !strings.Contains(out, f) {
				t.Errorf("%s --help does not list %q: %v\n%s", path, f, err, out)
			}
		}
	}
	if out, err := cli(t, "", "users", "list", "--help"); err != nil || strings.Contains(out, "--role") {
		t.Errorf("users list --help lists another subcommand's flags: %v\n%s", err, out)
	}
	for _, g := range groups() {
		for _, flag := range []string{"--help", "-h"} {
			out, err := cli(t, "", g, flag)
			if err != nil || !strings.HasPrefix(out, "Usage:\n") {
				t.Errorf("%s %s: %v\n%s", g, flag, err, out)
			}
			for _, sub := range subcommands(g) {
				if !strings.Contains(out, "opsdesk "+g+" "+sub) {
					t.Errorf("%s %s does not list %s:\n%s", g, flag, sub, out)
				}
			}
		}
		// An unknown subcommand names the real ones.
		_, err := cli(t, "", g, "nonsense", "--help")
		if !isUsage(err) || !strings.Contains(err.Error(), strings.Join(subcommands(g), ", ")) {
			t.Errorf("%s nonsense --help: %v", g, err)
		}
	}
	// The overview lists every command.
	out, err := cli(t, "")
	for _, c := range commands {
		if err != nil || !strings.Contains(out, "opsdesk "+c.path) {
			t.Errorf("the overview lacks %s", c.path)
		}
	}
}

func TestHint(t *testing.T) {
	for args, want := range map[string]string{
		"users add bob --role root": `Run "opsdesk users add --help" for its usage.`,
		"tokens":                    `Run "opsdesk tokens --help" for its usage.`,
		"tokens nonsense":           `Run "opsdesk tokens --help" for its usage.`,
		"nonsense":                  `Run "opsdesk help" for the commands.`,
		"serve --addr x":            `Run "opsdesk serve --help" for its usage.`,
	} {
		if got := hint(strings.Fields(args)); got != want {
			t.Errorf("hint(%s) = %s; want %s", args, got, want)
		}
	}
}

// TestCLIProcess runs the real binary: help exits 0 for every command;
// errors carry one "opsdesk: " prefix; a bad --role names the roles and
// does not dump the usage.
func TestCLIProcess(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	env := append(os.Environ(), "OPSDESK_DATABASE="+storetest.DatabaseURL(t, store.SQLite), "OPSDESK_CONFIG=", "OPSDESK_DATA_DIR="+dir)
	runBin := func(stdin string, args ...string) (stdout, stderr string, code int) {
		t.Helper()
		return runProcess(t, bin, env, dir, stdin, args...)
	}
	for _, c := range commands {
		out, errOut, code := runBin("", append(strings.Fields(c.path), "--help")...)
		if code != 0 || !strings.HasPrefix(out, "Usage: opsdesk "+c.path) || errOut != "" {
			t.Errorf("%s --help: exit %d\n%s%s", c.path, code, out, errOut)
		}
	}
	for _, g := range groups() {
		if out, _, code := runBin("", g, "--help"); code != 0 || !strings.HasPrefix(out, "Usage:") {
			t.Errorf("%s --help: exit %d\n%s", g, code, out)
		}
	}

	_, errOut, code := runBin("", "users", "add", "bob", "--role", "root")
	if want := "opsdesk: --role must be one of admin, responder, viewer (got \"root\")\nRun \"opsdesk users add --help\" for its usage.\n"; code != 2 || errOut != want {
		t.Errorf("bad role: exit %d\n%s\nwant\n%s", code, errOut, want)
	}
	if _, _, code := runBin("", "migrate"); code != 0 {
		t.Fatal("migrate failed")
	}
	tok, errOut, code := runBin("", "tokens", "create", "--name", "x", "--scope", "ingest:events")
	if code != 0 || !strings.HasPrefix(tok, "odt_") || !strings.Contains(errOut, "/api/v1/events") {
		t.Fatalf("tokens create: exit %d\n%s%s", code, tok, errOut)
	}
	_, errOut, code = runBin("", "tokens", "create", "--name", "x", "--scope", "ingest:events")
	if code != 1 || errOut != "opsdesk: token \"x\" already exists\n" {
		t.Errorf("existing token: exit %d %q", code, errOut)
	}
	_, errOut, code = runBin("", "tokens", "create", "--name", "y")
	if code != 2 || !strings.Contains(errOut, "tokens create needs --scope") || strings.Count(errOut, "opsdesk: ") != 1 {
		t.Errorf("no scope: exit %d\n%s", code, errOut)
	}
	// users add and users passwd read the password from a pipe alike.
	if out, errOut, code := runBin("a password of mine\n", "users", "add", "sato", "--role", "responder"); code != 0 || out != "added user sato (responder)\n" {
		t.Errorf("users add: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := runBin("another password\n", "users", "passwd", "sato"); code != 0 || !strings.HasPrefix(out, "password of sato changed") {
		t.Errorf("users passwd: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := runBin("", "users", "passwd", "nobody", "--generate"); code != 1 || errOut != "opsdesk: there is no user \"nobody\"\n" {
		t.Errorf("passwd of an unknown user: exit %d %q", code, errOut)
	}
}
