package command

import (
	"fmt"
	"strings"
)

// The replies are plain text that reads the same as DingTalk markdown and
// Slack mrkdwn: no angle brackets (Slack would take "<id>" for a link), no
// asterisks; placeholders are in {braces} as in the seed's help text. The
// commands themselves stay as the seed wrote them (提工单, 释放case, …) in
// every language, each followed by its English alias.

// texts is one language's wording.
type texts struct {
	intro, or, format, failed string
	titles                    map[Kind]string

	// Placeholders and labels. A label names a field in an error; the
	// create-case keys are named by the key itself.
	name, subject, body, service, category, emails, text, textMulti, words, alert, message string

	optional, optionalTechnical, optionalCC string
	createAlt, caseIDNote, helpAlt          string

	missing, empty, invalid, tooLong, tooMany, unknownKey, didYouMean, duplicate, unexpected, unexpectedCase, noCommand string

	hintSeverity, hintIssueType, hintLanguage, hintCode, hintEmail, hintCaseID, hintAlertID string

	ackAlias string // the language's own word for ack, if any ("確認", "확인")

	// schedule is the placeholder of oncall's argument; onCallAlias the
	// language's own word for it ("当番", "당번"); onCallAll says what it
	// does without one.
	schedule, onCallAlias, onCallAll string
	space                            string // between two sentences: "" after a CJK full stop, " " after a Latin one
}

var languages = map[string]*texts{"zh": &zh, "ja": &ja, "en": &en, "ko": &ko}

var zh = texts{
	intro:  "你好，我是 AWS Support 工单机器人，支持下面这些命令。冒号、逗号用中文全角的“：”“，”也可以，字段名不区分大小写。",
	or:     "或：",
	format: "正确格式：",
	failed: "「%s」没有执行，请修改下面的问题后重新发送：",
	titles: map[Kind]string{
		KindService: "查找服务代码", KindCreate: "创建工单", KindResolve: "解决（关闭）工单", KindShow: "查看工单",
		KindReply: "回复工单", KindSearch: "搜索工单存档", KindAck: "确认告警（停止电话呼叫）", KindOnCall: "查看谁在值班", KindHelp: "帮助",
	},
	name: "服务名称", subject: "标题", body: "问题描述，可以写多行", service: "服务代码", category: "类别代码",
	emails: "邮箱1,邮箱2", text: "回复内容", textMulti: "回复内容，可以写多行", words: "关键词", alert: "告警 ID", message: "消息",
	optional: "（可选）", optionalTechnical: "（可选，默认 technical）", optionalCC: "（可选，最多 10 个）",
	createAlt:  "或：第一行写 create case，其余相同。",
	caseIDNote: "case_id 可以是完整 ID（如 case-123456789012-muen-2024-0123456789abcdef），也可以是数字编号。",
	helpAlt:    "或：help（只看一个命令，例如 help create）",

	missing:        "缺少 %[1]s。",
	empty:          "%[1]s 后面没有内容。",
	invalid:        "%[1]s 的值「%[2]s」不正确。",
	tooLong:        "%[1]s 太长了：最多 %[3]d 个字符，现在有 %[4]d 个。",
	tooMany:        "%[1]s 最多 %[3]d 个，现在有 %[4]d 个。",
	unknownKey:     "不认识的字段「%[1]s」。可用的字段：subject、body、severityCode、serviceCode、categoryCode、issueType、language、cc。",
	didYouMean:     "不认识的字段「%[1]s」，是不是想写 %[2]s？",
	duplicate:      "%[1]s 写了不止一次，只能写一次。",
	unexpected:     "多出来的内容：「%[2]s」。",
	unexpectedCase: "除了 body 和 cc，每个字段只占一行，并以“字段名:”开头。",
	noCommand:      "第一行要写「提工单」（或 create case），下面再逐行写各个字段。",

	hintSeverity:  "可选值：low、normal、high、urgent、critical。",
	hintIssueType: "可选值：technical、customer-service。",
	hintLanguage:  "可选值：en、ja、zh、ko。",
	hintCode:      "代码由小写字母、数字和连字符组成，例如 amazon-elastic-compute-cloud-linux。不确定的话，先发送“查找ServiceCode:{服务名称}”查一下。",
	hintEmail:     "请填写邮箱地址，多个地址用逗号分隔。",
	hintCaseID:    "请填写完整的 case ID（如 case-123456789012-muen-2024-0123456789abcdef）或数字编号。",
	hintAlertID:   "告警 ID 由字母、数字和 . _ : - 组成，最多 64 个字符。",

	schedule:  "值班表或系统",
	onCallAll: "不写名称时，列出所有值班表现在的值班人员和值班到什么时候。",
}

