package chatops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/chatops/command"
)

// OnCallEntry is who is on call in one schedule.
type OnCallEntry struct {
	Schedule string
	// Who is on call; "" for nobody.
	Who string
	// Until is when that changes; zero when no change is in sight.
	Until time.Time
	// Zone is the schedule's time zone, in which Until is written (UTC
	// when nil).
	Zone *time.Location
}

// OnCallLookup answers the oncall command: who is on call at at in the
// schedule (or system) name, or in every schedule when name is "". A name
// it does not know is ErrNoSchedule.
type OnCallLookup interface {
	OnCallNow(ctx context.Context, name string, at time.Time) ([]OnCallEntry, error)
}

// ErrNoSchedule: the oncall command named no schedule or system there is.
var ErrNoSchedule = errors.New("chatops: no such on-call schedule")

// onCallWords are the oncall command's answers in the four reply
// languages.
type onCallWords struct {
	none, notFound, head, until, open, nobody string
}

var onCallWordsByLang = map[string]*onCallWords{
	"zh": {
		none:     "这个 opsdesk 还没有配置值班表（oncall.schedules）。",
		notFound: "没有名为「%[1]s」的值班表或系统。现有的值班表：%[2]s。",
		head:     "现在的值班人员（%s）：",
		until:    "%[1]s：%[2]s，值班到 %[3]s",
		open:     "%[1]s：%[2]s（近期没有交接）",
		nobody:   "%[1]s：现在没有人值班",
	},
	"ja": {
		none:     "この opsdesk には当番スケジュール（oncall.schedules）がまだ設定されていません。",
		notFound: "「%[1]s」という名前のスケジュールやシステムはありません。スケジュール：%[2]s。",
		head:     "いまの当番（%s）：",
		until:    "%[1]s：%[2]s（%[3]s まで）",
		open:     "%[1]s：%[2]s（当面交代なし）",
		nobody:   "%[1]s：いまは当番がいません",
	},
	"en": {
		none:     "No on-call schedules are configured in this opsdesk (oncall.schedules).",
		notFound: "There is no on-call schedule or system named \"%[1]s\". The schedules: %[2]s.",
		head:     "On call now (%s):",
		until:    "%[1]s: %[2]s until %[3]s",
		open:     "%[1]s: %[2]s (no hand-off in sight)",
		nobody:   "%[1]s: nobody is on call now",
	},
	"ko": {
		none:     "이 opsdesk에는 아직 당번 일정(oncall.schedules)이 설정되어 있지 않습니다.",
		notFound: "\"%[1]s\"라는 이름의 일정이나 시스템은 없습니다. 일정 목록: %[2]s.",
		head:     "지금 당번 (%s):",
		until:    "%[1]s: %[2]s (%[3]s까지)",
		open:     "%[1]s: %[2]s (당분간 교대 없음)",
		nobody:   "%[1]s: 지금은 당번이 없습니다",
	},
}

func onCallWordsFor(lang string) *onCallWords {
	if w, ok := onCallWordsByLang[lang]; ok {
		return w
	}
	return onCallWordsByLang["zh"]
}

// onCallTime writes t in zone with the zone's abbreviation: "2026-12-08
// 09:00 JST".
func onCallTime(t time.Time, zone *time.Location) string {
	if zone == nil {
		zone = time.UTC
	}
	return t.In(zone).Format("2006-01-02 15:04 MST")
}

// onCall answers "oncall [name]" (值班, 当番, 당번). An error is for the job
// to retry (the lookup failed).
func (s *Service) onCall(ctx context.Context, p *Platform, c command.OnCall) (reply, error) {
	w := onCallWordsFor(p.Language)
	if s.OnCall == nil {
		return reply{text: w.none, result: ResultFailed, detail: "no on-call schedules"}, nil
	}
	now := s.now()
	entries, err := s.OnCall.OnCallNow(ctx, c.Name, now)
	if errors.Is(err, ErrNoSchedule) {
		all, err := s.OnCall.OnCallNow(ctx, "", now)
		if err != nil {
			return reply{}, err
		}
		if len(all) == 0 {
			return reply{text: w.none, result: ResultFailed, detail: "no on-call schedules"}, nil
		}
		names := make([]string, len(all))
		for i, e := range all {
			names[i] = e.Schedule
		}
		return reply{text: fmt.Sprintf(w.notFound, c.Name, list(names)), result: ResultFailed, detail: "no schedule " + cut(c.Name, 100)}, nil
	}
	if err != nil {
		return reply{}, err
	}
	if len(entries) == 0 {
		return reply{text: w.none, result: ResultFailed, detail: "no on-call schedules"}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, w.head, onCallTime(now, entries[0].Zone))
	for _, e := range entries {
		b.WriteString("\n")
		switch {
		case e.Who == "":
			fmt.Fprintf(&b, w.nobody, e.Schedule)
		case e.Until.IsZero():
			fmt.Fprintf(&b, w.open, e.Schedule, e.Who)
		default:
			fmt.Fprintf(&b, w.until, e.Schedule, e.Who, onCallTime(e.Until, e.Zone))
		}
	}
	return reply{text: b.String(), result: ResultOK, detail: fmt.Sprintf("%d schedules", len(entries)), public: true}, nil
}
