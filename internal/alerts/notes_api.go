package alerts

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/httpx"
)

// Notes and the assignee in the API:
//
//	GET  /api/v1/alerts/{id}/notes     read:alerts
//	POST /api/v1/alerts/{id}/notes     act:alerts  {"body": "...", "by": "sato"}
//	PUT  /api/v1/alerts/{id}/assignee  act:alerts  {"assignee": "sato" | "", "by": "..."}
//
// "by" names the author (else the token's name), as for ack and resolve.

// NoteJSON is a note as the API shows it.
type NoteJSON struct {
	ID        int64     `json:"id"`
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

func noteJSON(n Note) NoteJSON {
	return NoteJSON{ID: n.ID, Author: n.Author, Body: n.Body, CreatedAt: n.CreatedAt}
}

func (a *API) registerNotes(mux *http.ServeMux, read, act string) {
	mux.HandleFunc("GET /api/v1/alerts/{id}/notes", a.authed(read, a.notes))
	mux.HandleFunc("POST /api/v1/alerts/{id}/notes", a.authed(act, a.addNote))
	mux.HandleFunc("PUT /api/v1/alerts/{id}/assignee", a.authed(act, a.assign))
}

// notesError answers an error of the notes routes.
func (a *API) notesError(w http.ResponseWriter, err error) {
	var ve *ValidationError
	switch {
	case errors.Is(err, ErrNotFound):
		httpx.Error(w, http.StatusNotFound, "no such alert", "id")
	case errors.As(err, &ve):
		httpx.Error(w, http.StatusBadRequest, ve.Error(), ve.Field)
	default:
		a.Log.Error("alerts: notes", "error", err)
		httpx.Error(w, http.StatusServiceUnavailable, "changing the alert failed; retry", "")
	}
}

func (a *API) notes(w http.ResponseWriter, r *http.Request, _ string) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if _, err := a.Svc.Assignee(r.Context(), id); err != nil {
		a.notesError(w, err)
		return
	}
	list, err := a.Svc.Notes(r.Context(), id)
	if err != nil {
		a.notesError(w, err)
		return
	}
	out := make([]NoteJSON, 0, len(list))
	for _, n := range list {
		out = append(out, noteJSON(n))
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"notes": out})
}

// decodeBody reads a JSON object into v, answering 400 when it is not one.
func (a *API) decodeBody(w http.ResponseWriter, r *http.Request, v any, example string) bool {
	body, ok := a.readBody(w, r)
	if !ok {
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		httpx.Error(w, http.StatusBadRequest, "the body must be JSON such as "+example+": "+err.Error(), "")
		return false
	}
	return true
}

func byOr(by, token string) string {
	if v := strings.TrimSpace(by); v != "" {
		return clip(v, 100)
	}
	return token
}

func (a *API) addNote(w http.ResponseWriter, r *http.Request, token string) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in struct {
		Body *string `json:"body"`
		By   string  `json:"by"`
	}
	if !a.decodeBody(w, r, &in, `{"body": "text"}`) {
		return
	}
	if in.Body == nil {
		httpx.Error(w, http.StatusBadRequest, "body: is required", "body")
		return
	}
	n, err := a.Svc.AddNote(r.Context(), id, byOr(in.By, token), *in.Body)
	if err != nil {
		a.notesError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, noteJSON(*n))
}

func (a *API) assign(w http.ResponseWriter, r *http.Request, token string) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in struct {
		Assignee *string `json:"assignee"`
		By       string  `json:"by"`
	}
	if !a.decodeBody(w, r, &in, `{"assignee": "name"}`) {
		return
	}
	if in.Assignee == nil {
		httpx.Error(w, http.StatusBadRequest, `assignee: is required ("" to unassign)`, "assignee")
		return
	}
	var isUser func(string) bool
	if a.IsUser != nil {
		isUser = func(name string) bool { return a.IsUser(r.Context(), name) }
	}
	changed, err := a.Svc.Assign(r.Context(), id, *in.Assignee, byOr(in.By, token), isUser)
	if err != nil {
		a.notesError(w, err)
		return
	}
	who, err := a.Svc.Assignee(r.Context(), id)
	if err != nil {
		a.notesError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "assignee": who, "changed": changed})
}
