package audit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

func TestRecordAndList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
		l := audit.New(st, func() time.Time { return now }, nil)
		alice := audit.WithActor(context.Background(), audit.Actor{Name: "alice", Kind: audit.KindUser, Source: "192.0.2.7"})
		tok := audit.WithActor(context.Background(), audit.Actor{Name: "zabbix", Kind: audit.KindToken, Source: "198.51.100.2"})
		rec := func(ctx context.Context, action, target, detail string) {
			t.Helper()
			if err := l.Record(ctx, action, target, detail); err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Minute)
		}
		rec(alice, "alert.acknowledge", "alert #12", "")
		rec(tok, "alert.resolve", "alert #12", "via API")
		rec(alice, "user.add", "bob", "role responder")
		rec(context.Background(), "alerts.seed", "system web", "from config")
		// A cancelled request still leaves its record: the change happened.
		cctx, cancel := context.WithCancel(alice)
		cancel()
		rec(cctx, "question.state", "Q-ABC", "answered; 回答済み")
		rec(alice, "alertx.other", "x", strings.Repeat("d", 5000))

		list := func(f audit.Filter) []string {
			t.Helper()
			es, err := l.List(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range es {
				out = append(out, e.Actor+" "+e.Action)
			}
			return out
		}
		eq := func(got []string, want ...string) {
			t.Helper()
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("got %q, want %q", got, want)
			}
		}
		eq(list(audit.Filter{}), "alice alertx.other", "alice question.state", "opsdesk alerts.seed", "alice user.add", "zabbix alert.resolve", "alice alert.acknowledge")
		eq(list(audit.Filter{Action: "alert"}), "zabbix alert.resolve", "alice alert.acknowledge")
		eq(list(audit.Filter{Action: "alert.resolve"}), "zabbix alert.resolve")
		eq(list(audit.Filter{Actor: "alice", Limit: 2}), "alice alertx.other", "alice question.state")
		eq(list(audit.Filter{Kind: audit.KindToken}), "zabbix alert.resolve")
		eq(list(audit.Filter{Kind: audit.KindSystem}), "opsdesk alerts.seed")
		eq(list(audit.Filter{Search: "回答"}), "alice question.state")
		eq(list(audit.Filter{Search: "#12"}), "zabbix alert.resolve", "alice alert.acknowledge")
		eq(list(audit.Filter{Search: "%"}))
		start := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
		eq(list(audit.Filter{From: start.Add(time.Minute), To: start.Add(3 * time.Minute)}), "alice user.add", "zabbix alert.resolve")

		es, _ := l.List(context.Background(), audit.Filter{Actor: "zabbix"})
		if len(es) != 1 || es[0].Source != "198.51.100.2" || es[0].Kind != audit.KindToken || es[0].Target != "alert #12" || es[0].Detail != "via API" || !es[0].At.Equal(start.Add(time.Minute)) {
			t.Errorf("entry %+v", es)
		}
		es, _ = l.List(context.Background(), audit.Filter{Action: "alertx"})
		if len(es) != 1 || len([]rune(es[0].Detail)) > 2000 {
			t.Errorf("long detail kept whole: %d", len(es[0].Detail))
		}
		acts, err := l.Actions(context.Background())
		if err != nil || strings.Join(acts, ",") != "alert.acknowledge,alert.resolve,alerts.seed,alertx.other,question.state,user.add" {
			t.Errorf("actions %v %v", acts, err)
		}
	})
}
