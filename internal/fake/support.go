package fake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Support is a fake AWS Support API (JSON 1.1, service "support",
// AWSSupport_20130415 operations) for tests.
//
// It checks every request the way AWS does: POST / with Content-Type
// application/x-amz-json-1.1 and an X-Amz-Target it knows, a SigV4
// Authorization header whose credential scope names service "support" and
// the account's region, an X-Amz-Date within WithWindow of the fake's clock
// (default 5 minutes), and a signature it recomputes with the SDK's signer
// from the account's secret key. Failures answer with the AWS JSON error
// shape {"__type": "...", "message": "..."} and the status AWS uses.
//
// Request members must be spelled exactly as the API reference spells them
// ("caseIdList", not "CaseIdList"). AWS ignores a member it does not know,
// so a misspelled one is lost without an error; the fake refuses any key
// that is not an exact member name of the operation's input with
// SerializationException (HTTP 400), so the mistake fails a test instead.
//
// Accounts: one fake serves several accounts, told apart by the access key
// id in the credential scope. NewSupport creates one default account whose
// methods are promoted onto Support (f.Load, f.SetStatus, …); AddAccount
// adds more, each with its own keys, signing region, cases and
// subscription state.
//
// Implemented operations: DescribeCases, DescribeCommunications,
// DescribeAttachment, GetAttachmentDownloadLink, DescribeServices,
// DescribeSeverityLevels, CreateCase, AddCommunicationToCase, ResolveCase.
// Other targets answer UnknownOperationException.
//
// Behaviour that follows the API reference: DescribeCases answers only with
// cases in the requested language (English when none is given), leaves
// resolved cases out unless includeResolvedCases is true, validates
// maxResults (10–100) and caseIdList (≤ 100), filters by creation time with
// afterTime/beforeTime, and pages with opaque nextTokens; recentCommunications
// holds the five newest messages. DescribeCommunications pages newest first.
// DescribeAttachment refuses attachments over 5 MB, which only the
// communications' attachments field (not attachmentSet) lists and
// GetAttachmentDownloadLink serves through a presigned, expiring URL on the
// fake itself. Pagination is keyset-based, so cases or messages added,
// changed or removed between pages are never returned twice.
//
// Controls: ThrottleNext/ThrottleOp inject ThrottlingException bursts;
// SetStatus, AddCommunication, Remove and ExpireBefore change an account's
// cases between calls; SetSubscriptionRequired turns an account into one
// without a Business/Enterprise plan; Calls counts requests per operation.
// The shared Server controls (FailNext, SetUnavailable, Down/Up, SetDelay,
// Requests) work as for the other fakes.
type Support struct {
	*Server
	*SupportAccount // the default account

	// st guards everything below and all accounts' data.
	st         sync.Mutex
	accounts   map[string]*SupportAccount // by access key id
	sessions   map[string]supportSession  // temporary keys (AddSession), by access key id
	order      []*SupportAccount
	throttle   int
	throttleOp map[string]int
	calls      map[string]int
	downloads  int
	requestSeq int
	linkKey    []byte
	linkTTL    time.Duration
}

// SupportAccount is one AWS account of a Support fake. Its methods are safe
// for concurrent use with the fake serving requests.
type SupportAccount struct {
	sup       *Support
	accountID string
	akid      string
	secretKey string
	region    string
	email     string
	noPlan    bool
	// refused are languages DescribeCases refuses for this account, as
	// AWS does for the languages it does not offer everywhere.
	refused map[string]bool

	cases     []*supportCase // newest first (TimeCreated desc, CaseID desc)
	byID      map[string]*supportCase
	atts      map[string]supportAttRef
	seq       int64
	created   int
	displayID int64
}

type supportCase struct {
	c     SupportCase // c.Communications is unused: see comms
	comms []supportComm
}

type supportComm struct {
	seq int64
	m   SupportCommunication
}

type supportAttRef struct {
	caseID string
	att    SupportAttachment
}

const (
	supportTarget      = "AWSSupport_20130415."
	supportContentType = "application/x-amz-json-1.1"
	supportDownloadDir = "/attachments/download/"

	// SupportDefaultAccountID, SupportDefaultAccessKeyID and
	// SupportDefaultSecretAccessKey are the default account's identity.
	SupportDefaultAccountID       = "123456789012"
	SupportDefaultAccessKeyID     = "AKIAFAKESUPPORT00001"
	SupportDefaultSecretAccessKey = "fakeSupportSecretKey/0001+wJalrXUtnFEMIK7MDENG"
)

// NewSupport starts a fake Support API with one empty default account
// (SupportDefaultAccountID, signing region us-east-1). Options: WithClock
// (signature time checks, times of created cases and messages, download
// link expiry) and WithWindow (allowed X-Amz-Date skew, default 5 minutes).
// A client of a fake with a moved clock must sign with the same clock
// (support.Options.Now).
//
// Typical use:
//
//	f := fake.NewSupport(t)
//	f.Load(fake.SupportGenerate(1200, 1))
//	c, _ := support.New(support.Options{
//		Credentials: f.CredentialsProvider(),
//		Endpoint:    f.URL(), // or AWS_ENDPOINT_URL_SUPPORT
//		RetryMode:   aws.RetryModeStandard,
//		Sleep:       func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
//	})
func NewSupport(t testing.TB, opts ...Option) *Support {
	t.Helper()
	f := &Support{
		Server:     newServer(t, "support", opts, supportError),
		accounts:   map[string]*SupportAccount{},
		sessions:   map[string]supportSession{},
		throttleOp: map[string]int{},
		calls:      map[string]int{},
		linkKey:    []byte("fake-support-download-link-key"),
		linkTTL:    time.Hour,
	}
	f.SupportAccount = f.addAccountLocked(SupportDefaultAccountID, SupportDefaultAccessKeyID, SupportDefaultSecretAccessKey, "us-east-1")
	f.start(f.serve)
	return f
}

// URL is the endpoint to configure: AWS_ENDPOINT_URL_SUPPORT, or the
// support client's Endpoint option.
func (f *Support) URL() string { return f.BaseURL() }

// AddAccount adds an account with its own credentials. signingRegion is the
// region its requests must be signed for ("us-east-1" when empty;
// "cn-north-1" and "us-gov-west-1" stand for the other partitions).
func (f *Support) AddAccount(accountID, signingRegion string) *SupportAccount {
	if signingRegion == "" {
		signingRegion = "us-east-1"
	}
	f.st.Lock()
	defer f.st.Unlock()
	n := len(f.order) + 1
	return f.addAccountLocked(accountID, fmt.Sprintf("AKIAFAKESUPPORT%05d", n), fmt.Sprintf("fakeSupportSecretKey/%04d+%s", n, strings.Repeat("x", 16)), signingRegion)
}

func (f *Support) addAccountLocked(accountID, akid, secret, region string) *SupportAccount {
	a := &SupportAccount{
		sup:       f,
		accountID: accountID,
		akid:      akid,
		secretKey: secret,
		region:    region,
		email:     "aws-" + accountID + "@example.com",
		byID:      map[string]*supportCase{},
		atts:      map[string]supportAttRef{},
		displayID: 19000000000,
	}
	f.accounts[akid] = a
	f.order = append(f.order, a)
	return a
}

// ThrottleNext makes the next n API calls, of any operation and account,
// fail with ThrottlingException (HTTP 400, "Rate exceeded") after they
// authenticate.
func (f *Support) ThrottleNext(n int) {
	f.st.Lock()
	f.throttle += n
	f.st.Unlock()
}

// ThrottleOp makes the next n calls of operation op (e.g. "DescribeCases")
// fail with ThrottlingException.
func (f *Support) ThrottleOp(op string, n int) {
	f.st.Lock()
	f.throttleOp[op] += n
	f.st.Unlock()
}

// Calls is the number of requests received for op (e.g. "DescribeCases"),
// including rejected and throttled ones; requests failed by FailNext or
// SetUnavailable never reach the API and are not counted.
func (f *Support) Calls(op string) int {
	f.st.Lock()
	defer f.st.Unlock()
	return f.calls[op]
}

// CallCounts returns Calls for every operation called so far.
func (f *Support) CallCounts() map[string]int {
	f.st.Lock()
	defer f.st.Unlock()
	out := make(map[string]int, len(f.calls))
	for k, v := range f.calls {
		out[k] = v
	}
	return out
}

// TotalCalls is the sum of Calls over all operations.
func (f *Support) TotalCalls() int {
	f.st.Lock()
	defer f.st.Unlock()
	n := 0
	for _, v := range f.calls {
		n += v
	}
	return n
}

// ResetCalls sets every call counter (and Downloads) back to zero.
func (f *Support) ResetCalls() {
	f.st.Lock()
	f.calls = map[string]int{}
	f.downloads = 0
	f.st.Unlock()
}

// Downloads is the number of attachment downloads served through links
// from GetAttachmentDownloadLink.
func (f *Support) Downloads() int {
	f.st.Lock()
	defer f.st.Unlock()
	return f.downloads
}

// AccountID, AccessKeyID, SecretAccessKey and Region identify the account.
func (a *SupportAccount) AccountID() string       { return a.accountID }
func (a *SupportAccount) AccessKeyID() string     { return a.akid }
func (a *SupportAccount) SecretAccessKey() string { return a.secretKey }
func (a *SupportAccount) Region() string          { return a.region }

// CredentialsProvider returns static credentials for the account.
func (a *SupportAccount) CredentialsProvider() aws.CredentialsProvider {
	return staticCredentials(a.akid, a.secretKey, "fake.Support")
}

// RefuseLanguages makes DescribeCases answer InvalidParameterValueException
// for these languages, as AWS does where it does not offer them.
func (a *SupportAccount) RefuseLanguages(langs ...string) {
	a.sup.st.Lock()
	defer a.sup.st.Unlock()
	a.refused = map[string]bool{}
	for _, l := range langs {
		a.refused[l] = true
	}
}

// SetSubscriptionRequired makes every call of the account fail with
// SubscriptionRequiredException, as for an account without a Business,
// Enterprise On-Ramp or Enterprise Support plan.
func (a *SupportAccount) SetSubscriptionRequired(on bool) {
	a.sup.st.Lock()
	a.noPlan = on
	a.sup.st.Unlock()
}

// Load replaces the account's cases with a copy of cases.
func (a *SupportAccount) Load(cases []SupportCase) {
	a.sup.st.Lock()
	defer a.sup.st.Unlock()
	a.cases = nil
	a.byID = map[string]*supportCase{}
	a.atts = map[string]supportAttRef{}
	a.insertLocked(cases...)
}

// Add adds copies of cases (a case id already present is replaced).
func (a *SupportAccount) Add(cases ...SupportCase) {
	a.sup.st.Lock()
	defer a.sup.st.Unlock()
	a.insertLocked(cases...)
}

func (a *SupportAccount) insertLocked(cases ...SupportCase) {
	for _, in := range cases {
		if old, ok := a.byID[in.CaseID]; ok {
			a.removeLocked(old)
		}
		sc := &supportCase{c: in}
		sc.c.CcEmailAddresses = slices.Clone(in.CcEmailAddresses)
		sc.c.Communications = nil
		for _, m := range in.Communications {
			a.appendCommLocked(sc, m)
		}
		a.byID[in.CaseID] = sc
		a.cases = append(a.cases, sc)
	}
	slices.SortFunc(a.cases, func(x, y *supportCase) int {
		if c := y.c.TimeCreated.Compare(x.c.TimeCreated); c != 0 {
			return c
		}
		return strings.Compare(y.c.CaseID, x.c.CaseID)
	})
}

// appendCommLocked adds m to sc in time order and indexes its attachments.
func (a *SupportAccount) appendCommLocked(sc *supportCase, m SupportCommunication) {
	a.seq++
	m.Attachments = slices.Clone(m.Attachments)
	for i := range m.Attachments {
		if m.Attachments[i].Data != nil {
			m.Attachments[i].Size = len(m.Attachments[i].Data)
		}
		a.atts[m.Attachments[i].ID] = supportAttRef{caseID: sc.c.CaseID, att: m.Attachments[i]}
	}
	i := len(sc.comms)
	for i > 0 && sc.comms[i-1].m.TimeCreated.After(m.TimeCreated) {
		i--
	}
	sc.comms = slices.Insert(sc.comms, i, supportComm{seq: a.seq, m: m})
}

func (a *SupportAccount) removeLocked(sc *supportCase) {
	delete(a.byID, sc.c.CaseID)
	for _, cm := range sc.comms {
		for _, at := range cm.m.Attachments {
			delete(a.atts, at.ID)
		}
	}
	a.cases = slices.DeleteFunc(a.cases, func(x *supportCase) bool { return x == sc })
}

// export copies a case out, communications included.
func (sc *supportCase) export() SupportCase {
	c := sc.c
	c.CcEmailAddresses = slices.Clone(sc.c.CcEmailAddresses)
	c.Communications = make([]SupportCommunication, len(sc.comms))
	for i, cm := range sc.comms {
		c.Communications[i] = cm.m
		c.Communications[i].Attachments = slices.Clone(cm.m.Attachments)
	}
	return c
}

// Cases returns a copy of the account's cases, newest first.
func (a *SupportAccount) Cases() []SupportCase {
	a.sup.st.Lock()
	defer a.sup.st.Unlock()
	out := make([]SupportCase, len(a.cases))
	for i, sc := range a.cases {
		out[i] = sc.export()
	}
	return out
}

// Case returns a copy of one case.
func (a *SupportAccount) Case(caseID string) (SupportCase, bool) {
	a.sup.st.Lock()
	defer a.sup.st.Unlock()
	sc, ok := a.byID[caseID]
	if !ok {
		return SupportCase{}, false
	}
	return sc.export(), true
}

// NumCases is the number of cases the account has.
func (a *SupportAccount) NumCases() int {
	a.sup.st.Lock()
	defer a.sup.st.Unlock()
	return len(a.cases)
}

// SetStatus changes a case's status between calls (opened → resolved →
// reopened …). An unknown case fails the test.
func (a *SupportAccount) SetStatus(caseID, status string) {
	a.sup.st.Lock()
	defer a.sup.st.Unlock()
	sc, ok := a.byID[caseID]
	if !ok {
		a.sup.tb.Errorf("fake support: SetStatus: no case %s", caseID)
		return
	}
	sc.c.Status = status
}

// AddCommunication adds a message to a case, as if AWS or a colleague in
// the console had written it. A zero TimeCreated becomes the fake's clock;
// an empty SubmittedBy becomes "Amazon Web Services". Attachments without
// an ID get one. An unknown case fails the test.
func (a *SupportAccount) AddCommunication(caseID string, m SupportCommunication) {
	a.sup.st.Lock()
	defer a.sup.st.Unlock()
	sc, ok := a.byID[caseID]
	if !ok {
		a.sup.tb.Errorf("fake support: AddCommunication: no case %s", caseID)
		return
	}
	if m.TimeCreated.IsZero() {
		m.TimeCreated = a.sup.opt.now().UTC().Truncate(time.Millisecond)
	}
	if m.SubmittedBy == "" {
		m.SubmittedBy = "Amazon Web Services"
	}
	m.Attachments = slices.Clone(m.Attachments)
	for i := range m.Attachments {
		if m.Attachments[i].ID == "" {
			m.Attachments[i].ID = fmt.Sprintf("attachment-%s-added-%06d", a.accountID, a.seq+1+int64(i))
		}
	}
	a.appendCommLocked(sc, m)
}

// Remove makes cases disappear, as AWS drops them after its retention
// period: the API no longer returns them or their attachments.
func (a *SupportAccount) Remove(caseIDs ...string) {
	a.sup.st.Lock()
	defer a.sup.st.Unlock()
	for _, id := range caseIDs {
		if sc, ok := a.byID[id]; ok {
			a.removeLocked(sc)
		}
	}
}

// ExpireBefore removes every case created before t (retention) and returns
// how many it removed.
func (a *SupportAccount) ExpireBefore(t time.Time) int {
	a.sup.st.Lock()
	defer a.sup.st.Unlock()
	var old []*supportCase
	for _, sc := range a.cases {
		if sc.c.TimeCreated.Before(t) {
			old = append(old, sc)
		}
	}
	for _, sc := range old {
		a.removeLocked(sc)
	}
	return len(old)
}

// supportAPIError is an error answer of the fake.
type supportAPIError struct {
	status  int
	code    string
	message string
}

func (e *supportAPIError) Error() string { return e.code + ": " + e.message }

func supportErr(status int, code, format string, args ...any) *supportAPIError {
	return &supportAPIError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// supportError renders the Server's own failures (FailNext, SetUnavailable)
// in the AWS JSON error shape.
func supportError(status int, msg string) (string, []byte) {
	code := "InvalidParameterValueException"
	switch {
	case status == http.StatusTooManyRequests:
		code, msg = "TooManyRequestsException", "Too Many Requests"
	case status == http.StatusServiceUnavailable:
		code, msg = "ServiceUnavailableException", "Service Unavailable"
	case status >= 500:
		code, msg = "InternalServerError", "We encountered an internal error. Please try again."
	case status == http.StatusRequestEntityTooLarge:
		code = "SerializationException"
	}
	b, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
	return supportContentType, b
}

func (f *Support) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", supportContentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Support) writeErr(w http.ResponseWriter, e *supportAPIError) {
	f.writeJSON(w, e.status, map[string]string{"__type": e.code, "message": e.message})
}

// supportOps maps operation names to their handlers.
var supportOps = map[string]func(f *Support, a *SupportAccount, body []byte) (any, *supportAPIError){
	"DescribeCases":             (*Support).describeCases,
	"DescribeCommunications":    (*Support).describeCommunications,
	"DescribeAttachment":        (*Support).describeAttachment,
	"GetAttachmentDownloadLink": (*Support).getAttachmentDownloadLink,
	"DescribeServices":          (*Support).describeServices,
	"DescribeSeverityLevels":    (*Support).describeSeverityLevels,
	"CreateCase":                (*Support).createCase,
	"AddCommunicationToCase":    (*Support).addCommunicationToCase,
	"ResolveCase":               (*Support).resolveCase,
}

func (f *Support) serve(w http.ResponseWriter, r *http.Request) {
	f.st.Lock()
	f.requestSeq++
	reqID := fmt.Sprintf("f00d%04x-5eed-4a11-8c0d-%012x", f.requestSeq&0xffff, f.requestSeq)
	f.st.Unlock()
	w.Header().Set("X-Amzn-Requestid", reqID)

	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, supportDownloadDir) {
		f.serveDownload(w, r)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		f.writeErr(w, supportErr(http.StatusNotFound, "UnknownOperationException", "Unknown operation %s %s", r.Method, r.URL.Path))
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), supportTarget)
	handler := supportOps[op]
	if !ok || handler == nil {
		f.writeErr(w, supportErr(http.StatusBadRequest, "UnknownOperationException", "Unknown operation %q", r.Header.Get("X-Amz-Target")))
		return
	}
	f.st.Lock()
	f.calls[op]++
	f.st.Unlock()

	if !contentTypeIs(r, supportContentType) {
		f.writeErr(w, supportErr(http.StatusBadRequest, "SerializationException", "Expected Content-Type %s", supportContentType))
		return
	}
	body, _ := io.ReadAll(r.Body)
	acct, apiErr := f.authenticate(r, body)
	if apiErr != nil {
		f.writeErr(w, apiErr)
		return
	}
	f.st.Lock()
	throttled := false
	switch {
	case f.throttleOp[op] > 0:
		f.throttleOp[op]--
		throttled = true
	case f.throttle > 0:
		f.throttle--
		throttled = true
	}
	noPlan := acct.noPlan
	f.st.Unlock()
	if throttled {
		f.writeErr(w, supportErr(http.StatusBadRequest, "ThrottlingException", "Rate exceeded"))
		return
	}
	if noPlan {
		f.writeErr(w, supportErr(http.StatusBadRequest, "SubscriptionRequiredException", "AWS Premium Support Subscription is required to use this service."))
		return
	}
	if len(body) == 0 || !json.Valid(body) {
		f.writeErr(w, supportErr(http.StatusBadRequest, "SerializationException", "Start of structure or map found where not expected."))
		return
	}
	out, apiErr := handler(f, acct, body)
	if apiErr != nil {
		f.writeErr(w, apiErr)
		return
	}
	f.accept(func() {})
	f.writeJSON(w, http.StatusOK, out)
}

