package textutil

import (
	"testing"
	"unicode/utf8"
)

func TestCutClip(t *testing.T) {
	for _, tc := range []struct {
		s         string
		n         int
		cut, clip string
	}{
		{"abc", 5, "abc", "abc"},
		{"abcdef", 3, "abc", "abc…"},
		{"障害です", 4, "障", "障…"}, // 障 is 3 bytes; 4 falls inside 害
		{"障害です", 6, "障害", "障害…"},
		{"x", 0, "", "…"},
		{"\xff\xfe", 1, "\xff", "\xff…"},
	} {
		if got := Cut(tc.s, tc.n); got != tc.cut {
			t.Errorf("Cut(%q, %d) = %q; want %q", tc.s, tc.n, got, tc.cut)
		}
		if got := Clip(tc.s, tc.n); got != tc.clip {
			t.Errorf("Clip(%q, %d) = %q; want %q", tc.s, tc.n, got, tc.clip)
		}
	}
}

func FuzzCut(f *testing.F) {
	f.Add("障害です", 4)
	f.Fuzz(func(t *testing.T, s string, n int) {
		got := Cut(s, n)
		if len(got) > max(n, 0) || got != s[:len(got)] {
			t.Fatalf("Cut(%q, %d) = %q", s, n, got)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Cut(%q, %d) = %q splits a character", s, n, got)
		}
	})
}
