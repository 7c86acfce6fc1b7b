package command

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var langs = []string{"zh", "ja", "en", "ko"}

func TestHelpListsEveryCommand(t *testing.T) {
	t.Parallel()
	// The seed's Chinese forms and the English aliases appear in every
	// language.
	forms := []string{
		"查找ServiceCode:{", "service {",
		"提工单\nsubject:{", "body:{", "severityCode:{low|normal|high|urgent|critical}", "serviceCode:{", "categoryCode:{",
		"issueType:{technical|customer-service}", "language:{en|ja|zh|ko}", "cc:{", "create case",
		"释放case,case_id:{case_id}", "resolve {case_id}",
		"查询case:{case_id}", "case {case_id}",
		"回复case:{case_id}", "reply {case_id} {",
		"搜索:{", "search {",
		"确认:{", "ack {",
		"帮助", "help",
	}
	seen := map[string]bool{}
	for _, l := range langs {
		h := Help(l)
		if seen[h] {
			t.Errorf("Help(%s) is the same text as another language", l)
		}
		seen[h] = true
		for _, f := range forms {
			if !strings.Contains(h, f) {
				t.Errorf("Help(%s) lacks %q", l, f)
			}
		}
		for _, k := range Kinds {
			if !strings.Contains(h, Usage(k, l)) {
				t.Errorf("Help(%s) lacks Usage(%s)", l, k)
			}
		}
		// Safe in DingTalk markdown and Slack mrkdwn: no <…> (Slack links),
		// no * or ~ (bold, strike), no backticks.
		if strings.ContainsAny(h, "<>*~`") {
			t.Errorf("Help(%s) has markup characters", l)
		}
	}
	if !strings.Contains(Help("ja"), "確認:{") || !strings.Contains(Help("ko"), "확인:{") {
		t.Error("ja/ko help lacks their own ack word")
	}
}

func TestLanguageSelection(t *testing.T) {
	t.Parallel()
	tests := map[string]string{"": "zh", "zh-CN": "zh", "ja_JP": "ja", "JA": "ja", "en-US": "en", "ko-KR": "ko", "fr": "zh", "x-y": "zh"}
	for tag, want := range tests {
		if Help(tag) != Help(want) {
			t.Errorf("Help(%q) is not Help(%q)", tag, want)
		}
	}
	if !strings.Contains(Help("en"), "I'm the AWS Support case bot") || !strings.Contains(Help("zh"), "工单机器人") ||
		!strings.Contains(Help("ja"), "ボット") || !strings.Contains(Help("ko"), "봇입니다") {
		t.Error("intro not in the language asked for")
	}
}

// placeholder matches a {…} placeholder of the format.
var placeholder = regexp.MustCompile(`\{[^}]*\}`)

// The formats the help shows are formats the parser accepts: fill the
// placeholders of every Usage and parse the result.
func TestUsageFormatsParse(t *testing.T) {
	t.Parallel()
	sample := map[string]string{
		"subject": "EC2 down", "body": "details", "severityCode": "urgent", "serviceCode": svcCode,
		"categoryCode": "instance-issue", "issueType": "customer-service", "language": "ko", "cc": "a@example.com,b@example.com",
		"account": "prod",
	}
	for _, l := range langs {
		for _, k := range Kinds {
			lines := strings.Split(Usage(k, l), "\n")[1:] // drop the title
			var msgs []string
			switch k {
			case KindCreate:
				var b []string
				for _, ln := range lines[:len(lines)-1] { // the last line explains the English form
					key, _, _ := strings.Cut(ln, ":")
					if v, ok := sample[key]; ok {
						ln = key + ":" + v
					}
					b = append(b, ln)
				}
				msg := strings.Join(b, "\n")
				msgs = append(msgs, msg, strings.Replace(msg, "提工单", "create case", 1))
			case KindReply:
				msgs = append(msgs, fill(lines[0]+"\n"+lines[1], "12345678901"), fill(afterOr(lines[2]), "12345678901"))
			case KindHelp:
				msgs = append(msgs, lines[0])
			case KindMaintenance:
				// Every line but the last note is a format; the list and
				// end lines end with what they do, in parentheses.
				for _, ln := range lines[:len(lines)-1] {
					ln, _, _ = strings.Cut(afterOr(ln), "  (")
					if strings.HasPrefix(ln, "maintenance end") {
						msgs = append(msgs, fill(ln, "12"))
						continue
					}
					n := 0
					msgs = append(msgs, placeholder.ReplaceAllStringFunc(ln, func(string) string {
						n++
						return []string{"billing", "2h", "deploy v42"}[min(n, 3)-1]
					}))
				}
			default:
				msgs = append(msgs, fill(lines[0], "12345678901"), fill(afterOr(lines[1]), "12345678901"))
			}
			for _, m := range msgs {
				c, err := Parse(m)
				if err != nil || c.Kind() != k {
					t.Errorf("%s/%s: Parse(%q) = %#v, %v", l, k, m, c, err)
				}
				if cc, ok := c.(CreateCase); ok && (cc.Severity != "urgent" || cc.Language != "ko" || len(cc.CC) != 2 || cc.IssueType != "customer-service" || cc.Account != "prod") {
					t.Errorf("%s: create case from the format: %#v", l, cc)
				}
			}
		}
	}
}

// fill replaces the first placeholder with id and the others with text.
func fill(s, id string) string {
	n := 0
	return placeholder.ReplaceAllStringFunc(s, func(string) string {
		n++
		if n == 1 {
			return id
		}
		return "some text"
	})
}

