package dbcopy_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/dbcopy"
	"github.com/opsdesk/opsdesk/internal/intake"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// echoArgs is a job the test queues on SQLite and works on PostgreSQL.
type echoArgs struct {
	Key  string   `json:"key"`
	Tags []string `json:"tags,omitempty"`
}

func (echoArgs) Kind() string { return "dbcopy_echo" }

type echoWorker struct {
	river.WorkerDefaults[echoArgs]
	got chan echoArgs
}

func (w *echoWorker) Work(_ context.Context, j *river.Job[echoArgs]) error {
	w.got <- j.Args
	return nil
}

// installation is an SQLite opsdesk with something in every table.
type installation struct {
	path   string
	attDir string
	st     *store.Store
	files  map[string][]byte // attachment key → content
	// jobs by state, as queued
	pendingJobs int64
}

func (in *installation) attachments() blob.Store { return blob.NewLocal(in.attDir) }

// newInstallation builds an SQLite installation through opsdesk's own code
// where that is practical (users, sessions, tokens, questions with their
// deliveries and jobs, imported cases, attachments, River jobs) and plain
// rows for the rest (events, alerts, chat).
func newInstallation(t *testing.T) *installation {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	in := &installation{path: filepath.Join(dir, "opsdesk.db"), attDir: filepath.Join(dir, "attachments"), files: map[string][]byte{}}
	st, err := store.Open(ctx, "sqlite:"+in.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	in.st = st
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, st); err != nil {
		t.Fatal(err)
	}

	// Users, a session, a token.
	au := auth.New(st, nil)
	if _, err := au.AddUser(ctx, "alice", "admin", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if _, err := au.AddUser(ctx, "bob", "viewer", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := au.Login(ctx, "alice", "correct horse battery", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := au.CreateToken(ctx, "nagios", auth.ScopeIngestAlerts); err != nil {
		t.Fatal(err)
	}

	// Questions through the intake service: rows, deliveries and their
	// jobs.
	q, err := jobs.New(st, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ictx, stop := context.WithCancel(ctx)
	svc := intake.New(st, q, intake.Options{Routes: []string{"teams", "backlog"}})
	ran := make(chan struct{})
	go func() { svc.Run(ictx); close(ran) }()
	for i := range 5 {
		in := intake.Input{Project: "billing", Name: "佐藤", Question: fmt.Sprintf("請求書 %d が届きません / invoice %d missing", i, i)}
		if _, err := svc.Submit(ctx, in, intake.Meta{SourceIP: "203.0.113.7", Lang: "ja"}); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	<-ran

	// Cases from seed 000's DynamoDB export, and attachment files.
	f, err := os.Open("../cases/testdata/supportcases-scan.json")
	if err != nil {
		t.Fatal(err)
	}
	cs, comms, err := cases.ParseDynamoDBScan(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cases.NewStore(st).Import(ctx, "prod", "ja", cs, comms, time.Now()); err != nil {
		t.Fatal(err)
	}
	local := in.attachments()
	for i, content := range []string{"ログファイル\nERROR disk full\n", strings.Repeat("core dump ", 5000)} {
		info, err := local.Put(ctx, strings.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		in.files[info.Key] = []byte(content)
		var caseRef, commRef int64
		if err := st.W.QueryRow(`SELECT case_ref, id FROM case_communications ORDER BY id LIMIT 1 OFFSET ?`, i).Scan(&caseRef, &commRef); err != nil {
			t.Fatal(err)
		}
		mustExec(t, st.W, `INSERT INTO case_attachments (case_ref, comm_ref, attachment_id, file_name, size, sha256, status, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 'stored', 1700000000000)`, caseRef, commRef, fmt.Sprintf("att-%d", i), fmt.Sprintf("file-%d.txt", i), info.Size, info.Key)
	}

	// Events, alerts, chat: plain rows.
	for _, s := range []string{
		`INSERT INTO events (dedup_key, event_id, source, detail_type, account, region, event_time, received_at, raw, status, updated_at)
			VALUES ('k1', 'e1', 'aws.s3', 'Object Created', '123456789012', 'ap-northeast-1', 1700000000000, 1700000000001, '{"detail":{"bucket":"b"}}', 'done', 1700000000002)`,
		`INSERT INTO event_actions (event_ref, run, rule, idx, type, spec, status, updated_at) VALUES (1, 1, 's3-to-teams', 0, 'notify', '{"to":"teams"}', 'done', 1700000000003)`,
		`INSERT INTO event_rules (name, pattern, actions, enabled, created_at, updated_at) VALUES ('s3-to-teams', '{"source":["aws.s3"]}', '[]', 1, 1, 2)`,
		`INSERT INTO alert_systems (name, rounds, wait_ms, quiet_ms, origin, created_at, updated_at) VALUES ('web', 3, 60000, 3600000, 'config', 1, 2)`,
		`INSERT INTO alert_contacts (system_id, position, name, phone) VALUES (1, 0, '佐藤', '+819011110001')`,
		`INSERT INTO alerts (system, policy, source, dedup_key, status, summary, labels, received_at, last_seen_at, updated_at)
			VALUES ('web', 'web', 'zabbix', 'disk', 'open', 'ディスク障害', '{"host":"web1"}', 1700000000000, 1700000000000, 1700000000000)`,
		`INSERT INTO alert_escalations (alert_id, policy, state, next_at, updated_at) VALUES (1, 'web', 'call', 1700000060000, 1700000000000)`,
		`INSERT INTO alert_calls (alert_id, round, position, callee, phone, client_token, state, requested_at, updated_at)
			VALUES (1, 1, 0, '佐藤', '+819011110001', 'tok-1', 'ringing', 1700000000000, 1700000000000)`,
		`INSERT INTO alert_log (alert_id, at, kind, detail) VALUES (1, 1700000000000, 'received', 'zabbix')`,
		`INSERT INTO alert_quiets (system, starts_at, ends_at, created_at) VALUES ('web', 1, 2, 1)`,
		`INSERT INTO alert_notifications (alert_id, destination, reason, status, created_at, updated_at) VALUES (1, 'teams', 'unacknowledged', 'pending', 1, 1)`,
		`INSERT INTO chat_nonces (key, expires_at) VALUES ('n1', 1700000000000)`,
		`INSERT INTO chat_audit (platform, msg_id, received_at, kind, text, result) VALUES ('dingtalk', 'm1', 1700000000000, 'show', 'case 1', 'ok')`,
		`INSERT INTO chat_outbox (queue, kind, target, payload, dedup, audit_ref, not_before, created_at) VALUES ('q', 'dingtalk', 'hook', '{}', 'd1', 1, 1, 1)`,
		`INSERT INTO chat_outbox (queue, kind, target, payload, dedup, audit_ref, not_before, created_at) VALUES ('q', 'dingtalk', 'hook', '{}', 'd2', NULL, 1, 1)`,
		`INSERT INTO chat_rate_log (bucket, at) VALUES ('hook', 1)`,
		`INSERT INTO chat_locks (key) VALUES ('queue:q')`,
		`INSERT INTO chat_conversations (platform, conversation_id, title, updated_at) VALUES ('dingtalk', 'c1', '運用', 1)`,
		`INSERT INTO chat_cases (account, case_id, platform, created_at) VALUES ('prod', 'case-1', 'dingtalk', 1)`,
		`INSERT INTO chat_case_state (account, case_id, status, comm_count, comm_mark, updated_at) VALUES ('prod', 'case-1', 'opened', 1, 1, 1)`,
		`INSERT INTO case_sync_state (account, language, high_water, last_sync_at, unsupported) VALUES ('prod', 'ja', 5, 6, 0)`,
	} {
		mustExec(t, st.W, s)
	}

	// River jobs in every state: available, scheduled, retryable (with
	// errors), running (a worker was interrupted), unique, and finished
	// ones that are not carried over.
	insert := func(args echoArgs, opts *river.InsertOpts) int64 {
		t.Helper()
		if _, err := q.Insert(ctx, args, opts); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := st.W.QueryRow(`SELECT max(id) FROM river_job`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	insert(echoArgs{Key: "available", Tags: []string{"x"}}, &river.InsertOpts{Tags: []string{"copy-test"}, Metadata: []byte(`{"origin":"sqlite"}`)})
	insert(echoArgs{Key: "unique"}, jobs.UniqueByArgs())
	insert(echoArgs{Key: "later"}, &river.InsertOpts{ScheduledAt: time.Now().Add(24 * time.Hour)})
	running := insert(echoArgs{Key: "was-running"}, nil)
	mustExec(t, st.W, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = datetime('now', 'subsec'), attempted_by = jsonb('["old-host"]') WHERE id = ?`, running)
	retry := insert(echoArgs{Key: "retry"}, nil)
	mustExec(t, st.W, `UPDATE river_job SET state = 'retryable', attempt = 1, scheduled_at = '2099-01-01 00:00:00.000',
		errors = jsonb('[{"at":"2024-01-01T00:00:00Z","attempt":1,"error":"boom","trace":""}]') WHERE id = ?`, retry)
	for _, state := range []string{"completed", "discarded", "cancelled"} {
		id := insert(echoArgs{Key: "done-" + state}, nil)
		mustExec(t, st.W, `UPDATE river_job SET state = ?, finalized_at = datetime('now', 'subsec') WHERE id = ?`, state, id)
	}
	if err := st.W.QueryRow(`SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&in.pendingJobs); err != nil {
		t.Fatal(err)
	}
	return in
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func count(t *testing.T, db *sql.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func openTarget(t *testing.T, url string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func options(in *installation, target string) dbcopy.Options {
	return dbcopy.Options{Source: in.path, Target: target, Attachments: in.attachments()}
}

// TestCopy copies a whole installation, then uses the target as opsdesk
// would: counts, ids of new rows, pending jobs worked, unique jobs still
// unique, search, attachments.
func TestCopy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in := newInstallation(t)
	url := storetest.DatabaseURL(t, store.Postgres)

	var events []dbcopy.Event
	o := options(in, url)
	o.BatchSize = 3
	o.Progress = func(e dbcopy.Event) { events = append(events, e) }
	rep, err := dbcopy.Copy(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Resumed {
		t.Error("a first copy reported as resumed")
	}

	// Counts: every copied table as many rows as the source; River's jobs
	// only the unfinished ones.
	got := map[string]dbcopy.Count{}
	for _, c := range rep.Tables {
		got[c.Table] = c
		if !c.OK() {
			t.Errorf("table %s: %d source rows, %d target rows", c.Table, c.Source, c.Target)
		}
	}
	for _, table := range []string{"users", "sessions", "api_tokens", "questions", "deliveries", "cases", "case_communications",
		"case_attachments", "case_sync_state", "events", "event_actions", "event_rules", "alert_systems", "alert_contacts", "alerts",
		"alert_escalations", "alert_calls", "alert_log", "alert_quiets", "alert_notifications", "chat_nonces", "chat_audit",
		"chat_outbox", "chat_rate_log", "chat_locks", "chat_conversations", "chat_cases", "chat_case_state"} {
		c, ok := got[table]
		if !ok {
			t.Errorf("table %s not copied", table)
			continue
		}
		if want := count(t, in.st.R, table); c.Source != want || c.Target != want || want == 0 {
			t.Errorf("table %s: counted %d/%d, the source has %d", table, c.Source, c.Target, want)
		}
	}
	if c := got["river_job"]; c.Source != in.pendingJobs || c.Target != in.pendingJobs || c.Filter != "pending" {
		t.Errorf("river_job: %+v, want %d pending", c, in.pendingJobs)
	}
	skipped := map[string]bool{}
	for _, s := range rep.Skipped {
		skipped[s.Table] = true
	}
	for _, table := range []string{"goose_db_version", "river_migration", "river_leader", "search_rebuild", "case_fts", "case_fts_data"} {
		if !skipped[table] {
			t.Errorf("%s not skipped: %+v", table, rep.Skipped)
		}
	}
	// Parents before children.
	pos := map[string]int{}
	for i, c := range rep.Tables {
		pos[c.Table] = i
	}
	for _, pc := range [][2]string{{"users", "sessions"}, {"questions", "deliveries"}, {"cases", "case_communications"},
		{"case_communications", "case_attachments"}, {"alerts", "alert_calls"}, {"chat_audit", "chat_outbox"}, {"events", "event_actions"}} {
		if pos[pc[0]] > pos[pc[1]] {
			t.Errorf("%s copied after %s", pc[0], pc[1])
		}
	}
	// Progress was reported per batch, ending at the totals.
	last := map[string]dbcopy.Event{}
	batches := 0
	for _, e := range events {
		if e.Step == dbcopy.StepTable {
			last[e.Table] = e
			batches++
		}
	}
	if e := last["case_communications"]; e.Done != e.Total || e.Total != count(t, in.st.R, "case_communications") {
		t.Errorf("last progress of case_communications: %+v", e)
	}
	if batches <= len(rep.Tables) {
		t.Errorf("%d progress events for %d tables in batches of 3", batches, len(rep.Tables))
	}

	tgt := openTarget(t, url)
	var progress *string
	if err := tgt.W.QueryRow(`SELECT to_regclass('opsdesk_copy_progress')::text`).Scan(&progress); err != nil || progress != nil {
		t.Errorf("progress table left after a finished copy: %v %v", progress, err)
	}

	// Values came over as they were, converted where the types differ.
	var name, role string
	var created int64
	if err := tgt.R.QueryRow(`SELECT name, role, created_at FROM users WHERE id = 1`).Scan(&name, &role, &created); err != nil || name != "alice" || role != "admin" || created <= 0 {
		t.Errorf("user 1 on the target: %q %q %d %v", name, role, created, err)
	}
	var srcQ, dstQ string
	if err := in.st.R.QueryRow(`SELECT ref || '|' || text || '|' || submitted_at || '|' || lang FROM questions WHERE id = 3`).Scan(&srcQ); err != nil {
		t.Fatal(err)
	}
	if err := tgt.R.QueryRow(`SELECT ref || '|' || text || '|' || submitted_at || '|' || lang FROM questions WHERE id = 3`).Scan(&dstQ); err != nil || dstQ != srcQ {
		t.Errorf("question 3: %q on the target, %q on the source (%v)", dstQ, srcQ, err)
	}
	var labels string
	if err := tgt.R.QueryRow(`SELECT labels FROM alerts WHERE id = 1`).Scan(&labels); err != nil || labels != `{"host":"web1"}` {
		t.Errorf("alert labels: %q %v", labels, err)
	}
	var auditRef sql.NullInt64
	if err := tgt.R.QueryRow(`SELECT audit_ref FROM chat_outbox WHERE dedup = 'd2'`).Scan(&auditRef); err != nil || auditRef.Valid {
		t.Errorf("NULL audit_ref: %v %v", auditRef, err)
	}

	// River's columns: JSONB to jsonb, arrays, text times to timestamptz.
	var args, meta, state string
	var tags []string
	var sched time.Time
	if err := tgt.Pool.QueryRow(ctx, `SELECT args::text, metadata::text, tags, state::text, scheduled_at FROM river_job WHERE args->>'key' = 'available'`).Scan(&args, &meta, &tags, &state, &sched); err != nil {
		t.Fatal(err)
	}
	var srcSched string
	if err := in.st.R.QueryRow(`SELECT CAST(scheduled_at AS TEXT) FROM river_job WHERE json_extract(args, '$.key') = 'available'`).Scan(&srcSched); err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(args, `{"key":"available","tags":["x"]}`) || !strings.Contains(meta, `"origin": "sqlite"`) || strings.Join(tags, ",") != "copy-test" || state != "available" ||
		sched.UTC().Format("2006-01-02 15:04:05.000") != srcSched {
		t.Errorf("available job on the target: args %s metadata %s tags %v state %s scheduled %s (source %s)", args, meta, tags, state, sched.UTC(), srcSched)
	}
	var errText string
	var attemptedBy []string
	if err := tgt.Pool.QueryRow(ctx, `SELECT state::text, errors[1]->>'error' FROM river_job WHERE args->>'key' = 'retry'`).Scan(&state, &errText); err != nil || state != "retryable" || errText != "boom" {
		t.Errorf("retryable job: %s %q %v", state, errText, err)
	}
	if err := tgt.Pool.QueryRow(ctx, `SELECT state::text, attempted_by FROM river_job WHERE args->>'key' = 'was-running'`).Scan(&state, &attemptedBy); err != nil || state != "available" || strings.Join(attemptedBy, ",") != "old-host" {
		t.Errorf("job running at the copy: %s %v %v; want it available again", state, attemptedBy, err)
	}
	var finished, echoes, deliveries int
	if err := tgt.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE args->>'key' LIKE 'done-%'), count(*) FILTER (WHERE kind = 'dbcopy_echo'), count(*) FILTER (WHERE kind LIKE 'deliver%') FROM river_job`).Scan(&finished, &echoes, &deliveries); err != nil ||
		finished != 0 || echoes != 5 || deliveries == 0 || int64(echoes+deliveries) != in.pendingJobs {
		t.Errorf("jobs on the target: %d finished (want none), %d echo jobs (want 5), %d delivery jobs (want %d), %v", finished, echoes, deliveries, in.pendingJobs-5, err)
	}

	// Sequences: the next row gets the next id, in every copied table.
	var maxQ, newQ int64
	if err := in.st.R.QueryRow(`SELECT max(id) FROM questions`).Scan(&maxQ); err != nil {
		t.Fatal(err)
	}
	if err := tgt.W.QueryRow(`INSERT INTO questions (ref, text, submitted_at) VALUES ('Q-AFTERCOPY', 'new', 1) RETURNING id`).Scan(&newQ); err != nil || newQ != maxQ+1 {
		t.Errorf("new question id %d after %d copied: %v", newQ, maxQ, err)
	}
	if _, err := auth.New(tgt, nil).AddUser(ctx, "carol", "responder", "correct horse battery"); err != nil {
		t.Errorf("add a user on the target: %v", err)
	}

	// Pending work is worked on PostgreSQL: the available job and the one
	// interrupted on SQLite; the unique job is still unique.
	tq, err := jobs.New(tgt, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// River's ids are AUTOINCREMENT on SQLite: never handed out twice,
	// not even those of the finished jobs that were not copied.
	var maxJob, newJob int64
	if err := in.st.R.QueryRow(`SELECT max(id) FROM river_job`).Scan(&maxJob); err != nil {
		t.Fatal(err)
	}
	if _, err := tq.Insert(ctx, echoArgs{Key: "new-on-pg"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := tgt.W.QueryRow(`SELECT max(id) FROM river_job`).Scan(&newJob); err != nil || newJob != maxJob+1 {
		t.Errorf("new job id %d after %d: %v", newJob, maxJob, err)
	}
	if inserted, err := tq.Insert(ctx, echoArgs{Key: "unique"}, jobs.UniqueByArgs()); err != nil || inserted {
		t.Errorf("a unique job copied from SQLite did not keep its twin out: inserted=%v %v", inserted, err)
	}
	w := &echoWorker{got: make(chan echoArgs, 16)}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	wq, err := jobs.New(tgt, jobs.Options{Workers: workers, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := wq.Start(wctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
		defer scancel()
		_ = wq.Stop(sctx)
	}()
	want := map[string]bool{"available": true, "was-running": true, "unique": true, "new-on-pg": true}
	deadline := time.After(30 * time.Second)
	for len(want) > 0 {
		select {
		case a := <-w.got:
			delete(want, a.Key)
		case <-deadline:
			t.Fatalf("jobs not worked on the target within 30s: %v", want)
		}
	}

	// Search works on the target at once: the case documents were rebuilt
	// and the phrase columns derived.
	hits, err := cases.NewStore(tgt).List(ctx, cases.Filter{Q: "障害"})
	if err != nil || len(hits) != 1 {
		t.Errorf("search 障害 on the target: %d hits, %v", len(hits), err)
	}
	srcHits, err := cases.NewStore(in.st).List(ctx, cases.Filter{Q: "\"システムログ\""})
	if err != nil {
		t.Fatal(err)
	}
	hits, err = cases.NewStore(tgt).List(ctx, cases.Filter{Q: "\"システムログ\""})
	if err != nil || len(hits) != len(srcHits) || len(hits) == 0 {
		t.Errorf("phrase search on the target: %d hits, %d on the source, %v", len(hits), len(srcHits), err)
	}
	if rep.SearchIndexed != int(count(t, in.st.R, "cases")) {
		t.Errorf("search indexed %d cases", rep.SearchIndexed)
	}

	// Attachments are in the target database's blob store, intact.
	db, err := blob.NewDB(tgt.W, tgt.R, tgt.Engine)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Attachments != len(in.files) || rep.AttachmentsCopied != len(in.files) {
		t.Errorf("attachments: %d present, %d copied; want %d", rep.Attachments, rep.AttachmentsCopied, len(in.files))
	}
	for key, content := range in.files {
		rc, _, err := db.Open(ctx, key)
		if err != nil {
			t.Errorf("attachment %s not in the target store: %v", key, err)
			continue
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(b, content) {
			t.Errorf("attachment %s: %d bytes read (%v), want %d", key, len(b), err, len(content))
		}
	}

	// A finished copy leaves a non-empty target: a second run refuses.
	_, err = dbcopy.Copy(ctx, options(in, url))
	if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "table ") {
		t.Errorf("copy into the filled target: %v", err)
	}
}

// TestCopyRefusesNonEmptyTarget: a database opsdesk already uses is not
// overwritten; the message names a table with rows.
func TestCopyRefusesNonEmptyTarget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in := newInstallation(t)
	url := storetest.DatabaseURL(t, store.Postgres)
	tgt := openTarget(t, url)
	if _, err := tgt.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.New(tgt, nil).AddUser(ctx, "admin", "admin", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	_, err := dbcopy.Copy(ctx, options(in, url))
	if err == nil || !strings.Contains(err.Error(), "table users has 1 rows") {
		t.Fatalf("copy into a used database: %v", err)
	}
	if n := count(t, tgt.R, "questions"); n != 0 {
		t.Errorf("%d questions written into the refused target", n)
	}

	// Another application's database is refused before anything is
	// created in it.
	url = storetest.DatabaseURL(t, store.Postgres)
	other := openTarget(t, url)
	mustExec(t, other.W, `CREATE TABLE invoices (id BIGINT PRIMARY KEY, total BIGINT NOT NULL)`)
	mustExec(t, other.W, `INSERT INTO invoices VALUES (1, 100), (2, 250)`)
	_, err = dbcopy.Copy(ctx, options(in, url))
	if err == nil || !strings.Contains(err.Error(), "table invoices has 2 rows") {
		t.Fatalf("copy into another application's database: %v", err)
	}
	var tables int
	if err := other.R.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil || tables != 1 {
		t.Errorf("the refused database has %d tables (%v), want its own 1", tables, err)
	}
}

// TestCopyResumes interrupts a copy after a few batches, as a cancelled
// or killed process would be, and runs it again: it resumes, does not
// duplicate, and ends with the same counts.
func TestCopyResumes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in := newInstallation(t)
	url := storetest.DatabaseURL(t, store.Postgres)

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := 0
	o := options(in, url)
	o.BatchSize = 2
	o.Progress = func(e dbcopy.Event) {
		if e.Step == dbcopy.StepTable && e.Done > 0 {
			batches++
			if batches == 5 {
				cancel()
			}
		}
	}
	_, err := dbcopy.Copy(cctx, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted copy: %v", err)
	}
	tgt := openTarget(t, url)
	var tables, copied int64
	if err := tgt.W.QueryRow(`SELECT count(*), coalesce(sum(copied), 0) FROM opsdesk_copy_progress WHERE table_name NOT LIKE 'step:%'`).Scan(&tables, &copied); err != nil {
		t.Fatal(err)
	}
	if tables == 0 || copied < 5 {
		t.Fatalf("progress after the interruption: %d tables, %d rows", tables, copied)
	}
	var inTarget int64
	for _, table := range []string{"users", "sessions", "api_tokens", "questions", "deliveries", "alert_systems", "alerts"} {
		inTarget += count(t, tgt.R, table)
	}
	if inTarget == 0 {
		t.Fatal("nothing written before the interruption")
	}

	// Another installation may not continue this one's copy.
	other := newInstallation(t)
	_, err = dbcopy.Copy(ctx, options(other, url))
	if err == nil || !strings.Contains(err.Error(), "unfinished copy of another SQLite database") {
		t.Errorf("copy of another source onto an unfinished copy: %v", err)
	}

	// The same one resumes.
	o.Progress = nil
	rep, err := dbcopy.Copy(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Resumed {
		t.Error("second run not reported as resumed")
	}
	for _, c := range rep.Tables {
		if !c.OK() {
			t.Errorf("table %s after resuming: %d source rows, %d target rows", c.Table, c.Source, c.Target)
		}
	}
	for _, table := range []string{"users", "questions", "deliveries", "cases", "case_communications", "alerts", "chat_outbox"} {
		if s, d := count(t, in.st.R, table), count(t, tgt.R, table); s != d {
			t.Errorf("table %s: %d rows on SQLite, %d on PostgreSQL", table, s, d)
		}
	}
	if rep.Attachments != len(in.files) {
		t.Errorf("attachments after resuming: %d, want %d", rep.Attachments, len(in.files))
	}
}

// TestCopyChecksColumns: a source column the target lacks stops the copy
// before anything is written, naming the table and column.
func TestCopyChecksColumns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in := newInstallation(t)
	mustExec(t, in.st.W, `ALTER TABLE users ADD COLUMN nickname TEXT`)
	url := storetest.DatabaseURL(t, store.Postgres)
	_, err := dbcopy.Copy(ctx, options(in, url))
	if err == nil || !strings.Contains(err.Error(), "table users: column nickname is in the SQLite database but not in PostgreSQL") {
		t.Fatalf("copy with an unknown column: %v", err)
	}
	tgt := openTarget(t, url)
	if n := count(t, tgt.R, "users"); n != 0 {
		t.Errorf("%d users written", n)
	}
}

// TestCopyReportsMissingAttachment: a stored attachment whose file is gone
// from the source fails the check and names it; the rest is copied.
func TestCopyReportsMissingAttachment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in := newInstallation(t)
	var gone string
	for key := range in.files {
		gone = key
		break
	}
	if err := os.Remove(blob.NewLocal(in.attDir).Path(gone)); err != nil {
		t.Fatal(err)
	}
	url := storetest.DatabaseURL(t, store.Postgres)
	rep, err := dbcopy.Copy(ctx, options(in, url))
	var ce *dbcopy.CheckError
	if !errors.As(err, &ce) || len(ce.MissingAttachments) != 1 || !strings.Contains(ce.MissingAttachments[0], gone) || len(ce.Mismatches) != 0 {
		t.Fatalf("copy with a missing file: %v", err)
	}
	if rep == nil || rep.Attachments != len(in.files)-1 || len(rep.Tables) == 0 {
		t.Errorf("report: %+v", rep)
	}

	// The file is found again (restored from a backup): the same command
	// resumes, copies it and passes the check.
	if _, err := in.attachments().Put(ctx, bytes.NewReader(in.files[gone])); err != nil {
		t.Fatal(err)
	}
	rep, err = dbcopy.Copy(ctx, options(in, url))
	if err != nil {
		t.Fatalf("copy once the file is back: %v", err)
	}
	if !rep.Resumed || rep.Attachments != len(in.files) || rep.AttachmentsCopied != 1 {
		t.Errorf("copy once the file is back: resumed %v, %d attachments present, %d copied", rep.Resumed, rep.Attachments, rep.AttachmentsCopied)
	}
}

// TestCopyWhileServing: the source is a consistent snapshot while a writer
// keeps adding rows, and the target holds exactly that snapshot.
func TestCopyWhileServing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in := newInstallation(t)
	url := storetest.DatabaseURL(t, store.Postgres)
	wctx, stop := context.WithCancel(ctx)
	wrote := make(chan int, 1)
	started := make(chan struct{})
	go func() {
		n := 0
		defer func() { wrote <- n }()
		for wctx.Err() == nil {
			err := in.st.Tx(wctx, func(tx *sql.Tx) error {
				var id int64
				if err := tx.QueryRow(`INSERT INTO questions (ref, text, submitted_at) VALUES (?, 'during the copy', 1) RETURNING id`, fmt.Sprintf("Q-LIVE%05d", n)).Scan(&id); err != nil {
					return err
				}
				_, err := tx.Exec(`INSERT INTO deliveries (question_id, destination, status, created_at, updated_at) VALUES (?, 'teams', 'pending', 1, 1), (?, 'backlog', 'pending', 1, 1)`, id, id)
				return err
			})
			if err != nil {
				return
			}
			n++
			if n == 20 {
				close(started)
			}
		}
	}()
	<-started
	rep, err := dbcopy.Copy(ctx, options(in, url))
	stop()
	n := <-wrote
	if err != nil {
		t.Fatal(err)
	}
	tgt := openTarget(t, url)
	q, d := count(t, tgt.R, "questions"), count(t, tgt.R, "deliveries")
	if d != 2*q {
		t.Errorf("not a consistent cut: %d questions, %d deliveries", q, d)
	}
	if all := count(t, in.st.R, "questions"); q < 5+20 || q > all {
		t.Errorf("%d questions copied, the source has %d (%d written while copying)", q, all, n)
	}
	for _, c := range rep.Tables {
		if !c.OK() {
			t.Errorf("table %s: %d/%d", c.Table, c.Source, c.Target)
		}
	}
}

// jsonEqual compares two JSON texts by value.
func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}
