package web

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/oncall"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// esc writes s as html/template does ("+" as &#43;).
func esc(s string) string { return strings.ReplaceAll(s, "+", "&#43;") }

// stubDirectory: lee is on call in "platform", reached by a call at once
// and an SMS two minutes later; kim by e-mail.
type stubDirectory struct{}

func (stubDirectory) OnCallAt(_ context.Context, schedule string, _ time.Time) (string, error) {
	if schedule == "platform" {
		return "lee", nil
	}
	return "", nil
}

func (stubDirectory) Plan(_ context.Context, user, _ string) ([]alerts.Planned, error) {
	switch user {
	case "lee":
		return []alerts.Planned{{Kind: "voice", Address: "+819012345678", Label: "mobile"}, {Kind: "sms", Address: "+819012345678", Label: "mobile", Delay: 2 * time.Minute}}, nil
	case "kim":
		return []alerts.Planned{{Kind: "email", Address: "kim@example.com", Delay: time.Minute}}, nil
	}
	return nil, nil
}

// TestPolicyPages: the empty list explains the YAML and the form; an
// admin builds a policy step by step (add, remove, save) with errors on
// the right row; the policy page previews who is notified how and when;
// a system's routes are edited on their own page, kept when the call
// list is edited, and previewed; a policy in use is not deleted; viewers
// read only; every page in four languages.
func TestPolicyPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAlertsEnv(t, st, testConfig, func(h *Handler) { h.dir = stubDirectory{} })
		a.addUser("alice", auth.RoleAdmin)
		a.addUser("victor", auth.RoleViewer)
		ctx := context.Background()
		b := a.browser("")
		b.login("alice")
		csrf := b.csrf()

		r := b.get("/policies?lang=en")
		r.want(t, http.StatusOK, `id="policies-empty"`, "No escalation policy yet.", "oncall:\n  policies:", `href="/policies/new"`, `aria-current="page">Policies</a>`)
		for lang, want := range map[string]string{"ja": "エスカレーションポリシーはまだありません", "zh": "还没有升级策略", "ko": "에스컬레이션 정책이 아직 없습니다"} {
			b.get("/policies?lang="+lang).want(t, http.StatusOK, want)
		}
		b.get("/policies/new?lang=en").want(t, http.StatusOK, `name="s0.targets"`, `value="5m"`)

		// Add a step: the form comes back with what was typed and a
		// second row; nothing is saved.
		form := url.Values{"csrf": {csrf}, "new": {"1"}, "name": {"platform"}, "description": {"Platform team"}, "rounds": {"2"},
			"s0.targets": {"chat:teams\nschedule:platform"}, "s0.after": {"5m"}, "s0.reescalate": {""}, "op": {"add"}}
		r = b.post("/policies?lang=en", form)
		r.want(t, http.StatusOK, `name="s1.targets"`, "chat:teams\nschedule:platform", "Remove step 2")
		if _, err := a.svc.Policy(ctx, "platform"); err == nil {
			t.Fatal("adding a step saved the policy")
		}
		// A bad target on the third row, after a blank second row: the
		// error is on the third row.
		form.Set("op", "save")
		form.Set("s1.targets", "")
		form.Set("s1.after", "5m")
		form.Set("s2.targets", "user:kim\npager:x")
		form.Set("s2.after", "10m")
		form.Set("s2.reescalate", "30m")
		r = b.post("/policies?lang=en", form)
		r.want(t, http.StatusUnprocessableEntity, `is not a target type`, `id="s2-targets" name="s2.targets" rows="3" class="mono" spellcheck="false" placeholder="user:sato&#10;schedule:platform&#10;chat:ops" aria-invalid="true"`)
		form.Set("s2.targets", "user:kim\nuser:kim")
		b.post("/policies?lang=en", form).want(t, http.StatusUnprocessableEntity, "user:kim is listed twice")
		form.Set("s2.targets", "user:kim")
		form.Set("s2.after", "soon")
		b.post("/policies?lang=en", form).want(t, http.StatusUnprocessableEntity, `id="s2-after" name="s2.after" value="soon" maxlength="20" aria-invalid="true"`)
		// Remove the blank row, then save.
		form.Set("s2.after", "10m")
		form.Set("op", "remove-1")
		r = b.post("/policies?lang=en", form)
		r.want(t, http.StatusOK, `name="s1.targets"`, ">user:kim</textarea>")
		r.wantNot(t, `name="s2.targets"`)
		form = url.Values{"csrf": {csrf}, "new": {"1"}, "name": {"platform"}, "description": {"Platform team"}, "rounds": {"2"},
			"s0.targets": {"chat:teams\nschedule:platform"}, "s0.after": {"5m"}, "s0.reescalate": {""},
			"s1.targets": {"user:kim\nuser:nomethods\nschedule:empty"}, "s1.after": {"10m"}, "s1.reescalate": {"30m"}, "op": {"save"}}
		r = b.post("/policies", form)
		if r.status != http.StatusSeeOther || r.loc != "/policies/platform?done=saved" {
			t.Fatalf("save: %d %s\n%s", r.status, r.loc, r.body)
		}
		pol, err := a.svc.Policy(ctx, "platform")
		if err != nil || pol.Origin != alerts.OriginConsole || pol.UpdatedBy != "alice" || pol.Rounds != 2 || len(pol.Steps) != 2 ||
			pol.Steps[1].Reescalate != 30*time.Minute || !reflect.DeepEqual(pol.Steps[0].Targets, []alerts.Target{{Type: "chat", Name: "teams"}, {Type: "schedule", Name: "platform"}}) {
			t.Fatalf("saved policy: %+v %v", pol, err)
		}
		// A second "new" policy of the same name is refused.
		b.post("/policies?lang=en", form).want(t, http.StatusUnprocessableEntity, "A policy named platform exists already.")

		// The policy page and its preview (the policy itself).
		r = b.get("/policies/platform?lang=en&done=saved")
		r.want(t, http.StatusOK, "Policy saved.", "If an alert came now", "Policy platform, for an alert of severity critical.",
			esc("Step 1 at +0s, then wait 5m"), "<code>schedule:platform</code> → lee", esc("+0s call → +819••••••678 (mobile)"), esc("+2m SMS → +819••••••678 (mobile)"),
			esc("+0s chat post → teams"), esc("Step 2 at +5m, then wait 10m · re-escalate if acknowledged but not resolved after 30m"),
			esc("+6m e-mail → k•••@example.com"), "<code>user:nomethods</code> → nomethods — <span class=\"err\">no verified contact methods</span>",
			"<code>schedule:empty</code> — <span class=\"err\">nobody on call</span>", esc("2 rounds in all; the next round starts at +15m."),
			"No system routes to it yet.")
		r.wantNot(t, esc("+819012345678"))

		// A system, its routes.
		if err := a.svc.SaveSystem(ctx, alerts.System{Name: "XYZ", Rounds: 3, Wait: time.Minute, Contacts: []alerts.Contact{{Name: "Sato", Phone: "+819011110001"}, {Name: "Suzuki", Phone: "+819022220002"}}},
			"alice", alerts.OriginConsole, nil); err != nil {
			t.Fatal(err)
		}
		r = b.get("/alerts/systems/XYZ/routes?lang=en")
		r.want(t, http.StatusOK, "Routes of XYZ", `name="r0.policy"`, `<option value="platform">platform</option>`, "record only (notify nobody)",
			"No route matches: the call list of XYZ.", esc("+819••••••001"))
		r.wantNot(t, `name="r1.policy"`, esc("+819011110001"))
		b.get("/alerts/systems/XYZ?lang=en").want(t, http.StatusOK, `href="/alerts/systems/XYZ/routes"`)
		b.get("/alerts/systems?lang=en").want(t, http.StatusOK, `<a href="/alerts/systems/XYZ/routes">0 routes</a>`)
		rf := url.Values{"csrf": {csrf}, "r0.sev": {"critical"}, "r0.hours": {"someday"}, "r0.policy": {"platform"}, "r1.hours": {""}, "r1.policy": {""}, "op": {"save"}}
		b.post("/alerts/systems/XYZ/routes?lang=en", rf).want(t, http.StatusUnprocessableEntity, `name="r0.hours" value="someday" maxlength="200" placeholder="Mon-Fri 09:00-18:00" aria-label="Hours" aria-invalid="true"`)
		rf.Set("op", "add")
		b.post("/alerts/systems/XYZ/routes?lang=en", rf).want(t, http.StatusOK, `name="r2.policy"`)
		rf = url.Values{"csrf": {csrf}, "r0.sev": {"critical"}, "r0.hours": {""}, "r0.policy": {"platform"},
			"r1.sev": {"info", "unspecified"}, "r1.hours": {""}, "r1.policy": {"(record-only)"}, "r2.hours": {""}, "r2.policy": {""}, "op": {"save"}}
		r = b.post("/alerts/systems/XYZ/routes", rf)
		if r.status != http.StatusSeeOther || r.loc != "/alerts/systems/XYZ/routes?done=routes_saved" {
			t.Fatalf("save routes: %d %s\n%s", r.status, r.loc, r.body)
		}
		want := []alerts.Route{{Severities: []string{"critical"}, Policy: "platform"}, {Severities: []string{"info", "unspecified"}, RecordOnly: true}}
		if sys, err := a.svc.System(ctx, "XYZ"); err != nil || !reflect.DeepEqual(sys.Routes, want) {
			t.Fatalf("routes: %+v %v", sys, err)
		}
		b.get("/alerts/systems/XYZ/routes?lang=en&done=routes_saved&severity=info").want(t, http.StatusOK, "Routes saved.",
			"Route 2 matches (info, unspecified): record only, nobody is notified.", `<option value="(record-only)" selected>`)
		b.get("/alerts/systems/XYZ/routes?lang=en&severity=warning").want(t, http.StatusOK, "No route matches: the call list of XYZ.",
			"Called one after the other until someone acknowledges, 3 rounds, waiting 1m between calls.")
		b.get("/policies/platform?lang=en&system=XYZ&severity=critical").want(t, http.StatusOK,
			"Route 1 matches (critical): policy platform.", "Routed to by: <a href=\"/alerts/systems/XYZ/routes\">XYZ</a>")

		// Editing the call list keeps the routes.
		cf := url.Values{"csrf": {csrf}, "name": {"XYZ"}, "rounds": {"3"}, "wait": {"1m"}, "quiet": {"1h30m"},
			"c0.order": {"1"}, "c0.name": {"Sato"}, "c0.phone": {"+819011110001"}, "c0.language": {""}, "c0.hours": {""}}
		if r := b.post("/alerts/systems", cf); r.status != http.StatusSeeOther {
			t.Fatalf("save call list: %d\n%s", r.status, r.body)
		}
		if sys, err := a.svc.System(ctx, "XYZ"); err != nil || !reflect.DeepEqual(sys.Routes, want) || len(sys.Contacts) != 1 {
			t.Fatalf("after editing the call list: %+v %v", sys, err)
		}
		b.get("/alerts/systems/XYZ?lang=en").want(t, http.StatusOK, `name="quiet" value="1h30m"`)

		// The list.
		r = b.get("/policies?lang=en")
		r.want(t, http.StatusOK, `id="policy-platform"`, "chat:teams, schedule:platform, then wait 5m", "Routed to by: <a href=\"/alerts/systems/XYZ/routes\">XYZ</a>",
			"edited in the console", `<a href="/alerts/systems/XYZ/routes">2 routes</a>`, "Sato</td>")
		r.wantNot(t, "policies-empty")

		// In use: not deleted.
		r = b.post("/policies/platform/delete?lang=en", url.Values{"csrf": {csrf}})
		r.want(t, http.StatusConflict, "This policy is used by the routes of XYZ: change those routes first.")
		if _, err := a.svc.Policy(ctx, "platform"); err != nil {
			t.Fatal(err)
		}

		// A viewer reads, and cannot change anything.
		v := a.browser("")
		v.login("victor")
		r = v.get("/policies/platform?lang=en")
		r.want(t, http.StatusOK, "If an alert came now", "readonly>chat:teams")
		r.wantNot(t, `/policies/platform/delete`, `value="add"`, `value="save"`)
		v.get("/alerts/systems/XYZ/routes?lang=en").wantNot(t, `value="save"`, `value="remove-0"`, `id="no-routes"`)
		v.get("/policies/new").want(t, http.StatusForbidden)
		vcsrf := v.csrf()
		v.post("/policies", url.Values{"csrf": {vcsrf}, "name": {"x"}, "s0.targets": {"user:a"}}).want(t, http.StatusForbidden)
		v.post("/alerts/systems/XYZ/routes", url.Values{"csrf": {vcsrf}}).want(t, http.StatusForbidden)
		v.post("/policies/platform/delete", url.Values{"csrf": {vcsrf}}).want(t, http.StatusForbidden)

		// Four languages.
		for _, c := range []struct{ lang, policy, routes string }{
			{"ja", "今アラートが来たら", "XYZ のルート"},
			{"zh", "如果现在来了告警", "XYZ 的路由"},
			{"ko", "지금 알림이 온다면", "XYZ의 라우트"},
		} {
			b.get("/policies/platform?lang="+c.lang).want(t, http.StatusOK, c.policy)
			b.get("/alerts/systems/XYZ/routes?lang="+c.lang).want(t, http.StatusOK, c.routes)
		}

		// Without routes to it, the policy goes.
		rf = url.Values{"csrf": {csrf}, "r0.hours": {""}, "r0.policy": {""}, "op": {"save"}}
		if r := b.post("/alerts/systems/XYZ/routes", rf); r.status != http.StatusSeeOther {
			t.Fatalf("clear routes: %d\n%s", r.status, r.body)
		}
		r = b.post("/policies/platform/delete", url.Values{"csrf": {csrf}})
		if r.status != http.StatusSeeOther || r.loc != "/policies?done=deleted" {
			t.Fatalf("delete: %d %s\n%s", r.status, r.loc, r.body)
		}
		b.get("/policies/platform").want(t, http.StatusNotFound)
		v.get("/alerts/systems/XYZ/routes?lang=en").want(t, http.StatusOK, `id="no-routes"`, "No routes: every alert of this system goes to its call list.")
	})
}

