package alerts

import (
	"context"
	"fmt"
	"strings"

	"github.com/opsdesk/opsdesk/internal/notify"
)

// pageTexts are the words of SMS, email and chat pages, in the four
// languages of the console: en, ja, zh, ko.
var pageTexts = map[string][4]string{
	"alert":    {"Alert", "アラート", "告警", "알림"},
	"ack":      {"Acknowledge", "確認", "确认", "확인"},
	"resolve":  {"Resolve", "解決", "解决", "해결"},
	"escalate": {"Escalate", "エスカレーション", "升级", "에스컬레이션"},
	"system":   {"System", "システム", "系统", "시스템"},
	"host":     {"Host", "ホスト", "主机", "호스트"},
	"service":  {"Service", "サービス", "服务", "서비스"},
	"severity": {"Severity", "重要度", "严重程度", "심각도"},
	"received": {"Received", "受信", "接收时间", "수신"},
	"console":  {"Console", "コンソール", "控制台", "콘솔"},
	"chat_ack": {"Reply “ack %d” to acknowledge.", "確認するには「ack %d」と返信してください。", "回复“ack %d”即可确认。", "확인하려면 “ack %d”라고 답하세요."},
	"link_note": {
		"Each link works once, only for this alert, and expires.",
		"各リンクはこのアラートに対して一度だけ有効で、有効期限があります。",
		"每个链接仅对此告警有效，只能使用一次，并会过期。",
		"각 링크는 이 알림에 대해 한 번만 사용할 수 있으며 만료됩니다.",
	},
}

// pageLang picks the index of a language in pageTexts ("ja-JP" → 1).
func pageLang(lang string) int {
	switch strings.ToLower(strings.SplitN(strings.SplitN(lang, "-", 2)[0], "_", 2)[0]) {
	case "ja":
		return 1
	case "zh":
		return 2
	case "ko":
		return 3
	}
	return 0
}

func pt(lang int, key string) string { return pageTexts[key][lang] }

// pageLink mints a one-tap link for a page ("" when links are not
// configured or minting failed: the page goes out without it).
func (s *Service) pageLink(ctx context.Context, p *Page, action string) string {
	if s.o.ActionLink == nil {
		return ""
	}
	u, err := s.o.ActionLink(ctx, p.AlertID, action, p.Kind, p.User)
	if err != nil {
		s.o.Log.Warn("alerts: minting an action link failed; the page goes without it", "alert", p.AlertID, "error", err)
		return ""
	}
	return u
}

// pageMessage is the SMS, email or chat mention of a page. Text from the
// alert is put in as plain text: the senders escape it for their format.
func (s *Service) pageMessage(ctx context.Context, p *Page, a *Alert) PageMessage {
	l := pageLang(p.Language)
	sev := strings.ToUpper(severityName(a.Severity))
	subject := fmt.Sprintf("[opsdesk] %s %s: %s (#%d)", sev, a.System, clipRunes(a.Summary, 120), a.ID)
	m := PageMessage{Kind: p.Kind, To: p.Address, Destination: p.Destination, Language: p.Language, Subject: subject, Key: pageKey(p)}
	var b strings.Builder
	switch p.Kind {
	case PageSMS:
		// One or two SMS parts: the essentials and the acknowledge link.
		fmt.Fprintf(&b, "[opsdesk] %s #%d %s %s: %s", pt(l, "alert"), a.ID, sev, a.System, clipRunes(a.Summary, 80))
		if u := s.pageLink(ctx, p, "ack"); u != "" {
			fmt.Fprintf(&b, "\n%s: %s", pt(l, "ack"), u)
		}
	case PageEmail:
		fmt.Fprintf(&b, "%s #%d: %s\n\n", pt(l, "alert"), a.ID, a.Summary)
		fmt.Fprintf(&b, "%s: %s\n%s: %s\n", pt(l, "system"), a.System, pt(l, "severity"), severityName(a.Severity))
		if a.Host != "" {
			fmt.Fprintf(&b, "%s: %s\n", pt(l, "host"), a.Host)
		}
		if a.Service != "" {
			fmt.Fprintf(&b, "%s: %s\n", pt(l, "service"), a.Service)
		}
		fmt.Fprintf(&b, "%s: %s\n", pt(l, "received"), a.ReceivedAt.In(s.o.Location).Format("2006-01-02 15:04:05 MST"))
		if a.Details != "" {
			fmt.Fprintf(&b, "\n%s\n", clipRunes(a.Details, 4000))
		}
		b.WriteString("\n")
		links := false
		for _, act := range []string{"ack", "resolve", "escalate"} {
			if u := s.pageLink(ctx, p, act); u != "" {
				fmt.Fprintf(&b, "%s: %s\n", pt(l, act), u)
				links = true
			}
		}
		if links {
			fmt.Fprintf(&b, "(%s)\n", pt(l, "link_note"))
		}
		if s.o.ConsoleURL != nil {
			fmt.Fprintf(&b, "%s: %s\n", pt(l, "console"), s.o.ConsoleURL(a.ID))
		}
	default: // chat mention
		fmt.Fprintf(&b, "%s #%d %s %s: %s\n", pt(l, "alert"), a.ID, sev, a.System, clipRunes(a.Summary, 300))
		fmt.Fprintf(&b, pt(l, "chat_ack"), a.ID)
		if s.o.ConsoleURL != nil {
			fmt.Fprintf(&b, "\n%s: %s", pt(l, "console"), s.o.ConsoleURL(a.ID))
		}
	}
	m.Text = b.String()
	return m
}

// pageChannelMessage is what a chat channel target is told.
func (s *Service) pageChannelMessage(a *Alert) notify.Message {
	m := notify.Message{
		Kind:     "alert",
		Title:    fmt.Sprintf("Alert #%d: %s", a.ID, a.Summary),
		Text:     fmt.Sprintf("Alert #%d of %s is open. Reply \"ack %d\" to acknowledge.", a.ID, a.System, a.ID),
		Severity: a.Severity,
		Ref:      fmt.Sprintf("alert-%d", a.ID),
	}
	if a.Details != "" {
		m.Text += "\n\n" + clipRunes(a.Details, 2000)
	}
	m.Fields = append(m.Fields, notify.Field{Name: "System", Value: a.System})
	if a.Host != "" {
		m.Fields = append(m.Fields, notify.Field{Name: "Host", Value: a.Host})
	}
	if a.Service != "" {
		m.Fields = append(m.Fields, notify.Field{Name: "Service", Value: a.Service})
	}
	m.Fields = append(m.Fields, notify.Field{Name: "Source", Value: a.Source})
	if s.o.ConsoleURL != nil {
		m.URL = s.o.ConsoleURL(a.ID)
	}
	return m
}
