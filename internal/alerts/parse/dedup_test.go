package parse

import (
	"strings"
	"testing"
)

// TestDerivedDedupKeyIgnoresTime: when the sender gives no key, the key is
// derived from what identifies the problem — never from when it started.
// A monitor that re-sends the same problem with a later start time (a
// re-check, a flapping service, an alarm that re-entered ALARM) must hit
// the same alert, or every re-send would open a new one and phone people
// again; a different problem must get a different key.
//
// Every parser is covered, including those whose key the sender gives
// (Zabbix's event id, an alarm's ARN): the same problem re-parsed with
// every time field changed keeps its key, and StartedAt does change (the
// time field was really read), so the test cannot pass vacuously.
func TestDerivedDedupKeyIgnoresTime(t *testing.T) {
	t.Parallel()
	o := Options{Location: jst}
	type variant map[string]string
	for _, c := range []struct {
		name  string
		body  string // with {{...}} placeholders
		parse func(body []byte) ([]Signal, error)
		// early and late are the same problem at two start times;
		// other is a different problem.
		early, late, other variant
	}{
		{
			name:  "seed: host/service",
			body:  `{"alertinfo":[{"host":"server1","service":"{{svc}}","lastcheck":"{{t}}","systemname":"XYZ"}]}`,
			parse: func(b []byte) ([]Signal, error) { return Seed(b, o) },
			early: variant{"svc": "CPU Utilization", "t": "2023-10-03 13:20:52"},
			late:  variant{"svc": "CPU Utilization", "t": "2023-10-03 14:05:10"},
			other: variant{"svc": "Disk", "t": "2023-10-03 13:20:52"},
		},
		{
			name:  "native without dedup_key: hash of host, service, summary",
			body:  `{"system":"XYZ","summary":"Disk /var 95% full on db1","host":"db1","service":"{{svc}}","started_at":"{{t}}"}`,
			parse: func(b []byte) ([]Signal, error) { return Native(b, o) },
			early: variant{"svc": "disk /var", "t": "2024-05-01T09:00:00+09:00"},
			late:  variant{"svc": "disk /var", "t": "2024-05-01T09:45:30.5+09:00"},
			other: variant{"svc": "disk /home", "t": "2024-05-01T09:00:00+09:00"},
		},
		{
			name: "alertmanager without fingerprint: hash of the labels",
			body: `{"alerts":[{"status":"firing","labels":{"alertname":"HostHighCpuLoad","instance":"{{inst}}","severity":"critical","system":"XYZ"},
				"annotations":{"summary":"CPU load above 90%"},"startsAt":"{{t}}","endsAt":"{{end}}"}]}`,
			parse: func(b []byte) ([]Signal, error) { return Alertmanager(b, o) },
			early: variant{"inst": "web01:9100", "t": "2024-05-01T08:51:03.157076+02:00", "end": "0001-01-01T00:00:00Z"},
			late:  variant{"inst": "web01:9100", "t": "2024-05-01T10:02:44Z", "end": "2024-05-01T10:07:44Z"},
			other: variant{"inst": "web02:9100", "t": "2024-05-01T08:51:03.157076+02:00", "end": "0001-01-01T00:00:00Z"},
		},
		{
			name:  "zabbix: the event id",
			body:  `{"eventid":"{{id}}","eventvalue":"1","eventname":"High CPU","hostname":"web01","system":"XYZ","eventdate":"{{d}}","eventtime":"{{t}}"}`,
			parse: func(b []byte) ([]Signal, error) { return Zabbix(b, o) },
			early: variant{"id": "4518263", "d": "2023.10.03", "t": "13:20:52"},
			late:  variant{"id": "4518263", "d": "2023.10.04", "t": "08:00:00"},
			other: variant{"id": "4518264", "d": "2023.10.03", "t": "13:20:52"},
		},
		{
			name: "nagios service: host/service",
			body: "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=web01&SERVICEDESC={{svc}}&SERVICESTATE=CRITICAL&SYSTEM=XYZ" +
				"&LASTSERVICESTATECHANGE={{change}}&TIMET={{timet}}&LONGDATETIME={{long}}",
			parse: func(b []byte) ([]Signal, error) { return Nagios(b, formType, o) },
			early: variant{"svc": "HTTP", "change": "1696306852", "timet": "1696306912", "long": "Tue+Oct+3+13:21:52+JST+2023"},
			late:  variant{"svc": "HTTP", "change": "1696310000", "timet": "1696310060", "long": "Tue+Oct+3+14:14:20+JST+2023"},
			other: variant{"svc": "SSH", "change": "1696306852", "timet": "1696306912", "long": "Tue+Oct+3+13:21:52+JST+2023"},
		},
		{
			name:  "nagios host without NOTIFICATIONTYPE, time from TIMET: the host",
			body:  "HOSTNAME={{host}}&HOSTSTATE=DOWN&SYSTEM=XYZ&TIMET={{timet}}",
			parse: func(b []byte) ([]Signal, error) { return Nagios(b, formType, o) },
			early: variant{"host": "db01", "timet": "1696306920"},
			late:  variant{"host": "db01", "timet": "1696393320"},
			other: variant{"host": "db02", "timet": "1696306920"},
		},
		{
			name: "cloudwatch SNS: the alarm ARN",
			body: `{"AlarmName":"{{name}}","AlarmArn":"arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:{{name}}","NewStateValue":"ALARM",
				"StateChangeTime":"{{t}}","AWSAccountId":"123456789012","Region":"Asia Pacific (Tokyo)","AlarmTags":{"system":"XYZ"}}`,
			parse: func(b []byte) ([]Signal, error) { return CloudWatch(b, o) },
			early: variant{"name": "prod-api-5xx-rate", "t": "2024-05-01T00:59:12.410+0000"},
			late:  variant{"name": "prod-api-5xx-rate", "t": "2024-05-02T03:10:00.000+0000"},
			other: variant{"name": "prod-api-latency", "t": "2024-05-01T00:59:12.410+0000"},
		},
		{
			name: "cloudwatch SNS without AlarmArn: account/region/name",
			body: `{"AlarmName":"{{name}}","NewStateValue":"ALARM","StateChangeTime":"{{t}}","AWSAccountId":"123456789012",
				"Region":"Asia Pacific (Tokyo)","AlarmTags":{"system":"XYZ"}}`,
			parse: func(b []byte) ([]Signal, error) { return CloudWatch(b, o) },
			early: variant{"name": "prod-api-5xx-rate", "t": "2024-05-01T00:59:12.410+0000"},
			late:  variant{"name": "prod-api-5xx-rate", "t": "2024-05-02T03:10:00.000+0000"},
			other: variant{"name": "prod-api-latency", "t": "2024-05-01T00:59:12.410+0000"},
		},
		{
			name: "cloudwatch EventBridge without resources: account/region/name",
			body: `{"id":"{{id}}","detail-type":"CloudWatch Alarm State Change","source":"aws.cloudwatch","account":"123456789012",
				"time":"{{t}}","region":"ap-northeast-1","resources":[],"detail":{"alarmName":"{{name}}",
				"state":{"value":"ALARM","timestamp":"{{ts}}"},"previousState":{"value":"OK","timestamp":"{{prev}}"},"alarmTags":{"system":"XYZ"}}}`,
			parse: func(b []byte) ([]Signal, error) { return CloudWatchEvent(b, o) },
			early: variant{"id": "7bf73129", "name": "db01-cpu-high", "t": "2024-05-01T01:04:40Z", "ts": "2024-05-01T01:04:40.985+0000", "prev": "2024-05-01T00:59:40.118+0000"},
			late:  variant{"id": "0c4e77d2", "name": "db01-cpu-high", "t": "2024-05-03T07:00:00Z", "ts": "2024-05-03T07:00:00.001+0000", "prev": "2024-05-03T06:55:00.000+0000"},
			other: variant{"id": "7bf73129", "name": "db02-cpu-high", "t": "2024-05-01T01:04:40Z", "ts": "2024-05-01T01:04:40.985+0000", "prev": "2024-05-01T00:59:40.118+0000"},
		},
		{
			name: "cloudwatch EventBridge: the alarm ARN",
			body: `{"id":"{{id}}","detail-type":"CloudWatch Alarm State Change","source":"aws.cloudwatch","account":"123456789012",
				"time":"{{t}}","region":"ap-northeast-1","resources":["arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:{{name}}"],
				"detail":{"alarmName":"{{name}}","state":{"value":"ALARM","timestamp":"{{ts}}"},"alarmTags":{"system":"XYZ"}}}`,
			parse: func(b []byte) ([]Signal, error) { return CloudWatchEvent(b, o) },
			early: variant{"id": "7bf73129", "name": "db01-cpu-high", "t": "2024-05-01T01:04:40Z", "ts": "2024-05-01T01:04:40.985+0000"},
			late:  variant{"id": "0c4e77d2", "name": "db01-cpu-high", "t": "2024-05-03T07:00:00Z", "ts": "2024-05-03T07:00:00.001+0000"},
			other: variant{"id": "7bf73129", "name": "db02-cpu-high", "t": "2024-05-01T01:04:40Z", "ts": "2024-05-01T01:04:40.985+0000"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			one := func(v variant) Signal {
				t.Helper()
				body := c.body
				for k, x := range v {
					body = strings.ReplaceAll(body, "{{"+k+"}}", x)
				}
				if strings.Contains(body, "{{") {
					t.Fatalf("placeholder left in %s", body)
				}
				sigs, err := c.parse([]byte(body))
				if err != nil || len(sigs) != 1 {
					t.Fatalf("%s: %v, %d signals", body, err, len(sigs))
				}
				return sigs[0]
			}
			early, late, other := one(c.early), one(c.late), one(c.other)
			if early.StartedAt.IsZero() || early.StartedAt.Equal(late.StartedAt) {
				t.Fatalf("StartedAt %v and %v: the variants must start at different, readable times", early.StartedAt, late.StartedAt)
			}
			if early.DedupKey != late.DedupKey {
				t.Errorf("same problem, later start: DedupKey %q became %q", early.DedupKey, late.DedupKey)
			}
			if other.DedupKey == early.DedupKey {
				t.Errorf("a different problem got the same DedupKey %q", other.DedupKey)
			}
		})
	}
}
