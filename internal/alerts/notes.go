package alerts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/store"
)

// Notes and an assignee on alerts: the people handling an alert write
// down what they found and did, and say who is on it. Each change is a
// line of the timeline and an entry of the audit log.

// Timeline kinds of notes and assignments.
const (
	KindNote   = "note"
	KindAssign = "assign"
)

// Limits of notes and assignees, in characters.
const (
	MaxNote     = 10000
	MaxAssignee = 64
)

// Note is a note on an alert.
type Note struct {
	ID        int64
	AlertID   int64
	Author    string
	Body      string
	CreatedAt time.Time
}

// AddNote adds a note by author to an alert. The body is 1 to MaxNote
// characters (trimmed; CRLF becomes LF).
func (s *Service) AddNote(ctx context.Context, alertID int64, author, body string) (*Note, error) {
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(body); {
	case !utf8.ValidString(body):
		return nil, &ValidationError{"body", "is not valid UTF-8"}
	case n == 0:
		return nil, &ValidationError{"body", "is empty"}
	case n > MaxNote:
		return nil, &ValidationError{"body", fmt.Sprintf("is %d characters; at most %d", n, MaxNote)}
	}
	now := s.now()
	nt := &Note{AlertID: alertID, Author: author, Body: body, CreatedAt: now}
	err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, s.st.Q(`SELECT 1 FROM alerts WHERE id = ?`), alertID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("alerts: note on %d: %w", alertID, err)
		}
		err = tx.QueryRowContext(ctx, s.st.Q(`INSERT INTO alert_notes (alert_id, author, body, created_at) VALUES (?, ?, ?, ?) RETURNING id`),
			alertID, author, body, store.Millis(now)).Scan(&nt.ID)
		if err != nil {
			return fmt.Errorf("alerts: note on %d: %w", alertID, err)
		}
		return s.logEntry(ctx, tx, alertID, now, KindNote, author, body, 0)
	})
	if err != nil {
		return nil, err
	}
	s.record(ctx, "alert.note", "alert #"+strconv.FormatInt(alertID, 10), clip(body, 200))
	return nt, nil
}

// Notes returns an alert's notes, oldest first.
func (s *Service) Notes(ctx context.Context, alertID int64) ([]Note, error) {
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT id, alert_id, author, body, created_at FROM alert_notes WHERE alert_id = ? ORDER BY id`), alertID)
	if err != nil {
		return nil, fmt.Errorf("alerts: notes of %d: %w", alertID, err)
	}
	defer rows.Close()
	out := []Note{}
	for rows.Next() {
		var n Note
		var at int64
		if err := rows.Scan(&n.ID, &n.AlertID, &n.Author, &n.Body, &at); err != nil {
			return nil, fmt.Errorf("alerts: notes of %d: %w", alertID, err)
		}
		n.CreatedAt = store.Time(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

// Assignee returns who handles an alert ("" for nobody).
func (s *Service) Assignee(ctx context.Context, alertID int64) (string, error) {
	var who string
	err := s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT assignee FROM alerts WHERE id = ?`), alertID).Scan(&who)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("alerts: assignee of %d: %w", alertID, err)
	}
	return who, nil
}

// Assignees returns the assignees of the alerts with the ids that have
// one.
func (s *Service) Assignees(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q := `SELECT id, assignee FROM alerts WHERE assignee <> '' AND id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("alerts: assignees: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var who string
		if err := rows.Scan(&id, &who); err != nil {
			return nil, fmt.Errorf("alerts: assignees: %w", err)
		}
		out[id] = who
	}
	return out, rows.Err()
}

// Assign makes assignee handle an alert ("" for nobody); by names who
// did it. The assignee must be a user (isUser; nil accepts nobody but
// ""). Assigning the one already assigned changes nothing: changed is
// false and nothing is recorded.
func (s *Service) Assign(ctx context.Context, alertID int64, assignee, by string, isUser func(string) bool) (changed bool, err error) {
	assignee = strings.TrimSpace(assignee)
	if n := utf8.RuneCountInString(assignee); n > MaxAssignee {
		return false, &ValidationError{"assignee", fmt.Sprintf("is %d characters; at most %d", n, MaxAssignee)}
	}
	var prev string
	now := s.now()
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		changed = false
		err := tx.QueryRowContext(ctx, s.st.Q(`SELECT assignee FROM alerts WHERE id = ?`+s.forUpdate()), alertID).Scan(&prev)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("alerts: assign %d: %w", alertID, err)
		}
		if prev == assignee {
			return nil
		}
		if assignee != "" && (isUser == nil || !isUser(assignee)) {
			return &ValidationError{"assignee", "is not a console user: " + clip(assignee, MaxAssignee)}
		}
		if _, err := tx.ExecContext(ctx, s.st.Q(`UPDATE alerts SET assignee = ? WHERE id = ?`), assignee, alertID); err != nil {
			return fmt.Errorf("alerts: assign %d: %w", alertID, err)
		}
		changed = true
		return s.logEntry(ctx, tx, alertID, now, KindAssign, by, assignee, 0)
	})
	if err != nil || !changed {
		return false, err
	}
	detail := assignee
	if detail == "" {
		detail = "nobody"
	}
	if prev != "" {
		detail = prev + " → " + detail
	}
	s.record(ctx, "alert.assign", "alert #"+strconv.FormatInt(alertID, 10), detail)
	return true, nil
}
