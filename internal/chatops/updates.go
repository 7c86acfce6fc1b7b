package chatops

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Case updates back to chat.
//
// The Updater compares each followed case's current state in the archive
// (status, number of messages) with the state it last announced
// (chat_case_state) and announces the difference: a new reply from AWS, a
// resolution, a reopening. It does not care how the archive learned of the
// change (the periodic sync, an EventBridge event, a chat command): it runs
// every UpdateInterval and right after a single case is synced.
//
// A change is claimed by a compare-and-set of the stored state, in the same
// transaction that queues its messages, so a change is announced exactly
// once however many replicas or runs look at it at the same time, and a
// crash either announces it (later, by the outbox) or leaves it to the
// next run. The first time a case is seen its state is recorded without an
// announcement (enabling updates does not replay the archive's history);
// a case created from chat is recorded when it is created, so its first
// AWS reply is announced.

// UpdateTarget sends updates of every case at or above MinSeverity to a
// destination.
type UpdateTarget struct {
	Destination string
	MinSeverity string
	Language    string
}

// Updater announces case updates.
type Updater struct {
	Store  *Store
	Outbox *Outbox
	// All receive every case's updates (chat.updates).
	All []UpdateTarget
	// DingTalk conversations get updates of the cases created in them,
	// in this language and msgtype.
	DingTalkLanguage, DingTalkMsgType string
	// SlackDestination receives the updates of cases created from Slack
	// ("" for none), in SlackLanguage.
	SlackDestination, SlackLanguage string
	BaseURL                         string
	Now                             func() time.Time
	Log                             *slog.Logger
}

// awsSubmitter is how the Support API signs AWS's own messages.
const awsSubmitter = "Amazon Web Services"

func (u *Updater) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

func (u *Updater) log() *slog.Logger {
	if u.Log != nil {
		return u.Log
	}
	return slog.New(slog.DiscardHandler)
}

// caseState is one case as archived, beside what was announced of it.
type caseState struct {
	ref                                                     int64
	account, caseID, display, subject, status, sev, service string
	count                                                   int
	has                                                     bool
	aStatus                                                 string
	aCount                                                  int
	aMark                                                   int64
	aAt                                                     int64
	platform, conversation                                  sql.NullString
	maxComm                                                 sql.NullInt64
}

