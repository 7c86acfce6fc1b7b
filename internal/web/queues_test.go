package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/sqsin"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestQueuesPage: the queues page lists the configured queues with their
// state in this replica and counts, and the dead letters with the error
// and the (escaped) body; filtered by queue; in every language; and the
// navigation links to it only when queues are configured.
func TestQueuesPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := sqsin.NewStore(st)
		status := sqsin.NewStatus()
		queues := []config.AWSQueue{
			{Name: "intake", URL: "https://sqs.ap-northeast-1.amazonaws.com/123456789012/opsdesk-intake", Kind: "auto"},
			{Name: "alarms", URL: "https://sqs.us-east-1.amazonaws.com/123456789012/alarms", Kind: "alarms"},
		}
		e := newEnv(t, st, "", func(h *Handler) {
			h.queues = &QueueInfo{Store: s, Status: status, Configured: queues}
		})
		e.addUser("vic", auth.RoleViewer)
		vic := e.browser("")
		vic.login("vic")
		vic.get("/queues").want(t, http.StatusOK, "SQS queues", "opsdesk-intake", "starting", "No dead letters.")

		now := time.Now()
		if c, err := s.Claim(ctx, "intake", "m1", "r1", 1, now, now.Add(time.Minute)); err != nil || c != sqsin.Claimed {
			t.Fatal(c, err)
		}
		if err := s.Done(ctx, "intake", "m1", "eventbridge", now); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Claim(ctx, "alarms", "m2", "r1", 6, now, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.Dead(ctx, sqsin.DeadLetter{Queue: "alarms", MessageID: "m2", Body: `<script>alert(1)</script>`, Error: "received 6 times (max_receives is 5)", Receives: 6, Disposition: "leave", CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		r := vic.get("/queues")
		r.want(t, http.StatusOK, "received 6 times (max_receives is 5)", "&lt;script&gt;alert(1)&lt;/script&gt;", "left to the queue&#39;s redrive policy", `href="/queues?queue=alarms"`)
		if strings.Contains(r.body, "<script>alert(1)") {
			t.Fatal("the body is not escaped")
		}
		vic.get("/queues?queue=intake").want(t, http.StatusOK, "Dead letters of intake", "No dead letters.")
		for _, c := range []struct{ lang, text string }{{"ja", "SQS キュー"}, {"zh", "SQS 队列"}, {"ko", "SQS 대기열"}} {
			vic.get("/queues?lang="+c.lang).want(t, http.StatusOK, c.text)
		}
		vic.get("/queues?lang=en")

		// No queues configured: the page says how, the navigation hides it.
		e2 := newEnv(t, st, "", func(h *Handler) { h.queues = &QueueInfo{Store: s, Status: sqsin.NewStatus()} })
		e2.addUser("ann", auth.RoleViewer)
		ann := e2.browser("")
		ann.login("ann")
		ann.get("/queues").want(t, http.StatusOK, "No queues are configured.", "aws.queues")
		ann.get("/").wantNot(t, `href="/queues"`)
	})
}
