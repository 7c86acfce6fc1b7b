package pattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// Every Set benchmark includes decoding the event's JSON, and reports
// events/s. Run on one core, as bench/events/run.sh does:
//
//	go test -run '^$' -bench . -cpu 1 ./internal/events/pattern/

func newBenchSet(b *testing.B, n int) *Set {
	b.Helper()
	names, ps := compileAll(b, genRules(n, 1))
	s := NewSet()
	for i := range ps {
		s.Add(names[i], ps[i])
	}
	return s
}

func reportEventsPerSec(b *testing.B, events int) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSet500 is the target: 500 rules, a CloudWatch alarm event
// (1.9 KB) whose source has 62 of the rules, ≥ 100,000 events/s on a core.
func BenchmarkSet500(b *testing.B) {
	s := newBenchSet(b, 500)
	ev := []byte(benchEvents["cloudwatch-alarm"])
	b.SetBytes(int64(len(ev)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Matches(ev); err != nil {
			b.Fatal(err)
		}
	}
	reportEventsPerSec(b, b.N)
}

// BenchmarkSet500MatchOnly is BenchmarkSet500 without the decoding: the
// event is decoded once, outside the loop (its lookup memo is forgotten
// every time, as for a new event).
func BenchmarkSet500MatchOnly(b *testing.B) {
	s := newBenchSet(b, 500)
	var sc scratch
	if err := decode(&sc.doc, []byte(benchEvents["cloudwatch-alarm"])); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		sc.doc.gen++ // a new event as far as the lookup memo knows
		s.matches(&sc)
	}
	reportEventsPerSec(b, b.N)
}

// BenchmarkSet shows how the cost grows with the number of rules, over a
// mix of four kinds of events.
func BenchmarkSet(b *testing.B) {
	for _, n := range []int{10, 100, 500, 2000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			s := newBenchSet(b, n)
			var evs [][]byte
			for _, k := range benchEventOrder {
				evs = append(evs, []byte(benchEvents[k]))
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.Matches(evs[i%len(evs)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			reportEventsPerSec(b, b.N)
		})
	}
}

// BenchmarkSet500NoIndex evaluates all 500 rules on every event, to show
// what filing rules under their source saves.
func BenchmarkSet500NoIndex(b *testing.B) {
	_, ps := compileAll(b, genRules(500, 1))
	ev := []byte(benchEvents["cloudwatch-alarm"])
	b.ReportAllocs()
	for b.Loop() {
		d := getDoc()
		if err := decode(d, ev); err != nil {
			b.Fatal(err)
		}
		for _, p := range ps {
			p.root.match(d, 0)
		}
		putDoc(d)
	}
	reportEventsPerSec(b, b.N)
}

// BenchmarkSet500EncodingJSON decodes with encoding/json (UseNumber) and
// matches with MatchesValue, to show what the package's own reader saves.
func BenchmarkSet500EncodingJSON(b *testing.B) {
	s := newBenchSet(b, 500)
	ev := []byte(benchEvents["cloudwatch-alarm"])
	b.ReportAllocs()
	for b.Loop() {
		dec := json.NewDecoder(bytes.NewReader(ev))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			b.Fatal(err)
		}
		s.MatchesValue(v)
	}
	reportEventsPerSec(b, b.N)
}

// BenchmarkDecode is the event decoding alone.
func BenchmarkDecode(b *testing.B) {
	ev := []byte(benchEvents["cloudwatch-alarm"])
	b.SetBytes(int64(len(ev)))
	b.ReportAllocs()
	for b.Loop() {
		d := getDoc()
		if err := decode(d, ev); err != nil {
			b.Fatal(err)
		}
		putDoc(d)
	}
}

// BenchmarkMatch is one pattern against one event, decoding included.
func BenchmarkMatch(b *testing.B) {
	p, err := Compile([]byte(`{"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"], "detail": {"state": {"value": ["ALARM"]}, "alarmName": [{"prefix": "prod-"}]}}`))
	if err != nil {
		b.Fatal(err)
	}
	ev := []byte(benchEvents["cloudwatch-alarm"])
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := p.Match(ev); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkCompile is compiling one typical rule.
func BenchmarkCompile(b *testing.B) {
	rules := genRules(100, 1)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := Compile([]byte(rules[i%len(rules)])); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
