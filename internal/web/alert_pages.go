package web

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
)

// pageRow is one notification an escalation policy made for an alert, as
// the alert page lists it.
type pageRow struct {
	Step         string // round·step
	Who          string
	Target       string
	KindLabel    string
	To           string
	StatusLabel  string
	StatusClass  string
	OutcomeLabel string
	Error        string
	DueAt        time.Time
	SentAt       time.Time
}

// pageRows lists an alert's notifications.
func (h *Handler) pageRows(ctx context.Context, p *page, id int64) ([]pageRow, error) {
	pages, err := h.alerts.Pages(ctx, id)
	if err != nil {
		return nil, err
	}
	rows := make([]pageRow, 0, len(pages))
	for _, pg := range pages {
		row := pageRow{
			Step: strconv.Itoa(pg.Round) + "·" + strconv.Itoa(pg.Step+1), Who: pg.User, Target: pg.Target,
			KindLabel: p.T("pages.kind." + pg.Kind), StatusLabel: p.T("pages.status." + pg.Status),
			Error: pg.Error, DueAt: pg.DueAt, SentAt: pg.SentAt,
		}
		if row.Who == "" {
			row.Who = pg.Destination
		}
		switch pg.Kind {
		case alerts.PageVoice, alerts.PageSMS:
			row.To = maskNumber(pg.Address)
		case alerts.PageEmail:
			row.To = maskAddress(pg.Address)
		case alerts.PageChat:
			row.To = pg.Destination
		}
		switch pg.Status {
		case alerts.PageSent:
			row.StatusClass = "ok"
		case alerts.PageFailed, alerts.PageUnknown:
			row.StatusClass = "bad"
		}
		if pg.Outcome != "" && pg.Status != alerts.PageCancelled {
			row.OutcomeLabel = pageOutcome(p, pg.Outcome)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// pageOutcome names a page's outcome: a call's outcome, or the
// provider's answer.
func pageOutcome(p *page, o string) string {
	switch o {
	case "accepted", "unknown", "delivered", "bounced":
		return p.T("pages.outcome." + o)
	}
	return p.T("alerts.outcome." + o)
}

func maskAddress(a string) string {
	user, domain, ok := strings.Cut(a, "@")
	if !ok || len(user) < 2 {
		return "•••@" + domain
	}
	return user[:1] + strings.Repeat("•", len(user)-1) + "@" + domain
}

// policyEscalation fills the escalation view of an alert that a policy
// escalates: which step comes next, of how many, in which round.
func (h *Handler) policyEscalation(ctx context.Context, p *page, esc *alerts.Escalation, v *escalationView) {
	pol, err := h.alerts.Policy(ctx, esc.Policy)
	if err != nil {
		v.Callee = esc.Policy
		return
	}
	v.Rounds = pol.Rounds
	step := esc.Position + 1
	if esc.Position >= len(pol.Steps) {
		step = 1
		if esc.Round < pol.Rounds {
			v.Round = esc.Round + 1
		}
	}
	v.Callee = p.T("pages.policy_step", pol.Name, step, len(pol.Steps))
}
