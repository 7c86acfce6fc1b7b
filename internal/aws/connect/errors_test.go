package connect_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/opsdesk/opsdesk/internal/aws/connect"
)

// sdkError wraps api the way the SDK returns an error answer with status.
func sdkError(status int, api error) error {
	return &smithy.OperationError{ServiceID: "Connect", OperationName: "StartOutboundVoiceContact", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: api},
	}}
}

func TestIsRetryable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"throttling", sdkError(429, &smithy.GenericAPIError{Code: "ThrottlingException"}), true},
		{"too many requests", sdkError(429, &types.TooManyRequestsException{}), true},
		{"limit exceeded", sdkError(429, &types.LimitExceededException{}), true},
		{"internal", sdkError(500, &types.InternalServiceException{}), true},
		{"unknown 503", sdkError(503, &smithy.GenericAPIError{Code: "Whatever"}), true},
		{"unknown 429", sdkError(429, &smithy.GenericAPIError{Code: "Whatever"}), true},
		{"invalid parameter", sdkError(400, &types.InvalidParameterException{}), false},
		{"destination not allowed", sdkError(403, &types.DestinationNotAllowedException{}), false},
		{"not permitted", sdkError(403, &types.OutboundContactNotPermittedException{}), false},
		{"not found", sdkError(404, &types.ResourceNotFoundException{}), false},
		{"access denied", sdkError(403, &types.AccessDeniedException{}), false},
		{"unknown 400", sdkError(400, &smithy.GenericAPIError{Code: "Whatever"}), false},
		{"retries exhausted", &retry.MaxAttemptsError{Attempt: 3, Err: sdkError(429, &smithy.GenericAPIError{Code: "ThrottlingException"})}, true},
		{"wrapped by opsdesk", fmt.Errorf("escalation: call: %w", sdkError(500, &types.InternalServiceException{})), true},
		{"validation", fmt.Errorf("x: %w", &connect.ValidationError{Field: "destination", Reason: "bad"}), false},
		{"sdk params", &smithy.OperationError{Err: smithy.InvalidParamsError{Context: "StartOutboundVoiceContactInput"}}, false},
		{"send failed", &smithy.OperationError{Err: &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{}},
			Err: &smithyhttp.RequestSendError{Err: errors.New("dial tcp: connection refused")}}}}, true},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), false},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{"network", errors.New("dial tcp 127.0.0.1:443: connect: connection refused"), true},
	}
	for _, tt := range tests {
		if got := connect.IsRetryable(tt.err); got != tt.want {
			t.Errorf("%s: IsRetryable = %v, want %v", tt.name, got, tt.want)
		}
	}
}
