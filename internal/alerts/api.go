package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/aws/snsverify"
	"github.com/opsdesk/opsdesk/internal/httpx"
)

// API serves the machine side of alerts: intake from every monitoring
// system, and acknowledge / resolve / read for scripts.
//
//	POST /api/v1/alerts               the seed's {"alertinfo": [...]} or opsdesk's native JSON
//	POST /api/v1/alerts/alertmanager  Prometheus Alertmanager webhook (v4)
//	POST /api/v1/alerts/zabbix        a Zabbix webhook media type
//	POST /api/v1/alerts/nagios        a Nagios notification command (form or JSON)
//	POST /api/v1/alerts/cloudwatch    an SNS HTTP/S subscription of CloudWatch alarms,
//	                                  or an EventBridge "CloudWatch Alarm State Change"
//	GET  /api/v1/alerts[?q=&status=&system=&incident=&before=&limit=]  (q: ParseSearch)
//	GET  /api/v1/alerts/{id}
//	POST /api/v1/alerts/{id}/ack
//	POST /api/v1/alerts/{id}/resolve
//
// Every request needs an API token with the route's scope, checked
// before any of the body is read: ingest:alerts for intake (as
// Authorization: Bearer, or ?token= for senders that cannot set headers),
// read:alerts to read, act:alerts to acknowledge and resolve (header
// only). The token's name is recorded as the alert's "via". SNS messages
// are always signature-checked; a topic in alerts.sns_topics needs no
// token (such a post is read only when it says it comes from SNS, and at
// most httpx.MaxSNSBody). ?system= names the system of alerts whose
// payload names none (?systemname=, the seed's name, works too).
//
// Intake answers 202 once every alert of the request is committed; 400
// naming the field, with nothing stored, when any alert of the request is
// malformed; 503 when storing failed (senders retry; repeats are absorbed).
type API struct {
	Svc *Service
	// Authorize admits a request whose API token has the scope and
	// returns the token's name, or answers the request and returns false;
	// it reads nothing of the body (auth.Service.Authorize).
	Authorize func(w http.ResponseWriter, r *http.Request, scope string) (token string, ok bool)
	SNS       *snsverify.Verifier
	SNSTopics []string
	MaxBody   int64
	// Parse are the parser options: default system, time zone.
	Parse parse.Options
	Log   *slog.Logger
	// Trusted tells the proxies whose X-Forwarded-For is believed, for
	// the address the audit log records (nil: none).
	Trusted func(netip.Addr) bool
	// IsUser tells whether a name is a console user, the only ones an
	// alert can be assigned to (nil: nobody can be assigned).
	IsUser func(ctx context.Context, name string) bool
}

// Register adds the routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/alerts", a.intake(func(b []byte, _ string, o parse.Options) ([]parse.Signal, error) {
		if isSeed(b) {
			return parse.Seed(b, o)
		}
		return parse.Native(b, o)
	}))
	mux.HandleFunc("POST /api/v1/alerts/alertmanager", a.intake(func(b []byte, _ string, o parse.Options) ([]parse.Signal, error) {
		return parse.Alertmanager(b, o)
	}))
	mux.HandleFunc("POST /api/v1/alerts/zabbix", a.intake(func(b []byte, _ string, o parse.Options) ([]parse.Signal, error) {
		return parse.Zabbix(b, o)
	}))
	mux.HandleFunc("POST /api/v1/alerts/nagios", a.intake(parse.Nagios))
	mux.HandleFunc("POST /api/v1/alerts/cloudwatch", a.cloudwatch)
	mux.HandleFunc("GET /api/v1/alerts", a.authed(auth.ScopeReadAlerts, a.list))
	mux.HandleFunc("GET /api/v1/alerts/{id}", a.authed(auth.ScopeReadAlerts, a.get))
	mux.HandleFunc("POST /api/v1/alerts/{id}/ack", a.authed(auth.ScopeActAlerts, a.change(StatusAcknowledged)))
	mux.HandleFunc("POST /api/v1/alerts/{id}/resolve", a.authed(auth.ScopeActAlerts, a.change(StatusResolved)))
	a.registerNotes(mux, auth.ScopeReadAlerts, auth.ScopeActAlerts)
	a.registerMaintenance(mux, auth.ScopeReadAlerts, auth.ScopeActAlerts)
	a.registerIncidents(mux, auth.ScopeReadAlerts, auth.ScopeActAlerts)
}

