package app

import (
	"context"
	"net/http"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/jobs"
)

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

// buildModules returns the capabilities' modules in dependency order:
// alerts (escalation) first, then chat-ops (which acknowledges alerts),
// then events (whose rules open alerts and sync cases).
func (a *App) buildModules(ctx context.Context) ([]module, error) {
	var out []module
	for _, build := range []func(context.Context) (module, error){a.alertsModule, a.chatModule, a.eventsModule} {
		m, err := build(ctx)
		if err != nil {
			return nil, err
		}
		if m != nil {
			out = append(out, m)
		}
	}
	return out, nil
}
