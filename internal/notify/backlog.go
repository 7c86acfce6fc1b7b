package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
)

// backlog creates one issue per question or message through Backlog API v2
// ("Add Issue": form-encoded POST /api/v2/issues?apiKey=…).
//
// Backlog has no idempotency key, so the delivery id is written as the last
// line of the description; a retry (Attempt > 1) first searches the project
// for it and returns the existing issue instead of creating a second one.
type backlog struct {
	*base
	baseURL *url.URL
	apiKey  string
	dest    config.Destination
}

// deliveryMarker prefixes the description line that carries the delivery id.
const deliveryMarker = "opsdesk-delivery: "

// backlogIssue is the part of Backlog's issue JSON opsdesk reads.
// AttemptSensitive implements AttemptSensitive: a retry searches for the
// issue an earlier attempt may have created.
func (b *backlog) AttemptSensitive() bool { return true }

type backlogIssue struct {
	ID          int64  `json:"id"`
	IssueKey    string `json:"issueKey"`
	Summary     string `json:"summary"`
	Description string `json:"description"`
}

// backlogDescription is the issue description for r: the full question, the
// submission facts, and the delivery marker as the final line. The
// question, project and name come from the public form and are escaped
// (EscapeBacklog); the summary is plain text and is not.
func backlogDescription(r Request) string {
	q := r.Question
	var b strings.Builder
	b.WriteString(EscapeBacklog(strings.TrimRight(normalizeNewlines(q.Text), "\n")))
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "Project: %s\n", orDash(EscapeBacklog(q.Project)))
	fmt.Fprintf(&b, "Name: %s\n", orDash(EscapeBacklog(q.Name)))
	fmt.Fprintf(&b, "Submitted: %s\n", submitted(q.SubmittedAt))
	fmt.Fprintf(&b, "Reference: %s\n", orDash(q.ID))
	if r.ConsoleURL != "" {
		fmt.Fprintf(&b, "Console: %s\n", r.ConsoleURL)
	}
	b.WriteString(deliveryMarker + r.DeliveryID)
	return b.String()
}

// Backlog limits for a message: the summary is at most 255 characters
// (Backlog counts UTF-16 units, so an emoji counts twice); the description
// has no documented limit, so the text is kept to a size people still read
// in an issue.
const (
	backlogSummaryMax = 255
	backlogTextMax    = 20000
)

// backlogMessageSummary is the issue summary for a message: its title.
func backlogMessageSummary(m *Message) string {
	return ellipsizeUTF16(messageTitle(m), backlogSummaryMax)
}

// backlogMessageDescription is the issue description for a message: the
// text, the fields as "Name: value" lines, kind, severity, reference and
// link, and the delivery marker as the final line (as for a question, so a
// retry finds the issue). Text, fields and reference are escaped
// (EscapeBacklog); opsdesk's own link is not.
func backlogMessageDescription(r Request) string {
	m := r.Message
	var b strings.Builder
	if text := ellipsize(messageText(m), backlogTextMax); text != "" {
		b.WriteString(EscapeBacklog(text))
		b.WriteString("\n\n")
	}
	for _, f := range displayFields(m) {
		fmt.Fprintf(&b, "%s: %s\n", EscapeBacklog(f.Name), EscapeBacklog(f.Value))
	}
	link := m.URL
	if strings.TrimSpace(link) == "" {
		link = r.ConsoleURL
	}
	for _, kv := range [][2]string{
		{"Kind", EscapeBacklog(oneLine(m.Kind, 30))},
		{"Severity", normalizeSeverity(m.Severity)},
		{"Reference", EscapeBacklog(oneLine(m.Ref, 100))},
		{"Console", oneLine(link, 2000)},
	} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
		}
	}
	b.WriteString(deliveryMarker + r.DeliveryID)
	return b.String()
}

// backlogForm is the Add Issue form for r.
func (s *backlog) form(r Request) url.Values {
	d := s.dest
	f := url.Values{}
	f.Set("projectId", strconv.FormatInt(d.ProjectID, 10))
	if r.Message != nil {
		f.Set("summary", backlogMessageSummary(r.Message))
	} else {
		f.Set("summary", summary(r.Question))
	}
	f.Set("issueTypeId", strconv.FormatInt(d.IssueTypeID, 10))
	f.Set("priorityId", strconv.FormatInt(d.PriorityID, 10))
	if r.Message != nil {
		f.Set("description", backlogMessageDescription(r))
	} else {
		f.Set("description", backlogDescription(r))
	}
	if d.AssigneeID > 0 {
		f.Set("assigneeId", strconv.FormatInt(d.AssigneeID, 10))
	}
	for _, id := range d.MilestoneIDs {
		f.Add("milestoneId[]", strconv.FormatInt(id, 10))
	}
	for _, id := range d.CategoryIDs {
		f.Add("categoryId[]", strconv.FormatInt(id, 10))
	}
	return f
}

