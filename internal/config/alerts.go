package config

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/alerts/hours"
)

// Alerts configures alert intake and phone escalation (seed 004): the
// monitoring systems post alerts to /api/v1/alerts/…, and every open alert
// of a system phones that system's call list through Amazon Connect until
// someone acknowledges.
//
//	alerts:
//	  default_system: XYZ        # alerts that name no system
//	  timezone: Asia/Tokyo       # contacts' hours; zone-less timestamps
//	  connect: {instance_id: …, contact_flow_id: …, source_phone: "+81…"}
//	  systems:
//	    - name: XYZ
//	      contacts:
//	        - {name: Sato, phone: "+819012345678", language: ja-JP}
//	        - {name: Suzuki, phone: "+819023456789", hours: "Mon-Fri 08:00-22:00"}
//	      rounds: 3
//	      notify: [ops-teams]
//
// Without connect, alerts are stored and shown, and an escalation that
// cannot phone anyone gives up at once (notifying the system's
// destinations).
type Alerts struct {
	// Connect is the Amazon Connect instance calls are placed through;
	// nil places no calls.
	Connect *AlertsConnect `yaml:"connect"`
	// Systems are call lists seeded into the database at start-up. A
	// system edited in the console keeps the console's version.
	Systems []AlertSystem `yaml:"systems"`
	// DefaultSystem is the system of alerts whose payload names none (the
	// ?system= query parameter overrides it), and the call list used for
	// alerts of a system that has none.
	DefaultSystem string `yaml:"default_system"`
	// Timezone is the IANA zone of the contacts' hours and of timestamps
	// that carry no zone (the seed's lastcheck); default UTC.
	Timezone string `yaml:"timezone"`
	// SNSTopics are topic ARNs whose signed notifications
	// /api/v1/alerts/cloudwatch accepts without a token.
	SNSTopics []string `yaml:"sns_topics"`
	// MaxBodyBytes bounds one intake request (default 1 MiB).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ActionLinks configures the one-tap links of SMS and email messages.
	ActionLinks AlertsActionLinks `yaml:"action_links"`
	// Flapping holds back the escalation of an alert that keeps opening
	// and resolving (see AlertsFlapping).
	Flapping AlertsFlapping `yaml:"flapping"`

	loc *time.Location
}

// AlertsConnect is the Connect instance, flow and number alert calls use,
// and the limits opsdesk keeps to (docs/connect.md).
type AlertsConnect struct {
	InstanceID    string `yaml:"instance_id"`
	ContactFlowID string `yaml:"contact_flow_id"`
	// SourcePhone is the caller id, a number claimed in the instance (E.164).
	SourcePhone string `yaml:"source_phone"`
	// Region of the instance (default AWS_REGION or the profile's).
	Region string `yaml:"region"`
	// Profile selects a shared-config profile; RoleARN is assumed on top
	// of the credentials found. At most one of them.
	Profile string `yaml:"profile"`
	RoleARN string `yaml:"role_arn"`
	// KeyAttribute is the contact attribute the flow stores the key in
	// (default pressed_key).
	KeyAttribute string `yaml:"key_attribute"`
	// RatePerSecond is the token bucket of Connect API requests (default 2).
	RatePerSecond float64 `yaml:"rate_per_second"`
	// MaxConcurrentCalls caps calls in progress at once (default 10,
	// Connect's default quota).
	MaxConcurrentCalls int `yaml:"max_concurrent_calls"`
	// PollInterval is the time between status checks of a call (default 30s).
	PollInterval Duration `yaml:"poll_interval"`
	// RingTimeout is how long a phone rings: whole seconds from
	// MinRingTimeout to MaxRingTimeout (0: Connect's default of 60 s).
	RingTimeout Duration `yaml:"ring_timeout"`
	// MaxCallDuration hangs up a call still going after this long and
	// moves on (default 5m).
	MaxCallDuration Duration `yaml:"max_call_duration"`
	// PerNumberMaxCallsPerHour is how many calls one phone number may get
	// in any hour; beyond it the number is skipped (default 10, 0: no limit).
	PerNumberMaxCallsPerHour *int `yaml:"per_number_max_calls_per_hour"`
}

