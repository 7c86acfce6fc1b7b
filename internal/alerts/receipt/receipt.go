// Package receipt reads the delivery receipts of SMS and email pages: the
// event records AWS End User Messaging SMS and Amazon SES publish to a
// configuration set's event destination (here an SNS topic subscribed to
// opsdesk, see docs/oncall.md "Delivery receipts").
//
// A receipt says what finally became of one message, named by the
// MessageId the send returned (the page's ref): delivered, bounced (an
// email returned by the receiving side) or failed (not deliverable).
// Events that are not final — queued, pending, a delayed email, a send, an
// open or a click — and event types this package does not know are
// returned with no Outcome: the caller ignores them. AWS adds event types
// over time, and a new one must not make a receipt endpoint refuse every
// message of its topic.
package receipt

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/opsdesk/opsdesk/internal/textutil"
)

// Kinds of message a receipt is about (the page kinds of package alerts).
const (
	KindSMS   = "sms"
	KindEmail = "email"
)

// Outcomes of a receipt ("" for an event that is not a final outcome).
const (
	Delivered = "delivered"
	Bounced   = "bounced"
	Failed    = "failed"
)

// Limits of what a receipt carries on.
const (
	// MaxRef bounds a MessageId (SES's are about 60 characters, End User
	// Messaging's 36).
	MaxRef = 200
	// MaxDetail bounds the detail, which goes on an alert's timeline.
	MaxDetail = 500
)

// Receipt is one event about one message.
type Receipt struct {
	Kind  string // KindSMS or KindEmail; "" when the record is neither
	Ref   string // the message's MessageId
	Event string // the event type as published (TEXT_DELIVERED, Bounce, …)
	// Outcome is Delivered, Bounced or Failed; "" when the event does not
	// settle the message (the caller ignores it).
	Outcome string
	// Detail is what the provider said: the carrier's status, the bounce
	// type and the recipient's status, the SMTP response.
	Detail string
}

// Error is a record that cannot be read; Field names the member at fault
// ("mail.messageId"), "" for a record that is not a JSON object.
type Error struct {
	Field string
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return "receipt: " + e.Msg
	}
	return "receipt: " + e.Field + ": " + e.Msg
}

// Parse reads one event record: an End User Messaging SMS event, or an
// SES event (event publishing's eventType, or the older identity
// notifications' notificationType).
func Parse(b []byte) (*Receipt, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, jsonError(err)
	}
	if probe == nil {
		return nil, &Error{"", "the record is null, not a JSON object"}
	}
	if _, ok := probe["mail"]; ok {
		return parseSES(b)
	}
	if _, ok := probe["eventType"]; ok {
		return parseSMS(b)
	}
	return nil, &Error{"eventType", "missing: the record is neither an End User Messaging SMS event nor an SES event"}
}

// SMS event types that settle a message. TEXT_DELIVERED and
// TEXT_SUCCESSFUL (accepted by the carrier) are used interchangeably
// depending on the destination country; both count as delivered.
var smsOutcomes = map[string]string{
	"TEXT_DELIVERED":           Delivered,
	"TEXT_SUCCESSFUL":          Delivered,
	"TEXT_BLOCKED":             Failed,
	"TEXT_CARRIER_BLOCKED":     Failed,
	"TEXT_PROTECT_BLOCKED":     Failed,
	"TEXT_SPAM":                Failed,
	"TEXT_TTL_EXPIRED":         Failed,
	"TEXT_CARRIER_UNREACHABLE": Failed,
	"TEXT_UNREACHABLE":         Failed,
	"TEXT_INVALID":             Failed,
	"TEXT_INVALID_MESSAGE":     Failed,
	"TEXT_UNKNOWN":             Failed,
}

type smsEvent struct {
	EventType                string `json:"eventType"`
	IsFinal                  *bool  `json:"isFinal"`
	MessageID                string `json:"messageId"`
	MessageStatus            string `json:"messageStatus"`
	MessageStatusDescription string `json:"messageStatusDescription"`
}

func parseSMS(b []byte) (*Receipt, error) {
	var ev smsEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		return nil, jsonError(err)
	}
	if ev.EventType == "" {
		return nil, &Error{"eventType", "empty"}
	}
	r := &Receipt{Kind: KindSMS, Event: clean(ev.EventType, 100)}
	outcome, known := smsOutcomes[ev.EventType]
	if !known {
		// TEXT_QUEUED, TEXT_PENDING, voice and MMS events, new types.
		if !strings.HasPrefix(ev.EventType, "TEXT_") {
			r.Kind = ""
		}
		return r, nil
	}
	ref, err := messageID(ev.MessageID, "messageId")
	if err != nil {
		return nil, err
	}
	r.Ref = ref
	if outcome == Failed && ev.IsFinal != nil && !*ev.IsFinal {
		// A failure the service may still retry past (a carrier that
		// was unreachable for a moment): the final event follows.
		return r, nil
	}
	r.Outcome = outcome
	r.Detail = joinDetail(ev.MessageStatus, ev.MessageStatusDescription)
	if r.Detail == "" {
		r.Detail = r.Event
	}
	return r, nil
}

