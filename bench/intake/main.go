// Command intake benchmarks opsdesk's question intake (issue 2, "Benchmarks"):
//
//  1. accepted questions per second at saturation (closed loop, C clients)
//     and latency at a fixed open-loop rate (default 500 req/s);
//  2. fan-out latency: from the client's 202 to the moment each of three
//     local webhook sinks receives the question (default 50 questions/s);
//  3. RSS of the opsdesk process when idle and its peak under load.
//
// It does not build anything: --bin names an opsdesk binary, which it starts
// as a subprocess for every measurement (fresh SQLite file or a freshly
// created PostgreSQL database, dropped at the end) with a generated config
// (OPSDESK_CONFIG). The load generator and the sinks run in this process,
// on loopback only; every load is bounded in count and time.
//
//	go build -o /tmp/opsdesk ./cmd/opsdesk
//	go run ./bench/intake --bin /tmp/opsdesk
//
// See bench/intake/run.sh and docs/BENCHMARKS.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	bin        string
	engines    []string
	pgAdmin    string
	workdir    string
	reps       int
	phases     map[string]bool
	conc       []int
	satWarmup  time.Duration
	satDur     time.Duration
	rate       int
	rateWarmup time.Duration
	rateDur    time.Duration
	fanRate    int
	fanDur     time.Duration
	fanWait    time.Duration
	idleSettle time.Duration
	idleWatch  time.Duration
	jsonOut    string
	workers    int
	maxForeign float64
	attempts   int
	pgQuery    string
}

// rep is everything measured in one repetition on one engine.
type rep struct {
	Engine string
	Rep    int

	IdleRSSKB        int64 // VmRSS after the first start (admin bootstrap), settled
	IdleHWMKB        int64 // VmHWM at that point
	IdleRestartRSSKB int64 // VmRSS after a restart on the same data, settled
	IdleAnonKB       int64 // RssAnon part of IdleRestartRSSKB (Go heap, SQLite caches)
	// With --idle-watch (first repetition only): the restarted process is
	// left idle and VmRSS sampled every second until that long after start.
	IdleWatchMaxKB int64
	IdleWatchEndKB int64

	Sat        []satRun // routed to the three sinks (deliveries run concurrently)
	SatNoRoute []satRun // no routes: the intake path alone

	Rate        *rateRun // routed to the three sinks
	RateNoRoute *rateRun // no routes
	Fan         *fanRun
}

type satRun struct {
	satResult
	PeakRSSKB int64  // VmHWM at the end of the run (fresh process)
	SampledKB int64  // max VmRSS sampled every 100 ms during the run
	CPU       cpuUse // over the whole run (warm-up included)
	Attempts  int    // > 1 when a run disturbed by other programs was redone
	// SinkPerSec is deliveries received by the sinks per second during the
	// run (the three destinations together), 0 without routes.
	SinkPerSec float64
	LogWarning int
}

type rateRun struct {
	rateResult
	PeakRSSKB int64
	CPU       cpuUse
	Attempts  int
	// SinkPerSec is deliveries received per second while the load ran
	// (3 × rate would be "keeping up").
	SinkPerSec float64
}

type fanRun struct {
	fanResult
	PeakRSSKB int64
	CPU       cpuUse
	Attempts  int
}

