package chatops

import (
	"fmt"
	"strings"
)

// The robot's own words (command results, refusals, updates) in the four
// reply languages. The help text and the "what is wrong with your command"
// answers come from the command package. Like those, these are plain text
// that reads the same as DingTalk markdown and Slack mrkdwn.

type words struct {
	working string

	forbidden     string // class, sender id, conversation id, config key
	classRead     string
	classCreate   string
	classResolve  string
	noAccount     string
	internalError string

	serviceHead, serviceItem, serviceMore, serviceNone string

	created, createdNoDisplay, createdSyncLater string
	severityPlan, unknownService, didYouMean    string
	unknownCategory, languageNotArchived        string

	resolved                              string
	showHead, showLatest, showNoMessages  string
	showStale, caseNotFound               string
	replied                               string
	searchHead, searchNone, searchNoLink  string
	ackNotConfigured, ackDone, ackFailed  string
	apiNoPlan, apiNotFound, apiThrottled  string
	apiRefused, apiUnreachable, apiFailed string
	updReply, updResolved, updReopened    string
	updFrom, fieldStatus, fieldSeverity   string
	fieldService, fieldSubject, fieldCase string
	sentFrom, link                        string
}

var wordsByLang = map[string]*words{"zh": &zhWords, "ja": &jaWords, "en": &enWords, "ko": &koWords}

// wordsFor picks a language's words; Chinese when unknown, as the seed's
// robot speaks Chinese.
func wordsFor(lang string) *words {
	if w, ok := wordsByLang[lang]; ok {
		return w
	}
	return &zhWords
}

var zhWords = words{
	working: "收到，正在处理……",

	forbidden:     "你没有权限在这里%[1]s。请让 opsdesk 管理员把你的 ID %[2]s（或本群的 ID %[3]s）加到配置 %[4]s 中。",
	classRead:     "查看工单",
	classCreate:   "创建工单",
	classResolve:  "解决、回复工单或确认告警",
	noAccount:     "opsdesk 没有配置 AWS 账号（aws.accounts），无法调用 AWS Support API。",
	internalError: "处理这条命令时出错了，请稍后再试。",

	serviceHead: "与「%s」匹配的服务：",
	serviceItem: "%s\nserviceCode: %s\ncategoryCode: %s",
	serviceMore: "还有 %d 个匹配的服务，请写得更具体一些。",
	serviceNone: "没有找到与「%s」匹配的服务。可以试试服务名称的一部分（如 EC2、Lambda）或服务代码。",

	created:             "工单已创建。\ncase id: %s\n编号: %s\n标题: %s\n严重级别: %s",
	createdNoDisplay:    "工单已创建。\ncase id: %s\n标题: %s\n严重级别: %s",
	createdSyncLater:    "（暂时没能从 AWS 读回这个工单：%s。稍后会自动同步到存档。）",
	severityPlan:        "这个 AWS 账号的支持计划允许的严重级别：%s。",
	unknownService:      "AWS 没有服务代码「%s」。",
	didYouMean:          "是不是想写：%s？",
	unknownCategory:     "服务 %s 没有类别代码「%s」。它的类别代码：%s。",
	languageNotArchived: "opsdesk 只存档这个账号的这些语言的工单：%s。请换一种语言，否则工单无法同步。",

	resolved:       "工单 %s 已解决。\n之前的状态: %s\n现在的状态: %s",
	showHead:       "工单 %s（%s）\n标题: %s\n状态: %s\n严重级别: %s\n服务: %s\n最后更新: %s",
	showLatest:     "最新消息（%s，%s）：\n%s",
	showNoMessages: "还没有消息。",
	showStale:      "（没能从 AWS 刷新：%s。下面是存档中的内容。）",
	caseNotFound:   "AWS 账号 %[2]s 和存档中都没有工单 %[1]s。",
	replied:        "已把你的回复添加到工单 %s。",
	searchHead:     "存档中与「%s」最匹配的 %d 个工单：",
	searchNone:     "存档中没有与「%s」匹配的工单。",
	searchNoLink:   "（配置 base_url 后，这里会显示控制台链接。）",

	ackNotConfigured: "这个 opsdesk 没有配置电话告警升级，所以没有可以确认的告警。",
	ackDone:          "告警 %s 已确认：%s",
	ackFailed:        "无法确认告警 %s：%s",

	apiNoPlan:      "这个 AWS 账号没有商业版、Enterprise On-Ramp 或企业版支持计划，无法使用 AWS Support API。",
	apiNotFound:    "AWS 找不到工单 %s。",
	apiThrottled:   "AWS Support API 现在请求太多，请过一分钟再试。",
	apiRefused:     "AWS 拒绝了这个请求：%s",
	apiUnreachable: "无法连接 AWS Support：%s。请稍后再试。",
	apiFailed:      "AWS Support 返回了错误：%s",

	updReply:      "工单 %s 有 AWS 的新回复",
	updResolved:   "工单 %s 已解决",
	updReopened:   "工单 %s 已重新打开",
	updFrom:       "%s（%s）：",
	fieldStatus:   "状态",
	fieldSeverity: "严重级别",
	fieldService:  "服务",
	fieldSubject:  "标题",
	fieldCase:     "工单",
	sentFrom:      "—— 由 %s 通过 %s 发送（opsdesk）",
	link:          "详情: %s",
}

