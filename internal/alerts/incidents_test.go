package alerts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// groupedEnv is an env whose system XYZ groups alerts as g says.
func groupedEnv(t *testing.T, st *store.Store, g alerts.Grouping) *env {
	t.Helper()
	e := newEnv(t, st, envOpt{opts: func(o *alerts.Options) {
		o.Grouping = map[string]alerts.Grouping{"XYZ": g}
	}})
	e.system("XYZ", 1, nil, alerts.Contact{Name: "Sato", Phone: sato})
	return e
}

// labelled is a firing alert of XYZ with labels.
func labelled(key string, labels ...string) parse.Signal {
	s := firing("XYZ", key)
	for i := 0; i+1 < len(labels); i += 2 {
		s.Labels[labels[i]] = labels[i+1]
	}
	return s
}

func (e *env) incidents() []*alerts.Incident {
	e.t.Helper()
	list, err := e.svc.Incidents(e.ctx, alerts.IncidentFilter{Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

func (e *env) incident(id int64) *alerts.Incident {
	e.t.Helper()
	in, err := e.svc.Incident(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return in
}

// escalations counts the alerts being escalated.
func (e *env) escalations() int {
	e.t.Helper()
	var n int
	if err := e.st.R.QueryRow(`SELECT count(*) FROM alert_escalations`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// ingestAtOnce ingests each signal in its own request, all at once.
func ingestAtOnce(t *testing.T, svcs []*alerts.Service, sigs []parse.Signal) []int64 {
	t.Helper()
	ids := make([]int64, len(sigs))
	errs := make([]error, len(sigs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range sigs {
		wg.Go(func() {
			<-start
			res, err := svcs[i%len(svcs)].Ingest(context.Background(), sigs[i:i+1], "test")
			if err == nil && (len(res) != 1 || res[0].Action != alerts.ActionOpened || res[0].IncidentID == 0) {
				err = fmt.Errorf("result %+v", res)
			}
			if err == nil {
				ids[i] = res[0].AlertID
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("signal %d: %v", i, err)
		}
	}
	return ids
}

// checkOneIncident: the alerts form one incident whose leader alone
// escalated, with one call placed.
func checkOneIncident(t *testing.T, e *env, ids []int64) *alerts.Incident {
	t.Helper()
	list := e.incidents()
	if len(list) != 1 {
		t.Fatalf("%d incidents, want 1", len(list))
	}
	in := list[0]
	if in.Alerts != len(ids) || in.OpenAlerts != len(ids) || in.Status != alerts.IncidentOpen {
		t.Fatalf("incident %+v, want %d open alerts", in, len(ids))
	}
	leaders := 0
	for _, id := range ids {
		a := e.alert(id)
		if a.IncidentID != in.ID {
			t.Fatalf("alert %d in incident %d, want %d", id, a.IncidentID, in.ID)
		}
		tl := e.timeline(id)
		if id == in.LeaderAlertID {
			leaders++
			if !hasEntry(tl, alerts.KindIncident) {
				t.Errorf("leader's timeline %v", tl)
			}
		} else if !hasEntry(tl, alerts.KindIncident) || e.escalating(id) {
			t.Errorf("alert %d joined: timeline %v, escalating %v", id, tl, e.escalating(id))
		}
	}
	if leaders != 1 {
		t.Fatalf("leader %d is not one of the alerts", in.LeaderAlertID)
	}
	if n := e.escalations(); n != 1 {
		t.Fatalf("%d escalations, want 1", n)
	}
	e.run()
	e.wantNumbers(sato)
	if cs := e.calls(in.LeaderAlertID); len(cs) != 1 {
		t.Fatalf("leader has %d calls", len(cs))
	}
	return in
}

// TestIncidentGroupKeyConcurrent: 50 alerts of one Alertmanager
// notification group, each in its own request at once, make one incident
// and one phone call.
func TestIncidentGroupKeyConcurrent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := groupedEnv(t, st, alerts.Grouping{By: []string{"groupKey"}})
		sigs := make([]parse.Signal, 50)
		for i := range sigs {
			sigs[i] = firing("XYZ", fmt.Sprint("fp", i))
			sigs[i].Source = parse.SourceAlertmanager
			sigs[i].GroupKey = `{}:{alertname="HostDown"}`
		}
		ids := ingestAtOnce(t, []*alerts.Service{e.svc}, sigs)
		checkOneIncident(t, e, ids)
		// Another notification group is another incident, escalated on its own.
		other := firing("XYZ", "fp-other")
		other.GroupKey = `{}:{alertname="DiskFull"}`
		res := e.ingest(other)
		if a := e.alert(res[0].AlertID); a.IncidentID == 0 || a.IncidentID == e.alert(ids[0]).IncidentID {
			t.Fatalf("other group's alert in incident %d", a.IncidentID)
		}
		e.run()
		e.wantNumbers(sato, sato)
	})
}

// TestIncidentGroupByConcurrent: 50 alerts with equal group_by labels at
// once make one incident and one call; a different value, or none of the
// labels, is not grouped with them.
func TestIncidentGroupByConcurrent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := groupedEnv(t, st, alerts.Grouping{By: []string{"cluster", "alertname"}, Window: 5 * time.Minute})
		sigs := make([]parse.Signal, 50)
		for i := range sigs {
			sigs[i] = labelled(fmt.Sprint("pod", i), "cluster", "tokyo-1", "alertname", "PodCrashLooping", "pod", fmt.Sprint("pod", i))
		}
		ids := ingestAtOnce(t, []*alerts.Service{e.svc}, sigs)
		in := checkOneIncident(t, e, ids)
		if in.GroupKey != `{"alertname":"PodCrashLooping","cluster":"tokyo-1"}` {
			t.Errorf("group key %q", in.GroupKey)
		}
		otherCluster := e.ingest(labelled("x", "cluster", "osaka-1", "alertname", "PodCrashLooping"))[0].AlertID
		noLabels := e.ingest(labelled("y"))[0].AlertID
		if a := e.alert(otherCluster); a.IncidentID == 0 || a.IncidentID == in.ID {
			t.Errorf("other cluster's alert in incident %d", a.IncidentID)
		}
		if a := e.alert(noLabels); a.IncidentID != 0 {
			t.Errorf("alert without the labels in incident %d", a.IncidentID)
		}
		e.run()
		e.wantNumbers(sato, sato, sato)
	})
}

// TestIncidentWindow: an alert within the window of the incident's last
// alert joins it; one later than that opens a new incident, while the old
// one stays open with its alerts.
func TestIncidentWindow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := groupedEnv(t, st, alerts.Grouping{By: []string{"service"}, Window: 5 * time.Minute})
		first := e.open("XYZ", "a")
		e.clk.Advance(4 * time.Minute)
		second := e.open("XYZ", "b") // 4 min after the first: joins
		e.clk.Advance(4 * time.Minute)
		third := e.open("XYZ", "c") // 8 min after the first, 4 after the last: joins
		e.clk.Advance(5*time.Minute + time.Second)
		fourth := e.open("XYZ", "d") // past the window: a new incident
		inc := e.alert(first).IncidentID
		if e.alert(second).IncidentID != inc || e.alert(third).IncidentID != inc || inc == 0 {
			t.Fatalf("incidents %d %d %d", inc, e.alert(second).IncidentID, e.alert(third).IncidentID)
		}
		newer := e.alert(fourth).IncidentID
		if newer == 0 || newer == inc {
			t.Fatalf("alert after the window in incident %d (first %d)", newer, inc)
		}
		old := e.incident(inc)
		if !old.Sealed || old.Status != alerts.IncidentOpen || old.Alerts != 3 || !old.LastAlertAt.Equal(epoch.Add(8*time.Minute)) {
			t.Errorf("old incident %+v", old)
		}
		if in := e.incident(newer); in.LeaderAlertID != fourth || in.Sealed {
			t.Errorf("new incident %+v", in)
		}
		if n := e.escalations(); n != 2 {
			t.Errorf("%d escalations, want 2 (one per incident)", n)
		}
	})
}

// TestIncidentResolvesWithLastAlert: the incident resolves when its last
// alert does; the leader resolving first ends its escalation and pages
// nobody else.
func TestIncidentResolvesWithLastAlert(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := groupedEnv(t, st, alerts.Grouping{By: []string{"groupKey"}})
		var ids []int64
		for i := range 3 {
			s := firing("XYZ", fmt.Sprint("k", i))
			s.GroupKey = "g"
			ids = append(ids, e.ingest(s)[0].AlertID)
		}
		e.run()
		e.wantNumbers(sato)
		inc := e.alert(ids[0]).IncidentID
		for i, id := range ids {
			if _, _, err := e.svc.Resolve(e.ctx, id, "prometheus", "test"); err != nil {
				t.Fatal(err)
			}
			in := e.incident(inc)
			want := alerts.IncidentOpen
			if i == len(ids)-1 {
				want = alerts.IncidentResolved
			}
			if in.Status != want || in.OpenAlerts != len(ids)-1-i {
				t.Fatalf("after resolving %d of %d: %s with %d open, want %s", i+1, len(ids), in.Status, in.OpenAlerts, want)
			}
			if i == 0 && e.escalations() != 0 {
				t.Fatal("an escalation runs after the leader resolved")
			}
			e.advance(3 * time.Minute)
		}
		e.wantNumbers(sato)
		if in := e.incident(inc); in.ResolvedAt == nil {
			t.Error("no resolved_at")
		}
		// A new alert of the group opens a new incident that escalates.
		s := firing("XYZ", "k9")
		s.GroupKey = "g"
		id := e.ingest(s)[0].AlertID
		if a := e.alert(id); a.IncidentID == inc || a.IncidentID == 0 {
			t.Fatalf("new alert in incident %d", a.IncidentID)
		}
		e.run()
		e.wantNumbers(sato, sato)
	})
}

