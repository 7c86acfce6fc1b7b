package fake_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/opsdesk/opsdesk/internal/fake"
)

// testClock is a controllable clock for the fake.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sigParams describe how a raw test request is signed.
type sigParams struct {
	akid, secret, service, region string
	at                            time.Time
}

func sigFor(a *fake.SupportAccount) sigParams {
	return sigParams{akid: a.AccessKeyID(), secret: a.SecretAccessKey(), service: "support", region: a.Region(), at: time.Now()}
}

// supportRequest builds a signed JSON 1.1 request for op.
func supportRequest(t *testing.T, base, op, body string, sp sigParams) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSSupport_20130415."+op)
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: sp.akid, SecretAccessKey: sp.secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), sp.service, sp.region, sp.at); err != nil {
		t.Fatal(err)
	}
	return req
}

// supportDo sends req and decodes the JSON answer.
func supportDo(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	status, _, body := do(t, req)
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s: answer is not JSON: %q", req.Header.Get("X-Amz-Target"), body)
	}
	return status, m
}

func call(t *testing.T, f *fake.Support, a *fake.SupportAccount, op, body string) (int, map[string]any) {
	t.Helper()
	return supportDo(t, supportRequest(t, f.URL(), op, body, sigFor(a)))
}

func wantAWSError(t *testing.T, status int, m map[string]any, wantStatus int, wantType string) {
	t.Helper()
	if status != wantStatus || m["__type"] != wantType {
		t.Fatalf("got %d %v, want %d %s", status, m, wantStatus, wantType)
	}
	if msg, _ := m["message"].(string); msg == "" {
		t.Fatalf("error %s has no message", wantType)
	}
}

func TestSupportGenerate(t *testing.T) {
	t.Parallel()
	cases := fake.SupportGenerate(1200, 7)
	if len(cases) != 1200 {
		t.Fatalf("got %d cases", len(cases))
	}
	langs := map[string]int{}
	statuses := map[string]bool{}
	severities := map[string]bool{}
	ids := map[string]bool{}
	attIDs := map[string]bool{}
	words := map[string]bool{}
	var over50, large, small, comms int
	oldest, newest := cases[0].TimeCreated, cases[0].TimeCreated
	for i, c := range cases {
		if i > 0 && c.TimeCreated.After(cases[i-1].TimeCreated) {
			t.Fatalf("cases not newest first at %d", i)
		}
		if ids[c.CaseID] {
			t.Fatalf("duplicate case id %s", c.CaseID)
		}
		ids[c.CaseID] = true
		langs[c.Language]++
		statuses[c.Status] = true
		severities[c.SeverityCode] = true
		oldest, newest = minTime(oldest, c.TimeCreated), maxTime(newest, c.TimeCreated)
		if c.Subject == "" || c.DisplayID == "" || c.ServiceCode == "" || c.CategoryCode == "" || c.SubmittedBy == "" {
			t.Fatalf("case %s misses fields: %+v", c.CaseID, c)
		}
		if len(c.Communications) > 50 {
			over50++
		}
		comms += len(c.Communications)
		prev := c.TimeCreated
		for _, m := range c.Communications {
			if m.TimeCreated.Before(prev) || m.TimeCreated.After(fake.SupportGenEnd) {
				t.Fatalf("case %s: communication at %v out of order (prev %v)", c.CaseID, m.TimeCreated, prev)
			}
			prev = m.TimeCreated
			for _, w := range []string{"障害", "故障", "장애"} {
				if strings.Contains(c.Subject, w) || strings.Contains(m.Body, w) {
					words[w] = true
				}
			}
			for _, a := range m.Attachments {
				if attIDs[a.ID] {
					t.Fatalf("duplicate attachment id %s", a.ID)
				}
				attIDs[a.ID] = true
				if a.Size > 5<<20 {
					large++
				} else {
					small++
				}
			}
		}
	}
	for _, l := range []string{"en", "ja", "zh", "ko"} {
		if langs[l] < 100 {
			t.Errorf("language %s: %d cases", l, langs[l])
		}
	}
	for _, s := range []string{"opened", "pending-customer-action", "customer-action-completed", "work-in-progress", "reopened", "resolved", "unassigned"} {
		if !statuses[s] {
			t.Errorf("no case with status %s", s)
		}
	}
	for _, s := range []string{"low", "normal", "high", "urgent", "critical"} {
		if !severities[s] {
			t.Errorf("no case with severity %s", s)
		}
	}
	for _, w := range []string{"障害", "故障", "장애"} {
		if !words[w] {
			t.Errorf("no case mentions %s", w)
		}
	}
	if over50 < 2 || large < 3 || small < 100 {
		t.Errorf("over50=%d large=%d small=%d", over50, large, small)
	}
	if span := newest.Sub(oldest); span < 600*24*time.Hour || span > 731*24*time.Hour {
		t.Errorf("cases span %v, want about two years", span)
	}
	if comms < 1200*8 {
		t.Errorf("only %d communications", comms)
	}

	again := fake.SupportGenerate(1200, 7)
	if !reflect.DeepEqual(cases, again) {
		t.Error("same seed gave a different archive")
	}
	if other := fake.SupportGenerate(1200, 8); other[0].CaseID == cases[0].CaseID {
		t.Error("different seeds gave the same case ids")
	}

	fixed := fake.SupportGen{Cases: 50, Seed: 1, Communications: 12, NoAttachments: true}.Generate()
	for _, c := range fixed {
		if len(c.Communications) != 12 {
			t.Fatalf("case has %d communications, want 12", len(c.Communications))
		}
		for _, m := range c.Communications {
			if len(m.Attachments) != 0 {
				t.Fatal("NoAttachments archive has attachments")
			}
		}
	}
}

