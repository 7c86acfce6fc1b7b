package pattern

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unique"
)

// Limits on what Compile accepts. Real patterns are a few hundred bytes
// and a handful of levels deep (EventBridge itself caps a rule's pattern
// at a few KiB); the limits keep a hostile pattern from costing much.
const (
	// MaxSize is the largest pattern, in bytes, that Compile accepts.
	MaxSize = 256 << 10
	// MaxDepth is the deepest nesting of pattern objects (each "$or"
	// alternative counts as a level) that Compile accepts.
	MaxDepth = 32
	// numericLimit bounds the numbers of a "numeric" filter, as
	// EventBridge documents (values between -5.0e9 and +5.0e9).
	numericLimit = 5e9
)

// Error is an invalid pattern. Path names the offending element in the
// pattern the way a person reads it: "detail.state[0]" is the first entry
// of the array at detail.state, "detail.$or[1].x" is field x of the second
// "$or" alternative, and a key that is not a plain name is written as
// ["a.b"]. Path is empty when the pattern as a whole is wrong.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Pattern is a compiled event pattern. It is immutable and safe for
// concurrent use.
type Pattern struct {
	root *object
	// index names one or two top-level fields that hold only exact
	// string values (["aws.ec2", "aws.s3"]), and indexVals their values,
	// sorted and without repeats: an event whose values there are not
	// among them cannot match, so a Set files the pattern under them.
	index     []string
	indexVals [][]string
}

// object is a pattern object: every field must match, and so must one
// alternative of its "$or", if it has one.
type object struct {
	fields []field
	or     []*object
}

type field struct {
	// key is interned (and held by handle): the same name in every
	// pattern shares one string, so the lookup memo of an event compares
	// the names of different rules' fields by pointer.
	key    string
	handle unique.Handle[string]
	hash   uint32  // keyHash(key)
	obj    *object // a nested pattern object, or
	leaf   *leaf   // an array of values and filters
}

// leaf is an array of values and filters; a value of the event matches if
// it satisfies any of them. conds keeps them all, in pattern order, for
// Explain; the rest is the same information arranged for speed.
type leaf struct {
	conds []cond

	strs                    []string            // exact strings ...
	strSet                  map[string]struct{} // ... as a set, when there are many
	nums                    []string            // exact numbers, as written
	null, isTrue, isFalse   bool                // exact literals
	filters                 []*cond             // the rest, except exists
	existsTrue, existsFalse bool
	exactOnly               bool // only exact values: Explain says "is not one of"
}

// op is the kind of a condition.
type op uint8

const (
	opExact op = iota
	opPrefix
	opPrefixFold
	opSuffix
	opSuffixFold
	opEqualsFold
	opWildcard
	opNumeric
	opCIDR
	opExists
	opAnythingBut
)

// cond is one entry of a pattern array: an exact value or a filter.
type cond struct {
	op     op
	src    string       // the entry as JSON, for Explain
	kind   kind         // opExact: the JSON type of the value
	str    string       // exact value (numbers as written), prefix, suffix, equals-ignore-case
	segs   []string     // opWildcard
	lo, hi float64      // opNumeric bounds (±Inf when open) ...
	loInc  bool         // ... and whether they are included
	hiInc  bool         //
	prefix netip.Prefix // opCIDR
	exists bool         // opExists
	but    []cond       // opAnythingBut: a value matches if it matches none of these
}

// filterNames lists the filters in the order error messages name them.
var filterNames = []string{"prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric", "exists", "cidr"}

