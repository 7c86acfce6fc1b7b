package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/chatops"
	"github.com/opsdesk/opsdesk/internal/chatops/command"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

const (
	chatAppSecret   = "dingtalk-app-secret-0123456789"
	chatRobotSecret = "SECchat-robot-secret"
	chatSlackSecret = "slack-signing-secret-0123456789"
	lead            = "staff-lead"   // may create and resolve
	member          = "staff-member" // may only read
)

type chatEnv struct {
	t         *testing.T
	s         *apptest.Server
	support   *fake.Support
	sessions  *fake.DingTalkSession
	robot     *fake.DingTalk
	slackResp *fake.SlackResponse
	slackHook *fake.Slack
	seq       atomic.Int64
}

// say posts a signed callback for text from sender in conversation, with a
// fresh session that lives an hour, and returns the session URL and the
// request (for replays).
func (e *chatEnv) say(sender, conversation, text string) (string, *http.Request) {
	e.t.Helper()
	session := e.sessions.Open(conversation, time.Now().Add(time.Hour))
	req := e.callback(sender, conversation, text, session, time.Now().Add(time.Hour))
	if code := e.send(req); code != http.StatusOK {
		e.t.Fatalf("callback %q: HTTP %d", text, code)
	}
	return session, req
}

func (e *chatEnv) callback(sender, conversation, text, session string, expires time.Time) *http.Request {
	cb := fake.DingTalkCallback{
		MsgID: fmt.Sprintf("msg-%d-%d", time.Now().UnixNano(), e.seq.Add(1)), Text: text, SenderStaffID: sender, SenderNick: "Nick " + sender,
		ConversationID: conversation, ConversationTitle: "Ops " + conversation, SessionWebhook: session, SessionExpires: expires,
		IsInAtList: true, CreateAt: time.Now(),
	}
	return cb.Request(e.s.URL+"/hooks/dingtalk", chatAppSecret, time.Now())
}

