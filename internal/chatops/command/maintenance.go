package command

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// KindMaintenance starts, lists or ends maintenance windows: alerts of a
// system during one notify nobody.
const KindMaintenance Kind = "maintenance"

// Maintenance operations.
const (
	MaintenanceStart = "start" // maintenance {system} {duration} [reason]
	MaintenanceList  = "list"  // maintenance list
	MaintenanceEnd   = "end"   // maintenance end {id}
)

// Maintenance is a maintenance-window command. Start has System and
// Duration (and maybe Reason); End has WindowID; List nothing more.
type Maintenance struct {
	Op       string
	System   string
	Duration time.Duration
	Reason   string
	WindowID int64
}

func (Maintenance) Kind() Kind { return KindMaintenance }

// Fields of the maintenance command, for errors.
const (
	FieldSystem   = "system"
	FieldDuration = "duration"
	FieldReason   = "reason"
	FieldWindowID = "window_id"
)

// Limits of the maintenance command.
const (
	// MaxMaintenance is the longest window chat starts: the alerts
	// service's limit for one window (alerts.MaxWindowLength).
	MaxMaintenance = 7 * 24 * time.Hour
	// MinMaintenance is the shortest.
	MinMaintenance = time.Minute
	// MaxReason bounds the reason, which names the window (200 characters
	// in the alerts service).
	MaxReason = 200
	// MaxSystem bounds a system name (config.ValidateSystemName).
	MaxSystem = 100
)

// maintenanceWord consumes the command word: 维护, メンテナンス, メンテ,
// 점검, maintenance or maint.
func (c *cursor) maintenanceWord() bool {
	return c.lit("维护") || c.lit("維護") || c.lit("メンテナンス") || c.lit("メンテ") || c.lit("점검") || c.word("maintenance") || c.word("maint")
}

var (
	maintenanceListWords = []string{"list", "ls", "列表", "一览", "一覧", "목록"}
	maintenanceEndWords  = []string{"end", "stop", "结束", "終了", "종료"}
)

// token splits the first word off l (a "quoted name" may hold spaces):
// the word as typed and folded, and what follows it.
func token(l line) (tok, rest line) {
	l = l.trim()
	if len(l.fold) == 0 {
		return l, l
	}
	if l.fold[0] == '"' {
		if j := indexRune(l.fold[1:], '"'); j >= 0 {
			return l.sub(1, j+1), l.sub(j+2, len(l.fold))
		}
	}
	j := indexRune(l.fold, ' ')
	if j < 0 {
		return l, l.sub(len(l.fold), len(l.fold))
	}
	return l.sub(0, j), l.sub(j, len(l.fold))
}

// ParseDuration reads a window's length as people type it in chat: Go's
// 2h, 90m, 1h30m, and days (1d, 2d12h).
func ParseDuration(s string) (time.Duration, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return 0, false
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 365 {
			return 0, false
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, true
		}
	}
	if s == "" || s[0] == '-' || s[0] == '+' {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > 366*24*time.Hour {
		return 0, false
	}
	return days + d, true
}

func maintenance(c *cursor, rest []line) (Command, error) {
	c.seps()
	args := dropMentions(c.rest())
	first, after := token(args)
	word := strings.ToLower(string(first.fold))
	var issues []Issue
	switch {
	case len(first.fold) == 0:
		issues = append(issues, Issue{Field: FieldSystem, Problem: ProblemMissing})
	case slices.Contains(maintenanceListWords, word):
		if !after.blank() {
			issues = append(issues, Issue{Problem: ProblemUnexpected, Value: shorten(string(after.trim().orig))})
		}
		issues = append(issues, extraLine(rest)...)
		if len(issues) > 0 {
			return nil, newError(KindMaintenance, issues)
		}
		return Maintenance{Op: MaintenanceList}, nil
	case slices.Contains(maintenanceEndWords, word):
		idTok, more := token(after)
		s := strings.TrimPrefix(string(idTok.fold), "#")
		id, err := strconv.ParseInt(s, 10, 64)
		switch {
		case len(idTok.fold) == 0:
			issues = append(issues, Issue{Field: FieldWindowID, Problem: ProblemMissing})
		case err != nil || id <= 0 || strings.HasPrefix(s, "+"):
			issues = append(issues, Issue{Field: FieldWindowID, Problem: ProblemInvalid, Value: shorten(string(idTok.orig))})
		}
		if !more.blank() {
			issues = append(issues, Issue{Problem: ProblemUnexpected, Value: shorten(string(more.trim().orig))})
		}
		issues = append(issues, extraLine(rest)...)
		if len(issues) > 0 {
			return nil, newError(KindMaintenance, issues)
		}
		return Maintenance{Op: MaintenanceEnd, WindowID: id}, nil
	}
	if len(issues) > 0 {
		issues = append(issues, extraLine(rest)...)
		return nil, newError(KindMaintenance, issues)
	}
	system := strings.TrimSpace(string(first.fold))
	switch n := utf8.RuneCountInString(system); {
	case n == 0:
		issues = append(issues, Issue{Field: FieldSystem, Problem: ProblemInvalid, Value: shorten(string(first.orig))})
	case n > MaxSystem:
		issues = append(issues, Issue{Field: FieldSystem, Problem: ProblemTooLong, Limit: MaxSystem, Got: n})
	}
	durTok, tail := token(after)
	d, ok := ParseDuration(string(durTok.fold))
	switch {
	case len(durTok.fold) == 0:
		issues = append(issues, Issue{Field: FieldDuration, Problem: ProblemMissing})
	case !ok || d < MinMaintenance || d > MaxMaintenance:
		issues = append(issues, Issue{Field: FieldDuration, Problem: ProblemInvalid, Value: shorten(string(durTok.orig))})
	}
	reason := strings.TrimSpace(string(tail.trim().orig))
	if n := utf8.RuneCountInString(reason); n > MaxReason {
		issues = append(issues, Issue{Field: FieldReason, Problem: ProblemTooLong, Limit: MaxReason, Got: n})
	}
	issues = append(issues, extraLine(rest)...)
	if len(issues) > 0 {
		return nil, newError(KindMaintenance, issues)
	}
	return Maintenance{Op: MaintenanceStart, System: system, Duration: d, Reason: reason}, nil
}

