package oncall

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Calendar is an iCal feed's content (RFC 5545).
type Calendar struct {
	// Name is the calendar's display name (X-WR-CALNAME).
	Name string
	// Stamp is when the feed was made (DTSTAMP of every event).
	Stamp  time.Time
	Events []Event
}

// Event is one shift in a feed.
type Event struct {
	Schedule string
	Who      string
	Layer    string
	Override bool
	Start    time.Time
	End      time.Time
	Summary  string
}

// UID is stable per shift: the same schedule, person, layer and start give the same UID on
// every fetch (the end may move as the calendar's window does), so calendar clients update
// events instead of duplicating them.
func (e *Event) UID() string {
	h := sha256.New()
	for _, p := range []string{e.Schedule, e.Who, e.Layer, e.Start.UTC().Format(time.RFC3339)} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	if e.Override {
		h.Write([]byte("override"))
	}
	return hex.EncodeToString(h.Sum(nil)[:16]) + "@opsdesk"
}

const icalTime = "20060102T150405Z"

// WriteICal writes cal as an RFC 5545 VCALENDAR: CRLF line ends, content lines folded at 75
// octets (never inside a UTF-8 character), TEXT values escaped, times in UTC.
func WriteICal(w io.Writer, cal *Calendar) error {
	bw := bufio.NewWriter(w)
	line := func(name, value string) { writeFolded(bw, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//opsdesk//on-call//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", escapeText(cal.Name))
	stamp := cal.Stamp.UTC().Format(icalTime)
	for i := range cal.Events {
		e := &cal.Events[i]
		line("BEGIN", "VEVENT")
		line("UID", e.UID())
		line("DTSTAMP", stamp)
		line("DTSTART", e.Start.UTC().Format(icalTime))
		line("DTEND", e.End.UTC().Format(icalTime))
		line("SUMMARY", escapeText(e.Summary))
		desc := "Schedule: " + e.Schedule + "\nOn call: " + e.Who
		if e.Layer != "" {
			desc += "\nLayer: " + e.Layer
		}
		if e.Override {
			desc += "\nOverride"
		}
		line("DESCRIPTION", escapeText(desc))
		line("TRANSP", "TRANSPARENT")
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return bw.Flush()
}

// escapeText escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line
// breaks; other control characters are dropped.
func escapeText(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == ';':
			b.WriteString(`\;`)
		case r == ',':
			b.WriteString(`\,`)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r < 0x20 && r != '\t', r == 0x7f:
			// not allowed in TEXT
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// writeFolded writes one content line, folded so that no line exceeds 75 octets (the CRLF
// not counted): a continuation line starts with one space, which counts toward its 75.
func writeFolded(w *bufio.Writer, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if cut == 0 {
			cut = limit // not UTF-8 text: cut anywhere rather than loop
		}
		w.WriteString(s[:cut])
		w.WriteString("\r\n ")
		s = s[cut:]
		limit = 74
	}
	w.WriteString(s)
	w.WriteString("\r\n")
}
