package pattern

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	const anythingButUsage = `"anything-but" needs a string, a number, a list of only strings or only numbers, ` +
		`or an object with one of "prefix", "suffix", "equals-ignore-case" or "wildcard"`
	const numericUsage = `"numeric" needs an operator and a number, like ["<", 10], or a range, like [">", 0, "<=", 5]`
	tests := []struct {
		pattern, path, msg string
	}{
		// The pattern as a whole.
		{``, "", `the pattern is not valid JSON: unexpected end of input (offset 0)`},
		{`{"a":[1]`, "", `the pattern is not valid JSON: unexpected end of input after an object member (offset 8)`},
		{`{"a":[1]} x`, "", `the pattern is not valid JSON: unexpected character 'x' after the top-level value (offset 10)`},
		{`{"a":[1,]}`, "", `the pattern is not valid JSON: unexpected character ']' looking for a value (offset 8)`},
		{`[]`, "", `a pattern must be a JSON object, like {"source": ["aws.ec2"]}; got an array`},
		{`"aws.ec2"`, "", `a pattern must be a JSON object, like {"source": ["aws.ec2"]}; got string "aws.ec2"`},
		{`{}`, "", `a pattern must name at least one field, like {"source": ["aws.ec2"]}`},

		// Fields.
		{`{"source": "aws.ec2"}`, "source", `a pattern value must be an array, like ["aws.ec2"], or an object of nested fields; got string "aws.ec2"`},
		{`{"detail": {"state": {"value": 5}}}`, "detail.state.value", `a pattern value must be an array, like [5], or an object of nested fields; got number 5`},
		{`{"detail": {"ok": true}}`, "detail.ok", `a pattern value must be an array, like [true], or an object of nested fields; got boolean true`},
		{`{"detail": {"x": null}}`, "detail.x", `a pattern value must be an array, like [null], or an object of nested fields; got null`},
		{`{"detail": {}}`, "detail", `a pattern object must name at least one field`},
		{`{"a": []}`, "a", `a pattern array must list at least one value or filter; to match any value use [{"exists": true}]`},
		{`{"a": [[1]]}`, "a[0]", `arrays cannot be nested; list the values in one array`},
		{`{"a.b": {"c d": 5}}`, `["a.b"]["c d"]`, `a pattern value must be an array, like [5], or an object of nested fields; got number 5`},
		{`{"": 1}`, `[""]`, `a pattern value must be an array, like [1], or an object of nested fields; got number 1`},

		// Filter objects.
		{`{"a": ["x", {}]}`, "a[1]", `a filter object must not be empty; the filters are prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists, cidr`},
		{`{"a": [{"prefix": "x", "suffix": "y"}]}`, "a[0]", `a filter object must have exactly one key, got 2 ("prefix", "suffix"); put each filter in its own object`},
		{`{"detail": {"x": [{"prefixx": "a"}]}}`, "detail.x[0]", `unknown filter "prefixx" (did you mean "prefix"?)`},
		{`{"a": [{"Prefix": "a"}]}`, "a[0]", `unknown filter "Prefix" (did you mean "prefix"?)`},
		{`{"a": [{"anything_but": "a"}]}`, "a[0]", `unknown filter "anything_but" (did you mean "anything-but"?)`},
		{`{"a": [{"contains": "a"}]}`, "a[0]", `unknown filter "contains"; the filters are prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists, cidr`},

		// prefix, suffix, equals-ignore-case, wildcard.
		{`{"a": [{"prefix": 5}]}`, "a[0]", `"prefix" needs a string, or {"equals-ignore-case": "..."}; got number 5`},
		{`{"a": [{"prefix": ["a"]}]}`, "a[0]", `"prefix" needs a string, or {"equals-ignore-case": "..."}; got an array`},
		{`{"a": [{"prefix": {"equals-ignore-case": 5}}]}`, "a[0]", `"prefix" needs a string, or {"equals-ignore-case": "..."}; got an object`},
		{`{"a": [{"prefix": {"ignore-case": "x"}}]}`, "a[0]", `"prefix" needs a string, or {"equals-ignore-case": "..."}; got an object`},
		{`{"a": [{"suffix": null}]}`, "a[0]", `"suffix" needs a string, or {"equals-ignore-case": "..."}; got null`},
		{`{"a": [{"equals-ignore-case": ["a"]}]}`, "a[0]", `"equals-ignore-case" needs a string; got an array`},
		{`{"a": [{"wildcard": "a**b"}]}`, "a[0]", `"wildcard" "a**b" has consecutive wildcard characters "**", which EventBridge does not allow`},
		{`{"a": [{"wildcard": "**"}]}`, "a[0]", `"wildcard" "**" has consecutive wildcard characters "**", which EventBridge does not allow`},
		{`{"a": [{"wildcard": "a\\b"}]}`, "a[0]", `"wildcard" "a\\b" has the escape \b; only \* (a literal star) and \\ (a literal backslash) are allowed`},
		{`{"a": [{"wildcard": "a\\"}]}`, "a[0]", `"wildcard" "a\\" ends with a lone backslash; write \\ for a literal backslash`},
		{`{"a": [{"wildcard": 1}]}`, "a[0]", `"wildcard" needs a string, like "dir/*.png"; got number 1`},

		// anything-but.
		{`{"a": [{"anything-but": true}]}`, "a[0]", anythingButUsage + `; got boolean true`},
		{`{"a": [{"anything-but": null}]}`, "a[0]", anythingButUsage + `; got null`},
		{`{"a": [{"anything-but": []}]}`, "a[0]", `"anything-but" needs at least one value in its list`},
		{`{"a": [{"anything-but": ["a", 1]}]}`, "a[0]", `"anything-but" lists only strings or only numbers; element 0 is a string but element 1 is number 1`},
		{`{"a": [{"anything-but": [true]}]}`, "a[0]", `"anything-but" lists only strings or only numbers; element 0 is boolean true`},
		{`{"a": [{"anything-but": [1e999]}]}`, "a[0]", `"anything-but": 1e999 is out of range`},
		{`{"a": [{"anything-but": {"prefix": ["a"]}}]}`, "a[0]", `"anything-but" "prefix" needs a string; got an array`},
		{`{"a": [{"anything-but": {"suffix": 1}}]}`, "a[0]", `"anything-but" "suffix" needs a string; got number 1`},
		{`{"a": [{"anything-but": {"numeric": [">", 1]}}]}`, "a[0]", `"anything-but" cannot hold "numeric"; it takes "prefix", "suffix", "equals-ignore-case" or "wildcard"`},
		{`{"a": [{"anything-but": {"prefixx": "a"}}]}`, "a[0]", `"anything-but" cannot hold "prefixx"; it takes "prefix", "suffix", "equals-ignore-case" or "wildcard" (did you mean "prefix"?)`},
		{`{"a": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}`, "a[0]", anythingButUsage + `; got an object with 2 keys`},
		{`{"a": [{"anything-but": {"wildcard": "a**"}}]}`, "a[0]", `"anything-but" "wildcard" "a**" has consecutive wildcard characters "**", which EventBridge does not allow`},
		{`{"a": [{"anything-but": {"wildcard": ["ok*", "a\\x"]}}]}`, "a[0]", `"anything-but" "wildcard" "a\\x" has the escape \x; only \* (a literal star) and \\ (a literal backslash) are allowed`},
		{`{"a": [{"anything-but": {"equals-ignore-case": [1]}}]}`, "a[0]", `"anything-but" "equals-ignore-case" lists only strings; got number 1`},
		{`{"a": [{"anything-but": {"equals-ignore-case": []}}]}`, "a[0]", `"anything-but" "equals-ignore-case" needs at least one string in its list`},
		{`{"a": [{"anything-but": {"equals-ignore-case": true}}]}`, "a[0]", `"anything-but" "equals-ignore-case" needs a string or a list of strings; got boolean true`},

		// numeric.
		{`{"detail": {"state": {"value": [{"numeric": []}]}}}`, "detail.state.value[0]", numericUsage + `; got an array of 0`},
		{`{"a": [{"numeric": [">"]}]}`, "a[0]", numericUsage + `; got an array of 1`},
		{`{"a": [{"numeric": [">", 1, "<", 5, ">", 0]}]}`, "a[0]", numericUsage + `; got an array of 6`},
		{`{"a": [{"numeric": ">"}]}`, "a[0]", numericUsage + `; got string ">"`},
		{`{"a": [{"numeric": ["=>", 5]}]}`, "a[0]", `"numeric": unknown operator "=>"; use one of "<", "<=", "=", ">=", ">"`},
		{`{"a": [{"numeric": [">", "5"]}]}`, "a[0]", `"numeric": the value after ">" must be a number; got string "5" (write the number without quotes)`},
		{`{"a": [{"numeric": [">", "five"]}]}`, "a[0]", `"numeric": the value after ">" must be a number; got string "five"`},
		{`{"a": [{"numeric": [5, ">"]}]}`, "a[0]", `"numeric": element 0 must be an operator ("<", "<=", "=", ">=", ">"); got number 5`},
		{`{"a": [{"numeric": [">", 0, 5, 6]}]}`, "a[0]", `"numeric": element 2 must be an operator ("<", "<=", "=", ">=", ">"); got number 5`},
		{`{"a": [{"numeric": [">", 6e9]}]}`, "a[0]", `"numeric": 6e9 is out of range; numbers must be between -5e9 and 5e9`},
		{`{"a": [{"numeric": ["<", -5000000001]}]}`, "a[0]", `"numeric": -5000000001 is out of range; numbers must be between -5e9 and 5e9`},
		{`{"a": [{"numeric": ["<", 0, ">", 5]}]}`, "a[0]", `"numeric": a range is a lower bound (">" or ">=") followed by an upper bound ("<" or "<="), like [">", 0, "<=", 5]; got ["<", …, ">", …]`},
		{`{"a": [{"numeric": ["=", 5, "<", 10]}]}`, "a[0]", `"numeric": a range is a lower bound (">" or ">=") followed by an upper bound ("<" or "<="), like [">", 0, "<=", 5]; got ["=", …, "<", …]`},
		{`{"a": [{"numeric": [">", 5, "<", 5]}]}`, "a[0]", `"numeric": the range > 5 and < 5 matches no number`},
		{`{"a": [{"numeric": [">=", 5, "<", 5]}]}`, "a[0]", `"numeric": the range >= 5 and < 5 matches no number`},
		{`{"a": [{"numeric": [">", 5, "<", 1]}]}`, "a[0]", `"numeric": the range > 5 and < 1 matches no number`},

		// exists, cidr.
		{`{"a": [{"exists": "true"}]}`, "a[0]", `"exists" needs true or false; got string "true"`},
		{`{"a": [{"exists": null}]}`, "a[0]", `"exists" needs true or false; got null`},
		{`{"a": [{"cidr": "10.0.0.0/33"}]}`, "a[0]", `"cidr" "10.0.0.0/33" is not an IPv4 or IPv6 block like "10.0.0.0/24" or "2001:db8::/32"`},
		{`{"a": [{"cidr": "10.0.0.1"}]}`, "a[0]", `"cidr" "10.0.0.1" is not an IPv4 or IPv6 block like "10.0.0.0/24" or "2001:db8::/32"; add a prefix length, like /32 for one address`},
		{`{"a": [{"cidr": "300.0.0.0/8"}]}`, "a[0]", `"cidr" "300.0.0.0/8" is not an IPv4 or IPv6 block like "10.0.0.0/24" or "2001:db8::/32"`},
		{`{"a": [{"cidr": 10}]}`, "a[0]", `"cidr" needs a string, like "10.0.0.0/24"; got number 10`},

		// $or.
		{`{"$or": {"a": ["x"]}}`, "$or", `"$or" must be an array of at least two pattern objects; got an object`},
		{`{"$or": [{"a": ["x"]}]}`, "$or", `"$or" must list at least two pattern objects; got 1`},
		{`{"$or": []}`, "$or", `"$or" must list at least two pattern objects; got 0`},
		{`{"$or": [{"a": ["x"]}, "b"]}`, "$or[1]", `each "$or" alternative must be a pattern object; got string "b"`},
		{`{"$or": [{"a": ["x"]}, {}]}`, "$or[1]", `a pattern object must name at least one field`},
		{`{"d": {"$or": [{"a": ["x"]}, {"b": 1}]}}`, "d.$or[1].b", `a pattern value must be an array, like [1], or an object of nested fields; got number 1`},
		{`{"d": {"$or": [{"a": ["x"]}, {"b": [{"numeric": [">"]}]}]}}`, "d.$or[1].b[0]", numericUsage + `; got an array of 1`},

		// Duplicate keys: the last one counts, also when it is the bad one.
		{`{"a": ["x"], "a": 1}`, "a", `a pattern value must be an array, like [1], or an object of nested fields; got number 1`},
	}
	for _, tt := range tests {
		_, err := Compile([]byte(tt.pattern))
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Compile(%s) = %v, want an *Error", tt.pattern, err)
			continue
		}
		if pe.Path != tt.path || pe.Msg != tt.msg {
			t.Errorf("Compile(%s):\n got path %q msg %s\nwant path %q msg %s", tt.pattern, pe.Path, pe.Msg, tt.path, tt.msg)
		}
		want := tt.msg
		if tt.path != "" {
			want = tt.path + ": " + tt.msg
		}
		if err.Error() != want {
			t.Errorf("Compile(%s).Error() = %q, want %q", tt.pattern, err.Error(), want)
		}
	}
}

