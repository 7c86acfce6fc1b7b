// Package cases keeps the AWS Support case archive: every case of every
// configured account, all their communications and attachments, kept after
// AWS deletes them. Sync copies from the Support API; the store never
// deletes what it once saw.
package cases

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/aws/support"
	"github.com/opsdesk/opsdesk/internal/search"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Case is an archived support case.
type Case struct {
	ID           int64
	Account      string
	CaseID       string
	DisplayID    string
	Subject      string
	Status       string
	Severity     string
	ServiceCode  string
	CategoryCode string
	Language     string
	SubmittedBy  string
	CC           []string
	TimeCreated  time.Time
	FirstSeenAt  time.Time
	ChangedAt    time.Time
	LastSeenAt   time.Time
	ResolvedAt   time.Time // first seen resolved; zero while open
	GoneAt       time.Time // AWS stopped returning it; zero while visible
	LastCommAt   time.Time
	CommCount    int
}

// Communication is one archived message of a case.
type Communication struct {
	ID          int64
	CaseRef     int64
	SubmittedBy string
	Body        string
	TimeCreated time.Time
	Attachments []Attachment
}

// Attachment is an archived attachment; its content is on disk under the
// data directory, named by SHA256.
type Attachment struct {
	ID           int64
	CaseRef      int64
	CommRef      int64
	AttachmentID string
	FileName     string
	Size         int64
	SHA256       string
	Status       string // pending, stored, failed
	Error        string
}

// ErrNotFound is returned for an unknown case.
var ErrNotFound = errors.New("cases: not found")

// Store reads and writes the archive.
type Store struct {
	st *store.Store
}

// NewStore returns the archive store.
func NewStore(st *store.Store) *Store { return &Store{st: st} }

// upsertResult says what an upsert changed.
type upsertResult struct {
	ref     int64
	isNew   bool
	changed bool
	// lastComm is the newest stored communication time (zero: none).
	lastComm time.Time
	// needsComms: the case's messages must be fetched.
	needsComms bool
}

