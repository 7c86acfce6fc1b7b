// Package search is the text side of opsdesk's full-text search, shared by
// both storage engines: it turns text into index tokens, parses what a user
// types into a query for SQLite FTS5 or PostgreSQL tsquery, and cuts
// highlighted snippets out of matching text.
//
// # Tokens
//
// Text is normalized with NFKC (full-width Ａ and half-width ｶ become a and
// カ) and lowercased, then split into runs:
//
//   - A run of CJK characters (Han, Hiragana, Katakana, Hangul syllables and
//     jamo, Bopomofo, plus 々 and ー) becomes overlapping bigrams:
//     "障害発生" → 障害 害発 発生. A one-character run is that character.
//   - A run of other letters, digits (Nd, Nl) and combining marks, in any
//     script, becomes one word: "ec2", "café", "москва", "ภาษาไทย".
//     Superscripts, circled and full-width digits become digits through
//     NFKC; other numeric symbols (fractions, ৴, ௰) separate, as they do in
//     PostgreSQL's parser.
//   - Everything else separates runs: spaces, punctuation, symbols, emoji,
//     '_', apostrophes and dots ("don't" → don t, "v1.2" → v1 2). A change
//     between CJK and other letters separates too: "EC2インスタンス" → ec2 +
//     bigrams of インスタンス.
//   - Invisible format characters (soft hyphen, zero-width joiners,
//     direction marks, variation selectors) are dropped without separating;
//     U+200B ZERO WIDTH SPACE separates.
//
// Bigrams never span two runs, so a CJK word is found only inside one run of
// CJK text: 害発 does not match "障害 発生" (space between) nor "障害、発生",
// and "障害発生" typed without a space does not match "障害 発生" either.
// Words longer than 100 characters are cut to their first 100 (PostgreSQL
// skips words over 2,047 bytes); cutting the same way on both sides keeps
// them searchable.
//
// # One-character CJK queries
//
// A query of one CJK character (障) cannot be a bigram. Rather than indexing
// every character a second time as a unigram (twice the postings for CJK
// text, and bigram phrases would no longer sit at adjacent positions), the
// index gets one extra token per CJK run of two or more characters: its last
// character (the "tail"), placed right after the run's bigrams
// (IndexText("保障制度") = 保障 障制 制度 度). Every character of every run is
// then the first character of some index token — of the bigram it starts,
// or of the tail — so a one-character query is a prefix query (FTS5 "障"*,
// tsquery '障':*) that finds exactly the documents containing that
// character, with no extra cost for other queries. Tokens returns the plain
// tokens without tails; IndexText adds them.
//
// The tail also keeps phrases exact across runs: the quoted query
// "障害 発生" becomes 障害 害 発生 (a run that is not the last of a phrase
// must end there, so it is followed by its tail), which matches "障害 発生"
// and "障害、発生" but not "障害発生".
//
// # Engines
//
// The index column holds IndexText: tokens separated by single spaces.
// Either engine must keep those tokens intact:
//
//   - SQLite: an FTS5 table with tokenize = 'ascii'. The ascii tokenizer
//     treats every non-ASCII character as a token character and ASCII
//     non-alphanumerics as separators, so it splits exactly at our spaces
//     and nowhere else, whatever Unicode version SQLite was built with.
//     unicode61, even with remove_diacritics 0, takes combining marks for
//     separators: it cuts ที่ to ท and हिन्दी to ह न द.
//   - PostgreSQL: to_tsvector('simple', indexed) in a GIN index, queried
//     with to_tsquery('simple', TSQuery()). The tests check that the default
//     parser keeps every token as one lexeme (TestPostgresParserCharacters
//     lists the rare exceptions). A tsvector keeps at most 255 positions
//     per lexeme and none past 16,383, so index one row per communication
//     rather than one row per case: phrase matches (words in quotes, CJK
//     words of three or more characters) deep inside a very long text are
//     missed otherwise. One-token queries (a two-character CJK word, a
//     single word, a one-character prefix) do not use positions.
//
// Tests run the same documents and queries through both engines and through
// Query.Matches, and require identical results.
package search

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const (
	// maxWordRunes is the longest word kept; longer words are cut.
	maxWordRunes = 100
	// maxUnitRunes bounds one CJK character with its combining marks.
	maxUnitRunes = 8
)

