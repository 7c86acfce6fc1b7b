package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/contact"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/web"
)

// contactModule is the users' contact methods and notification rules
// (issue 12): the service, its senders (SMS with oncall.sms, email with
// oncall.email, voice with alerts.connect, chat mentions through the
// dingtalk and slack destinations), and the admin API
//
//	GET/POST /api/v1/users/{name}/contact-methods
//	DELETE   /api/v1/users/{name}/contact-methods/{id}
//	POST     /api/v1/users/{name}/contact-methods/{id}/send-code
//	POST     /api/v1/users/{name}/contact-methods/{id}/confirm   {"code"}
//	POST     /api/v1/users/{name}/contact-methods/{id}/test
//	GET/PUT  /api/v1/users/{name}/notification-rules
//
// with the scope admin. The escalation engine uses App.Contacts (Plan and
// Sender).
func (a *App) contactModule(ctx context.Context) (module, error) {
	senders := map[string]contact.Sender{}
	env := func(k string) string {
		v, _ := a.lookup(k)
		return v
	}
	awsOpts := func(region, endpointEnv string) contact.AWSOptions {
		o := contact.AWSOptions{Region: region, Endpoint: env(endpointEnv)}
		if o.Endpoint == "" {
			o.Endpoint = env("AWS_ENDPOINT_URL")
		}
		if o.Region == "" {
			o.Region = env("AWS_REGION")
		}
		if id, secret := env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
			o.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, env("AWS_SESSION_TOKEN")))
		}
		return o
	}
	if c := a.Cfg.OnCall.SMS; c != nil {
		s, err := contact.NewSMS(ctx, contact.SMSConfig{OriginationIdentity: c.OriginationIdentity, ConfigurationSet: c.ConfigurationSet},
			awsOpts(c.Region, "AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2"))
		if err != nil {
			return nil, fmt.Errorf("oncall.sms: %w", err)
		}
		senders[contact.KindSMS] = s
	}
	if c := a.Cfg.OnCall.Email; c != nil {
		s, err := contact.NewEmail(ctx, contact.EmailConfig{From: c.From, ConfigurationSet: c.ConfigurationSet},
			awsOpts(c.Region, "AWS_ENDPOINT_URL_SESV2"))
		if err != nil {
			return nil, fmt.Errorf("oncall.email: %w", err)
		}
		senders[contact.KindEmail] = s
	}
	if a.connectCaller != nil {
		senders[contact.KindVoice] = contact.NewVoice(a.connectCaller)
	}
	chatDests := func(name string) (string, notify.Sender, bool) {
		d, ok := a.Cfg.Destination(name)
		s := a.senders[name]
		return d.Type, s, ok && s != nil
	}
	senders[contact.KindChat] = contact.NewChat(chatDests, a.Cfg.Deliveries.Timeout.D())
	a.Contacts = contact.New(a.St, contact.Options{
		Now:     a.now,
		Senders: senders,
		Destinations: func(name string) (string, bool) {
			d, ok := a.Cfg.Destination(name)
			return d.Type, ok
		},
		Log: a.Log.With("component", "contact"),
	})
	missing, err := a.Contacts.ApplyDeclared(ctx, a.Cfg.OnCall.Users)
	if err != nil {
		return nil, err
	}
	for _, n := range missing {
		a.Log.Warn("oncall.users: no console user has this name yet; its contact methods are applied at the next start after it is added", "user", n)
	}
	return &contactModule{a: a, svc: a.Contacts}, nil
}

type contactModule struct {
	a   *App
	svc *contact.Service
}

func (m *contactModule) workers(context.Context, *river.Workers) ([]*river.PeriodicJob, error) {
	return nil, nil
}

func (m *contactModule) queueReady(jobs.Queue) {}

func (m *contactModule) webDeps(d *web.Deps) { d.Contacts = m.svc }

func (m *contactModule) routes(mux *http.ServeMux) {
	const base = "/api/v1/users/{name}/contact-methods"
	mux.HandleFunc("GET "+base, m.admin(m.listMethods))
	mux.HandleFunc("POST "+base, m.admin(m.addMethod))
	mux.HandleFunc("DELETE "+base+"/{id}", m.admin(m.deleteMethod))
	mux.HandleFunc("POST "+base+"/{id}/send-code", m.admin(m.sendCode))
	mux.HandleFunc("POST "+base+"/{id}/confirm", m.admin(m.confirm))
	mux.HandleFunc("POST "+base+"/{id}/test", m.admin(m.test))
	mux.HandleFunc("GET /api/v1/users/{name}/notification-rules", m.admin(m.listRules))
	mux.HandleFunc("PUT /api/v1/users/{name}/notification-rules", m.admin(m.putRules))
}

