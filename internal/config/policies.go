package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts/hours"
)

// OnCallPolicy is an escalation policy as code (issue 12, docs/oncall.md):
//
//	oncall:
//	  policies:
//	    - name: platform
//	      rounds: 3
//	      steps:
//	        - targets: ["chat:ops-dingtalk", "schedule:platform"]
//	          after: 5m
//	        - targets: ["user:sato", "user:kim"]
//	          after: 10m
//	          reescalate: 30m
//
// Each step notifies all its targets at once, then waits After before the
// next step; after the last step the policy starts again, Rounds times in
// all. A user target is reached through that user's contact methods and
// notification rules, a schedule target through whoever is on call then,
// a chat target by a post to that destination.
type OnCallPolicy struct {
	Name        string       `yaml:"name"`
	Description string       `yaml:"description"`
	Rounds      int          `yaml:"rounds"`
	Steps       []OnCallStep `yaml:"steps"`
}

// OnCallStep is one step of a policy.
type OnCallStep struct {
	// Targets are "user:NAME", "schedule:NAME" or "chat:DESTINATION".
	Targets []string `yaml:"targets"`
	// After is how long the step waits before the next one (default 5m;
	// 0s: the next step at once).
	After *Duration `yaml:"after"`
	// Reescalate, if set, continues the escalation when an alert
	// acknowledged at this step is still not resolved after that long.
	Reescalate Duration `yaml:"reescalate"`
}

// AlertRoute chooses a system's policy for some alerts: the first route
// whose severities include the alert's (empty: every severity) and whose
// hours include the time it arrives (empty: always) decides. Policy names
// an escalation policy; RecordOnly keeps the alert without notifying
// anyone. With no route matching, the system's call list escalates it.
type AlertRoute struct {
	Severities []string `yaml:"severities"`
	Hours      string   `yaml:"hours"`
	Policy     string   `yaml:"policy"`
	RecordOnly bool     `yaml:"record_only"`
}

// Limits of policies.
const (
	MaxPolicies         = 500
	MaxPolicySteps      = 20
	MaxStepTargets      = 20
	MaxPolicyRounds     = 20
	MaxSystemRoutes     = 20
	DefaultStepAfter    = 5 * time.Minute
	DefaultPolicyRounds = 3
)

// Severities are the severities alerts carry (internal/alerts/parse).
var Severities = []string{"critical", "warning", "info", "unspecified"}

// Target kinds of a policy step.
const (
	TargetUser     = "user"
	TargetSchedule = "schedule"
	TargetChat     = "chat"
)

var policyNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidatePolicyName checks the name of an escalation policy.
func ValidatePolicyName(s string) error {
	if !policyNameRe.MatchString(s) {
		return fmt.Errorf("%q must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit", s)
	}
	return nil
}

// ParseTarget splits "user:sato" into its kind and name.
func ParseTarget(s string) (kind, name string, err error) {
	kind, name, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return "", "", fmt.Errorf("%q must be user:NAME, schedule:NAME or chat:DESTINATION", s)
	}
	kind, name = strings.TrimSpace(kind), strings.TrimSpace(name)
	return kind, name, ValidateTarget(kind, name)
}

// ValidateTarget checks one target of a step.
func ValidateTarget(kind, name string) error {
	switch kind {
	case TargetUser, TargetSchedule, TargetChat:
	default:
		return fmt.Errorf("%q is not a target type (user, schedule or chat)", kind)
	}
	if name == "" || len(name) > 100 || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("the %s name must be 1-100 characters on one line", kind)
	}
	return nil
}

