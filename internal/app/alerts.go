package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/aws/connect"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/events"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/web"
)

// alertsModule builds alert intake and phone escalation. It is always on:
// alerts are accepted and shown even before Connect (alerts.connect) or a
// call list is configured.
func (a *App) alertsModule(ctx context.Context) (module, error) {
	cfg := &a.Cfg.Alerts
	o := alerts.Options{
		DefaultSystem: cfg.DefaultSystem,
		Location:      cfg.Location(),
		Notify:        a.notifyAlert,
		Audit:         a.Audit,
		Now:           a.now,
		Log:           a.Log.With("component", "alerts"),
		ReplicaID:     a.Fleet.ID(),
		OnStep:        a.Metrics.ObserveEscalationStep,
		Parallel:      a.Cfg.Jobs.Workers.Escalation,
		ActionLink:    a.mintActionLink,
		FlapOpens:     cfg.Flapping.Opens,
		FlapWindow:    cfg.Flapping.Window.D(),
		Directory:     directory{a: a},
		Pager:         pagingSender{a},
	}
	for _, s := range cfg.Systems {
		if by, window := s.Grouping(); len(by) > 0 {
			if o.Grouping == nil {
				o.Grouping = map[string]alerts.Grouping{}
			}
			o.Grouping[s.Name] = alerts.Grouping{By: by, Window: window}
		}
	}
	if base := strings.TrimRight(a.Cfg.BaseURL, "/"); base != "" {
		o.ConsoleURL = func(id int64) string { return fmt.Sprintf("%s/alerts/%d", base, id) }
	}
	if cfg.Connect != nil {
		cc := cfg.Connect.WithDefaults()
		client, err := a.connectClient(ctx, cc)
		if err != nil {
			return nil, err
		}
		o.Caller = client
		a.connectCaller = client // voice verification shares it (contact.go)
		o.PollInterval = cc.PollInterval.D()
		o.MaxCallDuration = cc.MaxCallDuration.D()
		o.MaxConcurrentCalls = cc.MaxConcurrentCalls
		o.PerNumberPerHour = *cc.PerNumberMaxCallsPerHour
	}
	svc := alerts.New(a.St, o)
	// Policies first: systems' routes name them.
	keptPolicies, err := svc.SeedPolicies(ctx, a.Cfg.OnCall.Policies, a.Cfg.HasDestination)
	if err != nil {
		return nil, err
	}
	for _, n := range keptPolicies {
		a.Log.Info("alerts: escalation policy edited in the console; its version in the config file is not applied", "policy", n)
	}
	kept, err := svc.SeedSystems(ctx, cfg.Systems, a.Cfg.HasDestination)
	if err != nil {
		return nil, err
	}
	for _, n := range kept {
		a.Log.Info("alerts: system edited in the console; its call list in the config file is not applied", "system", n)
	}
	if a.St.Engine == store.SQLite {
		// The database belongs to this process: claims left in it are
		// those of a process that died, and their steps can run now.
		if n, err := svc.ReleaseClaims(ctx); err != nil {
			return nil, err
		} else if n > 0 {
			a.Log.Info("alerts: resuming escalations interrupted by the last stop", "count", n)
		}
	}
	m := &alertsModule{a: a, svc: svc}
	a.Fleet.OnRelease("escalations", svc.ReleaseReplica)
	a.alertFromEvent = m.fromEvent
	a.callStatusFromEvent = m.callStatus
	a.ackAlert = m.ack
	return m, nil
}