// Compile parses and validates an event pattern: a JSON object whose
// fields are arrays of values and filters, or nested objects, as in
// Amazon EventBridge. An invalid pattern returns an *Error.
func Compile(raw []byte) (*Pattern, error) {
	if len(raw) > MaxSize {
		return nil, &Error{Msg: fmt.Sprintf("the pattern is %d bytes; the limit is %d", len(raw), MaxSize)}
	}
	var d doc
	if err := d.parse(raw); err != nil {
		if err == errTooDeep {
			return nil, &Error{Msg: fmt.Sprintf("the pattern is nested more than %d levels deep", MaxDepth)}
		}
		return nil, &Error{Msg: "the pattern is not valid " + strings.TrimPrefix(err.Error(), "invalid ")}
	}
	if k := d.nodes[0].kind; k != kindObject {
		return nil, &Error{Msg: fmt.Sprintf(`a pattern must be a JSON object, like {"source": ["aws.ec2"]}; got %s`, describe(&d, 0))}
	}
	c := compiler{d: &d}
	root, err := c.object(0, "", 1)
	if err != nil {
		return nil, err
	}
	p := &Pattern{root: root}
	p.pickIndex()
	return p, nil
}

// pickIndex chooses the top-level fields a Set files the pattern under:
// "source" if it holds only exact strings, else "detail-type", else the
// first such field; and with "source", "detail-type" as well if it too
// holds only exact strings (and the pairs are not too many).
func (p *Pattern) pickIndex() {
	exact := func(f *field) bool { return f.leaf != nil && len(f.leaf.strs) == len(f.leaf.conds) }
	var best, dt *field
	for i := range p.root.fields {
		f := &p.root.fields[i]
		if !exact(f) {
			continue
		}
		switch {
		case f.key == "source":
			best = f
		case f.key == "detail-type":
			dt = f
			if best == nil || best.key != "source" {
				best = f
			}
		case best == nil:
			best = f
		}
	}
	if best == nil {
		return
	}
	vals := func(f *field) []string { return slices.Compact(slices.Sorted(slices.Values(f.leaf.strs))) }
	p.index, p.indexVals = []string{best.key}, [][]string{vals(best)}
	if best.key == "source" && dt != nil && len(p.indexVals[0])*len(vals(dt)) <= 64 {
		p.index = append(p.index, dt.key)
		p.indexVals = append(p.indexVals, vals(dt))
	}
}

type compiler struct {
	d *doc
}

