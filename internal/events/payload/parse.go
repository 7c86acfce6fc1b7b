package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Parse decodes a delivery body into events. It accepts:
//
//   - an EventBridge (CloudWatch Events) envelope, or a JSON array of them;
//     "source" and "detail-type" are required, "id" and "time" are
//     optional (a missing id is derived, a missing time left zero);
//   - a Lambda-style {"Records": [...]} batch; each record becomes one
//     event according to its eventSource: "aws:s3", "aws:dynamodb",
//     "aws:sqs", or EventSource "aws:sns";
//   - an SNS HTTP/S message: a Notification whose Message is itself one of
//     these shapes yields that shape's events, any other Notification one
//     aws.sns event; a SubscriptionConfirmation or UnsubscribeConfirmation
//     yields a batch with no events and its own Shape;
//   - the S3 test event S3 sends when a notification is configured, as one
//     event of detail-type "S3 Test Event", so an operator can see the
//     configuration works (no rule written for objects matches it).
//
// An SNS message inside an SNS record or notification is unwrapped once:
// SNS inside SNS stays one aws.sns event.
//
// A body that cannot be used at all returns a *ShapeError. Records that
// fail are listed in Batch.Failed and the rest returned; if every record
// fails, Parse returns the batch and a *ShapeError with CodeNoEvents.
func Parse(body []byte) (*Batch, error) {
	b := trimJSONSpace(body)
	if len(b) == 0 {
		return nil, &ShapeError{Code: CodeEmpty, Msg: "body is empty"}
	}
	if !utf8.Valid(body) {
		return nil, &ShapeError{Code: CodeInvalidUTF8, Msg: fmt.Sprintf("body is not valid UTF-8 (first bad byte at offset %d)", invalidUTF8At(body))}
	}
	if bytes.HasPrefix(b, []byte("\uFEFF")) {
		return nil, &ShapeError{Code: CodeInvalidJSON, Msg: "body starts with a byte order mark, which JSON does not allow"}
	}
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &ShapeError{Code: CodeInvalidJSON, Msg: fmt.Sprintf("invalid JSON after %d bytes: %s", se.Offset+int64(len(body)-len(bytes.TrimLeft(body, " \t\r\n"))), se.Error())}
		}
		return nil, &ShapeError{Code: CodeInvalidJSON, Msg: "invalid JSON"}
	}
	batch, err := parseValue(b, "", 0)
	if err != nil {
		return nil, err
	}
	if len(batch.Events) == 0 && len(batch.Failed) > 0 {
		first := batch.Failed[0]
		return batch, &ShapeError{Code: CodeNoEvents, Field: first.Field,
			Msg: fmt.Sprintf("none of the %d records could be decoded; first: %s", len(batch.Failed), first.Reason)}
	}
	return batch, nil
}

// parseValue decodes a valid JSON value of one of the accepted shapes.
// path prefixes field names in errors ("" at the top, "Message" or
// "Records[2].Sns.Message" inside SNS); depth is 1 inside an SNS message,
// where SNS shapes are not unwrapped again.
func parseValue(b []byte, path string, depth int) (*Batch, error) {
	switch b[0] {
	case '[':
		return parseEnvelopeArray(b, path)
	case '{':
	default:
		return nil, &ShapeError{Code: CodeUnknownShape, Field: path,
			Msg: fmt.Sprintf("body is a JSON %s; expected %s", jsonKind(b), acceptedShapes)}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, &ShapeError{Code: CodeInvalidJSON, Field: path, Msg: err.Error()}
	}
	switch {
	case has(obj, "Records"):
		return parseRecords(obj["Records"], join(path, "Records"), depth)
	case has(obj, "detail-type") || has(obj, "source") || has(obj, "detail"):
		ev, err := decodeEnvelope(obj, path)
		if err != nil {
			return nil, err
		}
		return &Batch{Events: []Event{ev}, Shape: ShapeEventBridge}, nil
	case depth == 0 && has(obj, "Type") && has(obj, "TopicArn"):
		return parseSNSHTTP(obj, b)
	case stringField(obj, "Event") == "s3:TestEvent":
		ev, err := decodeS3Test(obj, b, path)
		if err != nil {
			return nil, err
		}
		return &Batch{Events: []Event{ev}, Shape: ShapeS3Test}, nil
	}
	return nil, &ShapeError{Code: CodeUnknownShape, Field: path,
		Msg: fmt.Sprintf("unrecognized payload (keys: %s); expected %s", keyList(obj), acceptedShapes)}
}

// parseNested decodes an SNS message that may be one of the accepted
// shapes. ok is false when it is not (plain text, or JSON of another
// shape): the caller then makes one aws.sns event of it.
func parseNested(message, path string) (batch *Batch, ok bool, err error) {
	b := trimJSONSpace([]byte(message))
	if len(b) == 0 || (b[0] != '{' && b[0] != '[') || !json.Valid(b) {
		return nil, false, nil
	}
	if b[0] == '{' {
		var obj map[string]json.RawMessage
		if json.Unmarshal(b, &obj) != nil {
			return nil, false, nil
		}
		if !has(obj, "Records") && !has(obj, "detail-type") && !has(obj, "source") && !has(obj, "detail") &&
			stringField(obj, "Event") != "s3:TestEvent" {
			return nil, false, nil
		}
	} else if !envelopeArray(b) {
		return nil, false, nil
	}
	batch, err = parseValue(b, path, 1)
	return batch, true, err
}