func TestSupportAttachmentContent(t *testing.T) {
	t.Parallel()
	a := fake.SupportAttachment{ID: "attachment-x", FileName: "error.log", Size: 4000}
	b := fake.SupportAttachment{ID: "attachment-x", FileName: "error.log", Size: 4000}
	if got := a.Content(); len(got) != 4000 || string(got) != string(b.Content()) || !strings.Contains(string(got), "\n") {
		t.Fatalf("text content: len %d, deterministic %v", len(got), string(got) == string(b.Content()))
	}
	bin := fake.SupportAttachment{ID: "attachment-y", FileName: "heapdump.hprof", Size: 6 << 20}
	if got := bin.Content(); len(got) != 6<<20 {
		t.Fatalf("binary content: len %d", len(got))
	}
	data := fake.SupportAttachment{ID: "z", Data: []byte("hello")}
	if string(data.Content()) != "hello" {
		t.Fatal("Data not returned")
	}
}

func TestSupportAuthentication(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Now().UTC()}
	f := fake.NewSupport(t, fake.WithClock(clk.Now))
	good := sigFor(f.SupportAccount)
	good.at = clk.Now()
	const body = `{}`
	const op = "DescribeSeverityLevels"

	status, m := supportDo(t, supportRequest(t, f.URL(), op, body, good))
	if status != 200 || m["severityLevels"] == nil {
		t.Fatalf("valid request: %d %v", status, m)
	}

	req, _ := http.NewRequest(http.MethodPost, f.URL()+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSSupport_20130415."+op)
	status, m = supportDo(t, req)
	wantAWSError(t, status, m, 400, "MissingAuthenticationTokenException")

	for name, tc := range map[string]struct {
		mod  func(*sigParams)
		code string
	}{
		"wrong secret":   {func(p *sigParams) { p.secret = "not-the-secret" }, "InvalidSignatureException"},
		"wrong service":  {func(p *sigParams) { p.service = "s3" }, "InvalidSignatureException"},
		"wrong region":   {func(p *sigParams) { p.region = "ap-northeast-1" }, "InvalidSignatureException"},
		"unknown key":    {func(p *sigParams) { p.akid = "AKIAUNKNOWN000000000" }, "UnrecognizedClientException"},
		"signed too old": {func(p *sigParams) { p.at = p.at.Add(-6 * time.Minute) }, "InvalidSignatureException"},
		"signed ahead":   {func(p *sigParams) { p.at = p.at.Add(6 * time.Minute) }, "InvalidSignatureException"},
	} {
		sp := good
		tc.mod(&sp)
		status, m := supportDo(t, supportRequest(t, f.URL(), op, body, sp))
		if status != 400 || m["__type"] != tc.code {
			t.Errorf("%s: got %d %v, want 400 %s", name, status, m, tc.code)
		}
	}

	// A body changed after signing no longer matches the signature.
	req = supportRequest(t, f.URL(), op, `{"language":"en"}`, good)
	req.Body = io.NopCloser(strings.NewReader(`{"language":"ja"}`))
	status, m = supportDo(t, req)
	wantAWSError(t, status, m, 400, "InvalidSignatureException")

	// A signed header changed after signing.
	req = supportRequest(t, f.URL(), op, body, good)
	req.Header.Set("X-Amz-Target", "AWSSupport_20130415.DescribeServices")
	status, m = supportDo(t, req)
	wantAWSError(t, status, m, 400, "InvalidSignatureException")

	// An unsigned Authorization scheme.
	req = supportRequest(t, f.URL(), op, body, good)
	req.Header.Set("Authorization", "Bearer abc")
	status, m = supportDo(t, req)
	wantAWSError(t, status, m, 400, "IncompleteSignatureException")
}

