package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Administering users: roles, disabling, deleting, ending sessions, and
// each user's own profile (language, time zone). Every change is recorded
// in the audit log. No change may leave opsdesk without an enabled admin
// (ErrLastAdmin): demoting, disabling or deleting the last one is refused.

// Languages are the console languages a profile may choose ("" leaves
// the choice to the language switcher and the browser).
var Languages = []string{"en", "ja", "zh", "ko"}

// userCols are the columns a userScanner reads, from users aliased u.
const userCols = `u.id, u.name, u.role, u.created_at, u.password_expires_at, u.disabled, u.language, u.time_zone, u.last_login_at`

// userScanner reads userCols into a User.
type userScanner struct {
	u                  *User
	created            int64
	expires, lastLogin sql.NullInt64
}

func (u *User) scanner() *userScanner { return &userScanner{u: u} }

func (sc *userScanner) dest() []any {
	u := sc.u
	return []any{&u.ID, &u.Name, &u.Role, &sc.created, &sc.expires, &u.Disabled, &u.Language, &u.TimeZone, &sc.lastLogin}
}

func (sc *userScanner) done() {
	sc.u.CreatedAt = store.Time(sc.created)
	sc.u.PasswordExpiresAt = store.NullTime(sc.expires)
	sc.u.LastLoginAt = store.NullTime(sc.lastLogin)
}

func (s *Service) recordAs(ctx context.Context, a audit.Actor, action, target, detail string) {
	if s.Audit != nil {
		_ = s.Audit.RecordAs(ctx, a, action, target, detail)
	}
}

// GetUser returns the user called name, or ErrNotFound.
func (s *Service) GetUser(ctx context.Context, name string) (*User, error) {
	u := &User{}
	sc := u.scanner()
	err := s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT `+userCols+` FROM users u WHERE u.name = ?`), name).Scan(sc.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, newError(ErrNotFound, "there is no user %q", name)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: get user: %w", err)
	}
	sc.done()
	return u, nil
}

// CountAdmins returns the number of enabled admins.
func (s *Service) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT count(*) FROM users WHERE role = ? AND NOT disabled`), RoleAdmin).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("auth: count admins: %w", err)
	}
	return n, nil
}

// target is a user as a change to it sees them, inside its transaction.
type target struct {
	id       int64
	role     string
	disabled bool
}

// change runs fn on the user called name in one transaction. When
// removesAdmin says the change takes away an enabled admin, it is refused
// unless another enabled admin remains. On PostgreSQL the enabled admins'
// rows are locked first, so two admins demoting each other at the same
// moment cannot both succeed (SQLite has one writer).
func (s *Service) change(ctx context.Context, name, what string, removesAdmin func(t target) bool, fn func(tx *sql.Tx, t target) error) error {
	return s.st.Tx(ctx, func(tx *sql.Tx) error {
		q := `SELECT id FROM users WHERE role = ? AND NOT disabled`
		if s.st.Engine == store.Postgres {
			// In id order, so that two changes cannot deadlock.
			q += ` ORDER BY id FOR UPDATE`
		}
		rows, err := tx.QueryContext(ctx, s.st.Q(q), RoleAdmin)
		if err != nil {
			return fmt.Errorf("auth: %s: %w", what, err)
		}
		var admins []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("auth: %s: %w", what, err)
			}
			admins = append(admins, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("auth: %s: %w", what, err)
		}
		var t target
		err = tx.QueryRowContext(ctx, s.st.Q(`SELECT id, role, disabled FROM users WHERE name = ?`), name).Scan(&t.id, &t.role, &t.disabled)
		if errors.Is(err, sql.ErrNoRows) {
			return newError(ErrNotFound, "there is no user %q", name)
		}
		if err != nil {
			return fmt.Errorf("auth: %s: %w", what, err)
		}
		if t.role == RoleAdmin && !t.disabled && removesAdmin(t) {
			others := 0
			for _, id := range admins {
				if id != t.id {
					others++
				}
			}
			if others == 0 {
				return newError(ErrLastAdmin, "%s is the last enabled admin: make another user admin first", name)
			}
		}
		return fn(tx, t)
	})
}

// SetRole gives the user called name another role.
func (s *Service) SetRole(ctx context.Context, name, role string) error {
	if !ValidRole(role) {
		return newError(ErrInvalid, "role %q is not one of %s", role, strings.Join(Roles, ", "))
	}
	var was string
	err := s.change(ctx, name, "set role", func(target) bool { return role != RoleAdmin }, func(tx *sql.Tx, t target) error {
		was = t.role
		_, err := tx.ExecContext(ctx, s.st.Q(`UPDATE users SET role = ?, updated_at = ? WHERE id = ?`), role, store.Millis(s.now()), t.id)
		return err
	})
	if err != nil {
		return err
	}
	if was != role {
		s.record(ctx, "user.role", name, fmt.Sprintf("role %s (was %s)", role, was))
	}
	return nil
}

