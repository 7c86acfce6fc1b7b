package chatops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/chatops/command"
)

// MaintenanceWindow is a maintenance window as chat shows it.
type MaintenanceWindow struct {
	ID     int64
	Name   string
	System string // "" for every system
	// Scope is the severities and label matchers, if any ("critical ·
	// env=prod").
	Scope string
	// Start and End are the occurrence in force, or the next one.
	Start, End time.Time
	Active     bool
	Weekly     bool
	Held       int64
}

// MaintenanceDesk runs the maintenance command against the alerts
// capability. Start refuses a system it does not know with ErrNoSystem
// (listing the ones there are), End an id with no open window with
// ErrNoWindow; a *MaintenanceRefusal is a window the alerts service
// refused, said to the person as it is.
type MaintenanceDesk interface {
	StartMaintenance(ctx context.Context, system string, d time.Duration, reason, by string) (MaintenanceWindow, error)
	// OpenMaintenance lists the windows in force or to come.
	OpenMaintenance(ctx context.Context) ([]MaintenanceWindow, error)
	EndMaintenance(ctx context.Context, id int64, by string) (MaintenanceWindow, error)
	// Systems names the systems a window may cover, for the reply to a
	// system that does not exist.
	Systems(ctx context.Context) ([]string, error)
	// Zone is the time zone replies write times in (alerts.timezone).
	Zone() *time.Location
}

// Errors of a MaintenanceDesk.
var (
	ErrNoSystem = errors.New("chatops: no such system")
	ErrNoWindow = errors.New("chatops: no such open maintenance window")
)

// MaintenanceRefusal is a window the alerts service refused (a field and
// why), for the reply.
type MaintenanceRefusal struct{ Field, Msg string }

func (e *MaintenanceRefusal) Error() string { return e.Field + ": " + e.Msg }

// maintenanceWords are the maintenance command's answers in the four reply
// languages.
type maintenanceWords struct {
	notConfigured, started, reason, endHint, noSystem, noSystems, refused string
	head, none, item, active, next, weekly, held, ended, noWindow         string
	everySystem                                                           string
}

