package alerts_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/aws/snsverify"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
	"github.com/riverqueue/river"
)

const (
	goodToken = "opsdesk_test_good"
	topicARN  = "arn:aws:sns:ap-northeast-1:123456789012:opsdesk-alarms"
)

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("parse", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type apiEnv struct {
	*env
	srv *httptest.Server
	sns *fake.SNS
	api *alerts.API
}

func newAPIEnv(t *testing.T, st *store.Store) *apiEnv {
	// SNS signing certificates are valid around the wall clock.
	e := newEnv(t, st, envOpt{start: time.Now().UTC().Truncate(time.Second)})
	e.threePeople()
	sns := fake.NewSNS(t, fake.WithClock(e.clk.Now))
	api := &alerts.API{
		Svc: e.svc,
		// The real check (scopes, query tokens) is auth.Service.Authorize,
		// tested in internal/auth and internal/app.
		Authorize: func(w http.ResponseWriter, r *http.Request, scope string) (string, bool) {
			if tok, _ := httpx.RequestToken(r); tok == goodToken {
				return "monitoring", true
			}
			httpx.Error(w, http.StatusUnauthorized, "no such token", "")
			return "", false
		},
		SNS:     &snsverify.Verifier{Now: e.clk.Now, CertURLAllowed: sns.CertURLAllowed, Client: sns.Client()},
		MaxBody: 1 << 20,
		Parse:   parse.Options{Location: tokyo},
		Log:     e.svc.Options().Log,
	}
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &apiEnv{env: e, srv: srv, sns: sns, api: api}
}

type answer struct {
	Code int
	alerts.IntakeResponse
	Error string `json:"error"`
	Field string `json:"field"`
}

func (a *apiEnv) post(path, contentType string, body []byte, hdr ...string) answer {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := answer{Code: resp.StatusCode}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			a.t.Fatalf("%s: answer %d is not JSON: %s", path, resp.StatusCode, raw)
		}
	}
	return out
}

