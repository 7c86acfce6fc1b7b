package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// backend is one store under test: two handles on the same storage (as
// two opsdesk processes would hold), and what the storage holds
// physically, in bytes — to prove content is kept once and nothing is
// left behind.
type backend struct {
	a, b     blob.Store
	physical func(t *testing.T) int64
}

// backends are the stores every conformance test runs against: a local
// directory, the database on both engines, and S3 (the fake).
var backends = []struct {
	name string
	open func(t *testing.T) backend
}{
	{"local", openLocal},
	{"db-sqlite", func(t *testing.T) backend { return openDB(t, store.SQLite) }},
	{"db-postgres", func(t *testing.T) backend { return openDB(t, store.Postgres) }},
	{"s3", openS3},
}

func openLocal(t *testing.T) backend {
	dir := t.TempDir()
	return backend{
		a: blob.NewLocal(dir), b: blob.NewLocal(dir),
		physical: func(t *testing.T) int64 {
			var n int64
			err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				fi, err := d.Info()
				n += fi.Size()
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return n
		},
	}
}

// openDB opens the database twice: two pools, as two processes.
func openDB(t *testing.T, engine string) backend {
	ctx := context.Background()
	url := storetest.DatabaseURL(t, engine)
	var sts [2]*store.Store
	var stores [2]blob.Store
	for i := range sts {
		st, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if i == 0 {
			if _, err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		sts[i] = st
		if stores[i], err = blob.NewDB(st.W, st.R, st.Engine); err != nil {
			t.Fatal(err)
		}
	}
	length := "octet_length"
	if engine == store.SQLite {
		length = "length"
	}
	return backend{
		a: stores[0], b: stores[1],
		physical: func(t *testing.T) int64 {
			var n int64
			if err := sts[0].R.QueryRow(`SELECT coalesce(sum(` + length + `(data)), 0) FROM blob_chunks`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
	}
}

func s3Store(t *testing.T, f *fake.S3, bucket, prefix string) blob.Store {
	t.Helper()
	s, err := blob.Open(context.Background(), "s3://"+bucket+"/"+prefix, blob.Options{S3: blob.S3Options{
		Region:      f.Region(),
		LookupEnv:   env(map[string]string{"AWS_ENDPOINT_URL_S3": f.URL()}),
		Credentials: f.CredentialsProvider(),
		HTTPClient:  &http.Client{Timeout: 20 * time.Second},
		TempDir:     t.TempDir(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func openS3(t *testing.T) backend {
	f := fake.NewS3(t)
	f.CreateBucket("opsdesk-archive")
	return backend{
		a: s3Store(t, f, "opsdesk-archive", "attachments"), b: s3Store(t, f, "opsdesk-archive", "attachments"),
		physical: func(t *testing.T) int64 {
			var n int64
			for _, k := range f.Keys("opsdesk-archive") {
				b, _ := f.Object("opsdesk-archive", k)
				n += int64(len(b))
			}
			return n
		},
	}
}

// eachBackend runs fn as a subtest per backend.
func eachBackend(t *testing.T, fn func(t *testing.T, be backend)) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b.open(t))
		})
	}
}

func keyOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// content is size deterministic pseudo-random bytes.
func content(seed uint64, size int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func put(t *testing.T, s blob.Store, b []byte) blob.Info {
	t.Helper()
	info, err := s.Put(context.Background(), bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if info.Key != keyOf(b) || info.Size != int64(len(b)) {
		t.Fatalf("Put: %+v, want key %s size %d", info, keyOf(b), len(b))
	}
	return info
}

func readAll(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	rc, info, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if info.Key != key || info.Size != int64(len(b)) {
		t.Fatalf("Open: %+v, read %d bytes", info, len(b))
	}
	return b
}

func list(t *testing.T, s blob.Store) []blob.Info {
	t.Helper()
	var out []blob.Info
	if err := s.List(context.Background(), func(i blob.Info) error { out = append(out, i); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// wantOnce checks that the storage holds exactly the listed blobs, once.
func wantOnce(t *testing.T, be backend) {
	t.Helper()
	var logical int64
	for _, i := range list(t, be.a) {
		logical += i.Size
	}
	if got := be.physical(t); got != logical {
		t.Errorf("storage holds %d bytes for %d bytes of blobs", got, logical)
	}
}

func TestPutOpenStat(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		data := []byte("2025-06-10T01:02:03Z ssh: connect to host 10.0.0.1 port 22: Connection timed out\n")
		info := put(t, be.a, data)
		// The other process sees it.
		if got := readAll(t, be.b, info.Key); !bytes.Equal(got, data) {
			t.Errorf("read %q", got)
		}
		st, err := be.b.Stat(ctx, info.Key)
		if err != nil || st != info {
			t.Errorf("Stat: %+v %v", st, err)
		}
		if got := list(t, be.b); len(got) != 1 || got[0] != info {
			t.Errorf("List: %+v", got)
		}
		wantOnce(t, be)
	})
}

func TestNotFound(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		missing := keyOf([]byte("never stored"))
		for _, key := range []string{missing, "", "../../../etc/passwd", strings.ToUpper(missing), missing[:63], missing + "0", "zz" + missing[2:]} {
			if _, err := be.a.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Stat(%q): %v", key, err)
			}
			if rc, _, err := be.a.Open(ctx, key); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Open(%q): %v", key, err)
				if rc != nil {
					rc.Close()
				}
			}
		}
		if err := be.a.Delete(ctx, missing); err != nil {
			t.Errorf("Delete of a missing blob: %v", err)
		}
		if err := be.a.Delete(ctx, "../x"); err == nil {
			t.Error("Delete of a non-key accepted")
		}
		if got := list(t, be.a); len(got) != 0 {
			t.Errorf("empty store lists %+v", got)
		}
	})
}

func TestEmptyBlob(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		info := put(t, be.a, nil)
		if info.Key != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
			t.Errorf("key of the empty blob: %s", info.Key)
		}
		rc, got, err := be.b.Open(context.Background(), info.Key)
		if err != nil || got.Size != 0 {
			t.Fatalf("Open: %+v %v", got, err)
		}
		defer rc.Close()
		if n, err := rc.Read(make([]byte, 10)); n != 0 || err != io.EOF {
			t.Errorf("Read: %d %v", n, err)
		}
		if pos, err := rc.Seek(0, io.SeekEnd); pos != 0 || err != nil {
			t.Errorf("Seek end: %d %v", pos, err)
		}
		if l := list(t, be.b); len(l) != 1 || l[0].Size != 0 {
			t.Errorf("List: %+v", l)
		}
	})
}

