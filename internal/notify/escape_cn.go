package notify

import (
	"strconv"
	"strings"
)

// larkReplacer turns every character with meaning in a Lark/Feishu card's
// lark_md text into an HTML character reference, which lark_md shows as
// the bare character. "<" and "]" are also followed by a zero-width space,
// so that even a renderer that decoded the references first could not
// form a tag (<at user_id="all">, <font>) or join "](" into a link.
var larkReplacer = strings.NewReplacer(
	"&", "&amp;",
	"<", "&lt;"+zwsp,
	">", "&gt;",
	"*", "&#42;",
	"_", "&#95;",
	"~", "&#126;",
	"`", "&#96;",
	"[", "&#91;",
	"]", "&#93;"+zwsp,
	"|", "&#124;",
	"\\", "&#92;",
)

// EscapeLark makes outside text safe inside the lark_md text of a Lark /
// Feishu interactive card. It neutralises:
//
//   - mentions: <at user_id="all"></at> and <at id=…> need a "<", which
//     becomes "&lt;" and a zero-width space; a bare "@all" gets a
//     zero-width space after its "@" (see BreakMentions);
//   - links and images ([label](url), ![key]): "[" and "]" become
//     references and "]" is followed by a zero-width space;
//   - HTML-like tags (<font color=…> could hide text) and emphasis,
//     strike-through and code ("*", "_", "~", "`"), tables ("|") and
//     backslash escapes, all as character references;
//   - headings, quotes and lists at the start of a line ("#", ">", "-",
//     "+", "1."): the first character of a line becomes a reference.
//
// Line breaks are kept.
func EscapeLark(s string) string {
	s = BreakMentions(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " \t")
		lead := l[:len(l)-len(trimmed)]
		switch {
		case trimmed == "":
		case strings.IndexByte("#+-=", trimmed[0]) >= 0:
			trimmed = "&#" + strconv.Itoa(int(trimmed[0])) + ";" + larkReplacer.Replace(trimmed[1:])
		default:
			j := 0
			for j < len(trimmed) && trimmed[j] >= '0' && trimmed[j] <= '9' {
				j++
			}
			if j > 0 && j < len(trimmed) && (trimmed[j] == '.' || trimmed[j] == ')') {
				trimmed = trimmed[:j] + "&#" + strconv.Itoa(int(trimmed[j])) + ";" + larkReplacer.Replace(trimmed[j+1:])
			} else {
				trimmed = larkReplacer.Replace(trimmed)
			}
		}
		lines[i] = lead + trimmed
	}
	return strings.Join(lines, "\n")
}

// wecomMarkup: a WeCom group robot's markdown renders headings, bold,
// links, inline code, quotes, <font color=…> (which can paint text in a
// pale colour) and <@userid> mentions.
var wecomMarkup = markup{
	escape:          charSet("`*_[]<>~|"),
	lineStart:       charSet("+-="),
	lineStartAlways: charSet("#"),
	ordered:         true,
	breakAfter:      charSet("]<"),
}

// EscapeWeCom makes outside text safe inside a WeCom group robot markdown
// message. It neutralises:
//
//   - mentions: <@userid> needs a "<", which is backslash-escaped and
//     followed by a zero-width space; "@all" gets a zero-width space after
//     its "@" (the markdown type has no mentioned_list, and opsdesk never
//     sends one);
//   - links ([label](url)): "[" and "]" are backslash-escaped and "]" is
//     followed by a zero-width space;
//   - <font color=…> and any other tag, as for mentions;
//   - bold, code and quotes ("*", "_", "`", ">", "~", "|") everywhere and
//     headings and lists at the start of a line.
//
// Line breaks are kept.
func EscapeWeCom(s string) string { return wecomMarkup.apply(s) }
