package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/chatops"
	"github.com/opsdesk/opsdesk/internal/config"
)

// ChatService is what the console needs from the chat capability: the
// audit log of every command, and the messages that could not be sent.
type ChatService interface {
	Audit(ctx context.Context, f chatops.AuditFilter) ([]chatops.AuditEntry, error)
	AuditCount(ctx context.Context) (map[string]int, error)
	FailedMessages(ctx context.Context) (int, error)
	RecentFailed(ctx context.Context, limit int) ([]chatops.FailedMessage, error)
}

// chatRoutes adds GET /chat, the audit log of chat commands; without
// chat-ops it says how to set it up.
func (h *Handler) chatRoutes(mux *http.ServeMux) {
	if h.chat == nil {
		mux.Handle("GET /chat", h.route(accessMember, h.chatSetup))
		return
	}
	mux.Handle("GET /chat", h.route(accessMember, h.chatPage))
}

type chatSetupData struct {
	DingTalkURL string
	SlackURL    string
	Example     string
}

// chatSetupExample is the smallest chat section of the config file.
const chatSetupExample = `chat:
  dingtalk:
    app_secret_env: DINGTALK_APP_SECRET      # the robot's AppSecret
    webhook_url_env: DINGTALK_WEBHOOK_URL    # optional: custom robot for updates
  slack:
    signing_secret_env: SLACK_SIGNING_SECRET # the app's signing secret`

// chatSetup is GET /chat while chat-ops is not configured: the empty
// state, with the steps to set it up.
func (h *Handler) chatSetup(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("chat.title"), "chat"
	base := h.baseURL(r)
	h.render(w, r, p, http.StatusOK, "chat_setup", chatSetupData{
		DingTalkURL: base + "/hooks/dingtalk", SlackURL: base + "/hooks/slack/commands", Example: chatSetupExample,
	})
}

// chatPanels are the chat capability's home page panels.
func (h *Handler) chatPanels() []panelFunc {
	if h.chat == nil {
		return nil
	}
	return []panelFunc{h.chatPanel}
}

var (
	chatPlatforms = []string{chatops.PlatformDingTalk, chatops.PlatformSlack}
	chatKinds     = []string{"service", "create", "resolve", "show", "reply", "search", "ack", "oncall", "maintenance", "help"}
	chatResults   = []string{chatops.ResultOK, chatops.ResultInvalid, chatops.ResultForbidden, chatops.ResultFailed, chatops.ResultRunning}
)

type chatFilter struct {
	Platform, Kind, Result, Q, From, To string
}

type chatRow struct {
	chatops.AuditEntry
	PlatformLabel string
	KindLabel     string
	ResultLabel   string
	ResultClass   string // badge class
	ReplyLabel    string
	ReplyClass    string
	Who           string
	Where         string
	CaseURL       string
	Text          string
}

type chatData struct {
	Filter    chatFilter
	Errors    map[string]string
	Platforms []option
	Kinds     []option
	Results   []option
	Rows      []chatRow
	NextURL   string
	FirstURL  string
	Filtered  bool
	Failed    []chatops.FailedMessage
	FailedN   int
	// Endpoints lists the configured hooks, for the empty state.
	Endpoints []string
	// Sockets are the outbound connections (chat_sockets.go).
	Sockets []chatSocketRow
}

func (h *Handler) chatPlatformLabel(p *page, s string) string {
	if slices.Contains(chatPlatforms, s) {
		return p.T("chat.platform." + s)
	}
	return s
}

func chatKindLabel(p *page, s string) string {
	if slices.Contains(chatKinds, s) {
		return p.T("chat.kind." + s)
	}
	return s
}

func chatResultLabel(p *page, s string) string {
	if slices.Contains(chatResults, s) {
		return p.T("chat.result." + s)
	}
	return s
}

func chatResultClass(s string) string {
	switch s {
	case chatops.ResultOK:
		return "delivered"
	case chatops.ResultRunning:
		return "pending"
	}
	return "failed"
}

