package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

func cli(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(args, strings.NewReader(stdin), &out, &out)
	return out.String(), err
}

func TestCLI(t *testing.T) {
	db := storetest.DatabaseURL(t, store.SQLite)
	t.Setenv("OPSDESK_DATABASE", db)
	t.Setenv("OPSDESK_CONFIG", "")

	out, err := cli(t, "", "migrate")
	if err != nil || !strings.Contains(out, "migrated sqlite database") {
		t.Fatalf("migrate: %v %s", err, out)
	}
	out, err = cli(t, "", "users", "add", "alice", "--role", "responder")
	if err != nil || !strings.Contains(out, "added user alice (responder) with password:") {
		t.Fatalf("users add: %v %s", err, out)
	}
	pw := strings.TrimSpace(strings.Split(out, "\n")[2])
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := auth.New(st, nil)
	if _, _, err := svc.Login(context.Background(), "alice", pw, 3600e9); err != nil {
		t.Fatalf("printed password does not log in: %v", err)
	}
	if _, err := cli(t, "new password 123\n", "users", "passwd", "alice", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Login(context.Background(), "alice", "new password 123", 3600e9); err != nil {
		t.Fatalf("changed password does not log in: %v", err)
	}
	if _, err := cli(t, "short\n", "users", "passwd", "alice", "--password-stdin"); err == nil {
		t.Error("short password accepted")
	}
	if _, err := cli(t, "", "users", "add", "bob", "--role", "root"); !isUsage(err) {
		t.Errorf("bad role: %v", err)
	}
	if out, err := cli(t, "", "users", "list"); err != nil || !strings.Contains(out, "alice") {
		t.Errorf("users list: %v %s", err, out)
	}

	out, err = cli(t, "", "tokens", "create", "--name", "nagios")
	tok := strings.TrimSpace(out)
	if err != nil || !strings.HasPrefix(tok, auth.TokenPrefix) {
		t.Fatalf("tokens create: %v %q", err, out)
	}
	if name, err := svc.CheckToken(context.Background(), tok); err != nil || name != "nagios" {
		t.Errorf("printed token does not work: %v", err)
	}
	if _, err := cli(t, "", "tokens", "create"); !isUsage(err) {
		t.Errorf("tokens create without name: %v", err)
	}
	if _, err := cli(t, "", "tokens", "revoke", "nagios"); err != nil {
		t.Error(err)
	}

	// Deliveries: a failed one is retried by id and by --failed.
	var qid int64
	if err := st.W.QueryRow(`INSERT INTO questions (ref, text, submitted_at) VALUES ('Q-CLI00001', 'q', 1) RETURNING id`).Scan(&qid); err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{"a", "b", "c"} {
		if _, err := st.W.Exec(`INSERT INTO deliveries (question_id, destination, status, last_error, created_at, updated_at) VALUES (?, ?, 'failed', 'HTTP 500', 1, 1)`, qid, dest); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := cli(t, "", "deliveries", "list", "--status", "failed"); err != nil || strings.Count(out, "failed") != 3 {
		t.Errorf("deliveries list: %v\n%s", err, out)
	}
	if out, err := cli(t, "", "deliveries", "retry", "1"); err != nil || !strings.Contains(out, "delivery 1 queued again") {
		t.Errorf("retry 1: %v %s", err, out)
	}
	if _, err := cli(t, "", "deliveries", "retry", "1"); err == nil {
		t.Error("retry of a pending delivery succeeded")
	}
	if out, err := cli(t, "", "deliveries", "retry", "--failed"); err != nil || !strings.Contains(out, "2 failed deliveries queued again") {
		t.Errorf("retry --failed: %v %s", err, out)
	}
	if _, err := cli(t, "", "deliveries", "retry", "x"); !isUsage(err) {
		t.Errorf("retry x: %v", err)
	}
	var pending int
	_ = st.R.QueryRow(`SELECT count(*) FROM deliveries WHERE status = 'pending'`).Scan(&pending)
	if pending != 3 {
		t.Errorf("%d pending after retries; want 3", pending)
	}
	if _, err := cli(t, "", "nonsense"); !isUsage(err) {
		t.Errorf("unknown command: %v", err)
	}
}

func TestCLIBadConfig(t *testing.T) {
	t.Setenv("OPSDESK_DATABASE", "mysql://nope")
	_, err := cli(t, "", "migrate")
	if err == nil || !strings.Contains(err.Error(), "database") {
		t.Errorf("bad database setting: %v", err)
	}
}

func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

func TestCLICasesSync(t *testing.T) {
	f := fake.NewSupport(t)
	f.Load(fake.SupportGen{Cases: 40, Seed: 5, NoAttachments: true}.Generate())
	basic := f.AddAccount("210987654321", "us-east-1")
	basic.SetSubscriptionRequired(true)
	dir := t.TempDir()
	cfgFile := dir + "/opsdesk.yaml"
	if err := os.WriteFile(cfgFile, []byte("data_dir: "+dir+"\naws:\n  accounts:\n    - {name: prod, languages: [en, ja, zh, ko]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OPSDESK_DATABASE", storetest.DatabaseURL(t, store.SQLite))
	t.Setenv("AWS_ACCESS_KEY_ID", f.AccessKeyID())
	t.Setenv("AWS_SECRET_ACCESS_KEY", f.SecretAccessKey())
	t.Setenv("AWS_CONFIG_FILE", dir+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/none")
	t.Setenv("AWS_ENDPOINT_URL_SUPPORT", f.URL())
	out, err := cli(t, "", "cases", "sync", "--config", cfgFile)
	if err != nil || !strings.Contains(out, "prod: 40 cases (40 new, 0 changed, 0 no longer at AWS)") {
		t.Fatalf("cases sync: %v\n%s", err, out)
	}
	out, err = cli(t, "", "cases", "sync", "--config", cfgFile, "--account", "prod")
	if err != nil || !strings.Contains(out, "(0 new, 0 changed") || !strings.Contains(out, "0 new messages") {
		t.Errorf("second sync: %v\n%s", err, out)
	}
	if _, err := cli(t, "", "cases", "sync", "--config", cfgFile, "--account", "nope"); !isUsage(err) {
		t.Errorf("unknown account: %v", err)
	}
	// An account without a support plan fails with a clear message; the
	// command exits non-zero after syncing the others.
	t.Setenv("AWS_ACCESS_KEY_ID", basic.AccessKeyID())
	t.Setenv("AWS_SECRET_ACCESS_KEY", basic.SecretAccessKey())
	out, err = cli(t, "", "cases", "sync", "--config", cfgFile)
	if err == nil || !strings.Contains(out, "prod: FAILED") || !strings.Contains(out, "Support plan") {
		t.Errorf("no support plan: %v\n%s", err, out)
	}
}

func TestCLICasesImportExport(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("OPSDESK_DATABASE", storetest.DatabaseURL(t, store.SQLite))
	t.Setenv("OPSDESK_CONFIG", "")
	file := "../../internal/cases/testdata/supportcases-scan.json"
	if _, err := cli(t, "", "cases", "import", file); !isUsage(err) {
		t.Errorf("import without --account: %v", err)
	}
	out, err := cli(t, "", "cases", "import", file, "--account", "prod", "--language", "ja")
	if err != nil || !strings.Contains(out, "imported 2 cases (2 new) with 3 new messages") {
		t.Fatalf("import: %v %s", err, out)
	}
	bad := dir + "/bad.json"
	_ = os.WriteFile(bad, []byte(`{"Items":[{"case_id":{"S":"x"},"timeCreated":{"S":"2024-01-01T00:00:00Z"}},{"case_id":{"S":"y"}}]}`), 0o600)
	if _, err := cli(t, "", "cases", "import", bad, "--account", "prod"); err == nil || !strings.Contains(err.Error(), "item 1: timeCreated: is missing") || !strings.Contains(err.Error(), "nothing was imported") {
		t.Errorf("bad import: %v", err)
	}
	out, err = cli(t, "", "cases", "export", "--format", "jsonl", "--out", dir+"/jsonl")
	if err != nil || !strings.Contains(out, "exported 2 cases") {
		t.Fatalf("export jsonl: %v %s", err, out)
	}
	b, _ := os.ReadFile(dir + "/jsonl/cases.jsonl")
	if lines := strings.Count(string(b), "\n"); lines != 2 || !strings.Contains(string(b), "ハードウェア障害") {
		t.Errorf("cases.jsonl: %d lines\n%s", lines, b)
	}
	if _, err := cli(t, "", "cases", "export", "--format", "markdown", "--out", dir+"/md"); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(dir + "/md/prod/171234567801.md")
	if err != nil || !strings.Contains(string(md), "# 本番環境の EC2 インスタンスで障害が発生しています") || !strings.Contains(string(md), "> インスタンスを停止・起動してください。") {
		t.Errorf("markdown: %v\n%s", err, md)
	}
	if _, err := cli(t, "", "cases", "export", "--format", "pdf", "--out", dir); !isUsage(err) {
		t.Errorf("bad format: %v", err)
	}
}
