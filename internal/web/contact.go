package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/contact"
)

// The contact page (/users/{name}/contact): how opsdesk reaches a user on
// call. Users manage their own methods (add, send a code, confirm it, send
// a test, delete) and notification rules (method, after how long, for which
// severities); admins may open it for any user. The profile links to the
// user's own. Without the contact service (Deps.Contacts) the routes are
// absent.

func (h *Handler) contactRoutes(mux *http.ServeMux) {
	if h.contacts == nil {
		return
	}
	const base = "/users/{name}/contact"
	mux.Handle("GET "+base, h.route(accessMember, h.contactPage))
	mux.Handle("POST "+base+"/methods", h.route(accessMember, h.contactAdd))
	mux.Handle("POST "+base+"/methods/{id}/send-code", h.route(accessMember, h.contactSendCode))
	mux.Handle("POST "+base+"/methods/{id}/confirm", h.route(accessMember, h.contactConfirm))
	mux.Handle("POST "+base+"/methods/{id}/test", h.route(accessMember, h.contactTest))
	mux.Handle("POST "+base+"/methods/{id}/delete", h.route(accessMember, h.contactDelete))
	mux.Handle("POST "+base+"/rules", h.route(accessMember, h.contactRuleAdd))
	mux.Handle("POST "+base+"/rules/{id}/delete", h.route(accessMember, h.contactRuleDelete))
}

type contactMethodRow struct {
	contact.Detail
	Pending bool // a code was sent and can be confirmed
	CanSend bool // the kind has a configured sender
}

type contactRuleRow struct {
	ID         int64
	Method     string // label or address
	Kind       string
	After      string
	Severities []string
}

type contactData struct {
	Name         string
	Self         bool
	Methods      []contactMethodRow
	Verified     []contactMethodRow
	Rules        []contactRuleRow
	Kinds        []string
	Destinations []string
	Severities   []string
	Languages    []langChoice
	Error        string
	Form         contact.NewMethod
}

// contactUser is the {name} of the path when the logged-in user may manage
// it (themselves, or anyone for an admin); otherwise it answers 403.
func (h *Handler) contactUser(w http.ResponseWriter, r *http.Request, p *page) (string, bool) {
	name := r.PathValue("name")
	if name != p.User.Name && !p.User.CanAdmin() {
		h.renderError(w, r, p, http.StatusForbidden, "forbidden.admin")
		return "", false
	}
	return name, true
}

