package command

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const caseFields = "\nsubject:EC2 实例无法启动\nbody:i-0abc 启动后立刻停止\nseverityCode:high\nserviceCode:" + svcCode + "\ncategoryCode:instance-issue"

// TestCreateCaseAccount: the account comes from the --account flag or an
// account line in any language; a bad or repeated one is an error naming
// the field.
func TestCreateCaseAccount(t *testing.T) {
	t.Parallel()
	ok := []struct{ name, text, want string }{
		{"flag", "create case --account prod" + caseFields, "prod"},
		{"flag equals", "create case --account=prod" + caseFields, "prod"},
		{"flag chinese", "提工单 --account 111111111111" + caseFields, "111111111111"},
		{"long dash", "create case —account staging" + caseFields, "staging"},
		{"full-width", "提工单 －－account：ｐｒｏｄ" + caseFields, "ｐｒｏｄ"},
		{"flag and first field", "create case --account prod subject:EC2 实例无法启动\nbody:i-0abc 启动后立刻停止\nseverityCode:high\nserviceCode:" + svcCode + "\ncategoryCode:instance-issue", "prod"},
		{"line en", "create case" + caseFields + "\naccount: prod", "prod"},
		{"line zh", "提工单" + caseFields + "\n账号: prod", "prod"},
		{"line zh full-width colon", "提工单" + caseFields + "\n账号：prod", "prod"},
		{"line ja", "提工单" + caseFields + "\nアカウント: prod", "prod"},
		{"line ko", "提工单" + caseFields + "\n계정: Team Prod", "Team Prod"},
		{"line braces", "create case" + caseFields + "\nAccount:{prod}", "prod"},
		{"none", "create case" + caseFields, ""},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cmd, err := Parse(c.text)
			if err != nil {
				t.Fatal(err)
			}
			cc := cmd.(CreateCase)
			if cc.Account != c.want {
				t.Errorf("account %q, want %q", cc.Account, c.want)
			}
			if want := created(func(x *CreateCase) { x.Account = c.want }); !reflect.DeepEqual(cc, want) {
				t.Errorf("parsed %#v, want %#v", cc, want)
			}
		})
	}
	bad := []struct {
		name, text string
		problem    Problem
	}{
		{"flag without value", "create case --account" + caseFields, ProblemEmpty},
		{"empty line", "create case" + caseFields + "\naccount:", ProblemEmpty},
		{"flag and line", "create case --account prod" + caseFields + "\n账号: dev", ProblemDuplicate},
		{"two lines", "create case" + caseFields + "\naccount: a\n계정: b", ProblemDuplicate},
		{"too long", "create case" + caseFields + "\naccount: " + strings.Repeat("a", MaxAccount+1), ProblemTooLong},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(c.text)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("no error: %v", err)
			}
			found := false
			for _, is := range append([]Issue{{Field: e.Field, Problem: e.Problem}}, e.More...) {
				found = found || (is.Field == FieldAccount && is.Problem == c.problem)
			}
			if !found {
				t.Errorf("error %v does not report %s on %s", err, c.problem, FieldAccount)
			}
			for _, l := range langs {
				if d := Describe(e, l); !strings.Contains(d, FieldAccount) {
					t.Errorf("Describe(%s) does not name the field: %q", l, d)
				}
			}
		})
	}
}
