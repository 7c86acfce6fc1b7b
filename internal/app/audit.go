package app

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/httpx"
)

// auditEntryJSON is one entry of GET /api/v1/audit.
type auditEntryJSON struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Kind   string    `json:"kind"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail"`
	Source string    `json:"source"`
}

// auditAPI is GET /api/v1/audit (scope admin): the audit log, newest
// first, with the console page's filters — actor, kind, action (itself or
// under it: "alert" keeps "alert.resolve"), q (in target or detail), from
// and to (RFC 3339 times, or days YYYY-MM-DD in UTC, to's day included),
// before (an id, for paging) and limit (1–500, 100). next_before pages
// on while there may be more.
func (a *App) auditAPI(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := audit.Filter{
		Actor: strings.TrimSpace(q.Get("actor")), Kind: q.Get("kind"),
		Action: strings.TrimSpace(q.Get("action")), Search: strings.TrimSpace(q.Get("q")), Limit: 100,
	}
	if f.Kind != "" && !slices.Contains(audit.Kinds, f.Kind) {
		httpx.Error(w, http.StatusBadRequest, "kind must be one of "+strings.Join(audit.Kinds, ", "), "kind")
		return
	}
	var err error
	if f.From, err = apiTime(q.Get("from"), false); err != nil {
		httpx.Error(w, http.StatusBadRequest, "from: "+err.Error(), "from")
		return
	}
	if f.To, err = apiTime(q.Get("to"), true); err != nil {
		httpx.Error(w, http.StatusBadRequest, "to: "+err.Error(), "to")
		return
	}
	if s := q.Get("before"); s != "" {
		if f.Before, err = strconv.ParseInt(s, 10, 64); err != nil || f.Before <= 0 {
			httpx.Error(w, http.StatusBadRequest, "before must be an entry id (a positive number)", "before")
			return
		}
	}
	if s := q.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit < 1 || f.Limit > 500 {
			httpx.Error(w, http.StatusBadRequest, "limit must be a number from 1 to 500", "limit")
			return
		}
	}
	es, err := a.Audit.List(r.Context(), f)
	if err != nil {
		a.Log.Error("audit: list", "error", err)
		httpx.Error(w, http.StatusServiceUnavailable, "reading the audit log failed; retry", "")
		return
	}
	out := struct {
		Entries    []auditEntryJSON `json:"entries"`
		NextBefore int64            `json:"next_before,omitempty"`
	}{Entries: []auditEntryJSON{}}
	for _, e := range es {
		out.Entries = append(out.Entries, auditEntryJSON{ID: e.ID, At: e.At.UTC(), Actor: e.Actor, Kind: e.Kind, Action: e.Action, Target: e.Target, Detail: e.Detail, Source: e.Source})
	}
	if len(es) == f.Limit {
		out.NextBefore = es[len(es)-1].ID
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// apiTime reads a from/to parameter: an RFC 3339 time, or a day in UTC
// (for "to", the day's end).
func apiTime(s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, errBadTime
	}
	if end {
		d = d.Add(24 * time.Hour)
	}
	return d, nil
}

var errBadTime = errors.New("must be a day (2026-12-07) or an RFC 3339 time (2026-12-07T09:00:00Z)")