var jaWords = words{
	working: "受け付けました。処理しています…",

	forbidden:     "ここで%[1]sする権限がありません。opsdesk の管理者に、あなたの ID %[2]s（またはこの会話の ID %[3]s）を設定 %[4]s に追加してもらってください。",
	classRead:     "ケースを見る",
	classCreate:   "ケースを作成",
	classResolve:  "ケースの解決・返信、アラートの確認を",
	noAccount:     "opsdesk に AWS アカウント（aws.accounts）が設定されていないため、AWS Support API を呼び出せません。",
	internalError: "このコマンドの処理中にエラーが起きました。しばらくしてからもう一度お試しください。",

	serviceHead: "「%s」に一致するサービス：",
	serviceItem: "%s\nserviceCode: %s\ncategoryCode: %s",
	serviceMore: "ほかに %d 件あります。もう少し具体的に書いてください。",
	serviceNone: "「%s」に一致するサービスはありません。サービス名の一部（EC2、Lambda など）かサービスコードで試してください。",

	created:             "ケースを作成しました。\ncase id: %s\nケース番号: %s\n件名: %s\n重要度: %s",
	createdNoDisplay:    "ケースを作成しました。\ncase id: %s\n件名: %s\n重要度: %s",
	createdSyncLater:    "（AWS からまだ読み戻せませんでした：%s。後でアーカイブに同期されます。）",
	severityPlan:        "この AWS アカウントのサポートプランで使える重要度：%s。",
	unknownService:      "サービスコード「%s」は AWS にありません。",
	didYouMean:          "もしかして：%s",
	unknownCategory:     "サービス %s にカテゴリコード「%s」はありません。このサービスのカテゴリコード：%s。",
	languageNotArchived: "opsdesk がこのアカウントでアーカイブする言語は %s です。ほかの言語のケースは同期できないので、言語を変えてください。",

	resolved:       "ケース %s を解決しました。\n変更前の状態: %s\n変更後の状態: %s",
	showHead:       "ケース %s（%s）\n件名: %s\n状態: %s\n重要度: %s\nサービス: %s\n最終更新: %s",
	showLatest:     "最新のメッセージ（%s、%s）：\n%s",
	showNoMessages: "メッセージはまだありません。",
	showStale:      "（AWS から更新できませんでした：%s。アーカイブの内容を表示します。）",
	caseNotFound:   "ケース %[1]s は AWS アカウント %[2]s にもアーカイブにもありません。",
	replied:        "ケース %s に返信を追加しました。",
	searchHead:     "アーカイブで「%s」に最も一致するケース %d 件：",
	searchNone:     "アーカイブに「%s」に一致するケースはありません。",
	searchNoLink:   "（base_url を設定すると、コンソールへのリンクが表示されます。）",

	ackNotConfigured: "この opsdesk には電話によるエスカレーションが設定されていないため、確認できるアラートはありません。",
	ackDone:          "アラート %s を確認しました：%s",
	ackFailed:        "アラート %s を確認できませんでした：%s",

	apiNoPlan:      "この AWS アカウントにはビジネス、Enterprise On-Ramp またはエンタープライズのサポートプランがないため、AWS Support API を使えません。",
	apiNotFound:    "AWS にケース %s が見つかりません。",
	apiThrottled:   "AWS Support API が混み合っています。1 分ほどしてからもう一度お試しください。",
	apiRefused:     "AWS がリクエストを拒否しました：%s",
	apiUnreachable: "AWS Support に接続できません：%s。しばらくしてからもう一度お試しください。",
	apiFailed:      "AWS Support がエラーを返しました：%s",

	updReply:      "ケース %s に AWS から返信がありました",
	updResolved:   "ケース %s が解決されました",
	updReopened:   "ケース %s が再オープンされました",
	updFrom:       "%s（%s）：",
	fieldStatus:   "状態",
	fieldSeverity: "重要度",
	fieldService:  "サービス",
	fieldSubject:  "件名",
	fieldCase:     "ケース",
	sentFrom:      "— %s が %s から送信（opsdesk）",
	link:          "詳細: %s",
}

