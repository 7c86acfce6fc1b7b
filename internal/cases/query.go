package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/search"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Filter selects cases for List.
type Filter struct {
	// Q is a full-text query over subjects and every message (any
	// language; see internal/search for the syntax).
	Q        string
	Account  string
	Status   string // a status, or "open" for every status but resolved
	Severity string
	Service  string
	Language string
	From, To time.Time // creation time range [From, To)
	Limit    int
	Offset   int
}

// Hit is a case in a list, with a highlighted snippet of where the query
// matched (empty without a query).
type Hit struct {
	Case
	Snippet []search.Fragment
}

const caseCols = `c.id, c.account, c.case_id, c.display_id, c.subject, c.status, c.severity, c.service_code, c.category_code, c.language, c.submitted_by, c.cc,
	c.time_created, c.first_seen_at, c.changed_at, c.last_seen_at, c.resolved_at, c.gone_at, c.last_comm_at, c.comm_count`

func scanCase(row interface{ Scan(...any) error }) (*Case, error) {
	var c Case
	var cc string
	var created, first, changed, seen int64
	var resolved, gone, lastComm sql.NullInt64
	if err := row.Scan(&c.ID, &c.Account, &c.CaseID, &c.DisplayID, &c.Subject, &c.Status, &c.Severity, &c.ServiceCode, &c.CategoryCode, &c.Language, &c.SubmittedBy, &cc,
		&created, &first, &changed, &seen, &resolved, &gone, &lastComm, &c.CommCount); err != nil {
		return nil, err
	}
	if cc != "" {
		c.CC = strings.Split(cc, ",")
	}
	c.TimeCreated, c.FirstSeenAt, c.ChangedAt, c.LastSeenAt = store.Time(created), store.Time(first), store.Time(changed), store.Time(seen)
	c.ResolvedAt, c.GoneAt, c.LastCommAt = store.NullTime(resolved), store.NullTime(gone), store.NullTime(lastComm)
	return &c, nil
}

