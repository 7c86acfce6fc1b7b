// Package payload decodes the bodies AWS delivers events in — EventBridge
// envelopes, Lambda-style {"Records": [...]} batches from S3, DynamoDB
// Streams, SNS and SQS, SNS HTTP/S notifications wrapping any of those, and
// the S3 test event — into one normalized Event per record.
//
// Every Event carries Raw, an EventBridge-shaped envelope
// ({"version","id","detail-type","source","account","time","region",
// "resources","detail"}) that rules match against, so a rule written for
// EventBridge events also matches an S3 notification delivered to Lambda.
// Records that are not EventBridge events get a source and detail-type
// derived from what they are (see Parse).
//
// Parse is a pure function of the body: the same body always yields the
// same events with the same IDs, so a caller can absorb duplicate
// deliveries by ID. Records without an id of their own (S3 notifications,
// for one) get a SHA-256 of the fields that identify them.
//
// Errors are for people and programs: a *ShapeError names the JSON path of
// the offending field and a stable Code, and a batch keeps its good
// records while reporting each bad one as a RecordError.
package payload

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event is one normalized event.
type Event struct {
	// ID is the EventBridge id, or the record's own id (DynamoDB eventID,
	// SNS MessageId, SQS messageId), or for records without one (S3) a
	// stable hash of what identifies the record.
	ID string
	// Source is the envelope's source, or aws.s3, aws.dynamodb, aws.sns or
	// aws.sqs for records.
	Source string
	// DetailType is the envelope's detail-type, or derived for records:
	// S3 "Object Created"/"Object Deleted" (and the other EventBridge S3
	// names), DynamoDB "INSERT"/"MODIFY"/"REMOVE", "SNS Notification",
	// "SQS Message".
	DetailType string
	Account    string
	Region     string
	// Time is when the event happened; zero when the payload does not say
	// (then Raw has no "time" and the caller should use the receive time).
	Time time.Time
	// Resources are ARNs: the bucket, table stream, topic or queue for
	// records.
	Resources []string
	// Detail is the envelope's detail. For records it is the record itself,
	// plus for DynamoDB "keys", "newImage" and "oldImage" (the attribute
	// values as plain JSON), for SNS "messageJson" and for SQS "bodyJson"
	// (the message or body when it is JSON).
	Detail json.RawMessage
	// Raw is the EventBridge-shaped envelope rules match against.
	Raw json.RawMessage
}

// Batch is what one body held.
type Batch struct {
	Events []Event
	// Failed lists records that could not be decoded; the others are in
	// Events.
	Failed []RecordError
	// Shape names what the body was: one of the Shape* constants, or for an
	// SNS HTTP/S notification that wraps another shape, "sns-http/" and the
	// wrapped shape (e.g. "sns-http/s3").
	Shape string
}

// Shapes of body Parse accepts.
const (
	ShapeEventBridge      = "eventbridge"       // one EventBridge envelope
	ShapeEventBridgeArray = "eventbridge-array" // a JSON array of envelopes
	ShapeS3               = "s3"                // {"Records": [...]} from S3
	ShapeDynamoDB         = "dynamodb"          // ... from DynamoDB Streams
	ShapeSNS              = "sns"               // ... from SNS (Lambda form)
	ShapeSQS              = "sqs"               // ... from SQS
	ShapeRecords          = "records"           // Records from several sources
	ShapeS3Test           = "s3-test"           // the S3 s3:TestEvent
	// ShapeSNSHTTP is an SNS HTTP/S Notification whose Message is plain
	// text (or JSON of no known shape).
	ShapeSNSHTTP = "sns-http"
	// SNS HTTP/S subscription handshakes: no events. The caller confirms
	// (snsverify.ConfirmSubscription) or acknowledges them.
	ShapeSNSSubscriptionConfirmation = "sns-subscription-confirmation"
	ShapeSNSUnsubscribeConfirmation  = "sns-unsubscribe-confirmation"
)

// Derived detail types and sources of records.
const (
	SourceS3       = "aws.s3"
	SourceDynamoDB = "aws.dynamodb"
	SourceSNS      = "aws.sns"
	SourceSQS      = "aws.sqs"

	DetailTypeSNS    = "SNS Notification"
	DetailTypeSQS    = "SQS Message"
	DetailTypeS3Test = "S3 Test Event"
)

// RecordError reports one record of a batch that could not be decoded.
type RecordError struct {
	// Index is the record's position in the body's list (Records or the
	// top-level array; for a batch inside an SNS message, the position of
	// the SNS record, or in the wrapped list for an SNS HTTP/S body).
	Index int
	// ID is the record's id when it could be read.
	ID string
	// Field is the JSON path of the offending field, e.g.
	// Records[3].dynamodb.NewImage.price.
	Field string
	// Reason is the whole message, starting with Field, e.g.
	// `Records[3].dynamodb.NewImage.price: N value "abc" is not a number`.
	Reason string
}

func (e RecordError) Error() string { return e.Reason }

// Error codes of ShapeError, stable for programs (the HTTP API returns
// them as "code").
const (
	CodeEmpty        = "empty"         // empty body, or an empty list
	CodeInvalidUTF8  = "invalid_utf8"  // the body is not UTF-8
	CodeInvalidJSON  = "invalid_json"  // the body is not one JSON value
	CodeUnknownShape = "unknown_shape" // valid JSON of no accepted shape
	CodeMissing      = "missing"       // a required field is absent
	CodeInvalid      = "invalid"       // a field has the wrong type or value
	CodeNoEvents     = "no_events"     // every record of the batch failed
)

// ShapeError reports a body that cannot be used as a whole.
type ShapeError struct {
	// Code is one of the Code* constants.
	Code string
	// Field is the JSON path of the offending field; empty when the
	// problem is the body as a whole.
	Field string
	// Msg says what is wrong, without the field.
	Msg string
}

func (e *ShapeError) Error() string {
	if e.Field == "" {
		return "payload: " + e.Msg
	}
	return "payload: " + e.Field + ": " + e.Msg
}

// fieldErr builds a ShapeError for a field.
func fieldErr(code, field, format string, args ...any) *ShapeError {
	return &ShapeError{Code: code, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// recordError turns err (a *ShapeError for a field of record index) into a
// RecordError.
func recordError(index int, id string, err error) RecordError {
	if se, ok := err.(*ShapeError); ok {
		reason := se.Msg
		if se.Field != "" {
			reason = se.Field + ": " + se.Msg
		}
		return RecordError{Index: index, ID: id, Field: se.Field, Reason: reason}
	}
	return RecordError{Index: index, ID: id, Reason: err.Error()}
}

// acceptedShapes is listed in the error for a body of unknown shape.
const acceptedShapes = `an EventBridge event (an object with "source", "detail-type" and "detail") or a JSON array of them; ` +
	`a Lambda-style {"Records": [...]} batch from S3, DynamoDB Streams, SNS or SQS; ` +
	`an SNS HTTP/S message (an object with "Type", "MessageId" and "TopicArn"); ` +
	`or the S3 test event`
