package contact

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// ChatMember is the user behind a chat member id and that user's role.
type ChatMember struct {
	User, Role string
}

// UserByChatMember returns the user who verified a chat contact method
// with that member id (a Slack member id, a DingTalk userId or mobile) on
// one of the destinations. Only verified methods count: a member id
// someone merely typed in proves nothing. ErrNotFound when nobody did.
// Two users with the same verified member id (possible, since each
// verifies by a code sent to that member) are refused rather than guessed.
func (s *Service) UserByChatMember(ctx context.Context, destinations []string, member string) (ChatMember, error) {
	if member == "" || len(destinations) == 0 {
		return ChatMember{}, ErrNotFound
	}
	args := []any{member}
	marks := make([]string, len(destinations))
	for i, d := range destinations {
		marks[i] = "?"
		args = append(args, d)
	}
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT DISTINCT u.name, u.role FROM contact_methods m JOIN users u ON u.id = m.user_id
		WHERE m.kind = 'chat' AND m.address = ? AND m.verified_at > 0 AND m.destination IN (`+strings.Join(marks, ", ")+`) ORDER BY u.name LIMIT 2`), args...)
	if err != nil {
		return ChatMember{}, fmt.Errorf("contact: chat member: %w", err)
	}
	defer rows.Close()
	var out []ChatMember
	for rows.Next() {
		var m ChatMember
		if err := rows.Scan(&m.User, &m.Role); err != nil {
			return ChatMember{}, fmt.Errorf("contact: chat member: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return ChatMember{}, fmt.Errorf("contact: chat member: %w", err)
	}
	switch len(out) {
	case 0:
		return ChatMember{}, ErrNotFound
	case 1:
		return out[0], nil
	}
	return ChatMember{}, fmt.Errorf("contact: chat member: two users verified the same member id")
}

// ChatAddress returns the member id of the user's verified chat method on
// destination (to mention them there); ErrNotFound when there is none.
func (s *Service) ChatAddress(ctx context.Context, user, destination string) (string, error) {
	var addr string
	err := s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT m.address FROM contact_methods m JOIN users u ON u.id = m.user_id
		WHERE u.name = ? AND m.kind = 'chat' AND m.destination = ? AND m.verified_at > 0 ORDER BY m.id LIMIT 1`), user, destination).Scan(&addr)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("contact: chat address of %s: %w", user, err)
	}
	return addr, nil
}
