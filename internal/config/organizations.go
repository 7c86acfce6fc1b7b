package config

import (
	"fmt"
	"strings"
	"time"
)

// DefaultOrganizationRefresh is how often an organization's member accounts
// are listed when aws.organizations[].refresh is not set.
const DefaultOrganizationRefresh = time.Hour

// AWSOrganization is an AWS Organization whose member accounts the case
// archive discovers (organizations:ListAccounts) and archives through a
// role assumed in each of them, so that a new account needs no config
// change.
type AWSOrganization struct {
	// Name identifies the organization in opsdesk (shown as the source of
	// its accounts).
	Name string `yaml:"name"`
	// Account names the aws.accounts entry whose credentials call
	// Organizations and STS: the management account or a delegated
	// administrator.
	Account string `yaml:"account"`
	// RoleName is the IAM role assumed in every member account (e.g.
	// OpsdeskSupportReader).
	RoleName string `yaml:"role_name"`
	// ExternalID is passed to AssumeRole when set.
	ExternalID string `yaml:"external_id"`
	// Partition is aws (default: the account's), aws-cn or aws-us-gov.
	Partition string `yaml:"partition"`
	// Include, when set, limits discovery to these account ids or names;
	// Exclude leaves these out.
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
	// Refresh is how often the member accounts are listed (default 1h).
	Refresh Duration `yaml:"refresh"`
}

// RefreshInterval is Refresh, or DefaultOrganizationRefresh when unset.
func (o AWSOrganization) RefreshInterval() time.Duration {
	if o.Refresh <= 0 {
		return DefaultOrganizationRefresh
	}
	return o.Refresh.D()
}

// PartitionOf is the organization's partition: its own, else the
// credentials account's, else aws.
func (o AWSOrganization) PartitionOf(c *Config) string {
	if o.Partition != "" {
		return o.Partition
	}
	for _, a := range c.AWS.Accounts {
		if a.Name == o.Account && a.Partition != "" {
			return a.Partition
		}
	}
	return "aws"
}

func (x *AWS) validateOrganizations() error {
	names := map[string]bool{}
	for i, o := range x.Organizations {
		key := fmt.Sprintf("aws.organizations[%d]", i)
		if err := ValidateName(o.Name); err != nil {
			return &Error{key + ".name", err.Error()}
		}
		if names[o.Name] {
			return &Error{key + ".name", fmt.Sprintf("%q is used by two organizations", o.Name)}
		}
		names[o.Name] = true
		key = fmt.Sprintf("aws.organizations[%s]", o.Name)
		if o.Account == "" {
			return &Error{key + ".account", "is required: the aws.accounts entry whose credentials call Organizations"}
		}
		found := false
		for _, a := range x.Accounts {
			found = found || a.Name == o.Account
		}
		if !found {
			return &Error{key + ".account", fmt.Sprintf("no aws.accounts entry is named %q", o.Account)}
		}
		if !validRoleName(o.RoleName) {
			return &Error{key + ".role_name", fmt.Sprintf("%q is not an IAM role name (1-64 of letters, digits and +=,.@_-)", o.RoleName)}
		}
		if len(o.ExternalID) > 1224 {
			return &Error{key + ".external_id", "must be at most 1224 characters"}
		}
		switch o.Partition {
		case "", "aws", "aws-cn", "aws-us-gov":
		default:
			return &Error{key + ".partition", fmt.Sprintf("%q must be aws, aws-cn or aws-us-gov", o.Partition)}
		}
		for j, s := range o.Include {
			if strings.TrimSpace(s) == "" {
				return &Error{fmt.Sprintf("%s.include[%d]", key, j), "must not be empty"}
			}
		}
		for j, s := range o.Exclude {
			if strings.TrimSpace(s) == "" {
				return &Error{fmt.Sprintf("%s.exclude[%d]", key, j), "must not be empty"}
			}
		}
		if o.Refresh != 0 && (o.Refresh.D() < time.Minute || o.Refresh.D() > 7*24*time.Hour) {
			return &Error{key + ".refresh", "must be between 1m and 168h"}
		}
	}
	return nil
}

// validRoleName follows IAM's role name rules: 1-64 characters of
// letters, digits and +=,.@_-.
func validRoleName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("+=,.@_-", r):
		default:
			return false
		}
	}
	return true
}
