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
