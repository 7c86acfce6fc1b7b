package app

import (
	"context"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/chatops"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/oncall"
)

// configOnCall answers chat's oncall command from the schedules of the
// config file (oncall.schedules). A name is a schedule's, matched exactly
// and then regardless of case. Systems do not name schedules yet: once
// escalation policies map systems to schedules (and schedules live in the
// database), this lookup moves to that store.
type configOnCall struct{ cfg *config.OnCall }

func (c configOnCall) OnCallNow(_ context.Context, name string, at time.Time) ([]chatops.OnCallEntry, error) {
	scheds := c.cfg.Parsed()
	if name != "" {
		s := c.cfg.Schedule(name)
		for _, x := range scheds {
			if s == nil && strings.EqualFold(x.Name, name) {
				s = x
			}
		}
		if s == nil {
			return nil, chatops.ErrNoSchedule
		}
		scheds = []*oncall.Schedule{s}
	}
	out := make([]chatops.OnCallEntry, 0, len(scheds))
	for _, s := range scheds {
		who, _, until := oncall.OnCall(s, at)
		out = append(out, chatops.OnCallEntry{Schedule: s.Name, Who: who, Until: until, Zone: s.TimeZone})
	}
	return out, nil
}
