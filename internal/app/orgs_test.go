package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestOrganizationArchive starts opsdesk with aws.organizations pointed at
// the Organizations, STS and Support fakes through the AWS_ENDPOINT_URL_*
// variables: the discovery job finds the members, the sync archives the
// one whose role can be assumed with its own credentials, and
// GET /api/v1/accounts shows the one whose role cannot be, with its error.
func TestOrganizationArchive(t *testing.T) {
	sup := fake.NewSupport(t)
	orgs := fake.NewOrganizations(t)
	sts := fake.NewSTS(t)
	const prodID, deniedID, mgmtID = "111111111111", "333333333333", "999999999999"
	prod := sup.AddAccount(prodID, "")
	prod.Load(fake.SupportGen{Cases: 5, Seed: 21, AccountID: prodID, Communications: 1, NoAttachments: true}.Generate())
	// The management account's own cases, read with the caller's keys.
	mgmt := sup.AddAccount(mgmtID, "")
	mgmt.AddSession(fake.OrgCallerAccessKeyID, fake.OrgCallerSecretAccessKey, "", time.Now().Add(24*time.Hour))
	orgs.Put(fake.OrgMember{ID: prodID, Name: "prod"}, fake.OrgMember{ID: deniedID, Name: "sandbox"}, fake.OrgMember{ID: mgmtID, Name: "management"})
	sts.AllowRole("arn:aws:iam::"+prodID+":role/OpsdeskSupportReader", "ext", prod)

	t.Setenv("AWS_ACCESS_KEY_ID", fake.OrgCallerAccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", fake.OrgCallerSecretAccessKey)
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
aws:
  accounts:
    - {name: mgmt, account_id: "` + mgmtID + `", languages: [en, ja, zh, ko]}
  organizations:
    - {name: main, account: mgmt, role_name: OpsdeskSupportReader, external_id: ext}
`))
			if err != nil {
				t.Fatal(err)
			}
			s := apptest.Start(t, cfg, map[string]string{
				"AWS_ENDPOINT_URL_SUPPORT":       sup.URL(),
				"AWS_ENDPOINT_URL_ORGANIZATIONS": orgs.URL(),
				"AWS_ENDPOINT_URL_STS":           sts.URL(),
			})
			tok, err := s.App.Auth.CreateToken(context.Background(), "reader", auth.ScopeReadCases)
			if err != nil {
				t.Fatal(err)
			}
			type account struct {
				Name     string `json:"name"`
				Source   string `json:"source"`
				Active   bool   `json:"active"`
				LastSync *struct {
					OK   bool   `json:"ok"`
					Kind string `json:"kind"`
				} `json:"last_sync"`
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				var n, m int
				_ = s.App.St.R.QueryRow(s.App.St.Q(`SELECT count(*) FROM cases WHERE account = ?`), prodID).Scan(&n)
				_ = s.App.St.R.QueryRow(s.App.St.Q(`SELECT count(*) FROM cases WHERE account <> ?`), prodID).Scan(&m)
				req, _ := http.NewRequest("GET", s.URL+"/api/v1/accounts", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var body struct{ Accounts []account }
				_ = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				denied, mgmtOK := false, false
				for _, a := range body.Accounts {
					denied = denied || (a.Name == deniedID && a.LastSync != nil && !a.LastSync.OK && a.LastSync.Kind == "assume_role")
					mgmtOK = mgmtOK || (a.Name == "mgmt" && a.Source == "config" && a.LastSync != nil && a.LastSync.OK)
				}
				if n == 5 && m == 0 && denied && mgmtOK {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after 60s: %d/5 cases of prod, %d others; accounts %+v", n, m, body.Accounts)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
