package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/opsdesk/opsdesk/internal/actionlink"
	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/ratelimit"
)

// ActionLinkService checks and uses the one-tap links of alert messages
// (actionlink.Service).
type ActionLinkService interface {
	Check(ctx context.Context, token string) (actionlink.Link, error)
	Use(ctx context.Context, token, from string, act func(ctx context.Context, l actionlink.Link) error) (actionlink.Link, error)
}

// alertEscalator moves an escalation on now (alerts.Service.EscalateNow);
// the escalate links need it from the alerts service.
type alertEscalator interface {
	EscalateNow(ctx context.Context, id int64, by, via string) (bool, error)
}

// actionLinkRoutes adds the one-tap links: GET /a/{token} shows the alert
// and one button, POST /a/{token} acts. Both are public: the token is the
// authority (signed, for one alert and action, expiring, used once). GET
// never acts, because mail scanners and chat unfurlers fetch links; the
// page submits itself with a same-origin script (static/actionlink.js,
// allowed by the console's CSP), so a real tap is one tap, and the button
// is there without JavaScript. POST carries no session and so needs no
// CSRF token or cross-origin check: a forged post would need the token,
// which is all a tap needs anyway.
func (h *Handler) actionLinkRoutes(mux *http.ServeMux) {
	if h.links == nil || h.alerts == nil {
		return
	}
	mux.Handle("GET /a/{token}", h.route(accessPublic, h.actionLinkPage))
	mux.Handle("POST /a/{token}", h.route(accessPublic, h.actionLinkUse))
}

// linkData is the action link page.
type linkData struct {
	// State: confirm, done, unchanged, used, expired, busy, failed,
	// invalid, limited.
	State   string
	Message string
	Action  string
	Button  string
	// FormURL is where the button posts (the page's own URL).
	FormURL string
	Expires time.Time
	UsedAt  time.Time
	Alert   *alerts.Alert
	// StatusLabel, StatusClass, SeverityLabel, SeverityClass describe Alert.
	StatusLabel, StatusClass, SeverityLabel, SeverityClass string
	ConsoleURL                                             string
}

// linkVia names the channel in the actor recorded for the action: "Sato
// (SMS link)".
func linkVia(l actionlink.Link) string {
	switch l.Channel {
	case actionlink.ChannelSMS:
		return "SMS link"
	case actionlink.ChannelEmail:
		return "email link"
	}
	return "link"
}

// linkLimited refuses a client that sent too many invalid links (the
// limiter is charged by every request and refunded by the valid ones).
func (h *Handler) linkLimited(w http.ResponseWriter, r *http.Request, p *page, key string) bool {
	ok, wait, err := h.linkLimit.Allow(r.Context(), key)
	if err != nil {
		h.serverError(w, r, p, err)
		return true
	}
	if ok {
		return false
	}
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	h.renderLink(w, r, p, http.StatusTooManyRequests, &linkData{State: "limited", Message: p.T("link.rate_limited", secs)})
	return true
}

func (h *Handler) renderLink(w http.ResponseWriter, r *http.Request, p *page, status int, d *linkData) {
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	if d.Alert != nil {
		a := d.Alert
		d.StatusLabel, d.StatusClass = p.T("alerts.status."+a.Status), alertStatusClass(a.Status)
		d.SeverityLabel, d.SeverityClass = alertSeverityLabel(p, a.Severity), alertSeverityClass(a.Severity)
		d.ConsoleURL = alertURL(a.ID)
	}
	h.render(w, r, p, status, "action_link", d)
}

// linkAlert reads the link's alert for the page (nil when it is gone).
func (h *Handler) linkAlert(ctx context.Context, id int64) (*alerts.Alert, error) {
	a, err := h.alerts.Get(ctx, id)
	if errors.Is(err, alerts.ErrNotFound) {
		return nil, nil
	}
	return a, err
}

// actionLinkPage is GET /a/{token}: what the link will do, and the button.
func (h *Handler) actionLinkPage(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title = p.T("link.title")
	key := ratelimit.AddrKey(httpx.ClientIP(r, h.cfg.Trusted))
	if h.linkLimited(w, r, p, key) {
		return
	}
	l, err := h.links.Check(r.Context(), r.PathValue("token"))
	h.linkResult(w, r, p, key, l, err, nil)
}

