package payload

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// brief is the part of an event the shape tests compare.
type brief struct{ ID, Source, DetailType string }

func briefs(evs []Event) []brief {
	out := make([]brief, len(evs))
	for i, e := range evs {
		out[i] = brief{e.ID, e.Source, e.DetailType}
	}
	return out
}

func TestParseShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file   string
		shape  string
		events []brief // ID "s3-" / "event-" means "a derived id of that kind"
		failed []string
	}{
		{"sns-http-s3.json", "sns-http/s3", []brief{
			{"s3-", "aws.s3", "Object Created"}, {"s3-", "aws.s3", "Object Created"},
		}, nil},
		{"sns-http-text.json", ShapeSNSHTTP, []brief{
			{"7a3c1e1c-1a4e-5f4e-9b86-3c9a1e0e2b17", "aws.sns", "SNS Notification"},
		}, nil},
		{"sns-http-eventbridge.json", "sns-http/eventbridge", []brief{
			{"6a7e8feb-b491-4cf7-a9f1-bf3703467718", "aws.ec2", "EC2 Instance State-change Notification"},
		}, nil},
		{"sns-http-subscription-confirmation.json", ShapeSNSSubscriptionConfirmation, nil, nil},
		{"sns-lambda-s3.json", ShapeSNS, []brief{{"s3-", "aws.s3", "Object Created"}},
			[]string{"Records[0].Sns.Message.Records[1].s3.bucket.name: is missing"}},
		{"s3-test-event.json", ShapeS3Test, []brief{{"5582815E1AEA5ADF", "aws.s3", "S3 Test Event"}}, nil},
		{"eventbridge-array.json", ShapeEventBridgeArray, []brief{
			{"6a7e8feb-b491-4cf7-a9f1-bf3703467718", "aws.ec2", "EC2 Instance State-change Notification"},
			{"event-", "aws.events", "Scheduled Event"},
		}, []string{"[2].source: is missing", "[3]: is a JSON string; an array body must hold EventBridge events (objects)"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			batch, err := Parse(readTestdata(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if batch.Shape != tt.shape {
				t.Errorf("Shape = %q, want %q", batch.Shape, tt.shape)
			}
			got := briefs(batch.Events)
			if len(got) != len(tt.events) {
				t.Fatalf("events = %+v, want %+v", got, tt.events)
			}
			for i, want := range tt.events {
				g := got[i]
				idOK := g.ID == want.ID || (strings.HasSuffix(want.ID, "-") && strings.HasPrefix(g.ID, want.ID) && len(g.ID) == len(want.ID)+64)
				if !idOK || g.Source != want.Source || g.DetailType != want.DetailType {
					t.Errorf("event %d = %+v, want %+v", i, g, want)
				}
			}
			var reasons []string
			for _, f := range batch.Failed {
				reasons = append(reasons, f.Reason)
			}
			if len(reasons) != len(tt.failed) {
				t.Fatalf("failed = %q, want %q", reasons, tt.failed)
			}
			for i, want := range tt.failed {
				if prefix, ok := strings.CutSuffix(want, "... "); ok {
					if !strings.HasPrefix(reasons[i], prefix) {
						t.Errorf("failure %d = %q, want prefix %q", i, reasons[i], prefix)
					}
				} else if reasons[i] != want {
					t.Errorf("failure %d = %q, want %q", i, reasons[i], want)
				}
			}
		})
	}
}

// TestRecordFailures checks that a batch keeps its good records and names
// the field of each bad one.
func TestRecordFailures(t *testing.T) {
	t.Parallel()
	batch, err := Parse(readTestdata(t, "dynamodb-mixed.json"))
	if err != nil {
		t.Fatal(err)
	}
	if batch.Shape != ShapeRecords {
		t.Errorf("Shape = %q, want %q (a kinesis record is in the batch)", batch.Shape, ShapeRecords)
	}
	var ids []string
	for _, e := range batch.Events {
		ids = append(ids, e.ID)
	}
	wantIDs := []string{
		"e0000000000000000000000000000000",
		"e0000000000000000000000000000001",
		"e0000000000000000000000000000002",
	}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("event ids = %q, want %q", ids, wantIDs)
	}
	want := []RecordError{
		{3, "e0000000000000000000000000000003", "Records[3].dynamodb.NewImage.price",
			`Records[3].dynamodb.NewImage.price: N value "abc" is not a number`},
		{4, "e0000000000000000000000000000004", "Records[4].eventName",
			`Records[4].eventName: "UPSERT" is not INSERT, MODIFY or REMOVE`},
		{5, "e0000000000000000000000000000005", "Records[5].dynamodb.NewImage.tags[1]",
			`Records[5].dynamodb.NewImage.tags[1]: SS value is a JSON number, want a string`},
		{6, "shardId-000000000000:4954", "Records[6].eventSource",
			`Records[6].eventSource: "aws:kinesis" is not a supported event source (want aws:s3, aws:dynamodb, aws:sns or aws:sqs)`},
		{7, "", "Records[7]", `Records[7]: is a JSON string, want a record object`},
		{8, "e0000000000000000000000000000008", "Records[8].dynamodb.NewImage.meta.size",
			`Records[8].dynamodb.NewImage.meta.size: unknown attribute type "X" (want S, N, B, BOOL, NULL, M, L, SS, NS or BS)`},
	}
	if !slices.Equal(batch.Failed, want) {
		t.Errorf("Failed =\n%s\nwant\n%s", dump(batch.Failed), dump(want))
	}

	// The good ones are fully decoded.
	ins := batch.Events[0]
	if ins.DetailType != "INSERT" || ins.Account != "123456789012" || ins.Region != "us-east-2" ||
		!ins.Time.Equal(time.Unix(1714979289, 0)) ||
		!slices.Equal(ins.Resources, []string{"arn:aws:dynamodb:us-east-2:123456789012:table/orders/stream/2024-05-01T00:00:00.000"}) {
		t.Errorf("INSERT event = %+v", ins)
	}
	var d struct {
		NewImage map[string]any `json:"newImage"`
		Keys     map[string]any `json:"keys"`
		OldImage map[string]any `json:"oldImage"`
		DynamoDB struct {
			NewImage map[string]map[string]string
		} `json:"dynamodb"`
	}
	if err := json.Unmarshal(ins.Detail, &d); err != nil {
		t.Fatal(err)
	}
	if d.NewImage["price"] != 19.99 || d.Keys["orderId"] != "o-0" || d.OldImage != nil ||
		d.DynamoDB.NewImage["price"]["N"] != "19.99" {
		t.Errorf("INSERT detail = %s", ins.Detail)
	}
	if rm := batch.Events[2]; rm.DetailType != "REMOVE" || !strings.Contains(string(rm.Detail), `"oldImage":{"orderId":"o-2"}`) {
		t.Errorf("REMOVE event = %s / %s", rm.DetailType, rm.Detail)
	}
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		body  string
		code  string
		field string
		msg   string // substring of Error()
	}{
		{"empty", "", CodeEmpty, "", "body is empty"},
		{"blank", " \r\n\t", CodeEmpty, "", "body is empty"},
		{"invalid UTF-8", "{\"source\":\"a\xffb\"}", CodeInvalidUTF8, "", "first bad byte at offset 12"},
		{"truncated", `{"source": "aws.s3"`, CodeInvalidJSON, "", "invalid JSON after 19 bytes"},
		{"bad token", "\n  {source: 1}", CodeInvalidJSON, "", "invalid JSON after 5 bytes"},
		{"two values", `{} {}`, CodeInvalidJSON, "", "invalid JSON"},
		{"byte order mark", "\uFEFF{}", CodeInvalidJSON, "", "byte order mark"},
		{"number", `42`, CodeUnknownShape, "", "body is a JSON number"},
		{"null", `null`, CodeUnknownShape, "", "body is a JSON null"},
		{"unknown object", `{"alarm":"x","host":"db-01"}`, CodeUnknownShape, "",
			`unrecognized payload (keys: "alarm", "host"); expected an EventBridge event`},
		{"lists shapes", `{}`, CodeUnknownShape, "", "Lambda-style {\"Records\": [...]} batch from S3, DynamoDB Streams, SNS or SQS"},
		{"empty array", `[]`, CodeEmpty, "", "the array of events is empty"},
		{"empty records", `{"Records":[]}`, CodeEmpty, "Records", "payload: Records: is empty"},
		{"records not array", `{"Records":{"eventSource":"aws:s3"}}`, CodeInvalid, "Records", "is a JSON object, want an array of records"},

		{"no source", `{"detail-type":"x","detail":{}}`, CodeMissing, "source", "payload: source: is missing"},
		{"empty source", `{"source":"","detail-type":"x"}`, CodeMissing, "source", "payload: source: is empty"},
		{"no detail-type", `{"source":"my.app","detail":{}}`, CodeMissing, "detail-type", "payload: detail-type: is missing"},
		{"detail-type not string", `{"source":"my.app","detail-type":7}`, CodeInvalid, "detail-type", "is a JSON number, want a string"},
		{"detail not object", `{"source":"my.app","detail-type":"x","detail":"hi"}`, CodeInvalid, "detail", "is a JSON string, want an object"},
		{"bad time", `{"source":"my.app","detail-type":"x","time":"yesterday"}`, CodeInvalid, "time", `"yesterday" is not an RFC 3339 time`},
		{"empty time", `{"source":"my.app","detail-type":"x","time":""}`, CodeInvalid, "time", `"" is not an RFC 3339 time`},
		{"empty S3 event time", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":""},{"eventSource":"aws:s3"}]}`,
			CodeNoEvents, "Records[0].eventTime", `first: Records[0].eventTime: "" is not an RFC 3339 time`},
		{"time out of range", `{"source":"my.app","detail-type":"x","time":"0000-01-01T00:00:00+01:00"}`, CodeInvalid, "time", "out of range"},
		{"bad resource", `{"source":"my.app","detail-type":"x","resources":["arn:a",3]}`, CodeInvalid, "resources[1]", "is a JSON number, want a string"},
		{"resources not array", `{"source":"my.app","detail-type":"x","resources":"arn:a"}`, CodeInvalid, "resources", "want an array of strings"},

		{"sns type", `{"Type":"Bogus","TopicArn":"arn:aws:sns:us-east-1:1:t","MessageId":"m"}`, CodeInvalid, "Type",
			`"Bogus" is not Notification, SubscriptionConfirmation or UnsubscribeConfirmation`},
		{"sns no message id", `{"Type":"Notification","TopicArn":"arn:aws:sns:us-east-1:1:t","Message":"hi"}`, CodeMissing, "MessageId", "is missing"},
		{"sns bad inner envelope", `{"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:1:t","Message":"{\"detail-type\":\"x\",\"detail\":{}}"}`,
			CodeMissing, "Message.source", "payload: Message.source: is missing"},
		{"sns bad timestamp", `{"Type":"Notification","MessageId":"m","TopicArn":"t","Message":"hi","Timestamp":"now"}`, CodeInvalid, "Timestamp", "not an RFC 3339 time"},

		{"every record failed", `{"Records":[{"eventSource":"aws:s3"},{"eventSource":"aws:sqs","messageId":1}]}`, CodeNoEvents, "Records[0].eventName",
			"none of the 2 records could be decoded; first: Records[0].eventName: is missing"},
		{"wrong type in record", `{"Records":[{"eventSource":"aws:sqs","messageId":1},{}]}`, CodeNoEvents, "Records[0].messageId",
			"first: Records[0].messageId: is a JSON number, want a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			batch, err := Parse([]byte(tt.body))
			var se *ShapeError
			if !errors.As(err, &se) {
				t.Fatalf("Parse = %v, %v; want a *ShapeError", batch, err)
			}
			if se.Code != tt.code || se.Field != tt.field || !strings.Contains(se.Error(), tt.msg) {
				t.Errorf("error = %+v (%q); want code %q, field %q, message containing %q", *se, se.Error(), tt.code, tt.field, tt.msg)
			}
			if tt.code == CodeNoEvents {
				if batch == nil || len(batch.Failed) != 2 || batch.Events != nil {
					t.Errorf("batch with the failures = %+v", batch)
				}
			} else if batch != nil {
				t.Errorf("batch returned with a body error: %+v", batch)
			}
		})
	}
}

