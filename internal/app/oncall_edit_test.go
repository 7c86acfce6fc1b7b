package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

func sendJSON(t *testing.T, s *apptest.Server, tok, method, path, body string, v any) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if v != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// A daily 09:00 rotation in New York, across the spring change (2026-03-08).
const nyDaily = `{"time_zone": "America/New_York", "layers": [
  {"name": "daily", "participants": ["ann", "ben"], "shift": "1d", "hand_off": "2026-03-01 09:00"}]}`

type errBody struct{ Error, Field string }

// TestOnCallAPIEdit: PUT creates and replaces a schedule (admin scope only), errors name the
// field, the calendar follows New York's clock across the spring change, overrides are
// added and deleted, DELETE removes the schedule.
func TestOnCallAPIEdit(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s, read := oncallServer(t, engine)
			admin, err := s.App.Auth.CreateToken(context.Background(), "ops-admin", auth.ScopeAdmin)
			if err != nil {
				t.Fatal(err)
			}
			var e errBody
			// Scope: read:alerts may read but not edit.
			if code := sendJSON(t, s, read, http.MethodPut, "/api/v1/oncall/ny", nyDaily, &e); code != http.StatusForbidden {
				t.Fatalf("PUT with read:alerts: %d %+v", code, e)
			}
			if code := sendJSON(t, s, admin, http.MethodPut, "/api/v1/oncall/ny", nyDaily, nil); code != http.StatusCreated {
				t.Fatalf("PUT new: %d", code)
			}
			var cal struct {
				Origin   string
				Shifts   []struct{ Who, Start, End string }
				Schedule struct {
					TimeZone string `json:"time_zone"`
					Layers   []struct{ Shift, HandOff string }
				}
			}
			if code := getJSON(t, s, read, "/api/v1/oncall/ny?shifts=3d&at="+url.QueryEscape("2026-03-07T09:00:00-05:00"), &cal); code != 200 {
				t.Fatalf("GET ny: %d", code)
			}
			want := []string{
				"ann 2026-03-07T09:00:00-05:00 2026-03-08T09:00:00-04:00",
				"ben 2026-03-08T09:00:00-04:00 2026-03-09T09:00:00-04:00",
				"ann 2026-03-09T09:00:00-04:00 2026-03-10T09:00:00-04:00",
			}
			if len(cal.Shifts) != 3 || cal.Origin != "console" || cal.Schedule.TimeZone != "America/New_York" {
				t.Fatalf("ny calendar: %+v", cal)
			}
			for i, sh := range cal.Shifts {
				if got := sh.Who + " " + sh.Start + " " + sh.End; got != want[i] {
					t.Errorf("shift %d: %s, want %s", i, got, want[i])
				}
			}
			// Validation errors name the field.
			for _, c := range []struct{ body, field string }{
				{strings.Replace(nyDaily, `"1d"`, `"1m"`, 1), "layers[0].shift"},
				{strings.Replace(nyDaily, `America/New_York`, `America/Nowhere`, 1), "time_zone"},
				{strings.Replace(nyDaily, `["ann", "ben"]`, `[]`, 1), "layers[0].participants"},
				{strings.Replace(nyDaily, `"shift"`, `"shfit"`, 1), "shfit"},
				{`{"name": "other", "time_zone": "UTC", "layers": []}`, "name"},
			} {
				e = errBody{}
				if code := sendJSON(t, s, admin, http.MethodPut, "/api/v1/oncall/ny", c.body, &e); code != 400 || e.Field != c.field {
					t.Errorf("PUT %s: %d %+v; want 400 naming %s", c.body, code, e, c.field)
				}
			}
			// An override: carl covers ben's Sunday.
			var ov struct{ ID int64 }
			if code := sendJSON(t, s, admin, http.MethodPost, "/api/v1/oncall/ny/overrides",
				`{"who": "carl", "covers": "ben", "start": "2026-03-08 09:00", "end": "2026-03-09 09:00", "note": "swap"}`, &ov); code != 201 || ov.ID == 0 {
				t.Fatalf("POST override: %d %+v", code, ov)
			}
			var now oncallListBody
			getJSON(t, s, read, "/api/v1/oncall?at="+url.QueryEscape("2026-03-08T12:00:00-04:00"), &now)
			if ny := now.Schedules[1]; ny.Name != "ny" || ny.Now == nil || ny.Now.Who != "carl" {
				t.Fatalf("with the override: %+v", now.Schedules)
			}
			e = errBody{}
			if code := sendJSON(t, s, admin, http.MethodPost, "/api/v1/oncall/ny/overrides", `{"who": "carl", "start": "2026-03-08 09:00", "end": "yesterday"}`, &e); code != 400 || e.Field != "end" {
				t.Errorf("bad override: %d %+v", code, e)
			}
			if code := sendJSON(t, s, read, http.MethodDelete, "/api/v1/oncall/ny/overrides/"+itoa(ov.ID), "", nil); code != http.StatusForbidden {
				t.Errorf("DELETE override with read:alerts: %d", code)
			}
			if code := sendJSON(t, s, admin, http.MethodDelete, "/api/v1/oncall/ny/overrides/"+itoa(ov.ID), "", nil); code != 204 {
				t.Errorf("DELETE override: %d", code)
			}
			if code := sendJSON(t, s, admin, http.MethodDelete, "/api/v1/oncall/ny/overrides/"+itoa(ov.ID), "", &e); code != 404 || e.Field != "id" {
				t.Errorf("DELETE override twice: %d %+v", code, e)
			}
			getJSON(t, s, read, "/api/v1/oncall?at="+url.QueryEscape("2026-03-08T12:00:00-04:00"), &now)
			if ny := now.Schedules[1]; ny.Now == nil || ny.Now.Who != "ben" {
				t.Fatalf("after deleting the override: %+v", ny.Now)
			}
			// A schedule of the config edited through the API is kept from then on (origin
			// console); DELETE removes it.
			if code := sendJSON(t, s, admin, http.MethodDelete, "/api/v1/oncall/ny", "", nil); code != 204 {
				t.Errorf("DELETE: %d", code)
			}
			if code := sendJSON(t, s, admin, http.MethodDelete, "/api/v1/oncall/ny", "", &e); code != 404 || e.Field != "schedule" {
				t.Errorf("DELETE twice: %d %+v", code, e)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// lockedBuffer collects a server's log lines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestOnCallFeeds: an iCal feed created by API is served without login at its secret URL,
// in RFC 5545 form, and the request log does not write the token; revoked, it is 404 like
// an unknown token.
func TestOnCallFeeds(t *testing.T) {
	cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, "sqlite") + `
data_dir: ` + t.TempDir() + `
` + oncallYAML))
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	base, started := time.Date(2026, 2, 24, 3, 0, 0, 0, time.UTC), time.Now()
	s := apptest.StartWith(t, cfg, nil, func(o *app.Options) {
		o.Now = func() time.Time { return base.Add(time.Since(started)) }
		o.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	admin, err := s.App.Auth.CreateToken(context.Background(), "ops-admin", auth.ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		ID         int64
		URL, Token string
	}
	if code := sendJSON(t, s, admin, http.MethodPost, "/api/v1/oncall-feeds", `{"schedule": "platform"}`, &f); code != 201 || f.Token == "" || !strings.HasSuffix(f.URL, "/oncall/feeds/"+f.Token+".ics") {
		t.Fatalf("create feed: %d %+v", code, f)
	}
	get := func(path string) (int, string, string) {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	code, ctype, body := get("/oncall/feeds/" + f.Token + ".ics")
	if code != 200 || ctype != "text/calendar; charset=utf-8" || !strings.HasPrefix(body, "BEGIN:VCALENDAR\r\n") ||
		!strings.Contains(body, "SUMMARY:lee on call\r\n") || !strings.Contains(body, "X-WR-CALNAME:On call: platform\r\n") {
		t.Fatalf("feed: %d %s\n%s", code, ctype, body)
	}
	// The override lee covers suzuki (2026-02-24 09:00 JST) starts the first event.
	if !strings.Contains(body, "DTSTART:20260224T000000Z\r\n") {
		t.Errorf("the shift in progress is missing or clipped:\n%s", body)
	}
	var list struct{ Feeds []struct{ ID int64 } }
	if code := sendJSON(t, s, admin, http.MethodGet, "/api/v1/oncall-feeds", "", &list); code != 200 || len(list.Feeds) != 1 || list.Feeds[0].ID != f.ID {
		t.Fatalf("feeds: %d %+v", code, list)
	}
	if code := sendJSON(t, s, admin, http.MethodDelete, "/api/v1/oncall-feeds/"+itoa(f.ID), "", nil); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	for _, p := range []string{"/oncall/feeds/" + f.Token + ".ics", "/oncall/feeds/nope.ics", "/oncall/feeds/" + f.Token} {
		if code, _, _ := get(p); code != 404 {
			t.Errorf("GET %s: %d, want 404", p, code)
		}
	}
	var e errBody
	if code := sendJSON(t, s, admin, http.MethodPost, "/api/v1/oncall-feeds", `{"schedule": "nope"}`, &e); code != 404 || e.Field != "schedule" {
		t.Errorf("feed of an unknown schedule: %d %+v", code, e)
	}
	if l := logs.String(); strings.Contains(l, f.Token) || !strings.Contains(l, "/oncall/feeds/{file}") {
		t.Errorf("the log shows the feed's token or not its requests:\n%s", l)
	}
}