// upsertCases stores one page of cases as AWS reports them now, in one
// transaction, and says for each what changed.
func (s *Store) upsertCases(ctx context.Context, account string, page []support.CaseDetails, now time.Time) ([]upsertResult, error) {
	out := make([]upsertResult, len(page))
	err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		for i, c := range page {
			r, err := s.upsertCase(ctx, tx, account, c, now)
			if err != nil {
				return err
			}
			out[i] = r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// upsertCase stores the case as AWS reports it now.
func (s *Store) upsertCase(ctx context.Context, tx *sql.Tx, account string, c support.CaseDetails, now time.Time) (upsertResult, error) {
	var r upsertResult
	created, err := c.Created()
	if err != nil {
		return r, fmt.Errorf("cases: case %s: timeCreated %q: %w", c.CaseID, c.TimeCreated, err)
	}
	ms := store.Millis(now)
	cc := strings.Join(c.CcEmailAddresses, ",")
	err = func() error {
		var status, subject, severity, service, category, display string
		var resolved, lastComm sql.NullInt64
		err := tx.QueryRowContext(ctx, s.st.Q(`SELECT id, status, subject, severity, service_code, category_code, display_id, resolved_at, last_comm_at FROM cases WHERE account = ? AND case_id = ?`), account, c.CaseID).
			Scan(&r.ref, &status, &subject, &severity, &service, &category, &display, &resolved, &lastComm)
		if errors.Is(err, sql.ErrNoRows) {
			// A case first seen already resolved counts as resolved at its
			// creation until its messages are stored (see settleResolved):
			// an old archive must not be re-polled for a month.
			var resolvedAt any
			if c.Status == support.StatusResolved {
				resolvedAt = store.Millis(created)
			}
			r.isNew = true
			if err := tx.QueryRowContext(ctx, s.st.Q(`INSERT INTO cases (account, case_id, display_id, subject, status, severity, service_code, category_code, language, submitted_by, cc, time_created, first_seen_at, changed_at, last_seen_at, resolved_at, needs_comms)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`),
				account, c.CaseID, c.DisplayID, c.Subject, c.Status, c.SeverityCode, c.ServiceCode, c.CategoryCode, c.Language, c.SubmittedBy, cc,
				store.Millis(created), ms, ms, ms, resolvedAt).Scan(&r.ref); err != nil {
				return err
			}
			return s.indexSubject(ctx, tx, r.ref, c.Subject)
		}
		if err != nil {
			return err
		}
		r.lastComm = store.NullTime(lastComm)
		r.changed = status != c.Status || subject != c.Subject || severity != c.SeverityCode || service != c.ServiceCode || category != c.CategoryCode || display != c.DisplayID
		// Messages must be fetched when the case changed or one of its
		// recent messages is newer than what is stored.
		needs := r.changed
		if rc := c.RecentCommunications; rc != nil {
			for _, m := range rc.Communications {
				if t, err := m.Created(); err == nil && t.After(r.lastComm) {
					needs = true
					break
				}
			}
		}
		r.needsComms = needs
		// resolved_at: set when first seen resolved, cleared on reopening.
		var resolvedAt any
		switch {
		case c.Status == support.StatusResolved && resolved.Valid:
			resolvedAt = resolved.Int64
		case c.Status == support.StatusResolved:
			resolvedAt = ms
		}
		changedAt := "changed_at"
		if r.changed {
			changedAt = "?"
		}
		// A case already waiting for its messages keeps the earlier
		// comms_after.
		needsSQL := ""
		if needs {
			needsSQL = ", comms_after = CASE WHEN needs_comms = 1 THEN comms_after ELSE last_comm_at END, needs_comms = 1"
		}
		q := `UPDATE cases SET display_id = ?, subject = ?, status = ?, severity = ?, service_code = ?, category_code = ?, submitted_by = ?, cc = ?, last_seen_at = ?, gone_at = NULL, resolved_at = ?, changed_at = ` + changedAt + needsSQL + ` WHERE id = ?`
		args := []any{c.DisplayID, c.Subject, c.Status, c.SeverityCode, c.ServiceCode, c.CategoryCode, c.SubmittedBy, cc, ms, resolvedAt}
		if r.changed {
			args = append(args, ms)
		}
		args = append(args, r.ref)
		if _, err = tx.ExecContext(ctx, s.st.Q(q), args...); err != nil {
			return err
		}
		if subject != c.Subject {
			return s.indexSubject(ctx, tx, r.ref, c.Subject)
		}
		return nil
	}()
	if err != nil {
		return r, fmt.Errorf("cases: store case %s: %w", c.CaseID, err)
	}
	return r, nil
}

// markGone records that AWS no longer returns the case. The case stays.
func (s *Store) markGone(ctx context.Context, ref int64, now time.Time) error {
	_, err := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE cases SET gone_at = ? WHERE id = ? AND gone_at IS NULL`), store.Millis(now), ref)
	return err
}

func dedupKey(c support.Communication) string {
	h := sha256.New()
	for _, p := range []string{c.TimeCreated, c.SubmittedBy, c.Body} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// storedComm is a communication as stored: its row and whether it was new.
type storedComm struct {
	ref   int64
	isNew bool
}

// addCommunications stores one page of messages in one transaction,
// skipping those already stored, and keeps the case's counters.
func (s *Store) addCommunications(ctx context.Context, caseRef int64, page []support.Communication, now time.Time) ([]storedComm, error) {
	var out []storedComm
	err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.addCommunicationsTx(ctx, tx, caseRef, page, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cases: store communications: %w", err)
	}
	return out, nil
}

func (s *Store) addCommunicationsTx(ctx context.Context, tx *sql.Tx, caseRef int64, page []support.Communication, now time.Time) ([]storedComm, error) {
	out := make([]storedComm, len(page))
	err := func() error {
		sel, err := tx.PrepareContext(ctx, s.st.Q(`SELECT id FROM case_communications WHERE case_ref = ? AND dedup = ?`))
		if err != nil {
			return err
		}
		defer sel.Close()
		ins, err := tx.PrepareContext(ctx, s.st.Q(`INSERT INTO case_communications (case_ref, submitted_by, body, time_created, dedup, stored_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`))
		if err != nil {
			return err
		}
		defer ins.Close()
		added := 0
		var newest int64
		for i, c := range page {
			created, err := c.Created()
			if err != nil {
				return fmt.Errorf("communication of %s: timeCreated %q: %w", c.CaseID, c.TimeCreated, err)
			}
			key := dedupKey(c)
			err = sel.QueryRowContext(ctx, caseRef, key).Scan(&out[i].ref)
			if err == nil {
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if err := ins.QueryRowContext(ctx, caseRef, c.SubmittedBy, c.Body, store.Millis(created), key, store.Millis(now)).Scan(&out[i].ref); err != nil {
				return err
			}
			if err := s.indexComm(ctx, tx, out[i].ref, c.Body); err != nil {
				return err
			}
			out[i].isNew = true
			added++
			newest = max(newest, store.Millis(created))
		}
		if added == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, s.st.Q(`UPDATE cases SET comm_count = comm_count + ?, last_comm_at = CASE WHEN last_comm_at IS NULL OR last_comm_at < ? THEN ? ELSE last_comm_at END WHERE id = ?`),
			added, newest, newest, caseRef)
		if err != nil {
			return err
		}
		return s.reindexCase(ctx, tx, caseRef)
	}()
	return out, err
}

// addAttachment records an attachment as pending unless known; it returns
// the row and whether its content still has to be fetched.
func (s *Store) addAttachment(ctx context.Context, caseRef, commRef int64, a support.AttachmentDetails, now time.Time) (int64, bool, error) {
	var id int64
	var status string
	err := s.st.W.QueryRowContext(ctx, s.st.Q(`SELECT id, status FROM case_attachments WHERE case_ref = ? AND attachment_id = ?`), caseRef, a.AttachmentID).Scan(&id, &status)
	if err == nil {
		return id, status != "stored", nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, err
	}
	err = s.st.W.QueryRowContext(ctx, s.st.Q(`INSERT INTO case_attachments (case_ref, comm_ref, attachment_id, file_name, status, updated_at) VALUES (?, ?, ?, ?, 'pending', ?) RETURNING id`),
		caseRef, commRef, a.AttachmentID, a.FileName, store.Millis(now)).Scan(&id)
	if err != nil {
		return 0, false, fmt.Errorf("cases: store attachment %s: %w", a.FileName, err)
	}
	return id, true, nil
}

func (s *Store) attachmentStored(ctx context.Context, id int64, fileName string, size int64, sum string, now time.Time) error {
	_, err := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE case_attachments SET status = 'stored', file_name = CASE WHEN ? <> '' THEN ? ELSE file_name END, size = ?, sha256 = ?, error = '', updated_at = ? WHERE id = ?`),
		fileName, fileName, size, sum, store.Millis(now), id)
	return err
}

func (s *Store) attachmentFailed(ctx context.Context, id int64, reason string, now time.Time) error {
	_, err := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE case_attachments SET status = 'failed', error = ?, updated_at = ? WHERE id = ?`), reason, store.Millis(now), id)
	return err
}

// syncState returns the high-water mark (newest case creation time seen)
// for an account and language.
func (s *Store) highWater(ctx context.Context, account, lang string) (time.Time, error) {
	var hw int64
	err := s.st.W.QueryRowContext(ctx, s.st.Q(`SELECT high_water FROM case_sync_state WHERE account = ? AND language = ?`), account, lang).Scan(&hw)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	return store.Time(hw), err
}

func (s *Store) saveState(ctx context.Context, account, lang string, hw time.Time, now time.Time, lastErr string) error {
	return s.saveStateAs(ctx, account, lang, hw, now, lastErr, false)
}

// saveStateAs is saveState that also records whether the API refused the
// language as not offered.
func (s *Store) saveStateAs(ctx context.Context, account, lang string, hw time.Time, now time.Time, lastErr string, unsupported bool) error {
	u := 0
	if unsupported {
		u = 1
	}
	_, err := s.st.W.ExecContext(ctx, s.st.Q(`INSERT INTO case_sync_state (account, language, high_water, last_sync_at, last_error, unsupported) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (account, language) DO UPDATE SET high_water = CASE WHEN excluded.high_water > case_sync_state.high_water THEN excluded.high_water ELSE case_sync_state.high_water END,
		last_sync_at = excluded.last_sync_at, last_error = excluded.last_error, unsupported = excluded.unsupported`), account, lang, store.Millis(hw), store.Millis(now), lastErr, u)
	return err
}

// repollCase is a case that must be asked about again.
type repollCase struct {
	ref      int64
	caseID   string
	language string
	lastComm time.Time
}

// toRepoll lists the account's cases that are not resolved, or were
// resolved after resolvedSince, and that AWS still returns.
func (s *Store) toRepoll(ctx context.Context, account string, resolvedSince time.Time) ([]repollCase, error) {
	rows, err := s.st.W.QueryContext(ctx, s.st.Q(`SELECT id, case_id, language, last_comm_at FROM cases WHERE account = ? AND gone_at IS NULL AND (status <> 'resolved' OR resolved_at >= ?) ORDER BY language, id`),
		account, store.Millis(resolvedSince))
	if err != nil {
		return nil, fmt.Errorf("cases: cases to re-poll: %w", err)
	}
	defer rows.Close()
	var out []repollCase
	for rows.Next() {
		var r repollCase
		var lc sql.NullInt64
		if err := rows.Scan(&r.ref, &r.caseID, &r.language, &lc); err != nil {
			return nil, err
		}
		r.lastComm = store.NullTime(lc)
		out = append(out, r)
	}
	return out, rows.Err()
}

// pendingComms is a case whose messages must be fetched.
type pendingComms struct {
	ref    int64
	caseID string
	after  time.Time // zero: all
}

// needingComms returns up to limit cases of the account waiting for their
// messages. The flag is in the database, so an interrupted sync resumes
// where it stopped.
func (s *Store) needingComms(ctx context.Context, account string, afterRef int64, limit int) ([]pendingComms, error) {
	rows, err := s.st.W.QueryContext(ctx, s.st.Q(`SELECT id, case_id, comms_after FROM cases WHERE account = ? AND needs_comms = 1 AND id > ? ORDER BY id LIMIT ?`), account, afterRef, limit)
	if err != nil {
		return nil, fmt.Errorf("cases: cases needing messages: %w", err)
	}
	defer rows.Close()
	var out []pendingComms
	for rows.Next() {
		var p pendingComms
		var after sql.NullInt64
		if err := rows.Scan(&p.ref, &p.caseID, &after); err != nil {
			return nil, err
		}
		p.after = store.NullTime(after)
		out = append(out, p)
	}
	return out, rows.Err()
}

// commsDone clears the flag and dates the resolution of a case first seen
// resolved (resolved_at = time_created) to its last message, the best
// estimate of when AWS resolved it.
func (s *Store) commsDone(ctx context.Context, ref int64) error {
	_, err := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE cases SET needs_comms = 0, comms_after = NULL,
		resolved_at = CASE WHEN status = 'resolved' AND resolved_at = time_created AND last_comm_at > resolved_at THEN last_comm_at ELSE resolved_at END WHERE id = ?`), ref)
	return err
}

