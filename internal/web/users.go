package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/auth"
)

// The administration pages (admins only): users (add, role, disable /
// enable, delete, reset password, end sessions) and API tokens (create
// with scopes, list, revoke); and every user's profile (language, time
// zone; the password is changed on /password). What each role may do is
// docs/users.md. Secrets (a generated password, a new token) are shown
// once, on the answer to the form that made them, never in a URL.

func (h *Handler) userRoutes(mux *http.ServeMux) {
	mux.Handle("GET /users", h.route(accessAdmin, h.usersList))
	mux.Handle("POST /users", h.route(accessAdmin, h.userAdd))
	mux.Handle("POST /users/{name}/role", h.route(accessAdmin, h.userRole))
	mux.Handle("POST /users/{name}/disable", h.route(accessAdmin, h.userDisable(true)))
	mux.Handle("POST /users/{name}/enable", h.route(accessAdmin, h.userDisable(false)))
	mux.Handle("GET /users/{name}/delete", h.route(accessAdmin, h.userDeleteConfirm))
	mux.Handle("POST /users/{name}/delete", h.route(accessAdmin, h.userDelete))
	mux.Handle("POST /users/{name}/password", h.route(accessAdmin, h.userResetPassword))
	mux.Handle("POST /users/{name}/sessions", h.route(accessAdmin, h.userEndSessions))

	mux.Handle("GET /tokens", h.route(accessAdmin, h.tokensList))
	mux.Handle("POST /tokens", h.route(accessAdmin, h.tokenCreate))
	mux.Handle("GET /tokens/{name}/revoke", h.route(accessAdmin, h.tokenRevokeConfirm))
	mux.Handle("POST /tokens/{name}/revoke", h.route(accessAdmin, h.tokenRevoke))

	mux.Handle("GET /profile", h.route(accessMember, h.profileForm))
	mux.Handle("POST /profile", h.route(accessMember, h.profileSave))
}

// ---- users ----

type userRow struct {
	auth.User
	Self bool
}

// oneTime is a generated password, shown once.
type oneTime struct {
	Name     string
	Password string
	Expires  time.Time
}

type usersData struct {
	Users     []userRow
	Roles     []string
	Error     string
	Name      string // the add form, redisplayed after an error
	Role      string
	OneTime   *oneTime
	MinLength int
	Contacts  bool // link each user's contact page (contact.go)
}

func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request, p *page, status int, d usersData) {
	p.Title, p.Nav = p.T("users.title"), "users"
	us, err := h.auth.ListUsers(r.Context())
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	for _, u := range us {
		d.Users = append(d.Users, userRow{User: u, Self: u.ID == p.User.ID})
	}
	d.Roles = auth.Roles
	d.MinLength = auth.MinPasswordLength
	d.Contacts = h.contacts != nil
	if d.Role == "" {
		d.Role = auth.RoleResponder
	}
	h.render(w, r, p, status, "users", d)
}

// usersList is GET /users.
func (h *Handler) usersList(w http.ResponseWriter, r *http.Request, p *page) {
	h.usersPage(w, r, p, http.StatusOK, usersData{})
}

