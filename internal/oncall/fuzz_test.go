package oncall_test

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/oncall"
)

// FuzzParseShift: a shift length that parses formats back to text that parses to the same
// length; nothing panics.
func FuzzParseShift(f *testing.F) {
	for _, s := range []string{"1w", "12h", "1000d", "0d", "1001w", "1m", " 2d ", "", "d", "99999999999999999999h", "١d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		l, err := oncall.ParseShift(v)
		if err != nil {
			return
		}
		if l.Count < 1 || l.Count > oncall.MaxShiftCount {
			t.Fatalf("%q: count %d", v, l.Count)
		}
		back, err := oncall.ParseShift(l.String())
		if err != nil || back != l {
			t.Fatalf("%q → %s → %+v, %v", v, l, back, err)
		}
	})
}

// FuzzICalText: whatever text a schedule or person name carries, the feed's lines end in
// CRLF, are at most 75 octets, are valid UTF-8, and unfolding and unescaping the SUMMARY
// gives the text back (line breaks as \n, other control characters dropped).
func FuzzICalText(f *testing.F) {
	for _, s := range []string{"lee on call", "a,b;c\\d\ne", "佐藤 on call " + strings.Repeat("当番", 40), strings.Repeat("\x80", 200), "\r\n\r", "x\x00y\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		start := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
		cal := &oncall.Calendar{Name: text, Stamp: start, Events: []oncall.Event{{Schedule: text, Who: text, Start: start, End: start.Add(time.Hour), Summary: text}}}
		var b bytes.Buffer
		if err := oncall.WriteICal(&b, cal); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !strings.HasSuffix(out, "\r\n") {
			t.Fatal("no final CRLF")
		}
		for _, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
			if len(l) > 75 || strings.ContainsAny(l, "\r\n") || !utf8.ValidString(l) {
				t.Fatalf("bad line %q", l)
			}
		}
		var summary string
		for _, l := range strings.Split(strings.ReplaceAll(out, "\r\n ", ""), "\r\n") {
			if v, ok := strings.CutPrefix(l, "SUMMARY:"); ok {
				summary = v
			}
		}
		if got, want := unescape(summary), expected(text); got != want {
			t.Fatalf("summary %q unescapes to %q, want %q", summary, got, want)
		}
	})
}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			if s[i] == 'n' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// expected is text as a TEXT value keeps it: valid UTF-8, CRLF and CR as LF, no other
// control characters but tab.
func expected(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var b strings.Builder
	for _, r := range text {
		switch {
		case r == '\r':
			b.WriteByte('\n')
		case (r < 0x20 && r != '\t' && r != '\n') || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
