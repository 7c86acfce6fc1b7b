package app

import "context"

// chatModule builds the chat capability's module (nil: nothing to run yet).
func (a *App) chatModule(ctx context.Context) (module, error) { return nil, nil }
