// Package connect is the thin layer between opsdesk's phone escalation and
// Amazon Connect: it places an alert call (StartOutboundVoiceContact), reads
// how the call is going (DescribeContact + GetContactAttributes) and ends it
// (StopContact), through the AWS SDK for Go v2.
//
// Every API request, retries included, first takes a token from a token
// bucket (Config.RatePerSecond, default 2 per second: Connect's documented
// API rate), so a burst of alerts queues up in opsdesk instead of being
// throttled by Connect. The bucket is in this process unless
// WithRateLimiter gives one shared by the replicas (through the database). Errors keep the SDK's typed errors (errors.As with
// service/connect/types) and IsRetryable tells a job whether trying again
// later can help.
//
// The contact flow deploy/connect/alert-call-flow.json reads the call's
// attributes aloud and stores the key the callee pressed in the contact
// attribute Config.KeyAttribute (DefaultKeyAttribute); CallStatus returns it
// as Status.Key.
package connect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	sdk "github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Defaults and limits.
const (
	// DefaultKeyAttribute is the contact attribute in which the contact flow
	// stores the pressed key ("1", "2" or "3").
	DefaultKeyAttribute = "pressed_key"
	// DefaultRatePerSecond is Connect's documented API rate.
	DefaultRatePerSecond = 2
	// DefaultMaxAttempts bounds the SDK's attempts per API call (throttling,
	// 5xx and network errors are retried with jittered backoff).
	DefaultMaxAttempts = 3
	// MaxClientTokenLength is Connect's limit on ClientToken.
	MaxClientTokenLength = 500
	// MaxAttributeBytes is Connect's limit on the UTF-8 bytes of all
	// attribute keys and values of a contact.
	MaxAttributeBytes = 32768
	// MinRingTimeout and MaxRingTimeout bound RingTimeoutInSeconds
	// (StartOutboundVoiceContact refuses other values).
	MinRingTimeout = 15 * time.Second
	MaxRingTimeout = 60 * time.Second
)

// SupportedLanguages are the values of the "language" attribute the contact
// flow speaks; any other value is read in DefaultLanguage.
var SupportedLanguages = []string{"ja-JP", "en-US", "zh-CN", "ko-KR"}

// DefaultLanguage is the language the flow uses for an unknown "language".
const DefaultLanguage = "en-US"

// Config says which Connect instance, flow and number opsdesk calls with,
// and how it authenticates. InstanceID, ContactFlowID and SourcePhone (or
// QueueID) are required.
type Config struct {
	InstanceID    string
	ContactFlowID string
	// SourcePhone is the caller id: a number claimed in the instance, E.164.
	SourcePhone string
	// QueueID may replace SourcePhone: the queue's outbound caller id is used.
	QueueID string

	// Region of the instance; empty takes the SDK's (AWS_REGION, profile).
	Region string
	// Profile selects a shared config profile; empty uses the default
	// credential chain.
	Profile string
	// RoleARN, when set, is assumed (STS AssumeRole) with the credentials
	// found by the chain, e.g. to call an instance in another account.
	RoleARN string
	// Endpoint overrides the Connect endpoint URL. Without it the SDK honours
	// AWS_ENDPOINT_URL_CONNECT, then AWS_ENDPOINT_URL.
	Endpoint string

	// KeyAttribute is the contact attribute holding the pressed key
	// (DefaultKeyAttribute); it must match the contact flow.
	KeyAttribute string
	// RatePerSecond and Burst size the API token bucket (default
	// DefaultRatePerSecond, burst ceil(rate)).
	RatePerSecond float64
	Burst         int
	// RingTimeout is how long Connect lets the phone ring (whole seconds
	// from MinRingTimeout to MaxRingTimeout; 0 leaves Connect's default of
	// 60 s).
	RingTimeout time.Duration
	// MaxAttempts bounds the SDK's attempts per API call (DefaultMaxAttempts).
	MaxAttempts int
}

// Option adjusts how New builds the client; tests use them.
type Option func(*options)

type options struct {
	creds      aws.CredentialsProvider
	httpClient aws.HTTPClient
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
	backoff    func(attempt int) time.Duration
	limiter    func(ratePerSecond float64, burst int) RateLimiter
}

// WithCredentials replaces the default credential chain.
func WithCredentials(p aws.CredentialsProvider) Option {
	return func(o *options) { o.creds = p }
}

// maxConns bounds the connections to Connect's endpoint; requests beyond
// it wait for one.
const maxConns = 32

