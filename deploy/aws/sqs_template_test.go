package aws_test

import (
	"slices"
	"testing"
)

// TestSQSTemplate checks sqs-intake.yaml like opsdesk.yaml (references,
// resource types, no wildcard IAM) and pins what docs/sqs.md promises: a
// redrive to the dead-letter queue, a rule for the AWS events opsdesk
// routes, a queue policy that admits only that rule (and the alarm
// topic), and a consumer policy of exactly four actions on the queue.
func TestSQSTemplate(t *testing.T) {
	t.Parallel()
	tpl := load(t, "sqs-intake.yaml")
	c := check(tpl)
	for _, p := range c.problems {
		t.Error(p)
	}
	if c.refs < 8 || c.getAtts < 8 || c.nStatements < 4 {
		t.Errorf("checked too little: %d refs, %d GetAtts, %d statements", c.refs, c.getAtts, c.nStatements)
	}
	res := get(tpl.root, "Resources")
	if get(res, "IntakeQueue", "Properties", "RedrivePolicy", "deadLetterTargetArn") == nil {
		t.Error("the queue has no redrive policy")
	}
	sources := scalars(get(res, "IntakeRule", "Properties", "EventPattern", "source"))
	for _, s := range []string{"aws.health", "aws.support", "aws.cloudwatch", "aws.s3"} {
		if !slices.Contains(sources, s) {
			t.Errorf("the rule does not send %s", s)
		}
	}
	actions := scalars(get(get(res, "ConsumerPolicy", "Properties", "PolicyDocument", "Statement").Content[0], "Action"))
	want := []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"}
	if !slices.Equal(actions, want) {
		t.Errorf("consumer actions %v, want %v", actions, want)
	}
	st := get(res, "IntakeQueuePolicy", "Properties", "PolicyDocument", "Statement")
	if st == nil || len(st.Content) != 3 {
		t.Fatal("queue policy statements")
	}
	if get(st.Content[0], "Condition", "ArnEquals", "aws:SourceArn") == nil {
		t.Error("the EventBridge statement is not limited to the rule")
	}
	for _, out := range []string{"QueueUrl", "ConsumerPolicyArn", "ConfigSnippet"} {
		if get(tpl.root, "Outputs", out) == nil {
			t.Errorf("Outputs.%s is missing", out)
		}
	}
}
