package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/term"

	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store"
)

const attachmentsUsage = `opsdesk attachments move --to db|s3://BUCKET/PREFIX|local:DIR [--from STORE] [--s3-region R] [--jobs N]
opsdesk attachments check [--store STORE] [--verify]`

func attachmentsCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"attachments needs a subcommand: move, check\n" + attachmentsUsage}
	}
	switch args[0] {
	case "move":
		return attachmentsMove(args[1:], stdout, stderr)
	case "check":
		return attachmentsCheck(args[1:], stdout)
	}
	return usageError{fmt.Sprintf("unknown attachments subcommand %q (%s)", args[0], strings.Join(subcommands("attachments"), ", "))}
}

// openBlobs opens a store spec as opsdesk would with this configuration: a
// bare "local" is data_dir/attachments, "db" is the configured database.
func openBlobs(ctx context.Context, spec string, cfg *config.Config, st *store.Store, region string) (blob.Store, error) {
	// Local directories by their absolute path, so that two spellings of
	// one directory compare equal.
	sp, err := blob.ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	if sp.Kind == blob.KindLocal {
		if sp.Dir == "" {
			sp.Dir = filepath.Join(cfg.DataDir, "attachments")
		}
		if sp.Dir, err = filepath.Abs(sp.Dir); err != nil {
			return nil, err
		}
		spec = sp.String()
	}
	return blob.Open(ctx, spec, blob.Options{
		LocalDir: filepath.Join(cfg.DataDir, "attachments"),
		W:        st.W, R: st.R, Engine: st.Engine,
		S3: blob.S3Options{Region: region},
	})
}

// moveCounts are the move's running totals.
type moveCounts struct {
	mu                      sync.Mutex
	done, copied, had, fail int
	bytes                   int64
	errs                    []string
}

