package lambdafwd_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/opsdesk/opsdesk/internal/lambdafwd"
)

func failures(t *testing.T, out any) []string {
	t.Helper()
	resp, ok := out.(events.SQSEventResponse)
	if !ok {
		t.Fatalf("answer %#v, want an events.SQSEventResponse", out)
	}
	if resp.BatchItemFailures == nil {
		t.Fatal("BatchItemFailures is nil; want a list, empty when all succeeded")
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// A message opsdesk cannot decode (SentTimestamp that is not a time) comes
// back as the one batch item failure; its neighbours are stored.
func TestSQSMalformedMessageIsTheOnlyFailure(t *testing.T) {
	t.Parallel()
	o := startOpsdesk(t, "")
	r := newRig(t, o.URL, lambdafwd.StaticToken(o.token), o.token)

	bad := sqsMessage("bad-2", `{"host":"db-02"}`)
	bad["attributes"].(map[string]string)["SentTimestamp"] = "yesterday"
	out, err := r.invoke(t, batch(t,
		sqsMessage("good-1", `{"host":"db-01"}`),
		bad,
		sqsMessage("good-3", "plain text body"),
	))
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); !slices.Equal(got, []string{"bad-2"}) {
		t.Errorf("batch item failures %v, want [bad-2]", got)
	}
	stored := o.events(t)
	for _, id := range []string{"good-1", "good-3"} {
		if e := stored["aws.sqs/"+id]; e.Via != "lambda" || e.DetailType != "SQS Message" {
			t.Errorf("%s stored as %+v", id, e)
		}
	}
	if _, ok := stored["aws.sqs/bad-2"]; ok || len(stored) != 2 {
		t.Errorf("stored %v, want only good-1 and good-3", stored)
	}
	rej := r.log.lines(t, "rejected a record")
	if len(rej) != 1 || rej[0]["id"] != "bad-2" || !strings.Contains(fmt.Sprint(rej[0]["reason"]), "SentTimestamp") || rej[0]["index"] != float64(1) {
		t.Errorf("rejection log %v", rej)
	}
	if s := r.log.lines(t, "some records rejected"); len(s) != 1 || s[0]["item_failures"] != float64(1) || s[0]["accepted"] != float64(2) {
		t.Errorf("summary %v", s)
	}
}

// When every message is malformed opsdesk answers 400 with each listed; all
// of them are failures (they go back to the queue, then to its DLQ).
func TestSQSAllMalformed(t *testing.T) {
	t.Parallel()
	o := startOpsdesk(t, "")
	r := newRig(t, o.URL, lambdafwd.StaticToken(o.token), o.token)
	a, b := sqsMessage("m-a", "x"), sqsMessage("m-b", "y")
	a["body"], b["attributes"] = 42, "none"
	out, err := r.invoke(t, batch(t, a, b))
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); !slices.Equal(got, []string{"m-a", "m-b"}) {
		t.Errorf("failures %v, want [m-a m-b]", got)
	}
	if n := len(o.events(t)); n != 0 {
		t.Errorf("%d events stored, want none", n)
	}
}

// When opsdesk cannot be reached at all, every message is a failure, so SQS
// delivers them again; the function itself does not fail.
func TestSQSUnreachableFailsEveryMessage(t *testing.T) {
	t.Parallel()
	g := newGate(t, "", status(500, ""), status(502, ""), status(503, ""), status(500, ""), status(500, ""), status(500, ""))
	r := newRig(t, g.URL, lambdafwd.StaticToken("t0k3n-unreachable"), "t0k3n-unreachable")
	out, err := r.invoke(t, batch(t, sqsMessage("u-1", "a"), sqsMessage("u-2", "b")))
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); !slices.Equal(got, []string{"u-1", "u-2"}) {
		t.Errorf("failures %v, want both messages", got)
	}
	if n := g.requests.Load(); n != lambdafwd.DefaultMaxAttempts {
		t.Errorf("%d requests, want %d attempts", n, lambdafwd.DefaultMaxAttempts)
	}
	if s := r.log.lines(t, "forwarding to opsdesk failed"); len(s) != 1 || s[0]["undelivered"] != float64(2) {
		t.Errorf("summary %v", s)
	}
}

// A batch larger than MaxBody goes in several posts, each under the limit.
func TestSQSLargeBatchIsSplitUnderMaxBody(t *testing.T) {
	t.Parallel()
	o := startOpsdesk(t, "")
	g := newGate(t, o.URL)
	r := newRig(t, g.URL, lambdafwd.StaticToken(o.token), o.token)
	r.h.MaxBody = 4000
	var msgs []any
	for i := range 9 {
		msgs = append(msgs, sqsMessage(fmt.Sprintf("big-%d", i), strings.Repeat("x", 1000)))
	}
	out, err := r.invoke(t, batch(t, msgs...))
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); len(got) != 0 {
		t.Errorf("failures %v", got)
	}
	if n := g.requests.Load(); n < 3 {
		t.Errorf("%d posts, want at least 3 for 9 messages of ~1.6 kB under 4000 bytes", n)
	}
	total := 0
	for _, b := range g.bodies {
		if len(b) > 4000 {
			t.Errorf("a post of %d bytes exceeds MaxBody", len(b))
		}
		var body struct{ Records []json.RawMessage }
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatalf("posted body is not a Records batch: %v", err)
		}
		total += len(body.Records)
	}
	if total != 9 {
		t.Errorf("posted %d records, want 9 (each once)", total)
	}
	if n := len(o.events(t)); n != 9 {
		t.Errorf("%d events stored, want 9", n)
	}
}

// A server with a smaller body limit than the function's answers 413; the
// batch is halved until it fits.
func TestSQSSplitsOn413(t *testing.T) {
	t.Parallel()
	o := startOpsdesk(t, "events:\n  max_body_bytes: 4096\n")
	g := newGate(t, o.URL)
	r := newRig(t, g.URL, lambdafwd.StaticToken(o.token), o.token)
	var msgs []any
	for i := range 6 {
		msgs = append(msgs, sqsMessage(fmt.Sprintf("s-%d", i), strings.Repeat("y", 900)))
	}
	out, err := r.invoke(t, batch(t, msgs...))
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); len(got) != 0 {
		t.Errorf("failures %v", got)
	}
	if n := len(o.events(t)); n != 6 {
		t.Errorf("%d events stored, want 6", n)
	}
	if len(r.log.lines(t, "splitting")) == 0 || g.requests.Load() < 3 {
		t.Errorf("want a 413 and a split; %d requests, log:\n%s", g.requests.Load(), r.log)
	}
}

// A single message the server finds too large is a failure of its own.
func TestSQSMessageTooLargeForServer(t *testing.T) {
	t.Parallel()
	o := startOpsdesk(t, "events:\n  max_body_bytes: 2048\n")
	r := newRig(t, o.URL, lambdafwd.StaticToken(o.token), o.token)
	out, err := r.invoke(t, batch(t, sqsMessage("small", "ok"), sqsMessage("huge", strings.Repeat("z", 3000))))
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); !slices.Equal(got, []string{"huge"}) {
		t.Errorf("failures %v, want [huge]", got)
	}
	if _, ok := o.events(t)["aws.sqs/small"]; !ok {
		t.Error("the small message was not stored")
	}
}
