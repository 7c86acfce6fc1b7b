package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/oncall"
	"github.com/opsdesk/opsdesk/internal/web"
)

// oncallModule keeps the on-call schedules in the database (the config's oncall.schedules
// are seeded at start) and serves them: GET /api/v1/oncall and GET /api/v1/oncall/{schedule}
// with the scope read:alerts; editing (PUT and DELETE of a schedule, its overrides, iCal
// feeds) with the scope admin; the iCal feeds themselves at GET /oncall/feeds/{token}.ics,
// where the token is the secret.
func (a *App) oncallModule(ctx context.Context) (module, error) {
	svc := oncall.New(a.St, oncall.Options{Now: a.now, Audit: a.Audit})
	kept, err := svc.SeedSchedules(ctx, a.Cfg.OnCall.Parsed())
	if err != nil {
		return nil, err
	}
	for _, n := range kept {
		a.Log.Info("oncall: schedule edited in the console or the API; its version in the config file is not applied", "schedule", n)
	}
	a.OnCall = svc
	return &oncallModule{a: a, svc: svc}, nil
}

type oncallModule struct {
	a   *App
	svc *oncall.Service
}

func (m *oncallModule) workers(_ context.Context, w *river.Workers) ([]*river.PeriodicJob, error) {
	river.AddWorker(w, &shiftNoticeWorker{a: m.a})
	if m.a.Cfg.OnCall.ShiftNotice <= 0 {
		return nil, nil
	}
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(shiftNoticeInterval), func() (river.JobArgs, *river.InsertOpts) {
			return ShiftNoticeArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}),
	}, nil
}

func (m *oncallModule) queueReady(jobs.Queue) {}

// webDeps hands the console the schedules.
func (m *oncallModule) webDeps(d *web.Deps) { d.OnCall = m.svc }

func (m *oncallModule) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/oncall", m.authed(auth.ScopeReadAlerts, m.list))
	mux.HandleFunc("GET /api/v1/oncall/{schedule}", m.authed(auth.ScopeReadAlerts, m.calendar))
	mux.HandleFunc("PUT /api/v1/oncall/{schedule}", m.authed(auth.ScopeAdmin, m.put))
	mux.HandleFunc("DELETE /api/v1/oncall/{schedule}", m.authed(auth.ScopeAdmin, m.delete))
	mux.HandleFunc("POST /api/v1/oncall/{schedule}/overrides", m.authed(auth.ScopeAdmin, m.addOverride))
	mux.HandleFunc("DELETE /api/v1/oncall/{schedule}/overrides/{id}", m.authed(auth.ScopeAdmin, m.deleteOverride))
	mux.HandleFunc("GET /api/v1/oncall-feeds", m.authed(auth.ScopeAdmin, m.feeds))
	mux.HandleFunc("POST /api/v1/oncall-feeds", m.authed(auth.ScopeAdmin, m.createFeed))
	mux.HandleFunc("DELETE /api/v1/oncall-feeds/{id}", m.authed(auth.ScopeAdmin, m.revokeFeed))
	mux.HandleFunc("GET /oncall/feeds/{file}", m.ical)
}

func (m *oncallModule) authed(scope string, fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, ok := m.a.Auth.Authorize(w, r, scope)
		if !ok {
			return
		}
		r = r.WithContext(audit.WithActor(r.Context(), auth.TokenActor(name, httpx.ClientIP(r, m.a.Cfg.Trusted))))
		fn(w, r)
	}
}

// maxOnCallBody bounds the JSON bodies of the on-call API (a schedule with many layers).
const maxOnCallBody = 256 << 10

// decode reads a JSON body into v (unknown keys refused); false when it answered an error.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxOnCallBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			httpx.Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxOnCallBody), "")
			return false
		}
		field := ""
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			field = ute.Field
		} else if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			field = strings.Trim(f, `"`)
		}
		httpx.Error(w, http.StatusBadRequest, "the body is not the JSON expected: "+err.Error(), field)
		return false
	}
	if dec.More() {
		httpx.Error(w, http.StatusBadRequest, "the body has more than one JSON value", "")
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		httpx.Error(w, http.StatusBadRequest, "the body has more than one JSON value", "")
		return false
	}
	return true
}

