package blob

import (
	"context"
	"errors"
	"io"
)

// Fallback is a store that writes to Primary and reads from Primary, then,
// for a key Primary does not hold, from Old. It serves an installation
// moving from one store to another (an older PostgreSQL install whose
// attachments are still files in data_dir/attachments while the database
// is the store now): nothing stored before the move answers 404 until
// `opsdesk attachments move` has copied it. List and Delete see Primary
// only.
type Fallback struct {
	Primary Store
	Old     Store
}

// Put implements Store.
func (f *Fallback) Put(ctx context.Context, r io.Reader) (Info, error) { return f.Primary.Put(ctx, r) }

// Open implements Store.
func (f *Fallback) Open(ctx context.Context, key string) (ReadSeekCloser, Info, error) {
	rc, info, err := f.Primary.Open(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return f.Old.Open(ctx, key)
	}
	return rc, info, err
}

// Stat implements Store.
func (f *Fallback) Stat(ctx context.Context, key string) (Info, error) {
	info, err := f.Primary.Stat(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return f.Old.Stat(ctx, key)
	}
	return info, err
}

// List implements Store: the blobs of Primary.
func (f *Fallback) List(ctx context.Context, fn func(Info) error) error {
	return f.Primary.List(ctx, fn)
}

// Delete implements Store: from Primary.
func (f *Fallback) Delete(ctx context.Context, key string) error { return f.Primary.Delete(ctx, key) }

// String implements Store.
func (f *Fallback) String() string {
	return f.Primary.String() + " (reading also " + f.Old.String() + ")"
}
