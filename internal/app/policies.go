package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/web"
)

// policiesModule is the JSON API of escalation policies and of systems'
// routes (issue 12, docs/oncall.md):
//
//	GET    /api/v1/policies              step policies and every system's call list (kind call_list)
//	GET    /api/v1/policies/{name}
//	PUT    /api/v1/policies/{name}       create or replace a step policy
//	DELETE /api/v1/policies/{name}       409 while a system routes to it
//	GET    /api/v1/systems/{name}/routes
//	PUT    /api/v1/systems/{name}/routes a JSON array of routes
//	GET    /api/v1/systems/{name}/preview?severity=&at=  who an alert would notify, how and when
//
// Reading needs read:alerts, changing needs admin. What the API saves is
// the console's (origin console): the config file no longer replaces it.
// (The alerts module seeds oncall.policies of the config file.)
func (a *App) policiesModule(context.Context) (module, error) {
	svc := a.Alerts()
	if svc == nil {
		return nil, nil
	}
	return &policiesModule{a: a, svc: svc}, nil
}

type policiesModule struct {
	a   *App
	svc *alerts.Service
}

func (m *policiesModule) workers(context.Context, *river.Workers) ([]*river.PeriodicJob, error) {
	return nil, nil
}

func (m *policiesModule) queueReady(jobs.Queue) {}

// webDeps gives the console's policy previews the engine's directory:
// the schedules and contact methods.
func (m *policiesModule) webDeps(d *web.Deps) { d.Directory = directory{a: m.a} }

func (m *policiesModule) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/policies", m.authed(auth.ScopeReadAlerts, m.list))
	mux.HandleFunc("GET /api/v1/policies/{name}", m.authed(auth.ScopeReadAlerts, m.get))
	mux.HandleFunc("PUT /api/v1/policies/{name}", m.authed(auth.ScopeAdmin, m.put))
	mux.HandleFunc("DELETE /api/v1/policies/{name}", m.authed(auth.ScopeAdmin, m.delete))
	mux.HandleFunc("GET /api/v1/systems/{name}/routes", m.authed(auth.ScopeReadAlerts, m.getRoutes))
	mux.HandleFunc("PUT /api/v1/systems/{name}/routes", m.authed(auth.ScopeAdmin, m.putRoutes))
	mux.HandleFunc("GET /api/v1/systems/{name}/preview", m.authed(auth.ScopeReadAlerts, m.preview))
}

// authed admits requests whose token holds scope; what they change is
// recorded as the token's doing, and the token's name is passed on.
func (m *policiesModule) authed(scope string, fn func(w http.ResponseWriter, r *http.Request, token string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, ok := m.a.Auth.Authorize(w, r, scope)
		if !ok {
			return
		}
		r = r.WithContext(audit.WithActor(r.Context(), auth.TokenActor(name, httpx.ClientIP(r, m.a.Cfg.Trusted))))
		fn(w, r, name)
	}
}

// Policy kinds in the API.
const (
	kindPolicy   = "policy"
	kindCallList = "call_list"
)

