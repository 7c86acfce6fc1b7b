// Package alertsbench measures alert intake and phone escalation (issue 5,
// "Benchmarks") against a fake Amazon Connect on loopback:
//
//   - BenchmarkAccepted: alerts accepted per second on POST /api/v1/alerts
//     (the seed's format, one alert per request, closed loop), new alerts
//     and repeats of open ones; opsdesk runs as a separate process.
//   - BenchmarkFirstCall: from the 202 of an alert to the moment its first
//     StartOutboundVoiceContact request reaches Connect, open loop at a
//     fixed rate; opsdesk runs as a separate process.
//   - BenchmarkThousandAtOnce: 1,000 alerts opened in one request, each
//     escalating through three people (a call, polls every poll interval
//     until it rings out, the next person); how late every engine step runs
//     against its due time. opsdesk runs in this process, to hear every
//     step (alerts.Service.ObserveSteps).
//
// Each benchmark does its whole measurement once (run it with
// -benchtime 1x) and reports it with b.ReportMetric; see run.sh.
// The subprocess benchmarks need OPSDESK_BIN, an opsdesk binary.
// BENCH_ENGINES picks the engines (default "sqlite"); PostgreSQL comes
// from OPSDESK_TEST_POSTGRES as in the tests.
package alertsbench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