// TestPolicyPreviewConfigSchedules: without a directory, the preview
// reads who is on call from the config's schedules and knows nobody's
// contact methods.
func TestPolicyPreviewConfigSchedules(t *testing.T) {
	t.Parallel()
	st := storetest.New(t, store.SQLite)
	a := newAlertsEnv(t, st, `
oncall:
  schedules:
    - name: platform
      time_zone: UTC
      layers:
        - {name: all, participants: [lee], shift: 1w, hand_off: "2026-01-05 09:00"}
`)
	a.addUser("alice", auth.RoleAdmin)
	a.clock.mu.Lock()
	a.clock.t = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	a.clock.mu.Unlock()
	ctx := context.Background()
	if err := a.svc.SavePolicy(ctx, alerts.Policy{Name: "p", Steps: []alerts.PolicyStep{{After: 5 * time.Minute, Targets: []alerts.Target{{Type: "schedule", Name: "platform"}, {Type: "schedule", Name: "gone"}}}}}, "alice", alerts.OriginConsole, nil); err != nil {
		t.Fatal(err)
	}
	b := a.browser("")
	b.login("alice")
	r := b.get("/policies/p?lang=en")
	r.want(t, http.StatusOK, "<code>schedule:platform</code> → lee", "no verified contact methods", esc("3 rounds in all; the next round starts at +5m."),
		"<code>schedule:gone</code> — <span class=\"err\">no schedule is named gone</span>")
	if strings.Contains(r.body, "nobody on call") {
		t.Error("the config's schedule was not read")
	}
}

