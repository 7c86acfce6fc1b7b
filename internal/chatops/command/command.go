// Package command turns what a person typed to the chat robot (DingTalk or
// Slack) into a command, or into an error that says exactly what is missing
// or wrong and which format the command has.
//
// The commands are the seed's Chinese ones with English aliases. People type
// on phones with Chinese, Japanese and Korean input methods, so the parser
// folds full-width letters, digits and punctuation (：，＠ａ１) to ASCII
// before it looks for commands, keys and codes; free text (subjects, bodies,
// replies, search words) is kept exactly as typed. Keys are case-insensitive.
// A message that is not a command gets the help text.
//
// Parse never returns a half-filled command: either every field is present
// and valid, or the result is an *Error listing every problem found.
package command

import (
	"fmt"
	"strings"
)

// Kind names a command.
type Kind string

// Command kinds.
const (
	KindHelp    Kind = "help"
	KindService Kind = "service"
	KindCreate  Kind = "create"
	KindResolve Kind = "resolve"
	KindShow    Kind = "show"
	KindReply   Kind = "reply"
	KindSearch  Kind = "search"
	KindAck     Kind = "ack"
	KindOnCall  Kind = "oncall"
)

// Kinds lists every kind in the order the help text shows them.
var Kinds = []Kind{KindService, KindCreate, KindResolve, KindShow, KindReply, KindSearch, KindAck, KindOnCall, KindMaintenance, KindHelp}

// Command is one of HelpRequest, ServiceLookup, CreateCase, Resolve, Show, Reply,
// Search, Ack, OnCall and Maintenance.
type Command interface {
	Kind() Kind
}

// HelpRequest asks for the help text (Help, or Usage of Topic). Topic, when
// set, is the command the person asked about ("帮助 提工单", "help create").
// Anything that is not a command parses to HelpRequest{} too.
type HelpRequest struct{ Topic Kind }

// ServiceLookup looks up service and category codes by (part of) a service's
// name or code.
type ServiceLookup struct{ Query string }

// CreateCase is a complete, validated request to create a case. Whether the
// service and category codes exist is for the caller to check against
// DescribeServices.
type CreateCase struct {
	Subject   string
	Body      string
	Severity  string // one of Severities
	Service   string // serviceCode, lower case
	Category  string // categoryCode, lower case
	IssueType string // one of IssueTypes; technical unless given
	Language  string // one of Languages; the parser's default unless given
	CC        []string
	// Account is the account asked for (FieldAccount), as typed; empty
	// for the chat's own.
	Account string
}

// Resolve resolves a case. CaseID is a full case id (case-…) or a numeric
// display id; IsDisplayID tells which.
type Resolve struct{ CaseID string }

// Show shows a case's status and latest message. CaseID as in Resolve.
type Show struct{ CaseID string }

// Reply adds a communication to a case. CaseID as in Resolve; Text may span
// several lines.
type Reply struct{ CaseID, Text string }

// Search searches the case archive.
type Search struct{ Query string }

// Ack acknowledges an alert, which stops its phone escalation.
type Ack struct{ AlertID string }

// OnCall asks who is on call now: in every schedule (Name empty), or in
// the schedule (or system) Name.
type OnCall struct{ Name string }

func (HelpRequest) Kind() Kind   { return KindHelp }
func (ServiceLookup) Kind() Kind { return KindService }
func (CreateCase) Kind() Kind    { return KindCreate }
func (Resolve) Kind() Kind       { return KindResolve }
func (Show) Kind() Kind          { return KindShow }
func (Reply) Kind() Kind         { return KindReply }
func (Search) Kind() Kind        { return KindSearch }
func (Ack) Kind() Kind           { return KindAck }
func (OnCall) Kind() Kind        { return KindOnCall }

// Field names used in errors. The create-case fields are the keys people
// type (the seed's camelCase spelling); the others name a command's
// argument.
const (
	FieldCommand   = "command" // the command line itself (ProblemNoCommand)
	FieldSubject   = "subject"
	FieldBody      = "body"
	FieldSeverity  = "severityCode"
	FieldService   = "serviceCode"
	FieldCategory  = "categoryCode"
	FieldIssueType = "issueType"
	FieldLanguage  = "language"
	FieldCC        = "cc"
	FieldName      = "name"     // ServiceLookup's service name
	FieldCaseID    = "case_id"  // Resolve, Show, Reply
	FieldText      = "text"     // Reply's text
	FieldWords     = "words"    // Search's words
	FieldAlertID   = "alert_id" // Ack
	FieldSchedule  = "schedule" // OnCall
	FieldMessage   = "message"  // the whole message (ProblemTooLong over MaxMessage)
)

