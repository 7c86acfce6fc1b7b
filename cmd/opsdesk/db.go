package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/dbcopy"
	"github.com/opsdesk/opsdesk/internal/store"
)

func dbCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"db needs a subcommand: copy"}
	}
	switch args[0] {
	case "copy":
		return dbCopy(args[1:], stdout, stderr)
	}
	return usageError{fmt.Sprintf("unknown db subcommand %q (%s)", args[0], strings.Join(subcommands("db"), ", "))}
}

// dbCopy is "opsdesk db copy --to postgres://…": the SQLite installation
// into an empty PostgreSQL database (see internal/dbcopy and
// docs/backup.md). Progress goes to stderr, the summary to stdout.
func dbCopy(args []string, stdout, stderr io.Writer) error {
	fs, cfgFile := flags("db copy")
	to := fs.String("to", "", "the PostgreSQL database to copy into (postgres://…)")
	fromDB := fs.String("from", "", "the SQLite database (sqlite:PATH); default: the configured one")
	attFrom := fs.String("attachments-from", "", "where the SQLite installation keeps attachments; default: attachments.store (local:DATA_DIR/attachments)")
	attTo := fs.String("attachments-to", "", "where attachments go: db (the target database; the default), local:DIR or s3://BUCKET/PREFIX (the default when they are in S3 already)")
	batch := fs.Int("batch", 1000, "rows per transaction")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("db copy takes no arguments (got %q); the target is --to postgres://…", pos[0])}
	}
	if *to == "" {
		return usageError{"db copy needs --to postgres://USER@HOST/DATABASE"}
	}
	if engine, _, err := config.ParseDatabase(*to); err != nil || engine != store.Postgres {
		return usageError{"--to must be a PostgreSQL URL (postgres://USER@HOST/DATABASE)"}
	}
	if *batch <= 0 {
		return usageError{"--batch must be a positive number of rows"}
	}
	cfg, err := loadConfig(*cfgFile)
	if err != nil {
		return err
	}
	source := *fromDB
	if source == "" {
		source = cfg.Database
	}
	engine, path, err := config.ParseDatabase(source)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	if engine != store.SQLite {
		return errors.New("db copy copies an SQLite installation, and the configured database is PostgreSQL: name the SQLite file with --from sqlite:PATH")
	}
	// Where the files are now: the configured store of the SQLite
	// installation. Files in S3 stay there by default; files on disk or in
	// the SQLite database go into the PostgreSQL database.
	fromSpec := *attFrom
	if fromSpec == "" {
		fromSpec = cfg.Attachments.Store
	}
	if fromSpec == "" || fromSpec == blob.KindLocal {
		fromSpec = "local:" + filepath.Join(cfg.DataDir, "attachments")
	}
	from, err := blob.ParseSpec(fromSpec)
	if err != nil {
		return fmt.Errorf("--attachments-from: %w", err)
	}
	toSpec := *attTo
	if toSpec == "" {
		toSpec = blob.KindDB
		if from.Kind == blob.KindS3 {
			toSpec = from.String()
		}
	}
	if _, err := blob.ParseSpec(toSpec); err != nil {
		return fmt.Errorf("--attachments-to: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	target := redactURL(*to)
	fmt.Fprintf(stderr, "copying sqlite:%s into %s\n", path, target)
	s3 := blob.S3Options{Region: cfg.Attachments.S3Region}
	var srcStore blob.Store
	switch from.Kind {
	case blob.KindLocal:
		srcStore = blob.NewLocal(from.Dir)
	case blob.KindS3:
		if srcStore, err = blob.Open(ctx, from.String(), blob.Options{S3: s3}); err != nil {
			return err
		}
	case blob.KindDB:
		// In the SQLite database: its blob tables are copied with the rest.
	}
	pp := &progressPrinter{w: stderr}
	rep, err := dbcopy.Copy(ctx, dbcopy.Options{
		Source:      path,
		Target:      *to,
		Attachments: srcStore,
		TargetAttachments: func(ctx context.Context, st *store.Store) (blob.Store, error) {
			return blob.Open(ctx, toSpec, blob.Options{W: st.W, R: st.R, Engine: st.Engine, S3: s3})
		},
		BatchSize: *batch,
		Progress:  pp.event,
	})
	if rep != nil {
		printCopyReport(stdout, rep, toSpec)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted; run the same command again to continue where it stopped (%w)", err)
		}
		var ce *dbcopy.CheckError
		if errors.As(err, &ce) {
			return fmt.Errorf("%w\nthe target was left as it is; see docs/backup.md (\"When the check fails\")", err)
		}
		return err
	}
	// Recorded in the new database, whose audit log carries the old one's.
	recordCLIIn(*to, stderr, "db.copy", target, "from sqlite:"+path+"; attachments to "+toSpec)
	fmt.Fprintf(stdout, "\nDone. Next: stop opsdesk if it still runs on SQLite, set OPSDESK_DATABASE=%s\n(or database: in the configuration file) and start opsdesk serve.\n", target)
	if toSpec != blob.KindDB {
		fmt.Fprintf(stdout, "Attachments are in %s: set attachments.store: %s for the PostgreSQL installation.\n", toSpec, toSpec)
	} else if cfg.Attachments.Store != "" && cfg.Attachments.Store != blob.KindDB {
		fmt.Fprintf(stdout, "Attachments are in the PostgreSQL database: set attachments.store: db (or remove it).\n")
	}
	return nil
}

