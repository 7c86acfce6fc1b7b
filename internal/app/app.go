// Package app wires opsdesk together in ordered steps: config → store →
// migrations → services → jobs → HTTP. Each step is a plain function call
// with explicit fields, so the order of start-up (and its reverse at
// shutdown) can be read top to bottom.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/alertchat"
	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/aws/snsverify"
	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/contact"
	"github.com/opsdesk/opsdesk/internal/delivery"
	"github.com/opsdesk/opsdesk/internal/events"
	"github.com/opsdesk/opsdesk/internal/fleet"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/intake"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/metrics"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/oncall"
	"github.com/opsdesk/opsdesk/internal/ratelimit"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/web"
)

// Version is set at build time.
var Version = "dev"

// App is one running opsdesk process.
type App struct {
	Cfg  *config.Config
	Log  *slog.Logger
	St   *store.Store
	Auth *auth.Service
	// Audit is the audit log every state change is recorded in.
	Audit   *audit.Log
	Queue   jobs.Queue
	Intake  *intake.Service
	Metrics *metrics.Metrics
	Syncer  *cases.Syncer
	// Blobs holds the case archive's attachment contents.
	Blobs   blob.Store
	Handler http.Handler
	// Fleet is this process's membership of the replicas sharing the
	// database.
	Fleet *fleet.Fleet

	// modules are the later capabilities' workers and routes (modules.go).
	modules []module
	// senders deliver to the configured destinations, by name.
	senders map[string]notify.Sender
	// accounts are the AWS accounts of the case archive.
	accounts []cases.Account
	// directory is every account the archive syncs, configured and
	// discovered through aws.organizations.
	directory *cases.Directory
	// Events is the AWS event intake (nil until its module is built).
	Events *events.Service
	// OnCall keeps the on-call schedules (nil until its module is built); the escalation
	// engine asks it who is on call (OnCallAt).
	OnCall *oncall.Service
	// Contacts is the users' contact methods and notification rules
	// (contact.go); the escalation engine asks it how to notify a user.
	Contacts *contact.Service
	// alertChat follows alerts in chat (nil: no system is followed).
	alertChat *alertchat.Service
	// connectCaller is the alerts module's Amazon Connect client (nil
	// without alerts.connect); voice verification calls through it, so
	// both share one API rate limit.
	connectCaller *connect.Client

	// Hooks between capabilities, set by the module that provides them
	// (nil: that capability is not configured).
	alertFromEvent      func(ctx context.Context, ev *events.Stored, a events.Action) (string, error)
	callStatusFromEvent func(ctx context.Context, ev *events.Stored) (string, error)
	onCaseSynced        []func(ctx context.Context, account, caseID string, res *cases.Result)
	// ackAlert acknowledges an alert from chat ("ack <alert id>"); by
	// names who did it.
	ackAlert func(ctx context.Context, alertID, by string) (string, error)
	// slackInteraction handles a Slack interactive payload that arrived
	// over Socket Mode (nil: acknowledged and logged); see chat_socket.go.
	slackInteraction func(ctx context.Context, payload []byte) (string, error)

	sns            *snsverify.Verifier
	snsOnce        sync.Once
	snsCertAllowed func(*url.URL) bool
	snsClient      *http.Client

	now     func() time.Time
	lookup  func(string) (string, bool)
	backoff func(int) time.Duration
	// alertChatPoll is Options.AlertChatPoll.
	alertChatPoll time.Duration
	// testNow is Options.Now as given: nil in production, where fleet-wide
	// rate limits decide on the database's clock (see rateLimiter).
	testNow func() time.Time
	// Stdout receives the one-time admin password on first start.
	Stdout io.Writer
}

// Options are the parts of the environment an App takes from outside.
type Options struct {
	Log    *slog.Logger
	Now    func() time.Time
	Lookup func(string) (string, bool)
	Stdout io.Writer
	// Backoff overrides the delivery retry backoff (tests).
	Backoff func(attempt int) time.Duration
	// SNSCertAllowed and SNSClient let tests serve SNS signing
	// certificates from a local TLS server.
	SNSCertAllowed func(*url.URL) bool
	SNSClient      *http.Client
	// AlertChatPoll overrides the time between the alert chat worker's
	// passes (1s; tests).
	AlertChatPoll time.Duration
}

