// Package parse turns the webhook bodies of monitoring systems into
// normalized alert signals: one Signal per alert, whatever sent it.
//
// Each parser reads one format and nothing else:
//
//	Seed          the seed article's {"alertinfo":[{host, service, lastcheck, systemname}]}
//	Native        opsdesk's own JSON: one object or an array of them
//	Alertmanager  Prometheus Alertmanager's webhook (version "4"; Grafana's "1" has the same shape)
//	Zabbix        a webhook media type that posts its parameters as a JSON object
//	Nagios        a notification command that posts the macros as a form or JSON
//	CloudWatch    the Message of an SNS notification sent by a CloudWatch alarm
//	CloudWatchEvent  the EventBridge "CloudWatch Alarm State Change" event
//
// The parsers are pure: no I/O, no clock, no global state. A request is
// all-or-nothing: if any alert in it is malformed the parser returns a
// *FieldError naming the field (alerts[2].status) and no signals, so the
// HTTP layer can answer 400 without having stored half a batch.
//
// Text is trimmed and bounded rather than refused: a page must not be lost
// because its description was long. Summary is cut to MaxSummary
// characters, Details to MaxDetails bytes, Labels to MaxLabels entries
// (see the constants). Identity fields are the exception: a system name
// longer than MaxSystem is an error, because cutting it would route the
// page to the wrong people.
//
// Timestamps that do not parse are kept as text in Labels and leave
// StartedAt zero, for the same reason.
package parse

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Status is the state an alert reports.
type Status string

// The three states a signal can carry.
const (
	StatusFiring       Status = "firing"
	StatusResolved     Status = "resolved"
	StatusAcknowledged Status = "acknowledged"
)

// Normalized severities, most urgent first.
const (
	SeverityCritical = "critical"
	SeverityError    = "error"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
	// SeverityUnspecified: the sender said nothing about severity.
	SeverityUnspecified = ""
)

// Source names, as stored in Signal.Source.
const (
	SourceSeed         = "seed"
	SourceNative       = "native"
	SourceAlertmanager = "alertmanager"
	SourceZabbix       = "zabbix"
	SourceNagios       = "nagios"
	SourceCloudWatch   = "cloudwatch"
)

// Bounds on what a parser returns. Text beyond them is cut (ending in "…"),
// except where noted.
const (
	MaxSummary    = 1000     // characters; one line
	MaxDetails    = 64 << 10 // bytes
	MaxLabels     = 100      // entries; extra labels are dropped in a fixed order (see each parser)
	MaxLabelKey   = 128      // characters
	MaxLabelValue = 1024     // characters
	MaxField      = 255      // characters, for Host and Service
	MaxDedupKey   = 255      // characters; a longer key is replaced by its SHA-256
	MaxSystem     = 100      // characters; longer is an error, not a cut
	MaxSignals    = 1000     // alerts in one request; more is an error
)

// Signal is one alert, normalized.
type Signal struct {
	Source string // one of the Source* constants
	// System is the escalation policy key: who gets called.
	System string
	// DedupKey identifies "the same alert" within Source and System: a
	// resolve or acknowledgement carries the key of the alert it ends.
	DedupKey string
	Status   Status
	Summary  string // one line of human text, at most MaxSummary characters
	Details  string // longer text, may span lines, at most MaxDetails bytes
	// Severity is one of the Severity* constants. The sender's own word is
	// kept in Labels (usually under "severity").
	Severity string
	Host     string
	Service  string
	// StartedAt is when the problem began, as far as the payload says;
	// zero when it does not.
	StartedAt time.Time
	// Labels holds everything else worth keeping: the original severity,
	// alarm name, region, links. Never nil.
	Labels map[string]string
	// GroupKey is the sender's own grouping of alerts, when it has one:
	// Alertmanager's groupKey (the notification group the alert was sent
	// in). Alerts of one system with the same GroupKey may form one
	// incident (alerts.systems[].group_by: [groupKey]). Empty otherwise;
	// at most MaxDedupKey characters (longer is replaced by its SHA-256).
	GroupKey string
}

