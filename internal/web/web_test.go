package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/intake"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// testConfig routes questions to two destinations; the Teams URL carries
// secrets in its path and query that must never reach a page. 127.0.0.1 is
// a trusted proxy, so each test picks its client address with
// X-Forwarded-For and gets its own rate-limit bucket.
const testConfig = `
trusted_proxies: [127.0.0.1]
destinations:
  - name: teams
    type: teams
    url: https://example.webhook.office.com/workflows/SECRETPATH123/triggers/manual?sig=SECRETSIG456&api-version=1
  - name: backlog
    type: backlog
    base_url: https://space.backlog.com
    api_key_env: BACKLOG_KEY
    project_id: 1
    issue_type_id: 2
    priority_id: 3
  - name: slack
    type: slack
    url_env: SLACK_URL
routes:
  questions: [teams, backlog]
intake:
  rate_per_minute: 1
  burst: 3
  max_question_chars: 50
console:
  login_per_minute: 3
`

const password = "correct horse battery"

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t      *testing.T
	st     *store.Store
	cfg    *config.Config
	clock  *fakeClock
	h      *Handler
	intake *intake.Service
	auth   *auth.Service
	srv    *httptest.Server
}

// newEnv builds the whole stack on st; opts adjust the handler before the
// server starts.
func newEnv(t *testing.T, st *store.Store, yaml string, opts ...func(*Handler)) *env {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, st); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(st, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	in := intake.New(st, q, intake.Options{Routes: cfg.Routes.Questions, MaxQuestionChars: cfg.Intake.MaxQuestionChars, Now: clock.Now})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		in.Run(runCtx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	au := auth.New(st, clock.Now)
	// Pages write times in UTC whatever the machine's zone (TZ).
	h, err := New(Deps{Cfg: cfg, St: st, Auth: au, Intake: in, Queue: q, Now: clock.Now, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		o(h)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, st: st, cfg: cfg, clock: clock, h: h, intake: in, auth: au, srv: srv}
}

func (e *env) addUser(name, role string) {
	e.t.Helper()
	if _, err := e.auth.AddUser(context.Background(), name, role, password); err != nil {
		e.t.Fatal(err)
	}
}

// submit stores a question the way the API would.
func (e *env) submit(project, text string) *intake.Question {
	e.t.Helper()
	q, err := e.intake.Submit(context.Background(), intake.Input{Project: project, Name: "Hanako", Question: text},
		intake.Meta{SourceIP: "192.0.2.44", UserAgent: "TestAgent/1.0", Lang: "ja"})
	if err != nil {
		e.t.Fatal(err)
	}
	return q
}

func (e *env) exec(query string, args ...any) {
	e.t.Helper()
	if _, err := e.st.W.ExecContext(context.Background(), e.st.Q(query), args...); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
}

func (e *env) deliveryID(q *intake.Question, dest string) int64 {
	e.t.Helper()
	var id int64
	if err := e.st.R.QueryRowContext(context.Background(), e.st.Q(`SELECT id FROM deliveries WHERE question_id = ? AND destination = ?`), q.ID, dest).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) deliveryStatus(id int64) (status string, generation int) {
	e.t.Helper()
	if err := e.st.R.QueryRowContext(context.Background(), e.st.Q(`SELECT status, generation FROM deliveries WHERE id = ?`), id).Scan(&status, &generation); err != nil {
		e.t.Fatal(err)
	}
	return status, generation
}

func (e *env) countQuestions() int {
	e.t.Helper()
	n, err := e.intake.Count(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// browser is a cookie-keeping client that does not follow redirects, so
// tests see each 303 and where it points.
type browser struct {
	e  *env
	c  *http.Client
	ip string // sent as X-Forwarded-For
}

func (e *env) browser(ip string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{e: e, ip: ip, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type result struct {
	status int
	body   string
	loc    string
	header http.Header
}

func (b *browser) do(method, path string, form url.Values, hdr ...string) *result {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.ip != "" {
		req.Header.Set("X-Forwarded-For", b.ip)
	}
	req.Header.Set("User-Agent", "opsdesk-web-test")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return &result{status: resp.StatusCode, body: string(data), loc: resp.Header.Get("Location"), header: resp.Header}
}

func (b *browser) get(path string, hdr ...string) *result {
	return b.do(http.MethodGet, path, nil, hdr...)
}
func (b *browser) post(path string, form url.Values, hdr ...string) *result {
	return b.do(http.MethodPost, path, form, hdr...)
}

func (b *browser) login(name string) {
	b.e.t.Helper()
	r := b.post("/login", url.Values{"name": {name}, "password": {password}})
	if r.status != http.StatusSeeOther {
		b.e.t.Fatalf("login %s: status %d\n%s", name, r.status, r.body)
	}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the session's token from a console page.
func (b *browser) csrf() string {
	b.e.t.Helper()
	r := b.get("/destinations")
	m := csrfRE.FindStringSubmatch(r.body)
	if m == nil {
		b.e.t.Fatalf("no csrf token on the page (status %d)", r.status)
	}
	return m[1]
}

func (r *result) want(t *testing.T, status int, contains ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d\n%s", r.status, status, r.body)
	}
	for _, s := range contains {
		if !strings.Contains(r.body, s) {
			t.Errorf("page does not contain %q", s)
		}
	}
}

func (r *result) wantNot(t *testing.T, absent ...string) {
	t.Helper()
	for _, s := range absent {
		if strings.Contains(r.body, s) {
			t.Errorf("page contains %q but must not", s)
		}
	}
}

func TestPublicForm(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, testConfig)

		t.Run("languages", func(t *testing.T) {
			b := e.browser("198.51.100.1")
			for _, tc := range []struct {
				query, accept string
				want          []string
				lang          string
			}{
				{"", "", []string{"Ask a question", "Send question", "Up to 50 characters"}, "en"},
				{"?lang=ja", "", []string{"質問する", "質問を送信", "50文字まで"}, "ja"},
				{"?lang=zh", "", []string{"提问", "提交问题", "最多 50 个字符"}, "zh-Hans"},
				{"?lang=ko", "", []string{"질문하기", "질문 보내기", "최대 50자"}, "ko"},
				{"", "ko-KR,ko;q=0.9,en;q=0.5", []string{"질문 보내기"}, "ko"},
				{"", "fr-FR, ja;q=0.5, en;q=0.3", []string{"質問を送信"}, "ja"},
				{"", "zh-TW", []string{"提交问题"}, "zh-Hans"},
				{"?lang=xx", "de", []string{"Send question"}, "en"},
			} {
				// A fresh browser each time: no language cookie.
				b := e.browser(b.ip)
				r := b.get("/ask"+tc.query, "Accept-Language", tc.accept)
				r.want(t, http.StatusOK, tc.want...)
				r.want(t, http.StatusOK, `<html lang="`+tc.lang+`">`, `name="website"`, "日本語", "简体中文", "한국어", "English")
			}
			// ?lang= is remembered in a cookie and beats Accept-Language.
			b.get("/ask?lang=zh").want(t, http.StatusOK)
			b.get("/ask", "Accept-Language", "ja").want(t, http.StatusOK, "提交问题")
			// The switcher keeps ?project=.
			b.get("/ask?project=AWS-101&lang=en").want(t, http.StatusOK, `href="/ask?lang=ja&amp;project=AWS-101"`)
		})

		t.Run("project preset and headers", func(t *testing.T) {
			b := e.browser("198.51.100.2")
			r := b.get("/ask?project=AWS-101")
			r.want(t, http.StatusOK, `value="AWS-101"`)
			if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("CSP = %q", csp)
			}
			if r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("Referrer-Policy") != "same-origin" {
				t.Errorf("security headers: %v", r.header)
			}
			// Preset text is escaped, not markup.
			b.get("/ask?project=%3Cscript%3E").want(t, http.StatusOK, `value="&lt;script&gt;"`)
		})

		t.Run("submit", func(t *testing.T) {
			b := e.browser("198.51.100.3")
			r := b.post("/ask", url.Values{"project": {"AWS-101"}, "name": {"山田 花子"}, "question": {"S3 のバケットポリシーについて\r\n2 行目"}, "lang": {"ja"}})
			r.want(t, http.StatusSeeOther)
			u, err := url.Parse(r.loc)
			if err != nil || u.Path != "/ask/thanks" {
				t.Fatalf("redirect to %q", r.loc)
			}
			ref := u.Query().Get("ref")
			if !intake.ValidRef(ref) {
				t.Fatalf("ref %q", ref)
			}
			b.get(r.loc).want(t, http.StatusOK, ref, "ご質問を受け付けました", `href="/ask?project=AWS-101"`)
			q, err := e.intake.Get(context.Background(), ref)
			if err != nil {
				t.Fatal(err)
			}
			if q.Text != "S3 のバケットポリシーについて\n2 行目" || q.Project != "AWS-101" || q.Name != "山田 花子" {
				t.Errorf("stored %+v", q)
			}
			if q.SourceIP != "198.51.100.3" || q.UserAgent != "opsdesk-web-test" || q.Lang != "ja" {
				t.Errorf("meta: ip %q ua %q lang %q", q.SourceIP, q.UserAgent, q.Lang)
			}
			var n int
			if err := e.st.R.QueryRow(e.st.Q(`SELECT count(*) FROM deliveries WHERE question_id = ? AND status = 'pending'`), q.ID).Scan(&n); err != nil || n != 2 {
				t.Errorf("pending deliveries = %d, %v", n, err)
			}
			// A cross-site post is fine for the public form (documented).
			r = b.post("/ask", url.Values{"question": {"from a course site"}}, "Sec-Fetch-Site", "cross-site", "Origin", "https://course.example")
			r.want(t, http.StatusSeeOther)
		})

		t.Run("validation keeps the text", func(t *testing.T) {
			before := e.countQuestions()
			for i, tc := range []struct {
				lang string
				form url.Values
				want []string
			}{
				{"en", url.Values{"project": {"P-1"}, "name": {"Kim"}, "question": {"   "}}, []string{"Please enter your question.", `value="P-1"`, `value="Kim"`, `aria-invalid="true"`}},
				{"ja", url.Values{"question": {strings.Repeat("あ", 51)}}, []string{"現在 51 文字です。50 文字以内に短くしてください。", strings.Repeat("あ", 51)}},
				{"zh", url.Values{"question": {strings.Repeat("问", 60)}}, []string{"当前为 60 个字符，上限为 50 个字符", strings.Repeat("问", 60)}},
				{"ko", url.Values{"name": {"a\x01b"}, "question": {"질문입니다"}}, []string{"줄바꿈이나 제어 문자 없이 한 줄로 입력해 주세요.", "질문입니다"}},
				{"en", url.Values{"question": {"bad \xff byte"}}, []string{"invalid UTF-8", "bad \uFFFD byte"}},
				{"ja", url.Values{"question": {"bell\x07 ring"}}, []string{"制御文字が含まれています"}},
				{"ja", url.Values{"project": {"line\nbreak"}, "question": {"ok"}}, []string{"改行や制御文字を含まない"}},
			} {
				// An address per case keeps the rate limit out of it.
				b := e.browser("198.51.100." + strconv.Itoa(100+i))
				tc.form.Set("lang", tc.lang)
				r := b.post("/ask", tc.form)
				r.want(t, http.StatusBadRequest, tc.want...)
				r.want(t, http.StatusBadRequest, `class="error"`)
			}
			if n := e.countQuestions(); n != before {
				t.Errorf("questions stored: %d, want %d", n, before)
			}
		})

		t.Run("oversized body", func(t *testing.T) {
			b := e.browser("198.51.100.5")
			r := b.post("/ask", url.Values{"question": {strings.Repeat("x", maxAskBody+10)}, "lang": {"en"}})
			r.want(t, http.StatusRequestEntityTooLarge, "Please use at most 50 characters.")
		})

		t.Run("honeypot", func(t *testing.T) {
			before := e.countQuestions()
			b := e.browser("198.51.100.6")
			r := b.post("/ask", url.Values{"question": {"buy now"}, "website": {"http://spam.example"}, "lang": {"en"}})
			r.want(t, http.StatusSeeOther)
			u, _ := url.Parse(r.loc)
			ref := u.Query().Get("ref")
			if u.Path != "/ask/thanks" || !intake.ValidRef(ref) {
				t.Fatalf("redirect %q", r.loc)
			}
			b.get(r.loc).want(t, http.StatusOK, ref, "Thank you")
			if n := e.countQuestions(); n != before {
				t.Errorf("honeypot stored a question: %d → %d", before, n)
			}
			if _, err := e.intake.Get(context.Background(), ref); !errors.Is(err, intake.ErrNotFound) {
				t.Errorf("honeypot ref exists: %v", err)
			}
		})

		t.Run("rate limit", func(t *testing.T) {
			b := e.browser("203.0.113.9")
			for i := range 3 {
				b.post("/ask", url.Values{"question": {"q" + strings.Repeat("!", i)}}).want(t, http.StatusSeeOther)
			}
			r := b.post("/ask", url.Values{"question": {"one too many"}, "lang": {"ja"}})
			r.want(t, http.StatusTooManyRequests, "60 秒後にもう一度お試しください", "one too many")
			if r.header.Get("Retry-After") != "60" {
				t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
			}
			// Another address is not affected.
			e.browser("203.0.113.10").post("/ask", url.Values{"question": {"hi"}}).want(t, http.StatusSeeOther)
			e.clock.Advance(61 * time.Second)
			b.post("/ask", url.Values{"question": {"later"}}).want(t, http.StatusSeeOther)
		})

		t.Run("thanks page echoes only a valid ref", func(t *testing.T) {
			b := e.browser("198.51.100.7")
			r := b.get("/ask/thanks?ref=%3Cb%3Ex")
			r.want(t, http.StatusOK, "Thank you")
			r.wantNot(t, "<b>x", "&lt;b&gt;x")
		})

		t.Run("not found", func(t *testing.T) {
			b := e.browser("198.51.100.8")
			b.get("/no/such/page?lang=ja").want(t, http.StatusNotFound, "ページが見つかりません")
			r := b.get("/api/v1/nothing")
			r.want(t, http.StatusNotFound, `"error"`)
		})

		t.Run("static", func(t *testing.T) {
			b := e.browser("")
			r := b.get("/static/style.css")
			r.want(t, http.StatusOK, "--accent")
			if !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") {
				t.Errorf("content type %q", r.header.Get("Content-Type"))
			}
			b.get("/static/app.js").want(t, http.StatusOK, "data-local")
			b.get("/static/").want(t, http.StatusNotFound)
		})
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestConsole(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, testConfig, func(h *Handler) { h.pageSize = 2 })
		e.addUser("alice", auth.RoleAdmin)
		e.addUser("victor", auth.RoleViewer)
		q1 := e.submit("AWS-101", "How do I rotate IAM keys?")
		q2 := e.submit("AWS-102", "障害の時の連絡先は？\n詳細は以下")
		q3 := e.submit("AWS-101", "S3 versioning question")
		failedID := e.deliveryID(q1, "teams")
		e.exec(`UPDATE deliveries SET status = 'failed', attempts = 3, last_status = 500, last_error = ? WHERE id = ?`,
			`HTTP 500 Internal Server Error: Post "https://example.webhook.office.com/workflows/SECRETPATH123/triggers/manual?sig=SECRETSIG456&api-version=1": boom`, failedID)
		deliveredID := e.deliveryID(q1, "backlog")
		e.exec(`UPDATE deliveries SET status = 'delivered', attempts = 1, external_ref = 'TRAIN-12', delivered_at = updated_at WHERE id = ?`, deliveredID)

		t.Run("login required", func(t *testing.T) {
			b := e.browser("198.51.100.20")
			for _, path := range []string{"/", "/questions", "/destinations", "/questions/" + q1.Ref} {
				r := b.get(path)
				r.want(t, http.StatusSeeOther)
				if !strings.HasPrefix(r.loc, "/login") {
					t.Errorf("%s → %q", path, r.loc)
				}
			}
			r := b.get("/questions?status=failed")
			if r.loc != "/login?next=%2Fquestions%3Fstatus%3Dfailed" {
				t.Errorf("next: %q", r.loc)
			}
			// A POST without a session goes to the login page, changes nothing.
			b.post("/deliveries/1/retry", url.Values{"csrf": {"x"}}).want(t, http.StatusSeeOther)
			b.get("/login").want(t, http.StatusOK, `autocomplete="current-password"`)
		})

		t.Run("login", func(t *testing.T) {
			b := e.browser("198.51.100.21")
			r := b.post("/login", url.Values{"name": {"alice"}, "password": {"wrong password!"}})
			r.want(t, http.StatusUnauthorized, "Wrong user name or password.", `value="alice"`)
			b.post("/login", url.Values{"name": {"nobody"}, "password": {password}}).want(t, http.StatusUnauthorized)

			// What a browser sends for the console's own form.
			r = b.post("/login", url.Values{"name": {"alice"}, "password": {password}, "next": {"/questions?status=failed"}},
				"Sec-Fetch-Site", "same-origin", "Origin", e.srv.URL)
			r.want(t, http.StatusSeeOther)
			if r.loc != "/questions?status=failed" {
				t.Errorf("redirect %q", r.loc)
			}
			c := r.header.Get("Set-Cookie")
			for _, attr := range []string{SessionCookie + "=", "HttpOnly", "SameSite=Lax", "Path=/"} {
				if !strings.Contains(c, attr) {
					t.Errorf("cookie %q lacks %s", c, attr)
				}
			}
			if strings.Contains(c, "Secure") {
				t.Errorf("cookie %q is Secure over plain http", c)
			}
			b.get("/").want(t, http.StatusOK, "alice", "Log out")
			// Logged in, /login goes on.
			r = b.get("/login?next=/destinations")
			if r.status != http.StatusSeeOther || r.loc != "/destinations" {
				t.Errorf("login while logged in: %d %q", r.status, r.loc)
			}
		})

		t.Run("next must be local", func(t *testing.T) {
			for i, next := range []string{"https://evil.example/", "//evil.example/x", `/\evil.example`, "javascript:alert(1)", "/%0d%0aSet-Cookie:x", "/x\r\nSet-Cookie: a=b"} {
				b := e.browser("198.51.100." + strconv.Itoa(200+i))
				r := b.post("/login", url.Values{"name": {"alice"}, "password": {password}, "next": {next}})
				if r.status != http.StatusSeeOther || (r.loc != "/" && r.loc != "/%0d%0aSet-Cookie:x") {
					t.Errorf("next %q → %d %q", next, r.status, r.loc)
				}
			}
		})

		t.Run("login rate limit", func(t *testing.T) {
			e.clock.Advance(time.Minute) // alice's failed logins above count no more
			b := e.browser("203.0.113.50")
			for range 3 {
				b.post("/login", url.Values{"name": {"alice"}, "password": {"guess guess"}}).want(t, http.StatusUnauthorized)
			}
			r := b.post("/login", url.Values{"name": {"alice"}, "password": {password}, "lang": {"en"}})
			r.want(t, http.StatusTooManyRequests, "Too many login attempts")
			e.clock.Advance(time.Minute)
			b.login("alice")
		})

		t.Run("secure cookie behind https", func(t *testing.T) {
			e2 := newEnv(t, st, "base_url: https://desk.example.com\n")
			b := e2.browser("")
			r := b.post("/login", url.Values{"name": {"alice"}, "password": {password}})
			r.want(t, http.StatusSeeOther)
			if c := r.header.Get("Set-Cookie"); !strings.Contains(c, "Secure") {
				t.Errorf("cookie %q is not Secure with an https base_url", c)
			}
		})

		t.Run("home", func(t *testing.T) {
			b := e.browser("198.51.100.23")
			b.login("alice")
			r := b.get("/")
			r.want(t, http.StatusOK, "Failed deliveries: 1", q1.Ref, q2.Ref, q3.Ref,
				`action="/deliveries/`, "Failed deliveries", "Recent questions", `id="failed-deliveries"`)
			r.wantNot(t, "SECRETPATH123", "SECRETSIG456")
			r = b.get("/?lang=ko")
			r.want(t, http.StatusOK, "실패한 전송 1건", "최근 질문")
		})

		t.Run("questions list", func(t *testing.T) {
			b := e.browser("198.51.100.24")
			b.login("alice")
			r := b.get("/questions")
			// Page size 2: newest two, and a link to older ones.
			r.want(t, http.StatusOK, q3.Ref, q2.Ref, `rel="next"`, "… backlog", "… teams")
			r.wantNot(t, q1.Ref)
			next := regexp.MustCompile(`href="(/questions\?before=\d+)" rel="next"`).FindStringSubmatch(r.body)
			if next == nil {
				t.Fatalf("no next link")
			}
			r = b.get(next[1])
			r.want(t, http.StatusOK, q1.Ref, "Newest", "✓ backlog", "✗ teams")
			r.wantNot(t, q3.Ref)

			b.get("/questions?q="+url.QueryEscape("障害")).want(t, http.StatusOK, q2.Ref)
			r = b.get("/questions?status=failed")
			r.want(t, http.StatusOK, q1.Ref)
			r.wantNot(t, q2.Ref, q3.Ref)
			r = b.get("/questions?project=AWS-102")
			r.want(t, http.StatusOK, q2.Ref)
			r.wantNot(t, q1.Ref, q3.Ref)
			day := e.clock.Now().Format(dateLayout)
			b.get("/questions?from="+day+"&to="+day+"&project=AWS-102").want(t, http.StatusOK, q2.Ref)
			tomorrow := e.clock.Now().Add(48 * time.Hour).Format(dateLayout)
			b.get("/questions?from="+tomorrow).want(t, http.StatusOK, "No questions match these filters.")
			// A date that is not one is named in the message, not applied
			// (the list is not filtered by it) and not put back into the
			// date field, which could not show it.
			r = b.get("/questions?from=yesterday")
			r.want(t, http.StatusOK, "“yesterday” is not a date (YYYY-MM-DD); this filter was not applied.",
				`id="from-error"`, `aria-invalid="true"`, `value=""`, "Clear filters", q3.Ref, q2.Ref)
			r.wantNot(t, `value="yesterday"`, "No questions match")
			b.get("/questions?to=2025-02-30&lang=ja").want(t, http.StatusOK, "「2025-02-30」は日付（YYYY-MM-DD）ではないため", "終了日（UTC）")
			b.get("/questions?lang=en&from="+strings.Repeat("9", 100)).want(t, http.StatusOK, "“"+strings.Repeat("9", 40)+"…”")
			r = b.get("/questions?from=" + day + "&to=2000-01-01")
			r.want(t, http.StatusOK, "This is before the start date; this filter was not applied.", q3.Ref, `value="2000-01-01"`)
		})

		t.Run("question detail", func(t *testing.T) {
			b := e.browser("198.51.100.25")
			b.login("alice")
			r := b.get("/questions/" + q1.Ref)
			r.want(t, http.StatusOK, q1.Ref, "How do I rotate IAM keys?", "AWS-101", "Hanako",
				"192.0.2.44", "TestAgent/1.0", "日本語", "teams", "backlog",
				"✗ Failed", "✓ Delivered", "HTTP 500", "boom",
				`href="https://space.backlog.com/view/TRAIN-12"`, "TRAIN-12",
				`datetime="`+q1.SubmittedAt.Format(time.RFC3339)+`"`, q1.SubmittedAt.Format("2006-01-02 15:04:05")+" UTC",
				`action="/deliveries/`)
			r.wantNot(t, "SECRETPATH123", "SECRETSIG456")
			// Only the failed delivery has a retry button.
			if n := strings.Count(r.body, "/retry\""); n != 1 {
				t.Errorf("%d retry buttons, want 1", n)
			}
			// Only the real error is red; the delivered row's empty one is
			// a muted dash.
			if n := strings.Count(r.body, `class="err"`); n != 1 {
				t.Errorf("%d red errors, want 1 (the failed delivery's)", n)
			}
			r.want(t, http.StatusOK, `<span class="muted">—</span>`)
			b.get("/questions/Q-ZZZZZZZZ").want(t, http.StatusNotFound, "There is no question with this reference.")
			b.get("/questions/nonsense").want(t, http.StatusNotFound)
		})

		t.Run("csrf", func(t *testing.T) {
			b := e.browser("198.51.100.26")
			b.login("alice")
			path := "/deliveries/" + itoa(failedID) + "/retry"
			b.post(path, url.Values{}).want(t, http.StatusForbidden, "This form has expired")
			b.post(path, url.Values{"csrf": {"forged-token"}}).want(t, http.StatusForbidden)
			// A valid token from another site's page is refused too.
			tok := b.csrf()
			b.post(path, url.Values{"csrf": {tok}}, "Sec-Fetch-Site", "cross-site").want(t, http.StatusForbidden)
			b.post(path, url.Values{"csrf": {tok}}, "Origin", "https://evil.example").want(t, http.StatusForbidden)
			// Another session's token does not work either.
			other := e.browser("198.51.100.27")
			other.login("alice")
			b.post(path, url.Values{"csrf": {other.csrf()}}).want(t, http.StatusForbidden)
			if s, _ := e.deliveryStatus(failedID); s != "failed" {
				t.Fatalf("status %s after refused posts", s)
			}
			b.post("/logout", url.Values{}).want(t, http.StatusForbidden)
		})

		t.Run("viewer cannot retry", func(t *testing.T) {
			b := e.browser("198.51.100.28")
			b.login("victor")
			r := b.get("/questions/" + q1.Ref)
			r.want(t, http.StatusOK, "✗ Failed")
			r.wantNot(t, "/retry\"")
			b.get("/").wantNot(t, "/retry\"")
			b.post("/deliveries/"+itoa(failedID)+"/retry", url.Values{"csrf": {b.csrf()}}).want(t, http.StatusForbidden, "view but not change")
			if s, _ := e.deliveryStatus(failedID); s != "failed" {
				t.Fatalf("viewer changed status to %s", s)
			}
		})

		t.Run("retry", func(t *testing.T) {
			b := e.browser("198.51.100.29")
			b.login("alice")
			jobsBefore := e.jobCount()
			tok := b.csrf()
			next := "/questions/" + q1.Ref
			r := b.post("/deliveries/"+itoa(failedID)+"/retry", url.Values{"csrf": {tok}, "next": {next}})
			r.want(t, http.StatusSeeOther)
			if r.loc != next+"?notice=retried" {
				t.Errorf("redirect %q", r.loc)
			}
			if s, gen := e.deliveryStatus(failedID); s != "pending" || gen != 1 {
				t.Errorf("after retry: %s generation %d", s, gen)
			}
			if n := e.jobCount(); n != jobsBefore+1 {
				t.Errorf("jobs %d → %d", jobsBefore, n)
			}
			b.get(r.loc).want(t, http.StatusOK, "The delivery will be retried now.", "… Pending")
			// Again: nothing to retry; an unsafe next falls back to the question.
			r = b.post("/deliveries/"+itoa(failedID)+"/retry", url.Values{"csrf": {tok}, "next": {"https://evil.example/"}})
			if r.status != http.StatusSeeOther || r.loc != next+"?notice=not_retried" {
				t.Errorf("second retry: %d %q", r.status, r.loc)
			}
			b.post("/deliveries/999999/retry", url.Values{"csrf": {tok}}).want(t, http.StatusNotFound)
			b.get("/").want(t, http.StatusOK, "nothing needs attention")
		})

		t.Run("destinations", func(t *testing.T) {
			// The latest error of teams, after the retried one.
			e.exec(`UPDATE deliveries SET status = 'failed', updated_at = ?, last_error = ? WHERE id = ?`,
				store.Millis(e.clock.Now().Add(time.Hour)),
				`Post "https://example.webhook.office.com/workflows/SECRETPATH123/triggers/manual?sig=SECRETSIG456&api-version=1": timeout`, e.deliveryID(q2, "teams"))
			e.exec(`INSERT INTO deliveries (question_id, destination, status, created_at, updated_at) VALUES (?, 'old-sink', 'pending', ?, ?)`,
				q3.ID, store.Millis(e.clock.Now()), store.Millis(e.clock.Now()))
			b := e.browser("198.51.100.30")
			b.login("victor")
			r := b.get("/destinations")
			r.want(t, http.StatusOK, "teams", "backlog", "slack",
				"https://example.webhook.office.com", "https://space.backlog.com", "SLACK_URL",
				"add it to routes.questions", "0.0%", "0 delivered, 1 failed", "100.0%", "1 delivered, 0 failed", "timeout", "old-sink", "no longer configured")
			r.wantNot(t, "SECRETPATH123", "SECRETSIG456", "workflows", "triggers")
			// Red only for teams' error; backlog and the others have none.
			if n := strings.Count(r.body, `class="err"`); n != 1 {
				t.Errorf("%d red errors, want 1 (teams')", n)
			}
		})

		t.Run("logout", func(t *testing.T) {
			b := e.browser("198.51.100.31")
			b.login("alice")
			r := b.post("/logout", url.Values{"csrf": {b.csrf()}})
			if r.status != http.StatusSeeOther || r.loc != "/login?notice=logged_out" {
				t.Fatalf("logout: %d %q", r.status, r.loc)
			}
			b.get(r.loc).want(t, http.StatusOK, "You have been logged out.")
			b.get("/").want(t, http.StatusSeeOther)
		})
	})
}

func TestEmptyStates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "base_url: http://desk.example:8080\n")
		e.addUser("alice", auth.RoleAdmin)
		b := e.browser("")
		b.login("alice")
		// No destination: questions go nowhere, and Home says so (with
		// the fix) instead of "all clear".
		r := b.get("/")
		r.want(t, http.StatusOK, "No questions yet.", "http://desk.example:8080/ask?project=COURSE-101",
			`id="warn-no-routes"`, "Questions are stored but sent nowhere: no destination is configured.", "url_env: TEAMS_WEBHOOK_URL", `href="/destinations"`)
		r.wantNot(t, "nothing needs attention", `class="attention"`)
		b.get("/questions").want(t, http.StatusOK, "No questions yet.", "/ask?project=COURSE-101")
		b.get("/destinations?lang=ja").want(t, http.StatusOK, "送信先が設定されていません。", "type: teams", "url_env: TEAMS_WEBHOOK_URL", "routes:")
		// A question with no routes.
		q := e.submit("", "unrouted")
		b.get("/questions/"+q.Ref+"?lang=en").want(t, http.StatusOK, "was not routed to any destination")
	})
}

