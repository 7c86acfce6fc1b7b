package config

import (
	"fmt"
	"net/mail"
	"regexp"
)

// OnCallContact configures how opsdesk reaches on-call users besides a
// Connect call (alerts.connect) and chat destinations (docs/oncall.md,
// "Contact methods and notification rules"):
//
//	oncall:
//	  sms:
//	    region: ap-northeast-1
//	    origination_identity: "+815055550100"   # number, sender id or pool (id or ARN)
//	    configuration_set: opsdesk-alerts
//	  email:
//	    region: ap-northeast-1
//	    from: alerts@example.com                # an SES verified identity
//	    configuration_set: opsdesk-mail
//
// It is part of OnCall (inline), so the keys sit beside oncall.schedules.
// Without oncall.sms (oncall.email) users can add SMS (email) methods but
// not verify them.
type OnCallContact struct {
	SMS   *OnCallSMS   `yaml:"sms"`
	Email *OnCallEmail `yaml:"email"`
}

// OnCallSMS is AWS End User Messaging SMS (SendTextMessage).
type OnCallSMS struct {
	// Region; empty takes the SDK's (AWS_REGION, profile).
	Region string `yaml:"region"`
	// OriginationIdentity is a phone number (E.164), sender id, pool id or
	// an ARN of one; empty lets the service choose.
	OriginationIdentity string `yaml:"origination_identity"`
	// ConfigurationSet receives delivery events; empty for none.
	ConfigurationSet string `yaml:"configuration_set"`
}

// OnCallEmail is Amazon SES v2 (SendEmail).
type OnCallEmail struct {
	Region string `yaml:"region"`
	// From is the sender: a verified identity, "alerts@example.com" or
	// "opsdesk <alerts@example.com>".
	From             string `yaml:"from"`
	ConfigurationSet string `yaml:"configuration_set"`
}

var (
	awsRegionRe   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	awsResourceRe = regexp.MustCompile(`^[A-Za-z0-9_:/+.@-]{1,256}$`)
)

func (c *OnCallContact) validate() error {
	if s := c.SMS; s != nil {
		if s.Region != "" && !awsRegionRe.MatchString(s.Region) {
			return &Error{"oncall.sms.region", fmt.Sprintf("%q is not an AWS region such as ap-northeast-1", s.Region)}
		}
		if s.OriginationIdentity != "" && !awsResourceRe.MatchString(s.OriginationIdentity) {
			return &Error{"oncall.sms.origination_identity", "must be a phone number, sender id, pool id or ARN"}
		}
		if s.ConfigurationSet != "" && !awsResourceRe.MatchString(s.ConfigurationSet) {
			return &Error{"oncall.sms.configuration_set", "must be a configuration set name or ARN"}
		}
	}
	if e := c.Email; e != nil {
		if e.Region != "" && !awsRegionRe.MatchString(e.Region) {
			return &Error{"oncall.email.region", fmt.Sprintf("%q is not an AWS region such as ap-northeast-1", e.Region)}
		}
		if e.From == "" {
			return &Error{"oncall.email.from", "is required: the sender address, an SES verified identity"}
		}
		if _, err := mail.ParseAddress(e.From); err != nil {
			return &Error{"oncall.email.from", fmt.Sprintf("%q is not an email address", e.From)}
		}
		if e.ConfigurationSet != "" && !awsResourceRe.MatchString(e.ConfigurationSet) {
			return &Error{"oncall.email.configuration_set", "must be a configuration set name"}
		}
	}
	return nil
}
