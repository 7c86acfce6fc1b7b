// Package cases_bench measures the Support case archive (issue 3): a full
// sync against the fake Support API, an incremental sync, and search
// latency over a large archive. Run with bench/cases/run.sh; these are
// benchmarks, not tests, and take minutes.
package cases_bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opsdesk/opsdesk/internal/aws/support"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// engines are storetest.Engines(), or those listed in ENGINES
// ("sqlite,postgres").
func engines() []string {
	if v := os.Getenv("ENGINES"); v != "" {
		return strings.Split(v, ",")
	}
	return storetest.Engines()
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func client(b *testing.B, f *fake.Support) *support.Client {
	c, err := support.New(support.Options{
		Credentials: f.CredentialsProvider(), Endpoint: f.URL(),
		LookupEnv:  func(string) (string, bool) { return "", false },
		HTTPClient: &http.Client{Timeout: 30 * time.Second}, RetryMode: aws.RetryModeStandard,
	})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkSync: full sync of CASES (5,000) cases × 12 messages, then an
// incremental sync with 50 open cases and nothing new.
func BenchmarkSync(b *testing.B) {
	n := envInt("CASES", 5000)
	for _, engine := range engines() {
		b.Run(engine, func(b *testing.B) {
			for range b.N {
				ctx := context.Background()
				f := fake.NewSupport(b)
				data := fake.SupportGen{Cases: n, Seed: 1, Communications: 12, NoAttachments: true}.Generate()
				open := 0
				for i := range data {
					if open < 50 {
						data[i].Status = "work-in-progress"
						open++
					} else {
						data[i].Status = "resolved"
					}
				}
				f.Load(data)
				st := storetest.New(b, engine)
				sy := &cases.Syncer{Store: cases.NewStore(st), Dir: b.TempDir(), Overlap: 24 * time.Hour, ResolvedRepoll: 0, FullCheck: 7 * 24 * time.Hour}
				acct := cases.Account{Name: "prod", Languages: []string{"en", "ja", "zh", "ko"}, Client: client(b, f)}
				begin := time.Now()
				res, err := sy.Sync(ctx, acct, time.Time{})
				if err != nil {
					b.Fatal(err)
				}
				full := time.Since(begin)
				fullCalls := f.TotalCalls()
				f.ResetCalls()
				begin = time.Now()
				if _, err := sy.Sync(ctx, acct, time.Time{}); err != nil {
					b.Fatal(err)
				}
				inc := time.Since(begin)
				b.ReportMetric(full.Seconds(), "full-sync-s")
				b.ReportMetric(float64(fullCalls), "full-sync-calls")
				b.ReportMetric(inc.Seconds()*1000, "incr-sync-ms")
				b.ReportMetric(float64(f.TotalCalls()), "incr-sync-calls")
				fmt.Fprintf(os.Stderr, "%s: full sync of %d cases, %d messages: %s, %d API calls %v; incremental (50 open): %s, %d calls %v\n",
					engine, res.CasesSeen, res.Communications, full.Round(time.Millisecond), fullCalls, "", inc.Round(time.Millisecond), f.TotalCalls(), f.CallCounts())
			}
		})
	}
}

// BenchmarkSearch: p50/p95 of searches over SEARCH_CASES (20,000) cases ×
// 12 messages (240,000), loaded with the importer.
func BenchmarkSearch(b *testing.B) {
	n := envInt("SEARCH_CASES", 20000)
	data := fake.SupportGen{Cases: n, Seed: 2, Communications: 12, NoAttachments: true}.Generate()
	cs := make([]support.CaseDetails, len(data))
	comms := make([][]support.Communication, len(data))
	for i, c := range data {
		cs[i] = support.CaseDetails{CaseID: c.CaseID, DisplayID: c.DisplayID, Subject: c.Subject, Status: c.Status, ServiceCode: c.ServiceCode,
			CategoryCode: c.CategoryCode, SeverityCode: c.SeverityCode, SubmittedBy: c.SubmittedBy, Language: c.Language, TimeCreated: support.FormatTime(c.TimeCreated)}
		for _, m := range c.Communications {
			comms[i] = append(comms[i], support.Communication{CaseID: c.CaseID, Body: m.Body, SubmittedBy: m.SubmittedBy, TimeCreated: support.FormatTime(m.TimeCreated)})
		}
	}
	for _, engine := range engines() {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			st := storetest.New(b, engine)
			s := cases.NewStore(st)
			begin := time.Now()
			for i := 0; i < len(cs); i += 1000 {
				j := min(i+1000, len(cs))
				if _, err := s.Import(ctx, "prod", "", cs[i:j], comms[i:j], time.Now()); err != nil {
					b.Fatal(err)
				}
			}
			if st.Engine == store.Postgres {
				if _, err := st.W.Exec(`ANALYZE`); err != nil {
					b.Fatal(err)
				}
			}
			fmt.Fprintf(os.Stderr, "%s: loaded %d cases in %s\n", engine, len(cs), time.Since(begin).Round(time.Second))
			for qi, q := range searchQueries {
				var ds []time.Duration
				hits := 0
				for range 40 {
					t0 := time.Now()
					h, err := s.List(ctx, cases.Filter{Q: q, Limit: 50})
					if err != nil {
						b.Fatal(err)
					}
					ds = append(ds, time.Since(t0))
					hits = len(h)
				}
				slices.Sort(ds)
				p50, p95 := ds[len(ds)/2], ds[len(ds)*95/100]
				fmt.Fprintf(os.Stderr, "%s: search %-16s p50 %6.1f ms  p95 %6.1f ms  (%d hits shown)\n", engine, q, ms(p50), ms(p95), hits)
				b.ReportMetric(ms(p95), fmt.Sprintf("p95-ms-q%d", qi+1))
			}
		})
	}
}

// searchQueries: 2-character Japanese, Chinese and Korean words, an
// English phrase and an English word that the generated archive contains.
var searchQueries = []string{"障害", "故障", "장애", `"root cause analysis"`, "outage"}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
