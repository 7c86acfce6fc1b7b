package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/config"
)

// AlertsService is what the console needs from alert intake and phone
// escalation.
type AlertsService interface {
	List(ctx context.Context, f alerts.Filter) ([]*alerts.Alert, error)
	Counts(ctx context.Context) (map[string]int, error)
	Get(ctx context.Context, id int64) (*alerts.Alert, error)
	Calls(ctx context.Context, alertID int64) ([]*alerts.Call, error)
	Pages(ctx context.Context, alertID int64) ([]*alerts.Page, error)
	Policy(ctx context.Context, name string) (*alerts.Policy, error)
	Timeline(ctx context.Context, alertID int64) ([]*alerts.Entry, error)
	Notifications(ctx context.Context, alertID int64) ([]*alerts.Notification, error)
	EscalationOf(ctx context.Context, alertID int64) (*alerts.Escalation, error)
	CallingNow(ctx context.Context) ([]*alerts.ActiveCall, error)
	Ack(ctx context.Context, id int64, by, via string) (*alerts.Alert, bool, error)
	Resolve(ctx context.Context, id int64, by, via string) (*alerts.Alert, bool, error)
	Systems(ctx context.Context) ([]*alerts.System, error)
	System(ctx context.Context, name string) (*alerts.System, error)
	SaveSystem(ctx context.Context, sys alerts.System, by, origin string, hasDest func(string) bool) error
	DeleteSystem(ctx context.Context, name string) error
	Quiets(ctx context.Context, f alerts.QuietFilter) ([]*alerts.Quiet, error)
	StartQuiet(ctx context.Context, system string, d time.Duration, by, note string) (*alerts.Quiet, error)
	EndQuiet(ctx context.Context, id int64, by string) error
	Phones() bool
}

// alertRoutes adds the alert pages: GET /alerts (by status), GET
// /alerts/{id} with its timeline and calls, POST /alerts/{id}/ack and
// /resolve, the call lists (GET /alerts/systems, GET /alerts/systems/new,
// GET /alerts/systems/{name}, POST /alerts/systems, POST
// /alerts/systems/{name}/delete) and quiet periods (GET /alerts/quiet,
// POST /alerts/quiet, POST /alerts/quiet/{id}/end).
func (h *Handler) alertRoutes(mux *http.ServeMux) {
	if h.alerts == nil {
		return
	}
	mux.Handle("GET /alerts", h.route(accessMember, h.alertsList))
	mux.Handle("GET /alerts/systems", h.route(accessMember, h.alertSystems))
	mux.Handle("GET /alerts/systems/new", h.route(accessAdmin, h.alertSystemForm))
	mux.Handle("GET /alerts/systems/{name}", h.route(accessMember, h.alertSystemForm))
	mux.Handle("POST /alerts/systems", h.route(accessAdmin, h.alertSystemSave))
	mux.Handle("POST /alerts/systems/{name}/delete", h.route(accessAdmin, h.alertSystemDelete))
	mux.Handle("GET /alerts/quiet", h.route(accessMember, h.alertQuiets))
	mux.Handle("POST /alerts/quiet", h.route(accessWriter, h.alertQuietStart))
	mux.Handle("POST /alerts/quiet/{id}/end", h.route(accessWriter, h.alertQuietEnd))
	mux.Handle("GET /alerts/{id}", h.route(accessMember, h.alertPage))
	mux.Handle("POST /alerts/{id}/ack", h.route(accessWriter, h.alertChange(alerts.StatusAcknowledged)))
	mux.Handle("POST /alerts/{id}/resolve", h.route(accessWriter, h.alertChange(alerts.StatusResolved)))
	h.alertNotesRoutes(mux)
	h.incidentRoutes(mux)
}

// alertPanels: the open alerts and who is being called now.
func (h *Handler) alertPanels() []panelFunc {
	if h.alerts == nil {
		return nil
	}
	return []panelFunc{h.alertsPanel}
}

// alertNotices are the one-line results a redirect may ask an alert page
// to show (?done=KEY).
var alertNotices = []string{"acked", "resolved", "already", "not_active", "saved", "deleted", "quiet_started", "quiet_ended", "noted", "assigned"}

func alertNotice(p *page, r *http.Request) {
	if k := r.URL.Query().Get("done"); slices.Contains(alertNotices, k) {
		p.Notice = p.T("alerts.done." + k)
	}
}

func alertURL(id int64) string { return "/alerts/" + strconv.FormatInt(id, 10) }

func systemURL(name string) string { return "/alerts/systems/" + url.PathEscape(name) }

// alertStatusClass is the badge style of a status.
func alertStatusClass(s string) string {
	switch s {
	case alerts.StatusOpen, alerts.StatusUnacknowledged:
		return "failed"
	case alerts.StatusAcknowledged:
		return "cs-work-in-progress"
	case alerts.StatusResolved:
		return "delivered"
	}
	return "ev-stored"
}

// alertSeverities are the normalized severities; an alert whose sender
// gave none has "" and is shown as unspecified.
var alertSeverities = []string{"critical", "error", "warning", "info"}

// alertSeverityClass maps a normalized severity onto the case archive's
// severity dots.
func alertSeverityClass(s string) string {
	switch s {
	case "critical":
		return "sev-critical"
	case "error":
		return "sev-urgent"
	case "warning":
		return "sev-high"
	case "info":
		return "sev-low"
	}
	return "sev-unspecified"
}

func alertSeverityLabel(p *page, s string) string {
	switch {
	case s == "":
		return p.T("alerts.severity.unspecified")
	case slices.Contains(alertSeverities, s):
		return p.T("alerts.severity." + s)
	}
	return s
}

// alertSources are the intake formats (parse.Source*), each with a label.
var alertSources = []string{"seed", "native", "alertmanager", "zabbix", "nagios", "cloudwatch"}

func alertSourceLabel(p *page, s string) string {
	if slices.Contains(alertSources, s) {
		return p.T("alerts.source." + s)
	}
	return s
}

// alertViaLabel says how an alert came in: the integration token's name,
// a signed SNS subscription, an event rule, the console.
func alertViaLabel(p *page, via string) string {
	switch {
	case via == "":
		return ""
	case via == "event":
		return p.T("alerts.via.event")
	case via == "console":
		return p.T("alerts.via.console")
	case strings.HasPrefix(via, "sns:"):
		return p.T("alerts.via.sns", strings.TrimPrefix(via, "sns:"))
	}
	return p.T("alerts.via.token", via)
}

type alertRow struct {
	*alerts.Alert
	URL           string
	StatusLabel   string
	StatusClass   string
	SeverityLabel string
	SeverityClass string
	// SourceLabel is the intake format; ViaLabel what it came with (the
	// integration token, an SNS topic, an event rule).
	SourceLabel string
	ViaLabel    string
	// Calling names who is being called now for it.
	Calling []string
}

func (h *Handler) alertRow(p *page, a *alerts.Alert, calling map[int64][]string) alertRow {
	return alertRow{Alert: a, URL: alertURL(a.ID), StatusLabel: p.T("alerts.status." + a.Status), StatusClass: alertStatusClass(a.Status),
		SeverityLabel: alertSeverityLabel(p, a.Severity), SeverityClass: alertSeverityClass(a.Severity),
		SourceLabel: alertSourceLabel(p, a.Source), ViaLabel: alertViaLabel(p, a.Via), Calling: calling[a.ID]}
}

