package app

import (
	"context"
	"errors"
	"time"

	"github.com/opsdesk/opsdesk/internal/actionlink"
	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/contact"
	"github.com/opsdesk/opsdesk/internal/oncall"
)

// Escalation policies' notifications reach people through services that
// other modules build (contact methods, schedules, one-tap links); the
// alerts module is built first, so it reaches them through these adapters,
// which look the services up when a page is made.

// mintActionLink is alerts.Options.ActionLink: a one-tap link for a page
// sent by SMS or email ("" when links are off: base_url unset).
func (a *App) mintActionLink(ctx context.Context, alertID int64, action, channel, user string) (string, error) {
	svc := a.ActionLinks()
	if svc == nil || a.Cfg.BaseURL == "" {
		return "", nil
	}
	if channel != actionlink.ChannelSMS && channel != actionlink.ChannelEmail {
		channel = ""
	}
	if len(user) > actionlink.MaxRecipient {
		user = ""
	}
	return svc.MintFor(ctx, actionlink.Link{AlertID: alertID, Action: action, Channel: channel, Recipient: user}, a.Cfg.Alerts.ActionLinks.TTLOrDefault())
}

// directory is alerts.Directory over the schedules and contact methods.
type directory struct{ a *App }

func (d directory) OnCallAt(ctx context.Context, schedule string, t time.Time) (string, error) {
	if d.a.OnCall == nil {
		return "", alerts.ErrNotFound
	}
	who, err := d.a.OnCall.OnCallAt(ctx, schedule, t)
	if errors.Is(err, oncall.ErrNotFound) {
		return "", alerts.ErrNotFound
	}
	return who, err
}

// Plan is the user's contact methods and rules (contact.Service.Plan).
func (d directory) Plan(ctx context.Context, user, severity string) ([]alerts.Planned, error) {
	if d.a.Contacts == nil {
		return nil, nil
	}
	plan, err := d.a.Contacts.Plan(ctx, user, severity)
	if err != nil {
		return nil, err
	}
	out := make([]alerts.Planned, 0, len(plan))
	for _, p := range plan {
		m := p.Method
		if m.Kind == contact.KindVoice {
			// A call speaks the contact flow's languages (ja-JP, …).
			m.Language = contact.ConnectLanguage(m.Language)
		}
		out = append(out, alerts.Planned{
			Kind: m.Kind, Address: m.Address, Destination: m.Destination, Label: m.Label,
			Language: m.Language, MethodID: m.ID, Delay: p.Delay,
		})
	}
	return out, nil
}
