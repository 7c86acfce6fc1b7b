package main

// BenchmarkSubmit drives internal/intake directly (no HTTP, no delivery
// workers) to separate the cost of storing a question from the cost of
// enqueueing its delivery jobs in River. Run with, e.g.:
//
//	go test ./bench/intake -run '^$' -bench Submit -benchtime 20000x -cpuprofile /tmp/submit.pprof
//
// Variants per engine:
//
//	routes=0                 question row only (what "no routes" measures end to end)
//	routes=3/queue=nop       question + 3 delivery rows, no wake-up jobs
//	routes=3/queue=river     question + 3 delivery rows + the product's wake-up
//	                         jobs (delivery.JobParams: one per delivery before
//	                         commit 51a40be, one per question since)
//	routes=3/queue=river-1-per-batch  same rows, one job per group commit
//
// The last one only estimates what one wake-up job per commit would gain on
// the intake side; nothing works those jobs here.

import (
	"context"
	"fmt"
	"testing"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/intake"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// nopQueue accepts and drops jobs.
type nopQueue struct{}

func (nopQueue) Insert(context.Context, river.JobArgs, *river.InsertOpts) (bool, error) {
	return true, nil
}
func (nopQueue) InsertMany(context.Context, []river.InsertManyParams) error { return nil }
func (nopQueue) Start(context.Context) error                                { return nil }
func (nopQueue) Stop(context.Context) error                                 { return nil }
func (nopQueue) Stats(context.Context) ([]jobs.Stat, error)                 { return nil, nil }

// thinQueue inserts only the first job of every InsertMany call: the cost
// of one wake-up job per group commit.
type thinQueue struct {
	jobs.Queue
	perBatch bool
}

func (t thinQueue) InsertMany(ctx context.Context, ps []river.InsertManyParams) error {
	if t.perBatch && len(ps) > 1 {
		ps = ps[:1]
	}
	return t.Queue.InsertMany(ctx, ps)
}

func BenchmarkSubmit(b *testing.B) {
	routes := []string{"sink-1", "sink-2", "sink-3"}
	variants := []struct {
		name   string
		routes []string
		river  bool
		thin   *thinQueue
	}{
		{"routes=0", nil, true, nil},
		{"routes=3/queue=nop", routes, false, nil},
		{"routes=3/queue=river", routes, true, nil},
		{"routes=3/queue=river-1-per-batch", routes, true, &thinQueue{perBatch: true}},
	}
	for _, engine := range storetest.Engines() {
		for _, v := range variants {
			b.Run(engine+"/"+v.name, func(b *testing.B) {
				ctx := context.Background()
				st, err := store.Open(ctx, storetest.DatabaseURL(b, engine))
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				if _, err := st.Migrate(ctx); err != nil {
					b.Fatal(err)
				}
				if err := jobs.Migrate(ctx, st); err != nil {
					b.Fatal(err)
				}
				var q jobs.Queue = nopQueue{}
				if v.river {
					// Insert-only client: no workers compete for the database.
					if q, err = jobs.New(st, jobs.Options{}); err != nil {
						b.Fatal(err)
					}
					if v.thin != nil {
						t := *v.thin
						t.Queue = q
						q = t
					}
				}
				svc := intake.New(st, q, intake.Options{Routes: v.routes})
				rctx, stop := context.WithCancel(ctx)
				done := make(chan struct{})
				go func() { defer close(done); svc.Run(rctx) }()
				defer func() { stop(); <-done }()

				bodies := questionBodies(64)
				inputs := make([]intake.Input, len(bodies))
				for i := range bodies {
					inputs[i] = intake.Input{Project: "AWS-101", Name: fmt.Sprintf("bench %d", i), Question: sampleTexts[i%len(sampleTexts)]}
				}
				meta := intake.Meta{SourceIP: "127.0.0.1", UserAgent: "opsdesk-bench/1", Lang: "ja"}
				b.SetParallelism(32) // 32 × GOMAXPROCS submitters, like C=64 over HTTP
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					i := 0
					for pb.Next() {
						if _, err := svc.Submit(ctx, inputs[i%len(inputs)], meta); err != nil {
							b.Error(err)
							return
						}
						i++
					}
				})
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "questions/s")
			})
		}
	}
}