func (c *compiler) errorf(path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// child joins a field name to a path.
func child(path, key string) string {
	plain := key != ""
	for i := 0; i < len(key) && plain; i++ {
		switch ch := key[i]; {
		case ch == '.' || ch == '[' || ch == ']' || ch == '"' || ch == '\\' || ch <= ' ' || ch == 0x7f:
			plain = false
		}
	}
	switch {
	case !plain:
		return path + "[" + string(appendQuoted(nil, key)) + "]"
	case path == "":
		return key
	default:
		return path + "." + key
	}
}

func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// describe names the JSON type and value of a node for error messages:
// `string "aws.ec2"`, `number 5`, `an object`.
func describe(d *doc, idx int32) string {
	n := &d.nodes[idx]
	switch n.kind {
	case kindObject:
		return "an object"
	case kindArray:
		return "an array"
	case kindNull:
		return "null"
	}
	return n.kind.String() + " " + shorten(string(d.appendJSON(nil, idx)), 60)
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xc0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}

// members returns the members of an object node, the last of duplicate
// keys replacing the earlier (EventBridge documents that "the last
// reference will be the one used"), in the order the keys first appear.
func (c *compiler) members(idx int32) []int32 {
	var out []int32
	pos := map[string]int{}
	for m := c.d.nodes[idx].first; m >= 0; m = c.d.nodes[m].next {
		k := c.d.nodes[m].key
		if i, ok := pos[k]; ok {
			out[i] = m
			continue
		}
		pos[k] = len(out)
		out = append(out, m)
	}
	return out
}

func (c *compiler) object(idx int32, path string, depth int) (*object, error) {
	if depth > MaxDepth {
		return nil, c.errorf(path, "the pattern is nested more than %d levels deep", MaxDepth)
	}
	ms := c.members(idx)
	if len(ms) == 0 {
		if path == "" {
			return nil, c.errorf("", `a pattern must name at least one field, like {"source": ["aws.ec2"]}`)
		}
		return nil, c.errorf(path, "a pattern object must name at least one field")
	}
	o := &object{}
	for _, m := range ms {
		n := &c.d.nodes[m]
		fpath := child(path, n.key)
		if n.key == "$or" {
			if err := c.or(o, m, fpath, depth); err != nil {
				return nil, err
			}
			continue
		}
		h := unique.Make(n.key)
		f := field{key: h.Value(), handle: h, hash: n.hash}
		switch n.kind {
		case kindObject:
			sub, err := c.object(m, fpath, depth+1)
			if err != nil {
				return nil, err
			}
			f.obj = sub
		case kindArray:
			l, err := c.leaf(m, fpath)
			if err != nil {
				return nil, err
			}
			f.leaf = l
		default:
			return nil, c.errorf(fpath, `a pattern value must be an array, like [%s], or an object of nested fields; got %s`,
				c.d.appendJSON(nil, m), describe(c.d, m))
		}
		o.fields = append(o.fields, f)
	}
	return o, nil
}

func (c *compiler) or(o *object, idx int32, path string, depth int) error {
	n := &c.d.nodes[idx]
	if n.kind != kindArray {
		return c.errorf(path, `"$or" must be an array of at least two pattern objects; got %s`, describe(c.d, idx))
	}
	var alts []int32
	for e := n.first; e >= 0; e = c.d.nodes[e].next {
		alts = append(alts, e)
	}
	if len(alts) < 2 {
		return c.errorf(path, `"$or" must list at least two pattern objects; got %d`, len(alts))
	}
	for i, e := range alts {
		epath := index(path, i)
		if c.d.nodes[e].kind != kindObject {
			return c.errorf(epath, `each "$or" alternative must be a pattern object; got %s`, describe(c.d, e))
		}
		alt, err := c.object(e, epath, depth+1)
		if err != nil {
			return err
		}
		o.or = append(o.or, alt)
	}
	return nil
}

func (c *compiler) leaf(idx int32, path string) (*leaf, error) {
	l := &leaf{}
	i := 0
	for e := c.d.nodes[idx].first; e >= 0; e = c.d.nodes[e].next {
		epath := index(path, i)
		i++
		n := &c.d.nodes[e]
		cd := cond{src: string(c.d.appendJSON(nil, e))}
		switch n.kind {
		case kindString, kindNumber, kindNull, kindTrue, kindFalse:
			cd.op, cd.kind, cd.str = opExact, n.kind, n.str
		case kindArray:
			return nil, c.errorf(epath, "arrays cannot be nested; list the values in one array")
		case kindObject:
			if err := c.filter(&cd, e, epath); err != nil {
				return nil, err
			}
		}
		l.conds = append(l.conds, cd)
	}
	if len(l.conds) == 0 {
		return nil, c.errorf(path, `a pattern array must list at least one value or filter; to match any value use [{"exists": true}]`)
	}
	l.exactOnly = true
	for i := range l.conds {
		cd := &l.conds[i]
		switch {
		case cd.op == opExists:
			l.exactOnly = false
			if cd.exists {
				l.existsTrue = true
			} else {
				l.existsFalse = true
			}
		case cd.op != opExact:
			l.exactOnly = false
			l.filters = append(l.filters, cd)
		case cd.kind == kindString:
			l.strs = append(l.strs, cd.str)
		case cd.kind == kindNumber:
			l.nums = append(l.nums, cd.str)
		case cd.kind == kindNull:
			l.null = true
		case cd.kind == kindTrue:
			l.isTrue = true
		case cd.kind == kindFalse:
			l.isFalse = true
		}
	}
	if len(l.strs) > 8 {
		l.strSet = make(map[string]struct{}, len(l.strs))
		for _, s := range l.strs {
			l.strSet[s] = struct{}{}
		}
	}
	return l, nil
}

// filter compiles a filter object {"name": operand} into cd.
func (c *compiler) filter(cd *cond, idx int32, path string) error {
	ms := c.members(idx)
	switch len(ms) {
	case 0:
		return c.errorf(path, "a filter object must not be empty; the filters are %s", strings.Join(filterNames, ", "))
	case 1:
	default:
		var keys []string
		for _, m := range ms {
			keys = append(keys, strconv.Quote(c.d.nodes[m].key))
		}
		return c.errorf(path, "a filter object must have exactly one key, got %d (%s); put each filter in its own object",
			len(ms), strings.Join(keys, ", "))
	}
	m := ms[0]
	name := c.d.nodes[m].key
	arg := &c.d.nodes[m]
	switch name {
	case "prefix", "suffix":
		plain, fold := opPrefix, opPrefixFold
		if name == "suffix" {
			plain, fold = opSuffix, opSuffixFold
		}
		s, ignoreCase, ok := c.stringOrIgnoreCase(m)
		if !ok {
			return c.errorf(path, `%q needs a string, or {"equals-ignore-case": "..."}; got %s`, name, describe(c.d, m))
		}
		cd.op, cd.str = plain, s
		if ignoreCase {
			cd.op = fold
		}
	case "equals-ignore-case":
		if arg.kind != kindString {
			return c.errorf(path, `"equals-ignore-case" needs a string; got %s`, describe(c.d, m))
		}
		cd.op, cd.str = opEqualsFold, arg.str
	case "wildcard":
		if arg.kind != kindString {
			return c.errorf(path, `"wildcard" needs a string, like "dir/*.png"; got %s`, describe(c.d, m))
		}
		segs, err := compileWildcard(arg.str)
		if err != nil {
			return c.errorf(path, `"wildcard" %s %s`, appendQuoted(nil, arg.str), err)
		}
		cd.op, cd.segs = opWildcard, segs
	case "anything-but":
		return c.anythingBut(cd, m, path)
	case "numeric":
		return c.numeric(cd, m, path)
	case "exists":
		if arg.kind != kindTrue && arg.kind != kindFalse {
			return c.errorf(path, `"exists" needs true or false; got %s`, describe(c.d, m))
		}
		cd.op, cd.exists = opExists, arg.kind == kindTrue
	case "cidr":
		if arg.kind != kindString {
			return c.errorf(path, `"cidr" needs a string, like "10.0.0.0/24"; got %s`, describe(c.d, m))
		}
		pfx, err := netip.ParsePrefix(arg.str)
		if err != nil {
			hint := ""
			if _, aerr := netip.ParseAddr(arg.str); aerr == nil {
				hint = "; add a prefix length, like /32 for one address"
			}
			return c.errorf(path, `"cidr" %s is not an IPv4 or IPv6 block like "10.0.0.0/24" or "2001:db8::/32"%s`,
				appendQuoted(nil, arg.str), hint)
		}
		cd.op, cd.prefix = opCIDR, pfx.Masked()
	default:
		msg := fmt.Sprintf("unknown filter %s", appendQuoted(nil, name))
		if s := suggest(name, filterNames); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		} else {
			msg += "; the filters are " + strings.Join(filterNames, ", ")
		}
		return c.errorf(path, "%s", msg)
	}
	return nil
}

