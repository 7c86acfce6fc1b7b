package actionlink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// The token is base64url (no padding) of
//
//	version   1 byte (1)
//	alert id  uvarint
//	action    1 byte (1 ack, 2 resolve, 3 escalate)
//	channel   1 byte (0 none, 1 SMS, 2 email)
//	expires   uvarint, Unix seconds
//	nonce     8 random bytes
//	recipient 1 byte length (≤ MaxRecipient), then that many bytes of UTF-8
//	mac       the first 16 bytes of HMAC-SHA256(key, "opsdesk action link" ‖ everything above)
//
// A link for alert 123456 with a 6-byte name is 42 bytes, 56 characters.
// Everything that decides what the link does (alert, action, expiry, who
// it was sent to and how) is under the MAC, so none of it can be changed;
// the nonce makes every link distinct, so each is used once on its own.

const (
	tokenVersion = 1
	nonceLen     = 8
	macLen       = 16
	// MaxRecipient bounds the recipient name carried in a token, in bytes
	// (a longer name is cut at a character boundary).
	MaxRecipient = 32
	// maxTokenChars bounds what decode looks at.
	maxTokenChars = 128
)

var macLabel = []byte("opsdesk action link")

var b64 = base64.RawURLEncoding.Strict()

var actionCodes = map[string]byte{ActionAck: 1, ActionResolve: 2, ActionEscalate: 3}

var channelCodes = map[string]byte{"": 0, ChannelSMS: 1, ChannelEmail: 2}

func codeName(m map[string]byte, c byte) (string, bool) {
	for k, v := range m {
		if v == c {
			return k, true
		}
	}
	return "", false
}

// codec signs and reads tokens with one key.
type codec struct{ key []byte }

func (c codec) mac(payload []byte) []byte {
	h := hmac.New(sha256.New, c.key)
	h.Write(macLabel)
	h.Write(payload)
	return h.Sum(nil)[:macLen]
}

// payload is the signed part of l's token.
func payload(l Link) []byte {
	b := make([]byte, 0, 64)
	b = append(b, tokenVersion)
	b = binary.AppendUvarint(b, uint64(l.AlertID))
	b = append(b, actionCodes[l.Action], channelCodes[l.Channel])
	b = binary.AppendUvarint(b, uint64(l.Expires.Unix()))
	b = append(b, l.nonce[:]...)
	b = append(b, byte(len(l.Recipient)))
	b = append(b, l.Recipient...)
	return b
}

// encode returns l's token. l must be valid (see check).
func (c codec) encode(l Link) string {
	p := payload(l)
	return b64.EncodeToString(append(p, c.mac(p)...))
}

// cutRecipient shortens a name to MaxRecipient bytes at a character
// boundary and drops invalid UTF-8.
func cutRecipient(s string) string {
	s = string([]rune(s)) // invalid bytes become U+FFFD
	for len(s) > MaxRecipient {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

func notB64(r rune) bool {
	return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}

// errMalformed is decode's only error: a token that is not one of ours,
// for whatever reason, is the same to the caller (no oracle).
var errMalformed = errors.New("actionlink: malformed token")

// decode checks the token's MAC and returns its link. It does not look at
// the expiry.
func (c codec) decode(tok string) (Link, error) {
	var l Link
	if len(tok) == 0 || len(tok) > maxTokenChars || strings.IndexFunc(tok, notB64) >= 0 {
		// The decoder skips line breaks; one token has one spelling.
		return l, errMalformed
	}
	raw, err := b64.DecodeString(tok)
	if err != nil || len(raw) < 1+macLen {
		return l, errMalformed
	}
	p, sum := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	if !hmac.Equal(sum, c.mac(p)) {
		return l, errMalformed
	}
	// Signed by us: parse strictly anyway.
	if p[0] != tokenVersion {
		return l, errMalformed
	}
	r := p[1:]
	id, n := binary.Uvarint(r)
	if n <= 0 || id == 0 || id > 1<<62 {
		return l, errMalformed
	}
	r = r[n:]
	if len(r) < 2 {
		return l, errMalformed
	}
	var ok bool
	if l.Action, ok = codeName(actionCodes, r[0]); !ok {
		return l, errMalformed
	}
	if l.Channel, ok = codeName(channelCodes, r[1]); !ok {
		return l, errMalformed
	}
	r = r[2:]
	exp, n := binary.Uvarint(r)
	if n <= 0 || exp > 1<<40 {
		return l, errMalformed
	}
	r = r[n:]
	if len(r) < nonceLen+1 {
		return l, errMalformed
	}
	copy(l.nonce[:], r[:nonceLen])
	r = r[nonceLen:]
	nl := int(r[0])
	r = r[1:]
	if nl > MaxRecipient || len(r) != nl || !utf8.Valid(r) {
		return l, errMalformed
	}
	l.AlertID = int64(id)
	l.Expires = time.Unix(int64(exp), 0).UTC()
	l.Recipient = string(r)
	// One encoding per link (no over-long varints).
	if string(payload(l)) != string(p) {
		return l, errMalformed
	}
	return l, nil
}
