package alerts

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/httpx"
)

// Incidents in the API, with the scopes of the alert endpoints:
//
//	GET  /api/v1/incidents[?status=&system=&before=&limit=]  read:alerts
//	GET  /api/v1/incidents/{id}          read:alerts (with its alerts and timeline)
//	POST /api/v1/incidents/{id}/ack      act:alerts  ({"by": "name"} optional)
//	POST /api/v1/incidents/{id}/resolve  act:alerts
func (a *API) registerIncidents(mux *http.ServeMux, read, act string) {
	mux.HandleFunc("GET /api/v1/incidents", a.authed(read, a.incidents))
	mux.HandleFunc("GET /api/v1/incidents/{id}", a.authed(read, a.incident))
	mux.HandleFunc("POST /api/v1/incidents/{id}/ack", a.authed(act, a.changeIncident(StatusAcknowledged)))
	mux.HandleFunc("POST /api/v1/incidents/{id}/resolve", a.authed(act, a.changeIncident(StatusResolved)))
}

// IncidentEntryJSON is a timeline entry of an incident.
type IncidentEntryJSON struct {
	At      time.Time `json:"at"`
	AlertID int64     `json:"alert_id"`
	Kind    string    `json:"kind"`
	Actor   string    `json:"actor,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

func (a *API) incidents(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	f := IncidentFilter{Status: q.Get("status"), System: q.Get("system")}
	if f.Status != "" && f.Status != "active" && !slices.Contains(IncidentStatuses, f.Status) {
		httpx.Error(w, http.StatusBadRequest, "status must be active, "+strings.Join(IncidentStatuses, ", "), "status")
		return
	}
	var err error
	if v := q.Get("before"); v != "" {
		if f.Before, err = strconv.ParseInt(v, 10, 64); err != nil || f.Before < 0 {
			httpx.Error(w, http.StatusBadRequest, "before must be an incident id", "before")
			return
		}
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 500 {
			httpx.Error(w, http.StatusBadRequest, "limit must be between 1 and 500", "limit")
			return
		}
	}
	list, err := a.Svc.Incidents(r.Context(), f)
	if err != nil {
		a.Log.Error("alerts: incidents", "error", err)
		httpx.Error(w, http.StatusInternalServerError, "listing incidents failed", "")
		return
	}
	if list == nil {
		list = []*Incident{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"incidents": list})
}

func incidentID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		httpx.Error(w, http.StatusNotFound, "no such incident", "id")
		return 0, false
	}
	return id, true
}

func (a *API) incident(w http.ResponseWriter, r *http.Request, _ string) {
	id, ok := incidentID(w, r)
	if !ok {
		return
	}
	in, err := a.Svc.Incident(r.Context(), id)
	if errors.Is(err, ErrNotFound) {
		httpx.Error(w, http.StatusNotFound, "no such incident", "id")
		return
	}
	var members []*Alert
	var tl []*Entry
	if err == nil {
		members, err = a.Svc.IncidentAlerts(r.Context(), id)
	}
	if err == nil {
		tl, err = a.Svc.IncidentTimeline(r.Context(), id)
	}
	if err != nil {
		a.Log.Error("alerts: incident", "error", err)
		httpx.Error(w, http.StatusInternalServerError, "reading the incident failed", "")
		return
	}
	out := struct {
		*Incident
		AlertList []AlertJSON         `json:"alert_list"`
		Timeline  []IncidentEntryJSON `json:"timeline"`
	}{Incident: in, AlertList: make([]AlertJSON, 0, len(members)), Timeline: make([]IncidentEntryJSON, 0, len(tl))}
	for _, m := range members {
		out.AlertList = append(out.AlertList, ToJSON(m, nil))
	}
	for _, e := range tl {
		out.Timeline = append(out.Timeline, IncidentEntryJSON{At: e.At, AlertID: e.AlertID, Kind: e.Kind, Actor: e.Actor, Detail: e.Detail})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// changeIncident is POST /api/v1/incidents/{id}/ack|resolve; the body may
// name who ({"by": "sato"}), else the token's name is recorded.
func (a *API) changeIncident(to string) func(w http.ResponseWriter, r *http.Request, token string) {
	return func(w http.ResponseWriter, r *http.Request, token string) {
		id, ok := incidentID(w, r)
		if !ok {
			return
		}
		body, ok := a.readBody(w, r)
		if !ok {
			return
		}
		var in struct {
			By string `json:"by"`
		}
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &in); err != nil {
				httpx.Error(w, http.StatusBadRequest, "the body must be JSON such as {\"by\": \"name\"}: "+err.Error(), "")
				return
			}
		}
		by := byOr(in.By, token)
		var inc *Incident
		var changed bool
		var err error
		if to == StatusAcknowledged {
			inc, changed, err = a.Svc.AckIncident(r.Context(), id, by, "api")
		} else {
			inc, changed, err = a.Svc.ResolveIncident(r.Context(), id, by, "api")
		}
		switch {
		case errors.Is(err, ErrNotFound):
			httpx.Error(w, http.StatusNotFound, "no such incident", "id")
			return
		case errors.Is(err, ErrNotActive):
			httpx.Error(w, http.StatusConflict, "the incident is resolved", "id")
			return
		case err != nil:
			a.Log.Error("alerts: change incident", "to", to, "error", err)
			httpx.Error(w, http.StatusServiceUnavailable, "changing the incident failed; retry", "")
			return
		}
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"id": inc.ID, "status": inc.Status, "changed": changed})
	}
}