func (h *Handler) chatRow(p *page, e chatops.AuditEntry) chatRow {
	r := chatRow{AuditEntry: e, PlatformLabel: h.chatPlatformLabel(p, e.Platform), KindLabel: chatKindLabel(p, e.Kind),
		ResultLabel: chatResultLabel(p, e.Result), ResultClass: chatResultClass(e.Result), Text: shorten(e.Text, 300)}
	r.Who = e.SenderName
	if e.SenderID != "" {
		if r.Who != "" {
			r.Who += " (" + e.SenderID + ")"
		} else {
			r.Who = e.SenderID
		}
	}
	r.Where = e.ConversationTitle
	if e.ConversationID != "" {
		if r.Where != "" {
			r.Where += " (" + e.ConversationID + ")"
		} else {
			r.Where = e.ConversationID
		}
	}
	if e.CaseID != "" {
		r.CaseURL = caseURL(e.CaseID)
	}
	switch e.ReplyStatus {
	case "sent":
		r.ReplyLabel, r.ReplyClass = p.T("chat.reply.sent"), "delivered"
	case "failed":
		r.ReplyLabel, r.ReplyClass = p.T("chat.reply.failed"), "failed"
	case "pending", "sending":
		r.ReplyLabel, r.ReplyClass = p.T("chat.reply.pending"), "pending"
	}
	return r
}

// chatPage is GET /chat: every command received from chat, newest first,
// with filters (platform, command, result, words, dates in UTC) and paging
// by ?before=.
func (h *Handler) chatPage(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("chat.title"), "chat"
	ctx := r.Context()
	q := r.URL.Query()
	d := chatData{Errors: map[string]string{}}
	d.Filter = chatFilter{
		Platform: q.Get("platform"), Kind: q.Get("kind"), Result: q.Get("result"),
		Q: shorten(strings.TrimSpace(q.Get("q")), 200), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
	}
	if !slices.Contains(chatPlatforms, d.Filter.Platform) {
		d.Filter.Platform = ""
	}
	if !slices.Contains(chatKinds, d.Filter.Kind) {
		d.Filter.Kind = ""
	}
	if !slices.Contains(chatResults, d.Filter.Result) {
		d.Filter.Result = ""
	}
	f := chatops.AuditFilter{Platform: d.Filter.Platform, Kind: d.Filter.Kind, Result: d.Filter.Result, Q: d.Filter.Q, Limit: h.pageSize + 1}
	f.From, f.To = dayRange(p, d.Errors, &d.Filter.From, &d.Filter.To)
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		f.Before = b
	}
	d.Filtered = d.Filter != (chatFilter{}) || len(d.Errors) > 0
	anyLabel := p.T("cases.any")
	d.Platforms = options(anyLabel, d.Filter.Platform, chatPlatforms, func(s string) string { return h.chatPlatformLabel(p, s) })
	d.Kinds = options(anyLabel, d.Filter.Kind, chatKinds, func(s string) string { return chatKindLabel(p, s) })
	d.Results = options(anyLabel, d.Filter.Result, chatResults, func(s string) string { return chatResultLabel(p, s) })

	entries, err := h.chat.Audit(ctx, f)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	if len(entries) > h.pageSize {
		entries = entries[:h.pageSize]
		d.NextURL = chatURL(d.Filter, entries[len(entries)-1].ID)
	}
	if f.Before > 0 {
		d.FirstURL = chatURL(d.Filter, 0)
	}
	for _, e := range entries {
		d.Rows = append(d.Rows, h.chatRow(p, e))
	}
	if d.FailedN, err = h.chat.FailedMessages(ctx); err != nil {
		h.serverError(w, r, p, err)
		return
	}
	if d.FailedN > 0 {
		if d.Failed, err = h.chat.RecentFailed(ctx, 10); err != nil {
			h.serverError(w, r, p, err)
			return
		}
	}
	d.Endpoints = h.chatEndpoints(r)
	d.Sockets = h.chatSockets(p)
	h.render(w, r, p, http.StatusOK, "chat", d)
}

// chatEndpoints are the hook URLs the configured platforms post to.
func (h *Handler) chatEndpoints(r *http.Request) []string {
	base := h.baseURL(r)
	var out []string
	if h.cfg.Chat.DingTalk.AppSecretEnv != "" && h.cfg.Chat.DingTalk.Mode != config.ChatModeStream {
		out = append(out, "DingTalk: POST "+base+"/hooks/dingtalk")
	}
	if h.cfg.Chat.Slack.SigningSecretEnv != "" && h.cfg.Chat.Slack.Mode != config.ChatModeSocket {
		out = append(out, "Slack: POST "+base+"/hooks/slack/commands")
	}
	return out
}

func chatURL(f chatFilter, before int64) string {
	return listURL("/chat", map[string]string{"platform": f.Platform, "kind": f.Kind, "result": f.Result, "q": f.Q, "from": f.From, "to": f.To}, before)
}

type chatPanelData struct {
	Rows    []chatRow
	FailedN int
}