func TestEnvelope(t *testing.T) {
	t.Parallel()
	body := `{
  "version": "0",
  "id": "89d1a02d-5ec7-412e-82f5-13505f849b41",
  "detail-type": "Deploy <finished> & ok",
  "source": "com.example.deployer",
  "account": "123456789012",
  "time": "2024-05-06T16:08:09+09:00",
  "region": "ap-northeast-1",
  "resources": [],
  "detail": { "service" : "billing-api", "version": "2.14.0", "note": "a < b" },
  "replay-name": "ignored"
}`
	batch, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if batch.Shape != ShapeEventBridge || len(batch.Events) != 1 {
		t.Fatalf("batch = %v", batch)
	}
	ev := batch.Events[0]
	if !ev.Time.Equal(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)) {
		t.Errorf("Time = %s", ev.Time)
	}
	wantRaw := `{"version":"0","id":"89d1a02d-5ec7-412e-82f5-13505f849b41","detail-type":"Deploy <finished> & ok",` +
		`"source":"com.example.deployer","account":"123456789012","time":"2024-05-06T07:08:09Z","region":"ap-northeast-1",` +
		`"resources":[],"detail":{"service":"billing-api","version":"2.14.0","note":"a < b"}}`
	if string(ev.Raw) != wantRaw {
		t.Errorf("Raw =\n%s\nwant\n%s", ev.Raw, wantRaw)
	}
	if string(ev.Detail) != `{"service":"billing-api","version":"2.14.0","note":"a < b"}` {
		t.Errorf("Detail = %s", ev.Detail)
	}

	// A minimal hand-written event: defaults, derived id, no time.
	batch, err = Parse([]byte(`{"source":"my.app","detail-type":"Ping"}`))
	if err != nil {
		t.Fatal(err)
	}
	ev = batch.Events[0]
	if !strings.HasPrefix(ev.ID, "event-") || !ev.Time.IsZero() || string(ev.Detail) != "{}" {
		t.Errorf("minimal event = %+v", ev)
	}
	wantRaw = `{"version":"0","id":"` + ev.ID + `","detail-type":"Ping","source":"my.app","account":"","region":"","resources":[],"detail":{}}`
	if string(ev.Raw) != wantRaw {
		t.Errorf("Raw = %s\nwant %s", ev.Raw, wantRaw)
	}
}

