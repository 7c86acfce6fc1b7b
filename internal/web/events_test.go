package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/events"
	"github.com/opsdesk/opsdesk/internal/events/payload"
	"github.com/opsdesk/opsdesk/internal/events/samples"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestEventPages: the event list with filters, an event's page with its
// matched rule and actions, replay, the rule list, creating a rule (a bad
// pattern is refused naming its path), testing a pattern against a stored
// event, deleting, and what a viewer may not do.
func TestEventPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var svc *events.Service
		e := newEnv(t, st, testConfig, func(h *Handler) {
			var err error
			svc, err = events.New(st, h.queue, events.Options{Rules: events.Builtin(nil), Now: h.now})
			if err != nil {
				t.Fatal(err)
			}
			h.events = svc
			h.panels = append(h.panels, h.eventPanels()...)
		})
		e.addUser("alice", auth.RoleAdmin)
		e.addUser("victor", auth.RoleViewer)
		ctx := context.Background()
		var refs = map[string]int64{}
		for _, name := range []string{"alarm-state-change", "s3-put", "support-case-update"} {
			body, _ := samples.Get(name)
			b, err := payload.Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			res, err := svc.Ingest(ctx, b, "api")
			if err != nil {
				t.Fatal(err)
			}
			refs[name] = res.Events[0].Ref
		}
		// The alarm's action cannot run here (no escalation): failed.
		e.exec(`UPDATE event_actions SET status = 'failed', error = 'phone escalation (alerts) is not configured in this opsdesk' WHERE rule = 'aws-cloudwatch-alarm'`)
		e.exec(`UPDATE events SET status = 'failed' WHERE detail_type = 'CloudWatch Alarm State Change'`)

		b := e.browser("")
		if r := b.get("/events"); r.status != http.StatusSeeOther {
			t.Fatalf("/events without login: %d", r.status)
		}
		b.login("alice")
		b.get("/").want(t, 200, "AWS events", "1 event whose actions failed", `href="/events?status=failed"`)
		b.get("/events").want(t, 200, "CloudWatch Alarm State Change", "Object Created", "Support Case Update", `href="/events/rules"`)
		r := b.get("/events?status=failed")
		r.want(t, 200, "CloudWatch Alarm State Change")
		r.wantNot(t, "Object Created")
		r = b.get("/events?rule=aws-support-case-update")
		r.want(t, 200, "Support Case Update")
		r.wantNot(t, "Object Created")
		b.get("/events?source=aws.nothing").want(t, 200, "No event matches these filters.")

		page := "/events/" + itoa(refs["alarm-state-change"])
		b.get(page).want(t, 200, "aws-cloudwatch-alarm", "phone escalation (alerts) is not configured", "billing-api-5xx", "Replay through current rules")
		b.get("/events/999999").want(t, 404, "There is no such event.")

		// Replay makes run 1 with fresh pending actions.
		r = b.post(page+"/replay", url.Values{"csrf": {b.csrf()}})
		if r.status != http.StatusSeeOther || !strings.Contains(r.loc, "notice=event_replayed") {
			t.Fatalf("replay: %d %s", r.status, r.loc)
		}
		b.get(r.loc).want(t, 200, "Replay 1", "The event was run through the current rules again.")
		ev, _ := svc.Get(ctx, refs["alarm-state-change"])
		if ev.Run != 1 || ev.Status != events.StatusPending {
			t.Errorf("after replay: run %d status %s", ev.Run, ev.Status)
		}

		b.get("/events/rules").want(t, 200, "aws-support-case-update", "built-in", "New rule")
		b.get("/events/rules/aws-cloudwatch-alarm").want(t, 200, "This rule is built in or comes from the config file")

		// A bad pattern is refused with the path of the bad element.
		form := url.Values{"csrf": {b.csrf()}, "new": {"1"}, "name": {"big-uploads"}, "enabled": {"1"}, "op": {"save"},
			"pattern": {`{"source": ["aws.s3"], "detail": {"s3": {"object": {"size": [{"numeric": [">", "big"]}]}}}}`},
			"actions": {`[{"type": "store"}]`}}
		r = b.post("/events/rules", form)
		r.want(t, http.StatusUnprocessableEntity, "detail.s3.object.size")
		if !regexp.MustCompile(`class="field invalid"[^>]*>\s*<label for="pattern"`).MatchString(r.body) {
			t.Error("the pattern field is not marked invalid")
		}
		// Testing a good pattern against the stored S3 event explains it.
		form.Set("pattern", `{"source": ["aws.s3"], "detail": {"s3": {"object": {"size": [{"numeric": [">", 1000]}]}}}}`)
		form.Set("op", "test")
		form.Set("event", itoa(refs["s3-put"]))
		b.post("/events/rules", form).want(t, 200, "The pattern matches this event.")
		form.Set("event", itoa(refs["alarm-state-change"]))
		b.post("/events/rules", form).want(t, 200, "The pattern does not match this event.", "aws.cloudwatch")
		// Unknown action type, then save.
		form.Set("op", "save")
		form.Set("actions", `[{"type": "page-someone"}]`)
		b.post("/events/rules", form).want(t, http.StatusUnprocessableEntity, "actions[0].type")
		form.Set("actions", `[{"type": "store"}]`)
		r = b.post("/events/rules", form)
		if r.status != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", r.status, r.body)
		}
		b.get(r.loc).want(t, 200, "big-uploads", "Rule saved")
		if ru, err := svc.Rule(ctx, "big-uploads"); err != nil || ru.Origin != events.OriginConsole {
			t.Fatalf("saved rule: %+v %v", ru, err)
		}
		// The same name again as a new rule is refused.
		b.post("/events/rules", form).want(t, http.StatusUnprocessableEntity, "exists already")

		// A viewer reads but cannot change.
		v := e.browser("")
		v.login("victor")
		v.get("/events/rules/big-uploads").want(t, 200, "Viewers can read rules but not change them.")
		if r := v.post("/events/rules/big-uploads/delete", url.Values{"csrf": {v.csrf()}}); r.status != http.StatusForbidden {
			t.Errorf("viewer delete: %d", r.status)
		}

		r = b.post("/events/rules/big-uploads/delete", url.Values{"csrf": {b.csrf()}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("delete: %d", r.status)
		}
		if _, err := svc.Rule(ctx, "big-uploads"); err == nil {
			t.Error("rule still there after delete")
		}
		if r := b.post("/events/rules/aws-support-case-update/delete", url.Values{"csrf": {b.csrf()}}); r.status != http.StatusConflict {
			t.Errorf("deleting a built-in rule: %d", r.status)
		}
	})
}
