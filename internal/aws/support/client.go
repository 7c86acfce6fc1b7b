package support

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Wire constants of the AWS JSON 1.1 protocol as the Support API uses it.
const (
	ContentType  = "application/x-amz-json-1.1"
	TargetPrefix = "AWSSupport_20130415."
)

// Defaults for Options.
const (
	DefaultMaxAttempts      = 5
	DefaultMaxBackoff       = 20 * time.Second
	DefaultMaxRetryAfter    = time.Minute
	DefaultHTTPTimeout      = 90 * time.Second
	DefaultMaxResponseBytes = 32 << 20  // a 5 MB attachment is ~6.7 MB of base64
	DefaultMaxDownloadBytes = 512 << 20 // GetAttachmentDownloadLink files
	userAgent               = "opsdesk-support/1"
)

// HTTPClient sends requests; *http.Client implements it. Its timeouts bound
// every attempt.
type HTTPClient interface {
	Do(*http.Request) (*http.Response, error)
}

// Options configures a Client. Only Credentials is required.
type Options struct {
	// Credentials signs requests (aws.Config.Credentials in production).
	Credentials aws.CredentialsProvider

	// Partition selects the endpoint: "aws" (default), "aws-cn" or
	// "aws-us-gov".
	Partition string
	// SigningRegion overrides the partition's SigV4 region.
	SigningRegion string
	// Endpoint overrides the endpoint URL, ahead of the environment.
	Endpoint string
	// BaseEndpoint is the lowest-precedence override (aws.Config.BaseEndpoint).
	BaseEndpoint string
	// LookupEnv reads AWS_ENDPOINT_URL_SUPPORT and AWS_ENDPOINT_URL
	// (default os.LookupEnv); tests pass a map lookup instead of mutating
	// the process environment.
	LookupEnv func(string) (string, bool)

	// HTTPClient sends requests (default: an *http.Client with a
	// DefaultHTTPTimeout timeout). Its timeouts apply per attempt.
	HTTPClient HTTPClient

	// RetryMode is aws.RetryModeAdaptive (default) or aws.RetryModeStandard.
	// Adaptive mode adds the SDK's client-side rate limiting after
	// throttling; that limiter waits on the wall clock, so tests that
	// provoke throttling use standard mode with a no-op Sleep.
	RetryMode aws.RetryMode
	// MaxAttempts bounds the attempts per call (default DefaultMaxAttempts).
	MaxAttempts int
	// Retryer replaces the retryer built from RetryMode and MaxAttempts.
	Retryer aws.RetryerV2
	// Sleep waits between attempts (default: a timer that returns early with
	// ctx.Err() when ctx ends).
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxRetryAfter caps how long a Retry-After header can make the client
	// wait (default DefaultMaxRetryAfter).
	MaxRetryAfter time.Duration
	// Now is the clock used to sign requests (default time.Now).
	Now func() time.Time

	// MaxResponseBytes bounds what is read of an API response (default
	// DefaultMaxResponseBytes); MaxDownloadBytes bounds DownloadAttachment
	// (default DefaultMaxDownloadBytes).
	MaxResponseBytes int64
	MaxDownloadBytes int64

	// Logger receives one debug line per retried attempt (default: none).
	// Nothing the client logs contains credentials or signatures.
	Logger *slog.Logger
}

// Client calls the AWS Support API. It is safe for concurrent use.
type Client struct {
	creds       aws.CredentialsProvider
	endpoint    Endpoint
	http        HTTPClient
	retryer     aws.RetryerV2
	signer      *v4.Signer
	sleep       func(context.Context, time.Duration) error
	now         func() time.Time
	maxRetryAft time.Duration
	maxBody     int64
	maxDownload int64
	log         *slog.Logger
}

