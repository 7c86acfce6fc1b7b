package events

import (
	"encoding/json"
	"slices"
)

// Names of the built-in rules.
const (
	RuleSupportCaseUpdate = "aws-support-case-update"
	RuleAlarmStateChange  = "aws-cloudwatch-alarm"
	RuleConnectContact    = "aws-connect-contact-event"
	RuleHealth            = "aws-health"
)

// Builtin returns the built-in rules, minus those named in disabled.
func Builtin(disabled []string) []Rule {
	all := []Rule{
		{
			Name:        RuleSupportCaseUpdate,
			Description: "AWS Support case created, answered, resolved or reopened: sync that case into the archive now.",
			Pattern:     json.RawMessage(`{"source":["aws.support"],"detail-type":["Support Case Update"]}`),
			Actions:     []Action{{Type: ActionSyncCase}},
		},
		{
			Name:        RuleAlarmStateChange,
			Description: "CloudWatch alarm state change: ALARM opens an alert for phone escalation, OK resolves it.",
			Pattern:     json.RawMessage(`{"source":["aws.cloudwatch"],"detail-type":["CloudWatch Alarm State Change"]}`),
			Actions:     []Action{{Type: ActionAlert, Op: "auto"}},
		},
		{
			Name:        RuleConnectContact,
			Description: "Amazon Connect contact event: tells the phone escalation at once how a call ended, instead of waiting for its next poll.",
			Pattern:     json.RawMessage(`{"source":["aws.connect"],"detail-type":["Amazon Connect Contact Event"]}`),
			Actions:     []Action{{Type: ActionCallStatus}},
		},
		{
			Name:        RuleHealth,
			Description: "AWS Health event: keeps one record per Health event up to date (the Health page) and sends the events.health notifications.",
			Pattern:     json.RawMessage(`{"source":["aws.health"],"detail-type":["AWS Health Event"]}`),
			Actions:     []Action{{Type: ActionHealth}},
		},
	}
	var out []Rule
	for _, r := range all {
		if slices.Contains(disabled, r.Name) {
			continue
		}
		r.Enabled, r.Origin = true, OriginBuiltin
		out = append(out, r)
	}
	return out
}
