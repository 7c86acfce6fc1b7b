// Package auth keeps console users, their login sessions and the API tokens
// machines use. Passwords are hashed with argon2id; session and API tokens
// are random and stored only as SHA-256 hashes, so a copy of the database
// does not let anyone log in.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/opsdesk/opsdesk/internal/store"
)

// Roles.
const (
	RoleAdmin     = "admin"
	RoleResponder = "responder"
	RoleViewer    = "viewer"
)

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool { return r == RoleAdmin || r == RoleResponder || r == RoleViewer }

// Errors returned by this package.
var (
	ErrBadCredentials = errors.New("auth: wrong user name or password")
	ErrNotFound       = errors.New("auth: not found")
	ErrExists         = errors.New("auth: already exists")
)

// User is a console user.
type User struct {
	ID        int64
	Name      string
	Role      string
	CreatedAt time.Time
}

// CanWrite reports whether the user may change things (retry deliveries …).
func (u *User) CanWrite() bool { return u.Role == RoleAdmin || u.Role == RoleResponder }

// Service implements users, sessions and tokens over the store.
type Service struct {
	st  *store.Store
	now func() time.Time
}

// New returns the service; now may be nil for time.Now.
func New(st *store.Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, now: now}
}

// argon2id parameters (OWASP's second recommended set: 19 MiB, 2 passes).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an encoded argon2id hash of pw.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword verifies pw against an encoded hash in constant time.
func CheckPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// ValidateName checks a user or token name.
func ValidateName(name string) error {
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return errors.New("name must be 1 to 64 characters")
	}
	for _, r := range name {
		if r <= ' ' || r == '/' || r == '\\' {
			return fmt.Errorf("name must not contain spaces, control characters or slashes (%q)", name)
		}
	}
	return nil
}

// ValidatePassword enforces a minimum length.
func ValidatePassword(pw string) error {
	if utf8.RuneCountInString(pw) < 10 {
		return errors.New("password must be at least 10 characters")
	}
	return nil
}

// RandomToken returns n random bytes as URL-safe text.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("auth: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// CountUsers returns the number of users.
func (s *Service) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.st.W.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("auth: count users: %w", err)
	}
	return n, nil
}

// AddUser creates a user.
func (s *Service) AddUser(ctx context.Context, name, role, password string) (*User, error) {
	if err := ValidateName(name); err != nil {
		return nil, fmt.Errorf("auth: user: %w", err)
	}
	if !ValidRole(role) {
		return nil, fmt.Errorf("auth: role %q must be admin, responder or viewer", role)
	}
	if err := ValidatePassword(password); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	h, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	now := store.Millis(s.now())
	var id int64
	err = s.st.W.QueryRowContext(ctx, s.st.Q(`INSERT INTO users (name, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`),
		name, h, role, now, now).Scan(&id)
	if store.IsUniqueViolation(err) {
		return nil, fmt.Errorf("auth: user %q: %w", name, ErrExists)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: add user: %w", err)
	}
	return &User{ID: id, Name: name, Role: role, CreatedAt: store.Time(now)}, nil
}

// SetPassword changes a user's password and ends their sessions.
func (s *Service) SetPassword(ctx context.Context, name, password string) error {
	if err := ValidatePassword(password); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	h, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.st.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, s.st.Q(`UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ? RETURNING id`), h, store.Millis(s.now()), name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("auth: user %q: %w", name, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("auth: set password: %w", err)
		}
		_, err = tx.ExecContext(ctx, s.st.Q(`DELETE FROM sessions WHERE user_id = ?`), id)
		return err
	})
}

// ListUsers returns every user by name.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.st.R.QueryContext(ctx, `SELECT id, name, role, created_at FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("auth: list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var c int64
		if err := rows.Scan(&u.ID, &u.Name, &u.Role, &c); err != nil {
			return nil, err
		}
		u.CreatedAt = store.Time(c)
		out = append(out, u)
	}
	return out, rows.Err()
}

