// Package alerts is opsdesk's alert intake and phone escalation (seed 004).
//
// Monitoring systems post alerts (parse turns every format into Signals);
// Ingest stores them in group commits: a firing signal opens an alert or,
// when an alert with the same system and dedup key is still unresolved, is
// absorbed into it (repeats + 1); a recovery resolves it; an
// acknowledgement from the monitoring system acknowledges it.
//
// Every new open alert gets one row in alert_escalations: the escalation
// engine's whole state (which round, which person, what to do next and
// when). The engine is the database, not a goroutine: a runner (RunDue,
// started by River jobs scheduled for the next due time, and by a periodic
// safety job) claims the due rows and moves each one step:
//
//	call   pick the next person who may be called now (hours, per-number
//	       throttle, quiet period), claim the call (an alert_calls row,
//	       unique per alert, round and position) → place
//	place  StartOutboundVoiceContact with a ClientToken derived from alert,
//	       round and position → poll
//	poll   DescribeContact / GetContactAttributes every poll interval until
//	       the call ends; key 1 acknowledges, key 2 silences the system for
//	       its quiet period, anything else moves to the next person; after
//	       the last round the alert is unacknowledged and the system's
//	       destinations are told.
//
// Two promises hold across crashes and replicas:
//
//   - No call after an acknowledgement is committed. Placing a call and
//     changing an alert's status (ack, resolve) take the same per-alert
//     lock (a mutex on SQLite, whose database belongs to one process; a
//     PostgreSQL advisory lock with several replicas), and the call is
//     only placed after the alert was seen open under that lock.
//   - No call placed twice. The claim is a unique row; a step that is
//     interrupted after it is re-run with the same ClientToken, which
//     Connect answers with the first call's contact id.
package alerts

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Alert statuses.
const (
	// StatusOpen: firing and being escalated (or waiting to be).
	StatusOpen = "open"
	// StatusAcknowledged: someone took it (key 1, console, API, chat, or
	// the monitoring system's own acknowledgement).
	StatusAcknowledged = "acknowledged"
	// StatusQuiet: key 2 was pressed for it, or it arrived while its
	// system was quiet; nobody is called for it.
	StatusQuiet = "quiet"
	// StatusResolved: recovered or closed by hand. Only resolved alerts
	// let a new alert with the same key open.
	StatusResolved = "resolved"
	// StatusUnacknowledged: every round was called and nobody took it.
	StatusUnacknowledged = "unacknowledged"
)

// Statuses lists the statuses in the order the console shows them.
var Statuses = []string{StatusOpen, StatusUnacknowledged, StatusAcknowledged, StatusQuiet, StatusResolved}

// Call states (alert_calls.state).
const (
	CallPlacing   = "placing"   // claimed; StartOutboundVoiceContact not confirmed yet
	CallRinging   = "ringing"   // placed, not answered (yet)
	CallConnected = "connected" // answered, still on the line
	CallEnded     = "ended"
	CallFailed    = "failed"    // Connect refused it or it could not be placed
	CallCancelled = "cancelled" // claimed but never placed: the alert ended first
)

// Call outcomes: what the call meant for the escalation.
const (
	OutcomeAcknowledged = "acknowledged" // key 1
	OutcomeQuiet        = "quiet"        // key 2
	OutcomeNext         = "next"         // key 3
	OutcomeVoicemail    = "voicemail"    // answered, no key (a person who pressed nothing, or an answering machine)
	OutcomeNoAnswer     = "no_answer"
	OutcomeBusy         = "busy"
	OutcomeFailed       = "failed"    // not delivered: invalid number, refused by Connect, network
	OutcomeStopped      = "stopped"   // hung up by opsdesk: the alert was acknowledged or resolved elsewhere
	OutcomeCancelled    = "cancelled" // never placed
)

// Timeline entry kinds (alert_log.kind).
const (
	KindReceived     = "received"
	KindSuppressed   = "suppressed" // arrived while the system was quiet
	KindCall         = "call"       // a call was placed
	KindCallEnded    = "call_ended"
	KindSkipped      = "skipped" // a person not called (hours, throttle, failed)
	KindAck          = "ack"
	KindQuiet        = "quiet"
	KindResolve      = "resolve"
	KindGaveUp       = "gave_up"
	KindNotified     = "notified"
	KindNotifyFailed = "notify_failed"
)

