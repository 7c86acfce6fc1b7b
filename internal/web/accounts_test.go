package web

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// accountsList serves a fixed list, as cases.Directory.List would return
// it (the directory's own test fills it from the AWS fakes).
type accountsList struct {
	rows []cases.AccountInfo
	orgs []cases.OrgDiscovery
}

func (l accountsList) List(context.Context) ([]cases.AccountInfo, []cases.OrgDiscovery, error) {
	return l.rows, l.orgs, nil
}

// TestAccountsPage: configured and discovered accounts with their source,
// status and last sync (a failure classified and its error shown), and the
// organizations' discoveries, in every language.
func TestAccountsPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
		list := accountsList{
			rows: []cases.AccountInfo{
				{Name: "mgmt", ID: "999999999999", Source: cases.SourceConfig, Active: true, LastSync: &cases.SyncResult{RunAt: at, OK: true, CasesSeen: 12, CasesNew: 2}},
				{Name: "111111111111", ID: "111111111111", AWSName: "prod", Source: "main", Status: "ACTIVE", Active: true},
				{Name: "333333333333", ID: "333333333333", AWSName: "sandbox", Source: "main", Status: "ACTIVE", Active: true,
					LastSync: &cases.SyncResult{RunAt: at, Kind: cases.FailAssumeRole, Error: "api error AccessDenied: not authorized <b>"}},
				{Name: "222222222222", ID: "222222222222", AWSName: "staging", Source: "main", Status: "SUSPENDED"},
			},
			orgs: []cases.OrgDiscovery{{Org: "main", RunAt: at, Accounts: 2}},
		}
		e := newEnv(t, st, "", func(h *Handler) { h.accounts = list })
		e.addUser("vic", auth.RoleViewer)
		b := e.browser("")
		b.login("vic")
		b.get("/accounts").want(t, http.StatusOK, "AWS accounts", "configuration", "ok: 12 cases, 2 new",
			"prod", "not synced yet", "sandbox",
			"failed: the member role could not be assumed (check its trust policy and external id)",
			"api error AccessDenied: not authorized &lt;b&gt;", "SUSPENDED", "not synced (not an active member)",
			`id="org-main"`)
		for _, c := range []struct{ lang, text string }{
			{"ja", "失敗: メンバーロールを引き受けられません"},
			{"zh", "失败：无法代入成员角色"},
			{"ko", "실패: 멤버 역할을 맡을 수 없습니다"},
		} {
			b.get("/accounts?lang="+c.lang).want(t, http.StatusOK, c.text)
		}
		b.get("/cases?lang=en").want(t, http.StatusOK, `href="/accounts"`)
	})
}
