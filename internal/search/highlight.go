package search

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Ellipsis marks where a snippet was cut.
const Ellipsis = "…"

// Fragment is a piece of a snippet; Match pieces are what the query
// matched, to be wrapped in <mark> by the template.
type Fragment struct {
	Text  string
	Match bool
}

// Highlight returns a snippet of text around the first matches of q, cut
// into fragments. Matching follows the index: case, width and composition
// do not matter (ＥＣ２ and ｶﾀｶﾅ are found by ec2 and カタカナ), and the
// fragment shows the original text. Whitespace runs (newlines included)
// become one space. When the text is longer than maxRunes characters, the
// snippet holds at most maxRunes of them, starting a little before the
// first match (or at the start when nothing matches), cut at a space when
// one is near and never inside a character cluster (a letter and its
// accents, an emoji sequence, a flag, a Hangul syllable in jamo), with
// Ellipsis at a cut end (not counted in maxRunes). maxRunes <= 0 means the
// whole text. Adjacent fragments never have the same Match; none is empty.
func Highlight(text string, q Query, maxRunes int) []Fragment {
	s := snippetText(text)
	if s == "" {
		return nil
	}
	lo, hi := 0, len(s)
	var matches [][2]int
	if maxRunes > 0 && utf8.RuneCountInString(s) > maxRunes {
		matches = firstMatches(s, q, maxRunes)
		ms := 0
		if len(matches) > 0 {
			ms = matches[0][0]
		}
		lo, hi = window(s, ms, maxRunes)
	} else {
		matches = matchSpans(s, q)
	}

	var out []Fragment
	add := func(t string, m bool) {
		if t == "" {
			return
		}
		if len(out) > 0 && out[len(out)-1].Match == m {
			out[len(out)-1].Text += t
			return
		}
		out = append(out, Fragment{Text: t, Match: m})
	}
	cutStart, cutEnd := lo > 0, hi < len(s)
	if cutStart {
		add(Ellipsis, false)
		lo = skipSpace(s, lo, hi)
	}
	if cutEnd {
		hi = trimSpace(s, lo, hi)
	}
	at := lo
	for _, m := range matches {
		a, b := max(m[0], lo), min(m[1], hi)
		if a >= b {
			continue
		}
		add(s[at:a], false)
		add(s[a:b], true)
		at = b
	}
	add(s[at:hi], false)
	if cutEnd {
		add(Ellipsis, false)
	}
	return out
}

// firstMatches returns the matches of q in s as matchSpans does, except
// that in a long text it may leave out those after the first ones: it
// looks at a growing prefix of s, cut at a space, until the prefix holds a
// match well before its end. Every match it returns is one of matchSpans';
// it can only miss a phrase whose words are kilobytes of punctuation apart.
func firstMatches(s string, q Query, maxRunes int) [][2]int {
	if q.Empty() {
		return nil
	}
	for size := 16 << 10; size < len(s); size *= 4 {
		cut := strings.LastIndexByte(s[:size], ' ')
		if cut <= 0 {
			continue
		}
		m := matchSpans(s[:cut], q)
		if len(m) > 0 && m[0][0]+4*maxRunes+(4<<10) < cut {
			return m
		}
	}
	return matchSpans(s, q)
}

// snippetText returns text as valid UTF-8 with every whitespace run turned
// into one space (a lone ideographic space stays) and no space at the ends.
func snippetText(text string) string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	var b strings.Builder
	b.Grow(len(text))
	space := 0 // runes in the current whitespace run
	var last rune
	for _, r := range text {
		if unicode.IsSpace(r) {
			space++
			last = r
			continue
		}
		if space > 0 && b.Len() > 0 {
			if space == 1 && last == '\u3000' {
				b.WriteRune(last)
			} else {
				b.WriteByte(' ')
			}
		}
		space = 0
		b.WriteRune(r)
	}
	return b.String()
}