func (h *Handler) contactRender(w http.ResponseWriter, r *http.Request, p *page, name string, status int, d contactData) {
	p.Title, p.Nav = p.T("contact.title", name), "profile"
	ctx := r.Context()
	ds, err := h.contacts.Methods(ctx, name)
	if errors.Is(err, contact.ErrNotFound) {
		h.notFound(w, r, p)
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	rules, err := h.contacts.Rules(ctx, name)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	now := h.now()
	d.Name, d.Self = name, name == p.User.Name
	byID := map[int64]contact.Detail{}
	for _, m := range ds {
		row := contactMethodRow{Detail: m, Pending: m.CodePending(now), CanSend: h.contacts.CanSend(m.Kind)}
		d.Methods = append(d.Methods, row)
		if m.Verified {
			d.Verified = append(d.Verified, row)
		}
		byID[m.ID] = m
	}
	for _, rl := range rules {
		m := byID[rl.MethodID]
		label := m.Label
		if label == "" {
			label = m.Address
		}
		d.Rules = append(d.Rules, contactRuleRow{ID: rl.ID, Method: label, Kind: m.Kind, After: contactAfter(rl.Delay), Severities: rl.Severities})
	}
	d.Kinds = contact.Kinds
	for _, dest := range h.cfg.Destinations {
		if h.contacts.ChatDestination(dest.Name) {
			d.Destinations = append(d.Destinations, dest.Name)
		}
	}
	d.Severities = contact.Severities
	d.Languages = append(d.Languages, langChoice{Tag: "", Name: p.T("profile.lang_auto"), Selected: d.Form.Language == ""})
	for _, l := range languages {
		d.Languages = append(d.Languages, langChoice{Tag: l.Tag, Name: l.Name, Selected: l.Tag == d.Form.Language})
	}
	h.render(w, r, p, status, "contact", d)
}

// contactAfter writes 1m rather than 1m0s, 30s as 30s.
func contactAfter(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// contactPage is GET /users/{name}/contact.
func (h *Handler) contactPage(w http.ResponseWriter, r *http.Request, p *page) {
	name, ok := h.contactUser(w, r, p)
	if !ok {
		return
	}
	h.contactRender(w, r, p, name, http.StatusOK, contactData{})
}

// contactFail shows a service error on the page: a text for the field (and
// reason) in the page's language.
func (h *Handler) contactFail(w http.ResponseWriter, r *http.Request, p *page, name string, err error, form contact.NewMethod) {
	var ve *contact.ValidationError
	var ts *contact.TooSoonError
	d := contactData{Form: form}
	status := http.StatusUnprocessableEntity
	switch {
	case errors.As(err, &ve):
		field := ve.Field
		if i := strings.LastIndexByte(field, '.'); i >= 0 {
			field = field[i+1:] // rules[0].delay → delay
		}
		key := "contact.err." + field
		if _, ok := catalog[key+"."+ve.Reason]; ok && ve.Reason != "" {
			key += "." + ve.Reason
		} else if _, ok := catalog[key]; !ok {
			key = "contact.err.invalid"
		}
		d.Error = p.T(key)
	case errors.As(err, &ts):
		status = http.StatusTooManyRequests
		d.Error = p.T("contact.too_soon", int((ts.Wait+time.Second-1)/time.Second))
	case errors.Is(err, contact.ErrNotFound):
		h.notFound(w, r, p)
		return
	case errors.Is(err, contact.ErrNotConfigured):
		status = http.StatusConflict
		d.Error = p.T("contact.not_configured")
	default:
		h.log.Warn("web: contact: send failed", "user", name, "error", err)
		status = http.StatusBadGateway
		d.Error = p.T("contact.send_failed")
	}
	h.contactRender(w, r, p, name, status, d)
}

func (h *Handler) contactDone(w http.ResponseWriter, r *http.Request, name, notice string) {
	http.Redirect(w, r, "/users/"+url.PathEscape(name)+"/contact?notice="+notice, http.StatusSeeOther)
}

func formID(w http.ResponseWriter, r *http.Request, h *Handler, p *page) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.notFound(w, r, p)
		return 0, false
	}
	return id, true
}

// contactAdd is POST /users/{name}/contact/methods: kind, label, address,
// destination (chat), language.
func (h *Handler) contactAdd(w http.ResponseWriter, r *http.Request, p *page) {
	name, ok := h.contactUser(w, r, p)
	if !ok {
		return
	}
	in := contact.NewMethod{
		Kind: r.PostFormValue("kind"), Label: r.PostFormValue("label"), Address: r.PostFormValue("address"),
		Destination: r.PostFormValue("destination"), Language: r.PostFormValue("language"),
	}
	if in.Kind != contact.KindChat {
		in.Destination = ""
	}
	d, err := h.contacts.AddMethod(r.Context(), name, in)
	if err != nil {
		in.Label, in.Address = redisplay(in.Label), redisplay(in.Address)
		h.contactFail(w, r, p, name, err, in)
		return
	}
	h.audit.Record(r.Context(), "contact.add", name, d.Kind+" method "+strconv.FormatInt(d.ID, 10)+" ("+contact.MaskAddress(d.Kind, d.Address)+")")
	h.contactDone(w, r, name, "contact_added")
}

// contactMethod runs act on the method the form names (id), for the page's
// user: an error is shown on the contact page, success reported as done.
func (h *Handler) contactMethod(w http.ResponseWriter, r *http.Request, p *page, done string, act func(ctx context.Context, name string, id int64) error) {
	name, ok := h.contactUser(w, r, p)
	if !ok {
		return
	}
	id, ok := formID(w, r, h, p)
	if !ok {
		return
	}
	if err := act(r.Context(), name, id); err != nil {
		h.contactFail(w, r, p, name, err, contact.NewMethod{})
		return
	}
	h.contactDone(w, r, name, done)
}

