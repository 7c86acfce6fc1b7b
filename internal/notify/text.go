package notify

import (
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// readLimited reads at most limit bytes of r and discards (a bounded amount
// of) the rest so the connection can be reused.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return b, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r, 256<<10))
	return b, nil
}

// cutRunes returns s cut to at most n characters (runes, never splitting a
// multi-byte character).
func cutRunes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// firstLine returns the first line of s that is not blank, trimmed, with
// control characters removed.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		line = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return -1
			}
			return r
		}, line)
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

// summaryRunes is how long a Backlog issue summary made from a question is.
const summaryRunes = 50

// summary is the first non-empty line of a question cut to 50 characters;
// "Question <ID>" when the text has no visible line.
func summary(q Question) string {
	if s := firstLine(q.Text); s != "" {
		return cutRunes(s, summaryRunes)
	}
	return "Question " + q.ID
}

// cutBytes cuts s to at most n bytes on a character boundary.
func cutBytes(s string, n int) string {
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

// normalizeNewlines turns CRLF and CR into LF.
func normalizeNewlines(s string) string {
	if !strings.ContainsRune(s, '\r') {
		return s
	}
	return strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
}
