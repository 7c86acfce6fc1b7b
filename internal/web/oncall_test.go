package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/oncall"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// oncallEnv is the console with the on-call service on the same store and clock; the clock
// is Tuesday 2026-02-24 12:00 in Tokyo.
func oncallEnv(t *testing.T, st *store.Store) (*env, *oncall.Service) {
	t.Helper()
	var svc *oncall.Service
	e := newEnv(t, st, "base_url: http://desk.example:8080\n", func(h *Handler) {
		svc = oncall.New(st, oncall.Options{Now: h.now})
		h.oncall = svc
	})
	e.clock.mu.Lock()
	e.clock.t = time.Date(2026, 2, 24, 3, 0, 0, 0, time.UTC)
	e.clock.mu.Unlock()
	return e, svc
}

func tokyoRotation(t *testing.T) *oncall.Schedule {
	tokyo := mustZone(t, "Asia/Tokyo")
	return &oncall.Schedule{Name: "platform", TimeZone: tokyo, Layers: []oncall.Layer{{
		Name: "weekly", Participants: []string{"sato", "suzuki", "lee"}, Shift: oncall.ShiftLength{Unit: oncall.Weeks, Count: 1},
		HandOff: time.Date(2026, 1, 5, 9, 0, 0, 0, tokyo)}}}
}

// TestOnCallPages: the list says who is on call now and next; the schedule's calendar shows
// two weeks of bars in Tokyo time; "cover this shift" adds an override for the shift's span
// covering its person, after which the calendar and the list show the cover; the override
// is deleted again; viewers read but cannot write; an empty list says how to add one.
func TestOnCallPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, svc := oncallEnv(t, st)
		e.addUser("alice", auth.RoleAdmin)
		e.addUser("rita", auth.RoleResponder)
		e.addUser("vic", auth.RoleViewer)
		admin := e.browser("")
		admin.login("alice")
		admin.get("/oncall").want(t, http.StatusOK, "No on-call schedules yet.", "oncall:", `href="/oncall"`, `action="/oncall"`)
		admin.get("/oncall?lang=ja").want(t, http.StatusOK, "当番スケジュールはまだありません。", "当番")

		if err := svc.SaveSchedule(context.Background(), tokyoRotation(t), "alice"); err != nil {
			t.Fatal(err)
		}
		// Week 7 from 2026-01-05 is suzuki's; lee is next from Monday 03-02 09:00 JST.
		admin.get("/oncall").want(t, http.StatusOK, `<strong class="oncall-who">suzuki</strong>`, "Mon 03-02 09:00 JST", "lee")

		rita := e.browser("")
		rita.login("rita")
		r := rita.get("/oncall/platform")
		r.want(t, http.StatusOK, "Tue 02-24", "Mon 03-09", `id="now-who">suzuki<`, "Times in Asia/Tokyo.",
			// Tuesday from 00:00 to the end of the day: suzuki's bar fills the row.
			`class="seg p1 s-1 e-97"`,
			// Monday 03-02: suzuki until 09:00 (quarter 36), then lee.
			`class="seg p1 s-1 e-37"`, `class="seg p2 s-37 e-97"`,
			"Cover this shift", `name="covers" value="suzuki"`)
		r.wantNot(t, "Save rotation") // responders do not edit rotations

		// Rita has kim cover the shift in progress (suzuki's) with its "cover this shift" form.
		form := firstCoverForm(t, r.body)
		if form.Get("covers") != "suzuki" || form.Get("start") != "2026-02-24T03:00:00Z" || form.Get("end") != "2026-03-02T00:00:00Z" {
			t.Fatalf("cover form: %v", form)
		}
		form.Set("who", "kim")
		form.Set("csrf", rita.csrf())
		res := rita.post("/oncall/platform/overrides", form)
		if res.status != http.StatusSeeOther || res.loc != "/oncall/platform?done=override_added" {
			t.Fatalf("cover: %d %s\n%s", res.status, res.loc, res.body)
		}
		if who, _ := svc.OnCallAt(context.Background(), "platform", time.Date(2026, 2, 26, 0, 0, 0, 0, time.UTC)); who != "kim" {
			t.Fatalf("after the cover: %q", who)
		}
		r = rita.get(res.loc)
		r.want(t, http.StatusOK, "The override has been added.", `id="now-who">kim<`, "seg p3 s-1 e-97 ov", "Created by", "<td data-label=\"Created by\">rita</td>")
		rita.get("/oncall").want(t, http.StatusOK, `<strong class="oncall-who">kim</strong>`)

		// A viewer reads the calendar but may not cover.
		vic := e.browser("")
		vic.login("vic")
		vr := vic.get("/oncall/platform")
		vr.want(t, http.StatusOK, `id="now-who">kim<`)
		vr.wantNot(t, "Cover this shift")
		vf := url.Values{"csrf": {vic.csrf()}, "who": {"vic"}, "start": {"2026-02-25 09:00"}, "end": {"2026-02-25 10:00"}}
		if res := vic.post("/oncall/platform/overrides", vf); res.status != http.StatusForbidden {
			t.Fatalf("viewer override: %d", res.status)
		}

		// Delete the override; the calendar goes back to suzuki.
		st2, _ := svc.Stored(context.Background(), "platform")
		id := st2.Overrides[0].ID
		res = rita.post("/oncall/platform/overrides/"+itoa(id)+"/delete", url.Values{"csrf": {rita.csrf()}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("delete override: %d\n%s", res.status, res.body)
		}
		rita.get("/oncall/platform").want(t, http.StatusOK, `id="now-who">suzuki<`, "No overrides.")

		// A bad override names the field.
		bad := url.Values{"csrf": {rita.csrf()}, "who": {"kim"}, "start": {"2026-02-25 09:00"}, "end": {"tomorrow"}}
		rita.post("/oncall/platform/overrides", bad).want(t, http.StatusBadRequest, "end: ")
	})
}

