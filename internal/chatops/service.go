package chatops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/aws/support"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/chatops/command"
	"github.com/opsdesk/opsdesk/internal/jobs"
)

// Allow lists who may run each class of command (see config.ChatAllow).
type Allow struct {
	Read, Create, Resolve []string
}

// Command classes.
const (
	ClassRead    = "read"
	ClassCreate  = "create"
	ClassResolve = "resolve"
)

// ClassOf is the class a command belongs to: create; resolve, reply, ack
// and maintenance (they change a case or what alerts do); read for the
// rest.
func ClassOf(k command.Kind) string {
	switch k {
	case command.KindCreate:
		return ClassCreate
	case command.KindResolve, command.KindReply, command.KindAck, command.KindMaintenance:
		return ClassResolve
	}
	return ClassRead
}

// Allowed reports whether sender, in conversation, may run commands of
// class: yes when the class's list is empty, else when the list names the
// sender or the conversation.
func (a Allow) Allowed(class, sender, conversation string) bool {
	var l []string
	switch class {
	case ClassCreate:
		l = a.Create
	case ClassResolve:
		l = a.Resolve
	default:
		l = a.Read
	}
	if len(l) == 0 {
		return true
	}
	return (sender != "" && slices.Contains(l, sender)) || (conversation != "" && slices.Contains(l, conversation))
}

// ErrNoEscalation is what an Ack func returns when phone escalation is not
// configured.
var ErrNoEscalation = errors.New("chatops: phone escalation is not configured")

// WorkingText is the immediate "working on it" answer in lang.
func WorkingText(lang string) string { return wordsFor(lang).working }

// Platform is one chat platform's settings.
type Platform struct {
	Name     string // PlatformDingTalk or PlatformSlack
	Label    string // "DingTalk", "Slack": in messages
	Language string // reply language
	MsgType  string // DingTalk: text or markdown
	Allow    Allow
	// AllowKey is the config key of the allow lists, for refusals.
	AllowKey string
	// Accounts may be named by create case --account besides
	// Service.Account; AccountsKey is their config key (accounts.go).
	Accounts    []string
	AccountsKey string
	Parser      command.Parser
}

// Service runs chat commands against the Support API of the chat account
// and the case archive, and queues the replies.
type Service struct {
	Store  *Store
	Outbox *Outbox
	Cases  *cases.Store
	Syncer *cases.Syncer
	// Account is the AWS account commands use; nil when none is
	// configured (help, search and ack still work).
	Account *cases.Account
	// Accounts resolves the other accounts commands may name (nil: only
	// Account).
	Accounts AccountFinder
	// Queue is used to retry a case sync that failed right after a
	// command.
	Queue    jobs.Queue
	DingTalk Platform
	Slack    Platform
	// BaseURL is the console's public URL, for links ("" for none).
	BaseURL string
	// CacheTTL is how long DescribeServices / DescribeSeverityLevels are
	// kept.
	CacheTTL time.Duration
	// Ack acknowledges an alert; nil, or an error matching
	// ErrNoEscalation: phone escalation is not configured.
	Ack func(ctx context.Context, alertID, by string) (string, error)
	// OnCall answers "oncall [schedule]" (nil: no schedules configured).
	OnCall OnCallLookup
	// Maintenance runs the maintenance command (nil: alerts are not
	// configured).
	Maintenance MaintenanceDesk
	// Synced is told about every case a command synced, so that updates
	// are looked for at once.
	Synced func(ctx context.Context, account, caseID string)
	Now    func() time.Time
	Log    *slog.Logger
	// Audit records the commands that changed something (nil: none),
	// besides the chat's own record of every message (chat_audit).
	Audit *audit.Log

	cat catalog
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Service) catalog() *catalog {
	if s.cat.now == nil {
		s.cat.now = s.now
		s.cat.ttl = s.CacheTTL
		if s.cat.ttl <= 0 {
			s.cat.ttl = 24 * time.Hour
		}
	}
	return &s.cat
}

