package chatops

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/chatops/command"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// newTestService is a Service with an AWS account on a fake Support API
// (nil: none configured); replies stay in the outbox (no queue).
func newTestService(t *testing.T, st *store.Store, f *fake.Support) *Service {
	t.Helper()
	s := NewStore(st, nil)
	svc := &Service{
		Store: s, Outbox: &Outbox{Store: s}, Cases: cases.NewStore(st),
		Syncer: &cases.Syncer{Store: cases.NewStore(st), Dir: t.TempDir(), Overlap: time.Hour},
		DingTalk: Platform{Name: PlatformDingTalk, Label: "DingTalk", Language: "zh", MsgType: "text", AllowKey: "chat.dingtalk.allow",
			Allow: Allow{Create: []string{"boss"}, Resolve: []string{"boss"}}},
		Slack:   Platform{Name: PlatformSlack, Label: "Slack", Language: "en", AllowKey: "chat.slack.allow"},
		BaseURL: "https://desk.example.com",
	}
	if f != nil {
		svc.Account = &cases.Account{Name: "prod", Languages: []string{"en"}, Client: supportClient(t, f)}
	}
	return svc
}

// replyTo runs text from sender and returns the queued reply and the
// audit row.
func replyTo(t *testing.T, svc *Service, sender, text string) (Payload, AuditEntry) {
	t.Helper()
	ctx := context.Background()
	id := "m-" + strings.ReplaceAll(time.Now().Format("150405.000000000"), ".", "")
	err := svc.HandleDingTalk(ctx, DingTalkArgs{MsgID: id, ReceivedAt: time.Now().UnixMilli(), Msg: Callback{
		MsgID: id, MsgType: "text", Text: struct {
			Content string `json:"content"`
		}{text}, SenderStaffID: sender, SenderNick: "Nick", ConversationID: "cid1",
		SessionWebhook: "https://oapi.dingtalk.com/robot/sendBySession?session=x", SessionWebhookExpiredTime: time.Now().Add(time.Hour).UnixMilli(),
	}}, false)
	if err != nil {
		t.Fatal(err)
	}
	st := svc.Store.st
	var payload string
	if err := st.R.QueryRow(st.Q(`SELECT payload FROM chat_outbox WHERE dedup = ?`), "reply:dingtalk:"+id).Scan(&payload); err != nil {
		t.Fatalf("no reply queued: %v", err)
	}
	var p Payload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		t.Fatal(err)
	}
	es, err := svc.Store.Audit(ctx, AuditFilter{Limit: 1})
	if err != nil || len(es) != 1 {
		t.Fatal(es, err)
	}
	return p, es[0]
}

func TestServiceWithoutAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc := newTestService(t, st, nil)
		p, e := replyTo(t, svc, "boss", "service ec2")
		if p.Text != zhWords.noAccount || e.Result != ResultFailed || e.Kind != "service" {
			t.Fatalf("service without account: %q %+v", p.Text, e)
		}
		// Ack: not configured, in plain words.
		p, e = replyTo(t, svc, "boss", "确认:42")
		if p.Text != zhWords.ackNotConfigured || e.Kind != "ack" {
			t.Fatalf("ack without escalation: %q", p.Text)
		}
		svc.Ack = func(context.Context, string, string) (string, error) { return "", ErrNoEscalation }
		if p, _ = replyTo(t, svc, "boss", "确认:42"); p.Text != zhWords.ackNotConfigured {
			t.Fatalf("ack, ErrNoEscalation: %q", p.Text)
		}
		var gotBy string
		var gotActor audit.Actor
		svc.Ack = func(ctx context.Context, id, by string) (string, error) {
			gotBy, gotActor = by, audit.ActorFrom(ctx)
			return "alert #" + id + " acknowledged", nil
		}
		if p, e = replyTo(t, svc, "boss", "ack 42"); p.Text != "告警 42 已确认：alert #42 acknowledged" || e.Result != ResultOK || gotBy != "Nick (DingTalk boss)" {
			t.Fatalf("ack: %q by %q", p.Text, gotBy)
		}
		// The alerts capability records the acknowledgement as the
		// sender's: the command runs with the sender as the audit actor.
		if gotActor != (audit.Actor{Name: "Nick", Kind: audit.KindChat, Source: "dingtalk boss"}) {
			t.Errorf("ack ran as %+v", gotActor)
		}
		svc.Ack = func(context.Context, string, string) (string, error) { return "", errors.New("there is no alert #42") }
		if p, e = replyTo(t, svc, "boss", "ack 42"); p.Text != "无法确认告警 42：there is no alert #42" || e.Result != ResultFailed {
			t.Fatalf("ack failed: %q", p.Text)
		}
		// Help topics, in the configured language.
		if p, _ = replyTo(t, svc, "x", "help create"); p.Text != command.Usage(command.KindCreate, "zh") {
			t.Fatalf("help topic: %q", p.Text)
		}
		// A malformed command: the parser's answer, audited as invalid.
		p, e = replyTo(t, svc, "boss", "回复case:123")
		if !strings.Contains(p.Text, "缺少 回复内容") || e.Result != ResultInvalid || e.Kind != "reply" {
			t.Fatalf("malformed reply: %q %+v", p.Text, e)
		}
		// Forbidden before anything else is checked.
		p, e = replyTo(t, svc, "intern", "resolve 123")
		if !strings.Contains(p.Text, "chat.dingtalk.allow.resolve") || !strings.Contains(p.Text, "intern") || e.Result != ResultForbidden {
			t.Fatalf("forbidden: %q %+v", p.Text, e)
		}
	})
}

