package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/chatops"
	"github.com/opsdesk/opsdesk/internal/chatops/command"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/web"
)

// chatModule builds chat-ops (DingTalk robot, Slack slash command, case
// updates back to chat) when chat is configured; nil otherwise.
func (a *App) chatModule(ctx context.Context) (module, error) {
	cc := &a.Cfg.Chat
	if !cc.Enabled() {
		return nil, nil
	}
	log := a.Log.With("component", "chat")
	m := &chatModule{a: a, cfg: cc, log: log}
	var err error
	if m.appSecret, err = config.Secret(a.lookup, "chat.dingtalk.app_secret_env", cc.DingTalk.AppSecretEnv); err != nil {
		return nil, err
	}
	if cc.Slack.Mode == config.ChatModeHTTP {
		if m.slackSecret, err = config.Secret(a.lookup, "chat.slack.signing_secret_env", cc.Slack.SigningSecretEnv); err != nil {
			return nil, err
		}
	}
	// The custom robot webhooks: the default one and per conversation.
	def, err := chatWebhook(a.lookup, "chat.dingtalk", cc.DingTalk.WebhookURL, cc.DingTalk.WebhookURLEnv, cc.DingTalk.WebhookSecretEnv)
	if err != nil {
		return nil, err
	}
	perConv := map[string]chatops.Webhook{}
	for i, cv := range cc.DingTalk.Conversations {
		wh, err := chatWebhook(a.lookup, fmt.Sprintf("chat.dingtalk.conversations[%d]", i), cv.WebhookURL, cv.WebhookURLEnv, cv.WebhookSecretEnv)
		if err != nil {
			return nil, err
		}
		perConv[cv.ID] = wh
	}
	var acct *cases.Account
	if name := cc.AccountName(a.Cfg); name != "" {
		for i := range a.accounts {
			if a.accounts[i].Name == name {
				acct = &a.accounts[i]
			}
		}
		if acct == nil {
			return nil, &config.Error{Key: "chat.account", Msg: fmt.Sprintf("no aws.accounts entry is named %q", name)}
		}
	}
	limits := map[string]int{}
	for _, d := range a.Cfg.Destinations {
		switch d.Type {
		case "dingtalk":
			limits[d.Name] = config.DingTalkMaxPerMinute
		case "lark":
			limits[d.Name] = config.LarkMaxPerMinute
		case "wecom":
			limits[d.Name] = config.WeComMaxPerMinute
		}
	}
	m.store = chatops.NewStore(a.St, a.now)
	m.outbox = &chatops.Outbox{
		Store: m.store,
		HTTP: &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 15 * time.Second,
			IdleConnTimeout:       90 * time.Second,
		}},
		Webhook: func(conv string) (chatops.Webhook, bool) {
			if wh, ok := perConv[conv]; ok {
				return wh, true
			}
			return def, def.URL != ""
		},
		Senders:           a.senders,
		DestinationLimits: limits,
		RatePerMinute:     cc.DingTalk.RatePerMinute,
		SnoozeMax:         5 * time.Second,
		Now:               a.now,
		Log:               log,
	}
	m.svc = &chatops.Service{
		Store: m.store, Outbox: m.outbox, Cases: a.Syncer.Store, Syncer: a.Syncer, Account: acct, Accounts: a.directory,
		DingTalk: chatops.Platform{
			Name: chatops.PlatformDingTalk, Label: "DingTalk", Language: cc.DingTalk.Language, MsgType: cc.DingTalk.MsgType,
			Allow:    chatops.Allow{Read: cc.DingTalk.Allow.Read, Create: cc.DingTalk.Allow.Create, Resolve: cc.DingTalk.Allow.Resolve},
			AllowKey: "chat.dingtalk.allow",
			Accounts: cc.DingTalk.Accounts, AccountsKey: "chat.dingtalk.accounts",
			Parser: command.Parser{CaseLanguage: cc.CaseLanguage, Names: cc.DingTalk.RobotNames},
		},
		Slack: chatops.Platform{
			Name: chatops.PlatformSlack, Label: "Slack", Language: cc.Slack.Language,
			Allow:    chatops.Allow{Read: cc.Slack.Allow.Read, Create: cc.Slack.Allow.Create, Resolve: cc.Slack.Allow.Resolve},
			AllowKey: "chat.slack.allow",
			Accounts: cc.Slack.Accounts, AccountsKey: "chat.slack.accounts",
			Parser: command.Parser{CaseLanguage: cc.CaseLanguage},
		},
		BaseURL:  a.Cfg.BaseURL,
		Audit:    a.Audit,
		CacheTTL: cc.ServiceCache.D(),
		// Read at call time: the alerts capability may set it after this
		// module is built.
		Ack: func(ctx context.Context, alertID, by string) (string, error) {
			if a.ackAlert == nil {
				return "", chatops.ErrNoEscalation
			}
			return a.ackAlert(ctx, alertID, by)
		},
		OnCall:      chatOnCall{a: a},
		Maintenance: chatMaintenance{a: a},
		Synced:      m.checkCase,
		Now:         a.now,
		Log:         log,
	}
	var all []chatops.UpdateTarget
	for _, u := range cc.Updates {
		all = append(all, chatops.UpdateTarget{Destination: u.Destination, MinSeverity: u.MinSeverity, Language: u.Language})
	}
	m.updater = &chatops.Updater{
		Store: m.store, Outbox: m.outbox, All: all,
		DingTalkLanguage: cc.DingTalk.Language, DingTalkMsgType: cc.DingTalk.MsgType,
		SlackDestination: cc.Slack.Destination, SlackLanguage: cc.Slack.Language,
		BaseURL: a.Cfg.BaseURL, Now: a.now, Log: log,
	}
	if err := m.buildSockets(); err != nil {
		return nil, err
	}
	// A case synced on its own (an event, a chat command): look for its
	// updates now rather than at the next period.
	a.onCaseSynced = append(a.onCaseSynced, func(ctx context.Context, account, caseID string, _ *cases.Result) {
		m.checkCase(ctx, account, caseID)
	})
	return m, nil
}

