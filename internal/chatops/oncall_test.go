package chatops

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// fakeOnCall answers from a fixed list and remembers what it was asked.
type fakeOnCall struct {
	entries []OnCallEntry
	asked   []string
	at      []time.Time
}

func (f *fakeOnCall) OnCallNow(_ context.Context, name string, at time.Time) ([]OnCallEntry, error) {
	f.asked = append(f.asked, name)
	f.at = append(f.at, at)
	if name == "" {
		return f.entries, nil
	}
	for _, e := range f.entries {
		if e.Schedule == name {
			return []OnCallEntry{e}, nil
		}
	}
	return nil, ErrNoSchedule
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// slackReply runs text as a Slack slash command and returns the queued
// response.
func slackReply(t *testing.T, svc *Service, id, text string) Payload {
	t.Helper()
	ctx := context.Background()
	cmd := SlashCommand{ID: id, Command: "/aws", Text: text, UserID: "U9", UserName: "sato", ChannelID: "C9", ResponseURL: "https://hooks.slack.com/commands/T1/1/" + id}
	if err := svc.HandleSlack(ctx, SlackArgs{ID: id, Cmd: cmd, ReceivedAt: time.Now().UnixMilli()}, false); err != nil {
		t.Fatal(err)
	}
	st := svc.Store.st
	var payload string
	if err := st.R.QueryRow(st.Q(`SELECT payload FROM chat_outbox WHERE dedup = ?`), "reply:slack:"+id).Scan(&payload); err != nil {
		t.Fatalf("no reply queued: %v", err)
	}
	var p Payload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOnCallCommand: 值班 / 当番 / 당번 / oncall on DingTalk and Slack, in
// each reply language: every schedule, one schedule, an unknown name, and
// no schedules at all.
func TestOnCallCommand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		clk := newClock(time.Date(2026, 12, 7, 17, 30, 0, 0, time.UTC))
		tokyo, shanghai := mustZone(t, "Asia/Tokyo"), mustZone(t, "Asia/Shanghai")
		f := &fakeOnCall{entries: []OnCallEntry{
			{Schedule: "tokyo-primary", Who: "sato", Until: time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC), Zone: tokyo},
			{Schedule: "shanghai", Who: "wang", Zone: shanghai},
			{Schedule: "weekend", Zone: tokyo},
		}}
		svc := newTestService(t, st, nil)
		svc.Now = clk.Now
		svc.OnCall = f

		want := map[string]struct{ all, one, unknown string }{
			"en": {
				all:     "On call now (2026-12-08 02:30 JST):\ntokyo-primary: sato until 2026-12-08 09:00 JST\nshanghai: wang (no hand-off in sight)\nweekend: nobody is on call now",
				one:     "On call now (2026-12-08 01:30 CST):\nshanghai: wang (no hand-off in sight)",
				unknown: `There is no on-call schedule or system named "nope". The schedules: tokyo-primary, shanghai, weekend.`,
			},
			"zh": {
				all:     "现在的值班人员（2026-12-08 02:30 JST）：\ntokyo-primary：sato，值班到 2026-12-08 09:00 JST\nshanghai：wang（近期没有交接）\nweekend：现在没有人值班",
				one:     "现在的值班人员（2026-12-08 01:30 CST）：\nshanghai：wang（近期没有交接）",
				unknown: "没有名为「nope」的值班表或系统。现有的值班表：tokyo-primary, shanghai, weekend。",
			},
			"ja": {
				all:     "いまの当番（2026-12-08 02:30 JST）：\ntokyo-primary：sato（2026-12-08 09:00 JST まで）\nshanghai：wang（当面交代なし）\nweekend：いまは当番がいません",
				one:     "いまの当番（2026-12-08 01:30 CST）：\nshanghai：wang（当面交代なし）",
				unknown: "「nope」という名前のスケジュールやシステムはありません。スケジュール：tokyo-primary, shanghai, weekend。",
			},
			"ko": {
				all:     "지금 당번 (2026-12-08 02:30 JST):\ntokyo-primary: sato (2026-12-08 09:00 JST까지)\nshanghai: wang (당분간 교대 없음)\nweekend: 지금은 당번이 없습니다",
				one:     "지금 당번 (2026-12-08 01:30 CST):\nshanghai: wang (당분간 교대 없음)",
				unknown: "\"nope\"라는 이름의 일정이나 시스템은 없습니다. 일정 목록: tokyo-primary, shanghai, weekend.",
			},
		}
		commands := map[string]string{"zh": "值班", "ja": "当番", "ko": "당번", "en": "oncall"}
		n := 0
		for lang, w := range want {
			svc.DingTalk.Language, svc.Slack.Language = lang, lang
			word := commands[lang]
			p, e := replyTo(t, svc, "anyone", "@opsdesk "+word)
			if p.Text != w.all || e.Kind != "oncall" || e.Result != ResultOK {
				t.Errorf("%s: DingTalk %q:\n%s\nwant\n%s (%+v)", lang, word, p.Text, w.all, e)
			}
			p, e = replyTo(t, svc, "anyone", word+"：shanghai")
			if p.Text != w.one || e.Result != ResultOK {
				t.Errorf("%s: DingTalk %q shanghai:\n%s\nwant\n%s", lang, word, p.Text, w.one)
			}
			p, e = replyTo(t, svc, "anyone", word+" nope")
			if p.Text != w.unknown || e.Result != ResultFailed {
				t.Errorf("%s: unknown schedule:\n%s\nwant\n%s", lang, p.Text, w.unknown)
			}
			// Slack: the same answers, shown to the channel.
			n++
			p = slackReply(t, svc, fmt.Sprintf("oc-%s-%d", lang, n), "oncall")
			if p.Text != w.all || p.ResponseType != "in_channel" {
				t.Errorf("%s: Slack oncall: %q (%s)", lang, p.Text, p.ResponseType)
			}
			p = slackReply(t, svc, fmt.Sprintf("oc1-%s-%d", lang, n), word+" tokyo-primary")
			if !strings.Contains(p.Text, "tokyo-primary") || strings.Contains(p.Text, "shanghai") {
				t.Errorf("%s: Slack one schedule: %q", lang, p.Text)
			}
		}
		for _, at := range f.at {
			if !at.Equal(clk.Now()) {
				t.Fatalf("asked for %s, want the service clock's %s", at, clk.Now())
			}
		}

		// No schedules: said plainly, in each language.
		svc.OnCall = nil
		for lang := range want {
			svc.DingTalk.Language = lang
			if p, e := replyTo(t, svc, "anyone", "值班"); p.Text != onCallWordsFor(lang).none || e.Result != ResultFailed {
				t.Errorf("%s: no schedules: %q", lang, p.Text)
			}
		}
		svc.OnCall = &fakeOnCall{}
		svc.DingTalk.Language = "ko"
		if p, _ := replyTo(t, svc, "anyone", "值班 x"); p.Text != onCallWordsFor("ko").none {
			t.Errorf("empty lookup: %q", p.Text)
		}
		// A malformed command gets the format.
		svc.DingTalk.Language = "en"
		if p, e := replyTo(t, svc, "anyone", "oncall x\nmore"); !strings.Contains(p.Text, "【Who is on call】") || e.Result != ResultInvalid {
			t.Errorf("malformed: %q", p.Text)
		}
	})
}

// TestOnCallWordsComplete: every text in every language, with the
// English verbs.
func TestOnCallWordsComplete(t *testing.T) {
	t.Parallel()
	verbs := regexp.MustCompile(`%(\[\d\])?[sdv]`)
	en := reflect.ValueOf(*onCallWordsByLang["en"])
	for _, lang := range []string{"zh", "ja", "en", "ko"} {
		w, ok := onCallWordsByLang[lang]
		if !ok {
			t.Fatalf("no %s words", lang)
		}
		v := reflect.ValueOf(*w)
		for i := range v.NumField() {
			s := v.Field(i).String()
			if s == "" || len(verbs.FindAllString(s, -1)) != len(verbs.FindAllString(en.Field(i).String(), -1)) {
				t.Errorf("%s: %s = %q", lang, v.Type().Field(i).Name, s)
			}
		}
	}
}
