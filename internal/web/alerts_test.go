package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/events"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// alertsEnv is the console with the alerts service on the same store and
// clock, phoning a fake Amazon Connect. The test runs the escalation
// engine itself (run).
type alertsEnv struct {
	*env
	svc *alerts.Service
	cn  *fake.Connect
}

func newAlertsEnv(t *testing.T, st *store.Store, yaml string, opts ...func(*Handler)) *alertsEnv {
	t.Helper()
	a := &alertsEnv{}
	a.env = newEnv(t, st, yaml, append([]func(*Handler){func(h *Handler) {
		a.cn = fake.NewConnect(t, fake.WithClock(h.now))
		client, err := connect.New(context.Background(), connect.Config{
			InstanceID: a.cn.InstanceID(), ContactFlowID: a.cn.ContactFlowID(), SourcePhone: a.cn.SourcePhone(),
			Region: a.cn.Region(), Endpoint: a.cn.URL(), RatePerSecond: 1000, Burst: 1000,
		}, connect.WithCredentials(a.cn.Credentials()), connect.WithRetryBackoff(func(int) time.Duration { return 0 }))
		if err != nil {
			t.Fatal(err)
		}
		a.svc = alerts.New(st, alerts.Options{Caller: client, Now: h.now, PollInterval: 30 * time.Second})
		a.svc.SetQueue(h.queue)
		h.alerts = a.svc
		h.panels = append(h.alertPanels(), h.panels...)
	}}, opts...)...)
	return a
}

func (a *alertsEnv) ingest(via string, sigs ...parse.Signal) []alerts.Result {
	a.t.Helper()
	res, err := a.svc.Ingest(context.Background(), sigs, via)
	if err != nil {
		a.t.Fatal(err)
	}
	return res
}

func (a *alertsEnv) run() {
	a.t.Helper()
	if err := a.svc.RunDue(context.Background(), true); err != nil {
		a.t.Fatal(err)
	}
}

// firing is an alert of system with no severity given.
func firing(system, key string) parse.Signal {
	return parse.Signal{Source: parse.SourceNative, System: system, DedupKey: key, Status: parse.StatusFiring,
		Summary: "Disk full on " + key, Host: key, Service: "disk", Labels: map[string]string{}}
}

// TestAlertPage (point 14): the alert page in time order, with plurals,
// the server's time zone, "unspecified" for an alert without severity,
// the source apart from the token it came with, call positions from 1,
// and the reason the escalation gave up in the page's language with a
// link to create the missing call list.
func TestAlertPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		jst := time.FixedZone("JST", 9*3600)
		a := newAlertsEnv(t, st, testConfig, func(h *Handler) { h.loc = jst })
		a.addUser("alice", auth.RoleAdmin)
		a.addUser("victor", auth.RoleViewer)
		ctx := context.Background()

		// XYZ has no call list: the escalation gives up at once.
		id := a.ingest("zabbix", firing("XYZ", "db1"))[0].AlertID
		a.run()
		a.clock.Advance(time.Minute)
		if res := a.ingest("zabbix", firing("XYZ", "db1")); res[0].Action != "repeated" {
			t.Fatalf("second signal: %+v", res)
		}
		a.clock.Advance(time.Minute)
		if _, _, err := a.svc.Ack(ctx, id, "alice", "console"); err != nil {
			t.Fatal(err)
		}
		al, err := a.svc.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}

		b := a.browser("")
		b.login("alice")
		r := b.get("/alerts/" + itoa(id) + "?lang=en")
		r.want(t, http.StatusOK,
			`<span class="sev sev-unspecified">unspecified</span>`,
			"<dt>Source</dt><dd>native API</dd>", "<dt>Received with</dt><dd>integration token zabbix</dd>",
			"repeated once", "No call list for system XYZ: nobody was called.", `href="/alerts/systems/new?name=XYZ"`, "Create the call list of XYZ",
			al.ReceivedAt.In(jst).Format("2006-01-02 15:04:05")+" JST")
		r.wantNot(t, "critical", "native (zabbix)", "repeated 1 times", "no call list for system")
		// Time order: received, gave up, the repeat a minute later, then
		// the acknowledgement.
		kinds := regexp.MustCompile(`<li class="row kind-([a-z_]+)">`).FindAllStringSubmatch(r.body, -1)
		var order []string
		for _, k := range kinds {
			order = append(order, k[1])
		}
		if strings.Join(order, ",") != "received,gave_up,repeat,ack" {
			t.Errorf("timeline order %v, want received, gave_up, repeat, ack", order)
		}
		r = b.get("/alerts/" + itoa(id) + "?lang=ja")
		r.want(t, http.StatusOK, "未指定", "1 回再通知", "システム XYZ の呼び出しリストがないため", "XYZ の呼び出しリストを作成", "連携トークン zabbix")
		r.wantNot(t, "No call list for system")
		b.get("/alerts/"+itoa(id)+"?lang=zh").want(t, http.StatusOK, "系统 XYZ 没有呼叫名单", "重复 1 次")
		b.get("/alerts/"+itoa(id)+"?lang=ko").want(t, http.StatusOK, "시스템 XYZ의 호출 목록이 없어", "1회 반복")
		// The link opens the editor with the name filled in.
		b.get("/alerts/systems/new?name=XYZ&lang=en").want(t, http.StatusOK, `id="name" name="name" value="XYZ"`)
		// A viewer gets the reason, not the link to a form they cannot use.
		v := a.browser("")
		v.login("victor")
		r = v.get("/alerts/" + itoa(id) + "?lang=en")
		r.want(t, http.StatusOK, "No call list for system XYZ")
		r.wantNot(t, "/alerts/systems/new?name=XYZ")

		// A system with a call list: the call is on the list's first
		// place, and the calls table says 1 as the timeline does.
		if err := a.svc.SaveSystem(ctx, alerts.System{Name: "Billing", Rounds: 1, Contacts: []alerts.Contact{{Name: "Sato", Phone: "+819011110001"}}},
			"alice", alerts.OriginConsole, nil); err != nil {
			t.Fatal(err)
		}
		sig := firing("Billing", "api1")
		sig.Severity = parse.SeverityWarning
		called := a.ingest("sns:arn:aws:sns:ap-northeast-1:123456789012:alarms", sig)[0].AlertID
		a.run()
		a.cn.WaitForCalls(t, 1, 10*time.Second)
		calls, err := a.svc.Calls(ctx, called)
		if err != nil || len(calls) != 1 || calls[0].Position != 0 {
			t.Fatalf("calls: %+v %v", calls, err)
		}
		r = b.get("/alerts/" + itoa(called) + "?lang=en")
		r.want(t, http.StatusOK, `<td>1·1</td>`, "round 1, #1 on the list", `<span class="sev sev-high">warning</span>`,
			"SNS subscription of arn:aws:sns:ap-northeast-1:123456789012:alarms")
		r.wantNot(t, `<td>1·0</td>`)

		// The list: tabs count without red zeros.
		r = b.get("/alerts?lang=en")
		tabs := regexp.MustCompile(`(?s)<nav class="badges alert-tabs".*?</nav>`).FindString(r.body)
		if strings.Contains(tabs, ">0<") {
			t.Errorf("a tab shows a zero count:\n%s", tabs)
		}
		if !strings.Contains(tabs, `Open <span class="count">1</span>`) {
			t.Errorf("the open alert's tab count is not red:\n%s", tabs)
		}
		if !strings.Contains(tabs, `Acknowledged <span class="tab-count">1</span>`) {
			t.Errorf("the acknowledged tab's count is not grey:\n%s", tabs)
		}
		r.want(t, http.StatusOK, "native API · repeated once")
		// Home: one alert needs someone.
		b.get("/?lang=en").want(t, http.StatusOK, "1 alert open or not acknowledged")
	})
}

