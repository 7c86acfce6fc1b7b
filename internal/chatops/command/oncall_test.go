package command

import (
	"errors"
	"strings"
	"testing"
)

func TestParseOnCall(t *testing.T) {
	t.Parallel()
	ok := map[string]string{
		"值班":                     "",
		"当番":                     "",
		"당번":                     "",
		"oncall":                 "",
		"ONCALL":                 "",
		"on-call":                "",
		"On call":                "",
		"值班 XYZ":                 "XYZ",
		"值班:tokyo-primary":       "tokyo-primary",
		"当番：ＸＹＺ":                 "XYZ",
		"당번 서울 팀":                "서울 팀",
		"oncall schedule: XYZ":   "XYZ",
		"on_call system XYZ":     "XYZ",
		"@opsdesk 值班 XYZ":        "XYZ",
		"<@U123ABC> oncall  db ": "db",
		"值班\n\n":                 "",
	}
	for in, want := range ok {
		c, err := Parse(in)
		if err != nil || c != (OnCall{Name: want}) {
			t.Errorf("Parse(%q) = %#v, %v; want OnCall{%q}", in, c, err, want)
		}
	}
	for _, in := range []string{"oncalls", "on callers", "值", "help", "oncallXYZ"} {
		if c, err := Parse(in); err != nil || c.Kind() == KindOnCall {
			t.Errorf("Parse(%q) = %#v, %v; want no oncall command", in, c, err)
		}
	}
	for _, in := range []string{"help oncall", "帮助 值班", "help 当番", "帮助:당번", "help on-call"} {
		if c, err := Parse(in); err != nil || c != (HelpRequest{Topic: KindOnCall}) {
			t.Errorf("Parse(%q) = %#v, %v", in, c, err)
		}
	}
	for in, want := range map[string]Problem{
		"值班 " + strings.Repeat("x", MaxQuery+1): ProblemTooLong,
		"oncall XYZ\nand more":                  ProblemUnexpected,
	} {
		_, err := Parse(in)
		var pe *Error
		if !errors.As(err, &pe) || pe.Kind != KindOnCall || pe.Problem != want {
			t.Fatalf("Parse(%q) = %v, want %s", in, err, want)
		}
		for _, l := range langs {
			d := Describe(pe, l)
			if !strings.HasSuffix(d, Usage(KindOnCall, l)) || !strings.Contains(d, "值班 / oncall") {
				t.Errorf("Describe(%q, %s):\n%s", in, l, d)
			}
		}
	}
}

func TestOnCallUsage(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		"zh": {"【查看谁在值班】", "值班 {值班表或系统}", "oncall {值班表或系统}", "列出所有值班表"},
		"ja": {"【いまの当番（オンコール）を見る】", "当番 {スケジュール名またはシステム名}", "すべてのスケジュール"},
		"en": {"【Who is on call】", "值班 {schedule or system}", "or: oncall {schedule or system}", "Without a name: every schedule"},
		"ko": {"【지금 당번(온콜) 보기】", "당번 {일정 또는 시스템 이름}", "모든 일정"},
	}
	for l, parts := range want {
		u := Usage(KindOnCall, l)
		for _, p := range parts {
			if !strings.Contains(u, p) {
				t.Errorf("Usage(oncall, %s) lacks %q:\n%s", l, p, u)
			}
		}
		if !strings.Contains(Help(l), u) {
			t.Errorf("Help(%s) lacks the oncall command", l)
		}
	}
}