func TestSupportProtocolErrors(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	sp := sigFor(f.SupportAccount)

	status, m := supportDo(t, supportRequest(t, f.URL(), "DescribeTrustedAdvisorChecks", `{}`, sp))
	wantAWSError(t, status, m, 400, "UnknownOperationException")

	req := supportRequest(t, f.URL(), "DescribeCases", `{}`, sp)
	req.Header.Set("X-Amz-Target", "DescribeCases")
	status, m = supportDo(t, req)
	wantAWSError(t, status, m, 400, "UnknownOperationException")

	req, _ = http.NewRequest(http.MethodPost, f.URL()+"/", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Target", "AWSSupport_20130415.DescribeCases")
	status, m = supportDo(t, req)
	wantAWSError(t, status, m, 400, "SerializationException")

	status, m = supportDo(t, supportRequest(t, f.URL(), "DescribeCases", `{"maxResults":`, sp))
	wantAWSError(t, status, m, 400, "SerializationException")
	status, m = supportDo(t, supportRequest(t, f.URL(), "DescribeCases", `{"maxResults":"ten"}`, sp))
	wantAWSError(t, status, m, 400, "SerializationException")

	status, _, _ = get(t, f.URL()+"/")
	if status != 404 {
		t.Errorf("GET /: %d", status)
	}

	f.FailNext(1, fake.Failure{Status: 503})
	status, m = call(t, f, f.SupportAccount, "DescribeServices", `{}`)
	wantAWSError(t, status, m, 503, "ServiceUnavailableException")
	f.FailNext(1, fake.Failure{Status: 500})
	status, m = call(t, f, f.SupportAccount, "DescribeServices", `{}`)
	wantAWSError(t, status, m, 500, "InternalServerError")
}

func TestSupportDescribeCasesValidation(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	f.Load(fake.SupportGenerate(120, 1))
	a := f.SupportAccount
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = fmt.Sprintf("case-%d", i)
	}
	idList, _ := json.Marshal(ids)
	for _, tc := range []struct{ body, code string }{
		{`{"maxResults":9}`, "ValidationException"},
		{`{"maxResults":101}`, "ValidationException"},
		{`{"caseIdList":` + string(idList) + `}`, "ValidationException"},
		{`{"language":"xx"}`, "InvalidParameterValueException"},
		{`{"afterTime":"yesterday"}`, "InvalidParameterValueException"},
		{`{"nextToken":"garbage"}`, "InvalidParameterValueException"},
		{`{"caseIdList":["case-does-not-exist"]}`, "CaseIdNotFound"},
	} {
		status, m := call(t, f, a, "DescribeCases", tc.body)
		if status != 400 || m["__type"] != tc.code {
			t.Errorf("%s: got %d %v, want %s", tc.body, status, m, tc.code)
		}
	}
	for _, tc := range []struct{ body, code string }{
		{`{}`, "ValidationException"},
		{`{"caseId":"x","maxResults":500}`, "ValidationException"},
		{`{"caseId":"case-does-not-exist"}`, "CaseIdNotFound"},
	} {
		status, m := call(t, f, a, "DescribeCommunications", tc.body)
		if status != 400 || m["__type"] != tc.code {
			t.Errorf("DescribeCommunications %s: got %d %v, want %s", tc.body, status, m, tc.code)
		}
	}

	// A token only continues the query it came from.
	status, m := call(t, f, a, "DescribeCases", `{"language":"en","includeResolvedCases":true,"maxResults":10}`)
	tok, _ := m["nextToken"].(string)
	if status != 200 || tok == "" {
		t.Fatalf("first page: %d %v", status, m)
	}
	status, m = call(t, f, a, "DescribeCases", `{"language":"ja","includeResolvedCases":true,"maxResults":10,"nextToken":"`+tok+`"}`)
	wantAWSError(t, status, m, 400, "InvalidParameterValueException")
	status, _ = call(t, f, a, "DescribeCases", `{"language":"en","includeResolvedCases":true,"maxResults":20,"nextToken":"`+tok+`"}`)
	if status != 200 {
		t.Errorf("same query with another page size: %d", status)
	}
}

