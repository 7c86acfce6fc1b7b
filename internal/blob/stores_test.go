package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestLocalLayout: the directory layout of existing installs
// (data_dir/attachments/aa/bb/KEY) is read and written, private to the
// process's user, and strays are not blobs.
func TestLocalLayout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "attachments")
	// A file an earlier opsdesk stored.
	old := []byte("stored by opsdesk before the blob store")
	oldKey := keyOf(old)
	if err := os.MkdirAll(filepath.Join(dir, oldKey[:2], oldKey[2:4]), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, oldKey[:2], oldKey[2:4], oldKey), old, 0o600); err != nil {
		t.Fatal(err)
	}
	// Strays: an interrupted download of the old code, a note, a file in
	// the wrong place, a directory named like a key.
	for _, p := range []string{".download-123", "README", oldKey[:2] + "/" + oldKey[2:4] + "/.upload-9", "ab/cd/" + oldKey} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := blob.NewLocal(dir)
	if got := readAll(t, s, oldKey); !bytes.Equal(got, old) {
		t.Errorf("old file: %q", got)
	}
	info := put(t, s, []byte("new"))
	p := filepath.Join(dir, info.Key[:2], info.Key[2:4], info.Key)
	if s.Path(info.Key) != p {
		t.Errorf("Path: %s, want %s", s.Path(info.Key), p)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file: %v %v", fi, err)
	}
	di, err := os.Stat(filepath.Dir(p))
	if err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("directory: %v %v", di, err)
	}
	got := list(t, s)
	if len(got) != 2 || !((got[0].Key == oldKey && got[1] == info) || (got[1].Key == oldKey && got[0] == info)) {
		t.Errorf("List: %+v", got)
	}
	if s.String() != "local:"+dir {
		t.Errorf("String: %s", s)
	}
	// A missing directory is an empty store.
	if l := list(t, blob.NewLocal(filepath.Join(dir, "none"))); len(l) != 0 {
		t.Errorf("List of a missing directory: %+v", l)
	}
	if _, err := blob.NewLocal(filepath.Join(dir, "none")).Stat(ctx, oldKey); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat in a missing directory: %v", err)
	}
}

// TestDBChunks: content is cut into ChunkSize rows, checked on reading,
// and uploads a dead process left behind are swept.
func TestDBChunks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, err := blob.NewDB(st.W, st.R, st.Engine)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return now })
		data := content(9, 3*blob.ChunkSize+1)
		info := put(t, s, data)
		var chunks, blobs int
		if err := st.R.QueryRow(`SELECT count(*) FROM blob_chunks`).Scan(&chunks); err != nil {
			t.Fatal(err)
		}
		if err := st.R.QueryRow(`SELECT count(*) FROM blobs`).Scan(&blobs); err != nil {
			t.Fatal(err)
		}
		if chunks != 4 || blobs != 1 {
			t.Errorf("%d chunks, %d blobs rows; want 4, 1", chunks, blobs)
		}

		// A damaged chunk is an error, not short content.
		if _, err := st.W.Exec(st.Q(`UPDATE blob_chunks SET data = ? WHERE seq = 1`), []byte("short")); err != nil {
			t.Fatal(err)
		}
		rc, _, err := s.Open(ctx, info.Key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(rc); err == nil || !strings.Contains(err.Error(), "chunk 1 has 5 bytes") {
			t.Errorf("read of a damaged blob: %v", err)
		}
		rc.Close()
		if _, err := st.W.Exec(st.Q(`DELETE FROM blob_chunks WHERE seq = 2`)); err != nil {
			t.Fatal(err)
		}
		rc, _, _ = s.Open(ctx, info.Key)
		if _, err := rc.Seek(2*blob.ChunkSize, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if _, err := rc.Read(make([]byte, 10)); err == nil || !strings.Contains(err.Error(), "chunk 2 is missing") {
			t.Errorf("read of a missing chunk: %v", err)
		}
		rc.Close()

		// An upload of a process that died two days ago.
		var id int64
		if err := st.W.QueryRow(st.Q(`INSERT INTO blob_uploads (started_at) VALUES (?) RETURNING id`), now.Add(-48*time.Hour).UnixMilli()).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := st.W.Exec(st.Q(`INSERT INTO blob_chunks (blob_id, seq, data) VALUES (?, 0, ?)`), id, []byte("orphan")); err != nil {
			t.Fatal(err)
		}
		// One that is running (an hour old) is left alone.
		var running int64
		if err := st.W.QueryRow(st.Q(`INSERT INTO blob_uploads (started_at) VALUES (?) RETURNING id`), now.Add(-time.Hour).UnixMilli()).Scan(&running); err != nil {
			t.Fatal(err)
		}
		if _, err := st.W.Exec(st.Q(`INSERT INTO blob_chunks (blob_id, seq, data) VALUES (?, 0, ?)`), running, []byte("in flight")); err != nil {
			t.Fatal(err)
		}
		now = now.Add(2 * time.Hour) // the next sweep is due
		put(t, s, []byte("next"))
		var orphans, inFlight int
		_ = st.R.QueryRow(st.Q(`SELECT count(*) FROM blob_chunks WHERE blob_id = ?`), id).Scan(&orphans)
		_ = st.R.QueryRow(st.Q(`SELECT count(*) FROM blob_chunks WHERE blob_id = ?`), running).Scan(&inFlight)
		if orphans != 0 || inFlight != 1 {
			t.Errorf("after the sweep: %d orphan chunks, %d in-flight chunks; want 0, 1", orphans, inFlight)
		}
	})
}

