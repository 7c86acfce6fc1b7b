package alertsbench

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// BenchmarkSearch times GET /api/v1/alerts?q= searches (alerts.Service.List
// with a Search) over BENCH_SEARCH_ALERTS (default 100,000) stored alerts
// in four languages: each query 20 times, newest 50 results, median and
// p95 reported per query.
func BenchmarkSearch(b *testing.B) {
	n := envInt("BENCH_SEARCH_ALERTS", 100000)
	queries := []string{"disk", "ディスク 95%", "host:web-7", "label:env=prod timeout", "磁盘 -host:web-1", "nothing-matches-this"}
	for _, engine := range engines() {
		b.Run(engine, func(b *testing.B) {
			cfg, err := config.Parse([]byte("database: " + storetest.DatabaseURL(b, engine) + "\ndata_dir: " + b.TempDir() + "\nlog_level: warn\n"))
			if err != nil {
				b.Fatal(err)
			}
			srv := apptest.StartWith(b, cfg, nil, func(o *app.Options) {})
			st := srv.App.St
			ctx := context.Background()
			summaries := []string{"Disk full on /var", "ディスク使用率が 95% を超えました", "磁盘空间不足", "디스크 공간 부족", "CPU high", "HTTP 5xx rate", "connection timeout to RDS"}
			began := time.Now()
			const batch = 500
			for i := 0; i < n; i += batch {
				var sb strings.Builder
				var args []any
				sb.WriteString(`INSERT INTO alerts (system, policy, source, dedup_key, status, summary, severity, host, service, labels, received_at, last_seen_at, updated_at) VALUES `)
				for j := i; j < min(i+batch, n); j++ {
					if j > i {
						sb.WriteByte(',')
					}
					sb.WriteString(`(?, ?, 'native', ?, 'resolved', ?, 'critical', ?, ?, ?, ?, ?, ?)`)
					env := []string{"prod", "stg", "dev"}[j%3]
					at := int64(1_700_000_000_000 + j*1000)
					args = append(args, "web", "web", fmt.Sprintf("k%d", j), fmt.Sprintf("%s #%d", summaries[j%len(summaries)], j),
						fmt.Sprintf("web-%d", j%50), []string{"disk", "cpu", "http"}[j%3], `{"env":"`+env+`","team":"infra"}`, at, at, at)
				}
				if _, err := st.W.ExecContext(ctx, st.Q(sb.String()), args...); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("%s: %d alerts stored in %.1f s", engine, n, time.Since(began).Seconds())
			svc := srv.App.Alerts()
			b.ResetTimer()
			for _, q := range queries {
				s, err := alerts.ParseSearch(q)
				if err != nil {
					b.Fatal(err)
				}
				var times []time.Duration
				var found int
				for range 20 {
					t0 := time.Now()
					list, err := svc.List(ctx, alerts.Filter{Search: s, Limit: 50})
					if err != nil {
						b.Fatal(err)
					}
					times = append(times, time.Since(t0))
					found = len(list)
				}
				sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
				b.Logf("%s %q: %d shown, median %.1f ms, p95 %.1f ms", engine, q, found, ms(times[len(times)/2]), ms(times[len(times)*95/100]))
			}
		})
	}
}
