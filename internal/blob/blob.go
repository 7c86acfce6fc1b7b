// Package blob stores opsdesk's files (case attachments) by content: a
// blob's key is the lowercase hex SHA-256 of its bytes, so the same file is
// kept once however many cases carry it, and any replica can serve what any
// other stored. Three stores implement Store: a local directory (the
// embedded SQLite default), the database itself (the PostgreSQL default;
// chunked rows), and Amazon S3 (an option for large archives). Open builds
// one from its configuration spec ("local:DIR", "db", "s3://bucket/prefix").
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ErrNotFound is returned by Open and Stat for a key the store does not
// hold (and for a string that is not a key at all: it cannot be stored).
var ErrNotFound = errors.New("blob: not found")

// Info describes one stored blob.
type Info struct {
	Key  string // lowercase hex SHA-256 of the content
	Size int64
}

// Store is where blobs live. Every method is safe for concurrent use, also
// from several processes sharing the store.
type Store interface {
	// Put reads r to the end, stores its content and returns its key and
	// size. Storing content that is already there is cheap and not an
	// error. A reader never sees a partly stored blob: until Put returns,
	// Open and Stat answer ErrNotFound or the complete blob.
	Put(ctx context.Context, r io.Reader) (Info, error)
	// Open returns the content of key; the caller closes it. The reader
	// also implements io.Seeker, so that it can be served with
	// http.ServeContent (range requests).
	Open(ctx context.Context, key string) (ReadSeekCloser, Info, error)
	// Stat reports whether key is stored and its size.
	Stat(ctx context.Context, key string) (Info, error)
	// List calls fn for every stored blob, in key order, until fn returns
	// an error (which List returns).
	List(ctx context.Context, fn func(Info) error) error
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// String names the store for messages ("local:/var/lib/opsdesk/attachments",
	// "db", "s3://bucket/prefix"); it is also a spec Open accepts.
	String() string
}

// ReadSeekCloser is what Open returns.
type ReadSeekCloser interface {
	io.ReadSeeker
	io.Closer
}

// ValidKey reports whether key has the form of a blob key: 64 lowercase
// hex digits. Stores check every key they are given with it, so that no
// key can name a path or object outside the store.
func ValidKey(key string) bool {
	if len(key) != 64 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// notFound is the error for a key that is not stored (or cannot be).
func notFound(op, key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("blob: %s: %q is not a blob key: %w", op, key, ErrNotFound)
	}
	return fmt.Errorf("blob: %s %s: %w", op, key, ErrNotFound)
}

// seekPos computes the new offset of a Seek on content of size bytes.
func seekPos(pos, size, offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = pos + offset
	case io.SeekEnd:
		abs = size + offset
	default:
		return pos, errors.New("blob: seek: invalid whence")
	}
	if abs < 0 {
		return pos, errors.New("blob: seek: negative position")
	}
	return abs, nil
}