// AlertSystem is one system's escalation policy.
type AlertSystem struct {
	Name     string         `yaml:"name"`
	Contacts []AlertContact `yaml:"contacts"`
	// Rounds is how many times the whole list is called (default 3).
	Rounds int `yaml:"rounds"`
	// WaitBetweenCalls is the pause after a call before the next (default 0).
	WaitBetweenCalls Duration `yaml:"wait_between_calls"`
	// QuietPeriod is how long key 2 keeps the system quiet (default 12h).
	QuietPeriod Duration `yaml:"quiet_period"`
	// Notify are destinations told when nobody acknowledged.
	Notify []string `yaml:"notify"`
	// Follow are chat destinations (slack, dingtalk, teams, lark, wecom)
	// that follow every alert of the system through its life: opened,
	// who is called, acknowledged, resolved (internal/alertchat).
	Follow []string `yaml:"follow"`
	// Routes choose an escalation policy per severity and hours
	// (policies.go); an alert no route matches goes to the call list.
	Routes []AlertRoute `yaml:"routes"`
	// GroupBy turns on grouping into incidents: alerts of the system with
	// equal values of these fields form one incident, escalated once.
	// Names: host, service, severity, source, groupKey (Alertmanager's
	// notification group), or any label. Empty: every alert escalates on
	// its own.
	GroupBy []string `yaml:"group_by"`
	// GroupWindow is how long after an incident's last alert a new alert
	// still joins it (default 5m; with group_by [groupKey] alone, default
	// 0: for as long as the incident is open).
	GroupWindow Duration `yaml:"group_window"`
}

// Bounds of grouping.
const (
	DefaultGroupWindow = 5 * time.Minute
	MaxGroupBy         = 10
	MaxGroupWindow     = 24 * time.Hour
)

// Grouping returns the system's grouping fields and window with the
// default window filled in (nil fields: no grouping). A window of 0 means
// "while the incident is open".
func (s AlertSystem) Grouping() ([]string, time.Duration) {
	if len(s.GroupBy) == 0 {
		return nil, 0
	}
	if s.GroupWindow != 0 {
		return s.GroupBy, s.GroupWindow.D()
	}
	if len(s.GroupBy) == 1 && s.GroupBy[0] == "groupKey" {
		return s.GroupBy, 0
	}
	return s.GroupBy, DefaultGroupWindow
}

// AlertContact is one person on a call list.
type AlertContact struct {
	Name  string `yaml:"name"`
	Phone string `yaml:"phone"`
	// Language the alert is read in: ja-JP, en-US, zh-CN or ko-KR (ja, en,
	// zh, ko accepted); default en-US.
	Language string `yaml:"language"`
	// Hours when the person may be called (see internal/alerts/hours);
	// empty: always.
	Hours string `yaml:"hours"`
}

// Defaults of the alerts section.
const (
	DefaultAlertRounds        = 3
	DefaultAlertQuietPeriod   = 12 * time.Hour
	DefaultAlertPollInterval  = 30 * time.Second
	DefaultAlertMaxConcurrent = 10
	DefaultAlertRatePerSecond = 2
	DefaultAlertPerNumberHour = 10
	DefaultAlertMaxCall       = 5 * time.Minute
	MaxAlertRounds            = 10
	MaxAlertContacts          = 50
	// MinRingTimeout and MaxRingTimeout bound ring_timeout: Connect's
	// StartOutboundVoiceContact accepts RingTimeoutInSeconds from 15 to 60.
	MinRingTimeout = 15 * time.Second
	MaxRingTimeout = 60 * time.Second
)

