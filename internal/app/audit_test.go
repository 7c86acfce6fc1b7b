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
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// auditRow is one audit_log row as the tests compare it.
type auditRow struct {
	Actor, Kind, Action, Target, Detail, Source string
}

// auditRows lists the rows of an action, oldest first.
func auditRows(t *testing.T, a *alertsApp, action string) []auditRow {
	t.Helper()
	es, err := a.s.App.Audit.List(context.Background(), audit.Filter{Action: action, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []auditRow
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		out = append(out, auditRow{e.Actor, e.Kind, e.Action, e.Target, e.Detail, e.Source})
	}
	return out
}

// waitAudit waits for n rows of action (records are written after the
// change commits, some from jobs).
func waitAudit(t *testing.T, a *alertsApp, action string, n int) []auditRow {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		rows := auditRows(t, a, action)
		if len(rows) >= n || time.Now().After(deadline) {
			if len(rows) != n {
				t.Fatalf("%s: %d audit rows, want %d: %+v", action, len(rows), n, rows)
			}
			return rows
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAuditAlerts changes alerts every way a person can — key 1 on a
// call, the console, an API token, chat — and the console's call lists
// and quiet periods, through the running process, and finds each change
// in the audit log with who did it, from where; then reads the log back
// through GET /api/v1/audit and the console's /audit page.
func TestAuditAlerts(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			a := startAlertsApp(t, engine)
			ctx := context.Background()

			// Phone: Sato presses 1.
			a.cn.Script(satoPhone, fake.Answer("1"))
			phoned := a.open("audit-phone")
			calls := a.cn.WaitForCalls(t, 1, 15*time.Second)
			a.clk.Advance(45 * time.Second)
			if code, m := postEventsRaw(t, a.s.URL, a.tok, contactEvent(t, calls[0].ContactID)); code != 202 {
				t.Fatalf("contact event: %d %v", code, m)
			}
			a.waitStatus(phoned, alerts.StatusAcknowledged)
			rows := waitAudit(t, a, "alert.acknowledge", 1)
			if r := rows[0]; r.Actor != "Sato" || r.Kind != audit.KindPhone || r.Target != fmt.Sprintf("alert #%d (XYZ)", phoned) ||
				!strings.HasPrefix(r.Detail, "key 1: Disk full on audit-phone") {
				t.Errorf("phone ack recorded as %+v", r)
			}

			// The console: the admin acknowledges.
			b := loginAdmin(t, a)
			consoleAcked := a.open("audit-console")
			if code, _, body := b.post(fmt.Sprintf("/alerts/%d/ack", consoleAcked), url.Values{}); code != http.StatusSeeOther {
				t.Fatalf("console ack: %d %s", code, body)
			}
			rows = waitAudit(t, a, "alert.acknowledge", 2)
			if r := rows[1]; r.Actor != "admin" || r.Kind != audit.KindUser || r.Target != fmt.Sprintf("alert #%d (XYZ)", consoleAcked) || r.Source != "127.0.0.1" {
				t.Errorf("console ack recorded as %+v", r)
			}
			// Acknowledging again changes nothing and records nothing.
			b.post(fmt.Sprintf("/alerts/%d/ack", consoleAcked), url.Values{})

			// The API: a token resolves, naming who it acts for.
			act, err := a.s.App.Auth.CreateToken(ctx, "pager-bot", auth.ScopeActAlerts)
			if err != nil {
				t.Fatal(err)
			}
			if code, m := apiCall(t, a, act, http.MethodPost, fmt.Sprintf("/api/v1/alerts/%d/resolve", consoleAcked), `{"by": "tanaka"}`); code != 200 || m["changed"] != true {
				t.Fatalf("API resolve: %d %v", code, m)
			}
			rows = waitAudit(t, a, "alert.resolve", 1)
			if r := rows[0]; r.Actor != "pager-bot" || r.Kind != audit.KindToken || r.Target != fmt.Sprintf("alert #%d (XYZ)", consoleAcked) ||
				r.Source != "127.0.0.1" || !strings.HasPrefix(r.Detail, "as tanaka: ") {
				t.Errorf("API resolve recorded as %+v", r)
			}

			// Chat (through the alerts capability's hook, as chat-ops
			// calls it with the sender as the actor).
			chatAcked := a.open("audit-chat")
			chatCtx := audit.WithActor(ctx, audit.Actor{Name: "zhang", Kind: audit.KindChat, Source: "dingtalk u1"})
			if reply, err := a.s.App.AckAlert(chatCtx, fmt.Sprint(chatAcked), "zhang"); err != nil || !strings.Contains(reply, "acknowledged") {
				t.Fatalf("chat ack: %q %v", reply, err)
			}
			rows = waitAudit(t, a, "alert.acknowledge", 3)
			if r := rows[2]; r.Actor != "zhang" || r.Kind != audit.KindChat || r.Target != fmt.Sprintf("alert #%d (XYZ)", chatAcked) || r.Source != "dingtalk u1" {
				t.Errorf("chat ack recorded as %+v", r)
			}

			// The monitoring system's own recovery is in the alert's
			// timeline, not in the audit log.
			recovered := a.open("audit-recovery")
			if code, m := a.post("/api/v1/alerts", "application/json", []byte(`{"system":"XYZ","dedup_key":"audit-recovery","summary":"ok","status":"resolved"}`)); code != 202 {
				t.Fatalf("recovery: %d %v", code, m)
			}
			a.waitStatus(recovered, alerts.StatusResolved)
			if rows := auditRows(t, a, "alert.resolve"); len(rows) != 1 {
				t.Errorf("a recovery sent by monitoring was recorded: %+v", rows)
			}

			// Quiet periods and call lists from the console.
			if code, _, body := b.post("/alerts/quiet", url.Values{"system": {"XYZ"}, "duration": {"1h"}, "note": {"deploy"}}); code != http.StatusSeeOther {
				t.Fatalf("quiet start: %d %s", code, body)
			}
			qs, err := a.svc.Quiets(ctx, alerts.QuietFilter{Active: true, System: "XYZ"})
			if err != nil || len(qs) != 1 {
				t.Fatalf("quiet periods %v %v", qs, err)
			}
			if code, _, body := b.post(fmt.Sprintf("/alerts/quiet/%d/end", qs[0].ID), url.Values{}); code != http.StatusSeeOther {
				t.Fatalf("quiet end: %d %s", code, body)
			}
			if r := waitAudit(t, a, "quiet.start", 1)[0]; r.Actor != "admin" || r.Kind != audit.KindUser || r.Target != "system XYZ" ||
				!strings.Contains(r.Detail, fmt.Sprintf("quiet period #%d until", qs[0].ID)) || !strings.HasSuffix(r.Detail, ": deploy") {
				t.Errorf("quiet start recorded as %+v", r)
			}
			if r := waitAudit(t, a, "quiet.end", 1)[0]; r.Actor != "admin" || r.Target != "system XYZ" || r.Detail != fmt.Sprintf("quiet period #%d", qs[0].ID) {
				t.Errorf("quiet end recorded as %+v", r)
			}
			form := url.Values{"name": {"XYZ"}, "rounds": {"2"}, "wait": {"1m"}, "quiet": {"12h"}, "notify": {"hook"},
				"c0.order": {"1"}, "c0.name": {"Suzuki"}, "c0.phone": {suzukiPhone}, "c0.language": {"en"}, "c0.hours": {""}}
			if code, _, body := b.post("/alerts/systems", form); code != http.StatusSeeOther {
				t.Fatalf("system save: %d %s", code, body)
			}
			if r := waitAudit(t, a, "system.update", 1)[0]; r.Actor != "admin" || r.Kind != audit.KindUser || r.Target != "system XYZ" ||
				r.Detail != "1 contacts, 2 rounds, wait 1m0s, notify hook" {
				t.Errorf("system update recorded as %+v", r)
			}

			form.Set("new", "1")
			form.Set("name", "ABC")
			if code, _, body := b.post("/alerts/systems", form); code != http.StatusSeeOther {
				t.Fatalf("system create: %d %s", code, body)
			}
			if code, _, body := b.post("/alerts/systems/ABC/delete", url.Values{}); code != http.StatusSeeOther {
				t.Fatalf("system delete: %d %s", code, body)
			}
			if rows := waitAudit(t, a, "system", 3); rows[1].Action != "system.update" || rows[1].Target != "system ABC" ||
				rows[2].Action != "system.delete" || rows[2].Target != "system ABC" || rows[2].Actor != "admin" {
				t.Errorf("system create and delete recorded as %+v", rows[1:])
			}

			// GET /api/v1/audit: admin scope only, with the page's filters.
			if code, _ := apiCall(t, a, act, http.MethodGet, "/api/v1/audit", ""); code != http.StatusForbidden {
				t.Errorf("audit API with an act:alerts token: %d", code)
			}
			admin, err := a.s.App.Auth.CreateToken(ctx, "auditor", auth.ScopeAdmin)
			if err != nil {
				t.Fatal(err)
			}
			code, m := apiCall(t, a, admin, http.MethodGet, "/api/v1/audit?kind=phone", "")
			es, _ := m["entries"].([]any)
			if code != 200 || len(es) != 1 {
				t.Fatalf("audit API kind=phone: %d %v", code, m)
			}
			if e := es[0].(map[string]any); e["actor"] != "Sato" || e["action"] != "alert.acknowledge" || e["kind"] != "phone" || e["target"] != fmt.Sprintf("alert #%d (XYZ)", phoned) {
				t.Errorf("audit API entry %v", e)
			}
			code, m = apiCall(t, a, admin, http.MethodGet, "/api/v1/audit?action=alert&limit=2", "")
			es, _ = m["entries"].([]any)
			if code != 200 || len(es) != 2 || es[0].(map[string]any)["actor"] != "zhang" || es[1].(map[string]any)["action"] != "alert.resolve" || m["next_before"] == nil {
				t.Fatalf("audit API action=alert limit=2: %d %v", code, m)
			}
			code, m = apiCall(t, a, admin, http.MethodGet, fmt.Sprintf("/api/v1/audit?action=alert&before=%d", int64(m["next_before"].(float64))), "")
			if es, _ := m["entries"].([]any); code != 200 || len(es) != 2 || es[0].(map[string]any)["actor"] != "admin" || es[1].(map[string]any)["actor"] != "Sato" {
				t.Fatalf("audit API second page: %d %v", code, m)
			}
			for q, field := range map[string]string{"kind=robot": "kind", "from=yesterday": "from", "limit=0": "limit", "before=x": "before"} {
				if code, m := apiCall(t, a, admin, http.MethodGet, "/api/v1/audit?"+q, ""); code != 400 || m["field"] != field {
					t.Errorf("audit API ?%s: %d %v", q, code, m)
				}
			}

			// The console page, as the admin.
			code, body := b.get("/audit?kind=user")
			if code != 200 {
				t.Fatalf("/audit: %d", code)
			}
			wantContains(t, "/audit?kind=user", body, "quiet.start", "system.update", fmt.Sprintf("alert #%d (XYZ)", consoleAcked), `href="/audit" aria-current="page"`)
			if strings.Contains(body, ">Sato<") {
				t.Error("/audit?kind=user shows the phone's entry")
			}

			// Key 2 on a call: the system goes quiet, as the callee's doing.
			// (The call list is Suzuki's alone now.)
			a.cn.Script(suzukiPhone, fake.Answer("2"))
			quieted := a.open("audit-key2")
			var contactID string
			deadline := time.Now().Add(15 * time.Second)
			for contactID == "" && time.Now().Before(deadline) {
				for _, c := range a.cn.Calls() {
					if c.Number == suzukiPhone && c.Attributes["host"] == "audit-key2" {
						contactID = c.ContactID
					}
				}
				time.Sleep(10 * time.Millisecond)
			}
			if contactID == "" {
				t.Fatal("no call to Suzuki for the alert")
			}
			a.clk.Advance(45 * time.Second)
			if code, m := postEventsRaw(t, a.s.URL, a.tok, contactEvent(t, contactID)); code != 202 {
				t.Fatalf("contact event: %d %v", code, m)
			}
			a.waitStatus(quieted, alerts.StatusQuiet)
			if r := waitAudit(t, a, "quiet.start", 2)[1]; r.Actor != "Suzuki" || r.Kind != audit.KindPhone || r.Target != "system XYZ" ||
				!strings.HasPrefix(r.Detail, fmt.Sprintf("key 2 on alert #%d (XYZ): quiet period #", quieted)) {
				t.Errorf("key 2 recorded as %+v", r)
			}
		})
	}
}

// loginAdmin logs the first user into the console.
func loginAdmin(t *testing.T, a *alertsApp) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: a.s.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	b.get("/login")
	if code, _, body := b.post("/login", url.Values{"name": {"admin"}, "password": {a.s.Password}}); code != http.StatusSeeOther {
		t.Fatalf("login: %d %s", code, body)
	}
	b.get("/")
	return b
}

// apiCall makes an API request with a bearer token and decodes the JSON
// answer.
func apiCall(t *testing.T, a *alertsApp, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = bytes.NewReader([]byte(body))
	}
	req, _ := http.NewRequest(method, a.s.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}
