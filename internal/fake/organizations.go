package fake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Organizations is a fake AWS Organizations API (JSON 1.1, signing name
// "organizations") with ListAccounts:
//
//	POST /  Content-Type: application/x-amz-json-1.1
//	X-Amz-Target: AWSOrganizationsV20161128.ListAccounts
//	{"MaxResults": 1–20, "NextToken": "…"}
//
// answered with {"Accounts": [{"Id", "Arn", "Name", "Email", "State",
// "Status", "JoinedMethod", "JoinedTimestamp"}], "NextToken"}. Point the SDK
// at URL() (organizations.Options.BaseEndpoint, or
// AWS_ENDPOINT_URL_ORGANIZATIONS) with CallerCredentials().
//
// Requests are checked as AWS does: SigV4 for service "organizations"
// with the caller's key (any region), X-Amz-Date within 5 minutes; a
// member the operation does not have is SerializationException. Pages
// hold PageSize accounts (default 2, so that tests page), in account id
// order; the NextToken is opaque and bound to the position, so accounts
// added between pages are not returned twice. SetDenied answers
// AccessDeniedException (the caller is not the management account or a
// delegated administrator); SetNotInUse answers
// AWSOrganizationsNotInUseException. Errors use the JSON shape
// {"__type": "…", "Message": "…"}.
type Organizations struct {
	*Server

	mu       sync.Mutex
	akid     string
	secret   string
	accounts map[string]OrgMember
	pageSize int
	denied   bool
	notInUse bool
	calls    int
}

// OrgMember is one account of the fake organization.
type OrgMember struct {
	ID, Name, Email string
	// State is ACTIVE (default), SUSPENDED, PENDING_CLOSURE or CLOSED.
	State  string
	Joined time.Time
}

// NewOrganizations starts an Organizations fake (WithAWSKey: the caller's
// key; default OrgCallerAccessKeyID).
func NewOrganizations(t testing.TB, opts ...Option) *Organizations {
	t.Helper()
	f := &Organizations{
		Server:   newServer(t, "organizations", opts, orgErrorBody),
		akid:     OrgCallerAccessKeyID,
		secret:   OrgCallerSecretAccessKey,
		accounts: map[string]OrgMember{},
		pageSize: 2,
	}
	if f.opt.awsKey != "" {
		f.akid, f.secret = f.opt.awsKey, f.opt.awsSecret
	}
	f.start(f.serve)
	return f
}

// URL is the endpoint to configure.
func (f *Organizations) URL() string { return f.BaseURL() }

// CallerCredentials are the keys the fake accepts.
func (f *Organizations) CallerCredentials() aws.CredentialsProvider {
	return staticCredentials(f.akid, f.secret, "fake.Organizations")
}

// Put adds or replaces member accounts.
func (f *Organizations) Put(members ...OrgMember) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range members {
		if m.State == "" {
			m.State = "ACTIVE"
		}
		if m.Email == "" {
			m.Email = "aws+" + m.ID + "@example.com"
		}
		if m.Joined.IsZero() {
			m.Joined = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		}
		f.accounts[m.ID] = m
	}
}

// Remove takes accounts out of the organization.
func (f *Organizations) Remove(ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		delete(f.accounts, id)
	}
}

// SetState changes an account's state (e.g. SUSPENDED).
func (f *Organizations) SetState(id, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, ok := f.accounts[id]; ok {
		m.State = state
		f.accounts[id] = m
	}
}

// SetPageSize sets how many accounts a page holds at most.
func (f *Organizations) SetPageSize(n int) {
	f.mu.Lock()
	f.pageSize = n
	f.mu.Unlock()
}

// SetDenied makes ListAccounts answer AccessDeniedException.
func (f *Organizations) SetDenied(on bool) {
	f.mu.Lock()
	f.denied = on
	f.mu.Unlock()
}

