package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestAlertNotesPage (issue 13): a writer adds notes to an alert and
// assigns it; the notes and the assignment are on the page and its
// timeline in every language; bad input is refused in place; a viewer
// reads but has no forms and is refused a change.
func TestAlertNotesPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAlertsEnv(t, st, testConfig)
		a.addUser("rin", auth.RoleResponder)
		a.addUser("vic", auth.RoleViewer)
		ctx := context.Background()
		id := a.ingest("zabbix", firing("XYZ", "db1"))[0].AlertID
		page := "/alerts/" + itoa(id)

		b := a.browser("192.0.2.10")
		b.login("rin")
		csrf := b.csrf()
		b.get(page+"?lang=en").want(t, 200, "No notes yet.", `<option value="" selected>Nobody</option>`, `action="`+page+`/notes"`)

		r := b.post(page+"/notes", url.Values{"csrf": {csrf}, "note": {"レプリカを再起動 <b>x</b>\nline 2"}})
		if r.status != 303 || r.loc != page+"?done=noted#notes" {
			t.Fatalf("note: %d %q", r.status, r.loc)
		}
		r = b.post(page+"/assign", url.Values{"csrf": {csrf}, "assignee": {"rin"}})
		if r.status != 303 || r.loc != page+"?done=assigned#notes" {
			t.Fatalf("assign: %d %q", r.status, r.loc)
		}
		b.get(page+"?done=assigned&lang=en").want(t, 200, "Assignee changed.", "<strong>rin</strong>",
			`<option value="rin" selected>rin</option>`, "レプリカを再起動 &lt;b&gt;x&lt;/b&gt;", `class="row kind-note"`, `class="row kind-assign"`)
		b.get(page+"?lang=ja").want(t, 200, "担当者を変更", "メモを追加")
		b.get(page+"?lang=zh").want(t, 200, "更改负责人", "添加备注")
		b.get(page+"?lang=ko").want(t, 200, "담당자 변경", "메모 추가")

		// Refused in place: unknown user, empty and long notes. (The
		// console's body limit, 64 KiB, holds 10,001 ASCII characters but
		// not as many kana, which the form sends as 9 bytes each.)
		b.get(page+"?lang=en").want(t, 200)
		b.post(page+"/assign", url.Values{"csrf": {csrf}, "assignee": {"mallory"}}).want(t, 422, `There is no user &#34;mallory&#34;.`)
		b.post(page+"/notes", url.Values{"csrf": {csrf}, "note": {"  "}}).want(t, 422, "The note is empty.")
		long := strings.Repeat("x", alerts.MaxNote+1)
		r = b.post(page+"/notes", url.Values{"csrf": {csrf}, "note": {long}})
		r.want(t, 422, "The note is 10001 characters; at most 10000.")
		if !strings.Contains(r.body, long) {
			t.Error("a refused note is not kept in the form")
		}
		b.post(page+"/notes", url.Values{"note": {"no csrf"}}).want(t, 403)
		b.post("/alerts/999999/notes", url.Values{"csrf": {csrf}, "note": {"x"}}).want(t, 404)
		if who, _ := a.svc.Assignee(ctx, id); who != "rin" {
			t.Fatalf("assignee %q after refusals", who)
		}
		if notes, _ := a.svc.Notes(ctx, id); len(notes) != 1 || notes[0].Author != "rin" || notes[0].Body != "レプリカを再起動 <b>x</b>\nline 2" {
			t.Fatalf("notes %+v", notes)
		}

		// Unassign: the timeline says nobody.
		b.post(page+"/assign", url.Values{"csrf": {csrf}, "assignee": {""}}).want(t, 303)
		b.get(page+"?lang=en").want(t, 200, `<option value="" selected>Nobody</option>`)

		// A viewer reads, but has no forms and gets 403 on a change.
		v := a.browser("192.0.2.11")
		v.login("vic")
		got := v.get(page + "?lang=en")
		got.want(t, 200, "レプリカを再起動")
		got.wantNot(t, `action="`+page+`/notes"`, `action="`+page+`/assign"`)
		v.post(page+"/notes", url.Values{"csrf": {v.csrf()}, "note": {"x"}}).want(t, 403)
		if notes, _ := a.svc.Notes(ctx, id); len(notes) != 1 {
			t.Fatalf("a viewer's note was stored: %+v", notes)
		}
	})
}