func (m *contactModule) admin(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, ok := m.a.Auth.Authorize(w, r, auth.ScopeAdmin)
		if !ok {
			return
		}
		r = r.WithContext(audit.WithActor(r.Context(), auth.TokenActor(name, httpx.ClientIP(r, m.a.Cfg.Trusted))))
		fn(w, r)
	}
}

// contactMethodJSON is a method in the API.
type contactMethodJSON struct {
	ID            int64      `json:"id"`
	Kind          string     `json:"kind"`
	Label         string     `json:"label"`
	Address       string     `json:"address"`
	Destination   string     `json:"destination"`
	Language      string     `json:"language"`
	Verified      bool       `json:"verified"`
	VerifiedAt    *time.Time `json:"verified_at"`
	CodeExpiresAt *time.Time `json:"code_expires_at"`
	LastTestAt    *time.Time `json:"last_test_at"`
	CreatedAt     time.Time  `json:"created_at"`
}

func methodJSON(d contact.Detail) contactMethodJSON {
	return contactMethodJSON{
		ID: d.ID, Kind: d.Kind, Label: d.Label, Address: d.Address, Destination: d.Destination, Language: d.Language,
		Verified: d.Verified, VerifiedAt: optTime(d.VerifiedAt), CodeExpiresAt: optTime(d.CodeExpiresAt),
		LastTestAt: optTime(d.LastTestAt), CreatedAt: d.CreatedAt,
	}
}

// contactError answers a service error: 400 naming the field, 404, 429
// with Retry-After, 409 when the kind is not configured, 502 when the
// provider refused or failed.
func contactError(w http.ResponseWriter, err error) {
	var ve *contact.ValidationError
	var ts *contact.TooSoonError
	switch {
	case errors.As(err, &ve):
		httpx.Error(w, http.StatusBadRequest, ve.Field+": "+ve.Msg, ve.Field)
	case errors.Is(err, contact.ErrNotFound):
		httpx.Error(w, http.StatusNotFound, strings.TrimPrefix(err.Error(), "contact: not found: "), "")
	case errors.As(err, &ts):
		w.Header().Set("Retry-After", strconv.Itoa(int((ts.Wait+time.Second-1)/time.Second)))
		httpx.Error(w, http.StatusTooManyRequests, strings.TrimPrefix(err.Error(), "contact: "), "")
	case errors.Is(err, contact.ErrNotConfigured):
		httpx.Error(w, http.StatusConflict, strings.TrimPrefix(err.Error(), "contact: not configured: "), "kind")
	default:
		// The provider's answer, without the address (senders mask it).
		httpx.Error(w, http.StatusBadGateway, "sending failed: "+err.Error(), "")
	}
}

const maxContactBody = 64 << 10

// decodeJSON reads a JSON object into v, refusing unknown fields (named in
// the error) and bodies over maxContactBody.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxContactBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("one JSON object expected")
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			httpx.Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d bytes", maxContactBody), "")
			return false
		}
		field := ""
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			field, _ = strconv.Unquote(f)
			httpx.Error(w, http.StatusBadRequest, fmt.Sprintf("%s: unknown field", field), field)
			return false
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field = te.Field
		}
		httpx.Error(w, http.StatusBadRequest, "the body is not the expected JSON: "+err.Error(), field)
		return false
	}
	return true
}

func pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		httpx.Error(w, http.StatusNotFound, fmt.Sprintf("%q is not a contact method id", r.PathValue("id")), "id")
		return 0, false
	}
	return id, true
}

func (m *contactModule) listMethods(w http.ResponseWriter, r *http.Request) {
	ds, err := m.svc.Methods(r.Context(), r.PathValue("name"))
	if err != nil {
		contactError(w, err)
		return
	}
	out := []contactMethodJSON{}
	for _, d := range ds {
		out = append(out, methodJSON(d))
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"contact_methods": out})
}

