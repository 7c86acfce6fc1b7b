package web

import (
	"net/http"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/sqsin"
)

// QueueInfo is what the queues page shows: the configured SQS queues
// (aws.queues), their state in this process, and the dead letters every
// replica recorded.
type QueueInfo struct {
	Store      *sqsin.Store
	Status     *sqsin.Status
	Configured []config.AWSQueue
}

// queueRoutes adds GET /queues (members).
func (h *Handler) queueRoutes(mux *http.ServeMux) {
	if h.queues == nil {
		return
	}
	mux.Handle("GET /queues", h.route(accessMember, h.queueList))
}

// deadLettersShown is how many dead letters the page lists.
const deadLettersShown = 100

type queueRow struct {
	config.AWSQueue
	Done, Dead int
	Status     sqsin.QueueStatus
	Seen       bool
}

type queuesData struct {
	Rows   []queueRow
	Dead   []sqsin.DeadLetter
	Filter string
}

func (h *Handler) queueList(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("queues.title"), "events"
	ctx := r.Context()
	filter := r.URL.Query().Get("queue")
	counts, err := h.queues.Store.Counts(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	dead, err := h.queues.Store.DeadLetters(ctx, filter, deadLettersShown)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	st := map[string]sqsin.QueueStatus{}
	for _, s := range h.queues.Status.Queues() {
		st[s.Queue] = s
	}
	d := queuesData{Dead: dead, Filter: filter}
	for _, q := range h.queues.Configured {
		s, seen := st[q.Name]
		d.Rows = append(d.Rows, queueRow{AWSQueue: q, Done: counts[q.Name]["done"], Dead: counts[q.Name]["dead"], Status: s, Seen: seen})
	}
	h.render(w, r, p, http.StatusOK, "queues", d)
}
