package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Chat configures chat-ops: commands typed to a DingTalk enterprise
// internal robot or a Slack slash command that look up, create, show,
// reply to and resolve AWS Support cases, and case updates posted back to
// chat. Secrets are named by environment variables (the *_env keys).
//
// Chat is on when chat.dingtalk.app_secret_env, chat.slack.signing_secret_env,
// chat.slack.app_token_env or chat.updates is set; otherwise nothing of it
// runs.
type Chat struct {
	// Account names the aws.accounts entry whose Support API the commands
	// use (default: the first account).
	Account string `yaml:"account"`
	// CaseLanguage is the language of cases created from chat when the
	// message has no language line (en, ja, zh or ko; default en).
	CaseLanguage string `yaml:"case_language"`
	// ServiceCache is how long the DescribeServices and
	// DescribeSeverityLevels answers are kept (default 24h).
	ServiceCache Duration `yaml:"service_cache"`
	// UpdateInterval is how often the archive is compared with what was
	// last announced, for case updates (default 30s).
	UpdateInterval Duration `yaml:"update_interval"`

	DingTalk ChatDingTalk `yaml:"dingtalk"`
	Slack    ChatSlack    `yaml:"slack"`
	// Updates are destinations that hear about every case's updates (a
	// new AWS reply, a resolution, a reopening), not only those of cases
	// created from chat.
	Updates []ChatUpdate `yaml:"updates"`
}

// ChatAllow lists who may run each class of command: entries are sender
// ids (DingTalk senderStaffId, Slack user_id) or conversation ids (DingTalk
// conversationId, Slack channel_id). An empty list lets everyone in every
// conversation the robot is in run the class; a non-empty list lets only
// the listed senders and conversations.
//
//   - read: help, service lookup, show, search
//   - create: create a case
//   - resolve: resolve a case, reply to a case, acknowledge an alert
type ChatAllow struct {
	Read    []string `yaml:"read"`
	Create  []string `yaml:"create"`
	Resolve []string `yaml:"resolve"`
}

// ChatDingTalk configures the DingTalk enterprise internal robot
// (POST /hooks/dingtalk, or Stream mode).
type ChatDingTalk struct {
	// Mode is how messages arrive: http (default; DingTalk posts them to
	// /hooks/dingtalk) or stream (opsdesk keeps an outbound WebSocket
	// connection to DingTalk's stream gateway: no inbound port needed).
	Mode string `yaml:"mode"`
	// AppSecretEnv names the variable holding the robot's AppSecret, which
	// signs its outgoing callbacks (http) or is the client secret of the
	// stream connection (stream).
	AppSecretEnv string `yaml:"app_secret_env"`
	// ClientIDEnv names the variable holding the app's ClientId (AppKey);
	// required in stream mode.
	ClientIDEnv string `yaml:"client_id_env"`
	// GatewayURL is the DingTalk Open API base that opens stream
	// connections (default https://api.dingtalk.com).
	GatewayURL string `yaml:"gateway_url"`
	// WebhookURL (or WebhookURLEnv, a variable holding it) is a custom
	// robot webhook (https://oapi.dingtalk.com/robot/send?access_token=…)
	// used when a message's sessionWebhook has expired and for case
	// updates of conversations without a webhook of their own.
	WebhookURL    string `yaml:"webhook_url"`
	WebhookURLEnv string `yaml:"webhook_url_env"`
	// WebhookSecretEnv names the variable holding the custom robot's "加签"
	// secret (SEC…), when its security setting is signing.
	WebhookSecretEnv string `yaml:"webhook_secret_env"`
	// Language of the replies: zh (default), ja, en or ko.
	Language string `yaml:"language"`
	// MsgType of the replies: text (default) or markdown.
	MsgType string `yaml:"msgtype"`
	// RatePerMinute bounds the messages sent to one robot webhook per
	// minute (default and maximum 20, DingTalk's limit); more wait.
	RatePerMinute int `yaml:"rate_per_minute"`
	// RobotNames are the robot's display names, removed from the start of
	// a message ("@运维助手 帮助").
	RobotNames []string  `yaml:"robot_names"`
	Allow      ChatAllow `yaml:"allow"`
	// Accounts other than chat.account that create case --account may
	// name (see chataccounts.go).
	Accounts []string `yaml:"accounts"`
	// Conversations give a group its own custom robot webhook for case
	// updates and expired sessions.
	Conversations []ChatConversation `yaml:"conversations"`
}