func engines() []string {
	if v := os.Getenv("BENCH_ENGINES"); v != "" {
		return strings.Fields(v)
	}
	return []string{store.SQLite}
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// connectYAML is the alerts section for a fake Connect: a system XYZ with
// three people.
func connectYAML(cn *fake.Connect, rate float64, maxCalls int, poll string, perNumber int) string {
	return fmt.Sprintf(`alerts:
  connect:
    instance_id: %s
    contact_flow_id: %s
    source_phone: "%s"
    region: %s
    rate_per_second: %g
    max_concurrent_calls: %d
    poll_interval: %s
    per_number_max_calls_per_hour: %d
  systems:
    - name: XYZ
      rounds: 1
      contacts:
        - {name: Sato, phone: "+819011110001"}
        - {name: Suzuki, phone: "+819022220002"}
        - {name: Tanaka, phone: "+819033330003"}
`, cn.InstanceID(), cn.ContactFlowID(), cn.SourcePhone(), cn.Region(), rate, maxCalls, poll, perNumber)
}

// server is an opsdesk subprocess.
type server struct {
	url   string
	token string
	pid   int
	st    *store.Store
}

// startServer runs OPSDESK_BIN serve with the config, waits until it is
// ready and creates an integration token.
func startServer(b *testing.B, engine, yaml string, cn *fake.Connect) *server {
	b.Helper()
	return startServerOn(b, storetest.DatabaseURL(b, engine), yaml, cn)
}

// startServerOn is startServer on a given database (several replicas on
// one).
func startServerOn(b *testing.B, db, yaml string, cn *fake.Connect) *server {
	b.Helper()
	bin := os.Getenv("OPSDESK_BIN")
	if bin == "" {
		b.Fatal("OPSDESK_BIN must name an opsdesk binary (bench/alerts/run.sh builds one)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := b.TempDir()
	cfgFile := filepath.Join(dir, "opsdesk.yaml")
	full := "database: " + db + "\ndata_dir: " + dir + "\nlog_level: warn\nintake: {rate_per_minute: 0}\n" + yaml
	if err := os.WriteFile(cfgFile, []byte(full), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", cfgFile, "--addr", addr)
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL_CONNECT="+cn.URL(), "AWS_ACCESS_KEY_ID="+fake.ConnectAccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+fake.ConnectSecretAccessKey, "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(35 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if b.Failed() {
			b.Logf("opsdesk output:\n%s", out.String())
		}
		if dir := os.Getenv("BENCH_LOGS"); dir != "" {
			_ = os.WriteFile(filepath.Join(dir, "opsdesk-"+strings.ReplaceAll(addr, ":", "-")+".log"), out.Bytes(), 0o644)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("opsdesk not ready:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	tok, err := auth.New(st, time.Now).CreateToken(context.Background(), "bench-"+strings.ReplaceAll(addr, ":", "-"), auth.ScopeIngestAlerts)
	if err != nil {
		b.Fatal(err)
	}
	return &server{url: "http://" + addr, token: tok, pid: cmd.Process.Pid, st: st}
}

// cpuSeconds is a process's user+system CPU time (Linux /proc).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100
}

func seedAlert(host string) []byte {
	return []byte(`{"alertinfo":[{"host":"` + host + `","service":"CPU Utilization","lastcheck":"2023-10-03 13:20:52","systemname":"XYZ"}]}`)
}

func post(c *http.Client, s *server, body []byte) (time.Time, error) {
	req, _ := http.NewRequest(http.MethodPost, s.url+"/api/v1/alerts", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return time.Time{}, err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return time.Time{}, fmt.Errorf("%s: %s", resp.Status, raw)
	}
	return time.Now(), nil
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkAccepted: closed loop, BENCH_CONC clients (default 64) for
// BENCH_DURATION (default 10s) after a 2 s warm-up. "new" alerts all have
// their own key (each opens an alert and an escalation: Connect at its
// defaults, 2 requests/s and 10 calls at once, so the engine works beside
// the intake); "repeat" cycles over 100 keys (absorbed into open alerts).
func BenchmarkAccepted(b *testing.B) {
	conc := envInt("BENCH_CONC", 64)
	dur := envDuration("BENCH_DURATION", 10*time.Second)
	for _, engine := range engines() {
		for _, mix := range []string{"new", "repeat"} {
			b.Run(engine+"/"+mix, func(b *testing.B) {
				cn := fake.NewConnect(b, fake.WithKeepAlive())
				s := startServer(b, engine, connectYAML(cn, 2, 10, "30s", 10), cn)
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc * 2}, Timeout: 30 * time.Second}
				var seq atomic.Int64
				load0 := loadavg()
				start := time.Now().Add(2 * time.Second)
				end := start.Add(dur)
				var mu sync.Mutex
				var lat []time.Duration
				var errs atomic.Int64
				var firstErr atomic.Value
				var cpu0 float64
				var cpuOnce sync.Once
				var wg sync.WaitGroup
				for range conc {
					wg.Add(1)
					go func() {
						defer wg.Done()
						var mine []time.Duration
						for {
							t0 := time.Now()
							if t0.After(end) {
								break
							}
							if !t0.Before(start) {
								cpuOnce.Do(func() { cpu0 = cpuSeconds(s.pid) })
							}
							n := seq.Add(1)
							host := fmt.Sprintf("host-%d", n)
							if mix == "repeat" {
								host = fmt.Sprintf("host-%d", n%100)
							}
							t1, err := post(client, s, seedAlert(host))
							if t0.Before(start) || t1.After(end) {
								continue
							}
							if err != nil {
								errs.Add(1)
								firstErr.CompareAndSwap(nil, err)
								continue
							}
							mine = append(mine, t1.Sub(t0))
						}
						mu.Lock()
						lat = append(lat, mine...)
						mu.Unlock()
					}()
				}
				wg.Wait()
				cpu := cpuSeconds(s.pid) - cpu0
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				perSec := float64(len(lat)) / dur.Seconds()
				var alertsN, repeats int
				_ = s.st.R.QueryRow(`SELECT count(*), coalesce(sum(repeats), 0) FROM alerts`).Scan(&alertsN, &repeats)
				b.ReportMetric(perSec, "alerts/s")
				b.ReportMetric(ms(percentile(lat, 0.5)), "p50-ms")
				b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
				b.ReportMetric(cpu/dur.Seconds(), "opsdesk-cores")
				b.Logf("accepted %s %-6s C=%d: %.0f alerts/s, p50 %.1f ms, p99 %.1f ms, errors %d, opsdesk %.2f cores; %d alert rows, %d repeats, %d calls placed; load %s → %s",
					engine, mix, conc, perSec, ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99)), errs.Load(), cpu/dur.Seconds(),
					alertsN, repeats, len(cn.Calls()), load0, loadavg())
				if e := firstErr.Load(); e != nil {
					b.Logf("first error: %v", e)
				}
			})
		}
	}
}

// BenchmarkFirstCall: BENCH_RATE alerts per second (default 20) for
// BENCH_DURATION (default 10s), each a new alert; the latency from its
// 202 to its first StartOutboundVoiceContact at the fake.
func BenchmarkFirstCall(b *testing.B) {
	rate := envInt("BENCH_RATE", 20)
	dur := envDuration("BENCH_DURATION", 10*time.Second)
	for _, engine := range engines() {
		b.Run(engine, func(b *testing.B) {
			cn := fake.NewConnect(b, fake.WithKeepAlive())
			cn.SetMaxConcurrent(0)
			var mu sync.Mutex
			arrived := map[string]time.Time{}
			cn.OnCall(func(c fake.ConnectCall) {
				mu.Lock()
				if _, ok := arrived[c.Attributes["host"]]; !ok {
					arrived[c.Attributes["host"]] = time.Now()
				}
				mu.Unlock()
			})
			// Calls are not the bottleneck here: Connect's quotas are raised.
			s := startServer(b, engine, connectYAML(cn, 1000, 10000, "30s", 0), cn)
			client := &http.Client{Timeout: 30 * time.Second}
			load0 := loadavg()
			n := int(float64(rate) * dur.Seconds())
			accepted := make([]time.Time, n)
			var wg sync.WaitGroup
			tick := time.NewTicker(time.Second / time.Duration(rate))
			for i := range n {
				<-tick.C
				wg.Add(1)
				go func() {
					defer wg.Done()
					at, err := post(client, s, seedAlert(fmt.Sprintf("fc-%d", i)))
					if err != nil {
						b.Errorf("alert %d: %v", i, err)
						return
					}
					accepted[i] = at
				}()
			}
			tick.Stop()
			wg.Wait()
			cn.WaitForCalls(b, n, 60*time.Second)
			var lat []time.Duration
			mu.Lock()
			for i, at := range accepted {
				if c, ok := arrived[fmt.Sprintf("fc-%d", i)]; ok && !at.IsZero() {
					lat = append(lat, max(c.Sub(at), 0))
				}
			}
			mu.Unlock()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(ms(percentile(lat, 0.5)), "p50-ms")
			b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
			b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
			b.Logf("first call %s at %d alerts/s: %d alerts, p50 %.1f ms, p99 %.1f ms, max %.1f ms; load %s → %s",
				engine, rate, len(lat), ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99)), ms(lat[len(lat)-1]), load0, loadavg())
		})
	}
}

// BenchmarkThousandAtOnce: BENCH_ALERTS (default 1,000) alerts in one
// request, all escalating at once through three people who do not answer
// (each phone rings 12 s; polls every BENCH_POLL, default 5s), until every
// escalation has given up. Every step the engine takes is timed against
// its due time.
func BenchmarkThousandAtOnce(b *testing.B) {
	nAlerts := envInt("BENCH_ALERTS", 1000)
	poll := envDuration("BENCH_POLL", 5*time.Second)
	for _, engine := range engines() {
		b.Run(engine, func(b *testing.B) {
			cn := fake.NewConnect(b, fake.WithKeepAlive())
			cn.SetMaxConcurrent(0)
			cn.SetDefault(fake.NoAnswer().Ring(12 * time.Second))
			cfg, err := config.Parse([]byte("database: " + storetest.DatabaseURL(b, engine) + "\ndata_dir: " + b.TempDir() + "\nlog_level: warn\n" +
				connectYAML(cn, 10000, 10000, poll.String(), 0)))
			if err != nil {
				b.Fatal(err)
			}
			env := map[string]string{"AWS_ENDPOINT_URL_CONNECT": cn.URL(), "AWS_ACCESS_KEY_ID": fake.ConnectAccessKeyID, "AWS_SECRET_ACCESS_KEY": fake.ConnectSecretAccessKey}
			srv := apptest.StartWith(b, cfg, env, func(o *app.Options) {})
			svc := srv.App.Alerts()
			var mu sync.Mutex
			late := map[string][]time.Duration{}
			svc.ObserveSteps(func(state string, d time.Duration) {
				mu.Lock()
				late[state] = append(late[state], d)
				mu.Unlock()
			})
			tok, err := srv.App.Auth.CreateToken(context.Background(), "bench", auth.ScopeIngestAlerts)
			if err != nil {
				b.Fatal(err)
			}
			var body bytes.Buffer
			body.WriteString(`[`)
			for i := range nAlerts {
				if i > 0 {
					body.WriteByte(',')
				}
				fmt.Fprintf(&body, `{"system":"XYZ","dedup_key":"storm-%d","summary":"host %d down","host":"h%d"}`, i, i, i)
			}
			body.WriteString(`]`)
			load0 := loadavg()
			cpu0 := cpuSeconds(os.Getpid())
			begin := time.Now()
			s := &server{url: srv.URL, token: tok}
			if _, err := post(&http.Client{Timeout: time.Minute}, s, body.Bytes()); err != nil {
				b.Fatal(err)
			}
			accepted := time.Since(begin)
			cn.WaitForCalls(b, nAlerts, 2*time.Minute)
			firstCalls := time.Since(begin)
			deadline := time.Now().Add(5 * time.Minute)
			for {
				var open int
				_ = srv.App.St.R.QueryRow(`SELECT count(*) FROM alerts WHERE status = 'open'`).Scan(&open)
				if open == 0 {
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("%d alerts still open", open)
				}
				time.Sleep(200 * time.Millisecond)
			}
			total := time.Since(begin)
			cpu := cpuSeconds(os.Getpid()) - cpu0
			svc.ObserveSteps(nil)
			mu.Lock()
			var all []time.Duration
			report := ""
			for _, st := range []string{"call", "place", "poll"} {
				l := late[st]
				sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
				all = append(all, l...)
				if len(l) > 0 {
					report += fmt.Sprintf(" %s: %d steps, p50 %.0f ms, p99 %.0f ms, max %.0f ms;", st, len(l), ms(percentile(l, 0.5)), ms(percentile(l, 0.99)), ms(l[len(l)-1]))
				}
			}
			mu.Unlock()
			sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
			over := 0
			for _, d := range all {
				if d > time.Second {
					over++
				}
			}
			b.ReportMetric(float64(len(all)), "steps")
			b.ReportMetric(ms(percentile(all, 0.5)), "late-p50-ms")
			b.ReportMetric(ms(percentile(all, 0.99)), "late-p99-ms")
			b.ReportMetric(ms(all[len(all)-1]), "late-max-ms")
			b.ReportMetric(float64(over), "steps-late-over-1s")
			b.Logf("%d at once %s (poll %s): accepted in %.0f ms, every first call placed after %.0f ms, all gave up after %.1f s; %d calls; %d steps, late p50 %.0f ms, p99 %.0f ms, max %.0f ms, %d later than 1 s;%s process %.2f cores; load %s → %s",
				nAlerts, engine, poll, ms(accepted), ms(firstCalls), total.Seconds(), len(cn.Calls()), len(all), ms(percentile(all, 0.5)),
				ms(percentile(all, 0.99)), ms(all[len(all)-1]), over, report, cpu/total.Seconds(), load0, loadavg())
		})
	}
}

// BenchmarkThousandAtOnceFleet is BenchmarkThousandAtOnce on PostgreSQL
// with BENCH_REPLICAS (default 3) opsdesk processes on one database, the
// alerts posted to all of them at once (a third each, as a load balancer
// would spread them). Lateness is read from every replica's /metrics
// (opsdesk_escalation_step_lateness_seconds and its _max_seconds gauge),
// and from the fake Connect's side: when each alert's first call arrived.
func BenchmarkThousandAtOnceFleet(b *testing.B) {
	nAlerts := envInt("BENCH_ALERTS", 1000)
	nReplicas := envInt("BENCH_REPLICAS", 3)
	poll := envDuration("BENCH_POLL", 5*time.Second)
	cn := fake.NewConnect(b, fake.WithKeepAlive())
	cn.SetMaxConcurrent(0)
	cn.SetDefault(fake.NoAnswer().Ring(12 * time.Second))
	firstAt := map[string]time.Time{}
	var mu sync.Mutex
	cn.OnCall(func(c fake.ConnectCall) {
		mu.Lock()
		if _, ok := firstAt[c.Attributes["host"]]; !ok {
			firstAt[c.Attributes["host"]] = time.Now()
		}
		mu.Unlock()
	})
	db := storetest.DatabaseURL(b, store.Postgres)
	yaml := connectYAML(cn, 10000, 10000, poll.String(), 0)
	servers := make([]*server, nReplicas)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Add(1)
		go func() { defer wg.Done(); servers[i] = startServerOn(b, db, yaml, cn) }()
	}
	wg.Wait()
	for _, s := range servers {
		if s == nil {
			b.Fatal("a replica did not start")
		}
	}
	bodies := make([]bytes.Buffer, nReplicas)
	for i := range nAlerts {
		w := &bodies[i%nReplicas]
		if w.Len() == 0 {
			w.WriteString(`[`)
		} else {
			w.WriteByte(',')
		}
		fmt.Fprintf(w, `{"system":"XYZ","dedup_key":"storm-%d","summary":"host %d down","host":"h%d"}`, i, i, i)
	}
	load0 := loadavg()
	begin := time.Now()
	answered := make([]time.Time, nReplicas)
	for i, s := range servers {
		bodies[i].WriteString(`]`)
		wg.Add(1)
		go func() {
			defer wg.Done()
			at, err := post(&http.Client{Timeout: time.Minute}, s, bodies[i].Bytes())
			if err != nil {
				b.Error(err)
			}
			answered[i] = at
		}()
	}
	wg.Wait()
	accepted := time.Since(begin)
	cn.WaitForCalls(b, nAlerts, 2*time.Minute)
	firstCalls := time.Since(begin)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var open int
		_ = servers[0].st.R.QueryRow(`SELECT count(*) FROM alerts WHERE status = 'open'`).Scan(&open)
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d alerts still open", open)
		}
		time.Sleep(200 * time.Millisecond)
	}
	total := time.Since(begin)
	// Every first call against the 202 of the request that carried its
	// alert (its due time is the commit just before).
	var first []time.Duration
	mu.Lock()
	for i := range nAlerts {
		at, ok := firstAt[fmt.Sprintf("h%d", i)]
		if !ok {
			b.Fatalf("alert h%d was never called", i)
		}
		first = append(first, at.Sub(answered[i%nReplicas]))
	}
	mu.Unlock()
	sort.Slice(first, func(i, j int) bool { return first[i] < first[j] })
	var steps, within, perReplica []float64
	var maxLate float64
	for _, s := range servers {
		m := scrapeLateness(b, s)
		steps = append(steps, m.count)
		within = append(within, m.within1s)
		perReplica = append(perReplica, m.count)
		maxLate = max(maxLate, m.max)
		b.Logf("replica %s: %.0f steps, %.0f later than 1 s; latest:%s", s.url, m.count, m.count-m.within1s, m.detail)
	}
	var nSteps, nWithin float64
	for i := range steps {
		nSteps += steps[i]
		nWithin += within[i]
	}
	b.ReportMetric(nSteps, "steps")
	b.ReportMetric(nSteps-nWithin, "steps-late-over-1s")
	b.ReportMetric(maxLate*1000, "late-max-ms")
	b.ReportMetric(ms(percentile(first, 0.99)), "first-call-p99-ms")
	b.ReportMetric(ms(first[len(first)-1]), "first-call-max-ms")
	b.Logf("%d at once, %d replicas (poll %s): accepted in %.0f ms, every first call placed after %.0f ms, all gave up after %.1f s; %d calls; %.0f steps (per replica %v), %.0f later than 1 s, max %.0f ms; first call after the 202: p50 %.0f ms, p99 %.0f ms, max %.0f ms; load %s → %s",
		nAlerts, nReplicas, poll, ms(accepted), ms(firstCalls), total.Seconds(), len(cn.Calls()), nSteps, perReplica, nSteps-nWithin, maxLate*1000,
		ms(percentile(first, 0.5)), ms(percentile(first, 0.99)), ms(first[len(first)-1]), load0, loadavg())
}

type lateness struct {
	count, within1s, max float64
	detail               string // the latest step of each kind
}

// scrapeLateness reads a replica's escalation step lateness from /metrics:
// the steps it ran, those within 1 s of their due time, and the latest.
func scrapeLateness(b *testing.B, s *server) lateness {
	b.Helper()
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var l lateness
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(f[0], "opsdesk_escalation_step_lateness_seconds_count{"):
			l.count += v
		case strings.HasPrefix(f[0], "opsdesk_escalation_step_lateness_seconds_bucket{") && strings.Contains(f[0], `le="1"`):
			l.within1s += v
		case strings.HasPrefix(f[0], "opsdesk_escalation_step_lateness_max_seconds{"):
			l.max = max(l.max, v)
			l.detail += fmt.Sprintf(" %s=%.0fms", strings.TrimSuffix(strings.TrimPrefix(f[0], `opsdesk_escalation_step_lateness_max_seconds{step="`), `"}`), v*1000)
		case strings.HasPrefix(f[0], "opsdesk_escalation_step_lateness_seconds_count{"):
		}
	}
	return l
}
