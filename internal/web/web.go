// Package web is opsdesk's server-rendered HTML: the public question form
// (/ask) and the operator console (login, home, questions, the Support
// case archive, destinations).
//
// Everything is html/template (auto-escaping) and plain forms; the only
// JavaScript is one small same-origin file that counts characters, keeps
// forms from being sent twice and shows a time in the browser's zone where
// a page asks for it, and every page works without it. Charts are SVG
// drawn on the server. Templates, CSS and JS are embedded in the binary.
//
// Times are written in the viewer's time zone with its abbreviation
// ("2025-03-14 21:00:05 JST"): today the server's zone (Deps.Location),
// later each user's own (see Handler.zoneFor).
//
// # Security model
//
//   - The console needs a session (cookie opsdesk_session: HttpOnly,
//     SameSite=Lax, Secure when served over https). Every state-changing
//     console form carries the session's CSRF token (field "csrf"),
//     compared in constant time.
//   - Console routes (including POST /login, against login CSRF) are also
//     wrapped in net/http's CrossOriginProtection, which rejects browser
//     requests that Sec-Fetch-Site / Origin mark as cross-origin.
//   - POST /ask is deliberately NOT wrapped: it carries no session and no
//     ambient authority, so a cross-site post can do nothing a visitor could
//     not do on the form itself, and a training team may legitimately put
//     the form on its own course site (as the seed did, on S3) and post it
//     here. It is protected by the per-address rate limit and the honeypot.
//   - Every HTML answer sets a Content-Security-Policy of 'self' only
//     (no inline script or style), X-Frame-Options DENY,
//     Referrer-Policy same-origin and nosniff.
//   - Destination URLs are shown as scheme://host only; their path and
//     query (which carry webhook tokens) never reach a page.
//   - Case attachments are always downloads (Content-Disposition:
//     attachment), typed application/octet-stream unless they are plainly
//     text or a raster image, with nosniff and a sandboxing CSP: what a
//     customer or AWS attached never runs as a page of this site.
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/contact"
	"github.com/opsdesk/opsdesk/internal/heartbeat"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/intake"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/ratelimit"
	"github.com/opsdesk/opsdesk/internal/store"
)

//go:embed templates static
var assets embed.FS

// Cookie names.
const (
	SessionCookie = "opsdesk_session"
	LangCookie    = "opsdesk_lang"
)

// Body limits. A question of 8,000 CJK characters is 24 KB of UTF-8 but
// 72 KB once a browser percent-encodes it (9 bytes a character; emoji
// take 12), so the public form gets more room than the JSON API's 64 KiB.
const (
	maxAskBody     = 128 << 10
	maxConsoleBody = 64 << 10
)

// Deps are what the web handler is built from.
type Deps struct {
	Cfg    *config.Config
	St     *store.Store
	Auth   *auth.Service
	Intake *intake.Service
	Queue  jobs.Queue
	// Audit records what console users change (nil: nothing recorded).
	Audit *audit.Log
	// AskLimiter limits POST /ask per client address. Pass the same limiter
	// the JSON API uses so that both doors share one budget; nil builds one
	// in memory from cfg.Intake (rate_per_minute, burst).
	AskLimiter Limiter
	// LoginLimiter limits login attempts per client address and per
	// account name, console.login_per_minute each (keys "addr:…" and
	// "user:…"); nil builds one in memory.
	LoginLimiter Limiter
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Log receives server errors (nil: discarded).
	Log *slog.Logger
	// Blobs holds the case archive's attachment contents (nil: the
	// configured local or db store, attachments.store).
	Blobs blob.Store
	// Location is the time zone console times are written in (nil: the
	// server's, time.Local).
	Location *time.Location

	// The later capabilities' services; nil leaves their pages out (see
	// events.go, alerts.go, chat.go for the interfaces).
	Events EventsService
	Alerts AlertsService
	Chat   ChatService
	// ActionLinks checks and uses the one-tap links of alert messages
	// (nil: no /a/ pages); ActionLinkLimiter limits invalid links per
	// client address (nil: 10 a minute, in memory). See actionlink.go.
	ActionLinks       ActionLinkService
	ActionLinkLimiter Limiter
	OnCall            OnCallService
	// Directory says who is on call and how users are reached, for the
	// escalation-policy previews (nil: the schedules of OnCall or of the
	// config, nobody's contact methods; see oncall_policies.go).
	Directory alerts.Directory
	// Contacts is the users' contact methods and rules (contact.go).
	Contacts *contact.Service
	// Heartbeats is the heartbeat monitors (heartbeats.go; nil: no page).
	Heartbeats *heartbeat.Service
	// Accounts lists the case archive's accounts (accounts.go; nil: no
	// page).
	Accounts AccountsService
	// Queues is the SQS consumer's queues and dead letters (queues.go;
	// nil: no page).
	Queues *QueueInfo
	// Health is the AWS Health records (health.go; nil: no page).
	Health HealthService
}