func TestCompileAccepts(t *testing.T) {
	t.Parallel()
	for _, p := range []string{
		`{"a": ["x", 1, -2.5e-3, true, false, null, ""]}`,
		`{"a": [{"prefix": ""}, {"suffix": ""}, {"equals-ignore-case": ""}, {"wildcard": ""}]}`,
		`{"a": [{"wildcard": "*"}, {"wildcard": "*\\**"}, {"wildcard": "\\\\*\\\\"}]}`,
		`{"a": [{"anything-but": ""}, {"anything-but": 0}, {"anything-but": ["x"]}, {"anything-but": [1, 2.5]}]}`,
		`{"a": [{"anything-but": {"wildcard": ["a*", "*b"]}}, {"anything-but": {"equals-ignore-case": "x"}}]}`,
		`{"a": [{"numeric": ["=", 5e9]}, {"numeric": [">=", -5e9]}, {"numeric": [">=", 1, "<=", 1]}]}`,
		`{"a": [{"cidr": "::/0"}, {"cidr": "2001:db8::/128"}, {"cidr": "0.0.0.0/0"}]}`,
		`{"a": [{"exists": true}, {"exists": false}]}`,
		`{"$or": [{"a": ["x"]}, {"$or": [{"b": ["y"]}, {"c": {"$or": [{"d": [1]}, {"e": [2]}]}}]}]}`,
		`{"a": ["x"], "a": ["y"]}`,
		` {"a" : [ "x" ] } `,
	} {
		if _, err := Compile([]byte(p)); err != nil {
			t.Errorf("Compile(%s): %v", p, err)
		}
	}
}

