package pattern

import (
	"slices"
	"strings"
	"testing"
)

// alarmEvent is a CloudWatch alarm state change as EventBridge delivers it
// (shortened).
const alarmEvent = `{
  "version": "0",
  "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
  "detail-type": "CloudWatch Alarm State Change",
  "source": "aws.cloudwatch",
  "account": "123456789012",
  "time": "2024-05-01T10:00:00Z",
  "region": "ap-northeast-1",
  "resources": ["arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:cpu-high", "arn:b"],
  "detail": {
    "alarmName": "cpu-high",
    "state": {"value": "OK", "reason": "Threshold Crossed", "timestamp": "2024-05-01T10:00:00.000+0000"},
    "previousState": {"value": "ALARM"},
    "configuration": {"metrics": [{"id": "m1", "metricStat": {"metric": {"namespace": "AWS/EC2", "name": "CPUUtilization"}, "period": 300}}]}
  }
}`

func TestExplain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, pattern string
		match         bool
		reasons       []string
	}{
		{"exact mismatch", `{"source": ["aws.cloudwatch"], "detail": {"state": {"value": ["ALARM"]}}}`, false, []string{
			`detail.state.value: "OK" is not one of ["ALARM"]`,
		}},
		{"exact match", `{"source": ["aws.cloudwatch"], "detail": {"state": {"value": ["OK"]}}}`, true, []string{
			`source: matched "aws.cloudwatch"`,
			`detail.state.value: matched "OK"`,
		}},
		{"every failing field, filters", `{"source": ["aws.s3"], "detail": {"state": {"value": ["ALARM", {"prefix": "INS"}]}}}`, false, []string{
			`source: "aws.cloudwatch" is not one of ["aws.s3"]`,
			`detail.state.value: "OK" matches none of ["ALARM", {"prefix":"INS"}]`,
		}},
		{"filters that match", `{"time": [{"prefix": "2024-05"}], "detail": {"alarmName": [{"wildcard": "cpu-*"}], "missing": [{"exists": false}], "state": {"reason": [{"exists": true}]}}, "detail-type": [{"anything-but": {"prefix": "AWS"}}]}`, true, []string{
			`time: "2024-05-01T10:00:00Z" matched {"prefix":"2024-05"}`,
			`detail.alarmName: "cpu-high" matched {"wildcard":"cpu-*"}`,
			`detail.missing: is missing, as {"exists":false} requires`,
			`detail.state.reason: exists ("Threshold Crossed")`,
			`detail-type: "CloudWatch Alarm State Change" matched {"anything-but":{"prefix":"AWS"}}`,
		}},
		{"missing, object, scalar, present", `{"detail": {"nope": [{"exists": true}], "state": ["x"], "alarmName": {"x": ["y"]}, "previousState": {"value": [{"exists": false}]}}}`, false, []string{
			`detail.nope: is missing; the pattern needs [{"exists":true}]`,
			`detail.state: holds an object, not a value; the pattern needs ["x"]`,
			`detail.alarmName: is "cpu-high", not an object; the pattern needs an object here`,
			`detail.previousState.value: is present ("ALARM"); the pattern needs it missing: [{"exists":false}]`,
		}},
		{"object counts as missing", `{"detail": {"state": [{"exists": false}]}}`, true, []string{
			`detail.state: holds an object, not a value, which counts as missing for {"exists":false}`,
		}},
		{"objects in an array", `{"detail": {"configuration": {"metrics": {"metricStat": {"metric": {"name": ["NetworkIn"]}}}}}}`, false, []string{
			`detail.configuration.metrics[0].metricStat.metric.name: "CPUUtilization" is not one of ["NetworkIn"]`,
		}},
		{"objects in an array, match", `{"detail": {"configuration": {"metrics": {"metricStat": {"period": [{"numeric": [">=", 60]}]}}}}}`, true, []string{
			`detail.configuration.metrics[0].metricStat.period: 300 matched {"numeric":[">=",60]}`,
		}},
		{"event array", `{"resources": ["arn:c"]}`, false, []string{
			`resources: no value of ["arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:cpu-high","arn:b"] is one of ["arn:c"]`,
		}},
		{"event array, filter", `{"resources": [{"suffix": ":c"}]}`, false, []string{
			`resources: no value of ["arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:cpu-high","arn:b"] matches any of [{"suffix":":c"}]`,
		}},
		{"$or none", `{"detail": {"$or": [{"alarmName": ["x"]}, {"state": {"value": ["ALARM"]}}]}}`, false, []string{
			`detail.$or: none of the 2 alternatives matched`,
			`detail.$or[0].alarmName: "cpu-high" is not one of ["x"]`,
			`detail.$or[1].state.value: "OK" is not one of ["ALARM"]`,
		}},
		{"$or second", `{"resources": ["arn:b"], "detail": {"$or": [{"alarmName": ["x"]}, {"state": {"value": ["OK"]}}]}}`, true, []string{
			`resources: matched "arn:b"`,
			`detail.$or[1].state.value: matched "OK"`,
		}},
		{"empty array", `{"detail": {"state": {"value": ["OK"]}}, "x": ["a"]}`, false, []string{
			`x: is missing; the pattern needs ["a"]`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Compile([]byte(tt.pattern))
			if err != nil {
				t.Fatal(err)
			}
			ok, reasons, err := p.Explain([]byte(alarmEvent))
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.match || !slices.Equal(reasons, tt.reasons) {
				t.Errorf("Explain = %v\n  %s\nwant %v\n  %s", ok, strings.Join(reasons, "\n  "), tt.match, strings.Join(tt.reasons, "\n  "))
			}
			if m, _ := p.Match([]byte(alarmEvent)); m != ok {
				t.Errorf("Match = %v, Explain = %v", m, ok)
			}
		})
	}
}

func TestExplainEmptyArrayAndLongValues(t *testing.T) {
	t.Parallel()
	p, err := Compile([]byte(`{"a": ["x"], "b": [{"exists": false}]}`))
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", 100)
	ok, reasons, err := p.Explain([]byte(`{"a": "` + long + `", "b": []}`))
	if err != nil || ok {
		t.Fatalf("Explain = %v, %v", ok, err)
	}
	want := []string{`a: "` + strings.Repeat("é", 59) + `… is not one of ["x"]`}
	if !slices.Equal(reasons, want) {
		t.Errorf("reasons %q, want %q", reasons, want)
	}
	ok, reasons, _ = p.Explain([]byte(`{"a": "x", "b": []}`))
	want = []string{`a: matched "x"`, `b: is an array with no values, which counts as missing for {"exists":false}`}
	if !ok || !slices.Equal(reasons, want) {
		t.Errorf("Explain = %v %q, want true %q", ok, reasons, want)
	}
}

func TestExplainValue(t *testing.T) {
	t.Parallel()
	p, err := Compile([]byte(`{"detail": {"state": {"value": ["ALARM"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	ev := map[string]any{"detail": map[string]any{"state": map[string]any{"value": "OK"}}}
	ok, reasons := p.ExplainValue(ev)
	if ok || !slices.Equal(reasons, []string{`detail.state.value: "OK" is not one of ["ALARM"]`}) {
		t.Errorf("ExplainValue = %v %q", ok, reasons)
	}
	ok, reasons = p.ExplainValue([]any{1})
	if ok || !slices.Equal(reasons, []string{"the event is not a JSON object"}) {
		t.Errorf("ExplainValue(array) = %v %q", ok, reasons)
	}
}