func (m *contactModule) addMethod(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Kind        string `json:"kind"`
		Label       string `json:"label"`
		Address     string `json:"address"`
		Destination string `json:"destination"`
		Language    string `json:"language"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	d, err := m.svc.AddMethod(r.Context(), r.PathValue("name"), contact.NewMethod{Kind: in.Kind, Label: in.Label, Address: in.Address, Destination: in.Destination, Language: in.Language})
	if err != nil {
		contactError(w, err)
		return
	}
	m.record(r, "contact.add", fmt.Sprintf("%s method %d (%s)", d.Kind, d.ID, contact.MaskAddress(d.Kind, d.Address)))
	httpx.WriteJSON(w, http.StatusCreated, methodJSON(d))
}

func (m *contactModule) deleteMethod(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if err := m.svc.DeleteMethod(r.Context(), r.PathValue("name"), id); err != nil {
		contactError(w, err)
		return
	}
	m.record(r, "contact.delete", fmt.Sprintf("method %d", id))
	w.WriteHeader(http.StatusNoContent)
}

func (m *contactModule) sendCode(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	exp, err := m.svc.SendCode(r.Context(), r.PathValue("name"), id)
	if err != nil {
		contactError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusAccepted, map[string]any{"code_expires_at": exp})
}

func (m *contactModule) confirm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in struct {
		Code string `json:"code"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	name := r.PathValue("name")
	if err := m.svc.Confirm(r.Context(), name, id, in.Code); err != nil {
		contactError(w, err)
		return
	}
	m.record(r, "contact.verify", fmt.Sprintf("method %d", id))
	d, err := m.svc.MethodDetail(r.Context(), name, id)
	if err != nil {
		contactError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, methodJSON(d))
}

func (m *contactModule) test(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	rc, err := m.svc.SendTest(r.Context(), r.PathValue("name"), id)
	if err != nil {
		contactError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusAccepted, map[string]any{"ref": rc.Ref})
}

// ruleJSON is a notification rule in the API: after is a Go duration
// ("0s", "1m", "1h30m").
type ruleJSON struct {
	MethodID   int64    `json:"method_id"`
	After      string   `json:"after"`
	Severities []string `json:"severities"`
}

// FormatAfter writes a delay the short way: 90s → "1m30s", 1m → "1m".
func formatAfter(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func rulesJSON(rs []contact.Rule) map[string]any {
	out := []ruleJSON{}
	for _, r := range rs {
		out = append(out, ruleJSON{MethodID: r.MethodID, After: formatAfter(r.Delay), Severities: r.Severities})
	}
	return map[string]any{"rules": out}
}

func (m *contactModule) listRules(w http.ResponseWriter, r *http.Request) {
	rs, err := m.svc.Rules(r.Context(), r.PathValue("name"))
	if err != nil {
		contactError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rulesJSON(rs))
}

func (m *contactModule) putRules(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Rules *[]ruleJSON `json:"rules"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if in.Rules == nil {
		httpx.Error(w, http.StatusBadRequest, `rules: is required (a list; [] removes every rule)`, "rules")
		return
	}
	var rules []contact.Rule
	for i, x := range *in.Rules {
		d, err := time.ParseDuration(strings.TrimSpace(x.After))
		if err != nil {
			f := fmt.Sprintf("rules[%d].after", i)
			httpx.Error(w, http.StatusBadRequest, fmt.Sprintf("%s: %q is not a duration (0s, 1m, 3m, 1h)", f, x.After), f)
			return
		}
		rules = append(rules, contact.Rule{MethodID: x.MethodID, Delay: d, Severities: x.Severities})
	}
	rs, err := m.svc.ReplaceRules(r.Context(), r.PathValue("name"), rules)
	if err != nil {
		var ve *contact.ValidationError
		if errors.As(err, &ve) {
			// The API calls the delay "after".
			f := strings.Replace(ve.Field, ".delay", ".after", 1)
			httpx.Error(w, http.StatusBadRequest, f+": "+ve.Msg, f)
			return
		}
		contactError(w, err)
		return
	}
	m.record(r, "contact.rules", fmt.Sprintf("%d rules", len(rs)))
	httpx.WriteJSON(w, http.StatusOK, rulesJSON(rs))
}

// record writes an API change to the audit log, as the token's.
func (m *contactModule) record(r *http.Request, action, detail string) {
	_ = m.a.Audit.Record(r.Context(), action, r.PathValue("name"), detail)
}
