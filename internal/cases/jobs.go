package cases

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/jobs"
)

// SyncArgs syncs one account. Unique per account: a sync already queued or
// running absorbs another request.
type SyncArgs struct {
	Account string `json:"account"`
}

// Kind implements river.JobArgs.
func (SyncArgs) Kind() string { return "case_sync" }

// InsertOpts makes the job unique while it is queued or running, so that a
// button pressed twice or a period that comes round during a long first
// sync adds nothing; once it finished, the next request syncs again.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return jobs.In(jobs.QueueCases, jobs.UniqueWhileActive())
}

// SyncChunk bounds one run of a sync job; longer syncs continue in the
// next run, so a job never holds its lease for long (see RescueAfter).
const SyncChunk = 20 * time.Second

// SyncTimeout is the job timeout of a sync run.
const SyncTimeout = 45 * time.Second

// SyncWorker runs SyncArgs.
type SyncWorker struct {
	river.WorkerDefaults[SyncArgs]
	Syncer   *Syncer
	Accounts map[string]Account
	// Directory, when set, resolves the account instead of Accounts
	// (configured and discovered accounts) and records each run's result.
	Directory *Directory
	Log       *slog.Logger
}

// Timeout implements river.Worker.
func (w *SyncWorker) Timeout(*river.Job[SyncArgs]) time.Duration { return SyncTimeout }

// Work implements river.Worker.
func (w *SyncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	var acct Account
	var res *Result
	var err error
	if w.Directory != nil {
		var ok bool
		acct.Name = job.Args.Account
		res, ok, err = w.Directory.Sync(ctx, w.Syncer, job.Args.Account, time.Now().Add(SyncChunk))
		if err == nil && !ok {
			w.Log.Warn("case sync for an account no longer configured or discovered", "account", job.Args.Account)
			return nil
		}
		if FailureKind(err) == FailAssumeRole {
			// Recorded for the console; retrying cannot help until the
			// member role's trust policy changes. The next period tries
			// again.
			w.Log.Warn("case sync: cannot assume the member role", "account", acct.Name, "error", err)
			return nil
		}
	} else {
		var ok bool
		acct, ok = w.Accounts[job.Args.Account]
		if !ok {
			w.Log.Warn("case sync for an account no longer configured", "account", job.Args.Account)
			return nil
		}
		res, err = w.Syncer.Sync(ctx, acct, time.Now().Add(SyncChunk))
	}
	if errors.Is(err, ErrNoSupportPlan) {
		// Retrying cannot help until the plan changes; the next period
		// tries again.
		w.Log.Warn("case sync: the account has no Business or Enterprise support plan", "account", acct.Name)
		return nil
	}
	if err != nil {
		return err
	}
	w.Log.Info("case sync", "account", acct.Name, "cases", res.CasesSeen, "new", res.CasesNew, "changed", res.CasesChanged,
		"gone", res.CasesGone, "messages", res.Communications, "attachments", res.Attachments, "more", res.More, "ms", res.Took.Milliseconds())
	for _, f := range res.Failures {
		w.Log.Warn("case sync", "account", acct.Name, "problem", f)
	}
	if res.More {
		return river.JobSnooze(0)
	}
	return nil
}

// SyncAllArgs is the periodic job that queues a sync of every account.
type SyncAllArgs struct{}

// Kind implements river.JobArgs.
func (SyncAllArgs) Kind() string { return "case_sync_all" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SyncAllArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueCases} }

// SyncAllWorker queues one SyncArgs per account. One account failing
// never stops the others: each has its own job.
type SyncAllWorker struct {
	river.WorkerDefaults[SyncAllArgs]
	Queue    jobs.Queue
	Accounts []string
	// Names, when set, lists the accounts instead of Accounts (the
	// discovered ones change without a restart).
	Names func(context.Context) ([]string, error)
}

// Work implements river.Worker.
func (w *SyncAllWorker) Work(ctx context.Context, _ *river.Job[SyncAllArgs]) error {
	names := w.Accounts
	if w.Names != nil {
		var err error
		if names, err = w.Names(ctx); err != nil {
			return err
		}
	}
	if len(names) == 0 {
		return nil
	}
	var params []river.InsertManyParams
	for _, a := range names {
		params = append(params, river.InsertManyParams{Args: SyncArgs{Account: a}})
	}
	if err := w.Queue.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("cases: queue syncs: %w", err)
	}
	return nil
}

// SearchRebuildArgs indexes every case anew when a migration asked for it
// (periodic, run at start; a no-op otherwise).
type SearchRebuildArgs struct{}

// Kind implements river.JobArgs.
func (SearchRebuildArgs) Kind() string { return "case_search_rebuild" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SearchRebuildArgs) InsertOpts() river.InsertOpts {
	return jobs.In(jobs.QueueCases, jobs.UniqueWhileActive())
}

// SearchRebuildWorker runs SearchRebuildArgs.
type SearchRebuildWorker struct {
	river.WorkerDefaults[SearchRebuildArgs]
	Store *Store
	Log   *slog.Logger
}

// Timeout implements river.Worker.
func (w *SearchRebuildWorker) Timeout(*river.Job[SearchRebuildArgs]) time.Duration {
	return SyncTimeout
}

// Work implements river.Worker.
func (w *SearchRebuildWorker) Work(ctx context.Context, _ *river.Job[SearchRebuildArgs]) error {
	// Chunks of SyncChunk, like a sync, so that the job never holds its
	// lease long; progress is in the database.
	n, more, err := w.Store.RebuildSearch(ctx, time.Now().Add(SyncChunk), nil)
	if err != nil {
		return err
	}
	if n > 0 {
		w.Log.Info("case search index: rebuilding", "cases", n, "more", more)
	}
	if more {
		return river.JobSnooze(0)
	}
	return nil
}