// stringOrIgnoreCase reads the operand of prefix or suffix: "s" or
// {"equals-ignore-case": "s"}.
func (c *compiler) stringOrIgnoreCase(idx int32) (s string, ignoreCase, ok bool) {
	n := &c.d.nodes[idx]
	switch n.kind {
	case kindString:
		return n.str, false, true
	case kindObject:
		ms := c.members(idx)
		if len(ms) == 1 && c.d.nodes[ms[0]].key == "equals-ignore-case" && c.d.nodes[ms[0]].kind == kindString {
			return c.d.nodes[ms[0]].str, true, true
		}
	}
	return "", false, false
}

func (c *compiler) anythingBut(cd *cond, idx int32, path string) error {
	cd.op = opAnythingBut
	n := &c.d.nodes[idx]
	const usage = `"anything-but" needs a string, a number, a list of only strings or only numbers, ` +
		`or an object with one of "prefix", "suffix", "equals-ignore-case" or "wildcard"`
	switch n.kind {
	case kindString:
		cd.but = []cond{{op: opExact, kind: kindString, str: n.str}}
	case kindNumber:
		b, err := c.numberEq(idx, path, `"anything-but"`)
		if err != nil {
			return err
		}
		cd.but = []cond{b}
	case kindArray:
		var first kind
		i := 0
		for e := n.first; e >= 0; e = c.d.nodes[e].next {
			en := &c.d.nodes[e]
			if i == 0 {
				first = en.kind
				if first != kindString && first != kindNumber {
					return c.errorf(path, `"anything-but" lists only strings or only numbers; element 0 is %s`, describe(c.d, e))
				}
			} else if en.kind != first {
				return c.errorf(path, `"anything-but" lists only strings or only numbers; element 0 is a %s but element %d is %s`,
					first, i, describe(c.d, e))
			}
			if first == kindString {
				cd.but = append(cd.but, cond{op: opExact, kind: kindString, str: en.str})
			} else {
				b, err := c.numberEq(e, path, `"anything-but"`)
				if err != nil {
					return err
				}
				cd.but = append(cd.but, b)
			}
			i++
		}
		if i == 0 {
			return c.errorf(path, `"anything-but" needs at least one value in its list`)
		}
	case kindObject:
		ms := c.members(idx)
		if len(ms) != 1 {
			return c.errorf(path, "%s; got an object with %d keys", usage, len(ms))
		}
		m := ms[0]
		name, arg := c.d.nodes[m].key, &c.d.nodes[m]
		var strs []string
		switch {
		case arg.kind == kindString:
			strs = []string{arg.str}
		case arg.kind == kindArray && (name == "equals-ignore-case" || name == "wildcard"):
			for e := arg.first; e >= 0; e = c.d.nodes[e].next {
				if c.d.nodes[e].kind != kindString {
					return c.errorf(path, `"anything-but" %q lists only strings; got %s`, name, describe(c.d, e))
				}
				strs = append(strs, c.d.nodes[e].str)
			}
			if len(strs) == 0 {
				return c.errorf(path, `"anything-but" %q needs at least one string in its list`, name)
			}
		}
		var o op
		switch name {
		case "prefix":
			o = opPrefix
		case "suffix":
			o = opSuffix
		case "equals-ignore-case":
			o = opEqualsFold
		case "wildcard":
			o = opWildcard
		default:
			msg := fmt.Sprintf(`"anything-but" cannot hold %s; it takes "prefix", "suffix", "equals-ignore-case" or "wildcard"`, appendQuoted(nil, name))
			if s := suggest(name, []string{"prefix", "suffix", "equals-ignore-case", "wildcard"}); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return c.errorf(path, "%s", msg)
		}
		if strs == nil {
			what := "a string"
			if o == opEqualsFold || o == opWildcard {
				what = "a string or a list of strings"
			}
			return c.errorf(path, `"anything-but" %q needs %s; got %s`, name, what, describe(c.d, m))
		}
		for _, s := range strs {
			b := cond{op: o, str: s}
			if o == opWildcard {
				segs, err := compileWildcard(s)
				if err != nil {
					return c.errorf(path, `"anything-but" "wildcard" %s %s`, appendQuoted(nil, s), err)
				}
				b.segs = segs
			}
			cd.but = append(cd.but, b)
		}
	default:
		return c.errorf(path, "%s; got %s", usage, describe(c.d, idx))
	}
	return nil
}

