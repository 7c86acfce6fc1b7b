// Package e2e holds the real-browser test of opsdesk: Debian's chromium,
// headless, driven with chromedp against opsdesk running in-process.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/delivery"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// screenshotCopy is where the test leaves a copy of the question page for
// people to look at (the phone-sized one next to it, with a -phone suffix).
const screenshotCopy = "/tmp/opsdesk-question.png"

// The question an attendee types: Japanese, several lines, a blank line.
const questionText = "S3 バケットのライフサイクルルールについて質問です。\n" +
	"Glacier へ移行したオブジェクトを取り出すとき、料金はどう計算されますか？\n" +
	"\n" +
	"・標準取り出し\n" +
	"・迅速取り出し（Expedited）"

var refPattern = regexp.MustCompile(`^Q-[0-9A-Z]{8}$`)

// chromium finds Debian's chromium. A missing browser fails the test: the
// browser test is part of the suite, not optional.
func chromium(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	t.Fatal("chromium not found: the browser test needs Debian's chromium; run `apt-get install chromium` (bash .ci/run installs it)")
	return ""
}

// startOpsdesk starts opsdesk on embedded SQLite with one webhook
// destination routed for questions, the way internal/app's tests do, and
// captures the one-time admin password it prints at first start.
func startOpsdesk(t *testing.T, hook *fake.Webhook) *apptest.Server {
	t.Helper()
	return startOpsdeskWith(t, `
destinations:
  - {name: webhook, type: webhook, url: '`+hook.URL()+`'}
routes:
  questions: [webhook]
`)
}

// startOpsdeskWith starts opsdesk with the given destinations and routes
// (YAML appended to the base config).
func startOpsdeskWith(t *testing.T, destinations string) *apptest.Server {
	t.Helper()
	return startOpsdeskEnv(t, destinations, nil)
}

// startOpsdeskEnv is startOpsdeskWith with env standing in for the process
// environment. The data directory (attachments) is temporary.
func startOpsdeskEnv(t *testing.T, destinations string, env map[string]string) *apptest.Server {
	t.Helper()
	cfg, err := config.Parse([]byte(`
addr: 127.0.0.1:0
database: ` + storetest.DatabaseURL(t, store.SQLite) + `
data_dir: ` + t.TempDir() + `
intake:
  rate_per_minute: 0
deliveries:
  timeout: 2s
` + destinations))
	if err != nil {
		t.Fatal(err)
	}
	srv := apptest.Start(t, cfg, env)
	if srv.Password == "" {
		t.Fatal("no one-time admin password in opsdesk's first-start output")
	}
	return srv
}

// waitDelivered waits until the question's deliveries are final and
// returns the one to dest.
func waitDelivered(t *testing.T, st *store.Store, ref, dest string, timeout time.Duration) *delivery.Delivery {
	t.Helper()
	d := apptest.WaitFinal(t, st, ref, timeout)[dest]
	if d == nil {
		t.Fatalf("question %s has no delivery to %s", ref, dest)
	}
	return d
}

// lockedBuffer is chromium's output: written by chromedp, read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// console collects what the pages write to the console.
type console struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

func (c *console) collect(ctx context.Context) {
	for m, err := range chromedp.Console(ctx) {
		if err != nil {
			return
		}
		c.mu.Lock()
		c.msgs = append(c.msgs, m)
		c.mu.Unlock()
	}
}

func (c *console) messages() []chromedp.ConsoleMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), c.msgs...)
}

// startChromium starts a headless chromium with a fresh profile and an
// English UI (pages must pick their language from ?lang=, not from the
// browser), opens a tab of w×h and collects its console. Everything ends
// with ctx or the test.
func startChromium(t *testing.T, ctx context.Context, exe string, w, h int) (context.Context, *console) {
	t.Helper()
	var chromeOut lockedBuffer
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(w, h),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(&chromeOut),
	)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil { // starts the browser and opens the tab
		t.Fatalf("start %s: %v\n%s", exe, err, chromeOut.String())
	}
	cons := &console{}
	go cons.collect(bctx)
	return bctx, cons
}

