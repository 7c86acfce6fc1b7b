package command

import (
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Parser parses messages with a deployment's settings. The zero value is
// ready to use.
type Parser struct {
	// CaseLanguage is the language of a case whose message has no
	// language line; "en" when empty or not one of Languages.
	CaseLanguage string
	// Names are the robot's display names. "@name" is removed from the
	// start and the end of the command line even when the name has spaces
	// in it; any other leading "@word" is removed too.
	Names []string
}

// Parse parses text with the zero Parser.
func Parse(text string) (Command, error) { return Parser{}.Parse(text) }

// Parse returns the command in text, HelpRequest{} for anything that is not a
// command, or an *Error naming every problem of a command that was meant
// but is incomplete or invalid. It never returns both.
func (p Parser) Parse(text string) (Command, error) {
	if n := len(text); n > MaxMessage && (n > 4*MaxMessage || utf8.RuneCountInString(text) > MaxMessage) {
		return p.tooLong(text)
	}
	lines := p.prepare(text)
	if len(lines) == 0 {
		return HelpRequest{}, nil
	}
	c := &cursor{l: lines[0]}
	rest := lines[1:]
	switch {
	case c.lit("帮助") || c.word("help"):
		return help(c), nil
	case c.lit("查找"):
		c.spaces()
		if !c.word("servicecode") && c.word("service") {
			c.optional(func() bool { return c.spaces() && c.word("code") })
		}
		return serviceLookup(c, rest)
	case c.word("service"):
		return serviceLookup(c, rest)
	case c.lit("提工单") || c.optional(c.createCase):
		return p.createCase(c, rest)
	case c.lit("释放") || c.word("resolve"):
		return caseCommand(KindResolve, c, rest)
	case c.lit("查询") || c.word("case"):
		return caseCommand(KindShow, c, rest)
	case c.lit("回复") || c.word("reply"):
		return reply(c, rest)
	case c.lit("搜索") || c.word("search"):
		return search(c, rest)
	case c.lit("确认") || c.lit("確認") || c.lit("확인") || c.word("ack"):
		return ack(c, rest)
	case c.lit("值班") || c.lit("当番") || c.lit("당번") || c.word("oncall") || c.optional(c.onCall):
		return onCall(c, rest)
	case c.maintenanceWord():
		return maintenance(c, rest)
	}
	// Case fields without the command line: the person meant to create a
	// case, so say what is missing rather than show the general help.
	if k, _, _, ok := splitKey(lines[0]); ok {
		if _, known := caseKeys[normKey(k)]; known {
			return nil, newError(KindCreate, []Issue{{Field: FieldCommand, Problem: ProblemNoCommand}})
		}
	}
	return HelpRequest{}, nil
}

// tooLong answers a message over MaxMessage: it parses the command line
// alone to learn what was meant, then refuses the whole message, so nothing
// is made from a cut-off part of it.
func (p Parser) tooLong(text string) (Command, error) {
	head := text
	if len(head) > 4096 {
		head = strings.ToValidUTF8(head[:4096], "")
	}
	k := KindHelp
	names := p.mentionNames()
	for _, s := range strings.Split(newlines.Replace(head), "\n") {
		if l := stripMentions(newLine(s), names); !l.blank() {
			c, err := p.Parse(string(l.orig))
			var pe *Error
			switch {
			case errors.As(err, &pe):
				k = pe.Kind
			case c != nil:
				k = c.Kind()
			}
			break
		}
	}
	if k == KindHelp {
		return HelpRequest{}, nil
	}
	n := len(text)
	if n <= 4*MaxMessage {
		n = utf8.RuneCountInString(text)
	}
	return nil, newError(k, []Issue{{Field: FieldMessage, Problem: ProblemTooLong, Limit: MaxMessage, Got: n}})
}

// --- normalization ---------------------------------------------------------

// line is one line of the message twice: as typed, and folded by foldRune.
// Folding maps rune to rune, so an index into one is an index into the other.
type line struct {
	orig []rune
	fold []rune
}

func newLine(s string) line {
	orig := []rune(s)
	f := make([]rune, len(orig))
	for i, r := range orig {
		f[i] = foldRune(r)
	}
	return line{orig: orig, fold: f}
}

// foldRune maps full-width forms of ASCII (U+FF01–U+FF5E: ：，＠ＡＢ１２…) to
// ASCII, and white space of any width (the ideographic space, the U+2005
// DingTalk puts after a mention, zero-width spaces) to ' '. It keeps case;
// joiners (U+200C, U+200D) are left alone, emoji and scripts need them.
func foldRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == '\u200b' || r == '\u2060' || r == '\ufeff': // zero-width space, word joiner, BOM
		return ' '
	case unicode.IsSpace(r):
		return ' '
	}
	return r
}

