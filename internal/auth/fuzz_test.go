package auth_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/auth"
)

// FuzzParseScopes: whatever is given as --scope, the answer is an error
// naming the scopes, or a sorted list of known scopes without repeats, and
// every known scope given comes back.
func FuzzParseScopes(f *testing.F) {
	for _, s := range []string{"ingest:alerts", "ingest:alerts,read:cases", " admin , admin ", "", ",", "read:alerts\tact:alerts", "ingest:alerts,,x", "ＩＮＧＥＳＴ:alerts"} {
		f.Add(s, "read:cases")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		got, err := auth.ParseScopes(a, b)
		if err != nil {
			if !strings.Contains(err.Error(), "ingest:alerts, ingest:events, read:cases") {
				t.Fatalf("error without the scopes: %v", err)
			}
			return
		}
		if len(got) == 0 || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Fatalf("ParseScopes(%q, %q) = %q", a, b, got)
		}
		for _, s := range got {
			if !auth.ValidScope(s) || (!strings.Contains(a, s) && !strings.Contains(b, s)) {
				t.Fatalf("ParseScopes(%q, %q) returned %q", a, b, s)
			}
		}
	})
}