var coverFormRE = regexp.MustCompile(`(?s)<form method="post" action="/oncall/platform/overrides" class="cover-form">(.*?)</form>`)
var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`)

func firstCoverForm(t *testing.T, body string) url.Values {
	t.Helper()
	m := coverFormRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no cover form on the page")
	}
	v := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(m[1], -1) {
		v.Set(h[1], html.UnescapeString(h[2]))
	}
	return v
}

// TestOnCallEditor: admins create a schedule and edit its layers in the rotation editor;
// errors name the field; a feed URL is shown once, serves nothing here (the app serves it)
// and is revoked.
func TestOnCallEditor(t *testing.T) {
	t.Parallel()
	st := storetest.New(t, store.SQLite)
	e, svc := oncallEnv(t, st)
	e.addUser("alice", auth.RoleAdmin)
	e.addUser("rita", auth.RoleResponder)
	b := e.browser("")
	b.login("alice")
	csrf := b.csrf()
	res := b.post("/oncall", url.Values{"csrf": {csrf}, "name": {"seoul"}, "time_zone": {"Asia/Seoul"}, "participants": {"kim\npark"},
		"shift": {"1d"}, "hand_off": {"2026-02-01 09:00"}})
	if res.status != http.StatusSeeOther || res.loc != "/oncall/seoul?done=created" {
		t.Fatalf("create: %d %s\n%s", res.status, res.loc, res.body)
	}
	// 2026-02-24 12:00 KST: day 23 since 02-01, park's.
	b.get(res.loc).want(t, http.StatusOK, `id="now-who">park<`, "Wed 02-25 09:00 KST", `name="participants_0"`, "kim\npark", "Save rotation")

	// Add a business-hours layer above it and rename nothing else.
	form := url.Values{"csrf": {csrf}, "layers": {"2"}, "time_zone": {"Asia/Seoul"},
		"name_0": {"rotation"}, "participants_0": {"kim\npark"}, "shift_0": {"1d"}, "hand_off_0": {"2026-02-01 09:00"}, "priority_0": {"0"},
		"name_1": {"days"}, "participants_1": {"lee"}, "shift_1": {"1w"}, "hand_off_1": {"2026-02-02 00:00"}, "priority_1": {"5"},
		"restrictions_1": {"mon,tue,wed,thu,fri 10:00-17:00"}}
	res = b.post("/oncall/seoul/layers", form)
	if res.status != http.StatusSeeOther {
		t.Fatalf("save layers: %d\n%s", res.status, res.body)
	}
	if who, _ := svc.OnCallAt(context.Background(), "seoul", e.clock.Now()); who != "lee" {
		t.Fatalf("with the day layer: %q", who)
	}
	// Errors name the field; the form keeps what was typed.
	form.Set("shift_1", "1m")
	b.post("/oncall/seoul/layers", form).want(t, http.StatusBadRequest, "layers[1].shift", `value="1m"`)
	form.Set("shift_1", "1w")
	form.Set("restrictions_1", "weekdays")
	b.post("/oncall/seoul/layers", form).want(t, http.StatusBadRequest, "layers[1].restrictions")
	form.Set("restrictions_1", "mon 18:00-10:00")
	b.post("/oncall/seoul/layers", form).want(t, http.StatusBadRequest, "layers[1].restrictions[0].to")
	// Responders may not edit rotations.
	rita := e.browser("")
	rita.login("rita")
	form.Set("csrf", rita.csrf())
	if r := rita.post("/oncall/seoul/layers", form); r.status != http.StatusForbidden {
		t.Fatalf("responder edits a rotation: %d", r.status)
	}

	// A feed URL, shown once.
	r := b.post("/oncall/seoul/feeds", url.Values{"csrf": {csrf}})
	r.want(t, http.StatusOK, "http://desk.example:8080/oncall/feeds/", "It is shown only this once")
	tok := regexp.MustCompile(`/oncall/feeds/([A-Za-z0-9_-]+)\.ics`).FindStringSubmatch(r.body)
	if tok == nil {
		t.Fatal("no feed URL")
	}
	if f, err := svc.FeedByToken(context.Background(), tok[1]); err != nil || f.Schedule != "seoul" {
		t.Fatalf("feed: %+v %v", f, err)
	}
	page := b.get("/oncall/seoul")
	page.wantNot(t, tok[1])
	feeds, _ := svc.Feeds(context.Background(), oncall.FeedFilter{Schedule: "seoul"})
	res = b.post("/oncall/feeds/"+itoa(feeds[0].ID)+"/revoke", url.Values{"csrf": {csrf}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.loc, "/oncall/seoul?done=feed_revoked") {
		t.Fatalf("revoke: %d %s", res.status, res.loc)
	}
	if _, err := svc.FeedByToken(context.Background(), tok[1]); err == nil {
		t.Fatal("revoked feed still answers")
	}
	// My own feed, from the list page.
	b.post("/oncall/feeds", url.Values{"csrf": {csrf}}).want(t, http.StatusOK, "Your new feed URL", "http://desk.example:8080/oncall/feeds/")
	if mine, _ := svc.Feeds(context.Background(), oncall.FeedFilter{User: "alice"}); len(mine) != 1 {
		t.Fatalf("my feeds: %d", len(mine))
	}

	// Delete the schedule.
	res = b.post("/oncall/seoul/delete", url.Values{"csrf": {csrf}})
	if res.status != http.StatusSeeOther || res.loc != "/oncall?done=deleted" {
		t.Fatalf("delete: %d %s", res.status, res.loc)
	}
	b.get("/oncall/seoul").want(t, http.StatusNotFound)
}
