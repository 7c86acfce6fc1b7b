package payload

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics and that what it returns holds
// together: every event is complete, its Raw is an envelope that parses
// back to the same event, and failures point inside the body.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata", filepath.Join("..", "samples", "data")} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			f.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"Records":[]}`, `{"Records":[{}]}`,
		`{"source":"a","detail-type":"b"}`,
		`[{"source":"a","detail-type":"b","time":"2024-01-01T00:00:00.5+14:00"},1]`,
		`{"Records":[{"eventSource":"aws:dynamodb","eventName":"MODIFY","dynamodb":{"NewImage":{"a":{"L":[{"BS":["AA=="]}]}},"ApproximateCreationDateTime":1.5}}]}`,
		`{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"{\"Records\":[{\"eventSource\":\"aws:sqs\"}]}"}}]}`,
		`{"Type":"Notification","MessageId":"m","TopicArn":"t","Message":"[{\"source\":\"x\"}]"}`,
		`{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}`,
		`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"%"}}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		batch, err := Parse(body)
		if err != nil {
			var se *ShapeError
			if !errors.As(err, &se) || se.Code == "" {
				t.Fatalf("error %v (%T) is not a *ShapeError with a code", err, err)
			}
			if se.Code != CodeNoEvents && batch != nil {
				t.Fatal("batch returned with a body error")
			}
			if se.Code == CodeNoEvents && (batch == nil || len(batch.Events) != 0 || len(batch.Failed) == 0) {
				t.Fatalf("no_events error with batch %+v", batch)
			}
			return
		}
		if batch.Shape == "" {
			t.Fatal("no shape")
		}
		for _, f := range batch.Failed {
			if f.Index < 0 || f.Reason == "" || !strings.HasPrefix(f.Reason, f.Field) {
				t.Fatalf("bad record error %+v", f)
			}
		}
		for _, ev := range batch.Events {
			checkEvent(t, ev)
		}
	})
}

func checkEvent(t *testing.T, ev Event) {
	t.Helper()
	if ev.ID == "" || ev.Source == "" || ev.DetailType == "" {
		t.Fatalf("incomplete event %+v", ev)
	}
	var detail map[string]json.RawMessage
	if err := json.Unmarshal(ev.Detail, &detail); err != nil || detail == nil {
		t.Fatalf("Detail %q is not an object: %v", ev.Detail, err)
	}
	if !utf8.Valid(ev.Raw) || !json.Valid(ev.Raw) {
		t.Fatalf("Raw is not valid JSON: %q", ev.Raw)
	}
	// Raw is an EventBridge envelope that decodes to the same event.
	again, err := Parse(ev.Raw)
	if err != nil {
		t.Fatalf("Raw %s does not parse: %v", ev.Raw, err)
	}
	if again.Shape != ShapeEventBridge || len(again.Events) != 1 {
		t.Fatalf("Raw %s parses to %v", ev.Raw, again)
	}
	e := again.Events[0]
	if e.ID != ev.ID || e.Source != ev.Source || e.DetailType != ev.DetailType || e.Account != ev.Account ||
		e.Region != ev.Region || !slices.Equal(e.Resources, ev.Resources) || string(e.Detail) != string(ev.Detail) ||
		!e.Time.Equal(ev.Time.Truncate(time.Second)) || string(e.Raw) != string(ev.Raw) {
		t.Fatalf("Raw round trip changed the event:\n%+v\n%+v", ev, e)
	}
}
