package alerts

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/textutil"
)

// Search is a parsed alert search: every term must match (AND).
//
// A free term matches when it is part of the summary, host, service or
// labels (keys and values), ignoring case. A term of the form field:value
// matches one field: host:, service:, severity:, source:, system: and
// status: compare the whole value (ignoring case); label:key=value compares
// one label's whole value, label:key asks for the label to be present.
// "Double quotes" keep spaces inside one term; a leading - negates a term.
// Text in any language works: terms are substrings, not words.
type Search struct {
	Terms []SearchTerm
}

// SearchTerm is one condition of a Search.
type SearchTerm struct {
	// Field is "" for a free term, or host, service, severity, source,
	// system, status or label.
	Field string
	// Key is the label's key (Field label).
	Key string
	// Value is the text to match, NFKC-normalized; for a label term without
	// '=' it is empty (presence).
	Value string
	Not   bool
}

// Limits of a search, so that one request cannot build an unbounded query.
const (
	maxSearchTerms = 12
	maxSearchChars = 400
)

var searchFields = map[string]bool{
	"host": true, "service": true, "severity": true, "source": true,
	"system": true, "status": true, "label": true,
}

// SearchError says what is wrong with a search text; Field is the request
// parameter ("q").
type SearchError struct{ Msg string }

func (e *SearchError) Error() string { return "q: " + e.Msg }

// ParseSearch parses the text of a search box. An empty text is an empty
// Search (everything matches). Unknown prefixes ("error: disk full",
// "https://…") are free text.
func ParseSearch(text string) (Search, error) {
	var s Search
	if !utf8.ValidString(text) {
		return s, &SearchError{"is not valid UTF-8"}
	}
	if utf8.RuneCountInString(text) > maxSearchChars {
		return s, &SearchError{fmt.Sprintf("is longer than %d characters", maxSearchChars)}
	}
	text = norm.NFKC.String(text)
	for _, raw := range splitSearch(text) {
		t := SearchTerm{}
		if strings.HasPrefix(raw.text, "-") && !raw.quotedAll && len(raw.text) > 1 {
			t.Not = true
			raw.text = raw.text[1:]
		}
		body := raw.text
		if i := strings.IndexByte(body, ':'); i > 0 && raw.quotedFrom > i && searchFields[strings.ToLower(body[:i])] {
			t.Field = strings.ToLower(body[:i])
			body = body[i+1:]
			if t.Field == "label" {
				k, v, hasValue := strings.Cut(body, "=")
				if k == "" {
					return Search{}, &SearchError{fmt.Sprintf("%q: label: needs a key (label:env or label:env=prod)", raw.text)}
				}
				t.Key, t.Value = k, v
				if !hasValue {
					t.Value = ""
				}
				s.Terms = append(s.Terms, t)
				continue
			}
			if body == "" {
				return Search{}, &SearchError{fmt.Sprintf("%q: %s: needs a value", raw.text, t.Field)}
			}
		}
		if body == "" {
			continue
		}
		t.Value = body
		s.Terms = append(s.Terms, t)
	}
	if len(s.Terms) > maxSearchTerms {
		return Search{}, &SearchError{fmt.Sprintf("has %d terms; at most %d", len(s.Terms), maxSearchTerms)}
	}
	// One order for every search of the same shape, so that the statement
	// text depends on the kinds of terms only, never on their order.
	sort.SliceStable(s.Terms, func(i, j int) bool { return termRank(s.Terms[i]) < termRank(s.Terms[j]) })
	return s, nil
}

func termRank(t SearchTerm) string {
	r := t.Field
	if t.Field == "label" && t.Value == "" {
		r = "label?"
	}
	if t.Not {
		r = "-" + r
	}
	return r
}

type rawTerm struct {
	text string
	// quotedFrom is the byte offset of the first quote in text (len(text)
	// when none): a colon after it is not a field separator.
	quotedFrom int
	quotedAll  bool
}

// splitSearch splits on spaces outside double quotes; the quotes are
// dropped. An unclosed quote runs to the end.
func splitSearch(text string) []rawTerm {
	var out []rawTerm
	var b strings.Builder
	inQuote, started := false, false
	quotedFrom, quotedAll := -1, false
	flush := func() {
		if started {
			q := quotedFrom
			if q < 0 {
				q = b.Len()
			}
			out = append(out, rawTerm{text: b.String(), quotedFrom: q, quotedAll: quotedAll})
		}
		b.Reset()
		started, quotedFrom, quotedAll = false, -1, false
	}
	for _, r := range text {
		switch {
		case r == '"':
			if !started {
				quotedAll = true
			}
			if quotedFrom < 0 {
				quotedFrom = b.Len()
			}
			inQuote = !inQuote
			started = true
		case !inQuote && (r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u3000'):
			flush()
		default:
			b.WriteRune(r)
			started = true
		}
	}
	flush()
	return out
}

// likePattern is "%value%" with LIKE's wildcards escaped (ESCAPE '\').
func likePattern(v string) string {
	return "%" + textutil.EscapeLike(strings.ToLower(v)) + "%"
}

// where returns the SQL conditions of the search and their arguments.
func (s Search) where(engine string) (conds []string, args []any) {
	for _, t := range s.Terms {
		var c string
		switch t.Field {
		case "":
			p := likePattern(t.Value)
			c = `(lower(summary) LIKE ? ESCAPE '\' OR lower(host) LIKE ? ESCAPE '\' OR lower(service) LIKE ? ESCAPE '\' OR lower(labels) LIKE ? ESCAPE '\')`
			args = append(args, p, p, p, p)
		case "label":
			expr := labelExpr(engine)
			if t.Value == "" {
				c = expr + ` IS NOT NULL`
			} else {
				c = `lower(` + expr + `) = ?`
				args = append(args, labelArg(engine, t.Key), strings.ToLower(t.Value))
				break
			}
			args = append(args, labelArg(engine, t.Key))
		default:
			c = `lower(` + t.Field + `) = ?`
			args = append(args, strings.ToLower(t.Value))
		}
		if t.Not {
			// A missing label is "not env=prod" too.
			if t.Field == "label" && t.Value != "" {
				c = `COALESCE(` + c + `, FALSE)`
			}
			c = `NOT ` + c
		}
		conds = append(conds, c)
	}
	return conds, args
}

// labelExpr reads one label (by the key given as the next argument) from
// the labels JSON object; NULL when absent.
func labelExpr(engine string) string {
	if engine == store.Postgres {
		return `(labels::jsonb ->> ?)`
	}
	return `json_extract(labels, ?)`
}

func labelArg(engine, key string) string {
	if engine == store.Postgres {
		return key
	}
	return `$."` + strings.ReplaceAll(key, `"`, `""`) + `"`
}
