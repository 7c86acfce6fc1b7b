package cases

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/aws/support"
	"github.com/opsdesk/opsdesk/internal/blob"
)

// Account is one AWS account to archive.
type Account struct {
	Name string
	// ID is the 12-digit AWS account id when configured.
	ID        string
	Languages []string
	Client    *support.Client
}

// Progress is reported while a sync runs (for the CLI's progress bar).
type Progress struct {
	Account        string
	Phase          string // "cases", "re-poll", "communications"
	Cases          int    // cases seen so far
	Communications int    // new communications stored
	Attachments    int    // attachments stored
}

// Result summarises the sync of one account.
type Result struct {
	Account         string
	CasesSeen       int
	CasesNew        int
	CasesChanged    int
	CasesGone       int
	Communications  int
	Attachments     int
	AttachmentBytes int64
	// Skipped lists languages the account's API refused, with the reason.
	Skipped []string
	// Failures lists problems that did not stop the sync (an attachment
	// that could not be fetched …).
	Failures []string
	// More is set when the deadline stopped the sync before every case's
	// messages were fetched.
	More bool
	Took time.Duration
}

// Syncer copies cases from the Support API into the archive.
type Syncer struct {
	Store *Store
	// Blobs is where attachment contents are stored (content-addressed).
	Blobs blob.Store
	// Dir, when Blobs is nil, is a local directory store (blob.Local) for
	// them: the layout of data_dir/attachments. Tests use it.
	Dir string
	// Overlap is subtracted from the high-water mark so that cases created
	// around the previous sync are not missed (clock skew, late indexing).
	Overlap time.Duration
	// ResolvedRepoll is how long resolved cases keep being re-polled.
	ResolvedRepoll time.Duration
	// FullCheck is how often the discovery pass lists every case AWS still
	// has (not only new ones), so that old resolved cases AWS deleted are
	// marked as kept only here. 0 disables it.
	FullCheck time.Duration
	Now       func() time.Time
	Log       *slog.Logger
	// Progress, when set, is called as work advances.
	Progress func(Progress)
}

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ErrNoSupportPlan is returned for an account without a Business or
// Enterprise support plan.
var ErrNoSupportPlan = support.ErrSubscriptionRequired

