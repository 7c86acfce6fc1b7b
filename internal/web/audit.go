package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/audit"
)

// auditRoutes adds GET /audit, the audit log (admins only).
func (h *Handler) auditRoutes(mux *http.ServeMux) {
	if h.audit == nil {
		return
	}
	mux.Handle("GET /audit", h.route(accessAdmin, h.auditPage))
}

type auditFilter struct {
	Actor, Kind, Action, Q, From, To string
}

type auditRow struct {
	audit.Entry
	KindLabel string
}

type auditData struct {
	Filter   auditFilter
	Errors   map[string]string
	Filtered bool
	Kinds    []option
	Actions  []option
	Rows     []auditRow
	NextURL  string
	FirstURL string
	// ZoneName is the zone the from/to days are read in.
	ZoneName string
}

// auditKindLabel names a kind of actor in the page's language.
func auditKindLabel(p *page, kind string) string {
	return p.T("audit.kind." + kind)
}

// auditPage is GET /audit: every recorded change, newest first, with
// filters (actor, kind of actor, action, words, days in the page's zone)
// and paging by ?before=. Admins only.
func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("audit.title"), "audit"
	ctx := r.Context()
	q := r.URL.Query()
	d := auditData{Errors: map[string]string{}}
	d.Filter = auditFilter{
		Actor: shorten(strings.TrimSpace(q.Get("actor")), 200), Kind: q.Get("kind"), Action: strings.TrimSpace(q.Get("action")),
		Q: shorten(strings.TrimSpace(q.Get("q")), 200), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
	}
	if !slices.Contains(audit.Kinds, d.Filter.Kind) {
		d.Filter.Kind = ""
	}
	actions, err := h.audit.Actions(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	if !slices.Contains(actions, d.Filter.Action) {
		d.Filter.Action = ""
	}
	f := audit.Filter{Actor: d.Filter.Actor, Kind: d.Filter.Kind, Action: d.Filter.Action, Search: d.Filter.Q, Limit: h.pageSize + 1}
	f.From, f.To = zoneDays(p, d.Errors, &d.Filter.From, &d.Filter.To)
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		f.Before = b
	}
	d.Filtered = d.Filter != (auditFilter{}) || len(d.Errors) > 0
	anyLabel := p.T("cases.any")
	d.Kinds = options(anyLabel, d.Filter.Kind, audit.Kinds, func(s string) string { return auditKindLabel(p, s) })
	d.Actions = options(anyLabel, d.Filter.Action, actions, func(s string) string { return s })
	d.ZoneName = zoneLabel(h.now().In(p.zone()))
	entries, err := h.audit.List(ctx, f)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	if len(entries) > h.pageSize {
		entries = entries[:h.pageSize]
		d.NextURL = auditURL(d.Filter, entries[len(entries)-1].ID)
	}
	if f.Before > 0 {
		d.FirstURL = auditURL(d.Filter, 0)
	}
	for _, e := range entries {
		d.Rows = append(d.Rows, auditRow{Entry: e, KindLabel: auditKindLabel(p, e.Kind)})
	}
	h.render(w, r, p, http.StatusOK, "audit", d)
}

// zoneDays is dayRange with the days read in the page's zone rather than
// in UTC: a day of the audit page is the day its rows show.
func zoneDays(p *page, errs map[string]string, from, to *string) (time.Time, time.Time) {
	f, t := dayRange(p, errs, from, to)
	loc := p.zone()
	in := func(d time.Time) time.Time {
		if d.IsZero() {
			return d
		}
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	}
	return in(f), in(t)
}

func auditURL(f auditFilter, before int64) string {
	return listURL("/audit", map[string]string{"actor": f.Actor, "kind": f.Kind, "action": f.Action, "q": f.Q, "from": f.From, "to": f.To}, before)
}
