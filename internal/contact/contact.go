// Package contact keeps how opsdesk reaches each console user when they
// are on call (issue 12): their contact methods — a voice call through
// Amazon Connect, SMS through AWS End User Messaging SMS, email through
// Amazon SES, a mention in a DingTalk or Slack destination — and their
// notification rules (which method, after how long, for which
// severities).
//
// A method is used only once it is verified: opsdesk sends a 6-digit code
// to it (a voice method gets a call that reads the code digit by digit)
// and the user types the code back. Codes are stored hashed, expire after
// 10 minutes, allow 5 wrong tries, and a method gets at most one code a
// minute. A verified method can be tested ("send me a test") at most once
// a minute.
//
// The escalation engine asks Plan how to notify a user for an alert of a
// severity, and sends through the Senders here (SMS, Email, Chat, Voice),
// whose errors NotSent classifies: only a send that surely did not reach
// the provider may be retried.
package contact

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/store"
)

// Limits of verification and tests.
const (
	CodeTTL         = 10 * time.Minute
	CodeInterval    = time.Minute // at most one code per method per minute
	MaxCodeAttempts = 5
	TestInterval    = time.Minute // at most one test per method per minute
	MaxDelay        = 24 * time.Hour
	MaxMethods      = 20 // per user
	MaxRules        = 50 // per user
	MaxLabel        = 64 // runes
	codeDigits      = 6
)

// Severities a rule may name. "unspecified" is an alert without a severity.
var Severities = []string{"critical", "error", "warning", "info", "unspecified"}

// Languages a method may be given ("" follows the user's profile).
var Languages = []string{"en", "ja", "zh", "ko"}

// ErrNotFound: no such user, or no such method of the user.
var ErrNotFound = errors.New("contact: not found")

// TooSoonError refuses a code or test asked for within a minute of the
// last one.
type TooSoonError struct {
	What string // "code" or "test"
	Wait time.Duration
}

func (e *TooSoonError) Error() string {
	return fmt.Sprintf("contact: a %s was sent less than a minute ago; try again in %s", e.What, e.Wait.Round(time.Second))
}

// ErrNotConfigured: the kind of method has no configured provider
// (oncall.sms, oncall.email, alerts.connect).
var ErrNotConfigured = errors.New("contact: not configured")

// Method is a contact method as the escalation engine sees it.
type Method struct {
	ID, UserID                                        int64
	User, Kind, Label, Address, Destination, Language string
	Verified                                          bool
}

// Planned is one notification of a user: by Method, Delay after the user
// is reached in the escalation.
type Planned struct {
	Method Method
	Delay  time.Duration
}

// Detail is a method with its verification state, for the console and the
// API.
type Detail struct {
	Method
	VerifiedAt    time.Time
	CodeExpiresAt time.Time // of the pending code; zero when none
	LastTestAt    time.Time
	CreatedAt     time.Time
}

// CodePending reports whether a code was sent and can still be confirmed.
func (d Detail) CodePending(now time.Time) bool {
	return !d.CodeExpiresAt.IsZero() && now.Before(d.CodeExpiresAt)
}

// Rule is one notification rule: Method after Delay, for Severities
// (empty: every severity).
type Rule struct {
	ID         int64
	MethodID   int64
	Delay      time.Duration
	Severities []string
}

// NewMethod is what AddMethod takes.
type NewMethod struct {
	Kind, Label, Address, Destination, Language string
}

// Options configure a Service.
type Options struct {
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Senders send codes and tests, by kind (voice, sms, email, chat); a
	// kind without a sender can be added but not verified.
	Senders map[string]Sender
	// Destinations tells the type of a chat destination (address
	// validation).
	Destinations DestinationKind
	// Log receives send failures (nil: discarded). Codes are never logged.
	Log *slog.Logger
}

// Service manages contact methods and notification rules.
type Service struct {
	st *store.Store
	o  Options
}

// New builds the service.
func New(st *store.Store, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, o: o}
}

// CanSend reports whether methods of kind can be verified and tested.
func (s *Service) CanSend(kind string) bool { return s.o.Senders[kind] != nil }

// Sender returns the sender of kind (nil: not configured), for the
// escalation engine.
func (s *Service) Sender(kind string) Sender { return s.o.Senders[kind] }

