// Package config loads opsdesk's configuration: defaults, then an optional YAML
// file, then OPSDESK_* environment variables (env wins). The result is
// validated once; every error names the key that is wrong so an operator can
// fix the file without reading code.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	dbdsn "github.com/opsdesk/opsdesk/internal/store/dsn"
)

// Config is the whole configuration of one opsdesk process.
type Config struct {
	// Addr is the listen address of the HTTP server.
	Addr string `yaml:"addr"`
	// Database is "sqlite:PATH" or a postgres:// URL.
	Database string `yaml:"database"`
	// DataDir holds the SQLite database (by default) and stored files.
	DataDir string `yaml:"data_dir"`
	// BaseURL is the public URL of the console, used in links sent to chat.
	BaseURL string `yaml:"base_url"`
	// LogFormat is "text" or "json".
	LogFormat string `yaml:"log_format"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// TrustedProxies are the addresses (CIDR or single IP) whose
	// X-Forwarded-For header is believed.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// ShutdownTimeout bounds how long SIGTERM waits for in-flight work.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`

	Intake       Intake        `yaml:"intake"`
	Deliveries   Deliveries    `yaml:"deliveries"`
	Console      Console       `yaml:"console"`
	Destinations []Destination `yaml:"destinations"`
	Routes       Routes        `yaml:"routes"`
	AWS          AWS           `yaml:"aws"`
	Cases        Cases         `yaml:"cases"`
	Events       Events        `yaml:"events"`
	Alerts       Alerts        `yaml:"alerts"`
	OnCall       OnCall        `yaml:"oncall"`
	Chat         Chat          `yaml:"chat"`
	Attachments  Attachments   `yaml:"attachments"`
	Jobs         Jobs          `yaml:"jobs"`

	// trusted is TrustedProxies parsed by Validate.
	trusted []netip.Prefix
	// Source names where the configuration came from, for the start-up log.
	Source string `yaml:"-"`
}

// Intake configures the public question form and API.
type Intake struct {
	// RatePerMinute is the number of questions one source IP may submit per
	// minute; 0 disables the limit.
	RatePerMinute int `yaml:"rate_per_minute"`
	// Burst is how many questions an IP may send at once before the rate
	// applies.
	Burst int `yaml:"burst"`
	// MaxQuestionChars bounds the question text (characters, not bytes).
	MaxQuestionChars int `yaml:"max_question_chars"`
}

// Deliveries configures fan-out to destinations.
type Deliveries struct {
	// RetryFor is how long a delivery is retried before it is marked failed.
	RetryFor Duration `yaml:"retry_for"`
	// Timeout bounds one HTTP call to a destination.
	Timeout Duration `yaml:"timeout"`
	// Workers is the number of deliveries sent at once by this process,
	// over all destinations.
	Workers int `yaml:"workers"`
	// PerDest caps the deliveries one destination has in flight at once
	// (per_destination; default a quarter of workers), so a destination
	// that hangs holds at most that share of the workers.
	PerDest int `yaml:"per_destination"`
}

// Console configures the operator console.
type Console struct {
	// SessionTTL is how long a login lasts.
	SessionTTL Duration `yaml:"session_ttl"`
	// LoginPerMinute bounds failed logins per source IP.
	LoginPerMinute int `yaml:"login_per_minute"`
}

// Destination is one place questions (and later alerts, events) are sent to.
// Which keys apply depends on Type; secrets are never written inline but
// named by an environment variable (the *_env keys).
type Destination struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"` // teams, backlog, dingtalk, lark, wecom, slack, webhook

	// URL is the webhook URL (teams, dingtalk, lark, wecom, slack, webhook).
	URL string `yaml:"url"`
	// URLEnv names an environment variable holding the URL, for webhooks
	// whose URL is itself a secret (Slack, Teams).
	URLEnv string `yaml:"url_env"`
	// SecretEnv names the variable holding the signing secret (dingtalk SEC, lark
	// secret, webhook HMAC key).
	SecretEnv string `yaml:"secret_env"`

	// Backlog keys.
	BaseURL      string  `yaml:"base_url"`
	APIKeyEnv    string  `yaml:"api_key_env"`
	ProjectID    int64   `yaml:"project_id"`
	IssueTypeID  int64   `yaml:"issue_type_id"`
	PriorityID   int64   `yaml:"priority_id"`
	AssigneeID   int64   `yaml:"assignee_id"`
	MilestoneIDs []int64 `yaml:"milestone_ids"`
	CategoryIDs  []int64 `yaml:"category_ids"`

	// Language of the alert messages a destination that follows alerts
	// gets (alerts.systems[].follow): en (default), ja, zh or ko.
	Language string `yaml:"language"`

	// Slack Web API mode (type slack): a bot token instead of an
	// incoming webhook, so that alert messages can be updated in place
	// and carry buttons. BotTokenEnv names the variable holding the
	// xoxb- token; Channel is the channel id (C…) posted to; APIURL is
	// the Web API base (default https://slack.com/api/), for tests.
	BotTokenEnv string `yaml:"bot_token_env"`
	Channel     string `yaml:"channel"`
	APIURL      string `yaml:"api_url"`
}

