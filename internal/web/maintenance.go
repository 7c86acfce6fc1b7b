package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/config"
)

// MaintenanceService is what the maintenance windows' page needs beyond
// AlertsService; *alerts.Service has both. The page is left out when the
// alerts service does not offer it.
type MaintenanceService interface {
	Windows(ctx context.Context, all bool) ([]*alerts.Window, error)
	Window(ctx context.Context, id int64) (*alerts.Window, error)
	CreateWindow(ctx context.Context, w alerts.Window, by string) (*alerts.Window, error)
	EndWindow(ctx context.Context, id int64, by string) error
}

// maintenance returns the maintenance service, or nil.
func (h *Handler) maintenance() MaintenanceService {
	if h.alerts == nil {
		return nil
	}
	ms, _ := h.alerts.(MaintenanceService)
	return ms
}

// maintenanceRoutes adds the maintenance windows' page: GET /maintenance
// (members), POST /maintenance to create a window and POST
// /maintenance/{id}/end to end one now (writers and admins).
func (h *Handler) maintenanceRoutes(mux *http.ServeMux) {
	if h.maintenance() == nil {
		return
	}
	mux.Handle("GET /maintenance", h.route(accessMember, h.maintenanceList))
	mux.Handle("POST /maintenance", h.route(accessWriter, h.maintenanceCreate))
	mux.Handle("POST /maintenance/{id}/end", h.route(accessWriter, h.maintenanceEnd))
}

// maintenanceForm is the create form as typed, so that a refused form
// comes back filled in.
type maintenanceForm struct {
	Reason     string
	System     string
	Severities []string
	Matchers   string
	StartMode  string // "now" or "at"
	StartAt    string // datetime-local, in TimeZone
	Duration   string
	EndAt      string // datetime-local, in TimeZone
	Weekly     bool
	TimeZone   string
	Escalate   bool
}

// maintenanceRow is one window as the list shows it: times already
// written in the window's own zone.
type maintenanceRow struct {
	*alerts.Window
	State      string
	StateLabel string
	Scope      string
	When       string
	EndLabel   string
	CanEnd     bool
}

// maintenanceSection is one list of the page: active (shown even when
// empty), upcoming, past.
type maintenanceSection struct {
	Key  string
	Rows []maintenanceRow
}

type maintenanceData struct {
	Active, Upcoming, Past []maintenanceRow
	Sections               []maintenanceSection
	Any                    bool
	CanWrite               bool
	Form                   maintenanceForm
	Systems                []option
	Severities             []option
	Err                    string
	Field                  string
	Example                string
}

// maintenanceTimeLayout is how window times are written: in the window's
// zone, with its abbreviation.
const maintenanceTimeLayout = "2006-01-02 15:04 MST"

// formTimeLayout is the value of an <input type="datetime-local">.
const formTimeLayout = "2006-01-02T15:04"

func (h *Handler) newMaintenanceForm(p *page) maintenanceForm {
	zone := p.zone().String()
	if zone == "Local" { // the server's zone has no IANA name to offer
		zone = "UTC"
	}
	return maintenanceForm{StartMode: "now", Duration: "2h", TimeZone: zone}
}

func (h *Handler) maintenanceList(w http.ResponseWriter, r *http.Request, p *page) {
	switch r.URL.Query().Get("done") {
	case "created":
		p.Notice = p.T("maintenance.created", r.URL.Query().Get("id"))
	case "ended":
		p.Notice = p.T("maintenance.ended", r.URL.Query().Get("id"))
	}
	h.renderMaintenance(w, r, p, http.StatusOK, h.newMaintenanceForm(p), "", "")
}

func (h *Handler) renderMaintenance(w http.ResponseWriter, r *http.Request, p *page, status int, form maintenanceForm, errText, field string) {
	p.Title, p.Nav = p.T("maintenance.title"), "alerts"
	ctx := r.Context()
	ws, err := h.maintenance().Windows(ctx, true)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	now := h.now()
	d := maintenanceData{CanWrite: p.User.CanWrite(), Form: form, Err: errText, Field: field,
		Example: "maintenance billing 2h deploy v42"}
	for _, win := range ws {
		row := h.maintenanceRow(p, win, now)
		row.CanEnd = d.CanWrite && row.State != alerts.WindowPast
		switch row.State {
		case alerts.WindowActive:
			d.Active = append(d.Active, row)
		case alerts.WindowUpcoming:
			d.Upcoming = append(d.Upcoming, row)
		default:
			d.Past = append(d.Past, row)
		}
	}
	// Upcoming soonest first; the others as listed (latest first).
	slices.SortStableFunc(d.Upcoming, func(a, b maintenanceRow) int { return a.Start.Compare(b.Start) })
	d.Any = len(ws) > 0
	d.Sections = []maintenanceSection{{"active", d.Active}}
	if len(d.Upcoming) > 0 {
		d.Sections = append(d.Sections, maintenanceSection{"upcoming", d.Upcoming})
	}
	if len(d.Past) > 0 {
		d.Sections = append(d.Sections, maintenanceSection{"past", d.Past})
	}
	if d.CanWrite {
		systems, err := h.alerts.Systems(ctx)
		if err != nil {
			h.serverError(w, r, p, err)
			return
		}
		names := make([]string, 0, len(systems))
		for _, s := range systems {
			names = append(names, s.Name)
		}
		d.Systems = options(p.T("maintenance.every_system"), form.System, names, nil)
		for _, sv := range config.Severities {
			d.Severities = append(d.Severities, option{Value: sv, Label: sv, Selected: slices.Contains(form.Severities, sv)})
		}
	}
	h.render(w, r, p, status, "maintenance", d)
}

