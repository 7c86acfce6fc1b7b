package search

import (
	"fmt"
	"strings"
	"testing"
)

func TestQueryGolden(t *testing.T) {
	checkGolden(t, "queries.txt", func(c *goldenCase) map[string]string {
		q := ParseQuery(c.get("in"))
		var terms []string
		for _, tm := range q.Terms() {
			s := "[" + strings.Join(tm.Tokens, " ") + "]"
			if tm.Prefix {
				s += "*"
			}
			terms = append(terms, s)
		}
		return map[string]string{
			"terms":   strings.Join(terms, " "),
			"empty":   fmt.Sprint(q.Empty()),
			"fts5":    q.FTS5(),
			"tsquery": q.TSQuery(),
		}
	}, "terms", "empty", "fts5", "tsquery")
}
