package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/chatops"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/oncall"
)

// chatOnCall answers chat's oncall command from the schedules in the
// database (oncall.schedules seeded, and those made in the console). A
// name is a schedule's, matched exactly and then regardless of case, or a
// system's: then the schedules its escalation policies notify.
type chatOnCall struct{ a *App }

func (c chatOnCall) OnCallNow(ctx context.Context, name string, at time.Time) ([]chatops.OnCallEntry, error) {
	svc := c.a.OnCall
	if svc == nil {
		return nil, chatops.ErrNoSchedule
	}
	all, err := svc.Schedules(ctx)
	if err != nil {
		return nil, err
	}
	scheds := all
	if name != "" {
		scheds = nil
		for _, s := range all {
			if s.Name == name {
				scheds = []*oncall.Schedule{s}
			}
		}
		for _, s := range all {
			if scheds == nil && strings.EqualFold(s.Name, name) {
				scheds = []*oncall.Schedule{s}
			}
		}
		if scheds == nil {
			names, err := c.systemSchedules(ctx, name)
			if err != nil {
				return nil, err
			}
			for _, s := range all {
				if slices.Contains(names, s.Name) {
					scheds = append(scheds, s)
				}
			}
		}
		if scheds == nil {
			return nil, chatops.ErrNoSchedule
		}
	}
	out := make([]chatops.OnCallEntry, 0, len(scheds))
	for _, s := range scheds {
		who, _, until := oncall.OnCall(s, at)
		out = append(out, chatops.OnCallEntry{Schedule: s.Name, Who: who, Until: until, Zone: s.TimeZone})
	}
	return out, nil
}

// systemSchedules returns the schedules the escalation policies of a
// system's routes notify, in the order of its routes and steps.
func (c chatOnCall) systemSchedules(ctx context.Context, system string) ([]string, error) {
	svc := c.a.Alerts()
	if svc == nil {
		return nil, nil
	}
	sys, err := svc.System(ctx, system)
	if errors.Is(err, alerts.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range sys.Routes {
		if r.Policy == "" {
			continue
		}
		pol, err := svc.Policy(ctx, r.Policy)
		if errors.Is(err, alerts.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, st := range pol.Steps {
			for _, t := range st.Targets {
				if t.Type == config.TargetSchedule && !slices.Contains(out, t.Name) {
					out = append(out, t.Name)
				}
			}
		}
	}
	return out, nil
}