// maintenanceRow describes a window: its scope, when it is in force and
// its state at now.
func (h *Handler) maintenanceRow(p *page, win *alerts.Window, now time.Time) maintenanceRow {
	state, start, end := win.State(now)
	row := maintenanceRow{Window: win, State: state, StateLabel: p.T("maintenance.state." + state), Scope: maintenanceScope(p, win)}
	loc := win.Location()
	if win.Weekly {
		s := win.Start.In(loc)
		row.When = p.T("maintenance.weekly_when", p.T("maintenance.weekday."+strconv.Itoa(int(s.Weekday()))),
			s.Format("15:04"), win.Start.Add(win.End.Sub(win.Start)).In(loc).Format("15:04"), durText(win.End.Sub(win.Start)), loc.String())
		if state != alerts.WindowPast {
			row.When += " · " + p.T("maintenance.next", start.In(loc).Format(maintenanceTimeLayout))
		}
	} else {
		row.When = start.In(loc).Format(maintenanceTimeLayout) + " → " + end.In(loc).Format(maintenanceTimeLayout)
	}
	if !win.EndedAt.IsZero() {
		row.EndLabel = p.T("maintenance.ended_at", win.EndedAt.In(loc).Format(maintenanceTimeLayout))
	}
	return row
}

// maintenanceScope says what a window covers, in the page's language:
// "billing · critical, warning · env=prod".
func maintenanceScope(p *page, win *alerts.Window) string {
	parts := []string{p.T("maintenance.every_system")}
	if win.System != "" {
		parts[0] = win.System
	}
	if len(win.Severities) > 0 {
		parts = append(parts, strings.Join(win.Severities, ", "))
	}
	if len(win.Matchers) > 0 {
		parts = append(parts, strings.Join(win.Matchers, ", "))
	}
	return strings.Join(parts, " · ")
}