// SlackAPI reports whether d is a Slack destination in Web API mode.
func (d *Destination) SlackAPI() bool { return d.Type == "slack" && d.BotTokenEnv != "" }

// AWS lists the AWS accounts opsdesk works with.
type AWS struct {
	Accounts []AWSAccount `yaml:"accounts"`
	// Organizations are discovered for the case archive (organizations.go).
	Organizations []AWSOrganization `yaml:"organizations"`
	// Queues are the SQS queues opsdesk long-polls (queues.go).
	Queues []AWSQueue `yaml:"queues"`
}

// AWSAccount is one AWS account. Credentials come from the SDK's default
// chain, a named profile, or an IAM role assumed through STS.
type AWSAccount struct {
	// Name identifies the account in opsdesk (e.g. "prod").
	Name string `yaml:"name"`
	// Profile is a named profile of the shared AWS config files.
	Profile string `yaml:"profile"`
	// RoleARN is assumed with STS; ExternalID is passed when set.
	RoleARN    string `yaml:"role_arn"`
	ExternalID string `yaml:"external_id"`
	// Partition is aws (default), aws-cn or aws-us-gov.
	Partition string `yaml:"partition"`
	// Languages are the case languages to archive (default: all the API
	// supports).
	Languages []string `yaml:"languages"`
	// AccountID is the 12-digit AWS account id; events from EventBridge
	// ("Support Case Update") name the account by it. Optional with a
	// single account.
	AccountID string `yaml:"account_id"`
}

// Cases configures the Support case archive.
type Cases struct {
	// SyncInterval is how often every account is synced.
	SyncInterval Duration `yaml:"sync_interval"`
	// ResolvedRepoll is how long resolved cases keep being re-polled to
	// catch reopening.
	ResolvedRepoll Duration `yaml:"resolved_repoll"`
	// FullCheckInterval is how often every case AWS still has is listed,
	// to mark the ones AWS deleted (0 disables).
	FullCheckInterval Duration `yaml:"full_check_interval"`
}

// Routes says which destinations receive which kind of item.
type Routes struct {
	Questions []string `yaml:"questions"`
}

// Duration is a time.Duration written as "90s", "24h" in YAML.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML accepts Go duration strings ("1h30m").
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (examples: 30s, 15m, 24h)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Default returns the configuration used when nothing is set.
func Default() *Config {
	c := &Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "./data",
		LogFormat:       "text",
		LogLevel:        "info",
		ShutdownTimeout: Duration(25 * time.Second),
		Intake: Intake{
			RatePerMinute:    30,
			Burst:            10,
			MaxQuestionChars: 8000,
		},
		Deliveries: Deliveries{
			RetryFor: Duration(24 * time.Hour),
			Timeout:  Duration(15 * time.Second),
			Workers:  64,
		},
		Console: Console{
			SessionTTL:     Duration(7 * 24 * time.Hour),
			LoginPerMinute: 10,
		},
		Cases: Cases{
			SyncInterval:      Duration(time.Hour),
			ResolvedRepoll:    Duration(30 * 24 * time.Hour),
			FullCheckInterval: Duration(7 * 24 * time.Hour),
		},
	}
	c.Events.setDefaults()
	c.Jobs.setDefaults()
	c.Alerts.setDefaults()
	c.Chat.setDefaults()
	return c
}

// Error is a configuration error that names the offending key.
type Error struct {
	Key string
	Msg string
}

func (e *Error) Error() string { return "config: " + e.Key + ": " + e.Msg }

