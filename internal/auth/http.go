package auth

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/httpx"
)

// Codes of the JSON errors Authorize answers with ("code").
const (
	CodeTokenRequired = "token_required"
	CodeTokenInvalid  = "token_invalid"
	CodeQueryToken    = "query_token_not_allowed"
	CodeScope         = "scope_required"
)

// scopeError is the 403 answer: it names the scope the route needs.
type scopeError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
	Scope string `json:"scope"`
}

// Authorize admits a request to an API route that needs scope, or answers
// it (401, 403 or 503, JSON naming what is wrong) and returns ok false.
// It reads nothing of the body, so handlers call it first: a request
// without a valid token costs its headers and one indexed lookup.
//
// The token is taken from "Authorization: Bearer …". A token in the query
// string (?token=) is accepted only for an ingest scope (IngestScope:
// the endpoints whose senders cannot set headers), and only when the
// token holds that scope itself; anywhere else it is refused with 401,
// because URLs end up in proxy and server logs.
//
// name is the token's name, which intake records as where alerts came
// from.
func (s *Service) Authorize(w http.ResponseWriter, r *http.Request, scope string) (name string, ok bool) {
	tok, inQuery := httpx.RequestToken(r)
	switch {
	case tok == "":
		how := "send it as Authorization: Bearer TOKEN"
		if IngestScope(scope) {
			how += " (or, for senders that cannot set headers, as ?token=TOKEN)"
		}
		unauthorized(w, CodeTokenRequired, "an API token with the scope "+scope+" is required: "+how+"; create one with: opsdesk tokens create --name NAME --scope "+scope)
		return "", false
	case inQuery && !IngestScope(scope):
		unauthorized(w, CodeQueryToken, "a token in the query string (?token=) is accepted only on the ingest endpoints (POST /api/v1/alerts…, POST /api/v1/events); send it as Authorization: Bearer TOKEN")
		return "", false
	}
	t, err := s.lookupToken(r.Context(), tok)
	if errors.Is(err, ErrNotFound) {
		unauthorized(w, CodeTokenInvalid, "the API token is not valid (mistyped, or revoked): see opsdesk tokens list")
		return "", false
	}
	if err != nil {
		httpx.Error(w, http.StatusServiceUnavailable, "checking the API token failed; retry", "")
		return "", false
	}
	if inQuery && !t.Holds(scope) {
		httpx.WriteJSON(w, http.StatusForbidden, scopeError{Code: CodeScope, Scope: scope,
			Error: "a token in the query string must hold the scope " + scope + " itself (token " + strconv.Quote(t.Name) + " does not; admin is never accepted in a URL): use a token made with --scope " + scope + ", or send this one as Authorization: Bearer TOKEN"})
		return "", false
	}
	if !t.Allows(scope) {
		httpx.WriteJSON(w, http.StatusForbidden, scopeError{Code: CodeScope, Scope: scope,
			Error: "this route needs the scope " + scope + ", which token " + strconv.Quote(t.Name) + " does not have; create a token with: opsdesk tokens create --name NAME --scope " + scope})
		return "", false
	}
	// Only an admitted request counts as a use.
	s.touchToken(r.Context(), t)
	return t.Name, true
}

// TokenActor is the audit actor of a request Authorize admitted with the
// token name; source is the client's address (httpx.ClientIP, which knows
// the trusted proxies).
func TokenActor(name, source string) audit.Actor {
	return audit.Actor{Name: name, Kind: audit.KindToken, Source: source}
}

// Require wraps next so that it runs only for requests Authorize admits.
func (s *Service) Require(scope string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.Authorize(w, r, scope); ok {
			next.ServeHTTP(w, r)
		}
	})
}

func unauthorized(w http.ResponseWriter, code, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="opsdesk"`)
	httpx.WriteJSON(w, http.StatusUnauthorized, httpx.ErrorBody{Error: msg, Code: code})
}
