package app

import "context"

// alertsModule builds the alerts capability's module (nil: nothing to run yet).
func (a *App) alertsModule(ctx context.Context) (module, error) { return nil, nil }
