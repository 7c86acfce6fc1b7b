package alerts

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/opsdesk/opsdesk/internal/httpx"
)

// Maintenance windows in the API:
//
//	GET    /api/v1/maintenance-windows[?all=1]  read:alerts
//	POST   /api/v1/maintenance-windows          act:alerts  (a Window as JSON)
//	DELETE /api/v1/maintenance-windows/{id}     act:alerts  (ends it now)
func (a *API) registerMaintenance(mux *http.ServeMux, read, act string) {
	mux.HandleFunc("GET /api/v1/maintenance-windows", a.authed(read, a.windows))
	mux.HandleFunc("POST /api/v1/maintenance-windows", a.authed(act, a.createWindow))
	mux.HandleFunc("DELETE /api/v1/maintenance-windows/{id}", a.authed(act, a.endWindow))
}

func (a *API) windows(w http.ResponseWriter, r *http.Request, _ string) {
	list, err := a.Svc.Windows(r.Context(), r.URL.Query().Get("all") == "1")
	if err != nil {
		a.notesError(w, err)
		return
	}
	if list == nil {
		list = []*Window{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"windows": list})
}

func (a *API) createWindow(w http.ResponseWriter, r *http.Request, token string) {
	var in Window
	if !a.decodeBody(w, r, &in, `{"name": "db upgrade", "system": "XYZ", "start": "2026-12-08T01:00:00+09:00", "end": "2026-12-08T03:00:00+09:00"}`) {
		return
	}
	out, err := a.Svc.CreateWindow(r.Context(), in, token)
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			httpx.Error(w, http.StatusBadRequest, ve.Error(), ve.Field)
			return
		}
		a.notesError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, out)
}

func (a *API) endWindow(w http.ResponseWriter, r *http.Request, token string) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		httpx.Error(w, http.StatusBadRequest, "the id must be a positive number", "id")
		return
	}
	if err := a.Svc.EndWindow(r.Context(), id, token); errors.Is(err, ErrNotFound) {
		httpx.Error(w, http.StatusNotFound, "no such maintenance window, or it ended already", "id")
		return
	} else if err != nil {
		a.notesError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
