package chatops

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
)

// Store keeps chat-ops' state in the database, so that every replica sees
// the same used signatures, command records, outbox and announced case
// states.
type Store struct {
	st  *store.Store
	now func() time.Time
}

// NewStore returns the chat-ops store; now is the clock (nil: time.Now).
func NewStore(st *store.Store, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{st: st, now: now}
}

// Use implements sig.Nonces: it records key until expires and reports
// whether it was fresh. The key is stored hashed (it holds a signature).
// A key that is still recorded but expired counts as fresh and is renewed;
// a key whose expiry has already passed is fresh and not stored.
func (s *Store) Use(ctx context.Context, key string, expires time.Time) (bool, error) {
	now := s.now()
	if !expires.After(now) {
		return true, nil
	}
	h := sha256.Sum256([]byte(key))
	res, err := s.st.W.ExecContext(ctx, s.st.Q(`INSERT INTO chat_nonces (key, expires_at) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE chat_nonces.expires_at <= ?`),
		hex.EncodeToString(h[:]), store.Millis(expires), store.Millis(now))
	if err != nil {
		return false, fmt.Errorf("chatops: record nonce: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("chatops: record nonce: %w", err)
	}
	return n == 1, nil
}

// Forget removes a nonce again (the request it belongs to could not be
// queued, so the sender's retry with the same signature must pass).
func (s *Store) Forget(ctx context.Context, key string) error {
	h := sha256.Sum256([]byte(key))
	_, err := s.st.W.ExecContext(ctx, s.st.Q(`DELETE FROM chat_nonces WHERE key = ?`), hex.EncodeToString(h[:]))
	return err
}

// Prune forgets expired nonces and rate-limit entries older than the
// window, and sent messages older than keep.
func (s *Store) Prune(ctx context.Context, keep time.Duration) error {
	now := s.now()
	for _, q := range []struct {
		sql string
		arg int64
	}{
		{`DELETE FROM chat_nonces WHERE expires_at <= ?`, store.Millis(now)},
		{`DELETE FROM chat_rate_log WHERE at <= ?`, store.Millis(now.Add(-2 * rateWindow))},
		{`DELETE FROM chat_outbox WHERE status = 'sent' AND sent_at <= ?`, store.Millis(now.Add(-keep))},
		// Lock rows of queues with nothing left to send (one per Slack
		// command otherwise stays forever).
		{`DELETE FROM chat_locks WHERE key LIKE 'queue:%' AND NOT EXISTS (SELECT 1 FROM chat_outbox o WHERE 'queue:' || o.queue = chat_locks.key AND o.status IN ('pending', 'sending') AND o.created_at > ?)`, 0},
	} {
		if _, err := s.st.W.ExecContext(ctx, s.st.Q(q.sql), q.arg); err != nil {
			return fmt.Errorf("chatops: prune: %w", err)
		}
	}
	return nil
}

// lock takes a row lock on key for the rest of tx. SQLite needs none:
// its write transactions are serialized (BEGIN IMMEDIATE).
func (s *Store) lock(ctx context.Context, tx *sql.Tx, key string) error {
	if s.st.Engine != store.Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO chat_locks (key) VALUES ($1) ON CONFLICT (key) DO NOTHING`, key); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `SELECT key FROM chat_locks WHERE key = $1 FOR UPDATE`, key)
	return err
}

// Conversation is what is known of a chat conversation.
type Conversation struct {
	Platform         string
	ID               string
	Title            string
	SessionWebhook   string
	SessionExpiresAt time.Time
}

// saveConversation remembers a conversation's title and latest
// sessionWebhook (only a later expiry replaces the stored one).
func (s *Store) saveConversation(ctx context.Context, c Conversation) error {
	if c.ID == "" {
		return nil
	}
	_, err := s.st.W.ExecContext(ctx, s.st.Q(`INSERT INTO chat_conversations (platform, conversation_id, title, session_webhook, session_expires_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (platform, conversation_id) DO UPDATE SET
			title = CASE WHEN excluded.title <> '' THEN excluded.title ELSE chat_conversations.title END,
			session_webhook = CASE WHEN excluded.session_expires_at > chat_conversations.session_expires_at THEN excluded.session_webhook ELSE chat_conversations.session_webhook END,
			session_expires_at = CASE WHEN excluded.session_expires_at > chat_conversations.session_expires_at THEN excluded.session_expires_at ELSE chat_conversations.session_expires_at END,
			updated_at = excluded.updated_at`),
		c.Platform, c.ID, c.Title, c.SessionWebhook, store.Millis(c.SessionExpiresAt), store.Millis(s.now()))
	if err != nil {
		return fmt.Errorf("chatops: save conversation: %w", err)
	}
	return nil
}

// conversation returns what is known of a conversation (zero if nothing).
func (s *Store) conversation(ctx context.Context, platform, id string) (Conversation, error) {
	c := Conversation{Platform: platform, ID: id}
	var exp int64
	err := s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT title, session_webhook, session_expires_at FROM chat_conversations WHERE platform = ? AND conversation_id = ?`), platform, id).
		Scan(&c.Title, &c.SessionWebhook, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("chatops: conversation %s: %w", id, err)
	}
	c.SessionExpiresAt = store.Time(exp)
	return c, nil
}

// Watch is a case created from chat.
type Watch struct {
	Account           string
	CaseID            string
	Platform          string
	ConversationID    string
	ConversationTitle string
	CreatedBy         string
	AuditRef          int64
}

// watch records a case created from chat, and the state its updates are
// compared with: the archived case's, or (when it could not be archived
// yet) an empty one, so that every AWS reply is announced.
func (s *Store) watch(ctx context.Context, w Watch) error {
	now := store.Millis(s.now())
	return s.st.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.st.Q(`INSERT INTO chat_cases (account, case_id, platform, conversation_id, conversation_title, created_by, audit_ref, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, case_id) DO NOTHING`),
			w.Account, w.CaseID, w.Platform, w.ConversationID, w.ConversationTitle, w.CreatedBy, w.AuditRef, now); err != nil {
			return fmt.Errorf("chatops: watch %s: %w", w.CaseID, err)
		}
		var status string
		var count int
		var mark sql.NullInt64
		err := tx.QueryRowContext(ctx, s.st.Q(`SELECT c.status, c.comm_count, (SELECT max(m.id) FROM case_communications m WHERE m.case_ref = c.id)
			FROM cases c WHERE c.account = ? AND c.case_id = ?`), w.Account, w.CaseID).Scan(&status, &count, &mark)
		if errors.Is(err, sql.ErrNoRows) {
			status, count, mark = "", 0, sql.NullInt64{}
		} else if err != nil {
			return fmt.Errorf("chatops: watch %s: %w", w.CaseID, err)
		}
		_, err = tx.ExecContext(ctx, s.st.Q(`INSERT INTO chat_case_state (account, case_id, status, comm_count, comm_mark, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, case_id) DO NOTHING`), w.Account, w.CaseID, status, count, mark.Int64, now)
		if err != nil {
			return fmt.Errorf("chatops: watch %s: %w", w.CaseID, err)
		}
		return nil
	})
}
