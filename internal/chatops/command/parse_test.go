package command

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const (
	fullID  = "case-123456789012-muen-2024-abcdef0123456789"
	docID   = "case-12345678910-exen-2025-c4c1d2bf33c5cf47" // the API reference's example
	oldID   = "case-12345678910-2013-c4c1d2bf33c5cf47"      // the older example, no language tag
	svcCode = "amazon-elastic-compute-cloud-linux"
)

// caseMsg is a complete create-case message typed the way the seed shows it.
const caseMsg = "提工单\nsubject:EC2 实例无法启动\nbody:i-0abc 启动后立刻停止\nseverityCode:high\nserviceCode:" + svcCode + "\ncategoryCode:instance-issue"

func created(mod func(*CreateCase)) CreateCase {
	c := CreateCase{
		Subject: "EC2 实例无法启动", Body: "i-0abc 启动后立刻停止", Severity: "high",
		Service: svcCode, Category: "instance-issue", IssueType: "technical", Language: "en",
	}
	if mod != nil {
		mod(&c)
	}
	return c
}

func TestParseCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want Command
	}{
		// Help, and anything that is not a command.
		{"empty", "", HelpRequest{}},
		{"blank lines", " \n\u3000\n", HelpRequest{}},
		{"greeting", "你好", HelpRequest{}},
		{"帮助", "帮助", HelpRequest{}},
		{"help upper", "HELP", HelpRequest{}},
		{"mention then 帮助", "@opsdesk 帮助", HelpRequest{}},
		{"full-width mention and help", "＠机器人\u3000ｈｅｌｐ", HelpRequest{}},
		{"DingTalk U+2005 after mention", "@机器人\u2005帮助", HelpRequest{}},
		{"mention alone on first line", "@opsdesk\n\nhelp", HelpRequest{}},
		{"help topic en", "help create", HelpRequest{Topic: KindCreate}},
		{"help topic two words", "help Create Case", HelpRequest{Topic: KindCreate}},
		{"帮助 topic full-width colon", "帮助：提工单", HelpRequest{Topic: KindCreate}},
		{"help topic 释放case", "help 释放case", HelpRequest{Topic: KindResolve}},
		{"slack mention then topic", "<@U024BE7LH> help reply", HelpRequest{Topic: KindReply}},
		{"help topic ack ko", "help 확인", HelpRequest{Topic: KindAck}},
		{"help unknown topic", "help me please", HelpRequest{}},
		{"not the service word", "services are down", HelpRequest{}},
		{"not the search word", "searching for answers", HelpRequest{}},
		{"bare case id is not a command", fullID, HelpRequest{}},
		{"created is not create case", "created case yesterday", HelpRequest{}},
		{"ackn", "acknowledged", HelpRequest{}},

		// Service lookup.
		{"seed form", "查找ServiceCode:EC2", ServiceLookup{Query: "EC2"}},
		{"full-width colon and letters", "查找ServiceCode：ＥＣ２", ServiceLookup{Query: "EC2"}},
		{"lower-case key, spaces", "查找servicecode :  Elastic   Compute ", ServiceLookup{Query: "Elastic Compute"}},
		{"spaced key", "查找 Service Code: s3", ServiceLookup{Query: "s3"}},
		{"seed placeholder braces", "查找ServiceCode:{lambda}", ServiceLookup{Query: "lambda"}},
		{"english", "service ec2", ServiceLookup{Query: "ec2"}},
		{"english colon mixed case", "Service: Amazon S3", ServiceLookup{Query: "Amazon S3"}},
		{"english after mention", "@opsdesk SERVICE   lambda ", ServiceLookup{Query: "lambda"}},
		{"query over two lines", "service amazon\nelastic", ServiceLookup{Query: "amazon elastic"}},

		// Create case.
		{"seed form", caseMsg, created(nil)},
		{"english first line", strings.Replace(caseMsg, "提工单", "Create Case", 1), created(nil)},
		{"create-case", strings.Replace(caseMsg, "提工单", "create-case", 1), created(nil)},
		{"CRLF", strings.ReplaceAll(caseMsg, "\n", "\r\n"), created(nil)},
		{"full-width colons, mixed-case keys, blank lines, spaces",
			"@opsdesk  提工单\n\n  SUBJECT：EC2 实例无法启动  \nBody： i-0abc 启动后立刻停止\n\nSeverity_Code：ＨＩＧＨ\nservice code： " + svcCode + "\nCATEGORYCODE：instance-issue\n\n",
			created(nil)},
		{"first field on the command line", "提工单 subject: EC2 实例无法启动\nbody:i-0abc 启动后立刻停止\nseverityCode:high\nserviceCode:" + svcCode + "\ncategoryCode:instance-issue",
			created(nil)},
		{"trailing mention on the command line", strings.Replace(caseMsg, "提工单", "提工单 @opsdesk", 1), created(nil)},
		{"value on the next line", "提工单\nsubject:\nEC2 实例无法启动\nbody:i-0abc 启动后立刻停止\nseverityCode:high\nserviceCode:" + svcCode + "\ncategoryCode:instance-issue",
			created(nil)},
		{"seed placeholders copied with braces", "提工单\nsubject:{EC2 实例无法启动}\nbody:i-0abc 启动后立刻停止\nseverityCode:{high}\nserviceCode:{" + svcCode + "}\ncategoryCode:{instance-issue}",
			created(nil)},
		{"multi-line body keeps colons, URLs and blank lines",
			"提工单\nsubject:EC2 实例无法启动\nbody:\n  第一行\nError: connection refused\nhttps://example.com/x\n\n10:30 重启后仍然失败\nseverityCode:high\nserviceCode:" + svcCode + "\ncategoryCode:instance-issue",
			created(func(c *CreateCase) {
				c.Body = "第一行\nError: connection refused\nhttps://example.com/x\n\n10:30 重启后仍然失败"
			})},
		{"body typed last, with trailing blank lines", "提工单\nsubject:EC2 实例无法启动\nseverityCode:high\nserviceCode:" + svcCode + "\ncategoryCode:instance-issue\nbody:第一行\n第二行  \n\n\n",
			created(func(c *CreateCase) { c.Body = "第一行\n第二行" })},
		{"subject kept as typed (full-width not folded)", strings.Replace(caseMsg, "EC2 实例无法启动", "ＥＣ２　down", 1),
			created(func(c *CreateCase) { c.Subject = "ＥＣ２　down" })},
		{"optional fields", caseMsg + "\nissueType:Customer-Service\nlanguage：ＪＡ\ncc：a@example.com，B@Example.com、c@example.org; a@EXAMPLE.com\n  d@example.net",
			created(func(c *CreateCase) {
				c.IssueType = "customer-service"
				c.Language = "ja"
				c.CC = []string{"a@example.com", "B@Example.com", "c@example.org", "d@example.net"}
			})},
		{"long key names and Slack mailto", caseMsg + "\nccEmailAddresses: <mailto:ops@example.com|ops@example.com>",
			created(func(c *CreateCase) { c.CC = []string{"ops@example.com"} })},
		{"optional keys left empty keep defaults", caseMsg + "\nissueType:\nlanguage:\ncc:", created(nil)},
		{"communicationBody key", strings.Replace(caseMsg, "body:", "communicationBody:", 1), created(nil)},

		// Resolve.
		{"seed form", "释放case,case_id:" + fullID, Resolve{CaseID: fullID}},
		{"seed form, full-width", "释放case，case_id：１２３４５６７８９０１", Resolve{CaseID: "12345678901"}},
		{"seed demo form", "释放工单:" + docID, Resolve{CaseID: docID}},
		{"old id shape", "释放case " + oldID, Resolve{CaseID: oldID}},
		{"english", "resolve 12345678901", Resolve{CaseID: "12345678901"}},
		{"english upper-case id", "Resolve " + strings.ToUpper(fullID), Resolve{CaseID: fullID}},
		{"english with case word", "resolve case " + fullID, Resolve{CaseID: fullID}},
		{"english with label", "resolve case_id: #12345", Resolve{CaseID: "12345"}},
		{"trailing full stop", "resolve 12345。", Resolve{CaseID: "12345"}},

		// Show.
		{"seed-like", "查询case:12345678901", Show{CaseID: "12345678901"}},
		{"full-width colon", "查询case：" + fullID, Show{CaseID: fullID}},
		{"english", "case 12345678901", Show{CaseID: "12345678901"}},
		{"english colon", "Case: " + fullID, Show{CaseID: fullID}},
		{"english id label", "case id 42", Show{CaseID: "42"}},

		// Reply.
		{"text on the next lines", "回复case:12345678901\n谢谢，已经恢复了。\n\n请关闭。", Reply{CaseID: "12345678901", Text: "谢谢，已经恢复了。\n\n请关闭。"}},
		{"text after a full-width comma", "回复case：12345678901，谢谢", Reply{CaseID: "12345678901", Text: "谢谢"}},
		{"english same line", "reply " + fullID + " thanks, it works now", Reply{CaseID: fullID, Text: "thanks, it works now"}},
		{"english multi-line", "reply 42 first\n  second\n", Reply{CaseID: "42", Text: "first\n  second"}},
		{"english blank first line", "reply 42\n\n\nhello\n", Reply{CaseID: "42", Text: "hello"}},

		{"a trailing mention belongs to the reply", "reply 42 thanks @Tom", Reply{CaseID: "42", Text: "thanks @Tom"}},

		// Search.
		{"seed-like", "搜索:障害", Search{Query: "障害"}},
		{"full-width colon, kept as typed", "搜索：ＥＣ２ 故障", Search{Query: "ＥＣ２ 故障"}},
		{"english", "search  access denied ", Search{Query: "access denied"}},
		{"english quotes kept", `search "access denied" s3`, Search{Query: `"access denied" s3`}},
		{"two lines", "search 장애\nEC2", Search{Query: "장애 EC2"}},

		{"a trailing mention is a search word", "search foo @bar", Search{Query: "foo @bar"}},
		{"emoji with joiners kept whole", "search 👩‍💻 down", Search{Query: "👩‍💻 down"}},

		// Ack.
		{"english", "ack A-1", Ack{AlertID: "A-1"}},
		{"english upper", "ACK alert-42", Ack{AlertID: "alert-42"}},
		{"chinese", "确认：alert-42", Ack{AlertID: "alert-42"}},
		{"japanese", "確認:42", Ack{AlertID: "42"}},
		{"korean", "확인: 42", Ack{AlertID: "42"}},
		{"full-width id", "ack ｘｙｚ１", Ack{AlertID: "xyz1"}},
		{"label", "ack alert_id: zbx:1234", Ack{AlertID: "zbx:1234"}},
		{"trailing mentions after an id", "ack A-1 @opsdesk <@U024BE7LH>", Ack{AlertID: "A-1"}},
		{"trailing mention after a case id", "resolve 42 @opsdesk", Resolve{CaseID: "42"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.want.Kind())+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	type is = Issue
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name string
		in   string
		kind Kind
		want []Issue
	}{
		{"service without name", "查找ServiceCode:", KindService, []is{{Field: FieldName, Problem: ProblemMissing}}},
		{"service without name en", "service", KindService, []is{{Field: FieldName, Problem: ProblemMissing}}},
		{"service name too long", "service " + long(201), KindService, []is{{Field: FieldName, Problem: ProblemTooLong, Limit: 200, Got: 201}}},

		{"create without fields", "提工单", KindCreate, []is{
			{Field: FieldSubject, Problem: ProblemMissing}, {Field: FieldBody, Problem: ProblemMissing},
			{Field: FieldSeverity, Problem: ProblemMissing}, {Field: FieldService, Problem: ProblemMissing},
			{Field: FieldCategory, Problem: ProblemMissing}}},
		{"empty subject and missing category", "create case\nsubject:\nbody:x\nseverityCode:low\nserviceCode:s3",
			KindCreate, []is{{Field: FieldSubject, Problem: ProblemEmpty}, {Field: FieldCategory, Problem: ProblemMissing}}},
		{"unknown key", "提工单\nsevrity: high\nsubject:s\nbody:b\nserviceCode:s3\ncategoryCode:other", KindCreate, []is{
			{Field: "sevrity", Problem: ProblemUnknownKey}, {Field: FieldSeverity, Problem: ProblemMissing}}},
		{"unknown key with a guess", "提工单\nSubjet: s\nbody:b\nseverityCode:low\nserviceCode:s3\ncategoryCode:other", KindCreate, []is{
			{Field: "Subjet", Problem: ProblemUnknownKey, Value: FieldSubject}, {Field: FieldSubject, Problem: ProblemMissing}}},
		{"a key-like body line stays in the body", strings.Replace(caseMsg, "severityCode:high", "Severity: high", 1), KindCreate, []is{
			{Field: FieldSeverity, Problem: ProblemMissing}}},
		{"typo of an optional key after the body", caseMsg + "\nIsueType: customer-service", KindCreate, []is{
			{Field: "IsueType", Problem: ProblemUnknownKey, Value: FieldIssueType}}},
		{"typo of body", "提工单\nsubject:s\nbdy: x\nseverityCode:low\nserviceCode:s3\ncategoryCode:other", KindCreate, []is{
			{Field: "bdy", Problem: ProblemUnknownKey, Value: FieldBody}, {Field: FieldBody, Problem: ProblemMissing}}},
		{"unknown Chinese key", caseMsg + "\n主题：重复", KindCreate, []is{{Field: "主题", Problem: ProblemUnknownKey}}},
		{"duplicate key, reported once", caseMsg + "\nSubject: again\nsubject: and again", KindCreate, []is{{Field: FieldSubject, Problem: ProblemDuplicate}}},
		{"duplicate body swallows its lines", caseMsg + "\nbody: more\nstill more", KindCreate, []is{{Field: FieldBody, Problem: ProblemDuplicate}}},
		{"stray text before the fields", "提工单\n我的 EC2 坏了\n" + strings.TrimPrefix(caseMsg, "提工单\n"), KindCreate, []is{
			{Problem: ProblemUnexpected, Value: "我的 EC2 坏了"}}},
		{"subject over two lines", strings.Replace(caseMsg, "subject:EC2 实例无法启动", "subject:EC2 实例\n无法启动", 1), KindCreate, []is{
			{Problem: ProblemUnexpected, Value: "无法启动"}}},
		{"invalid values", "提工单\nsubject:s\nbody:b\nseverityCode:hgih\nserviceCode:Amazon EC2\ncategoryCode:other\nissueType:billing\nlanguage:fr",
			KindCreate, []is{
				{Field: FieldSeverity, Problem: ProblemInvalid, Value: "hgih"},
				{Field: FieldService, Problem: ProblemInvalid, Value: "amazon ec2"},
				{Field: FieldIssueType, Problem: ProblemInvalid, Value: "billing"},
				{Field: FieldLanguage, Problem: ProblemInvalid, Value: "fr"}}},
		{"bad cc addresses", caseMsg + "\ncc: ops@example.com, not-an-email, Bob <bob@example.com>, x@localhost", KindCreate, []is{
			{Field: FieldCC, Problem: ProblemInvalid, Value: "not-an-email"},
			{Field: FieldCC, Problem: ProblemInvalid, Value: "Bob"},
			{Field: FieldCC, Problem: ProblemInvalid, Value: "<bob@example.com>"},
			{Field: FieldCC, Problem: ProblemInvalid, Value: "x@localhost"}}},
		{"too many cc", caseMsg + "\ncc:" + strings.Repeat("a@example.com,", 0) + ccList(11), KindCreate, []is{
			{Field: FieldCC, Problem: ProblemTooMany, Limit: 10, Got: 11}}},
		{"subject too long", strings.Replace(caseMsg, "EC2 实例无法启动", long(256), 1), KindCreate, []is{
			{Field: FieldSubject, Problem: ProblemTooLong, Limit: 255, Got: 256}}},
		{"body too long", strings.Replace(caseMsg, "i-0abc 启动后立刻停止", long(8001), 1), KindCreate, []is{
			{Field: FieldBody, Problem: ProblemTooLong, Limit: 8000, Got: 8001}}},
		{"body length counts UTF-16 units", strings.Replace(caseMsg, "i-0abc 启动后立刻停止", strings.Repeat("😀", 4001), 1), KindCreate, []is{
			{Field: FieldBody, Problem: ProblemTooLong, Limit: 8000, Got: 8002}}},
		{"message over the limit", "提工单\nsubject:s\nbody:" + long(32000), KindCreate, []is{
			{Field: FieldMessage, Problem: ProblemTooLong, Limit: 32000, Got: 32000 + len("提工单\nsubject:s\nbody:") - 6}}},
		{"message over the limit after a mention line", "@opsdesk\n\nreply 12 " + long(40000), KindReply, []is{
			{Field: FieldMessage, Problem: ProblemTooLong, Limit: 32000, Got: 40000 + len("@opsdesk\n\nreply 12 ")}}},
		{"fields without the command line", "subject: EC2 down\nbody: x", KindCreate, []is{{Field: FieldCommand, Problem: ProblemNoCommand}}},

		{"resolve without id", "释放case,case_id:", KindResolve, []is{{Field: FieldCaseID, Problem: ProblemMissing}}},
		{"resolve without id en", "resolve", KindResolve, []is{{Field: FieldCaseID, Problem: ProblemMissing}}},
		{"resolve bad id", "resolve abc", KindResolve, []is{{Field: FieldCaseID, Problem: ProblemInvalid, Value: "abc"}}},
		{"resolve two ids", "resolve 123 456", KindResolve, []is{{Field: FieldCaseID, Problem: ProblemInvalid, Value: "123 456"}}},
		{"resolve truncated full id", "resolve case-123456789012-muen-2024", KindResolve, []is{{Field: FieldCaseID, Problem: ProblemInvalid, Value: "case-123456789012-muen-2024"}}},
		{"resolve with an extra line", "resolve 123\nplease", KindResolve, []is{{Problem: ProblemUnexpected, Value: "please"}}},
		{"show without id", "查询case:", KindShow, []is{{Field: FieldCaseID, Problem: ProblemMissing}}},
		{"show bad id", "case closed", KindShow, []is{{Field: FieldCaseID, Problem: ProblemInvalid, Value: "closed"}}},

		{"reply without anything", "回复case:", KindReply, []is{{Field: FieldCaseID, Problem: ProblemMissing}, {Field: FieldText, Problem: ProblemMissing}}},
		{"reply without text", "reply 123", KindReply, []is{{Field: FieldText, Problem: ProblemMissing}}},
		{"reply bad id", "reply thanks a lot", KindReply, []is{{Field: FieldCaseID, Problem: ProblemInvalid, Value: "thanks"}}},
		{"reply too long", "reply 123 " + long(8001), KindReply, []is{{Field: FieldText, Problem: ProblemTooLong, Limit: 8000, Got: 8001}}},

		{"search without words", "搜索：", KindSearch, []is{{Field: FieldWords, Problem: ProblemMissing}}},
		{"search too long", "search " + long(201), KindSearch, []is{{Field: FieldWords, Problem: ProblemTooLong, Limit: 200, Got: 201}}},

		{"ack without id", "ack", KindAck, []is{{Field: FieldAlertID, Problem: ProblemMissing}}},
		{"ack bad id", "确认：a b", KindAck, []is{{Field: FieldAlertID, Problem: ProblemInvalid, Value: "a b"}}},
		{"ack id too long", "ack " + long(65), KindAck, []is{{Field: FieldAlertID, Problem: ProblemInvalid, Value: long(40) + "…"}}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in)
			if got != nil {
				t.Fatalf("Parse(%q) returned a command %#v with error %v", tt.in, got, err)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %v, want *Error", tt.in, err)
			}
			if pe.Kind != tt.kind {
				t.Errorf("Kind = %s, want %s", pe.Kind, tt.kind)
			}
			if !reflect.DeepEqual(pe.Issues(), tt.want) {
				t.Errorf("issues\n got %+v\nwant %+v", pe.Issues(), tt.want)
			}
			if pe.Field != tt.want[0].Field || pe.Problem != tt.want[0].Problem {
				t.Errorf("first issue %s/%s, want %s/%s", pe.Field, pe.Problem, tt.want[0].Field, tt.want[0].Problem)
			}
		})
	}
}