func main() {
	o := parseFlags()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags() *options {
	o := &options{}
	var engines, phases, conc string
	flag.StringVar(&o.bin, "bin", "", "path to the opsdesk binary (required; go build -o /tmp/opsdesk ./cmd/opsdesk)")
	flag.StringVar(&engines, "engines", "sqlite,postgres", "engines to measure")
	flag.StringVar(&o.pgAdmin, "pg", envOr("OPSDESK_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test"), "PostgreSQL DSN used to create and drop one database per run")
	flag.StringVar(&o.workdir, "workdir", os.TempDir(), "parent directory of the temporary data directories (SQLite files)")
	flag.IntVar(&o.reps, "reps", 3, "repetitions of every measurement (the table shows medians)")
	flag.StringVar(&phases, "phases", "idle,sat,sat-noroute,rate,rate-noroute,fanout", "measurements to run")
	flag.StringVar(&conc, "c", "16,64,128,256,512", "closed-loop concurrencies for saturation")
	flag.DurationVar(&o.satWarmup, "sat-warmup", 2*time.Second, "saturation warm-up (not counted)")
	flag.DurationVar(&o.satDur, "sat-duration", 10*time.Second, "saturation measured window")
	flag.IntVar(&o.rate, "rate", 500, "fixed open-loop rate, requests per second")
	flag.DurationVar(&o.rateWarmup, "rate-warmup", 2*time.Second, "fixed-rate warm-up (not counted)")
	flag.DurationVar(&o.rateDur, "rate-duration", 15*time.Second, "fixed-rate measured window")
	flag.IntVar(&o.fanRate, "fanout-rate", 50, "fan-out rate, questions per second")
	flag.DurationVar(&o.fanDur, "fanout-duration", 15*time.Second, "fan-out measured window")
	flag.DurationVar(&o.fanWait, "fanout-wait", 60*time.Second, "how long to wait for the last deliveries")
	flag.DurationVar(&o.idleSettle, "idle-settle", 5*time.Second, "wait after start before reading idle RSS")
	flag.IntVar(&o.workers, "delivery-workers", 0, "deliveries.workers for opsdesk (0 = the product default, 64)")
	flag.DurationVar(&o.idleWatch, "idle-watch", 0, "first repetition only: keep the restarted process idle this long after start and report the highest VmRSS (the Go runtime forces a GC every 2 minutes; 150s covers one)")
	flag.StringVar(&o.pgQuery, "pg-params", "", "extra query parameters for opsdesk's PostgreSQL URL, e.g. pool_max_conns=40 (default: none, the product's pool)")
	flag.Float64Var(&o.maxForeign, "max-foreign-cpu", 0.15, "a run during which other programs (not opsdesk, this benchmark or PostgreSQL) used more CPU than this many cores, or the hypervisor stole it, is redone")
	flag.IntVar(&o.attempts, "attempts", 5, "how often a disturbed run is tried before its last result is kept")
	flag.StringVar(&o.jsonOut, "json", "", "also write every repetition's raw results to this file")
	flag.Parse()
	if o.bin == "" {
		fmt.Fprintln(os.Stderr, "bench: --bin is required (go build -o /tmp/opsdesk ./cmd/opsdesk)")
		os.Exit(2)
	}
	o.engines = splitList(engines)
	o.phases = map[string]bool{}
	for _, p := range splitList(phases) {
		o.phases[p] = true
	}
	for _, c := range splitList(conc) {
		n, err := strconv.Atoi(c)
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "bench: -c: %q is not a positive number\n", c)
			os.Exit(2)
		}
		o.conc = append(o.conc, n)
	}
	return o
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

func run(o *options) error {
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigc
		logf("interrupted: stopping opsdesk and removing its data")
		abortCurrent()
		os.Exit(130)
	}()
	sinks, err := startSinks(3)
	if err != nil {
		return err
	}
	var urls []string
	for _, s := range sinks {
		urls = append(urls, s.url)
	}
	printMachine(os.Stdout, o)
	var reps []*rep
	for i := 1; i <= o.reps; i++ {
		for _, engine := range o.engines {
			r := &rep{Engine: engine, Rep: i}
			spec := serverSpec{bin: o.bin, engine: engine, pgAdmin: o.pgAdmin, workdir: o.workdir, sinks: urls, routed: true, workers: o.workers, pgQuery: o.pgQuery}
			if err := runRep(o, spec, sinks, r); err != nil {
				return fmt.Errorf("%s rep %d: %w", engine, i, err)
			}
			reps = append(reps, r)
			printRep(os.Stderr, r)
		}
	}
	if o.jsonOut != "" {
		data, _ := json.MarshalIndent(reps, "", "  ")
		if err := os.WriteFile(o.jsonOut, data, 0o644); err != nil {
			return err
		}
	}
	printTable(os.Stdout, o, reps)
	return nil
}

