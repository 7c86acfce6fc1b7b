package pattern

import (
	"cmp"
	"encoding/binary"
	"slices"
	"strings"
	"sync"
)

// Set is a collection of named patterns matched together: it decodes an
// event once and evaluates only the patterns that can match it. A pattern
// whose top-level "source" lists only exact strings is filed under them
// (under each pair of them and its "detail-type" strings, if those are
// exact too), so an aws.s3 "Object Created" event is tried only against
// the patterns filed under aws.s3 or under that pair, and the patterns
// that could not be filed; a pattern without an exact source is filed
// under its "detail-type" or another top-level field of exact strings, if
// it has one.
//
// A Set is safe for concurrent use; Add and Remove wait for the matches
// under way.
type Set struct {
	mu     sync.RWMutex
	seq    uint64
	byName map[string]*rule
	index  map[string]map[string][]*rule // key name → value → rules, in order added
	keys   []*indexKey                   // the keys of index, in the order first used
	rest   []*rule                       // rules not filed in index, in order added
}

// indexKey is one or two top-level fields rules are filed under. With two,
// a rule is filed under each pair of values, written as pairKey does.
type indexKey struct {
	name   string // the fields joined by NUL
	fields []string
	hashes []uint32
}

type rule struct {
	name string
	p    *Pattern
	seq  uint64
	// filed is the pattern less its index fields, which an event that
	// found the rule through the index has already matched.
	filed *object
}

// NewSet returns an empty Set.
func NewSet() *Set {
	return &Set{byName: map[string]*rule{}, index: map[string]map[string][]*rule{}}
}

// pairKey writes a pair of values as one map key: the first one's length,
// then both, so that no two pairs give the same key.
func pairKey(buf []byte, a, b string) []byte {
	buf = binary.BigEndian.AppendUint32(buf[:0], uint32(len(a)))
	return append(append(buf, a...), b...)
}

// values returns the map keys a pattern is filed under.
func (p *Pattern) values() []string {
	if len(p.index) == 1 {
		return p.indexVals[0]
	}
	var out []string
	for _, a := range p.indexVals[0] {
		for _, b := range p.indexVals[1] {
			out = append(out, string(pairKey(nil, a, b)))
		}
	}
	return out
}

// Add puts the pattern into the set under name, replacing the pattern of
// that name if there is one (it then counts as added last).
func (s *Set) Add(name string, p *Pattern) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remove(name)
	s.seq++
	r := &rule{name: name, p: p, seq: s.seq}
	s.byName[name] = r
	if len(p.index) == 0 {
		s.rest = append(s.rest, r)
		return
	}
	r.filed = &object{or: p.root.or}
	for _, f := range p.root.fields {
		if !slices.Contains(p.index, f.key) {
			r.filed.fields = append(r.filed.fields, f)
		}
	}
	key := strings.Join(p.index, "\x00")
	m := s.index[key]
	if m == nil {
		m = map[string][]*rule{}
		s.index[key] = m
		k := &indexKey{name: key, fields: p.index}
		for _, f := range p.index {
			k.hashes = append(k.hashes, keyHash(f))
		}
		s.keys = append(s.keys, k)
	}
	for _, v := range p.values() {
		m[v] = append(m[v], r)
	}
}

// Remove takes the named pattern out of the set and reports whether it
// was there.
func (s *Set) Remove(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remove(name)
}

func (s *Set) remove(name string) bool {
	r, ok := s.byName[name]
	if !ok {
		return false
	}
	delete(s.byName, name)
	del := func(rs []*rule) []*rule {
		return slices.DeleteFunc(rs, func(x *rule) bool { return x == r })
	}
	if len(r.p.index) == 0 {
		s.rest = del(s.rest)
		return true
	}
	key := strings.Join(r.p.index, "\x00")
	m := s.index[key]
	for _, v := range r.p.values() {
		if m[v] = del(m[v]); len(m[v]) == 0 {
			delete(m, v)
		}
	}
	if len(m) == 0 {
		delete(s.index, key)
		s.keys = slices.DeleteFunc(s.keys, func(k *indexKey) bool { return k.name == key })
	}
	return true
}

