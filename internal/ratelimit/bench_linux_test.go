//go:build linux

package ratelimit

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// BenchmarkAllowAt2000PerSecond is the cost of the limit at the question
// intake's target rate: an open loop sends 2,000 decisions a second (each
// for one of 20,000 addresses, all allowed), whatever the earlier ones are
// doing, and reports per decision the CPU time of this process ("go-cpu",
// load generator included: compare with "none", which decides nothing),
// of the PostgreSQL backends serving the pool ("pg-cpu"), the statements
// sent and the mean latency. ns/op is the schedule (500 µs), not a cost.
//
//	go test -run '^$' -bench At2000 ./internal/ratelimit/
func BenchmarkAllowAt2000PerSecond(b *testing.B) {
	const rate = 2000
	for _, mode := range []string{"none", "postgres-batched", "postgres-single"} {
		b.Run(mode, func(b *testing.B) {
			sts := replicas(b, 1)
			d := NewDB(sts[0].Pool, "bench", PerMinute(60, 1<<30), Options{})
			d.single = mode == "postgres-single"
			var l Limiter = d
			if mode == "none" {
				l = NewMemory(Limit{}, Options{})
			}
			pids := backends(b, sts[0].Pool)
			var wg sync.WaitGroup
			var mu sync.Mutex
			var latency time.Duration
			b.ResetTimer()
			pg0, go0 := pgCPU(pids), selfCPU()
			start := time.Now()
			for i := range b.N {
				time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / rate)))
				wg.Go(func() {
					t0 := time.Now()
					if ok, _, err := l.Allow(context.Background(), "198.51."+strconv.Itoa(i%20000)); !ok || err != nil {
						b.Errorf("refused: %v", err)
					}
					mu.Lock()
					latency += time.Since(t0)
					mu.Unlock()
				})
			}
			wg.Wait()
			b.StopTimer()
			n := float64(b.N)
			b.ReportMetric(float64((selfCPU()-go0).Microseconds())/n, "go-cpu-µs/op")
			b.ReportMetric(float64((pgCPU(pids)-pg0).Microseconds())/n, "pg-cpu-µs/op")
			b.ReportMetric(float64(d.statements.Load())/n, "stmts/op")
			b.ReportMetric(float64(latency.Microseconds())/n, "latency-µs/op")
		})
	}
}

// backends opens every connection of the pool and returns their server
// processes.
func backends(b *testing.B, pool *pgxpool.Pool) []int {
	var conns []*pgxpool.Conn
	for range pool.Config().MaxConns {
		c, err := pool.Acquire(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
	}
	var pids []int
	for _, c := range conns {
		pids = append(pids, int(c.Conn().PgConn().PID()))
		c.Release()
	}
	return pids
}

// pgCPU is the CPU time the processes have used (/proc/PID/stat: utime +
// stime, in clock ticks of 10 ms).
func pgCPU(pids []int) time.Duration {
	var ticks int64
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
