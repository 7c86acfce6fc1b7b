package alertchat_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alertchat"
	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/contact"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

const channel = "C0OPS0001"

type env struct {
	t      *testing.T
	st     *store.Store
	alerts *alerts.Service
	api    *fake.SlackAPI
	dest   *alertchat.Destination
}

func newEnv(t *testing.T, st *store.Store) *env {
	t.Helper()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, st); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(st, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := alerts.New(st, alerts.Options{})
	svc.SetQueue(q)
	api := fake.NewSlackAPI(t, []string{channel})
	client, err := notify.NewSlackAPI(config.Destination{Name: "ops", Type: "slack", BotTokenEnv: "TOK", Channel: channel, APIURL: api.URL()},
		func(string) (string, bool) { return api.Token(), true }, &http.Client{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, st: st, alerts: svc, api: api, dest: &alertchat.Destination{Name: "ops", Type: "slack", Language: "ja", Slack: client}}
}

func (e *env) worker() *alertchat.Service {
	return alertchat.New(alertchat.Options{
		Store: e.st, Alerts: e.alerts, Follow: map[string][]string{"XYZ": {"ops"}},
		Destinations: map[string]*alertchat.Destination{"ops": e.dest},
	})
}

func (e *env) fire(key string) int64 {
	e.t.Helper()
	res, err := e.alerts.Ingest(context.Background(), []parse.Signal{{Source: parse.SourceNative, System: "XYZ", DedupKey: key, Status: parse.StatusFiring, Summary: "disk full", Severity: parse.SeverityWarning}}, "test")
	if err != nil || len(res) != 1 {
		e.t.Fatalf("ingest: %v %v", res, err)
	}
	return res[0].AlertID
}

// TestOneMessageWithTwoWorkers: two workers (two replicas) running passes
// at once over the same alerts post one message per alert, and later
// changes are edits of it; button presses it cannot tie to a user change
// nothing.
func TestOneMessageWithTwoWorkers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ids := []int64{e.fire("a"), e.fire("b"), e.fire("c")}
		w1, w2 := e.worker(), e.worker()
		run := func() {
			var wg sync.WaitGroup
			for _, w := range []*alertchat.Service{w1, w2, w1, w2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := w.RunOnce(context.Background()); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
		}
		run()
		if n := len(e.api.TopLevel()); n != 3 {
			t.Fatalf("%d messages, want 3", n)
		}
		if _, _, err := e.alerts.Ack(context.Background(), ids[0], "sato", "console"); err != nil {
			t.Fatal(err)
		}
		e.fire("b")
		run()
		msgs := e.api.TopLevel()
		if len(msgs) != 3 {
			t.Fatalf("%d messages after changes, want 3", len(msgs))
		}
		edited := map[string]bool{}
		for _, m := range msgs {
			s := strings.Join(m.SectionTexts(), "\n")
			if strings.Contains(s, "sato (console) が確認しました") {
				edited["ack"] = true
			}
			if strings.Contains(s, "2 回発生") {
				edited["repeat"] = true
			}
			if m.Edits > 1 {
				t.Errorf("message %s edited %d times for one change", m.TS, m.Edits)
			}
		}
		if !edited["ack"] || !edited["repeat"] {
			t.Errorf("edits seen: %v", edited)
		}
		// Nothing changed: nothing sent.
		before := e.api.RequestCount()
		run()
		if n := e.api.RequestCount(); n != before {
			t.Errorf("%d requests without a change", n-before)
		}

		// Presses the worker cannot tie to a followed message, or from a
		// member nobody verified, change nothing.
		id, w := ids[1], w1
		press := func(ch, action string) string {
			t.Helper()
			b := fake.SlackBlockAction{UserID: "U0NOBODY1", ChannelID: ch, MessageTS: "1.2", ActionID: action}
			reply, err := w.HandleSlackInteraction(context.Background(), b.Payload())
			if err != nil {
				t.Fatal(err)
			}
			return reply
		}
		if r := press("C0OTHER01", "opsdesk:ack:"+itoa(id)); !strings.Contains(r, "does not follow") {
			t.Errorf("other channel: %q", r)
		}
		if r := press(channel, "opsdesk:ack:"+itoa(id)); !strings.Contains(r, "U0NOBODY1") {
			t.Errorf("no members: %q", r)
		}
		a, err := e.alerts.Get(context.Background(), id)
		if err != nil || a.Status != alerts.StatusOpen {
			t.Fatalf("alert changed: %+v %v", a, err)
		}

		// A responder silences an alert for an hour: it is quiet, its
		// system too, and the message loses the Silence button.
		ws := alertchat.New(alertchat.Options{
			Store: e.st, Alerts: e.alerts, Follow: map[string][]string{"XYZ": {"ops"}},
			Destinations: map[string]*alertchat.Destination{"ops": e.dest}, Members: members{"U0SATO001": {User: "sato", Role: "responder"}},
		})
		b := fake.SlackBlockAction{UserID: "U0SATO001", ChannelID: channel, ActionID: "opsdesk:silence:" + itoa(ids[2])}
		reply, err := ws.HandleSlackInteraction(context.Background(), b.Payload())
		if err != nil || !strings.Contains(reply, "サイレンス") || !strings.Contains(reply, "XYZ") {
			t.Fatalf("silence: %q %v", reply, err)
		}
		a, err = e.alerts.Get(context.Background(), ids[2])
		if err != nil || a.Status != alerts.StatusQuiet {
			t.Fatalf("after silence: %+v %v", a, err)
		}
		quiet, err := e.alerts.Quiets(context.Background(), alerts.QuietFilter{Active: true, System: "XYZ"})
		if err != nil || len(quiet) != 1 || quiet[0].AlertID != ids[2] || quiet[0].EndsAt.Sub(quiet[0].StartsAt) != time.Hour || quiet[0].SetBy != "sato (Slack)" {
			t.Fatalf("quiet periods %+v %v", quiet, err)
		}
		if _, err := ws.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, m := range e.api.TopLevel() {
			if ids := m.ButtonActionIDs(); slices.Contains(ids, "opsdesk:silence:"+itoa(a.ID)) {
				t.Errorf("a quiet alert still has the Silence button: %v", ids)
			}
		}
		// Pressed again: nothing to do.
		if reply, _ := ws.HandleSlackInteraction(context.Background(), b.Payload()); !strings.Contains(reply, "何もしませんでした") {
			t.Errorf("second silence: %q", reply)
		}
	})
}

