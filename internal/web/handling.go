package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/intake"
)

// Handling a question in the console: its state (open, answered,
// closed), who handles it, and internal notes. Responders and admins
// change them; everyone who may read questions sees them.

// handlingData is the question page's handling card.
type handlingData struct {
	StateLabel string
	States     []option
	Users      []option
	Notes      []intake.Note
	// Error is a refused change, shown in the card (the page answers 422).
	Error string
	// Note is the text of a refused note, kept for the user to fix.
	Note string
}

func stateLabel(p *page, s string) string { return p.T("handling.state." + s) }

// handling builds the card; errMsg and note come from a refused POST.
func (h *Handler) handling(r *http.Request, p *page, q *intake.Question, errMsg, note string) (handlingData, error) {
	d := handlingData{StateLabel: stateLabel(p, q.State), Error: errMsg, Note: note}
	for _, s := range intake.States {
		d.States = append(d.States, option{Value: s, Label: stateLabel(p, s), Selected: s == q.State})
	}
	users, err := h.auth.ListUsers(r.Context())
	if err != nil {
		return d, err
	}
	d.Users = append(d.Users, option{Value: "", Label: p.T("handling.nobody"), Selected: q.Assignee == ""})
	known := false
	for _, u := range users {
		d.Users = append(d.Users, option{Value: u.Name, Label: u.Name, Selected: u.Name == q.Assignee})
		known = known || u.Name == q.Assignee
	}
	if q.Assignee != "" && !known {
		// A deleted user stays visible until someone reassigns.
		d.Users = append(d.Users, option{Value: q.Assignee, Label: q.Assignee, Selected: true})
	}
	if d.Notes, err = h.intake.Notes(r.Context(), q.ID); err != nil {
		return d, err
	}
	return d, nil
}

// questionForPost loads the question of a handling POST, answering 404
// for an unknown one.
func (h *Handler) questionForPost(w http.ResponseWriter, r *http.Request, p *page) *intake.Question {
	ref := strings.ToUpper(r.PathValue("ref"))
	if !intake.ValidRef(ref) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.question")
		return nil
	}
	q, err := h.intake.Get(r.Context(), ref)
	if errors.Is(err, intake.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.question")
		return nil
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return nil
	}
	return q
}

// handlingDone records the change and goes back to the question.
func (h *Handler) handlingDone(w http.ResponseWriter, r *http.Request, q *intake.Question, action, detail, notice string) {
	_ = h.audit.Record(r.Context(), action, "question "+q.Ref, detail)
	http.Redirect(w, r, withNotice("/questions/"+q.Ref, notice)+"#handling", http.StatusSeeOther)
}

// questionState is POST /questions/{ref}/state.
func (h *Handler) questionState(w http.ResponseWriter, r *http.Request, p *page) {
	q := h.questionForPost(w, r, p)
	if q == nil {
		return
	}
	to := r.PostFormValue("state")
	if !slices.Contains(intake.States, to) {
		h.renderQuestion(w, r, p, q, http.StatusUnprocessableEntity, p.T("handling.bad_state"), "")
		return
	}
	if err := h.intake.SetState(r.Context(), q.Ref, to, p.User.Name); err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.handlingDone(w, r, q, "question.state", q.State+" → "+to, "question_state")
}

// questionAssign is POST /questions/{ref}/assign: to a user, or to nobody.
func (h *Handler) questionAssign(w http.ResponseWriter, r *http.Request, p *page) {
	q := h.questionForPost(w, r, p)
	if q == nil {
		return
	}
	who := strings.TrimSpace(r.PostFormValue("assignee"))
	if who != "" && who != q.Assignee {
		users, err := h.auth.ListUsers(r.Context())
		if err != nil {
			h.serverError(w, r, p, err)
			return
		}
		if !slices.ContainsFunc(users, func(u auth.User) bool { return u.Name == who }) {
			h.renderQuestion(w, r, p, q, http.StatusUnprocessableEntity, p.T("handling.bad_user", shorten(who, 64)), "")
			return
		}
	}
	if err := h.intake.Assign(r.Context(), q.Ref, who); err != nil {
		h.serverError(w, r, p, err)
		return
	}
	detail := who
	if detail == "" {
		detail = "nobody"
	}
	h.handlingDone(w, r, q, "question.assign", detail, "question_assigned")
}

// questionNote is POST /questions/{ref}/notes.
func (h *Handler) questionNote(w http.ResponseWriter, r *http.Request, p *page) {
	q := h.questionForPost(w, r, p)
	if q == nil {
		return
	}
	body := r.PostFormValue("note")
	n, err := h.intake.AddNote(r.Context(), q.Ref, p.User.Name, body)
	var fe *intake.FieldError
	switch {
	case errors.As(err, &fe) && fe.Code == intake.CodeTooLong:
		h.renderQuestion(w, r, p, q, http.StatusUnprocessableEntity, p.T("handling.note_long", fe.Length, fe.Limit), body)
		return
	case errors.As(err, &fe):
		h.renderQuestion(w, r, p, q, http.StatusUnprocessableEntity, p.T("handling.note_empty"), body)
		return
	case err != nil:
		h.serverError(w, r, p, err)
		return
	}
	h.handlingDone(w, r, q, "question.note", shorten(n.Body, 200), "question_note")
}
