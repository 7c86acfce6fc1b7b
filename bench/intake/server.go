package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opsdesk/opsdesk/internal/config"
)

// server is one opsdesk process under test, with its own configuration file,
// data directory and (on PostgreSQL) its own freshly created database.
type server struct {
	cmd    *exec.Cmd
	pid    int
	base   string // http://127.0.0.1:PORT
	dir    string
	db     string // database setting
	pgName string // database to drop at the end ("" on SQLite)
	exited chan struct{}
	werr   error
}

// serverSpec says how to start a process.
type serverSpec struct {
	bin     string
	engine  string   // "sqlite" or "postgres"
	pgAdmin string   // admin DSN used to create and drop databases
	pgQuery string   // extra query parameters for opsdesk's DSN (e.g. pool_max_conns=40)
	workdir string   // parent of the temporary directory
	sinks   []string // webhook URLs of the local sinks
	routed  bool     // route questions to the sinks
	workers int      // deliveries.workers; 0 keeps the product default
	reuse   *server  // restart on the same data (idle-after-restart measurement)
}

const webhookSecretEnv = "OPSDESK_BENCH_WEBHOOK_SECRET"

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// configYAML renders the opsdesk configuration for the benchmark: no per-IP
// limit (every request comes from 127.0.0.1), warn-level logs (no line per
// request), three webhook destinations pointing at the sinks. Everything
// else is the product default.
func configYAML(addr, database, dataDir string, sinks []string, routed bool, workers int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "addr: %s\n", addr)
	fmt.Fprintf(&b, "database: %q\n", database)
	fmt.Fprintf(&b, "data_dir: %q\n", dataDir)
	b.WriteString("log_format: text\nlog_level: warn\nshutdown_timeout: 10s\n")
	b.WriteString("intake:\n  rate_per_minute: 0\n")
	if workers > 0 {
		fmt.Fprintf(&b, "deliveries:\n  workers: %d\n", workers)
	}
	b.WriteString("destinations:\n")
	var names []string
	for i, u := range sinks {
		n := fmt.Sprintf("sink-%d", i+1)
		names = append(names, n)
		fmt.Fprintf(&b, "  - name: %s\n    type: webhook\n    url: %s\n    secret_env: %s\n", n, u, webhookSecretEnv)
	}
	if routed {
		fmt.Fprintf(&b, "routes:\n  questions: [%s]\n", strings.Join(names, ", "))
	}
	return b.String()
}

var pgSeq int

// current is the server running now, so that an interrupted benchmark
// still stops it and drops its database.
var current struct {
	sync.Mutex
	s       *server
	pgAdmin string
}

func setCurrent(s *server, pgAdmin string) {
	current.Lock()
	current.s, current.pgAdmin = s, pgAdmin
	current.Unlock()
}

// abortCurrent kills the running server and removes its data (signal path).
func abortCurrent() {
	current.Lock()
	defer current.Unlock()
	if s := current.s; s != nil {
		if s.cmd != nil {
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		s.cleanup(current.pgAdmin)
		current.s = nil
	}
}

func createPostgresDB(ctx context.Context, admin string) (name, dsn string, err error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", "", fmt.Errorf("--pg: %w", err)
	}
	pgSeq++
	name = fmt.Sprintf("opsdesk_bench_%d_%d_%d", os.Getpid(), time.Now().Unix()%100000, pgSeq)
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", "", fmt.Errorf("connect %s: %w", u.Redacted(), err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", "", fmt.Errorf("create database %s: %w", name, err)
	}
	u.Path = "/" + name
	return name, u.String(), nil
}