func (a *apiEnv) count() int {
	var n int
	if err := a.st.R.QueryRow(`SELECT count(*) FROM alerts`).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

func (a *apiEnv) byKey(system, key string) *alerts.Alert {
	a.t.Helper()
	list, err := a.svc.List(a.ctx, alerts.Filter{System: system, Limit: 500})
	if err != nil {
		a.t.Fatal(err)
	}
	for _, x := range list {
		if x.DedupKey == key {
			return x
		}
	}
	a.t.Fatalf("no alert %s/%s", system, key)
	return nil
}

const jsonCT = "application/json"

// TestIntakeFormats posts a realistic sample of every format to its
// endpoint, as the monitoring systems send them, and checks what was
// stored and done.
func TestIntakeFormats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPIEnv(t, st)
		auth := []string{"Authorization", "Bearer " + goodToken}

		// The seed's format: three alerts of two systems.
		r := a.post("/api/v1/alerts", jsonCT, sample(t, "seed_alertinfo.json"), auth...)
		if r.Code != 202 || r.Opened != 3 || len(r.Alerts) != 3 {
			t.Fatalf("seed: %+v", r)
		}
		cpu := a.byKey("XYZ", "server1/CPU Utilization")
		if cpu.Source != "seed" || cpu.Via != "monitoring" || cpu.Host != "server1" || !cpu.StartedAt.Equal(time.Date(2023, 10, 3, 13, 20, 52, 0, tokyo)) {
			t.Errorf("seed alert %+v", cpu)
		}
		if b := a.byKey("Billing", "web02/HTTP"); b.Policy != "Billing" || b.Status != alerts.StatusOpen {
			t.Errorf("billing alert %+v", b)
		}
		// Again: repeats, not new alerts.
		r = a.post("/api/v1/alerts?token="+goodToken, jsonCT, sample(t, "seed_alertinfo.json"))
		if r.Code != 202 || r.Repeated != 3 || r.Opened != 0 {
			t.Fatalf("seed again: %+v", r)
		}

		// opsdesk's native format; ?system= fills in what the batch lacks.
		r = a.post("/api/v1/alerts", jsonCT, sample(t, "native_single.json"), auth...)
		if r.Code != 202 || r.Opened != 1 || r.Alerts[0].System != "XYZ" || r.Alerts[0].Key != "db1-disk-/var" {
			t.Fatalf("native: %+v", r)
		}
		if r := a.post("/api/v1/alerts", jsonCT, sample(t, "native_batch.json"), auth...); r.Code != 400 || r.Field != "[0].system" {
			t.Fatalf("native batch without system: %+v", r)
		}
		if r := a.post("/api/v1/alerts?system=Billing", jsonCT, sample(t, "native_batch.json"), auth...); r.Code != 202 || r.Accepted == 0 {
			t.Fatalf("native batch with ?system=: %+v", r)
		}

		// Alertmanager: one firing alert opens, a resolved one with no open
		// alert is ignored; then the firing one resolves.
		am := sample(t, "alertmanager_v4.json")
		r = a.post("/api/v1/alerts/alertmanager", jsonCT, am, auth...)
		if r.Code != 202 || r.Opened != 1 || r.Ignored != 1 {
			t.Fatalf("alertmanager: %+v", r)
		}
		if x := a.byKey("XYZ", "6b1c3a9e0f4d2b17"); x.Source != "alertmanager" || x.Host != "web01.example.com:9100" {
			t.Errorf("alertmanager alert %+v", x)
		}
		resolved := bytes.Replace(am, []byte(`"status": "firing"`), []byte(`"status": "resolved"`), -1)
		r = a.post("/api/v1/alerts/alertmanager", jsonCT, resolved, auth...)
		if r.Code != 202 || r.Resolved != 1 {
			t.Fatalf("alertmanager resolved: %+v", r)
		}
		if x := a.byKey("XYZ", "6b1c3a9e0f4d2b17"); x.Status != alerts.StatusResolved || x.ResolvedBy != "alertmanager (monitoring)" {
			t.Errorf("after resolved: %s by %s", x.Status, x.ResolvedBy)
		}

		// Zabbix: problem, acknowledgement, recovery of one event.
		r = a.post("/api/v1/alerts/zabbix", jsonCT, sample(t, "zabbix_problem.json"), auth...)
		if r.Code != 202 || r.Opened != 1 {
			t.Fatalf("zabbix problem: %+v", r)
		}
		r = a.post("/api/v1/alerts/zabbix", jsonCT, sample(t, "zabbix_ack.json"), auth...)
		if r.Code != 202 || r.Acked != 1 {
			t.Fatalf("zabbix ack: %+v", r)
		}
		if x := a.byKey("XYZ", "4518263"); x.Status != alerts.StatusAcknowledged || !strings.HasPrefix(x.AckedBy, "zabbix") {
			t.Errorf("zabbix after ack: %s by %s", x.Status, x.AckedBy)
		}
		r = a.post("/api/v1/alerts/zabbix", jsonCT, sample(t, "zabbix_recovery.json"), auth...)
		if r.Code != 202 || r.Resolved != 1 {
			t.Fatalf("zabbix recovery: %+v", r)
		}

		// Nagios: a form-encoded service problem and its recovery; a JSON
		// host problem and its acknowledgement; a flapping notice is
		// accepted and ignored.
		form := "application/x-www-form-urlencoded"
		r = a.post("/api/v1/alerts/nagios", form, sample(t, "nagios_service_problem.form"), auth...)
		if r.Code != 202 || r.Opened != 1 {
			t.Fatalf("nagios problem: %+v", r)
		}
		r = a.post("/api/v1/alerts/nagios", form, sample(t, "nagios_service_recovery.form"), auth...)
		if r.Code != 202 || r.Resolved != 1 {
			t.Fatalf("nagios recovery: %+v", r)
		}
		r = a.post("/api/v1/alerts/nagios", jsonCT, sample(t, "nagios_host_problem.json"), auth...)
		if r.Code != 202 || r.Opened != 1 {
			t.Fatalf("nagios host problem: %+v", r)
		}
		r = a.post("/api/v1/alerts/nagios", jsonCT, sample(t, "nagios_host_ack.json"), auth...)
		if r.Code != 202 || r.Acked != 1 {
			t.Fatalf("nagios ack: %+v", r)
		}
		r = a.post("/api/v1/alerts/nagios", form, sample(t, "nagios_flappingstart.form"), auth...)
		if r.Code != 202 || r.Accepted != 0 || len(r.Reasons) != 1 {
			t.Fatalf("nagios flapping: %+v", r)
		}

		// CloudWatch through an SNS subscription: SNS confirms first,
		// then posts signed notifications as text/plain.
		snsHdr := []string{"X-Amz-Sns-Message-Type", "Notification"}
		sub := a.sns.SubscriptionConfirmation(topicARN)
		if r := a.post("/api/v1/alerts/cloudwatch?token="+goodToken, "text/plain; charset=UTF-8", sub, "X-Amz-Sns-Message-Type", "SubscriptionConfirmation"); r.Code != 200 {
			t.Fatalf("subscription confirmation: %+v", r)
		}
		if got := a.sns.Confirmed(); len(got) != 1 || got[0] != topicARN {
			t.Fatalf("confirmed %v", got)
		}
		alarm := a.sns.Notification(topicARN, "ALARM: prod-api-5xx-rate", string(sample(t, "cloudwatch_sns_alarm.json")))
		r = a.post("/api/v1/alerts/cloudwatch?token="+goodToken, "text/plain; charset=UTF-8", alarm, snsHdr...)
		if r.Code != 202 || r.Opened != 1 || r.Alerts[0].Key != "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:prod-api-5xx-rate" {
			t.Fatalf("alarm: %+v", r)
		}
		tampered := bytes.Replace(alarm, []byte(`ALARM`), []byte(`OK`), 1)
		if r := a.post("/api/v1/alerts/cloudwatch?token="+goodToken, "text/plain", tampered, snsHdr...); r.Code != 403 || r.Field != "Signature" {
			t.Fatalf("tampered: %+v", r)
		}
		if r := a.post("/api/v1/alerts/cloudwatch", "text/plain", alarm, snsHdr...); r.Code != 403 || r.Field != "TopicArn" {
			t.Fatalf("no token, topic not listed: %+v", r)
		}
		// EventBridge's alarm state change, posted directly with a token;
		// then the same alarm's OK through SNS resolves it (same key both
		// ways: the alarm's ARN).
		const db01 = "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:db01-cpu-high"
		r = a.post("/api/v1/alerts/cloudwatch", jsonCT, sample(t, "eventbridge_alarm.json"), auth...)
		if r.Code != 202 || r.Opened != 1 || a.byKey("XYZ", db01).Source != "cloudwatch" {
			t.Fatalf("eventbridge: %+v", r)
		}
		ok := a.sns.Notification(topicARN, "OK: db01-cpu-high", string(sample(t, "cloudwatch_sns_ok.json")))
		r = a.post("/api/v1/alerts/cloudwatch?system=XYZ&token="+goodToken, "text/plain; charset=UTF-8", ok, snsHdr...)
		if r.Code != 202 || r.Resolved != 1 || a.byKey("XYZ", db01).Status != alerts.StatusResolved {
			t.Fatalf("ok: %+v", r)
		}

		// Open alerts escalate: the engine calls the first person for each.
		a.run()
		var open int
		_ = st.R.QueryRow(`SELECT count(*) FROM alerts WHERE status = 'open'`).Scan(&open)
		if got := len(a.cn.Calls()); got != open || open < 4 {
			t.Errorf("%d open alerts, %d calls", open, got)
		}
	})
}

