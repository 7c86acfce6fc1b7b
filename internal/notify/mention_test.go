package notify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/notify"
)

// TestMention: Request.Mention mentions exactly the one member on
// DingTalk and Slack; a malformed member, a mention on a question, and
// senders that cannot mention are refused or reported by CanMention.
func TestMention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dt := fake.NewDingTalk(t, fake.WithSecret(dingSecret), fake.WithKeyword("opsdesk"))
	ding := newSender(t, dingtalkDest(dt), map[string]string{"DT_SECRET": dingSecret}, 5*time.Second)
	sl := fake.NewSlack(t)
	slack := newSender(t, slackDest(), map[string]string{"SLACK_URL": sl.URL()}, 5*time.Second)
	teams := newSender(t, teamsDest(), map[string]string{"TEAMS_URL": "https://example.com/x"}, 5*time.Second)
	if !notify.CanMention(ding) || !notify.CanMention(slack) || notify.CanMention(teams) {
		t.Fatal("CanMention")
	}
	msg := &notify.Message{Kind: "oncall", Title: "Alert @all", Text: "<@U999> @13900000000 <!here>"}

	if _, err := ding.Send(ctx, notify.Request{DeliveryID: "d1", Attempt: 1, Message: msg, Mention: &notify.Mention{Mobile: "13800000000"}}); err != nil {
		t.Fatal(err)
	}
	m := dt.Messages()[0]
	at, _ := m.Raw["at"].(map[string]any)
	if fmt.Sprint(at) != "map[atMobiles:[13800000000] isAtAll:false]" || strings.Count(m.Text, "@13800000000") != 1 || strings.Contains(m.Text, "@13900000000") {
		t.Errorf("dingtalk at %v text %q", at, m.Text)
	}
	if _, err := slack.Send(ctx, notify.Request{DeliveryID: "d2", Attempt: 1, Message: msg, Mention: &notify.Mention{UserID: "U0123ABCD"}}); err != nil {
		t.Fatal(err)
	}
	sm := sl.Messages()[0]
	all := sm.Text + strings.Join(sm.SectionTexts(), " ") + sm.HeaderText()
	if strings.Count(all, "<@U0123ABCD>") != 2 || strings.Contains(all, "<@U999>") || strings.Contains(all, "<!here>") {
		t.Errorf("slack %q %q", sm.Text, sm.SectionTexts())
	}

	for _, tt := range []struct {
		s notify.Sender
		r notify.Request
	}{
		{ding, notify.Request{Message: msg, Mention: &notify.Mention{Mobile: "138 0000"}}},
		{ding, notify.Request{Message: msg, Mention: &notify.Mention{UserID: "a b"}}},
		{ding, notify.Request{Message: msg, Mention: &notify.Mention{Mobile: "13800000000", UserID: "x"}}},
		{ding, notify.Request{Question: request(1).Question, Mention: &notify.Mention{Mobile: "13800000000"}}},
		{slack, notify.Request{Message: msg, Mention: &notify.Mention{UserID: "<!channel>"}}},
		{slack, notify.Request{Message: msg, Mention: &notify.Mention{Mobile: "13800000000"}}},
		{slack, notify.Request{Question: request(1).Question, Mention: &notify.Mention{UserID: "U0123ABCD"}}},
	} {
		_, err := tt.s.Send(ctx, tt.r)
		var ne *notify.Error
		if !errors.As(err, &ne) || !ne.Permanent {
			t.Errorf("%+v: %v", tt.r.Mention, err)
		}
	}
	if len(dt.Messages()) != 1 || len(sl.Messages()) != 1 {
		t.Error("refused mentions were posted")
	}
}
