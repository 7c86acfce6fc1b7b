package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Backlog is a Backlog space serving the parts of API v2 opsdesk uses:
//
//	POST /api/v2/issues          Add Issue (form-encoded), 201 + issue JSON
//	GET  /api/v2/issues          Get Issue List (projectId[], keyword, count, order)
//	GET  /api/v2/issues/:idOrKey Get Issue
//
// Every call needs ?apiKey=; errors use Backlog's shape
// {"errors":[{"message":"…","code":N,"moreInfo":""}]} and every answer
// carries the X-RateLimit-* headers.
type Backlog struct {
	*Server
	issues []BacklogIssue
}

// BacklogIssue is an issue in the fake's project.
type BacklogIssue struct {
	ID           int64
	ProjectID    int64
	KeyID        int64
	IssueKey     string // "PROJ-1"
	Summary      string
	Description  string
	IssueTypeID  int64
	PriorityID   int64
	AssigneeID   int64
	MilestoneIDs []int64
	CategoryIDs  []int64
	Created      time.Time
	// Form is the Add Issue form as received (nil for CreateIssue).
	Form url.Values
}

// Backlog error codes (https://developer.nulab.com/docs/backlog/error-response/).
const (
	backlogInternalError   = 1
	backlogNoResource      = 6
	backlogInvalidRequest  = 7
	backlogAuthentication  = 11
	backlogTooManyRequests = 13
)

// backlogError is Backlog's error body, with the error code Backlog uses
// for the status.
func backlogError(status int, msg string) (string, []byte) {
	code := backlogInvalidRequest
	switch {
	case status == http.StatusUnauthorized:
		code = backlogAuthentication
	case status == http.StatusNotFound:
		code = backlogNoResource
	case status == http.StatusTooManyRequests:
		code = backlogTooManyRequests
		if msg == "injected failure" {
			msg = "Rate limit is exceeded."
		}
	case status >= 500:
		code = backlogInternalError
	}
	b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"message": msg, "code": code, "moreInfo": ""}}})
	return "application/json;charset=utf-8", b
}

// NewBacklog starts a Backlog fake. Options: WithAPIKey (default
// "fake-backlog-api-key"), WithProject (default 1, "PROJ"), WithClock.
func NewBacklog(t testing.TB, opts ...Option) *Backlog {
	t.Helper()
	f := &Backlog{Server: newServer(t, "backlog", opts, backlogError)}
	f.start(f.serve)
	return f
}

// URL is the space URL to configure as base_url.
func (f *Backlog) URL() string { return f.BaseURL() }

// APIKey is the key the fake accepts.
func (f *Backlog) APIKey() string { return f.opt.apiKey }

// ProjectID is the id of the fake's project.
func (f *Backlog) ProjectID() int64 { return f.opt.projectID }

// Issues returns the issues in creation order.
func (f *Backlog) Issues() []BacklogIssue {
	var out []BacklogIssue
	f.locked(func() { out = append(out, f.issues...) })
	return out
}

// CreateIssue adds an issue directly (as if created earlier), returning it.
// It does not count as an accepted request.
func (f *Backlog) CreateIssue(summary, description string) BacklogIssue {
	var is BacklogIssue
	f.locked(func() {
		is = f.newIssueLocked(BacklogIssue{Summary: summary, Description: description, IssueTypeID: 1, PriorityID: 3})
	})
	return is
}

func (f *Backlog) newIssueLocked(is BacklogIssue) BacklogIssue {
	n := int64(len(f.issues) + 1)
	is.ID = 1000 + n
	is.KeyID = n
	is.ProjectID = f.opt.projectID
	is.IssueKey = fmt.Sprintf("%s-%d", f.opt.projectKey, n)
	is.Created = f.opt.now().UTC().Truncate(time.Second)
	f.issues = append(f.issues, is)
	return is
}

func (f *Backlog) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-RateLimit-Limit", "150")
	h.Set("X-RateLimit-Remaining", "149")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(f.opt.now().Add(time.Minute).Unix(), 10))

	if !strings.HasPrefix(r.URL.Path, "/api/v2/") {
		f.writeError(w, http.StatusNotFound, "Not Found.")
		return
	}
	if r.URL.Query().Get("apiKey") != f.opt.apiKey {
		f.writeError(w, http.StatusUnauthorized, "Authentication failure.")
		return
	}
	switch {
	case r.URL.Path == "/api/v2/issues" && r.Method == http.MethodPost:
		f.addIssue(w, r)
	case r.URL.Path == "/api/v2/issues" && r.Method == http.MethodGet:
		f.listIssues(w, r)
	case strings.HasPrefix(r.URL.Path, "/api/v2/issues/") && r.Method == http.MethodGet:
		f.getIssue(w, strings.TrimPrefix(r.URL.Path, "/api/v2/issues/"))
	default:
		f.writeError(w, http.StatusNotFound, "Not Found.")
	}
}

