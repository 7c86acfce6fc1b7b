package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/events"
	"github.com/opsdesk/opsdesk/internal/health"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/web"
)

// healthModule keeps the AWS Health records (docs/health.md): the
// built-in event rule aws-health feeds each aws.health event to it
// (healthFromEvent), it sends the events.health notifications, and it
// serves
//
//	GET /api/v1/health-events        records; ?service= &region= &category= &status= &account= &limit=
//	GET /api/v1/health-events/{id}   one record, its history and its notices
//
// with the scope read:events.
func (a *App) healthModule(context.Context) (module, error) {
	if a.Events == nil {
		return nil, nil
	}
	var filters []health.NotifyFilter
	for _, h := range a.Cfg.Events.Health {
		filters = append(filters, health.NotifyFilter{Destination: h.Destination, Services: h.Services, Regions: h.Regions, Categories: h.Categories, Statuses: h.Statuses, Language: h.Language})
	}
	o := health.Options{
		Filters: filters,
		Now:     a.now,
		Log:     a.Log.With("component", "health"),
		Send: func(ctx context.Context, dest string, msg notify.Message, key string, attempt int) (string, bool, error) {
			return a.sendMessage(ctx, dest, msg, key, attempt)
		},
	}
	if base := strings.TrimRight(a.Cfg.BaseURL, "/"); base != "" {
		o.ConsoleURL = func(id int64) string { return fmt.Sprintf("%s/health/%d", base, id) }
	}
	return &healthModule{a: a, svc: health.New(a.St, o)}, nil
}

type healthModule struct {
	a   *App
	svc *health.Service
}

// Health returns the AWS Health records' service (nil without events).
func (a *App) Health() *health.Service {
	for _, m := range a.modules {
		if hm, ok := m.(*healthModule); ok {
			return hm.svc
		}
	}
	return nil
}

// healthFromEvent is the aws-health rule's action: the event goes into its
// Health record. An event that is not a usable Health event fails at
// once, naming the field.
func (a *App) healthFromEvent(ctx context.Context, ev *events.Stored) (string, error) {
	svc := a.Health()
	if svc == nil {
		return "", events.NotConfigured("the AWS Health records are not running")
	}
	res, err := svc.Apply(ctx, ev.Ref, ev.Raw)
	var fe *health.FieldError
	if errors.As(err, &fe) {
		return "", events.Permanent(err)
	}
	if err != nil {
		return "", err
	}
	return res.String(), nil
}

func (m *healthModule) workers(_ context.Context, w *river.Workers) ([]*river.PeriodicJob, error) {
	river.AddWorker(w, &health.NoticeWorker{Svc: m.svc})
	river.AddWorker(w, &health.SweepWorker{Svc: m.svc, Grace: 2 * time.Minute})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Minute), func() (river.JobArgs, *river.InsertOpts) {
		return health.SweepArgs{}, nil
	}, nil)}, nil
}

func (m *healthModule) queueReady(q jobs.Queue) { m.svc.SetQueue(q) }

// webDeps hands the console the records.
func (m *healthModule) webDeps(d *web.Deps) { d.Health = m.svc }

func (m *healthModule) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/health-events", m.authed(m.list))
	mux.HandleFunc("GET /api/v1/health-events/{id}", m.authed(m.get))
}

func (m *healthModule) authed(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := m.a.Auth.Authorize(w, r, auth.ScopeReadEvents); !ok {
			return
		}
		fn(w, r)
	}
}

// list is GET /api/v1/health-events.
func (m *healthModule) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := health.Filter{Service: q.Get("service"), Region: q.Get("region"), Category: q.Get("category"), Status: q.Get("status"),
		Account: q.Get("account"), EventArn: q.Get("event_arn"), Limit: 100}
	if f.Category != "" && !slices.Contains(health.Categories, f.Category) {
		httpx.Error(w, http.StatusBadRequest, fmt.Sprintf("category %q is not one of %s", f.Category, strings.Join(health.Categories, ", ")), "category")
		return
	}
	if f.Status != "" && !slices.Contains(health.Statuses, f.Status) {
		httpx.Error(w, http.StatusBadRequest, fmt.Sprintf("status %q is not one of %s", f.Status, strings.Join(health.Statuses, ", ")), "status")
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			httpx.Error(w, http.StatusBadRequest, "limit must be a number from 1 to 500", "limit")
			return
		}
		f.Limit = n
	}
	list, err := m.svc.List(r.Context(), f)
	if err != nil {
		m.a.Log.Error("health: list", "error", err)
		httpx.Error(w, http.StatusInternalServerError, "could not list the Health records", "")
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"health_events": list})
}

// get is GET /api/v1/health-events/{id}.
func (m *healthModule) get(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		httpx.Error(w, http.StatusNotFound, "no such Health record", "id")
		return
	}
	rec, err := m.svc.Get(r.Context(), id)
	if errors.Is(err, health.ErrNotFound) {
		httpx.Error(w, http.StatusNotFound, "no such Health record", "id")
		return
	}
	var hist []health.History
	var notices []health.Notice
	if err == nil {
		hist, err = m.svc.History(r.Context(), id)
	}
	if err == nil {
		notices, err = m.svc.Notices(r.Context(), id)
	}
	if err != nil {
		m.a.Log.Error("health: get", "id", id, "error", err)
		httpx.Error(w, http.StatusInternalServerError, "could not read the Health record", "")
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"health_event": rec, "history": hist, "notices": notices})
}
