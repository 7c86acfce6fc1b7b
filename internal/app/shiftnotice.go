package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/contact"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/oncall"
)

// ShiftNoticeArgs is the periodic job that tells people their on-call
// shift is about to start (oncall.shift_notice).
type ShiftNoticeArgs struct{}

// Kind implements river.JobArgs.
func (ShiftNoticeArgs) Kind() string { return "oncall_shift_notices" }

// InsertOpts implements river.JobArgsWithInsertOpts: one at a time, in the
// maintenance queue (a notice is a courtesy, never ahead of a page).
func (ShiftNoticeArgs) InsertOpts() river.InsertOpts {
	return jobs.In(jobs.QueueMaintenance, jobs.UniqueWhileActive())
}

// shiftNoticeInterval is how often the job looks for shifts starting soon.
const shiftNoticeInterval = time.Minute

type shiftNoticeWorker struct {
	river.WorkerDefaults[ShiftNoticeArgs]
	a *App
}

func (w *shiftNoticeWorker) Work(ctx context.Context, _ *river.Job[ShiftNoticeArgs]) error {
	if w.a.OnCall == nil {
		return nil
	}
	n, err := w.a.OnCall.SendShiftNotices(ctx, w.a.Cfg.OnCall.ShiftNotice.D(), shiftNotifier{w.a})
	if n > 0 {
		w.a.Log.Info("oncall: shift notices sent", "count", n)
	}
	return err
}

// shiftNotifier tells a person of their shift through one of their
// verified contact methods: chat first, then SMS, then email (never a
// call: a notice is not an alert).
type shiftNotifier struct{ a *App }

// noticeOrder ranks the kinds of contact method a notice may use.
var noticeOrder = []string{contact.KindChat, contact.KindSMS, contact.KindEmail}

func (s shiftNotifier) NotifyShift(ctx context.Context, n oncall.ShiftNotice) (string, error) {
	if s.a.Contacts == nil {
		return "", fmt.Errorf("contact methods are not available: %w", oncall.ErrUnreachable)
	}
	methods, err := s.a.Contacts.Methods(ctx, n.Who)
	if err != nil {
		return "", fmt.Errorf("%s: %v: %w", n.Who, err, oncall.ErrUnreachable)
	}
	var lastErr error
	for _, kind := range noticeOrder {
		sender := s.a.Contacts.Sender(kind)
		if sender == nil {
			continue
		}
		for _, m := range methods {
			if m.Kind != kind || m.VerifiedAt.IsZero() {
				continue
			}
			lang := m.Language
			subject, text := shiftNoticeText(n, lang)
			rc, err := sender.Send(ctx, contact.Message{Kind: kind, To: m.Address, Destination: m.Destination, Subject: subject, Text: text,
				Language: lang, Key: fmt.Sprintf("opsdesk-shift-%s-%s-%d", n.Schedule, n.Who, n.Start.Unix())})
			if err == nil {
				return kind + " " + rc.Ref, nil
			}
			lastErr = err
			if !contact.NotSent(err) {
				// It may have arrived: a second method would be a second
				// notice.
				return "", err
			}
		}
	}
	if lastErr != nil {
		return "", lastErr
	}
	return "", fmt.Errorf("%s has no verified chat, SMS or email method: %w", n.Who, oncall.ErrUnreachable)
}

// shiftNoticeTexts are the notice's words in en, ja, zh, ko: schedule,
// start, end.
var shiftNoticeTexts = [4][2]string{
	{"[opsdesk] Your on-call shift (%s) starts %s", "[opsdesk] You are on call for %s from %s until %s."},
	{"[opsdesk] 当番（%s）が %s に始まります", "[opsdesk] %s の当番です：%s から %s まで。"},
	{"[opsdesk] 您的值班（%s）将于 %s 开始", "[opsdesk] 您将在 %s 值班：%s 至 %s。"},
	{"[opsdesk] 당번(%s)이 %s에 시작됩니다", "[opsdesk] %s 당번입니다: %s부터 %s까지."},
}

var shiftNoticeOpen = [4]string{"(no end set)", "（終了未定）", "（未定结束时间）", "(종료 미정)"}

func shiftNoticeText(n oncall.ShiftNotice, lang string) (subject, text string) {
	i := 0
	switch strings.ToLower(strings.SplitN(lang, "-", 2)[0]) {
	case "ja":
		i = 1
	case "zh":
		i = 2
	case "ko":
		i = 3
	}
	zone := n.Zone
	if zone == nil {
		zone = time.UTC
	}
	const layout = "2006-01-02 15:04 MST"
	start := n.Start.In(zone).Format(layout)
	end := shiftNoticeOpen[i]
	if !n.End.IsZero() {
		end = n.End.In(zone).Format(layout)
	}
	return fmt.Sprintf(shiftNoticeTexts[i][0], n.Schedule, start), fmt.Sprintf(shiftNoticeTexts[i][1], n.Schedule, start, end)
}
