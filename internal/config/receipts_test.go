package config

import (
	"errors"
	"strings"
	"testing"
)

func TestReceiptsConfig(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(`
oncall:
  receipts:
    sns_topics:
      - arn:aws:sns:ap-northeast-1:123456789012:opsdesk-receipts
      - arn:aws-cn:sns:cn-north-1:123456789012:receipts.fifo
`))
	if err != nil {
		t.Fatal(err)
	}
	r := &cfg.OnCall.Receipts
	if len(r.SNSTopics) != 2 || !r.TopicAllowed("arn:aws:sns:ap-northeast-1:123456789012:opsdesk-receipts") ||
		r.TopicAllowed("arn:aws:sns:ap-northeast-1:123456789012:other") {
		t.Fatalf("topics %v", r.SNSTopics)
	}
	for _, tc := range []struct{ yaml, key, msg string }{
		{"[arn:aws:sqs:ap-northeast-1:123456789012:q]", "oncall.receipts.sns_topics[0]", "not an SNS topic ARN"},
		{"[arn:aws:sns:ap-northeast-1:1234:t]", "oncall.receipts.sns_topics[0]", "not an SNS topic ARN"},
		{"[arn:aws:sns:us-east-1:123456789012:a, arn:aws:sns:us-east-1:123456789012:a]", "oncall.receipts.sns_topics[1]", "already oncall.receipts.sns_topics[0]"},
	} {
		_, err := Parse([]byte("oncall:\n  receipts:\n    sns_topics: " + tc.yaml + "\n"))
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != tc.key || !strings.Contains(ce.Msg, tc.msg) {
			t.Errorf("%s: error %v, want %s: …%s…", tc.yaml, err, tc.key, tc.msg)
		}
	}
}
