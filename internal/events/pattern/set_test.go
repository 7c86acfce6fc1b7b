package pattern

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// bruteForce matches each pattern on its own, in order.
func bruteForce(t testing.TB, names []string, ps []*Pattern, event string) []string {
	t.Helper()
	var out []string
	for i, p := range ps {
		ok, err := p.Match([]byte(event))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			out = append(out, names[i])
		}
	}
	return out
}

func compileAll(t testing.TB, rules []string) ([]string, []*Pattern) {
	t.Helper()
	var names []string
	var ps []*Pattern
	for i, r := range rules {
		p, err := Compile([]byte(r))
		if err != nil {
			t.Fatalf("rule %d %s: %v", i, r, err)
		}
		names = append(names, fmt.Sprintf("rule-%04d", i))
		ps = append(ps, p)
	}
	return names, ps
}

// TestSetAgreesWithPatterns checks that the index never loses a match: a
// Set of generated rules returns exactly what matching each rule alone
// returns, for every benchmark event and some variations.
func TestSetAgreesWithPatterns(t *testing.T) {
	t.Parallel()
	names, ps := compileAll(t, genRules(2000, 7))
	s := NewSet()
	for i := range ps {
		s.Add(names[i], ps[i])
	}
	if s.Len() != len(ps) {
		t.Fatalf("Len = %d, want %d", s.Len(), len(ps))
	}
	events := []string{
		`{"source": ["aws.ec2", "aws.s3"], "detail-type": "Object Created", "detail": {"state": "stopped"}}`,
		`{"source": "com.acme.orders", "detail-type": "Order Placed", "account": "123456789012", "region": "ap-south-1", "detail": {"severity": 8}}`,
		`{"detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": "DeleteBucket"}}`,
		`{"source": 5}`,
		`{}`,
	}
	for _, k := range benchEventOrder {
		events = append(events, benchEvents[k])
	}
	for _, ev := range events {
		want := bruteForce(t, names, ps, ev)
		got, err := s.Matches([]byte(ev))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("event %.60s…: Set gives %d matches %q…, each pattern alone %d %q…", ev, len(got), first(got), len(want), first(want))
		}
		v, err := stdDecode([]byte(ev))
		if err != nil {
			t.Fatal(err)
		}
		if got := s.MatchesValue(v); !slices.Equal(got, want) {
			t.Errorf("event %.60s…: MatchesValue gives %d matches, want %d", ev, len(got), len(want))
		}
	}
	// The generated rules must exercise matching: each benchmark event
	// matches some rules but far from all.
	for _, k := range benchEventOrder {
		got, _ := s.Matches([]byte(benchEvents[k]))
		if len(got) == 0 || len(got) > len(ps)/4 {
			t.Errorf("%s matches %d of %d rules", k, len(got), len(ps))
		}
	}
}

func first(s []string) []string {
	return s[:min(len(s), 3)]
}

func TestSetAddRemove(t *testing.T) {
	t.Parallel()
	mk := func(p string) *Pattern {
		t.Helper()
		c, err := Compile([]byte(p))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	s := NewSet()
	s.Add("ec2", mk(`{"source": ["aws.ec2"]}`))
	s.Add("any", mk(`{"detail": {"x": [{"exists": false}]}}`))
	s.Add("ec2-or-s3", mk(`{"source": ["aws.s3", "aws.ec2"]}`))
	s.Add("acct", mk(`{"account": ["1"]}`))
	ev := []byte(`{"source": "aws.ec2", "account": "1"}`)

	check := func(want ...string) {
		t.Helper()
		got, err := s.Matches(ev)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("Matches = %q, want %q", got, want)
		}
	}
	check("ec2", "any", "ec2-or-s3", "acct")
	if !s.Remove("ec2") || s.Remove("ec2") || s.Remove("nope") {
		t.Error("Remove reports wrongly")
	}
	check("any", "ec2-or-s3", "acct")
	// Replacing a pattern puts it last.
	s.Add("any", mk(`{"detail": {"x": [{"exists": false}]}}`))
	check("ec2-or-s3", "acct", "any")
	s.Add("ec2-or-s3", mk(`{"source": ["aws.s3"]}`))
	check("acct", "any")
	s.Remove("acct")
	s.Remove("any")
	s.Remove("ec2-or-s3")
	check()
	if s.Len() != 0 || len(s.index) != 0 || len(s.keys) != 0 || len(s.rest) != 0 {
		t.Errorf("empty set keeps state: len %d index %v keys %v rest %v", s.Len(), s.index, s.keys, s.rest)
	}
	if got := s.MatchesValue("not an object"); got != nil {
		t.Errorf("MatchesValue(string) = %q", got)
	}
}

func TestSetConcurrent(t *testing.T) {
	t.Parallel()
	names, ps := compileAll(t, genRules(300, 3))
	s := NewSet()
	for i := range ps {
		s.Add(names[i], ps[i])
	}
	want := map[string][]string{}
	for _, k := range benchEventOrder {
		want[k] = bruteForce(t, names, ps, benchEvents[k])
	}
	extra, err := Compile([]byte(`{"source": ["aws.none"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for g := range 4 {
		wg.Go(func() {
			for i := range 300 {
				k := benchEventOrder[(g+i)%len(benchEventOrder)]
				got, err := s.Matches([]byte(benchEvents[k]))
				if err != nil || !slices.Equal(got, want[k]) {
					errs <- fmt.Sprintf("%s: %d matches, want %d (%v)", k, len(got), len(want[k]), err)
					return
				}
			}
		})
	}
	// Adding and removing a pattern no event matches changes no result.
	wg.Go(func() {
		for range 300 {
			s.Add("extra", extra)
			s.Remove("extra")
		}
	})
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestSetPairKeys checks that filing under (source, detail-type) pairs
// keeps pairs apart whose concatenations are equal.
func TestSetPairKeys(t *testing.T) {
	t.Parallel()
	s := NewSet()
	for name, src := range map[string]string{
		"ab+c": `{"source": ["ab"], "detail-type": ["c"]}`,
		"a+bc": `{"source": ["a"], "detail-type": ["bc", "x"]}`,
		"nul":  `{"source": ["a\u0000"], "detail-type": ["\u0000bc"]}`,
	} {
		p, err := Compile([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.index) != 2 {
			t.Fatalf("%s is filed under %q", src, p.index)
		}
		s.Add(name, p)
	}
	for ev, want := range map[string][]string{
		`{"source": "ab", "detail-type": "c"}`:                   {"ab+c"},
		`{"source": "a", "detail-type": "bc"}`:                   {"a+bc"},
		`{"source": ["a", "ab"], "detail-type": ["c", "bc"]}`:    {"ab+c", "a+bc"},
		`{"source": "a\u0000", "detail-type": "\u0000bc"}`:       {"nul"},
		`{"source": "a\u0000\u0000", "detail-type": "bc"}`:       nil,
		`{"source": "ab", "detail-type": "bc"}`:                  nil,
		`{"source": "a"}`:                                        nil,
		`{"source": "a", "detail-type": {"bc": 1}}`:              nil,
		`{"source": "a", "detail-type": ["x", ["bc"]]}`:          {"a+bc"},
		`{"source": [["a"]], "detail-type": "x", "other": "ab"}`: {"a+bc"},
	} {
		got, err := s.Matches([]byte(ev))
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", ev, got, want)
		}
	}
}
