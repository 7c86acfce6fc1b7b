package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/aws/support"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/store"
)

// ErrCaseNotFound is returned by SyncCase when AWS knows no such case in
// any of the account's languages.
var ErrCaseNotFound = errors.New("cases: AWS has no such case in this account")

// SyncCase archives one case now, by its case id or display id: its
// details, then its new communications and attachments. It is what an
// EventBridge "Support Case Update" event and the chat commands use, so a
// reply or a resolution reaches the archive in seconds rather than at the
// next periodic sync. The case is looked up in its stored language first,
// then in each of the account's languages (DescribeCases only returns a
// case in the language it is handled in).
func (s *Syncer) SyncCase(ctx context.Context, acct Account, id string) (*Result, error) {
	begin := time.Now()
	res := &Result{Account: acct.Name}
	id = strings.TrimSpace(id)
	if id == "" {
		return res, errors.New("cases: sync case: no case id")
	}
	langs := slices.Clone(acct.Languages)
	if lang, err := s.Store.storedLanguage(ctx, acct.Name, id); err != nil {
		return res, err
	} else if lang != "" {
		langs = slices.DeleteFunc(langs, func(l string) bool { return l == lang })
		langs = append([]string{lang}, langs...)
	}
	var found *support.CaseDetails
	for _, lang := range langs {
		// With its recent messages: a reply that leaves the status as it
		// was is seen by comparing them with what is stored.
		in := &support.DescribeCasesInput{IncludeResolvedCases: true, IncludeCommunications: support.Bool(true), Language: lang}
		if isDisplayID(id) {
			in.DisplayID = id
		} else {
			in.CaseIDList = []string{id}
		}
		out, err := acct.Client.DescribeCases(ctx, in)
		var ae *support.APIError
		switch {
		case errors.As(err, &ae) && ae.Code == "CaseIdNotFound":
			continue
		case err != nil:
			return res, fmt.Errorf("cases: account %s: describe case %s: %w", acct.Name, id, err)
		}
		if len(out.Cases) > 0 {
			found = &out.Cases[0]
			break
		}
	}
	if found == nil {
		return res, fmt.Errorf("%w: %s (account %s)", ErrCaseNotFound, id, acct.Name)
	}
	results, err := s.Store.upsertCases(ctx, acct.Name, []support.CaseDetails{*found}, s.now())
	if err != nil {
		return res, err
	}
	r := results[0]
	res.CasesSeen = 1
	switch {
	case r.isNew:
		res.CasesNew = 1
	case r.changed:
		res.CasesChanged = 1
	}
	p, ok, err := s.Store.pendingFor(ctx, r.ref)
	if err != nil {
		return res, err
	}
	if ok {
		prog := Progress{Account: acct.Name}
		if err := s.fetchComms(ctx, acct, p, res, &prog, func(string) {}); err != nil {
			return res, err
		}
	}
	res.Took = time.Since(begin)
	return res, nil
}

// isDisplayID: display ids are all digits; case ids start with "case-".
func isDisplayID(id string) bool {
	if id == "" {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// storedLanguage is the language of an archived case ("" if unknown).
func (s *Store) storedLanguage(ctx context.Context, account, id string) (string, error) {
	var lang string
	err := s.st.R.QueryRowContext(ctx, s.st.Q(`SELECT language FROM cases WHERE account = ? AND (case_id = ? OR display_id = ?) ORDER BY id LIMIT 1`), account, id, id).Scan(&lang)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cases: language of %s: %w", id, err)
	}
	return lang, nil
}

// pendingFor says whether the case's messages must be fetched, and from when.
func (s *Store) pendingFor(ctx context.Context, ref int64) (pendingComms, bool, error) {
	p := pendingComms{ref: ref}
	var after sql.NullInt64
	err := s.st.W.QueryRowContext(ctx, s.st.Q(`SELECT case_id, comms_after FROM cases WHERE id = ? AND needs_comms = 1`), ref).Scan(&p.caseID, &after)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("cases: case %d: %w", ref, err)
	}
	p.after = store.NullTime(after)
	return p, true, nil
}

// SyncCaseArgs syncs one case of one account now.
type SyncCaseArgs struct {
	Account string `json:"account"`
	CaseID  string `json:"case_id"`
	// Reason tells the requests apart (an event id, "chat:…"): River
	// skips a unique job whose twin is running, and a reply that arrives
	// while the case is being synced must still cause one more sync.
	Reason string `json:"reason,omitempty"`
}

// Kind implements river.JobArgs.
func (SyncCaseArgs) Kind() string { return "case_sync_one" }

// InsertOpts: the same request (the same event delivered twice) queues one
// sync; distinct requests each sync, which is cheap (one DescribeCases and
// the messages after the newest stored).
func (SyncCaseArgs) InsertOpts() river.InsertOpts {
	o := jobs.UniqueWhileActive()
	o.MaxAttempts = 10
	return jobs.In(jobs.QueueCases, o)
}

// SyncCaseWorker runs SyncCaseArgs.
type SyncCaseWorker struct {
	river.WorkerDefaults[SyncCaseArgs]
	Syncer   *Syncer
	Accounts map[string]Account
	// Directory, when set, resolves accounts not in Accounts (those
	// discovered through an organization).
	Directory *Directory
	Log       *slog.Logger
	// Synced, when set, is told about every case synced (chat-ops posts
	// updates of cases created from chat).
	Synced func(ctx context.Context, account, caseID string, res *Result)
}

// Timeout implements river.Worker.
func (w *SyncCaseWorker) Timeout(*river.Job[SyncCaseArgs]) time.Duration { return SyncTimeout }

// Work implements river.Worker.
func (w *SyncCaseWorker) Work(ctx context.Context, job *river.Job[SyncCaseArgs]) error {
	acct, ok := w.Accounts[job.Args.Account]
	if !ok && w.Directory != nil {
		var err error
		if acct, ok, err = w.Directory.Account(ctx, job.Args.Account); err != nil {
			return err
		}
	}
	if !ok {
		w.Log.Warn("case sync for an account no longer configured", "account", job.Args.Account, "case", job.Args.CaseID)
		return nil
	}
	res, err := w.Syncer.SyncCase(ctx, acct, job.Args.CaseID)
	if errors.Is(err, ErrNoSupportPlan) || errors.Is(err, ErrCaseNotFound) {
		w.Log.Warn("case sync", "account", acct.Name, "case", job.Args.CaseID, "error", err)
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	w.Log.Info("case synced", "account", acct.Name, "case", job.Args.CaseID, "new", res.CasesNew, "changed", res.CasesChanged, "messages", res.Communications, "attachments", res.Attachments)
	if w.Synced != nil {
		w.Synced(ctx, acct.Name, job.Args.CaseID, res)
	}
	return nil
}

// AccountFor picks the configured account an AWS account id belongs to:
// the one whose account_id matches, or the only account when there is one
// and it names no id.
func AccountFor(accounts []Account, awsAccountID string) (Account, bool) {
	for _, a := range accounts {
		if a.ID != "" && a.ID == awsAccountID {
			return a, true
		}
	}
	if len(accounts) == 1 && accounts[0].ID == "" {
		return accounts[0], true
	}
	return Account{}, false
}