// ChatDestination tells whether name is a destination chat methods may
// use.
func (s *Service) ChatDestination(name string) bool {
	if s.o.Destinations == nil {
		return false
	}
	typ, ok := s.o.Destinations(name)
	return ok && (typ == "dingtalk" || typ == "slack")
}

func (s *Service) userID(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, user string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, s.st.Q(`SELECT id FROM users WHERE name = ?`), user).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w: there is no user %q", ErrNotFound, user)
	}
	if err != nil {
		return 0, fmt.Errorf("contact: user %s: %w", user, err)
	}
	return id, nil
}

func validLabel(l string) error {
	if !utf8.ValidString(l) || utf8.RuneCountInString(l) > MaxLabel {
		return invalid("label", "must be at most %d characters", MaxLabel)
	}
	for _, r := range l {
		if unicode.IsControl(r) {
			return invalid("label", "must be one line of text")
		}
	}
	return nil
}

// AddMethod adds an unverified contact method to user.
func (s *Service) AddMethod(ctx context.Context, user string, in NewMethod) (Detail, error) {
	if !ValidKind(in.Kind) {
		return Detail{}, invalid("kind", "%q is not one of %s", in.Kind, strings.Join(Kinds, ", "))
	}
	in.Label = strings.TrimSpace(in.Label)
	if err := validLabel(in.Label); err != nil {
		return Detail{}, err
	}
	if in.Language != "" && !slices.Contains(Languages, in.Language) {
		return Detail{}, invalid("language", "%q is not one of %s (or empty: the profile's)", in.Language, strings.Join(Languages, ", "))
	}
	addr, err := NormalizeAddress(in.Kind, in.Address, in.Destination, s.o.Destinations)
	if err != nil {
		return Detail{}, err
	}
	now := store.Millis(s.o.Now())
	var id int64
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		uid, err := s.userID(ctx, tx, user)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.st.Q(`SELECT count(*) FROM contact_methods WHERE user_id = ?`), uid).Scan(&n); err != nil {
			return err
		}
		if n >= MaxMethods {
			return invalid("kind", "a user has at most %d contact methods", MaxMethods)
		}
		err = tx.QueryRowContext(ctx, s.st.Q(`INSERT INTO contact_methods (user_id, kind, label, address, destination, language, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), uid, in.Kind, in.Label, addr, in.Destination, in.Language, now, now).Scan(&id)
		if store.IsUniqueViolation(err) {
			return because("duplicate", invalid("address", "this user already has this %s method", in.Kind))
		}
		return err
	})
	if err != nil {
		return Detail{}, wrap("add method", err)
	}
	return s.MethodDetail(ctx, user, id)
}

// wrap adds context to database errors and leaves the service's own
// errors as they are.
func wrap(what string, err error) error {
	var ve *ValidationError
	var ts *TooSoonError
	if err == nil || errors.As(err, &ve) || errors.As(err, &ts) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotConfigured) {
		return err
	}
	return fmt.Errorf("contact: %s: %w", what, err)
}

const methodCols = `m.id, m.user_id, u.name, m.kind, m.label, m.address, m.destination, m.language, m.verified_at, m.code_hash, m.code_expires_at, m.last_test_at, m.created_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanDetail(r rowScanner) (Detail, error) {
	var d Detail
	var verified, expires, tested, created int64
	var hash string
	err := r.Scan(&d.ID, &d.UserID, &d.User, &d.Kind, &d.Label, &d.Address, &d.Destination, &d.Language, &verified, &hash, &expires, &tested, &created)
	if err != nil {
		return d, err
	}
	d.Verified = verified != 0
	d.VerifiedAt = store.Time(verified)
	if hash != "" {
		d.CodeExpiresAt = store.Time(expires)
	}
	d.LastTestAt = store.Time(tested)
	d.CreatedAt = store.Time(created)
	return d, nil
}

// Methods lists user's methods, oldest first.
func (s *Service) Methods(ctx context.Context, user string) ([]Detail, error) {
	if _, err := s.userID(ctx, s.st.R, user); err != nil {
		return nil, err
	}
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT `+methodCols+` FROM contact_methods m JOIN users u ON u.id = m.user_id WHERE u.name = ? ORDER BY m.id`), user)
	if err != nil {
		return nil, fmt.Errorf("contact: list methods: %w", err)
	}
	defer rows.Close()
	out := []Detail{}
	for rows.Next() {
		d, err := scanDetail(rows)
		if err != nil {
			return nil, fmt.Errorf("contact: list methods: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// MethodDetail returns user's method id.
func (s *Service) MethodDetail(ctx context.Context, user string, id int64) (Detail, error) {
	d, err := scanDetail(s.st.W.QueryRowContext(ctx, s.st.Q(`SELECT `+methodCols+` FROM contact_methods m JOIN users u ON u.id = m.user_id WHERE u.name = ? AND m.id = ?`), user, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Detail{}, fmt.Errorf("%w: user %q has no contact method %d", ErrNotFound, user, id)
	}
	if err != nil {
		return Detail{}, fmt.Errorf("contact: method %d: %w", id, err)
	}
	return d, nil
}

// DeleteMethod deletes user's method id and the rules that use it.
func (s *Service) DeleteMethod(ctx context.Context, user string, id int64) error {
	res, err := s.st.W.ExecContext(ctx, s.st.Q(`DELETE FROM contact_methods WHERE id = ? AND user_id = (SELECT id FROM users WHERE name = ?)`), id, user)
	if err != nil {
		return fmt.Errorf("contact: delete method %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: user %q has no contact method %d", ErrNotFound, user, id)
	}
	return nil
}

// newCode returns a random 6-digit code.
func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// hashCode is "salt:hex(sha256(salt, method id, code))". A code has only
// a million values: the salt and the method id keep one table of hashes
// from serving every row, and the short life and the 5 tries bound
// guessing online.
func hashCode(methodID int64, code, salt string) string {
	if salt == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		salt = hex.EncodeToString(b[:])
	}
	h := sha256.Sum256([]byte(salt + ":" + strconv.FormatInt(methodID, 10) + ":" + code))
	return salt + ":" + hex.EncodeToString(h[:])
}

func codeMatches(stored string, methodID int64, code string) bool {
	salt, _, ok := strings.Cut(stored, ":")
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashCode(methodID, code, salt)), []byte(stored)) == 1
}

func (s *Service) language(ctx context.Context, d Detail) string {
	if d.Language != "" {
		return d.Language
	}
	var lang string
	_ = s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT language FROM users WHERE id = ?`), d.UserID).Scan(&lang)
	return lang
}

