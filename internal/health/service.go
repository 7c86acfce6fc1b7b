package health

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/textutil"
)

// NotifyFilter sends a record's changes to a destination when the record
// matches: each list is a set of accepted values, empty accepts all
// (config events.health).
type NotifyFilter struct {
	Destination string
	Services    []string
	Regions     []string
	Categories  []string
	Statuses    []string
	// Language of the message: en (default), ja, zh or ko.
	Language string
}

// Matches reports whether the filter accepts the record.
func (f NotifyFilter) Matches(r *Record) bool {
	in := func(list []string, v string) bool {
		return len(list) == 0 || slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, v) })
	}
	return in(f.Services, r.Service) && in(f.Regions, r.Region) && in(f.Categories, r.Category) && in(f.Statuses, r.Status)
}

// Sender sends a message to a destination; key is the idempotency key
// (the same for every attempt of one notice). permanent says retrying
// cannot help.
type Sender func(ctx context.Context, destination string, msg notify.Message, key string, attempt int) (result string, permanent bool, err error)

// Service keeps the Health records.
type Service struct {
	st      *store.Store
	queue   jobs.Queue
	now     func() time.Time
	log     *slog.Logger
	filters []NotifyFilter
	send    Sender
	// consoleURL links a record's console page ("" without base_url).
	consoleURL func(id int64) string
}

// Options configures the service.
type Options struct {
	Filters    []NotifyFilter
	Send       Sender
	ConsoleURL func(id int64) string
	Now        func() time.Time
	Log        *slog.Logger
}

// New returns the service; SetQueue gives it the job queue once built.
func New(st *store.Store, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, now: o.Now, log: o.Log, filters: o.Filters, send: o.Send, consoleURL: o.ConsoleURL}
}

// SetQueue sets the job queue (it is built after the service).
func (s *Service) SetQueue(q jobs.Queue) { s.queue = q }

// Applied is what Apply did with one event.
type Applied struct {
	RecordID int64
	// Changed: the update was newer than the record and changed it.
	Changed bool
	// Repeat: this stored event was applied before (a retried action).
	Repeat bool
	// From and To are the record's status before and after ("" before:
	// a new record).
	From, To string
	Notices  int
}

// String is the event action's result.
func (a *Applied) String() string {
	switch {
	case a.Repeat:
		return fmt.Sprintf("health record %d: applied before", a.RecordID)
	case !a.Changed:
		return fmt.Sprintf("health record %d: older or same update, record kept (%s)", a.RecordID, a.To)
	case a.From == "":
		return fmt.Sprintf("health record %d created (%s), %d notices", a.RecordID, a.To, a.Notices)
	case a.From != a.To:
		return fmt.Sprintf("health record %d: %s → %s, %d notices", a.RecordID, a.From, a.To, a.Notices)
	}
	return fmt.Sprintf("health record %d updated (%s)", a.RecordID, a.To)
}

