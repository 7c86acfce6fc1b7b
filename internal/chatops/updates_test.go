package chatops

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opsdesk/opsdesk/internal/aws/support"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

func supportClient(t *testing.T, f *fake.Support) *support.Client {
	t.Helper()
	c, err := support.New(support.Options{
		Credentials: f.CredentialsProvider(),
		Endpoint:    f.URL(),
		LookupEnv:   func(string) (string, bool) { return "", false },
		HTTPClient:  &http.Client{Timeout: 10 * time.Second},
		RetryMode:   aws.RetryModeStandard,
		MaxAttempts: 3,
		Sleep:       func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type queuedMsg struct {
	Queue   string
	Target  Target
	Payload Payload
}

func queuedMessages(t *testing.T, st *store.Store, after int64) ([]queuedMsg, int64) {
	t.Helper()
	rows, err := st.R.Query(st.Q(`SELECT id, queue, target, payload FROM chat_outbox WHERE id > ? ORDER BY id`), after)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []queuedMsg
	last := after
	for rows.Next() {
		var m queuedMsg
		var target, payload string
		if err := rows.Scan(&last, &m.Queue, &target, &payload); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal([]byte(target), &m.Target)
		_ = json.Unmarshal([]byte(payload), &m.Payload)
		out = append(out, m)
	}
	return out, last
}

// TestUpdater follows a case created from chat (announced to its DingTalk
// conversation) and all cases of severity high or more (announced to a
// destination) through AWS replies, a customer reply, a resolution and a
// reopening, synced by the periodic sync: each change is announced once.
func TestUpdater(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := fake.NewSupport(t)
		created := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
		mk := func(id, display, sev string) fake.SupportCase {
			return fake.SupportCase{CaseID: id, DisplayID: display, Subject: "subject of " + display, Status: "opened", ServiceCode: "aws-lambda",
				CategoryCode: "performance", SeverityCode: sev, SubmittedBy: "ops@example.com", Language: "en", TimeCreated: created,
				Communications: []fake.SupportCommunication{{Body: "help", SubmittedBy: "ops@example.com", TimeCreated: created}}}
		}
		chatCase := mk("case-123456789012-muen-2026-00000000000000a1", "1001", "low")
		high := mk("case-123456789012-muen-2026-00000000000000b2", "1002", "high")
		low := mk("case-123456789012-muen-2026-00000000000000c3", "1003", "normal")
		f.Load([]fake.SupportCase{chatCase, high, low})
		syncer := &cases.Syncer{Store: cases.NewStore(st), Dir: t.TempDir(), Overlap: time.Hour, ResolvedRepoll: 24 * time.Hour}
		acct := cases.Account{Name: "prod", Languages: []string{"en"}, Client: supportClient(t, f)}
		resync := func() {
			t.Helper()
			if _, err := syncer.Sync(ctx, acct, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		resync()
		s := NewStore(st, nil)
		u := &Updater{Store: s, Outbox: &Outbox{Store: s}, All: []UpdateTarget{{Destination: "ops", MinSeverity: "high"}},
			DingTalkLanguage: "zh", DingTalkMsgType: "text", BaseURL: "https://opsdesk.example.com"}
		if err := s.watch(ctx, Watch{Account: "prod", CaseID: chatCase.CaseID, Platform: PlatformDingTalk, ConversationID: "cidOps"}); err != nil {
			t.Fatal(err)
		}
		check := func(want int) {
			t.Helper()
			n, err := u.Check(ctx, "", "")
			if err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Fatalf("Check queued %d messages, want %d", n, want)
			}
		}
		// First sight: nothing is announced.
		check(0)
		var mark int64
		if got, last := queuedMessages(t, st, mark); len(got) != 0 {
			t.Fatalf("queued %v", got)
		} else {
			mark = last
		}

		// AWS answers all three; the chat case's creator answers too.
		for _, c := range []fake.SupportCase{chatCase, high, low} {
			f.AddCommunication(c.CaseID, fake.SupportCommunication{Body: "AWS looked at " + c.DisplayID})
		}
		f.AddCommunication(chatCase.CaseID, fake.SupportCommunication{Body: "thanks", SubmittedBy: "ops@example.com"})
		resync()
		check(2)
		got, last := queuedMessages(t, st, mark)
		mark = last
		if len(got) != 2 {
			t.Fatalf("queued %+v", got)
		}
		byQueue := map[string]queuedMsg{}
		for _, m := range got {
			byQueue[m.Queue] = m
		}
		dt, ok := byQueue["dingtalk:cidOps"]
		if !ok || dt.Target.Kind != TargetDingTalk || dt.Target.Conversation != "cidOps" ||
			!strings.Contains(dt.Payload.Text, "工单 1001 有 AWS 的新回复") || !strings.Contains(dt.Payload.Text, "AWS looked at 1001") ||
			strings.Contains(dt.Payload.Text, "thanks") || !strings.Contains(dt.Payload.Text, "https://opsdesk.example.com/cases/"+chatCase.CaseID) {
			t.Fatalf("conversation update: %+v", dt)
		}
		dest, ok := byQueue["dest:ops"]
		if !ok || dest.Payload.Message == nil || dest.Payload.Message.Title != "Case 1002: new reply from AWS" ||
			!strings.Contains(dest.Payload.Message.Text, "AWS looked at 1002") || dest.Payload.Message.Severity != "warning" || dest.Payload.Message.Ref != "1002" {
			t.Fatalf("destination update: %+v", dest)
		}
		// Nothing changed: nothing more, however often it looks.
		check(0)
		check(0)

		// Resolutions.
		f.SetStatus(chatCase.CaseID, "resolved")
		f.SetStatus(high.CaseID, "resolved")
		f.SetStatus(low.CaseID, "resolved")
		resync()
		check(2)
		got, mark = queuedMessages(t, st, mark)
		titles := map[string]string{}
		for _, m := range got {
			if m.Payload.Message != nil {
				titles[m.Queue] = m.Payload.Message.Title
			} else {
				titles[m.Queue] = strings.SplitN(m.Payload.Text, "\n", 2)[0]
			}
		}
		if titles["dingtalk:cidOps"] != "工单 1001 已解决" || titles["dest:ops"] != "Case 1002 was resolved" || len(titles) != 2 {
			t.Fatalf("resolutions: %v", titles)
		}

		// A reopening, seen by several checks at once: announced once.
		f.SetStatus(chatCase.CaseID, "reopened")
		resync()
		var wg sync.WaitGroup
		counts := make([]int, 4)
		errs := make([]error, 4)
		for i := range counts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u2 := *u
				counts[i], errs[i] = u2.Check(ctx, "prod", chatCase.DisplayID)
			}()
		}
		wg.Wait()
		total := 0
		for i := range counts {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			total += counts[i]
		}
		if total != 1 {
			t.Fatalf("reopening announced %d times", total)
		}
		got, _ = queuedMessages(t, st, mark)
		if len(got) != 1 || !strings.HasPrefix(got[0].Payload.Text, "工单 1001 已重新打开") {
			t.Fatalf("reopening: %+v", got)
		}
		check(0)
	})
}
