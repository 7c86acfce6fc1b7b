package web

import (
	"context"
	"net/http"

	"github.com/opsdesk/opsdesk/internal/cases"
)

// AccountsService lists the case archive's accounts, configured and
// discovered through AWS Organizations (*cases.Directory implements it).
type AccountsService interface {
	List(ctx context.Context) ([]cases.AccountInfo, []cases.OrgDiscovery, error)
}

// accountsRoutes adds GET /accounts (members): every account, where it
// comes from and how its last sync went.
func (h *Handler) accountsRoutes(mux *http.ServeMux) {
	if h.accounts == nil {
		return
	}
	mux.Handle("GET /accounts", h.route(accessMember, h.accountList))
}

type accountRow struct {
	cases.AccountInfo
	// SourceLabel is "configuration" in the reader's language, or the
	// organization's name.
	SourceLabel string
	// Result is the last sync in words; Failed marks a failure, whose
	// error text is in LastSync.Error.
	Result string
	Failed bool
}

type accountsData struct {
	Rows []accountRow
	Orgs []cases.OrgDiscovery
}

func (h *Handler) accountList(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("accounts.title"), "cases"
	list, orgs, err := h.accounts.List(r.Context())
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	d := accountsData{Orgs: orgs}
	for _, a := range list {
		row := accountRow{AccountInfo: a, SourceLabel: a.Source}
		if a.Source == cases.SourceConfig {
			row.SourceLabel = p.T("accounts.source_config")
		}
		switch s := a.LastSync; {
		case !a.Active:
			row.Result = p.T("accounts.not_synced")
		case s == nil:
			row.Result = p.T("accounts.never")
		case s.OK:
			row.Result = p.T("accounts.ok", s.CasesSeen, s.CasesNew)
		default:
			row.Failed = true
			row.Result = p.T("accounts.fail." + kindOrOther(s.Kind))
		}
		d.Rows = append(d.Rows, row)
	}
	h.render(w, r, p, http.StatusOK, "accounts", d)
}

func kindOrOther(k string) string {
	switch k {
	case cases.FailAssumeRole, cases.FailNoPlan, cases.FailThrottled:
		return k
	}
	return cases.FailOther
}
