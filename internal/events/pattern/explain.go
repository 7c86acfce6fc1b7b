package pattern

import (
	"strconv"
	"strings"
)

// Explain reports whether the event matches the pattern, as Match does,
// and why, one line per field of the pattern: for a match, what each field
// matched (`source: matched "aws.s3"`); for a mismatch, each field that
// failed (`detail.state.value: "OK" is not one of ["ALARM"]`). Fields
// inside an "$or" alternative are named by it (`detail.$or[1].state`), and
// objects inside an event array by their index (`detail.items[2].name`).
// It is slower than Match; use it to show a person a result.
func (p *Pattern) Explain(event []byte) (matched bool, reasons []string, err error) {
	d := getDoc()
	defer putDoc(d)
	if err := decode(d, event); err != nil {
		return false, nil, err
	}
	x := explainer{d: d}
	matched, reasons = x.object(p.root, 0, "")
	return matched, reasons, nil
}

// ExplainValue is Explain for an event decoded by encoding/json, as
// MatchValue takes it.
func (p *Pattern) ExplainValue(ev any) (matched bool, reasons []string) {
	d := getDoc()
	defer putDoc(d)
	if !fromAny(d, ev) {
		return false, []string{"the event is not a JSON object"}
	}
	x := explainer{d: d}
	return x.object(p.root, 0, "")
}

// explainer mirrors the control flow of match, deciding every leaf with
// leaf.match itself so that it cannot disagree with Match, and says why.
type explainer struct {
	d *doc
}

func (x *explainer) object(o *object, obj int32, path string) (bool, []string) {
	ok := true
	var good, bad []string
	for i := range o.fields {
		f := &o.fields[i]
		v := int32(-1)
		if obj >= 0 {
			v = x.d.member(obj, f.key, f.hash)
		}
		fpath := child(path, f.key)
		var fok bool
		var rs []string
		if f.leaf != nil {
			fok, rs = x.leaf(f.leaf, v, fpath)
		} else {
			fok, rs = x.nested(f.obj, v, fpath)
		}
		if fok {
			good = append(good, rs...)
		} else {
			ok = false
			bad = append(bad, rs...)
		}
	}
	if o.or != nil {
		orPath := child(path, "$or")
		var altBad []string
		matched := false
		for i, alt := range o.or {
			aok, rs := x.object(alt, obj, index(orPath, i))
			if aok {
				good = append(good, rs...)
				matched = true
				break
			}
			altBad = append(altBad, rs...)
		}
		if !matched {
			ok = false
			bad = append(bad, orPath+": none of the "+strconv.Itoa(len(o.or))+" alternatives matched")
			bad = append(bad, altBad...)
		}
	}
	if ok {
		return true, good
	}
	return false, bad
}

// nested mirrors object.matchValue.
func (x *explainer) nested(o *object, v int32, path string) (bool, []string) {
	if v < 0 {
		return x.object(o, -1, path)
	}
	n := &x.d.nodes[v]
	switch n.kind {
	case kindObject:
		return x.object(o, v, path)
	case kindArray:
		var bad []string
		sawObject := false
		var walk func(arr int32, path string) (bool, []string)
		walk = func(arr int32, path string) (bool, []string) {
			i := 0
			for e := x.d.nodes[arr].first; e >= 0; e, i = x.d.nodes[e].next, i+1 {
				switch x.d.nodes[e].kind {
				case kindObject:
					sawObject = true
					if ok, rs := x.object(o, e, index(path, i)); ok {
						return true, rs
					} else {
						bad = append(bad, rs...)
					}
				case kindArray:
					if ok, rs := walk(e, index(path, i)); ok {
						return true, rs
					}
				}
			}
			return false, nil
		}
		if ok, rs := walk(v, path); ok {
			return true, rs
		}
		if sawObject {
			return false, bad
		}
		// Only {"exists": false} fields can match beneath; when the
		// pattern needs more, saying that there is no object is enough.
		ok, rs := x.object(o, -1, path)
		if !ok {
			rs = []string{path + ": is an array with no objects; the pattern needs an object here"}
		}
		return ok, rs
	}
	ok, rs := x.object(o, -1, path)
	if !ok {
		rs = []string{path + ": is " + x.value(v) + ", not an object; the pattern needs an object here"}
	}
	return ok, rs
}

// leaf explains leaf.match, whose answer it takes as given.
func (x *explainer) leaf(l *leaf, v int32, path string) (bool, []string) {
	ok := l.match(x.d, v)
	var absence string // why the value counts as absent, if it does
	switch {
	case v < 0:
		absence = "is missing"
	case x.d.nodes[v].kind == kindObject:
		absence = "holds an object, not a value,"
	case x.d.nodes[v].kind == kindArray && !x.hasValue(v):
		absence = "is an array with no values,"
	}
	if ok {
		if absence != "" {
			if absence == "is missing" {
				return true, []string{path + ": is missing, as {\"exists\":false} requires"}
			}
			return true, []string{path + ": " + absence + " which counts as missing for {\"exists\":false}"}
		}
		return true, []string{path + ": " + x.matchedBy(l, v)}
	}
	if absence != "" {
		absence = strings.TrimSuffix(absence, ",")
		return false, []string{path + ": " + absence + "; the pattern needs " + l.list()}
	}
	onlyAbsent := true
	for i := range l.conds {
		if l.conds[i].op != opExists || l.conds[i].exists {
			onlyAbsent = false
		}
	}
	val := x.value(v)
	switch {
	case onlyAbsent:
		return false, []string{path + ": is present (" + val + "); the pattern needs it missing: " + l.list()}
	case x.d.nodes[v].kind == kindArray && l.exactOnly:
		return false, []string{path + ": no value of " + val + " is one of " + l.list()}
	case x.d.nodes[v].kind == kindArray:
		return false, []string{path + ": no value of " + val + " matches any of " + l.list()}
	case l.exactOnly:
		return false, []string{path + ": " + val + " is not one of " + l.list()}
	}
	return false, []string{path + ": " + val + " matches none of " + l.list()}
}

// matchedBy names the first value of v and the first condition of l that
// matched it.
func (x *explainer) matchedBy(l *leaf, v int32) string {
	var found string
	var visit func(e int32) bool
	visit = func(e int32) bool {
		n := &x.d.nodes[e]
		switch n.kind {
		case kindObject:
			return false
		case kindArray:
			for c := n.first; c >= 0; c = x.d.nodes[c].next {
				if visit(c) {
					return true
				}
			}
			return false
		}
		for i := range l.conds {
			c := &l.conds[i]
			if c.op == opExists {
				if c.exists {
					found = "exists (" + x.value(e) + ")"
					return true
				}
				continue
			}
			if c.matchScalar(n) {
				if c.op == opExact {
					found = "matched " + c.src
				} else {
					found = x.value(e) + " matched " + c.src
				}
				return true
			}
		}
		return false
	}
	if visit(v) {
		return found
	}
	return "matched" // unreachable while explain and match agree
}

func (x *explainer) hasValue(arr int32) bool {
	for e := x.d.nodes[arr].first; e >= 0; e = x.d.nodes[e].next {
		switch x.d.nodes[e].kind {
		case kindObject:
		case kindArray:
			if x.hasValue(e) {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// value renders an event value for a reason, shortened if long.
func (x *explainer) value(v int32) string {
	return shorten(string(x.d.appendJSON(nil, v)), 120)
}

// list renders the leaf's array as written (compactly).
func (l *leaf) list() string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range l.conds {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(l.conds[i].src)
	}
	b.WriteByte(']')
	return b.String()
}
