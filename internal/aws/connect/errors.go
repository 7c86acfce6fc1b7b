package connect

import (
	"context"
	"errors"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ValidationError is a request or configuration opsdesk must not send as
// it is; it is never retryable.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return "invalid " + e.Field + ": " + e.Reason }

// Connect error codes by what trying again can do.
var (
	retryableCodes = map[string]bool{
		"ThrottlingException":           true,
		"TooManyRequestsException":      true,
		"LimitExceededException":        true, // rate or concurrent calls: frees up
		"ServiceQuotaExceededException": true,
		"InternalServiceException":      true,
		"ServiceUnavailableException":   true,
		"RequestTimeout":                true,
		"RequestTimeoutException":       true,
		"ExpiredTokenException":         true, // credentials are refreshed on the next attempt
		"RequestExpired":                true,
	}
	permanentCodes = map[string]bool{
		"InvalidParameterException":            true, // e.g. not an E.164 number
		"InvalidRequestException":              true,
		"DestinationNotAllowedException":       true, // country or number not enabled for the instance
		"OutboundContactNotPermittedException": true,
		"ResourceNotFoundException":            true, // wrong instance, flow, queue or contact id
		"ContactNotFoundException":             true,
		"ContactFlowNotPublishedException":     true,
		"AccessDeniedException":                true,
		"UnrecognizedClientException":          true,
		"InvalidSignatureException":            true,
		"IncompleteSignatureException":         true,
		"MissingAuthenticationTokenException":  true,
		"IdempotencyException":                 true,
		"ConflictException":                    true,
		"SerializationException":               true,
		"ValidationException":                  true,
	}
)

// IsRetryable reports whether err may go away if the same request is sent
// again later (with the same ClientToken): throttling, Connect's limits,
// 5xx answers, timeouts and network errors. Invalid numbers, destinations
// Connect may not call, wrong ids, missing permissions and validation
// errors are permanent. A cancelled context is not retryable.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var ve *ValidationError
	var invalid smithy.InvalidParamsError // the SDK's own check of required fields
	var send *smithyhttp.RequestSendError
	switch {
	case errors.As(err, &ve), errors.As(err, &invalid):
		return false
	case errors.As(err, &send): // no answer: connection refused or reset, DNS, TLS
		return !errors.Is(err, context.Canceled)
	case errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, context.DeadlineExceeded):
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		if retryableCodes[code] {
			return true
		}
		if permanentCodes[code] {
			return false
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		s := re.HTTPStatusCode()
		return s == 0 || s == 429 || s >= 500
	}
	if api != nil {
		return api.ErrorFault() == smithy.FaultServer
	}
	// Anything else never got an answer from Connect.
	return true
}
