package search

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func render(fs []Fragment) string {
	var b strings.Builder
	for _, f := range fs {
		if f.Match {
			b.WriteString("[[" + f.Text + "]]")
		} else {
			b.WriteString(f.Text)
		}
	}
	return b.String()
}

func TestHighlightGolden(t *testing.T) {
	checkGolden(t, "highlight.txt", func(c *goldenCase) map[string]string {
		text, err := strconv.Unquote(c.get("text"))
		if err != nil {
			t.Fatalf("text: %s: %v", c.get("text"), err)
		}
		max, err := strconv.Atoi(c.get("max"))
		if err != nil {
			t.Fatal(err)
		}
		fs := Highlight(text, ParseQuery(c.get("q")), max)
		checkFragments(t, text, fs, max)
		return map[string]string{"out": strconv.Quote(render(fs))}
	}, "out")
}

// checkFragments checks what holds for any snippet: valid UTF-8, no empty
// fragment, no two neighbours alike, text from the original in order, at
// most max characters besides the ellipses.
func checkFragments(t testing.TB, text string, fs []Fragment, max int) {
	t.Helper()
	s := snippetText(text)
	n := 0
	var body strings.Builder
	for i, f := range fs {
		if f.Text == "" || !utf8.ValidString(f.Text) {
			t.Fatalf("Highlight(%q): bad fragment %d %q", text, i, f.Text)
		}
		if i > 0 && fs[i-1].Match == f.Match {
			t.Fatalf("Highlight(%q): fragments %d and %d both Match=%v", text, i-1, i, f.Match)
		}
		t := f.Text
		if !f.Match {
			if i == 0 {
				t = strings.TrimPrefix(t, Ellipsis)
			}
			if i == len(fs)-1 {
				t = strings.TrimSuffix(t, Ellipsis)
			}
		}
		n += utf8.RuneCountInString(t)
		body.WriteString(t)
	}
	if max > 0 && n > max {
		t.Fatalf("Highlight(%q, %d): %d characters", text, max, n)
	}
	if !strings.Contains(s, body.String()) {
		t.Fatalf("Highlight(%q): %q is not in the text", text, body.String())
	}
}

func TestHighlightFindsWhatMatches(t *testing.T) {
	for _, c := range inputs(t, "searches.txt") {
		q := ParseQuery(c.get("q"))
		for _, d := range readCorpus(t) {
			fs := Highlight(d.text, q, 0)
			checkFragments(t, d.text, fs, 0)
			marked := false
			for _, f := range fs {
				marked = marked || f.Match
			}
			if q.Matches(d.text) && !marked {
				t.Errorf("q %s matches doc %d but Highlight marks nothing: %q", c.get("q"), d.id, render(fs))
			}
		}
	}
}

func TestHighlightLongText(t *testing.T) {
	q := ParseQuery("障害")
	text := strings.Repeat("あ", 10000) + "障害" + strings.Repeat("い", 10000)
	got := render(Highlight(text, q, 20))
	want := "…あああああ[[障害]]いいいいいいいいいいいいい…"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestHighlightPrefix checks that a long text, where Highlight looks for
// the first match in a prefix, gives the snippet of the whole text.
func TestHighlightPrefix(t *testing.T) {
	filler := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 2000)
	for _, tc := range []struct{ text, q string }{
		{filler[:20000] + " S3 bucket policy denied " + filler, `"bucket policy"`},
		{filler[:100] + " 障害発生 " + filler, "障害"},
		{filler[:70000] + " 障害発生 " + filler[:1000], "障害"},
		{filler, "障害"},
		{filler[:16370] + " access denied " + filler, `"access denied"`},
	} {
		q := ParseQuery(tc.q)
		s := snippetText(tc.text)
		all := matchSpans(s, q)
		first := firstMatches(s, q, 80)
		if len(all) == 0 {
			if len(first) != 0 {
				t.Errorf("%s: firstMatches %v, matchSpans none", tc.q, first[0])
			}
			continue
		}
		if len(first) == 0 || first[0] != all[0] {
			t.Errorf("%s: firstMatches %v, matchSpans %v", tc.q, first, all[0])
		}
		got := render(Highlight(tc.text, q, 80))
		if !strings.Contains(got, "[[") || utf8.RuneCountInString(got) > 80+6 {
			t.Errorf("%s: %q", tc.q, got)
		}
	}
}
