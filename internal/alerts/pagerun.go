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

// RunPagesLoop sends due pages until ctx ends. It is a pipeline: up to
// PageParallel pages are in flight, and as soon as one finishes, or pages
// are written (kickPages), it claims more — it never waits for a batch to
// finish before taking the next. With nothing due it sleeps until the next
// page falls due, or at most poll (pages due later, calls to poll, pages
// left by a replica that died).
func (s *Service) RunPagesLoop(ctx context.Context, poll time.Duration) {
	if poll <= 0 {
		poll = time.Second
	}
	par := max(s.o.PageParallel, 1)
	finished := make(chan struct{}, par)
	inflight := 0
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTimer(0)
	defer t.Stop()
	for ctx.Err() == nil {
		// Take what finished meanwhile.
		for drained := false; !drained; {
			select {
			case <-finished:
				inflight--
			default:
				drained = true
			}
		}
		free := par - inflight
		claimed := 0
		// Claims are taken in batches: one claim per finished page would
		// make the claims, not the sends, the limit.
		if free > 0 && (inflight == 0 || free >= max(1, par/4)) {
			pages, err := s.claimPages(ctx, min(free, pageBatch))
			if err == nil {
				var byID map[int64]*Alert
				if byID, err = s.pageAlerts(ctx, pages); err != nil {
					// The pages are claimed: release them for a later pass.
					for _, p := range pages {
						s.releasePage(p, time.Second)
					}
					pages = nil
				}
				for _, p := range pages {
					p.alert = byID[p.AlertID]
					inflight++
					wg.Add(1)
					go func() {
						defer func() { finished <- struct{}{}; wg.Done() }()
						s.runPage(ctx, p)
					}()
				}
				claimed = len(pages)
			}
			if err != nil && ctx.Err() == nil {
				s.o.Log.Error("alerts: claiming pages failed; trying again", "error", err)
			}
			if claimed == min(free, pageBatch) && err == nil {
				continue // more may be due now
			}
		}
		// Sleep until something may be due: a page written, a page
		// finished (room to claim), the next due time, or poll.
		d := poll
		if free > 0 && inflight > 0 && free < max(1, par/4) {
			// Waiting for room to claim a batch: a page finishing wakes us.
		} else if inflight < par {
			var next sql.NullInt64
			if err := s.rowQ(ctx, s.st.R, `SELECT min(CASE WHEN claimed_until > due_at THEN claimed_until ELSE due_at END) FROM alert_pages WHERE status IN ('pending', 'sending', 'ringing')`).Scan(&next); err == nil {
				if n := store.NullTime(next); !n.IsZero() {
					d = min(d, max(n.Sub(s.now()), 0))
				}
			}
		}
		if d <= 0 && claimed == 0 && inflight > 0 {
			// Due now but nothing claimable (held by runners in flight or
			// by another replica): wait for a page to finish or poll.
			d = poll
		} else if d <= 0 {
			d = 10 * time.Millisecond
		}
		t.Reset(d)
		select {
		case <-ctx.Done():
		case <-s.pageRun.bell():
		case <-finished:
			inflight--
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
		byID, err := s.pageAlerts(ctx, pages)
		if err != nil {
			return time.Time{}, err
		}
		for _, p := range pages {
			p.alert = byID[p.AlertID]
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

// pageAlerts reads the alerts of the pages the claim marked sending, in
// one query: what their messages say.
func (s *Service) pageAlerts(ctx context.Context, pages []*Page) (map[int64]*Alert, error) {
	var ids []int64
	for _, p := range pages {
		if p.marked {
			ids = append(ids, p.AlertID)
		}
	}
	out := map[int64]*Alert{}
	if len(ids) == 0 {
		return out, nil
	}
	cond, arg := s.st.InIDs("id", ids)
	rows, err := s.rowsQ(ctx, s.st.R, `SELECT `+alertCols+` FROM alerts WHERE `+cond, arg)
	if err != nil {
		return nil, fmt.Errorf("alerts: alerts of pages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("alerts: alerts of pages: %w", err)
		}
		out[a.ID] = a
	}
	return out, rows.Err()
}

// claimPages takes up to n due pages for this runner. Pages due to be
// sent whose alert is open are marked sending in the same statement (their
// alerts' rows share-locked on PostgreSQL, which an acknowledgement's
// exclusive lock excludes): an acknowledgement that commits after this
// waits for them (endTx), one that committed before keeps them out. The
// rest — calls to poll, pages of alerts no longer open, pages left sending
// by a runner that died — are claimed as they are.
func (s *Service) claimPages(ctx context.Context, n int) ([]*Page, error) {
	now := s.now()
	ms := store.Millis(now)
	lockP, lockPA := "", ""
	if s.st.Engine == store.Postgres {
		lockP, lockPA = " FOR UPDATE SKIP LOCKED", " FOR UPDATE OF p SKIP LOCKED FOR SHARE OF a SKIP LOCKED"
	}
	var out []*Page
	scan := func(rows *sql.Rows, err error) error {
		if err != nil {
			return fmt.Errorf("alerts: claim pages: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPage(rows)
			if err != nil {
				return fmt.Errorf("alerts: claim pages: %w", err)
			}
			p.marked = p.Status == PageSending
			out = append(out, p)
		}
		return rows.Err()
	}
	err := scan(s.rowsQ(ctx, s.st.W, `UPDATE alert_pages SET status = 'sending', attempts = attempts + 1, claimed_until = ?, claimed_by = ?, updated_at = ? WHERE id IN
		(SELECT p.id FROM alert_pages p JOIN alerts a ON a.id = p.alert_id WHERE p.status = 'pending' AND p.due_at <= ? AND p.claimed_until <= ? AND a.status IN ('open', 'unacknowledged')
		ORDER BY p.due_at LIMIT ?`+lockPA+`)
		RETURNING `+pageCols, store.Millis(now.Add(sendWindow)), s.o.ReplicaID, ms, ms, ms, n))
	if err != nil {
		return nil, err
	}
	if len(out) == n {
		return out, nil
	}
	fresh := len(out)
	err = scan(s.rowsQ(ctx, s.st.W, `UPDATE alert_pages SET claimed_until = ?, claimed_by = ? WHERE id IN
		(SELECT id FROM alert_pages WHERE status IN ('pending', 'sending', 'ringing') AND due_at <= ? AND claimed_until <= ? ORDER BY due_at LIMIT ?`+lockP+`)
		RETURNING `+pageCols, store.Millis(now.Add(s.o.Lease)), s.o.ReplicaID, ms, ms, n-fresh))
	for _, p := range out[fresh:] {
		p.marked = false
	}
	return out, err
}

func (s *Service) runPage(ctx context.Context, p *Page) {
	ctx, cancel := context.WithTimeout(ctx, s.o.Lease-s.o.Lease/6)
	defer cancel()
	var err error
	switch {
	case p.Status == PageRinging:
		err = s.pollPage(ctx, p)
	case p.marked:
		// Marked sending by the claim, its alert seen open.
		s.observeAs("page-"+p.Kind, p.DueAt)
		err = s.deliverMarked(ctx, p, p.alert)
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
		if !pageable(a.Status) {
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
	return s.deliverMarked(ctx, p, a)
}

// deliverMarked sends a page marked sending and records its outcome; a
// is its alert (nil: read here).
func (s *Service) deliverMarked(ctx context.Context, p *Page, a *Alert) error {
	if a == nil {
		var err error
		if a, err = s.Get(ctx, p.AlertID); err != nil {
			return err
		}
	}
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

// pageable tells whether an alert in this status still gets its
// notifications: open, or unacknowledged (its policy's rounds are over,
// but a person's notification rules may still be running — a call three
// minutes after the last step's SMS). Acknowledged, quiet or resolved:
// no more.
func pageable(status string) bool { return status == StatusOpen || status == StatusUnacknowledged }

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
	ms := store.Millis(now)
	sent := int64(0)
	if status == PageSent {
		sent = ms
	}
	detail := outcome
	if errText != "" {
		detail += ": " + clip(errText, 500)
	}
	if s.st.Engine == store.Postgres {
		// One statement, one round trip: the page's end and its timeline
		// entry commit together (a thousand pages at once are a thousand
		// of these).
		_, err := s.execQ(ctx, s.st.W, `WITH u AS (UPDATE alert_pages SET status = ?, outcome = ?, ref = CASE WHEN ? = '' THEN ref ELSE ? END, error = ?,
			sent_at = CASE WHEN sent_at = 0 THEN ? ELSE sent_at END, claimed_until = 0, updated_at = ? WHERE id = ? AND status IN ('pending', 'sending', 'ringing') RETURNING alert_id)
			INSERT INTO alert_log (alert_id, at, kind, actor, detail, call_id) SELECT alert_id, ?, ?, ?, ?, 0 FROM u`,
			status, outcome, ref, ref, clip(errText, 1000), sent, ms, p.ID, ms, kind, clip(pageActor(p), 200), clip(pageDetail(p, detail), 2000))
		if err != nil {
			return fmt.Errorf("alerts: record page %d: %w", p.ID, err)
		}
		return nil
	}
	return s.groupTx(ctx, func(tx *sql.Tx) error {
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
		if pageable(status) && now.Sub(p.SentAt) < s.o.MaxCallDuration {
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
			if err != nil || !pageable(cur.Status) {
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
