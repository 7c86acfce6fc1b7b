package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opsdesk/opsdesk/internal/audit"
)

// TestBrowserUsersTokensProfile: the admin creates an API token with two
// scopes ticked, sees it once with its usage examples, finds it listed
// without the token, revokes it after the confirmation page; adds a user
// whose one-time password is shown once; and sets the profile's time zone,
// after which the console's times are written in it.
func TestBrowserUsersTokensProfile(t *testing.T) {
	exe := chromium(t)
	srv := startOpsdeskWith(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bctx, cons := startChromium(t, ctx, exe, 1280, 900)
	do := tab{t, bctx}.do
	eval := tab{t, bctx}.eval
	text := tab{t, bctx}.text
	login(t, bctx, srv)

	// The admin's menu has Users and API tokens.
	var nav []string
	eval(`Array.from(document.querySelectorAll("nav.nav a")).map(function(a){return a.getAttribute("href");})`, &nav)
	if j := strings.Join(nav, " "); !strings.Contains(j, "/users") || !strings.Contains(j, "/tokens") {
		t.Errorf("admin menu: %v", nav)
	}

	// Create a token: name and two scopes ticked.
	do("open the tokens page",
		chromedp.Navigate(srv.URL+"/tokens"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/tokens"] input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`form[action="/tokens"] input[name=name]`), "zabbix"),
		chromedp.Click(chromedp.CSS(`input[name=scope][value="ingest:alerts"]`)),
		chromedp.Click(chromedp.CSS(`input[name=scope][value="read:alerts"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/tokens"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#token-value`)),
	)
	tok := text(`#token-value`)
	if !strings.HasPrefix(tok, "odt_") {
		t.Fatalf("token shown: %q", tok)
	}
	if got, err := srv.App.Auth.CheckToken(context.Background(), tok); err != nil || strings.Join(got.Scopes, " ") != "ingest:alerts read:alerts" {
		t.Fatalf("the token shown: %+v %v", got, err)
	}
	if ex := text(`#new-token`); !strings.Contains(ex, srv.URL+"/api/v1/alerts") || !strings.Contains(ex, "/api/v1/alerts?status=active") {
		t.Errorf("usage examples:\n%s", ex)
	}
	// Shown once: the list has it by name and scopes, never the token.
	do("reload the list", chromedp.Navigate(srv.URL+"/tokens"), chromedp.WaitVisible(chromedp.CSS(`#token-zabbix`)))
	var body string
	eval(`document.body.innerHTML`, &body)
	if strings.Contains(body, tok) {
		t.Error("the token is shown again")
	}
	if row := text(`#token-zabbix`); !strings.Contains(row, "ingest:alerts read:alerts") {
		t.Errorf("token row: %q", row)
	}
	// Revoke, confirming.
	do("revoke",
		chromedp.Click(chromedp.CSS(`#token-zabbix a[href="/tokens/zabbix/revoke"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/tokens/zabbix/revoke"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/tokens/zabbix/revoke"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
	)
	if n := text(`p.notice`); n != "The token has been revoked." {
		t.Errorf("notice %q", n)
	}
	var rows int
	eval(`document.querySelectorAll("#token-zabbix").length`, &rows)
	if rows != 0 {
		t.Error("revoked token still listed")
	}
	if _, err := srv.App.Auth.CheckToken(context.Background(), tok); err == nil {
		t.Error("revoked token accepted")
	}

	// Add a user with a generated password (the default).
	do("add a user",
		chromedp.Navigate(srv.URL+"/users"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/users"] input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`form[action="/users"] input[name=name]`), "sato"),
		chromedp.Click(chromedp.CSS(`form[action="/users"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#onetime-password`)),
	)
	if pw := text(`#onetime-password`); len(pw) < 10 {
		t.Errorf("one-time password shown: %q", pw)
	}
	if row := text(`#user-sato`); !strings.Contains(row, "one-time password") {
		t.Errorf("sato's row: %q", row)
	}

	// The profile: the header's name leads there; Asia/Tokyo writes times in JST.
	do("open the profile",
		chromedp.Click(chromedp.CSS(`header a.user[href="/profile"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input#time_zone`)),
		chromedp.SendKeys(chromedp.CSS(`input#time_zone`), "Asia/Tokyo"),
		chromedp.Click(chromedp.CSS(`form[action="/profile"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
	)
	if now := text(`#profile-now`); !strings.HasSuffix(now, " JST") {
		t.Errorf("time on the profile: %q", now)
	}
	do("users page in JST", chromedp.Navigate(srv.URL+"/users"), chromedp.WaitVisible(chromedp.CSS(`#user-admin`)))
	if row := text(`#user-admin`); !strings.Contains(row, " JST") {
		t.Errorf("the admin's last login is not in JST: %q", row)
	}

	// On a phone nothing scrolls sideways (the tables stack).
	do("viewport phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
	for _, path := range []string{"/users", "/tokens", "/profile", "/users/sato/delete"} {
		do("phone "+path, chromedp.Navigate(srv.URL+path), chromedp.WaitVisible(chromedp.CSS(`main`)))
		var l layout
		eval(measureLayout, &l)
		if l.DocWidth > l.ViewWidth {
			t.Errorf("phone %s: %vpx wide in %vpx (%v)", path, l.DocWidth, l.ViewWidth, l.Wide)
		}
		if png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile("/tmp/opsdesk-phone"+strings.ReplaceAll(path, "/", "-")+".png", png, 0o644)
		}
	}
	do("viewport laptop", chromedp.EmulateViewport(1280, 900))
	do("users on a laptop", chromedp.Navigate(srv.URL+"/users"), chromedp.WaitVisible(chromedp.CSS(`main`)))
	if png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile("/tmp/opsdesk-users.png", png, 0o644)
	}

	// The audit log has all of it as the admin's.
	es, err := srv.App.Audit.List(context.Background(), audit.Filter{Actor: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range es {
		acts = append(acts, e.Action+" "+e.Target)
	}
	for _, w := range []string{"token.create zabbix", "token.revoke zabbix", "user.add sato", "user.profile admin"} {
		if !strings.Contains(strings.Join(acts, "|"), w) {
			t.Errorf("audit lacks %q: %v", w, acts)
		}
	}
	for _, m := range cons.messages() {
		if m.IsException() {
			t.Errorf("page error: %s", m.String())
		}
	}
}
