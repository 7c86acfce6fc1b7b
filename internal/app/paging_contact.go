package app

import (
	"context"
	"fmt"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/contact"
)

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
