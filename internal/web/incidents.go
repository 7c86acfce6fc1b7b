package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"

	"github.com/opsdesk/opsdesk/internal/alerts"
)

// Incidents in the console: GET /incidents (by status), GET
// /incidents/{id} with its alerts and their joint timeline, and POST
// /incidents/{id}/ack and /resolve for writers. Each grouped alert's page
// links its incident.

// incidentsService is what the pages need of the alerts service beyond
// AlertsService; a service without it has no incident pages.
type incidentsService interface {
	Incidents(ctx context.Context, f alerts.IncidentFilter) ([]*alerts.Incident, error)
	Incident(ctx context.Context, id int64) (*alerts.Incident, error)
	IncidentAlerts(ctx context.Context, id int64) ([]*alerts.Alert, error)
	IncidentTimeline(ctx context.Context, id int64) ([]*alerts.Entry, error)
	AckIncident(ctx context.Context, id int64, by, via string) (*alerts.Incident, bool, error)
	ResolveIncident(ctx context.Context, id int64, by, via string) (*alerts.Incident, bool, error)
}

func (h *Handler) incidentsSvc() incidentsService {
	s, _ := h.alerts.(incidentsService)
	return s
}

// incidentRoutes adds the incident pages.
func (h *Handler) incidentRoutes(mux *http.ServeMux) {
	if h.incidentsSvc() == nil {
		return
	}
	mux.Handle("GET /incidents", h.route(accessMember, h.incidentsList))
	mux.Handle("GET /incidents/{id}", h.route(accessMember, h.incidentPage))
	mux.Handle("POST /incidents/{id}/ack", h.route(accessWriter, h.incidentChange(alerts.StatusAcknowledged)))
	mux.Handle("POST /incidents/{id}/resolve", h.route(accessWriter, h.incidentChange(alerts.StatusResolved)))
}

func incidentURL(id int64) string { return "/incidents/" + strconv.FormatInt(id, 10) }

// incidentStatusClass is the badge style of an incident's status.
func incidentStatusClass(s string) string {
	switch s {
	case alerts.IncidentOpen:
		return "failed"
	case alerts.IncidentAcknowledged:
		return "cs-work-in-progress"
	case alerts.IncidentResolved:
		return "delivered"
	}
	return "ev-stored"
}

type incidentRow struct {
	*alerts.Incident
	URL         string
	LeaderURL   string
	StatusLabel string
	StatusClass string
}

func incidentRowOf(p *page, in *alerts.Incident) incidentRow {
	return incidentRow{Incident: in, URL: incidentURL(in.ID), LeaderURL: alertURL(in.LeaderAlertID),
		StatusLabel: p.T("incidents.status." + in.Status), StatusClass: incidentStatusClass(in.Status)}
}

type incidentsListData struct {
	Tabs []alertTab
	Rows []incidentRow
	Next string
}

// incidentTabs are the list's filters, "active" first (the default).
var incidentTabs = []string{"active", alerts.IncidentOpen, alerts.IncidentAcknowledged, alerts.IncidentResolved, "all"}

func (h *Handler) incidentsList(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("incidents.title"), "alerts"
	q := r.URL.Query()
	status := q.Get("status")
	if !slices.Contains(incidentTabs, status) {
		status = "active"
	}
	var d incidentsListData
	for _, k := range incidentTabs {
		d.Tabs = append(d.Tabs, alertTab{Key: k, Label: p.T("incidents.tab." + k), URL: "/incidents?" + url.Values{"status": {k}}.Encode(), Current: k == status})
	}
	f := alerts.IncidentFilter{Status: status, Limit: 51}
	if status == "all" {
		f.Status = ""
	}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		f.Before = b
	}
	list, err := h.incidentsSvc().Incidents(r.Context(), f)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	if len(list) == 51 {
		list = list[:50]
		d.Next = "/incidents?" + url.Values{"status": {status}, "before": {strconv.FormatInt(list[49].ID, 10)}}.Encode()
	}
	for _, in := range list {
		d.Rows = append(d.Rows, incidentRowOf(p, in))
	}
	h.render(w, r, p, http.StatusOK, "incidents", d)
}

// incidentEntryRow is a line of the incident's timeline: an entry of one
// of its alerts.
type incidentEntryRow struct {
	entryRow
	AlertID  int64
	AlertURL string
}