func TestS3Record(t *testing.T) {
	t.Parallel()
	batch, err := Parse(readTestdata(t, "sns-http-s3.json"))
	if err != nil {
		t.Fatal(err)
	}
	ev := batch.Events[0]
	if ev.Region != "us-east-2" || ev.Account != "" || !slices.Equal(ev.Resources, []string{"arn:aws:s3:::ops-logs"}) ||
		!ev.Time.Equal(time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)) {
		t.Errorf("event = %+v", ev)
	}
	wantRaw := `{"version":"0","id":"` + ev.ID + `","detail-type":"Object Created","source":"aws.s3","account":"",` +
		`"time":"2024-05-06T07:08:09Z","region":"us-east-2","resources":["arn:aws:s3:::ops-logs"],"detail":` + string(ev.Detail) + `}`
	if string(ev.Raw) != wantRaw {
		t.Errorf("Raw = %s", ev.Raw)
	}
	if !strings.Contains(string(ev.Detail), `"key":"alb/2024/05/06/a.log.gz"`) {
		t.Errorf("Detail is not the record: %s", ev.Detail)
	}

	tests := []struct{ eventName, detailType string }{
		{"ObjectCreated:CompleteMultipartUpload", "Object Created"},
		{"ObjectRemoved:DeleteMarkerCreated", "Object Deleted"},
		{"LifecycleExpiration:Delete", "Object Deleted"},
		{"ObjectRestore:Completed", "Object Restore Completed"},
		{"ObjectTagging:Put", "Object Tags Added"},
		{"LifecycleTransition", "Object Storage Class Changed"},
		{"Replication:OperationFailedReplication", "Replication:OperationFailedReplication"},
		{"IntelligentTiering", "Object Access Tier Changed"},
		{"ObjectRestore:Delete", "Object Restore Expired"},
		{"SomethingNew:Happened", "SomethingNew:Happened"},
	}
	for _, tt := range tests {
		if got := s3DetailType(tt.eventName); got != tt.detailType {
			t.Errorf("s3DetailType(%q) = %q, want %q", tt.eventName, got, tt.detailType)
		}
	}

	// A key S3 could not have URL-encoded.
	body := strings.Replace(string(readTestdata(t, "sns-http-s3.json")), `a.log.gz`, `a%zz.log.gz`, 1)
	batch, err = Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Failed) != 1 || batch.Failed[0].Field != "Message.Records[0].s3.object.key" || batch.Failed[0].Index != 0 {
		t.Errorf("Failed = %+v", batch.Failed)
	}
}