// New returns a Client for o.
func New(o Options) (*Client, error) {
	if o.Credentials == nil {
		return nil, errors.New("support: no credentials provider")
	}
	ep, err := ResolveEndpoint(o)
	if err != nil {
		return nil, err
	}
	c := &Client{
		creds:       o.Credentials,
		endpoint:    ep,
		http:        o.HTTPClient,
		retryer:     o.Retryer,
		signer:      v4.NewSigner(),
		sleep:       o.Sleep,
		now:         o.Now,
		maxRetryAft: o.MaxRetryAfter,
		maxBody:     o.MaxResponseBytes,
		maxDownload: o.MaxDownloadBytes,
		log:         o.Logger,
	}
	if _, cached := c.creds.(*aws.CredentialsCache); !cached {
		if _, anon := c.creds.(aws.AnonymousCredentials); !anon {
			c.creds = aws.NewCredentialsCache(c.creds)
		}
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if c.retryer == nil {
		c.retryer = NewRetryer(o.RetryMode, o.MaxAttempts)
	}
	if c.sleep == nil {
		c.sleep = sleepContext
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.maxRetryAft <= 0 {
		c.maxRetryAft = DefaultMaxRetryAfter
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.maxDownload <= 0 {
		c.maxDownload = DefaultMaxDownloadBytes
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// NewFromConfig returns a Client using cfg's credentials, HTTP client, retry
// settings and base endpoint; the partition follows cfg.Region. optFns
// adjust the options before the client is built.
func NewFromConfig(cfg aws.Config, optFns ...func(*Options)) (*Client, error) {
	o := Options{
		Credentials: cfg.Credentials,
		Partition:   PartitionForRegion(cfg.Region),
		RetryMode:   cfg.RetryMode,
		MaxAttempts: cfg.RetryMaxAttempts,
	}
	if cfg.BaseEndpoint != nil {
		o.BaseEndpoint = *cfg.BaseEndpoint
	}
	if cfg.HTTPClient != nil {
		o.HTTPClient = cfg.HTTPClient
	}
	for _, fn := range optFns {
		fn(&o)
	}
	return New(o)
}

// Endpoint reports where the client sends requests and how it signs them.
func (c *Client) Endpoint() Endpoint { return c.endpoint }

// throttleCodes are the error codes that mean "slow down": the SDK's
// defaults plus the Support API's DescribeAttachment rate limit.
var throttleCodes = func() map[string]struct{} {
	m := map[string]struct{}{CodeDescribeAttachmentRate: {}}
	for k := range retry.DefaultThrottleErrorCodes {
		m[k] = struct{}{}
	}
	return m
}()

// isThrottle classifies throttling for the adaptive rate limiter: a
// throttling error code or HTTP 429.
var isThrottle = retry.IsErrorThrottleFunc(func(err error) aws.Ternary {
	var e *APIError
	if errors.As(err, &e) && e.Throttling() {
		return aws.TrueTernary
	}
	return aws.UnknownTernary
})

// NewRetryer builds the SDK retryer the client uses by default: adaptive
// (or standard) mode, maxAttempts attempts (DefaultMaxAttempts when ≤ 0),
// exponential backoff with jitter up to DefaultMaxBackoff, retrying the
// SDK's retryable errors (connection errors, 500/502/503/504, timeouts,
// throttling codes) plus HTTP 429 and DescribeAttachmentLimitExceeded.
func NewRetryer(mode aws.RetryMode, maxAttempts int) aws.RetryerV2 {
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	standard := func(so *retry.StandardOptions) {
		so.MaxAttempts = maxAttempts
		so.MaxBackoff = DefaultMaxBackoff
		so.Retryables = append(so.Retryables,
			retry.RetryableHTTPStatusCode{Codes: map[int]struct{}{http.StatusTooManyRequests: {}}},
			retry.RetryableErrorCode{Codes: map[string]struct{}{CodeDescribeAttachmentRate: {}}},
		)
		so.Throttles = append(so.Throttles, isThrottle)
	}
	if mode == aws.RetryModeStandard {
		return retry.NewStandard(standard)
	}
	return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
		ao.StandardOptions = append(ao.StandardOptions, standard)
		ao.Throttles = append(ao.Throttles, isThrottle)
	})
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func nopRelease(error) error { return nil }

// call runs op with the retry loop of the SDK's retry middleware: take an
// attempt token, send, release; on a retryable error take a retry token,
// wait the backoff (or a longer Retry-After), try again, until the call
// succeeds, fails terminally or runs out of attempts.
func (c *Client) call(ctx context.Context, op string, in, out any) error {
	body, err := marshalBody(in)
	if err != nil {
		return fmt.Errorf("support: %s: encode request: %w", op, err)
	}
	maxAttempts := c.retryer.MaxAttempts()
	releaseRetry := nopRelease
	for attempt := 1; ; attempt++ {
		releaseAttempt, err := c.retryer.GetAttemptToken(ctx)
		if err != nil {
			return fmt.Errorf("support: %s: %w", op, err)
		}
		err = c.attempt(ctx, op, body, out)
		_ = releaseRetry(err)
		_ = releaseAttempt(err)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || !c.retryer.IsErrorRetryable(err) {
			return fmt.Errorf("support: %s: %w", op, err)
		}
		if maxAttempts > 0 && attempt >= maxAttempts {
			return fmt.Errorf("support: %s: %w", op, &retry.MaxAttemptsError{Attempt: attempt, Err: err})
		}
		var tokenErr error
		if releaseRetry, tokenErr = c.retryer.GetRetryToken(ctx, err); tokenErr != nil {
			return fmt.Errorf("support: %s: %w (not retried: %w)", op, err, tokenErr)
		}
		delay, delayErr := c.retryer.RetryDelay(attempt, err)
		if delayErr != nil {
			return fmt.Errorf("support: %s: %w", op, err)
		}
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.RetryAfter > delay {
			delay = min(apiErr.RetryAfter, c.maxRetryAft)
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "support: retrying",
			slog.String("op", op), slog.Int("attempt", attempt),
			slog.Duration("delay", delay), slog.String("error", err.Error()))
		if sleepErr := c.sleep(ctx, delay); sleepErr != nil {
			return fmt.Errorf("support: %s: %w (retry abandoned: %w)", op, err, sleepErr)
		}
	}
}

// attempt sends one signed request and decodes its answer into out.
func (c *Client) attempt(ctx context.Context, op string, body []byte, out any) error {
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("retrieve credentials: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint.URL+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("X-Amz-Target", TargetPrefix+op)
	req.Header.Set("User-Agent", userAgent)
	sum := sha256.Sum256(body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), signingServiceName, c.endpoint.SigningRegion, c.now().UTC()); err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if int64(len(data)) > c.maxBody {
		return fmt.Errorf("response larger than %d bytes", c.maxBody)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return parseError(resp.StatusCode, resp.Header, data, c.now())
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}

// marshalBody encodes a request as the SDKs do: compact JSON without HTML
// escaping, "{}" for an empty request.
func marshalBody(in any) ([]byte, error) {
	if in == nil {
		return []byte("{}"), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(in); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
