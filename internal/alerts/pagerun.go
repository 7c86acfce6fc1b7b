package alerts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
)

// pageLoop is the page runner's doorbell.
type pageLoop struct {
	once sync.Once
	ring chan struct{}
}

func (l *pageLoop) bell() chan struct{} {
	l.once.Do(func() { l.ring = make(chan struct{}, 1) })
	return l.ring
}

// kickPages asks the page runner to look for due pages now.
func (s *Service) kickPages() {
	select {
	case s.pageRun.bell() <- struct{}{}:
	default:
	}
}

// RunPagesLoop sends due pages until ctx ends: it runs a pass when pages
// are written (kickPages) and at least every poll (pages due later, calls
// to poll, pages left by a replica that died).
func (s *Service) RunPagesLoop(ctx context.Context, poll time.Duration) {
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for ctx.Err() == nil {
		next, err := s.RunPages(ctx)
		if err != nil && ctx.Err() == nil {
			s.o.Log.Error("alerts: page pass failed; trying again", "error", err)
		}
		d := poll
		if !next.IsZero() {
			if until := next.Sub(s.now()); until < d {
				d = max(until, 0)
			}
		}
		t.Reset(d)
		select {
		case <-ctx.Done():
		case <-s.pageRun.bell():
		case <-t.C:
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
	}
}

// RunPages sends every page due now, PageParallel at a time, and returns
// when the next one falls due (zero: none waiting).
func (s *Service) RunPages(ctx context.Context) (time.Time, error) {
	sem := make(chan struct{}, max(s.o.PageParallel, 1))
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		pages, err := s.claimPages(ctx, pageBatch)
		if err != nil {
			return time.Time{}, err
		}
		for _, p := range pages {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				s.runPage(ctx, p)
			}()
		}
		if len(pages) < pageBatch {
			break
		}
	}
	wg.Wait()
	var next sql.NullInt64
	if err := s.rowQ(ctx, s.st.R, `SELECT min(CASE WHEN claimed_until > due_at THEN claimed_until ELSE due_at END) FROM alert_pages WHERE status IN ('pending', 'sending', 'ringing')`).Scan(&next); err != nil {
		return time.Time{}, fmt.Errorf("alerts: next page: %w", err)
	}
	return store.NullTime(next), nil
}