func TestSNSPlain(t *testing.T) {
	t.Parallel()
	batch, err := Parse(readTestdata(t, "sns-http-text.json"))
	if err != nil {
		t.Fatal(err)
	}
	ev := batch.Events[0]
	if ev.Account != "123456789012" || ev.Region != "us-east-2" ||
		!slices.Equal(ev.Resources, []string{"arn:aws:sns:us-east-2:123456789012:ops-events"}) ||
		!ev.Time.Equal(time.Date(2024, 5, 6, 7, 8, 10, 456e6, time.UTC)) {
		t.Errorf("event = %+v", ev)
	}
	// The notification itself is the detail, with HTML characters kept.
	if !strings.Contains(string(ev.Detail), `"Message":"Deploy of billing-api v2.14.0 finished <ok> & verified"`) ||
		strings.Contains(string(ev.Detail), "messageJson") {
		t.Errorf("Detail = %s", ev.Detail)
	}

	// SNS inside SNS is unwrapped once only: the inner notification stays
	// the message of one aws.sns event.
	inner := readTestdata(t, "sns-http-text.json")
	outer, _ := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": "outer", "TopicArn": "arn:aws:sns:eu-west-1:111122223333:relay",
		"Message": string(inner),
	})
	batch, err = Parse(outer)
	if err != nil {
		t.Fatal(err)
	}
	if batch.Shape != ShapeSNSHTTP || len(batch.Events) != 1 || batch.Events[0].ID != "outer" ||
		!strings.Contains(string(batch.Events[0].Detail), `"messageJson":{"Type":"Notification"`) {
		t.Errorf("SNS in SNS = %v %+v", batch, batch.Events)
	}
}