// TestCrashWhileSendingIsNotPostedAgain: a row left "sending" by a worker
// that died during chat.postMessage is unknown — never posted again —
// while a post Slack refused (it answered) is retried.
func TestCrashWhileSendingIsNotPostedAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		id := e.fire("a")
		w := e.worker()
		// Slack refuses the first post with a 429: nothing was posted.
		e.api.FailNext(1, fake.Failure{Status: http.StatusTooManyRequests, RetryAfter: "1"})
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		posts, err := w.Posts(context.Background(), id)
		if err != nil || len(posts) != 1 || posts[0].State != "new" || !strings.Contains(posts[0].Error, "429") {
			t.Fatalf("after a 429: %+v %v", posts, err)
		}
		// A worker that died during its call: the row is "sending" and
		// its claim ran out.
		if _, err := st.W.ExecContext(context.Background(), st.Q(`UPDATE alert_chat_posts SET state = 'sending', next_at = 0, claimed_until = 0 WHERE alert_id = ?`), id); err != nil {
			t.Fatal(err)
		}
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		posts, err = w.Posts(context.Background(), id)
		if err != nil || len(posts) != 1 || posts[0].State != "unknown" {
			t.Fatalf("after the crash: %+v %v", posts, err)
		}
		if _, _, err := e.alerts.Ack(context.Background(), id, "sato", "console"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := e.api.Count(); n != 0 {
			t.Errorf("%d messages posted after an unknown post, want 0", n)
		}
	})
}

// members maps Slack member ids to users, as verified contact methods do.
type members map[string]contact.ChatMember

