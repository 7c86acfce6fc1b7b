package lambdafwd_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/opsdesk/opsdesk/internal/events/payload"
	"github.com/opsdesk/opsdesk/internal/events/samples"
	"github.com/opsdesk/opsdesk/internal/lambdafwd"
)

// Every sample of the catalog, invoked as its trigger would, ends up stored
// by a real opsdesk with via=lambda, and the function answers in the form
// its trigger expects.
func TestForwardsEverySample(t *testing.T) {
	t.Parallel()
	o := startOpsdesk(t, "")
	r := newRig(t, o.URL, lambdafwd.StaticToken(o.token), o.token)

	wantTrigger := map[string]string{
		"s3-put": lambdafwd.TriggerS3, "s3-delete": lambdafwd.TriggerS3,
		"scheduled":       lambdafwd.TriggerEventBridge,
		"dynamodb-insert": lambdafwd.TriggerDynamoDB, "dynamodb-modify": lambdafwd.TriggerDynamoDB, "dynamodb-remove": lambdafwd.TriggerDynamoDB,
		"sns": lambdafwd.TriggerSNS, "sqs": lambdafwd.TriggerSQS,
		"alarm-state-change": lambdafwd.TriggerEventBridge, "support-case-update": lambdafwd.TriggerEventBridge,
		"connect-contact-event": lambdafwd.TriggerEventBridge,
		"health-issue":          lambdafwd.TriggerEventBridge, "health-issue-closed": lambdafwd.TriggerEventBridge,
		"health-scheduled-change": lambdafwd.TriggerEventBridge, "health-account-notification": lambdafwd.TriggerEventBridge,
	}
	list := samples.List()
	if len(list) != len(wantTrigger) {
		t.Fatalf("the catalog has %d samples, this test knows %d: add the new ones", len(list), len(wantTrigger))
	}
	want := map[string]payload.Event{}
	for _, s := range list {
		body, err := samples.Get(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := payload.Parse(body)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		for _, ev := range parsed.Events {
			want[ev.Source+"/"+ev.ID] = ev
		}

		out, err := r.invoke(t, body)
		if err != nil {
			t.Fatalf("%s: %v\n%s", s.Name, err, r.log)
		}
		switch wantTrigger[s.Name] {
		case lambdafwd.TriggerSQS:
			resp, ok := out.(events.SQSEventResponse)
			if !ok || resp.BatchItemFailures == nil || len(resp.BatchItemFailures) != 0 {
				t.Errorf("%s: answer %#v, want an SQSEventResponse with no failures", s.Name, out)
			}
		case lambdafwd.TriggerDynamoDB:
			resp, ok := out.(events.DynamoDBEventResponse)
			if !ok || resp.BatchItemFailures == nil || len(resp.BatchItemFailures) != 0 {
				t.Errorf("%s: answer %#v, want a DynamoDBEventResponse with no failures", s.Name, out)
			}
		default:
			sum, ok := out.(*lambdafwd.Summary)
			if !ok {
				t.Fatalf("%s: answer %#v, want a *Summary", s.Name, out)
			}
			if sum.Trigger != wantTrigger[s.Name] || sum.Accepted != len(parsed.Events) || sum.Duplicates != 0 || sum.Rejected != 0 {
				t.Errorf("%s: summary %+v, want trigger %s and %d accepted", s.Name, *sum, wantTrigger[s.Name], len(parsed.Events))
			}
		}
	}

	got := o.events(t)
	if len(got) != len(want) {
		t.Errorf("stored %d events, want %d: %v", len(got), len(want), got)
	}
	for key, ev := range want {
		g, ok := got[key]
		if !ok {
			t.Errorf("event %s (%s) not stored", key, ev.DetailType)
			continue
		}
		if g.DetailType != ev.DetailType || g.Via != "lambda" {
			t.Errorf("event %s stored as %+v, want detail_type %q via lambda", key, g, ev.DetailType)
		}
	}

	// A second delivery of every sample (a Lambda retry) stores nothing new.
	for _, s := range list {
		body, _ := samples.Get(s.Name)
		if _, err := r.invoke(t, body); err != nil {
			t.Fatalf("%s again: %v", s.Name, err)
		}
	}
	if again := o.events(t); len(again) != len(want) {
		t.Errorf("after redelivery %d events are stored, want %d", len(again), len(want))
	}
	sums := r.log.lines(t, "forwarded to opsdesk")
	if len(sums) != 2*len(list) {
		t.Fatalf("%d summary log lines, want one per invocation (%d)", len(sums), 2*len(list))
	}
	last := sums[len(sums)-1]
	if last["duplicates"] != float64(1) || last["accepted"] != float64(0) || last["trigger"] != lambdafwd.TriggerEventBridge {
		t.Errorf("summary of the redelivered last sample: %v", last)
	}
}

// The handler's signature and answers work with aws-lambda-go's own
// invocation path: the raw payload in, the partial batch response out as
// Lambda reads it.
func TestThroughLambdaRuntimeHandler(t *testing.T) {
	t.Parallel()
	o := startOpsdesk(t, "")
	r := newRig(t, o.URL, lambdafwd.StaticToken(o.token), o.token)
	body, err := samples.Get("sqs")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := lambda.NewHandler(r.h.Invoke).Invoke(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	var resp map[string]json.RawMessage
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	if string(resp["batchItemFailures"]) != "[]" {
		t.Errorf("answer %s, want batchItemFailures: []", out)
	}
	if got := o.events(t)["aws.sqs/059f36b4-87a3-44ab-83d2-661975830a7d"]; got.Via != "lambda" || got.DetailType != "SQS Message" {
		t.Errorf("stored %+v", got)
	}
}
