package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/search"
)

// The Support case archive's pages: the list with filters and search
// (GET /cases), one case's whole thread (GET /cases/{caseId}), attachment
// downloads, the "sync now" button (POST /cases/sync) and the statistics
// (GET /cases/stats, in casestats.go).

// caseStatuses are the statuses of the Support API, in the order a case
// usually goes through them.
var caseStatuses = []string{"opened", "unassigned", "work-in-progress", "pending-customer-action", "customer-action-completed", "reopened", "resolved"}

// caseSeverities are the severity codes, mildest first.
var caseSeverities = []string{"low", "normal", "high", "urgent", "critical"}

// caseLanguages names the case languages in themselves.
var caseLanguages = map[string]string{
	"en": "English", "ja": "日本語", "zh": "中文", "ko": "한국어",
	"es": "Español", "pt": "Português", "fr": "Français", "tr": "Türkçe",
}

// awsSubmitter is how the Support API signs AWS's own messages.
const awsSubmitter = "Amazon Web Services"

// maxCaseQuery bounds the search box (characters).
const maxCaseQuery = 200

func caseStatusLabel(p *page, s string) string {
	if slices.Contains(caseStatuses, s) {
		return p.T("case_status." + s)
	}
	return s
}

func severityLabel(p *page, s string) string {
	if slices.Contains(caseSeverities, s) {
		return p.T("severity." + s)
	}
	return s
}

func caseLangName(s string) string {
	if n, ok := caseLanguages[s]; ok {
		return n
	}
	return s
}

// caseURL is the console page of a case.
func caseURL(caseID string) string { return "/cases/" + url.PathEscape(caseID) }

// caseRow is a case in a list, with its labels.
type caseRow struct {
	cases.Case
	URL           string
	StatusLabel   string
	SeverityLabel string
	LangName      string
	Messages      string // "12 messages"
	Snippet       []search.Fragment
}

func (h *Handler) caseRow(p *page, c cases.Case, snippet []search.Fragment) caseRow {
	msgs := p.T("cases.messages_n", c.CommCount)
	if c.CommCount == 1 {
		msgs = p.T("cases.messages_one")
	}
	return caseRow{Case: c, URL: caseURL(c.CaseID), StatusLabel: caseStatusLabel(p, c.Status), SeverityLabel: severityLabel(p, c.Severity),
		LangName: caseLangName(c.Language), Messages: msgs, Snippet: snippet}
}

type casesFilter struct {
	Q        string
	Account  string
	Status   string
	Severity string
	Service  string
	Language string
	From     string
	To       string
}

type casesData struct {
	Filter     casesFilter
	Errors     map[string]string
	Accounts   []option
	Statuses   []option
	Severities []option
	Services   []option
	Languages  []option
	Rows       []caseRow
	// First and Last number the rows shown (1-based).
	First, Last int
	NewerURL    string
	OlderURL    string
	NewestURL   string
	// Filtered: some filter or a search is set.
	Filtered bool
	// Archived is the number of cases in the archive.
	Archived int
	// NoAccounts: aws.accounts is empty (nothing is synced).
	NoAccounts bool
	Example    string
	Interval   string
	CanSync    bool
	Sync       syncSummary
}

// syncSummary is what the list says about the last sync.
type syncSummary struct {
	Last     time.Time
	Problems []string
	// NotOffered lists account (language) pairs the Support API does not
	// offer: skipped, not a problem.
	NotOffered []string
}

// accountsExample is the YAML shown when no account is configured.
const accountsExample = `aws:
  accounts:
    - name: prod
      role_arn: arn:aws:iam::123456789012:role/opsdesk
      # or profile: NAME, or neither:
      # the SDK's default credential chain
      # languages: [en, ja]  (default: all)
    - name: staging
      profile: staging
cases:
  sync_interval: 1h`

var caseIDLike = regexp.MustCompile(`^(case-[0-9A-Za-z-]+|[0-9]{6,20})$`)