// TestIntakeRefuses: bad payloads are 400 naming the field and store
// nothing, not even the good alerts of the same request; no token is
// 401; a body over the limit is 413.
func TestIntakeRefuses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPIEnv(t, st)
		auth := []string{"Authorization", "Bearer " + goodToken}
		cases := []struct {
			path, ct, body, field string
		}{
			{"/api/v1/alerts", jsonCT, `{"alertinfo":[{"host":"a","service":"b","systemname":"XYZ"},{"service":"b","systemname":"XYZ"}]}`, "alertinfo[1].host"},
			{"/api/v1/alerts", jsonCT, `{"system":"XYZ","summary":"x","sumary":"y"}`, "sumary"},
			{"/api/v1/alerts", jsonCT, `{"system":"XYZ"`, ""},
			{"/api/v1/alerts/alertmanager", jsonCT, `{"alerts":[{"status":"firing","labels":{"alertname":"A","system":"XYZ"}},{"status":"maybe","labels":{"alertname":"B","system":"XYZ"}}]}`, "alerts[1].status"},
			{"/api/v1/alerts/zabbix", jsonCT, `{"eventvalue":"1","subject":"x","system":"XYZ"}`, "eventid"},
			{"/api/v1/alerts/nagios", "application/x-www-form-urlencoded", `HOSTNAME=web01&SYSTEM=XYZ`, "NOTIFICATIONTYPE"},
			{"/api/v1/alerts/cloudwatch", jsonCT, `{"NewStateValue":"ALARM"}`, "AlarmName"},
		}
		for _, c := range cases {
			r := a.post(c.path, c.ct, []byte(c.body), auth...)
			if r.Code != 400 || r.Field != c.field || r.Error == "" {
				t.Errorf("%s %s: %d field %q (%s), want 400 field %q", c.path, c.body, r.Code, r.Field, r.Error, c.field)
			}
		}
		if n := a.count(); n != 0 {
			t.Fatalf("%d alerts stored from bad requests", n)
		}
		if r := a.post("/api/v1/alerts", jsonCT, sample(t, "native_single.json")); r.Code != 401 {
			t.Errorf("no token: %d", r.Code)
		}
		if r := a.post("/api/v1/alerts", jsonCT, sample(t, "native_single.json"), "Authorization", "Bearer wrong"); r.Code != 401 {
			t.Errorf("wrong token: %d", r.Code)
		}
		big := `{"system":"XYZ","summary":"` + strings.Repeat("x", 1<<20) + `"}`
		if r := a.post("/api/v1/alerts", jsonCT, []byte(big), auth...); r.Code != 413 {
			t.Errorf("too large: %d", r.Code)
		}
		if n := a.count(); n != 0 {
			t.Fatalf("%d alerts stored", n)
		}
	})
}