// userAdd is POST /users: name, role, and either password (typed twice:
// password, again) or generate=1 for a one-time password shown once.
func (h *Handler) userAdd(w http.ResponseWriter, r *http.Request, p *page) {
	name, role := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("role")
	d := usersData{Name: redisplay(name), Role: role}
	pw, again := r.PostFormValue("password"), r.PostFormValue("again")
	// A typed password wins over the (default) generate box.
	generate := r.PostFormValue("generate") != "" && pw == "" && again == ""
	switch {
	case auth.ValidateName(name) != nil:
		d.Error = p.T("users.bad_name")
	case !auth.ValidRole(role):
		d.Error = p.T("users.bad_role", strings.Join(auth.Roles, ", "))
		d.Role = ""
	case !generate && pw != again:
		d.Error = p.T("password.mismatch")
	case !generate && auth.ValidatePassword(pw) != nil:
		d.Error = p.T("password.too_short", auth.MinPasswordLength)
	}
	if d.Error != "" {
		h.usersPage(w, r, p, http.StatusUnprocessableEntity, d)
		return
	}
	var err error
	var u *auth.User
	if generate {
		var once string
		u, once, err = h.auth.AddUserGenerated(r.Context(), name, role)
		if err == nil {
			h.usersPage(w, r, p, http.StatusOK, usersData{OneTime: &oneTime{Name: u.Name, Password: once, Expires: u.PasswordExpiresAt}})
			return
		}
	} else {
		_, err = h.auth.AddUser(r.Context(), name, role, pw)
	}
	if errors.Is(err, auth.ErrExists) {
		d.Error = p.T("users.exists", name)
		h.usersPage(w, r, p, http.StatusConflict, d)
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/users?notice=user_added", http.StatusSeeOther)
}

// userChangeError answers a refused change of a user: not found (404),
// the last admin (409), anything else a server error.
func (h *Handler) userChangeError(w http.ResponseWriter, r *http.Request, p *page, name string, err error) {
	switch {
	case errors.Is(err, auth.ErrNotFound):
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
	case errors.Is(err, auth.ErrLastAdmin):
		h.usersPage(w, r, p, http.StatusConflict, usersData{Error: p.T("users.last_admin", name)})
	case errors.Is(err, auth.ErrInvalid):
		h.usersPage(w, r, p, http.StatusUnprocessableEntity, usersData{Error: p.T("users.bad_role", strings.Join(auth.Roles, ", "))})
	default:
		h.serverError(w, r, p, err)
	}
}

// userRole is POST /users/{name}/role (role).
func (h *Handler) userRole(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("name")
	if err := h.auth.SetRole(r.Context(), name, r.PostFormValue("role")); err != nil {
		h.userChangeError(w, r, p, name, err)
		return
	}
	http.Redirect(w, r, "/users?notice=user_changed", http.StatusSeeOther)
}

// userDisable is POST /users/{name}/disable and …/enable. Nobody
// disables themselves (they would be locked out at once).
func (h *Handler) userDisable(disable bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *page) {
		name := r.PathValue("name")
		if disable && name == p.User.Name {
			h.usersPage(w, r, p, http.StatusUnprocessableEntity, usersData{Error: p.T("users.not_yourself")})
			return
		}
		if err := h.auth.SetDisabled(r.Context(), name, disable); err != nil {
			h.userChangeError(w, r, p, name, err)
			return
		}
		http.Redirect(w, r, "/users?notice=user_changed", http.StatusSeeOther)
	}
}

type confirmData struct {
	Kind   string // "user" or "token"
	Name   string
	Action string
}

// userDeleteConfirm is GET /users/{name}/delete: the question before the
// deletion (the form posts to the same address).
func (h *Handler) userDeleteConfirm(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("name")
	if _, err := h.auth.GetUser(r.Context(), name); err != nil {
		h.userChangeError(w, r, p, name, err)
		return
	}
	p.Title, p.Nav = p.T("users.delete_title", name), "users"
	h.render(w, r, p, http.StatusOK, "confirm", confirmData{Kind: "user", Name: name, Action: "/users/" + url.PathEscape(name) + "/delete"})
}

// userDelete is POST /users/{name}/delete. Nobody deletes themselves.
func (h *Handler) userDelete(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("name")
	if name == p.User.Name {
		h.usersPage(w, r, p, http.StatusUnprocessableEntity, usersData{Error: p.T("users.not_yourself")})
		return
	}
	if err := h.auth.DeleteUser(r.Context(), name); err != nil {
		h.userChangeError(w, r, p, name, err)
		return
	}
	http.Redirect(w, r, "/users?notice=user_deleted", http.StatusSeeOther)
}

// userResetPassword is POST /users/{name}/password: a new one-time
// password, shown once; the user's sessions end and they choose their
// own at the next login.
func (h *Handler) userResetPassword(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("name")
	pw, err := h.auth.ResetPassword(r.Context(), name)
	if err != nil {
		h.userChangeError(w, r, p, name, err)
		return
	}
	h.usersPage(w, r, p, http.StatusOK, usersData{OneTime: &oneTime{Name: name, Password: pw, Expires: h.now().Add(auth.OneTimeValidity)}})
}

