package alertchat

import "fmt"

// Text keys of the messages and replies people read in chat.
const (
	tOpened        = "opened"
	tUnacked       = "unacknowledged"
	tAcked         = "acknowledged"
	tQuiet         = "quiet"
	tResolved      = "resolved"
	tCalling       = "calling"
	tAckedBy       = "acked_by"
	tResolvedBy    = "resolved_by"
	tFired         = "fired"
	tSystem        = "system"
	tSeverity      = "severity"
	tAlert         = "alert"
	tOpenConsole   = "open_console"
	tBtnAck        = "btn_ack"
	tBtnResolve    = "btn_resolve"
	tBtnEscalate   = "btn_escalate"
	tBtnSilence    = "btn_silence"
	tNoteBy        = "note_by"
	tNotLinked     = "not_linked"
	tReadOnly      = "read_only"
	tNotHere       = "not_here"
	tDidAck        = "did_ack"
	tDidResolve    = "did_resolve"
	tDidEscalate   = "did_escalate"
	tDidSilence    = "did_silence"
	tAlreadyDone   = "already_done"
	tIsResolved    = "is_resolved"
	tNotEscalating = "not_escalating"
	tFailed        = "failed"
)

// texts holds every chat text in en, ja, zh and ko. Verbs in %s are names
// (people, systems), %d numbers.
var texts = map[string]map[string]string{
	"en": {
		tOpened: "Open", tUnacked: "Nobody acknowledged", tAcked: "Acknowledged", tQuiet: "Silenced", tResolved: "Resolved",
		tCalling: "Calling: %s", tAckedBy: "Acknowledged by %s", tResolvedBy: "Resolved by %s", tFired: "Fired %d times",
		tSystem: "System", tSeverity: "Severity", tAlert: "Alert #%d", tOpenConsole: "Open in console",
		tBtnAck: "Acknowledge", tBtnResolve: "Resolve", tBtnEscalate: "Escalate", tBtnSilence: "Silence 1 h",
		tNoteBy:    "Note by %s",
		tNotLinked: "Your Slack account is not linked to an opsdesk user. Add your Slack member id (%s) as a chat contact method in the opsdesk console and verify it.",
		tReadOnly:  "%s may only view alerts: acknowledging, resolving, escalating and silencing need the responder or admin role.",
		tNotHere:   "This channel does not follow that alert.",
		tDidAck:    "Alert #%d acknowledged.", tDidResolve: "Alert #%d resolved.", tDidEscalate: "Alert #%d escalated: the next person is called now.",
		tDidSilence: "Alert #%d silenced: %s is quiet for 1 hour.", tAlreadyDone: "Nothing to do: alert #%d is already %s.",
		tIsResolved: "Alert #%d is resolved already.", tNotEscalating: "Alert #%d is not being escalated.", tFailed: "That did not work; try again or use the console.",
	},
	"ja": {
		tOpened: "発生中", tUnacked: "誰も応答しませんでした", tAcked: "確認済み", tQuiet: "サイレンス中", tResolved: "解決済み",
		tCalling: "呼び出し中: %s", tAckedBy: "%s が確認しました", tResolvedBy: "%s が解決しました", tFired: "%d 回発生",
		tSystem: "システム", tSeverity: "重要度", tAlert: "アラート #%d", tOpenConsole: "コンソールで開く",
		tBtnAck: "確認", tBtnResolve: "解決", tBtnEscalate: "エスカレーション", tBtnSilence: "1 時間サイレンス",
		tNoteBy:    "%s のメモ",
		tNotLinked: "この Slack アカウントは opsdesk のユーザーに結び付いていません。opsdesk コンソールで Slack のメンバー ID (%s) をチャットの連絡先として追加し、確認してください。",
		tReadOnly:  "%s はアラートの閲覧のみ可能です。確認・解決・エスカレーション・サイレンスには responder か admin のロールが必要です。",
		tNotHere:   "このチャンネルはそのアラートをフォローしていません。",
		tDidAck:    "アラート #%d を確認しました。", tDidResolve: "アラート #%d を解決しました。", tDidEscalate: "アラート #%d をエスカレーションしました。次の担当者を今すぐ呼び出します。",
		tDidSilence: "アラート #%d をサイレンスにしました。%s は 1 時間静かになります。", tAlreadyDone: "何もしませんでした。アラート #%d はすでに %s です。",
		tIsResolved: "アラート #%d はすでに解決済みです。", tNotEscalating: "アラート #%d はエスカレーション中ではありません。", tFailed: "実行できませんでした。もう一度試すか、コンソールを使ってください。",
	},
	"zh": {
		tOpened: "告警中", tUnacked: "无人确认", tAcked: "已确认", tQuiet: "已静默", tResolved: "已解决",
		tCalling: "正在呼叫: %s", tAckedBy: "%s 已确认", tResolvedBy: "%s 已解决", tFired: "已触发 %d 次",
		tSystem: "系统", tSeverity: "严重程度", tAlert: "告警 #%d", tOpenConsole: "在控制台打开",
		tBtnAck: "确认", tBtnResolve: "解决", tBtnEscalate: "升级", tBtnSilence: "静默 1 小时",
		tNoteBy:    "%s 的备注",
		tNotLinked: "此 Slack 账号未关联 opsdesk 用户。请在 opsdesk 控制台将你的 Slack 成员 ID (%s) 添加为聊天联系方式并完成验证。",
		tReadOnly:  "%s 只能查看告警: 确认、解决、升级和静默需要 responder 或 admin 角色。",
		tNotHere:   "此频道没有关注该告警。",
		tDidAck:    "告警 #%d 已确认。", tDidResolve: "告警 #%d 已解决。", tDidEscalate: "告警 #%d 已升级: 现在呼叫下一位。",
		tDidSilence: "告警 #%d 已静默: %s 将安静 1 小时。", tAlreadyDone: "无需操作: 告警 #%d 已是%s。",
		tIsResolved: "告警 #%d 已经解决。", tNotEscalating: "告警 #%d 不在升级中。", tFailed: "操作失败, 请重试或使用控制台。",
	},
	"ko": {
		tOpened: "발생 중", tUnacked: "아무도 확인하지 않음", tAcked: "확인됨", tQuiet: "무음", tResolved: "해결됨",
		tCalling: "호출 중: %s", tAckedBy: "%s 님이 확인함", tResolvedBy: "%s 님이 해결함", tFired: "%d회 발생",
		tSystem: "시스템", tSeverity: "심각도", tAlert: "알림 #%d", tOpenConsole: "콘솔에서 열기",
		tBtnAck: "확인", tBtnResolve: "해결", tBtnEscalate: "에스컬레이션", tBtnSilence: "1시간 무음",
		tNoteBy:    "%s 님의 메모",
		tNotLinked: "이 Slack 계정은 opsdesk 사용자와 연결되어 있지 않습니다. opsdesk 콘솔에서 Slack 멤버 ID(%s)를 채팅 연락 방법으로 추가하고 인증하세요.",
		tReadOnly:  "%s 님은 알림을 볼 수만 있습니다. 확인, 해결, 에스컬레이션, 무음에는 responder 또는 admin 역할이 필요합니다.",
		tNotHere:   "이 채널은 해당 알림을 팔로우하지 않습니다.",
		tDidAck:    "알림 #%d 을(를) 확인했습니다.", tDidResolve: "알림 #%d 을(를) 해결했습니다.", tDidEscalate: "알림 #%d 을(를) 에스컬레이션했습니다. 다음 담당자를 지금 호출합니다.",
		tDidSilence: "알림 #%d 을(를) 무음으로 했습니다. %s 은(는) 1시간 동안 조용합니다.", tAlreadyDone: "할 일이 없습니다. 알림 #%d 은(는) 이미 %s 상태입니다.",
		tIsResolved: "알림 #%d 은(는) 이미 해결되었습니다.", tNotEscalating: "알림 #%d 은(는) 에스컬레이션 중이 아닙니다.", tFailed: "실행하지 못했습니다. 다시 시도하거나 콘솔을 사용하세요.",
	},
}

// Languages are the languages of chat texts.
var Languages = []string{"en", "ja", "zh", "ko"}

// tr returns the text of key in lang (en when lang is not one of
// Languages), formatted with args.
func tr(lang, key string, args ...any) string {
	m, ok := texts[lang]
	if !ok {
		m = texts["en"]
	}
	s, ok := m[key]
	if !ok {
		s = texts["en"][key]
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// statusText names an alert status in lang.
func statusText(lang, status string) string {
	switch status {
	case "acknowledged":
		return tr(lang, tAcked)
	case "quiet":
		return tr(lang, tQuiet)
	case "resolved":
		return tr(lang, tResolved)
	case "unacknowledged":
		return tr(lang, tUnacked)
	}
	return tr(lang, tOpened)
}