// maintenanceTexts is the maintenance command's wording in one language.
type maintenanceTexts struct {
	title, alias, system, duration, reason, id, list, end, note string
	hintDuration, hintWindowID                                  string
}

var maintenanceByLang = map[string]*maintenanceTexts{
	"zh": {
		title: "维护窗口（期间的告警不通知任何人）", alias: "",
		system: "系统", duration: "时长", reason: "原因", id: "窗口编号",
		list: "列出生效中和即将开始的维护窗口", end: "立即结束一个维护窗口",
		note:         "时长如 30m、2h、1d，最长 7 天；原因可选。系统名含空格时用英文引号括起来。",
		hintDuration: "时长写成 30m、2h 或 1d 这样的格式，1 分钟到 7 天之间。",
		hintWindowID: "窗口编号是数字，可用「维护 list」查看。",
	},
	"ja": {
		title: "メンテナンス時間帯（その間のアラートは誰にも通知しません）", alias: "メンテ",
		system: "システム", duration: "期間", reason: "理由", id: "時間帯の番号",
		list: "実施中と予定のメンテナンス時間帯を一覧する", end: "メンテナンス時間帯を今すぐ終了する",
		note:         "期間は 30m、2h、1d など、最長 7 日。理由は省略できます。空白を含むシステム名は \"…\" で囲みます。",
		hintDuration: "期間は 30m、2h、1d のように、1 分から 7 日の間で書きます。",
		hintWindowID: "番号は数字です。「メンテ list」で確認できます。",
	},
	"en": {
		title: "Maintenance window (its alerts notify nobody)", alias: "",
		system: "system", duration: "duration", reason: "reason", id: "window number",
		list: "List the windows in force and upcoming", end: "End a window now",
		note:         "Duration: 30m, 2h, 1d…, at most 7 days; the reason is optional. Quote a system name with spaces: \"my system\".",
		hintDuration: "Write the duration as 30m, 2h or 1d, from 1 minute to 7 days.",
		hintWindowID: "The window number is a number: see maintenance list.",
	},
	"ko": {
		title: "점검 시간대(그동안의 알림은 아무에게도 알리지 않음)", alias: "점검",
		system: "시스템", duration: "기간", reason: "사유", id: "시간대 번호",
		list: "진행 중이거나 예정된 점검 시간대 보기", end: "점검 시간대를 지금 종료하기",
		note:         "기간은 30m, 2h, 1d 등 최대 7일이며 사유는 생략할 수 있습니다. 공백이 있는 시스템 이름은 \"…\"로 감쌉니다.",
		hintDuration: "기간은 30m, 2h, 1d처럼 1분에서 7일 사이로 씁니다.",
		hintWindowID: "번호는 숫자입니다. \"점검 list\"로 확인할 수 있습니다.",
	},
}

func maintenanceTextsFor(lang string) *maintenanceTexts {
	for l, t := range maintenanceByLang {
		if pick(lang) == languages[l] {
			return t
		}
	}
	return maintenanceByLang["zh"]
}

// maintenanceUsage is the maintenance command's title and formats.
func maintenanceUsage(lang string) string {
	t, m := pick(lang), maintenanceTextsFor(lang)
	start := " {" + m.system + "} {" + m.duration + "} {" + m.reason + "}"
	lines := []string{"维护" + start, t.or + "maintenance" + start}
	if m.alias != "" {
		lines = append(lines, t.or+m.alias+start)
	}
	lines = append(lines,
		"maintenance list  ("+m.list+")",
		"maintenance end {"+m.id+"}  ("+m.end+")",
		m.note)
	return "【" + m.title + "】\n" + strings.Join(lines, "\n")
}

// maintenanceLabel names the maintenance command's fields ("" for others).
func maintenanceLabel(field, lang string) string {
	m := maintenanceTextsFor(lang)
	switch field {
	case FieldSystem:
		return m.system
	case FieldDuration:
		return m.duration
	case FieldReason:
		return m.reason
	case FieldWindowID:
		return m.id
	}
	return ""
}

// maintenanceHint explains a field's valid values ("" for none).
func maintenanceHint(field, lang string) string {
	m := maintenanceTextsFor(lang)
	switch field {
	case FieldDuration:
		return m.hintDuration
	case FieldWindowID:
		return m.hintWindowID
	}
	return ""
}
