package sqsmsg

import (
	"encoding/json"
	"strings"
	"testing"
)

const alarmJSON = `{"AlarmName":"api-5xx","NewStateValue":"ALARM","OldStateValue":"OK","NewStateReason":"Threshold Crossed","StateChangeTime":"2024-05-01T00:59:12.410+0000","AWSAccountId":"123456789012","Region":"Asia Pacific (Tokyo)","AlarmArn":"arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:api-5xx"}`

func snsEnvelope(typ, message string) string {
	b, _ := json.Marshal(map[string]string{
		"Type": typ, "MessageId": "0f6e5b2c-1111-5222-8333-444455556666", "TopicArn": "arn:aws:sns:ap-northeast-1:123456789012:ops",
		"Message": message, "Timestamp": "2024-05-01T00:59:12.455Z", "SignatureVersion": "1", "Signature": "eA==",
		"SigningCertURL": "https://sns.ap-northeast-1.amazonaws.com/x.pem",
	})
	return string(b)
}

const ebEvent = `{"version":"0","id":"e1","detail-type":"AWS Health Event","source":"aws.health","account":"123456789012","time":"2024-05-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{"service":"EC2"}}`

const s3Records = `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"ap-northeast-1","eventTime":"2024-05-01T00:00:00.000Z","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b","arn":"arn:aws:s3:::b"},"object":{"key":"reports/a.csv","size":10,"sequencer":"0A"}}}]}`

func TestRecognize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, kind string
		want             string // Kind, or "" for an error
		shape, topic     string
		errHas           string
	}{
		{name: "eventbridge", body: ebEvent, kind: "auto", want: KindEvents, shape: "eventbridge"},
		{name: "eventbridge alarm state change is events", body: `{"version":"0","id":"a1","detail-type":"CloudWatch Alarm State Change","source":"aws.cloudwatch","account":"123456789012","time":"2024-05-01T00:00:00Z","region":"ap-northeast-1","resources":[],"detail":{"alarmName":"x","state":{"value":"ALARM"}}}`, kind: "auto", want: KindEvents, shape: "eventbridge"},
		{name: "sns alarm", body: snsEnvelope("Notification", alarmJSON), kind: "auto", want: KindAlarm, shape: "sns/cloudwatch-alarm", topic: "arn:aws:sns:ap-northeast-1:123456789012:ops"},
		{name: "raw alarm", body: alarmJSON, kind: "auto", want: KindAlarm, shape: "cloudwatch-alarm"},
		{name: "raw alarm on an alarms queue", body: alarmJSON, kind: "alarms", want: KindAlarm},
		{name: "s3 records", body: s3Records, kind: "auto", want: KindEvents},
		{name: "sns of an eventbridge event", body: snsEnvelope("Notification", ebEvent), kind: "auto", want: KindEvents, topic: "arn:aws:sns:ap-northeast-1:123456789012:ops"},
		{name: "sns support text", body: snsEnvelope("Notification", "Case 12345 was updated"), kind: "auto", want: KindEvents},
		{name: "events queue keeps alarms as events", body: snsEnvelope("Notification", alarmJSON), kind: "events", want: KindEvents},
		{name: "alarms queue refuses events", body: ebEvent, kind: "alarms", errHas: "kind is alarms"},
		{name: "subscription confirmation", body: snsEnvelope("SubscriptionConfirmation", "confirm"), kind: "auto", errHas: "subscription confirmation"},
		{name: "not json", body: "hello", kind: "auto", errHas: "not JSON"},
		{name: "empty", body: "  ", kind: "auto", errHas: "empty"},
		{name: "bad utf8", body: "{\"a\":\"\xff\"}", kind: "auto", errHas: "UTF-8"},
		{name: "unknown shape", body: `{"hello":"world"}`, kind: "auto", errHas: "unrecognized payload"},
		{name: "eventbridge without detail-type", body: `{"source":"aws.ec2","detail":{}}`, kind: "auto", errHas: "detail-type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := Recognize([]byte(tc.body), tc.kind)
			if tc.want == "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("got %+v, %v; want an error with %q", r, err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tc.want || (tc.shape != "" && r.Shape != tc.shape) || (tc.topic != "" && r.Topic != tc.topic) {
				t.Fatalf("got kind %s shape %s topic %s", r.Kind, r.Shape, r.Topic)
			}
			switch r.Kind {
			case KindAlarm:
				var m map[string]any
				if json.Unmarshal(r.Alarm, &m) != nil || m["AlarmName"] != "api-5xx" {
					t.Errorf("alarm %s", r.Alarm)
				}
			case KindEvents:
				if r.Batch == nil || len(r.Batch.Events) == 0 {
					t.Errorf("no events")
				}
			}
		})
	}
}

// FuzzRecognize: any body is recognised or refused with an error; it
// never panics, and what it accepts is usable.
func FuzzRecognize(f *testing.F) {
	for _, s := range []string{ebEvent, alarmJSON, s3Records, snsEnvelope("Notification", alarmJSON), snsEnvelope("Notification", ebEvent),
		snsEnvelope("SubscriptionConfirmation", "x"), `[` + ebEvent + `]`, `{"Type":"Notification","TopicArn":"t","Message":"{\"AlarmName\":1}"}`, "", "null", `"x"`, `{}`} {
		f.Add([]byte(s), 0)
	}
	kinds := []string{QueueAuto, QueueEvents, QueueAlarms}
	f.Fuzz(func(t *testing.T, body []byte, k int) {
		kind := kinds[((k%3)+3)%3]
		r, err := Recognize(body, kind)
		if err != nil {
			if r != nil {
				t.Fatal("a result with an error")
			}
			return
		}
		switch r.Kind {
		case KindAlarm:
			if !json.Valid(r.Alarm) || kind == QueueEvents {
				t.Fatalf("bad alarm %q for kind %s", r.Alarm, kind)
			}
		case KindEvents:
			if r.Batch == nil || len(r.Batch.Events) == 0 || kind == QueueAlarms {
				t.Fatalf("bad events for kind %s", kind)
			}
		default:
			t.Fatalf("kind %q", r.Kind)
		}
	})
}
