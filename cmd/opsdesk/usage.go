package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/opsdesk/opsdesk/internal/auth"
)

// command is one command of the CLI as its help shows it. Commands with
// subcommands ("users") have no entry of their own: their help lists
// their subcommands'.
type command struct {
	path     string // "users add"
	synopsis string // arguments after the path
	summary  string // one line, for the overview
	about    string // more, for --help (optional)
}

// commands is every command, in the order "opsdesk help" lists them.
// TestHelpEveryCommand runs "--help" on each, and on each group.
var commands = []command{
	{"serve", "[--config FILE] [--addr HOST:PORT]", "run the server, workers and scheduler",
		"On the first start (no users yet) it creates the user admin and prints a one-time password, once the whole configuration has been checked: it must be changed at the first login and expires after 24 hours (opsdesk users passwd admin sets a new one)."},
	{"migrate", "[--config FILE]", "apply database migrations and exit", ""},
	{"users add", "NAME --role admin|responder|viewer [--generate]", "add a console user",
		"The password is read as for users passwd: typed twice without echo at a terminal, else one line from standard input; --generate makes a one-time password instead, printed once, which must be changed at the first login and expires after 24 hours."},
	{"users passwd", "NAME [--generate]", "set a user's password (ends their sessions)",
		"The password is typed twice without echo at a terminal, else read as one line from standard input; --generate makes a one-time password instead (changed at the next login, expires after 24 hours). This is how a lost or expired password of admin is recovered: opsdesk users passwd admin."},
	{"users list", "", "list the console users", ""},
	{"users role", "NAME admin|responder|viewer", "give a user another role",
		"The last enabled admin cannot be given another role: make another user admin first. What each role may do: docs/users.md."},
	{"users disable", "NAME", "disable a user: no login, their sessions end",
		"The last enabled admin cannot be disabled. opsdesk users enable NAME undoes it."},
	{"users enable", "NAME", "enable a disabled user again", ""},
	{"users delete", "NAME", "delete a user and end their sessions",
		"The last enabled admin cannot be deleted. Disabling (opsdesk users disable) can be undone; deleting cannot."},
	{"tokens create", "--name NAME --scope SCOPE[,SCOPE…]", "make an API token (printed once)",
		"Scopes (repeat --scope or separate them with commas):\n" + scopeList() +
			"\nThe token alone goes to standard output (TOKEN=$(opsdesk tokens create …) works); how to use it goes to standard error. Only its hash is stored."},
	{"tokens list", "", "list API tokens with their scopes and last use", ""},
	{"tokens revoke", "NAME", "delete an API token", ""},
	{"maintenance add", "SYSTEM DURATION [--match L=V]… [--severities LIST] [--start TIME] [--time-zone ZONE] [--escalate-at-end] [--name NAME]", "start a maintenance window: alerts of SYSTEM notify nobody",
		"Alerts of SYSTEM that arrive in the window and match it (every --match, Alertmanager-style: =, !=, =~, !~; the --severities) are stored but notify nobody; with --escalate-at-end, those still open when it ends escalate then. DURATION: 2h, 90m (at most 168h). Weekly windows: the API (docs/alerts.md)."},
	{"maintenance list", "[--all]", "list the maintenance windows in force or to come", ""},
	{"maintenance end", "ID", "end a maintenance window now", ""},
	{"deliveries list", "[--status failed|pending|delivered] [--limit N]", "list question deliveries", ""},
	{"deliveries retry", "ID | --failed", "queue failed deliveries again", ""},
	{"cases sync", "[--account NAME]", "archive AWS Support cases now", ""},
	{"cases import", "FILE --account NAME [--language ja]", "import seed 000's DynamoDB scan output", ""},
	{"cases export", "--format jsonl|markdown --out DIR [--account NAME]", "write the archive to files", ""},
	{"events samples", "", "list the sample AWS event payloads", ""},
	{"events sample", "NAME", "print one (s3-put, support-case-update, …)", ""},
	{"events send", "FILE [--url URL --token T]", "post a payload to /api/v1/events",
		"The token needs the scope ingest:events (opsdesk tokens create --name NAME --scope ingest:events). FILE - reads standard input."},
	{"events match", "PATTERN.json EVENT.json", "does the pattern match, and why", ""},
	{"oncall", "[SCHEDULE] [--at TIME] [--days N]", "who is on call now and next, or a schedule's shifts",
		"Reads the schedules of the database, after bringing in those of the config (oncall.schedules, docs/oncall.md) as opsdesk serve does. Without SCHEDULE: every schedule's person on call now, until when, and who comes next. With SCHEDULE: its shifts for the next --days days (7), overrides marked. Times are in each schedule's zone. To move a rotation from PagerDuty or GoAlert: opsdesk oncall import."},
	{"oncall import", "--from pagerduty|goalert FILE [--overrides FILE] [--json]", "convert a PagerDuty or GoAlert schedule into oncall.schedules YAML",
		"FILE is PagerDuty's GET /schedules/{id} answer, or GoAlert's answer to the GraphQL query in docs/oncall.md (- reads standard input). The YAML goes to standard output, ready to paste under the config's oncall.schedules (with --json: the body of PUT /api/v1/oncall/{schedule}); notes on what was approximated or skipped go to standard error. Rename the participants to opsdesk user names. (A schedule named import is shown with opsdesk oncall --days 7 import.)"},
	{"backup", "FILE [--force] [--with-attachments DIR]", "consistent copy of the SQLite database, online", ""},
	{"db copy", "--to postgres://… [--from sqlite:PATH]", "move an SQLite installation to PostgreSQL", ""},
	{"attachments move", "--to db|s3://BUCKET/PREFIX|local:DIR [--from STORE]", "copy the case attachments to another store", ""},
	{"attachments check", "[--store STORE] [--verify]", "is every stored attachment's file there", ""},
	{"version", "", "print the version", ""},
	{"help", "[COMMAND [SUBCOMMAND]]", "show this, or a command's help", ""},
}

