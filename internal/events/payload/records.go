package payload

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Event sources of Lambda-style records.
const (
	recordS3       = "aws:s3"
	recordDynamoDB = "aws:dynamodb"
	recordSNS      = "aws:sns"
	recordSQS      = "aws:sqs"
)

var recordShapes = map[string]string{
	recordS3: ShapeS3, recordDynamoDB: ShapeDynamoDB, recordSNS: ShapeSNS, recordSQS: ShapeSQS,
}

// parseRecords decodes a {"Records": [...]} list; path is the list's path.
func parseRecords(list json.RawMessage, path string, depth int) (*Batch, error) {
	var items []json.RawMessage
	if list[0] != '[' || json.Unmarshal(list, &items) != nil {
		return nil, fieldErr(CodeInvalid, path, "is a JSON %s, want an array of records", jsonKind(list))
	}
	if len(items) == 0 {
		return nil, fieldErr(CodeEmpty, path, "is empty")
	}
	batch := &Batch{}
	sources := map[string]bool{}
	for i, item := range items {
		p := index(path, i)
		evs, failed, source, err := decodeRecord(item, p, depth)
		if source != "" {
			sources[source] = true
		}
		if err != nil {
			batch.Failed = append(batch.Failed, recordError(i, recordID(item), err))
			continue
		}
		batch.Events = append(batch.Events, evs...)
		for _, f := range failed {
			f.Index = i
			batch.Failed = append(batch.Failed, f)
		}
	}
	batch.Shape = ShapeRecords
	if len(sources) == 1 {
		for s := range sources {
			if shape, ok := recordShapes[s]; ok {
				batch.Shape = shape
			}
		}
	}
	return batch, nil
}

// decodeRecord decodes one record into its events: one, or for an SNS
// record wrapping a batch, that batch's events (and failures). source is
// the record's recognized eventSource.
func decodeRecord(raw json.RawMessage, path string, depth int) (evs []Event, failed []RecordError, source string, err error) {
	var obj map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &obj) != nil {
		return nil, nil, "", fieldErr(CodeInvalid, path, "is a JSON %s, want a record object", jsonKind(raw))
	}
	key := "eventSource"
	if !has(obj, key) && has(obj, "EventSource") {
		key = "EventSource" // SNS records capitalize their keys
	}
	source, err = reqString(obj, key, path)
	if err != nil {
		return nil, nil, "", err
	}
	var ev Event
	switch source {
	case recordS3:
		ev, err = decodeS3(raw, obj, path)
	case recordDynamoDB:
		ev, err = decodeDynamoDB(raw, obj, path)
	case recordSQS:
		ev, err = decodeSQS(raw, obj, path)
		if err == nil && depth == 0 {
			// S3 → SQS, EventBridge → SQS and SNS → SQS deliver the
			// original notification as the body: its events, not a
			// generic "SQS Message", are what rules are written for.
			if inner, ok, ierr := unwrapSQSBody(obj, join(path, "body")); ok {
				if ierr != nil {
					return nil, nil, source, ierr
				}
				return inner.Events, inner.Failed, source, nil
			}
		}
	case recordSNS:
		return decodeSNSRecord(raw, obj, path, depth)
	default:
		return nil, nil, source, fieldErr(CodeInvalid, join(path, key), "%s is not a supported event source (want %s, %s, %s or %s)",
			quote(source), recordS3, recordDynamoDB, recordSNS, recordSQS)
	}
	if err != nil {
		return nil, nil, source, err
	}
	return []Event{ev}, nil, source, nil
}

// recordID reads a record's own id, for reporting a failed record.
func recordID(raw json.RawMessage) string {
	var r struct {
		EventID   string `json:"eventID"`
		MessageID string `json:"messageId"`
		SNS       struct {
			MessageID string `json:"MessageId"`
		} `json:"Sns"`
	}
	if json.Unmarshal(raw, &r) != nil {
		return ""
	}
	switch {
	case r.EventID != "":
		return r.EventID
	case r.MessageID != "":
		return r.MessageID
	}
	return r.SNS.MessageID
}

