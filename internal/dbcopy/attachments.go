package dbcopy

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/opsdesk/opsdesk/internal/blob"
)

// storedFile is one attachment file the archive refers to.
type storedFile struct {
	sum  string // SHA-256, the blob key
	name string // a file name it was stored under, for messages
}

// scanStored reads the rows of storedQuery, from the source snapshot or
// from the target.
func scanStored(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) ([]storedFile, error) {
	var out []storedFile
	for rows.Next() {
		var f storedFile
		if err := rows.Scan(&f.sum, &f.name); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

const storedQuery = `SELECT sha256, min(file_name) FROM case_attachments WHERE status = 'stored' GROUP BY sha256 ORDER BY sha256`

// openBlobs opens the target's attachment store once.
func (c *copier) openBlobs(ctx context.Context) (blob.Store, error) {
	if c.blobs != nil {
		return c.blobs, nil
	}
	var (
		bs  blob.Store
		err error
	)
	if c.o.TargetAttachments != nil {
		bs, err = c.o.TargetAttachments(ctx, c.st)
	} else {
		bs, err = blob.NewDB(c.st.W, c.st.R, c.st.Engine)
	}
	if err != nil {
		return nil, fmt.Errorf("open the target's attachment store: %w", err)
	}
	c.blobs = bs
	return bs, nil
}

// copyAttachments copies the file of every stored attachment of the
// source into the target's store, checking its content against its key on
// both sides (blob.Copy). Files already there (an earlier, interrupted
// run; a store both installations share) are not sent again. A file
// missing from the source store is left for the check to report.
func (c *copier) copyAttachments(ctx context.Context) error {
	if c.prog[stepAttachments].done {
		return nil
	}
	rows, err := c.src.tx.QueryContext(ctx, storedQuery)
	if err != nil {
		return fmt.Errorf("attachments: read the source: %w", err)
	}
	files, err := scanStored(rows)
	rows.Close()
	if err != nil {
		return fmt.Errorf("attachments: read the source: %w", err)
	}
	if len(files) > 0 {
		dst, err := c.openBlobs(ctx)
		if err != nil {
			return fmt.Errorf("attachments: %w", err)
		}
		total := int64(len(files))
		c.emit(Event{Step: StepAttachments, Done: 0, Total: total})
		missing := 0
		for i, f := range files {
			res, err := c.copyFile(ctx, dst, f)
			if err != nil {
				return fmt.Errorf("attachments: %w", err)
			}
			switch res {
			case fileCopied:
				c.rep.AttachmentsCopied++
			case fileMissing:
				missing++
			}
			c.emit(Event{Step: StepAttachments, Done: int64(i + 1), Total: total})
		}
		if missing > 0 {
			// Not done: once the files are back, the next run copies them.
			return nil
		}
	}
	if err := c.tgt.mark(ctx, nil, c.srcID, stepAttachments, progress{lastRowid: math.MinInt64, done: true}); err != nil {
		return fmt.Errorf("attachments: record progress: %w", err)
	}
	return nil
}

// What copyFile did.
const (
	fileThere   = iota // the target store had it
	fileCopied         // copied now
	fileMissing        // not in the source store either: the check reports it
)

// copyFile copies one file unless the target store has it.
func (c *copier) copyFile(ctx context.Context, dst blob.Store, f storedFile) (int, error) {
	if !validSum(f.sum) {
		return 0, fmt.Errorf("attachment %q has no valid SHA-256 (%q)", f.name, f.sum)
	}
	_, err := dst.Stat(ctx, f.sum)
	if err == nil {
		return fileThere, nil
	}
	if !errors.Is(err, blob.ErrNotFound) {
		return 0, fmt.Errorf("look for %s in %s: %w", f.sum, dst, err)
	}
	if c.o.Attachments == nil {
		return 0, fmt.Errorf("attachment %q (%s) is not in %s, and no source store was given to copy it from", f.name, f.sum, dst)
	}
	if _, err := c.o.Attachments.Stat(ctx, f.sum); errors.Is(err, blob.ErrNotFound) {
		return fileMissing, nil
	} else if err != nil {
		return 0, fmt.Errorf("attachment %q: look for %s in %s: %w", f.name, f.sum, c.o.Attachments, err)
	}
	if _, err := blob.Copy(ctx, dst, c.o.Attachments, f.sum); err != nil {
		return 0, fmt.Errorf("attachment %q: %w", f.name, err)
	}
	return fileCopied, nil
}

// verifyAttachments looks up every stored attachment of the target's
// archive in its store; it returns the missing ones and how many are
// present.
func (c *copier) verifyAttachments(ctx context.Context) ([]string, int, error) {
	rows, err := c.st.Pool.Query(ctx, storedQuery)
	if err != nil {
		return nil, 0, fmt.Errorf("attachments: read the target: %w", err)
	}
	files, err := scanStored(rows)
	rows.Close()
	if err != nil {
		return nil, 0, fmt.Errorf("attachments: read the target: %w", err)
	}
	if len(files) == 0 {
		return nil, 0, nil
	}
	bs, err := c.openBlobs(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("attachments: %w", err)
	}
	var missing []string
	present := 0
	for _, f := range files {
		_, err := bs.Stat(ctx, f.sum)
		switch {
		case err == nil:
			present++
		case errors.Is(err, blob.ErrNotFound):
			missing = append(missing, fmt.Sprintf("%s (%s)", f.name, f.sum))
		default:
			return nil, 0, fmt.Errorf("attachments: look for %s in %s: %w", f.sum, bs, err)
		}
	}
	return missing, present, nil
}

func validSum(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
