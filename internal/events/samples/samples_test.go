package samples

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/events/payload"
)

// TestSamplesParse feeds every sample through the payload decoder.
func TestSamplesParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		shape      string
		source     string
		detailType string
		id         string // "" when derived
		account    string
		region     string
		time       time.Time
		resource   string
		// detail holds dotted paths into Event.Detail and their JSON.
		detail map[string]string
	}{
		{"s3-put", payload.ShapeS3, "aws.s3", "Object Created", "", "", "ap-northeast-1",
			time.Date(2024, 3, 23, 13, 44, 30, 435e6, time.UTC), "arn:aws:s3:::opsdesk-reports-141855812477",
			map[string]string{"s3.object.key": `"daily/2024-03-23/error+summary+%28tokyo%29.csv"`, "eventName": `"ObjectCreated:Put"`}},
		{"s3-delete", payload.ShapeS3, "aws.s3", "Object Deleted", "", "", "ap-northeast-1",
			time.Date(2024, 3, 24, 2, 10, 7, 118e6, time.UTC), "arn:aws:s3:::opsdesk-reports-141855812477",
			map[string]string{"eventName": `"ObjectRemoved:Delete"`}},
		{"scheduled", payload.ShapeEventBridge, "aws.events", "Scheduled Event", "2de27334-3716-f97e-5c43-d7f1a5ac5447",
			"141855812477", "ap-northeast-1", time.Date(2024, 4, 3, 16, 7, 58, 0, time.UTC),
			"arn:aws:events:ap-northeast-1:141855812477:rule/opsdesk-case-archive-sync", nil},
		{"dynamodb-insert", payload.ShapeDynamoDB, "aws.dynamodb", "INSERT", "ccdc9732e4ad93fc6d1283d850567b66",
			"141855812477", "ap-northeast-1", time.Unix(1711201470, 0).UTC(),
			"arn:aws:dynamodb:ap-northeast-1:141855812477:table/oncall-contacts/stream/2024-03-21T14:31:59.473",
			map[string]string{
				"keys":                 `{"callOrder":1,"system":"billing-api"}`,
				"newImage.name":        `"佐藤 花子"`,
				"newImage.ackKeys":     `[1,2,9]`,
				"newImage.quietUntil":  `null`,
				"newImage.escalation":  `{"rounds":3,"snoozeHours":12,"waitSeconds":30}`,
				"newImage.history":     `[{"contactId":"4e8f7d2a-0c6b-4b7e-9f1a-2d3c5b6a7e80","result":"ACKNOWLEDGED"}]`,
				"newImage.avatar":      `"iVBORw0KGgo="`,
				"dynamodb.Keys.system": `{"S":"billing-api"}`,
			}},
		{"dynamodb-modify", payload.ShapeDynamoDB, "aws.dynamodb", "MODIFY", "3d1c2a3f8e7b4c6d9a0b1e2f3a4b5c6d",
			"141855812477", "ap-northeast-1", time.Unix(1711203012, 0).UTC(),
			"arn:aws:dynamodb:ap-northeast-1:141855812477:table/oncall-contacts/stream/2024-03-21T14:31:59.473",
			map[string]string{
				"newImage.phone":      `"+819087654321"`,
				"oldImage.phone":      `"+819012345678"`,
				"newImage.quietUntil": `1711278000`,
				"newImage.channels":   `["dingtalk","phone","slack"]`,
			}},
		{"dynamodb-remove", payload.ShapeDynamoDB, "aws.dynamodb", "REMOVE", "9f0e8d7c6b5a49382716a5b4c3d2e1f0",
			"141855812477", "ap-northeast-1", time.Unix(1711290600, 0).UTC(),
			"arn:aws:dynamodb:ap-northeast-1:141855812477:table/oncall-contacts/stream/2024-03-21T14:31:59.473",
			map[string]string{
				"oldImage.system":          `"billing-api"`,
				"userIdentity.principalId": `"dynamodb.amazonaws.com"`,
			}},
		{"sns", payload.ShapeSNS, "aws.sns", "SNS Notification", "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
			"141855812477", "ap-northeast-1", time.Date(2024, 3, 23, 13, 50, 12, 581e6, time.UTC),
			"arn:aws:sns:ap-northeast-1:141855812477:opsdesk-alarms",
			map[string]string{
				"messageJson.NewStateValue": `"ALARM"`,
				"messageJson.AlarmName":     `"billing-api-5xx"`,
				"Sns.Subject":               `"ALARM: \"billing-api-5xx\" in Asia Pacific (Tokyo)"`,
			}},
		{"sqs", payload.ShapeSQS, "aws.sqs", "SQS Message", "059f36b4-87a3-44ab-83d2-661975830a7d",
			"141855812477", "ap-northeast-1", time.UnixMilli(1711201950000).UTC(),
			"arn:aws:sqs:ap-northeast-1:141855812477:opsdesk-monitoring-alerts",
			map[string]string{
				"bodyJson.host":                        `"db-01.tokyo.internal"`,
				"messageAttributes.system.stringValue": `"billing-db"`,
			}},
		{"alarm-state-change", payload.ShapeEventBridge, "aws.cloudwatch", "CloudWatch Alarm State Change",
			"c4c1c1c9-6542-e61b-6ef0-8c4d36933a92", "141855812477", "ap-northeast-1",
			time.Date(2024, 3, 23, 13, 50, 12, 0, time.UTC), "arn:aws:cloudwatch:ap-northeast-1:141855812477:alarm:billing-api-5xx",
			map[string]string{
				"alarmName":           `"billing-api-5xx"`,
				"state.value":         `"ALARM"`,
				"previousState.value": `"OK"`,
			}},
		{"support-case-update", payload.ShapeEventBridge, "aws.support", "Support Case Update",
			"f90cb8cb-32be-1c91-c0ba-d50b4ca5e51b", "141855812477", "us-east-1",
			time.Date(2024, 3, 23, 14, 2, 31, 0, time.UTC), "",
			map[string]string{
				"case-id":          `"case-141855812477-muen-2024-7118885805350839"`,
				"display-id":       `"171234563851"`,
				"communication-id": `"ekko:us-east-1:5f1c9a3e-268a-424b-be08-54613cab84d2"`,
				"event-name":       `"AddCommunicationToCase"`,
				"origin":           `"AWS"`,
			}},
		{"connect-contact-event", payload.ShapeEventBridge, "aws.connect", "Amazon Connect Contact Event",
			"5e3a2f5c-4c0e-7a1b-93d2-8f0c6a1b2d3e", "141855812477", "ap-northeast-1",
			time.Date(2024, 3, 23, 13, 52, 41, 0, time.UTC),
			"arn:aws:connect:ap-northeast-1:141855812477:instance/6f1c4a7e-2b9d-4c3e-8a5f-0d7b9e2c1a48",
			map[string]string{
				"eventType":        `"DISCONNECTED"`,
				"contactId":        `"9b0d2e6a-3c51-4f7e-b8a2-1e4c7d9f0a35"`,
				"channel":          `"VOICE"`,
				"initiationMethod": `"OUTBOUND"`,
				"disconnectReason": `"CUSTOMER_DISCONNECT"`,
				"instanceArn":      `"arn:aws:connect:ap-northeast-1:141855812477:instance/6f1c4a7e-2b9d-4c3e-8a5f-0d7b9e2c1a48"`,
			}},
		{"health-issue", payload.ShapeEventBridge, "aws.health", "AWS Health Event",
			"7bf73129-1428-4cd3-a780-95db273d1602", "141855812477", "ap-northeast-1",
			time.Date(2024, 3, 23, 13, 41, 0, 0, time.UTC), "i-0f3a9c2b7d1e64a58",
			map[string]string{
				"eventTypeCategory": `"issue"`,
				"statusCode":        `"open"`,
				"service":           `"EC2"`,
				"eventRegion":       `"ap-northeast-1"`,
			}},
		{"health-issue-closed", payload.ShapeEventBridge, "aws.health", "AWS Health Event",
			"c2e85a47-6b1d-4f39-9e0a-3d7f1b5c8a24", "141855812477", "ap-northeast-1",
			time.Date(2024, 3, 23, 15, 6, 0, 0, time.UTC), "i-0f3a9c2b7d1e64a58",
			map[string]string{
				"eventArn":   `"arn:aws:health:ap-northeast-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_7F3A2B9C1D4E5F60"`,
				"statusCode": `"closed"`,
				"endTime":    `"Sat, 23 Mar 2024 14:52:00 GMT"`,
			}},
		{"health-scheduled-change", payload.ShapeEventBridge, "aws.health", "AWS Health Event",
			"0d4b7f61-93a2-4e5c-b8d1-6f2a0c9e3b75", "141855812477", "ap-northeast-1",
			time.Date(2024, 3, 25, 2, 0, 0, 0, time.UTC), "billing-db-1",
			map[string]string{
				"eventTypeCategory": `"scheduledChange"`,
				"statusCode":        `"upcoming"`,
				"affectedAccount":   `"208496451275"`,
			}},
		{"health-account-notification", payload.ShapeEventBridge, "aws.health", "AWS Health Event",
			"e61f3b0a-2c8d-47e9-a5b4-9d0c1e7f2a38", "141855812477", "us-east-1",
			time.Date(2024, 3, 26, 8, 30, 0, 0, time.UTC), "arn:aws:acm:us-east-1:141855812477:certificate/5a7c9e1b-3d5f-4a7c-9e1b-3d5f7a9c1e2b",
			map[string]string{
				"eventTypeCategory": `"accountNotification"`,
				"service":           `"ACM"`,
			}},
	}

	var covered []string
	for _, tt := range tests {
		covered = append(covered, tt.name)
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body, err := Get(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			batch, err := payload.Parse(body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if batch.Shape != tt.shape || len(batch.Events) != 1 || len(batch.Failed) != 0 {
				t.Fatalf("Parse = %v, failed %v; want shape %s and one event", batch, batch.Failed, tt.shape)
			}
			ev := batch.Events[0]
			if ev.Source != tt.source || ev.DetailType != tt.detailType {
				t.Errorf("source, detail-type = %q, %q; want %q, %q", ev.Source, ev.DetailType, tt.source, tt.detailType)
			}
			if tt.id != "" && ev.ID != tt.id {
				t.Errorf("ID = %q, want %q", ev.ID, tt.id)
			}
			if tt.id == "" && !strings.HasPrefix(ev.ID, "s3-") {
				t.Errorf("ID = %q, want a derived s3- id", ev.ID)
			}
			if ev.Account != tt.account || ev.Region != tt.region {
				t.Errorf("account, region = %q, %q; want %q, %q", ev.Account, ev.Region, tt.account, tt.region)
			}
			if !ev.Time.Equal(tt.time) {
				t.Errorf("time = %s, want %s", ev.Time, tt.time)
			}
			if tt.resource == "" && len(ev.Resources) != 0 || tt.resource != "" && (len(ev.Resources) == 0 || ev.Resources[0] != tt.resource) {
				t.Errorf("resources = %q, want first %q", ev.Resources, tt.resource)
			}
			for path, want := range tt.detail {
				if got := lookup(t, ev.Detail, path); got != want {
					t.Errorf("detail.%s = %s, want %s", path, got, want)
				}
			}
			// Raw is the envelope rules see.
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(ev.Raw, &raw); err != nil {
				t.Fatalf("Raw: %v", err)
			}
			if string(raw["source"]) != `"`+tt.source+`"` || string(raw["detail-type"]) != `"`+tt.detailType+`"` ||
				string(raw["detail"]) != string(ev.Detail) {
				t.Errorf("Raw = %s", ev.Raw)
			}
		})
	}
	if want := names(); !slices.Equal(covered, want) {
		t.Errorf("table covers %v, catalog is %v", covered, want)
	}
}

