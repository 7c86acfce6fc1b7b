// Package alertchat follows alerts in chat (issue 13): every alert of a
// system whose alerts.systems[].follow names chat destinations is shown
// there through its life — opened, who is being called, acknowledged by
// whom, resolved — with its repeats counted, in the destination's
// language.
//
//   - slack (Web API mode, bot_token_env): one message per alert, posted
//     with chat.postMessage and edited in place with chat.update, with
//     Block Kit buttons Acknowledge / Resolve / Escalate / Silence 1 h
//     (handled by HandleSlackInteraction) and the alert's notes as thread
//     replies.
//   - dingtalk, teams, lark, wecom: robots cannot edit a message, so one
//     message per lifecycle stage (opened, acknowledged, resolved), never
//     one per step. DingTalk gets an ActionCard and Teams an Adaptive Card
//     whose buttons are signed one-tap links; DingTalk @mentions the person
//     being called.
//
// # The worker
//
// The state is in the database, not in a goroutine: alert_chat_posts has
// one row per (alert, destination) with what was last shown (the newest
// timeline entry, repeats and status at rendering time) and, for Slack,
// the message's channel and ts. A row whose alert moved on is due. A pass
// (Run's loop, every Poll and when kicked) adds rows for new alerts of
// followed systems, claims due rows (a lease; FOR UPDATE SKIP LOCKED on
// PostgreSQL, so replicas share the work and never take the same row),
// renders each alert's current state and posts or updates. Changes that
// happen while a message is being sent are shown by the next pass:
// updates are coalesced, never queued one by one.
//
// # Never two messages
//
// chat.postMessage and the robots have no idempotency key. So the row is
// marked "sending" (or the robot's stage recorded) in a commit under the
// claim before the call, and the outcome is recorded right after. A
// process that dies during the call leaves "sending" behind; the next
// claim takes it as unknown — the message may or may not have arrived —
// and never posts it again (the page runner's rule). An answer from the
// platform (an error status below 500, Slack's ok:false, a robot's
// errcode) or a refused connection means nothing was posted, and the post
// is retried with backoff; a timeout or a 5xx is unknown.
package alertchat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/contact"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Alerts is what the follow worker and the buttons need of the alerts
// service (*alerts.Service).
type Alerts interface {
	Get(ctx context.Context, id int64) (*alerts.Alert, error)
	Timeline(ctx context.Context, id int64) ([]*alerts.Entry, error)
	Notes(ctx context.Context, id int64) ([]alerts.Note, error)
	Ack(ctx context.Context, id int64, by, via string) (*alerts.Alert, bool, error)
	Resolve(ctx context.Context, id int64, by, via string) (*alerts.Alert, bool, error)
	EscalateNow(ctx context.Context, id int64, by, via string) (bool, error)
	SilenceFor(ctx context.Context, id int64, d time.Duration, by, via string) (bool, error)
}

// Members maps chat members to opsdesk users (*contact.Service).
type Members interface {
	UserByChatMember(ctx context.Context, destinations []string, member string) (contact.ChatMember, error)
	ChatAddress(ctx context.Context, user, destination string) (string, error)
}

// Destination is one chat destination that follows alerts.
type Destination struct {
	Name     string
	Type     string // slack, dingtalk, teams, lark, wecom
	Language string // en, ja, zh, ko
	// Slack is the Web API client of a slack destination (required for
	// slack: an incoming webhook cannot edit its messages).
	Slack *notify.SlackAPI
	// Sender posts to the robots (dingtalk, teams, lark, wecom).
	Sender notify.Sender
}

// Options configure a Service.
type Options struct {
	Store  *store.Store
	Alerts Alerts
	// Follow lists, per system, the destinations following its alerts.
	Follow map[string][]string
	// Destinations by name.
	Destinations map[string]*Destination
	// Members maps Slack members to users and finds whom to @mention
	// (nil: every button press is refused, nobody is mentioned).
	Members Members
	// ActionLink mints a signed one-tap link (nil or "": no buttons on
	// robot messages).
	ActionLink func(ctx context.Context, alertID int64, action, channel, user string) (string, error)
	// ConsoleURL links an alert's console page (nil: no link).
	ConsoleURL func(id int64) string
	// Client posts ephemeral replies to Slack's response_url (a client
	// with a 10 s timeout when nil).
	Client *http.Client
	Now    func() time.Time
	Log    *slog.Logger
	// Poll is the time between passes (1 s).
	Poll time.Duration
	// Lease is how long a claimed row is left to its worker (1 min).
	Lease time.Duration
	// Lookback: alerts received longer ago than this when their system
	// starts to be followed are not posted (1 h).
	Lookback time.Duration
	// RobotGrace is how long a robot's "opened" message waits for the
	// first person to be called, so that it can name (and mention) them
	// (30 s).
	RobotGrace time.Duration
}

// Service is the follow worker and the Slack buttons.
type Service struct {
	o     Options
	id    string
	kick  chan struct{}
	slack []string // names of the Slack destinations
}

// New builds the service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.Lookback <= 0 {
		o.Lookback = time.Hour
	}
	if o.RobotGrace <= 0 {
		o.RobotGrace = 30 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	s := &Service{o: o, id: hex.EncodeToString(b), kick: make(chan struct{}, 1)}
	for name, d := range o.Destinations {
		if d.Type == "slack" {
			s.slack = append(s.slack, name)
		}
	}
	return s
}

// Enabled reports whether any system is followed.
func (s *Service) Enabled() bool { return len(s.o.Follow) > 0 }

// Kick asks for a pass soon (after a button press, a note).
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run runs passes until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.o.Poll)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.o.Log.Warn("alertchat: pass failed; retrying", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
	}
}

func (s *Service) now() time.Time { return s.o.Now().UTC() }
