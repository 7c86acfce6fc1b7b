package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/opsdesk/opsdesk/internal/health"
)

// HealthService is what the console needs from the AWS Health records.
type HealthService interface {
	List(ctx context.Context, f health.Filter) ([]*health.Record, error)
	Get(ctx context.Context, id int64) (*health.Record, error)
	History(ctx context.Context, id int64) ([]health.History, error)
	Notices(ctx context.Context, id int64) ([]health.Notice, error)
	Values(ctx context.Context) (services, regions []string, err error)
}

// healthRoutes adds the AWS Health pages: GET /health (the records, with
// filters) and GET /health/{id} (one record), for members.
func (h *Handler) healthRoutes(mux *http.ServeMux) {
	if h.health == nil {
		return
	}
	mux.Handle("GET /health", h.route(accessMember, h.healthList))
	mux.Handle("GET /health/{id}", h.route(accessMember, h.healthPage))
}

// healthRow is a record as the pages show it.
type healthRow struct {
	*health.Record
	StatusLabel   string
	CategoryLabel string
	// Badge is the stylesheet's badge class for the status.
	Badge       string
	Description string
}

type healthListData struct {
	BaseURL    string
	Rows       []healthRow
	Filter     health.Filter
	Filtered   bool
	Services   []option
	Regions    []option
	Categories []option
	Statuses   []option
}

func (h *Handler) healthRow(p *page, r *health.Record) healthRow {
	badge := map[string]string{health.StatusOpen: "failed", health.StatusUpcoming: "pending", health.StatusClosed: "delivered"}[r.Status]
	return healthRow{Record: r, StatusLabel: p.T("health.status." + r.Status), CategoryLabel: healthCategoryLabel(p, r.Category), Badge: badge,
		Description: health.Description(r.Descriptions, healthDescLang(p.Lang))}
}

// healthCategoryLabel names a category in the page's language (an unknown
// one as AWS wrote it).
func healthCategoryLabel(p *page, c string) string {
	if slices.Contains(health.Categories, c) {
		return p.T("health.category." + c)
	}
	return c
}

// healthDescLang is the AWS description language to prefer for a console
// language (AWS writes e.g. ja_JP, zh_CN, ko_KR).
func healthDescLang(lang string) string {
	return map[string]string{"ja": "ja", "zh": "zh", "ko": "ko"}[lang]
}

// healthList is GET /health: upcoming scheduled changes first (soonest
// start first), then open records, then closed ones.
func (h *Handler) healthList(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("health.title"), "events"
	q := r.URL.Query()
	f := health.Filter{Service: strings.TrimSpace(q.Get("service")), Region: strings.TrimSpace(q.Get("region")),
		Category: q.Get("category"), Status: q.Get("status"), Limit: 200}
	if !slices.Contains(health.Categories, f.Category) {
		f.Category = ""
	}
	if !slices.Contains(health.Statuses, f.Status) {
		f.Status = ""
	}
	ctx := r.Context()
	list, err := h.health.List(ctx, f)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	services, regions, err := h.health.Values(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	d := healthListData{BaseURL: h.baseURL(r), Filter: f, Filtered: f.Service != "" || f.Region != "" || f.Category != "" || f.Status != ""}
	anyLabel := p.T("events.any")
	opts := func(values []string, selected string, label func(string) string) []option {
		out := []option{{Value: "", Label: anyLabel, Selected: selected == ""}}
		for _, v := range values {
			out = append(out, option{Value: v, Label: label(v), Selected: v == selected})
		}
		return out
	}
	same := func(v string) string { return v }
	d.Services = opts(services, f.Service, same)
	d.Regions = opts(regions, f.Region, same)
	d.Categories = opts(health.Categories, f.Category, func(v string) string { return healthCategoryLabel(p, v) })
	d.Statuses = opts(health.Statuses, f.Status, func(v string) string { return p.T("health.status." + v) })
	for _, rec := range list {
		d.Rows = append(d.Rows, h.healthRow(p, rec))
	}
	h.render(w, r, p, http.StatusOK, "health", d)
}

type healthPageData struct {
	Record healthRow
	// Descriptions are every language AWS sent, the page's first.
	Descriptions []healthDesc
	// Others are the records of the same event for other accounts.
	Others  []healthRow
	History []healthHistoryRow
	Notices []healthNoticeRow
}

type healthDesc struct{ Lang, Text string }

type healthHistoryRow struct {
	health.History
	StatusLabel string
}

type healthNoticeRow struct {
	health.Notice
	Badge, StatusLabel, ChangeLabel string
}

// healthPage is GET /health/{id}: the record, its descriptions, affected
// accounts and entities, its updates and notices, and the AWS Health
// Dashboard link.
func (h *Handler) healthPage(w http.ResponseWriter, r *http.Request, p *page) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.health")
		return
	}
	ctx := r.Context()
	rec, err := h.health.Get(ctx, id)
	if errors.Is(err, health.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.health")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	d := healthPageData{Record: h.healthRow(p, rec)}
	first := d.Record.Description
	for lang, text := range rec.Descriptions {
		d.Descriptions = append(d.Descriptions, healthDesc{Lang: lang, Text: text})
	}
	slices.SortFunc(d.Descriptions, func(a, b healthDesc) int {
		switch {
		case a.Text == first && b.Text != first:
			return -1
		case b.Text == first && a.Text != first:
			return 1
		}
		return strings.Compare(a.Lang, b.Lang)
	})
	siblings, err := h.health.List(ctx, health.Filter{EventArn: rec.EventArn, Limit: 500})
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	for _, s := range siblings {
		if s.ID != rec.ID {
			d.Others = append(d.Others, h.healthRow(p, s))
		}
	}
	hist, err := h.health.History(ctx, id)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	for _, x := range hist {
		d.History = append(d.History, healthHistoryRow{History: x, StatusLabel: p.T("health.status." + x.Status)})
	}
	notices, err := h.health.Notices(ctx, id)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	for _, n := range notices {
		st, _, _ := strings.Cut(n.Change, "@")
		row := healthNoticeRow{Notice: n, Badge: map[string]string{"sent": "delivered", "failed": "failed"}[n.Status], StatusLabel: p.T("health.notice." + n.Status), ChangeLabel: p.T("health.status." + st)}
		if row.Badge == "" {
			row.Badge = "pending"
		}
		row.Error = h.scrub(row.Error)
		d.Notices = append(d.Notices, row)
	}
	p.Title, p.Nav = p.T("health.record_title", rec.Service, rec.EventTypeCode), "events"
	h.render(w, r, p, http.StatusOK, "health_event", d)
}
