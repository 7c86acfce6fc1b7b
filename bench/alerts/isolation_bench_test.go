package alertsbench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// BenchmarkIsolation is issue 10's first target: one question destination
// hangs for BENCH_HANG (default 40s, longer than the 15 s delivery timeout)
// with BENCH_BACKLOG (default 1,000) questions queued for it; then, for
// BENCH_DURATION (default 20s), a new alert every second and ten new
// questions a second. Measured: each alert's first call (202 →
// StartOutboundVoiceContact at the fake Connect) and each new question's
// delivery to the healthy destination (202 → received), and how many
// requests the hanging destination had in flight at most. opsdesk runs as
// a separate process (OPSDESK_BIN) with default settings.
func BenchmarkIsolation(b *testing.B) {
	hang := envDuration("BENCH_HANG", 40*time.Second)
	backlog := envInt("BENCH_BACKLOG", 1000)
	dur := envDuration("BENCH_DURATION", 20*time.Second)
	for _, engine := range engines() {
		b.Run(engine, func(b *testing.B) {
			cn := fake.NewConnect(b, fake.WithKeepAlive())
			cn.SetMaxConcurrent(0) // Connect's quota raised: only opsdesk is measured
			cn.SetDefault(fake.Answer("1"))
			var mu sync.Mutex
			called := map[string]time.Time{}
			cn.OnCall(func(c fake.ConnectCall) {
				mu.Lock()
				if _, ok := called[c.Attributes["host"]]; !ok {
					called[c.Attributes["host"]] = time.Now()
				}
				mu.Unlock()
			})
			// The destination that hangs: it answers after hang, or when
			// opsdesk gives up on the request.
			var inFlight, maxInFlight, slowRequests atomic.Int64
			slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// Read the body: only then does the server notice (in
				// r.Context()) that opsdesk gave up on the request.
				_, _ = io.Copy(io.Discard, r.Body)
				slowRequests.Add(1)
				n := inFlight.Add(1)
				for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
				}
				defer inFlight.Add(-1)
				select {
				case <-time.After(hang):
				case <-r.Context().Done():
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			b.Cleanup(slow.Close)
			// The healthy destination: when each question arrived.
			received := map[string]time.Time{}
			ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var p fake.WebhookPayload
				_ = json.NewDecoder(r.Body).Decode(&p)
				mu.Lock()
				if _, dup := received[p.Question.Text]; !dup {
					received[p.Question.Text] = time.Now()
				}
				mu.Unlock()
				w.WriteHeader(http.StatusNoContent)
			}))
			b.Cleanup(ok.Close)
			yaml := fmt.Sprintf(`destinations:
  - {name: slow, type: webhook, url: '%s'}
  - {name: ok, type: webhook, url: '%s'}
routes:
  questions: [slow, ok]
`, slow.URL, ok.URL) + connectYAML(cn, 1000, 1000, "30s", 0)
			s := startServerOn(b, storetest.DatabaseURL(b, engine), yaml, cn)
			client := &http.Client{Timeout: time.Minute}
			ask := func(text string) time.Time {
				body, _ := json.Marshal(map[string]string{"project": "AWS-101", "name": "bench", "question": text})
				resp, err := client.Post(s.url+"/api/v1/questions", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return time.Time{}
				}
				resp.Body.Close()
				at := time.Now()
				if resp.StatusCode != http.StatusAccepted {
					b.Errorf("question: %s", resp.Status)
				}
				return at
			}
			// The backlog: every question is queued for the hanging
			// destination (and the healthy one).
			begin := time.Now()
			var wg sync.WaitGroup
			sem := make(chan struct{}, 32)
			for i := range backlog {
				wg.Add(1)
				sem <- struct{}{}
				go func() { defer wg.Done(); defer func() { <-sem }(); ask(fmt.Sprintf("backlog %d", i)) }()
			}
			wg.Wait()
			posted := time.Since(begin)
			for deadline := time.Now().Add(2 * time.Minute); ; {
				mu.Lock()
				n := len(received)
				mu.Unlock()
				if n >= backlog {
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("the healthy destination received %d of the %d backlog questions", n, backlog)
				}
				time.Sleep(20 * time.Millisecond)
			}
			drained := time.Since(begin)
			// Now, while the slow destination hangs: alerts and questions.
			alertAt := map[string]time.Time{}
			askedAt := map[string]time.Time{}
			var amu sync.Mutex
			start := time.Now()
			tick := time.NewTicker(100 * time.Millisecond)
			i := 0
			for time.Since(start) < dur {
				<-tick.C
				i++
				wg.Add(1)
				go func() {
					defer wg.Done()
					text := fmt.Sprintf("fresh %d", i)
					at := ask(text)
					amu.Lock()
					askedAt[text] = at
					amu.Unlock()
				}()
				if i%10 == 0 {
					host := fmt.Sprintf("iso-%d", i/10)
					wg.Add(1)
					go func() {
						defer wg.Done()
						at, err := post(client, s, []byte(`{"system":"XYZ","dedup_key":"`+host+`","summary":"down","host":"`+host+`"}`))
						if err != nil {
							b.Error(err)
							return
						}
						amu.Lock()
						alertAt[host] = at
						amu.Unlock()
					}()
				}
			}
			tick.Stop()
			wg.Wait()
			cn.WaitForCalls(b, len(alertAt), time.Minute)
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				mu.Lock()
				n := len(received)
				mu.Unlock()
				if n >= backlog+len(askedAt) {
					break
				}
			}
			var calls, deliveries []time.Duration
			mu.Lock()
			for host, at := range alertAt {
				c, ok := called[host]
				if !ok {
					b.Fatalf("alert %s: no call", host)
				}
				calls = append(calls, c.Sub(at))
			}
			missing := 0
			for text, at := range askedAt {
				r, ok := received[text]
				if !ok {
					missing++
					continue
				}
				deliveries = append(deliveries, r.Sub(at))
			}
			mu.Unlock()
			if missing > 0 {
				b.Fatalf("%d new questions did not reach the healthy destination", missing)
			}
			sort.Slice(calls, func(i, j int) bool { return calls[i] < calls[j] })
			sort.Slice(deliveries, func(i, j int) bool { return deliveries[i] < deliveries[j] })
			b.ReportMetric(ms(percentile(calls, 0.99)), "first-call-p99-ms")
			b.ReportMetric(ms(percentile(deliveries, 0.99)), "healthy-p99-ms")
			b.ReportMetric(float64(maxInFlight.Load()), "hanging-max-in-flight")
			b.Logf("%s: a destination hanging %s with %d questions queued (posted in %.1f s, healthy destination had them all after %.1f s); then %d alerts: first call p50 %.0f ms, p99 %.0f ms, max %.0f ms; %d questions to the healthy destination: p50 %.0f ms, p99 %.0f ms, max %.0f ms; the hanging destination: %d requests, at most %d at once; load %s",
				engine, hang, backlog, posted.Seconds(), drained.Seconds(), len(calls), ms(percentile(calls, 0.5)), ms(percentile(calls, 0.99)), ms(calls[len(calls)-1]),
				len(deliveries), ms(percentile(deliveries, 0.5)), ms(percentile(deliveries, 0.99)), ms(deliveries[len(deliveries)-1]),
				slowRequests.Load(), maxInFlight.Load(), loadavg())
		})
	}
}
