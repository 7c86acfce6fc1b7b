package sqsin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/textutil"
)

// Message states in sqs_messages.
const (
	stateClaimed = "claimed"
	stateDone    = "done"
	stateDead    = "dead"
)

// Claim is what Store.Claim found.
type Claim int

const (
	// Claimed: the caller holds the message until its lease ends.
	Claimed Claim = iota
	// AlreadyDone: the message was committed before; delete it.
	AlreadyDone
	// AlreadyDead: the message is a dead letter already.
	AlreadyDead
	// Busy: another consumer holds the message.
	Busy
)

// Store keeps the claims and dead letters of SQS messages (migration
// 00027). It is shared by every replica through the database.
type Store struct {
	st *store.Store
}

// NewStore returns the store of the database st.
func NewStore(st *store.Store) *Store { return &Store{st: st} }

// Claim takes the message for consumer until the lease ends, unless it
// is done, dead, or held by a consumer whose lease has not ended. The
// insert and the take-over of an expired lease are one statement, so two
// replicas racing for a message cannot both win.
func (s *Store) Claim(ctx context.Context, queue, messageID, consumer string, receives int, now, until time.Time) (Claim, error) {
	var state string
	err := s.st.W.QueryRowContext(ctx, s.st.Q(`INSERT INTO sqs_messages (queue, message_id, state, claimed_by, claimed_until, receives, updated_at)
		VALUES (?, ?, 'claimed', ?, ?, ?, ?)
		ON CONFLICT (queue, message_id) DO UPDATE SET claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until,
			receives = excluded.receives, updated_at = excluded.updated_at
		WHERE sqs_messages.state = 'claimed' AND sqs_messages.claimed_until <= ?
		RETURNING state`), queue, messageID, consumer, store.Millis(until), receives, store.Millis(now), store.Millis(now)).Scan(&state)
	if err == nil {
		return Claimed, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Busy, fmt.Errorf("sqsin: claim %s/%s: %w", queue, messageID, err)
	}
	if err := s.st.W.QueryRowContext(ctx, s.st.Q(`SELECT state FROM sqs_messages WHERE queue = ? AND message_id = ?`), queue, messageID).Scan(&state); err != nil {
		return Busy, fmt.Errorf("sqsin: claim %s/%s: %w", queue, messageID, err)
	}
	switch state {
	case stateDone:
		return AlreadyDone, nil
	case stateDead:
		return AlreadyDead, nil
	}
	return Busy, nil
}

// Extend moves the lease of a claim the consumer holds.
func (s *Store) Extend(ctx context.Context, queue, messageID, consumer string, until time.Time) error {
	if _, err := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE sqs_messages SET claimed_until = ? WHERE queue = ? AND message_id = ? AND claimed_by = ? AND state = 'claimed'`),
		store.Millis(until), queue, messageID, consumer); err != nil {
		return fmt.Errorf("sqsin: extend %s/%s: %w", queue, messageID, err)
	}
	return nil
}

// Release gives a claim up at once (committing failed; another consumer
// may try as soon as SQS hands the message out again).
func (s *Store) Release(ctx context.Context, queue, messageID, consumer string) error {
	if _, err := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE sqs_messages SET claimed_until = 0 WHERE queue = ? AND message_id = ? AND claimed_by = ? AND state = 'claimed'`),
		queue, messageID, consumer); err != nil {
		return fmt.Errorf("sqsin: release %s/%s: %w", queue, messageID, err)
	}
	return nil
}