func (f *Backlog) addIssue(w http.ResponseWriter, r *http.Request) {
	// Backlog reads form parameters only from a form-encoded body; a JSON
	// body means every parameter is missing.
	form := url.Values{}
	if contentTypeIs(r, "application/x-www-form-urlencoded") {
		if err := r.ParseForm(); err != nil {
			f.writeError(w, http.StatusBadRequest, "Malformed form body.")
			return
		}
		form = r.PostForm
	}
	bad := func(msg string) { f.writeError(w, http.StatusBadRequest, msg) }
	num := func(name string, required bool) (int64, bool) {
		v := form.Get(name)
		if v == "" {
			if required {
				bad(fmt.Sprintf("Please input '%s'.", name))
				return 0, false
			}
			return 0, true
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			bad(fmt.Sprintf("'%s' must be a number.", name))
			return 0, false
		}
		return n, true
	}
	nums := func(name string) ([]int64, bool) {
		var out []int64
		for _, v := range form[name] {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				bad(fmt.Sprintf("'%s' must be a number.", name))
				return nil, false
			}
			out = append(out, n)
		}
		return out, true
	}

	projectID, ok := num("projectId", true)
	if !ok {
		return
	}
	if projectID != f.opt.projectID {
		f.writeError(w, http.StatusNotFound, "No project.")
		return
	}
	summary := form.Get("summary")
	if strings.TrimSpace(summary) == "" {
		bad("Please input 'summary'.")
		return
	}
	if !utf8.ValidString(summary) || utf8.RuneCountInString(summary) > 255 {
		bad("'summary' must be 255 characters or less.")
		return
	}
	issueType, ok := num("issueTypeId", true)
	if !ok {
		return
	}
	priority, ok := num("priorityId", true)
	if !ok {
		return
	}
	if priority < 2 || priority > 4 { // High, Normal, Low
		bad("No priority.")
		return
	}
	assignee, ok := num("assigneeId", false)
	if !ok {
		return
	}
	milestones, ok := nums("milestoneId[]")
	if !ok {
		return
	}
	categories, ok := nums("categoryId[]")
	if !ok {
		return
	}
	var is BacklogIssue
	f.accept(func() {
		is = f.newIssueLocked(BacklogIssue{
			Summary:      summary,
			Description:  form.Get("description"),
			IssueTypeID:  issueType,
			PriorityID:   priority,
			AssigneeID:   assignee,
			MilestoneIDs: milestones,
			CategoryIDs:  categories,
			Form:         form,
		})
	})
	w.Header().Set("Location", "https://fake.backlog.com/view/"+is.IssueKey)
	writeJSON(w, http.StatusCreated, f.issueJSON(is))
}

func (f *Backlog) listIssues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	count := 20
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			f.writeError(w, http.StatusBadRequest, "'count' must be between 1 and 100.")
			return
		}
		count = n
	}
	var projects []int64
	for _, v := range q["projectId[]"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			f.writeError(w, http.StatusBadRequest, "'projectId[]' must be a number.")
			return
		}
		projects = append(projects, n)
	}
	keyword := strings.ToLower(q.Get("keyword"))
	var matched []BacklogIssue
	for _, is := range f.Issues() {
		if len(projects) > 0 && !slices.Contains(projects, is.ProjectID) {
			continue
		}
		if keyword != "" && !strings.Contains(strings.ToLower(is.Summary), keyword) &&
			!strings.Contains(strings.ToLower(is.Description), keyword) {
			continue
		}
		matched = append(matched, is)
	}
	if q.Get("order") != "asc" { // Backlog's default is newest first
		slices.Reverse(matched)
	}
	if len(matched) > count {
		matched = matched[:count]
	}
	out := make([]map[string]any, 0, len(matched))
	for _, is := range matched {
		out = append(out, f.issueJSON(is))
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *Backlog) getIssue(w http.ResponseWriter, idOrKey string) {
	for _, is := range f.Issues() {
		if is.IssueKey == idOrKey || strconv.FormatInt(is.ID, 10) == idOrKey {
			writeJSON(w, http.StatusOK, f.issueJSON(is))
			return
		}
	}
	f.writeError(w, http.StatusNotFound, "No issue.")
}

// issueJSON renders an issue as Backlog does.
func (f *Backlog) issueJSON(is BacklogIssue) map[string]any {
	user := map[string]any{"id": 1, "userId": "admin", "name": "admin", "roleType": 1, "lang": "ja", "mailAddress": "admin@example.com"}
	created := is.Created.Format("2006-01-02T15:04:05Z")
	var assignee any
	if is.AssigneeID > 0 {
		assignee = map[string]any{"id": is.AssigneeID, "userId": fmt.Sprintf("user%d", is.AssigneeID), "name": fmt.Sprintf("User %d", is.AssigneeID), "roleType": 2}
	}
	categories := []map[string]any{}
	for _, id := range is.CategoryIDs {
		categories = append(categories, map[string]any{"id": id, "name": fmt.Sprintf("Category %d", id), "displayOrder": 0})
	}
	milestones := []map[string]any{}
	for _, id := range is.MilestoneIDs {
		milestones = append(milestones, map[string]any{"id": id, "projectId": is.ProjectID, "name": fmt.Sprintf("Milestone %d", id), "description": "", "startDate": nil, "releaseDueDate": nil, "archived": false, "displayOrder": 0})
	}
	priorities := map[int64]string{2: "High", 3: "Normal", 4: "Low"}
	return map[string]any{
		"id":             is.ID,
		"projectId":      is.ProjectID,
		"issueKey":       is.IssueKey,
		"keyId":          is.KeyID,
		"issueType":      map[string]any{"id": is.IssueTypeID, "projectId": is.ProjectID, "name": "Task", "color": "#7ea800", "displayOrder": 0},
		"summary":        is.Summary,
		"description":    is.Description,
		"resolution":     nil,
		"priority":       map[string]any{"id": is.PriorityID, "name": priorities[is.PriorityID]},
		"status":         map[string]any{"id": 1, "projectId": is.ProjectID, "name": "Open", "color": "#ed8077", "displayOrder": 1000},
		"assignee":       assignee,
		"category":       categories,
		"versions":       []any{},
		"milestone":      milestones,
		"startDate":      nil,
		"dueDate":        nil,
		"estimatedHours": nil,
		"actualHours":    nil,
		"parentIssueId":  nil,
		"createdUser":    user,
		"created":        created,
		"updatedUser":    user,
		"updated":        created,
		"customFields":   []any{},
		"attachments":    []any{},
		"sharedFiles":    []any{},
		"stars":          []any{},
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
