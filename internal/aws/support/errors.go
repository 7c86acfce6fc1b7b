package support

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	smithy "github.com/aws/smithy-go"
)

// Error codes of the Support API that callers commonly branch on.
const (
	CodeSubscriptionRequired   = "SubscriptionRequiredException"
	CodeThrottling             = "ThrottlingException"
	CodeTooManyRequests        = "TooManyRequestsException"
	CodeCaseIDNotFound         = "CaseIdNotFound"
	CodeAttachmentIDNotFound   = "AttachmentIdNotFound"
	CodeDescribeAttachmentRate = "DescribeAttachmentLimitExceeded"
	CodeInternalServerError    = "InternalServerError"
	CodeInvalidParameterValue  = "InvalidParameterValueException"
)

// ErrSubscriptionRequired matches (errors.Is) the error of every call made
// from an account without a Business, Enterprise On-Ramp or Enterprise
// Support plan: the AWS Support API answers those with
// SubscriptionRequiredException.
var ErrSubscriptionRequired = errors.New("the AWS account has no Business, Enterprise On-Ramp or Enterprise Support plan, which the AWS Support API requires")

// APIError is an error document returned by the Support API.
type APIError struct {
	// Code is the error type from __type (or X-Amzn-ErrorType) without any
	// "namespace#" prefix, e.g. "ThrottlingException".
	Code string
	// Message is the service's message, as sent (bounded in length).
	Message string
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// RequestID is the x-amzn-RequestId of the response, for AWS support.
	RequestID string
	// RetryAfter is the delay a Retry-After header asked for (0: none).
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	if e.Code == CodeSubscriptionRequired {
		b.WriteString(": ")
		b.WriteString(ErrSubscriptionRequired.Error())
		if e.Message != "" {
			b.WriteString(" (AWS: ")
			b.WriteString(e.Message)
			b.WriteString(")")
		}
	} else if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	fmt.Fprintf(&b, " (HTTP %d", e.StatusCode)
	if e.RequestID != "" {
		b.WriteString(", request id ")
		b.WriteString(e.RequestID)
	}
	b.WriteString(")")
	return b.String()
}

// Is reports ErrSubscriptionRequired for SubscriptionRequiredException.
func (e *APIError) Is(target error) bool {
	return target == ErrSubscriptionRequired && e.Code == CodeSubscriptionRequired
}

// ErrorCode, ErrorMessage and ErrorFault implement smithy.APIError, so the
// SDK's retryers and error helpers classify an APIError like one of the
// SDK's own service errors.
func (e *APIError) ErrorCode() string    { return e.Code }
func (e *APIError) ErrorMessage() string { return e.Message }
func (e *APIError) ErrorFault() smithy.ErrorFault {
	switch {
	case e.StatusCode >= 500:
		return smithy.FaultServer
	case e.StatusCode >= 400:
		return smithy.FaultClient
	}
	return smithy.FaultUnknown
}

// HTTPStatusCode is the response status (read by the SDK's retryers).
func (e *APIError) HTTPStatusCode() int { return e.StatusCode }

// Throttling reports whether the service asked the caller to slow down.
func (e *APIError) Throttling() bool {
	if e.StatusCode == http.StatusTooManyRequests {
		return true
	}
	_, ok := throttleCodes[e.Code]
	return ok
}

var _ smithy.APIError = (*APIError)(nil)

// Bounds on what an error document contributes to an error string.
const (
	maxCodeLen    = 128
	maxMessageLen = 1024
)

// parseError turns an error response into an *APIError. It never fails: a
// body that is not an AWS JSON error document still yields an error that
// carries the status and a short, printable excerpt of the body.
func parseError(status int, header http.Header, body []byte, now time.Time) *APIError {
	e := &APIError{StatusCode: status}
	if header != nil {
		e.RequestID = cleanText(firstHeader(header, "X-Amzn-Requestid", "X-Amz-Request-Id", "X-Amz-Id-2"), maxCodeLen)
		e.RetryAfter = parseRetryAfter(header.Get("Retry-After"), now)
	}

	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err == nil {
		e.Code = cleanCode(stringMember(doc, "__type", "code", "Code"))
		e.Message = cleanText(stringMember(doc, "message", "Message", "errorMessage"), maxMessageLen)
	} else if text := strings.TrimSpace(string(body)); text != "" {
		e.Message = cleanText(text, 256)
	}
	if e.Code == "" && header != nil {
		e.Code = cleanCode(header.Get("X-Amzn-Errortype"))
	}
	if e.Code == "" {
		switch {
		case status == http.StatusTooManyRequests:
			e.Code = CodeTooManyRequests
		case status >= 500:
			e.Code = CodeInternalServerError
		default:
			e.Code = "HTTP" + strconv.Itoa(status)
		}
	}
	return e
}

func firstHeader(h http.Header, names ...string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// stringMember returns the first of names that is a JSON string in doc.
func stringMember(doc map[string]json.RawMessage, names ...string) string {
	for _, n := range names {
		raw, ok := doc[n]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			return s
		}
	}
	return ""
}

// cleanCode reduces an error type to its bare name: AWS JSON services send
// "com.amazonaws.support#CaseIdNotFound" or "CaseIdNotFound", and
// X-Amzn-ErrorType may append ":http://internal.amazon.com/…".
func cleanCode(s string) string {
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	s = strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && (r == '.' || r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return -1
	}, s)
	if len(s) > maxCodeLen {
		s = s[:maxCodeLen]
	}
	return s
}

// cleanText makes server text safe to put in an error string: valid UTF-8,
// no control characters, at most max bytes (cut on a rune boundary).
func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP-date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 24*3600 {
			n = 24 * 3600
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			if d > 24*time.Hour {
				d = 24 * time.Hour
			}
			return d
		}
	}
	return 0
}
