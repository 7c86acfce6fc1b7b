package pattern

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// This file holds a small JSON reader that turns a document into a flat
// slice of nodes. Events are decoded with it rather than with encoding/json
// because decoding dominates the cost of matching: a map per object and an
// interface per value cost several times more than the matching itself. The
// reader decodes exactly what encoding/json decodes (same grammar, same
// replacement of invalid UTF-8 and lone surrogates with U+FFFD, last
// duplicate key wins on lookup), which FuzzMatch checks by comparing Match
// with MatchValue over encoding/json's result.

// kind is the JSON type of a node.
type kind uint8

const (
	kindNull kind = iota + 1
	kindFalse
	kindTrue
	kindNumber
	kindString
	kindObject
	kindArray
)

func (k kind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindFalse, kindTrue:
		return "boolean"
	case kindNumber:
		return "number"
	case kindString:
		return "string"
	case kindObject:
		return "object"
	case kindArray:
		return "array"
	}
	return "nothing"
}

// node is one JSON value. Children of an object or array follow their
// parent in the slice (pre-order), linked by next.
type node struct {
	key   string  // member name, when the node is an object member
	str   string  // string value, or the number's text as written
	num   float64 // number value (kindNumber)
	first int32   // index of the first child, or -1
	next  int32   // index of the next sibling, or -1
	hash  uint32  // keyHash(key)
	kind  kind
	dups  bool // an object that may have duplicate keys
}

// keyHash is a cheap fingerprint of a member name (length and three
// bytes), compared before the name itself so that looking up a member
// rarely compares strings that differ.
func keyHash(s string) uint32 {
	n := len(s)
	if n == 0 {
		return 0
	}
	return uint32(n)<<24 ^ uint32(s[0])<<16 ^ uint32(s[n-1])<<8 ^ uint32(s[n/2])
}

// markDups sets the dups flag of the object node at obj if two of its
// members have the same name. Objects of more than 16 members are flagged
// without looking, which keeps this cheap; their lookups just scan to the
// end.
func markDups(nodes []node, obj int32) {
	n := 0
	for c := nodes[obj].first; c >= 0; c = nodes[c].next {
		if n++; n > 16 {
			nodes[obj].dups = true
			return
		}
		for e := nodes[c].next; e >= 0; e = nodes[e].next {
			if nodes[e].hash == nodes[c].hash && nodes[e].key == nodes[c].key {
				nodes[obj].dups = true
				return
			}
		}
	}
}

// doc is a decoded JSON document; node 0 is the root.
type doc struct {
	nodes []node
	buf   []byte // scratch for unescaping strings, kept between parses
	// memo remembers recent member lookups: the rules of a Set look up
	// the same few members (detail, detail.state, ...) over and over.
	// An entry counts only if its gen is the document's.
	memo [64]lookup
	gen  uint32
}

type lookup struct {
	obj, res int32
	gen      uint32
	key      string
}

// reset readies d for a new document.
func (d *doc) reset() {
	d.nodes = d.nodes[:0]
	if d.gen++; d.gen == 0 { // wrapped: forget old entries for good
		d.memo = [64]lookup{}
		d.gen = 1
	}
}

// maxEventDepth bounds the nesting of a decoded document, so that a
// hostile event cannot exhaust the stack.
const maxEventDepth = 1000

var errTooDeep = errors.New("nested more than 1000 levels deep")

// parse decodes b into d, reusing d's storage. The strings of the nodes
// are copies.
func (d *doc) parse(b []byte) error {
	return d.parseString(string(b))
}

// parseBorrowed decodes b into d without copying it: the nodes' strings
// that need no unescaping point into b. It is for events, whose nodes live
// only while a match runs (and are cleared before the doc is pooled) and
// whose strings never reach a caller; it saves copying every event.
func (d *doc) parseBorrowed(b []byte) error {
	if len(b) == 0 {
		return d.parseString("")
	}
	return d.parseString(unsafe.String(&b[0], len(b)))
}

