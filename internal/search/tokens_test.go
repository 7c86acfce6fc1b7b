package search

import (
	"strconv"
	"strings"
	"testing"
)

func TestTokensGolden(t *testing.T) {
	checkGolden(t, "tokens.txt", func(c *goldenCase) map[string]string {
		in, err := strconv.Unquote(c.get("in"))
		if err != nil {
			t.Fatalf("in: %s: %v", c.get("in"), err)
		}
		return map[string]string{
			"tokens": strings.Join(Tokens(in), " "),
			"index":  IndexText(in),
		}
	}, "tokens", "index")
}
