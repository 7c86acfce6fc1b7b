package alerts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Escalation policies (issue 12) run in the same engine as call lists: an
// alert routed to a policy gets an escalation row in state page, and each
// step of it (stepPage) resolves the step's targets into pages, one
// alert_pages row per notification (alert, round, step, target, method),
// which is the claim that keeps it from being made twice. The page runner
// (RunPages) sends them when due, each at most once:
//
//   - A page is marked sending, in a transaction that sees the alert open
//     (under its row lock on PostgreSQL), before its request goes out; an
//     acknowledgement waits for pages being sent (endTx), so nobody is
//     notified after an acknowledgement is committed.
//   - A page whose request may have reached the provider is never sent
//     again: only errors that say it surely did not (NotSent) are retried.
//     A page left sending by a process that died becomes unknown — except
//     a call, which is placed again with the same Connect ClientToken.

// Directory answers, for the engine, who is on call and how a person is
// reached; the schedule and contact-method services implement it.
type Directory interface {
	// OnCallAt returns who is on call in the schedule at t ("" = nobody).
	OnCallAt(ctx context.Context, schedule string, t time.Time) (string, error)
	// Plan returns how user is notified for an alert of severity: their
	// verified contact methods with each one's delay.
	Plan(ctx context.Context, user, severity string) ([]Planned, error)
}

// Planned is one notification a user's rules ask for.
type Planned struct {
	Kind        string // voice, sms, email, chat
	Address     string // phone number, email address, chat member id
	Destination string // chat: the destination the mention is posted to
	Label       string
	Language    string
	MethodID    int64
	Delay       time.Duration
}

// PageSender sends SMS, email and chat mentions.
type PageSender interface {
	Send(ctx context.Context, m PageMessage) (ref string, err error)
	// NotSent reports whether err says the message surely did not reach
	// the provider, so sending it again cannot send it twice.
	NotSent(err error) bool
}

// PageMessage is one SMS, email or chat mention.
type PageMessage struct {
	Kind        string
	To          string
	Destination string
	Language    string
	Subject     string
	Text        string
	// Key is the same for every attempt of one page.
	Key string
}

// Page kinds and statuses (alert_pages).
const (
	PageVoice   = "voice"
	PageSMS     = "sms"
	PageEmail   = "email"
	PageChat    = "chat"
	PageChannel = "channel"

	PagePending   = "pending"
	PageSending   = "sending"
	PageRinging   = "ringing"
	PageSent      = "sent"
	PageFailed    = "failed"
	PageCancelled = "cancelled"
	PageUnknown   = "unknown"
)

// Timeline kinds of policies.
const (
	KindStep        = "step"        // a policy step ran: who it notifies
	KindPage        = "page"        // a notification was accepted (or a call placed)
	KindPageFailed  = "page_failed" // a notification could not be made
	KindReescalate  = "reescalate"  // an acknowledged alert was not resolved in time
	KindRecorded    = "recorded"    // a route keeps the alert without notifying anyone
	KindFlapping    = "flapping"    // opened while flapping: its escalation waits
	KindMaintenance = "maintenance" // arrived during a maintenance window
)

// statePage: run step Position of round Round of the policy named Policy.
const statePage = "page"

// Page is one notification of a policy step.
type Page struct {
	ID          int64
	AlertID     int64
	Round       int
	Step        int
	Target      string
	User        string
	MethodID    int64
	Kind        string
	Address     string
	Destination string
	Language    string
	Status      string
	DueAt       time.Time
	Attempts    int
	Ref         string
	Outcome     string
	Error       string
	CreatedAt   time.Time
	SentAt      time.Time
	// marked: the claim marked it sending, its alert seen open; alert is
	// that alert, read with the claim.
	marked bool
	alert  *Alert
}

const pageCols = `id, alert_id, round, step, target, user_name, method_id, kind, address, destination, language, status, due_at, attempts, ref, outcome, error, created_at, sent_at`

func scanPage(row scanner) (*Page, error) {
	var p Page
	var due, created, sent int64
	if err := row.Scan(&p.ID, &p.AlertID, &p.Round, &p.Step, &p.Target, &p.User, &p.MethodID, &p.Kind, &p.Address, &p.Destination,
		&p.Language, &p.Status, &due, &p.Attempts, &p.Ref, &p.Outcome, &p.Error, &created, &sent); err != nil {
		return nil, err
	}
	p.DueAt, p.CreatedAt, p.SentAt = store.Time(due), store.Time(created), store.Time(sent)
	return &p, nil
}