var ja = texts{
	intro:  "AWS サポートケースのボットです。使えるコマンドは次のとおりです。全角の「：」「，」でも大丈夫です。項目名の大文字・小文字は区別しません。",
	or:     "または：",
	format: "正しい書き方：",
	failed: "「%s」は実行していません。次の点を直して、もう一度送ってください。",
	titles: map[Kind]string{
		KindService: "サービスコードを調べる", KindCreate: "ケースを作成する", KindResolve: "ケースを解決（クローズ）する", KindShow: "ケースの状況を見る",
		KindReply: "ケースに返信する", KindSearch: "ケースのアーカイブを検索する", KindAck: "アラートを確認する（電話の呼び出しを止めます）", KindOnCall: "いまの当番（オンコール）を見る", KindHelp: "ヘルプ",
	},
	name: "サービス名", subject: "件名", body: "詳しい内容（複数行可）", service: "サービスコード", category: "カテゴリコード",
	emails: "メールアドレス1,メールアドレス2", text: "返信内容", textMulti: "返信内容（複数行可）", words: "キーワード", alert: "アラートID", message: "メッセージ",
	optional: "（省略可）", optionalTechnical: "（省略可、既定は technical）", optionalCC: "（省略可、最大 10 件）",
	createAlt:  "または：1 行目を create case にして、残りは同じです。",
	caseIDNote: "case_id は完全な ID（例：case-123456789012-muen-2024-0123456789abcdef）でも、数字のケース番号でも構いません。",
	helpAlt:    "または：help（1 つのコマンドだけ見るには help create のように）",

	missing:        "%[1]s がありません。",
	empty:          "%[1]s の内容が空です。",
	invalid:        "%[1]s の値「%[2]s」は使えません。",
	tooLong:        "%[1]s が長すぎます（最大 %[3]d 文字、今は %[4]d 文字）。",
	tooMany:        "%[1]s は最大 %[3]d 件です（今は %[4]d 件）。",
	unknownKey:     "「%[1]s」という項目はありません。使える項目：subject、body、severityCode、serviceCode、categoryCode、issueType、language、cc。",
	didYouMean:     "「%[1]s」という項目はありません。%[2]s のことでしょうか？",
	duplicate:      "%[1]s が 2 回以上書かれています。1 回だけにしてください。",
	unexpected:     "余分な内容があります：「%[2]s」。",
	unexpectedCase: "body と cc 以外の項目は 1 行で、「項目名:」で始めてください。",
	noCommand:      "1 行目に「提工单」（または create case）と書き、その下に各項目を 1 行ずつ書いてください。",

	hintSeverity:  "使える値：low、normal、high、urgent、critical。",
	hintIssueType: "使える値：technical、customer-service。",
	hintLanguage:  "使える値：en、ja、zh、ko。",
	hintCode:      "コードは英小文字・数字・ハイフンです（例：amazon-elastic-compute-cloud-linux）。分からないときは、先に「查找ServiceCode:{サービス名}」で調べてください。",
	hintEmail:     "メールアドレスを書いてください。複数のときはカンマで区切ります。",
	hintCaseID:    "完全な case ID（例：case-123456789012-muen-2024-0123456789abcdef）か、数字のケース番号を書いてください。",
	hintAlertID:   "アラートIDは英数字と . _ : - で、64 文字までです。",

	ackAlias: "確認",

	schedule:    "スケジュール名またはシステム名",
	onCallAlias: "当番",
	onCallAll:   "名前を省くと、すべてのスケジュールについて、いまの当番といつまでかを表示します。",
}

