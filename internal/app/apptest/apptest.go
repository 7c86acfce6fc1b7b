// Package apptest starts a whole opsdesk process in-process for tests:
// real store, real job queue, real HTTP server on a loopback port.
package apptest

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/delivery"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Server is a running opsdesk.
type Server struct {
	App *app.App
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string
	// Password is the admin's password printed at first start. Start and
	// StartWith make it an ordinary password, so that tests log in
	// without meeting the forced change of a one-time password;
	// StartFirstRun leaves it one-time, as a real first start does.
	Password string
	stop     func() time.Duration
}

// Stop shuts the server down as SIGTERM would and returns how long it took.
// It is also called by t.Cleanup; a second call does nothing.
func (s *Server) Stop() time.Duration { return s.stop() }

// Start builds and runs opsdesk with cfg. env stands in for the process
// environment (secrets named by *_env keys). Delivery retries back off by
// 50 ms instead of seconds.
func Start(t testing.TB, cfg *config.Config, env map[string]string) *Server {
	t.Helper()
	return StartWith(t, cfg, env, nil)
}

// StartWith is Start with a chance to change the options (test hooks).
func StartWith(t testing.TB, cfg *config.Config, env map[string]string, edit func(*app.Options)) *Server {
	t.Helper()
	return start(t, cfg, env, edit, true)
}

// StartFirstRun is Start with the admin's password left one-time: the
// first login must change it (auth.User.MustChangePassword).
func StartFirstRun(t testing.TB, cfg *config.Config, env map[string]string) *Server {
	t.Helper()
	return start(t, cfg, env, nil, false)
}

func start(t testing.TB, cfg *config.Config, env map[string]string, edit func(*app.Options), settle bool) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout bytes.Buffer
	opts := app.Options{
		Lookup:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Stdout:  &stdout,
		Backoff: func(int) time.Duration { return 50 * time.Millisecond },
	}
	if edit != nil {
		edit(&opts)
	}
	a, err := app.New(ctx, cfg, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	s := &Server{App: a, URL: "http://" + ln.Addr().String()}
	if m := passwordRE.FindStringSubmatch(stdout.String()); m != nil {
		s.Password = m[1]
		if settle {
			if err := a.Auth.SetPassword(ctx, "admin", s.Password); err != nil {
				t.Fatal(err)
			}
		}
	}
	var once sync.Once
	var took time.Duration
	s.stop = func() time.Duration {
		once.Do(func() {
			begin := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("opsdesk run: %v", err)
				}
			case <-time.After(35 * time.Second):
				t.Error("opsdesk did not stop within 35s")
			}
			took = time.Since(begin)
		})
		return took
	}
	t.Cleanup(func() { s.stop() })
	return s
}

var passwordRE = regexp.MustCompile(`created user "admin" with one-time password:\n\n    (\S+)\n`)

// WaitFinal polls the store until every delivery of the question is
// delivered or failed, and returns them by destination.
func WaitFinal(t testing.TB, st *store.Store, ref string, timeout time.Duration) map[string]*delivery.Delivery {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var qid int64
		if err := st.R.QueryRow(st.Q(`SELECT id FROM questions WHERE ref = ?`), ref).Scan(&qid); err != nil {
			t.Fatalf("question %s not stored: %v", ref, err)
		}
		ds, err := delivery.ForQuestion(context.Background(), st, qid)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*delivery.Delivery{}
		final := true
		for _, d := range ds {
			out[d.Destination] = d
			if d.Status == delivery.StatusPending {
				final = false
			}
		}
		if final {
			return out
		}
		if time.Now().After(deadline) {
			for _, d := range ds {
				t.Logf("%s: %s attempts=%d err=%s", d.Destination, d.Status, d.Attempts, d.LastError)
			}
			t.Fatalf("deliveries of %s not final after %s", ref, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
