package cases

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/opsdesk/opsdesk/internal/aws/support"
)

// OrgLister is the part of the Organizations API discovery uses
// (*organizations.Client implements it).
type OrgLister interface {
	ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
}

// Organization is one configured AWS Organization: how to list its member
// accounts and how to reach each member's Support API.
type Organization struct {
	Name string
	// Orgs lists the accounts with the management (or delegated
	// administrator) account's credentials; STS assumes RoleName in each
	// member with the same credentials.
	Orgs OrgLister
	STS  stscreds.AssumeRoleAPIClient
	// RoleName, ExternalID and Partition build the member role
	// arn:<partition>:iam::<id>:role/<RoleName>.
	RoleName   string
	ExternalID string
	Partition  string
	// Include, when not empty, keeps only these account ids or names;
	// Exclude drops these.
	Include, Exclude []string
	// Refresh is how often the organization is listed again.
	Refresh time.Duration
	// Languages archived in every member (default: all).
	Languages []string
	// Support adjusts each member's Support client options (endpoint
	// lookup, HTTP client, retries).
	Support func(*support.Options)
}

// wants reports whether the include and exclude lists keep an account.
func (o *Organization) wants(id, name string) bool {
	match := func(list []string) bool {
		return slices.ContainsFunc(list, func(s string) bool {
			s = strings.TrimSpace(s)
			return s == id || strings.EqualFold(s, name)
		})
	}
	if len(o.Include) > 0 && !match(o.Include) {
		return false
	}
	return !match(o.Exclude)
}

// RoleARN is the role assumed in member account id.
func (o *Organization) RoleARN(id string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", cmp.Or(o.Partition, "aws"), id, o.RoleName)
}

// Source names where an account comes from.
const SourceConfig = "config"

// Directory is every account the archive syncs: the configured ones and
// the active members of every organization, the configured ones first. A
// discovered account is archived under its 12-digit id (a name can change
// in AWS; the id cannot); one whose id a configured account already has
// (aws.accounts[].account_id), or an earlier organization already lists,
// is left out so that nothing is archived twice.
//
// It is safe for concurrent use. Member clients are kept, so that their
// assumed-role credentials are reused until near expiry.
type Directory struct {
	Store      *Store
	Configured []Account
	Orgs       []*Organization
	Now        func() time.Time
	Log        *slog.Logger

	mu      sync.Mutex
	members map[string]Account // by account id
}

