package alertchat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/opsdesk/opsdesk/internal/actionlink"
	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/notify"
)

var mobileRe = regexp.MustCompile(`^\+?[0-9]{5,20}$`)

// view is an alert's current state as chat shows it.
type view struct {
	lang       string
	id         int64
	summary    string
	system     string
	severity   string
	status     string
	calling    []string // people called or notified, in order, once each
	ackedBy    string
	resolvedBy string
	fired      int // 1 + repeats
	url        string
}

// maxNames bounds the names listed as called.
const maxNames = 10

func (s *Service) view(a *alerts.Alert, tl []*alerts.Entry, lang string) *view {
	v := &view{lang: lang, id: a.ID, summary: a.Summary, system: a.System, severity: a.Severity, status: a.Status,
		ackedBy: a.AckedBy, resolvedBy: a.ResolvedBy, fired: a.Repeats + 1}
	if v.summary == "" {
		v.summary = tr(lang, tAlert, a.ID)
	}
	seenName := map[string]bool{}
	for _, e := range tl {
		if (e.Kind == alerts.KindCall || e.Kind == alerts.KindPage) && e.Actor != "" && !seenName[e.Actor] {
			seenName[e.Actor] = true
			v.calling = append(v.calling, e.Actor)
		}
	}
	if s.o.ConsoleURL != nil {
		v.url = s.o.ConsoleURL(a.ID)
	}
	return v
}

// lines are the lifecycle lines under the title, as plain text.
func (v *view) lines() []string {
	out := []string{statusText(v.lang, v.status)}
	if len(v.calling) > 0 {
		names := v.calling
		more := ""
		if len(names) > maxNames {
			more = fmt.Sprintf(" (+%d)", len(names)-maxNames)
			names = names[len(names)-maxNames:]
		}
		out = append(out, tr(v.lang, tCalling, strings.Join(names, ", ")+more))
	}
	if v.ackedBy != "" {
		out = append(out, tr(v.lang, tAckedBy, v.ackedBy))
	}
	if v.status == alerts.StatusResolved && v.resolvedBy != "" {
		out = append(out, tr(v.lang, tResolvedBy, v.resolvedBy))
	}
	if v.fired > 1 {
		out = append(out, tr(v.lang, tFired, v.fired))
	}
	return out
}

func severityMark(sev string) string {
	switch strings.ToLower(sev) {
	case "critical", "crit", "fatal", "emergency":
		return "🚨"
	case "error", "err", "high":
		return "❗"
	case "warning", "warn", "medium":
		return "⚠️"
	}
	return "ℹ️"
}

// slackMsg is a chat.postMessage / chat.update body's text and blocks.
type slackMsg struct {
	Text   string           `json:"text"`
	Blocks []map[string]any `json:"blocks"`
}

func (m slackMsg) digest() string {
	b, _ := json.Marshal(m)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// cutUTF16 cuts s to at most n UTF-16 code units (Slack's count), ending a
// cut with "…".
func cutUTF16(s string, n int) string {
	if len(utf16.Encode([]rune(s))) <= n {
		return s
	}
	units := 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if w < 1 {
			w = 1
		}
		if units+w > n-1 {
			return s[:i] + "…"
		}
		units += w
	}
	return s
}

func plain(s string) map[string]any {
	return map[string]any{"type": "plain_text", "text": s, "emoji": false}
}

func mrkdwn(s string) map[string]any {
	return map[string]any{"type": "mrkdwn", "text": s, "verbatim": true}
}

// esc escapes outside text for mrkdwn and cuts it (before escaping, so an
// escape is never cut).
func esc(s string, n int) string {
	return notify.EscapeSlack(cutUTF16(strings.ToValidUTF8(s, "\uFFFD"), n))
}

// Slack action ids: "opsdesk:<action>:<alert id>".
const (
	actionAck      = "ack"
	actionResolve  = "resolve"
	actionEscalate = "escalate"
	actionSilence  = "silence"
)

func actionID(action string, id int64) string {
	return "opsdesk:" + action + ":" + strconv.FormatInt(id, 10)
}

