package sig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Slack signs every request with HMAC-SHA256, key = the app's signing
// secret, message = "v0:" + X-Slack-Request-Timestamp + ":" + raw body; the
// X-Slack-Signature header is "v0=" + lowercase hex of the MAC. Slack asks
// receivers to refuse timestamps more than five minutes from their clock.
const (
	SlackHeaderTimestamp = "X-Slack-Request-Timestamp"
	SlackHeaderSignature = "X-Slack-Signature"
	// SlackMaxSkew is the largest |now − timestamp| accepted.
	SlackMaxSkew = 5 * time.Minute
	// SlackReplayWindow is how long a ReplayGuard fed with the time of
	// receipt must remember a request (see DingTalkReplayWindow).
	SlackReplayWindow = 2 * SlackMaxSkew

	slackVersion = "v0"
)

// SignSlack returns the X-Slack-Signature value for a request with the given
// timestamp (Unix seconds, as sent) and raw body.
func SignSlack(signingSecret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(signingSecret))
	m.Write([]byte(slackVersion + ":" + timestamp + ":"))
	m.Write(body)
	return slackVersion + "=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySlack checks a Slack request's X-Slack-Request-Timestamp and
// X-Slack-Signature headers over the raw body (read it before parsing the
// form) at time now. It returns nil, or an error matching ErrNoSecret,
// ErrMissing, ErrMalformed, ErrExpired or ErrBadSignature.
//
// A nil result does not make the request fresh: pass SlackReplayKey(header)
// to a ReplayGuard or Nonces afterwards.
func VerifySlack(signingSecret string, header http.Header, body []byte, now time.Time) error {
	if signingSecret == "" {
		return ErrNoSecret
	}
	ts := trimSpace(header.Get(SlackHeaderTimestamp))
	got := trimSpace(header.Get(SlackHeaderSignature))
	if ts == "" || got == "" {
		return ErrMissing
	}
	sec, ok := parseDecimal(ts)
	if !ok {
		return fmt.Errorf("%w: slack timestamp %.40q is not Unix seconds", ErrMalformed, ts)
	}
	hexSig, ok := strings.CutPrefix(got, slackVersion+"=")
	if !ok {
		return fmt.Errorf("%w: slack signature is not version %s", ErrMalformed, slackVersion)
	}
	if len(hexSig) != 2*sha256.Size || !isLowerHex(hexSig) {
		return fmt.Errorf("%w: slack signature is not lowercase hex of a SHA-256 HMAC", ErrMalformed)
	}
	if outside(sec, now.Unix(), int64(SlackMaxSkew/time.Second)) {
		return fmt.Errorf("%w: slack timestamp is %s", ErrExpired, skew(time.Unix(sec, 0), now))
	}
	if !hmac.Equal([]byte(SignSlack(signingSecret, ts, body)), []byte(got)) {
		return ErrBadSignature
	}
	return nil
}

// SlackReplayKey is the key under which a verified Slack request is
// remembered. Slack's signature covers the body, so the key is unique per
// request.
func SlackReplayKey(header http.Header) string {
	return "slack:" + trimSpace(header.Get(SlackHeaderTimestamp)) + ":" + trimSpace(header.Get(SlackHeaderSignature))
}

// SlackReplayExpiry is when a request with this X-Slack-Request-Timestamp
// stops passing VerifySlack (for Nonces.Use). ok is false if it is malformed.
func SlackReplayExpiry(timestamp string) (expires time.Time, ok bool) {
	sec, ok := parseDecimal(trimSpace(timestamp))
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(sec, 0).Add(SlackMaxSkew), true
}

// SlackTimestamp formats t as Slack sends it, for tests and fakes.
func SlackTimestamp(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