// policyJSON is a policy as the API shows it. A call list (kind
// call_list) is a system's own: one step per person, in calling order,
// each waiting the system's wait between calls; its numbers are masked.
type policyJSON struct {
	Name        string        `json:"name"`
	Kind        string        `json:"kind"`
	Description string        `json:"description"`
	Rounds      int           `json:"rounds"`
	Steps       []stepJSON    `json:"steps"`
	Wait        string        `json:"wait,omitempty"`
	Contacts    []contactJSON `json:"contacts,omitempty"`
	Origin      string        `json:"origin"`
	// UsedBy are the systems whose routes name the policy (a call list:
	// its own system).
	UsedBy    []string   `json:"used_by"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
	UpdatedBy string     `json:"updated_by,omitempty"`
}

type stepJSON struct {
	After      string   `json:"after"`
	Targets    []string `json:"targets"`
	Reescalate string   `json:"reescalate,omitempty"`
}

type contactJSON struct {
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	Language string `json:"language,omitempty"`
	Hours    string `json:"hours,omitempty"`
}

// durText writes a duration as people write it: 5m, 1h30m, 0s.
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

func optTimeJSON(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func policyOut(p *alerts.Policy, usedBy []string) policyJSON {
	out := policyJSON{Name: p.Name, Kind: kindPolicy, Description: p.Description, Rounds: p.Rounds, Steps: []stepJSON{}, Origin: p.Origin,
		UsedBy: usedBy, UpdatedAt: optTimeJSON(p.UpdatedAt), UpdatedBy: p.UpdatedBy}
	if out.UsedBy == nil {
		out.UsedBy = []string{}
	}
	for _, st := range p.Steps {
		s := stepJSON{After: durText(st.After), Targets: []string{}}
		if st.Reescalate > 0 {
			s.Reescalate = durText(st.Reescalate)
		}
		for _, t := range st.Targets {
			s.Targets = append(s.Targets, t.String())
		}
		out.Steps = append(out.Steps, s)
	}
	return out
}

func callListOut(sys *alerts.System) policyJSON {
	out := policyJSON{Name: sys.Name, Kind: kindCallList, Rounds: sys.Rounds, Steps: []stepJSON{}, Wait: durText(sys.Wait), Origin: sys.Origin,
		UsedBy: []string{sys.Name}, UpdatedAt: optTimeJSON(sys.UpdatedAt), UpdatedBy: sys.UpdatedBy}
	for _, c := range sys.Contacts {
		out.Steps = append(out.Steps, stepJSON{After: durText(sys.Wait), Targets: []string{"call:" + c.Name}})
		out.Contacts = append(out.Contacts, contactJSON{Name: c.Name, Phone: alerts.MaskAddress(c.Phone), Language: c.Language, Hours: c.Hours})
	}
	return out
}

// usedBy maps each policy to the systems whose routes name it.
func usedBy(systems []*alerts.System) map[string][]string {
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

func (m *policiesModule) fail(w http.ResponseWriter, err error) {
	var ve *alerts.ValidationError
	switch {
	case errors.As(err, &ve):
		httpx.Error(w, http.StatusBadRequest, ve.Msg, ve.Field)
	case errors.Is(err, alerts.ErrNotFound):
		httpx.Error(w, http.StatusNotFound, "not found", "name")
	default:
		m.a.Log.Error("policies api", "error", err)
		httpx.Error(w, http.StatusInternalServerError, "internal error; see the server log", "")
	}
}

// list is GET /api/v1/policies: step policies by name, then every
// system's call list.
func (m *policiesModule) list(w http.ResponseWriter, r *http.Request, _ string) {
	ctx := r.Context()
	ps, err := m.svc.Policies(ctx)
	if err != nil {
		m.fail(w, err)
		return
	}
	systems, err := m.svc.Systems(ctx)
	if err != nil {
		m.fail(w, err)
		return
	}
	used := usedBy(systems)
	out := []policyJSON{}
	for _, p := range ps {
		out = append(out, policyOut(p, used[p.Name]))
	}
	for _, s := range systems {
		out = append(out, callListOut(s))
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"policies": out})
}

// get is GET /api/v1/policies/{name}: the step policy of that name, else
// the call list of the system of that name.
func (m *policiesModule) get(w http.ResponseWriter, r *http.Request, _ string) {
	ctx, name := r.Context(), r.PathValue("name")
	p, err := m.svc.Policy(ctx, name)
	if err == nil {
		users, err := m.svc.PolicyUsers(ctx, name)
		if err != nil {
			m.fail(w, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, policyOut(p, users))
		return
	}
	if !errors.Is(err, alerts.ErrNotFound) {
		m.fail(w, err)
		return
	}
	sys, err := m.svc.System(ctx, name)
	if errors.Is(err, alerts.ErrNotFound) {
		httpx.Error(w, http.StatusNotFound, fmt.Sprintf("no escalation policy or call list is named %q", name), "name")
		return
	}
	if err != nil {
		m.fail(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, callListOut(sys))
}

// maxPolicyBody bounds the body of PUT /api/v1/policies/{name} and of
// PUT …/routes.
const maxPolicyBody = 64 << 10

// policyIn is the body of PUT /api/v1/policies/{name}. The fields GET
// adds (origin, used_by …) are accepted and ignored, so that what GET
// returns can be edited and sent back.
type policyIn struct {
	Name        *string `json:"name"`
	Kind        string  `json:"kind"`
	Description string  `json:"description"`
	Rounds      int     `json:"rounds"`
	Steps       []struct {
		After      string   `json:"after"`
		Targets    []string `json:"targets"`
		Reescalate string   `json:"reescalate"`
	} `json:"steps"`
	Origin    json.RawMessage `json:"origin"`
	UsedBy    json.RawMessage `json:"used_by"`
	UpdatedAt json.RawMessage `json:"updated_at"`
	UpdatedBy json.RawMessage `json:"updated_by"`
}

// decodeBody reads a JSON body of at most maxPolicyBody into v, unknown
// fields refused; it answers the request and returns false when it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPolicyBody))
	if err != nil {
		httpx.Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxPolicyBody), "")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		field := ""
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field = te.Field
		} else if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			field = strings.Trim(f, `"`)
		}
		httpx.Error(w, http.StatusBadRequest, "the body is not the expected JSON: "+err.Error(), field)
		return false
	}
	if dec.More() {
		httpx.Error(w, http.StatusBadRequest, "the body holds more than one JSON value", "")
		return false
	}
	return true
}