// Load builds the configuration from the file (may be empty: no file) and the
// environment lookup function (os.LookupEnv in production).
func Load(file string, lookup func(string) (string, bool)) (*Config, error) {
	cfg := Default()
	if file == "" {
		if v, ok := lookup("OPSDESK_CONFIG"); ok && v != "" {
			file = v
		}
	}
	cfg.Source = "defaults"
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		defer f.Close()
		if err := decode(f, cfg); err != nil {
			return nil, fmt.Errorf("config: %s: %w", file, err)
		}
		cfg.Source = file
	}
	applyEnv(cfg, lookup)
	if cfg.Database == "" {
		cfg.Database = "sqlite:" + strings.TrimSuffix(cfg.DataDir, "/") + "/opsdesk.db"
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Parse decodes YAML bytes over the defaults and validates; used by tests
// and by Load.
func Parse(data []byte) (*Config, error) {
	cfg := Default()
	if err := decode(bytes.NewReader(data), cfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if cfg.Database == "" {
		cfg.Database = "sqlite:" + strings.TrimSuffix(cfg.DataDir, "/") + "/opsdesk.db"
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func decode(r io.Reader, cfg *Config) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

func applyEnv(cfg *Config, lookup func(string) (string, bool)) {
	set := func(key string, dst *string) {
		if v, ok := lookup(key); ok && v != "" {
			*dst = v
		}
	}
	set("OPSDESK_ADDR", &cfg.Addr)
	set("OPSDESK_DATABASE", &cfg.Database)
	set("OPSDESK_DATA_DIR", &cfg.DataDir)
	set("OPSDESK_BASE_URL", &cfg.BaseURL)
	set("OPSDESK_LOG_FORMAT", &cfg.LogFormat)
	set("OPSDESK_LOG_LEVEL", &cfg.LogLevel)
}

// Validate checks every key and returns the first problem found.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return &Error{"addr", fmt.Sprintf("%q is not host:port", c.Addr)}
	}
	if _, _, err := ParseDatabase(c.Database); err != nil {
		return &Error{"database", err.Error()}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return &Error{"log_format", fmt.Sprintf("%q must be text or json", c.LogFormat)}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &Error{"log_level", fmt.Sprintf("%q must be debug, info, warn or error", c.LogLevel)}
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &Error{"base_url", fmt.Sprintf("%q is not an http(s) URL", c.BaseURL)}
		}
	}
	c.trusted = nil
	for i, p := range c.TrustedProxies {
		pfx, err := parsePrefix(p)
		if err != nil {
			return &Error{fmt.Sprintf("trusted_proxies[%d]", i), fmt.Sprintf("%q is not an IP address or CIDR", p)}
		}
		c.trusted = append(c.trusted, pfx)
	}
	if c.ShutdownTimeout.D() <= 0 || c.ShutdownTimeout.D() > 30*time.Second {
		return &Error{"shutdown_timeout", "must be between 1s and 30s"}
	}
	if c.Intake.RatePerMinute < 0 {
		return &Error{"intake.rate_per_minute", "must not be negative"}
	}
	if c.Intake.Burst < 0 {
		return &Error{"intake.burst", "must not be negative"}
	}
	if c.Intake.MaxQuestionChars <= 0 || c.Intake.MaxQuestionChars > 8000 {
		return &Error{"intake.max_question_chars", "must be between 1 and 8000"}
	}
	if c.Deliveries.RetryFor.D() < time.Minute {
		return &Error{"deliveries.retry_for", "must be at least 1m"}
	}
	if c.Deliveries.Timeout.D() <= 0 || c.Deliveries.Timeout.D() > 5*time.Minute {
		return &Error{"deliveries.timeout", "must be between 1ms and 5m"}
	}
	if c.Deliveries.Workers <= 0 || c.Deliveries.Workers > 1000 {
		return &Error{"deliveries.workers", "must be between 1 and 1000"}
	}
	if c.Deliveries.PerDest < 0 || c.Deliveries.PerDest > c.Deliveries.Workers {
		return &Error{"deliveries.per_destination", fmt.Sprintf("must be between 1 and deliveries.workers (%d)", c.Deliveries.Workers)}
	}
	if err := c.Jobs.validate(); err != nil {
		return err
	}
	if c.Console.SessionTTL.D() < time.Minute {
		return &Error{"console.session_ttl", "must be at least 1m"}
	}
	if c.Console.LoginPerMinute <= 0 {
		return &Error{"console.login_per_minute", "must be positive"}
	}
	names := map[string]bool{}
	for i, d := range c.Destinations {
		key := fmt.Sprintf("destinations[%d]", i)
		if err := d.validate(key); err != nil {
			return err
		}
		if names[d.Name] {
			return &Error{key + ".name", fmt.Sprintf("%q is used by two destinations", d.Name)}
		}
		names[d.Name] = true
	}
	if c.Cases.SyncInterval.D() < time.Minute {
		return &Error{"cases.sync_interval", "must be at least 1m"}
	}
	if c.Cases.ResolvedRepoll.D() < 0 {
		return &Error{"cases.resolved_repoll", "must not be negative"}
	}
	if c.Cases.FullCheckInterval.D() < 0 {
		return &Error{"cases.full_check_interval", "must not be negative (0 disables it)"}
	}
	accounts := map[string]bool{}
	for i, a := range c.AWS.Accounts {
		key := fmt.Sprintf("aws.accounts[%d]", i)
		if err := ValidateName(a.Name); err != nil {
			return &Error{key + ".name", err.Error()}
		}
		if accounts[a.Name] {
			return &Error{key + ".name", fmt.Sprintf("%q is used by two accounts", a.Name)}
		}
		accounts[a.Name] = true
		key = fmt.Sprintf("aws.accounts[%s]", a.Name)
		if a.Profile != "" && a.RoleARN != "" {
			return &Error{key + ".role_arn", "set profile or role_arn, not both"}
		}
		if a.RoleARN != "" && !strings.HasPrefix(a.RoleARN, "arn:aws") {
			return &Error{key + ".role_arn", fmt.Sprintf("%q is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)", a.RoleARN)}
		}
		if a.ExternalID != "" && a.RoleARN == "" {
			return &Error{key + ".external_id", "needs role_arn"}
		}
		switch a.Partition {
		case "", "aws", "aws-cn", "aws-us-gov":
		default:
			return &Error{key + ".partition", fmt.Sprintf("%q must be aws, aws-cn or aws-us-gov", a.Partition)}
		}
		if a.AccountID != "" && !isAccountID(a.AccountID) {
			return &Error{key + ".account_id", fmt.Sprintf("%q is not a 12-digit AWS account id", a.AccountID)}
		}
		for j, l := range a.Languages {
			if !slices.Contains(CaseLanguages, l) {
				return &Error{fmt.Sprintf("%s.languages[%d]", key, j), fmt.Sprintf("%q is not a Support case language (%s)", l, strings.Join(CaseLanguages, ", "))}
			}
		}
	}
	if err := c.AWS.validateOrganizations(); err != nil {
		return err
	}
	if err := c.validateQueues(); err != nil {
		return err
	}
	for i, n := range c.Routes.Questions {
		if !names[n] {
			return &Error{fmt.Sprintf("routes.questions[%d]", i), fmt.Sprintf("no destination is named %q", n)}
		}
	}
	if err := c.Events.validate(c); err != nil {
		return err
	}
	if err := c.Alerts.validate(c); err != nil {
		return err
	}
	if err := c.Attachments.validate(); err != nil {
		return err
	}
	if err := c.OnCall.validate(); err != nil {
		return err
	}
	if err := c.OnCall.OnCallContact.validate(c); err != nil {
		return err
	}
	if err := c.OnCall.validatePolicies(c.HasDestination); err != nil {
		return err
	}
	if err := c.Alerts.validateRoutes(c.OnCall.HasPolicy); err != nil {
		return err
	}
	return c.Chat.validate(c)
}

// HasDestination reports whether a destination of that name is configured.
func (c *Config) HasDestination(name string) bool {
	for _, d := range c.Destinations {
		if d.Name == name {
			return true
		}
	}
	return false
}

func (d *Destination) validate(key string) error {
	if d.Name == "" {
		return &Error{key + ".name", "is required"}
	}
	key = fmt.Sprintf("destinations[%s]", d.Name)
	needURL := func() error {
		if d.URL == "" && d.URLEnv == "" {
			return &Error{key + ".url", "is required (or url_env)"}
		}
		if d.URL != "" && d.URLEnv != "" {
			return &Error{key + ".url", "set url or url_env, not both"}
		}
		if d.URL != "" {
			if err := checkHTTPURL(d.URL); err != nil {
				return &Error{key + ".url", err.Error()}
			}
		}
		return nil
	}
	switch d.Language {
	case "", "en", "ja", "zh", "ko":
	default:
		return &Error{key + ".language", fmt.Sprintf("%q is not one of en, ja, zh, ko", d.Language)}
	}
	if d.Type != "slack" && (d.BotTokenEnv != "" || d.Channel != "" || d.APIURL != "") {
		return &Error{key + ".bot_token_env", "bot_token_env, channel and api_url are for type slack only"}
	}
	if d.Type == "slack" && d.BotTokenEnv != "" {
		if d.URL != "" || d.URLEnv != "" {
			return &Error{key + ".url", "set url (an incoming webhook) or bot_token_env (the Web API), not both"}
		}
		if !slackChannelRe.MatchString(d.Channel) {
			return &Error{key + ".channel", fmt.Sprintf("%q is not a Slack channel id (C…, G… or D…); it is required with bot_token_env", d.Channel)}
		}
		if d.APIURL != "" {
			if err := checkHTTPURL(d.APIURL); err != nil {
				return &Error{key + ".api_url", err.Error()}
			}
		}
		if d.SecretEnv != "" {
			return &Error{key + ".secret_env", "is not used by type slack"}
		}
		return nil
	}
	if d.Channel != "" || d.APIURL != "" {
		return &Error{key + ".channel", "channel and api_url need bot_token_env"}
	}
	switch d.Type {
	case "teams", "slack", "wecom":
		if err := needURL(); err != nil {
			return err
		}
		if d.SecretEnv != "" {
			return &Error{key + ".secret_env", "is not used by type " + d.Type}
		}
	case "dingtalk", "lark", "webhook":
		if err := needURL(); err != nil {
			return err
		}
	case "backlog":
		if d.BaseURL == "" {
			return &Error{key + ".base_url", "is required for backlog (https://SPACE.backlog.com)"}
		}
		if err := checkHTTPURL(d.BaseURL); err != nil {
			return &Error{key + ".base_url", err.Error()}
		}
		if d.APIKeyEnv == "" {
			return &Error{key + ".api_key_env", "is required for backlog: the environment variable holding the API key"}
		}
		if d.ProjectID <= 0 {
			return &Error{key + ".project_id", "is required for backlog (a positive number)"}
		}
		if d.IssueTypeID <= 0 {
			return &Error{key + ".issue_type_id", "is required for backlog (a positive number)"}
		}
		if d.PriorityID <= 0 {
			return &Error{key + ".priority_id", "is required for backlog (a positive number; 3 is Normal)"}
		}
	case "":
		return &Error{key + ".type", "is required (teams, backlog, dingtalk, lark, wecom, slack or webhook)"}
	default:
		return &Error{key + ".type", fmt.Sprintf("%q is not one of teams, backlog, dingtalk, lark, wecom, slack, webhook", d.Type)}
	}
	return nil
}

// slackChannelRe matches a Slack conversation id.
var slackChannelRe = regexp.MustCompile(`^[CGD][A-Z0-9]{2,30}$`)

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", redactURL(s))
	}
	return nil
}