// connectClient builds the Amazon Connect client. The endpoint and static
// credentials are read through the App's environment lookup, like every
// other setting, so that they can be given per process (and per test).
func (a *App) connectClient(ctx context.Context, cc config.AlertsConnect) (*connect.Client, error) {
	ccfg := connect.Config{
		InstanceID: cc.InstanceID, ContactFlowID: cc.ContactFlowID, SourcePhone: cc.SourcePhone,
		Region: cc.Region, Profile: cc.Profile, RoleARN: cc.RoleARN, KeyAttribute: cc.KeyAttribute,
		RatePerSecond: cc.RatePerSecond, RingTimeout: cc.RingTimeout.D(),
	}
	env := func(k string) string {
		v, _ := a.lookup(k)
		return v
	}
	ccfg.Endpoint = env("AWS_ENDPOINT_URL_CONNECT")
	if ccfg.Endpoint == "" {
		ccfg.Endpoint = env("AWS_ENDPOINT_URL")
	}
	if ccfg.Region == "" {
		ccfg.Region = env("AWS_REGION")
	}
	var opts []connect.Option
	if id, secret := env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"); cc.Profile == "" && id != "" && secret != "" {
		opts = append(opts, connect.WithCredentials(aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, env("AWS_SESSION_TOKEN")))))
	}
	if limiter := a.connectLimiter(ccfg.InstanceID); limiter != nil {
		opts = append(opts, connect.WithRateLimiter(limiter))
	}
	client, err := connect.New(ctx, ccfg, opts...)
	if err != nil {
		var ve *connect.ValidationError
		if errors.As(err, &ve) {
			return nil, &config.Error{Key: "alerts.connect." + ve.Field, Msg: ve.Reason}
		}
		return nil, err
	}
	return client, nil
}

// notifyAlert sends an alert notification to a configured destination.
func (a *App) notifyAlert(ctx context.Context, dest string, msg notify.Message, key string, attempt int) (string, error) {
	ref, permanent, err := a.sendMessage(ctx, dest, msg, key, attempt)
	switch {
	case permanent:
		return "", alerts.Permanent(err)
	case err != nil:
		return "", err
	case ref != "":
		return "sent (" + ref + ")", nil
	}
	return "sent", nil
}

// AckAlert is what chat's "ack <alert id>" runs (the ackAlert hook): it
// acknowledges the alert and returns the reply.
func (a *App) AckAlert(ctx context.Context, alertID, by string) (string, error) {
	if a.ackAlert == nil {
		return "", errors.New("alerts are not running")
	}
	return a.ackAlert(ctx, alertID, by)
}

// Alerts returns the alerts service (tests, benchmarks).
func (a *App) Alerts() *alerts.Service {
	for _, m := range a.modules {
		if am, ok := m.(*alertsModule); ok {
			return am.svc
		}
	}
	return nil
}

type alertsModule struct {
	a   *App
	svc *alerts.Service
}

func (m *alertsModule) workers(ctx context.Context, w *river.Workers) ([]*river.PeriodicJob, error) {
	river.AddWorker(w, &alerts.EscalateWorker{Svc: m.svc})
	river.AddWorker(w, &alerts.SweepWorker{Svc: m.svc})
	river.AddWorker(w, &alerts.NotifyWorker{Svc: m.svc})
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(alerts.SweepInterval), func() (river.JobArgs, *river.InsertOpts) {
			return alerts.SweepArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}),
	}, nil
}

func (m *alertsModule) queueReady(q jobs.Queue) { m.svc.SetQueue(q) }

// run is the escalation engine of this process, on its own goroutines (see
// alerts.Service.Run). At a clean stop it hands its claims to the other
// replicas at once.
func (m *alertsModule) run(ctx context.Context) {
	poll := time.Second
	if m.a.St.Engine == store.SQLite {
		// Nothing but this process changes the database: every due time
		// is known here, the poll is only a safety net.
		poll = 5 * time.Second
	}
	m.svc.Run(ctx, poll)
	rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := m.svc.ReleaseReplica(rctx, m.a.Fleet.ID()); err != nil {
		m.a.Log.Warn("alerts: handing back claimed escalations failed; they are free when their claims run out", "error", err)
	}
}

func (m *alertsModule) routes(mux *http.ServeMux) {
	a := m.a
	(&alerts.API{
		Svc:       m.svc,
		Authorize: a.Auth.Authorize,
		SNS:       a.snsVerifier(),
		SNSTopics: a.Cfg.Alerts.SNSTopics,
		MaxBody:   a.Cfg.Alerts.MaxBodyBytes,
		Parse:     parse.Options{DefaultSystem: a.Cfg.Alerts.DefaultSystem, Location: a.Cfg.Alerts.Location()},
		Log:       a.Log.With("component", "alerts"),
		Trusted:   a.Cfg.Trusted,
		IsUser: func(ctx context.Context, name string) bool {
			_, err := a.Auth.GetUser(ctx, name)
			return err == nil
		},
	}).Register(mux)
}

