package pattern

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// toAny converts a decoded node back into what encoding/json would have
// produced with UseNumber.
func toAny(d *doc, idx int32) any {
	n := &d.nodes[idx]
	switch n.kind {
	case kindNull:
		return nil
	case kindTrue:
		return true
	case kindFalse:
		return false
	case kindNumber:
		return json.Number(n.str)
	case kindString:
		return n.str
	case kindObject:
		m := map[string]any{}
		for c := n.first; c >= 0; c = d.nodes[c].next {
			m[d.nodes[c].key] = toAny(d, c)
		}
		return m
	case kindArray:
		a := []any{}
		for c := n.first; c >= 0; c = d.nodes[c].next {
			a = append(a, toAny(d, c))
		}
		return a
	}
	panic("unknown kind")
}

// stdDecode decodes one JSON value the way a caller of MatchValue should.
func stdDecode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, &json.SyntaxError{}
	}
	// Decode stops at the end of the value; anything but whitespace after
	// it is an error for json.Valid, which is the stricter reference.
	if !json.Valid(b) {
		return nil, &json.SyntaxError{}
	}
	return v, nil
}

var jsonInputs = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+10`, `-1.0E-3`, `true`, `false`, `null`,
	` {"a" : [1, 2.0, 3e2, -4, "x", null, true, false, {}, []] } `,
	`{"a":1,"a":2}`, `{"a":{"b":{"c":[[[]]]}}}`,
	`"\u00e9\u0041\n\t\"\\\/\b\f\r"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00"`, `"\ud83d\u0041"`,
	`"\ud83dx"`, `"\ud83d\ud83d\ude00"`, "\"\xff\xfe\"", "\"a\xc3\"", "\"\xed\xa0\x80\"", `"日本語"`,
	"{\"k\xff\":1}", `{"\u0000":1}`,
	// Invalid.
	``, ` `, `{`, `}`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `01`, `1.`, `.5`, `-`, `1e`, `1e+`,
	`+1`, `tru`, `nul`, `"abc`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"a\x01\"", `[1 2]`, `{"a":1}x`,
	`{"a":1} {}`, `NaN`, `Infinity`, `"\`, `[`, `{"a":`, `{"a"`, "\ufeff{}", `'a'`,
}

func TestParseAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, in := range jsonInputs {
		var d doc
		err := d.parse([]byte(in))
		want, werr := stdDecode([]byte(in))
		if (err == nil) != (werr == nil) {
			t.Errorf("%q: parse error %v, encoding/json error %v", in, err, werr)
			continue
		}
		if err != nil {
			continue
		}
		if got := toAny(&d, 0); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: parse gives %#v, encoding/json %#v", in, got, want)
		}
	}
}

func TestParseDepthLimit(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", maxEventDepth) + strings.Repeat("]", maxEventDepth)
	var d doc
	if err := d.parse([]byte(deep)); err != nil {
		t.Fatalf("%d levels: %v", maxEventDepth, err)
	}
	tooDeep := "[" + deep + "]"
	if err := d.parse([]byte(tooDeep)); err != errTooDeep {
		t.Fatalf("%d levels: got %v, want errTooDeep", maxEventDepth+1, err)
	}
}

func TestParseErrorNamesOffset(t *testing.T) {
	t.Parallel()
	var d doc
	err := d.parse([]byte(`{"a": [1, 2,]}`))
	if err == nil || err.Error() != `invalid JSON: unexpected character ']' looking for a value (offset 12)` {
		t.Fatalf("got %v", err)
	}
}

func TestAppendJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, in := range jsonInputs {
		var d doc
		if d.parse([]byte(in)) != nil {
			continue
		}
		out := d.appendJSON(nil, 0)
		var d2 doc
		if err := d2.parse(out); err != nil {
			t.Errorf("%q: re-encoded %q does not parse: %v", in, out, err)
			continue
		}
		if a, b := toAny(&d, 0), toAny(&d2, 0); !reflect.DeepEqual(a, b) {
			t.Errorf("%q: re-encoded %q decodes to %#v, want %#v", in, out, b, a)
		}
	}
}

func TestFromValue(t *testing.T) {
	t.Parallel()
	type inner struct {
		N int    `json:"n"`
		S string `json:"s"`
	}
	in := map[string]any{
		"f":      3.5,
		"big":    1e21,
		"n":      json.Number("300.0"),
		"i":      7,
		"i64":    int64(-9),
		"struct": inner{N: 1, S: "x"},
		"typed":  map[string]string{"k": "v"},
		"list":   []string{"a", "b"},
		"nil":    nil,
		"b":      true,
	}
	var d doc
	d.fromValue("", in, 0)
	want := map[string]any{
		"f":      json.Number("3.5"),
		"big":    json.Number("1e+21"),
		"n":      json.Number("300.0"),
		"i":      json.Number("7"),
		"i64":    json.Number("-9"),
		"struct": map[string]any{"n": json.Number("1"), "s": "x"},
		"typed":  map[string]any{"k": "v"},
		"list":   []any{"a", "b"},
		"nil":    nil,
		"b":      true,
	}
	if got := toAny(&d, 0); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
}

// TestMemberMemo checks the lookup memo: it answers repeated lookups,
// keeps objects and names apart, and forgets everything when the document
// is reused for another event.
func TestMemberMemo(t *testing.T) {
	t.Parallel()
	var d doc
	lookup := func(obj int32, key string) string {
		v := d.member(obj, key, keyHash(key))
		if v < 0 {
			return "-"
		}
		return string(d.appendJSON(nil, v))
	}
	if err := d.parse([]byte(`{"a": {"a": 1, "b": 2}, "b": 3, "c": 4, "c": 5}`)); err != nil {
		t.Fatal(err)
	}
	a := d.member(0, "a", keyHash("a"))
	for range 2 { // the second round is answered by the memo
		for _, c := range []struct {
			obj       int32
			key, want string
		}{{0, "a", `{"a":1,"b":2}`}, {a, "a", "1"}, {a, "b", "2"}, {0, "b", "3"}, {0, "c", "5"}, {0, "d", "-"}, {a, "c", "-"}} {
			if got := lookup(c.obj, c.key); got != c.want {
				t.Errorf("member(%d, %q) = %s, want %s", c.obj, c.key, got, c.want)
			}
		}
	}
	if err := d.parse([]byte(`{"b": 6, "a": 7}`)); err != nil {
		t.Fatal(err)
	}
	if got := lookup(0, "a"); got != "7" {
		t.Errorf("after a new parse, member(0, a) = %s, want 7", got)
	}
	if got := lookup(0, "c"); got != "-" {
		t.Errorf("after a new parse, member(0, c) = %s, want missing", got)
	}
	d.gen = math.MaxUint32 // the generation wraps: old entries must not come back
	if err := d.parse([]byte(`{"x": 1}`)); err != nil {
		t.Fatal(err)
	}
	if got := lookup(0, "b"); got != "-" || d.gen != 1 {
		t.Errorf("after the generation wrapped, member(0, b) = %s (gen %d), want missing", got, d.gen)
	}
}
