package web

// languages are the supported languages in catalog order, each named in
// itself for the switcher.
var languages = []struct{ Tag, Name string }{
	{"en", "English"},
	{"ja", "日本語"},
	{"zh", "简体中文"},
	{"ko", "한국어"},
}

// catalog holds every text of the pages: en, ja, zh (Simplified), ko.
// Arguments follow fmt verbs. TestCatalogComplete keeps every entry
// filled in every language and every key used by a template defined here.
var catalog = map[string][4]string{
	// Chrome.
	"nav.skip":         {"Skip to content", "本文へスキップ", "跳到正文", "본문으로 건너뛰기"},
	"nav.label":        {"Console", "コンソール", "控制台", "콘솔"},
	"nav.home":         {"Home", "ホーム", "首页", "홈"},
	"nav.questions":    {"Questions", "質問", "问题", "질문"},
	"nav.destinations": {"Destinations", "送信先", "推送目标", "전송 대상"},
	"nav.logout":       {"Log out", "ログアウト", "退出登录", "로그아웃"},
	"lang.label":       {"Language", "言語", "语言", "언어"},

	// The public question form.
	"ask.title": {"Ask a question", "質問する", "提问", "질문하기"},
	"ask.intro": {
		"Your question goes straight to the instructors. After sending it you will see a reference number — keep it if you want to follow up.",
		"質問は講師に直接届きます。送信後に受付番号が表示されますので、後で問い合わせる場合に備えて控えておいてください。",
		"您的问题将直接发送给讲师。提交后会显示一个受理编号，如需后续跟进，请妥善保存。",
		"질문은 강사에게 바로 전달됩니다. 제출 후 접수 번호가 표시되니, 나중에 문의할 때를 위해 메모해 두세요.",
	},
	"ask.project":  {"Project or course code", "プロジェクト／コースコード", "项目或课程代码", "프로젝트 또는 과정 코드"},
	"ask.optional": {"optional", "任意", "选填", "선택"},
	"ask.name":     {"Your name", "お名前", "您的姓名", "이름"},
	"ask.question": {"Your question", "質問内容", "您的问题", "질문 내용"},
	"ask.required": {"required", "必須", "必填", "필수"},
	"ask.question_hint": {
		"Up to %d characters. Line breaks are kept.",
		"%d文字まで入力できます。改行はそのまま保持されます。",
		"最多 %d 个字符，换行会被保留。",
		"최대 %d자까지 입력할 수 있으며, 줄바꿈은 그대로 유지됩니다.",
	},
	"ask.website": {"Leave this field empty", "この欄は空欄のままにしてください", "请勿填写此栏", "이 칸은 비워 두세요"},
	"ask.submit":  {"Send question", "質問を送信", "提交问题", "질문 보내기"},
	"ask.privacy": {
		"Your question is stored together with the time it was sent and your network (IP) address.",
		"質問は送信日時および IP アドレスとともに保存されます。",
		"您的问题将与提交时间和 IP 地址一同保存。",
		"질문은 제출 시각 및 IP 주소와 함께 저장됩니다.",
	},

	// The thank-you page.
	"thanks.title": {"Thank you — your question has been received", "ご質問を受け付けました", "您的问题已收到，谢谢！", "질문이 접수되었습니다. 감사합니다"},
	"thanks.ref":   {"Your reference number:", "受付番号：", "受理编号：", "접수 번호:"},
	"thanks.body": {
		"The instructors will receive it shortly. Please quote the reference number if you ask about this question later.",
		"まもなく講師に届きます。この質問について後で問い合わせる際は、受付番号をお知らせください。",
		"讲师很快就会收到您的问题。以后咨询此问题时，请提供受理编号。",
		"곧 강사에게 전달됩니다. 나중에 이 질문에 대해 문의하실 때는 접수 번호를 알려 주세요.",
	},
	"thanks.another": {"Ask another question", "別の質問をする", "继续提问", "다른 질문하기"},

	// Form errors.
	"err.required": {"Please enter your question.", "質問内容を入力してください。", "请输入您的问题。", "질문 내용을 입력해 주세요."},
	"err.invalid_utf8": {
		"The text contains characters that could not be read (invalid UTF-8). Please type it again.",
		"読み取れない文字（不正な UTF-8）が含まれています。もう一度入力してください。",
		"文本中含有无法识别的字符（无效的 UTF-8），请重新输入。",
		"읽을 수 없는 문자(잘못된 UTF-8)가 포함되어 있습니다. 다시 입력해 주세요.",
	},
	"err.control": {
		"The text contains invisible control characters. Please remove them (for example by retyping the text instead of pasting it).",
		"目に見えない制御文字が含まれています。削除してください（貼り付けではなく手入力すると解消する場合があります）。",
		"文本中含有不可见的控制字符，请将其删除（例如改为手动输入，而不是粘贴）。",
		"보이지 않는 제어 문자가 포함되어 있습니다. 삭제해 주세요(붙여넣기 대신 직접 입력하면 해결될 수 있습니다).",
	},
	"err.control_line": {
		"Please use a single line without line breaks or control characters.",
		"改行や制御文字を含まない 1 行で入力してください。",
		"请输入一行文字，不要包含换行或控制字符。",
		"줄바꿈이나 제어 문자 없이 한 줄로 입력해 주세요.",
	},
	"err.too_long": {
		"This is %[1]d characters long; the limit is %[2]d. Please shorten it.",
		"現在 %[1]d 文字です。%[2]d 文字以内に短くしてください。",
		"当前为 %[1]d 个字符，上限为 %[2]d 个字符，请适当删减。",
		"현재 %[1]d자입니다. %[2]d자 이내로 줄여 주세요.",
	},
	"err.too_long_limit": {
		"This is too long. Please use at most %d characters.",
		"長すぎます。%d 文字以内にしてください。",
		"内容过长，请控制在 %d 个字符以内。",
		"너무 깁니다. %d자 이내로 입력해 주세요.",
	},
	"err.rate_limited": {
		"Too many questions have been sent from your network in a short time. Please try again in %d seconds — your text is kept below.",
		"短時間に同じネットワークから多くの質問が送信されました。%d 秒後にもう一度お試しください。入力内容は下に残っています。",
		"您所在的网络在短时间内提交了过多问题，请在 %d 秒后重试。您输入的内容已保留在下方。",
		"짧은 시간에 같은 네트워크에서 너무 많은 질문이 전송되었습니다. %d초 후에 다시 시도해 주세요. 입력한 내용은 아래에 그대로 남아 있습니다.",
	},
	"err.form": {
		"Please correct the marked field and send again.",
		"エラーのある項目を修正して、もう一度送信してください。",
		"请修改标出的字段后重新提交。",
		"표시된 항목을 수정한 후 다시 보내 주세요.",
	},
	"err.server": {
		"Sorry, your question could not be saved just now. Please try again in a moment — your text is kept below.",
		"申し訳ありません。現在、質問を保存できませんでした。しばらくしてからもう一度お試しください。入力内容は下に残っています。",
		"抱歉，暂时无法保存您的问题，请稍后重试。您输入的内容已保留在下方。",
		"죄송합니다. 지금은 질문을 저장할 수 없습니다. 잠시 후 다시 시도해 주세요. 입력한 내용은 아래에 그대로 남아 있습니다.",
	},
	"err.bad_request": {
		"The form could not be read. Please reload the page and try again.",
		"フォームの内容を読み取れませんでした。ページを再読み込みして、もう一度お試しください。",
		"无法读取表单内容，请刷新页面后重试。",
		"양식 내용을 읽을 수 없습니다. 페이지를 새로 고친 후 다시 시도해 주세요.",
	},
	"err.invalid": {"This field is not valid.", "この項目の内容が正しくありません。", "此栏内容无效。", "이 항목의 내용이 올바르지 않습니다."},

	// Login.
	"login.title":    {"Log in to opsdesk", "opsdesk にログイン", "登录 opsdesk", "opsdesk 로그인"},
	"login.name":     {"User name", "ユーザー名", "用户名", "사용자 이름"},
	"login.password": {"Password", "パスワード", "密码", "비밀번호"},
	"login.submit":   {"Log in", "ログイン", "登录", "로그인"},
	"login.bad_credentials": {
		"Wrong user name or password.",
		"ユーザー名またはパスワードが正しくありません。",
		"用户名或密码错误。",
		"사용자 이름 또는 비밀번호가 올바르지 않습니다.",
	},
	"login.rate_limited": {
		"Too many login attempts from your address. Please try again in %d seconds.",
		"このアドレスからのログイン試行が多すぎます。%d 秒後にもう一度お試しください。",
		"来自您地址的登录尝试次数过多，请在 %d 秒后重试。",
		"이 주소에서 로그인 시도가 너무 많습니다. %d초 후에 다시 시도해 주세요.",
	},

	// One-shot notices after a redirect.
	"notice.retried": {
		"The delivery will be retried now.",
		"配信を再送します。",
		"已安排重新推送。",
		"전송을 다시 시도합니다.",
	},
	"notice.not_retried": {
		"Nothing to retry: that delivery is no longer failed.",
		"再送の必要はありません。この配信はすでに失敗状態ではありません。",
		"无需重试：该推送已不处于失败状态。",
		"재시도할 필요가 없습니다. 이 전송은 더 이상 실패 상태가 아닙니다.",
	},
	"notice.logged_out": {"You have been logged out.", "ログアウトしました。", "您已退出登录。", "로그아웃되었습니다."},

	// Home.
	"home.title":     {"What needs attention", "対応が必要な項目", "待处理事项", "확인이 필요한 항목"},
	"home.attention": {"Needs attention", "要対応", "需要处理", "조치 필요"},
	"home.all_clear": {
		"All clear — nothing needs attention right now.",
		"問題ありません。現在、対応が必要な項目はありません。",
		"一切正常，目前没有需要处理的事项。",
		"이상 없음 — 지금 확인이 필요한 항목이 없습니다.",
	},
	"home.failed.title": {"Failed deliveries", "失敗した配信", "推送失败", "실패한 전송"},
	"home.failed.count": {"Failed deliveries: %d", "失敗した配信が %d 件あります", "%d 条推送失败", "실패한 전송 %d건"},
	"home.failed.all":   {"All questions with failed deliveries", "配信に失敗した質問をすべて表示", "查看所有推送失败的问题", "전송에 실패한 질문 모두 보기"},
	"home.failed.none": {
		"Every delivery has either arrived or is still being retried.",
		"すべての配信は完了済み、または再送中です。",
		"所有推送均已送达或仍在重试中。",
		"모든 전송이 완료되었거나 재시도 중입니다.",
	},
	"home.questions.title": {"Recent questions", "最近の質問", "最新问题", "최근 질문"},
	"home.questions.all":   {"All questions", "すべての質問", "全部问题", "모든 질문"},

	// Deliveries.
	"delivery.retry":        {"Retry", "再送", "重试", "재시도"},
	"delivery.attempts_n":   {"attempts: %d", "試行 %d 回", "已尝试 %d 次", "%d회 시도"},
	"delivery.destination":  {"Destination", "送信先", "推送目标", "전송 대상"},
	"delivery.status":       {"Status", "状態", "状态", "상태"},
	"delivery.attempts":     {"Attempts", "試行回数", "尝试次数", "시도 횟수"},
	"delivery.external_ref": {"External reference", "外部参照", "外部编号", "외부 참조"},
	"delivery.last_error":   {"Last error", "直近のエラー", "最近错误", "최근 오류"},
	"delivery.times":        {"Times", "日時", "时间", "시각"},
	"delivery.actions":      {"Actions", "操作", "操作", "작업"},
	"delivery.created":      {"created", "作成", "创建", "생성"},
	"delivery.updated":      {"updated", "更新", "更新", "갱신"},
	"delivery.next_attempt": {"next attempt", "次回試行", "下次尝试", "다음 시도"},
	"delivery.delivered_at": {"delivered", "配信完了", "送达", "전송 완료"},
	"status.pending":        {"Pending", "配信待ち", "待推送", "대기 중"},
	"status.delivered":      {"Delivered", "配信済み", "已送达", "전송 완료"},
	"status.failed":         {"Failed", "失敗", "失败", "실패"},

	// Questions list.
	"questions.title":              {"Questions", "質問一覧", "问题列表", "질문 목록"},
	"questions.search":             {"Search", "検索", "搜索", "검색"},
	"questions.search_placeholder": {"Words, name or Q-reference", "キーワード・名前・受付番号", "关键词、姓名或受理编号", "키워드, 이름 또는 접수 번호"},
	"questions.project":            {"Project", "プロジェクト", "项目", "프로젝트"},
	"questions.status":             {"Delivery status", "配信状況", "推送状态", "전송 상태"},
	"questions.any_status":         {"Any", "すべて", "全部", "전체"},
	"questions.apply":              {"Filter", "絞り込む", "筛选", "필터 적용"},
	"questions.clear":              {"Clear filters", "条件をクリア", "清除筛选", "필터 지우기"},
	"questions.from":               {"From (UTC)", "開始日（UTC）", "起始日期（UTC）", "시작일(UTC)"},
	"questions.to":                 {"To (UTC)", "終了日（UTC）", "结束日期（UTC）", "종료일(UTC)"},
	"questions.dates_utc": {
		"Dates are whole days in UTC, both ends included (YYYY-MM-DD).",
		"日付は UTC の暦日で、開始日・終了日とも含みます（YYYY-MM-DD）。",
		"日期按 UTC 整天计算，包含起止两天（YYYY-MM-DD）。",
		"날짜는 UTC 기준 하루 단위이며 시작일과 종료일을 모두 포함합니다(YYYY-MM-DD).",
	},
	"questions.bad_date": {
		"“%s” is not a date (YYYY-MM-DD); this filter was not applied.",
		"「%s」は日付（YYYY-MM-DD）ではないため、この条件は適用していません。",
		"“%s”不是有效日期（YYYY-MM-DD），未应用此条件。",
		"‘%s’은(는) 날짜(YYYY-MM-DD)가 아니므로 이 조건은 적용하지 않았습니다.",
	},
	"questions.date_order": {
		"This is before the start date; this filter was not applied.",
		"開始日より前の日付のため、この条件は適用していません。",
		"该日期早于起始日期，未应用此条件。",
		"시작일보다 앞선 날짜이므로 이 조건은 적용하지 않았습니다.",
	},
	"questions.pages":    {"Pages", "ページ", "分页", "페이지"},
	"questions.newest":   {"Newest", "最新", "最新", "최신"},
	"questions.older":    {"Older", "古い質問", "更早", "이전 질문"},
	"questions.no_match": {"No questions match these filters.", "条件に一致する質問はありません。", "没有符合筛选条件的问题。", "조건에 맞는 질문이 없습니다."},
	"questions.no_more":  {"No older questions.", "これより古い質問はありません。", "没有更早的问题了。", "더 이전 질문이 없습니다."},
	"questions.empty":    {"No questions yet.", "まだ質問はありません。", "还没有任何问题。", "아직 질문이 없습니다."},
	"questions.share": {
		"Share the question form with your attendees — put this link in your slides or chat:",
		"受講者に質問フォームを共有しましょう。次のリンクをスライドやチャットに貼ってください：",
		"把提问表单分享给学员吧——将下面的链接放进幻灯片或群聊中：",
		"수강생에게 질문 양식을 공유하세요. 아래 링크를 슬라이드나 채팅에 붙여 넣으면 됩니다:",
	},
	"questions.share_hint": {
		"Replace COURSE-101 with your course or project code, or leave ?project= out. Add &lang=ja, zh or ko to open the form in that language.",
		"COURSE-101 をコースやプロジェクトのコードに置き換えてください（?project= は省略可）。&lang=ja・zh・ko を付けるとその言語でフォームが開きます。",
		"请将 COURSE-101 替换为您的课程或项目代码，也可以省略 ?project=。加上 &lang=ja、zh 或 ko 可用相应语言打开表单。",
		"COURSE-101을 과정 또는 프로젝트 코드로 바꾸세요(?project=는 생략 가능). &lang=ja, zh, ko를 붙이면 해당 언어로 양식이 열립니다.",
	},

	// Question detail.
	"question.title":          {"Question %s", "質問 %s", "问题 %s", "질문 %s"},
	"question.project":        {"Project", "プロジェクト", "项目", "프로젝트"},
	"question.name":           {"Name", "名前", "姓名", "이름"},
	"question.submitted":      {"Submitted", "送信日時", "提交时间", "제출 시각"},
	"question.local_time":     {"Your time", "お使いの端末の時刻", "本地时间", "내 시간대"},
	"question.local_needs_js": {"(shown with JavaScript)", "（JavaScript で表示）", "（需启用 JavaScript）", "(JavaScript 필요)"},
	"question.source_ip":      {"Source IP", "送信元 IP", "来源 IP", "발신 IP"},
	"question.user_agent":     {"User agent", "ユーザーエージェント", "用户代理", "사용자 에이전트"},
	"question.lang":           {"Form language", "フォームの言語", "表单语言", "양식 언어"},
	"question.text":           {"Question", "質問内容", "问题内容", "질문 내용"},
	"question.deliveries":     {"Deliveries", "配信", "推送", "전송"},
	"question.no_deliveries": {
		"This question was not routed to any destination (routes.questions was empty when it arrived).",
		"この質問はどの送信先にも振り分けられていません（受信時に routes.questions が空でした）。",
		"该问题未分配到任何推送目标（收到时 routes.questions 为空）。",
		"이 질문은 어떤 전송 대상에도 배정되지 않았습니다(접수 당시 routes.questions가 비어 있었습니다).",
	},
	"question.no_deliveries_short": {"not routed", "送信先なし", "未推送", "전송 대상 없음"},

	// Destinations.
	"destinations.title":        {"Destinations", "送信先", "推送目标", "전송 대상"},
	"destinations.removed":      {"no longer configured", "設定から削除済み", "已从配置中移除", "설정에서 삭제됨"},
	"destinations.endpoint":     {"Endpoint", "エンドポイント", "端点", "엔드포인트"},
	"destinations.url_from_env": {"URL from environment variable %s", "環境変数 %s の URL", "来自环境变量 %s 的 URL", "환경 변수 %s의 URL"},
	"destinations.signed":       {"signed", "署名あり", "已签名", "서명 사용"},
	"destinations.receives":     {"Receives", "受信内容", "接收内容", "수신 항목"},
	"destinations.questions":    {"Questions", "質問", "问题", "질문"},
	"destinations.not_routed": {
		"Nothing — add it to routes.questions to send questions here.",
		"なし — 質問を送るには routes.questions に追加してください。",
		"无——如需推送问题，请将其加入 routes.questions。",
		"없음 — 질문을 보내려면 routes.questions에 추가하세요.",
	},
	"destinations.success_7d":       {"Success rate (7 days)", "成功率（7 日間）", "成功率（近 7 天）", "성공률(7일)"},
	"destinations.delivered_failed": {"%d delivered, %d failed", "成功 %d 件・失敗 %d 件", "成功 %d 条，失败 %d 条", "성공 %d건, 실패 %d건"},
	"destinations.no_data":          {"No finished deliveries in the last 7 days", "過去 7 日間に完了した配信はありません", "近 7 天内没有已完成的推送", "최근 7일간 완료된 전송이 없습니다"},
	"destinations.pending":          {"Pending now", "現在の配信待ち", "当前待推送", "현재 대기 중"},
	"destinations.failed":           {"Failed now", "現在の失敗", "当前失败", "현재 실패"},
	"destinations.last_delivered":   {"Last delivered", "最終配信", "最近送达", "최근 전송"},
	"destinations.last_error":       {"Last error", "直近のエラー", "最近错误", "최근 오류"},
	"destinations.empty":            {"No destinations are configured.", "送信先が設定されていません。", "尚未配置任何推送目标。", "설정된 전송 대상이 없습니다."},
	"destinations.empty_how": {
		"Questions are stored, but not sent anywhere. Add destinations to the config file, for example:",
		"質問は保存されていますが、どこにも送信されていません。設定ファイルに送信先を追加してください。例：",
		"问题已保存，但不会推送到任何地方。请在配置文件中添加推送目标，例如：",
		"질문은 저장되지만 어디로도 전송되지 않습니다. 설정 파일에 전송 대상을 추가하세요. 예:",
	},
	"destinations.empty_after": {
		"Put the secrets in the named environment variables (never in the file) and restart opsdesk. Types: teams, backlog, dingtalk, slack, webhook.",
		"秘密情報は指定した環境変数に設定し（ファイルには書かないでください）、opsdesk を再起動してください。種類：teams、backlog、dingtalk、slack、webhook。",
		"请将密钥放在指定的环境变量中（切勿写入文件），然后重启 opsdesk。可用类型：teams、backlog、dingtalk、slack、webhook。",
		"비밀 값은 지정한 환경 변수에 넣고(파일에는 쓰지 마세요) opsdesk를 재시작하세요. 유형: teams, backlog, dingtalk, slack, webhook.",
	},

	// Error pages.
	"error.title": {"Something went wrong", "エラーが発生しました", "出错了", "문제가 발생했습니다"},
	"error.body": {
		"The server could not complete the request. Please try again; if it keeps happening, tell the operator.",
		"サーバーでリクエストを処理できませんでした。もう一度お試しください。繰り返し発生する場合は管理者に連絡してください。",
		"服务器无法完成此请求，请重试。如果问题持续出现，请联系管理员。",
		"서버가 요청을 처리하지 못했습니다. 다시 시도해 주세요. 계속 발생하면 관리자에게 알려 주세요.",
	},
	"error.home":     {"Back to the console", "コンソールに戻る", "返回控制台", "콘솔로 돌아가기"},
	"error.ask":      {"Go to the question form", "質問フォームへ", "前往提问表单", "질문 양식으로 이동"},
	"notfound.title": {"Page not found", "ページが見つかりません", "页面不存在", "페이지를 찾을 수 없습니다"},
	"notfound.body": {
		"There is nothing at this address. The link may be mistyped or out of date.",
		"このアドレスにはページがありません。リンクが間違っているか、古くなっている可能性があります。",
		"此地址没有内容，链接可能有误或已失效。",
		"이 주소에는 페이지가 없습니다. 링크가 잘못되었거나 오래되었을 수 있습니다.",
	},
	"notfound.question": {
		"There is no question with this reference.",
		"この受付番号の質問はありません。",
		"没有此受理编号对应的问题。",
		"이 접수 번호에 해당하는 질문이 없습니다.",
	},
	"notfound.delivery": {"There is no such delivery.", "該当する配信はありません。", "不存在该推送记录。", "해당 전송이 없습니다."},
	"forbidden.title":   {"Not allowed", "操作が許可されていません", "无权操作", "허용되지 않음"},
	"forbidden.csrf": {
		"This form has expired or did not come from this console. Go back, reload the page and try again.",
		"このフォームは有効期限切れか、このコンソールから送信されたものではありません。前のページに戻り、再読み込みしてからもう一度お試しください。",
		"此表单已过期，或并非来自本控制台。请返回并刷新页面后重试。",
		"이 양식은 만료되었거나 이 콘솔에서 보낸 것이 아닙니다. 이전 페이지로 돌아가 새로 고친 후 다시 시도해 주세요.",
	},
	"forbidden.role": {
		"Your role can view but not change things. Ask an admin to make you a responder.",
		"あなたのロールは閲覧のみ可能で、変更はできません。管理者に responder ロールへの変更を依頼してください。",
		"您的角色只能查看，不能修改。请联系管理员将您设为 responder。",
		"현재 역할은 조회만 가능하고 변경은 할 수 없습니다. 관리자에게 responder 역할을 요청하세요.",
	},
	"forbidden.cross_origin": {
		"This request came from another site and was refused.",
		"他のサイトから送信されたリクエストのため拒否しました。",
		"该请求来自其他网站，已被拒绝。",
		"다른 사이트에서 보낸 요청이므로 거부되었습니다.",
	},
}