// Apply takes the stored event ref (an aws.health EventBridge event, raw)
// into its record, in one transaction: the record is created or, when
// the update is newer than what it shows (detail.lastUpdatedTime), brought
// up to date; the update joins the record's history; a new record or a
// status change queues one notice per matching events.health filter.
// Applying the same stored event again changes nothing. A FieldError
// means the event is not a usable Health event.
func (s *Service) Apply(ctx context.Context, ref int64, raw []byte) (*Applied, error) {
	u, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	arn, acct := u.Key()
	now := s.now()
	res := &Applied{}
	var notices []int64
	err = s.st.Tx(ctx, func(tx *sql.Tx) error {
		// The row exists before it is locked, so two replicas applying two
		// updates of a new event at once serialize on it.
		if _, err := tx.ExecContext(ctx, s.st.Q(`INSERT INTO health_events (event_arn, account, last_updated_ms, first_seen_at, updated_at) VALUES (?, ?, -1, ?, ?) ON CONFLICT (event_arn, account) DO NOTHING`),
			arn, acct, store.Millis(now), store.Millis(now)); err != nil {
			return fmt.Errorf("health: record %s: %w", arn, err)
		}
		lock := ""
		if s.st.Engine == store.Postgres {
			lock = " FOR UPDATE"
		}
		rec, err := scanRecord(tx.QueryRowContext(ctx, s.st.Q(`SELECT `+recordCols+` FROM health_events WHERE event_arn = ? AND account = ?`+lock), arn, acct))
		if err != nil {
			return fmt.Errorf("health: record %s: %w", arn, err)
		}
		res.RecordID, res.From, res.To = rec.ID, rec.Status, rec.Status
		fresh := rec.Status == "" // created just now, or by an update that failed before commit
		last := int64(-1)
		if !rec.LastUpdated.IsZero() {
			last = store.Millis(rec.LastUpdated)
		}
		if fresh {
			last = -1
		}
		incoming := millis(u.LastUpdated)
		newer := incoming > last
		same := incoming == last
		hist, err := tx.ExecContext(ctx, s.st.Q(`INSERT INTO health_event_updates (health_id, event_ref, status, last_updated_ms, applied, description, received_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (health_id, event_ref) DO NOTHING`),
			rec.ID, ref, u.Status, incoming, boolInt(newer), textutil.Clip(Description(u.Descriptions, "en"), 4000), store.Millis(now))
		if err != nil {
			return fmt.Errorf("health: history of %d: %w", rec.ID, err)
		}
		if n, _ := hist.RowsAffected(); n == 0 {
			res.Repeat = true
			return nil
		}
		accounts := mergeAccounts(rec.Accounts, u.Account)
		switch {
		case newer:
			rec.Service, rec.EventTypeCode, rec.Category, rec.Scope, rec.Region = u.Service, u.EventTypeCode, u.Category, u.Scope, u.Region
			rec.Status, rec.Start, rec.End, rec.LastUpdated, rec.CommunicationID = u.Status, u.Start, u.End, u.LastUpdated, u.CommunicationID
			if len(u.Descriptions) > 0 {
				rec.Descriptions = u.Descriptions
			}
			if rec.Scope == ScopePublic {
				// Entities of a public event are each account's own: keep
				// them all.
				rec.Entities = mergeEntities(rec.Entities, u.Entities)
			} else {
				rec.Entities = append([]Entity{}, u.Entities...)
			}
			res.Changed = true
		case same:
			// The same update seen through another account (a public
			// event) or delivered twice: only what it adds is kept.
			rec.Entities = mergeEntities(rec.Entities, u.Entities)
		}
		rec.Accounts = accounts
		descs, _ := json.Marshal(rec.Descriptions)
		accts, _ := json.Marshal(rec.Accounts)
		ents, _ := json.Marshal(rec.Entities)
		if _, err := tx.ExecContext(ctx, s.st.Q(`UPDATE health_events SET service = ?, event_type_code = ?, category = ?, scope = ?, region = ?, status = ?,
			start_ms = ?, end_ms = ?, last_updated_ms = ?, communication_id = ?, descriptions = ?, accounts = ?, entities = ?, updated_at = ? WHERE id = ?`),
			rec.Service, rec.EventTypeCode, rec.Category, rec.Scope, rec.Region, rec.Status, millis(rec.Start), millis(rec.End), max(millis(rec.LastUpdated), 0),
			rec.CommunicationID, string(descs), string(accts), string(ents), store.Millis(now), rec.ID); err != nil {
			return fmt.Errorf("health: update record %d: %w", rec.ID, err)
		}
		res.To = rec.Status
		if !res.Changed || (!fresh && res.From == res.To) {
			return nil
		}
		change := rec.Status + "@" + strconv.FormatInt(millis(rec.LastUpdated), 10)
		for _, f := range s.filters {
			if !f.Matches(rec) {
				continue
			}
			var id int64
			err := tx.QueryRowContext(ctx, s.st.Q(`INSERT INTO health_notices (health_id, change, destination, lang, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)
				ON CONFLICT (health_id, change, destination) DO NOTHING RETURNING id`), rec.ID, change, f.Destination, f.Language, store.Millis(now), store.Millis(now)).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				continue // two filters for one destination: one notice
			}
			if err != nil {
				return fmt.Errorf("health: notice of %d to %s: %w", rec.ID, f.Destination, err)
			}
			notices = append(notices, id)
		}
		res.Notices = len(notices)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.enqueue(ctx, notices)
	return res, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Service) enqueue(ctx context.Context, ids []int64) {
	if len(ids) == 0 || s.queue == nil {
		return
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: NoticeArgs{ID: id}}
	}
	if err := s.queue.InsertMany(ctx, params); err != nil {
		// Committed: the sweeper finds pending notices.
		s.log.Warn("health: queue notices failed; the sweeper will retry", "notices", len(ids), "error", err)
	}
}

// NoticeArgs sends one notice.
type NoticeArgs struct {
	ID int64 `json:"id"`
}

// Kind implements river.JobArgs.
func (NoticeArgs) Kind() string { return "health_notice" }

// InsertOpts: in the events queue (a notice is an event's effect), one
// job per notice while it is active.
func (NoticeArgs) InsertOpts() river.InsertOpts {
	return jobs.In(jobs.QueueEvents, jobs.UniqueWhileActive())
}

// MaxNoticeAttempts bounds how often a notice is tried before it fails.
const MaxNoticeAttempts = 12

// NoticeWorker runs NoticeArgs. The notice row is the truth: a job that
// runs twice finds it sent.
type NoticeWorker struct {
	river.WorkerDefaults[NoticeArgs]
	Svc *Service
}

// Timeout implements river.Worker.
func (w *NoticeWorker) Timeout(*river.Job[NoticeArgs]) time.Duration { return time.Minute }

// Work implements river.Worker.
func (w *NoticeWorker) Work(ctx context.Context, job *river.Job[NoticeArgs]) error {
	return w.Svc.sendNotice(ctx, job.Args.ID)
}

