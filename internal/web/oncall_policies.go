package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/config"
)

// PoliciesService is what the escalation-policy pages need beyond
// AlertsService; *alerts.Service has both. The pages are left out when
// the alerts service does not offer it.
type PoliciesService interface {
	Policies(ctx context.Context) ([]*alerts.Policy, error)
	Policy(ctx context.Context, name string) (*alerts.Policy, error)
	SavePolicy(ctx context.Context, p alerts.Policy, by, origin string, hasDest func(string) bool) error
	DeletePolicy(ctx context.Context, name string) error
	Preview(ctx context.Context, system, severity string, at time.Time, dir alerts.Directory) (*alerts.PreviewResult, error)
	PreviewPolicy(ctx context.Context, policy, severity string, at time.Time, dir alerts.Directory) (*alerts.PreviewResult, error)
}

// policies returns the policy service, or nil.
func (h *Handler) policies() PoliciesService {
	if h.alerts == nil {
		return nil
	}
	ps, _ := h.alerts.(PoliciesService)
	return ps
}

// policyRoutes adds the escalation-policy pages: GET /policies,
// GET /policies/new, GET /policies/{name} (with the preview,
// ?system=&severity=), POST /policies (save, add or remove a
// step), POST /policies/{name}/delete, and a system's routes: GET
// and POST /alerts/systems/{name}/routes.
func (h *Handler) policyRoutes(mux *http.ServeMux) {
	if h.policies() == nil {
		return
	}
	mux.Handle("GET /policies", h.route(accessMember, h.policyList))
	mux.Handle("GET /policies/new", h.route(accessAdmin, h.policyPage))
	mux.Handle("GET /policies/{name}", h.route(accessMember, h.policyPage))
	mux.Handle("POST /policies", h.route(accessAdmin, h.policySave))
	mux.Handle("POST /policies/{name}/delete", h.route(accessAdmin, h.policyDelete))
	mux.Handle("GET /alerts/systems/{name}/routes", h.route(accessMember, h.systemRoutes))
	mux.Handle("POST /alerts/systems/{name}/routes", h.route(accessAdmin, h.systemRoutesSave))
}

func policyURL(name string) string { return "/policies/" + url.PathEscape(name) }

func routesURL(system string) string { return systemURL(system) + "/routes" }

// policyNotice shows the one-line result a redirect asked for (?done=).
func policyNotice(p *page, r *http.Request) {
	if k := r.URL.Query().Get("done"); slices.Contains([]string{"saved", "deleted", "routes_saved"}, k) {
		p.Notice = p.T("policies.done." + k)
	}
}

// durText writes a duration as people type it: 5m, 1h30m, 0s.
func durText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// usedByMap maps each policy to the systems whose routes name it.
func usedByMap(systems []*alerts.System) map[string][]string {
	out := map[string][]string{}
	for _, s := range systems {
		for _, r := range s.Routes {
			if r.Policy != "" && !slices.Contains(out[r.Policy], s.Name) {
				out[r.Policy] = append(out[r.Policy], s.Name)
			}
		}
	}
	return out
}

// ---- the list ----

type policyRow struct {
	Name        string
	URL         string
	Description string
	Steps       []string
	Rounds      int
	UsedBy      []string
	Origin      string
}

type callListRow struct {
	Name      string
	URL       string
	RoutesURL string
	People    []string
	Rounds    int
	Wait      string
	Routes    int
}

type policyListData struct {
	Rows      []policyRow
	CallLists []callListRow
	CanEdit   bool
	Example   string
}

const policiesExample = `oncall:
  policies:
    - name: platform
      rounds: 3
      steps:
        - targets: ["chat:ops-chat", "schedule:platform"]
          after: 5m
        - targets: ["user:sato", "user:kim"]
          after: 10m
          reescalate: 30m
alerts:
  systems:
    - name: XYZ
      routes:
        - {severities: [critical], policy: platform}
        - {severities: [info], record_only: true}`

// stepSummary is one line of a step: "after 5m: user:sato, chat:ops".
func stepSummary(p *page, st alerts.PolicyStep) string {
	var ts []string
	for _, t := range st.Targets {
		ts = append(ts, t.String())
	}
	s := p.T("policies.step_summary", strings.Join(ts, ", "), durText(st.After))
	if st.Reescalate > 0 {
		s += " · " + p.T("policies.reescalate_after", durText(st.Reescalate))
	}
	return s
}

