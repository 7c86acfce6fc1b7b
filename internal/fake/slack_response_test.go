package fake_test

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/chatops/sig"
	"github.com/opsdesk/opsdesk/internal/fake"
)

func TestSlackResponse(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{t: time.Unix(1700000000, 0)}
	f := fake.NewSlackResponse(t, fake.WithClock(clk.now))
	u := f.NewURL()
	const ct = "application/json"
	if status, _, body := post(t, u, ct, `{"text":"hi","response_type":"in_channel"}`); status != 200 || body != "ok" {
		t.Fatalf("post: %d %s", status, body)
	}
	for _, tt := range []struct {
		name, ct, body, want string
		status               int
	}{
		{"not json", ct, `{`, "invalid_payload", 400},
		{"form", "application/x-www-form-urlencoded", `text=x`, "invalid_payload", 400},
		{"no text", ct, `{"response_type":"ephemeral"}`, "no_text", 400},
		{"bad type", ct, `{"text":"x","response_type":"everyone"}`, "invalid_payload", 400},
	} {
		if status, _, body := post(t, u, tt.ct, tt.body); status != tt.status || body != tt.want {
			t.Errorf("%s: %d %s", tt.name, status, body)
		}
	}
	if status, _, body := post(t, f.BaseURL()+"/commands/T0FAKE0001/1/unknown", ct, `{"text":"x"}`); status != 404 || body != "no_service" {
		t.Fatalf("unknown url: %d %s", status, body)
	}
	// Five posts per URL.
	for i := 2; i <= 5; i++ {
		if status, _, _ := post(t, u, ct, fmt.Sprintf(`{"text":"%d"}`, i)); status != 200 {
			t.Fatalf("post %d: %d", i, status)
		}
	}
	if status, _, body := post(t, u, ct, `{"text":"6"}`); status != 404 || body != "used_url" {
		t.Fatalf("sixth post: %d %s", status, body)
	}
	got := f.MessagesTo(u)
	if len(got) != 5 || got[0].ResponseType != "in_channel" || got[1].ResponseType != "ephemeral" || got[4].Text != "5" {
		t.Fatalf("messages %+v", got)
	}
	// Thirty minutes.
	u2 := f.NewURL()
	clk.t = clk.t.Add(31 * time.Minute)
	if status, _, body := post(t, u2, ct, `{"text":"late"}`); status != 404 || body != "expired_url" {
		t.Fatalf("expired: %d %s", status, body)
	}
}

// The slash command helper signs as Slack does (the receiving side's
// verifier accepts it) and escapes text as Slack does.
func TestSlackSlashCommandRequest(t *testing.T) {
	t.Parallel()
	at := time.Unix(1700000123, 0)
	c := fake.SlackSlashCommand{Text: "search a & b <c>", TeamID: "T1", ChannelID: "C1", UserID: "U1", UserName: "bob", ResponseURL: "https://hooks.slack.com/commands/T1/1/x", TriggerID: "tr1"}
	req := c.Request("http://127.0.0.1:1/hooks/slack/commands", "s3cret", at)
	body, _ := io.ReadAll(req.Body)
	if err := sig.VerifySlack("s3cret", req.Header, body, at); err != nil {
		t.Fatalf("does not verify: %v", err)
	}
	if err := sig.VerifySlack("other", req.Header, body, at); err == nil {
		t.Fatal("verifies with another secret")
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	if v.Get("text") != "search a &amp; b &lt;c&gt;" || v.Get("command") != "/aws" || v.Get("user_id") != "U1" || v.Get("trigger_id") != "tr1" || v.Get("response_url") != c.ResponseURL {
		t.Fatalf("form %v", v)
	}
	if req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || !strings.HasPrefix(req.Header.Get("X-Slack-Signature"), "v0=") {
		t.Fatalf("headers %v", req.Header)
	}
	raw := fake.SlackSlashCommand{RawText: "<@U024BE7LH> help", UserID: "U1", ResponseURL: "https://x"}
	if got := raw.Form().Get("text"); got != "<@U024BE7LH> help" {
		t.Fatalf("raw text %q", got)
	}
}
