package oncall_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/oncall"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestICalGolden checks the writer against testdata/feed.ics: CRLF line ends, folding at 75
// octets (never inside a UTF-8 character), escaping of , ; \ and line breaks, UTC times.
func TestICalGolden(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	cal := &oncall.Calendar{
		Name:  `On call: ops, db; "core" \ night`,
		Stamp: time.Date(2026, 2, 24, 3, 0, 0, 0, time.UTC),
		Events: []oncall.Event{
			{Schedule: "platform", Who: "lee", Layer: "weekly", Start: start, End: start.Add(7 * 24 * time.Hour), Summary: "lee on call"},
			{Schedule: "platform", Who: "佐藤", Layer: "", Override: true, Start: start.Add(24 * time.Hour), End: start.Add(48 * time.Hour),
				Summary: "佐藤 on call, covering 鈴木; the whole day\nback slash \\ and a very long tail of words to force folding more than once 당번 值班"},
		},
	}
	var b bytes.Buffer
	if err := oncall.WriteICal(&b, cal); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "feed.ics")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("feed differs from %s:\n%s", golden, b.String())
	}
	// Independent of the golden file: every line ends in CRLF, is at most 75 octets, and
	// is valid UTF-8; unfolding gives back the escaped summary.
	text := b.String()
	if !strings.HasSuffix(text, "\r\n") || strings.Contains(strings.ReplaceAll(text, "\r\n", ""), "\n") {
		t.Fatal("bare LF in the feed")
	}
	for _, l := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
		if !strings.ContainsRune(l, '\uFFFD') && !isUTF8(l) {
			t.Errorf("folded inside a character: %q", l)
		}
	}
	unfolded := strings.ReplaceAll(text, "\r\n ", "")
	if !strings.Contains(unfolded, `SUMMARY:佐藤 on call\, covering 鈴木\; the whole day\nback slash \\ and a very long`) {
		t.Errorf("summary not escaped as expected:\n%s", unfolded)
	}
	if !strings.Contains(unfolded, "DTSTART:20260310T000000Z\r\n") {
		t.Error("times are not UTC")
	}
	// The UID is the same for the same shift, whatever its end.
	e := cal.Events[0]
	e2 := e
	e2.End = e.End.Add(time.Hour)
	if e.UID() != e2.UID() {
		t.Error("UID depends on the end")
	}
	e2.Start = e.Start.Add(time.Hour)
	if e.UID() == e2.UID() {
		t.Error("two shifts share a UID")
	}
}

func isUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
