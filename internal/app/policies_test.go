package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// policiesYAML: a policy from the config file, routed to by XYZ's
// critical alerts; XYZ's call list answers the rest.
const policiesYAML = `
destinations:
  - {name: ops, type: webhook, url: 'https://hooks.example.com/ops'}
oncall:
  policies:
    - name: platform
      description: Platform on call
      steps:
        - {targets: ["chat:ops", "schedule:platform"], after: 5m}
        - {targets: ["user:sato"], after: 10m, reescalate: 30m}
alerts:
  systems:
    - name: XYZ
      contacts:
        - {name: Sato, phone: "+819011110001"}
        - {name: Suzuki, phone: "+819022220002", hours: "Mon-Fri 09:00-18:00"}
      rounds: 2
      wait_between_calls: 1m
      routes:
        - {severities: [critical], policy: platform}
        - {severities: [info], record_only: true}
`

func policiesServer(t *testing.T, engine string) (s *apptest.Server, read, admin string) {
	t.Helper()
	cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
log_level: error
` + policiesYAML))
	if err != nil {
		t.Fatal(err)
	}
	s = apptest.Start(t, cfg, nil)
	ctx := context.Background()
	if read, err = s.App.Auth.CreateToken(ctx, "reader", auth.ScopeReadAlerts); err != nil {
		t.Fatal(err)
	}
	if admin, err = s.App.Auth.CreateToken(ctx, "ops-admin", auth.ScopeAdmin); err != nil {
		t.Fatal(err)
	}
	return s, read, admin
}

// call sends a JSON request and decodes the answer into v (when not nil).
func call(t *testing.T, s *apptest.Server, method, tok, path, body string, v any) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if v != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

type apiPolicy struct {
	Name, Kind, Description, Origin, Wait string
	UpdatedBy                             string `json:"updated_by"`
	Rounds                                int
	Steps                                 []struct {
		After      string
		Targets    []string
		Reescalate string
	}
	Contacts []struct{ Name, Phone, Hours string }
	UsedBy   []string `json:"used_by"`
}

type apiError struct {
	Error, Field string
	UsedBy       []string `json:"used_by"`
}

// TestPoliciesAPI: the config's policy is listed with the systems routing
// to it, next to the system's call list (kind call_list, numbers masked);
// PUT creates and replaces policies (origin console) with errors naming
// the field; DELETE answers 409 while a system routes to the policy;
// routes are read and replaced per system; reading needs read:alerts and
// writing admin.
func TestPoliciesAPI(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s, read, admin := policiesServer(t, engine)

			var list struct{ Policies []apiPolicy }
			if code := call(t, s, "GET", read, "/api/v1/policies", "", &list); code != 200 || len(list.Policies) != 2 {
				t.Fatalf("list: %d %+v", code, list)
			}
			p, cl := list.Policies[0], list.Policies[1]
			if p.Name != "platform" || p.Kind != "policy" || p.Origin != "config" || p.Rounds != 3 || p.Description != "Platform on call" ||
				!reflect.DeepEqual(p.UsedBy, []string{"XYZ"}) || len(p.Steps) != 2 ||
				!reflect.DeepEqual(p.Steps[0].Targets, []string{"chat:ops", "schedule:platform"}) || p.Steps[0].After != "5m" || p.Steps[0].Reescalate != "" ||
				p.Steps[1].After != "10m" || p.Steps[1].Reescalate != "30m" {
				t.Errorf("platform: %+v", p)
			}
			if cl.Name != "XYZ" || cl.Kind != "call_list" || cl.Rounds != 2 || cl.Wait != "1m" || len(cl.Steps) != 2 ||
				!reflect.DeepEqual(cl.Steps[1].Targets, []string{"call:Suzuki"}) || cl.Steps[1].After != "1m" ||
				len(cl.Contacts) != 2 || cl.Contacts[0].Phone != "+819••••••001" || cl.Contacts[1].Hours != "Mon-Fri 09:00-18:00" {
				t.Errorf("call list: %+v", cl)
			}
			var one apiPolicy
			if code := call(t, s, "GET", read, "/api/v1/policies/XYZ", "", &one); code != 200 || one.Kind != "call_list" {
				t.Errorf("GET XYZ: %d %+v", code, one)
			}
			var e apiError
			if code := call(t, s, "GET", read, "/api/v1/policies/nope", "", &e); code != 404 || e.Field != "name" {
				t.Errorf("GET nope: %d %+v", code, e)
			}

			// Scopes: reading with read:alerts only; writing needs admin.
			if code := call(t, s, "PUT", read, "/api/v1/policies/db", `{"steps":[{"targets":["user:kim"]}]}`, nil); code != http.StatusForbidden {
				t.Errorf("PUT with read:alerts: %d", code)
			}
			if code := call(t, s, "DELETE", read, "/api/v1/policies/platform", "", nil); code != http.StatusForbidden {
				t.Errorf("DELETE with read:alerts: %d", code)
			}
			if code := call(t, s, "PUT", read, "/api/v1/systems/XYZ/routes", `[]`, nil); code != http.StatusForbidden {
				t.Errorf("PUT routes with read:alerts: %d", code)
			}
			if code := call(t, s, "GET", "", "/api/v1/policies", "", nil); code != http.StatusUnauthorized {
				t.Errorf("GET without a token: %d", code)
			}

			// Validation names the field.
			for _, c := range []struct{ body, field string }{
				{`{"steps":[{"targets":["user:kim"]},{"targets":["user:sato","pager:x"]}]}`, "steps[1].targets[1]"},
				{`{"steps":[{"targets":["chat:nowhere"]}]}`, "steps[0].targets[0]"},
				{`{"steps":[{"targets":["user:kim","user:kim"]}]}`, "steps[0].targets[1]"},
				{`{"steps":[{"targets":["user:kim"],"after":"soon"}]}`, "steps[0].after"},
				{`{"steps":[{"targets":["user:kim"],"reescalate":"10s"}]}`, "steps[0].reescalate"},
				{`{"steps":[{"targets":[]}]}`, "steps[0].targets"},
				{`{"steps":[]}`, "steps"},
				{`{"rounds":99,"steps":[{"targets":["user:kim"]}]}`, "rounds"},
				{`{"rounds":"3","steps":[]}`, "rounds"},
				{`{"color":"red"}`, "color"},
				{`{"name":"other","steps":[{"targets":["user:kim"]}]}`, "name"},
				{`{"kind":"call_list","steps":[{"targets":["user:kim"]}]}`, "kind"},
			} {
				e = apiError{}
				if code := call(t, s, "PUT", admin, "/api/v1/policies/db", c.body, &e); code != 400 || e.Field != c.field || e.Error == "" {
					t.Errorf("PUT %s: %d %+v; want 400 naming %s", c.body, code, e, c.field)
				}
			}
			e = apiError{}
			if code := call(t, s, "PUT", admin, "/api/v1/policies/bad%20name", `{"steps":[{"targets":["user:kim"]}]}`, &e); code != 400 || e.Field != "name" {
				t.Errorf("PUT bad name: %d %+v", code, e)
			}

			// Create, then replace what GET gave back.
			var got apiPolicy
			body := `{"description":"DB team","rounds":2,"steps":[{"after":"5m","targets":["user:sato","schedule:platform","chat:ops"],"reescalate":"30m"},{"targets":["user:kim"]}]}`
			if code := call(t, s, "PUT", admin, "/api/v1/policies/db", body, &got); code != 201 || got.Origin != "console" || got.UpdatedBy != "ops-admin" ||
				got.Rounds != 2 || got.Steps[1].After != "5m" || got.Steps[0].Reescalate != "30m" || len(got.UsedBy) != 0 {
				t.Fatalf("create: %d %+v", code, got)
			}
			var raw map[string]any
			call(t, s, "GET", read, "/api/v1/policies/db", "", &raw)
			raw["rounds"] = 4
			b, _ := json.Marshal(raw)
			if code := call(t, s, "PUT", admin, "/api/v1/policies/db", string(b), &got); code != 200 || got.Rounds != 4 || got.Description != "DB team" {
				t.Errorf("replace: %d %+v", code, got)
			}
			// Editing the config's policy makes it the console's.
			if code := call(t, s, "PUT", admin, "/api/v1/policies/platform", `{"steps":[{"targets":["chat:ops"],"after":"0s"}]}`, &got); code != 200 || got.Origin != "console" || got.Steps[0].After != "0s" {
				t.Errorf("edit platform: %d %+v", code, got)
			}

			// Routes.
			var routes []map[string]any
			if code := call(t, s, "GET", read, "/api/v1/systems/XYZ/routes", "", &routes); code != 200 || len(routes) != 2 ||
				routes[0]["policy"] != "platform" || routes[1]["record_only"] != true || len(routes[1]["severities"].([]any)) != 1 {
				t.Errorf("routes: %d %+v", code, routes)
			}
			for _, c := range []struct{ body, field string }{
				{`[{"severities":["critical"],"policy":"nope"}]`, "routes[0].policy"},
				{`[{"severities":["critical"],"policy":"db"},{"severities":["loud"],"policy":"db"}]`, "routes[1].severities"},
				{`[{"hours":"someday","policy":"db"}]`, "routes[0].hours"},
				{`[{"policy":"db","record_only":true}]`, "routes[0].policy"},
				{`[{}]`, "routes[0].policy"},
			} {
				e = apiError{}
				if code := call(t, s, "PUT", admin, "/api/v1/systems/XYZ/routes", c.body, &e); code != 400 || e.Field != c.field {
					t.Errorf("PUT routes %s: %d %+v; want 400 naming %s", c.body, code, e, c.field)
				}
			}
			if code := call(t, s, "PUT", admin, "/api/v1/systems/ABC/routes", `[]`, &e); code != 404 || e.Field != "system" {
				t.Errorf("routes of a missing system: %d %+v", code, e)
			}
			body = `[{"severities":["critical","warning"],"hours":"Mon-Fri 09:00-18:00","policy":"db"},{"policy":"platform"}]`
			if code := call(t, s, "PUT", admin, "/api/v1/systems/XYZ/routes", body, &routes); code != 200 || len(routes) != 2 || routes[0]["hours"] != "Mon-Fri 09:00-18:00" {
				t.Errorf("PUT routes: %d %+v", code, routes)
			}
			sys, err := s.App.Alerts().System(context.Background(), "XYZ")
			if err != nil || sys.Origin != alerts.OriginConsole || sys.UpdatedBy != "ops-admin" || len(sys.Contacts) != 2 || sys.Routes[0].Policy != "db" {
				t.Errorf("XYZ after PUT routes: %+v %v", sys, err)
			}

			// Preview: Monday 10:00 UTC matches the first route, Saturday the second.
			var pv struct {
				System, Severity, Mode, Policy, Cycle string
				Route                                 *int
				Rounds                                int
				Steps                                 []struct {
					Start, After, Reescalate string
					Targets                  []struct {
						Target        string
						NoSchedule    bool `json:"no_schedule"`
						Notifications []struct{ At, Kind, Destination string }
					}
				}
			}
			if code := call(t, s, "GET", read, "/api/v1/systems/XYZ/preview?severity=warning&at=2026-03-02T10:00:00Z", "", &pv); code != 200 ||
				pv.Mode != "policy" || pv.Route == nil || *pv.Route != 0 || pv.Policy != "db" || pv.Rounds != 4 || pv.Cycle != "10m" || len(pv.Steps) != 2 {
				t.Fatalf("preview: %d %+v", code, pv)
			}
			st0 := pv.Steps[0]
			if st0.Start != "0s" || st0.After != "5m" || st0.Reescalate != "30m" || pv.Steps[1].Start != "5m" || len(st0.Targets) != 3 ||
				!st0.Targets[1].NoSchedule || st0.Targets[2].Target != "chat:ops" || len(st0.Targets[2].Notifications) != 1 ||
				st0.Targets[2].Notifications[0].Destination != "ops" || st0.Targets[2].Notifications[0].At != "0s" {
				t.Errorf("preview steps: %+v", pv.Steps)
			}
			pv.Route = nil
			if code := call(t, s, "GET", read, "/api/v1/systems/XYZ/preview?severity=info&at=2026-03-07T10:00:00Z", "", &pv); code != 200 || pv.Route == nil || *pv.Route != 1 || pv.Policy != "platform" {
				t.Errorf("Saturday preview: %d %+v", code, pv)
			}
			for _, c := range []struct{ path, field string }{
				{"/api/v1/systems/XYZ/preview?severity=loud", "severity"},
				{"/api/v1/systems/XYZ/preview?at=monday", "at"},
			} {
				if code := call(t, s, "GET", read, c.path, "", &e); code != 400 || e.Field != c.field {
					t.Errorf("GET %s: %d %+v", c.path, code, e)
				}
			}
			if code := call(t, s, "GET", read, "/api/v1/systems/ABC/preview", "", &e); code != 404 || e.Field != "system" {
				t.Errorf("preview of a missing system: %d %+v", code, e)
			}

			// Delete: 409 while XYZ routes to db, a clear 409 for a call list.
			e = apiError{}
			if code := call(t, s, "DELETE", admin, "/api/v1/policies/db", "", &e); code != 409 || !reflect.DeepEqual(e.UsedBy, []string{"XYZ"}) || e.Error == "" {
				t.Errorf("DELETE db in use: %d %+v", code, e)
			}
			if code := call(t, s, "DELETE", admin, "/api/v1/policies/XYZ", "", &e); code != 409 || e.Field != "name" {
				t.Errorf("DELETE a call list: %d %+v", code, e)
			}
			if code := call(t, s, "PUT", admin, "/api/v1/systems/XYZ/routes", `[]`, &routes); code != 200 || len(routes) != 0 {
				t.Errorf("clear routes: %d %+v", code, routes)
			}
			if code := call(t, s, "DELETE", admin, "/api/v1/policies/db", "", nil); code != 204 {
				t.Errorf("DELETE db: %d", code)
			}
			if code := call(t, s, "DELETE", admin, "/api/v1/policies/db", "", &e); code != 404 {
				t.Errorf("DELETE db again: %d", code)
			}
			call(t, s, "GET", read, "/api/v1/policies", "", &list)
			if len(list.Policies) != 2 || list.Policies[0].Name != "platform" || len(list.Policies[0].UsedBy) != 0 {
				t.Errorf("list after delete: %+v", list.Policies)
			}
		})
	}
}