// claimPages takes up to n due pages for this runner.
func (s *Service) claimPages(ctx context.Context, n int) ([]*Page, error) {
	now := s.now()
	ms, until := store.Millis(now), store.Millis(now.Add(s.o.Lease))
	lock := ""
	if s.st.Engine == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := s.rowsQ(ctx, s.st.W, `UPDATE alert_pages SET claimed_until = ?, claimed_by = ? WHERE id IN
		(SELECT id FROM alert_pages WHERE status IN ('pending', 'sending', 'ringing') AND due_at <= ? AND claimed_until <= ? ORDER BY due_at LIMIT ?`+lock+`)
		RETURNING `+pageCols, until, s.o.ReplicaID, ms, ms, n)
	if err != nil {
		return nil, fmt.Errorf("alerts: claim pages: %w", err)
	}
	defer rows.Close()
	var out []*Page
	for rows.Next() {
		p, err := scanPage(rows)
		if err != nil {
			return nil, fmt.Errorf("alerts: claim pages: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (s *Service) runPage(ctx context.Context, p *Page) {
	ctx, cancel := context.WithTimeout(ctx, s.o.Lease-s.o.Lease/6)
	defer cancel()
	var err error
	switch {
	case p.Status == PageRinging:
		err = s.pollPage(ctx, p)
	case p.Status == PageSending && p.Kind != PageVoice:
		// Its process stopped while the request was out: it may or may
		// not have arrived, and it is not sent again (at most once).
		err = s.finishPage(context.WithoutCancel(ctx), p, PageUnknown, "unknown", "", "the process stopped while sending: it may or may not have arrived; not sent again", KindPageFailed)
	default:
		// OnStep hears how late the page starts: "page-sms", "page-voice", …
		s.observeAs("page-"+p.Kind, p.DueAt)
		err = s.sendPage(ctx, p)
	}
	if err != nil && ctx.Err() == nil {
		s.o.Log.Error("alerts: page failed; retrying", "alert", p.AlertID, "page", p.ID, "error", err)
		s.releasePage(p, errorRetry)
	}
}

// releasePage gives a claimed page back, due again after d.
func (s *Service) releasePage(p *Page, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := s.now()
	if _, err := s.execQ(ctx, s.st.W, `UPDATE alert_pages SET claimed_until = 0, due_at = ?, updated_at = ? WHERE id = ? AND claimed_by = ?`,
		store.Millis(now.Add(d)), store.Millis(now), p.ID, s.o.ReplicaID); err != nil {
		s.o.Log.Warn("alerts: releasing a page failed; its claim expires by itself", "page", p.ID, "error", err)
	}
}

// sendPage makes one page: it is marked sending once its alert is seen
// open, then sent, then its outcome recorded.
func (s *Service) sendPage(ctx context.Context, p *Page) error {
	now := s.now()
	var a *Alert
	sending := false
	err := s.groupTx(ctx, func(tx *sql.Tx) error {
		sending = false
		var err error
		a, err = s.lockAlert(ctx, tx, p.AlertID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		ms := store.Millis(now)
		if a.Status != StatusOpen {
			_, err := s.execQ(ctx, tx, `UPDATE alert_pages SET status = 'cancelled', outcome = ?, claimed_until = 0, updated_at = ? WHERE id = ? AND claimed_by = ? AND status IN ('pending', 'sending')`,
				"alert "+a.Status+" first", ms, p.ID, s.o.ReplicaID)
			return err
		}
		res, err := s.execQ(ctx, tx, `UPDATE alert_pages SET status = 'sending', attempts = attempts + 1, claimed_until = ?, updated_at = ? WHERE id = ? AND claimed_by = ? AND status IN ('pending', 'sending')`,
			store.Millis(now.Add(sendWindow)), ms, p.ID, s.o.ReplicaID)
		if err != nil {
			return fmt.Errorf("alerts: mark page %d sending: %w", p.ID, err)
		}
		n, _ := res.RowsAffected()
		sending = n == 1
		return nil
	})
	if err != nil || !sending {
		return err
	}
	p.Attempts++
	sctx, cancel := context.WithTimeout(ctx, sendWindow-2*time.Second)
	ref, sendErr := s.deliverPage(sctx, p, a)
	cancel()
	wctx := context.WithoutCancel(ctx)
	if sendErr == nil {
		if p.Kind == PageVoice {
			return s.recordRinging(wctx, p, ref)
		}
		return s.finishPage(wctx, p, PageSent, "accepted", ref, "", KindPage)
	}
	if s.pageNotSent(p, sendErr) && p.Attempts < maxPageAttempts {
		backoff := min(time.Duration(1<<p.Attempts)*time.Second, 30*time.Second)
		_, err := s.execQ(wctx, s.st.W, `UPDATE alert_pages SET status = 'pending', due_at = ?, claimed_until = 0, error = ?, updated_at = ? WHERE id = ?`,
			store.Millis(s.now().Add(backoff)), clip(sendErr.Error(), 1000), store.Millis(s.now()), p.ID)
		return err
	}
	return s.finishPage(wctx, p, PageFailed, OutcomeFailed, "", sendErr.Error(), KindPageFailed)
}

// lockAlert reads an alert inside tx, locking its row on PostgreSQL.
func (s *Service) lockAlert(ctx context.Context, tx *sql.Tx, id int64) (*Alert, error) {
	a, err := scanAlert(s.rowQ(ctx, tx, `SELECT `+alertCols+` FROM alerts WHERE id = ?`+s.forUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("alerts: alert %d: %w", id, err)
	}
	return a, nil
}

// pageNotSent says whether a failed page surely did not go out.
func (s *Service) pageNotSent(p *Page, err error) bool {
	switch p.Kind {
	case PageVoice:
		// The ClientToken makes a repeated request place no second call.
		return s.o.IsRetryable(err)
	case PageChannel:
		var ne *notify.Error
		return errors.As(err, &ne) && (ne.StatusCode == 429 || ne.RetryAfter > 0)
	default:
		return s.o.Pager != nil && s.o.Pager.NotSent(err)
	}
}

// deliverPage makes the request of a page.
func (s *Service) deliverPage(ctx context.Context, p *Page, a *Alert) (string, error) {
	switch p.Kind {
	case PageVoice:
		if s.o.Caller == nil {
			return "", errors.New("phone calls are not configured (alerts.connect)")
		}
		call := &Call{AlertID: a.ID, Callee: p.User, Phone: p.Address, Language: p.Language}
		return s.o.Caller.StartCall(ctx, connect.Call{Destination: p.Address, Attributes: s.attributes(a, call), ClientToken: PageClientToken(p)})
	case PageChannel:
		if s.o.Notify == nil {
			return "", errors.New("no destinations are configured")
		}
		return s.o.Notify(ctx, p.Destination, s.pageChannelMessage(a), pageKey(p), p.Attempts)
	default:
		if s.o.Pager == nil {
			return "", fmt.Errorf("%s notifications are not configured", p.Kind)
		}
		m := s.pageMessage(ctx, p, a)
		return s.o.Pager.Send(ctx, m)
	}
}

// recordRinging records a page's call as placed: it is polled next.
func (s *Service) recordRinging(ctx context.Context, p *Page, contactID string) error {
	now := s.now()
	return s.groupTx(ctx, func(tx *sql.Tx) error {
		ms := store.Millis(now)
		if _, err := s.execQ(ctx, tx, `UPDATE alert_pages SET status = 'ringing', ref = ?, sent_at = ?, due_at = ?, claimed_until = 0, error = '', updated_at = ? WHERE id = ?`,
			contactID, ms, store.Millis(now.Add(s.o.PollInterval)), ms, p.ID); err != nil {
			return fmt.Errorf("alerts: record page %d: %w", p.ID, err)
		}
		return s.logEntry(ctx, tx, p.AlertID, now, KindPage, p.User, pageDetail(p, "call placed"), 0)
	})
}

// finishPage records a page's end and puts it on the timeline.
func (s *Service) finishPage(ctx context.Context, p *Page, status, outcome, ref, errText, kind string) error {
	now := s.now()
	return s.groupTx(ctx, func(tx *sql.Tx) error {
		ms := store.Millis(now)
		sent := int64(0)
		if status == PageSent {
			sent = ms
		}
		// Only a page still under way: whoever records its end first (the
		// runner, or an acknowledgement hanging up its call) writes it.
		res, err := s.execQ(ctx, tx, `UPDATE alert_pages SET status = ?, outcome = ?, ref = CASE WHEN ? = '' THEN ref ELSE ? END, error = ?,
			sent_at = CASE WHEN sent_at = 0 THEN ? ELSE sent_at END, claimed_until = 0, updated_at = ? WHERE id = ? AND status IN ('pending', 'sending', 'ringing')`,
			status, outcome, ref, ref, clip(errText, 1000), sent, ms, p.ID)
		if err != nil {
			return fmt.Errorf("alerts: record page %d: %w", p.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		detail := outcome
		if errText != "" {
			detail += ": " + clip(errText, 500)
		}
		return s.logEntry(ctx, tx, p.AlertID, now, kind, pageActor(p), pageDetail(p, detail), 0)
	})
}

func pageActor(p *Page) string {
	if p.User != "" {
		return p.User
	}
	return p.Target
}

// pageDetail is the timeline's line for a page.
func pageDetail(p *Page, what string) string {
	to := ""
	switch p.Kind {
	case PageVoice, PageSMS:
		to = " " + maskPhone(p.Address)
	case PageEmail:
		to = " " + maskEmail(p.Address)
	case PageChat, PageChannel:
		to = " " + p.Destination
	}
	return fmt.Sprintf("%s%s (round %d, step %d): %s", p.Kind, to, p.Round, p.Step+1, what)
}

func maskEmail(a string) string {
	user, domain, ok := strings.Cut(a, "@")
	if !ok || len(user) < 2 {
		return "***@" + domain
	}
	return user[:1] + strings.Repeat("*", len(user)-1) + "@" + domain
}

// pollPage follows a page's call: still going, it is polled again; ended,
// key 1 acknowledges the alert and key 2 makes its system quiet.
func (s *Service) pollPage(ctx context.Context, p *Page) error {
	if s.o.Caller == nil {
		return s.finishPage(context.WithoutCancel(ctx), p, PageFailed, OutcomeFailed, "", "phone calls are not configured", KindPageFailed)
	}
	st, err := s.o.Caller.CallStatus(ctx, p.Ref)
	now := s.now()
	wctx := context.WithoutCancel(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		if s.o.IsRetryable(err) && now.Sub(p.SentAt) < s.o.MaxCallDuration+2*s.o.PollInterval {
			s.releasePage(p, min(s.o.PollInterval, 5*time.Second))
			return nil
		}
		return s.finishPage(wctx, p, PageFailed, OutcomeFailed, "", err.Error(), KindPageFailed)
	}
	if st.State != connect.StateEnded {
		var status string
		if err := s.rowQ(ctx, s.st.R, `SELECT status FROM alerts WHERE id = ?`, p.AlertID).Scan(&status); err != nil {
			return fmt.Errorf("alerts: page %d: %w", p.ID, err)
		}
		if status == StatusOpen && now.Sub(p.SentAt) < s.o.MaxCallDuration {
			_, err := s.execQ(wctx, s.st.W, `UPDATE alert_pages SET due_at = ?, claimed_until = 0, updated_at = ? WHERE id = ?`,
				store.Millis(now.Add(s.o.PollInterval)), store.Millis(now), p.ID)
			return err
		}
		// Acknowledged meanwhile, or nobody hangs up: end it here.
		if err := s.o.Caller.StopCall(ctx, p.Ref); err != nil {
			s.o.Log.Warn("alerts: hanging up a page's call failed", "alert", p.AlertID, "contact", p.Ref, "error", err)
		}
		return s.finishPage(wctx, p, PageSent, OutcomeStopped, "", "", KindPage)
	}
	outcome := classify(st)
	if err := s.finishPage(wctx, p, PageSent, outcome, "", "", KindPage); err != nil {
		return err
	}
	who := p.User
	if who == "" {
		who = p.Target
	}
	switch outcome {
	case OutcomeAcknowledged:
		_, _, err := s.end(wctx, p.AlertID, StatusAcknowledged, who, "phone")
		if errors.Is(err, ErrNotActive) {
			err = nil
		}
		return err
	case OutcomeQuiet:
		a, err := s.Get(wctx, p.AlertID)
		if err != nil {
			return err
		}
		period := 12 * time.Hour
		if sys, err := s.System(wctx, a.System); err == nil && sys.Quiet > 0 {
			period = sys.Quiet
		}
		return s.st.Tx(wctx, func(tx *sql.Tx) error {
			cur, err := s.lockAlert(wctx, tx, p.AlertID)
			if err != nil || cur.Status != StatusOpen {
				return err
			}
			q, err := s.insertQuiet(wctx, tx, cur.System, now, now.Add(period), cur.ID, who, "key 2")
			if err != nil {
				return err
			}
			return s.silence(wctx, tx, cur, now, who+" (phone)", fmt.Sprintf("key 2: %s is quiet until %s", cur.System, q.EndsAt.Format(time.RFC3339)))
		})
	}
	return nil
}

// stopPageCalls hangs up the calls of an alert's pages that are still
// ringing (the alert was acknowledged or resolved) and records them
// stopped.
func (s *Service) stopPageCalls(ctx context.Context, alertID int64) {
	if s.o.Caller == nil {
		return
	}
	rows, err := s.rowsQ(ctx, s.st.R, `SELECT `+pageCols+` FROM alert_pages WHERE alert_id = ? AND status = 'ringing'`, alertID)
	if err != nil {
		s.o.Log.Warn("alerts: reading calls to hang up failed; they end at their next poll", "alert", alertID, "error", err)
		return
	}
	var ringing []*Page
	for rows.Next() {
		if p, err := scanPage(rows); err == nil {
			ringing = append(ringing, p)
		}
	}
	rows.Close()
	for _, p := range ringing {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		if err := s.o.Caller.StopCall(cctx, p.Ref); err != nil {
			s.o.Log.Warn("alerts: hanging up a page's call failed", "alert", alertID, "contact", p.Ref, "error", err)
		}
		cancel()
		if err := s.finishPage(context.WithoutCancel(ctx), p, PageSent, OutcomeStopped, "", "", KindPage); err != nil {
			s.o.Log.Warn("alerts: recording a stopped call failed", "page", p.ID, "error", err)
		}
	}
}
