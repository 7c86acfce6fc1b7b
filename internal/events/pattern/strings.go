package pattern

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// compileWildcard splits a wildcard filter at its unescaped '*' into the
// literal pieces between them: "dir/*.png" gives ["dir/", ".png"], and a
// value matches when it starts with the first piece, ends with the last
// and holds the others in order between them. `\*` is a literal star and
// `\\` a literal backslash; any other backslash, and two stars in a row,
// are rejected as EventBridge rejects them.
func compileWildcard(w string) ([]string, error) {
	var segs []string
	var cur strings.Builder
	prevStar := false
	for i := 0; i < len(w); i++ {
		switch c := w[i]; c {
		case '\\':
			if i+1 >= len(w) {
				return nil, errors.New(`ends with a lone backslash; write \\ for a literal backslash`)
			}
			e := w[i+1]
			if e != '*' && e != '\\' {
				r, _ := utf8.DecodeRuneInString(w[i+1:])
				return nil, errors.New(`has the escape \` + string(r) + `; only \* (a literal star) and \\ (a literal backslash) are allowed`)
			}
			cur.WriteByte(e)
			i++
			prevStar = false
		case '*':
			if prevStar {
				return nil, errors.New(`has consecutive wildcard characters "**", which EventBridge does not allow`)
			}
			segs = append(segs, cur.String())
			cur.Reset()
			prevStar = true
		default:
			cur.WriteByte(c)
			prevStar = false
		}
	}
	return append(segs, cur.String()), nil
}

// globMatch reports whether s matches the pieces of a compiled wildcard.
// Taking each middle piece at its leftmost place is always right for
// patterns whose only metacharacter is '*', so this is linear in s.
func globMatch(segs []string, s string) bool {
	if len(segs) == 1 {
		return s == segs[0]
	}
	first, last := segs[0], segs[len(segs)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, m := range segs[1 : len(segs)-1] {
		i := strings.Index(s, m)
		if i < 0 {
			return false
		}
		s = s[i+len(m):]
	}
	return true
}

// foldEq reports whether two runes are equal under Unicode simple case
// folding, the folding strings.EqualFold uses.
func foldEq(a, b rune) bool {
	if a == b {
		return true
	}
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// hasPrefixFold is strings.HasPrefix ignoring case. It walks runes, not
// bytes, because case variants can differ in length (K and U+212A KELVIN
// SIGN).
func hasPrefixFold(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		pr, pn := utf8.DecodeRuneInString(prefix)
		sr, sn := utf8.DecodeRuneInString(s)
		if !foldEq(pr, sr) {
			return false
		}
		prefix, s = prefix[pn:], s[sn:]
	}
	return true
}

// hasSuffixFold is strings.HasSuffix ignoring case.
func hasSuffixFold(s, suffix string) bool {
	for suffix != "" {
		if s == "" {
			return false
		}
		pr, pn := utf8.DecodeLastRuneInString(suffix)
		sr, sn := utf8.DecodeLastRuneInString(s)
		if !foldEq(pr, sr) {
			return false
		}
		suffix, s = suffix[:len(suffix)-pn], s[:len(s)-sn]
	}
	return true
}
