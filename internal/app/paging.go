package app

import (
	"context"

	"github.com/opsdesk/opsdesk/internal/actionlink"
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