// AlertLanguages are the languages the contact flow reads alerts in.
var AlertLanguages = []string{"ja-JP", "en-US", "zh-CN", "ko-KR"}

var (
	e164Re      = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	attrKeyRe   = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	connectIDRe = regexp.MustCompile(`^[A-Za-z0-9-]{1,100}$`)
)

// AlertsFlapping: an alert that opens when its key was resolved Opens times
// or more within Window is flapping. It is stored and shown, but its
// escalation waits until the window has passed; if it is still open then,
// it escalates, and if it resolved meanwhile (as flapping alerts do) nobody
// was disturbed. Opens 0 turns flap detection off.
type AlertsFlapping struct {
	Opens  int      `yaml:"opens"`
	Window Duration `yaml:"window"`
}

// Defaults of flap detection: the fourth opening within 30 minutes.
const (
	DefaultFlappingOpens  = 3
	DefaultFlappingWindow = 30 * time.Minute
)

func (x *Alerts) setDefaults() {
	x.MaxBodyBytes = 1 << 20
	x.Flapping = AlertsFlapping{Opens: DefaultFlappingOpens, Window: Duration(DefaultFlappingWindow)}
}

// Location is the parsed timezone (UTC when unset).
func (x *Alerts) Location() *time.Location {
	if x.loc == nil {
		return time.UTC
	}
	return x.loc
}

// System returns the configured system of that name.
func (x *Alerts) System(name string) (AlertSystem, bool) {
	for _, s := range x.Systems {
		if s.Name == name {
			return s, true
		}
	}
	return AlertSystem{}, false
}

// WithDefaults returns the connect settings with defaults filled in.
func (c AlertsConnect) WithDefaults() AlertsConnect {
	if c.KeyAttribute == "" {
		c.KeyAttribute = "pressed_key"
	}
	if c.RatePerSecond == 0 {
		c.RatePerSecond = DefaultAlertRatePerSecond
	}
	if c.MaxConcurrentCalls == 0 {
		c.MaxConcurrentCalls = DefaultAlertMaxConcurrent
	}
	if c.PollInterval == 0 {
		c.PollInterval = Duration(DefaultAlertPollInterval)
	}
	if c.MaxCallDuration == 0 {
		c.MaxCallDuration = Duration(DefaultAlertMaxCall)
	}
	if c.PerNumberMaxCallsPerHour == nil {
		n := DefaultAlertPerNumberHour
		c.PerNumberMaxCallsPerHour = &n
	}
	return c
}

// WithDefaults returns the system with defaults filled in.
func (s AlertSystem) WithDefaults() AlertSystem {
	if s.Rounds == 0 {
		s.Rounds = DefaultAlertRounds
	}
	if s.QuietPeriod == 0 {
		s.QuietPeriod = Duration(DefaultAlertQuietPeriod)
	}
	return s
}

// NormalizeLanguage maps a contact's language to one the flow speaks
// ("ja" → "ja-JP"); "" stays "" (the flow's default) and ok is false for
// anything else.
func NormalizeLanguage(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	for _, l := range AlertLanguages {
		if strings.EqualFold(s, l) || strings.EqualFold(s, l[:2]) {
			return l, true
		}
	}
	return "", false
}

// ValidateSystemName checks the name of a system: what monitoring systems
// send as systemname, one line of at most 100 characters.
func ValidateSystemName(s string) error {
	if strings.TrimSpace(s) != s || s == "" {
		return fmt.Errorf("must be non-empty without leading or trailing spaces")
	}
	if utf8.RuneCountInString(s) > 100 {
		return fmt.Errorf("is longer than 100 characters")
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' }) {
		return fmt.Errorf("must be one line without control characters")
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("is not valid UTF-8")
	}
	return nil
}