// sendTimeout bounds a code or test sent while the user waits (each
// sender also bounds its own requests).
const sendTimeout = 30 * time.Second

// SendCode sends a new verification code to user's method id (a call for
// voice) and returns when it expires. It sends while the caller waits,
// so the user sees a refusal (an opted-out number, a rejected address) at
// once; the code is never put anywhere but the message and, hashed, the
// method's row. A method gets at most one code a
// minute (*TooSoonError); a new code replaces the last one and resets the
// tries. A verified method can be verified again (its address is the
// same; this only proves it still reaches the user).
func (s *Service) SendCode(ctx context.Context, user string, id int64) (time.Time, error) {
	d, err := s.MethodDetail(ctx, user, id)
	if err != nil {
		return time.Time{}, err
	}
	snd := s.o.Senders[d.Kind]
	if snd == nil {
		return time.Time{}, fmt.Errorf("%w: sending to %s methods is not configured", ErrNotConfigured, d.Kind)
	}
	now := s.o.Now()
	code := newCode()
	hash := hashCode(d.ID, code, "")
	expires := store.Millis(now.Add(CodeTTL))
	var prevExpires int64
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.st.Q(`SELECT code_expires_at FROM contact_methods WHERE id = ?`+s.forUpdate()), d.ID).Scan(&prevExpires); err != nil {
			return err
		}
		// The last code was sent CodeTTL before it expires.
		if next := store.Time(prevExpires).Add(CodeInterval - CodeTTL); prevExpires != 0 && now.Before(next) {
			return &TooSoonError{What: "code", Wait: next.Sub(now)}
		}
		_, err := tx.ExecContext(ctx, s.st.Q(`UPDATE contact_methods SET code_hash = ?, code_expires_at = ?, code_attempts = 0, updated_at = ? WHERE id = ?`),
			hash, expires, store.Millis(now), d.ID)
		return err
	})
	if err != nil {
		return time.Time{}, wrap("send code", err)
	}
	lang := s.language(ctx, d)
	m := Message{
		Kind: d.Kind, To: d.Address, Destination: d.Destination, Language: lang,
		Subject: text(lang, "code.subject"),
		Text:    text(lang, "code.text", spell(code, d.Kind == KindVoice)),
		Key:     fmt.Sprintf("code:%d:%d", d.ID, expires),
	}
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if _, err := snd.Send(sctx, m); err != nil {
		s.o.Log.Warn("contact: verification code not sent", "user", user, "method", d.ID, "kind", d.Kind, "to", MaskAddress(d.Kind, d.Address), "error", err)
		if NotSent(err) {
			// Nothing went out: the user may ask again at once.
			_, _ = s.st.W.ExecContext(ctx, s.st.Q(`UPDATE contact_methods SET code_hash = '', code_expires_at = ? WHERE id = ? AND code_hash = ?`), prevExpires, d.ID, hash)
		}
		return time.Time{}, err
	}
	return store.Time(expires), nil
}

