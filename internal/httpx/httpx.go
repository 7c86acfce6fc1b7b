// Package httpx holds the small HTTP helpers every handler shares: JSON
// answers and errors, the client address behind trusted proxies, bearer
// tokens. (Rate limits are in internal/ratelimit.)
package httpx

import (
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ErrorBody is the JSON shape of every API error.
type ErrorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
	// Code is a stable machine-readable reason where there is one.
	Code string `json:"code,omitempty"`
}

// WriteJSON writes v with the status code.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Error writes {"error": msg, "field": field}.
func Error(w http.ResponseWriter, status int, msg, field string) {
	WriteJSON(w, status, ErrorBody{Error: msg, Field: field})
}

// ClientIP returns the address of the client: the connection's peer, or,
// when that peer is a trusted proxy, the right-most address in
// X-Forwarded-For that is not itself a trusted proxy.
func ClientIP(r *http.Request, trusted func(netip.Addr) bool) string {
	peer := remoteAddr(r)
	if !peer.IsValid() {
		return r.RemoteAddr
	}
	if trusted == nil || !trusted(peer) {
		return peer.String()
	}
	hops := r.Header.Values("X-Forwarded-For")
	var all []string
	for _, h := range hops {
		all = append(all, strings.Split(h, ",")...)
	}
	for i := len(all) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(all[i]))
		if err != nil {
			break // a malformed hop: stop believing the header here
		}
		a = a.Unmap()
		if !trusted(a) {
			return a.String()
		}
		peer = a
	}
	return peer.String()
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// RequestToken returns the API token of "Authorization: Bearer …", or
// else of the ?token= query parameter (fromQuery true); "" when neither is
// there. Where a query-string token is acceptable is auth's decision
// (auth.Service.Authorize).
func RequestToken(r *http.Request) (tok string, fromQuery bool) {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:]), false
	}
	if t := r.URL.Query().Get("token"); t != "" {
		return t, true
	}
	return "", false
}

// HasToken reports whether the request presents an API token at all (in
// the Authorization header or as ?token=), valid or not.
func HasToken(r *http.Request) bool {
	tok, _ := RequestToken(r)
	return tok != ""
}

// MaxSNSBody caps the body of an SNS HTTP/S notification that arrives
// without a token (admitted by its signature, which can only be checked
// once the body is read). SNS publishes messages of at most 256 KiB. In
// the JSON envelope the message is a string, whose escaping writes a
// quote, backslash or line break as two characters, so even a message
// made of nothing else is at most twice as long (other control
// characters, six each, do not occur in the JSON and text CloudWatch and
// EventBridge publish). The envelope's own fields (signature, certificate
// and unsubscribe URLs, ids, a subject of up to 100 characters) take
// under 4 KiB. Twice 256 KiB plus 16 KiB therefore holds anything SNS
// sends, and bounds what an unauthenticated post can make opsdesk buffer.
const MaxSNSBody = 2*256<<10 + 16<<10

// IsSNS reports whether the request says it comes from SNS (SNS sets
// x-amz-sns-message-type on every HTTP/S delivery).
func IsSNS(r *http.Request) bool { return r.Header.Get("X-Amz-Sns-Message-Type") != "" }

// TooLarge reports whether the request declares a body longer than max
// (Content-Length), so that it can be refused before any of it is read.
func TooLarge(r *http.Request, max int64) bool { return r.ContentLength > max }
