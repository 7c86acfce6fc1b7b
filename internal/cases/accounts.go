package cases

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/opsdesk/opsdesk/internal/aws/support"
	"github.com/opsdesk/opsdesk/internal/config"
)

// Accounts builds the Support client of every configured account:
// credentials from the SDK's default chain, a named profile, or an IAM role
// assumed through STS. lookup reads AWS_ENDPOINT_URL_SUPPORT and
// AWS_ENDPOINT_URL (os.LookupEnv in production).
func Accounts(ctx context.Context, cfg *config.Config, lookup func(string) (string, bool), log *slog.Logger) ([]Account, error) {
	var out []Account
	for _, a := range cfg.AWS.Accounts {
		acct, err := NewAccount(ctx, a, lookup, log)
		if err != nil {
			return nil, err
		}
		out = append(out, acct)
	}
	return out, nil
}

// NewAccount builds one account's client.
func NewAccount(ctx context.Context, a config.AWSAccount, lookup func(string) (string, bool), log *slog.Logger) (Account, error) {
	awsCfg, err := LoadAWSConfig(ctx, a)
	if err != nil {
		return Account{}, err
	}
	client, err := support.New(support.Options{
		Credentials: awsCfg.Credentials,
		Partition:   a.Partition,
		LookupEnv:   lookup,
		HTTPClient:  &http.Client{Timeout: 60 * time.Second},
		Logger:      log,
	})
	if err != nil {
		return Account{}, fmt.Errorf("cases: account %s: %w", a.Name, err)
	}
	langs := a.Languages
	if len(langs) == 0 {
		langs = config.CaseLanguages
	}
	return Account{Name: a.Name, ID: a.AccountID, Languages: langs, Client: client}, nil
}

// LoadAWSConfig loads the SDK configuration of a configured account: its
// profile or the default chain, the partition's Support region, and the
// role it assumes (with its external id) when role_arn is set.
func LoadAWSConfig(ctx context.Context, a config.AWSAccount) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if a.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(a.Profile))
	}
	region := map[string]string{"": "us-east-1", "aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}[a.Partition]
	opts = append(opts, awsconfig.WithRegion(region))
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("cases: account %s: load AWS configuration: %w", a.Name, err)
	}
	if a.RoleARN != "" {
		stsClient := sts.NewFromConfig(awsCfg)
		awsCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, a.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			if a.ExternalID != "" {
				o.ExternalID = aws.String(a.ExternalID)
			}
			o.RoleSessionName = "opsdesk-" + a.Name
		}))
	}
	return awsCfg, nil
}
