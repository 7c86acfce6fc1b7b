package cases_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/aws/support"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// orgFixture is an organization of fakes: Organizations lists the members,
// STS lets the management account assume the member role in some of them,
// and the Support fake serves each member's cases only to that member's
// assumed credentials.
type orgFixture struct {
	sup  *fake.Support
	orgs *fake.Organizations
	sts  *fake.STS
	org  *cases.Organization
	// members by account id
	members map[string]*fake.SupportAccount
}

const (
	idProd    = "111111111111"
	idStaging = "222222222222"
	idDenied  = "333333333333"
	idNew     = "444444444444"
	idMgmt    = "999999999999"
	extID     = "opsdesk-ext-1"
)

func newOrgFixture(t *testing.T) *orgFixture {
	t.Helper()
	fx := &orgFixture{
		sup:     fake.NewSupport(t),
		orgs:    fake.NewOrganizations(t),
		sts:     fake.NewSTS(t),
		members: map[string]*fake.SupportAccount{},
	}
	for i, id := range []string{idProd, idStaging, idDenied, idNew} {
		a := fx.sup.AddAccount(id, "")
		a.Load(fake.SupportGen{Cases: 3 + i, Seed: uint64(100 + i), AccountID: id, Communications: 1, NoAttachments: true}.Generate())
		fx.members[id] = a
	}
	fx.orgs.Put(
		fake.OrgMember{ID: idProd, Name: "prod"},
		fake.OrgMember{ID: idStaging, Name: "staging"},
		fake.OrgMember{ID: idDenied, Name: "sandbox"},
		fake.OrgMember{ID: idMgmt, Name: "management"},
		fake.OrgMember{ID: "555555555555", Name: "closed", State: "CLOSED"},
	)
	fx.org = &cases.Organization{
		Name: "main", RoleName: "OpsdeskSupportReader", ExternalID: extID, Partition: "aws", Refresh: time.Hour,
		Orgs: organizations.New(organizations.Options{
			Region: "us-east-1", Credentials: fx.orgs.CallerCredentials(), BaseEndpoint: aws.String(fx.orgs.URL()),
			HTTPClient: &http.Client{Timeout: 10 * time.Second},
		}),
		STS: sts.New(sts.Options{
			Region: "us-east-1", Credentials: fx.sts.CallerCredentials(), BaseEndpoint: aws.String(fx.sts.URL()),
			HTTPClient: &http.Client{Timeout: 10 * time.Second},
		}),
		Support: func(o *support.Options) {
			o.Endpoint = fx.sup.URL()
			o.LookupEnv = func(string) (string, bool) { return "", false }
			o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
			o.RetryMode = aws.RetryModeStandard
			o.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
		},
	}
	// The trust policies: prod, staging and (later) the new account let
	// the management account in with the external id; sandbox does not.
	for _, id := range []string{idProd, idStaging, idNew} {
		fx.sts.AllowRole(fx.org.RoleARN(id), extID, fx.members[id])
	}
	return fx
}

