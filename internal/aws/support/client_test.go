package support_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/opsdesk/opsdesk/internal/aws/support"
	"github.com/opsdesk/opsdesk/internal/fake"
)

// noEnv is a LookupEnv with no variables set.
func noEnv(string) (string, bool) { return "", false }

// sleeps records the backoff delays a client asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

// newClient returns a client for the fake's default account: standard
// retry mode with 3 attempts and a recording no-op sleep.
func newClient(t *testing.T, f *fake.Support, mods ...func(*support.Options)) (*support.Client, *sleeps) {
	t.Helper()
	s := &sleeps{}
	o := support.Options{
		Credentials: f.CredentialsProvider(),
		Endpoint:    f.URL(),
		LookupEnv:   noEnv,
		HTTPClient:  &http.Client{Timeout: 10 * time.Second},
		RetryMode:   aws.RetryModeStandard,
		MaxAttempts: 3,
		Sleep:       s.sleep,
	}
	for _, m := range mods {
		m(&o)
	}
	c, err := support.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// noSecret fails the test if err's text contains any of the secrets.
func noSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error contains a secret: %v", err)
		}
	}
}

func apiError(t *testing.T, err error, code string) *support.APIError {
	t.Helper()
	var e *support.APIError
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *APIError", err)
	}
	if e.Code != code {
		t.Fatalf("error code %q, want %q (%v)", e.Code, code, err)
	}
	return e
}

