package oncall_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/oncall"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

type noticeRecorder struct {
	mu          sync.Mutex
	got         []string
	unreachable map[string]bool
}

func (r *noticeRecorder) NotifyShift(_ context.Context, n oncall.ShiftNotice) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unreachable[n.Who] {
		return "", fmt.Errorf("%s: %w", n.Who, oncall.ErrUnreachable)
	}
	end := "-"
	if !n.End.IsZero() {
		end = n.End.In(n.Zone).Format("01-02 15:04 MST")
	}
	r.got = append(r.got, fmt.Sprintf("%s %s %s→%s", n.Schedule, n.Who, n.Start.In(n.Zone).Format("01-02 15:04 MST"), end))
	return "sms", nil
}

// TestShiftNotices: the incoming person is told once, before before their
// shift; a hand-off to the same person is no new shift; a person who cannot
// be reached is recorded as skipped; New York's hand-off keeps 09:00 local
// across the change to daylight saving time.
func TestShiftNotices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, clk := newService(t, st)
		ctx := context.Background()
		tokyo, ny := loc(t, "Asia/Tokyo"), loc(t, "America/New_York")
		day := oncall.ShiftLength{Unit: oncall.Days, Count: 1}
		for _, sc := range []*oncall.Schedule{
			{Name: "tokyo", TimeZone: tokyo, Layers: []oncall.Layer{{Name: "d", Participants: []string{"sato", "suzuki"}, Shift: day, HandOff: time.Date(2026, 3, 2, 9, 0, 0, 0, tokyo)}},
				// suzuki also covers sato's day 03-04: the hand-offs of 03-04 and 03-05 are no new shifts.
				Overrides: []oncall.Override{{Who: "suzuki", Covers: "sato", Start: time.Date(2026, 3, 4, 9, 0, 0, 0, tokyo), End: time.Date(2026, 3, 5, 9, 0, 0, 0, tokyo)}}},
			{Name: "ny", TimeZone: ny, Layers: []oncall.Layer{{Name: "d", Participants: []string{"miller", "kim"}, Shift: day, HandOff: time.Date(2026, 3, 2, 9, 0, 0, 0, ny)}}},
		} {
			if err := svc.SaveSchedule(ctx, sc, "test"); err != nil {
				t.Fatal(err)
			}
		}
		r := &noticeRecorder{unreachable: map[string]bool{"kim": true}}
		run := func(at time.Time) int {
			t.Helper()
			clk.Set(at)
			n, err := svc.SendShiftNotices(ctx, 30*time.Minute, r)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		// Tuesday 03-03 08:40 in Tokyo: suzuki comes on at 09:00.
		if n := run(time.Date(2026, 3, 3, 8, 40, 0, 0, tokyo)); n != 1 {
			t.Fatalf("%d notices at 08:40", n)
		}
		run(time.Date(2026, 3, 3, 8, 50, 0, 0, tokyo)) // a later pass, or another replica
		run(time.Date(2026, 3, 3, 8, 20, 0, 0, tokyo)) // too early: nothing
		// 03-04 and 03-05 08:45: suzuki covers sato's day, then has her own:
		// she stays on, nobody new comes on. 03-06 08:45: sato.
		run(time.Date(2026, 3, 4, 8, 45, 0, 0, tokyo))
		run(time.Date(2026, 3, 5, 8, 45, 0, 0, tokyo))
		run(time.Date(2026, 3, 6, 8, 45, 0, 0, tokyo))
		// New York: the clocks go forward at 02:00 on Sunday 03-08; that
		// day's hand-off is at 09:00 EDT (13:00 UTC), not 14:00 UTC.
		if n := run(time.Date(2026, 3, 8, 8, 35, 0, 0, ny)); n != 1 {
			t.Fatalf("%d notices on the morning of the DST change", n)
		}
		want := []string{
			"tokyo suzuki 03-03 09:00 JST→03-06 09:00 JST",
			"tokyo sato 03-06 09:00 JST→03-07 09:00 JST",
			"ny miller 03-08 09:00 EDT→03-09 09:00 EDT",
		}
		if !slices.Equal(r.got, want) {
			t.Fatalf("notices\n%q\nwant\n%q", r.got, want)
		}
		// kim, on call from Monday 03-09, cannot be told.
		run(time.Date(2026, 3, 9, 8, 35, 0, 0, ny))
		ns, err := svc.Notices(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != 4 || ns[0].Who != "kim" || ns[0].Outcome != oncall.NoticeSkipped || ns[1].Outcome != oncall.NoticeSent {
			t.Fatalf("notices recorded %+v", ns)
		}
	})
}