func runRep(o *options, spec serverSpec, sinks []*sink, r *rep) error {
	ctx := context.Background()
	settle := func() { time.Sleep(time.Second) }

	if o.phases["idle"] {
		logf("%s rep %d: idle RSS", r.Engine, r.Rep)
		s, err := startServer(ctx, spec)
		if err != nil {
			return err
		}
		time.Sleep(o.idleSettle)
		r.IdleRSSKB, r.IdleHWMKB, _ = procStatus(s.pid)
		s.stop(spec.pgAdmin, true)
		rs := spec
		rs.reuse = s
		s2, err := startServer(ctx, rs)
		if err != nil {
			s.cleanup(spec.pgAdmin)
			return err
		}
		t0 := time.Now()
		time.Sleep(o.idleSettle)
		r.IdleRestartRSSKB, _, _ = procStatus(s2.pid)
		r.IdleAnonKB = procField(s2.pid, "RssAnon")
		if o.idleWatch > 0 && r.Rep == 1 {
			logf("%s rep %d: watching idle RSS for %s", r.Engine, r.Rep, o.idleWatch)
			for time.Since(t0) < o.idleWatch {
				time.Sleep(time.Second)
				if rss, _, err := procStatus(s2.pid); err == nil {
					r.IdleWatchMaxKB = max(r.IdleWatchMaxKB, rss)
					r.IdleWatchEndKB = rss
				}
			}
		}
		s2.stop(spec.pgAdmin, false)
	}

	saturate := func(routed bool, c int) (satRun, error) {
		sp := spec
		sp.routed = routed
		s, err := startServer(ctx, sp)
		if err != nil {
			return satRun{}, err
		}
		defer s.stop(spec.pgAdmin, false)
		settle()
		o.quiet(s.pid)
		cl := newClient(s.base)
		defer cl.close()
		cl.warm(c)
		n0 := sinkTotal(sinks)
		smp := sampleRSS(s.pid)
		cpu := startCPU(s.pid)
		t0 := time.Now()
		res := closedLoop(cl, c, o.satWarmup, o.satDur)
		wall := time.Since(t0).Seconds()
		out := satRun{satResult: res, SampledKB: smp.stop()}
		out.CPU = cpu.read()
		out.SinkPerSec = float64(sinkTotal(sinks)-n0) / wall
		_, out.PeakRSSKB, _ = procStatus(s.pid)
		out.LogWarning = s.warnings()
		return out, nil
	}
	for _, routed := range []bool{true, false} {
		name := "sat"
		if !routed {
			name = "sat-noroute"
		}
		if !o.phases[name] {
			continue
		}
		for _, c := range o.conc {
			logf("%s rep %d: %s C=%d", r.Engine, r.Rep, name, c)
			var res satRun
			err := o.guarded(func(attempt int) (cpuUse, error) {
				var err error
				res, err = saturate(routed, c)
				res.Attempts = attempt
				return res.CPU, err
			}, func() {
				logf("  %.0f/s p50=%s p99=%s errors=%d peak=%s %s; sinks %.0f/s", res.PerSec, ms(res.P50), ms(res.P99), res.Errors, mb(res.PeakRSSKB), res.CPU, res.SinkPerSec)
			})
			if err != nil {
				return err
			}
			if routed {
				r.Sat = append(r.Sat, res)
			} else {
				r.SatNoRoute = append(r.SatNoRoute, res)
			}
		}
	}

	for _, routed := range []bool{true, false} {
		name := "rate"
		if !routed {
			name = "rate-noroute"
		}
		if !o.phases[name] {
			continue
		}
		logf("%s rep %d: %s, open loop %d/s", r.Engine, r.Rep, name, o.rate)
		var rr *rateRun
		err := o.guarded(func(attempt int) (cpuUse, error) {
			sp := spec
			sp.routed = routed
			s, err := startServer(ctx, sp)
			if err != nil {
				return cpuUse{}, err
			}
			defer s.stop(spec.pgAdmin, false)
			settle()
			o.quiet(s.pid)
			cl := newClient(s.base)
			defer cl.close()
			cl.warm(32)
			n0 := sinkTotal(sinks)
			cpu := startCPU(s.pid)
			t0 := time.Now()
			ss := openLoop(cl, o.rate, o.rateWarmup, o.rateDur)
			wall := time.Since(t0).Seconds()
			rr = &rateRun{rateResult: summarizeOpen(o.rate, o.rateDur, ss), Attempts: attempt}
			rr.CPU = cpu.read()
			rr.SinkPerSec = float64(sinkTotal(sinks)-n0) / wall
			_, rr.PeakRSSKB, _ = procStatus(s.pid)
			return rr.CPU, nil
		}, func() {
			logf("  achieved %.0f/s p50=%s p99=%s max=%s errors=%d; %s; sinks %.0f/s", rr.Achieved, ms(rr.P50), ms(rr.P99), ms(rr.Max), rr.Errors, rr.CPU, rr.SinkPerSec)
		})
		if err != nil {
			return err
		}
		if routed {
			r.Rate = rr
		} else {
			r.RateNoRoute = rr
		}
	}

	if o.phases["fanout"] {
		logf("%s rep %d: fan-out %d/s to %d sinks", r.Engine, r.Rep, o.fanRate, len(sinks))
		var fr *fanRun
		err := o.guarded(func(attempt int) (cpuUse, error) {
			s, err := startServer(ctx, spec)
			if err != nil {
				return cpuUse{}, err
			}
			defer s.stop(spec.pgAdmin, false)
			settle()
			o.quiet(s.pid)
			for _, sk := range sinks {
				sk.reset()
			}
			defer func() {
				for _, sk := range sinks {
					sk.reset()
				}
			}()
			cl := newClient(s.base)
			defer cl.close()
			cl.warm(4)
			cpu := startCPU(s.pid)
			fr = &fanRun{fanResult: fanOut(cl, sinks, o.fanRate, 2*time.Second, o.fanDur, o.fanWait), Attempts: attempt}
			fr.CPU = cpu.read()
			_, fr.PeakRSSKB, _ = procStatus(s.pid)
			return fr.CPU, nil
		}, func() {
			logf("  delivered %d/%d p50=%s p99=%s max=%s (question p99 %s); %s", fr.Delivered, fr.Expected, ms(fr.P50), ms(fr.P99), ms(fr.Max), ms(fr.QP99), fr.CPU)
		})
		if err != nil {
			return err
		}
		r.Fan = fr
	}
	return nil
}

