package app

import (
	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/ratelimit"
	"github.com/opsdesk/opsdesk/internal/store"
)

// rateLimiter builds one of the process's rate limits (intake, login):
// in memory on SQLite, whose database is this process's alone, and on
// PostgreSQL in the database, so that the replicas together keep to the
// configured rate (ratelimit.New). The PostgreSQL limiter decides on the
// database's clock unless a test gave the App a clock of its own.
func (a *App) rateLimiter(name string, l ratelimit.Limit) ratelimit.Limiter {
	now := a.now
	if a.St.Engine == store.Postgres {
		now = a.testNow
	}
	return ratelimit.New(a.St, name, l, ratelimit.Options{Now: now, Log: a.Log.With("component", "ratelimit")})
}

// connectLimiter is the Connect client's API rate: on PostgreSQL one
// bucket in the database for every replica calling the instance (Connect's
// quota is the account's, not a process's), on the database's clock and
// real timers; on SQLite the client's own bucket (nil).
func (a *App) connectLimiter(instanceID string) func(rate float64, burst int) connect.RateLimiter {
	if a.St.Engine != store.Postgres {
		return nil
	}
	return func(rate float64, burst int) connect.RateLimiter {
		l := ratelimit.New(a.St, "connect", ratelimit.PerSecond(rate, burst), ratelimit.Options{Log: a.Log.With("component", "ratelimit")})
		return ratelimit.Keyed{L: l, Key: instanceID}
	}
}
