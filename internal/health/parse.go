// Package health keeps AWS Health events as first-class records: one
// record per Health event (and affected account), updated as AWS sends
// updates (upcoming → open → closed), with the built-in notifications of
// events.health and the console's /health pages.
//
// Health events arrive like any other AWS event (POST /api/v1/events, an
// SQS queue, SNS): they are stored and routed by the event rules as
// usual, and the built-in rule aws-health runs this package's Apply on
// each, as an event action. Apply is idempotent (one history row per
// stored event, one notice per record, change and destination), so a
// retried or replayed action, a second replica or the same event
// delivered twice changes nothing.
package health

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Categories of Health events (detail.eventTypeCategory).
const (
	CategoryIssue               = "issue"
	CategoryScheduledChange     = "scheduledChange"
	CategoryAccountNotification = "accountNotification"
	CategoryInvestigation       = "investigation"
)

// Statuses of Health events (detail.statusCode).
const (
	StatusOpen     = "open"
	StatusUpcoming = "upcoming"
	StatusClosed   = "closed"
)

// Scopes (detail.eventScopeCode).
const (
	ScopePublic          = "PUBLIC"
	ScopeAccountSpecific = "ACCOUNT_SPECIFIC"
	ScopeNone            = "NONE"
)

// Categories lists the known categories, in the order filters show them.
var Categories = []string{CategoryIssue, CategoryScheduledChange, CategoryAccountNotification, CategoryInvestigation}

// Statuses lists the known statuses, in the order filters show them.
var Statuses = []string{StatusUpcoming, StatusOpen, StatusClosed}

// Update is one aws.health event, as the record it updates sees it.
type Update struct {
	// EventArn identifies the Health event; it is not unique to an
	// account (see Key).
	EventArn string
	// Account is the affected account: detail.affectedAccount when given
	// (organizational view), else the envelope's account.
	Account         string
	Service         string
	EventTypeCode   string
	Category        string
	Scope           string
	CommunicationID string
	Region          string // detail.eventRegion: where the event is, not where it was sent
	Status          string
	Start, End      time.Time
	LastUpdated     time.Time
	// Descriptions maps a language ("en_US") to its latest description.
	Descriptions map[string]string
	Entities     []Entity
}

// Entity is a resource the event affects.
type Entity struct {
	Value  string            `json:"value"`
	Status string            `json:"status,omitempty"`
	Tags   map[string]string `json:"tags,omitempty"`
}

// Key is the record an update belongs to: the event ARN and the affected
// account, or "" for a PUBLIC event, which is the same for every account
// that receives it.
func (u *Update) Key() (arn, account string) {
	if u.Scope == ScopePublic {
		return u.EventArn, ""
	}
	return u.EventArn, u.Account
}

// FieldError names the part of a Health event that is wrong.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return "health: " + e.Field + ": " + e.Msg }

// Limits on what one event may carry; AWS stays far below them, a forged
// or broken event is refused rather than stored at any size.
const (
	maxEntities  = 5000
	maxTextBytes = 64 << 10
)

type rawEvent struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Account    string          `json:"account"`
	Detail     json.RawMessage `json:"detail"`
}

type rawDetail struct {
	EventArn          string `json:"eventArn"`
	Service           string `json:"service"`
	EventTypeCode     string `json:"eventTypeCode"`
	EventTypeCategory string `json:"eventTypeCategory"`
	EventScopeCode    string `json:"eventScopeCode"`
	CommunicationID   string `json:"communicationId"`
	StartTime         string `json:"startTime"`
	EndTime           string `json:"endTime"`
	LastUpdatedTime   string `json:"lastUpdatedTime"`
	StatusCode        string `json:"statusCode"`
	EventRegion       string `json:"eventRegion"`
	EventDescription  []struct {
		Language          string `json:"language"`
		LatestDescription string `json:"latestDescription"`
	} `json:"eventDescription"`
	AffectedEntities []struct {
		EntityValue string            `json:"entityValue"`
		Status      string            `json:"status"`
		Tags        map[string]string `json:"tags"`
	} `json:"affectedEntities"`
	AffectedAccount string `json:"affectedAccount"`
}

// IsHealth reports whether an EventBridge envelope is an aws.health event.
func IsHealth(raw []byte) bool {
	var ev rawEvent
	return json.Unmarshal(raw, &ev) == nil && ev.Source == "aws.health"
}

