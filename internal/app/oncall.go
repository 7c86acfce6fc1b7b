package app

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/oncall"
)

// oncallModule answers who is on call in the schedules of the config (oncall.schedules):
// GET /api/v1/oncall and GET /api/v1/oncall/{schedule}, with the scope read:alerts.
func (a *App) oncallModule(context.Context) (module, error) { return &oncallModule{a: a}, nil }

type oncallModule struct{ a *App }

func (m *oncallModule) workers(context.Context, *river.Workers) ([]*river.PeriodicJob, error) {
	return nil, nil
}

func (m *oncallModule) queueReady(jobs.Queue) {}

func (m *oncallModule) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/oncall", m.authed(m.list))
	mux.HandleFunc("GET /api/v1/oncall/{schedule}", m.authed(m.calendar))
}

func (m *oncallModule) authed(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := m.a.Auth.Authorize(w, r, auth.ScopeReadAlerts); !ok {
			return
		}
		fn(w, r)
	}
}

// oncallNow is who is on call at the request's instant; Until is absent when the answer
// does not change within 400 days.
type oncallNow struct {
	Who   string     `json:"who"`
	Layer string     `json:"layer"`
	Until *time.Time `json:"until,omitempty"`
}

type oncallNext struct {
	Who   string     `json:"who"`
	Layer string     `json:"layer"`
	Start time.Time  `json:"start"`
	Until *time.Time `json:"until,omitempty"`
}

type oncallSchedule struct {
	Name     string `json:"name"`
	TimeZone string `json:"time_zone"`
	// Now is null when nobody is on call; Next is null when nobody else comes on call.
	Now  *oncallNow  `json:"now"`
	Next *oncallNext `json:"next"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// at is the ?at= instant (RFC 3339) or now, in the schedule's zone when one is given.
func (m *oncallModule) at(w http.ResponseWriter, r *http.Request) (time.Time, bool) {
	v := r.URL.Query().Get("at")
	if v == "" {
		return m.a.now().Truncate(time.Second), true
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		httpx.Error(w, http.StatusBadRequest, fmt.Sprintf("at: %q is not an RFC 3339 time (2026-03-10T09:00:00+09:00)", v), "at")
		return time.Time{}, false
	}
	return t, true
}

func (m *oncallModule) list(w http.ResponseWriter, r *http.Request) {
	at, ok := m.at(w, r)
	if !ok {
		return
	}
	out := []oncallSchedule{}
	for _, s := range m.a.Cfg.OnCall.Parsed() {
		e := oncallSchedule{Name: s.Name, TimeZone: s.TimeZone.String()}
		if who, layer, until := oncall.OnCall(s, at); who != "" {
			e.Now = &oncallNow{Who: who, Layer: layer, Until: optTime(until)}
		}
		if who, layer, start, until, ok := oncall.Next(s, at); ok {
			e.Next = &oncallNext{Who: who, Layer: layer, Start: start, Until: optTime(until)}
		}
		out = append(out, e)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"at": at.UTC(), "schedules": out})
}

// maxOnCallCalendar bounds ?shifts= of GET /api/v1/oncall/{schedule}.
const maxOnCallCalendar = 366 * 24 * time.Hour

var calendarSpanRe = regexp.MustCompile(`^([0-9]{1,4})([hdw])$`)

type oncallShift struct {
	Who      string    `json:"who"`
	Layer    string    `json:"layer"`
	Override bool      `json:"override"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
}

func (m *oncallModule) calendar(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("schedule")
	s := m.a.Cfg.OnCall.Schedule(name)
	if s == nil {
		httpx.Error(w, http.StatusNotFound, fmt.Sprintf("no on-call schedule is named %q", name), "schedule")
		return
	}
	from, ok := m.at(w, r)
	if !ok {
		return
	}
	span := "7d"
	if v := r.URL.Query().Get("shifts"); v != "" {
		span = v
	}
	mt := calendarSpanRe.FindStringSubmatch(span)
	if mt == nil {
		httpx.Error(w, http.StatusBadRequest, fmt.Sprintf("shifts: %q is not a span: a count and h, d or w (7d, 12h, 2w)", span), "shifts")
		return
	}
	n, _ := strconv.Atoi(mt[1])
	local := from.In(s.TimeZone)
	var to time.Time
	switch mt[2] {
	case "h":
		to = from.Add(time.Duration(n) * time.Hour)
	case "d":
		to = local.AddDate(0, 0, n)
	default:
		to = local.AddDate(0, 0, 7*n)
	}
	if n == 0 || to.Sub(from) > maxOnCallCalendar {
		httpx.Error(w, http.StatusBadRequest, fmt.Sprintf("shifts: %q must be from 1h to 366d", span), "shifts")
		return
	}
	shifts := []oncallShift{}
	for _, sh := range oncall.Shifts(s, from, to) {
		shifts = append(shifts, oncallShift{Who: sh.Who, Layer: sh.Layer, Override: sh.Override, Start: sh.Start, End: sh.End})
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"name": s.Name, "time_zone": s.TimeZone.String(),
		"from": local, "to": to.In(s.TimeZone), "shifts": shifts,
	})
}