// TestServiceSupportErrors: what AWS refuses is answered in plain words.
func TestServiceSupportErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := fake.NewSupport(t)
		svc := newTestService(t, st, f)
		// An unknown case.
		p, e := replyTo(t, svc, "boss", "查询case:19000000999")
		if !strings.Contains(p.Text, "AWS 账号 prod 和存档中都没有工单 19000000999") || e.Result != ResultFailed {
			t.Fatalf("unknown case: %q %+v", p.Text, e)
		}
		p, _ = replyTo(t, svc, "boss", "释放case,case_id:case-123456789012-muen-2026-0000000000000000")
		if p.Text != "AWS 找不到工单 case-123456789012-muen-2026-0000000000000000。" {
			t.Fatalf("resolve unknown case: %q", p.Text)
		}
		// An unknown service: what was probably meant.
		p, e = replyTo(t, svc, "boss", "提工单\nsubject:s\nbody:b\nseverityCode:high\nserviceCode:aws-lamda\ncategoryCode:performance")
		if !strings.Contains(p.Text, "AWS 没有服务代码「aws-lamda」") || !strings.Contains(p.Text, "aws-lambda") || e.Result != ResultInvalid {
			t.Fatalf("unknown service: %q", p.Text)
		}
		// A language the archive does not sync.
		p, _ = replyTo(t, svc, "boss", "提工单\nsubject:s\nbody:b\nseverityCode:high\nserviceCode:aws-lambda\ncategoryCode:performance\nlanguage:ja")
		if !strings.Contains(p.Text, "language") || !strings.Contains(p.Text, "en") || f.Calls("CreateCase") != 0 {
			t.Fatalf("language: %q", p.Text)
		}
		// No support plan.
		f.SetSubscriptionRequired(true)
		svc.cat = catalog{} // forget the cached catalog
		p, e = replyTo(t, svc, "boss", "service lambda")
		if p.Text != zhWords.apiNoPlan || e.Result != ResultFailed || !strings.Contains(e.Detail, "SubscriptionRequired") {
			t.Fatalf("no plan: %q %+v", p.Text, e)
		}
	})
}

// TestServiceCreateOnce: a job run again after CreateCase succeeded does
// not create a second case.
func TestServiceCreateOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := fake.NewSupport(t)
		svc := newTestService(t, st, f)
		args := DingTalkArgs{MsgID: "once", ReceivedAt: time.Now().UnixMilli(), Msg: Callback{MsgID: "once", SenderStaffID: "boss", ConversationID: "cid1"}}
		args.Msg.Text.Content = "提工单\nsubject:only once\nbody:b\nseverityCode:low\nserviceCode:aws-lambda\ncategoryCode:performance"
		// The first run made the case and died before its reply: its
		// record says the call ended with the case id.
		rec, err := svc.Store.begin(ctx, Origin{Platform: PlatformDingTalk, MsgID: "once", ReceivedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.HandleDingTalk(ctx, args, false); err != nil {
			t.Fatal(err)
		}
		if f.NumCases() != 1 {
			t.Fatalf("%d cases", f.NumCases())
		}
		// Run it again as if the reply had not been recorded.
		if _, err := st.W.Exec(st.Q(`UPDATE chat_audit SET result = 'running' WHERE id = ?`), rec.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.W.Exec(`DELETE FROM chat_outbox`); err != nil {
			t.Fatal(err)
		}
		if err := svc.HandleDingTalk(ctx, args, false); err != nil {
			t.Fatal(err)
		}
		// A run interrupted between the call and recording its answer:
		// the case AWS made is found, not made again.
		if _, err := st.W.Exec(st.Q(`UPDATE chat_audit SET result = 'running', effect = 'started', case_id = '' WHERE id = ?`), rec.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.W.Exec(`DELETE FROM chat_outbox`); err != nil {
			t.Fatal(err)
		}
		if err := svc.HandleDingTalk(ctx, args, false); err != nil {
			t.Fatal(err)
		}
		if n := f.Calls("CreateCase"); n != 1 || f.NumCases() != 1 {
			t.Fatalf("%d CreateCase calls, %d cases", n, f.NumCases())
		}
		var caseID string
		if err := st.R.QueryRow(st.Q(`SELECT case_id FROM chat_audit WHERE id = ?`), rec.ID).Scan(&caseID); err != nil || caseID != f.Cases()[0].CaseID {
			t.Fatalf("recorded case %q %v", caseID, err)
		}
		// The case is followed for updates, from its conversation.
		var conv string
		if err := st.R.QueryRow(st.Q(`SELECT conversation_id FROM chat_cases WHERE case_id = ?`), caseID).Scan(&conv); err != nil || conv != "cid1" {
			t.Fatalf("watch: %q %v", conv, err)
		}
	})
}
