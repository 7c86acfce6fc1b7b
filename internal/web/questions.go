package web

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/delivery"
	"github.com/opsdesk/opsdesk/internal/intake"
)

type questionsFilter struct {
	Q       string
	Project string
	Status  string
	From    string
	To      string
	// State is a handling state ("" any); Assignee a user name, "-" for
	// nobody ("" anyone).
	State    string
	Assignee string
}

type option struct {
	Value    string
	Label    string
	Selected bool
}

type questionsData struct {
	Filter   questionsFilter
	Errors   map[string]string
	Statuses []option
	States   []option
	Users    []option
	Projects []string
	Rows     []questionRow
	// NextURL is the page of older questions ("" on the last page);
	// FirstURL goes back to the newest when paging.
	NextURL  string
	FirstURL string
	// Filtered: some filter is set (an empty result means "no match",
	// not "no questions yet").
	Filtered bool
	AskURL   string
}

const dateLayout = "2006-01-02"

// questions is GET /questions: search, filters (project, delivery status,
// date range in UTC) and paging by id (?before=).
func (h *Handler) questions(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("questions.title"), "questions"
	ctx := r.Context()
	q := r.URL.Query()
	d := questionsData{Errors: map[string]string{}, AskURL: h.askURL(r)}
	d.Filter = questionsFilter{
		Q:        strings.TrimSpace(q.Get("q")),
		Project:  strings.TrimSpace(q.Get("project")),
		Status:   q.Get("status"),
		From:     strings.TrimSpace(q.Get("from")),
		To:       strings.TrimSpace(q.Get("to")),
		State:    q.Get("state"),
		Assignee: strings.TrimSpace(q.Get("assignee")),
	}
	f := intake.ListFilter{Search: d.Filter.Q, Project: d.Filter.Project, Limit: h.pageSize + 1}
	switch d.Filter.Status {
	case delivery.StatusPending, delivery.StatusDelivered, delivery.StatusFailed:
		f.Status = d.Filter.Status
	default:
		d.Filter.Status = ""
	}
	if slices.Contains(intake.States, d.Filter.State) {
		f.State = d.Filter.State
	} else {
		d.Filter.State = ""
	}
	switch d.Filter.Assignee {
	case "":
	case "-":
		f.Unassigned = true
	default:
		f.Assignee = d.Filter.Assignee
	}
	// A date the browser did not send from its date picker (an edited or
	// old link, a browser without one) is reported next to its field, not
	// echoed into it (a date input cannot show it) and not applied.
	day := func(field string, s *string) time.Time {
		if *s == "" {
			return time.Time{}
		}
		t, err := time.Parse(dateLayout, *s)
		if err != nil {
			d.Errors[field] = p.T("questions.bad_date", shorten(*s, 40))
			*s = ""
			return time.Time{}
		}
		return t
	}
	f.From = day("from", &d.Filter.From)
	if to := day("to", &d.Filter.To); !to.IsZero() {
		if !f.From.IsZero() && to.Before(f.From) {
			d.Errors["to"] = p.T("questions.date_order")
		} else {
			f.To = to.Add(24 * time.Hour) // the whole day
		}
	}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		f.Before = b
	}
	d.Filtered = f.Search != "" || f.Project != "" || f.Status != "" || f.State != "" || d.Filter.Assignee != "" ||
		!f.From.IsZero() || !f.To.IsZero() || len(d.Errors) > 0
	d.States = append(d.States, option{Value: "", Label: p.T("questions.any_state"), Selected: d.Filter.State == ""})
	for _, s := range intake.States {
		d.States = append(d.States, option{Value: s, Label: stateLabel(p, s), Selected: s == d.Filter.State})
	}
	d.Users = []option{
		{Value: "", Label: p.T("questions.anyone"), Selected: d.Filter.Assignee == ""},
		{Value: p.User.Name, Label: p.T("questions.mine"), Selected: d.Filter.Assignee == p.User.Name},
		{Value: "-", Label: p.T("questions.unassigned"), Selected: d.Filter.Assignee == "-"},
	}
	if users, err := h.auth.ListUsers(ctx); err == nil {
		for _, u := range users {
			if u.Name != p.User.Name {
				d.Users = append(d.Users, option{Value: u.Name, Label: u.Name, Selected: u.Name == d.Filter.Assignee})
			}
		}
	}
	for _, s := range []string{"", delivery.StatusFailed, delivery.StatusPending, delivery.StatusDelivered} {
		label := p.T("questions.any_status")
		if s != "" {
			label = statusLabel(p, s)
		}
		d.Statuses = append(d.Statuses, option{Value: s, Label: label, Selected: s == d.Filter.Status})
	}

	qs, err := h.intake.List(ctx, f)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	if len(qs) > h.pageSize {
		qs = qs[:h.pageSize]
		d.NextURL = questionsURL(d.Filter, qs[len(qs)-1].ID)
	}
	if f.Before > 0 {
		d.FirstURL = questionsURL(d.Filter, 0)
	}
	if d.Rows, err = h.questionRows(ctx, p, qs); err != nil {
		h.serverError(w, r, p, err)
		return
	}
	if d.Projects, err = h.projects(r); err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.render(w, r, p, http.StatusOK, "questions", d)
}