// callingByAlert maps alerts to the people being called for them now.
func (h *Handler) callingByAlert(ctx context.Context) (map[int64][]string, []*alerts.ActiveCall, error) {
	calls, err := h.alerts.CallingNow(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := map[int64][]string{}
	for _, c := range calls {
		out[c.AlertID] = append(out[c.AlertID], c.Callee)
	}
	return out, calls, nil
}

type alertTab struct {
	Key     string
	Label   string
	Count   int
	URL     string
	Current bool
	// Urgent: alerts in this tab need someone (open, unacknowledged);
	// only those counts are red, and a zero is not shown at all.
	Urgent bool
}

type alertsListData struct {
	Tabs   []alertTab
	Status string
	System string
	// Query is the search box's text (alerts.ParseSearch); QueryError
	// says what is wrong with it (then it is not applied).
	Query      string
	QueryError string
	Systems    []option
	Rows       []alertRow
	Next       string
	Filtered   bool
	Phones     bool
	Example    string
}

// alertsExample is shown while no alert has arrived, with the console's
// own address.
func alertsExample(base string) string {
	return `curl -X POST ` + base + `/api/v1/alerts \
  -H "Authorization: Bearer $OPSDESK_TOKEN" \
  -d '{"alertinfo":[{"host":"server1","service":"CPU Utilization","lastcheck":"2023-10-03 13:20:52","systemname":"XYZ"}]}'`
}

// alertsList is GET /alerts: alerts by status (active by default), with a
// system filter and paging by ?before=.
func (h *Handler) alertsList(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("alerts.title"), "alerts"
	alertNotice(p, r)
	ctx := r.Context()
	q := r.URL.Query()
	d := alertsListData{Status: q.Get("status"), System: strings.TrimSpace(q.Get("system")), Query: strings.TrimSpace(q.Get("q")),
		Phones: h.alerts.Phones(), Example: alertsExample(h.baseURL(r))}
	search, err := alerts.ParseSearch(d.Query)
	if err != nil {
		d.QueryError = p.T("alerts.search_bad", strings.TrimPrefix(err.Error(), "q: "))
		search = alerts.Search{}
	}
	// keep carries the system and the search into the tabs and pages.
	keep := func(v url.Values) string {
		if d.System != "" {
			v.Set("system", d.System)
		}
		if d.Query != "" {
			v.Set("q", d.Query)
		}
		return "/alerts?" + v.Encode()
	}
	if d.Status != "all" && !slices.Contains(alerts.Statuses, d.Status) {
		d.Status = "active"
	}
	counts, err := h.alerts.Counts(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	total, active := 0, 0
	for st, n := range counts {
		total += n
		if st != alerts.StatusResolved {
			active += n
		}
	}
	tab := func(key string, n int) {
		urgent := n > 0 && (key == alerts.StatusOpen || key == alerts.StatusUnacknowledged)
		d.Tabs = append(d.Tabs, alertTab{Key: key, Label: p.T("alerts.tab." + key), Count: n, URL: keep(url.Values{"status": {key}}), Current: key == d.Status, Urgent: urgent})
	}
	tab("active", active)
	for _, st := range alerts.Statuses {
		tab(st, counts[st])
	}
	tab("all", total)
	systems, err := h.alerts.Systems(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	var names []string
	for _, s := range systems {
		names = append(names, s.Name)
	}
	d.Systems = options(p.T("cases.any"), d.System, names, nil)
	f := alerts.Filter{Status: d.Status, System: d.System, Search: search, Limit: 51}
	if d.Status == "all" {
		f.Status = ""
	}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		f.Before = b
	}
	list, err := h.alerts.List(ctx, f)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	calling, _, err := h.callingByAlert(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	if len(list) == 51 {
		list = list[:50]
		d.Next = keep(url.Values{"status": {d.Status}, "before": {strconv.FormatInt(list[49].ID, 10)}})
	}
	for _, a := range list {
		d.Rows = append(d.Rows, h.alertRow(p, a, calling))
	}
	d.Filtered = total > 0
	h.render(w, r, p, http.StatusOK, "alerts", d)
}

type callRow struct {
	*alerts.Call
	// Order is the callee's place on the list, from 1 as in the timeline
	// (Position counts from 0).
	Order        int
	Phone        string // masked
	StateLabel   string
	OutcomeLabel string
	OutcomeClass string
}

// entryRow is one line of an alert's timeline.
type entryRow struct {
	At        time.Time
	Kind      string
	KindLabel string
	Actor     string
	Detail    string
	// LinkURL and LinkLabel point at the fix a detail asks for (the call
	// list to create).
	LinkURL   string
	LinkLabel string
}

type labelPair struct{ Key, Value string }

type escalationView struct {
	StateLabel string
	Round      int
	Rounds     int
	Position   int
	Callee     string
	NextAt     time.Time
}

type alertPageData struct {
	alertRow
	Labels        []labelPair
	Calls         []callRow
	Pages         []pageRow
	Timeline      []entryRow
	Notifications []*alerts.Notification
	Escalation    *escalationView
	CanAck        bool
	CanResolve    bool
	Handling      *alertNotesData
}

func maskNumber(n string) string {
	if len(n) < 8 {
		return strings.Repeat("•", len(n))
	}
	return n[:4] + strings.Repeat("•", len(n)-7) + n[len(n)-3:]
}

func outcomeClass(o string) string {
	switch o {
	case alerts.OutcomeAcknowledged:
		return "delivered"
	case alerts.OutcomeQuiet, alerts.OutcomeStopped, alerts.OutcomeCancelled:
		return "ev-stored"
	case alerts.OutcomeFailed:
		return "failed"
	case "":
		return "pending"
	}
	return "cs-opened"
}

// alertPage is GET /alerts/{id}: the alert, who is being called, every
// call and the whole timeline.
func (h *Handler) alertPage(w http.ResponseWriter, r *http.Request, p *page) {
	h.renderAlertPage(w, r, p, http.StatusOK, "", "")
}

// renderAlertPage renders the alert page with status; errMsg and note
// come from a refused note or assignment (alert_notes.go).
func (h *Handler) renderAlertPage(w http.ResponseWriter, r *http.Request, p *page, status int, errMsg, note string) {
	p.Nav = "alerts"
	alertNotice(p, r)
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	a, err := h.alerts.Get(ctx, id)
	if errors.Is(err, alerts.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	p.Title = p.T("alerts.alert_title", a.ID)
	calling, _, err := h.callingByAlert(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	d := alertPageData{alertRow: h.alertRow(p, a, calling)}
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		d.Labels = append(d.Labels, labelPair{k, a.Labels[k]})
	}
	calls, err := h.alerts.Calls(ctx, id)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	for _, c := range calls {
		row := callRow{Call: c, Order: c.Position + 1, Phone: maskNumber(c.Phone), StateLabel: p.T("alerts.call_state." + c.State), OutcomeClass: outcomeClass(c.Outcome)}
		if c.Outcome != "" {
			row.OutcomeLabel = p.T("alerts.outcome." + c.Outcome)
		}
		d.Calls = append(d.Calls, row)
	}
	tl, err := h.alerts.Timeline(ctx, id)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	d.Timeline = h.timeline(p, a, tl)
	alertNotesTimeline(p, d.Timeline)
	h.maintenanceTimeline(ctx, p, d.Timeline)
	if d.Handling, err = h.alertNotes(r, p, id, errMsg, note); err != nil {
		h.serverError(w, r, p, err)
		return
	}
	if d.Notifications, err = h.alerts.Notifications(ctx, id); err != nil {
		h.serverError(w, r, p, err)
		return
	}
	if d.Pages, err = h.pageRows(ctx, p, id); err != nil {
		h.serverError(w, r, p, err)
		return
	}
	if esc, err := h.alerts.EscalationOf(ctx, id); err == nil {
		v := &escalationView{StateLabel: p.T("alerts.esc." + esc.State), Round: esc.Round, Position: esc.Position + 1, NextAt: esc.NextAt}
		if esc.State == "page" {
			h.policyEscalation(ctx, p, esc, v)
		} else if sys, err := h.alerts.System(ctx, esc.Policy); err == nil {
			v.Rounds = sys.Rounds
			if esc.Position < len(sys.Contacts) {
				v.Callee = sys.Contacts[esc.Position].Name
			}
		}
		d.Escalation = v
	} else if !errors.Is(err, alerts.ErrNotFound) {
		h.serverError(w, r, p, err)
		return
	}
	canWrite := p.User.CanWrite()
	d.CanAck = canWrite && (a.Status == alerts.StatusOpen || a.Status == alerts.StatusUnacknowledged || a.Status == alerts.StatusQuiet)
	d.CanResolve = canWrite && a.Status != alerts.StatusResolved
	h.render(w, r, p, status, "alert", d)
}

// timeline is an alert's history in time order: the stored entries and
// the repeats it absorbed (one line, at the last repeat). Entries of the
// same time keep the order they were written in.
func (h *Handler) timeline(p *page, a *alerts.Alert, tl []*alerts.Entry) []entryRow {
	rows := make([]entryRow, 0, len(tl)+1)
	for _, e := range tl {
		row := entryRow{At: e.At, Kind: e.Kind, KindLabel: p.T("alerts.kind." + e.Kind), Actor: e.Actor, Detail: e.Detail}
		if e.Kind == alerts.KindGaveUp {
			h.gaveUpReason(p, &row)
		}
		if e.Kind == alerts.KindIncident {
			incidentEntry(p, &row)
		}
		rows = append(rows, row)
	}
	if a.Repeats > 0 {
		rows = append(rows, entryRow{At: a.LastSeenAt, Kind: "repeat", KindLabel: p.T("alerts.kind.repeat"), Detail: p.TN("alerts.repeats_n", a.Repeats)})
	}
	slices.SortStableFunc(rows, func(x, y entryRow) int { return x.At.Compare(y.At) })
	return rows
}

// gaveUpReasons read the reasons the escalation engine gives up with
// (alerts.Service.giveUp, in English) so that the console says them in
// the page's language; a reason not listed here is shown as it is.
var gaveUpReasons = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^no call list for system "(.*)" \(`), "alerts.gave_up.no_list"},
	{regexp.MustCompile(`^the call list of "(.*)" is empty$`), "alerts.gave_up.empty"},
	{regexp.MustCompile(`^phone calls are not configured \(alerts\.connect\)$`), "alerts.gave_up.no_phones"},
	{regexp.MustCompile(`^nobody acknowledged in (\d+) rounds$`), "alerts.gave_up.rounds"},
}

// gaveUpReason localizes a "gave up" entry and links the fix: the call
// list to create or to fill.
func (h *Handler) gaveUpReason(p *page, row *entryRow) {
	canWrite := p.User != nil && p.User.CanWrite()
	for _, g := range gaveUpReasons {
		m := g.re.FindStringSubmatch(row.Detail)
		if m == nil {
			continue
		}
		switch g.key {
		case "alerts.gave_up.no_list":
			row.Detail = p.T(g.key, m[1])
			if canWrite {
				row.LinkURL, row.LinkLabel = "/alerts/systems/new?"+url.Values{"name": {m[1]}}.Encode(), p.T("alerts.gave_up.create_list", m[1])
			}
		case "alerts.gave_up.empty":
			row.Detail = p.T(g.key, m[1])
			if canWrite {
				row.LinkURL, row.LinkLabel = systemURL(m[1]), p.T("alerts.gave_up.fill_list", m[1])
			}
		case "alerts.gave_up.rounds":
			n, _ := strconv.Atoi(m[1])
			row.Detail = p.TN(g.key, n)
		default:
			row.Detail = p.T(g.key)
		}
		return
	}
}

// alertChange is POST /alerts/{id}/ack and /resolve.
func (h *Handler) alertChange(to string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *page) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
			return
		}
		var changed bool
		if to == alerts.StatusAcknowledged {
			_, changed, err = h.alerts.Ack(r.Context(), id, p.User.Name, "console")
		} else {
			_, changed, err = h.alerts.Resolve(r.Context(), id, p.User.Name, "console")
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
		h.log.Info("web: alert changed", "alert", id, "to", to, "user", p.User.Name, "changed", changed)
		http.Redirect(w, r, alertURL(id)+"?done="+done, http.StatusSeeOther)
	}
}

// ---- call lists ----

type systemRow struct {
	*alerts.System
	URL        string
	WaitText   string
	QuietText  string
	QuietUntil time.Time
	Origin     string
}

type alertSystemsData struct {
	Rows    []systemRow
	CanEdit bool
	Phones  bool
	Example string
}

const systemsExample = `alerts:
  connect:
    instance_id: INSTANCE_ID
    contact_flow_id: CONTACT_FLOW_ID
    source_phone: "+815012345678"
    region: ap-northeast-1
  systems:
    - name: XYZ
      contacts:
        - {name: Sato, phone: "+819012345678", language: ja-JP}
        - {name: Suzuki, phone: "+819023456789", hours: "Mon-Fri 08:00-22:00"}
      rounds: 3
      notify: [ops-chat]`

func durationText(p *page, d time.Duration) string {
	if d <= 0 {
		return p.T("alerts.no_wait")
	}
	if d < time.Minute {
		return p.T("alerts.seconds", strconv.Itoa(int(d/time.Second)))
	}
	return intervalText(p, d)
}

// alertSystems is GET /alerts/systems: every call list.
func (h *Handler) alertSystems(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("alerts.systems_title"), "alerts"
	alertNotice(p, r)
	ctx := r.Context()
	systems, err := h.alerts.Systems(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	quiets, err := h.alerts.Quiets(ctx, alerts.QuietFilter{Active: true})
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	until := map[string]time.Time{}
	for _, q := range quiets {
		if q.EndsAt.After(until[q.System]) {
			until[q.System] = q.EndsAt
		}
	}
	d := alertSystemsData{CanEdit: p.User.CanAdmin(), Phones: h.alerts.Phones(), Example: systemsExample}
	for _, s := range systems {
		d.Rows = append(d.Rows, systemRow{System: s, URL: systemURL(s.Name), WaitText: durationText(p, s.Wait), QuietText: durationText(p, s.Quiet),
			QuietUntil: until[s.Name], Origin: p.T("alerts.origin." + s.Origin)})
	}
	h.render(w, r, p, http.StatusOK, "alert_systems", d)
}

type contactForm struct {
	N        int
	Order    string
	Name     string
	Phone    string
	Language string
	Hours    string
}

type destChoice struct {
	Name    string
	Type    string
	Checked bool
}

type systemFormData struct {
	New       bool
	Name      string
	Rounds    string
	Wait      string
	Quiet     string
	Origin    string
	Notify    []destChoice
	Contacts  []contactForm
	Languages []string
	Errors    map[string]string
	Error     string
	ReadOnly  bool
}

// blankContacts is how many empty rows the editor offers for new people.
const blankContacts = 3

func (h *Handler) systemForm(sys *alerts.System, isNew, readOnly bool) systemFormData {
	d := systemFormData{New: isNew, Rounds: "3", Wait: "0s", Quiet: "12h", Languages: config.AlertLanguages, Errors: map[string]string{}, ReadOnly: readOnly}
	checked := map[string]bool{}
	if sys != nil {
		d.Name, d.Rounds, d.Origin = sys.Name, strconv.Itoa(sys.Rounds), sys.Origin
		d.Wait, d.Quiet = sys.Wait.String(), shortDuration(sys.Quiet)
		for i, c := range sys.Contacts {
			d.Contacts = append(d.Contacts, contactForm{N: i, Order: strconv.Itoa(i + 1), Name: c.Name, Phone: c.Phone, Language: c.Language, Hours: c.Hours})
		}
		for _, n := range sys.Notify {
			checked[n] = true
		}
	}
	for _, dest := range h.cfg.Destinations {
		d.Notify = append(d.Notify, destChoice{Name: dest.Name, Checked: checked[dest.Name]})
	}
	if !readOnly {
		n := len(d.Contacts)
		for i := 0; i < blankContacts && n+i < config.MaxAlertContacts; i++ {
			d.Contacts = append(d.Contacts, contactForm{N: n + i, Order: strconv.Itoa(n + i + 1)})
		}
	}
	return d
}

// shortDuration writes 12h0m0s as 12h and 90m0s as 1h30m.
func shortDuration(d time.Duration) string {
	return durText(d)
}

// alertSystemForm is GET /alerts/systems/new and /alerts/systems/{name}.
func (h *Handler) alertSystemForm(w http.ResponseWriter, r *http.Request, p *page) {
	p.Nav = "alerts"
	name := r.PathValue("name")
	if name == "" {
		p.Title = p.T("alerts.system_new")
		d := h.systemForm(nil, true, false)
		// ?name= comes from the link on an alert whose system has no
		// call list.
		d.Name = clipRunes(strings.TrimSpace(redisplay(r.URL.Query().Get("name"))), 100)
		h.render(w, r, p, http.StatusOK, "alert_system", d)
		return
	}
	sys, err := h.alerts.System(r.Context(), name)
	if errors.Is(err, alerts.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	p.Title = p.T("alerts.system_title", sys.Name)
	h.render(w, r, p, http.StatusOK, "alert_system", h.systemForm(sys, false, !p.User.CanAdmin()))
}

// alertSystemSave is POST /alerts/systems: create or replace a call list.
// Rows are ordered by their order field; rows without name and phone are
// dropped.
func (h *Handler) alertSystemSave(w http.ResponseWriter, r *http.Request, p *page) {
	p.Nav = "alerts"
	f := r.PostForm
	d := h.systemForm(nil, f.Get("new") == "1", false)
	d.Name, d.Rounds, d.Wait, d.Quiet = strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("rounds")), strings.TrimSpace(f.Get("wait")), strings.TrimSpace(f.Get("quiet"))
	notify := f["notify"]
	for i := range d.Notify {
		d.Notify[i].Checked = slices.Contains(notify, d.Notify[i].Name)
	}
	d.Contacts = d.Contacts[:0]
	for i := 0; i < config.MaxAlertContacts+blankContacts; i++ {
		k := "c" + strconv.Itoa(i) + "."
		if _, ok := f[k+"name"]; !ok {
			break
		}
		d.Contacts = append(d.Contacts, contactForm{N: i, Order: strings.TrimSpace(f.Get(k + "order")), Name: strings.TrimSpace(f.Get(k + "name")),
			Phone: strings.Join(strings.Fields(f.Get(k+"phone")), ""), Language: strings.TrimSpace(f.Get(k + "language")), Hours: strings.TrimSpace(f.Get(k + "hours"))})
	}
	if d.New {
		p.Title = p.T("alerts.system_new")
	} else {
		p.Title = p.T("alerts.system_title", d.Name)
	}
	fail := func(field, msg string) {
		if strings.HasPrefix(field, "notify") {
			field = "notify"
		}
		d.Errors[field] = msg
		d.Error = p.T("err.form")
		h.render(w, r, p, http.StatusUnprocessableEntity, "alert_system", d)
	}
	sys := alerts.System{Name: d.Name, Notify: notify}
	var err error
	if sys.Rounds, err = strconv.Atoi(cmp.Or(d.Rounds, "3")); err != nil {
		fail("rounds", p.T("alerts.err_number"))
		return
	}
	if sys.Wait, err = time.ParseDuration(cmp.Or(d.Wait, "0s")); err != nil {
		fail("wait_between_calls", p.T("alerts.err_duration"))
		return
	}
	if sys.Quiet, err = time.ParseDuration(cmp.Or(d.Quiet, "12h")); err != nil {
		fail("quiet_period", p.T("alerts.err_duration"))
		return
	}
	// Keep the rows people filled in, in the order they asked for; map
	// the service's contact index back to the form's row.
	type filled struct {
		order int
		row   int
	}
	var rows []filled
	for i, c := range d.Contacts {
		if c.Name == "" && c.Phone == "" && c.Hours == "" {
			continue
		}
		o, err := strconv.Atoi(c.Order)
		if err != nil {
			o = 1 << 20
		}
		rows = append(rows, filled{o, i})
	}
	slices.SortStableFunc(rows, func(a, b filled) int { return cmp.Compare(a.order, b.order) })
	for _, x := range rows {
		c := d.Contacts[x.row]
		sys.Contacts = append(sys.Contacts, alerts.Contact{Name: c.Name, Phone: c.Phone, Language: c.Language, Hours: c.Hours})
	}
	if d.New {
		if _, err := h.alerts.System(r.Context(), d.Name); err == nil {
			fail("name", p.T("alerts.system_exists", d.Name))
			return
		}
	} else if old, err := h.alerts.System(r.Context(), d.Name); err == nil {
		sys.Routes = old.Routes // edited on their own page (oncall_policies.go)
	}
	err = h.alerts.SaveSystem(r.Context(), sys, p.User.Name, alerts.OriginConsole, h.cfg.HasDestination)
	var ve *alerts.ValidationError
	if errors.As(err, &ve) {
		field := ve.Field
		// contacts[2].phone names the sorted list; the form names rows.
		if strings.HasPrefix(field, "contacts[") {
			if n, rest, ok := strings.Cut(strings.TrimPrefix(field, "contacts["), "]"); ok {
				if i, err := strconv.Atoi(n); err == nil && i < len(rows) {
					field = "c" + strconv.Itoa(rows[i].row) + rest
				}
			}
		}
		fail(field, ve.Msg)
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.log.Info("web: call list saved", "system", sys.Name, "contacts", len(sys.Contacts), "user", p.User.Name)
	http.Redirect(w, r, "/alerts/systems?done=saved", http.StatusSeeOther)
}

// alertSystemDelete is POST /alerts/systems/{name}/delete.
func (h *Handler) alertSystemDelete(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("name")
	err := h.alerts.DeleteSystem(r.Context(), name)
	if errors.Is(err, alerts.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.log.Info("web: call list deleted", "system", name, "user", p.User.Name)
	http.Redirect(w, r, "/alerts/systems?done=deleted", http.StatusSeeOther)
}

// ---- quiet periods ----

type quietRow struct {
	*alerts.Quiet
	Active   bool
	AlertURL string
}

type alertQuietData struct {
	Active    []quietRow
	Recent    []quietRow
	Systems   []string
	Durations []option
	CanEdit   bool
	Error     string
}

var quietDurations = []string{"1h", "4h", "12h", "24h", "72h"}

// alertQuiets is GET /alerts/quiet: quiet periods in force and past ones,
// with a form to start one.
func (h *Handler) alertQuiets(w http.ResponseWriter, r *http.Request, p *page) {
	h.renderQuiets(w, r, p, http.StatusOK, "")
}

func (h *Handler) renderQuiets(w http.ResponseWriter, r *http.Request, p *page, status int, errMsg string) {
	p.Title, p.Nav = p.T("alerts.quiet_title"), "alerts"
	alertNotice(p, r)
	ctx := r.Context()
	qs, err := h.alerts.Quiets(ctx, alerts.QuietFilter{Limit: 100})
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	now := h.now()
	d := alertQuietData{CanEdit: p.User.CanWrite(), Error: errMsg}
	for _, q := range qs {
		row := quietRow{Quiet: q, Active: q.ActiveAt(now)}
		if q.AlertID > 0 {
			row.AlertURL = alertURL(q.AlertID)
		}
		if row.Active {
			d.Active = append(d.Active, row)
		} else {
			d.Recent = append(d.Recent, row)
		}
	}
	systems, err := h.alerts.Systems(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	for _, s := range systems {
		d.Systems = append(d.Systems, s.Name)
	}
	for _, s := range quietDurations {
		dur, _ := time.ParseDuration(s)
		d.Durations = append(d.Durations, option{Value: s, Label: intervalText(p, dur), Selected: s == "12h"})
	}
	h.render(w, r, p, status, "alert_quiet", d)
}

// alertQuietStart is POST /alerts/quiet.
func (h *Handler) alertQuietStart(w http.ResponseWriter, r *http.Request, p *page) {
	system := strings.TrimSpace(r.PostFormValue("system"))
	dur, err := time.ParseDuration(r.PostFormValue("duration"))
	if err != nil || !slices.Contains(quietDurations, r.PostFormValue("duration")) {
		h.renderQuiets(w, r, p, http.StatusUnprocessableEntity, p.T("alerts.err_duration"))
		return
	}
	_, err = h.alerts.StartQuiet(r.Context(), system, dur, p.User.Name, strings.TrimSpace(r.PostFormValue("note")))
	var ve *alerts.ValidationError
	if errors.As(err, &ve) {
		h.renderQuiets(w, r, p, http.StatusUnprocessableEntity, fmt.Sprintf("%s: %s", ve.Field, ve.Msg))
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.log.Info("web: quiet period started", "system", system, "for", dur, "user", p.User.Name)
	http.Redirect(w, r, "/alerts/quiet?done=quiet_started", http.StatusSeeOther)
}

// alertQuietEnd is POST /alerts/quiet/{id}/end.
func (h *Handler) alertQuietEnd(w http.ResponseWriter, r *http.Request, p *page) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = h.alerts.EndQuiet(r.Context(), id, p.User.Name)
	}
	if err != nil && (errors.Is(err, alerts.ErrNotFound) || id == 0) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/alerts/quiet?done=quiet_ended", http.StatusSeeOther)
}

// ---- home panel ----

type alertsPanelData struct {
	Rows    []alertRow
	Calling []*alerts.ActiveCall
	Quiet   []*alerts.Quiet
}

// alertsPanel lists the alerts that are open or nobody acknowledged, who
// is being called now, and the systems that are quiet. A desk without
// call lists or alerts does not show it.
func (h *Handler) alertsPanel(r *http.Request, p *page) (*panel, error) {
	ctx := r.Context()
	counts, err := h.alerts.Counts(ctx)
	if err != nil {
		return nil, err
	}
	n := counts[alerts.StatusOpen] + counts[alerts.StatusUnacknowledged]
	if len(counts) == 0 {
		systems, err := h.alerts.Systems(ctx)
		if err != nil {
			return nil, err
		}
		if len(systems) == 0 {
			return nil, nil
		}
	}
	calling, active, err := h.callingByAlert(ctx)
	if err != nil {
		return nil, err
	}
	var d alertsPanelData
	d.Calling = active
	for _, st := range []string{alerts.StatusOpen, alerts.StatusUnacknowledged} {
		if counts[st] == 0 {
			continue
		}
		list, err := h.alerts.List(ctx, alerts.Filter{Status: st, Limit: 10})
		if err != nil {
			return nil, err
		}
		for _, a := range list {
			d.Rows = append(d.Rows, h.alertRow(p, a, calling))
		}
	}
	if d.Quiet, err = h.alerts.Quiets(ctx, alerts.QuietFilter{Active: true, Limit: 10}); err != nil {
		return nil, err
	}
	body, err := h.partial("panel-alerts", p, d)
	if err != nil {
		return nil, err
	}
	pn := &panel{Key: "alerts", Title: p.T("alerts.panel_title"), Attention: n, Body: body, MoreURL: "/alerts", MoreLabel: p.T("alerts.all")}
	if n > 0 {
		pn.AttentionText = p.TN("alerts.attention", n)
		pn.AttentionURL = "/alerts"
	}
	return pn, nil
}

// alertsCatalog holds the alert pages' texts (see i18n.go): en, ja, zh, ko.
var alertsCatalog = map[string][4]string{
	"alerts.title":             {"Alerts", "アラート", "告警", "알림"},
	"alerts.alert_title":       {"Alert #%d", "アラート #%d", "告警 #%d", "알림 #%d"},
	"alerts.panel_title":       {"Alerts and phone escalation", "アラートと電話エスカレーション", "告警与电话升级", "알림과 전화 에스컬레이션"},
	"alerts.all":               {"All alerts", "すべてのアラート", "全部告警", "모든 알림"},
	"alerts.attention":         {"%d alerts open or not acknowledged", "対応待ちのアラートが %d 件あります", "有 %d 条告警未处理或未确认", "처리되지 않았거나 확인되지 않은 알림 %d건"},
	"alerts.attention_one":     {"1 alert open or not acknowledged", "対応待ちのアラートが 1 件あります", "有 1 条告警未处理或未确认", "처리되지 않았거나 확인되지 않은 알림 1건"},
	"alerts.by_status":         {"Alerts by status", "状態別のアラート", "按状态查看告警", "상태별 알림"},
	"alerts.older":             {"Older", "以前のアラート", "更早", "이전 알림"},
	"alerts.none_here":         {"No alerts in this list.", "この一覧にアラートはありません。", "此列表中没有告警。", "이 목록에 알림이 없습니다."},
	"alerts.none_open":         {"No open alerts. Nobody is being called.", "未対応のアラートはありません。電話はかかっていません。", "没有未处理的告警，当前没有呼叫。", "처리할 알림이 없습니다. 걸고 있는 전화도 없습니다."},
	"alerts.empty":             {"No alert has arrived yet.", "まだアラートを受信していません。", "尚未收到任何告警。", "아직 받은 알림이 없습니다."},
	"alerts.empty_how":         {"Point a monitoring system at opsdesk with an integration token (opsdesk tokens create --name zabbix --scope ingest:alerts), for example:", "監視システムから連携トークン（opsdesk tokens create --name zabbix --scope ingest:alerts）を付けて opsdesk に送信してください。例：", "请让监控系统携带集成令牌（opsdesk tokens create --name zabbix --scope ingest:alerts）向 opsdesk 发送告警，例如：", "연동 토큰(opsdesk tokens create --name zabbix --scope ingest:alerts)을 붙여 모니터링 시스템에서 opsdesk로 보내세요. 예:"},
	"alerts.empty_docs":        {"Alertmanager, Zabbix, Nagios and CloudWatch have their own endpoints; see docs/alerts.md.", "Alertmanager、Zabbix、Nagios、CloudWatch には専用のエンドポイントがあります（docs/alerts.md 参照）。", "Alertmanager、Zabbix、Nagios 和 CloudWatch 各有专用端点，详见 docs/alerts.md。", "Alertmanager, Zabbix, Nagios, CloudWatch는 전용 엔드포인트가 있습니다. docs/alerts.md를 참고하세요."},
	"alerts.no_phones":         {"Phone calls are not configured (alerts.connect): alerts are stored, and escalations give up at once and notify their destinations.", "電話発信が設定されていません（alerts.connect）。アラートは保存されますが、エスカレーションはすぐに打ち切られ通知先に知らせます。", "未配置电话呼叫（alerts.connect）：告警会被保存，但升级会立即结束并通知目标。", "전화 발신이 설정되지 않았습니다(alerts.connect). 알림은 저장되지만 에스컬레이션은 즉시 중단되고 알림 대상에 통지합니다."},
	"alerts.system":            {"System", "システム", "系统", "시스템"},
	"alerts.calling":           {"Calling", "発信中：", "正在呼叫：", "발신 중:"},
	"alerts.calling_now":       {"Being called now", "現在電話中", "正在呼叫", "지금 전화 중"},
	"alerts.repeats_n":         {"repeated %d times", "%d 回再通知", "重复 %d 次", "%d회 반복"},
	"alerts.repeats_n_one":     {"repeated once", "1 回再通知", "重复 1 次", "1회 반복"},
	"alerts.round_n":           {"round %d", "%d 巡目", "第 %d 轮", "%d회차"},
	"alerts.round_of":          {"round %d of %d", "%d / %d 巡目", "第 %d 轮（共 %d 轮）", "%d / %d회차"},
	"alerts.quiet_now":         {"Quiet:", "静観中：", "静默中：", "조용히 하는 중:"},
	"alerts.until":             {"until", "終了予定", "截止", "종료"},
	"alerts.ack":               {"Acknowledge", "確認済みにする", "确认", "확인"},
	"alerts.resolve":           {"Resolve", "解決済みにする", "解决", "해결"},
	"alerts.host":              {"Host", "ホスト", "主机", "호스트"},
	"alerts.service":           {"Service", "サービス", "服务", "서비스"},
	"alerts.source":            {"Source", "送信元", "来源", "출처"},
	"alerts.dedup_key":         {"Dedup key", "重複判定キー", "去重键", "중복 판별 키"},
	"alerts.policy":            {"Call list", "呼び出しリスト", "呼叫名单", "호출 목록"},
	"alerts.started":           {"Started", "発生", "开始", "발생"},
	"alerts.received":          {"Received", "受信", "接收", "수신"},
	"alerts.last_seen":         {"Last repeated", "最終再通知", "最近一次重复", "마지막 반복"},
	"alerts.acked":             {"Acknowledged", "確認", "已确认", "확인"},
	"alerts.resolved":          {"Resolved", "解決", "已解决", "해결"},
	"alerts.details":           {"Details", "詳細", "详情", "상세"},
	"alerts.labels":            {"Labels", "ラベル", "标签", "레이블"},
	"alerts.escalation":        {"Escalation", "エスカレーション", "升级", "에스컬레이션"},
	"alerts.next_action":       {"next step", "次の処理", "下一步", "다음 단계"},
	"alerts.calls":             {"Calls", "発信履歴", "呼叫记录", "통화 기록"},
	"alerts.no_calls":          {"No call was placed for this alert.", "このアラートでは発信していません。", "此告警没有发起呼叫。", "이 알림으로 건 전화가 없습니다."},
	"alerts.round":             {"Round·#", "巡·順", "轮·序", "회차·순번"},
	"alerts.callee":            {"Callee", "発信先", "被叫人", "수신자"},
	"alerts.call_state":        {"State", "状態", "状态", "상태"},
	"alerts.outcome":           {"Outcome", "結果", "结果", "결과"},
	"alerts.key":               {"Key", "押下キー", "按键", "누른 키"},
	"alerts.call_started":      {"Placed", "発信", "拨出", "발신"},
	"alerts.call_answered":     {"Answered", "応答", "接听", "응답"},
	"alerts.call_ended":        {"Ended", "終了", "结束", "종료"},
	"alerts.disconnect_reason": {"Disconnect reason", "切断理由", "挂断原因", "종료 사유"},
	"alerts.contact_id":        {"Contact id", "コンタクト ID", "联系 ID", "컨택 ID"},
	"alerts.timeline":          {"Timeline", "経過", "时间线", "타임라인"},
	"alerts.notifications":     {"Notifications", "通知", "通知", "알림 전송"},
	"alerts.notify.pending":    {"sending", "送信待ち", "待发送", "전송 대기"},
	"alerts.notify.sent":       {"sent", "送信済み", "已发送", "전송됨"},
	"alerts.notify.failed":     {"failed", "失敗", "失败", "실패"},

	"alerts.tab.active":         {"Not resolved", "未解決", "未解决", "미해결"},
	"alerts.tab.open":           {"Open", "対応中", "处理中", "진행 중"},
	"alerts.tab.unacknowledged": {"Unacknowledged", "未確認", "未确认", "미확인"},
	"alerts.tab.acknowledged":   {"Acknowledged", "確認済み", "已确认", "확인됨"},
	"alerts.tab.quiet":          {"Quiet", "静観", "静默", "조용히"},
	"alerts.tab.resolved":       {"Resolved", "解決済み", "已解决", "해결됨"},
	"alerts.tab.all":            {"All", "すべて", "全部", "전체"},

	"alerts.status.open":           {"open", "対応中", "处理中", "진행 중"},
	"alerts.status.unacknowledged": {"unacknowledged", "未確認", "未确认", "미확인"},
	"alerts.status.acknowledged":   {"acknowledged", "確認済み", "已确认", "확인됨"},
	"alerts.status.quiet":          {"quiet", "静観", "静默", "조용히"},
	"alerts.status.resolved":       {"resolved", "解決済み", "已解决", "해결됨"},

	"alerts.severity.critical":    {"critical", "緊急", "严重", "심각"},
	"alerts.severity.error":       {"error", "重大", "错误", "오류"},
	"alerts.severity.warning":     {"warning", "警告", "警告", "경고"},
	"alerts.severity.info":        {"info", "情報", "信息", "정보"},
	"alerts.severity.unspecified": {"unspecified", "未指定", "未指定", "지정 안 됨"},

	"alerts.source.seed":         {"alertinfo (seed format)", "alertinfo（従来形式）", "alertinfo（原有格式）", "alertinfo(기존 형식)"},
	"alerts.source.native":       {"native API", "ネイティブ API", "原生 API", "네이티브 API"},
	"alerts.source.alertmanager": {"Alertmanager", "Alertmanager", "Alertmanager", "Alertmanager"},
	"alerts.source.zabbix":       {"Zabbix", "Zabbix", "Zabbix", "Zabbix"},
	"alerts.source.nagios":       {"Nagios", "Nagios", "Nagios", "Nagios"},
	"alerts.source.cloudwatch":   {"CloudWatch", "CloudWatch", "CloudWatch", "CloudWatch"},
	"alerts.received_with":       {"Received with", "受信経路", "接收途径", "수신 경로"},
	"alerts.via.token":           {"integration token %s", "連携トークン %s", "集成令牌 %s", "연동 토큰 %s"},
	"alerts.via.sns":             {"SNS subscription of %s", "SNS サブスクリプション（%s）", "SNS 订阅（%s）", "SNS 구독(%s)"},
	"alerts.via.event":           {"an AWS event rule (/events)", "AWS イベントのルール（/events）", "AWS 事件规则（/events）", "AWS 이벤트 규칙(/events)"},
	"alerts.via.console":         {"the console", "コンソール", "控制台", "콘솔"},

	"alerts.gave_up.no_list":     {"No call list for system %s: nobody was called.", "システム %s の呼び出しリストがないため、誰にも電話していません。", "系统 %s 没有呼叫名单：未呼叫任何人。", "시스템 %s의 호출 목록이 없어 아무에게도 전화하지 않았습니다."},
	"alerts.gave_up.create_list": {"Create the call list of %s", "%s の呼び出しリストを作成", "创建 %s 的呼叫名单", "%s 호출 목록 만들기"},
	"alerts.gave_up.empty":       {"The call list of %s has nobody on it: nobody was called.", "%s の呼び出しリストに担当者がいないため、誰にも電話していません。", "%s 的呼叫名单为空：未呼叫任何人。", "%s 호출 목록에 담당자가 없어 아무에게도 전화하지 않았습니다."},
	"alerts.gave_up.fill_list":   {"Add people to the call list of %s", "%s の呼び出しリストに担当者を追加", "为 %s 的呼叫名单添加负责人", "%s 호출 목록에 담당자 추가"},
	"alerts.gave_up.no_phones":   {"Phone calls are not configured (alerts.connect): nobody was called.", "電話発信が設定されていないため（alerts.connect）、誰にも電話していません。", "未配置电话呼叫（alerts.connect）：未呼叫任何人。", "전화 발신이 설정되어 있지 않아(alerts.connect) 아무에게도 전화하지 않았습니다."},
	"alerts.gave_up.rounds":      {"Nobody acknowledged in %d rounds.", "%d 巡しても誰も確認しませんでした。", "%d 轮呼叫后仍无人确认。", "%d회 반복했지만 아무도 확인하지 않았습니다."},
	"alerts.gave_up.rounds_one":  {"Nobody acknowledged in 1 round.", "1 巡しても誰も確認しませんでした。", "1 轮呼叫后仍无人确认。", "1회 걸었지만 아무도 확인하지 않았습니다."},

	"alerts.call_state.placing":   {"placing", "発信処理中", "正在拨出", "발신 처리 중"},
	"alerts.call_state.ringing":   {"ringing", "呼び出し中", "振铃中", "벨 울리는 중"},
	"alerts.call_state.connected": {"on the line", "通話中", "通话中", "통화 중"},
	"alerts.call_state.ended":     {"ended", "終了", "已结束", "종료"},
	"alerts.call_state.failed":    {"failed", "失敗", "失败", "실패"},
	"alerts.call_state.cancelled": {"cancelled", "取消", "已取消", "취소"},

	"alerts.outcome.acknowledged": {"acknowledged (1)", "確認（1）", "已确认（1）", "확인(1)"},
	"alerts.outcome.quiet":        {"quiet (2)", "静観（2）", "静默（2）", "조용히(2)"},
	"alerts.outcome.next":         {"next person (3)", "次の担当者へ（3）", "转下一位（3）", "다음 사람(3)"},
	"alerts.outcome.voicemail":    {"answered, no key", "応答・キー入力なし", "已接听，未按键", "응답, 키 입력 없음"},
	"alerts.outcome.no_answer":    {"no answer", "応答なし", "无人接听", "응답 없음"},
	"alerts.outcome.busy":         {"busy", "話し中", "占线", "통화 중"},
	"alerts.outcome.failed":       {"not delivered", "不達", "未接通", "연결 실패"},
	"alerts.outcome.stopped":      {"hung up by opsdesk", "opsdesk が切断", "由 opsdesk 挂断", "opsdesk가 종료"},
	"alerts.outcome.cancelled":    {"not placed", "未発信", "未拨出", "발신 안 함"},

	"alerts.kind.received":      {"Received", "受信", "接收", "수신"},
	"alerts.kind.suppressed":    {"Received while quiet", "静観中に受信", "静默期间接收", "조용히 하는 중 수신"},
	"alerts.kind.call":          {"Call placed", "発信", "已拨出", "발신"},
	"alerts.kind.call_ended":    {"Call ended", "通話終了", "通话结束", "통화 종료"},
	"alerts.kind.skipped":       {"Not called", "発信せず", "未呼叫", "발신 안 함"},
	"alerts.kind.ack":           {"Acknowledged", "確認", "已确认", "확인"},
	"alerts.kind.quiet":         {"Quiet", "静観", "静默", "조용히"},
	"alerts.kind.resolve":       {"Resolved", "解決", "已解决", "해결"},
	"alerts.kind.gave_up":       {"Escalation gave up", "エスカレーション打ち切り", "升级已放弃", "에스컬레이션 중단"},
	"alerts.kind.notified":      {"Notified", "通知済み", "已通知", "통지함"},
	"alerts.kind.notify_failed": {"Notification failed", "通知失敗", "通知失败", "통지 실패"},
	"alerts.kind.repeat":        {"Repeats absorbed", "再通知（集約）", "重复告警已合并", "반복 알림 병합"},

	"alerts.esc.call":  {"Next call to", "次の発信先", "下一位呼叫对象", "다음 발신 대상"},
	"alerts.esc.place": {"Placing a call to", "発信処理中", "正在拨打", "발신 처리 중"},
	"alerts.esc.poll":  {"Calling", "呼び出し中", "正在呼叫", "전화 중"},

	"alerts.done.acked":         {"Alert acknowledged: escalation stopped.", "アラートを確認済みにしました。エスカレーションを停止しました。", "告警已确认，升级已停止。", "알림을 확인했습니다. 에스컬레이션을 멈췄습니다."},
	"alerts.done.resolved":      {"Alert resolved.", "アラートを解決済みにしました。", "告警已解决。", "알림을 해결했습니다."},
	"alerts.done.already":       {"Nothing changed: the alert was already in that state.", "変更はありません。すでにその状態です。", "未更改：告警已处于该状态。", "변경 사항이 없습니다. 이미 그 상태입니다."},
	"alerts.done.not_active":    {"The alert is resolved and cannot be acknowledged.", "解決済みのアラートは確認できません。", "告警已解决，无法确认。", "해결된 알림은 확인할 수 없습니다."},
	"alerts.done.saved":         {"Call list saved.", "呼び出しリストを保存しました。", "呼叫名单已保存。", "호출 목록을 저장했습니다."},
	"alerts.done.deleted":       {"Call list deleted.", "呼び出しリストを削除しました。", "呼叫名单已删除。", "호출 목록을 삭제했습니다."},
	"alerts.done.quiet_started": {"Quiet period started.", "静観を開始しました。", "静默期已开始。", "조용히 하는 기간을 시작했습니다."},
	"alerts.done.quiet_ended":   {"Quiet period ended.", "静観を終了しました。", "静默期已结束。", "조용히 하는 기간을 끝냈습니다."},

	"alerts.systems_title":      {"Call lists", "呼び出しリスト", "呼叫名单", "호출 목록"},
	"alerts.systems_intro":      {"Each system's people are called in order, round after round, until someone presses 1 (acknowledge) or 2 (quiet).", "システムごとの担当者に順番に電話し、誰かが 1（確認）か 2（静観）を押すまで巡回します。", "按顺序逐轮呼叫各系统的负责人，直到有人按 1（确认）或 2（静默）。", "시스템별 담당자에게 순서대로 전화를 걸고, 누군가 1(확인) 또는 2(조용히)를 누를 때까지 반복합니다."},
	"alerts.system_new":         {"New call list", "新しい呼び出しリスト", "新建呼叫名单", "새 호출 목록"},
	"alerts.system_title":       {"Call list of %s", "%s の呼び出しリスト", "%s 的呼叫名单", "%s 호출 목록"},
	"alerts.system_exists":      {"A call list named %s exists already.", "%s という呼び出しリストはすでにあります。", "名为 %s 的呼叫名单已存在。", "%s 호출 목록이 이미 있습니다."},
	"alerts.system_alerts":      {"Alerts of this system", "このシステムのアラート", "此系统的告警", "이 시스템의 알림"},
	"alerts.no_contacts":        {"Nobody on the list: alerts of this system call no one.", "担当者がいません。このシステムのアラートでは誰にも電話しません。", "名单为空：此系统的告警不会呼叫任何人。", "담당자가 없습니다. 이 시스템의 알림은 아무에게도 전화하지 않습니다."},
	"alerts.no_systems":         {"No call list yet.", "呼び出しリストはまだありません。", "还没有呼叫名单。", "아직 호출 목록이 없습니다."},
	"alerts.no_systems_how":     {"Create one here, or put them in the config file:", "ここで作成するか、設定ファイルに記述してください：", "可在此创建，或写入配置文件：", "여기서 만들거나 설정 파일에 적으세요:"},
	"alerts.rounds_n":           {"%d rounds", "%d 巡", "%d 轮", "%d회"},
	"alerts.rounds_n_one":       {"1 round", "1 巡", "1 轮", "1회"},
	"alerts.rounds":             {"Rounds", "巡回数", "轮数", "반복 횟수"},
	"alerts.wait":               {"Wait between calls", "発信間隔", "呼叫间隔", "발신 간격"},
	"alerts.wait_hint":          {"A Go duration: 0s (call the next person at once), 30s, 2m.", "Go の時間表記：0s（すぐに次の担当者へ）、30s、2m。", "Go 时长格式：0s（立即呼叫下一位）、30s、2m。", "Go 기간 표기: 0s(바로 다음 사람), 30s, 2m."},
	"alerts.quiet_period":       {"Quiet period (key 2)", "静観期間（キー 2）", "静默时长（按键 2）", "조용히 하는 기간(키 2)"},
	"alerts.quiet_hint":         {"How long key 2 keeps the whole system from calling anyone (default 12h).", "キー 2 を押したとき、システム全体で発信を止める期間（既定 12h）。", "按键 2 后整个系统停止呼叫的时长（默认 12h）。", "키 2를 누르면 시스템 전체가 전화를 멈추는 기간(기본 12h)."},
	"alerts.notify_to":          {"Notify when nobody acknowledged", "誰も確認しなかったときの通知先", "无人确认时通知", "아무도 확인하지 않으면 통지"},
	"alerts.no_destinations":    {"No destination is configured (destinations in the config file).", "通知先が設定されていません（設定ファイルの destinations）。", "未配置通知目标（配置文件中的 destinations）。", "알림 대상이 설정되지 않았습니다(설정 파일의 destinations)."},
	"alerts.no_wait":            {"none", "なし", "无", "없음"},
	"alerts.seconds":            {"%s s", "%s 秒", "%s 秒", "%s초"},
	"alerts.origin.config":      {"from the config file", "設定ファイル由来", "来自配置文件", "설정 파일"},
	"alerts.origin.console":     {"edited in the console", "コンソールで編集", "在控制台编辑", "콘솔에서 편집"},
	"alerts.from_config":        {"This list comes from the config file. Saving it here makes the console's version the one that counts; later changes to the file are then not applied.", "このリストは設定ファイル由来です。ここで保存するとコンソールの内容が優先され、以後の設定ファイルの変更は反映されません。", "此名单来自配置文件。在此保存后以控制台版本为准，之后对配置文件的修改将不再生效。", "이 목록은 설정 파일에서 왔습니다. 여기서 저장하면 콘솔의 내용이 우선하며, 이후 설정 파일 변경은 적용되지 않습니다."},
	"alerts.system_name":        {"System name", "システム名", "系统名称", "시스템 이름"},
	"alerts.system_name_hint":   {"As the monitoring systems send it (systemname, the system label or tag).", "監視システムが送る名前（systemname、system ラベルやタグ）。", "与监控系统发送的名称一致（systemname、system 标签）。", "모니터링 시스템이 보내는 이름(systemname, system 레이블 또는 태그)."},
	"alerts.contacts":           {"People, in calling order", "担当者（発信順）", "负责人（按呼叫顺序）", "담당자(발신 순서)"},
	"alerts.contacts_hint":      {"Rows are called by their order number; leave a row empty to drop it.", "順番の数字の順に発信します。空の行は無視されます。", "按序号依次呼叫；留空的行会被忽略。", "순번 순서대로 전화합니다. 빈 행은 무시됩니다."},
	"alerts.order":              {"Order", "順番", "序号", "순번"},
	"alerts.contact_name":       {"Name", "名前", "姓名", "이름"},
	"alerts.phone":              {"Phone (E.164)", "電話番号（E.164）", "电话（E.164）", "전화번호(E.164)"},
	"alerts.language":           {"Language", "言語", "语言", "언어"},
	"alerts.language_default":   {"default (en-US)", "既定（en-US）", "默认（en-US）", "기본(en-US)"},
	"alerts.hours":              {"Hours", "受付時間", "可呼叫时间", "연락 가능 시간"},
	"alerts.hours_hint":         {"Empty: any time. Otherwise days and times in alerts.timezone, e.g. Mon-Fri 09:00-18:00; Sat 10:00-14:00. Outside them the person is skipped.", "空欄なら常時。alerts.timezone の曜日と時刻で指定（例：Mon-Fri 09:00-18:00; Sat 10:00-14:00）。時間外はスキップします。", "留空表示任何时间。否则按 alerts.timezone 填写星期和时间，例如 Mon-Fri 09:00-18:00; Sat 10:00-14:00。时间外将跳过此人。", "비우면 언제든지. 아니면 alerts.timezone 기준 요일과 시간(예: Mon-Fri 09:00-18:00; Sat 10:00-14:00). 시간 밖에는 건너뜁니다."},
	"alerts.save":               {"Save call list", "呼び出しリストを保存", "保存呼叫名单", "호출 목록 저장"},
	"alerts.system_delete":      {"Delete this call list", "この呼び出しリストを削除", "删除此呼叫名单", "이 호출 목록 삭제"},
	"alerts.system_delete_hint": {"Alerts of the system still escalating give up at their next step.", "エスカレーション中のアラートは次の処理で打ち切られます。", "正在升级的告警将在下一步放弃。", "에스컬레이션 중인 알림은 다음 단계에서 중단됩니다."},
	"alerts.err_number":         {"Please enter a whole number.", "整数を入力してください。", "请输入整数。", "정수를 입력하세요."},
	"alerts.err_duration":       {"Please enter a duration such as 30s, 5m or 12h.", "30s、5m、12h のような時間を入力してください。", "请输入时长，例如 30s、5m 或 12h。", "30s, 5m, 12h 같은 기간을 입력하세요."},

	"alerts.quiet_title":       {"Quiet periods", "静観", "静默期", "조용히 하는 기간"},
	"alerts.quiet_intro":       {"While a system is quiet nobody is called for it: its new alerts are stored as quiet. Key 2 on a call starts one.", "静観中のシステムでは誰にも電話しません。新しいアラートは静観として保存されます。通話中にキー 2 を押すと開始します。", "系统处于静默期时不会呼叫任何人，其新告警以静默状态保存。通话中按 2 即开始静默期。", "조용히 하는 동안에는 그 시스템으로 아무에게도 전화하지 않으며 새 알림은 '조용히'로 저장됩니다. 통화 중 키 2로 시작합니다."},
	"alerts.quiet_start_title": {"Start a quiet period", "静観を開始する", "开始静默期", "조용히 하는 기간 시작"},
	"alerts.quiet_needs_list": {
		"A quiet period silences a system's call list, and there is no call list yet. Create one first; then you can start and end quiet periods here.",
		"静観はシステムの呼び出しリストを止めるものですが、呼び出しリストがまだありません。先に作成すると、ここで静観を開始・終了できます。",
		"静默期用于暂停某个系统的呼叫名单，但目前还没有呼叫名单。请先创建一个，之后即可在此开始或结束静默期。",
		"조용히 하는 기간은 시스템의 호출 목록을 멈추는 것인데, 아직 호출 목록이 없습니다. 먼저 만들면 여기서 시작하고 끝낼 수 있습니다.",
	},
	"alerts.quiet_active":   {"In force now", "現在の静観", "当前生效", "지금 적용 중"},
	"alerts.quiet_none":     {"No system is quiet.", "静観中のシステムはありません。", "没有处于静默期的系统。", "조용히 하는 시스템이 없습니다."},
	"alerts.quiet_end":      {"End now", "今すぐ終了", "立即结束", "지금 끝내기"},
	"alerts.quiet_for":      {"For", "期間", "时长", "기간"},
	"alerts.quiet_note":     {"Note", "メモ", "备注", "메모"},
	"alerts.quiet_start":    {"Start quiet period", "静観を開始", "开始静默", "조용히 시작"},
	"alerts.quiet_recent":   {"Earlier", "過去の静観", "历史记录", "지난 기간"},
	"alerts.quiet_ended_by": {"ended early by", "早期終了：", "提前结束：", "조기 종료:"},
}
