package chatops

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/aws/support"
)

var testServices = []support.Service{
	{Code: "amazon-elastic-compute-cloud-linux", Name: "Elastic Compute Cloud (EC2 - Linux)", Categories: []support.Category{{Code: "instance-issue"}}},
	{Code: "amazon-elastic-compute-cloud-windows", Name: "Elastic Compute Cloud (EC2 - Windows)"},
	{Code: "amazon-simple-storage-service", Name: "Simple Storage Service (S3)"},
	{Code: "amazon-relational-database-service-mysql", Name: "Relational Database Service (MySQL)"},
	{Code: "amazon-dynamodb", Name: "DynamoDB"},
	{Code: "aws-lambda", Name: "Lambda"},
	{Code: "aws-identity-and-access-management", Name: "Identity and Access Management (IAM)"},
	{Code: "amazon-cloudwatch", Name: "CloudWatch"},
	{Code: "amazon-route53", Name: "Route 53"},
	{Code: "billing", Name: "Billing"},
}

func codes(ss []support.Service) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Code)
	}
	return out
}

func TestMatchServices(t *testing.T) {
	t.Parallel()
	tests := []struct {
		q     string
		first []string // the leading matches, in any order
		none  bool
	}{
		{q: "EC2", first: []string{"amazon-elastic-compute-cloud-linux", "amazon-elastic-compute-cloud-windows"}},
		{q: "ec2 linux", first: []string{"amazon-elastic-compute-cloud-linux"}},
		{q: "s3", first: []string{"amazon-simple-storage-service"}},
		{q: "Lambda", first: []string{"aws-lambda"}},
		{q: "lamda", first: []string{"aws-lambda"}},              // a typo
		{q: "cloud watch", first: []string{"amazon-cloudwatch"}}, // spaced
		{q: "IAM", first: []string{"aws-identity-and-access-management"}},
		{q: "rds", first: []string{"amazon-relational-database-service-mysql"}}, // acronym
		{q: "aws-lambda", first: []string{"aws-lambda"}},                        // the code
		{q: "billing", first: []string{"billing"}},
		{q: "dynamo", first: []string{"amazon-dynamodb"}}, // part of a name
		{q: "route53", first: []string{"amazon-route53"}},
		{q: "kubernetes", none: true},
		{q: "!!", none: true},
	}
	for _, tt := range tests {
		got := matchServices(testServices, nil, tt.q)
		if tt.none {
			if len(got) != 0 {
				t.Errorf("%q: matched %v", tt.q, codes(got))
			}
			continue
		}
		if len(got) < len(tt.first) {
			t.Errorf("%q: got %v, want %v first", tt.q, codes(got), tt.first)
			continue
		}
		lead := codes(got[:len(tt.first)])
		slices.Sort(lead)
		want := slices.Clone(tt.first)
		slices.Sort(want)
		if !slices.Equal(lead, want) {
			t.Errorf("%q: leading %v, want %v (all: %v)", tt.q, lead, want, codes(got))
		}
	}
	// A localized name matches too.
	got := matchServices(testServices, map[string]string{"aws-lambda": "函数计算 Lambda"}, "函数计算")
	if len(got) == 0 || got[0].Code != "aws-lambda" {
		t.Fatalf("localized: %v", codes(got))
	}
}

type countingAPI struct {
	services, severities int
}

func (c *countingAPI) DescribeServices(_ context.Context, in *support.DescribeServicesInput) (*support.DescribeServicesOutput, error) {
	c.services++
	return &support.DescribeServicesOutput{Services: testServices}, nil
}

func (c *countingAPI) DescribeSeverityLevels(context.Context, *support.DescribeSeverityLevelsInput) (*support.DescribeSeverityLevelsOutput, error) {
	c.severities++
	return &support.DescribeSeverityLevelsOutput{SeverityLevels: []support.SeverityLevel{{Code: "low"}, {Code: "NORMAL"}}}, nil
}

// The catalog asks AWS once a day per language.
func TestCatalogCache(t *testing.T) {
	t.Parallel()
	clk := newClock(time.Unix(1700000000, 0))
	cat := &catalog{ttl: 24 * time.Hour, now: clk.Now}
	api := &countingAPI{}
	ctx := context.Background()
	for range 3 {
		if s, err := cat.Services(ctx, api, "en"); err != nil || len(s) != len(testServices) {
			t.Fatal(s, err)
		}
	}
	if _, err := cat.Services(ctx, api, "ja"); err != nil {
		t.Fatal(err)
	}
	if api.services != 2 {
		t.Fatalf("DescribeServices called %d times, want 2 (en, ja)", api.services)
	}
	sev, _ := cat.Severities(ctx, api)
	sev, _ = cat.Severities(ctx, api)
	if api.severities != 1 || !slices.Equal(sev, []string{"low", "normal"}) {
		t.Fatalf("severities %v after %d calls", sev, api.severities)
	}
	clk.Advance(24*time.Hour - time.Second)
	_, _ = cat.Services(ctx, api, "en")
	if api.services != 2 {
		t.Fatalf("refreshed before a day: %d calls", api.services)
	}
	clk.Advance(time.Second)
	_, _ = cat.Services(ctx, api, "en")
	_, _ = cat.Severities(ctx, api)
	if api.services != 3 || api.severities != 2 {
		t.Fatalf("not refreshed after a day: %d, %d calls", api.services, api.severities)
	}
}
