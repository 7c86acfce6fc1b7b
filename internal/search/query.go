package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Query limits: a pasted page of text is cut to a query of bounded cost.
const (
	maxTerms      = 16
	maxTermTokens = 32
)

// Term is one term of a query: a phrase whose tokens must appear at
// consecutive positions of the index.
type Term struct {
	Tokens []string
	// Prefix is set when the last token is a lone CJK character, which is
	// matched as the prefix of an index token (see the package comment).
	Prefix bool
}

// Query is a parsed search: every term must match (AND).
type Query struct {
	terms []Term
}

// ParseQuery parses what a user typed. Terms are separated by whitespace;
// text in double quotes ("…", “…”, „…“, 「…」 or 『…』; an unclosed quote
// runs to the end) is one term. Each term becomes a phrase of its tokens, so
// S3-bucket, "s3 bucket" and s3/bucket are the same phrase, and a CJK word
// becomes its bigrams at consecutive positions. There are no operators:
// AND, OR, NOT, -, *, :, parentheses are ordinary text. Terms with no
// tokens (punctuation, emoji) are dropped, and so are repeated terms. At
// most 16 terms of at most 32 tokens are kept; a longer phrase is cut,
// which widens it.
func ParseQuery(q string) Query {
	var (
		out     Query
		seen    = map[string]bool{}
		quoted  bool
		start   int
		n       = normalize(q)
		addTerm = func(raw string) {
			if len(out.terms) == maxTerms {
				return
			}
			t, ok := parseTerm(raw)
			if !ok {
				return
			}
			key := strings.Join(t.Tokens, " ")
			if t.Prefix {
				key += "*"
			}
			if seen[key] {
				return
			}
			seen[key] = true
			out.terms = append(out.terms, t)
		}
	)
	for i, r := range n {
		switch {
		case isQuote(r):
			addTerm(n[start:i])
			quoted = !quoted
			start = i + utf8.RuneLen(r)
		case !quoted && unicode.IsSpace(r):
			addTerm(n[start:i])
			start = i + utf8.RuneLen(r)
		}
	}
	addTerm(n[start:])
	return out
}

func isQuote(r rune) bool {
	switch r {
	case '"', '“', '”', '„', '「', '」', '『', '』':
		return true
	}
	return false
}

// parseTerm turns one normalized term into its phrase. A CJK run followed
// by another run must end where that run starts, so its tail follows its
// bigrams as in the index; the last CJK run may continue in the document,
// so it has no tail, and when it is a lone character it is a prefix.
func parseTerm(n string) (Term, bool) {
	var runs []run
	scan(n, func(r *run) {
		c := *r
		c.units = append([]span(nil), r.units...)
		runs = append(runs, c)
	})
	var t Term
	for i := range runs {
		r := &runs[i]
		last := i == len(runs)-1
		t.Tokens = r.appendTokens(n, t.Tokens, !last)
		if last && r.cjk && len(r.units) == 1 {
			t.Prefix = true
		}
	}
	if len(t.Tokens) > maxTermTokens {
		t.Tokens = t.Tokens[:maxTermTokens]
		t.Prefix = false
	}
	return t, len(t.Tokens) > 0
}

// Empty reports whether q has no terms (an empty or punctuation-only
// input). An empty query matches nothing; callers should not run it.
func (q Query) Empty() bool { return len(q.terms) == 0 }

// Terms returns the terms of q.
func (q Query) Terms() []Term {
	out := make([]Term, len(q.terms))
	for i, t := range q.terms {
		out[i] = Term{Tokens: append([]string(nil), t.Tokens...), Prefix: t.Prefix}
	}
	return out
}

