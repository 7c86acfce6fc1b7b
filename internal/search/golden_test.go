package search

import (
	"bufio"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the current output")

// A golden file is a list of cases separated by blank lines. Each case is
// a list of "key: value" lines; lines starting with # are comments. The
// keys a test reads are its inputs; the keys it writes are the expected
// output, rewritten by -update.
type goldenCase struct {
	comments []string
	keys     []string
	vals     map[string]string
}

func (c *goldenCase) get(k string) string { return c.vals[k] }

// inputs returns the cases of a golden file that are not only comments.
func inputs(t testing.TB, name string) []*goldenCase {
	t.Helper()
	var out []*goldenCase
	for _, c := range readGolden(t, name) {
		if len(c.keys) > 0 {
			out = append(out, c)
		}
	}
	return out
}

func (c *goldenCase) set(k, v string) {
	if _, ok := c.vals[k]; !ok {
		c.keys = append(c.keys, k)
	}
	c.vals[k] = v
}

func readGolden(t testing.TB, name string) []*goldenCase {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []*goldenCase
	var cur *goldenCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	line := 0
	for sc.Scan() {
		line++
		l := sc.Text()
		if strings.TrimSpace(l) == "" {
			cur = nil
			continue
		}
		if cur == nil {
			cur = &goldenCase{vals: map[string]string{}}
			cases = append(cases, cur)
		}
		if strings.HasPrefix(l, "#") {
			cur.comments = append(cur.comments, l)
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("testdata/%s:%d: want key: value, got %q", name, line, l)
		}
		cur.set(k, strings.TrimPrefix(v, " "))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

func writeGolden(t *testing.T, name string, cases []*goldenCase) {
	t.Helper()
	var b strings.Builder
	for i, c := range cases {
		if i > 0 {
			b.WriteByte('\n')
		}
		for _, l := range c.comments {
			b.WriteString(l + "\n")
		}
		for _, k := range c.keys {
			b.WriteString(strings.TrimRight(k+": "+c.vals[k], " ") + "\n")
		}
	}
	if err := os.WriteFile("testdata/"+name, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkGolden compares, for every case, the value of each key fn returns
// with the file, or rewrites the file with -update.
func checkGolden(t *testing.T, name string, fn func(c *goldenCase) map[string]string, outKeys ...string) {
	t.Helper()
	cases := readGolden(t, name)
	for _, c := range cases {
		if len(c.keys) == 0 {
			continue // comments only
		}
		got := fn(c)
		for _, k := range outKeys {
			if *update {
				c.set(k, got[k])
				continue
			}
			if want, ok := c.vals[k]; !ok || want != got[k] {
				t.Errorf("testdata/%s: %s\n%s:\n got  %s\n want %s", name, c.keys[0]+": "+c.vals[c.keys[0]], k, got[k], want)
			}
		}
	}
	if *update {
		writeGolden(t, name, cases)
	}
}
