package config

import (
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Events configures AWS event intake and rules.
type Events struct {
	// BuiltinRules turns the built-in rules on (default true): Support
	// Case Update → sync that case, CloudWatch Alarm State Change → alert,
	// Amazon Connect Contact Event → escalation call status.
	BuiltinRules *bool `yaml:"builtin_rules"`
	// DisableRules lists built-in rules to leave off by name.
	DisableRules []string `yaml:"disable_rules"`
	// Rules are rules kept in this file (read-only in the console).
	Rules []EventRule `yaml:"rules"`
	// SNSTopics are the topic ARNs whose signed notifications are accepted
	// on /api/v1/events without a token (an SNS subscription cannot send
	// one unless it is in the URL).
	SNSTopics []string `yaml:"sns_topics"`
	// MaxBodyBytes bounds one request (default 6 MiB, Lambda's payload
	// limit).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// Health sends AWS Health record changes to destinations (see
	// health.go and docs/health.md).
	Health []HealthNotify `yaml:"health"`
}

// EventRule is a rule in the config file.
type EventRule struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Pattern is the EventBridge pattern, as YAML or as a JSON string.
	Pattern RawJSON           `yaml:"pattern"`
	Actions []EventRuleAction `yaml:"actions"`
	Enabled *bool             `yaml:"enabled"`
}

// EventRuleAction is one action of a configured rule.
type EventRuleAction struct {
	Type        string `yaml:"type"`
	Destination string `yaml:"destination"`
	Title       string `yaml:"title"`
	Template    string `yaml:"template"`
	System      string `yaml:"system"`
	Op          string `yaml:"op"`
	Severity    string `yaml:"severity"`
}

// RawJSON holds a YAML value converted to JSON (or a string of JSON kept
// as is).
type RawJSON []byte

// UnmarshalYAML implements yaml.Unmarshaler.
func (r *RawJSON) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		*r = RawJSON(n.Value)
		return nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return err
	}
	b, err := json.Marshal(normalizeYAML(v))
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*r = b
	return nil
}

// normalizeYAML turns map[any]any (which encoding/json refuses) into
// map[string]any.
func normalizeYAML(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalizeYAML(x)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = normalizeYAML(x)
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = normalizeYAML(x)
		}
		return t
	}
	return v
}

func (x *Events) setDefaults() { x.MaxBodyBytes = 6 << 20 }

// Builtin reports whether the built-in rules are on.
func (x *Events) Builtin() bool { return x.BuiltinRules == nil || *x.BuiltinRules }

func (x *Events) validate(c *Config) error {
	if x.MaxBodyBytes < 1024 || x.MaxBodyBytes > 64<<20 {
		return &Error{"events.max_body_bytes", "must be between 1024 and 67108864"}
	}
	names := map[string]bool{}
	for i, r := range x.Rules {
		key := fmt.Sprintf("events.rules[%d]", i)
		if err := ValidateName(r.Name); err != nil {
			return &Error{key + ".name", err.Error()}
		}
		if names[r.Name] {
			return &Error{key + ".name", fmt.Sprintf("%q is used by two rules", r.Name)}
		}
		names[r.Name] = true
		if len(r.Pattern) == 0 {
			return &Error{key + ".pattern", "required"}
		}
		if len(r.Actions) == 0 {
			return &Error{key + ".actions", "required (use type: store to keep matched events only)"}
		}
		for j, a := range r.Actions {
			if a.Type == "notify" && !c.HasDestination(a.Destination) {
				return &Error{fmt.Sprintf("%s.actions[%d].destination", key, j), fmt.Sprintf("no destination is named %q", a.Destination)}
			}
		}
	}
	for i, t := range x.SNSTopics {
		if len(t) < 12 || t[:8] != "arn:aws:" && (len(t) < 11 || t[:11] != "arn:aws-cn:") && (len(t) < 15 || t[:15] != "arn:aws-us-gov:") {
			return &Error{fmt.Sprintf("events.sns_topics[%d]", i), fmt.Sprintf("%q is not a topic ARN", t)}
		}
	}
	return x.validateHealth(c)
}
