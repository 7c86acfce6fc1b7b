package pattern

import (
	"errors"
	"net/netip"
	"strings"
	"sync"
)

var errNotObject = errors.New("event: must be a JSON object")

// docPool recycles decoded events: decoding into a warm node slice
// allocates only the strings that need unescaping.
var docPool = sync.Pool{New: func() any { return &doc{nodes: make([]node, 0, 64)} }}

func getDoc() *doc { return docPool.Get().(*doc) }

func putDoc(d *doc) {
	if cap(d.nodes) > 1<<14 { // do not keep the storage of a huge event
		return
	}
	clear(d.nodes[:cap(d.nodes)]) // drop references to the event's strings
	d.nodes = d.nodes[:0]
	docPool.Put(d)
}

// decode parses an event into d and checks that it is an object.
func decode(d *doc, event []byte) error {
	if err := d.parseBorrowed(event); err != nil {
		return errors.New("event: " + err.Error())
	}
	if d.nodes[0].kind != kindObject {
		return errNotObject
	}
	return nil
}

// fromAny fills d with an event decoded by encoding/json and reports
// whether it is an object.
func fromAny(d *doc, ev any) bool {
	d.reset()
	d.fromValue("", ev, 0)
	return d.nodes[0].kind == kindObject
}

// Match reports whether the event, a JSON object, matches the pattern. It
// returns an error only for an event that is not a JSON object.
func (p *Pattern) Match(event []byte) (bool, error) {
	d := getDoc()
	defer putDoc(d)
	if err := decode(d, event); err != nil {
		return false, err
	}
	return p.root.match(d, 0), nil
}

// MatchValue reports whether an event already decoded by encoding/json
// (into any, so objects are map[string]any) matches the pattern. Decode
// with json.Decoder.UseNumber: exact number values are compared as
// written, as EventBridge does, and a float64 keeps only its value (300.0
// arrives as 300). A value that is not an object never matches.
func (p *Pattern) MatchValue(ev any) bool {
	d := getDoc()
	defer putDoc(d)
	return fromAny(d, ev) && p.root.match(d, 0)
}

// match reports whether the object node at obj (or, when obj is -1, an
// absent object) satisfies o.
func (o *object) match(d *doc, obj int32) bool {
	for i := range o.fields {
		f := &o.fields[i]
		v := int32(-1)
		if obj >= 0 {
			v = d.member(obj, f.key, f.hash)
		}
		if f.leaf != nil {
			if !f.leaf.match(d, v) {
				return false
			}
		} else if !f.obj.matchValue(d, v) {
			return false
		}
	}
	if o.or != nil {
		for _, alt := range o.or {
			if alt.match(d, obj) {
				return true
			}
		}
		return false
	}
	return true
}

// matchValue matches a nested pattern object against an event value of
// any type. An array matches if one of its objects does; a value that is
// not an object (or an array with no objects) counts as an absent
// object, so only {"exists": false} fields can match beneath it.
func (o *object) matchValue(d *doc, v int32) bool {
	if v < 0 {
		return o.match(d, -1)
	}
	switch d.nodes[v].kind {
	case kindObject:
		return o.match(d, v)
	case kindArray:
		matched, sawObject := o.matchArray(d, v)
		if matched {
			return true
		}
		return !sawObject && o.match(d, -1)
	}
	return o.match(d, -1)
}

func (o *object) matchArray(d *doc, arr int32) (matched, sawObject bool) {
	for e := d.nodes[arr].first; e >= 0; e = d.nodes[e].next {
		switch d.nodes[e].kind {
		case kindObject:
			sawObject = true
			if o.match(d, e) {
				return true, true
			}
		case kindArray:
			m, s := o.matchArray(d, e)
			sawObject = sawObject || s
			if m {
				return true, true
			}
		}
	}
	return false, sawObject
}

// match reports whether the event value at v (-1 when absent) satisfies
// the leaf. An array satisfies it if any of its values does; an object is
// not a leaf value, so it counts as absent; an array with no values
// (empty, or only objects) counts as absent too.
func (l *leaf) match(d *doc, v int32) bool {
	if v < 0 {
		return l.existsFalse
	}
	n := &d.nodes[v]
	switch n.kind {
	case kindObject:
		return l.existsFalse
	case kindArray:
		matched, sawValue := l.matchArray(d, v)
		if matched {
			return true
		}
		return !sawValue && l.existsFalse
	}
	return l.existsTrue || l.matchScalar(n)
}

func (l *leaf) matchArray(d *doc, arr int32) (matched, sawValue bool) {
	for e := d.nodes[arr].first; e >= 0; e = d.nodes[e].next {
		n := &d.nodes[e]
		switch n.kind {
		case kindObject:
		case kindArray:
			m, s := l.matchArray(d, e)
			sawValue = sawValue || s
			if m {
				return true, true
			}
		default:
			sawValue = true
			if l.existsTrue || l.matchScalar(n) {
				return true, true
			}
		}
	}
	return false, sawValue
}

// matchScalar reports whether a present non-container value satisfies one
// of the leaf's values or filters (exists aside).
func (l *leaf) matchScalar(n *node) bool {
	switch n.kind {
	case kindString:
		if l.strSet != nil {
			if _, ok := l.strSet[n.str]; ok {
				return true
			}
		} else {
			for _, s := range l.strs {
				if s == n.str {
					return true
				}
			}
		}
	case kindNumber:
		for _, s := range l.nums {
			if s == n.str {
				return true
			}
		}
	case kindNull:
		if l.null {
			return true
		}
	case kindTrue:
		if l.isTrue {
			return true
		}
	case kindFalse:
		if l.isFalse {
			return true
		}
	}
	for _, c := range l.filters {
		if c.matchScalar(n) {
			return true
		}
	}
	return false
}

// matchScalar reports whether a present non-container value satisfies the
// condition. String filters match only strings, numeric only numbers.
func (c *cond) matchScalar(n *node) bool {
	switch c.op {
	case opExact:
		if n.kind != c.kind {
			return false
		}
		return (n.kind != kindString && n.kind != kindNumber) || n.str == c.str
	case opPrefix:
		return n.kind == kindString && strings.HasPrefix(n.str, c.str)
	case opPrefixFold:
		return n.kind == kindString && hasPrefixFold(n.str, c.str)
	case opSuffix:
		return n.kind == kindString && strings.HasSuffix(n.str, c.str)
	case opSuffixFold:
		return n.kind == kindString && hasSuffixFold(n.str, c.str)
	case opEqualsFold:
		return n.kind == kindString && strings.EqualFold(n.str, c.str)
	case opWildcard:
		return n.kind == kindString && globMatch(c.segs, n.str)
	case opNumeric:
		if n.kind != kindNumber {
			return false
		}
		x := n.num
		return (x > c.lo || c.loInc && x == c.lo) && (x < c.hi || c.hiInc && x == c.hi)
	case opCIDR:
		if n.kind != kindString {
			return false
		}
		a, err := netip.ParseAddr(n.str)
		return err == nil && (c.prefix.Contains(a) || c.prefix.Contains(a.Unmap()))
	case opExists:
		return c.exists
	case opAnythingBut:
		for i := range c.but {
			if c.but[i].matchScalar(n) {
				return false
			}
		}
		return true
	}
	return false
}
