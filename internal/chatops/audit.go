package chatops

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
)

// Platforms.
const (
	PlatformDingTalk = "dingtalk"
	PlatformSlack    = "slack"
)

// Results of a command, as audited.
const (
	ResultRunning   = "running"   // being worked on
	ResultOK        = "ok"        // done
	ResultInvalid   = "invalid"   // malformed, or refused by validation; nothing was done
	ResultForbidden = "forbidden" // the sender may not run it
	ResultFailed    = "failed"    // AWS (or another service) refused or failed
)

// Origin is who sent a message, where, and what.
type Origin struct {
	Platform          string
	MsgID             string
	ReceivedAt        time.Time
	SenderID          string
	SenderName        string
	ConversationID    string
	ConversationTitle string
	Text              string
}

// record is a command's audit row, which is also its progress record.
type record struct {
	ID           int64
	Result       string
	Effect       string
	EffectAt     time.Time
	EffectResult string
	CaseID       string
}

// maxAuditText bounds the text kept of a message.
const maxAuditText = 4000

// begin records a received command (once per platform and message id) and
// returns its row.
func (s *Store) begin(ctx context.Context, o Origin) (record, error) {
	st := s.st
	_, err := st.W.ExecContext(ctx, st.Q(`INSERT INTO chat_audit (platform, msg_id, received_at, sender_id, sender_name, conversation_id, conversation_title, text)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, msg_id) DO NOTHING`),
		o.Platform, o.MsgID, store.Millis(o.ReceivedAt), cut(o.SenderID, 200), cut(o.SenderName, 200), cut(o.ConversationID, 200), cut(o.ConversationTitle, 200), cut(o.Text, maxAuditText))
	if err != nil {
		return record{}, fmt.Errorf("chatops: audit: %w", err)
	}
	var r record
	var effAt sql.NullInt64
	err = st.W.QueryRowContext(ctx, st.Q(`SELECT id, result, effect, effect_at, effect_result, case_id FROM chat_audit WHERE platform = ? AND msg_id = ?`), o.Platform, o.MsgID).
		Scan(&r.ID, &r.Result, &r.Effect, &effAt, &r.EffectResult, &r.CaseID)
	if err != nil {
		return record{}, fmt.Errorf("chatops: audit: %w", err)
	}
	r.EffectAt = store.NullTime(effAt)
	return r, nil
}

// setKind records which command a message is.
func (s *Store) setKind(ctx context.Context, id int64, kind string) error {
	_, err := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE chat_audit SET kind = ? WHERE id = ?`), kind, id)
	return err
}

// effectStarted records that the command's call to AWS is about to be
// made.
func (s *Store) effectStarted(ctx context.Context, id int64) error {
	_, err := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE chat_audit SET effect = 'started', effect_at = ? WHERE id = ?`), store.Millis(s.now()), id)
	if err != nil {
		return fmt.Errorf("chatops: audit %d: %w", id, err)
	}
	return nil
}

