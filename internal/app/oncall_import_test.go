package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/oncall"
	"github.com/opsdesk/opsdesk/internal/oncall/importer"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestOnCallAPIImport: a PagerDuty schedule converted by the importer (as opsdesk oncall
// import --json prints it) is PUT to the API and answers GET /api/v1/oncall?at= as the
// converted schedule does, on both engines — the importer's tests check that the converted
// schedule answers as PagerDuty does.
func TestOnCallAPIImport(t *testing.T) {
	dir := "../oncall/importer/testdata/"
	export, err := os.ReadFile(dir + "pagerduty-platform.json")
	if err != nil {
		t.Fatal(err)
	}
	overrides, err := os.ReadFile(dir + "pagerduty-platform-overrides.json")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 2, 20, 12, 0, 0, 0, time.UTC)
	res, err := importer.PagerDuty(export, overrides, importer.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(res.Schedule)
	local, err := res.Schedule.Convert()
	if err != nil {
		t.Fatal(err)
	}
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s, read := oncallServer(t, engine)
			admin, err := s.App.Auth.CreateToken(context.Background(), "ops-admin", auth.ScopeAdmin)
			if err != nil {
				t.Fatal(err)
			}
			if code := sendJSON(t, s, admin, http.MethodPut, "/api/v1/oncall/platform-primary", string(body), nil); code != http.StatusCreated {
				t.Fatalf("PUT: %d\n%s", code, body)
			}
			seen := map[string]bool{}
			// Every 7 hours for 40 days, across 2026-03-08 and the overrides of March.
			for at := now; at.Before(now.Add(40 * 24 * time.Hour)); at = at.Add(7 * time.Hour) {
				var got oncallListBody
				if code := getJSON(t, s, read, "/api/v1/oncall?at="+url.QueryEscape(at.Format(time.RFC3339)), &got); code != 200 {
					t.Fatalf("GET at %s: %d", at, code)
				}
				want, _, _ := oncall.OnCall(local, at)
				who := ""
				for _, x := range got.Schedules {
					if x.Name == "platform-primary" && x.Now != nil {
						who = x.Now.Who
					}
				}
				if who != want {
					t.Errorf("%s: the API has %q on call, the converted schedule %q", at.Format(time.RFC3339), who, want)
				}
				seen[want] = true
			}
			if len(seen) < 5 {
				t.Errorf("only %v on call", seen)
			}
		})
	}
}