// envelopeArray reports whether b (a JSON array) looks like a list of
// EventBridge envelopes: non-empty, with an object first that has one of
// the envelope's keys. Other arrays inside an SNS message are just data.
func envelopeArray(b []byte) bool {
	var items []json.RawMessage
	if json.Unmarshal(b, &items) != nil || len(items) == 0 {
		return false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(items[0], &obj) != nil {
		return false
	}
	return has(obj, "detail-type") || has(obj, "source") || has(obj, "detail")
}

func parseEnvelopeArray(b []byte, path string) (*Batch, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return nil, &ShapeError{Code: CodeInvalidJSON, Field: path, Msg: err.Error()}
	}
	if len(items) == 0 {
		return nil, &ShapeError{Code: CodeEmpty, Field: path, Msg: "the array of events is empty"}
	}
	batch := &Batch{Shape: ShapeEventBridgeArray}
	for i, item := range items {
		p := index(path, i)
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(item, &obj); err != nil || obj == nil {
			batch.Failed = append(batch.Failed, recordError(i, "", fieldErr(CodeInvalid, p,
				"is a JSON %s; an array body must hold EventBridge events (objects)", jsonKind(item))))
			continue
		}
		ev, err := decodeEnvelope(obj, p)
		if err != nil {
			batch.Failed = append(batch.Failed, recordError(i, stringField(obj, "id"), err))
			continue
		}
		batch.Events = append(batch.Events, ev)
	}
	return batch, nil
}

// trimJSONSpace trims the four whitespace characters JSON allows.
func trimJSONSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// jsonKind names the kind of a valid JSON value by its first byte.
func jsonKind(b []byte) string {
	b = trimJSONSpace(b)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// has reports whether obj has key with a non-null value.
func has(obj map[string]json.RawMessage, key string) bool {
	v, ok := obj[key]
	return ok && string(v) != "null"
}

// stringField returns obj[key] if it is a JSON string, else "".
func stringField(obj map[string]json.RawMessage, key string) string {
	var s string
	if v, ok := obj[key]; ok && len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil {
		return s
	}
	return ""
}

// optString reads an optional string field; absent or null is "".
func optString(obj map[string]json.RawMessage, key, path string) (string, error) {
	v, ok := obj[key]
	if !ok || string(v) == "null" {
		return "", nil
	}
	var s string
	if len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return "", fieldErr(CodeInvalid, join(path, key), "is a JSON %s, want a string", jsonKind(v))
	}
	return s, nil
}

// reqString reads a required, non-empty string field.
func reqString(obj map[string]json.RawMessage, key, path string) (string, error) {
	s, err := optString(obj, key, path)
	if err != nil {
		return "", err
	}
	if s == "" {
		if has(obj, key) {
			return "", fieldErr(CodeMissing, join(path, key), "is empty")
		}
		return "", fieldErr(CodeMissing, join(path, key), "is missing")
	}
	return s, nil
}

// optTime reads an optional RFC 3339 time string; absent or null is the
// zero time, an empty string an error.
func optTime(obj map[string]json.RawMessage, key, path string) (time.Time, error) {
	s, err := optString(obj, key, path)
	if err != nil || !has(obj, key) {
		return time.Time{}, err
	}
	return parseTime(s, join(path, key))
}

func parseTime(s, field string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fieldErr(CodeInvalid, field, "%s is not an RFC 3339 time", quote(s))
	}
	return checkTime(t, field)
}

// checkTime keeps times within what RFC 3339 can write back (years 0-9999
// in UTC), so Raw always parses again.
func checkTime(t time.Time, field string) (time.Time, error) {
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return time.Time{}, fieldErr(CodeInvalid, field, "time is out of range")
	}
	return t, nil
}

// join appends a field name to a JSON path.
func join(path, key string) string {
	if !plainKey(key) {
		return fmt.Sprintf("%s[%q]", path, key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// joinPath appends a dotted path of plain field names.
func joinPath(path, dotted string) string {
	for _, key := range strings.Split(dotted, ".") {
		path = join(path, key)
	}
	return path
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// plainKey reports whether key can be written after a dot in a path.
func plainKey(key string) bool {
	if key == "" {
		return false
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}

// quote quotes a value for an error message, shortened.
func quote(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		return fmt.Sprintf("%q…", string(r[:max]))
	}
	return fmt.Sprintf("%q", s)
}

// keyList lists an object's keys (a few) for an error message.
func keyList(obj map[string]json.RawMessage) string {
	if len(obj) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	const max = 8
	more := ""
	if len(keys) > max {
		more = fmt.Sprintf(" and %d more", len(keys)-max)
		keys = keys[:max]
	}
	for i, k := range keys {
		keys[i] = quote(k)
	}
	return strings.Join(keys, ", ") + more
}