// Limiter is a rate limit per key: ratelimit.Limiter, shared by the
// replicas on PostgreSQL.
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
	Refund(ctx context.Context, key string) error
}

// Handler serves the form and the console.
type Handler struct {
	cfg    *config.Config
	st     *store.Store
	auth   *auth.Service
	intake *intake.Service
	queue  jobs.Queue
	audit  *audit.Log
	now    func() time.Time
	log    *slog.Logger

	// cases reads the Support case archive; blobs holds its attachment
	// contents (where the syncer stores them; see caseBlobs).
	cases *cases.Store
	blobs blob.Store

	askLimit   Limiter
	loginLimit Limiter
	cop        *http.CrossOriginProtection
	// loc is the server's time zone; tmpl holds the templates parsed for
	// each zone pages are written in (see templatesFor).
	loc       *time.Location
	tmplMu    sync.Mutex
	tmpl      map[string]*templateSet
	static    fs.FS
	staticVer string
	favicon   []byte // /favicon.ico
	baseHTTPS bool

	events EventsService
	alerts AlertsService
	chat   ChatService
	// links and linkLimit: the one-tap links (actionlink.go).
	links     ActionLinkService
	linkLimit Limiter
	oncall    OnCallService
	dir       alerts.Directory
	contacts  *contact.Service
	// heartbeats: the heartbeat monitors (heartbeats.go).
	heartbeats *heartbeat.Service
	// accounts: the case archive's accounts (accounts.go).
	accounts AccountsService
	// queues: the SQS queues and their dead letters (queues.go).
	queues *QueueInfo
	// health: the AWS Health records (health.go).
	health HealthService

	// panels build the home page, in order; see home.go.
	panels []panelFunc
	// pageSize is the number of questions per list page.
	pageSize int
}