// parsePolicy turns the body of PUT /api/v1/policies/{name} into a
// Policy; errors name the field.
func parsePolicy(name string, in policyIn) (alerts.Policy, error) {
	p := alerts.Policy{Name: name, Description: strings.TrimSpace(in.Description), Rounds: in.Rounds}
	if in.Name != nil && *in.Name != name {
		return p, &alerts.ValidationError{Field: "name", Msg: fmt.Sprintf("%q differs from the name in the path (%q)", *in.Name, name)}
	}
	if in.Kind != "" && in.Kind != kindPolicy {
		return p, &alerts.ValidationError{Field: "kind", Msg: "only step policies are written here (kind policy); a call list is its system's, edited with the system"}
	}
	if len(in.Steps) > config.MaxPolicySteps {
		return p, &alerts.ValidationError{Field: "steps", Msg: fmt.Sprintf("has %d steps; at most %d", len(in.Steps), config.MaxPolicySteps)}
	}
	for i, s := range in.Steps {
		key := fmt.Sprintf("steps[%d]", i)
		// A step without "after" waits the default (as in the config
		// file); "0s" moves on at once.
		st := alerts.PolicyStep{After: config.DefaultStepAfter}
		var err error
		if s.After != "" {
			if st.After, err = time.ParseDuration(strings.TrimSpace(s.After)); err != nil {
				return p, &alerts.ValidationError{Field: key + ".after", Msg: fmt.Sprintf("%q is not a duration (5m, 1h30m)", s.After)}
			}
		}
		if s.Reescalate != "" {
			if st.Reescalate, err = time.ParseDuration(strings.TrimSpace(s.Reescalate)); err != nil {
				return p, &alerts.ValidationError{Field: key + ".reescalate", Msg: fmt.Sprintf("%q is not a duration (30m, 2h)", s.Reescalate)}
			}
		}
		if len(s.Targets) > config.MaxStepTargets {
			return p, &alerts.ValidationError{Field: key + ".targets", Msg: fmt.Sprintf("has %d targets; at most %d", len(s.Targets), config.MaxStepTargets)}
		}
		for j, t := range s.Targets {
			kind, tname, err := config.ParseTarget(t)
			if err != nil {
				return p, &alerts.ValidationError{Field: fmt.Sprintf("%s.targets[%d]", key, j), Msg: err.Error()}
			}
			st.Targets = append(st.Targets, alerts.Target{Type: kind, Name: tname})
		}
		p.Steps = append(p.Steps, st)
	}
	return p, nil
}