// userEndSessions is POST /users/{name}/sessions: the user is logged out
// everywhere (an admin ending their own sessions is logged out too).
func (h *Handler) userEndSessions(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("name")
	if _, err := h.auth.EndSessions(r.Context(), name); err != nil {
		h.userChangeError(w, r, p, name, err)
		return
	}
	http.Redirect(w, r, "/users?notice=sessions_ended", http.StatusSeeOther)
}

// ---- tokens ----

type scopeChoice struct {
	Name    string
	Checked bool
}

// tokenExample is one way to use a new token: what it does and the
// command, with $TOKEN standing for the token.
type tokenExample struct {
	What string
	Code string
}

type newToken struct {
	Name     string
	Token    string
	Scopes   []string
	Examples []tokenExample
}

type tokensData struct {
	Tokens []auth.Token
	Scopes []scopeChoice
	Name   string
	Error  string
	New    *newToken
}

func (h *Handler) tokensPage(w http.ResponseWriter, r *http.Request, p *page, status int, d tokensData, checked []string) {
	p.Title, p.Nav = p.T("tokens.title"), "tokens"
	ts, err := h.auth.ListTokens(r.Context())
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	d.Tokens = ts
	for _, s := range auth.ScopeNames() {
		c := false
		for _, x := range checked {
			c = c || x == s
		}
		d.Scopes = append(d.Scopes, scopeChoice{Name: s, Checked: c})
	}
	h.render(w, r, p, status, "tokens", d)
}

// tokensList is GET /tokens.
func (h *Handler) tokensList(w http.ResponseWriter, r *http.Request, p *page) {
	h.tokensPage(w, r, p, http.StatusOK, tokensData{}, nil)
}