// serviceError answers an error of the on-call service: 400 naming the field, 404, or 500.
func (m *oncallModule) serviceError(w http.ResponseWriter, err error, notFound, notFoundField string) {
	var ve *oncall.ValidationError
	var ce *config.Error
	switch {
	case errors.As(err, &ve):
		httpx.Error(w, http.StatusBadRequest, ve.Error(), ve.Field)
	case errors.As(err, &ce):
		httpx.Error(w, http.StatusBadRequest, ce.Key+": "+ce.Msg, ce.Key)
	case errors.Is(err, oncall.ErrNotFound):
		httpx.Error(w, http.StatusNotFound, notFound, notFoundField)
	default:
		m.a.Log.Error("oncall api", "error", err)
		httpx.Error(w, http.StatusInternalServerError, "internal error", "")
	}
}

func noSchedule(name string) string { return fmt.Sprintf("no on-call schedule is named %q", name) }

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
	all, err := m.svc.Schedules(r.Context())
	if err != nil {
		m.serviceError(w, err, "", "")
		return
	}
	out := []oncallSchedule{}
	for _, s := range all {
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
	st, err := m.svc.Stored(r.Context(), name)
	if err != nil {
		m.serviceError(w, err, noSchedule(name), "schedule")
		return
	}
	s := st.Schedule
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
	overrides := []oncallOverride{}
	for _, o := range st.Overrides {
		overrides = append(overrides, oncallOverride{ID: o.ID, Who: o.Who, Covers: o.Covers, Start: o.Start.In(s.TimeZone), End: o.End.In(s.TimeZone),
			Note: o.Note, CreatedBy: o.CreatedBy, CreatedAt: o.CreatedAt})
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"name": s.Name, "time_zone": s.TimeZone.String(),
		"from": local, "to": to.In(s.TimeZone), "shifts": shifts,
		"origin": st.Origin, "updated_at": st.UpdatedAt, "updated_by": st.UpdatedBy,
		"schedule": config.OnCallScheduleOf(s), "overrides": overrides,
	})
}

