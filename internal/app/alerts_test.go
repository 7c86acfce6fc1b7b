package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/events/samples"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

type alertClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *alertClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *alertClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	satoPhone   = "+819011110001"
	suzukiPhone = "+819022220002"
)

// alertsApp starts opsdesk with phone escalation through a fake Connect,
// on a test clock shared by both.
type alertsApp struct {
	t    *testing.T
	s    *apptest.Server
	cn   *fake.Connect
	hook *fake.Webhook
	clk  *alertClock
	tok  string
	svc  *alerts.Service
}

func startAlertsApp(t *testing.T, engine string) *alertsApp {
	t.Helper()
	clk := &alertClock{t: time.Now().UTC().Truncate(time.Second)}
	cn := fake.NewConnect(t, fake.WithClock(clk.Now))
	hook := fake.NewWebhook(t)
	cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
base_url: https://ops.example.com
intake: {rate_per_minute: 0}
destinations:
  - {name: hook, type: webhook, url: '` + hook.URL() + `'}
alerts:
  default_system: XYZ
  timezone: Asia/Tokyo
` + connectYAML(cn) + `  systems:
    - name: XYZ
      contacts:
        - {name: Sato, phone: "` + satoPhone + `", language: ja}
        - {name: Suzuki, phone: "` + suzukiPhone + `"}
      rounds: 1
      notify: [hook]
`))
	if err != nil {
		t.Fatal(err)
	}
	env := connectEnv(cn)
	s := apptest.StartWith(t, cfg, env, func(o *app.Options) { o.Now = clk.Now })
	tok, err := s.App.Auth.CreateToken(context.Background(), "monitoring", auth.ScopeIngestAlerts, auth.ScopeIngestEvents)
	if err != nil {
		t.Fatal(err)
	}
	return &alertsApp{t: t, s: s, cn: cn, hook: hook, clk: clk, tok: tok, svc: s.App.Alerts()}
}

func (a *alertsApp) post(path, ct string, body []byte) (int, map[string]any) {
	a.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.s.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+a.tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

// open posts a native alert and returns its id.
func (a *alertsApp) open(key string) int64 {
	a.t.Helper()
	code, m := a.post("/api/v1/alerts", "application/json", []byte(`{"system":"XYZ","dedup_key":"`+key+`","summary":"Disk full on `+key+`","host":"`+key+`"}`))
	if code != 202 {
		a.t.Fatalf("open %s: %d %v", key, code, m)
	}
	return int64(m["alerts"].([]any)[0].(map[string]any)["id"].(float64))
}

// waitStatus polls the store until the alert has the status.
func (a *alertsApp) waitStatus(id int64, status string) *alerts.Alert {
	a.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		al, err := a.svc.Get(context.Background(), id)
		if err != nil {
			a.t.Fatal(err)
		}
		if al.Status == status {
			return al
		}
		if time.Now().After(deadline) {
			tl, _ := a.svc.Timeline(context.Background(), id)
			for _, e := range tl {
				a.t.Logf("%s %s %s %s", e.At, e.Kind, e.Actor, e.Detail)
			}
			a.t.Fatalf("alert %d is %s, want %s", id, al.Status, status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// step moves the clock and runs the engine, as its scheduled job would.
func (a *alertsApp) step(d time.Duration) {
	a.t.Helper()
	a.clk.Advance(d)
	if err := a.svc.RunDue(context.Background(), true); err != nil {
		a.t.Fatal(err)
	}
}

// TestAlertsEndToEnd runs alerts through the whole process: HTTP intake,
// River-driven escalation to the fake Connect, an Amazon Connect contact
// event on /api/v1/events that short-cuts the poll, a CloudWatch alarm
// event that opens an alert, acknowledgement from chat, the give-up
// notification to a destination, and the console.
func TestAlertsEndToEnd(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			a := startAlertsApp(t, engine)
			ctx := context.Background()
			a.cn.Script(satoPhone, fake.Answer("1"))

			// The seed's payload: the escalation job calls Sato.
			code, m := a.post("/api/v1/alerts", "application/json",
				[]byte(`{"alertinfo":[{"host":"server1","service":"CPU Utilization","lastcheck":"2023-10-03 13:20:52","systemname":"XYZ"}]}`))
			if code != 202 || m["opened"].(float64) != 1 {
				t.Fatalf("seed alert: %d %v", code, m)
			}
			id := int64(m["alerts"].([]any)[0].(map[string]any)["id"].(float64))
			calls := a.cn.WaitForCalls(t, 1, 15*time.Second)
			if calls[0].Number != satoPhone || calls[0].Attributes["language"] != "ja-JP" || calls[0].Attributes["host"] != "server1" ||
				calls[0].Attributes["startdate"] != "2023-10-03 13:20" {
				t.Fatalf("first call %+v", calls[0])
			}

			// Sato pressed 1 and hung up at +43 s; the next poll is at +30 s
			// then +60 s, but Connect's contact event tells opsdesk at +45 s.
			a.clk.Advance(45 * time.Second)
			ev := contactEvent(t, calls[0].ContactID)
			if code, m := postEventsRaw(t, a.s.URL, a.tok, ev); code != 202 {
				t.Fatalf("contact event: %d %v", code, m)
			}
			al := a.waitStatus(id, alerts.StatusAcknowledged)
			if al.AckedBy != "Sato (phone)" {
				t.Errorf("acked by %q", al.AckedBy)
			}

			// A CloudWatch alarm through EventBridge opens an alert of the
			// default system; it calls Sato, and chat acknowledges it.
			alarm, _ := samples.Get("alarm-state-change")
			if code, m := postEventsRaw(t, a.s.URL, a.tok, alarm); code != 202 {
				t.Fatalf("alarm event: %d %v", code, m)
			}
			var alarmID int64
			deadline := time.Now().Add(15 * time.Second)
			for alarmID == 0 && time.Now().Before(deadline) {
				list, _ := a.svc.List(ctx, alerts.Filter{Status: alerts.StatusOpen})
				for _, x := range list {
					if x.Source == "cloudwatch" {
						alarmID = x.ID
					}
				}
				time.Sleep(10 * time.Millisecond)
			}
			if alarmID == 0 {
				t.Fatal("the alarm event opened no alert")
			}
			a.cn.WaitForCalls(t, 2, 15*time.Second)
			reply, err := a.s.App.AckAlert(ctx, fmt.Sprintf("#%d", alarmID), "zhang")
			if err != nil || !strings.Contains(reply, "acknowledged") {
				t.Fatalf("chat ack: %q %v", reply, err)
			}
			if al := a.waitStatus(alarmID, alerts.StatusAcknowledged); al.AckedBy != "zhang (chat)" {
				t.Errorf("acked by %q", al.AckedBy)
			}
			if reply, _ := a.s.App.AckAlert(ctx, fmt.Sprint(alarmID), "li"); !strings.Contains(reply, "already acknowledged") {
				t.Errorf("second chat ack: %q", reply)
			}
			if _, err := a.s.App.AckAlert(ctx, "12x", "li"); err == nil {
				t.Error("chat ack of a bad id succeeded")
			}
			c2, _ := a.cn.Contact(a.cn.Calls()[1].ContactID)
			if !c2.Stopped {
				t.Error("the alarm's call was not hung up after the chat ack")
			}

			// Nobody answers: one round of two people, then the webhook
			// destination hears that nobody acknowledged.
			giveUp := a.open("db9")
			a.cn.WaitForCalls(t, 3, 15*time.Second)
			a.step(30 * time.Second)
			a.step(30 * time.Second) // Sato rang out: Suzuki
			a.step(30 * time.Second)
			a.step(30 * time.Second) // Suzuki rang out: give up
			a.waitStatus(giveUp, alerts.StatusUnacknowledged)
			a.hook.WaitForUnique(t, 1, 15*time.Second)
			msg := a.hook.Deliveries()[0].Payload.Message
			if msg.Kind != "alert" || !strings.Contains(msg.Title, fmt.Sprintf("#%d", giveUp)) || msg.URL != fmt.Sprintf("https://ops.example.com/alerts/%d", giveUp) {
				t.Errorf("notification %+v", msg)
			}

			consoleChecks(t, a, id, giveUp)
		})
	}
}

func contactEvent(t *testing.T, contactID string) []byte {
	t.Helper()
	raw, _ := samples.Get("connect-contact-event")
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev["id"] = "contact-event-" + contactID
	d := ev["detail"].(map[string]any)
	d["contactId"], d["initialContactId"] = contactID, contactID
	b, _ := json.Marshal(ev)
	return b
}

func postEventsRaw(t *testing.T, base, tok string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(body)
}

func (b *browser) post(path string, form url.Values) (int, string, string) {
	b.t.Helper()
	form.Set("csrf", b.csrf)
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

func wantContains(t *testing.T, what, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("%s does not contain %q", what, p)
		}
	}
}

// consoleChecks walks the console's alert pages as the admin.
func consoleChecks(t *testing.T, a *alertsApp, ackedID, gaveUpID int64) {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: a.s.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	b.get("/login")
	if code, _, body := b.post("/login", url.Values{"name": {"admin"}, "password": {a.s.Password}}); code != http.StatusSeeOther {
		t.Fatalf("login: %d %s", code, body)
	}
	ctx := context.Background()

	// The list by status, one alert, its calls and timeline.
	code, body := b.get("/alerts?status=all&lang=en")
	if code != 200 {
		t.Fatalf("/alerts: %d", code)
	}
	wantContains(t, "/alerts", body, "CPU Utilization on server1", "billing-api-5xx", fmt.Sprintf("/alerts/%d", gaveUpID))
	code, body = b.get(fmt.Sprintf("/alerts/%d", ackedID))
	if code != 200 {
		t.Fatalf("alert page: %d", code)
	}
	wantContains(t, "alert page", body, "Sato", "acknowledged (1)", "CONTACT_FLOW_DISCONNECT", "Sato (phone)", "Received", "Call placed", "Call ended", "server1")
	code, body = b.get(fmt.Sprintf("/alerts/%d", gaveUpID))
	wantContains(t, "gave-up page", body, "Escalation gave up", "no answer", "Suzuki", "hook", "sent")
	if code, _ := b.get("/alerts/999999"); code != 404 {
		t.Errorf("unknown alert: %d", code)
	}

	// Acknowledge from the console: the call in progress is hung up.
	id := a.open("web7")
	a.cn.WaitForCalls(t, 5, 15*time.Second)
	b.get(fmt.Sprintf("/alerts/%d", id))
	code, loc, _ := b.post(fmt.Sprintf("/alerts/%d/ack", id), url.Values{})
	if code != http.StatusSeeOther || loc != fmt.Sprintf("/alerts/%d?done=acked", id) {
		t.Fatalf("console ack: %d %s", code, loc)
	}
	if al := a.waitStatus(id, alerts.StatusAcknowledged); al.AckedBy != "admin (console)" {
		t.Errorf("acked by %q", al.AckedBy)
	}
	_, body = b.get(loc + "&lang=en")
	wantContains(t, "after ack", body, "Alert acknowledged: escalation stopped.", "hung up by opsdesk")

	// The home page: the alerts panel.
	_, body = b.get("/?lang=en")
	wantContains(t, "home", body, "Alerts and phone escalation", fmt.Sprintf("#%d", gaveUpID))

	// Call lists: the one from the config, a new one, a refused phone.
	_, body = b.get("/alerts/systems?lang=en")
	wantContains(t, "systems", body, "XYZ", "Sato", "from the config file")
	b.get("/alerts/systems/new")
	form := url.Values{"new": {"1"}, "name": {"Billing"}, "rounds": {"2"}, "wait": {"30s"}, "quiet": {"6h"}, "notify": {"hook"},
		"c0.order": {"2"}, "c0.name": {"Kim"}, "c0.phone": {"+82 10 1234 5678"}, "c0.language": {"ko-KR"}, "c0.hours": {""},
		"c1.order": {"1"}, "c1.name": {"Li"}, "c1.phone": {"+8613812345678"}, "c1.language": {"zh-CN"}, "c1.hours": {"Mon-Fri 09:00-18:00"},
		"c2.order": {"3"}, "c2.name": {""}, "c2.phone": {""}, "c2.language": {""}, "c2.hours": {""}}
	if code, loc, body := b.post("/alerts/systems", form); code != http.StatusSeeOther || loc != "/alerts/systems?done=saved" {
		t.Fatalf("save system: %d %s %s", code, loc, body)
	}
	sys, err := a.svc.System(ctx, "Billing")
	if err != nil {
		t.Fatal(err)
	}
	if len(sys.Contacts) != 2 || sys.Contacts[0].Name != "Li" || sys.Contacts[1].Phone != "+821012345678" || sys.Rounds != 2 ||
		sys.Wait != 30*time.Second || sys.Quiet != 6*time.Hour || len(sys.Notify) != 1 || sys.Origin != alerts.OriginConsole || sys.UpdatedBy != "admin" {
		t.Errorf("saved %+v", sys)
	}
	form.Set("new", "")
	form.Set("c1.phone", "090-1234-5678")
	code, _, body = b.post("/alerts/systems", form)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "E.164") || !strings.Contains(body, "090-1234-5678") {
		t.Errorf("bad phone: %d", code)
	}
	if sys, _ := a.svc.System(ctx, "Billing"); sys.Contacts[0].Phone != "+8613812345678" {
		t.Error("a refused form changed the list")
	}
	_, body = b.get("/alerts/systems/Billing?lang=en")
	wantContains(t, "editor", body, `value="Li"`, `821012345678"`, "Mon-Fri 09:00-18:00")

	// Quiet periods: start one for Billing, see it, end it.
	b.get("/alerts/quiet")
	if code, loc, _ := b.post("/alerts/quiet", url.Values{"system": {"Billing"}, "duration": {"4h"}, "note": {"maintenance"}}); code != http.StatusSeeOther || loc != "/alerts/quiet?done=quiet_started" {
		t.Fatalf("start quiet: %d %s", code, loc)
	}
	qs, _ := a.svc.Quiets(ctx, alerts.QuietFilter{Active: true, System: "Billing"})
	if len(qs) != 1 || qs[0].SetBy != "admin" || qs[0].Note != "maintenance" || qs[0].EndsAt.Sub(qs[0].StartsAt) != 4*time.Hour {
		t.Fatalf("quiet %+v", qs)
	}
	_, body = b.get("/alerts/quiet?lang=en")
	wantContains(t, "quiet page", body, "Billing", "maintenance", "End now")
	if code, _, _ := b.post(fmt.Sprintf("/alerts/quiet/%d/end", qs[0].ID), url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("end quiet: %d", code)
	}
	if qs, _ := a.svc.Quiets(ctx, alerts.QuietFilter{Active: true, System: "Billing"}); len(qs) != 0 {
		t.Errorf("still quiet: %+v", qs)
	}
	if code, _, _ := b.post("/alerts/systems/Billing/delete", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("delete: %d", code)
	}
	if _, err := a.svc.System(ctx, "Billing"); err == nil {
		t.Error("Billing still exists")
	}
	// Every page renders in every language.
	for _, lang := range []string{"ja", "zh", "ko"} {
		for _, p := range []string{"/alerts", fmt.Sprintf("/alerts/%d", gaveUpID), "/alerts/systems", "/alerts/systems/XYZ", "/alerts/quiet", "/"} {
			if code, _ := b.get(p + "?lang=" + lang); code != 200 {
				t.Errorf("%s in %s: %d", p, lang, code)
			}
		}
	}
}
