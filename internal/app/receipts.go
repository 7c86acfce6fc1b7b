package app

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/receipt"
	"github.com/opsdesk/opsdesk/internal/aws/snsverify"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/jobs"
)

// receiptsModule takes the delivery receipts of SMS and email pages:
//
//	POST /hooks/sns/receipts   an SNS HTTP/S subscription of a topic in oncall.receipts.sns_topics
//
// End User Messaging SMS and SES publish their events to the topic
// (docs/oncall.md, "Delivery receipts"). A message is admitted by its SNS
// signature alone, as the SNS intake of alerts admits one: the topic must
// be listed, the signature must check out, and only then is a
// subscription confirmed or a notification read. Its Message is an event
// record (package receipt); a final one settles the page whose ref is its
// MessageId (alerts.Service.RecordReceipt). Answers: 200 when the message
// was taken (recorded, ignored, or about a message opsdesk did not send —
// SNS must not retry those), 400 for a body that is not an SNS message or
// an event record that cannot be read, 403 for a topic not listed or a
// bad signature, 413 for a body larger than SNS sends, 503 when storing
// failed (SNS retries; recording a receipt again changes nothing).
func (a *App) receiptsModule(context.Context) (module, error) { return &receiptsModule{a: a}, nil }

type receiptsModule struct{ a *App }

func (m *receiptsModule) workers(context.Context, *river.Workers) ([]*river.PeriodicJob, error) {
	return nil, nil
}

func (m *receiptsModule) queueReady(jobs.Queue) {}

func (m *receiptsModule) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /hooks/sns/receipts", m.receipt)
}

func (m *receiptsModule) receipt(w http.ResponseWriter, r *http.Request) {
	a := m.a
	log := a.Log.With("component", "receipts")
	if httpx.TooLarge(r, httpx.MaxSNSBody) {
		httpx.Error(w, http.StatusRequestEntityTooLarge, "the body is larger than what SNS sends", "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, httpx.MaxSNSBody)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			httpx.Error(w, http.StatusRequestEntityTooLarge, "the body is larger than what SNS sends", "")
			return
		}
		httpx.Error(w, http.StatusBadRequest, "reading the body failed: "+err.Error(), "")
		return
	}
	msg, err := snsverify.Parse(body)
	if err != nil {
		httpx.Error(w, http.StatusBadRequest, "SNS message: "+err.Error(), "")
		return
	}
	if !a.Cfg.OnCall.Receipts.TopicAllowed(msg.TopicArn) {
		httpx.Error(w, http.StatusForbidden, "SNS topic "+msg.TopicArn+" is not allowed: list it under oncall.receipts.sns_topics", "TopicArn")
		return
	}
	sns := a.snsVerifier()
	if err := sns.Verify(r.Context(), msg); err != nil {
		log.Warn("receipts: SNS message refused", "topic", msg.TopicArn, "error", err)
		httpx.Error(w, http.StatusForbidden, "SNS signature check failed: "+err.Error(), "Signature")
		return
	}
	switch msg.Type {
	case snsverify.TypeSubscriptionConfirmation:
		if _, err := sns.ConfirmSubscription(r.Context(), msg); err != nil {
			log.Warn("receipts: confirming SNS subscription failed", "topic", msg.TopicArn, "error", err)
			httpx.Error(w, http.StatusBadGateway, "confirming the subscription failed: "+err.Error(), "SubscribeURL")
			return
		}
		log.Info("receipts: SNS subscription confirmed", "topic", msg.TopicArn)
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "confirmed", "topic": msg.TopicArn})
		return
	case snsverify.TypeNotification:
	default:
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ignored", "topic": msg.TopicArn})
		return
	}
	rc, err := receipt.Parse([]byte(msg.Message))
	if err != nil {
		field := "Message"
		var re *receipt.Error
		if errors.As(err, &re) && re.Field != "" {
			field += "." + re.Field
		}
		log.Warn("receipts: event record refused", "topic", msg.TopicArn, "message_id", msg.MessageID, "error", err)
		httpx.Error(w, http.StatusBadRequest, "event record: "+err.Error(), field)
		return
	}
	if rc.Outcome == "" {
		// Not final (pending, queued, a delayed email), not a page's kind
		// (a voice message), or an event type added since.
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ignored", "event": rc.Event})
		return
	}
	found, err := a.Alerts().RecordReceipt(r.Context(), rc.Kind, rc.Ref, rc.Outcome, rc.Detail)
	if err != nil {
		var ve *alerts.ValidationError
		if errors.As(err, &ve) {
			httpx.Error(w, http.StatusBadRequest, "event record: "+err.Error(), "Message")
			return
		}
		log.Error("receipts: recording a receipt failed", "kind", rc.Kind, "ref", rc.Ref, "error", err)
		httpx.Error(w, http.StatusServiceUnavailable, "recording the receipt failed; retry", "")
		return
	}
	if !found {
		// A message opsdesk did not send (a configuration set shared with
		// other senders), or one of an alert deleted since.
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "unknown message", "kind": rc.Kind, "message_id": rc.Ref})
		return
	}
	log.Info("receipts: receipt recorded", "kind", rc.Kind, "ref", rc.Ref, "outcome", rc.Outcome, "event", rc.Event)
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "recorded", "kind": rc.Kind, "message_id": rc.Ref, "outcome": rc.Outcome})
}
