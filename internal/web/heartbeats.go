package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/heartbeat"
)

// heartbeatRoutes adds the heartbeat monitors' page: GET /heartbeats
// (members), POST /heartbeats to create one and POST
// /heartbeats/{name}/delete (writers and admins).
func (h *Handler) heartbeatRoutes(mux *http.ServeMux) {
	if h.heartbeats == nil {
		return
	}
	mux.Handle("GET /heartbeats", h.route(accessMember, h.heartbeatList))
	mux.Handle("POST /heartbeats", h.route(accessWriter, h.heartbeatCreate))
	mux.Handle("POST /heartbeats/{name}/delete", h.route(accessWriter, h.heartbeatDelete))
}

// heartbeatPingsShown is how many pings of each monitor the page lists.
const heartbeatPingsShown = 10

type heartbeatRow struct {
	heartbeat.Monitor
	StateLabel string
	Interval   string
	Grace      string
	Pings      []heartbeat.Ping
}

type heartbeatForm struct {
	Name, System, Interval, Grace, Severity string
}

// heartbeatNew is the monitor just created: its URL and the lines that
// ping it, shown once.
type heartbeatNew struct {
	Name, URL, Curl, Cron, Systemd, Zabbix string
}

type heartbeatData struct {
	Rows     []heartbeatRow
	CanWrite bool
	Form     heartbeatForm
	Err      string
	Field    string
	New      *heartbeatNew
}

func (h *Handler) heartbeatList(w http.ResponseWriter, r *http.Request, p *page) {
	if r.URL.Query().Get("done") == "deleted" {
		p.Notice = p.T("heartbeats.deleted")
	}
	h.renderHeartbeats(w, r, p, http.StatusOK, heartbeatForm{Interval: "1h", Grace: "10m", Severity: "critical"}, "", "", nil)
}

func (h *Handler) renderHeartbeats(w http.ResponseWriter, r *http.Request, p *page, status int, form heartbeatForm, errText, field string, nw *heartbeatNew) {
	p.Title, p.Nav = p.T("heartbeats.title"), "heartbeats"
	ctx := r.Context()
	ms, err := h.heartbeats.List(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	d := heartbeatData{CanWrite: p.User.CanWrite(), Form: form, Err: errText, Field: field, New: nw}
	for _, m := range ms {
		row := heartbeatRow{Monitor: m, StateLabel: p.T("heartbeats.state." + m.State), Interval: shortDuration(m.Interval), Grace: shortDuration(m.Grace)}
		if row.Pings, err = h.heartbeats.Pings(ctx, m.ID, heartbeatPingsShown); err != nil {
			h.serverError(w, r, p, err)
			return
		}
		d.Rows = append(d.Rows, row)
	}
	h.render(w, r, p, status, "heartbeats", d)
}

func (h *Handler) heartbeatCreate(w http.ResponseWriter, r *http.Request, p *page) {
	f := heartbeatForm{
		Name: strings.TrimSpace(r.PostFormValue("name")), System: strings.TrimSpace(r.PostFormValue("system")),
		Interval: strings.TrimSpace(r.PostFormValue("interval")), Grace: strings.TrimSpace(r.PostFormValue("grace")),
		Severity: r.PostFormValue("severity"),
	}
	in := heartbeat.Input{Name: f.Name, System: f.System, Severity: f.Severity}
	var err error
	if in.Interval, err = time.ParseDuration(f.Interval); err != nil {
		h.renderHeartbeats(w, r, p, http.StatusBadRequest, f, p.T("heartbeats.err_duration"), "interval", nil)
		return
	}
	if f.Grace != "" {
		if in.Grace, err = time.ParseDuration(f.Grace); err != nil {
			h.renderHeartbeats(w, r, p, http.StatusBadRequest, f, p.T("heartbeats.err_duration"), "grace", nil)
			return
		}
	}
	m, tok, err := h.heartbeats.Create(r.Context(), in, p.User.Name)
	var ve *heartbeat.ValidationError
	switch {
	case errors.As(err, &ve):
		h.renderHeartbeats(w, r, p, http.StatusBadRequest, f, ve.Field+": "+ve.Msg, ve.Field, nil)
		return
	case errors.Is(err, heartbeat.ErrExists):
		h.renderHeartbeats(w, r, p, http.StatusConflict, f, p.T("heartbeats.err_exists", f.Name), "name", nil)
		return
	case err != nil:
		h.serverError(w, r, p, err)
		return
	}
	h.log.Info("heartbeat: monitor created", "monitor", m.Name, "system", m.System, "by", p.User.Name)
	p.Notice = p.T("heartbeats.created", m.Name)
	h.renderHeartbeats(w, r, p, http.StatusCreated, heartbeatForm{Interval: "1h", Grace: "10m", Severity: "critical"}, "", "",
		heartbeatLines(m, h.baseURL(r)+"/api/v1/heartbeats/"+tok))
}

// heartbeatLines are the ready-to-paste ways to ping url.
func heartbeatLines(m heartbeat.Monitor, url string) *heartbeatNew {
	every := "0 * * * *"
	switch iv := m.Interval; {
	case iv < time.Hour && time.Hour%iv == 0:
		every = "*/" + strconv.Itoa(int(iv/time.Minute)) + " * * * *"
	case iv == 24*time.Hour:
		every = "0 3 * * *"
	}
	script := "/usr/local/bin/" + m.Name + ".sh"
	return &heartbeatNew{
		Name:    m.Name,
		URL:     url,
		Curl:    "curl -fsS -m 10 --retry 3 -o /dev/null " + url,
		Cron:    every + " " + script + " && curl -fsS -m 10 -o /dev/null " + url + " || curl -fsS -m 10 -o /dev/null " + url + "/fail",
		Systemd: "ExecStart=/bin/sh -c '" + script + "; curl -fsS -m 10 -o /dev/null " + url + "/$?'",
		Zabbix:  "curl -fsS -m 10 -o /dev/null " + url + "/{EVENT.VALUE}",
	}
}

func (h *Handler) heartbeatDelete(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("name")
	err := h.heartbeats.Delete(r.Context(), name)
	if errors.Is(err, heartbeat.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.log.Info("heartbeat: monitor deleted", "monitor", name, "by", p.User.Name)
	http.Redirect(w, r, "/heartbeats?done=deleted", http.StatusSeeOther)
}