// casesOf pages through DescribeCases with raw requests.
func casesOf(t *testing.T, f *fake.Support, a *fake.SupportAccount, query map[string]any) []map[string]any {
	t.Helper()
	var out []map[string]any
	for {
		b, _ := json.Marshal(query)
		status, m := call(t, f, a, "DescribeCases", string(b))
		if status != 200 {
			t.Fatalf("DescribeCases %s: %d %v", b, status, m)
		}
		for _, c := range m["cases"].([]any) {
			out = append(out, c.(map[string]any))
		}
		tok, _ := m["nextToken"].(string)
		if tok == "" {
			return out
		}
		query["nextToken"] = tok
	}
}

func TestSupportFiltersAndStateChanges(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Now().UTC()}
	f := fake.NewSupport(t, fake.WithClock(clk.Now))
	archive := fake.SupportGenerate(300, 5)
	f.Load(archive)
	a := f.SupportAccount

	want := map[string]int{}
	open := 0
	for _, c := range archive {
		want[c.Language]++
		if c.Language == "en" && c.Status != "resolved" {
			open++
		}
	}
	for lang, n := range want {
		got := casesOf(t, f, a, map[string]any{"language": lang, "includeResolvedCases": true, "maxResults": 100, "includeCommunications": false})
		if len(got) != n {
			t.Errorf("%s: %d cases, want %d", lang, len(got), n)
		}
		for _, c := range got {
			if c["language"] != lang {
				t.Fatalf("%s query returned a %v case", lang, c["language"])
			}
			if c["recentCommunications"] != nil {
				t.Fatal("includeCommunications=false returned communications")
			}
		}
	}
	// No language means English; no includeResolvedCases means open only.
	if got := casesOf(t, f, a, map[string]any{"maxResults": 100}); len(got) != open {
		t.Errorf("default query: %d cases, want %d open English cases", len(got), open)
	}

	c := archive[0]
	caseQuery := func() map[string]any {
		return map[string]any{"caseIdList": []string{c.CaseID}, "language": c.Language, "includeResolvedCases": true}
	}
	f.SetStatus(c.CaseID, "opened")
	f.SetStatus(c.CaseID, "resolved")
	if got := casesOf(t, f, a, map[string]any{"caseIdList": []string{c.CaseID}, "language": c.Language}); len(got) != 0 {
		t.Error("resolved case returned without includeResolvedCases")
	}
	f.SetStatus(c.CaseID, "reopened")
	got := casesOf(t, f, a, caseQuery())
	if len(got) != 1 || got[0]["status"] != "reopened" {
		t.Fatalf("after reopening: %v", got)
	}
	recent := got[0]["recentCommunications"].(map[string]any)
	if n := len(recent["communications"].([]any)); n != min(5, len(c.Communications)) {
		t.Errorf("recentCommunications has %d", n)
	}

	f.AddCommunication(c.CaseID, fake.SupportCommunication{Body: "新しい返信です"})
	status, m := call(t, f, a, "DescribeCommunications", `{"caseId":"`+c.CaseID+`","maxResults":10}`)
	first := m["communications"].([]any)[0].(map[string]any)
	if status != 200 || first["body"] != "新しい返信です" || first["submittedBy"] != "Amazon Web Services" {
		t.Errorf("newest communication: %d %v", status, first)
	}

	f.Remove(c.CaseID)
	status, m = call(t, f, a, "DescribeCases", `{"caseIdList":["`+c.CaseID+`"],"language":"`+c.Language+`"}`)
	wantAWSError(t, status, m, 400, "CaseIdNotFound")
	status, m = call(t, f, a, "DescribeCommunications", `{"caseId":"`+c.CaseID+`"}`)
	wantAWSError(t, status, m, 400, "CaseIdNotFound")

	cut := archive[len(archive)/2].TimeCreated
	before := f.NumCases()
	n := f.ExpireBefore(cut)
	if n == 0 || f.NumCases() != before-n {
		t.Errorf("ExpireBefore removed %d of %d", n, before)
	}
	for _, c := range f.Cases() {
		if c.TimeCreated.Before(cut) {
			t.Fatalf("case %s from %v survived retention", c.CaseID, c.TimeCreated)
		}
	}
}