// Len returns the number of patterns in the set.
func (s *Set) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byName)
}

// scratch is the per-call working memory of Matches.
type scratch struct {
	doc     doc
	matched []*rule
	a, b    []string // an event's string values at an index key's fields
	key     []byte
}

var scratchPool = sync.Pool{New: func() any { return &scratch{doc: doc{nodes: make([]node, 0, 64)}} }}

func putScratch(sc *scratch) {
	if cap(sc.doc.nodes) > 1<<14 || cap(sc.matched) > 1<<14 || cap(sc.a) > 1<<10 || cap(sc.b) > 1<<10 {
		return
	}
	// Drop every reference to the event before pooling.
	clear(sc.doc.nodes[:cap(sc.doc.nodes)])
	sc.doc.nodes = sc.doc.nodes[:0]
	clear(sc.matched[:cap(sc.matched)])
	clear(sc.a[:cap(sc.a)])
	clear(sc.b[:cap(sc.b)])
	sc.matched, sc.a, sc.b = sc.matched[:0], sc.a[:0], sc.b[:0]
	scratchPool.Put(sc)
}

// Matches returns the names of the patterns that the event, a JSON object,
// matches, in the order they were added. It returns an error only for an
// event that is not a JSON object.
func (s *Set) Matches(event []byte) ([]string, error) {
	sc := scratchPool.Get().(*scratch)
	defer putScratch(sc)
	if err := decode(&sc.doc, event); err != nil {
		return nil, err
	}
	return s.matches(sc), nil
}

// MatchesValue is Matches for an event decoded by encoding/json, as
// Pattern.MatchValue takes it.
func (s *Set) MatchesValue(ev any) []string {
	sc := scratchPool.Get().(*scratch)
	defer putScratch(sc)
	if !fromAny(&sc.doc, ev) {
		return nil
	}
	return s.matches(sc)
}

func (s *Set) matches(sc *scratch) []string {
	d := &sc.doc
	s.mu.RLock()
	defer s.mu.RUnlock()

	// The rules filed under the event's values at each index key, then
	// the others. Each list is in the order added; a rule filed under two
	// values that the event both has is matched twice.
	matched := sc.matched[:0]
	lists := 0
	run := func(rs []*rule, root bool) {
		n := len(matched)
		for _, r := range rs {
			o := r.filed
			if root {
				o = r.p.root
			}
			if o.match(d, 0) {
				matched = append(matched, r)
			}
		}
		if len(matched) > n {
			lists++
		}
	}
	for _, k := range s.keys {
		v := d.member(0, k.fields[0], k.hashes[0])
		if v < 0 {
			continue
		}
		sc.a = appendStrings(d, v, sc.a[:0])
		m := s.index[k.name]
		if len(k.fields) == 1 {
			for _, a := range sc.a {
				run(m[a], false)
			}
			continue
		}
		w := d.member(0, k.fields[1], k.hashes[1])
		if w < 0 {
			continue
		}
		sc.b = appendStrings(d, w, sc.b[:0])
		for _, a := range sc.a {
			for _, b := range sc.b {
				sc.key = pairKey(sc.key, a, b)
				run(m[string(sc.key)], false)
			}
		}
	}
	run(s.rest, true)
	if lists > 1 {
		slices.SortFunc(matched, func(a, b *rule) int { return cmp.Compare(a.seq, b.seq) })
		matched = slices.Compact(matched)
	}
	sc.matched = matched
	if len(matched) == 0 {
		return nil
	}
	out := make([]string, len(matched))
	for i, r := range matched {
		out[i] = r.name
	}
	return out
}

// appendStrings appends the string values of the event value at v: the
// value itself, or the strings of an array (nested arrays flattened).
func appendStrings(d *doc, v int32, dst []string) []string {
	switch n := &d.nodes[v]; n.kind {
	case kindString:
		dst = append(dst, n.str)
	case kindArray:
		for e := n.first; e >= 0; e = d.nodes[e].next {
			dst = appendStrings(d, e, dst)
		}
	}
	return dst
}