// NewLogger builds the process logger from the config.
func NewLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// OpenStore opens and migrates the database (schema and job queue).
func OpenStore(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	if _, err := Migrate(ctx, st); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// Migrate applies opsdesk's schema migrations and River's, under the
// fleet's migration lock: any number of replicas started at once on an
// empty PostgreSQL database migrate one after the other. It returns how
// many schema migrations ran.
func Migrate(ctx context.Context, st *store.Store) (int, error) {
	var n int
	err := st.WithMigrationLock(ctx, func(ctx context.Context) error {
		var err error
		if n, err = st.Migrate(ctx); err != nil {
			return err
		}
		return jobs.Migrate(ctx, st)
	})
	return n, err
}

// New builds every part of the process without starting anything.
func New(ctx context.Context, cfg *config.Config, o Options) (*App, error) {
	a := &App{Cfg: cfg, Log: o.Log, now: o.Now, testNow: o.Now, lookup: o.Lookup, Stdout: o.Stdout, backoff: o.Backoff, snsCertAllowed: o.SNSCertAllowed, snsClient: o.SNSClient, alertChatPoll: o.AlertChatPoll}
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.lookup == nil {
		a.lookup = os.LookupEnv
	}
	if a.Stdout == nil {
		a.Stdout = os.Stdout
	}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"store", a.initStore},
		{"fleet", a.initFleet},
		{"auth", a.initAuth},
		{"jobs", a.initJobs},
		{"http", a.initHTTP},
		// Last: only once every part of the configuration has been
		// checked (destinations, accounts, rules, Connect …) is the first
		// admin created and its password printed. A start that fails
		// before creates nothing, and the next one prints the password.
		{"first user", a.bootstrap},
	}
	for _, s := range steps {
		if err := s.fn(ctx); err != nil {
			a.close()
			return nil, fmt.Errorf("init %s: %w", s.name, err)
		}
	}
	return a, nil
}

func (a *App) initStore(ctx context.Context) error {
	st, err := OpenStore(ctx, a.Cfg)
	if err != nil {
		return err
	}
	a.St = st
	a.Blobs, err = Blobs(ctx, a.Cfg, st, a.Log)
	return err
}

// initFleet makes this process a member of the fleet: its replica id names
// it in River and in the claims it takes, and the release hooks hand the
// work of a replica that dies to the others.
func (a *App) initFleet(ctx context.Context) error {
	a.Fleet = fleet.New(a.St, fleet.Options{Version: Version, Addr: a.Cfg.Addr, Now: a.now, Log: a.Log.With("component", "fleet")})
	a.Fleet.OnRelease("jobs", fleet.ReleaseRiverJobs(a.St))
	a.Fleet.OnRelease("leadership", fleet.DropRiverLeadership(a.St))
	return nil
}

func (a *App) initAuth(ctx context.Context) error {
	a.Auth = auth.New(a.St, a.now)
	a.Audit = audit.New(a.St, a.now, a.Log.With("component", "audit"))
	a.Auth.Audit = a.Audit
	return nil
}

// bootstrap creates the user admin with a one-time password when there are
// no users yet, and prints the password.
func (a *App) bootstrap(ctx context.Context) error {
	pw, err := a.Auth.Bootstrap(ctx)
	if err != nil {
		return err
	}
	if pw != "" {
		// Hashing the password took argon2id's 19 MiB: give it back to
		// the system now rather than idle with it.
		debug.FreeOSMemory()
		// Printed once, to the terminal, never to the log.
		fmt.Fprintf(a.Stdout, "\nopsdesk: created user \"admin\" with one-time password:\n\n    %s\n\n"+
			"Log in at %s/login within %d hours: the password must be changed at the first login and expires\n"+
			"after that time (opsdesk users passwd admin sets a new one).\n\n",
			pw, a.consoleBase(), int(auth.OneTimeValidity.Hours()))
	}
	return nil
}

// consoleBase is where the console is reached: base_url, else the listen
// address.
func (a *App) consoleBase() string {
	if b := strings.TrimRight(a.Cfg.BaseURL, "/"); b != "" {
		return b
	}
	return "http://" + a.Cfg.Addr
}