// quiet waits (up to 5 minutes) until other programs have left the CPUs
// alone for 3 seconds.
func (o *options) quiet(pid int) {
	if v, ok := waitQuiet(pid, o.maxForeign, 3, 5*time.Minute); !ok {
		logf("  machine still busy (other programs use %.2f cores); measuring anyway", v)
	}
}

// guarded runs a measurement, and runs it again (up to o.attempts) when
// other programs on the machine used more than o.maxForeign cores meanwhile;
// before trying again it waits for 15 quiet seconds. show logs a result.
func (o *options) guarded(run func(attempt int) (cpuUse, error), show func()) error {
	for a := 1; ; a++ {
		u, err := run(a)
		if err != nil {
			return err
		}
		show()
		if u.Foreign+u.Steal <= o.maxForeign {
			return nil
		}
		if a >= o.attempts {
			logf("  disturbed: other programs used %.2f cores, steal %.2f; keeping this result after %d attempts", u.Foreign, u.Steal, a)
			return nil
		}
		logf("  disturbed: other programs used %.2f cores, steal %.2f; waiting for a quiet machine, then measuring again", u.Foreign, u.Steal)
		if v, ok := waitQuiet(0, o.maxForeign, 15, 10*time.Minute); !ok {
			logf("  machine still busy (other programs use %.2f cores)", v)
		}
	}
}

