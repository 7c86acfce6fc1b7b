package app

import (
	"context"
	"net/http"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/web"
)

// webModule is a module with console pages: it adds its service to the
// console's dependencies.
type webModule interface {
	webDeps(d *web.Deps)
}

// webDeps lets every module with console pages add its service.
func (a *App) webDeps(d *web.Deps) {
	for _, m := range a.modules {
		if wm, ok := m.(webModule); ok {
			wm.webDeps(d)
		}
	}
}

// module is one capability's share of the process, wired in initJobs and
// initHTTP: its job workers and periodic jobs, what it needs once the
// queue exists, and its machine-facing routes. Modules are built in the
// order of App.buildModules, so a later module may use an earlier one's
// service (through the App's fields).
type module interface {
	workers(ctx context.Context, w *river.Workers) ([]*river.PeriodicJob, error)
	queueReady(q jobs.Queue)
	routes(mux *http.ServeMux)
}

// runner is a module with a loop of its own, run from the start of the job
// queue until shutdown (the escalation engine).
type runner interface {
	run(ctx context.Context)
}

// buildModules returns the capabilities' modules in dependency order:
// alerts (escalation) first, then chat-ops (which acknowledges alerts),
// then events (whose rules open alerts and sync cases). a.modules holds
// those built so far, so a module can find an earlier one (a.Alerts()).
func (a *App) buildModules(ctx context.Context) ([]module, error) {
	var out []module
	for _, build := range []func(context.Context) (module, error){a.alertsModule, a.chatModule, a.eventsModule, a.oncallModule, a.actionLinksModule, a.receiptsModule, a.policiesModule, a.contactModule, a.heartbeatsModule, a.healthModule, a.alertChatModule, a.queuesModule} {
		m, err := build(ctx)
		if err != nil {
			return nil, err
		}
		if m != nil {
			out = append(out, m)
			a.modules = out
		}
	}
	return out, nil
}