// normalize returns s in NFKC, lowercased. Invalid UTF-8 bytes may stay:
// scan treats them as separators.
func normalize(s string) string {
	s = norm.NFKC.String(s)
	// strings.ToLower copies any non-ASCII text; most CJK text has nothing
	// to lower.
	for _, r := range s {
		switch {
		case r < 0x80:
			if 'A' <= r && r <= 'Z' {
				return strings.ToLower(s)
			}
		case 0x3000 <= r && r < 0xA000 || 0xAC00 <= r && r < 0xD7A4:
		case unicode.ToLower(r) != r:
			return strings.ToLower(s)
		}
	}
	return s
}

// Tokens returns the search tokens of s: words, and CJK bigrams (a single
// CJK character when its run has only one). See the package comment.
func Tokens(s string) []string {
	n := normalize(s)
	// A text has at most one token per character.
	toks := make([]string, 0, min(utf8.RuneCountInString(n), 1<<12))
	scan(n, func(r *run) {
		toks = r.appendTokens(n, toks, false)
	})
	return toks
}

// IndexText returns what goes into the full-text index column for a
// document made of parts (a case subject, a message body…): the tokens of
// every part, CJK runs followed by their tail character, separated by
// single spaces. Runs never continue from one part into the next.
func IndexText(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		n := normalize(p)
		b.Grow(2 * len(n)) // CJK bigrams and tails: about 2.3 times the text
		scan(n, func(r *run) {
			r.eachToken(n, true, func(tok string) {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(tok)
			})
		})
	}
	return b.String()
}

// class is what a rune does in a normalized text.
type class uint8

const (
	cSep    class = iota // separates runs
	cWord                // letter or digit of a word
	cCJK                 // CJK character
	cMark                // combining mark: continues the current run
	cIgnore              // invisible: dropped, does not separate
)

func classify(r rune) class {
	if r < 0x10000 {
		bmpOnce.Do(initBMP)
		return bmp[r]
	}
	return classifySlow(r)
}

var (
	bmpOnce sync.Once
	bmp     *[0x10000]class // classify of the BMP, built on first use
)

func initBMP() {
	t := new([0x10000]class)
	for r := range rune(0x10000) {
		t[r] = classifySlow(r)
	}
	bmp = t
}

func classifySlow(r rune) class {
	switch {
	case r < 0x80:
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || 'A' <= r && r <= 'Z' {
			return cWord
		}
		return cSep
	case 0x3041 <= r && r <= 0x3096, 0x309D <= r && r <= 0x309F, // hiragana
		0x30A1 <= r && r <= 0x30FA, 0x30FC <= r && r <= 0x30FF, // katakana, ー
		0x4E00 <= r && r <= 0x9FFF, // CJK unified ideographs
		0xAC00 <= r && r <= 0xD7A3: // hangul syllables
		return cCJK
	case r == 0x200B: // zero width space
		return cSep
	case unicode.Is(unicode.Variation_Selector, r),
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r),
		unicode.Is(unicode.Cf, r),
		unicode.Is(unicode.Me, r):
		return cIgnore
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Mc, r):
		return cMark
	case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Nl, r):
		if r == 0x3005 || r == 0x3031 || r == 0x3032 || r == 0x3033 || r == 0x3034 || r == 0x3035 ||
			unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Bopomofo) {
			return cCJK
		}
		return cWord
	}
	return cSep
}

// span is a piece of a normalized text, in bytes.
type span struct {
	start, end int
	runes      int  // runes kept so far (ignored runes do not count)
	dirty      bool // holds ignored runes or more than the limit: filter it
}