// shorten cuts s to n characters for quoting it in a message.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// listURL is a list page's address with its filters (the non-empty
// ones) and, when paging, ?before=.
func listURL(path string, filters map[string]string, before int64) string {
	v := url.Values{}
	for k, s := range filters {
		if s != "" {
			v.Set(k, s)
		}
	}
	if before > 0 {
		v.Set("before", strconv.FormatInt(before, 10))
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

func questionsURL(f questionsFilter, before int64) string {
	return listURL("/questions", map[string]string{"q": f.Q, "project": f.Project, "status": f.Status, "from": f.From, "to": f.To, "state": f.State, "assignee": f.Assignee}, before)
}

// projects lists the project codes in use, for the filter's suggestions.
func (h *Handler) projects(r *http.Request) ([]string, error) {
	rows, err := h.st.R.QueryContext(r.Context(), `SELECT DISTINCT project FROM questions WHERE project <> '' ORDER BY project LIMIT 200`)
	if err != nil {
		return nil, fmt.Errorf("web: projects: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("web: projects: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

type questionData struct {
	Q          *intake.Question
	Deliveries []deliveryRow
	Next       string
	LangName   string
	Handling   handlingData
	// CanHandle: the user may change the handling (responders, admins).
	CanHandle bool
}

// question is GET /questions/{ref}: one question and each destination's
// delivery.
func (h *Handler) question(w http.ResponseWriter, r *http.Request, p *page) {
	p.Nav = "questions"
	ref := strings.ToUpper(r.PathValue("ref"))
	if !intake.ValidRef(ref) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.question")
		return
	}
	q, err := h.intake.Get(r.Context(), ref)
	if errors.Is(err, intake.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.question")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.renderQuestion(w, r, p, q, http.StatusOK, "", "")
}

// renderQuestion shows a question with its deliveries and handling;
// errMsg and note come from a refused handling change (status 422).
func (h *Handler) renderQuestion(w http.ResponseWriter, r *http.Request, p *page, q *intake.Question, status int, errMsg, note string) {
	p.Nav = "questions"
	ds, err := delivery.ForQuestion(r.Context(), h.st, q.ID)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	d := questionData{Q: q, Next: "/questions/" + q.Ref}
	for _, x := range ds {
		d.Deliveries = append(d.Deliveries, h.deliveryRow(p, x))
	}
	for _, l := range languages {
		if l.Tag == q.Lang {
			d.LangName = l.Name
		}
	}
	if d.LangName == "" {
		d.LangName = q.Lang
	}
	if d.Handling, err = h.handling(r, p, q, errMsg, note); err != nil {
		h.serverError(w, r, p, err)
		return
	}
	d.CanHandle = p.User != nil && p.User.CanWrite()
	p.Title = q.Ref
	h.render(w, r, p, status, "question", d)
}

// retry is POST /deliveries/{id}/retry (responders and admins): a failed
// delivery becomes pending with a fresh retry window; then back to the
// page the button was on.
func (h *Handler) retry(w http.ResponseWriter, r *http.Request, p *page) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.delivery")
		return
	}
	ok, err := delivery.Retry(r.Context(), h.st, h.queue, id, h.now())
	switch {
	case errors.Is(err, delivery.ErrNotFound), errors.Is(err, sql.ErrNoRows):
		h.renderError(w, r, p, http.StatusNotFound, "notfound.delivery")
		return
	case err != nil && ok:
		// Pending again but not enqueued: the sweeper will pick it up.
		h.log.Warn("web: retry enqueue failed", "delivery", id, "error", err)
	case err != nil:
		h.serverError(w, r, p, err)
		return
	}
	h.log.Info("web: delivery retry", "delivery", id, "user", p.User.Name, "retried", ok)
	if ok {
		_ = h.audit.Record(r.Context(), "delivery.retry", "delivery "+strconv.FormatInt(id, 10), "")
	}
	next := localPath(r.PostFormValue("next"))
	if next == "" {
		if dl, err := delivery.Get(r.Context(), h.st, h.st.R, id); err == nil {
			next = "/questions/" + dl.QuestionRef
		} else {
			next = "/"
		}
	}
	notice := "retried"
	if !ok {
		notice = "not_retried"
	}
	http.Redirect(w, r, withNotice(next, notice), http.StatusSeeOther)
}

func withNotice(path, notice string) string {
	u, err := url.Parse(path)
	if err != nil {
		return "/"
	}
	v := u.Query()
	v.Set("notice", notice)
	u.RawQuery = v.Encode()
	return u.String()
}