func scopeList() string {
	var b strings.Builder
	for _, s := range auth.AllScopes {
		fmt.Fprintf(&b, "  %-14s %s\n", s.Name, s.What)
	}
	return b.String()
}

func findCommand(path string) (command, bool) {
	for _, c := range commands {
		if c.path == path {
			return c, true
		}
	}
	return command{}, false
}

// isGroup reports whether name has subcommands ("users"). A command of its own with
// subcommands ("oncall", "oncall import") is not a group: its --help is its own.
func isGroup(name string) bool {
	if _, own := findCommand(name); own {
		return false
	}
	for _, c := range commands {
		if strings.HasPrefix(c.path, name+" ") {
			return true
		}
	}
	return false
}

func subcommands(group string) []string {
	var out []string
	for _, c := range commands {
		if sub, ok := strings.CutPrefix(c.path, group+" "); ok {
			out = append(out, sub)
		}
	}
	return out
}

func line(w io.Writer, c command) {
	syn := strings.TrimSpace("opsdesk " + c.path + " " + c.synopsis)
	if len(syn) <= 50 {
		fmt.Fprintf(w, "  %-51s %s\n", syn, c.summary)
		return
	}
	fmt.Fprintf(w, "  %s\n  %-51s %s\n", syn, "", c.summary)
}

// usage is the overview of every command.
func usage(w io.Writer) {
	fmt.Fprint(w, "opsdesk — an operations desk for AWS teams\n\nUsage:\n")
	for _, c := range commands {
		line(w, c)
	}
	fmt.Fprint(w, `
Run "opsdesk COMMAND --help" for a command's flags.

Every command takes --config FILE. Environment variables override the file:
  OPSDESK_CONFIG, OPSDESK_ADDR, OPSDESK_DATABASE (sqlite:PATH or postgres://…),
  OPSDESK_DATA_DIR, OPSDESK_BASE_URL, OPSDESK_LOG_FORMAT, OPSDESK_LOG_LEVEL.
`)
}