// TestAckResolveAPI: scripts acknowledge and resolve with a token.
func TestAckResolveAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPIEnv(t, st)
		auth := []string{"Authorization", "Bearer " + goodToken}
		id := a.open("XYZ", "k")
		a.run()
		do := func(method, path, body string, hdr ...string) (int, map[string]any) {
			req, _ := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", jsonCT)
			for i := 0; i+1 < len(hdr); i += 2 {
				req.Header.Set(hdr[i], hdr[i+1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&m)
			return resp.StatusCode, m
		}
		path := "/api/v1/alerts/" + jsonNum(id)
		if code, _ := do("POST", path+"/ack", ""); code != 401 {
			t.Errorf("ack without token: %d", code)
		}
		code, m := do("POST", path+"/ack", `{"by":"sato"}`, auth...)
		if code != 200 || m["status"] != "acknowledged" || m["changed"] != true {
			t.Fatalf("ack: %d %v", code, m)
		}
		if x := a.alert(id); x.AckedBy != "sato (api)" {
			t.Errorf("acked by %q", x.AckedBy)
		}
		code, m = do("GET", path, "", auth...)
		if code != 200 || m["status"] != "acknowledged" || len(m["calls"].([]any)) != 1 {
			t.Fatalf("get: %d %v", code, m)
		}
		code, m = do("GET", "/api/v1/alerts?status=acknowledged", "", auth...)
		if code != 200 || len(m["alerts"].([]any)) != 1 {
			t.Fatalf("list: %d %v", code, m)
		}
		if code, m = do("POST", path+"/resolve", "", auth...); code != 200 || m["status"] != "resolved" {
			t.Fatalf("resolve: %d %v", code, m)
		}
		if code, _ = do("POST", path+"/ack", "", auth...); code != 409 {
			t.Errorf("ack of a resolved alert: %d", code)
		}
		if code, _ = do("POST", "/api/v1/alerts/999999/ack", "", auth...); code != 404 {
			t.Errorf("unknown alert: %d", code)
		}
	})
}