func (s *Service) forUpdate() string {
	if s.st.Engine == store.Postgres {
		return ` FOR UPDATE`
	}
	return ""
}

// Confirm checks code against user's method id and marks the method
// verified. A wrong code counts a try; after MaxCodeAttempts wrong tries,
// or once the code expired, a new code must be sent. Errors are
// *ValidationError on field "code".
func (s *Service) Confirm(ctx context.Context, user string, id int64, code string) error {
	code = strings.TrimSpace(code)
	d, err := s.MethodDetail(ctx, user, id)
	if err != nil {
		return err
	}
	now := s.o.Now()
	var verr error
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		var hash string
		var expires int64
		var attempts int
		if err := tx.QueryRowContext(ctx, s.st.Q(`SELECT code_hash, code_expires_at, code_attempts FROM contact_methods WHERE id = ?`+s.forUpdate()), d.ID).Scan(&hash, &expires, &attempts); err != nil {
			return err
		}
		switch {
		case hash == "":
			verr = because("no_code", invalid("code", "no code is waiting: send a code first"))
			return nil
		case !now.Before(store.Time(expires)):
			verr = because("expired", invalid("code", "the code has expired: send a new code"))
			return nil
		case attempts >= MaxCodeAttempts:
			verr = because("too_many", invalid("code", "too many wrong codes: send a new code"))
			return nil
		}
		if len(code) != codeDigits || !codeMatches(hash, d.ID, code) {
			attempts++
			left := MaxCodeAttempts - attempts
			if left <= 0 {
				verr = because("too_many", invalid("code", "wrong code, and that was the last try: send a new code"))
				_, err := tx.ExecContext(ctx, s.st.Q(`UPDATE contact_methods SET code_hash = '', code_attempts = ?, updated_at = ? WHERE id = ?`), attempts, store.Millis(now), d.ID)
				return err
			}
			verr = because("wrong", invalid("code", "wrong code; %d tries left", left))
			_, err := tx.ExecContext(ctx, s.st.Q(`UPDATE contact_methods SET code_attempts = ?, updated_at = ? WHERE id = ?`), attempts, store.Millis(now), d.ID)
			return err
		}
		_, err := tx.ExecContext(ctx, s.st.Q(`UPDATE contact_methods SET verified_at = ?, code_hash = '', code_attempts = 0, updated_at = ? WHERE id = ?`), store.Millis(now), store.Millis(now), d.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("contact: confirm: %w", err)
	}
	return verr
}

