package chatops

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opsdesk/opsdesk/internal/aws/support"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

func accountClient(t *testing.T, f *fake.Support, a *fake.SupportAccount) *support.Client {
	t.Helper()
	c, err := support.New(support.Options{
		Credentials: a.CredentialsProvider(), Endpoint: f.URL(),
		LookupEnv:  func(string) (string, bool) { return "", false },
		HTTPClient: &http.Client{Timeout: 10 * time.Second}, RetryMode: aws.RetryModeStandard, MaxAttempts: 3,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCreateCaseInAnotherAccount: "create case --account dev" (and the
// account line) creates the case in dev's Support API, with dev's
// credentials; resolve finds the case's account in the archive; an account
// outside the chat's allow-list, or unknown, is refused with a localized
// reply naming the allowed ones — on DingTalk and on Slack.
func TestCreateCaseInAnotherAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := fake.NewSupport(t)
		dev := f.AddAccount("222222222222", "")
		secret := f.AddAccount("333333333333", "")
		svc := newTestService(t, st, f)
		svc.Account.ID = f.AccountID()
		svc.Accounts = &cases.Directory{Store: svc.Cases, Configured: []cases.Account{
			*svc.Account,
			{Name: "dev", ID: dev.AccountID(), Languages: []string{"en"}, Client: accountClient(t, f, dev)},
			{Name: "secret", ID: secret.AccountID(), Languages: []string{"en"}, Client: accountClient(t, f, secret)},
		}}
		svc.DingTalk.Accounts, svc.DingTalk.AccountsKey = []string{"dev"}, "chat.dingtalk.accounts"
		svc.Slack.AccountsKey = "chat.slack.accounts"
		const fields = "\nsubject:disk full\nbody:b\nseverityCode:low\nserviceCode:aws-lambda\ncategoryCode:performance"

		p, a := replyTo(t, svc, "boss", "create case --account dev"+fields)
		if a.Result != ResultOK || dev.NumCases() != 1 || f.NumCases() != 0 {
			t.Fatalf("create in dev: %s %q; dev has %d cases, prod %d", a.Result, p.Text, dev.NumCases(), f.NumCases())
		}
		caseID := dev.Cases()[0].CaseID
		if !strings.Contains(p.Text, caseID) {
			t.Errorf("reply %q does not name %s", p.Text, caseID)
		}
		var watched string
		if err := st.R.QueryRow(st.Q(`SELECT account FROM chat_cases WHERE case_id = ?`), caseID).Scan(&watched); err != nil || watched != "dev" {
			t.Errorf("watched under %q (%v), want dev", watched, err)
		}
		// resolve finds dev in the archive and calls dev's API.
		if _, a := replyTo(t, svc, "boss", "resolve "+caseID); a.Result != ResultOK {
			t.Fatalf("resolve: %+v", a)
		}
		if c, _ := dev.Case(caseID); c.Status != "resolved" {
			t.Errorf("dev's case is %q after resolve", c.Status)
		}
		// The account line works the same, by id.
		if _, a := replyTo(t, svc, "boss", "提工单"+fields+"\n账号: "+dev.AccountID()); a.Result != ResultOK || dev.NumCases() != 2 {
			t.Fatalf("create by account line: %+v, dev has %d", a, dev.NumCases())
		}

		// Not in the allow-list: refused, in the chat's language, naming
		// the allowed accounts and the key.
		p, a = replyTo(t, svc, "boss", "提工单"+fields+"\n账号: secret")
		if a.Result != ResultForbidden || secret.NumCases() != 0 ||
			!strings.Contains(p.Text, "本群不能使用账号 secret") || !strings.Contains(p.Text, "prod, dev") || !strings.Contains(p.Text, "chat.dingtalk.accounts") {
			t.Errorf("refusal %s %q; secret has %d cases", a.Result, p.Text, secret.NumCases())
		}
		svc.DingTalk.Language = "ja"
		p, a = replyTo(t, svc, "boss", "create case --account nope"+fields)
		if a.Result != ResultInvalid || !strings.Contains(p.Text, "nope という AWS アカウントはありません") {
			t.Errorf("unknown account %s %q", a.Result, p.Text)
		}
		svc.DingTalk.Language = "ko"
		if p, _ := replyTo(t, svc, "boss", "create case --account secret"+fields); !strings.Contains(p.Text, "이 채팅에서는 계정 secret을(를) 쓸 수 없습니다") {
			t.Errorf("korean refusal %q", p.Text)
		}
		// Slack's allow-list is empty: only the chat's account.
		sp := slackReply(t, svc, "s1", "create case --account dev"+fields)
		if !strings.Contains(sp.Text, "This chat may not use the account dev. Accounts it may use: prod.") || dev.NumCases() != 2 {
			t.Errorf("slack refusal %q; dev has %d", sp.Text, dev.NumCases())
		}
		sp = slackReply(t, svc, "s2", "create case --account prod"+fields)
		if f.NumCases() != 1 || !strings.Contains(sp.Text, f.Cases()[0].CaseID) {
			t.Errorf("slack create in its own account: %q, prod has %d", sp.Text, f.NumCases())
		}
	})
}
