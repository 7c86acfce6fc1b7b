// Command opsdesk is a self-hosted operations desk for teams that run on
// AWS. Run "opsdesk help" for the commands.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/delivery"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
)

const usage = `opsdesk — an operations desk for AWS teams

Usage:
  opsdesk serve [--config FILE] [--addr HOST:PORT]   run the server, workers and scheduler
  opsdesk migrate [--config FILE]                    apply database migrations and exit
  opsdesk users add NAME --role admin|responder|viewer [--password-stdin]
  opsdesk users passwd NAME [--password-stdin]
  opsdesk users list
  opsdesk tokens create --name NAME                  print a new API token (shown once)
  opsdesk tokens list
  opsdesk tokens revoke NAME
  opsdesk deliveries list [--status failed|pending|delivered] [--limit N]
  opsdesk deliveries retry ID | --failed
  opsdesk cases sync [--account NAME]               archive AWS Support cases now
  opsdesk cases import FILE --account NAME [--language ja]   import seed 000's DynamoDB scan output
  opsdesk cases export --format jsonl|markdown --out DIR [--account NAME]
  opsdesk events samples                            list the sample AWS event payloads
  opsdesk events sample NAME                        print one (s3-put, support-case-update, …)
  opsdesk events send FILE [--url URL --token T]    post a payload to /api/v1/events
  opsdesk events match PATTERN.json EVENT.json      does the pattern match, and why
  opsdesk backup FILE [--force] [--with-attachments DIR]   consistent copy of the SQLite database, online
  opsdesk db copy --to postgres://… [--from sqlite:PATH]  move an SQLite installation to PostgreSQL
  opsdesk attachments move --to db|s3://BUCKET/PREFIX|local:DIR   copy the case attachments to another store
  opsdesk attachments check [--verify]              is every stored attachment's file there
  opsdesk version

Every command takes --config FILE. Environment variables override the file:
  OPSDESK_CONFIG, OPSDESK_ADDR, OPSDESK_DATABASE (sqlite:PATH or postgres://…),
  OPSDESK_DATA_DIR, OPSDESK_BASE_URL, OPSDESK_LOG_FORMAT, OPSDESK_LOG_LEVEL.
`

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "opsdesk: %s\n\n%s", ue.msg, usage)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "opsdesk: %v\n", err)
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(rest, stdout, stderr)
	case "migrate":
		return migrate(rest, stdout)
	case "users":
		return users(rest, stdin, stdout)
	case "tokens":
		return tokens(rest, stdout)
	case "deliveries":
		return deliveries(rest, stdout)
	case "cases":
		return casesCmd(rest, stdout, stderr)
	case "events":
		return eventsCmd(rest, stdin, stdout)
	case "backup":
		return backupCmd(rest, stdout)
	case "db":
		return dbCmd(rest, stdout, stderr)
	case "attachments":
		return attachmentsCmd(rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "opsdesk", app.Version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// flags returns a flag set with --config; interspersed lets positional
// arguments come before or after flags.
func flags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := fs.String("config", "", "configuration file (YAML)")
	return fs, cfg
}

// parse parses flags that may follow positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func loadConfig(file string) (*config.Config, error) {
	return config.Load(file, os.LookupEnv)
}

func serve(args []string, stdout, stderr io.Writer) error {
	fs, cfgFile := flags("serve")
	addr := fs.String("addr", "", "listen address (overrides config and OPSDESK_ADDR)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgFile)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Addr = *addr
		if err := cfg.Validate(); err != nil {
			return err
		}
	}
	log := app.NewLogger(cfg, stderr)
	if pp := os.Getenv("OPSDESK_PPROF_ADDR"); pp != "" {
		// Go's profiler on a separate listener (never on the console's
		// address): for diagnosing a running process, on loopback.
		startPprof(pp, log)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	a, err := app.New(ctx, cfg, app.Options{Log: log, Stdout: stdout})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (config key addr / OPSDESK_ADDR): %w", cfg.Addr, err)
	}
	return a.Run(ctx, ln)
}

func migrate(args []string, stdout io.Writer) error {
	fs, cfgFile := flags("migrate")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgFile)
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := app.Migrate(ctx, st)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrated %s database: %d schema migrations applied, job queue up to date\n", st.Engine, n)
	return nil
}

func openStore(file string) (*store.Store, *config.Config, error) {
	cfg, err := loadConfig(file)
	if err != nil {
		return nil, nil, err
	}
	st, err := app.OpenStore(context.Background(), cfg)
	return st, cfg, err
}

// readPassword reads a new password: from stdin when asked (or when stdin is
// not a terminal), else interactively twice without echo.
func readPassword(stdin io.Reader, stdout io.Writer, fromStdin bool) (string, error) {
	if f, ok := stdin.(*os.File); ok && !fromStdin && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stdout, "New password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stdout, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on standard input")
	}
	return pw, nil
}

