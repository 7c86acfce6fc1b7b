package cases

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/jobs"
)

// DiscoverArgs discovers every organization whose refresh is due.
// Periodic; unique while queued or running. Several replicas running it at
// once is harmless too: a discovery writes what AWS listed, idempotently.
type DiscoverArgs struct{}

// Kind implements river.JobArgs.
func (DiscoverArgs) Kind() string { return "case_org_discover" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (DiscoverArgs) InsertOpts() river.InsertOpts {
	return jobs.In(jobs.QueueCases, jobs.UniqueWhileActive())
}

// DiscoverWorker runs DiscoverArgs, then queues a sync of every account so
// that a new member is archived without waiting for the next period.
type DiscoverWorker struct {
	river.WorkerDefaults[DiscoverArgs]
	Directory *Directory
	Queue     jobs.Queue
	Log       *slog.Logger
}

// Timeout implements river.Worker.
func (w *DiscoverWorker) Timeout(*river.Job[DiscoverArgs]) time.Duration { return SyncTimeout }

// Work implements river.Worker.
func (w *DiscoverWorker) Work(ctx context.Context, _ *river.Job[DiscoverArgs]) error {
	before, err := w.Directory.Names(ctx)
	if err != nil {
		return err
	}
	// A failed organization is recorded and shown; the others are done.
	// Not retried: the next period tries again.
	_ = w.Directory.DiscoverDue(ctx, false)
	after, err := w.Directory.Names(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, n := range before {
		known[n] = true
	}
	var params []river.InsertManyParams
	for _, n := range after {
		if !known[n] {
			params = append(params, river.InsertManyParams{Args: SyncArgs{Account: n}})
		}
	}
	if len(params) == 0 || w.Queue == nil {
		return nil
	}
	w.Log.Info("organization discovery: new accounts to archive", "accounts", len(params))
	return w.Queue.InsertMany(ctx, params)
}

// DiscoverCheck is how often the discovery job looks for an organization
// whose refresh is due (refresh is at least a minute).
const DiscoverCheck = time.Minute
