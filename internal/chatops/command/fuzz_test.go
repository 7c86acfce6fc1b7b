package command

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse: Parse never panics, gives the same answer twice, returns either
// a command or an *Error, and a command it returns is complete and valid.
func FuzzParse(f *testing.F) {
	for _, s := range append([]string{
		caseMsg,
		caseMsg + "\nissueType:customer-service\nlanguage:ja\ncc:a@example.com，b@example.com",
		"提工单 subject:x\nbody:\n\n\nseverityCode:{low}\nserviceCode:s3\ncategoryCode:c",
		"@AWS Case 机器人 帮助", "<@U1|bot> case 12", "回复case：12，谢谢\n第二行", "reply " + fullID + " ok",
		"查找ServiceCode：ＥＣ２", "释放case，case_id：" + fullID, "搜索：障害", "確認：a-1", "\xff\xfe提工单\r\nsubject:\xc3",
		"＠", "@", "<@", "<@>", "提工单\nbody:", "提工单\n:", "提工单\n：：", "subject:", "{", "{}", "【】",
		"值班", "当番：ＸＹＺ", "당번 서울", "on-call schedule: db", "oncall x\ny",
		"create case --account prod" + caseFields, "提工单 --account=" + caseFields, "create case —account\x00x" + caseFields,
		"create case" + caseFields + "\n账号：ｐｒｏｄ", "提工单" + caseFields + "\nアカウント: a\n계정: b", "create case --account --account x",
		"提工单 －－account：" + strings.Repeat("长", 70) + caseFields,
		"maintenance billing 2h deploy v42", "维护 列表", "メンテ 終了 3",
	}, describeCases...) {
		f.Add(s, "")
	}
	f.Add("@ops desk help", "ops desk")
	f.Fuzz(func(t *testing.T, text, name string) {
		p := Parser{Names: []string{name}, CaseLanguage: "ja"}
		c1, err1 := p.Parse(text)
		c2, err2 := p.Parse(text)
		if !reflect.DeepEqual(c1, c2) || !reflect.DeepEqual(err1, err2) {
			t.Fatalf("not deterministic: %#v %v / %#v %v", c1, err1, c2, err2)
		}
		if (c1 == nil) == (err1 == nil) {
			t.Fatalf("want a command or an error: %#v %v", c1, err1)
		}
		if err1 != nil {
			var pe *Error
			if !errors.As(err1, &pe) || pe.Kind == "" || pe.Problem == "" {
				t.Fatalf("bad error %#v", err1)
			}
			for _, l := range langs {
				if d := Describe(pe, l); !strings.HasSuffix(d, Usage(pe.Kind, l)) || !utf8.ValidString(d) {
					t.Fatalf("Describe(%s) = %q", l, d)
				}
			}
			return
		}
		switch c := c1.(type) {
		case HelpRequest:
			if c.Topic != "" && !slices.Contains(Kinds, c.Topic) {
				t.Fatalf("topic %q", c.Topic)
			}
		case CreateCase:
			if c.Subject == "" || c.Body == "" || c.Severity == "" || c.Service == "" || c.Category == "" {
				t.Fatalf("incomplete case %#v", c)
			}
			if !slices.Contains(Severities, c.Severity) || !slices.Contains(IssueTypes, c.IssueType) || !slices.Contains(Languages, c.Language) ||
				!validCode(c.Service) || !validCode(c.Category) || utf16Len(c.Subject) > MaxSubject || utf16Len(c.Body) > MaxBody ||
				len(c.CC) > MaxCC || strings.ContainsAny(c.Subject, "\n") {
				t.Fatalf("invalid case %#v", c)
			}
			for _, a := range c.CC {
				if !ValidEmail(a) {
					t.Fatalf("invalid cc %q", a)
				}
			}
			if n := utf8.RuneCountInString(c.Account); n > MaxAccount || strings.TrimSpace(c.Account) != c.Account ||
				strings.ContainsAny(c.Account, "\r\n\x00") || !utf8.ValidString(c.Account) {
				t.Fatalf("account %q", c.Account)
			}
		case Resolve:
			checkRef(t, c.CaseID)
		case Show:
			checkRef(t, c.CaseID)
		case Reply:
			checkRef(t, c.CaseID)
			if strings.TrimSpace(c.Text) == "" || utf16Len(c.Text) > MaxBody {
				t.Fatalf("reply text %q", c.Text)
			}
		case ServiceLookup:
			if c.Query == "" || utf8.RuneCountInString(c.Query) > MaxQuery {
				t.Fatalf("query %q", c.Query)
			}
		case Search:
			if c.Query == "" || utf8.RuneCountInString(c.Query) > MaxQuery {
				t.Fatalf("query %q", c.Query)
			}
		case Ack:
			if !validAlertID(c.AlertID) {
				t.Fatalf("alert id %q", c.AlertID)
			}
		case OnCall:
			if utf8.RuneCountInString(c.Name) > MaxQuery || strings.ContainsAny(c.Name, "\r\n") || strings.TrimSpace(c.Name) != c.Name || !utf8.ValidString(c.Name) {
				t.Fatalf("schedule name %q", c.Name)
			}
		case Maintenance:
			// FuzzParseMaintenance checks it.
		default:
			t.Fatalf("unknown command %#v", c)
		}
	})
}

func checkRef(t *testing.T, id string) {
	t.Helper()
	if !ValidCaseID(id) && !IsDisplayID(id) {
		t.Fatalf("case id %q", id)
	}
}
