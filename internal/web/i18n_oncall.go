package web

// oncallCatalog holds the texts of the on-call schedule pages (oncall_schedules.go); it
// joins the catalog at start-up like usersCatalog.
var oncallCatalog = map[string][4]string{
	"nav.oncall": {"On-call", "当番", "值班", "당번"},

	"oncall.title": {"On-call schedules", "当番スケジュール", "值班表", "당번 일정"},
	"oncall.intro": {
		"Who is on call now and next in each schedule. Times are in each schedule's time zone.",
		"各スケジュールで現在と次の当番です。時刻は各スケジュールのタイムゾーンで表示します。",
		"各值班表当前和下一位值班人员。时间按各值班表的时区显示。",
		"각 일정의 현재 당번과 다음 당번입니다. 시각은 각 일정의 시간대로 표시합니다.",
	},
	"oncall.schedule_title": {"On-call schedule %s", "当番スケジュール %s", "值班表 %s", "당번 일정 %s"},
	"oncall.schedule":       {"Schedule", "スケジュール", "值班表", "일정"},
	"oncall.now":            {"On call now", "現在の当番", "当前值班", "현재 당번"},
	"oncall.until":          {"until", "終了", "截至", "종료"},
	"oncall.next":           {"Next", "次の当番", "下一位", "다음 당번"},
	"oncall.from":           {"from", "開始", "开始于", "시작"},
	"oncall.nobody":         {"nobody is on call", "当番はいません", "无人值班", "당번이 없습니다"},
	"oncall.none":           {"No on-call schedules yet.", "当番スケジュールはまだありません。", "还没有值班表。", "아직 당번 일정이 없습니다."},
	"oncall.none_how": {
		"Add one with the form below (admins), or under oncall.schedules in the config file, like this:",
		"下のフォーム（管理者）から追加するか、設定ファイルの oncall.schedules に次のように書いてください：",
		"请用下方表单添加（管理员），或在配置文件的 oncall.schedules 中这样编写：",
		"아래 양식(관리자)으로 추가하거나 설정 파일의 oncall.schedules에 다음과 같이 작성하세요:",
	},
	"oncall.origin.config":  {"from the config file", "設定ファイル由来", "来自配置文件", "설정 파일에서"},
	"oncall.origin.console": {"edited in the console", "コンソールで編集", "已在控制台编辑", "콘솔에서 편집됨"},

	"oncall.new_title":    {"New schedule", "新しいスケジュール", "新建值班表", "새 일정"},
	"oncall.name":         {"Name", "名前", "名称", "이름"},
	"oncall.name_hint":    {"Letters, digits, _ . - (it appears in URLs).", "英数字と _ . -（URL に使われます）。", "字母、数字和 _ . -（用于 URL）。", "영문자, 숫자, _ . - (URL에 사용됨)."},
	"oncall.zone":         {"Time zone", "タイムゾーン", "时区", "시간대"},
	"oncall.create":       {"Create schedule", "スケジュールを作成", "创建值班表", "일정 만들기"},
	"oncall.err_exists":   {"A schedule named %s already exists.", "%s という名前のスケジュールは既にあります。", "已存在名为 %s 的值班表。", "%s 이름의 일정이 이미 있습니다."},
	"oncall.err_time":     {"%q is not a time such as 2026-03-10 09:00.", "%q は 2026-03-10 09:00 のような時刻ではありません。", "%q 不是 2026-03-10 09:00 这样的时间。", "%q는 2026-03-10 09:00 같은 시각이 아닙니다."},
	"oncall.not_found":    {"There is no on-call schedule of that name.", "その名前の当番スケジュールはありません。", "没有该名称的值班表。", "그 이름의 당번 일정이 없습니다."},
	"oncall.times_in":     {"Times in %s.", "時刻は %s で表示しています。", "时间按 %s 显示。", "시각은 %s 기준입니다."},
	"oncall.participants": {"Participants", "参加者", "参与人员", "참여자"},
	"oncall.participants_hint": {
		"Participants: one user name a line, in the order they take shifts.",
		"参加者：1 行に 1 人、シフトを担当する順に書きます。",
		"参与人员：每行一个用户名，按轮班顺序排列。",
		"참여자: 한 줄에 한 명씩, 근무 순서대로 적습니다.",
	},
	"oncall.shift": {"Shift length", "シフトの長さ", "班次长度", "근무 길이"},
	"oncall.shift_hint": {
		"Shift: a count and h (real hours), d or w (calendar days or weeks): 12h, 1d, 1w.",
		"シフト：数と h（実時間）、d または w（暦の日・週）：12h、1d、1w。",
		"班次：数字加 h（实际小时）、d 或 w（日历日或周）：12h、1d、1w。",
		"근무: 숫자와 h(실제 시간), d 또는 w(달력상의 일·주): 12h, 1d, 1w.",
	},
	"oncall.hand_off": {"First hand-off", "最初の交代", "首次交接", "첫 교대"},
	"oncall.hand_off_hint": {
		"Hand-off: when the first participant's first shift starts, local time such as 2026-01-05 09:00; later hand-offs keep its time of day.",
		"交代：最初の参加者の最初のシフトの開始（2026-01-05 09:00 のような現地時刻）。以後の交代も同じ時刻です。",
		"交接：第一位参与人员首个班次的开始时间，如当地时间 2026-01-05 09:00；之后的交接保持同一时刻。",
		"교대: 첫 참여자의 첫 근무가 시작되는 현지 시각(예: 2026-01-05 09:00). 이후 교대도 같은 시각입니다.",
	},

	"oncall.calendar_title": {"The next two weeks", "今後 2 週間", "未来两周", "앞으로 2주"},
	"oncall.override":       {"override", "代理", "代班", "대리"},
	"oncall.shifts_title":   {"Shifts", "シフト", "班次", "근무"},
	"oncall.start":          {"Start", "開始", "开始", "시작"},
	"oncall.end":            {"End", "終了", "结束", "종료"},
	"oncall.who":            {"Who", "担当者", "人员", "담당자"},
	"oncall.layer":          {"Layer", "レイヤー", "层", "레이어"},
	"oncall.cover":          {"Cover this shift", "このシフトを代わる", "代这个班", "이 근무 대신하기"},
	"oncall.cover_who":      {"Who covers %s", "%s の代わりに入る人", "代替 %s 的人", "%s 대신 근무할 사람"},
	"oncall.no_shifts":      {"Nobody is on call in the next two weeks.", "今後 2 週間、当番はいません。", "未来两周无人值班。", "앞으로 2주 동안 당번이 없습니다."},

	"oncall.overrides_title": {"Overrides", "代理", "代班", "대리 근무"},
	"oncall.overrides_intro": {
		"Someone on call instead of the rotation for a time. Where overrides overlap, the latest one wins.",
		"一定期間、ローテーションの代わりに当番に入る人です。重なる場合は後から作ったものが優先されます。",
		"某段时间内代替轮班值班的人。代班重叠时，以最后创建的为准。",
		"일정 기간 로테이션 대신 당번을 서는 사람입니다. 겹치면 나중에 만든 것이 우선합니다.",
	},
	"oncall.covers":        {"Covers", "代わられる人", "被代替者", "대신하는 대상"},
	"oncall.covers_anyone": {"whoever is on call", "その時の当番", "当时的值班人员", "그때의 당번"},
	"oncall.covers_hint": {
		"Leave empty to replace whoever is on call (or to fill a time nobody is).",
		"空欄なら、その時の当番（不在の時間も含む）を置き換えます。",
		"留空则替换当时的值班人员（或填补无人值班的时间）。",
		"비워 두면 그때의 당번을 대신합니다(당번이 없는 시간도 채웁니다).",
	},
	"oncall.note":         {"Note", "メモ", "备注", "메모"},
	"oncall.created_by":   {"Created by", "作成者", "创建人", "작성자"},
	"oncall.delete":       {"Delete", "削除", "删除", "삭제"},
	"oncall.no_overrides": {"No overrides.", "代理はありません。", "没有代班。", "대리 근무가 없습니다."},
	"oncall.add_override": {"Add an override", "代理を追加", "添加代班", "대리 근무 추가"},
	"oncall.local_hint": {
		"Local time in %s, such as 2026-03-10 09:00; the end is exclusive.",
		"%s の現地時刻（例：2026-03-10 09:00）。終了時刻は含みません。",
		"%s 的当地时间，如 2026-03-10 09:00；不含结束时刻。",
		"%s 현지 시각(예: 2026-03-10 09:00). 종료 시각은 포함하지 않습니다.",
	},
	"oncall.override_not_found": {"There is no such override.", "その代理はありません。", "没有该代班。", "그 대리 근무가 없습니다."},

	"oncall.rotation_title": {"Rotation", "ローテーション", "轮班", "로테이션"},
	"oncall.rotation_intro": {
		"Layers combined by priority: the highest-priority layer with someone on call decides. Only admins can change them.",
		"レイヤーは優先度で組み合わせます。当番がいる中で最も優先度の高いレイヤーが決めます。変更できるのは管理者だけです。",
		"各层按优先级组合：有人值班的最高优先级层决定值班人员。只有管理员可以更改。",
		"레이어는 우선순위로 결합됩니다. 당번이 있는 가장 높은 우선순위 레이어가 정합니다. 관리자만 변경할 수 있습니다.",
	},
	"oncall.updated_by":   {"Last changed by %s", "最終更新者 %s", "最后修改人 %s", "마지막 수정자 %s"},
	"oncall.layer_new":    {"New layer", "新しいレイヤー", "新层", "새 레이어"},
	"oncall.layer_zone":   {"Layer time zone (empty: the schedule's)", "レイヤーのタイムゾーン（空欄はスケジュールと同じ）", "层时区（留空则同值班表）", "레이어 시간대(비우면 일정과 동일)"},
	"oncall.priority":     {"Priority", "優先度", "优先级", "우선순위"},
	"oncall.restrictions": {"Restrictions", "時間帯の制限", "时间限制", "시간 제한"},
	"oncall.restrictions_hint": {
		"Restrictions: one window a line, such as mon,tue,wed,thu,fri 09:00-18:00 or 09:00-18:00 (every day); none means all the time.",
		"時間帯の制限：1 行に 1 つ（例：mon,tue,wed,thu,fri 09:00-18:00、毎日なら 09:00-18:00）。なければ常時です。",
		"时间限制：每行一个时段，如 mon,tue,wed,thu,fri 09:00-18:00 或 09:00-18:00（每天）；留空表示全天。",
		"시간 제한: 한 줄에 하나(예: mon,tue,wed,thu,fri 09:00-18:00, 매일이면 09:00-18:00). 없으면 항상입니다.",
	},
	"oncall.layer_remove":    {"Remove this layer", "このレイヤーを削除", "删除此层", "이 레이어 삭제"},
	"oncall.save_rotation":   {"Save rotation", "ローテーションを保存", "保存轮班", "로테이션 저장"},
	"oncall.delete_hint":     {"Deleting removes the schedule with its overrides and feeds' contents.", "削除すると、代理とフィードの内容も含めてスケジュールが消えます。", "删除将移除值班表及其代班和订阅内容。", "삭제하면 대리 근무와 피드 내용을 포함해 일정이 사라집니다."},
	"oncall.delete_schedule": {"Delete schedule", "スケジュールを削除", "删除值班表", "일정 삭제"},

	"oncall.feeds_title": {"Calendar feeds", "カレンダーフィード", "日历订阅", "캘린더 피드"},
	"oncall.feeds_intro": {
		"A secret iCal URL for Google Calendar or Outlook with this schedule's shifts of the next 60 days. Anyone with the URL can read it; revoke it when it leaks.",
		"Google カレンダーや Outlook 用の秘密の iCal URL です（今後 60 日のシフト）。URL を知る人は誰でも読めます。漏れたら失効させてください。",
		"用于 Google 日历或 Outlook 的私密 iCal 地址，包含此值班表未来 60 天的班次。知道地址的人都能读取；泄露时请吊销。",
		"Google 캘린더나 Outlook용 비밀 iCal URL입니다(앞으로 60일의 근무). URL을 아는 사람은 누구나 볼 수 있으니 유출되면 폐기하세요.",
	},
	"oncall.feed_create":      {"Create a feed URL", "フィード URL を作成", "创建订阅地址", "피드 URL 만들기"},
	"oncall.feed_create_mine": {"Create my feed URL", "自分のフィード URL を作成", "创建我的订阅地址", "내 피드 URL 만들기"},
	"oncall.feed_new_title":   {"Your new feed URL", "新しいフィード URL", "新的订阅地址", "새 피드 URL"},
	"oncall.feed_once": {
		"It is shown only this once: add it to your calendar now (\"subscribe from URL\").",
		"表示はこの一度だけです。今すぐカレンダーに追加してください（「URL で追加」）。",
		"此地址只显示这一次，请立即添加到日历（“通过 URL 订阅”）。",
		"이 URL은 지금 한 번만 표시됩니다. 바로 캘린더에 추가하세요(\"URL로 구독\").",
	},
	"oncall.feed_created":   {"created by %s", "作成者 %s", "创建人 %s", "작성자 %s"},
	"oncall.feed_revoke":    {"Revoke", "失効", "吊销", "폐기"},
	"oncall.feed_not_found": {"There is no such feed in use.", "使用中のそのフィードはありません。", "没有正在使用的该订阅。", "사용 중인 그 피드가 없습니다."},
	"oncall.my_feed_title":  {"My on-call calendar", "自分の当番カレンダー", "我的值班日历", "내 당번 캘린더"},
	"oncall.my_feed_intro": {
		"A secret iCal URL with your shifts in every schedule, for Google Calendar or Outlook.",
		"すべてのスケジュールでの自分のシフトを載せた秘密の iCal URL です（Google カレンダーや Outlook 用）。",
		"包含你在所有值班表中班次的私密 iCal 地址，可用于 Google 日历或 Outlook。",
		"모든 일정에서의 내 근무가 담긴 비밀 iCal URL입니다(Google 캘린더나 Outlook용).",
	},

	"oncall.done.created":          {"The schedule has been created; add layers below.", "スケジュールを作成しました。下でレイヤーを追加できます。", "已创建值班表，可在下方添加层。", "일정을 만들었습니다. 아래에서 레이어를 추가하세요."},
	"oncall.done.saved":            {"The rotation has been saved.", "ローテーションを保存しました。", "已保存轮班。", "로테이션을 저장했습니다."},
	"oncall.done.deleted":          {"The schedule has been deleted.", "スケジュールを削除しました。", "已删除值班表。", "일정을 삭제했습니다."},
	"oncall.done.override_added":   {"The override has been added.", "代理を追加しました。", "已添加代班。", "대리 근무를 추가했습니다."},
	"oncall.done.override_deleted": {"The override has been deleted.", "代理を削除しました。", "已删除代班。", "대리 근무를 삭제했습니다."},
	"oncall.done.feed_revoked":     {"The feed URL has been revoked.", "フィード URL を失効させました。", "已吊销订阅地址。", "피드 URL을 폐기했습니다."},
}

func init() {
	for k, v := range oncallCatalog {
		catalog[k] = v
	}
}