// Options carries what the payload may not: the configured fallbacks.
type Options struct {
	// DefaultSystem is used when the payload names no system, e.g. from the
	// ?system= query parameter or the integration's configuration.
	DefaultSystem string
	// Location is the time zone of timestamps that carry none (the seed's
	// lastcheck, Zabbix {EVENT.DATE} {EVENT.TIME}, a Nagios LONGDATETIME
	// whose zone abbreviation is not UTC/GMT). Nil means UTC.
	Location *time.Location
	// OnIgnore, when set, is called with a one-line reason when a valid
	// body deliberately yields no signals (a CloudWatch INSUFFICIENT_DATA
	// transition, a Nagios FLAPPINGSTART or DOWNTIMESTART notification).
	// The parser then returns no signals and a nil error.
	OnIgnore func(reason string)
}

func (o Options) loc() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

func (o Options) ignore(reason string) {
	if o.OnIgnore != nil {
		o.OnIgnore(reason)
	}
}

// FieldError is a request the parser refuses, naming the offending field
// by its path in the payload ("alertinfo[2].host", "alerts[0].status").
// Field is empty when the body as a whole is wrong (not JSON, not UTF-8).
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return "body " + e.Msg
	}
	return e.Field + ": " + e.Msg
}

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// --- body and JSON ---------------------------------------------------------

// checkBody refuses bodies no parser can read.
func checkBody(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return &FieldError{Msg: "is empty"}
	}
	if !utf8.Valid(body) {
		return &FieldError{Msg: "is not valid UTF-8"}
	}
	return nil
}

// decodeJSON decodes exactly one JSON value. Numbers stay json.Number so
// that an id like 12345678901234567890 is not rounded through float64.
func decodeJSON(body []byte) (any, error) {
	if err := checkBody(body); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &FieldError{Msg: "has data after the JSON value"}
	}
	return v, nil
}

func jsonErr(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return &FieldError{Msg: fmt.Sprintf("is not valid JSON: %s (at byte %d)", se.Error(), se.Offset)}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &FieldError{Msg: "is not valid JSON: unexpected end of input"}
	default:
		return &FieldError{Msg: "is not valid JSON: " + err.Error()}
	}
}

// obj is a decoded JSON object together with its path, so every accessor
// can name the field it complains about.
type obj struct {
	m    map[string]any
	path string
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// asObj requires v to be a JSON object.
func asObj(v any, path string) (obj, error) {
	m, ok := v.(map[string]any)
	if !ok {
		if path == "" {
			return obj{}, &FieldError{Msg: "must be a JSON object, not " + kind(v)}
		}
		return obj{}, fieldErr(path, "must be an object, not %s", kind(v))
	}
	return obj{m: m, path: path}, nil
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

func (o obj) field(key string) string { return join(o.path, key) }

func (o obj) has(key string) bool {
	v, ok := o.m[key]
	return ok && v != nil
}

// str returns the scalar at key as text: strings as they are, numbers in
// their JSON spelling, null or absent as "". Objects, arrays and booleans
// are errors.
func (o obj) str(key string) (string, error) {
	s, err := scalar(o.m[key], o.field(key))
	return strings.TrimSpace(s), err
}

// firstStr returns the first non-empty of several keys.
func (o obj) firstStr(keys ...string) (string, error) {
	for _, k := range keys {
		s, err := o.str(k)
		if err != nil {
			return "", err
		}
		if s != "" {
			return s, nil
		}
	}
	return "", nil
}

// sub returns the object at key; absent or null gives an empty object.
func (o obj) sub(key string) (obj, error) {
	v := o.m[key]
	if v == nil {
		return obj{m: map[string]any{}, path: o.field(key)}, nil
	}
	return asObj(v, o.field(key))
}

// list returns the array at key; absent or null gives nil.
func (o obj) list(key string) ([]any, error) {
	v := o.m[key]
	if v == nil {
		return nil, nil
	}
	a, ok := v.([]any)
	if !ok {
		return nil, fieldErr(o.field(key), "must be an array, not %s", kind(v))
	}
	return a, nil
}

// strMap reads an object of scalars (labels, annotations, tags).
func (o obj) strMap(key string) (map[string]string, error) {
	sub, err := o.sub(key)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(sub.m))
	for _, k := range slices.Sorted(maps.Keys(sub.m)) { // sorted: errors name the same field every time
		s, err := scalar(sub.m[k], sub.field(k))
		if err != nil {
			return nil, err
		}
		out[k] = strings.TrimSpace(s)
	}
	return out, nil
}

func scalar(v any, path string) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	case json.Number:
		return t.String(), nil
	default:
		return "", fieldErr(path, "must be a string, not %s", kind(v))
	}
}