// WithHTTPClient sets the HTTP client of the SDK (STS included). It
// carries its own TLS settings: AWS_CA_BUNDLE applies only to the SDK's
// default client.
func WithHTTPClient(c aws.HTTPClient) Option { return func(o *options) { o.httpClient = c } }

// WithClock sets the clock and the wait of the API token bucket (defaults
// time.Now and a timer). A test moves its clock in sleep instead of waiting.
func WithClock(now func() time.Time, sleep func(context.Context, time.Duration) error) Option {
	return func(o *options) { o.now, o.sleep = now, sleep }
}

// WithRateLimiter replaces the client's token bucket: New calls newLimiter
// with the configured rate and burst (defaults filled in) and every API
// request waits on what it returns. opsdesk passes a limiter kept in
// PostgreSQL, so that all replicas together keep to Connect's rate.
func WithRateLimiter(newLimiter func(ratePerSecond float64, burst int) RateLimiter) Option {
	return func(o *options) { o.limiter = newLimiter }
}

// WithRetryBackoff replaces the SDK's jittered backoff between attempts
// (tests: no wait).
func WithRetryBackoff(f func(attempt int) time.Duration) Option {
	return func(o *options) { o.backoff = f }
}

// Client places and follows alert calls. It is safe for concurrent use.
type Client struct {
	api     *sdk.Client
	cfg     Config
	limiter RateLimiter
}

var (
	e164         = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	attributeKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// withDefaults fills defaults and checks cfg.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.KeyAttribute == "" {
		cfg.KeyAttribute = DefaultKeyAttribute
	}
	if cfg.RatePerSecond == 0 {
		cfg.RatePerSecond = DefaultRatePerSecond
	}
	if cfg.Burst == 0 {
		cfg.Burst = max(1, int(math.Ceil(cfg.RatePerSecond)))
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	switch {
	case cfg.InstanceID == "":
		return cfg, &ValidationError{Field: "instance_id", Reason: "is required"}
	case cfg.ContactFlowID == "":
		return cfg, &ValidationError{Field: "contact_flow_id", Reason: "is required"}
	case cfg.SourcePhone == "" && cfg.QueueID == "":
		return cfg, &ValidationError{Field: "source_phone", Reason: "is required (or a queue id)"}
	case cfg.SourcePhone != "" && !e164.MatchString(cfg.SourcePhone):
		return cfg, &ValidationError{Field: "source_phone", Reason: "must be an E.164 number such as +815012345678"}
	case !attributeKey.MatchString(cfg.KeyAttribute):
		return cfg, &ValidationError{Field: "key_attribute", Reason: "may hold only letters, digits, '-' and '_'"}
	case cfg.RatePerSecond < 0 || math.IsInf(cfg.RatePerSecond, 0) || math.IsNaN(cfg.RatePerSecond):
		return cfg, &ValidationError{Field: "rate_per_second", Reason: "must be positive"}
	case cfg.Burst < 0:
		return cfg, &ValidationError{Field: "burst", Reason: "must be positive"}
	case cfg.MaxAttempts < 0:
		return cfg, &ValidationError{Field: "max_attempts", Reason: "must be positive"}
	case cfg.RingTimeout != 0 && (cfg.RingTimeout%time.Second != 0 || cfg.RingTimeout < MinRingTimeout || cfg.RingTimeout > MaxRingTimeout):
		return cfg, &ValidationError{Field: "ring_timeout", Reason: "must be whole seconds from 15s to 60s (0: Connect's default of 60s)"}
	case cfg.RoleARN != "" && !strings.HasPrefix(cfg.RoleARN, "arn:"):
		return cfg, &ValidationError{Field: "role_arn", Reason: "must be a role ARN (arn:aws:iam::123456789012:role/name)"}
	}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return cfg, &ValidationError{Field: "endpoint", Reason: "must be an http(s) URL"}
		}
	}
	return cfg, nil
}

