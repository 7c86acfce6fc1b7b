package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// Copy copies the blob key from src to dst and proves both sides: the
// bytes read from src must hash to key (else src is damaged and nothing
// is kept), and the copy read back from dst must hash to key too.
func Copy(ctx context.Context, dst, src Store, key string) (Info, error) {
	rc, info, err := src.Open(ctx, key)
	if err != nil {
		return Info{}, fmt.Errorf("blob: copy %s: %w", key, err)
	}
	got, err := dst.Put(ctx, rc)
	rc.Close()
	if err != nil {
		return Info{}, fmt.Errorf("blob: copy %s: %w", key, err)
	}
	if got.Key != key || got.Size != info.Size {
		// dst stored what src gave under its true hash, a valid blob of
		// its own (perhaps one dst already had, like the empty file):
		// leave it, and report src.
		return Info{}, fmt.Errorf("blob: copy %s: the content in %s hashes to %s (%d bytes, %d expected): the source copy is damaged", key, src, got.Key, got.Size, info.Size)
	}
	if _, err := Verify(ctx, dst, key); err != nil {
		return Info{}, fmt.Errorf("blob: copy %s: %w", key, err)
	}
	return got, nil
}

// Verify reads key from s to the end and checks that it hashes to key.
func Verify(ctx context.Context, s Store, key string) (Info, error) {
	rc, info, err := s.Open(ctx, key)
	if err != nil {
		return Info{}, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, rc})
	if err != nil {
		return Info{}, fmt.Errorf("blob: verify %s in %s: %w", key, s, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != key || n != info.Size {
		return Info{}, fmt.Errorf("blob: verify %s in %s: content hashes to %s (%d bytes, %d expected)", key, s, sum, n, info.Size)
	}
	return info, nil
}
