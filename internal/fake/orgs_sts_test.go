package fake_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/opsdesk/opsdesk/internal/fake"
)

// TestOrganizationsFake: the SDK client pages through ListAccounts; a
// wrong key, AccessDeniedException and AWSOrganizationsNotInUseException
// come back as the SDK's typed errors.
func TestOrganizationsFake(t *testing.T) {
	t.Parallel()
	f := fake.NewOrganizations(t)
	f.Put(fake.OrgMember{ID: "111111111111", Name: "a"}, fake.OrgMember{ID: "222222222222", Name: "b", State: "SUSPENDED"}, fake.OrgMember{ID: "333333333333", Name: "c"})
	client := func(creds aws.CredentialsProvider) *organizations.Client {
		return organizations.New(organizations.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(f.URL()),
			HTTPClient: &http.Client{Timeout: 5 * time.Second}, RetryMaxAttempts: 1})
	}
	c := client(f.CallerCredentials())
	var got []string
	p := organizations.NewListAccountsPaginator(c, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.Accounts {
			got = append(got, aws.ToString(a.Id)+":"+string(a.State))
		}
	}
	if strings.Join(got, ",") != "111111111111:ACTIVE,222222222222:SUSPENDED,333333333333:ACTIVE" || f.ListCalls() != 2 {
		t.Errorf("listed %v in %d calls", got, f.ListCalls())
	}
	if _, err := client(credentials.NewStaticCredentialsProvider("AKIAWRONG", "x", "")).ListAccounts(context.Background(), &organizations.ListAccountsInput{}); err == nil {
		t.Error("a wrong key was accepted")
	}
	f.SetDenied(true)
	_, err := c.ListAccounts(context.Background(), &organizations.ListAccountsInput{})
	var denied *orgtypes.AccessDeniedException
	if !errors.As(err, &denied) {
		t.Errorf("denied: %v", err)
	}
	f.SetDenied(false)
	f.SetNotInUse(true)
	_, err = c.ListAccounts(context.Background(), &organizations.ListAccountsInput{})
	var notInUse *orgtypes.AWSOrganizationsNotInUseException
	if !errors.As(err, &notInUse) {
		t.Errorf("not in use: %v", err)
	}
}

// TestSTSFake: AssumeRole of an allowed role with its external id gives
// temporary credentials the Support fake's account accepts; another role,
// a wrong external id or a wrong caller key is AccessDenied / refused.
func TestSTSFake(t *testing.T) {
	t.Parallel()
	sup := fake.NewSupport(t)
	member := sup.AddAccount("111111111111", "")
	f := fake.NewSTS(t)
	const role = "arn:aws:iam::111111111111:role/Reader"
	f.AllowRole(role, "ext", member)
	c := sts.New(sts.Options{Region: "us-east-1", Credentials: f.CallerCredentials(), BaseEndpoint: aws.String(f.URL()),
		HTTPClient: &http.Client{Timeout: 5 * time.Second}, RetryMaxAttempts: 1})
	out, err := c.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("opsdesk"), ExternalId: aws.String("ext")})
	if err != nil {
		t.Fatal(err)
	}
	cr := out.Credentials
	if !strings.HasPrefix(aws.ToString(cr.AccessKeyId), "ASIA") || aws.ToString(cr.SessionToken) == "" || cr.Expiration == nil || time.Until(*cr.Expiration) < 50*time.Minute ||
		aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::111111111111:assumed-role/Reader/opsdesk" {
		t.Errorf("credentials %+v, user %+v", cr, out.AssumedRoleUser)
	}
	if len(f.Issued()) != 1 || f.AssumeRoleCalls(role) != 1 {
		t.Errorf("issued %d, calls %d", len(f.Issued()), f.AssumeRoleCalls(role))
	}
	for name, in := range map[string]*sts.AssumeRoleInput{
		"other role":       {RoleArn: aws.String("arn:aws:iam::222222222222:role/Reader"), RoleSessionName: aws.String("opsdesk")},
		"wrong externalid": {RoleArn: aws.String(role), RoleSessionName: aws.String("opsdesk"), ExternalId: aws.String("nope")},
	} {
		_, err := c.AssumeRole(context.Background(), in)
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := sts.New(sts.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(fake.OrgCallerAccessKeyID, "wrong", ""),
		BaseEndpoint: aws.String(f.URL()), HTTPClient: &http.Client{Timeout: 5 * time.Second}, RetryMaxAttempts: 1})
	if _, err := bad.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("opsdesk")}); err == nil {
		t.Error("a wrong secret was accepted")
	}
}