func dropPostgresDB(admin, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// startServer starts opsdesk serve and waits until /readyz answers 200.
func startServer(ctx context.Context, sp serverSpec) (*server, error) {
	s := &server{exited: make(chan struct{})}
	if sp.reuse != nil {
		s.dir, s.db, s.pgName = sp.reuse.dir, sp.reuse.db, sp.reuse.pgName
	} else {
		dir, err := os.MkdirTemp(sp.workdir, "opsdesk-bench-")
		if err != nil {
			return nil, err
		}
		s.dir = dir
		switch sp.engine {
		case "sqlite":
			s.db = "sqlite:" + filepath.Join(dir, "opsdesk.db")
		case "postgres":
			name, dsn, err := createPostgresDB(ctx, sp.pgAdmin)
			if err != nil {
				os.RemoveAll(dir)
				return nil, err
			}
			if sp.pgQuery != "" {
				if strings.Contains(dsn, "?") {
					dsn += "&" + sp.pgQuery
				} else {
					dsn += "?" + sp.pgQuery
				}
			}
			s.db, s.pgName = dsn, name
		default:
			return nil, fmt.Errorf("unknown engine %q", sp.engine)
		}
	}
	port, err := freePort()
	if err != nil {
		s.cleanup(sp.pgAdmin)
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s.base = "http://" + addr
	yml := configYAML(addr, s.db, filepath.Join(s.dir, "data"), sp.sinks, sp.routed, sp.workers)
	// Refuse early, with the product's own message, if the file is wrong.
	if _, err := config.Parse([]byte(yml)); err != nil {
		s.cleanup(sp.pgAdmin)
		return nil, fmt.Errorf("generated config: %w", err)
	}
	cfgPath := filepath.Join(s.dir, "opsdesk.yaml")
	if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
		s.cleanup(sp.pgAdmin)
		return nil, err
	}
	logf, err := os.OpenFile(filepath.Join(s.dir, "opsdesk.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.cleanup(sp.pgAdmin)
		return nil, err
	}
	cmd := exec.Command(sp.bin, "serve")
	cmd.Dir = s.dir
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPSDESK_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "OPSDESK_CONFIG="+cfgPath, webhookSecretEnv+"=bench-secret-0123456789")
	cmd.Stdout, cmd.Stderr = logf, logf
	// The process dies with the benchmark, whatever happens to it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		s.cleanup(sp.pgAdmin)
		return nil, fmt.Errorf("start %s: %w", sp.bin, err)
	}
	s.cmd, s.pid = cmd, cmd.Process.Pid
	go func() {
		s.werr = cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	setCurrent(s, sp.pgAdmin)
	if err := s.waitReady(60 * time.Second); err != nil {
		s.stop(sp.pgAdmin, false)
		return nil, fmt.Errorf("%w\n--- opsdesk log (tail) ---\n%s", err, s.logTail(20))
	}
	return s, nil
}

func (s *server) waitReady(limit time.Duration) error {
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("opsdesk exited before it was ready: %v", s.werr)
		default:
		}
		resp, err := c.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("opsdesk not ready after %s", limit)
}

func (s *server) logTail(n int) string {
	data, _ := os.ReadFile(filepath.Join(s.dir, "opsdesk.log"))
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// warnings counts log lines at WARN or ERROR (the process logs at warn).
func (s *server) warnings() int {
	f, err := os.Open(filepath.Join(s.dir, "opsdesk.log"))
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if bytes.Contains(sc.Bytes(), []byte("level=WARN")) || bytes.Contains(sc.Bytes(), []byte("level=ERROR")) {
			n++
		}
	}
	return n
}

// stop sends SIGTERM and waits (SIGKILL after 30 s). With keepData the data
// directory and database stay for a restart; otherwise they are removed.
func (s *server) stop(pgAdmin string, keepData bool) {
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	}
	if !keepData {
		s.cleanup(pgAdmin)
	}
	setCurrent(nil, "")
}

func (s *server) cleanup(pgAdmin string) {
	if s.pgName != "" {
		if err := dropPostgresDB(pgAdmin, s.pgName); err != nil {
			fmt.Fprintf(os.Stderr, "bench: drop database %s: %v\n", s.pgName, err)
		}
		s.pgName = ""
	}
	if s.dir != "" && os.Getenv("BENCH_KEEP") == "" {
		os.RemoveAll(s.dir)
	}
}

// procStatus reads VmRSS and VmHWM (KiB) of pid.
func procStatus(pid int) (rss, hwm int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		switch k {
		case "VmRSS":
			rss, _ = strconv.ParseInt(f[0], 10, 64)
		case "VmHWM":
			hwm, _ = strconv.ParseInt(f[0], 10, 64)
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("no VmRSS in /proc status")
	}
	return rss, hwm, nil
}

