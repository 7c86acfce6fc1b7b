package web

import (
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
)

// FuzzOnCallForm: the rotation editor's restriction lines and the override form's times
// never panic; restriction lines that parse have a from and a to, and convert through the
// config's rules without panicking either.
func FuzzOnCallForm(f *testing.F) {
	for _, s := range []string{"mon,tue,wed,thu,fri 09:00-18:00", "09:00-18:00", "\n\n sat 00:00-24:00\r\n", "weekdays", "mon 18:00-10:00", "-", " , 1-2", "2026-03-10 09:00", "2026-03-10T00:00:00Z"} {
		f.Add(s)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if _, ok := parseFormTime(v, tokyo); ok && strings.TrimSpace(v) == "" {
			t.Fatal("an empty time parsed")
		}
		rs, err := parseRestrictions(v)
		if err != nil {
			return
		}
		for _, r := range rs {
			if strings.TrimSpace(r.From+r.To) == "" && !strings.Contains(v, "-") {
				t.Fatalf("%q: window without a dash", v)
			}
		}
		cs := config.OnCallSchedule{Name: "s", TimeZone: "Asia/Tokyo", Layers: []config.OnCallLayer{{
			Name: "l", Participants: []string{"a"}, Shift: "1d", HandOff: "2026-01-01 09:00", Restrictions: rs}}}
		_, _ = cs.Convert()
	})
}
