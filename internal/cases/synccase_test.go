package cases_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestSyncCase syncs single cases the way a Support Case Update event
// does: a case never seen before (by id and by display id, in a language
// other than the first), then a new reply and a status change of an
// archived case, with a handful of API calls each.
func TestSyncCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := fake.NewSupport(t)
		data := fake.SupportGen{Cases: 40, Seed: 11, NoAttachments: true}.Generate()
		f.Load(data)
		var target, other fake.SupportCase
		for _, c := range data {
			if c.Language == "ko" && target.CaseID == "" {
				target = c
			} else if c.Language == "ja" && other.CaseID == "" {
				other = c
			}
		}
		if target.CaseID == "" || other.CaseID == "" {
			t.Fatal("generated data lacks a Korean case or a Japanese one")
		}
		sy := &cases.Syncer{Store: cases.NewStore(st), Dir: t.TempDir(), Overlap: time.Hour, ResolvedRepoll: time.Hour}
		acct := cases.Account{Name: "prod", Languages: []string{"en", "ja", "zh", "ko"}, Client: client(t, f, f.SupportAccount)}

		res, err := sy.SyncCase(ctx, acct, target.CaseID)
		if err != nil {
			t.Fatal(err)
		}
		if res.CasesNew != 1 || res.Communications != len(target.Communications) {
			t.Fatalf("first sync of %s: %+v; want 1 new case with %d messages", target.CaseID, res, len(target.Communications))
		}
		c, comms, err := sy.Store.Get(ctx, target.CaseID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Language != "ko" || c.Status != target.Status || len(comms) != len(target.Communications) {
			t.Fatalf("archived %s: language %s status %s, %d messages", c.CaseID, c.Language, c.Status, len(comms))
		}
		if n := count(t, st).cases; n != 1 {
			t.Fatalf("%d cases archived; want only the synced one", n)
		}

		// A reply and a status change (resolved, or reopened if it was):
		// the stored language is tried first, so two calls
		// (DescribeCases, DescribeCommunications) suffice.
		newStatus := "resolved"
		if target.Status == "resolved" {
			newStatus = "reopened"
		}
		f.SupportAccount.AddCommunication(target.CaseID, fake.SupportCommunication{Body: "새 답변입니다", SubmittedBy: "Amazon Web Services", TimeCreated: time.Now().UTC()})
		f.SupportAccount.SetStatus(target.CaseID, newStatus)
		f.ResetCalls()
		res, err = sy.SyncCase(ctx, acct, target.CaseID)
		if err != nil {
			t.Fatal(err)
		}
		if res.CasesChanged != 1 || res.Communications != 1 {
			t.Fatalf("second sync: %+v; want 1 changed case with 1 new message", res)
		}
		if n := f.TotalCalls(); n != 2 {
			t.Errorf("second sync made %d API calls (%v); want 2", n, f.CallCounts())
		}
		c, comms, _ = sy.Store.Get(ctx, target.CaseID)
		if c.Status != newStatus || comms[len(comms)-1].Body != "새 답변입니다" {
			t.Fatalf("after reply and resolution: status %s, last message %q", c.Status, comms[len(comms)-1].Body)
		}

		// A reply alone, the status unchanged, is found too.
		f.SupportAccount.AddCommunication(target.CaseID, fake.SupportCommunication{Body: "追加の回答", SubmittedBy: "Amazon Web Services", TimeCreated: time.Now().UTC().Add(time.Minute)})
		res, err = sy.SyncCase(ctx, acct, target.CaseID)
		if err != nil {
			t.Fatal(err)
		}
		if res.CasesChanged != 0 || res.Communications != 1 {
			t.Fatalf("reply only: %+v; want 1 new message", res)
		}

		// By display id.
		if _, err := sy.SyncCase(ctx, acct, other.DisplayID); err != nil {
			t.Fatal(err)
		}
		if c, _, err := sy.Store.Get(ctx, other.CaseID); err != nil || c.DisplayID != other.DisplayID {
			t.Fatalf("by display id: %v %v", c, err)
		}

		// Unknown case.
		if _, err := sy.SyncCase(ctx, acct, "case-123456789012-muen-2026-0000000000000000"); !errors.Is(err, cases.ErrCaseNotFound) {
			t.Fatalf("unknown case: %v; want ErrCaseNotFound", err)
		}
	})
}

func TestAccountFor(t *testing.T) {
	one := []cases.Account{{Name: "only"}}
	if a, ok := cases.AccountFor(one, "111122223333"); !ok || a.Name != "only" {
		t.Errorf("single account without id: %v %v", a, ok)
	}
	two := []cases.Account{{Name: "a", ID: "111122223333"}, {Name: "b", ID: "444455556666"}}
	if a, ok := cases.AccountFor(two, "444455556666"); !ok || a.Name != "b" {
		t.Errorf("by id: %v %v", a, ok)
	}
	if _, ok := cases.AccountFor(two, "999999999999"); ok {
		t.Error("unknown id matched")
	}
	if _, ok := cases.AccountFor([]cases.Account{{Name: "x", ID: "111122223333"}}, "444455556666"); ok {
		t.Error("a single account with another id matched")
	}
}