// New checks the dependencies and parses the templates.
func New(d Deps) (*Handler, error) {
	switch {
	case d.Cfg == nil:
		return nil, errors.New("web: Deps.Cfg is required")
	case d.St == nil:
		return nil, errors.New("web: Deps.St is required")
	case d.Auth == nil:
		return nil, errors.New("web: Deps.Auth is required")
	case d.Intake == nil:
		return nil, errors.New("web: Deps.Intake is required")
	case d.Queue == nil:
		return nil, errors.New("web: Deps.Queue is required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Location == nil {
		d.Location = time.Local
	}
	h := &Handler{
		cfg: d.Cfg, st: d.St, auth: d.Auth, intake: d.Intake, queue: d.Queue, now: d.Now, log: d.Log, audit: d.Audit,
		events: d.Events, alerts: d.Alerts, chat: d.Chat, oncall: d.OnCall, dir: d.Directory, contacts: d.Contacts,
		cases:      cases.NewStore(d.St),
		blobs:      d.Blobs,
		askLimit:   d.AskLimiter,
		loginLimit: d.LoginLimiter,
		links:      d.ActionLinks,
		linkLimit:  d.ActionLinkLimiter,
		heartbeats: d.Heartbeats,
		accounts:   d.Accounts,
		queues:     d.Queues,
		health:     d.Health,
		pageSize:   50,
		loc:        d.Location,
		tmpl:       map[string]*templateSet{},
		baseHTTPS:  strings.HasPrefix(strings.ToLower(d.Cfg.BaseURL), "https://"),
	}
	if h.askLimit == nil {
		h.askLimit = ratelimit.NewMemory(ratelimit.PerMinute(d.Cfg.Intake.RatePerMinute, d.Cfg.Intake.Burst), ratelimit.Options{Now: d.Now})
	}
	if h.loginLimit == nil {
		h.loginLimit = ratelimit.NewMemory(ratelimit.PerMinute(d.Cfg.Console.LoginPerMinute, d.Cfg.Console.LoginPerMinute), ratelimit.Options{Now: d.Now})
	}
	if h.linkLimit == nil {
		h.linkLimit = ratelimit.NewMemory(ratelimit.PerMinute(10, 10), ratelimit.Options{Now: d.Now})
	}
	h.cop = http.NewCrossOriginProtection()
	if o := origin(d.Cfg.BaseURL); o != "" {
		// Behind a proxy that rewrites Host, the browser's Origin is the
		// public base URL.
		if err := h.cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("web: base_url: %w", err)
		}
	}
	h.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w)
		p := h.newPage(w, r)
		p.Console = true
		h.renderError(w, r, p, http.StatusForbidden, "forbidden.cross_origin")
	}))
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	h.static = static
	h.staticVer, err = hashFS(static)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if h.favicon, err = faviconICO(); err != nil {
		return nil, fmt.Errorf("web: favicon: %w", err)
	}
	if _, err := h.templatesFor(h.loc); err != nil {
		return nil, err
	}
	h.panels = append(h.alertPanels(), h.failedDeliveriesPanel, h.awaitingCasesPanel)
	h.panels = append(h.panels, h.eventPanels()...)
	h.panels = append(h.panels, h.chatPanels()...)
	h.panels = append(h.panels, h.recentQuestionsPanel)
	return h, nil
}

// Register adds every route to mux.
//
// Public: GET /ask, POST /ask, GET /ask/thanks, GET /static/…,
// GET /favicon.ico, and GET / as the friendly 404 for every GET no other
// route claims. Console: GET and POST /login, POST /logout, GET / (home),
// GET /questions, GET /questions/{ref}, POST /deliveries/{id}/retry,
// GET /destinations, and the case archive: GET /cases, GET /cases/stats,
// GET /cases/{caseId}, GET /cases/{caseId}/attachments/{id} and
// POST /cases/sync. Public too: the one-tap alert links, GET and POST
// /a/{token} (actionlink.go).
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/", h.staticHandler())
	mux.Handle("GET /favicon.ico", h.faviconHandler())

	mux.Handle("GET /ask", h.route(accessPublic, h.askForm))
	mux.Handle("POST /ask", h.route(accessPublic, h.askSubmit))
	mux.Handle("GET /ask/thanks", h.route(accessPublic, h.askThanks))

	mux.Handle("GET /login", h.route(accessGuest, h.loginForm))
	mux.Handle("POST /login", h.route(accessGuest, h.loginSubmit))
	mux.Handle("POST /logout", h.route(accessMember, h.logout))
	h.passwordRoutes(mux)

	mux.Handle("GET /{$}", h.route(accessMember, h.home))
	mux.Handle("GET /questions", h.route(accessMember, h.questions))
	mux.Handle("GET /questions/{ref}", h.route(accessMember, h.question))
	mux.Handle("POST /deliveries/{id}/retry", h.route(accessWriter, h.retry))
	mux.Handle("POST /questions/{ref}/state", h.route(accessWriter, h.questionState))
	mux.Handle("POST /questions/{ref}/assign", h.route(accessWriter, h.questionAssign))
	mux.Handle("POST /questions/{ref}/notes", h.route(accessWriter, h.questionNote))
	mux.Handle("GET /destinations", h.route(accessMember, h.destinations))

	mux.Handle("GET /cases", h.route(accessMember, h.casesList))
	mux.Handle("GET /cases/stats", h.route(accessMember, h.caseStats))
	mux.Handle("POST /cases/sync", h.route(accessWriter, h.casesSync))
	mux.Handle("GET /cases/{caseId}", h.route(accessMember, h.casePage))
	mux.Handle("GET /cases/{caseId}/attachments/{id}", h.route(accessMember, h.caseAttachment))

	h.eventRoutes(mux)
	h.alertRoutes(mux)
	h.oncallRoutes(mux)
	h.policyRoutes(mux)
	h.chatRoutes(mux)
	h.userRoutes(mux)
	h.contactRoutes(mux)
	h.auditRoutes(mux)
	h.actionLinkRoutes(mux)
	h.heartbeatRoutes(mux)
	h.accountsRoutes(mux)
	h.maintenanceRoutes(mux)
	h.queueRoutes(mux)
	h.healthRoutes(mux)

	mux.Handle("GET /", h.route(accessPublic, h.notFound))
}