// put is PUT /api/v1/policies/{name}: 201 when created, 200 when
// replaced, with the policy as GET shows it.
func (m *policiesModule) put(w http.ResponseWriter, r *http.Request, token string) {
	ctx, name := r.Context(), r.PathValue("name")
	var in policyIn
	if !decodeBody(w, r, &in) {
		return
	}
	p, err := parsePolicy(name, in)
	if err != nil {
		m.fail(w, err)
		return
	}
	_, err = m.svc.Policy(ctx, name)
	created := errors.Is(err, alerts.ErrNotFound)
	if err != nil && !created {
		m.fail(w, err)
		return
	}
	if err := m.svc.SavePolicy(ctx, p, token, alerts.OriginConsole, m.a.Cfg.HasDestination); err != nil {
		m.fail(w, err)
		return
	}
	saved, err := m.svc.Policy(ctx, name)
	if err != nil {
		m.fail(w, err)
		return
	}
	users, err := m.svc.PolicyUsers(ctx, name)
	if err != nil {
		m.fail(w, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	httpx.WriteJSON(w, status, policyOut(saved, users))
}

// delete is DELETE /api/v1/policies/{name}: 204; 409 while a system's
// routes name it.
func (m *policiesModule) delete(w http.ResponseWriter, r *http.Request, _ string) {
	ctx, name := r.Context(), r.PathValue("name")
	if _, err := m.svc.Policy(ctx, name); errors.Is(err, alerts.ErrNotFound) {
		if _, err := m.svc.System(ctx, name); err == nil {
			httpx.Error(w, http.StatusConflict, fmt.Sprintf("%q is the call list of system %q: delete the system instead", name, name), "name")
			return
		}
		httpx.Error(w, http.StatusNotFound, fmt.Sprintf("no escalation policy is named %q", name), "name")
		return
	}
	err := m.svc.DeletePolicy(ctx, name)
	var ve *alerts.ValidationError
	if errors.As(err, &ve) {
		users, _ := m.svc.PolicyUsers(ctx, name)
		httpx.WriteJSON(w, http.StatusConflict, map[string]any{"error": ve.Msg, "field": ve.Field, "used_by": users})
		return
	}
	if err != nil {
		m.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// routeJSON is one route of a system.
type routeJSON struct {
	Severities []string `json:"severities"`
	Hours      string   `json:"hours"`
	Policy     string   `json:"policy"`
	RecordOnly bool     `json:"record_only"`
}

func routesOut(rs []alerts.Route) []routeJSON {
	out := []routeJSON{}
	for _, r := range rs {
		sv := r.Severities
		if sv == nil {
			sv = []string{}
		}
		out = append(out, routeJSON{Severities: sv, Hours: r.Hours, Policy: r.Policy, RecordOnly: r.RecordOnly})
	}
	return out
}

func (m *policiesModule) system(w http.ResponseWriter, r *http.Request) (*alerts.System, bool) {
	name := r.PathValue("name")
	sys, err := m.svc.System(r.Context(), name)
	if errors.Is(err, alerts.ErrNotFound) {
		httpx.Error(w, http.StatusNotFound, fmt.Sprintf("no system is named %q", name), "system")
		return nil, false
	}
	if err != nil {
		m.fail(w, err)
		return nil, false
	}
	return sys, true
}

// getRoutes is GET /api/v1/systems/{name}/routes: the system's routes in
// order (the first that matches decides; none: the call list).
func (m *policiesModule) getRoutes(w http.ResponseWriter, r *http.Request, _ string) {
	sys, ok := m.system(w, r)
	if !ok {
		return
	}
	httpx.WriteJSON(w, http.StatusOK, routesOut(sys.Routes))
}

// putRoutes is PUT /api/v1/systems/{name}/routes: replaces the routes
// (an empty array: every alert goes to the call list).
func (m *policiesModule) putRoutes(w http.ResponseWriter, r *http.Request, token string) {
	var in []routeJSON
	if !decodeBody(w, r, &in) {
		return
	}
	sys, ok := m.system(w, r)
	if !ok {
		return
	}
	sys.Routes = nil
	for _, rt := range in {
		sys.Routes = append(sys.Routes, alerts.Route{Severities: rt.Severities, Hours: strings.TrimSpace(rt.Hours), Policy: strings.TrimSpace(rt.Policy), RecordOnly: rt.RecordOnly})
	}
	if err := m.svc.SaveSystem(r.Context(), *sys, token, alerts.OriginConsole, m.a.Cfg.HasDestination); err != nil {
		m.fail(w, err)
		return
	}
	saved, err := m.svc.System(r.Context(), sys.Name)
	if err != nil {
		m.fail(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, routesOut(saved.Routes))
}
