// Package sig verifies the signatures chat platforms put on the requests they
// send to opsdesk (DingTalk's outgoing robot callback, Slack's signed
// requests), signs the requests opsdesk sends to a DingTalk custom robot
// webhook, and remembers which signed requests were already used so that a
// captured request cannot be replayed.
//
// Every comparison of a signature is constant-time (hmac.Equal). A request is
// accepted only in its exact, canonical encoding, so a replay cannot slip past
// the replay guard by re-encoding the same signature differently.
package sig

import (
	"errors"
	"time"
)

// Errors returned by the verifiers. They are distinct so that a handler can
// log why a request was refused; they are usually wrapped with detail, so
// compare with errors.Is.
var (
	// ErrMissing: the timestamp or the signature is absent.
	ErrMissing = errors.New("sig: missing timestamp or signature")
	// ErrMalformed: the timestamp is not a decimal integer, or the
	// signature is not in the sender's encoding (wrong length, alphabet or
	// version prefix).
	ErrMalformed = errors.New("sig: malformed timestamp or signature")
	// ErrExpired: the timestamp is outside the sender's window, in the past
	// or in the future.
	ErrExpired = errors.New("sig: timestamp outside the allowed window")
	// ErrBadSignature: the signature is well formed but does not match.
	ErrBadSignature = errors.New("sig: signature does not match")
	// ErrNoSecret: the verifier was called without a secret. An empty HMAC
	// key is one anybody can sign with, so it is refused, not accepted.
	ErrNoSecret = errors.New("sig: no secret configured")
	// ErrReplayed: the request was already used (see UseOnce).
	ErrReplayed = errors.New("sig: request already used")
)

// outside reports whether |a − b| > limit, for any int64 a and b. The
// difference is taken in uint64 so that a hostile timestamp near the int64
// limits cannot overflow into a small number.
func outside(a, b, limit int64) bool {
	var d uint64
	if a >= b {
		d = uint64(a) - uint64(b)
	} else {
		d = uint64(b) - uint64(a)
	}
	return d > uint64(limit)
}

// parseDecimal parses a non-negative decimal timestamp: ASCII digits only,
// no sign, no spaces, at most 18 digits (so it fits an int64 with room).
func parseDecimal(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// skew describes how far a timestamp is from now, for error messages.
func skew(ts, now time.Time) string {
	d := ts.Sub(now)
	if d < 0 {
		return (-d).Round(time.Second).String() + " old"
	}
	return d.Round(time.Second).String() + " in the future"
}
