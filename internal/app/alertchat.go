package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/alertchat"
	"github.com/opsdesk/opsdesk/internal/chatops/chatsocket"
	"github.com/opsdesk/opsdesk/internal/chatops/sig"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
)

// alertChatModule builds the alert lifecycle in chat (alerts.systems[].follow)
// and the Slack buttons' endpoint; nil when no system is followed.
func (a *App) alertChatModule(ctx context.Context) (module, error) {
	follow := map[string][]string{}
	for _, s := range a.Cfg.Alerts.Systems {
		if len(s.Follow) > 0 {
			follow[s.Name] = append([]string(nil), s.Follow...)
		}
	}
	if len(follow) == 0 {
		return nil, nil
	}
	svcAlerts := a.Alerts()
	if svcAlerts == nil {
		return nil, fmt.Errorf("app: alert chat: the alerts service is not built")
	}
	dests := map[string]*alertchat.Destination{}
	for i, s := range a.Cfg.Alerts.Systems {
		for j, name := range s.Follow {
			if dests[name] != nil {
				continue
			}
			d, _ := a.Cfg.Destination(name)
			lang := d.Language
			if lang == "" {
				lang = "en"
			}
			ad := &alertchat.Destination{Name: name, Type: d.Type, Language: lang, Sender: a.senders[name]}
			if d.Type == "slack" {
				api, ok := a.senders[name].(*notify.SlackAPI)
				if !ok {
					return nil, &config.Error{Key: fmt.Sprintf("alerts.systems[%d].follow[%d]", i, j),
						Msg: fmt.Sprintf("slack destination %q must use the Web API (bot_token_env and channel) to follow alerts: an incoming webhook cannot edit its messages", name)}
				}
				ad.Slack = api
			}
			dests[name] = ad
		}
	}
	o := alertchat.Options{
		Store: a.St, Alerts: svcAlerts, Follow: follow, Destinations: dests,
		ActionLink: a.mintActionLink, Now: a.now, Log: a.Log.With("component", "alertchat"),
		Client: &http.Client{Timeout: 10 * time.Second}, Poll: a.alertChatPoll,
	}
	if a.Contacts != nil {
		o.Members = a.Contacts
	}
	if base := strings.TrimRight(a.Cfg.BaseURL, "/"); base != "" {
		o.ConsoleURL = func(id int64) string { return fmt.Sprintf("%s/alerts/%d", base, id) }
	}
	m := &alertChatModule{a: a, svc: alertchat.New(o)}
	secret, err := config.Secret(a.lookup, "chat.slack.signing_secret_env", a.Cfg.Chat.Slack.SigningSecretEnv)
	if err != nil {
		return nil, err
	}
	m.slackSecret = secret
	a.alertChat = m.svc
	// Socket Mode's interactive envelopes (chat_socket.go) reach the same
	// button handler as POST /hooks/slack/interactions. A payload that
	// cannot be read is refused, not retried: Slack would send it again
	// unchanged.
	a.slackInteraction = func(ctx context.Context, payload []byte) (string, error) {
		reply, err := m.svc.HandleSocketInteraction(ctx, payload)
		var ie *alertchat.InteractionError
		if errors.As(err, &ie) {
			return "", fmt.Errorf("%w: %v", chatsocket.ErrRejected, err)
		}
		return reply, err
	}
	return m, nil
}

type alertChatModule struct {
	a           *App
	svc         *alertchat.Service
	slackSecret string
}

func (m *alertChatModule) workers(context.Context, *river.Workers) ([]*river.PeriodicJob, error) {
	return nil, nil
}

func (m *alertChatModule) queueReady(jobs.Queue) {}

// run is the follow worker of this process; replicas share the rows
// through their claims.
func (m *alertChatModule) run(ctx context.Context) { m.svc.Run(ctx) }

func (m *alertChatModule) routes(mux *http.ServeMux) {
	if m.slackSecret == "" {
		return
	}
	// The replay guard shares chat-ops' nonce table when chat-ops runs
	// (every replica sees every nonce); otherwise it is per process.
	var nonces sig.Nonces = sig.NewReplayGuard(10*time.Minute, 100000, m.a.now)
	for _, x := range m.a.modules {
		if cm, ok := x.(*chatModule); ok && cm.store != nil {
			nonces = cm.store
		}
	}
	mux.Handle("POST /hooks/slack/interactions", &alertchat.InteractionHandler{
		Svc: m.svc, SigningSecret: m.slackSecret, Nonces: nonces, Now: m.a.now, Log: m.a.Log.With("component", "alertchat"),
	})
}

// AlertChat returns the alert lifecycle service (nil when no system is
// followed).
func (a *App) AlertChat() *alertchat.Service { return a.alertChat }
