package alerts_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestMaintenanceWindows: an alert inside a window that matches it calls
// nobody, then or later; with escalate_at_end, one still open when the
// window ends is called then; an alert the matchers leave out is called at
// once; a weekly window covers its later weeks, in local time.
func TestMaintenanceWindows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		e.system("XYZ", 1, nil, alerts.Contact{Name: "Sato", Phone: sato})
		e.cn.SetDefault(fake.NoAnswer().Ring(5 * time.Second))
		now := e.clk.Now()
		mk := func(w alerts.Window) {
			t.Helper()
			if _, err := e.svc.CreateWindow(e.ctx, w, "test"); err != nil {
				t.Fatal(err)
			}
		}
		mk(alerts.Window{Name: "db upgrade", System: "XYZ", Matchers: []string{"env=prod", `job=~"db.*"`}, Start: now.Add(-time.Minute), End: now.Add(time.Hour)})
		mk(alerts.Window{Name: "web deploy", System: "XYZ", Matchers: []string{"job=web"}, Start: now.Add(-time.Minute), End: now.Add(30 * time.Minute), EscalateAtEnd: true})
		fire := func(key string, labels map[string]string) int64 {
			s := firing("XYZ", key)
			s.Labels = labels
			return e.ingest(s)[0].AlertID
		}
		quiet := fire("db1", map[string]string{"env": "prod", "job": "db-primary"})
		later := fire("web1", map[string]string{"job": "web"})
		loud := fire("db2", map[string]string{"env": "dev", "job": "db-primary"})
		e.run()
		e.wantNumbers(sato) // the dev alert only
		if c := e.calls(loud); len(c) != 1 {
			t.Fatalf("the alert outside the windows: %d calls", len(c))
		}
		for _, id := range []int64{quiet, later} {
			if tl := e.timeline(id); !hasEntry(tl, "maintenance:maintenance window #") {
				t.Errorf("alert %d timeline %v", id, tl)
			}
		}
		// Each window counts the alert it held back; the timeline names it.
		all, err := e.svc.Windows(e.ctx, true)
		if err != nil || len(all) != 2 || all[0].Held != 1 || all[1].Held != 1 {
			t.Fatalf("held counts: %v", err)
		}
		if tl := e.timeline(quiet); !slices.Contains(tl, "maintenance:"+alerts.WindowActor(all[1].ID)) {
			t.Errorf("the db alert's timeline %v does not name window %d", tl, all[1].ID)
		}
		if id, ok := alerts.ParseWindowActor(alerts.WindowActor(all[1].ID)); !ok || id != all[1].ID {
			t.Errorf("ParseWindowActor: %d %v", id, ok)
		}
		if st, _, end := all[0].State(e.clk.Now()); st != alerts.WindowActive || !end.Equal(all[0].End) {
			t.Errorf("state of the web window: %s until %v", st, end)
		}
		e.advance(29 * time.Minute)
		e.wantNumbers(sato)
		e.advance(2 * time.Minute) // the web window ended: its alert is called
		e.wantNumbers(sato, sato)
		if c := e.calls(later); len(c) != 1 {
			t.Fatalf("the escalate-at-end alert: %d calls", len(c))
		}
		e.advance(2 * time.Hour)
		e.wantNumbers(sato, sato) // the db window's alert never
		if e.escalating(quiet) {
			t.Error("the db window's alert escalates")
		}

		// Weekly: Tuesdays 02:00-04:00 in Tokyo, from three weeks ago.
		start := time.Date(2025, 2, 18, 2, 0, 0, 0, tokyo)
		mk(alerts.Window{Name: "weekly batch", System: "XYZ", Start: start, End: start.Add(2 * time.Hour), Weekly: true, TimeZone: "Asia/Tokyo"})
		ws, err := e.svc.Windows(e.ctx, false)
		if err != nil || len(ws) != 1 || !ws[0].Weekly { // the other two are over
			t.Fatalf("windows %d %v", len(ws), err)
		}
		// The clock is Friday 2025-03-14 15:xx in Tokyo: move to Tuesday 03-18 03:00.
		e.clk.Advance(time.Date(2025, 3, 18, 3, 0, 0, 0, tokyo).Sub(e.clk.Now()))
		id := fire("nightly", nil)
		e.run()
		e.wantNumbers(sato, sato)
		if tl := e.timeline(id); !hasEntry(tl, "maintenance:maintenance window #") {
			t.Errorf("weekly window: timeline %v", tl)
		}
		// Ending it for good: the next alert is called.
		if err := e.svc.EndWindow(e.ctx, ws[0].ID, "test"); err != nil {
			t.Fatal(err)
		}
		fire("nightly2", nil)
		e.run()
		e.wantNumbers(sato, sato, sato)
	})
}