// Sync archives everything new or changed in one account: every case AWS
// returns in every configured language (from the stored high-water mark,
// with overlap; everything on the first run), then every case not yet
// resolved (or resolved recently) by id, then the communications and
// attachments of every new or changed case.
//
// With a non-zero deadline it stops fetching messages when the deadline
// passes and sets Result.More; the next call continues where it stopped.
func (s *Syncer) Sync(ctx context.Context, acct Account, deadline time.Time) (*Result, error) {
	begin := time.Now()
	res := &Result{Account: acct.Name}
	prog := Progress{Account: acct.Name}
	report := func(phase string) {
		if s.Progress != nil {
			prog.Phase = phase
			s.Progress(prog)
		}
	}
	seen := map[int64]bool{}
	handle := func(page []support.CaseDetails) error {
		results, err := s.Store.upsertCases(ctx, acct.Name, page, s.now())
		if err != nil {
			return err
		}
		for _, r := range results {
			if !seen[r.ref] {
				seen[r.ref] = true
				res.CasesSeen++
				prog.Cases++
			}
			switch {
			case r.isNew:
				res.CasesNew++
			case r.changed:
				res.CasesChanged++
			}
		}
		return nil
	}

	// 1. Discovery: every case created since the high-water mark; every
	// case AWS still has when a full check is due.
	lastFull, err := s.Store.highWater(ctx, acct.Name, fullCheckKey)
	if err != nil {
		return res, err
	}
	full := s.FullCheck > 0 && s.now().Sub(lastFull) >= s.FullCheck
	listed := map[string]bool{}   // languages listed completely
	returned := map[string]bool{} // case ids AWS returned in a full listing
	for _, lang := range acct.Languages {
		hw, err := s.Store.highWater(ctx, acct.Name, lang)
		if err != nil {
			return res, err
		}
		in := &support.DescribeCasesInput{IncludeResolvedCases: true, IncludeCommunications: support.Bool(false), Language: lang, MaxResults: support.MaxMaxResults}
		if !hw.IsZero() && !full {
			in.AfterTime = support.FormatTime(hw.Add(-s.Overlap))
		}
		newest := hw
		err = acct.Client.DescribeCasesPages(ctx, in, func(out *support.DescribeCasesOutput) error {
			if err := handle(out.Cases); err != nil {
				return err
			}
			for _, c := range out.Cases {
				returned[c.CaseID] = true
				if t, err := c.Created(); err == nil && t.After(newest) {
					newest = t
				}
			}
			report("cases")
			return nil
		})
		if err != nil {
			if errors.Is(err, support.ErrSubscriptionRequired) {
				return res, fmt.Errorf("cases: account %s: %w", acct.Name, err)
			}
			var ae *support.APIError
			if errors.As(err, &ae) && ae.Code == "InvalidParameterValueException" && strings.Contains(strings.ToLower(ae.Message), "language") {
				res.Skipped = append(res.Skipped, fmt.Sprintf("%s: %s", lang, ae.Message))
				_ = s.Store.saveStateAs(ctx, acct.Name, lang, hw, s.now(), ae.Message, true)
				continue
			}
			_ = s.Store.saveState(ctx, acct.Name, lang, hw, s.now(), err.Error())
			return res, fmt.Errorf("cases: account %s: describe cases (%s): %w", acct.Name, lang, err)
		}
		if err := s.Store.saveState(ctx, acct.Name, lang, newest, s.now(), ""); err != nil {
			return res, fmt.Errorf("cases: save sync state: %w", err)
		}
		if in.AfterTime == "" {
			listed[lang] = true
		}
	}
	if full || lastFull.IsZero() {
		// Every case of a completely listed language that AWS did not
		// return is gone from AWS: the archive keeps it, marked.
		n, err := s.Store.markGoneExcept(ctx, acct.Name, listed, returned, s.now())
		if err != nil {
			return res, err
		}
		res.CasesGone += n
		if err := s.Store.saveState(ctx, acct.Name, fullCheckKey, s.now(), s.now(), ""); err != nil {
			return res, fmt.Errorf("cases: save sync state: %w", err)
		}
	}

	// 2. Re-poll: open and recently resolved cases, by id, 100 at a time,
	// with their recent communications.
	repoll, err := s.Store.toRepoll(ctx, acct.Name, s.now().Add(-s.ResolvedRepoll))
	if err != nil {
		return res, err
	}
	byLang := map[string][]repollCase{}
	for _, r := range repoll {
		byLang[r.language] = append(byLang[r.language], r)
	}
	for lang, list := range byLang {
		for len(list) > 0 {
			n := min(len(list), support.MaxCaseIDs)
			chunk := list[:n]
			list = list[n:]
			ids := make([]string, len(chunk))
			for i, r := range chunk {
				ids[i] = r.caseID
			}
			returned := map[string]bool{}
			err := acct.Client.DescribeCasesPages(ctx, &support.DescribeCasesInput{
				CaseIDList: ids, Language: lang, IncludeResolvedCases: true, IncludeCommunications: support.Bool(true), MaxResults: support.MaxMaxResults,
			}, func(out *support.DescribeCasesOutput) error {
				for _, c := range out.Cases {
					returned[c.CaseID] = true
				}
				if err := handle(out.Cases); err != nil {
					return err
				}
				report("re-poll")
				return nil
			})
			var ae *support.APIError
			if err != nil && !(errors.As(err, &ae) && ae.Code == "CaseIdNotFound") {
				return res, fmt.Errorf("cases: account %s: re-poll: %w", acct.Name, err)
			}
			// A case AWS no longer returns is kept, marked gone.
			for _, r := range chunk {
				if !returned[r.caseID] {
					if err := s.Store.markGone(ctx, r.ref, s.now()); err != nil {
						return res, err
					}
					res.CasesGone++
				}
			}
		}
	}

	// 3. Communications and attachments of every case flagged above (or
	// left flagged by an interrupted sync), until done or the deadline.
	var last int64
	for {
		list, err := s.Store.needingComms(ctx, acct.Name, last, 100)
		if err != nil {
			return res, err
		}
		if len(list) == 0 {
			break
		}
		for _, p := range list {
			if !deadline.IsZero() && time.Now().After(deadline) {
				res.More = true
				res.Took = time.Since(begin)
				return res, nil
			}
			last = p.ref
			if err := s.fetchComms(ctx, acct, p, res, &prog, report); err != nil {
				return res, err
			}
		}
	}
	res.Took = time.Since(begin)
	return res, nil
}