func (d *Directory) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Directory) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Discover lists org's member accounts (every page) and records them; the
// ACTIVE ones it wants are synced, the others (suspended, closed,
// excluded, no longer listed) are not, and their archive stays. It
// returns how many are synced. A failure is recorded for the console and
// returned.
func (d *Directory) Discover(ctx context.Context, org *Organization) (int, error) {
	var listed []OrgAccount
	in := &organizations.ListAccountsInput{}
	for pages := 0; ; pages++ {
		if pages > 10000 {
			return 0, d.discoveryFailed(ctx, org, errors.New("ListAccounts returned more than 10000 pages"))
		}
		out, err := org.Orgs.ListAccounts(ctx, in)
		if err != nil {
			return 0, d.discoveryFailed(ctx, org, err)
		}
		for _, a := range out.Accounts {
			id, name := aws.ToString(a.Id), aws.ToString(a.Name)
			if !isAccountID(id) {
				continue
			}
			listed = append(listed, OrgAccount{Org: org.Name, ID: id, Name: name, Email: aws.ToString(a.Email), Status: status(a),
				Active: active(a) && org.wants(id, name)})
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	if err := d.Store.saveDiscovery(ctx, org.Name, listed, d.now()); err != nil {
		return 0, err
	}
	n := 0
	for _, a := range listed {
		if a.Active {
			n++
		}
	}
	return n, nil
}

func (d *Directory) discoveryFailed(ctx context.Context, org *Organization, err error) error {
	err = fmt.Errorf("cases: organization %s: list accounts: %w", org.Name, err)
	if rerr := d.Store.discoveryFailed(ctx, org.Name, d.now(), err.Error()); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// active reads the account's state (State, or the older Status).
func active(a orgtypes.Account) bool { return status(a) == "ACTIVE" }

func status(a orgtypes.Account) string {
	if a.State != "" {
		return string(a.State)
	}
	return string(a.Status)
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// DiscoverDue discovers every organization whose last discovery is older
// than its Refresh (all of them with force). One organization failing
// does not stop the others; the failures are returned joined.
func (d *Directory) DiscoverDue(ctx context.Context, force bool) error {
	var errs []error
	for _, org := range d.Orgs {
		if !force {
			last, err := d.Store.lastDiscovery(ctx, org.Name)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !last.IsZero() && d.now().Sub(last) < org.Refresh {
				continue
			}
		}
		n, err := d.Discover(ctx, org)
		if err != nil {
			d.log().Warn("organization discovery failed", "organization", org.Name, "error", err)
			errs = append(errs, err)
			continue
		}
		d.log().Info("organization discovery", "organization", org.Name, "accounts", n)
	}
	return errors.Join(errs...)
}

// member is a discovered account the directory archives.
type member struct {
	OrgAccount
	org *Organization
}

// members lists the discovered accounts to archive, without those a
// configured account or an earlier organization already covers.
func (d *Directory) activeMembers(ctx context.Context) ([]member, error) {
	if len(d.Orgs) == 0 {
		return nil, nil
	}
	all, err := d.Store.OrgAccounts(ctx)
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, a := range d.Configured {
		if a.ID != "" {
			taken[a.ID] = true
		}
	}
	var out []member
	for _, org := range d.Orgs {
		for _, a := range all {
			if a.Org != org.Name || !a.Active || taken[a.ID] {
				continue
			}
			taken[a.ID] = true
			out = append(out, member{OrgAccount: a, org: org})
		}
	}
	return out, nil
}

// Names lists the archive names of every account to sync now.
func (d *Directory) Names(ctx context.Context) ([]string, error) {
	var out []string
	for _, a := range d.Configured {
		out = append(out, a.Name)
	}
	ms, err := d.activeMembers(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out, nil
}

// Account returns the account archived under name: a configured account,
// or an active discovered one (by id). ok is false for neither.
func (d *Directory) Account(ctx context.Context, name string) (Account, bool, error) {
	for _, a := range d.Configured {
		if a.Name == name {
			return a, true, nil
		}
	}
	if !isAccountID(name) {
		return Account{}, false, nil
	}
	ms, err := d.activeMembers(ctx)
	if err != nil {
		return Account{}, false, err
	}
	for _, m := range ms {
		if m.ID == name {
			acct, err := d.memberAccount(m)
			return acct, err == nil, err
		}
	}
	return Account{}, false, nil
}

// Find resolves what a person typed for an account (chat's --account): a
// configured account's name or id, or a discovered account's id or AWS
// name (case-insensitive).
func (d *Directory) Find(ctx context.Context, key string) (Account, bool, error) {
	key = strings.TrimSpace(key)
	for _, a := range d.Configured {
		if a.Name == key || (a.ID != "" && a.ID == key) {
			return a, true, nil
		}
	}
	ms, err := d.activeMembers(ctx)
	if err != nil {
		return Account{}, false, err
	}
	for _, m := range ms {
		if m.ID == key || strings.EqualFold(m.Name, key) {
			acct, err := d.memberAccount(m)
			return acct, err == nil, err
		}
	}
	return Account{}, false, nil
}

// memberAccount builds (once) the Support client of a member account:
// credentials from STS AssumeRole of the organization's role, cached until
// five minutes before they expire.
func (d *Directory) memberAccount(m member) (Account, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.members[m.ID]; ok {
		return a, nil
	}
	org := m.org
	provider := stscreds.NewAssumeRoleProvider(org.STS, org.RoleARN(m.ID), func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "opsdesk"
		if org.ExternalID != "" {
			o.ExternalID = aws.String(org.ExternalID)
		}
	})
	opts := support.Options{
		Credentials: aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 5 * time.Minute }),
		Partition:   org.Partition,
	}
	if org.Support != nil {
		org.Support(&opts)
	}
	client, err := support.New(opts)
	if err != nil {
		return Account{}, fmt.Errorf("cases: account %s of organization %s: %w", m.ID, org.Name, err)
	}
	langs := org.Languages
	if len(langs) == 0 {
		langs = allLanguages
	}
	a := Account{Name: m.ID, ID: m.ID, Languages: langs, Client: client}
	if d.members == nil {
		d.members = map[string]Account{}
	}
	d.members[m.ID] = a
	return a, nil
}

// allLanguages are the Support case languages (config.CaseLanguages).
var allLanguages = []string{"en", "ja", "zh", "ko"}

// Failure kinds recorded with a failed sync, so the console can say in the
// reader's language what went wrong.
const (
	FailAssumeRole = "assume_role" // the member role could not be assumed
	FailNoPlan     = "no_plan"     // no Business or Enterprise support plan
	FailThrottled  = "throttled"   // AWS kept throttling
	FailOther      = "other"
)

// FailureKind classifies a sync error.
func FailureKind(err error) string {
	var ae *support.APIError
	var oe *smithy.OperationError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, support.ErrSubscriptionRequired):
		return FailNoPlan
	case errors.As(err, &oe) && oe.Service() == "STS":
		return FailAssumeRole
	case errors.As(err, &ae) && ae.Throttling():
		return FailThrottled
	}
	return FailOther
}