func (d *doc) parseString(s string) error {
	d.reset()
	p := parser{s: s, nodes: d.nodes, buf: d.buf}
	_, err := p.value("")
	if err == nil {
		p.skipWS()
		if p.i < len(p.s) {
			err = p.errorf("unexpected %s after the top-level value", p.what())
		}
	}
	d.nodes, d.buf = p.nodes, p.buf[:0]
	return err
}

type parser struct {
	s     string
	i     int
	depth int
	nodes []node
	buf   []byte // scratch for strings with escapes
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON: %s (offset %d)", fmt.Sprintf(format, args...), p.i)
}

func (p *parser) what() string {
	if p.i >= len(p.s) {
		return "end of input"
	}
	return fmt.Sprintf("character %q", p.s[p.i])
}

func (p *parser) skipWS() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value decodes one value, appends its node (and its children's) and
// returns the node's index.
func (p *parser) value(key string) (int32, error) {
	p.skipWS()
	if p.i >= len(p.s) {
		return -1, p.errorf("unexpected end of input")
	}
	idx := int32(len(p.nodes))
	p.nodes = append(p.nodes, node{key: key, hash: keyHash(key), first: -1, next: -1})
	switch c := p.s[p.i]; {
	case c == '{':
		return idx, p.object(idx)
	case c == '[':
		return idx, p.array(idx)
	case c == '"':
		s, err := p.string()
		if err != nil {
			return -1, err
		}
		p.nodes[idx].kind, p.nodes[idx].str = kindString, s
	case c == '-' || c >= '0' && c <= '9':
		text, err := p.number()
		if err != nil {
			return -1, err
		}
		f, _ := strconv.ParseFloat(text, 64) // grammar checked; out of range gives ±Inf
		p.nodes[idx].kind, p.nodes[idx].str, p.nodes[idx].num = kindNumber, text, f
	default:
		for _, lit := range [...]struct {
			text string
			kind kind
		}{{"true", kindTrue}, {"false", kindFalse}, {"null", kindNull}} {
			if len(p.s)-p.i >= len(lit.text) && p.s[p.i:p.i+len(lit.text)] == lit.text {
				p.i += len(lit.text)
				p.nodes[idx].kind = lit.kind
				return idx, nil
			}
		}
		return -1, p.errorf("unexpected %s looking for a value", p.what())
	}
	return idx, nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxEventDepth {
		return errTooDeep
	}
	return nil
}

func (p *parser) object(idx int32) error {
	if err := p.enter(); err != nil {
		return err
	}
	p.i++ // '{'
	p.nodes[idx].kind = kindObject
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		p.depth--
		return nil
	}
	prev := int32(-1)
	for {
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return p.errorf("unexpected %s looking for an object key", p.what())
		}
		k, err := p.string()
		if err != nil {
			return err
		}
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return p.errorf("unexpected %s after an object key", p.what())
		}
		p.i++
		child, err := p.value(k)
		if err != nil {
			return err
		}
		if prev < 0 {
			p.nodes[idx].first = child
		} else {
			p.nodes[prev].next = child
		}
		prev = child
		p.skipWS()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			p.depth--
			markDups(p.nodes, idx)
			return nil
		}
		return p.errorf("unexpected %s after an object member", p.what())
	}
}

func (p *parser) array(idx int32) error {
	if err := p.enter(); err != nil {
		return err
	}
	p.i++ // '['
	p.nodes[idx].kind = kindArray
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		p.depth--
		return nil
	}
	prev := int32(-1)
	for {
		child, err := p.value("")
		if err != nil {
			return err
		}
		if prev < 0 {
			p.nodes[idx].first = child
		} else {
			p.nodes[prev].next = child
		}
		prev = child
		p.skipWS()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			p.depth--
			return nil
		}
		return p.errorf("unexpected %s after an array element", p.what())
	}
}