// lookup returns the compact JSON at a dotted path in doc.
func lookup(t *testing.T, doc json.RawMessage, path string) string {
	t.Helper()
	cur := doc
	for _, key := range strings.Split(path, ".") {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(cur, &obj); err != nil {
			return "<not an object at " + key + ">"
		}
		v, ok := obj[key]
		if !ok {
			return "<missing " + key + ">"
		}
		cur = v
	}
	var v any
	if err := json.Unmarshal(cur, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestCatalog(t *testing.T) {
	t.Parallel()
	want := []string{"s3-put", "s3-delete", "scheduled", "dynamodb-insert", "dynamodb-modify", "dynamodb-remove",
		"sns", "sqs", "alarm-state-change", "support-case-update", "connect-contact-event",
		"health-issue", "health-issue-closed", "health-scheduled-change", "health-account-notification"}
	list := List()
	var got []string
	for _, s := range list {
		got = append(got, s.Name)
		if s.Description == "" {
			t.Errorf("%s has no description", s.Name)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("List names = %v, want %v", got, want)
	}
	list[0].Name = "changed"
	if List()[0].Name != "s3-put" {
		t.Error("List returns the catalog itself, not a copy")
	}

	// Every embedded file is in the catalog, and every body is one JSON
	// value.
	entries, err := fs.ReadDir(files, "data")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("%d files embedded, %d samples", len(entries), len(want))
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".json")
		if !slices.Contains(want, name) {
			t.Errorf("embedded file %s is not in the catalog", e.Name())
		}
		b, err := Get(name)
		if err != nil || !json.Valid(b) {
			t.Errorf("%s: %v (valid JSON: %v)", name, err, json.Valid(b))
		}
	}

	b, _ := Get("s3-put")
	b[0] = 'X'
	if again, _ := Get("s3-put"); again[0] != '{' {
		t.Error("Get returns shared bytes")
	}

	_, err = Get("s3-get")
	if err == nil || !strings.Contains(err.Error(), `unknown sample "s3-get"`) || !strings.Contains(err.Error(), "connect-contact-event") {
		t.Errorf("Get(unknown) error = %v, want one naming the sample and listing the known ones", err)
	}
}

// TestSQSDigest checks the SQS sample is self-consistent: md5OfBody is the
// MD5 of the body, as SQS computes it.
func TestSQSDigest(t *testing.T) {
	t.Parallel()
	b, err := Get("sqs")
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Records []struct {
			Body      string `json:"body"`
			Md5OfBody string `json:"md5OfBody"`
		}
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte(ev.Records[0].Body))
	if got := hex.EncodeToString(sum[:]); got != ev.Records[0].Md5OfBody {
		t.Errorf("md5OfBody = %s, MD5 of body is %s", ev.Records[0].Md5OfBody, got)
	}
}
