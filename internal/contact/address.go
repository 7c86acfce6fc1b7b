package contact

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Kinds of contact method.
const (
	KindVoice = "voice"
	KindSMS   = "sms"
	KindEmail = "email"
	KindChat  = "chat"
)

// Kinds lists the kinds in the order the console offers them.
var Kinds = []string{KindVoice, KindSMS, KindEmail, KindChat}

// ValidKind reports whether k is a kind of contact method.
func ValidKind(k string) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// ValidationError is input that cannot be accepted; Field names it (the
// JSON field, "rules[2].delay" for an element of a list).
type ValidationError struct {
	Field string
	Msg   string
	// Reason tells apart errors of one field for translated texts:
	// "wrong", "expired", "no_code", "too_many" (code), "duplicate"
	// (address), "not_verified" (method); "" otherwise.
	Reason string
}

func (e *ValidationError) Error() string { return "contact: " + e.Field + ": " + e.Msg }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

var (
	e164Re        = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	slackMemberRe = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
	dingMobileRe  = regexp.MustCompile(`^\+?[0-9]{5,20}$`)
	dingUserRe    = regexp.MustCompile(`^[A-Za-z0-9_\-$.]{1,64}$`)
)

// MaxAddress bounds an address (an email address is at most 254 bytes).
const MaxAddress = 254

// DestinationKind tells the type ("dingtalk", "slack", …) of a configured
// notify destination; ok is false when there is none of that name.
type DestinationKind func(name string) (typ string, ok bool)

// NormalizeAddress checks a method's address (and, for chat, its
// destination) and returns the address in its stored form: E.164 for
// voice and sms (spaces, dashes and parentheses dropped), an email address
// as its bare lower-cased-domain form, a chat member as given. dests tells
// the type of a chat destination; only dingtalk and slack can mention.
// Errors are *ValidationError naming "address" or "destination".
func NormalizeAddress(kind, address, destination string, dests DestinationKind) (string, error) {
	address = strings.TrimSpace(address)
	if !utf8.ValidString(address) || len(address) > MaxAddress {
		return "", invalid("address", "must be valid text of at most %d bytes", MaxAddress)
	}
	if address == "" {
		return "", invalid("address", "is required")
	}
	if kind != KindChat && destination != "" {
		return "", invalid("destination", "is only for chat methods")
	}
	switch kind {
	case KindVoice, KindSMS:
		n := strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", ".", "").Replace(address)
		if !e164Re.MatchString(n) {
			return "", invalid("address", "must be a phone number in E.164 form, such as +819012345678")
		}
		return n, nil
	case KindEmail:
		a, err := mail.ParseAddress(address)
		if err != nil || a.Name != "" || a.Address != address || strings.ContainsAny(address, "<>\"() ,;") {
			return "", invalid("address", "must be an email address, such as sato@example.com")
		}
		local, domain, ok := strings.Cut(a.Address, "@")
		if !ok || local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || !isASCII(a.Address) {
			return "", invalid("address", "must be an email address, such as sato@example.com")
		}
		return local + "@" + strings.ToLower(domain), nil
	case KindChat:
		if destination == "" {
			return "", invalid("destination", "is required: the chat destination (destinations[].name) to post the mention in")
		}
		typ, ok := "", false
		if dests != nil {
			typ, ok = dests(destination)
		}
		if !ok {
			return "", invalid("destination", "no destination is named %q", destination)
		}
		switch typ {
		case "slack":
			if !slackMemberRe.MatchString(address) {
				return "", invalid("address", "must be a Slack member id (U… or W…, from the member's profile: Copy member ID)")
			}
		case "dingtalk":
			if !dingMobileRe.MatchString(address) && !dingUserRe.MatchString(address) {
				return "", invalid("address", "must be the member's DingTalk mobile number (digits) or userId")
			}
		default:
			return "", invalid("destination", "%q is a %s destination; mentions work in dingtalk and slack destinations", destination, typ)
		}
		return address, nil
	}
	return "", invalid("kind", "%q is not one of %s", kind, strings.Join(Kinds, ", "))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// dingtalkIsMobile tells a DingTalk mobile number (digits, perhaps a
// leading +) from a userId.
func dingtalkIsMobile(address string) bool { return dingMobileRe.MatchString(address) }

// MaskAddress shows enough of an address to recognise it in logs and
// errors: the last 4 digits of a number, the domain of an email address.
func MaskAddress(kind, address string) string {
	switch kind {
	case KindVoice, KindSMS:
		if len(address) > 4 {
			return "…" + address[len(address)-4:]
		}
	case KindEmail:
		if _, d, ok := strings.Cut(address, "@"); ok {
			return "…@" + d
		}
	}
	return address
}