// redactURL keeps scheme and host of a URL so that error messages never
// print the token part of a webhook URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(unparseable URL)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// ParseDatabase splits a database setting into engine ("sqlite" or
// "postgres") and the driver's data source.
func ParseDatabase(s string) (engine, dsn string, err error) { return dbdsn.Parse(s) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// CaseLanguages are the languages AWS Support accepts for cases.
var CaseLanguages = []string{"en", "ja", "zh", "ko", "es", "pt", "fr", "tr"}

// ValidateName checks an identifier used in URLs and logs (account names).
func ValidateName(s string) error {
	if s == "" || len(s) > 64 {
		return errors.New("must be 1 to 64 characters")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("%q may contain only letters, digits, '-', '_' and '.'", s)
		}
	}
	// Names become file and directory names (cases export): "..", "."
	// and hidden names are refused.
	if c := s[0]; c == '.' || c == '-' {
		return fmt.Errorf("%q must begin with a letter, a digit or '_'", s)
	}
	return nil
}

// Trusted reports whether addr is a configured trusted proxy.
func (c *Config) Trusted(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range c.trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Secret returns the value of the environment variable named by key, or an
// error naming the config key when it is unset.
func Secret(lookup func(string) (string, bool), cfgKey, envName string) (string, error) {
	if envName == "" {
		return "", nil
	}
	v, ok := lookup(envName)
	if !ok || v == "" {
		return "", &Error{cfgKey, fmt.Sprintf("environment variable %s is not set", envName)}
	}
	return v, nil
}

// Destination returns the destination with the given name.
func (c *Config) Destination(name string) (Destination, bool) {
	for _, d := range c.Destinations {
		if d.Name == name {
			return d, true
		}
	}
	return Destination{}, false
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