var maintenanceWordsByLang = map[string]*maintenanceWords{
	"zh": {
		notConfigured: "这个 opsdesk 没有启用告警（alerts），所以没有维护窗口。",
		started:       "已创建维护窗口 #%[1]d：%[2]s 的告警在 %[3]s 之前不通知任何人（%[4]s）。",
		reason:        "原因：%s。",
		endHint:       "提前结束：维护 end %d",
		noSystem:      "没有名为「%[1]s」的系统。现有的系统：%[2]s。",
		noSystems:     "没有名为「%s」的系统，这个 opsdesk 还没有任何系统。",
		refused:       "无法创建维护窗口：%s",
		head:          "维护窗口（%s）：",
		none:          "现在没有生效或即将开始的维护窗口。",
		item:          "#%[1]d %[2]s · %[3]s · %[4]s → %[5]s",
		active:        "生效中",
		next:          "即将开始",
		weekly:        "每周",
		held:          "已拦截 %d 条告警",
		ended:         "维护窗口 #%[1]d（%[2]s）已结束：%[3]s 的告警恢复通知。",
		noWindow:      "没有编号为 #%d 的生效中或即将开始的维护窗口（也可能已经结束）。",
		everySystem:   "所有系统",
	},
	"ja": {
		notConfigured: "この opsdesk ではアラート（alerts）が有効でないため、メンテナンス時間帯はありません。",
		started:       "メンテナンス時間帯 #%[1]d を作成しました：%[3]s まで %[2]s のアラートは誰にも通知しません（%[4]s）。",
		reason:        "理由：%s。",
		endHint:       "早めに終えるには：メンテ end %d",
		noSystem:      "「%[1]s」という名前のシステムはありません。システム：%[2]s。",
		noSystems:     "「%s」という名前のシステムはありません。この opsdesk にはまだシステムがありません。",
		refused:       "メンテナンス時間帯を作成できません：%s",
		head:          "メンテナンス時間帯（%s）：",
		none:          "実施中または予定のメンテナンス時間帯はありません。",
		item:          "#%[1]d %[2]s · %[3]s · %[4]s → %[5]s",
		active:        "実施中",
		next:          "予定",
		weekly:        "毎週",
		held:          "保留したアラート %d 件",
		ended:         "メンテナンス時間帯 #%[1]d（%[2]s）を終了しました：%[3]s のアラートはまた通知されます。",
		noWindow:      "実施中または予定のメンテナンス時間帯 #%d はありません（すでに終了したかもしれません）。",
		everySystem:   "すべてのシステム",
	},
	"en": {
		notConfigured: "Alerts are not set up in this opsdesk, so there are no maintenance windows.",
		started:       "Maintenance window #%[1]d: alerts of %[2]s notify nobody until %[3]s (%[4]s).",
		reason:        "Reason: %s.",
		endHint:       "End it early with: maintenance end %d",
		noSystem:      "There is no system named \"%[1]s\". The systems: %[2]s.",
		noSystems:     "There is no system named \"%s\"; this opsdesk has no systems yet.",
		refused:       "Could not create the maintenance window: %s",
		head:          "Maintenance windows (%s):",
		none:          "No maintenance window is in force or planned.",
		item:          "#%[1]d %[2]s · %[3]s · %[4]s → %[5]s",
		active:        "in force",
		next:          "upcoming",
		weekly:        "weekly",
		held:          "%d alerts held back",
		ended:         "Maintenance window #%[1]d (%[2]s) ended: alerts of %[3]s notify again.",
		noWindow:      "There is no maintenance window #%d in force or planned (it may have ended already).",
		everySystem:   "every system",
	},
	"ko": {
		notConfigured: "이 opsdesk에서는 알림(alerts)이 설정되어 있지 않아 점검 시간대가 없습니다.",
		started:       "점검 시간대 #%[1]d을(를) 만들었습니다: %[3]s까지 %[2]s의 알림은 아무에게도 알리지 않습니다(%[4]s).",
		reason:        "사유: %s.",
		endHint:       "일찍 끝내려면: 점검 end %d",
		noSystem:      "\"%[1]s\"라는 이름의 시스템은 없습니다. 시스템 목록: %[2]s.",
		noSystems:     "\"%s\"라는 이름의 시스템은 없습니다. 이 opsdesk에는 아직 시스템이 없습니다.",
		refused:       "점검 시간대를 만들 수 없습니다: %s",
		head:          "점검 시간대 (%s):",
		none:          "진행 중이거나 예정된 점검 시간대가 없습니다.",
		item:          "#%[1]d %[2]s · %[3]s · %[4]s → %[5]s",
		active:        "진행 중",
		next:          "예정",
		weekly:        "매주",
		held:          "보류한 알림 %d건",
		ended:         "점검 시간대 #%[1]d(%[2]s)을(를) 종료했습니다: %[3]s의 알림이 다시 전달됩니다.",
		noWindow:      "진행 중이거나 예정된 점검 시간대 #%d이(가) 없습니다(이미 끝났을 수 있습니다).",
		everySystem:   "모든 시스템",
	},
}

func maintenanceWordsFor(lang string) *maintenanceWords {
	if w, ok := maintenanceWordsByLang[lang]; ok {
		return w
	}
	return maintenanceWordsByLang["zh"]
}

// maintenanceTime writes t in zone with the zone's abbreviation.
func maintenanceTime(t time.Time, zone *time.Location) string { return onCallTime(t, zone) }