// reply is a command's answer and how it is audited.
type reply struct {
	text   string
	result string
	detail string
	caseID string
	// public: show it to the whole channel (Slack in_channel).
	public bool
}

// HandleDingTalk runs one DingTalk message and queues the reply to its
// sessionWebhook (or the robot webhook once the session expired).
//
// final says this is the job's last attempt: a command that still fails
// then gets an apology rather than no answer at all.
func (s *Service) HandleDingTalk(ctx context.Context, a DingTalkArgs, final bool) error {
	cb := a.Msg
	o := Origin{
		Platform: PlatformDingTalk, MsgID: cb.MsgID, ReceivedAt: time.UnixMilli(a.ReceivedAt).UTC(),
		SenderID: cb.Sender(), SenderName: cb.SenderNick, ConversationID: cb.ConversationID, ConversationTitle: cb.ConversationTitle,
		Text: cb.Text.Content,
	}
	if err := s.Store.saveConversation(ctx, Conversation{Platform: PlatformDingTalk, ID: cb.ConversationID, Title: cb.ConversationTitle,
		SessionWebhook: cb.SessionWebhook, SessionExpiresAt: time.UnixMilli(cb.SessionWebhookExpiredTime)}); err != nil {
		return err
	}
	queue := "dingtalk:" + cb.ConversationID
	if cb.ConversationID == "" {
		queue = "dingtalk:msg:" + cb.MsgID
	}
	target := Target{Kind: TargetDingTalk, Conversation: cb.ConversationID, SessionWebhook: cb.SessionWebhook, SessionExpires: cb.SessionWebhookExpiredTime}
	p := s.DingTalk
	return s.run(ctx, o, &p, final, func(r reply) OutMessage {
		return OutMessage{Queue: queue, Target: target, Payload: Payload{Title: "AWS Support", Text: r.text, MsgType: p.MsgType}}
	})
}

// HandleSlack runs one slash command and queues the reply to its
// response_url.
func (s *Service) HandleSlack(ctx context.Context, a SlackArgs, final bool) error {
	c := a.Cmd
	o := Origin{
		Platform: PlatformSlack, MsgID: c.ID, ReceivedAt: time.UnixMilli(a.ReceivedAt).UTC(),
		SenderID: c.UserID, SenderName: c.UserName, ConversationID: c.ChannelID, ConversationTitle: c.ChannelName,
		Text: c.Text,
	}
	p := s.Slack
	return s.run(ctx, o, &p, final, func(r reply) OutMessage {
		rt := "ephemeral"
		if r.public {
			rt = "in_channel"
		}
		return OutMessage{Queue: "slack:" + hashKey(c.ResponseURL), Target: Target{Kind: TargetSlackResponse, ResponseURL: c.ResponseURL},
			Payload: Payload{Text: r.text, ResponseType: rt}}
	})
}