// progressPrinter writes copy progress: a line when a table or step
// starts or ends, and at most one a second in between.
type progressPrinter struct {
	w    io.Writer
	key  string
	last time.Time
}

func (p *progressPrinter) event(e dbcopy.Event) {
	key := e.Step + "\x00" + e.Table
	now := time.Now()
	if key == p.key && e.Done != e.Total && now.Sub(p.last) < time.Second {
		return
	}
	p.key, p.last = key, now
	if e.Step == dbcopy.StepTable {
		fmt.Fprintf(p.w, "  %-24s %d/%d rows\n", e.Table, e.Done, e.Total)
		return
	}
	fmt.Fprintf(p.w, "  %-24s %d/%d\n", e.Step, e.Done, e.Total)
}

// printCopyReport prints the count table and what else was done.
func printCopyReport(w io.Writer, rep *dbcopy.Report, attTo string) {
	if rep.Resumed {
		fmt.Fprintln(w, "resumed an interrupted copy")
	}
	fmt.Fprintf(w, "%-36s %10s %10s\n", "table", "sqlite", "postgres")
	for _, c := range rep.Tables {
		name := c.Table
		if c.Filter != "" {
			name += " (" + c.Filter + ")"
		}
		mark := "ok"
		if !c.OK() {
			mark = "DIFFERENT"
		}
		fmt.Fprintf(w, "%-36s %10d %10d  %s\n", name, c.Source, c.Target, mark)
	}
	if len(rep.Skipped) > 0 {
		fmt.Fprintln(w, "not copied:")
		var reasons []string
		byReason := map[string][]string{}
		for _, s := range rep.Skipped {
			if byReason[s.Reason] == nil {
				reasons = append(reasons, s.Reason)
			}
			byReason[s.Reason] = append(byReason[s.Reason], s.Table)
		}
		for _, r := range reasons {
			fmt.Fprintf(w, "  %s — %s\n", strings.Join(byReason[r], ", "), r)
		}
	}
	fmt.Fprintf(w, "attachments: %d files in %s (%d copied by this run)\n", rep.Attachments, attTo, rep.AttachmentsCopied)
	fmt.Fprintf(w, "search index: %d cases indexed by this run\n", rep.SearchIndexed)
	fmt.Fprintf(w, "id sequences: %d set past the copied rows\n", rep.Sequences)
}

// redactURL hides a password in a database URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}