// CaseFields lists the create-case keys in the order the format shows them.
var CaseFields = []string{FieldSubject, FieldBody, FieldSeverity, FieldService, FieldCategory, FieldIssueType, FieldLanguage, FieldCC}

// Allowed values.
var (
	// Severities are the AWS Support severity codes (DescribeSeverityLevels).
	Severities = []string{"low", "normal", "high", "urgent", "critical"}
	// IssueTypes are CreateCase's issueType values.
	IssueTypes = []string{"technical", "customer-service"}
	// Languages are the case languages offered in chat: the four the
	// Support API documents for every region.
	Languages = []string{"en", "ja", "zh", "ko"}
)

// Limits.
const (
	// MaxBody bounds body and reply text: the Support API's
	// communicationBody is 1 to 8000 characters. Length is counted in
	// UTF-16 code units (an emoji counts twice), which is never more
	// lenient than the API.
	MaxBody = 8000
	// MaxCC bounds cc: ccEmailAddresses has at most 10 members.
	MaxCC = 10
	// MaxSubject bounds the subject. The Support API documents no limit;
	// 255 keeps subjects readable in chat, mail and the console.
	MaxSubject = 255
	// MaxCode bounds serviceCode and categoryCode (the longest code
	// DescribeServices returns is well under 100 characters).
	MaxCode = 128
	// MaxEmail is the longest address SMTP allows (RFC 5321: 254).
	MaxEmail = 254
	// MaxQuery bounds a service lookup or search query, in characters.
	MaxQuery = 200
	// MaxAlertID bounds an alert id.
	MaxAlertID = 64
	// MaxMessage bounds a whole message, in characters. The longest valid
	// command (a create-case message with a full body, subject and cc
	// list) is about 11,000; a longer message is refused whole.
	MaxMessage = 32000
)

// Problem says what is wrong with a field.
type Problem string

// Problems.
const (
	ProblemMissing    Problem = "missing"     // required and not given
	ProblemEmpty      Problem = "empty"       // given with nothing after the colon
	ProblemInvalid    Problem = "invalid"     // not an allowed value or shape; Value holds it
	ProblemTooLong    Problem = "too_long"    // Got characters, Limit allowed
	ProblemTooMany    Problem = "too_many"    // Got items, Limit allowed
	ProblemUnknownKey Problem = "unknown_key" // Field is the key as typed; Value the key it resembles, if any
	ProblemDuplicate  Problem = "duplicate"   // the key was given more than once
	ProblemUnexpected Problem = "unexpected"  // a line that belongs to no field; Value holds it
	ProblemNoCommand  Problem = "no_command"  // case fields without the 提工单 line
)

// Issue is one problem with one field.
type Issue struct {
	Field   string
	Problem Problem
	Value   string // the offending value or line, shortened for display
	Limit   int    // for ProblemTooLong and ProblemTooMany
	Got     int    // for ProblemTooLong and ProblemTooMany
}

// Error means "you tried command Kind, and Field has Problem". More holds
// the further problems found in the same message, so one reply can name them
// all. Describe renders it with the command's correct format.
type Error struct {
	Kind    Kind
	Field   string
	Problem Problem
	Value   string
	Limit   int
	Got     int
	More    []Issue
}

// Issues returns every problem: the first one, then More.
func (e *Error) Issues() []Issue {
	out := make([]Issue, 0, 1+len(e.More))
	out = append(out, Issue{Field: e.Field, Problem: e.Problem, Value: e.Value, Limit: e.Limit, Got: e.Got})
	return append(out, e.More...)
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "command %s: ", e.Kind)
	for i, is := range e.Issues() {
		if i > 0 {
			b.WriteString("; ")
		}
		if is.Field != "" {
			b.WriteString(is.Field + ": ")
		}
		b.WriteString(string(is.Problem))
		switch {
		case is.Limit > 0:
			fmt.Fprintf(&b, " (%d > %d)", is.Got, is.Limit)
		case is.Value != "":
			fmt.Fprintf(&b, " %q", is.Value)
		}
	}
	return b.String()
}

func newError(k Kind, issues []Issue) *Error {
	first := issues[0]
	e := &Error{Kind: k, Field: first.Field, Problem: first.Problem, Value: first.Value, Limit: first.Limit, Got: first.Got}
	if len(issues) > 1 {
		e.More = issues[1:]
	}
	return e
}
