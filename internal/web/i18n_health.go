package web

// healthCatalog holds the texts of the AWS Health pages (health.go).
var healthCatalog = map[string][4]string{
	"nav.health":   {"Health", "Health", "Health", "Health"},
	"health.title": {"AWS Health", "AWS Health", "AWS Health", "AWS Health"},
	"health.intro": {
		"One record per AWS Health event, kept up to date as AWS sends updates. Scheduled changes that have not started are listed first, soonest first.",
		"AWS Health のイベントごとに 1 件の記録を、AWS からの更新に合わせて最新に保ちます。まだ始まっていない予定された変更を、開始の近い順に先頭に表示します。",
		"每个 AWS Health 事件一条记录，随 AWS 发送的更新保持最新。尚未开始的计划变更排在最前，按开始时间由近到远。",
		"AWS Health 이벤트마다 기록 하나를 두고 AWS가 보내는 업데이트에 맞춰 최신으로 유지합니다. 아직 시작되지 않은 예정된 변경을 시작이 가까운 순으로 맨 위에 표시합니다.",
	},
	"health.raw_events":   {"Received aws.health events", "受信した aws.health イベント", "收到的 aws.health 事件", "받은 aws.health 이벤트"},
	"health.service":      {"Service", "サービス", "服务", "서비스"},
	"health.region":       {"Region", "リージョン", "区域", "리전"},
	"health.category":     {"Category", "カテゴリ", "类别", "범주"},
	"health.status":       {"Status", "ステータス", "状态", "상태"},
	"health.event":        {"Event", "イベント", "事件", "이벤트"},
	"health.start":        {"Start", "開始", "开始", "시작"},
	"health.end":          {"End", "終了", "结束", "종료"},
	"health.last_updated": {"Last updated", "最終更新", "最后更新", "마지막 업데이트"},
	"health.scope":        {"Scope", "スコープ", "范围", "범위"},
	"health.accounts":     {"Affected accounts", "影響を受けるアカウント", "受影响的账户", "영향받는 계정"},
	"health.event_arn":    {"Event ARN", "イベント ARN", "事件 ARN", "이벤트 ARN"},
	"health.description":  {"Description", "説明", "描述", "설명"},
	"health.entities":     {"Affected resources", "影響を受けるリソース", "受影响的资源", "영향받는 리소스"},
	"health.no_entities":  {"AWS named no resources.", "AWS はリソースを示していません。", "AWS 未列出资源。", "AWS가 리소스를 명시하지 않았습니다."},
	"health.history":      {"Updates", "更新履歴", "更新记录", "업데이트 기록"},
	"health.not_applied": {
		"(older than the record: arrived out of order, not applied)",
		"（記録より古い更新: 順序が入れ替わって届いたため適用していません）",
		"（早于当前记录：乱序到达，未应用）",
		"(기록보다 오래된 업데이트: 순서가 바뀌어 도착해 적용하지 않음)",
	},
	"health.received":                     {"received", "受信", "接收于", "수신"},
	"health.notices":                      {"Notifications", "通知", "通知", "알림"},
	"health.notice.pending":               {"pending", "送信待ち", "待发送", "대기 중"},
	"health.notice.sent":                  {"sent", "送信済み", "已发送", "보냄"},
	"health.notice.failed":                {"failed", "失敗", "失败", "실패"},
	"health.dashboard":                    {"Open in the AWS Health Dashboard", "AWS Health Dashboard で開く", "在 AWS Health Dashboard 中打开", "AWS Health Dashboard에서 열기"},
	"health.record_title":                 {"AWS Health: %s %s", "AWS Health: %s %s", "AWS Health：%s %s", "AWS Health: %s %s"},
	"health.status.open":                  {"open", "対応中", "进行中", "진행 중"},
	"health.status.upcoming":              {"upcoming", "予定", "即将开始", "예정"},
	"health.status.closed":                {"closed", "終了", "已关闭", "종료"},
	"health.category.issue":               {"issue", "問題", "问题", "문제"},
	"health.category.scheduledChange":     {"scheduled change", "予定された変更", "计划变更", "예정된 변경"},
	"health.category.accountNotification": {"account notification", "アカウント通知", "账户通知", "계정 알림"},
	"health.category.investigation":       {"investigation", "調査中", "调查中", "조사 중"},
	"health.none_match":                   {"No AWS Health records match these filters.", "条件に一致する AWS Health の記録はありません。", "没有符合筛选条件的 AWS Health 记录。", "조건에 맞는 AWS Health 기록이 없습니다."},
	"health.empty":                        {"No AWS Health events have arrived yet.", "AWS Health のイベントはまだ届いていません。", "尚未收到 AWS Health 事件。", "아직 받은 AWS Health 이벤트가 없습니다."},
	"health.empty_how": {
		"AWS Health sends its events to Amazon EventBridge. Create an EventBridge rule with this pattern (in every region you use, and in us-east-1 for global events) whose target is an API destination pointing at /api/v1/events (a token with the scope ingest:events), or the SQS queue opsdesk reads (aws.queues). Nothing else needs setting up: the built-in rule aws-health keeps the records.",
		"AWS Health はイベントを Amazon EventBridge に送ります。利用中のすべてのリージョン（グローバルなイベントには us-east-1 も）に、このパターンの EventBridge ルールを作り、ターゲットを /api/v1/events への API 送信先（スコープ ingest:events のトークン）か、opsdesk が読む SQS キュー（aws.queues）にしてください。ほかの設定は不要です。組み込みルール aws-health が記録を保ちます。",
		"AWS Health 将事件发送到 Amazon EventBridge。请在使用的每个区域（全局事件还需 us-east-1）创建使用此模式的 EventBridge 规则，目标为指向 /api/v1/events 的 API 目标（使用作用域为 ingest:events 的令牌），或 opsdesk 读取的 SQS 队列（aws.queues）。无需其他设置：内置规则 aws-health 会维护记录。",
		"AWS Health는 이벤트를 Amazon EventBridge로 보냅니다. 사용하는 모든 리전(글로벌 이벤트는 us-east-1도)에 이 패턴의 EventBridge 규칙을 만들고, 대상을 /api/v1/events를 가리키는 API 대상(스코프 ingest:events 토큰) 또는 opsdesk가 읽는 SQS 대기열(aws.queues)로 지정하세요. 다른 설정은 필요 없습니다. 기본 제공 규칙 aws-health가 기록을 유지합니다.",
	},
	"health.empty_try": {"To try it, send a sample:", "試すにはサンプルを送ってください：", "要试用，可发送示例：", "시험하려면 샘플을 보내세요:"},
	"notfound.health":  {"There is no such AWS Health record.", "該当する AWS Health の記録はありません。", "没有此 AWS Health 记录。", "해당 AWS Health 기록이 없습니다."},
	"events.builtin.health": {
		"AWS Health event: keeps one record per Health event up to date (the Health page) and sends the events.health notifications.",
		"AWS Health イベント：Health イベントごとの記録（Health ページ）を最新に保ち、events.health の通知を送ります。",
		"AWS Health 事件：为每个 Health 事件维护一条最新记录（Health 页面），并发送 events.health 通知。",
		"AWS Health 이벤트: Health 이벤트마다 기록(Health 페이지)을 최신으로 유지하고 events.health 알림을 보냅니다.",
	},
}

func init() {
	for k, v := range healthCatalog {
		catalog[k] = v
	}
}