// FuzzPolicyFormField: any field the service names maps onto the form
// without a panic: a step's field onto a row that was filled in.
func FuzzPolicyFormField(f *testing.F) {
	for _, s := range []string{"steps[1].targets[0]", "steps[0].after", "steps", "steps[9]", "steps[-1].x", "rounds", "steps[1", "steps[]"} {
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, field string, n uint8) {
		rows := make([]int, n%30)
		for i := range rows {
			rows[i] = 2 * i
		}
		got := policyFormField(field, rows)
		if !strings.HasPrefix(field, "steps[") {
			if got != field {
				t.Fatalf("%q became %q", field, got)
			}
			return
		}
		if got == "steps" {
			return
		}
		row, sub, ok := strings.Cut(strings.TrimPrefix(got, "s"), ".")
		i, err := strconv.Atoi(row)
		if !strings.HasPrefix(got, "s") || !ok || err != nil || i%2 != 0 || i/2 >= len(rows) || sub == "" || strings.ContainsAny(sub, "[]") {
			t.Fatalf("%q with %d rows became %q", field, len(rows), got)
		}
	})
}

// TestPolicyPreviewStoredSchedules: with the schedule service, the
// preview reads the schedules stored in the database.
func TestPolicyPreviewStoredSchedules(t *testing.T) {
	t.Parallel()
	st := storetest.New(t, store.SQLite)
	var svc *oncall.Service
	a := newAlertsEnv(t, st, "", func(h *Handler) {
		svc = oncall.New(st, oncall.Options{Now: h.now})
		h.oncall = svc
	})
	a.addUser("alice", auth.RoleAdmin)
	a.clock.mu.Lock()
	a.clock.t = time.Date(2026, 2, 24, 3, 0, 0, 0, time.UTC) // Tuesday 12:00 in Tokyo: suzuki's week
	a.clock.mu.Unlock()
	ctx := context.Background()
	if err := svc.SaveSchedule(ctx, tokyoRotation(t), "alice"); err != nil {
		t.Fatal(err)
	}
	if err := a.svc.SavePolicy(ctx, alerts.Policy{Name: "p", Steps: []alerts.PolicyStep{{Targets: []alerts.Target{{Type: "schedule", Name: "platform"}, {Type: "schedule", Name: "gone"}}}}}, "alice", alerts.OriginConsole, nil); err != nil {
		t.Fatal(err)
	}
	b := a.browser("")
	b.login("alice")
	b.get("/policies/p?lang=en").want(t, http.StatusOK, "<code>schedule:platform</code> → suzuki", "no schedule is named gone")
}
