package cases_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opsdesk/opsdesk/internal/aws/support"
	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

func client(t *testing.T, f *fake.Support, a *fake.SupportAccount) *support.Client {
	t.Helper()
	c, err := support.New(support.Options{
		Credentials: a.CredentialsProvider(),
		Endpoint:    f.URL(),
		LookupEnv:   func(string) (string, bool) { return "", false },
		HTTPClient:  &http.Client{Timeout: 10 * time.Second},
		RetryMode:   aws.RetryModeStandard,
		MaxAttempts: 6,
		Sleep:       func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type counts struct{ cases, comms, atts int }

func count(t *testing.T, st *store.Store) counts {
	t.Helper()
	var c counts
	for q, dst := range map[string]*int{
		`SELECT count(*) FROM cases`:                                    &c.cases,
		`SELECT count(*) FROM case_communications`:                      &c.comms,
		`SELECT count(*) FROM case_attachments WHERE status = 'stored'`: &c.atts,
	} {
		if err := st.R.QueryRow(q).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestSyncEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := fake.NewSupport(t)
		// 1,200 cases in four languages; attachments (small, and large
		// ones that need a download link) on 100 of them keep the test fast.
		data := append(fake.SupportGen{Cases: 1100, Seed: 7, NoAttachments: true}.Generate(), fake.SupportGenerate(100, 8)...)
		ids := map[string]bool{}
		for _, c := range data {
			if ids[c.CaseID] {
				t.Fatalf("generated case id %s twice", c.CaseID)
			}
			ids[c.CaseID] = true
		}
		f.Load(data)
		wantComms, wantAtts, langs := 0, 0, map[string]int{}
		for _, c := range data {
			wantComms += len(c.Communications)
			langs[c.Language]++
			for _, m := range c.Communications {
				wantAtts += len(m.Attachments)
			}
		}
		if len(langs) < 4 {
			t.Fatalf("generated data has %d languages", len(langs))
		}
		// Attachments go into the database, as on PostgreSQL by default:
		// the large ones stream from their download link into chunks.
		blobs, err := blob.NewDB(st.W, st.R, st.Engine)
		if err != nil {
			t.Fatal(err)
		}
		sy := &cases.Syncer{Store: cases.NewStore(st), Blobs: blobs, Overlap: 24 * time.Hour, ResolvedRepoll: 30 * 24 * time.Hour}
		acct := cases.Account{Name: "prod", Languages: []string{"en", "ja", "zh", "ko"}, Client: client(t, f, f.SupportAccount)}

		// A throttling burst in the middle is absorbed by retries.
		f.ThrottleNext(3)
		res, err := sy.Sync(ctx, acct, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		got := count(t, st)
		if got.cases != len(data) || got.comms != wantComms || got.atts != wantAtts {
			t.Fatalf("first sync stored %+v; want %d cases, %d messages, %d attachments", got, len(data), wantComms, wantAtts)
		}
		if res.CasesNew != len(data) || res.Communications != wantComms || len(res.Failures) != 0 {
			t.Errorf("result %+v", res)
		}
		if f.Downloads() == 0 {
			t.Error("no attachment was large enough to need a download link")
		}
		// Every attachment's content is stored under its SHA256, large
		// ones (several chunks) included.
		rows, err := st.R.Query(`SELECT sha256, size FROM case_attachments ORDER BY size DESC`)
		if err != nil {
			t.Fatal(err)
		}
		var sums []string
		var sizes []int64
		for rows.Next() {
			var sum string
			var size int64
			if err := rows.Scan(&sum, &size); err != nil {
				t.Fatal(err)
			}
			sums, sizes = append(sums, sum), append(sizes, size)
		}
		rows.Close()
		if len(sums) != wantAtts || sizes[0] <= blob.ChunkSize {
			t.Fatalf("%d attachments, the largest %d bytes", len(sums), sizes[0])
		}
		for i := range min(len(sums), 50) {
			info, err := blob.Verify(ctx, blobs, sums[i])
			if err != nil || info.Size != sizes[i] {
				t.Fatalf("attachment %s: %v (size %d, want %d)", sums[i], err, info.Size, sizes[i])
			}
		}

		// Incremental sync with nothing new: a handful of calls, no
		// communications fetched.
		f.ResetCalls()
		res, err = sy.Sync(ctx, acct, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var open int
		_ = st.R.QueryRow(`SELECT count(*) FROM cases WHERE status <> 'resolved'`).Scan(&open)
		calls := f.CallCounts()
		t.Logf("incremental sync: %v for %d open cases", calls, open)
		if calls["DescribeCommunications"] != 0 || calls["DescribeAttachment"] != 0 || res.Communications != 0 || res.CasesNew != 0 {
			t.Errorf("nothing changed but the sync fetched: %v %+v", calls, res)
		}
		if max := 4 + 4*(open/100+1); f.TotalCalls() > max {
			t.Errorf("incremental sync made %d calls; want at most %d", f.TotalCalls(), max)
		}

		// Changes between syncs: a reply, a resolution, a reopening, and a
		// case AWS drops after its retention period.
		var openCase, otherCase, dropped fake.SupportCase
		for _, c := range data {
			switch {
			case c.Status != "resolved" && openCase.CaseID == "":
				openCase = c
			case c.Status != "resolved" && otherCase.CaseID == "":
				otherCase = c
			case c.Status != "resolved" && dropped.CaseID == "":
				dropped = c
			}
		}
		f.AddCommunication(openCase.CaseID, fake.SupportCommunication{Body: "新しい返信: 障害は解消しました", SubmittedBy: "Amazon Web Services", TimeCreated: time.Now().UTC()})
		f.SetStatus(otherCase.CaseID, "resolved")
		f.Remove(dropped.CaseID)
		f.ResetCalls()
		res, err = sy.Sync(ctx, acct, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Communications != 1 || res.CasesGone != 1 || res.CasesChanged != 1 {
			t.Errorf("after changes: %+v", res)
		}
		// One call for the case with the reply, one for the resolved case.
		if n := f.Calls("DescribeCommunications"); n != 2 {
			t.Errorf("%d DescribeCommunications calls; want 2", n)
		}
		var status string
		var resolvedAt, goneAt *int64
		_ = st.R.QueryRow(st.Q(`SELECT status, resolved_at FROM cases WHERE case_id = ?`), otherCase.CaseID).Scan(&status, &resolvedAt)
		if status != "resolved" || resolvedAt == nil {
			t.Errorf("resolved case: %s %v", status, resolvedAt)
		}
		var comms int
		_ = st.R.QueryRow(st.Q(`SELECT gone_at, comm_count FROM cases WHERE case_id = ?`), dropped.CaseID).Scan(&goneAt, &comms)
		if goneAt == nil || comms != len(dropped.Communications) {
			t.Errorf("dropped case: gone_at %v, %d messages kept of %d", goneAt, comms, len(dropped.Communications))
		}
		if c := count(t, st); c.cases != len(data) {
			t.Errorf("the archive lost cases: %d of %d", c.cases, len(data))
		}

		// Reopened: status back, resolved_at cleared.
		f.SetStatus(otherCase.CaseID, "reopened")
		if _, err := sy.Sync(ctx, acct, time.Time{}); err != nil {
			t.Fatal(err)
		}
		resolvedAt = nil
		_ = st.R.QueryRow(st.Q(`SELECT status, resolved_at FROM cases WHERE case_id = ?`), otherCase.CaseID).Scan(&status, &resolvedAt)
		if status != "reopened" || resolvedAt != nil {
			t.Errorf("reopened case: %s %v", status, resolvedAt)
		}
	})
}

func TestSyncNoSupportPlan(t *testing.T) {
	st := storetest.New(t, store.SQLite)
	f := fake.NewSupport(t)
	f.SetSubscriptionRequired(true)
	sy := &cases.Syncer{Store: cases.NewStore(st), Dir: t.TempDir(), Overlap: time.Hour, ResolvedRepoll: time.Hour}
	_, err := sy.Sync(context.Background(), cases.Account{Name: "basic", Languages: []string{"en"}, Client: client(t, f, f.SupportAccount)}, time.Time{})
	if !errors.Is(err, cases.ErrNoSupportPlan) {
		t.Fatalf("err = %v", err)
	}
}

// TestSyncResumes stops a sync at its deadline and checks that the next
// one finishes the work without fetching anything twice.
func TestSyncResumes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := fake.NewSupport(t)
		data := fake.SupportGen{Cases: 150, Seed: 3, NoAttachments: true}.Generate()
		f.Load(data)
		want := 0
		for _, c := range data {
			want += len(c.Communications)
		}
		sy := &cases.Syncer{Store: cases.NewStore(st), Dir: t.TempDir(), Overlap: time.Hour, ResolvedRepoll: time.Hour}
		acct := cases.Account{Name: "prod", Languages: []string{"en", "ja", "zh", "ko"}, Client: client(t, f, f.SupportAccount)}
		res, err := sy.Sync(ctx, acct, time.Now()) // already past: stops before messages
		if err != nil {
			t.Fatal(err)
		}
		if !res.More || res.Communications != 0 || res.CasesNew != len(data) {
			t.Fatalf("interrupted sync: %+v", res)
		}
		f.ResetCalls()
		res, err = sy.Sync(ctx, acct, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if res.More || res.Communications != want {
			t.Errorf("resumed sync: %+v; want %d messages", res, want)
		}
		if n := f.Calls("DescribeCommunications"); n < len(data) || n > len(data)+20 {
			t.Errorf("%d DescribeCommunications calls for %d cases", n, len(data))
		}
		if c := count(t, st); c.comms != want {
			t.Errorf("%d messages stored; want %d", c.comms, want)
		}
	})
}

// TestSyncFullCheckMarksDeleted checks that cases AWS deletes after its
// retention period, long resolved and no longer re-polled, are found by
// the periodic full listing and kept, marked.
func TestSyncFullCheckMarksDeleted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := fake.NewSupport(t)
		data := fake.SupportGen{Cases: 150, Seed: 9, NoAttachments: true}.Generate()
		f.Load(data)
		now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
		sy := &cases.Syncer{Store: cases.NewStore(st), Dir: t.TempDir(), Overlap: time.Hour, ResolvedRepoll: 24 * time.Hour,
			FullCheck: 7 * 24 * time.Hour, Now: func() time.Time { return now }}
		acct := cases.Account{Name: "prod", Languages: []string{"en", "ja", "zh", "ko"}, Client: client(t, f, f.SupportAccount)}
		if _, err := sy.Sync(ctx, acct, time.Time{}); err != nil {
			t.Fatal(err)
		}
		expired := f.ExpireBefore(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		if expired == 0 {
			t.Fatal("nothing expired")
		}
		gone := func() int {
			var n int
			_ = st.R.QueryRow(`SELECT count(*) FROM cases WHERE gone_at IS NOT NULL`).Scan(&n)
			return n
		}
		now = now.Add(48 * time.Hour) // before the weekly check: only re-polled cases are noticed
		if _, err := sy.Sync(ctx, acct, time.Time{}); err != nil {
			t.Fatal(err)
		}
		before := gone()
		if before >= expired {
			t.Fatalf("%d of %d expired cases marked before the full check", before, expired)
		}
		now = now.Add(7 * 24 * time.Hour)
		res, err := sy.Sync(ctx, acct, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if gone() != expired || res.CasesGone != expired-before {
			t.Errorf("after the full check: %d marked gone (result %d); %d expired", gone(), res.CasesGone, expired)
		}
		var n int
		_ = st.R.QueryRow(`SELECT count(*) FROM cases`).Scan(&n)
		if n != len(data) {
			t.Errorf("the archive has %d cases; want all %d", n, len(data))
		}
	})
}

// TestSyncRepollsEveryOpenCase: open cases are re-polled by id, at most 100
// (caseIdList's limit) per request, so 250 open cases take three requests.
// A change on every one of them, and a reply on the oldest (the last one
// re-polled; the incremental listing by creation time does not see it),
// must all arrive.
func TestSyncRepollsEveryOpenCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := fake.NewSupport(t)
		data := fake.SupportGen{Cases: 250, Seed: 11, Languages: []string{"en"}, Communications: 1, NoAttachments: true}.Generate()
		for i := range data {
			data[i].Status = "opened"
		}
		f.Load(data)
		sy := &cases.Syncer{Store: cases.NewStore(st), Dir: t.TempDir(), Overlap: time.Hour, ResolvedRepoll: 24 * time.Hour}
		acct := cases.Account{Name: "prod", Languages: []string{"en"}, Client: client(t, f, f.SupportAccount)}
		if _, err := sy.Sync(ctx, acct, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if c := count(t, st); c.cases != 250 || c.comms != 250 {
			t.Fatalf("first sync stored %+v, want 250 cases and messages", c)
		}

		for _, c := range data {
			f.SetStatus(c.CaseID, "work-in-progress")
		}
		oldest := data[len(data)-1] // data is newest first
		const reply = "Reply on the 250th open case"
		f.AddCommunication(oldest.CaseID, fake.SupportCommunication{Body: reply, TimeCreated: time.Now().UTC()})
		f.ResetCalls()
		res, err := sy.Sync(ctx, acct, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var changed int
		if err := st.R.QueryRow(`SELECT count(*) FROM cases WHERE status = 'work-in-progress'`).Scan(&changed); err != nil {
			t.Fatal(err)
		}
		if changed != 250 || res.CasesChanged != 250 || res.CasesGone != 0 {
			t.Fatalf("re-poll saw %d of 250 status changes (result %+v)", changed, res)
		}
		var n int
		if err := st.R.QueryRow(st.Q(`SELECT count(*) FROM case_communications m JOIN cases c ON c.id = m.case_ref WHERE c.case_id = ? AND m.body = ?`), oldest.CaseID, reply).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 || res.Communications != 1 {
			t.Fatalf("the reply on the oldest case: %d stored, %d fetched; want 1", n, res.Communications)
		}
		// One listing page, three re-poll requests (100 + 100 + 50).
		if got := f.Calls("DescribeCases"); got != 4 {
			t.Errorf("%d DescribeCases calls, want 4", got)
		}
	})
}
