package parse

import (
	"strings"
	"testing"
)

const db01Arn = "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:db01-cpu-high"

func TestCloudWatch(t *testing.T) {
	t.Parallel()
	t.Run("ALARM with propagated tags", func(t *testing.T) {
		t.Parallel()
		got, err := CloudWatch(readTestdata(t, "cloudwatch_sns_alarm.json"), Options{DefaultSystem: "unused"})
		if err != nil {
			t.Fatal(err)
		}
		arn := "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:prod-api-5xx-rate"
		checkSignals(t, got, []Signal{{
			Source: "cloudwatch", System: "XYZ", DedupKey: arn, Status: StatusFiring,
			Summary:  "prod-api-5xx-rate: 5xx responses above 5% on the production API load balancer.",
			Details:  "Threshold Crossed: 2 out of the last 2 datapoints [7.91 (01/05/24 00:58:00), 6.2 (01/05/24 00:57:00)] were greater than the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition).\n\n5xx responses above 5% on the production API load balancer.\nRunbook: https://wiki.example.com/runbooks/api-5xx",
			Severity: "error", // tag severity=high
			Host:     "app/prod-api/50dc6c495c0c9188", Service: "HTTPCode_Target_5XX_Count",
			StartedAt: utc(2024, 5, 1, 0, 59, 12, 410000000),
			Labels: map[string]string{
				"alarmName": "prod-api-5xx-rate", "alarmArn": arn, "account": "123456789012",
				"region": "ap-northeast-1", "regionName": "Asia Pacific (Tokyo)",
				"newState": "ALARM", "oldState": "OK", "stateChangeTime": "2024-05-01T00:59:12.410+0000",
				"namespace": "AWS/ApplicationELB", "metricName": "HTTPCode_Target_5XX_Count",
				"dimension.LoadBalancer": "app/prod-api/50dc6c495c0c9188",
				"tag.system":             "XYZ", "tag.severity": "high", "tag.team": "api",
			},
		}})
	})
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		got, err := CloudWatch(readTestdata(t, "cloudwatch_sns_ok.json"), Options{DefaultSystem: "XYZ"})
		if err != nil {
			t.Fatal(err)
		}
		checkSignals(t, got, []Signal{{
			Source: "cloudwatch", System: "XYZ", DedupKey: db01Arn, Status: StatusResolved,
			Summary:  "db01-cpu-high",
			Details:  "Threshold Crossed: 1 out of the last 1 datapoints [12.5 (03/10/23 04:31:00)] was not greater than or equal to the threshold (80.0) (minimum 1 datapoint for ALARM -> OK transition).",
			Severity: "info", Host: "i-0d6c06981a9aa5112", Service: "CPUUtilization",
			Labels: map[string]string{
				"alarmName": "db01-cpu-high", "alarmArn": db01Arn, "account": "123456789012",
				"region": "ap-northeast-1", "regionName": "Asia Pacific (Tokyo)",
				"newState": "OK", "oldState": "ALARM", "stateChangeTime": "2023-10-03T04:36:48.198+0000",
				"namespace": "AWS/EC2", "metricName": "CPUUtilization",
				"dimension.InstanceId": "i-0d6c06981a9aa5112",
			},
		}})
	})
	t.Run("INSUFFICIENT_DATA", func(t *testing.T) {
		t.Parallel()
		var reason string
		got, err := CloudWatch(readTestdata(t, "cloudwatch_sns_insufficient.json"), Options{OnIgnore: func(r string) { reason = r }})
		if err != nil || got != nil {
			t.Fatalf("got %#v, %v; want no signals and no error", got, err)
		}
		if want := "CloudWatch alarm db01-cpu-high went to INSUFFICIENT_DATA, which is not escalated"; reason != want {
			t.Errorf("reason = %q, want %q", reason, want)
		}
	})
}

