package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/delivery"
	"github.com/opsdesk/opsdesk/internal/events/samples"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/health"
	"github.com/opsdesk/opsdesk/internal/intake"
	"github.com/opsdesk/opsdesk/internal/oncall"
	"github.com/opsdesk/opsdesk/internal/sqsin"
)

// screenshotsEnv names a directory: when set, TestBrowserLayout saves a
// full-page screenshot of every page it checks there, for people to look at
// (OPSDESK_SCREENSHOTS=/tmp/shots go test ./e2e -run Layout).
const screenshotsEnv = "OPSDESK_SCREENSHOTS"

// Layout limits on a phone.
const (
	// maxHeaderPx is the tallest the top bar may be on a phone: the brand
	// row and up to three rows of menu (the menu wraps so that every
	// section stays in view).
	maxHeaderPx = 180
	// minGapPx is the least space between the top bar and the content.
	minGapPx = 12
)

// layout is what checkLayout measures on a page.
type layout struct {
	DocWidth  float64 `json:"docWidth"`
	ViewWidth float64 `json:"viewWidth"`
	Header    float64 `json:"header"`
	Gap       float64 `json:"gap"`
	First     string  `json:"first"`
	NavLines  int     `json:"navLines"`
	// NavOverflow is how far the console menu scrolls sideways (it must
	// not: every section is shown); CurrentShown says the current
	// section's item is in view.
	NavOverflow  float64  `json:"navOverflow"`
	CurrentShown bool     `json:"currentShown"`
	Wide         []string `json:"wide"`
	// Hidden are the menu's items not fully in view (navHidden).
	Hidden []string `json:"hidden"`
}

// measureLayout: the page's width against the viewport (and, when wider,
// the elements sticking out), the top bar's height, how many lines the
// console menu takes, and the space between the top bar and the first
// thing in <main>.
const measureLayout = `(function () {
  var vw = document.documentElement.clientWidth;
  var top = document.querySelector("header.top").getBoundingClientRect();
  var first = document.querySelector("main").firstElementChild;
  var lines = {};
  document.querySelectorAll(".top .nav a").forEach(function (a) {
    lines[Math.round(a.getBoundingClientRect().top)] = true;
  });
  var nav = document.querySelector(".top .nav");
  var cur = nav && nav.querySelector("a[aria-current]");
  var shown = true;
  if (cur) {
    var nr = nav.getBoundingClientRect(), cr = cur.getBoundingClientRect();
    shown = cr.left >= nr.left - 1 && cr.right <= nr.right + 1;
  }
  var wide = [];
  if (document.documentElement.scrollWidth > vw) {
    document.querySelectorAll("body *").forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.right > vw + 0.5 && wide.length < 5) {
        wide.push(el.tagName.toLowerCase() + (el.className ? "." + String(el.className).replace(/ /g, ".") : "") + " right=" + Math.round(r.right));
      }
    });
  }
  return {
    docWidth: document.documentElement.scrollWidth,
    viewWidth: vw,
    header: top.height,
    gap: first ? first.getBoundingClientRect().top - top.bottom : -1,
    first: first ? first.tagName.toLowerCase() + "." + first.className : "",
    navLines: Object.keys(lines).length,
    navOverflow: nav ? nav.scrollWidth - nav.clientWidth : 0,
    currentShown: shown,
    wide: wide,
    hidden: ` + navHidden + `
  };
})()`