func (l line) sub(i, j int) line { return line{orig: l.orig[i:j], fold: l.fold[i:j]} }

// trim drops leading and trailing spaces (as folded).
func (l line) trim() line {
	i, j := 0, len(l.fold)
	for i < j && l.fold[i] == ' ' {
		i++
	}
	for j > i && l.fold[j-1] == ' ' {
		j--
	}
	return l.sub(i, j)
}

func (l line) blank() bool { return len(l.trim().fold) == 0 }

// lower is the folded text in lower case, for keys, codes and ids.
func (l line) lower() string { return strings.ToLower(string(l.fold)) }

var newlines = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n", "\u0085", "\n")

// prepare splits text into lines, removes mentions from the command line,
// and drops the blank lines before it. The first returned line is the
// command line, trimmed.
func (p Parser) prepare(text string) []line {
	text = newlines.Replace(strings.ToValidUTF8(text, "\uFFFD"))
	raw := strings.Split(text, "\n")
	names := p.mentionNames()
	for i, s := range raw {
		l := stripMentions(newLine(s), names)
		if !l.blank() {
			out := make([]line, 0, len(raw)-i)
			out = append(out, l)
			for _, s := range raw[i+1:] {
				out = append(out, newLine(s))
			}
			return out
		}
	}
	return nil
}

// mentionNames returns "@name" for every configured name, folded and lower
// case, longest first so that "@ops desk" wins over "@ops".
func (p Parser) mentionNames() [][]rune {
	names := make([][]rune, 0, len(p.Names))
	for _, n := range p.Names {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, []rune(strings.ToLower(string(newLine("@"+n).fold))))
		}
	}
	slices.SortStableFunc(names, func(a, b []rune) int { return len(b) - len(a) })
	return names
}

// stripMentions removes, from the start of l, every mention: a configured
// "@name" (spaces allowed), any other "@word", Slack's "<@U123>" and
// "<@U123|name>"; and from the end of l the configured names only, since a
// trailing "@Tom" may belong to a reply. The result is trimmed.
func stripMentions(l line, names [][]rune) line {
	for {
		l = l.trim()
		f := l.fold
		n := 0
		switch {
		case len(f) > 1 && f[0] == '<' && f[1] == '@':
			// Up to the ">" of this token only; searching the whole line
			// each time would be quadratic on "<@ <@ <@ …".
			n = spaceOrEnd(f)
			if i := indexRune(f[:n], '>'); i >= 0 {
				n = i + 1
			}
		case len(f) > 0 && f[0] == '@':
			n = spaceOrEnd(f)
			for _, name := range names {
				if hasPrefixFold(f, name) {
					n = len(name)
					break
				}
			}
		}
		if n == 0 {
			return trailingMentions(l, names, false)
		}
		l = l.sub(n, len(f))
	}
}

// trailingMentions removes up to maxTrailingMentions mentions from the end
// of l: configured names, and with generic also any "@word" and Slack
// mention.
func trailingMentions(l line, names [][]rune, generic bool) line {
	// Only a few: finding the last token scans back over the line, so
	// removing "<@a><@a>…" one by one would be quadratic.
	for range maxTrailingMentions {
		l = l.trim()
		f := l.fold
		cut := -1
		for _, name := range names {
			if len(f) >= len(name) && hasPrefixFold(f[len(f)-len(name):], name) {
				cut = len(f) - len(name)
				break
			}
		}
		if cut < 0 && generic {
			start := lastIndexRune(f, ' ') + 1
			if start < len(f) && f[start] == '@' {
				cut = start
			} else if len(f) > 0 && f[len(f)-1] == '>' {
				if k := lastIndex2(f, '<', '@'); k >= 0 && indexRune(f[k:], ' ') < 0 {
					cut = k
				}
			}
		}
		if cut < 0 {
			return l
		}
		l = l.sub(0, cut)
	}
	return l.trim()
}

