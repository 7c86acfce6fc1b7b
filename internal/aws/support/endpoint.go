package support

import (
	"fmt"
	"net/url"
	"os"
	"strings"
)

// Partitions the Support API is offered in.
const (
	PartitionAWS      = "aws"
	PartitionChina    = "aws-cn"
	PartitionGovCloud = "aws-us-gov"
)

// Environment variables that override the endpoint, in precedence order,
// and the standard switch that turns them off.
const (
	EnvEndpointSupport  = "AWS_ENDPOINT_URL_SUPPORT"
	EnvEndpoint         = "AWS_ENDPOINT_URL"
	EnvIgnoreEndpoints  = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
	signingServiceName  = "support"
	defaultPartitionKey = PartitionAWS
)

// Endpoint is where requests go and how they are signed.
type Endpoint struct {
	// URL is the base URL requests are POSTed to.
	URL string
	// SigningRegion is the SigV4 credential-scope region.
	SigningRegion string
	// Source says where URL came from: "partition", "Options.Endpoint",
	// "AWS_ENDPOINT_URL_SUPPORT", "AWS_ENDPOINT_URL" or "BaseEndpoint".
	Source string
}

// partitionEndpoints are the Support API's global endpoints, one per
// partition. The SDK's endpoint model (service/support/internal/endpoints)
// maps every region of a partition to these hosts with these credential
// scopes: "aws-global" → support.us-east-1.amazonaws.com (us-east-1),
// "aws-cn-global" → support.cn-north-1.amazonaws.com.cn (cn-north-1),
// "aws-us-gov-global" → support.us-gov-west-1.amazonaws.com (us-gov-west-1).
var partitionEndpoints = map[string]Endpoint{
	PartitionAWS:      {URL: "https://support.us-east-1.amazonaws.com", SigningRegion: "us-east-1", Source: "partition"},
	PartitionChina:    {URL: "https://support.cn-north-1.amazonaws.com.cn", SigningRegion: "cn-north-1", Source: "partition"},
	PartitionGovCloud: {URL: "https://support.us-gov-west-1.amazonaws.com", SigningRegion: "us-gov-west-1", Source: "partition"},
}

// PartitionForRegion names the partition of an AWS region: "cn-*" regions
// are aws-cn, "us-gov-*" regions aws-us-gov, everything else aws.
func PartitionForRegion(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return PartitionChina
	case strings.HasPrefix(region, "us-gov-"):
		return PartitionGovCloud
	}
	return PartitionAWS
}

// ResolveEndpoint picks the endpoint for o, highest precedence first:
// o.Endpoint; AWS_ENDPOINT_URL_SUPPORT; AWS_ENDPOINT_URL (both skipped when
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true); o.BaseEndpoint; the partition's
// endpoint. Environment variables are read through o.LookupEnv (os.LookupEnv
// when nil). An override keeps the partition's signing region unless
// o.SigningRegion is set.
func ResolveEndpoint(o Options) (Endpoint, error) {
	partition := o.Partition
	if partition == "" {
		partition = defaultPartitionKey
	}
	ep, ok := partitionEndpoints[partition]
	if !ok {
		return Endpoint{}, fmt.Errorf("support: unknown partition %q (want %s, %s or %s)", partition, PartitionAWS, PartitionChina, PartitionGovCloud)
	}
	if o.SigningRegion != "" {
		ep.SigningRegion = o.SigningRegion
	}
	lookup := o.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	env := func(name string) string {
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}

	type candidate struct{ source, value string }
	candidates := []candidate{{"Options.Endpoint", o.Endpoint}}
	if !strings.EqualFold(env(EnvIgnoreEndpoints), "true") {
		candidates = append(candidates,
			candidate{EnvEndpointSupport, env(EnvEndpointSupport)},
			candidate{EnvEndpoint, env(EnvEndpoint)})
	}
	candidates = append(candidates, candidate{"BaseEndpoint", o.BaseEndpoint})
	for _, c := range candidates {
		if c.value == "" {
			continue
		}
		u, err := url.Parse(c.value)
		if err == nil && u.User != nil {
			// Never echo user info: it may be a password.
			return Endpoint{}, fmt.Errorf("support: endpoint from %s must not contain user info", c.source)
		}
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Endpoint{}, fmt.Errorf("support: endpoint from %s is not an http(s) URL: %q", c.source, c.value)
		}
		ep.URL = strings.TrimRight(c.value, "/")
		ep.Source = c.source
		return ep, nil
	}
	return ep, nil
}
