package chatops

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/chatops/sig"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestNonces: the database replay guard, shared by replicas.
func TestNonces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clk := newClock(time.Unix(1700000000, 0))
		s := NewStore(st, clk.Now)
		other := NewStore(st, clk.Now) // another replica
		key := sig.DingTalkReplayKey("1700000000000", "c2lnbmF0dXJl")
		exp := clk.Now().Add(time.Hour)
		if err := sig.UseOnce(ctx, s, key, exp); err != nil {
			t.Fatalf("first use: %v", err)
		}
		if err := sig.UseOnce(ctx, other, key, exp); !errors.Is(err, sig.ErrReplayed) {
			t.Fatalf("replay on another replica: %v", err)
		}
		// Many at once: exactly one wins.
		var wg sync.WaitGroup
		fresh := make(chan bool, 16)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.Use(ctx, "concurrent", exp)
				if err != nil {
					t.Error(err)
				}
				fresh <- ok
			}()
		}
		wg.Wait()
		close(fresh)
		n := 0
		for ok := range fresh {
			if ok {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d concurrent uses were fresh", n)
		}
		// Already expired: fresh, not stored.
		if ok, err := s.Use(ctx, "old", clk.Now()); !ok || err != nil {
			t.Fatalf("expired key: %v %v", ok, err)
		}
		// Once a key's time is up it may be used again (a verifier
		// refuses such a request anyway), and pruning forgets it.
		clk.Advance(time.Hour + time.Second)
		if ok, _ := s.Use(ctx, key, clk.Now().Add(time.Hour)); !ok {
			t.Fatal("expired record blocks the key")
		}
		clk.Advance(2 * time.Hour)
		if err := s.Prune(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := st.R.QueryRow(`SELECT count(*) FROM chat_nonces`).Scan(&left); err != nil || left != 0 {
			t.Fatalf("%d nonces left after pruning (%v)", left, err)
		}
		// Forget lets a key be used again at once.
		if ok, _ := s.Use(ctx, "k", clk.Now().Add(time.Hour)); !ok {
			t.Fatal("k")
		}
		if err := s.Forget(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Use(ctx, "k", clk.Now().Add(time.Hour)); !ok {
			t.Fatal("forgotten key refused")
		}
	})
}

// TestAuditFilter: the console's filters over the audit log.
func TestAuditFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clk := newClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		s := NewStore(st, clk.Now)
		add := func(platform, id, sender, conv, text, kind, result string, at time.Time) {
			t.Helper()
			r, err := s.begin(ctx, Origin{Platform: platform, MsgID: id, ReceivedAt: at, SenderID: sender, SenderName: "Name " + sender, ConversationID: conv, ConversationTitle: "群 " + conv, Text: text})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Tx(ctx, func(tx *sql.Tx) error { return s.finishTx(ctx, tx, r.ID, kind, result, "d", "") }); err != nil {
				t.Fatal(err)
			}
		}
		day := clk.Now()
		add(PlatformDingTalk, "m1", "staff1", "cidA", "帮助", "help", ResultOK, day.Add(-48*time.Hour))
		add(PlatformDingTalk, "m2", "staff2", "cidA", "提工单\nsubject:x", "create", ResultInvalid, day.Add(-time.Hour))
		add(PlatformSlack, "t1", "U1", "C1", "search 障害 100%", "search", ResultOK, day)
		// The same message again is one entry.
		add(PlatformSlack, "t1", "U1", "C1", "search 障害 100%", "search", ResultOK, day)
		all, err := s.Audit(ctx, AuditFilter{})
		if err != nil || len(all) != 3 || all[0].Kind != "search" {
			t.Fatalf("all: %d %v", len(all), err)
		}
		for _, tt := range []struct {
			name string
			f    AuditFilter
			want int
		}{
			{"platform", AuditFilter{Platform: PlatformDingTalk}, 2},
			{"kind", AuditFilter{Kind: "create"}, 1},
			{"result", AuditFilter{Result: ResultInvalid}, 1},
			{"who", AuditFilter{Q: "STAFF2"}, 1},
			{"where title", AuditFilter{Q: "群 cidA"}, 2},
			{"text", AuditFilter{Q: "障害"}, 1},
			{"percent is literal", AuditFilter{Q: "0%"}, 1},
			{"underscore is literal", AuditFilter{Q: "a_b"}, 0},
			{"from", AuditFilter{From: day.Add(-2 * time.Hour)}, 2},
			{"to", AuditFilter{To: day.Add(-24 * time.Hour)}, 1},
			{"before", AuditFilter{Before: all[0].ID}, 2},
			{"limit", AuditFilter{Limit: 1}, 1},
		} {
			got, err := s.Audit(ctx, tt.f)
			if err != nil || len(got) != tt.want {
				t.Errorf("%s: %d entries (%v), want %d", tt.name, len(got), err, tt.want)
			}
		}
		counts, err := s.AuditCount(ctx)
		if err != nil || counts[ResultOK] != 2 || counts[ResultInvalid] != 1 {
			t.Fatalf("counts %v %v", counts, err)
		}
	})
}
