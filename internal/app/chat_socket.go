package app

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsdesk/opsdesk/internal/chatops"
	"github.com/opsdesk/opsdesk/internal/chatops/chatsocket"
	"github.com/opsdesk/opsdesk/internal/config"
)

// chatSockets are the outbound connections of chat-ops: Slack Socket Mode
// and DingTalk Stream mode (nil when that platform uses HTTP).
type chatSockets struct {
	intake *chatops.SocketIntake
	slack  *chatsocket.Slack
	ding   *chatsocket.DingTalk
}

// buildSockets reads the credentials of the socket modes and builds their
// clients; it runs while the chat module is built (the queue is set later,
// in queueReady).
func (m *chatModule) buildSockets() error {
	a, cc := m.a, m.cfg
	if cc.Slack.Mode != config.ChatModeSocket && cc.DingTalk.Mode != config.ChatModeStream {
		return nil
	}
	log := m.log
	// No client timeout: every call and the handshake carry their own
	// deadline, and the WebSocket outlives any fixed timeout.
	hc := &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
	}}
	m.sockets.intake = &chatops.SocketIntake{SlackAck: chatops.WorkingText(cc.Slack.Language), Now: a.now, Log: log}
	if cc.Slack.Mode == config.ChatModeSocket {
		tok, err := config.Secret(a.lookup, "chat.slack.app_token_env", cc.Slack.AppTokenEnv)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(tok, "xapp-") {
			return &config.Error{Key: "chat.slack.app_token_env", Msg: "the variable " + cc.Slack.AppTokenEnv + " does not hold an app-level token (xapp-…)"}
		}
		m.sockets.slack = &chatsocket.Slack{
			AppToken: tok, APIURL: cc.Slack.APIURL, HTTP: hc, Commands: m.sockets.intake,
			Interactions: lateInteractions{a: a, log: log},
			Now:          a.now, Log: log.With("socket", "slack"),
		}
	}
	if cc.DingTalk.Mode == config.ChatModeStream {
		id, err := config.Secret(a.lookup, "chat.dingtalk.client_id_env", cc.DingTalk.ClientIDEnv)
		if err != nil {
			return err
		}
		m.sockets.ding = &chatsocket.DingTalk{
			ClientID: id, ClientSecret: m.appSecret, GatewayURL: cc.DingTalk.GatewayURL, HTTP: hc, Messages: m.sockets.intake,
			UserAgent: "opsdesk/" + Version, Now: a.now, Log: log.With("socket", "dingtalk"),
		}
	}
	if a.Metrics != nil {
		m.registerSocketMetrics(a.Metrics.Reg)
	}
	return nil
}

// registerSocketMetrics exports each connection's state and reconnects.
func (m *chatModule) registerSocketMetrics(reg *prometheus.Registry) {
	for name, st := range m.socketStatuses() {
		labels := prometheus.Labels{"platform": name}
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "opsdesk_chat_socket_connected", Help: "1 while the chat platform's outbound connection (Slack Socket Mode, DingTalk Stream) is up.",
			ConstLabels: labels,
		}, func() float64 {
			if st.Snapshot().Connected {
				return 1
			}
			return 0
		}))
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "opsdesk_chat_socket_reconnects_total", Help: "Times the chat platform's outbound connection was opened again after the first.",
			ConstLabels: labels,
		}, func() float64 { return float64(st.Snapshot().Reconnects) }))
	}
}

// socketStatuses are the statuses of the configured connections, by
// platform.
func (m *chatModule) socketStatuses() map[string]*chatsocket.Status {
	out := map[string]*chatsocket.Status{}
	if m.sockets.slack != nil {
		out[chatops.PlatformSlack] = &m.sockets.slack.Status
	}
	if m.sockets.ding != nil {
		out[chatops.PlatformDingTalk] = &m.sockets.ding.Status
	}
	return out
}

// run keeps the connections until shutdown (runner).
func (m *chatModule) run(ctx context.Context) {
	var wg sync.WaitGroup
	if m.sockets.slack != nil {
		wg.Add(1)
		go func() { defer wg.Done(); m.sockets.slack.Run(ctx) }()
	}
	if m.sockets.ding != nil {
		wg.Add(1)
		go func() { defer wg.Done(); m.sockets.ding.Run(ctx) }()
	}
	wg.Wait()
}

// readiness reports the connections for /readyz: whether each is up and
// since when. A connection that is down does not make the replica
// unready (its HTTP side still works, and the client reconnects), but it
// is shown.
func (m *chatModule) readiness() map[string]any {
	sts := m.socketStatuses()
	if len(sts) == 0 {
		return nil
	}
	out := map[string]any{}
	for name, st := range sts {
		s := st.Snapshot()
		r := map[string]any{"connected": s.Connected, "reconnects": s.Reconnects}
		if !s.Since.IsZero() {
			r["since"] = s.Since.UTC().Format(time.RFC3339)
		}
		if s.LastError != "" {
			r["last_error"] = s.LastError
		}
		out[name] = r
	}
	return map[string]any{"chat_sockets": out}
}

// lateInteractions hands Socket Mode's interactive payloads to
// App.slackInteraction, read at call time: the module that handles
// interactivity may be built after chat. Without one, a payload is
// acknowledged and logged.
type lateInteractions struct {
	a   *App
	log *slog.Logger
}

func (l lateInteractions) HandleSlackInteraction(ctx context.Context, payload []byte) (string, error) {
	if l.a.slackInteraction == nil {
		l.log.Info("slack socket mode: interactive payload acknowledged; nothing handles interactivity")
		return "", nil
	}
	return l.a.slackInteraction(ctx, payload)
}

// chatWebSockets is the console's chat service with the connections'
// states (the chat page shows them).
type chatWebSockets struct {
	*chatops.Store
	m *chatModule
}

// SocketStates implements web.ChatSocketStates.
func (c chatWebSockets) SocketStates() map[string]chatsocket.State {
	out := map[string]chatsocket.State{}
	for name, st := range c.m.socketStatuses() {
		out[name] = st.Snapshot()
	}
	return out
}