// TestBrowserLayout opens every page in every language on a phone
// (390×844) and on a laptop (1280×800) and checks that nothing scrolls
// sideways, that the console menu shows every section (it wraps on a
// phone, one line on a laptop), that the top bar stays compact, that
// content does not touch the top bar, and that no page load logs an error
// (such as a missing favicon).
func TestBrowserLayout(t *testing.T) {
	begin := time.Now()
	exe := chromium(t)
	ok := fake.NewWebhook(t)
	broken := fake.NewWebhook(t)
	support := fake.NewSupport(t)
	data := supportArchive(t)
	support.Load(data)
	srv := startOpsdesk2(t, ok, broken, support)

	shots := os.Getenv(screenshotsEnv)
	// Full-page screenshots at twice the resolution take their time.
	limit := 150 * time.Second
	if shots != "" {
		limit = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	bctx, cons := startChromium(t, ctx, exe, 1280, 800)

	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	type viewport struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}
	// Measurements are in CSS pixels, the same at any device scale; a
	// sharp (2×) phone is only worth its rendering time for screenshots.
	scale := 1.0
	if shots != "" {
		scale = 2
	}
	phone := viewport{"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait, chromedp.EmulateScale(scale)}}
	laptop := viewport{"laptop", 1280, 800, nil}
	viewports := []viewport{phone, laptop}
	langs := []string{"en", "ja", "zh", "ko"}
	// A laptop has room to spare: there, one Latin and one CJK language
	// will do, except when taking screenshots for people to look at.
	laptopLangs := []string{"en", "ja"}
	if shots != "" {
		laptopLangs = langs
	}

	do := tab{t, bctx}.do
	eval := tab{t, bctx}.eval
	base := srv.URL
	// check opens path in every language and viewport, measures it and
	// saves a screenshot as name-lang-viewport.png when asked to.
	check := func(name, path string, extra func(vp, lang string)) {
		t.Helper()
		for _, vp := range viewports {
			do("viewport "+vp.name, chromedp.EmulateViewport(vp.w, vp.h, vp.opts...))
			ls := langs
			if vp.name == laptop.name {
				ls = laptopLangs
			}
			for _, lang := range ls {
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				where := fmt.Sprintf("%s %s (%s)", vp.name, path, lang)
				do(where, chromedp.Navigate(base+path+sep+"lang="+lang))
				var l layout
				eval(measureLayout, &l)
				if l.DocWidth > l.ViewWidth {
					t.Errorf("%s: page is %vpx wide in a %vpx viewport (scrolls sideways); sticking out: %v", where, l.DocWidth, l.ViewWidth, l.Wide)
				}
				if vp.name == phone.name && l.Header > maxHeaderPx {
					t.Errorf("%s: top bar is %vpx high, want at most %dpx", where, l.Header, maxHeaderPx)
				}
				if vp.name == laptop.name && l.NavLines > 1 {
					t.Errorf("%s: console menu wraps onto %d lines on a laptop", where, l.NavLines)
				}
				if !l.CurrentShown {
					t.Errorf("%s: the current section is not in view in the console menu", where)
				}
				if len(l.Hidden) > 0 || l.NavOverflow > 0 {
					t.Errorf("%s: console menu items not fully shown: %v (the menu scrolls by %vpx)", where, l.Hidden, l.NavOverflow)
				}
				if l.Gap < minGapPx {
					t.Errorf("%s: %s is %vpx below the top bar, want at least %dpx", where, l.First, l.Gap, minGapPx)
				}
				if extra != nil {
					extra(vp.name, lang)
				}
				if shots != "" {
					png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
					if err != nil {
						t.Fatalf("%s: screenshot: %v", where, err)
					}
					file := filepath.Join(shots, fmt.Sprintf("%s-%s-%s.png", name, lang, vp.name))
					if err := os.WriteFile(file, png, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}

	// A question that reached both destinations.
	submit := func(project, name, text, lang string) *intake.Question {
		t.Helper()
		q, err := srv.App.Intake.Submit(context.Background(), intake.Input{Project: project, Name: name, Question: text},
			intake.Meta{SourceIP: "192.0.2.10", UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1", Lang: lang})
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	q1 := submit("AWS-101", "山田 花子", questionText, "ja")
	waitDelivered(t, srv.App.St, q1.Ref, "instructors", 10*time.Second)
	waitDelivered(t, srv.App.St, q1.Ref, "tickets", 10*time.Second)

	// Public pages and the login form, logged out.
	check("ask", "/ask", nil)
	check("thanks", "/ask/thanks?ref="+q1.Ref, nil)
	check("login", "/login", nil)
	do("log in",
		chromedp.Navigate(srv.URL+"/login?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), srv.Password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.logout`)),
	)
	check("home-clear", "/", nil)

	// A question that one destination refuses for good.
	broken.FailNext(1, fake.Failure{Status: 404, Body: `{"error":"no such hook"}`})
	q2 := submit("", "Kim Minjun", "Can I get the slides of day 2? The link in the chat has expired.", "ko")
	if d := waitDelivered(t, srv.App.St, q2.Ref, "tickets", 10*time.Second); d.Status != delivery.StatusFailed {
		t.Fatalf("delivery of %s to tickets: %s, want failed", q2.Ref, d.Status)
	}
	waitDelivered(t, srv.App.St, q2.Ref, "instructors", 10*time.Second)

	check("home-failed", "/", nil)
	check("questions", "/questions", nil)
	check("questions-baddate", "/questions?from=garbage&to=2025-02-30", func(vp, lang string) {
		var errs []string
		eval(`Array.from(document.querySelectorAll(".filters .error")).map(function (e) { return e.innerText; })`, &errs)
		if len(errs) != 2 || !strings.Contains(errs[0], "garbage") || !strings.Contains(errs[1], "2025-02-30") {
			t.Errorf("%s /questions?from=garbage&to=2025-02-30 (%s): date errors %q, want one for each field naming the value", vp, lang, errs)
		}
	})
	check("question", "/questions/"+q2.Ref, func(vp, lang string) {
		// Only a real error is red: the delivered row's empty error is not.
		var red []string
		eval(`Array.from(document.querySelectorAll("table.deliveries .err")).map(function (e) { return e.innerText.trim(); })`, &red)
		if len(red) != 1 || red[0] == "" || red[0] == "—" {
			t.Errorf("%s question page (%s): red errors %q, want exactly the failed delivery's", vp, lang, red)
		}
		// The page's language sets the font, but code stays monospace.
		var font string
		eval(`getComputedStyle(document.querySelector(".facts code")).fontFamily`, &font)
		if !strings.Contains(font, "monospace") {
			t.Errorf("%s question page (%s): the source IP is set in %s, want a monospace font", vp, lang, font)
		}
	})
	check("destinations", "/destinations", func(vp, lang string) {
		var red []string
		eval(`Array.from(document.querySelectorAll(".dest .err")).map(function (e) { return e.innerText.trim(); })`, &red)
		if len(red) != 1 || red[0] == "" || red[0] == "—" {
			t.Errorf("%s destinations (%s): red errors %q, want exactly the tickets destination's", vp, lang, red)
		}
	})

	// The case archive: the app synced the fake Support API's archive at
	// start; wait until every message and attachment is in.
	waitArchived(t, srv, data, 20*time.Second)
	// Two cases wait for the customer, one is no longer at AWS (as after
	// its retention period).
	mustExec(t, srv, `UPDATE cases SET status = 'pending-customer-action' WHERE case_id IN (?, ?)`, e2eCaseID, data[len(data)-1].CaseID)
	kept := data[2].CaseID
	mustExec(t, srv, `UPDATE cases SET gone_at = last_seen_at WHERE case_id = ?`, kept)
	check("home-cases", "/", func(vp, lang string) {
		var n int
		eval(`document.querySelectorAll("#awaiting-cases .case-row").length`, &n)
		if n != 2 {
			t.Errorf("%s home (%s): %d cases awaiting action, want 2", vp, lang, n)
		}
	})
	check("cases", "/cases", nil)
	check("cases-search", "/cases?q="+url.QueryEscape("障害"), func(vp, lang string) {
		var marks int
		eval(`document.querySelectorAll(".snippet mark, .subject mark").length`, &marks)
		if marks == 0 {
			t.Errorf("%s cases search (%s): no highlighted match", vp, lang)
		}
	})
	check("case", "/cases/"+e2eCaseID, func(vp, lang string) {
		var ws string
		eval(`getComputedStyle(document.querySelector(".msg-body")).whiteSpace`, &ws)
		if ws != "pre-wrap" {
			t.Errorf("%s case page (%s): message bodies are white-space %q, want pre-wrap", vp, lang, ws)
		}
		var links int
		eval(`document.querySelectorAll(".atts a[download]").length`, &links)
		if links != 2 {
			t.Errorf("%s case page (%s): %d attachment links, want 2", vp, lang, links)
		}
	})
	check("case-kept", "/cases/"+kept, func(vp, lang string) {
		var notes int
		eval(`document.querySelectorAll(".kept-note").length`, &notes)
		if notes != 1 {
			t.Errorf("%s case no longer at AWS (%s): %d notes saying it is kept, want 1", vp, lang, notes)
		}
	})
	check("case-stats", "/cases/stats", func(vp, lang string) {
		// Every chart fits its card, and the month labels shown do not
		// run into each other.
		var res struct {
			Charts   int      `json:"charts"`
			Wide     []string `json:"wide"`
			Overlaps []string `json:"overlaps"`
		}
		eval(`(function () {
  var out = {charts: 0, wide: [], overlaps: []};
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    out.charts++;
    var card = svg.closest(".card").getBoundingClientRect(), r = svg.getBoundingClientRect();
    if (r.right > card.right + 0.5 || r.left < card.left - 0.5) { out.wide.push(svg.parentNode.id); }
    var prev = null;
    svg.querySelectorAll("text.tick").forEach(function (t) {
      var b = t.getBoundingClientRect();
      if (b.width === 0) { return; }
      if (prev && b.left < prev.right + 2) { out.overlaps.push(svg.parentNode.id + ": " + t.textContent); }
      prev = b;
    });
  });
  return out;
})()`, &res)
		if res.Charts != 3 || len(res.Wide) > 0 || len(res.Overlaps) > 0 {
			t.Errorf("%s stats (%s): %d charts, too wide: %v, month labels overlapping: %v", vp, lang, res.Charts, res.Wide, res.Overlaps)
		}
	})
	// The sync button queues a sync and says so.
	do("sync now",
		chromedp.Navigate(base+"/cases?lang=en"),
		chromedp.Click(chromedp.CSS(`form[action="/cases/sync"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
	)
	check("cases-synced", "/cases?notice=sync_queued", func(vp, lang string) {
		var notice string
		eval(`(document.querySelector("p.notice") || {}).textContent || ""`, &notice)
		if notice == "" {
			t.Errorf("%s cases (%s): no 'sync queued' notice", vp, lang)
		}
	})

	// Alerts, events, chat and the pages this console shows for what is
	// not set up yet.
	tok := readmeToken(t, srv)
	var alert struct {
		Alerts []struct {
			ID int64 `json:"id"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal(postJSON(t, srv.URL+"/api/v1/alerts", tok, []byte(`{"alertinfo":[{"host":"server1","service":"CPU Utilization","lastcheck":"2023-10-03 13:20:52","systemname":"XYZ"}]}`)), &alert); err != nil || len(alert.Alerts) != 1 {
		t.Fatalf("alert: %+v %v", alert, err)
	}
	evBody, err := samples.Get("alarm-state-change")
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Events []struct {
			Ref int64 `json:"ref"`
		} `json:"events"`
	}
	if err := json.Unmarshal(postJSON(t, srv.URL+"/api/v1/events", tok, evBody), &ev); err != nil || len(ev.Events) != 1 {
		t.Fatalf("event: %+v %v", ev, err)
	}
	waitEventsFinal(t, srv, map[string]int64{"alarm-state-change": ev.Events[0].Ref}, 10*time.Second)
	// AWS Health: the empty page, then a record of each category.
	check("health-empty", "/health", nil)
	healthRefs := map[string]int64{}
	for _, name := range []string{"health-issue", "health-scheduled-change", "health-account-notification"} {
		body, err := samples.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		var hv struct {
			Events []struct {
				Ref int64 `json:"ref"`
			} `json:"events"`
		}
		if err := json.Unmarshal(postJSON(t, srv.URL+"/api/v1/events", tok, body), &hv); err != nil || len(hv.Events) != 1 {
			t.Fatalf("%s: %+v %v", name, hv, err)
		}
		healthRefs[name] = hv.Events[0].Ref
	}
	waitEventsFinal(t, srv, healthRefs, 10*time.Second)
	healthRecs, err := srv.App.Health().List(context.Background(), health.Filter{Service: "EC2"})
	if err != nil || len(healthRecs) != 1 {
		t.Fatalf("health records: %v %v", healthRecs, err)
	}
	// An escalation policy, and a system routing to it, for the policy
	// page's preview and the routes editor.
	asvc := srv.App.Alerts()
	if err := asvc.SavePolicy(context.Background(), alerts.Policy{Name: "platform", Description: "Platform team", Steps: []alerts.PolicyStep{
		{Targets: []alerts.Target{{Type: "user", Name: "sato"}, {Type: "schedule", Name: "platform"}}},
		{Reescalate: 30 * time.Minute, Targets: []alerts.Target{{Type: "user", Name: "kim"}}},
	}}, "admin", alerts.OriginConsole, nil); err != nil {
		t.Fatal(err)
	}
	if err := asvc.SaveSystem(context.Background(), alerts.System{Name: "billing", Contacts: []alerts.Contact{{Name: "Sato", Phone: "+819011110001", Hours: "Mon-Fri 09:00-18:00"}},
		Routes: []alerts.Route{{Severities: []string{"critical", "warning"}, Hours: "Mon-Fri 09:00-18:00", Policy: "platform"}, {Severities: []string{"info"}, RecordOnly: true}}},
		"admin", alerts.OriginConsole, nil); err != nil {
		t.Fatal(err)
	}
	// A maintenance window in force and a weekly one, for the maintenance
	// page's lists.
	for _, w := range []alerts.Window{
		{Name: "deploy v42", System: "billing", Severities: []string{"critical", "warning"}, Matchers: []string{"env=prod", "job=~db.*"},
			Start: time.Now(), End: time.Now().Add(2 * time.Hour), EscalateAtEnd: true},
		{Name: "nightly batch", Start: time.Now().Add(24 * time.Hour), End: time.Now().Add(26 * time.Hour), Weekly: true, TimeZone: "Asia/Tokyo"},
	} {
		if _, err := asvc.CreateWindow(context.Background(), w, "admin"); err != nil {
			t.Fatal(err)
		}
	}
	// A schedule (two layers and an override) for the on-call pages.
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(tokyo)
	if err := srv.App.OnCall.SaveSchedule(context.Background(), &oncall.Schedule{Name: "platform", TimeZone: tokyo,
		Layers: []oncall.Layer{
			{Name: "weekly", Participants: []string{"sato", "suzuki", "tanaka"}, Shift: oncall.ShiftLength{Unit: oncall.Weeks, Count: 1},
				HandOff: time.Date(2026, 1, 5, 9, 0, 0, 0, tokyo)},
			{Name: "business-hours", Participants: []string{"kim"}, Shift: oncall.ShiftLength{Unit: oncall.Days, Count: 1}, Priority: 10,
				HandOff:      time.Date(2026, 1, 5, 9, 0, 0, 0, tokyo),
				Restrictions: []oncall.Restriction{{Weekdays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, From: oncall.At(9, 0), To: oncall.At(18, 0)}}},
		},
		Overrides: []oncall.Override{{Who: "lee", Covers: "sato", Start: now.Add(24 * time.Hour), End: now.Add(48 * time.Hour)}},
	}, "admin"); err != nil {
		t.Fatal(err)
	}
	// A dead letter with a long unbroken body, for the queues page.
	if err := sqsin.NewStore(srv.App.St).Dead(context.Background(), sqsin.DeadLetter{Queue: "intake", MessageID: "4f1c2b8e-0d3a-4c5e-9f70-1a2b3c4d5e6f",
		Body: `{"Type":"Notification","Message":"` + strings.Repeat("x", 600) + `"}`, Error: "unrecognized payload (keys: Message, Type); expected an EventBridge event",
		Receives: 1, Disposition: "delete", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, pg := range []struct{ name, path string }{
		{"oncall", "/oncall"},
		{"oncall-schedule", "/oncall/platform"},
		{"contact", "/users/admin/contact"},
		{"heartbeats", "/heartbeats"},
		{"queues", "/queues"},
		{"alerts", "/alerts"},
		{"alert", fmt.Sprintf("/alerts/%d", alert.Alerts[0].ID)},
		{"alert-systems", "/alerts/systems"},
		{"alert-system-new", "/alerts/systems/new?name=XYZ"},
		{"alert-quiet", "/alerts/quiet"},
		{"maintenance", "/maintenance"},
		{"policies", "/policies"},
		{"policy-new", "/policies/new"},
		{"policy", "/policies/platform?system=billing&severity=critical"},
		{"system-routes", "/alerts/systems/billing/routes?severity=warning"},
		{"events", "/events"},
		{"event", fmt.Sprintf("/events/%d", ev.Events[0].Ref)},
		{"event-rules", "/events/rules"},
		{"event-rule-new", "/events/rules/new"},
		{"health", "/health"},
		{"health-record", fmt.Sprintf("/health/%d", healthRecs[0].ID)},
		{"chat-setup", "/chat"},
		{"audit", "/audit"},
		{"not-found", "/no/such/page"},
	} {
		check(pg.name, pg.path, nil)
	}

	// The admin's menu, users, tokens and audit included: on a phone every
	// section is still shown (the menu wraps), the top bar stays compact
	// and nothing scrolls sideways.
	do("viewport phone", chromedp.EmulateViewport(phone.w, phone.h, phone.opts...))
	for _, lang := range langs {
		where := "phone /questions (" + lang + ") with the admin sections"
		do(where, chromedp.Navigate(srv.URL+"/questions?lang="+lang))
		var n int
		eval(`(function () {
  var nav = document.querySelector(".top .nav");
  var admin = ["/users", "/tokens", "/audit"].every(function (h) { return nav.querySelector('a[href="' + h + '"]'); });
  return admin ? nav.querySelectorAll("a").length : -1;
})()`, &n)
		if n < 0 {
			t.Fatalf("%s: the admin's menu lacks users, tokens or audit", where)
		}
		var l layout
		eval(measureLayout, &l)
		if l.DocWidth > l.ViewWidth || l.Header > maxHeaderPx || !l.CurrentShown || len(l.Hidden) > 0 || l.NavOverflow > 0 {
			t.Errorf("%s: %+v; want all %d items shown in at most %dpx, no sideways scrolling", where, l, n, maxHeaderPx)
		}
		if shots != "" {
			png, err := chromedp.Run(bctx, chromedp.Screenshot(chromedp.CSS(`header.top`)))
			if err != nil {
				t.Fatalf("%s: screenshot: %v", where, err)
			}
			if err := os.WriteFile(filepath.Join(shots, "menu-more-"+lang+"-phone.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	// No AWS account configured: the list says how to add one.
	empty := startOpsdesk(t, ok)
	base = empty.URL
	do("log in (no accounts)",
		chromedp.Navigate(base+"/login?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), empty.Password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.logout`)),
	)
	check("cases-no-accounts", "/cases", nil)

	for _, m := range cons.messages() {
		if m.IsException() || m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning {
			if strings.Contains(m.String(), "status of 404") && strings.Contains(m.URL, "/no/such/page") {
				continue // the not-found page, asked for
			}
			t.Errorf("console: %s (%s)", m.String(), m.URL)
		}
	}
	if err := ctx.Err(); err != nil {
		t.Fatalf("layout test ran out of time: %v", err)
	}
	if shots != "" {
		t.Logf("screenshots in %s", shots)
	}
	t.Logf("layout test took %v", time.Since(begin).Round(time.Millisecond))
}

// startOpsdesk2 starts opsdesk with two webhook destinations, instructors
// (ok) and tickets (broken), both routed for questions, and one AWS
// account whose Support API is the fake: opsdesk archives its cases at
// start.
func startOpsdesk2(t *testing.T, ok, broken *fake.Webhook, support *fake.Support) *apptest.Server {
	t.Helper()
	// The SDK's default credential chain reads the process environment.
	t.Setenv("AWS_ACCESS_KEY_ID", support.AccessKeyID())
	t.Setenv("AWS_SECRET_ACCESS_KEY", support.SecretAccessKey())
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	return startOpsdeskEnv(t, `
destinations:
  - {name: instructors, type: webhook, url: '`+ok.URL()+`'}
  - {name: tickets, type: webhook, url: '`+broken.URL()+`'}
routes:
  questions: [instructors, tickets]
aws:
  accounts:
    - {name: prod, languages: [en, ja, zh, ko]}
`, map[string]string{"AWS_ENDPOINT_URL_SUPPORT": support.URL()})
}

// e2eCaseID is a Japanese case with a long thread, line breaks and
// attachments with Japanese names.
const e2eCaseID = "case-123456789012-muja-2026-e2e0000000000001"

// supportArchive is the fake Support API's archive: 60 generated cases of
// the last two years in four languages and one hand-written Japanese case.
// No generated case waits for the customer, so the home page starts out
// all clear.
func supportArchive(t *testing.T) []fake.SupportCase {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	data := fake.SupportGen{Cases: 60, Seed: 1, End: now}.Generate()
	for i := range data {
		if data[i].Status == "pending-customer-action" {
			data[i].Status = "work-in-progress"
		}
	}
	created := now.Add(-40 * 24 * time.Hour)
	customer := "AdminRole (Role) <tanaka.taro@example.co.jp>"
	jp := fake.SupportCase{
		CaseID: e2eCaseID, DisplayID: "17100000001", Status: "work-in-progress",
		Subject:     "本番環境の Aurora PostgreSQL クラスターでフェイルオーバー後に接続エラーが多発している",
		ServiceCode: "amazon-relational-database-service-aurora-postgresql", CategoryCode: "failover", SeverityCode: "urgent",
		SubmittedBy: "tanaka.taro@example.co.jp", Language: "ja", TimeCreated: created,
		CcEmailAddresses: []string{"oncall@example.co.jp", "db-team@example.co.jp"},
		Communications: []fake.SupportCommunication{
			{Body: "お世話になっております。\n\n本番環境の Aurora クラスター（prod-aurora-cluster-01）で昨夜 02:14 JST にフェイルオーバーが発生し、その後アプリケーションから接続エラーが多発しています。\n\n・エラー: FATAL: the database system is starting up\n・影響: 決済 API のタイムアウト\n\nログを添付しますので、原因の調査をお願いいたします。\n田中 太郎（インフラチーム）",
				SubmittedBy: customer, TimeCreated: created,
				Attachments: []fake.SupportAttachment{{ID: "e2e-att-1", FileName: "アプリケーションログ_2026-10-12.log", Data: []byte("2026-10-12T17:14:03.120Z ERROR [db-pool] FATAL: the database system is starting up\n")}}},
			{Body: "Amazon Web Services をご利用いただきありがとうございます。\n\nご連絡いただいた時間帯に、当該アベイラビリティーゾーンでストレージの障害が発生しておりました。フェイルオーバー自体は正常に完了しています。\n\nアプリケーション側の接続プールで DNS キャッシュの TTL を短く設定することをお勧めします。\n\nよろしくお願いいたします。\nAmazon Web Services",
				SubmittedBy: "Amazon Web Services", TimeCreated: created.Add(3 * time.Hour),
				Attachments: []fake.SupportAttachment{{ID: "e2e-att-2", FileName: "failover-timeline.png", Data: []byte("\x89PNG\r\n\x1a\n0000IHDR")}}},
			{Body: "ご回答ありがとうございます。TTL を 5 秒に変更して様子を見ます。", SubmittedBy: customer, TimeCreated: created.Add(5 * time.Hour)},
		},
	}
	return append([]fake.SupportCase{jp}, data...)
}

// waitArchived waits until opsdesk holds every case of data with all its
// messages and attachments.
func waitArchived(t *testing.T, srv *apptest.Server, data []fake.SupportCase, timeout time.Duration) {
	t.Helper()
	wantComms, wantAtts := 0, 0
	for _, c := range data {
		wantComms += len(c.Communications)
		for _, m := range c.Communications {
			wantAtts += len(m.Attachments)
		}
	}
	deadline := time.Now().Add(timeout)
	for {
		var n, comms, atts int
		st := srv.App.St
		_ = st.R.QueryRow(`SELECT count(*) FROM cases`).Scan(&n)
		_ = st.R.QueryRow(`SELECT count(*) FROM case_communications`).Scan(&comms)
		_ = st.R.QueryRow(`SELECT count(*) FROM case_attachments WHERE status = 'stored'`).Scan(&atts)
		if n == len(data) && comms == wantComms && atts == wantAtts {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %d/%d cases, %d/%d messages, %d/%d attachments archived", timeout, n, len(data), comms, wantComms, atts, wantAtts)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustExec(t *testing.T, srv *apptest.Server, query string, args ...any) {
	t.Helper()
	if _, err := srv.App.St.W.Exec(srv.App.St.Q(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