// text returns the runes of sp kept in a token: ignored runes dropped, at
// most limit runes.
func (sp span) text(n string, limit int) string {
	if !sp.dirty {
		return n[sp.start:sp.end]
	}
	var b strings.Builder
	k := 0
	for _, r := range n[sp.start:sp.end] {
		if k == limit {
			break
		}
		if classify(r) == cIgnore {
			continue
		}
		b.WriteRune(r)
		k++
	}
	return b.String()
}

// extend adds the rune at [i, j) to sp.
func (sp *span) extend(j int, ignored bool, limit int) {
	if ignored {
		sp.dirty = true
	}
	sp.end = j
	sp.runes++
	if sp.runes > limit {
		sp.dirty = true
	}
}

// run is a maximal word or CJK run of a normalized text.
type run struct {
	cjk   bool
	word  span   // the word, when !cjk
	units []span // one per CJK character with its marks, when cjk
}

// eachToken calls fn with the tokens of r; tail adds the tail character of
// a CJK run of two or more characters.
func (r *run) eachToken(n string, tail bool, fn func(string)) {
	r.eachSpan(n, tail, func(tok string, _, _, _ int) { fn(tok) })
}

// eachSpan is eachToken with each token's place in n: [start, end), and
// first, the end of its first character (CJK) or end (words).
func (r *run) eachSpan(n string, tail bool, fn func(tok string, start, end, first int)) {
	if !r.cjk {
		fn(r.word.text(n, maxWordRunes), r.word.start, r.word.end, r.word.end)
		return
	}
	u := r.units
	if len(u) == 1 {
		fn(u[0].text(n, maxUnitRunes), u[0].start, u[0].end, u[0].end)
		return
	}
	for i := 0; i+1 < len(u); i++ {
		fn(bigram(n, u[i], u[i+1]), u[i].start, u[i+1].end, u[i].end)
	}
	if last := u[len(u)-1]; tail {
		fn(last.text(n, maxUnitRunes), last.start, last.end, last.end)
	}
}

func (r *run) appendTokens(n string, toks []string, tail bool) []string {
	r.eachToken(n, tail, func(s string) { toks = append(toks, s) })
	return toks
}

func bigram(n string, a, b span) string {
	if !a.dirty && !b.dirty && a.end == b.start {
		return n[a.start:b.end]
	}
	return a.text(n, maxUnitRunes) + b.text(n, maxUnitRunes)
}

// scan calls fn with each run of the normalized text n, in order. fn must
// not keep r or r.units.
func scan(n string, fn func(r *run)) {
	var (
		cur     run
		open    bool
		ignored bool // an ignored rune since the last rune of the run
		buf     [32]span
	)
	cur.units = buf[:0]
	flush := func() {
		if open {
			fn(&cur)
		}
		open, ignored = false, false
		cur.units = cur.units[:0]
	}
	for i, w := 0, 0; i < len(n); i += w {
		var r rune
		r, w = utf8.DecodeRuneInString(n[i:])
		j := i + w
		switch classify(r) {
		case cIgnore:
			ignored = open
		case cMark:
			if !open {
				continue // a mark with nothing to attach to: a separator
			}
			if cur.cjk {
				cur.units[len(cur.units)-1].extend(j, ignored, maxUnitRunes)
			} else {
				cur.word.extend(j, ignored, maxWordRunes)
			}
			ignored = false
		case cWord:
			if open && !cur.cjk {
				cur.word.extend(j, ignored, maxWordRunes)
				ignored = false
				continue
			}
			flush()
			open, cur.cjk = true, false
			cur.word = span{start: i, end: j, runes: 1}
		case cCJK:
			if !open || !cur.cjk {
				flush()
				open, cur.cjk = true, true
			}
			ignored = false
			cur.units = append(cur.units, span{start: i, end: j, runes: 1})
		default:
			flush()
		}
	}
	flush()
}