// actionLinkUse is POST /a/{token}: the tap.
func (h *Handler) actionLinkUse(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title = p.T("link.title")
	ip := httpx.ClientIP(r, h.cfg.Trusted)
	key := ratelimit.AddrKey(ip)
	if h.linkLimited(w, r, p, key) {
		return
	}
	var out linkOutcome
	l, err := h.links.Use(r.Context(), r.PathValue("token"), ip, func(ctx context.Context, l actionlink.Link) error {
		by := l.Recipient
		if by == "" {
			by = "one-tap link"
		}
		via := linkVia(l)
		ctx = audit.WithActor(ctx, audit.Actor{Name: by, Kind: audit.KindUser, Source: ip})
		var err error
		switch l.Action {
		case actionlink.ActionAck:
			out.alert, out.changed, err = h.alerts.Ack(ctx, l.AlertID, by, via)
		case actionlink.ActionResolve:
			out.alert, out.changed, err = h.alerts.Resolve(ctx, l.AlertID, by, via)
		case actionlink.ActionEscalate:
			esc, ok := h.alerts.(alertEscalator)
			if !ok {
				return errors.New("web: the alerts service cannot escalate")
			}
			out.changed, err = esc.EscalateNow(ctx, l.AlertID, by, via)
		}
		return err
	})
	h.linkResult(w, r, p, key, l, err, &out)
}

// linkOutcome is what a tap's action did.
type linkOutcome struct {
	alert   *alerts.Alert
	changed bool
}

// linkResult renders the page for a link checked (out == nil) or used.
func (h *Handler) linkResult(w http.ResponseWriter, r *http.Request, p *page, key string, l actionlink.Link, err error, out *linkOutcome) {
	ctx := r.Context()
	if errors.Is(err, actionlink.ErrInvalid) {
		// Charged to the client's budget: no refund.
		h.renderLink(w, r, p, http.StatusNotFound, &linkData{State: "invalid", Message: p.T("link.invalid")})
		return
	}
	_ = h.linkLimit.Refund(ctx, key)
	d := &linkData{Action: l.Action, Expires: l.Expires}
	status := http.StatusOK
	var ue *actionlink.UsedError
	switch {
	case errors.As(err, &ue):
		d.State, d.UsedAt, d.Message = "used", ue.At, p.T("link.used")
		status = http.StatusConflict
	case errors.Is(err, actionlink.ErrExpired):
		d.State, d.Message = "expired", p.T("link.expired")
		status = http.StatusGone
	case errors.Is(err, actionlink.ErrBusy):
		d.State, d.Message = "busy", p.T("link.busy")
		status = http.StatusConflict
	case errors.Is(err, alerts.ErrNotActive):
		d.State, d.Message = "failed", p.T("link.failed.resolved", l.AlertID)
		status = http.StatusConflict
	case errors.Is(err, alerts.ErrNotEscalating):
		d.State, d.Message = "failed", p.T("link.failed.not_escalating", l.AlertID)
		status = http.StatusConflict
	case errors.Is(err, alerts.ErrNotFound):
		d.State, d.Message = "failed", p.T("link.failed.not_found", l.AlertID)
		status = http.StatusNotFound
	case err != nil:
		h.serverError(w, r, p, err)
		return
	case out == nil:
		d.State = "confirm"
		d.Message = p.T("link.confirm."+l.Action, l.AlertID)
		d.Button = p.T("link.button." + l.Action)
		d.FormURL = r.URL.RequestURI()
	case out.changed:
		d.State, d.Message = "done", p.T("link.done."+l.Action, l.AlertID)
	default:
		d.State, d.Message = "unchanged", p.T("link.unchanged."+l.Action, l.AlertID)
	}
	if out != nil && out.alert != nil {
		d.Alert = out.alert
	} else if d.Alert, err = h.linkAlert(ctx, l.AlertID); err != nil {
		h.serverError(w, r, p, err)
		return
	}
	if d.Alert == nil && d.State == "confirm" {
		d.State, d.Message, d.Button = "failed", p.T("link.failed.not_found", l.AlertID), ""
		status = http.StatusNotFound
	}
	h.renderLink(w, r, p, status, d)
}
