package cases

import (
	"net/http"

	"github.com/opsdesk/opsdesk/internal/httpx"
)

// AccountsAPI serves GET /api/v1/accounts: every account the archive
// knows (configured and discovered), its source and last sync result, and
// the last discovery of every organization. Needs read:cases.
type AccountsAPI struct {
	Directory *Directory
}

// Register adds the route wrapped in wrap (the token check).
func (a *AccountsAPI) Register(mux *http.ServeMux, wrap func(http.Handler) http.Handler) {
	mux.Handle("GET /api/v1/accounts", wrap(http.HandlerFunc(a.list)))
}

type accountsJSON struct {
	Accounts      []AccountInfo  `json:"accounts"`
	Organizations []OrgDiscovery `json:"organizations"`
}

func (a *AccountsAPI) list(w http.ResponseWriter, r *http.Request) {
	list, discs, err := a.Directory.List(r.Context())
	if err != nil {
		httpx.Error(w, http.StatusInternalServerError, "could not list the accounts", "")
		return
	}
	if list == nil {
		list = []AccountInfo{}
	}
	if discs == nil {
		discs = []OrgDiscovery{}
	}
	httpx.WriteJSON(w, http.StatusOK, accountsJSON{Accounts: list, Organizations: discs})
}