// Pages returns an alert's notifications, oldest first.
func (s *Service) Pages(ctx context.Context, alertID int64) ([]*Page, error) {
	rows, err := s.rowsQ(ctx, s.st.R, `SELECT `+pageCols+` FROM alert_pages WHERE alert_id = ? ORDER BY id`, alertID)
	if err != nil {
		return nil, fmt.Errorf("alerts: pages of %d: %w", alertID, err)
	}
	defer rows.Close()
	var out []*Page
	for rows.Next() {
		p, err := scanPage(rows)
		if err != nil {
			return nil, fmt.Errorf("alerts: pages of %d: %w", alertID, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Engine tuning of pages.
const (
	// maxPageAttempts bounds the tries of a page whose errors say it was
	// not sent (throttling, a refused connection).
	maxPageAttempts = 5
	// sendWindow is how long a page may be sending before it is taken
	// for lost; an acknowledgement waits for it at most that long.
	sendWindow = 15 * time.Second
	// pageBatch is how many due pages one claim takes.
	pageBatch = 64
)

// plannedPage is a page about to be written.
type plannedPage struct {
	target, user                         string
	methodID                             int64
	kind, address, destination, language string
	due                                  time.Time
}

// resolveStep turns a step's targets into pages due from now, and the
// timeline's account of who is notified how.
func (s *Service) resolveStep(ctx context.Context, step PolicyStep, severity string, now time.Time) ([]plannedPage, []string, error) {
	var pages []plannedPage
	var notes []string
	seen := map[string]bool{}
	userPages := func(target, user string) error {
		if s.o.Directory == nil {
			notes = append(notes, fmt.Sprintf("%s: contact methods are not available", target))
			return nil
		}
		plan, err := s.o.Directory.Plan(ctx, user, severity)
		if err != nil {
			return fmt.Errorf("alerts: contact methods of %q: %w", user, err)
		}
		if len(plan) == 0 {
			notes = append(notes, fmt.Sprintf("%s: no verified contact method", target))
			return nil
		}
		var how []string
		for _, pl := range plan {
			k := user + "\x00" + strconv.FormatInt(pl.MethodID, 10)
			if seen[k] {
				continue // reached through another target of the step already
			}
			seen[k] = true
			pages = append(pages, plannedPage{target: target, user: user, methodID: pl.MethodID, kind: pl.Kind, address: pl.Address,
				destination: pl.Destination, language: pl.Language, due: now.Add(pl.Delay)})
			if pl.Delay > 0 {
				how = append(how, fmt.Sprintf("%s after %s", pl.Kind, pl.Delay))
			} else {
				how = append(how, pl.Kind+" at once")
			}
		}
		notes = append(notes, fmt.Sprintf("%s (%s)", target, strings.Join(how, ", ")))
		return nil
	}
	for _, t := range step.Targets {
		switch t.Type {
		case config.TargetUser:
			if err := userPages(t.String(), t.Name); err != nil {
				return nil, nil, err
			}
		case config.TargetSchedule:
			if s.o.Directory == nil {
				notes = append(notes, fmt.Sprintf("%s: schedules are not available", t))
				continue
			}
			who, err := s.o.Directory.OnCallAt(ctx, t.Name, now)
			if errors.Is(err, ErrNotFound) || err == nil && who == "" {
				notes = append(notes, fmt.Sprintf("%s: nobody is on call", t))
				continue
			}
			if err != nil {
				notes = append(notes, fmt.Sprintf("%s: %v", t, err))
				continue
			}
			if err := userPages(t.String()+" → "+who, who); err != nil {
				return nil, nil, err
			}
		case config.TargetChat:
			pages = append(pages, plannedPage{target: t.String(), kind: PageChannel, destination: t.Name, due: now})
			notes = append(notes, t.String())
		}
	}
	return pages, notes, nil
}

// stepPage runs one step of an alert's policy: its targets' pages are
// written (at most once each) and the escalation moves on to the next
// step after the step's delay; after the last step of the last round the
// alert is unacknowledged.
func (s *Service) stepPage(ctx context.Context, e *Escalation) (*Escalation, error) {
	now := s.now()
	// The policy and the targets are read before the transaction (reads
	// only); the transaction checks that the step is still this one.
	pol, err := s.stepPolicy(ctx, s.st.R, e.Policy)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	round, pos := e.Round, e.Position
	if pol != nil && pos >= len(pol.Steps) {
		round, pos = round+1, 0
	}
	var planned []plannedPage
	var notes []string
	var severity string
	if pol != nil && round <= pol.Rounds {
		// Only people's rules depend on the severity: a step that posts to
		// chat only does not read it.
		if slices.ContainsFunc(pol.Steps[pos].Targets, func(t Target) bool { return t.Type != config.TargetChat }) {
			if err := s.rowQ(ctx, s.st.R, `SELECT severity FROM alerts WHERE id = ?`, e.AlertID).Scan(&severity); err != nil {
				return nil, fmt.Errorf("alerts: step %d: %w", e.AlertID, err)
			}
		}
		planned, notes, err = s.resolveStep(ctx, pol.Steps[pos], severity, now)
		if err != nil {
			return nil, err
		}
	}
	var notifyIDs []int64
	wrote := false
	err = s.groupTx(ctx, func(tx *sql.Tx) error {
		notifyIDs, wrote = nil, false
		cur, a, ok, err := s.lockStep(ctx, tx, e)
		if err != nil || !ok {
			return err
		}
		if a.Status == StatusAcknowledged {
			// Kept after the acknowledgement for re-escalation (endTx):
			// the alert is still not resolved, so escalation continues.
			ms := store.Millis(now)
			if _, err := s.execQ(ctx, tx, `UPDATE alerts SET status = 'open', updated_at = ? WHERE id = ? AND status = 'acknowledged'`, ms, a.ID); err != nil {
				return fmt.Errorf("alerts: re-escalate %d: %w", a.ID, err)
			}
			if err := s.logEntry(ctx, tx, a.ID, now, KindReescalate, "", fmt.Sprintf("acknowledged by %s at %s and still not resolved: escalation continues",
				a.AckedBy, a.AckedAt.In(s.o.Location).Format("2006-01-02 15:04")), 0); err != nil {
				return err
			}
			a.Status = StatusOpen
		}
		if a.Status != StatusOpen {
			return s.dropEscalation(ctx, tx, a.ID)
		}
		until, err := s.quietUntil(ctx, tx, a.System, now)
		if err != nil {
			return err
		}
		if !until.IsZero() {
			return s.silence(ctx, tx, a, now, "", fmt.Sprintf("%s is quiet until %s: nobody is notified", a.System, until.Format(time.RFC3339)))
		}
		sys, err := s.policy(ctx, tx, a.Policy)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if pol == nil {
			notifyIDs, err = s.giveUp(ctx, tx, a, sys, now, fmt.Sprintf("no escalation policy is named %q", cur.Policy))
			return err
		}
		if round > pol.Rounds {
			notifyIDs, err = s.giveUp(ctx, tx, a, sys, now, fmt.Sprintf("nobody acknowledged in %d rounds", pol.Rounds))
			return err
		}
		wrote = len(planned) > 0
		detail := fmt.Sprintf("policy %s, round %d, step %d: %s", pol.Name, round, pos+1, strings.Join(notes, "; "))
		if len(notes) == 0 {
			detail = fmt.Sprintf("policy %s, round %d, step %d: nobody to notify", pol.Name, round, pos+1)
		}
		next := now.Add(pol.Steps[pos].After)
		if s.st.Engine == store.Postgres {
			return s.writeStepPG(ctx, tx, cur, round, pos, planned, detail, next, now)
		}
		if err := s.insertPages(ctx, tx, a.ID, round, pos, planned, now); err != nil {
			return err
		}
		if err := s.logEntry(ctx, tx, a.ID, now, KindStep, "", detail, 0); err != nil {
			return err
		}
		return s.transition(ctx, tx, cur, statePage, round, pos+1, 0, 0, next, false, now)
	})
	s.enqueueNotify(ctx, notifyIDs)
	if wrote {
		s.kickPages()
	}
	return nil, err
}

func (s *Service) insertPages(ctx context.Context, tx *sql.Tx, alertID int64, round, step int, pages []plannedPage, now time.Time) error {
	if len(pages) == 0 {
		return nil
	}
	const cols = 14
	args := make([]any, 0, cols*len(pages))
	ms := store.Millis(now)
	for _, p := range pages {
		args = append(args, alertID, round, step, clip(p.target, 300), p.user, p.methodID, p.kind, p.address, p.destination, p.language,
			PagePending, store.Millis(p.due), ms, ms)
	}
	// DO NOTHING: a step that runs again (after a crash, on another
	// replica) finds its pages written and adds none.
	if _, err := tx.ExecContext(ctx, `INSERT INTO alert_pages (alert_id, round, step, target, user_name, method_id, kind, address, destination, language, status, due_at, created_at, updated_at)
		VALUES `+s.st.Rows(len(pages), cols)+` ON CONFLICT (alert_id, round, step, target, method_id) DO NOTHING`, args...); err != nil {
		return fmt.Errorf("alerts: write pages of %d: %w", alertID, err)
	}
	return nil
}

// writeStepPG writes what a step did in one statement on PostgreSQL: its
// pages, its timeline entry and the escalation moved on to the next step
// (what insertPages, logEntry and transition do in three).
func (s *Service) writeStepPG(ctx context.Context, tx *sql.Tx, cur *Escalation, round, pos int, pages []plannedPage, detail string, next, now time.Time) error {
	ms := store.Millis(now)
	var b strings.Builder
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	b.WriteString("WITH ")
	if len(pages) > 0 {
		b.WriteString("pg AS (INSERT INTO alert_pages (alert_id, round, step, target, user_name, method_id, kind, address, destination, language, status, due_at, created_at, updated_at) VALUES ")
		for i, p := range pages {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending', %s, %s, %s)", arg(cur.AlertID), arg(round), arg(pos), arg(clip(p.target, 300)),
				arg(p.user), arg(p.methodID), arg(p.kind), arg(p.address), arg(p.destination), arg(p.language), arg(store.Millis(p.due)), arg(ms), arg(ms))
		}
		b.WriteString(" ON CONFLICT (alert_id, round, step, target, method_id) DO NOTHING), ")
	}
	fmt.Fprintf(&b, "lg AS (INSERT INTO alert_log (alert_id, at, kind, actor, detail, call_id) VALUES (%s, %s, %s, '', %s, 0)) ", arg(cur.AlertID), arg(ms), arg(KindStep), arg(clip(detail, 2000)))
	fmt.Fprintf(&b, "UPDATE alert_escalations SET state = %s, round = %s, position = %s, call_id = 0, attempts = 0, step = step + 1, next_at = %s, claimed_until = 0, placing_until = 0, updated_at = %s WHERE alert_id = %s AND step = %s",
		arg(statePage), arg(round), arg(pos+1), arg(store.Millis(next)), arg(ms), arg(cur.AlertID), arg(cur.Step))
	res, err := tx.ExecContext(ctx, b.String(), args...)
	if err != nil {
		return fmt.Errorf("alerts: step of %d: %w", cur.AlertID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("alerts: escalation of %d moved on meanwhile", cur.AlertID)
	}
	if !next.After(now) {
		s.dueNow.Store(cur.AlertID, true)
	}
	return nil
}

// sendingPages tells endTx whether a page of the alert is being sent now
// (its request may be out): the acknowledgement waits for it.
func (s *Service) sendingPages(ctx context.Context, tx *sql.Tx, alertID int64) (bool, error) {
	var n int
	if err := s.rowQ(ctx, tx, `SELECT count(*) FROM alert_pages WHERE alert_id = ? AND status = 'sending' AND claimed_until > ?`,
		alertID, store.Millis(s.now())).Scan(&n); err != nil {
		return false, fmt.Errorf("alerts: pages being sent for %d: %w", alertID, err)
	}
	return n > 0, nil
}

// keepForReescalation decides, when an alert is acknowledged, whether its
// policy escalation stays (the step it reached re-escalates): then it is
// due again when that time is up.
func (s *Service) keepForReescalation(ctx context.Context, tx *sql.Tx, alertID int64, now time.Time) (bool, error) {
	var policy, state string
	var position int
	err := s.rowQ(ctx, tx, `SELECT policy, state, position FROM alert_escalations WHERE alert_id = ?`, alertID).Scan(&policy, &state, &position)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("alerts: escalation of %d: %w", alertID, err)
	}
	if state != statePage || position == 0 {
		return false, nil
	}
	pol, err := s.stepPolicy(ctx, tx, policy)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	idx := position - 1
	if idx >= len(pol.Steps) || pol.Steps[idx].Reescalate <= 0 {
		return false, nil
	}
	// step + 1: a runner holding the old step changes nothing.
	_, err = s.execQ(ctx, tx, `UPDATE alert_escalations SET next_at = ?, claimed_until = 0, step = step + 1, updated_at = ? WHERE alert_id = ?`,
		store.Millis(now.Add(pol.Steps[idx].Reescalate)), store.Millis(now), alertID)
	if err != nil {
		return false, fmt.Errorf("alerts: keep escalation of %d: %w", alertID, err)
	}
	return true, nil
}

// pageKey is the idempotency key of a page: the same on every attempt.
func pageKey(p *Page) string {
	return "opsdesk-page-" + strconv.FormatInt(p.ID, 10)
}

// PageClientToken is the Connect ClientToken of a page's call.
func PageClientToken(p *Page) string {
	return connect.ClientTokenFor("opsdesk-page", strconv.FormatInt(p.AlertID, 10), strconv.Itoa(p.Round), strconv.Itoa(p.Step), p.Target,
		strconv.FormatInt(p.MethodID, 10), p.Address)
}