// number scans a JSON number and returns its text.
func (p *parser) number() (string, error) {
	start := p.i
	s := p.s
	i := p.i
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		p.i = i
		return "", p.errorf("unexpected %s in a number", p.what())
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			p.i = i
			return "", p.errorf("unexpected %s after a decimal point", p.what())
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			p.i = i
			return "", p.errorf("unexpected %s in an exponent", p.what())
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	p.i = i
	return s[start:i], nil
}

// string scans a quoted string starting at p.s[p.i] == '"' and returns it
// unescaped. Strings without escapes or non-ASCII bytes are returned as
// substrings of the input, without copying.
func (p *parser) string() (string, error) {
	p.i++ // opening quote
	start := p.i
	i := start
	for {
		for i < len(p.s) && plainByte[p.s[i]] {
			i++
		}
		if i >= len(p.s) {
			p.i = len(p.s)
			return "", p.errorf("unterminated string")
		}
		c := p.s[i]
		switch {
		case c == '"':
			p.i = i + 1
			return p.s[start:i], nil
		case c < ' ':
			p.i = i
			return "", p.errorf("control character %q in a string", c)
		case c >= utf8.RuneSelf:
			// Valid UTF-8 is kept as it is (Japanese text needs no
			// copy); an invalid byte needs replacing.
			if r, size := utf8.DecodeRuneInString(p.s[i:]); r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
		}
		p.i = i // a backslash or invalid UTF-8
		return p.slowString(start)
	}
}

// plainByte tells the bytes a string can hold as they are: printable
// ASCII other than the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (p *parser) slowString(start int) (string, error) {
	b := append(p.buf[:0], p.s[start:p.i]...)
	for p.i < len(p.s) {
		j := p.i
		for j < len(p.s) && plainByte[p.s[j]] {
			j++
		}
		b = append(b, p.s[p.i:j]...)
		if p.i = j; p.i >= len(p.s) {
			break
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			p.buf = b
			return string(b), nil
		case c < ' ':
			return "", p.errorf("control character %q in a string", c)
		case c == '\\':
			if p.i+1 >= len(p.s) {
				p.i = len(p.s)
				return "", p.errorf("unterminated string")
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r := hex4(p.s[p.i:])
				if r < 0 {
					return "", p.errorf(`invalid \u escape`)
				}
				p.i += 4
				if utf16.IsSurrogate(r) {
					// A valid pair is decoded; anything else becomes
					// U+FFFD and the next escape is read on its own,
					// as encoding/json does.
					if len(p.s)-p.i >= 6 && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
						if r2 := hex4(p.s[p.i+2:]); r2 >= 0 {
							if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
								p.i += 6
								b = utf8.AppendRune(b, dec)
								continue
							}
						}
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
			default:
				p.i -= 1
				return "", p.errorf("invalid escape %q", "\\"+string(e))
			}
		default: // non-ASCII
			r, size := utf8.DecodeRuneInString(p.s[p.i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, p.s[p.i:p.i+size]...)
			}
			p.i += size
		}
	}
	return "", p.errorf("unterminated string")
}