// TestIncidentAck: acknowledging the incident, or any alert of it (by
// hand or with key 1 on the leader's call), acknowledges all of its open
// alerts and stops the escalation.
func TestIncidentAck(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"incident", "member", "phone"} {
		t.Run(how, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				e := groupedEnv(t, st, alerts.Grouping{By: []string{"host"}})
				e.system("XYZ", 3, nil, alerts.Contact{Name: "Sato", Phone: sato}, alerts.Contact{Name: "Suzuki", Phone: suzuki})
				if how == "phone" {
					e.cn.Script(sato, fake.Answer("1"))
				}
				var ids []int64
				for i := range 3 {
					s := firing("XYZ", fmt.Sprint("k", i))
					s.Host = "db01"
					ids = append(ids, e.ingest(s)[0].AlertID)
				}
				e.run()
				e.wantNumbers(sato)
				inc := e.alert(ids[0]).IncidentID
				switch how {
				case "phone":
					e.advance(time.Minute)
					if in := e.incident(inc); in.Status != alerts.IncidentAcknowledged || in.AckedBy != "Sato (phone)" {
						t.Fatalf("incident %+v after key 1", in)
					}
				case "incident":
					in, changed, err := e.svc.AckIncident(e.ctx, inc, "sato", "console")
					if err != nil || !changed || in.Status != alerts.IncidentAcknowledged || in.AckedBy != "sato (console)" {
						t.Fatalf("ack incident: %+v %v %v", in, changed, err)
					}
				default:
					// The last alert joined; acknowledging it acknowledges the incident.
					if _, _, err := e.svc.Ack(e.ctx, ids[2], "sato", "chat"); err != nil {
						t.Fatal(err)
					}
					if in := e.incident(inc); in.Status != alerts.IncidentAcknowledged {
						t.Fatalf("incident %s after acknowledging an alert of it", in.Status)
					}
				}
				for _, id := range ids {
					if a := e.alert(id); a.Status != alerts.StatusAcknowledged {
						t.Errorf("alert %d: %s", id, a.Status)
					}
				}
				if e.escalations() != 0 {
					t.Error("still escalating")
				}
				e.advance(10 * time.Minute)
				e.wantNumbers(sato)
				// Resolving the incident resolves its alerts.
				in, changed, err := e.svc.ResolveIncident(e.ctx, inc, "sato", "console")
				if err != nil || !changed || in.Status != alerts.IncidentResolved || in.OpenAlerts != 0 {
					t.Fatalf("resolve incident: %+v %v %v", in, changed, err)
				}
				if _, _, err := e.svc.AckIncident(e.ctx, inc, "sato", "console"); err != alerts.ErrNotActive {
					t.Errorf("ack of a resolved incident: %v", err)
				}
			})
		})
	}
}