// --- text -----------------------------------------------------------------

// oneLine folds s to a single line: every run of whitespace or control
// characters becomes one space.
func oneLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// multiLine keeps newlines and tabs, turns CR and CRLF into LF, drops the
// other control characters and trims the ends.
func multiLine(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r != '\n' && r != '\t' && unicode.IsControl(r) }) < 0 {
		return strings.TrimSpace(s)
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\r':
			b.WriteByte('\n')
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case unicode.IsControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

const ellipsis = "…"

// cutChars bounds s to max characters, the last being "…" when cut.
func cutChars(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return strings.TrimRightFunc(s[:i], unicode.IsSpace) + ellipsis
		}
		n++
	}
	return s
}

// cutBytes bounds s to max bytes on a rune boundary, ending in "…" when cut.
func cutBytes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	end := max - len(ellipsis)
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return strings.TrimRightFunc(s[:end], unicode.IsSpace) + ellipsis
}

// unresolved reports a template placeholder that the sender left as is:
// Zabbix leaves {EVENT.RECOVERY.ID} in a problem message, Nagios may send
// $SERVICEDESC$ literally from a host notification.
func unresolved(s string) bool {
	if len(s) < 3 {
		return false
	}
	var inner string
	switch {
	case s[0] == '{' && s[len(s)-1] == '}':
		inner = s[1 : len(s)-1]
	case s[0] == '$' && s[len(s)-1] == '$':
		inner = s[1 : len(s)-1]
	default:
		return false
	}
	inner = strings.TrimPrefix(inner, "$") // Zabbix user macro {$NAME}
	if inner == "" {
		return false
	}
	for _, r := range inner {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}

// clean trims s and treats an unresolved placeholder as empty.
func clean(s string) string {
	s = strings.TrimSpace(s)
	if unresolved(s) {
		return ""
	}
	return s
}

// firstLine returns the first non-empty line of s.
func firstLine(s string) string {
	for line := range strings.SplitSeq(s, "\n") {
		if l := strings.TrimSpace(line); l != "" {
			return l
		}
	}
	return ""
}

// hashKey derives a stable key from parts.
func hashKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// --- severity ---------------------------------------------------------------

// severityWords maps the words monitoring systems use to the four
// normalized levels. Keys are lower case.
var severityWords = map[string]string{
	"critical": SeverityCritical, "crit": SeverityCritical, "fatal": SeverityCritical,
	"emergency": SeverityCritical, "emerg": SeverityCritical, "alert": SeverityCritical,
	"panic": SeverityCritical, "page": SeverityCritical, "disaster": SeverityCritical,
	"p1": SeverityCritical, "sev1": SeverityCritical, "down": SeverityCritical,

	"error": SeverityError, "err": SeverityError, "major": SeverityError,
	"high": SeverityError, "p2": SeverityError, "sev2": SeverityError,
	"unknown": SeverityError, "unreachable": SeverityError,

	"warning": SeverityWarning, "warn": SeverityWarning, "minor": SeverityWarning,
	"medium": SeverityWarning, "average": SeverityWarning, "p3": SeverityWarning,
	"sev3": SeverityWarning,

	"info": SeverityInfo, "information": SeverityInfo, "informational": SeverityInfo,
	"notice": SeverityInfo, "low": SeverityInfo, "debug": SeverityInfo,
	"ok": SeverityInfo, "up": SeverityInfo, "none": SeverityInfo,
	"not classified": SeverityInfo, "p4": SeverityInfo, "p5": SeverityInfo,
	"sev4": SeverityInfo, "sev5": SeverityInfo,
}

// normSeverity maps the sender's word to a normalized level. A payload that
// says nothing leaves the severity unspecified ("": the console shows it
// so; the escalation calls all the same). A word we do not know is treated
// as critical while the alert is open (a missed call costs more than an
// extra one; the word itself stays in the labels) and as info once it is
// resolved.
func normSeverity(raw string, st Status) string {
	raw = strings.ToLower(strings.TrimSpace(raw))
	if s, ok := severityWords[raw]; ok {
		return s
	}
	if st == StatusResolved {
		return SeverityInfo
	}
	if raw == "" {
		return SeverityUnspecified
	}
	return SeverityCritical
}

// --- system -----------------------------------------------------------------

// pickSystem returns the payload's system or the default, refusing a name
// that is missing or too long. hint tells the sender where to put it.
func pickSystem(given string, o Options, field, hint string) (string, error) {
	s := oneLine(clean(given))
	if s == "" {
		s = oneLine(strings.TrimSpace(o.DefaultSystem))
	}
	if s == "" {
		return "", fieldErr(field, "no system given; %s, add ?system= to the URL, or set alerts.default_system", hint)
	}
	if utf8.RuneCountInString(s) > MaxSystem {
		return "", fieldErr(field, "is longer than %d characters", MaxSystem)
	}
	return s, nil
}

// QuerySystem reads the system an intake URL names: ?system=, or the
// seed's name for it, ?systemname=. Both may be given if they agree; two
// different names are refused naming both, rather than one silently
// winning. The result is "" when the URL names none.
func QuerySystem(q url.Values) (string, error) {
	var name, val string
	for _, k := range []string{"system", "systemname"} {
		v := oneLine(q.Get(k))
		switch {
		case v == "":
		case val == "":
			name, val = k, v
		case v != val:
			return "", fieldErr(k, "?%s=%q disagrees with ?%s=%q; they name the same thing, give one of them",
				k, cutChars(v, MaxSystem), name, cutChars(val, MaxSystem))
		}
	}
	if utf8.RuneCountInString(val) > MaxSystem {
		return "", fieldErr(name, "is longer than %d characters", MaxSystem)
	}
	return val, nil
}

// --- labels -----------------------------------------------------------------

// labels collects Signal.Labels under the bounds. The first MaxLabels
// distinct keys win, so parsers add their own keys before the sender's.
type labels map[string]string

func (l labels) set(k, v string) {
	k = cutChars(oneLine(k), MaxLabelKey)
	v = cutChars(multiLine(clean(v)), MaxLabelValue)
	if k == "" || v == "" {
		return
	}
	if _, ok := l[k]; !ok && len(l) >= MaxLabels {
		return
	}
	l[k] = v
}

// setAll adds m in key order (deterministic when the bound is reached),
// with each key prefixed.
func (l labels) setAll(prefix string, m map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		l.set(prefix+k, m[k])
	}
}