// indexSubject (re)indexes a case's subject for full-text search: the
// case document, and on PostgreSQL also the subject alone (phrases are
// checked there).
func (s *Store) indexSubject(ctx context.Context, tx *sql.Tx, ref int64, subject string) error {
	if s.st.Engine == store.Postgres {
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET indexed = $1 WHERE id = $2`, search.IndexText(subject), ref); err != nil {
			return fmt.Errorf("index subject: %w", err)
		}
	}
	return s.reindexCase(ctx, tx, ref)
}

// indexComm indexes a message body alone (PostgreSQL: phrases are checked
// per message); the case document is rebuilt once per page of messages by
// reindexCase.
func (s *Store) indexComm(ctx context.Context, tx *sql.Tx, ref int64, body string) error {
	if s.st.Engine != store.Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE case_communications SET indexed = $1 WHERE id = $2`, search.IndexText(body), ref); err != nil {
		return fmt.Errorf("index message: %w", err)
	}
	return nil
}

// reindexCase rebuilds a case's search document from its subject and every
// message. On PostgreSQL the case row is locked first, so two writers of
// the same case (a sync and a rebuild, two replicas) cannot leave a
// document that misses the other's messages.
func (s *Store) reindexCase(ctx context.Context, tx *sql.Tx, ref int64) error {
	var subject string
	lock := ""
	if s.st.Engine == store.Postgres {
		lock = " FOR UPDATE"
	}
	if err := tx.QueryRowContext(ctx, s.st.Q(`SELECT subject FROM cases WHERE id = ?`+lock), ref).Scan(&subject); err != nil {
		return fmt.Errorf("index case %d: %w", ref, err)
	}
	parts := []string{subject}
	rows, err := tx.QueryContext(ctx, s.st.Q(`SELECT body FROM case_communications WHERE case_ref = ? ORDER BY time_created, id`), ref)
	if err != nil {
		return fmt.Errorf("index case %d: %w", ref, err)
	}
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return fmt.Errorf("index case %d: %w", ref, err)
		}
		parts = append(parts, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index case %d: %w", ref, err)
	}
	if s.st.Engine == store.Postgres {
		_, err = tx.ExecContext(ctx, `UPDATE cases SET search_text = $1 WHERE id = $2`, search.UniqueTokens(parts...), ref)
	} else {
		if _, err = tx.ExecContext(ctx, `DELETE FROM case_fts WHERE rowid = ?`, ref); err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO case_fts (rowid, indexed) VALUES (?, ?)`, ref, search.IndexDocument(parts...))
		}
	}
	if err != nil {
		return fmt.Errorf("index case %d: %w", ref, err)
	}
	return nil
}

// RebuildSearch indexes every case anew when a migration asked for it
// (an archive from before case documents), until done or the deadline
// (zero: none); progress is kept in the database, so the next call goes on
// where this one stopped. It returns how many cases it indexed and whether
// more remain. Safe to run on several replicas at once.
func (s *Store) RebuildSearch(ctx context.Context, deadline time.Time, progress func(done int)) (int, bool, error) {
	var last int64
	err := s.st.W.QueryRowContext(ctx, `SELECT last_id FROM search_rebuild WHERE what = 'cases'`).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("cases: search rebuild: %w", err)
	}
	done := 0
	for {
		if !deadline.IsZero() && time.Now().After(deadline) {
			return done, true, nil
		}
		var ids []int64
		rows, err := s.st.W.QueryContext(ctx, s.st.Q(`SELECT id FROM cases WHERE id > ? ORDER BY id LIMIT 200`), last)
		if err != nil {
			return done, false, fmt.Errorf("cases: search rebuild: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return done, false, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) == 0 {
			break
		}
		err = s.st.Tx(ctx, func(tx *sql.Tx) error {
			for _, id := range ids {
				if err := s.reindexCase(ctx, tx, id); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, s.st.Q(`UPDATE search_rebuild SET last_id = ? WHERE what = 'cases'`), ids[len(ids)-1])
			return err
		})
		if err != nil {
			return done, false, fmt.Errorf("cases: search rebuild: %w", err)
		}
		done += len(ids)
		last = ids[len(ids)-1]
		if progress != nil {
			progress(done)
		}
	}
	if _, err := s.st.W.ExecContext(ctx, `DELETE FROM search_rebuild WHERE what = 'cases'`); err != nil {
		return done, false, fmt.Errorf("cases: search rebuild: %w", err)
	}
	return done, false, nil
}

// markGoneExcept marks as gone every visible case of the account whose
// language is in langs and whose id is not in present.
func (s *Store) markGoneExcept(ctx context.Context, account string, langs, present map[string]bool, now time.Time) (int, error) {
	if len(langs) == 0 {
		return 0, nil
	}
	rows, err := s.st.W.QueryContext(ctx, s.st.Q(`SELECT id, case_id, language FROM cases WHERE account = ? AND gone_at IS NULL`), account)
	if err != nil {
		return 0, fmt.Errorf("cases: full check: %w", err)
	}
	var gone []int64
	for rows.Next() {
		var id int64
		var caseID, lang string
		if err := rows.Scan(&id, &caseID, &lang); err != nil {
			rows.Close()
			return 0, err
		}
		if langs[lang] && !present[caseID] {
			gone = append(gone, id)
		}
	}
	rows.Close()
	for _, id := range gone {
		if err := s.markGone(ctx, id, now); err != nil {
			return 0, err
		}
	}
	return len(gone), nil
}
