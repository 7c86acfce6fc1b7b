package fake_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// TestConnectRingTimeoutRange: StartOutboundVoiceContact takes a
// RingTimeoutInSeconds from 15 to 60; the fake refuses anything else as
// Connect does, with a ValidationException (400) naming the member and the
// bound, and places no call.
func TestConnectRingTimeoutRange(t *testing.T) {
	t.Parallel()
	f, c, _ := newConnect(t)
	const num = "+819011113333"
	for i, tt := range []struct {
		secs int32
		want string // "" accepted, else the constraint in the message
	}{
		{15, ""},
		{60, ""},
		{14, "greater than or equal to 15"},
		{0, "greater than or equal to 15"},
		{-1, "greater than or equal to 15"},
		{61, "less than or equal to 60"},
		{600, "less than or equal to 60"},
	} {
		in := startInput(f, num, "ring-"+string(rune('a'+i)))
		in.RingTimeoutInSeconds = aws.Int32(tt.secs)
		before := len(f.Calls())
		_, err := c.StartOutboundVoiceContact(context.Background(), in)
		if tt.want == "" {
			if err != nil {
				t.Errorf("RingTimeoutInSeconds %d: %v", tt.secs, err)
			}
			continue
		}
		var api smithy.APIError
		var re *smithyhttp.ResponseError
		if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
			t.Fatalf("RingTimeoutInSeconds %d: %v, want a 400 ValidationException", tt.secs, err)
		}
		if msg := api.ErrorMessage(); !strings.Contains(msg, "'ringTimeoutInSeconds'") || !strings.Contains(msg, tt.want) {
			t.Errorf("RingTimeoutInSeconds %d: message %q", tt.secs, msg)
		}
		if len(f.Calls()) != before {
			t.Errorf("RingTimeoutInSeconds %d placed a call", tt.secs)
		}
	}
}