// secretish reports label keys that look like credentials; a sender that
// forwards all of its parameters should not make opsdesk store its token.
func secretish(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"token", "password", "passwd", "secret", "authorization", "apikey", "api_key"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// --- finishing --------------------------------------------------------------

// finish applies the bounds every signal shares. Parsers fill the fields
// raw and call finish last.
func finish(s *Signal) {
	s.Summary = cutChars(oneLine(s.Summary), MaxSummary)
	s.Details = cutBytes(multiLine(s.Details), MaxDetails)
	s.Host = cutChars(oneLine(clean(s.Host)), MaxField)
	s.Service = cutChars(oneLine(clean(s.Service)), MaxField)
	s.DedupKey = oneLine(s.DedupKey)
	if utf8.RuneCountInString(s.DedupKey) > MaxDedupKey {
		s.DedupKey = hashKey(s.DedupKey)
	}
	s.GroupKey = oneLine(s.GroupKey)
	if utf8.RuneCountInString(s.GroupKey) > MaxDedupKey {
		s.GroupKey = hashKey(s.GroupKey)
	}
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	if !s.StartedAt.IsZero() {
		s.StartedAt = s.StartedAt.UTC()
	}
}

// --- time -------------------------------------------------------------------

// parseTime tries the layouts in order; zone-less layouts are read in loc.
// It returns the zero time when none fits.
func parseTime(s string, loc *time.Location, layouts ...string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t
		}
	}
	return time.Time{}
}

// unixTime reads decimal seconds since the epoch.
func unixTime(s string) time.Time {
	s = strings.TrimSpace(s)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > 1<<40 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

// plausible rejects times a sender cannot mean: the zero time Alertmanager
// uses for "no end", or years outside what the store can hold.
// The result is in UTC.
func plausible(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	if t = t.UTC(); t.Year() < 1971 || t.Year() > 9999 {
		return time.Time{}
	}
	return t
}