// slackMessage renders v as a Block Kit message: the summary as header,
// the lifecycle lines, system and severity, a context line with the alert
// number and console link, and the buttons while it is not resolved.
// Every outside text is escaped (EscapeSlack) in verbatim mrkdwn, so it
// cannot mention anyone or link anywhere.
func slackMessage(v *view) slackMsg {
	mark := severityMark(v.severity)
	title := mark + " " + strings.Join(strings.Fields(v.summary), " ")
	lines := v.lines()
	body := make([]string, len(lines))
	for i, l := range lines {
		body[i] = esc(l, 500)
	}
	body[0] = "*" + body[0] + "*"
	sev := v.severity
	if sev == "" {
		sev = "-"
	}
	blocks := []map[string]any{
		{"type": "header", "text": plain(cutUTF16(title, 150))},
		{"type": "section", "text": mrkdwn(strings.Join(body, "\n"))},
		{"type": "section", "fields": []map[string]any{
			mrkdwn("*" + tr(v.lang, tSystem) + "*\n" + esc(v.system, 200)),
			mrkdwn("*" + tr(v.lang, tSeverity) + "*\n" + esc(sev, 100)),
		}},
	}
	ctx := tr(v.lang, tAlert, v.id)
	if v.url != "" && !strings.ContainsAny(v.url, "<>|") {
		ctx += " · <" + strings.ReplaceAll(v.url, "&", "&amp;") + "|" + tr(v.lang, tOpenConsole) + ">"
	}
	blocks = append(blocks, map[string]any{"type": "context", "elements": []map[string]any{mrkdwn(ctx)}})
	if v.status != alerts.StatusResolved {
		var buttons []map[string]any
		button := func(action, label, style string) {
			b := map[string]any{"type": "button", "text": plain(label), "action_id": actionID(action, v.id), "value": strconv.FormatInt(v.id, 10)}
			if style != "" {
				b["style"] = style
			}
			buttons = append(buttons, b)
		}
		if v.status != alerts.StatusAcknowledged {
			button(actionAck, tr(v.lang, tBtnAck), "primary")
		}
		button(actionResolve, tr(v.lang, tBtnResolve), "")
		if v.status == alerts.StatusOpen || v.status == alerts.StatusUnacknowledged {
			button(actionEscalate, tr(v.lang, tBtnEscalate), "")
		}
		if v.status != alerts.StatusQuiet {
			button(actionSilence, tr(v.lang, tBtnSilence), "danger")
		}
		blocks = append(blocks, map[string]any{"type": "actions", "block_id": "opsdesk_alert_" + strconv.FormatInt(v.id, 10), "elements": buttons})
	}
	text := mark + " " + esc(v.summary, 300) + " — " + esc(statusText(v.lang, v.status), 100)
	return slackMsg{Text: text, Blocks: blocks}
}

// noteMessage is a note as a thread reply.
func noteMessage(lang string, n alerts.Note) slackMsg {
	head := tr(lang, tNoteBy, n.Author)
	return slackMsg{
		Text:   esc(head, 200) + ": " + esc(n.Body, 300),
		Blocks: []map[string]any{{"type": "section", "text": mrkdwn("*" + esc(head, 200) + "*\n" + esc(n.Body, 2700))}},
	}
}

// robotMessage renders v for a robot: the status and summary as title,
// the lifecycle lines as text, and, while the alert is not resolved,
// signed one-tap links as buttons (DingTalk ActionCard, Teams card).
func (s *Service) robotMessage(ctx context.Context, a *alerts.Alert, v *view, d *Destination) *notify.Message {
	m := &notify.Message{
		Kind:     "alert",
		Title:    "[" + statusText(v.lang, v.status) + "] " + v.summary,
		Text:     strings.Join(v.lines()[1:], "\n"),
		Fields:   []notify.Field{{Name: tr(v.lang, tSystem), Value: v.system}, {Name: tr(v.lang, tSeverity), Value: v.severity}},
		URL:      v.url,
		Severity: v.severity,
		Ref:      tr(v.lang, tAlert, v.id),
	}
	if a.Status == alerts.StatusResolved || s.o.ActionLink == nil || (d.Type != "dingtalk" && d.Type != "teams") {
		return m
	}
	type link struct{ action, label string }
	links := []link{{actionlink.ActionAck, tr(v.lang, tBtnAck)}, {actionlink.ActionResolve, tr(v.lang, tBtnResolve)}}
	if a.Status == alerts.StatusAcknowledged {
		links = links[1:]
	}
	if a.Status == alerts.StatusOpen || a.Status == alerts.StatusUnacknowledged {
		links = append(links, link{actionlink.ActionEscalate, tr(v.lang, tBtnEscalate)})
	}
	for _, l := range links {
		u, err := s.o.ActionLink(ctx, a.ID, l.action, d.Type, "")
		if err != nil {
			s.o.Log.Warn("alertchat: one-tap link", "alert", a.ID, "error", err)
			continue
		}
		if u != "" {
			m.Actions = append(m.Actions, notify.Action{Label: l.label, URL: u})
		}
	}
	return m
}
