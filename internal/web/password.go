package web

import (
	"errors"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/auth"
)

// The password page: a user changes their own password. Whoever logged in
// with a one-time password (the first admin's, or one an administrator
// generated) is sent here before any other console page
// (forcePasswordChange), and may leave only by choosing a password or
// logging out.

type passwordData struct {
	Forced    bool
	Expires   time.Time
	Next      string
	Error     string
	MinLength int
}

func (h *Handler) passwordRoutes(mux *http.ServeMux) {
	mux.Handle("GET /password", h.route(accessMember, h.passwordForm))
	mux.Handle("POST /password", h.route(accessMember, h.passwordSubmit))
}

// forcePasswordChange redirects a user whose password is one-time to
// /password (remembering where they were going) and reports whether it
// did. The password page itself and logging out stay open.
func (h *Handler) forcePasswordChange(w http.ResponseWriter, r *http.Request, p *page) bool {
	if p.User == nil || !p.User.MustChangePassword() || r.URL.Path == "/password" || r.URL.Path == "/logout" {
		return false
	}
	next := ""
	if isSafe(r.Method) {
		next = r.URL.RequestURI()
	}
	http.Redirect(w, r, passwordURL(next), http.StatusSeeOther)
	return true
}

func passwordURL(next string) string {
	if next = localPath(next); next == "" || next == "/" {
		return "/password"
	}
	return "/password?next=" + url.QueryEscape(next)
}

func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request, p *page, status int, d passwordData) {
	d.Forced = p.User.MustChangePassword()
	d.Expires = p.User.PasswordExpiresAt
	d.MinLength = auth.MinPasswordLength
	p.Title = p.T("password.title_change")
	if d.Forced {
		p.Title = p.T("password.title")
	}
	h.render(w, r, p, status, "password", d)
}

// passwordForm is GET /password.
func (h *Handler) passwordForm(w http.ResponseWriter, r *http.Request, p *page) {
	h.passwordPage(w, r, p, http.StatusOK, passwordData{Next: localPath(r.URL.Query().Get("next"))})
}

// passwordSubmit is POST /password (CSRF-checked). The current password is
// asked again, and guesses at it count against the account's login limit
// like failed logins.
func (h *Handler) passwordSubmit(w http.ResponseWriter, r *http.Request, p *page) {
	d := passwordData{Next: localPath(r.PostFormValue("next"))}
	current, next, again := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("again")
	switch {
	case next != again:
		d.Error = p.T("password.mismatch")
	case utf8.RuneCountInString(next) < auth.MinPasswordLength:
		d.Error = p.T("password.too_short", auth.MinPasswordLength)
	case next == current:
		d.Error = p.T("password.same")
	}
	if d.Error != "" {
		h.passwordPage(w, r, p, http.StatusUnprocessableEntity, d)
		return
	}
	account := "user:" + p.User.Name
	refused, err := h.loginThrottle(w, r, p, account)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	if refused != "" {
		d.Error = refused
		h.passwordPage(w, r, p, http.StatusTooManyRequests, d)
		return
	}
	err = h.auth.ChangePassword(r.Context(), p.User.ID, current, next)
	switch {
	case errors.Is(err, auth.ErrBadCredentials):
		h.log.Info("web: wrong current password", "user", p.User.Name)
		d.Error = p.T("password.wrong_current")
		h.passwordPage(w, r, p, http.StatusUnprocessableEntity, d)
		return
	case errors.Is(err, auth.ErrPasswordExpired):
		d.Error = p.T("password.expired", p.User.Name)
		h.passwordPage(w, r, p, http.StatusUnprocessableEntity, d)
		return
	case err != nil:
		h.serverError(w, r, p, err)
		return
	}
	_ = h.loginLimit.Refund(r.Context(), account)
	// Every session of the user ended with the change; this browser gets
	// a new one.
	tok, err := h.auth.OpenSession(r.Context(), p.User.ID, h.cfg.Console.SessionTTL.D())
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.log.Info("web: password changed", "user", p.User.Name)
	h.setSessionCookie(w, r, tok)
	http.Redirect(w, r, withNotice(orHome(d.Next), "password_changed"), http.StatusSeeOther)
}
