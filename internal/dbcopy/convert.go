package dbcopy

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
)

// column is a target column as information_schema describes it.
type column struct {
	name      string
	dataType  string // information_schema data_type: "bigint", "ARRAY", "USER-DEFINED"…
	udt       string // udt_name: "int8", "_text", "river_job_state"…
	maxLen    int    // character_maximum_length (bit(n): n)
	nullable  bool
	hasDflt   bool
	identity  bool // GENERATED … AS IDENTITY, or a serial (nextval default)
	generated bool // GENERATED ALWAYS AS (…) STORED: never written
}

// convFunc turns a value read from SQLite into what pgx writes into the
// target column. nil stays nil (NULL) before it is called.
type convFunc func(v any) (any, error)

// plan returns the SQLite expression that reads a column for this target
// column and the conversion of its value. SQLite keeps River's JSON columns
// (args, metadata, errors, tags, attempted_by) as JSONB, a binary form only
// SQLite reads: json() turns them into text, which the JSON and array
// columns of PostgreSQL are built from.
func (c column) plan(srcCol string) (string, convFunc, error) {
	q := quoteSQLite(srcCol)
	switch c.dataType {
	case "bigint", "integer", "smallint":
		return q, toInt, nil
	case "boolean":
		return q, toBool, nil
	case "text", "character varying", "character", "USER-DEFINED":
		// USER-DEFINED: enums (river_job_state), written as their label.
		return q, toText, nil
	case "bytea":
		return q, toBytes, nil
	case "json", "jsonb":
		return "json(" + q + ")", toJSON, nil
	case "timestamp with time zone", "timestamp without time zone", "date":
		return q, toTime, nil
	case "double precision", "real", "numeric":
		return q, toFloat, nil
	case "bit", "bit varying":
		if c.maxLen != 8 {
			return "", nil, fmt.Errorf("bit(%d) columns are not supported (only bit(8), River's unique_states)", c.maxLen)
		}
		return q, toBits8, nil
	case "ARRAY":
		switch c.udt {
		case "_json", "_jsonb":
			return "json(" + q + ")", toJSONArray, nil
		case "_text", "_varchar", "_bpchar":
			return "json(" + q + ")", toStringArray, nil
		case "_int8", "_int4", "_int2":
			return "json(" + q + ")", toIntArray, nil
		}
	}
	return "", nil, fmt.Errorf("no conversion into PostgreSQL type %s (%s)", c.dataType, c.udt)
}

func toInt(v any) (any, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), nil
		}
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return n, nil
		}
	case time.Time:
		return x.UnixMilli(), nil
	}
	return nil, fmt.Errorf("%s is not an integer", describe(v))
}

func toBool(v any) (any, error) {
	switch x := v.(type) {
	case int64:
		return x != 0, nil
	case bool:
		return x, nil
	case string:
		if b, err := strconv.ParseBool(x); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%s is not a boolean", describe(v))
}

func toText(v any) (any, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		if !utf8.Valid(x) {
			return nil, fmt.Errorf("%s is not UTF-8 text", describe(v))
		}
		s = string(x)
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), nil
	default:
		return nil, fmt.Errorf("%s is not text", describe(v))
	}
	if strings.IndexByte(s, 0) >= 0 {
		return nil, fmt.Errorf("text holds a NUL character, which PostgreSQL text cannot store")
	}
	return s, nil
}

func toBytes(v any) (any, error) {
	switch x := v.(type) {
	case []byte:
		return x, nil
	case string:
		return []byte(x), nil
	}
	return nil, fmt.Errorf("%s is not a blob", describe(v))
}

func toJSON(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return nil, fmt.Errorf("%s is not JSON", describe(v))
}

func jsonText(v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return []byte(x), nil
	case []byte:
		return x, nil
	}
	return nil, fmt.Errorf("%s is not a JSON array", describe(v))
}

func toJSONArray(v any) (any, error) {
	b, err := jsonText(v)
	if err != nil {
		return nil, err
	}
	var out []json.RawMessage
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("not a JSON array: %w", err)
	}
	if out == nil {
		return nil, nil
	}
	return out, nil
}

func toStringArray(v any) (any, error) {
	b, err := jsonText(v)
	if err != nil {
		return nil, err
	}
	var out []string
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("not a JSON array of strings: %w", err)
	}
	if out == nil {
		return nil, nil
	}
	return out, nil
}

func toIntArray(v any) (any, error) {
	b, err := jsonText(v)
	if err != nil {
		return nil, err
	}
	var out []int64
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("not a JSON array of integers: %w", err)
	}
	if out == nil {
		return nil, nil
	}
	return out, nil
}

func toFloat(v any) (any, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%s is not a number", describe(v))
}

// toBits8 turns SQLite's integer bitmask into PostgreSQL bit(8): bit i of
// the integer (1 << i) is bit 7-i of the bit string, which is the same
// byte (River: available = 1 << 0 on SQLite, get_bit(mask, 7) on
// PostgreSQL).
func toBits8(v any) (any, error) {
	n, ok := v.(int64)
	if !ok || n < 0 || n > 255 {
		return nil, fmt.Errorf("%s is not a bitmask of 8 bits", describe(v))
	}
	return pgtype.Bits{Bytes: []byte{byte(n)}, Len: 8, Valid: true}, nil
}

func toTime(v any) (any, error) {
	// The forms SQLite databases keep times in: River's
	// "2006-01-02 15:04:05.000" (UTC), datetime('now', 'subsec'), and
	// what Go drivers write for a time.Time.
	timeLayouts := [...]string{
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999-07:00",
		"2006-01-02T15:04:05.999999999-07:00",
		"2006-01-02 15:04:05.999999999Z07:00",
		time.RFC3339Nano,
		"2006-01-02 15:04:05.999999999 -0700 MST",
		"2006-01-02",
	}
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case string:
		s := strings.TrimSpace(x)
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t.UTC(), nil
			}
		}
	}
	return nil, fmt.Errorf("%s is not a time", describe(v))
}

// describe names a value for an error message without dumping it whole.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return strconv.Quote(x)
	case []byte:
		return fmt.Sprintf("a blob of %d bytes", len(x))
	}
	return fmt.Sprintf("%v (%T)", v, v)
}