// matchSpans returns the byte spans of s matched by q, sorted and merged.
func matchSpans(s string, q Query) [][2]int {
	if q.Empty() {
		return nil
	}
	// Normalize s segment by segment, remembering where the normalized
	// text n comes from in s: a seg starts a stretch of n that is either a
	// copy of s (most text) or one segment that normalizing changed.
	type seg struct {
		n, o int
		same bool
	}
	var (
		it   norm.Iter
		nb   = make([]byte, 0, len(s)+len(s)/8)
		segs []seg
	)
	it.InitString(norm.NFKC, s)
	for !it.Done() {
		o := it.Pos()
		k := len(nb)
		nb = appendLower(nb, it.Next())
		same := string(nb[k:]) == s[o:it.Pos()]
		if l := len(segs) - 1; same && l >= 0 && segs[l].same && k-segs[l].n == o-segs[l].o {
			continue // the copy goes on
		}
		segs = append(segs, seg{k, o, same})
	}
	n := string(nb)
	segAt := func(i int) int { // index of the seg holding byte i of n
		return sort.Search(len(segs), func(k int) bool { return segs[k].n > i }) - 1
	}
	origStart := func(i int) int {
		sg := segs[segAt(i)]
		if sg.same {
			return sg.o + i - sg.n
		}
		return sg.o
	}
	origEnd := func(i int) int { // i is an end offset in n
		k := segAt(i - 1)
		if segs[k].same {
			return segs[k].o + i - segs[k].n
		}
		if k+1 < len(segs) {
			return segs[k+1].o
		}
		return len(s)
	}

	// At most one token per character.
	size := utf8.RuneCountInString(n)
	texts := make([]string, 0, size)
	type place struct{ start, end, first int }
	places := make([]place, 0, size)
	scan(n, func(r *run) {
		r.eachSpan(n, true, func(t string, start, end, first int) {
			texts = append(texts, t)
			places = append(places, place{start, end, first})
		})
	})

	var spans [][2]int
	for _, t := range q.terms {
		k := len(t.Tokens)
		t.matchAt(texts, func(i int) {
			end := places[i+k-1].end
			if t.Prefix {
				end = places[i+k-1].first
			}
			spans = append(spans, [2]int{origStart(places[i].start), origEnd(end)})
		})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	var merged [][2]int
	for _, sp := range spans {
		if l := len(merged) - 1; l >= 0 && sp[0] <= merged[l][1] {
			merged[l][1] = max(merged[l][1], sp[1])
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}

// window picks the bytes [lo, hi) of s for a snippet of at most maxRunes
// runes starting a little before byte ms.
func window(s string, ms, maxRunes int) (lo, hi int) {
	lead := maxRunes / 4
	lo = back(s, ms, lead)
	if forward(s, lo, maxRunes) == len(s) {
		lo = back(s, len(s), maxRunes) // the end of the text
	}
	if lo > 0 {
		// Start after a space if there is one before the match, not too
		// far on; else at a cluster boundary.
		limit := min(ms, forward(s, lo, lead/2+1))
		k := lo
		for k < limit && !spaceBefore(s, k) {
			k = forward(s, k, 1)
		}
		if k < limit {
			lo = k
		}
		for lo < len(s) && !isBoundary(s, lo) {
			lo = forward(s, lo, 1)
		}
	}
	hi = forward(s, lo, maxRunes)
	if hi < len(s) {
		// End before a space if there is one near; else at a cluster
		// boundary.
		limit := max(forward(s, lo, 1), back(s, hi, maxRunes/8))
		k := hi
		for k > limit && !spaceAt(s, k) {
			k = back(s, k, 1)
		}
		if k > limit {
			hi = k
		}
		for hi > lo && !isBoundary(s, hi) {
			hi = back(s, hi, 1)
		}
	}
	return lo, hi
}

// forward returns the offset n runes after byte i of s, or len(s).
func forward(s string, i, n int) int {
	for ; n > 0 && i < len(s); n-- {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return i
}

// back returns the offset n runes before byte i of s, or 0.
func back(s string, i, n int) int {
	for ; n > 0 && i > 0; n-- {
		_, w := utf8.DecodeLastRuneInString(s[:i])
		i -= w
	}
	return i
}

func spaceAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return i < len(s) && unicode.IsSpace(r)
}

func spaceBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return i > 0 && unicode.IsSpace(r)
}

func skipSpace(s string, lo, hi int) int {
	for lo < hi {
		r, w := utf8.DecodeRuneInString(s[lo:])
		if !unicode.IsSpace(r) {
			break
		}
		lo += w
	}
	return lo
}

func trimSpace(s string, lo, hi int) int {
	for hi > lo {
		r, w := utf8.DecodeLastRuneInString(s[:hi])
		if !unicode.IsSpace(r) {
			break
		}
		hi -= w
	}
	return hi
}

// isBoundary reports whether a snippet may be cut at byte i of s: an
// approximation of the extended grapheme cluster boundaries of UAX #29
// good enough not to tear a character apart.
func isBoundary(s string, i int) bool {
	if i <= 0 || i >= len(s) {
		return true
	}
	prev, _ := utf8.DecodeLastRuneInString(s[:i])
	next, _ := utf8.DecodeRuneInString(s[i:])
	switch {
	case prev == '\r' && next == '\n':
		return false
	case isExtend(next), prev == '\u200d':
		return false
	case isHangulL(prev) && (isHangulL(next) || isHangulV(next) || isHangulLV(next) || isHangulLVT(next)):
		return false
	case (isHangulLV(prev) || isHangulV(prev)) && (isHangulV(next) || isHangulT(next)):
		return false
	case (isHangulLVT(prev) || isHangulT(prev)) && isHangulT(next):
		return false
	case isRegional(prev) && isRegional(next):
		// Flags are pairs: cut only after an even number of indicators.
		n := 0
		for j := i; j > 0; n++ {
			r, w := utf8.DecodeLastRuneInString(s[:j])
			if !isRegional(r) {
				break
			}
			j -= w
		}
		return n%2 == 0
	}
	return true
}

func isExtend(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) ||
		r == '\u200c' || r == '\u200d' ||
		r == '\uff9e' || r == '\uff9f' || // half-width voiced sound marks
		0x1F3FB <= r && r <= 0x1F3FF || // emoji skin tones
		0xE0020 <= r && r <= 0xE007F || // tags
		unicode.Is(unicode.Variation_Selector, r)
}

func isRegional(r rune) bool { return 0x1F1E6 <= r && r <= 0x1F1FF }

func isHangulL(r rune) bool {
	return 0x1100 <= r && r <= 0x115F || 0xA960 <= r && r <= 0xA97C
}
func isHangulV(r rune) bool {
	return 0x1160 <= r && r <= 0x11A7 || 0xD7B0 <= r && r <= 0xD7C6
}
func isHangulT(r rune) bool {
	return 0x11A8 <= r && r <= 0x11FF || 0xD7CB <= r && r <= 0xD7FB
}
func isHangulLV(r rune) bool  { return 0xAC00 <= r && r <= 0xD7A3 && (r-0xAC00)%28 == 0 }
func isHangulLVT(r rune) bool { return 0xAC00 <= r && r <= 0xD7A3 && (r-0xAC00)%28 != 0 }

// appendLower appends part lowercased as strings.ToLower would.
func appendLower(dst, part []byte) []byte {
	for i := 0; i < len(part); {
		if c := part[i]; c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, w := utf8.DecodeRune(part[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += w
	}
	return dst
}