// Alert is one alert.
type Alert struct {
	ID     int64
	System string
	// Policy is the system whose call list escalates it (System, or
	// alerts.default_system for a system without one).
	Policy     string
	Source     string
	DedupKey   string
	Status     string
	Summary    string
	Details    string
	Severity   string
	Host       string
	Service    string
	Labels     map[string]string
	StartedAt  time.Time
	ReceivedAt time.Time
	// Via names the integration token it came with (or "console", "event").
	Via        string
	Repeats    int
	LastSeenAt time.Time
	AckedAt    time.Time
	AckedBy    string
	ResolvedAt time.Time
	ResolvedBy string
	UpdatedAt  time.Time
	// IncidentID is the incident the alert belongs to (0: none; see
	// incidents.go).
	IncidentID int64
}

// Active reports whether the alert is not resolved (it absorbs repeats).
func (a *Alert) Active() bool { return a.Status != StatusResolved }

// Call is one call of an escalation: the seed's call history row.
type Call struct {
	ID               int64
	AlertID          int64
	Round            int
	Position         int
	Callee           string
	Phone            string
	Language         string
	ClientToken      string
	ContactID        string
	State            string
	RequestedAt      time.Time
	InitiatedAt      time.Time
	AnsweredAt       time.Time
	EndedAt          time.Time
	DisconnectReason string
	Key              string
	Outcome          string
	Error            string
	Polls            int
	UpdatedAt        time.Time
}

// Active reports whether the call may still be ringing or connected.
func (c *Call) Active() bool {
	return c.State == CallPlacing || c.State == CallRinging || c.State == CallConnected
}

// Entry is one line of an alert's timeline.
type Entry struct {
	ID      int64
	AlertID int64
	At      time.Time
	Kind    string
	Actor   string
	Detail  string
	CallID  int64
}

// Contact is one person on a call list.
type Contact struct {
	Name     string
	Phone    string
	Language string
	Hours    string
}

// System is one system's escalation policy.
type System struct {
	ID       int64
	Name     string
	Contacts []Contact
	Rounds   int
	Wait     time.Duration
	Quiet    time.Duration
	Notify   []string
	// Routes choose an escalation policy per severity and hours; alerts
	// no route matches go to the call list (Contacts).
	Routes []Route
	// Origin is "config" while the system follows the config file,
	// "console" once edited in the console.
	Origin    string
	CreatedAt time.Time
	UpdatedAt time.Time
	UpdatedBy string
}

// Quiet is a quiet period of a system.
type Quiet struct {
	ID       int64
	System   string
	StartsAt time.Time
	EndsAt   time.Time
	AlertID  int64
	SetBy    string
	Note     string
	EndedAt  time.Time
	EndedBy  string
}

// ActiveAt reports whether the quiet period holds at t.
func (q *Quiet) ActiveAt(t time.Time) bool {
	return q.EndedAt.IsZero() && !t.Before(q.StartsAt) && t.Before(q.EndsAt)
}

// Escalation is the engine's state of one alert.
type Escalation struct {
	AlertID      int64
	Policy       string
	State        string // call, place, poll, page
	Round        int
	Position     int
	Step         int64
	CallID       int64
	Attempts     int
	NextAt       time.Time
	ClaimedUntil time.Time
	// intended: the intent to call is written already (PostgreSQL).
	intended bool
}

// Escalation states.
const (
	stateCall  = "call"
	statePlace = "place"
	statePoll  = "poll"
)

// Caller places and follows calls; *connect.Client is one.
type Caller interface {
	StartCall(ctx context.Context, call connect.Call) (string, error)
	CallStatus(ctx context.Context, contactID string) (connect.Status, error)
	StopCall(ctx context.Context, contactID string) error
}

// NotifyFunc sends a message to a configured destination; key is the
// idempotency key, the same on every attempt.
type NotifyFunc func(ctx context.Context, destination string, msg notify.Message, key string, attempt int) (string, error)

