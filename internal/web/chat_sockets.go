package web

import (
	"slices"
	"time"

	"github.com/opsdesk/opsdesk/internal/chatops/chatsocket"
)

// ChatSocketStates is what the chat service adds when a platform's
// commands arrive over an outbound connection (Slack Socket Mode,
// DingTalk Stream mode): each connection's state, by platform. The chat
// page shows it when the ChatService has it.
type ChatSocketStates interface {
	SocketStates() map[string]chatsocket.State
}

// chatSocketRow is one connection on the chat page.
type chatSocketRow struct {
	Platform  string
	Connected bool
	Since     time.Time
	// Reconnects counts the connections opened after the first.
	Reconnects int64
	LastError  string
}

// chatSockets are the connections' states, DingTalk first (nil: none).
func (h *Handler) chatSockets(p *page) []chatSocketRow {
	ss, ok := h.chat.(ChatSocketStates)
	if !ok {
		return nil
	}
	states := ss.SocketStates()
	var out []chatSocketRow
	for _, name := range chatPlatforms {
		st, ok := states[name]
		if !ok {
			continue
		}
		out = append(out, chatSocketRow{Platform: h.chatPlatformLabel(p, name), Connected: st.Connected, Since: st.Since,
			Reconnects: st.Reconnects, LastError: st.LastError})
	}
	return slices.Clip(out)
}

var chatSocketCatalog = map[string][4]string{
	"chat.sockets": {"Outbound connections", "送信側からの接続", "出站连接", "아웃바운드 연결"},
	"chat.sockets_hint": {
		"Commands of these platforms arrive over a connection opsdesk keeps open (Slack Socket Mode, DingTalk Stream mode): no inbound port is needed.",
		"これらのプラットフォームのコマンドは、opsdesk が開いたままにする接続（Slack のソケットモード、DingTalk の Stream モード）で届きます。受信用のポートは不要です。",
		"这些平台的命令通过 opsdesk 保持的连接（Slack Socket Mode、钉钉 Stream 模式）到达，无需开放入站端口。",
		"이 플랫폼의 명령은 opsdesk가 유지하는 연결(Slack 소켓 모드, DingTalk Stream 모드)로 들어옵니다. 인바운드 포트가 필요 없습니다.",
	},
	"chat.socket_up":         {"connected since", "接続中（開始）", "已连接，自", "연결됨, 시작"},
	"chat.socket_down":       {"not connected since", "未接続（開始）", "未连接，自", "연결 안 됨, 시작"},
	"chat.socket_connecting": {"connecting…", "接続中…", "正在连接…", "연결 중…"},
	"chat.socket_reconnects": {"%d reconnects", "再接続 %d 回", "重连 %d 次", "재연결 %d회"},
	"chat.socket_error":      {"Last error:", "最後のエラー：", "最近的错误：", "마지막 오류:"},
}

func init() {
	for k, v := range chatSocketCatalog {
		catalog[k] = v
	}
}