// FTS5 returns q as an FTS5 MATCH expression for a table whose column holds
// IndexText, tokenized with tokenize = 'ascii'. Every token is a quoted
// string, the tokens of a term are joined with + (consecutive positions)
// and terms with AND: `"s3" + "bucket" AND "障害"`; a lone CJK character is
// a prefix, `"障"*`. Bind it as a parameter: ... WHERE t MATCH ?. An empty
// query gives `""`, which FTS5 accepts and which matches nothing.
func (q Query) FTS5() string {
	if q.Empty() {
		return `""`
	}
	var b strings.Builder
	for i, t := range q.terms {
		if i > 0 {
			b.WriteString(" AND ")
		}
		for j, tok := range t.Tokens {
			if j > 0 {
				b.WriteString(" + ")
			}
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(tok, `"`, `""`))
			b.WriteByte('"')
		}
		if t.Prefix {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// TSQuery returns q as the argument of PostgreSQL to_tsquery('simple', $1)
// for a column to_tsvector('simple', IndexText(...)). Every lexeme is
// single-quoted with quotes and backslashes escaped, the tokens of a term
// are joined with <-> (consecutive positions) and terms with &:
// `('s3' <-> 'bucket') & '障害'`; a lone CJK character is a prefix, '障':*.
// An empty query gives "", for which to_tsquery returns an empty tsquery
// (with a NOTICE) that matches nothing.
func (q Query) TSQuery() string {
	var b strings.Builder
	for i, t := range q.terms {
		if i > 0 {
			b.WriteString(" & ")
		}
		group := len(q.terms) > 1 && len(t.Tokens) > 1
		if group {
			b.WriteByte('(')
		}
		for j, tok := range t.Tokens {
			if j > 0 {
				b.WriteString(" <-> ")
			}
			b.WriteByte('\'')
			for _, r := range tok {
				if r == '\'' || r == '\\' {
					b.WriteRune(r)
				}
				b.WriteRune(r)
			}
			b.WriteByte('\'')
		}
		if t.Prefix {
			b.WriteString(":*")
		}
		if group {
			b.WriteByte(')')
		}
	}
	return b.String()
}

// Matches reports whether the document made of parts matches q, the way
// the engines decide it on IndexText(parts...). An empty query matches
// nothing.
func (q Query) Matches(parts ...string) bool {
	if q.Empty() {
		return false
	}
	var toks []string
	for _, p := range parts {
		n := normalize(p)
		scan(n, func(r *run) { toks = r.appendTokens(n, toks, true) })
	}
	for _, t := range q.terms {
		if !t.matchAt(toks, func(int) {}) {
			return false
		}
	}
	return true
}

// matchAt calls fn with each position of toks where t matches, and reports
// whether there was one.
func (t Term) matchAt(toks []string, fn func(i int)) bool {
	found := false
	k := len(t.Tokens)
	for i := 0; i+k <= len(toks); i++ {
		if t.matchesAt(toks, i) {
			fn(i)
			found = true
		}
	}
	return found
}

func (t Term) matchesAt(toks []string, i int) bool {
	k := len(t.Tokens)
	for j, want := range t.Tokens {
		got := toks[i+j]
		if j == k-1 && t.Prefix {
			if !strings.HasPrefix(got, want) {
				return false
			}
		} else if got != want {
			return false
		}
	}
	return true
}

// TSQueryLoose returns q for a document-level index without positions
// (PostgreSQL strip(tsvector)): every token of every term joined with &, a
// lone CJK character as a prefix. It finds the candidates; phrases of
// several tokens are then checked where positions are kept (Phrases).
func (q Query) TSQueryLoose() string {
	var b strings.Builder
	for _, t := range q.terms {
		for j, tok := range t.Tokens {
			if b.Len() > 0 {
				b.WriteString(" & ")
			}
			writeLexeme(&b, tok)
			if t.Prefix && j == len(t.Tokens)-1 {
				b.WriteString(":*")
			}
		}
	}
	return b.String()
}

// Phrases returns, for each term of several tokens, a query of that term
// alone: what must match within one part of a document (one message, a
// subject), where the loose document-level match cannot tell.
func (q Query) Phrases() []Query {
	var out []Query
	for _, t := range q.terms {
		if len(t.Tokens) > 1 {
			out = append(out, Query{terms: []Term{t}})
		}
	}
	return out
}

func writeLexeme(b *strings.Builder, tok string) {
	b.WriteByte('\'')
	for _, r := range tok {
		if r == '\'' || r == '\\' {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
}

// PartSeparator goes between the parts of a document indexed as one FTS5
// row (a case: its subject, then each message), so that no phrase matches
// across two parts. It is a private-use character, which the tokenizer
// never produces from text.
const PartSeparator = "\uE000"

// IndexDocument is IndexText for a document whose parts must not form
// phrases across their boundaries: the parts' tokens separated by
// PartSeparator.
func IndexDocument(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		t := IndexText(p)
		if t == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(" " + PartSeparator + " ")
		}
		b.WriteString(t)
	}
	return b.String()
}

// UniqueTokens returns the distinct tokens of IndexText(parts...), space
// separated: a document-level index without positions needs each once.
func UniqueTokens(parts ...string) string {
	seen := map[string]bool{}
	var b strings.Builder
	for _, tok := range strings.Fields(IndexText(parts...)) {
		if seen[tok] {
			continue
		}
		seen[tok] = true
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// Split returns one query per term of q.
func (q Query) Split() []Query {
	out := make([]Query, len(q.terms))
	for i, t := range q.terms {
		out[i] = Query{terms: []Term{t}}
	}
	return out
}
