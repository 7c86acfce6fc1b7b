package alerts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts/hours"
	"github.com/opsdesk/opsdesk/internal/config"
)

// What decides an alert's escalation (PreviewResult.Mode).
const (
	PreviewPolicy     = "policy"      // a route names an escalation policy
	PreviewCallList   = "call_list"   // no route matched: the system's call list
	PreviewRecordOnly = "record_only" // a record-only route matched
	PreviewNone       = "none"        // no route matched and there is no call list
)

// PreviewResult says what would happen to an alert of a system and
// severity arriving at At: which route matched (Route, -1 for none) and
// therefore who is notified, how and when, in the first round.
type PreviewResult struct {
	System   string
	Severity string // "unspecified" for an alert without one
	At       time.Time
	// Route is the index of the matching route of the system, -1 when
	// none matched; Matched is that route.
	Route   int
	Matched *Route
	Mode    string
	// QuietUntil is the end of the system's quiet period in force at At
	// (zero: not quiet): such an alert is kept and nobody is notified.
	QuietUntil time.Time

	// Policy mode: the policy's name, whether it exists, its rounds and
	// its steps in the first round.
	Policy        string
	PolicyMissing bool
	Rounds        int
	Steps         []PreviewStep
	// Cycle is the length of one round (the sum of the steps' delays):
	// round n starts Cycle×(n-1) after the alert.
	Cycle time.Duration

	// Call-list mode: the system whose call list is used (the alert's
	// system, or alerts.default_system), its people in order with their
	// numbers masked, and the wait between calls.
	CallList string
	Calls    []PreviewCall
	Wait     time.Duration
}

// PreviewStep is one step of the first round: it starts Start after the
// alert arrives and lasts After.
type PreviewStep struct {
	Start      time.Duration
	After      time.Duration
	Reescalate time.Duration
	Targets    []PreviewTarget
}

// PreviewTarget is what one target of a step comes to.
type PreviewTarget struct {
	Target Target
	// User is who is reached: the user target, or whoever is on call in
	// the schedule when the step starts.
	User string
	// NobodyOnCall: a schedule with nobody on call then; NoSchedule: no
	// schedule of that name (the directory said ErrNotFound).
	NobodyOnCall bool
	NoSchedule   bool
	// NoMethods: a user without verified contact methods.
	NoMethods bool
	// Error is why the target could not be worked out (a directory error).
	Error   string
	Notices []PreviewNotice
}

// PreviewNotice is one notification: At is its offset from the alert's
// arrival (the step's start plus the rule's delay). Address is masked.
type PreviewNotice struct {
	Kind, Address, Destination, Label string
	At                                time.Duration
}

// PreviewCall is one person of a call list, in calling order.
type PreviewCall struct {
	Name  string
	Phone string // masked
	Hours string
	// OffHours: the person's hours do not include At; the engine skips
	// them.
	OffHours bool
}

// Preview says who would be notified, how and when, if an alert of the
// system and severity arrived at at. It changes nothing. A system with no
// row of its own escalates through alerts.default_system, as ingest does;
// ErrNotFound when neither exists.
func (s *Service) Preview(ctx context.Context, system, severity string, at time.Time, dir Directory) (*PreviewResult, error) {
	severity = strings.TrimSpace(severity)
	if severity == "unspecified" {
		severity = ""
	}
	res := &PreviewResult{System: system, Severity: severityName(severity), At: at, Route: -1}
	sys, err := s.System(ctx, system)
	if errors.Is(err, ErrNotFound) && s.o.DefaultSystem != "" && s.o.DefaultSystem != system {
		sys, err = s.System(ctx, s.o.DefaultSystem)
	}
	if err != nil {
		return nil, err
	}
	// Quiet periods are the alert's system's own, as ingest reads them.
	if res.QuietUntil, err = s.quietUntil(ctx, s.st.R, system, at); err != nil {
		return nil, err
	}
	if r := matchRoute(sys.Routes, severity, at, s.o.Location); r != nil {
		for i := range sys.Routes {
			if &sys.Routes[i] == r {
				res.Route = i
			}
		}
		res.Matched = r
		if r.RecordOnly {
			res.Mode = PreviewRecordOnly
			return res, nil
		}
		res.Mode, res.Policy = PreviewPolicy, r.Policy
		p, err := s.Policy(ctx, r.Policy)
		if errors.Is(err, ErrNotFound) {
			res.PolicyMissing = true
			return res, nil
		}
		if err != nil {
			return nil, err
		}
		s.previewSteps(ctx, res, p, severity, at, dir)
		return res, nil
	}
	res.CallList, res.Rounds, res.Wait = sys.Name, sys.Rounds, sys.Wait
	if len(sys.Contacts) == 0 {
		res.Mode = PreviewNone
		return res, nil
	}
	res.Mode = PreviewCallList
	for _, c := range sys.Contacts {
		pc := PreviewCall{Name: c.Name, Phone: MaskAddress(c.Phone), Hours: c.Hours}
		if c.Hours != "" {
			h, err := hours.Parse(c.Hours)
			pc.OffHours = err != nil || !h.Contains(at, s.o.Location)
		}
		res.Calls = append(res.Calls, pc)
	}
	return res, nil
}