// TestS3Layout: object names, one PutObject per content, ranged reads,
// pages of listing, strays.
func TestS3Layout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := fake.NewS3(t)
	f.CreateBucket("bkt")
	f.SetMaxKeys(2)
	s := s3Store(t, f, "bkt", "opsdesk/att/")
	if s.String() != "s3://bkt/opsdesk/att" {
		t.Errorf("String: %s", s)
	}
	data := content(10, 9<<20/4) // 2.25 MiB
	info := put(t, s, data)
	if _, ok := f.Object("bkt", "opsdesk/att/"+info.Key[:2]+"/"+info.Key); !ok {
		t.Fatalf("objects: %v", f.Keys("bkt"))
	}
	put(t, s, data)
	if n := f.Calls("PutObject"); n != 1 {
		t.Errorf("%d PutObject calls for the same content twice", n)
	}
	for i := range 4 {
		put(t, s, content(uint64(20+i), 10))
	}
	f.SetObject("bkt", "opsdesk/att/notes.txt", []byte("stray"))
	wrong := "00"
	if info.Key[:2] == wrong {
		wrong = "ff"
	}
	f.SetObject("bkt", "opsdesk/att/"+wrong+"/"+info.Key, []byte("misplaced"))
	f.SetObject("bkt", "other/"+info.Key[:2]+"/"+info.Key, []byte("another prefix"))
	if l := list(t, s); len(l) != 5 {
		t.Errorf("List: %d blobs, want 5: %+v", len(l), l)
	}
	if n := f.Calls("ListObjectsV2"); n < 4 {
		t.Errorf("%d list pages for 8 objects 2 at a time", n)
	}

	before := f.Calls("GetObject")
	if got := readAll(t, s, info.Key); !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
	if n := f.Calls("GetObject") - before; n != 1 {
		t.Errorf("%d GETs for one sequential read of 2.25 MiB", n)
	}
	// In windows of 100,000 bytes: whole, and from an odd offset.
	blob.SetReadWindow(s, 100000)
	before = f.Calls("GetObject")
	if got := readAll(t, s, info.Key); !bytes.Equal(got, data) {
		t.Fatal("content read in windows differs")
	}
	if n, want := f.Calls("GetObject")-before, (len(data)+99999)/100000; n != want {
		t.Errorf("%d GETs in windows of 100,000 bytes, want %d", n, want)
	}
	rc, _, err := s.Open(ctx, info.Key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Seek(123457, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if rest, err := io.ReadAll(rc); err != nil || !bytes.Equal(rest, data[123457:]) {
		t.Errorf("read from 123457: %d bytes, %v", len(rest), err)
	}
	rc.Close()
	ranged := 0
	for _, r := range f.Requests() {
		if r.Method == http.MethodGet && r.Header.Get("Range") != "" {
			ranged++
		}
	}
	if ranged != f.Calls("GetObject") {
		t.Errorf("%d of %d GETs ranged", ranged, f.Calls("GetObject"))
	}

	// A damaged object fails verification.
	f.SetObject("bkt", "opsdesk/att/"+info.Key[:2]+"/"+info.Key, content(11, len(data)))
	if _, err := blob.Verify(ctx, s, info.Key); err == nil {
		t.Error("Verify passed a damaged object")
	}
	// Gone between Open and Read.
	rc, _, err = s.Open(ctx, info.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, info.Key); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Read(make([]byte, 10)); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("read of a deleted object: %v", err)
	}
	rc.Close()
}

func TestS3Config(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := fake.NewS3(t)
	f.CreateBucket("bkt")
	base := blob.S3Options{Bucket: "bkt", Region: f.Region(), Credentials: f.CredentialsProvider(), HTTPClient: &http.Client{Timeout: 10 * time.Second}, TempDir: t.TempDir()}
	for _, tc := range []struct {
		name string
		env  map[string]string
		ok   bool
		err  string
	}{
		{"AWS_ENDPOINT_URL_S3", map[string]string{"AWS_ENDPOINT_URL_S3": f.URL(), "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, true, ""},
		{"AWS_ENDPOINT_URL", map[string]string{"AWS_ENDPOINT_URL": f.URL() + "/"}, true, ""},
		{"not a URL", map[string]string{"AWS_ENDPOINT_URL_S3": "localhost:9000"}, false, "AWS_ENDPOINT_URL_S3 is not an http(s) URL"},
		{"user info", map[string]string{"AWS_ENDPOINT_URL_S3": "http://u:secret@" + strings.TrimPrefix(f.URL(), "http://")}, false, "must not contain user info"},
	} {
		o := base
		o.LookupEnv = env(tc.env)
		s, err := blob.NewS3(ctx, o)
		if !tc.ok {
			if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "secret") {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if _, err := s.Put(ctx, strings.NewReader(tc.name)); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// The region requests are signed for is the configured one.
	o := base
	o.Region = "us-west-2"
	o.LookupEnv = env(map[string]string{"AWS_ENDPOINT_URL_S3": f.URL()})
	s, err := blob.NewS3(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, keyOf(nil)); err == nil || errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat signed for the wrong region: %v", err)
	}
}
