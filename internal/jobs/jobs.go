// Package jobs is opsdesk's durable job queue: River, on whichever engine the
// store uses. River's client is generic over the driver's transaction type
// (*sql.Tx for SQLite, pgx.Tx for PostgreSQL); Queue hides that so domain
// packages depend on one small interface.
package jobs

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/opsdesk/opsdesk/internal/store"
)

// Queue is the part of River that opsdesk uses.
type Queue interface {
	// Insert enqueues one job. inserted is false when a unique job with the
	// same key already exists.
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (inserted bool, err error)
	// InsertMany enqueues several jobs in one transaction.
	InsertMany(ctx context.Context, params []river.InsertManyParams) error
	// Start begins working jobs (only when built with workers).
	Start(ctx context.Context) error
	// Stop waits for running jobs to finish until ctx ends, then cancels
	// them so they are handed back for another process to run.
	Stop(ctx context.Context) error
	// Stats counts jobs by kind and state.
	Stats(ctx context.Context) ([]Stat, error)
}

// Stat is a number of jobs of one kind in one state.
type Stat struct {
	Kind  string
	State string
	Count int64
}

// Queues by kind of work. Each has its own workers, so that no kind can
// take another's: a question to a hanging Teams URL never delays a case
// sync, and nothing delays a phone call (the escalation engine runs apart
// from River, see internal/alerts). Deliveries have one queue per
// destination (DestinationQueue).
const (
	// QueueAlerts: alert notifications to destinations, and wake-ups of
	// the escalation engine queued by older releases.
	QueueAlerts = "alerts"
	// QueueEvents: the actions of matched event rules.
	QueueEvents = "events"
	// QueueChat: chat commands and the chat outbox.
	QueueChat = "chat"
	// QueueCases: Support case sync and the search index rebuild.
	QueueCases = "cases"
	// QueueMaintenance: periodic sweeps and clean-ups.
	QueueMaintenance = "maintenance"
	// QueueDefault holds jobs queued by releases before queues were split;
	// they are still worked.
	QueueDefault = river.QueueDefault
)

// DestinationQueue is the queue of deliveries to one destination: its
// name, made safe for River (letters, digits, '_' and '-', at most 64
// characters) and kept distinct by a hash of the original name.
func DestinationQueue(dest string) string {
	var b strings.Builder
	b.WriteString("dest")
	sep := true // a separator is due before the next letter or digit
	for _, r := range strings.ToLower(dest) {
		if b.Len() >= 45 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if sep {
				b.WriteByte('_')
				sep = false
			}
			b.WriteRune(r)
		} else {
			sep = true
		}
	}
	sum := sha256.Sum256([]byte(dest))
	b.WriteByte('_')
	b.WriteString(hex.EncodeToString(sum[:4]))
	return b.String()
}

// Options configures a Queue.
type Options struct {
	// ID names this process in River (its client id): the id this replica
	// heartbeats under, so that the jobs of a replica that died can be
	// found and handed to the others. Empty: River makes one up.
	ID string
	// Workers are the registered workers; nil builds an insert-only queue
	// (used by CLI commands).
	Workers *river.Workers
	// Periodic jobs run by the elected leader.
	Periodic []*river.PeriodicJob
	// Concurrency is the number of jobs worked at once in the default queue.
	Concurrency int
	// Queues are the other queues worked, with their number of workers.
	Queues map[string]int
	// JobTimeout bounds one job run.
	JobTimeout time.Duration
	// SoftStop is how long Stop lets running jobs finish before it
	// cancels them (their workers hand them back; River makes them
	// available again without counting an attempt). 0: until Stop's
	// context ends.
	SoftStop time.Duration
	// RescueAfter is how long a job may stay "running" before it is
	// considered abandoned by a dead process and made available again.
	RescueAfter time.Duration
	// FetchPollInterval is how often the queue is polled for new jobs when no
	// notification arrives (SQLite has none, so this bounds pickup latency).
	FetchPollInterval time.Duration
	Logger            *slog.Logger
}

// New builds the queue on the store's engine.
func New(st *store.Store, o Options) (Queue, error) {
	cfg := &river.Config{
		Logger:               o.Logger,
		JobTimeout:           o.JobTimeout,
		RescueStuckJobsAfter: o.RescueAfter,
		FetchPollInterval:    o.FetchPollInterval,
		// River sends at most one insert notification per queue per
		// cooldown: a job inserted later within it waits for the next poll
		// (a second on PostgreSQL). And queues have few workers (a
		// destination's has a handful): with River's default cooldown a
		// queue would fetch new jobs only every 100 ms however fast its
		// jobs finish. A short cooldown keeps both small.
		FetchCooldown:               min(o.FetchPollInterval, 5*time.Millisecond),
		PeriodicJobs:                o.Periodic,
		CompletedJobRetentionPeriod: 24 * time.Hour,
		MaxAttempts:                 25,
		SoftStopTimeout:             o.SoftStop,
		// A replica fetches only the kinds it has workers for: during a
		// rolling upgrade an older replica leaves a newer kind of job to
		// the newer replicas instead of failing it.
		FetchOnlyKnownKinds: true,
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Workers != nil {
		cfg.Workers = o.Workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(o.Concurrency, 1)}}
		for name, n := range o.Queues {
			cfg.Queues[name] = river.QueueConfig{MaxWorkers: max(n, 1)}
		}
	}
	cfg.ID = o.ID
	if cfg.FetchPollInterval == 0 {
		cfg.FetchPollInterval = time.Second
		cfg.FetchCooldown = 5 * time.Millisecond
	}
	switch st.Engine {
	case store.SQLite:
		return newQueue[*sql.Tx](riversqlite.New(st.W), st, cfg)
	case store.Postgres:
		return newQueue[pgx.Tx](riverpgxv5.New(st.Pool), st, cfg)
	}
	return nil, fmt.Errorf("jobs: unknown engine %q", st.Engine)
}

