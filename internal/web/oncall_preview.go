package web

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/oncall"
)

// The preview "if an alert came now" of the policy and routes pages: what
// alerts.Service.Preview says, in the page's words (panels_policies.html).

// directory is who is on call and how users are reached, for previews:
// Deps.Directory, else the schedules (of the schedule service, or of the
// config file) with nobody's contact methods known.
func (h *Handler) directory() alerts.Directory {
	if h.dir != nil {
		return h.dir
	}
	return scheduleDirectory{h.cfg, h.oncall}
}

type scheduleDirectory struct {
	cfg       *config.Config
	schedules OnCallService
}

func (d scheduleDirectory) OnCallAt(ctx context.Context, schedule string, t time.Time) (string, error) {
	s := d.cfg.OnCall.Schedule(schedule)
	if d.schedules != nil {
		var err error
		if s, err = d.schedules.Schedule(ctx, schedule); errors.Is(err, oncall.ErrNotFound) {
			return "", alerts.ErrNotFound
		} else if err != nil {
			return "", err
		}
	}
	if s == nil {
		return "", alerts.ErrNotFound
	}
	who, _, _ := oncall.OnCall(s, t)
	return who, nil
}

func (scheduleDirectory) Plan(context.Context, string, string) ([]alerts.Planned, error) {
	return nil, nil
}

type previewView struct {
	Decision   string
	Quiet      string
	Warning    string
	Steps      []previewStepView
	RoundsNote string
	Calls      []previewCallView
	CallsNote  string
}

type previewStepView struct {
	Title   string
	Targets []previewTargetView
}

type previewTargetView struct {
	Target  string
	Who     string
	Problem string
	Notices []string
}

type previewCallView struct {
	Name, Phone, Hours string
	OffHours           bool
}

func offset(d time.Duration) string { return "+" + durText(d) }

// methodLabel names a contact method's kind in the page's language.
func methodLabel(p *page, kind string) string {
	if _, ok := catalog["policies.method."+kind]; ok {
		return p.T("policies.method." + kind)
	}
	return kind
}

func routeText(p *page, r *alerts.Route) string {
	var sev []string
	for _, s := range r.Severities {
		v := s
		if s == "unspecified" {
			v = ""
		}
		sev = append(sev, alertSeverityLabel(p, v))
	}
	s := p.T("policies.any_severity")
	if len(sev) > 0 {
		s = strings.Join(sev, ", ")
	}
	if r.Hours != "" {
		s += "; " + r.Hours
	}
	return s
}

// previewFor puts a preview in the page's words.
func previewFor(p *page, res *alerts.PreviewResult) previewView {
	var v previewView
	sev := res.Severity
	if sev == "unspecified" {
		sev = ""
	}
	switch res.Mode {
	case alerts.PreviewRecordOnly:
		v.Decision = p.T("policies.preview_record_only", res.Route+1, routeText(p, res.Matched))
	case alerts.PreviewCallList:
		v.Decision = p.T("policies.preview_call_list", res.CallList)
	case alerts.PreviewNone:
		v.Decision = p.T("policies.preview_no_list", res.CallList)
	case alerts.PreviewPolicy:
		if res.Matched != nil {
			v.Decision = p.T("policies.preview_route", res.Route+1, routeText(p, res.Matched), res.Policy)
		} else {
			v.Decision = p.T("policies.preview_policy", res.Policy, alertSeverityLabel(p, sev))
		}
	}
	if !res.QuietUntil.IsZero() {
		v.Quiet = p.T("policies.preview_quiet", clockText(res.QuietUntil, p.zone()))
	}
	if res.PolicyMissing {
		v.Warning = p.T("policies.preview_missing", res.Policy)
	}
	for i, st := range res.Steps {
		sv := previewStepView{Title: p.T("policies.preview_step", i+1, offset(st.Start), durText(st.After))}
		if st.Reescalate > 0 {
			sv.Title += " · " + p.T("policies.reescalate_after", durText(st.Reescalate))
		}
		for _, t := range st.Targets {
			tv := previewTargetView{Target: t.Target.String(), Who: t.User}
			switch {
			case t.Error != "":
				tv.Problem = t.Error
			case t.NoSchedule:
				tv.Problem = p.T("policies.no_schedule", t.Target.Name)
			case t.NobodyOnCall:
				tv.Problem = p.T("policies.nobody_on_call")
			case t.NoMethods:
				tv.Problem = p.T("policies.no_methods")
			}
			for _, n := range t.Notices {
				to := n.Address
				if n.Kind == "chat" && n.Destination != "" {
					to = n.Destination
				}
				line := offset(n.At) + " " + methodLabel(p, n.Kind)
				if to != "" {
					line += " → " + to
				}
				if n.Label != "" {
					line += " (" + n.Label + ")"
				}
				tv.Notices = append(tv.Notices, line)
			}
			sv.Targets = append(sv.Targets, tv)
		}
		v.Steps = append(v.Steps, sv)
	}
	if res.Mode == alerts.PreviewPolicy && !res.PolicyMissing && res.Rounds > 1 {
		v.RoundsNote = p.T("policies.preview_rounds", res.Rounds, offset(res.Cycle))
	}
	for _, c := range res.Calls {
		v.Calls = append(v.Calls, previewCallView{Name: c.Name, Phone: c.Phone, Hours: c.Hours, OffHours: c.OffHours})
	}
	if res.Mode == alerts.PreviewCallList {
		v.CallsNote = p.T("policies.preview_calls", res.Rounds, durText(res.Wait))
	}
	return v
}
