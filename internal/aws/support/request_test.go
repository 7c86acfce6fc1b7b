package support_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/opsdesk/opsdesk/internal/aws/support"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// roundTrip is an HTTP client that answers every request itself.
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) Do(r *http.Request) (*http.Response, error) { return f(r) }

func answer(status int, body string) *http.Response {
	return &http.Response{
		StatusCode: status,
		Header:     http.Header{"Content-Type": {support.ContentType}},
		Body:       io.NopCloser(strings.NewReader(body)),
	}
}

// dumpRequest renders a request deterministically for a golden file.
func dumpRequest(r *http.Request, body []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", r.Method, r.URL)
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(r.Header[k], ", "))
	}
	fmt.Fprintf(&b, "\n%s\n", body)
	return b.String()
}

// TestCreateCaseRequestKnownAnswer pins the exact bytes of a CreateCase
// request. The body with the AWS SDK for Go v2's placeholder values must
// equal the SDK's own request snapshot for CreateCase
// (service/support/request_snapshot/CreateCase.request.snap: members in
// alphabetical order, compact JSON); the full signed request, with fixed
// credentials and time, is pinned in testdata.
func TestCreateCaseRequestKnownAnswer(t *testing.T) {
	t.Parallel()
	const sdkSnapshotBody = `{"attachmentSetId":"__AttachmentSetId__","categoryCode":"__CategoryCode__","ccEmailAddresses":["__Member__","__Member__"],"communicationBody":"__CommunicationBody__","dryRun":true,"issueType":"__IssueType__","language":"__Language__","serviceCode":"__ServiceCode__","severityCode":"__SeverityCode__","subject":"__Subject__","uploadIds":["__Member__","__Member__"]}`

	var gotReq *http.Request
	var gotBody []byte
	c, err := support.New(support.Options{
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""),
		LookupEnv:   noEnv,
		Now:         func() time.Time { return time.Date(2025, 4, 15, 9, 30, 0, 0, time.UTC) },
		HTTPClient: roundTrip(func(r *http.Request) (*http.Response, error) {
			gotReq = r
			gotBody, _ = io.ReadAll(r.Body)
			return answer(200, `{"caseId":"case-123456789012-muen-2025-0123456789abcdef"}`), nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	out, err := c.CreateCase(ctx, &support.CreateCaseInput{
		AttachmentSetID:   "__AttachmentSetId__",
		CategoryCode:      "__CategoryCode__",
		CcEmailAddresses:  []string{"__Member__", "__Member__"},
		CommunicationBody: "__CommunicationBody__",
		DryRun:            true,
		IssueType:         "__IssueType__",
		Language:          "__Language__",
		ServiceCode:       "__ServiceCode__",
		SeverityCode:      "__SeverityCode__",
		Subject:           "__Subject__",
		UploadIDs:         []string{"__Member__", "__Member__"},
	})
	if err != nil || out.CaseID != "case-123456789012-muen-2025-0123456789abcdef" {
		t.Fatalf("CreateCase: %v %+v", err, out)
	}
	if string(gotBody) != sdkSnapshotBody {
		t.Fatalf("body\n%s\nwant the SDK snapshot\n%s", gotBody, sdkSnapshotBody)
	}
	if gotReq.Method != http.MethodPost || gotReq.URL.String() != "https://support.us-east-1.amazonaws.com/" ||
		gotReq.Header.Get("Content-Type") != "application/x-amz-json-1.1" ||
		gotReq.Header.Get("X-Amz-Target") != "AWSSupport_20130415.CreateCase" {
		t.Fatalf("request line or headers: %s %s %v", gotReq.Method, gotReq.URL, gotReq.Header)
	}

	// A realistic request: Japanese text and <, >, & travel unescaped,
	// optional members are left out.
	if _, err := c.CreateCase(ctx, &support.CreateCaseInput{
		Subject:           "本番 DB 障害 <prod-db-01> & 接続不可",
		CommunicationBody: "09:30 UTC から接続できません。",
		ServiceCode:       "amazon-relational-database-service-mysql",
		CategoryCode:      "connectivity",
		SeverityCode:      "urgent",
		Language:          "ja",
	}); err != nil {
		t.Fatal(err)
	}
	if want := independentSignature(t, gotReq, gotBody, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"); !strings.HasSuffix(gotReq.Header.Get("Authorization"), "Signature="+want) {
		t.Errorf("Authorization %s, want signature %s", gotReq.Header.Get("Authorization"), want)
	}
	golden := filepath.Join("testdata", "CreateCase.request.golden")
	got := dumpRequest(gotReq, gotBody)
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("request differs from %s:\n%s\nwant:\n%s", golden, got, want)
	}
}

func TestPaginatorStopsOnRepeatedToken(t *testing.T) {
	t.Parallel()
	calls := 0
	c, err := support.New(support.Options{
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		LookupEnv:   noEnv,
		HTTPClient: roundTrip(func(r *http.Request) (*http.Response, error) {
			calls++
			return answer(200, `{"cases":[],"nextToken":"same-token-every-time"}`), nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeAllCases(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "repeated nextToken") || calls != 2 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
	_, err = c.DescribeAllCommunications(context.Background(), &support.DescribeCommunicationsInput{CaseID: "case-1"})
	if err == nil || !strings.Contains(err.Error(), "repeated nextToken") {
		t.Fatalf("communications: %v", err)
	}
}

func TestMalformedResponse(t *testing.T) {
	t.Parallel()
	c, err := support.New(support.Options{
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		LookupEnv:   noEnv,
		HTTPClient: roundTrip(func(r *http.Request) (*http.Response, error) {
			return answer(200, `{"cases":"not a list"}`), nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeCases(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "decode response") {
		t.Fatalf("err %v", err)
	}
}

// independentSignature computes the SigV4 signature of r from the
// specification (canonical request, string to sign, HMAC key chain) without
// the SDK, for the headers r's Authorization says were signed.
func independentSignature(t *testing.T, r *http.Request, body []byte, secret string) string {
	t.Helper()
	auth := r.Header.Get("Authorization")
	_, signed, _ := strings.Cut(auth, "SignedHeaders=")
	signed, _, _ = strings.Cut(signed, ",")
	var canon strings.Builder
	for _, h := range strings.Split(signed, ";") {
		v := r.Header.Get(h)
		switch h {
		case "host":
			v = r.URL.Host
		case "content-length":
			v = fmt.Sprint(len(body))
		}
		fmt.Fprintf(&canon, "%s:%s\n", h, strings.TrimSpace(v))
	}
	payload := sha256.Sum256(body)
	request := strings.Join([]string{r.Method, "/", "", canon.String(), signed, hex.EncodeToString(payload[:])}, "\n")
	amzDate := r.Header.Get("X-Amz-Date")
	scope := amzDate[:8] + "/us-east-1/support/aws4_request"
	reqHash := sha256.Sum256([]byte(request))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(reqHash[:])
	mac := func(key []byte, data string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(data))
		return m.Sum(nil)
	}
	key := mac([]byte("AWS4"+secret), amzDate[:8])
	key = mac(key, "us-east-1")
	key = mac(key, "support")
	key = mac(key, "aws4_request")
	return hex.EncodeToString(mac(key, toSign))
}