var en = texts{
	intro:  "I'm the AWS Support case bot. Here is everything I understand. Full-width ： and ， work too, and field names are not case-sensitive.",
	or:     "or: ",
	format: "Correct format:",
	failed: "I did not run \"%s\". Please fix the following and send it again:",
	titles: map[Kind]string{
		KindService: "Look up service and category codes", KindCreate: "Create a case", KindResolve: "Resolve a case", KindShow: "Show a case",
		KindReply: "Reply to a case", KindSearch: "Search the case archive", KindAck: "Acknowledge an alert (stops the phone calls)", KindOnCall: "Who is on call", KindHelp: "Help",
	},
	name: "service name", subject: "one-line title", body: "what happened; may span several lines", service: "service code", category: "category code",
	emails: "email1,email2", text: "your reply", textMulti: "your reply; may span several lines", words: "words", alert: "alert ID", message: "message",
	optional: " (optional)", optionalTechnical: " (optional, default technical)", optionalCC: " (optional, at most 10)",
	createAlt:  "or: put create case on the first line instead; the rest is the same.",
	caseIDNote: "case_id is either the full ID (e.g. case-123456789012-muen-2024-0123456789abcdef) or the numeric case number.",
	helpAlt:    "or: help (help create shows just that command)",

	missing:        "%[1]s is missing.",
	empty:          "%[1]s is empty.",
	invalid:        "\"%[2]s\" is not a valid %[1]s.",
	tooLong:        "%[1]s is too long: at most %[3]d characters, this one has %[4]d.",
	tooMany:        "%[1]s takes at most %[3]d entries; this one has %[4]d.",
	unknownKey:     "I don't know the field \"%[1]s\". The fields are subject, body, severityCode, serviceCode, categoryCode, issueType, language and cc.",
	didYouMean:     "I don't know the field \"%[1]s\". Did you mean %[2]s?",
	duplicate:      "%[1]s appears more than once; give it once.",
	unexpected:     "Unexpected text: \"%[2]s\".",
	unexpectedCase: "Only body and cc may span several lines; every other field is one line that starts with its name and a colon.",
	noCommand:      "Put 提工单 (or create case) on the first line, then one field per line.",

	hintSeverity:  "Choose one of: low, normal, high, urgent, critical.",
	hintIssueType: "Choose one of: technical, customer-service.",
	hintLanguage:  "Choose one of: en, ja, zh, ko.",
	hintCode:      "Codes are lower-case letters, digits and hyphens, e.g. amazon-elastic-compute-cloud-linux. Not sure? Send 查找ServiceCode:{service name} first.",
	hintEmail:     "Write email addresses, separated by commas.",
	hintCaseID:    "Use the full case ID (e.g. case-123456789012-muen-2024-0123456789abcdef) or the numeric case number.",
	hintAlertID:   "Alert IDs are letters, digits and . _ : -, at most 64 characters.",

	space: " ",

	schedule:  "schedule or system",
	onCallAll: "Without a name: every schedule, with who is on call now and until when.",
}

