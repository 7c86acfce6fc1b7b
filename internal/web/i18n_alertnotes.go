package web

// alertNotesCatalog holds the texts of notes and the assignee on the
// alert page (alert_notes.go); it joins the catalog at start-up.
var alertNotesCatalog = map[string][4]string{
	"alerts.kind.note":   {"Note", "メモ", "备注", "메모"},
	"alerts.kind.assign": {"Assigned", "担当者を変更", "更改负责人", "담당자 변경"},
	"alertnotes.title":   {"Handling", "対応", "处理", "처리"},
	"alertnotes.assignee": {
		"Assignee", "担当者", "负责人", "담당자",
	},
	"alertnotes.nobody": {"Nobody", "未割り当て", "未分配", "없음"},
	"alertnotes.assign": {"Assign", "割り当て", "分配", "지정"},
	"alertnotes.notes":  {"Notes", "メモ", "备注", "메모"},
	"alertnotes.notes_hint": {
		"What you found and did, for the others handling this alert. Notes are also on the timeline and in the API.",
		"調査したことや対応したことを、ほかの対応者のために残します。メモはタイムラインと API にも表示されます。",
		"记录您的发现和处理，供其他处理此告警的人参考。备注也会显示在时间线和 API 中。",
		"조사하거나 조치한 내용을 다른 담당자를 위해 남깁니다. 메모는 타임라인과 API에도 표시됩니다.",
	},
	"alertnotes.no_notes": {"No notes yet.", "メモはまだありません。", "暂无备注。", "아직 메모가 없습니다."},
	"alertnotes.note":     {"Note", "メモ", "备注", "메모"},
	"alertnotes.add_note": {"Add note", "メモを追加", "添加备注", "메모 추가"},
	"alertnotes.bad_user": {
		"There is no user %q.",
		"ユーザー %q は存在しません。",
		"用户 %q 不存在。",
		"사용자 %q이(가) 없습니다.",
	},
	"alertnotes.note_empty": {"The note is empty.", "メモが空です。", "备注为空。", "메모가 비어 있습니다."},
	"alertnotes.note_long": {
		"The note is %d characters; at most %d.",
		"メモが %d 文字あります。%d 文字以内にしてください。",
		"备注有 %d 个字符；最多 %d 个。",
		"메모가 %d자입니다. 최대 %d자입니다.",
	},
	"alerts.done.noted":    {"Note added.", "メモを追加しました。", "已添加备注。", "메모를 추가했습니다."},
	"alerts.done.assigned": {"Assignee changed.", "担当者を変更しました。", "已更改负责人。", "담당자를 변경했습니다."},
}

func init() {
	for k, v := range alertNotesCatalog {
		catalog[k] = v
	}
}
