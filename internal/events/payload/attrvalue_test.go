package payload

import (
	"errors"
	"strings"
	"testing"
)

func TestPlainImage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		image string
		want  string // plain JSON, or "error: <message>"
	}{
		{"string", `{"a":{"S":"テスト"}}`, `{"a":"テスト"}`},
		{"number digits kept", `{"a":{"N":"12345678901234567890123456789012345678"}}`, `{"a":12345678901234567890123456789012345678}`},
		{"number forms", `{"a":{"N":"-0.5"},"b":{"N":"1E+2"},"c":{"N":"0"}}`, `{"a":-0.5,"b":1E+2,"c":0}`},
		{"binary", `{"a":{"B":"aGVsbG8="}}`, `{"a":"aGVsbG8="}`},
		{"bool", `{"a":{"BOOL":false}}`, `{"a":false}`},
		{"null", `{"a":{"NULL":true}}`, `{"a":null}`},
		{"map", `{"a":{"M":{"x":{"N":"1"},"y":{"M":{}}}}}`, `{"a":{"x":1,"y":{}}}`},
		{"list", `{"a":{"L":[{"S":"x"},{"N":"2"},{"L":[]},{"NULL":true}]}}`, `{"a":["x",2,[],null]}`},
		{"sets", `{"s":{"SS":["a","b"]},"n":{"NS":["1","2.5"]},"b":{"BS":["AQI=","Aw=="]}}`, `{"b":["AQI=","Aw=="],"n":[1,2.5],"s":["a","b"]}`},
		{"html kept", `{"a":{"S":"<b>&"}}`, `{"a":"<b>&"}`},
		{"empty", `{}`, `{}`},

		{"not a number", `{"price":{"N":"abc"}}`, `error: price: N value "abc" is not a number`},
		{"plus sign", `{"a":{"N":"+1"}}`, `error: a: N value "+1" is not a number`},
		{"leading dot", `{"a":{"N":".5"}}`, `error: a: N value ".5" is not a number`},
		{"leading zero", `{"a":{"N":"01"}}`, `error: a: N value "01" is not a number`},
		{"trailing dot", `{"a":{"N":"1."}}`, `error: a: N value "1." is not a number`},
		{"infinity", `{"a":{"N":"Infinity"}}`, `error: a: N value "Infinity" is not a number`},
		{"hex", `{"a":{"N":"0x10"}}`, `error: a: N value "0x10" is not a number`},
		{"empty number", `{"a":{"N":""}}`, `error: a: N value "" is not a number`},
		{"number as JSON number", `{"a":{"N":5}}`, `error: a: N value is a JSON number, want a string`},
		{"bad base64", `{"a":{"B":"***"}}`, `error: a: B value "***" is not base64`},
		{"bad base64 in set", `{"a":{"BS":["AQI=",1]}}`, `error: a[1]: B value is a JSON number, want a string`},
		{"number set element", `{"a":{"NS":["1","x"]}}`, `error: a[1]: N value "x" is not a number`},
		{"set not array", `{"a":{"SS":"x"}}`, `error: a: SS value is a JSON string, want an array`},
		{"null false", `{"a":{"NULL":false}}`, `error: a: NULL value is false, want true`},
		{"null string", `{"a":{"NULL":"yes"}}`, `error: a: NULL value is a JSON string, want true`},
		{"bool as string", `{"a":{"BOOL":"true"}}`, `error: a: BOOL value is a JSON string, want a boolean`},
		{"two types", `{"a":{"S":"x","N":"1"}}`, `error: a: attribute value has 2 type keys, want exactly one of S, N, B, BOOL, NULL, M, L, SS, NS, BS`},
		{"no type", `{"a":{}}`, `error: a: attribute value has 0 type keys`},
		{"unknown type", `{"a":{"D":"2024"}}`, `error: a: unknown attribute type "D"`},
		{"value not object", `{"a":"x"}`, `error: a: is a JSON string, want an attribute value such as {"S": "text"}`},
		{"nested error path", `{"order":{"M":{"lines":{"L":[{"M":{"qty":{"N":"two"}}}]}}}}`, `error: order.lines[0].qty: N value "two" is not a number`},
		{"odd names quoted", `{"a.b":{"M":{"c d":{"N":"x"}}}}`, `error: ["a.b"]["c d"]: N value "x" is not a number`},
		{"image not object", `[1]`, `error: : is a JSON array, want an object of attribute values`},
		{"first error is stable", `{"b":{"N":"x"},"a":{"N":"y"}}`, `error: a: N value "y" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := plainImage([]byte(tt.image), "")
			if want, ok := strings.CutPrefix(tt.want, "error: "); ok {
				var se *ShapeError
				if !errors.As(err, &se) {
					t.Fatalf("plainImage = %s, %v; want error %q", got, err, want)
				}
				msg := se.Field + ": " + se.Msg
				if !strings.HasPrefix(msg, want) {
					t.Fatalf("error %q, want %q", msg, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("plainImage = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestAttributeDepth(t *testing.T) {
	t.Parallel()
	nest := func(levels int) string {
		return `{"a":` + strings.Repeat(`{"M":{"a":`, levels) + `{"N":"1"}` + strings.Repeat(`}}`, levels) + `}`
	}
	if _, err := plainImage([]byte(nest(maxAttrDepth)), ""); err != nil {
		t.Errorf("%d levels: %v", maxAttrDepth, err)
	}
	_, err := plainImage([]byte(nest(maxAttrDepth+1)), "")
	if err == nil || !strings.Contains(err.Error(), "nest deeper than 32 levels") {
		t.Errorf("%d levels: %v", maxAttrDepth+1, err)
	}
}

// TestLambdaDecoderGuard sends what would make aws-lambda-go's attribute
// decoder panic (a BS element that is not a string), under a key spelled
// in other letter case, which encoding/json still maps to NewImage.
func TestLambdaDecoderGuard(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"NewImage", "newimage", "NEWIMAGE", "Keys", "oldImage"} {
		body := `{"Records":[{"eventSource":"aws:dynamodb","eventName":"INSERT","eventID":"x",` +
			`"dynamodb":{"` + key + `":{"a":{"BS":[1]}}}},` +
			`{"eventSource":"aws:dynamodb","eventName":"INSERT","eventID":"y","dynamodb":{"Keys":{"k":{"S":"v"}}}}]}`
		batch, err := Parse([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		want := "Records[0].dynamodb." + key + ".a[0]: B value is a JSON number, want a string"
		if len(batch.Events) != 1 || len(batch.Failed) != 1 || batch.Failed[0].Reason != want {
			t.Errorf("%s: events %d, failed %+v; want %q", key, len(batch.Events), batch.Failed, want)
		}
	}
	// The same under a second, differently spelled "dynamodb" key.
	for _, key := range []string{"DynamoDB", "DYNAMODB"} {
		body := `{"Records":[{"eventSource":"aws:dynamodb","eventName":"INSERT","eventID":"x",` +
			`"dynamodb":{"Keys":{"k":{"S":"v"}}},"` + key + `":{"NewImage":{"a":{"BS":[1]}}}},` +
			`{"eventSource":"aws:dynamodb","eventName":"INSERT","eventID":"y","dynamodb":{"Keys":{"k":{"S":"v"}}}}]}`
		batch, err := Parse([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		want := "Records[0]." + key + ".NewImage.a[0]: B value is a JSON number, want a string"
		if len(batch.Events) != 1 || len(batch.Failed) != 1 || batch.Failed[0].Reason != want {
			t.Errorf("%s: events %d, failed %+v; want %q", key, len(batch.Events), batch.Failed, want)
		}
	}
}

func TestIsJSONNumber(t *testing.T) {
	t.Parallel()
	good := []string{"0", "-0", "1", "-1", "10", "1.5", "0.001", "1e5", "1E-5", "1e+05", "-12.5e10", "12345678901234567890"}
	bad := []string{"", "-", "+1", ".1", "1.", "01", "-01", "1e", "1e+", "0x1", "1_000", "NaN", "Infinity", " 1", "1 ", "1.2.3", "--1", "1e1.5"}
	for _, s := range good {
		if !isJSONNumber(s) {
			t.Errorf("isJSONNumber(%q) = false", s)
		}
	}
	for _, s := range bad {
		if isJSONNumber(s) {
			t.Errorf("isJSONNumber(%q) = true", s)
		}
	}
}
