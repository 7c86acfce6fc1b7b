package pattern

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// checkMatch runs every way of matching (Match, MatchValue, Explain,
// ExplainValue, a Set) on one pattern and event, and fails unless all of
// them give want.
func checkMatch(t *testing.T, pattern, event string, want bool) {
	t.Helper()
	p, err := Compile([]byte(pattern))
	if err != nil {
		t.Fatalf("Compile(%s): %v", pattern, err)
	}
	got, err := p.Match([]byte(event))
	if err != nil {
		t.Fatalf("Match(%s): %v", event, err)
	}
	if got != want {
		_, reasons, _ := p.Explain([]byte(event))
		t.Errorf("Match(%s, %s) = %v, want %v; Explain says:\n  %s", pattern, event, got, want, strings.Join(reasons, "\n  "))
	}
	ev, err := stdDecode([]byte(event))
	if err != nil {
		t.Fatalf("encoding/json cannot decode %s: %v", event, err)
	}
	if got := p.MatchValue(ev); got != want {
		t.Errorf("MatchValue(%s, %s) = %v, want %v", pattern, event, got, want)
	}
	exp, reasons, err := p.Explain([]byte(event))
	if err != nil || exp != want {
		t.Errorf("Explain(%s, %s) = %v, %v, want %v", pattern, event, exp, err, want)
	}
	if len(reasons) == 0 {
		t.Errorf("Explain(%s, %s) gave no reasons", pattern, event)
	}
	if exp, _ := p.ExplainValue(ev); exp != want {
		t.Errorf("ExplainValue(%s, %s) = %v, want %v", pattern, event, exp, want)
	}
	s := NewSet()
	s.Add("r", p)
	names, err := s.Matches([]byte(event))
	if err != nil {
		t.Fatal(err)
	}
	if (len(names) == 1) != want {
		t.Errorf("Set.Matches(%s, %s) = %q, want match %v", pattern, event, names, want)
	}
}

type docExample struct {
	Name    string          `json:"name"`
	Doc     string          `json:"doc"`
	Pattern json.RawMessage `json:"pattern"`
	Event   json.RawMessage `json:"event"`
	Match   bool            `json:"match"`
}