func jsonNum(id int64) string {
	b, _ := json.Marshal(id)
	return string(b)
}

// TestCloudWatchReplay: a signed CloudWatch alarm posted again through the
// SNS endpoint is absorbed (200, nothing changes): replaying the ALARM of
// an alarm that was resolved since neither re-opens it nor calls anyone.
// Once the signature's time window has passed the message is refused by
// the signature check and forgotten by the sweep.
func TestCloudWatchReplay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPIEnv(t, st)
		const topicARN = "arn:aws:sns:ap-northeast-1:123456789012:cloudwatch-alarms"
		const key = "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:db01-cpu-high"
		hdr := []string{"X-Amz-Sns-Message-Type", "Notification"}
		path := "/api/v1/alerts/cloudwatch?system=XYZ&token=" + goodToken
		alarmBody := bytes.Replace(sample(t, "cloudwatch_sns_ok.json"), []byte(`"NewStateValue": "OK"`), []byte(`"NewStateValue": "ALARM"`), 1)
		if bytes.Equal(alarmBody, sample(t, "cloudwatch_sns_ok.json")) {
			t.Fatal("sample has no NewStateValue OK to turn into ALARM")
		}
		alarm := a.sns.Notification(topicARN, "ALARM: db01-cpu-high", string(alarmBody))
		if r := a.post(path, "text/plain", alarm, hdr...); r.Code != 202 || r.Opened != 1 {
			t.Fatalf("alarm: %+v", r)
		}
		a.run()
		if calls := len(a.cn.Calls()); calls != 1 {
			t.Fatalf("%d calls after the alarm, want 1", calls)
		}
		if r := a.post(path, "text/plain", alarm, hdr...); r.Code != 200 || r.Opened != 0 || r.Repeated != 0 {
			t.Fatalf("the same alarm again: %+v, want 200 and nothing done", r)
		}
		if got := a.byKey("XYZ", key).Repeats; got != 0 {
			t.Fatalf("replay counted as %d repeats", got)
		}
		ok := a.sns.Notification(topicARN, "OK: db01-cpu-high", string(sample(t, "cloudwatch_sns_ok.json")))
		if r := a.post(path, "text/plain", ok, hdr...); r.Code != 202 || r.Resolved != 1 {
			t.Fatalf("ok: %+v", r)
		}
		// The replay of the ALARM after the OK.
		if r := a.post(path, "text/plain", alarm, hdr...); r.Code != 200 {
			t.Fatalf("replayed alarm after OK: %+v, want 200 absorbed", r)
		}
		if n := a.count(); n != 1 || a.byKey("XYZ", key).Status != alerts.StatusResolved {
			t.Fatalf("%d alerts, status %s after the replay; want 1, resolved", n, a.byKey("XYZ", key).Status)
		}
		a.run()
		if calls := len(a.cn.Calls()); calls != 1 {
			t.Fatalf("%d calls; want only the one of the first ALARM", calls)
		}
		var remembered int
		_ = st.R.QueryRow(`SELECT count(*) FROM alert_sns_messages`).Scan(&remembered)
		if remembered != 2 {
			t.Fatalf("%d SNS messages remembered, want 2", remembered)
		}
		// Past the window: refused by the signature check, and forgotten.
		a.clk.Advance(snsverify.DefaultWindow + 2*time.Minute)
		if r := a.post(path, "text/plain", alarm, hdr...); r.Code != 403 {
			t.Fatalf("alarm past its time window: %+v, want 403", r)
		}
		if err := (&alerts.SweepWorker{Svc: a.svc}).Work(a.ctx, &river.Job[alerts.SweepArgs]{}); err != nil {
			t.Fatal(err)
		}
		_ = st.R.QueryRow(`SELECT count(*) FROM alert_sns_messages`).Scan(&remembered)
		if remembered != 0 {
			t.Fatalf("%d SNS messages still remembered after the window", remembered)
		}
	})
}

