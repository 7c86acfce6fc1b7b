package alerts

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/alerts/parse"
)

// SourceEvent is the Signal.Source of alerts opened by an event rule.
const SourceEvent = "event"

// EventRule is what an event rule's "alert" action asks for.
type EventRule struct {
	// Op is "auto" (follow a CloudWatch alarm: ALARM opens, OK
	// resolves), "open" or "resolve".
	Op string
	// System overrides the system the event names (or the default).
	System string
	// IntakeSystem is the system the URL of the event's delivery named
	// (/api/v1/events?system=NAME): used when neither the rule nor the
	// event names one, before alerts.default_system.
	IntakeSystem string
	// Severity overrides the severity of an opened alert.
	Severity string
}

// errNoEventSystem explains, for an event, every place a system can come
// from (the alert endpoints' own message speaks of their URL only).
func errNoEventSystem(what string) error {
	return &parse.FieldError{Field: "system", Msg: "no system for " + what +
		`add ?system=NAME to the URL that posts the events (/api/v1/events?system=NAME), ` +
		`give the rule's alert action a system (a rule of events.rules or the console; the built-in rule has none), ` +
		`or set alerts.default_system`}
}

// SignalsFromEvent turns an AWS event (the EventBridge JSON) into signals
// for an event rule's alert action. With op auto the event must be a
// "CloudWatch Alarm State Change"; with open or resolve any event does:
// the alert's key is its source and resources (so an event that resolves
// names the same resources as the one that opened), its summary the
// detail-type and resources.
//
// The system, first found first: the rule's System; the alarm's "system"
// tag (op auto); the delivery's ?system= (IntakeSystem); o.DefaultSystem
// (alerts.default_system).
func SignalsFromEvent(raw []byte, r EventRule, o parse.Options) ([]parse.Signal, error) {
	if r.IntakeSystem != "" {
		o.DefaultSystem = r.IntakeSystem
	}
	if r.System != "" {
		o.DefaultSystem = r.System
	}
	var sigs []parse.Signal
	switch r.Op {
	case "", "auto":
		var err error
		sigs, err = parse.CloudWatchEvent(raw, o)
		var fe *parse.FieldError
		if errors.As(err, &fe) && fe.Field == "system" && strings.HasPrefix(fe.Msg, "no system") {
			return nil, errNoEventSystem(`this alarm: tag the alarm "system" (with tag propagation on), `)
		}
		if err != nil {
			return nil, err
		}
	case "open", "resolve":
		s, err := genericSignal(raw, r.Op, o)
		if err != nil {
			return nil, err
		}
		sigs = []parse.Signal{s}
	default:
		return nil, fmt.Errorf("alert action op %q is not auto, open or resolve", r.Op)
	}
	for i := range sigs {
		if r.System != "" {
			sigs[i].System = r.System
		}
		if r.Severity != "" && sigs[i].Status == parse.StatusFiring {
			sigs[i].Severity = normalizeSeverity(r.Severity)
		}
	}
	return sigs, nil
}

type eventEnvelope struct {
	ID         string          `json:"id"`
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Account    string          `json:"account"`
	Region     string          `json:"region"`
	Time       string          `json:"time"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

func genericSignal(raw []byte, op string, o parse.Options) (parse.Signal, error) {
	var ev eventEnvelope
	if err := json.Unmarshal(raw, &ev); err != nil {
		return parse.Signal{}, &parse.FieldError{Msg: "is not an EventBridge event: " + err.Error()}
	}
	if ev.Source == "" || ev.DetailType == "" {
		return parse.Signal{}, &parse.FieldError{Field: "source", Msg: "an EventBridge event needs source and detail-type"}
	}
	system := strings.TrimSpace(o.DefaultSystem)
	if system == "" {
		return parse.Signal{}, errNoEventSystem("this event: ")
	}
	res := slices.Clone(ev.Resources)
	slices.Sort(res)
	keyPart := strings.Join(res, ",")
	if keyPart == "" {
		keyPart = ev.DetailType
	}
	key := ev.Source + ":" + keyPart
	if utf8.RuneCountInString(key) > parse.MaxDedupKey {
		sum := sha256.Sum256([]byte(key))
		key = clipRunes(ev.Source, 100) + ":sha256:" + hex.EncodeToString(sum[:16])
	}
	summary := ev.DetailType
	if len(res) > 0 {
		summary += ": " + strings.Join(res, ", ")
	}
	s := parse.Signal{
		Source:   SourceEvent,
		System:   system,
		DedupKey: key,
		Status:   parse.StatusFiring,
		Summary:  clipRunes(summary, parse.MaxSummary),
		Details:  clip(string(ev.Detail), parse.MaxDetails),
		Severity: parse.SeverityUnspecified, // unless the rule says (Severity)
		Host:     ev.Account,
		Service:  ev.Source,
		Labels:   map[string]string{"event_id": ev.ID, "detail_type": ev.DetailType, "region": ev.Region, "account": ev.Account},
	}
	if op == "resolve" {
		s.Status = parse.StatusResolved
		s.Severity = parse.SeverityInfo
	}
	if t, err := time.Parse(time.RFC3339, ev.Time); err == nil {
		s.StartedAt = t.UTC()
	}
	return s, nil
}

func normalizeSeverity(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical", "crit", "fatal", "emergency", "page", "p1", "sev1":
		return parse.SeverityCritical
	case "error", "err", "high", "major", "p2", "sev2":
		return parse.SeverityError
	case "warning", "warn", "medium", "minor", "p3", "sev3":
		return parse.SeverityWarning
	case "info", "information", "low", "notice", "p4", "p5":
		return parse.SeverityInfo
	}
	return parse.SeverityCritical
}

// ContactIDsFromEvent reads the contact id (then the initial contact id,
// when different) of an "Amazon Connect Contact Event".
func ContactIDsFromEvent(raw []byte) ([]string, error) {
	var ev struct {
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
		Detail     struct {
			ContactID        string `json:"contactId"`
			InitialContactID string `json:"initialContactId"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("not an EventBridge event: %w", err)
	}
	if ev.Source != "aws.connect" {
		return nil, fmt.Errorf("source %q is not aws.connect", ev.Source)
	}
	var ids []string
	for _, id := range []string{ev.Detail.ContactID, ev.Detail.InitialContactID} {
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("the event has no detail.contactId")
	}
	return ids, nil
}
