// Package sqsmsg recognises the body of an SQS message that carries AWS
// events or CloudWatch alarms. It depends on nothing heavier than the
// events payload parser, so that it fuzzes quickly.
package sqsmsg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/events/payload"
)

// Queue kinds (aws.queues[].kind).
const (
	QueueAuto   = "auto"
	QueueEvents = "events"
	QueueAlarms = "alarms"
)

// What a message was recognised as.
const (
	// KindEvents: AWS events for the event rules (an EventBridge event, S3
	// notifications, an SNS notification that is not an alarm).
	KindEvents = "events"
	// KindAlarm: a CloudWatch alarm notification for alert intake.
	KindAlarm = "alarm"
)

// Recognized is a message body opsdesk can commit.
type Recognized struct {
	// Kind is KindEvents or KindAlarm.
	Kind string
	// Shape names what the body was, for logs ("eventbridge",
	// "sns/cloudwatch-alarm", "cloudwatch-alarm", "records", …).
	Shape string
	// Batch holds the events of KindEvents.
	Batch *payload.Batch
	// Alarm is the CloudWatch alarm message (JSON) of KindAlarm.
	Alarm []byte
	// Topic is the SNS topic the message came through ("" for raw
	// delivery and EventBridge).
	Topic string
}

// RecognizeError says why a body cannot be used. Such a message is a dead
// letter at once: receiving it again cannot help.
type RecognizeError struct {
	// Field names the part of the body that is wrong ("" for the whole).
	Field string
	Msg   string
}

func (e *RecognizeError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Recognize decides what an SQS message body is. kind is the queue's
// aws.queues kind:
//
//   - auto: an SNS notification (raw delivery off) whose Message is a
//     CloudWatch alarm, or a raw CloudWatch alarm (raw delivery on), is an
//     alarm; every other shape that POST /api/v1/events accepts (an
//     EventBridge event — CloudWatch alarm state changes, AWS Health,
//     Support, Connect contact events included —, S3 notifications, other
//     SNS notifications) is events;
//   - events: every accepted shape is events, alarms included (the
//     built-in rules then decide);
//   - alarms: only CloudWatch alarms are accepted.
//
// An SNS subscription confirmation is an error: SNS asks for it when the
// topic is in another account, and someone must confirm it once.
func Recognize(body []byte, kind string) (*Recognized, error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return nil, &RecognizeError{Msg: "the message body is empty"}
	}
	if !utf8.Valid(b) {
		return nil, &RecognizeError{Msg: "the message body is not valid UTF-8"}
	}
	if !json.Valid(b) {
		return nil, &RecognizeError{Msg: "the message body is not JSON (raw SNS delivery of a text message, or a message someone sent by hand)"}
	}
	var obj map[string]json.RawMessage
	isObj := b[0] == '{' && json.Unmarshal(b, &obj) == nil
	if kind != QueueEvents && isObj {
		if isAlarm(obj) {
			return &Recognized{Kind: KindAlarm, Shape: "cloudwatch-alarm", Alarm: b}, nil
		}
		if str(obj, "Type") == "Notification" && str(obj, "TopicArn") != "" {
			msg := []byte(str(obj, "Message"))
			var inner map[string]json.RawMessage
			if json.Unmarshal(bytes.TrimSpace(msg), &inner) == nil && isAlarm(inner) {
				return &Recognized{Kind: KindAlarm, Shape: "sns/cloudwatch-alarm", Alarm: bytes.TrimSpace(msg), Topic: str(obj, "TopicArn")}, nil
			}
		}
	}
	if isObj && str(obj, "Type") == "SubscriptionConfirmation" {
		return nil, &RecognizeError{Field: "Type", Msg: fmt.Sprintf("an SNS subscription confirmation for topic %s: confirm the subscription once (SNS console, or open its SubscribeURL), then this queue receives the topic's notifications", str(obj, "TopicArn"))}
	}
	if kind == QueueAlarms {
		return nil, &RecognizeError{Msg: "not a CloudWatch alarm (AlarmName and NewStateValue), neither raw nor in an SNS notification, and this queue's kind is alarms"}
	}
	batch, err := payload.Parse(b)
	if err != nil && (batch == nil || len(batch.Events) == 0) {
		var se *payload.ShapeError
		if errors.As(err, &se) {
			return nil, &RecognizeError{Field: se.Field, Msg: se.Msg}
		}
		return nil, &RecognizeError{Msg: err.Error()}
	}
	if len(batch.Events) == 0 {
		return nil, &RecognizeError{Msg: fmt.Sprintf("a %s message carries no events", batch.Shape)}
	}
	r := &Recognized{Kind: KindEvents, Shape: batch.Shape, Batch: batch}
	if isObj {
		r.Topic = str(obj, "TopicArn")
	}
	return r, nil
}

// isAlarm: a CloudWatch alarm notification names the alarm and its new
// state.
func isAlarm(obj map[string]json.RawMessage) bool {
	return str(obj, "AlarmName") != "" && str(obj, "NewStateValue") != ""
}

// str is obj[key] when it is a JSON string, "" otherwise.
func str(obj map[string]json.RawMessage, key string) string {
	var s string
	if json.Unmarshal(obj[key], &s) != nil {
		return ""
	}
	return s
}
