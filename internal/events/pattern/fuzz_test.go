package pattern

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// fuzzPatterns are the fixed patterns FuzzMatch runs fuzzed events
// against: one of each filter, nesting, event arrays and $or.
var fuzzPatterns = []string{
	`{"source": ["aws.ec2", "aws.s3"], "detail-type": ["x"]}`,
	`{"a": ["x", 1, 1.5e2, true, false, null, ""]}`,
	`{"a": [{"prefix": "ab"}, {"suffix": "yz"}, {"equals-ignore-case": "ÀBc"}]}`,
	`{"a": [{"prefix": {"equals-ignore-case": "Ab"}}, {"suffix": {"equals-ignore-case": "ſ"}}]}`,
	`{"a": [{"wildcard": "a*b*c"}, {"wildcard": "*\\**"}, {"wildcard": "\\\\*"}]}`,
	`{"a": [{"anything-but": ["x", "y"]}], "b": [{"anything-but": [1, 2.5]}]}`,
	`{"a": [{"anything-but": {"prefix": "a"}}], "b": [{"anything-but": {"wildcard": ["*x*", "y*"]}}]}`,
	`{"a": [{"anything-but": {"suffix": "a"}}, {"anything-but": {"equals-ignore-case": ["X", "ß"]}}]}`,
	`{"a": [{"numeric": [">", 0, "<=", 5]}, {"numeric": ["=", -1e3]}, {"numeric": ["<", -5e9]}]}`,
	`{"a": [{"cidr": "10.0.0.0/8"}, {"cidr": "2001:db8::/32"}]}`,
	`{"a": [{"exists": true}], "b": [{"exists": false}]}`,
	`{"a": {"b": {"c": ["x"], "d": [{"exists": false}]}}}`,
	`{"a": {"b": [{"exists": false}]}}`,
	`{"$or": [{"a": ["x"]}, {"b": {"$or": [{"c": [1]}, {"d": [{"exists": false}]}]}}]}`,
	`{"a": {"$or": [{"b": ["1"]}, {"c": [{"numeric": [">", 0]}]}], "e": [{"exists": true}]}}`,
}

// fuzzEvents seed FuzzMatch.
var fuzzEvents = []string{
	`{}`, `{"source": "aws.ec2", "detail-type": "x"}`, `{"source": ["aws.s3"], "detail-type": ["y", "x"]}`,
	`{"a": "x"}`, `{"a": 150}`, `{"a": 1.5e2}`, `{"a": null}`, `{"a": ""}`, `{"a": [true, false]}`,
	`{"a": "abyz"}`, `{"a": "àbc"}`, `{"a": "aBcS"}`, `{"a": "a-b-c"}`, `{"a": "x*y"}`, `{"a": "\\z"}`,
	`{"a": "y", "b": 2.50}`, `{"a": ["x", "q"], "b": [1, 2.5]}`, `{"a": 3}`, `{"a": -1000.0}`, `{"a": -6e9}`,
	`{"a": "10.1.2.3"}`, `{"a": "2001:db8::1"}`, `{"a": "::ffff:10.0.0.1"}`, `{"a": {"b": {"c": "x"}}}`,
	`{"a": [{"b": {"c": "x", "d": 1}}, {"b": {"c": "x"}}]}`, `{"a": {"b": []}}`, `{"a": [[{"b": [[]]}]]}`,
	`{"b": {"d": 1}}`, `{"b": {"c": 1}}`, `{"a": {"c": 1, "e": null}}`, `{"a": "x", "a": "y"}`,
	`{"a": "\ud800"}`, "{\"a\": \"\xff\"}", `{"a": "\u212a"}`, `{"a": "ſ"}`, `{"a": 1e400}`, `{"a": -0}`,
	`[]`, `"x"`, `{"a":`, `{"a": [1,]}`,
}

