package web

// queuesCatalog holds the texts of the SQS queues page (queues.go).
var queuesCatalog = map[string][4]string{
	"nav.queues":   {"Queues", "キュー", "队列", "대기열"},
	"queues.title": {"SQS queues", "SQS キュー", "SQS 队列", "SQS 대기열"},
	"queues.intro": {
		"opsdesk long-polls these Amazon SQS queues for AWS events and CloudWatch alarms, so nothing has to reach it from outside. A message it cannot use, or one received too often, becomes a dead letter listed below.",
		"opsdesk はこれらの Amazon SQS キューをロングポーリングして AWS イベントと CloudWatch アラームを受け取ります。外部からの着信は不要です。使えないメッセージや受信回数が多すぎるメッセージは、下のデッドレターになります。",
		"opsdesk 对这些 Amazon SQS 队列进行长轮询，接收 AWS 事件和 CloudWatch 告警，无需任何入站连接。无法使用或接收次数过多的消息会成为下方列出的死信。",
		"opsdesk는 이 Amazon SQS 대기열을 롱 폴링하여 AWS 이벤트와 CloudWatch 경보를 받습니다. 외부에서 들어오는 연결이 필요 없습니다. 사용할 수 없거나 너무 많이 수신된 메시지는 아래의 배달 불능 메시지가 됩니다.",
	},
	"queues.name":      {"Queue", "キュー", "队列", "대기열"},
	"queues.kind":      {"Carries", "内容", "内容", "내용"},
	"queues.state":     {"State (this replica)", "状態（このレプリカ）", "状态（本副本）", "상태(이 복제본)"},
	"queues.committed": {"Committed", "取り込み済み", "已接收", "처리됨"},
	"queues.dead":      {"Dead letters", "デッドレター", "死信", "배달 불능"},
	"queues.kind.auto": {
		"events and alarms (recognised)", "イベントとアラーム（自動判別）", "事件和告警（自动识别）", "이벤트와 경보(자동 인식)",
	},
	"queues.kind.events":        {"events", "イベント", "事件", "이벤트"},
	"queues.kind.alarms":        {"CloudWatch alarms", "CloudWatch アラーム", "CloudWatch 告警", "CloudWatch 경보"},
	"queues.state.starting":     {"starting", "起動中", "启动中", "시작 중"},
	"queues.state.ok":           {"receiving", "受信中", "接收中", "수신 중"},
	"queues.state.failing":      {"failing", "失敗中", "失败", "실패 중"},
	"queues.none":               {"No queues are configured.", "キューは設定されていません。", "未配置任何队列。", "구성된 대기열이 없습니다."},
	"queues.none_how":           {"List them under aws.queues in the configuration file (see docs/sqs.md).", "設定ファイルの aws.queues に記載してください（docs/sqs.md を参照）。", "请在配置文件的 aws.queues 中列出（参见 docs/sqs.md）。", "구성 파일의 aws.queues에 나열하세요(docs/sqs.md 참조)."},
	"queues.dead_letters":       {"Dead letters", "デッドレター", "死信", "배달 불능 메시지"},
	"queues.dead_of":            {"Dead letters of %s", "%s のデッドレター", "%s 的死信", "%s의 배달 불능 메시지"},
	"queues.no_dead":            {"No dead letters.", "デッドレターはありません。", "没有死信。", "배달 불능 메시지가 없습니다."},
	"queues.at":                 {"When", "日時", "时间", "시각"},
	"queues.error":              {"Why", "理由", "原因", "이유"},
	"queues.body":               {"Message", "メッセージ", "消息", "메시지"},
	"queues.show_body":          {"Show the body", "本文を表示", "显示正文", "본문 보기"},
	"queues.receives":           {"received %d times", "%d 回受信", "接收 %d 次", "%d회 수신"},
	"queues.disposition.delete": {"deleted from the queue", "キューから削除", "已从队列删除", "대기열에서 삭제됨"},
	"queues.disposition.leave":  {"left to the queue's redrive policy", "キューの再処理ポリシーに任せる", "交由队列的重新驱动策略", "대기열의 재구동 정책에 맡김"},
}

func init() {
	for k, v := range queuesCatalog {
		catalog[k] = v
	}
}
