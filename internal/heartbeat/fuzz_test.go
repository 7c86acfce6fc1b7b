package heartbeat_test

import (
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/heartbeat"
)

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]string{"": "ok", "ok": "ok", "0": "ok", "fail": "fail", "1": "fail", "255": "fail"} {
		if got, ok := heartbeat.ParseStatus(in); !ok || got != want {
			t.Errorf("%q: %q %v", in, got, ok)
		}
	}
	for _, in := range []string{"256", "00", "-1", "+1", "FAIL", "start", "1e2", " 1"} {
		if got, ok := heartbeat.ParseStatus(in); ok {
			t.Errorf("%q accepted as %q", in, got)
		}
	}
}

// FuzzPingPath: whatever the path segments of a ping, the token check and
// the status parser never panic, accept only their shapes, and a status
// is ok or fail.
func FuzzPingPath(f *testing.F) {
	for _, s := range []string{"hb_" + strings.Repeat("a", 32) + "/fail", "hb_x/0", "/", "hb_" + strings.Repeat("-", 32) + "/255", "x/256", "é/ok"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		tok, status, _ := strings.Cut(path, "/")
		if heartbeat.ValidToken(tok) {
			if len(tok) != heartbeat.TokenLen || !strings.HasPrefix(tok, "hb_") || strings.ContainsAny(tok, "/?#%. ") {
				t.Fatalf("accepted token %q", tok)
			}
		}
		if st, ok := heartbeat.ParseStatus(status); ok && st != heartbeat.StatusOK && st != heartbeat.StatusFail {
			t.Fatalf("status %q → %q", status, st)
		} else if !ok && st != "" {
			t.Fatalf("refused %q with %q", status, st)
		}
	})
}