func TestCompileLimits(t *testing.T) {
	t.Parallel()
	nest := func(n int) string {
		return strings.Repeat(`{"a":`, n) + `["x"]` + strings.Repeat(`}`, n)
	}
	if _, err := Compile([]byte(nest(MaxDepth))); err != nil {
		t.Errorf("%d levels: %v", MaxDepth, err)
	}
	_, err := Compile([]byte(nest(MaxDepth + 1)))
	var pe *Error
	if !errors.As(err, &pe) || pe.Msg != "the pattern is nested more than 32 levels deep" || strings.Count(pe.Path, "a") != MaxDepth {
		t.Errorf("%d levels: %v", MaxDepth+1, err)
	}
	if _, err := Compile([]byte(nest(5000))); err == nil || err.Error() != "the pattern is nested more than 32 levels deep" {
		t.Errorf("5000 levels: %v", err)
	}

	// $or alternatives count as levels.
	or := `["x"]`
	for range MaxDepth {
		or = `{"$or": [{"a": ` + or + `}, {"b": ["y"]}]}`
	}
	if _, err := Compile([]byte(or)); err == nil || !strings.Contains(err.Error(), "nested more than 32 levels") {
		t.Errorf("deep $or: %v", err)
	}

	big := `{"a": ["` + strings.Repeat("x", MaxSize) + `"]}`
	if _, err := Compile([]byte(big)); err == nil || err.Error() != "the pattern is 262155 bytes; the limit is 262144" {
		t.Errorf("big pattern: %v", err)
	}
	fits := `{"a": ["` + strings.Repeat("x", MaxSize-11) + `"]}`
	if _, err := Compile([]byte(fits)); err != nil {
		t.Errorf("pattern of %d bytes: %v", len(fits), err)
	}
}

