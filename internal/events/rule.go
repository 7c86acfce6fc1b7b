// Package events takes AWS events in — EventBridge envelopes, S3, DynamoDB
// Streams, SNS and SQS records, SNS notifications — stores each one, routes
// it through EventBridge-style rules and runs the matched rules' actions
// as durable jobs.
//
// Flow: POST /api/v1/events → payload.Parse → match every event against
// the rule set (in memory, compiled) → one transaction stores the events,
// the rules they matched and one pending row per action → an "event
// actions" job per event runs them (notify a destination, open or resolve
// an alert, sync a Support case, feed an escalation's call status). The
// action rows are the truth: a job that runs twice finds its actions done.
//
// Rules come from three places: built-in rules (on by default), the
// config file (events.rules) and the console. The config's and the
// built-ins' are read-only in the console.
package events

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/template"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/events/pattern"
)

// Action types.
const (
	ActionNotify   = "notify"
	ActionAlert    = "alert"
	ActionSyncCase = "sync_case"
	ActionStore    = "store"
	// ActionCallStatus feeds an Amazon Connect contact event to the phone
	// escalation (built-in rule).
	ActionCallStatus = "call_status"
	// ActionHealth keeps an aws.health event's record up to date (the
	// built-in rule aws-health; internal/health).
	ActionHealth = "health"
)

// Rule origins.
const (
	OriginBuiltin = "builtin"
	OriginConfig  = "config"
	OriginConsole = "console"
)

// Action is one thing a rule does with a matched event.
type Action struct {
	Type string `json:"type"`
	// Destination names a configured destination (notify).
	Destination string `json:"destination,omitempty"`
	// Title and Template are text/template texts over the event (notify);
	// fields are reached as {{.source}}, {{field "detail.state.value"}}.
	Title    string `json:"title,omitempty"`
	Template string `json:"template,omitempty"`
	// System is the escalation policy an alert belongs to (alert).
	System string `json:"system,omitempty"`
	// Op is "open", "resolve" or "auto" (alert; auto follows a CloudWatch
	// alarm's state).
	Op string `json:"op,omitempty"`
	// Severity of an opened alert (alert).
	Severity string `json:"severity,omitempty"`
	// IntakeSystem is the system the URL of the delivery named
	// (/api/v1/events?system=NAME), recorded on every action of the event
	// when it is taken in: an alert action falls back on it when neither
	// the rule nor the event names a system. Rules never set it (Ingest
	// overwrites it).
	IntakeSystem string `json:"intake_system,omitempty"`
}

// Rule routes events that match Pattern to Actions.
type Rule struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Pattern     json.RawMessage `json:"pattern"`
	Actions     []Action        `json:"actions"`
	Enabled     bool            `json:"enabled"`
	Origin      string          `json:"origin"`

	compiled *pattern.Pattern
}

// NotConfigured is an action's error when the capability it needs is not
// set up in this opsdesk: no AWS account (aws.accounts) for sync_case, no
// system to page for an alarm that names none. A built-in rule's action
// is then skipped with this reason, not failed: built-in rules are on in
// every opsdesk, and an event they match must not turn the console red for
// a capability nobody set up. The same error fails an action of a rule
// from the config file or the console (someone asked for it), at once.
func NotConfigured(reason string) error { return &notConfiguredError{reason: reason} }

type notConfiguredError struct{ reason string }

func (e *notConfiguredError) Error() string { return e.reason }

// SkippedPrefix starts the result of a skipped action (status done).
const SkippedPrefix = "skipped: "

// SkipReason says why the action was skipped, if it was.
func (a ActionResult) SkipReason() (string, bool) {
	reason, ok := strings.CutPrefix(a.Result, SkippedPrefix)
	if !ok || a.Status != "done" {
		return "", false
	}
	return reason, true
}

// FieldError names the part of a rule that is wrong.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Compile validates the rule and compiles its pattern and templates.
// hasDest says whether a destination name exists.
func (r *Rule) Compile(hasDest func(string) bool) error {
	r.Name = strings.TrimSpace(r.Name)
	if err := config.ValidateName(r.Name); err != nil {
		return &FieldError{"name", err.Error()}
	}
	p, err := pattern.Compile(r.Pattern)
	if err != nil {
		return &FieldError{"pattern", err.Error()}
	}
	r.compiled = p
	if len(r.Actions) == 0 {
		return &FieldError{"actions", "a rule needs at least one action (use {\"type\": \"store\"} to keep matched events only)"}
	}
	for i := range r.Actions {
		a := &r.Actions[i]
		key := fmt.Sprintf("actions[%d]", i)
		switch a.Type {
		case ActionNotify:
			if a.Destination == "" {
				return &FieldError{key + ".destination", "required for notify"}
			}
			if hasDest != nil && !hasDest(a.Destination) {
				return &FieldError{key + ".destination", fmt.Sprintf("no destination is named %q", a.Destination)}
			}
			for _, t := range []struct{ name, text string }{{"title", a.Title}, {"template", a.Template}} {
				if _, err := newTemplate(t.text); err != nil {
					return &FieldError{key + "." + t.name, err.Error()}
				}
			}
		case ActionAlert:
			switch a.Op {
			case "":
				a.Op = "auto"
			case "open", "resolve", "auto":
			default:
				return &FieldError{key + ".op", fmt.Sprintf("%q must be open, resolve or auto", a.Op)}
			}
			switch a.Severity {
			case "", "critical", "error", "warning", "info":
			default:
				return &FieldError{key + ".severity", fmt.Sprintf("%q must be critical, error, warning or info", a.Severity)}
			}
		case ActionSyncCase, ActionStore, ActionCallStatus, ActionHealth:
		case "":
			return &FieldError{key + ".type", "required: notify, alert, sync_case or store"}
		default:
			return &FieldError{key + ".type", fmt.Sprintf("%q is not an action (notify, alert, sync_case, store)", a.Type)}
		}
	}
	return nil
}

// Compiled is the rule's compiled pattern (after Compile).
func (r *Rule) Compiled() *pattern.Pattern { return r.compiled }

func newTemplate(text string) (*template.Template, error) {
	return template.New("").Option("missingkey=zero").Funcs(templateFuncs).Parse(text)
}

// FromConfig converts the config file's rules.
func FromConfig(rs []config.EventRule) ([]Rule, error) {
	out := make([]Rule, 0, len(rs))
	for _, cr := range rs {
		r := Rule{Name: cr.Name, Description: cr.Description, Pattern: json.RawMessage(cr.Pattern), Enabled: cr.Enabled == nil || *cr.Enabled, Origin: OriginConfig}
		for _, a := range cr.Actions {
			r.Actions = append(r.Actions, Action{Type: a.Type, Destination: a.Destination, Title: a.Title, Template: a.Template, System: a.System, Op: a.Op, Severity: a.Severity})
		}
		out = append(out, r)
	}
	return out, nil
}

// SupportCaseID returns detail.case-id of an aws.support event ("" if
// absent).
func SupportCaseID(raw json.RawMessage) string {
	var ev struct {
		Detail struct {
			CaseID string `json:"case-id"`
		} `json:"detail"`
	}
	if json.Unmarshal(raw, &ev) != nil {
		return ""
	}
	return strings.TrimSpace(ev.Detail.CaseID)
}
