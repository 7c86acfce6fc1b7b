package auth_test

import (
	"errors"
	"testing"

	"github.com/opsdesk/opsdesk/internal/auth"
)

// FuzzLoadZone: whatever a user types as their time zone, LoadZone
// either returns a zone whose name is what was typed or an ErrInvalid
// naming the field; it never panics, and "" is the server's zone (nil).
func FuzzLoadZone(f *testing.F) {
	for _, s := range []string{"", "UTC", "Asia/Tokyo", "America/Argentina/Buenos_Aires", "Local", "../../etc/passwd", "/etc/localtime", "Asia\\Tokyo", "Asia/Tokio", "Etc/GMT+5", "\x00", "utc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		loc, err := auth.LoadZone(s)
		switch {
		case s == "":
			if loc != nil || err != nil {
				t.Fatalf("empty: %v %v", loc, err)
			}
		case err != nil:
			if !errors.Is(err, auth.ErrInvalid) || loc != nil {
				t.Fatalf("%q: %v %v", s, loc, err)
			}
		default:
			if loc == nil || loc.String() != s || s == "Local" {
				t.Fatalf("%q accepted as %v", s, loc)
			}
		}
	})
}