func TestPickIndex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		index   string // fields joined by "+", values by "," and fields by ";"
		vals    string
	}{
		{`{"source": ["aws.s3", "aws.ec2", "aws.s3"], "detail-type": ["x"]}`, "source+detail-type", "aws.ec2,aws.s3;x"},
		{`{"detail-type": ["x", "y"], "source": ["aws.s3"]}`, "source+detail-type", "aws.s3;x,y"},
		{`{"source": ["aws.s3"], "detail-type": [{"prefix": "x"}]}`, "source", "aws.s3"},
		{`{"source": ["aws.s3"]}`, "source", "aws.s3"},
		{`{"account": ["1"], "detail-type": ["x"]}`, "detail-type", "x"},
		{`{"source": [{"prefix": "aws."}], "account": ["1"]}`, "account", "1"},
		{`{"source": [{"prefix": "aws."}], "detail-type": ["x"], "account": ["1"]}`, "detail-type", "x"},
		{`{"source": ["aws.s3", {"prefix": "x"}]}`, "", ""},
		{`{"source": ["aws.s3", null]}`, "", ""},
		{`{"source": [{"equals-ignore-case": "aws.s3"}]}`, "", ""},
		{`{"detail": {"source": ["x"]}}`, "", ""},
		{`{"$or": [{"source": ["a"]}, {"source": ["b"]}]}`, "", ""},
		{`{"n": [5]}`, "", ""},
	}
	for _, tt := range tests {
		p, err := Compile([]byte(tt.pattern))
		if err != nil {
			t.Fatal(err)
		}
		var vals []string
		for _, v := range p.indexVals {
			vals = append(vals, strings.Join(v, ","))
		}
		if got, gotVals := strings.Join(p.index, "+"), strings.Join(vals, ";"); got != tt.index || gotVals != tt.vals {
			t.Errorf("%s: index %q %q, want %q %q", tt.pattern, got, gotVals, tt.index, tt.vals)
		}
	}
	// Too many (source, detail-type) pairs: source alone.
	var many []string
	for i := range 9 {
		many = append(many, strconv.Quote(strconv.Itoa(i)))
	}
	list := "[" + strings.Join(many, ",") + "]"
	p, err := Compile([]byte(`{"source": ` + list + `, "detail-type": ` + list + `}`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.index, []string{"source"}) {
		t.Errorf("81 pairs: index %q, want source alone", p.index)
	}
}