// deliveryRow is one row of the question page's delivery table, as the
// browser shows it.
type deliveryRow struct {
	Destination string `json:"destination"`
	Badge       string `json:"badge"` // class attribute of the status badge
	Status      string `json:"status"`
	Visible     bool   `json:"visible"`
}

const readDeliveryRows = `Array.from(document.querySelectorAll("table.deliveries tbody tr")).map(function (tr) {
  var b = tr.querySelector(".badge");
  var d = tr.querySelector("td strong");
  return {
    destination: d ? d.textContent.trim() : "",
    badge: b ? b.className : "",
    status: b ? b.innerText.trim() : "",
    visible: !!b && b.getClientRects().length > 0
  };
})`

// TestBrowserAskLoginSeeDelivery: an attendee asks a question in Japanese on
// /ask, the webhook receives it, and the admin logs in to the console and
// sees the question, intact, with its delivery marked delivered.
func TestBrowserAskLoginSeeDelivery(t *testing.T) {
	begin := time.Now()
	exe := chromium(t)
	hook := fake.NewWebhook(t)
	srv := startOpsdesk(t, hook)

	// Everything the browser does is bounded by this deadline; a hung page
	// fails the test instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	bctx, cons := startChromium(t, ctx, exe, 1280, 900)
	t.Logf("chromium started in %v", time.Since(begin).Round(time.Millisecond))

	do := tab{t, bctx}.do
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	eval := tab{t, bctx}.eval

	// 1. The attendee: the Japanese form, filled in and sent.
	do("open /ask?lang=ja",
		chromedp.Navigate(srv.URL+"/ask?lang=ja"),
		chromedp.WaitVisible(chromedp.CSS(`textarea#question`)),
	)
	var lang string
	eval(`document.documentElement.lang`, &lang)
	if lang != "ja" {
		t.Errorf("/ask?lang=ja: <html lang=%q>, want ja", lang)
	}
	if h := text("main h1"); h != "質問する" {
		t.Errorf("/ask?lang=ja heading %q, want 質問する", h)
	}
	if b := text(`form button[type=submit]`); b != "質問を送信" {
		t.Errorf("/ask?lang=ja submit button %q, want 質問を送信", b)
	}
	do("fill the form",
		chromedp.SendKeys(chromedp.CSS(`input[name=project]`), "AWS-101"),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "山田 花子"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name=question]`), questionText),
	)
	typed, err := chromedp.Run(bctx, chromedp.Value(chromedp.CSS(`textarea[name=question]`)))
	if err != nil {
		t.Fatal(err)
	}
	if typed != questionText {
		t.Fatalf("textarea holds %q after typing, want %q", typed, questionText)
	}
	do("submit the question",
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.bigref strong`)),
	)
	ref := text(`.bigref strong`)
	if !refPattern.MatchString(ref) {
		t.Fatalf("thank-you page reference %q does not look like Q-XXXXXXXX", ref)
	}
	if h := text("main h1"); h != "ご質問を受け付けました" {
		t.Errorf("thank-you heading %q, want ご質問を受け付けました", h)
	}
	t.Logf("submitted %s", ref)

	// 2. The question reaches the webhook, as typed.
	hook.WaitForUnique(t, 1, 15*time.Second)
	got := hook.Deliveries()[0].Payload.Question
	if got.ID != ref || got.Text != questionText || got.Project != "AWS-101" || got.Name != "山田 花子" {
		t.Errorf("webhook received %+v; want %s, project AWS-101, name 山田 花子, text %q", got, ref, questionText)
	}
	// The sink has answered; wait for opsdesk to record it, so the page
	// below shows the final state rather than racing the worker.
	if d := waitDelivered(t, srv.App.St, ref, "webhook", 10*time.Second); d.Status != delivery.StatusDelivered {
		t.Fatalf("delivery to webhook: %s (%s)", d.Status, d.LastError)
	}

	// 3. The admin: log in, find the question, open it.
	do("log in",
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), srv.Password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.logout`)),
	)
	if u := text(`form.logout .user`); u != "admin" {
		t.Errorf("logged-in user shown as %q, want admin", u)
	}
	link := `a.ref[href="/questions/` + ref + `"]`
	do("find the question in /questions",
		chromedp.Navigate(srv.URL+"/questions"),
		chromedp.WaitVisible(chromedp.CSS(link)),
	)
	var listBadges []string
	eval(`Array.from(document.querySelector('`+link+`').closest("li").querySelectorAll(".badge")).map(function (b) { return b.className; })`, &listBadges)
	if len(listBadges) != 1 || listBadges[0] != "badge delivered" {
		t.Errorf("question list badges of %s: %q, want one delivered", ref, listBadges)
	}
	do("open the question",
		chromedp.Click(chromedp.CSS(link)),
		chromedp.WaitVisible(chromedp.CSS(`table.deliveries .badge`)),
	)
	loc, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if want := srv.URL + "/questions/" + ref; loc != want {
		t.Errorf("question page at %s, want %s", loc, want)
	}
	if h := text("main h1"); !strings.Contains(h, ref) {
		t.Errorf("question page heading %q does not name %s", h, ref)
	}
	checkQuestionPage := func(viewport string) {
		t.Helper()
		var rows []deliveryRow
		eval(readDeliveryRows, &rows)
		if len(rows) != 1 || rows[0].Destination != "webhook" || !strings.Contains(" "+rows[0].Badge+" ", " delivered ") || !rows[0].Visible {
			t.Errorf("%s: delivery rows %+v, want one visible webhook row with .badge.delivered", viewport, rows)
		}
		// innerText is the text as rendered: line breaks and the blank line
		// must survive (white-space: pre-wrap), nothing escaped twice.
		var shown string
		eval(`document.querySelector(".qtext").innerText`, &shown)
		if shown != questionText {
			t.Errorf("%s: question shown as %q, want %q", viewport, shown, questionText)
		}
		var overflow struct{ Doc, View int }
		eval(`({Doc: document.documentElement.scrollWidth, View: window.innerWidth})`, &overflow)
		if overflow.Doc > overflow.View {
			t.Errorf("%s: page is %dpx wide in a %dpx viewport (scrolls sideways)", viewport, overflow.Doc, overflow.View)
		}
	}
	checkQuestionPage("desktop")

	// 4. Screenshots: desktop, then a phone-sized viewport.
	dir := t.TempDir()
	shoot := func(name, copyTo string) {
		t.Helper()
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(copyTo, png, 0o644); err != nil {
			t.Logf("copy screenshot: %v", err)
			return
		}
		t.Logf("screenshot: %s", copyTo)
	}
	shoot("question.png", screenshotCopy)
	do("phone viewport",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait, chromedp.EmulateScale(2)),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`table.deliveries .badge`)),
	)
	checkQuestionPage("phone 390x844")
	shoot("question-phone.png", strings.TrimSuffix(screenshotCopy, ".png")+"-phone.png")

	for _, m := range cons.messages() {
		if m.IsException() {
			t.Errorf("page error: %s", m.String())
		} else {
			t.Logf("console: %s (%s)", m.String(), m.URL)
		}
	}
	if err := ctx.Err(); errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("browser test ran out of time")
	}
	t.Logf("browser test took %v", time.Since(begin).Round(time.Millisecond))
}

// tab drives the Chromium page of ctx for the test t.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// do runs the actions of one step; a failure names the step.
func (b tab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

// eval evaluates js in the page and decodes its value into out.
func (b tab) eval(js string, out any) {
	b.t.Helper()
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]byte](js))
	if err != nil {
		b.t.Fatalf("evaluate %q: %v", js, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		b.t.Fatalf("evaluate %q: %v (%s)", js, err, raw)
	}
}

// text is the visible text of the first element sel selects, trimmed
// ("" when there is none).
func (b tab) text(sel string) string {
	b.t.Helper()
	var s string
	b.eval(`(function () { var e = document.querySelector(`+jsString(sel)+`); return e ? e.innerText : ""; })()`, &s)
	return strings.TrimSpace(s)
}

// waitFor polls the JavaScript condition cond until it holds (a click that
// loads a new page returns before that page is there).
func (b tab) waitFor(step, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]byte](`(function () { try { return !!(`+cond+`); } catch (e) { return false; } })()`))
		if err == nil && string(raw) == "true" {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: %s never held (%v)", step, cond, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
