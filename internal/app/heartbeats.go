package app

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/heartbeat"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/web"
)

// heartbeatsModule serves heartbeat monitors (docs/alerts.md, Heartbeats):
//
//	GET|POST /api/v1/heartbeats/{token}            a ping (the token is the secret; no auth header)
//	GET|POST /api/v1/heartbeats/{token}/{status}   ok, fail, or a command's exit status
//	GET      /api/v1/heartbeat-monitors            the monitors (scope admin)
//	POST     /api/v1/heartbeat-monitors            create one; the answer holds its token, once
//	GET      /api/v1/heartbeat-monitors/{name}     one monitor and its last pings
//	DELETE   /api/v1/heartbeat-monitors/{name}
//
// and runs Check every heartbeatCheckInterval in the maintenance queue.
// Missed heartbeats open alerts through the alerts intake, so it needs
// the alerts module.
func (a *App) heartbeatsModule(context.Context) (module, error) {
	al := a.Alerts()
	if al == nil {
		return nil, nil
	}
	svc := heartbeat.New(a.St, heartbeat.Options{
		Now:   a.now,
		Audit: a.Audit,
		Log:   a.Log.With("component", "heartbeat"),
		Alerts: heartbeat.AlerterFunc(func(ctx context.Context, sigs []parse.Signal, via string) error {
			_, err := al.Ingest(ctx, sigs, via)
			return err
		}),
	})
	return &heartbeatsModule{a: a, svc: svc}, nil
}

type heartbeatsModule struct {
	a   *App
	svc *heartbeat.Service
}

// Heartbeats returns the heartbeat monitors' service (nil without alerts).
func (a *App) Heartbeats() *heartbeat.Service {
	for _, m := range a.modules {
		if hm, ok := m.(*heartbeatsModule); ok {
			return hm.svc
		}
	}
	return nil
}

// HeartbeatCheckArgs is the periodic job that opens alerts for missed
// heartbeats.
type HeartbeatCheckArgs struct{}

// Kind implements river.JobArgs.
func (HeartbeatCheckArgs) Kind() string { return "heartbeat_check" }

// InsertOpts implements river.JobArgsWithInsertOpts: one at a time, in the
// maintenance queue.
func (HeartbeatCheckArgs) InsertOpts() river.InsertOpts {
	return jobs.In(jobs.QueueMaintenance, jobs.UniqueWhileActive())
}

// heartbeatCheckInterval is how often monitors are checked: a missed
// heartbeat opens its alert at most this late.
const heartbeatCheckInterval = 15 * time.Second

type heartbeatCheckWorker struct {
	river.WorkerDefaults[HeartbeatCheckArgs]
	svc *heartbeat.Service
}

func (w *heartbeatCheckWorker) Work(ctx context.Context, _ *river.Job[HeartbeatCheckArgs]) error {
	_, err := w.svc.Check(ctx)
	return err
}

func (m *heartbeatsModule) workers(_ context.Context, w *river.Workers) ([]*river.PeriodicJob, error) {
	river.AddWorker(w, &heartbeatCheckWorker{svc: m.svc})
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(heartbeatCheckInterval), func() (river.JobArgs, *river.InsertOpts) {
			return HeartbeatCheckArgs{}, nil
		}, nil),
	}, nil
}

func (m *heartbeatsModule) queueReady(jobs.Queue) {}

// webDeps hands the console the monitors.
func (m *heartbeatsModule) webDeps(d *web.Deps) { d.Heartbeats = m.svc }

func (m *heartbeatsModule) routes(mux *http.ServeMux) {
	for _, p := range heartbeatPingRoutes {
		mux.HandleFunc(p, m.ping)
	}
	mux.HandleFunc("GET /api/v1/heartbeat-monitors", m.authed(m.list))
	mux.HandleFunc("POST /api/v1/heartbeat-monitors", m.authed(m.create))
	mux.HandleFunc("GET /api/v1/heartbeat-monitors/{name}", m.authed(m.get))
	mux.HandleFunc("DELETE /api/v1/heartbeat-monitors/{name}", m.authed(m.delete))
}

// heartbeatPingRoutes carry the token in the path: the request log writes
// their patterns (logpath.go). GET includes HEAD.
var heartbeatPingRoutes = []string{
	"GET /api/v1/heartbeats/{token}",
	"POST /api/v1/heartbeats/{token}",
	"GET /api/v1/heartbeats/{token}/{status}",
	"POST /api/v1/heartbeats/{token}/{status}",
}

// maxPingBody is how much of a ping's body is read (and dropped): a
// script may post its output.
const maxPingBody = 100 << 10

func (m *heartbeatsModule) ping(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxPingBody))
	status, ok := heartbeat.ParseStatus(r.PathValue("status"))
	if !ok {
		httpx.Error(w, http.StatusNotFound, "not found", "")
		return
	}
	_, err := m.svc.Ping(r.Context(), r.PathValue("token"), status, httpx.ClientIP(r, m.a.Cfg.Trusted))
	if errors.Is(err, heartbeat.ErrNotFound) {
		httpx.Error(w, http.StatusNotFound, "not found", "")
		return
	}
	if err != nil {
		m.a.Log.Error("heartbeat: ping", "error", err)
		httpx.Error(w, http.StatusInternalServerError, "internal error", "")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "OK\n")
}

