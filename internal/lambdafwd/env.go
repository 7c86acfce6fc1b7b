package lambdafwd

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
)

// Settings is the function's configuration, read from its environment.
type Settings struct {
	// URL is OPSDESK_URL, the server's base URL.
	URL string
	// Token is OPSDESK_TOKEN; SecretARN is OPSDESK_TOKEN_SECRET_ARN. One of
	// them is set.
	Token     string
	SecretARN string
	// RequestTimeout is OPSDESK_REQUEST_TIMEOUT (a Go duration, "10s").
	RequestTimeout time.Duration
	// MaxBody is OPSDESK_MAX_BODY_BYTES.
	MaxBody int
	// MaxAttempts is OPSDESK_MAX_ATTEMPTS, per post.
	MaxAttempts int
	// LogLevel is OPSDESK_LOG_LEVEL, else AWS_LAMBDA_LOG_LEVEL (set by
	// Lambda's advanced logging controls), else info.
	LogLevel slog.Level
}

// FromEnv reads the settings; getenv is os.Getenv in the function.
func FromEnv(getenv func(string) string) (Settings, error) {
	s := Settings{
		URL:            strings.TrimSpace(getenv("OPSDESK_URL")),
		Token:          strings.TrimSpace(getenv("OPSDESK_TOKEN")),
		SecretARN:      strings.TrimSpace(getenv("OPSDESK_TOKEN_SECRET_ARN")),
		RequestTimeout: DefaultRequestTimeout,
		MaxBody:        DefaultMaxBody,
		MaxAttempts:    DefaultMaxAttempts,
	}
	if s.URL == "" {
		return s, fmt.Errorf("OPSDESK_URL is not set: give the opsdesk base URL, e.g. https://opsdesk.example.com")
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return s, fmt.Errorf("OPSDESK_URL is not an http(s) URL such as https://opsdesk.example.com")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		// Keeps credentials out of the URL, which errors and logs show.
		return s, fmt.Errorf("OPSDESK_URL must be a plain base URL without credentials, query or fragment; put the token in OPSDESK_TOKEN or OPSDESK_TOKEN_SECRET_ARN")
	}
	s.URL = strings.TrimRight(strings.TrimSuffix(strings.TrimRight(s.URL, "/"), EventsPath), "/")
	switch {
	case s.Token == "" && s.SecretARN == "":
		return s, fmt.Errorf("set OPSDESK_TOKEN_SECRET_ARN (a Secrets Manager secret holding the integration token) or OPSDESK_TOKEN")
	case s.Token != "" && s.SecretARN != "":
		return s, fmt.Errorf("set only one of OPSDESK_TOKEN and OPSDESK_TOKEN_SECRET_ARN")
	}
	if v := getenv("OPSDESK_REQUEST_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return s, fmt.Errorf("OPSDESK_REQUEST_TIMEOUT %q is not a positive duration such as 10s", v)
		}
		s.RequestTimeout = d
	}
	if v := getenv("OPSDESK_MAX_BODY_BYTES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1024 {
			return s, fmt.Errorf("OPSDESK_MAX_BODY_BYTES %q must be a number of bytes of at least 1024", v)
		}
		s.MaxBody = n
	}
	if v := getenv("OPSDESK_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return s, fmt.Errorf("OPSDESK_MAX_ATTEMPTS %q must be a number from 1 to 100", v)
		}
		s.MaxAttempts = n
	}
	level := getenv("OPSDESK_LOG_LEVEL")
	if level == "" {
		level = getenv("AWS_LAMBDA_LOG_LEVEL")
	}
	if level != "" {
		if err := s.LogLevel.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
			return s, fmt.Errorf("log level %q: want debug, info, warn or error", level)
		}
	}
	return s, nil
}

// New builds the handler of the settings. With a secret it loads the AWS
// SDK's default configuration (in Lambda: the execution role's credentials
// and AWS_REGION); the secret itself is read at the first invocation.
func New(ctx context.Context, s Settings, log *slog.Logger) (*Handler, error) {
	h := &Handler{
		URL:            s.URL,
		Client:         &http.Client{Timeout: s.RequestTimeout},
		Log:            log,
		MaxBody:        s.MaxBody,
		RequestTimeout: s.RequestTimeout,
		MaxAttempts:    s.MaxAttempts,
	}
	if s.SecretARN == "" {
		h.Tokens = StaticToken(s.Token)
		return h, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("lambdafwd: AWS configuration: %w", err)
	}
	h.Tokens = NewSecretToken(cfg, s.SecretARN)
	return h, nil
}