// TestAlertsEmptyAndQuiet (point 15): the empty alert list shows the real
// address in its example; the quiet-periods page, with no call list yet,
// says to create one first instead of promising a form.
func TestAlertsEmptyAndQuiet(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAlertsEnv(t, st, "")
		a.addUser("alice", auth.RoleAdmin)
		a.addUser("victor", auth.RoleViewer)
		b := a.browser("")
		b.login("alice")
		r := b.get("/alerts?lang=en")
		r.want(t, http.StatusOK, "curl -X POST "+a.srv.URL+"/api/v1/alerts")
		r.wantNot(t, "OPSDESK/", `class="count"`, `class="tab-count"`)

		r = b.get("/alerts/quiet?lang=en")
		r.want(t, http.StatusOK, `id="quiet-needs-list"`, "there is no call list yet", `href="/alerts/systems/new"`)
		r.wantNot(t, `action="/alerts/quiet"`, "you can also start")
		v := a.browser("")
		v.login("victor")
		v.get("/alerts/quiet?lang=en").wantNot(t, "quiet-needs-list", `action="/alerts/quiet"`)

		if err := a.svc.SaveSystem(context.Background(), alerts.System{Name: "XYZ", Rounds: 1}, "alice", alerts.OriginConsole, nil); err != nil {
			t.Fatal(err)
		}
		r = b.get("/alerts/quiet?lang=en")
		r.want(t, http.StatusOK, `action="/alerts/quiet"`, "Start a quiet period", `<option value="XYZ">XYZ</option>`)
		r.wantNot(t, "quiet-needs-list")
	})
	t.Run("base_url", func(t *testing.T) {
		t.Parallel()
		st := storetest.New(t, store.SQLite)
		a := newAlertsEnv(t, st, "base_url: https://desk.example.com/\n")
		a.addUser("alice", auth.RoleAdmin)
		b := a.browser("")
		b.login("alice")
		b.get("/alerts").want(t, http.StatusOK, "curl -X POST https://desk.example.com/api/v1/alerts")
		b.get("/chat").want(t, http.StatusOK, "https://desk.example.com/hooks/dingtalk")
	})
}

// TestEventsEmptyBaseURL (point 15): the empty event list's sample
// command sends to this console, not to a made-up address.
func TestEventsEmptyBaseURL(t *testing.T) {
	t.Parallel()
	st := storetest.New(t, store.SQLite)
	for _, tc := range []struct{ yaml, want string }{
		{"", "--url %s --token"},
		{"base_url: https://desk.example.com\n", "--url https://desk.example.com --token"},
	} {
		var svc *events.Service
		e := newEnv(t, st, tc.yaml, withEvents(st, &svc))
		user := "u" + itoa(int64(len(tc.yaml)))
		e.addUser(user, auth.RoleAdmin)
		b := e.browser("")
		b.login(user)
		want := tc.want
		if strings.Contains(want, "%s") {
			want = strings.Replace(want, "%s", e.srv.URL, 1)
		}
		r := b.get("/events?lang=en")
		r.want(t, http.StatusOK, want)
		r.wantNot(t, "127.0.0.1:8080")
	}
}
