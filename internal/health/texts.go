package health

import "strings"

// texts are the words of the notifications, in the console's four
// languages (en, ja, zh, ko); events.health[].language picks one per
// destination. What AWS wrote (service codes, event type codes, the
// description in a language AWS did not send) stays as AWS wrote it.
var texts = map[string][4]string{
	"title":                        {"AWS Health %s: %s", "AWS Health %s: %s", "AWS Health %s：%s", "AWS Health %s: %s"},
	"status":                       {"Status", "ステータス", "状态", "상태"},
	"service":                      {"Service", "サービス", "服务", "서비스"},
	"category":                     {"Category", "カテゴリ", "类别", "범주"},
	"region":                       {"Region", "リージョン", "区域", "리전"},
	"accounts":                     {"Accounts", "アカウント", "账户", "계정"},
	"start":                        {"Start", "開始", "开始", "시작"},
	"end":                          {"End", "終了", "结束", "종료"},
	"entities":                     {"Affected resources", "影響を受けるリソース", "受影响的资源", "영향받는 리소스"},
	"event":                        {"Event", "イベント", "事件", "이벤트"},
	"dashboard":                    {"AWS Health Dashboard", "AWS Health Dashboard", "AWS Health Dashboard", "AWS Health Dashboard"},
	"status.open":                  {"open", "対応中", "进行中", "진행 중"},
	"status.upcoming":              {"upcoming", "予定", "即将开始", "예정"},
	"status.closed":                {"closed", "終了", "已关闭", "종료"},
	"category.issue":               {"issue", "問題", "问题", "문제"},
	"category.scheduledChange":     {"scheduled change", "予定された変更", "计划变更", "예정된 변경"},
	"category.accountNotification": {"account notification", "アカウント通知", "账户通知", "계정 알림"},
	"category.investigation":       {"investigation", "調査中", "调查中", "조사 중"},
}

// Languages are the notification languages (events.health[].language).
var Languages = []string{"en", "ja", "zh", "ko"}

func langIndex(lang string) int {
	for i, l := range Languages {
		if strings.EqualFold(lang, l) {
			return i
		}
	}
	return 0
}

// text is the key's text in the language (a key without one: the key).
func text(lang, key string) string {
	t, ok := texts[key]
	if !ok {
		return key
	}
	return t[langIndex(lang)]
}

// label is the text of a status or category, or the value AWS sent when
// it is not one this version knows.
func label(lang, kind, value string) string {
	if _, ok := texts[kind+"."+value]; ok {
		return text(lang, kind+"."+value)
	}
	return value
}
