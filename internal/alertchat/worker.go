package alertchat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/textutil"
)

// Post states (alert_chat_posts.state).
const (
	stateNew     = "new"
	stateSending = "sending"
	statePosted  = "posted"
	stateUnknown = "unknown"
	stateFailed  = "failed"
)

// Robot stages (alert_chat_posts.stage).
const (
	stageOpened   = 1
	stageAcked    = 2
	stageResolved = 3
)

// claimBatch bounds the rows one pass claims.
const claimBatch = 50

// newestPerSystem bounds the newest alerts of a system a pass looks at
// for missing rows.
const newestPerSystem = 1000

// post is one claimed row.
type post struct {
	ID          int64
	AlertID     int64
	Destination string
	State       string
	Channel, TS string
	Stage       int
	NoteID      int64
	Digest      string
	Attempts    int
}

// Post is a row as tests and the console see it.
type Post struct {
	AlertID     int64
	Destination string
	State       string
	Channel, TS string
	Stage       int
	Error       string
}

// RunOnce adds rows for new alerts of followed systems, then claims and
// handles due rows until none is left. It returns how many rows it
// handled.
func (s *Service) RunOnce(ctx context.Context) (int, error) {
	if !s.Enabled() {
		return 0, nil
	}
	if err := s.addRows(ctx); err != nil {
		return 0, err
	}
	total := 0
	for {
		rows, err := s.claim(ctx)
		if err != nil {
			return total, err
		}
		for _, p := range rows {
			if err := s.handle(ctx, p); err != nil {
				s.o.Log.Warn("alertchat: post failed", "alert", p.AlertID, "destination", p.Destination, "error", err)
			}
		}
		total += len(rows)
		if len(rows) < claimBatch || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

// addRows inserts the missing rows of recent alerts of followed systems.
// Two replicas doing it at once insert each row once (the unique key).
func (s *Service) addRows(ctx context.Context) error {
	st := s.o.Store
	now := s.now()
	ms := store.Millis(now)
	since := store.Millis(now.Add(-s.o.Lookback))
	systems := make([]string, 0, len(s.o.Follow))
	for sys := range s.o.Follow {
		systems = append(systems, sys)
	}
	sort.Strings(systems)
	for _, sys := range systems {
		for _, dest := range s.o.Follow[sys] {
			_, err := st.W.ExecContext(ctx, st.Q(`INSERT INTO alert_chat_posts (alert_id, destination, created_at, updated_at)
				SELECT a.id, ?, ?, ? FROM (SELECT id, received_at FROM alerts WHERE system = ? ORDER BY id DESC LIMIT `+fmt.Sprint(newestPerSystem)+`) a
				WHERE a.received_at >= ? AND NOT EXISTS (SELECT 1 FROM alert_chat_posts p WHERE p.alert_id = a.id AND p.destination = ?)
				ON CONFLICT (alert_id, destination) DO NOTHING`), dest, ms, ms, sys, since, dest)
			if err != nil {
				return fmt.Errorf("alertchat: add rows of %s for %s: %w", sys, dest, err)
			}
		}
	}
	return nil
}

// claim takes up to claimBatch due rows for this worker. A row is due when
// nothing was posted yet, or its alert has a newer timeline entry, other
// repeats or another status than it showed.
func (s *Service) claim(ctx context.Context) ([]*post, error) {
	st := s.o.Store
	now := s.now()
	ms := store.Millis(now)
	lock := ""
	if st.Engine == store.Postgres {
		lock = " FOR UPDATE OF p SKIP LOCKED"
	}
	rows, err := st.W.QueryContext(ctx, st.Q(`UPDATE alert_chat_posts SET claimed_until = ?, claim = ? WHERE id IN (
		SELECT p.id FROM alert_chat_posts p JOIN alerts a ON a.id = p.alert_id
		WHERE p.done = 0 AND p.next_at <= ? AND p.claimed_until <= ? AND p.state IN ('new', 'sending', 'posted')
		AND (p.state <> 'posted' OR p.seen_repeats <> a.repeats OR p.seen_status <> a.status
			OR p.seen_log < (SELECT COALESCE(MAX(l.id), 0) FROM alert_log l WHERE l.alert_id = p.alert_id))
		ORDER BY p.id LIMIT `+fmt.Sprint(claimBatch)+lock+`)
		RETURNING id, alert_id, destination, state, channel, ts, stage, note_id, digest, attempts`),
		store.Millis(now.Add(s.o.Lease)), s.id, ms, ms)
	if err != nil {
		return nil, fmt.Errorf("alertchat: claim: %w", err)
	}
	defer rows.Close()
	var out []*post
	for rows.Next() {
		var p post
		if err := rows.Scan(&p.ID, &p.AlertID, &p.Destination, &p.State, &p.Channel, &p.TS, &p.Stage, &p.NoteID, &p.Digest, &p.Attempts); err != nil {
			return nil, fmt.Errorf("alertchat: claim: %w", err)
		}
		out = append(out, &p)
	}
	return out, rows.Err()
}

// exec runs an update of a row this worker holds; ok is false when the
// claim was lost (the lease ran out and another worker took the row).
func (s *Service) exec(ctx context.Context, p *post, set string, args ...any) (bool, error) {
	st := s.o.Store
	args = append(args, store.Millis(s.now()), p.ID, s.id)
	res, err := st.W.ExecContext(context.WithoutCancel(ctx), st.Q(`UPDATE alert_chat_posts SET `+set+`, updated_at = ? WHERE id = ? AND claim = ?`), args...)
	if err != nil {
		return false, fmt.Errorf("alertchat: update post %d: %w", p.ID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// seen is what a rendering showed, recorded with the post's outcome.
type seen struct {
	log     int64
	repeats int
	status  string
}

const releaseSeen = `seen_log = ?, seen_repeats = ?, seen_status = ?, claimed_until = 0`

func (v seen) args() []any { return []any{v.log, v.repeats, v.status} }

// handle renders the row's alert and posts or updates it.
func (s *Service) handle(ctx context.Context, p *post) error {
	d := s.o.Destinations[p.Destination]
	if d == nil {
		_, err := s.exec(ctx, p, `done = 1, claimed_until = 0, error = ?`, "the destination is no longer configured")
		return err
	}
	a, err := s.o.Alerts.Get(ctx, p.AlertID)
	if errors.Is(err, alerts.ErrNotFound) {
		_, err = s.exec(ctx, p, `done = 1, claimed_until = 0`)
		return err
	}
	if err != nil {
		return s.retry(ctx, p, err)
	}
	tl, err := s.o.Alerts.Timeline(ctx, p.AlertID)
	if err != nil {
		return s.retry(ctx, p, err)
	}
	v := seen{repeats: a.Repeats, status: a.Status}
	for _, e := range tl {
		v.log = max(v.log, e.ID)
	}
	view := s.view(a, tl, d.Language)
	if d.Type == "slack" {
		return s.handleSlack(ctx, p, d, a, view, v)
	}
	return s.handleRobot(ctx, p, d, a, view, v)
}

// retry gives a row back to be tried again after a backoff.
func (s *Service) retry(ctx context.Context, p *post, cause error) error {
	wait := notify.Backoff(p.Attempts+1, nil) + time.Second
	var ne *notify.Error
	if errors.As(cause, &ne) && ne.RetryAfter > wait {
		wait = ne.RetryAfter
	}
	_, err := s.exec(ctx, p, `attempts = attempts + 1, next_at = ?, claimed_until = 0, error = ?`,
		store.Millis(s.now().Add(wait)), textutil.Cut(cause.Error(), 500))
	if err != nil {
		return err
	}
	return cause
}

// notPosted reports whether a failed post surely did not arrive: the
// platform answered (below 500) or the connection was refused.
func notPosted(err error) bool {
	var ne *notify.Error
	if !errors.As(err, &ne) {
		return false
	}
	return ne.ConnectionRefused() || (ne.StatusCode > 0 && ne.StatusCode < 500)
}

func permanent(err error) bool {
	var ne *notify.Error
	return errors.As(err, &ne) && ne.Permanent
}

// lostWhileSending is recorded for a row left "sending" by a worker that
// died during the call.
const lostWhileSending = "the process stopped while posting: the message may or may not have arrived; not posted again"

func (s *Service) handleSlack(ctx context.Context, p *post, d *Destination, a *alerts.Alert, view *view, v seen) error {
	if d.Slack == nil {
		_, err := s.exec(ctx, p, `state = 'failed', done = 1, claimed_until = 0, error = ?`, "a slack destination needs bot_token_env to follow alerts")
		return err
	}
	done := 0
	if a.Status == alerts.StatusResolved {
		done = 1
	}
	msg := slackMessage(view)
	digest := msg.digest()
	switch p.State {
	case stateSending:
		_, err := s.exec(ctx, p, `state = 'unknown', done = 1, claimed_until = 0, error = ?`, lostWhileSending)
		return err
	case stateNew:
		ok, err := s.exec(ctx, p, `state = 'sending'`)
		if err != nil || !ok {
			return err
		}
		channel, ts, err := d.Slack.PostMessage(ctx, notify.SlackPost{Text: msg.Text, Blocks: msg.Blocks})
		switch {
		case err == nil:
		case notPosted(err) && permanent(err):
			_, uerr := s.exec(ctx, p, `state = 'failed', done = 1, claimed_until = 0, error = ?`, textutil.Cut(err.Error(), 500))
			return errors.Join(err, uerr)
		case notPosted(err):
			if _, uerr := s.exec(ctx, p, `state = 'new'`); uerr != nil {
				return uerr
			}
			return s.retry(ctx, p, err)
		default:
			_, uerr := s.exec(ctx, p, `state = 'unknown', done = 1, claimed_until = 0, error = ?`, textutil.Cut(err.Error(), 500))
			return errors.Join(err, uerr)
		}
		if channel == "" {
			channel = d.Slack.Channel()
		}
		p.Channel, p.TS = channel, ts
		if _, err := s.exec(ctx, p, `state = 'posted', channel = ?, ts = ?, digest = ?, attempts = 0, error = ''`, channel, ts, digest); err != nil {
			return err
		}
	case statePosted:
		if digest != p.Digest {
			if err := d.Slack.Update(ctx, p.TS, notify.SlackPost{Channel: p.Channel, Text: msg.Text, Blocks: msg.Blocks}); err != nil {
				if permanent(err) {
					// message_not_found (deleted), cant_update_message …:
					// this message cannot show the alert any more.
					_, uerr := s.exec(ctx, p, `state = 'failed', done = 1, claimed_until = 0, error = ?`, textutil.Cut(err.Error(), 500))
					return errors.Join(err, uerr)
				}
				return s.retry(ctx, p, err)
			}
			if _, err := s.exec(ctx, p, `digest = ?, attempts = 0, error = ''`, digest); err != nil {
				return err
			}
		}
	}
	if err := s.postNotes(ctx, p, d, view.lang); err != nil {
		return s.retry(ctx, p, err)
	}
	_, err := s.exec(ctx, p, releaseSeen+`, done = ?`, append(v.args(), done)...)
	return err
}

// postNotes posts the alert's notes that were not handed to the thread
// yet as replies under its message. Each note is marked handed before
// its call: a crash in between loses that reply rather than doubling it.
func (s *Service) postNotes(ctx context.Context, p *post, d *Destination, lang string) error {
	if p.TS == "" {
		return nil
	}
	notes, err := s.o.Alerts.Notes(ctx, p.AlertID)
	if err != nil {
		return err
	}
	for _, n := range notes {
		if n.ID <= p.NoteID {
			continue
		}
		before := p.NoteID
		ok, err := s.exec(ctx, p, `note_id = ?`, n.ID)
		if err != nil || !ok {
			return err
		}
		p.NoteID = n.ID
		msg := noteMessage(lang, n)
		_, _, err = d.Slack.PostMessage(ctx, notify.SlackPost{Channel: p.Channel, ThreadTS: p.TS, Text: msg.Text, Blocks: msg.Blocks})
		if err != nil && notPosted(err) && !permanent(err) {
			// Surely not posted: hand it back to be posted again.
			if _, uerr := s.exec(ctx, p, `note_id = ?`, before); uerr != nil {
				return uerr
			}
			p.NoteID = before
			return err
		}
		if err != nil {
			s.o.Log.Warn("alertchat: note not posted to the thread", "alert", p.AlertID, "note", n.ID, "error", err)
		}
	}
	return nil
}

// stageOf is the robot stage an alert status is at.
func stageOf(status string) int {
	switch status {
	case alerts.StatusAcknowledged:
		return stageAcked
	case alerts.StatusResolved:
		return stageResolved
	}
	return stageOpened
}

func (s *Service) handleRobot(ctx context.Context, p *post, d *Destination, a *alerts.Alert, view *view, v seen) error {
	if p.State == stateSending {
		// The stage recorded before the call may or may not have been
		// posted: count it as posted.
		if _, err := s.exec(ctx, p, `state = 'posted', error = ?`, lostWhileSending); err != nil {
			return err
		}
		p.State = statePosted
	}
	want := stageOf(a.Status)
	done := 0
	if want == stageResolved {
		done = 1
	}
	if want <= p.Stage {
		_, err := s.exec(ctx, p, releaseSeen+`, done = ?`, append(v.args(), done)...)
		return err
	}
	if want == stageOpened && len(view.calling) == 0 && s.now().Sub(a.ReceivedAt) < s.o.RobotGrace {
		// Wait a little for the first person to be called, to name them.
		_, err := s.exec(ctx, p, `next_at = ?, claimed_until = 0`, store.Millis(s.now().Add(s.o.Poll)))
		return err
	}
	req := notify.Request{
		DeliveryID: fmt.Sprintf("alert-%d-%s-%d", a.ID, d.Name, want),
		Attempt:    p.Attempts + 1,
		Message:    s.robotMessage(ctx, a, view, d),
	}
	if d.Type == "dingtalk" && want == stageOpened {
		req.Mention = s.mention(ctx, view, d)
	}
	prev := p.State
	ok, err := s.exec(ctx, p, `state = 'sending', stage = ?`, want)
	if err != nil || !ok {
		return err
	}
	_, err = d.Sender.Send(ctx, req)
	switch {
	case err == nil:
	case notPosted(err) && permanent(err):
		_, uerr := s.exec(ctx, p, `state = 'failed', stage = ?, done = 1, claimed_until = 0, error = ?`, p.Stage, textutil.Cut(err.Error(), 500))
		return errors.Join(err, uerr)
	case notPosted(err):
		if _, uerr := s.exec(ctx, p, `state = ?, stage = ?`, prev, p.Stage); uerr != nil {
			return uerr
		}
		return s.retry(ctx, p, err)
	default:
		// Unknown: the stage counts as posted, never sent twice.
		s.o.Log.Warn("alertchat: robot post may not have arrived; not sent again", "alert", a.ID, "destination", d.Name, "error", err)
	}
	errText := ""
	if err != nil {
		errText = textutil.Cut(err.Error(), 500)
	}
	_, uerr := s.exec(ctx, p, releaseSeen+`, state = 'posted', attempts = 0, error = ?, done = ?`, append(v.args(), errText, done)...)
	return uerr
}

// mention is the @mention of the person being called, when they have a
// verified chat contact method on the destination.
func (s *Service) mention(ctx context.Context, v *view, d *Destination) *notify.Mention {
	if s.o.Members == nil || len(v.calling) == 0 {
		return nil
	}
	who := v.calling[len(v.calling)-1]
	addr, err := s.o.Members.ChatAddress(ctx, who, d.Name)
	if err != nil || addr == "" {
		return nil
	}
	if mobileRe.MatchString(addr) {
		return &notify.Mention{Mobile: addr}
	}
	return &notify.Mention{UserID: addr}
}

// Posts returns an alert's rows (tests, the console).
func (s *Service) Posts(ctx context.Context, alertID int64) ([]Post, error) {
	st := s.o.Store
	rows, err := st.R.QueryContext(ctx, st.Q(`SELECT alert_id, destination, state, channel, ts, stage, error FROM alert_chat_posts WHERE alert_id = ? ORDER BY id`), alertID)
	if err != nil {
		return nil, fmt.Errorf("alertchat: posts of %d: %w", alertID, err)
	}
	defer rows.Close()
	var out []Post
	for rows.Next() {
		var p Post
		if err := rows.Scan(&p.AlertID, &p.Destination, &p.State, &p.Channel, &p.TS, &p.Stage, &p.Error); err != nil {
			return nil, fmt.Errorf("alertchat: posts of %d: %w", alertID, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// postIn finds the row of an alert shown in a Slack channel (the button
// pressed must be on opsdesk's message of that alert).
func (s *Service) postIn(ctx context.Context, alertID int64, channel string) (string, bool, error) {
	st := s.o.Store
	var dest string
	err := st.R.QueryRowContext(ctx, st.Q(`SELECT destination FROM alert_chat_posts WHERE alert_id = ? AND channel = ? AND channel <> '' ORDER BY id LIMIT 1`), alertID, channel).Scan(&dest)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("alertchat: post of %d in %s: %w", alertID, channel, err)
	}
	return dest, true, nil
}
