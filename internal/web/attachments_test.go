package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

func dbBlobs(t *testing.T, st *store.Store) blob.Store {
	t.Helper()
	s, err := blob.NewDB(st.W, st.R, st.Engine)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readBlob(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	rc, _, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCaseAttachmentAnyReplica: with attachments.store: db, a replica
// that did not sync a case (its own, empty data directory) serves the
// case's attachments, whole and by range; a replica keeping them on its
// own disk could not.
func TestCaseAttachmentAnyReplica(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		dbConfig := func() string { return casesConfig(t.TempDir()) + "attachments:\n  store: db\n" }
		syncer := newEnv(t, st, dbConfig())
		if syncer.h.blobs != nil {
			t.Fatalf("Deps.Blobs was not given, yet the handler has %T", syncer.h.blobs)
		}
		if s, err := syncer.h.caseBlobs(); err != nil || s.String() != "db" {
			t.Fatalf("configured store: %v %v", s, err)
		}
		syncer.addUser("alice", auth.RoleViewer)
		loadCases(t, syncer)

		other := newEnv(t, st, dbConfig())
		b := other.browser("198.51.100.70")
		b.login("alice")
		page := b.get("/cases/" + jpCaseID + "?lang=en")
		page.want(t, http.StatusOK)
		links := regexp.MustCompile(`href="(/cases/[^"]+/attachments/\d+)" download`).FindAllStringSubmatch(page.body, -1)
		if len(links) != 3 {
			t.Fatalf("%d attachment links", len(links))
		}
		r := b.get(links[0][1])
		r.want(t, http.StatusOK)
		if r.body != logContent || r.header.Get("Content-Type") != "text/plain; charset=utf-8" || r.header.Get("Content-Security-Policy") != "default-src 'none'; sandbox" {
			t.Errorf("download: %q %v", r.body, r.header)
		}
		r = b.get(links[0][1], "Range", "bytes=5-9")
		if r.status != http.StatusPartialContent || r.body != logContent[5:10] {
			t.Errorf("range: %d %q", r.status, r.body)
		}
		r = b.get(links[1][1])
		r.want(t, http.StatusOK)
		if !bytes.Equal([]byte(r.body), tinyPNG(t)) || r.header.Get("Content-Type") != "image/png" {
			t.Errorf("png: %d bytes, %s", len(r.body), r.header.Get("Content-Type"))
		}

		// The same replica with the local default finds nothing on its
		// disk.
		local := newEnv(t, st, casesConfig(t.TempDir()))
		lb := local.browser("198.51.100.71")
		lb.login("alice")
		lb.get(links[0][1]).want(t, http.StatusNotFound)
	})
}
