package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/auth"
)

// Notes and an assignee on the alert page: writers add notes and assign
// the alert to a console user (or to nobody); everyone who may read
// alerts sees them. The service puts each change on the timeline and in
// the audit log.

// alertNotesService is what the page needs of the alerts service beyond
// AlertsService; a service without it shows no notes card.
type alertNotesService interface {
	AddNote(ctx context.Context, alertID int64, author, body string) (*alerts.Note, error)
	Notes(ctx context.Context, alertID int64) ([]alerts.Note, error)
	Assignee(ctx context.Context, alertID int64) (string, error)
	Assign(ctx context.Context, alertID int64, assignee, by string, isUser func(string) bool) (bool, error)
}

// alertNotesData is the alert page's notes card.
type alertNotesData struct {
	Assignee string
	Users    []option
	Notes    []alerts.Note
	CanEdit  bool
	// Error is a refused change (the page answers 422); Note the text of
	// a refused note, kept for the user to fix.
	Error string
	Note  string
	Max   int
}

func (h *Handler) alertNotesSvc() alertNotesService {
	s, _ := h.alerts.(alertNotesService)
	return s
}

// alertNotesRoutes adds POST /alerts/{id}/notes and /assign.
func (h *Handler) alertNotesRoutes(mux *http.ServeMux) {
	if h.alertNotesSvc() == nil {
		return
	}
	mux.Handle("POST /alerts/{id}/notes", h.route(accessWriter, h.alertNote))
	mux.Handle("POST /alerts/{id}/assign", h.route(accessWriter, h.alertAssign))
}

// alertNotes builds the card; errMsg and note come from a refused POST.
func (h *Handler) alertNotes(r *http.Request, p *page, id int64, errMsg, note string) (*alertNotesData, error) {
	svc := h.alertNotesSvc()
	if svc == nil {
		return nil, nil
	}
	ctx := r.Context()
	d := &alertNotesData{CanEdit: p.User != nil && p.User.CanWrite(), Error: errMsg, Note: note, Max: alerts.MaxNote}
	var err error
	if d.Assignee, err = svc.Assignee(ctx, id); err != nil {
		return nil, err
	}
	if d.Notes, err = svc.Notes(ctx, id); err != nil {
		return nil, err
	}
	if !d.CanEdit {
		return d, nil
	}
	users, err := h.auth.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	d.Users = append(d.Users, option{Value: "", Label: p.T("alertnotes.nobody"), Selected: d.Assignee == ""})
	known := false
	for _, u := range users {
		d.Users = append(d.Users, option{Value: u.Name, Label: u.Name, Selected: u.Name == d.Assignee})
		known = known || u.Name == d.Assignee
	}
	if d.Assignee != "" && !known {
		// A deleted user stays visible until someone reassigns.
		d.Users = append(d.Users, option{Value: d.Assignee, Label: d.Assignee, Selected: true})
	}
	return d, nil
}

// alertNotesTimeline says "nobody" for an unassignment on the timeline.
func alertNotesTimeline(p *page, rows []entryRow) {
	for i := range rows {
		if rows[i].Kind == alerts.KindAssign && rows[i].Detail == "" {
			rows[i].Detail = p.T("alertnotes.nobody")
		}
	}
}

func alertPathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// alertNote is POST /alerts/{id}/notes.
func (h *Handler) alertNote(w http.ResponseWriter, r *http.Request, p *page) {
	id, ok := alertPathID(r)
	if !ok {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	body := r.PostFormValue("note")
	_, err := h.alertNotesSvc().AddNote(r.Context(), id, p.User.Name, body)
	var ve *alerts.ValidationError
	switch {
	case errors.Is(err, alerts.ErrNotFound):
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	case errors.As(err, &ve):
		msg := p.T("alertnotes.note_empty")
		if n := utf8.RuneCountInString(strings.TrimSpace(body)); n > alerts.MaxNote {
			msg = p.T("alertnotes.note_long", n, alerts.MaxNote)
		}
		h.renderAlertPage(w, r, p, http.StatusUnprocessableEntity, msg, body)
		return
	case err != nil:
		h.serverError(w, r, p, err)
		return
	}
	http.Redirect(w, r, alertURL(id)+"?done=noted#notes", http.StatusSeeOther)
}

// alertAssign is POST /alerts/{id}/assign: to a console user, or to
// nobody.
func (h *Handler) alertAssign(w http.ResponseWriter, r *http.Request, p *page) {
	id, ok := alertPathID(r)
	if !ok {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	}
	who := strings.TrimSpace(r.PostFormValue("assignee"))
	var users []auth.User
	if who != "" {
		var err error
		if users, err = h.auth.ListUsers(r.Context()); err != nil {
			h.serverError(w, r, p, err)
			return
		}
	}
	isUser := func(name string) bool {
		return slices.ContainsFunc(users, func(u auth.User) bool { return u.Name == name })
	}
	_, err := h.alertNotesSvc().Assign(r.Context(), id, who, p.User.Name, isUser)
	var ve *alerts.ValidationError
	switch {
	case errors.Is(err, alerts.ErrNotFound):
		h.renderError(w, r, p, http.StatusNotFound, "notfound.body")
		return
	case errors.As(err, &ve):
		h.renderAlertPage(w, r, p, http.StatusUnprocessableEntity, p.T("alertnotes.bad_user", shorten(who, 64)), "")
		return
	case err != nil:
		h.serverError(w, r, p, err)
		return
	}
	http.Redirect(w, r, alertURL(id)+"?done=assigned#notes", http.StatusSeeOther)
}