// TestRebuildSearch: an archive whose search documents are missing (as
// after the migration that introduced them) is found again once the
// rebuild ran, in chunks that resume.
func TestRebuildSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := fake.NewSupport(t)
		data := fake.SupportGen{Cases: 450, Seed: 5, NoAttachments: true}.Generate()
		f.Load(data)
		sy := &cases.Syncer{Store: cases.NewStore(st), Dir: t.TempDir(), Overlap: time.Hour, ResolvedRepoll: time.Hour}
		acct := cases.Account{Name: "prod", Languages: []string{"en", "ja", "zh", "ko"}, Client: client(t, f, f.SupportAccount)}
		if _, err := sy.Sync(ctx, acct, time.Time{}); err != nil {
			t.Fatal(err)
		}
		search := func() int {
			hits, err := sy.Store.List(ctx, cases.Filter{Q: "障害", Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			return len(hits)
		}
		want := search()
		if want == 0 {
			t.Fatal("nothing found for 障害 after sync")
		}
		// Forget every document, as an archive from before them.
		var err error
		if st.Engine == store.SQLite {
			_, err = st.W.Exec(`DELETE FROM case_fts`)
		} else {
			_, err = st.W.Exec(`UPDATE cases SET search_text = ''`)
		}
		if err == nil {
			_, err = st.W.Exec(`INSERT INTO search_rebuild (what) VALUES ('cases')`)
		}
		if err != nil {
			t.Fatal(err)
		}
		if n := search(); n != 0 {
			t.Fatalf("%d hits without documents", n)
		}
		// A deadline already past stops before any work.
		n, more, err := sy.Store.RebuildSearch(ctx, time.Now().Add(-time.Second), nil)
		if err != nil || n != 0 || !more {
			t.Fatalf("past deadline: %d %v %v", n, more, err)
		}
		total := 0
		for i := 0; ; i++ {
			n, more, err := sy.Store.RebuildSearch(ctx, time.Now().Add(time.Minute), nil)
			if err != nil {
				t.Fatal(err)
			}
			total += n
			if !more {
				break
			}
			if i > 10 {
				t.Fatal("rebuild does not finish")
			}
		}
		if total != len(data) {
			t.Errorf("rebuilt %d cases; want %d", total, len(data))
		}
		if got := search(); got != want {
			t.Errorf("after rebuild %d hits; want %d", got, want)
		}
		// Done: nothing left to do.
		if n, more, err := sy.Store.RebuildSearch(ctx, time.Time{}, nil); n != 0 || more || err != nil {
			t.Errorf("second rebuild: %d %v %v", n, more, err)
		}
	})
}

// TestSearchCaseDocument: terms may be spread over a case's messages and
// subject, a phrase must stay within one of them, on both engines.
func TestSearchCaseDocument(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := fake.NewSupport(t)
		at := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
		f.Load([]fake.SupportCase{{
			CaseID: "case-123456789012-muen-2026-aaaaaaaaaaaaaaaa", DisplayID: "1001", Subject: "Lambda timeouts", Status: "opened",
			ServiceCode: "aws-lambda", CategoryCode: "other", SeverityCode: "high", Language: "en", TimeCreated: at,
			Communications: []fake.SupportCommunication{
				{Body: "The function stops after the cold", SubmittedBy: "ops", TimeCreated: at},
				{Body: "start finished; 障害 continues", SubmittedBy: "Amazon Web Services", TimeCreated: at.Add(time.Hour)},
			},
		}})
		sy := &cases.Syncer{Store: cases.NewStore(st), Dir: t.TempDir(), Overlap: time.Hour, ResolvedRepoll: time.Hour}
		acct := cases.Account{Name: "prod", Languages: []string{"en"}, Client: client(t, f, f.SupportAccount)}
		if _, err := sy.Sync(ctx, acct, time.Time{}); err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]int{
			`cold start`:         1, // both words, different messages
			`"cold start"`:       0, // a phrase across two messages
			`"cold" 障害`:          1,
			`lambda 障害`:          1, // subject and a message
			`"timeouts the"`:     0, // subject into the first message
			`"start finished"`:   1,
			`cold start kinesis`: 0,
			`障`:                  1, // one CJK character: prefix
		} {
			hits, err := sy.Store.List(ctx, cases.Filter{Q: q})
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) != want {
				t.Errorf("%s: %d hits; want %d", q, len(hits), want)
			}
			if want == 1 && len(hits) == 1 && len(hits[0].Snippet) == 0 {
				t.Errorf("%s: no snippet", q)
			}
		}
	})
}

// TestSyncLanguageNotOffered: a language the API refuses for the account
// is skipped and recorded as not offered, not as a problem.
func TestSyncLanguageNotOffered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := fake.NewSupport(t)
		f.Load(fake.SupportGen{Cases: 20, Seed: 9, NoAttachments: true}.Generate())
		f.SupportAccount.RefuseLanguages("tr", "pt")
		sy := &cases.Syncer{Store: cases.NewStore(st), Dir: t.TempDir(), Overlap: time.Hour, ResolvedRepoll: time.Hour}
		acct := cases.Account{Name: "prod", Languages: []string{"en", "ja", "pt", "tr"}, Client: client(t, f, f.SupportAccount)}
		res, err := sy.Sync(ctx, acct, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Skipped) != 2 {
			t.Errorf("skipped %v; want pt and tr", res.Skipped)
		}
		states, err := sy.Store.SyncStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]cases.SyncState{}
		for _, s := range states {
			got[s.Language] = s
		}
		for _, l := range []string{"pt", "tr"} {
			if !got[l].Unsupported || got[l].LastError == "" {
				t.Errorf("%s: %+v; want unsupported with the API's words", l, got[l])
			}
		}
		for _, l := range []string{"en", "ja"} {
			if got[l].Unsupported || got[l].LastError != "" || got[l].LastSync.IsZero() {
				t.Errorf("%s: %+v", l, got[l])
			}
		}
	})
}