// Senders builds one sender per configured destination.
func Senders(cfg *config.Config, lookup func(string) (string, bool)) (map[string]notify.Sender, error) {
	client := &http.Client{
		Timeout: cfg.Deliveries.Timeout.D(),
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: cfg.Deliveries.Timeout.D(),
		},
	}
	out := map[string]notify.Sender{}
	for _, d := range cfg.Destinations {
		s, err := notify.New(d, lookup, client)
		if err != nil {
			return nil, err
		}
		out[d.Name] = s
	}
	return out, nil
}

// sweepGrace is how long a due delivery must have been left alone before
// the sweeper wakes it: longer than a delivery job may run.
func (a *App) sweepGrace() time.Duration {
	return a.Cfg.Deliveries.Timeout.D() + 15*time.Second
}

// NewSyncer builds the case archive's syncer; attachments go to blobs
// (see Blobs).
func NewSyncer(cfg *config.Config, st *store.Store, blobs blob.Store, now func() time.Time, log *slog.Logger) *cases.Syncer {
	return &cases.Syncer{
		Store:          cases.NewStore(st),
		Blobs:          blobs,
		Overlap:        24 * time.Hour,
		ResolvedRepoll: cfg.Cases.ResolvedRepoll.D(),
		FullCheck:      cfg.Cases.FullCheckInterval.D(),
		Now:            now,
		Log:            log,
	}
}

type metricsSource struct{ a *App }

func (m metricsSource) JobCounts(ctx context.Context) (map[[2]string]int64, error) {
	stats, err := m.a.Queue.Stats(ctx)
	if err != nil {
		return nil, err
	}
	out := map[[2]string]int64{}
	for _, s := range stats {
		out[[2]string{s.Kind, s.State}] = s.Count
	}
	return out, nil
}

func (m metricsSource) DeliveryCounts(ctx context.Context) (map[[2]string]int64, error) {
	return delivery.Counts(ctx, m.a.St)
}