// dropMentions removes mentions from the end of the rest of a command line
// that holds an id, a topic or a field, never free text.
func dropMentions(l line) line { return trailingMentions(l, nil, true) }

const maxTrailingMentions = 4

func indexRune(f []rune, r rune) int { return slices.Index(f, r) }

func lastIndexRune(f []rune, r rune) int {
	for i := len(f) - 1; i >= 0; i-- {
		if f[i] == r {
			return i
		}
	}
	return -1
}

func lastIndex2(f []rune, a, b rune) int {
	for i := len(f) - 2; i >= 0; i-- {
		if f[i] == a && f[i+1] == b {
			return i
		}
	}
	return -1
}

func spaceOrEnd(f []rune) int {
	if i := indexRune(f, ' '); i >= 0 {
		return i
	}
	return len(f)
}

// hasPrefixFold reports whether f starts with want (lower case), ignoring
// case.
func hasPrefixFold(f, want []rune) bool {
	if len(f) < len(want) {
		return false
	}
	for i, w := range want {
		if unicode.ToLower(f[i]) != w {
			return false
		}
	}
	return true
}

// --- cursor ------------------------------------------------------------------

// cursor walks the command line.
type cursor struct {
	l line
	i int
}

func (c *cursor) rest() line { return c.l.sub(c.i, len(c.l.fold)) }

// lit consumes s (lower case) if the line continues with it.
func (c *cursor) lit(s string) bool {
	w := []rune(s)
	if !hasPrefixFold(c.l.fold[c.i:], w) {
		return false
	}
	c.i += len(w)
	return true
}

// word consumes the ASCII word s if it is not followed by more of a word
// ("service" does not match "services", "case" does not match "case-1…").
func (c *cursor) word(s string) bool {
	w := []rune(s)
	if !hasPrefixFold(c.l.fold[c.i:], w) {
		return false
	}
	if j := c.i + len(w); j < len(c.l.fold) && isWordRune(c.l.fold[j]) {
		return false
	}
	c.i += len(w)
	return true
}

func isWordRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
}

// optional runs f and rewinds if it fails.
func (c *cursor) optional(f func() bool) bool {
	save := c.i
	if f() {
		return true
	}
	c.i = save
	return false
}

// skip consumes runes from set and returns how many.
func (c *cursor) skip(set string) int {
	n := 0
	for c.i < len(c.l.fold) && strings.ContainsRune(set, c.l.fold[c.i]) {
		c.i++
		n++
	}
	return n
}

func (c *cursor) spaces() bool { return c.skip(" ") > 0 }

// seps skips spaces and the separators people put after a command word or
// a label: ":" and "," (full-width ones are folded already).
func (c *cursor) seps() { c.skip(" :,") }

// createCase consumes "create case", "create-case", "create_case" or
// "createcase".
func (c *cursor) createCase() bool {
	if !c.lit("create") {
		return false
	}
	c.skip("_- ")
	return c.word("case")
}

// caseWord consumes the optional "case" or "工单" after 释放/查询/回复 and
// their English forms.
func (c *cursor) caseWord() {
	c.spaces()
	_ = c.word("case") || c.lit("工单")
}

// label consumes an optional "case_id" / "case id" / "caseid" / "id" label
// and the separators around it.
func (c *cursor) label() {
	c.seps()
	if c.word("case_id") || c.word("caseid") || c.optional(func() bool { return c.word("case") && c.spaces() && c.word("id") }) || c.word("id") {
		c.seps()
	}
}

// --- commands --------------------------------------------------------------

var topics = map[string]Kind{
	"查找servicecode": KindService, "查找": KindService, "servicecode": KindService, "service": KindService,
	"提工单": KindCreate, "create": KindCreate, "createcase": KindCreate,
	"释放": KindResolve, "释放case": KindResolve, "释放工单": KindResolve, "resolve": KindResolve,
	"查询": KindShow, "查询case": KindShow, "查询工单": KindShow, "case": KindShow, "show": KindShow,
	"回复": KindReply, "回复case": KindReply, "回复工单": KindReply, "reply": KindReply,
	"搜索": KindSearch, "search": KindSearch,
	"确认": KindAck, "確認": KindAck, "확인": KindAck, "ack": KindAck,
	"值班": KindOnCall, "当番": KindOnCall, "당번": KindOnCall, "oncall": KindOnCall,
	"维护": KindMaintenance, "維護": KindMaintenance, "メンテ": KindMaintenance, "メンテナンス": KindMaintenance, "점검": KindMaintenance,
	"maintenance": KindMaintenance, "maint": KindMaintenance,
}

