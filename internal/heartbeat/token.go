package heartbeat

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
)

// A token is "hb_" and 32 characters of base64url: 24 random bytes.
const (
	tokenPrefix = "hb_"
	tokenBytes  = 24
	// TokenLen is the length of every token.
	TokenLen = len(tokenPrefix) + (tokenBytes*8+5)/6
)

// Ping statuses.
const (
	StatusOK   = "ok"
	StatusFail = "fail"
)

func newToken() (string, error) {
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// hashToken is the hex SHA-256 of a token, as stored.
func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// ValidToken reports whether s has the shape of a token (it says nothing
// of whether a monitor has it). A ping with anything else is refused
// before the database is asked.
func ValidToken(s string) bool {
	if len(s) != TokenLen || s[:len(tokenPrefix)] != tokenPrefix {
		return false
	}
	for i := len(tokenPrefix); i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ParseStatus reads the last segment of a ping URL: "" or "ok" is a
// success, "fail" a failure, and a number is a command's exit status (0
// success, 1–255 failure), so `cmd; curl …/$?` reports the outcome.
func ParseStatus(s string) (string, bool) {
	switch s {
	case "", StatusOK, "0":
		return StatusOK, true
	case StatusFail:
		return StatusFail, true
	}
	if len(s) > 3 || s[0] == '0' || s[0] == '+' || s[0] == '-' {
		return "", false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 255 {
		return "", false
	}
	return StatusFail, true
}
