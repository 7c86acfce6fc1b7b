package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/aws/snsverify"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/events"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
)

// eventsModule builds the AWS event intake: rules (built-in, config,
// console), POST /api/v1/events, and the jobs that run matched actions.
func (a *App) eventsModule(ctx context.Context) (module, error) {
	var rules []events.Rule
	if a.Cfg.Events.Builtin() {
		rules = append(rules, events.Builtin(a.Cfg.Events.DisableRules)...)
	}
	fromCfg, err := events.FromConfig(a.Cfg.Events.Rules)
	if err != nil {
		return nil, err
	}
	for i, r := range fromCfg {
		if err := r.Compile(a.Cfg.HasDestination); err != nil {
			var fe *events.FieldError
			if errors.As(err, &fe) {
				return nil, &config.Error{Key: fmt.Sprintf("events.rules[%d].%s", i, fe.Field), Msg: fe.Msg}
			}
			return nil, err
		}
	}
	rules = append(rules, fromCfg...)
	svc, err := events.New(a.St, nil, events.Options{
		Rules: rules, HasDestination: a.Cfg.HasDestination, Now: a.now, Log: a.Log.With("component", "events"),
	})
	if err != nil {
		return nil, err
	}
	a.Events = svc
	return &eventsModule{a: a, svc: svc}, nil
}

type eventsModule struct {
	a   *App
	svc *events.Service
}

func (m *eventsModule) workers(ctx context.Context, w *river.Workers) ([]*river.PeriodicJob, error) {
	a := m.a
	river.AddWorker(w, &events.ActionsWorker{
		Svc: m.svc, Log: a.Log.With("component", "events"),
		Exec: &events.Executors{
			Notify:     a.notifyMessage,
			SyncCase:   a.syncCaseFromEvent,
			Alert:      a.alertFromEvent,
			CallStatus: a.callStatusFromEvent,
			Health:     a.healthFromEvent,
		},
		ConsoleURL: func(ref int64) string {
			if a.Cfg.BaseURL == "" {
				return ""
			}
			return fmt.Sprintf("%s/events/%d", strings.TrimRight(a.Cfg.BaseURL, "/"), ref)
		},
	})
	river.AddWorker(w, &events.SweepWorker{Svc: m.svc, Grace: 2 * time.Minute})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Minute), func() (river.JobArgs, *river.InsertOpts) {
		return events.SweepArgs{}, nil
	}, &river.PeriodicJobOpts{RunOnStart: true})}, nil
}

func (m *eventsModule) queueReady(q jobs.Queue) { m.svc.SetQueue(q) }

func (m *eventsModule) routes(mux *http.ServeMux) {
	a := m.a
	mux.Handle("POST /api/v1/events", &events.API{
		Svc:       m.svc,
		Authorize: a.Auth.Authorize,
		SNS:       a.snsVerifier(),
		SNSTopics: a.Cfg.Events.SNSTopics,
		MaxBody:   a.Cfg.Events.MaxBodyBytes,
		Log:       a.Log.With("component", "events"),
	})
}

// snsVerifier is the process's one SNS signature verifier (its certificate
// cache is shared by every SNS endpoint).
func (a *App) snsVerifier() *snsverify.Verifier {
	a.snsOnce.Do(func() {
		a.sns = &snsverify.Verifier{Now: a.now}
		if a.snsCertAllowed != nil {
			a.sns.CertURLAllowed = a.snsCertAllowed
			a.sns.Client = a.snsClient
		}
	})
	return a.sns
}

// sendMessage sends a message to a configured destination; permanent says
// that retrying cannot help (an unknown destination, a 4xx the
// destination explained).
func (a *App) sendMessage(ctx context.Context, dest string, msg notify.Message, key string, attempt int) (ref string, permanent bool, err error) {
	s, ok := a.senders[dest]
	if !ok {
		return "", true, fmt.Errorf("destination %q is not configured", dest)
	}
	cctx, cancel := context.WithTimeout(ctx, a.Cfg.Deliveries.Timeout.D())
	defer cancel()
	res, err := s.Send(cctx, notify.Request{DeliveryID: key, Attempt: attempt, Message: &msg})
	if err != nil {
		var ne *notify.Error
		return "", errors.As(err, &ne) && ne.Permanent, err
	}
	return res.ExternalRef, false, nil
}

// notifyMessage is an event rule's notify action.
func (a *App) notifyMessage(ctx context.Context, dest string, msg notify.Message, key string, attempt int) (string, error) {
	ref, permanent, err := a.sendMessage(ctx, dest, msg, key, attempt)
	switch {
	case permanent:
		return "", events.Permanent(err)
	case err != nil:
		return "", err
	case ref != "":
		return "sent to " + dest + " (" + ref + ")", nil
	}
	return "sent to " + dest, nil
}

// syncCaseFromEvent queues a sync of the case an aws.support event names.
func (a *App) syncCaseFromEvent(ctx context.Context, ev *events.Stored) (string, error) {
	if len(a.accounts) == 0 {
		return "", events.NotConfigured("no AWS account is configured (aws.accounts), so there is no case archive to sync this case into")
	}
	caseID := events.SupportCaseID(ev.Raw)
	if caseID == "" {
		return "", events.Permanent(errors.New("the event names no case (detail.case-id)"))
	}
	acct, ok := cases.AccountFor(a.accounts, ev.Account)
	if !ok && a.directory != nil {
		// A member account discovered through aws.organizations.
		var err error
		if acct, ok, err = a.directory.Account(ctx, ev.Account); err != nil {
			return "", err
		}
	}
	if !ok {
		return "", events.Permanent(fmt.Errorf("AWS account %s is not one of aws.accounts (set account_id on the account)", ev.Account))
	}
	if _, err := a.Queue.Insert(ctx, cases.SyncCaseArgs{Account: acct.Name, CaseID: caseID, Reason: "event:" + ev.EventID}, nil); err != nil {
		return "", err
	}
	return fmt.Sprintf("sync of %s queued (account %s)", caseID, acct.Name), nil
}

// caseSynced tells the capabilities that follow cases (chat-ops) that a
// case was synced on its own (an event, a chat command).
func (a *App) caseSynced(ctx context.Context, account, caseID string, res *cases.Result) {
	for _, f := range a.onCaseSynced {
		f(ctx, account, caseID, res)
	}
}
