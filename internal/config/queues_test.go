package config

import (
	"strings"
	"testing"
	"time"
)

func TestQueuesDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(`
aws:
  accounts: [{name: prod}]
  queues:
    - {name: ops, account: prod, url: 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/opsdesk'}
    - {name: legacy, url: 'https://eu-west-1.queue.amazonaws.com/123456789012/x', kind: alarms, wait: 5s, visibility: 2m, max_receives: 10, on_dead_letter: leave, concurrency: 3}
`))
	if err != nil {
		t.Fatal(err)
	}
	q := cfg.AWS.Queues[0]
	if q.Region != "ap-northeast-1" || q.Kind != "auto" || q.Wait.D() != 20*time.Second || q.Visibility.D() != time.Minute ||
		q.MaxReceives != 5 || q.OnDeadLetter != "delete" || q.Concurrency != 1 {
		t.Errorf("defaults %+v", q)
	}
	q = cfg.AWS.Queues[1]
	if q.Region != "eu-west-1" || q.Kind != "alarms" || q.Wait.D() != 5*time.Second || q.Visibility.D() != 2*time.Minute ||
		q.MaxReceives != 10 || q.OnDeadLetter != "leave" || q.Concurrency != 3 {
		t.Errorf("set %+v", q)
	}
}

func TestQueuesErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	const u = "url: 'https://sqs.us-east-1.amazonaws.com/123456789012/q'"
	for _, c := range []struct{ name, yaml, want string }{
		{"no name", "{" + u + "}", "aws.queues[0].name"},
		{"dup name", "{name: a, " + u + "}\n    - {name: a, " + u + "}", "aws.queues[1].name"},
		{"unknown account", "{name: a, account: nope, " + u + "}", "aws.queues[0].account"},
		{"no url", "{name: a}", "aws.queues[0].url"},
		{"bad url", "{name: a, url: 'sqs/q'}", "aws.queues[0].url"},
		{"no region", "{name: a, url: 'http://127.0.0.1:9324/000000000000/q'}", "aws.queues[0].region"},
		{"bad region", "{name: a, region: 'US East', " + u + "}", "aws.queues[0].region"},
		{"bad kind", "{name: a, kind: logs, " + u + "}", "aws.queues[0].kind"},
		{"long wait", "{name: a, wait: 30s, " + u + "}", "aws.queues[0].wait"},
		{"fractional wait", "{name: a, wait: 1500ms, " + u + "}", "aws.queues[0].wait"},
		{"short visibility", "{name: a, visibility: 1s, " + u + "}", "aws.queues[0].visibility"},
		{"max receives", "{name: a, max_receives: -1, " + u + "}", "aws.queues[0].max_receives"},
		{"dead letter", "{name: a, on_dead_letter: keep, " + u + "}", "aws.queues[0].on_dead_letter"},
		{"concurrency", "{name: a, concurrency: 100, " + u + "}", "aws.queues[0].concurrency"},
		{"system", "{name: a, system: 'a b', " + u + "}", "aws.queues[0].system"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte("aws:\n  queues:\n    - " + c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v does not name %s", err, c.want)
			}
		})
	}
}