// Old alarm messages have no AlarmArn: the key is account/region/name.
func TestCloudWatchWithoutArn(t *testing.T) {
	t.Parallel()
	body := `{"AlarmName":"sample-error","AlarmDescription":"sampleでエラーが発生しました。","AWSAccountId":"111122223333",
		"NewStateValue":"ALARM","NewStateReason":"Threshold Crossed","StateChangeTime":"2017-11-29T01:10:32.907+0000",
		"Region":"Asia Pacific (Tokyo)","OldStateValue":"OK",
		"Trigger":{"MetricName":"sample-metric","Namespace":"LogMetrics","Dimensions":[]}}`
	got, err := CloudWatch([]byte(body), Options{DefaultSystem: "S"})
	if err != nil {
		t.Fatal(err)
	}
	checkSignals(t, got, []Signal{{
		Source: "cloudwatch", System: "S", DedupKey: "111122223333/Asia Pacific (Tokyo)/sample-error", Status: StatusFiring,
		Summary: "sample-error: sampleでエラーが発生しました。", Details: "Threshold Crossed\n\nsampleでエラーが発生しました。",
		Severity: "", Service: "sample-metric",
		StartedAt: utc(2017, 11, 29, 1, 10, 32, 907000000),
		Labels: map[string]string{"alarmName": "sample-error", "account": "111122223333", "regionName": "Asia Pacific (Tokyo)",
			"newState": "ALARM", "oldState": "OK", "stateChangeTime": "2017-11-29T01:10:32.907+0000",
			"namespace": "LogMetrics", "metricName": "sample-metric"},
	}})
}

func TestCloudWatchEvent(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		"alarmName": "db01-cpu-high", "alarmArn": db01Arn, "account": "123456789012", "region": "ap-northeast-1",
		"namespace": "AWS/EC2", "metricName": "CPUUtilization", "dimension.InstanceId": "i-0d6c06981a9aa5112",
	}
	with := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	t.Run("ALARM", func(t *testing.T) {
		t.Parallel()
		got, err := CloudWatchEvent(readTestdata(t, "eventbridge_alarm.json"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkSignals(t, got, []Signal{{
			Source: "cloudwatch", System: "XYZ", DedupKey: db01Arn, Status: StatusFiring,
			Summary:  "db01-cpu-high: CPU of db01 above 80% for 5 minutes",
			Details:  "Threshold Crossed: 1 out of the last 1 datapoints [96.4 (01/05/24 00:59:00)] was greater than or equal to the threshold (80.0) (minimum 1 datapoint for OK -> ALARM transition).\n\nCPU of db01 above 80% for 5 minutes",
			Severity: "", Host: "i-0d6c06981a9aa5112", Service: "CPUUtilization",
			StartedAt: utc(2024, 5, 1, 1, 4, 40, 985000000),
			Labels: with(map[string]string{"newState": "ALARM", "oldState": "OK",
				"stateChangeTime": "2024-05-01T01:04:40.985+0000", "tag.system": "XYZ",
				"eventId": "7bf73129-1428-4cd3-a780-95db273d1602", "eventTime": "2024-05-01T01:04:40Z"}),
		}})
	})
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		got, err := CloudWatchEvent(readTestdata(t, "eventbridge_ok.json"), Options{DefaultSystem: "XYZ"})
		if err != nil {
			t.Fatal(err)
		}
		checkSignals(t, got, []Signal{{
			Source: "cloudwatch", System: "XYZ", DedupKey: db01Arn, Status: StatusResolved,
			Summary:  "db01-cpu-high: CPU of db01 above 80% for 5 minutes",
			Details:  "Threshold Crossed: 1 out of the last 1 datapoints [22.0 (01/05/24 01:14:00)] was not greater than or equal to the threshold (80.0) (minimum 1 datapoint for ALARM -> OK transition).\n\nCPU of db01 above 80% for 5 minutes",
			Severity: "info", Host: "i-0d6c06981a9aa5112", Service: "CPUUtilization",
			// The alarm started when the previous (ALARM) state began.
			StartedAt: utc(2024, 5, 1, 1, 4, 40, 985000000),
			Labels: with(map[string]string{"newState": "OK", "oldState": "ALARM",
				"stateChangeTime": "2024-05-01T01:19:41.050+0000",
				"eventId":         "0a6c1b7e-5b8d-4a52-a3f1-2f9e0b6d4c11", "eventTime": "2024-05-01T01:19:41Z"}),
		}})
	})
}