func sinkTotal(sinks []*sink) int {
	n := 0
	for _, s := range sinks {
		_, t, _ := s.counts()
		n += t
	}
	return n
}

// ---- output ------------------------------------------------------------------

func ms(d time.Duration) string {
	if d == undelivered {
		return "undelivered"
	}
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

func mb(kb int64) string {
	return strconv.FormatFloat(float64(kb)/1024, 'f', 1, 64) + " MiB"
}

func printMachine(w io.Writer, o *options) {
	cpu := "unknown"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		mem = strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0])
	}
	ver, _ := exec.Command(o.bin, "version").Output()
	fmt.Fprintf(w, "machine: %d CPUs (runtime.NumCPU), %s, %s\n", runtime.NumCPU(), cpu, mem)
	fmt.Fprintf(w, "bench built with %s; binary: %s (%s%s)\n", runtime.Version(), o.bin, strings.TrimSpace(string(ver)), binaryVCS(o.bin))
	if o.workers > 0 {
		fmt.Fprintf(w, "deliveries.workers=%d (not the product default)\n", o.workers)
	}
	if o.pgQuery != "" {
		fmt.Fprintf(w, "PostgreSQL URL parameters: %s (not the product default)\n", o.pgQuery)
	}
	fmt.Fprintf(w, "reps=%d  saturation: C=%v, %s warm-up + %s  |  fixed rate: %d/s, %s + %s  |  fan-out: %d/s, 2s + %s, 3 webhook sinks\n\n",
		o.reps, o.conc, o.satWarmup, o.satDur, o.rate, o.rateWarmup, o.rateDur, o.fanRate, o.fanDur)
}

// binaryVCS names the commit the binary was built from (go version -m).
func binaryVCS(bin string) string {
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		return ""
	}
	var rev, modified, goVer string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "build" {
			k, v, _ := strings.Cut(f[1], "=")
			switch k {
			case "vcs.revision":
				rev = v
			case "vcs.modified":
				modified = v
			}
		}
		if strings.HasPrefix(line, bin+": ") {
			goVer = strings.TrimPrefix(line, bin+": ")
		}
	}
	if rev == "" {
		// Built without VCS stamping (-buildvcs=false): describe the
		// working tree the benchmark runs in instead (run.sh builds from it).
		if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
			rev = strings.TrimSpace(string(out))
			if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
				modified = "true"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	s := ", built with " + goVer
	if rev != "" {
		s += ", commit " + rev
		if modified == "true" {
			s += " + uncommitted changes"
		}
	}
	return s
}

func printRep(w io.Writer, r *rep) {
	data, _ := json.Marshal(r)
	fmt.Fprintf(w, "raw %s rep %d: %s\n", r.Engine, r.Rep, data)
}