// New builds a Client: it loads the SDK configuration (default credential
// chain, or Profile; then RoleARN), and the Connect client with the token
// bucket on every attempt.
func New(ctx context.Context, cfg Config, opts ...Option) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	var o options
	for _, f := range opts {
		f(&o)
	}
	var load []func(*config.LoadOptions) error
	if cfg.Region != "" {
		load = append(load, config.WithRegion(cfg.Region))
	}
	if cfg.Profile != "" {
		load = append(load, config.WithSharedConfigProfile(cfg.Profile))
	}
	if o.creds != nil {
		load = append(load, config.WithCredentialsProvider(o.creds))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("connect: load AWS configuration: %w", err)
	}
	if o.httpClient != nil {
		// Set after loading: the loader can only apply AWS_CA_BUNDLE to the
		// SDK's own client, and a custom client brings its own TLS settings.
		awsCfg.HTTPClient = o.httpClient
	} else if bc, ok := awsCfg.HTTPClient.(*awshttp.BuildableClient); ok {
		// Many calls at once (a burst of alerts) share a bounded set of
		// kept-alive connections instead of dialling one each and closing
		// all but ten of them afterwards.
		awsCfg.HTTPClient = bc.WithTransportOptions(func(t *http.Transport) {
			t.MaxConnsPerHost = maxConns
			t.MaxIdleConnsPerHost = maxConns
		})
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("connect: %w", &ValidationError{Field: "region", Reason: "is required (config, AWS_REGION or the profile)"})
	}
	if cfg.RoleARN != "" {
		awsCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(awsCfg), cfg.RoleARN, func(a *stscreds.AssumeRoleOptions) {
			a.RoleSessionName = "opsdesk-connect"
		}))
	}
	var limiter RateLimiter
	if o.limiter != nil {
		limiter = o.limiter(cfg.RatePerSecond, cfg.Burst)
	} else {
		limiter = NewLimiter(cfg.RatePerSecond, cfg.Burst, o.now, o.sleep)
	}
	api := sdk.NewFromConfig(awsCfg, func(so *sdk.Options) {
		if cfg.Endpoint != "" {
			so.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		so.Retryer = retry.NewStandard(func(ro *retry.StandardOptions) {
			ro.MaxAttempts = cfg.MaxAttempts
			if o.backoff != nil {
				ro.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) { return o.backoff(attempt), nil })
			}
		})
		so.RetryMaxAttempts = cfg.MaxAttempts
		so.APIOptions = append(so.APIOptions, addLimiter(limiter))
	})
	return &Client{api: api, cfg: cfg, limiter: limiter}, nil
}

// Config returns the client's configuration with defaults filled in.
func (c *Client) Config() Config { return c.cfg }

// Call is one alert call to place.
type Call struct {
	// Destination is the callee's number, E.164.
	Destination string
	// Attributes are the contact attributes the flow reads (systemname,
	// host, service, summary, startdate, language, alert id, …).
	Attributes map[string]string
	// ClientToken makes the request idempotent: the same token within 7 days
	// returns the first call's contact id and places no second call. It is
	// required (ClientTokenFor derives one) and at most
	// MaxClientTokenLength characters.
	ClientToken string
}

// ClientTokenFor derives a ClientToken from the parts that identify one
// call (alert id, round, callee): the same parts always give the same token,
// whatever their length, and the token carries no personal data.
func ClientTokenFor(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return "opsdesk-" + hex.EncodeToString(h.Sum(nil))
}

func (c *Client) validate(call Call) error {
	switch {
	case !e164.MatchString(call.Destination):
		return &ValidationError{Field: "destination", Reason: "must be an E.164 number such as +81901234567"}
	case call.ClientToken == "":
		return &ValidationError{Field: "client_token", Reason: "is required: it keeps a retried request from calling twice"}
	case len(call.ClientToken) > MaxClientTokenLength:
		return &ValidationError{Field: "client_token", Reason: fmt.Sprintf("is %d characters; Connect allows %d", len(call.ClientToken), MaxClientTokenLength)}
	}
	size := 0
	for k, v := range call.Attributes {
		if !attributeKey.MatchString(k) {
			return &ValidationError{Field: "attributes", Reason: fmt.Sprintf("key %q may hold only letters, digits, '-' and '_'", k)}
		}
		if k == c.cfg.KeyAttribute {
			return &ValidationError{Field: "attributes", Reason: fmt.Sprintf("key %q is where the flow records the pressed key", k)}
		}
		size += len(k) + len(v)
	}
	if size > MaxAttributeBytes {
		return &ValidationError{Field: "attributes", Reason: fmt.Sprintf("are %d bytes; Connect allows %d", size, MaxAttributeBytes)}
	}
	return nil
}