// Options configure a Service. Zero values take the defaults noted.
type Options struct {
	// Caller places calls; nil means phone calls are not configured.
	Caller Caller
	// IsRetryable tells a Caller error that may pass from one that will
	// not (default connect.IsRetryable).
	IsRetryable func(error) bool
	// PollInterval is the time between status checks of a call (30s).
	PollInterval time.Duration
	// MaxCallDuration hangs up a call still going after this long (5m).
	MaxCallDuration time.Duration
	// MaxConcurrentCalls caps calls in progress (10).
	MaxConcurrentCalls int
	// PerNumberPerHour caps calls to one number in any hour (0: no cap).
	PerNumberPerHour int
	// DefaultSystem's call list is used for systems that have none.
	DefaultSystem string
	// Location is where contacts' hours are read (UTC).
	Location *time.Location
	// Notify sends to destinations (nil: notifications fail).
	Notify NotifyFunc
	// Audit records acknowledgements, resolutions, call-list and quiet
	// period changes made by people (nil: none recorded).
	Audit *audit.Log
	// ConsoleURL links an alert's console page in messages (nil: none).
	ConsoleURL func(id int64) string
	// Now is the engine's clock (time.Now); tests move it.
	Now func() time.Time
	// Wall is the clock River schedules by (time.Now).
	Wall func() time.Time
	Log  *slog.Logger
	// ReplicaID names this process in the claims it takes, so that its
	// claims can be released at once if it dies (fleet).
	ReplicaID string
	// Parallel is how many escalations one runner moves at once (32).
	Parallel int
	// Lease is how long a claimed escalation is left to its runner before
	// another may take it (30s); a step is cut off a little before.
	Lease time.Duration
	// RunBudget bounds one RunDue pass before it hands over to a new job (30s).
	RunBudget time.Duration
	// Directory resolves the targets of escalation policies: who is on
	// call in a schedule, how a user is reached (nil: policies notify
	// chat channels only).
	Directory Directory
	// Pager sends SMS, email and chat mentions (nil: not configured).
	Pager PageSender
	// ActionLink mints a signed one-tap link that acknowledges, resolves
	// or escalates an alert, for SMS and email (nil: none).
	ActionLink func(ctx context.Context, alertID int64, action, channel, user string) (string, error)
	// FlapOpens and FlapWindow: an alert opening when its key was resolved
	// FlapOpens times or more within FlapWindow is flapping, and its
	// escalation waits for the window (FlapOpens 0: off).
	FlapOpens  int
	FlapWindow time.Duration
	// Grouping says, per system, which alerts form one incident (see
	// incidents.go); a system not in it groups nothing.
	Grouping map[string]Grouping
	// PageParallel is how many pages one runner sends at once (64).
	PageParallel int
	// OnStep, when set, hears of every escalation step a runner takes:
	// its state and how late it ran against its due time (metrics,
	// benchmarks).
	OnStep func(state string, late time.Duration)
}

// Service is the alerts capability: intake, escalation engine, actions.
type Service struct {
	st    *store.Store
	queue jobs.Queue
	o     Options

	batch batcher
	locks alertLocks
	run   runner
	loop  engineLoop
	// dueGen counts the events that may have made an escalation due now
	// (see runOnce).
	dueGen atomic.Int64
	// dueNow holds the alerts whose step left them due at once, until the
	// step's transaction is over.
	dueNow sync.Map
	onStep atomic.Pointer[func(state string, late time.Duration)]
	stmts  stmtCache
	group  txGroup
	// policies caches call lists for the engine.
	policies policyCache
	// stepPolicies caches escalation policies for the engine.
	stepPolicies stepPolicyCache
	// pageRun is the page runner's doorbell.
	pageRun pageLoop
}

// New builds the service. Call SetQueue before it is used.
func New(st *store.Store, o Options) *Service {
	if o.IsRetryable == nil {
		o.IsRetryable = connect.IsRetryable
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 30 * time.Second
	}
	if o.MaxCallDuration <= 0 {
		o.MaxCallDuration = 5 * time.Minute
	}
	if o.MaxConcurrentCalls <= 0 {
		o.MaxConcurrentCalls = 10
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Wall == nil {
		o.Wall = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.PageParallel <= 0 {
		o.PageParallel = 64
	}
	if o.Parallel <= 0 {
		o.Parallel = 32
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.RunBudget <= 0 {
		o.RunBudget = 30 * time.Second
	}
	s := &Service{st: st, o: o}
	if o.OnStep != nil {
		s.onStep.Store(&o.OnStep)
	}
	s.locks.init()
	s.loop.init()
	return s
}

// ObserveSteps sets (nil: removes) the function that hears of every
// escalation step and how late it ran (Options.OnStep), on a running
// service: benchmarks and diagnostics.
func (s *Service) ObserveSteps(f func(state string, late time.Duration)) {
	if f == nil {
		s.onStep.Store(nil)
		return
	}
	s.onStep.Store(&f)
}

// SetQueue gives the service the job queue (built after the service).
func (s *Service) SetQueue(q jobs.Queue) { s.queue = q }

// Options returns the service's options with defaults filled in.
func (s *Service) Options() Options { return s.o }

// Phones reports whether calls can be placed.
func (s *Service) Phones() bool { return s.o.Caller != nil }

func (s *Service) now() time.Time { return s.o.Now().UTC() }
