package payload

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// decodeEnvelope decodes and checks an EventBridge envelope.
func decodeEnvelope(obj map[string]json.RawMessage, path string) (Event, error) {
	var ev Event
	var err error
	if ev.Source, err = reqString(obj, "source", path); err != nil {
		return Event{}, err
	}
	if ev.DetailType, err = reqString(obj, "detail-type", path); err != nil {
		return Event{}, err
	}
	if ev.ID, err = optString(obj, "id", path); err != nil {
		return Event{}, err
	}
	version, err := optString(obj, "version", path)
	if err != nil {
		return Event{}, err
	}
	if !has(obj, "version") {
		version = "0"
	}
	if ev.Account, err = optString(obj, "account", path); err != nil {
		return Event{}, err
	}
	if ev.Region, err = optString(obj, "region", path); err != nil {
		return Event{}, err
	}
	if ev.Time, err = optTime(obj, "time", path); err != nil {
		return Event{}, err
	}
	if ev.Resources, err = stringList(obj, "resources", path); err != nil {
		return Event{}, err
	}
	detail, ok := obj["detail"]
	switch {
	case !ok || string(detail) == "null":
		ev.Detail = json.RawMessage("{}")
	case detail[0] != '{':
		return Event{}, fieldErr(CodeInvalid, join(path, "detail"), "is a JSON %s, want an object", jsonKind(detail))
	default:
		ev.Detail = compact(detail)
	}
	if ev.ID == "" {
		ev.ID = derivedID("event", ev.Source, ev.DetailType, ev.Account, ev.Region,
			stringField(obj, "time"), strings.Join(ev.Resources, "\n"), string(ev.Detail))
	}
	ev.Raw = envelopeJSON(&ev, version)
	return ev, nil
}

// stringList reads an optional array of strings; absent or null is empty.
func stringList(obj map[string]json.RawMessage, key, path string) ([]string, error) {
	v, ok := obj[key]
	if !ok || string(v) == "null" {
		return []string{}, nil
	}
	var items []json.RawMessage
	if v[0] != '[' || json.Unmarshal(v, &items) != nil {
		return nil, fieldErr(CodeInvalid, join(path, key), "is a JSON %s, want an array of strings", jsonKind(v))
	}
	out := make([]string, len(items))
	for i, item := range items {
		if item[0] != '"' || json.Unmarshal(item, &out[i]) != nil {
			return nil, fieldErr(CodeInvalid, index(join(path, key), i), "is a JSON %s, want a string", jsonKind(item))
		}
	}
	return out, nil
}

// envelope is the normalized EventBridge form, fields in EventBridge's
// order.
type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time,omitempty"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// envelopeJSON renders ev as an EventBridge envelope; the time is UTC to
// the second, as EventBridge writes it.
func envelopeJSON(ev *Event, version string) json.RawMessage {
	e := envelope{
		Version:    version,
		ID:         ev.ID,
		DetailType: ev.DetailType,
		Source:     ev.Source,
		Account:    ev.Account,
		Region:     ev.Region,
		Resources:  ev.Resources,
		Detail:     ev.Detail,
	}
	if e.Resources == nil {
		e.Resources = []string{}
	}
	if !ev.Time.IsZero() {
		e.Time = ev.Time.UTC().Format(time.RFC3339)
	}
	return marshal(e)
}

// marshal encodes v as compact JSON without HTML escaping. v is always
// one of this package's types holding valid JSON, so it cannot fail.
func marshal(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("payload: encoding a normalized value: " + err.Error())
	}
	return json.RawMessage(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// compact returns valid JSON b without insignificant space.
func compact(b []byte) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return json.RawMessage(append([]byte(nil), b...))
	}
	return json.RawMessage(buf.Bytes())
}

// derivedID is kind-<sha256 of the parts>, for records without an id of
// their own: the same record delivered twice gets the same id. Parts are
// length-prefixed so no two lists hash alike.
func derivedID(kind string, parts ...string) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, p := range append([]string{kind}, parts...) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		h.Write([]byte(p))
	}
	return kind + "-" + hex.EncodeToString(h.Sum(nil))
}

// arnParts returns the region and account of an ARN
// (arn:partition:service:region:account:resource), or "" for each when s
// is not one.
func arnParts(s string) (region, account string) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return "", ""
	}
	return parts[3], parts[4]
}

// partition returns the ARN partition of a region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// withFields returns the record object with extra keys added (keys sorted,
// as encoding/json writes maps).
func withFields(obj map[string]json.RawMessage, extra map[string]json.RawMessage) json.RawMessage {
	out := make(map[string]json.RawMessage, len(obj)+len(extra))
	for k, v := range obj {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return marshal(out)
}
