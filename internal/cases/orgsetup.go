package cases

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/opsdesk/opsdesk/internal/aws/support"
	"github.com/opsdesk/opsdesk/internal/config"
)

// Organizations builds every aws.organizations entry: the Organizations
// and STS clients use the credentials of the named aws.accounts entry.
// lookup reads the endpoint overrides AWS_ENDPOINT_URL_ORGANIZATIONS,
// AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_SUPPORT and AWS_ENDPOINT_URL
// (os.LookupEnv in production).
func Organizations(ctx context.Context, cfg *config.Config, lookup func(string) (string, bool), log *slog.Logger) ([]*Organization, error) {
	var out []*Organization
	for _, o := range cfg.AWS.Organizations {
		var acct config.AWSAccount
		for _, a := range cfg.AWS.Accounts {
			if a.Name == o.Account {
				acct = a
			}
		}
		partition := o.PartitionOf(cfg)
		acct.Partition = partition
		awsCfg, err := LoadAWSConfig(ctx, acct)
		if err != nil {
			return nil, fmt.Errorf("cases: organization %s: %w", o.Name, err)
		}
		httpClient := &http.Client{Timeout: 60 * time.Second}
		orgClient := organizations.NewFromConfig(awsCfg, func(opt *organizations.Options) {
			opt.HTTPClient = httpClient
			if ep := endpointOverride(lookup, "ORGANIZATIONS"); ep != "" {
				opt.BaseEndpoint = aws.String(ep)
			}
		})
		stsClient := sts.NewFromConfig(awsCfg, func(opt *sts.Options) {
			opt.HTTPClient = httpClient
			if ep := endpointOverride(lookup, "STS"); ep != "" {
				opt.BaseEndpoint = aws.String(ep)
			}
		})
		out = append(out, &Organization{
			Name: o.Name, Orgs: orgClient, STS: stsClient,
			RoleName: o.RoleName, ExternalID: o.ExternalID, Partition: partition,
			Include: o.Include, Exclude: o.Exclude, Refresh: o.RefreshInterval(),
			Languages: config.CaseLanguages,
			Support: func(so *support.Options) {
				so.LookupEnv = lookup
				so.HTTPClient = httpClient
				so.Logger = log
			},
		})
	}
	return out, nil
}

// endpointOverride reads AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL,
// unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true.
func endpointOverride(lookup func(string) (string, bool), service string) string {
	if lookup == nil {
		return ""
	}
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	if strings.EqualFold(get(support.EnvIgnoreEndpoints), "true") {
		return ""
	}
	if v := get("AWS_ENDPOINT_URL_" + service); v != "" {
		return v
	}
	return get(support.EnvEndpoint)
}