func (m members) UserByChatMember(_ context.Context, _ []string, member string) (contact.ChatMember, error) {
	if cm, ok := m[member]; ok {
		return cm, nil
	}
	return contact.ChatMember{}, contact.ErrNotFound
}

func (m members) ChatAddress(context.Context, string, string) (string, error) {
	return "", contact.ErrNotFound
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestParseInteraction names the field of each malformed payload.
func TestParseInteraction(t *testing.T) {
	t.Parallel()
	ok := fake.SlackBlockAction{UserID: "U0SATO001", ChannelID: channel, ActionID: "opsdesk:resolve:42", Value: "7", ResponseURL: "https://hooks.slack.com/actions/T/1/x"}
	in, err := alertchat.ParseInteraction(ok.Payload())
	if err != nil || in.AlertID != 42 || in.Action != "resolve" || in.UserID != "U0SATO001" || in.ChannelID != channel {
		t.Fatalf("good payload: %+v %v", in, err)
	}
	for _, tc := range []struct {
		name, payload, field string
	}{
		{"not json", `{`, "payload"},
		{"type", `{"type":"view_submission"}`, "type"},
		{"user", `{"type":"block_actions","user":{"id":"<!channel>"}}`, "user.id"},
		{"channel", `{"type":"block_actions","user":{"id":"U1AB"},"channel":{"id":"x"}}`, "channel.id"},
		{"response_url", `{"type":"block_actions","user":{"id":"U1AB"},"channel":{"id":"C1AB"},"response_url":"javascript:x"}`, "response_url"},
		{"no actions", `{"type":"block_actions","user":{"id":"U1AB"},"channel":{"id":"C1AB"},"actions":[]}`, "actions"},
		{"foreign action", `{"type":"block_actions","user":{"id":"U1AB"},"channel":{"id":"C1AB"},"actions":[{"action_id":"other:ack:1"}]}`, "actions[0].action_id"},
		{"unknown action", `{"type":"block_actions","user":{"id":"U1AB"},"channel":{"id":"C1AB"},"actions":[{"action_id":"opsdesk:delete:1"}]}`, "actions[0].action_id"},
		{"bad id", `{"type":"block_actions","user":{"id":"U1AB"},"channel":{"id":"C1AB"},"actions":[{"action_id":"opsdesk:ack:01"}]}`, "actions[0].action_id"},
		{"negative id", `{"type":"block_actions","user":{"id":"U1AB"},"channel":{"id":"C1AB"},"actions":[{"action_id":"opsdesk:ack:-1"}]}`, "actions[0].action_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := alertchat.ParseInteraction([]byte(tc.payload))
			var ie *alertchat.InteractionError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Errorf("error %v, want field %s", err, tc.field)
			}
		})
	}
}

// FuzzParseInteraction: any payload is parsed or refused, never a panic,
// and what is accepted is an opsdesk action on a positive alert id.
func FuzzParseInteraction(f *testing.F) {
	f.Add(fake.SlackBlockAction{UserID: "U0SATO001", ChannelID: channel, ActionID: "opsdesk:ack:1"}.Payload())
	f.Add([]byte(`{"type":"block_actions","user":{"id":"W0X"},"container":{"channel_id":"G0X"},"actions":[{"action_id":"opsdesk:silence:9223372036854775807"}]}`))
	f.Add([]byte(`{"type":"block_actions","actions":[{"action_id":"opsdesk:ack:1:2"}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"opsdesk::"}]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		in, err := alertchat.ParseInteraction(payload)
		if err != nil {
			var ie *alertchat.InteractionError
			if !errors.As(err, &ie) || ie.Field == "" {
				t.Fatalf("error without a field: %v", err)
			}
			return
		}
		if in.AlertID <= 0 || in.UserID == "" || in.ChannelID == "" {
			t.Fatalf("accepted %+v", in)
		}
		switch in.Action {
		case "ack", "resolve", "escalate", "silence":
		default:
			t.Fatalf("action %q", in.Action)
		}
	})
}