// Sync syncs the account archived under name (until deadline, see
// Syncer.Sync) and records the outcome, failed or not, for the console.
// ok is false when no such account is to be synced (no longer configured
// or no longer in its organization).
func (d *Directory) Sync(ctx context.Context, sy *Syncer, name string, deadline time.Time) (res *Result, ok bool, err error) {
	acct, ok, err := d.Account(ctx, name)
	if err != nil || !ok {
		return nil, ok, err
	}
	res, err = sy.Sync(ctx, acct, deadline)
	r := SyncResult{Account: name, RunAt: d.now(), OK: err == nil, Kind: FailureKind(err)}
	if err != nil {
		r.Error = err.Error()
	}
	if res != nil {
		r.CasesSeen, r.CasesNew = res.CasesSeen, res.CasesNew
	}
	if serr := d.Store.saveSyncResult(ctx, r); serr != nil && err == nil {
		err = serr
	}
	return res, true, err
}

// AccountInfo is one row of the accounts page and GET /api/v1/accounts.
type AccountInfo struct {
	// Name is the archive's name for the account (a discovered account's
	// id).
	Name string `json:"name"`
	ID   string `json:"account_id,omitempty"`
	// AWSName and Email are what Organizations reports.
	AWSName string `json:"aws_name,omitempty"`
	Email   string `json:"email,omitempty"`
	// Source is "config" or the organization's name.
	Source string `json:"source"`
	// Status is the Organizations state of a discovered account.
	Status string `json:"status,omitempty"`
	// Active is false for a discovered account no longer synced (removed,
	// suspended, excluded, or covered by a configured account).
	Active       bool        `json:"active"`
	DiscoveredAt *time.Time  `json:"discovered_at,omitempty"`
	LastSeen     *time.Time  `json:"last_seen,omitempty"`
	LastSync     *SyncResult `json:"last_sync,omitempty"`
}

// List describes every account: configured, then discovered by
// organization, with the last sync result of each.
func (d *Directory) List(ctx context.Context) ([]AccountInfo, []OrgDiscovery, error) {
	results, err := d.Store.SyncResults(ctx)
	if err != nil {
		return nil, nil, err
	}
	last := func(name string) *SyncResult {
		if r, ok := results[name]; ok {
			return &r
		}
		return nil
	}
	var out []AccountInfo
	for _, a := range d.Configured {
		out = append(out, AccountInfo{Name: a.Name, ID: a.ID, Source: SourceConfig, Active: true, LastSync: last(a.Name)})
	}
	all, err := d.Store.OrgAccounts(ctx)
	if err != nil {
		return nil, nil, err
	}
	ms, err := d.activeMembers(ctx)
	if err != nil {
		return nil, nil, err
	}
	synced := map[[2]string]bool{}
	for _, m := range ms {
		synced[[2]string{m.Org, m.ID}] = true
	}
	for _, a := range all {
		disc, seen := a.DiscoveredAt, a.LastSeen
		out = append(out, AccountInfo{Name: a.ID, ID: a.ID, AWSName: a.Name, Email: a.Email, Source: a.Org, Status: a.Status,
			Active: synced[[2]string{a.Org, a.ID}], DiscoveredAt: &disc, LastSeen: &seen, LastSync: last(a.ID)})
	}
	discs, err := d.Store.OrgDiscoveries(ctx)
	if err != nil {
		return nil, nil, err
	}
	return out, discs, nil
}
