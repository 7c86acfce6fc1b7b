package web

import (
	"net/http"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/chatops"
	"github.com/opsdesk/opsdesk/internal/chatops/chatsocket"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

type chatWithSockets struct {
	*chatops.Store
	states map[string]chatsocket.State
}

func (c chatWithSockets) SocketStates() map[string]chatsocket.State { return c.states }

// TestChatPageSockets: in Socket / Stream mode the chat page shows each
// connection's state in the reader's language, and no hook URL.
func TestChatPageSockets(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		since := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
		cfg := testConfig + "chat:\n  dingtalk: {mode: stream, client_id_env: DT_ID, app_secret_env: DT_SECRET}\n  slack: {mode: socket, app_token_env: SLACK_TOKEN}\n"
		e := newEnv(t, st, cfg, func(h *Handler) {
			h.chat = chatWithSockets{Store: chatops.NewStore(st, h.now), states: map[string]chatsocket.State{
				chatops.PlatformSlack:    {Connected: true, Since: since, Reconnects: 2},
				chatops.PlatformDingTalk: {Since: since, LastError: "chatsocket: dingtalk: gateway open: HTTP 401 InvalidAuthentication"},
			}}
		})
		e.addUser("victor", auth.RoleViewer)
		b := e.browser("")
		b.login("victor")
		r := b.get("/chat?lang=en")
		r.want(t, http.StatusOK, "Outbound connections", "connected since", "2 reconnects", "not connected since",
			"Last error: chatsocket: dingtalk: gateway open: HTTP 401 InvalidAuthentication", `datetime="2026-12-07T20:00:00Z"`)
		r.wantNot(t, "/hooks/dingtalk", "/hooks/slack/commands")
		for lang, want := range map[string]string{"ja": "送信側からの接続", "zh": "出站连接", "ko": "아웃바운드 연결"} {
			b.get("/chat?lang="+lang).want(t, http.StatusOK, want)
		}
	})
}