// chatWebhook resolves a custom robot webhook given inline or by variable.
func chatWebhook(lookup func(string) (string, bool), key, url, urlEnv, secretEnv string) (chatops.Webhook, error) {
	wh := chatops.Webhook{URL: url}
	if urlEnv != "" {
		v, err := config.Secret(lookup, key+".webhook_url_env", urlEnv)
		if err != nil {
			return wh, err
		}
		wh.URL = v
	}
	s, err := config.Secret(lookup, key+".webhook_secret_env", secretEnv)
	if err != nil {
		return wh, err
	}
	wh.Secret = s
	return wh, nil
}

type chatModule struct {
	a           *App
	cfg         *config.Chat
	log         *slog.Logger
	appSecret   string
	slackSecret string
	store       *chatops.Store
	outbox      *chatops.Outbox
	svc         *chatops.Service
	updater     *chatops.Updater
	queue       jobs.Queue
	sockets     chatSockets
}

// checkCase queues a look for one case's updates.
func (m *chatModule) checkCase(ctx context.Context, account, caseID string) {
	if m.queue == nil {
		return
	}
	args := chatops.UpdatesArgs{Account: account, CaseID: caseID, Reason: strconv.FormatInt(time.Now().UnixNano(), 36)}
	if _, err := m.queue.Insert(ctx, args, nil); err != nil {
		m.log.Warn("chat: queue update check; the periodic check will find it", "case", caseID, "error", err)
	}
}

func (m *chatModule) workers(ctx context.Context, w *river.Workers) ([]*river.PeriodicJob, error) {
	river.AddWorker(w, &chatops.DingTalkWorker{Svc: m.svc})
	river.AddWorker(w, &chatops.SlackWorker{Svc: m.svc})
	river.AddWorker(w, &chatops.SendWorker{Outbox: m.outbox})
	river.AddWorker(w, &chatops.UpdatesWorker{Updater: m.updater})
	river.AddWorker(w, &chatops.SweepWorker{Outbox: m.outbox, Store: m.store, Grace: time.Minute, Keep: 30 * 24 * time.Hour, Log: m.a.Log.With("component", "chat")})
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(m.cfg.UpdateInterval.D()), func() (river.JobArgs, *river.InsertOpts) {
			return chatops.UpdatesArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(time.Minute), func() (river.JobArgs, *river.InsertOpts) {
			return chatops.SweepArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}),
	}, nil
}

func (m *chatModule) queueReady(q jobs.Queue) {
	m.queue = q
	m.outbox.Queue = q
	m.svc.Queue = q
	if m.sockets.intake != nil {
		m.sockets.intake.Queue = q
	}
}

func (m *chatModule) routes(mux *http.ServeMux) {
	a := m.a
	log := a.Log.With("component", "chat")
	// In stream mode the robot's messages come over the connection only.
	if m.appSecret != "" && m.cfg.DingTalk.Mode == config.ChatModeHTTP {
		mux.Handle("POST /hooks/dingtalk", &chatops.DingTalkHandler{
			AppSecret: m.appSecret, Nonces: m.store, Queue: m.queue, Forget: m.store.Forget, Now: a.now, Log: log,
		})
	}
	if m.slackSecret != "" {
		mux.Handle("POST /hooks/slack/commands", &chatops.SlackHandler{
			SigningSecret: m.slackSecret, Nonces: m.store, Queue: m.queue, Forget: m.store.Forget,
			Ack: chatops.WorkingText(m.cfg.Slack.Language), Now: a.now, Log: log,
		})
	}
}

// webDeps hands the console the audit log.
func (m *chatModule) webDeps(d *web.Deps) {
	d.Chat = m.store
	if len(m.socketStatuses()) > 0 {
		d.Chat = chatWebSockets{Store: m.store, m: m}
	}
}