func (m *alertsModule) webDeps(d *web.Deps) { d.Alerts = m.svc }

// fromEvent is the "alert" action of event rules: the built-in CloudWatch
// alarm rule (op auto: ALARM opens, OK resolves) and rules that open or
// resolve an alert from any event.
func (m *alertsModule) fromEvent(ctx context.Context, ev *events.Stored, act events.Action) (string, error) {
	cfg := &m.a.Cfg.Alerts
	rule := alerts.EventRule{Op: act.Op, System: act.System, IntakeSystem: act.IntakeSystem, Severity: act.Severity}
	sigs, err := alerts.SignalsFromEvent(ev.Raw, rule, parse.Options{DefaultSystem: cfg.DefaultSystem, Location: cfg.Location()})
	if err != nil && act.System == "" && act.IntakeSystem == "" && cfg.DefaultSystem == "" {
		// Would a default system have done? Then the only thing missing
		// is whose call list this is: paging is not set up for it (a
		// built-in rule skips, see events.NotConfigured).
		if _, err2 := alerts.SignalsFromEvent(ev.Raw, rule, parse.Options{DefaultSystem: "default", Location: cfg.Location()}); err2 == nil {
			return "", events.NotConfigured(`the alarm names no system (tag it "system", or post it to /api/v1/events?system=NAME) and alerts.default_system is not set: ` + err.Error())
		}
	}
	if err != nil {
		return "", events.Permanent(err)
	}
	if len(sigs) == 0 {
		return "nothing to do (the alarm state neither opens nor resolves an alert)", nil
	}
	res, err := m.svc.Ingest(ctx, sigs, "event")
	if err != nil {
		return "", err
	}
	var parts []string
	for _, r := range res {
		if r.AlertID == 0 {
			parts = append(parts, fmt.Sprintf("%s: no open alert %s/%s", r.Action, r.System, r.Key))
			continue
		}
		parts = append(parts, fmt.Sprintf("alert #%d %s", r.AlertID, r.Action))
	}
	return strings.Join(parts, "; "), nil
}

// callStatus is the built-in Amazon Connect contact event rule: the call
// it is about is polled now instead of at its next interval.
func (m *alertsModule) callStatus(ctx context.Context, ev *events.Stored) (string, error) {
	ids, err := alerts.ContactIDsFromEvent(ev.Raw)
	if err != nil {
		return "", events.Permanent(err)
	}
	for _, id := range ids {
		call, polled, err := m.svc.PollNow(ctx, id)
		if err != nil {
			return "", err
		}
		if call == nil {
			continue
		}
		if !polled {
			return fmt.Sprintf("call %s of alert #%d: nothing to poll (already handled)", id, call.AlertID), nil
		}
		return fmt.Sprintf("call %s of alert #%d polled now", id, call.AlertID), nil
	}
	return fmt.Sprintf("contact %s is not an opsdesk alert call", ids[0]), nil
}

// ack acknowledges an alert from chat ("ack 12", "ack #12").
func (m *alertsModule) ack(ctx context.Context, alertID, by string) (string, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(alertID), "#"), 10, 64)
	if err != nil || id <= 0 {
		return "", fmt.Errorf("%q is not an alert id (a number, as in ack 12)", alertID)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	al, changed, err := m.svc.Ack(ctx, id, by, "chat")
	switch {
	case errors.Is(err, alerts.ErrNotFound):
		return "", fmt.Errorf("there is no alert #%d", id)
	case errors.Is(err, alerts.ErrNotActive):
		return fmt.Sprintf("alert #%d is already resolved", id), nil
	case err != nil:
		return "", err
	case !changed:
		return fmt.Sprintf("alert #%d was already acknowledged by %s", id, al.AckedBy), nil
	}
	return fmt.Sprintf("alert #%d acknowledged: %s (%s)", id, al.Summary, al.System), nil
}
