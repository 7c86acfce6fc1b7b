package support

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func TestParseError(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		status  int
		header  http.Header
		body    string
		code    string
		message string
	}{
		{"plain", 400, nil, `{"__type":"CaseIdNotFound","message":"Case ID not found"}`, "CaseIdNotFound", "Case ID not found"},
		{"namespaced", 400, nil, `{"__type":"com.amazonaws.support#ThrottlingException","message":"Rate exceeded"}`, "ThrottlingException", "Rate exceeded"},
		{"capital Message", 400, nil, `{"__type":"ValidationException","Message":"bad"}`, "ValidationException", "bad"},
		{"code member", 400, nil, `{"code":"InvalidParameterValueException","message":"x"}`, "InvalidParameterValueException", "x"},
		{"header type", 400, http.Header{"X-Amzn-Errortype": {"SubscriptionRequiredException:http://internal.amazon.com/coral/com.amazonaws.support/"}}, `{}`, "SubscriptionRequiredException", ""},
		{"429 no body", 429, nil, ``, "TooManyRequestsException", ""},
		{"503 html", 503, nil, "<html><body>Service Unavailable</body></html>", "InternalServerError", "<html><body>Service Unavailable</body></html>"},
		{"418 text", 418, nil, "teapot\x00\n", "HTTP418", "teapot"},
	}
	for _, tc := range tests {
		e := parseError(tc.status, tc.header, []byte(tc.body), now)
		if e.Code != tc.code || e.Message != tc.message || e.StatusCode != tc.status {
			t.Errorf("%s: got %+v, want %s %q", tc.name, e, tc.code, tc.message)
		}
	}

	h := http.Header{}
	h.Set("X-Amzn-RequestId", "0a1b2c3d-4e5f")
	h.Set("Retry-After", "12")
	e := parseError(400, h, []byte(`{"__type":"ThrottlingException","message":"Rate exceeded"}`), now)
	if e.RequestID != "0a1b2c3d-4e5f" || e.RetryAfter != 12*time.Second || !e.Throttling() {
		t.Errorf("headers: %+v", e)
	}
	if got := e.Error(); got != "ThrottlingException: Rate exceeded (HTTP 400, request id 0a1b2c3d-4e5f)" {
		t.Errorf("Error() = %q", got)
	}
	h.Set("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat))
	if e := parseError(503, h, nil, now); e.RetryAfter != 90*time.Second {
		t.Errorf("HTTP-date Retry-After: %v", e.RetryAfter)
	}

	sub := parseError(400, nil, []byte(`{"__type":"SubscriptionRequiredException","message":"AWS Premium Support Subscription is required to use this service."}`), now)
	if !errors.Is(sub, ErrSubscriptionRequired) || !strings.Contains(sub.Error(), "Business") || !strings.Contains(sub.Error(), "AWS Premium Support Subscription is required") {
		t.Errorf("subscription error: %v", sub)
	}
	if errors.Is(e, ErrSubscriptionRequired) {
		t.Error("throttling matches ErrSubscriptionRequired")
	}

	long := parseError(400, nil, []byte(`{"__type":"X","message":"`+strings.Repeat("長", 2000)+`"}`), now)
	if len(long.Message) > maxMessageLen+len("…") || !utf8.ValidString(long.Message) {
		t.Errorf("long message kept %d bytes", len(long.Message))
	}
}

// FuzzParseError feeds arbitrary statuses, headers and bodies to the error
// parser and the response decoders: they must never panic, and an error
// always has a clean code and a printable, bounded message.
func FuzzParseError(f *testing.F) {
	f.Add(400, "", []byte(`{"__type":"com.amazonaws.support#CaseIdNotFound","message":"Case ID not found"}`))
	f.Add(400, "", []byte(`{"__type":"ThrottlingException","message":"Rate exceeded"}`))
	f.Add(400, "SubscriptionRequiredException:http://internal.amazon.com/", []byte(`{}`))
	f.Add(429, "", []byte(``))
	f.Add(503, "", []byte(`<html>unavailable</html>`))
	f.Add(500, "", []byte("\xff\xfe\x00garbage"))
	f.Add(400, "#", []byte(`{"__type":123,"message":["x"]}`))
	f.Add(200, "", []byte(`{"cases":[{"caseId":"case-1","recentCommunications":{"communications":[{"body":"障害"}],"nextToken":"t"}}],"nextToken":"n"}`))
	f.Add(200, "", []byte(`{"attachment":{"fileName":"a.log","data":"aGVsbG8="}}`))
	f.Fuzz(func(t *testing.T, status int, errType string, body []byte) {
		h := http.Header{}
		h.Set("X-Amzn-Errortype", errType)
		h.Set("Retry-After", errType)
		e := parseError(status, h, body, time.Unix(1700000000, 0))
		if e.Code == "" || len(e.Code) > maxCodeLen || strings.ContainsAny(e.Code, "#: \t\n") {
			t.Fatalf("bad code %q", e.Code)
		}
		if !utf8.ValidString(e.Message) || len(e.Message) > maxMessageLen+len("…") {
			t.Fatalf("bad message %q", e.Message)
		}
		for _, r := range e.Message {
			if unicode.IsControl(r) {
				t.Fatalf("control character in message %q", e.Message)
			}
		}
		if e.RetryAfter < 0 || e.RetryAfter > 24*time.Hour {
			t.Fatalf("retry after %v", e.RetryAfter)
		}
		if !strings.Contains(e.Error(), e.Code) {
			t.Fatalf("Error() %q lacks code", e.Error())
		}
		_ = e.Throttling()
		_ = e.ErrorFault()

		// The response decoders take the same untrusted bytes.
		var cases DescribeCasesOutput
		_ = json.Unmarshal(body, &cases)
		var comms DescribeCommunicationsOutput
		_ = json.Unmarshal(body, &comms)
		var att DescribeAttachmentOutput
		_ = json.Unmarshal(body, &att)
		for _, c := range cases.Cases {
			_, _ = c.Created()
		}
	})
}