// List returns cases, newest first, with snippets when searching.
func (s *Store) List(ctx context.Context, f Filter) ([]Hit, error) {
	var where []string
	var args []any
	q := search.ParseQuery(f.Q)
	if strings.TrimSpace(f.Q) != "" && q.Empty() {
		return nil, nil // only punctuation: nothing can match
	}
	if !q.Empty() {
		// Every term anywhere in the case (its document); on PostgreSQL,
		// whose case-level index has no positions, each phrase of several
		// tokens must also match the subject or one message.
		if s.st.Engine == store.SQLite {
			where = append(where, `c.id IN (SELECT rowid FROM case_fts WHERE case_fts MATCH ?)`)
			args = append(args, q.FTS5())
		} else {
			// The case-level index finds the cases that have every token;
			// a query made only of phrases needs no such pass: each phrase
			// is looked up where positions are kept (the subject, the
			// messages), once, as a set of case ids.
			phrases := q.Phrases()
			if len(phrases) < len(q.Split()) {
				where = append(where, `c.search_tsv @@ to_tsquery('simple', ?)`)
				args = append(args, q.TSQueryLoose())
			}
			for _, ph := range phrases {
				where = append(where, `(c.tsv @@ to_tsquery('simple', ?) OR c.id IN (SELECT m.case_ref FROM case_communications m WHERE m.tsv @@ to_tsquery('simple', ?)))`)
				args = append(args, ph.TSQuery(), ph.TSQuery())
			}
		}
	}
	for _, kv := range []struct{ col, v string }{{"c.account", f.Account}, {"c.severity", f.Severity}, {"c.service_code", f.Service}, {"c.language", f.Language}} {
		if kv.v != "" {
			where = append(where, kv.col+" = ?")
			args = append(args, kv.v)
		}
	}
	switch f.Status {
	case "":
	case "open":
		where = append(where, "c.status <> 'resolved'")
	default:
		where = append(where, "c.status = ?")
		args = append(args, f.Status)
	}
	if !f.From.IsZero() {
		where = append(where, "c.time_created >= ?")
		args = append(args, store.Millis(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "c.time_created < ?")
		args = append(args, store.Millis(f.To))
	}
	query := `SELECT ` + caseCols + ` FROM cases c`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	query += " ORDER BY c.time_created DESC, c.id DESC LIMIT ? OFFSET ?"
	args = append(args, f.Limit, max(f.Offset, 0))
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("cases: list: %w", err)
	}
	var out []Hit
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("cases: list: %w", err)
		}
		out = append(out, Hit{Case: *c})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !q.Empty() {
		for i := range out {
			if err := s.snippet(ctx, &out[i], q); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// snippet highlights the subject when it matches, else the first message
// that matches the whole query, else (the terms are spread over several
// messages) the first message with any of them. The case's messages are
// matched in Go (search.Query.Matches decides as the engines do): a case
// has a few dozen messages, and running the full-text query again per hit
// would cost far more.
func (s *Store) snippet(ctx context.Context, h *Hit, q search.Query) error {
	if q.Matches(h.Subject) {
		h.Snippet = search.Highlight(h.Subject, q, 200)
		return nil
	}
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT body FROM case_communications WHERE case_ref = ? ORDER BY time_created, id`), h.ID)
	if err != nil {
		return fmt.Errorf("cases: snippet: %w", err)
	}
	defer rows.Close()
	terms := q.Split()
	partial := ""
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return fmt.Errorf("cases: snippet: %w", err)
		}
		if q.Matches(body) {
			h.Snippet = search.Highlight(body, q, 200)
			return nil
		}
		if partial == "" {
			for _, t := range terms {
				if t.Matches(body) {
					partial = body
					break
				}
			}
		}
	}
	if partial != "" {
		h.Snippet = search.Highlight(partial, q, 200)
	}
	return rows.Err()
}

// Get returns a case by its AWS case id (or display id), with every
// message in time order and their attachments.
func (s *Store) Get(ctx context.Context, id string) (*Case, []Communication, error) {
	c, err := scanCase(s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT `+caseCols+` FROM cases c WHERE c.case_id = ? OR c.display_id = ? ORDER BY c.id LIMIT 1`), id, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("cases: %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cases: get %s: %w", id, err)
	}
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT id, submitted_by, body, time_created FROM case_communications WHERE case_ref = ? ORDER BY time_created, id`), c.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("cases: messages of %s: %w", id, err)
	}
	var comms []Communication
	byID := map[int64]int{}
	for rows.Next() {
		var m Communication
		var t int64
		if err := rows.Scan(&m.ID, &m.SubmittedBy, &m.Body, &t); err != nil {
			rows.Close()
			return nil, nil, err
		}
		m.CaseRef, m.TimeCreated = c.ID, store.Time(t)
		byID[m.ID] = len(comms)
		comms = append(comms, m)
	}
	rows.Close()
	arows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT id, comm_ref, attachment_id, file_name, size, sha256, status, error FROM case_attachments WHERE case_ref = ? ORDER BY id`), c.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("cases: attachments of %s: %w", id, err)
	}
	defer arows.Close()
	for arows.Next() {
		var a Attachment
		if err := arows.Scan(&a.ID, &a.CommRef, &a.AttachmentID, &a.FileName, &a.Size, &a.SHA256, &a.Status, &a.Error); err != nil {
			return nil, nil, err
		}
		a.CaseRef = c.ID
		if i, ok := byID[a.CommRef]; ok {
			comms[i].Attachments = append(comms[i].Attachments, a)
		}
	}
	return c, comms, arows.Err()
}

// Each calls fn for every archived case, oldest first, with its thread.
func (s *Store) Each(ctx context.Context, account string, fn func(*Case, []Communication) error) error {
	var last int64
	for {
		q := `SELECT id, case_id FROM cases WHERE id > ?`
		args := []any{last}
		if account != "" {
			q += ` AND account = ?`
			args = append(args, account)
		}
		rows, err := s.st.R.QueryContext(ctx, s.st.Q(q+` ORDER BY id LIMIT 200`), args...)
		if err != nil {
			return fmt.Errorf("cases: export: %w", err)
		}
		type ref struct {
			id     int64
			caseID string
		}
		var page []ref
		for rows.Next() {
			var r ref
			if err := rows.Scan(&r.id, &r.caseID); err != nil {
				rows.Close()
				return err
			}
			page = append(page, r)
		}
		rows.Close()
		if len(page) == 0 {
			return nil
		}
		for _, r := range page {
			c, msgs, err := s.Get(ctx, r.caseID)
			if err != nil {
				return err
			}
			if err := fn(c, msgs); err != nil {
				return err
			}
			last = r.id
		}
	}
}
