package chatops

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/jobs"
)

// DingTalkArgs is one DingTalk message to run. It carries the message, so
// the handler commits nothing but the job; unique by msgId, so DingTalk
// delivering the same message twice runs it once.
type DingTalkArgs struct {
	MsgID string   `json:"msg_id" river:"unique"`
	Msg   Callback `json:"msg"`
	// ReceivedAt is when the callback arrived (Unix ms).
	ReceivedAt int64 `json:"received_at"`
}

// Kind implements river.JobArgs.
func (DingTalkArgs) Kind() string { return "chat_dingtalk" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (DingTalkArgs) InsertOpts() river.InsertOpts {
	o := jobs.UniqueByArgs()
	o.MaxAttempts = commandAttempts
	return jobs.In(jobs.QueueChat, o)
}

// SlackArgs is one slash command to run, unique by its trigger id.
type SlackArgs struct {
	ID         string       `json:"id" river:"unique"`
	Cmd        SlashCommand `json:"cmd"`
	ReceivedAt int64        `json:"received_at"`
}

// Kind implements river.JobArgs.
func (SlackArgs) Kind() string { return "chat_slack" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SlackArgs) InsertOpts() river.InsertOpts {
	o := jobs.UniqueByArgs()
	o.MaxAttempts = commandAttempts
	return jobs.In(jobs.QueueChat, o)
}

// commandAttempts bounds the retries of a command whose database work
// failed; the last attempt answers anyway.
const commandAttempts = 5

// CommandTimeout bounds one run of a command (a create makes up to four
// Support API calls and syncs the case). It stays below the queue's
// rescue time, after which another replica would take the job over.
const CommandTimeout = time.Minute

// DingTalkWorker runs DingTalkArgs.
type DingTalkWorker struct {
	river.WorkerDefaults[DingTalkArgs]
	Svc *Service
}

// Timeout implements river.Worker.
func (w *DingTalkWorker) Timeout(*river.Job[DingTalkArgs]) time.Duration { return CommandTimeout }

// Work implements river.Worker.
func (w *DingTalkWorker) Work(ctx context.Context, job *river.Job[DingTalkArgs]) error {
	return w.Svc.HandleDingTalk(ctx, job.Args, job.Attempt >= job.MaxAttempts)
}

// SlackWorker runs SlackArgs.
type SlackWorker struct {
	river.WorkerDefaults[SlackArgs]
	Svc *Service
}

// Timeout implements river.Worker.
func (w *SlackWorker) Timeout(*river.Job[SlackArgs]) time.Duration { return CommandTimeout }

// Work implements river.Worker.
func (w *SlackWorker) Work(ctx context.Context, job *river.Job[SlackArgs]) error {
	return w.Svc.HandleSlack(ctx, job.Args, job.Attempt >= job.MaxAttempts)
}

// SendArgs sends the messages of one outbox queue. One is inserted per
// message queued (Row), so a queue always has a job while it has
// messages; a job sends whatever is oldest.
type SendArgs struct {
	Queue string `json:"queue"`
	Row   int64  `json:"row"`
}

// Kind implements river.JobArgs.
func (SendArgs) Kind() string { return "chat_send" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SendArgs) InsertOpts() river.InsertOpts {
	return jobs.In(jobs.QueueChat, jobs.UniqueWhileActive())
}

// SendWorker runs SendArgs.
type SendWorker struct {
	river.WorkerDefaults[SendArgs]
	Outbox *Outbox
}

// sendsPerRun and sendRunTime bound one run: it makes way for other jobs
// and stays well within its timeout (one send takes at most 20 s).
const (
	sendsPerRun = 10
	sendRunTime = 30 * time.Second
)

// Timeout implements river.Worker.
func (w *SendWorker) Timeout(*river.Job[SendArgs]) time.Duration { return time.Minute }

// Work implements river.Worker: it sends until the queue is empty, or its
// bucket is full (then it snoozes until a slot frees), or it has run long
// enough.
func (w *SendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	begin := time.Now()
	for i := 0; i < sendsPerRun && time.Since(begin) < sendRunTime; i++ {
		res, err := w.Outbox.SendNext(ctx, job.Args.Queue)
		if err != nil {
			return err
		}
		if res.ID != 0 {
			continue
		}
		if res.Wait > 0 {
			wait := res.Wait
			if m := w.Outbox.SnoozeMax; m > 0 {
				wait = min(wait, m)
			}
			return river.JobSnooze(wait)
		}
		return nil
	}
	return river.JobSnooze(0)
}

// UpdatesArgs looks for case updates to announce: of every followed case
// (periodic), or of one case (right after it was synced).
type UpdatesArgs struct {
	Account string `json:"account,omitempty"`
	CaseID  string `json:"case_id,omitempty"`
	// Reason tells requests apart, so that a sync finishing while a check
	// of the same case runs still gets its own check.
	Reason string `json:"reason,omitempty"`
}

// Kind implements river.JobArgs.
func (UpdatesArgs) Kind() string { return "chat_updates" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (UpdatesArgs) InsertOpts() river.InsertOpts {
	return jobs.In(jobs.QueueChat, jobs.UniqueWhileActive())
}

// UpdatesWorker runs UpdatesArgs.
type UpdatesWorker struct {
	river.WorkerDefaults[UpdatesArgs]
	Updater *Updater
}

// Timeout implements river.Worker: the first check of a large archive
// records every case; a run cut short continues in the next.
func (w *UpdatesWorker) Timeout(*river.Job[UpdatesArgs]) time.Duration { return time.Minute }

// Work implements river.Worker.
func (w *UpdatesWorker) Work(ctx context.Context, job *river.Job[UpdatesArgs]) error {
	_, err := w.Updater.Check(ctx, job.Args.Account, job.Args.CaseID)
	return err
}

// SweepArgs is the periodic upkeep: send jobs for messages whose job was
// lost, and forgetting what is no longer needed.
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "chat_sweep" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SweepArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueMaintenance} }

// SweepWorker runs SweepArgs.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Outbox *Outbox
	Store  *Store
	// Grace is how long a due message may wait for its job before the
	// sweeper queues another.
	Grace time.Duration
	// Keep is how long sent messages are kept.
	Keep time.Duration
	Log  *slog.Logger
}

// Work implements river.Worker.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	n, err := w.Outbox.Sweep(ctx, w.Grace)
	if err != nil {
		return err
	}
	if n > 0 && w.Log != nil {
		w.Log.Info("chat: re-queued messages waiting without a job", "queues", n)
	}
	return w.Store.Prune(ctx, w.Keep)
}
