package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestCLIAttachmentsMove archives cases with attachments in a local
// directory, then moves the archive local → db → S3 (the fake) → another
// local directory, switching attachments.store after each move as the
// command says, and checks every file's content at every stop.
func TestCLIAttachmentsMove(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) { testAttachmentsMove(t, engine) })
	}
}

func testAttachmentsMove(t *testing.T, engine string) {
	ctx := context.Background()
	sup := fake.NewSupport(t)
	data := fake.SupportGen{Cases: 25, Seed: 11}.Generate()
	sup.Load(data)
	want := map[string][]byte{} // every attachment's content by SHA-256
	for _, c := range data {
		for _, m := range c.Communications {
			for _, a := range m.Attachments {
				b := a.Content()
				sum := sha256.Sum256(b)
				want[hex.EncodeToString(sum[:])] = b
			}
		}
	}
	if len(want) < 5 {
		t.Fatalf("generated archive has %d attachments", len(want))
	}
	s3 := fake.NewS3(t)
	s3.CreateBucket("opsdesk-archive")
	s3.SetMaxKeys(7)

	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "opsdesk.yaml")
	useStore := func(spec string) {
		t.Helper()
		y := "data_dir: " + dir + "\naws:\n  accounts:\n    - {name: prod, languages: [en, ja, zh, ko]}\n" +
			"attachments:\n  store: '" + spec + "'\n  s3_region: " + s3.Region() + "\n"
		if err := os.WriteFile(cfgFile, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	database := storetest.DatabaseURL(t, engine)
	t.Setenv("OPSDESK_DATABASE", database)
	t.Setenv("OPSDESK_CONFIG", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_ENDPOINT_URL_SUPPORT", sup.URL())
	t.Setenv("AWS_ENDPOINT_URL_S3", s3.URL())
	t.Setenv("AWS_ACCESS_KEY_ID", sup.AccessKeyID())
	t.Setenv("AWS_SECRET_ACCESS_KEY", sup.SecretAccessKey())

	// 1. Synced into data_dir/attachments.
	useStore("local")
	out, err := cli(t, "", "cases", "sync", "--config", cfgFile)
	if err != nil || !strings.Contains(out, "prod: 25 cases") {
		t.Fatalf("cases sync: %v\n%s", err, out)
	}
	local := blob.NewLocal(filepath.Join(dir, "attachments"))
	wantStored(t, local, want)
	out, err = cli(t, "", "attachments", "check", "--config", cfgFile)
	if err != nil || !strings.Contains(out, "0 missing, 0 damaged") {
		t.Fatalf("check: %v\n%s", err, out)
	}

	st, err := store.Open(ctx, database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db, err := blob.NewDB(st.W, st.R, st.Engine)
	if err != nil {
		t.Fatal(err)
	}

	// 2. local → db, twice: the second run has nothing to do.
	out, err = cli(t, "", "attachments", "move", "--to", "db", "--config", cfgFile)
	if err != nil || !regexp.MustCompile(`(\d+) files: (\d+) copied, 0 already in db, 0 failed`).MatchString(out) || !strings.Contains(out, "    store: db\n") {
		t.Fatalf("move to db: %v\n%s", err, out)
	}
	wantStored(t, db, want)
	// Both commands are in the audit log, as the command line's.
	es, err := audit.New(st, nil, nil).List(ctx, audit.Filter{Kind: audit.KindCLI})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[1].Action != "case.sync" || es[1].Target != "account prod" || !strings.HasPrefix(es[1].Detail, "25 cases (25 new, 0 changed)") ||
		es[0].Action != "attachments.move" || es[0].Target != "db" || !strings.HasPrefix(es[0].Detail, "from "+local.String()+": ") {
		t.Errorf("audit log after sync and move: %+v", es)
	}
	useStore("db")
	out, err = cli(t, "", "attachments", "move", "--from", "local", "--to", "db", "--config", cfgFile)
	if err != nil || !strings.Contains(out, "0 copied, "+strconv.Itoa(len(want))+" already in db, 0 failed") {
		t.Fatalf("move to db again: %v\n%s", err, out)
	}
	out, err = cli(t, "", "attachments", "check", "--verify", "--config", cfgFile)
	if err != nil || !strings.Contains(out, "checked in db: 0 missing, 0 damaged") {
		t.Fatalf("check db: %v\n%s", err, out)
	}

	// 3. db → S3, signed with the bucket's credentials.
	t.Setenv("AWS_ACCESS_KEY_ID", s3.AccessKeyID())
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3.SecretAccessKey())
	out, err = cli(t, "", "attachments", "move", "--to", "s3://opsdesk-archive/opsdesk/att", "--jobs", "3", "--config", cfgFile)
	if err != nil || !strings.Contains(out, strconv.Itoa(len(want))+" copied") || !strings.Contains(out, "store: s3://opsdesk-archive/opsdesk/att\n    s3_region: "+s3.Region()) {
		t.Fatalf("move to s3: %v\n%s", err, out)
	}
	for key, b := range want {
		if got, ok := s3.Object("opsdesk-archive", "opsdesk/att/"+key[:2]+"/"+key); !ok || !bytes.Equal(got, b) {
			t.Fatalf("object of %s: %v", key, ok)
		}
	}
	useStore("s3://opsdesk-archive/opsdesk/att")
	out, err = cli(t, "", "attachments", "check", "--config", cfgFile)
	if err != nil || !strings.Contains(out, "checked in s3://opsdesk-archive/opsdesk/att: 0 missing") {
		t.Fatalf("check s3: %v\n%s", err, out)
	}

	// 4. S3 → another directory.
	dir2 := filepath.Join(t.TempDir(), "moved")
	out, err = cli(t, "", "attachments", "move", "--to", "local:"+dir2, "--config", cfgFile)
	if err != nil || !strings.Contains(out, strconv.Itoa(len(want))+" copied") || !strings.Contains(out, "store: local:"+dir2+"\n") {
		t.Fatalf("move to local: %v\n%s", err, out)
	}
	moved := blob.NewLocal(dir2)
	wantStored(t, moved, want)
	useStore("local:" + dir2)

	// A file gone from the store is reported by check; a damaged one by
	// check --verify and refused by move.
	var gone, bad string
	for k := range want {
		if gone == "" {
			gone = k
		} else if bad == "" {
			bad = k
		}
	}
	if err := os.Remove(moved.Path(gone)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(moved.Path(bad), bytes.Repeat([]byte("x"), len(want[bad])), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = cli(t, "", "attachments", "check", "--config", cfgFile)
	if err == nil || !strings.Contains(out, "missing: "+gone) || !strings.Contains(out, "1 missing, 0 damaged") {
		t.Errorf("check with a file gone: %v\n%s", err, out)
	}
	out, err = cli(t, "", "attachments", "check", "--verify", "--config", cfgFile)
	if err == nil || !strings.Contains(out, "damaged: "+bad) || !strings.Contains(out, "1 missing, 1 damaged") {
		t.Errorf("check --verify: %v\n%s", err, out)
	}
	dir3 := filepath.Join(t.TempDir(), "again")
	out, err = cli(t, "", "attachments", "move", "--to", "local:"+dir3, "--config", cfgFile)
	if err == nil || !strings.Contains(out, "1 failed") || !strings.Contains(out, "damaged") {
		t.Errorf("move of a damaged file: %v\n%s", err, out)
	}
	if _, err := blob.NewLocal(dir3).Stat(ctx, bad); err == nil {
		t.Error("damaged file copied under its name")
	}

	// Usage mistakes.
	for _, args := range [][]string{
		{"attachments"},
		{"attachments", "move"},
		{"attachments", "move", "--to", "s3://Bad_Bucket"},
		{"attachments", "move", "--to", "local:" + dir2},
		{"attachments", "move", "--to", "db", "--jobs", "0"},
		{"attachments", "copy"},
	} {
		if _, err := cli(t, "", append(args, "--config", cfgFile)...); !isUsage(err) {
			t.Errorf("%v: %v", args, err)
		}
	}
}

func wantStored(t *testing.T, s blob.Store, want map[string][]byte) {
	t.Helper()
	n := 0
	err := s.List(context.Background(), func(i blob.Info) error {
		n++
		if want[i.Key] == nil {
			t.Errorf("%s holds %s, not an attachment", s, i.Key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Errorf("%s holds %d files, want %d", s, n, len(want))
	}
	for key, b := range want {
		rc, _, err := s.Open(context.Background(), key)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		var got bytes.Buffer
		_, err = got.ReadFrom(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got.Bytes(), b) {
			t.Fatalf("%s: %s differs (%v)", s, key, err)
		}
	}
}