// Login checks credentials and opens a session. It returns the session
// token for the cookie and its CSRF token.
func (s *Service) Login(ctx context.Context, name, password string, ttl time.Duration) (sessionToken string, u *User, err error) {
	var hash string
	u = &User{}
	var created int64
	err = s.st.W.QueryRowContext(ctx, s.st.Q(`SELECT id, name, role, password_hash, created_at FROM users WHERE name = ?`), name).
		Scan(&u.ID, &u.Name, &u.Role, &hash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		// Spend the same time as a real check so user names can't be probed.
		CheckPassword(dummyHash(), password)
		return "", nil, ErrBadCredentials
	}
	if err != nil {
		return "", nil, fmt.Errorf("auth: login: %w", err)
	}
	if !CheckPassword(hash, password) {
		return "", nil, ErrBadCredentials
	}
	u.CreatedAt = store.Time(created)
	tok := RandomToken(32)
	now := s.now()
	_, err = s.st.W.ExecContext(ctx, s.st.Q(`INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`),
		hashToken(tok), u.ID, RandomToken(24), store.Millis(now), store.Millis(now.Add(ttl)))
	if err != nil {
		return "", nil, fmt.Errorf("auth: create session: %w", err)
	}
	// Opportunistic clean-up of expired sessions.
	_, _ = s.st.W.ExecContext(ctx, s.st.Q(`DELETE FROM sessions WHERE expires_at < ?`), store.Millis(now))
	return tok, u, nil
}

// dummyHash is checked against for unknown user names. It is computed on
// first use, not at start-up: an argon2id hash takes 19 MiB of memory.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("opsdesk-dummy-password")
	return h
})

// Session returns the user of a valid session token and its CSRF token.
func (s *Service) Session(ctx context.Context, token string) (*User, string, error) {
	if token == "" {
		return nil, "", ErrNotFound
	}
	u := &User{}
	var csrf string
	var created int64
	err := s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT u.id, u.name, u.role, u.created_at, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?`),
		hashToken(token), store.Millis(s.now())).Scan(&u.ID, &u.Name, &u.Role, &created, &csrf)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("auth: session: %w", err)
	}
	u.CreatedAt = store.Time(created)
	return u, csrf, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	_, err := s.st.W.ExecContext(ctx, s.st.Q(`DELETE FROM sessions WHERE token_hash = ?`), hashToken(token))
	return err
}

// TokenPrefix starts every API token so that secret scanners recognise it.
const TokenPrefix = "odt_"

// CreateToken makes a new API token and returns it; only its hash is kept.
func (s *Service) CreateToken(ctx context.Context, name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", fmt.Errorf("auth: token: %w", err)
	}
	tok := TokenPrefix + RandomToken(32)
	_, err := s.st.W.ExecContext(ctx, s.st.Q(`INSERT INTO api_tokens (name, token_hash, created_at) VALUES (?, ?, ?)`), name, hashToken(tok), store.Millis(s.now()))
	if store.IsUniqueViolation(err) {
		return "", fmt.Errorf("auth: token %q: %w", name, ErrExists)
	}
	if err != nil {
		return "", fmt.Errorf("auth: create token: %w", err)
	}
	return tok, nil
}

// CheckToken returns the name of the API token, or ErrNotFound.
func (s *Service) CheckToken(ctx context.Context, tok string) (string, error) {
	if !strings.HasPrefix(tok, TokenPrefix) {
		return "", ErrNotFound
	}
	var name string
	err := s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT name FROM api_tokens WHERE token_hash = ?`), hashToken(tok)).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("auth: check token: %w", err)
	}
	return name, nil
}

// Token is an API token's metadata.
type Token struct {
	Name      string
	CreatedAt time.Time
}

// ListTokens returns token names.
func (s *Service) ListTokens(ctx context.Context) ([]Token, error) {
	rows, err := s.st.R.QueryContext(ctx, `SELECT name, created_at FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("auth: list tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var c int64
		if err := rows.Scan(&t.Name, &c); err != nil {
			return nil, err
		}
		t.CreatedAt = store.Time(c)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken deletes a token by name.
func (s *Service) RevokeToken(ctx context.Context, name string) error {
	res, err := s.st.W.ExecContext(ctx, s.st.Q(`DELETE FROM api_tokens WHERE name = ?`), name)
	if err != nil {
		return fmt.Errorf("auth: revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("auth: token %q: %w", name, ErrNotFound)
	}
	return nil
}

// Bootstrap creates the admin user when there are no users and returns its
// one-time password ("" when users already exist).
func (s *Service) Bootstrap(ctx context.Context) (string, error) {
	n, err := s.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	pw := RandomToken(12)
	if _, err := s.AddUser(ctx, "admin", RoleAdmin, pw); err != nil {
		if errors.Is(err, ErrExists) { // another replica won the race
			return "", nil
		}
		return "", err
	}
	return pw, nil
}
