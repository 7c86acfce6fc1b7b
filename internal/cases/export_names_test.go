package cases

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestExportNamesStayInside: account and case names from the database
// never lead an export outside its directory.
func TestExportNamesStayInside(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"..", ".", "", "../../etc", "a/../../x", `..\..\x`, ".hidden", "prod", "case-123:456"} {
		p, err := inside(dir, safeName(name))
		if err != nil {
			t.Errorf("%q: %v", name, err)
			continue
		}
		if filepath.Dir(p) != dir {
			t.Errorf("%q → %s, not directly under %s", name, p, dir)
		}
		if base := filepath.Base(p); strings.HasPrefix(base, ".") {
			t.Errorf("%q → hidden or parent name %q", name, base)
		}
	}
	for _, name := range []string{"..", "../x", "a/../../x", "."} {
		if _, err := inside(dir, name); err == nil {
			t.Errorf("inside(%q) accepted a path outside %s", name, dir)
		}
	}
}