func TestSupportThrottlingAndCalls(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	a := f.SupportAccount
	f.ThrottleNext(2)
	for range 2 {
		status, m := call(t, f, a, "DescribeServices", `{}`)
		wantAWSError(t, status, m, 400, "ThrottlingException")
	}
	if status, _ := call(t, f, a, "DescribeServices", `{}`); status != 200 {
		t.Fatalf("after the burst: %d", status)
	}
	f.ThrottleOp("DescribeSeverityLevels", 1)
	if status, _ := call(t, f, a, "DescribeServices", `{}`); status != 200 {
		t.Fatal("ThrottleOp throttled another operation")
	}
	status, m := call(t, f, a, "DescribeSeverityLevels", `{}`)
	wantAWSError(t, status, m, 400, "ThrottlingException")

	if got := f.Calls("DescribeServices"); got != 4 {
		t.Errorf("DescribeServices calls = %d, want 4", got)
	}
	if got := f.TotalCalls(); got != 5 {
		t.Errorf("total calls = %d, want 5", got)
	}
	if f.CallCounts()["DescribeSeverityLevels"] != 1 {
		t.Errorf("counts %v", f.CallCounts())
	}
	f.ResetCalls()
	if f.TotalCalls() != 0 {
		t.Error("ResetCalls kept counts")
	}
}