func TestEveryOperation(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	f.Load(fake.SupportGenerate(120, 3))
	c, _ := newClient(t, f)
	ctx := context.Background()

	svcs, err := c.DescribeServices(ctx, nil)
	if err != nil || len(svcs.Services) < 10 || len(svcs.Services[0].Categories) == 0 {
		t.Fatalf("DescribeServices: %v %+v", err, svcs)
	}
	one, err := c.DescribeServices(ctx, &support.DescribeServicesInput{ServiceCodeList: []string{"aws-lambda"}, Language: "ja"})
	if err != nil || len(one.Services) != 1 || one.Services[0].Code != "aws-lambda" {
		t.Fatalf("DescribeServices(aws-lambda): %v %+v", err, one)
	}
	levels, err := c.DescribeSeverityLevels(ctx, &support.DescribeSeverityLevelsInput{Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, l := range levels.SeverityLevels {
		codes = append(codes, l.Code)
	}
	if !slices.Equal(codes, []string{"low", "normal", "high", "urgent", "critical"}) {
		t.Fatalf("severity levels %v", codes)
	}

	created, err := c.CreateCase(ctx, &support.CreateCaseInput{
		Subject:           "本番環境の EC2 で障害が発生",
		CommunicationBody: "i-0123456789abcdef0 が応答しません。<至急>",
		ServiceCode:       "amazon-elastic-compute-cloud-linux",
		CategoryCode:      "instance-issue",
		SeverityCode:      support.SeverityUrgent,
		Language:          "ja",
		CcEmailAddresses:  []string{"oncall@example.com"},
		IssueType:         "technical",
	})
	if err != nil || !strings.HasPrefix(created.CaseID, "case-") {
		t.Fatalf("CreateCase: %v %+v", err, created)
	}
	got, err := c.DescribeCases(ctx, &support.DescribeCasesInput{CaseIDList: []string{created.CaseID}, Language: "ja"})
	if err != nil || len(got.Cases) != 1 {
		t.Fatalf("DescribeCases(created): %v %+v", err, got)
	}
	cd := got.Cases[0]
	if cd.Status != support.StatusUnassigned || cd.SeverityCode != "urgent" || cd.Language != "ja" || cd.Subject != "本番環境の EC2 で障害が発生" ||
		cd.RecentCommunications == nil || len(cd.RecentCommunications.Communications) != 1 ||
		cd.RecentCommunications.Communications[0].Body != "i-0123456789abcdef0 が応答しません。<至急>" {
		t.Fatalf("created case reads back as %+v", cd)
	}
	if _, err := cd.Created(); err != nil {
		t.Fatal(err)
	}
	byDisplay, err := c.DescribeCases(ctx, &support.DescribeCasesInput{DisplayID: cd.DisplayID, Language: "ja"})
	if err != nil || len(byDisplay.Cases) != 1 || byDisplay.Cases[0].CaseID != cd.CaseID {
		t.Fatalf("DescribeCases(displayId): %v %+v", err, byDisplay)
	}

	added, err := c.AddCommunicationToCase(ctx, &support.AddCommunicationToCaseInput{CaseID: cd.CaseID, CommunicationBody: "再起動後も改善しません。"})
	if err != nil || !added.Result {
		t.Fatalf("AddCommunicationToCase: %v %+v", err, added)
	}
	comms, err := c.DescribeCommunications(ctx, &support.DescribeCommunicationsInput{CaseID: cd.CaseID})
	if err != nil || len(comms.Communications) != 2 || comms.Communications[0].Body != "再起動後も改善しません。" {
		t.Fatalf("DescribeCommunications: %v %+v", err, comms)
	}

	resolved, err := c.ResolveCase(ctx, &support.ResolveCaseInput{CaseID: cd.CaseID})
	if err != nil || resolved.InitialCaseStatus != support.StatusUnassigned || resolved.FinalCaseStatus != support.StatusResolved {
		t.Fatalf("ResolveCase: %v %+v", err, resolved)
	}
	hidden, err := c.DescribeCases(ctx, &support.DescribeCasesInput{CaseIDList: []string{cd.CaseID}, Language: "ja"})
	if err != nil || len(hidden.Cases) != 0 {
		t.Fatalf("resolved case without includeResolvedCases: %v %+v", err, hidden)
	}

	// Attachments: a small one through DescribeAttachment, a large one
	// (refused there) through a download link.
	var small, large fake.SupportAttachment
	for _, sc := range f.Cases() {
		for _, m := range sc.Communications {
			for _, a := range m.Attachments {
				if a.Size > 5<<20 {
					large = a
				} else if small.ID == "" {
					small = a
				}
			}
		}
	}
	att, err := c.DescribeAttachment(ctx, &support.DescribeAttachmentInput{AttachmentID: small.ID})
	if err != nil || att.Attachment.FileName != small.FileName || !bytes.Equal(att.Attachment.Data, small.Content()) {
		t.Fatalf("DescribeAttachment: %v", err)
	}
	_, err = c.DescribeAttachment(ctx, &support.DescribeAttachmentInput{AttachmentID: large.ID})
	apiError(t, err, support.CodeInvalidParameterValue)
	link, err := c.GetAttachmentDownloadLink(ctx, &support.GetAttachmentDownloadLinkInput{AttachmentID: large.ID})
	if err != nil || link.FileName != large.FileName || link.DownloadURL.ExpiryDate == "" {
		t.Fatalf("GetAttachmentDownloadLink: %v %+v", err, link)
	}
	h := sha256.New()
	n, err := c.DownloadAttachment(ctx, link.DownloadURL.URL, h)
	want := sha256.Sum256(large.Content())
	if err != nil || n != int64(large.Size) || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("DownloadAttachment: %v, %d bytes", err, n)
	}
	_, err = c.GetAttachmentDownloadLink(ctx, &support.GetAttachmentDownloadLinkInput{AttachmentID: "attachment-nope"})
	apiError(t, err, support.CodeAttachmentIDNotFound)

	for _, op := range []string{support.OpDescribeCases, support.OpDescribeCommunications, support.OpDescribeAttachment,
		support.OpGetAttachmentDownloadLink, support.OpDescribeServices, support.OpDescribeSeverityLevels,
		support.OpCreateCase, support.OpAddCommunicationToCase, support.OpResolveCase} {
		if f.Calls(op) == 0 {
			t.Errorf("%s never reached the fake", op)
		}
	}

	// Required members are checked before anything is sent.
	before := f.TotalCalls()
	for _, err := range []error{
		func() error { _, err := c.CreateCase(ctx, &support.CreateCaseInput{Subject: "x"}); return err }(),
		func() error {
			_, err := c.DescribeCommunications(ctx, &support.DescribeCommunicationsInput{})
			return err
		}(),
		func() error { _, err := c.ResolveCase(ctx, nil); return err }(),
		func() error { _, err := c.DescribeAttachment(ctx, &support.DescribeAttachmentInput{}); return err }(),
	} {
		if err == nil || !strings.Contains(err.Error(), "is required") {
			t.Errorf("missing member: %v", err)
		}
	}
	if f.TotalCalls() != before {
		t.Error("invalid input was sent")
	}
}

func TestPaginationCollectsEverythingOnce(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	archive := fake.SupportGenerate(1200, 42)
	f.Load(archive)
	c, _ := newClient(t, f)
	ctx := context.Background()

	perLang := map[string]map[string]bool{}
	for _, sc := range archive {
		if perLang[sc.Language] == nil {
			perLang[sc.Language] = map[string]bool{}
		}
		perLang[sc.Language][sc.CaseID] = true
	}
	pages := 0
	for _, lang := range []string{"en", "ja", "zh", "ko"} {
		seen := map[string]bool{}
		err := c.DescribeCasesPages(ctx, &support.DescribeCasesInput{
			Language: lang, IncludeResolvedCases: true, MaxResults: 100, IncludeCommunications: support.Bool(false),
		}, func(p *support.DescribeCasesOutput) error {
			for _, cd := range p.Cases {
				if seen[cd.CaseID] {
					t.Fatalf("%s: case %s returned twice", lang, cd.CaseID)
				}
				if cd.Language != lang || !perLang[lang][cd.CaseID] {
					t.Fatalf("%s: unexpected case %s (%s)", lang, cd.CaseID, cd.Language)
				}
				seen[cd.CaseID] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != len(perLang[lang]) {
			t.Errorf("%s: %d cases, want %d", lang, len(seen), len(perLang[lang]))
		}
		pages += (len(perLang[lang]) + 99) / 100
	}
	if got := f.Calls(support.OpDescribeCases); got != pages {
		t.Errorf("%d DescribeCases calls, want exactly %d pages", got, pages)
	}

	// Open cases only (the default), in English (the default language).
	open, err := c.DescribeAllCases(ctx, &support.DescribeCasesInput{MaxResults: 50})
	if err != nil {
		t.Fatal(err)
	}
	wantOpen := 0
	for _, sc := range archive {
		if sc.Language == "en" && sc.Status != support.StatusResolved {
			wantOpen++
		}
	}
	if len(open) != wantOpen {
		t.Errorf("open English cases: %d, want %d", len(open), wantOpen)
	}

	// Every communication of the longest thread, newest first, once.
	var long fake.SupportCase
	for _, sc := range archive {
		if len(sc.Communications) > len(long.Communications) {
			long = sc
		}
	}
	if len(long.Communications) <= 50 {
		t.Fatalf("longest thread has %d messages", len(long.Communications))
	}
	all, err := c.DescribeAllCommunications(ctx, &support.DescribeCommunicationsInput{CaseID: long.CaseID, MaxResults: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(long.Communications) {
		t.Fatalf("%d communications, want %d", len(all), len(long.Communications))
	}
	for i, m := range all {
		w := long.Communications[len(long.Communications)-1-i]
		ct, _ := m.Created()
		if m.Body != w.Body || !ct.Equal(w.TimeCreated) || m.CaseID != long.CaseID {
			t.Fatalf("communication %d differs", i)
		}
	}

	// recentCommunications' token continues with DescribeCommunications.
	head, err := c.DescribeCases(ctx, &support.DescribeCasesInput{CaseIDList: []string{long.CaseID}, Language: long.Language, IncludeResolvedCases: true})
	if err != nil || len(head.Cases) != 1 {
		t.Fatalf("DescribeCases(long): %v", err)
	}
	recent := head.Cases[0].RecentCommunications
	rest, err := c.DescribeAllCommunications(ctx, &support.DescribeCommunicationsInput{CaseID: long.CaseID, NextToken: recent.NextToken, MaxResults: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(recent.Communications) != 5 || len(recent.Communications)+len(rest) != len(long.Communications) || rest[0].Body != all[5].Body {
		t.Errorf("recent %d + rest %d != %d", len(recent.Communications), len(rest), len(long.Communications))
	}
}

func TestPaginationStableWhileCasesChange(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	archive := fake.SupportGen{Cases: 60, Seed: 11, Languages: []string{"en"}}.Generate()
	f.Load(archive)
	c, _ := newClient(t, f)
	ctx := context.Background()

	seen := map[string]bool{}
	removed := archive[len(archive)-1].CaseID // oldest: not on the first page
	page := 0
	err := c.DescribeCasesPages(ctx, &support.DescribeCasesInput{IncludeResolvedCases: true, MaxResults: 10}, func(p *support.DescribeCasesOutput) error {
		page++
		for _, cd := range p.Cases {
			if seen[cd.CaseID] {
				t.Fatalf("case %s returned twice", cd.CaseID)
			}
			seen[cd.CaseID] = true
		}
		if page == 1 {
			// Between pages: a new case arrives, an old one expires, a
			// seen one changes status.
			if _, err := c.CreateCase(ctx, &support.CreateCaseInput{Subject: "new", CommunicationBody: "new"}); err != nil {
				return err
			}
			f.Remove(removed)
			f.SetStatus(p.Cases[0].CaseID, support.StatusReopened)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen[removed] || len(seen) != len(archive)-1 {
		t.Errorf("saw %d cases (removed one seen: %v), want %d", len(seen), seen[removed], len(archive)-1)
	}
}

func TestTimeFilters(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	archive := fake.SupportGenerate(200, 8)
	f.Load(archive)
	c, _ := newClient(t, f)
	from := fake.SupportGenEnd.AddDate(0, -6, 0)
	to := fake.SupportGenEnd.AddDate(0, -3, 0)
	got, err := c.DescribeAllCases(context.Background(), &support.DescribeCasesInput{
		Language: "ja", IncludeResolvedCases: true, MaxResults: 100,
		AfterTime: support.FormatTime(from), BeforeTime: support.FormatTime(to),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, sc := range archive {
		if sc.Language == "ja" && !sc.TimeCreated.Before(from) && !sc.TimeCreated.After(to) {
			want++
		}
	}
	if len(got) != want || want == 0 {
		t.Fatalf("%d cases in the window, want %d", len(got), want)
	}
	for _, cd := range got {
		ct, err := cd.Created()
		if err != nil || ct.Before(from) || ct.After(to) {
			t.Fatalf("case from %v outside [%v, %v]", ct, from, to)
		}
	}
	comms, err := c.DescribeAllCommunications(context.Background(), &support.DescribeCommunicationsInput{
		CaseID: got[0].CaseID, AfterTime: got[0].TimeCreated, MaxResults: 10,
	})
	if err != nil || len(comms) == 0 {
		t.Fatalf("communications after case creation: %v %d", err, len(comms))
	}
}

func TestThrottlingRetriedThenSucceeds(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	var logs bytes.Buffer
	c, s := newClient(t, f, func(o *support.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	f.ThrottleNext(2)
	if _, err := c.DescribeSeverityLevels(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got := f.Calls(support.OpDescribeSeverityLevels); got != 3 {
		t.Errorf("%d calls, want 3", got)
	}
	d := s.all()
	if len(d) != 2 {
		t.Fatalf("slept %v, want 2 backoffs", d)
	}
	for _, x := range d {
		if x < 0 || x > support.DefaultMaxBackoff {
			t.Errorf("backoff %v", x)
		}
	}
	if !strings.Contains(logs.String(), "ThrottlingException") || strings.Contains(logs.String(), f.SecretAccessKey()) {
		t.Errorf("retry log: %s", logs.String())
	}
}

func TestThrottlingGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	c, s := newClient(t, f)
	f.ThrottleNext(10)
	_, err := c.DescribeCases(context.Background(), nil)
	e := apiError(t, err, support.CodeThrottling)
	if e.StatusCode != 400 || e.Message != "Rate exceeded" || e.RequestID == "" || !e.Throttling() {
		t.Errorf("error %+v", e)
	}
	var mae *retry.MaxAttemptsError
	if !errors.As(err, &mae) || mae.Attempt != 3 {
		t.Errorf("not a MaxAttemptsError after 3 attempts: %v", err)
	}
	if got := f.Calls(support.OpDescribeCases); got != 3 || len(s.all()) != 2 {
		t.Errorf("%d calls, %d sleeps; want 3 and 2", got, len(s.all()))
	}
	noSecret(t, err, f.SecretAccessKey())
}

func TestServerErrorsRetried(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	c, s := newClient(t, f)
	ctx := context.Background()

	f.FailNext(1, fake.Failure{Status: 503})
	f.FailNext(1, fake.Failure{Status: 500})
	if _, err := c.DescribeServices(ctx, nil); err != nil {
		t.Fatalf("after 503 and 500: %v", err)
	}
	f.FailNext(1, fake.Failure{Status: 429, RetryAfter: "7"})
	if _, err := c.DescribeServices(ctx, nil); err != nil {
		t.Fatalf("after 429: %v", err)
	}
	if d := s.all(); len(d) != 3 || d[2] != 7*time.Second {
		t.Errorf("sleeps %v, want Retry-After 7s last", d)
	}

	f.FailNext(3, fake.Failure{Status: 502})
	_, err := c.DescribeServices(ctx, nil)
	if e := apiError(t, err, support.CodeInternalServerError); e.StatusCode != 502 {
		t.Errorf("status %d", e.StatusCode)
	}

	// Client errors are not retried.
	before := f.Calls(support.OpDescribeCommunications)
	_, err = c.DescribeCommunications(ctx, &support.DescribeCommunicationsInput{CaseID: "case-nope"})
	apiError(t, err, support.CodeCaseIDNotFound)
	if f.Calls(support.OpDescribeCommunications) != before+1 {
		t.Error("CaseIdNotFound was retried")
	}
	_, err = c.DescribeCases(ctx, &support.DescribeCasesInput{MaxResults: 5})
	apiError(t, err, "ValidationException")
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, _ := newClient(t, f, func(o *support.Options) {
		o.MaxAttempts = 10
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			cancel()
			return ctx.Err()
		}
	})
	f.ThrottleNext(5)
	_, err := c.DescribeServices(ctx, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	apiError(t, err, support.CodeThrottling)
	if got := f.Calls(support.OpDescribeServices); got != 1 {
		t.Errorf("%d calls after cancel", got)
	}
}

func TestSubscriptionRequired(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	f.SetSubscriptionRequired(true)
	c, _ := newClient(t, f)
	_, err := c.DescribeCases(context.Background(), &support.DescribeCasesInput{IncludeResolvedCases: true})
	if !errors.Is(err, support.ErrSubscriptionRequired) {
		t.Fatalf("err %v does not match ErrSubscriptionRequired", err)
	}
	apiError(t, err, support.CodeSubscriptionRequired)
	msg := err.Error()
	for _, want := range []string{"DescribeCases", "no Business, Enterprise On-Ramp or Enterprise Support plan", "SubscriptionRequiredException"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if f.Calls(support.OpDescribeCases) != 1 {
		t.Error("SubscriptionRequiredException was retried")
	}
	if errors.Is(errors.New("x"), support.ErrSubscriptionRequired) {
		t.Error("unrelated error matches")
	}
}

func TestSignatureScopeAndRegion(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	ctx := context.Background()

	c, _ := newClient(t, f)
	if _, err := c.DescribeSeverityLevels(ctx, nil); err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	r := reqs[len(reqs)-1]
	auth := r.Header.Get("Authorization")
	day := r.Header.Get("X-Amz-Date")
	if len(day) != 16 {
		t.Fatalf("X-Amz-Date %q", day)
	}
	wantPrefix := "AWS4-HMAC-SHA256 Credential=" + f.AccessKeyID() + "/" + day[:8] + "/us-east-1/support/aws4_request, SignedHeaders="
	if !strings.HasPrefix(auth, wantPrefix) {
		t.Fatalf("Authorization %q, want prefix %q", auth, wantPrefix)
	}
	for _, h := range []string{"content-type", "host", "x-amz-date", "x-amz-target"} {
		if !strings.Contains(auth, h) {
			t.Errorf("%s not signed: %s", h, auth)
		}
	}
	if r.Header.Get("Content-Type") != support.ContentType || r.Header.Get("X-Amz-Target") != "AWSSupport_20130415.DescribeSeverityLevels" || r.Path != "/" || r.Method != http.MethodPost {
		t.Errorf("request %s %s %v", r.Method, r.Path, r.Header)
	}

	// An aws-cn account, reached through AWS_ENDPOINT_URL_SUPPORT, signs
	// for cn-north-1; the fake recomputes and accepts the signature.
	cn := f.AddAccount("210987654321", "cn-north-1")
	cnClient, _ := newClient(t, f, func(o *support.Options) {
		o.Credentials = cn.CredentialsProvider()
		o.Partition = support.PartitionChina
		o.Endpoint = ""
		o.LookupEnv = func(k string) (string, bool) {
			if k == support.EnvEndpointSupport {
				return f.URL(), true
			}
			return "", false
		}
	})
	if ep := cnClient.Endpoint(); ep.URL != f.URL() || ep.SigningRegion != "cn-north-1" || ep.Source != support.EnvEndpointSupport {
		t.Fatalf("endpoint %+v", ep)
	}
	if _, err := cnClient.DescribeServices(ctx, nil); err != nil {
		t.Fatal(err)
	}
	reqs = f.Requests()
	if auth := reqs[len(reqs)-1].Header.Get("Authorization"); !strings.Contains(auth, "/cn-north-1/support/aws4_request") {
		t.Errorf("aws-cn scope: %s", auth)
	}

	// The same account signing for the aws partition's region is refused.
	wrongRegion, _ := newClient(t, f, func(o *support.Options) { o.Credentials = cn.CredentialsProvider() })
	_, err := wrongRegion.DescribeServices(ctx, nil)
	apiError(t, err, "InvalidSignatureException")
	noSecret(t, err, cn.SecretAccessKey())

	// A wrong secret key: rejected, not retried, and never echoed.
	const wrong = "wrongSecretKey/9999+abcdefghijklmnopqrstuv"
	bad, _ := newClient(t, f, func(o *support.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(f.AccessKeyID(), wrong, "")
	})
	before := f.Calls(support.OpDescribeCases)
	_, err = bad.DescribeCases(ctx, nil)
	apiError(t, err, "InvalidSignatureException")
	noSecret(t, err, wrong, f.SecretAccessKey())
	if f.Calls(support.OpDescribeCases) != before+1 {
		t.Error("a signature error was retried")
	}

	unknown, _ := newClient(t, f, func(o *support.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider("AKIAUNKNOWNKEY000000", wrong, "")
	})
	_, err = unknown.DescribeCases(ctx, nil)
	apiError(t, err, "UnrecognizedClientException")
	noSecret(t, err, wrong)

	// Session tokens are signed too.
	session, _ := newClient(t, f, func(o *support.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(f.AccessKeyID(), f.SecretAccessKey(), "FwoGZXIvYXdzEXAMPLETOKEN")
	})
	if _, err := session.DescribeSeverityLevels(ctx, nil); err != nil {
		t.Fatalf("with a session token: %v", err)
	}
}

func TestHTTPClientTimeout(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	f.SetDelay(5 * time.Second) // ends early when the client hangs up
	c, s := newClient(t, f, func(o *support.Options) {
		o.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond}
		o.MaxAttempts = 2
	})
	_, err := c.DescribeServices(context.Background(), nil)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err %v, want a timeout", err)
	}
	if len(s.all()) != 1 || f.Calls(support.OpDescribeServices) != 2 {
		t.Errorf("timeouts: %d sleeps, %d calls; want 1 and 2", len(s.all()), f.Calls(support.OpDescribeServices))
	}
}

func TestResponseSizeBounded(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	c, _ := newClient(t, f, func(o *support.Options) { o.MaxResponseBytes = 200 })
	_, err := c.DescribeServices(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "larger than 200 bytes") {
		t.Fatalf("err %v", err)
	}
	if f.Calls(support.OpDescribeServices) != 1 {
		t.Error("an oversized response was retried")
	}
}

func TestDefaultRetryModeIsAdaptive(t *testing.T) {
	t.Parallel()
	if _, ok := support.NewRetryer("", 0).(*retry.AdaptiveMode); !ok {
		t.Error("default retryer is not adaptive")
	}
	if _, ok := support.NewRetryer(aws.RetryModeStandard, 0).(*retry.Standard); !ok {
		t.Error("standard mode is not retry.Standard")
	}
	r := support.NewRetryer("", 0)
	if r.MaxAttempts() != support.DefaultMaxAttempts {
		t.Errorf("max attempts %d", r.MaxAttempts())
	}
	for _, tc := range []struct {
		err  *support.APIError
		want bool
	}{
		{&support.APIError{Code: support.CodeThrottling, StatusCode: 400}, true},
		{&support.APIError{Code: support.CodeTooManyRequests, StatusCode: 429}, true},
		{&support.APIError{Code: "HTTP429", StatusCode: 429}, true},
		{&support.APIError{Code: support.CodeDescribeAttachmentRate, StatusCode: 400}, true},
		{&support.APIError{Code: support.CodeInternalServerError, StatusCode: 500}, true},
		{&support.APIError{Code: "ServiceUnavailableException", StatusCode: 503}, true},
		{&support.APIError{Code: support.CodeSubscriptionRequired, StatusCode: 400}, false},
		{&support.APIError{Code: support.CodeCaseIDNotFound, StatusCode: 400}, false},
		{&support.APIError{Code: "InvalidSignatureException", StatusCode: 400}, false},
	} {
		if got := r.IsErrorRetryable(tc.err); got != tc.want {
			t.Errorf("%s/%d retryable = %v", tc.err.Code, tc.err.StatusCode, got)
		}
	}

	// The adaptive default serves an unthrottled sync without waiting.
	f := fake.NewSupport(t)
	f.Load(fake.SupportGenerate(30, 1))
	c, err := support.New(support.Options{Credentials: f.CredentialsProvider(), Endpoint: f.URL(), LookupEnv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeAllCases(context.Background(), &support.DescribeCasesInput{IncludeResolvedCases: true, MaxResults: 10}); err != nil {
		t.Fatal(err)
	}
}

func TestNewFromConfig(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	cfg := aws.Config{
		Region:           "cn-northwest-1",
		Credentials:      f.CredentialsProvider(),
		RetryMode:        aws.RetryModeStandard,
		RetryMaxAttempts: 2,
		BaseEndpoint:     aws.String(f.URL()),
	}
	c, err := support.NewFromConfig(cfg, func(o *support.Options) { o.LookupEnv = noEnv })
	if err != nil {
		t.Fatal(err)
	}
	ep := c.Endpoint()
	if ep.URL != f.URL() || ep.SigningRegion != "cn-north-1" || ep.Source != "BaseEndpoint" {
		t.Fatalf("endpoint %+v", ep)
	}
	if _, err := support.NewFromConfig(aws.Config{}); err == nil {
		t.Error("no credentials accepted")
	}
}

func TestDownloadAttachmentFailures(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	f.Load(fake.SupportGenerate(100, 4))
	c, _ := newClient(t, f, func(o *support.Options) { o.MaxDownloadBytes = 1 << 20 })
	ctx := context.Background()
	var large fake.SupportAttachment
	for _, sc := range f.Cases() {
		for _, m := range sc.Communications {
			for _, a := range m.Attachments {
				if a.Size > 5<<20 {
					large = a
				}
			}
		}
	}
	link, err := c.GetAttachmentDownloadLink(ctx, &support.GetAttachmentDownloadLinkInput{AttachmentID: large.ID})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := c.DownloadAttachment(ctx, link.DownloadURL.URL, &buf); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized download: %v", err)
	}
	_, err = c.DownloadAttachment(ctx, strings.Replace(link.DownloadURL.URL, "X-Amz-Signature=", "X-Amz-Signature=00", 1), &buf)
	if err == nil || !strings.Contains(err.Error(), "HTTP 403") || strings.Contains(err.Error(), "X-Amz-Signature") {
		t.Errorf("bad link: %v", err)
	}
	if _, err := c.DownloadAttachment(ctx, "file:///etc/passwd", &buf); err == nil {
		t.Error("file URL accepted")
	}
}
