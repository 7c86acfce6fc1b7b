package cases

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Export writes every case with its thread to dir: "jsonl" writes
// cases.jsonl (one case per line), "markdown" one readable file per case
// under dir/ACCOUNT/. It returns the number of cases written.
func Export(ctx context.Context, s *Store, account, format, dir string) (int, error) {
	n := 0
	switch format {
	case "jsonl":
		f, err := os.Create(filepath.Join(dir, "cases.jsonl"))
		if err != nil {
			return 0, err
		}
		defer f.Close()
		w := bufio.NewWriter(f)
		enc := json.NewEncoder(w)
		err = s.Each(ctx, account, func(c *Case, msgs []Communication) error {
			n++
			return enc.Encode(threadJSON(c, msgs))
		})
		if err != nil {
			return n, err
		}
		if err := w.Flush(); err != nil {
			return n, err
		}
		return n, f.Close()
	case "markdown":
		err := s.Each(ctx, account, func(c *Case, msgs []Communication) error {
			d, err := inside(dir, safeName(c.Account))
			if err != nil {
				return err
			}
			if err := os.MkdirAll(d, 0o750); err != nil {
				return err
			}
			name := c.DisplayID
			if name == "" {
				name = c.CaseID
			}
			file, err := inside(d, safeName(name)+".md")
			if err != nil {
				return err
			}
			n++
			return os.WriteFile(file, []byte(Markdown(c, msgs)), 0o640)
		})
		return n, err
	}
	return 0, fmt.Errorf("cases: export format %q must be jsonl or markdown", format)
}

func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == ':' {
			return '_'
		}
		return r
	}, s)
	if s == "" || s[0] == '.' {
		// "", ".", ".." and hidden names.
		s = "_" + s
	}
	return s
}

// inside joins dir and name and refuses a result that is not below dir.
func inside(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("cases: export: %q would be written outside %s", name, dir)
	}
	return p, nil
}

// Markdown renders a case as a readable document.
func Markdown(c *Case, msgs []Communication) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", oneLine(c.Subject))
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	for _, kv := range [][2]string{
		{"Case", c.CaseID}, {"Display id", c.DisplayID}, {"Account", c.Account}, {"Status", c.Status}, {"Severity", c.Severity},
		{"Service", c.ServiceCode}, {"Category", c.CategoryCode}, {"Language", c.Language}, {"Opened by", c.SubmittedBy},
		{"Created", c.TimeCreated.Format(time.RFC3339)},
	} {
		fmt.Fprintf(&b, "| %s | %s |\n", kv[0], strings.ReplaceAll(oneLine(kv[1]), "|", `\|`))
	}
	if !c.GoneAt.IsZero() {
		fmt.Fprintf(&b, "| No longer at AWS since | %s |\n", c.GoneAt.Format(time.RFC3339))
	}
	for _, m := range msgs {
		fmt.Fprintf(&b, "\n## %s — %s\n\n", m.TimeCreated.Format("2006-01-02 15:04 MST"), oneLine(m.SubmittedBy))
		for _, line := range strings.Split(m.Body, "\n") {
			fmt.Fprintf(&b, "> %s\n", line)
		}
		for _, a := range m.Attachments {
			fmt.Fprintf(&b, "\n- attachment: %s (%d bytes, sha256 %s)\n", a.FileName, a.Size, a.SHA256)
		}
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
