package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestBrowserFirstLogin: the admin logs in with the one-time password of
// the first start and is held on the password page, whose fields the
// browser validates, until a password of their own is saved; then the
// page they asked for opens.
func TestBrowserFirstLogin(t *testing.T) {
	exe := chromium(t)
	cfg, err := config.Parse([]byte("addr: 127.0.0.1:0\ndatabase: " + storetest.DatabaseURL(t, store.SQLite) + "\ndata_dir: " + t.TempDir() + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	srv := apptest.StartFirstRun(t, cfg, nil)
	if srv.Password == "" {
		t.Fatal("no one-time password printed at the first start")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	bctx, cons := startChromium(t, ctx, exe, 1280, 900)
	do := tab{t, bctx}.do
	eval := tab{t, bctx}.eval
	location := func() string {
		t.Helper()
		loc, err := chromedp.Run(bctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(loc, srv.URL)
	}

	do("log in with the one-time password, asking for /alerts",
		chromedp.Navigate(srv.URL+"/login?next=%2Falerts"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), srv.Password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`input#new`)),
	)
	if loc := location(); loc != "/password?next=%2Falerts" {
		t.Errorf("after the first login: %s", loc)
	}
	var h1 string
	eval(`document.querySelector("main h1").innerText`, &h1)
	if h1 != "Choose your password" {
		t.Errorf("heading %q", h1)
	}
	do("try the home page", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`input#new`)))
	if loc := location(); loc != "/password" {
		t.Errorf("home while the password is one-time: %s", loc)
	}
	do("back to the form", chromedp.Navigate(srv.URL+"/password?next=%2Falerts"), chromedp.WaitVisible(chromedp.CSS(`input#new`)))

	// Too short: the browser itself refuses (minlength), the page stays.
	do("a short password",
		chromedp.SendKeys(chromedp.CSS(`input#current`), srv.Password),
		chromedp.SendKeys(chromedp.CSS(`input#new`), "short"),
		chromedp.SendKeys(chromedp.CSS(`input#again`), "short"),
		chromedp.Click(chromedp.CSS(`form[action="/password"] button[type=submit]`)),
	)
	var tooShort bool
	eval(`document.querySelector("#new").validity.tooShort`, &tooShort)
	if !tooShort {
		t.Error("the new password field accepts 5 characters")
	}
	var layout struct{ Doc, View, Fields int }
	eval(`({Doc: document.documentElement.scrollWidth, View: window.innerWidth,
		Fields: Array.from(document.querySelectorAll("form[action='/password'] input:not([type=hidden]):not([hidden])")).filter(function (i) { return i.getClientRects().length > 0; }).length})`, &layout)
	if layout.Fields != 3 || layout.Doc > layout.View {
		t.Errorf("password page: %d visible fields, %dpx wide in %dpx", layout.Fields, layout.Doc, layout.View)
	}
	if png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)); err == nil {
		if err := os.WriteFile("/tmp/opsdesk-password.png", png, 0o644); err == nil {
			t.Log("screenshot: /tmp/opsdesk-password.png")
		}
	}

	var cleared bool
	eval(`document.querySelector("#new").value = ""; document.querySelector("#again").value = ""; true`, &cleared)
	do("a good password",
		chromedp.SendKeys(chromedp.CSS(`input#new`), "the admin's own password"),
		chromedp.SendKeys(chromedp.CSS(`input#again`), "the admin's own password"),
		chromedp.Click(chromedp.CSS(`form[action="/password"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
	)
	if loc := location(); !strings.HasPrefix(loc, "/alerts?notice=password_changed") {
		t.Errorf("after the change: %s", loc)
	}
	var notice string
	eval(`document.querySelector("p.notice").innerText`, &notice)
	if notice != "Your password has been changed." {
		t.Errorf("notice %q", notice)
	}
	for _, m := range cons.messages() {
		if m.IsException() {
			t.Errorf("page error: %s", m.String())
		}
	}
}