// procField reads one "kB" field of /proc/PID/status (e.g. RssAnon).
func procField(pid int, name string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == name {
			if f := strings.Fields(v); len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// procCPU returns user+system CPU time of pid (from /proc/PID/stat, clock
// ticks of 10 ms, the Linux USER_HZ).
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(data[i+1:]))
	// After the command name: state(0) ppid(1) … utime(11) stime(12).
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// machineCPU reads the first line of /proc/stat: jiffies spent in user,
// nice and system mode (processes), in softirq (loopback networking is
// mostly here), stolen by the hypervisor, and in total.
type machineCPU struct{ proc, softirq, steal, total int64 }

func readMachineCPU() machineCPU {
	var m machineCPU
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return m
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return m
	}
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i >= 8 { // guest, guest_nice are already in user, nice
			break
		}
		m.total += n
		switch i {
		case 0, 1, 2:
			m.proc += n
		case 6:
			m.softirq += n
		case 7:
			m.steal += n
		}
	}
	return m
}

// postgresCPU sums the CPU time of every process named "postgres" (the
// PostgreSQL server's backends and helpers).
func postgresCPU() time.Duration {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var sum time.Duration
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil || !bytes.Contains(data, []byte("(postgres)")) {
			continue
		}
		sum += procCPU(pid)
	}
	return sum
}

// cpuMeter measures, over an interval, the CPU (in cores) used by the
// opsdesk process, by this process, by PostgreSQL, by the whole machine, and
// what is left: "foreign" CPU of other programs on the machine, which
// disturbs the measurement.
type cpuMeter struct {
	pid       int
	t0        time.Time
	srv, self time.Duration
	pg        time.Duration
	m         machineCPU
}

// cpuUse is the outcome of a cpuMeter, in cores.
type cpuUse struct {
	Server, Self, Postgres float64
	Machine                float64 // user+system of every process, + softirq
	SoftIRQ, Steal         float64
	Foreign                float64 // processes other than opsdesk, the benchmark, PostgreSQL
}

func (u cpuUse) String() string {
	return fmt.Sprintf("cpu cores opsdesk=%.2f bench=%.2f postgres=%.2f softirq=%.2f machine=%.2f other=%.2f steal=%.2f",
		u.Server, u.Self, u.Postgres, u.SoftIRQ, u.Machine, u.Foreign, u.Steal)
}

func startCPU(pid int) *cpuMeter {
	return &cpuMeter{pid: pid, t0: time.Now(), srv: procCPU(pid), self: selfCPU(), pg: postgresCPU(), m: readMachineCPU()}
}

func (c *cpuMeter) read() cpuUse {
	wall := time.Since(c.t0).Seconds()
	var u cpuUse
	u.Server = (procCPU(c.pid) - c.srv).Seconds() / wall
	u.Self = (selfCPU() - c.self).Seconds() / wall
	u.Postgres = max(0, (postgresCPU()-c.pg).Seconds()/wall)
	m := readMachineCPU()
	if dt := m.total - c.m.total; dt > 0 {
		n := float64(runtime.NumCPU())
		proc := float64(m.proc-c.m.proc) / float64(dt) * n
		u.SoftIRQ = float64(m.softirq-c.m.softirq) / float64(dt) * n
		u.Steal = float64(m.steal-c.m.steal) / float64(dt) * n
		u.Machine = proc + u.SoftIRQ
		u.Foreign = max(0, proc-u.Server-u.Self-u.Postgres)
	}
	return u
}

// waitQuiet waits until other programs leave the machine alone: quietFor
// consecutive seconds in each of which they use less than limit cores. It
// gives up after timeout and reports the last second it saw. pid is the
// opsdesk process (0: none running).
func waitQuiet(pid int, limit float64, quietFor int, timeout time.Duration) (float64, bool) {
	deadline := time.Now().Add(timeout)
	last, streak := 0.0, 0
	for time.Now().Before(deadline) {
		c := startCPU(pid)
		time.Sleep(time.Second)
		u := c.read()
		last = u.Foreign + u.Steal
		if last < limit {
			streak++
			if streak >= quietFor {
				return last, true
			}
		} else {
			streak = 0
		}
	}
	return last, false
}

// selfCPU is the benchmark's own CPU time (load generator and sinks).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssSampler polls VmRSS every 100 ms until stopped and keeps the maximum.
type rssSampler struct {
	stopc chan struct{}
	done  chan struct{}
	max   int64
}

func sampleRSS(pid int) *rssSampler {
	r := &rssSampler{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, _, err := procStatus(pid); err == nil && rss > r.max {
				r.max = rss
			}
			select {
			case <-r.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return r
}

func (r *rssSampler) stop() int64 {
	close(r.stopc)
	<-r.done
	return r.max
}
