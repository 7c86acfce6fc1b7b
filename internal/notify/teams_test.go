package notify_test

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/fake"
)

func TestTeams(t *testing.T) {
	t.Parallel()
	f := fake.NewTeams(t)
	s := newSender(t, teamsDest(), map[string]string{"TEAMS_URL": f.URL()}, 5*time.Second)
	res, err := s.Send(context.Background(), request(1))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if res.ExternalRef != "" {
		t.Fatalf("ExternalRef = %q, want none", res.ExternalRef)
	}
	msgs := f.Messages()
	if len(msgs) != 1 {
		t.Fatalf("Teams received %d messages, want 1", len(msgs))
	}
	golden(t, "teams.json", indentJSON(t, f.Requests()[0].Body))

	card := msgs[0].Card
	if card.Version != "1.4" {
		t.Fatalf("card version %q", card.Version)
	}
	wantFacts := map[string]string{
		"Project":   "AWS-TR-0612",
		"Name":      "山田 太郎",
		"Submitted": "2024-06-12 01:02:03 UTC",
		"Reference": "Q-000123",
	}
	if got := card.Facts(); !maps.Equal(got, wantFacts) {
		t.Fatalf("facts = %v, want %v", got, wantFacts)
	}
	texts := card.TextBlocks()
	if len(texts) != 2 || shownMarkdown(texts[1]) != question().Text || strings.Contains(texts[1], "<b>") {
		t.Fatalf("text blocks = %q, want the question escaped, showing as written", texts)
	}
	for _, e := range card.Body {
		if e.Type == "TextBlock" && !e.Wrap {
			t.Fatalf("TextBlock %q does not wrap", e.Text)
		}
	}
	if len(card.Actions) != 1 || card.Actions[0].Type != "Action.OpenUrl" || card.Actions[0].URL != request(1).ConsoleURL {
		t.Fatalf("actions = %+v", card.Actions)
	}

	// No console URL: no action, and empty optional fields show "-".
	r := request(1)
	r.ConsoleURL = ""
	r.Question.Project, r.Question.Name = "", ""
	if _, err := s.Send(context.Background(), r); err != nil {
		t.Fatalf("Send without console URL: %v", err)
	}
	card = f.Messages()[1].Card
	if len(card.Actions) != 0 || card.Facts()["Project"] != "-" || card.Facts()["Name"] != "-" {
		t.Fatalf("card without console URL: %+v", card)
	}
}

func TestTeamsRejected(t *testing.T) {
	t.Parallel()
	f := fake.NewTeams(t)
	// A URL whose sig is wrong: Logic Apps answers 401 with its error shape.
	bad := f.BaseURL() + "/workflows/0b5c8d7e1f2a4b3c9d8e7f6a5b4c3d2e/triggers/manual/paths/invoke?api-version=2016-06-01&sig=wrongSignatureValue123"
	s := newSender(t, teamsDest(), map[string]string{"TEAMS_URL": bad}, 5*time.Second)
	_, err := s.Send(context.Background(), request(1))
	ne := notifyError(t, err)
	if !ne.Permanent || ne.StatusCode != 401 {
		t.Fatalf("wrong sig: %v", err)
	}
	want := "teams: HTTP 401 Unauthorized: DirectApiInvalidAuthorizationSignature: The provided authorization signature is invalid."
	if ne.Reason != want {
		t.Fatalf("Reason = %q, want %q", ne.Reason, want)
	}
	noSecrets(t, err, "wrongSignatureValue123")
}
