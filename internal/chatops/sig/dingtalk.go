package sig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// DingTalk signs with HMAC-SHA256, key = the secret, message =
// timestamp + "\n" + secret, base64 (standard alphabet, padded). The same
// scheme covers both directions:
//
//   - the enterprise internal robot's outgoing callback carries headers
//     "timestamp" (Unix milliseconds) and "sign", computed with the robot's
//     AppSecret; the receiver must refuse a timestamp more than an hour away
//     from its own clock;
//   - a custom robot webhook with the "加签" security setting (a secret that
//     starts with "SEC") expects query parameters "timestamp" and "sign",
//     computed with that secret and URL-encoded, within an hour of
//     DingTalk's clock.
//
// The signed message does not cover the request body: a captured callback's
// headers can be reused with any body until the hour is up. That is why a
// verified (timestamp, sign) pair must also go through a replay guard.
const (
	// DingTalkHeaderTimestamp and DingTalkHeaderSign name the callback's
	// headers.
	DingTalkHeaderTimestamp = "timestamp"
	DingTalkHeaderSign      = "sign"
	// DingTalkMaxSkew is the largest |now − timestamp| DingTalk allows.
	DingTalkMaxSkew = time.Hour
	// DingTalkReplayWindow is how long a ReplayGuard fed with the time of
	// receipt must remember a callback: a timestamp up to DingTalkMaxSkew in
	// the future stays valid for DingTalkMaxSkew after that.
	DingTalkReplayWindow = 2 * DingTalkMaxSkew
)

// dingTalkSign returns base64(HMAC-SHA256(secret, timestamp+"\n"+secret)).
func dingTalkSign(secret, timestamp string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'\n'})
	m.Write([]byte(secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifyDingTalk checks the timestamp and sign headers of a DingTalk outgoing
// robot callback against the robot's AppSecret at time now. It returns nil,
// or an error matching ErrNoSecret, ErrMissing, ErrMalformed, ErrExpired or
// ErrBadSignature. Surrounding spaces in the header values are ignored;
// otherwise only the canonical encoding is accepted.
//
// A nil result does not make the request fresh: pass
// DingTalkReplayKey(timestamp, sign) to a ReplayGuard or Nonces afterwards
// (only after verifying, so that forged requests cannot fill the store).
func VerifyDingTalk(appSecret, timestamp, sign string, now time.Time) error {
	if appSecret == "" {
		return ErrNoSecret
	}
	timestamp, sign = trimSpace(timestamp), trimSpace(sign)
	if timestamp == "" || sign == "" {
		return ErrMissing
	}
	ms, ok := parseDecimal(timestamp)
	if !ok {
		return fmt.Errorf("%w: dingtalk timestamp %.40q is not Unix milliseconds", ErrMalformed, timestamp)
	}
	// A SHA-256 MAC is 32 bytes: 44 base64 characters, the last one "=".
	if raw, err := base64.StdEncoding.Strict().DecodeString(sign); err != nil || len(raw) != sha256.Size || len(sign) != 44 {
		return fmt.Errorf("%w: dingtalk sign is not base64 of a SHA-256 HMAC", ErrMalformed)
	}
	if outside(ms, now.UnixMilli(), DingTalkMaxSkew.Milliseconds()) {
		return fmt.Errorf("%w: dingtalk timestamp is %s", ErrExpired, skew(time.UnixMilli(ms), now))
	}
	if !hmac.Equal([]byte(dingTalkSign(appSecret, timestamp)), []byte(sign)) {
		return ErrBadSignature
	}
	return nil
}

// DingTalkReplayKey is the key under which a verified callback is
// remembered. DingTalk's signature depends on the timestamp only, so two
// genuine callbacks in the same millisecond share a key; the second is
// refused as a replay.
func DingTalkReplayKey(timestamp, sign string) string {
	return "dingtalk:" + trimSpace(timestamp) + ":" + trimSpace(sign)
}

// DingTalkReplayExpiry is when a callback with this timestamp stops passing
// VerifyDingTalk, and so when its replay key may be forgotten (for
// Nonces.Use). ok is false if timestamp is malformed.
func DingTalkReplayExpiry(timestamp string) (expires time.Time, ok bool) {
	ms, ok := parseDecimal(trimSpace(timestamp))
	if !ok {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).Add(DingTalkMaxSkew), true
}

// SignDingTalkWebhook returns the timestamp (Unix milliseconds at now) and
// the sign (base64, not yet URL-encoded) for a custom robot webhook whose
// security setting is a secret. DingTalk signs its outgoing callbacks the
// same way with the AppSecret, so tests and fakes use it for those too.
func SignDingTalkWebhook(secret string, now time.Time) (timestamp, sign string) {
	timestamp = strconv.FormatInt(now.UnixMilli(), 10)
	return timestamp, dingTalkSign(secret, timestamp)
}

// SignDingTalkURL returns webhookURL (e.g.
// https://oapi.dingtalk.com/robot/send?access_token=…) with the timestamp and
// sign query parameters set for now, URL-encoded; other parameters are kept.
// With an empty secret (a robot secured by keywords or IP list) the URL is
// returned unchanged. The result carries a signature: do not log it.
func SignDingTalkURL(webhookURL, secret string, now time.Time) (string, error) {
	u, err := url.Parse(webhookURL)
	if err != nil {
		return "", fmt.Errorf("sig: dingtalk webhook url: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("sig: dingtalk webhook url: want an absolute http(s) URL")
	}
	if secret == "" {
		return webhookURL, nil
	}
	ts, sign := SignDingTalkWebhook(secret, now)
	q := u.Query()
	q.Set("timestamp", ts)
	q.Set("sign", sign)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// trimSpace trims ASCII spaces and tabs, the only white space a header value
// can carry.
func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
