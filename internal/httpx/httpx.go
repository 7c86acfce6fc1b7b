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

// BearerToken returns the token of "Authorization: Bearer …", or else the
// ?token= query parameter (for senders that cannot set headers, such as an
// SNS subscription URL); "" when neither is there.
func BearerToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return r.URL.Query().Get("token")
}
