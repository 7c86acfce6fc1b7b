// Package audit records every state-changing action — from the console,
// the API, the CLI, chat and the phone — in one append-only table
// (audit_log), and lists it for the admin page.
//
// The actor travels in the request's context (WithActor, set where the
// request is authenticated); code that changes state calls Record with
// what it did. A record is written after the change it describes
// commits: a failure to write it is logged, never undoes the change.
package audit

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/textutil"
)

// Kinds of actor.
const (
	KindUser   = "user"   // a console user (session)
	KindToken  = "token"  // an API token, by name
	KindCLI    = "cli"    // a command on the server's shell
	KindChat   = "chat"   // a DingTalk or Slack user, through chat-ops
	KindPhone  = "phone"  // a person who pressed a key on a call
	KindSystem = "system" // opsdesk itself (start-up, sweeps)
)

// Kinds lists the kinds of actor.
var Kinds = []string{KindUser, KindToken, KindCLI, KindChat, KindPhone, KindSystem}

// Actor is who acts, and from where (an address, a chat platform, "cli").
type Actor struct {
	Name   string
	Kind   string
	Source string
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor of ctx; a context without one is opsdesk
// itself.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok && a.Kind != "" {
		return a
	}
	return Actor{Name: "opsdesk", Kind: KindSystem}
}

// Entry is one row of the log.
type Entry struct {
	ID     int64
	At     time.Time
	Actor  string
	Kind   string
	Action string
	Target string
	Detail string
	Source string
}

// Limits of the stored text, in characters.
const (
	maxActor  = 200
	maxAction = 64
	maxTarget = 300
	maxDetail = 2000
	maxSource = 200
)

// Log writes and reads the audit log.
type Log struct {
	st  *store.Store
	now func() time.Time
	log *slog.Logger
}

// New returns the log of st. now and log may be nil.
func New(st *store.Store, now func() time.Time, log *slog.Logger) *Log {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Log{st: st, now: now, log: log}
}

// Record writes that the actor of ctx did action on target. action is a
// dotted name ("alert.acknowledge", "user.add"); detail is free text
// (never a secret). Errors are logged and returned; callers whose change
// already committed may ignore them.
func (l *Log) Record(ctx context.Context, action, target, detail string) error {
	if l == nil {
		return nil
	}
	return l.RecordAs(ctx, ActorFrom(ctx), action, target, detail)
}

// RecordAs is Record with an explicit actor.
func (l *Log) RecordAs(ctx context.Context, a Actor, action, target, detail string) error {
	if l == nil {
		return nil
	}
	if a.Kind == "" {
		a.Kind = KindSystem
	}
	// The change this records has happened: write it even if the request
	// that made it is being cancelled.
	ctx = context.WithoutCancel(ctx)
	_, err := l.st.W.ExecContext(ctx, l.st.Q(`INSERT INTO audit_log (at, actor, actor_kind, action, target, detail, source) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		store.Millis(l.now()), textutil.Cut(a.Name, maxActor), a.Kind, textutil.Cut(action, maxAction),
		textutil.Cut(target, maxTarget), textutil.Cut(detail, maxDetail), textutil.Cut(a.Source, maxSource))
	if err != nil {
		l.log.Error("audit: record failed", "action", action, "target", target, "actor", a.Name, "error", err)
		return fmt.Errorf("audit: record %s: %w", action, err)
	}
	return nil
}

// Filter selects entries for List.
type Filter struct {
	Actor string
	Kind  string
	// Action keeps actions equal to it or under it ("alert" keeps
	// "alert.acknowledge").
	Action string
	// Search is a substring of the target or detail.
	Search string
	From   time.Time
	To     time.Time
	Before int64
	Limit  int
}

// List returns entries newest first.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	var where []string
	var args []any
	if f.Actor != "" {
		where = append(where, "actor = ?")
		args = append(args, f.Actor)
	}
	if f.Kind != "" {
		where = append(where, "actor_kind = ?")
		args = append(args, f.Kind)
	}
	if f.Action != "" {
		where = append(where, `(action = ? OR action LIKE ? ESCAPE '\')`)
		args = append(args, f.Action, escapeLike(f.Action)+".%")
	}
	if f.Search != "" {
		p := "%" + escapeLike(f.Search) + "%"
		where = append(where, `(target LIKE ? ESCAPE '\' OR detail LIKE ? ESCAPE '\')`)
		args = append(args, p, p)
	}
	if !f.From.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, store.Millis(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "at < ?")
		args = append(args, store.Millis(f.To))
	}
	if f.Before > 0 {
		where = append(where, "id < ?")
		args = append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	q := `SELECT id, at, actor, actor_kind, action, target, detail, source FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := l.st.R.QueryContext(ctx, l.st.Q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Kind, &e.Action, &e.Target, &e.Detail, &e.Source); err != nil {
			return nil, fmt.Errorf("audit: list: %w", err)
		}
		e.At = store.Time(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Actions returns the distinct actions recorded, for a filter's choices.
func (l *Log) Actions(ctx context.Context) ([]string, error) {
	rows, err := l.st.R.QueryContext(ctx, `SELECT DISTINCT action FROM audit_log ORDER BY action`)
	if err != nil {
		return nil, fmt.Errorf("audit: actions: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func escapeLike(s string) string { return textutil.EscapeLike(s) }