type sesEvent struct {
	EventType        string `json:"eventType"`
	NotificationType string `json:"notificationType"`
	Mail             *struct {
		MessageID string `json:"messageId"`
	} `json:"mail"`
	Delivery *struct {
		SMTPResponse string `json:"smtpResponse"`
	} `json:"delivery"`
	Bounce *struct {
		BounceType        string `json:"bounceType"`
		BounceSubType     string `json:"bounceSubType"`
		BouncedRecipients []struct {
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint *struct {
		ComplaintFeedbackType string `json:"complaintFeedbackType"`
	} `json:"complaint"`
	Reject *struct {
		Reason string `json:"reason"`
	} `json:"reject"`
	Failure *struct {
		ErrorMessage string `json:"errorMessage"`
	} `json:"failure"`
}

func parseSES(b []byte) (*Receipt, error) {
	var ev sesEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		return nil, jsonError(err)
	}
	typ := ev.EventType
	if typ == "" {
		typ = ev.NotificationType
	}
	if typ == "" {
		return nil, &Error{"eventType", "missing: an SES event names its eventType (or notificationType)"}
	}
	r := &Receipt{Kind: KindEmail, Event: clean(typ, 100)}
	switch typ {
	case "Delivery", "Bounce", "Complaint", "Reject", "Rendering Failure":
	default:
		// Send, DeliveryDelay (SES keeps trying), Open, Click,
		// Subscription, and types added later.
		return r, nil
	}
	if ev.Mail == nil {
		return nil, &Error{"mail", "missing: the event does not say which message it is about"}
	}
	ref, err := messageID(ev.Mail.MessageID, "mail.messageId")
	if err != nil {
		return nil, err
	}
	r.Ref = ref
	switch typ {
	case "Delivery":
		r.Outcome = Delivered
		if ev.Delivery != nil {
			r.Detail = clean(ev.Delivery.SMTPResponse, MaxDetail)
		}
	case "Complaint":
		// The message arrived; its recipient reported it as spam (and SES
		// may suppress the address from now on): the detail says so.
		r.Outcome = Delivered
		r.Detail = "complaint"
		if ev.Complaint != nil && ev.Complaint.ComplaintFeedbackType != "" {
			r.Detail = "complaint (" + clean(ev.Complaint.ComplaintFeedbackType, 50) + ")"
		}
	case "Bounce":
		if ev.Bounce == nil {
			return nil, &Error{"bounce", "missing: a Bounce event describes its bounce"}
		}
		if ev.Bounce.BounceType == "" {
			return nil, &Error{"bounce.bounceType", "missing: Permanent, Transient or Undetermined"}
		}
		r.Outcome = Bounced
		d := ev.Bounce.BounceType
		if ev.Bounce.BounceSubType != "" {
			d += "/" + ev.Bounce.BounceSubType
		}
		d += " bounce"
		if len(ev.Bounce.BouncedRecipients) > 0 {
			br := ev.Bounce.BouncedRecipients[0]
			d = joinDetail(d, joinDetail(br.Status, br.DiagnosticCode))
		}
		r.Detail = clean(d, MaxDetail)
	case "Reject":
		r.Outcome = Failed
		r.Detail = "rejected by SES"
		if ev.Reject != nil && ev.Reject.Reason != "" {
			r.Detail += ": " + clean(ev.Reject.Reason, 200)
		}
	case "Rendering Failure":
		r.Outcome = Failed
		r.Detail = "template rendering failed"
		if ev.Failure != nil && ev.Failure.ErrorMessage != "" {
			r.Detail += ": " + clean(ev.Failure.ErrorMessage, 300)
		}
	}
	return r, nil
}

// messageID checks the id a receipt is about.
func messageID(id, field string) (string, error) {
	id = strings.TrimSpace(id)
	switch {
	case id == "":
		return "", &Error{field, "missing: the event does not say which message it is about"}
	case len(id) > MaxRef:
		return "", &Error{field, fmt.Sprintf("%d bytes: longer than a MessageId (at most %d)", len(id), MaxRef)}
	case strings.IndexFunc(id, func(r rune) bool { return r <= ' ' || r == unicode.ReplacementChar || r == 0x7f }) >= 0:
		return "", &Error{field, "not a MessageId: it holds spaces or control characters"}
	}
	return id, nil
}

// joinDetail is "a (b)", or whichever of the two is set.
func joinDetail(a, b string) string {
	a, b = clean(a, MaxDetail), clean(b, MaxDetail)
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return clean(a+" ("+b+")", MaxDetail)
}

// clean makes provider text one line of at most n bytes.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	return textutil.Cut(s, n)
}

// jsonError turns a decoding error into an Error naming the member.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			return &Error{"", fmt.Sprintf("the record is a JSON %s, not an object", te.Value)}
		}
		return &Error{field, fmt.Sprintf("a JSON %s where %s belongs", te.Value, jsonKind(te.Type.Kind().String()))}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{"", fmt.Sprintf("not JSON: %v (at byte %d)", se, se.Offset)}
	}
	return &Error{"", "not JSON: " + err.Error()}
}

func jsonKind(k string) string {
	switch k {
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	}
	return "a number"
}