// policyList is GET /policies: step policies, then the systems'
// call lists.
func (h *Handler) policyList(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("policies.title"), "policies"
	policyNotice(p, r)
	ctx := r.Context()
	ps, err := h.policies().Policies(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	systems, err := h.alerts.Systems(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	used := usedByMap(systems)
	d := policyListData{CanEdit: p.User.CanAdmin(), Example: policiesExample}
	for _, pol := range ps {
		row := policyRow{Name: pol.Name, URL: policyURL(pol.Name), Description: pol.Description, Rounds: pol.Rounds, UsedBy: used[pol.Name],
			Origin: p.T("alerts.origin." + pol.Origin)}
		for _, st := range pol.Steps {
			row.Steps = append(row.Steps, stepSummary(p, st))
		}
		d.Rows = append(d.Rows, row)
	}
	for _, s := range systems {
		row := callListRow{Name: s.Name, URL: systemURL(s.Name), RoutesURL: routesURL(s.Name), Rounds: s.Rounds, Wait: durText(s.Wait), Routes: len(s.Routes)}
		for _, c := range s.Contacts {
			row.People = append(row.People, c.Name)
		}
		d.CallLists = append(d.CallLists, row)
	}
	h.render(w, r, p, http.StatusOK, "policies", d)
}

// ---- one policy ----

type stepForm struct {
	N          int
	Order      int
	Targets    string
	After      string
	Reescalate string
}

type policyFormData struct {
	New         bool
	Name        string
	Description string
	Rounds      string
	Origin      string
	Steps       []stepForm
	CanAddStep  bool
	UsedBy      []string
	Errors      map[string]string
	Error       string
	ReadOnly    bool
	// The preview: the system (or "" for the policy itself) and severity
	// chosen, and what it says.
	PreviewSystems    []option
	PreviewSeverities []option
	Preview           template.HTML
	PreviewError      string
}

func (d *policyFormData) renumber() {
	for i := range d.Steps {
		d.Steps[i].N, d.Steps[i].Order = i, i+1
	}
	d.CanAddStep = !d.ReadOnly && len(d.Steps) < config.MaxPolicySteps
}

func policyForm(pol *alerts.Policy, readOnly bool) policyFormData {
	d := policyFormData{New: pol == nil, Rounds: strconv.Itoa(config.DefaultPolicyRounds), Errors: map[string]string{}, ReadOnly: readOnly}
	if pol == nil {
		d.Steps = []stepForm{{After: durText(config.DefaultStepAfter)}}
	} else {
		d.Name, d.Description, d.Rounds, d.Origin = pol.Name, pol.Description, strconv.Itoa(pol.Rounds), pol.Origin
		for _, st := range pol.Steps {
			sf := stepForm{After: durText(st.After)}
			if st.Reescalate > 0 {
				sf.Reescalate = durText(st.Reescalate)
			}
			var ts []string
			for _, t := range st.Targets {
				ts = append(ts, t.String())
			}
			sf.Targets = strings.Join(ts, "\n")
			d.Steps = append(d.Steps, sf)
		}
	}
	d.renumber()
	return d
}

// policyPage is GET /policies/new and /policies/{name};
// ?system=&severity= asks for the preview.
func (h *Handler) policyPage(w http.ResponseWriter, r *http.Request, p *page) {
	p.Nav = "policies"
	policyNotice(p, r)
	name := r.PathValue("name")
	if name == "" {
		p.Title = p.T("policies.new")
		h.render(w, r, p, http.StatusOK, "policy", policyForm(nil, false))
		return
	}
	ctx := r.Context()
	pol, err := h.policies().Policy(ctx, name)
	if errors.Is(err, alerts.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	p.Title = p.T("policies.policy_title", pol.Name)
	d := policyForm(pol, !p.User.CanAdmin())
	if err := h.policyExtras(ctx, r, p, &d); err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.render(w, r, p, http.StatusOK, "policy", d)
}

// policyExtras fills what a saved policy's page shows beside the form:
// the systems routing to it and the preview.
func (h *Handler) policyExtras(ctx context.Context, r *http.Request, p *page, d *policyFormData) error {
	systems, err := h.alerts.Systems(ctx)
	if err != nil {
		return err
	}
	d.UsedBy = usedByMap(systems)[d.Name]
	var names []string
	for _, s := range systems {
		names = append(names, s.Name)
	}
	q := r.URL.Query()
	system, severity := q.Get("system"), q.Get("severity")
	if !slices.Contains(config.Severities, severity) {
		severity = "critical"
	}
	if system != "" && !slices.Contains(names, system) {
		system = ""
	}
	d.PreviewSystems = options(p.T("policies.preview_this"), system, names, nil)
	d.PreviewSeverities = severityOptions(p, severity)
	var res *alerts.PreviewResult
	if system == "" {
		res, err = h.policies().PreviewPolicy(ctx, d.Name, severity, h.now(), h.directory())
	} else {
		res, err = h.policies().Preview(ctx, system, severity, h.now(), h.directory())
	}
	if errors.Is(err, alerts.ErrNotFound) {
		d.PreviewError = p.T("policies.preview_none")
		return nil
	}
	if err != nil {
		return err
	}
	d.Preview, err = h.partial("policy_preview", p, previewFor(p, res))
	return err
}

func severityOptions(p *page, selected string) []option {
	var out []option
	for _, s := range config.Severities {
		v := s
		if s == "unspecified" {
			v = ""
		}
		out = append(out, option{Value: s, Label: alertSeverityLabel(p, v), Selected: s == selected})
	}
	return out
}

// stepsFromForm reads the step rows s0.…, s1.… of a posted policy form.
func stepsFromForm(f url.Values) []stepForm {
	var out []stepForm
	for i := 0; i < config.MaxPolicySteps+1; i++ {
		k := "s" + strconv.Itoa(i) + "."
		if _, ok := f[k+"targets"]; !ok {
			break
		}
		out = append(out, stepForm{Targets: strings.TrimSpace(f.Get(k + "targets")), After: strings.TrimSpace(f.Get(k + "after")),
			Reescalate: strings.TrimSpace(f.Get(k + "reescalate"))})
	}
	return out
}

// policySave is POST /policies: op=add adds a step, op=remove-N
// removes step N (both redisplay the form), anything else saves.
func (h *Handler) policySave(w http.ResponseWriter, r *http.Request, p *page) {
	p.Nav = "policies"
	f := r.PostForm
	d := policyForm(nil, false)
	d.New = f.Get("new") == "1"
	d.Name, d.Description, d.Rounds = strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("description")), strings.TrimSpace(f.Get("rounds"))
	d.Steps = stepsFromForm(f)
	if d.New {
		p.Title = p.T("policies.new")
	} else {
		p.Title = p.T("policies.policy_title", d.Name)
	}
	op := f.Get("op")
	switch {
	case op == "add":
		if len(d.Steps) < config.MaxPolicySteps {
			d.Steps = append(d.Steps, stepForm{After: durText(config.DefaultStepAfter)})
		}
		d.renumber()
		h.render(w, r, p, http.StatusOK, "policy", d)
		return
	case strings.HasPrefix(op, "remove-"):
		if n, err := strconv.Atoi(strings.TrimPrefix(op, "remove-")); err == nil && n >= 0 && n < len(d.Steps) {
			d.Steps = slices.Delete(d.Steps, n, n+1)
		}
		d.renumber()
		h.render(w, r, p, http.StatusOK, "policy", d)
		return
	}
	d.renumber()
	fail := func(field, msg string) {
		d.Errors[field] = msg
		d.Error = p.T("err.form")
		h.render(w, r, p, http.StatusUnprocessableEntity, "policy", d)
	}
	pol, rows, field, msg := policyFromForm(p, &d)
	if field != "" {
		fail(field, msg)
		return
	}
	ctx := r.Context()
	if d.New {
		if _, err := h.policies().Policy(ctx, d.Name); err == nil {
			fail("name", p.T("policies.exists", d.Name))
			return
		}
	}
	err := h.policies().SavePolicy(ctx, pol, p.User.Name, alerts.OriginConsole, h.cfg.HasDestination)
	var ve *alerts.ValidationError
	if errors.As(err, &ve) {
		fail(policyFormField(ve.Field, rows), ve.Msg)
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.log.Info("web: escalation policy saved", "policy", pol.Name, "steps", len(pol.Steps), "user", p.User.Name)
	http.Redirect(w, r, policyURL(pol.Name)+"?done=saved", http.StatusSeeOther)
}

// policyFromForm reads the policy the form describes. Blank step rows are
// left out; rows maps each step of the policy to its row of the form. A
// value that cannot be read returns the form field and what is wrong.
func policyFromForm(p *page, d *policyFormData) (pol alerts.Policy, rows []int, field, msg string) {
	pol = alerts.Policy{Name: d.Name, Description: d.Description}
	var err error
	if d.Rounds != "" {
		if pol.Rounds, err = strconv.Atoi(d.Rounds); err != nil {
			return pol, nil, "rounds", p.T("alerts.err_number")
		}
	}
	for i, sf := range d.Steps {
		if sf.Targets == "" && sf.Reescalate == "" && (sf.After == "" || sf.After == durText(config.DefaultStepAfter)) && len(d.Steps) > 1 {
			continue
		}
		k := "s" + strconv.Itoa(i) + "."
		st := alerts.PolicyStep{After: config.DefaultStepAfter} // an empty field: the default
		if sf.After != "" {
			if st.After, err = time.ParseDuration(sf.After); err != nil {
				return pol, nil, k + "after", p.T("alerts.err_duration")
			}
		}
		if sf.Reescalate != "" {
			if st.Reescalate, err = time.ParseDuration(sf.Reescalate); err != nil {
				return pol, nil, k + "reescalate", p.T("alerts.err_duration")
			}
		}
		for _, line := range strings.Split(sf.Targets, "\n") {
			if line = strings.TrimSpace(line); line == "" {
				continue
			}
			kind, name, err := config.ParseTarget(line)
			if err != nil {
				return pol, nil, k + "targets", err.Error()
			}
			st.Targets = append(st.Targets, alerts.Target{Type: kind, Name: name})
		}
		pol.Steps = append(pol.Steps, st)
		rows = append(rows, i)
	}
	return pol, rows, "", ""
}

// policyFormField maps a service field (steps[1].targets[0]) to the form's
// (s2.targets: the row of the second step that was filled in).
func policyFormField(field string, rows []int) string {
	rest, ok := strings.CutPrefix(field, "steps[")
	if !ok {
		return field
	}
	n, rest, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(n)
	if !ok || err != nil || i < 0 || i >= len(rows) {
		return "steps"
	}
	sub, _, _ := strings.Cut(strings.TrimPrefix(rest, "."), "[")
	if sub != "after" && sub != "reescalate" {
		sub = "targets"
	}
	return "s" + strconv.Itoa(rows[i]) + "." + sub
}

// policyDelete is POST /policies/{name}/delete; a policy a system
// routes to is kept, and the page says which systems.
func (h *Handler) policyDelete(w http.ResponseWriter, r *http.Request, p *page) {
	p.Nav = "policies"
	ctx, name := r.Context(), r.PathValue("name")
	err := h.policies().DeletePolicy(ctx, name)
	var ve *alerts.ValidationError
	switch {
	case errors.Is(err, alerts.ErrNotFound):
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	case errors.As(err, &ve):
		pol, err := h.policies().Policy(ctx, name)
		if err != nil {
			h.serverError(w, r, p, err)
			return
		}
		p.Title = p.T("policies.policy_title", name)
		d := policyForm(pol, false)
		if err := h.policyExtras(ctx, r, p, &d); err != nil {
			h.serverError(w, r, p, err)
			return
		}
		d.Error = p.T("policies.in_use", strings.Join(d.UsedBy, ", "))
		h.render(w, r, p, http.StatusConflict, "policy", d)
		return
	case err != nil:
		h.serverError(w, r, p, err)
		return
	}
	h.log.Info("web: escalation policy deleted", "policy", name, "user", p.User.Name)
	http.Redirect(w, r, "/policies?done=deleted", http.StatusSeeOther)
}
