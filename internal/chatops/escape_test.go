package chatops

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/notify/notifytest"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestHostileReplies: chat replies quote what people typed and what AWS
// wrote (a new case's subject, a search query). Sent through the outbox to
// the DingTalk and Slack fakes, a reply full of hostile text arrives
// escaped for the platform: in a DingTalk markdown reply nothing links,
// embeds, mentions or styles; a DingTalk text reply mentions nobody; a Slack
// response can neither mention nor link; each shows the text as typed.
func TestHostileReplies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sup := fake.NewSupport(t)
		svc := newTestService(t, st, sup)
		sess := fake.NewDingTalkSession(t)
		slackResp := fake.NewSlackResponse(t)
		svc.Outbox = &Outbox{Store: svc.Store, RatePerMinute: 20}
		hostile := notifytest.Line()

		// dingtalk runs text from boss in a conversation with a live
		// session, sends the reply and returns what the session received.
		n := 0
		dingtalk := func(msgType, text string) fake.DingTalkMessage {
			t.Helper()
			n++
			svc.DingTalk.MsgType = msgType
			conv := "cidHostile" + msgType
			live := sess.Open(conv, time.Now().Add(time.Hour))
			id := "hostile-" + msgType + "-" + strings.Repeat("x", n)
			args := DingTalkArgs{MsgID: id, ReceivedAt: time.Now().UnixMilli(), Msg: Callback{MsgID: id, SenderStaffID: "boss", SenderNick: "Nick",
				ConversationID: conv, SessionWebhook: live, SessionWebhookExpiredTime: time.Now().Add(time.Hour).UnixMilli()}}
			args.Msg.Text.Content = text
			if err := svc.HandleDingTalk(ctx, args, false); err != nil {
				t.Fatal(err)
			}
			if r, err := svc.Outbox.SendNext(ctx, "dingtalk:"+conv); err != nil || !r.Sent {
				t.Fatalf("send: %+v %v", r, err)
			}
			got := sess.MessagesTo(live)
			m := got[len(got)-1]
			return fake.DingTalkMessage{MsgType: m.MsgType, Title: m.Title, Text: m.Text, Raw: m.Raw}
		}

		// A case created from chat: the reply quotes its subject.
		create := "提工单\nsubject:" + hostile + "\nbody:b\nseverityCode:low\nserviceCode:aws-lambda\ncategoryCode:performance"
		m := dingtalk("markdown", create)
		if !strings.Contains(m.Text, sup.Cases()[0].CaseID) {
			t.Fatalf("not the create reply:\n%s", m.Text)
		}
		notifytest.CheckDingTalk(t, "create reply", m, []string{hostile})
		// A search: the reply quotes the query.
		notifytest.CheckDingTalk(t, "search reply", dingtalk("markdown", "搜索:"+hostile), []string{hostile})

		// A text reply has no markup; its mentions are broken and it has
		// no at object.
		m = dingtalk("text", "搜索:@all <@U1> 障害")
		if _, ok := m.Raw["at"]; ok || m.MsgType != "text" || strings.Contains(m.Text, "@all") || strings.Contains(m.Text, "<@U1>") ||
			!strings.Contains(strings.ReplaceAll(m.Text, "\u200b", ""), "@all <@U1> 障害") {
			t.Fatalf("text reply: %q %v", m.Text, m.Raw)
		}

		// Slack: the response quotes the query, escaped as mrkdwn.
		ru := slackResp.NewURL()
		cmd := SlashCommand{ID: "hostile-slack", Command: "/aws", Text: "search " + hostile, UserID: "U9", ChannelID: "C9", ResponseURL: ru}
		if err := svc.HandleSlack(ctx, SlackArgs{ID: cmd.ID, Cmd: cmd, ReceivedAt: time.Now().UnixMilli()}, false); err != nil {
			t.Fatal(err)
		}
		if r, err := svc.Outbox.SendNext(ctx, "slack:"+hashKey(ru)); err != nil || !r.Sent {
			t.Fatalf("slack send: %+v %v", r, err)
		}
		got := slackResp.MessagesTo(ru)
		if len(got) != 1 {
			t.Fatalf("slack got %d responses", len(got))
		}
		notifytest.CheckSlack(t, "slack search reply", got[0].Raw, []string{hostile})
	})
}

// TestMarkdownText: a plain reply becomes DingTalk markdown that shows the
// same, each line its own line; opsdesk's words and a console link are
// left readable.
func TestMarkdownText(t *testing.T) {
	link := "https://desk.example.com/cases/" + url.PathEscape("case-1234567890-muen-2024-abc")
	in := "工单已创建。\r\n标题: # [x](https://evil.example) @all\n" + link
	want := "工单已创建。  \n标题: # \\[x\\]\u200b(https://evil.example) @\u200ball  \n" + link
	if got := markdownText(in); got != want {
		t.Fatalf("markdownText = %q, want %q", got, want)
	}
}