func help(c *cursor) HelpRequest {
	c.seps()
	t := strings.Map(func(r rune) rune {
		if r == ' ' || r == ':' || r == '_' || r == '-' {
			return -1
		}
		return r
	}, dropMentions(c.rest()).lower())
	return HelpRequest{Topic: topics[t]}
}

func serviceLookup(c *cursor, rest []line) (Command, error) {
	c.seps()
	q := unwrap(joinFolded(c.rest(), rest), "{}<>\"\"``")
	switch {
	case q == "":
		return nil, newError(KindService, []Issue{{Field: FieldName, Problem: ProblemMissing}})
	case utf8.RuneCountInString(q) > MaxQuery:
		return nil, newError(KindService, []Issue{{Field: FieldName, Problem: ProblemTooLong, Limit: MaxQuery, Got: utf8.RuneCountInString(q)}})
	}
	return ServiceLookup{Query: q}, nil
}

func search(c *cursor, rest []line) (Command, error) {
	c.seps()
	parts := []string{string(c.rest().trim().orig)}
	for _, l := range rest {
		parts = append(parts, string(l.trim().orig))
	}
	q := strings.Join(strings.FieldsFunc(strings.Join(parts, " "), func(r rune) bool { return foldRune(r) == ' ' }), " ")
	switch n := utf8.RuneCountInString(q); {
	case q == "":
		return nil, newError(KindSearch, []Issue{{Field: FieldWords, Problem: ProblemMissing}})
	case n > MaxQuery:
		return nil, newError(KindSearch, []Issue{{Field: FieldWords, Problem: ProblemTooLong, Limit: MaxQuery, Got: n}})
	}
	return Search{Query: q}, nil
}

// joinFolded joins the folded text of first and rest with single spaces.
func joinFolded(first line, rest []line) string {
	parts := strings.Fields(string(first.fold))
	for _, l := range rest {
		parts = append(parts, strings.Fields(string(l.fold))...)
	}
	return strings.Join(parts, " ")
}

// extraLine returns an issue for the first non-blank line in rest, for
// commands that fit on one line.
func extraLine(rest []line) []Issue {
	for _, l := range rest {
		if !l.blank() {
			return []Issue{{Problem: ProblemUnexpected, Value: shorten(string(l.trim().orig))}}
		}
	}
	return nil
}

// caseCommand parses Resolve and Show: a case id and nothing else.
func caseCommand(k Kind, c *cursor, rest []line) (Command, error) {
	c.caseWord()
	c.label()
	id, issues := caseRef(dropMentions(c.rest()))
	issues = append(issues, extraLine(rest)...)
	if len(issues) > 0 {
		return nil, newError(k, issues)
	}
	if k == KindResolve {
		return Resolve{CaseID: id}, nil
	}
	return Show{CaseID: id}, nil
}

// caseRef validates a case id or display id typed in l.
func caseRef(l line) (string, []Issue) {
	id := cleanToken(l.lower())
	id = strings.TrimPrefix(id, "#")
	switch {
	case id == "":
		return "", []Issue{{Field: FieldCaseID, Problem: ProblemMissing}}
	case !ValidCaseID(id) && !IsDisplayID(id):
		return "", []Issue{{Field: FieldCaseID, Problem: ProblemInvalid, Value: shorten(string(l.trim().orig))}}
	}
	return id, nil
}

func reply(c *cursor, rest []line) (Command, error) {
	c.caseWord()
	c.label()
	// The id runs to the first space or comma; the text follows, on the
	// same line or on the next ones.
	start := c.i
	for c.i < len(c.l.fold) && c.l.fold[c.i] != ' ' && c.l.fold[c.i] != ',' {
		c.i++
	}
	id, issues := caseRef(c.l.sub(start, c.i))
	c.seps()
	lines := append([]line{c.rest()}, rest...)
	text := joinText(lines)
	if text == "" {
		issues = append(issues, Issue{Field: FieldText, Problem: ProblemMissing})
	} else if n := utf16Len(text); n > MaxBody {
		issues = append(issues, Issue{Field: FieldText, Problem: ProblemTooLong, Limit: MaxBody, Got: n})
	}
	if len(issues) > 0 {
		return nil, newError(KindReply, issues)
	}
	return Reply{CaseID: id, Text: text}, nil
}

