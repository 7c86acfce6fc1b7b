package web

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/opsdesk/opsdesk/internal/delivery"
)

type destRow struct {
	Name string
	Type string
	// Endpoint is scheme://host only: webhook paths and queries are
	// secrets. EndpointEnv names the variable holding a secret URL.
	Endpoint    string
	EndpointEnv string
	Signed      bool
	Routed      bool
	// Configured is false for a destination that still has deliveries but
	// is no longer in the config.
	Configured bool

	Recent        delivery.DestinationStats // last 7 days
	SuccessRate   string                    // "97.5%" or "" with nothing finished
	Low           bool                      // success rate under 90%
	Pending       int64                     // now, all time
	Failed        int64
	LastError     string
	LastDelivered time.Time
}

type destinationsData struct {
	Rows    []destRow
	Example string
}

// destinationsExample is the YAML shown when nothing is configured.
const destinationsExample = `destinations:
  - name: instructors
    type: teams
    url_env: TEAMS_WEBHOOK_URL
  - name: tickets
    type: backlog
    base_url: https://example.backlog.com
    api_key_env: BACKLOG_API_KEY
    project_id: 12345
    issue_type_id: 67890
    priority_id: 3
routes:
  questions: [instructors, tickets]`

// destinations is GET /destinations: every configured destination with
// its recent success rate, backlog and last error. URLs are reduced to
// scheme and host.
func (h *Handler) destinations(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("destinations.title"), "destinations"
	ctx := r.Context()
	stats, err := delivery.Stats(ctx, h.st, h.now().Add(-7*24*time.Hour))
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	counts, err := delivery.Counts(ctx, h.st)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	d := destinationsData{Example: destinationsExample}
	seen := map[string]bool{}
	for _, c := range h.cfg.Destinations {
		row := destRow{Name: c.Name, Type: c.Type, Configured: true, Signed: c.SecretEnv != "",
			Routed: slices.Contains(h.cfg.Routes.Questions, c.Name)}
		switch {
		case c.Type == "backlog":
			row.Endpoint = origin(c.BaseURL)
		case c.SlackAPI():
			// Web API mode: the API's origin and the channel (no secret).
			api := c.APIURL
			if api == "" {
				api = "https://slack.com/api/"
			}
			row.Endpoint = origin(api) + " #" + c.Channel
		case c.URLEnv != "":
			row.EndpointEnv = c.URLEnv
		default:
			row.Endpoint = origin(c.URL)
		}
		seen[c.Name] = true
		d.Rows = append(d.Rows, h.fillDestRow(row, stats, counts))
	}
	// Deliveries to destinations since removed from the config.
	var gone []string
	for k := range counts {
		if !seen[k[0]] {
			seen[k[0]] = true
			gone = append(gone, k[0])
		}
	}
	sort.Strings(gone)
	for _, name := range gone {
		d.Rows = append(d.Rows, h.fillDestRow(destRow{Name: name}, stats, counts))
	}
	h.render(w, r, p, http.StatusOK, "destinations", d)
}

func (h *Handler) fillDestRow(row destRow, stats map[string]*delivery.DestinationStats, counts map[[2]string]int64) destRow {
	if s := stats[row.Name]; s != nil {
		row.Recent = *s
		row.LastError = h.scrub(s.LastError)
		row.LastDelivered = s.LastDelivered
		if rate := s.SuccessRate(); rate >= 0 {
			row.SuccessRate = fmt.Sprintf("%.1f%%", rate*100)
			row.Low = rate < 0.9
		}
	}
	row.Pending = counts[[2]string{row.Name, delivery.StatusPending}]
	row.Failed = counts[[2]string{row.Name, delivery.StatusFailed}]
	return row
}