// ChatConversation is one DingTalk group's custom robot.
type ChatConversation struct {
	// ID is the group's conversationId (cid…), as the callback carries it.
	ID               string `yaml:"id"`
	WebhookURL       string `yaml:"webhook_url"`
	WebhookURLEnv    string `yaml:"webhook_url_env"`
	WebhookSecretEnv string `yaml:"webhook_secret_env"`
}

// ChatSlack configures the Slack slash command (POST /hooks/slack/commands,
// or Socket Mode).
type ChatSlack struct {
	// Mode is how commands arrive: http (default; Slack posts them to
	// /hooks/slack/commands) or socket (Socket Mode: opsdesk keeps an
	// outbound WebSocket connection to Slack; no inbound port needed).
	Mode string `yaml:"mode"`
	// SigningSecretEnv names the variable holding the Slack app's signing
	// secret (http mode).
	SigningSecretEnv string `yaml:"signing_secret_env"`
	// AppTokenEnv names the variable holding the app-level token
	// (xapp-…, scope connections:write); required in socket mode.
	AppTokenEnv string `yaml:"app_token_env"`
	// APIURL is Slack's Web API base (default https://slack.com/api/).
	APIURL string `yaml:"api_url"`
	// Language of the replies: en (default), ja, zh or ko.
	Language string    `yaml:"language"`
	Allow    ChatAllow `yaml:"allow"`
	// Accounts as for DingTalk (chataccounts.go).
	Accounts []string `yaml:"accounts"`
	// Destination names a destination (usually type slack, the channel's
	// incoming webhook) that receives the updates of cases created from
	// Slack.
	Destination string `yaml:"destination"`
}

// ChatUpdate sends updates of every case at or above a severity to a
// destination.
type ChatUpdate struct {
	Destination string `yaml:"destination"`
	// MinSeverity is low (default: every case), normal, high, urgent or
	// critical.
	MinSeverity string `yaml:"min_severity"`
	// Language of the messages: en (default), ja, zh or ko.
	Language string `yaml:"language"`
}

// ChatLanguages are the languages chat replies come in.
var ChatLanguages = []string{"zh", "ja", "en", "ko"}

// ChatSeverities are the Support severity codes, mildest first.
var ChatSeverities = []string{"low", "normal", "high", "urgent", "critical"}

// Chat intake modes.
const (
	ChatModeHTTP   = "http"
	ChatModeSocket = "socket" // Slack Socket Mode
	ChatModeStream = "stream" // DingTalk Stream mode
)

// DingTalkMaxPerMinute is DingTalk's limit of messages per robot per minute.
const DingTalkMaxPerMinute = 20

func (x *Chat) setDefaults() {
	x.CaseLanguage = "en"
	x.ServiceCache = Duration(24 * time.Hour)
	x.UpdateInterval = Duration(30 * time.Second)
	x.DingTalk.Mode = ChatModeHTTP
	x.DingTalk.GatewayURL = "https://api.dingtalk.com"
	x.Slack.Mode = ChatModeHTTP
	x.Slack.APIURL = "https://slack.com/api/"
	x.DingTalk.Language = "zh"
	x.DingTalk.MsgType = "text"
	x.DingTalk.RatePerMinute = DingTalkMaxPerMinute
	x.Slack.Language = "en"
}

