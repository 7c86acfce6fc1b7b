// Package snsverify checks that an HTTP/S message really comes from Amazon
// SNS before opsdesk acts on it, and confirms subscriptions.
//
// SNS signs every message it POSTs to an HTTP/S subscription: it builds a
// "string to sign" from a fixed set of the message's fields (which fields,
// and in which order, depends on the message type), signs it with RSA using
// SHA1 (SignatureVersion "1") or SHA256 (SignatureVersion "2"), and puts the
// base64 signature and the URL of its X.509 signing certificate in the
// message. Verifying means rebuilding that string, fetching the certificate
// — only over HTTPS, and only from an SNS host (sns.<region>.amazonaws.com,
// or .amazonaws.com.cn in China) — and checking the signature with its
// public key.
//
// The certificate is trusted because of where it comes from: the TLS
// connection to an SNS host is verified against the system roots, and a
// redirect to anywhere else is refused. Certificates are cached by URL (SNS
// serves each certificate at its own URL) in a small bounded cache and
// dropped when they expire.
//
// A message is also rejected when its Timestamp is too far from the local
// clock (an hour either way by default): SNS gives up retrying an HTTP/S
// delivery well within an hour, so anything older is a replay.
//
// Parse is deliberately strict — duplicate fields, or a field spelled with
// different letter case, are refused — so that the fields verified here are
// exactly the fields any later decoding of the same body sees.
package snsverify
