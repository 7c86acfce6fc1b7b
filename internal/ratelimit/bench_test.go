package ratelimit

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
)

// BenchmarkAllow measures one decision with many requests in flight at
// once (64 goroutines on this machine's 2 cores: an HTTP server under
// load), each for a new or recent address, so that every request is
// decided by PostgreSQL: the limit is 60/min with a burst no test reaches.
//
//	go test -run '^$' -bench Allow -benchmem ./internal/ratelimit/
func BenchmarkAllow(b *testing.B) {
	lim := PerMinute(60, 1<<30)
	b.Run("memory", func(b *testing.B) {
		runParallel(b, NewMemory(lim, Options{}), nil)
	})
	for _, tc := range []struct {
		name   string
		single bool
	}{{"postgres-batched", false}, {"postgres-single", true}} {
		b.Run(tc.name, func(b *testing.B) {
			sts := replicas(b, 1)
			d := NewDB(sts[0].Pool, "bench", lim, Options{})
			d.single = tc.single
			runParallel(b, d, d)
		})
	}
	// One address flooding: after the first refusal the replica answers
	// from its refusal cache.
	b.Run("postgres-flood", func(b *testing.B) {
		sts := replicas(b, 1)
		d := NewDB(sts[0].Pool, "bench", PerMinute(1, 1), Options{})
		b.SetParallelism(32)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := d.Allow(context.Background(), "203.0.113.5"); err != nil {
					b.Error(err)
				}
			}
		})
		b.ReportMetric(float64(d.statements.Load())/float64(b.N), "stmts/op")
	})
}

func runParallel(b *testing.B, l Limiter, d *DB) {
	var seq atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := "2001:db8:" + strconv.FormatInt(seq.Add(1)%10000, 10)
			ok, _, err := l.Allow(context.Background(), key)
			if err != nil || !ok {
				b.Errorf("refused: %v", err)
				return
			}
		}
	})
	if d != nil {
		b.ReportMetric(float64(d.statements.Load())/float64(b.N), "stmts/op")
	}
}