// TestLargeBlob stores a blob of several database chunks and S3 read
// windows, written in odd-sized pieces, and reads it back whole, by
// seeking, and as HTTP range requests.
func TestLargeBlob(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		data := content(1, 2*blob.ChunkSize+blob.ChunkSize/2+123)
		info, err := be.a.Put(ctx, iotest.HalfReader(bytes.NewReader(data)))
		if err != nil || info.Key != keyOf(data) || info.Size != int64(len(data)) {
			t.Fatalf("Put: %+v %v", info, err)
		}
		if got := readAll(t, be.b, info.Key); !bytes.Equal(got, data) {
			t.Fatal("content differs")
		}
		rc, _, err := be.b.Open(ctx, info.Key)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		// Across chunk boundaries, backwards, and relative.
		for _, tc := range []struct {
			off    int64
			whence int
			n      int
			pos    int64
		}{
			{blob.ChunkSize - 3, io.SeekStart, 10, blob.ChunkSize - 3},
			{-5, io.SeekEnd, 5, int64(len(data)) - 5},
			{7, io.SeekStart, 100, 7},
			{blob.ChunkSize, io.SeekCurrent, blob.ChunkSize + 17, 107 + blob.ChunkSize},
			{2 * blob.ChunkSize, io.SeekStart, 1, 2 * blob.ChunkSize},
		} {
			pos, err := rc.Seek(tc.off, tc.whence)
			if err != nil || pos != tc.pos {
				t.Fatalf("Seek(%d, %d) = %d, %v; want %d", tc.off, tc.whence, pos, err, tc.pos)
			}
			buf := make([]byte, tc.n)
			if _, err := io.ReadFull(rc, buf); err != nil {
				t.Fatalf("read %d at %d: %v", tc.n, pos, err)
			}
			if !bytes.Equal(buf, data[pos:pos+int64(tc.n)]) {
				t.Errorf("%d bytes at %d differ", tc.n, pos)
			}
		}
		// Past the end: EOF, not an error.
		if _, err := rc.Seek(int64(len(data))+10, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if n, err := rc.Read(make([]byte, 4)); n != 0 || err != io.EOF {
			t.Errorf("read past the end: %d %v", n, err)
		}
		if _, err := rc.Seek(-1, io.SeekStart); err == nil {
			t.Error("seek before the start accepted")
		}

		// As the console serves it.
		for _, rng := range []string{"bytes=1048570-1048590", "bytes=-300", "bytes=2097150-"} {
			rc, _, err := be.b.Open(ctx, info.Key)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			req.Header.Set("Range", rng)
			w := httptest.NewRecorder()
			http.ServeContent(w, req, "", time.Time{}, rc)
			rc.Close()
			var start, end int64
			if _, err := fmt.Sscanf(w.Header().Get("Content-Range"), "bytes %d-%d/", &start, &end); err != nil || w.Code != http.StatusPartialContent {
				t.Fatalf("%s: %d %q", rng, w.Code, w.Header().Get("Content-Range"))
			}
			if !bytes.Equal(w.Body.Bytes(), data[start:end+1]) {
				t.Errorf("%s: body differs", rng)
			}
		}
		wantOnce(t, be)
	})
}