// decodeLambda decodes a record with the aws-lambda-go types, turning their
// errors into field errors under path. Fields with their own parsing
// (times, attribute values) are checked before this is called; a panic in
// a decoder is still reported as an error, not passed on.
func decodeLambda(raw json.RawMessage, v any, path string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fieldErr(CodeInvalid, path, "record cannot be decoded: %v", r)
		}
	}()
	err = json.Unmarshal(raw, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	var ee url.EscapeError
	switch {
	case errors.As(err, &te):
		field := path
		if te.Field != "" {
			field = path + "." + te.Field
		}
		return fieldErr(CodeInvalid, field, "is a JSON %s, want %s", te.Value, goTypeName(te.Type.String()))
	case errors.As(err, &ee):
		return fieldErr(CodeInvalid, joinPath(path, "s3.object.key"), "invalid URL encoding %s", quote(string(ee)))
	}
	return fieldErr(CodeInvalid, path, "%v", err)
}

// goTypeName describes a Go type in JSON terms.
func goTypeName(t string) string {
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "a boolean"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.HasPrefix(t, "map["):
		return "an object"
	}
	return "an object"
}

// subObject returns obj[key] as an object, or nil when absent or null.
func subObject(obj map[string]json.RawMessage, key, path string) (map[string]json.RawMessage, error) {
	v, ok := obj[key]
	if !ok || string(v) == "null" {
		return nil, nil
	}
	var sub map[string]json.RawMessage
	if v[0] != '{' || json.Unmarshal(v, &sub) != nil {
		return nil, fieldErr(CodeInvalid, join(path, key), "is a JSON %s, want an object", jsonKind(v))
	}
	return sub, nil
}

// s3DetailTypes maps S3 notification event names (or their prefix before
// ':') to the detail-type EventBridge gives the same S3 event.
var s3DetailTypes = map[string]string{
	"ObjectCreated":           "Object Created",
	"ObjectRemoved":           "Object Deleted",
	"LifecycleExpiration":     "Object Deleted",
	"ObjectRestore:Post":      "Object Restore Initiated",
	"ObjectRestore:Completed": "Object Restore Completed",
	"ObjectRestore:Delete":    "Object Restore Expired",
	"ObjectTagging:Put":       "Object Tags Added",
	"ObjectTagging:Delete":    "Object Tags Deleted",
	"ObjectAcl:Put":           "Object ACL Updated",
	"LifecycleTransition":     "Object Storage Class Changed",
	"IntelligentTiering":      "Object Access Tier Changed",
}

// s3DetailType derives the detail-type of an S3 notification: the
// EventBridge name of the same event, or for events EventBridge does not
// carry (replication, reduced-redundancy loss) or that this table does not
// know, the event name itself.
func s3DetailType(eventName string) string {
	if dt, ok := s3DetailTypes[eventName]; ok {
		return dt
	}
	prefix, _, _ := strings.Cut(eventName, ":")
	if dt, ok := s3DetailTypes[prefix]; ok {
		return dt
	}
	return eventName
}

func decodeS3(raw json.RawMessage, obj map[string]json.RawMessage, path string) (Event, error) {
	t, err := optTime(obj, "eventTime", path)
	if err != nil {
		return Event{}, err
	}
	var r events.S3EventRecord
	if err := decodeLambda(raw, &r, path); err != nil {
		return Event{}, err
	}
	if r.EventName == "" {
		return Event{}, fieldErr(CodeMissing, join(path, "eventName"), "is missing")
	}
	if r.S3.Bucket.Name == "" {
		return Event{}, fieldErr(CodeMissing, joinPath(path, "s3.bucket.name"), "is missing")
	}
	if r.S3.Object.Key == "" {
		return Event{}, fieldErr(CodeMissing, joinPath(path, "s3.object.key"), "is missing")
	}
	bucketARN := r.S3.Bucket.Arn
	if bucketARN == "" {
		bucketARN = "arn:" + partition(r.AWSRegion) + ":s3:::" + r.S3.Bucket.Name
	}
	ev := Event{
		// S3 records carry no id: one request can notify about many
		// objects, so the id hashes what identifies this notification.
		ID: derivedID("s3", r.S3.Bucket.Name, r.S3.Object.Key, r.S3.Object.VersionID, r.S3.Object.Sequencer,
			r.EventName, r.ResponseElements["x-amz-request-id"], stringField(obj, "eventTime")),
		Source:     SourceS3,
		DetailType: s3DetailType(r.EventName),
		Region:     r.AWSRegion,
		Time:       t,
		Resources:  []string{bucketARN},
		Detail:     compact(raw),
	}
	ev.Raw = envelopeJSON(&ev, "0")
	return ev, nil
}