func users(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"users needs a subcommand: add, passwd, list"}
	}
	fs, cfgFile := flags("users " + args[0])
	role := fs.String("role", "", "admin, responder or viewer")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	ctx := context.Background()
	switch args[0] {
	case "add":
		if len(pos) != 1 {
			return usageError{"users add needs exactly one NAME"}
		}
		if !auth.ValidRole(*role) {
			return usageError{fmt.Sprintf("--role must be admin, responder or viewer (got %q)", *role)}
		}
		st, _, err := openStore(*cfgFile)
		if err != nil {
			return err
		}
		defer st.Close()
		pw := ""
		if *fromStdin {
			if pw, err = readPassword(stdin, stdout, true); err != nil {
				return err
			}
		} else {
			pw = auth.RandomToken(12)
		}
		if _, err := auth.New(st, nil).AddUser(ctx, pos[0], *role, pw); err != nil {
			return err
		}
		if *fromStdin {
			fmt.Fprintf(stdout, "added user %s (%s)\n", pos[0], *role)
		} else {
			fmt.Fprintf(stdout, "added user %s (%s) with password:\n\n    %s\n\n(shown once; change it with: opsdesk users passwd %s)\n", pos[0], *role, pw, pos[0])
		}
		return nil
	case "passwd":
		if len(pos) != 1 {
			return usageError{"users passwd needs exactly one NAME"}
		}
		st, _, err := openStore(*cfgFile)
		if err != nil {
			return err
		}
		defer st.Close()
		pw, err := readPassword(stdin, stdout, *fromStdin)
		if err != nil {
			return err
		}
		if err := auth.New(st, nil).SetPassword(ctx, pos[0], pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s changed; their sessions were ended\n", pos[0])
		return nil
	case "list":
		st, _, err := openStore(*cfgFile)
		if err != nil {
			return err
		}
		defer st.Close()
		us, err := auth.New(st, nil).ListUsers(ctx)
		if err != nil {
			return err
		}
		for _, u := range us {
			fmt.Fprintf(stdout, "%-24s %-10s created %s\n", u.Name, u.Role, u.CreatedAt.Format(time.RFC3339))
		}
		return nil
	}
	return usageError{fmt.Sprintf("unknown users subcommand %q", args[0])}
}

func tokens(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"tokens needs a subcommand: create, list, revoke"}
	}
	fs, cfgFile := flags("tokens " + args[0])
	name := fs.String("name", "", "token name, e.g. the sending system")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, _, err := openStore(*cfgFile)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := auth.New(st, nil)
	switch args[0] {
	case "create":
		if *name == "" && len(pos) == 1 {
			*name = pos[0]
		}
		if *name == "" {
			return usageError{"tokens create needs --name NAME"}
		}
		tok, err := svc.CreateToken(ctx, *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", tok)
		return nil
	case "list":
		ts, err := svc.ListTokens(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			fmt.Fprintf(stdout, "%-32s created %s\n", t.Name, t.CreatedAt.Format(time.RFC3339))
		}
		return nil
	case "revoke":
		if len(pos) != 1 {
			return usageError{"tokens revoke needs exactly one NAME"}
		}
		if err := svc.RevokeToken(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked token %s\n", pos[0])
		return nil
	}
	return usageError{fmt.Sprintf("unknown tokens subcommand %q", args[0])}
}

func deliveries(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"deliveries needs a subcommand: list, retry"}
	}
	fs, cfgFile := flags("deliveries " + args[0])
	failed := fs.Bool("failed", false, "retry every failed delivery")
	status := fs.String("status", "", "pending, delivered or failed")
	limit := fs.Int("limit", 50, "rows to show")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, _, err := openStore(*cfgFile)
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "list":
		ds, err := delivery.List(ctx, st, delivery.Filter{Status: *status, Limit: *limit})
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			fmt.Fprintln(stdout, "no deliveries")
		}
		for _, d := range ds {
			fmt.Fprintf(stdout, "%-6d %-12s %-16s %-10s attempts=%d %s %s\n", d.ID, d.QuestionRef, d.Destination, d.Status, d.Attempts, d.ExternalRef, d.LastError)
		}
		return nil
	case "retry":
		q, err := jobs.New(st, jobs.Options{})
		if err != nil {
			return err
		}
		now := time.Now()
		if *failed {
			if len(pos) != 0 {
				return usageError{"deliveries retry takes an ID or --failed, not both"}
			}
			n, err := delivery.RetryFailed(ctx, st, q, now)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%d failed deliveries queued again\n", n)
			return nil
		}
		if len(pos) != 1 {
			return usageError{"deliveries retry needs an ID or --failed"}
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return usageError{fmt.Sprintf("delivery ID must be a number (got %q)", pos[0])}
		}
		ok, err := delivery.Retry(ctx, st, q, id, now)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("delivery %d is not failed; only failed deliveries can be retried", id)
		}
		fmt.Fprintf(stdout, "delivery %d queued again\n", id)
		return nil
	}
	return usageError{fmt.Sprintf("unknown deliveries subcommand %q", args[0])}
}
