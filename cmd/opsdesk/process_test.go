package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// These tests run the real opsdesk binary as a child process, so that a
// crash is a real SIGKILL and a shutdown a real SIGTERM.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "opsdesk-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "opsdesk")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type proc struct {
	cmd    *exec.Cmd
	addr   string
	output *syncBuffer
	exited chan struct{} // closed when the process has exited
	err    error         // its exit status, valid after exited
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startProc runs "opsdesk serve" with the config file and waits until it
// is ready.
func startProc(t *testing.T, cfgFile, addr string, env ...string) *proc {
	t.Helper()
	p := spawnProc(t, cfgFile, addr, env...)
	p.waitReady(t, 30*time.Second)
	return p
}

// spawnProc runs "opsdesk serve" with the config file without waiting for
// it (several replicas started at once); waitReady waits.
func spawnProc(t *testing.T, cfgFile, addr string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), "serve", "--config", cfgFile, "--addr", addr)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{cmd: cmd, addr: addr, output: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.output, p.output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("opsdesk output:\n%s", p.output.String())
		}
	})
	return p
}

// waitReady waits until the process answers /readyz with 200, failing the
// test if it exits first or is not ready within timeout.
func (p *proc) waitReady(t *testing.T, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("opsdesk exited during start-up: %v\n%s", p.err, p.output.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("opsdesk not ready after %s:\n%s", timeout, p.output.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func writeConfig(t *testing.T, database string, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "opsdesk.yaml")
	y := "database: " + database + "\nlog_level: warn\nintake:\n  rate_per_minute: 0\n" + body
	if err := os.WriteFile(f, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCrashLosesNothing submits questions from several clients, kills the
// process with SIGKILL mid-stream, restarts it, and checks that every
// question that got a 202 is stored and delivered to every destination —
// and never twice to the sinks that honour the idempotency key.
func TestCrashLosesNothing(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			webhook := fake.NewWebhook(t, fake.WithSecret("s3cret"))
			backlog := fake.NewBacklog(t)
			teams := fake.NewTeams(t)
			// Slow sinks keep deliveries in flight when the kill lands.
			webhook.SetDelay(30 * time.Millisecond)
			backlog.SetDelay(30 * time.Millisecond)
			db := storetest.DatabaseURL(t, engine)
			cfg := writeConfig(t, db, `deliveries:
  timeout: 2s
destinations:
  - {name: hook, type: webhook, url: '`+webhook.URL()+`', secret_env: HOOK_SECRET}
  - {name: backlog, type: backlog, base_url: '`+backlog.URL()+`', api_key_env: BACKLOG_KEY, project_id: 1, issue_type_id: 2, priority_id: 3}
  - {name: teams, type: teams, url: '`+teams.URL()+`'}
routes:
  questions: [hook, backlog, teams]
`)
			env := []string{"HOOK_SECRET=s3cret", "BACKLOG_KEY=" + backlog.APIKey()}
			addr := freeAddr(t)
			p := startProc(t, cfg, addr, env...)

			const clients, perClient = 8, 40
			var mu sync.Mutex
			accepted := map[string]bool{}
			var wg sync.WaitGroup
			killAt := make(chan struct{})
			var once sync.Once
			client := &http.Client{Timeout: 5 * time.Second}
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range perClient {
						body := fmt.Sprintf(`{"project":"crash","question":"question %d from client %d 障害"}`, i, c)
						resp, err := client.Post("http://"+addr+"/api/v1/questions", "application/json", strings.NewReader(body))
						if err != nil {
							return // the process is gone
						}
						var r struct{ ID string }
						_ = json.NewDecoder(resp.Body).Decode(&r)
						resp.Body.Close()
						if resp.StatusCode == http.StatusAccepted {
							mu.Lock()
							accepted[r.ID] = true
							if len(accepted) == clients*perClient/2 {
								once.Do(func() { close(killAt) })
							}
							mu.Unlock()
						}
					}
				}()
			}
			<-killAt
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-p.exited
			wg.Wait()
			mu.Lock()
			n202 := len(accepted)
			mu.Unlock()
			before := webhook.UniqueCount()
			t.Logf("%d questions accepted before the kill; %d webhook deliveries had landed", n202, before)
			if n202 < clients*perClient/2 {
				t.Fatalf("only %d accepted", n202)
			}

			webhook.SetDelay(0)
			backlog.SetDelay(0)
			startProc(t, cfg, addr, env...)

			st, err := store.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			// Every accepted question is stored.
			stored := map[string]bool{}
			rows, err := st.R.Query(`SELECT ref FROM questions`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var ref string
				_ = rows.Scan(&ref)
				stored[ref] = true
			}
			rows.Close()
			for ref := range accepted {
				if !stored[ref] {
					t.Errorf("question %s got a 202 but is not stored", ref)
				}
			}
			// Every stored question is delivered to every destination. On
			// SQLite the restarted process owns every job at once; on
			// PostgreSQL jobs the dead process held are rescued by River
			// after the longest job timeout + 30 s (checked every 30 s), as they
			// would be for another replica.
			deadline := time.Now().Add(150 * time.Second)
			for {
				var open, failed int
				_ = st.R.QueryRow(`SELECT count(*) FROM deliveries WHERE status = 'pending'`).Scan(&open)
				_ = st.R.QueryRow(`SELECT count(*) FROM deliveries WHERE status = 'failed'`).Scan(&failed)
				if failed > 0 {
					t.Fatalf("%d deliveries failed", failed)
				}
				if open == 0 {
					break
				}
				if time.Now().After(deadline) {
					r, _ := st.R.Query(`SELECT d.id, d.destination, d.attempts, d.next_attempt_at, d.last_error FROM deliveries d WHERE status = 'pending' LIMIT 5`)
					for r.Next() {
						var id, att, next int64
						var dest, le string
						_ = r.Scan(&id, &dest, &att, &next, &le)
						t.Logf("pending: id=%d %s attempts=%d next=%s err=%s", id, dest, att, store.Time(next), le)
					}
					r.Close()
					r, _ = st.R.Query(`SELECT state, count(*) FROM river_job GROUP BY state`)
					for r.Next() {
						var s string
						var n int
						_ = r.Scan(&s, &n)
						t.Logf("river_job %s: %d", s, n)
					}
					r.Close()
					t.Fatalf("%d deliveries still pending after restart", open)
				}
				time.Sleep(50 * time.Millisecond)
			}
			var nDeliveries int
			_ = st.R.QueryRow(`SELECT count(*) FROM deliveries WHERE status = 'delivered'`).Scan(&nDeliveries)
			if nDeliveries != 3*len(stored) {
				t.Errorf("%d deliveries delivered for %d questions; want %d", nDeliveries, len(stored), 3*len(stored))
			}
			seen := map[string]bool{}
			for _, d := range webhook.Deliveries() {
				if !d.Duplicate {
					seen[d.Payload.Question.ID] = true
				}
			}
			if webhook.UniqueCount() != len(stored) || len(seen) != len(stored) {
				t.Errorf("webhook: %d unique keys, %d questions seen; %d stored", webhook.UniqueCount(), len(seen), len(stored))
			}
			for ref := range accepted {
				if !seen[ref] {
					t.Errorf("accepted question %s never reached the webhook", ref)
				}
			}
			// Backlog finds the issue of an interrupted attempt instead of
			// creating a second one.
			perRef := map[string]int{}
			for _, is := range backlog.Issues() {
				for ref := range stored {
					if strings.Contains(is.Description, ref) {
						perRef[ref]++
					}
				}
			}
			for ref := range stored {
				if perRef[ref] != 1 {
					t.Errorf("question %s has %d Backlog issues", ref, perRef[ref])
				}
			}
			t.Logf("after restart: %d questions, %d webhook posts (%d duplicates absorbed by the idempotency key), %d Backlog issues",
				len(stored), len(webhook.Deliveries()), len(webhook.Deliveries())-webhook.UniqueCount(), len(backlog.Issues()))
		})
	}
}