var enWords = words{
	working: "Got it, working on it…",

	forbidden:     "You may not %[1]s here. Ask an opsdesk admin to add your ID %[2]s (or this conversation's ID %[3]s) to %[4]s.",
	classRead:     "look at cases",
	classCreate:   "create cases",
	classResolve:  "resolve or reply to cases, or acknowledge alerts",
	noAccount:     "opsdesk has no AWS account configured (aws.accounts), so it cannot call the AWS Support API.",
	internalError: "Something went wrong while running this command. Please try again in a moment.",

	serviceHead: "Services matching \"%s\":",
	serviceItem: "%s\nserviceCode: %s\ncategoryCode: %s",
	serviceMore: "%d more match; be more specific.",
	serviceNone: "No service matches \"%s\". Try part of its name (EC2, Lambda) or its code.",

	created:             "Case created.\ncase id: %s\ncase number: %s\nsubject: %s\nseverity: %s",
	createdNoDisplay:    "Case created.\ncase id: %s\nsubject: %s\nseverity: %s",
	createdSyncLater:    "(Could not read it back from AWS yet: %s. It will reach the archive with the next sync.)",
	severityPlan:        "This AWS account's support plan allows: %s.",
	unknownService:      "AWS has no service code \"%s\".",
	didYouMean:          "Did you mean: %s?",
	unknownCategory:     "Service %s has no category code \"%s\". Its category codes: %s.",
	languageNotArchived: "opsdesk archives this account's cases in %s only; a case in another language could not be synced, so please pick one of those.",

	resolved:       "Case %s resolved.\nstatus before: %s\nstatus after: %s",
	showHead:       "Case %s (%s)\nsubject: %s\nstatus: %s\nseverity: %s\nservice: %s\nlast update: %s",
	showLatest:     "Latest message (%s, %s):\n%s",
	showNoMessages: "No messages yet.",
	showStale:      "(Could not refresh from AWS: %s. Showing the archived copy.)",
	caseNotFound:   "There is no case %[1]s in AWS account %[2]s or in the archive.",
	replied:        "Your reply was added to case %s.",
	searchHead:     "Best archive matches for \"%s\" (%d):",
	searchNone:     "Nothing in the archive matches \"%s\".",
	searchNoLink:   "(Set base_url to get console links here.)",

	ackNotConfigured: "Phone escalation is not configured on this opsdesk, so there is no alert to acknowledge.",
	ackDone:          "Alert %s acknowledged: %s",
	ackFailed:        "Could not acknowledge alert %s: %s",

	apiNoPlan:      "This AWS account has no Business, Enterprise On-Ramp or Enterprise support plan, so the AWS Support API is not available to it.",
	apiNotFound:    "AWS has no case %s.",
	apiThrottled:   "The AWS Support API is busy right now. Please try again in a minute.",
	apiRefused:     "AWS refused the request: %s",
	apiUnreachable: "Could not reach AWS Support: %s. Please try again in a moment.",
	apiFailed:      "AWS Support answered with an error: %s",

	updReply:      "Case %s: new reply from AWS",
	updResolved:   "Case %s was resolved",
	updReopened:   "Case %s was reopened",
	updFrom:       "%s (%s):",
	fieldStatus:   "status",
	fieldSeverity: "severity",
	fieldService:  "service",
	fieldSubject:  "subject",
	fieldCase:     "case",
	sentFrom:      "-- sent by %s from %s (opsdesk)",
	link:          "Details: %s",
}

