package config

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"time"
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
	// Users declares contact methods and rules as code (optional):
	//
	//	oncall:
	//	  users:
	//	    - name: sato
	//	      contact_methods:
	//	        - {kind: chat, address: U012ABCDEF, destination: ops-slack, label: slack}
	//	        - {kind: sms, address: "+819012345678", label: mobile}
	//	        - {kind: voice, address: "+819012345678", label: phone, language: ja}
	//	      rules:
	//	        - {method: slack, after: 0s}
	//	        - {method: mobile, after: 1m}
	//	        - {method: phone, after: 3m, severities: [critical]}
	//
	// Declared methods count as verified. At start-up they are added to the
	// user's methods (those added in the console stay), and a user with
	// declared rules gets exactly those rules.
	Users []OnCallUser `yaml:"users"`

	cfg *Config // for hasChatDestination, set by validate
}

func (c *OnCallContact) hasChatDestination(name string) bool {
	d, ok := c.cfg.Destination(name)
	return ok && (d.Type == "dingtalk" || d.Type == "slack")
}

// OnCallUser is one user's declared contact methods and rules.
type OnCallUser struct {
	Name           string                `yaml:"name"`
	ContactMethods []OnCallContactMethod `yaml:"contact_methods"`
	Rules          []OnCallRule          `yaml:"rules"`
}

// OnCallContactMethod is a declared contact method.
type OnCallContactMethod struct {
	Kind        string `yaml:"kind"`
	Address     string `yaml:"address"`
	Destination string `yaml:"destination"`
	Label       string `yaml:"label"`
	Language    string `yaml:"language"`
}

// OnCallRule is a declared notification rule: Method is a label of the
// user's declared methods or its index (0-based) among them.
type OnCallRule struct {
	Method     string   `yaml:"method"`
	After      Duration `yaml:"after"`
	Severities []string `yaml:"severities"`
}

// MethodIndex resolves Method among methods: by label, then by index.
func (r OnCallRule) MethodIndex(methods []OnCallContactMethod) (int, bool) {
	for i, m := range methods {
		if m.Label != "" && m.Label == r.Method {
			return i, true
		}
	}
	i, err := strconv.Atoi(r.Method)
	if err != nil || i < 0 || i >= len(methods) {
		return 0, false
	}
	return i, true
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

// The kinds and severities of internal/contact (which config cannot
// import).
var (
	contactKinds      = []string{"voice", "sms", "email", "chat"}
	contactSeverities = []string{"critical", "error", "warning", "info", "unspecified"}
)

func (c *OnCallContact) validate(cfg *Config) error {
	c.cfg = cfg
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
	names := map[string]bool{}
	for i, u := range c.Users {
		key := fmt.Sprintf("oncall.users[%d]", i)
		if u.Name == "" {
			return &Error{key + ".name", "is required: a console user's name"}
		}
		if names[u.Name] {
			return &Error{key + ".name", fmt.Sprintf("%q is declared twice", u.Name)}
		}
		names[u.Name] = true
		for j, m := range u.ContactMethods {
			mk := fmt.Sprintf("%s.contact_methods[%d]", key, j)
			if !slices.Contains(contactKinds, m.Kind) {
				return &Error{mk + ".kind", fmt.Sprintf("%q is not one of voice, sms, email, chat", m.Kind)}
			}
			if m.Address == "" {
				return &Error{mk + ".address", "is required"}
			}
			if m.Kind == "chat" && !c.hasChatDestination(m.Destination) {
				return &Error{mk + ".destination", fmt.Sprintf("%q is not a dingtalk or slack destination", m.Destination)}
			}
		}
		for j, r := range u.Rules {
			rk := fmt.Sprintf("%s.rules[%d]", key, j)
			if _, ok := r.MethodIndex(u.ContactMethods); !ok {
				return &Error{rk + ".method", fmt.Sprintf("%q is not a label or index of this user's contact_methods", r.Method)}
			}
			if r.After.D() < 0 || r.After.D() > 24*time.Hour {
				return &Error{rk + ".after", "must be from 0s to 24h"}
			}
			for _, s := range r.Severities {
				if !slices.Contains(contactSeverities, s) {
					return &Error{rk + ".severities", fmt.Sprintf("%q is not one of critical, error, warning, info, unspecified", s)}
				}
			}
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