// run audits the message, runs the command once (a retried job finds the
// record and does not repeat a call to AWS), and queues the reply in the
// same transaction as the audit result.
func (s *Service) run(ctx context.Context, o Origin, p *Platform, final bool, out func(reply) OutMessage) error {
	rec, err := s.Store.begin(ctx, o)
	if err != nil {
		return err
	}
	if rec.Result != ResultRunning {
		return nil // done by an earlier run of this job
	}
	w := wordsFor(p.Language)
	kind := command.KindHelp
	var r reply
	cmd, perr := p.Parser.Parse(o.Text)
	var ce *command.Error
	switch {
	case errors.As(perr, &ce):
		kind = ce.Kind
		r = reply{text: command.Describe(ce, p.Language), result: ResultInvalid, detail: ce.Error()}
	case perr != nil:
		return perr
	default:
		kind = cmd.Kind()
		if err := s.Store.setKind(ctx, rec.ID, string(kind)); err != nil {
			return err
		}
		class := ClassOf(kind)
		if !p.Allow.Allowed(class, o.SenderID, o.ConversationID) {
			r = reply{text: w.f(w.forbidden, classWord(w, class), o.SenderID, o.ConversationID, p.AllowKey+"."+class),
				result: ResultForbidden, detail: "not in " + p.AllowKey + "." + class}
			break
		}
		// What the command changes is the sender's doing (an alert
		// acknowledged is recorded by the alerts capability).
		r, err = s.execute(audit.WithActor(ctx, chatActor(o)), rec, o, p, cmd)
		if err != nil {
			if !final {
				return err
			}
			s.log().Error("chat command failed", "platform", o.Platform, "msg_id", o.MsgID, "error", err)
			r = reply{text: w.internalError, result: ResultFailed, detail: cut(err.Error(), 500)}
		}
	}
	msg := out(r)
	msg.Dedup = "reply:" + o.Platform + ":" + o.MsgID
	msg.AuditRef = rec.ID
	var q []queued
	err = s.Store.st.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.Store.finishTx(ctx, tx, rec.ID, string(kind), r.result, r.detail, r.caseID); err != nil {
			return err
		}
		var err error
		q, err = s.Outbox.enqueueTx(ctx, tx, []OutMessage{msg})
		return err
	})
	if err != nil {
		return err
	}
	s.log().Info("chat command", "platform", o.Platform, "msg_id", o.MsgID, "sender", o.SenderID, "conversation", o.ConversationID,
		"kind", kind, "result", r.result, "case", r.caseID)
	s.recordCommand(ctx, o, kind, r)
	return s.Outbox.kick(ctx, q)
}

func classWord(w *words, class string) string {
	switch class {
	case ClassCreate:
		return w.classCreate
	case ClassResolve:
		return w.classResolve
	}
	return w.classRead
}

// execute runs a parsed, permitted command. An error return is for the
// job to retry (the database failed); everything AWS says is a reply.
func (s *Service) execute(ctx context.Context, rec record, o Origin, p *Platform, cmd command.Command) (reply, error) {
	w := wordsFor(p.Language)
	switch c := cmd.(type) {
	case command.HelpRequest:
		text := command.Help(p.Language)
		if c.Topic != "" {
			text = command.Usage(c.Topic, p.Language)
		}
		return reply{text: text, result: ResultOK}, nil
	case command.Search:
		return s.search(ctx, w, c)
	case command.Ack:
		return s.ack(ctx, w, o, p, c), nil
	case command.OnCall:
		return s.onCall(ctx, p, c)
	case command.Maintenance:
		return s.maintenance(ctx, o, p, c)
	}
	if s.Account == nil {
		if sh, ok := cmd.(command.Show); ok {
			return s.show(ctx, w, sh)
		}
		return reply{text: w.noAccount, result: ResultFailed, detail: "no AWS account"}, nil
	}
	switch c := cmd.(type) {
	case command.ServiceLookup:
		return s.lookup(ctx, w, p, c), nil
	case command.CreateCase:
		acct, r, err := s.accountFor(ctx, p, c.Account)
		if err != nil || r != nil {
			return deref(r), err
		}
		return s.create(ctx, w, rec, o, p, c, acct)
	case command.Resolve:
		acct, r, err := s.caseAccount(ctx, p, c.CaseID, true)
		if err != nil || r != nil {
			return deref(r), err
		}
		return s.resolve(ctx, w, rec, c, acct)
	case command.Show:
		return s.show(ctx, w, c)
	case command.Reply:
		acct, r, err := s.caseAccount(ctx, p, c.CaseID, true)
		if err != nil || r != nil {
			return deref(r), err
		}
		return s.reply(ctx, w, rec, o, p, c, acct)
	}
	return reply{text: command.Help(p.Language), result: ResultOK}, nil
}