// Check announces what changed in every followed case, or in one case
// (account and caseID set; caseID may be a display id). It returns the
// number of messages queued.
func (u *Updater) Check(ctx context.Context, account, caseID string) (int, error) {
	st := u.Store.st
	total := 0
	var after int64
	for range 1000 {
		q := `SELECT c.id, c.account, c.case_id, c.display_id, c.subject, c.status, c.severity, c.service_code, c.comm_count,
			s.case_id IS NOT NULL, COALESCE(s.status, ''), COALESCE(s.comm_count, 0), COALESCE(s.comm_mark, 0), COALESCE(s.updated_at, 0), w.platform, w.conversation_id,
			CASE WHEN s.case_id IS NULL THEN (SELECT max(m.id) FROM case_communications m WHERE m.case_ref = c.id) END
			FROM cases c
			LEFT JOIN chat_case_state s ON s.account = c.account AND s.case_id = c.case_id
			LEFT JOIN chat_cases w ON w.account = c.account AND w.case_id = c.case_id
			WHERE c.id > ? AND (s.case_id IS NULL OR s.status <> c.status OR s.comm_count <> c.comm_count)`
		args := []any{after}
		if len(u.All) == 0 {
			q += ` AND w.case_id IS NOT NULL`
		}
		if caseID != "" {
			q += ` AND c.account = ? AND (c.case_id = ? OR c.display_id = ?)`
			args = append(args, account, caseID, caseID)
		}
		q += ` ORDER BY c.id LIMIT 200`
		rows, err := st.R.QueryContext(ctx, st.Q(q), args...)
		if err != nil {
			return total, fmt.Errorf("chatops: updates: %w", err)
		}
		var page []caseState
		for rows.Next() {
			var c caseState
			if err := rows.Scan(&c.ref, &c.account, &c.caseID, &c.display, &c.subject, &c.status, &c.sev, &c.service, &c.count,
				&c.has, &c.aStatus, &c.aCount, &c.aMark, &c.aAt, &c.platform, &c.conversation, &c.maxComm); err != nil {
				rows.Close()
				return total, fmt.Errorf("chatops: updates: %w", err)
			}
			page = append(page, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return total, fmt.Errorf("chatops: updates: %w", err)
		}
		if len(page) == 0 {
			return total, nil
		}
		// First sight: record the cases as they are, announce nothing.
		var first []caseState
		for _, c := range page {
			if !c.has {
				first = append(first, c)
			}
		}
		if err := u.record(ctx, first); err != nil {
			return total, err
		}
		for _, c := range page {
			after = c.ref
			if !c.has {
				continue
			}
			n, err := u.announce(ctx, c)
			if err != nil {
				return total, err
			}
			total += n
		}
	}
	return total, nil
}

// record stores the state of cases seen for the first time, in one
// statement (the first check of a large archive records thousands).
func (u *Updater) record(ctx context.Context, cs []caseState) error {
	if len(cs) == 0 {
		return nil
	}
	st := u.Store.st
	now := store.Millis(u.now())
	args := make([]any, 0, 6*len(cs))
	for _, c := range cs {
		args = append(args, c.account, c.caseID, c.status, c.count, c.maxComm.Int64, now)
	}
	_, err := st.W.ExecContext(ctx, `INSERT INTO chat_case_state (account, case_id, status, comm_count, comm_mark, updated_at) VALUES `+
		st.Rows(len(cs), 6)+` ON CONFLICT (account, case_id) DO NOTHING`, args...)
	if err != nil {
		return fmt.Errorf("chatops: updates: record %d cases: %w", len(cs), err)
	}
	return nil
}

// event is one thing to announce about a case.
type event struct {
	key   string // for the outbox's dedup key
	kind  string // reply, resolved, reopened
	from  string // reply: who
	at    time.Time
	body  string
	title func(w *words) string
}

// announce claims and queues the changes of one case.
func (u *Updater) announce(ctx context.Context, c caseState) (int, error) {
	st := u.Store.st
	now := u.now()
	var q []queued
	err := st.Tx(ctx, func(tx *sql.Tx) error {
		// What the archive holds beyond what was announced.
		rows, err := tx.QueryContext(ctx, st.Q(`SELECT id, submitted_by, body, time_created FROM case_communications WHERE case_ref = ? AND id > ? ORDER BY id`), c.ref, c.aMark)
		if err != nil {
			return err
		}
		mark := c.aMark
		var events []event
		name := c.display
		if name == "" {
			name = c.caseID
		}
		for rows.Next() {
			var id, at int64
			var by, body string
			if err := rows.Scan(&id, &by, &body, &at); err != nil {
				rows.Close()
				return err
			}
			mark = max(mark, id)
			if by == awsSubmitter {
				events = append(events, event{key: "reply:" + strconv.FormatInt(id, 10), kind: "reply", from: by, at: store.Time(at), body: body,
					title: func(w *words) string { return w.f(w.updReply, name) }})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		gen := strconv.FormatInt(c.aAt, 10)
		switch {
		case c.status == "resolved" && c.aStatus != "resolved":
			events = append(events, event{key: "resolved:" + gen, kind: "resolved", title: func(w *words) string { return w.f(w.updResolved, name) }})
		case c.aStatus == "resolved" && c.status != "resolved":
			events = append(events, event{key: "reopened:" + gen, kind: "reopened", title: func(w *words) string { return w.f(w.updReopened, name) }})
		}
		at := max(store.Millis(now), c.aAt+1)
		res, err := tx.ExecContext(ctx, st.Q(`UPDATE chat_case_state SET status = ?, comm_count = ?, comm_mark = ?, updated_at = ?
			WHERE account = ? AND case_id = ? AND status = ? AND comm_count = ? AND comm_mark = ? AND updated_at = ?`),
			c.status, c.count, mark, at, c.account, c.caseID, c.aStatus, c.aCount, c.aMark, c.aAt)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err // another run claimed this change
		}
		if len(events) == 0 {
			return nil
		}
		q, err = u.Outbox.enqueueTx(ctx, tx, u.messages(c, events))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("chatops: announce %s: %w", c.caseID, err)
	}
	if len(q) > 0 {
		u.log().Info("chat: case update queued", "account", c.account, "case", c.caseID, "messages", len(q))
	}
	return len(q), u.Outbox.kick(ctx, q)
}

// severityRank orders severity codes (unknown: lowest).
func severityRank(s string) int {
	return slices.Index([]string{"low", "normal", "high", "urgent", "critical"}, s)
}

// notifySeverity maps a case severity to a message severity.
func notifySeverity(s string) string {
	switch s {
	case "critical":
		return notify.SeverityCritical
	case "urgent":
		return notify.SeverityError
	case "high":
		return notify.SeverityWarning
	}
	return notify.SeverityInfo
}

func (u *Updater) link(caseID string) string {
	if u.BaseURL == "" {
		return ""
	}
	return strings.TrimRight(u.BaseURL, "/") + "/cases/" + url.PathEscape(caseID)
}

const maxUpdateBody = 1500

// text is an event as plain chat text.
func (u *Updater) text(w *words, c caseState, e event) string {
	var b strings.Builder
	b.WriteString(e.title(w))
	b.WriteString("\n" + w.fieldSubject + ": " + c.subject)
	b.WriteString("\n" + w.fieldStatus + ": " + c.status + " · " + w.fieldSeverity + ": " + c.sev)
	if e.kind == "reply" {
		b.WriteString("\n\n" + w.f(w.updFrom, e.from, when(e.at)) + "\n" + cutRunes(strings.TrimSpace(e.body), maxUpdateBody))
	}
	if l := u.link(c.caseID); l != "" {
		b.WriteString("\n" + w.f(w.link, l))
	}
	return b.String()
}

// message is an event as a destination's message.
func (u *Updater) message(w *words, c caseState, e event) *notify.Message {
	m := &notify.Message{
		Kind: "case", Title: e.title(w), URL: u.link(c.caseID), Severity: notifySeverity(c.sev), Ref: c.display,
		Fields: []notify.Field{
			{Name: w.fieldSubject, Value: c.subject},
			{Name: w.fieldStatus, Value: c.status},
			{Name: w.fieldSeverity, Value: c.sev},
			{Name: w.fieldService, Value: c.service},
			{Name: w.fieldCase, Value: c.caseID},
		},
	}
	if m.Ref == "" {
		m.Ref = c.caseID
	}
	if e.kind == "reply" {
		m.Text = w.f(w.updFrom, e.from, when(e.at)) + "\n" + cutRunes(strings.TrimSpace(e.body), maxUpdateBody)
	}
	return m
}

// messages builds every message of a case's events: to the conversation the
// case came from, and to each destination that follows all cases of its
// severity (each destination once).
func (u *Updater) messages(c caseState, events []event) []OutMessage {
	var out []OutMessage
	dests := map[string]bool{}
	base := "upd:" + c.account + ":" + c.caseID + ":"
	add := func(queue string, e event, mk func(e event) (Target, Payload)) {
		t, p := mk(e)
		out = append(out, OutMessage{Queue: queue, Target: t, Payload: p, Dedup: base + e.key + ":" + queue})
	}
	for _, e := range events {
		switch {
		case c.platform.String == PlatformDingTalk && c.conversation.String != "":
			w := wordsFor(u.DingTalkLanguage)
			conv := c.conversation.String
			add("dingtalk:"+conv, e, func(e event) (Target, Payload) {
				return Target{Kind: TargetDingTalk, Conversation: conv}, Payload{Title: e.title(w), Text: u.text(w, c, e), MsgType: u.DingTalkMsgType}
			})
		case c.platform.String == PlatformSlack && u.SlackDestination != "":
			w := wordsFor(u.SlackLanguage)
			dests[u.SlackDestination] = true
			add("dest:"+u.SlackDestination, e, func(e event) (Target, Payload) {
				return Target{Kind: TargetDestination, Destination: u.SlackDestination}, Payload{Message: u.message(w, c, e)}
			})
		}
		for _, t := range u.All {
			if dests[t.Destination] || severityRank(c.sev) < severityRank(orDefault(t.MinSeverity, "low")) {
				continue
			}
			w := wordsFor(orDefault(t.Language, "en"))
			dest := t.Destination
			add("dest:"+dest, e, func(e event) (Target, Payload) {
				return Target{Kind: TargetDestination, Destination: dest}, Payload{Message: u.message(w, c, e)}
			})
		}
		clear(dests)
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