func (s *Syncer) fetchComms(ctx context.Context, acct Account, p pendingComms, res *Result, prog *Progress, report func(string)) error {
	in := &support.DescribeCommunicationsInput{CaseID: p.caseID, MaxResults: support.MaxMaxResults}
	if !p.after.IsZero() {
		in.AfterTime = support.FormatTime(p.after)
	}
	err := acct.Client.DescribeCommunicationsPages(ctx, in, func(out *support.DescribeCommunicationsOutput) error {
		stored, err := s.Store.addCommunications(ctx, p.ref, out.Communications, s.now())
		if err != nil {
			return err
		}
		for i, m := range out.Communications {
			if stored[i].isNew {
				res.Communications++
				prog.Communications++
			}
			for _, a := range m.AllAttachments() {
				id, need, err := s.Store.addAttachment(ctx, p.ref, stored[i].ref, a, s.now())
				if err != nil {
					return err
				}
				if !need {
					continue
				}
				n, err := s.fetchAttachment(ctx, acct, id, a)
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					res.Failures = append(res.Failures, fmt.Sprintf("attachment %s of %s: %v", a.FileName, p.caseID, err))
					continue
				}
				res.Attachments++
				res.AttachmentBytes += n
				prog.Attachments++
			}
		}
		report("communications")
		return nil
	})
	var ae *support.APIError
	if errors.As(err, &ae) && ae.Code == "CaseIdNotFound" {
		// Imported, or dropped by AWS before its messages were fetched:
		// keep what the archive has.
		if err := s.Store.markGone(ctx, p.ref, s.now()); err != nil {
			return err
		}
		res.CasesGone++
		return s.Store.commsDone(ctx, p.ref)
	}
	if err != nil {
		return fmt.Errorf("cases: account %s: communications of %s: %w", acct.Name, p.caseID, err)
	}
	return s.Store.commsDone(ctx, p.ref)
}

// fullCheckKey is the sync-state row that records the last full listing.
const fullCheckKey = "*"

// fetchAttachment downloads one attachment into the blob store:
// DescribeAttachment for small files, GetAttachmentDownloadLink for those
// DescribeAttachment refuses (over 5 MB), streamed into the store as it
// arrives. A download that fails part way stores nothing.
func (s *Syncer) fetchAttachment(ctx context.Context, acct Account, id int64, a support.AttachmentDetails) (int64, error) {
	blobs, err := s.blobs()
	if err != nil {
		return 0, err
	}
	var info blob.Info
	name := a.FileName
	out, err := acct.Client.DescribeAttachment(ctx, &support.DescribeAttachmentInput{AttachmentID: a.AttachmentID})
	var ae *support.APIError
	switch {
	case err == nil && out.Attachment != nil:
		if info, err = blobs.Put(ctx, bytes.NewReader(out.Attachment.Data)); err != nil {
			return 0, fmt.Errorf("cases: store attachment: %w", err)
		}
		if out.Attachment.FileName != "" {
			name = out.Attachment.FileName
		}
	case err == nil:
		return 0, s.fail(ctx, id, "DescribeAttachment returned no attachment")
	case errors.As(err, &ae) && (ae.Code == "InvalidParameterValueException"):
		link, lerr := acct.Client.GetAttachmentDownloadLink(ctx, &support.GetAttachmentDownloadLinkInput{AttachmentID: a.AttachmentID})
		if lerr != nil {
			return 0, s.fail(ctx, id, lerr.Error())
		}
		if link.DownloadURL == nil || link.DownloadURL.URL == "" {
			return 0, s.fail(ctx, id, "GetAttachmentDownloadLink returned no URL")
		}
		var derr error
		if info, derr, err = s.download(ctx, blobs, acct, link.DownloadURL.URL); derr != nil {
			return 0, s.fail(ctx, id, derr.Error())
		}
		if err != nil {
			return 0, fmt.Errorf("cases: store attachment: %w", err)
		}
		if link.FileName != "" {
			name = link.FileName
		}
	default:
		return 0, s.fail(ctx, id, err.Error())
	}
	return info.Size, s.Store.attachmentStored(ctx, id, name, info.Size, info.Key, s.now())
}

// download streams a download link's content into the blob store. derr
// is the download's failure (recorded on the attachment), err the
// store's.
func (s *Syncer) download(ctx context.Context, blobs blob.Store, acct Account, link string) (info blob.Info, derr, err error) {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, derr = acct.Client.DownloadAttachment(ctx, link, pw)
		// A failed download ends the store's read with its error, so
		// that nothing partial is kept.
		pw.CloseWithError(cmp.Or(derr, io.EOF))
	}()
	info, err = blobs.Put(ctx, pr)
	// If the store gave up first, the download's writes fail and it ends.
	pr.CloseWithError(errStoreStopped)
	<-done
	switch {
	case errors.Is(derr, errStoreStopped):
		return blob.Info{}, nil, err
	case derr != nil:
		return blob.Info{}, derr, nil
	}
	return info, nil, err
}

var errStoreStopped = errors.New("cases: the attachment store stopped reading")

// blobs is where attachment contents go: Blobs, or a local directory
// store in Dir.
func (s *Syncer) blobs() (blob.Store, error) {
	switch {
	case s.Blobs != nil:
		return s.Blobs, nil
	case s.Dir != "":
		return blob.NewLocal(s.Dir), nil
	}
	return nil, errors.New("cases: the syncer has no attachment store (Syncer.Blobs)")
}

func (s *Syncer) fail(ctx context.Context, id int64, reason string) error {
	_ = s.Store.attachmentFailed(ctx, id, reason, s.now())
	return errors.New(reason)
}
