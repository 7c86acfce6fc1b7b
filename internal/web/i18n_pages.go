package web

// pagesCatalog holds the texts of escalation policies' notifications on
// the alert page (alert_pages.go) and their timeline entries; it joins the
// catalog at start-up like authCatalog.
var pagesCatalog = map[string][4]string{
	"pages.title":       {"Notifications", "通知", "通知", "알림 발송"},
	"pages.who":         {"Who", "宛先", "对象", "대상"},
	"pages.how":         {"How", "方法", "方式", "방법"},
	"pages.status":      {"Status", "状態", "状态", "상태"},
	"pages.due":         {"Due", "予定", "计划时间", "예정"},
	"pages.sent":        {"Sent", "送信", "发送时间", "발송"},
	"pages.policy_step": {"policy %s, step %d of %d", "ポリシー %s・ステップ %d/%d", "策略 %s，第 %d/%d 步", "정책 %s, 단계 %d/%d"},

	"pages.kind.voice":   {"Phone call", "電話", "电话", "전화"},
	"pages.kind.sms":     {"SMS", "SMS", "短信", "SMS"},
	"pages.kind.email":   {"Email", "メール", "邮件", "이메일"},
	"pages.kind.chat":    {"Chat mention", "チャットでメンション", "聊天提及", "채팅 멘션"},
	"pages.kind.channel": {"Chat channel", "チャットチャンネル", "聊天频道", "채팅 채널"},

	"pages.status.pending":   {"waiting", "待機中", "等待中", "대기 중"},
	"pages.status.sending":   {"sending", "送信中", "发送中", "발송 중"},
	"pages.status.ringing":   {"calling", "発信中", "呼叫中", "발신 중"},
	"pages.status.sent":      {"sent", "送信済み", "已发送", "발송됨"},
	"pages.status.failed":    {"failed", "失敗", "失败", "실패"},
	"pages.status.cancelled": {"not needed", "不要（対応済み）", "无需发送", "필요 없음"},
	"pages.status.unknown":   {"unknown", "不明", "未知", "알 수 없음"},

	"pages.outcome.accepted":  {"accepted by the provider", "事業者が受け付け", "服务商已接收", "사업자가 접수"},
	"pages.outcome.delivered": {"delivered", "配信済み", "已送达", "전달됨"},
	"pages.outcome.bounced":   {"bounced", "不達", "被退回", "반송됨"},
	"pages.outcome.unknown":   {"may or may not have arrived (not sent again)", "届いたか不明（再送しません）", "不确定是否送达（不会重发）", "도착 여부 불명(재발송 안 함)"},

	"alerts.esc.page":         {"Escalation policy", "エスカレーションポリシー", "升级策略", "에스컬레이션 정책"},
	"alerts.kind.step":        {"Policy step", "ポリシーのステップ", "策略步骤", "정책 단계"},
	"alerts.kind.page":        {"Notified", "通知", "已通知", "알림"},
	"alerts.kind.page_failed": {"Notification failed", "通知失敗", "通知失败", "알림 실패"},
	"alerts.kind.reescalate":  {"Escalated again", "再エスカレーション", "再次升级", "재에스컬레이션"},
	"alerts.kind.recorded":    {"Recorded only", "記録のみ", "仅记录", "기록만"},
	"alerts.kind.flapping":    {"Flapping", "フラッピング", "频繁抖动", "플래핑"},
	"alerts.kind.maintenance": {"Maintenance window", "メンテナンス時間帯", "维护窗口", "유지보수 시간대"},
}

func init() {
	for k, v := range pagesCatalog {
		catalog[k] = v
	}
}