func (e *chatEnv) send(req *http.Request) int {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// updateTitle is the first line of a case update: updates go to the
// conversation's latest session, so they may share one with a reply.
var updateTitle = regexp.MustCompile(`^工单 [0-9]+ (有 AWS 的新回复|已解决|已重新打开)$`)

// reply waits for the one reply posted to a session.
func (e *chatEnv) reply(session string) string {
	e.t.Helper()
	var got []string
	poll(e.t, 30*time.Second, "a reply on the session", func() bool {
		got = got[:0]
		for _, m := range e.sessions.MessagesTo(session) {
			if first, _, _ := strings.Cut(m.Text, "\n"); !updateTitle.MatchString(first) {
				got = append(got, m.Text)
			}
		}
		return len(got) > 0
	})
	if len(got) != 1 {
		e.t.Fatalf("%d replies on one session: %q", len(got), got)
	}
	return got[0]
}

// ask says text and returns the reply.
func (e *chatEnv) ask(sender, conversation, text string) string {
	e.t.Helper()
	session, _ := e.say(sender, conversation, text)
	return e.reply(session)
}

func (e *chatEnv) count(q string, args ...any) int {
	e.t.Helper()
	st := e.s.App.St
	var n int
	if err := st.R.QueryRow(st.Q(q), args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func poll(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustContain(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Fatalf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}

// conversationUpdates are the messages posted to a conversation that
// contain s (updates go to the conversation's latest session).
func (e *chatEnv) conversationUpdates(conv, s string) int {
	n := 0
	for _, m := range e.sessions.MessagesIn(conv) {
		if strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}

func (e *chatEnv) slackUpdates(s string) int {
	n := 0
	for _, m := range e.slackHook.Messages() {
		if strings.Contains(m.HeaderText(), s) {
			n++
		}
	}
	return n
}

// sync queues the sync of one case, as an EventBridge "Support Case
// Update" event does.
func (e *chatEnv) sync(caseID, reason string) {
	e.t.Helper()
	if _, err := e.s.App.Queue.Insert(context.Background(), cases.SyncCaseArgs{Account: "prod", CaseID: caseID, Reason: reason}, nil); err != nil {
		e.t.Fatal(err)
	}
}

// checkUpdatesNow runs a full update check and waits for it to finish.
func (e *chatEnv) checkUpdatesNow(reason string) {
	e.t.Helper()
	if _, err := e.s.App.Queue.Insert(context.Background(), chatops.UpdatesArgs{Reason: reason}, nil); err != nil {
		e.t.Fatal(err)
	}
	st := e.s.App.St
	poll(e.t, 30*time.Second, "the update check "+reason, func() bool {
		rows, err := st.R.Query(`SELECT ` + st.JSONText("args") + `, state FROM river_job WHERE kind = 'chat_updates'`)
		if err != nil {
			e.t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var args []byte
			var state string
			if err := rows.Scan(&args, &state); err != nil {
				e.t.Fatal(err)
			}
			var a chatops.UpdatesArgs
			if json.Unmarshal(args, &a) == nil && a.Reason == reason && state == "completed" {
				return true
			}
		}
		return false
	})
}

// TestChatOps drives the DingTalk robot and the Slack command end to end on
// both engines: signed callback → job → fake Support API → reply on the
// fake session webhook (or the robot webhook, or the response URL), the
// audit log, and case updates back to chat.
func TestChatOps(t *testing.T) {
	f := fake.NewSupport(t)
	t.Setenv("AWS_ACCESS_KEY_ID", f.AccessKeyID())
	t.Setenv("AWS_SECRET_ACCESS_KEY", f.SecretAccessKey())
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			sup := fake.NewSupport(t) // same default credentials, own cases
			e := &chatEnv{t: t, support: sup, sessions: fake.NewDingTalkSession(t), robot: fake.NewDingTalk(t, fake.WithSecret(chatRobotSecret)),
				slackResp: fake.NewSlackResponse(t), slackHook: fake.NewSlack(t)}
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
base_url: https://opsdesk.example.com
aws:
  accounts:
    - {name: prod, languages: [en, zh]}
destinations:
  - {name: ops-slack, type: slack, url: '` + e.slackHook.URL() + `'}
chat:
  dingtalk:
    app_secret_env: DT_APP_SECRET
    webhook_url: '` + e.robot.URL() + `'
    webhook_secret_env: DT_ROBOT_SECRET
    allow:
      create: [` + lead + `]
      resolve: [` + lead + `]
  slack:
    signing_secret_env: SLACK_SIGNING
  updates:
    - {destination: ops-slack, min_severity: high}
`))
			if err != nil {
				t.Fatal(err)
			}
			e.s = apptest.Start(t, cfg, map[string]string{
				"AWS_ENDPOINT_URL_SUPPORT": sup.URL(),
				"DT_APP_SECRET":            chatAppSecret,
				"DT_ROBOT_SECRET":          chatRobotSecret,
				"SLACK_SIGNING":            chatSlackSecret,
			})
			runChat(t, e)
		})
	}
}

func runChat(t *testing.T, e *chatEnv) {
	sup := e.support
	// Help: anything that is not a command.
	if got := e.ask(member, "cidOps", "你好"); got != command.Help("zh") {
		t.Fatalf("help reply:\n%s", got)
	}

	// Service lookup, full-width colon.
	got := e.ask(member, "cidOps", "查找ServiceCode：EC2")
	mustContain(t, "service lookup", got, "amazon-elastic-compute-cloud-linux", "amazon-elastic-compute-cloud-windows", "instance-issue")

	// A malformed create names what is missing and creates nothing.
	got = e.ask(lead, "cidOps", "提工单\nsubject: 测试\nbody: 正文\nserviceCode: aws-lambda\ncategoryCode: performance")
	mustContain(t, "malformed create", got, "缺少 severityCode", "正确格式", "severityCode:{low|normal|high|urgent|critical}")
	// A code AWS does not have: the service's categories are listed.
	got = e.ask(lead, "cidOps", "提工单\nsubject: 测试\nbody: 正文\nseverityCode: high\nserviceCode: aws-lambda\ncategoryCode: no-such-category")
	mustContain(t, "unknown category", got, "categoryCode", "no-such-category", "performance, configuration, general-guidance")
	// A sender who may not create.
	createMsg := "@opsdesk 提工单\nsubject: 订单服务 Lambda 超时 zebracorn\nbody: 从 10:30 开始 p99 超过 3 秒\nseverityCode: high\nserviceCode: aws-lambda\ncategoryCode: performance"
	got = e.ask(member, "cidOps", createMsg)
	mustContain(t, "forbidden create", got, member, "chat.dingtalk.allow.create", "cidOps")
	if n := sup.NumCases(); n != 0 || sup.Calls("CreateCase") != 0 {
		t.Fatalf("%d cases, %d CreateCase calls after refused commands", n, sup.Calls("CreateCase"))
	}

	// Create.
	got = e.ask(lead, "cidOps", createMsg)
	cs := sup.Cases()
	if len(cs) != 1 {
		t.Fatalf("%d cases after create; reply:\n%s", len(cs), got)
	}
	c := cs[0]
	mustContain(t, "create", got, "工单已创建", c.CaseID, c.DisplayID, "订单服务 Lambda 超时", "https://opsdesk.example.com/cases/"+c.CaseID)
	if c.Subject != "订单服务 Lambda 超时 zebracorn" || c.SeverityCode != "high" || c.ServiceCode != "aws-lambda" || c.CategoryCode != "performance" ||
		!strings.HasPrefix(c.Communications[0].Body, "从 10:30 开始 p99 超过 3 秒") || !strings.Contains(c.Communications[0].Body, "Nick "+lead) {
		t.Fatalf("created case %+v", c)
	}
	// In the archive at once.
	archived, _, err := e.s.App.Syncer.Store.Get(context.Background(), c.CaseID)
	if err != nil || archived.DisplayID != c.DisplayID || archived.Status != "unassigned" {
		t.Fatalf("archive: %+v %v", archived, err)
	}
	if n := e.count(`SELECT count(*) FROM chat_audit WHERE kind = 'create' AND result = 'ok' AND sender_id = ? AND conversation_id = ? AND case_id = ?`, lead, "cidOps", c.CaseID); n != 1 {
		t.Fatalf("create audited %d times", n)
	}

	// Show, by display id (refreshed from AWS first).
	got = e.ask(member, "cidOps", "查询case:"+c.DisplayID)
	mustContain(t, "show", got, c.DisplayID, c.CaseID, "unassigned", "high", "aws-lambda", "从 10:30 开始")

	// Reply.
	got = e.ask(lead, "cidOps", "回复case:"+c.DisplayID+"\n已经回滚到上一个版本，\n请帮忙确认。")
	mustContain(t, "reply", got, "已把你的回复添加到工单 "+c.DisplayID)
	now, _ := sup.Case(c.CaseID)
	if last := now.Communications[len(now.Communications)-1]; !strings.HasPrefix(last.Body, "已经回滚到上一个版本，\n请帮忙确认。") {
		t.Fatalf("last message on the case: %q", last.Body)
	}

	// Search, with console links.
	got = e.ask(member, "cidOps", "搜索:zebracorn")
	mustContain(t, "search", got, c.DisplayID, "https://opsdesk.example.com/cases/"+c.CaseID)

	// Ack: no such alert (or, without the alerts capability, no phone
	// escalation at all); either way the answer says so in words.
	got = e.ask(lead, "cidOps", "确认:12")
	if !strings.HasPrefix(got, "无法确认告警 12：") && !strings.Contains(got, "没有配置电话告警升级") {
		t.Fatalf("ack reply: %s", got)
	}

	// Case updates: AWS answers (the status moves, as it does on AWS) and
	// an event makes opsdesk sync the case.
	sup.AddCommunication(c.CaseID, fake.SupportCommunication{Body: "We are investigating the Lambda timeouts."})
	sup.SetStatus(c.CaseID, "pending-customer-action")
	e.sync(c.CaseID, "event-1")
	replyTitle := "工单 " + c.DisplayID + " 有 AWS 的新回复"
	poll(t, 30*time.Second, "the AWS reply in the conversation and on Slack", func() bool {
		return e.conversationUpdates("cidOps", replyTitle) > 0 && e.slackUpdates("Case "+c.DisplayID+": new reply from AWS") > 0
	})
	for _, m := range e.sessions.MessagesIn("cidOps") {
		if strings.Contains(m.Text, replyTitle) {
			mustContain(t, "update", m.Text, "We are investigating the Lambda timeouts.", "https://opsdesk.example.com/cases/"+c.CaseID)
		}
	}
	// Resolved on the AWS side.
	sup.SetStatus(c.CaseID, "resolved")
	e.sync(c.CaseID, "event-2")
	resolvedTitle := "工单 " + c.DisplayID + " 已解决"
	poll(t, 30*time.Second, "the resolution in the conversation and on Slack", func() bool {
		return e.conversationUpdates("cidOps", resolvedTitle) > 0 && e.slackUpdates("Case "+c.DisplayID+" was resolved") > 0
	})
	// The same event delivered again, and a full check: nothing twice.
	e.sync(c.CaseID, "event-2-again")
	e.checkUpdatesNow("after-resolution")
	poll(t, 30*time.Second, "the outbox to drain", func() bool {
		return e.count(`SELECT count(*) FROM chat_outbox WHERE status IN ('pending', 'sending')`) == 0
	})
	if a, b, x, y := e.conversationUpdates("cidOps", replyTitle), e.conversationUpdates("cidOps", resolvedTitle),
		e.slackUpdates("new reply from AWS"), e.slackUpdates("was resolved"); a != 1 || b != 1 || x != 1 || y != 1 {
		t.Fatalf("updates: conversation reply %d, resolved %d; slack reply %d, resolved %d; want 1 each", a, b, x, y)
	}

	// Reopened on AWS, then resolved from chat: the reply shows the status
	// before and after.
	sup.SetStatus(c.CaseID, "reopened")
	e.sync(c.CaseID, "event-3")
	poll(t, 30*time.Second, "the reopening", func() bool {
		return e.conversationUpdates("cidOps", "工单 "+c.DisplayID+" 已重新打开") == 1
	})
	got = e.ask(member, "cidOps", "释放case,case_id:"+c.CaseID)
	mustContain(t, "forbidden resolve", got, "chat.dingtalk.allow.resolve")
	got = e.ask(lead, "cidOps", "释放case，case_id："+c.CaseID)
	mustContain(t, "resolve", got, "工单 "+c.DisplayID+" 已解决", "之前的状态: reopened", "现在的状态: resolved")
	if now, _ := sup.Case(c.CaseID); now.Status != "resolved" {
		t.Fatalf("case status %s after resolve", now.Status)
	}
	// The audit log has the commands that changed the case, as the
	// sender's (kind chat, the platform in the source); commands that
	// only read, and refused ones, are not there.
	for _, action := range []string{"chat.case_create", "chat.case_reply", "chat.case_resolve"} {
		if n := e.count(`SELECT count(*) FROM audit_log WHERE actor = ? AND actor_kind = 'chat' AND action = ? AND target = ? AND source = ?`,
			"Nick "+lead, action, "case "+c.CaseID, "dingtalk "+lead); n != 1 {
			t.Errorf("audit log: %s recorded %d times", action, n)
		}
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE actor = ?`, "Nick "+member); n != 0 {
		t.Errorf("audit log: %d entries for read-only or refused commands", n)
	}

	// A forged signature and a replay: refused, nothing done.
	jobsBefore := e.count(`SELECT count(*) FROM river_job WHERE kind = 'chat_dingtalk'`)
	auditBefore := e.count(`SELECT count(*) FROM chat_audit`)
	forged := e.callback(lead, "cidOps", "释放case,case_id:"+c.CaseID, e.sessions.Open("cidOps", time.Now().Add(time.Hour)), time.Now().Add(time.Hour))
	forged.Header.Set("sign", fake.DingTalkSign("not-the-app-secret", time.Now().UnixMilli()))
	forged.Header.Set("timestamp", fmt.Sprint(time.Now().UnixMilli()))
	if code := e.send(forged); code != http.StatusUnauthorized {
		t.Fatalf("forged: HTTP %d", code)
	}
	session, genuine := e.say(member, "cidOps", "帮助")
	_ = e.reply(session)
	jobsAfterGenuine := e.count(`SELECT count(*) FROM river_job WHERE kind = 'chat_dingtalk'`)
	replay, _ := http.NewRequest(http.MethodPost, genuine.URL.String(), strings.NewReader(string(mustBody(t, e.callback(lead, "cidOps", "提工单\nsubject: x\nbody: y\nseverityCode: low\nserviceCode: aws-lambda\ncategoryCode: performance", session, time.Now().Add(time.Hour))))))
	replay.Header = genuine.Header.Clone()
	if code := e.send(replay); code != http.StatusConflict {
		t.Fatalf("replay: HTTP %d", code)
	}
	if j, a := e.count(`SELECT count(*) FROM river_job WHERE kind = 'chat_dingtalk'`), e.count(`SELECT count(*) FROM chat_audit`); j != jobsAfterGenuine || j != jobsBefore+1 || a != auditBefore+1 {
		t.Fatalf("after forged and replayed requests: %d jobs (before %d), %d audit rows (before %d)", j, jobsBefore, a, auditBefore)
	}
	if n := sup.NumCases(); n != 1 {
		t.Fatalf("%d cases", n)
	}

	// An expired sessionWebhook: the reply goes to the custom robot
	// webhook, signed with its SEC secret (the fake checks it).
	expired := e.sessions.Open("cidOther", time.Now().Add(-time.Minute))
	req := e.callback(member, "cidOther", "help", expired, time.Now().Add(-time.Minute))
	if code := e.send(req); code != http.StatusOK {
		t.Fatalf("expired session callback: HTTP %d", code)
	}
	e.robot.WaitFor(t, 1, 30*time.Second)
	if m := e.robot.Messages(); len(m) != 1 || m[0].Text != command.Help("zh") || m[0].Sign == "" || m[0].Timestamp == 0 {
		t.Fatalf("robot webhook got %+v", m)
	}
	if n := len(e.sessions.MessagesTo(expired)); n != 0 {
		t.Fatalf("%d messages on the expired session", n)
	}

	// Slack: signed slash command, acknowledged within 3 s, the result on
	// the response URL.
	ru := e.slackResp.NewURL()
	cmd := fake.SlackSlashCommand{Text: "case " + c.DisplayID, TeamID: "T1", ChannelID: "C1", ChannelName: "ops", UserID: "U1", UserName: "bob",
		ResponseURL: ru, TriggerID: "trigger-" + c.DisplayID}
	begin := time.Now()
	resp, err := http.DefaultClient.Do(cmd.Request(e.s.URL+"/hooks/slack/commands", chatSlackSecret, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	var ack map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&ack)
	resp.Body.Close()
	if took := time.Since(begin); resp.StatusCode != http.StatusOK || took > 3*time.Second || ack["response_type"] != "ephemeral" || ack["text"] == "" {
		t.Fatalf("slack ack: HTTP %d after %v: %v", resp.StatusCode, took, ack)
	}
	e.slackResp.WaitFor(t, 1, 30*time.Second)
	sm := e.slackResp.MessagesTo(ru)
	if len(sm) != 1 || sm[0].ResponseType != "in_channel" {
		t.Fatalf("response URL got %+v", sm)
	}
	mustContain(t, "slack show", sm[0].Text, "Case "+c.DisplayID, "status: resolved", "severity: high")
	// A Slack create with an escaped ampersand, malformed: the answer is
	// English and only the sender sees it.
	ru2 := e.slackResp.NewURL()
	bad := fake.SlackSlashCommand{Text: "create case\nsubject: a & b", ChannelID: "C1", UserID: "U1", ResponseURL: ru2, TriggerID: "trigger-bad"}
	if code := e.send(bad.Request(e.s.URL+"/hooks/slack/commands", chatSlackSecret, time.Now())); code != http.StatusOK {
		t.Fatalf("slack create: HTTP %d", code)
	}
	e.slackResp.WaitFor(t, 2, 30*time.Second)
	sm = e.slackResp.MessagesTo(ru2)
	if len(sm) != 1 || sm[0].ResponseType != "ephemeral" {
		t.Fatalf("response URL got %+v", sm)
	}
	mustContain(t, "slack malformed create", sm[0].Text, "body is missing", "severityCode is missing")
	if n := e.count(`SELECT count(*) FROM chat_audit WHERE platform = 'slack' AND text = ?`, "create case\nsubject: a & b"); n != 1 {
		t.Fatalf("slack text audited unescaped %d times", n)
	}

	// The audit log has every command with its result.
	for result, min := range map[string]int{"ok": 10, "invalid": 3, "forbidden": 2, "failed": 1} {
		if n := e.count(`SELECT count(*) FROM chat_audit WHERE result = ?`, result); n < min {
			t.Errorf("%d audit rows with result %s, want at least %d", n, result, min)
		}
	}
	if n := e.count(`SELECT count(*) FROM chat_audit WHERE result = 'running'`); n != 0 {
		t.Errorf("%d commands still running", n)
	}

	// The console's audit page, as the admin.
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	login, _ := http.NewRequest(http.MethodPost, e.s.URL+"/login", strings.NewReader(url.Values{"name": {"admin"}, "password": {e.s.Password}}.Encode()))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	login.Header.Set("Origin", e.s.URL)
	if resp, err := hc.Do(login); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", resp, err)
	}
	page := func(path string) string {
		t.Helper()
		resp, err := hc.Get(e.s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: HTTP %d", path, resp.StatusCode)
		}
		return string(b)
	}
	mustContain(t, "/chat", page("/chat?lang=en&kind=create&result=ok"), "Create case", "Nick staff-lead (staff-lead)", "Ops cidOps (cidOps)", "/cases/"+c.CaseID, "reply sent")
	forbidden := page("/chat?lang=en&result=forbidden")
	mustContain(t, "/chat forbidden", forbidden, "Nick staff-member (staff-member)", "not in chat.dingtalk.allow.create", "not in chat.dingtalk.allow.resolve")
	if strings.Contains(forbidden, "Nick staff-lead") {
		t.Fatal("the forbidden filter shows an allowed command")
	}
	mustContain(t, "home", page("/?lang=en"), `href="/chat"`, "Chat commands")
}

func mustBody(t *testing.T, r *http.Request) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