func (e *env) jobCount() int {
	e.t.Helper()
	var n int
	if err := e.st.R.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'deliver'`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestFavicon: /favicon.ico is a real 32×32 icon (a PNG inside an ICO
// file) drawn like static/favicon.svg, and every page links both.
func TestFavicon(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.New(t, store.SQLite), "")
	b := e.browser("")
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		r := b.do(method, "/favicon.ico", nil)
		r.want(t, http.StatusOK)
		if ct := r.header.Get("Content-Type"); ct != "image/x-icon" {
			t.Errorf("%s /favicon.ico: Content-Type %q", method, ct)
		}
		if cc := r.header.Get("Cache-Control"); !strings.HasPrefix(cc, "public, max-age=") {
			t.Errorf("%s /favicon.ico: Cache-Control %q", method, cc)
		}
		if method == http.MethodHead && r.body != "" {
			t.Errorf("HEAD /favicon.ico has a body")
		}
	}
	ico := []byte(b.get("/favicon.ico").body)
	if len(ico) < 22 || binary.LittleEndian.Uint16(ico[2:]) != 1 || binary.LittleEndian.Uint16(ico[4:]) != 1 || ico[6] != 32 || ico[7] != 32 {
		t.Fatalf("not a one-image 32×32 ICO: % x", ico[:min(len(ico), 22)])
	}
	size, offset := binary.LittleEndian.Uint32(ico[14:]), binary.LittleEndian.Uint32(ico[18:])
	if int(offset)+int(size) != len(ico) {
		t.Fatalf("ICO entry: %d bytes at %d, file has %d", size, offset, len(ico))
	}
	img, err := png.Decode(bytes.NewReader(ico[offset:]))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 32 || img.Bounds().Dy() != 32 {
		t.Fatalf("icon is %v", img.Bounds())
	}
	for _, c := range []struct {
		x, y int
		want color.NRGBA
	}{
		{0, 0, color.NRGBA{}},   // outside the rounded corner
		{16, 16, iconBack},      // inside the ring
		{16, 7, iconFore},       // on the ring
		{2, 16, iconBack},       // between the ring and the edge
		{31, 31, color.NRGBA{}}, // the other corner
	} {
		if got := color.NRGBAModel.Convert(img.At(c.x, c.y)).(color.NRGBA); got != c.want && !(c.want.A == 0 && got.A == 0) {
			t.Errorf("pixel (%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}

	r := b.get("/ask")
	r.want(t, http.StatusOK, `<link rel="icon" href="/favicon.ico" sizes="32x32">`, `<link rel="icon" href="/static/favicon.svg?v=`)
	svg := regexp.MustCompile(`href="(/static/favicon\.svg\?v=\w+)"`).FindStringSubmatch(r.body)
	if svg == nil {
		t.Fatal("no link to favicon.svg")
	}
	r = b.get(svg[1])
	r.want(t, http.StatusOK, "<svg", `fill="#17202e"`, `stroke="#7fb0ff"`)
	if ct := r.header.Get("Content-Type"); ct != "image/svg+xml" {
		t.Errorf("favicon.svg: Content-Type %q", ct)
	}
}