func (a *App) initJobs(ctx context.Context) error {
	senders, err := Senders(a.Cfg, a.lookup)
	if err != nil {
		return err
	}
	a.senders = senders
	a.Metrics = metrics.New(metricsSource{a}, a.Log)
	accounts, err := cases.Accounts(ctx, a.Cfg, a.lookup, a.Log.With("component", "support"))
	if err != nil {
		return err
	}
	a.accounts = accounts
	a.Syncer = NewSyncer(a.Cfg, a.St, a.Blobs, a.now, a.Log.With("component", "cases"))
	workers := river.NewWorkers()
	deliverer := &delivery.Worker{
		St: a.St, Senders: senders, RetryFor: a.Cfg.Deliveries.RetryFor.D(), SendTimeout: a.Cfg.Deliveries.Timeout.D(),
		ConsoleURL: func(ref string) string { return web.QuestionURL(a.Cfg.BaseURL, ref) }, Now: a.now,
		Log: a.Log.With("component", "delivery"), Observe: a.Metrics.ObserveDelivery, Backoff: a.backoff,
		Concurrent: a.Cfg.Deliveries.Workers, PerDestination: a.Cfg.Deliveries.PerDestination(),
	}
	river.AddWorker(workers, deliverer)
	river.AddWorker(workers, &delivery.DestWorker{Worker: deliverer})
	questionWorker := &delivery.QuestionWorker{St: a.St}
	river.AddWorker(workers, questionWorker)
	// The sweeper re-enqueues deliveries whose wake-up job was never
	// inserted (a crash between commit and enqueue). Unique jobs make a
	// spurious re-enqueue harmless, so the grace period only saves work.
	sweeper := &delivery.Sweeper{St: a.St, Now: a.now, Grace: a.sweepGrace(), Log: a.Log.With("component", "sweeper")}
	river.AddWorker(workers, sweeper)
	byName := map[string]cases.Account{}
	var names []string
	for _, acct := range accounts {
		byName[acct.Name] = acct
		names = append(names, acct.Name)
	}
	if err := a.initDirectory(ctx); err != nil {
		return err
	}
	river.AddWorker(workers, &cases.SyncWorker{Syncer: a.Syncer, Accounts: byName, Directory: a.directory, Log: a.Log.With("component", "cases")})
	river.AddWorker(workers, &cases.SyncCaseWorker{Syncer: a.Syncer, Accounts: byName, Directory: a.directory, Log: a.Log.With("component", "cases"), Synced: a.caseSynced})
	syncAll := &cases.SyncAllWorker{Accounts: names, Names: a.directory.Names}
	river.AddWorker(workers, syncAll)
	discover := &cases.DiscoverWorker{Directory: a.directory, Log: a.Log.With("component", "cases")}
	river.AddWorker(workers, discover)
	river.AddWorker(workers, &cases.SearchRebuildWorker{Store: a.Syncer.Store, Log: a.Log.With("component", "cases")})
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(30*time.Second), func() (river.JobArgs, *river.InsertOpts) {
			return delivery.SweepArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(6*time.Hour), func() (river.JobArgs, *river.InsertOpts) {
			return cases.SearchRebuildArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}),
	}
	if len(names) > 0 || len(a.directory.Orgs) > 0 {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(a.Cfg.Cases.SyncInterval.D()), func() (river.JobArgs, *river.InsertOpts) {
			return cases.SyncAllArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	periodic = append(periodic, a.discoverPeriodic()...)
	a.modules, err = a.buildModules(ctx)
	if err != nil {
		return err
	}
	for _, m := range a.modules {
		p, err := m.workers(ctx, workers)
		if err != nil {
			return err
		}
		periodic = append(periodic, p...)
	}
	deliveryTimeout := a.Cfg.Deliveries.Timeout.D() + 10*time.Second
	poll := time.Second
	if a.St.Engine == store.SQLite {
		poll = 100 * time.Millisecond // River's SQLite notifications are polled too; this bounds pick-up latency
	}
	// A queue and its own workers per kind of work, and per destination.
	w := a.Cfg.Jobs.Workers
	queues := map[string]int{
		jobs.QueueAlerts: w.Alerts, jobs.QueueEvents: w.Events, jobs.QueueChat: w.Chat,
		jobs.QueueCases: w.Cases, jobs.QueueMaintenance: w.Maintenance,
	}
	for _, d := range a.Cfg.Destinations {
		queues[jobs.DestinationQueue(d.Name)] = a.Cfg.Deliveries.PerDestination()
	}
	q, err := jobs.New(a.St, jobs.Options{
		ID:      a.Fleet.ID(),
		Workers: workers,
		// The default queue only drains jobs queued by older releases.
		Concurrency: 2,
		Queues:      queues,
		JobTimeout:  deliveryTimeout,
		// A job still "running" this long after the longest job timeout
		// belongs to a process that died; River makes it available to
		// the other replicas.
		RescueAfter: max(deliveryTimeout, cases.SyncTimeout) + 30*time.Second,
		// Running jobs may finish during most of shutdown_timeout; then
		// River cancels them and hands them back.
		SoftStop:          a.Cfg.ShutdownTimeout.D() * 4 / 5,
		FetchPollInterval: poll,
		Periodic:          periodic,
		Logger:            riverLogger(a.Log),
	})
	if err != nil {
		return err
	}
	sweeper.Queue = q
	syncAll.Queue = q
	discover.Queue = q
	questionWorker.Queue = q
	deliverer.Queue = q
	a.Queue = q
	for _, m := range a.modules {
		m.queueReady(q)
	}
	a.Intake = intake.New(a.St, q, intake.Options{
		Routes: a.Cfg.Routes.Questions, MaxQuestionChars: a.Cfg.Intake.MaxQuestionChars, Now: a.now, Writers: intakeWriters(a.St),
		Log: a.Log.With("component", "intake"),
	})
	return nil
}

// intakeWriters is the number of group-commit loops of the question
// intake: one on SQLite (one writer connection), four on PostgreSQL.
func intakeWriters(st *store.Store) int {
	if st.Engine == store.Postgres {
		return 2
	}
	return 1
}

// riverLogger passes River's own warnings and errors through, not its
// chatty info lines.
func riverLogger(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn}).With("component", "river")
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