// TestIntakeAsConfigured posts Zabbix and Nagios payloads the way people
// set them up after the seed article — the seed's "systemname" (in the body
// or the URL), Zabbix's rendered {EVENT.TAGS}, no subject, no Nagios
// NOTIFICATIONTYPE — and checks what was stored; aliases that disagree are
// refused with nothing stored.
func TestIntakeAsConfigured(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPIEnv(t, st)
		auth := []string{"Authorization", "Bearer " + goodToken}
		const form = "application/x-www-form-urlencoded"

		// Zabbix: systemname, {EVENT.TAGS}, no subject or message.
		r := a.post("/api/v1/alerts/zabbix", jsonCT, sample(t, "zabbix_problem_tags.json"), auth...)
		if r.Code != 202 || r.Opened != 1 {
			t.Fatalf("zabbix problem: %+v", r)
		}
		x := a.byKey("XYZ", "8812734")
		if x.Summary != "MySQL: Replication lag is too high (over 30s) on db02" || x.Host != "db02" || x.Severity != "warning" ||
			x.Details != "The replica is behind its source.\nCheck the I/O and SQL threads (SHOW REPLICA STATUS)." {
			t.Errorf("zabbix alert %+v", x)
		}
		for k, v := range map[string]string{"tag.class": "database", "tag.component": "replication", "tag.scope": "performance",
			"tag.runbook": "https://wiki.example.com/db/replication-lag", "tags": "critical"} {
			if x.Labels[k] != v {
				t.Errorf("zabbix label %s = %q, want %q (labels %v)", k, x.Labels[k], v, x.Labels)
			}
		}
		// Its recovery, configured alike, names nothing but the event.
		rec := `{"event_id":"8812734","event_value":"0","subject":"","message":"","systemname":"XYZ",` +
			`"event_tags":"class:database, component:replication, critical, scope:performance"}`
		if r := a.post("/api/v1/alerts/zabbix", jsonCT, []byte(rec), auth...); r.Code != 202 || r.Resolved != 1 {
			t.Fatalf("zabbix recovery: %+v", r)
		}
		if x := a.byKey("XYZ", "8812734"); x.Status != alerts.StatusResolved {
			t.Errorf("zabbix alert after recovery: %s", x.Status)
		}
		// The system from ?systemname= when the body names none.
		body := `{"eventid":"8812790","eventvalue":"1","eventname":"Payment gateway timeouts","hostname":"pay01","eventtags":"team:billing"}`
		if r := a.post("/api/v1/alerts/zabbix?systemname=Billing", jsonCT, []byte(body), auth...); r.Code != 202 || r.Opened != 1 || r.Alerts[0].System != "Billing" {
			t.Fatalf("zabbix with ?systemname=: %+v", r)
		}
		if x := a.byKey("Billing", "8812790"); x.Summary != "Payment gateway timeouts on pay01" || x.Labels["tag.team"] != "billing" {
			t.Errorf("zabbix alert %+v", x)
		}

		// Nagios: a command without $NOTIFICATIONTYPE$, the seed's
		// systemname; then its recovery, told by the state.
		r = a.post("/api/v1/alerts/nagios", form, sample(t, "nagios_seed_style.form"), auth...)
		if r.Code != 202 || r.Opened != 1 || r.Alerts[0].System != "XYZ" {
			t.Fatalf("nagios problem: %+v", r)
		}
		if x := a.byKey("XYZ", "app01/CPU Utilization"); x.Summary != "CPU Utilization on app01 is CRITICAL: CRITICAL - load average: 12.1, 11.8, 10.9" {
			t.Errorf("nagios alert %+v", x)
		}
		recovery := "HOSTNAME=app01&SERVICEDESC=CPU+Utilization&SERVICESTATE=OK&SERVICEOUTPUT=OK+-+load+average%3A+0.4"
		if r := a.post("/api/v1/alerts/nagios?systemname=XYZ", form, []byte(recovery), auth...); r.Code != 202 || r.Resolved != 1 {
			t.Fatalf("nagios recovery with ?systemname=: %+v", r)
		}

		// Aliases that disagree: 400 naming both, nothing stored.
		before := a.count()
		for _, c := range []struct {
			path, ct, body, field string
			both                  []string
		}{
			{"/api/v1/alerts/zabbix", jsonCT, `{"eventid":"1","eventvalue":"1","eventname":"n","system":"XYZ","systemname":"Billing"}`, "systemname", []string{"system", "systemname", "XYZ", "Billing"}},
			{"/api/v1/alerts/nagios", form, "HOSTNAME=h&HOSTSTATE=DOWN&SYSTEM=XYZ&SYSTEMNAME=Billing", "SYSTEMNAME", []string{"SYSTEM", "SYSTEMNAME", "XYZ", "Billing"}},
			{"/api/v1/alerts/zabbix?system=XYZ&systemname=Billing", jsonCT, `{"eventid":"1","eventvalue":"1","eventname":"n"}`, "systemname", []string{"?system=", "?systemname=", "XYZ", "Billing"}},
			{"/api/v1/alerts/nagios?system=XYZ&systemname=Billing", form, "HOSTNAME=h&HOSTSTATE=DOWN", "systemname", []string{"?system=", "?systemname="}},
			{"/api/v1/alerts?system=XYZ&systemname=Billing", jsonCT, `{"summary":"s"}`, "systemname", []string{"?system=", "?systemname="}},
			{"/api/v1/alerts/cloudwatch?system=XYZ&systemname=Billing", jsonCT, string(sample(t, "eventbridge_alarm.json")), "systemname", []string{"?system=", "?systemname="}},
			// Nothing names the problem, or nothing tells problem from recovery.
			{"/api/v1/alerts/zabbix", jsonCT, `{"eventid":"1","eventvalue":"1","system":"XYZ"}`, "subject", []string{"eventname", "hostname"}},
			{"/api/v1/alerts/nagios", form, "HOSTNAME=h&SERVICEDESC=s&SYSTEM=XYZ", "NOTIFICATIONTYPE", []string{"SERVICESTATE"}},
		} {
			r := a.post(c.path, c.ct, []byte(c.body), auth...)
			if r.Code != 400 || r.Field != c.field {
				t.Errorf("%s %s: %d field %q (%s), want 400 field %q", c.path, c.body, r.Code, r.Field, r.Error, c.field)
			}
			for _, w := range c.both {
				if !strings.Contains(r.Error, w) {
					t.Errorf("%s %s: error %q does not name %q", c.path, c.body, r.Error, w)
				}
			}
		}
		if n := a.count(); n != before {
			t.Fatalf("%d alerts stored by refused requests", n-before)
		}
		// The same names agreeing are fine.
		if r := a.post("/api/v1/alerts/nagios?system=XYZ&systemname=XYZ", form, []byte("HOSTNAME=db9&HOSTSTATE=DOWN&SYSTEMNAME=XYZ&SYSTEM=XYZ"), auth...); r.Code != 202 || r.Opened != 1 {
			t.Fatalf("agreeing aliases: %+v", r)
		}
	})
}
