package oncall

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
)

// Feed is a secret iCal URL: one schedule's shifts (User "") or one user's shifts in every
// schedule (Schedule ""). The token is shown once, when the feed is created; the database
// keeps only its SHA-256.
type Feed struct {
	ID        int64
	Schedule  string
	User      string
	CreatedBy string
	CreatedAt time.Time
	RevokedAt time.Time
}

// FeedFilter selects feeds: those of a schedule, or of a user (both empty: all).
type FeedFilter struct {
	Schedule string
	User     string
	// Revoked includes revoked feeds.
	Revoked bool
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateFeed makes a feed of schedule (user "") or of user (schedule ""), and returns it
// with its secret token (32 random bytes, URL-safe base64). The schedule must exist.
func (s *Service) CreateFeed(ctx context.Context, schedule, user, by string) (*Feed, string, error) {
	schedule, user = strings.TrimSpace(schedule), strings.TrimSpace(user)
	switch {
	case schedule == "" && user == "":
		return nil, "", &ValidationError{"schedule", "a feed is of a schedule or of a user"}
	case schedule != "" && user != "":
		return nil, "", &ValidationError{"user", "a feed is of a schedule or of a user, not both"}
	case len(user) > 200:
		return nil, "", &ValidationError{"user", "at most 200 bytes"}
	}
	if schedule != "" {
		if _, err := s.Stored(ctx, schedule); err != nil {
			return nil, "", err
		}
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, "", fmt.Errorf("oncall: feed token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	f := &Feed{Schedule: schedule, User: user, CreatedBy: by, CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	err := s.st.W.QueryRowContext(ctx, s.st.Q(`INSERT INTO oncall_feeds (token_hash, schedule, user_name, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`),
		hashToken(token), schedule, user, by, store.Millis(f.CreatedAt)).Scan(&f.ID)
	if err != nil {
		return nil, "", fmt.Errorf("oncall: create feed: %w", err)
	}
	target := "schedule " + schedule
	if user != "" {
		target = "user " + user
	}
	_ = s.aud.Record(ctx, "oncall.feed.create", target, fmt.Sprintf("feed %d", f.ID))
	return f, token, nil
}

const feedCols = `id, token_hash, schedule, user_name, created_by, created_at, revoked_at`

func scanFeed(row interface{ Scan(...any) error }) (*Feed, string, error) {
	var f Feed
	var hash string
	var created, revoked int64
	if err := row.Scan(&f.ID, &hash, &f.Schedule, &f.User, &f.CreatedBy, &created, &revoked); err != nil {
		return nil, "", err
	}
	f.CreatedAt, f.RevokedAt = store.Time(created), store.Time(revoked)
	return &f, hash, nil
}

// FeedByToken returns the feed of a token; ErrNotFound for an unknown or revoked one.
func (s *Service) FeedByToken(ctx context.Context, token string) (*Feed, error) {
	if token == "" || len(token) > 200 {
		return nil, ErrNotFound
	}
	want := hashToken(token)
	f, hash, err := scanFeed(s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT `+feedCols+` FROM oncall_feeds WHERE token_hash = ?`), want))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("oncall: feed: %w", err)
	}
	if !hmac.Equal([]byte(hash), []byte(want)) || !f.RevokedAt.IsZero() {
		return nil, ErrNotFound
	}
	return f, nil
}

// Feeds lists feeds, the newest first.
func (s *Service) Feeds(ctx context.Context, f FeedFilter) ([]*Feed, error) {
	var where []string
	var args []any
	if f.Schedule != "" {
		where, args = append(where, "schedule = ?"), append(args, f.Schedule)
	}
	if f.User != "" {
		where, args = append(where, "user_name = ?"), append(args, f.User)
	}
	if !f.Revoked {
		where = append(where, "revoked_at = 0")
	}
	q := `SELECT ` + feedCols + ` FROM oncall_feeds`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(q+" ORDER BY id DESC LIMIT 500"), args...)
	if err != nil {
		return nil, fmt.Errorf("oncall: feeds: %w", err)
	}
	defer rows.Close()
	var out []*Feed
	for rows.Next() {
		fd, _, err := scanFeed(rows)
		if err != nil {
			return nil, fmt.Errorf("oncall: feeds: %w", err)
		}
		out = append(out, fd)
	}
	return out, rows.Err()
}

// RevokeFeed ends a feed: its URL answers 404 from now on. ErrNotFound when there is no
// such feed not yet revoked.
func (s *Service) RevokeFeed(ctx context.Context, id int64) error {
	res, err := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE oncall_feeds SET revoked_at = ? WHERE id = ? AND revoked_at = 0`), store.Millis(s.now()), id)
	if err != nil {
		return fmt.Errorf("oncall: revoke feed %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	_ = s.aud.Record(ctx, "oncall.feed.revoke", fmt.Sprintf("feed %d", id), "")
	return nil
}

// Feed returns one feed by id (revoked ones too); ErrNotFound when there is none.
func (s *Service) Feed(ctx context.Context, id int64) (*Feed, error) {
	f, _, err := scanFeed(s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT `+feedCols+` FROM oncall_feeds WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("oncall: feed %d: %w", id, err)
	}
	return f, nil
}

// feedSpan is how far ahead a feed lists shifts; feedBack is how far before now it looks for
// the real start of the shift in progress (so that its UID and start stay the same from one
// fetch to the next).
const (
	feedSpan = 60 * 24 * time.Hour
	feedBack = 35 * 24 * time.Hour
)

// FeedCalendar writes the feed's iCal calendar: the shifts of the next 60 days (the one in
// progress included) of its schedule, or of its user in every schedule.
func (s *Service) FeedCalendar(ctx context.Context, f *Feed) (*Calendar, error) {
	now := s.now().UTC().Truncate(time.Second)
	cal := &Calendar{Stamp: now}
	var schedules []*Schedule
	if f.Schedule != "" {
		sc, err := s.Schedule(ctx, f.Schedule)
		if errors.Is(err, ErrNotFound) {
			// The schedule was deleted: an empty calendar, not an error the client retries.
			cal.Name = "On call: " + f.Schedule
			return cal, nil
		}
		if err != nil {
			return nil, err
		}
		schedules = []*Schedule{sc}
		cal.Name = "On call: " + f.Schedule
	} else {
		all, err := s.Schedules(ctx)
		if err != nil {
			return nil, err
		}
		schedules = all
		cal.Name = "On call: " + f.User
	}
	for _, sc := range schedules {
		for _, sh := range Shifts(sc, now.Add(-feedBack), now.Add(feedSpan)) {
			if !sh.End.After(now) || (f.User != "" && sh.Who != f.User) {
				continue
			}
			ev := Event{Schedule: sc.Name, Who: sh.Who, Start: sh.Start.UTC(), End: sh.End.UTC(), Layer: sh.Layer, Override: sh.Override}
			if f.User != "" {
				ev.Summary = "On call: " + sc.Name
			} else {
				ev.Summary = sh.Who + " on call"
			}
			cal.Events = append(cal.Events, ev)
		}
	}
	return cal, nil
}