func (s *Service) sendNotice(ctx context.Context, id int64) error {
	var healthID int64
	var change, dest, lang, status string
	var attempts int
	err := s.st.W.QueryRowContext(ctx, s.st.Q(`SELECT health_id, change, destination, lang, status, attempts FROM health_notices WHERE id = ?`), id).Scan(&healthID, &change, &dest, &lang, &status, &attempts)
	if errors.Is(err, sql.ErrNoRows) || err == nil && status != "pending" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("health: notice %d: %w", id, err)
	}
	rec, err := s.Get(ctx, healthID)
	if err != nil {
		return err
	}
	msg := s.Message(rec, strings.SplitN(change, "@", 2)[0], lang)
	attempt := attempts + 1
	result, permanent := "", false
	err = nil
	if s.send == nil {
		err, permanent = errors.New("sending to destinations is not configured"), true
	} else {
		result, permanent, err = s.send(ctx, dest, msg, fmt.Sprintf("health-notice-%d", id), attempt)
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	newStatus, errText := "sent", ""
	switch {
	case err == nil:
	case permanent || attempt >= MaxNoticeAttempts:
		newStatus, errText = "failed", textutil.Clip(err.Error(), 1000)
		s.log.Warn("health notice failed", "notice", id, "destination", dest, "attempts", attempt, "error", errText)
	default:
		newStatus, errText = "pending", textutil.Clip(err.Error(), 1000)
	}
	if _, uerr := s.st.W.ExecContext(ctx, s.st.Q(`UPDATE health_notices SET status = ?, attempts = ?, result = ?, error = ?, updated_at = ? WHERE id = ? AND status = 'pending'`),
		newStatus, attempt, textutil.Clip(result, 1000), errText, store.Millis(s.now()), id); uerr != nil {
		return fmt.Errorf("health: record notice %d: %w", id, uerr)
	}
	if newStatus == "pending" {
		return fmt.Errorf("health: notice %d to %s: %w", id, dest, err) // River retries with backoff
	}
	return nil
}

// Message is the notification of a record's change to status, in lang
// (en, ja, zh, ko): the labels are translated, the description is AWS's
// in that language when AWS sent one, else English.
func (s *Service) Message(r *Record, status, lang string) notify.Message {
	what := r.EventTypeCode
	if what == "" {
		what = r.Category
	}
	subject := r.Service + " " + what
	if r.Region != "" {
		subject += " (" + r.Region + ")"
	}
	title := fmt.Sprintf(text(lang, "title"), label(lang, "status", status), subject)
	m := notify.Message{Kind: "health", Title: title, Text: Description(r.Descriptions, lang), Ref: fmt.Sprintf("health-%d", r.ID), URL: r.DashboardURL}
	if s.consoleURL != nil {
		if u := s.consoleURL(r.ID); u != "" {
			m.URL = u
		}
	}
	switch {
	case status == StatusClosed:
		m.Severity = notify.SeverityInfo
	case r.Category == CategoryIssue:
		m.Severity = notify.SeverityWarning
	default:
		m.Severity = notify.SeverityInfo
	}
	add := func(key, v string) {
		if v != "" {
			m.Fields = append(m.Fields, notify.Field{Name: text(lang, key), Value: v})
		}
	}
	add("status", label(lang, "status", status))
	add("service", r.Service)
	add("category", label(lang, "category", r.Category))
	add("region", r.Region)
	add("accounts", strings.Join(r.Accounts, ", "))
	if !r.Start.IsZero() {
		add("start", r.Start.UTC().Format(time.RFC3339))
	}
	if !r.End.IsZero() {
		add("end", r.End.UTC().Format(time.RFC3339))
	}
	if n := len(r.Entities); n > 0 {
		add("entities", strconv.Itoa(n))
	}
	add("event", r.EventArn)
	add("dashboard", r.DashboardURL)
	return m
}

// SweepArgs is the periodic job that re-enqueues pending notices whose
// job was lost (a crash between commit and enqueue, retries run out).
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "health_sweep" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SweepArgs) InsertOpts() river.InsertOpts {
	return jobs.In(jobs.QueueMaintenance, jobs.UniqueWhileActive())
}

// SweepWorker runs SweepArgs. Two replicas sweeping at once insert the
// same unique jobs; the notice row decides what is sent.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Svc   *Service
	Grace time.Duration
}

// Work implements river.Worker.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	ids, err := w.Svc.stalePending(ctx, w.Grace)
	if err != nil {
		return err
	}
	w.Svc.enqueue(ctx, ids)
	return nil
}

func (s *Service) stalePending(ctx context.Context, grace time.Duration) ([]int64, error) {
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT id FROM health_notices WHERE status = 'pending' AND updated_at < ? ORDER BY updated_at LIMIT 1000`), store.Millis(s.now().Add(-grace)))
	if err != nil {
		return nil, fmt.Errorf("health: sweep: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