var ko = texts{
	intro:  "AWS Support 케이스 봇입니다. 사용할 수 있는 명령은 아래와 같습니다. 전각 '：', '，'도 그대로 쓸 수 있고, 항목 이름은 대소문자를 구분하지 않습니다.",
	or:     "또는: ",
	format: "올바른 형식:",
	failed: "\"%s\" 명령을 실행하지 않았습니다. 아래 내용을 고쳐서 다시 보내 주세요.",
	titles: map[Kind]string{
		KindService: "서비스 코드 찾기", KindCreate: "케이스 만들기", KindResolve: "케이스 해결(종료)하기", KindShow: "케이스 상태 보기",
		KindReply: "케이스에 답변하기", KindSearch: "케이스 보관함 검색하기", KindAck: "알림 확인하기(전화 호출 중지)", KindOnCall: "지금 당번(온콜) 보기", KindHelp: "도움말",
	},
	name: "서비스 이름", subject: "제목", body: "자세한 내용(여러 줄 가능)", service: "서비스 코드", category: "카테고리 코드",
	emails: "이메일1,이메일2", text: "답변 내용", textMulti: "답변 내용(여러 줄 가능)", words: "검색어", alert: "알림 ID", message: "메시지",
	optional: " (선택)", optionalTechnical: " (선택, 기본값 technical)", optionalCC: " (선택, 최대 10개)",
	createAlt:  "또는: 첫 줄을 create case로 쓰고 나머지는 같습니다.",
	caseIDNote: "case_id는 전체 ID(예: case-123456789012-muen-2024-0123456789abcdef)도 되고 숫자 케이스 번호도 됩니다.",
	helpAlt:    "또는: help (help create처럼 쓰면 그 명령만 보여 줍니다)",

	missing:        "%[1]s 항목이 없습니다.",
	empty:          "%[1]s 값이 비어 있습니다.",
	invalid:        "%[1]s 값 \"%[2]s\"은(는) 쓸 수 없습니다.",
	tooLong:        "%[1]s이(가) 너무 깁니다. 최대 %[3]d자인데 지금 %[4]d자입니다.",
	tooMany:        "%[1]s은(는) 최대 %[3]d개까지입니다. 지금 %[4]d개입니다.",
	unknownKey:     "\"%[1]s\"라는 항목은 없습니다. 쓸 수 있는 항목: subject, body, severityCode, serviceCode, categoryCode, issueType, language, cc.",
	didYouMean:     "\"%[1]s\"라는 항목은 없습니다. %[2]s을(를) 쓰려고 하셨나요?",
	duplicate:      "%[1]s 항목이 두 번 이상 있습니다. 한 번만 써 주세요.",
	unexpected:     "필요 없는 내용이 있습니다: \"%[2]s\".",
	unexpectedCase: "body와 cc를 빼면 모든 항목은 한 줄이고, '항목 이름:'으로 시작해야 합니다.",
	noCommand:      "첫 줄에 提工单(또는 create case)을 쓰고, 그 아래에 항목을 한 줄씩 써 주세요.",

	hintSeverity:  "쓸 수 있는 값: low, normal, high, urgent, critical.",
	hintIssueType: "쓸 수 있는 값: technical, customer-service.",
	hintLanguage:  "쓸 수 있는 값: en, ja, zh, ko.",
	hintCode:      "코드는 영문 소문자, 숫자, 하이픈으로 되어 있습니다(예: amazon-elastic-compute-cloud-linux). 모르면 먼저 查找ServiceCode:{서비스 이름}을 보내 보세요.",
	hintEmail:     "이메일 주소를 쉼표로 구분해서 써 주세요.",
	hintCaseID:    "전체 case ID(예: case-123456789012-muen-2024-0123456789abcdef)나 숫자 케이스 번호를 써 주세요.",
	hintAlertID:   "알림 ID는 영문, 숫자와 . _ : -로 되어 있고 최대 64자입니다.",

	ackAlias: "확인",
	space:    " ",

	schedule:    "일정 또는 시스템 이름",
	onCallAlias: "당번",
	onCallAll:   "이름을 빼면 모든 일정에 대해 지금 당번과 언제까지인지를 보여 줍니다.",
}

// pick picks the texts for a language tag such as "zh", "ja-JP" or "en_US";
// Chinese for anything else, as the seed's robot speaks Chinese.
func pick(tag string) *texts {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if t, ok := languages[tag]; ok {
		return t
	}
	return &zh
}

// commandNames are the commands as people type them, Chinese then English;
// they are the same in every language.
var commandNames = map[Kind]string{
	KindService:     "查找ServiceCode / service",
	KindCreate:      "提工单 / create case",
	KindResolve:     "释放case / resolve",
	KindShow:        "查询case / case",
	KindReply:       "回复case / reply",
	KindSearch:      "搜索 / search",
	KindAck:         "确认 / ack",
	KindOnCall:      "值班 / oncall",
	KindMaintenance: "维护 / maintenance",
	KindHelp:        "帮助 / help",
}

// Help returns the help text with every command and its exact format, in
// lang (zh, ja, en or ko; zh otherwise).
func Help(lang string) string {
	var b strings.Builder
	b.WriteString(pick(lang).intro)
	for _, k := range Kinds {
		b.WriteString("\n\n")
		b.WriteString(Usage(k, lang))
	}
	return b.String()
}