// hex4 decodes four hex digits at the start of s, or returns -1.
func hex4(s string) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for i := range 4 {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// member returns the index of the member named key (whose keyHash is h)
// of the object node at obj, or -1. Like encoding/json, the last of
// duplicate keys wins.
func (d *doc) member(obj int32, key string, h uint32) int32 {
	e := &d.memo[((uint32(obj)*0x9e3779b1)^h)*0x85ebca6b>>26]
	if e.gen == d.gen && d.gen != 0 && e.obj == obj && e.key == key {
		return e.res
	}
	o := &d.nodes[obj]
	found := int32(-1)
	for c := o.first; c >= 0; {
		m := &d.nodes[c]
		if m.hash == h && m.key == key {
			found = c
			if !o.dups {
				break
			}
		}
		c = m.next
	}
	*e = lookup{obj: obj, res: found, gen: d.gen, key: key}
	return found
}

// fromValue appends the nodes of v, a value as decoded by encoding/json,
// and returns the root's index. Values of other Go types are taken through
// their JSON encoding.
func (d *doc) fromValue(key string, v any, depth int) int32 {
	idx := int32(len(d.nodes))
	d.nodes = append(d.nodes, node{key: key, hash: keyHash(key), first: -1, next: -1})
	if depth > maxEventDepth {
		d.nodes[idx].kind = kindNull
		return idx
	}
	n := node{key: key, hash: keyHash(key), first: -1, next: -1}
	switch v := v.(type) {
	case nil:
		n.kind = kindNull
	case bool:
		n.kind = kindFalse
		if v {
			n.kind = kindTrue
		}
	case string:
		n.kind, n.str = kindString, v
	case json.Number:
		n.kind, n.str = kindNumber, string(v)
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			f = math.NaN()
		}
		n.num = f
	case float64:
		n.kind, n.str, n.num = kindNumber, strconv.FormatFloat(v, 'g', -1, 64), v
	case int:
		n.kind, n.str, n.num = kindNumber, strconv.Itoa(v), float64(v)
	case int64:
		n.kind, n.str, n.num = kindNumber, strconv.FormatInt(v, 10), float64(v)
	case map[string]any:
		n.kind = kindObject
		prev := int32(-1)
		for k, e := range v {
			c := d.fromValue(k, e, depth+1)
			if prev < 0 {
				n.first = c
			} else {
				d.nodes[prev].next = c
			}
			prev = c
		}
	case []any:
		n.kind = kindArray
		prev := int32(-1)
		for _, e := range v {
			c := d.fromValue("", e, depth+1)
			if prev < 0 {
				n.first = c
			} else {
				d.nodes[prev].next = c
			}
			prev = c
		}
	default:
		// Structs, typed maps and slices, other numbers: go through JSON.
		var sub doc
		b, err := json.Marshal(v)
		if err != nil || sub.parse(b) != nil {
			n.kind = kindNull
			break
		}
		d.nodes[idx] = n
		d.graft(idx, &sub, 0)
		return idx
	}
	d.nodes[idx] = n
	return idx
}

// graft copies the children and value of src's node at from into d's node
// at idx, keeping idx's key.
func (d *doc) graft(idx int32, src *doc, from int32) {
	s := src.nodes[from]
	d.nodes[idx].kind, d.nodes[idx].str, d.nodes[idx].num, d.nodes[idx].dups = s.kind, s.str, s.num, s.dups
	prev := int32(-1)
	for c := s.first; c >= 0; c = src.nodes[c].next {
		ci := int32(len(d.nodes))
		k := src.nodes[c].key
		d.nodes = append(d.nodes, node{key: k, hash: keyHash(k), first: -1, next: -1})
		d.graft(ci, src, c)
		if prev < 0 {
			d.nodes[idx].first = ci
		} else {
			d.nodes[prev].next = ci
		}
		prev = ci
	}
}

// appendJSON appends the compact JSON form of the node at idx. Members
// keep their order.
func (d *doc) appendJSON(dst []byte, idx int32) []byte {
	n := &d.nodes[idx]
	switch n.kind {
	case kindNull:
		return append(dst, "null"...)
	case kindTrue:
		return append(dst, "true"...)
	case kindFalse:
		return append(dst, "false"...)
	case kindNumber:
		return append(dst, n.str...)
	case kindString:
		return appendQuoted(dst, n.str)
	case kindObject:
		dst = append(dst, '{')
		for c := n.first; c >= 0; c = d.nodes[c].next {
			if c != n.first {
				dst = append(dst, ',')
			}
			dst = appendQuoted(dst, d.nodes[c].key)
			dst = append(dst, ':')
			dst = d.appendJSON(dst, c)
		}
		return append(dst, '}')
	case kindArray:
		dst = append(dst, '[')
		for c := n.first; c >= 0; c = d.nodes[c].next {
			if c != n.first {
				dst = append(dst, ',')
			}
			dst = d.appendJSON(dst, c)
		}
		return append(dst, ']')
	}
	return dst
}

// appendQuoted appends s as a JSON string.
func appendQuoted(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c < ' ':
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