// QuestionURL is the console link to a question, for messages sent to chat
// (delivery.Worker.ConsoleURL); "" without a base URL.
func QuestionURL(baseURL, ref string) string {
	if baseURL == "" {
		return ""
	}
	return strings.TrimRight(baseURL, "/") + "/questions/" + url.PathEscape(ref)
}

// access says who may use a route.
type access int

const (
	// accessPublic: anyone; no session is read and no cross-origin check
	// is made (the question form, 404).
	accessPublic access = iota
	// accessGuest: console pages open without login (/login); cross-origin
	// protected, the session is read when there is one.
	accessGuest
	// accessMember: logged-in users; unsafe methods need the CSRF token.
	accessMember
	// accessWriter: logged-in users who may act (admin, responder; see
	// User.CanWrite).
	accessWriter
	// accessAdmin: admins only: users, tokens, call lists, event rules
	// (User.CanAdmin; the table of rights is docs/users.md).
	accessAdmin
)

type handlerFunc func(w http.ResponseWriter, r *http.Request, p *page)

func (h *Handler) route(a access, fn handlerFunc) http.Handler {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w)
		p := h.newPage(w, r)
		if a == accessPublic {
			fn(w, r, p)
			return
		}
		p.Console = true
		if !isSafe(r.Method) {
			r.Body = http.MaxBytesReader(w, r.Body, maxConsoleBody)
		}
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			u, csrf, err := h.auth.Session(r.Context(), c.Value)
			switch {
			case err == nil:
				p.User, p.CSRF = u, csrf
				p.Zone = h.zoneFor(u)
				h.userLang(r, p)
				// Whatever this request changes is recorded as this user's.
				r = r.WithContext(audit.WithActor(r.Context(), audit.Actor{Name: u.Name, Kind: audit.KindUser, Source: httpx.ClientIP(r, h.cfg.Trusted)}))
			case errors.Is(err, auth.ErrNotFound):
				// Expired or logged out elsewhere: forget the cookie.
				h.clearSessionCookie(w, r)
			default:
				h.serverError(w, r, p, err)
				return
			}
		}
		if a == accessGuest {
			fn(w, r, p)
			return
		}
		if p.User == nil {
			next := ""
			if isSafe(r.Method) {
				next = r.URL.RequestURI()
			}
			target := "/login"
			if next != "" && next != "/" {
				target += "?next=" + url.QueryEscape(next)
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		if !isSafe(r.Method) && !validCSRF(r, p.CSRF) {
			h.renderError(w, r, p, http.StatusForbidden, "forbidden.csrf")
			return
		}
		if h.forcePasswordChange(w, r, p) {
			return // a one-time password is changed before anything else (password.go)
		}
		if a == accessWriter && !p.User.CanWrite() {
			h.renderError(w, r, p, http.StatusForbidden, "forbidden.role")
			return
		}
		if a == accessAdmin && !p.User.CanAdmin() {
			h.renderError(w, r, p, http.StatusForbidden, "forbidden.admin")
			return
		}
		fn(w, r, p)
	})
	if a == accessPublic {
		return inner
	}
	return h.cop.Handler(inner)
}