func (m *heartbeatsModule) authed(fn func(w http.ResponseWriter, r *http.Request, token string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, ok := m.a.Auth.Authorize(w, r, auth.ScopeAdmin)
		if !ok {
			return
		}
		r = r.WithContext(audit.WithActor(r.Context(), auth.TokenActor(name, httpx.ClientIP(r, m.a.Cfg.Trusted))))
		fn(w, r, name)
	}
}

// heartbeatJSON is a monitor as the API shows it.
type heartbeatJSON struct {
	heartbeat.Monitor
	Interval   string           `json:"interval"`
	Grace      string           `json:"grace"`
	LastPingAt *time.Time       `json:"last_ping_at,omitempty"`
	Token      string           `json:"token,omitempty"`
	PingURL    string           `json:"ping_url,omitempty"`
	Pings      []heartbeat.Ping `json:"pings,omitempty"`
}

func toHeartbeatJSON(hb heartbeat.Monitor) heartbeatJSON {
	out := heartbeatJSON{Monitor: hb, Interval: hb.Interval.String(), Grace: hb.Grace.String()}
	if !hb.LastPingAt.IsZero() {
		t := hb.LastPingAt
		out.LastPingAt = &t
	}
	return out
}

// HeartbeatPingURL is the URL a monitor's job pings.
func HeartbeatPingURL(baseURL, token string) string {
	return strings.TrimRight(baseURL, "/") + "/api/v1/heartbeats/" + token
}

func (m *heartbeatsModule) list(w http.ResponseWriter, r *http.Request, _ string) {
	ms, err := m.svc.List(r.Context())
	if err != nil {
		m.serviceError(w, err)
		return
	}
	out := make([]heartbeatJSON, 0, len(ms))
	for _, hb := range ms {
		out = append(out, toHeartbeatJSON(hb))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (m *heartbeatsModule) get(w http.ResponseWriter, r *http.Request, _ string) {
	hb, err := m.svc.Get(r.Context(), r.PathValue("name"))
	if err != nil {
		m.serviceError(w, err)
		return
	}
	out := toHeartbeatJSON(hb)
	if out.Pings, err = m.svc.Pings(r.Context(), hb.ID, heartbeat.KeepPings); err != nil {
		m.serviceError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

type heartbeatInput struct {
	Name     string `json:"name"`
	System   string `json:"system"`
	Interval string `json:"interval"`
	Grace    string `json:"grace"`
	Severity string `json:"severity"`
}

func (m *heartbeatsModule) create(w http.ResponseWriter, r *http.Request, token string) {
	var in heartbeatInput
	if !decode(w, r, &in) {
		return
	}
	iv, err := time.ParseDuration(in.Interval)
	if err != nil {
		httpx.Error(w, http.StatusBadRequest, "interval: a duration such as 1h or 15m", "interval")
		return
	}
	var grace time.Duration
	if in.Grace != "" {
		if grace, err = time.ParseDuration(in.Grace); err != nil {
			httpx.Error(w, http.StatusBadRequest, "grace: a duration such as 10m", "grace")
			return
		}
	}
	hb, tok, err := m.svc.Create(r.Context(), heartbeat.Input{Name: in.Name, System: in.System, Interval: iv, Grace: grace, Severity: in.Severity}, "token "+token)
	if err != nil {
		m.serviceError(w, err)
		return
	}
	m.a.Log.Info("heartbeat: monitor created", "monitor", hb.Name, "system", hb.System, "by", "token "+token)
	out := toHeartbeatJSON(hb)
	out.Token, out.PingURL = tok, HeartbeatPingURL(m.a.Cfg.BaseURL, tok)
	httpx.WriteJSON(w, http.StatusCreated, out)
}

func (m *heartbeatsModule) delete(w http.ResponseWriter, r *http.Request, token string) {
	if err := m.svc.Delete(r.Context(), r.PathValue("name")); err != nil {
		m.serviceError(w, err)
		return
	}
	m.a.Log.Info("heartbeat: monitor deleted", "monitor", r.PathValue("name"), "by", "token "+token)
	w.WriteHeader(http.StatusNoContent)
}

func (m *heartbeatsModule) serviceError(w http.ResponseWriter, err error) {
	var ve *heartbeat.ValidationError
	switch {
	case errors.As(err, &ve):
		httpx.Error(w, http.StatusBadRequest, ve.Error(), ve.Field)
	case errors.Is(err, heartbeat.ErrExists):
		httpx.Error(w, http.StatusConflict, "a monitor of that name exists", "name")
	case errors.Is(err, heartbeat.ErrNotFound):
		httpx.Error(w, http.StatusNotFound, "no such monitor", "name")
	default:
		m.a.Log.Error("heartbeat api", "error", err)
		httpx.Error(w, http.StatusInternalServerError, "internal error", "")
	}
}