// Validate checks a policy; errors are *Error with keys relative to it
// (steps[1].targets[0]). hasDest tells which destinations exist.
func (p *OnCallPolicy) Validate(hasDest func(string) bool) error {
	if err := ValidatePolicyName(p.Name); err != nil {
		return &Error{"name", err.Error()}
	}
	if len(p.Description) > 1000 {
		return &Error{"description", "is longer than 1000 characters"}
	}
	if p.Rounds < 0 || p.Rounds > MaxPolicyRounds {
		return &Error{"rounds", fmt.Sprintf("must be between 1 and %d (default %d)", MaxPolicyRounds, DefaultPolicyRounds)}
	}
	if len(p.Steps) == 0 {
		return &Error{"steps", "a policy needs at least one step"}
	}
	if len(p.Steps) > MaxPolicySteps {
		return &Error{"steps", fmt.Sprintf("has %d steps; at most %d", len(p.Steps), MaxPolicySteps)}
	}
	for i, st := range p.Steps {
		key := fmt.Sprintf("steps[%d]", i)
		if len(st.Targets) == 0 {
			return &Error{key + ".targets", "a step needs at least one target"}
		}
		if len(st.Targets) > MaxStepTargets {
			return &Error{key + ".targets", fmt.Sprintf("has %d targets; at most %d", len(st.Targets), MaxStepTargets)}
		}
		seen := map[string]bool{}
		for j, t := range st.Targets {
			kind, name, err := ParseTarget(t)
			tkey := fmt.Sprintf("%s.targets[%d]", key, j)
			if err != nil {
				return &Error{tkey, err.Error()}
			}
			if kind == TargetChat && hasDest != nil && !hasDest(name) {
				return &Error{tkey, fmt.Sprintf("no destination is named %q", name)}
			}
			if seen[kind+":"+name] {
				return &Error{tkey, fmt.Sprintf("%s:%s is listed twice", kind, name)}
			}
			seen[kind+":"+name] = true
		}
		if st.After != nil && (st.After.D() < 0 || st.After.D() > 24*time.Hour) {
			return &Error{key + ".after", "must be between 0s and 24h (default 5m)"}
		}
		if st.Reescalate.D() < 0 || st.Reescalate != 0 && st.Reescalate.D() < time.Minute || st.Reescalate.D() > 7*24*time.Hour {
			return &Error{key + ".reescalate", "must be 0 (never) or between 1m and 168h"}
		}
	}
	return nil
}

// WithDefaults fills rounds and step delays left out.
func (p OnCallPolicy) WithDefaults() OnCallPolicy {
	if p.Rounds == 0 {
		p.Rounds = DefaultPolicyRounds
	}
	p.Steps = slices.Clone(p.Steps)
	for i := range p.Steps {
		if p.Steps[i].After == nil {
			d := Duration(DefaultStepAfter)
			p.Steps[i].After = &d
		}
	}
	return p
}

// ValidateRoute checks one route of a system; the error names the field
// relative to the route. hasPolicy, if set, tells which policies exist.
func ValidateRoute(r AlertRoute, hasPolicy func(string) bool) (field string, err error) {
	for _, sv := range r.Severities {
		if !slices.Contains(Severities, sv) {
			return "severities", fmt.Errorf("%q is not a severity (%s)", sv, strings.Join(Severities, ", "))
		}
	}
	if _, err := hours.Parse(r.Hours); err != nil {
		return "hours", err
	}
	switch {
	case r.RecordOnly && r.Policy != "":
		return "policy", fmt.Errorf("set policy or record_only, not both")
	case !r.RecordOnly && r.Policy == "":
		return "policy", fmt.Errorf("is required (or record_only: true)")
	case r.Policy != "":
		if err := ValidatePolicyName(r.Policy); err != nil {
			return "policy", err
		}
		if hasPolicy != nil && !hasPolicy(r.Policy) {
			return "policy", fmt.Errorf("no escalation policy is named %q", r.Policy)
		}
	}
	return "", nil
}

func (x *OnCall) validatePolicies(hasDest func(string) bool) error {
	if len(x.Policies) > MaxPolicies {
		return &Error{"oncall.policies", fmt.Sprintf("at most %d policies (got %d)", MaxPolicies, len(x.Policies))}
	}
	names := map[string]int{}
	for i := range x.Policies {
		key := fmt.Sprintf("oncall.policies[%d]", i)
		if err := x.Policies[i].Validate(hasDest); err != nil {
			if ce, ok := err.(*Error); ok {
				return &Error{key + "." + ce.Key, ce.Msg}
			}
			return &Error{key, err.Error()}
		}
		if j, dup := names[x.Policies[i].Name]; dup {
			return &Error{key + ".name", fmt.Sprintf("%q is already the name of oncall.policies[%d]", x.Policies[i].Name, j)}
		}
		names[x.Policies[i].Name] = i
	}
	return nil
}

// HasPolicy reports whether the config file declares a policy of that name.
func (x *OnCall) HasPolicy(name string) bool {
	return slices.ContainsFunc(x.Policies, func(p OnCallPolicy) bool { return p.Name == name })
}
