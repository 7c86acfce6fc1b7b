package notify_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/notify"
)

// TestSlackAPI posts, edits and replies in a thread through the Web API
// fake, and sorts its failures: ok:false codes are permanent or not, a
// 429 carries Retry-After, and the token never shows in an error.
func TestSlackAPI(t *testing.T) {
	t.Parallel()
	f := fake.NewSlackAPI(t, []string{"C0OPS0001"})
	d := config.Destination{Name: "ops", Type: "slack", BotTokenEnv: "BOT", Channel: "C0OPS0001", APIURL: f.URL()}
	api, err := notify.NewSlackAPI(d, lookup(map[string]string{"BOT": f.Token()}), &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ch, ts, err := api.PostMessage(ctx, notify.SlackPost{Text: "first", Blocks: []map[string]any{{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": "first"}}}})
	if err != nil || ch != "C0OPS0001" || ts == "" {
		t.Fatalf("post: %q %q %v", ch, ts, err)
	}
	if err := api.Update(ctx, ts, notify.SlackPost{Text: "second"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage(ctx, notify.SlackPost{ThreadTS: ts, Text: "reply"}); err != nil {
		t.Fatal(err)
	}
	msgs := f.Messages()
	if len(msgs) != 2 || msgs[0].Text != "second" || msgs[0].Edits != 1 || msgs[1].ThreadTS != ts {
		t.Fatalf("messages %+v", msgs)
	}
	if r := f.Requests()[0]; r.Header.Get("Authorization") != "Bearer "+f.Token() {
		t.Errorf("authorization %q", r.Header.Get("Authorization"))
	}

	// ok:false: message_not_found is permanent.
	err = api.Update(ctx, "1.000", notify.SlackPost{Text: "x"})
	var ne *notify.Error
	if !errors.As(err, &ne) || !ne.Permanent || !strings.Contains(ne.Reason, "message_not_found") {
		t.Fatalf("update of a missing message: %v", err)
	}
	// 429 with Retry-After: retryable, after that long.
	f.FailNext(1, fake.Failure{Status: http.StatusTooManyRequests, RetryAfter: "7"})
	_, _, err = api.PostMessage(ctx, notify.SlackPost{Text: "x"})
	if !errors.As(err, &ne) || ne.Permanent || ne.RetryAfter != 7*time.Second {
		t.Fatalf("429: %+v", err)
	}
	// A wrong token: invalid_auth, permanent, and the token is not in it.
	bad, err := notify.NewSlackAPI(d, lookup(map[string]string{"BOT": "xoxb-wrong-token-123456"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = bad.PostMessage(ctx, notify.SlackPost{Text: "x"})
	if !errors.As(err, &ne) || !ne.Permanent || !strings.Contains(err.Error(), "invalid_auth") || strings.Contains(err.Error(), "xoxb-wrong") {
		t.Fatalf("bad token: %v", err)
	}
	// notify.New gives the same client for a bot-token destination: a
	// question or message is posted to the channel.
	s := newSender(t, d, map[string]string{"BOT": f.Token()}, 5*time.Second)
	res, err := s.Send(ctx, notify.Request{DeliveryID: "d1", Attempt: 1, Message: &notify.Message{Title: "hello <!here>", Text: "x"}})
	if err != nil || res.ExternalRef == "" {
		t.Fatalf("send: %+v %v", res, err)
	}
	if last := f.Messages()[len(f.Messages())-1]; strings.Contains(last.Text, "<!here>") {
		t.Errorf("title not escaped: %q", last.Text)
	}
}

// TestDingTalkActionCard: a message with actions is an ActionCard whose
// buttons are the actions (only http(s) ones), with the mention.
func TestDingTalkActionCard(t *testing.T) {
	t.Parallel()
	f := fake.NewDingTalk(t, fake.WithKeyword("opsdesk"))
	s := newSender(t, config.Destination{Name: "ding", Type: "dingtalk", URL: f.URL()}, nil, 5*time.Second)
	msg := &notify.Message{Kind: "alert", Title: "DB down [x](https://evil.example)", Text: "Calling: sato", Actions: []notify.Action{
		{Label: "Acknowledge", URL: "https://ops.example.com/a/tok1"},
		{Label: "Bad", URL: "javascript:alert(1)"},
		{Label: "Resolve", URL: "https://ops.example.com/a/tok2"},
	}}
	if _, err := s.Send(context.Background(), notify.Request{DeliveryID: "d", Attempt: 1, Message: msg, Mention: &notify.Mention{Mobile: "13800000001"}}); err != nil {
		t.Fatal(err)
	}
	m := f.Messages()[0]
	card, _ := m.Raw["actionCard"].(map[string]any)
	btns, _ := card["btns"].([]any)
	if m.MsgType != "actionCard" || len(btns) != 2 {
		t.Fatalf("card %v", m.Raw)
	}
	b0, _ := btns[0].(map[string]any)
	if b0["title"] != "Acknowledge" || b0["actionURL"] != "https://ops.example.com/a/tok1" {
		t.Errorf("button %v", b0)
	}
	if !strings.Contains(m.Text, "@13800000001") || strings.Contains(m.Text, "](https://evil.example)") {
		t.Errorf("text %q", m.Text)
	}
	if at, _ := m.Raw["at"].(map[string]any); at == nil {
		t.Errorf("no at: %v", m.Raw)
	}
}
