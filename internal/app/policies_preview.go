package app

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/httpx"
)

// previewJSON is alerts.PreviewResult as the API writes it; offsets are
// durations from the alert's arrival ("2m").
type previewJSON struct {
	System        string              `json:"system"`
	Severity      string              `json:"severity"`
	At            time.Time           `json:"at"`
	Mode          string              `json:"mode"`
	Route         *int                `json:"route"`
	QuietUntil    *time.Time          `json:"quiet_until,omitempty"`
	Policy        string              `json:"policy,omitempty"`
	PolicyMissing bool                `json:"policy_missing,omitempty"`
	Rounds        int                 `json:"rounds,omitempty"`
	Cycle         string              `json:"cycle,omitempty"`
	Steps         []previewStepJSON   `json:"steps,omitempty"`
	CallList      string              `json:"call_list,omitempty"`
	Wait          string              `json:"wait,omitempty"`
	Calls         []alertsPreviewCall `json:"calls,omitempty"`
}

type previewStepJSON struct {
	Start      string              `json:"start"`
	After      string              `json:"after"`
	Reescalate string              `json:"reescalate,omitempty"`
	Targets    []previewTargetJSON `json:"targets"`
}

type previewTargetJSON struct {
	Target        string              `json:"target"`
	User          string              `json:"user,omitempty"`
	NobodyOnCall  bool                `json:"nobody_on_call,omitempty"`
	NoSchedule    bool                `json:"no_schedule,omitempty"`
	NoMethods     bool                `json:"no_methods,omitempty"`
	Error         string              `json:"error,omitempty"`
	Notifications []previewNoticeJSON `json:"notifications"`
}

type previewNoticeJSON struct {
	At          string `json:"at"`
	Kind        string `json:"kind"`
	Address     string `json:"address,omitempty"`
	Destination string `json:"destination,omitempty"`
	Label       string `json:"label,omitempty"`
}

type alertsPreviewCall struct {
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	Hours    string `json:"hours,omitempty"`
	OffHours bool   `json:"off_hours,omitempty"`
}

func previewOut(res *alerts.PreviewResult) previewJSON {
	out := previewJSON{System: res.System, Severity: res.Severity, At: res.At.UTC(), Mode: res.Mode, QuietUntil: optTimeJSON(res.QuietUntil),
		Policy: res.Policy, PolicyMissing: res.PolicyMissing, Rounds: res.Rounds, CallList: res.CallList}
	if res.Route >= 0 {
		r := res.Route
		out.Route = &r
	}
	if res.Mode == alerts.PreviewPolicy && !res.PolicyMissing {
		out.Cycle = durText(res.Cycle)
	}
	if res.Mode == alerts.PreviewCallList || res.Mode == alerts.PreviewNone {
		out.Wait = durText(res.Wait)
	}
	for _, st := range res.Steps {
		sj := previewStepJSON{Start: durText(st.Start), After: durText(st.After), Targets: []previewTargetJSON{}}
		if st.Reescalate > 0 {
			sj.Reescalate = durText(st.Reescalate)
		}
		for _, t := range st.Targets {
			tj := previewTargetJSON{Target: t.Target.String(), User: t.User, NobodyOnCall: t.NobodyOnCall, NoSchedule: t.NoSchedule,
				NoMethods: t.NoMethods, Error: t.Error, Notifications: []previewNoticeJSON{}}
			for _, n := range t.Notices {
				tj.Notifications = append(tj.Notifications, previewNoticeJSON{At: durText(n.At), Kind: n.Kind, Address: n.Address, Destination: n.Destination, Label: n.Label})
			}
			sj.Targets = append(sj.Targets, tj)
		}
		out.Steps = append(out.Steps, sj)
	}
	for _, c := range res.Calls {
		out.Calls = append(out.Calls, alertsPreviewCall{Name: c.Name, Phone: c.Phone, Hours: c.Hours, OffHours: c.OffHours})
	}
	return out
}

// preview is GET /api/v1/systems/{name}/preview?severity=&at=: what an
// alert of the system and severity (default critical) arriving at at
// (RFC 3339, default now) would do. It changes nothing.
func (m *policiesModule) preview(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	severity := q.Get("severity")
	if severity == "" {
		severity = "critical"
	}
	if !slices.Contains(config.Severities, severity) {
		httpx.Error(w, http.StatusBadRequest, fmt.Sprintf("%q is not a severity (%s)", severity, strings.Join(config.Severities, ", ")), "severity")
		return
	}
	at := m.a.now()
	if v := q.Get("at"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			httpx.Error(w, http.StatusBadRequest, fmt.Sprintf("at: %q is not an RFC 3339 time (2026-03-10T09:00:00+09:00)", v), "at")
			return
		}
		at = t
	}
	name := r.PathValue("name")
	res, err := m.svc.Preview(r.Context(), name, severity, at, directory{a: m.a})
	if errors.Is(err, alerts.ErrNotFound) {
		httpx.Error(w, http.StatusNotFound, fmt.Sprintf("no system is named %q (and no default system has a call list)", name), "system")
		return
	}
	if err != nil {
		m.fail(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, previewOut(res))
}