// maintenance answers "maintenance {system} {duration} [reason]",
// "maintenance list" and "maintenance end {id}" (维护, メンテ, 점검). The
// window is the sender's: its creator is the chat sender on the platform.
// An error is for the job to retry (the database failed).
func (s *Service) maintenance(ctx context.Context, o Origin, p *Platform, c command.Maintenance) (reply, error) {
	w := maintenanceWordsFor(p.Language)
	if s.Maintenance == nil {
		return reply{text: w.notConfigured, result: ResultFailed, detail: "alerts are not configured"}, nil
	}
	zone := s.Maintenance.Zone()
	by := o.SenderName
	if by == "" {
		by = o.SenderID
	}
	by = fmt.Sprintf("%s (%s %s)", by, p.Label, o.SenderID)
	switch c.Op {
	case command.MaintenanceList:
		ws, err := s.Maintenance.OpenMaintenance(ctx)
		if err != nil {
			return reply{}, err
		}
		if len(ws) == 0 {
			return reply{text: w.none, result: ResultOK, detail: "0 windows", public: true}, nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, w.head, maintenanceTime(s.now(), zone))
		for _, win := range ws {
			state := w.next
			if win.Active {
				state = w.active
			}
			if win.Weekly {
				state += ", " + w.weekly
			}
			b.WriteString("\n")
			fmt.Fprintf(&b, w.item, win.ID, maintenanceScope(w, win), state, maintenanceTime(win.Start, zone), maintenanceTime(win.End, zone))
			b.WriteString(" · " + win.Name + " · " + fmt.Sprintf(w.held, win.Held))
		}
		return reply{text: b.String(), result: ResultOK, detail: fmt.Sprintf("%d windows", len(ws)), public: true}, nil
	case command.MaintenanceEnd:
		win, err := s.Maintenance.EndMaintenance(ctx, c.WindowID, by)
		if errors.Is(err, ErrNoWindow) {
			return reply{text: fmt.Sprintf(w.noWindow, c.WindowID), result: ResultFailed, detail: fmt.Sprintf("no open window %d", c.WindowID)}, nil
		}
		if err != nil {
			return reply{}, err
		}
		return reply{text: fmt.Sprintf(w.ended, win.ID, win.Name, maintenanceScope(w, win)), result: ResultOK,
			detail: fmt.Sprintf("window %d ended", win.ID), public: true}, nil
	}
	win, err := s.Maintenance.StartMaintenance(ctx, c.System, c.Duration, c.Reason, by)
	var refused *MaintenanceRefusal
	switch {
	case errors.Is(err, ErrNoSystem):
		names, lerr := s.Maintenance.Systems(ctx)
		if lerr != nil {
			return reply{}, lerr
		}
		text := fmt.Sprintf(w.noSystems, c.System)
		if len(names) > 0 {
			text = fmt.Sprintf(w.noSystem, c.System, list(names))
		}
		return reply{text: text, result: ResultFailed, detail: "no system " + cut(c.System, 100)}, nil
	case errors.As(err, &refused):
		return reply{text: fmt.Sprintf(w.refused, refused.Error()), result: ResultFailed, detail: cut(refused.Error(), 300)}, nil
	case err != nil:
		return reply{}, err
	}
	text := fmt.Sprintf(w.started, win.ID, maintenanceScope(w, win), maintenanceTime(win.End, zone), durText(c.Duration))
	if c.Reason != "" {
		text += "\n" + fmt.Sprintf(w.reason, c.Reason)
	}
	text += "\n" + fmt.Sprintf(w.endHint, win.ID)
	return reply{text: text, result: ResultOK, detail: fmt.Sprintf("window %d for %s until %s", win.ID, cut(win.System, 100), win.End.UTC().Format(time.RFC3339)), public: true}, nil
}

// maintenanceScope names what a window covers: its system (or every
// system) and, if any, its severities and matchers.
func maintenanceScope(w *maintenanceWords, win MaintenanceWindow) string {
	s := win.System
	if s == "" {
		s = w.everySystem
	}
	if win.Scope != "" {
		s += " (" + win.Scope + ")"
	}
	return s
}

// durText writes a duration as people type it: 2h, 1h30m, 45m.
func durText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