// decodeS3Test decodes the s3:TestEvent S3 sends when notifications are
// configured.
func decodeS3Test(obj map[string]json.RawMessage, raw []byte, path string) (Event, error) {
	t, err := optTime(obj, "Time", path)
	if err != nil {
		return Event{}, err
	}
	var r events.S3TestEvent
	if err := decodeLambda(raw, &r, path); err != nil {
		return Event{}, err
	}
	if r.Bucket == "" {
		return Event{}, fieldErr(CodeMissing, join(path, "Bucket"), "is missing")
	}
	id := r.RequestID
	if id == "" {
		id = derivedID("s3test", r.Bucket, stringField(obj, "Time"), r.HostID)
	}
	ev := Event{
		ID:         id,
		Source:     SourceS3,
		DetailType: DetailTypeS3Test,
		Time:       t,
		Resources:  []string{"arn:aws:s3:::" + r.Bucket},
		Detail:     compact(raw),
	}
	ev.Raw = envelopeJSON(&ev, "0")
	return ev, nil
}

// ddbImages are the attribute-value maps of a stream record, with the
// Detail key their plain-JSON form goes under.
var ddbImages = []struct{ name, plain string }{
	{"Keys", "keys"},
	{"NewImage", "newImage"},
	{"OldImage", "oldImage"},
}

func decodeDynamoDB(raw json.RawMessage, obj map[string]json.RawMessage, path string) (Event, error) {
	if !has(obj, "dynamodb") {
		return Event{}, fieldErr(CodeMissing, join(path, "dynamodb"), "is missing")
	}
	// Convert (and so check) every attribute-value map before the lambda
	// decoder sees it: its errors name no field, and it trusts its input.
	// encoding/json matches keys without regard to letter case, so every
	// key that would land in the stream record, or in an image, is checked;
	// only the exactly spelled ones are used.
	plain := map[string]json.RawMessage{}
	var t time.Time
	for _, dkey := range sortedKeys(obj) {
		if !strings.EqualFold(dkey, "dynamodb") {
			continue
		}
		ddbPath := join(path, dkey)
		ddb, err := subObject(obj, dkey, path)
		if err != nil {
			return Event{}, err
		}
		exact := dkey == "dynamodb"
		for _, key := range sortedKeys(ddb) {
			v := ddb[key]
			if string(v) == "null" {
				continue
			}
			for _, img := range ddbImages {
				if !strings.EqualFold(key, img.name) {
					continue
				}
				p, err := plainImage(v, join(ddbPath, key))
				if err != nil {
					return Event{}, err
				}
				if exact && key == img.name {
					plain[img.plain] = p
				}
			}
			if strings.EqualFold(key, "ApproximateCreationDateTime") {
				var secs float64
				if v[0] == '"' || json.Unmarshal(v, &secs) != nil {
					return Event{}, fieldErr(CodeInvalid, join(ddbPath, key), "is a JSON %s, want Unix seconds", jsonKind(v))
				}
				if secs < -62135596800 || secs > 253402300799 { // years 1 to 9999
					return Event{}, fieldErr(CodeInvalid, join(ddbPath, key), "time is out of range")
				}
				if exact && key == "ApproximateCreationDateTime" {
					whole := int64(secs)
					t = time.Unix(whole, int64((secs-float64(whole))*1e9)).UTC()
				}
			}
		}
	}
	var r events.DynamoDBEventRecord
	if err := decodeLambda(raw, &r, path); err != nil {
		return Event{}, err
	}
	switch r.EventName {
	case "INSERT", "MODIFY", "REMOVE":
	case "":
		return Event{}, fieldErr(CodeMissing, join(path, "eventName"), "is missing")
	default:
		return Event{}, fieldErr(CodeInvalid, join(path, "eventName"), "%s is not INSERT, MODIFY or REMOVE", quote(r.EventName))
	}
	arnRegion, account := arnParts(r.EventSourceArn)
	region := r.AWSRegion
	if region == "" {
		region = arnRegion
	}
	id := r.EventID
	if id == "" {
		id = derivedID("dynamodb", r.EventSourceArn, r.Change.SequenceNumber, r.EventName, string(plain["keys"]))
	}
	ev := Event{
		ID:         id,
		Source:     SourceDynamoDB,
		DetailType: r.EventName,
		Account:    account,
		Region:     region,
		Time:       t,
		Resources:  nonEmpty(r.EventSourceArn),
		Detail:     withFields(obj, plain),
	}
	ev.Raw = envelopeJSON(&ev, "0")
	return ev, nil
}

