// Command opsdesk is a self-hosted operations desk for teams that run on
// AWS. Run "opsdesk help" for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/delivery"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
)

func main() {
	args := os.Args[1:]
	if err := run(args, os.Stdin, os.Stdout, os.Stderr); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "opsdesk: %s\n%s\n", ue.msg, hint(args))
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "opsdesk: %s\n", message(err))
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatch(args, stdin, stdout, stderr)
	var h helpRequest
	if errors.As(err, &h) {
		return showHelp(stdout, h)
	}
	return err
}

func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stdout)
		return nil
	}
	cmd, rest := args[0], args[1:]
	// "opsdesk users --help": the group's subcommands.
	if isGroup(cmd) && len(rest) > 0 && isHelpFlag(rest[0]) {
		groupHelp(stdout, cmd)
		return nil
	}
	switch cmd {
	case "serve":
		return serve(rest, stdout, stderr)
	case "migrate":
		return migrate(rest, stdout)
	case "users":
		return users(rest, stdin, stdout, stderr)
	case "tokens":
		return tokens(rest, stdout, stderr)
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
	case "maintenance":
		return maintenanceCmd(rest, stdout, stderr)
	case "oncall":
		if len(rest) > 0 && rest[0] == "import" {
			return oncallImportCmd(rest[1:], stdin, stdout, stderr)
		}
		return oncallCmd(rest, stdout)
	case "version", "--version":
		fs := flag.NewFlagSet("version", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		if _, err := parse(fs, rest); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "opsdesk", app.Version)
		return nil
	case "help", "-h", "--help", "-help":
		if len(rest) > 0 && !isHelpFlag(rest[0]) {
			return dispatch(append(slices.Clone(rest), "--help"), stdin, stdout, stderr)
		}
		if cmd == "help" && len(rest) > 0 {
			return helpRequest{noFlags("help")}
		}
		usage(stdout)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// flags returns a flag set with --config; interspersed lets positional
// arguments come before or after flags.
func flags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := fs.String("config", "", "read the configuration from `FILE` (YAML)")
	return fs, cfg
}

// noFlags is the flag set of a command without flags (so that --help
// works on it like on every other).
func noFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses flags that may follow positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, helpRequest{fs}
		} else if err != nil {
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
	addr := fs.String("addr", "", "listen address `HOST:PORT` (overrides config and OPSDESK_ADDR)")
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
	// The address is taken first: a port in use must fail the start
	// before app.New creates the first admin and prints its password.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (config key addr / OPSDESK_ADDR): %w", cfg.Addr, err)
	}
	a, err := app.New(ctx, cfg, app.Options{Log: log, Stdout: stdout})
	if err != nil {
		ln.Close()
		return err
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

func deliveries(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"deliveries needs a subcommand: " + strings.Join(subcommands("deliveries"), ", ")}
	}
	fs, cfgFile := flags("deliveries " + args[0])
	var failed *bool
	var status *string
	var limit *int
	switch args[0] {
	case "list":
		status = fs.String("status", "", "show only deliveries in this `STATE`: pending, delivered or failed")
		limit = fs.Int("limit", 50, "show at most `N` rows")
	case "retry":
		failed = fs.Bool("failed", false, "retry every failed delivery")
	}
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if failed == nil && status == nil {
		return usageError{fmt.Sprintf("unknown deliveries subcommand %q (%s)", args[0], strings.Join(subcommands("deliveries"), ", "))}
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
			recordCLI(st, os.Stderr, "delivery.retry", "failed deliveries", fmt.Sprintf("%d queued again", n))
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
		recordCLI(st, os.Stderr, "delivery.retry", fmt.Sprintf("delivery %d", id), "")
		return nil
	}
	return nil
}
