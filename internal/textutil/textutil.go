// Package textutil holds the small text helpers several packages need when
// they store or show outside input: cutting to a byte budget without
// splitting a character.
package textutil

import (
	"strings"
	"unicode/utf8"
)

// Cut returns s cut to at most n bytes, never inside a UTF-8 sequence.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Clip is Cut with "…" appended when something was cut (the result may then
// be up to 3 bytes longer than n).
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return Cut(s, n) + "…"
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// EscapeLike escapes the wildcards of a SQL LIKE pattern (for ESCAPE '\'),
// so that s matches itself only.
func EscapeLike(s string) string { return likeEscaper.Replace(s) }