// Handle drops River's complaints about its own context being cancelled,
// which it logs as errors while stopping.
func (f levelFilter) Handle(ctx context.Context, r slog.Record) error {
	cancelled := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "error" && strings.Contains(a.Value.String(), "context canceled") {
			cancelled = true
			return false
		}
		return true
	})
	if cancelled {
		return nil
	}
	return f.Handler.Handle(ctx, r)
}

func (f levelFilter) WithAttrs(as []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(as), f.min}
}

func (f levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(n), f.min}
}

func (a *App) initHTTP(ctx context.Context) error {
	mux := http.NewServeMux()
	// One budget for both doors (the JSON API and /ask), per client address.
	askLimiter := a.rateLimiter("intake", ratelimit.PerMinute(a.Cfg.Intake.RatePerMinute, a.Cfg.Intake.Burst))
	mux.Handle("POST /api/v1/questions", &intake.API{Svc: a.Intake, Limiter: askLimiter, Trusted: a.Cfg.Trusted})
	(&cases.API{Store: a.Syncer.Store}).Register(mux, a.requireScope(auth.ScopeReadCases))
	(&cases.AccountsAPI{Directory: a.directory}).Register(mux, a.requireScope(auth.ScopeReadCases))
	mux.Handle("GET /api/v1/audit", a.requireScope(auth.ScopeAdmin)(http.HandlerFunc(a.auditAPI)))
	for _, m := range a.modules {
		m.routes(mux)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": Version})
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.Handle("GET /metrics", a.Metrics.Handler())
	deps := web.Deps{
		Cfg: a.Cfg, St: a.St, Auth: a.Auth, Intake: a.Intake, Queue: a.Queue, Now: a.now, Audit: a.Audit,
		Log: a.Log.With("component", "web"), AskLimiter: askLimiter, Blobs: a.Blobs,
		LoginLimiter: a.rateLimiter("login", ratelimit.PerMinute(a.Cfg.Console.LoginPerMinute, a.Cfg.Console.LoginPerMinute)),
		Accounts:     a.directory,
	}
	if a.Events != nil {
		deps.Events = a.Events
	}
	a.webDeps(&deps)
	h, err := web.New(deps)
	if err != nil {
		return err
	}
	h.Register(mux)
	a.Handler = a.middleware(mux)
	return nil
}

// requireScope admits requests whose API token has the scope (see
// auth.Service.Authorize: header only, except on ingest routes).
func (a *App) requireScope(scope string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler { return a.Auth.Require(scope, next) }
}

func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	fail := func(what string, err error) {
		a.Log.Warn("not ready", "check", what, "error", err)
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "check": what, "error": err.Error()})
	}
	if err := a.St.W.PingContext(ctx); err != nil {
		fail("database", err)
		return
	}
	if p, err := a.St.Pending(ctx); err != nil || p {
		if err == nil {
			err = errors.New("schema migrations are pending; run opsdesk migrate")
		}
		fail("migrations", err)
		return
	}
	if p, err := jobs.Pending(ctx, a.St); err != nil || p {
		if err == nil {
			err = errors.New("job queue migrations are pending; run opsdesk migrate")
		}
		fail("migrations", err)
		return
	}
	out := map[string]any{"status": "ready"}
	for _, m := range a.modules {
		if rr, ok := m.(readinessReporter); ok {
			maps.Copy(out, rr.readiness())
		}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// readinessReporter is a module that adds what it knows to /readyz (the
// chat sockets' state) without deciding readiness.
type readinessReporter interface {
	readiness() map[string]any
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// middleware logs one line per request, counts it, and turns a panic into a
// 500 instead of a dropped connection.
func (a *App) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			id = auth.RandomToken(9)
		}
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				a.Log.Error("panic serving request", "request_id", id, "path", loggedPath(r), "panic", p)
				if sw.status == 0 {
					httpx.Error(sw, http.StatusInternalServerError, "internal error", "")
				}
			}
			took := time.Since(start)
			a.Metrics.ObserveHTTP(r.Pattern, r.Method, sw.status, took)
			lvl := slog.LevelInfo
			if r.Pattern == "GET /metrics" || r.Pattern == "GET /healthz" || r.Pattern == "GET /readyz" || strings.HasPrefix(r.URL.Path, "/static/") {
				lvl = slog.LevelDebug
			}
			a.Log.Log(r.Context(), lvl, "http", "request_id", id, "method", r.Method, "path", loggedPath(r), "route", r.Pattern,
				"status", sw.status, "bytes", sw.bytes, "ms", took.Milliseconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// Run starts the job workers, the intake writer and the HTTP server on ln,
// and blocks until ctx is cancelled; then it shuts down in reverse order
// within the configured timeout.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	defer a.close()
	intakeCtx, stopIntake := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); a.Intake.Run(intakeCtx) }()
	// Recover first: every pending delivery that is due gets a wake-up job
	// (unique, so deliveries that still have one are skipped).
	// On SQLite this process is the only one: every pending delivery is
	// due now. On PostgreSQL another replica may be sending some of them,
	// so only those untouched for longer than a job can run are taken.
	cutoff := a.now()
	if a.St.Engine == store.Postgres {
		cutoff = cutoff.Add(-a.sweepGrace())
	}
	if n, err := delivery.Sweep(ctx, a.St, a.Queue, cutoff); err != nil {
		a.Log.Warn("start-up sweep failed; the periodic sweeper will retry", "error", err)
	} else if n > 0 {
		a.Log.Info("re-enqueued deliveries interrupted by the last stop", "count", n)
	}
	// The fleet row exists before the first job runs; the heartbeat and
	// the watch for dead replicas run until the queue has stopped.
	if err := a.Fleet.Join(ctx); err != nil {
		a.Log.Warn("fleet: joining failed; the heartbeat will retry", "error", err)
	}
	fleetCtx, stopFleet := context.WithCancel(context.WithoutCancel(ctx))
	var fleetWG sync.WaitGroup
	fleetWG.Add(1)
	go func() { defer fleetWG.Done(); a.Fleet.Run(fleetCtx) }()
	if err := a.Queue.Start(context.WithoutCancel(ctx)); err != nil {
		stopIntake()
		wg.Wait()
		stopFleet()
		fleetWG.Wait()
		return err
	}
	// Modules' own loops (the escalation engine).
	runCtx, stopRunners := context.WithCancel(context.WithoutCancel(ctx))
	var runWG sync.WaitGroup
	for _, m := range a.modules {
		if r, ok := m.(runner); ok {
			runWG.Add(1)
			go func() { defer runWG.Done(); r.run(runCtx) }()
		}
	}
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	a.Log.Info("opsdesk started", "addr", ln.Addr().String(), "engine", a.St.Engine, "version", Version, "config", a.Cfg.Source,
		"destinations", len(a.Cfg.Destinations))

	if len(a.Cfg.Routes.Questions) == 0 {
		a.Log.Warn("no destinations in routes.questions: questions are stored but sent nowhere (see deploy/opsdesk.example.yaml)")
	}
	var runErr error
	select {
	case <-ctx.Done():
	case err := <-srvErr:
		runErr = fmt.Errorf("http server: %w", err)
	}
	deadline := time.Now().Add(a.Cfg.ShutdownTimeout.D())
	a.Log.Info("shutting down", "timeout", a.Cfg.ShutdownTimeout.D())
	sctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	// 1. Stop accepting; requests in flight finish (their questions commit).
	if err := srv.Shutdown(sctx); err != nil {
		a.Log.Warn("http shutdown", "error", err)
		srv.Close()
	}
	// 2. Commit whatever the intake writer still holds.
	stopIntake()
	wg.Wait()
	// 3. Stop the modules' loops; each hands back what it held.
	stopRunners()
	runWG.Wait()
	// 4. Let running jobs finish; past the deadline they are cancelled and
	// handed back to the queue.
	if err := a.Queue.Stop(sctx); err != nil {
		a.Log.Warn("job queue shutdown", "error", err)
	}
	// 5. Leave the fleet: a clean stop is not a death.
	stopFleet()
	fleetWG.Wait()
	if err := a.Fleet.Leave(sctx); err != nil {
		a.Log.Warn("fleet: leaving failed; the others will find this replica gone", "error", err)
	}
	a.Log.Info("stopped")
	return runErr
}

func (a *App) close() {
	if a.St != nil {
		a.St.Close()
		a.St = nil
	}
}
