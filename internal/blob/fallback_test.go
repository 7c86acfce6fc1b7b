package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/opsdesk/opsdesk/internal/blob"
)

// TestFallback: a blob only the old store holds is read from it; new blobs
// go to the primary store; a key neither holds is not found.
func TestFallback(t *testing.T) {
	ctx := context.Background()
	old, primary := blob.NewLocal(t.TempDir()), blob.NewLocal(t.TempDir())
	before, err := old.Put(ctx, bytes.NewReader([]byte("stored before the move")))
	if err != nil {
		t.Fatal(err)
	}
	f := &blob.Fallback{Primary: primary, Old: old}
	rc, info, err := f.Open(ctx, before.Key)
	if err != nil {
		t.Fatalf("open a blob of the old store: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "stored before the move" || info.Size != before.Size {
		t.Fatalf("read %q (%d bytes)", got, info.Size)
	}
	after, err := f.Put(ctx, bytes.NewReader([]byte("stored after")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := primary.Stat(ctx, after.Key); err != nil {
		t.Fatalf("a new blob is not in the primary store: %v", err)
	}
	if _, err := old.Stat(ctx, after.Key); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("a new blob went to the old store: %v", err)
	}
	if _, err := f.Stat(ctx, before.Key); err != nil {
		t.Fatalf("stat of an old blob: %v", err)
	}
	missing := "0000000000000000000000000000000000000000000000000000000000000000"
	if _, _, err := f.Open(ctx, missing); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("open of a missing key: %v", err)
	}
	var listed []string
	if err := f.List(ctx, func(i blob.Info) error { listed = append(listed, i.Key); return nil }); err != nil || len(listed) != 1 || listed[0] != after.Key {
		t.Fatalf("list %v %v: want the primary's blob only", listed, err)
	}
}
