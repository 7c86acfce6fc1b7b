package dbcopy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

func TestConversions(t *testing.T) {
	t.Parallel()
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	cases := []struct {
		name string
		fn   convFunc
		in   any
		want any
		err  string
	}{
		{"int", toInt, int64(42), int64(42), ""},
		{"int from text", toInt, " 7 ", int64(7), ""},
		{"int from integral float", toInt, float64(3), int64(3), ""},
		{"int from fraction", toInt, 1.5, nil, "1.5 (float64) is not an integer"},
		{"int from word", toInt, "many", nil, `"many" is not an integer`},
		{"bool", toBool, int64(1), true, ""},
		{"bool false", toBool, int64(0), false, ""},
		{"text", toText, "障害", "障害", ""},
		{"text from number", toText, int64(12), "12", ""},
		{"text with NUL", toText, "a\x00b", nil, "NUL"},
		{"text from binary", toText, []byte{0xff, 0xfe}, nil, "not UTF-8"},
		{"bytea", toBytes, "uk", []byte("uk"), ""},
		{"json", toJSON, `{"a":1}`, `{"a":1}`, ""},
		{"River time", toTime, "2025-03-14 03:00:00.123", utc("2025-03-14T03:00:00.123Z"), ""},
		{"datetime", toTime, "2025-03-14 03:00:00", utc("2025-03-14T03:00:00Z"), ""},
		{"Go time text", toTime, "2025-03-14 12:00:00+09:00", utc("2025-03-14T03:00:00Z"), ""},
		{"RFC 3339", toTime, "2025-03-14T03:00:00.5Z", utc("2025-03-14T03:00:00.5Z"), ""},
		{"driver time", toTime, time.Date(2025, 3, 14, 12, 0, 0, 0, time.FixedZone("JST", 9*3600)), utc("2025-03-14T03:00:00Z"), ""},
		{"not a time", toTime, "yesterday", nil, `"yesterday" is not a time`},
		{"bits", toBits8, int64(0b10000001), pgtype.Bits{Bytes: []byte{0x81}, Len: 8, Valid: true}, ""},
		{"bits too wide", toBits8, int64(256), nil, "not a bitmask of 8 bits"},
		{"text array", toStringArray, `["a","b"]`, []string{"a", "b"}, ""},
		{"text array null", toStringArray, `null`, nil, ""},
		{"text array of numbers", toStringArray, `[1]`, nil, "not a JSON array of strings"},
		{"jsonb array", toJSONArray, `[{"error":"boom"},{"x":[1]}]`, []json.RawMessage{json.RawMessage(`{"error":"boom"}`), json.RawMessage(`{"x":[1]}`)}, ""},
		{"int array", toIntArray, `[1,2]`, []int64{1, 2}, ""},
	}
	for _, c := range cases {
		got, err := c.fn(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, %v; want error %q", c.name, got, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %#v, %v; want %#v", c.name, got, err, c.want)
		}
	}
}

func TestPlanByTargetType(t *testing.T) {
	t.Parallel()
	cases := []struct {
		col  column
		expr string
		err  string
	}{
		{column{dataType: "bigint"}, `"c"`, ""},
		{column{dataType: "jsonb"}, `json("c")`, ""},
		{column{dataType: "ARRAY", udt: "_varchar"}, `json("c")`, ""},
		{column{dataType: "ARRAY", udt: "_jsonb"}, `json("c")`, ""},
		{column{dataType: "USER-DEFINED", udt: "river_job_state"}, `"c"`, ""},
		{column{dataType: "bit", maxLen: 8}, `"c"`, ""},
		{column{dataType: "bit", maxLen: 16}, "", "bit(16)"},
		{column{dataType: "tsvector", udt: "tsvector"}, "", "no conversion into PostgreSQL type tsvector"},
	}
	for _, c := range cases {
		expr, fn, err := c.col.plan("c")
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%+v: %v; want error %q", c.col, err, c.err)
			}
			continue
		}
		if err != nil || expr != c.expr || fn == nil {
			t.Errorf("%+v: %q %v; want %q", c.col, expr, err, c.expr)
		}
	}
}

func TestOrder(t *testing.T) {
	t.Parallel()
	tables := []*srcTable{
		{name: "deliveries", parents: []string{"questions"}},
		{name: "alert_log", parents: []string{"alerts"}},
		{name: "questions"},
		{name: "alerts"},
		{name: "tree", parents: []string{"tree"}},            // self-reference
		{name: "orphan", parents: []string{"skipped_table"}}, // parent not copied
	}
	got, err := order(tables)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, t := range got {
		names = append(names, t.name)
	}
	if want := "alerts,orphan,questions,tree,alert_log,deliveries"; strings.Join(names, ",") != want {
		t.Errorf("order: %s; want %s", strings.Join(names, ","), want)
	}
	_, err = order([]*srcTable{{name: "a", parents: []string{"b"}}, {name: "b", parents: []string{"a"}}})
	if err == nil || !strings.Contains(err.Error(), "cycle among tables a, b") {
		t.Errorf("cycle: %v", err)
	}
}