// isSeed tells the seed's format from the native one: it has a top-level
// "alertinfo".
func isSeed(body []byte) bool {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		return false
	}
	_, ok := probe["alertinfo"]
	return ok
}

// authed runs fn for requests whose token has the scope.
func (a *API) authed(scope string, fn func(w http.ResponseWriter, r *http.Request, token string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, ok := a.Authorize(w, r, scope)
		if !ok {
			return
		}
		// What the request changes is recorded as the token's doing.
		r = r.WithContext(audit.WithActor(r.Context(), auth.TokenActor(name, httpx.ClientIP(r, a.Trusted))))
		fn(w, r, name)
	}
}

func (a *API) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	return a.readBodyMax(w, r, a.MaxBody)
}

func (a *API) readBodyMax(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	tooLarge := func() {
		msg := "the body is larger than alerts.max_body_bytes"
		if limit < a.MaxBody {
			msg = "the body is larger than what SNS sends"
		}
		httpx.Error(w, http.StatusRequestEntityTooLarge, msg, "")
	}
	if httpx.TooLarge(r, limit) {
		tooLarge()
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooLarge()
			return nil, false
		}
		httpx.Error(w, http.StatusBadRequest, "reading the body failed: "+err.Error(), "")
		return nil, false
	}
	return body, true
}

// options are the parser options of a request: ?system= (or the seed's
// ?systemname=) overrides the default system; the two disagreeing is an
// error naming both.
func (a *API) options(r *http.Request, ignored *[]string) (parse.Options, error) {
	o := a.Parse
	s, err := parse.QuerySystem(r.URL.Query())
	if err != nil {
		return o, err
	}
	if s != "" {
		o.DefaultSystem = s
	}
	o.OnIgnore = func(reason string) { *ignored = append(*ignored, reason) }
	return o, nil
}

type parser func(body []byte, contentType string, o parse.Options) ([]parse.Signal, error)

func (a *API) intake(p parser) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, ok := a.Authorize(w, r, auth.ScopeIngestAlerts)
		if !ok {
			return
		}
		body, ok := a.readBody(w, r)
		if !ok {
			return
		}
		var ignored []string
		o, err := a.options(r, &ignored)
		if err != nil {
			badPayload(w, err, "")
			return
		}
		sigs, err := p(body, r.Header.Get("Content-Type"), o)
		if err != nil {
			badPayload(w, err, "")
			return
		}
		a.store(w, r, sigs, name, ignored)
	}
}

func badPayload(w http.ResponseWriter, err error, prefix string) {
	var fe *parse.FieldError
	if errors.As(err, &fe) {
		field := fe.Field
		if prefix != "" {
			field = strings.TrimSuffix(prefix+"."+field, ".")
		}
		httpx.Error(w, http.StatusBadRequest, fe.Error(), field)
		return
	}
	httpx.Error(w, http.StatusBadRequest, err.Error(), "")
}

// IntakeResponse is the answer to an intake request.
type IntakeResponse struct {
	Accepted int      `json:"accepted"`
	Opened   int      `json:"opened"`
	Repeated int      `json:"repeated"`
	Resolved int      `json:"resolved"`
	Acked    int      `json:"acknowledged"`
	Ignored  int      `json:"ignored"`
	Reasons  []string `json:"ignored_reasons,omitempty"`
	Alerts   []Result `json:"alerts"`
}

func (a *API) store(w http.ResponseWriter, r *http.Request, sigs []parse.Signal, via string, ignored []string) {
	a.storeThen(w, r, sigs, via, ignored, nil)
}

// storeThen is store, with stored run after the signals are committed and
// before the answer.
func (a *API) storeThen(w http.ResponseWriter, r *http.Request, sigs []parse.Signal, via string, ignored []string, stored func()) {
	res, err := a.Svc.Ingest(r.Context(), sigs, via)
	if err != nil {
		a.Log.Error("alerts: storing alerts failed", "error", err)
		httpx.Error(w, http.StatusServiceUnavailable, "storing the alerts failed; retry", "")
		return
	}
	if stored != nil {
		stored()
	}
	out := IntakeResponse{Accepted: len(res), Alerts: res, Reasons: ignored, Ignored: len(ignored)}
	if out.Alerts == nil {
		out.Alerts = []Result{}
	}
	for _, x := range res {
		switch x.Action {
		case ActionOpened, ActionSuppressed:
			out.Opened++
		case ActionRepeated:
			out.Repeated++
		case ActionResolved:
			out.Resolved++
		case ActionAcknowledged:
			out.Acked++
		case ActionIgnored:
			out.Ignored++
		}
	}
	httpx.WriteJSON(w, http.StatusAccepted, out)
}