// SendTest sends a test notification to user's verified method id, at
// most one a minute.
func (s *Service) SendTest(ctx context.Context, user string, id int64) (Receipt, error) {
	d, err := s.MethodDetail(ctx, user, id)
	if err != nil {
		return Receipt{}, err
	}
	if !d.Verified {
		return Receipt{}, because("not_verified", invalid("method", "is not verified: send a code and confirm it first"))
	}
	snd := s.o.Senders[d.Kind]
	if snd == nil {
		return Receipt{}, fmt.Errorf("%w: sending to %s methods is not configured", ErrNotConfigured, d.Kind)
	}
	now := s.o.Now()
	var prev int64
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.st.Q(`SELECT last_test_at FROM contact_methods WHERE id = ?`+s.forUpdate()), d.ID).Scan(&prev); err != nil {
			return err
		}
		if next := store.Time(prev).Add(TestInterval); prev != 0 && now.Before(next) {
			return &TooSoonError{What: "test", Wait: next.Sub(now)}
		}
		_, err := tx.ExecContext(ctx, s.st.Q(`UPDATE contact_methods SET last_test_at = ? WHERE id = ?`), store.Millis(now), d.ID)
		return err
	})
	if err != nil {
		return Receipt{}, wrap("send test", err)
	}
	lang := s.language(ctx, d)
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	rc, err := snd.Send(sctx, Message{
		Kind: d.Kind, To: d.Address, Destination: d.Destination, Language: lang,
		Subject: text(lang, "test.subject"), Text: text(lang, "test.text"),
		Key: fmt.Sprintf("test:%d:%d", d.ID, store.Millis(now)),
	})
	if err != nil {
		s.o.Log.Warn("contact: test not sent", "user", user, "method", d.ID, "kind", d.Kind, "to", MaskAddress(d.Kind, d.Address), "error", err)
		if NotSent(err) {
			_, _ = s.st.W.ExecContext(ctx, s.st.Q(`UPDATE contact_methods SET last_test_at = ? WHERE id = ? AND last_test_at = ?`), prev, d.ID, store.Millis(now))
		}
		return Receipt{}, err
	}
	return rc, nil
}

// ParseSeverities splits a comma list, checks each and returns them in
// Severities order without repeats.
func ParseSeverities(field string, list []string) ([]string, error) {
	seen := map[string]bool{}
	for _, v := range list {
		v = strings.ToLower(strings.TrimSpace(v))
		if v == "" {
			continue
		}
		if !slices.Contains(Severities, v) {
			return nil, invalid(field, "%q is not one of %s", v, strings.Join(Severities, ", "))
		}
		seen[v] = true
	}
	out := []string{}
	for _, v := range Severities {
		if seen[v] {
			out = append(out, v)
		}
	}
	return out, nil
}

// Rules lists user's rules by delay, then method.
func (s *Service) Rules(ctx context.Context, user string) ([]Rule, error) {
	uid, err := s.userID(ctx, s.st.R, user)
	if err != nil {
		return nil, err
	}
	return s.rules(ctx, s.st.R, uid)
}

