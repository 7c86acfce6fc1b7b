package web

// auditCatalog holds the texts of the audit log page (audit.go); it joins
// the catalog at start-up like the later capabilities' catalogs.
var auditCatalog = map[string][4]string{
	"nav.audit":   {"Audit", "監査ログ", "审计日志", "감사 로그"},
	"audit.title": {"Audit log", "監査ログ", "审计日志", "감사 로그"},
	"audit.intro": {
		"Every change made from the console, the API, the command line, chat and the phone: who, what, when and from where. Newest first; kept forever.",
		"コンソール、API、コマンドライン、チャット、電話から行われたすべての変更（誰が・何を・いつ・どこから）。新しい順。記録は削除されません。",
		"通过控制台、API、命令行、聊天和电话进行的所有更改：谁、做了什么、何时、从何处。按时间倒序，永久保留。",
		"콘솔, API, 명령줄, 채팅, 전화에서 이루어진 모든 변경(누가, 무엇을, 언제, 어디서). 최신순이며 영구 보관됩니다.",
	},
	"audit.search": {"Target or detail contains", "対象・詳細に含む語", "对象或详情包含", "대상 또는 상세에 포함"},
	"audit.actor":  {"Actor", "実行者", "操作者", "수행자"},
	"audit.kind":   {"Kind of actor", "実行者の種類", "操作者类型", "수행자 유형"},
	"audit.action": {"Action", "操作", "操作", "작업"},
	"audit.when":   {"Time", "日時", "时间", "시각"},
	"audit.target": {"Target", "対象", "对象", "대상"},
	"audit.detail": {"Detail", "詳細", "详情", "상세"},
	"audit.source": {"From", "接続元", "来源", "출처"},
	"audit.dates_zone": {
		"Days are whole days in %s, both included.",
		"日付は %s の暦日で、両端の日を含みます。",
		"日期按 %s 的整天计算，包含首尾两天。",
		"날짜는 %s 기준 하루 단위이며 시작일과 종료일을 포함합니다.",
	},
	"audit.no_match": {"No entry matches these filters.", "条件に一致する記録はありません。", "没有符合筛选条件的记录。", "조건에 맞는 기록이 없습니다."},
	"audit.none":     {"Nothing has been recorded yet.", "まだ記録はありません。", "尚无记录。", "아직 기록이 없습니다."},
	"audit.none_hint": {
		"Acknowledging an alert, editing a call list or a rule, a chat command that changes a case, and user and token changes appear here.",
		"アラートの確認、呼び出しリストやルールの編集、ケースを変更するチャットコマンド、ユーザーとトークンの変更がここに記録されます。",
		"确认告警、编辑呼叫列表或规则、修改工单的聊天命令，以及用户和令牌的变更都会记录在这里。",
		"알림 확인, 호출 목록이나 규칙 편집, 케이스를 변경하는 채팅 명령, 사용자와 토큰 변경이 여기에 기록됩니다.",
	},
	"audit.newest":      {"Newest", "最新", "最新", "최신"},
	"audit.older":       {"Older", "古い記録", "更早的记录", "이전 기록"},
	"audit.kind.user":   {"user", "ユーザー", "用户", "사용자"},
	"audit.kind.token":  {"API token", "API トークン", "API 令牌", "API 토큰"},
	"audit.kind.cli":    {"command line", "コマンドライン", "命令行", "명령줄"},
	"audit.kind.chat":   {"chat", "チャット", "聊天", "채팅"},
	"audit.kind.phone":  {"phone", "電話", "电话", "전화"},
	"audit.kind.system": {"opsdesk", "opsdesk", "opsdesk", "opsdesk"},
}

func init() {
	for k, v := range auditCatalog {
		catalog[k] = v
	}
}
