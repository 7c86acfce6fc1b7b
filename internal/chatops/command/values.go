package command

import (
	"net/mail"
	"regexp"
	"strings"
)

// caseIDPattern is the shape of a Support case id. The API reference gives
// "case-12345678910-2013-c4c1d2bf33c5cf47" (older) and
// "case-12345678910-exen-2025-c4c1d2bf33c5cf47"; real ids carry the 12-digit
// account and a language tag such as "muen". So: account digits, an optional
// short tag, a year, a hex suffix.
var caseIDPattern = regexp.MustCompile(`^case-[0-9]{10,12}-(?:[a-z0-9]{2,8}-)?[0-9]{4}-[0-9a-f]{8,32}$`)

// ValidCaseID reports whether s has the shape of a full case id (lower
// case, as the API returns it).
func ValidCaseID(s string) bool { return caseIDPattern.MatchString(s) }

// IsDisplayID reports whether s is a numeric display id (the number the
// Support Center shows), 1 to 20 digits.
func IsDisplayID(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validCode reports whether s looks like a service or category code:
// lower-case letters, digits, "-", "." and "_", starting with a letter or
// digit. Whether the code exists is checked against DescribeServices later.
func validCode(s string) bool {
	if s == "" || len(s) > MaxCode {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '.' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// validAlertID reports whether s looks like an alert id: letters, digits,
// ".", "_", ":" and "-", starting with a letter or digit, at most
// MaxAlertID characters.
func validAlertID(s string) bool {
	if s == "" || len(s) > MaxAlertID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '-' || c == '.' || c == '_' || c == ':') && i > 0:
		default:
			return false
		}
	}
	return true
}

// ValidEmail reports whether s is a bare email address (no display name, no
// angle brackets, no quoted local part) with a dotted domain, at most
// MaxEmail bytes.
func ValidEmail(s string) bool {
	if s == "" || len(s) > MaxEmail || strings.ContainsAny(s, "\"<>()[]\\ ") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if at < 1 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return false
	}
	return true
}
