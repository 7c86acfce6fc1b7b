package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"regexp"
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

// cli2 is cli with standard output and standard error apart.
func cli2(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = run(args, strings.NewReader(stdin), &o, &e)
	return o.String(), e.String(), err
}

func TestCLI(t *testing.T) {
	db := storetest.DatabaseURL(t, store.SQLite)
	t.Setenv("OPSDESK_DATABASE", db)
	t.Setenv("OPSDESK_CONFIG", "")

	out, err := cli(t, "", "migrate")
	if err != nil || !strings.Contains(out, "migrated sqlite database") {
		t.Fatalf("migrate: %v %s", err, out)
	}
	out, err = cli(t, "", "users", "add", "alice", "--role", "responder", "--generate")
	if err != nil || !strings.Contains(out, "added user alice (responder) with a one-time password:") || !strings.Contains(out, "must be changed at the first login") {
		t.Fatalf("users add: %v %s", err, out)
	}
	pw := strings.TrimSpace(strings.Split(out, "\n")[2])
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := auth.New(st, nil)
	if _, u, err := svc.Login(context.Background(), "alice", pw, 3600e9); err != nil || !u.MustChangePassword() {
		t.Fatalf("printed password does not log in as a one-time password: %v", err)
	}
	// users passwd and users add read a password the same way: one line
	// of standard input when it is not a terminal.
	if _, err := cli(t, "new password 123\n", "users", "passwd", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, u, err := svc.Login(context.Background(), "alice", "new password 123", 3600e9); err != nil || u.MustChangePassword() {
		t.Fatalf("changed password does not log in: %v", err)
	}
	if _, err := cli(t, "other password 45\n", "users", "passwd", "alice", "--password-stdin"); err != nil {
		t.Fatalf("--password-stdin (kept for scripts): %v", err)
	}
	if out, err := cli(t, "carol's password\n", "users", "add", "carol", "--role", "viewer"); err != nil || strings.TrimSpace(out) != "added user carol (viewer)" {
		t.Fatalf("users add from stdin: %v %s", err, out)
	}
	if _, u, err := svc.Login(context.Background(), "carol", "carol's password", 3600e9); err != nil || u.MustChangePassword() {
		t.Fatalf("password read by users add does not log in: %v", err)
	}
	if _, err := cli(t, "", "users", "add", "dave", "--role", "viewer"); !isUsage(err) || !strings.Contains(err.Error(), "--generate") {
		t.Errorf("users add without a password: %v", err)
	}
	if _, err := cli(t, "short\n", "users", "passwd", "alice"); err == nil || err.Error() != "password must be at least 10 characters" {
		t.Errorf("short password: %v", err)
	}
	if _, err := cli(t, "short\n", "users", "add", "erin", "--role", "viewer"); err == nil {
		t.Error("short password accepted by users add")
	}
	out, err = cli(t, "", "users", "passwd", "alice", "--generate")
	if err != nil || !strings.Contains(out, "alice has a new one-time password") {
		t.Fatalf("users passwd --generate: %v %s", err, out)
	}
	if _, u, err := svc.Login(context.Background(), "alice", strings.TrimSpace(strings.Split(out, "\n")[2]), 3600e9); err != nil || !u.MustChangePassword() {
		t.Errorf("generated password: %v %+v", err, u)
	}
	if _, err := cli(t, "", "users", "add", "bob", "--role", "root"); !isUsage(err) || err.Error() != `--role must be one of admin, responder, viewer (got "root")` {
		t.Errorf("bad role: %v", err)
	}
	if _, err := cli(t, "0123456789ab\n", "users", "add", "alice", "--role", "viewer"); err == nil || message(err) != `user "alice" already exists` {
		t.Errorf("existing user: %v", err)
	}
	if out, err := cli(t, "", "users", "list"); err != nil || !strings.Contains(out, "alice") || !strings.Contains(out, "one-time, until") {
		t.Errorf("users list: %v %s", err, out)
	}

	stdout, stderr, err := cli2(t, "", "tokens", "create", "--name", "nagios", "--scope", "ingest:alerts,read:cases", "--scope", "act:alerts")
	tok := strings.TrimSpace(stdout)
	if err != nil || !strings.HasPrefix(tok, auth.TokenPrefix) || strings.Contains(tok, "\n") {
		t.Fatalf("tokens create: %v %q", err, stdout)
	}
	// How to use it, once per scope, without printing the token again.
	for _, want := range []string{"act:alerts, ingest:alerts, read:cases", "curl -X POST http://127.0.0.1:8080/api/v1/alerts -H \"Authorization: Bearer $TOKEN\"",
		"/api/v1/alerts/zabbix?token=$TOKEN", "/api/v1/cases?q=", "/api/v1/alerts/12/ack"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("tokens create does not say %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, tok) {
		t.Error("the token is printed twice")
	}
	if tk, err := svc.CheckToken(context.Background(), tok); err != nil || tk.Name != "nagios" || strings.Join(tk.Scopes, " ") != "act:alerts ingest:alerts read:cases" {
		t.Errorf("printed token does not work: %+v %v", tk, err)
	}
	if _, err := cli(t, "", "tokens", "create", "--name", "nagios", "--scope", "ingest:alerts"); err == nil || message(err) != `token "nagios" already exists` {
		t.Errorf("existing token: %v", err)
	}
	if _, err := cli(t, "", "tokens", "create"); !isUsage(err) {
		t.Errorf("tokens create without name: %v", err)
	}
	if _, err := cli(t, "", "tokens", "create", "--name", "x"); !isUsage(err) || !strings.Contains(err.Error(), "ingest:events") || !strings.Contains(err.Error(), "read:cases") {
		t.Errorf("tokens create without scope: %v", err)
	}
	if _, err := cli(t, "", "tokens", "create", "--name", "x", "--scope", "read:all"); !isUsage(err) || !strings.Contains(err.Error(), `unknown scope "read:all"`) {
		t.Errorf("tokens create with a bad scope: %v", err)
	}
	out, err = cli(t, "", "tokens", "list")
	if err != nil || !strings.Contains(out, "act:alerts,ingest:alerts,read:cases") || !strings.Contains(out, "LAST USED") {
		t.Errorf("tokens list: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`nagios\s+\S+\s+\S+\s+20\d\d-`).MatchString(out) {
		t.Errorf("tokens list shows no last use of the token just used:\n%s", out)
	}
	if _, err := cli(t, "", "tokens", "revoke", "nagios"); err != nil {
		t.Error(err)
	}
	if _, err := cli(t, "", "tokens", "revoke", "nagios"); err == nil || message(err) != `there is no token "nagios"` {
		t.Errorf("revoke again: %v", err)
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