func ack(c *cursor, rest []line) (Command, error) {
	c.seps()
	if c.optional(func() bool { return c.word("alert_id") || c.word("alertid") || c.word("alert") || c.word("id") }) {
		c.seps()
	}
	typed := dropMentions(c.rest())
	id := cleanToken(string(typed.fold))
	var issues []Issue
	switch {
	case id == "":
		issues = append(issues, Issue{Field: FieldAlertID, Problem: ProblemMissing})
	case !validAlertID(id):
		issues = append(issues, Issue{Field: FieldAlertID, Problem: ProblemInvalid, Value: shorten(string(typed.orig))})
	}
	issues = append(issues, extraLine(rest)...)
	if len(issues) > 0 {
		return nil, newError(KindAck, issues)
	}
	return Ack{AlertID: id}, nil
}

// onCall consumes "on-call", "on_call" or "on call" (oncall is a word of
// its own).
func (c *cursor) onCall() bool {
	if !c.lit("on") || c.skip("_- ") == 0 {
		return false
	}
	return c.word("call")
}

func onCall(c *cursor, rest []line) (Command, error) {
	c.seps()
	if c.optional(func() bool { return c.word("schedule") || c.word("system") }) {
		c.seps()
	}
	name := string(dropMentions(c.rest()).trim().fold)
	var issues []Issue
	if n := utf8.RuneCountInString(name); n > MaxQuery {
		issues = append(issues, Issue{Field: FieldSchedule, Problem: ProblemTooLong, Limit: MaxQuery, Got: n})
	}
	issues = append(issues, extraLine(rest)...)
	if len(issues) > 0 {
		return nil, newError(KindOnCall, issues)
	}
	return OnCall{Name: name}, nil
}

// --- create case -------------------------------------------------------------

// caseKeys maps a normalized key (lower case, no spaces, "_" or "-") to its
// field. Only the seed's keys and the API's long names: a body line such as
// "Service: EC2" must stay in the body.
var caseKeys = map[string]string{
	"subject":           FieldSubject,
	"body":              FieldBody,
	"communicationbody": FieldBody,
	"severitycode":      FieldSeverity,
	"servicecode":       FieldService,
	"categorycode":      FieldCategory,
	"issuetype":         FieldIssueType,
	"language":          FieldLanguage,
	"cc":                FieldCC,
	"ccemailaddresses":  FieldCC,
}

// multiLine fields take the lines that follow until the next known key.
func multiLine(f string) bool { return f == FieldBody || f == FieldCC }

func normKey(k string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '_' || r == '-' {
			return -1
		}
		return unicode.ToLower(r)
	}, k)
}

// splitKey splits "key: value" at the first colon (full-width ones are
// folded). key is folded, typed is the key as typed, both trimmed.
func splitKey(l line) (key, typed string, value line, ok bool) {
	i := indexRune(l.fold, ':')
	if i <= 0 {
		return "", "", line{}, false
	}
	k := l.sub(0, i).trim()
	return string(k.fold), string(k.orig), l.sub(i+1, len(l.fold)), len(k.fold) > 0
}