// apiError puts an error of the Support API in plain words.
func (s *Service) apiError(w *words, err error, caseID string) reply {
	r := reply{result: ResultFailed, detail: cut(err.Error(), 500)}
	var ae *support.APIError
	var ne net.Error
	switch {
	case errors.Is(err, support.ErrSubscriptionRequired):
		r.text = w.apiNoPlan
	case errors.As(err, &ae) && ae.Code == support.CodeCaseIDNotFound:
		r.text = w.f(w.apiNotFound, caseID)
	case errors.As(err, &ae) && ae.Throttling():
		r.text = w.apiThrottled
	case errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500:
		msg := ae.Message
		if msg == "" {
			msg = ae.Code
		}
		r.text = w.f(w.apiRefused, cut(msg, 300))
	case errors.As(err, &ae):
		r.text = w.f(w.apiFailed, cut(ae.Code+" "+ae.Message, 300))
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		r.text = w.f(w.apiUnreachable, cut(errText(err), 200))
	default:
		r.text = w.f(w.apiFailed, cut(errText(err), 300))
	}
	return r
}

// errText is an error without the URL a *url.Error repeats.
func errText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// caseLink is the console page of a case ("" without a base URL).
func (s *Service) caseLink(caseID string) string {
	if s.BaseURL == "" || caseID == "" {
		return ""
	}
	return strings.TrimRight(s.BaseURL, "/") + "/cases/" + url.PathEscape(caseID)
}

func withLink(w *words, text, link string) string {
	if link == "" {
		return text
	}
	return text + "\n" + w.f(w.link, link)
}

// --- service lookup ------------------------------------------------------------

const maxServiceHits = 5

func (s *Service) lookup(ctx context.Context, w *words, p *Platform, c command.ServiceLookup) reply {
	api := s.Account.Client
	svcs, err := s.catalog().Services(ctx, api, "en")
	if err != nil {
		return s.apiError(w, err, "")
	}
	local := map[string]string{}
	if p.Language != "en" {
		// Names in the reply language too, when AWS has them; the codes
		// are the same.
		if ls, err := s.catalog().Services(ctx, api, p.Language); err == nil {
			for _, x := range ls {
				local[x.Code] = x.Name
			}
		}
	}
	hits := matchServices(svcs, local, c.Query)
	if len(hits) == 0 {
		return reply{text: w.f(w.serviceNone, c.Query), result: ResultOK, detail: "no match", public: true}
	}
	var b strings.Builder
	b.WriteString(w.f(w.serviceHead, c.Query))
	for i, h := range hits {
		if i == maxServiceHits {
			b.WriteString("\n\n" + w.f(w.serviceMore, len(hits)-maxServiceHits))
			break
		}
		name := h.Name
		if l := local[h.Code]; l != "" && l != name {
			name = l + " / " + name
		}
		var cats []string
		for _, ct := range h.Categories {
			cats = append(cats, ct.Code)
		}
		b.WriteString("\n\n" + w.f(w.serviceItem, name, h.Code, list(cats)))
	}
	return reply{text: b.String(), result: ResultOK, detail: fmt.Sprintf("%d services", len(hits)), public: true}
}

// --- create --------------------------------------------------------------------

// invalidWith renders a command error with extra lines after its issues
// (what the account allows, what was probably meant).
func invalidWith(e *command.Error, lang string, extra []string) reply {
	text := command.Describe(e, lang)
	if len(extra) > 0 {
		head, tail, ok := strings.Cut(text, "\n\n")
		if ok {
			text = head + "\n" + strings.Join(extra, "\n") + "\n\n" + tail
		} else {
			text += "\n" + strings.Join(extra, "\n")
		}
	}
	return reply{text: text, result: ResultInvalid, detail: e.Error()}
}

