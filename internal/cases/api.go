package cases

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/search"
)

// API serves the case archive to machines. Every route needs an API token
// with the scope read:cases, sent as Authorization: Bearer (never
// ?token=); the caller wraps the routes with that check (Register).
type API struct {
	Store *Store
}

// Register adds GET /api/v1/cases and GET /api/v1/cases/{caseId}, each
// wrapped in wrap (the token check, which runs first).
func (a *API) Register(mux *http.ServeMux, wrap func(http.Handler) http.Handler) {
	mux.Handle("GET /api/v1/cases", wrap(http.HandlerFunc(a.list)))
	mux.Handle("GET /api/v1/cases/{caseId}", wrap(http.HandlerFunc(a.get)))
}

type caseJSON struct {
	CaseID       string     `json:"caseId"`
	DisplayID    string     `json:"displayId"`
	Account      string     `json:"account"`
	Subject      string     `json:"subject"`
	Status       string     `json:"status"`
	Severity     string     `json:"severityCode"`
	ServiceCode  string     `json:"serviceCode"`
	CategoryCode string     `json:"categoryCode"`
	Language     string     `json:"language"`
	SubmittedBy  string     `json:"submittedBy"`
	CC           []string   `json:"ccEmailAddresses,omitempty"`
	TimeCreated  time.Time  `json:"timeCreated"`
	ResolvedAt   *time.Time `json:"resolvedAt,omitempty"`
	GoneFromAWS  *time.Time `json:"goneFromAwsAt,omitempty"`
	Messages     int        `json:"messages"`
	Snippet      string     `json:"snippet,omitempty"`
}

type messageJSON struct {
	SubmittedBy string           `json:"submittedBy"`
	TimeCreated time.Time        `json:"timeCreated"`
	Body        string           `json:"body"`
	Attachments []attachmentJSON `json:"attachments,omitempty"`
}

type attachmentJSON struct {
	FileName string `json:"fileName"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256,omitempty"`
	Status   string `json:"status"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toJSON(c *Case) caseJSON {
	return caseJSON{CaseID: c.CaseID, DisplayID: c.DisplayID, Account: c.Account, Subject: c.Subject, Status: c.Status, Severity: c.Severity,
		ServiceCode: c.ServiceCode, CategoryCode: c.CategoryCode, Language: c.Language, SubmittedBy: c.SubmittedBy, CC: c.CC,
		TimeCreated: c.TimeCreated, ResolvedAt: optTime(c.ResolvedAt), GoneFromAWS: optTime(c.GoneAt), Messages: c.CommCount}
}

// ParseDate accepts 2006-01-02 or RFC 3339.
func ParseDate(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := Filter{Q: q.Get("q"), Account: q.Get("account"), Status: q.Get("status"), Severity: q.Get("severity"), Service: q.Get("service"), Language: q.Get("language")}
	for _, p := range []struct {
		key string
		dst *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(p.key); v != "" {
			t, err := ParseDate(v)
			if err != nil {
				httpx.Error(w, http.StatusBadRequest, "must be a date (2006-01-02) or an RFC 3339 time", p.key)
				return
			}
			*p.dst = t
		}
	}
	for _, p := range []struct {
		key string
		dst *int
		max int
	}{{"limit", &f.Limit, 500}, {"offset", &f.Offset, 1 << 30}} {
		if v := q.Get(p.key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > p.max {
				httpx.Error(w, http.StatusBadRequest, "must be a number from 0 to "+strconv.Itoa(p.max), p.key)
				return
			}
			*p.dst = n
		}
	}
	hits, err := a.Store.List(r.Context(), f)
	if err != nil {
		httpx.Error(w, http.StatusInternalServerError, "the archive could not be read", "")
		return
	}
	out := make([]caseJSON, 0, len(hits))
	for _, h := range hits {
		j := toJSON(&h.Case)
		j.Snippet = snippetText(h.Snippet)
		out = append(out, j)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"cases": out})
}

// snippetText renders fragments with the matches in [brackets] for
// plain-text consumers.
func snippetText(fs []search.Fragment) string {
	var b strings.Builder
	for _, f := range fs {
		if f.Match {
			b.WriteString("[" + f.Text + "]")
		} else {
			b.WriteString(f.Text)
		}
	}
	return b.String()
}

func (a *API) get(w http.ResponseWriter, r *http.Request) {
	c, msgs, err := a.Store.Get(r.Context(), r.PathValue("caseId"))
	if errors.Is(err, ErrNotFound) {
		httpx.Error(w, http.StatusNotFound, "no such case in the archive", "caseId")
		return
	}
	if err != nil {
		httpx.Error(w, http.StatusInternalServerError, "the archive could not be read", "")
		return
	}
	httpx.WriteJSON(w, http.StatusOK, threadJSON(c, msgs))
}

// caseThreadJSON is a case with its whole thread, as the API and the JSON
// Lines export write it.
type caseThreadJSON struct {
	caseJSON
	Communications []messageJSON `json:"communications"`
}

func threadJSON(c *Case, msgs []Communication) caseThreadJSON {
	out := caseThreadJSON{caseJSON: toJSON(c), Communications: []messageJSON{}}
	for _, m := range msgs {
		mj := messageJSON{SubmittedBy: m.SubmittedBy, TimeCreated: m.TimeCreated, Body: m.Body}
		for _, at := range m.Attachments {
			mj.Attachments = append(mj.Attachments, attachmentJSON{FileName: at.FileName, Size: at.Size, SHA256: at.SHA256, Status: at.Status})
		}
		out.Communications = append(out.Communications, mj)
	}
	return out
}