// afterOr strips the language's "or:" from an alternative line.
func afterOr(s string) string {
	for _, l := range langs {
		if rest, ok := strings.CutPrefix(s, pick(l).or); ok {
			return rest
		}
	}
	return s
}

// One message per (kind, problem) the parser produces, with its values.
var describeCases = []string{
	"service",
	"service " + strings.Repeat("s", 201),
	"提工单",
	"create case\nsubject:\nbody:b\nseverityCode:HGIH\nserviceCode:Amazon EC2\ncategoryCode:c\nissueType:x\nlanguage:fr\ncc:nope," + ccList(11),
	"提工单\nstray\nsevrity: x\nSubjet: y\nsubject:" + strings.Repeat("s", 256) + "\nsubject:again\nbody:b\nseverityCode:low\nserviceCode:s3\ncategoryCode:c",
	"subject: x",
	"resolve", "resolve abc", "resolve 1\nmore",
	"case", "case closed",
	"reply", "reply x y", "reply 1 " + strings.Repeat("r", 8001),
	"search", "search " + strings.Repeat("w", 201),
	"ack", "ack a b",
	"search " + strings.Repeat("w ", 20000),
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	covered := map[Kind]map[Problem]bool{}
	for _, in := range describeCases {
		_, err := Parse(in)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("Parse(%q) = %v, want *Error", in, err)
		}
		for _, l := range langs {
			d := Describe(pe, l)
			if !strings.HasSuffix(d, Usage(pe.Kind, l)) {
				t.Errorf("Describe(%q, %s) does not end with the command's format:\n%s", in, l, d)
			}
			if !strings.Contains(d, commandNames[pe.Kind]) {
				t.Errorf("Describe(%q, %s) does not name the command", in, l)
			}
			for _, is := range pe.Issues() {
				if covered[pe.Kind] == nil {
					covered[pe.Kind] = map[Problem]bool{}
				}
				covered[pe.Kind][is.Problem] = true
				if label := FieldLabel(is.Field, l); label != "" && !strings.Contains(d, label) {
					t.Errorf("Describe(%q, %s) does not name field %q (%q):\n%s", in, l, is.Field, label, d)
				}
				if is.Value != "" && !strings.Contains(d, is.Value) {
					t.Errorf("Describe(%q, %s) does not show value %q", in, l, is.Value)
				}
				if is.Limit > 0 && (!strings.Contains(d, strconv.Itoa(is.Limit)) || !strings.Contains(d, strconv.Itoa(is.Got))) {
					t.Errorf("Describe(%q, %s) does not show %d and %d", in, l, is.Limit, is.Got)
				}
			}
			// One bullet per issue.
			if got := strings.Count(d, "\n- "); got != len(pe.Issues()) {
				t.Errorf("Describe(%q, %s) has %d bullets for %d issues", in, l, got, len(pe.Issues()))
			}
		}
	}
	// Every problem the parser can report was rendered above.
	want := map[Kind][]Problem{
		KindService: {ProblemMissing, ProblemTooLong},
		KindCreate: {ProblemMissing, ProblemEmpty, ProblemInvalid, ProblemTooLong, ProblemTooMany, ProblemUnknownKey,
			ProblemDuplicate, ProblemUnexpected, ProblemNoCommand},
		KindResolve: {ProblemMissing, ProblemInvalid, ProblemUnexpected},
		KindShow:    {ProblemMissing, ProblemInvalid},
		KindReply:   {ProblemMissing, ProblemInvalid, ProblemTooLong},
		KindSearch:  {ProblemMissing, ProblemTooLong},
		KindAck:     {ProblemMissing, ProblemInvalid},
	}
	for k, ps := range want {
		for _, p := range ps {
			if !covered[k][p] {
				t.Errorf("no Describe case for %s/%s", k, p)
			}
		}
	}
}

func TestDescribeWording(t *testing.T) {
	t.Parallel()
	_, err := Parse("create case\nsubject:s\nbody:b\nseverityCode:hgih\nserviceCode:s3")
	pe := err.(*Error)
	want := map[string][]string{
		"zh": {"「提工单 / create case」没有执行", "severityCode 的值「hgih」不正确。可选值：low、normal、high、urgent、critical。", "缺少 categoryCode。", "正确格式："},
		"ja": {"実行していません", "severityCode の値「hgih」は使えません。使える値：low、normal、high、urgent、critical。", "categoryCode がありません。", "正しい書き方："},
		"en": {`I did not run "提工单 / create case"`, `"hgih" is not a valid severityCode. Choose one of: low, normal, high, urgent, critical.`, "categoryCode is missing.", "Correct format:"},
		"ko": {"실행하지 않았습니다", `severityCode 값 "hgih"은(는) 쓸 수 없습니다. 쓸 수 있는 값: low, normal, high, urgent, critical.`, "categoryCode 항목이 없습니다.", "올바른 형식:"},
	}
	for l, parts := range want {
		d := Describe(pe, l)
		for _, p := range parts {
			if !strings.Contains(d, p) {
				t.Errorf("Describe(%s) lacks %q:\n%s", l, p, d)
			}
		}
	}
	_, err = Parse("提工单\nSubjet: y")
	if d := Describe(err.(*Error), "en"); !strings.Contains(d, `I don't know the field "Subjet". Did you mean subject?`) {
		t.Errorf("no suggestion:\n%s", d)
	}
	if Describe(nil, "en") != Help("en") {
		t.Error("Describe(nil) should be the help")
	}
}
