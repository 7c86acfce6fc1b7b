package main

import (
	"context"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestFirstStartChecksEverythingFirst: a configuration error found only
// while building the process (an event rule's pattern), or a port in use,
// fails the first start before the admin is created; the next good start
// creates it and prints its one-time password. (It used to be created and
// printed first, and then lost.)
func TestFirstStartChecksEverythingFirst(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			db := storetest.DatabaseURL(t, engine)
			bad := writeConfig(t, db, `events:
  rules:
    - name: uploads
      pattern: '{"source": "aws.s3"}'
      actions: [{type: store}]
`)
			good := writeConfig(t, db, "")
			countUsers := func() int {
				t.Helper()
				st, err := store.Open(context.Background(), db)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				var n int
				if err := st.R.QueryRow(`SELECT count(*) FROM users`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}

			p := spawnProc(t, bad, freeAddr(t))
			select {
			case <-p.exited:
			case <-time.After(60 * time.Second):
				t.Fatal("a bad configuration did not stop the start")
			}
			out := p.output.String()
			if p.err == nil || !strings.Contains(out, "events.rules[0].pattern") || strings.Contains(out, "password") {
				t.Fatalf("bad config: %v\n%s", p.err, out)
			}
			if n := countUsers(); n != 0 {
				t.Fatalf("%d users created by a start that failed", n)
			}

			// The address is taken: nothing is created either.
			busy, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer busy.Close()
			p = spawnProc(t, good, busy.Addr().String())
			<-p.exited
			if out := p.output.String(); p.err == nil || !strings.Contains(out, "listen on") || strings.Contains(out, "password") {
				t.Fatalf("port in use: %v\n%s", p.err, out)
			}
			if n := countUsers(); n != 0 {
				t.Fatalf("%d users created by a start that could not listen", n)
			}

			p = startProc(t, good, freeAddr(t))
			m := regexp.MustCompile(`created user "admin" with one-time password:\n\n    (\S+)\n`).FindStringSubmatch(p.output.String())
			if m == nil || !strings.Contains(p.output.String(), "must be changed at the first login") {
				t.Fatalf("no password printed:\n%s", p.output.String())
			}
			st, err := store.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			_, u, err := auth.New(st, nil).Login(context.Background(), "admin", m[1], time.Hour)
			if err != nil || !u.MustChangePassword() || u.PasswordExpiresAt.Sub(time.Now()) > auth.OneTimeValidity {
				t.Fatalf("the printed password: %v %+v", err, u)
			}
		})
	}
}