// PreviewPolicy is Preview for one policy, whatever routes to it: the
// policy editor's "if this alert came now".
func (s *Service) PreviewPolicy(ctx context.Context, policy, severity string, at time.Time, dir Directory) (*PreviewResult, error) {
	severity = strings.TrimSpace(severity)
	if severity == "unspecified" {
		severity = ""
	}
	p, err := s.Policy(ctx, policy)
	if err != nil {
		return nil, err
	}
	res := &PreviewResult{Severity: severityName(severity), At: at, Route: -1, Mode: PreviewPolicy, Policy: p.Name}
	s.previewSteps(ctx, res, p, severity, at, dir)
	return res, nil
}

// previewSteps fills the first round of policy p into res.
func (s *Service) previewSteps(ctx context.Context, res *PreviewResult, p *Policy, severity string, at time.Time, dir Directory) {
	res.Rounds = p.Rounds
	var start time.Duration
	for _, st := range p.Steps {
		after := st.After // 0: the next step at once, as the engine does
		ps := PreviewStep{Start: start, After: after, Reescalate: st.Reescalate}
		for _, t := range st.Targets {
			ps.Targets = append(ps.Targets, previewTarget(ctx, t, severity, at.Add(start), start, dir))
		}
		res.Steps = append(res.Steps, ps)
		start += after
	}
	res.Cycle = start
}

// previewTarget works out one target of a step starting at stepAt
// (offset from the alert's arrival).
func previewTarget(ctx context.Context, t Target, severity string, stepAt time.Time, offset time.Duration, dir Directory) PreviewTarget {
	pt := PreviewTarget{Target: t}
	switch t.Type {
	case config.TargetChat:
		pt.Notices = []PreviewNotice{{Kind: "chat", Destination: t.Name, At: offset}}
		return pt
	case config.TargetSchedule:
		if dir == nil {
			pt.NobodyOnCall = true
			return pt
		}
		who, err := dir.OnCallAt(ctx, t.Name, stepAt)
		if errors.Is(err, ErrNotFound) {
			pt.NoSchedule = true
			return pt
		}
		if err != nil {
			pt.Error = err.Error()
			return pt
		}
		if who == "" {
			pt.NobodyOnCall = true
			return pt
		}
		pt.User = who
	case config.TargetUser:
		pt.User = t.Name
	default:
		pt.Error = fmt.Sprintf("unknown target type %q", t.Type)
		return pt
	}
	var plan []Planned
	if dir != nil {
		var err error
		if plan, err = dir.Plan(ctx, pt.User, severity); err != nil {
			pt.Error = err.Error()
			return pt
		}
	}
	if len(plan) == 0 {
		pt.NoMethods = true
		return pt
	}
	for _, m := range plan {
		pt.Notices = append(pt.Notices, PreviewNotice{Kind: m.Kind, Address: MaskAddress(m.Address), Destination: m.Destination, Label: m.Label, At: offset + m.Delay})
	}
	return pt
}

// MaskAddress hides most of a phone number or an e-mail address, for
// pages and answers that show whom a plan reaches: "+819•••••678",
// "s•••@example.com".
func MaskAddress(a string) string {
	if a == "" {
		return ""
	}
	if local, domain, ok := strings.Cut(a, "@"); ok {
		r := []rune(local)
		if len(r) == 0 {
			return "•••@" + domain
		}
		return string(r[0]) + "•••@" + domain
	}
	r := []rune(a)
	if len(r) < 8 {
		return strings.Repeat("•", len(r))
	}
	return string(r[:4]) + strings.Repeat("•", len(r)-7) + string(r[len(r)-3:])
}