// archived maps account → case ids in the archive.
func archived(t *testing.T, st *store.Store) map[string][]string {
	t.Helper()
	rows, err := st.R.Query(`SELECT account, case_id FROM cases ORDER BY account, case_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var a, c string
		if err := rows.Scan(&a, &c); err != nil {
			t.Fatal(err)
		}
		out[a] = append(out[a], c)
	}
	return out
}

func caseIDs(a *fake.SupportAccount) []string {
	var ids []string
	for _, c := range a.Cases() {
		ids = append(ids, c.CaseID)
	}
	slices.Sort(ids)
	return ids
}

func syncAll(t *testing.T, d *cases.Directory, sy *cases.Syncer) map[string]error {
	t.Helper()
	names, err := d.Names(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	errs := map[string]error{}
	for _, n := range names {
		_, ok, err := d.Sync(context.Background(), sy, n, time.Time{})
		if !ok {
			t.Fatalf("Names listed %s but Sync does not know it", n)
		}
		errs[n] = err
	}
	return errs
}

func TestOrganizationDiscoveryArchivesMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		fx := newOrgFixture(t)
		mgmt := fx.sup.AddAccount(idMgmt, "")
		mgmt.Load(fake.SupportGen{Cases: 2, Seed: 9, AccountID: idMgmt, Communications: 1, NoAttachments: true}.Generate())
		cs := cases.NewStore(st)
		sy := &cases.Syncer{Store: cs, Dir: t.TempDir(), Overlap: time.Hour, ResolvedRepoll: 24 * time.Hour}
		d := &cases.Directory{
			Store:      cs,
			Configured: []cases.Account{{Name: "mgmt", ID: idMgmt, Languages: []string{"en", "ja", "zh", "ko"}, Client: client(t, fx.sup, mgmt)}},
			Orgs:       []*cases.Organization{fx.org},
		}

		// Discovery pages through the organization (two accounts a page)
		// and keeps the ACTIVE accounts.
		n, err := d.Discover(ctx, fx.org)
		if err != nil {
			t.Fatal(err)
		}
		if n != 4 || fx.orgs.ListCalls() != 3 {
			t.Fatalf("discovered %d accounts in %d calls; want 4 in 3", n, fx.orgs.ListCalls())
		}
		names, err := d.Names(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The management account is configured: not archived twice.
		if want := []string{"mgmt", idProd, idStaging, idDenied}; !slices.Equal(names, want) {
			t.Fatalf("names %v, want %v", names, want)
		}

		errs := syncAll(t, d, sy)
		for _, n := range []string{"mgmt", idProd, idStaging} {
			if errs[n] != nil {
				t.Errorf("sync %s: %v", n, errs[n])
			}
		}
		if errs[idDenied] == nil || !strings.Contains(errs[idDenied].Error(), "AccessDenied") {
			t.Errorf("sync of the account whose role cannot be assumed: %v", errs[idDenied])
		}
		got := archived(t, st)
		// Each member's cases, fetched with its own assumed credentials:
		// the Support fake serves an account's cases only to its keys.
		for _, id := range []string{idProd, idStaging} {
			if want := caseIDs(fx.members[id]); !slices.Equal(got[id], want) {
				t.Errorf("archive of %s: %v, want %v", id, got[id], want)
			}
		}
		if want := caseIDs(mgmt); !slices.Equal(got["mgmt"], want) || len(got[idMgmt]) != 0 {
			t.Errorf("management account archived as %v / %v, want %v under mgmt only", got["mgmt"], got[idMgmt], want)
		}
		if len(got[idDenied]) != 0 {
			t.Errorf("denied account archived: %v", got[idDenied])
		}
		for _, c := range fx.sts.Issued() {
			if c.SessionName != "opsdesk" || c.ExternalID != extID {
				t.Errorf("AssumeRole with session %q, external id %q", c.SessionName, c.ExternalID)
			}
		}

		// The results are recorded per account, the failure classified.
		list, discs, err := d.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]cases.AccountInfo{}
		for _, a := range list {
			if a.Source == "main" || a.Source == cases.SourceConfig {
				byName[a.Name+"/"+a.Source] = a
			}
		}
		if r := byName[idDenied+"/main"].LastSync; r == nil || r.OK || r.Kind != cases.FailAssumeRole || !strings.Contains(r.Error, "AccessDenied") {
			t.Errorf("denied account's last sync %+v", r)
		}
		if r := byName[idProd+"/main"].LastSync; r == nil || !r.OK || r.CasesNew != 3 || byName[idProd+"/main"].AWSName != "prod" {
			t.Errorf("prod's row %+v, last sync %+v", byName[idProd+"/main"], r)
		}
		if a := byName[idMgmt+"/main"]; a.Active || a.LastSync != nil {
			t.Errorf("the management account, covered by config, is listed as synced: %+v", a)
		}
		if r := byName["mgmt/config"].LastSync; r == nil || !r.OK {
			t.Errorf("configured account's last sync %+v", r)
		}
		if len(discs) != 1 || discs[0].Accounts != 4 || discs[0].Error != "" {
			t.Errorf("discoveries %+v", discs)
		}

		// Credentials are cached: a second sync assumes no role again.
		calls := fx.sts.AssumeRoleCalls(fx.org.RoleARN(idProd))
		fx.members[idProd].Add(fake.SupportGen{Cases: 1, Seed: 55, AccountID: idProd, Communications: 1, NoAttachments: true}.Generate()...)
		syncAll(t, d, sy)
		if c := fx.sts.AssumeRoleCalls(fx.org.RoleARN(idProd)); c != calls {
			t.Errorf("AssumeRole called %d times, then %d: credentials not cached", calls, c)
		}
		if got := archived(t, st)[idProd]; len(got) != 4 {
			t.Errorf("prod's new case not archived: %v", got)
		}

		// A new account joins and staging is suspended: the next
		// discovery archives the new one with no config change and stops
		// syncing staging, whose archive stays.
		fx.orgs.Put(fake.OrgMember{ID: idNew, Name: "new-team"})
		fx.orgs.SetState(idStaging, "SUSPENDED")
		// Not due yet: DiscoverDue leaves it until Refresh has passed.
		if err := d.DiscoverDue(ctx, false); err != nil {
			t.Fatal(err)
		}
		if names, _ := d.Names(ctx); slices.Contains(names, idNew) {
			t.Fatalf("discovered before the refresh was due: %v", names)
		}
		d.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
		if err := d.DiscoverDue(ctx, false); err != nil {
			t.Fatal(err)
		}
		names, err = d.Names(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"mgmt", idProd, idDenied, idNew}; !slices.Equal(names, want) {
			t.Fatalf("after the change, names %v, want %v", names, want)
		}
		if _, ok, _ := d.Account(ctx, idStaging); ok {
			t.Error("the suspended account is still synced")
		}
		syncAll(t, d, sy)
		got = archived(t, st)
		if want := caseIDs(fx.members[idNew]); !slices.Equal(got[idNew], want) {
			t.Errorf("new account's archive %v, want %v", got[idNew], want)
		}
		if want := caseIDs(fx.members[idStaging]); !slices.Equal(got[idStaging], want) {
			t.Errorf("suspended account's archive was not kept: %v", got[idStaging])
		}
		list, _, err = d.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range list {
			if a.Name == idStaging && (a.Active || a.Status != "SUSPENDED") {
				t.Errorf("suspended account listed as %+v", a)
			}
		}

		// GET /api/v1/accounts says the same.
		mux := http.NewServeMux()
		(&cases.AccountsAPI{Directory: d}).Register(mux, func(h http.Handler) http.Handler { return h })
		srv := httptest.NewServer(mux)
		defer srv.Close()
		resp, err := http.Get(srv.URL + "/api/v1/accounts")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Accounts []struct {
				Name     string `json:"name"`
				Source   string `json:"source"`
				Status   string `json:"status"`
				Active   bool   `json:"active"`
				LastSync *struct {
					OK    bool   `json:"ok"`
					Kind  string `json:"kind"`
					Error string `json:"error"`
				} `json:"last_sync"`
			} `json:"accounts"`
			Organizations []struct {
				Org      string `json:"organization"`
				Accounts int    `json:"accounts"`
			} `json:"organizations"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/v1/accounts: %d, %v", resp.StatusCode, err)
		}
		seen := map[string]bool{}
		for _, a := range body.Accounts {
			switch {
			case a.Name == idDenied && a.Source == "main":
				seen[a.Name] = a.Active && a.LastSync != nil && !a.LastSync.OK && a.LastSync.Kind == cases.FailAssumeRole
			case a.Name == idNew && a.Source == "main":
				seen[a.Name] = a.Active && a.LastSync != nil && a.LastSync.OK
			case a.Name == idStaging:
				seen[a.Name] = !a.Active && a.Status == "SUSPENDED"
			case a.Name == "mgmt":
				seen[a.Name] = a.Source == cases.SourceConfig && a.Active
			}
		}
		if len(seen) != 4 || !seen[idDenied] || !seen[idNew] || !seen[idStaging] || !seen["mgmt"] {
			t.Errorf("API accounts %+v (checks %v)", body.Accounts, seen)
		}
		if len(body.Organizations) != 1 || body.Organizations[0].Org != "main" || body.Organizations[0].Accounts != 4 {
			t.Errorf("API organizations %+v", body.Organizations)
		}
	})
}

func TestOrganizationDiscoveryFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		fx := newOrgFixture(t)
		cs := cases.NewStore(st)
		d := &cases.Directory{Store: cs, Orgs: []*cases.Organization{fx.org}}
		if _, err := d.Discover(ctx, fx.org); err != nil {
			t.Fatal(err)
		}
		// A failed discovery is recorded and keeps the accounts found
		// before.
		for _, c := range []struct {
			set  func(bool)
			want string
		}{
			{fx.orgs.SetDenied, "AccessDeniedException"},
			{fx.orgs.SetNotInUse, "AWSOrganizationsNotInUseException"},
		} {
			c.set(true)
			_, err := d.Discover(ctx, fx.org)
			c.set(false)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("discovery error %v, want %s", err, c.want)
			}
			discs, err := cs.OrgDiscoveries(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(discs) != 1 || !strings.Contains(discs[0].Error, c.want) || discs[0].Accounts != 4 {
				t.Errorf("recorded discovery %+v", discs)
			}
			if names, _ := d.Names(ctx); len(names) != 4 {
				t.Errorf("accounts after a failed discovery: %v", names)
			}
		}
		// Include and exclude lists, by id or name.
		fx.org.Include = []string{"PROD", idStaging, idDenied}
		fx.org.Exclude = []string{"sandbox"}
		if n, err := d.Discover(ctx, fx.org); err != nil || n != 2 {
			t.Fatalf("discovered %d (%v), want prod and staging", n, err)
		}
		if names, _ := d.Names(ctx); !slices.Equal(names, []string{idProd, idStaging}) {
			t.Errorf("names %v", names)
		}
		if a, ok, err := d.Find(ctx, "Staging"); err != nil || !ok || a.Name != idStaging {
			t.Errorf("Find by AWS name: %+v %v %v", a, ok, err)
		}
	})
}

