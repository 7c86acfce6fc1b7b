package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/ratelimit"
)

type loginData struct {
	Name  string
	Next  string
	Error string
}

// loginForm is GET /login. A user who is already logged in goes on to
// ?next= (a local path only) or home.
func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request, p *page) {
	next := localPath(r.URL.Query().Get("next"))
	if p.User != nil {
		http.Redirect(w, r, orHome(next), http.StatusSeeOther)
		return
	}
	p.Title = p.T("login.title")
	h.render(w, r, p, http.StatusOK, "login", loginData{Next: next})
}

// loginSubmit is POST /login. Every attempt takes a token from the login
// limiter for its client address and one for the account it names before
// the password is checked, so guessing is bounded by
// console.login_per_minute however the guesses turn out: from one address
// (an IPv6 client's /64) at any accounts, and at one account from any
// number of addresses. A login that succeeds gives the account's token
// back: only failures count against an account, so its owner logging in
// from several browsers is never held up (someone guessing at it can slow
// its owner down to that rate, but not lock it).
func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title = p.T("login.title")
	d := loginData{Name: redisplay(r.PostFormValue("name")), Next: localPath(r.PostFormValue("next"))}
	ip := httpx.ClientIP(r, h.cfg.Trusted)
	account := "user:" + r.PostFormValue("name")
	refused, err := h.loginThrottle(w, r, p, "addr:"+ratelimit.AddrKey(ip), account)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	if refused != "" {
		d.Error = refused
		h.render(w, r, p, http.StatusTooManyRequests, "login", d)
		return
	}
	// The login is recorded as the user's own, from this address.
	actx := audit.WithActor(r.Context(), audit.Actor{Name: d.Name, Kind: audit.KindUser, Source: ip})
	token, u, err := h.auth.Login(actx, r.PostFormValue("name"), r.PostFormValue("password"), h.cfg.Console.SessionTTL.D())
	if errors.Is(err, auth.ErrBadCredentials) {
		h.log.Info("web: failed login", "user", d.Name, "ip", ip)
		d.Error = p.T("login.bad_credentials")
		h.render(w, r, p, http.StatusUnauthorized, "login", d)
		return
	}
	if errors.Is(err, auth.ErrPasswordExpired) {
		// Only someone who typed the right password learns this.
		h.log.Info("web: login with an expired one-time password", "user", d.Name, "ip", ip)
		d.Error = p.T("password.expired", d.Name)
		h.render(w, r, p, http.StatusUnauthorized, "login", d)
		return
	}
	if errors.Is(err, auth.ErrDisabled) {
		// Only someone who typed the right password learns this.
		h.log.Info("web: login of a disabled user", "user", d.Name, "ip", ip)
		d.Error = p.T("login.disabled")
		h.render(w, r, p, http.StatusForbidden, "login", d)
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	_ = h.loginLimit.Refund(r.Context(), account)
	if u.Language != "" {
		// The profile's language is this browser's from now on.
		h.setLangCookie(w, r, u.Language)
	}
	h.log.Info("web: login", "user", u.Name, "ip", ip)
	h.setSessionCookie(w, r, token)
	if u.MustChangePassword() {
		// A one-time password: choosing one's own comes first.
		http.Redirect(w, r, passwordURL(d.Next), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, orHome(d.Next), http.StatusSeeOther)
}

// logout is POST /logout (CSRF-checked like every console form).
func (h *Handler) logout(w http.ResponseWriter, r *http.Request, p *page) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := h.auth.Logout(r.Context(), c.Value); err != nil {
			h.serverError(w, r, p, err)
			return
		}
	}
	h.clearSessionCookie(w, r)
	http.Redirect(w, r, "/login?notice=logged_out", http.StatusSeeOther)
}

func orHome(next string) string {
	if next == "" {
		return "/"
	}
	return next
}

// loginThrottle takes one password attempt from each key's budget (a
// client address, an account). When one is spent it sets Retry-After and
// returns the message to show; the caller answers 429 with it.
func (h *Handler) loginThrottle(w http.ResponseWriter, r *http.Request, p *page, keys ...string) (refused string, err error) {
	for _, key := range keys {
		ok, wait, err := h.loginLimit.Allow(r.Context(), key)
		if err != nil {
			return "", err
		}
		if !ok {
			secs := max(1, int(math.Ceil(wait.Seconds())))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			return p.T("login.rate_limited", secs), nil
		}
	}
	return "", nil
}