// ValidateContact checks one contact; field names the part that is wrong
// (name, phone, language, hours).
func ValidateContact(c AlertContact) (field string, err error) {
	if strings.TrimSpace(c.Name) == "" {
		return "name", fmt.Errorf("is required")
	}
	if utf8.RuneCountInString(c.Name) > 100 || strings.ContainsFunc(c.Name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "name", fmt.Errorf("must be one line of at most 100 characters")
	}
	if !e164Re.MatchString(c.Phone) {
		return "phone", fmt.Errorf("%q is not an E.164 number such as +819012345678", c.Phone)
	}
	if _, ok := NormalizeLanguage(c.Language); !ok {
		return "language", fmt.Errorf("%q is not one of %s", c.Language, strings.Join(AlertLanguages, ", "))
	}
	if _, err := hours.Parse(c.Hours); err != nil {
		return "hours", err
	}
	return "", nil
}

func (x *Alerts) validate(c *Config) error {
	if x.MaxBodyBytes < 1024 || x.MaxBodyBytes > 64<<20 {
		return &Error{"alerts.max_body_bytes", "must be between 1024 and 67108864"}
	}
	x.loc = time.UTC
	if x.Timezone != "" {
		loc, err := time.LoadLocation(x.Timezone)
		if err != nil {
			return &Error{"alerts.timezone", fmt.Sprintf("%q is not an IANA time zone (examples: Asia/Tokyo, UTC)", x.Timezone)}
		}
		x.loc = loc
	}
	if x.DefaultSystem != "" {
		if err := ValidateSystemName(x.DefaultSystem); err != nil {
			return &Error{"alerts.default_system", err.Error()}
		}
	}
	for i, t := range x.SNSTopics {
		if !strings.HasPrefix(t, "arn:aws:sns:") && !strings.HasPrefix(t, "arn:aws-cn:sns:") && !strings.HasPrefix(t, "arn:aws-us-gov:sns:") {
			return &Error{fmt.Sprintf("alerts.sns_topics[%d]", i), fmt.Sprintf("%q is not an SNS topic ARN", t)}
		}
	}
	if x.Flapping.Opens < 0 || x.Flapping.Opens > 1000 {
		return &Error{"alerts.flapping.opens", "must be between 0 (off) and 1000 (default 3)"}
	}
	if x.Flapping.Opens > 0 && (x.Flapping.Window.D() < time.Minute || x.Flapping.Window.D() > 24*time.Hour) {
		return &Error{"alerts.flapping.window", "must be between 1m and 24h (default 30m)"}
	}
	if x.Connect != nil {
		if err := x.Connect.validate(); err != nil {
			return err
		}
	}
	if err := x.ActionLinks.validate(); err != nil {
		return err
	}
	names := map[string]bool{}
	for i, s := range x.Systems {
		key := fmt.Sprintf("alerts.systems[%d]", i)
		if err := ValidateSystemName(s.Name); err != nil {
			return &Error{key + ".name", err.Error()}
		}
		if names[s.Name] {
			return &Error{key + ".name", fmt.Sprintf("%q is used by two systems", s.Name)}
		}
		names[s.Name] = true
		if err := validateFollow(c, fmt.Sprintf("alerts.systems[%d].follow", i), s.Follow); err != nil {
			return err
		}
		key = fmt.Sprintf("alerts.systems[%s]", s.Name)
		if err := s.validate(key, c.HasDestination); err != nil {
			return err
		}
	}
	return nil
}

func (x *Alerts) validateRoutes(hasPolicy func(string) bool) error {
	for _, s := range x.Systems {
		if len(s.Routes) > MaxSystemRoutes {
			return &Error{fmt.Sprintf("alerts.systems[%s].routes", s.Name), fmt.Sprintf("has %d routes; at most %d", len(s.Routes), MaxSystemRoutes)}
		}
		for j, r := range s.Routes {
			if field, err := ValidateRoute(r, hasPolicy); err != nil {
				return &Error{fmt.Sprintf("alerts.systems[%s].routes[%d].%s", s.Name, j, field), err.Error()}
			}
		}
	}
	return nil
}