func TestSupportAccounts(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	f.Load(fake.SupportGenerate(20, 1))
	cn := f.AddAccount("210987654321", "cn-north-1")
	cn.Load(fake.SupportGen{Cases: 3, Seed: 2, AccountID: "210987654321", Languages: []string{"zh"}}.Generate())
	if cn.AccessKeyID() == f.AccessKeyID() || cn.Region() != "cn-north-1" {
		t.Fatal("accounts share keys")
	}
	got := casesOf(t, f, cn, map[string]any{"language": "zh", "includeResolvedCases": true})
	if len(got) != 3 {
		t.Errorf("cn account sees %d cases, want its own 3", len(got))
	}
	cn.SetSubscriptionRequired(true)
	status, m := call(t, f, cn, "DescribeCases", `{}`)
	wantAWSError(t, status, m, 400, "SubscriptionRequiredException")
	if status, _ := call(t, f, f.SupportAccount, "DescribeCases", `{}`); status != 200 {
		t.Error("one account's missing plan affected another")
	}
	// The cn account's key signed for us-east-1 is refused.
	sp := sigFor(cn)
	sp.region = "us-east-1"
	status, m = supportDo(t, supportRequest(t, f.URL(), "DescribeCases", `{}`, sp))
	wantAWSError(t, status, m, 400, "InvalidSignatureException")
}

func TestSupportMutatingOperations(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	a := f.SupportAccount
	status, m := call(t, f, a, "CreateCase", `{"subject":"本番環境で障害","communicationBody":"EC2 が応答しません","language":"ja","severityCode":"urgent","serviceCode":"amazon-elastic-compute-cloud-linux","categoryCode":"instance-issue"}`)
	id, _ := m["caseId"].(string)
	if status != 200 || !strings.HasPrefix(id, "case-") {
		t.Fatalf("CreateCase: %d %v", status, m)
	}
	c, ok := f.Case(id)
	if !ok || c.Status != "unassigned" || c.Language != "ja" || len(c.Communications) != 1 || c.SeverityCode != "urgent" {
		t.Fatalf("created case: %+v", c)
	}
	for _, tc := range []struct{ body, code string }{
		{`{"communicationBody":"x"}`, "ValidationException"},
		{`{"subject":"x"}`, "ValidationException"},
		{`{"subject":"x","communicationBody":"` + strings.Repeat("a", 8001) + `"}`, "ValidationException"},
		{`{"subject":"x","communicationBody":"y","severityCode":"sev1"}`, "InvalidParameterValueException"},
		{`{"subject":"x","communicationBody":"y","serviceCode":"no-such-service"}`, "InvalidParameterValueException"},
		{`{"subject":"x","communicationBody":"y","dryRun":true}`, "DryRunOperationException"},
		{`{"subject":"x","communicationBody":"y","attachmentSetId":"as-1"}`, "AttachmentSetIdNotFound"},
	} {
		status, m := call(t, f, a, "CreateCase", tc.body)
		if status != 400 || m["__type"] != tc.code {
			t.Errorf("CreateCase %.60s: %d %v, want %s", tc.body, status, m, tc.code)
		}
	}
	if f.NumCases() != 1 {
		t.Fatalf("failed CreateCase calls created cases: %d", f.NumCases())
	}

	status, m = call(t, f, a, "ResolveCase", `{"caseId":"`+id+`"}`)
	if status != 200 || m["initialCaseStatus"] != "unassigned" || m["finalCaseStatus"] != "resolved" {
		t.Fatalf("ResolveCase: %d %v", status, m)
	}
	status, m = call(t, f, a, "AddCommunicationToCase", `{"caseId":"`+id+`","communicationBody":"再発しました"}`)
	if status != 200 || m["result"] != true {
		t.Fatalf("AddCommunicationToCase: %d %v", status, m)
	}
	if c, _ := f.Case(id); c.Status != "reopened" || len(c.Communications) != 2 {
		t.Errorf("after a reply to a resolved case: %s with %d messages", c.Status, len(c.Communications))
	}
	status, m = call(t, f, a, "AddCommunicationToCase", `{"caseId":"case-nope","communicationBody":"x"}`)
	wantAWSError(t, status, m, 400, "CaseIdNotFound")
	status, m = call(t, f, a, "ResolveCase", `{"caseId":"case-nope"}`)
	wantAWSError(t, status, m, 400, "CaseIdNotFound")
}