// Usage returns the title and exact format of one command, in lang.
func Usage(k Kind, lang string) string {
	if k == KindMaintenance {
		return maintenanceUsage(lang)
	}
	t := pick(lang)
	var lines []string
	switch k {
	case KindService:
		lines = []string{"查找ServiceCode:{" + t.name + "}", t.or + "service {" + t.name + "}"}
	case KindCreate:
		lines = []string{
			"提工单",
			"subject:{" + t.subject + "}",
			"body:{" + t.body + "}",
			"severityCode:{" + strings.Join(Severities, "|") + "}",
			"serviceCode:{" + t.service + "}",
			"categoryCode:{" + t.category + "}",
			"issueType:{" + strings.Join(IssueTypes, "|") + "}" + t.optionalTechnical,
			"language:{" + strings.Join(Languages, "|") + "}" + t.optional,
			"cc:{" + t.emails + "}" + t.optionalCC,
			accountLine(lang),
			t.createAlt,
		}
	case KindResolve:
		lines = []string{"释放case,case_id:{case_id}", t.or + "resolve {case_id}", t.caseIDNote}
	case KindShow:
		lines = []string{"查询case:{case_id}", t.or + "case {case_id}"}
	case KindReply:
		lines = []string{"回复case:{case_id}", "{" + t.textMulti + "}", t.or + "reply {case_id} {" + t.text + "}"}
	case KindSearch:
		lines = []string{"搜索:{" + t.words + "}", t.or + "search {" + t.words + "}"}
	case KindAck:
		lines = []string{"确认:{" + t.alert + "}", t.or + "ack {" + t.alert + "}"}
		if t.ackAlias != "" {
			lines = append(lines, t.or+t.ackAlias+":{"+t.alert+"}")
		}
	case KindOnCall:
		lines = []string{"值班 {" + t.schedule + "}", t.or + "oncall {" + t.schedule + "}"}
		if t.onCallAlias != "" {
			lines = append(lines, t.or+t.onCallAlias+" {"+t.schedule+"}")
		}
		lines = append(lines, t.onCallAll)
	default:
		k = KindHelp
		lines = []string{"帮助", t.helpAlt}
	}
	return "【" + t.titles[k] + "】\n" + strings.Join(lines, "\n")
}

// FieldLabel names a field in lang as Describe does: the key itself for
// create-case keys and case_id, a word for the other arguments.
func FieldLabel(field, lang string) string {
	t := pick(lang)
	switch field {
	case FieldName:
		return t.name
	case FieldText:
		return t.text
	case FieldWords:
		return t.words
	case FieldAlertID:
		return t.alert
	case FieldSchedule:
		return t.schedule
	case FieldMessage:
		return t.message
	case FieldCommand:
		return "提工单"
	}
	if l := maintenanceLabel(field, lang); l != "" {
		return l
	}
	return field
}

// Describe says, in lang, what is wrong with a command (every issue of err)
// and shows the command's correct format.
func Describe(err *Error, lang string) string {
	t := pick(lang)
	if err == nil {
		return Help(lang)
	}
	var b strings.Builder
	fmt.Fprintf(&b, t.failed, commandNames[err.Kind])
	for _, is := range err.Issues() {
		b.WriteString("\n- ")
		b.WriteString(describeIssue(t, err.Kind, is, lang))
	}
	b.WriteString("\n\n")
	b.WriteString(t.format)
	b.WriteString("\n")
	b.WriteString(Usage(err.Kind, lang))
	return b.String()
}

func describeIssue(t *texts, k Kind, is Issue, lang string) string {
	label := FieldLabel(is.Field, lang)
	msg := func(format string) string { return fmt.Sprintf(format, label, is.Value, is.Limit, is.Got) }
	switch is.Problem {
	case ProblemMissing:
		return msg(t.missing)
	case ProblemEmpty:
		return msg(t.empty)
	case ProblemInvalid:
		return msg(t.invalid) + hint(t, is.Field)
	case ProblemTooLong:
		return msg(t.tooLong)
	case ProblemTooMany:
		return msg(t.tooMany)
	case ProblemUnknownKey:
		if is.Value != "" {
			return msg(t.didYouMean)
		}
		return msg(t.unknownKey)
	case ProblemDuplicate:
		return msg(t.duplicate)
	case ProblemUnexpected:
		if k == KindCreate {
			return msg(t.unexpected) + t.space + t.unexpectedCase
		}
		return msg(t.unexpected)
	case ProblemNoCommand:
		return t.noCommand
	}
	return msg(t.invalid)
}

func hint(t *texts, field string) string {
	var h string
	switch field {
	case FieldDuration, FieldWindowID:
		for l, lt := range languages {
			if lt == t {
				h = maintenanceHint(field, l)
			}
		}
	case FieldSeverity:
		h = t.hintSeverity
	case FieldIssueType:
		h = t.hintIssueType
	case FieldLanguage:
		h = t.hintLanguage
	case FieldService, FieldCategory:
		h = t.hintCode
	case FieldCC:
		h = t.hintEmail
	case FieldCaseID:
		h = t.hintCaseID
	case FieldAlertID:
		h = t.hintAlertID
	default:
		return ""
	}
	return t.space + h
}