// tokenCreate is POST /tokens: name and one or more scope values. The
// answer shows the token once, with how to use it.
func (h *Handler) tokenCreate(w http.ResponseWriter, r *http.Request, p *page) {
	if err := r.ParseForm(); err != nil {
		h.renderError(w, r, p, http.StatusBadRequest, "error.body")
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	checked := r.PostForm["scope"]
	d := tokensData{Name: redisplay(name)}
	scopes, serr := auth.ParseScopes(checked...)
	switch {
	case auth.ValidateName(name) != nil:
		d.Error = p.T("tokens.bad_name")
	case len(checked) == 0:
		d.Error = p.T("tokens.no_scope")
	case serr != nil:
		d.Error = p.T("tokens.bad_scope")
	}
	if d.Error != "" {
		h.tokensPage(w, r, p, http.StatusUnprocessableEntity, d, checked)
		return
	}
	tok, err := h.auth.CreateToken(r.Context(), name, scopes...)
	if errors.Is(err, auth.ErrExists) {
		d.Error = p.T("tokens.exists", name)
		h.tokensPage(w, r, p, http.StatusConflict, d, checked)
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.tokensPage(w, r, p, http.StatusOK, tokensData{New: &newToken{Name: name, Token: tok, Scopes: scopes, Examples: h.tokenExamples(r, p, scopes)}}, nil)
}

// tokenExamples shows one use of each scope, like opsdesk tokens create.
func (h *Handler) tokenExamples(r *http.Request, p *page, scopes []string) []tokenExample {
	base := h.baseURL(r)
	hdr := `-H "Authorization: Bearer $TOKEN"`
	var out []tokenExample
	for _, s := range scopes {
		var code string
		switch s {
		case auth.ScopeIngestAlerts:
			code = "curl -X POST " + base + "/api/v1/alerts " + hdr + " -H 'Content-Type: application/json' \\\n  -d '{\"system\":\"XYZ\",\"summary\":\"test alert\",\"severity\":\"warning\"}'\n# " + base + "/api/v1/alerts/zabbix?token=$TOKEN"
		case auth.ScopeIngestEvents:
			code = "opsdesk events sample s3-put | curl -X POST " + base + "/api/v1/events " + hdr + " -H 'Content-Type: application/json' --data-binary @-\n# " + base + "/api/v1/events?token=$TOKEN"
		case auth.ScopeReadCases:
			code = "curl " + hdr + " '" + base + "/api/v1/cases?q=EC2&limit=10'"
		case auth.ScopeReadAlerts:
			code = "curl " + hdr + " '" + base + "/api/v1/alerts?status=active'"
		case auth.ScopeActAlerts:
			code = "curl -X POST " + base + "/api/v1/alerts/12/ack " + hdr + " -H 'Content-Type: application/json' -d '{\"by\":\"sato\"}'"
		case auth.ScopeReadEvents:
			code = "curl " + hdr + " '" + base + "/api/v1/health-events?status=open&category=issue'"
		case auth.ScopeAdmin:
			code = "curl " + hdr + " '" + base + "/api/v1/alerts?status=active'"
		default:
			continue
		}
		out = append(out, tokenExample{What: p.T("tokens.example." + s), Code: code})
	}
	return out
}

// tokenRevokeConfirm is GET /tokens/{name}/revoke: the question first.
func (h *Handler) tokenRevokeConfirm(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("name")
	ts, err := h.auth.ListTokens(r.Context())
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	found := false
	for _, t := range ts {
		found = found || t.Name == name
	}
	if !found {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	p.Title, p.Nav = p.T("tokens.revoke_title", name), "tokens"
	h.render(w, r, p, http.StatusOK, "confirm", confirmData{Kind: "token", Name: name, Action: "/tokens/" + url.PathEscape(name) + "/revoke"})
}

// tokenRevoke is POST /tokens/{name}/revoke.
func (h *Handler) tokenRevoke(w http.ResponseWriter, r *http.Request, p *page) {
	err := h.auth.RevokeToken(r.Context(), r.PathValue("name"))
	if errors.Is(err, auth.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/tokens?notice=token_revoked", http.StatusSeeOther)
}

// ---- profile ----

type langChoice struct {
	Tag, Name string
	Selected  bool
}

type profileData struct {
	Languages  []langChoice
	TimeZone   string
	ServerZone string
	Zones      []string
	Error      string
	Now        time.Time
	Contacts   bool // the contact page exists (contact.go)
}

// commonZones are offered as suggestions; any IANA name is accepted.
var commonZones = []string{"UTC", "Asia/Tokyo", "Asia/Seoul", "Asia/Shanghai", "Asia/Singapore", "Asia/Kolkata", "Australia/Sydney", "Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago", "America/Los_Angeles"}

func (h *Handler) profilePage(w http.ResponseWriter, r *http.Request, p *page, status int, lang, zone, errMsg string) {
	p.Title, p.Nav = p.T("profile.title"), "profile"
	server := h.loc.String()
	if server == "Local" {
		// The machine's zone has no IANA name here: say what it is now.
		server = zoneLabel(h.now().In(h.loc))
	}
	d := profileData{TimeZone: zone, ServerZone: server, Zones: commonZones, Error: errMsg, Now: h.now(), Contacts: h.contacts != nil}
	d.Languages = append(d.Languages, langChoice{Tag: "", Name: p.T("profile.lang_auto"), Selected: lang == ""})
	for _, l := range languages {
		d.Languages = append(d.Languages, langChoice{Tag: l.Tag, Name: l.Name, Selected: l.Tag == lang})
	}
	h.render(w, r, p, status, "profile", d)
}

// profileForm is GET /profile.
func (h *Handler) profileForm(w http.ResponseWriter, r *http.Request, p *page) {
	h.profilePage(w, r, p, http.StatusOK, p.User.Language, p.User.TimeZone, "")
}

// profileSave is POST /profile: language ("" or a console language) and
// time_zone ("" or an IANA name).
func (h *Handler) profileSave(w http.ResponseWriter, r *http.Request, p *page) {
	lang, zone := r.PostFormValue("language"), strings.TrimSpace(r.PostFormValue("time_zone"))
	if !auth.ValidLanguage(lang) {
		h.profilePage(w, r, p, http.StatusUnprocessableEntity, "", zone, p.T("profile.bad_language"))
		return
	}
	if _, err := auth.LoadZone(zone); err != nil {
		h.profilePage(w, r, p, http.StatusUnprocessableEntity, lang, zone, p.T("profile.bad_zone", redisplay(zone)))
		return
	}
	if err := h.auth.SetProfile(r.Context(), p.User.ID, lang, zone); err != nil {
		h.serverError(w, r, p, err)
		return
	}
	// This browser follows the profile's language from now on.
	h.setLangCookie(w, r, lang)
	http.Redirect(w, r, "/profile?notice=profile_saved", http.StatusSeeOther)
}