// chatPanel shows the latest commands; replies that could not be sent
// need attention.
func (h *Handler) chatPanel(r *http.Request, p *page) (*panel, error) {
	ctx := r.Context()
	n, err := h.chat.FailedMessages(ctx)
	if err != nil {
		return nil, err
	}
	entries, err := h.chat.Audit(ctx, chatops.AuditFilter{Limit: 5, From: h.now().Add(-7 * 24 * time.Hour)})
	if err != nil {
		return nil, err
	}
	d := chatPanelData{FailedN: n}
	for _, e := range entries {
		d.Rows = append(d.Rows, h.chatRow(p, e))
	}
	body, err := h.partial("panel-chat", p, d)
	if err != nil {
		return nil, err
	}
	pn := &panel{Key: "chat", Title: p.T("chat.panel.title"), Attention: n, Body: body, MoreURL: "/chat", MoreLabel: p.T("chat.panel.all")}
	if n > 0 {
		pn.AttentionText = p.TN("chat.panel.failed", n)
		pn.AttentionURL = "/chat"
	}
	return pn, nil
}

// chatCatalog holds this capability's console texts (see i18n.go).
var chatCatalog = map[string][4]string{
	"chat.title": {"Chat commands", "チャットコマンド", "聊天命令", "채팅 명령"},
	"chat.intro": {
		"Every command typed to the DingTalk robot or the Slack slash command: who sent it, where, what, and what came of it.",
		"DingTalk ロボットと Slack スラッシュコマンドに送られたすべてのコマンドです。誰が、どこで、何を送り、どうなったかを記録しています。",
		"发给钉钉机器人和 Slack 斜杠命令的所有命令：谁、在哪里、发了什么，以及结果如何。",
		"DingTalk 로봇과 Slack 슬래시 명령으로 보낸 모든 명령입니다. 누가, 어디에서, 무엇을 보냈고 결과가 어땠는지 기록합니다.",
	},
	"chat.platform":          {"Platform", "プラットフォーム", "平台", "플랫폼"},
	"chat.platform.dingtalk": {"DingTalk", "DingTalk", "钉钉", "DingTalk"},
	"chat.platform.slack":    {"Slack", "Slack", "Slack", "Slack"},
	"chat.kind":              {"Command", "コマンド", "命令", "명령"},
	"chat.kind.service":      {"Service lookup", "サービス検索", "查找服务代码", "서비스 찾기"},
	"chat.kind.create":       {"Create case", "ケース作成", "创建工单", "케이스 만들기"},
	"chat.kind.resolve":      {"Resolve case", "ケース解決", "解决工单", "케이스 해결"},
	"chat.kind.show":         {"Show case", "ケース表示", "查看工单", "케이스 보기"},
	"chat.kind.reply":        {"Reply to case", "ケースに返信", "回复工单", "케이스 답변"},
	"chat.kind.search":       {"Search", "検索", "搜索", "검색"},
	"chat.kind.ack":          {"Acknowledge alert", "アラート確認", "确认告警", "알림 확인"},
	"chat.kind.help":         {"Help", "ヘルプ", "帮助", "도움말"},
	"chat.result":            {"Result", "結果", "结果", "결과"},
	"chat.result.ok":         {"Done", "完了", "完成", "완료"},
	"chat.result.invalid":    {"Malformed", "書式の誤り", "格式错误", "형식 오류"},
	"chat.result.forbidden":  {"Not allowed", "権限なし", "无权限", "권한 없음"},
	"chat.result.failed":     {"Failed", "失敗", "失败", "실패"},
	"chat.result.running":    {"Running", "処理中", "处理中", "처리 중"},
	"chat.reply":             {"Reply", "返信", "回复", "답장"},
	"chat.reply.sent":        {"reply sent", "返信済み", "已回复", "답장 보냄"},
	"chat.reply.pending":     {"reply waiting", "返信待ち", "等待回复", "답장 대기"},
	"chat.reply.failed":      {"reply not sent", "返信できず", "回复失败", "답장 실패"},
	"chat.search":            {"Who, where, text or case", "送信者・場所・内容・ケース", "发送者、群、内容或工单", "보낸 사람, 위치, 내용, 케이스"},
	"chat.who":               {"Who", "送信者", "发送者", "보낸 사람"},
	"chat.where":             {"Where", "場所", "群/频道", "위치"},
	"chat.case":              {"Case", "ケース", "工单", "케이스"},
	"chat.none": {
		"No command has been received yet.",
		"まだコマンドを受け取っていません。",
		"还没有收到任何命令。",
		"아직 받은 명령이 없습니다.",
	},
	"chat.endpoints": {
		"Chat platforms post to:",
		"チャットプラットフォームの送信先：",
		"聊天平台的回调地址：",
		"채팅 플랫폼이 보내는 주소:",
	},
	"chat.setup_none": {
		"Chat-ops is not set up.",
		"チャット連携は設定されていません。",
		"尚未设置聊天运维。",
		"채팅 연동이 설정되어 있지 않습니다.",
	},
	"chat.setup_what": {
		"With it, a DingTalk group robot and a Slack slash command look up service codes and create, show, answer, resolve and search Support cases, and every command is listed here. To set it up:",
		"設定すると、DingTalk グループのロボットや Slack のスラッシュコマンドからサービスコードの検索、サポートケースの作成・表示・返信・解決・検索ができ、すべてのコマンドがここに記録されます。設定手順：",
		"设置后，可以通过钉钉群机器人和 Slack 斜杠命令查找服务代码，创建、查看、回复、解决和搜索支持案例，所有命令都会记录在这里。设置步骤：",
		"설정하면 DingTalk 그룹 로봇과 Slack 슬래시 명령으로 서비스 코드를 찾고 지원 사례를 만들고·보고·답변하고·해결하고·검색할 수 있으며, 모든 명령이 여기에 기록됩니다. 설정 방법:",
	},
	"chat.setup_account": {
		"List the AWS account whose Support cases chat works on under aws.accounts.",
		"チャットで扱うサポートケースの AWS アカウントを aws.accounts に記載します。",
		"在 aws.accounts 下列出聊天要操作其支持案例的 AWS 账户。",
		"채팅에서 다룰 지원 사례의 AWS 계정을 aws.accounts에 적습니다.",
	},
	"chat.setup_dingtalk": {
		"DingTalk: create an enterprise internal robot whose message receiving address is",
		"DingTalk：企業内部ロボットを作成し、メッセージ受信アドレスを次にします：",
		"钉钉：创建企业内部机器人，将消息接收地址设为",
		"DingTalk: 기업 내부 로봇을 만들고 메시지 수신 주소를 다음으로 설정합니다:",
	},
	"chat.setup_slack": {
		"Slack: create a slash command (for example /aws) whose request URL is",
		"Slack：スラッシュコマンド（例：/aws）を作成し、リクエスト URL を次にします：",
		"Slack：创建斜杠命令（例如 /aws），将请求 URL 设为",
		"Slack: 슬래시 명령(예: /aws)을 만들고 요청 URL을 다음으로 설정합니다:",
	},
	"chat.setup_config": {
		"Put the secrets in environment variables and name them in the config file (keep the platforms you use):",
		"秘密情報を環境変数に設定し、設定ファイルでその名前を指定します（使うプラットフォームだけ残してください）：",
		"将密钥放入环境变量，并在配置文件中写上变量名（只保留您使用的平台）：",
		"비밀 값을 환경 변수에 넣고 설정 파일에 그 이름을 적습니다(쓰는 플랫폼만 남기세요):",
	},
	"chat.setup_restart": {
		"Restart opsdesk. Every step, who may do what, and troubleshooting: docs/chatops.md.",
		"opsdesk を再起動します。詳しい手順、権限、トラブルシューティング：docs/chatops.md。",
		"重启 opsdesk。详细步骤、权限设置和故障排查：docs/chatops.md。",
		"opsdesk를 재시작합니다. 자세한 단계, 권한, 문제 해결: docs/chatops.md.",
	},
	"chat.no_match": {"No command matches these filters.", "条件に一致するコマンドはありません。", "没有符合筛选条件的命令。", "조건에 맞는 명령이 없습니다."},
	"chat.failed_title": {
		"Messages that could not be sent (%d)",
		"送信できなかったメッセージ（%d 件）",
		"未能发送的消息（%d 条）",
		"보내지 못한 메시지 (%d건)",
	},
	"chat.panel.title": {"Chat commands", "チャットコマンド", "聊天命令", "채팅 명령"},
	"chat.panel.all":   {"All chat commands", "すべてのチャットコマンド", "全部聊天命令", "모든 채팅 명령"},
	"chat.panel.none": {
		"No chat command in the last 7 days.",
		"過去 7 日間のチャットコマンドはありません。",
		"最近 7 天没有聊天命令。",
		"최근 7일 동안 채팅 명령이 없습니다.",
	},
	"chat.panel.failed": {
		"%d chat messages could not be sent",
		"%d 件のチャットメッセージを送信できませんでした",
		"%d 条聊天消息未能发送",
		"채팅 메시지 %d건을 보내지 못했습니다",
	},
	"chat.panel.failed_one": {
		"1 chat message could not be sent",
		"1 件のチャットメッセージを送信できませんでした",
		"1 条聊天消息未能发送",
		"채팅 메시지 1건을 보내지 못했습니다",
	},
}