// The same alarm through SNS and through EventBridge is the same alert.
func TestCloudWatchSameKeyBothWays(t *testing.T) {
	t.Parallel()
	sns, err := CloudWatch(readTestdata(t, "cloudwatch_sns_ok.json"), Options{DefaultSystem: "XYZ"})
	if err != nil {
		t.Fatal(err)
	}
	eb, err := CloudWatchEvent(readTestdata(t, "eventbridge_alarm.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sns[0].DedupKey != eb[0].DedupKey || sns[0].Host != eb[0].Host || sns[0].Service != eb[0].Service {
		t.Errorf("SNS %q %q %q vs EventBridge %q %q %q", sns[0].DedupKey, sns[0].Host, sns[0].Service,
			eb[0].DedupKey, eb[0].Host, eb[0].Service)
	}
}

func TestCloudWatchErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, body, field, msg string
	}{
		{"not JSON (the SNS envelope's raw text)", `Hello from SNS`, "", "not valid JSON"},
		{"name missing", `{"NewStateValue":"ALARM"}`, "AlarmName", "required"},
		{"state missing", `{"AlarmName":"a"}`, "NewStateValue", "required"},
		{"state wrong", `{"AlarmName":"a","NewStateValue":"FIRE"}`, "NewStateValue", `must be "ALARM", "OK" or "INSUFFICIENT_DATA"`},
		{"trigger not object", `{"AlarmName":"a","NewStateValue":"ALARM","Trigger":"x"}`, "Trigger", "must be an object"},
		{"dimension not object", `{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"Dimensions":["x"]}}`, "Trigger.Dimensions[0]", "must be an object"},
		{"dimension value nested", `{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"Dimensions":[{"name":"n","value":{}}]}}`, "Trigger.Dimensions[0].value", "must be a string"},
		{"tags not strings", `{"AlarmName":"a","NewStateValue":"ALARM","AlarmTags":{"system":["x"]}}`, "AlarmTags.system", "must be a string"},
		{"no system", `{"AlarmName":"a","NewStateValue":"ALARM"}`, "system", `no system given; tag the alarm "system"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := CloudWatch([]byte(c.body), Options{})
			wantFieldError(t, got, err, c.field, c.msg)
		})
	}
}

func TestCloudWatchEventErrors(t *testing.T) {
	t.Parallel()
	ok := string(readTestdata(t, "eventbridge_alarm.json"))
	for _, c := range []struct {
		name, body, field, msg string
	}{
		{"wrong source", strings.Replace(ok, `"aws.cloudwatch"`, `"aws.ec2"`, 1), "source", `must be "aws.cloudwatch"`},
		{"wrong detail-type", strings.Replace(ok, `"CloudWatch Alarm State Change"`, `"CloudWatch Alarm Configuration Change"`, 1), "detail-type", "must be"},
		{"no detail", `{"source":"aws.cloudwatch","detail-type":"CloudWatch Alarm State Change"}`, "detail", "required"},
		{"no alarm name", strings.Replace(ok, `"alarmName": "db01-cpu-high"`, `"alarmName": ""`, 1), "detail.alarmName", "required"},
		{"no state", strings.Replace(ok, `"value": "ALARM"`, `"value": null`, 1), "detail.state.value", "required"},
		{"bad state", strings.Replace(ok, `"value": "ALARM"`, `"value": "RED"`, 1), "detail.state.value", "must be"},
		{"resources not array", `{"source":"aws.cloudwatch","detail-type":"CloudWatch Alarm State Change","resources":"arn:x","detail":{"alarmName":"a","state":{"value":"ALARM"}}}`, "resources", "must be an array"},
		{"resource not string", strings.Replace(ok, `"arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:db01-cpu-high"`, `{}`, 1), "resources[0]", "must be a string"},
		{"metric not object", strings.Replace(ok, `"metrics": [`, `"metrics": [1,`, 1), "detail.configuration.metrics[0]", "must be an object"},
		{"no system", strings.Replace(ok, `"alarmTags": {"system": "XYZ"},`, ``, 1), "system", "no system given"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := CloudWatchEvent([]byte(c.body), Options{})
			wantFieldError(t, got, err, c.field, c.msg)
		})
	}
	var reason string
	body := strings.Replace(ok, `"value": "ALARM"`, `"value": "INSUFFICIENT_DATA"`, 1)
	got, err := CloudWatchEvent([]byte(body), Options{OnIgnore: func(r string) { reason = r }})
	if err != nil || got != nil || reason == "" {
		t.Errorf("INSUFFICIENT_DATA: got %#v, %v, reason %q; want nothing, with a reason", got, err, reason)
	}
}
