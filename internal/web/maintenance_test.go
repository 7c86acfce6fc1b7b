package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestMaintenancePages: the empty page explains windows in every language;
// a writer's form refuses each bad field by name and keeps what was typed;
// a valid window is listed as in force with its scope, and an alert of its
// system is held back, counted and linked from the alert page; an upcoming
// weekly window is listed in its zone; a viewer sees the list but no form
// and cannot create or end; the writer ends the window now.
func TestMaintenancePages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAlertsEnv(t, st, "")
		ctx := context.Background()
		if err := a.svc.SaveSystem(ctx, alerts.System{Name: "billing", Rounds: 1, Contacts: []alerts.Contact{{Name: "Sato", Phone: "+819011110001"}}},
			"alice", alerts.OriginConsole, nil); err != nil {
			t.Fatal(err)
		}
		a.addUser("rita", auth.RoleResponder)
		a.addUser("vic", auth.RoleViewer)
		rita := a.browser("")
		rita.login("rita")
		rita.get("/maintenance").want(t, http.StatusOK, "No maintenance windows yet.", "maintenance billing 2h deploy v42",
			`href="/alerts" aria-current="page"`, `action="/maintenance"`, `<option value="billing">billing</option>`)
		for _, c := range []struct{ lang, text string }{
			{"ja", "メンテナンス時間帯はまだありません。"}, {"zh", "尚无维护窗口。"}, {"ko", "아직 점검 시간대가 없습니다."},
		} {
			rita.get("/maintenance?lang="+c.lang).want(t, http.StatusOK, c.text)
		}
		rita.get("/maintenance?lang=en")

		valid := func() url.Values {
			return url.Values{"csrf": {rita.csrf()}, "reason": {"deploy v42"}, "system": {"billing"}, "severities": {"critical", "warning"},
				"matchers": {"env=prod\r\njob=~db.*\r\n"}, "start_mode": {"now"}, "duration": {"2h"}, "time_zone": {"Asia/Tokyo"}, "escalate": {"1"}}
		}
		for _, c := range []struct {
			name, key, value string
			field, text      string
		}{
			{"no reason", "reason", " ", "reason", "Reason: is required"},
			{"unknown system", "system", "nope", "system", "System: there is no system named nope"},
			{"bad severity", "severities", "urgent", "severities", "Severities: &#34;urgent&#34; is not a severity"},
			{"bad matcher", "matchers", "env=prod\njob", "matchers", "Label matchers: line 2: &#34;job&#34; is not a matcher"},
			{"bad regexp", "matchers", "job=~(db", "matchers", "Label matchers: line 1: &#34;job=~(db&#34;: the regular expression"},
			{"bad zone", "time_zone", "Mars/Olympus", "time_zone", "Time zone: &#34;Mars/Olympus&#34; is not an IANA time zone"},
			{"bad duration", "duration", "soon", "duration", "Duration: &#34;soon&#34; is not a duration"},
			{"too long", "duration", "200h", "duration", "Duration: a window lasts at most 7 days"},
			{"bad start", "start_mode", "at", "start_at", "Start: &#34;&#34; is not a date and time"},
			{"duration and end", "end_at", "2001-01-01T00:00", "duration", "give a duration or an end, not both"},
		} {
			f := valid()
			f.Set(c.key, c.value)
			r := rita.post("/maintenance", f)
			r.want(t, http.StatusUnprocessableEntity, c.text)
			if c.key != "reason" {
				r.want(t, http.StatusUnprocessableEntity, `value="deploy v42"`)
			}
			if c.key != "reason" && c.key != "system" && c.key != "severities" {
				r.want(t, http.StatusUnprocessableEntity, `aria-invalid="true" aria-describedby="maintenance-error"`)
			}
			_ = c.field
		}
		// An end before the start, with no duration.
		f := valid()
		f.Set("duration", "")
		f.Set("end_at", "2001-01-01T00:00")
		rita.post("/maintenance", f).want(t, http.StatusUnprocessableEntity, "Duration: must be after start")
		f.Set("end_at", "")
		rita.post("/maintenance", f).want(t, http.StatusUnprocessableEntity, "Duration: give a duration (2h) or an end")
		if ws, _ := a.svc.Windows(ctx, true); len(ws) != 0 {
			t.Fatalf("refused forms created %d windows", len(ws))
		}

		r := rita.post("/maintenance", valid())
		if r.status != http.StatusSeeOther {
			t.Fatalf("create: %d\n%s", r.status, r.body)
		}
		ws, err := a.svc.Windows(ctx, true)
		if err != nil || len(ws) != 1 {
			t.Fatalf("windows: %d %v", len(ws), err)
		}
		w := ws[0]
		if w.Name != "deploy v42" || w.System != "billing" || len(w.Matchers) != 2 || w.Matchers[1] != "job=~db.*" || !w.EscalateAtEnd ||
			w.CreatedBy != "rita" || w.TimeZone != "Asia/Tokyo" || w.End.Sub(w.Start) != 2*time.Hour || !w.Start.Equal(a.clock.Now()) {
			t.Fatalf("window %+v", w)
		}
		if want := fmt.Sprintf("/maintenance?done=created&id=%d#window-%d", w.ID, w.ID); r.loc != want {
			t.Fatalf("redirect %q, want %q", r.loc, want)
		}
		jst, _ := time.LoadLocation("Asia/Tokyo")
		rita.get(r.loc).want(t, http.StatusOK, fmt.Sprintf("Maintenance window #%d created.", w.ID), "In force now",
			"billing · critical, warning · env=prod, job=~db.*", w.End.In(jst).Format("2006-01-02 15:04 JST"),
			"escalates at the end", "by rita", "0 alerts held back", fmt.Sprintf(`action="/maintenance/%d/end"`, w.ID))

		// An alert it covers is held back, counted, and its page links the window.
		s := firing("billing", "db1")
		s.Severity, s.Labels = "critical", map[string]string{"env": "prod", "job": "db-primary"}
		id := a.ingest("test", s)[0].AlertID
		rita.get("/maintenance").want(t, http.StatusOK, "1 alerts held back")
		rita.get(fmt.Sprintf("/alerts/%d", id)).want(t, http.StatusOK, fmt.Sprintf(`href="/maintenance#window-%d"`, w.ID),
			fmt.Sprintf("Held by maintenance window %d until %s", w.ID, clockText(w.End, time.UTC)),
			"Arrived during maintenance window “deploy v42”: nobody is notified.", "It escalates at the window&#39;s end")
		rita.get(fmt.Sprintf("/alerts/%d?lang=zh", id)).want(t, http.StatusOK, fmt.Sprintf("被维护窗口 %d 拦截", w.ID))

		// A weekly window starting tomorrow, in its zone.
		f = valid()
		start := a.clock.Now().In(jst).Add(24 * time.Hour).Truncate(time.Hour)
		f.Set("reason", "weekly batch")
		f.Set("start_mode", "at")
		f.Set("start_at", start.Format("2006-01-02T15:04"))
		f.Set("duration", "")
		f.Set("end_at", start.Add(90*time.Minute).Format("2006-01-02T15:04"))
		f.Set("weekly", "1")
		f.Del("matchers")
		f.Del("severities")
		if r := rita.post("/maintenance", f); r.status != http.StatusSeeOther {
			t.Fatalf("weekly: %d\n%s", r.status, r.body)
		}
		rita.get("/maintenance?lang=en").want(t, http.StatusOK, "Upcoming",
			fmt.Sprintf("every %s %s–%s (1h30m, Asia/Tokyo)", start.Weekday(), start.Format("15:04"), start.Add(90*time.Minute).Format("15:04")))

		vic := a.browser("")
		vic.login("vic")
		vic.get("/maintenance?lang=ja").want(t, http.StatusOK, "deploy v42", "実施中", "保留したアラート 1 件")
		vic.get("/maintenance").wantNot(t, `action="/maintenance"`, "/end")
		if r := vic.post("/maintenance", url.Values{"csrf": {vic.csrf()}, "reason": {"x"}, "duration": {"1h"}}); r.status != http.StatusForbidden {
			t.Fatalf("viewer create: %d", r.status)
		}
		if r := vic.post(fmt.Sprintf("/maintenance/%d/end", w.ID), url.Values{"csrf": {vic.csrf()}}); r.status != http.StatusForbidden {
			t.Fatalf("viewer end: %d", r.status)
		}

		r = rita.post(fmt.Sprintf("/maintenance/%d/end", w.ID), url.Values{"csrf": {rita.csrf()}})
		if r.status != http.StatusSeeOther || r.loc != fmt.Sprintf("/maintenance?done=ended&id=%d", w.ID) {
			t.Fatalf("end: %d %s", r.status, r.loc)
		}
		rita.get(r.loc).want(t, http.StatusOK, fmt.Sprintf("Maintenance window #%d ended.", w.ID), "Past", "ended by hand at")
		if got, err := a.svc.Window(ctx, w.ID); err != nil || got.EndedAt.IsZero() {
			t.Fatalf("ended window %+v %v", got, err)
		}
		rita.post(fmt.Sprintf("/maintenance/%d/end", w.ID), url.Values{"csrf": {rita.csrf()}}).want(t, http.StatusNotFound)
		rita.post("/maintenance/x/end", url.Values{"csrf": {rita.csrf()}}).want(t, http.StatusNotFound)
	})
}
