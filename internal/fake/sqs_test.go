package fake_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/opsdesk/opsdesk/internal/fake"
)

func sqsClient(sq *fake.SQS, creds aws.CredentialsProvider) *sqs.Client {
	return sqs.New(sqs.Options{Region: sq.Region(), Credentials: creds, BaseEndpoint: aws.String(sq.URL()),
		Retryer: aws.NopRetryer{}})
}

// TestSQSProtocol drives the fake with the SDK for Go v2: send, a long poll
// that returns as soon as a message arrives, visibility timeouts and
// receive counts, visibility changes, batch deletes with a stale receipt
// handle, and the SDK's typed errors.
func TestSQSProtocol(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sq := fake.NewSQS(t)
	url := sq.CreateQueue("q")
	c := sqsClient(sq, sq.Credentials())

	out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(`{"hello":"世界"}`)})
	if err != nil || aws.ToString(out.MessageId) == "" {
		t.Fatalf("send: %+v %v", out, err) // the SDK also checked MD5OfMessageBody
	}
	recv := func(wait, vis int32) []types.Message {
		t.Helper()
		r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: wait, VisibilityTimeout: vis,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}})
		if err != nil {
			t.Fatal(err)
		}
		return r.Messages
	}
	ms := recv(0, 30)
	if len(ms) != 1 || aws.ToString(ms[0].Body) != `{"hello":"世界"}` || ms[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("received %+v", ms)
	}
	first := ms[0].ReceiptHandle
	if ms := recv(0, 30); len(ms) != 0 {
		t.Fatal("an invisible message was received")
	}
	sq.Expire()
	ms = recv(0, 30)
	if len(ms) != 1 || ms[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("redelivery %+v", ms)
	}
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: ms[0].ReceiptHandle, VisibilityTimeout: 60}); err != nil {
		t.Fatal(err)
	}
	var rhe *types.ReceiptHandleIsInvalid
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: first, VisibilityTimeout: 60}); !errors.As(err, &rhe) {
		t.Errorf("stale handle: %v", err)
	}
	del, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("old"), ReceiptHandle: first}, {Id: aws.String("new"), ReceiptHandle: ms[0].ReceiptHandle}}})
	if err != nil || len(del.Successful) != 1 || aws.ToString(del.Successful[0].Id) != "new" || len(del.Failed) != 1 ||
		aws.ToString(del.Failed[0].Id) != "old" || aws.ToString(del.Failed[0].Code) != "ReceiptHandleIsInvalid" || !del.Failed[0].SenderFault {
		t.Fatalf("batch delete %+v %v", del, err)
	}

	// A long poll returns as soon as a message arrives.
	got := make(chan []types.Message, 1)
	begin := time.Now()
	go func() { got <- recv(20, 30) }()
	sq.WaitOp(t, "DeleteMessageBatch", 1, time.Second)
	id := sq.Send("q", "late")
	select {
	case ms := <-got:
		if len(ms) != 1 || aws.ToString(ms[0].MessageId) != id || time.Since(begin) > 15*time.Second {
			t.Fatalf("long poll %+v after %v", ms, time.Since(begin))
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the long poll did not return when a message arrived")
	}

	// Typed errors.
	var qdne *types.QueueDoesNotExist
	if _, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(sq.URL() + "/123456789012/nope")}); !errors.As(err, &qdne) {
		t.Errorf("missing queue: %v", err)
	}
	if _, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 11}); err == nil || !strings.Contains(err.Error(), "MaxNumberOfMessages") {
		t.Errorf("11 messages: %v", err)
	}
	if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{}}); err == nil {
		t.Error("an empty batch was accepted")
	}
	bad := sqsClient(sq, credentials.NewStaticCredentialsProvider(fake.SQSAccessKeyID, "wrong-secret", ""))
	if _, err := bad.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)}); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("bad signature: %v", err)
	}
	u, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("q")})
	if err != nil || aws.ToString(u.QueueUrl) != url {
		t.Errorf("GetQueueUrl %v %v", u, err)
	}
	at, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil || at.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" {
		t.Errorf("attributes %v %v", at, err)
	}
}