// Migrate applies River's own schema migrations.
func Migrate(ctx context.Context, st *store.Store) error {
	var err error
	switch st.Engine {
	case store.SQLite:
		err = migrate[*sql.Tx](ctx, riversqlite.New(st.W))
	case store.Postgres:
		err = migrate[pgx.Tx](ctx, riverpgxv5.New(st.Pool))
	}
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

// Pending reports whether River migrations are outstanding.
func Pending(ctx context.Context, st *store.Store) (bool, error) {
	var (
		res *rivermigrate.ValidateResult
		err error
	)
	switch st.Engine {
	case store.SQLite:
		res, err = validate[*sql.Tx](ctx, riversqlite.New(st.W))
	case store.Postgres:
		res, err = validate[pgx.Tx](ctx, riverpgxv5.New(st.Pool))
	}
	if err != nil {
		return false, fmt.Errorf("jobs: validate migrations: %w", err)
	}
	return !res.OK, nil
}

func migrate[TTx any](ctx context.Context, d riverdriver.Driver[TTx]) error {
	m, err := rivermigrate.New(d, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

func validate[TTx any](ctx context.Context, d riverdriver.Driver[TTx]) (*rivermigrate.ValidateResult, error) {
	m, err := rivermigrate.New(d, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	return m.Validate(ctx, nil)
}

type queue[TTx any] struct {
	c  *river.Client[TTx]
	st *store.Store
}

func newQueue[TTx any](d riverdriver.Driver[TTx], st *store.Store, cfg *river.Config) (Queue, error) {
	c, err := river.NewClient(d, cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: new client: %w", err)
	}
	return &queue[TTx]{c: c, st: st}, nil
}

func (q *queue[TTx]) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (bool, error) {
	res, err := q.c.Insert(ctx, args, opts)
	if err != nil {
		return false, fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

func (q *queue[TTx]) InsertMany(ctx context.Context, params []river.InsertManyParams) error {
	if len(params) == 0 {
		return nil
	}
	if _, err := q.c.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("jobs: insert %d jobs: %w", len(params), err)
	}
	return nil
}

func (q *queue[TTx]) Start(ctx context.Context) error {
	if q.st.Engine == store.SQLite {
		// An embedded database belongs to one process: a job still marked
		// running was interrupted by a crash of that process. Hand it back
		// now instead of waiting for the rescuer's timeout.
		if _, err := q.st.W.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`); err != nil {
			return fmt.Errorf("jobs: recover interrupted jobs: %w", err)
		}
	}
	if err := q.c.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop stops working jobs: River lets running jobs finish for SoftStop,
// then cancels them (a soft stop that turns hard by itself). If ctx ends
// first, the remaining jobs are cancelled at once.
func (q *queue[TTx]) Stop(ctx context.Context) error {
	err := q.c.Stop(ctx)
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		return q.c.StopAndCancel(cctx)
	}
	return err
}

func (q *queue[TTx]) Stats(ctx context.Context) ([]Stat, error) {
	rows, err := q.st.R.QueryContext(ctx, `SELECT kind, state, count(*) FROM river_job GROUP BY kind, state`)
	if err != nil {
		return nil, fmt.Errorf("jobs: stats: %w", err)
	}
	defer rows.Close()
	var out []Stat
	for rows.Next() {
		var s Stat
		if err := rows.Scan(&s.Kind, &s.State, &s.Count); err != nil {
			return nil, fmt.Errorf("jobs: stats: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// In returns opts (nil: none) with the queue set.
func In(queue string, opts *river.InsertOpts) river.InsertOpts {
	var o river.InsertOpts
	if opts != nil {
		o = *opts
	}
	o.Queue = queue
	return o
}

// UniqueByArgs is the insert option for jobs that must exist at most once
// for the same arguments while not finished.
func UniqueByArgs() *river.InsertOpts {
	return &river.InsertOpts{UniqueOpts: river.UniqueOpts{
		ByArgs: true,
		ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStateCompleted, rivertype.JobStatePending,
			rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled,
		},
	}}
}

// UniqueWhileActive is the insert option for jobs that must not be queued
// twice while one is waiting or running, but may run again once it is done
// (a sync requested again after the last one finished).
func UniqueWhileActive() *river.InsertOpts {
	return &river.InsertOpts{UniqueOpts: river.UniqueOpts{
		ByArgs: true,
		ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled,
		},
	}}
}
