package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestAuthorize: every combination that matters of where the token is
// sent, what it holds and what the route needs.
func TestAuthorize(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc := auth.New(st, nil)
		toks := map[string]string{}
		for name, scopes := range map[string][]string{
			"alerts":  {auth.ScopeIngestAlerts},
			"events":  {auth.ScopeIngestEvents},
			"reader":  {auth.ScopeReadCases},
			"actor":   {auth.ScopeActAlerts},
			"admin":   {auth.ScopeAdmin},
			"several": {auth.ScopeIngestAlerts, auth.ScopeReadCases},
		} {
			tok, err := svc.CreateToken(ctx, name, scopes...)
			if err != nil {
				t.Fatal(err)
			}
			toks[name] = tok
		}
		for _, tc := range []struct {
			token   string // a name of toks, "" for none, "bad" for garbage
			inQuery bool
			scope   string
			status  int
			code    string
		}{
			{"alerts", false, auth.ScopeIngestAlerts, 200, ""},
			{"alerts", true, auth.ScopeIngestAlerts, 200, ""},
			{"events", true, auth.ScopeIngestEvents, 200, ""},
			{"several", true, auth.ScopeIngestAlerts, 200, ""},
			{"reader", false, auth.ScopeReadCases, 200, ""},
			{"actor", false, auth.ScopeReadAlerts, 200, ""},
			{"actor", false, auth.ScopeActAlerts, 200, ""},
			{"admin", false, auth.ScopeReadCases, 200, ""},
			{"admin", false, auth.ScopeIngestEvents, 200, ""},

			{"", false, auth.ScopeReadCases, 401, auth.CodeTokenRequired},
			{"", false, auth.ScopeIngestAlerts, 401, auth.CodeTokenRequired},
			{"bad", false, auth.ScopeIngestAlerts, 401, auth.CodeTokenInvalid},
			{"bad", true, auth.ScopeIngestAlerts, 401, auth.CodeTokenInvalid},
			// The example: any token read the archive from a URL.
			{"reader", true, auth.ScopeReadCases, 401, auth.CodeQueryToken},
			{"admin", true, auth.ScopeReadCases, 401, auth.CodeQueryToken},
			{"actor", true, auth.ScopeActAlerts, 401, auth.CodeQueryToken},
			// admin is never taken from a URL, not even on ingest routes.
			{"admin", true, auth.ScopeIngestAlerts, 403, auth.CodeScope},
			{"events", true, auth.ScopeIngestAlerts, 403, auth.CodeScope},
			{"alerts", false, auth.ScopeReadCases, 403, auth.CodeScope},
			{"alerts", false, auth.ScopeIngestEvents, 403, auth.CodeScope},
			{"reader", false, auth.ScopeReadAlerts, 403, auth.CodeScope},
			{"actor", false, auth.ScopeReadCases, 403, auth.CodeScope},
			{"several", false, auth.ScopeActAlerts, 403, auth.CodeScope},
		} {
			tok := toks[tc.token]
			if tc.token == "bad" {
				tok = auth.TokenPrefix + "not-a-token"
			}
			target := "/api/x"
			r := httptest.NewRequest(http.MethodPost, target, strings.NewReader("{}"))
			if tok != "" && tc.inQuery {
				r = httptest.NewRequest(http.MethodPost, target+"?token="+tok, strings.NewReader("{}"))
			} else if tok != "" {
				r.Header.Set("Authorization", "Bearer "+tok)
			}
			w := httptest.NewRecorder()
			name, ok := svc.Authorize(w, r, tc.scope)
			label := tc.token + " query=" + map[bool]string{true: "yes", false: "no"}[tc.inQuery] + " for " + tc.scope
			if tc.status == 200 {
				if !ok || name != tc.token || w.Body.Len() != 0 {
					t.Errorf("%s: refused (%q, %d %s)", label, name, w.Code, w.Body)
				}
				continue
			}
			var body struct{ Error, Code, Scope string }
			_ = json.Unmarshal(w.Body.Bytes(), &body)
			if ok || w.Code != tc.status || body.Code != tc.code {
				t.Errorf("%s: ok=%v %d %s; want %d %s", label, ok, w.Code, w.Body, tc.status, tc.code)
			}
			switch tc.status {
			case 401:
				if w.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("%s: 401 without WWW-Authenticate", label)
				}
			case 403:
				if body.Scope != tc.scope || !strings.Contains(body.Error, tc.scope) {
					t.Errorf("%s: the answer does not name the scope: %s", label, w.Body)
				}
			}
			if tc.code == auth.CodeQueryToken && !strings.Contains(body.Error, "Authorization: Bearer") {
				t.Errorf("%s: the answer does not say how to send the token: %s", label, body.Error)
			}
		}
		// Only admitted requests count as a use: a token that was only
		// ever refused has none; every other was admitted above.
		refused, err := svc.CreateToken(ctx, "refused", auth.ScopeReadCases)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodGet, "/api/x", nil)
		r.Header.Set("Authorization", "Bearer "+refused)
		if _, ok := svc.Authorize(httptest.NewRecorder(), r, auth.ScopeReadAlerts); ok {
			t.Fatal("refused token admitted")
		}
		ts, err := svc.ListTokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range ts {
			if used := !tk.LastUsedAt.IsZero(); used != (tk.Name != "refused") {
				t.Errorf("token %s: last use %v", tk.Name, tk.LastUsedAt)
			}
		}
	})
}
