// Package samples is the catalog of example AWS event payloads: realistic
// bodies, shaped exactly as AWS delivers them (to Lambda, or from
// EventBridge), that operators send to the event intake to try a rule and
// that tests feed to the payload decoder.
//
// The first ones come from the event samples opsdesk grew out of (S3 put,
// scheduled event, DynamoDB insert and remove), corrected where those had
// values AWS never sends (a DynamoDB N that is not a number, a sequencer
// that is not hex).
package samples

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed data/*.json
var files embed.FS

// Sample names one payload of the catalog.
type Sample struct {
	Name        string
	Description string
}

// catalog lists the samples in the order List returns them.
var catalog = []Sample{
	{"s3-put", "S3 ObjectCreated:Put notification delivered to Lambda (Records batch)"},
	{"s3-delete", "S3 ObjectRemoved:Delete notification of a versioned object, delivered to Lambda"},
	{"scheduled", "EventBridge (CloudWatch Events) \"Scheduled Event\" from a schedule rule"},
	{"dynamodb-insert", "DynamoDB Streams INSERT record with a NEW_AND_OLD_IMAGES view, every attribute type"},
	{"dynamodb-modify", "DynamoDB Streams MODIFY record with the new and old images"},
	{"dynamodb-remove", "DynamoDB Streams REMOVE record of an item deleted by TTL (userIdentity dynamodb.amazonaws.com)"},
	{"sns", "SNS notification delivered to Lambda, carrying a CloudWatch alarm message"},
	{"sqs", "SQS message delivered to Lambda: a Zabbix alert forwarded onto a queue"},
	{"alarm-state-change", "EventBridge \"CloudWatch Alarm State Change\" from OK to ALARM"},
	{"support-case-update", "EventBridge \"Support Case Update\": AWS Support added a communication to a case"},
	{"connect-contact-event", "EventBridge \"Amazon Connect Contact Event\": an outbound voice call disconnected by the callee"},
	{"health-issue", "EventBridge \"AWS Health Event\": an open EC2 operational issue affecting two instances (English and Japanese descriptions)"},
	{"health-issue-closed", "EventBridge \"AWS Health Event\": the update that closes the EC2 issue of health-issue"},
	{"health-scheduled-change", "EventBridge \"AWS Health Event\": upcoming RDS maintenance, received by the organization's management account for a member account"},
	{"health-account-notification", "EventBridge \"AWS Health Event\": an account notification (an ACM certificate that could not be renewed)"},
}

// List returns the samples, in catalog order.
func List() []Sample {
	return append([]Sample(nil), catalog...)
}

// Get returns the body of the named sample; the caller may modify it.
func Get(name string) ([]byte, error) {
	for _, s := range catalog {
		if s.Name == name {
			b, err := files.ReadFile("data/" + name + ".json")
			if err != nil {
				return nil, fmt.Errorf("samples: %s: %w", name, err)
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("samples: unknown sample %q (known: %s)", name, strings.Join(names(), ", "))
}

func names() []string {
	n := make([]string, len(catalog))
	for i, s := range catalog {
		n[i] = s.Name
	}
	return n
}