func (s *backlog) endpoint(query url.Values) string {
	u := *s.baseURL
	u.Path = strings.TrimRight(u.Path, "/") + "/api/v2/issues"
	query.Set("apiKey", s.apiKey)
	u.RawQuery = query.Encode()
	return u.String()
}

func (s *backlog) Send(ctx context.Context, r Request) (Result, error) {
	if r.DeliveryID == "" {
		return Result{}, s.fail(true, 0, 0, "request has no delivery id")
	}
	if r.Attempt > 1 {
		key, err := s.find(ctx, r.DeliveryID)
		if err != nil {
			return Result{}, err
		}
		if key != "" {
			return Result{ExternalRef: key}, nil
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint(url.Values{}), strings.NewReader(s.form(r).Encode()))
	if err != nil {
		return Result{}, s.fail(true, 0, 0, "build request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.do(req)
	if err != nil {
		return Result{}, err
	}
	if resp.status < 200 || resp.status > 299 {
		return Result{}, s.classifyBacklog(resp)
	}
	var issue backlogIssue
	if err := json.Unmarshal(resp.body, &issue); err != nil {
		// The issue was most likely created; a retry will find it by its
		// delivery marker rather than create a duplicate.
		return Result{}, s.fail(false, resp.status, 0, "HTTP %d: unreadable issue JSON: %v", resp.status, err)
	}
	return Result{ExternalRef: issue.IssueKey}, nil
}

// find returns the key of an issue in the project whose description carries
// the delivery marker for id, or "".
func (s *backlog) find(ctx context.Context, id string) (string, error) {
	q := url.Values{}
	q.Set("projectId[]", strconv.FormatInt(s.dest.ProjectID, 10))
	q.Set("keyword", id)
	q.Set("count", "100")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint(q), nil)
	if err != nil {
		return "", s.fail(true, 0, 0, "build search request: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.do(req)
	if err != nil {
		return "", err
	}
	if resp.status < 200 || resp.status > 299 {
		e := s.classifyBacklog(resp)
		e.Reason = s.scrub(strings.Replace(e.Reason, "backlog: ", "backlog: search for earlier delivery: ", 1))
		return "", e
	}
	var issues []backlogIssue
	if err := json.Unmarshal(resp.body, &issues); err != nil {
		return "", s.fail(false, resp.status, 0, "search for earlier delivery: unreadable JSON: %v", err)
	}
	for _, is := range issues {
		if hasDeliveryMarker(is.Description, id) {
			return is.IssueKey, nil
		}
	}
	return "", nil
}

// hasDeliveryMarker reports whether a description has the line
// "opsdesk-delivery: <id>" (keyword search is fuzzy; this is exact).
func hasDeliveryMarker(desc, id string) bool {
	want := deliveryMarker + id
	for line := range strings.Lines(normalizeNewlines(desc)) {
		if strings.TrimSpace(line) == want {
			return true
		}
	}
	return false
}

// classifyBacklog classifies a Backlog error answer, using its
// {"errors":[{"message","code","moreInfo"}]} body as the reason and
// X-RateLimit-Reset for the wait after a 429.
func (s *backlog) classifyBacklog(resp *response) *Error {
	e := s.classify(resp, backlogErrorMessage(resp.body))
	if resp.status == http.StatusTooManyRequests {
		if d := rateLimitReset(resp.header, s.now()); d > 0 {
			e.RetryAfter = d
		} else if e.RetryAfter == 0 {
			// Backlog's guidance: wait a minute after a 429.
			e.RetryAfter = time.Minute
		}
	}
	return e
}

// rateLimitReset reads Backlog's X-RateLimit-Reset (UTC epoch seconds).
func rateLimitReset(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("X-RateLimit-Reset"))
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	d := time.Unix(n, 0).Sub(now)
	if d < time.Second {
		// The window has already reset (or clocks differ): wait a moment.
		d = time.Second
	}
	return clampRetryAfter(d.Round(time.Second))
}

// backlogErrorMessage joins the messages of a Backlog error body.
func backlogErrorMessage(body []byte) string {
	var e struct {
		Errors []struct {
			Message  string `json:"message"`
			Code     int    `json:"code"`
			MoreInfo string `json:"moreInfo"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	parts := make([]string, 0, len(e.Errors))
	for _, x := range e.Errors {
		p := x.Message
		if x.Code != 0 {
			p += fmt.Sprintf(" (code %d)", x.Code)
		}
		if x.MoreInfo != "" {
			p += " " + x.MoreInfo
		}
		parts = append(parts, p)
	}
	return oneLine(strings.Join(parts, "; "), maxReason)
}
