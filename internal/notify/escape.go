package notify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text that came from outside opsdesk (a question from the public form, an
// alert's summary, host and labels, an AWS event's fields, a case subject or
// a reply typed in chat) is put into a chat or ticket format only through
// one of the escaping functions below, one per format: EscapeDingTalk,
// EscapeTeams, EscapeSlack and EscapeBacklog (and BreakMentions for
// formats without markup). Each makes the text show as written and leaves
// nothing in it that the destination would turn into a link with a
// different label, an image, a mention, HTML, a heading or styling that
// could hide text.
//
// What opsdesk composes itself (labels such as "Project:", headings, the
// console link) is written around the escaped text and is never passed
// through these functions, so it keeps its own markup and is not escaped
// twice. Titles that a destination shows as plain text (DingTalk's
// markdown.title, Slack's plain_text header, Backlog's summary) and the
// generic webhook's JSON are not markup and are not escaped.
//
// Two techniques are combined. Characters with markup meaning are
// backslash-escaped, which every CommonMark-based renderer (and Backlog's
// own notation) shows as the bare character. Where a renderer might not
// honour backslashes, the syntax is also broken with an invisible U+200B
// ZERO WIDTH SPACE: after every "]" (so "](", "][" and "]:" never touch,
// and no inline link, image or link reference can form), after every "<"
// (so no HTML tag, autolink or <at> mention can start) and after a mention's
// "@". The text reads the same; a bare URL may still be shown as a link by
// the client, but only with the URL itself as its label.

// zwsp is U+200B ZERO WIDTH SPACE: invisible, and enough to keep two
// characters from forming markup.
const zwsp = "\u200b"

// asciiSet is a set of ASCII characters.
type asciiSet [utf8.RuneSelf]bool

func charSet(chars string) (s asciiSet) {
	for i := range len(chars) {
		s[chars[i]] = true
	}
	return s
}

func (s *asciiSet) has(r rune) bool { return r >= 0 && r < utf8.RuneSelf && s[r] }

// asciiPunct is CommonMark's ASCII punctuation: the characters a backslash
// escapes.
var asciiPunct = charSet("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

// markup describes how one markdown-like format is neutralised.
type markup struct {
	// escape: backslash-escaped wherever they appear.
	escape asciiSet
	// lineStart: backslash-escaped as the first character of a line
	// (after blanks) when a space, the end of the line or the same
	// character follows, which is when they start a list, a setext
	// heading underline or a rule.
	lineStart asciiSet
	// lineStartAlways: backslash-escaped as the first character of a line,
	// whatever follows (lenient renderers take "#title" for a heading).
	lineStartAlways asciiSet
	// ordered: digits starting a line followed by "." or ")" and a space
	// (an ordered list item) get the "." or ")" escaped.
	ordered bool
	// breakAfter: followed by a zero-width space.
	breakAfter asciiSet
	// escapeDoubled: the second of two in a row is backslash-escaped
	// (Backlog notation's bold, two apostrophes, and strike-through, %%).
	escapeDoubled asciiSet
	// breakDoubled: two in a row get a zero-width space between them
	// (Adaptive Cards' {{DATE(…)}} functions).
	breakDoubled asciiSet
}

// apply escapes s, line by line. Line breaks (LF, CR) are kept; invalid
// UTF-8 becomes U+FFFD.
func (m *markup) apply(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s) + len(s)/8 + 8)
	lineStart := true
	prev := rune(-1) // -1: the start of the text
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		next := runeAt(s, i+w)
		if r == '\n' || r == '\r' {
			b.WriteRune(r)
			lineStart, prev, i = true, r, i+w
			continue
		}
		if lineStart && (r == ' ' || r == '\t') {
			b.WriteRune(r)
			prev, i = r, i+w
			continue
		}
		first := lineStart
		lineStart = false
		switch {
		case r == '\\':
			// A backslash means something only before punctuation or at
			// the end of a line (a hard break); elsewhere it shows as is.
			b.WriteByte('\\')
			if next < 0 || next == '\n' || next == '\r' || asciiPunct.has(next) {
				b.WriteByte('\\')
			}
		case m.escape.has(r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case first && (m.lineStartAlways.has(r) || m.lineStart.has(r) && (next < 0 || next == r || isBlankOrEOL(next))):
			b.WriteByte('\\')
			b.WriteRune(r)
		case first && m.ordered && r >= '0' && r <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			b.WriteString(s[i:j])
			if j < len(s) && (s[j] == '.' || s[j] == ')') && (j+1 == len(s) || isBlankOrEOL(rune(s[j+1]))) {
				b.WriteByte('\\')
				b.WriteByte(s[j])
				j++
			}
			prev, i = rune(s[j-1]), j
			continue
		case r == prev && m.escapeDoubled.has(r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == prev && m.breakDoubled.has(r):
			b.WriteString(zwsp)
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
		if m.breakAfter.has(r) || mentionStart(prev, r, next) {
			b.WriteString(zwsp)
		}
		prev, i = r, i+w
	}
	return b.String()
}

// runeAt is the rune at byte i of s, -1 past the end.
func runeAt(s string, i int) rune {
	if i >= len(s) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r
}

func isBlankOrEOL(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// mentionStart reports whether r, between prev and next (-1 at either end
// of the text), is an "@" (or a fullwidth "＠") that begins a mention: one
// that is followed by something other than a space and is not in the middle
// of a word, as in an e-mail address (user@example.com).
func mentionStart(prev, r, next rune) bool {
	if r != '@' && r != '＠' {
		return false
	}
	if next < 0 || unicode.IsSpace(next) {
		return false
	}
	isWord := prev >= 0 && prev < utf8.RuneSelf && (prev >= 'a' && prev <= 'z' || prev >= 'A' && prev <= 'Z' || prev >= '0' && prev <= '9')
	return !isWord
}

// BreakMentions puts a zero-width space after every "@" that begins a
// mention ("@all", "@here", "@channel", "@13800138000", "@U123"), so that no
// platform that parses mentions out of text matches one, while the text
// reads the same. An "@" inside a word (user@example.com) is left alone.
// It is for formats without markup: DingTalk's text messages, whose
// mentions otherwise need an "at" object opsdesk never sends. The escaping
// functions of the markup formats do this too.
func BreakMentions(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.ContainsAny(s, "@＠") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	prev := rune(-1)
	for i, r := range s {
		b.WriteRune(r)
		if mentionStart(prev, r, runeAt(s, i+utf8.RuneLen(r))) {
			b.WriteString(zwsp)
		}
		prev = r
	}
	return b.String()
}

// dingtalkMarkup: DingTalk's markdown messages render headings, emphasis,
// links, images, lists, quotes and some HTML (<font color=…> can paint text
// in the background colour, that is, hide it).
var dingtalkMarkup = markup{
	escape:          charSet("`*_[]<>~|"),
	lineStart:       charSet("+-="),
	lineStartAlways: charSet("#"),
	ordered:         true,
	breakAfter:      charSet("]<"),
}

// EscapeDingTalk makes outside text safe inside a DingTalk robot markdown
// message. It neutralises:
//
//   - links and images ([label](url), ![](url), [label][ref]): "[" and "]"
//     are backslash-escaped and "]" is followed by a zero-width space, so a
//     question cannot show a trusted-looking label for a phishing URL or
//     load an image from someone's server;
//   - HTML, which DingTalk renders in part (<font color=…> can hide text)
//     and autolinks (<https://…>): "<" and ">" are escaped and "<" is
//     followed by a zero-width space;
//   - emphasis and strike-through ("*", "_", "~"), code ("`"), quotes
//     (">") and tables ("|") everywhere, and headings ("#"), lists, setext
//     underlines and rules ("-", "+", "=", "1.") at the start of a line; a
//     backslash is doubled where it would escape something itself;
//   - mentions: "@all" and "@<mobile>" notify people only through the
//     message's "at" object, which opsdesk never sends; the "@" also gets a
//     zero-width space (see BreakMentions).
//
// Line breaks are kept; the caller decides how lines become paragraphs.
func EscapeDingTalk(s string) string { return dingtalkMarkup.apply(s) }

// teamsMarkup: an Adaptive Card TextBlock (and a FactSet's title and value)
// renders bold, italic, bulleted and numbered lists and links, and
// evaluates {{DATE(…)}} and {{TIME(…)}}; it shows neither HTML, images nor
// headings.
var teamsMarkup = markup{
	escape:       charSet("*_[]"),
	lineStart:    charSet("-+*"),
	ordered:      true,
	breakAfter:   charSet("]<"),
	breakDoubled: charSet("{"),
}

// EscapeTeams makes outside text safe inside an Adaptive Card TextBlock or
// Fact posted to Microsoft Teams. It neutralises:
//
//   - links ([label](url)): "[" and "]" are backslash-escaped and "]" is
//     followed by a zero-width space (the cards' native renderers do not
//     all honour a backslash before "[", but none joins "]" and "(" across
//     another character);
//   - emphasis ("**", "_"), which the native renderers do unescape;
//   - lists ("-", "+", "*", "1.") at the start of a line;
//   - mentions: <at>name</at> works only together with the card's
//     msteams.entities, which opsdesk never sends; "<" is still followed by
//     a zero-width space, and so is a mention's "@";
//   - date functions: "{{" gets a zero-width space between its braces, so
//     {{DATE(…)}} shows as written instead of being evaluated.
//
// Cards render neither HTML, images nor headings, so "<b>", "![](…)" and
// "# x" show as written anyway.
func EscapeTeams(s string) string { return teamsMarkup.apply(s) }

// backlogMarkup: a Backlog description is rendered with the project's text
// formatting rule, Markdown or Backlog notation; both honour a backslash
// before their special characters, so the text is escaped for both.
var backlogMarkup = markup{
	escape:        charSet("`*_[]<>~#|{}&"),
	lineStart:     charSet("+-="),
	ordered:       true,
	breakAfter:    charSet("]<"),
	escapeDoubled: charSet("'%"),
}

// EscapeBacklog makes outside text safe inside a Backlog issue description,
// whichever text formatting rule the project uses (opsdesk cannot tell).
// It neutralises:
//
//   - Markdown links and images ([label](url), ![](url)) and Backlog
//     notation links ([[label>url]], [[label:url]]): "[" and "]" are
//     backslash-escaped and "]" is followed by a zero-width space;
//   - Backlog notation images, thumbnails and macros (#image(url),
//     #thumbnail(…), #contents), colour (&color(…){…}) which can hide
//     text, line breaks (&br;) and blocks ({code}, {quote}): "#", "&", "{"
//     and "}" are escaped;
//   - HTML and autolinks: "<" and ">" are escaped and "<" is followed by a
//     zero-width space;
//   - headings ("#", and "*" in Backlog notation), emphasis and
//     strike-through ("*", "_", "~", and Backlog notation's bold, italic
//     and strike-through, written with two or three apostrophes or two
//     "%": the second of two in a row is escaped), code ("`"), quotes (">")
//     and tables ("|") everywhere, and lists, setext underlines and rules ("-", "+", "=",
//     "1.") at the start of a line;
//   - mentions: a mention's "@" gets a zero-width space (see
//     BreakMentions).
//
// The summary is shown as plain text and is not passed through this.
func EscapeBacklog(s string) string { return backlogMarkup.apply(s) }

// EscapeSlack makes outside text safe inside Slack mrkdwn. It neutralises:
//
//   - Slack's control sequences: "&", "<" and ">" become &amp;, &lt; and
//     &gt;, as Slack asks, so neither a link with its own label
//     (<https://…|click>), a user, group or channel mention (<@U123>,
//     <!subteam^…>, <#C123>), a broadcast (<!channel>, <!here>,
//     <!everyone>) nor a date token (<!date^…>) can be written;
//   - plain-text mentions ("@here", "@channel", "@name", which Slack links
//     when it parses names): a mention's "@" gets a zero-width space (see
//     BreakMentions); senders also set verbatim on the text objects, so
//     Slack does not link names or URLs of its own accord.
//
// mrkdwn has no escape for its emphasis (*bold*, _italic_, ~strike~,
// `code`), and none of it can hide text, link or mention, so it is left as
// written. A quote ("&gt;" at the start of a line) still shows as a quote.
func EscapeSlack(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s) + len(s)/8 + 8)
	prev := rune(-1)
	for i, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
			if mentionStart(prev, r, runeAt(s, i+utf8.RuneLen(r))) {
				b.WriteString(zwsp)
			}
		}
		prev = r
	}
	return b.String()
}