// cloudwatch is POST /api/v1/alerts/cloudwatch: an SNS HTTP/S
// subscription (SNS sends text/plain), or with a token the alarm message
// itself or an EventBridge alarm state change event.
//
// The token is checked before the body is read. Without one, only a post
// that says it comes from SNS is read, and at most httpx.MaxSNSBody.
func (a *API) cloudwatch(w http.ResponseWriter, r *http.Request) {
	name := ""
	limit := a.MaxBody
	if httpx.HasToken(r) || !httpx.IsSNS(r) {
		n, ok := a.Authorize(w, r, auth.ScopeIngestAlerts)
		if !ok {
			return
		}
		name = n
	} else {
		limit = min(limit, httpx.MaxSNSBody)
	}
	body, ok := a.readBodyMax(w, r, limit)
	if !ok {
		return
	}
	var ignored []string
	o, err := a.options(r, &ignored)
	if err != nil {
		badPayload(w, err, "")
		return
	}
	if !isSNS(r, body) {
		var sigs []parse.Signal
		var err error
		if isEvent(body) {
			sigs, err = parse.CloudWatchEvent(body, o)
		} else {
			sigs, err = parse.CloudWatch(body, o)
		}
		if err != nil {
			badPayload(w, err, "")
			return
		}
		a.store(w, r, sigs, name, ignored)
		return
	}
	m, err := snsverify.Parse(body)
	if err != nil {
		httpx.Error(w, http.StatusBadRequest, "SNS message: "+err.Error(), "")
		return
	}
	if name == "" && !slices.Contains(a.SNSTopics, m.TopicArn) {
		httpx.Error(w, http.StatusForbidden, "SNS topic "+m.TopicArn+" is not allowed: add ?token=… to the subscription URL, or list the topic under alerts.sns_topics", "TopicArn")
		return
	}
	if err := a.SNS.Verify(r.Context(), m); err != nil {
		a.Log.Warn("alerts: SNS message refused", "topic", m.TopicArn, "error", err)
		httpx.Error(w, http.StatusForbidden, "SNS signature check failed: "+err.Error(), "Signature")
		return
	}
	switch m.Type {
	case snsverify.TypeSubscriptionConfirmation:
		if _, err := a.SNS.ConfirmSubscription(r.Context(), m); err != nil {
			a.Log.Warn("alerts: confirming SNS subscription failed", "topic", m.TopicArn, "error", err)
			httpx.Error(w, http.StatusBadGateway, "confirming the subscription failed: "+err.Error(), "SubscribeURL")
			return
		}
		a.Log.Info("alerts: SNS subscription confirmed", "topic", m.TopicArn)
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "confirmed", "topic": m.TopicArn})
		return
	case snsverify.TypeNotification:
	default:
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ignored", "topic": m.TopicArn})
		return
	}
	// A message taken in before is absorbed: a signed alarm posted again
	// must not re-open an alert or call anyone (see sns.go).
	seen, err := a.Svc.SNSSeen(r.Context(), m.MessageID)
	if err != nil {
		a.Log.Error("alerts: SNS replay check failed", "error", err)
		httpx.Error(w, http.StatusServiceUnavailable, "checking the SNS message failed; retry", "")
		return
	}
	if seen {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "duplicate", "message_id": m.MessageID})
		return
	}
	sigs, err := parse.CloudWatch([]byte(m.Message), o)
	if err != nil {
		badPayload(w, err, "Message")
		return
	}
	if name == "" {
		name = "sns:" + m.TopicArn
	}
	a.storeThen(w, r, sigs, name, ignored, func() {
		window := a.SNS.Window
		if window <= 0 {
			window = snsverify.DefaultWindow
		}
		sent, _ := time.Parse(time.RFC3339Nano, m.Timestamp) // Verify parsed it
		if err := a.Svc.RecordSNS(context.WithoutCancel(r.Context()), m.MessageID, m.TopicArn, sent.Add(window+time.Minute)); err != nil {
			a.Log.Warn("alerts: the SNS message was stored but could not be remembered; a repeat of it would be taken in again", "message_id", m.MessageID, "error", err)
		}
	})
}