// FuzzMatch runs fuzzed events against fuzzPatterns and requires: no
// panic; the package's reader accepts exactly what encoding/json accepts;
// Match, MatchValue over encoding/json's result, Explain and a Set agree.
//
//	go test ./internal/events/pattern -run '^$' -fuzz FuzzMatch -fuzztime 30s
func FuzzMatch(f *testing.F) {
	var ps []*Pattern
	s := NewSet()
	for i, src := range fuzzPatterns {
		p, err := Compile([]byte(src))
		if err != nil {
			f.Fatalf("%s: %v", src, err)
		}
		ps = append(ps, p)
		s.Add(string(rune('A'+i)), p)
	}
	for _, e := range fuzzEvents {
		f.Add([]byte(e))
	}
	for _, k := range benchEventOrder {
		f.Add([]byte(benchEvents[k]))
	}
	f.Fuzz(func(t *testing.T, event []byte) {
		std, stdErr := stdDecode(event)
		var d doc
		ourErr := d.parse(event)
		if ourErr == errTooDeep {
			return // encoding/json allows 10,000 levels; we stop at 1,000
		}
		if (ourErr == nil) != (stdErr == nil) {
			t.Fatalf("reader error %v, encoding/json error %v", ourErr, stdErr)
		}
		_, isObject := std.(map[string]any)
		var want []string
		for i, p := range ps {
			ok, err := p.Match(event)
			if (err == nil) != (ourErr == nil && isObject) {
				t.Fatalf("Match error %v for a valid object", err)
			}
			if err != nil {
				continue
			}
			if v := p.MatchValue(std); v != ok {
				t.Fatalf("pattern %s: Match %v, MatchValue %v", fuzzPatterns[i], ok, v)
			}
			e, reasons, err := p.Explain(event)
			if err != nil || e != ok || len(reasons) == 0 {
				t.Fatalf("pattern %s: Match %v, Explain %v %q %v", fuzzPatterns[i], ok, e, reasons, err)
			}
			if ok {
				want = append(want, string(rune('A'+i)))
			}
		}
		got, err := s.Matches(event)
		if err == nil && !slices.Equal(got, want) {
			t.Fatalf("Set %q, patterns %q", got, want)
		}
	})
}

// FuzzCompile compiles fuzzed patterns and requires: no panic; a rejected
// pattern gives an *Error with a message; an accepted one can match,
// explain and join a Set on the seed events without panicking, and
// agrees with itself.
//
//	go test ./internal/events/pattern -run '^$' -fuzz FuzzCompile -fuzztime 30s
func FuzzCompile(f *testing.F) {
	for _, p := range fuzzPatterns {
		f.Add([]byte(p))
	}
	for _, p := range genRules(50, 9) {
		f.Add([]byte(p))
	}
	b, err := os.ReadFile("testdata/docs_examples.json")
	if err != nil {
		f.Fatal(err)
	}
	var d doc
	if err := d.parse(b); err != nil {
		f.Fatal(err)
	}
	for row := d.nodes[0].first; row >= 0; row = d.nodes[row].next {
		f.Add(d.appendJSON(nil, d.member(row, "pattern", keyHash("pattern"))))
	}
	for _, p := range []string{`{"a": [{"numeric": [">", 1, "<", 0]}]}`, `{"a": [{"wildcard": "**"}]}`, `{"$or": [{}]}`, `{"a": [[]]}`} {
		f.Add([]byte(p))
	}
	events := append([]string{}, fuzzEvents...)
	for _, k := range benchEventOrder {
		events = append(events, benchEvents[k])
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Compile(raw)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Msg == "" || strings.HasPrefix(pe.Msg, ": ") {
				t.Fatalf("Compile error %#v is not a good *Error", err)
			}
			return
		}
		s := NewSet()
		s.Add("p", p)
		for _, ev := range events {
			ok, err := p.Match([]byte(ev))
			if err != nil {
				continue
			}
			e, _, _ := p.Explain([]byte(ev))
			got, _ := s.Matches([]byte(ev))
			if e != ok || (len(got) == 1) != ok {
				t.Fatalf("event %s: Match %v, Explain %v, Set %q", ev, ok, e, got)
			}
		}
	})
}