// looksLikeKey tells a mistyped key ("sevrity: high", "主题: …") from a line
// of text that happens to hold a colon ("https://…", "10:30 重启后").
func looksLikeKey(key string, value line) bool {
	if v := value.fold; len(v) >= 2 && v[0] == '/' && v[1] == '/' {
		return false
	}
	rs := []rune(key)
	if len(rs) > 32 || !unicode.IsLetter(rs[0]) || strings.Count(key, " ") > 2 {
		return false
	}
	for _, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ' ' && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

// nearestKey returns the field whose key k (normalized) is a likely typo
// of: within two edits of a key of six letters or more, one edit of "body".
// "cc" is too short to guess at.
func nearestKey(k string) string {
	rk := []rune(k)
	best, bestD := "", 3
	for _, g := range guessKeys {
		if d := editDistance(rk, g.key, g.limit); d <= g.limit && d > 0 && d < bestD {
			best, bestD = g.field, d
		}
	}
	return best
}

// guessKeys are the keys nearestKey compares with, in a fixed order so that
// ties resolve the same way every time.
var guessKeys = func() []guessKey {
	var out []guessKey
	for key, f := range caseKeys {
		if key == "cc" {
			continue
		}
		limit := 2
		if len(key) < 6 {
			limit = 1
		}
		out = append(out, guessKey{key: []rune(key), field: f, limit: limit})
	}
	slices.SortFunc(out, func(a, b guessKey) int { return strings.Compare(string(a.key), string(b.key)) })
	return out
}()

type guessKey struct {
	key   []rune
	field string
	limit int
}

// editDistance is the Damerau–Levenshtein (optimal string alignment)
// distance between a and b, or limit+1 once it is certain to exceed limit.
func editDistance(ra, rb []rune, limit int) int {
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// swallow marks lines that belong to a key already reported (unknown or
// duplicate) or to a stray block already reported.
const swallow = "\x00"

func (p Parser) createCase(c *cursor, rest []line) (Command, error) {
	c.seps()
	flag, hasFlag := c.accountFlag()
	c.seps()
	lines := rest
	if first := dropMentions(c.rest()); !first.blank() {
		lines = append([]line{first}, rest...)
	}

	var issues []Issue
	vals := map[string][]line{}
	if hasFlag {
		vals[FieldAccount] = []line{flag}
	}
	reported := map[string]bool{}
	cur := ""
	for _, l := range lines {
		if k, typed, v, ok := splitKey(l); ok {
			if f, known := caseKeys[normKey(k)]; known {
				if _, dup := vals[f]; dup {
					if !reported[f] {
						issues = append(issues, Issue{Field: f, Problem: ProblemDuplicate})
						reported[f] = true
					}
					cur = swallow
					continue
				}
				vals[f] = []line{v}
				cur = f
				continue
			}
			// In the body only a near miss of a key ("subjet:", "isueType:")
			// is taken for a key; "Error: …" stays body text.
			if looksLikeKey(k, v) {
				if guess := nearestKey(normKey(k)); cur != FieldBody || guess != "" {
					issues = append(issues, Issue{Field: shorten(typed), Problem: ProblemUnknownKey, Value: guess})
					cur = swallow
					continue
				}
			}
		}
		switch {
		case l.blank() && cur != FieldBody:
		case cur == swallow:
		case multiLine(cur):
			vals[cur] = append(vals[cur], l)
		case cur != "" && len(vals[cur]) == 1 && vals[cur][0].blank():
			// "subject:" with the value on the next line.
			vals[cur][0] = l
		default:
			issues = append(issues, Issue{Problem: ProblemUnexpected, Value: shorten(string(l.trim().orig))})
			cur = swallow
		}
	}

	cc := CreateCase{IssueType: "technical", Language: "en"}
	if slices.Contains(Languages, p.CaseLanguage) {
		cc.Language = p.CaseLanguage
	}
	required := func(f string) (string, bool) {
		ls, ok := vals[f]
		if !ok {
			issues = append(issues, Issue{Field: f, Problem: ProblemMissing})
			return "", false
		}
		var v string
		if f == FieldBody {
			v = joinText(ls)
		} else {
			v = unwrap(string(ls[0].trim().orig), "{}<>")
		}
		if v == "" {
			issues = append(issues, Issue{Field: f, Problem: ProblemEmpty})
			return "", false
		}
		return v, true
	}
	token := func(f string) string { return cleanToken(strings.ToLower(string(vals[f][0].fold))) }
	oneOf := func(f, v string, allowed []string) string {
		if !slices.Contains(allowed, v) {
			issues = append(issues, Issue{Field: f, Problem: ProblemInvalid, Value: shorten(v)})
		}
		return v
	}

	if v, ok := required(FieldSubject); ok {
		if n := utf16Len(v); n > MaxSubject {
			issues = append(issues, Issue{Field: FieldSubject, Problem: ProblemTooLong, Limit: MaxSubject, Got: n})
		}
		cc.Subject = v
	}
	if v, ok := required(FieldBody); ok {
		if n := utf16Len(v); n > MaxBody {
			issues = append(issues, Issue{Field: FieldBody, Problem: ProblemTooLong, Limit: MaxBody, Got: n})
		}
		cc.Body = v
	}
	if _, ok := required(FieldSeverity); ok {
		cc.Severity = oneOf(FieldSeverity, token(FieldSeverity), Severities)
	}
	for _, f := range []string{FieldService, FieldCategory} {
		if _, ok := required(f); ok {
			v := token(f)
			if !validCode(v) {
				issues = append(issues, Issue{Field: f, Problem: ProblemInvalid, Value: shorten(v)})
			}
			if f == FieldService {
				cc.Service = v
			} else {
				cc.Category = v
			}
		}
	}
	// Optional keys given without a value keep their default.
	if _, ok := vals[FieldIssueType]; ok {
		if v := token(FieldIssueType); v != "" {
			cc.IssueType = oneOf(FieldIssueType, v, IssueTypes)
		}
	}
	if _, ok := vals[FieldLanguage]; ok {
		if v := token(FieldLanguage); v != "" {
			cc.Language = oneOf(FieldLanguage, v, Languages)
		}
	}
	if ls, ok := vals[FieldAccount]; ok {
		v, is := checkAccount(string(ls[0].orig))
		if is != nil {
			issues = append(issues, *is)
		}
		cc.Account = v
	}
	if ls, ok := vals[FieldCC]; ok {
		var more []Issue
		cc.CC, more = parseCC(ls)
		issues = append(issues, more...)
	}
	if len(issues) > 0 {
		return nil, newError(KindCreate, issues)
	}
	return cc, nil
}

// parseCC splits cc lines on commas, semicolons, "、" and spaces, and checks
// every address. Repeated addresses are kept once.
func parseCC(ls []line) ([]string, []Issue) {
	var all []string
	for _, l := range ls {
		all = append(all, strings.FieldsFunc(string(l.fold), func(r rune) bool {
			return r == ',' || r == ';' || r == '、' || r == ' '
		})...)
	}
	var out []string
	var issues []Issue
	seen := map[string]bool{}
	for _, a := range all {
		a = slackMailto(a)
		if !ValidEmail(a) {
			issues = append(issues, Issue{Field: FieldCC, Problem: ProblemInvalid, Value: shorten(a)})
			continue
		}
		if k := strings.ToLower(a); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	if len(out) > MaxCC {
		issues = append(issues, Issue{Field: FieldCC, Problem: ProblemTooMany, Limit: MaxCC, Got: len(out)})
	}
	return out, issues
}

// slackMailto unwraps Slack's "<mailto:a@b.c|a@b.c>" link form.
func slackMailto(s string) string {
	if in, ok := strings.CutPrefix(s, "<mailto:"); ok && strings.HasSuffix(in, ">") {
		in = strings.TrimSuffix(in, ">")
		if i := strings.IndexByte(in, '|'); i >= 0 {
			in = in[:i]
		}
		return in
	}
	return s
}

// --- values --------------------------------------------------------------------

// joinText joins lines as typed, trims trailing spaces of each line and
// blank lines around the text.
func joinText(ls []line) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		j := len(l.fold)
		for j > 0 && l.fold[j-1] == ' ' {
			j--
		}
		parts[i] = string(l.orig[:j])
	}
	s := strings.Join(parts, "\n")
	return strings.TrimFunc(s, func(r rune) bool { return r == '\n' || foldRune(r) == ' ' })
}

// cleanToken trims a code or id: spaces, a trailing full stop, and one pair
// of brackets or quotes around it (people copy "{high}" from the format).
func cleanToken(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, ".。!?")
	return strings.TrimSpace(unwrap(s, "{}<>[]【】「」\"\"''``"))
}

// unwrap removes one pair of surrounding brackets listed in pairs (opening
// and closing rune in turn) and trims spaces.
func unwrap(s string, pairs string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return foldRune(r) == ' ' })
	rs := []rune(pairs)
	for i := 0; i+1 < len(rs); i += 2 {
		open, close := string(rs[i]), string(rs[i+1])
		if len(s) >= len(open)+len(close) && strings.HasPrefix(s, open) && strings.HasSuffix(s, close) {
			return strings.TrimFunc(s[len(open):len(s)-len(close)], func(r rune) bool { return foldRune(r) == ' ' })
		}
	}
	return s
}

// utf16Len is the length the Support API measures (Java string length).
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// shorten cuts a value for display in a reply.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}
