package alerts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
)

// SNS messages taken in. A CloudWatch alarm that reached
// /api/v1/alerts/cloudwatch through an SNS subscription is signed by SNS,
// but a signature says nothing about how often it is posted: whoever saw
// one message (a proxy log, a mail of the payload) could post it again
// within the signature's time window and re-open an alert that was
// resolved. So each MessageId is remembered after its signals are stored,
// and a message seen before is answered 200 without acting again. It is
// remembered after, not before: a replica that crashes in between has
// stored nothing the retry would miss, at the price of taking in one
// retry twice (which counts a repeat, or resolves again).

// SNSSeen reports whether the SNS message id was taken in before and is
// still remembered.
func (s *Service) SNSSeen(ctx context.Context, messageID string) (bool, error) {
	var one int
	err := s.rowQ(ctx, s.st.R, `SELECT 1 FROM alert_sns_messages WHERE message_id = ? AND expires_at > ?`, messageID, store.Millis(s.now())).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("alerts: look up SNS message %s: %w", messageID, err)
	}
	return true, nil
}

// RecordSNS remembers an SNS message id until expires (when its signature
// fails the time window anyway).
func (s *Service) RecordSNS(ctx context.Context, messageID, topicARN string, expires time.Time) error {
	now := store.Millis(s.now())
	if _, err := s.execQ(ctx, s.st.W, `INSERT INTO alert_sns_messages (message_id, topic_arn, seen_at, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (message_id) DO UPDATE SET seen_at = excluded.seen_at, expires_at = excluded.expires_at`,
		messageID, clip(topicARN, 300), now, store.Millis(expires)); err != nil {
		return fmt.Errorf("alerts: remember SNS message %s: %w", messageID, err)
	}
	return nil
}

// pruneSNS forgets SNS message ids past their time window.
func (s *Service) pruneSNS(ctx context.Context) error {
	if _, err := s.execQ(ctx, s.st.W, `DELETE FROM alert_sns_messages WHERE expires_at <= ?`, store.Millis(s.now())); err != nil {
		return fmt.Errorf("alerts: forget old SNS messages: %w", err)
	}
	return nil
}
