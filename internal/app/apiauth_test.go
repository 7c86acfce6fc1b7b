package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// apiRoutes is every route of the machine API that takes a token, with
// the scope it needs. ingest routes accept ?token=; sns routes also take
// signed SNS posts without a token.
var apiRoutes = []struct {
	method, path, scope string
	sns                 bool
}{
	{"POST", "/api/v1/alerts", auth.ScopeIngestAlerts, false},
	{"POST", "/api/v1/alerts/alertmanager", auth.ScopeIngestAlerts, false},
	{"POST", "/api/v1/alerts/zabbix", auth.ScopeIngestAlerts, false},
	{"POST", "/api/v1/alerts/nagios", auth.ScopeIngestAlerts, false},
	{"POST", "/api/v1/alerts/cloudwatch", auth.ScopeIngestAlerts, true},
	{"GET", "/api/v1/alerts", auth.ScopeReadAlerts, false},
	{"GET", "/api/v1/alerts/1", auth.ScopeReadAlerts, false},
	{"POST", "/api/v1/alerts/1/ack", auth.ScopeActAlerts, false},
	{"POST", "/api/v1/alerts/1/resolve", auth.ScopeActAlerts, false},
	{"GET", "/api/v1/alerts/1/notes", auth.ScopeReadAlerts, false},
	{"POST", "/api/v1/alerts/1/notes", auth.ScopeActAlerts, false},
	{"PUT", "/api/v1/alerts/1/assignee", auth.ScopeActAlerts, false},
	{"POST", "/api/v1/events", auth.ScopeIngestEvents, true},
	{"GET", "/api/v1/cases", auth.ScopeReadCases, false},
	{"GET", "/api/v1/cases/case-1", auth.ScopeReadCases, false},
	{"GET", "/api/v1/oncall", auth.ScopeReadAlerts, false},
	{"GET", "/api/v1/oncall/platform", auth.ScopeReadAlerts, false},
	{"GET", "/api/v1/heartbeat-monitors", auth.ScopeAdmin, false},
	{"POST", "/api/v1/heartbeat-monitors", auth.ScopeAdmin, false},
	{"DELETE", "/api/v1/heartbeat-monitors/nightly", auth.ScopeAdmin, false},
	{"GET", "/api/v1/health-events", auth.ScopeReadEvents, false},
	{"GET", "/api/v1/health-events/1", auth.ScopeReadEvents, false},
}

