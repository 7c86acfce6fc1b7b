package intake_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/intake"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

func newService(t *testing.T, st *store.Store, now func() time.Time) *intake.Service {
	t.Helper()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, st); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(st, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := intake.New(st, q, intake.Options{Now: now})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { svc.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return svc
}

// TestHandling moves questions through open → answered → closed with an
// assignee and notes, on both engines, and filters by state and assignee.
func TestHandling(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
		svc := newService(t, st, func() time.Time { return now })
		var refs []string
		for _, text := range []string{"S3 のバケットを消せません", "How do I raise a quota?", "RDS 连接超时"} {
			q, err := svc.Submit(ctx, intake.Input{Question: text}, intake.Meta{})
			if err != nil {
				t.Fatal(err)
			}
			if q.State != intake.StateOpen {
				t.Fatalf("new question state %q", q.State)
			}
			refs = append(refs, q.Ref)
		}
		now = now.Add(time.Hour)
		if err := svc.SetState(ctx, refs[0], intake.StateAnswered, "alice"); err != nil {
			t.Fatal(err)
		}
		if err := svc.Assign(ctx, refs[0], " alice "); err != nil {
			t.Fatal(err)
		}
		if err := svc.Assign(ctx, refs[1], "bob"); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetState(ctx, refs[2], intake.StateClosed, "bob"); err != nil {
			t.Fatal(err)
		}
		q, err := svc.Get(ctx, refs[0])
		if err != nil {
			t.Fatal(err)
		}
		if q.State != intake.StateAnswered || q.Assignee != "alice" || q.StateBy != "alice" || !q.StateAt.Equal(now) {
			t.Fatalf("after answering: %+v", q)
		}
		// The same state again keeps who and when.
		now = now.Add(time.Minute)
		if err := svc.SetState(ctx, refs[0], intake.StateAnswered, "carol"); err != nil {
			t.Fatal(err)
		}
		if q, _ := svc.Get(ctx, refs[0]); q.StateBy != "alice" {
			t.Fatalf("unchanged state rewrote state_by: %+v", q)
		}

		n1, err := svc.AddNote(ctx, refs[0], "alice", "  Replied by phone; 電話で回答済み\r\n")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddNote(ctx, refs[0], "bob", "Follow-up next week"); err != nil {
			t.Fatal(err)
		}
		notes, err := svc.Notes(ctx, q.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(notes) != 2 || notes[0].ID != n1.ID || notes[0].Body != "Replied by phone; 電話で回答済み" || notes[0].Author != "alice" || notes[1].Author != "bob" || !notes[0].CreatedAt.Equal(now) {
			t.Fatalf("notes: %+v", notes)
		}

		list := func(f intake.ListFilter) []string {
			t.Helper()
			qs, err := svc.List(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, q := range qs {
				out = append(out, q.Ref)
			}
			return out
		}
		if got := list(intake.ListFilter{State: intake.StateOpen}); len(got) != 1 || got[0] != refs[1] {
			t.Errorf("open: %v", got)
		}
		if got := list(intake.ListFilter{Assignee: "alice"}); len(got) != 1 || got[0] != refs[0] {
			t.Errorf("alice's: %v", got)
		}
		counts, err := svc.StateCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts[intake.StateOpen] != 1 || counts[intake.StateAnswered] != 1 || counts[intake.StateClosed] != 1 {
			t.Errorf("counts %v", counts)
		}

		// Bad input names the field and changes nothing.
		var fe *intake.FieldError
		if err := svc.SetState(ctx, refs[1], "done", "x"); !errors.As(err, &fe) || fe.Field != "state" {
			t.Errorf("bad state: %v", err)
		}
		if err := svc.Assign(ctx, refs[1], strings.Repeat("x", intake.MaxAssignee+1)); !errors.As(err, &fe) || fe.Field != "assignee" {
			t.Errorf("long assignee: %v", err)
		}
		if _, err := svc.AddNote(ctx, refs[1], "x", " \n "); !errors.As(err, &fe) || fe.Field != "note" {
			t.Errorf("empty note: %v", err)
		}
		if _, err := svc.AddNote(ctx, refs[1], "x", strings.Repeat("あ", intake.MaxNote+1)); !errors.As(err, &fe) || fe.Code != intake.CodeTooLong {
			t.Errorf("long note: %v", err)
		}
		if q, _ := svc.Get(ctx, refs[1]); q.State != intake.StateOpen || q.Assignee != "bob" {
			t.Errorf("refused changes changed %+v", q)
		}
		if err := svc.SetState(ctx, "Q-NOPE", intake.StateClosed, "x"); !errors.Is(err, intake.ErrNotFound) {
			t.Errorf("unknown ref: %v", err)
		}
		if _, err := svc.AddNote(ctx, "Q-NOPE", "x", "hi"); !errors.Is(err, intake.ErrNotFound) {
			t.Errorf("note on unknown ref: %v", err)
		}
		if err := svc.Assign(ctx, "Q-NOPE", "x"); !errors.Is(err, intake.ErrNotFound) {
			t.Errorf("assign unknown ref: %v", err)
		}
	})
}