// StartCall places call and returns its contact id. A request that is
// repeated with the same ClientToken returns the same id.
func (c *Client) StartCall(ctx context.Context, call Call) (string, error) {
	if err := c.validate(call); err != nil {
		return "", fmt.Errorf("connect: start call to %s: %w", maskNumber(call.Destination), err)
	}
	in := &sdk.StartOutboundVoiceContactInput{
		InstanceId:             aws.String(c.cfg.InstanceID),
		ContactFlowId:          aws.String(c.cfg.ContactFlowID),
		DestinationPhoneNumber: aws.String(call.Destination),
		ClientToken:            aws.String(call.ClientToken),
		Attributes:             call.Attributes,
	}
	if c.cfg.SourcePhone != "" {
		in.SourcePhoneNumber = aws.String(c.cfg.SourcePhone)
	} else {
		in.QueueId = aws.String(c.cfg.QueueID)
	}
	if c.cfg.RingTimeout > 0 {
		in.RingTimeoutInSeconds = aws.Int32(int32(c.cfg.RingTimeout / time.Second))
	}
	out, err := c.api.StartOutboundVoiceContact(ctx, in)
	if err != nil {
		return "", fmt.Errorf("connect: start call to %s: %w", maskNumber(call.Destination), err)
	}
	if out.ContactId == nil || *out.ContactId == "" {
		return "", fmt.Errorf("connect: start call to %s: answer has no ContactId", maskNumber(call.Destination))
	}
	return *out.ContactId, nil
}

// State is where a call is.
type State string

// Call states.
const (
	StateRinging   State = "ringing"   // placed, not answered (yet)
	StateConnected State = "connected" // answered, still on the line
	StateEnded     State = "ended"     // disconnected, answered or not
)

// Status is what Connect knows of a call.
type Status struct {
	ContactID   string
	State       State
	InitiatedAt time.Time
	ConnectedAt time.Time // zero if never answered
	EndedAt     time.Time // zero until ended
	// DisconnectReason is Connect's reason once ended: CONTACT_FLOW_DISCONNECT
	// (the flow hung up), CUSTOMER_DISCONNECT, TELECOM_BUSY,
	// TELECOM_ORIGINATOR_CANCEL (unanswered), TELECOM_NUMBER_INVALID, …
	DisconnectReason string
	// Key is the key the callee pressed ("1", "2", "3"), empty if none (yet).
	Key string
	// Attributes are the contact's attributes, read only once answered.
	Attributes map[string]string
}

// Answered reports whether the call was ever answered.
func (s Status) Answered() bool { return !s.ConnectedAt.IsZero() }

// CallStatus reads a call's state (DescribeContact) and, once it was
// answered, the key the callee pressed (GetContactAttributes): a call that
// was never answered costs one API request, not two.
func (c *Client) CallStatus(ctx context.Context, contactID string) (Status, error) {
	out, err := c.api.DescribeContact(ctx, &sdk.DescribeContactInput{
		InstanceId: aws.String(c.cfg.InstanceID),
		ContactId:  aws.String(contactID),
	})
	if err != nil {
		return Status{}, fmt.Errorf("connect: describe contact %s: %w", contactID, err)
	}
	ct := out.Contact
	if ct == nil {
		return Status{}, fmt.Errorf("connect: describe contact %s: answer has no Contact", contactID)
	}
	st := Status{ContactID: contactID, State: StateRinging, InitiatedAt: utc(ct.InitiationTimestamp)}
	if ct.ConnectedToSystemTimestamp != nil {
		st.State, st.ConnectedAt = StateConnected, utc(ct.ConnectedToSystemTimestamp)
	}
	if ct.DisconnectTimestamp != nil {
		st.State, st.EndedAt = StateEnded, utc(ct.DisconnectTimestamp)
		st.DisconnectReason = aws.ToString(ct.DisconnectReason)
	}
	if !st.Answered() {
		return st, nil
	}
	attrs, err := c.api.GetContactAttributes(ctx, &sdk.GetContactAttributesInput{
		InstanceId:       aws.String(c.cfg.InstanceID),
		InitialContactId: aws.String(contactID),
	})
	if err != nil {
		return Status{}, fmt.Errorf("connect: get attributes of contact %s: %w", contactID, err)
	}
	st.Attributes = attrs.Attributes
	st.Key = attrs.Attributes[c.cfg.KeyAttribute]
	return st, nil
}

// StopCall ends a call. A call that has already ended (Connect:
// ContactNotFoundException) is not an error.
func (c *Client) StopCall(ctx context.Context, contactID string) error {
	_, err := c.api.StopContact(ctx, &sdk.StopContactInput{
		InstanceId: aws.String(c.cfg.InstanceID),
		ContactId:  aws.String(contactID),
	})
	var gone *types.ContactNotFoundException
	if errors.As(err, &gone) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("connect: stop contact %s: %w", contactID, err)
	}
	return nil
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// maskNumber keeps a phone number recognisable in errors and logs without
// writing it out whole: "+81901234567" → "+819*****567".
func maskNumber(n string) string {
	if len(n) < 8 {
		return strings.Repeat("*", len(n))
	}
	return n[:4] + strings.Repeat("*", len(n)-7) + n[len(n)-3:]
}
