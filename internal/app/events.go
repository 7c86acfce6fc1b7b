package app

import "context"

// eventsModule builds the events capability's module (nil: nothing to run yet).
func (a *App) eventsModule(ctx context.Context) (module, error) { return nil, nil }
