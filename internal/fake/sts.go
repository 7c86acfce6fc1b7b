package fake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Default caller credentials of the STS and Organizations fakes (the
// management account's keys in a test).
const (
	OrgCallerAccessKeyID     = "AKIAFAKEORGCALLER001"
	OrgCallerSecretAccessKey = "fakeOrgCallerSecret/0001+xxxxxxxxxxxxxxxx"
)

// STS is a fake AWS Security Token Service with the one operation opsdesk
// uses, AssumeRole, in the Query protocol the SDK speaks:
//
//	POST /  Content-Type: application/x-www-form-urlencoded
//	Action=AssumeRole&Version=2011-06-15&RoleArn=…&RoleSessionName=…[&ExternalId=…][&DurationSeconds=…]
//
// answered with the AssumeRoleResponse XML document (temporary access key
// id, secret key, session token and expiration). Point the SDK at URL()
// (sts.Options.BaseEndpoint, or AWS_ENDPOINT_URL_STS) with
// CallerCredentials().
//
// Requests are checked as STS does: SigV4 for service "sts" with the
// caller's key (any region), X-Amz-Date within 5 minutes; Action and
// Version; a RoleSessionName of 2–64 characters of [\w+=,.@-]; a
// DurationSeconds of 900–43200. A role the fake was not told about
// (AllowRole), or an ExternalId different from the one it was told, is
// AccessDenied (HTTP 403), as when the role's trust policy does not let
// the caller in. Errors use the Query protocol's XML ErrorResponse.
//
// Assumed credentials are registered with the Support fake's account given
// to AllowRole (SupportAccount.AddSession), so that only a client using
// them sees that account's cases.
type STS struct {
	*Server

	mu      sync.Mutex
	akid    string
	secret  string
	roles   map[string]stsRole
	assumed map[string]int // by role ARN
	issued  []STSCredentials
}

type stsRole struct {
	externalID string
	acct       *SupportAccount
}

// STSCredentials are temporary credentials the fake issued.
type STSCredentials struct {
	RoleARN, SessionName, ExternalID string
	AccessKeyID, SecretAccessKey     string
	SessionToken                     string
	Expiration                       time.Time
}

// NewSTS starts an STS fake. WithAWSKey sets the caller's key; WithClock
// the clock of expirations and signatures.
func NewSTS(t testing.TB, opts ...Option) *STS {
	t.Helper()
	f := &STS{
		Server:  newServer(t, "sts", opts, stsErrorBody),
		akid:    OrgCallerAccessKeyID,
		secret:  OrgCallerSecretAccessKey,
		roles:   map[string]stsRole{},
		assumed: map[string]int{},
	}
	if f.opt.awsKey != "" {
		f.akid, f.secret = f.opt.awsKey, f.opt.awsSecret
	}
	f.start(f.serve)
	return f
}

// URL is the endpoint to configure.
func (f *STS) URL() string { return f.BaseURL() }

// CallerCredentials are the keys the fake accepts.
func (f *STS) CallerCredentials() aws.CredentialsProvider {
	return staticCredentials(f.akid, f.secret, "fake.STS")
}

// AllowRole lets the caller assume roleARN (with externalID, when not
// empty); the credentials it issues are valid for acct of the Support fake
// (nil: for nothing).
func (f *STS) AllowRole(roleARN, externalID string, acct *SupportAccount) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.roles[roleARN] = stsRole{externalID: externalID, acct: acct}
}

// DenyRole withdraws AllowRole (the trust policy changed).
func (f *STS) DenyRole(roleARN string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.roles, roleARN)
}

// AssumeRoleCalls is how many AssumeRole requests named roleARN (granted
// or not).
func (f *STS) AssumeRoleCalls(roleARN string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.assumed[roleARN]
}

// Issued lists the credentials issued so far.
func (f *STS) Issued() []STSCredentials {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]STSCredentials(nil), f.issued...)
}

type stsError struct {
	status         int
	typ, code, msg string
}

func stsErrorBody(status int, msg string) (string, []byte) {
	code := "InternalFailure"
	switch {
	case status == http.StatusTooManyRequests || status == http.StatusBadRequest:
		code = "Throttling"
	case status == http.StatusServiceUnavailable:
		code = "ServiceUnavailable"
	}
	return "text/xml", stsErrorXML(stsError{status: status, typ: "Receiver", code: code, msg: msg}, "fake-sts-failure")
}

