package app

import (
	"context"
	"net/http"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/actionlink"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/ratelimit"
	"github.com/opsdesk/opsdesk/internal/web"
)

// actionLinksModule makes and serves the one-tap links of SMS and email
// alert messages (GET and POST /a/{token}, in the console handler). Its
// signing key is shared by the replicas through the database.
func (a *App) actionLinksModule(ctx context.Context) (module, error) {
	svc, err := actionlink.New(ctx, a.St, actionlink.Options{
		BaseURL: a.Cfg.BaseURL, TTL: a.Cfg.Alerts.ActionLinks.TTLOrDefault(), Now: a.now,
		Log: a.Log.With("component", "actionlink"),
	})
	if err != nil {
		return nil, err
	}
	return &actionLinksModule{a: a, svc: svc}, nil
}

type actionLinksModule struct {
	a   *App
	svc *actionlink.Service
}

func (m *actionLinksModule) workers(context.Context, *river.Workers) ([]*river.PeriodicJob, error) {
	return nil, nil
}

func (m *actionLinksModule) queueReady(jobs.Queue) {}

func (m *actionLinksModule) routes(*http.ServeMux) {}

// webDeps gives the console the links and a limit of invalid links per
// client address, shared by the replicas on PostgreSQL.
func (m *actionLinksModule) webDeps(d *web.Deps) {
	d.ActionLinks = m.svc
	d.ActionLinkLimiter = m.a.rateLimiter("actionlink", ratelimit.PerMinute(10, 10))
}

// ActionLinks returns the service that mints one-tap links for messages
// (nil before the modules are built).
func (a *App) ActionLinks() *actionlink.Service {
	for _, m := range a.modules {
		if l, ok := m.(*actionLinksModule); ok {
			return l.svc
		}
	}
	return nil
}