// Done records that the message was committed; outcome says to what.
func (s *Store) Done(ctx context.Context, queue, messageID, outcome string, now time.Time) error {
	if _, err := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE sqs_messages SET state = 'done', outcome = ?, updated_at = ? WHERE queue = ? AND message_id = ?`),
		textutil.Cut(outcome, 500), store.Millis(now), queue, messageID); err != nil {
		return fmt.Errorf("sqsin: mark %s/%s done: %w", queue, messageID, err)
	}
	return nil
}

// DeadLetter is a message opsdesk could not use.
type DeadLetter struct {
	ID          int64
	Queue       string
	MessageID   string
	Body        string
	Error       string
	Receives    int
	Disposition string // delete or leave: what became of the SQS message
	CreatedAt   time.Time
}

// MaxDeadLetterBody bounds the body kept of a dead letter (SQS allows
// 256 KiB; the console shows the start).
const MaxDeadLetterBody = 64 << 10

// Dead records a dead letter (once per message, whichever replica saw it
// first) and marks the message dead, in one transaction.
func (s *Store) Dead(ctx context.Context, d DeadLetter) error {
	body := d.Body
	if len(body) > MaxDeadLetterBody {
		body = textutil.Cut(body, MaxDeadLetterBody) + "\n…(cut)"
	}
	return s.st.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.st.Q(`INSERT INTO sqs_dead_letters (queue, message_id, body, error, receives, disposition, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (queue, message_id) DO NOTHING`),
			d.Queue, d.MessageID, body, textutil.Cut(d.Error, 2000), d.Receives, d.Disposition, store.Millis(d.CreatedAt)); err != nil {
			return fmt.Errorf("sqsin: dead letter %s/%s: %w", d.Queue, d.MessageID, err)
		}
		if _, err := tx.ExecContext(ctx, s.st.Q(`UPDATE sqs_messages SET state = 'dead', outcome = ?, updated_at = ? WHERE queue = ? AND message_id = ?`),
			textutil.Cut(d.Error, 500), store.Millis(d.CreatedAt), d.Queue, d.MessageID); err != nil {
			return fmt.Errorf("sqsin: dead letter %s/%s: %w", d.Queue, d.MessageID, err)
		}
		return nil
	})
}

// DeadLetters returns the newest dead letters, of one queue or all.
func (s *Store) DeadLetters(ctx context.Context, queue string, limit int) ([]DeadLetter, error) {
	q := `SELECT id, queue, message_id, body, error, receives, disposition, created_at FROM sqs_dead_letters`
	args := []any{}
	if queue != "" {
		q += ` WHERE queue = ?`
		args = append(args, queue)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("sqsin: list dead letters: %w", err)
	}
	defer rows.Close()
	var out []DeadLetter
	for rows.Next() {
		var d DeadLetter
		var at int64
		if err := rows.Scan(&d.ID, &d.Queue, &d.MessageID, &d.Body, &d.Error, &d.Receives, &d.Disposition, &at); err != nil {
			return nil, fmt.Errorf("sqsin: list dead letters: %w", err)
		}
		d.CreatedAt = time.UnixMilli(at).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// Counts returns the committed (done) and dead messages of each queue.
func (s *Store) Counts(ctx context.Context) (map[string]map[string]int, error) {
	rows, err := s.st.R.QueryContext(ctx, `SELECT queue, state, COUNT(*) FROM sqs_messages GROUP BY queue, state`)
	if err != nil {
		return nil, fmt.Errorf("sqsin: count messages: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var q, st string
		var n int
		if err := rows.Scan(&q, &st, &n); err != nil {
			return nil, fmt.Errorf("sqsin: count messages: %w", err)
		}
		if out[q] == nil {
			out[q] = map[string]int{}
		}
		out[q][st] = n
	}
	return out, rows.Err()
}

// Retention is how long a message's row is kept: longer than SQS keeps a
// message (at most 14 days), so a redelivery always finds it.
const Retention = 15 * 24 * time.Hour

// Prune forgets messages finished before now - Retention. Replicas may run
// it at once: a DELETE of old rows is the same whoever runs it.
func (s *Store) Prune(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.st.W.ExecContext(ctx, s.st.Q(`DELETE FROM sqs_messages WHERE state <> 'claimed' AND updated_at < ?`), store.Millis(now.Add(-Retention)))
	if err != nil {
		return 0, fmt.Errorf("sqsin: prune: %w", err)
	}
	return res.RowsAffected()
}
