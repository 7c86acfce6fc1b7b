package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// Weekly rotation in Tokyo (week 7 from 2026-01-05 is suzuki's), a New York business-hours
// layer above it, and lee covering suzuki for a day; a London schedule whose only layer
// starts on 2026-03-01.
const oncallYAML = `
oncall:
  schedules:
    - name: platform
      time_zone: Asia/Tokyo
      layers:
        - name: weekly
          participants: [sato, suzuki, lee]
          shift: 1w
          hand_off: "2026-01-05 09:00"
        - name: us-days
          time_zone: America/New_York
          participants: [miller]
          shift: 1d
          hand_off: "2026-01-05 09:00"
          priority: 10
          restrictions:
            - {days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00"}
      overrides:
        - {who: lee, covers: suzuki, start: "2026-02-24 09:00", end: "2026-02-25 09:00"}
    - name: db
      time_zone: Europe/London
      layers:
        - {name: l, participants: [ann], shift: 1d, hand_off: "2026-03-01 00:00"}
`

func oncallServer(t *testing.T, engine string) (*apptest.Server, string) {
	t.Helper()
	cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
log_level: error
` + oncallYAML))
	if err != nil {
		t.Fatal(err)
	}
	// The app's clock starts on Tuesday 2026-02-24 12:00 in Tokyo and runs.
	base, started := time.Date(2026, 2, 24, 3, 0, 0, 0, time.UTC), time.Now()
	s := apptest.StartWith(t, cfg, nil, func(o *app.Options) {
		o.Now = func() time.Time { return base.Add(time.Since(started)) }
	})
	tok, err := s.App.Auth.CreateToken(context.Background(), "pager", auth.ScopeReadAlerts)
	if err != nil {
		t.Fatal(err)
	}
	return s, tok
}

func getJSON(t *testing.T, s *apptest.Server, tok, path string, v any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("GET %s: %d %s: %v", path, resp.StatusCode, raw, err)
	}
	return resp.StatusCode
}

type oncallListBody struct {
	At        string `json:"at"`
	Schedules []struct {
		Name     string `json:"name"`
		TimeZone string `json:"time_zone"`
		Now      *struct {
			Who, Layer string
			Until      *string
		} `json:"now"`
		Next *struct {
			Who, Layer, Start string
			Until             *string
		} `json:"next"`
	} `json:"schedules"`
}

func strp(p *string) string {
	if p == nil {
		return "<none>"
	}
	return *p
}

// TestOnCallAPI: GET /api/v1/oncall answers who is on call now (an override over the
// weekly layer), until when and who is next (the New York layer at its morning) for every
// schedule, at ?at= or at the app's clock; GET /api/v1/oncall/{schedule} lists the shifts
// with the override marked; errors name at, shifts or the schedule.
func TestOnCallAPI(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s, tok := oncallServer(t, engine)
			for _, q := range []string{"?at=" + url.QueryEscape("2026-02-24T12:00:00+09:00"), ""} {
				var b oncallListBody
				if code := getJSON(t, s, tok, "/api/v1/oncall"+q, &b); code != 200 || len(b.Schedules) != 2 {
					t.Fatalf("GET /api/v1/oncall%s: %d %+v", q, code, b)
				}
				// Listed by name.
				db, p := b.Schedules[0], b.Schedules[1]
				if p.Name != "platform" || p.TimeZone != "Asia/Tokyo" || p.Now == nil || p.Now.Who != "lee" || p.Now.Layer != "weekly" ||
					strp(p.Now.Until) != "2026-02-24T23:00:00+09:00" {
					t.Errorf("%q platform now: %+v", q, p.Now)
				}
				if p.Next == nil || p.Next.Who != "miller" || p.Next.Layer != "us-days" || p.Next.Start != "2026-02-24T23:00:00+09:00" || strp(p.Next.Until) != "2026-02-25T08:00:00+09:00" {
					t.Errorf("%q platform next: %+v", q, p.Next)
				}
				if db.Name != "db" || db.Now != nil || db.Next == nil || db.Next.Who != "ann" || db.Next.Start != "2026-03-01T00:00:00Z" || db.Next.Until != nil {
					t.Errorf("%q db: now %+v next %+v", q, db.Now, db.Next)
				}
				if q != "" && b.At != "2026-02-24T03:00:00Z" {
					t.Errorf("at = %s", b.At)
				}
			}

			var cal struct {
				Name, TimeZone, From, To string
				Shifts                   []struct {
					Who, Layer, Start, End string
					Override               bool
				}
			}
			if code := getJSON(t, s, tok, "/api/v1/oncall/platform?shifts=1d&at="+url.QueryEscape("2026-02-24T12:00:00+09:00"), &cal); code != 200 {
				t.Fatalf("calendar: %d %+v", code, cal)
			}
			type sh = struct {
				Who, Layer, Start, End string
				Override               bool
			}
			want := []sh{
				{"lee", "weekly", "2026-02-24T12:00:00+09:00", "2026-02-24T23:00:00+09:00", true},
				{"miller", "us-days", "2026-02-24T23:00:00+09:00", "2026-02-25T08:00:00+09:00", false},
				{"lee", "weekly", "2026-02-25T08:00:00+09:00", "2026-02-25T09:00:00+09:00", true},
				{"suzuki", "weekly", "2026-02-25T09:00:00+09:00", "2026-02-25T12:00:00+09:00", false},
			}
			got := make([]sh, len(cal.Shifts))
			for i, x := range cal.Shifts {
				got[i] = sh(x)
			}
			if !reflect.DeepEqual(got, want) || cal.Name != "platform" || cal.From != "2026-02-24T12:00:00+09:00" || cal.To != "2026-02-25T12:00:00+09:00" {
				t.Errorf("calendar %s–%s:\n got %+v\nwant %+v", cal.From, cal.To, got, want)
			}
			// Default: 7 days from the app's clock.
			if code := getJSON(t, s, tok, "/api/v1/oncall/db", &cal); code != 200 || len(cal.Shifts) != 1 || cal.Shifts[0].Who != "ann" ||
				cal.Shifts[0].Start != "2026-03-01T00:00:00Z" || cal.To != cal.Shifts[0].End || cal.From[:13] != "2026-02-24T03" {
				t.Errorf("db calendar: %d %+v", code, cal)
			}

			var e struct{ Error, Field string }
			for _, c := range []struct {
				path, field string
				code        int
			}{
				{"/api/v1/oncall/nope", "schedule", 404},
				{"/api/v1/oncall?at=tomorrow", "at", 400},
				{"/api/v1/oncall/platform?at=2026-02-24", "at", 400},
				{"/api/v1/oncall/platform?shifts=7", "shifts", 400},
				{"/api/v1/oncall/platform?shifts=0d", "shifts", 400},
				{"/api/v1/oncall/platform?shifts=367d", "shifts", 400},
			} {
				e.Error, e.Field = "", ""
				if code := getJSON(t, s, tok, c.path, &e); code != c.code || e.Field != c.field || e.Error == "" {
					t.Errorf("GET %s: %d %+v; want %d naming %s", c.path, code, e, c.code, c.field)
				}
			}
		})
	}
}
