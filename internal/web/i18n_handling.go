package web

// handlingCatalog holds the texts of alert search and of question
// handling (state, assignee, notes); it joins the catalog at start-up.
var handlingCatalog = map[string][4]string{
	"alerts.search": {"Search", "検索", "搜索", "검색"},
	"alerts.search_placeholder": {
		"disk, host:web-1, label:env=prod",
		"ディスク、host:web-1、label:env=prod",
		"磁盘、host:web-1、label:env=prod",
		"디스크, host:web-1, label:env=prod",
	},
	"alerts.search_hint": {
		"Words match the summary, host, service and labels; host:, service:, severity:, source:, label:key=value match one field; -word excludes.",
		"語句は概要・ホスト・サービス・ラベルに一致します。host:、service:、severity:、source:、label:キー=値 は項目を指定し、-語句 は除外します。",
		"词语匹配摘要、主机、服务和标签；host:、service:、severity:、source:、label:键=值 匹配单个字段；-词语 表示排除。",
		"단어는 요약·호스트·서비스·레이블과 일치합니다. host:, service:, severity:, source:, label:키=값은 한 필드만, -단어는 제외합니다.",
	},
	"alerts.search_bad": {
		"This search cannot be used (%s); showing the alerts without it.",
		"この検索条件は使えません（%s）。検索なしで表示しています。",
		"无法使用此搜索条件（%s），以下为未加搜索条件的结果。",
		"이 검색 조건은 사용할 수 없습니다(%s). 검색 없이 표시합니다.",
	},

	"handling.title":      {"Handling", "対応状況", "处理情况", "처리 현황"},
	"handling.state":      {"State", "状態", "状态", "상태"},
	"handling.state.open": {"Open", "未対応", "待处理", "미처리"},
	"handling.state.answered": {
		"Answered", "回答済み", "已答复", "답변 완료",
	},
	"handling.state.closed": {"Closed", "クローズ", "已关闭", "종료"},
	"handling.changed_by":   {"by %s, %s", "%s（%s）", "%s，%s", "%s, %s"},
	"handling.set_state":    {"Set state", "状態を変更", "更改状态", "상태 변경"},
	"handling.assignee":     {"Assignee", "担当者", "负责人", "담당자"},
	"handling.nobody":       {"Nobody", "未割り当て", "未分配", "없음"},
	"handling.assign":       {"Assign", "割り当て", "分配", "지정"},
	"handling.notes":        {"Internal notes", "社内メモ", "内部备注", "내부 메모"},
	"handling.notes_hint": {
		"Seen in the console only; never sent to a destination or to the person who asked.",
		"コンソールでのみ表示され、送信先や質問者には送られません。",
		"仅在控制台中可见，不会发送到推送目标或提问者。",
		"콘솔에서만 보이며 전송 대상이나 질문자에게는 보내지지 않습니다.",
	},
	"handling.no_notes": {"No notes yet.", "メモはまだありません。", "暂无备注。", "아직 메모가 없습니다."},
	"handling.add_note": {"Add note", "メモを追加", "添加备注", "메모 추가"},
	"handling.note":     {"Note", "メモ", "备注", "메모"},
	"handling.bad_state": {
		"Choose one of the states.",
		"状態を選択してください。",
		"请选择一个状态。",
		"상태를 선택해 주세요.",
	},
	"handling.bad_user": {
		"There is no user %q.",
		"ユーザー %q は存在しません。",
		"不存在用户 %q。",
		"사용자 %q이(가) 없습니다.",
	},
	"handling.note_empty": {"The note is empty.", "メモが空です。", "备注为空。", "메모가 비어 있습니다."},
	"handling.note_long": {
		"The note is %d characters; at most %d.",
		"メモが %d 文字あります（上限 %d 文字）。",
		"备注有 %d 个字符，上限为 %d。",
		"메모가 %d자입니다(최대 %d자).",
	},
	"notice.question_state":    {"State changed.", "状態を変更しました。", "状态已更改。", "상태를 변경했습니다."},
	"notice.question_assigned": {"Assignee changed.", "担当者を変更しました。", "负责人已更改。", "담당자를 변경했습니다."},
	"notice.question_note":     {"Note added.", "メモを追加しました。", "备注已添加。", "메모를 추가했습니다."},
	"questions.state":          {"Handling", "対応状況", "处理情况", "처리 현황"},
	"questions.any_state":      {"Any", "すべて", "全部", "전체"},
	"questions.assignee":       {"Assignee", "担当者", "负责人", "담당자"},
	"questions.anyone":         {"Anyone", "全員", "任何人", "모두"},
	"questions.mine":           {"Me", "自分", "我", "나"},
	"questions.unassigned":     {"Nobody", "未割り当て", "未分配", "없음"},
}

func init() {
	for k, v := range handlingCatalog {
		catalog[k] = v
	}
}
