package alerts

import (
	"context"
	"fmt"
	"time"

	"github.com/opsdesk/opsdesk/internal/audit"
)

// record writes an audit entry for a change made by the actor of ctx
// (Options.Audit; nothing without one). The change has committed: a
// failed record is logged by the audit log and does not undo it.
func (s *Service) record(ctx context.Context, action, target, detail string) {
	_ = s.o.Audit.Record(ctx, action, target, detail)
}

// recordAs is record with an explicit actor.
func (s *Service) recordAs(ctx context.Context, a audit.Actor, action, target, detail string) {
	_ = s.o.Audit.RecordAs(ctx, a, action, target, detail)
}

// auditEnd records an acknowledgement or resolution by a person (console,
// API token, chat). The monitoring system's own acknowledgements and
// recoveries carry no actor: they are in the alert's timeline only.
func (s *Service) auditEnd(ctx context.Context, a *Alert, to, by, via string) {
	actor := audit.ActorFrom(ctx)
	if actor.Kind == audit.KindSystem {
		return
	}
	action := "alert.acknowledge"
	if to == StatusResolved {
		action = "alert.resolve"
	}
	detail := a.Summary
	if by != "" && by != actor.Name {
		// The API lets the caller name who acted ({"by": "sato"}).
		detail = "as " + by + ": " + detail
	}
	s.recordAs(ctx, actor, action, alertTarget(a), detail)
}

// alertTarget names an alert in the audit log.
func alertTarget(a *Alert) string {
	return fmt.Sprintf("alert #%d (%s)", a.ID, a.System)
}

// phoneActor is the person who pressed a key on call.
func phoneActor(c *Call) audit.Actor {
	return audit.Actor{Name: c.Callee, Kind: audit.KindPhone, Source: "phone"}
}

// quietDetail describes a quiet period for the audit log.
func quietDetail(q *Quiet) string {
	if q == nil {
		return ""
	}
	d := fmt.Sprintf("quiet period #%d until %s", q.ID, q.EndsAt.UTC().Format(time.RFC3339))
	if q.Note != "" {
		d += ": " + q.Note
	}
	return d
}
