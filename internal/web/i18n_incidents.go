package web

// incidentsCatalog holds the texts of the incident pages (incidents.go)
// and the incident entries of alert timelines; it joins the catalog at
// start-up.
var incidentsCatalog = map[string][4]string{
	"incidents.title":          {"Incidents", "インシデント", "事件单", "인시던트"},
	"incidents.incident_title": {"Incident #%d", "インシデント #%d", "事件单 #%d", "인시던트 #%d"},
	"incidents.intro": {
		"Alerts of a system that share the grouping fields (alerts.systems[].group_by, or Alertmanager's notification group) form one incident: only its first alert notifies people.",
		"グループ化の項目（alerts.systems[].group_by、または Alertmanager の通知グループ）が同じアラートは 1 つのインシデントにまとまります。通知するのは最初のアラートだけです。",
		"同一系统中分组字段（alerts.systems[].group_by，或 Alertmanager 的通知分组）相同的告警会合并为一个事件单，只有第一条告警会通知相关人员。",
		"그룹화 항목(alerts.systems[].group_by 또는 Alertmanager의 알림 그룹)이 같은 시스템의 알림은 하나의 인시던트로 묶입니다. 첫 번째 알림만 사람에게 알립니다.",
	},
	"incidents.tab.active":          {"Active", "未解決", "未解决", "미해결"},
	"incidents.tab.open":            {"Open", "対応中", "处理中", "진행 중"},
	"incidents.tab.acknowledged":    {"Acknowledged", "確認済み", "已确认", "확인됨"},
	"incidents.tab.resolved":        {"Resolved", "解決済み", "已解决", "해결됨"},
	"incidents.tab.all":             {"All", "すべて", "全部", "전체"},
	"incidents.status.open":         {"open", "対応中", "处理中", "진행 중"},
	"incidents.status.acknowledged": {"acknowledged", "確認済み", "已确认", "확인됨"},
	"incidents.status.resolved":     {"resolved", "解決済み", "已解决", "해결됨"},
	"incidents.alerts_n": {
		"Alerts: %d (%d not resolved)",
		"アラート: %d 件（未解決 %d 件）",
		"告警：%d 条（未解决 %d 条）",
		"알림: %d건(미해결 %d건)",
	},
	"incidents.none": {"No incidents here.", "該当するインシデントはありません。", "这里没有事件单。", "해당하는 인시던트가 없습니다."},
	"incidents.none_hint": {
		"Incidents appear when a system groups its alerts: set group_by on the system in the configuration (see docs/alerts.md).",
		"システムがアラートをグループ化すると、ここにインシデントが表示されます。設定ファイルでシステムに group_by を指定してください（docs/alerts.md を参照）。",
		"系统对告警进行分组后，事件单会显示在这里：请在配置文件中为系统设置 group_by（参见 docs/alerts.md）。",
		"시스템이 알림을 그룹화하면 여기에 인시던트가 표시됩니다. 설정 파일에서 시스템에 group_by를 지정하세요(docs/alerts.md 참조).",
	},
	"incidents.leader": {"Escalating alert", "エスカレーション中のアラート", "负责升级的告警", "에스컬레이션하는 알림"},
	"incidents.leader_hint": {
		"the first alert; the others notify nobody",
		"最初のアラート。ほかのアラートは誰にも通知しません",
		"第一条告警；其他告警不通知任何人",
		"첫 번째 알림이며, 다른 알림은 아무에게도 알리지 않습니다",
	},
	"incidents.group_key":   {"Group", "グループ", "分组", "그룹"},
	"incidents.sealed":      {"(window passed: new alerts open a new incident)", "（時間枠を過ぎたため、新しいアラートは別のインシデントになります）", "（已超出时间窗口：新告警会创建新的事件单）", "(시간 범위가 지나 새 알림은 새 인시던트가 됩니다)"},
	"incidents.first_alert": {"First alert", "最初のアラート", "首条告警", "첫 알림"},
	"incidents.last_alert":  {"Last alert", "最新のアラート", "最新告警", "마지막 알림"},
	"incidents.resolve":     {"Resolve all", "すべて解決済みにする", "全部解决", "모두 해결"},
	"incidents.done.acked": {
		"Incident acknowledged: its alerts are acknowledged and the escalation stopped.",
		"インシデントを確認済みにしました。アラートを確認済みにし、エスカレーションを停止しました。",
		"事件单已确认：其告警已确认，升级已停止。",
		"인시던트를 확인했습니다. 알림을 확인하고 에스컬레이션을 멈췄습니다.",
	},
	"incidents.done.resolved": {"Incident resolved with all of its alerts.", "インシデントとそのアラートをすべて解決済みにしました。", "事件单及其所有告警已解决。", "인시던트와 모든 알림을 해결했습니다."},
	"incidents.done.already": {
		"Nothing changed: the incident was already in that state.",
		"変更はありません。インシデントはすでにその状態です。",
		"未更改：事件单已处于该状态。",
		"변경 사항이 없습니다. 인시던트가 이미 그 상태입니다.",
	},
	"incidents.done.not_active": {"The incident is resolved and cannot be acknowledged.", "解決済みのインシデントは確認できません。", "事件单已解决，无法确认。", "해결된 인시던트는 확인할 수 없습니다."},
	"incidents.joined": {
		"Joined incident #%d: alert #%d escalates for it, nobody is notified for this one.",
		"インシデント #%d に加わりました。エスカレーションはアラート #%d が行い、このアラートでは誰にも通知しません。",
		"已加入事件单 #%d：由告警 #%d 负责升级，此告警不通知任何人。",
		"인시던트 #%d에 합류했습니다. 에스컬레이션은 알림 #%d가 하며, 이 알림으로는 아무에게도 알리지 않습니다.",
	},
	"incidents.opened": {
		"Opened incident #%d: later alerts of its group join it and notify nobody.",
		"インシデント #%d を開始しました。同じグループの後続アラートはこれに加わり、誰にも通知しません。",
		"已创建事件单 #%d：同一分组的后续告警会加入其中，不通知任何人。",
		"인시던트 #%d를 시작했습니다. 같은 그룹의 이후 알림은 여기에 합류하며 아무에게도 알리지 않습니다.",
	},
	"alerts.kind.incident": {"Incident", "インシデント", "事件单", "인시던트"},
}

func init() {
	for k, v := range incidentsCatalog {
		catalog[k] = v
	}
}