func TestSupportAttachments(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Now().UTC()}
	f := fake.NewSupport(t, fake.WithClock(clk.Now))
	f.Load(fake.SupportGenerate(100, 9))
	a := f.SupportAccount
	var small, large fake.SupportAttachment
	for _, c := range f.Cases() {
		for _, m := range c.Communications {
			for _, at := range m.Attachments {
				if at.Size > 5<<20 && large.ID == "" {
					large = at
				}
				if at.Size < 100<<10 && small.ID == "" {
					small = at
				}
			}
		}
	}
	if small.ID == "" || large.ID == "" {
		t.Fatal("archive lacks small or large attachments")
	}
	sp := sigFor(a)
	sp.at = clk.Now()
	status, m := supportDo(t, supportRequest(t, f.URL(), "DescribeAttachment", `{"attachmentId":"`+small.ID+`"}`, sp))
	att, _ := m["attachment"].(map[string]any)
	if status != 200 || att["fileName"] != small.FileName {
		t.Fatalf("DescribeAttachment: %d %v", status, m)
	}
	var data []byte
	_ = json.Unmarshal([]byte(`"`+att["data"].(string)+`"`), &data)
	if string(data) != string(small.Content()) {
		t.Error("attachment data differs")
	}
	status, m = supportDo(t, supportRequest(t, f.URL(), "DescribeAttachment", `{"attachmentId":"`+large.ID+`"}`, sp))
	wantAWSError(t, status, m, 400, "InvalidParameterValueException")
	status, m = supportDo(t, supportRequest(t, f.URL(), "DescribeAttachment", `{"attachmentId":"attachment-nope"}`, sp))
	wantAWSError(t, status, m, 400, "AttachmentIdNotFound")

	status, m = supportDo(t, supportRequest(t, f.URL(), "GetAttachmentDownloadLink", `{"attachmentId":"`+large.ID+`"}`, sp))
	link, _ := m["downloadUrl"].(map[string]any)["url"].(string)
	if status != 200 || m["fileName"] != large.FileName || link == "" {
		t.Fatalf("GetAttachmentDownloadLink: %d %v", status, m)
	}
	status, _, body := get(t, link)
	if status != 200 || len(body) != large.Size || body != string(large.Content()) {
		t.Fatalf("download: %d, %d bytes", status, len(body))
	}
	if f.Downloads() != 1 {
		t.Errorf("downloads = %d", f.Downloads())
	}
	status, _, body = get(t, strings.Replace(link, "X-Amz-Signature=", "X-Amz-Signature=0", 1))
	if status != 403 || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Errorf("tampered link: %d %s", status, body)
	}
	clk.Add(2 * time.Hour)
	status, _, body = get(t, link)
	if status != 403 || !strings.Contains(body, "expired") {
		t.Errorf("expired link: %d %s", status, body)
	}

	// Only attachments up to 5 MB are in attachmentSet; attachments lists all.
	var holder fake.SupportCase
	for _, c := range f.Cases() {
		if slices.ContainsFunc(c.Communications, func(m fake.SupportCommunication) bool {
			return slices.ContainsFunc(m.Attachments, func(x fake.SupportAttachment) bool { return x.ID == large.ID })
		}) {
			holder = c
		}
	}
	sp.at = clk.Now()
	body2, _ := json.Marshal(map[string]any{"caseId": holder.CaseID, "maxResults": 100})
	status, m = supportDo(t, supportRequest(t, f.URL(), "DescribeCommunications", string(body2), sp))
	if status != 200 {
		t.Fatalf("DescribeCommunications: %d %v", status, m)
	}
	for _, x := range m["communications"].([]any) {
		cm := x.(map[string]any)
		inAll, inSet := false, false
		for _, d := range cm["attachments"].([]any) {
			inAll = inAll || d.(map[string]any)["attachmentId"] == large.ID
		}
		for _, d := range cm["attachmentSet"].([]any) {
			inSet = inSet || d.(map[string]any)["attachmentId"] == large.ID
		}
		if inSet {
			t.Error("attachment over 5 MB listed in attachmentSet")
		}
		if inAll {
			return
		}
	}
	t.Error("large attachment not listed in attachments")
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// TestSupportMemberNamesExact: the real service matches member names
// exactly and ignores any other key, so a client that misspells one
// ("CaseIDList") loses it silently. The fake refuses every key that is not
// exactly a member name of the operation's input, for every operation it
// implements, and accepts the exact names.
func TestSupportMemberNamesExact(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	f.Load(fake.SupportGenerate(20, 4))
	a := f.SupportAccount
	caseID := f.Cases()[0].CaseID
	for _, tc := range []struct {
		op, bad, key, good string
	}{
		{"DescribeCases", `{"CaseIdList":["` + caseID + `"]}`, "CaseIdList", `{"caseIdList":["` + caseID + `"]}`},
		{"DescribeCases", `{"caseIDList":["` + caseID + `"]}`, "caseIDList", `{"caseIdList":["` + caseID + `"],"includeResolvedCases":true}`},
		{"DescribeCases", `{"includeresolvedcases":true}`, "includeresolvedcases", `{"includeResolvedCases":true,"includeCommunications":false,"maxResults":10,"language":"en"}`},
		{"DescribeCases", `{"MaxResults":10}`, "MaxResults", `{"afterTime":"2020-01-01","beforeTime":"2030-01-01","displayId":"1"}`},
		{"DescribeCommunications", `{"CaseId":"` + caseID + `"}`, "CaseId", `{"caseId":"` + caseID + `","maxResults":10}`},
		{"DescribeCommunications", `{"caseId":"` + caseID + `","nexttoken":""}`, "nexttoken", `{"caseId":"` + caseID + `","afterTime":"2020-01-01","beforeTime":"2030-01-01"}`},
		{"DescribeAttachment", `{"attachmentID":"x"}`, "attachmentID", `{"attachmentId":"x","dryRun":true}`},
		{"GetAttachmentDownloadLink", `{"AttachmentId":"x"}`, "AttachmentId", `{"attachmentId":"x"}`},
		{"DescribeServices", `{"serviceCodelist":["aws-lambda"]}`, "serviceCodelist", `{"serviceCodeList":["aws-lambda"],"language":"ja"}`},
		{"DescribeSeverityLevels", `{"Language":"en"}`, "Language", `{"language":"en"}`},
		{"CreateCase", `{"subject":"s","communicationBody":"b","SeverityCode":"low"}`, "SeverityCode", `{"subject":"s","communicationBody":"b","severityCode":"low","ccEmailAddresses":["a@example.com"],"issueType":"technical","language":"en","serviceCode":"general-info"}`},
		{"CreateCase", `{"subject":"s","communicationBody":"b","ccEmailAddress":["a@example.com"]}`, "ccEmailAddress", `{"subject":"s","communicationBody":"b","categoryCode":"using-aws"}`},
		{"AddCommunicationToCase", `{"caseId":"` + caseID + `","CommunicationBody":"b"}`, "CommunicationBody", `{"caseId":"` + caseID + `","communicationBody":"b","ccEmailAddresses":[]}`},
		{"ResolveCase", `{"caseID":"` + caseID + `"}`, "caseID", `{"caseId":"` + caseID + `"}`},
		// A member of another operation is not one of this one's.
		{"ResolveCase", `{"caseId":"` + caseID + `","language":"en"}`, "language", ""},
	} {
		status, m := call(t, f, a, tc.op, tc.bad)
		wantAWSError(t, status, m, 400, "SerializationException")
		if msg, _ := m["message"].(string); !strings.Contains(msg, `"`+tc.key+`"`) {
			t.Errorf("%s %s: message %q does not name the member", tc.op, tc.bad, msg)
		}
		if tc.good == "" {
			continue
		}
		status, m = call(t, f, a, tc.op, tc.good)
		if status == 400 && m["__type"] == "SerializationException" {
			t.Errorf("%s %s: exact member names refused: %v", tc.op, tc.good, m)
		}
	}
}