// effectDone records the outcome of the call to AWS.
func (s *Store) effectDone(ctx context.Context, id int64, caseID, result string) error {
	_, err := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE chat_audit SET effect = 'done', case_id = ?, effect_result = ? WHERE id = ?`), caseID, result, id)
	if err != nil {
		return fmt.Errorf("chatops: audit %d: %w", id, err)
	}
	return nil
}

// finishTx records the command's result.
func (s *Store) finishTx(ctx context.Context, tx *sql.Tx, id int64, kind, result, detail, caseID string) error {
	q := `UPDATE chat_audit SET kind = ?, result = ?, detail = ?, finished_at = ?`
	args := []any{kind, result, cut(detail, 1000), store.Millis(s.now())}
	if caseID != "" {
		q += `, case_id = ?`
		args = append(args, caseID)
	}
	_, err := tx.ExecContext(ctx, s.st.Q(q+` WHERE id = ?`), append(args, id)...)
	if err != nil {
		return fmt.Errorf("chatops: audit %d: %w", id, err)
	}
	return nil
}

// AuditEntry is one audited command, with the state of its reply.
type AuditEntry struct {
	ID                int64
	Platform          string
	ReceivedAt        time.Time
	SenderID          string
	SenderName        string
	ConversationID    string
	ConversationTitle string
	Kind              string
	Text              string
	Result            string
	Detail            string
	CaseID            string
	FinishedAt        time.Time
	// ReplyStatus is the reply's outbox status (pending, sending, sent,
	// failed; "" when none was queued); ReplyError its last error.
	ReplyStatus string
	ReplyRoute  string
	ReplyError  string
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	Platform string
	Kind     string
	Result   string
	// Q matches who (id or name), where (id or title), the text or the case
	// id (substring, case-insensitive for ASCII).
	Q        string
	From, To time.Time // received in [From, To)
	// Before pages: entries with a smaller id.
	Before int64
	Limit  int
}

// Audit lists audited commands, newest first.
func (s *Store) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var where []string
	var args []any
	for _, kv := range []struct{ col, v string }{{"a.platform", f.Platform}, {"a.kind", f.Kind}, {"a.result", f.Result}} {
		if kv.v != "" {
			where = append(where, kv.col+" = ?")
			args = append(args, kv.v)
		}
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(q)) + "%"
		var ors []string
		for _, col := range []string{"a.sender_id", "a.sender_name", "a.conversation_id", "a.conversation_title", "a.text", "a.case_id"} {
			ors = append(ors, "lower("+col+`) LIKE ? ESCAPE '\'`)
			args = append(args, like)
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	if !f.From.IsZero() {
		where = append(where, "a.received_at >= ?")
		args = append(args, store.Millis(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "a.received_at < ?")
		args = append(args, store.Millis(f.To))
	}
	if f.Before > 0 {
		where = append(where, "a.id < ?")
		args = append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	q := `SELECT a.id, a.platform, a.received_at, a.sender_id, a.sender_name, a.conversation_id, a.conversation_title, a.kind, a.text, a.result, a.detail, a.case_id, a.finished_at,
		o.status, o.route, o.last_error
		FROM chat_audit a LEFT JOIN chat_outbox o ON o.id = (SELECT max(x.id) FROM chat_outbox x WHERE x.audit_ref = a.id)`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY a.id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("chatops: audit list: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var received int64
		var finished sql.NullInt64
		var status, rt, lastErr sql.NullString
		if err := rows.Scan(&e.ID, &e.Platform, &received, &e.SenderID, &e.SenderName, &e.ConversationID, &e.ConversationTitle, &e.Kind, &e.Text,
			&e.Result, &e.Detail, &e.CaseID, &finished, &status, &rt, &lastErr); err != nil {
			return nil, fmt.Errorf("chatops: audit list: %w", err)
		}
		e.ReceivedAt, e.FinishedAt = store.Time(received), store.NullTime(finished)
		e.ReplyStatus, e.ReplyRoute, e.ReplyError = status.String, rt.String, lastErr.String
		out = append(out, e)
	}
	return out, rows.Err()
}

// AuditCount counts audited commands by result.
func (s *Store) AuditCount(ctx context.Context) (map[string]int, error) {
	rows, err := s.st.R.QueryContext(ctx, `SELECT result, count(*) FROM chat_audit GROUP BY result`)
	if err != nil {
		return nil, fmt.Errorf("chatops: audit count: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var r string
		var n int
		if err := rows.Scan(&r, &n); err != nil {
			return nil, err
		}
		out[r] = n
	}
	return out, rows.Err()
}

// FailedMessages counts messages (replies, updates) that could not be sent.
func (s *Store) FailedMessages(ctx context.Context) (int, error) {
	var n int
	if err := s.st.R.QueryRowContext(ctx, `SELECT count(*) FROM chat_outbox WHERE status = 'failed'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("chatops: failed messages: %w", err)
	}
	return n, nil
}

// FailedMessage is a message given up.
type FailedMessage struct {
	ID        int64
	Kind      string
	Queue     string
	Route     string
	Error     string
	CreatedAt time.Time
	AuditRef  int64
}

// RecentFailed lists the newest messages given up.
func (s *Store) RecentFailed(ctx context.Context, limit int) ([]FailedMessage, error) {
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT id, kind, queue, route, last_error, created_at, audit_ref FROM chat_outbox WHERE status = 'failed' ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("chatops: failed messages: %w", err)
	}
	defer rows.Close()
	var out []FailedMessage
	for rows.Next() {
		var m FailedMessage
		var created int64
		var ref sql.NullInt64
		if err := rows.Scan(&m.ID, &m.Kind, &m.Queue, &m.Route, &m.Error, &created, &ref); err != nil {
			return nil, err
		}
		m.CreatedAt, m.AuditRef = store.Time(created), ref.Int64
		out = append(out, m)
	}
	return out, rows.Err()
}
