package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/config"
)

// A system's routes: which escalation policy its alerts go to, per
// severity and hours (GET and POST /alerts/systems/{name}/routes, page
// alert_routes; registered with the policy pages in oncall_policies.go).

// recordOnly is the policy select's value for "record only" (no policy
// name can start with "(").
const recordOnly = "(record-only)"

type sevChoice struct {
	Value, Label string
	Checked      bool
}

type routeForm struct {
	N          int
	Order      int
	Severities []sevChoice
	Hours      string
	Policies   []option
}

type routesFormData struct {
	System            string
	SystemURL         string
	Origin            string
	Rows              []routeForm
	CanAddRow         bool
	HasPolicies       bool
	Errors            map[string]string
	Error             string
	ReadOnly          bool
	PreviewSeverities []option
	Preview           template.HTML
}

func routeRow(p *page, policies []string, sev []string, hours, policy string) routeForm {
	rf := routeForm{Hours: hours}
	for _, s := range config.Severities {
		v := s
		if s == "unspecified" {
			v = ""
		}
		rf.Severities = append(rf.Severities, sevChoice{Value: s, Label: alertSeverityLabel(p, v), Checked: slices.Contains(sev, s)})
	}
	rf.Policies = []option{{Value: "", Label: "—", Selected: policy == ""}}
	names := slices.Clone(policies)
	if policy != "" && policy != recordOnly && !slices.Contains(names, policy) {
		names = append(names, policy)
	}
	for _, n := range names {
		rf.Policies = append(rf.Policies, option{Value: n, Label: n, Selected: n == policy})
	}
	rf.Policies = append(rf.Policies, option{Value: recordOnly, Label: p.T("policies.record_only"), Selected: policy == recordOnly})
	return rf
}

func (d *routesFormData) renumber() {
	for i := range d.Rows {
		d.Rows[i].N, d.Rows[i].Order = i, i+1
	}
	d.CanAddRow = !d.ReadOnly && len(d.Rows) < config.MaxSystemRoutes
}

func (h *Handler) policyNames(ctx context.Context) ([]string, error) {
	ps, err := h.policies().Policies(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, pol := range ps {
		names = append(names, pol.Name)
	}
	return names, nil
}

// systemRoutes is GET /alerts/systems/{name}/routes: the routes editor
// and a preview of the system's alerts (?severity=).
func (h *Handler) systemRoutes(w http.ResponseWriter, r *http.Request, p *page) {
	p.Nav = "alerts"
	policyNotice(p, r)
	ctx := r.Context()
	sys, err := h.alerts.System(ctx, r.PathValue("name"))
	if errors.Is(err, alerts.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	names, err := h.policyNames(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	p.Title = p.T("policies.routes_title", sys.Name)
	d := routesFormData{System: sys.Name, SystemURL: systemURL(sys.Name), Origin: sys.Origin, Errors: map[string]string{}, ReadOnly: !p.User.CanAdmin(), HasPolicies: len(names) > 0}
	for _, rt := range sys.Routes {
		pol := rt.Policy
		if rt.RecordOnly {
			pol = recordOnly
		}
		d.Rows = append(d.Rows, routeRow(p, names, rt.Severities, rt.Hours, pol))
	}
	if !d.ReadOnly && len(d.Rows) < config.MaxSystemRoutes {
		d.Rows = append(d.Rows, routeRow(p, names, nil, "", ""))
	}
	d.renumber()
	severity := r.URL.Query().Get("severity")
	if !slices.Contains(config.Severities, severity) {
		severity = "critical"
	}
	d.PreviewSeverities = severityOptions(p, severity)
	res, err := h.policies().Preview(ctx, sys.Name, severity, h.now(), h.directory())
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	if d.Preview, err = h.partial("policy_preview", p, previewFor(p, res)); err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.render(w, r, p, http.StatusOK, "alert_routes", d)
}

// systemRoutesSave is POST /alerts/systems/{name}/routes: op=add adds a
// row, op=remove-N removes row N, anything else saves the rows that name
// a policy or record only (in their order).
func (h *Handler) systemRoutesSave(w http.ResponseWriter, r *http.Request, p *page) {
	p.Nav = "alerts"
	ctx := r.Context()
	sys, err := h.alerts.System(ctx, r.PathValue("name"))
	if errors.Is(err, alerts.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	names, err := h.policyNames(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	p.Title = p.T("policies.routes_title", sys.Name)
	f := r.PostForm
	d := routesFormData{System: sys.Name, SystemURL: systemURL(sys.Name), Origin: sys.Origin, Errors: map[string]string{}, HasPolicies: len(names) > 0}
	type posted struct {
		sev          []string
		hours, polic string
	}
	var rows []posted
	for i := 0; i < config.MaxSystemRoutes+1; i++ {
		k := "r" + strconv.Itoa(i) + "."
		if _, ok := f[k+"policy"]; !ok {
			break
		}
		rows = append(rows, posted{f[k+"sev"], strings.TrimSpace(f.Get(k + "hours")), f.Get(k + "policy")})
	}
	op := f.Get("op")
	switch {
	case op == "add" && len(rows) < config.MaxSystemRoutes:
		rows = append(rows, posted{})
	case strings.HasPrefix(op, "remove-"):
		if n, err := strconv.Atoi(strings.TrimPrefix(op, "remove-")); err == nil && n >= 0 && n < len(rows) {
			rows = slices.Delete(rows, n, n+1)
		}
	}
	for _, x := range rows {
		d.Rows = append(d.Rows, routeRow(p, names, x.sev, x.hours, x.polic))
	}
	d.renumber()
	if op == "add" || strings.HasPrefix(op, "remove-") {
		h.render(w, r, p, http.StatusOK, "alert_routes", d)
		return
	}
	var kept []int
	sys.Routes = nil
	for i, x := range rows {
		if x.polic == "" && len(x.sev) == 0 && x.hours == "" {
			continue // a blank row
		}
		rt := alerts.Route{Severities: x.sev, Hours: x.hours}
		if x.polic == recordOnly {
			rt.RecordOnly = true
		} else {
			rt.Policy = x.polic
		}
		sys.Routes = append(sys.Routes, rt)
		kept = append(kept, i)
	}
	err = h.alerts.SaveSystem(ctx, *sys, p.User.Name, alerts.OriginConsole, h.cfg.HasDestination)
	var ve *alerts.ValidationError
	if errors.As(err, &ve) {
		d.Error = p.T("policies.routes_error", ve.Error())
		if rest, ok := strings.CutPrefix(ve.Field, "routes["); ok {
			if n, sub, ok := strings.Cut(rest, "]"); ok {
				if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < len(kept) {
					d.Errors[fmt.Sprintf("r%d%s", kept[i], sub)] = ve.Msg
					d.Error = p.T("err.form")
				}
			}
		}
		h.render(w, r, p, http.StatusUnprocessableEntity, "alert_routes", d)
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.log.Info("web: routes saved", "system", sys.Name, "routes", len(sys.Routes), "user", p.User.Name)
	http.Redirect(w, r, routesURL(sys.Name)+"?done=routes_saved", http.StatusSeeOther)
}