// TestSIGTERMDrains checks the graceful shutdown of the real process: it
// stops within 30 s with exit status 0, and what it accepted is delivered
// after the next start.
func TestSIGTERMDrains(t *testing.T) {
	webhook := fake.NewWebhook(t)
	webhook.SetDelay(500 * time.Millisecond)
	db := storetest.DatabaseURL(t, store.SQLite)
	cfg := writeConfig(t, db, `destinations:
  - {name: hook, type: webhook, url: '`+webhook.URL()+`'}
routes:
  questions: [hook]
`)
	addr := freeAddr(t)
	p := startProc(t, cfg, addr)
	for i := range 20 {
		resp, err := http.Post("http://"+addr+"/api/v1/questions", "application/json", strings.NewReader(fmt.Sprintf(`{"question":"q%d"}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 202 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	begin := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		if p.err != nil {
			t.Fatalf("exit: %v\n%s", p.err, p.output.String())
		}
	case <-time.After(32 * time.Second):
		t.Fatal("no exit within 30s of SIGTERM")
	}
	took := time.Since(begin)
	if took > 30*time.Second {
		t.Errorf("shutdown took %s", took)
	}
	if !strings.Contains(p.output.String(), "stopped") && !strings.Contains(p.output.String(), "shutting down") {
		// log level warn hides info; the exit status is the proof.
		_ = took
	}
	// New connections are refused now.
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("still serving after exit")
	}
	webhook.SetDelay(0)
	startProc(t, cfg, addr)
	webhook.WaitForUnique(t, 20, 30*time.Second)
}

// runProcess runs bin with args in dir (the test's directory when "") with
// env and stdin, and returns what it printed and its exit code; a process
// that could not run fails the test.
func runProcess(t *testing.T, bin string, env []string, dir, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Dir, cmd.Stdin = env, dir, strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}