func (s *Service) rules(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, uid int64) ([]Rule, error) {
	rows, err := q.QueryContext(ctx, s.st.Q(`SELECT id, method_id, delay_ms, severities FROM notification_rules WHERE user_id = ? ORDER BY delay_ms, method_id`), uid)
	if err != nil {
		return nil, fmt.Errorf("contact: rules: %w", err)
	}
	defer rows.Close()
	out := []Rule{}
	for rows.Next() {
		var r Rule
		var ms int64
		var sev string
		if err := rows.Scan(&r.ID, &r.MethodID, &ms, &sev); err != nil {
			return nil, fmt.Errorf("contact: rules: %w", err)
		}
		r.Delay = time.Duration(ms) * time.Millisecond
		r.Severities = []string{}
		if sev != "" {
			r.Severities = strings.Split(sev, ",")
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReplaceRules replaces all of user's rules. Each rule's method must be
// the user's and verified; its delay 0–24h (whole seconds); its
// severities known (empty: all). A method appears at most once per delay.
// Errors name the field as "rules[i].method_id", "rules[i].delay" or
// "rules[i].severities".
func (s *Service) ReplaceRules(ctx context.Context, user string, rules []Rule) ([]Rule, error) {
	if len(rules) > MaxRules {
		return nil, invalid("rules", "a user has at most %d rules", MaxRules)
	}
	clean := make([]Rule, len(rules))
	seen := map[[2]int64]int{}
	for i, r := range rules {
		f := fmt.Sprintf("rules[%d].", i)
		if r.Delay < 0 || r.Delay > MaxDelay {
			return nil, invalid(f+"delay", "must be from 0 to 24h")
		}
		if r.Delay%time.Second != 0 {
			return nil, invalid(f+"delay", "must be whole seconds")
		}
		sev, err := ParseSeverities(f+"severities", r.Severities)
		if err != nil {
			return nil, err
		}
		k := [2]int64{r.MethodID, int64(r.Delay)}
		if j, dup := seen[k]; dup {
			return nil, invalid(f+"delay", "repeats rules[%d]: the same method after the same delay", j)
		}
		seen[k] = i
		clean[i] = Rule{MethodID: r.MethodID, Delay: r.Delay, Severities: sev}
	}
	now := store.Millis(s.o.Now())
	var out []Rule
	err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		uid, err := s.userID(ctx, tx, user)
		if err != nil {
			return err
		}
		for i, r := range clean {
			var owner, verified int64
			err := tx.QueryRowContext(ctx, s.st.Q(`SELECT user_id, verified_at FROM contact_methods WHERE id = ?`+s.forUpdate()), r.MethodID).Scan(&owner, &verified)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != uid) {
				return invalid(fmt.Sprintf("rules[%d].method_id", i), "user %q has no contact method %d", user, r.MethodID)
			}
			if err != nil {
				return err
			}
			if verified == 0 {
				return invalid(fmt.Sprintf("rules[%d].method_id", i), "contact method %d is not verified", r.MethodID)
			}
		}
		if _, err := tx.ExecContext(ctx, s.st.Q(`DELETE FROM notification_rules WHERE user_id = ?`), uid); err != nil {
			return err
		}
		for _, r := range clean {
			if _, err := tx.ExecContext(ctx, s.st.Q(`INSERT INTO notification_rules (user_id, method_id, delay_ms, severities, created_at) VALUES (?, ?, ?, ?, ?)`),
				uid, r.MethodID, r.Delay.Milliseconds(), strings.Join(r.Severities, ","), now); err != nil {
				return err
			}
		}
		out, err = s.rules(ctx, tx, uid)
		return err
	})
	if err != nil {
		return nil, wrap("replace rules", err)
	}
	return out, nil
}

// NormalizeSeverity maps an alert's severity to one of Severities: "" and
// unknown values are "unspecified".
func NormalizeSeverity(sev string) string {
	sev = strings.ToLower(strings.TrimSpace(sev))
	if slices.Contains(Severities, sev) {
		return sev
	}
	return "unspecified"
}

// Plan returns how user is notified for an alert of this severity: the
// user's rules whose method is verified and whose severities include it
// (empty = all), ordered by delay (then rule order); each method's
// Language is the one its messages use (the method's, else the user's
// profile language, else ""); a user with verified
// methods and no rules at all gets every verified method at delay 0. A
// name that is no console user (a schedule participant who never logged
// in) has an empty plan, not an error: the escalation goes on.
func (s *Service) Plan(ctx context.Context, user, severity string) ([]Planned, error) {
	sev := NormalizeSeverity(severity)
	methods, err := s.Methods(ctx, user)
	if errors.Is(err, ErrNotFound) {
		return []Planned{}, nil
	}
	if err != nil {
		return nil, err
	}
	byID := map[int64]Method{}
	var verified []Method
	profileLang := ""
	for _, d := range methods {
		if d.Verified && d.Language == "" {
			// Messages go out in the method's language, else the profile's.
			if profileLang == "" {
				profileLang = s.language(ctx, d)
			}
			d.Language = profileLang
		}
		if d.Verified {
			byID[d.ID] = d.Method
			verified = append(verified, d.Method)
		}
	}
	rules, err := s.Rules(ctx, user)
	if err != nil {
		return nil, err
	}
	out := []Planned{}
	if len(rules) == 0 {
		for _, m := range verified {
			out = append(out, Planned{Method: m})
		}
		return out, nil
	}
	for _, r := range rules {
		m, ok := byID[r.MethodID]
		if !ok {
			continue
		}
		if len(r.Severities) > 0 && !slices.Contains(r.Severities, sev) {
			continue
		}
		out = append(out, Planned{Method: m, Delay: r.Delay})
	}
	return out, nil
}

func because(reason string, err error) error {
	if ve, ok := err.(*ValidationError); ok {
		ve.Reason = reason
	}
	return err
}