// TestWindowState: active, upcoming (also a weekly window between two
// weeks) and past (over, or ended by hand).
func TestWindowState(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 3, 3, 2, 0, 0, 0, tokyo) // a Tuesday, 02:00 JST
	for _, c := range []struct {
		name       string
		w          alerts.Window
		at         time.Time
		state      string
		start, end time.Time
	}{
		{"in force", alerts.Window{Start: base, End: base.Add(2 * time.Hour)}, base.Add(time.Hour), alerts.WindowActive, base, base.Add(2 * time.Hour)},
		{"to come", alerts.Window{Start: base, End: base.Add(2 * time.Hour)}, base.Add(-time.Hour), alerts.WindowUpcoming, base, base.Add(2 * time.Hour)},
		{"over", alerts.Window{Start: base, End: base.Add(2 * time.Hour)}, base.Add(3 * time.Hour), alerts.WindowPast, base, base.Add(2 * time.Hour)},
		{"ended by hand", alerts.Window{Start: base, End: base.Add(2 * time.Hour), EndedAt: base.Add(30 * time.Minute)}, base.Add(time.Hour), alerts.WindowPast, base, base.Add(30 * time.Minute)},
		{"weekly, next week", alerts.Window{Start: base, End: base.Add(2 * time.Hour), Weekly: true, TimeZone: "Asia/Tokyo"}, base.Add(3 * 24 * time.Hour), alerts.WindowUpcoming, base.AddDate(0, 0, 7), base.AddDate(0, 0, 7).Add(2 * time.Hour)},
		{"weekly, third week", alerts.Window{Start: base, End: base.Add(2 * time.Hour), Weekly: true, TimeZone: "Asia/Tokyo"}, base.AddDate(0, 0, 14).Add(time.Hour), alerts.WindowActive, base.AddDate(0, 0, 14), base.AddDate(0, 0, 14).Add(2 * time.Hour)},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, err := alerts.CheckWindow(c.w)
			if err != nil {
				t.Fatal(err)
			}
			st, start, end := w.State(c.at)
			if st != c.state || !start.Equal(c.start) || !end.Equal(c.end) {
				t.Errorf("State = %s %v–%v, want %s %v–%v", st, start, end, c.state, c.start, c.end)
			}
		})
	}
}

func TestMaintenanceWindowValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpt{})
		now := e.clk.Now()
		for _, c := range []struct {
			w     alerts.Window
			field string
		}{
			{alerts.Window{Start: now, End: now.Add(time.Hour)}, "name"},
			{alerts.Window{Name: "x", Start: now, End: now}, "end"},
			{alerts.Window{Name: "x", Start: now, End: now.Add(8 * 24 * time.Hour)}, "end"},
			{alerts.Window{Name: "x", Start: now, End: now.Add(time.Hour), Matchers: []string{"env=prod", "bad matcher"}}, "matchers[1]"},
			{alerts.Window{Name: "x", Start: now, End: now.Add(time.Hour), Matchers: []string{"job=~(unclosed"}}, "matchers[0]"},
			{alerts.Window{Name: "x", Start: now, End: now.Add(time.Hour), Severities: []string{"urgent"}}, "severities[0]"},
			{alerts.Window{Name: "x", Start: now, End: now.Add(time.Hour), TimeZone: "Mars/Olympus"}, "time_zone"},
		} {
			_, err := e.svc.CreateWindow(e.ctx, c.w, "test")
			var ve *alerts.ValidationError
			if !errors.As(err, &ve) || ve.Field != c.field {
				t.Errorf("%+v: %v, want field %s", c.w, err, c.field)
			}
		}
	})
}

// TestMaintenanceWindowsAPI: create, list, end through the API; a bad
// matcher is a 400 naming it.
func TestMaintenanceWindowsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPIEnv(t, st)
		start := a.clk.Now().Add(-time.Minute).Format(time.RFC3339)
		end := a.clk.Now().Add(time.Hour).Format(time.RFC3339)
		ans := a.post("/api/v1/maintenance-windows", "application/json",
			[]byte(fmt.Sprintf(`{"name":"upgrade","system":"XYZ","matchers":["env=~pr.*"],"start":%q,"end":%q}`, start, end)), "Authorization", "Bearer "+goodToken)
		if ans.Code != 201 {
			t.Fatalf("create: %+v", ans)
		}
		bad := a.post("/api/v1/maintenance-windows", "application/json",
			[]byte(fmt.Sprintf(`{"name":"upgrade","matchers":["env"],"start":%q,"end":%q}`, start, end)), "Authorization", "Bearer "+goodToken)
		if bad.Code != 400 || bad.Field != "matchers[0]" {
			t.Fatalf("bad matcher: %+v", bad)
		}
		ws, err := a.svc.Windows(a.ctx, false)
		if err != nil || len(ws) != 1 || ws[0].Matchers[0] != "env=~pr.*" || ws[0].CreatedBy != "monitoring" {
			t.Fatalf("windows %+v %v", ws, err)
		}
		// An alert of XYZ with env=prod arrives: nobody is called.
		ans = a.post("/api/v1/alerts", "application/json", []byte(`{"system":"XYZ","dedup_key":"k","summary":"s","labels":{"env":"prod"}}`), "Authorization", "Bearer "+goodToken)
		if ans.Code != 202 {
			t.Fatalf("alert: %+v", ans)
		}
		a.run()
		if n := len(a.cn.Calls()); n != 0 {
			t.Fatalf("%d calls during the window", n)
		}
		req := fmt.Sprintf("%s/api/v1/maintenance-windows/%d", a.srv.URL, ws[0].ID)
		code := doDelete(t, req, goodToken)
		if code != 204 {
			t.Fatalf("end: %d", code)
		}
		if code := doDelete(t, req, goodToken); code != 404 {
			t.Fatalf("end again: %d", code)
		}
	})
}

func doDelete(t *testing.T, url, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
