package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/opsdesk/opsdesk/internal/delivery"
	"github.com/opsdesk/opsdesk/internal/intake"
)

// badge is one destination's delivery status shown next to a question.
type badge struct {
	DeliveryID  int64
	Destination string
	Status      string // pending, delivered, failed: also the CSS class
	Label       string // localized status
}

// questionRow is a question in a list.
type questionRow struct {
	Q       *intake.Question
	Excerpt string
	Badges  []badge
}

// deliveryRow is a delivery with what the page needs to show it.
type deliveryRow struct {
	*delivery.Delivery
	Type        string // destination type from config; "" when no longer configured
	StatusLabel string
	Error       string // last error with any configured URL secret removed
	ExternalURL string // link to what the destination created (Backlog issue)
	CanRetry    bool
}

func statusLabel(p *page, status string) string {
	switch status {
	case delivery.StatusPending, delivery.StatusDelivered, delivery.StatusFailed:
		return p.T("status." + status)
	}
	return status
}

func (h *Handler) deliveryRow(p *page, d *delivery.Delivery) deliveryRow {
	row := deliveryRow{Delivery: d, StatusLabel: statusLabel(p, d.Status), Error: h.scrub(d.LastError)}
	if dest, ok := h.cfg.Destination(d.Destination); ok {
		row.Type = dest.Type
		if dest.Type == "backlog" && d.ExternalRef != "" && origin(dest.BaseURL) != "" {
			row.ExternalURL = strings.TrimRight(dest.BaseURL, "/") + "/view/" + url.PathEscape(d.ExternalRef)
		}
	}
	row.CanRetry = d.Status == delivery.StatusFailed && p.User != nil && p.User.CanWrite()
	return row
}

// questionRows adds each question's delivery badges, read in one query.
func (h *Handler) questionRows(ctx context.Context, p *page, qs []*intake.Question) ([]questionRow, error) {
	rows := make([]questionRow, len(qs))
	if len(qs) == 0 {
		return rows, nil
	}
	ids := make([]any, len(qs))
	idx := make(map[int64]int, len(qs))
	for i, q := range qs {
		rows[i] = questionRow{Q: q, Excerpt: excerpt(q.Text, 140)}
		ids[i] = q.ID
		idx[q.ID] = i
	}
	query := `SELECT question_id, id, destination, status FROM deliveries WHERE question_id IN (?` +
		strings.Repeat(", ?", len(ids)-1) + `) ORDER BY destination`
	res, err := h.st.R.QueryContext(ctx, h.st.Q(query), ids...)
	if err != nil {
		return nil, fmt.Errorf("web: delivery badges: %w", err)
	}
	defer res.Close()
	for res.Next() {
		var qid int64
		var b badge
		if err := res.Scan(&qid, &b.DeliveryID, &b.Destination, &b.Status); err != nil {
			return nil, fmt.Errorf("web: delivery badges: %w", err)
		}
		b.Label = statusLabel(p, b.Status)
		if i, ok := idx[qid]; ok {
			rows[i].Badges = append(rows[i].Badges, b)
		}
	}
	return rows, res.Err()
}

// excerpt is the first line of s cut to n characters.
func excerpt(s string, n int) string {
	line, rest, _ := strings.Cut(s, "\n")
	r := []rune(line)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	if strings.TrimSpace(rest) != "" {
		return line + " …"
	}
	return line
}

// askURL is the absolute address of the public form, for sharing.
func (h *Handler) askURL(r *http.Request) string { return h.baseURL(r) + "/ask" }

// baseURL is the console's public address, for the examples and links
// pages show (curl commands, webhook addresses): base_url from the config,
// else the scheme and host this request came to. No trailing slash.
func (h *Handler) baseURL(r *http.Request) string {
	if h.cfg.BaseURL != "" {
		return strings.TrimRight(h.cfg.BaseURL, "/")
	}
	scheme := "http"
	if h.secure(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// scrub removes the secret parts (path, query, query values) of every
// configured inline destination URL from s. notify already keeps them out
// of delivery errors; this is a second line of defence for the console.
func (h *Handler) scrub(s string) string {
	if s == "" {
		return s
	}
	var secrets []string
	for _, d := range h.cfg.Destinations {
		for _, raw := range []string{d.URL} {
			if raw == "" {
				continue
			}
			secrets = append(secrets, raw)
			u, err := url.Parse(raw)
			if err != nil {
				continue
			}
			// Short paths ("/", "/hook") are not secrets and would mangle
			// unrelated text.
			if len(u.Path) >= 8 {
				secrets = append(secrets, u.Path, u.EscapedPath())
			}
			if u.RawQuery != "" {
				secrets = append(secrets, u.RawQuery)
				for _, vs := range u.Query() {
					for _, v := range vs {
						if len(v) >= 6 {
							secrets = append(secrets, v, url.QueryEscape(v))
						}
					}
				}
			}
		}
	}
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "…")
		}
	}
	return s
}