func TestSameContentTwice(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		data := content(2, blob.ChunkSize+10)
		first := put(t, be.a, data)
		second := put(t, be.b, data)
		if first != second {
			t.Errorf("%+v then %+v", first, second)
		}
		if l := list(t, be.a); len(l) != 1 {
			t.Errorf("List: %+v", l)
		}
		wantOnce(t, be)
	})
}

// TestConcurrentPuts stores the same content from two processes at once,
// several times each: none fails, and it is kept once.
func TestConcurrentPuts(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		data := content(3, blob.ChunkSize+blob.ChunkSize/3)
		other := content(4, 1000)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 8 {
			s := be.a
			if i%2 == 1 {
				s = be.b
			}
			b := data
			if i == 7 {
				b = other
			}
			wg.Go(func() {
				info, err := s.Put(context.Background(), bytes.NewReader(b))
				if err == nil && info.Key != keyOf(b) {
					err = fmt.Errorf("key %s", info.Key)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		l := list(t, be.a)
		want := []string{keyOf(data), keyOf(other)}
		slices.Sort(want)
		if len(l) != 2 || l[0].Key != want[0] || l[1].Key != want[1] {
			t.Errorf("List: %+v", l)
		}
		if got := readAll(t, be.b, keyOf(data)); !bytes.Equal(got, data) {
			t.Error("content differs")
		}
		wantOnce(t, be)
	})
}

func TestListOrderAndStop(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		var want []blob.Info
		for i := range 12 {
			want = append(want, put(t, be.a, content(uint64(100+i), 10+i)))
		}
		slices.SortFunc(want, func(x, y blob.Info) int { return strings.Compare(x.Key, y.Key) })
		if got := list(t, be.b); !slices.Equal(got, want) {
			t.Errorf("List:\n got %+v\nwant %+v", got, want)
		}
		stop := errors.New("stop")
		n := 0
		err := be.a.List(ctx, func(blob.Info) error {
			n++
			if n == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 3 {
			t.Errorf("List stopped after %d with %v", n, err)
		}
	})
}

func TestDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		keep := put(t, be.a, []byte("keep"))
		gone := put(t, be.a, content(5, blob.ChunkSize+1))
		if err := be.b.Delete(ctx, gone.Key); err != nil {
			t.Fatal(err)
		}
		if _, err := be.a.Stat(ctx, gone.Key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Stat after Delete: %v", err)
		}
		if _, _, err := be.a.Open(ctx, gone.Key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Open after Delete: %v", err)
		}
		if err := be.b.Delete(ctx, gone.Key); err != nil {
			t.Errorf("second Delete: %v", err)
		}
		if l := list(t, be.a); len(l) != 1 || l[0] != keep {
			t.Errorf("List: %+v", l)
		}
		wantOnce(t, be)
		// Stored again after deletion.
		put(t, be.b, content(5, blob.ChunkSize+1))
		wantOnce(t, be)
	})
}

// TestFailedPut: a reader that fails part way stores nothing and leaves
// nothing behind.
func TestFailedPut(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		boom := errors.New("connection reset")
		r := io.MultiReader(bytes.NewReader(content(6, blob.ChunkSize+500)), iotest.ErrReader(boom))
		if _, err := be.a.Put(context.Background(), r); !errors.Is(err, boom) {
			t.Errorf("Put: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := be.a.Put(ctx, bytes.NewReader(content(7, 100))); err == nil {
			t.Error("Put with a cancelled context succeeded")
		}
		if l := list(t, be.a); len(l) != 0 {
			t.Errorf("List: %+v", l)
		}
		if n := be.physical(t); n != 0 {
			t.Errorf("%d bytes left behind", n)
		}
	})
}

func TestCopyVerifies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, dst := openLocal(t), openDB(t, store.SQLite)
	data := content(8, blob.ChunkSize+99)
	info := put(t, src.a, data)
	got, err := blob.Copy(ctx, dst.a, src.a, info.Key)
	if err != nil || got != info {
		t.Fatalf("Copy: %+v %v", got, err)
	}
	if b := readAll(t, dst.a, info.Key); !bytes.Equal(b, data) {
		t.Error("copy differs")
	}
	// A damaged source file is refused, not copied under its name.
	bad := put(t, src.a, []byte("original"))
	if err := os.WriteFile(src.a.(*blob.Local).Path(bad.Key), []byte("tampered"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := blob.Copy(ctx, dst.a, src.a, bad.Key); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("Copy of a damaged file: %v", err)
	}
	if _, err := dst.a.Stat(ctx, bad.Key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("damaged file stored under its name: %v", err)
	}
	if _, err := blob.Verify(ctx, src.a, bad.Key); err == nil {
		t.Error("Verify passed a damaged file")
	}
}