// Validate checks a system's policy; key prefixes the keys of errors and
// hasDest tells which destination names exist.
func (s AlertSystem) Validate(hasDest func(string) bool) error {
	return s.validate("system", hasDest)
}

func (s AlertSystem) validate(key string, hasDest func(string) bool) error {
	if len(s.Contacts) > MaxAlertContacts {
		return &Error{key + ".contacts", fmt.Sprintf("has %d contacts; at most %d", len(s.Contacts), MaxAlertContacts)}
	}
	for j, ct := range s.Contacts {
		if field, err := ValidateContact(ct); err != nil {
			return &Error{fmt.Sprintf("%s.contacts[%d].%s", key, j, field), err.Error()}
		}
	}
	if s.Rounds < 0 || s.Rounds > MaxAlertRounds {
		return &Error{key + ".rounds", fmt.Sprintf("must be between 1 and %d (default %d)", MaxAlertRounds, DefaultAlertRounds)}
	}
	if s.WaitBetweenCalls.D() < 0 || s.WaitBetweenCalls.D() > time.Hour {
		return &Error{key + ".wait_between_calls", "must be between 0s and 1h"}
	}
	if s.QuietPeriod.D() < 0 || s.QuietPeriod != 0 && s.QuietPeriod.D() < time.Minute || s.QuietPeriod.D() > 7*24*time.Hour {
		return &Error{key + ".quiet_period", "must be between 1m and 168h (default 12h)"}
	}
	if len(s.GroupBy) > MaxGroupBy {
		return &Error{key + ".group_by", fmt.Sprintf("has %d fields; at most %d", len(s.GroupBy), MaxGroupBy)}
	}
	fields := map[string]bool{}
	for j, f := range s.GroupBy {
		switch {
		case strings.TrimSpace(f) == "" || f != strings.TrimSpace(f):
			return &Error{fmt.Sprintf("%s.group_by[%d]", key, j), "must be a non-empty field or label name without surrounding spaces"}
		case utf8.RuneCountInString(f) > 128:
			return &Error{fmt.Sprintf("%s.group_by[%d]", key, j), "is longer than 128 characters"}
		case fields[f]:
			return &Error{fmt.Sprintf("%s.group_by[%d]", key, j), fmt.Sprintf("%q is listed twice", f)}
		}
		fields[f] = true
	}
	if s.GroupWindow.D() < 0 || s.GroupWindow != 0 && s.GroupWindow.D() < time.Second || s.GroupWindow.D() > MaxGroupWindow {
		return &Error{key + ".group_window", "must be between 1s and 24h (default 5m)"}
	}
	if s.GroupWindow != 0 && len(s.GroupBy) == 0 {
		return &Error{key + ".group_window", "needs group_by: the fields whose equal values group alerts"}
	}
	seen := map[string]bool{}
	for j, d := range s.Notify {
		if !hasDest(d) {
			return &Error{fmt.Sprintf("%s.notify[%d]", key, j), fmt.Sprintf("no destination is named %q", d)}
		}
		if seen[d] {
			return &Error{fmt.Sprintf("%s.notify[%d]", key, j), fmt.Sprintf("%q is listed twice", d)}
		}
		seen[d] = true
	}
	return nil
}