// isSNS: SNS sets x-amz-sns-message-type; a body forwarded without the
// header is recognised by its fields.
func isSNS(r *http.Request, body []byte) bool {
	if r.Header.Get("X-Amz-Sns-Message-Type") != "" {
		return true
	}
	s := body[:min(len(body), 4096)]
	return bytes.Contains(s, []byte(`"SigningCertURL"`)) && bytes.Contains(s, []byte(`"Signature"`)) && bytes.Contains(s, []byte(`"TopicArn"`))
}

func isEvent(body []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(body, &probe) != nil {
		return false
	}
	_, ok := probe["detail-type"]
	return ok
}

// AlertJSON is an alert as the API shows it.
type AlertJSON struct {
	ID         int64             `json:"id"`
	System     string            `json:"system"`
	Policy     string            `json:"policy"`
	Source     string            `json:"source"`
	DedupKey   string            `json:"dedup_key"`
	Status     string            `json:"status"`
	Summary    string            `json:"summary"`
	Details    string            `json:"details,omitempty"`
	Severity   string            `json:"severity"`
	Host       string            `json:"host,omitempty"`
	Service    string            `json:"service,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	StartedAt  *time.Time        `json:"started_at,omitempty"`
	ReceivedAt time.Time         `json:"received_at"`
	LastSeenAt time.Time         `json:"last_seen_at"`
	Repeats    int               `json:"repeats"`
	Via        string            `json:"via,omitempty"`
	AckedAt    *time.Time        `json:"acked_at,omitempty"`
	AckedBy    string            `json:"acked_by,omitempty"`
	ResolvedAt *time.Time        `json:"resolved_at,omitempty"`
	ResolvedBy string            `json:"resolved_by,omitempty"`
	Assignee   string            `json:"assignee"`
	IncidentID int64             `json:"incident_id,omitempty"`
	Calls      []CallJSON        `json:"calls,omitempty"`
}

// CallJSON is a call as the API shows it.
type CallJSON struct {
	ID               int64      `json:"id"`
	Round            int        `json:"round"`
	Position         int        `json:"position"`
	Callee           string     `json:"callee"`
	ContactID        string     `json:"contact_id,omitempty"`
	State            string     `json:"state"`
	RequestedAt      time.Time  `json:"requested_at"`
	AnsweredAt       *time.Time `json:"answered_at,omitempty"`
	EndedAt          *time.Time `json:"ended_at,omitempty"`
	DisconnectReason string     `json:"disconnect_reason,omitempty"`
	Key              string     `json:"key,omitempty"`
	Outcome          string     `json:"outcome,omitempty"`
	Error            string     `json:"error,omitempty"`
}

func opt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// ToJSON converts an alert for the API.
func ToJSON(a *Alert, calls []*Call) AlertJSON {
	j := AlertJSON{ID: a.ID, System: a.System, Policy: a.Policy, Source: a.Source, DedupKey: a.DedupKey, Status: a.Status,
		Summary: a.Summary, Details: a.Details, Severity: a.Severity, Host: a.Host, Service: a.Service, Labels: a.Labels,
		StartedAt: opt(a.StartedAt), ReceivedAt: a.ReceivedAt, LastSeenAt: a.LastSeenAt, Repeats: a.Repeats, Via: a.Via,
		AckedAt: opt(a.AckedAt), AckedBy: a.AckedBy, ResolvedAt: opt(a.ResolvedAt), ResolvedBy: a.ResolvedBy,
		IncidentID: a.IncidentID}
	for _, c := range calls {
		j.Calls = append(j.Calls, CallJSON{ID: c.ID, Round: c.Round, Position: c.Position, Callee: c.Callee, ContactID: c.ContactID,
			State: c.State, RequestedAt: c.RequestedAt, AnsweredAt: opt(c.AnsweredAt), EndedAt: opt(c.EndedAt),
			DisconnectReason: c.DisconnectReason, Key: c.Key, Outcome: c.Outcome, Error: c.Error})
	}
	return j
}

func (a *API) list(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	f := Filter{Status: q.Get("status"), System: q.Get("system")}
	if f.Status != "" && f.Status != "active" && !slices.Contains(Statuses, f.Status) {
		httpx.Error(w, http.StatusBadRequest, "status must be active, "+strings.Join(Statuses, ", "), "status")
		return
	}
	search, err := ParseSearch(q.Get("q"))
	if err != nil {
		httpx.Error(w, http.StatusBadRequest, err.Error(), "q")
		return
	}
	f.Search = search
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	if v := q.Get("incident"); v != "" {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			f.Incident = id
		} else {
			httpx.Error(w, http.StatusBadRequest, "incident must be an incident id", "incident")
			return
		}
	}
	list, err := a.Svc.List(r.Context(), f)
	if err != nil {
		a.Log.Error("alerts: list", "error", err)
		httpx.Error(w, http.StatusInternalServerError, "listing alerts failed", "")
		return
	}
	ids := make([]int64, len(list))
	for i, x := range list {
		ids[i] = x.ID
	}
	assignees, err := a.Svc.Assignees(r.Context(), ids)
	if err != nil {
		a.Log.Error("alerts: list", "error", err)
		httpx.Error(w, http.StatusInternalServerError, "listing alerts failed", "")
		return
	}
	out := make([]AlertJSON, 0, len(list))
	for _, x := range list {
		j := ToJSON(x, nil)
		j.Assignee = assignees[x.ID]
		out = append(out, j)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"alerts": out})
}

func pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimPrefix(r.PathValue("id"), "#"), 10, 64)
	if err != nil || id <= 0 {
		httpx.Error(w, http.StatusNotFound, "no such alert", "id")
		return 0, false
	}
	return id, true
}

func (a *API) get(w http.ResponseWriter, r *http.Request, _ string) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	al, err := a.Svc.Get(r.Context(), id)
	if errors.Is(err, ErrNotFound) {
		httpx.Error(w, http.StatusNotFound, "no such alert", "id")
		return
	}
	if err != nil {
		a.Log.Error("alerts: get", "error", err)
		httpx.Error(w, http.StatusInternalServerError, "reading the alert failed", "")
		return
	}
	calls, err := a.Svc.Calls(r.Context(), id)
	if err != nil {
		a.Log.Error("alerts: calls", "error", err)
		httpx.Error(w, http.StatusInternalServerError, "reading the alert failed", "")
		return
	}
	j := ToJSON(al, calls)
	if j.Assignee, err = a.Svc.Assignee(r.Context(), id); err != nil {
		a.Log.Error("alerts: assignee", "error", err)
		httpx.Error(w, http.StatusInternalServerError, "reading the alert failed", "")
		return
	}
	httpx.WriteJSON(w, http.StatusOK, j)
}

// change is POST /api/v1/alerts/{id}/ack|resolve; the body may name who
// ({"by": "sato"}), else the token's name is recorded.
func (a *API) change(to string) func(w http.ResponseWriter, r *http.Request, token string) {
	return func(w http.ResponseWriter, r *http.Request, token string) {
		id, ok := pathID(w, r)
		if !ok {
			return
		}
		by := token
		if body, ok := a.readBody(w, r); !ok {
			return
		} else if len(bytes.TrimSpace(body)) > 0 {
			if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
				r.Body = io.NopCloser(bytes.NewReader(body))
				_ = r.ParseForm()
				if v := strings.TrimSpace(r.PostForm.Get("by")); v != "" {
					by = v
				}
			} else {
				var in struct {
					By string `json:"by"`
				}
				if err := json.Unmarshal(body, &in); err != nil {
					httpx.Error(w, http.StatusBadRequest, "the body must be JSON such as {\"by\": \"name\"}: "+err.Error(), "")
					return
				}
				if v := strings.TrimSpace(in.By); v != "" {
					by = v
				}
			}
		}
		by = clip(by, 100)
		var al *Alert
		var changed bool
		var err error
		if to == StatusAcknowledged {
			al, changed, err = a.Svc.Ack(r.Context(), id, by, "api")
		} else {
			al, changed, err = a.Svc.Resolve(r.Context(), id, by, "api")
		}
		switch {
		case errors.Is(err, ErrNotFound):
			httpx.Error(w, http.StatusNotFound, "no such alert", "id")
			return
		case errors.Is(err, ErrNotActive):
			httpx.Error(w, http.StatusConflict, "the alert is resolved", "id")
			return
		case err != nil:
			a.Log.Error("alerts: change", "to", to, "error", err)
			httpx.Error(w, http.StatusServiceUnavailable, "changing the alert failed; retry", "")
			return
		}
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"id": al.ID, "status": al.Status, "changed": changed})
	}
}
