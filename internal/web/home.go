package web

import (
	"html/template"
	"net/http"
	"sort"
	"strings"

	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/delivery"
	"github.com/opsdesk/opsdesk/internal/intake"
)

// A panel is one box on the home page. Each capability contributes its
// own: question intake adds "failed deliveries" and "recent questions";
// later capabilities (cases, alerts, escalations) add theirs by writing a
// panelFunc, a "panel-…" template in templates/panels.html, and appending
// the func to Handler.panels in New. Panels that need attention go first
// and are summed up at the top of the page.
type panel struct {
	Key   string // CSS id
	Title string
	// Attention counts items that need a person now (0: all is well);
	// AttentionText says so in one line for the summary at the top.
	Attention     int
	AttentionText string
	AttentionURL  string
	Body          template.HTML
	MoreURL       string
	MoreLabel     string
}

type panelFunc func(r *http.Request, p *page) (*panel, error)

type homeData struct {
	Panels    []*panel
	Attention []*panel
	// Warnings are set-up problems: nothing is broken, but something does
	// not do what people expect (questions sent nowhere). Home is only all
	// clear without attention items and without warnings.
	Warnings []warning
}

// warning is a set-up problem with its fix: what to put in the config
// file, and where to read more.
type warning struct {
	Key       string // CSS id
	Text      string
	Fix       string // config lines to add
	LinkURL   string
	LinkLabel string
}

// destinationsShortExample is the smallest fix for questions that go
// nowhere; /destinations shows a longer example.
const destinationsShortExample = `destinations:
  - name: instructors
    type: teams
    url_env: TEAMS_WEBHOOK_URL
routes:
  questions: [instructors]`

// setupWarnings are the set-up problems Home shows.
func (h *Handler) setupWarnings(p *page) []warning {
	var out []warning
	if !h.questionsRouted() {
		w := warning{Key: "warn-no-routes", LinkURL: "/destinations", LinkLabel: p.T("home.warn.destinations_link")}
		if len(h.cfg.Destinations) == 0 {
			w.Text = p.T("home.warn.no_destinations")
			w.Fix = destinationsShortExample
		} else {
			w.Text = p.T("home.warn.no_routes")
			var names []string
			for _, d := range h.cfg.Destinations {
				names = append(names, d.Name)
			}
			w.Fix = "routes:\n  questions: [" + strings.Join(names, ", ") + "]"
		}
		out = append(out, w)
	}
	return out
}

// home is GET /: what needs attention.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("home.title"), "home"
	var d homeData
	for _, f := range h.panels {
		pn, err := f(r, p)
		if err != nil {
			h.serverError(w, r, p, err)
			return
		}
		if pn == nil {
			continue
		}
		d.Panels = append(d.Panels, pn)
		if pn.Attention > 0 {
			d.Attention = append(d.Attention, pn)
		}
	}
	sort.SliceStable(d.Panels, func(i, j int) bool { return d.Panels[i].Attention > 0 && d.Panels[j].Attention == 0 })
	d.Warnings = h.setupWarnings(p)
	h.render(w, r, p, http.StatusOK, "home", d)
}

type failedPanelData struct {
	Count int
	Rows  []deliveryRow
	Next  string
}

// failedDeliveriesPanel lists the latest failed deliveries with retry
// buttons.
func (h *Handler) failedDeliveriesPanel(r *http.Request, p *page) (*panel, error) {
	ctx := r.Context()
	n, err := delivery.CountFailed(ctx, h.st)
	if err != nil {
		return nil, err
	}
	d := failedPanelData{Count: n, Next: "/"}
	if n > 0 {
		ds, err := delivery.List(ctx, h.st, delivery.Filter{Status: delivery.StatusFailed, Limit: 10})
		if err != nil {
			return nil, err
		}
		for _, x := range ds {
			d.Rows = append(d.Rows, h.deliveryRow(p, x))
		}
	}
	body, err := h.partial("panel-failed", p, d)
	if err != nil {
		return nil, err
	}
	pn := &panel{Key: "failed-deliveries", Title: p.T("home.failed.title"), Attention: n, Body: body}
	if n > 0 {
		pn.AttentionText = p.T("home.failed.count", n)
		pn.AttentionURL = "/questions?status=failed"
		pn.MoreURL, pn.MoreLabel = "/questions?status=failed", p.T("home.failed.all")
	}
	return pn, nil
}

type questionsPanelData struct {
	Rows   []questionRow
	AskURL string
}

// recentQuestionsPanel shows the newest questions, or how to get some.
func (h *Handler) recentQuestionsPanel(r *http.Request, p *page) (*panel, error) {
	qs, err := h.intake.List(r.Context(), intake.ListFilter{Limit: 10})
	if err != nil {
		return nil, err
	}
	rows, err := h.questionRows(r.Context(), p, qs)
	if err != nil {
		return nil, err
	}
	body, err := h.partial("panel-questions", p, questionsPanelData{Rows: rows, AskURL: h.askURL(r)})
	if err != nil {
		return nil, err
	}
	pn := &panel{Key: "recent-questions", Title: p.T("home.questions.title"), Body: body}
	if len(rows) > 0 {
		pn.MoreURL, pn.MoreLabel = "/questions", p.T("home.questions.all")
	}
	return pn, nil
}

type casesPanelData struct {
	Rows []caseRow
}

// awaitingCasesPanel lists the cases that wait for the customer's action
// (status pending-customer-action), the most recently active first. A
// desk that archives no cases (no account configured, nothing imported)
// does not show it.
func (h *Handler) awaitingCasesPanel(r *http.Request, p *page) (*panel, error) {
	ctx := r.Context()
	cs, n, err := h.cases.AwaitingCustomer(ctx, 10)
	if err != nil {
		return nil, err
	}
	if n == 0 && len(h.cfg.AWS.Accounts) == 0 {
		f, err := h.cases.Facets(ctx)
		if err != nil {
			return nil, err
		}
		if f.Cases == 0 {
			return nil, nil
		}
	}
	var d casesPanelData
	for _, c := range cs {
		d.Rows = append(d.Rows, h.caseRow(p, c, nil))
	}
	body, err := h.partial("panel-cases", p, d)
	if err != nil {
		return nil, err
	}
	const all = "/cases?status=" + cases.StatusPendingCustomer
	pn := &panel{Key: "awaiting-cases", Title: p.T("home.cases.title"), Attention: n, Body: body}
	if n > 0 {
		pn.AttentionText = p.T("home.cases.count", n)
		pn.AttentionURL = all
		pn.MoreURL, pn.MoreLabel = all, p.T("home.cases.all")
	}
	return pn, nil
}