func median[T int64 | float64 | time.Duration | int](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := append([]T(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2] // odd counts: the median; even: the upper middle
}

func collect[V int64 | float64 | time.Duration | int](reps []*rep, engine string, get func(*rep) (V, bool)) []V {
	var out []V
	for _, r := range reps {
		if r.Engine != engine {
			continue
		}
		if v, ok := get(r); ok {
			out = append(out, v)
		}
	}
	return out
}

func passFail(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

// summary collects one line per target and engine for the compact table.
type summary struct {
	keys []string
	vals map[string]map[string]string // key → engine → "value (verdict)"
}

func (s *summary) add(key, engine, val string) {
	if s.vals == nil {
		s.vals = map[string]map[string]string{}
	}
	if s.vals[key] == nil {
		s.vals[key] = map[string]string{}
		s.keys = append(s.keys, key)
	}
	s.vals[key][engine] = val
}

func printTable(out io.Writer, o *options, reps []*rep) {
	var det strings.Builder
	var sum summary
	w := &det
	fmt.Fprintf(out, "\nMedians of %d repetitions.\n", o.reps)
	var runs, redone, disturbed int
	count := func(u cpuUse, attempts int) {
		runs++
		if attempts > 1 {
			redone++
		}
		if u.Foreign+u.Steal > o.maxForeign {
			disturbed++
		}
	}
	for _, r := range reps {
		for _, s := range append(append([]satRun(nil), r.Sat...), r.SatNoRoute...) {
			count(s.CPU, s.Attempts)
		}
		for _, rr := range []*rateRun{r.Rate, r.RateNoRoute} {
			if rr != nil {
				count(rr.CPU, rr.Attempts)
			}
		}
		if r.Fan != nil {
			count(r.Fan.CPU, r.Fan.Attempts)
		}
	}
	fmt.Fprintf(out, "Load runs: %d; redone because other programs used > %.2f cores: %d; kept although disturbed: %d.\n\n", runs, o.maxForeign, redone, disturbed)
	defer func() {
		fmt.Fprintf(out, "| target (issue 2) | %s |\n|---|%s\n", strings.Join(o.engines, " | "), strings.Repeat("---|", len(o.engines)))
		for _, k := range sum.keys {
			var cells []string
			for _, e := range o.engines {
				cells = append(cells, sum.vals[k][e])
			}
			fmt.Fprintf(out, "| %s | %s |\n", k, strings.Join(cells, " | "))
		}
		fmt.Fprintf(out, "\nDetails (medians; the C rows are the saturation curve):\n\n%s", det.String())
	}()
	for _, engine := range o.engines {
		fmt.Fprintf(w, "### %s\n\n", engine)
		fmt.Fprintln(w, "| measurement | median | target | result |")
		fmt.Fprintln(w, "|---|---|---|---|")
		sqlite := engine == "sqlite"
		target := func(t string) string {
			if sqlite {
				return t
			}
			return "(" + t + " on SQLite)"
		}
		verdict := func(ok bool) string {
			if sqlite {
				return passFail(ok)
			}
			return "info: " + passFail(ok)
		}
		// Saturation curves.
		for _, routed := range []bool{true, false} {
			label, phase := "3 routes", "sat"
			if !routed {
				label, phase = "no routes", "sat-noroute"
			}
			if !o.phases[phase] {
				continue
			}
			best, bestC := 0.0, 0
			for ci, c := range o.conc {
				get := func(f func(satRun) float64) float64 {
					return median(collect(reps, engine, func(r *rep) (float64, bool) {
						runs := r.Sat
						if !routed {
							runs = r.SatNoRoute
						}
						if ci >= len(runs) {
							return 0, false
						}
						return f(runs[ci]), true
					}))
				}
				ps := get(func(s satRun) float64 { return s.PerSec })
				p50 := time.Duration(get(func(s satRun) float64 { return float64(s.P50) }))
				p99 := time.Duration(get(func(s satRun) float64 { return float64(s.P99) }))
				errs := get(func(s satRun) float64 { return float64(s.Errors) })
				peak := int64(get(func(s satRun) float64 { return float64(s.PeakRSSKB) }))
				scpu := get(func(s satRun) float64 { return s.CPU.Server })
				bcpu := get(func(s satRun) float64 { return s.CPU.Self })
				mcpu := get(func(s satRun) float64 { return s.CPU.Machine })
				sinkps := get(func(s satRun) float64 { return s.SinkPerSec })
				fmt.Fprintf(w, "| saturation, %s, C=%d | %.0f accepted/s (p50 %s, p99 %s, errors %.0f; CPU cores: opsdesk %.2f, bench %.2f, machine %.2f of %d; deliveries at sinks %.0f/s; peak RSS %s) | | |\n",
					label, c, ps, ms(p50), ms(p99), errs, scpu, bcpu, mcpu, runtime.NumCPU(), sinkps, mb(peak))
				if ps > best {
					best, bestC = ps, c
				}
			}
			fmt.Fprintf(w, "| **accepted questions/s at saturation, %s** (best C=%d) | **%.0f/s** | %s | %s |\n", label, bestC, best, target("≥ 2,000/s"), verdict(best >= 2000))
			sum.add(fmt.Sprintf("accepted questions/s at saturation, %s (target ≥ 2,000/s on SQLite)", label), engine, fmt.Sprintf("%.0f/s (C=%d) %s", best, bestC, verdict(best >= 2000)))
		}
		for _, routed := range []bool{true, false} {
			label, phase := "3 routes", "rate"
			if !routed {
				label, phase = "no routes", "rate-noroute"
			}
			if !o.phases[phase] {
				continue
			}
			g := func(f func(*rateRun) float64) float64 {
				return median(collect(reps, engine, func(r *rep) (float64, bool) {
					rr := r.Rate
					if !routed {
						rr = r.RateNoRoute
					}
					if rr == nil {
						return 0, false
					}
					return f(rr), true
				}))
			}
			p99 := time.Duration(g(func(r *rateRun) float64 { return float64(r.P99) }))
			sinks := ""
			if routed {
				sinks = fmt.Sprintf("; deliveries at sinks %.0f/s of %d/s needed", g(func(r *rateRun) float64 { return r.SinkPerSec }), 3*o.rate)
			}
			fmt.Fprintf(w, "| **p99 latency at %d req/s open loop, %s** | **%s** (p50 %s, p90 %s, max %s; achieved %.0f/s, errors %.0f, >50 ms %.0f of %.0f; CPU cores: opsdesk %.2f, machine %.2f%s) | %s | %s |\n",
				o.rate, label, ms(p99),
				ms(time.Duration(g(func(r *rateRun) float64 { return float64(r.P50) }))),
				ms(time.Duration(g(func(r *rateRun) float64 { return float64(r.P90) }))),
				ms(time.Duration(g(func(r *rateRun) float64 { return float64(r.Max) }))),
				g(func(r *rateRun) float64 { return r.Achieved }),
				g(func(r *rateRun) float64 { return float64(r.Errors) }),
				g(func(r *rateRun) float64 { return float64(r.Over50ms) }),
				g(func(r *rateRun) float64 { return float64(r.Sent) }),
				g(func(r *rateRun) float64 { return r.CPU.Server }),
				g(func(r *rateRun) float64 { return r.CPU.Machine }),
				sinks,
				target("≤ 50 ms"), verdict(p99 <= 50*time.Millisecond))
			sum.add(fmt.Sprintf("p99 latency at %d req/s, %s (target ≤ 50 ms on SQLite)", o.rate, label), engine, fmt.Sprintf("%s %s", ms(p99), verdict(p99 <= 50*time.Millisecond)))
		}
		if o.phases["fanout"] {
			g := func(f func(*fanRun) float64) float64 {
				return median(collect(reps, engine, func(r *rep) (float64, bool) {
					if r.Fan == nil {
						return 0, false
					}
					return f(r.Fan), true
				}))
			}
			p99 := time.Duration(g(func(r *fanRun) float64 { return float64(r.P99) }))
			fmt.Fprintf(w, "| **fan-out p99, 202 → received at sink, %d questions/s × 3 sinks** | **%s** (p50 %s, p95 %s, max %s; per question (last sink) p99 %s; delivered %.0f of %.0f, duplicates %.0f) | ≤ 500 ms | %s |\n",
				o.fanRate, ms(p99),
				ms(time.Duration(g(func(r *fanRun) float64 { return float64(r.P50) }))),
				ms(time.Duration(g(func(r *fanRun) float64 { return float64(r.P95) }))),
				ms(time.Duration(g(func(r *fanRun) float64 { return float64(r.Max) }))),
				ms(time.Duration(g(func(r *fanRun) float64 { return float64(r.QP99) }))),
				g(func(r *fanRun) float64 { return float64(r.Delivered) }),
				g(func(r *fanRun) float64 { return float64(r.Expected) }),
				g(func(r *fanRun) float64 { return float64(r.Dups) }),
				passFail(p99 <= 500*time.Millisecond))
			sum.add(fmt.Sprintf("fan-out p99, 202 → at sink, %d questions/s × 3 sinks (target ≤ 500 ms)", o.fanRate), engine, fmt.Sprintf("%s %s", ms(p99), passFail(p99 <= 500*time.Millisecond)))
		}
		if o.phases["idle"] {
			idle := median(collect(reps, engine, func(r *rep) (int64, bool) { return r.IdleRSSKB, r.IdleRSSKB > 0 }))
			hwm := median(collect(reps, engine, func(r *rep) (int64, bool) { return r.IdleHWMKB, r.IdleHWMKB > 0 }))
			restart := median(collect(reps, engine, func(r *rep) (int64, bool) { return r.IdleRestartRSSKB, r.IdleRestartRSSKB > 0 }))
			anon := median(collect(reps, engine, func(r *rep) (int64, bool) { return r.IdleAnonKB, r.IdleAnonKB > 0 }))
			fmt.Fprintf(w, "| RSS idle, first start (VmRSS %s after /readyz; includes creating the admin user) | **%s** (= %.1f MB; VmHWM so far %s) | ≤ 60 MB | %s |\n",
				o.idleSettle, mb(idle), float64(idle)*1024/1e6, mb(hwm), passFail(float64(idle)*1024 <= 60e6))
			sum.add("RSS idle, first start (target ≤ 60 MB)", engine, fmt.Sprintf("%.1f MB %s", float64(idle)*1024/1e6, passFail(float64(idle)*1024 <= 60e6)))
			fmt.Fprintf(w, "| RSS idle, restart on the same data (VmRSS %s after /readyz) | **%s** (= %.1f MB; RssAnon %s) | ≤ 60 MB | %s |\n",
				o.idleSettle, mb(restart), float64(restart)*1024/1e6, mb(anon), passFail(float64(restart)*1024 <= 60e6))
			sum.add("RSS idle, restart on the same data (target ≤ 60 MB)", engine, fmt.Sprintf("%.1f MB %s", float64(restart)*1024/1e6, passFail(float64(restart)*1024 <= 60e6)))
			for _, r := range reps {
				if r.Engine == engine && r.IdleWatchMaxKB > 0 {
					fmt.Fprintf(w, "| RSS idle over %s after a restart (rep %d, sampled every 1 s) | highest **%s** (= %.1f MB), at the end %s | ≤ 60 MB | %s |\n",
						o.idleWatch, r.Rep, mb(r.IdleWatchMaxKB), float64(r.IdleWatchMaxKB)*1024/1e6, mb(r.IdleWatchEndKB), passFail(float64(r.IdleWatchMaxKB)*1024 <= 60e6))
					sum.add(fmt.Sprintf("RSS idle, highest in %s after a restart (target ≤ 60 MB)", o.idleWatch), engine, fmt.Sprintf("%.1f MB %s", float64(r.IdleWatchMaxKB)*1024/1e6, passFail(float64(r.IdleWatchMaxKB)*1024 <= 60e6)))
				}
			}
		}
		if o.phases["sat"] {
			var peaks []int64
			for _, r := range reps {
				if r.Engine != engine {
					continue
				}
				var p int64
				for _, s := range r.Sat {
					p = max(p, s.PeakRSSKB)
				}
				peaks = append(peaks, p)
			}
			fmt.Fprintf(w, "| RSS under load (VmHWM, peak over the saturation runs with routes) | **%s** | — | info |\n", mb(median(peaks)))
			sum.add("RSS under load (VmHWM, saturation with routes; no target)", engine, fmt.Sprintf("%.1f MB", float64(median(peaks))*1024/1e6))
		}
		fmt.Fprintln(w)
	}
}