func TestSQSRecord(t *testing.T) {
	t.Parallel()
	rec := `{"messageId":"%s","receiptHandle":"%s","body":"plain text","attributes":{"SentTimestamp":"1714979289123"},` +
		`"md5OfBody":"abc","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-2:123456789012:q","awsRegion":"us-east-2"}`
	body := `{"Records":[` + sprintf(rec, "m-1", "h1") + `,` + sprintf(rec, "", "h2") + `,` + sprintf(rec, "", "h3") + `]}`
	batch, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Events) != 3 {
		t.Fatalf("events = %d", len(batch.Events))
	}
	a, b, c := batch.Events[0], batch.Events[1], batch.Events[2]
	if a.ID != "m-1" || a.Account != "123456789012" || !a.Time.Equal(time.UnixMilli(1714979289123)) ||
		strings.Contains(string(a.Detail), "bodyJson") {
		t.Errorf("event = %+v", a)
	}
	// Redelivered without an id (new receipt handle): the same derived id.
	if !strings.HasPrefix(b.ID, "sqs-") || b.ID != c.ID {
		t.Errorf("derived ids %q, %q; want equal sqs- ids", b.ID, c.ID)
	}

	_, err = Parse([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"x","attributes":{"SentTimestamp":"soon"}}]}`))
	var se *ShapeError
	if !errors.As(err, &se) || se.Field != "Records[0].attributes.SentTimestamp" {
		t.Errorf("bad SentTimestamp: %v", err)
	}
}

func sprintf(format string, args ...any) string {
	s := format
	for _, a := range args {
		s = strings.Replace(s, "%s", a.(string), 1)
	}
	return s
}

// TestDerivedIDs checks that ids are stable across deliveries and differ
// between different records.
func TestDerivedIDs(t *testing.T) {
	t.Parallel()
	body := readTestdata(t, "sns-http-s3.json")
	first, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	// The same S3 records re-sent in a Lambda-style batch, reformatted.
	var msg struct{ Message string }
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal([]byte(msg.Message), &v); err != nil {
		t.Fatal(err)
	}
	pretty, _ := json.MarshalIndent(v, "", "\t")
	second, err := Parse(pretty)
	if err != nil {
		t.Fatal(err)
	}
	if second.Shape != ShapeS3 || len(second.Events) != 2 {
		t.Fatalf("second = %v", second)
	}
	for i := range first.Events {
		if first.Events[i].ID != second.Events[i].ID {
			t.Errorf("event %d: id %q then %q", i, first.Events[i].ID, second.Events[i].ID)
		}
	}
	if first.Events[0].ID == first.Events[1].ID {
		t.Error("two objects got the same id")
	}

	e1, _ := Parse([]byte(`{"source":"my.app","detail-type":"Ping","detail":{"n":1}}`))
	e2, _ := Parse([]byte("{\"detail\": {\"n\": 1},\n \"detail-type\":\"Ping\", \"source\":\"my.app\"}"))
	e3, _ := Parse([]byte(`{"source":"my.app","detail-type":"Ping","detail":{"n":2}}`))
	if e1.Events[0].ID != e2.Events[0].ID || e1.Events[0].ID == e3.Events[0].ID {
		t.Errorf("envelope ids: %s %s %s", e1.Events[0].ID, e2.Events[0].ID, e3.Events[0].ID)
	}
}

func TestSNSRecordWrappingBatch(t *testing.T) {
	t.Parallel()
	batch, err := Parse(readTestdata(t, "sns-lambda-s3.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Events) != 1 || len(batch.Failed) != 1 {
		t.Fatalf("batch = %v", batch)
	}
	f := batch.Failed[0]
	want := RecordError{Index: 0, Field: "Records[0].Sns.Message.Records[1].s3.bucket.name",
		Reason: "Records[0].Sns.Message.Records[1].s3.bucket.name: is missing"}
	if f != want {
		t.Errorf("failure = %+v, want %+v", f, want)
	}
	if ev := batch.Events[0]; ev.Source != "aws.s3" || !strings.Contains(string(ev.Detail), `"key":"a.txt"`) {
		t.Errorf("event = %+v", ev)
	}
}

// TestSQSBodyUnwrapped: S3 → SQS and SNS → SQS (not raw) deliver the
// original notification in the body; its events come out, not a generic
// SQS message. A body of another shape stays an SQS message.
func TestSQSBodyUnwrapped(t *testing.T) {
	s3 := `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"ap-northeast-1","eventTime":"2026-11-21T09:00:00.000Z","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b","arn":"arn:aws:s3:::b"},"object":{"key":"k.txt","size":3,"sequencer":"01"}}}]}`
	eb := `{"version":"0","id":"ev-1","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-21T09:00:00Z","region":"ap-northeast-1","resources":[],"detail":{}}`
	snsEnv, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:ap-northeast-1:123456789012:t", "Message": eb, "Timestamp": "2026-11-21T09:00:00.000Z", "SignatureVersion": "1", "Signature": "x", "SigningCertURL": "https://sns.ap-northeast-1.amazonaws.com/c.pem"})
	rec := func(id, body string) string {
		b, _ := json.Marshal(body)
		return `{"messageId":"` + id + `","receiptHandle":"r","body":` + string(b) + `,"attributes":{"SentTimestamp":"1763715600000"},"messageAttributes":{},"md5OfBody":"x","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:ap-northeast-1:123456789012:q","awsRegion":"ap-northeast-1"}`
	}
	body := `{"Records":[` + rec("a", s3) + `,` + rec("b", string(snsEnv)) + `,` + rec("c", `{"hello":"world"}`) + `,` + rec("d", "plain text") + `]}`
	b, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range b.Events {
		got = append(got, e.Source+"/"+e.DetailType)
	}
	want := []string{"aws.s3/Object Created", "aws.events/Scheduled Event", "aws.sqs/SQS Message", "aws.sqs/SQS Message"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("events %v; want %v", got, want)
	}
	if b.Events[1].ID != "ev-1" || b.Events[2].ID != "c" {
		t.Errorf("ids %s %s", b.Events[1].ID, b.Events[2].ID)
	}
	// A broken notification in a body fails that record only.
	bad := `{"Records":[` + rec("e", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put"}]}`) + `,` + rec("f", "ok") + `]}`
	b, err = Parse([]byte(bad))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 1 || len(b.Failed) != 1 || b.Failed[0].Index != 0 || !strings.Contains(b.Failed[0].Field, "body") {
		t.Fatalf("broken body: %+v / %+v", b.Events, b.Failed)
	}
}
