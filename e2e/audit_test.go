package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserAudit: the admin acknowledges an alert in the console, opens
// the audit log from the navigation and finds the acknowledgement there
// (who, what, on which alert, from where, in the page's zone); filtering
// by a kind of actor that did nothing shows the "no match" state, and the
// page fits the window.
func TestBrowserAudit(t *testing.T) {
	exe := chromium(t)
	srv := startOpsdeskWith(t, "")
	tok := readmeToken(t, srv)
	raw := postJSON(t, srv.URL+"/api/v1/alerts", tok, []byte(`{"system":"web","dedup_key":"audit-e2e","summary":"Disk full on web1"}`))
	var res struct {
		Alerts []struct{ ID int64 } `json:"alerts"`
	}
	if err := json.Unmarshal(raw, &res); err != nil || len(res.Alerts) != 1 {
		t.Fatalf("alert: %v %s", err, raw)
	}
	id := res.Alerts[0].ID

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bctx, cons := startChromium(t, ctx, exe, 1280, 900)
	do := tab{t, bctx}.do
	eval := tab{t, bctx}.eval
	login(t, bctx, srv)
	ack := fmt.Sprintf(`form[action="/alerts/%d/ack"] button`, id)
	do("acknowledge the alert",
		chromedp.Navigate(fmt.Sprintf("%s/alerts/%d", srv.URL, id)),
		chromedp.WaitVisible(chromedp.CSS(ack)),
		chromedp.Click(chromedp.CSS(ack)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
	)
	do("open the audit log from the navigation",
		chromedp.Click(chromedp.CSS(`nav.nav a[href="/audit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.audit`)),
	)
	var rows []string
	eval(`Array.from(document.querySelectorAll("table.audit tbody tr")).map(function (r) { return r.innerText; })`, &rows)
	found := false
	for _, r := range rows {
		if strings.Contains(r, "admin") && strings.Contains(r, "alert.acknowledge") && strings.Contains(r, fmt.Sprintf("alert #%d (web)", id)) &&
			strings.Contains(r, "Disk full on web1") && strings.Contains(r, "127.0.0.1") {
			found = true
		}
	}
	if !found {
		t.Errorf("no row of the acknowledgement in %q", rows)
	}
	var current string
	eval(`document.querySelector('nav.nav a[aria-current="page"]').getAttribute("href")`, &current)
	if current != "/audit" {
		t.Errorf("the navigation marks %q", current)
	}
	var layout struct{ Doc, View int }
	eval(`({Doc: document.documentElement.scrollWidth, View: window.innerWidth})`, &layout)
	if layout.Doc > layout.View {
		t.Errorf("/audit is %dpx wide in a %dpx window", layout.Doc, layout.View)
	}

	do("filter by a kind of actor that did nothing",
		chromedp.SetValue(chromedp.CSS(`select[name=kind]`), "phone"),
		chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.card.empty`)),
	)
	var empty string
	eval(`document.querySelector(".card.empty").innerText`, &empty)
	if !strings.Contains(empty, "No entry matches these filters.") {
		t.Errorf("empty state %q", empty)
	}
	for _, m := range cons.messages() {
		if m.IsException() {
			t.Errorf("page error: %s", m.String())
		}
	}
}
