package web

import (
	"errors"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/intake"
	"github.com/opsdesk/opsdesk/internal/ratelimit"
)

// askData is the question form: what the person typed, and what is wrong
// with it.
type askData struct {
	Project  string
	Name     string
	Question string
	// Errors maps a field (project, name, question) to its message.
	Errors map[string]string
	// FormError is shown above the form (rate limit, server trouble).
	FormError  string
	MaxChars   int
	MaxProject int
	MaxName    int
	// Routed says that questions are sent on to someone (routes.questions
	// names a destination); without, the form does not promise it.
	Routed bool
}

func (h *Handler) newAskData() askData {
	return askData{Errors: map[string]string{}, MaxChars: h.intake.MaxQuestionChars(),
		MaxProject: intake.MaxProject, MaxName: intake.MaxName, Routed: h.questionsRouted()}
}

// askForm is GET /ask: the public question form. ?project= presets the
// project field, so a course can share /ask?project=AWS-101.
func (h *Handler) askForm(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title = p.T("ask.title")
	d := h.newAskData()
	d.Project = clipRunes(redisplay(r.URL.Query().Get("project")), intake.MaxProject)
	h.render(w, r, p, http.StatusOK, "ask", d)
}

// askSubmit is POST /ask. Success redirects (303) to the thank-you page;
// a problem re-renders the form with the text kept and the message next to
// its field.
func (h *Handler) askSubmit(w http.ResponseWriter, r *http.Request, p *page) {
	ip := httpx.ClientIP(r, h.cfg.Trusted)
	r.Body = http.MaxBytesReader(w, r.Body, maxAskBody)
	var perr error
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		perr = r.ParseMultipartForm(maxAskBody)
	} else {
		perr = r.ParseForm()
	}
	// The form says which language it was shown in; ?lang= still wins.
	if r.URL.Query().Get("lang") == "" {
		if l := matchLang(r.PostFormValue("lang")); l != "" {
			p.Lang = l
		}
	}
	d := h.newAskData()
	d.Project = r.PostFormValue("project")
	d.Name = r.PostFormValue("name")
	d.Question = r.PostFormValue("question")
	p.Title = p.T("ask.title")
	if d.Project != "" {
		p.setLangLinks("/ask", url.Values{"project": {d.Project}})
	} else {
		p.setLangLinks("/ask", nil)
	}
	show := func(status int) {
		d.Project, d.Name, d.Question = redisplay(d.Project), redisplay(d.Name), redisplay(d.Question)
		h.render(w, r, p, status, "ask", d)
	}

	if perr != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](perr); ok {
			d.Errors["question"] = p.T("err.too_long_limit", d.MaxChars)
			d.FormError = p.T("err.form")
			show(http.StatusRequestEntityTooLarge)
			return
		}
		d.FormError = p.T("err.bad_request")
		show(http.StatusBadRequest)
		return
	}
	ok, wait, err := h.askLimit.Allow(r.Context(), ratelimit.AddrKey(ip))
	if err != nil {
		d.FormError = p.T("err.server")
		show(http.StatusServiceUnavailable)
		return
	}
	if !ok {
		secs := max(1, int(math.Ceil(wait.Seconds())))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		d.FormError = p.T("err.rate_limited", secs)
		show(http.StatusTooManyRequests)
		return
	}

	q, err := h.intake.Submit(r.Context(), intake.Input{
		Project: d.Project, Name: d.Name, Question: d.Question, Website: r.PostFormValue("website"),
	}, intake.Meta{SourceIP: ip, UserAgent: r.UserAgent(), Lang: p.Lang})
	var fe *intake.FieldError
	switch {
	case errors.Is(err, intake.ErrHoneypot):
		// A bot: thank it like a person (with a reference that exists
		// nowhere) so it learns nothing, and store nothing.
		h.log.Info("web: honeypot submission dropped", "ip", ip)
		http.Redirect(w, r, thanksURL(intake.NewRef(), p.Lang, d.Project), http.StatusSeeOther)
	case errors.As(err, &fe):
		d.Errors[fe.Field] = fieldMessage(p, fe, d)
		d.FormError = p.T("err.form")
		show(http.StatusBadRequest)
	case err != nil:
		h.log.Error("web: storing a question failed", "ip", ip, "error", err)
		d.FormError = p.T("err.server")
		show(http.StatusServiceUnavailable)
	default:
		http.Redirect(w, r, thanksURL(q.Ref, p.Lang, q.Project), http.StatusSeeOther)
	}
}

func thanksURL(ref, lang, project string) string {
	v := url.Values{"ref": {ref}, "lang": {lang}}
	if project != "" {
		v.Set("project", project)
	}
	return "/ask/thanks?" + v.Encode()
}

type thanksData struct {
	Ref        string
	AnotherURL string
	Routed     bool
}

// questionsRouted reports whether new questions are sent anywhere
// (routes.questions names a destination). Without, the public pages do not
// promise that anyone will receive them, and Home says how to fix it.
func (h *Handler) questionsRouted() bool { return len(h.cfg.Routes.Questions) > 0 }

// askThanks is GET /ask/thanks?ref=Q-…: it only echoes a well-formed
// reference and never looks it up, so the public page reveals nothing
// about stored questions.
func (h *Handler) askThanks(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title = p.T("thanks.title")
	q := r.URL.Query()
	d := thanksData{AnotherURL: "/ask", Routed: h.questionsRouted()}
	if ref := q.Get("ref"); intake.ValidRef(ref) {
		d.Ref = ref
	}
	if pr := clipRunes(redisplay(q.Get("project")), intake.MaxProject); pr != "" {
		d.AnotherURL = "/ask?" + url.Values{"project": {pr}}.Encode()
	}
	h.render(w, r, p, http.StatusOK, "thanks", d)
}

// fieldMessage turns intake's validation error into a localized sentence
// by its code.
func fieldMessage(p *page, fe *intake.FieldError, d askData) string {
	limit := d.MaxChars
	switch fe.Field {
	case "project":
		limit = d.MaxProject
	case "name":
		limit = d.MaxName
	}
	switch fe.Code {
	case intake.CodeRequired:
		return p.T("err.required")
	case intake.CodeInvalidUTF8:
		return p.T("err.invalid_utf8")
	case intake.CodeControlChars:
		if fe.Field == "question" {
			return p.T("err.control")
		}
		return p.T("err.control_line")
	case intake.CodeTooLong:
		if fe.Length > 0 && fe.Limit > 0 {
			return p.T("err.too_long", fe.Length, fe.Limit)
		}
		return p.T("err.too_long_limit", limit)
	default:
		return p.T("err.invalid")
	}
}

// redisplay makes typed text safe to put back into a form: invalid UTF-8
// becomes U+FFFD (html/template escapes everything else).
func redisplay(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