// SetDisabled disables (true) or enables the user called name. A disabled
// user cannot log in, and their sessions end at once.
func (s *Service) SetDisabled(ctx context.Context, name string, disabled bool) error {
	ended := 0
	err := s.change(ctx, name, "disable", func(target) bool { return disabled }, func(tx *sql.Tx, t target) error {
		if _, err := tx.ExecContext(ctx, s.st.Q(`UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?`), disabled, store.Millis(s.now()), t.id); err != nil {
			return err
		}
		if !disabled {
			return nil
		}
		res, err := tx.ExecContext(ctx, s.st.Q(`DELETE FROM sessions WHERE user_id = ?`), t.id)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		ended = int(n)
		return nil
	})
	if err != nil {
		return err
	}
	if disabled {
		s.record(ctx, "user.disable", name, fmt.Sprintf("%d sessions ended", ended))
	} else {
		s.record(ctx, "user.enable", name, "")
	}
	return nil
}

// DeleteUser deletes the user called name and their sessions. (That a
// console user cannot delete themselves is the console's rule.)
func (s *Service) DeleteUser(ctx context.Context, name string) error {
	var role string
	err := s.change(ctx, name, "delete user", func(target) bool { return true }, func(tx *sql.Tx, t target) error {
		role = t.role
		if _, err := tx.ExecContext(ctx, s.st.Q(`DELETE FROM sessions WHERE user_id = ?`), t.id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.st.Q(`DELETE FROM users WHERE id = ?`), t.id)
		return err
	})
	if err != nil {
		return err
	}
	s.record(ctx, "user.delete", name, "role "+role)
	return nil
}

// EndSessions ends every session of the user called name (they are
// logged out everywhere) and returns how many there were.
func (s *Service) EndSessions(ctx context.Context, name string) (int, error) {
	var n int64
	err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, s.st.Q(`SELECT id FROM users WHERE name = ?`), name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return newError(ErrNotFound, "there is no user %q", name)
		}
		if err != nil {
			return fmt.Errorf("auth: end sessions: %w", err)
		}
		res, err := tx.ExecContext(ctx, s.st.Q(`DELETE FROM sessions WHERE user_id = ? AND expires_at > ?`), id, store.Millis(s.now()))
		if err != nil {
			return fmt.Errorf("auth: end sessions: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.record(ctx, "user.sessions_end", name, fmt.Sprintf("%d sessions ended", n))
	return int(n), nil
}

// ValidLanguage reports whether l is "" or one of Languages.
func ValidLanguage(l string) bool {
	if l == "" {
		return true
	}
	for _, x := range Languages {
		if x == l {
			return true
		}
	}
	return false
}

// LoadZone checks a time zone name: "" (the server's zone) or an IANA
// name time.LoadLocation knows ("Asia/Tokyo", "UTC"). "Local" is refused:
// it would mean the server's zone under another name.
func LoadZone(name string) (*time.Location, error) {
	if name == "" {
		return nil, nil
	}
	if name == "Local" || len(name) > 64 {
		return nil, newError(ErrInvalid, "time zone %q is not an IANA zone name such as Asia/Tokyo", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, newError(ErrInvalid, "time zone %q is not an IANA zone name such as Asia/Tokyo", name)
	}
	return loc, nil
}

// SetProfile stores a user's own settings: the console language ("" or
// one of Languages) and time zone ("" or an IANA name).
func (s *Service) SetProfile(ctx context.Context, userID int64, language, timeZone string) error {
	if !ValidLanguage(language) {
		return newError(ErrInvalid, "language %q is not one of %s", language, strings.Join(Languages, ", "))
	}
	if _, err := LoadZone(timeZone); err != nil {
		return err
	}
	var name string
	err := s.st.W.QueryRowContext(ctx, s.st.Q(`UPDATE users SET language = ?, time_zone = ?, updated_at = ? WHERE id = ? RETURNING name`),
		language, timeZone, store.Millis(s.now()), userID).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return newError(ErrNotFound, "there is no user %d", userID)
	}
	if err != nil {
		return fmt.Errorf("auth: set profile: %w", err)
	}
	s.record(ctx, "user.profile", name, fmt.Sprintf("language %q, time zone %q", language, timeZone))
	return nil
}