// attachmentsMove copies every blob of the attachment store in use (or
// --from) to --to, checking each copy, skipping what --to already has; it
// deletes nothing. Run again after an interruption, it continues.
func attachmentsMove(args []string, stdout, stderr io.Writer) error {
	fs, cfgFile := flags("attachments move")
	to := fs.String("to", "", "where to copy the attachments: db, s3://BUCKET/PREFIX or local:DIR")
	from := fs.String("from", "", "the store to copy from (default: attachments.store in effect)")
	region := fs.String("s3-region", "", "region of an s3:// bucket (default: attachments.s3_region, AWS_REGION)")
	jobs := fs.Int("jobs", 4, "blobs copied at once")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *to == "" {
		return usageError{"attachments move needs --to\n" + attachmentsUsage}
	}
	if *jobs < 1 || *jobs > 64 {
		return usageError{"--jobs must be between 1 and 64"}
	}
	for flag, v := range map[string]string{"--to": *to, "--from": *from} {
		if v == "" {
			continue
		}
		if _, err := blob.ParseSpec(v); err != nil {
			return usageError{flag + ": " + strings.TrimPrefix(err.Error(), "blob: ")}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	st, cfg, err := openStore(*cfgFile)
	if err != nil {
		return err
	}
	defer st.Close()
	if *region == "" {
		*region = cfg.Attachments.S3Region
	}
	if *from == "" {
		*from = cfg.AttachmentsStore()
	}
	src, err := openBlobs(ctx, *from, cfg, st, *region)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	dst, err := openBlobs(ctx, *to, cfg, st, *region)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	if src.String() == dst.String() {
		return usageError{fmt.Sprintf("the attachments are in %s already (--from and --to name the same store)", dst)}
	}

	var total int
	var totalBytes int64
	if err := src.List(ctx, func(i blob.Info) error { total++; totalBytes += i.Size; return nil }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copying %d files (%s) from %s to %s\n", total, humanBytes(totalBytes), src, dst)

	tty := false
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		tty = true
	}
	var c moveCounts
	lastTenth := 0
	progress := func() { // under c.mu
		switch {
		case tty:
			fmt.Fprintf(stderr, "\r\033[K%d/%d files · %s of %s · %d copied · %d there already · %d failed",
				c.done, total, humanBytes(c.bytes), humanBytes(totalBytes), c.copied, c.had, c.fail)
		case total > 0 && c.done*10/total > lastTenth:
			lastTenth = c.done * 10 / total
			fmt.Fprintf(stderr, "%d/%d files (%s of %s)\n", c.done, total, humanBytes(c.bytes), humanBytes(totalBytes))
		}
	}
	work := make(chan blob.Info)
	var wg sync.WaitGroup
	for range *jobs {
		wg.Go(func() {
			for info := range work {
				had, err := moveOne(ctx, dst, src, info)
				c.mu.Lock()
				c.done++
				c.bytes += info.Size
				switch {
				case err != nil:
					c.fail++
					if len(c.errs) < 20 {
						c.errs = append(c.errs, err.Error())
					}
				case had:
					c.had++
				default:
					c.copied++
				}
				progress()
				c.mu.Unlock()
			}
		})
	}
	listErr := src.List(ctx, func(i blob.Info) error {
		select {
		case work <- i:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(work)
	wg.Wait()
	if tty {
		fmt.Fprint(stderr, "\r\033[K")
	}

	fmt.Fprintf(stdout, "%d files: %d copied, %d already in %s, %d failed\n", c.done, c.copied, c.had, dst, c.fail)
	recordCLI(st, stderr, "attachments.move", dst.String(), fmt.Sprintf("from %s: %d files, %d copied, %d there already, %d failed", src, c.done, c.copied, c.had, c.fail))
	for _, e := range c.errs {
		fmt.Fprintf(stdout, "  problem: %s\n", e)
	}
	switch {
	case listErr != nil:
		return fmt.Errorf("stopped after %d of %d files (run the command again to continue): %w", c.done, total, listErr)
	case c.fail > 0:
		return fmt.Errorf("%d files were not copied (run the command again to retry them)", c.fail)
	}
	setting := dst.String()
	if *to == blob.KindLocal {
		setting = blob.KindLocal
	}
	fmt.Fprintf(stdout, "\nEvery file of %s is in %s now. To use it, set in the configuration\n\n  attachments:\n    store: %s\n", src, dst, setting)
	if strings.HasPrefix(*to, "s3://") && *region != "" {
		fmt.Fprintf(stdout, "    s3_region: %s\n", *region)
	}
	fmt.Fprintf(stdout, "\nand restart every opsdesk process. Attachments that a process still using %s\n"+
		"stores before its restart are not copied yet: run this command again afterwards; it copies\n"+
		"only what is missing. %s is left as it was: remove it once\n"+
		"opsdesk attachments check passes with the new store.\n", src, src)
	return nil
}

// moveOne copies one blob unless dst has it; had says it had.
func moveOne(ctx context.Context, dst, src blob.Store, info blob.Info) (had bool, err error) {
	got, err := dst.Stat(ctx, info.Key)
	if err == nil && got.Size == info.Size {
		return true, nil
	}
	if err != nil && !errors.Is(err, blob.ErrNotFound) {
		return false, err
	}
	_, err = blob.Copy(ctx, dst, src, info.Key)
	return false, err
}

// attachmentsCheck looks up the content of every stored attachment in the
// attachment store (with --verify, reads and hashes it) and lists what is
// missing.
func attachmentsCheck(args []string, stdout io.Writer) error {
	fs, cfgFile := flags("attachments check")
	spec := fs.String("store", "", "the store to check (default: attachments.store in effect)")
	region := fs.String("s3-region", "", "region of an s3:// bucket (default: attachments.s3_region, AWS_REGION)")
	verify := fs.Bool("verify", false, "read every file and check its SHA-256")
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
	if *spec == "" {
		*spec = cfg.AttachmentsStore()
	}
	if *region == "" {
		*region = cfg.Attachments.S3Region
	}
	blobs, err := openBlobs(ctx, *spec, cfg, st, *region)
	if err != nil {
		return err
	}
	var files, atts, missing, damaged int
	err = cases.NewStore(st).EachStoredFile(ctx, func(f cases.StoredFile) error {
		files++
		atts += f.Count
		var info blob.Info
		var err error
		if *verify {
			info, err = blob.Verify(ctx, blobs, f.SHA256)
		} else {
			info, err = blobs.Stat(ctx, f.SHA256)
		}
		switch {
		case errors.Is(err, blob.ErrNotFound):
			missing++
			fmt.Fprintf(stdout, "missing: %s (%s, used by %d attachment(s), e.g. case %s, %q)\n", f.SHA256, humanBytes(f.Size), f.Count, f.CaseID, f.FileName)
		case err != nil && *verify && ctx.Err() == nil:
			damaged++
			fmt.Fprintf(stdout, "damaged: %s (case %s, %q): %v\n", f.SHA256, f.CaseID, f.FileName, err)
		case err != nil:
			return err
		case info.Size != f.Size:
			damaged++
			fmt.Fprintf(stdout, "damaged: %s (case %s, %q): %d bytes stored, %d expected\n", f.SHA256, f.CaseID, f.FileName, info.Size, f.Size)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d files of %d stored attachments checked in %s: %d missing, %d damaged\n", files, atts, blobs, missing, damaged)
	if missing+damaged > 0 {
		return fmt.Errorf("%d of %d files missing or damaged in %s", missing+damaged, files, blobs)
	}
	return nil
}
