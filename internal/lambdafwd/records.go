package lambdafwd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// trigger is what detect made of an invocation payload.
type trigger struct {
	kind    string
	records []record // for Records batches
}

// record is one entry of a {"Records": [...]} batch.
type record struct {
	raw json.RawMessage
	// id is the record's own id: SQS messageId, DynamoDB eventID or SNS
	// MessageId ("" for S3, whose records carry none).
	id string
	// seq is a DynamoDB record's dynamodb.SequenceNumber, the item
	// identifier of a stream's partial batch response.
	seq string
	// source is eventSource (EventSource for SNS).
	source string
}

// Event sources of Lambda records.
const (
	sourceSQS      = "aws:sqs"
	sourceDynamoDB = "aws:dynamodb"
	sourceS3       = "aws:s3"
	sourceSNS      = "aws:sns"
)

// detect tells the trigger by the payload's shape. It never fails: what it
// cannot place is forwarded as it is, for opsdesk to judge.
func detect(payload json.RawMessage) trigger {
	b := bytes.TrimSpace(payload)
	if len(b) == 0 {
		return trigger{kind: TriggerUnknown}
	}
	switch b[0] {
	case '[':
		return trigger{kind: TriggerEventBridge}
	case '{':
	default:
		return trigger{kind: TriggerUnknown}
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(b, &top) != nil {
		return trigger{kind: TriggerUnknown}
	}
	raws, ok := top["Records"]
	if !ok {
		if _, ok := top["detail-type"]; ok {
			return trigger{kind: TriggerEventBridge}
		}
		if _, ok := top["source"]; ok {
			return trigger{kind: TriggerEventBridge}
		}
		return trigger{kind: TriggerUnknown}
	}
	var items []json.RawMessage
	if json.Unmarshal(raws, &items) != nil || len(items) == 0 {
		return trigger{kind: TriggerUnknown}
	}
	recs := make([]record, len(items))
	sources := map[string]bool{}
	for i, raw := range items {
		recs[i] = readRecord(raw)
		sources[recs[i].source] = true
	}
	kind := TriggerRecords
	if len(sources) == 1 {
		switch {
		case sources[sourceSQS]:
			kind = TriggerSQS
		case sources[sourceDynamoDB]:
			kind = TriggerDynamoDB
		case sources[sourceS3]:
			kind = TriggerS3
		case sources[sourceSNS]:
			kind = TriggerSNS
		}
	}
	return trigger{kind: kind, records: recs}
}

// readRecord reads what the handler needs of a record. It reads field by
// field, so that one field of an unexpected type does not hide the others;
// a record it cannot read keeps empty fields and is still forwarded.
func readRecord(raw json.RawMessage) record {
	rec := record{raw: raw}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return rec
	}
	str := func(obj map[string]json.RawMessage, key string) string {
		var s string
		if v, ok := obj[key]; ok && json.Unmarshal(v, &s) == nil {
			return s
		}
		return ""
	}
	sub := func(key string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if v, ok := obj[key]; ok {
			_ = json.Unmarshal(v, &m)
		}
		return m
	}
	rec.source = str(obj, "eventSource")
	if rec.source == "" {
		rec.source = str(obj, "EventSource") // SNS capitalizes its keys
	}
	switch {
	case str(obj, "eventID") != "":
		rec.id = str(obj, "eventID")
	case str(obj, "messageId") != "":
		rec.id = str(obj, "messageId")
	default:
		rec.id = str(sub("Sns"), "MessageId")
	}
	rec.seq = str(sub("dynamodb"), "SequenceNumber")
	return rec
}

// state is what became of one record.
type state int

const (
	stored      state = iota // accepted or a duplicate: opsdesk has it
	rejected                 // opsdesk refused it; retrying cannot help
	undelivered              // the post failed; a retry may succeed
)

type result struct {
	state state
	err   error // for undelivered
}

// recordsEnvelope is the size of {"Records":[]}.
const recordsEnvelope = len(`{"Records":[]}`)

// chunks splits positions 0..n-1 into runs whose posted body stays within
// limit bytes; a record larger than limit on its own is a run of one.
func chunks(recs []record, limit int) [][]int {
	var out [][]int
	var cur []int
	size := recordsEnvelope
	for i, r := range recs {
		add := len(r.raw)
		if len(cur) > 0 {
			add++ // the comma
		}
		if len(cur) > 0 && size+add > limit {
			out = append(out, cur)
			cur, size = nil, recordsEnvelope
			add = len(r.raw)
		}
		cur = append(cur, i)
		size += add
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// recordsBody builds {"Records":[...]} of the records at positions.
func recordsBody(recs []record, positions []int) []byte {
	n := recordsEnvelope
	for _, p := range positions {
		n += len(recs[p].raw) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"Records":[`...)
	for i, p := range positions {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, recs[p].raw...)
	}
	return append(b, "]}"...)
}

// forwardRecords posts the records in chunks under the body limit and
// returns what became of each.
func (inv *invocation) forwardRecords(ctx context.Context, recs []record) []result {
	results := make([]result, len(recs))
	for _, c := range chunks(recs, inv.h.maxBody()) {
		inv.sendChunk(ctx, recs, c, results)
	}
	return results
}

// sendChunk posts the records at positions and records the outcome of
// each in results. A chunk the server finds too large is halved.
func (inv *invocation) sendChunk(ctx context.Context, recs []record, positions []int, results []result) {
	ans, err := inv.post(ctx, recordsBody(recs, positions))
	if err != nil {
		for _, p := range positions {
			results[p] = result{state: undelivered, err: err}
		}
		return
	}
	if ans.tooLarge() && len(positions) > 1 {
		inv.log.Warn("opsdesk found the body too large; splitting it", "records", len(positions))
		half := len(positions) / 2
		inv.sendChunk(ctx, recs, positions[:half], results)
		inv.sendChunk(ctx, recs, positions[half:], results)
		return
	}
	if ans.ok() {
		for _, p := range positions {
			results[p] = result{state: stored}
		}
		for _, f := range ans.ingested.Failed {
			p := locate(recs, positions, f)
			if p >= 0 {
				results[p] = result{state: rejected}
			}
			inv.reject(p, f.ID, f.Field, f.Error)
		}
		return
	}
	// Refused as a whole: nothing of the chunk was stored.
	for _, p := range positions {
		results[p] = result{state: rejected}
	}
	r := ans.rejection
	if len(r.Failed) == 0 {
		for _, p := range positions {
			inv.reject(p, recs[p].id, r.Field, fmt.Sprintf("HTTP %d: %s", ans.status, r.Error))
		}
		return
	}
	for _, f := range r.Failed {
		inv.reject(locate(recs, positions, f), f.ID, f.Field, f.Error)
	}
}

// locate finds the record a failure entry names: by its id (an SQS
// messageId, a DynamoDB eventID), else by its index in the posted list.
// It returns the record's position in the invocation, or -1.
func locate(recs []record, positions []int, f Failed) int {
	if f.ID != "" {
		for _, p := range positions {
			if recs[p].id == f.ID {
				return p
			}
		}
	}
	if f.Index >= 0 && f.Index < len(positions) {
		return positions[f.Index]
	}
	return -1
}