// TestNoGroupingNoIncidents: a system without grouping makes no incidents;
// every alert escalates on its own, as before incidents existed.
func TestNoGroupingNoIncidents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := groupedEnv(t, st, alerts.Grouping{By: []string{"groupKey"}})
		e.system("Other", 1, nil, alerts.Contact{Name: "Suzuki", Phone: suzuki})
		for i := range 3 {
			s := firing("Other", fmt.Sprint("k", i))
			s.GroupKey = "g"
			if a := e.alert(e.ingest(s)[0].AlertID); a.IncidentID != 0 {
				t.Fatalf("alert of a system without grouping in incident %d", a.IncidentID)
			}
		}
		e.run()
		e.wantNumbers(suzuki, suzuki, suzuki)
		if n := len(e.incidents()); n != 0 {
			t.Errorf("%d incidents", n)
		}
	})
}

// TestIncidentAcrossReplicas: two replicas (two services, each with its
// own connection pool, on one PostgreSQL database) ingest 50 alerts of one
// group at once: one incident, one escalation, one call.
func TestIncidentAcrossReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.DatabaseURL(t, store.Postgres)
	open := func() *store.Store {
		st, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return st
	}
	stA, stB := open(), open()
	g := alerts.Grouping{By: []string{"cluster"}, Window: 5 * time.Minute}
	a := groupedEnv(t, stA, g)
	qB, err := jobs.New(stB, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := alerts.New(stB, alerts.Options{
		Location: tokyo, Now: a.clk.Now, Grouping: map[string]alerts.Grouping{"XYZ": g},
		Log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	b.SetQueue(qB)
	for round := range 3 {
		sigs := make([]parse.Signal, 50)
		for i := range sigs {
			sigs[i] = labelled(fmt.Sprintf("r%d-pod%d", round, i), "cluster", fmt.Sprint("c", round))
		}
		ingestAtOnce(t, []*alerts.Service{a.svc, b}, sigs)
	}
	list := a.incidents()
	if len(list) != 3 {
		t.Fatalf("%d incidents, want 3", len(list))
	}
	for _, in := range list {
		if in.Alerts != 50 {
			t.Errorf("incident %d has %d alerts, want 50", in.ID, in.Alerts)
		}
	}
	if n := a.escalations(); n != 3 {
		t.Fatalf("%d escalations, want 3", n)
	}
	a.run()
	if err := b.RunDue(ctx, true); err != nil {
		t.Fatal(err)
	}
	a.wantNumbers(sato, sato, sato)
}

// TestIncidentAPI: the incident endpoints, with Alertmanager posts of one
// notification group made at once.
func TestIncidentAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := groupedEnv(t, st, alerts.Grouping{By: []string{"groupKey"}})
		api := &alerts.API{
			Svc: e.svc,
			Authorize: func(w http.ResponseWriter, r *http.Request, scope string) (string, bool) {
				if tok, _ := httpx.RequestToken(r); tok == goodToken {
					return "monitoring", true
				}
				httpx.Error(w, http.StatusUnauthorized, "no such token", "")
				return "", false
			},
			MaxBody: 1 << 20,
			Parse:   parse.Options{Location: tokyo},
			Log:     e.svc.Options().Log,
		}
		mux := http.NewServeMux()
		api.Register(mux)
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		do := func(method, path, body string) (int, map[string]any) {
			t.Helper()
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", jsonCT)
			req.Header.Set("Authorization", "Bearer "+goodToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&m)
			return resp.StatusCode, m
		}
		var wg sync.WaitGroup
		codes := make([]int, 20)
		for i := range codes {
			wg.Go(func() {
				body := fmt.Sprintf(`{"version":"4","groupKey":"{}:{alertname=\"HostDown\"}","status":"firing","receiver":"opsdesk",
					"alerts":[{"status":"firing","labels":{"alertname":"HostDown","system":"XYZ","instance":"web%02d"},"fingerprint":"fp%02d","startsAt":"2025-03-14T02:59:00Z"}]}`, i, i)
				resp, err := http.Post(srv.URL+"/api/v1/alerts/alertmanager?token="+goodToken, jsonCT, bytes.NewReader([]byte(body)))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				codes[i] = resp.StatusCode
			})
		}
		wg.Wait()
		for i, c := range codes {
			if c != http.StatusAccepted {
				t.Fatalf("post %d: %d", i, c)
			}
		}
		e.run()
		e.wantNumbers(sato)

		code, m := do("GET", "/api/v1/incidents?status=open", "")
		if code != 200 || len(m["incidents"].([]any)) != 1 {
			t.Fatalf("list: %d %v", code, m)
		}
		first := m["incidents"].([]any)[0].(map[string]any)
		id := int64(first["id"].(float64))
		if first["alerts"].(float64) != 20 || first["summary"] != "HostDown" {
			t.Errorf("listed %v", first)
		}
		if code, m = do("GET", fmt.Sprintf("/api/v1/alerts?incident=%d&limit=500", id), ""); code != 200 || len(m["alerts"].([]any)) != 20 {
			t.Errorf("alerts of the incident: %d %v", code, m)
		}
		if code, m = do("GET", "/api/v1/alerts?incident=x", ""); code != 400 || m["field"] != "incident" {
			t.Errorf("bad incident filter: %d %v", code, m)
		}
		if code, m = do("GET", "/api/v1/incidents?status=bogus", ""); code != 400 || m["field"] != "status" {
			t.Errorf("bad status: %d %v", code, m)
		}
		path := fmt.Sprintf("/api/v1/incidents/%d", id)
		code, m = do("GET", path, "")
		if code != 200 || len(m["alert_list"].([]any)) != 20 || len(m["timeline"].([]any)) < 40 {
			t.Fatalf("get: %d alerts %d, timeline %d", code, len(m["alert_list"].([]any)), len(m["timeline"].([]any)))
		}
		if code, m = do("POST", path+"/ack", `{"by":"sato"}`); code != 200 || m["status"] != "acknowledged" || m["changed"] != true {
			t.Fatalf("ack: %d %v", code, m)
		}
		if code, m = do("GET", fmt.Sprintf("/api/v1/alerts/%d", int64(first["leader_alert_id"].(float64))), ""); code != 200 ||
			m["status"] != "acknowledged" || m["incident_id"].(float64) != float64(id) {
			t.Fatalf("leader: %d %v", code, m)
		}
		if code, m = do("POST", path+"/resolve", ""); code != 200 || m["status"] != "resolved" {
			t.Fatalf("resolve: %d %v", code, m)
		}
		if code, _ = do("POST", path+"/ack", ""); code != 409 {
			t.Errorf("ack of a resolved incident: %d", code)
		}
		if code, _ = do("GET", "/api/v1/incidents/999999", ""); code != 404 {
			t.Errorf("unknown incident: %d", code)
		}
		if code, _ = do("POST", "/api/v1/incidents/abc/ack", ""); code != 404 {
			t.Errorf("bad id: %d", code)
		}
	})
}