func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// validCSRF compares the form's csrf field with the session's token in
// constant time.
func validCSRF(r *http.Request, want string) bool {
	got := r.PostFormValue("csrf")
	if got == "" || want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func setSecurityHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Content-Type-Options", "nosniff")
}

// secure reports whether cookies must carry the Secure attribute: the
// request came over TLS, through a trusted proxy that says so, or the
// configured base URL is https.
func (h *Handler) secure(r *http.Request) bool {
	if r.TLS != nil || h.baseHTTPS {
		return true
	}
	if strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil && h.cfg.Trusted(ap.Addr()) {
			return true
		}
	}
	return false
}

func (h *Handler) setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/",
		MaxAge:   int(h.cfg.Console.SessionTTL.D() / time.Second),
		HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteLaxMode,
	})
}

func (h *Handler) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteLaxMode,
	})
}

// localPath returns s when it is a path on this site ("/questions?x=1")
// and "" otherwise, so that ?next= cannot send anyone elsewhere.
func localPath(s string) string {
	if s == "" || s[0] != '/' || strings.HasPrefix(s, "//") {
		return ""
	}
	if strings.ContainsAny(s, "\\") || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return s
}

// origin returns scheme://host[:port] of an http(s) URL, or "".
func origin(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// ---- rendering ----

// templateSet is every page and partial, parsed with the time functions
// of one zone.
type templateSet struct {
	pages    map[string]*template.Template
	partials *template.Template
}

// templatesFor returns the templates that write times in loc, parsing them
// the first time a zone is asked for. Template functions are fixed at
// parse time, so each zone has its own set: the server's zone today, and
// every user's own zone once users pick one.
func (h *Handler) templatesFor(loc *time.Location) (*templateSet, error) {
	h.tmplMu.Lock()
	defer h.tmplMu.Unlock()
	if ts, ok := h.tmpl[loc.String()]; ok {
		return ts, nil
	}
	ts, err := h.parseTemplates(loc)
	if err != nil {
		return nil, err
	}
	h.tmpl[loc.String()] = ts
	return ts, nil
}

// zoneFor is the time zone the console writes times in for u: the zone
// of their profile, else the server's.
func (h *Handler) zoneFor(u *auth.User) *time.Location {
	if u == nil || u.TimeZone == "" {
		return h.loc
	}
	if v, ok := zoneCache.Load(u.TimeZone); ok {
		return v.(*time.Location)
	}
	loc, err := auth.LoadZone(u.TimeZone)
	if err != nil || loc == nil {
		return h.loc // checked when saved; a zone the tzdata lost since
	}
	zoneCache.Store(u.TimeZone, loc)
	return loc
}

// zoneCache holds the zones users chose, by name: time.LoadLocation reads
// the zone database each time.
var zoneCache sync.Map

// clockText writes t in loc with the zone's abbreviation, or its offset
// from UTC where the zone has no abbreviation (tzdata writes those as
// "+0530" or "-03").
func clockText(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(loc)
	return t.Format("2006-01-02 15:04:05") + " " + zoneLabel(t)
}

// zoneLabel names t's zone: "JST", "CET", "UTC", else "UTC+05:30".
func zoneLabel(t time.Time) string {
	name, off := t.Zone()
	if name != "" && strings.IndexFunc(name, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') }) < 0 {
		return name
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("UTC%s%02d:%02d", sign, off/3600, off%3600/60)
}

func (h *Handler) parseTemplates(loc *time.Location) (*templateSet, error) {
	funcs := template.FuncMap{
		"static": func(name string) string { return "/static/" + name + "?v=" + h.staticVer },
		"utc": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
		},
		// clock is a time in the page's zone, with the zone's name.
		"clock": func(t time.Time) string { return clockText(t, loc) },
		"iso":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"day":   func(t time.Time) string { return t.UTC().Format(dateLayout) },
		"selectArgs": func(name, label string, opts []option) selectData {
			return selectData{Name: name, Label: label, Options: opts}
		},
		"pd":              func(p *page, d any) partialData { return partialData{P: p, D: d} },
		"ruleNamePattern": func() string { return ruleNamePattern },
		"retryArgs": func(p *page, id int64, next string) retryData {
			return retryData{P: p, ID: id, Next: next}
		},
	}
	ts := &templateSet{pages: map[string]*template.Template{}}
	pages, err := fs.Glob(assets, "templates/page_*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	for _, file := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "templates/page_"), ".html")
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partials.html", file)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		ts.pages[name] = t
	}
	ts.partials, err = template.New("partials").Funcs(funcs).ParseFS(assets, "templates/partials.html", "templates/panels*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	return ts, nil
}

// render writes a whole page. The page is executed into a buffer first so
// that a template error becomes a clean 500, not half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, p *page, status int, name string, data any) {
	ts, err := h.templatesFor(p.zone())
	if err != nil {
		h.log.Error("web: templates", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	t, ok := ts.pages[name]
	if !ok {
		h.serverError(w, r, p, fmt.Errorf("web: no template %q", name))
		return
	}
	p.Data = data
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		if name == "error" {
			h.log.Error("web: render error page", "error", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		h.serverError(w, r, p, fmt.Errorf("web: render %s: %w", name, err))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// partial executes one named template of panels.html/partials.html with
// the page and data, for the home page's panels.
func (h *Handler) partial(name string, p *page, data any) (template.HTML, error) {
	ts, err := h.templatesFor(p.zone())
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := ts.partials.ExecuteTemplate(&buf, name, partialData{P: p, D: data}); err != nil {
		return "", fmt.Errorf("web: render %s: %w", name, err)
	}
	return template.HTML(buf.String()), nil //nolint:gosec // output of html/template
}

// selectData is one <select> of a filter form.
type selectData struct {
	Name    string
	Label   string
	Options []option
}

type partialData struct {
	P *page
	D any
}

// retryData is what the retry button needs: the CSRF token (via P) and
// where to come back to.
type retryData struct {
	P    *page
	ID   int64
	Next string
}

type errorData struct {
	Status  int
	Title   string
	Message string
}

// renderError renders the friendly error page for status; key names the
// message ("forbidden.csrf" …).
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, p *page, status int, key string) {
	titleKey := "error.title"
	switch status {
	case http.StatusNotFound:
		titleKey = "notfound.title"
	case http.StatusForbidden:
		titleKey = "forbidden.title"
	}
	p.Title = p.T(titleKey)
	h.render(w, r, p, status, "error", errorData{Status: status, Title: p.T(titleKey), Message: p.T(key)})
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, p *page, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client went away
	}
	h.log.Error("web: request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	h.renderError(w, r, p, http.StatusInternalServerError, "error.body")
}

// notFound is the friendly 404 for every unclaimed GET.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, p *page) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		httpx.Error(w, http.StatusNotFound, "not found", "")
		return
	}
	p.Console = !strings.HasPrefix(r.URL.Path, "/ask")
	if p.Console {
		// A logged-in user keeps the console's navigation. Only a valid
		// session is read; nothing is changed (a stale cookie stays).
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			if u, csrf, err := h.auth.Session(r.Context(), c.Value); err == nil {
				p.User, p.CSRF, p.Zone = u, csrf, h.zoneFor(u)
				h.userLang(r, p)
			}
		}
	}
	h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
}

// ---- static files ----

func (h *Handler) staticHandler() http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(h.static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w)
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		// URLs carry ?v=<content hash>, so a year of caching is safe.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		files.ServeHTTP(w, r)
	})
}

// hashFS returns a short hash of every file, the cache-busting version.
func hashFS(fsys fs.FS) (string, error) {
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	hs := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return "", err
		}
		hs.Write([]byte(n))
		hs.Write(b)
	}
	return hex.EncodeToString(hs.Sum(nil))[:10], nil
}