type incidentPageData struct {
	incidentRow
	AlertRows  []alertRow
	Timeline   []incidentEntryRow
	CanAck     bool
	CanResolve bool
}

// incidentNotices are the results a redirect may ask the page to show.
var incidentNotices = []string{"acked", "resolved", "already", "not_active"}

func (h *Handler) incidentPage(w http.ResponseWriter, r *http.Request, p *page) {
	p.Nav = "alerts"
	if k := r.URL.Query().Get("done"); slices.Contains(incidentNotices, k) {
		p.Notice = p.T("incidents.done." + k)
	}
	ctx := r.Context()
	svc := h.incidentsSvc()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	in, err := svc.Incident(ctx, id)
	if errors.Is(err, alerts.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	p.Title = p.T("incidents.incident_title", in.ID)
	members, err := svc.IncidentAlerts(ctx, id)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	calling, _, err := h.callingByAlert(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	d := incidentPageData{incidentRow: incidentRowOf(p, in)}
	unacked := false
	for _, a := range members {
		d.AlertRows = append(d.AlertRows, h.alertRow(p, a, calling))
		unacked = unacked || a.Status != alerts.StatusAcknowledged && a.Status != alerts.StatusResolved
	}
	tl, err := svc.IncidentTimeline(ctx, id)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	for _, e := range tl {
		row := incidentEntryRow{entryRow: entryRow{At: e.At, Kind: e.Kind, KindLabel: p.T("alerts.kind." + e.Kind), Actor: e.Actor, Detail: e.Detail},
			AlertID: e.AlertID, AlertURL: alertURL(e.AlertID)}
		if e.Kind == alerts.KindGaveUp {
			h.gaveUpReason(p, &row.entryRow)
		}
		if e.Kind == alerts.KindIncident {
			incidentEntry(p, &row.entryRow)
		}
		d.Timeline = append(d.Timeline, row)
	}
	canWrite := p.User.CanWrite()
	// An acknowledged incident may have taken alerts since: they can be
	// acknowledged too.
	d.CanAck = canWrite && (in.Status == alerts.IncidentOpen || in.Status == alerts.IncidentAcknowledged && unacked)
	d.CanResolve = canWrite && in.Status != alerts.IncidentResolved
	h.render(w, r, p, http.StatusOK, "incident", d)
}

// incidentChange is POST /incidents/{id}/ack and /resolve.
func (h *Handler) incidentChange(to string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *page) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
			return
		}
		svc := h.incidentsSvc()
		var changed bool
		if to == alerts.StatusAcknowledged {
			_, changed, err = svc.AckIncident(r.Context(), id, p.User.Name, "console")
		} else {
			_, changed, err = svc.ResolveIncident(r.Context(), id, p.User.Name, "console")
		}
		done := "acked"
		switch {
		case errors.Is(err, alerts.ErrNotFound):
			h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
			return
		case errors.Is(err, alerts.ErrNotActive):
			done = "not_active"
		case err != nil:
			h.serverError(w, r, p, err)
			return
		case !changed:
			done = "already"
		case to == alerts.StatusResolved:
			done = "resolved"
		}
		h.log.Info("web: incident changed", "incident", id, "to", to, "user", p.User.Name, "changed", changed)
		http.Redirect(w, r, incidentURL(id)+"?done="+done, http.StatusSeeOther)
	}
}

// The incident entries the alerts service writes (in English), read so
// that the console says them in the page's language and links the
// incident.
var (
	incidentJoinedRE = regexp.MustCompile(`^joined incident (\d+): alert (\d+) escalates`)
	incidentOpenedRE = regexp.MustCompile(`^opened incident (\d+):`)
)

func incidentEntry(p *page, row *entryRow) {
	if m := incidentJoinedRE.FindStringSubmatch(row.Detail); m != nil {
		inc, _ := strconv.ParseInt(m[1], 10, 64)
		leader, _ := strconv.ParseInt(m[2], 10, 64)
		row.Detail = p.T("incidents.joined", inc, leader)
		row.LinkURL, row.LinkLabel = incidentURL(inc), p.T("incidents.incident_title", inc)
		return
	}
	if m := incidentOpenedRE.FindStringSubmatch(row.Detail); m != nil {
		inc, _ := strconv.ParseInt(m[1], 10, 64)
		row.Detail = p.T("incidents.opened", inc)
		row.LinkURL, row.LinkLabel = incidentURL(inc), p.T("incidents.incident_title", inc)
	}
}
