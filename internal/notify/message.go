package notify

import (
	"errors"
	"net/url"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Message is a notice that is not a question: an AWS event matched by a rule,
// an alert escalation that gave up, an update to a Support case. Send
// delivers it instead of the question when Request.Message is set.
type Message struct {
	Kind     string  // "event", "alert", "case": for webhook consumers and card styling
	Title    string  // one line, e.g. "CloudWatch alarm HighCPU is ALARM"
	Text     string  // plain text, multi-line, any language; each sender cuts it to its limit
	Fields   []Field // short facts shown as a table or list
	URL      string  // link to the console page; may be ""
	Severity string  // optional: critical, error, warning or info
	Ref      string  // opsdesk's reference of the item (event id, alert id, case id)
	// Actions are opsdesk's own links shown as buttons (signed one-tap
	// links that acknowledge or resolve an alert): a DingTalk message
	// with actions is an ActionCard, a Teams card gets one
	// Action.OpenUrl each; other destinations ignore them. Only absolute
	// http(s) URLs are kept.
	Actions []Action
}

// Action is one button of a Message: a label and the link it opens.
type Action struct {
	Label, URL string
}

// maxActions bounds a message's buttons (DingTalk and Teams show a few).
const maxActions = 5

// messageActions returns m's actions with a label and an absolute http(s)
// URL, at most maxActions.
func messageActions(m *Message) []Action {
	var out []Action
	for _, a := range m.Actions {
		label := oneLine(a.Label, 40)
		u, err := url.Parse(strings.TrimSpace(a.URL))
		if label == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		if len(out) == maxActions {
			break
		}
		out = append(out, Action{Label: label, URL: u.String()})
	}
	return out
}

// Field is one short fact of a Message.
type Field struct {
	Name, Value string
}

// Severities a Message may carry; see normalizeSeverity for the spellings
// accepted.
const (
	SeverityCritical = "critical"
	SeverityError    = "error"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Limits shared by the chat destinations (Teams, DingTalk, Slack), which
// show a message to people: fields are short facts, so they are kept to one
// line and a bounded number, leaving the destination's size budget to the
// text.
const (
	maxTitleRunes      = 500 // before each destination's own cut
	maxFields          = 20
	maxFieldNameRunes  = 50
	maxFieldValueRunes = 200
)

// normalizeSeverity maps the spellings monitoring tools use to one of the
// four severities; anything else is treated as no severity, since a
// destination can only style the ones it knows.
func normalizeSeverity(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical", "crit", "fatal", "emergency":
		return SeverityCritical
	case "error", "err", "high":
		return SeverityError
	case "warning", "warn", "medium":
		return SeverityWarning
	case "info", "information", "informational", "notice", "low":
		return SeverityInfo
	}
	return ""
}

// severityEmoji is the mark chat destinations put before a title. They are
// Unicode characters, not Slack ":shortcodes:", so they render everywhere
// and a title is never parsed for emoji names.
func severityEmoji(sev string) string {
	switch sev {
	case SeverityCritical:
		return "🚨"
	case SeverityError:
		return "❗"
	case SeverityWarning:
		return "⚠️"
	case SeverityInfo:
		return "ℹ️"
	}
	return ""
}

// messageTitle is the title of m as one line: Title, else the first line of
// Text, else "opsdesk <kind> <ref>". It is never empty, because every
// destination requires a title (Slack header, Teams TextBlock, Backlog
// summary, DingTalk markdown.title).
func messageTitle(m *Message) string {
	if t := oneLine(m.Title, maxTitleRunes); t != "" {
		return t
	}
	if t := firstLine(m.Text); t != "" {
		return oneLine(t, maxTitleRunes)
	}
	t := oneLine(strings.TrimSpace("opsdesk "+oneLine(m.Kind, 30)+" "+oneLine(m.Ref, 100)), maxTitleRunes)
	if t == "opsdesk" {
		t = "opsdesk notice"
	}
	return t
}

// messageText is m.Text with LF newlines and no surrounding blank space.
func messageText(m *Message) string {
	return strings.TrimSpace(normalizeNewlines(strings.ToValidUTF8(m.Text, "\uFFFD")))
}

// displayFields returns the fields of m as a chat destination shows them:
// at most maxFields, names and values on one line and cut, fields without a
// name dropped, an empty value shown as "-".
func displayFields(m *Message) []Field {
	var out []Field
	for _, f := range m.Fields {
		name := oneLine(f.Name, maxFieldNameRunes)
		if name == "" {
			continue
		}
		if len(out) == maxFields {
			break
		}
		out = append(out, Field{Name: name, Value: orDash(oneLine(f.Value, maxFieldValueRunes))})
	}
	return out
}

// messageMeta is the line naming what the message is about, e.g.
// "alert · critical · A-000042"; "" when m has none of them.
func messageMeta(m *Message) string {
	var parts []string
	for _, p := range []string{oneLine(m.Kind, 30), normalizeSeverity(m.Severity), oneLine(m.Ref, 100)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " · ")
}

// messageLink is the URL a chat destination links to: m.URL, else the
// request's ConsoleURL, and only when it is an absolute http(s) URL (Teams
// refuses anything else in Action.OpenUrl, and a link is no place for
// other schemes).
func messageLink(r Request) string {
	raw := strings.TrimSpace(r.Message.URL)
	if raw == "" {
		raw = strings.TrimSpace(r.ConsoleURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// ellipsis marks text that was cut.
const ellipsis = "…"

// ellipsize cuts s to at most n characters (runes), the last of which is
// "…" when anything was cut.
func ellipsize(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return cutRunes(ellipsis, n)
	}
	return cutRunes(s, n-1) + ellipsis
}

// utf16Len counts s as Slack and Backlog count characters: in UTF-16 code
// units, so a character outside the BMP (most emoji) counts twice.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if w := utf16.RuneLen(r); w > 0 {
			n += w
		} else {
			n++
		}
	}
	return n
}

// ellipsizeUTF16 is ellipsize counting UTF-16 code units; it never splits a
// character.
func ellipsizeUTF16(s string, n int) string {
	if utf16Len(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	units := 0
	for i, r := range s {
		w := max(utf16.RuneLen(r), 1)
		if units+w > n-1 {
			return s[:i] + ellipsis
		}
		units += w
	}
	return s // not reached: s is longer than n
}

// fitBody encodes build(text, false) and, while the encoding is longer than
// limit bytes, cuts text on a character boundary and encodes
// build(text, true). It fails when even an empty text does not fit.
func fitBody(text string, limit int, build func(text string, cut bool) any) ([]byte, error) {
	body, err := marshal(build(text, false))
	if err != nil {
		return nil, err
	}
	for len(body) > limit {
		if text == "" {
			return nil, errTooLarge
		}
		// Shrink by the overflow plus a little (JSON escaping can make a
		// byte cost more than one, hence the loop).
		text = strings.TrimRight(cutBytes(text, len(text)-(len(body)-limit)-16), " \n")
		if body, err = marshal(build(text, true)); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// errTooLarge is fitBody's failure: the parts of a message that are never
// cut (title, fields, link) exceed the destination's size limit.
var errTooLarge = errors.New("message is too large for the destination even without its text")
