package alerts

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/opsdesk/opsdesk/internal/store"
)

// Delivery receipts. An SMS or email page is "accepted" once the provider
// took it (its MessageId is the page's ref); whether it reached anyone is
// told later, when End User Messaging SMS or SES publishes its events
// (POST /hooks/sns/receipts, package receipt). RecordReceipt puts that
// outcome on the page and on the alert's timeline.
//
// Receipts come over SNS, which delivers at least once and in no
// particular order, so recording one is idempotent and ordered by
// severity, not by arrival: a failure (bounced, failed) is final and
// replaces a delivered (an email accepted by the receiving server can
// still bounce afterwards), a delivered never replaces a failure, and a
// receipt that changes nothing adds nothing to the timeline. Each rule is
// one conditional UPDATE, so two replicas taking two receipts of the same
// page at once record it once.

// Outcomes of SMS and email pages told by delivery receipts (the failure
// of a receipt is OutcomeFailed).
const (
	OutcomeDelivered = "delivered"
	OutcomeBounced   = "bounced"
)

// RecordReceipt records what became of the page of that kind (PageSMS,
// PageEmail) whose ref is ref: outcome is OutcomeDelivered,
// OutcomeBounced or OutcomeFailed, detail what the provider said (the
// carrier's status, the bounce type). found is false, with no error, when
// no page has that ref: a message opsdesk did not send, or one whose
// alert was deleted.
func (s *Service) RecordReceipt(ctx context.Context, kind, ref, outcome, detail string) (found bool, err error) {
	switch kind {
	case PageSMS, PageEmail:
	default:
		return false, &ValidationError{"kind", fmt.Sprintf("%q: receipts are of sms or email pages", kind)}
	}
	var set, cond, status, entry string
	switch outcome {
	case OutcomeDelivered:
		// Status stays sent; only an accepted page becomes delivered.
		set, cond, entry = `outcome = ?`, `status = 'sent' AND outcome NOT IN ('delivered', 'bounced', 'failed')`, KindPage
	case OutcomeBounced, OutcomeFailed:
		status = PageFailed
		set, cond, entry = `status = 'failed', outcome = ?`, `status IN ('sent', 'failed') AND outcome NOT IN ('bounced', 'failed')`, KindPageFailed
	default:
		return false, &ValidationError{"outcome", fmt.Sprintf("%q: want delivered, bounced or failed", outcome)}
	}
	if ref == "" {
		return false, nil
	}
	detail = clip(detail, 500)
	now := s.now()
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		found = false
		// ref <> '' lets both engines use the partial index alert_pages_ref.
		rows, err := s.rowsQ(ctx, tx, `SELECT `+pageCols+` FROM alert_pages WHERE ref = ? AND ref <> '' AND kind = ? ORDER BY id`, ref, kind)
		if err != nil {
			return fmt.Errorf("alerts: receipt for %s %s: %w", kind, ref, err)
		}
		var pages []*Page
		for rows.Next() {
			p, err := scanPage(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("alerts: receipt for %s %s: %w", kind, ref, err)
			}
			pages = append(pages, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("alerts: receipt for %s %s: %w", kind, ref, err)
		}
		found = len(pages) > 0
		ms := store.Millis(now)
		for _, p := range pages {
			errText := p.Error
			if status == PageFailed {
				errText = clip(outcome+": "+detail, 1000)
			}
			res, err := s.execQ(ctx, tx, `UPDATE alert_pages SET `+set+`, error = ?, updated_at = ? WHERE id = ? AND `+cond,
				outcome, errText, ms, p.ID)
			if err != nil {
				return fmt.Errorf("alerts: record receipt of page %d: %w", p.ID, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue // this receipt, or a weightier one, was recorded before
			}
			what := outcome
			if detail != "" {
				what += ": " + detail
			}
			if err := s.logEntry(ctx, tx, p.AlertID, now, entry, pageActor(p), pageDetail(p, what), 0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return found, nil
}