func (c *AlertsConnect) validate() error {
	const key = "alerts.connect"
	switch {
	case c.InstanceID == "":
		return &Error{key + ".instance_id", "is required (the id at the end of the instance ARN)"}
	case !connectIDRe.MatchString(c.InstanceID):
		return &Error{key + ".instance_id", fmt.Sprintf("%q is not a Connect instance id", c.InstanceID)}
	case c.ContactFlowID == "":
		return &Error{key + ".contact_flow_id", "is required (the id at the end of the flow ARN)"}
	case !connectIDRe.MatchString(c.ContactFlowID):
		return &Error{key + ".contact_flow_id", fmt.Sprintf("%q is not a contact flow id", c.ContactFlowID)}
	case c.SourcePhone == "":
		return &Error{key + ".source_phone", "is required: a number claimed in the instance, E.164"}
	case !e164Re.MatchString(c.SourcePhone):
		return &Error{key + ".source_phone", fmt.Sprintf("%q is not an E.164 number such as +815012345678", c.SourcePhone)}
	case c.Profile != "" && c.RoleARN != "":
		return &Error{key + ".role_arn", "set profile or role_arn, not both"}
	case c.RoleARN != "" && !strings.HasPrefix(c.RoleARN, "arn:aws"):
		return &Error{key + ".role_arn", fmt.Sprintf("%q is not an IAM role ARN", c.RoleARN)}
	case c.KeyAttribute != "" && !attrKeyRe.MatchString(c.KeyAttribute):
		return &Error{key + ".key_attribute", "may hold only letters, digits, '-' and '_'"}
	case c.RatePerSecond < 0 || c.RatePerSecond > 10000 || math.IsNaN(c.RatePerSecond):
		return &Error{key + ".rate_per_second", "must be between 0.01 and 10000 (default 2)"}
	case c.RatePerSecond != 0 && c.RatePerSecond < 0.01:
		return &Error{key + ".rate_per_second", "must be between 0.01 and 10000 (default 2)"}
	case c.MaxConcurrentCalls < 0 || c.MaxConcurrentCalls > 10000:
		return &Error{key + ".max_concurrent_calls", "must be between 1 and 10000 (default 10)"}
	case c.PollInterval.D() < 0 || c.PollInterval != 0 && c.PollInterval.D() < time.Second || c.PollInterval.D() > 5*time.Minute:
		return &Error{key + ".poll_interval", "must be between 1s and 5m (default 30s)"}
	case c.RingTimeout != 0 && (c.RingTimeout.D()%time.Second != 0 || c.RingTimeout.D() < MinRingTimeout || c.RingTimeout.D() > MaxRingTimeout):
		return &Error{key + ".ring_timeout", fmt.Sprintf("must be whole seconds from %ds to %ds, the range of Connect's RingTimeoutInSeconds (leave it out for Connect's default of 60s)", MinRingTimeout/time.Second, MaxRingTimeout/time.Second)}
	case c.MaxCallDuration.D() < 0 || c.MaxCallDuration != 0 && c.MaxCallDuration.D() < time.Minute || c.MaxCallDuration.D() > time.Hour:
		return &Error{key + ".max_call_duration", "must be between 1m and 1h (default 5m)"}
	case c.PerNumberMaxCallsPerHour != nil && (*c.PerNumberMaxCallsPerHour < 0 || *c.PerNumberMaxCallsPerHour > 1000):
		return &Error{key + ".per_number_max_calls_per_hour", "must be between 0 (no limit) and 1000 (default 10)"}
	}
	d := c.WithDefaults()
	if d.MaxCallDuration.D() < d.PollInterval.D() {
		return &Error{key + ".max_call_duration", "must not be shorter than poll_interval"}
	}
	return nil
}

// FollowTypes are the destination types that can follow alerts in chat.
var FollowTypes = []string{"slack", "dingtalk", "teams", "lark", "wecom"}

// validateFollow checks a follow list: chat destinations, each once.
func validateFollow(c *Config, key string, names []string) error {
	seen := map[string]bool{}
	for j, n := range names {
		k := fmt.Sprintf("%s[%d]", key, j)
		d, ok := c.Destination(n)
		if !ok {
			return &Error{k, fmt.Sprintf("no destination is named %q", n)}
		}
		if !slices.Contains(FollowTypes, d.Type) {
			return &Error{k, fmt.Sprintf("%q is a %s destination; only %s destinations can follow alerts", n, d.Type, strings.Join(FollowTypes, ", "))}
		}
		if seen[n] {
			return &Error{k, fmt.Sprintf("%q is listed twice", n)}
		}
		seen[n] = true
	}
	return nil
}