// Parse reads an aws.health EventBridge event (the whole envelope). A
// missing event ARN, status or category, an unknown status, or a time
// that is not one AWS writes is an error naming the field.
func Parse(raw []byte) (*Update, error) {
	var ev rawEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, &FieldError{"event", "not a JSON object: " + err.Error()}
	}
	if ev.Source != "aws.health" {
		return nil, &FieldError{"source", fmt.Sprintf("%q is not aws.health", ev.Source)}
	}
	if len(ev.Detail) == 0 || string(ev.Detail) == "null" {
		return nil, &FieldError{"detail", "required"}
	}
	var d rawDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return nil, &FieldError{"detail", "not a Health event detail: " + err.Error()}
	}
	u := &Update{
		EventArn: strings.TrimSpace(d.EventArn), Service: strings.TrimSpace(d.Service), EventTypeCode: strings.TrimSpace(d.EventTypeCode),
		Category: strings.TrimSpace(d.EventTypeCategory), Scope: strings.TrimSpace(d.EventScopeCode), CommunicationID: strings.TrimSpace(d.CommunicationID),
		Region: strings.TrimSpace(d.EventRegion), Status: strings.TrimSpace(d.StatusCode),
		Account: strings.TrimSpace(d.AffectedAccount),
	}
	if u.Account == "" {
		u.Account = strings.TrimSpace(ev.Account)
	}
	switch {
	case u.EventArn == "":
		return nil, &FieldError{"detail.eventArn", "required"}
	case !strings.HasPrefix(u.EventArn, "arn:"):
		return nil, &FieldError{"detail.eventArn", fmt.Sprintf("%q is not an ARN", clipText(u.EventArn, 80))}
	case len(u.EventArn) > 1600:
		return nil, &FieldError{"detail.eventArn", "longer than 1600 characters"}
	}
	switch u.Status {
	case StatusOpen, StatusUpcoming, StatusClosed:
	case "":
		return nil, &FieldError{"detail.statusCode", "required (open, upcoming or closed)"}
	default:
		return nil, &FieldError{"detail.statusCode", fmt.Sprintf("%q is not open, upcoming or closed", clipText(u.Status, 40))}
	}
	if u.Category == "" {
		return nil, &FieldError{"detail.eventTypeCategory", "required"}
	}
	for _, f := range []struct {
		name string
		v    string
	}{{"detail.service", u.Service}, {"detail.eventTypeCode", u.EventTypeCode}, {"detail.eventTypeCategory", u.Category},
		{"detail.eventScopeCode", u.Scope}, {"detail.eventRegion", u.Region}, {"detail.communicationId", u.CommunicationID}, {"account", u.Account}} {
		if len(f.v) > 256 {
			return nil, &FieldError{f.name, "longer than 256 characters"}
		}
	}
	var err error
	if u.Start, err = parseTime("detail.startTime", d.StartTime); err != nil {
		return nil, err
	}
	if u.End, err = parseTime("detail.endTime", d.EndTime); err != nil {
		return nil, err
	}
	if u.LastUpdated, err = parseTime("detail.lastUpdatedTime", d.LastUpdatedTime); err != nil {
		return nil, err
	}
	if u.LastUpdated.IsZero() {
		// Without it updates cannot be ordered; AWS always sends it, the
		// start is the best stand-in for an event that does not.
		u.LastUpdated = u.Start
	}
	u.Descriptions = map[string]string{}
	for i, desc := range d.EventDescription {
		lang := strings.TrimSpace(desc.Language)
		if lang == "" {
			lang = "en_US"
		}
		if len(desc.LatestDescription) > maxTextBytes {
			return nil, &FieldError{fmt.Sprintf("detail.eventDescription[%d].latestDescription", i), "longer than 64 KiB"}
		}
		u.Descriptions[lang] = desc.LatestDescription
	}
	if len(d.AffectedEntities) > maxEntities {
		return nil, &FieldError{"detail.affectedEntities", fmt.Sprintf("more than %d entities", maxEntities)}
	}
	for i, e := range d.AffectedEntities {
		v := strings.TrimSpace(e.EntityValue)
		if v == "" {
			return nil, &FieldError{fmt.Sprintf("detail.affectedEntities[%d].entityValue", i), "required"}
		}
		if len(v) > 1600 {
			return nil, &FieldError{fmt.Sprintf("detail.affectedEntities[%d].entityValue", i), "longer than 1600 characters"}
		}
		u.Entities = append(u.Entities, Entity{Value: v, Status: strings.TrimSpace(e.Status), Tags: e.Tags})
	}
	return u, nil
}

// timeLayouts are the forms AWS Health writes times in: EventBridge
// events use RFC 1123 with "GMT" ("Wed, 21 Oct 2020 13:00:00 GMT"); the
// API and some forwarders write RFC 3339.
var timeLayouts = []string{time.RFC1123, time.RFC1123Z, time.RFC3339Nano, "Mon, 2 Jan 2006 15:04:05 MST"}

func parseTime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if t.Year() < 1970 || t.Year() > 9999 {
				break
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, &FieldError{field, fmt.Sprintf("%q is not a time (want e.g. \"Wed, 21 Oct 2020 13:00:00 GMT\")", clipText(s, 60))}
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r) + "…"
}

// DashboardURL links the event in the AWS Health Dashboard (its event log,
// details tab). The China partition has its own console.
func DashboardURL(arn string) string {
	host := "https://health.aws.amazon.com"
	if strings.HasPrefix(arn, "arn:aws-cn:") {
		host = "https://health.amazonaws.cn"
	}
	return host + "/health/home#/account/event-log?eventID=" + url.QueryEscape(arn) + "&eventTab=details"
}

// Description picks the description in the preferred language (a prefix
// such as "ja" matches "ja_JP"), else English, else any.
func Description(descs map[string]string, lang string) string {
	if len(descs) == 0 {
		return ""
	}
	keys := make([]string, 0, len(descs))
	for k := range descs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, want := range []string{lang, "en"} {
		if want == "" {
			continue
		}
		for _, k := range keys {
			if strings.EqualFold(k, want) || strings.HasPrefix(strings.ToLower(k), strings.ToLower(want)+"_") || strings.HasPrefix(strings.ToLower(k), strings.ToLower(want)+"-") {
				return descs[k]
			}
		}
	}
	return descs[keys[0]]
}
