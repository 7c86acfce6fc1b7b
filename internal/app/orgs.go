package app

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/cases"
)

// initDirectory builds the directory of archived accounts: the configured
// ones and the members of aws.organizations.
func (a *App) initDirectory(ctx context.Context) error {
	log := a.Log.With("component", "cases")
	orgs, err := cases.Organizations(ctx, a.Cfg, a.lookup, log)
	if err != nil {
		return err
	}
	a.directory = &cases.Directory{Store: a.Syncer.Store, Configured: a.accounts, Orgs: orgs, Now: a.now, Log: log}
	return nil
}

// discoverPeriodic is the organization discovery job, when organizations
// are configured.
func (a *App) discoverPeriodic() []*river.PeriodicJob {
	if len(a.directory.Orgs) == 0 {
		return nil
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cases.DiscoverCheck), func() (river.JobArgs, *river.InsertOpts) {
		return cases.DiscoverArgs{}, nil
	}, &river.PeriodicJobOpts{RunOnStart: true})}
}