func authServer(t *testing.T, engine string) *apptest.Server {
	t.Helper()
	cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
log_level: error
alerts:
  default_system: XYZ
  sns_topics: [arn:aws:sns:ap-northeast-1:123456789012:alarms]
events:
  sns_topics: [arn:aws:sns:ap-northeast-1:123456789012:events]
`))
	if err != nil {
		t.Fatal(err)
	}
	return apptest.Start(t, cfg, nil)
}

type apiAnswer struct {
	status int
	Error  string `json:"error"`
	Code   string `json:"code"`
	Scope  string `json:"scope"`
}

func callAPI(t *testing.T, base, method, path, header, query string) apiAnswer {
	t.Helper()
	u := base + path
	if query != "" {
		u += "?token=" + query
	}
	var body io.Reader
	if method == "POST" {
		body = strings.NewReader(`{}`)
	}
	req, _ := http.NewRequest(method, u, body)
	req.Header.Set("Content-Type", "application/json")
	if header != "" {
		req.Header.Set("Authorization", "Bearer "+header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := apiAnswer{status: resp.StatusCode}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &a)
	if a.Error == "" {
		a.Error = string(raw)
	}
	return a
}

// TestAPIScopes: every API route refuses a token without its scope (403
// naming the scope) and admits one with it; a query-string token works on
// the ingest routes only (401 elsewhere, as on GET /api/v1/cases?token=).
func TestAPIScopes(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := authServer(t, engine)
			ctx := context.Background()
			tokens := map[string]string{}
			for _, sc := range auth.ScopeNames() {
				tok, err := s.App.Auth.CreateToken(ctx, "only-"+strings.ReplaceAll(sc, ":", "-"), sc)
				if err != nil {
					t.Fatal(err)
				}
				tokens[sc] = tok
			}
			for _, rt := range apiRoutes {
				label := rt.method + " " + rt.path
				if a := callAPI(t, s.URL, rt.method, rt.path, "", ""); a.status != 401 || a.Code != auth.CodeTokenRequired || !strings.Contains(a.Error, rt.scope) {
					t.Errorf("%s without a token: %d %s", label, a.status, a.Error)
				}
				for _, sc := range auth.ScopeNames() {
					a := callAPI(t, s.URL, rt.method, rt.path, tokens[sc], "")
					allowed := sc == rt.scope || sc == auth.ScopeAdmin || (sc == auth.ScopeActAlerts && rt.scope == auth.ScopeReadAlerts)
					if allowed && (a.status == 401 || a.status == 403) {
						t.Errorf("%s with %s: refused %d %s", label, sc, a.status, a.Error)
					}
					if !allowed && (a.status != 403 || a.Scope != rt.scope || !strings.Contains(a.Error, rt.scope)) {
						t.Errorf("%s with %s: %d %+v; want 403 naming %s", label, sc, a.status, a, rt.scope)
					}
				}
				// The same token in the query string.
				a := callAPI(t, s.URL, rt.method, rt.path, "", tokens[rt.scope])
				if auth.IngestScope(rt.scope) {
					if a.status == 401 || a.status == 403 {
						t.Errorf("%s with ?token= of scope %s: refused %d %s", label, rt.scope, a.status, a.Error)
					}
				} else if a.status != 401 || a.Code != auth.CodeQueryToken {
					t.Errorf("%s with ?token=: %d %+v; want 401 %s", label, a.status, a, auth.CodeQueryToken)
				}
				if a := callAPI(t, s.URL, rt.method, rt.path, "", tokens[auth.ScopeAdmin]); a.status != 401 && a.status != 403 {
					t.Errorf("%s accepts an admin token in the URL: %d", label, a.status)
				}
			}
			// Tokens in use have a last use; the one never used has none.
			ts, err := s.App.Auth.ListTokens(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range ts {
				if tk.LastUsedAt.IsZero() {
					t.Errorf("token %s has no last use", tk.Name)
				}
			}
		})
	}
}

// countingBody is a request body of n bytes that counts what is read of
// it, without holding the bytes.
type countingBody struct {
	left int64
	read atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), c.left)
	for i := range p[:n] {
		p[i] = 'a'
	}
	c.left -= n
	c.read.Add(n)
	return int(n), nil
}

func (c *countingBody) Close() error { return nil }

// TestAuthBeforeBody: no API route reads any of the body of a request
// without a valid token with its scope; a tokenless post that says it is
// from SNS is read at most up to httpx.MaxSNSBody.
func TestAuthBeforeBody(t *testing.T) {
	s := authServer(t, store.SQLite)
	wrong, err := s.App.Auth.CreateToken(context.Background(), "reader", auth.ScopeReadCases)
	if err != nil {
		t.Fatal(err)
	}
	ingest, err := s.App.Auth.CreateToken(context.Background(), "ingest", auth.ScopeIngestAlerts, auth.ScopeIngestEvents)
	if err != nil {
		t.Fatal(err)
	}
	const size = 8 << 20
	for _, rt := range apiRoutes {
		if rt.method != "POST" {
			continue
		}
		for _, tc := range []struct {
			name, header, query string
			want                int
		}{
			{"no token", "", "", 401},
			{"bad token", auth.TokenPrefix + "nope", "", 401},
			{"bad query token", "", auth.TokenPrefix + "nope", 401},
			{"token without the scope", wrong, "", 403},
		} {
			body := &countingBody{left: size}
			req := httptest.NewRequest(rt.method, rt.path, body)
			if tc.query != "" {
				req = httptest.NewRequest(rt.method, rt.path+"?token="+tc.query, body)
			}
			req.ContentLength = -1 // unknown: only reading would tell
			if tc.header != "" {
				req.Header.Set("Authorization", "Bearer "+tc.header)
			}
			w := httptest.NewRecorder()
			s.App.Handler.ServeHTTP(w, req)
			if w.Code != tc.want || body.read.Load() != 0 {
				t.Errorf("%s %s, %s: %d, %d bytes of the body read; want %d and none", rt.method, rt.path, tc.name, w.Code, body.read.Load(), tc.want)
			}
		}
		if !rt.sns {
			continue
		}
		// Without a token but saying it is SNS: read, but no further than
		// an SNS message can be.
		body := &countingBody{left: size}
		req := httptest.NewRequest(rt.method, rt.path, body)
		req.ContentLength = -1
		req.Header.Set("X-Amz-Sns-Message-Type", "Notification")
		w := httptest.NewRecorder()
		s.App.Handler.ServeHTTP(w, req)
		if n := body.read.Load(); w.Code != http.StatusRequestEntityTooLarge || n > httpx.MaxSNSBody+64<<10 {
			t.Errorf("%s tokenless SNS of 8 MiB: %d after reading %d bytes; want 413 within %d", rt.path, w.Code, n, httpx.MaxSNSBody)
		}
		// Declared too large: refused before reading anything.
		body = &countingBody{left: size}
		req = httptest.NewRequest(rt.method, rt.path, body)
		req.ContentLength = size
		req.Header.Set("X-Amz-Sns-Message-Type", "Notification")
		w = httptest.NewRecorder()
		s.App.Handler.ServeHTTP(w, req)
		if w.Code != http.StatusRequestEntityTooLarge || body.read.Load() != 0 {
			t.Errorf("%s tokenless SNS declaring 8 MiB: %d after reading %d bytes", rt.path, w.Code, body.read.Load())
		}
		// A token with the scope lifts the SNS cap to the configured limit.
		body = &countingBody{left: httpx.MaxSNSBody + 100<<10}
		req = httptest.NewRequest(rt.method, rt.path, body)
		req.ContentLength = -1
		req.Header.Set("Authorization", "Bearer "+ingest)
		w = httptest.NewRecorder()
		s.App.Handler.ServeHTTP(w, req)
		if body.read.Load() != httpx.MaxSNSBody+100<<10 || w.Code == http.StatusRequestEntityTooLarge {
			t.Errorf("%s with a token: %d after reading %d bytes; want the whole body read", rt.path, w.Code, body.read.Load())
		}
	}
}

// TestUnauthenticatedAnsweredBeforeSent: over a real connection, the 401
// arrives while the client has sent 1 MiB of a body it announced as 64 MiB.
func TestUnauthenticatedAnsweredBeforeSent(t *testing.T) {
	s := authServer(t, store.SQLite)
	for _, path := range []string{"/api/v1/events", "/api/v1/alerts", "/api/v1/alerts/cloudwatch"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", path, 64<<20)
		if _, err := conn.Write(make([]byte, 1<<20)); err != nil {
			t.Fatalf("%s: sending the first MiB: %v", path, err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: no answer after 1 of 64 MiB: %v", path, err)
		}
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d; want 401 before the body is sent", path, resp.StatusCode)
		}
	}
}

// TestUnauthenticatedFloodMemory: 40 parallel unauthenticated posts of
// 6 MiB each (the issue measured RSS going from 47 to 234 MB) allocate
// next to nothing: the bodies are never read. Tokenless posts claiming to
// be SNS cost at most their capped body each.
func TestUnauthenticatedFloodMemory(t *testing.T) {
	s := authServer(t, store.SQLite)
	addr := strings.TrimPrefix(s.URL, "http://")
	const parallel, size = 40, 6 << 20
	flood := func(path string, hdr string) (allocated uint64, statuses map[int]int) {
		t.Helper()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		var mu sync.Mutex
		statuses = map[int]int{}
		var wg sync.WaitGroup
		chunk := make([]byte, 64<<10)
		crlf := []byte("\r\n")
		for range parallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Error(err)
					return
				}
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
				fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n%sTransfer-Encoding: chunked\r\n\r\n", path, hdr)
				// Send the whole body (chunked: no length to refuse it
				// by) while reading the answer.
				go func() {
					head := []byte(fmt.Sprintf("%x\r\n", len(chunk)))
					for sent := 0; sent < size; sent += len(chunk) {
						for _, b := range [][]byte{head, chunk, crlf} {
							if _, err := conn.Write(b); err != nil {
								return // the server closed: it will not read more
							}
						}
					}
					fmt.Fprint(conn, "0\r\n\r\n")
				}()
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				code := 0
				if err == nil {
					code = resp.StatusCode
					resp.Body.Close()
				}
				mu.Lock()
				statuses[code]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, statuses
	}
	alloc, st := flood("/api/v1/events", "")
	t.Logf("40 × 6 MiB without a token: %d KiB allocated in the process (test client included), answers %v", alloc>>10, st)
	if st[401] != parallel {
		t.Errorf("answers %v; want %d × 401", st, parallel)
	}
	// Reading the bodies would allocate 240 MiB and more.
	if alloc > 24<<20 {
		t.Errorf("%d MiB allocated for refused posts", alloc>>20)
	}
	alloc, st = flood("/api/v1/events", "X-Amz-Sns-Message-Type: Notification\r\n")
	t.Logf("40 × 6 MiB tokenless as SNS: %d KiB allocated, answers %v", alloc>>10, st)
	if st[413] != parallel {
		t.Errorf("answers %v; want %d × 413", st, parallel)
	}
	// Each is read up to the SNS cap (io.ReadAll's buffer grows to at
	// most twice that, in steps).
	if limit := uint64(parallel*3*httpx.MaxSNSBody + 24<<20); alloc > limit {
		t.Errorf("%d MiB allocated for tokenless SNS posts; want under %d MiB", alloc>>20, limit>>20)
	}
}