// checkCreate validates what only AWS knows: the severities of the plan,
// the service and category codes, and that the case's language is one the
// archive syncs.
func (s *Service) checkCreate(ctx context.Context, w *words, p *Platform, c command.CreateCase, acct cases.Account) (*reply, error) {
	api := acct.Client
	sevs, err := s.catalog().Severities(ctx, api)
	if err != nil {
		r := s.apiError(w, err, "")
		return &r, nil
	}
	svcs, err := s.catalog().Services(ctx, api, "en")
	if err != nil {
		r := s.apiError(w, err, "")
		return &r, nil
	}
	var issues []command.Issue
	var extra []string
	if !slices.Contains(sevs, c.Severity) {
		issues = append(issues, command.Issue{Field: command.FieldSeverity, Problem: command.ProblemInvalid, Value: c.Severity})
		extra = append(extra, w.f(w.severityPlan, list(sevs)))
	}
	i := slices.IndexFunc(svcs, func(x support.Service) bool { return strings.EqualFold(x.Code, c.Service) })
	if i < 0 {
		issues = append(issues, command.Issue{Field: command.FieldService, Problem: command.ProblemInvalid, Value: c.Service})
		line := w.f(w.unknownService, c.Service)
		var guesses []string
		for _, h := range matchServices(svcs, nil, c.Service) {
			if len(guesses) == 3 {
				break
			}
			guesses = append(guesses, h.Code)
		}
		if len(guesses) > 0 {
			line += " " + w.f(w.didYouMean, list(guesses))
		}
		extra = append(extra, line)
	} else {
		var cats []string
		for _, ct := range svcs[i].Categories {
			cats = append(cats, ct.Code)
		}
		if !slices.ContainsFunc(cats, func(x string) bool { return strings.EqualFold(x, c.Category) }) {
			issues = append(issues, command.Issue{Field: command.FieldCategory, Problem: command.ProblemInvalid, Value: c.Category})
			extra = append(extra, w.f(w.unknownCategory, svcs[i].Code, c.Category, list(cats)))
		}
	}
	if len(acct.Languages) > 0 && !slices.Contains(acct.Languages, c.Language) {
		issues = append(issues, command.Issue{Field: command.FieldLanguage, Problem: command.ProblemInvalid, Value: c.Language})
		extra = append(extra, w.f(w.languageNotArchived, list(acct.Languages)))
	}
	if len(issues) == 0 {
		return nil, nil
	}
	e := &command.Error{Kind: command.KindCreate, Field: issues[0].Field, Problem: issues[0].Problem, Value: issues[0].Value, More: issues[1:]}
	r := invalidWith(e, p.Language, extra)
	return &r, nil
}