func stsErrorXML(e stsError, reqID string) []byte {
	var b strings.Builder
	b.WriteString(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>`)
	xml.EscapeText(&b, []byte(e.typ))
	b.WriteString(`</Type><Code>`)
	xml.EscapeText(&b, []byte(e.code))
	b.WriteString(`</Code><Message>`)
	xml.EscapeText(&b, []byte(e.msg))
	b.WriteString(`</Message></Error><RequestId>`)
	xml.EscapeText(&b, []byte(reqID))
	b.WriteString(`</RequestId></ErrorResponse>`)
	return []byte(b.String())
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (f *STS) serve(w http.ResponseWriter, r *http.Request) {
	reqID := randHex(8)
	fail := func(e stsError) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.status)
		_, _ = w.Write(stsErrorXML(e, reqID))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		fail(stsError{http.StatusBadRequest, "Sender", "MalformedInput", err.Error()})
		return
	}
	if r.Method != http.MethodPost || !contentTypeIs(r, "application/x-www-form-urlencoded") {
		fail(stsError{http.StatusBadRequest, "Sender", "InvalidAction", "STS takes POST with a form body"})
		return
	}
	if _, ae := checkSigV4Keys(r, body, "sts", f.opt.now().UTC(), f.opt.window, func(akid string) (string, string, bool) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.secret, "", akid == f.akid
	}); ae != nil {
		fail(stsError{http.StatusForbidden, "Sender", ae.code, ae.msg})
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		fail(stsError{http.StatusBadRequest, "Sender", "MalformedInput", "the body is not a form"})
		return
	}
	if form.Get("Action") != "AssumeRole" || form.Get("Version") != "2011-06-15" {
		fail(stsError{http.StatusBadRequest, "Sender", "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", form.Get("Action"), form.Get("Version"))})
		return
	}
	arn, session, ext := form.Get("RoleArn"), form.Get("RoleSessionName"), form.Get("ExternalId")
	if !validSessionName(session) {
		fail(stsError{http.StatusBadRequest, "Sender", "ValidationError", "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint"})
		return
	}
	dur := 3600
	if s := form.Get("DurationSeconds"); s != "" {
		if dur, err = strconv.Atoi(s); err != nil || dur < 900 || dur > 43200 {
			fail(stsError{http.StatusBadRequest, "Sender", "ValidationError", "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint"})
			return
		}
	}
	f.mu.Lock()
	f.assumed[arn]++
	role, ok := f.roles[arn]
	f.mu.Unlock()
	if !ok || (role.externalID != "" && role.externalID != ext) {
		fail(stsError{http.StatusForbidden, "Sender", "AccessDenied", fmt.Sprintf("User: arn:aws:iam::000000000000:user/opsdesk is not authorized to perform: sts:AssumeRole on resource: %s", arn)})
		return
	}
	c := STSCredentials{
		RoleARN: arn, SessionName: session, ExternalID: ext,
		AccessKeyID:     "ASIA" + strings.ToUpper(randHex(8)),
		SecretAccessKey: randHex(20),
		SessionToken:    "FwoGZXIvYXdzE" + randHex(32),
		Expiration:      f.opt.now().UTC().Add(time.Duration(dur) * time.Second).Truncate(time.Second),
	}
	if role.acct != nil {
		role.acct.AddSession(c.AccessKeyID, c.SecretAccessKey, c.SessionToken, c.Expiration)
	}
	f.mu.Lock()
	f.issued = append(f.issued, c)
	f.mu.Unlock()
	f.accept(func() {})
	roleName := arn[strings.LastIndex(arn, "/")+1:]
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE%s:%s</AssumedRoleId><Arn>%s</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		c.AccessKeyID, c.SecretAccessKey, c.SessionToken, c.Expiration.Format(time.RFC3339), strings.ToUpper(randHex(6)), xmlEscape(session), xmlEscape(assumedARN(arn, roleName, session)), reqID)
}

func assumedARN(roleARN, roleName, session string) string {
	head, _, _ := strings.Cut(roleARN, ":role/")
	return strings.Replace(head, ":iam:", ":sts:", 1) + ":assumed-role/" + roleName + "/" + session
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func validSessionName(s string) bool {
	if len(s) < 2 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("_+=,.@-", r):
		default:
			return false
		}
	}
	return true
}
