package sqsin

import (
	"encoding/json"
	"testing"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/sqsin/sqsmsg"
)

// Bodies as AWS puts them in a queue.
const (
	alarmJSON = `{"AlarmName":"api-5xx","NewStateValue":"ALARM","OldStateValue":"OK","NewStateReason":"Threshold Crossed","StateChangeTime":"2024-05-01T00:59:12.410+0000","AWSAccountId":"123456789012","Region":"Asia Pacific (Tokyo)","AlarmArn":"arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:api-5xx"}`
	ebEvent   = `{"version":"0","id":"e1","detail-type":"AWS Health Event","source":"aws.health","account":"123456789012","time":"2024-05-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{"service":"EC2"}}`
	s3Records = `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"ap-northeast-1","eventTime":"2024-05-01T00:00:00.000Z","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b","arn":"arn:aws:s3:::b"},"object":{"key":"reports/a.csv","size":10,"sequencer":"0A"}}}]}`
)

func snsEnvelope(typ, message string) string {
	b, _ := json.Marshal(map[string]string{
		"Type": typ, "MessageId": "0f6e5b2c-1111-5222-8333-444455556666", "TopicArn": "arn:aws:sns:ap-northeast-1:123456789012:ops",
		"Message": message, "Timestamp": "2024-05-01T00:59:12.455Z", "SignatureVersion": "1", "Signature": "eA==",
		"SigningCertURL": "https://sns.ap-northeast-1.amazonaws.com/x.pem",
	})
	return string(b)
}

// The recogniser's queue kinds are the configuration's.
func TestKindsMatchConfig(t *testing.T) {
	t.Parallel()
	if sqsmsg.QueueAuto != config.QueueKindAuto || sqsmsg.QueueEvents != config.QueueKindEvents || sqsmsg.QueueAlarms != config.QueueKindAlarms {
		t.Fatal("sqsmsg and config disagree on the queue kinds")
	}
}