func ccList(n int) string {
	var b []string
	for i := range n {
		b = append(b, "user"+string(rune('a'+i))+"@example.com")
	}
	return strings.Join(b, ",")
}

func TestParseHugeNonCommand(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"hello " + strings.Repeat("x", 200000), strings.Repeat("\n", 40000), "help " + strings.Repeat("<@U1>", 50000)} {
		if got, err := Parse(in); err != nil || got != (HelpRequest{}) {
			t.Errorf("Parse(%.20q…) = %#v, %v", in, got, err)
		}
	}
}

func TestParserOptions(t *testing.T) {
	t.Parallel()
	p := Parser{CaseLanguage: "zh", Names: []string{"AWS Case 机器人", "AWS"}}
	got, err := p.Parse(caseMsg)
	if err != nil || got.(CreateCase).Language != "zh" {
		t.Fatalf("CaseLanguage: %#v %v", got, err)
	}
	// The message's own language wins over the default.
	got, err = p.Parse(caseMsg + "\nlanguage: ko")
	if err != nil || got.(CreateCase).Language != "ko" {
		t.Fatalf("language line: %#v %v", got, err)
	}
	// An unusable default falls back to en.
	got, err = Parser{CaseLanguage: "fr"}.Parse(caseMsg)
	if err != nil || got.(CreateCase).Language != "en" {
		t.Fatalf("bad default: %#v %v", got, err)
	}

	// A robot name with spaces is removed whole, at the start or the end.
	for _, in := range []string{"@AWS Case 机器人 帮助 提工单", "＠ａｗｓ　case 机器人 help create", "help create @AWS Case 机器人"} {
		got, err := p.Parse(in)
		if err != nil || got != (HelpRequest{Topic: KindCreate}) {
			t.Errorf("Parse(%q) = %#v %v", in, got, err)
		}
	}
	// Without the name only "@AWS" goes, and the rest reads as "case …".
	if _, err := Parse("@AWS Case 机器人 帮助 提工单"); err == nil {
		t.Error("without Names the spaced name should not be understood")
	}
}

