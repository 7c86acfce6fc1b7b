package contact_test

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/contact"
)

var (
	fuzzE164  = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	fuzzSlack = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
)

// FuzzNormalizeAddress: whatever a user types, NormalizeAddress either
// refuses it naming a field, or returns an address that is valid for its
// kind, is stable (normalizing it again gives itself) and can carry no
// markup or mention into a chat message.
func FuzzNormalizeAddress(f *testing.F) {
	for _, s := range [][3]string{
		{"sms", "+81 90-1234-5678", ""}, {"voice", "(+1) 415.555.0100", ""}, {"sms", "090-1234-5678", ""},
		{"email", "sato@example.com", ""}, {"email", "Sato <sato@example.com>", ""}, {"email", "a@b", ""},
		{"email", "\"x y\"@example.com", ""}, {"chat", "U012ABCDEF", "slack"}, {"chat", "<!channel>", "slack"},
		{"chat", "13800000000", "ding"}, {"chat", "manager4711", "ding"}, {"chat", "@all", "ding"},
		{"chat", "U1", "teams"}, {"pager", "x", ""}, {"sms", "+819012345678", "slack"}, {"email", "ｓａｔｏ@example.com", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	dests := func(name string) (string, bool) {
		switch name {
		case "slack":
			return "slack", true
		case "ding":
			return "dingtalk", true
		case "teams":
			return "teams", true
		}
		return "", false
	}
	f.Fuzz(func(t *testing.T, kind, address, dest string) {
		got, err := contact.NormalizeAddress(kind, address, dest, dests)
		if err != nil {
			ve, ok := err.(*contact.ValidationError)
			if !ok || (ve.Field != "address" && ve.Field != "destination" && ve.Field != "kind") || ve.Msg == "" {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if !utf8.ValidString(got) || got == "" || len(got) > contact.MaxAddress || strings.ContainsAny(got, " <>\n\r\t") {
			t.Fatalf("%s %q → %q", kind, address, got)
		}
		switch kind {
		case "sms", "voice":
			if !fuzzE164.MatchString(got) {
				t.Fatalf("%q → %q is not E.164", address, got)
			}
		case "email":
			if strings.Count(got, "@") != 1 {
				t.Fatalf("%q → %q", address, got)
			}
		case "chat":
			if dest == "slack" && !fuzzSlack.MatchString(got) {
				t.Fatalf("slack member %q", got)
			}
			if strings.ContainsAny(got, "@!*_`[]()#") && dest == "slack" {
				t.Fatalf("markup in %q", got)
			}
		default:
			t.Fatalf("kind %q accepted", kind)
		}
		again, err := contact.NormalizeAddress(kind, got, dest, dests)
		if err != nil || again != got {
			t.Fatalf("not stable: %q → %q → %q, %v", address, got, again, err)
		}
	})
}