// TestDocumentationExamples runs the examples of the EventBridge user
// guide ("Creating event patterns", "Matching null values and empty
// strings", "Arrays in event patterns", "Content filtering", "Comparison
// operators"), each with an event that matches and most with one that
// does not.
func TestDocumentationExamples(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/docs_examples.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []docExample
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 80 {
		t.Fatalf("only %d examples read", len(rows))
	}
	matches := 0
	for _, r := range rows {
		t.Run(r.Name, func(t *testing.T) {
			checkMatch(t, string(r.Pattern), string(r.Event), r.Match)
		})
		if r.Match {
			matches++
		}
	}
	if matches == 0 || matches == len(rows) {
		t.Fatalf("%d of %d examples match; the table needs both outcomes", matches, len(rows))
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, pattern, event string
		want                 bool
	}{
		// Exact values of each type.
		{"string", `{"a": ["x"]}`, `{"a": "x"}`, true},
		{"string differs", `{"a": ["x"]}`, `{"a": "y"}`, false},
		{"string vs number", `{"a": ["1"]}`, `{"a": 1}`, false},
		{"number as written", `{"a": [1.50]}`, `{"a": 1.50}`, true},
		{"number written otherwise", `{"a": [1.50]}`, `{"a": 1.5}`, false},
		{"negative zero is not zero", `{"a": [0]}`, `{"a": -0}`, false},
		{"true", `{"a": [true]}`, `{"a": true}`, true},
		{"true vs false", `{"a": [true]}`, `{"a": false}`, false},
		{"false", `{"a": [false]}`, `{"a": false}`, true},
		{"true vs string", `{"a": [true]}`, `{"a": "true"}`, false},
		{"null vs string", `{"a": [null]}`, `{"a": "null"}`, false},
		{"any of several", `{"a": ["x", 2, null]}`, `{"a": 2}`, true},
		{"escaped strings compare unescaped", `{"a": ["\u00e9\n"]}`, `{"a": "é\u000a"}`, true},
		{"many strings use a set", `{"a": ["a","b","c","d","e","f","g","h","i","j"]}`, `{"a": "i"}`, true},
		{"many strings use a set, miss", `{"a": ["a","b","c","d","e","f","g","h","i","j"]}`, `{"a": "k"}`, false},
		{"missing field", `{"a": ["x"]}`, `{"b": "x"}`, false},
		{"extra event fields ignored", `{"a": ["x"]}`, `{"a": "x", "b": {"c": [1]}}`, true},
		{"duplicate event key: last wins", `{"a": ["x"]}`, `{"a": "x", "a": "y"}`, false},
		{"duplicate event key: last wins, match", `{"a": ["y"]}`, `{"a": "x", "a": "y"}`, true},

		// Nesting.
		{"nested", `{"a": {"b": {"c": ["x"]}}}`, `{"a": {"b": {"c": "x"}}}`, true},
		{"nested at wrong level", `{"a": {"c": ["x"]}}`, `{"a": {"b": {"c": "x"}}}`, false},
		{"object pattern vs scalar", `{"a": {"b": ["x"]}}`, `{"a": "x"}`, false},
		{"value pattern vs object", `{"a": ["x"]}`, `{"a": {"b": "x"}}`, false},
		{"key with a dot is one key", `{"a.b": ["x"]}`, `{"a": {"b": "x"}}`, false},
		{"key with a dot", `{"a.b": ["x"]}`, `{"a.b": "x"}`, true},

		// Event arrays.
		{"array any element", `{"a": ["x"]}`, `{"a": ["w", "x"]}`, true},
		{"array no element", `{"a": ["x"]}`, `{"a": ["w", "y"]}`, false},
		{"nested arrays flatten", `{"a": ["x"]}`, `{"a": [["w"], [["x"]]]}`, true},
		{"empty array", `{"a": ["x"]}`, `{"a": []}`, false},
		{"array of objects, leaf pattern", `{"a": ["x"]}`, `{"a": [{"b": "x"}]}`, false},
		{"objects in array", `{"r": {"type": ["AWS::S3::Object"]}}`, `{"r": [{"type": "AWS::S3::Bucket"}, {"type": "AWS::S3::Object"}]}`, true},
		{"objects in array: one element must hold all",
			`{"r": {"type": ["AWS::S3::Object"], "arn": [{"prefix": "arn:aws:s3:::logs/"}]}}`,
			`{"r": [{"type": "AWS::S3::Object", "arn": "arn:aws:s3:::data/x"}, {"type": "AWS::S3::Bucket", "arn": "arn:aws:s3:::logs/y"}]}`, false},
		{"objects in array: one element holds all",
			`{"r": {"type": ["AWS::S3::Object"], "arn": [{"prefix": "arn:aws:s3:::logs/"}]}}`,
			`{"r": [{"type": "AWS::S3::Bucket", "arn": "arn:aws:s3:::data/x"}, {"type": "AWS::S3::Object", "arn": "arn:aws:s3:::logs/y"}]}`, true},
		{"objects in nested arrays", `{"r": {"t": ["x"]}}`, `{"r": [[{"t": "y"}], [[{"t": "x"}]]]}`, true},
		{"S3 notification records", `{"Records": {"eventSource": ["aws:s3"], "s3": {"object": {"key": [{"suffix": ".csv"}]}}}}`,
			`{"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": "b"}, "object": {"key": "in/2024/a.csv", "size": 10}}}]}`, true},

		// prefix / suffix / equals-ignore-case.
		{"prefix empty matches any string", `{"a": [{"prefix": ""}]}`, `{"a": "x"}`, true},
		{"prefix empty does not match number", `{"a": [{"prefix": ""}]}`, `{"a": 1}`, false},
		{"prefix longer than value", `{"a": [{"prefix": "abc"}]}`, `{"a": "ab"}`, false},
		{"prefix in array", `{"a": [{"prefix": "us-"}]}`, `{"a": ["eu-west-1", "us-east-1"]}`, true},
		{"prefix fold unicode", `{"a": [{"prefix": {"equals-ignore-case": "ÉTÉ"}}]}`, `{"a": "été 2024"}`, true},
		{"prefix fold kelvin sign", `{"a": [{"prefix": {"equals-ignore-case": "k"}}]}`, `{"a": "\u212Aelvin"}`, true},
		{"prefix fold mismatch", `{"a": [{"prefix": {"equals-ignore-case": "ab"}}]}`, `{"a": "ac"}`, false},
		{"suffix fold unicode", `{"a": [{"suffix": {"equals-ignore-case": "SS"}}]}`, `{"a": "bass"}`, true},
		{"suffix fold shorter value", `{"a": [{"suffix": {"equals-ignore-case": "xyz"}}]}`, `{"a": "yz"}`, false},
		{"suffix on number", `{"a": [{"suffix": "0"}]}`, `{"a": 10}`, false},
		{"equals-ignore-case unicode", `{"a": [{"equals-ignore-case": "ΣΑΣ"}]}`, `{"a": "σας"}`, true},
		{"equals-ignore-case is whole value", `{"a": [{"equals-ignore-case": "abc"}]}`, `{"a": "abcd"}`, false},
		{"equals-ignore-case on bool", `{"a": [{"equals-ignore-case": "true"}]}`, `{"a": true}`, false},

		// wildcard.
		{"wildcard no star is exact", `{"a": [{"wildcard": "abc"}]}`, `{"a": "abc"}`, true},
		{"wildcard no star, longer", `{"a": [{"wildcard": "abc"}]}`, `{"a": "abcd"}`, false},
		{"wildcard star alone", `{"a": [{"wildcard": "*"}]}`, `{"a": ""}`, true},
		{"wildcard star on number", `{"a": [{"wildcard": "*"}]}`, `{"a": 5}`, false},
		{"wildcard anchored start", `{"a": [{"wildcard": "dir/*"}]}`, `{"a": "xdir/a"}`, false},
		{"wildcard anchored end", `{"a": [{"wildcard": "*.png"}]}`, `{"a": "a.png.bak"}`, false},
		{"wildcard several stars", `{"a": [{"wildcard": "a*b*c"}]}`, `{"a": "a--b--b--c"}`, true},
		{"wildcard first and last overlap", `{"a": [{"wildcard": "ab*ba"}]}`, `{"a": "aba"}`, false},
		{"wildcard middle order", `{"a": [{"wildcard": "*b*a*"}]}`, `{"a": "ab"}`, false},
		{"wildcard escaped star literal", `{"a": [{"wildcard": "a\\*b"}]}`, `{"a": "a*b"}`, true},
		{"wildcard escaped star not wild", `{"a": [{"wildcard": "a\\*b"}]}`, `{"a": "axb"}`, false},
		{"wildcard escaped backslash", `{"a": [{"wildcard": "a\\\\*"}]}`, `{"a": "a\\bc"}`, true},
		{"wildcard escaped backslash needed", `{"a": [{"wildcard": "a\\\\*"}]}`, `{"a": "abc"}`, false},
		{"wildcard star next to escaped star", `{"a": [{"wildcard": "*\\**"}]}`, `{"a": "x*y"}`, true},
		{"wildcard star next to escaped star, no star", `{"a": [{"wildcard": "*\\**"}]}`, `{"a": "xy"}`, false},
		{"wildcard unicode", `{"a": [{"wildcard": "障*害"}]}`, `{"a": "障がい害"}`, true},

		// anything-but.
		{"anything-but string vs number", `{"a": [{"anything-but": "x"}]}`, `{"a": 5}`, true},
		{"anything-but number vs string", `{"a": [{"anything-but": 5}]}`, `{"a": "5"}`, true},
		{"anything-but number by value", `{"a": [{"anything-but": 5}]}`, `{"a": 5.0}`, false},
		{"anything-but number list by value", `{"a": [{"anything-but": [100, 500]}]}`, `{"a": 1e2}`, false},
		{"anything-but null value", `{"a": [{"anything-but": "x"}]}`, `{"a": null}`, true},
		{"anything-but missing", `{"a": [{"anything-but": "x"}]}`, `{}`, false},
		{"anything-but object value", `{"a": [{"anything-but": "x"}]}`, `{"a": {"b": 1}}`, false},
		{"anything-but array one other", `{"a": [{"anything-but": ["x"]}]}`, `{"a": ["x", "y"]}`, true},
		{"anything-but array all excluded", `{"a": [{"anything-but": ["x", "y"]}]}`, `{"a": ["x", "y"]}`, false},
		{"anything-but empty array", `{"a": [{"anything-but": "x"}]}`, `{"a": []}`, false},
		{"anything-but prefix vs number", `{"a": [{"anything-but": {"prefix": "1"}}]}`, `{"a": 10}`, true},
		{"anything-but prefix excluded", `{"a": [{"anything-but": {"prefix": "us-"}}]}`, `{"a": "us-west-2"}`, false},
		{"anything-but eic list", `{"a": [{"anything-but": {"equals-ignore-case": ["Stopped", "Overloaded"]}}]}`, `{"a": "OVERLOADED"}`, false},
		{"anything-but eic list other", `{"a": [{"anything-but": {"equals-ignore-case": ["Stopped", "Overloaded"]}}]}`, `{"a": "running"}`, true},
		{"anything-but wildcard list", `{"a": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]}`, `{"a": "/usr/bin/ls"}`, false},
		{"anything-but wildcard list other", `{"a": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]}`, `{"a": "/etc/hosts"}`, true},
		{"anything-but with another entry", `{"a": [{"anything-but": "x"}, "x"]}`, `{"a": "x"}`, true},

		// numeric.
		{"numeric lt", `{"a": [{"numeric": ["<", 10]}]}`, `{"a": 9.999999}`, true},
		{"numeric lt boundary", `{"a": [{"numeric": ["<", 10]}]}`, `{"a": 10}`, false},
		{"numeric le boundary", `{"a": [{"numeric": ["<=", 10]}]}`, `{"a": 1e1}`, true},
		{"numeric gt", `{"a": [{"numeric": [">", -5]}]}`, `{"a": -4.5}`, true},
		{"numeric gt boundary", `{"a": [{"numeric": [">", -5]}]}`, `{"a": -5}`, false},
		{"numeric ge boundary", `{"a": [{"numeric": [">=", -5]}]}`, `{"a": -5.0}`, true},
		{"numeric eq exponent", `{"a": [{"numeric": ["=", 3.018e2]}]}`, `{"a": 301.80}`, true},
		{"numeric eq differs", `{"a": [{"numeric": ["=", 3]}]}`, `{"a": 3.0000001}`, false},
		{"numeric range low end open", `{"a": [{"numeric": [">", 0, "<=", 5]}]}`, `{"a": 0}`, false},
		{"numeric range high end closed", `{"a": [{"numeric": [">", 0, "<=", 5]}]}`, `{"a": 5}`, true},
		{"numeric range point", `{"a": [{"numeric": [">=", 5, "<=", 5]}]}`, `{"a": 5}`, true},
		{"numeric in array", `{"a": [{"numeric": [">", 100]}]}`, `{"a": [1, 2, 300]}`, true},
		{"numeric on string", `{"a": [{"numeric": [">", 0]}]}`, `{"a": "5"}`, false},
		{"numeric on bool", `{"a": [{"numeric": [">", 0]}]}`, `{"a": true}`, false},
		{"numeric huge event value", `{"a": [{"numeric": [">", 0]}]}`, `{"a": 1e400}`, true},
		{"numeric two filters", `{"a": [{"numeric": ["<", 0]}, {"numeric": [">", 10]}]}`, `{"a": 11}`, true},
		{"numeric two filters, between", `{"a": [{"numeric": ["<", 0]}, {"numeric": [">", 10]}]}`, `{"a": 5}`, false},

		// cidr.
		{"cidr /32", `{"ip": [{"cidr": "192.168.1.1/32"}]}`, `{"ip": "192.168.1.1"}`, true},
		{"cidr /32 other", `{"ip": [{"cidr": "192.168.1.1/32"}]}`, `{"ip": "192.168.1.2"}`, false},
		{"cidr /0", `{"ip": [{"cidr": "0.0.0.0/0"}]}`, `{"ip": "8.8.8.8"}`, true},
		{"cidr host bits in pattern", `{"ip": [{"cidr": "10.0.0.77/24"}]}`, `{"ip": "10.0.0.1"}`, true},
		{"cidr v4 vs v6 address", `{"ip": [{"cidr": "10.0.0.0/8"}]}`, `{"ip": "2001:db8::1"}`, false},
		{"cidr v4-mapped v6 address", `{"ip": [{"cidr": "10.0.0.0/8"}]}`, `{"ip": "::ffff:10.1.2.3"}`, true},
		{"cidr not an address", `{"ip": [{"cidr": "10.0.0.0/8"}]}`, `{"ip": "10.0.0.1/32"}`, false},
		{"cidr not a string", `{"ip": [{"cidr": "10.0.0.0/8"}]}`, `{"ip": 10}`, false},
		{"cidr array", `{"ip": [{"cidr": "10.0.0.0/8"}]}`, `{"ip": ["1.1.1.1", "10.9.9.9"]}`, true},
		{"cidr v6", `{"ip": [{"cidr": "fe80::/10"}]}`, `{"ip": "FE80::1"}`, true},

		// exists.
		{"exists true on null", `{"a": [{"exists": true}]}`, `{"a": null}`, true},
		{"exists true on empty string", `{"a": [{"exists": true}]}`, `{"a": ""}`, true},
		{"exists true missing", `{"a": [{"exists": true}]}`, `{"b": 1}`, false},
		{"exists true on object", `{"a": [{"exists": true}]}`, `{"a": {"b": 1}}`, false},
		{"exists true on empty array", `{"a": [{"exists": true}]}`, `{"a": []}`, false},
		{"exists true on array", `{"a": [{"exists": true}]}`, `{"a": [0]}`, true},
		{"exists false on null", `{"a": [{"exists": false}]}`, `{"a": null}`, false},
		{"exists false on empty array", `{"a": [{"exists": false}]}`, `{"a": []}`, true},
		{"exists false on array of objects", `{"a": [{"exists": false}]}`, `{"a": [{"b": 1}]}`, true},
		{"exists false, parent missing", `{"detail": {"c": [{"exists": false}]}}`, `{"source": "x"}`, true},
		{"exists false, parent a string", `{"detail": {"c": [{"exists": false}]}}`, `{"detail": "x"}`, true},
		{"exists false, deep parent missing", `{"a": {"b": {"c": [{"exists": false}]}}}`, `{"a": {}}`, true},
		{"exists false, in array of objects", `{"a": {"b": [{"exists": false}]}}`, `{"a": [{"b": 1}, {"c": 2}]}`, true},
		{"exists false, all objects have it", `{"a": {"b": [{"exists": false}]}}`, `{"a": [{"b": 1}, {"b": 2}]}`, false},
		{"exists false, array without objects", `{"a": {"b": [{"exists": false}]}}`, `{"a": [1, 2]}`, true},
		{"exists false or value", `{"a": [{"exists": false}, "x"]}`, `{"a": "x"}`, true},
		{"exists false or value, other", `{"a": [{"exists": false}, "x"]}`, `{"a": "y"}`, false},
		{"exists true and false", `{"a": [{"exists": true}, {"exists": false}]}`, `{"b": 1}`, true},

		// $or.
		{"$or top level", `{"$or": [{"a": ["x"]}, {"b": ["y"]}]}`, `{"b": "y"}`, true},
		{"$or with exists false", `{"$or": [{"a": ["x"]}, {"b": [{"exists": false}]}]}`, `{"a": "z"}`, true},
		{"$or nested", `{"a": {"$or": [{"b": ["1"]}, {"$or": [{"c": ["2"]}, {"d": ["3"]}]}]}}`, `{"a": {"d": "3"}}`, true},
		{"$or nested none", `{"a": {"$or": [{"b": ["1"]}, {"$or": [{"c": ["2"]}, {"d": ["3"]}]}]}}`, `{"a": {"d": "4"}}`, false},
		{"$or in array element", `{"r": {"$or": [{"t": ["x"]}, {"u": ["y"]}]}}`, `{"r": [{"t": "z"}, {"u": "y"}]}`, true},
		{"$or alternatives with nested objects", `{"$or": [{"detail": {"a": ["1"]}}, {"detail": {"b": ["2"]}}]}`, `{"detail": {"b": "2"}}`, true},
		{"$or plus field, field fails", `{"s": ["x"], "$or": [{"a": ["1"]}, {"b": ["2"]}]}`, `{"s": "y", "a": "1"}`, false},
		{"$or plus field, both hold", `{"s": ["x"], "$or": [{"a": ["1"]}, {"b": ["2"]}]}`, `{"s": "x", "b": "2"}`, true},
		{"$or is not an event field", `{"$or": [{"a": ["1"]}, {"b": ["2"]}]}`, `{"$or": [{"a": "1"}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkMatch(t, tt.pattern, tt.event, tt.want)
		})
	}
}

func TestMatchRejectsBadEvents(t *testing.T) {
	t.Parallel()
	p, err := Compile([]byte(`{"a": [{"exists": false}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []string{``, `[]`, `"x"`, `null`, `{"a":}`, `{} {}`} {
		if ok, err := p.Match([]byte(ev)); err == nil || ok {
			t.Errorf("Match(%q) = %v, %v; want an error", ev, ok, err)
		}
		if _, _, err := p.Explain([]byte(ev)); err == nil {
			t.Errorf("Explain(%q): no error", ev)
		}
		if _, err := NewSet().Matches([]byte(ev)); err == nil {
			t.Errorf("Set.Matches(%q): no error", ev)
		}
	}
	if _, err := p.Match([]byte(`[1]`)); err == nil || err.Error() != "event: must be a JSON object" {
		t.Errorf("Match([1]) error = %v", err)
	}
	// A value that is not an object never matches, even exists:false.
	for _, ev := range []any{nil, "x", []any{}, json.Number("1")} {
		if p.MatchValue(ev) {
			t.Errorf("MatchValue(%#v) = true", ev)
		}
	}
	if !p.MatchValue(map[string]any{}) {
		t.Error("MatchValue({}) = false, want true for exists:false")
	}
}

// TestMatchValueFloat64 shows what decoding without UseNumber loses: the
// written form of a number.
func TestMatchValueFloat64(t *testing.T) {
	t.Parallel()
	p, err := Compile([]byte(`{"n": [300]}`))
	if err != nil {
		t.Fatal(err)
	}
	var ev any
	if err := json.Unmarshal([]byte(`{"n": 300.0}`), &ev); err != nil {
		t.Fatal(err)
	}
	if !p.MatchValue(ev) {
		t.Error("float64 300 (written 300.0) should match [300]: a float64 has no written form but its shortest one")
	}
	if ok, _ := p.Match([]byte(`{"n": 300.0}`)); ok {
		t.Error("Match of 300.0 against [300] = true, want false")
	}
}

func TestMatchConcurrent(t *testing.T) {
	t.Parallel()
	p, err := Compile([]byte(`{"source": ["aws.ec2"], "detail": {"n": [{"numeric": [">", 5]}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []bool)
	for g := range 8 {
		go func() {
			var got []bool
			for i := range 200 {
				n := (g + i) % 10
				ok, err := p.Match([]byte(`{"source": "aws.ec2", "detail": {"n": ` + string(rune('0'+n)) + `}}`))
				if err != nil {
					panic(err)
				}
				got = append(got, ok == (n > 5))
			}
			done <- got
		}()
	}
	for range 8 {
		if got := <-done; slices.Contains(got, false) {
			t.Fatal("a concurrent Match gave a wrong answer")
		}
	}
}

// TestMatchDuplicateKeysLargeObject: objects of more than 16 members are
// not checked for duplicate keys when decoded, and must still let the last
// one win.
func TestMatchDuplicateKeysLargeObject(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(`{"a": "first"`)
	for i := range 20 {
		fmt.Fprintf(&b, `, "k%d": %d`, i, i)
	}
	b.WriteString(`, "a": "last"}`)
	checkMatch(t, `{"a": ["last"]}`, b.String(), true)
	checkMatch(t, `{"a": ["first"]}`, b.String(), false)
	checkMatch(t, `{"k19": [19], "k0": [0]}`, b.String(), true)
}