// maintenanceCreate is POST /maintenance. Every refusal names the form
// field at fault and shows the form again as typed.
func (h *Handler) maintenanceCreate(w http.ResponseWriter, r *http.Request, p *page) {
	if err := r.ParseForm(); err != nil {
		h.renderMaintenance(w, r, p, http.StatusBadRequest, h.newMaintenanceForm(p), err.Error(), "")
		return
	}
	f := maintenanceForm{
		Reason: strings.TrimSpace(r.PostFormValue("reason")), System: strings.TrimSpace(r.PostFormValue("system")),
		Severities: r.PostForm["severities"], Matchers: r.PostFormValue("matchers"),
		StartMode: r.PostFormValue("start_mode"), StartAt: strings.TrimSpace(r.PostFormValue("start_at")),
		Duration: strings.TrimSpace(r.PostFormValue("duration")), EndAt: strings.TrimSpace(r.PostFormValue("end_at")),
		Weekly: r.PostFormValue("weekly") == "1", TimeZone: strings.TrimSpace(r.PostFormValue("time_zone")),
		Escalate: r.PostFormValue("escalate") == "1",
	}
	win, field, msg := h.parseMaintenanceForm(r.Context(), p, f)
	if field != "" {
		h.renderMaintenance(w, r, p, http.StatusUnprocessableEntity, f, p.T("maintenance.field."+field)+": "+msg, field)
		return
	}
	created, err := h.maintenance().CreateWindow(r.Context(), win, p.User.Name)
	var ve *alerts.ValidationError
	if errors.As(err, &ve) {
		field := maintenanceField(ve.Field)
		msg := ve.Msg
		if i, ok := fieldIndex(ve.Field); ok && field == "matchers" {
			msg = p.T("maintenance.line", i+1) + ": " + msg
		}
		h.renderMaintenance(w, r, p, http.StatusUnprocessableEntity, f, p.T("maintenance.field."+field)+": "+msg, field)
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.log.Info("web: maintenance window created", "id", created.ID, "system", created.System, "user", p.User.Name)
	http.Redirect(w, r, fmt.Sprintf("/maintenance?done=created&id=%d#window-%d", created.ID, created.ID), http.StatusSeeOther)
}

// parseMaintenanceForm turns the form into a window; a problem comes back
// as the form field and what is wrong (field "" when there is none).
// What the alerts service checks itself (matchers, severities, lengths)
// is left to it.
func (h *Handler) parseMaintenanceForm(ctx context.Context, p *page, f maintenanceForm) (alerts.Window, string, string) {
	win := alerts.Window{Name: f.Reason, System: f.System, Severities: f.Severities, Weekly: f.Weekly, EscalateAtEnd: f.Escalate, TimeZone: f.TimeZone}
	if f.Reason == "" {
		return win, "reason", p.T("maintenance.err_required")
	}
	if f.System != "" {
		if _, err := h.alerts.System(ctx, f.System); err != nil {
			return win, "system", p.T("maintenance.err_system", f.System)
		}
	}
	for _, l := range strings.Split(strings.ReplaceAll(f.Matchers, "\r", ""), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			win.Matchers = append(win.Matchers, l)
		}
	}
	if win.TimeZone == "" {
		win.TimeZone = "UTC"
	}
	loc, err := time.LoadLocation(win.TimeZone)
	if err != nil || win.TimeZone == "Local" {
		return win, "time_zone", p.T("maintenance.err_zone", win.TimeZone)
	}
	now := h.now()
	switch f.StartMode {
	case "", "now":
		win.Start = now
	case "at":
		if win.Start, err = time.ParseInLocation(formTimeLayout, f.StartAt, loc); err != nil {
			return win, "start_at", p.T("maintenance.err_time", f.StartAt)
		}
	default:
		return win, "start_mode", p.T("maintenance.err_required")
	}
	switch {
	case f.Duration != "" && f.EndAt != "":
		return win, "duration", p.T("maintenance.err_both")
	case f.Duration != "":
		d, err := time.ParseDuration(f.Duration)
		if err != nil || d <= 0 {
			return win, "duration", p.T("maintenance.err_duration", f.Duration)
		}
		win.End = win.Start.Add(d)
	case f.EndAt != "":
		if win.End, err = time.ParseInLocation(formTimeLayout, f.EndAt, loc); err != nil {
			return win, "end_at", p.T("maintenance.err_time", f.EndAt)
		}
	default:
		return win, "duration", p.T("maintenance.err_duration_or_end")
	}
	return win, "", ""
}

// maintenanceField maps a field the alerts service names to the form's.
func maintenanceField(f string) string {
	name, _, _ := strings.Cut(f, "[")
	switch name {
	case "name":
		return "reason"
	case "end":
		return "duration"
	case "start":
		return "start_at"
	case "system", "severities", "matchers", "time_zone":
		return name
	}
	return "reason"
}

// fieldIndex reads i from "matchers[i]".
func fieldIndex(f string) (int, bool) {
	_, rest, ok := strings.Cut(f, "[")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	return i, err == nil
}

// maintenanceEnd is POST /maintenance/{id}/end.
func (h *Handler) maintenanceEnd(w http.ResponseWriter, r *http.Request, p *page) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	err = h.maintenance().EndWindow(r.Context(), id, p.User.Name)
	if errors.Is(err, alerts.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.log.Info("web: maintenance window ended", "id", id, "user", p.User.Name)
	http.Redirect(w, r, fmt.Sprintf("/maintenance?done=ended&id=%d", id), http.StatusSeeOther)
}

// maintenanceTimeline rewrites the timeline entries of an alert that a
// maintenance window held back: "held by maintenance window N until …",
// linked to the window, in the page's language.
func (h *Handler) maintenanceTimeline(ctx context.Context, p *page, rows []entryRow) {
	ms := h.maintenance()
	if ms == nil {
		return
	}
	seen := map[int64]*alerts.Window{}
	for i := range rows {
		row := &rows[i]
		if row.Kind != alerts.KindMaintenance {
			continue
		}
		id, ok := alerts.ParseWindowActor(row.Actor)
		if !ok {
			continue
		}
		win, cached := seen[id]
		if !cached {
			var err error
			if win, err = ms.Window(ctx, id); err != nil && !errors.Is(err, alerts.ErrNotFound) {
				h.log.Warn("web: reading a maintenance window for the timeline", "window", id, "error", err)
			}
			seen[id] = win
		}
		row.Actor = ""
		row.LinkURL = fmt.Sprintf("/maintenance#window-%d", id)
		if win == nil {
			row.LinkLabel = p.T("maintenance.held_by_gone", id)
			continue
		}
		_, _, end := win.State(row.At)
		if state, _, _ := win.State(row.At); state != alerts.WindowActive {
			end = win.End
		}
		row.LinkLabel = p.T("maintenance.held_by", id, clockText(end, p.zone()))
		escalates := strings.Contains(row.Detail, "escalates then")
		row.Detail = p.T("maintenance.held_detail", win.Name)
		if escalates {
			row.Detail += " " + p.T("maintenance.held_escalates")
		}
	}
}
