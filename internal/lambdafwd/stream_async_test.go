package lambdafwd_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/opsdesk/opsdesk/internal/events/samples"
	"github.com/opsdesk/opsdesk/internal/lambdafwd"
)

// ddbRecord returns the dynamodb-insert sample's record with its own
// eventID and sequence number.
func ddbRecord(t *testing.T, eventID, seq, eventName string) map[string]any {
	t.Helper()
	body, err := samples.Get("dynamodb-insert")
	if err != nil {
		t.Fatal(err)
	}
	var b struct{ Records []map[string]any }
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	rec := b.Records[0]
	rec["eventID"], rec["eventName"] = eventID, eventName
	rec["dynamodb"].(map[string]any)["SequenceNumber"] = seq
	return rec
}

// A stream record opsdesk rejects is reported by its sequence number (the
// item identifier of a stream's partial batch response), the first
// rejected one only: Lambda resumes from there. The others are stored.
func TestDynamoDBRejectedRecordIsTheCheckpoint(t *testing.T) {
	t.Parallel()
	o := startOpsdesk(t, "")
	r := newRig(t, o.URL, lambdafwd.StaticToken(o.token), o.token)
	out, err := r.invoke(t, batch(t,
		ddbRecord(t, "ev-1", "100", "INSERT"),
		ddbRecord(t, "ev-2", "200", "UPSERT"), // not a stream event name
		ddbRecord(t, "ev-3", "300", "MODIFY"),
		ddbRecord(t, "ev-4", "400", "TRUNCATE"),
	))
	if err != nil {
		t.Fatal(err)
	}
	resp, ok := out.(events.DynamoDBEventResponse)
	if !ok {
		t.Fatalf("answer %#v", out)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "200" {
		t.Errorf("batch item failures %+v, want the one sequence number 200", resp.BatchItemFailures)
	}
	stored := o.events(t)
	if stored["aws.dynamodb/ev-1"].DetailType != "INSERT" || stored["aws.dynamodb/ev-3"].DetailType != "MODIFY" || len(stored) != 2 {
		t.Errorf("stored %v, want ev-1 and ev-3", stored)
	}
	if rej := r.log.lines(t, "rejected a record"); len(rej) != 2 || rej[0]["id"] != "ev-2" || rej[1]["id"] != "ev-4" {
		t.Errorf("rejections logged: %v", rej)
	}
}

// A stream batch that could not be delivered fails the invocation: Lambda
// retries it in order (and, past the retry limit, sends it to the
// on-failure destination).
func TestDynamoDBUndeliveredIsAnError(t *testing.T) {
	t.Parallel()
	g := newGate(t, "", status(503, ""), status(503, ""))
	r := newRig(t, g.URL, lambdafwd.StaticToken("tok-ddb"), "tok-ddb")
	r.h.MaxAttempts = 2
	body, _ := samples.Get("dynamodb-modify")
	out, err := r.invoke(t, body)
	var de *lambdafwd.DeliveryError
	if !errors.As(err, &de) || de.Status != 503 || de.Attempts != 2 {
		t.Fatalf("error %v, want a DeliveryError after 2 attempts of 503", err)
	}
	if resp, ok := out.(events.DynamoDBEventResponse); !ok || len(resp.BatchItemFailures) != 0 {
		t.Errorf("answer %#v", out)
	}
	if g.requests.Load() != 2 {
		t.Errorf("%d requests, want 2", g.requests.Load())
	}
}

// S3 (an asynchronous invocation) that could not be delivered returns an
// error, so Lambda's async retries and on-failure destination apply.
func TestS3UndeliveredIsAnError(t *testing.T) {
	t.Parallel()
	g := newGate(t, "", status(404, ""))
	r := newRig(t, g.URL, lambdafwd.StaticToken("tok-s3"), "tok-s3")
	body, _ := samples.Get("s3-put")
	_, err := r.invoke(t, body)
	var de *lambdafwd.DeliveryError
	if !errors.As(err, &de) || de.Status != 404 {
		t.Fatalf("error %v, want a DeliveryError with status 404", err)
	}
	if g.requests.Load() != 1 {
		t.Errorf("a 404 was retried: %d requests", g.requests.Load())
	}
}

// An S3 record opsdesk rejects as malformed is logged and the invocation
// succeeds: retrying the same body cannot succeed.
func TestS3MalformedIsLoggedNotRetried(t *testing.T) {
	t.Parallel()
	o := startOpsdesk(t, "")
	g := newGate(t, o.URL)
	r := newRig(t, g.URL, lambdafwd.StaticToken(o.token), o.token)
	body, _ := samples.Get("s3-put")
	var b struct{ Records []map[string]any }
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	delete(b.Records[0]["s3"].(map[string]any)["bucket"].(map[string]any), "name")
	out, err := r.invoke(t, batch(t, b.Records[0]))
	if err != nil {
		t.Fatalf("a rejected record failed the invocation: %v", err)
	}
	sum := out.(*lambdafwd.Summary)
	if sum.Rejected != 1 || sum.Accepted != 0 || sum.Trigger != lambdafwd.TriggerS3 {
		t.Errorf("summary %+v", *sum)
	}
	if g.requests.Load() != 1 {
		t.Errorf("%d requests, want 1 (no retry of a 400)", g.requests.Load())
	}
	rej := r.log.lines(t, "rejected a record")
	if len(rej) != 1 || !strings.Contains(rej[0]["field"].(string), "s3.bucket.name") {
		t.Errorf("rejection log %v", rej)
	}
}

// An EventBridge event opsdesk refuses as a whole (no source) is logged,
// not retried; an unknown payload likewise.
func TestEventBridgeRefusedIsLogged(t *testing.T) {
	t.Parallel()
	o := startOpsdesk(t, "")
	r := newRig(t, o.URL, lambdafwd.StaticToken(o.token), o.token)
	out, err := r.invoke(t, []byte(`{"version":"0","id":"x-1","detail-type":"Thing Happened","detail":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if sum := out.(*lambdafwd.Summary); sum.Rejected != 1 || sum.Trigger != lambdafwd.TriggerEventBridge {
		t.Errorf("summary %+v", *sum)
	}
	out, err = r.invoke(t, []byte(`{"hello":"world"}`))
	if err != nil {
		t.Fatal(err)
	}
	if sum := out.(*lambdafwd.Summary); sum.Rejected != 1 || sum.Trigger != lambdafwd.TriggerUnknown {
		t.Errorf("summary %+v", *sum)
	}
	rej := r.log.lines(t, "rejected a record")
	if len(rej) != 2 || rej[0]["field"] != "source" || !strings.Contains(rej[1]["reason"].(string), "HTTP 400") {
		t.Errorf("rejections %v", rej)
	}
	if n := len(o.events(t)); n != 0 {
		t.Errorf("%d events stored", n)
	}
}
