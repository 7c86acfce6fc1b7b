package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/events"
	"github.com/opsdesk/opsdesk/internal/events/payload"
	"github.com/opsdesk/opsdesk/internal/events/samples"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestAuditConsole: what the event and case pages change is recorded as
// the user's (rule create, enable, disable, update, test, delete; event
// replay; case sync), and /audit shows it to admins only, newest first,
// with its filters, paging and empty states.
func TestAuditConsole(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var log *audit.Log
		var svc *events.Service
		e := newEnv(t, st, casesConfig(t.TempDir()), func(h *Handler) {
			var err error
			svc, err = events.New(st, h.queue, events.Options{Rules: events.Builtin(nil), Now: h.now})
			if err != nil {
				t.Fatal(err)
			}
			h.events = svc
			log = audit.New(st, h.now, nil)
			h.audit = log
			h.pageSize = 3
		})
		e.addUser("alice", auth.RoleAdmin)
		// rita is the admin whose changes are recorded (rules are an
		// admin's to edit); ron the responder who may not read the log.
		e.addUser("rita", auth.RoleAdmin)
		e.addUser("ron", auth.RoleResponder)
		ctx := context.Background()
		body, _ := samples.Get("s3-put")
		batch, err := payload.Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.Ingest(ctx, batch, "api")
		if err != nil {
			t.Fatal(err)
		}
		ref := res.Events[0].Ref

		admin := e.browser("203.0.113.9")
		admin.login("alice")
		// Nothing recorded yet: the empty state, and the nav item.
		admin.get("/audit").want(t, http.StatusOK, "Nothing has been recorded yet.", `href="/audit" aria-current="page"`)

		ron := e.browser("")
		ron.login("ron")
		// A responder has no nav item and may not open the page.
		ron.get("/").wantNot(t, `href="/audit"`)
		ron.get("/audit").want(t, http.StatusForbidden)
		rita := e.browser("")
		rita.login("rita")

		tok := rita.csrf()
		post := func(b *browser, path string, form url.Values, want int) {
			t.Helper()
			form.Set("csrf", tok)
			if r := b.post(path, form); r.status != want {
				t.Fatalf("POST %s: %d, want %d\n%s", path, r.status, want, r.body)
			}
		}
		rule := url.Values{"new": {"1"}, "name": {"big-uploads"}, "enabled": {"1"}, "op": {"save"},
			"pattern": {`{"source": ["aws.s3"]}`}, "actions": {`[{"type": "store"}]`}}
		post(rita, "/events/rules", rule, http.StatusSeeOther)
		rule.Del("new")
		rule.Del("enabled")
		post(rita, "/events/rules", rule, http.StatusSeeOther) // only the switch moved
		rule.Set("enabled", "1")
		post(rita, "/events/rules", rule, http.StatusSeeOther)
		rule.Set("pattern", `{"source": ["aws.s3"], "detail-type": ["Object Created"]}`)
		post(rita, "/events/rules", rule, http.StatusSeeOther)
		rule.Set("op", "test")
		rule.Set("event", itoa(ref))
		post(rita, "/events/rules", rule, http.StatusOK)
		post(rita, "/events/"+itoa(ref)+"/replay", url.Values{}, http.StatusSeeOther)
		post(rita, "/events/rules/big-uploads/delete", url.Values{}, http.StatusSeeOther)
		post(rita, "/cases/sync", url.Values{}, http.StatusSeeOther)
		// A refused change records nothing.
		rule.Set("op", "save")
		rule.Set("actions", `[{"type": "page-someone"}]`)
		post(rita, "/events/rules", rule, http.StatusUnprocessableEntity)

		es, err := log.List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range es {
			if x.Actor != "rita" || x.Kind != audit.KindUser || x.Source == "" {
				t.Errorf("entry %+v: not rita's", x)
			}
			got = append(got, x.Action+" "+x.Target+" "+x.Detail)
		}
		want := []string{
			"case.sync all accounts prod",
			"rule.delete rule big-uploads ",
			"event.replay event #" + itoa(ref) + " ",
			"rule.test rule big-uploads against event #" + itoa(ref) + ": matched true",
			"rule.update rule big-uploads enabled",
			"rule.enable rule big-uploads enabled",
			"rule.disable rule big-uploads disabled",
			"rule.create rule big-uploads enabled",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if err := log.RecordAs(ctx, audit.Actor{Name: "zabbix", Kind: audit.KindToken, Source: "198.51.100.7"}, "alert.resolve", "alert #4 (web)", "as sato: <b>disk</b>"); err != nil {
			t.Fatal(err)
		}

		// The page: newest first, three a page, older ones by ?before=.
		r := admin.get("/audit")
		r.want(t, http.StatusOK, "<code>alert.resolve</code>", "zabbix", "API token", "198.51.100.7", "as sato: &lt;b&gt;disk&lt;/b&gt;", "<code>case.sync</code>", "<code>rule.delete</code>", `rel="next"`)
		r.wantNot(t, "<b>disk</b>", "<code>event.replay</code>")
		if i, j := strings.Index(r.body, "<code>alert.resolve</code>"), strings.Index(r.body, "<code>case.sync</code>"); i < 0 || j < i {
			t.Error("the page is not newest first")
		}
		next := es[1].ID // rule.delete: the last row of the first page
		r = admin.get("/audit?before=" + itoa(next))
		r.want(t, http.StatusOK, "<code>event.replay</code>", "<code>rule.test</code>", "<code>rule.update</code>", `href="/audit"`)
		r.wantNot(t, "<code>case.sync</code>", "<code>alert.resolve</code>")

		// Filters: kind, action (itself or under it), actor, words, days.
		r = admin.get("/audit?kind=token")
		r.want(t, http.StatusOK, "<code>alert.resolve</code>")
		r.wantNot(t, "<code>case.sync</code>")
		r = admin.get("/audit?action=rule.test")
		r.want(t, http.StatusOK, "matched true")
		r.wantNot(t, "rule.create</code>", "alert.resolve</code>")
		r = admin.get("/audit?actor=rita&q=replay")
		r.want(t, http.StatusOK, "No entry matches these filters.")
		r = admin.get("/audit?actor=rita&q=against")
		r.want(t, http.StatusOK, "<code>rule.test</code>")
		r.wantNot(t, "<code>rule.delete</code>")
		today := e.clock.Now().UTC().Format("2006-01-02")
		tomorrow := e.clock.Now().UTC().Add(24 * time.Hour).Format("2006-01-02")
		admin.get("/audit?kind=token&from="+today+"&to="+today).want(t, http.StatusOK, "<code>alert.resolve</code>")
		admin.get("/audit?from="+tomorrow).want(t, http.StatusOK, "No entry matches these filters.")
		admin.get("/audit?from=yesterday").want(t, http.StatusOK, "yesterday")
		// The action list holds what was recorded.
		admin.get("/audit").want(t, http.StatusOK, `<option value="rule.disable"`, `<option value="case.sync"`)
		// In Japanese.
		admin.get("/audit?lang=ja").want(t, http.StatusOK, "監査ログ", "実行者")
	})
}