// SetNotInUse makes ListAccounts answer AWSOrganizationsNotInUseException.
func (f *Organizations) SetNotInUse(on bool) {
	f.mu.Lock()
	f.notInUse = on
	f.mu.Unlock()
}

// ListCalls is the number of ListAccounts requests that authenticated.
func (f *Organizations) ListCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func orgErrorBody(status int, msg string) (string, []byte) {
	code := "ServiceException"
	if status == http.StatusTooManyRequests || status == http.StatusBadRequest {
		code = "TooManyRequestsException"
	}
	b, _ := json.Marshal(map[string]string{"__type": code, "Message": msg})
	return "application/x-amz-json-1.1", b
}

type orgListAccountsInput struct {
	MaxResults *int    `json:"MaxResults"`
	NextToken  *string `json:"NextToken"`
}

func (f *Organizations) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "Message": msg})
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		fail(http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if r.Method != http.MethodPost || !contentTypeIs(r, "application/x-amz-json-1.1") {
		fail(http.StatusBadRequest, "SerializationException", "expected POST with application/x-amz-json-1.1")
		return
	}
	if _, ae := checkSigV4Keys(r, body, "organizations", f.opt.now().UTC(), f.opt.window, func(akid string) (string, string, bool) {
		return f.secret, "", akid == f.akid
	}); ae != nil {
		fail(http.StatusForbidden, ae.code+"Exception", ae.msg)
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "AWSOrganizationsV20161128.ListAccounts" {
		fail(http.StatusBadRequest, "UnknownOperationException", fmt.Sprintf("unknown operation %q", target))
		return
	}
	var in orgListAccountsInput
	if err := decodeExact(body, &in); err != nil {
		fail(http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	switch {
	case f.notInUse:
		fail(http.StatusBadRequest, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
		return
	case f.denied:
		fail(http.StatusBadRequest, "AccessDeniedException", "You don't have permissions to access this resource.")
		return
	}
	size := f.pageSize
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 20 {
			fail(http.StatusBadRequest, "InvalidInputException", "MaxResults must be between 1 and 20")
			return
		}
		size = min(size, *in.MaxResults)
	}
	after := ""
	if in.NextToken != nil {
		id, ok := orgToken(*in.NextToken)
		if !ok {
			fail(http.StatusBadRequest, "InvalidInputException", "You provided a value that does not match the required pattern.")
			return
		}
		after = id
	}
	ids := make([]string, 0, len(f.accounts))
	for id := range f.accounts {
		if id > after {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	type account struct {
		ID              string  `json:"Id"`
		Arn             string  `json:"Arn"`
		Name            string  `json:"Name"`
		Email           string  `json:"Email"`
		State           string  `json:"State"`
		Status          string  `json:"Status,omitempty"`
		JoinedMethod    string  `json:"JoinedMethod"`
		JoinedTimestamp float64 `json:"JoinedTimestamp"`
	}
	out := struct {
		Accounts  []account `json:"Accounts"`
		NextToken *string   `json:"NextToken,omitempty"`
	}{Accounts: []account{}}
	for i, id := range ids {
		if i == size {
			tok := "orgtok-" + strconv.Quote(ids[i-1])
			out.NextToken = &tok
			break
		}
		m := f.accounts[id]
		st := m.State
		if st != "ACTIVE" && st != "SUSPENDED" && st != "PENDING_CLOSURE" {
			st = "" // the older Status has no CLOSED or PENDING_ACTIVATION
		}
		out.Accounts = append(out.Accounts, account{
			ID: id, Arn: "arn:aws:organizations::000000000000:account/o-fake/" + id, Name: m.Name, Email: m.Email,
			State: m.State, Status: st, JoinedMethod: "CREATED", JoinedTimestamp: float64(m.Joined.Unix()),
		})
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func orgToken(tok string) (string, bool) {
	rest, ok := strings.CutPrefix(tok, "orgtok-")
	if !ok {
		return "", false
	}
	id, err := strconv.Unquote(rest)
	return id, err == nil
}
