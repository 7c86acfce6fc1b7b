package parse

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"unicode/utf8"
)

// param is one name/value pair of a flat payload (Zabbix media type
// parameters, Nagios macros), under the name the sender used.
type param struct {
	key, val string
}

// params is a flat payload keyed by normalized name.
type params map[string]param

// collect normalizes the names of pairs. Two names that normalize alike
// ("HOSTNAME" and "NAGIOS_HOSTNAME") may both be given if they agree; if
// they disagree the request is refused rather than one silently winning.
func collect(pairs []param, norm func(string) string) (params, error) {
	slices.SortStableFunc(pairs, func(a, b param) int { return cmp.Compare(a.key, b.key) })
	out := make(params, len(pairs))
	for _, p := range pairs {
		if !utf8.ValidString(p.key) {
			return nil, &FieldError{Msg: "has a parameter name that is not valid UTF-8"}
		}
		if !utf8.ValidString(p.val) {
			return nil, fieldErr(p.key, "is not valid UTF-8")
		}
		n := norm(p.key)
		if n == "" {
			continue
		}
		p.val = clean(p.val)
		prev, ok := out[n]
		switch {
		case !ok || prev.val == "":
			out[n] = p
		case p.val != "" && p.val != prev.val:
			return nil, fieldErr(p.key, "disagrees with %s; give it once", prev.key)
		}
	}
	return out, nil
}

// get returns the value of the first of names that is set.
func (p params) get(names ...string) string {
	for _, n := range names {
		if v := p[n].val; v != "" {
			return v
		}
	}
	return ""
}

// name returns the sender's spelling of the first of names that is set,
// for error messages; names[0] when none is.
func (p params) name(names ...string) string {
	for _, n := range names {
		if q, ok := p[n]; ok && q.val != "" {
			return q.key
		}
	}
	for _, n := range names {
		if q, ok := p[n]; ok {
			return q.key
		}
	}
	return names[0]
}

// objPairs flattens a JSON object of scalars into pairs. Booleans become
// "1" and "0". A key whose normalized name is in structured may hold an
// array or object, which is kept as its JSON text.
func objPairs(o obj, norm func(string) string, structured ...string) ([]param, error) {
	pairs := make([]param, 0, len(o.m))
	for _, k := range slices.Sorted(maps.Keys(o.m)) { // sorted: errors name the same field every time
		v := o.m[k]
		var s string
		switch t := v.(type) {
		case bool:
			s = "0"
			if t {
				s = "1"
			}
		case []any, map[string]any:
			if !slices.Contains(structured, norm(k)) {
				return nil, fieldErr(k, "must be a string, not %s", kind(v))
			}
			b, err := json.Marshal(t)
			if err != nil {
				return nil, fieldErr(k, "cannot be re-encoded: %v", err)
			}
			s = string(b)
		default:
			var err error
			if s, err = scalar(v, k); err != nil {
				return nil, err
			}
		}
		pairs = append(pairs, param{key: k, val: s})
	}
	return pairs, nil
}

// agree returns the value that the aliases names give: any of them may be
// set, several may be set to the same value, but two different values are
// refused naming both parameters rather than one silently winning (the
// seed's "systemname" next to opsdesk's "system").
func (p params) agree(names ...string) (string, error) {
	var first param
	for _, n := range names {
		q, ok := p[n]
		if !ok || q.val == "" {
			continue
		}
		switch {
		case first.key == "":
			first = q
		case oneLine(q.val) != oneLine(first.val):
			return "", fieldErr(q.key, "is %q but %s is %q; they name the same thing, give one of them",
				cutChars(oneLine(q.val), MaxSystem), first.key, cutChars(oneLine(first.val), MaxSystem))
		}
	}
	return first.val, nil
}
