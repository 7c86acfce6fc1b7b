package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Local keeps blobs as files in a directory, at DIR/aa/bb/KEY (aa and bb
// the first two pairs of hex digits), the layout opsdesk has always used
// under data_dir/attachments. It is the default with SQLite: one process,
// one disk. Several replicas can share it only on a shared file system.
//
// A file appears under its name only once complete: Put writes a
// temporary file in DIR (".upload-…", ignored by List) and renames it.
// Files are created 0600 and directories 0700.
type Local struct {
	dir string
}

// NewLocal returns the store in dir; the directory is created on the
// first Put.
func NewLocal(dir string) *Local { return &Local{dir: dir} }

// Dir is the store's directory.
func (l *Local) Dir() string { return l.dir }

// Path is where the content of key lives (whether or not it is stored).
func (l *Local) Path(key string) string {
	return filepath.Join(l.dir, key[:2], key[2:4], key)
}

func (l *Local) String() string { return "local:" + l.dir }

// Put implements Store.
func (l *Local) Put(ctx context.Context, r io.Reader) (Info, error) {
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return Info{}, fmt.Errorf("blob: put: %w", err)
	}
	tmp, err := os.CreateTemp(l.dir, ".upload-*")
	if err != nil {
		return Info{}, fmt.Errorf("blob: put: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err != nil {
		return Info{}, fmt.Errorf("blob: put: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return Info{}, fmt.Errorf("blob: put: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Info{}, fmt.Errorf("blob: put: %w", err)
	}
	info := Info{Key: hex.EncodeToString(h.Sum(nil)), Size: n}
	dst := l.Path(info.Key)
	if fi, err := os.Stat(dst); err == nil && fi.Size() == n {
		return info, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return Info{}, fmt.Errorf("blob: put %s: %w", info.Key, err)
	}
	// Two processes storing the same content rename identical files onto
	// the same name; either wins.
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return Info{}, fmt.Errorf("blob: put %s: %w", info.Key, err)
	}
	return info, nil
}

// Open implements Store; the reader is the *os.File.
func (l *Local) Open(ctx context.Context, key string) (ReadSeekCloser, Info, error) {
	if !ValidKey(key) {
		return nil, Info{}, notFound("open", key)
	}
	f, err := os.Open(l.Path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, notFound("open", key)
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("blob: open %s: %w", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, fmt.Errorf("blob: open %s: %w", key, err)
	}
	return f, Info{Key: key, Size: fi.Size()}, nil
}

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	if !ValidKey(key) {
		return Info{}, notFound("stat", key)
	}
	fi, err := os.Stat(l.Path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, notFound("stat", key)
	}
	if err != nil {
		return Info{}, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	return Info{Key: key, Size: fi.Size()}, nil
}

// List implements Store. Names in the tree that are not blobs of their
// place (temporary files, strays) are skipped.
func (l *Local) List(ctx context.Context, fn func(Info) error) error {
	top, err := readDirNames(l.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blob: list: %w", err)
	}
	// os.ReadDir sorts by name, and a key begins with its directories'
	// names: walking aa, then bb, then files, visits keys in order.
	for _, aa := range top {
		if !isHexPair(aa) {
			continue
		}
		mid, err := readDirNames(filepath.Join(l.dir, aa))
		if err != nil {
			return fmt.Errorf("blob: list: %w", err)
		}
		for _, bb := range mid {
			if !isHexPair(bb) {
				continue
			}
			names, err := readDirNames(filepath.Join(l.dir, aa, bb))
			if err != nil {
				return fmt.Errorf("blob: list: %w", err)
			}
			for _, name := range names {
				if !ValidKey(name) || !strings.HasPrefix(name, aa+bb) {
					continue
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				fi, err := os.Stat(filepath.Join(l.dir, aa, bb, name))
				if errors.Is(err, fs.ErrNotExist) {
					continue // deleted meanwhile
				}
				if err != nil {
					return fmt.Errorf("blob: list: %w", err)
				}
				if !fi.Mode().IsRegular() {
					continue
				}
				if err := fn(Info{Key: name, Size: fi.Size()}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("blob: delete: %q is not a blob key", key)
	}
	if err := os.Remove(l.Path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	return nil
}

func readDirNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out, nil
}

func isHexPair(s string) bool {
	return len(s) == 2 && ValidKey(s+strings.Repeat("0", 62))
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
