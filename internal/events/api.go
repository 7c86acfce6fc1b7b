package events

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/aws/snsverify"
	"github.com/opsdesk/opsdesk/internal/events/payload"
	"github.com/opsdesk/opsdesk/internal/httpx"
)

// API serves POST /api/v1/events.
//
// A request is admitted with an API token holding the scope ingest:events
// (Authorization: Bearer, or ?token= for senders that cannot set headers —
// EventBridge API destinations can, SNS subscriptions put it in the URL),
// or, for an SNS HTTP/S subscription, by a valid SNS signature from a
// topic listed in events.sns_topics. The token is checked before any of
// the body is read; a request without one is read only when it says it
// comes from SNS (x-amz-sns-message-type), and then at most
// httpx.MaxSNSBody. SNS messages are always signature-checked, token or
// not; a SubscriptionConfirmation is confirmed.
//
// ?system=NAME (or the seed's ?systemname=NAME) in the URL names the
// system of the alerts the delivery's events open, for alert actions whose
// rule names none and events (alarms) that name none themselves.
//
// Answers: 202 with what was accepted (duplicates absorbed, bad records of
// a batch listed under "failed"), 400 naming the field when nothing in the
// body is usable, 401 without credentials, 403 for a token without the
// scope or a bad SNS signature.
type API struct {
	Svc *Service
	// Authorize admits a request whose API token has the scope, or
	// answers it and returns false; it reads nothing of the body
	// (auth.Service.Authorize).
	Authorize func(w http.ResponseWriter, r *http.Request, scope string) (token string, ok bool)
	SNS       *snsverify.Verifier
	// SNSTopics are the topics accepted without a token.
	SNSTopics []string
	MaxBody   int64
	Log       *slog.Logger
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tokenOK := false
	limit, limitName := a.MaxBody, "events.max_body_bytes"
	if httpx.HasToken(r) || !httpx.IsSNS(r) {
		if _, ok := a.Authorize(w, r, auth.ScopeIngestEvents); !ok {
			return
		}
		tokenOK = true
	} else if httpx.MaxSNSBody < limit {
		limit, limitName = httpx.MaxSNSBody, "what SNS sends"
	}
	if httpx.TooLarge(r, limit) {
		httpx.Error(w, http.StatusRequestEntityTooLarge, "the body is larger than "+limitName, "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			httpx.Error(w, http.StatusRequestEntityTooLarge, "the body is larger than "+limitName, "")
			return
		}
		httpx.Error(w, http.StatusBadRequest, "reading the body failed: "+err.Error(), "")
		return
	}
	via := "api"
	if v := r.Header.Get("X-Opsdesk-Via"); v == "lambda" {
		via = "lambda"
	}
	if isSNS(r, body) {
		m, err := snsverify.Parse(body)
		if err != nil {
			httpx.Error(w, http.StatusBadRequest, "SNS message: "+err.Error(), "")
			return
		}
		if !tokenOK && !slices.Contains(a.SNSTopics, m.TopicArn) {
			httpx.Error(w, http.StatusForbidden, "SNS topic "+m.TopicArn+" is not allowed: list it under events.sns_topics, or add ?token=… to the subscription URL", "TopicArn")
			return
		}
		if err := a.SNS.Verify(r.Context(), m); err != nil {
			a.Log.Warn("events: SNS message refused", "topic", m.TopicArn, "error", err)
			httpx.Error(w, http.StatusForbidden, "SNS signature check failed: "+err.Error(), "Signature")
			return
		}
		switch m.Type {
		case "SubscriptionConfirmation":
			if _, err := a.SNS.ConfirmSubscription(r.Context(), m); err != nil {
				a.Log.Warn("events: confirming SNS subscription failed", "topic", m.TopicArn, "error", err)
				httpx.Error(w, http.StatusBadGateway, "confirming the subscription failed: "+err.Error(), "SubscribeURL")
				return
			}
			a.Log.Info("events: SNS subscription confirmed", "topic", m.TopicArn)
			httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "confirmed", "topic": m.TopicArn})
			return
		case "UnsubscribeConfirmation":
			httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ignored", "topic": m.TopicArn})
			return
		}
		via = "sns"
	}
	batch, err := payload.Parse(body)
	if err != nil && (batch == nil || len(batch.Events) == 0) {
		var se *payload.ShapeError
		if errors.As(err, &se) {
			out := map[string]any{"error": se.Error(), "field": se.Field, "code": se.Code}
			if batch != nil && len(batch.Failed) > 0 {
				var failed []Failed
				for _, f := range batch.Failed {
					failed = append(failed, Failed{Index: f.Index, ID: f.ID, Field: f.Field, Error: f.Reason})
				}
				out["failed"] = failed
			}
			httpx.WriteJSON(w, http.StatusBadRequest, out)
			return
		}
		httpx.Error(w, http.StatusBadRequest, err.Error(), "")
		return
	}
	// ?system= (or the seed's ?systemname=) names the system of the alerts
	// that this delivery's events open when neither the event nor the
	// rule names one.
	system, err := parse.QuerySystem(r.URL.Query())
	if err != nil {
		field := ""
		if fe := (*parse.FieldError)(nil); errors.As(err, &fe) {
			field = fe.Field
		}
		httpx.Error(w, http.StatusBadRequest, err.Error(), field)
		return
	}
	res, err := a.Svc.IngestFor(r.Context(), batch, via, system)
	if err != nil {
		a.Log.Error("events: storing failed", "error", err)
		httpx.Error(w, http.StatusServiceUnavailable, "storing the events failed; retry", "")
		return
	}
	httpx.WriteJSON(w, http.StatusAccepted, res)
}

// isSNS: SNS sets x-amz-sns-message-type; a body forwarded without the
// header is recognised by its fields.
func isSNS(r *http.Request, body []byte) bool {
	if r.Header.Get("X-Amz-Sns-Message-Type") != "" {
		return true
	}
	s := string(body[:min(len(body), 4096)])
	return strings.Contains(s, `"SigningCertURL"`) && strings.Contains(s, `"Signature"`) && strings.Contains(s, `"TopicArn"`)
}