func TestCaseIDShapes(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{fullID, docID, oldID, "case-123456789012-muja-2025-aaaaaaaaaaaaaaa1"} {
		if !ValidCaseID(ok) {
			t.Errorf("ValidCaseID(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "case-", "12345678901", "case-1234-muen-2024-abcdef01", "case-123456789012-muen-24-abcdef0123456789",
		"case-123456789012-muen-2024-xyz", strings.ToUpper(fullID), fullID + " ", "case-123456789012-muen-2024-abcdef0123456789-x"} {
		if ValidCaseID(bad) {
			t.Errorf("ValidCaseID(%q) = true", bad)
		}
	}
	for _, ok := range []string{"1", "12345678901", "99999999999999999999"} {
		if !IsDisplayID(ok) {
			t.Errorf("IsDisplayID(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "12a", "-1", "123456789012345678901", "１２"} {
		if IsDisplayID(bad) {
			t.Errorf("IsDisplayID(%q) = true", bad)
		}
	}
}

func TestValidEmail(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"a@example.com", "first.last+tag@sub.example.co.jp", "o'brien@example.ie"} {
		if !ValidEmail(ok) {
			t.Errorf("ValidEmail(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "a", "a@", "@example.com", "a@localhost", "a@.example.com", "a@example.com.", "a@exa..mple.com",
		"Bob <a@example.com>", "<a@example.com>", `"a b"@example.com`, "a b@example.com", "a@b@example.com", strings.Repeat("a", 250) + "@example.com"} {
		if ValidEmail(bad) {
			t.Errorf("ValidEmail(%q) = true", bad)
		}
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	_, err := Parse("create case\nsubject:s\nbody:" + strings.Repeat("x", 8001) + "\nseverityCode:hgih\nserviceCode:s3")
	want := `command create: body: too_long (8001 > 8000); severityCode: invalid "hgih"; categoryCode: missing`
	if err == nil || err.Error() != want {
		t.Fatalf("Error() = %v\nwant %s", err, want)
	}
}
