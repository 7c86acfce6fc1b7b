package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/intake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestQuestionHandling (issue 11, point 16): a responder sets a
// question's state, assigns it and adds notes; a viewer sees them but
// cannot change them; bad input is refused in place; the list filters by
// state and assignee; every change is in the audit log as the user's.
func TestQuestionHandling(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var log *audit.Log
		e := newEnv(t, st, "", func(h *Handler) {
			log = audit.New(st, h.now, nil)
			h.audit = log
		})
		e.addUser("rin", auth.RoleResponder)
		e.addUser("vic", auth.RoleViewer)
		q1 := e.submit("AWS-101", "S3 のバケットを削除できません")
		q2 := e.submit("AWS-101", "How do I raise a service quota?")

		b := e.browser("192.0.2.10")
		b.login("rin")
		csrf := b.csrf()
		page := "/questions/" + q1.Ref
		b.get(page).want(t, 200, "Open", "Nobody", `action="/questions/`+q1.Ref+`/state"`)

		r := b.post(page+"/state", url.Values{"csrf": {csrf}, "state": {intake.StateAnswered}})
		if r.status != 303 || !strings.HasPrefix(r.loc, page+"?notice=question_state") {
			t.Fatalf("state: %d %q", r.status, r.loc)
		}
		b.get(r.loc).want(t, 200, "State changed.", "Answered", "by rin")
		b.post(page+"/assign", url.Values{"csrf": {csrf}, "assignee": {"rin"}}).want(t, 303)
		b.post(page+"/notes", url.Values{"csrf": {csrf}, "note": {"電話で回答済み <b>x</b>\nline 2"}}).want(t, 303)
		got := b.get(page)
		got.want(t, 200, "電話で回答済み &lt;b&gt;x&lt;/b&gt;", `<option value="rin" selected>rin</option>`)

		// Refused in place: unknown state, unknown user, empty and long notes.
		b.post(page+"/state", url.Values{"csrf": {csrf}, "state": {"done"}}).want(t, 422, "Choose one of the states.")
		b.post(page+"/assign", url.Values{"csrf": {csrf}, "assignee": {"nobody-here"}}).want(t, 422, `There is no user &#34;nobody-here&#34;.`)
		b.post(page+"/notes", url.Values{"csrf": {csrf}, "note": {"  "}}).want(t, 422, "The note is empty.")
		long := strings.Repeat("あ", intake.MaxNote+1)
		r = b.post(page+"/notes", url.Values{"csrf": {csrf}, "note": {long}})
		r.want(t, 422, "The note is 4001 characters; at most 4000.")
		if !strings.Contains(r.body, long) {
			t.Error("a refused note is not kept in the form")
		}
		// Without the CSRF token nothing changes.
		b.post(page+"/state", url.Values{"state": {intake.StateClosed}}).want(t, 403)
		if q, _ := e.intake.Get(context.Background(), q1.Ref); q.State != intake.StateAnswered || q.Assignee != "rin" {
			t.Fatalf("after refusals: %+v", q)
		}
		notes, _ := e.intake.Notes(context.Background(), q1.ID)
		if len(notes) != 1 || notes[0].Author != "rin" {
			t.Fatalf("notes %+v", notes)
		}

		// The list: state and assignee filters, tags on the rows.
		b.get("/questions?state=answered").want(t, 200, q1.Ref, "→ rin")
		b.get("/questions?state=answered").wantNot(t, q2.Ref)
		b.get("/questions?state=open").want(t, 200, q2.Ref)
		b.get("/questions?state=open").wantNot(t, q1.Ref)
		b.get("/questions?assignee=rin").wantNot(t, q2.Ref)
		b.get("/questions?assignee=-").want(t, 200, q2.Ref)
		b.get("/questions?assignee=-").wantNot(t, q1.Ref)

		// A viewer reads, but has no forms and gets 403 on a change.
		v := e.browser("192.0.2.11")
		v.login("vic")
		v.get(page).want(t, 200, "Answered", "電話で回答済み")
		v.get(page).wantNot(t, `action="/questions/`+q1.Ref+`/state"`, `name="note"`)
		v.post(page+"/state", url.Values{"csrf": {v.csrf()}, "state": {intake.StateClosed}}).want(t, 403)
		// An unknown question is a 404.
		b.post("/questions/Q-ZZZZZZZZ/state", url.Values{"csrf": {csrf}, "state": {intake.StateClosed}}).want(t, 404)

		es, err := log.List(context.Background(), audit.Filter{Action: "question"})
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, x := range es {
			lines = append(lines, x.Actor+"/"+x.Kind+" "+x.Action+" "+x.Target+" "+x.Detail)
			if x.Source != "192.0.2.10" && x.Source != "127.0.0.1" {
				t.Errorf("source %q", x.Source)
			}
		}
		want := []string{
			"rin/user question.note question " + q1.Ref + " 電話で回答済み <b>x</b>\nline 2",
			"rin/user question.assign question " + q1.Ref + " rin",
			"rin/user question.state question " + q1.Ref + " open → answered",
		}
		if strings.Join(lines, "|") != strings.Join(want, "|") {
			t.Errorf("audit:\n%q\nwant\n%q", lines, want)
		}
	})
}

// TestAlertsSearchBox (issue 11, point 16): the Alerts page searches, keeps
// the search in its tabs, and says when a search cannot be used.
func TestAlertsSearchBox(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAlertsEnv(t, st, "")
		a.addUser("ops", auth.RoleAdmin)
		s1 := firing("web", "app-7")
		s1.Summary = "ディスク使用率 95%"
		s2 := firing("web", "db-1")
		s2.Labels = map[string]string{"env": "prod"}
		a.ingest("test", s1, s2)
		b := a.browser("192.0.2.10")
		b.login("ops")
		r := b.get("/alerts?q=" + url.QueryEscape("ディスク"))
		r.want(t, 200, "app-7", `value="ディスク"`, "q=%E3%83%87%E3%82%A3%E3%82%B9%E3%82%AF")
		r.wantNot(t, "db-1")
		r = b.get("/alerts?q=" + url.QueryEscape("label:env=prod"))
		r.want(t, 200, "db-1")
		r.wantNot(t, "app-7")
		r = b.get("/alerts?q=" + url.QueryEscape("host:"))
		r.want(t, 200, "This search cannot be used", "host: needs a value", "app-7", "db-1", `aria-invalid="true"`)
	})
}