// Enabled reports whether any part of chat-ops is configured.
func (x *Chat) Enabled() bool {
	return x.DingTalk.AppSecretEnv != "" || x.Slack.SigningSecretEnv != "" || x.Slack.AppTokenEnv != "" || len(x.Updates) > 0
}

// AccountName is the aws.accounts entry chat uses ("" when there is none).
func (x *Chat) AccountName(c *Config) string {
	if x.Account != "" {
		return x.Account
	}
	if len(c.AWS.Accounts) > 0 {
		return c.AWS.Accounts[0].Name
	}
	return ""
}

func (x *Chat) validate(c *Config) error {
	if err := x.validateAccounts(c); err != nil {
		return err
	}
	if x.Account != "" && !slices.ContainsFunc(c.AWS.Accounts, func(a AWSAccount) bool { return a.Name == x.Account }) {
		return &Error{"chat.account", fmt.Sprintf("no aws.accounts entry is named %q", x.Account)}
	}
	if !slices.Contains([]string{"en", "ja", "zh", "ko"}, x.CaseLanguage) {
		return &Error{"chat.case_language", fmt.Sprintf("%q must be en, ja, zh or ko", x.CaseLanguage)}
	}
	if x.ServiceCache.D() < time.Minute {
		return &Error{"chat.service_cache", "must be at least 1m"}
	}
	if x.UpdateInterval.D() < 5*time.Second || x.UpdateInterval.D() > time.Hour {
		return &Error{"chat.update_interval", "must be between 5s and 1h"}
	}
	if err := x.DingTalk.validate(c); err != nil {
		return err
	}
	if err := x.Slack.validate(c); err != nil {
		return err
	}
	for i, u := range x.Updates {
		key := fmt.Sprintf("chat.updates[%d]", i)
		if u.Destination == "" {
			return &Error{key + ".destination", "is required"}
		}
		if !c.HasDestination(u.Destination) {
			return &Error{key + ".destination", fmt.Sprintf("no destination is named %q", u.Destination)}
		}
		if u.MinSeverity != "" && !slices.Contains(ChatSeverities, u.MinSeverity) {
			return &Error{key + ".min_severity", fmt.Sprintf("%q must be one of %s", u.MinSeverity, strings.Join(ChatSeverities, ", "))}
		}
		if err := chatLanguage(key+".language", u.Language, true); err != nil {
			return err
		}
	}
	return nil
}

func (d *ChatDingTalk) validate(c *Config) error {
	const key = "chat.dingtalk"
	if err := chatLanguage(key+".language", d.Language, false); err != nil {
		return err
	}
	if d.MsgType != "text" && d.MsgType != "markdown" {
		return &Error{key + ".msgtype", fmt.Sprintf("%q must be text or markdown", d.MsgType)}
	}
	if d.RatePerMinute < 1 || d.RatePerMinute > DingTalkMaxPerMinute {
		return &Error{key + ".rate_per_minute", fmt.Sprintf("must be between 1 and %d (DingTalk's limit)", DingTalkMaxPerMinute)}
	}
	if err := chatWebhook(key, d.WebhookURL, d.WebhookURLEnv, d.WebhookSecretEnv); err != nil {
		return err
	}
	switch d.Mode {
	case ChatModeHTTP:
		if d.ClientIDEnv != "" {
			return &Error{key + ".client_id_env", "is only used with mode: stream"}
		}
	case ChatModeStream:
		if d.ClientIDEnv == "" {
			return &Error{key + ".client_id_env", "is required with mode: stream: the environment variable holding the app's ClientId (AppKey)"}
		}
		if d.AppSecretEnv == "" {
			return &Error{key + ".app_secret_env", "is required with mode: stream: the environment variable holding the app's ClientSecret (AppSecret)"}
		}
		if err := checkHTTPURL(d.GatewayURL); err != nil {
			return &Error{key + ".gateway_url", err.Error()}
		}
	default:
		return &Error{key + ".mode", fmt.Sprintf("%q must be http or stream", d.Mode)}
	}
	configured := d.AppSecretEnv != ""
	if !configured && (d.WebhookURL != "" || d.WebhookURLEnv != "" || len(d.Conversations) > 0) {
		return &Error{key + ".app_secret_env", "is required when chat.dingtalk is used: the environment variable holding the robot's AppSecret"}
	}
	for i, n := range d.RobotNames {
		if strings.TrimSpace(n) == "" {
			return &Error{fmt.Sprintf("%s.robot_names[%d]", key, i), "must not be empty"}
		}
	}
	if err := d.Allow.validate(key + ".allow"); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, cv := range d.Conversations {
		ck := fmt.Sprintf("%s.conversations[%d]", key, i)
		if strings.TrimSpace(cv.ID) == "" {
			return &Error{ck + ".id", "is required (the group's conversationId, cid…)"}
		}
		if seen[cv.ID] {
			return &Error{ck + ".id", fmt.Sprintf("%q is listed twice", cv.ID)}
		}
		seen[cv.ID] = true
		if cv.WebhookURL == "" && cv.WebhookURLEnv == "" {
			return &Error{ck + ".webhook_url", "is required (or webhook_url_env)"}
		}
		if err := chatWebhook(ck, cv.WebhookURL, cv.WebhookURLEnv, cv.WebhookSecretEnv); err != nil {
			return err
		}
	}
	return nil
}