func (h *Handler) contactSendCode(w http.ResponseWriter, r *http.Request, p *page) {
	h.contactMethod(w, r, p, "contact_code_sent", func(ctx context.Context, name string, id int64) error {
		_, err := h.contacts.SendCode(ctx, name, id)
		return err
	})
}

func (h *Handler) contactConfirm(w http.ResponseWriter, r *http.Request, p *page) {
	h.contactMethod(w, r, p, "contact_verified", func(ctx context.Context, name string, id int64) error {
		if err := h.contacts.Confirm(ctx, name, id, r.PostFormValue("code")); err != nil {
			return err
		}
		h.audit.Record(ctx, "contact.verify", name, "method "+strconv.FormatInt(id, 10))
		return nil
	})
}

func (h *Handler) contactTest(w http.ResponseWriter, r *http.Request, p *page) {
	h.contactMethod(w, r, p, "contact_test_sent", func(ctx context.Context, name string, id int64) error {
		_, err := h.contacts.SendTest(ctx, name, id)
		return err
	})
}

func (h *Handler) contactDelete(w http.ResponseWriter, r *http.Request, p *page) {
	h.contactMethod(w, r, p, "contact_deleted", func(ctx context.Context, name string, id int64) error {
		if err := h.contacts.DeleteMethod(ctx, name, id); err != nil {
			return err
		}
		h.audit.Record(ctx, "contact.delete", name, "method "+strconv.FormatInt(id, 10))
		return nil
	})
}

// contactRuleAdd is POST /users/{name}/contact/rules: method (id), after
// (minutes), severity (repeated; none = all).
func (h *Handler) contactRuleAdd(w http.ResponseWriter, r *http.Request, p *page) {
	name, ok := h.contactUser(w, r, p)
	if !ok {
		return
	}
	_ = r.ParseForm()
	methodID, err1 := strconv.ParseInt(r.PostFormValue("method"), 10, 64)
	minutes, err2 := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("after")), 64)
	if err1 != nil {
		h.contactFail(w, r, p, name, &contact.ValidationError{Field: "method_id"}, contact.NewMethod{})
		return
	}
	if err2 != nil || math.IsNaN(minutes) || minutes < 0 || minutes > 24*60 {
		h.contactFail(w, r, p, name, &contact.ValidationError{Field: "delay"}, contact.NewMethod{})
		return
	}
	rules, err := h.contacts.Rules(r.Context(), name)
	if err != nil {
		h.contactFail(w, r, p, name, err, contact.NewMethod{})
		return
	}
	rules = append(rules, contact.Rule{MethodID: methodID, Delay: time.Duration(minutes*60) * time.Second, Severities: r.PostForm["severity"]})
	if _, err := h.contacts.ReplaceRules(r.Context(), name, rules); err != nil {
		h.contactFail(w, r, p, name, err, contact.NewMethod{})
		return
	}
	h.audit.Record(r.Context(), "contact.rules", name, "rule added")
	h.contactDone(w, r, name, "contact_rules_saved")
}

func (h *Handler) contactRuleDelete(w http.ResponseWriter, r *http.Request, p *page) {
	name, ok := h.contactUser(w, r, p)
	if !ok {
		return
	}
	id, ok := formID(w, r, h, p)
	if !ok {
		return
	}
	rules, err := h.contacts.Rules(r.Context(), name)
	if err != nil {
		h.contactFail(w, r, p, name, err, contact.NewMethod{})
		return
	}
	kept := slices.DeleteFunc(rules, func(x contact.Rule) bool { return x.ID == id })
	if _, err := h.contacts.ReplaceRules(r.Context(), name, kept); err != nil {
		h.contactFail(w, r, p, name, err, contact.NewMethod{})
		return
	}
	h.audit.Record(r.Context(), "contact.rules", name, "rule removed")
	h.contactDone(w, r, name, "contact_rules_saved")
}