// groupHelp lists a group's subcommands.
func groupHelp(w io.Writer, group string) {
	fmt.Fprintf(w, "Usage:\n")
	for _, c := range commands {
		if strings.HasPrefix(c.path, group+" ") {
			line(w, c)
		}
	}
	fmt.Fprintf(w, "\nRun \"opsdesk %s SUBCOMMAND --help\" for a subcommand's flags.\n", group)
}

// commandHelp is a command's --help: its synopsis, what it does, its
// flags (fs may be nil for a command without flags).
func commandHelp(w io.Writer, c command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n\n%s.\n", strings.TrimSpace("opsdesk "+c.path+" "+c.synopsis), upperFirst(c.summary))
	if c.about != "" {
		fmt.Fprintf(w, "\n%s\n", wrap(strings.TrimRight(c.about, "\n"), 78))
	}
	if fs == nil {
		return
	}
	var rows [][2]string
	fs.VisitAll(func(f *flag.Flag) {
		typ, desc := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if typ != "" {
			name += " " + strings.ToUpper(typ)
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			desc += " (default " + f.DefValue + ")"
		}
		rows = append(rows, [2]string{name, desc})
	})
	if len(rows) == 0 {
		return
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	fmt.Fprint(w, "\nFlags:\n")
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %s\n", width, r[0], r[1])
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// helpRequest is what parse returns for -h / --help: run prints the
// command's help and exits 0.
type helpRequest struct{ fs *flag.FlagSet }

func (h helpRequest) Error() string { return "help requested" }

// isHelpFlag reports whether arg asks for help.
func isHelpFlag(arg string) bool { return arg == "-h" || arg == "--help" || arg == "-help" }

// showHelp prints the help a helpRequest asks for.
func showHelp(w io.Writer, h helpRequest) error {
	c, ok := findCommand(h.fs.Name())
	if !ok {
		group, sub, _ := strings.Cut(h.fs.Name(), " ")
		if isGroup(group) {
			return usageError{fmt.Sprintf("unknown %s subcommand %q (%s)", group, sub, strings.Join(subcommands(group), ", "))}
		}
		return usageError{fmt.Sprintf("unknown command %q", h.fs.Name())}
	}
	commandHelp(w, c, h.fs)
	return nil
}

// usageError is a command line that makes no sense: exit status 2, with a
// hint at the command's help.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// hint names the help of the command args were for.
func hint(args []string) string {
	var path []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		next := strings.TrimSpace(strings.Join(append(slices.Clone(path), a), " "))
		if _, ok := findCommand(next); !ok && !isGroup(next) {
			break
		}
		path = append(path, a)
	}
	if len(path) == 0 {
		return `Run "opsdesk help" for the commands.`
	}
	return fmt.Sprintf(`Run "opsdesk %s --help" for its usage.`, strings.Join(path, " "))
}

// message is err as the command line prints it after "opsdesk: ": the
// errors of internal/auth without their package prefix.
func message(err error) string {
	var ae *auth.Error
	if errors.As(err, &ae) {
		return ae.Msg
	}
	return err.Error()
}

// wrap breaks the lines of s that are longer than width at spaces;
// indented lines (lists) are left alone.
func wrap(s string, width int) string {
	var out []string
	for _, ln := range strings.Split(s, "\n") {
		if strings.HasPrefix(ln, " ") {
			out = append(out, ln)
			continue
		}
		cur := ""
		for _, word := range strings.Fields(ln) {
			if cur != "" && len(cur)+1+len(word) > width {
				out = append(out, cur)
				cur = word
				continue
			}
			cur = strings.TrimSpace(cur + " " + word)
		}
		out = append(out, cur)
	}
	return strings.Join(out, "\n")
}