func decodeSQS(raw json.RawMessage, obj map[string]json.RawMessage, path string) (Event, error) {
	var r events.SQSMessage
	if err := decodeLambda(raw, &r, path); err != nil {
		return Event{}, err
	}
	var t time.Time
	if s, ok := r.Attributes["SentTimestamp"]; ok {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil || ms < 0 || ms > 253402300799999 {
			return Event{}, fieldErr(CodeInvalid, joinPath(path, "attributes.SentTimestamp"), "%s is not a Unix time in milliseconds", quote(s))
		}
		t = time.UnixMilli(ms).UTC()
	}
	arnRegion, account := arnParts(r.EventSourceARN)
	region := r.AWSRegion
	if region == "" {
		region = arnRegion
	}
	id := r.MessageId
	if id == "" {
		id = derivedID("sqs", r.EventSourceARN, r.Attributes["SentTimestamp"], r.Md5OfBody, r.Body)
	}
	extra := map[string]json.RawMessage{}
	if j, ok := jsonValue(r.Body); ok {
		extra["bodyJson"] = j
	}
	ev := Event{
		ID:         id,
		Source:     SourceSQS,
		DetailType: DetailTypeSQS,
		Account:    account,
		Region:     region,
		Time:       t,
		Resources:  nonEmpty(r.EventSourceARN),
		Detail:     withFields(obj, extra),
	}
	ev.Raw = envelopeJSON(&ev, "0")
	return ev, nil
}

// decodeSNSRecord decodes a Lambda-style SNS record. A message that is
// itself an accepted shape yields that shape's events (at depth 0).
func decodeSNSRecord(raw json.RawMessage, obj map[string]json.RawMessage, path string, depth int) ([]Event, []RecordError, string, error) {
	snsPath := join(path, "Sns")
	sns, err := subObject(obj, "Sns", path)
	if err != nil {
		return nil, nil, recordSNS, err
	}
	if sns == nil {
		return nil, nil, recordSNS, fieldErr(CodeMissing, snsPath, "is missing")
	}
	t, err := optTime(sns, "Timestamp", snsPath)
	if err != nil {
		return nil, nil, recordSNS, err
	}
	var r events.SNSEventRecord
	if err := decodeLambda(raw, &r, path); err != nil {
		return nil, nil, recordSNS, err
	}
	if depth == 0 {
		inner, ok, err := parseNested(r.SNS.Message, join(snsPath, "Message"))
		if ok {
			if err != nil {
				return nil, nil, recordSNS, err
			}
			return inner.Events, inner.Failed, recordSNS, nil
		}
	}
	id := r.SNS.MessageID
	if id == "" {
		id = derivedID("sns", r.SNS.TopicArn, stringField(sns, "Timestamp"), r.SNS.Subject, r.SNS.Message)
	}
	ev := snsEvent(id, r.SNS.TopicArn, t, r.SNS.Message, obj)
	return []Event{ev}, nil, recordSNS, nil
}

