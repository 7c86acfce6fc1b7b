package command

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseMaintenance(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want Maintenance
	}{
		{"maintenance billing 2h deploy v42", Maintenance{Op: MaintenanceStart, System: "billing", Duration: 2 * time.Hour, Reason: "deploy v42"}},
		{"MAINTENANCE billing 90m", Maintenance{Op: MaintenanceStart, System: "billing", Duration: 90 * time.Minute}},
		{"maint XYZ 1h30m", Maintenance{Op: MaintenanceStart, System: "XYZ", Duration: 90 * time.Minute}},
		{"维护 billing 2h 发布 v42", Maintenance{Op: MaintenanceStart, System: "billing", Duration: 2 * time.Hour, Reason: "发布 v42"}},
		{"维护：billing　２ｈ　ＤＢ升级", Maintenance{Op: MaintenanceStart, System: "billing", Duration: 2 * time.Hour, Reason: "ＤＢ升级"}},
		{"メンテ billing 1d", Maintenance{Op: MaintenanceStart, System: "billing", Duration: 24 * time.Hour}},
		{"メンテナンス billing 2d12h 月次バッチ", Maintenance{Op: MaintenanceStart, System: "billing", Duration: 60 * time.Hour, Reason: "月次バッチ"}},
		{"점검 billing 30m 배포", Maintenance{Op: MaintenanceStart, System: "billing", Duration: 30 * time.Minute, Reason: "배포"}},
		{`maintenance "billing api" 2h`, Maintenance{Op: MaintenanceStart, System: "billing api", Duration: 2 * time.Hour}},
		{"@opsdesk maintenance billing 7d", Maintenance{Op: MaintenanceStart, System: "billing", Duration: 7 * 24 * time.Hour}},
		{"<@U123ABC> maintenance billing 1m", Maintenance{Op: MaintenanceStart, System: "billing", Duration: time.Minute}},
		{"maintenance list", Maintenance{Op: MaintenanceList}},
		{"维护 列表", Maintenance{Op: MaintenanceList}},
		{"メンテ 一覧", Maintenance{Op: MaintenanceList}},
		{"점검 목록\n\n", Maintenance{Op: MaintenanceList}},
		{"maintenance end 12", Maintenance{Op: MaintenanceEnd, WindowID: 12}},
		{"maintenance END #7", Maintenance{Op: MaintenanceEnd, WindowID: 7}},
		{"维护 结束 ３", Maintenance{Op: MaintenanceEnd, WindowID: 3}},
		{"メンテ 終了 4", Maintenance{Op: MaintenanceEnd, WindowID: 4}},
		{"점검 종료 5", Maintenance{Op: MaintenanceEnd, WindowID: 5}},
	} {
		got, err := Parse(c.in)
		if err != nil || got != c.want {
			t.Errorf("Parse(%q) = %#v, %v; want %#v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"maintenances billing 2h", "maintain billing", "help"} {
		if c, err := Parse(in); err != nil || c.Kind() == KindMaintenance {
			t.Errorf("Parse(%q) = %#v, %v; want no maintenance command", in, c, err)
		}
	}
	for _, in := range []string{"help maintenance", "帮助 维护", "help メンテ", "帮助:점검"} {
		if c, err := Parse(in); err != nil || c != (HelpRequest{Topic: KindMaintenance}) {
			t.Errorf("Parse(%q) = %#v, %v", in, c, err)
		}
	}
	for _, c := range []struct {
		in     string
		issues []Issue
	}{
		{"maintenance", []Issue{{Field: FieldSystem, Problem: ProblemMissing}}},
		{"maintenance billing", []Issue{{Field: FieldDuration, Problem: ProblemMissing}}},
		{"maintenance billing soon", []Issue{{Field: FieldDuration, Problem: ProblemInvalid, Value: "soon"}}},
		{"maintenance billing 8d", []Issue{{Field: FieldDuration, Problem: ProblemInvalid, Value: "8d"}}},
		{"maintenance billing 30s", []Issue{{Field: FieldDuration, Problem: ProblemInvalid, Value: "30s"}}},
		{"maintenance billing -2h", []Issue{{Field: FieldDuration, Problem: ProblemInvalid, Value: "-2h"}}},
		{"maintenance billing 2h " + strings.Repeat("x", MaxReason+1), []Issue{{Field: FieldReason, Problem: ProblemTooLong, Limit: MaxReason, Got: MaxReason + 1}}},
		{"maintenance " + strings.Repeat("s", MaxSystem+1) + " 2h", []Issue{{Field: FieldSystem, Problem: ProblemTooLong, Limit: MaxSystem, Got: MaxSystem + 1}}},
		{"maintenance billing 2h\nsecond line", []Issue{{Problem: ProblemUnexpected, Value: "second line"}}},
		{"maintenance end", []Issue{{Field: FieldWindowID, Problem: ProblemMissing}}},
		{"maintenance end x1", []Issue{{Field: FieldWindowID, Problem: ProblemInvalid, Value: "x1"}}},
		{"maintenance end 0", []Issue{{Field: FieldWindowID, Problem: ProblemInvalid, Value: "0"}}},
		{"maintenance end 3 now", []Issue{{Problem: ProblemUnexpected, Value: "now"}}},
		{"maintenance list all", []Issue{{Problem: ProblemUnexpected, Value: "all"}}},
	} {
		_, err := Parse(c.in)
		var pe *Error
		if !errors.As(err, &pe) || pe.Kind != KindMaintenance || !reflect.DeepEqual(pe.Issues(), c.issues) {
			t.Errorf("Parse(%q) = %v; want %+v", c.in, err, c.issues)
			continue
		}
		for _, l := range langs {
			d := Describe(pe, l)
			if !strings.HasSuffix(d, Usage(KindMaintenance, l)) || !strings.Contains(d, "维护 / maintenance") {
				t.Errorf("Describe(%q, %s):\n%s", c.in, l, d)
			}
		}
	}
	// The field is named in the reply's language, with a hint.
	_, err := Parse("maintenance billing soon")
	var pe *Error
	errors.As(err, &pe)
	for l, want := range map[string][]string{
		"zh": {"时长", "soon", "30m、2h 或 1d"},
		"ja": {"期間", "soon", "1 分から 7 日"},
		"en": {"duration", "soon", "from 1 minute to 7 days"},
		"ko": {"기간", "soon", "1분에서 7일"},
	} {
		d := Describe(pe, l)
		for _, w := range want {
			if !strings.Contains(d, w) {
				t.Errorf("Describe(%s) lacks %q:\n%s", l, w, d)
			}
		}
	}
}

func TestMaintenanceUsage(t *testing.T) {
	t.Parallel()
	for l, parts := range map[string][]string{
		"zh": {"【维护窗口（期间的告警不通知任何人）】", "维护 {系统} {时长} {原因}", "maintenance list", "maintenance end {窗口编号}"},
		"ja": {"【メンテナンス時間帯", "メンテ {システム} {期間} {理由}", "最長 7 日"},
		"en": {"【Maintenance window (its alerts notify nobody)】", "or: maintenance {system} {duration} {reason}", "at most 7 days"},
		"ko": {"【점검 시간대", "점검 {시스템} {기간} {사유}", "최대 7일"},
	} {
		u := Usage(KindMaintenance, l)
		for _, p := range parts {
			if !strings.Contains(u, p) {
				t.Errorf("Usage(maintenance, %s) lacks %q:\n%s", l, p, u)
			}
		}
		if !strings.Contains(Help(l), u) {
			t.Errorf("Help(%s) lacks the maintenance command", l)
		}
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"2h": 2 * time.Hour, "90m": 90 * time.Minute, "1d": 24 * time.Hour, "1d2h": 26 * time.Hour, "1H": time.Hour} {
		if d, ok := ParseDuration(in); !ok || d != want {
			t.Errorf("ParseDuration(%q) = %v %v, want %v", in, d, ok, want)
		}
	}
	for _, in := range []string{"", "d", "-1h", "+1h", "1d-1h", "xd", "2", "1dd", "h"} {
		if d, ok := ParseDuration(in); ok {
			t.Errorf("ParseDuration(%q) = %v, want refused", in, d)
		}
	}
}

// FuzzParseMaintenance: a maintenance command parses to a complete,
// valid command or to an *Error of the maintenance kind, never both, and
// never panics.
func FuzzParseMaintenance(f *testing.F) {
	for _, s := range []string{
		"maintenance billing 2h deploy v42", "维护：billing　２ｈ　ＤＢ升级", "メンテ billing 1d", "점검 목록", "maintenance end #7",
		`maintenance "billing api" 2h`, `maintenance "unclosed 2h`, "maintenance \"\" 2h", "maint x 1d1d", "maintenance end -1",
		"maintenance billing 2h\nmore", "maintenance  ", "メンテナンス", "maintenance end 99999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text)
		if (c == nil) == (err == nil) {
			t.Fatalf("want a command or an error: %#v %v", c, err)
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Kind == "" || pe.Problem == "" {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		m, ok := c.(Maintenance)
		if !ok {
			return
		}
		switch m.Op {
		case MaintenanceStart:
			if m.System == "" || strings.TrimSpace(m.System) != m.System || utf8.RuneCountInString(m.System) > MaxSystem || strings.ContainsAny(m.System, "\r\n") ||
				m.Duration < MinMaintenance || m.Duration > MaxMaintenance || utf8.RuneCountInString(m.Reason) > MaxReason ||
				strings.ContainsAny(m.Reason, "\r\n") || m.WindowID != 0 {
				t.Fatalf("invalid start %#v", m)
			}
		case MaintenanceEnd:
			if m.WindowID <= 0 || m.System != "" {
				t.Fatalf("invalid end %#v", m)
			}
		case MaintenanceList:
			if m != (Maintenance{Op: MaintenanceList}) {
				t.Fatalf("invalid list %#v", m)
			}
		default:
			t.Fatalf("unknown op %#v", m)
		}
	})
}
