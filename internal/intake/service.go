package intake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/opsdesk/opsdesk/internal/delivery"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/textutil"
)

// Meta is what the server knows about a submission besides its fields.
type Meta struct {
	SourceIP  string
	UserAgent string
	Lang      string
}

// ErrStopped is returned when the service is shutting down.
var ErrStopped = errors.New("intake: shutting down")

// Service stores questions. Submissions are written by one loop that
// commits them in groups ("group commit"): under load many questions share
// one transaction and one fsync, so throughput grows with concurrency while
// every caller still waits for its own commit.
type Service struct {
	st      *store.Store
	queue   jobs.Queue
	routes  []string
	now     func() time.Time
	log     *slog.Logger
	maxChar int
	writers int

	reqs    chan *submitReq
	stopped chan struct{}
	// wake carries the ids of committed questions to the loop that queues
	// their delivery jobs.
	wake chan []delivery.Pending
}

type submitReq struct {
	q    *Question
	done chan error
}

// Options configures the service.
type Options struct {
	// Routes are the destination names every question is delivered to.
	Routes []string
	// MaxQuestionChars bounds the question text.
	MaxQuestionChars int
	// Writers is the number of group-commit loops (1). SQLite has one
	// writer connection, so one loop is all it can use; PostgreSQL commits
	// several transactions at once and flushes their WAL together, so
	// several loops multiply what it accepts.
	Writers int
	Now     func() time.Time
	Log     *slog.Logger
}

// New returns a service; call Run to start its writer.
func New(st *store.Store, q jobs.Queue, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxQuestionChars == 0 {
		o.MaxQuestionChars = 8000
	}
	return &Service{st: st, queue: q, routes: o.Routes, now: o.Now, log: o.Log, maxChar: o.MaxQuestionChars, writers: max(o.Writers, 1),
		reqs: make(chan *submitReq, 1024), stopped: make(chan struct{}), wake: make(chan []delivery.Pending, 256)}
}

// MaxQuestionChars is the configured limit on the question text.
func (s *Service) MaxQuestionChars() int { return s.maxChar }

