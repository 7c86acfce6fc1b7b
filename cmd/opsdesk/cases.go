package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/cases"
)

func casesCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"cases needs a subcommand: sync"}
	}
	switch args[0] {
	case "sync":
		return casesSync(args[1:], stdout, stderr)
	}
	return usageError{fmt.Sprintf("unknown cases subcommand %q", args[0])}
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
	sy := app.NewSyncer(cfg, st, time.Now, log)
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
