package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/auth"
)

// page is what every template gets as dot: the request's language, the
// user, the CSRF token, and the page's own Data.
type page struct {
	Lang    string
	Title   string
	Nav     string // console section to highlight: home, questions, cases, destinations
	Console bool   // console chrome (nav, user) rather than the public form's
	User    *auth.User
	CSRF    string
	Notice  string
	Langs   []langLink
	Data    any
	// Sections says which later capabilities have console pages (nav).
	Sections sections
	// Zone is the time zone the page writes times in (Handler.zoneFor).
	Zone *time.Location
}

// zone is the page's time zone (UTC when none was set).
func (p *page) zone() *time.Location {
	if p.Zone == nil {
		return time.UTC
	}
	return p.Zone
}

type sections struct{ Events, Alerts, Chat, OnCall, Heartbeats, Health, Queues bool }

type langLink struct {
	Tag     string
	Name    string
	URL     string
	Current bool
}

// T returns the message key in the page's language, formatted with args.
func (p *page) T(key string, args ...any) string { return translate(p.Lang, key, args...) }

// TN is T for a count n (the key's one argument): the key's "_one" text
// when n is 1 and the catalog has one ("repeated once", "1 round"; the
// languages without a singular say the same as for any n).
func (p *page) TN(key string, n int) string {
	if n == 1 {
		if _, ok := catalog[key+"_one"]; ok {
			return translate(p.Lang, key+"_one")
		}
	}
	return translate(p.Lang, key, n)
}

// HTMLLang is the value of <html lang>.
func (p *page) HTMLLang() string {
	if p.Lang == "zh" {
		return "zh-Hans"
	}
	return p.Lang
}

// A redirect may ask the next page to show a notice (?notice=KEY): only
// texts of the catalog ("notice.KEY") are shown, never free text from the
// URL.
func isNotice(key string) bool {
	_, ok := catalog["notice."+key]
	return key != "" && ok
}

func (h *Handler) newPage(w http.ResponseWriter, r *http.Request) *page {
	p := &page{Lang: h.pickLang(w, r), Sections: sections{Events: h.events != nil, Alerts: h.alerts != nil, Chat: h.chat != nil, OnCall: h.oncall != nil, Heartbeats: h.heartbeats != nil, Health: h.health != nil, Queues: h.queues != nil && len(h.queues.Configured) > 0}, Zone: h.zoneFor(nil)}
	if n := r.URL.Query().Get("notice"); isNotice(n) {
		p.Notice = p.T("notice." + n)
	}
	p.setLangLinks(r.URL.Path, r.URL.Query())
	return p
}

// userLang makes the language of u's profile the page's language when
// this browser has not chosen one (no ?lang=, no language cookie): the
// profile is each user's default, the switcher still changes it for a
// browser (logging in sets the cookie to the profile's language).
func (h *Handler) userLang(r *http.Request, p *page) {
	if p.User == nil || p.User.Language == "" || r.URL.Query().Get("lang") != "" {
		return
	}
	if c, err := r.Cookie(LangCookie); err == nil && matchLang(c.Value) != "" {
		return
	}
	l := matchLang(p.User.Language)
	if l == "" || l == p.Lang {
		return
	}
	p.Lang = l
	if n := r.URL.Query().Get("notice"); isNotice(n) {
		p.Notice = p.T("notice." + n)
	}
	p.setLangLinks(r.URL.Path, r.URL.Query())
}

// setLangCookie remembers lang for this browser ("" forgets it).
func (h *Handler) setLangCookie(w http.ResponseWriter, r *http.Request, lang string) {
	c := &http.Cookie{
		Name: LangCookie, Value: lang, Path: "/", MaxAge: int(365 * 24 * time.Hour / time.Second),
		HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteLaxMode,
	}
	if lang == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// setLangLinks builds the language switcher: the same page with ?lang=
// replaced (and a one-shot notice dropped).
func (p *page) setLangLinks(path string, q url.Values) {
	p.Langs = p.Langs[:0]
	for _, l := range languages {
		v := url.Values{}
		for k, vs := range q {
			if k != "lang" && k != "notice" {
				v[k] = vs
			}
		}
		v.Set("lang", l.Tag)
		p.Langs = append(p.Langs, langLink{Tag: l.Tag, Name: l.Name, URL: path + "?" + v.Encode(), Current: l.Tag == p.Lang})
	}
}

// pickLang chooses the language: ?lang= (remembered in a cookie), then the
// cookie, then Accept-Language, then English.
func (h *Handler) pickLang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		if l = matchLang(l); l != "" {
			h.setLangCookie(w, r, l)
			return l
		}
	}
	if c, err := r.Cookie(LangCookie); err == nil {
		if l := matchLang(c.Value); l != "" {
			return l
		}
	}
	if l := acceptLanguage(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	return "en"
}

// matchLang maps a language tag to a supported language ("" if none).
// Every Chinese tag gets Simplified Chinese, the only Chinese catalog.
func matchLang(tag string) string {
	primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	primary, _, _ = strings.Cut(primary, "_")
	for _, l := range languages {
		if primary == l.Tag {
			return l.Tag
		}
	}
	return ""
}

// acceptLanguage returns the supported language the header prefers most
// (the first one among equal weights), or "".
func acceptLanguage(header string) string {
	best, bestQ := "", 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(part, ";")
		q := 1.0
		for _, prm := range strings.Split(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(prm), "q="); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					f = 0
				}
				q = f
			}
		}
		if q <= 0 {
			continue
		}
		if l := matchLang(tag); l != "" && q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

// translate looks key up in lang, falling back to English, then to the key
// itself (a test keeps every key complete in every language).
func translate(lang, key string, args ...any) string {
	m, ok := catalog[key]
	if !ok {
		return key
	}
	s := m[langIndex(lang)]
	if s == "" {
		s = m[0]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

func langIndex(lang string) int {
	for i, l := range languages {
		if l.Tag == lang {
			return i
		}
	}
	return 0
}
