package web

// heartbeatsCatalog holds the texts of the heartbeat monitors' page
// (heartbeats.go).
var heartbeatsCatalog = map[string][4]string{
	"nav.heartbeats":   {"Heartbeats", "ハートビート", "心跳监控", "하트비트"},
	"heartbeats.title": {"Heartbeat monitors", "ハートビート監視", "心跳监控", "하트비트 모니터"},
	"heartbeats.intro": {
		"A job that should run regularly pings its monitor's URL. When no ping arrives within the interval plus the grace period, an alert opens and escalates like any other; the next ping resolves it. A ping ending in /fail opens the alert at once.",
		"定期的に動くはずのジョブが監視の URL を呼び出します。間隔と猶予の間に呼び出しがなければアラートが発生し、通常どおりエスカレーションされます。次の呼び出しで解決します。/fail で終わる呼び出しはすぐにアラートになります。",
		"应定期运行的任务调用监控的 URL。若在间隔加宽限期内没有收到调用，将创建告警并像其他告警一样升级；下一次调用会解决它。以 /fail 结尾的调用会立即告警。",
		"정기적으로 실행되어야 하는 작업이 모니터의 URL을 호출합니다. 간격과 유예 시간 안에 호출이 없으면 알림이 열려 다른 알림처럼 에스컬레이션되며, 다음 호출로 해결됩니다. /fail로 끝나는 호출은 즉시 알림을 엽니다.",
	},
	"heartbeats.name":      {"Name", "名前", "名称", "이름"},
	"heartbeats.name_hint": {"Lowercase letters, digits, '.', '_' and '-'.", "英小文字・数字・「.」「_」「-」。", "小写字母、数字、“.”“_”“-”。", "영문 소문자, 숫자, '.', '_', '-'."},
	"heartbeats.system":    {"System", "システム", "系统", "시스템"},
	"heartbeats.system_hint": {
		"The alert goes to this system's call list or policy.",
		"アラートはこのシステムの連絡先リストまたはポリシーに送られます。",
		"告警发送给该系统的呼叫列表或策略。",
		"알림은 이 시스템의 호출 목록 또는 정책으로 전달됩니다.",
	},
	"heartbeats.interval":    {"Expected every", "想定間隔", "预期间隔", "예상 간격"},
	"heartbeats.grace":       {"Grace period", "猶予", "宽限期", "유예 시간"},
	"heartbeats.grace_hint":  {"How late a ping may be before the alert opens, e.g. 10m.", "アラートになるまでに許す遅れ（例: 10m）。", "告警前允许的延迟，例如 10m。", "알림이 열리기 전까지 허용하는 지연(예: 10m)."},
	"heartbeats.severity":    {"Severity", "重要度", "严重程度", "심각도"},
	"heartbeats.create":      {"Create monitor", "監視を作成", "创建监控", "모니터 만들기"},
	"heartbeats.new_title":   {"New heartbeat monitor", "新しいハートビート監視", "新建心跳监控", "새 하트비트 모니터"},
	"heartbeats.state":       {"State", "状態", "状态", "상태"},
	"heartbeats.every":       {"Interval", "間隔", "间隔", "간격"},
	"heartbeats.every_grace": {"every %s (+%s grace)", "%s ごと（猶予 %s）", "每 %s（宽限 %s）", "%s마다(유예 %s)"},
	"heartbeats.last_ping":   {"Last ping", "最終受信", "最后一次调用", "마지막 호출"},
	"heartbeats.history":     {"Recent pings", "最近の受信", "最近的调用", "최근 호출"},
	"heartbeats.never":       {"never", "未受信", "从未", "없음"},
	"heartbeats.delete":      {"Delete", "削除", "删除", "삭제"},
	"heartbeats.deleted":     {"The monitor was deleted.", "監視を削除しました。", "监控已删除。", "모니터를 삭제했습니다."},
	"heartbeats.created":     {"Monitor %s created.", "監視 %s を作成しました。", "已创建监控 %s。", "모니터 %s을(를) 만들었습니다."},
	"heartbeats.none":        {"No heartbeat monitors yet.", "ハートビート監視はまだありません。", "尚无心跳监控。", "아직 하트비트 모니터가 없습니다."},
	"heartbeats.none_how": {
		"Create one below, or with POST /api/v1/heartbeat-monitors (scope admin).",
		"下のフォーム、または POST /api/v1/heartbeat-monitors（スコープ admin）で作成できます。",
		"可在下方创建，或使用 POST /api/v1/heartbeat-monitors（作用域 admin）。",
		"아래에서 만들거나 POST /api/v1/heartbeat-monitors(스코프 admin)로 만들 수 있습니다.",
	},
	"heartbeats.new_url": {"Ping URL of %s", "%s の呼び出し URL", "%s 的调用 URL", "%s의 호출 URL"},
	"heartbeats.once": {
		"Copy it now: it is shown only once. Anyone who has it can ping the monitor.",
		"今すぐコピーしてください。表示は一度だけです。知っている人は誰でも呼び出せます。",
		"请立即复制：只显示一次。任何知道它的人都可以调用此监控。",
		"지금 복사하세요. 한 번만 표시됩니다. 이 URL을 아는 사람은 누구나 호출할 수 있습니다.",
	},
	"heartbeats.line_curl":    {"curl", "curl", "curl", "curl"},
	"heartbeats.line_cron":    {"crontab line", "crontab の行", "crontab 行", "crontab 줄"},
	"heartbeats.line_systemd": {"systemd service started by a timer", "タイマーで起動する systemd サービス", "由定时器启动的 systemd 服务", "타이머로 시작하는 systemd 서비스"},
	"heartbeats.line_zabbix":  {"Zabbix / Nagios command", "Zabbix / Nagios のコマンド", "Zabbix / Nagios 命令", "Zabbix / Nagios 명령"},
	"heartbeats.line_hint": {
		"Append /fail, or a command's exit status (/0 is success), to report the outcome.",
		"結果を知らせるには /fail またはコマンドの終了コード（/0 は成功）を付けます。",
		"追加 /fail 或命令的退出码（/0 表示成功）来报告结果。",
		"결과를 알리려면 /fail 또는 명령의 종료 코드(/0은 성공)를 덧붙입니다.",
	},
	"heartbeats.err_duration":  {"A duration such as 1h, 15m or 30s.", "1h、15m、30s のような期間を入力してください。", "请输入时长，例如 1h、15m 或 30s。", "1h, 15m, 30s 같은 기간을 입력하세요."},
	"heartbeats.err_exists":    {"A monitor named %s exists.", "監視 %s はすでにあります。", "名为 %s 的监控已存在。", "%s 모니터가 이미 있습니다."},
	"heartbeats.state.waiting": {"waiting for the first ping", "初回待ち", "等待首次调用", "첫 호출 대기"},
	"heartbeats.state.up":      {"up", "正常", "正常", "정상"},
	"heartbeats.state.down":    {"down", "停止", "异常", "중단"},
	"heartbeats.ping.ok":       {"ok", "成功", "成功", "성공"},
	"heartbeats.ping.fail":     {"fail", "失敗", "失败", "실패"},
}

func init() {
	for k, v := range heartbeatsCatalog {
		catalog[k] = v
	}
}
