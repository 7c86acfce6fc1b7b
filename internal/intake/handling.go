package intake

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/store"
)

// Question states: how far the team got with a question. Independent of
// the deliveries (which say whether the destinations received it).
const (
	StateOpen     = "open"
	StateAnswered = "answered"
	StateClosed   = "closed"
)

// CodeInvalid: the value is not one of the allowed ones.
const CodeInvalid = "invalid"

// States lists the states in their natural order.
var States = []string{StateOpen, StateAnswered, StateClosed}

// Limits of the handling fields, in characters.
const (
	MaxAssignee = 64
	MaxNote     = 4000
)

// Note is an internal note on a question: seen in the console only, never
// sent to a destination.
type Note struct {
	ID        int64
	Author    string
	Body      string
	CreatedAt time.Time
}

// SetState moves a question to state, recording who did it. Setting the
// state it already has changes nothing and is not an error.
func (s *Service) SetState(ctx context.Context, ref, state, by string) error {
	if !slices.Contains(States, state) {
		return &FieldError{Field: "state", Code: CodeInvalid, Msg: "must be one of " + strings.Join(States, ", ")}
	}
	res, err := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE questions SET state = ?, state_at = ?, state_by = ? WHERE ref = ? AND state <> ?`),
		state, store.Millis(s.now()), by, ref, state)
	if err != nil {
		return fmt.Errorf("intake: state of %s: %w", ref, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Get(ctx, ref); err != nil {
			return err
		}
	}
	return nil
}

// Assign sets who handles a question ("" for nobody).
func (s *Service) Assign(ctx context.Context, ref, assignee string) error {
	assignee = strings.TrimSpace(assignee)
	if n := utf8.RuneCountInString(assignee); n > MaxAssignee {
		return &FieldError{Field: "assignee", Code: CodeTooLong, Msg: fmt.Sprintf("is %d characters; at most %d", n, MaxAssignee), Length: n, Limit: MaxAssignee}
	}
	res, err := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE questions SET assignee = ? WHERE ref = ?`), assignee, ref)
	if err != nil {
		return fmt.Errorf("intake: assign %s: %w", ref, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// AddNote adds an internal note to a question.
func (s *Service) AddNote(ctx context.Context, ref, author, body string) (*Note, error) {
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(body); {
	case !utf8.ValidString(body):
		return nil, &FieldError{Field: "note", Code: CodeInvalidUTF8, Msg: "is not valid UTF-8"}
	case n == 0:
		return nil, &FieldError{Field: "note", Code: CodeRequired, Msg: "is empty"}
	case n > MaxNote:
		return nil, &FieldError{Field: "note", Code: CodeTooLong, Msg: fmt.Sprintf("is %d characters; at most %d", n, MaxNote), Length: n, Limit: MaxNote}
	}
	q, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	now := s.now()
	nt := &Note{Author: author, Body: body, CreatedAt: now}
	err = s.st.W.QueryRowContext(ctx, s.st.Q(`INSERT INTO question_notes (question_id, author, body, created_at) VALUES (?, ?, ?, ?) RETURNING id`),
		q.ID, author, body, store.Millis(now)).Scan(&nt.ID)
	if err != nil {
		return nil, fmt.Errorf("intake: note on %s: %w", ref, err)
	}
	return nt, nil
}

// Notes returns a question's notes, oldest first.
func (s *Service) Notes(ctx context.Context, questionID int64) ([]Note, error) {
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT id, author, body, created_at FROM question_notes WHERE question_id = ? ORDER BY id`), questionID)
	if err != nil {
		return nil, fmt.Errorf("intake: notes: %w", err)
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		var n Note
		var at int64
		if err := rows.Scan(&n.ID, &n.Author, &n.Body, &at); err != nil {
			return nil, fmt.Errorf("intake: notes: %w", err)
		}
		n.CreatedAt = store.Time(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

// StateCounts returns the number of questions in each state.
func (s *Service) StateCounts(ctx context.Context) (map[string]int, error) {
	out, err := s.st.CountBy(ctx, `SELECT state, count(*) FROM questions GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("intake: state counts: %w", err)
	}
	return out, nil
}