var koWords = words{
	working: "받았습니다. 처리 중입니다…",

	forbidden:     "여기에서 %[1]s 권한이 없습니다. opsdesk 관리자에게 내 ID %[2]s(또는 이 대화의 ID %[3]s)를 설정 %[4]s에 추가해 달라고 요청하세요.",
	classRead:     "케이스를 볼",
	classCreate:   "케이스를 만들",
	classResolve:  "케이스를 해결하거나 답변하거나 알림을 확인할",
	noAccount:     "opsdesk에 AWS 계정(aws.accounts)이 설정되어 있지 않아 AWS Support API를 호출할 수 없습니다.",
	internalError: "이 명령을 처리하는 중에 오류가 발생했습니다. 잠시 후 다시 시도해 주세요.",

	serviceHead: "\"%s\"와(과) 일치하는 서비스:",
	serviceItem: "%s\nserviceCode: %s\ncategoryCode: %s",
	serviceMore: "%d개가 더 있습니다. 조금 더 구체적으로 써 주세요.",
	serviceNone: "\"%s\"와(과) 일치하는 서비스가 없습니다. 서비스 이름의 일부(EC2, Lambda 등)나 서비스 코드로 찾아 보세요.",

	created:             "케이스를 만들었습니다.\ncase id: %s\n케이스 번호: %s\n제목: %s\n심각도: %s",
	createdNoDisplay:    "케이스를 만들었습니다.\ncase id: %s\n제목: %s\n심각도: %s",
	createdSyncLater:    "(AWS에서 아직 다시 읽지 못했습니다: %s. 다음 동기화 때 아카이브에 들어갑니다.)",
	severityPlan:        "이 AWS 계정의 지원 플랜에서 쓸 수 있는 심각도: %s.",
	unknownService:      "AWS에 서비스 코드 \"%s\"이(가) 없습니다.",
	didYouMean:          "혹시 이것인가요: %s",
	unknownCategory:     "서비스 %s에는 카테고리 코드 \"%s\"이(가) 없습니다. 이 서비스의 카테고리 코드: %s.",
	languageNotArchived: "opsdesk는 이 계정의 케이스를 %s 언어로만 보관합니다. 다른 언어의 케이스는 동기화할 수 없으니 이 중에서 골라 주세요.",

	resolved:       "케이스 %s을(를) 해결했습니다.\n이전 상태: %s\n현재 상태: %s",
	showHead:       "케이스 %s (%s)\n제목: %s\n상태: %s\n심각도: %s\n서비스: %s\n마지막 업데이트: %s",
	showLatest:     "최신 메시지 (%s, %s):\n%s",
	showNoMessages: "아직 메시지가 없습니다.",
	showStale:      "(AWS에서 새로 고치지 못했습니다: %s. 아카이브에 있는 내용을 보여 드립니다.)",
	caseNotFound:   "AWS 계정 %[2]s와(과) 아카이브 어디에도 케이스 %[1]s이(가) 없습니다.",
	replied:        "케이스 %s에 답변을 추가했습니다.",
	searchHead:     "아카이브에서 \"%s\"와(과) 가장 잘 맞는 케이스 %d건:",
	searchNone:     "아카이브에 \"%s\"와(과) 일치하는 케이스가 없습니다.",
	searchNoLink:   "(base_url을 설정하면 여기에 콘솔 링크가 표시됩니다.)",

	ackNotConfigured: "이 opsdesk에는 전화 에스컬레이션이 설정되어 있지 않아 확인할 알림이 없습니다.",
	ackDone:          "알림 %s을(를) 확인했습니다: %s",
	ackFailed:        "알림 %s을(를) 확인하지 못했습니다: %s",

	apiNoPlan:      "이 AWS 계정에는 Business, Enterprise On-Ramp 또는 Enterprise 지원 플랜이 없어 AWS Support API를 쓸 수 없습니다.",
	apiNotFound:    "AWS에 케이스 %s이(가) 없습니다.",
	apiThrottled:   "지금 AWS Support API 요청이 많습니다. 1분쯤 뒤에 다시 시도해 주세요.",
	apiRefused:     "AWS가 요청을 거부했습니다: %s",
	apiUnreachable: "AWS Support에 연결할 수 없습니다: %s. 잠시 후 다시 시도해 주세요.",
	apiFailed:      "AWS Support가 오류를 반환했습니다: %s",

	updReply:      "케이스 %s: AWS의 새 답변",
	updResolved:   "케이스 %s이(가) 해결되었습니다",
	updReopened:   "케이스 %s이(가) 다시 열렸습니다",
	updFrom:       "%s (%s):",
	fieldStatus:   "상태",
	fieldSeverity: "심각도",
	fieldService:  "서비스",
	fieldSubject:  "제목",
	fieldCase:     "케이스",
	sentFrom:      "-- %s님이 %s에서 보냄 (opsdesk)",
	link:          "자세히: %s",
}

// f formats a message.
func (w *words) f(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// list joins values for a sentence.
func list(vs []string) string { return strings.Join(vs, ", ") }
