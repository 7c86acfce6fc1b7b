package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/contact"
)

// pagingDirectory is alerts.Options.Directory: who is on call comes from
// the schedules (App.OnCall), how a user is notified from their contact
// methods and rules (App.Contacts). Both modules are built after the
// alerts module, so the services are looked up when a step runs.
type pagingDirectory struct{ a *App }

func (d pagingDirectory) OnCallAt(ctx context.Context, schedule string, t time.Time) (string, error) {
	if d.a.OnCall == nil {
		return "", errors.New("on-call schedules are not running")
	}
	return d.a.OnCall.OnCallAt(ctx, schedule, t)
}

func (d pagingDirectory) Plan(ctx context.Context, user, severity string) ([]alerts.Planned, error) {
	if d.a.Contacts == nil {
		return nil, errors.New("contact methods are not running")
	}
	plan, err := d.a.Contacts.Plan(ctx, user, severity)
	if err != nil {
		return nil, err
	}
	out := make([]alerts.Planned, 0, len(plan))
	for _, p := range plan {
		m := p.Method
		out = append(out, alerts.Planned{
			Kind: m.Kind, Address: m.Address, Destination: m.Destination, Label: m.Label,
			Language: m.Language, MethodID: m.ID, Delay: p.Delay,
		})
	}
	return out, nil
}

// pagingSender is alerts.Options.Pager: a page by SMS, email or chat
// mention goes out through the contact methods' sender of its kind.
type pagingSender struct{ a *App }

func (p pagingSender) Send(ctx context.Context, m alerts.PageMessage) (string, error) {
	var s contact.Sender
	if p.a.Contacts != nil {
		s = p.a.Contacts.Sender(m.Kind)
	}
	if s == nil {
		return "", fmt.Errorf("%w: %s notifications are not configured (oncall.sms, oncall.email, a dingtalk or slack destination)", contact.ErrNotConfigured, m.Kind)
	}
	rc, err := s.Send(ctx, contact.Message{
		Kind: m.Kind, To: m.To, Destination: m.Destination, Subject: m.Subject,
		Text: m.Text, Language: m.Language, Key: m.Key,
	})
	return rc.Ref, err
}

func (pagingSender) NotSent(err error) bool { return contact.NotSent(err) }