func (s *ChatSlack) validate(c *Config) error {
	const key = "chat.slack"
	if err := chatLanguage(key+".language", s.Language, false); err != nil {
		return err
	}
	switch s.Mode {
	case ChatModeHTTP:
		if s.SigningSecretEnv == "" && (s.Destination != "" || s.AppTokenEnv != "") {
			return &Error{key + ".signing_secret_env", "is required when chat.slack is used: the environment variable holding the Slack app's signing secret (or set mode: socket)"}
		}
	case ChatModeSocket:
		if s.AppTokenEnv == "" {
			return &Error{key + ".app_token_env", "is required with mode: socket: the environment variable holding the app-level token (xapp-…)"}
		}
		if err := checkHTTPURL(s.APIURL); err != nil {
			return &Error{key + ".api_url", err.Error()}
		}
	default:
		return &Error{key + ".mode", fmt.Sprintf("%q must be http or socket", s.Mode)}
	}
	if s.Destination != "" && !c.HasDestination(s.Destination) {
		return &Error{key + ".destination", fmt.Sprintf("no destination is named %q", s.Destination)}
	}
	return s.Allow.validate(key + ".allow")
}

func (a *ChatAllow) validate(key string) error {
	for class, list := range map[string][]string{"read": a.Read, "create": a.Create, "resolve": a.Resolve} {
		for i, v := range list {
			if strings.TrimSpace(v) == "" {
				return &Error{fmt.Sprintf("%s.%s[%d]", key, class, i), "must not be empty"}
			}
		}
	}
	return nil
}

// chatWebhook checks a webhook given inline or by variable, with an
// optional secret.
func chatWebhook(key, url, urlEnv, secretEnv string) error {
	if url != "" && urlEnv != "" {
		return &Error{key + ".webhook_url", "set webhook_url or webhook_url_env, not both"}
	}
	if url != "" {
		if err := checkHTTPURL(url); err != nil {
			return &Error{key + ".webhook_url", err.Error()}
		}
	}
	if secretEnv != "" && url == "" && urlEnv == "" {
		return &Error{key + ".webhook_secret_env", "needs webhook_url or webhook_url_env"}
	}
	return nil
}

func chatLanguage(key, lang string, emptyOK bool) error {
	if lang == "" && emptyOK {
		return nil
	}
	if !slices.Contains(ChatLanguages, lang) {
		return &Error{key, fmt.Sprintf("%q must be zh, ja, en or ko", lang)}
	}
	return nil
}