// footer adds who sent a message from which chat, if it fits.
func footer(w *words, text string, o Origin, p *Platform) string {
	who := o.SenderName
	if who == "" {
		who = o.SenderID
	}
	f := "\n\n" + w.f(w.sentFrom, who, p.Label)
	if utf16Len(text+f) > command.MaxBody {
		return text
	}
	return text + f
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func (s *Service) create(ctx context.Context, w *words, rec record, o Origin, p *Platform, c command.CreateCase, acct cases.Account) (reply, error) {
	caseID := ""
	switch rec.Effect {
	case "done":
		caseID = rec.CaseID
	case "started":
		// An earlier run called CreateCase and stopped before recording
		// the answer: adopt the case it made, if AWS has it.
		id, err := s.findCreated(ctx, acct, c, rec.EffectAt)
		if err != nil {
			return s.apiError(w, err, ""), nil
		}
		caseID = id
	}
	if caseID == "" {
		if r, err := s.checkCreate(ctx, w, p, c, acct); err != nil || r != nil {
			if r == nil {
				return reply{}, err
			}
			return *r, err
		}
		if err := s.Store.effectStarted(ctx, rec.ID); err != nil {
			return reply{}, err
		}
		out, err := acct.Client.CreateCase(ctx, &support.CreateCaseInput{
			Subject:           c.Subject,
			CommunicationBody: footer(w, c.Body, o, p),
			SeverityCode:      c.Severity,
			ServiceCode:       c.Service,
			CategoryCode:      c.Category,
			IssueType:         c.IssueType,
			Language:          c.Language,
			CcEmailAddresses:  c.CC,
		})
		if err != nil {
			var ae *support.APIError
			if errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500 {
				// Refused: nothing was created.
				if err := s.Store.effectDone(ctx, rec.ID, "", "refused"); err != nil {
					return reply{}, err
				}
			}
			return s.apiError(w, err, ""), nil
		}
		caseID = out.CaseID
		if err := s.Store.effectDone(ctx, rec.ID, caseID, ""); err != nil {
			return reply{}, err
		}
	}
	display, syncNote := s.syncAfter(ctx, w, acct, caseID)
	if err := s.Store.watch(ctx, Watch{Account: acct.Name, CaseID: caseID, Platform: o.Platform, ConversationID: o.ConversationID,
		ConversationTitle: o.ConversationTitle, CreatedBy: o.SenderID, AuditRef: rec.ID}); err != nil {
		return reply{}, err
	}
	var text string
	if display != "" {
		text = w.f(w.created, caseID, display, c.Subject, c.Severity)
	} else {
		text = w.f(w.createdNoDisplay, caseID, c.Subject, c.Severity)
	}
	if syncNote != "" {
		text += "\n" + syncNote
	}
	return reply{text: withLink(w, text, s.caseLink(caseID)), result: ResultOK, detail: "created " + caseID, caseID: caseID, public: true}, nil
}

// findCreated looks for the case an interrupted run created: same subject,
// created since the call started.
func (s *Service) findCreated(ctx context.Context, acct cases.Account, c command.CreateCase, since time.Time) (string, error) {
	out, err := acct.Client.DescribeCases(ctx, &support.DescribeCasesInput{
		AfterTime: support.FormatTime(since.Add(-5 * time.Minute)), IncludeResolvedCases: true,
		IncludeCommunications: support.Bool(false), Language: c.Language,
	})
	if err != nil {
		return "", err
	}
	for _, x := range out.Cases {
		if x.Subject == c.Subject && x.ServiceCode == c.Service {
			return x.CaseID, nil
		}
	}
	return "", nil
}

// syncAfter archives a case a command changed, and returns its display id.
// When AWS cannot be asked now, a sync job is queued and the note says so.
func (s *Service) syncAfter(ctx context.Context, w *words, acct cases.Account, caseID string) (display, note string) {
	_, err := s.Syncer.SyncCase(ctx, acct, caseID)
	if err != nil {
		s.log().Warn("chat: sync after command", "case", caseID, "error", err)
		if s.Queue != nil {
			if _, qerr := s.Queue.Insert(ctx, cases.SyncCaseArgs{Account: acct.Name, CaseID: caseID, Reason: "chat"}, nil); qerr != nil {
				s.log().Warn("chat: queue case sync", "case", caseID, "error", qerr)
			}
		}
		note = w.f(w.createdSyncLater, cut(errText(err), 200))
	} else if s.Synced != nil {
		s.Synced(ctx, acct.Name, caseID)
	}
	if c, _, err := s.Cases.Get(ctx, caseID); err == nil {
		display = c.DisplayID
	}
	return display, note
}

// caseRef finds a case's full id from what was typed (a case id or a
// display id): from the archive, else from AWS.
func (s *Service) caseRef(ctx context.Context, id string) (string, error) {
	if command.ValidCaseID(id) {
		return id, nil
	}
	if c, _, err := s.Cases.Get(ctx, id); err == nil {
		return c.CaseID, nil
	} else if !errors.Is(err, cases.ErrNotFound) {
		return "", err
	}
	if _, err := s.Syncer.SyncCase(ctx, *s.Account, id); err != nil {
		return "", err
	}
	c, _, err := s.Cases.Get(ctx, id)
	if err != nil {
		return "", err
	}
	return c.CaseID, nil
}

// notFound is the reply for a case nobody knows.
func (s *Service) notFound(w *words, id string) reply {
	acct := ""
	if s.Account != nil {
		acct = s.Account.Name
	}
	return reply{text: w.f(w.caseNotFound, id, acct), result: ResultFailed, detail: "no such case " + id}
}

// refError turns a failed caseRef into a reply (nil error) or a job error.
func (s *Service) refError(w *words, err error, id string) (reply, error) {
	if errors.Is(err, cases.ErrCaseNotFound) || errors.Is(err, cases.ErrNotFound) {
		return s.notFound(w, id), nil
	}
	var ae *support.APIError
	var ne net.Error
	if errors.As(err, &ae) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return s.apiError(w, err, id), nil
	}
	return reply{}, err
}

// --- resolve ------------------------------------------------------------------------

