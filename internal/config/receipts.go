package config

import (
	"fmt"
	"regexp"
)

// OnCallReceipts admits delivery receipts of SMS and email pages (issue
// 12, docs/oncall.md "Delivery receipts"):
//
//	oncall:
//	  receipts:
//	    sns_topics:
//	      - arn:aws:sns:ap-northeast-1:123456789012:opsdesk-receipts
//
// End User Messaging SMS and SES publish their events to an SNS topic
// subscribed to POST /hooks/sns/receipts; only signed messages of the
// topics listed here are read, and only their subscriptions confirmed.
type OnCallReceipts struct {
	SNSTopics []string `yaml:"sns_topics"`
}

// snsTopicRe is an SNS topic ARN: partition, region, account, name.
var snsTopicRe = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)

// MaxReceiptTopics bounds oncall.receipts.sns_topics.
const MaxReceiptTopics = 100

func (x *OnCallReceipts) validate() error {
	if len(x.SNSTopics) > MaxReceiptTopics {
		return &Error{"oncall.receipts.sns_topics", fmt.Sprintf("at most %d topics (got %d)", MaxReceiptTopics, len(x.SNSTopics))}
	}
	seen := map[string]int{}
	for i, t := range x.SNSTopics {
		key := fmt.Sprintf("oncall.receipts.sns_topics[%d]", i)
		if !snsTopicRe.MatchString(t) {
			return &Error{key, fmt.Sprintf("%q is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", t)}
		}
		if j, dup := seen[t]; dup {
			return &Error{key, fmt.Sprintf("%q is already oncall.receipts.sns_topics[%d]", t, j)}
		}
		seen[t] = i
	}
	return nil
}

// TopicAllowed reports whether receipts of the SNS topic are read.
func (x *OnCallReceipts) TopicAllowed(arn string) bool {
	for _, t := range x.SNSTopics {
		if t == arn {
			return true
		}
	}
	return false
}
