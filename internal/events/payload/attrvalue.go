package payload

import (
	"encoding/base64"
	"encoding/json"
)

// maxAttrDepth is how deeply M and L values may nest; DynamoDB itself
// allows 32 levels.
const maxAttrDepth = 32

// plainImage converts a DynamoDB item as a stream record carries it
// (attribute name → typed AttributeValue, e.g. {"price": {"N": "9.5"}}) to
// plain JSON ({"price": 9.5}):
//
//	S → string, N → number (digits kept exactly), B → base64 string,
//	BOOL → boolean, NULL → null, M → object, L → array,
//	SS → array of strings, NS → array of numbers, BS → array of base64 strings.
//
// Errors name the attribute's path under path.
func plainImage(raw json.RawMessage, path string) (json.RawMessage, error) {
	v, err := plainMap(raw, path, 0)
	if err != nil {
		return nil, err
	}
	return marshal(v), nil
}

func plainMap(raw json.RawMessage, path string, depth int) (map[string]any, error) {
	var m map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return nil, fieldErr(CodeInvalid, path, "is a JSON %s, want an object of attribute values", jsonKind(raw))
	}
	out := make(map[string]any, len(m))
	for _, name := range sortedKeys(m) {
		v, err := plainValue(m[name], join(path, name), depth)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

func plainValue(raw json.RawMessage, path string, depth int) (any, error) {
	if depth > maxAttrDepth {
		return nil, fieldErr(CodeInvalid, path, "attribute values nest deeper than %d levels", maxAttrDepth)
	}
	var av map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &av) != nil {
		return nil, fieldErr(CodeInvalid, path, "is a JSON %s, want an attribute value such as {\"S\": \"text\"}", jsonKind(raw))
	}
	if len(av) != 1 {
		return nil, fieldErr(CodeInvalid, path, "attribute value has %d type keys, want exactly one of S, N, B, BOOL, NULL, M, L, SS, NS, BS", len(av))
	}
	for typ, v := range av {
		switch typ {
		case "S":
			return avString(v, typ, path)
		case "N":
			return avNumber(v, path)
		case "B":
			return avBinary(v, path)
		case "BOOL":
			var b bool
			if v[0] != 't' && v[0] != 'f' || json.Unmarshal(v, &b) != nil {
				return nil, fieldErr(CodeInvalid, path, "BOOL value is a JSON %s, want a boolean", jsonKind(v))
			}
			return b, nil
		case "NULL":
			switch string(v) {
			case "true":
			case "false":
				return nil, fieldErr(CodeInvalid, path, "NULL value is false, want true")
			default:
				return nil, fieldErr(CodeInvalid, path, "NULL value is a JSON %s, want true", jsonKind(v))
			}
			return nil, nil
		case "M":
			return plainMap(v, path, depth+1)
		case "L":
			items, err := avList(v, typ, path)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(items))
			for i, item := range items {
				if out[i], err = plainValue(item, index(path, i), depth+1); err != nil {
					return nil, err
				}
			}
			return out, nil
		case "SS", "NS", "BS":
			items, err := avList(v, typ, path)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(items))
			for i, item := range items {
				p := index(path, i)
				switch typ {
				case "SS":
					out[i], err = avString(item, typ, p)
				case "NS":
					out[i], err = avNumber(item, p)
				case "BS":
					out[i], err = avBinary(item, p)
				}
				if err != nil {
					return nil, err
				}
			}
			return out, nil
		default:
			return nil, fieldErr(CodeInvalid, path, "unknown attribute type %s (want S, N, B, BOOL, NULL, M, L, SS, NS or BS)", quote(typ))
		}
	}
	panic("unreachable")
}

func avString(v json.RawMessage, typ, path string) (string, error) {
	var s string
	if v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return "", fieldErr(CodeInvalid, path, "%s value is a JSON %s, want a string", typ, jsonKind(v))
	}
	return s, nil
}

// avNumber returns a DynamoDB number (sent as a string) as a JSON number
// with the same digits.
func avNumber(v json.RawMessage, path string) (json.Number, error) {
	s, err := avString(v, "N", path)
	if err != nil {
		return "", err
	}
	if !isJSONNumber(s) {
		return "", fieldErr(CodeInvalid, path, "N value %s is not a number", quote(s))
	}
	return json.Number(s), nil
}

func avBinary(v json.RawMessage, path string) (string, error) {
	s, err := avString(v, "B", path)
	if err != nil {
		return "", err
	}
	if _, err := base64.StdEncoding.DecodeString(s); err != nil {
		return "", fieldErr(CodeInvalid, path, "B value %s is not base64", quote(s))
	}
	return s, nil
}

func avList(v json.RawMessage, typ, path string) ([]json.RawMessage, error) {
	var items []json.RawMessage
	if v[0] != '[' || json.Unmarshal(v, &items) != nil {
		return nil, fieldErr(CodeInvalid, path, "%s value is a JSON %s, want an array", typ, jsonKind(v))
	}
	return items, nil
}

// isJSONNumber reports whether s is a number in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(s string) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