type oncallOverride struct {
	ID        int64     `json:"id"`
	Who       string    `json:"who"`
	Covers    string    `json:"covers"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Note      string    `json:"note"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// put creates or replaces a schedule: the body is the config's shape in JSON (name optional,
// and when given equal to the path's). Overrides in the body, when the key is present,
// replace the schedule's; without it they are kept.
func (m *oncallModule) put(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("schedule")
	var body struct {
		config.OnCallSchedule
		Overrides *[]config.OnCallOverride `json:"overrides"`
	}
	if !decode(w, r, &body) {
		return
	}
	if body.Name != "" && body.Name != name {
		httpx.Error(w, http.StatusBadRequest, fmt.Sprintf("name: %q differs from the schedule of the path (%q)", body.Name, name), "name")
		return
	}
	body.Name = name
	cs := body.OnCallSchedule
	if body.Overrides != nil {
		cs.Overrides = *body.Overrides
	}
	s, err := cs.Convert()
	if err != nil {
		m.serviceError(w, err, "", "")
		return
	}
	if body.Overrides == nil {
		s.Overrides = nil
	} else if s.Overrides == nil {
		s.Overrides = []oncall.Override{}
	}
	by := audit.ActorFrom(r.Context()).Name
	status := http.StatusOK
	if _, err := m.svc.Stored(r.Context(), name); errors.Is(err, oncall.ErrNotFound) {
		status = http.StatusCreated
	}
	if err := m.svc.SaveSchedule(r.Context(), s, by); err != nil {
		m.serviceError(w, err, "", "")
		return
	}
	st, err := m.svc.Stored(r.Context(), name)
	if err != nil {
		m.serviceError(w, err, noSchedule(name), "schedule")
		return
	}
	httpx.WriteJSON(w, status, map[string]any{"name": name, "origin": st.Origin, "schedule": config.OnCallScheduleOf(st.Schedule)})
}

func (m *oncallModule) delete(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("schedule")
	if err := m.svc.DeleteSchedule(r.Context(), name); err != nil {
		m.serviceError(w, err, noSchedule(name), "schedule")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// addOverride takes {"who", "covers", "start", "end", "note"}: times RFC 3339 or local in
// the schedule's zone ("2026-03-10 09:00").
func (m *oncallModule) addOverride(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("schedule")
	var body struct {
		config.OnCallOverride
		Note string `json:"note"`
	}
	if !decode(w, r, &body) {
		return
	}
	sc, err := m.svc.Schedule(r.Context(), name)
	if err != nil {
		m.serviceError(w, err, noSchedule(name), "schedule")
		return
	}
	// Convert checks the times in the schedule's zone; the override is then added alone.
	probe := config.OnCallScheduleOf(sc)
	probe.Overrides = []config.OnCallOverride{body.OnCallOverride}
	parsed, err := probe.Convert()
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			field := strings.TrimPrefix(ce.Key, "overrides[0].")
			httpx.Error(w, http.StatusBadRequest, field+": "+ce.Msg, field)
			return
		}
		m.serviceError(w, err, "", "")
		return
	}
	o := parsed.Overrides[0]
	id, err := m.svc.AddOverride(r.Context(), name, o, body.Note, audit.ActorFrom(r.Context()).Name)
	if err != nil {
		m.serviceError(w, err, noSchedule(name), "schedule")
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, oncallOverride{ID: id, Who: o.Who, Covers: o.Covers, Start: o.Start.In(sc.TimeZone), End: o.End.In(sc.TimeZone),
		Note: strings.TrimSpace(body.Note), CreatedBy: audit.ActorFrom(r.Context()).Name, CreatedAt: m.a.now().UTC()})
}

func (m *oncallModule) deleteOverride(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("schedule")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		httpx.Error(w, http.StatusNotFound, fmt.Sprintf("no override %q in %q", r.PathValue("id"), name), "id")
		return
	}
	if err := m.svc.DeleteOverride(r.Context(), name, id); err != nil {
		m.serviceError(w, err, fmt.Sprintf("no override %d in %q", id, name), "id")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type oncallFeed struct {
	ID        int64     `json:"id"`
	Schedule  string    `json:"schedule,omitempty"`
	User      string    `json:"user,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	// URL and Token are in the answer that creates the feed only.
	URL   string `json:"url,omitempty"`
	Token string `json:"token,omitempty"`
}

// FeedURL is where a feed's calendar is served, under the base URL (relative without one).
func FeedURL(baseURL, token string) string {
	return strings.TrimRight(baseURL, "/") + "/oncall/feeds/" + token + ".ics"
}

func (m *oncallModule) feeds(w http.ResponseWriter, r *http.Request) {
	list, err := m.svc.Feeds(r.Context(), oncall.FeedFilter{Schedule: r.URL.Query().Get("schedule"), User: r.URL.Query().Get("user")})
	if err != nil {
		m.serviceError(w, err, "", "")
		return
	}
	out := []oncallFeed{}
	for _, f := range list {
		out = append(out, oncallFeed{ID: f.ID, Schedule: f.Schedule, User: f.User, CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt})
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"feeds": out})
}

// createFeed takes {"schedule": NAME} or {"user": NAME} and answers the feed with its URL;
// the token is not shown again.
func (m *oncallModule) createFeed(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Schedule string `json:"schedule"`
		User     string `json:"user"`
	}
	if !decode(w, r, &body) {
		return
	}
	f, tok, err := m.svc.CreateFeed(r.Context(), body.Schedule, body.User, audit.ActorFrom(r.Context()).Name)
	if err != nil {
		m.serviceError(w, err, noSchedule(body.Schedule), "schedule")
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, oncallFeed{ID: f.ID, Schedule: f.Schedule, User: f.User, CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt,
		URL: FeedURL(m.a.Cfg.BaseURL, tok), Token: tok})
}

func (m *oncallModule) revokeFeed(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = m.svc.RevokeFeed(r.Context(), id)
	} else {
		err = oncall.ErrNotFound
	}
	if err != nil {
		m.serviceError(w, err, fmt.Sprintf("no feed %q in use", r.PathValue("id")), "id")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ical serves a feed: no login, the token in the path is the secret. Unknown and revoked
// tokens are 404 alike.
func (m *oncallModule) ical(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	var f *oncall.Feed
	err := oncall.ErrNotFound
	if ok {
		f, err = m.svc.FeedByToken(r.Context(), tok)
	}
	if err != nil {
		w.Header().Set("Cache-Control", "no-store")
		if errors.Is(err, oncall.ErrNotFound) {
			http.Error(w, "no such calendar", http.StatusNotFound)
			return
		}
		m.a.Log.Error("oncall feed", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	cal, err := m.svc.FeedCalendar(r.Context(), f)
	if err != nil {
		m.a.Log.Error("oncall feed", "feed", f.ID, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	_ = oncall.WriteICal(w, cal)
}