// TestOrganizationJobs: the discovery job and the sync job of a discovered
// account, as River runs them: a member whose role cannot be assumed is
// recorded and not retried; a synced member's result is recorded.
func TestOrganizationJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		fx := newOrgFixture(t)
		cs := cases.NewStore(st)
		log := slog.New(slog.DiscardHandler)
		d := &cases.Directory{Store: cs, Orgs: []*cases.Organization{fx.org}, Log: log}
		sy := &cases.Syncer{Store: cs, Dir: t.TempDir(), Overlap: time.Hour}
		if err := (&cases.DiscoverWorker{Directory: d, Log: log}).Work(ctx, &river.Job[cases.DiscoverArgs]{}); err != nil {
			t.Fatal(err)
		}
		if names, _ := d.Names(ctx); len(names) != 4 {
			t.Fatalf("discovery job found %v", names)
		}
		w := &cases.SyncWorker{Syncer: sy, Directory: d, Log: log}
		for _, id := range []string{idProd, idDenied, "000000000000"} {
			if err := w.Work(ctx, &river.Job[cases.SyncArgs]{Args: cases.SyncArgs{Account: id}}); err != nil {
				t.Errorf("sync job of %s: %v", id, err)
			}
		}
		results, err := cs.SyncResults(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r := results[idProd]; !r.OK || r.CasesNew != 3 {
			t.Errorf("prod's result %+v", r)
		}
		if r := results[idDenied]; r.OK || r.Kind != cases.FailAssumeRole {
			t.Errorf("denied account's result %+v", r)
		}
		if _, ok := results["000000000000"]; ok || len(results) != 2 {
			t.Errorf("results %+v", results)
		}
	})
}
