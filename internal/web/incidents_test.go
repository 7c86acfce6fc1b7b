package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestIncidentPages: grouped alerts show as one incident in the list and
// on its page (its alerts, the leader, the joint timeline in the page's
// language); the alert page links the incident; a writer acknowledges and
// resolves it from the page, a viewer sees no buttons and is refused.
func TestIncidentPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var svc *alerts.Service
		e := newEnv(t, st, testConfig, func(h *Handler) {
			svc = alerts.New(st, alerts.Options{Now: h.now, Grouping: map[string]alerts.Grouping{"XYZ": {By: []string{"groupKey"}}}})
			svc.SetQueue(h.queue)
			h.alerts = svc
		})
		e.addUser("alice", auth.RoleAdmin)
		e.addUser("victor", auth.RoleViewer)
		ctx := context.Background()
		var ids []int64
		for _, key := range []string{"db1", "db2", "db3"} {
			s := firing("XYZ", key)
			s.GroupKey = "{}:{alertname=\"DiskFull\"}"
			res, err := svc.Ingest(ctx, []parse.Signal{s}, "alertmanager")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, res[0].AlertID)
		}
		a, err := svc.Get(ctx, ids[1])
		if err != nil || a.IncidentID == 0 {
			t.Fatalf("alert %+v %v", a, err)
		}
		inc := itoa(a.IncidentID)

		b := e.browser("")
		b.login("alice")
		b.get("/incidents?lang=en").want(t, http.StatusOK, `href="/incidents/`+inc+`"`, "Disk full on db1", "Alerts: 3 (3 not resolved)")
		b.get("/alerts/"+itoa(ids[1])+"?lang=en").want(t, http.StatusOK, `href="/incidents/`+inc+`"`, "Incident #"+inc,
			"Joined incident #"+inc+": alert #"+itoa(ids[0])+" escalates for it")
		r := b.get("/incidents/" + inc + "?lang=ja")
		r.want(t, http.StatusOK, "インシデント #"+inc, `href="/alerts/`+itoa(ids[0])+`"`, `href="/alerts/`+itoa(ids[2])+`"`,
			"エスカレーション中のアラート", `action="/incidents/`+inc+`/ack"`, `action="/incidents/`+inc+`/resolve"`,
			"インシデント #"+inc+" に加わりました")
		csrf := b.csrf()
		r = b.post("/incidents/"+inc+"/ack", url.Values{"csrf": {csrf}})
		if r.status != http.StatusSeeOther || r.loc != "/incidents/"+inc+"?done=acked" {
			t.Fatalf("ack: %d %s", r.status, r.loc)
		}
		for _, id := range ids {
			if a, _ := svc.Get(ctx, id); a.Status != alerts.StatusAcknowledged || a.AckedBy != "alice (console)" {
				t.Errorf("alert %d: %s by %q", id, a.Status, a.AckedBy)
			}
		}
		b.get("/incidents/"+inc+"?done=acked&lang=en").want(t, http.StatusOK, "Incident acknowledged", "acknowledged")

		v := e.browser("")
		v.login("victor")
		vr := v.get("/incidents/" + inc + "?lang=en")
		vr.want(t, http.StatusOK, "Incident #"+inc)
		vr.wantNot(t, `action="/incidents/`+inc+`/resolve"`)
		if r := v.post("/incidents/"+inc+"/resolve", url.Values{"csrf": {v.csrf()}}); r.status != http.StatusForbidden {
			t.Errorf("viewer resolves: %d", r.status)
		}

		r = b.post("/incidents/"+inc+"/resolve", url.Values{"csrf": {csrf}})
		if r.status != http.StatusSeeOther || r.loc != "/incidents/"+inc+"?done=resolved" {
			t.Fatalf("resolve: %d %s", r.status, r.loc)
		}
		in, err := svc.Incident(ctx, a.IncidentID)
		if err != nil || in.Status != alerts.IncidentResolved || in.OpenAlerts != 0 {
			t.Fatalf("incident %+v %v", in, err)
		}
		b.get("/incidents?status=resolved&lang=ko").want(t, http.StatusOK, "인시던트", `href="/incidents/`+inc+`"`)
		b.get("/incidents/999999").want(t, http.StatusNotFound)
	})
}
