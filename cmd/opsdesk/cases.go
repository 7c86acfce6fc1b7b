package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/config"
)

func casesCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"cases needs a subcommand: sync, import, export"}
	}
	switch args[0] {
	case "sync":
		return casesSync(args[1:], stdout, stderr)
	case "import":
		return casesImport(args[1:], stdout)
	case "export":
		return casesExport(args[1:], stdout)
	}
	return usageError{fmt.Sprintf("unknown cases subcommand %q (%s)", args[0], strings.Join(subcommands("cases"), ", "))}
}

// casesSync archives every configured account now, one after the other;
// one account failing does not stop the others.
func casesSync(args []string, stdout, stderr io.Writer) error {
	fs, cfgFile := flags("cases sync")
	only := fs.String("account", "", "sync only this account")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	st, cfg, err := openStore(*cfgFile)
	if err != nil {
		return err
	}
	defer st.Close()
	if len(cfg.AWS.Accounts) == 0 {
		return errors.New("no AWS accounts configured: add aws.accounts to the configuration (see deploy/opsdesk.example.yaml)")
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	accounts, err := cases.Accounts(ctx, cfg, os.LookupEnv, log)
	if err != nil {
		return err
	}
	if *only != "" {
		var keep []cases.Account
		for _, a := range accounts {
			if a.Name == *only {
				keep = append(keep, a)
			}
		}
		if len(keep) == 0 {
			return usageError{fmt.Sprintf("no account named %q in the configuration", *only)}
		}
		accounts = keep
	}
	blobs, err := app.Blobs(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	sy := app.NewSyncer(cfg, st, blobs, time.Now, log)
	tty := false
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		tty = true
	}
	if tty {
		sy.Progress = func(p cases.Progress) {
			fmt.Fprintf(stderr, "\r\033[K%s: %-14s cases %d · messages %d · attachments %d", p.Account, p.Phase, p.Cases, p.Communications, p.Attachments)
		}
	}
	var failed []string
	for _, acct := range accounts {
		res, err := sy.Sync(ctx, acct, time.Time{})
		if tty {
			fmt.Fprint(stderr, "\r\033[K")
		}
		if err != nil {
			failed = append(failed, acct.Name)
			fmt.Fprintf(stdout, "%s: FAILED: %v\n", acct.Name, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		fmt.Fprintf(stdout, "%s: %d cases (%d new, %d changed, %d no longer at AWS), %d new messages, %d attachments (%s) in %s\n",
			acct.Name, res.CasesSeen, res.CasesNew, res.CasesChanged, res.CasesGone, res.Communications, res.Attachments,
			humanBytes(res.AttachmentBytes), res.Took.Round(time.Millisecond))
		recordCLI(st, stderr, "case.sync", "account "+acct.Name, fmt.Sprintf("%d cases (%d new, %d changed), %d new messages, %d attachments",
			res.CasesSeen, res.CasesNew, res.CasesChanged, res.Communications, res.Attachments))
		for _, s := range res.Skipped {
			fmt.Fprintf(stdout, "  skipped language %s\n", s)
		}
		for _, f := range res.Failures {
			fmt.Fprintf(stdout, "  problem: %s\n", f)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("sync failed for %s", strings.Join(failed, ", "))
	}
	return nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func casesImport(args []string, stdout io.Writer) error {
	fs, cfgFile := flags("cases import")
	account := fs.String("account", "", "the account the cases belong to (as named in aws.accounts)")
	lang := fs.String("language", "", "case language when the file does not say (seed 000 asked in ja)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"cases import needs one FILE (the output of: aws dynamodb scan --table-name SupportCases --output json)"}
	}
	if err := config.ValidateName(*account); err != nil {
		return usageError{"--account: " + err.Error()}
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	cs, comms, err := cases.ParseDynamoDBScan(f)
	if err != nil {
		return fmt.Errorf("%s: %w (nothing was imported)", pos[0], err)
	}
	st, _, err := openStore(*cfgFile)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := cases.NewStore(st).Import(context.Background(), *account, *lang, cs, comms, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d cases (%d new) with %d new messages and %d attachment records into account %s\n", res.Cases, res.NewCases, res.Communications, res.Attachments, *account)
	recordCLI(st, os.Stderr, "case.import", "account "+*account, fmt.Sprintf("%d cases (%d new), %d new messages from %s", res.Cases, res.NewCases, res.Communications, filepath.Base(pos[0])))
	return nil
}

func casesExport(args []string, stdout io.Writer) error {
	fs, cfgFile := flags("cases export")
	format := fs.String("format", "jsonl", "jsonl or markdown")
	out := fs.String("out", "", "output directory")
	account := fs.String("account", "", "export only this account")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{"cases export needs --out DIR"}
	}
	if *format != "jsonl" && *format != "markdown" {
		return usageError{fmt.Sprintf("--format must be jsonl or markdown (got %q)", *format)}
	}
	st, _, err := openStore(*cfgFile)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := os.MkdirAll(*out, 0o750); err != nil {
		return err
	}
	n, err := cases.Export(context.Background(), cases.NewStore(st), *account, *format, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %d cases to %s (%s)\n", n, *out, *format)
	target := "all accounts"
	if *account != "" {
		target = "account " + *account
	}
	recordCLI(st, os.Stderr, "case.export", target, fmt.Sprintf("%d cases as %s to %s", n, *format, *out))
	return nil
}