// snsEvent makes the aws.sns event of a message that is not itself an
// accepted shape. obj is the record or notification, which becomes Detail.
func snsEvent(id, topicARN string, t time.Time, message string, obj map[string]json.RawMessage) Event {
	region, account := arnParts(topicARN)
	extra := map[string]json.RawMessage{}
	if j, ok := jsonValue(message); ok {
		extra["messageJson"] = j
	}
	ev := Event{
		ID:         id,
		Source:     SourceSNS,
		DetailType: DetailTypeSNS,
		Account:    account,
		Region:     region,
		Time:       t,
		Resources:  nonEmpty(topicARN),
		Detail:     withFields(obj, extra),
	}
	ev.Raw = envelopeJSON(&ev, "0")
	return ev
}

// parseSNSHTTP decodes the body of an SNS HTTP/S POST. Fields are read by
// their exact names, as snsverify reads them, so what was verified is what
// is decoded.
func parseSNSHTTP(obj map[string]json.RawMessage, raw []byte) (*Batch, error) {
	typ, err := reqString(obj, "Type", "")
	if err != nil {
		return nil, err
	}
	switch typ {
	case "Notification":
	case "SubscriptionConfirmation":
		return &Batch{Shape: ShapeSNSSubscriptionConfirmation}, nil
	case "UnsubscribeConfirmation":
		return &Batch{Shape: ShapeSNSUnsubscribeConfirmation}, nil
	default:
		return nil, fieldErr(CodeInvalid, "Type", "%s is not Notification, SubscriptionConfirmation or UnsubscribeConfirmation", quote(typ))
	}
	id, err := reqString(obj, "MessageId", "")
	if err != nil {
		return nil, err
	}
	topicARN, err := reqString(obj, "TopicArn", "")
	if err != nil {
		return nil, err
	}
	message, err := optString(obj, "Message", "")
	if err != nil {
		return nil, err
	}
	if _, err := optString(obj, "Subject", ""); err != nil {
		return nil, err
	}
	t, err := optTime(obj, "Timestamp", "")
	if err != nil {
		return nil, err
	}
	inner, ok, err := parseNested(message, "Message")
	if ok {
		if err != nil {
			return nil, err
		}
		inner.Shape = ShapeSNSHTTP + "/" + inner.Shape
		return inner, nil
	}
	return &Batch{Events: []Event{snsEvent(id, topicARN, t, message, obj)}, Shape: ShapeSNSHTTP}, nil
}

// jsonValue returns s compacted when it is a JSON object or array.
func jsonValue(s string) (json.RawMessage, bool) {
	b := trimJSONSpace([]byte(s))
	if len(b) == 0 || (b[0] != '{' && b[0] != '[') || !json.Valid(b) {
		return nil, false
	}
	return compact(b), true
}

// sortedKeys returns obj's keys in order, so the first error reported
// for a record is always the same one.
func sortedKeys(obj map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func nonEmpty(s string) []string {
	if s == "" {
		return []string{}
	}
	return []string{s}
}

// String summarizes a batch for logs.
func (b *Batch) String() string {
	return fmt.Sprintf("%s: %d events, %d failed", b.Shape, len(b.Events), len(b.Failed))
}

// unwrapSQSBody decodes an SQS message body that is itself an accepted
// shape: an EventBridge envelope or list, a Records batch, an S3 test
// event, or an SNS notification (SNS → SQS without raw delivery), whose
// message is unwrapped once more. ok is false for any other body.
func unwrapSQSBody(obj map[string]json.RawMessage, path string) (*Batch, bool, error) {
	body := stringField(obj, "body")
	b := trimJSONSpace([]byte(body))
	if len(b) > 0 && b[0] == '{' && json.Valid(b) {
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) == nil && stringField(m, "Type") == "Notification" && has(m, "TopicArn") {
			batch, err := parseValue(b, path, 0)
			return batch, true, err
		}
	}
	return parseNested(body, path)
}