// numberEq compiles a number of an anything-but list into a numeric
// equality: anything-but compares numbers by value.
func (c *compiler) numberEq(idx int32, path, who string) (cond, error) {
	n := &c.d.nodes[idx]
	if math.IsInf(n.num, 0) {
		return cond{}, c.errorf(path, "%s: %s is out of range", who, n.str)
	}
	return cond{op: opNumeric, lo: n.num, hi: n.num, loInc: true, hiInc: true}, nil
}

func (c *compiler) numeric(cd *cond, idx int32, path string) error {
	const usage = `"numeric" needs an operator and a number, like ["<", 10], or a range, like [">", 0, "<=", 5]`
	n := &c.d.nodes[idx]
	if n.kind != kindArray {
		return c.errorf(path, "%s; got %s", usage, describe(c.d, idx))
	}
	var elems []int32
	for e := n.first; e >= 0; e = c.d.nodes[e].next {
		elems = append(elems, e)
	}
	if len(elems) != 2 && len(elems) != 4 {
		return c.errorf(path, "%s; got an array of %d", usage, len(elems))
	}
	type bound struct {
		op string
		v  float64
	}
	var bs []bound
	for i := 0; i < len(elems); i += 2 {
		on, vn := &c.d.nodes[elems[i]], &c.d.nodes[elems[i+1]]
		if on.kind != kindString {
			return c.errorf(path, `"numeric": element %d must be an operator ("<", "<=", "=", ">=", ">"); got %s`, i, describe(c.d, elems[i]))
		}
		switch on.str {
		case "<", "<=", "=", ">=", ">":
		default:
			return c.errorf(path, `"numeric": unknown operator %s; use one of "<", "<=", "=", ">=", ">"`, appendQuoted(nil, on.str))
		}
		if vn.kind != kindNumber {
			hint := ""
			if vn.kind == kindString {
				if _, err := strconv.ParseFloat(vn.str, 64); err == nil {
					hint = " (write the number without quotes)"
				}
			}
			return c.errorf(path, `"numeric": the value after %q must be a number; got %s%s`, on.str, describe(c.d, elems[i+1]), hint)
		}
		if !(vn.num >= -numericLimit && vn.num <= numericLimit) {
			return c.errorf(path, `"numeric": %s is out of range; numbers must be between -5e9 and 5e9`, vn.str)
		}
		bs = append(bs, bound{on.str, vn.num})
	}
	// An open end is an included infinity, so 1e400 (+Inf) is "> 0".
	cd.op, cd.lo, cd.hi, cd.loInc, cd.hiInc = opNumeric, math.Inf(-1), math.Inf(1), true, true
	if len(bs) == 1 {
		switch b := bs[0]; b.op {
		case "=":
			cd.lo, cd.hi, cd.loInc, cd.hiInc = b.v, b.v, true, true
		case "<", "<=":
			cd.hi, cd.hiInc = b.v, b.op == "<="
		case ">", ">=":
			cd.lo, cd.loInc = b.v, b.op == ">="
		}
		return nil
	}
	lo, hi := bs[0], bs[1]
	if (lo.op != ">" && lo.op != ">=") || (hi.op != "<" && hi.op != "<=") {
		return c.errorf(path, `"numeric": a range is a lower bound (">" or ">=") followed by an upper bound ("<" or "<="), like [">", 0, "<=", 5]; got [%q, …, %q, …]`, lo.op, hi.op)
	}
	cd.lo, cd.loInc, cd.hi, cd.hiInc = lo.v, lo.op == ">=", hi.v, hi.op == "<="
	if lo.v > hi.v || lo.v == hi.v && !(cd.loInc && cd.hiInc) {
		return c.errorf(path, `"numeric": the range %s %s and %s %s matches no number`,
			lo.op, c.d.nodes[elems[1]].str, hi.op, c.d.nodes[elems[3]].str)
	}
	return nil
}

// suggest returns the filter name closest to a mistyped one, if it is
// close (at most two edits, or a difference only of case or separators).
func suggest(name string, names []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(s))
	}
	best, bestD := "", 3
	for _, f := range names {
		if norm(f) == norm(name) {
			return f
		}
		if d := editDistance(name, f); d < bestD {
			best, bestD = f, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