// Submit validates and stores a question. When it returns nil the question
// and its pending deliveries are committed.
func (s *Service) Submit(ctx context.Context, in Input, meta Meta) (*Question, error) {
	if err := in.Normalize(s.maxChar); err != nil {
		return nil, err
	}
	q := &Question{
		Ref:         NewRef(),
		Project:     in.Project,
		Name:        in.Name,
		Text:        in.Question,
		SubmittedAt: s.now().UTC(),
		SourceIP:    clipString(meta.SourceIP, 64),
		UserAgent:   clipString(meta.UserAgent, 512),
		Lang:        clipString(meta.Lang, 16),
		State:       StateOpen,
	}
	r := &submitReq{q: q, done: make(chan error, 1)}
	select {
	case s.reqs <- r:
	case <-s.stopped:
		return nil, ErrStopped
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Once queued, wait for the outcome even if the client goes away: the
	// loop will commit it regardless.
	select {
	case err := <-r.done:
		if err != nil {
			return nil, err
		}
		return q, nil
	case <-s.stopped:
		select {
		case err := <-r.done:
			if err != nil {
				return nil, err
			}
			return q, nil
		default:
			return nil, ErrStopped
		}
	}
}

const maxBatch = 256

// Run runs the writer loops; it returns when ctx ends, after committing
// what was already queued.
func (s *Service) Run(ctx context.Context) {
	defer close(s.stopped)
	woken := make(chan struct{})
	go func() { defer close(woken); s.enqueueLoop() }()
	var wg sync.WaitGroup
	for range s.writers {
		wg.Add(1)
		go func() { defer wg.Done(); s.write(ctx) }()
	}
	wg.Wait()
	close(s.wake)
	<-woken
}

// jobDelay bounds how long committed questions wait for their delivery
// jobs to be queued: questions committed within it share the jobs (one
// per destination for up to delivery.QuestionsPerJob questions), however
// many group commits they came in. Under load this keeps the queue's own
// work (a job is inserted, fetched and completed) a small part of each
// question's; at a trickle it adds at most jobDelay to a delivery.
const jobDelay = 20 * time.Millisecond

// enqueueLoop queues the delivery jobs of committed questions, gathering
// those committed close together; it returns when wake is closed, after
// queueing what it holds.
func (s *Service) enqueueLoop() {
	var pending []delivery.Pending
	var timer *time.Timer
	var due <-chan time.Time
	flush := func() {
		if len(pending) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// A failure here loses nothing: the sweeper finds the pending
		// deliveries.
		if err := s.queue.InsertMany(ctx, delivery.JobParams(pending)); err != nil {
			s.log.Warn("enqueue deliveries failed; the sweeper will retry", "questions", len(pending), "error", err)
		}
		pending = pending[:0]
	}
	for {
		select {
		case ids, ok := <-s.wake:
			if !ok {
				flush()
				return
			}
			if len(pending) == 0 {
				if timer == nil {
					timer = time.NewTimer(jobDelay)
				} else {
					timer.Reset(jobDelay)
				}
				due = timer.C
			}
			pending = append(pending, ids...)
			if len(pending) >= delivery.QuestionsPerJob*len(s.routes) {
				flush()
				due = nil
			}
		case <-due:
			due = nil
			flush()
		}
	}
}

// write is one group-commit loop.
func (s *Service) write(ctx context.Context) {
	batch := make([]*submitReq, 0, maxBatch)
	for {
		select {
		case r := <-s.reqs:
			batch = append(batch[:0], r)
		case <-ctx.Done():
			// Drain what callers already handed over.
			for {
				select {
				case r := <-s.reqs:
					s.commit(context.WithoutCancel(ctx), []*submitReq{r})
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.commit(context.WithoutCancel(ctx), batch)
	}
}

func (s *Service) commit(ctx context.Context, batch []*submitReq) {
	var questionIDs []int64
	var pending []delivery.Pending
	err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		questionIDs, pending = questionIDs[:0], nil
		// One multi-row INSERT for the whole group; ids come back with the
		// (unique) reference, so the order of RETURNING does not matter.
		args := make([]any, 0, 8*len(batch))
		byRef := make(map[string]*Question, len(batch))
		for _, r := range batch {
			q := r.q
			args = append(args, q.Ref, q.Project, q.Name, q.Text, store.Millis(q.SubmittedAt), q.SourceIP, q.UserAgent, q.Lang)
			byRef[q.Ref] = q
		}
		rows, err := tx.QueryContext(ctx, `INSERT INTO questions (ref, project, name, text, submitted_at, source_ip, user_agent, lang) VALUES `+s.st.Rows(len(batch), 8)+` RETURNING id, ref`, args...)
		if err != nil {
			return fmt.Errorf("intake: insert questions: %w", err)
		}
		for rows.Next() {
			var id int64
			var ref string
			if err := rows.Scan(&id, &ref); err != nil {
				rows.Close()
				return fmt.Errorf("intake: insert questions: %w", err)
			}
			if q := byRef[ref]; q != nil {
				q.ID = id
				questionIDs = append(questionIDs, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("intake: insert questions: %w", err)
		}
		if len(questionIDs) != len(batch) {
			return fmt.Errorf("intake: insert questions: %d of %d rows came back", len(questionIDs), len(batch))
		}
		if len(s.routes) == 0 {
			questionIDs = questionIDs[:0]
			return nil
		}
		pending, err = delivery.InsertPendingMany(ctx, s.st, tx, questionIDs, s.routes, batch[0].q.SubmittedAt)
		return err
	})
	if err != nil {
		s.log.Error("storing questions failed", "count", len(batch), "error", err)
	}
	for _, r := range batch {
		r.done <- err
	}
	if err != nil || len(pending) == 0 {
		return
	}
	// Committed: now wake the workers (enqueueLoop).
	s.wake <- pending
}

func clipString(s string, n int) string { return textutil.Cut(s, n) }

// ErrNotFound is returned for an unknown question.
var ErrNotFound = errors.New("intake: question not found")

const questionCols = `id, ref, project, name, text, submitted_at, source_ip, user_agent, lang, state, assignee, state_at, state_by`

func scanQuestion(row interface{ Scan(...any) error }) (*Question, error) {
	var q Question
	var sub, stateAt int64
	if err := row.Scan(&q.ID, &q.Ref, &q.Project, &q.Name, &q.Text, &sub, &q.SourceIP, &q.UserAgent, &q.Lang, &q.State, &q.Assignee, &stateAt, &q.StateBy); err != nil {
		return nil, err
	}
	q.SubmittedAt, q.StateAt = store.Time(sub), store.Time(stateAt)
	return &q, nil
}

// Get returns a question by its reference.
func (s *Service) Get(ctx context.Context, ref string) (*Question, error) {
	q, err := scanQuestion(s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT `+questionCols+` FROM questions WHERE ref = ?`), ref))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("intake: get %s: %w", ref, err)
	}
	return q, nil
}

// ListFilter selects questions.
type ListFilter struct {
	// Search matches text, project, name and reference (substring, any
	// language).
	Search  string
	Project string
	// Status keeps questions with at least one delivery in this status.
	Status string
	// State keeps questions in this handling state (StateOpen, …).
	State string
	// Assignee keeps the questions assigned to this user; Unassigned the
	// questions assigned to nobody.
	Assignee   string
	Unassigned bool
	From       time.Time
	To         time.Time
	// Before is the id to page from (exclusive); 0 for the newest.
	Before int64
	Limit  int
}

// List returns questions newest first.
func (s *Service) List(ctx context.Context, f ListFilter) ([]*Question, error) {
	var where []string
	var args []any
	if f.Search != "" {
		pat := "%" + escapeLike(f.Search) + "%"
		where = append(where, `(text LIKE ? ESCAPE '\' OR project LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\' OR ref = ?)`)
		args = append(args, pat, pat, pat, strings.ToUpper(strings.TrimSpace(f.Search)))
	}
	if f.Project != "" {
		where = append(where, "project = ?")
		args = append(args, f.Project)
	}
	if f.Status != "" {
		where = append(where, "id IN (SELECT question_id FROM deliveries WHERE status = ?)")
		args = append(args, f.Status)
	}
	if f.State != "" {
		where = append(where, "state = ?")
		args = append(args, f.State)
	}
	if f.Assignee != "" {
		where = append(where, "assignee = ?")
		args = append(args, f.Assignee)
	}
	if f.Unassigned {
		where = append(where, "assignee = ''")
	}
	if !f.From.IsZero() {
		where = append(where, "submitted_at >= ?")
		args = append(args, store.Millis(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "submitted_at < ?")
		args = append(args, store.Millis(f.To))
	}
	if f.Before > 0 {
		where = append(where, "id < ?")
		args = append(args, f.Before)
	}
	q := `SELECT ` + questionCols + ` FROM questions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("intake: list: %w", err)
	}
	defer rows.Close()
	var out []*Question
	for rows.Next() {
		q, err := scanQuestion(rows)
		if err != nil {
			return nil, fmt.Errorf("intake: list: %w", err)
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

func escapeLike(s string) string { return textutil.EscapeLike(s) }

// Count returns the number of stored questions.
func (s *Service) Count(ctx context.Context) (int, error) {
	var n int
	err := s.st.R.QueryRowContext(ctx, `SELECT count(*) FROM questions`).Scan(&n)
	return n, err
}