// casesList is GET /cases: search, filters (account, status or "open",
// severity, service, language, creation dates in UTC) and paging by
// ?offset=.
func (h *Handler) casesList(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("cases.title"), "cases"
	ctx := r.Context()
	q := r.URL.Query()
	d := casesData{Errors: map[string]string{}, NoAccounts: len(h.cfg.AWS.Accounts) == 0, Example: accountsExample,
		Interval: intervalText(p, h.cfg.Cases.SyncInterval.D()), CanSync: p.User.CanWrite()}
	d.Filter = casesFilter{
		Q:        shorten(strings.TrimSpace(q.Get("q")), maxCaseQuery),
		Account:  strings.TrimSpace(q.Get("account")),
		Status:   q.Get("status"),
		Severity: q.Get("severity"),
		Service:  strings.TrimSpace(q.Get("service")),
		Language: strings.TrimSpace(q.Get("language")),
		From:     strings.TrimSpace(q.Get("from")),
		To:       strings.TrimSpace(q.Get("to")),
	}
	if d.Filter.Status != "open" && !slices.Contains(caseStatuses, d.Filter.Status) {
		d.Filter.Status = ""
	}
	if !slices.Contains(caseSeverities, d.Filter.Severity) {
		d.Filter.Severity = ""
	}
	// A case number typed into the search box opens that case.
	if caseIDLike.MatchString(d.Filter.Q) {
		if c, _, err := h.cases.Get(ctx, d.Filter.Q); err == nil {
			http.Redirect(w, r, caseURL(c.CaseID), http.StatusSeeOther)
			return
		}
	}
	f := cases.Filter{Q: d.Filter.Q, Account: d.Filter.Account, Status: d.Filter.Status, Severity: d.Filter.Severity,
		Service: d.Filter.Service, Language: d.Filter.Language, Limit: h.pageSize + 1}
	f.From, f.To = dayRange(p, d.Errors, &d.Filter.From, &d.Filter.To)
	if n, err := strconv.Atoi(q.Get("offset")); err == nil && n > 0 && n <= 1<<20 {
		f.Offset = n
	}
	d.Filtered = d.Filter != (casesFilter{}) || len(d.Errors) > 0

	facets, err := h.cases.Facets(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	d.Archived = facets.Cases
	var configured []string
	for _, a := range h.cfg.AWS.Accounts {
		configured = append(configured, a.Name)
	}
	anyLabel := p.T("cases.any")
	d.Accounts = options(anyLabel, d.Filter.Account, mergeSorted(facets.Accounts, configured), nil)
	d.Services = options(anyLabel, d.Filter.Service, facets.Services, nil)
	d.Languages = options(anyLabel, d.Filter.Language, facets.Languages, caseLangName)
	d.Severities = options(anyLabel, d.Filter.Severity, caseSeverities, func(s string) string { return severityLabel(p, s) })
	d.Statuses = options(anyLabel, d.Filter.Status, append([]string{"open"}, caseStatuses...), func(s string) string {
		if s == "open" {
			return p.T("cases.open")
		}
		return caseStatusLabel(p, s)
	})

	if facets.Cases > 0 {
		hits, err := h.cases.List(ctx, f)
		if err != nil {
			h.serverError(w, r, p, err)
			return
		}
		more := len(hits) > h.pageSize
		if more {
			hits = hits[:h.pageSize]
		}
		for _, hit := range hits {
			d.Rows = append(d.Rows, h.caseRow(p, hit.Case, hit.Snippet))
		}
		if len(d.Rows) > 0 {
			d.First, d.Last = f.Offset+1, f.Offset+len(d.Rows)
		}
		if more {
			d.OlderURL = casesURL(d.Filter, f.Offset+h.pageSize)
		}
		if f.Offset > 0 {
			d.NewerURL = casesURL(d.Filter, max(f.Offset-h.pageSize, 0))
			d.NewestURL = casesURL(d.Filter, 0)
		}
	}
	states, err := h.cases.SyncStates(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	for _, s := range states {
		if s.LastSync.After(d.Sync.Last) {
			d.Sync.Last = s.LastSync
		}
		if s.Unsupported {
			d.Sync.NotOffered = append(d.Sync.NotOffered, fmt.Sprintf("%s (%s)", s.Account, s.Language))
			continue
		}
		if s.LastError != "" {
			d.Sync.Problems = append(d.Sync.Problems, fmt.Sprintf("%s (%s): %s", s.Account, s.Language, shorten(s.LastError, 300)))
		}
	}
	h.render(w, r, p, http.StatusOK, "cases", d)
}

// options builds a select's choices: "any" first, then vals (labelled by
// label when given); a selected value missing from vals (an old link) is
// kept so that the form shows what is applied.
func options(anyLabel, selected string, vals []string, label func(string) string) []option {
	out := []option{{Value: "", Label: anyLabel, Selected: selected == ""}}
	if selected != "" && !slices.Contains(vals, selected) {
		vals = append(slices.Clone(vals), selected)
	}
	for _, v := range vals {
		l := v
		if label != nil {
			l = label(v)
		}
		out = append(out, option{Value: v, Label: l, Selected: v == selected})
	}
	return out
}

// mergeSorted returns the sorted union of a and b.
func mergeSorted(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// dayRange parses the from/to date fields (whole UTC days, both included)
// the way the questions list does: a value that is not a date is named in
// errs and dropped, a "to" before "from" is reported and not applied.
func dayRange(p *page, errs map[string]string, from, to *string) (time.Time, time.Time) {
	day := func(field string, s *string) time.Time {
		if *s == "" {
			return time.Time{}
		}
		t, err := time.Parse(dateLayout, *s)
		if err != nil {
			errs[field] = p.T("questions.bad_date", shorten(*s, 40))
			*s = ""
			return time.Time{}
		}
		return t
	}
	f := day("from", from)
	t := day("to", to)
	if t.IsZero() {
		return f, time.Time{}
	}
	if !f.IsZero() && t.Before(f) {
		errs["to"] = p.T("questions.date_order")
		return f, time.Time{}
	}
	return f, t.Add(24 * time.Hour)
}

func casesURL(f casesFilter, offset int) string {
	v := url.Values{}
	for k, s := range map[string]string{"q": f.Q, "account": f.Account, "status": f.Status, "severity": f.Severity,
		"service": f.Service, "language": f.Language, "from": f.From, "to": f.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	if len(v) == 0 {
		return "/cases"
	}
	return "/cases?" + v.Encode()
}

// intervalText writes a sync interval for people: "1 h", "30 min",
// "1.5 h", "2 d".
func intervalText(p *page, d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return p.T("unit.days", strconv.FormatInt(int64(d/(24*time.Hour)), 10))
	case d >= time.Hour:
		return p.T("unit.hours", trimFloat(math.Round(d.Hours()*10)/10))
	}
	return p.T("unit.minutes", trimFloat(math.Round(d.Minutes())))
}

// ---- one case ----

type caseData struct {
	caseRow
	Messages    []messageView
	Attachments int
	FromAWS     int
}

type messageView struct {
	cases.Communication
	N           int
	FromAWS     bool
	Attachments []attachmentView
}

type attachmentView struct {
	cases.Attachment
	URL  string // "" when the content is not stored
	Size string
}

// casePage is GET /cases/{caseId} (AWS case id or display id): the case
// and its whole thread, oldest message first.
func (h *Handler) casePage(w http.ResponseWriter, r *http.Request, p *page) {
	p.Nav = "cases"
	id := r.PathValue("caseId")
	c, msgs, err := h.cases.Get(r.Context(), id)
	if errors.Is(err, cases.ErrNotFound) || (err == nil && c == nil) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.case")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	d := caseData{caseRow: h.caseRow(p, *c, nil)}
	for i, m := range msgs {
		mv := messageView{Communication: m, N: i + 1, FromAWS: m.SubmittedBy == awsSubmitter}
		if mv.FromAWS {
			d.FromAWS++
		}
		for _, a := range m.Attachments {
			av := attachmentView{Attachment: a, Size: byteSize(a.Size)}
			if a.Status == "stored" {
				av.URL = caseURL(c.CaseID) + "/attachments/" + strconv.FormatInt(a.ID, 10)
			}
			mv.Attachments = append(mv.Attachments, av)
			d.Attachments++
		}
		d.Messages = append(d.Messages, mv)
	}
	p.Title = c.DisplayID + " · " + shorten(c.Subject, 60)
	h.render(w, r, p, http.StatusOK, "case", d)
}

// byteSize writes a size for people: 512 B, 12.5 KB, 5.2 MB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, u := float64(n)/unit, 0
	for v >= unit && u < 3 {
		v /= unit
		u++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + [...]string{"KB", "MB", "GB", "TB"}[u]
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// caseAttachment is GET /cases/{caseId}/attachments/{id}: the stored file,
// always as a download. The type is application/octet-stream unless the
// name and the content agree that it is plain text or a raster image, so
// that nothing a customer or AWS attached is ever run by the browser as
// a page or a script.
func (h *Handler) caseAttachment(w http.ResponseWriter, r *http.Request, p *page) {
	p.Nav = "cases"
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.attachment")
		return
	}
	c, msgs, err := h.cases.Get(r.Context(), r.PathValue("caseId"))
	if errors.Is(err, cases.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.attachment")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	var att *cases.Attachment
	for _, m := range msgs {
		for i := range m.Attachments {
			if m.Attachments[i].ID == id {
				att = &m.Attachments[i]
			}
		}
	}
	if att == nil || att.Status != "stored" || !sha256Hex.MatchString(att.SHA256) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.attachment")
		return
	}
	blobs, err := h.caseBlobs()
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	f, _, err := blobs.Open(r.Context(), att.SHA256)
	if errors.Is(err, blob.ErrNotFound) {
		h.log.Warn("web: attachment content missing", "case", c.CaseID, "attachment", att.ID, "sha256", att.SHA256, "store", blobs.String())
		h.renderError(w, r, p, http.StatusNotFound, "notfound.attachment")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	defer f.Close()
	var head [512]byte
	n, err := io.ReadFull(f, head[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		h.serverError(w, r, p, err)
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		h.serverError(w, r, p, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", downloadType(att.FileName, head[:n]))
	hd.Set("Content-Disposition", contentDisposition(att.FileName))
	hd.Set("X-Content-Type-Options", "nosniff")
	// Even opened directly, the file is not a page of this site.
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", time.Time{}, f)
}

// caseBlobs is the attachment store: Deps.Blobs, or the configured local
// or db store (attachments.store). Building either reads nothing.
func (h *Handler) caseBlobs() (blob.Store, error) {
	if h.blobs != nil {
		return h.blobs, nil
	}
	spec := h.cfg.AttachmentsStore()
	if strings.HasPrefix(spec, "s3:") {
		return nil, errors.New("web: an s3 attachments store must be given in Deps.Blobs")
	}
	s, err := blob.Open(context.Background(), spec, blob.Options{W: h.st.W, R: h.st.R, Engine: h.st.Engine})
	if err != nil {
		return nil, fmt.Errorf("web: attachments store: %w", err)
	}
	return s, nil
}

// downloadType is text/plain or a raster image type when both the file
// name and the first bytes say so, and application/octet-stream otherwise
// (HTML, SVG, scripts, anything unclear).
func downloadType(name string, head []byte) string {
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(head))
	ext := strings.ToLower(path.Ext(name))
	switch {
	case sniffed == "text/plain" && slices.Contains([]string{".txt", ".log", ".csv", ".json", ".md", ".yaml", ".yml", ".conf", ".out", ".err"}, ext) && utf8.Valid(head):
		return "text/plain; charset=utf-8"
	case sniffed == "image/png" && ext == ".png",
		sniffed == "image/jpeg" && (ext == ".jpg" || ext == ".jpeg"),
		sniffed == "image/gif" && ext == ".gif",
		sniffed == "image/webp" && ext == ".webp":
		return sniffed
	}
	return "application/octet-stream"
}

// contentDisposition is "attachment" with an ASCII fallback name and the
// real name percent-encoded as UTF-8 in RFC 5987 form (filename*), so
// that every browser saves it under its own name, CJK included.
func contentDisposition(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, path.Base(strings.ReplaceAll(name, "\\", "/")))
	if name == "" || name == "." || name == "/" {
		name = "attachment"
	}
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, name)
	var enc strings.Builder
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return `attachment; filename="` + fallback + `"; filename*=UTF-8''` + enc.String()
}

// isAttrChar: RFC 5987 attr-char, the bytes that need no percent-encoding.
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}

// casesSync is POST /cases/sync (responders and admins): queue a sync of
// every account, then back to the page the button was on.
func (h *Handler) casesSync(w http.ResponseWriter, r *http.Request, p *page) {
	next := localPath(r.PostFormValue("next"))
	if next == "" {
		next = "/cases"
	}
	if len(h.cfg.AWS.Accounts) == 0 {
		http.Redirect(w, r, withNotice(next, "sync_no_accounts"), http.StatusSeeOther)
		return
	}
	if _, err := h.queue.Insert(r.Context(), cases.SyncAllArgs{}, nil); err != nil {
		h.serverError(w, r, p, fmt.Errorf("web: queue case sync: %w", err))
		return
	}
	h.log.Info("web: case sync queued", "user", p.User.Name)
	names := make([]string, 0, len(h.cfg.AWS.Accounts))
	for _, a := range h.cfg.AWS.Accounts {
		names = append(names, a.Name)
	}
	_ = h.audit.Record(r.Context(), "case.sync", "all accounts", strings.Join(names, ", "))
	http.Redirect(w, r, withNotice(next, "sync_queued"), http.StatusSeeOther)
}