// authenticate checks the SigV4 Authorization header and returns the
// account whose access key signed the request.
func (f *Support) authenticate(r *http.Request, body []byte) (*SupportAccount, *supportAPIError) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return nil, supportErr(http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return nil, supportErr(http.StatusBadRequest, "IncompleteSignatureException", "Unsupported authorization type; expected AWS4-HMAC-SHA256")
	}
	params := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		params[k] = v
	}
	cred, signedHeaders, signature := params["Credential"], params["SignedHeaders"], params["Signature"]
	if cred == "" || signedHeaders == "" || signature == "" {
		return nil, supportErr(http.StatusBadRequest, "IncompleteSignatureException", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=%s", strings.SplitN(auth, "Signature=", 2)[0])
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return nil, supportErr(http.StatusBadRequest, "IncompleteSignatureException", "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", cred)
	}
	akid, day, region, service := scope[0], scope[1], scope[2], scope[3]
	if service != "support" {
		return nil, supportErr(http.StatusBadRequest, "InvalidSignatureException", "Credential should be scoped to correct service: 'support'. ")
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		return nil, supportErr(http.StatusBadRequest, "IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	signedAt, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return nil, supportErr(http.StatusBadRequest, "IncompleteSignatureException", "X-Amz-Date %q is not in ISO 8601 basic format", amzDate)
	}
	if day != amzDate[:8] {
		return nil, supportErr(http.StatusBadRequest, "InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s'", day, amzDate[:8])
	}
	now := f.opt.now().UTC()
	if d := now.Sub(signedAt); d > f.opt.window || d < -f.opt.window {
		return nil, supportErr(http.StatusBadRequest, "InvalidSignatureException", "Signature expired: %s is now earlier than %s (%s - %s.)", amzDate, now.Add(-f.opt.window).Format("20060102T150405Z"), now.Format("20060102T150405Z"), f.opt.window)
	}
	f.st.Lock()
	acct := f.accounts[akid]
	secret := ""
	if acct != nil {
		secret = acct.secretKey
	} else if sess, ok := f.sessions[akid]; ok {
		// Temporary credentials from the STS fake: the session token
		// must come with them, and they expire.
		token := r.Header.Get("X-Amz-Security-Token")
		if !hmac.Equal([]byte(token), []byte(sess.token)) {
			f.st.Unlock()
			return nil, supportErr(http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
		}
		if !now.Before(sess.expires) {
			f.st.Unlock()
			return nil, supportErr(http.StatusBadRequest, "ExpiredTokenException", "The security token included in the request is expired")
		}
		acct, secret = sess.acct, sess.secret
	}
	f.st.Unlock()
	if acct == nil {
		return nil, supportErr(http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	if region != acct.region {
		return nil, supportErr(http.StatusBadRequest, "InvalidSignatureException", "Credential should be scoped to a valid region. ")
	}
	headers := strings.Split(signedHeaders, ";")
	if !slices.Contains(headers, "host") || !slices.Contains(headers, "x-amz-date") {
		return nil, supportErr(http.StatusBadRequest, "InvalidSignatureException", "'Host' and 'X-Amz-Date' must be signed headers")
	}
	want, wantHeaders, err := supportSignature(r, body, headers, akid, secret, region, signedAt)
	if err != nil || wantHeaders != signedHeaders || !hmac.Equal([]byte(want), []byte(signature)) {
		return nil, supportErr(http.StatusBadRequest, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return acct, nil
}

// supportSignature recomputes a request's SigV4 signature (see sigV4)
// with the account's secret key.
func supportSignature(r *http.Request, body []byte, signed []string, akid, secret, region string, at time.Time) (signature, signedHeaders string, err error) {
	sum := sha256.Sum256(body)
	return sigV4(r, hex.EncodeToString(sum[:]), signed, akid, secret, "support", region, at, false)
}

// downloadSig signs an attachment download link.
func (f *Support) downloadSig(akid, id string, expires int64) string {
	m := hmac.New(sha256.New, f.linkKey)
	fmt.Fprintf(m, "%s\n%s\n%d", akid, id, expires)
	return hex.EncodeToString(m.Sum(nil))
}

// serveDownload serves an attachment through a link from
// GetAttachmentDownloadLink, answering failures in S3's XML error shape.
func (f *Support) serveDownload(w http.ResponseWriter, r *http.Request) {
	s3err := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
	}
	id := strings.TrimPrefix(r.URL.Path, supportDownloadDir)
	q := r.URL.Query()
	akid := q.Get("X-Amz-Credential")
	expires, err := strconv.ParseInt(q.Get("X-Amz-Expires-At"), 10, 64)
	if err != nil || !hmac.Equal([]byte(q.Get("X-Amz-Signature")), []byte(f.downloadSig(akid, id, expires))) {
		s3err(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
		return
	}
	if f.opt.now().Unix() > expires {
		s3err(http.StatusForbidden, "AccessDenied", "Request has expired")
		return
	}
	f.st.Lock()
	acct := f.accounts[akid]
	var ref supportAttRef
	found := false
	if acct != nil {
		ref, found = acct.atts[id]
	}
	if found {
		f.downloads++
	}
	f.st.Unlock()
	if !found {
		s3err(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	data := ref.att.Content()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(ref.att.FileName))
	_, _ = w.Write(data)
}

// supportSession is a set of temporary credentials for an account.
type supportSession struct {
	acct    *SupportAccount
	secret  string
	token   string
	expires time.Time
}

// AddSession makes the account accept temporary credentials (as STS
// AssumeRole issues them) until expires: requests signed with akid and
// secret must carry token as X-Amz-Security-Token. The STS fake calls it
// for the roles it lets callers assume, so a test sees which account's
// credentials a client used.
func (a *SupportAccount) AddSession(akid, secret, token string, expires time.Time) {
	a.sup.st.Lock()
	defer a.sup.st.Unlock()
	a.sup.sessions[akid] = supportSession{acct: a, secret: secret, token: token, expires: expires}
}