func (s *Service) resolve(ctx context.Context, w *words, rec record, c command.Resolve, acct cases.Account) (reply, error) {
	caseID, err := s.caseRef(ctx, c.CaseID)
	if err != nil {
		return s.refError(w, err, c.CaseID)
	}
	var before, after string
	if rec.Effect == "done" && rec.EffectResult != "" {
		before, after, _ = strings.Cut(rec.EffectResult, "|")
	} else {
		if err := s.Store.effectStarted(ctx, rec.ID); err != nil {
			return reply{}, err
		}
		out, err := acct.Client.ResolveCase(ctx, &support.ResolveCaseInput{CaseID: caseID})
		if err != nil {
			return s.apiError(w, err, c.CaseID), nil
		}
		before, after = out.InitialCaseStatus, out.FinalCaseStatus
		if err := s.Store.effectDone(ctx, rec.ID, caseID, before+"|"+after); err != nil {
			return reply{}, err
		}
	}
	display, _ := s.syncAfter(ctx, w, acct, caseID)
	name := caseID
	if display != "" {
		name = display
	}
	text := w.f(w.resolved, name, orDash(before), orDash(after))
	return reply{text: withLink(w, text, s.caseLink(caseID)), result: ResultOK, detail: before + " → " + after, caseID: caseID, public: true}, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// --- show -----------------------------------------------------------------------------

const maxShownMessage = 1500

func (s *Service) show(ctx context.Context, w *words, c command.Show) (reply, error) {
	stale := ""
	if s.Account != nil {
		acct, _, err := s.caseAccount(ctx, nil, c.CaseID, false)
		if err != nil {
			return reply{}, err
		}
		if _, err := s.Syncer.SyncCase(ctx, acct, c.CaseID); err != nil {
			if !errors.Is(err, cases.ErrCaseNotFound) {
				s.log().Warn("chat: refresh case", "case", c.CaseID, "error", err)
				stale = w.f(w.showStale, cut(s.apiError(w, err, c.CaseID).text, 300))
			}
		} else if s.Synced != nil {
			if cs, _, err := s.Cases.Get(ctx, c.CaseID); err == nil {
				s.Synced(ctx, cs.Account, cs.CaseID)
			}
		}
	}
	cs, msgs, err := s.Cases.Get(ctx, c.CaseID)
	if errors.Is(err, cases.ErrNotFound) {
		return s.notFound(w, c.CaseID), nil
	}
	if err != nil {
		return reply{}, err
	}
	last := cs.LastCommAt
	if last.IsZero() || cs.ChangedAt.After(last) {
		last = cs.ChangedAt
	}
	text := w.f(w.showHead, orDash(cs.DisplayID), cs.CaseID, cs.Subject, cs.Status, cs.Severity, cs.ServiceCode, when(last))
	if len(msgs) > 0 {
		m := msgs[len(msgs)-1]
		text += "\n\n" + w.f(w.showLatest, m.SubmittedBy, when(m.TimeCreated), cutRunes(strings.TrimSpace(m.Body), maxShownMessage))
	} else {
		text += "\n\n" + w.showNoMessages
	}
	if stale != "" {
		text += "\n\n" + stale
	}
	return reply{text: withLink(w, text, s.caseLink(cs.CaseID)), result: ResultOK, detail: cs.Status, caseID: cs.CaseID, public: true}, nil
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// --- reply ---------------------------------------------------------------------------

func (s *Service) reply(ctx context.Context, w *words, rec record, o Origin, p *Platform, c command.Reply, acct cases.Account) (reply, error) {
	caseID, err := s.caseRef(ctx, c.CaseID)
	if err != nil {
		return s.refError(w, err, c.CaseID)
	}
	body := footer(w, c.Text, o, p)
	done := rec.Effect == "done"
	if rec.Effect == "started" {
		// An earlier run may have added it already.
		added, err := s.findReply(ctx, acct, caseID, body, rec.EffectAt)
		if err != nil {
			return s.apiError(w, err, c.CaseID), nil
		}
		done = added
	}
	if !done {
		if err := s.Store.effectStarted(ctx, rec.ID); err != nil {
			return reply{}, err
		}
		if _, err := acct.Client.AddCommunicationToCase(ctx, &support.AddCommunicationToCaseInput{CaseID: caseID, CommunicationBody: body}); err != nil {
			return s.apiError(w, err, c.CaseID), nil
		}
		if err := s.Store.effectDone(ctx, rec.ID, caseID, ""); err != nil {
			return reply{}, err
		}
	}
	display, _ := s.syncAfter(ctx, w, acct, caseID)
	name := caseID
	if display != "" {
		name = display
	}
	return reply{text: withLink(w, w.f(w.replied, name), s.caseLink(caseID)), result: ResultOK, detail: "reply added", caseID: caseID, public: true}, nil
}

// findReply reports whether the case has a message with body since t.
func (s *Service) findReply(ctx context.Context, acct cases.Account, caseID, body string, since time.Time) (bool, error) {
	out, err := acct.Client.DescribeCommunications(ctx, &support.DescribeCommunicationsInput{CaseID: caseID, AfterTime: support.FormatTime(since.Add(-5 * time.Minute))})
	if err != nil {
		return false, err
	}
	for _, m := range out.Communications {
		if strings.TrimSpace(m.Body) == strings.TrimSpace(body) {
			return true, nil
		}
	}
	return false, nil
}

// --- search --------------------------------------------------------------------------

const maxSearchHits = 5

func (s *Service) search(ctx context.Context, w *words, c command.Search) (reply, error) {
	hits, err := s.Cases.List(ctx, cases.Filter{Q: c.Query, Limit: maxSearchHits})
	if err != nil {
		return reply{}, err
	}
	if len(hits) == 0 {
		return reply{text: w.f(w.searchNone, c.Query), result: ResultOK, detail: "0 hits", public: true}, nil
	}
	var b strings.Builder
	b.WriteString(w.f(w.searchHead, c.Query, len(hits)))
	for _, h := range hits {
		b.WriteString("\n\n")
		fmt.Fprintf(&b, "%s · %s · %s · %s\n%s", orDash(h.DisplayID), h.Status, h.Severity, h.TimeCreated.UTC().Format("2006-01-02"), h.Subject)
		if len(h.Snippet) > 0 {
			var sn strings.Builder
			for _, f := range h.Snippet {
				sn.WriteString(f.Text)
			}
			if t := strings.Join(strings.Fields(sn.String()), " "); t != "" && t != h.Subject {
				b.WriteString("\n… " + cutRunes(t, 160) + " …")
			}
		}
		if l := s.caseLink(h.CaseID); l != "" {
			b.WriteString("\n" + l)
		}
	}
	if s.BaseURL == "" {
		b.WriteString("\n\n" + w.searchNoLink)
	}
	return reply{text: b.String(), result: ResultOK, detail: fmt.Sprintf("%d hits", len(hits)), public: true}, nil
}

// --- ack ---------------------------------------------------------------------------------

func (s *Service) ack(ctx context.Context, w *words, o Origin, p *Platform, c command.Ack) reply {
	if s.Ack == nil {
		return reply{text: w.ackNotConfigured, result: ResultFailed, detail: "phone escalation is not configured"}
	}
	by := o.SenderName
	if by == "" {
		by = o.SenderID
	}
	by = fmt.Sprintf("%s (%s %s)", by, p.Label, o.SenderID)
	res, err := s.Ack(ctx, c.AlertID, by)
	if errors.Is(err, ErrNoEscalation) {
		return reply{text: w.ackNotConfigured, result: ResultFailed, detail: "phone escalation is not configured"}
	}
	if err != nil {
		return reply{text: w.f(w.ackFailed, c.AlertID, cut(err.Error(), 300)), result: ResultFailed, detail: cut(err.Error(), 300)}
	}
	return reply{text: w.f(w.ackDone, c.AlertID, res), result: ResultOK, detail: cut(res, 300), public: true}
}

func deref(r *reply) reply {
	if r == nil {
		return reply{}
	}
	return *r
}
